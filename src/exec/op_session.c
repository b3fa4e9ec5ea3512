/*
 * op_session.c - session window aggregation (Spark's SessionWindowStateStore*Exec
 * with MergingSessionsIterator), spark-semantics.md §5.2.
 *
 * State per shuffle partition: key = the grouping keys other than the session
 * (rowcodec), value = that key's sessions, a sequence of rowcodec rows
 * (start TIMESTAMP, end TIMESTAMP, aggregate buffers...), sorted by start and
 * pairwise disjoint (a.end < b.start).
 *
 * Per batch and partition:
 *   1. partial rows (one per (key, [t, t+gap)) after the map side) whose session
 *      ends at or before the late watermark are dropped;
 *   2. per key: the batch's sessions and the stored ones, sorted by start, merge
 *      while next.start <= current.end (touching sessions merge); merged buffers
 *      come from one more hash-merge keyed by (key, merged session);
 *   3. Append: sessions with end <= the eviction watermark are emitted and leave
 *      the state (also for keys this batch did not touch); Complete: every session
 *      is emitted and nothing is evicted. (Update is rejected at start, as Spark.)
 * Invariant: the store is at version batch_id on entry and batch_id + 1 on success.
 */
#include <stdlib.h>
#include <string.h>

#include "exec/agg_internal.h"
#include "exec/rowcodec.h"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

/* A session candidate of one key: from the batch (row g of the batch table) or
 * from the state (row j of the decoded stored sessions). */
typedef struct cand_ {
  int64_t start, end;
  int src; /* 0 = batch, 1 = state */
  int64_t row;
  int64_t merged; /* merged session id */
} cand_;

static int cmp_cand_(const void *a, const void *b) {
  const cand_ *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : x->src - y->src;
}

/* Batch group index with its other-key bytes, for sorting groups by key. */
typedef struct gref_ {
  const char *k;
  uint32_t len;
  int64_t start;
  int64_t g;
} gref_;

static int cmp_gref_(const void *a, const void *b) {
  const gref_ *x = a, *y = b;
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->k, y->k, n) : 0;
  if (c) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

typedef struct sess_ctx_ {
  sp_agg_exec *ex;
  int nk, nb, sk;
  sp_vec *ok[64];   /* other keys of decoded state keys (index sk unused) */
  sp_vec *sv[66];   /* decoded stored sessions: start, end, buffers */
  sp_vec *rk[64];   /* result keys (node order) */
  sp_vec *rb[64];   /* result buffers */
  int64_t nres;
} sess_ctx_;

static void free_vecs_(sp_vec **v, int n) {
  for (int i = 0; i < n; i++) {
    sp_vec_free(v[i]);
    v[i] = NULL;
  }
}

static int new_vecs_(sp_vec **v, const sp_type *st, int from, int n, int skip) {
  for (int i = 0; i < n; i++)
    if (i != skip && !(v[i] = sp_vec_new(st->fields[from + i].type, 0))) return -1;
  return 0;
}

/* Append one result row: other keys from okv[*] row orow, the session, buffers bv[*] row brow. */
static void emit_row_(sess_ctx_ *c, sp_vec **okv, int64_t orow, int64_t start, int64_t end, sp_vec **bv,
                      int64_t brow) {
  for (int k = 0; k < c->nk; k++) {
    if (k == c->sk) {
      sp_vec *w = c->rk[k];
      sp_vec_append_i64(w->children[0], start);
      sp_vec_append_i64(w->children[1], end);
      sp_vec_struct_append(w, true);
    } else {
      sp_vec_append_from(c->rk[k], okv[k], orow);
    }
  }
  for (int b = 0; b < c->nb; b++) sp_vec_append_from(c->rb[b], bv[b], brow);
  c->nres++;
}

/* Decode a stored session list into c->sv (reset first); returns the count or -1. */
static int64_t decode_sessions_(sess_ctx_ *c, const char *v, size_t vl) {
  for (int i = 0; i < c->nb + 2; i++) sp_vec_reset(c->sv[i]);
  int64_t n = 0;
  size_t off = 0;
  while (off < vl) {
    int64_t used = sp_row_decode(v + off, vl - off, c->sv, c->nb + 2);
    if (used <= 0) return -1;
    off += (size_t)used;
    n++;
  }
  return n;
}

