/*
 * op_dedup.c - streaming deduplication: Spark's StreamingDeduplicateExec
 * (dropDuplicates) and StreamingDeduplicateWithinWatermarkExec
 * (dropDuplicatesWithinWatermark), spark-semantics.md §6.2.
 *
 * State per shuffle partition: key = the dedup columns (rowcodec), value = one
 * byte (dropDuplicates) or expiresAtMicros = event time + watermark delay as 8
 * bytes (within watermark). The first row of a key in arrival order passes; later
 * rows of the key, in this batch or any later one while the key is in state, are
 * dropped. Late rows (event time <= the previous batch's watermark) are dropped
 * first: for dropDuplicates only when the event-time column is a key, for the
 * within-watermark variant always. Eviction with the batch's watermark: keys with
 * event time <= W (dropDuplicates with an event-time key) or expiresAt <= W.
 *
 * Invariant: as for aggregation, a partition's store is at version batch_id when
 * a batch starts and at batch_id + 1 after sp_dedup_exec_final succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec.h"
#include "exec/rowcodec.h"

struct sp_dedup_exec {
  const sp_node *node;
  int nparts;
  char *state_dir;
  sp_state_store_opts opts;
  sp_type *key_schema;
  int et_key;          /* index of the key that is the event-time column, or -1 */
  int et_col;          /* event-time column of the input, or -1 */
  bool et_window;
  bool within;
  int64_t delay_us;
  sp_state_store **stores;
  int64_t *commit_ms, *dropped_late, *dropped_dup;
};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

void sp_dedup_exec_free(sp_dedup_exec *ex) {
  if (!ex) return;
  if (ex->stores)
    for (int p = 0; p < ex->nparts; p++) sp_state_store_close(ex->stores[p]);
  free(ex->stores);
  free(ex->commit_ms);
  free(ex->dropped_late);
  free(ex->dropped_dup);
  sp_type_unref(ex->key_schema);
  free(ex->state_dir);
  free(ex);
}

int sp_dedup_exec_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                      sp_dedup_exec **out, spate_error *err) {
  if (n->nkeys > 64) return spate_error_set(err, SPATE_EUNSUPPORTED, "more than 64 deduplication columns");
  sp_dedup_exec *ex = calloc(1, sizeof *ex);
  if (!ex) return oom_(err);
  ex->node = n;
  ex->nparts = num_partitions;
  ex->opts = *opts;
  ex->state_dir = strdup(state_dir);
  ex->stores = calloc((size_t)num_partitions, sizeof *ex->stores);
  ex->commit_ms = calloc((size_t)num_partitions, sizeof *ex->commit_ms);
  ex->dropped_late = calloc((size_t)num_partitions, sizeof *ex->dropped_late);
  ex->dropped_dup = calloc((size_t)num_partitions, sizeof *ex->dropped_dup);
  ex->key_schema = sp_type_struct_new(n->nkeys);
  if (!ex->state_dir || !ex->stores || !ex->commit_ms || !ex->dropped_late || !ex->dropped_dup || !ex->key_schema) {
    sp_dedup_exec_free(ex);
    return oom_(err);
  }
  ex->et_col = n->et_col;
  ex->et_window = n->et_window;
  ex->et_key = -1;
  for (int k = 0; k < n->nkeys; k++) {
    const sp_expr *e = n->keys[k];
    char name[16];
    snprintf(name, sizeof name, "k%d", k);
    sp_type_struct_set(ex->key_schema, k, name, sp_type_ref(e->type), true);
    if (e->kind == SP_EXPR_COLUMN && e->npath == 0 && e->column == n->et_col) ex->et_key = k;
  }
  ex->within = n->dedup_within_watermark;
  ex->delay_us = n->wm_delay_us;
  *out = ex;
  return 0;
}

/* Evaluate the key columns of `in` into refs[0..nkeys). */
static int eval_keys_(const sp_dedup_exec *ex, const sp_batch *in, const sp_eval_ctx *ctx, sp_value_ref *refs,
                      sp_vec **keys, spate_error *err) {
  for (int k = 0; k < ex->node->nkeys; k++) {
    int rc = sp_expr_eval(ex->node->keys[k], in, ctx, &refs[k], err);
    if (rc) return rc;
    keys[k] = refs[k].vec;
  }
  return 0;
}

