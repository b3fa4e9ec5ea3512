/*
 * vec.c - building, copying, hashing and comparing columnar vectors and batches.
 *
 * Invariants: offsets[0] == 0 and offsets[length] == chars_len (STRING/BINARY) or
 * the child's length (ARRAY); every STRUCT child has exactly `length` rows; the
 * validity bitmap, when present, covers `capacity` rows and bits past `length`
 * are unspecified.
 */
#include "common/vec.h"

#include <stdlib.h>
#include <xxhash.h>

#include "spate/error.h"

static bool has_offsets_(sp_type_id id) { return id == SP_STRING || id == SP_BINARY || id == SP_ARRAY; }

sp_vec *sp_vec_new(sp_type *t, int64_t capacity_hint) {
  sp_vec *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->type = sp_type_ref(t);
  if (t->id == SP_STRUCT && t->nfields > 0) {
    v->children = calloc((size_t)t->nfields, sizeof *v->children);
    if (!v->children) goto fail;
    v->nchildren = t->nfields;
    for (int i = 0; i < t->nfields; i++) {
      v->children[i] = sp_vec_new(t->fields[i].type, capacity_hint);
      if (!v->children[i]) goto fail;
    }
  } else if (t->id == SP_ARRAY) {
    v->children = calloc(1, sizeof *v->children);
    if (!v->children) goto fail;
    v->nchildren = 1;
    v->children[0] = sp_vec_new(t->elem, capacity_hint);
    if (!v->children[0]) goto fail;
  }
  if (has_offsets_(t->id)) {
    v->offsets = calloc(1, sizeof(int32_t));
    if (!v->offsets) goto fail;
  }
  if (capacity_hint > 0) sp_vec_reserve(v, capacity_hint);
  if (v->failed) goto fail;
  return v;
fail:
  sp_vec_free(v);
  return NULL;
}

sp_vec *sp_vec_new_nulls(sp_type *t, int64_t n) {
  sp_vec *v = sp_vec_new(t, 0);
  if (!v || n <= 0) return v;
  /* calloc of a large block maps zero pages lazily: a column nobody reads costs
   * address space, not memory bandwidth. Zero validity = null, zero offsets = empty. */
  int w = sp_type_width(t->id);
  size_t cap = (size_t)n;
  v->validity = calloc((cap + 7) / 8, 1);
  if (w > 0) {
    v->data = calloc(cap, (size_t)w);
    if (!v->data) goto fail;
  }
  if (has_offsets_(t->id)) {
    free(v->offsets);
    v->offsets = calloc(cap + 1, sizeof(int32_t));
    if (!v->offsets) goto fail;
  }
  if (!v->validity) goto fail;
  for (int i = 0; i < v->nchildren; i++) {
    if (t->id == SP_ARRAY) break; /* arrays: zero offsets, empty element vector */
    sp_vec *c = sp_vec_new_nulls(t->fields[i].type, n);
    if (!c) goto fail;
    sp_vec_free(v->children[i]);
    v->children[i] = c;
  }
  v->length = n;
  v->capacity = n;
  v->null_count = n;
  return v;
fail:
  sp_vec_free(v);
  return NULL;
}

void sp_vec_free(sp_vec *v) {
  if (!v) return;
  if (v->children)
    for (int i = 0; i < v->nchildren; i++) sp_vec_free(v->children[i]);
  free(v->children);
  free(v->validity);
  free(v->data);
  free(v->offsets);
  free(v->chars);
  sp_type_unref(v->type);
  free(v);
}

void sp_vec_reset(sp_vec *v) {
  v->length = 0;
  v->null_count = 0;
  v->chars_len = 0;
  if (v->validity) {
    free(v->validity);
    v->validity = NULL;
  }
  for (int i = 0; i < v->nchildren; i++) sp_vec_reset(v->children[i]);
}

