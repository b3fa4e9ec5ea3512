/*
 * exec.h - physical operators over columnar batches.
 *
 * Stateless operators (FILTER, PROJECT with an optional generator) map one input
 * batch to one output batch and may run on many partitions in parallel.
 * The stateful aggregation operator (sp_agg_exec) keeps per-query execution state:
 * one state store per shuffle partition, loaded at the version of the batch being
 * run and committed at version+1 (spark-semantics.md §6.0, §6.1).
 */
#ifndef SPATE_EXEC_EXEC_H
#define SPATE_EXEC_EXEC_H

#include "common/vec.h"
#include "expr/expr.h"
#include "plan/plan.h"
#include "sink/sink.h"
#include "state/state_store.h"

/* Run one stateless node (FILTER / PROJECT) on `in`.
 * *out is a new batch owned by the caller. */
int sp_exec_node(const sp_node *n, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out, spate_error *err);

/* ---- shuffle (shuffle.c) ---- */
/* Shuffle partition of row r: the key group of the hash of keys[0..nkeys) (key `skip`
 * left out, -1 for none) mapped onto nparts partitions. */
int sp_shuffle_partition_of(sp_vec *const *keys, int nkeys, int skip, int64_t r, int nparts);
/* Split `in` by partition into per_part[0..nparts) (NULL where empty), rows in input
 * order. 0 or SPATE_ENOMEM (then every per_part[p] is NULL). */
int sp_shuffle_split(const sp_batch *in, sp_vec *const *keys, int nkeys, int skip, int nparts, sp_batch **per_part);

/* Per-query execution state of one AGGREGATE node. */
typedef struct sp_agg_exec sp_agg_exec;

/* state_dir: <checkpoint>/state/<op_id>; num_partitions: spark.sql.shuffle.partitions. */
int sp_agg_exec_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                    sp_agg_exec **out, spate_error *err);
void sp_agg_exec_free(sp_agg_exec *ex);
int sp_agg_exec_num_partitions(const sp_agg_exec *ex);
/* Phase 1 (any thread, one call per input partition): evaluate keys and aggregate
 * arguments over `in`, pre-aggregate, and split the partial rows by shuffle
 * partition: per_part[p] receives a new batch (keys + buffers) or NULL if empty. */
int sp_agg_exec_partial(const sp_agg_exec *ex, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **per_part,
                        spate_error *err);
/* Phase 2 (one call per shuffle partition p, partitions in parallel): merge the
 * partial batches, restore and update the state store of p for batch `batch_id`
 * (load version batch_id, commit batch_id + 1) and produce the rows the output
 * mode emits (keys + aggregate results, the AGGREGATE node's schema). */
/* Watermarks of one batch (spark-semantics.md §5.4, 3.4+ rule), in ms: rows whose
 * event-time key is <= late_ms are dropped before the state merge; keys whose event
 * time is <= evict_ms leave the state (Append: emitted then). Ignored when the
 * aggregate has no event-time key (node->et_col < 0) and in Complete mode. */
typedef struct sp_agg_watermark {
  bool enabled;
  int64_t late_ms, evict_ms;
} sp_agg_watermark;
int sp_agg_exec_final(sp_agg_exec *ex, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                      sp_output_mode mode, const sp_agg_watermark *wm, sp_batch **out, spate_error *err);

/* State metrics summed over partitions (stateOperators in progress). */
typedef struct sp_state_metrics {
  int64_t num_rows_total, num_rows_updated, num_rows_removed, memory_used_bytes;
  int64_t num_rows_dropped_by_watermark; /* partial-aggregate rows, this batch */
  int64_t num_dropped_duplicate_rows;    /* dedup: this batch */
  int64_t commit_time_ms;
} sp_state_metrics;
void sp_agg_exec_metrics(const sp_agg_exec *ex, sp_state_metrics *m);

