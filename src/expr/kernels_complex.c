/*
 * kernels_complex.c - struct and array kernels: struct()/named_struct(), array(),
 * size(), element_at(), field access s.f and subscript arr[i].
 *
 * Field access returns the child vector itself (borrowed from the input, or
 * detached from an owned parent) when the parent struct has no nulls, else a copy
 * with the parent's nulls applied. Array element access gathers by a computed
 * index vector (-1 = NULL) in one pass.
 */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

static int k_struct_(const sp_kctx *k, sp_opnd *out) {
  sp_type *t = k->e->type;
  sp_vec *r = calloc(1, sizeof *r);
  if (!r) return sp_expr_oom(k->err);
  r->type = sp_type_ref(t);
  r->nchildren = t->nfields;
  r->children = calloc((size_t)(t->nfields ? t->nfields : 1), sizeof *r->children);
  if (!r->children) {
    sp_vec_free(r);
    return sp_expr_oom(k->err);
  }
  for (int c = 0; c < t->nfields; c++) {
    r->children[c] = sp_xvec_take_owned(&k->args[c], k->n);
    if (!r->children[c]) {
      sp_vec_free(r);
      return sp_expr_oom(k->err);
    }
  }
  r->length = r->capacity = k->n;
  out->vec = r;
  out->owned = true;
  return 0;
}

static int k_array_(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  sp_vec *r = sp_vec_new(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  sp_vec *child = r->children[0];
  sp_vec_reserve(child, n * k->nargs);
  for (int64_t i = 0; i < n; i++) {
    for (int a = 0; a < k->nargs; a++) {
      const sp_opnd *o = &k->args[a];
      if (o->vec->type->id == SP_NULL || sp_op_null(o, i)) {
        if (child->type->id == SP_ARRAY)
          sp_vec_array_close(child, false);
        else
          sp_vec_append_null(child);
      } else {
        sp_vec_append_from(child, o->vec, sp_ix(o, i));
      }
    }
    sp_vec_array_close(r, true);
  }
  if (sp_vec_check(r)) {
    sp_vec_free(r);
    return sp_expr_oom(k->err);
  }
  out->vec = r;
  out->owned = true;
  return 0;
}

static int k_size_(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *a = &k->args[0];
  sp_vec *r = sp_xvec_fixed(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  int32_t *d = sp_vec_i32(r);
  bool allnull = sp_op_all_null(a);
  for (int64_t i = 0; i < n; i++) {
    if (allnull || sp_op_null(a, i)) {
      d[i] = -1;
      continue;
    }
    int64_t j = sp_ix(a, i);
    d[i] = a->vec->offsets[j + 1] - a->vec->offsets[j];
  }
  out->vec = r;
  out->owned = true;
  return 0;
}

/* element_at (1-based, negative from the end) and arr[i] (0-based). */
static int k_item_(const sp_kctx *k, sp_opnd *out, bool one_based) {
  int64_t n = k->n;
  const sp_opnd *a = &k->args[0], *ix = &k->args[1];
  sp_type *t = k->e->type;
  if (sp_op_all_null(a) || sp_op_all_null(ix)) {
    out->vec = sp_xvec_all_null(t, n);
    out->owned = true;
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  int32_t *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
  if (!idx) return sp_expr_oom(k->err);
  for (int64_t i = 0; i < n; i++) {
    idx[i] = -1;
    if (sp_op_null(a, i) || sp_op_null(ix, i)) continue;
    int64_t j = sp_ix(a, i);
    int32_t lo = a->vec->offsets[j], len = a->vec->offsets[j + 1] - lo;
    int64_t p = sp_vec_i32(ix->vec)[sp_ix(ix, i)];
    if (one_based) {
      if (p == 0) {
        free(idx);
        return spate_error_set(k->err, SPATE_ERUNTIME,
                               "[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be either < 0 or > 0 "
                               "(the first element has index 1).");
      }
      p = p > 0 ? p - 1 : len + p;
    }
    if (p >= 0 && p < len) idx[i] = lo + (int32_t)p;
  }
  sp_vec *r;
  if (a->vec->children[0]->type->id == SP_NULL)
    r = sp_xvec_all_null(t, n);
  else
    r = sp_xvec_gather(a->vec->children[0], idx, n);
  free(idx);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  return 0;
}

static int k_field_(const sp_kctx *k, sp_opnd *out) {
  sp_opnd *s = &k->args[0];
  int f = sp_vec_i32(k->args[1].vec)[0];
  if (s->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    out->owned = true;
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_vec *sv = s->vec;
  if (f < 0 || f >= sv->nchildren) return spate_error_set(k->err, SPATE_EINVAL, "struct field index out of range");
  if (sv->null_count == 0) {
    if (s->owned) {
      out->vec = sv->children[f];
      sv->children[f] = NULL;
      out->owned = true;
    } else {
      out->vec = sv->children[f];
      out->owned = false;
    }
    return 0;
  }
  out->vec = sp_xvec_with_nulls(sv->children[f], sv->validity);
  out->owned = true;
  return out->vec ? 0 : sp_expr_oom(k->err);
}

int sp_k_complex(const sp_kctx *k, sp_opnd *out) {
  switch (k->e->fn) {
    case SP_FN_STRUCT: return k_struct_(k, out);
    case SP_FN_ARRAY: return k_array_(k, out);
    case SP_FN_SIZE: return k_size_(k, out);
    case SP_FN_ELEMENT_AT: return k_item_(k, out, true);
    case SP_FN_GET_ITEM: return k_item_(k, out, false);
    case SP_FN_GET_FIELD: return k_field_(k, out);
    default: return spate_error_set(k->err, SPATE_EINVAL, "bad complex-type function");
  }
}
