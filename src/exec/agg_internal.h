/*
 * agg_internal.h - the streaming aggregation operator's execution state, shared by
 * op_aggregate.c (hash aggregation with per-key state) and op_session.c
 * (session windows: per key a list of sessions that merge). Private to src/exec.
 */
#ifndef SPATE_EXEC_AGG_INTERNAL_H
#define SPATE_EXEC_AGG_INTERNAL_H

#include "exec/aggregate.h"
#include "exec/exec.h"

struct sp_agg_exec {
  const sp_node *node;
  int nparts;
  char *state_dir;
  sp_state_store_opts opts;
  sp_agg_spec *specs;
  int naggs, nbuf;
  sp_type *key_schema;  /* STRUCT of the keys */
  sp_type *buf_schema;  /* STRUCT of the buffers */
  sp_type *part_schema; /* keys + buffers */
  sp_state_store **stores;
  int64_t *commit_ms;
  int64_t *dropped;     /* per partition: rows dropped by the watermark in the last batch */
  /* session_window aggregation (op_session.c): index of the session key, or -1 */
  int sess_key;
};

/* Load partition p's store at `version` (reuses the open one when it matches). */
int sp_agg_open_store(sp_agg_exec *ex, int p, int64_t version, spate_error *err);
/* Result rows (keys + finalized aggregates, the node's schema) from key and buffer vectors. */
int sp_agg_result_batch(sp_agg_exec *ex, sp_vec **keys, sp_vec **bufs, int64_t nrows, sp_batch **out,
                        spate_error *err);
/* Rows of a partial batch whose event-time key is after late_us (or NULL); counts the rest. */
sp_batch *sp_agg_drop_late(const sp_agg_exec *ex, const sp_batch *b, int64_t late_us, int64_t *dropped);
/* Event time (µs) of row r of an event-time key (window: its end); false when NULL. */
bool sp_agg_key_time(const sp_vec *k, bool window, int64_t r, int64_t *us);
int64_t sp_agg_now_ms(void);
/* sp_agg_exec_final for a session_window aggregation (op_session.c). */
int sp_agg_session_final(sp_agg_exec *ex, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                         sp_output_mode mode, const sp_agg_watermark *wm, sp_batch **out, spate_error *err);

#endif