void sp_vec_reserve(sp_vec *v, int64_t extra) {
  if (v->failed) return;
  int64_t need = v->length + extra;
  if (need <= v->capacity) return;
  int64_t cap = v->capacity ? v->capacity : 16;
  while (cap < need) cap *= 2;
  int w = sp_type_width(v->type->id);
  if (w) {
    void *d = realloc(v->data, (size_t)(cap * w));
    if (!d) goto fail;
    v->data = d;
  }
  if (has_offsets_(v->type->id)) {
    int32_t *o = realloc(v->offsets, (size_t)(cap + 1) * sizeof(int32_t));
    if (!o) goto fail;
    v->offsets = o;
  }
  if (v->validity) {
    size_t oldb = (size_t)(v->capacity + 7) / 8, newb = (size_t)(cap + 7) / 8;
    uint8_t *b = realloc(v->validity, newb);
    if (!b) goto fail;
    memset(b + oldb, 0xff, newb - oldb);
    v->validity = b;
  }
  v->capacity = cap;
  return;
fail:
  v->failed = true;
}

int sp_vec_check(const sp_vec *v) {
  if (v->failed) return SPATE_ENOMEM;
  for (int i = 0; i < v->nchildren; i++)
    if (sp_vec_check(v->children[i])) return SPATE_ENOMEM;
  return 0;
}

static inline bool grow1_(sp_vec *v) {
  if (v->length >= v->capacity) sp_vec_reserve(v, 1);
  return !v->failed;
}

static void ensure_validity_(sp_vec *v) {
  if (v->validity || v->failed) return;
  size_t nb = (size_t)(v->capacity + 7) / 8;
  v->validity = malloc(nb ? nb : 1);
  if (!v->validity) {
    v->failed = true;
    return;
  }
  memset(v->validity, 0xff, nb ? nb : 1);
}

static inline void mark_valid_(sp_vec *v, int64_t i) {
  if (v->validity) v->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
}

void sp_vec_set_null(sp_vec *v, int64_t i) {
  ensure_validity_(v);
  if (v->failed) return;
  if (v->validity[i >> 3] & (1u << (i & 7))) {
    v->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
    v->null_count++;
  }
}

void sp_vec_set_last_null(sp_vec *v) {
  if (v->length > 0) sp_vec_set_null(v, v->length - 1);
}

void sp_vec_append_null(sp_vec *v) {
  if (!grow1_(v)) return;
  int64_t i = v->length;
  int w = sp_type_width(v->type->id);
  if (w) memset((char *)v->data + i * w, 0, (size_t)w);
  if (v->type->id == SP_STRUCT)
    for (int c = 0; c < v->nchildren; c++) sp_vec_append_null(v->children[c]);
  if (has_offsets_(v->type->id)) v->offsets[i + 1] = v->offsets[i];
  v->length++;
  sp_vec_set_null(v, i);
}

#define APPEND_FIXED_(fn, ctype)               \
  void fn(sp_vec *v, ctype x) {                \
    if (!grow1_(v)) return;                    \
    ((ctype *)v->data)[v->length] = x;         \
    mark_valid_(v, v->length);                 \
    v->length++;                               \
  }
APPEND_FIXED_(sp_vec_append_i32, int32_t)
APPEND_FIXED_(sp_vec_append_i64, int64_t)
APPEND_FIXED_(sp_vec_append_f64, double)
#undef APPEND_FIXED_

void sp_vec_append_bool(sp_vec *v, bool x) {
  if (!grow1_(v)) return;
  ((uint8_t *)v->data)[v->length] = x ? 1 : 0;
  mark_valid_(v, v->length);
  v->length++;
}

void sp_vec_append_str(sp_vec *v, const char *p, int32_t len) {
  if (!grow1_(v)) return;
  if (v->chars_len + len > v->chars_cap) {
    int64_t cap = v->chars_cap ? v->chars_cap : 64;
    while (cap < v->chars_len + len) cap *= 2;
    if (cap > INT32_MAX) {
      v->failed = true;
      return;
    }
    char *c = realloc(v->chars, (size_t)cap);
    if (!c) {
      v->failed = true;
      return;
    }
    v->chars = c;
    v->chars_cap = cap;
  }
  if (len) memcpy(v->chars + v->chars_len, p, (size_t)len);
  v->chars_len += len;
  v->offsets[v->length + 1] = (int32_t)v->chars_len;
  mark_valid_(v, v->length);
  v->length++;
}

