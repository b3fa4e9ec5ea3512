/*
 * op_aggregate.c - the stateful streaming aggregation operator (Spark's
 * StateStoreRestore/StateStoreSave pair, aggregation state format 2).
 *
 * State per shuffle partition p lives in <checkpoint>/state/<op>/<p>/: key = the
 * grouping key encoded with rowcodec, value = the aggregate buffers encoded with
 * rowcodec. Rows reach partition p by key group (state_store.h), so the mapping
 * of keys to partitions is stable across restarts and scale-out can move whole
 * key groups.
 *
 * Invariants: a partition's store is at version batch_id when sp_agg_exec_final
 * starts batch batch_id and at batch_id + 1 when it returns successfully; a
 * failed batch leaves the store to be reopened (reloaded from files) next time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint/checkpoint.h"
#include "exec/agg_internal.h"
#include "exec/rowcodec.h"



static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

void sp_agg_exec_free(sp_agg_exec *ex) {
  if (!ex) return;
  if (ex->stores)
    for (int p = 0; p < ex->nparts; p++) sp_state_store_close(ex->stores[p]);
  free(ex->stores);
  free(ex->commit_ms);
  free(ex->dropped);
  free(ex->specs);
  sp_type_unref(ex->key_schema);
  sp_type_unref(ex->buf_schema);
  sp_type_unref(ex->part_schema);
  free(ex->state_dir);
  free(ex);
}

int sp_agg_exec_num_partitions(const sp_agg_exec *ex) { return ex->nparts; }

static sp_agg_kind kind_(const sp_expr *e) { return e->agg; }

int sp_agg_exec_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                    sp_agg_exec **out, spate_error *err) {
  sp_agg_exec *ex = calloc(1, sizeof *ex);
  if (!ex) return oom_(err);
  ex->node = n;
  ex->nparts = num_partitions;
  ex->opts = *opts;
  ex->naggs = n->naggs;
  ex->state_dir = strdup(state_dir);
  ex->specs = calloc((size_t)n->naggs + 1, sizeof *ex->specs);
  ex->stores = calloc((size_t)num_partitions, sizeof *ex->stores);
  ex->commit_ms = calloc((size_t)num_partitions, sizeof *ex->commit_ms);
  ex->dropped = calloc((size_t)num_partitions, sizeof *ex->dropped);
  ex->key_schema = sp_type_struct_new(n->nkeys);
  ex->sess_key = -1;
  if (n->child && n->child->kind == SP_NODE_TIME_WINDOW && n->child->session)
    for (int k = 0; k < n->nkeys; k++)
      if (n->keys[k]->kind == SP_EXPR_COLUMN && n->keys[k]->npath == 0 &&
          n->keys[k]->column == n->child->schema->nfields - 1)
        ex->sess_key = k;
  if (!ex->state_dir || !ex->specs || !ex->stores || !ex->commit_ms || !ex->dropped || !ex->key_schema) goto oom;
  for (int k = 0; k < n->nkeys; k++)
    sp_type_struct_set(ex->key_schema, k, n->schema->fields[k].name, sp_type_ref(n->keys[k]->type), true);
  for (int j = 0; j < n->naggs; j++) {
    const sp_expr *a = n->aggs[j];
    ex->specs[j].kind = kind_(a);
    ex->specs[j].in_type = a->nargs > 0 ? a->args[0]->type : NULL;
    ex->specs[j].out_type = a->type;
    ex->nbuf += sp_agg_nbuf(ex->specs[j].kind);
  }
  ex->buf_schema = sp_agg_buffer_schema(ex->specs, ex->naggs);
  if (!ex->buf_schema) goto oom;
  ex->part_schema = sp_type_struct_new(n->nkeys + ex->nbuf);
  if (!ex->part_schema) goto oom;
  for (int k = 0; k < n->nkeys; k++)
    sp_type_struct_set(ex->part_schema, k, ex->key_schema->fields[k].name, sp_type_ref(ex->key_schema->fields[k].type),
                       true);
  for (int b = 0; b < ex->nbuf; b++)
    sp_type_struct_set(ex->part_schema, n->nkeys + b, ex->buf_schema->fields[b].name,
                       sp_type_ref(ex->buf_schema->fields[b].type), true);
  *out = ex;
  return 0;
oom:
  sp_agg_exec_free(ex);
  return oom_(err);
}

int sp_agg_exec_partial(const sp_agg_exec *ex, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **per_part,
                        spate_error *err) {
  const sp_node *n = ex->node;
  int nk = n->nkeys, na = ex->naggs;
  for (int p = 0; p < ex->nparts; p++) per_part[p] = NULL;
  if (in->nrows == 0) return 0;
  sp_value_ref *kv = calloc((size_t)nk + 1, sizeof *kv);
  sp_value_ref *av = calloc((size_t)na + 1, sizeof *av);
  sp_vec **keys = calloc((size_t)nk + 1, sizeof *keys);
  sp_vec **args = calloc((size_t)na + 1, sizeof *args);
  sp_vec **cols = calloc((size_t)(nk + ex->nbuf) + 1, sizeof *cols);
  sp_agg_table *t = NULL;
  sp_batch *partial = NULL;
  int rc = 0;
  if (!kv || !av || !keys || !args || !cols) {
    rc = oom_(err);
    goto done;
  }
  for (int k = 0; k < nk && !rc; k++) {
    rc = sp_expr_eval(n->keys[k], in, ctx, &kv[k], err);
    keys[k] = kv[k].vec;
  }
  for (int j = 0; j < na && !rc; j++) {
    if (n->aggs[j]->nargs > 0) {
      rc = sp_expr_eval(n->aggs[j]->args[0], in, ctx, &av[j], err);
      args[j] = av[j].vec;
    }
  }
  if (rc) goto done;
  t = sp_agg_table_new(ex->key_schema, ex->specs, na);
  if (!t) {
    rc = oom_(err);
    goto done;
  }
  rc = sp_agg_update(t, keys, args, in->nrows);
  if (rc) {
    rc = oom_(err);
    goto done;
  }
  int64_t ng = sp_agg_ngroups(t);
  for (int k = 0; k < nk; k++) {
    cols[k] = sp_vec_copy(sp_agg_key(t, k));
    if (!cols[k]) {
      rc = oom_(err);
      goto done;
    }
  }
  if (sp_agg_emit_buffers(t, cols + nk)) {
    rc = oom_(err);
    goto done;
  }
  partial = sp_batch_from(ex->part_schema, cols, nk + ex->nbuf, ng);
  if (!partial) {
    rc = oom_(err);
    goto done;
  }
  memset(cols, 0, (size_t)(nk + ex->nbuf) * sizeof *cols);
  if (ex->nparts == 1) {
    per_part[0] = partial;
    partial = NULL;
    goto done;
  }
  /* Split the partial rows by shuffle partition. A session key is left out of the
   * hash: all sessions of a key meet in one partition to merge. */
  if (sp_shuffle_split(partial, partial->cols, nk, ex->sess_key, ex->nparts, per_part)) rc = oom_(err);
