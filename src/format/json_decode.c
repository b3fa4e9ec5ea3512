/*
 * json_decode.c - newline-delimited JSON and from_json into columnar vectors.
 *
 * Each line is parsed by simdjson (one reused parser per call, lines parsed in place
 * when at least SP_JSIMD_PADDING bytes follow them in the buffer) and its tape is
 * walked together with a precompiled plan of the target schema, appending values
 * straight into the target vectors. Spark's JacksonParser semantics (3.4+ defaults,
 * spark.sql.json.enablePartialResults=true, enableExactStringParsing=true):
 *   - field names match exactly (case-sensitive); unknown fields are skipped; a
 *     repeated key keeps its last value;
 *   - a value of the wrong type makes that field NULL and the record "partial":
 *     PERMISSIVE keeps the row (and stores the line in the corrupt-record column),
 *     DROPMALFORMED drops it, FAILFAST fails; a wrong element in an array of
 *     scalars makes the whole array NULL; structs inside arrays keep partial values;
 *   - an unparsable line, or a root that is not an object (or an array of objects),
 *     is malformed: PERMISSIVE gives an all-NULL row (+ corrupt text);
 *   - a non-string value for a STRING field is stored as its exact JSON text.
 * Invariants: after every record all target columns have the same length (partial
 * appends are rolled back with sp_fmt_vec_truncate); nothing is allocated per row
 * except amortised vector growth; the plan is arena-allocated once per call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/datetime.h"
#include "common/valfmt.h"
#include "format/format_internal.h"
#include "format/json_simd.h"

/* ------------------------------------------------------------------ plan */

typedef struct jnode_ jnode_;

typedef struct jfield_ {
  const char *name;
  uint32_t len;
  jnode_ *node; /* NULL: field is not filled from JSON (corrupt-record column) */
} jfield_;

struct jnode_ {
  const sp_type *type;
  sp_type_id id;
  /* STRUCT */
  int nfields;
  jfield_ *fields;
  uint32_t *pos;  /* per field: tape index of its value in the current object, 0 = absent */
  int32_t *hint;  /* field index matched at key position k last time (-1 = none) */
  int nhint;
  int32_t *ht;    /* open addressing: field index + 1, 0 = empty */
  uint32_t htmask;
  /* ARRAY */
  jnode_ *elem;
};

