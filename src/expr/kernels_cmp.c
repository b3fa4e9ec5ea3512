/*
 * kernels_cmp.c - comparison, boolean logic, IN, CASE/IF, COALESCE and NULLIF.
 *
 * Comparisons see two operands of one type (the binder coerced them). Doubles
 * follow Spark's ordering: NaN equals NaN and sorts above every other value, and
 * -0.0 equals 0.0. Strings and binaries compare bytewise (UTF-8 order), structs
 * and arrays field by field. AND/OR use three-valued logic. CASE, COALESCE and
 * NULLIF first compute, for every row, which operand supplies the value and then
 * gather the result in one pass.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

static inline bool deq_(double x, double y) { return x == y || (x != x && y != y); }
static inline bool dlt_(double x, double y) { return x < y || (x == x && y != y); }

#define CMP_FIXED_(T, op)                                                           \
  do {                                                                              \
    const T *x = (const T *)a->vec->data, *y = (const T *)b->vec->data;             \
    switch (op) {                                                                   \
      case CMP_EQ: SP_BIN_LOOP(T, d, x, y, a, b, n, (uint8_t)(xv == yv)); break;    \
      case CMP_NE: SP_BIN_LOOP(T, d, x, y, a, b, n, (uint8_t)(xv != yv)); break;    \
      case CMP_LT: SP_BIN_LOOP(T, d, x, y, a, b, n, (uint8_t)(xv < yv)); break;     \
      case CMP_LE: SP_BIN_LOOP(T, d, x, y, a, b, n, (uint8_t)(xv <= yv)); break;    \
      case CMP_GT: SP_BIN_LOOP(T, d, x, y, a, b, n, (uint8_t)(xv > yv)); break;     \
      default: SP_BIN_LOOP(T, d, x, y, a, b, n, (uint8_t)(xv >= yv)); break;        \
    }                                                                               \
  } while (0)

static inline uint8_t from_cmp_(int c, int op) {
  switch (op) {
    case CMP_EQ: return c == 0;
    case CMP_NE: return c != 0;
    case CMP_LT: return c < 0;
    case CMP_LE: return c <= 0;
    case CMP_GT: return c > 0;
    default: return c >= 0;
  }
}

/* d[i] = a[i] op b[i] for every row; rows where either side is null get an
 * unspecified value. a and b have the same type. */
static void cmp_rows_(const sp_opnd *a, const sp_opnd *b, int64_t n, int op, uint8_t *d) {
  if (n == 0) return;
  switch (a->vec->type->id) {
    case SP_BOOLEAN: CMP_FIXED_(uint8_t, op); break;
    case SP_INT:
    case SP_DATE: CMP_FIXED_(int32_t, op); break;
    case SP_BIGINT:
    case SP_TIMESTAMP: CMP_FIXED_(int64_t, op); break;
    case SP_DOUBLE: {
      const double *x = sp_vec_f64(a->vec), *y = sp_vec_f64(b->vec);
      switch (op) {
        case CMP_EQ: SP_BIN_LOOP(double, d, x, y, a, b, n, (uint8_t)deq_(xv, yv)); break;
        case CMP_NE: SP_BIN_LOOP(double, d, x, y, a, b, n, (uint8_t)!deq_(xv, yv)); break;
        case CMP_LT: SP_BIN_LOOP(double, d, x, y, a, b, n, (uint8_t)dlt_(xv, yv)); break;
        case CMP_LE: SP_BIN_LOOP(double, d, x, y, a, b, n, (uint8_t)!dlt_(yv, xv)); break;
        case CMP_GT: SP_BIN_LOOP(double, d, x, y, a, b, n, (uint8_t)dlt_(yv, xv)); break;
        default: SP_BIN_LOOP(double, d, x, y, a, b, n, (uint8_t)!dlt_(xv, yv)); break;
      }
      break;
    }
    case SP_STRING:
    case SP_BINARY: {
      const sp_vec *av = a->vec, *bv = b->vec;
      if (op == CMP_EQ || op == CMP_NE) {
        uint8_t want = op == CMP_EQ;
        for (int64_t i = 0; i < n; i++) {
          int32_t la, lb;
          const char *pa = sp_vec_str(av, sp_ix(a, i), &la), *pb = sp_vec_str(bv, sp_ix(b, i), &lb);
          bool eq = la == lb && (la == 0 || memcmp(pa, pb, (size_t)la) == 0);
          d[i] = eq ? want : (uint8_t)!want;
        }
      } else {
        for (int64_t i = 0; i < n; i++) {
          int32_t la, lb;
          const char *pa = sp_vec_str(av, sp_ix(a, i), &la), *pb = sp_vec_str(bv, sp_ix(b, i), &lb);
          int32_t m = la < lb ? la : lb;
          int c = m ? memcmp(pa, pb, (size_t)m) : 0;
          if (c == 0) c = (la > lb) - (la < lb);
          d[i] = from_cmp_(c, op);
        }
      }
      break;
    }
    default:
      for (int64_t i = 0; i < n; i++) {
        int64_t ia = sp_ix(a, i), ib = sp_ix(b, i);
        if (sp_vec_is_null(a->vec, ia) || sp_vec_is_null(b->vec, ib)) {
          d[i] = 0;
          continue;
        }
        d[i] = from_cmp_(sp_vec_row_compare(a->vec, ia, b->vec, ib), op);
      }
      break;
  }
}