/* ---- deduplication (dropDuplicates / dropDuplicatesWithinWatermark; op_dedup.c) ---- */
typedef struct sp_dedup_exec sp_dedup_exec;
int sp_dedup_exec_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                      sp_dedup_exec **out, spate_error *err);
void sp_dedup_exec_free(sp_dedup_exec *ex);
/* Map side: split `in` by the key's shuffle partition (rows keep their order). */
int sp_dedup_exec_partial(const sp_dedup_exec *ex, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **per_part,
                          spate_error *err);
/* Reduce side: rows whose key is new (not in state, not earlier in this batch) pass,
 * in input order; late rows are dropped with wm->late_ms; expired keys leave the state. */
int sp_dedup_exec_final(sp_dedup_exec *ex, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                        const sp_agg_watermark *wm, const sp_eval_ctx *ctx, sp_batch **out, spate_error *err);
void sp_dedup_exec_metrics(const sp_dedup_exec *ex, sp_state_metrics *m);

/* ---- stream-stream join (op_join.c) ---- */
typedef struct sp_join_exec sp_join_exec;
int sp_join_exec_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                     sp_join_exec **out, spate_error *err);
void sp_join_exec_free(sp_join_exec *ex);
/* Map side: split one side's batch (side 0 = left, 1 = right) by the join key's partition. */
int sp_join_exec_partial(const sp_join_exec *ex, int side, const sp_batch *in, const sp_eval_ctx *ctx,
                         sp_batch **per_part, spate_error *err);
/* Reduce side for partition p: join both sides' rows with each other and the state,
 * store them, evict by watermark; *out: the joined (and outer NULL-padded) rows. */
int sp_join_exec_final(sp_join_exec *ex, int p, int64_t batch_id, sp_batch *const *lparts, int nl,
                       sp_batch *const *rparts, int nr, const sp_agg_watermark *wm, const sp_eval_ctx *ctx,
                       sp_batch **out, spate_error *err);
void sp_join_exec_metrics(const sp_join_exec *ex, sp_state_metrics *m);

/* ---- stream-static join (op_hash_join.c) ---- */
typedef struct sp_hash_join sp_hash_join;
/* Hash table over the static side's join keys of JOIN node n (n->join_static != 0).
 * static_rows is borrowed and must outlive the table. Immutable once built. */
int sp_hash_join_build(const sp_node *n, sp_batch *static_rows, const sp_eval_ctx *ctx, sp_hash_join **out,
                       spate_error *err);
/* Join one stream partition (any thread): *out has the node's schema. */
int sp_hash_join_probe(const sp_hash_join *hj, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out,
                       spate_error *err);
void sp_hash_join_free(sp_hash_join *hj);

/* ---- a stateful operator of a query (one per AGGREGATE, DEDUPLICATE, stream-stream JOIN) ---- */
typedef struct sp_stateful {
  const sp_node *node;        /* AGGREGATE, DEDUPLICATE or stream-stream JOIN */
  int num_partitions;
  const char *operator_name;  /* progress stateOperators[].operatorName */
  /* This batch's input watermarks of the operator (ms): late rows by the previous
   * batch's, eviction by this batch's, each propagated from the global watermark
   * through the operators below (sp_plan_input_watermark). Set by the loop before
   * every batch. */
  sp_agg_watermark wm;
  sp_agg_exec *agg;
  sp_dedup_exec *dedup;
  sp_join_exec *join;
} sp_stateful;
/* Execution state for node n (AGGREGATE, DEDUPLICATE or a stream-stream JOIN); *out owned
 * by the caller. A JOIN is driven through s->join (two inputs), not the functions below. */
int sp_stateful_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                    sp_stateful **out, spate_error *err);
void sp_stateful_free(sp_stateful *s);
int sp_stateful_partial(const sp_stateful *s, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **per_part,
                        spate_error *err);
int sp_stateful_final(sp_stateful *s, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                      sp_output_mode mode, const sp_agg_watermark *wm, const sp_eval_ctx *ctx, sp_batch **out,
                      spate_error *err);
void sp_stateful_metrics(const sp_stateful *s, sp_state_metrics *m);

#endif
