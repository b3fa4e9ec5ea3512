/*
 * csv.c - CSV decoding, header inference and encoding with Spark's CSV options
 * (sep, quote, escape, header, nullValue; univocity semantics as Spark configures it).
 *
 * Reading: fields map to the target columns by position (the corrupt-record column is
 * skipped); quoted fields may contain separators, and line breaks only with multiLine
 * (opts->multi_line). Without multiLine (Spark's default) the input is read line by
 * line, as Spark's LineRecordReader + univocity do: a line break always ends the
 * record, so an unclosed quote truncates its value at the end of its line and the next
 * line is a record of its own; such a line is malformed only as any other (its field
 * count differs from the schema, or a value does not parse). Inside quotes the
 * escape char (default '\\') or a doubled quote yields a literal quote; an unquoted
 * empty field is NULL, and so is any field equal to nullValue. Too few fields pad with
 * NULLs and too many are ignored: in PERMISSIVE that row is only flagged (corrupt text)
 * when the schema has a corrupt-record column, in DROPMALFORMED it is dropped, in
 * FAILFAST it fails. An unparsable value makes the field NULL and the record malformed
 * (partial row kept in PERMISSIVE). Blank lines are skipped; with header the first
 * record of a buffer that starts a file (first_line <= 1) is skipped.
 * Writing: values with sep, quote, CR or LF are quoted (quote escaped with the escape
 * char), leading/trailing whitespace is trimmed (ignoreLeading/TrailingWhiteSpace in
 * write), NULL is written as nullValue and an empty string as "".
 * Invariant: one scratch buffer per call; no per-row allocation.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "common/valfmt.h"
#include "format/format_internal.h"

/* ------------------------------------------------------------------ tokenizer */

typedef struct csv_field_ {
  size_t off, len; /* slice of the token buffer */
  bool quoted;
} csv_field_;

typedef struct csv_rec_ {
  sp_buf text;   /* unescaped field bytes */
  csv_field_ *f;
  int nf, cap;
  bool oom;
} csv_rec_;

static void rec_add_(csv_rec_ *r, size_t off, size_t len, bool quoted) {
  if (r->nf == r->cap) {
    int cap = r->cap ? r->cap * 2 : 32;
    csv_field_ *nf = realloc(r->f, sizeof *nf * (size_t)cap);
    if (!nf) {
      r->oom = true;
      return;
    }
    r->f = nf;
    r->cap = cap;
  }
  r->f[r->nf++] = (csv_field_){off, len, quoted};
}

/* Tokenize one record starting at p (< end). Returns the position after the record's
 * line terminator; *rec_end is the end of the record text (terminator excluded);
 * *lines counts the physical lines consumed. With `multi` a quoted field may span
 * lines; without it a line break inside quotes ends the field and the record (the
 * value is the text after the opening quote up to the line end, CR of CRLF dropped). */
static const char *csv_record_(const char *p, const char *end, const sp_format_opts *o, bool multi, csv_rec_ *r,
                               const char **rec_end, int64_t *lines) {
  const char *start0 = p;
  r->nf = 0;
  sp_buf_reset(&r->text);
  *lines = 1;
  char sep = o->sep ? o->sep : ',', q = o->quote, esc = o->escape;
  for (;;) {
    size_t start = r->text.len;
    bool quoted = false;
    if (q && p < end && *p == q) {
      quoted = true;
      p++;
      for (;;) {
        if (p >= end || (!multi && *p == '\n')) {
          /* unterminated quote: take what we have; single-line: the line ends the value */
          if (!multi && p[-1] == '\r' && r->text.len > start) r->text.len--;
          break;
        }
        char c = *p;
        if (esc && c == esc && esc != q && p + 1 < end && (p[1] == q || p[1] == esc)) {
          sp_buf_putc(&r->text, p[1]);
          p += 2;
          continue;
        }
        if (c == q) {
          if (p + 1 < end && p[1] == q) { /* doubled quote */
            sp_buf_putc(&r->text, q);
            p += 2;
            continue;
          }
          p++;
          break;
        }
        if (c == '\n') (*lines)++;
        const char *run = p;
        while (p < end && *p != q && !(esc && *p == esc) && *p != '\n') p++;
        if (p == run) {
          sp_buf_putc(&r->text, c);
          p++;
        } else {
          sp_buf_append(&r->text, run, (size_t)(p - run));
        }
      }
      /* characters after the closing quote up to the delimiter are kept */
      const char *run = p;
      while (p < end && *p != sep && *p != '\n' && !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) p++;
      sp_buf_append(&r->text, run, (size_t)(p - run));
    } else {
      const char *run = p;
      while (p < end && *p != sep && *p != '\n') p++;
      const char *fe = p;
      if (fe > run && fe[-1] == '\r' && (p == end || *p == '\n')) fe--;
      sp_buf_append(&r->text, run, (size_t)(fe - run));
    }
    rec_add_(r, start, r->text.len - start, quoted);
    if (p < end && *p == sep) {
      p++;
      continue;
    }
    /* end of record */
    const char *e = p;
    if (p < end && *p == '\r') p++;
    if (p < end && *p == '\n') p++;
    if (e > start0 && e[-1] == '\r' && (e == end || *e == '\n')) e--;
    *rec_end = e;
    return p;
  }
}

