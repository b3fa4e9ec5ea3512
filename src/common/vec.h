/*
 * vec.h - columnar vectors and batches, the engine's unit of data.
 *
 * A sp_vec is one column of `length` rows in the Arrow columnar layout (see
 * types.h for the buffers of each type): a validity bitmap (bit i set = row i
 * valid; NULL bitmap = no nulls), a value buffer, offsets for variable-width and
 * array types, and child vectors for STRUCT/ARRAY. A sp_batch is a set of equally
 * long vectors with a STRUCT schema, as DuckDB's DataChunk or an Arrow record batch.
 *
 * Ownership: a vector owns its buffers and children; a batch owns its vectors.
 * Vectors are built single-threaded and are read-only once handed on; a finished
 * vector may be read from many threads at once.
 *
 * Building: the append functions never return an error; on allocation failure
 * they set `failed` and become no-ops, and sp_vec_check() reports SPATE_ENOMEM
 * once at the end (a sticky error, so hot loops carry no error branches).
 *
 * STRUCT rows: append each child's value, then sp_vec_struct_append(v, valid).
 * A null struct row must still append one (null) value to every child.
 * ARRAY rows: append the elements to v->children[0], then sp_vec_array_close(v, valid).
 */
#ifndef SPATE_COMMON_VEC_H
#define SPATE_COMMON_VEC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/types.h"

typedef struct sp_vec sp_vec;

struct sp_vec {
  sp_type *type;        /* owned reference */
  int64_t length;       /* rows */
  int64_t null_count;
  int64_t capacity;     /* rows allocated in data/offsets/validity */
  uint8_t *validity;    /* NULL while all rows valid; else bitmap of capacity bits */
  void *data;           /* fixed-width values (capacity * width) */
  int32_t *offsets;     /* STRING/BINARY/ARRAY: capacity+1 entries, offsets[0] = 0 */
  char *chars;          /* STRING/BINARY bytes */
  int64_t chars_len, chars_cap;
  int nchildren;
  sp_vec **children;    /* STRUCT: one per field; ARRAY: [0] = elements */
  bool failed;          /* sticky allocation failure */
};

/* New empty vector of type t (takes a new reference to t). NULL on OOM. */
sp_vec *sp_vec_new(sp_type *t, int64_t capacity_hint);
/* New vector of n null rows of type t (STRUCT: null children too). Its buffers come
 * from calloc, so an unread column of a large batch touches no memory (column pruning).
 * NULL on OOM. */
sp_vec *sp_vec_new_nulls(sp_type *t, int64_t n);
void sp_vec_free(sp_vec *v);
/* Ensure room for `extra` more rows. */
void sp_vec_reserve(sp_vec *v, int64_t extra);
/* 0, or SPATE_ENOMEM if any append failed (recursively). */
int sp_vec_check(const sp_vec *v);
/* Remove all rows, keep buffers. */
void sp_vec_reset(sp_vec *v);

static inline bool sp_vec_is_null(const sp_vec *v, int64_t i) {
  return v->validity && !(v->validity[i >> 3] & (1u << (i & 7)));
}
static inline bool sp_vec_is_valid(const sp_vec *v, int64_t i) { return !sp_vec_is_null(v, i); }

/* Typed value buffers (no bounds or type checks). */
static inline uint8_t *sp_vec_bool(const sp_vec *v) { return (uint8_t *)v->data; }
static inline int32_t *sp_vec_i32(const sp_vec *v) { return (int32_t *)v->data; }
static inline int64_t *sp_vec_i64(const sp_vec *v) { return (int64_t *)v->data; }
static inline double *sp_vec_f64(const sp_vec *v) { return (double *)v->data; }
/* STRING/BINARY row i: pointer (not NUL-terminated) and byte length. */
static inline const char *sp_vec_str(const sp_vec *v, int64_t i, int32_t *len) {
  *len = v->offsets[i + 1] - v->offsets[i];
  return v->chars ? v->chars + v->offsets[i] : "";
}

/* Appends (one row each). Types must match the vector's type family:
 * bool -> BOOLEAN; i32 -> INT/DATE; i64 -> BIGINT/TIMESTAMP; f64 -> DOUBLE;
 * str -> STRING/BINARY. */
void sp_vec_append_null(sp_vec *v); /* any type; STRUCT appends nulls to children */
void sp_vec_append_bool(sp_vec *v, bool x);
void sp_vec_append_i32(sp_vec *v, int32_t x);
void sp_vec_append_i64(sp_vec *v, int64_t x);
void sp_vec_append_f64(sp_vec *v, double x);
void sp_vec_append_str(sp_vec *v, const char *p, int32_t len);
/* STRUCT: children already got their value for this row. */
void sp_vec_struct_append(sp_vec *v, bool valid);
/* ARRAY: close the current row over the child elements appended since the last close. */
void sp_vec_array_close(sp_vec *v, bool valid);
/* Append row `i` of `src` (same type) to `dst`, deeply. */
void sp_vec_append_from(sp_vec *dst, const sp_vec *src, int64_t i);
/* Mark the most recently appended row null (used by decoders after a failed parse). */
void sp_vec_set_last_null(sp_vec *v);
/* Set row i null / valid in place (row must exist). */
void sp_vec_set_null(sp_vec *v, int64_t i);

/* Gather rows idx[0..n) of src into a new vector (filter, explode, shuffle). NULL on OOM. */
sp_vec *sp_vec_take(const sp_vec *src, const int32_t *idx, int64_t n);
/* Deep copy. */
sp_vec *sp_vec_copy(const sp_vec *src);
/* Vector of n rows all equal to row i of src (broadcast a scalar). */
sp_vec *sp_vec_repeat(const sp_vec *src, int64_t i, int64_t n);

/* A batch: ncols vectors of nrows rows each, described by a STRUCT schema. */
typedef struct sp_batch {
  sp_type *schema; /* owned reference; STRUCT with ncols fields */
  int ncols;
  sp_vec **cols;   /* owned */
  int64_t nrows;
} sp_batch;

/* New batch with empty vectors for each schema field. NULL on OOM. */
sp_batch *sp_batch_new(sp_type *schema, int64_t capacity_hint);
/* New batch adopting `cols` (ownership of the array's vectors moves; the array is copied). */
sp_batch *sp_batch_from(sp_type *schema, sp_vec **cols, int ncols, int64_t nrows);
void sp_batch_free(sp_batch *b);
/* Set nrows from the first column and verify all columns agree; 0 or SPATE_ENOMEM/SPATE_ESTATE. */
int sp_batch_finish(sp_batch *b);
/* Gather rows of every column. NULL on OOM. */
sp_batch *sp_batch_take(const sp_batch *b, const int32_t *idx, int64_t n);
/* Append all rows of src (same schema) to dst. */
void sp_batch_append(sp_batch *dst, const sp_batch *src);
int sp_batch_check(const sp_batch *b);

/* Hash of row i (xxh3, stable across runs and machines); combines with seed. */
uint64_t sp_vec_hash_row(const sp_vec *v, int64_t i, uint64_t seed);
/* Equality of row i of a and row j of b (same type); NULL == NULL here (grouping semantics). */
bool sp_vec_row_equal(const sp_vec *a, int64_t i, const sp_vec *b, int64_t j);
/* Total order for sorting (nulls first); <0, 0, >0. */
int sp_vec_row_compare(const sp_vec *a, int64_t i, const sp_vec *b, int64_t j);

/* Approximate heap bytes held by the vector (memoryUsedBytes). */
int64_t sp_vec_memory(const sp_vec *v);

#endif
