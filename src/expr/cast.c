/*
 * cast.c - Spark's non-ANSI CAST between every pair of supported types, over whole
 * vectors (also exported as sp_cast_vec for sources and sinks).
 *
 * Rules (Spark 3.5, spark.sql.ansi.enabled=false): invalid string -> number / date /
 * timestamp / boolean gives NULL; double -> int/bigint truncates toward zero and
 * saturates (NaN -> 0), as Java's (long)/(int) casts; bigint -> int wraps; numeric ->
 * timestamp is seconds since the epoch and timestamp -> numeric is seconds; boolean
 * <-> numeric is 1/0; string <-> binary copies the bytes; anything -> string renders
 * as sp_format_value does (CAST(x AS STRING)); structs and arrays cast field- and
 * element-wise. Invariant: the result always has in->length rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "common/valfmt.h"
#include "expr/expr_internal.h"

#define US_PER_SEC 1000000LL

int64_t sp_d2l(double d) {
  if (d != d) return 0;
  if (d >= 9223372036854775807.0) return INT64_MAX;
  if (d <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)d;
}

int32_t sp_d2i(double d) {
  if (d != d) return 0;
  if (d >= 2147483647.0) return INT32_MAX;
  if (d <= -2147483648.0) return INT32_MIN;
  return (int32_t)d;
}

/* Whitespace or ISO control (UTF8String.trimAll / toLong trimming). */
static inline bool ws_ctl_(unsigned char c) { return c <= 0x20 || c == 0x7f; }

static void trim_all_(const char **s, int32_t *len) {
  const char *p = *s;
  int32_t n = *len;
  while (n > 0 && ws_ctl_((unsigned char)p[0])) {
    p++;
    n--;
  }
  while (n > 0 && ws_ctl_((unsigned char)p[n - 1])) n--;
  *s = p;
  *len = n;
}

bool sp_str_to_i64(const char *s, int32_t len, int64_t *v) {
  trim_all_(&s, &len);
  if (len == 0) return false;
  int32_t off = 0;
  bool neg = s[0] == '-';
  if (neg || s[0] == '+') {
    off++;
    if (len == 1) return false;
  }
  const int64_t stop = INT64_MIN / 10;
  int64_t result = 0; /* accumulated negatively, as UTF8String.toLong */
  while (off < len) {
    char b = s[off++];
    if (b == '.') break;
    if (b < '0' || b > '9') return false;
    int digit = b - '0';
    if (result < stop) return false;
    if (__builtin_mul_overflow(result, 10, &result) || __builtin_sub_overflow(result, digit, &result))
      return false;
  }
  while (off < len) {
    char b = s[off++];
    if (b < '0' || b > '9') return false;
  }
  if (!neg) {
    if (result == INT64_MIN) return false;
    result = -result;
  }
  *v = result;
  return true;
}

bool sp_str_to_i32(const char *s, int32_t len, int32_t *v) {
  int64_t x;
  if (!sp_str_to_i64(s, len, &x)) return false;
  if (x < INT32_MIN || x > INT32_MAX) return false;
  *v = (int32_t)x;
  return true;
}

/* Java Double.parseDouble grammar (decimal only) after trimming chars <= ' ';
 * then Spark's special literals (inf, infinity, nan, case-insensitive). */
