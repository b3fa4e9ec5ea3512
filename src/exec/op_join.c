/*
 * op_join.c - stream-stream join: Spark's StreamingSymmetricHashJoinExec
 * (spark-semantics.md §6.4) for inner, left/right/full outer joins.
 *
 * State per shuffle partition p and side: <checkpoint>/state/<op>/<p>/left|right,
 * key = the equi-join key (rowcodec), value = that key's buffered rows, each entry
 * [u8 matched][u32 length][row (rowcodec of all the side's columns)].
 *
 * Per batch and partition:
 *   1. rows of a watermarked side with event time <= the previous batch's
 *      watermark are late and dropped;
 *   2. this batch's left rows are joined with the stored right rows, then stored;
 *      this batch's right rows are joined with the stored left rows (which now hold
 *      this batch's left rows), then stored: every matching pair comes out once, in
 *      the batch in which the later of its two rows arrives. The ON condition
 *      beyond the keys is evaluated over the candidate pairs column-wise;
 *   3. with the batch's watermark W: left rows with time <= W - hi and right rows
 *      with time <= W + lo (rightTime - leftTime in [lo, hi] from the condition) can
 *      match nothing that may still arrive and leave the state; an outer side's rows
 *      that never matched come out then, padded with NULLs.
 * Invariant: both stores are at version batch_id on entry, batch_id + 1 on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec.h"
#include "exec/rowcodec.h"

struct sp_join_exec {
  const sp_node *node;
  int nparts;
  char *state_dir;
  sp_state_store_opts opts;
  sp_state_store **st[2]; /* [side][p] */
  int ncols[2];
  const sp_type *schema[2];
  int64_t *rows[2];       /* buffered rows per partition, -1 = not counted yet */
  int64_t *commit_ms, *dropped;
};

enum { L = 0, R = 1 };

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

void sp_join_exec_free(sp_join_exec *ex) {
  if (!ex) return;
  for (int s = 0; s < 2; s++) {
    if (ex->st[s])
      for (int p = 0; p < ex->nparts; p++) sp_state_store_close(ex->st[s][p]);
    free(ex->st[s]);
    free(ex->rows[s]);
  }
  free(ex->commit_ms);
  free(ex->dropped);
  free(ex->state_dir);
  free(ex);
}

int sp_join_exec_new(const sp_node *n, int num_partitions, const char *state_dir, const sp_state_store_opts *opts,
                     sp_join_exec **out, spate_error *err) {
  if (n->njkeys > 64) return spate_error_set(err, SPATE_EUNSUPPORTED, "more than 64 join keys");
  sp_join_exec *ex = calloc(1, sizeof *ex);
  if (!ex) return oom_(err);
  ex->node = n;
  ex->nparts = num_partitions;
  ex->opts = *opts;
  ex->state_dir = strdup(state_dir);
  ex->schema[L] = n->child->schema;
  ex->schema[R] = n->right->schema;
  ex->ncols[L] = n->child->schema->nfields;
  ex->ncols[R] = n->right->schema->nfields;
  ex->commit_ms = calloc((size_t)num_partitions, sizeof(int64_t));
  ex->dropped = calloc((size_t)num_partitions, sizeof(int64_t));
  bool ok = ex->state_dir && ex->commit_ms && ex->dropped;
  for (int s = 0; s < 2 && ok; s++) {
    ex->st[s] = calloc((size_t)num_partitions, sizeof *ex->st[s]);
    ex->rows[s] = malloc((size_t)num_partitions * sizeof(int64_t));
    ok = ex->st[s] && ex->rows[s];
    for (int p = 0; ok && p < num_partitions; p++) ex->rows[s][p] = -1;
  }
  if (!ok) {
    sp_join_exec_free(ex);
    return oom_(err);
  }
  *out = ex;
  return 0;
}

static int eval_keys_(const sp_join_exec *ex, int side, const sp_batch *in, const sp_eval_ctx *ctx,
                      sp_value_ref *refs, sp_vec **keys, spate_error *err) {
  sp_expr **ke = side == L ? ex->node->jkeys_l : ex->node->jkeys_r;
  for (int k = 0; k < ex->node->njkeys; k++) {
    int rc = sp_expr_eval(ke[k], in, ctx, &refs[k], err);
    if (rc) return rc;
    keys[k] = refs[k].vec;
  }
  return 0;
}

