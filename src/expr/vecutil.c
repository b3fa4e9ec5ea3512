/*
 * vecutil.c - vector helpers for the expression kernels: bulk allocation of result
 * vectors, validity-bitmap combination, broadcasting and gathering.
 *
 * Invariants kept for every vector built here (same as src/common/vec.c): a validity
 * bitmap, when present, holds (capacity + 7) / 8 bytes; null_count equals the number
 * of cleared bits in [0, length); offsets[0] == 0.
 */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

int sp_expr_oom(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

void sp_opnd_release(sp_opnd *o) {
  if (o->owned) sp_vec_free(o->vec);
  o->vec = NULL;
  o->owned = false;
  o->scalar = false;
}

void sp_xvec_nonnull_chars(sp_vec *v) {
  if (!v) return;
  if ((v->type->id == SP_STRING || v->type->id == SP_BINARY) && !v->chars) {
    v->chars = malloc(1);
    if (v->chars) v->chars_cap = 1;
  }
  if (v->type->id == SP_ARRAY && v->nchildren == 1) sp_xvec_nonnull_chars(v->children[0]);
}

void sp_xvec_reserve_chars(sp_vec *v, int64_t bytes) {
  if (v->failed || bytes <= v->chars_cap || bytes > INT32_MAX) return;
  char *c = realloc(v->chars, (size_t)bytes);
  if (!c) return; /* appends will grow (or fail) on their own */
  v->chars = c;
  v->chars_cap = bytes;
}

sp_vec *sp_xvec_fixed(sp_type *t, int64_t n) {
  sp_vec *v = sp_vec_new(t, n > 0 ? n : 1);
  if (!v) return NULL;
  if (sp_type_width(t->id) > 0 || t->id == SP_NULL) v->length = n;
  return v;
}

uint8_t *sp_xvec_validity(sp_vec *v) {
  if (v->validity) return v->validity;
  size_t nb = (size_t)(v->capacity + 7) / 8;
  if (nb == 0) nb = 1;
  v->validity = malloc(nb);
  if (!v->validity) return NULL;
  memset(v->validity, 0xff, nb);
  return v->validity;
}

int64_t sp_xbits_count(const uint8_t *bits, int64_t n) {
  int64_t c = 0, full = n >> 3;
  for (int64_t i = 0; i < full; i++) c += __builtin_popcount(bits[i]);
  int rem = (int)(n & 7);
  if (rem) c += __builtin_popcount(bits[full] & ((1u << rem) - 1));
  return c;
}

void sp_xvec_count_nulls(sp_vec *v) {
  v->null_count = v->validity ? v->length - sp_xbits_count(v->validity, v->length) : 0;
}

int sp_xvec_and_validity(sp_vec *out, const sp_opnd *ops, int nops, int64_t n) {
  int64_t nb = (n + 7) / 8;
  for (int k = 0; k < nops; k++) {
    const sp_opnd *o = &ops[k];
    if (o->vec->type->id == SP_NULL || (o->scalar && sp_vec_is_null(o->vec, 0))) {
      uint8_t *b = sp_xvec_validity(out);
      if (!b) return SPATE_ENOMEM;
      if (nb) memset(b, 0, (size_t)nb);
      out->null_count = n;
      return 0;
    }
  }
  for (int k = 0; k < nops; k++) {
    const sp_opnd *o = &ops[k];
    if (o->scalar || !o->vec->validity) continue;
    if (!out->validity) {
      uint8_t *b = sp_xvec_validity(out);
      if (!b) return SPATE_ENOMEM;
      if (nb) memcpy(b, o->vec->validity, (size_t)nb);
    } else {
      uint8_t *b = out->validity;
      const uint8_t *s = o->vec->validity;
      for (int64_t i = 0; i < nb; i++) b[i] &= s[i];
    }
  }
  sp_xvec_count_nulls(out);
  return 0;
}

sp_vec *sp_xvec_all_null(sp_type *t, int64_t n) {
  if (sp_type_width(t->id) > 0 || t->id == SP_NULL) {
    sp_vec *v = sp_xvec_fixed(t, n);
    if (!v) return NULL;
    if (n > 0 && sp_type_width(t->id) > 0) memset(v->data, 0, (size_t)(n * sp_type_width(t->id)));
    uint8_t *b = sp_xvec_validity(v);
    if (!b) {
      sp_vec_free(v);
      return NULL;
    }
    memset(b, 0, (size_t)(v->capacity + 7) / 8);
    v->null_count = n;
    return v;
  }
  sp_vec *v = sp_vec_new(t, n);
  if (!v) return NULL;
  for (int64_t i = 0; i < n; i++) {
    if (t->id == SP_ARRAY)
      sp_vec_array_close(v, false);
    else
      sp_vec_append_null(v);
  }
  if (sp_vec_check(v)) {
    sp_vec_free(v);
    return NULL;
  }
  return v;
}

sp_vec *sp_xvec_broadcast(const sp_vec *src, int64_t row, int64_t n) {
  if (sp_vec_is_null(src, row) || src->type->id == SP_NULL) return sp_xvec_all_null(src->type, n);
  int w = sp_type_width(src->type->id);
  if (w == 0) {
    sp_vec *v = sp_vec_repeat(src, row, n);
    sp_xvec_nonnull_chars(v);
    return v;
  }
  sp_vec *v = sp_xvec_fixed(src->type, n);
  if (!v) return NULL;
  switch (w) {
    case 1: {
      uint8_t x = sp_vec_bool(src)[row], *d = sp_vec_bool(v);
      for (int64_t i = 0; i < n; i++) d[i] = x;
      break;
    }
    case 4: {
      int32_t x = sp_vec_i32(src)[row], *d = sp_vec_i32(v);
      for (int64_t i = 0; i < n; i++) d[i] = x;
      break;
    }
    default: {
      int64_t x = sp_vec_i64(src)[row], *d = sp_vec_i64(v);
      for (int64_t i = 0; i < n; i++) d[i] = x;
      break;
    }
  }
  return v;
}

sp_vec *sp_xvec_gather(const sp_vec *src, const int32_t *idx, int64_t n) {
  int w = sp_type_width(src->type->id);
  if (w == 0) {
    sp_vec *v = sp_vec_new(src->type, n);
    if (!v) return NULL;
    for (int64_t i = 0; i < n; i++) {
      if (idx[i] < 0) {
        if (src->type->id == SP_ARRAY)
          sp_vec_array_close(v, false);
        else
          sp_vec_append_null(v);
      } else {
        sp_vec_append_from(v, src, idx[i]);
      }
    }
    if (sp_vec_check(v)) {
      sp_vec_free(v);
      return NULL;
    }
    return v;
  }
  sp_vec *v = sp_xvec_fixed(src->type, n);
  if (!v) return NULL;
  uint8_t *vb = NULL;
  for (int64_t i = 0; i < n; i++) {
    int32_t j = idx[i];
    if (j < 0 || sp_vec_is_null(src, j)) {
      if (!vb && !(vb = sp_xvec_validity(v))) {
        sp_vec_free(v);
        return NULL;
      }
      sp_xbit_clear(vb, i);
      memset((char *)v->data + i * w, 0, (size_t)w);
    } else {
      memcpy((char *)v->data + i * w, (const char *)src->data + (int64_t)j * w, (size_t)w);
    }
  }
  sp_xvec_count_nulls(v);
  return v;
}

sp_vec *sp_xvec_take_owned(sp_opnd *o, int64_t n) {
  sp_vec *v;
  if (o->scalar && n != 1) {
    v = sp_xvec_broadcast(o->vec, 0, n);
    sp_opnd_release(o);
    return v;
  }
  if (o->owned) {
    v = o->vec;
    o->vec = NULL;
    o->owned = false;
    return v;
  }
  v = sp_vec_copy(o->vec);
  sp_opnd_release(o);
  return v;
}

sp_vec *sp_xvec_with_nulls(const sp_vec *v, const uint8_t *mask) {
  sp_vec *c = sp_vec_copy(v);
  if (!c || !mask) return c;
  int64_t n = c->length;
  uint8_t *b = sp_xvec_validity(c);
  if (!b) {
    sp_vec_free(c);
    return NULL;
  }
  for (int64_t i = 0; i < (n + 7) / 8; i++) b[i] &= mask[i];
  sp_xvec_count_nulls(c);
  return c;
}
