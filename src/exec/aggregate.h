/*
 * aggregate.h - hash aggregation with mergeable buffers (count, sum, avg, min, max).
 *
 * Streaming aggregation runs in two hash-aggregate phases plus a state merge
 * (docs/design.md, "Stateful aggregation"):
 *   1. per input partition: sp_agg_update over raw rows -> partial buffers per key;
 *   2. partials are shuffled by key to `spark.sql.shuffle.partitions` partitions;
 *   3. per shuffle partition: sp_agg_merge of the partials, then of the rows
 *      restored from the state store -> final buffers, written back to state,
 *      finalized into result columns per the output mode.
 *
 * Buffer columns per aggregate: count -> BIGINT; sum -> BIGINT or DOUBLE (NULL
 * when no non-null input); avg -> DOUBLE sum, BIGINT count; min/max -> input type.
 *
 * An sp_agg_table keeps references to the min/max winners inside the vectors
 * passed to update/merge: those vectors must stay alive until the last emit.
 * A table is used by one thread at a time.
 */
#ifndef SPATE_EXEC_AGGREGATE_H
#define SPATE_EXEC_AGGREGATE_H

#include <stdint.h>

#include "common/vec.h"
#include "expr/expr.h"

typedef struct sp_agg_spec {
  sp_agg_kind kind;
  sp_type *in_type;   /* argument type (NULL for count(*)); borrowed */
  sp_type *out_type;  /* result type; borrowed */
} sp_agg_spec;

/* Number of buffer columns of one aggregate. */
int sp_agg_nbuf(sp_agg_kind k);
/* STRUCT schema of all buffer columns of specs[0..n) (new reference, NULL on OOM). */
sp_type *sp_agg_buffer_schema(const sp_agg_spec *specs, int n);

typedef struct sp_agg_table sp_agg_table;

/* key_schema: STRUCT of the key columns (borrowed, must outlive the table). */
sp_agg_table *sp_agg_table_new(const sp_type *key_schema, const sp_agg_spec *specs, int naggs);
void sp_agg_table_free(sp_agg_table *t);
/* Aggregate raw rows: keys[nkeys], args[naggs] (NULL for count(*)), nrows each.
 */
int sp_agg_update(sp_agg_table *t, sp_vec *const *keys, sp_vec *const *args, int64_t nrows);
/* Merge buffer rows: bufs[nbuf total] in buffer-schema order. */
int sp_agg_merge(sp_agg_table *t, sp_vec *const *keys, sp_vec *const *bufs, int64_t nrows);
/* Merge buffer rows into existing groups given by gid[nrows] (state restore). */
int sp_agg_merge_into(sp_agg_table *t, const int32_t *gid, sp_vec *const *bufs, int64_t nrows);
int64_t sp_agg_ngroups(const sp_agg_table *t);
/* Key column c of the table (borrowed, ngroups rows). */
sp_vec *sp_agg_key(const sp_agg_table *t, int c);
/* New buffer vectors (ngroups rows each) into bufs[nbuf]. */
int sp_agg_emit_buffers(const sp_agg_table *t, sp_vec **bufs);
/* Final result vectors from buffer vectors: results[naggs] new vectors. */
int sp_agg_finalize(const sp_agg_spec *specs, int naggs, sp_vec *const *bufs, sp_vec **results);

#endif
