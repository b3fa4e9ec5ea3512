/*
 * json_encode.c - Spark's JSON writer (JacksonGenerator) and to_json.
 *
 * Output: one object per row, keys in schema order, no whitespace, NULL fields
 * omitted when ignore_null_fields (else "k":null), NULL array elements as null,
 * doubles as Java's Double.toString (NaN/Infinity quoted), strings with Jackson's
 * escaping, binary as base64, timestamps with timestampFormat (default
 * yyyy-MM-dd'T'HH:mm:ss.SSSXXX, "Z" for UTC) and dates with dateFormat (default
 * yyyy-MM-dd) in the session time zone.
 * Invariant: encoding never fails except for allocation (sticky sp_buf failure) or
 * an invalid pattern/zone; no per-row allocation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/datetime.h"
#include "common/valfmt.h"
#include "format/format_internal.h"

typedef struct jenc_ {
  bool ignore_nulls;
  sp_tz *tz;
  sp_dtfmt *ts_fmt;   /* NULL: default pattern (fast path) */
  sp_dtfmt *date_fmt; /* NULL: yyyy-MM-dd */
} jenc_;

static inline int64_t fdiv_(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b) != 0 && ((a < 0) != (b < 0))) q--;
  return q;
}

static void put2_(char *p, int v) {
  p[0] = (char)('0' + v / 10);
  p[1] = (char)('0' + v % 10);
}

/* yyyy-MM-dd'T'HH:mm:ss.SSSXXX without the generic pattern machinery. */
static void put_ts_default_(const jenc_ *e, int64_t us, sp_buf *out) {
  int64_t s = fdiv_(us, 1000000);
  int32_t off = (int32_t)sp_tz_offset_at(e->tz, s);
  int64_t local = s + off;
  int64_t ms = fdiv_(us, 1000) - s * 1000;
  int64_t days = fdiv_(local, 86400);
  int64_t sod = local - days * 86400;
  int64_t y;
  unsigned m, d;
  sp_civil_from_days((int32_t)days, &y, &m, &d);
  if (y < 0 || y > 9999) { /* rare: let the generic formatter handle signs */
    char tmp[64];
    sp_dtfmt *f = sp_dtfmt_compile("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    int n = f ? sp_dtfmt_format(f, us, e->tz, tmp, sizeof tmp) : -1;
    sp_dtfmt_free(f);
    sp_buf_putc(out, '"');
    if (n > 0) sp_buf_append(out, tmp, (size_t)n);
    sp_buf_putc(out, '"');
    return;
  }
  char b[40];
  b[0] = '"';
  put2_(b + 1, (int)(y / 100));
  put2_(b + 3, (int)(y % 100));
  b[5] = '-';
  put2_(b + 6, (int)m);
  b[8] = '-';
  put2_(b + 9, (int)d);
  b[11] = 'T';
  put2_(b + 12, (int)(sod / 3600));
  b[14] = ':';
  put2_(b + 15, (int)(sod / 60 % 60));
  b[17] = ':';
  put2_(b + 18, (int)(sod % 60));
  b[20] = '.';
  b[21] = (char)('0' + ms / 100);
  put2_(b + 22, (int)(ms % 100));
  int n = 24;
  if (off == 0) {
    b[n++] = 'Z';
  } else {
    int32_t a = off < 0 ? -off : off;
    b[n++] = off < 0 ? '-' : '+';
    put2_(b + n, a / 3600);
    n += 2;
    b[n++] = ':';
    put2_(b + n, a / 60 % 60);
    n += 2;
    if (a % 60) {
      b[n++] = ':';
      put2_(b + n, a % 60);
      n += 2;
    }
  }
  b[n++] = '"';
  sp_buf_append(out, b, (size_t)n);
}

static void put_value_(const jenc_ *e, const sp_vec *v, int64_t i, sp_buf *out);

static void put_struct_(const jenc_ *e, const sp_type *st, sp_vec *const *cols, int64_t i, sp_buf *out) {
  sp_buf_putc(out, '{');
  bool first = true;
  for (int c = 0; c < st->nfields; c++) {
    const sp_vec *v = cols[c];
    bool isnull = sp_vec_is_null(v, i) || v->type->id == SP_NULL;
    if (isnull && e->ignore_nulls) continue;
    if (!first) sp_buf_putc(out, ',');
    first = false;
    sp_fmt_json_string(out, st->fields[c].name, strlen(st->fields[c].name));
    sp_buf_putc(out, ':');
    if (isnull)
      sp_buf_append(out, "null", 4);
    else
      put_value_(e, v, i, out);
  }
  sp_buf_putc(out, '}');
}

static void put_value_(const jenc_ *e, const sp_vec *v, int64_t i, sp_buf *out) {
  if (sp_vec_is_null(v, i) || v->type->id == SP_NULL) {
    sp_buf_append(out, "null", 4);
    return;
  }
  char tmp[64];
  switch (v->type->id) {
    case SP_BOOLEAN:
      if (sp_vec_bool(v)[i])
        sp_buf_append(out, "true", 4);
      else
        sp_buf_append(out, "false", 5);
      break;
    case SP_INT: {
      int n = snprintf(tmp, sizeof tmp, "%d", (int)sp_vec_i32(v)[i]);
      sp_buf_append(out, tmp, (size_t)n);
      break;
    }
    case SP_BIGINT: {
      int n = snprintf(tmp, sizeof tmp, "%lld", (long long)sp_vec_i64(v)[i]);
      sp_buf_append(out, tmp, (size_t)n);
      break;
    }
    case SP_DOUBLE: {
      double d = sp_vec_f64(v)[i];
      int n = sp_format_double(d, tmp, sizeof tmp);
      bool quote = isnan(d) || isinf(d);
      if (quote) sp_buf_putc(out, '"');
      sp_buf_append(out, tmp, (size_t)n);
      if (quote) sp_buf_putc(out, '"');
      break;
    }
    case SP_STRING: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      sp_fmt_json_string(out, p, (size_t)len);
      break;
    }
    case SP_BINARY: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      sp_buf_putc(out, '"');
      sp_fmt_base64_encode((const uint8_t *)p, (size_t)len, out);
      sp_buf_putc(out, '"');
      break;
    }
    case SP_TIMESTAMP:
      if (!e->ts_fmt) {
        put_ts_default_(e, sp_vec_i64(v)[i], out);
      } else {
        int n = sp_dtfmt_format(e->ts_fmt, sp_vec_i64(v)[i], e->tz, tmp, sizeof tmp);
        sp_fmt_json_string(out, tmp, n > 0 ? (size_t)n : 0);
      }
      break;
    case SP_DATE:
      if (!e->date_fmt) {
        int n = sp_date_format_cast(sp_vec_i32(v)[i], tmp + 1, sizeof tmp - 2);
        tmp[0] = '"';
        tmp[n + 1] = '"';
        sp_buf_append(out, tmp, (size_t)n + 2);
      } else {
        int n = sp_dtfmt_format(e->date_fmt, (int64_t)sp_vec_i32(v)[i] * 86400000000LL, NULL, tmp, sizeof tmp);
        sp_fmt_json_string(out, tmp, n > 0 ? (size_t)n : 0);
      }
      break;
    case SP_STRUCT: put_struct_(e, v->type, v->children, i, out); break;
    case SP_ARRAY: {
      sp_buf_putc(out, '[');
      int32_t a = v->offsets[i], b = v->offsets[i + 1];
      for (int32_t k = a; k < b; k++) {
        if (k > a) sp_buf_putc(out, ',');
        put_value_(e, v->children[0], k, out);
      }
      sp_buf_putc(out, ']');
      break;
    }
    default: sp_buf_append(out, "null", 4); break;
  }
}