void sp_vec_struct_append(sp_vec *v, bool valid) {
  if (!grow1_(v)) return;
  mark_valid_(v, v->length);
  v->length++;
  if (!valid) sp_vec_set_null(v, v->length - 1);
}

void sp_vec_array_close(sp_vec *v, bool valid) {
  if (!grow1_(v)) return;
  v->offsets[v->length + 1] = (int32_t)v->children[0]->length;
  mark_valid_(v, v->length);
  v->length++;
  if (!valid) sp_vec_set_null(v, v->length - 1);
}

void sp_vec_append_from(sp_vec *dst, const sp_vec *src, int64_t i) {
  if (sp_vec_is_null(src, i)) {
    if (dst->type->id == SP_ARRAY) {
      sp_vec_array_close(dst, false);
    } else {
      sp_vec_append_null(dst);
    }
    return;
  }
  switch (src->type->id) {
    case SP_NULL: sp_vec_append_null(dst); break;
    case SP_BOOLEAN: sp_vec_append_bool(dst, sp_vec_bool(src)[i]); break;
    case SP_INT:
    case SP_DATE: sp_vec_append_i32(dst, sp_vec_i32(src)[i]); break;
    case SP_BIGINT:
    case SP_TIMESTAMP: sp_vec_append_i64(dst, sp_vec_i64(src)[i]); break;
    case SP_DOUBLE: sp_vec_append_f64(dst, sp_vec_f64(src)[i]); break;
    case SP_STRING:
    case SP_BINARY: {
      int32_t len;
      const char *p = sp_vec_str(src, i, &len);
      sp_vec_append_str(dst, p, len);
      break;
    }
    case SP_STRUCT:
      for (int c = 0; c < src->nchildren; c++) sp_vec_append_from(dst->children[c], src->children[c], i);
      sp_vec_struct_append(dst, true);
      break;
    case SP_ARRAY: {
      int32_t a = src->offsets[i], b = src->offsets[i + 1];
      sp_vec_reserve(dst->children[0], b - a);
      for (int32_t k = a; k < b; k++) sp_vec_append_from(dst->children[0], src->children[0], k);
      sp_vec_array_close(dst, true);
      break;
    }
    default: dst->failed = true; break;
  }
}

sp_vec *sp_vec_take(const sp_vec *src, const int32_t *idx, int64_t n) {
  sp_vec *dst = sp_vec_new(src->type, n);
  if (!dst) return NULL;
  int w = sp_type_width(src->type->id);
  if (w && !src->validity) {
    /* Fast path: fixed width, no nulls. */
    switch (w) {
      case 1:
        for (int64_t k = 0; k < n; k++) ((uint8_t *)dst->data)[k] = ((const uint8_t *)src->data)[idx[k]];
        break;
      case 4:
        for (int64_t k = 0; k < n; k++) ((int32_t *)dst->data)[k] = ((const int32_t *)src->data)[idx[k]];
        break;
      default:
        for (int64_t k = 0; k < n; k++) ((int64_t *)dst->data)[k] = ((const int64_t *)src->data)[idx[k]];
        break;
    }
    dst->length = n;
  } else {
    for (int64_t k = 0; k < n; k++) sp_vec_append_from(dst, src, idx[k]);
  }
  if (sp_vec_check(dst)) {
    sp_vec_free(dst);
    return NULL;
  }
  return dst;
}

sp_vec *sp_vec_copy(const sp_vec *src) {
  sp_vec *dst = sp_vec_new(src->type, src->length);
  if (!dst) return NULL;
  for (int64_t i = 0; i < src->length; i++) sp_vec_append_from(dst, src, i);
  if (sp_vec_check(dst)) {
    sp_vec_free(dst);
    return NULL;
  }
  return dst;
}

