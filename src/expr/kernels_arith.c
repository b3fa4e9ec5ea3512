/*
 * kernels_arith.c - arithmetic kernels: + - * / % div, unary minus, abs, round,
 * floor, ceil and date/timestamp offset arithmetic.
 *
 * The binder has already cast both operands to the result type (INT, BIGINT or
 * DOUBLE; `/` always DOUBLE; div BIGINT), so each kernel is one tight loop per
 * (vector, vector) / (vector, scalar) / (scalar, vector) shape. Integer arithmetic
 * wraps (ANSI off) by computing in the unsigned type. Division and remainder by
 * zero give NULL. Validity is the AND of the inputs' bitmaps.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"


/* Rows where the divisor is zero become NULL (after validity was combined). */
static int null_zero_divisors_(sp_vec *out, const sp_opnd *b, int64_t n) {
  const sp_vec *d = b->vec;
  int w = sp_type_width(d->type->id);
  bool any = false;
  for (int64_t i = 0; i < n && !any; i++) {
    int64_t j = sp_ix(b, i);
    any = w == 4 ? sp_vec_i32(d)[j] == 0 : d->type->id == SP_DOUBLE ? sp_vec_f64(d)[j] == 0.0 : sp_vec_i64(d)[j] == 0;
  }
  if (!any) return 0;
  uint8_t *vb = sp_xvec_validity(out);
  if (!vb) return SPATE_ENOMEM;
  for (int64_t i = 0; i < n; i++) {
    int64_t j = sp_ix(b, i);
    bool z = w == 4 ? sp_vec_i32(d)[j] == 0 : d->type->id == SP_DOUBLE ? sp_vec_f64(d)[j] == 0.0 : sp_vec_i64(d)[j] == 0;
    if (z) sp_xbit_clear(vb, i);
  }
  sp_xvec_count_nulls(out);
  return 0;
}

/* Java remainder semantics without C's INT_MIN % -1 trap. */
static inline int32_t mod_i32_(int32_t x, int32_t y) { return (y == 0 || y == -1) ? 0 : x % y; }
static inline int64_t mod_i64_(int64_t x, int64_t y) { return (y == 0 || y == -1) ? 0 : x % y; }
static inline int64_t div_i64_(int64_t x, int64_t y) {
  if (y == 0) return 0;
  if (y == -1) return (int64_t)(0 - (uint64_t)x);
  return x / y;
}