int sp_join_exec_partial(const sp_join_exec *ex, int side, const sp_batch *in, const sp_eval_ctx *ctx,
                         sp_batch **per_part, spate_error *err) {
  int nk = ex->node->njkeys;
  for (int p = 0; p < ex->nparts; p++) per_part[p] = NULL;
  if (in->nrows == 0) return 0;
  sp_value_ref refs[64];
  sp_vec *keys[64];
  memset(refs, 0, sizeof refs);
  int rc = eval_keys_(ex, side, in, ctx, refs, keys, err);
  if (!rc && sp_shuffle_split(in, keys, nk, -1, ex->nparts, per_part)) rc = oom_(err);
  for (int k = 0; k < nk; k++) sp_value_ref_release(&refs[k]);
  return rc;
}

static int open_store_(sp_join_exec *ex, int side, int p, int64_t version, spate_error *err) {
  sp_state_store *s = ex->st[side][p];
  if (s && sp_state_store_version(s) == version) return 0;
  sp_state_store_close(s);
  ex->st[side][p] = NULL;
  ex->rows[side][p] = -1;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/%d/%s", ex->state_dir, p, side == L ? "left" : "right");
  return sp_state_store_open(dir, version, &ex->opts, &ex->st[side][p], err);
}

/* Entries of a value: [u8 matched][u32 len][row]. Returns the number, or -1 if malformed. */
static int64_t count_entries_(const char *v, size_t vl) {
  int64_t n = 0;
  size_t off = 0;
  while (off < vl) {
    uint32_t len;
    if (vl - off < 5) return -1;
    memcpy(&len, v + off + 1, 4);
    if (vl - off - 5 < len) return -1;
    off += 5 + (size_t)len;
    n++;
  }
  return n;
}

static int64_t count_rows_(sp_state_store *s) {
  int64_t n = 0;
  sp_state_iter it;
  sp_state_iter_init(&it, s);
  const void *kp, *vp;
  size_t kl, vl;
  while (sp_state_iter_next(&it, &kp, &kl, &vp, &vl)) {
    int64_t c = count_entries_(vp, vl);
    if (c > 0) n += c;
  }
  return n;
}

static bool any_null_(sp_vec *const *keys, int nk, int64_t r) {
  for (int k = 0; k < nk; k++)
    if (sp_vec_is_null(keys[k], r)) return true;
  return false;
}

/* Time (µs) of row r of a side's event-time column, false when NULL. */
static bool row_time_(const sp_vec *v, int64_t r, int64_t *us) {
  if (sp_vec_is_null(v, r)) return false;
  *us = sp_vec_i64(v)[r];
  return true;
}

/* Rows of `in` (a side's batches) that are not late, as one batch. */
static sp_batch *gather_side_(sp_join_exec *ex, int side, sp_batch *const *parts, int n, bool late_on, int64_t late_us,
                              int64_t *dropped) {
  sp_batch *all = sp_batch_new((sp_type *)ex->schema[side], 0);
  if (!all) return NULL;
  /* Late rows: by the side's watermarked event-time column (not a window). */
  const sp_node *in = side == L ? ex->node->child : ex->node->right;
  int tcol = in->et_window ? -1 : in->et_col;
  for (int i = 0; i < n; i++) {
    const sp_batch *b = parts[i];
    if (!b || !b->nrows) continue;
    if (!late_on || tcol < 0) {
      sp_batch_append(all, b);
      continue;
    }
    int32_t *sel = malloc((size_t)b->nrows * sizeof *sel);
    if (!sel) {
      sp_batch_free(all);
      return NULL;
    }
    int64_t m = 0;
    for (int64_t r = 0; r < b->nrows; r++) {
      int64_t t;
      if (row_time_(b->cols[tcol], r, &t) && t <= late_us)
        (*dropped)++;
      else
        sel[m++] = (int32_t)r;
    }
    sp_batch *k = sp_batch_take(b, sel, m);
    free(sel);
    if (!k) {
      sp_batch_free(all);
      return NULL;
    }
    sp_batch_append(all, k);
    sp_batch_free(k);
  }
  if (sp_batch_check(all)) {
    sp_batch_free(all);
    return NULL;
  }
  return all;
}

/* A flag to set in a stored value: key bytes [koff, koff+klen) of keybuf, byte flag_off of the value. */
typedef struct patch_ {
  size_t koff;
  uint32_t klen;
  size_t flag_off;
} patch_;