/* ------------------------------------------------------------------ values */

typedef struct csv_ctx_ {
  const sp_format_opts *o;
  sp_tz *tz;
  sp_dtfmt *ts_fmt, *date_fmt;
  char num[128];
  char msg[256];
} csv_ctx_;

static bool parse_long_(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (n && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == n) return false;
  uint64_t v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > (uint64_t)INT64_MAX + 1) return false;
    *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  } else {
    if (v > (uint64_t)INT64_MAX) return false;
    *out = (int64_t)v;
  }
  return true;
}

/* Java Double.parseDouble (plus Spark's nanValue/positiveInf/negativeInf defaults). */
static bool parse_double_(csv_ctx_ *c, const char *s, size_t n, double *out) {
  if (n == 3 && memcmp(s, "NaN", 3) == 0) return *out = (double)NAN, true;
  if (n == 3 && memcmp(s, "Inf", 3) == 0) return *out = (double)INFINITY, true;
  if (n == 4 && memcmp(s, "-Inf", 4) == 0) return *out = -(double)INFINITY, true;
  while (n && (unsigned char)s[0] <= ' ') s++, n--;
  while (n && (unsigned char)s[n - 1] <= ' ') n--;
  if (n == 0 || n >= sizeof c->num) return false;
  memcpy(c->num, s, n);
  c->num[n] = '\0';
  const char *body = c->num + (c->num[0] == '+' || c->num[0] == '-');
  if (strcmp(body, "Infinity") == 0 || strcmp(body, "NaN") == 0) {
    *out = body[0] == 'N' ? (double)NAN : (c->num[0] == '-' ? -(double)INFINITY : (double)INFINITY);
    return true;
  }
  if (!(isdigit((unsigned char)body[0]) || body[0] == '.')) return false;
  if (strpbrk(body, "xX")) return false; /* hex floats need Java's 'p' form; not supported */
  if (n > 1 && strchr("dDfF", c->num[n - 1])) c->num[--n] = '\0';
  char *endp;
  errno = 0;
  double d = strtod(c->num, &endp);
  if (endp != c->num + n) return false;
  *out = d;
  return true;
}