static uint32_t name_hash_(const char *s, uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static jnode_ *plan_build_(sp_arena *a, const sp_type *t, int skip_field, const bool *prune) {
  jnode_ *n = sp_arena_alloc(a, sizeof *n);
  if (!n) return NULL;
  n->type = t;
  n->id = t->id;
  if (t->id == SP_STRUCT) {
    n->nfields = t->nfields;
    int nf = t->nfields ? t->nfields : 1;
    n->fields = sp_arena_alloc(a, sizeof *n->fields * (size_t)nf);
    n->pos = sp_arena_alloc(a, sizeof *n->pos * (size_t)nf);
    n->nhint = nf * 2 < 16 ? 16 : nf * 2;
    n->hint = sp_arena_alloc(a, sizeof *n->hint * (size_t)n->nhint);
    uint32_t cap = 4;
    while (cap < (uint32_t)nf * 2) cap <<= 1;
    n->htmask = cap - 1;
    n->ht = sp_arena_alloc(a, sizeof *n->ht * cap);
    if (!n->fields || !n->pos || !n->hint || !n->ht) return NULL;
    for (int k = 0; k < n->nhint; k++) n->hint[k] = -1;
    for (int i = 0; i < t->nfields; i++) {
      jfield_ *f = &n->fields[i];
      f->name = t->fields[i].name;
      f->len = (uint32_t)strlen(f->name);
      if (i == skip_field || (prune && prune[i])) continue;
      f->node = plan_build_(a, t->fields[i].type, -1, NULL);
      if (!f->node) return NULL;
      uint32_t h = name_hash_(f->name, f->len) & n->htmask;
      while (n->ht[h]) h = (h + 1) & n->htmask;
      n->ht[h] = i + 1;
    }
  } else if (t->id == SP_ARRAY) {
    n->elem = plan_build_(a, t->elem, -1, NULL);
    if (!n->elem) return NULL;
  }
  return n;
}

static int lookup_slow_(const jnode_ *n, const char *k, uint32_t kl) {
  uint32_t h = name_hash_(k, kl) & n->htmask;
  while (n->ht[h]) {
    const jfield_ *f = &n->fields[n->ht[h] - 1];
    if (f->len == kl && memcmp(f->name, k, kl) == 0) return n->ht[h] - 1;
    h = (h + 1) & n->htmask;
  }
  return -1;
}

static inline int lookup_(jnode_ *n, const char *k, uint32_t kl, int keypos) {
  if (keypos < n->nhint) {
    int f = n->hint[keypos];
    if (f >= 0 && n->fields[f].len == kl && memcmp(n->fields[f].name, k, kl) == 0) return f;
    f = lookup_slow_(n, k, kl);
    n->hint[keypos] = f;
    return f;
  }
  return lookup_slow_(n, k, kl);
}

/* ------------------------------------------------------------------ decoder state */

typedef struct jdec_ {
  sp_jsimd *js;
  const uint64_t *tape;
  const uint8_t *strs;
  const char *text; /* the current document's raw text */
  size_t text_len;
  const sp_format_opts *opts;
  sp_tz *tz;
  sp_dtfmt *ts_fmt;   /* NULL: Spark's lenient default */
  sp_dtfmt *date_fmt; /* NULL: lenient yyyy-MM-dd */
  sp_buf scratch;
  bool want_msg;
  bool has_msg;
  char msg[512];
} jdec_;

static const char *token_name_(char t) {
  switch (t) {
    case '{': return "START_OBJECT";
    case '[': return "START_ARRAY";
    case '"': return "VALUE_STRING";
    case 'l':
    case 'u': return "VALUE_NUMBER_INT";
    case 'd': return "VALUE_NUMBER_FLOAT";
    case 't': return "VALUE_TRUE";
    case 'f': return "VALUE_FALSE";
    default: return "VALUE_NULL";
  }
}

/* ---- exact JSON text of a tape value (for STRING fields and messages) ---- */

static size_t json_string_end_(const char *s, size_t n, size_t p) {
  p++; /* opening quote */
  while (p < n) {
    if (s[p] == '\\') {
      p += 2;
      continue;
    }
    if (s[p] == '"') return p + 1;
    p++;
  }
  return n;
}

static size_t json_scalar_end_(const char *s, size_t n, size_t p) {
  while (p < n) {
    char c = s[p];
    if (c == ',' || c == '}' || c == ']' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r') break;
    p++;
  }
  return p;
}

static size_t json_value_end_(const char *s, size_t n, size_t p) {
  char c = s[p];
  if (c == '"') return json_string_end_(s, n, p);
  if (c != '{' && c != '[') return json_scalar_end_(s, n, p);
  int depth = 0;
  while (p < n) {
    c = s[p];
    if (c == '"') {
      p = json_string_end_(s, n, p);
      continue;
    }
    if (c == '{' || c == '[') depth++;
    if (c == '}' || c == ']') {
      if (--depth == 0) return p + 1;
    }
    p++;
  }
  return n;
}

/* Byte span of the tape value at idx within the document text (the tape and the text
 * list tokens in the same order: braces, brackets, keys and scalars). */
static bool raw_span_(const jdec_ *d, uint32_t idx, size_t *start, size_t *end) {
  uint32_t ord = 0;
  for (uint32_t i = 1; i < idx;) {
    char t = SP_TAPE_TYPE(d->tape[i]);
    i += (t == 'l' || t == 'u' || t == 'd') ? 2 : 1;
    ord++;
  }
  const char *s = d->text;
  size_t n = d->text_len, p = 0;
  uint32_t k = 0;
  for (;;) {
    while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r' || s[p] == ',' || s[p] == ':'))
      p++;
    if (p >= n) return false;
    if (k == ord) {
      *start = p;
      *end = json_value_end_(s, n, p);
      return true;
    }
    char c = s[p];
    if (c == '{' || c == '}' || c == '[' || c == ']')
      p++;
    else if (c == '"')
      p = json_string_end_(s, n, p);
    else
      p = json_scalar_end_(s, n, p);
    k++;
  }
}

static void fail_msg_(jdec_ *d, const jnode_ *n, uint32_t idx, const char *fname) {
  if (!d->want_msg || d->has_msg) return;
  d->has_msg = true;
  char ty[160];
  sp_fmt_sql_type(n->type, ty, sizeof ty);
  size_t a = 0, b = 0;
  char val[96];
  if (raw_span_(d, idx, &a, &b)) {
    size_t l = b - a;
    if (l > sizeof val - 4) l = sizeof val - 4;
    memcpy(val, d->text + a, l);
    val[l] = '\0';
  } else {
    val[0] = '\0';
  }
  char t = SP_TAPE_TYPE(d->tape[idx]);
  if (t == '"') {
    uint32_t sl;
    sp_tape_str(d->tape, d->strs, idx, &sl);
    if (sl == 0) {
      snprintf(d->msg, sizeof d->msg, "Failed to parse an empty string for data type %s.", ty);
      return;
    }
  }
  snprintf(d->msg, sizeof d->msg,
           "Cannot parse the field name '%s' and the value %s of the JSON token type %s to target Spark data type "
           "\"%s\".",
           fname ? fname : "", val, token_name_(t), ty);
}

/* ------------------------------------------------------------------ conversion */

enum { CONV_OK = 0, CONV_PARTIAL = 1, CONV_FAIL = -1 };

static int conv_(jdec_ *d, jnode_ *n, sp_vec *v, uint32_t idx, const char *fname);

/* Fill the fields of an object at tape index idx into cols[0..nfields) (skipping
 * fields without a plan node). Returns CONV_OK or CONV_PARTIAL. */
static int conv_fields_(jdec_ *d, jnode_ *n, sp_vec **cols, uint32_t idx) {
  const uint64_t *tape = d->tape;
  uint32_t end = (uint32_t)SP_TAPE_PAYLOAD(tape[idx]) - 1; /* index of '}' */
  uint32_t i = idx + 1;
  int keypos = 0;
  while (i < end) {
    uint32_t kl;
    const char *k = sp_tape_str(tape, d->strs, i, &kl);
    int f = lookup_(n, k, kl, keypos);
    if (f >= 0) n->pos[f] = i + 1;
    i = sp_tape_skip(tape, i + 1);
    keypos++;
  }
  int status = CONV_OK;
  for (int f = 0; f < n->nfields; f++) {
    jfield_ *fd = &n->fields[f];
    if (!fd->node) continue;
    sp_vec *c = cols[f];
    uint32_t p = n->pos[f];
    if (!p) {
      sp_vec_append_null(c);
      continue;
    }
    n->pos[f] = 0;
    int64_t len0 = c->length;
    int r = conv_(d, fd->node, c, p, fd->name);
    if (r == CONV_FAIL) {
      sp_fmt_vec_truncate(c, len0);
      sp_vec_append_null(c);
      status = CONV_PARTIAL;
    } else if (r == CONV_PARTIAL) {
      status = CONV_PARTIAL;
    }
  }
  return status;
}

static bool parse_ts_(jdec_ *d, const char *s, uint32_t len, int64_t *us) {
  if (d->ts_fmt) return sp_dtfmt_parse(d->ts_fmt, s, len, d->tz, us) == 0;
  return sp_timestamp_parse_default(s, len, d->tz, us) == 0;
}

static bool parse_date_(jdec_ *d, const char *s, uint32_t len, int32_t *days) {
  if (d->date_fmt) return sp_dtfmt_parse_date(d->date_fmt, s, len, days) == 0;
  if (sp_date_parse_default(s, len, days) == 0) return true;
  /* Spark 1.5 stored days since epoch as a string */
  if (len == 0 || len > 10) return false;
  int64_t v = 0;
  uint32_t k = 0;
  bool neg = s[0] == '-';
  if (neg) k++;
  if (k == len) return false;
  for (; k < len; k++) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
  }
  if (neg) v = -v;
  if (v < INT32_MIN || v > INT32_MAX) return false;
  *days = (int32_t)v;
  return true;
}

static int conv_(jdec_ *d, jnode_ *n, sp_vec *v, uint32_t idx, const char *fname) {
  const uint64_t *tape = d->tape;
  char t = SP_TAPE_TYPE(tape[idx]);
  if (t == 'n') {
    sp_vec_append_null(v);
    return CONV_OK;
  }
  switch (n->id) {
    case SP_NULL: sp_vec_append_null(v); return CONV_OK;
    case SP_BOOLEAN:
      if (t == 't' || t == 'f') {
        sp_vec_append_bool(v, t == 't');
        return CONV_OK;
      }
      break;
    case SP_INT:
      if (t == 'l') {
        int64_t x = sp_tape_i64(tape, idx);
        if (x >= INT32_MIN && x <= INT32_MAX) {
          sp_vec_append_i32(v, (int32_t)x);
          return CONV_OK;
        }
      }
      break;
    case SP_BIGINT:
      if (t == 'l') {
        sp_vec_append_i64(v, sp_tape_i64(tape, idx));
        return CONV_OK;
      }
      break;
    case SP_DOUBLE:
      if (t == 'd') {
        sp_vec_append_f64(v, sp_tape_f64(tape, idx));
        return CONV_OK;
      }
      if (t == 'l') {
        sp_vec_append_f64(v, (double)sp_tape_i64(tape, idx));
        return CONV_OK;
      }
      if (t == 'u') {
        sp_vec_append_f64(v, (double)sp_tape_u64(tape, idx));
        return CONV_OK;
      }
      if (t == '"') {
        uint32_t sl;
        const char *s = sp_tape_str(tape, d->strs, idx, &sl);
        double x;
        if (sl == 3 && memcmp(s, "NaN", 3) == 0) x = (double)NAN;
        else if ((sl == 8 && memcmp(s, "Infinity", 8) == 0) || (sl == 9 && memcmp(s, "+Infinity", 9) == 0) ||
                 (sl == 4 && memcmp(s, "+INF", 4) == 0))
          x = (double)INFINITY;
        else if ((sl == 9 && memcmp(s, "-Infinity", 9) == 0) || (sl == 4 && memcmp(s, "-INF", 4) == 0))
          x = -(double)INFINITY;
        else
          break;
        sp_vec_append_f64(v, x);
        return CONV_OK;
      }
      break;
    case SP_STRING:
      if (t == '"') {
        uint32_t sl;
        const char *s = sp_tape_str(tape, d->strs, idx, &sl);
        sp_vec_append_str(v, s, (int32_t)sl);
        return CONV_OK;
      } else {
        size_t a, b;
        if (!raw_span_(d, idx, &a, &b)) break;
        sp_vec_append_str(v, d->text + a, (int32_t)(b - a));
        return CONV_OK;
      }
    case SP_BINARY:
      if (t == '"') {
        uint32_t sl;
        const char *s = sp_tape_str(tape, d->strs, idx, &sl);
        if (sp_fmt_base64_decode(s, sl, &d->scratch) != 0 || d->scratch.failed) break;
        sp_vec_append_str(v, d->scratch.data, (int32_t)d->scratch.len);
        return CONV_OK;
      }
      break;
    case SP_TIMESTAMP:
      if (t == '"') {
        uint32_t sl;
        const char *s = sp_tape_str(tape, d->strs, idx, &sl);
        int64_t us;
        if (sl > 0 && parse_ts_(d, s, sl, &us)) {
          sp_vec_append_i64(v, us);
          return CONV_OK;
        }
      } else if (t == 'l') {
        int64_t us;
        if (!__builtin_mul_overflow(sp_tape_i64(tape, idx), (int64_t)1000000, &us)) {
          sp_vec_append_i64(v, us);
          return CONV_OK;
        }
      }
      break;
    case SP_DATE:
      if (t == '"') {
        uint32_t sl;
        const char *s = sp_tape_str(tape, d->strs, idx, &sl);
        int32_t days;
        if (sl > 0 && parse_date_(d, s, sl, &days)) {
          sp_vec_append_i32(v, days);
          return CONV_OK;
        }
      }
      break;
    case SP_STRUCT:
      if (t == '{') {
        int r = conv_fields_(d, n, v->children, idx);
        sp_vec_struct_append(v, true);
        return r;
      }
      break;
    case SP_ARRAY:
      if (t == '[') {
        uint32_t end = (uint32_t)SP_TAPE_PAYLOAD(tape[idx]) - 1;
        sp_vec *ev = v->children[0];
        int status = CONV_OK;
        for (uint32_t i = idx + 1; i < end; i = sp_tape_skip(tape, i)) {
          int r = conv_(d, n->elem, ev, i, fname);
          if (r == CONV_FAIL) return CONV_FAIL;
          if (r == CONV_PARTIAL) status = CONV_PARTIAL;
        }
        sp_vec_array_close(v, true);
        return status;
      }
      break;
    default: break;
  }
  fail_msg_(d, n, idx, fname);
  return CONV_FAIL;
}

/* ------------------------------------------------------------------ documents */

enum { DOC_OK, DOC_PARTIAL, DOC_MALFORMED, DOC_BLANK };

static bool blank_(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
  return true;
}

/* Parse one document and append its rows (root object: one row; root array of
 * objects when allow_array: one row per element) to cols. On DOC_MALFORMED nothing
 * is appended (*perr holds the simdjson error code, or 0 for a wrong root). */
static int decode_doc_(jdec_ *d, jnode_ *root, sp_vec **cols, int ncols, const char *text, size_t len,
                       bool padded, bool allow_array, int64_t *rows, int *perr) {
  *rows = 0;
  *perr = 0;
  if (blank_(text, len)) return DOC_BLANK;
  d->text = text;
  d->text_len = len;
  int e = sp_jsimd_parse(d->js, text, len, padded, &d->tape, &d->strs);
  if (e) {
    *perr = e;
    return DOC_MALFORMED;
  }
  char t = SP_TAPE_TYPE(d->tape[1]);
  if (t == '{') {
    int r = conv_fields_(d, root, cols, 1);
    *rows = 1;
    return r == CONV_PARTIAL ? DOC_PARTIAL : DOC_OK;
  }
  if (t == '[' && allow_array) {
    uint32_t end = (uint32_t)SP_TAPE_PAYLOAD(d->tape[1]) - 1;
    int status = DOC_OK;
    int64_t n = 0;
    int64_t base = 0;
    for (int c = 0; c < ncols; c++)
      if (root->fields[c].node) {
        base = cols[c]->length;
        break;
      }
    for (uint32_t i = 2; i < end; i = sp_tape_skip(d->tape, i)) {
      if (SP_TAPE_TYPE(d->tape[i]) != '{') {
        if (d->want_msg && !d->has_msg) {
          d->has_msg = true;
          snprintf(d->msg, sizeof d->msg, "Failed to parse an array element of JSON token type %s as a row.",
                   token_name_(SP_TAPE_TYPE(d->tape[i])));
        }
        for (int c = 0; c < ncols; c++)
          if (root->fields[c].node) sp_fmt_vec_truncate(cols[c], base);
        return DOC_MALFORMED;
      }
      if (conv_fields_(d, root, cols, i) == CONV_PARTIAL) status = DOC_PARTIAL;
      n++;
    }
    *rows = n;
    return status;
  }
  if (d->want_msg && !d->has_msg) {
    d->has_msg = true;
    if (t == 'n')
      snprintf(d->msg, sizeof d->msg, "The root JSON value is null.");
    else
      snprintf(d->msg, sizeof d->msg, "Failed to parse a root value of JSON token type %s as a row.",
               token_name_(t));
  }
  return DOC_MALFORMED;
}

static int dec_init_(jdec_ *d, const sp_format_opts *opts, spate_error *err) {
  memset(d, 0, sizeof *d);
  sp_buf_init(&d->scratch);
  d->opts = opts;
  d->want_msg = opts->mode == SP_MODE_FAILFAST;
  d->js = sp_jsimd_new();
  if (!d->js) return spate_error_set(err, SPATE_ENOMEM, "out of memory creating the JSON parser");
  if (opts->timezone && *opts->timezone && strcmp(opts->timezone, "UTC") != 0) {
    d->tz = sp_tz_open(opts->timezone);
    if (!d->tz) return spate_error_set(err, SPATE_EINVAL, "Invalid time zone: %s", opts->timezone);
  }
  if (opts->timestamp_format) {
    d->ts_fmt = sp_dtfmt_compile(opts->timestamp_format);
    if (!d->ts_fmt)
      return spate_error_set(err, SPATE_EINVAL, "Invalid timestampFormat pattern: %s", opts->timestamp_format);
  }
  if (opts->date_format) {
    d->date_fmt = sp_dtfmt_compile(opts->date_format);
    if (!d->date_fmt) return spate_error_set(err, SPATE_EINVAL, "Invalid dateFormat pattern: %s", opts->date_format);
  }
  return 0;
}

static void dec_free_(jdec_ *d) {
  sp_jsimd_free(d->js);
  sp_tz_close(d->tz);
  sp_dtfmt_free(d->ts_fmt);
  sp_dtfmt_free(d->date_fmt);
  sp_buf_free(&d->scratch);
}

static const char *FAILFAST_PREFIX = "Malformed records are detected in record parsing. Parse Mode: FAILFAST.";

int sp_json_decode_lines(const char *buf, size_t len, const sp_format_opts *opts, const char *source_name,
                         int64_t first_line, sp_batch *out, sp_decode_stats *stats, spate_error *err) {
  sp_format_opts defopts;
  if (!opts) {
    sp_format_opts_default(&defopts);
    opts = &defopts;
  }
  if (!out || !out->schema || out->schema->id != SP_STRUCT)
    return spate_error_set(err, SPATE_EINVAL, "JSON decoding needs a STRUCT target schema");
  jdec_ d;
  int rc = dec_init_(&d, opts, err);
  sp_arena arena;
  sp_arena_init(&arena, 16384);
  if (rc) goto done;
  int corrupt = sp_fmt_corrupt_index(out->schema, opts);
  const bool *prune = opts->prune;
  jnode_ *root = plan_build_(&arena, out->schema, corrupt, prune);
  if (!root) {
    rc = spate_error_set(err, SPATE_ENOMEM, "out of memory building the JSON plan");
    goto done;
  }
  int ncols = out->ncols;
  sp_vec **cols = out->cols;
  int64_t cur = out->nrows;
  for (int c = 0; c < ncols; c++)
    if (!(prune && prune[c] && c != corrupt)) {
      cur = cols[c]->length;
      break;
    }
#define PRUNED_(c) (prune && prune[c] && (c) != corrupt)
  /* reserve top-level columns for the expected number of lines (from the first line) */
  {
    const char *q = memchr(buf, '\n', len);
    size_t first = q ? (size_t)(q - buf) + 1 : len;
    int64_t est = (int64_t)(len / (first ? first : 1)) + 1;
    if (est > (int64_t)(len / 16) + 1) est = (int64_t)(len / 16) + 1;
    if (est > (1 << 22)) est = 1 << 22;
    for (int c = 0; c < ncols; c++)
      if (!PRUNED_(c)) sp_vec_reserve(cols[c], est);
  }
  const char *source = source_name ? source_name : "<unknown>";
  int64_t lineno = first_line > 0 ? first_line : 1;
  const char *p = buf, *end = buf + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    size_t ll = (size_t)(le - p);
    if (ll && p[ll - 1] == '\r') ll--;
    bool padded = (size_t)(end - p) >= ll + SP_JSIMD_PADDING;
    int64_t rows;
    int perr;
    d.has_msg = false;
    int st = decode_doc_(&d, root, cols, ncols, p, ll, padded, true, &rows, &perr);
    if (st != DOC_BLANK) {
      if (stats) stats->records++;
      if (st == DOC_OK) {
        if (corrupt >= 0)
          for (int64_t r = 0; r < rows; r++) sp_vec_append_null(cols[corrupt]);
        cur += rows;
      } else {
        if (stats) stats->malformed++;
        if (perr == sp_jsimd_err_memalloc()) {
          rc = spate_error_set(err, SPATE_ENOMEM, "out of memory parsing JSON at %s:%lld", source,
                               (long long)lineno);
          goto done;
        }
        if (opts->mode == SP_MODE_FAILFAST) {
          if (st == DOC_PARTIAL)
            for (int c = 0; c < ncols; c++)
              if (c != corrupt && !PRUNED_(c)) sp_fmt_vec_truncate(cols[c], cur);
          rc = spate_error_set(err, SPATE_EMALFORMED, "%s %s:%lld: %s", FAILFAST_PREFIX, source, (long long)lineno,
                               perr ? sp_jsimd_errmsg(perr) : d.has_msg ? d.msg : "malformed record");
          goto done;
        }
        if (opts->mode == SP_MODE_DROPMALFORMED) {
          if (st == DOC_PARTIAL)
            for (int c = 0; c < ncols; c++)
              if (c != corrupt && !PRUNED_(c)) sp_fmt_vec_truncate(cols[c], cur);
        } else if (st == DOC_PARTIAL) {
          if (corrupt >= 0)
            for (int64_t r = 0; r < rows; r++) sp_vec_append_str(cols[corrupt], p, (int32_t)ll);
          cur += rows;
        } else {
          for (int c = 0; c < ncols; c++) {
            if (c == corrupt)
              sp_vec_append_str(cols[c], p, (int32_t)ll);
            else if (!PRUNED_(c))
              sp_vec_append_null(cols[c]);
          }
          cur++;
        }
      }
    }
    p = nl ? nl + 1 : end;
    lineno++;
  }
  if (stats) stats->bytes += (int64_t)len;
  /* Pruned columns: null, and lazily zeroed (see sp_vec_new_nulls). */
  for (int c = 0; c < ncols; c++) {
    if (!PRUNED_(c) || cols[c]->length == cur) continue;
    sp_vec *nv = sp_vec_new_nulls(cols[c]->type, cur);
    if (!nv) {
      rc = spate_error_set(err, SPATE_ENOMEM, "out of memory decoding JSON");
      goto done;
    }
    sp_vec_free(cols[c]);
    cols[c] = nv;
  }
#undef PRUNED_
  out->nrows = cur;
  if (sp_batch_check(out) || d.scratch.failed) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory decoding JSON");
done:
  sp_arena_release(&arena);
  dec_free_(&d);
  return rc;
}