typedef struct probe_ {
  sp_vec **scratch;   /* the stored side's rows decoded, one per candidate */
  sp_buf keys;        /* key bytes of the candidates' entries */
  patch_ *meta;       /* per scratch row */
  int32_t *batch_row; /* per candidate: row of the batch side */
  int64_t n, cap;
} probe_;

static void probe_free_(probe_ *pr, int ncols) {
  if (pr->scratch)
    for (int c = 0; c < ncols; c++) sp_vec_free(pr->scratch[c]);
  free(pr->scratch);
  sp_buf_free(&pr->keys);
  free(pr->meta);
  free(pr->batch_row);
}

/* Join `b` (side `bs`, key vectors bk) with the stored rows of the other side: the
 * pairs that satisfy the condition are appended to `out` (output column order), the
 * matched flags of b's rows set in bmatched, and the stored rows' flags patched. */
static int probe_side_(sp_join_exec *ex, int p, int bs, const sp_batch *b, sp_vec *const *bk, bool *bmatched,
                       const sp_eval_ctx *ctx, sp_batch *out, spate_error *err) {
  int os = 1 - bs, nk = ex->node->njkeys;
  sp_state_store *ost = ex->st[os][p];
  probe_ pr;
  memset(&pr, 0, sizeof pr);
  sp_buf_init(&pr.keys);
  int rc = 0;
  pr.scratch = calloc((size_t)ex->ncols[os] + 1, sizeof *pr.scratch);
  if (!pr.scratch) return oom_(err);
  for (int c = 0; c < ex->ncols[os] && !rc; c++)
    if (!(pr.scratch[c] = sp_vec_new(ex->schema[os]->fields[c].type, 0))) rc = oom_(err);
  sp_buf kb;
  sp_buf_init(&kb);
  for (int64_t r = 0; !rc && r < b->nrows; r++) {
    if (any_null_(bk, nk, r)) continue;
    sp_buf_reset(&kb);
    sp_row_encode(bk, nk, r, &kb);
    if (sp_buf_check(&kb)) {
      rc = oom_(err);
      break;
    }
    size_t vl;
    const char *v = sp_state_store_get(ost, kb.data, kb.len, &vl);
    if (!v) continue;
    size_t koff = pr.keys.len;
    sp_buf_append(&pr.keys, kb.data, kb.len);
    size_t off = 0;
    while (off + 5 <= vl) {
      uint32_t len;
      memcpy(&len, v + off + 1, 4);
      if (off + 5 + len > vl || sp_row_decode(v + off + 5, len, pr.scratch, ex->ncols[os]) < 0) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt join state entry", ex->state_dir, p);
        break;
      }
      if (pr.n == pr.cap) {
        int64_t cap = pr.cap ? pr.cap * 2 : 64;
        patch_ *nm = realloc(pr.meta, (size_t)cap * sizeof *nm);
        int32_t *nb = nm ? realloc(pr.batch_row, (size_t)cap * sizeof *nb) : NULL;
        if (nm) pr.meta = nm;
        if (nb) pr.batch_row = nb;
        if (!nm || !nb) {
          rc = oom_(err);
          break;
        }
        pr.cap = cap;
      }
      pr.meta[pr.n] = (patch_){koff, (uint32_t)kb.len, off};
      pr.batch_row[pr.n++] = (int32_t)r;
      off += 5 + (size_t)len;
    }
  }
  sp_buf_free(&kb);
  if (!rc && (sp_buf_check(&pr.keys))) rc = oom_(err);
  if (rc || pr.n == 0) {
    probe_free_(&pr, ex->ncols[os]);
    return rc;
  }
  /* Candidate pairs as one batch in output order (left columns, right columns). */
  int nout = ex->ncols[L] + ex->ncols[R];
  sp_vec **cols = calloc((size_t)nout, sizeof *cols);
  int32_t *iden = malloc((size_t)pr.n * sizeof *iden);
  int32_t *sel = malloc((size_t)pr.n * sizeof *sel);
  sp_batch *cand = NULL;
  if (!cols || !iden || !sel) rc = oom_(err);
  for (int64_t i = 0; !rc && i < pr.n; i++) iden[i] = (int32_t)i;
  int boff = bs == L ? 0 : ex->ncols[L], ooff = os == L ? 0 : ex->ncols[L];
  for (int c = 0; !rc && c < ex->ncols[bs]; c++)
    if (!(cols[boff + c] = sp_vec_take(b->cols[c], pr.batch_row, pr.n))) rc = oom_(err);
  for (int c = 0; !rc && c < ex->ncols[os]; c++)
    if (!(cols[ooff + c] = sp_vec_take(pr.scratch[c], iden, pr.n))) rc = oom_(err);
  if (!rc) {
    cand = sp_batch_from(ex->node->schema, cols, nout, pr.n);
    if (!cand) rc = oom_(err);
  }
  if (rc && cols)
    for (int c = 0; c < nout; c++) sp_vec_free(cols[c]);
  free(cols);
  int64_t m = pr.n;
  if (!rc && ex->node->join_cond) {
    rc = sp_expr_filter(ex->node->join_cond, cand, ctx, sel, &m, err);
  } else {
    for (int64_t i = 0; i < pr.n; i++) sel[i] = (int32_t)i;
  }
  if (!rc && m > 0) {
    sp_batch *hit = sp_batch_take(cand, sel, m);
    if (!hit) {
      rc = oom_(err);
    } else {
      sp_batch_append(out, hit);
      sp_batch_free(hit);
      if (sp_batch_check(out)) rc = oom_(err);
    }
  }
  /* Matched flags: this batch's rows, and the stored entries (patched per key). */
  for (int64_t i = 0; !rc && i < m; i++) {
    int64_t k = sel[i];
    bmatched[pr.batch_row[k]] = true;
    const patch_ *pt = &pr.meta[k];
    size_t vl;
    const char *v = sp_state_store_get(ost, pr.keys.data + pt->koff, pt->klen, &vl);
    if (!v || pt->flag_off >= vl || v[pt->flag_off]) continue;
    char *copy = malloc(vl);
    if (!copy) {
      rc = oom_(err);
      break;
    }
    memcpy(copy, v, vl);
    copy[pt->flag_off] = 1;
    if (sp_state_store_put(ost, pr.keys.data + pt->koff, pt->klen, copy, vl)) rc = oom_(err);
    free(copy);
  }
  sp_batch_free(cand);
  free(iden);
  free(sel);
  probe_free_(&pr, ex->ncols[os]);
  return rc;
}