/* Convert field text into v; false (nothing appended) when unparsable. */
static bool csv_value_(csv_ctx_ *c, sp_vec *v, const char *s, size_t n) {
  switch (v->type->id) {
    case SP_STRING:
    case SP_BINARY: sp_vec_append_str(v, s, (int32_t)n); return true;
    case SP_INT: {
      int64_t x;
      if (!parse_long_(s, n, &x) || x < INT32_MIN || x > INT32_MAX) break;
      sp_vec_append_i32(v, (int32_t)x);
      return true;
    }
    case SP_BIGINT: {
      int64_t x;
      if (!parse_long_(s, n, &x)) break;
      sp_vec_append_i64(v, x);
      return true;
    }
    case SP_DOUBLE: {
      double d;
      if (!parse_double_(c, s, n, &d)) break;
      sp_vec_append_f64(v, d);
      return true;
    }
    case SP_BOOLEAN:
      if (n == 4 && strncasecmp(s, "true", 4) == 0) {
        sp_vec_append_bool(v, true);
        return true;
      }
      if (n == 5 && strncasecmp(s, "false", 5) == 0) {
        sp_vec_append_bool(v, false);
        return true;
      }
      break;
    case SP_TIMESTAMP: {
      int64_t us;
      int r = c->ts_fmt ? sp_dtfmt_parse(c->ts_fmt, s, n, c->tz, &us) : sp_timestamp_parse_default(s, n, c->tz, &us);
      if (r != 0) {
        snprintf(c->msg, sizeof c->msg, "Text '%.*s' could not be parsed", (int)(n > 64 ? 64 : n), s);
        return false;
      }
      sp_vec_append_i64(v, us);
      return true;
    }
    case SP_DATE: {
      int32_t days;
      int r = c->date_fmt ? sp_dtfmt_parse_date(c->date_fmt, s, n, &days) : sp_date_parse_default(s, n, &days);
      if (r != 0) {
        snprintf(c->msg, sizeof c->msg, "Text '%.*s' could not be parsed", (int)(n > 64 ? 64 : n), s);
        return false;
      }
      sp_vec_append_i32(v, days);
      return true;
    }
    case SP_NULL: sp_vec_append_null(v); return true;
    default: break;
  }
  snprintf(c->msg, sizeof c->msg, "For input string: \"%.*s\"", (int)(n > 64 ? 64 : n), s);
  return false;
}

static int check_types_(const sp_type *schema, spate_error *err) {
  for (int i = 0; i < schema->nfields; i++) {
    sp_type_id id = schema->fields[i].type->id;
    if (id == SP_STRUCT || id == SP_ARRAY) {
      char ts[256];
      sp_type_to_string(schema->fields[i].type, ts, sizeof ts);
      return spate_error_set(err, SPATE_EUNSUPPORTED, "CSV data source does not support %s data type.", ts);
    }
  }
  return 0;
}

static const char *FAILFAST_PREFIX = "Malformed records are detected in record parsing. Parse Mode: FAILFAST.";

/* Time zone and datetime patterns of opts compiled into c (zeroed by the caller). */
static int csv_ctx_open_(csv_ctx_ *c, const sp_format_opts *opts, spate_error *err) {
  c->o = opts;
  if (opts->timezone && *opts->timezone && strcmp(opts->timezone, "UTC") != 0) {
    c->tz = sp_tz_open(opts->timezone);
    if (!c->tz) return spate_error_set(err, SPATE_EINVAL, "Invalid time zone: %s", opts->timezone);
  }
  if (opts->timestamp_format && !(c->ts_fmt = sp_dtfmt_compile(opts->timestamp_format)))
    return spate_error_set(err, SPATE_EINVAL, "Invalid timestampFormat pattern: %s", opts->timestamp_format);
  if (opts->date_format && !(c->date_fmt = sp_dtfmt_compile(opts->date_format)))
    return spate_error_set(err, SPATE_EINVAL, "Invalid dateFormat pattern: %s", opts->date_format);
  return 0;
}

static void csv_ctx_close_(csv_ctx_ *c) {
  sp_tz_close(c->tz);
  sp_dtfmt_free(c->ts_fmt);
  sp_dtfmt_free(c->date_fmt);
}

/* Append the fields of record r to the data columns cols[0..ncols) (skipping the
 * corrupt-record column, which the caller fills): missing fields NULL, nullValue or an
 * unquoted empty field NULL, an unparsable value NULL. True when a value was
 * unparsable; *why then names the first problem. */
static bool csv_convert_(csv_ctx_ *c, const csv_rec_ *r, sp_vec **cols, int ncols, int corrupt, const char **why) {
  const char *nullv = c->o->null_value ? c->o->null_value : "";
  size_t nulll = strlen(nullv);
  bool bad = false;
  int k = 0;
  for (int col = 0; col < ncols; col++) {
    if (col == corrupt) continue;
    sp_vec *v = cols[col];
    if (k >= r->nf) {
      sp_vec_append_null(v);
      k++;
      continue;
    }
    const csv_field_ *f = &r->f[k++];
    const char *s = r->text.data + f->off;
    if ((f->len == 0 && !f->quoted) || (f->len == nulll && memcmp(s, nullv, nulll) == 0)) {
      sp_vec_append_null(v);
      continue;
    }
    if (!csv_value_(c, v, s, f->len)) {
      sp_vec_append_null(v);
      if (!bad) *why = c->msg;
      bad = true;
    }
  }
  return bad;
}