int sp_k_arith(const sp_kctx *k, sp_opnd *out) {
  const sp_opnd *a = &k->args[0], *b = &k->args[1];
  int64_t n = k->n;
  int fn = k->e->fn;
  sp_type *t = k->e->type;
  if (sp_op_all_null(a) || sp_op_all_null(b)) {
    out->vec = sp_xvec_all_null(t, n);
    out->owned = true;
    return 0;
  }
  sp_vec *r = sp_xvec_fixed(t, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  if (n == 0) return 0;
  switch (t->id) {
    case SP_INT: {
      const int32_t *x = sp_vec_i32(a->vec), *y = sp_vec_i32(b->vec);
      int32_t *d = sp_vec_i32(r);
      switch (fn) {
        case SP_FN_ADD: SP_BIN_LOOP(int32_t, d, x, y, a, b, n, (int32_t)((uint32_t)xv + (uint32_t)yv)); break;
        case SP_FN_SUB: SP_BIN_LOOP(int32_t, d, x, y, a, b, n, (int32_t)((uint32_t)xv - (uint32_t)yv)); break;
        case SP_FN_MUL: SP_BIN_LOOP(int32_t, d, x, y, a, b, n, (int32_t)((uint32_t)xv * (uint32_t)yv)); break;
        case SP_FN_MOD: SP_BIN_LOOP(int32_t, d, x, y, a, b, n, mod_i32_(xv, yv)); break;
        default: return spate_error_set(k->err, SPATE_EINVAL, "bad int arithmetic");
      }
      break;
    }
    case SP_BIGINT: {
      const int64_t *x = sp_vec_i64(a->vec), *y = sp_vec_i64(b->vec);
      int64_t *d = sp_vec_i64(r);
      switch (fn) {
        case SP_FN_ADD: SP_BIN_LOOP(int64_t, d, x, y, a, b, n, (int64_t)((uint64_t)xv + (uint64_t)yv)); break;
        case SP_FN_SUB: SP_BIN_LOOP(int64_t, d, x, y, a, b, n, (int64_t)((uint64_t)xv - (uint64_t)yv)); break;
        case SP_FN_MUL: SP_BIN_LOOP(int64_t, d, x, y, a, b, n, (int64_t)((uint64_t)xv * (uint64_t)yv)); break;
        case SP_FN_MOD: SP_BIN_LOOP(int64_t, d, x, y, a, b, n, mod_i64_(xv, yv)); break;
        case SP_FN_IDIV: SP_BIN_LOOP(int64_t, d, x, y, a, b, n, div_i64_(xv, yv)); break;
        default: return spate_error_set(k->err, SPATE_EINVAL, "bad bigint arithmetic");
      }
      break;
    }
    case SP_DOUBLE: {
      const double *x = sp_vec_f64(a->vec), *y = sp_vec_f64(b->vec);
      double *d = sp_vec_f64(r);
      switch (fn) {
        case SP_FN_ADD: SP_BIN_LOOP(double, d, x, y, a, b, n, xv + yv); break;
        case SP_FN_SUB: SP_BIN_LOOP(double, d, x, y, a, b, n, xv - yv); break;
        case SP_FN_MUL: SP_BIN_LOOP(double, d, x, y, a, b, n, xv * yv); break;
        case SP_FN_DIV: SP_BIN_LOOP(double, d, x, y, a, b, n, yv == 0.0 ? 0.0 : xv / yv); break;
        case SP_FN_MOD: SP_BIN_LOOP(double, d, x, y, a, b, n, yv == 0.0 ? 0.0 : fmod(xv, yv)); break;
        default: return spate_error_set(k->err, SPATE_EINVAL, "bad double arithmetic");
      }
      break;
    }
    default:
      return spate_error_set(k->err, SPATE_EINVAL, "arithmetic on %s", sp_type_id_name(t->id));
  }
  if (sp_xvec_and_validity(r, k->args, 2, n)) return sp_expr_oom(k->err);
  if (fn == SP_FN_DIV || fn == SP_FN_MOD || fn == SP_FN_IDIV)
    if (null_zero_divisors_(r, b, n)) return sp_expr_oom(k->err);
  return 0;
}

int sp_k_neg(const sp_kctx *k, sp_opnd *out) {
  const sp_opnd *a = &k->args[0];
  int64_t n = k->n;
  sp_type *t = k->e->type;
  if (sp_op_all_null(a)) {
    out->vec = sp_xvec_all_null(t, n);
    out->owned = true;
    return 0;
  }
  sp_vec *r = sp_xvec_fixed(t, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  switch (t->id) {
    case SP_INT: {
      const int32_t *x = sp_vec_i32(a->vec);
      int32_t *d = sp_vec_i32(r);
      for (int64_t i = 0; i < n; i++) d[i] = (int32_t)(0u - (uint32_t)x[i]);
      break;
    }
    case SP_BIGINT: {
      const int64_t *x = sp_vec_i64(a->vec);
      int64_t *d = sp_vec_i64(r);
      for (int64_t i = 0; i < n; i++) d[i] = (int64_t)(0u - (uint64_t)x[i]);
      break;
    }
    case SP_DOUBLE: {
      const double *x = sp_vec_f64(a->vec);
      double *d = sp_vec_f64(r);
      for (int64_t i = 0; i < n; i++) d[i] = -x[i];
      break;
    }
    default: return spate_error_set(k->err, SPATE_EINVAL, "negation of %s", sp_type_id_name(t->id));
  }
  if (sp_xvec_and_validity(r, k->args, 1, n)) return sp_expr_oom(k->err);
  return 0;
}

/* ---- round(x, d) with Java BigDecimal HALF_UP on the shortest decimal form ---- */

/* Shortest "%.*e" digits that round-trip (as Java's Double.toString does). */
static int shortest_digits_(double x, char *buf, size_t cap) {
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, cap, "%.*e", p - 1, x);
    if (strtod(buf, NULL) == x) return p;
  }
  return 17;
}

