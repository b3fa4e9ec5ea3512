/*
 * op_stateless.c - FILTER and PROJECT (with an optional generator: explode,
 * explode_outer, posexplode) on one batch. WATERMARK nodes pass batches through unchanged and
 * are handled by the runtime, which gathers their event-time statistics.
 *
 * TIME_WINDOW (Spark's TimeWindowing): for time t, lastStart = t - ((t - start)
 * mod slide); candidates lastStart - i*slide for i < ceil(duration/slide), kept
 * when start_i <= t < start_i + duration. The child's columns are gathered by
 * parent-row index; rows with a NULL time produce nothing.
 *
 * PROJECT with a generator: the generator's array argument is evaluated once;
 * each input row r yields one output row per element (explode_outer: one NULL
 * row for a NULL or empty array; posexplode: plus the element's index in the
 * argument-less generator column `pos` the analyzer puts before it). Other columns are evaluated over the input rows
 * and gathered by the parent-row index, so no expression runs per output row.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/parser.h" /* sp_parse_interval: per-row session gaps */

#include "exec/exec.h"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int exec_filter_(const sp_node *n, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out,
                        spate_error *err) {
  int32_t *sel = malloc((size_t)(in->nrows ? in->nrows : 1) * sizeof *sel);
  if (!sel) return oom_(err);
  int64_t k = 0;
  int rc = sp_expr_filter(n->predicate, in, ctx, sel, &k, err);
  if (!rc) {
    *out = sp_batch_take(in, sel, k);
    if (!*out) rc = oom_(err);
  }
  free(sel);
  return rc;
}

/* Evaluate exprs[i] into an owned vector. */
static int eval_owned_(const sp_expr *e, const sp_batch *in, const sp_eval_ctx *ctx, sp_vec **out,
                       spate_error *err) {
  sp_value_ref r = {0};
  int rc = sp_expr_eval(e, in, ctx, &r, err);
  if (rc) return rc;
  if (r.owned) {
    *out = r.vec;
    return 0;
  }
  *out = sp_vec_copy(r.vec);
  return *out ? 0 : oom_(err);
}

static int exec_project_(const sp_node *n, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out,
                         spate_error *err) {
  int nc = n->nexprs;
  sp_vec **cols = calloc((size_t)(nc ? nc : 1), sizeof *cols);
  if (!cols) return oom_(err);
  int rc = 0;
  int64_t nrows = in->nrows;
  if (n->gen_index < 0) {
    for (int i = 0; i < nc && !rc; i++) rc = eval_owned_(n->exprs[i], in, ctx, &cols[i], err);
  } else {
    const sp_expr *g = n->exprs[n->gen_index];
    sp_value_ref arr = {0};
    rc = sp_expr_eval(g->args[0], in, ctx, &arr, err);
    if (rc) goto done;
    const sp_vec *a = arr.vec;
    bool outer = g->gen == SP_GEN_EXPLODE_OUTER;
    int64_t total = 0;
    for (int64_t r = 0; r < in->nrows; r++) {
      int64_t len = sp_vec_is_null(a, r) ? 0 : a->offsets[r + 1] - a->offsets[r];
      total += (len == 0 && outer) ? 1 : len;
    }
    int32_t *parent = malloc((size_t)(total ? total : 1) * sizeof *parent);
    int32_t *elem = malloc((size_t)(total ? total : 1) * sizeof *elem);
    if (!parent || !elem) {
      free(parent);
      free(elem);
      sp_value_ref_release(&arr);
      rc = oom_(err);
      goto done;
    }
    int64_t k = 0;
    for (int64_t r = 0; r < in->nrows; r++) {
      int64_t len = sp_vec_is_null(a, r) ? 0 : a->offsets[r + 1] - a->offsets[r];
      if (len == 0 && outer) {
        parent[k] = (int32_t)r;
        elem[k++] = -1;
      }
      for (int64_t e = 0; e < len; e++) {
        parent[k] = (int32_t)r;
        elem[k++] = (int32_t)(a->offsets[r] + e);
      }
    }
    nrows = total;
    for (int i = 0; i < nc && !rc; i++) {
      if (i == n->gen_index) {
        sp_vec *v = sp_vec_new(a->children[0]->type, total);
        if (!v) {
          rc = oom_(err);
          break;
        }
        for (int64_t j = 0; j < total; j++) {
          if (elem[j] < 0)
            sp_vec_append_null(v);
          else
            sp_vec_append_from(v, a->children[0], elem[j]);
        }
        if (sp_vec_check(v)) {
          sp_vec_free(v);
          rc = oom_(err);
          break;
        }
        cols[i] = v;
      } else if (n->exprs[i]->kind == SP_EXPR_GENERATOR) {
        /* posexplode's `pos` column: the element's 0-based index in its array. */
        sp_vec *v = sp_vec_new(n->exprs[i]->type, total);
        if (!v) {
          rc = oom_(err);
          break;
        }
        for (int64_t j = 0; j < total; j++) {
          if (elem[j] < 0)
            sp_vec_append_null(v);
          else
            sp_vec_append_i32(v, (int32_t)(elem[j] - a->offsets[parent[j]]));
        }
        if (sp_vec_check(v)) {
          sp_vec_free(v);
          rc = oom_(err);
          break;
        }
        cols[i] = v;
      } else {
        sp_value_ref r = {0};
        rc = sp_expr_eval(n->exprs[i], in, ctx, &r, err);
        if (rc) break;
        cols[i] = sp_vec_take(r.vec, parent, total);
        sp_value_ref_release(&r);
        if (!cols[i]) rc = oom_(err);
      }
    }
    free(parent);
    free(elem);
    sp_value_ref_release(&arr);
  }
done:
  if (!rc) {
    *out = sp_batch_from(n->schema, cols, nc, nrows);
    if (!*out) rc = oom_(err);
  }
  if (rc)
    for (int i = 0; i < nc; i++) sp_vec_free(cols[i]);
  free(cols);
  return rc;
}