static int enc_init_(jenc_ *e, const sp_format_opts *opts) {
  memset(e, 0, sizeof *e);
  e->ignore_nulls = opts ? opts->ignore_null_fields : true;
  const char *tzname = opts ? opts->timezone : NULL;
  if (tzname && *tzname && strcmp(tzname, "UTC") != 0) {
    e->tz = sp_tz_open(tzname);
    if (!e->tz) return SPATE_EINVAL;
  }
  if (opts && opts->timestamp_format && strcmp(opts->timestamp_format, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX") != 0) {
    e->ts_fmt = sp_dtfmt_compile(opts->timestamp_format);
    if (!e->ts_fmt) return SPATE_EINVAL;
  }
  if (opts && opts->date_format && strcmp(opts->date_format, "yyyy-MM-dd") != 0) {
    e->date_fmt = sp_dtfmt_compile(opts->date_format);
    if (!e->date_fmt) return SPATE_EINVAL;
  }
  return 0;
}

static void enc_free_(jenc_ *e) {
  sp_tz_close(e->tz);
  sp_dtfmt_free(e->ts_fmt);
  sp_dtfmt_free(e->date_fmt);
}

int sp_json_encode_batch(const sp_batch *b, const sp_format_opts *opts, sp_buf *out) {
  jenc_ e;
  int rc = enc_init_(&e, opts);
  if (rc == 0) {
    for (int64_t i = 0; i < b->nrows; i++) {
      put_struct_(&e, b->schema, b->cols, i, out);
      sp_buf_putc(out, '\n');
    }
    rc = sp_buf_check(out);
  }
  enc_free_(&e);
  return rc;
}

int sp_json_encode_vec(const sp_vec *in, const sp_format_opts *opts, sp_vec **out, spate_error *err) {
  *out = NULL;
  if (in->type->id != SP_STRUCT && in->type->id != SP_ARRAY)
    return spate_error_set(err, SPATE_EINVAL, "to_json needs a STRUCT or ARRAY input");
  jenc_ e;
  int rc = enc_init_(&e, opts);
  if (rc) {
    enc_free_(&e);
    return spate_error_set(err, rc, "to_json: invalid time zone or datetime pattern");
  }
  sp_vec *res = sp_vec_new(sp_type_prim(SP_STRING), in->length);
  sp_buf tmp;
  sp_buf_init(&tmp);
  if (!res) {
    enc_free_(&e);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory in to_json");
  }
  for (int64_t i = 0; i < in->length; i++) {
    if (sp_vec_is_null(in, i)) {
      sp_vec_append_null(res);
      continue;
    }
    sp_buf_reset(&tmp);
    put_value_(&e, in, i, &tmp);
    sp_vec_append_str(res, tmp.data, (int32_t)tmp.len);
  }
  if (tmp.failed || sp_vec_check(res)) {
    rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in to_json");
    sp_vec_free(res);
    res = NULL;
  }
  sp_buf_free(&tmp);
  enc_free_(&e);
  *out = res;
  return rc;
}