/* Scan the whole store: with `evict_us` set, emit and remove sessions ending at or
 * before it; with all = true (Complete), emit every session and change nothing. */
static int scan_state_(sess_ctx_ *c, int p, sp_state_store *store, bool all, int64_t evict_us, spate_error *err) {
  sp_agg_exec *ex = c->ex;
  int nk = c->nk, nb = c->nb, sk = c->sk;
  sp_vec *okl[64];
  int no = 0;
  for (int k = 0; k < nk; k++)
    if (k != sk) okl[no++] = c->ok[k];
  sp_buf keys, vals, nv;
  sp_buf_init(&keys);
  sp_buf_init(&vals);
  sp_buf_init(&nv);
  int64_t *klen = NULL, *vlen = NULL, nchg = 0, cap = 0;
  int rc = 0;
  sp_state_iter it;
  sp_state_iter_init(&it, store);
  const void *kp, *vp;
  size_t kl, vl;
  while (!rc && sp_state_iter_next(&it, &kp, &kl, &vp, &vl)) {
    for (int k = 0; k < nk; k++)
      if (k != sk) sp_vec_reset(c->ok[k]);
    int64_t ns = decode_sessions_(c, vp, vl);
    if (ns < 0 || sp_row_decode(kp, kl, okl, no) < 0) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt session entry", ex->state_dir, p);
      break;
    }
    const int64_t *st = sp_vec_i64(c->sv[0]), *en = sp_vec_i64(c->sv[1]);
    bool changed = false;
    sp_buf_reset(&nv);
    for (int64_t j = 0; j < ns; j++) {
      if (all || en[j] <= evict_us) emit_row_(c, c->ok, 0, st[j], en[j], c->sv + 2, j);
      if (!all && en[j] <= evict_us)
        changed = true;
      else if (!all)
        sp_row_encode(c->sv, nb + 2, j, &nv);
    }
    if (!changed) continue;
    /* Remember the change; apply after the scan (the iterator does not survive writes). */
    if (nchg == cap) {
      cap = cap ? cap * 2 : 64;
      int64_t *a = realloc(klen, (size_t)cap * sizeof *a), *b = a ? realloc(vlen, (size_t)cap * sizeof *b) : NULL;
      if (a) klen = a;
      if (b) vlen = b;
      if (!a || !b) {
        rc = oom_(err);
        break;
      }
    }
    klen[nchg] = (int64_t)kl;
    vlen[nchg++] = (int64_t)nv.len;
    sp_buf_append(&keys, kp, kl);
    if (nv.len) sp_buf_append(&vals, nv.data, nv.len);
  }
  if (!rc && (sp_buf_check(&keys) || sp_buf_check(&vals) || sp_buf_check(&nv))) rc = oom_(err);
  size_t ko = 0, vo = 0;
  for (int64_t i = 0; i < nchg && !rc; i++) {
    const char *k = keys.data + ko;
    int r = vlen[i] ? sp_state_store_put(store, k, (size_t)klen[i], vals.data + vo, (size_t)vlen[i])
                    : sp_state_store_remove(store, k, (size_t)klen[i]);
    if (r) rc = oom_(err);
    ko += (size_t)klen[i];
    vo += (size_t)vlen[i];
  }
  sp_buf_free(&keys);
  sp_buf_free(&vals);
  sp_buf_free(&nv);
  free(klen);
  free(vlen);
  return rc;
}