bool sp_str_to_f64(const char *s, int32_t len, double *v) {
  while (len > 0 && (unsigned char)s[0] <= ' ') {
    s++;
    len--;
  }
  while (len > 0 && (unsigned char)s[len - 1] <= ' ') len--;
  if (len == 0) return false;
  int32_t i = 0;
  if (s[i] == '+' || s[i] == '-') i++;
  /* Java literals NaN / Infinity (case-sensitive) */
  if (len - i == 3 && memcmp(s + i, "NaN", 3) == 0) {
    *v = NAN;
    return true;
  }
  if (len - i == 8 && memcmp(s + i, "Infinity", 8) == 0) {
    *v = s[0] == '-' ? -INFINITY : INFINITY;
    return true;
  }
  int32_t digits = 0, j = i;
  while (j < len && s[j] >= '0' && s[j] <= '9') {
    j++;
    digits++;
  }
  if (j < len && s[j] == '.') {
    j++;
    while (j < len && s[j] >= '0' && s[j] <= '9') {
      j++;
      digits++;
    }
  }
  bool ok = digits > 0;
  if (ok && j < len && (s[j] == 'e' || s[j] == 'E')) {
    j++;
    if (j < len && (s[j] == '+' || s[j] == '-')) j++;
    int32_t ed = 0;
    while (j < len && s[j] >= '0' && s[j] <= '9') {
      j++;
      ed++;
    }
    if (ed == 0) ok = false;
  }
  int32_t end = j;
  if (ok && j < len && (s[j] == 'd' || s[j] == 'D' || s[j] == 'f' || s[j] == 'F')) j++;
  if (ok && j == len) {
    char stackbuf[128];
    char *buf = end < (int32_t)sizeof stackbuf ? stackbuf : malloc((size_t)end + 1);
    if (!buf) return false;
    memcpy(buf, s, (size_t)end);
    buf[end] = 0;
    double d = strtod(buf, NULL);
    bool is_f = j > end && (s[end] == 'f' || s[end] == 'F');
    if (is_f) d = (double)(float)d;
    if (buf != stackbuf) free(buf);
    *v = d;
    return true;
  }
  /* Spark's special floating point literals. */
  char low[16];
  if (len < (int32_t)sizeof low) {
    for (int32_t k = 0; k < len; k++) {
      char c = s[k];
      low[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    low[len] = 0;
    if (!strcmp(low, "inf") || !strcmp(low, "+inf") || !strcmp(low, "infinity") || !strcmp(low, "+infinity")) {
      *v = INFINITY;
      return true;
    }
    if (!strcmp(low, "-inf") || !strcmp(low, "-infinity")) {
      *v = -INFINITY;
      return true;
    }
    if (!strcmp(low, "nan")) {
      *v = NAN;
      return true;
    }
  }
  return false;
}

bool sp_str_to_bool(const char *s, int32_t len, bool *v) {
  trim_all_(&s, &len);
  static const char *const t[] = {"t", "true", "y", "yes", "1"};
  static const char *const f[] = {"f", "false", "n", "no", "0"};
  for (int i = 0; i < 5; i++) {
    if ((int32_t)strlen(t[i]) == len && strncasecmp(s, t[i], (size_t)len) == 0) {
      *v = true;
      return true;
    }
    if ((int32_t)strlen(f[i]) == len && strncasecmp(s, f[i], (size_t)len) == 0) {
      *v = false;
      return true;
    }
  }
  return false;
}

/* Spark's stringToDate: [+-]yyyy[y..], yyyy-[m]m, yyyy-[m]m-[d]d, followed by nothing,
 * ' ' or 'T' and anything. */
bool sp_str_to_date(const char *s, int32_t len, int32_t *days) {
  trim_all_(&s, &len);
  if (len == 0) return false;
  int32_t i = 0;
  int sign = 1;
  if (s[0] == '-' || s[0] == '+') {
    sign = s[0] == '-' ? -1 : 1;
    i++;
  }
  int64_t seg[3] = {0, 1, 1};
  int nseg = 0, nd = 0;
  int64_t cur = 0;
  for (; i < len; i++) {
    char c = s[i];
    if (nseg < 2 && c == '-') {
      if (nseg == 0 ? (nd < 4 || nd > 7) : (nd < 1 || nd > 2)) return false;
      seg[nseg++] = cur;
      cur = 0;
      nd = 0;
      continue;
    }
    if (nseg == 2 && (c == ' ' || c == 'T')) break;
    if (c < '0' || c > '9') return false;
    cur = cur * 10 + (c - '0');
    nd++;
    if (nd > 7) return false;
  }
  if (nseg == 0 ? (nd < 4 || nd > 7) : (nd < 1 || nd > 2)) return false;
  seg[nseg++] = cur;
  int64_t y = sign * seg[0];
  int64_t m = seg[1], d = seg[2];
  if (m < 1 || m > 12 || d < 1) return false;
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int maxd = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (d > maxd) return false;
  *days = sp_days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

bool sp_can_cast(const sp_type *from, const sp_type *to) {
  sp_type_id f = from->id, t = to->id;
  if (f == SP_NULL || sp_type_equal(from, to)) return true;
  if (t == SP_STRING) return true;
  switch (t) {
    case SP_BOOLEAN:
    case SP_INT:
    case SP_BIGINT:
    case SP_DOUBLE:
      return f == SP_BOOLEAN || f == SP_INT || f == SP_BIGINT || f == SP_DOUBLE || f == SP_STRING ||
             f == SP_TIMESTAMP || f == SP_DATE;
    case SP_TIMESTAMP:
      return f == SP_BOOLEAN || f == SP_INT || f == SP_BIGINT || f == SP_DOUBLE || f == SP_STRING || f == SP_DATE;
    case SP_DATE: return f == SP_STRING || f == SP_TIMESTAMP;
    case SP_BINARY: return f == SP_STRING || f == SP_INT || f == SP_BIGINT;
    case SP_STRUCT:
      if (f != SP_STRUCT || from->nfields != to->nfields) return false;
      for (int i = 0; i < to->nfields; i++)
        if (!sp_can_cast(from->fields[i].type, to->fields[i].type)) return false;
      return true;
    case SP_ARRAY: return f == SP_ARRAY && sp_can_cast(from->elem, to->elem);
    default: return false;
  }
}

/* ---- numeric reads ---- */

static inline double num_as_f64_(const sp_vec *v, int64_t i) {
  switch (v->type->id) {
    case SP_BOOLEAN: return sp_vec_bool(v)[i];
    case SP_INT: return sp_vec_i32(v)[i];
    case SP_BIGINT: return (double)sp_vec_i64(v)[i];
    default: return sp_vec_f64(v)[i];
  }
}

static int64_t floor_div_(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t sat_mul_(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return ((a < 0) != (b < 0)) ? INT64_MIN : INT64_MAX;
  return r;
}

/* ---- per-target casts of fixed-width outputs ---- */

static int cast_fixed_(const sp_vec *in, sp_type *to, const char *tz, sp_vec **out, spate_error *err) {
  int64_t n = in->length;
  sp_type_id f = in->type->id, t = to->id;
  sp_vec *r = sp_xvec_fixed(to, n);
  if (!r) return sp_expr_oom(err);
  uint8_t *vb = NULL;
  /* Start from the input's validity. */
  if (in->validity && in->null_count > 0) {
    vb = sp_xvec_validity(r);
    if (!vb) {
      sp_vec_free(r);
      return sp_expr_oom(err);
    }
    memcpy(vb, in->validity, (size_t)(n + 7) / 8);
  }
#define SETNULL_(i)                                      \
  do {                                                   \
    if (!vb && !(vb = sp_xvec_validity(r))) goto oom;    \
    sp_xbit_clear(vb, (i));                              \
  } while (0)
  bool nulls = vb != NULL;
#define ISNULL_(i) (nulls && !sp_xbit_get(vb, (i)))
  switch (t) {
    case SP_BOOLEAN: {
      uint8_t *d = sp_vec_bool(r);
      for (int64_t i = 0; i < n; i++) {
        d[i] = 0;
        if (ISNULL_(i)) continue;
        switch (f) {
          case SP_BOOLEAN: d[i] = sp_vec_bool(in)[i]; break;
          case SP_INT: d[i] = sp_vec_i32(in)[i] != 0; break;
          case SP_BIGINT:
          case SP_TIMESTAMP: d[i] = sp_vec_i64(in)[i] != 0; break;
          case SP_DOUBLE: d[i] = sp_vec_f64(in)[i] != 0.0; break;
          case SP_STRING: {
            int32_t len;
            const char *p = sp_vec_str(in, i, &len);
            bool b;
            if (sp_str_to_bool(p, len, &b))
              d[i] = b;
            else
              SETNULL_(i);
            break;
          }
          default: SETNULL_(i); break;
        }
      }
      break;
    }
    case SP_INT: {
      int32_t *d = sp_vec_i32(r);
      switch (f) {
        case SP_BOOLEAN:
          for (int64_t i = 0; i < n; i++) d[i] = sp_vec_bool(in)[i];
          break;
        case SP_BIGINT:
          for (int64_t i = 0; i < n; i++) d[i] = (int32_t)(uint32_t)(uint64_t)sp_vec_i64(in)[i];
          break;
        case SP_DOUBLE:
          for (int64_t i = 0; i < n; i++) d[i] = sp_d2i(sp_vec_f64(in)[i]);
          break;
        case SP_TIMESTAMP:
          for (int64_t i = 0; i < n; i++)
            d[i] = (int32_t)(uint32_t)(uint64_t)floor_div_(sp_vec_i64(in)[i], US_PER_SEC);
          break;
        case SP_STRING:
          for (int64_t i = 0; i < n; i++) {
            d[i] = 0;
            if (ISNULL_(i)) continue;
            int32_t len;
            const char *p = sp_vec_str(in, i, &len);
            if (!sp_str_to_i32(p, len, &d[i])) SETNULL_(i);
          }
          break;
        default:
          for (int64_t i = 0; i < n; i++) SETNULL_(i);
          break;
      }
      break;
    }
    case SP_BIGINT: {
      int64_t *d = sp_vec_i64(r);
      switch (f) {
        case SP_BOOLEAN:
          for (int64_t i = 0; i < n; i++) d[i] = sp_vec_bool(in)[i];
          break;
        case SP_INT:
          for (int64_t i = 0; i < n; i++) d[i] = sp_vec_i32(in)[i];
          break;
        case SP_DOUBLE:
          for (int64_t i = 0; i < n; i++) d[i] = sp_d2l(sp_vec_f64(in)[i]);
          break;
        case SP_TIMESTAMP:
          for (int64_t i = 0; i < n; i++) d[i] = floor_div_(sp_vec_i64(in)[i], US_PER_SEC);
          break;
        case SP_STRING:
          for (int64_t i = 0; i < n; i++) {
            d[i] = 0;
            if (ISNULL_(i)) continue;
            int32_t len;
            const char *p = sp_vec_str(in, i, &len);
            if (!sp_str_to_i64(p, len, &d[i])) SETNULL_(i);
          }
          break;
        default:
          for (int64_t i = 0; i < n; i++) SETNULL_(i);
          break;
      }
      break;
    }
    case SP_DOUBLE: {
      double *d = sp_vec_f64(r);
      switch (f) {
        case SP_BOOLEAN:
        case SP_INT:
        case SP_BIGINT:
          for (int64_t i = 0; i < n; i++) d[i] = num_as_f64_(in, i);
          break;
        case SP_TIMESTAMP:
          for (int64_t i = 0; i < n; i++) d[i] = (double)sp_vec_i64(in)[i] / (double)US_PER_SEC;
          break;
        case SP_STRING:
          for (int64_t i = 0; i < n; i++) {
            d[i] = 0;
            if (ISNULL_(i)) continue;
            int32_t len;
            const char *p = sp_vec_str(in, i, &len);
            if (!sp_str_to_f64(p, len, &d[i])) SETNULL_(i);
          }
          break;
        default:
          for (int64_t i = 0; i < n; i++) SETNULL_(i);
          break;
      }
      break;
    }
    case SP_TIMESTAMP: {
      int64_t *d = sp_vec_i64(r);
      for (int64_t i = 0; i < n; i++) {
        d[i] = 0;
        if (ISNULL_(i)) continue;
        switch (f) {
          case SP_BOOLEAN: d[i] = sp_vec_bool(in)[i]; break;
          case SP_INT: d[i] = (int64_t)sp_vec_i32(in)[i] * US_PER_SEC; break;
          case SP_BIGINT: d[i] = sat_mul_(sp_vec_i64(in)[i], US_PER_SEC); break;
          case SP_DOUBLE: {
            double x = sp_vec_f64(in)[i];
            if (isnan(x) || isinf(x))
              SETNULL_(i);
            else
              d[i] = sp_d2l(x * (double)US_PER_SEC);
            break;
          }
          case SP_DATE: d[i] = sp_date_to_ts(sp_vec_i32(in)[i], tz); break;
          case SP_STRING: {
            int32_t len;
            const char *p = sp_vec_str(in, i, &len);
            int64_t us;
            if (sp_timestamp_parse(p, (size_t)len, NULL, tz, &us) == 0)
              d[i] = us;
            else
              SETNULL_(i);
            break;
          }
          default: SETNULL_(i); break;
        }
      }
      break;
    }
    case SP_DATE: {
      int32_t *d = sp_vec_i32(r);
      for (int64_t i = 0; i < n; i++) {
        d[i] = 0;
        if (ISNULL_(i)) continue;
        switch (f) {
          case SP_TIMESTAMP: d[i] = sp_ts_to_date(sp_vec_i64(in)[i], tz); break;
          case SP_STRING: {
            int32_t len;
            const char *p = sp_vec_str(in, i, &len);
            if (!sp_str_to_date(p, len, &d[i])) SETNULL_(i);
            break;
          }
          default: SETNULL_(i); break;
        }
      }
      break;
    }
    default: sp_vec_free(r); return spate_error_set(err, SPATE_EUNSUPPORTED, "bad fixed cast");
  }
#undef SETNULL_
#undef ISNULL_
  sp_xvec_count_nulls(r);
  *out = r;
  return 0;
oom:
  sp_vec_free(r);
  return sp_expr_oom(err);
}

/* Decimal rendering of an integer into buf (no NUL). Returns length. */
static int fmt_i64_(int64_t x, char *buf) {
  char tmp[24];
  int n = 0;
  uint64_t u = x < 0 ? 0u - (uint64_t)x : (uint64_t)x;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  int k = 0;
  if (x < 0) buf[k++] = '-';
  while (n) buf[k++] = tmp[--n];
  return k;
}

static int cast_to_string_(const sp_vec *in, sp_type *to, const char *tz, sp_vec **out, spate_error *err) {
  int64_t n = in->length;
  sp_type_id f = in->type->id;
  sp_vec *r = sp_vec_new(to, n);
  if (!r) return sp_expr_oom(err);
  if (f == SP_STRING || f == SP_BINARY) {
    /* Same layout: copy offsets and bytes in bulk. */
    if (n > 0) memcpy(r->offsets, in->offsets, (size_t)(n + 1) * sizeof(int32_t));
    int64_t bytes = n > 0 ? in->offsets[n] : 0;
    if (bytes > 0) {
      r->chars = malloc((size_t)bytes);
      if (!r->chars) goto oom;
      memcpy(r->chars, in->chars, (size_t)bytes);
    }
    r->chars_len = r->chars_cap = bytes;
    r->length = n;
    if (in->validity && in->null_count > 0) {
      uint8_t *vb = sp_xvec_validity(r);
      if (!vb) goto oom;
      memcpy(vb, in->validity, (size_t)(n + 7) / 8);
      r->null_count = in->null_count;
    }
    *out = r;
    return 0;
  }
  sp_buf b;
  sp_buf_init(&b);
  char tmp[64];
  for (int64_t i = 0; i < n; i++) {
    if (sp_vec_is_null(in, i) || f == SP_NULL) {
      sp_vec_append_null(r);
      continue;
    }
    switch (f) {
      case SP_BOOLEAN:
        if (sp_vec_bool(in)[i])
          sp_vec_append_str(r, "true", 4);
        else
          sp_vec_append_str(r, "false", 5);
        break;
      case SP_INT: sp_vec_append_str(r, tmp, fmt_i64_(sp_vec_i32(in)[i], tmp)); break;
      case SP_BIGINT: sp_vec_append_str(r, tmp, fmt_i64_(sp_vec_i64(in)[i], tmp)); break;
      case SP_DOUBLE: {
        int len = sp_format_double(sp_vec_f64(in)[i], tmp, sizeof tmp);
        sp_vec_append_str(r, tmp, len);
        break;
      }
      default:
        sp_buf_reset(&b);
        sp_format_value(in, i, tz, false, &b);
        if (sp_buf_check(&b)) {
          sp_buf_free(&b);
          goto oom;
        }
        sp_vec_append_str(r, b.data ? b.data : "", (int32_t)b.len);
        break;
    }
  }
  sp_buf_free(&b);
  if (sp_vec_check(r)) goto oom;
  *out = r;
  return 0;
oom:
  sp_vec_free(r);
  return sp_expr_oom(err);
}

static int cast_to_binary_(const sp_vec *in, sp_type *to, sp_vec **out, spate_error *err) {
  int64_t n = in->length;
  sp_type_id f = in->type->id;
  if (f == SP_STRING || f == SP_BINARY) return cast_to_string_(in, to, NULL, out, err);
  sp_vec *r = sp_vec_new(to, n);
  if (!r) return sp_expr_oom(err);
  for (int64_t i = 0; i < n; i++) {
    if (f == SP_NULL || sp_vec_is_null(in, i)) {
      sp_vec_append_null(r);
      continue;
    }
    char be[8];
    if (f == SP_INT) {
      uint32_t x = (uint32_t)sp_vec_i32(in)[i];
      for (int k = 0; k < 4; k++) be[k] = (char)(x >> (24 - 8 * k));
      sp_vec_append_str(r, be, 4);
    } else if (f == SP_BIGINT) {
      uint64_t x = (uint64_t)sp_vec_i64(in)[i];
      for (int k = 0; k < 8; k++) be[k] = (char)(x >> (56 - 8 * k));
      sp_vec_append_str(r, be, 8);
    } else {
      sp_vec_append_null(r);
    }
  }
  if (sp_vec_check(r)) {
    sp_vec_free(r);
    return sp_expr_oom(err);
  }
  *out = r;
  return 0;
}

static int cast_struct_(const sp_vec *in, sp_type *to, const char *tz, sp_vec **out, spate_error *err) {
  sp_vec *r = calloc(1, sizeof *r);
  if (!r) return sp_expr_oom(err);
  r->type = sp_type_ref(to);
  r->nchildren = to->nfields;
  r->children = calloc((size_t)(to->nfields ? to->nfields : 1), sizeof *r->children);
  if (!r->children) goto oom;
  for (int c = 0; c < to->nfields; c++) {
    int rc = sp_cast_vec_tz(in->children[c], to->fields[c].type, tz, &r->children[c], err);
    if (rc) {
      sp_vec_free(r);
      return rc;
    }
  }
  r->length = r->capacity = in->length;
  if (in->validity && in->null_count > 0) {
    if (!sp_xvec_validity(r)) goto oom;
    memcpy(r->validity, in->validity, (size_t)(in->length + 7) / 8);
    r->null_count = in->null_count;
  }
  *out = r;
  return 0;
oom:
  sp_vec_free(r);
  return sp_expr_oom(err);
}

static int cast_array_(const sp_vec *in, sp_type *to, const char *tz, sp_vec **out, spate_error *err) {
  sp_vec *r = calloc(1, sizeof *r);
  if (!r) return sp_expr_oom(err);
  r->type = sp_type_ref(to);
  r->nchildren = 1;
  r->children = calloc(1, sizeof *r->children);
  r->offsets = malloc((size_t)(in->length + 1) * sizeof(int32_t));
  if (!r->children || !r->offsets) goto oom;
  memcpy(r->offsets, in->offsets, (size_t)(in->length + 1) * sizeof(int32_t));
  int rc = sp_cast_vec_tz(in->children[0], to->elem, tz, &r->children[0], err);
  if (rc) {
    sp_vec_free(r);
    return rc;
  }
  r->length = r->capacity = in->length;
  if (in->validity && in->null_count > 0) {
    if (!sp_xvec_validity(r)) goto oom;
    memcpy(r->validity, in->validity, (size_t)(in->length + 7) / 8);
    r->null_count = in->null_count;
  }
  *out = r;
  return 0;
oom:
  sp_vec_free(r);
  return sp_expr_oom(err);
}

int sp_cast_vec_tz(const sp_vec *in, sp_type *to, const char *tz, sp_vec **out, spate_error *err) {
  *out = NULL;
  if (sp_type_equal(in->type, to)) {
    *out = sp_vec_copy(in);
    return *out ? 0 : sp_expr_oom(err);
  }
  if (in->type->id == SP_NULL) {
    *out = sp_xvec_all_null(to, in->length);
    return *out ? 0 : sp_expr_oom(err);
  }
  if (!sp_can_cast(in->type, to)) {
    char a[128], b[128];
    sp_type_to_string(in->type, a, sizeof a);
    sp_type_to_string(to, b, sizeof b);
    return spate_error_set(err, SPATE_EUNSUPPORTED, "cannot cast %s to %s", a, b);
  }
  switch (to->id) {
    case SP_STRING: return cast_to_string_(in, to, tz, out, err);
    case SP_BINARY: return cast_to_binary_(in, to, out, err);
    case SP_STRUCT: return cast_struct_(in, to, tz, out, err);
    case SP_ARRAY: return cast_array_(in, to, tz, out, err);
    default: return cast_fixed_(in, to, tz, out, err);
  }
}

int sp_k_cast(const sp_kctx *k, sp_opnd *out) {
  const char *tz = k->ctx ? k->ctx->timezone : NULL;
  sp_vec *r = NULL;
  int rc = sp_cast_vec_tz(k->args[0].vec, k->e->type, tz, &r, k->err);
  if (rc) return rc;
  out->vec = r;
  out->owned = true;
  return 0;
}