done:
  if (kv)
    for (int k = 0; k < nk; k++) sp_value_ref_release(&kv[k]);
  if (av)
    for (int j = 0; j < na; j++) sp_value_ref_release(&av[j]);
  if (cols)
    for (int c = 0; c < nk + ex->nbuf; c++) sp_vec_free(cols[c]);
  free(kv);
  free(av);
  free(keys);
  free(args);
  free(cols);
  sp_agg_table_free(t);
  sp_batch_free(partial);
  if (rc)
    for (int p = 0; p < ex->nparts; p++) {
      sp_batch_free(per_part[p]);
      per_part[p] = NULL;
    }
  return rc;
}

int sp_agg_open_store(sp_agg_exec *ex, int p, int64_t version, spate_error *err) {
  sp_state_store *s = ex->stores[p];
  if (s && sp_state_store_version(s) == version) return 0;
  sp_state_store_close(s);
  ex->stores[p] = NULL;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/%d", ex->state_dir, p);
  return sp_state_store_open(dir, version, &ex->opts, &ex->stores[p], err);
}

/* Build result rows (keys + finalized aggregates) from key and buffer vectors. */
int sp_agg_result_batch(sp_agg_exec *ex, sp_vec **keys, sp_vec **bufs, int64_t nrows, sp_batch **out,
                         spate_error *err) {
  const sp_node *n = ex->node;
  int nk = n->nkeys, na = ex->naggs;
  sp_vec **cols = calloc((size_t)(nk + na) + 1, sizeof *cols);
  if (!cols) return oom_(err);
  int rc = 0;
  for (int k = 0; k < nk && !rc; k++) {
    cols[k] = sp_vec_copy(keys[k]);
    if (!cols[k]) rc = oom_(err);
  }
  if (!rc && sp_agg_finalize(ex->specs, na, bufs, cols + nk)) rc = oom_(err);
  if (!rc) {
    *out = sp_batch_from(n->schema, cols, nk + na, nrows);
    if (!*out) rc = oom_(err);
  }
  if (rc)
    for (int c = 0; c < nk + na; c++) sp_vec_free(cols[c]);
  free(cols);
  return rc;
}