/* Append b's rows to side bs's state (with their matched flags). */
static int store_side_(sp_join_exec *ex, int p, int bs, const sp_batch *b, sp_vec *const *bk, const bool *matched,
                       spate_error *err) {
  sp_state_store *st = ex->st[bs][p];
  int nk = ex->node->njkeys;
  sp_buf kb, row, val;
  sp_buf_init(&kb);
  sp_buf_init(&row);
  sp_buf_init(&val);
  int rc = 0;
  for (int64_t r = 0; r < b->nrows && !rc; r++) {
    sp_buf_reset(&kb);
    sp_buf_reset(&row);
    sp_buf_reset(&val);
    sp_row_encode(bk, nk, r, &kb);
    sp_row_encode(b->cols, ex->ncols[bs], r, &row);
    size_t vl = 0;
    const char *v = sp_state_store_get(st, kb.data, kb.len, &vl);
    if (v) sp_buf_append(&val, v, vl);
    char flag = matched[r] ? 1 : 0;
    uint32_t len = (uint32_t)row.len;
    sp_buf_append(&val, &flag, 1);
    sp_buf_append(&val, &len, 4);
    sp_buf_append(&val, row.data, row.len);
    if (sp_buf_check(&kb) || sp_buf_check(&row) || sp_buf_check(&val) ||
        sp_state_store_put(st, kb.data, kb.len, val.data, val.len))
      rc = oom_(err);
  }
  if (!rc) ex->rows[bs][p] += b->nrows;
  sp_buf_free(&kb);
  sp_buf_free(&row);
  sp_buf_free(&val);
  return rc;
}

/* Drop side s's entries with time <= limit_us; unmatched ones of an outer side go to
 * `out` padded with NULLs on the other side. */