/* A zero result is +0.0: Java's BigDecimal has no negative zero, so Spark's
 * round(-0.0) and round(-0.04, 1) are 0.0. */
static double round_half_up_(double x, int d) {
  if (x == 0.0) return 0.0;
  if (isnan(x) || isinf(x)) return x;
  if (d > 300) return x;
  char buf[64];
  shortest_digits_(x, buf, sizeof buf);
  /* buf: [-]D[.DDD]e[+-]XX */
  bool neg = buf[0] == '-';
  const char *p = buf + (neg ? 1 : 0);
  char digits[32];
  int nd = 0;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  int exp10 = atoi(p + 1); /* value = 0.d1d2... * 10^(exp10+1) */
  /* Number of digits kept: those with position (exp10 - i) >= -d, i.e. i <= exp10 + d. */
  int keep = exp10 + d + 1;
  if (keep >= nd) return x;
  if (keep < 0) return 0.0;
  bool up = digits[keep] >= '5';
  /* Build the kept digits as an integer string and add one if rounding up. */
  char out[48];
  int no = 0;
  out[no++] = '0';
  for (int i = 0; i < keep; i++) out[no++] = digits[i];
  if (up) {
    int i = no - 1;
    while (i >= 0 && out[i] == '9') out[i--] = '0';
    if (i >= 0) out[i]++;
  }
  out[no] = 0;
  /* value = int(out) * 10^(exp10 + 1 - keep) */
  char s[80];
  snprintf(s, sizeof s, "%s%se%d", neg ? "-" : "", out, exp10 + 1 - keep);
  double r = strtod(s, NULL);
  return r == 0.0 ? 0.0 : r;
}

static int64_t pow10_i64_(int e) {
  int64_t p = 1;
  for (int i = 0; i < e; i++) p *= 10;
  return p;
}

/* HALF_UP rounding of an integer to 10^-d (d < 0). */
static int64_t round_int_(int64_t x, int d) {
  if (d >= 0) return x;
  if (d < -18) return 0;
  int64_t p = pow10_i64_(-d);
  int64_t q = x / p, r = x % p;
  int64_t half = p / 2;
  if (r >= half && r > 0) q++;
  else if (-r >= half && r < 0) q--;
  return (int64_t)((uint64_t)q * (uint64_t)p);
}

