/*
 * op_hash_join.c - stream-static join (spark-semantics.md §6.3): a hash table over
 * the static side's join keys, built once per batch (or once per query run when the
 * table is cached), probed by every stream partition in parallel. Stateless: nothing
 * is kept between batches, so Spark's join types per side apply directly:
 * stream LEFT: inner, left outer, left semi, left anti; static LEFT: inner, right outer.
 *
 * Invariants: the table is immutable after sp_hash_join_build, so probes from several
 * threads share it; rows whose key has a NULL never match (SQL equality).
 */
#include <stdlib.h>
#include <string.h>

#include "exec/exec.h"
#include "exec/rowcodec.h"

struct sp_hash_join {
  const sp_node *node;
  int sside;             /* 0: the static side is the left input, 1: the right */
  sp_batch *sbatch;      /* borrowed static rows */
  sp_buf keys;           /* encoded keys of the static rows, back to back */
  int64_t *kofs;         /* per static row: offset into keys (nrows + 1 entries) */
  int32_t *slot_first;   /* hash slots: first static row in the chain, -1 = empty */
  int32_t *next;         /* per static row: next row in its chain, -1 = end */
  uint64_t *hash;        /* per static row */
  uint64_t mask;
};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static uint64_t hash_bytes_(const char *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
  return h;
}

void sp_hash_join_free(sp_hash_join *hj) {
  if (!hj) return;
  sp_buf_free(&hj->keys);
  free(hj->kofs);
  free(hj->slot_first);
  free(hj->next);
  free(hj->hash);
  free(hj);
}

static int eval_keys_(sp_expr *const *ke, int nk, const sp_batch *b, const sp_eval_ctx *ctx, sp_value_ref *refs,
                      sp_vec **keys, spate_error *err) {
  for (int k = 0; k < nk; k++) {
    int rc = sp_expr_eval(ke[k], b, ctx, &refs[k], err);
    if (rc) return rc;
    keys[k] = refs[k].vec;
  }
  return 0;
}

static bool null_key_(sp_vec *const *keys, int nk, int64_t r) {
  for (int k = 0; k < nk; k++)
    if (sp_vec_is_null(keys[k], r)) return true;
  return false;
}

int sp_hash_join_build(const sp_node *n, sp_batch *static_rows, const sp_eval_ctx *ctx, sp_hash_join **out,
                       spate_error *err) {
  int nk = n->njkeys;
  if (nk > 64) return spate_error_set(err, SPATE_EUNSUPPORTED, "more than 64 join keys");
  sp_hash_join *hj = calloc(1, sizeof *hj);
  if (!hj) return oom_(err);
  hj->node = n;
  hj->sside = n->join_static == 1 ? 1 : 0;
  hj->sbatch = static_rows;
  sp_buf_init(&hj->keys);
  int64_t rows = static_rows->nrows;
  uint64_t cap = 16;
  while (cap < (uint64_t)rows * 2) cap <<= 1;
  hj->mask = cap - 1;
  hj->kofs = malloc((size_t)(rows + 1) * sizeof *hj->kofs);
  hj->slot_first = malloc((size_t)cap * sizeof *hj->slot_first);
  hj->next = malloc((size_t)(rows ? rows : 1) * sizeof *hj->next);
  hj->hash = malloc((size_t)(rows ? rows : 1) * sizeof *hj->hash);
  sp_value_ref refs[64];
  sp_vec *keys[64];
  memset(refs, 0, sizeof refs);
  int rc = (!hj->kofs || !hj->slot_first || !hj->next || !hj->hash) ? oom_(err) : 0;
  if (!rc) rc = eval_keys_(hj->sside == 1 ? n->jkeys_r : n->jkeys_l, nk, static_rows, ctx, refs, keys, err);
  if (!rc) {
    memset(hj->slot_first, 0xff, (size_t)cap * sizeof *hj->slot_first);
    for (int64_t r = 0; r < rows; r++) {
      hj->kofs[r] = (int64_t)hj->keys.len;
      hj->next[r] = -1;
      if (null_key_(keys, nk, r)) continue; /* never matches */
      sp_row_encode(keys, nk, r, &hj->keys);
    }
    hj->kofs[rows] = (int64_t)hj->keys.len;
    if (sp_buf_check(&hj->keys)) rc = oom_(err);
    /* Chains keep static row order (insert from the back). */
    for (int64_t r = rows - 1; !rc && r >= 0; r--) {
      size_t len = (size_t)(hj->kofs[r + 1] - hj->kofs[r]);
      if (!len) continue;
      uint64_t h = hash_bytes_(hj->keys.data + hj->kofs[r], len);
      hj->hash[r] = h;
      uint64_t s = h & hj->mask;
      hj->next[r] = hj->slot_first[s];
      hj->slot_first[s] = (int32_t)r;
    }
  }
  for (int k = 0; k < nk; k++) sp_value_ref_release(&refs[k]);
  if (rc) {
    sp_hash_join_free(hj);
    return rc;
  }
  *out = hj;
  return 0;
}