sp_vec *sp_vec_repeat(const sp_vec *src, int64_t i, int64_t n) {
  sp_vec *dst = sp_vec_new(src->type, n);
  if (!dst) return NULL;
  for (int64_t k = 0; k < n; k++) sp_vec_append_from(dst, src, i);
  if (sp_vec_check(dst)) {
    sp_vec_free(dst);
    return NULL;
  }
  return dst;
}

/* ---- batches ---- */

sp_batch *sp_batch_new(sp_type *schema, int64_t capacity_hint) {
  sp_batch *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->schema = sp_type_ref(schema);
  b->ncols = schema->nfields;
  b->cols = calloc((size_t)(b->ncols ? b->ncols : 1), sizeof *b->cols);
  if (!b->cols) goto fail;
  for (int i = 0; i < b->ncols; i++) {
    b->cols[i] = sp_vec_new(schema->fields[i].type, capacity_hint);
    if (!b->cols[i]) goto fail;
  }
  return b;
fail:
  sp_batch_free(b);
  return NULL;
}

sp_batch *sp_batch_from(sp_type *schema, sp_vec **cols, int ncols, int64_t nrows) {
  sp_batch *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->cols = calloc((size_t)(ncols ? ncols : 1), sizeof *b->cols);
  if (!b->cols) {
    free(b);
    return NULL;
  }
  b->schema = sp_type_ref(schema);
  b->ncols = ncols;
  for (int i = 0; i < ncols; i++) b->cols[i] = cols[i];
  b->nrows = nrows;
  return b;
}

void sp_batch_free(sp_batch *b) {
  if (!b) return;
  if (b->cols)
    for (int i = 0; i < b->ncols; i++) sp_vec_free(b->cols[i]);
  free(b->cols);
  sp_type_unref(b->schema);
  free(b);
}

int sp_batch_check(const sp_batch *b) {
  for (int i = 0; i < b->ncols; i++)
    if (sp_vec_check(b->cols[i])) return SPATE_ENOMEM;
  return 0;
}

int sp_batch_finish(sp_batch *b) {
  if (sp_batch_check(b)) return SPATE_ENOMEM;
  if (b->ncols == 0) return 0;
  b->nrows = b->cols[0]->length;
  for (int i = 1; i < b->ncols; i++)
    if (b->cols[i]->length != b->nrows) return SPATE_ESTATE;
  return 0;
}

sp_batch *sp_batch_take(const sp_batch *b, const int32_t *idx, int64_t n) {
  sp_batch *out = calloc(1, sizeof *out);
  if (!out) return NULL;
  out->schema = sp_type_ref(b->schema);
  out->ncols = b->ncols;
  out->nrows = n;
  out->cols = calloc((size_t)(b->ncols ? b->ncols : 1), sizeof *out->cols);
  if (!out->cols) goto fail;
  for (int i = 0; i < b->ncols; i++) {
    out->cols[i] = sp_vec_take(b->cols[i], idx, n);
    if (!out->cols[i]) goto fail;
  }
  return out;
fail:
  sp_batch_free(out);
  return NULL;
}

void sp_batch_append(sp_batch *dst, const sp_batch *src) {
  for (int c = 0; c < dst->ncols; c++) {
    sp_vec_reserve(dst->cols[c], src->nrows);
    for (int64_t i = 0; i < src->nrows; i++) sp_vec_append_from(dst->cols[c], src->cols[c], i);
  }
  dst->nrows += src->nrows;
}

/* ---- hashing and comparison ---- */