int sp_csv_decode_lines(const char *buf, size_t len, const sp_format_opts *opts, const char *source_name,
                        int64_t first_line, sp_batch *out, sp_decode_stats *stats, spate_error *err) {
  sp_format_opts defopts;
  if (!opts) {
    sp_format_opts_default(&defopts);
    opts = &defopts;
  }
  if (!out || !out->schema || out->schema->id != SP_STRUCT)
    return spate_error_set(err, SPATE_EINVAL, "CSV decoding needs a STRUCT target schema");
  int rc = check_types_(out->schema, err);
  if (rc) return rc;
  csv_ctx_ c;
  memset(&c, 0, sizeof c);
  csv_rec_ r;
  memset(&r, 0, sizeof r);
  sp_buf_init(&r.text);
  if ((rc = csv_ctx_open_(&c, opts, err))) goto done;
  int ncols = out->ncols;
  sp_vec **cols = out->cols;
  int corrupt = sp_fmt_corrupt_index(out->schema, opts);
  int ndata = corrupt >= 0 ? ncols - 1 : ncols;
  int64_t cur = ncols > 0 ? cols[0]->length : out->nrows;
  const char *source = source_name ? source_name : "<unknown>";
  int64_t lineno = first_line > 0 ? first_line : 1;
  bool skip_header = opts->header && first_line <= 1;
  const char *p = buf, *end = buf + len;
  while (p < end) {
    /* blank line */
    if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
      p += *p == '\r' ? (p + 1 < end ? 2 : 1) : 1;
      lineno++;
      continue;
    }
    const char *rec_start = p, *rec_end;
    int64_t nlines;
    p = csv_record_(p, end, opts, opts->multi_line, &r, &rec_end, &nlines);
    if (r.oom || r.text.failed) {
      rc = spate_error_set(err, SPATE_ENOMEM, "out of memory decoding CSV");
      goto done;
    }
    int64_t this_line = lineno;
    lineno += nlines;
    if (skip_header) {
      skip_header = false;
      continue;
    }
    if (stats) stats->records++;
    bool bad = false, count_bad = r.nf != ndata;
    const char *why = NULL;
    if (count_bad && (opts->mode != SP_MODE_PERMISSIVE || corrupt >= 0)) {
      bad = true;
      why = "Malformed CSV record";
    }
    const char *why2 = NULL;
    if (csv_convert_(&c, &r, cols, ncols, corrupt, &why2)) {
      if (!bad) why = why2;
      bad = true;
    }
    if (!bad) {
      if (corrupt >= 0) sp_vec_append_null(cols[corrupt]);
      cur++;
      continue;
    }
    if (stats) stats->malformed++;
    if (opts->mode == SP_MODE_FAILFAST) {
      for (int col = 0; col < ncols; col++) sp_fmt_vec_truncate(cols[col], cur);
      rc = spate_error_set(err, SPATE_EMALFORMED, "%s %s:%lld: %s", FAILFAST_PREFIX, source, (long long)this_line,
                           why ? why : "Malformed CSV record");
      goto done;
    }
    if (opts->mode == SP_MODE_DROPMALFORMED) {
      for (int col = 0; col < ncols; col++) sp_fmt_vec_truncate(cols[col], cur);
      continue;
    }
    if (corrupt >= 0) sp_vec_append_str(cols[corrupt], rec_start, (int32_t)(rec_end - rec_start));
    cur++;
  }
  if (stats) stats->bytes += (int64_t)len;
  out->nrows = cur;
  if (sp_batch_check(out) || r.text.failed) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory decoding CSV");
done:
  free(r.f);
  sp_buf_free(&r.text);
  csv_ctx_close_(&c);
  return rc;
}