static int evict_side_(sp_join_exec *ex, int p, int s, int64_t limit_us, bool emit_unmatched, sp_batch *out,
                       spate_error *err) {
  sp_state_store *st = ex->st[s][p];
  int tcol = s == L ? ex->node->join_ltime : ex->node->join_rtime;
  int nc = ex->ncols[s], nout = ex->ncols[L] + ex->ncols[R];
  int soff = s == L ? 0 : ex->ncols[L], ooff = s == L ? ex->ncols[L] : 0;
  sp_vec **tmp = calloc((size_t)nc + 1, sizeof *tmp);
  sp_vec **oc = calloc((size_t)nout + 1, sizeof *oc);
  sp_buf keys, vals, nv;
  sp_buf_init(&keys);
  sp_buf_init(&vals);
  sp_buf_init(&nv);
  int64_t *klen = NULL, *vlen = NULL, nchg = 0, cap = 0, nemit = 0, nevict = 0;
  int rc = (!tmp || !oc) ? oom_(err) : 0;
  for (int c = 0; c < nc && !rc; c++)
    if (!(tmp[c] = sp_vec_new(ex->schema[s]->fields[c].type, 1))) rc = oom_(err);
  for (int c = 0; c < nout && !rc && emit_unmatched; c++)
    if (!(oc[c] = sp_vec_new(ex->node->schema->fields[c].type, 0))) rc = oom_(err);
  sp_state_iter it;
  if (!rc) sp_state_iter_init(&it, st);
  const void *kp, *vp;
  size_t kl, vl;
  while (!rc && sp_state_iter_next(&it, &kp, &kl, &vp, &vl)) {
    const char *v = vp;
    size_t off = 0;
    bool changed = false;
    sp_buf_reset(&nv);
    while (off + 5 <= vl) {
      uint32_t len;
      memcpy(&len, v + off + 1, 4);
      if (off + 5 + len > vl) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt join state entry", ex->state_dir, p);
        break;
      }
      for (int c = 0; c < nc; c++) sp_vec_reset(tmp[c]);
      if (sp_row_decode(v + off + 5, len, tmp, nc) < 0) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s/%d: corrupt join row", ex->state_dir, p);
        break;
      }
      int64_t t;
      bool expired = row_time_(tmp[tcol], 0, &t) && t <= limit_us;
      if (expired) {
        changed = true;
        nevict++;
        if (emit_unmatched && !v[off]) {
          for (int c = 0; c < nc; c++) sp_vec_append_from(oc[soff + c], tmp[c], 0);
          for (int c = 0; c < ex->ncols[1 - s]; c++) sp_vec_append_null(oc[ooff + c]);
          nemit++;
        }
      } else {
        sp_buf_append(&nv, v + off, 5 + (size_t)len);
      }
      off += 5 + (size_t)len;
    }
    if (!changed || rc) continue;
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
    int r = vlen[i] ? sp_state_store_put(st, keys.data + ko, (size_t)klen[i], vals.data + vo, (size_t)vlen[i])
                    : sp_state_store_remove(st, keys.data + ko, (size_t)klen[i]);
    if (r) rc = oom_(err);
    ko += (size_t)klen[i];
    vo += (size_t)vlen[i];
  }
  if (!rc) ex->rows[s][p] -= nevict;
  if (!rc && nemit) {
    for (int c = 0; c < nout && !rc; c++)
      if (sp_vec_check(oc[c])) rc = oom_(err);
    sp_batch *nb = rc ? NULL : sp_batch_from(ex->node->schema, oc, nout, nemit);
    if (!rc && !nb) rc = oom_(err);
    if (nb) {
      memset(oc, 0, (size_t)nout * sizeof *oc); /* moved into nb */
      sp_batch_append(out, nb);
      sp_batch_free(nb);
      if (sp_batch_check(out)) rc = oom_(err);
    }
  }
  if (tmp)
    for (int c = 0; c < nc; c++) sp_vec_free(tmp[c]);
  if (oc)
    for (int c = 0; c < nout; c++) sp_vec_free(oc[c]);
  free(tmp);
  free(oc);
  sp_buf_free(&keys);
  sp_buf_free(&vals);
  sp_buf_free(&nv);
  free(klen);
  free(vlen);
  return rc;
}