int sp_dedup_exec_partial(const sp_dedup_exec *ex, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **per_part,
                          spate_error *err) {
  int nk = ex->node->nkeys;
  for (int p = 0; p < ex->nparts; p++) per_part[p] = NULL;
  if (in->nrows == 0) return 0;
  sp_value_ref refs[64];
  sp_vec *keys[64];
  memset(refs, 0, sizeof refs);
  int rc = eval_keys_(ex, in, ctx, refs, keys, err);
  if (!rc && sp_shuffle_split(in, keys, nk, -1, ex->nparts, per_part)) rc = oom_(err);
  for (int k = 0; k < nk; k++) sp_value_ref_release(&refs[k]);
  return rc;
}

static bool time_of_(const sp_vec *v, bool window, int64_t r, int64_t *us) {
  if (sp_vec_is_null(v, r)) return false;
  if (window) {
    if (sp_vec_is_null(v->children[1], r)) return false;
    *us = sp_vec_i64(v->children[1])[r];
  } else {
    *us = sp_vec_i64(v)[r];
  }
  return true;
}

static int open_store_(sp_dedup_exec *ex, int p, int64_t version, spate_error *err) {
  sp_state_store *s = ex->stores[p];
  if (s && sp_state_store_version(s) == version) return 0;
  sp_state_store_close(s);
  ex->stores[p] = NULL;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/%d", ex->state_dir, p);
  return sp_state_store_open(dir, version, &ex->opts, &ex->stores[p], err);
}

/* Remove expired keys (after the batch's rows, before the commit). */
static int evict_(sp_dedup_exec *ex, int p, sp_state_store *store, int64_t evict_us, spate_error *err) {
  int nk = ex->node->nkeys;
  sp_vec *tk[64];
  memset(tk, 0, sizeof tk);
  sp_buf dead;
  sp_buf_init(&dead);
  int32_t *lens = NULL;
  int64_t n = 0, cap = 0;
  int rc = 0;
  if (!ex->within)
    for (int k = 0; k < nk && !rc; k++)
      if (!(tk[k] = sp_vec_new(ex->key_schema->fields[k].type, 0))) rc = oom_(err);
  sp_state_iter it;
  sp_state_iter_init(&it, store);
  const void *kp, *vp;
  size_t kl, vl;
  while (!rc && sp_state_iter_next(&it, &kp, &kl, &vp, &vl)) {
    int64_t t;
    if (ex->within) {
      if (vl != sizeof t) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt expiry value", ex->state_dir, p);
        break;
      }
      memcpy(&t, vp, sizeof t);
    } else {
      for (int k = 0; k < nk; k++) sp_vec_reset(tk[k]);
      if (sp_row_decode(kp, kl, tk, nk) < 0) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt key", ex->state_dir, p);
        break;
      }
      if (!time_of_(tk[ex->et_key], ex->et_window, 0, &t)) continue;
    }
    if (t > evict_us) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      int32_t *nl = realloc(lens, (size_t)cap * sizeof *nl);
      if (!nl) {
        rc = oom_(err);
        break;
      }
      lens = nl;
    }
    lens[n++] = (int32_t)kl;
    sp_buf_append(&dead, kp, kl);
  }
  if (!rc && sp_buf_check(&dead)) rc = oom_(err);
  size_t off = 0;
  for (int64_t i = 0; i < n && !rc; i++) {
    if (sp_state_store_remove(store, dead.data + off, (size_t)lens[i])) rc = oom_(err);
    off += (size_t)lens[i];
  }
  for (int k = 0; k < nk; k++) sp_vec_free(tk[k]);
  sp_buf_free(&dead);
  free(lens);
  return rc;
}