int sp_hash_join_probe(const sp_hash_join *hj, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out,
                       spate_error *err) {
  const sp_node *n = hj->node;
  int nk = n->njkeys;
  int qside = 1 - hj->sside; /* the stream side */
  sp_value_ref refs[64];
  sp_vec *keys[64];
  memset(refs, 0, sizeof refs);
  int rc = eval_keys_(qside == 1 ? n->jkeys_r : n->jkeys_l, nk, in, ctx, refs, keys, err);
  int32_t *qi = NULL, *si = NULL, *sel = NULL;
  int64_t np = 0, cap = 0;
  sp_buf kb;
  sp_buf_init(&kb);
  /* Candidate pairs (stream row, static row) with equal keys. */
  for (int64_t r = 0; !rc && r < in->nrows; r++) {
    if (null_key_(keys, nk, r)) continue;
    sp_buf_reset(&kb);
    sp_row_encode(keys, nk, r, &kb);
    if (sp_buf_check(&kb)) {
      rc = oom_(err);
      break;
    }
    uint64_t h = hash_bytes_(kb.data, kb.len);
    for (int32_t s = hj->slot_first[h & hj->mask]; s >= 0; s = hj->next[s]) {
      size_t len = (size_t)(hj->kofs[s + 1] - hj->kofs[s]);
      if (hj->hash[s] != h || len != kb.len || memcmp(hj->keys.data + hj->kofs[s], kb.data, len) != 0) continue;
      if (np == cap) {
        cap = cap ? cap * 2 : 256;
        int32_t *a = realloc(qi, (size_t)cap * sizeof *a), *b = a ? realloc(si, (size_t)cap * sizeof *b) : NULL;
        if (a) qi = a;
        if (b) si = b;
        if (!a || !b) {
          rc = oom_(err);
          break;
        }
      }
      qi[np] = (int32_t)r;
      si[np++] = s;
    }
  }
  sp_buf_free(&kb);
  for (int k = 0; k < nk; k++) sp_value_ref_release(&refs[k]);
  /* The pairs as a batch in the full (left, right) layout; the rest of the ON
   * condition filters it column-wise. */
  const sp_type *ls = n->child->schema, *rs = n->right->schema;
  int nl = ls->nfields, nr = rs->nfields;
  const sp_batch *lb = hj->sside == 0 ? hj->sbatch : in, *rb = hj->sside == 1 ? hj->sbatch : in;
  const int32_t *li = hj->sside == 0 ? si : qi, *ri = hj->sside == 1 ? si : qi;
  sp_batch *pairs = NULL;
  int64_t m = np;
  if (!rc) {
    sp_type *full = sp_type_struct_new(nl + nr);
    sp_vec **cols = calloc((size_t)(nl + nr) + 1, sizeof *cols);
    if (!full || !cols) rc = oom_(err);
    for (int c = 0; !rc && c < nl; c++) {
      sp_type_struct_set(full, c, ls->fields[c].name, sp_type_ref(ls->fields[c].type), true);
      if (!(cols[c] = sp_vec_take(lb->cols[c], li ? li : (const int32_t *)"", np))) rc = oom_(err);
    }
    for (int c = 0; !rc && c < nr; c++) {
      sp_type_struct_set(full, nl + c, rs->fields[c].name, sp_type_ref(rs->fields[c].type), true);
      if (!(cols[nl + c] = sp_vec_take(rb->cols[c], ri ? ri : (const int32_t *)"", np))) rc = oom_(err);
    }
    if (!rc && !(pairs = sp_batch_from(full, cols, nl + nr, np))) rc = oom_(err);
    if (rc && cols)
      for (int c = 0; c < nl + nr; c++) sp_vec_free(cols[c]);
    free(cols);
    sp_type_unref(full);
  }
  if (!rc && !(sel = malloc((size_t)(np ? np : 1) * sizeof *sel))) rc = oom_(err);
  if (!rc && n->join_cond) {
    rc = sp_expr_filter(n->join_cond, pairs, ctx, sel, &m, err);
  } else {
    for (int64_t i = 0; !rc && i < np; i++) sel[i] = (int32_t)i;
  }
  /* Which stream rows matched (outer, semi, anti). */
  bool *hit = NULL;
  if (!rc && !(hit = calloc((size_t)(in->nrows ? in->nrows : 1), sizeof *hit))) rc = oom_(err);
  for (int64_t i = 0; !rc && i < m; i++) hit[qi[sel[i]]] = true;
  sp_batch *res = NULL;
  sp_ast_join_type t = n->join_type;
  if (!rc && (t == SP_JOIN_LEFT_SEMI || t == SP_JOIN_LEFT_ANTI)) {
    /* Stream rows (the left input) with at least one / no match, once each. */
    int32_t *keep = malloc((size_t)(in->nrows ? in->nrows : 1) * sizeof *keep);
    int64_t k = 0;
    if (!keep) {
      rc = oom_(err);
    } else {
      for (int64_t r = 0; r < in->nrows; r++)
        if (hit[r] == (t == SP_JOIN_LEFT_SEMI)) keep[k++] = (int32_t)r;
      if (!(res = sp_batch_take(in, keep, k))) rc = oom_(err);
      free(keep);
    }
  } else if (!rc) {
    sp_batch *matched = sp_batch_take(pairs, sel, m);
    if (!matched) rc = oom_(err);
    bool outer = (t == SP_JOIN_LEFT && qside == 0) || (t == SP_JOIN_RIGHT && qside == 1);
    if (!rc) {
      res = sp_batch_new(n->schema, matched->nrows);
      if (!res) rc = oom_(err);
    }
    if (!rc) {
      /* Re-type into the node's schema (nullability), then add the outer rows. */
      for (int c = 0; c < nl + nr; c++)
        for (int64_t r = 0; r < matched->nrows; r++) sp_vec_append_from(res->cols[c], matched->cols[c], r);
      res->nrows = matched->nrows;
      if (outer) {
        int qoff = qside == 0 ? 0 : nl, soff = qside == 0 ? nl : 0, nq = qside == 0 ? nl : nr;
        int ns = qside == 0 ? nr : nl;
        for (int64_t r = 0; r < in->nrows; r++) {
          if (hit[r]) continue;
          for (int c = 0; c < nq; c++) sp_vec_append_from(res->cols[qoff + c], in->cols[c], r);
          for (int c = 0; c < ns; c++) sp_vec_append_null(res->cols[soff + c]);
          res->nrows++;
        }
      }
      if (sp_batch_check(res)) rc = oom_(err);
    }
    sp_batch_free(matched);
  }
  free(hit);
  free(sel);
  free(qi);
  free(si);
  sp_batch_free(pairs);
  if (rc) {
    sp_batch_free(res);
    return rc;
  }
  *out = res;
  return 0;
}