int sp_k_math(const sp_kctx *k, sp_opnd *out) {
  const sp_opnd *a = &k->args[0];
  int64_t n = k->n;
  sp_type *t = k->e->type;
  int fn = k->e->fn;
  if (sp_op_all_null(a) || (k->nargs > 1 && sp_op_all_null(&k->args[1]))) {
    out->vec = sp_xvec_all_null(t, n);
    out->owned = true;
    return 0;
  }
  sp_vec *r = sp_xvec_fixed(t, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  sp_type_id in_id = a->vec->type->id;
  int scale = 0;
  if (fn == SP_FN_ROUND && k->nargs > 1) scale = sp_vec_i32(k->args[1].vec)[0];
  switch (fn) {
    case SP_FN_ABS:
      if (in_id == SP_INT) {
        const int32_t *x = sp_vec_i32(a->vec);
        int32_t *d = sp_vec_i32(r);
        for (int64_t i = 0; i < n; i++) d[i] = x[i] < 0 ? (int32_t)(0u - (uint32_t)x[i]) : x[i];
      } else if (in_id == SP_BIGINT) {
        const int64_t *x = sp_vec_i64(a->vec);
        int64_t *d = sp_vec_i64(r);
        for (int64_t i = 0; i < n; i++) d[i] = x[i] < 0 ? (int64_t)(0u - (uint64_t)x[i]) : x[i];
      } else {
        const double *x = sp_vec_f64(a->vec);
        double *d = sp_vec_f64(r);
        for (int64_t i = 0; i < n; i++) d[i] = fabs(x[i]);
      }
      break;
    case SP_FN_ROUND:
      if (in_id == SP_INT) {
        const int32_t *x = sp_vec_i32(a->vec);
        int32_t *d = sp_vec_i32(r);
        for (int64_t i = 0; i < n; i++) d[i] = (int32_t)round_int_(x[i], scale);
      } else if (in_id == SP_BIGINT) {
        const int64_t *x = sp_vec_i64(a->vec);
        int64_t *d = sp_vec_i64(r);
        for (int64_t i = 0; i < n; i++) d[i] = round_int_(x[i], scale);
      } else {
        const double *x = sp_vec_f64(a->vec);
        double *d = sp_vec_f64(r);
        bool nulls = a->vec->validity != NULL;
        for (int64_t i = 0; i < n; i++) d[i] = (nulls && sp_vec_is_null(a->vec, i)) ? 0.0 : round_half_up_(x[i], scale);
      }
      break;
    case SP_FN_FLOOR:
    case SP_FN_CEIL: {
      int64_t *d = sp_vec_i64(r);
      if (in_id == SP_INT) {
        const int32_t *x = sp_vec_i32(a->vec);
        for (int64_t i = 0; i < n; i++) d[i] = x[i];
      } else if (in_id == SP_BIGINT) {
        memcpy(d, sp_vec_i64(a->vec), (size_t)n * sizeof *d);
      } else {
        const double *x = sp_vec_f64(a->vec);
        if (fn == SP_FN_FLOOR)
          for (int64_t i = 0; i < n; i++) d[i] = sp_d2l(floor(x[i]));
        else
          for (int64_t i = 0; i < n; i++) d[i] = sp_d2l(ceil(x[i]));
      }
      break;
    }
    default: return spate_error_set(k->err, SPATE_EINVAL, "bad math function");
  }
  if (sp_xvec_and_validity(r, k->args, 1, n)) return sp_expr_oom(k->err);
  return 0;
}

/* date +/- days, timestamp + microseconds. */
int sp_k_date_arith(const sp_kctx *k, sp_opnd *out) {
  const sp_opnd *a = &k->args[0], *b = &k->args[1];
  int64_t n = k->n;
  sp_type *t = k->e->type;
  if (sp_op_all_null(a) || sp_op_all_null(b)) {
    out->vec = sp_xvec_all_null(t, n);
    out->owned = true;
    return 0;
  }
  sp_vec *r = sp_xvec_fixed(t, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  if (n == 0) return 0;
  if (k->e->fn == SP_FN_TS_ADD_US) {
    const int64_t *x = sp_vec_i64(a->vec), *y = sp_vec_i64(b->vec);
    int64_t *d = sp_vec_i64(r);
    SP_BIN_LOOP(int64_t, d, x, y, a, b, n, (int64_t)((uint64_t)xv + (uint64_t)yv));
  } else {
    const int32_t *x = sp_vec_i32(a->vec), *y = sp_vec_i32(b->vec);
    int32_t *d = sp_vec_i32(r);
    if (k->e->fn == SP_FN_DATE_ADD)
      SP_BIN_LOOP(int32_t, d, x, y, a, b, n, (int32_t)((uint32_t)xv + (uint32_t)yv));
    else
      SP_BIN_LOOP(int32_t, d, x, y, a, b, n, (int32_t)((uint32_t)xv - (uint32_t)yv));
  }
  if (sp_xvec_and_validity(r, k->args, 2, n)) return sp_expr_oom(k->err);
  return 0;
}