static int64_t floor_mod_(int64_t a, int64_t b) {
  int64_t m = a % b;
  return m < 0 ? m + b : m;
}

/* session_window: one row [t, t + gap) per input row with a time and a positive gap. */
static int exec_session_window_(const sp_node *n, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out,
                                spate_error *err) {
  sp_value_ref tr = {0}, gr = {0};
  int rc = sp_expr_eval(n->win_expr, in, ctx, &tr, err);
  if (!rc && n->sess_gap_expr) rc = sp_expr_eval(n->sess_gap_expr, in, ctx, &gr, err);
  int nin = in->ncols, nc = n->schema->nfields;
  int32_t *parent = rc ? NULL : malloc((size_t)(in->nrows ? in->nrows : 1) * sizeof *parent);
  int64_t *ends = rc ? NULL : malloc((size_t)(in->nrows ? in->nrows : 1) * sizeof *ends);
  sp_vec **cols = rc ? NULL : calloc((size_t)nc + 1, sizeof *cols);
  sp_vec *w = NULL;
  if (!rc && (!parent || !ends || !cols)) rc = oom_(err);
  int64_t k = 0;
  const sp_vec *tv = tr.vec;
  char gapbuf[128];
  for (int64_t r = 0; !rc && r < in->nrows; r++) {
    if (sp_vec_is_null(tv, r)) continue;
    int64_t gap = n->sess_gap_us;
    if (gr.vec) {
      if (sp_vec_is_null(gr.vec, r)) continue;
      int32_t len;
      const char *g = sp_vec_str(gr.vec, r, &len);
      if (len <= 0 || (size_t)len >= sizeof gapbuf) continue;
      memcpy(gapbuf, g, (size_t)len);
      gapbuf[len] = 0;
      spate_error e2;
      if (sp_parse_interval(gapbuf, &gap, &e2)) continue; /* Spark: an invalid gap is NULL: row dropped */
    }
    if (gap <= 0) continue;
    parent[k] = (int32_t)r;
    ends[k++] = sp_vec_i64(tv)[r] + gap;
  }
  for (int c = 0; !rc && c < nin; c++)
    if (!(cols[c] = sp_vec_take(in->cols[c], parent, k))) rc = oom_(err);
  if (!rc && !(w = sp_vec_new(n->schema->fields[nc - 1].type, k))) rc = oom_(err);
  for (int64_t j = 0; !rc && j < k; j++) {
    sp_vec_append_i64(w->children[0], sp_vec_i64(tv)[parent[j]]);
    sp_vec_append_i64(w->children[1], ends[j]);
    sp_vec_struct_append(w, true);
  }
  if (!rc && sp_vec_check(w)) rc = oom_(err);
  if (!rc) {
    cols[nc - 1] = w;
    w = NULL;
    if (!(*out = sp_batch_from(n->schema, cols, nc, k))) rc = oom_(err);
  }
  if (rc && cols)
    for (int c = 0; c < nc; c++) sp_vec_free(cols[c]);
  sp_vec_free(w);
  free(cols);
  free(parent);
  free(ends);
  sp_value_ref_release(&tr);
  sp_value_ref_release(&gr);
  return rc;
}