int sp_k_compare(const sp_kctx *k, sp_opnd *out) {
  const sp_opnd *a = &k->args[0], *b = &k->args[1];
  int64_t n = k->n;
  int fn = k->e->fn;
  sp_type *bt = sp_type_prim(SP_BOOLEAN);
  if (fn == SP_FN_EQ_NS) {
    sp_vec *r = sp_xvec_fixed(bt, n);
    if (!r) return sp_expr_oom(k->err);
    out->vec = r;
    out->owned = true;
    uint8_t *d = sp_vec_bool(r);
    bool anull = sp_op_all_null(a), bnull = sp_op_all_null(b);
    if (!anull && !bnull) cmp_rows_(a, b, n, CMP_EQ, d);
    for (int64_t i = 0; i < n; i++) {
      bool na = anull || sp_op_null(a, i), nb = bnull || sp_op_null(b, i);
      if (na || nb) d[i] = na && nb;
    }
    return 0;
  }
  if (sp_op_all_null(a) || sp_op_all_null(b)) {
    out->vec = sp_xvec_all_null(bt, n);
    out->owned = true;
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_vec *r = sp_xvec_fixed(bt, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  int op = fn == SP_FN_EQ ? CMP_EQ
           : fn == SP_FN_NE ? CMP_NE
           : fn == SP_FN_LT ? CMP_LT
           : fn == SP_FN_LE ? CMP_LE
           : fn == SP_FN_GT ? CMP_GT
                            : CMP_GE;
  cmp_rows_(a, b, n, op, sp_vec_bool(r));
  if (sp_xvec_and_validity(r, k->args, 2, n)) return sp_expr_oom(k->err);
  return 0;
}

/* 0 false, 1 true, 2 null */
static inline int tri_(const sp_opnd *o, int64_t i) {
  if (o->vec->type->id == SP_NULL) return 2;
  int64_t j = sp_ix(o, i);
  if (sp_vec_is_null(o->vec, j)) return 2;
  return sp_vec_bool(o->vec)[j] != 0;
}

int sp_k_logic(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  int fn = k->e->fn;
  const sp_opnd *a = &k->args[0];
  sp_vec *r = sp_xvec_fixed(sp_type_prim(SP_BOOLEAN), n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  uint8_t *d = sp_vec_bool(r);
  if (fn == SP_FN_IS_NULL || fn == SP_FN_IS_NOT_NULL) {
    uint8_t want = fn == SP_FN_IS_NULL;
    if (a->vec->type->id == SP_NULL) {
      for (int64_t i = 0; i < n; i++) d[i] = want;
    } else if (!a->vec->validity) {
      for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)!want;
    } else {
      const uint8_t *vb = a->vec->validity;
      for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)(sp_xbit_get(vb, sp_ix(a, i)) ^ want);
    }
    return 0;
  }
  if (fn == SP_FN_NOT) {
    if (sp_op_all_null(a)) {
      sp_vec_free(r);
      out->vec = sp_xvec_all_null(sp_type_prim(SP_BOOLEAN), n);
      return out->vec ? 0 : sp_expr_oom(k->err);
    }
    const uint8_t *x = sp_vec_bool(a->vec);
    for (int64_t i = 0; i < n; i++) d[i] = !x[i];
    if (sp_xvec_and_validity(r, k->args, 1, n)) return sp_expr_oom(k->err);
    return 0;
  }
  const sp_opnd *b = &k->args[1];
  bool is_and = fn == SP_FN_AND;
  bool fast = a->vec->type->id == SP_BOOLEAN && b->vec->type->id == SP_BOOLEAN && !a->scalar && !b->scalar &&
              a->vec->null_count == 0 && b->vec->null_count == 0;
  if (fast) {
    const uint8_t *x = sp_vec_bool(a->vec), *y = sp_vec_bool(b->vec);
    if (is_and)
      for (int64_t i = 0; i < n; i++) d[i] = x[i] & y[i];
    else
      for (int64_t i = 0; i < n; i++) d[i] = x[i] | y[i];
    return 0;
  }
  uint8_t *vb = NULL;
  for (int64_t i = 0; i < n; i++) {
    int x = tri_(a, i), y = tri_(b, i);
    int res;
    if (is_and)
      res = (x == 0 || y == 0) ? 0 : (x == 2 || y == 2) ? 2 : 1;
    else
      res = (x == 1 || y == 1) ? 1 : (x == 2 || y == 2) ? 2 : 0;
    if (res == 2) {
      if (!vb && !(vb = sp_xvec_validity(r))) return sp_expr_oom(k->err);
      sp_xbit_clear(vb, i);
      d[i] = 0;
    } else {
      d[i] = (uint8_t)res;
    }
  }
  sp_xvec_count_nulls(r);
  return 0;
}

int sp_k_in(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *v = &k->args[0];
  sp_type *bt = sp_type_prim(SP_BOOLEAN);
  if (sp_op_all_null(v)) {
    out->vec = sp_xvec_all_null(bt, n);
    out->owned = true;
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_vec *r = sp_xvec_fixed(bt, n);
  uint8_t *has_null = calloc((size_t)(n > 0 ? n : 1), 1);
  uint8_t *eq = malloc((size_t)(n > 0 ? n : 1));
  if (!r || !has_null || !eq) {
    sp_vec_free(r);
    free(has_null);
    free(eq);
    return sp_expr_oom(k->err);
  }
  out->vec = r;
  out->owned = true;
  uint8_t *match = sp_vec_bool(r);
  memset(match, 0, (size_t)n);
  for (int j = 1; j < k->nargs; j++) {
    const sp_opnd *it = &k->args[j];
    if (sp_op_all_null(it)) {
      memset(has_null, 1, (size_t)n);
      continue;
    }
    cmp_rows_(v, it, n, CMP_EQ, eq);
    if (!it->vec->validity) {
      for (int64_t i = 0; i < n; i++) match[i] |= eq[i];
    } else {
      for (int64_t i = 0; i < n; i++) {
        bool nl = sp_op_null(it, i);
        has_null[i] |= nl;
        match[i] |= eq[i] & !nl;
      }
    }
  }
  free(eq);
  uint8_t *vb = NULL;
  for (int64_t i = 0; i < n; i++) {
    if (sp_op_null(v, i) || (!match[i] && has_null[i])) {
      if (!vb && !(vb = sp_xvec_validity(r))) {
        free(has_null);
        return sp_expr_oom(k->err);
      }
      sp_xbit_clear(vb, i);
      match[i] = 0;
    }
  }
  free(has_null);
  sp_xvec_count_nulls(r);
  return 0;
}

/* Build a vector of type t where row i is row sp_ix(srcs[pick[i]], i) of that source,
 * or null when pick[i] < 0. Sources have type t (or the NULL type). */
static sp_vec *select_build_(sp_type *t, const sp_opnd *const *srcs, const int32_t *pick, int64_t n) {
  int w = sp_type_width(t->id);
  if (t->id == SP_NULL) return sp_xvec_all_null(t, n);
  if (w > 0) {
    sp_vec *r = sp_xvec_fixed(t, n);
    if (!r) return NULL;
    uint8_t *vb = NULL;
    char *dst = r->data;
    for (int64_t i = 0; i < n; i++) {
      const sp_opnd *s = pick[i] >= 0 ? srcs[pick[i]] : NULL;
      int64_t j = s ? sp_ix(s, i) : 0;
      if (!s || s->vec->type->id == SP_NULL || sp_vec_is_null(s->vec, j)) {
        if (!vb && !(vb = sp_xvec_validity(r))) {
          sp_vec_free(r);
          return NULL;
        }
        sp_xbit_clear(vb, i);
        memset(dst + i * w, 0, (size_t)w);
      } else {
        memcpy(dst + i * w, (const char *)s->vec->data + j * w, (size_t)w);
      }
    }
    sp_xvec_count_nulls(r);
    return r;
  }
  sp_vec *r = sp_vec_new(t, n);
  if (!r) return NULL;
  for (int64_t i = 0; i < n; i++) {
    const sp_opnd *s = pick[i] >= 0 ? srcs[pick[i]] : NULL;
    if (!s || s->vec->type->id == SP_NULL) {
      if (t->id == SP_ARRAY)
        sp_vec_array_close(r, false);
      else
        sp_vec_append_null(r);
    } else {
      sp_vec_append_from(r, s->vec, sp_ix(s, i));
    }
  }
  if (sp_vec_check(r)) {
    sp_vec_free(r);
    return NULL;
  }
  return r;
}

int sp_k_case(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  int nb = k->nargs / 2;
  bool has_else = k->nargs % 2 == 1;
  int32_t *pick = malloc((size_t)(n > 0 ? n : 1) * sizeof *pick);
  const sp_opnd **srcs = malloc((size_t)(nb + 1) * sizeof *srcs);
  if (!pick || !srcs) {
    free(pick);
    free(srcs);
    return sp_expr_oom(k->err);
  }
  for (int64_t i = 0; i < n; i++) pick[i] = -2;
  for (int b = 0; b < nb; b++) {
    const sp_opnd *c = &k->args[2 * b];
    srcs[b] = &k->args[2 * b + 1];
    if (sp_op_all_null(c)) continue;
    const uint8_t *cv = sp_vec_bool(c->vec);
    for (int64_t i = 0; i < n; i++) {
      if (pick[i] != -2) continue;
      int64_t j = sp_ix(c, i);
      if (cv[j] && !sp_vec_is_null(c->vec, j)) pick[i] = b;
    }
  }
  srcs[nb] = has_else ? &k->args[k->nargs - 1] : NULL;
  for (int64_t i = 0; i < n; i++)
    if (pick[i] == -2) pick[i] = has_else ? nb : -1;
  sp_vec *r = select_build_(k->e->type, srcs, pick, n);
  free(pick);
  free(srcs);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  return 0;
}

int sp_k_coalesce(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  int32_t *pick = malloc((size_t)(n > 0 ? n : 1) * sizeof *pick);
  const sp_opnd **srcs = malloc((size_t)k->nargs * sizeof *srcs);
  if (!pick || !srcs) {
    free(pick);
    free(srcs);
    return sp_expr_oom(k->err);
  }
  for (int a = 0; a < k->nargs; a++) srcs[a] = &k->args[a];
  for (int64_t i = 0; i < n; i++) {
    pick[i] = -1;
    for (int a = 0; a < k->nargs; a++) {
      if (!sp_op_all_null(srcs[a]) && !sp_op_null(srcs[a], i)) {
        pick[i] = a;
        break;
      }
    }
  }
  sp_vec *r = select_build_(k->e->type, srcs, pick, n);
  free(pick);
  free(srcs);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  return 0;
}

int sp_k_nullif(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *a = &k->args[0], *b = &k->args[1];
  int32_t *pick = malloc((size_t)(n > 0 ? n : 1) * sizeof *pick);
  uint8_t *eq = malloc((size_t)(n > 0 ? n : 1));
  if (!pick || !eq) {
    free(pick);
    free(eq);
    return sp_expr_oom(k->err);
  }
  bool comparable = !sp_op_all_null(a) && !sp_op_all_null(b);
  if (comparable) cmp_rows_(a, b, n, CMP_EQ, eq);
  for (int64_t i = 0; i < n; i++) {
    bool same = comparable && !sp_op_null(a, i) && !sp_op_null(b, i) && eq[i];
    pick[i] = same ? -1 : 0;
  }
  const sp_opnd *srcs[1] = {a};
  sp_vec *r = select_build_(k->e->type, srcs, pick, n);
  free(pick);
  free(eq);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  return 0;
}
