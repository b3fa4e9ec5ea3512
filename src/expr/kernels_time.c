/*
 * kernels_time.c - datetime kernels: to_timestamp/to_date with a pattern,
 * date_format, unix_timestamp, from_unixtime, timestamp_seconds,
 * current_timestamp/current_date, year/month/dayofmonth/hour/minute/second and
 * tumbling window().
 *
 * Timestamps are microseconds since the epoch (UTC); local fields are computed in
 * the session time zone (ctx->timezone), with a fast path for UTC that skips the
 * zone lookup. current_timestamp() is ctx->batch_timestamp_us, constant for the
 * whole micro-batch so a replayed batch yields identical values. Pattern parsing
 * and formatting are delegated to src/common/datetime.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "expr/expr_internal.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

static int64_t floor_div_(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t floor_mod_(int64_t a, int64_t b) { return a - floor_div_(a, b) * b; }

bool sp_tz_is_utc(const char *tz) {
  return !tz || !*tz || !strcasecmp(tz, "UTC") || !strcmp(tz, "Z") || !strcasecmp(tz, "GMT") ||
         !strcasecmp(tz, "Etc/UTC") || !strcmp(tz, "+00:00");
}

int32_t sp_ts_to_date(int64_t us, const char *tz) {
  int64_t off = sp_tz_is_utc(tz) ? 0 : sp_tz_offset_seconds(tz, us);
  return (int32_t)floor_div_(us + off * US_PER_SEC, US_PER_DAY);
}

int64_t sp_date_to_ts(int32_t days, const char *tz) {
  int64_t local = (int64_t)days * US_PER_DAY;
  if (sp_tz_is_utc(tz)) return local;
  return local - sp_tz_offset_for_local(tz, local) * US_PER_SEC;
}

static const char *const DEFAULT_FMT = "yyyy-MM-dd HH:mm:ss";

/* NUL-terminated copy of pattern row i into buf (patterns are short). */
static const char *fmt_of_(const sp_opnd *o, int64_t i, char *buf, size_t cap) {
  int32_t len;
  const char *p = sp_vec_str(o->vec, sp_ix(o, i), &len);
  if ((size_t)len >= cap) len = (int32_t)cap - 1;
  memcpy(buf, p, (size_t)len);
  buf[len] = 0;
  return buf;
}

static bool any_null_(const sp_kctx *k, int64_t i) {
  for (int a = 0; a < k->nargs; a++)
    if (sp_op_all_null(&k->args[a]) || sp_op_null(&k->args[a], i)) return true;
  return false;
}

static int k_window_(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *ts = &k->args[0];
  int64_t dur = sp_vec_i64(k->args[1].vec)[0], slide = sp_vec_i64(k->args[2].vec)[0],
          start = sp_vec_i64(k->args[3].vec)[0];
  sp_type *tt = sp_type_prim(SP_TIMESTAMP);
  sp_vec *s = sp_xvec_fixed(tt, n), *e = sp_xvec_fixed(tt, n);
  sp_vec *r = calloc(1, sizeof *r);
  sp_vec **ch = calloc(2, sizeof *ch);
  if (!s || !e || !r || !ch) {
    sp_vec_free(s);
    sp_vec_free(e);
    free(r);
    free(ch);
    return sp_expr_oom(k->err);
  }
  r->type = sp_type_ref(k->e->type);
  r->nchildren = 2;
  r->children = ch;
  ch[0] = s;
  ch[1] = e;
  r->length = r->capacity = n;
  out->vec = r;
  out->owned = true;
  bool allnull = sp_op_all_null(ts);
  int64_t *sd = sp_vec_i64(s), *ed = sp_vec_i64(e);
  for (int64_t i = 0; i < n; i++) {
    if (allnull || sp_op_null(ts, i)) {
      sd[i] = ed[i] = 0;
      if (!sp_xvec_validity(r) || !sp_xvec_validity(s) || !sp_xvec_validity(e)) return sp_expr_oom(k->err);
      sp_xbit_clear(r->validity, i);
      sp_xbit_clear(s->validity, i);
      sp_xbit_clear(e->validity, i);
      continue;
    }
    int64_t t = sp_vec_i64(ts->vec)[sp_ix(ts, i)];
    int64_t ws = t - floor_mod_(t - start, slide);
    sd[i] = ws;
    ed[i] = ws + dur;
  }
  sp_xvec_count_nulls(r);
  sp_xvec_count_nulls(s);
  sp_xvec_count_nulls(e);
  return 0;
}