static int exec_time_window_(const sp_node *n, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out,
                             spate_error *err) {
  if (n->session) return exec_session_window_(n, in, ctx, out, err);
  const sp_expr *te;
  int64_t dur, slide, start;
  if (!sp_expr_as_window(n->win_expr, &te, &dur, &slide, &start) || slide <= 0 || dur <= 0)
    return spate_error_set(err, SPATE_ESTATE, "TIME_WINDOW node without a window() expression");
  sp_value_ref tr = {0};
  int rc = sp_expr_eval(te, in, ctx, &tr, err);
  if (rc) return rc;
  const sp_vec *tv = tr.vec;
  int64_t per = (dur + slide - 1) / slide;
  int64_t cap = in->nrows * per;
  int32_t *parent = malloc((size_t)(cap ? cap : 1) * sizeof *parent);
  int64_t *ws = malloc((size_t)(cap ? cap : 1) * sizeof *ws);
  int nin = in->ncols, nc = n->schema->nfields;
  sp_vec **cols = calloc((size_t)nc + 1, sizeof *cols);
  sp_vec *w = NULL;
  if (!parent || !ws || !cols) {
    rc = oom_(err);
    goto done;
  }
  int64_t k = 0;
  const int64_t *t = sp_vec_i64(tv);
  for (int64_t r = 0; r < in->nrows; r++) {
    if (sp_vec_is_null(tv, r)) continue;
    int64_t last = t[r] - floor_mod_(t[r] - start, slide);
    for (int64_t i = 0; i < per; i++) {
      int64_t s0 = last - i * slide;
      if (s0 <= t[r] && t[r] < s0 + dur) {
        parent[k] = (int32_t)r;
        ws[k++] = s0;
      }
    }
  }
  for (int c = 0; c < nin && !rc; c++)
    if (!(cols[c] = sp_vec_take(in->cols[c], parent, k))) rc = oom_(err);
  if (rc) goto done;
  w = sp_vec_new(n->schema->fields[nc - 1].type, k);
  if (!w) {
    rc = oom_(err);
    goto done;
  }
  for (int64_t j = 0; j < k; j++) {
    sp_vec_append_i64(w->children[0], ws[j]);
    sp_vec_append_i64(w->children[1], ws[j] + dur);
    sp_vec_struct_append(w, true);
  }
  if (sp_vec_check(w)) {
    rc = oom_(err);
    goto done;
  }
  cols[nc - 1] = w;
  w = NULL;
  *out = sp_batch_from(n->schema, cols, nc, k);
  if (!*out) rc = oom_(err);
done:
  if (rc && cols)
    for (int c = 0; c < nc; c++) sp_vec_free(cols[c]);
  sp_vec_free(w);
  free(cols);
  free(parent);
  free(ws);
  sp_value_ref_release(&tr);
  return rc;
}

int sp_exec_node(const sp_node *n, const sp_batch *in, const sp_eval_ctx *ctx, sp_batch **out, spate_error *err) {
  switch (n->kind) {
    case SP_NODE_FILTER: return exec_filter_(n, in, ctx, out, err);
    case SP_NODE_PROJECT: return exec_project_(n, in, ctx, out, err);
    case SP_NODE_TIME_WINDOW: return exec_time_window_(n, in, ctx, out, err);
    default:
      return spate_error_set(err, SPATE_ESTATE, "node kind %d is not a stateless operator", (int)n->kind);
  }
}