/* Event time (µs) of row r of the event-time key column, false when NULL. A window
 * key is timed by its end (Spark: "window.end <= watermark" is late). */
bool sp_agg_key_time(const sp_vec *k, bool window, int64_t r, int64_t *us) {
  if (sp_vec_is_null(k, r)) return false;
  if (window) {
    const sp_vec *end = k->children[1];
    if (sp_vec_is_null(end, r)) return false;
    *us = sp_vec_i64(end)[r];
  } else {
    *us = sp_vec_i64(k)[r];
  }
  return true;
}

/* Rows of a partial batch whose key time is after the late watermark (or NULL). */
sp_batch *sp_agg_drop_late(const sp_agg_exec *ex, const sp_batch *b, int64_t late_us, int64_t *dropped) {
  int32_t *idx = malloc((size_t)(b->nrows ? b->nrows : 1) * sizeof *idx);
  if (!idx) return NULL;
  const sp_vec *k = b->cols[ex->node->et_col];
  int64_t m = 0;
  for (int64_t r = 0; r < b->nrows; r++) {
    int64_t t;
    if (sp_agg_key_time(k, ex->node->et_window, r, &t) && t <= late_us)
      (*dropped)++;
    else
      idx[m++] = (int32_t)r;
  }
  sp_batch *out = sp_batch_take(b, idx, m);
  free(idx);
  return out;
}

/* Remove every key with event time <= evict_us from the store; with `emit`, decode
 * the removed keys and buffers into ks/bs (appended). */
static int evict_(sp_agg_exec *ex, int p, sp_state_store *store, int64_t evict_us, bool emit, sp_vec **ks,
                  sp_vec **bs, int64_t *nemitted, spate_error *err) {
  const sp_node *n = ex->node;
  int nk = n->nkeys, nb = ex->nbuf;
  sp_vec *tk[64];
  memset(tk, 0, sizeof tk);
  sp_buf keys;
  sp_buf_init(&keys);
  int32_t *lens = NULL;
  int64_t nev = 0, cap = 0;
  int rc = 0;
  for (int k = 0; k < nk && !rc; k++)
    if (!(tk[k] = sp_vec_new(ex->key_schema->fields[k].type, 0))) rc = oom_(err);
  sp_state_iter it;
  sp_state_iter_init(&it, store);
  const void *kp, *vp;
  size_t kl, vl;
  while (!rc && sp_state_iter_next(&it, &kp, &kl, &vp, &vl)) {
    for (int k = 0; k < nk; k++) sp_vec_reset(tk[k]);
    if (sp_row_decode(kp, kl, tk, nk) < 0) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt key", ex->state_dir, p);
      break;
    }
    int64_t t;
    if (!sp_agg_key_time(tk[n->et_col], n->et_window, 0, &t) || t > evict_us) continue;
    if (emit && (sp_row_decode(kp, kl, ks, nk) < 0 || sp_row_decode(vp, vl, bs, nb) < 0)) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt entry", ex->state_dir, p);
      break;
    }
    if (nev == cap) {
      cap = cap ? cap * 2 : 64;
      int32_t *nl = realloc(lens, (size_t)cap * sizeof *nl);
      if (!nl) {
        rc = oom_(err);
        break;
      }
      lens = nl;
    }
    lens[nev++] = (int32_t)kl;
    sp_buf_append(&keys, kp, kl);
  }
  if (!rc && sp_buf_check(&keys)) rc = oom_(err);
  /* Remove after the scan: the iterator does not survive removals. */
  size_t off = 0;
  for (int64_t i = 0; i < nev && !rc; i++) {
    if (sp_state_store_remove(store, keys.data + off, (size_t)lens[i])) rc = oom_(err);
    off += (size_t)lens[i];
  }
  if (emit) *nemitted += nev;
  for (int k = 0; k < nk; k++) sp_vec_free(tk[k]);
  sp_buf_free(&keys);
  free(lens);
  return rc;
}