int sp_agg_session_final(sp_agg_exec *ex, int p, int64_t batch_id, sp_batch *const *partials, int npartials,
                         sp_output_mode mode, const sp_agg_watermark *wm, sp_batch **out, spate_error *err) {
  const sp_node *n = ex->node;
  sess_ctx_ c;
  sp_batch **kept_all = NULL;
  memset(&c, 0, sizeof c);
  c.ex = ex;
  c.nk = n->nkeys;
  c.nb = ex->nbuf;
  c.sk = ex->sess_key;
  int nk = c.nk, nb = c.nb, sk = c.sk;
  if (nk > 64 || nb > 64) return spate_error_set(err, SPATE_EUNSUPPORTED, "too many grouping keys or aggregates");
  bool wm_on = wm && wm->enabled && n->et_col == sk;
  bool append = mode == SP_MODE_APPEND;
  ex->dropped[p] = 0;
  int rc = sp_agg_open_store(ex, p, batch_id, err);
  if (rc) return rc;
  sp_state_store *store = ex->stores[p];
  sp_agg_table *t = sp_agg_table_new(ex->key_schema, ex->specs, ex->naggs);
  sp_agg_table *mt = sp_agg_table_new(ex->key_schema, ex->specs, ex->naggs);
  sp_vec *bufs[64], *mk[64], *mb[64], *mbufs[64];
  memset(bufs, 0, sizeof bufs);
  memset(mk, 0, sizeof mk);
  memset(mb, 0, sizeof mb);
  memset(mbufs, 0, sizeof mbufs);
  sp_type *sess_row = sp_type_struct_new(nb + 2);
  sp_buf okb, vb;
  sp_buf_init(&okb);
  sp_buf_init(&vb);
  gref_ *refs = NULL;
  cand_ *cands = NULL;
  int64_t *kofs = NULL;
  if (!t || !mt || !sess_row) {
    rc = oom_(err);
    goto done;
  }
  sp_type_struct_set(sess_row, 0, "start", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(sess_row, 1, "end", sp_type_prim(SP_TIMESTAMP), true);
  for (int b = 0; b < nb; b++)
    sp_type_struct_set(sess_row, 2 + b, ex->buf_schema->fields[b].name, sp_type_ref(ex->buf_schema->fields[b].type),
                       true);
  if (new_vecs_(c.ok, ex->key_schema, 0, nk, sk) || new_vecs_(c.sv, sess_row, 0, nb + 2, -1) ||
      new_vecs_(c.rk, ex->key_schema, 0, nk, -1) || new_vecs_(c.rb, ex->buf_schema, 0, nb, -1) ||
      new_vecs_(mk, ex->key_schema, 0, nk, -1) || new_vecs_(mb, ex->buf_schema, 0, nb, -1)) {
    rc = oom_(err);
    goto done;
  }
  /* 1. The batch's sessions, late ones dropped. */
  /* Filtered partials stay alive until the end: the table references min/max
   * winners inside the vectors it merged (aggregate.h). */
  kept_all = calloc((size_t)(npartials ? npartials : 1), sizeof *kept_all);
  if (!kept_all) rc = oom_(err);
  for (int i = 0; i < npartials && !rc; i++) {
    if (!partials[i]) continue;
    sp_batch *kept = NULL;
    const sp_batch *b = partials[i];
    if (wm_on) {
      if (!(kept = sp_agg_drop_late(ex, b, wm->late_ms * 1000, &ex->dropped[p]))) {
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
  for (int k = 0; k < nk; k++) keys[k] = sp_agg_key(t, k);
  if (sp_agg_emit_buffers(t, bufs)) {
    rc = oom_(err);
    goto done;
  }
  sp_vec *okeys[64];
  int no = 0;
  for (int k = 0; k < nk; k++)
    if (k != sk) okeys[no++] = keys[k];
  /* 2. Group the batch's sessions by key (sorted by key bytes, then start). */
  kofs = malloc((size_t)(ng + 1) * sizeof *kofs);
  refs = malloc((size_t)(ng ? ng : 1) * sizeof *refs);
  if (!kofs || !refs) {
    rc = oom_(err);
    goto done;
  }
  for (int64_t g = 0; g < ng; g++) {
    kofs[g] = (int64_t)okb.len;
    sp_row_encode(okeys, no, g, &okb);
  }
  kofs[ng] = (int64_t)okb.len;
  if (sp_buf_check(&okb)) {
    rc = oom_(err);
    goto done;
  }
  for (int64_t g = 0; g < ng; g++) {
    refs[g].k = okb.data + kofs[g];
    refs[g].len = (uint32_t)(kofs[g + 1] - kofs[g]);
    refs[g].start = sp_vec_i64(keys[sk]->children[0])[g];
    refs[g].g = g;
  }
  qsort(refs, (size_t)ng, sizeof *refs, cmp_gref_);
  /* Merge each key's batch and stored sessions into mk/mb rows (one per
   * constituent, keyed by the merged session), then hash-merge them in mt. */
  for (int64_t a = 0, z; a < ng; a = z) {
    z = a + 1;
    while (z < ng && refs[z].len == refs[a].len && !memcmp(refs[z].k, refs[a].k, refs[a].len)) z++;
    size_t vl = 0;
    const void *v = sp_state_store_get(store, refs[a].k, refs[a].len, &vl);
    int64_t ns = v ? decode_sessions_(&c, v, vl) : 0;
    if (ns < 0) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt session list", ex->state_dir, p);
      goto done;
    }
    int64_t nc = (z - a) + ns;
    cand_ *nc_ = realloc(cands, (size_t)nc * sizeof *cands);
    if (!nc_) {
      rc = oom_(err);
      goto done;
    }
    cands = nc_;
    int64_t m = 0;
    for (int64_t i = a; i < z; i++) {
      int64_t g = refs[i].g;
      cands[m++] = (cand_){sp_vec_i64(keys[sk]->children[0])[g], sp_vec_i64(keys[sk]->children[1])[g], 0, g, 0};
    }
    for (int64_t j = 0; j < ns; j++)
      cands[m++] = (cand_){sp_vec_i64(c.sv[0])[j], sp_vec_i64(c.sv[1])[j], 1, j, 0};
    qsort(cands, (size_t)nc, sizeof *cands, cmp_cand_);
    /* Merged ids and ranges: next.start <= current.end joins the session. */
    int64_t id = 0, cur_end = cands[0].end;
    int64_t starts[1], ends_dummy[1];
    (void)starts;
    (void)ends_dummy;
    for (int64_t i = 0; i < nc; i++) {
      if (i > 0 && cands[i].start > cur_end) {
        id++;
        cur_end = cands[i].end;
      } else if (cands[i].end > cur_end) {
        cur_end = cands[i].end;
      }
      cands[i].merged = id;
    }
    /* Range of each merged id: first start, max end (a second pass over the run). */
    for (int64_t i = 0; i < nc;) {
      int64_t j = i, s0 = cands[i].start, e0 = cands[i].end;
      while (j < nc && cands[j].merged == cands[i].merged) {
        if (cands[j].end > e0) e0 = cands[j].end;
        j++;
      }
      for (int64_t q = i; q < j; q++) {
        int64_t g0 = refs[a].g;
        for (int k = 0; k < nk; k++) {
          if (k == sk) {
            sp_vec_append_i64(mk[k]->children[0], s0);
            sp_vec_append_i64(mk[k]->children[1], e0);
            sp_vec_struct_append(mk[k], true);
          } else {
            sp_vec_append_from(mk[k], keys[k], g0);
          }
        }
        for (int b = 0; b < nb; b++)
          sp_vec_append_from(mb[b], cands[q].src ? c.sv[2 + b] : bufs[b], cands[q].row);
      }
      i = j;
    }
  }
  for (int k = 0; k < nk && !rc; k++)
    if (sp_vec_check(mk[k])) rc = oom_(err);
  for (int b = 0; b < nb && !rc; b++)
    if (sp_vec_check(mb[b])) rc = oom_(err);
  if (!rc && mk[0] && mk[0]->length && sp_agg_merge(mt, mk, mb, mk[0]->length)) rc = oom_(err);
  if (rc) goto done;
  /* 3. Save each touched key's merged sessions (evicting in Append). */
  {
    int64_t nm = sp_agg_ngroups(mt);
    sp_vec *mkeys[64], *moks[64];
    for (int k = 0; k < nk; k++) mkeys[k] = sp_agg_key(mt, k);
    int mo = 0;
    for (int k = 0; k < nk; k++)
      if (k != sk) moks[mo++] = mkeys[k];
    if (sp_agg_emit_buffers(mt, mbufs)) {
      rc = oom_(err);
      goto done;
    }
    sp_buf_reset(&okb);
    int64_t *mofs = realloc(kofs, (size_t)(nm + 1) * sizeof *mofs);
    gref_ *mrefs = realloc(refs, (size_t)(nm ? nm : 1) * sizeof *mrefs);
    if (mofs) kofs = mofs;
    if (mrefs) refs = mrefs;
    if (!mofs || !mrefs) {
      rc = oom_(err);
      goto done;
    }
    for (int64_t g = 0; g < nm; g++) {
      kofs[g] = (int64_t)okb.len;
      sp_row_encode(moks, mo, g, &okb);
    }
    kofs[nm] = (int64_t)okb.len;
    if (sp_buf_check(&okb)) {
      rc = oom_(err);
      goto done;
    }
    for (int64_t g = 0; g < nm; g++) {
      refs[g].k = okb.data + kofs[g];
      refs[g].len = (uint32_t)(kofs[g + 1] - kofs[g]);
      refs[g].start = sp_vec_i64(mkeys[sk]->children[0])[g];
      refs[g].g = g;
    }
    qsort(refs, (size_t)nm, sizeof *refs, cmp_gref_);
    sp_vec *row[66];
    for (int64_t a = 0, z; a < nm && !rc; a = z) {
      z = a + 1;
      while (z < nm && refs[z].len == refs[a].len && !memcmp(refs[z].k, refs[a].k, refs[a].len)) z++;
      sp_buf_reset(&vb);
      for (int64_t i = a; i < z; i++) {
        int64_t g = refs[i].g;
        int64_t s0 = sp_vec_i64(mkeys[sk]->children[0])[g], e0 = sp_vec_i64(mkeys[sk]->children[1])[g];
        if (append && wm_on && e0 <= wm->evict_ms * 1000) {
          emit_row_(&c, mkeys, g, s0, e0, mbufs, g);
          continue;
        }
        /* One stored session row: start, end, buffers. */
        sp_vec *sv2[2] = {mkeys[sk]->children[0], mkeys[sk]->children[1]};
        row[0] = sv2[0];
        row[1] = sv2[1];
        for (int b = 0; b < nb; b++) row[2 + b] = mbufs[b];
        sp_row_encode(row, nb + 2, g, &vb);
      }
      if (sp_buf_check(&vb)) {
        rc = oom_(err);
        break;
      }
      int r = vb.len ? sp_state_store_put(store, refs[a].k, refs[a].len, vb.data, vb.len)
                     : sp_state_store_remove(store, refs[a].k, refs[a].len);
      if (r) rc = oom_(err);
    }
    if (rc) goto done;
  }
  /* Append: sessions of keys this batch did not touch may have closed too. */
  if (append && wm_on) rc = scan_state_(&c, p, store, false, wm->evict_ms * 1000, err);
  if (rc) goto done;
  int64_t t0 = sp_agg_now_ms();
  rc = sp_state_store_commit(store, err);
  ex->commit_ms[p] = sp_agg_now_ms() - t0;
  if (rc) goto done;
  if (batch_id % 10 == 9) sp_state_store_maintain(store, NULL);
  if (mode == SP_MODE_COMPLETE) rc = scan_state_(&c, p, store, true, 0, err);
  for (int k = 0; k < nk && !rc; k++)
    if (sp_vec_check(c.rk[k])) rc = oom_(err);
  for (int b = 0; b < nb && !rc; b++)
    if (sp_vec_check(c.rb[b])) rc = oom_(err);
  if (!rc) rc = sp_agg_result_batch(ex, c.rk, c.rb, c.nres, out, err);
done:
  if (kept_all)
    for (int i = 0; i < npartials; i++) sp_batch_free(kept_all[i]);
  free(kept_all);
  if (rc && ex->stores[p]) {
    sp_state_store_close(ex->stores[p]);
    ex->stores[p] = NULL;
  }
  free_vecs_(bufs, nb);
  free_vecs_(mbufs, nb);
  free_vecs_(mk, nk);
  free_vecs_(mb, nb);
  free_vecs_(c.ok, nk);
  free_vecs_(c.sv, nb + 2);
  free_vecs_(c.rk, nk);
  free_vecs_(c.rb, nb);
  sp_agg_table_free(t);
  sp_agg_table_free(mt);
  sp_type_unref(sess_row);
  sp_buf_free(&okb);
  sp_buf_free(&vb);
  free(refs);
  free(cands);
  free(kofs);
  return rc;
}
