/*
 * stateful.c - one stateful operator of a query behind one interface, so the
 * micro-batch loop (src/runtime/query.c) and the executor drive map -> shuffle ->
 * reduce the same way for every kind: streaming aggregation (op_aggregate.c),
 * deduplication (op_dedup.c) and the stream-stream join (op_join.c, two inputs).
 * A query holds one per operator id; each owns its state stores under
 * state/<op_id>/ and is told its own input watermarks before every batch.
 */
#include <stdlib.h>

#include "exec/exec.h"

int sp_stateful_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                    sp_stateful **out, spate_error *err) {
  sp_stateful *s = calloc(1, sizeof *s);
  if (!s) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  s->node = n;
  s->num_partitions = num_partitions;
  int rc;
  if (n->kind == SP_NODE_AGGREGATE) {
    s->operator_name = "stateStoreSave";
    rc = sp_agg_exec_new(n, num_partitions, state_dir, opts, &s->agg, err);
  } else if (n->kind == SP_NODE_DEDUPLICATE) {
    s->operator_name = n->dedup_within_watermark ? "dedupeWithinWatermark" : "dedupe";
    rc = sp_dedup_exec_new(n, num_partitions, state_dir, opts, &s->dedup, err);
  } else if (n->kind == SP_NODE_JOIN) {
    s->operator_name = "symmetricHashJoin";
    rc = sp_join_exec_new(n, num_partitions, state_dir, opts, &s->join, err);
  } else {
    rc = spate_error_set(err, SPATE_ESTATE, "node kind %d is not a stateful operator", (int)n->kind);
  }
  if (rc) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void sp_stateful_free(sp_stateful *s) {
  if (!s) return;
  sp_agg_exec_free(s->agg);
  sp_dedup_exec_free(s->dedup);
  sp_join_exec_free(s->join);
  free(s);
}

int sp_stateful_partial(const sp_stateful *s, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **per_part,
                        spate_error *err) {
  return s->agg ? sp_agg_exec_partial(s->agg, in, ctx, per_part, err)
                : sp_dedup_exec_partial(s->dedup, in, ctx, per_part, err);
}

int sp_stateful_final(sp_stateful *s, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                      sp_output_mode mode, const sp_agg_watermark *wm, const sp_eval_ctx *ctx, sp_batch **out,
                      spate_error *err) {
  return s->agg ? sp_agg_exec_final(s->agg, p, batch_id, partials, npartials, mode, wm, out, err)
                : sp_dedup_exec_final(s->dedup, p, batch_id, partials, npartials, wm, ctx, out, err);
}

void sp_stateful_metrics(const sp_stateful *s, sp_state_metrics *m) {
  if (s->agg)
    sp_agg_exec_metrics(s->agg, m);
  else if (s->dedup)
    sp_dedup_exec_metrics(s->dedup, m);
  else
    sp_join_exec_metrics(s->join, m);
}