int sp_csv_infer_schema(const char *buf, size_t len, const sp_format_opts *opts, sp_type **schema,
                        spate_error *err) {
  sp_format_opts defopts;
  if (!opts) {
    sp_format_opts_default(&defopts);
    opts = &defopts;
  }
  *schema = NULL;
  csv_rec_ r;
  memset(&r, 0, sizeof r);
  sp_buf_init(&r.text);
  const char *p = buf, *end = buf + len;
  while (p < end && (*p == '\n' || *p == '\r')) p++;
  if (p < end) {
    const char *rec_end;
    int64_t nl;
    csv_record_(p, end, opts, opts->multi_line, &r, &rec_end, &nl);
  }
  int rc = 0;
  sp_type *st = NULL;
  if (r.oom || r.text.failed || !(st = sp_type_struct_new(r.nf))) {
    rc = spate_error_set(err, SPATE_ENOMEM, "out of memory inferring the CSV schema");
    goto done;
  }
  const char *nullv = opts->null_value ? opts->null_value : "";
  for (int i = 0; i < r.nf && !rc; i++) {
    char name[256];
    const char *s = r.text.data + r.f[i].off;
    size_t n = r.f[i].len;
    bool use_index = !opts->header || n == 0 || (n == strlen(nullv) && memcmp(s, nullv, n) == 0);
    if (use_index) {
      snprintf(name, sizeof name, "_c%d", i);
    } else {
      /* case-insensitive duplicates get their index appended */
      bool dup = false;
      for (int j = 0; j < r.nf && !dup; j++)
        dup = j != i && r.f[j].len == n && strncasecmp(r.text.data + r.f[j].off, s, n) == 0;
      if (n > sizeof name - 16) n = sizeof name - 16;
      if (dup)
        snprintf(name, sizeof name, "%.*s%d", (int)n, s, i);
      else
        snprintf(name, sizeof name, "%.*s", (int)n, s);
    }
    if (sp_type_struct_set(st, i, name, sp_type_prim(SP_STRING), true))
      rc = spate_error_set(err, SPATE_ENOMEM, "out of memory inferring the CSV schema");
  }
  if (rc) {
    sp_type_unref(st);
    st = NULL;
  }
  *schema = st;
done:
  free(r.f);
  sp_buf_free(&r.text);
  return rc;
}

/* ------------------------------------------------------------------ encoding */

static void csv_put_(sp_buf *out, const char *s, size_t n, const sp_format_opts *o, bool trim) {
  char sep = o->sep ? o->sep : ',', q = o->quote ? o->quote : '"', esc = o->escape;
  if (trim) {
    while (n && (unsigned char)s[0] <= ' ') s++, n--;
    while (n && (unsigned char)s[n - 1] <= ' ') n--;
  }
  if (n == 0) {
    sp_buf_putc(out, q);
    sp_buf_putc(out, q);
    return;
  }
  bool need = false;
  for (size_t k = 0; k < n && !need; k++) need = s[k] == sep || s[k] == q || s[k] == '\n' || s[k] == '\r';
  if (!need) {
    sp_buf_append(out, s, n);
    return;
  }
  sp_buf_putc(out, q);
  size_t run = 0;
  for (size_t k = 0; k < n; k++) {
    if (s[k] == q) {
      sp_buf_append(out, s + run, k - run);
      sp_buf_putc(out, esc ? esc : q);
      sp_buf_putc(out, q);
      run = k + 1;
    }
  }
  sp_buf_append(out, s + run, n - run);
  sp_buf_putc(out, q);
}

/* Row i of the columns cols[0..ncols) as one CSV record (no line terminator). */
static void csv_encode_row_(sp_buf *out, sp_vec *const *cols, int ncols, int64_t i, const sp_format_opts *opts,
                            sp_dtfmt *tsf, sp_dtfmt *df, sp_tz *tz) {
  char sep = opts->sep ? opts->sep : ',';
  const char *nullv = opts->null_value ? opts->null_value : "";
  char tmp[64];
  for (int c = 0; c < ncols; c++) {
    if (c) sp_buf_putc(out, sep);
    const sp_vec *v = cols[c];
    if (sp_vec_is_null(v, i) || v->type->id == SP_NULL) {
      sp_buf_puts(out, nullv);
      continue;
    }
    int n = 0;
    switch (v->type->id) {
      case SP_STRING:
      case SP_BINARY: {
        int32_t len;
        const char *s = sp_vec_str(v, i, &len);
        csv_put_(out, s, (size_t)len, opts, true);
        continue;
      }
      case SP_BOOLEAN: n = snprintf(tmp, sizeof tmp, "%s", sp_vec_bool(v)[i] ? "true" : "false"); break;
      case SP_INT: n = snprintf(tmp, sizeof tmp, "%d", (int)sp_vec_i32(v)[i]); break;
      case SP_BIGINT: n = snprintf(tmp, sizeof tmp, "%lld", (long long)sp_vec_i64(v)[i]); break;
      case SP_DOUBLE: n = sp_format_double(sp_vec_f64(v)[i], tmp, sizeof tmp); break;
      case SP_TIMESTAMP: n = sp_dtfmt_format(tsf, sp_vec_i64(v)[i], tz, tmp, sizeof tmp); break;
      case SP_DATE:
        n = df ? sp_dtfmt_format(df, (int64_t)sp_vec_i32(v)[i] * 86400000000LL, NULL, tmp, sizeof tmp)
               : sp_date_format_cast(sp_vec_i32(v)[i], tmp, sizeof tmp);
        break;
      default: n = 0; break;
    }
    if (n > 0) csv_put_(out, tmp, (size_t)n, opts, false);
  }
}