int sp_k_time(const sp_kctx *k, sp_opnd *out) {
  int fn = k->e->fn;
  int64_t n = k->n;
  const char *tz = k->ctx ? k->ctx->timezone : NULL;
  bool utc = sp_tz_is_utc(tz);
  sp_type *t = k->e->type;
  if (fn == SP_FN_WINDOW) return k_window_(k, out);
  if (fn == SP_FN_CURRENT_TIMESTAMP || fn == SP_FN_CURRENT_DATE ||
      (fn == SP_FN_UNIX_TIMESTAMP && k->nargs == 0)) {
    sp_vec *r = sp_xvec_fixed(t, n);
    if (!r) return sp_expr_oom(k->err);
    int64_t now = k->ctx ? k->ctx->batch_timestamp_us : 0;
    for (int64_t i = 0; i < n; i++) {
      if (fn == SP_FN_CURRENT_TIMESTAMP)
        sp_vec_i64(r)[i] = now;
      else if (fn == SP_FN_CURRENT_DATE)
        sp_vec_i32(r)[i] = sp_ts_to_date(now, tz);
      else
        sp_vec_i64(r)[i] = floor_div_(now, US_PER_SEC);
    }
    out->vec = r;
    out->owned = true;
    return 0;
  }
  const sp_opnd *a = &k->args[0];
  bool var_width = t->id == SP_STRING;
  sp_vec *r = var_width ? sp_vec_new(t, n) : sp_xvec_fixed(t, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  uint8_t *vb = NULL;
#define NULLROW_(i)                                                         \
  do {                                                                      \
    if (var_width) {                                                        \
      sp_vec_append_null(r);                                                \
    } else {                                                                \
      if (!vb && !(vb = sp_xvec_validity(r))) return sp_expr_oom(k->err);   \
      sp_xbit_clear(vb, (i));                                               \
    }                                                                       \
  } while (0)
  char fbuf[256], obuf[512];
  for (int64_t i = 0; i < n; i++) {
    if (any_null_(k, i)) {
      if (!var_width) memset((char *)r->data + i * sp_type_width(t->id), 0, (size_t)sp_type_width(t->id));
      NULLROW_(i);
      continue;
    }
    int64_t j = sp_ix(a, i);
    switch (fn) {
      case SP_FN_TO_TIMESTAMP:
      case SP_FN_TO_DATE:
      case SP_FN_UNIX_TIMESTAMP: {
        int64_t us = 0;
        bool ok = true;
        sp_type_id in = a->vec->type->id;
        if (in == SP_STRING) {
          int32_t len;
          const char *p = sp_vec_str(a->vec, j, &len);
          const char *fmt = k->nargs > 1 ? fmt_of_(&k->args[1], i, fbuf, sizeof fbuf) : DEFAULT_FMT;
          ok = sp_timestamp_parse(p, (size_t)len, fmt, tz, &us) == 0;
        } else if (in == SP_TIMESTAMP) {
          us = sp_vec_i64(a->vec)[j];
        } else if (in == SP_DATE) {
          us = sp_date_to_ts(sp_vec_i32(a->vec)[j], tz);
        } else {
          ok = false;
        }
        if (!ok) {
          sp_vec_i64(r)[i] = 0;
          if (fn == SP_FN_TO_DATE) sp_vec_i32(r)[i] = 0;
          NULLROW_(i);
          break;
        }
        if (fn == SP_FN_TO_TIMESTAMP)
          sp_vec_i64(r)[i] = us;
        else if (fn == SP_FN_TO_DATE)
          sp_vec_i32(r)[i] = sp_ts_to_date(us, tz);
        else
          sp_vec_i64(r)[i] = floor_div_(us, US_PER_SEC);
        break;
      }
      case SP_FN_DATE_FORMAT:
      case SP_FN_FROM_UNIXTIME: {
        int64_t us = fn == SP_FN_DATE_FORMAT ? sp_vec_i64(a->vec)[j] : sp_vec_i64(a->vec)[j] * US_PER_SEC;
        const char *fmt = k->nargs > 1 ? fmt_of_(&k->args[1], i, fbuf, sizeof fbuf) : DEFAULT_FMT;
        int len = sp_timestamp_format(us, fmt, tz, obuf, sizeof obuf);
        if (len < 0)
          return spate_error_set(k->err, SPATE_ERUNTIME,
                                 "[INVALID_DATETIME_PATTERN] Unrecognized datetime pattern: %s", fmt);
        sp_vec_append_str(r, obuf, len);
        break;
      }
      case SP_FN_TIMESTAMP_SECONDS: {
        int64_t v;
        switch (a->vec->type->id) {
          case SP_INT: v = (int64_t)sp_vec_i32(a->vec)[j] * US_PER_SEC; break;
          case SP_BIGINT: {
            int64_t x = sp_vec_i64(a->vec)[j];
            if (__builtin_mul_overflow(x, US_PER_SEC, &v)) v = x < 0 ? INT64_MIN : INT64_MAX;
            break;
          }
          default: {
            double d = sp_vec_f64(a->vec)[j];
            if (d != d || d - d != 0.0) {
              sp_vec_i64(r)[i] = 0;
              NULLROW_(i);
              continue;
            }
            v = sp_d2l(d * (double)US_PER_SEC);
            break;
          }
        }
        sp_vec_i64(r)[i] = v;
        break;
      }
      case SP_FN_YEAR:
      case SP_FN_MONTH:
      case SP_FN_DAYOFMONTH: {
        int64_t y;
        unsigned m, d;
        sp_civil_from_days(sp_vec_i32(a->vec)[j], &y, &m, &d);
        sp_vec_i32(r)[i] = fn == SP_FN_YEAR ? (int32_t)y : fn == SP_FN_MONTH ? (int32_t)m : (int32_t)d;
        break;
      }
      case SP_FN_HOUR:
      case SP_FN_MINUTE:
      case SP_FN_SECOND: {
        int64_t us = sp_vec_i64(a->vec)[j];
        if (!utc) us += sp_tz_offset_seconds(tz, us) * US_PER_SEC;
        int64_t sec = floor_mod_(floor_div_(us, US_PER_SEC), 86400);
        sp_vec_i32(r)[i] = fn == SP_FN_HOUR ? (int32_t)(sec / 3600)
                           : fn == SP_FN_MINUTE ? (int32_t)(sec / 60 % 60)
                                                : (int32_t)(sec % 60);
        break;
      }
      default: return spate_error_set(k->err, SPATE_EINVAL, "bad datetime function");
    }
  }
#undef NULLROW_
  if (var_width && sp_vec_check(r)) return sp_expr_oom(k->err);
  if (!var_width) sp_xvec_count_nulls(r);
  return 0;
}