static int64_t now_ms_(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sp_dedup_exec_final(sp_dedup_exec *ex, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                        const sp_agg_watermark *wm, const sp_eval_ctx *ctx, sp_batch **out, spate_error *err) {
  int nk = ex->node->nkeys;
  ex->dropped_late[p] = ex->dropped_dup[p] = 0;
  int rc = open_store_(ex, p, batch_id, err);
  if (rc) return rc;
  sp_state_store *store = ex->stores[p];
  bool wm_on = wm && wm->enabled && ex->et_col >= 0;
  bool late_filter = wm_on && (ex->within || ex->et_key >= 0);
  int64_t late_us = wm_on ? wm->late_ms * 1000 : 0;
  sp_batch *result = sp_batch_new(ex->node->schema, 0);
  int32_t *sel = NULL;
  sp_buf kb;
  sp_buf_init(&kb);
  if (!result) return oom_(err);
  for (int i = 0; i < npartials && !rc; i++) {
    const sp_batch *b = partials[i];
    if (!b || b->nrows == 0) continue;
    sp_value_ref refs[64];
    sp_vec *keys[64];
    memset(refs, 0, sizeof refs);
    rc = eval_keys_(ex, b, ctx, refs, keys, err);
    int32_t *ns = rc ? NULL : realloc(sel, (size_t)b->nrows * sizeof *sel);
    if (!rc && !ns) rc = oom_(err);
    if (ns) sel = ns;
    int64_t m = 0;
    const sp_vec *tv = ex->et_col >= 0 ? b->cols[ex->et_col] : NULL;
    for (int64_t r = 0; !rc && r < b->nrows; r++) {
      int64_t t = 0;
      bool has_t = tv && time_of_(tv, ex->et_window, r, &t);
      if (late_filter && has_t && t <= late_us) {
        ex->dropped_late[p]++;
        continue;
      }
      sp_buf_reset(&kb);
      sp_row_encode(keys, nk, r, &kb);
      if (sp_buf_check(&kb)) {
        rc = oom_(err);
        break;
      }
      size_t vl;
      if (sp_state_store_get(store, kb.data, kb.len, &vl)) {
        ex->dropped_dup[p]++;
        continue;
      }
      int64_t expires = has_t ? t + ex->delay_us : INT64_MAX;
      char one = 1;
      int prc = ex->within ? sp_state_store_put(store, kb.data, kb.len, &expires, sizeof expires)
                           : sp_state_store_put(store, kb.data, kb.len, &one, 1);
      if (prc) {
        rc = oom_(err);
        break;
      }
      sel[m++] = (int32_t)r;
    }
    for (int k = 0; k < nk; k++) sp_value_ref_release(&refs[k]);
    if (!rc && m) {
      sp_batch *kept = sp_batch_take(b, sel, m);
      if (!kept) {
        rc = oom_(err);
        break;
      }
      sp_batch_append(result, kept);
      sp_batch_free(kept);
      if (sp_batch_check(result)) rc = oom_(err);
    }
  }
  if (!rc && wm_on && (ex->within || ex->et_key >= 0)) rc = evict_(ex, p, store, wm->evict_ms * 1000, err);
  if (!rc) {
    int64_t t0 = now_ms_();
    rc = sp_state_store_commit(store, err);
    ex->commit_ms[p] = now_ms_() - t0;
    if (!rc && batch_id % 10 == 9) sp_state_store_maintain(store, NULL);
  }
  if (rc) {
    sp_state_store_close(store);
    ex->stores[p] = NULL;
    sp_batch_free(result);
  } else {
    *out = result;
  }
  sp_buf_free(&kb);
  free(sel);
  return rc;
}

void sp_dedup_exec_metrics(const sp_dedup_exec *ex, sp_state_metrics *m) {
  memset(m, 0, sizeof *m);
  for (int p = 0; p < ex->nparts; p++) {
    const sp_state_store *s = ex->stores[p];
    if (!s) continue;
    m->num_rows_total += sp_state_store_num_rows(s);
    m->num_rows_updated += sp_state_store_num_updated(s);
    m->num_rows_removed += sp_state_store_num_removed(s);
    m->memory_used_bytes += sp_state_store_memory_bytes(s);
    m->commit_time_ms += ex->commit_ms[p];
    m->num_rows_dropped_by_watermark += ex->dropped_late[p];
    m->num_dropped_duplicate_rows += ex->dropped_dup[p];
  }
}