int64_t sp_agg_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sp_agg_exec_final(sp_agg_exec *ex, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                      sp_output_mode mode, const sp_agg_watermark *wm, sp_batch **out, spate_error *err) {
  if (ex->sess_key >= 0) return sp_agg_session_final(ex, p, batch_id, partials, npartials, mode, wm, out, err);
  sp_batch **kept_all = NULL;
  const sp_node *n = ex->node;
  int nk = n->nkeys;
  bool use_wm = wm && wm->enabled && n->et_col >= 0 && mode != SP_MODE_COMPLETE;
  ex->dropped[p] = 0;
  int rc = sp_agg_open_store(ex, p, batch_id, err);
  if (rc) return rc;
  sp_state_store *store = ex->stores[p];
  sp_agg_table *t = sp_agg_table_new(ex->key_schema, ex->specs, ex->naggs);
  sp_vec **bufs = calloc((size_t)ex->nbuf + 1, sizeof *bufs);
  sp_vec **old = calloc((size_t)ex->nbuf + 1, sizeof *old);
  int32_t *gids = NULL;
  sp_buf kb, vb;
  sp_buf_init(&kb);
  sp_buf_init(&vb);
  if (!t || !bufs || !old) {
    rc = oom_(err);
    goto done;
  }
  /* Filtered partials stay alive until the end: the table references min/max
   * winners inside the vectors it merged (aggregate.h). */
  kept_all = calloc((size_t)(npartials ? npartials : 1), sizeof *kept_all);
  if (!kept_all) rc = oom_(err);
  for (int i = 0; i < npartials && !rc; i++) {
    if (!partials[i]) continue;
    sp_batch *kept = NULL;
    const sp_batch *b = partials[i];
    if (use_wm) {
      /* Late rows: key time <= the previous batch's watermark (§5.4). */
      if (!(kept = sp_agg_drop_late(ex, partials[i], wm->late_ms * 1000, &ex->dropped[p]))) {
        rc = oom_(err);
        break;
      }
      b = kept;
    }
    if (sp_agg_merge(t, b->cols, b->cols + nk, b->nrows)) rc = oom_(err);
    kept_all[i] = kept;
  }
  if (rc) goto done;
  int64_t ng = sp_agg_ngroups(t);
  sp_vec *keys[64];
  if (nk > 64) {
    rc = spate_error_set(err, SPATE_EUNSUPPORTED, "more than 64 grouping keys");
    goto done;
  }
  for (int k = 0; k < nk; k++) keys[k] = sp_agg_key(t, k);
  /* Restore: merge the stored buffers of keys seen in this batch. */
  for (int b = 0; b < ex->nbuf; b++) {
    old[b] = sp_vec_new(ex->buf_schema->fields[b].type, 16);
    if (!old[b]) {
      rc = oom_(err);
      goto done;
    }
  }
  gids = malloc((size_t)(ng ? ng : 1) * sizeof *gids);
  if (!gids) {
    rc = oom_(err);
    goto done;
  }
  int64_t nold = 0;
  for (int64_t g = 0; g < ng; g++) {
    sp_buf_reset(&kb);
    sp_row_encode(keys, nk, g, &kb);
    if (sp_buf_check(&kb)) {
      rc = oom_(err);
      goto done;
    }
    size_t vlen;
    const void *v = sp_state_store_get(store, kb.data, kb.len, &vlen);
    if (!v) continue;
    if (sp_row_decode(v, vlen, old, ex->nbuf) < 0) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt aggregation buffer for a key",
                           ex->state_dir, p);
      goto done;
    }
    gids[nold++] = (int32_t)g;
  }
  if (nold > 0) sp_agg_merge_into(t, gids, old, nold);
  if (sp_agg_emit_buffers(t, bufs)) {
    rc = oom_(err);
    goto done;
  }
  /* Save. */
  for (int64_t g = 0; g < ng; g++) {
    sp_buf_reset(&kb);
    sp_buf_reset(&vb);
    sp_row_encode(keys, nk, g, &kb);
    sp_row_encode(bufs, ex->nbuf, g, &vb);
    if (sp_buf_check(&kb) || sp_buf_check(&vb) || sp_state_store_put(store, kb.data, kb.len, vb.data, vb.len)) {
      rc = oom_(err);
      goto done;
    }
  }
  /* Evict before the commit so removals are part of version batch_id + 1. Append
   * emits the evicted (final) rows; Update removes them silently. */
  sp_vec *eks[64], *ebs[64];
  memset(eks, 0, sizeof eks);
  memset(ebs, 0, sizeof ebs);
  int64_t nemitted = 0;
  if (use_wm) {
    bool emit = mode == SP_MODE_APPEND;
    if (ex->nbuf > 64) {
      rc = spate_error_set(err, SPATE_EUNSUPPORTED, "too many aggregate buffers");
      goto done;
    }
    for (int k = 0; k < nk && emit && !rc; k++)
      if (!(eks[k] = sp_vec_new(ex->key_schema->fields[k].type, 16))) rc = oom_(err);
    for (int b = 0; b < ex->nbuf && emit && !rc; b++)
      if (!(ebs[b] = sp_vec_new(ex->buf_schema->fields[b].type, 16))) rc = oom_(err);
    if (!rc) rc = evict_(ex, p, store, wm->evict_ms * 1000, emit, eks, ebs, &nemitted, err);
    if (rc) {
      for (int k = 0; k < nk; k++) sp_vec_free(eks[k]);
      for (int b = 0; b < ex->nbuf; b++) sp_vec_free(ebs[b]);
      sp_state_store_close(store);
      ex->stores[p] = NULL;
      goto done;
    }
  }
  int64_t t0 = sp_agg_now_ms();
  rc = sp_state_store_commit(store, err);
  ex->commit_ms[p] = sp_agg_now_ms() - t0;
  if (!rc && mode == SP_MODE_APPEND && use_wm) rc = sp_agg_result_batch(ex, eks, ebs, nemitted, out, err);
  for (int k = 0; k < nk; k++) sp_vec_free(eks[k]);
  for (int b = 0; b < ex->nbuf; b++) sp_vec_free(ebs[b]);
  if (rc) {
    sp_state_store_close(store);
    ex->stores[p] = NULL;
    goto done;
  }
  /* Bounded upkeep: every 10th batch drop files no longer needed to rebuild the
   * retained versions (a failure here never fails the batch). */
  if (batch_id % 10 == 9) sp_state_store_maintain(store, NULL);
  if (mode == SP_MODE_COMPLETE) {
    /* Every key in state. */
    sp_vec *ks[64], *bs[64];
    int nb = ex->nbuf;
    memset(ks, 0, sizeof ks);
    memset(bs, 0, sizeof bs);
    if (nb > 64) {
      rc = spate_error_set(err, SPATE_EUNSUPPORTED, "too many aggregate buffers");
      goto done;
    }
    int64_t rows = sp_state_store_num_rows(store);
    for (int k = 0; k < nk && !rc; k++)
      if (!(ks[k] = sp_vec_new(ex->key_schema->fields[k].type, rows))) rc = oom_(err);
    for (int b = 0; b < nb && !rc; b++)
      if (!(bs[b] = sp_vec_new(ex->buf_schema->fields[b].type, rows))) rc = oom_(err);
    sp_state_iter it;
    sp_state_iter_init(&it, store);
    const void *kp, *vp;
    size_t kl, vl;
    int64_t m = 0;
    while (!rc && sp_state_iter_next(&it, &kp, &kl, &vp, &vl)) {
      if (sp_row_decode(kp, kl, ks, nk) < 0 || sp_row_decode(vp, vl, bs, nb) < 0)
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt entry", ex->state_dir, p);
      m++;
    }
    if (!rc) rc = sp_agg_result_batch(ex, ks, bs, m, out, err);
    for (int k = 0; k < nk; k++) sp_vec_free(ks[k]);
    for (int b = 0; b < nb; b++) sp_vec_free(bs[b]);
  } else if (mode == SP_MODE_UPDATE) {
    /* Update: the keys changed in this batch (evicted ones included: they changed). */
    rc = sp_agg_result_batch(ex, keys, bufs, ng, out, err);
  }
done:
  if (kept_all)
    for (int i = 0; i < npartials; i++) sp_batch_free(kept_all[i]);
  free(kept_all);
  sp_buf_free(&kb);
  sp_buf_free(&vb);
  free(gids);
  if (bufs)
    for (int b = 0; b < ex->nbuf; b++) sp_vec_free(bufs[b]);
  if (old)
    for (int b = 0; b < ex->nbuf; b++) sp_vec_free(old[b]);
  free(bufs);
  free(old);
  sp_agg_table_free(t);
  return rc;
}

void sp_agg_exec_metrics(const sp_agg_exec *ex, sp_state_metrics *m) {
  memset(m, 0, sizeof *m);
  for (int p = 0; p < ex->nparts; p++) {
    const sp_state_store *s = ex->stores[p];
    if (!s) continue;
    m->num_rows_total += sp_state_store_num_rows(s);
    m->num_rows_updated += sp_state_store_num_updated(s);
    m->num_rows_removed += sp_state_store_num_removed(s);
    m->memory_used_bytes += sp_state_store_memory_bytes(s);
    m->commit_time_ms += ex->commit_ms[p];
    m->num_rows_dropped_by_watermark += ex->dropped[p];
  }
}