uint64_t sp_vec_hash_row(const sp_vec *v, int64_t i, uint64_t seed) {
  if (sp_vec_is_null(v, i)) return XXH3_64bits_withSeed("\0null", 5, seed);
  switch (v->type->id) {
    case SP_NULL: return XXH3_64bits_withSeed("\0null", 5, seed);
    case SP_BOOLEAN: return XXH3_64bits_withSeed(sp_vec_bool(v) + i, 1, seed);
    case SP_INT:
    case SP_DATE: return XXH3_64bits_withSeed(sp_vec_i32(v) + i, 4, seed);
    case SP_BIGINT:
    case SP_TIMESTAMP: return XXH3_64bits_withSeed(sp_vec_i64(v) + i, 8, seed);
    case SP_DOUBLE: {
      double d = sp_vec_f64(v)[i];
      if (d == 0.0) d = 0.0; /* -0.0 groups with 0.0 */
      return XXH3_64bits_withSeed(&d, 8, seed);
    }
    case SP_STRING:
    case SP_BINARY: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      return XXH3_64bits_withSeed(p, (size_t)len, seed);
    }
    case SP_STRUCT: {
      uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
      for (int c = 0; c < v->nchildren; c++) h = sp_vec_hash_row(v->children[c], i, h);
      return h;
    }
    case SP_ARRAY: {
      uint64_t h = seed ^ 0x632be59bd9b4e019ull;
      for (int32_t k = v->offsets[i]; k < v->offsets[i + 1]; k++) h = sp_vec_hash_row(v->children[0], k, h);
      return h;
    }
    default: return seed;
  }
}

int sp_vec_row_compare(const sp_vec *a, int64_t i, const sp_vec *b, int64_t j) {
  bool na = sp_vec_is_null(a, i), nb = sp_vec_is_null(b, j);
  if (na || nb) return na == nb ? 0 : (na ? -1 : 1);
  switch (a->type->id) {
    case SP_NULL: return 0;
    case SP_BOOLEAN: return (int)sp_vec_bool(a)[i] - (int)sp_vec_bool(b)[j];
    case SP_INT:
    case SP_DATE: {
      int32_t x = sp_vec_i32(a)[i], y = sp_vec_i32(b)[j];
      return (x > y) - (x < y);
    }
    case SP_BIGINT:
    case SP_TIMESTAMP: {
      int64_t x = sp_vec_i64(a)[i], y = sp_vec_i64(b)[j];
      return (x > y) - (x < y);
    }
    case SP_DOUBLE: {
      double x = sp_vec_f64(a)[i], y = sp_vec_f64(b)[j];
      /* Spark orders NaN above every other value and NaN == NaN. */
      bool xn = x != x, yn = y != y;
      if (xn || yn) return xn == yn ? 0 : (xn ? 1 : -1);
      return (x > y) - (x < y);
    }
    case SP_STRING:
    case SP_BINARY: {
      int32_t la, lb;
      const char *pa = sp_vec_str(a, i, &la), *pb = sp_vec_str(b, j, &lb);
      int c = memcmp(pa, pb, (size_t)(la < lb ? la : lb));
      if (c) return c < 0 ? -1 : 1;
      return (la > lb) - (la < lb);
    }
    case SP_STRUCT:
      for (int c = 0; c < a->nchildren; c++) {
        int r = sp_vec_row_compare(a->children[c], i, b->children[c], j);
        if (r) return r;
      }
      return 0;
    case SP_ARRAY: {
      int32_t la = a->offsets[i + 1] - a->offsets[i], lb = b->offsets[j + 1] - b->offsets[j];
      for (int32_t k = 0; k < la && k < lb; k++) {
        int r = sp_vec_row_compare(a->children[0], a->offsets[i] + k, b->children[0], b->offsets[j] + k);
        if (r) return r;
      }
      return (la > lb) - (la < lb);
    }
    default: return 0;
  }
}

bool sp_vec_row_equal(const sp_vec *a, int64_t i, const sp_vec *b, int64_t j) {
  return sp_vec_row_compare(a, i, b, j) == 0;
}

int64_t sp_vec_memory(const sp_vec *v) {
  int64_t m = (int64_t)sizeof *v + v->capacity * sp_type_width(v->type->id) + v->chars_cap;
  if (v->offsets) m += (v->capacity + 1) * 4;
  if (v->validity) m += (v->capacity + 7) / 8;
  for (int i = 0; i < v->nchildren; i++) m += sp_vec_memory(v->children[i]);
  return m;
}