int sp_csv_encode_batch(const sp_batch *b, const sp_format_opts *opts, bool with_header, sp_buf *out) {
  sp_format_opts defopts;
  if (!opts) {
    sp_format_opts_default(&defopts);
    opts = &defopts;
  }
  if (check_types_(b->schema, NULL)) return SPATE_EUNSUPPORTED;
  char sep = opts->sep ? opts->sep : ',';
  sp_tz *tz = NULL;
  sp_dtfmt *tsf = sp_dtfmt_compile(opts->timestamp_format ? opts->timestamp_format : "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
  sp_dtfmt *df = opts->date_format ? sp_dtfmt_compile(opts->date_format) : NULL;
  int rc = 0;
  if (opts->timezone && *opts->timezone && strcmp(opts->timezone, "UTC") != 0 && !(tz = sp_tz_open(opts->timezone)))
    rc = SPATE_EINVAL;
  if (!tsf || (opts->date_format && !df)) rc = SPATE_EINVAL;
  if (rc) goto done;
  if (opts->header && with_header) {
    for (int c = 0; c < b->ncols; c++) {
      if (c) sp_buf_putc(out, sep);
      const char *name = b->schema->fields[c].name;
      csv_put_(out, name, strlen(name), opts, false);
    }
    sp_buf_putc(out, '\n');
  }
  for (int64_t i = 0; i < b->nrows; i++) {
    csv_encode_row_(out, b->cols, b->ncols, i, opts, tsf, df, tz);
    sp_buf_putc(out, '\n');
  }
  rc = sp_buf_check(out);
done:
  sp_tz_close(tz);
  sp_dtfmt_free(tsf);
  sp_dtfmt_free(df);
  return rc;
}

/* ------------------------------------------------------------------ from_csv / to_csv */

int sp_csv_decode_vec(const sp_vec *in, sp_type *type, const sp_format_opts *opts, sp_vec **out,
                      spate_error *err) {
  sp_format_opts defopts;
  if (!opts) {
    sp_format_opts_default(&defopts);
    opts = &defopts;
  }
  *out = NULL;
  if (!in || (in->type->id != SP_STRING && in->type->id != SP_BINARY))
    return spate_error_set(err, SPATE_EINVAL, "from_csv needs a STRING or BINARY input");
  if (!type || type->id != SP_STRUCT) return spate_error_set(err, SPATE_EUNSUPPORTED, "from_csv needs a STRUCT schema");
  if (opts->mode == SP_MODE_DROPMALFORMED)
    return spate_error_set(err, SPATE_EINVAL,
                           "from_csv() doesn't support the DROPMALFORMED mode. Acceptable modes are PERMISSIVE and "
                           "FAILFAST.");
  int rc = check_types_(type, err);
  if (rc) return rc;
  csv_ctx_ c;
  memset(&c, 0, sizeof c);
  csv_rec_ r;
  memset(&r, 0, sizeof r);
  sp_buf_init(&r.text);
  sp_vec *res = NULL;
  if ((rc = csv_ctx_open_(&c, opts, err))) goto done;
  if (!(res = sp_vec_new(type, in->length))) {
    rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in from_csv");
    goto done;
  }
  int ncols = res->nchildren;
  int corrupt = sp_fmt_corrupt_index(type, opts);
  int ndata = corrupt >= 0 ? ncols - 1 : ncols;
  for (int64_t i = 0; i < in->length; i++) {
    if (sp_vec_is_null(in, i)) {
      sp_vec_append_null(res);
      continue;
    }
    int32_t sl;
    const char *s = sp_vec_str(in, i, &sl);
    const char *why = NULL;
    bool bad;
    if (sl == 0) {
      /* univocity gives no tokens for an empty string: malformed, every field NULL */
      for (int col = 0; col < ncols; col++)
        if (col != corrupt) sp_vec_append_null(res->children[col]);
      bad = true;
      why = "empty input";
    } else {
      /* one record per string: the first one (Spark's parseLine, which sees the whole
       * string, so a quoted value may hold line breaks; multiLine does not apply) */
      const char *rec_end;
      int64_t nlines;
      csv_record_(s, s + sl, opts, true, &r, &rec_end, &nlines);
      if (r.oom || r.text.failed) {
        rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in from_csv");
        goto done;
      }
      bad = csv_convert_(&c, &r, res->children, ncols, corrupt, &why);
      if (r.nf != ndata && (opts->mode != SP_MODE_PERMISSIVE || corrupt >= 0)) {
        if (!bad) why = "Malformed CSV record";
        bad = true;
      }
    }
    if (bad && opts->mode == SP_MODE_FAILFAST) {
      rc = spate_error_set(err, SPATE_EMALFORMED, "%s row %lld: %s", FAILFAST_PREFIX, (long long)i,
                           why ? why : "Malformed CSV record");
      goto done;
    }
    if (corrupt >= 0) {
      if (bad)
        sp_vec_append_str(res->children[corrupt], s, sl);
      else
        sp_vec_append_null(res->children[corrupt]);
    }
    sp_vec_struct_append(res, true);
  }
  if (sp_vec_check(res) || r.text.failed) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in from_csv");
done:
  free(r.f);
  sp_buf_free(&r.text);
  csv_ctx_close_(&c);
  if (rc) {
    sp_vec_free(res);
    return rc;
  }
  *out = res;
  return 0;
}

int sp_csv_encode_vec(const sp_vec *in, const sp_format_opts *opts, sp_vec **out, spate_error *err) {
  sp_format_opts defopts;
  if (!opts) {
    sp_format_opts_default(&defopts);
    opts = &defopts;
  }
  *out = NULL;
  if (!in || in->type->id != SP_STRUCT) return spate_error_set(err, SPATE_EINVAL, "to_csv needs a STRUCT input");
  int rc = check_types_(in->type, err);
  if (rc) return rc;
  sp_tz *tz = NULL;
  sp_dtfmt *tsf = sp_dtfmt_compile(opts->timestamp_format ? opts->timestamp_format : "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
  sp_dtfmt *df = opts->date_format ? sp_dtfmt_compile(opts->date_format) : NULL;
  sp_vec *res = NULL;
  sp_buf tmp;
  sp_buf_init(&tmp);
  if (opts->timezone && *opts->timezone && strcmp(opts->timezone, "UTC") != 0 && !(tz = sp_tz_open(opts->timezone))) {
    rc = spate_error_set(err, SPATE_EINVAL, "Invalid time zone: %s", opts->timezone);
    goto done;
  }
  if (!tsf || (opts->date_format && !df)) {
    rc = spate_error_set(err, SPATE_EINVAL, "to_csv: invalid datetime pattern");
    goto done;
  }
  if (!(res = sp_vec_new(sp_type_prim(SP_STRING), in->length))) {
    rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in to_csv");
    goto done;
  }
  for (int64_t i = 0; i < in->length; i++) {
    if (sp_vec_is_null(in, i)) {
      sp_vec_append_null(res);
      continue;
    }
    sp_buf_reset(&tmp);
    csv_encode_row_(&tmp, in->children, in->nchildren, i, opts, tsf, df, tz);
    sp_vec_append_str(res, tmp.data ? tmp.data : "", (int32_t)tmp.len);
  }
  if (tmp.failed || sp_vec_check(res)) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in to_csv");
done:
  sp_buf_free(&tmp);
  sp_tz_close(tz);
  sp_dtfmt_free(tsf);
  sp_dtfmt_free(df);
  if (rc) {
    sp_vec_free(res);
    return rc;
  }
  *out = res;
  return 0;
}