static int64_t now_ms_(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sp_join_exec_final(sp_join_exec *ex, int p, int64_t batch_id, sp_batch *const *lparts, int nl,
                       sp_batch *const *rparts, int nr, const sp_agg_watermark *wm, const sp_eval_ctx *ctx,
                       sp_batch **out, spate_error *err) {
  const sp_node *n = ex->node;
  int nk = n->njkeys;
  ex->dropped[p] = 0;
  int rc = open_store_(ex, L, p, batch_id, err);
  if (!rc) rc = open_store_(ex, R, p, batch_id, err);
  if (rc) return rc;
  for (int s = 0; s < 2; s++)
    if (ex->rows[s][p] < 0) ex->rows[s][p] = count_rows_(ex->st[s][p]);
  bool wm_on = wm && wm->enabled;
  sp_batch *side[2] = {NULL, NULL};
  sp_value_ref refs[2][64];
  sp_vec *keys[2][64];
  bool *matched[2] = {NULL, NULL};
  memset(refs, 0, sizeof refs);
  sp_batch *result = sp_batch_new(n->schema, 0);
  if (!result) return oom_(err);
  side[L] = gather_side_(ex, L, lparts, nl, wm_on, wm_on ? wm->late_ms * 1000 : 0, &ex->dropped[p]);
  side[R] = gather_side_(ex, R, rparts, nr, wm_on, wm_on ? wm->late_ms * 1000 : 0, &ex->dropped[p]);
  if (!side[L] || !side[R]) rc = oom_(err);
  for (int s = 0; s < 2 && !rc; s++) {
    rc = eval_keys_(ex, s, side[s], ctx, refs[s], keys[s], err);
    if (!rc && !(matched[s] = calloc((size_t)(side[s]->nrows ? side[s]->nrows : 1), sizeof(bool)))) rc = oom_(err);
  }
  /* Left rows against stored right rows, then store them; right rows against the
   * stored left rows (this batch's included), then store them. */
  if (!rc) rc = probe_side_(ex, p, L, side[L], keys[L], matched[L], ctx, result, err);
  if (!rc) rc = store_side_(ex, p, L, side[L], keys[L], matched[L], err);
  if (!rc) rc = probe_side_(ex, p, R, side[R], keys[R], matched[R], ctx, result, err);
  if (!rc) rc = store_side_(ex, p, R, side[R], keys[R], matched[R], err);
  /* State eviction by the batch's watermark and the condition's time bounds. */
  if (!rc && wm_on) {
    int64_t w = wm->evict_ms * 1000;
    bool louter = n->join_type == SP_JOIN_LEFT || n->join_type == SP_JOIN_FULL;
    bool router = n->join_type == SP_JOIN_RIGHT || n->join_type == SP_JOIN_FULL;
    if (n->join_ltime >= 0 && n->join_has_hi) rc = evict_side_(ex, p, L, w - n->join_hi_us, louter, result, err);
    if (!rc && n->join_rtime >= 0 && n->join_has_lo)
      rc = evict_side_(ex, p, R, w + n->join_lo_us, router, result, err);
  }
  if (!rc) {
    int64_t t0 = now_ms_();
    rc = sp_state_store_commit(ex->st[L][p], err);
    if (!rc) rc = sp_state_store_commit(ex->st[R][p], err);
    ex->commit_ms[p] = now_ms_() - t0;
    if (!rc && batch_id % 10 == 9) {
      sp_state_store_maintain(ex->st[L][p], NULL);
      sp_state_store_maintain(ex->st[R][p], NULL);
    }
  }
  for (int s = 0; s < 2; s++) {
    for (int k = 0; k < nk; k++) sp_value_ref_release(&refs[s][k]);
    free(matched[s]);
    sp_batch_free(side[s]);
  }
  if (rc) {
    for (int s = 0; s < 2; s++) {
      sp_state_store_close(ex->st[s][p]);
      ex->st[s][p] = NULL;
    }
    sp_batch_free(result);
    return rc;
  }
  *out = result;
  return 0;
}

void sp_join_exec_metrics(const sp_join_exec *ex, sp_state_metrics *m) {
  memset(m, 0, sizeof *m);
  for (int p = 0; p < ex->nparts; p++) {
    for (int s = 0; s < 2; s++) {
      const sp_state_store *st = ex->st[s][p];
      if (!st) continue;
      if (ex->rows[s][p] > 0) m->num_rows_total += ex->rows[s][p];
      m->num_rows_updated += sp_state_store_num_updated(st);
      m->num_rows_removed += sp_state_store_num_removed(st);
      m->memory_used_bytes += sp_state_store_memory_bytes(st);
    }
    m->commit_time_ms += ex->commit_ms[p];
    m->num_rows_dropped_by_watermark += ex->dropped[p];
  }
}