int sp_json_decode_vec(const sp_vec *in, sp_type *type, const sp_format_opts *opts, sp_vec **out,
                       spate_error *err) {
  sp_format_opts defopts;
  if (!opts) {
    sp_format_opts_default(&defopts);
    opts = &defopts;
  }
  *out = NULL;
  if (!in || (in->type->id != SP_STRING && in->type->id != SP_BINARY))
    return spate_error_set(err, SPATE_EINVAL, "from_json needs a STRING or BINARY input");
  if (!type || (type->id != SP_STRUCT && type->id != SP_ARRAY))
    return spate_error_set(err, SPATE_EUNSUPPORTED, "from_json supports STRUCT and ARRAY schemas");
  if (opts->mode == SP_MODE_DROPMALFORMED)
    return spate_error_set(err, SPATE_EINVAL,
                           "from_json() doesn't support the DROPMALFORMED mode. Acceptable modes are PERMISSIVE and "
                           "FAILFAST.");
  jdec_ d;
  sp_arena arena;
  sp_arena_init(&arena, 8192);
  sp_vec *res = NULL;
  int rc = dec_init_(&d, opts, err);
  if (rc) goto done;
  int corrupt = type->id == SP_STRUCT ? sp_fmt_corrupt_index(type, opts) : -1;
  jnode_ *root = plan_build_(&arena, type, corrupt, NULL);
  res = sp_vec_new(type, in->length);
  if (!root || !res) {
    rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in from_json");
    goto done;
  }
  for (int64_t i = 0; i < in->length; i++) {
    if (sp_vec_is_null(in, i)) {
      if (type->id == SP_ARRAY)
        sp_vec_array_close(res, false);
      else
        sp_vec_append_null(res);
      continue;
    }
    int32_t sl;
    const char *s = sp_vec_str(in, i, &sl);
    /* rows are in one chars buffer: in place when SP_JSIMD_PADDING bytes follow */
    bool padded = (int64_t)(s - in->chars) + sl + SP_JSIMD_PADDING <= in->chars_cap;
    d.has_msg = false;
    int st, perr = 0;
    if (type->id == SP_STRUCT) {
      int64_t rows;
      st = decode_doc_(&d, root, res->children, res->nchildren, s, (size_t)sl, padded, false, &rows, &perr);
      if (st == DOC_BLANK) {
        sp_vec_append_null(res);
        continue;
      }
      if (st == DOC_MALFORMED && opts->mode != SP_MODE_FAILFAST) {
        for (int c = 0; c < res->nchildren; c++)
          if (c != corrupt) sp_vec_append_null(res->children[c]);
      }
      if (corrupt >= 0 && (st != DOC_MALFORMED || opts->mode != SP_MODE_FAILFAST)) {
        if (st == DOC_OK)
          sp_vec_append_null(res->children[corrupt]);
        else
          sp_vec_append_str(res->children[corrupt], s, sl);
      }
      if (st != DOC_MALFORMED || opts->mode != SP_MODE_FAILFAST) sp_vec_struct_append(res, true);
    } else {
      if (blank_(s, (size_t)sl)) {
        sp_vec_array_close(res, false);
        continue;
      }
      d.text = s;
      d.text_len = (size_t)sl;
      perr = sp_jsimd_parse(d.js, s, (size_t)sl, padded, &d.tape, &d.strs);
      st = DOC_MALFORMED;
      if (!perr) {
        char t = SP_TAPE_TYPE(d.tape[1]);
        int64_t len0 = res->length;
        int r = CONV_FAIL;
        if (t == '[') {
          r = conv_(&d, root, res, 1, NULL);
        } else if (t == '{' && type->elem->id == SP_STRUCT) {
          sp_vec *ev = res->children[0];
          r = conv_(&d, root->elem, ev, 1, NULL);
          if (r != CONV_FAIL) sp_vec_array_close(res, true);
        } else {
          fail_msg_(&d, root, 1, NULL);
        }
        if (r == CONV_FAIL) {
          sp_fmt_vec_truncate(res, len0);
        }
        st = r == CONV_FAIL ? DOC_MALFORMED : r == CONV_PARTIAL ? DOC_PARTIAL : DOC_OK;
      }
      if (st == DOC_MALFORMED && opts->mode != SP_MODE_FAILFAST) sp_vec_array_close(res, false);
    }
    if (perr == sp_jsimd_err_memalloc()) {
      rc = spate_error_set(err, SPATE_ENOMEM, "out of memory parsing JSON");
      goto done;
    }
    if (st != DOC_OK && opts->mode == SP_MODE_FAILFAST) {
      rc = spate_error_set(err, SPATE_EMALFORMED, "%s row %lld: %s", FAILFAST_PREFIX, (long long)i,
                           perr ? sp_jsimd_errmsg(perr) : d.has_msg ? d.msg : "malformed record");
      goto done;
    }
  }
  if (sp_vec_check(res) || d.scratch.failed) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory in from_json");
done:
  sp_arena_release(&arena);
  dec_free_(&d);
  if (rc) {
    sp_vec_free(res);
    return rc;
  }
  *out = res;
  return 0;
}
