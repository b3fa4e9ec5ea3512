/*
 * event_time.c - event-time lineage and watermark propagation.
 *
 * Lineage: which output columns of each plan node carry the watermarked event time
 * (Spark keeps this as the `spark.watermarkDelayMs` metadata of an attribute). A
 * WATERMARK node marks its column; FILTER and DEDUPLICATE pass it on; PROJECT passes
 * it when the column is selected unchanged (renaming is fine); TIME_WINDOW over the
 * event-time column - or over a watermarked window, directly or through window_time()
 * - makes its `window` column the event time (compared by its end); a JOIN keeps both
 * sides' columns (et_col and et_alt); AGGREGATE marks the grouping key that is one of
 * them. Only an aggregate with such a key can evict state and run in Append mode.
 *
 * Propagation (Spark 3.5's PropagateWatermarkSimulator): the input watermark of each
 * stateful operator, derived from the global watermark through the operators below
 * it; only a stream-stream join lowers it (by its state watermarks).
 */
#include "plan/plan.h"

static bool is_col_(const sp_expr *e, int col) {
  return col >= 0 && e && e->kind == SP_EXPR_COLUMN && e->npath == 0 && e->column == col;
}

/* Set n's watermarked columns from a candidate list (first two distinct, >= 0). */
static void set_et_(sp_node *n, const int *cols, const bool *wins, int k) {
  n->et_col = n->et_alt = -1;
  n->et_window = n->et_alt_window = false;
  for (int i = 0; i < k; i++) {
    if (cols[i] < 0 || cols[i] == n->et_col) continue;
    if (n->et_col < 0) {
      n->et_col = cols[i];
      n->et_window = wins[i];
    } else if (n->et_alt < 0) {
      n->et_alt = cols[i];
      n->et_alt_window = wins[i];
    }
  }
}

static void copy_et_(sp_node *n, const sp_node *c) {
  int cols[2] = {c->et_col, c->et_alt};
  bool wins[2] = {c->et_window, c->et_alt_window};
  set_et_(n, cols, wins, 2);
}

static void lineage_(sp_node *n) {
  if (!n) return;
  lineage_(n->child);
  const sp_node *c = n->child;
  n->et_col = n->et_alt = -1;
  n->et_window = n->et_alt_window = false;
  switch (n->kind) {
    case SP_NODE_SCAN:
    case SP_NODE_STATIC_SCAN:
      break;
    case SP_NODE_WATERMARK:
      n->et_col = n->wm_column;
      break;
    case SP_NODE_UNION:
      /* Spark: the output attributes are the first input's. */
      lineage_(n->right);
      copy_et_(n, c);
      break;
    case SP_NODE_FILTER:
    case SP_NODE_DEDUPLICATE:
      copy_et_(n, c);
      break;
    case SP_NODE_PROJECT: {
      int cols[2] = {-1, -1};
      bool wins[2] = {c->et_window, c->et_alt_window};
      for (int i = 0; i < n->nexprs; i++) {
        if (i == n->gen_index) continue;
        if (cols[0] < 0 && is_col_(n->exprs[i], c->et_col)) cols[0] = i;
        if (cols[1] < 0 && is_col_(n->exprs[i], c->et_alt)) cols[1] = i;
      }
      set_et_(n, cols, wins, 2);
      break;
    }
    case SP_NODE_TIME_WINDOW: {
      const sp_expr *te = NULL;
      if (n->session)
        te = n->win_expr;
      else if (!sp_expr_as_window(n->win_expr, &te, NULL, NULL, NULL))
        te = NULL;
      /* A window over a watermarked time column is the event time from here on (by its
       * end); the input columns keep their positions. */
      int wcol = n->schema->nfields - 1;
      int wt = -1;
      /* window(window_time(w), ...) or window(w, ...) over a watermarked window: the
       * new window is the event time (spark-semantics.md §5.3, chained windows). */
      if (te && (sp_expr_as_window_time(te, &wt) || (te->kind == SP_EXPR_COLUMN && te->npath == 0 &&
                                                    (wt = te->column) >= 0 && te->type->id == SP_STRUCT))) {
        if ((wt == c->et_col && c->et_window) || (wt == c->et_alt && c->et_alt_window)) {
          int cols[2] = {wcol, wt == c->et_col ? c->et_alt : c->et_col};
          bool wins[2] = {true, wt == c->et_col ? c->et_alt_window : c->et_window};
          set_et_(n, cols, wins, 2);
          break;
        }
      }
      if (c->et_col >= 0 && !c->et_window && is_col_(te, c->et_col)) {
        int cols[2] = {wcol, c->et_alt};
        bool wins[2] = {true, c->et_alt_window};
        set_et_(n, cols, wins, 2);
      } else if (c->et_alt >= 0 && !c->et_alt_window && is_col_(te, c->et_alt)) {
        int cols[2] = {wcol, c->et_col};
        bool wins[2] = {true, c->et_window};
        set_et_(n, cols, wins, 2);
      } else {
        copy_et_(n, c);
      }
      break;
    }
    case SP_NODE_JOIN: {
      /* Both sides' watermarked columns stay watermarked (the left one first). */
      lineage_(n->right);
      const sp_node *r = n->right;
      int nl = c->schema->nfields;
      int cols[4] = {c->et_col, c->et_alt, r->et_col >= 0 ? nl + r->et_col : -1,
                     r->et_alt >= 0 ? nl + r->et_alt : -1};
      bool wins[4] = {c->et_window, c->et_alt_window, r->et_window, r->et_alt_window};
      set_et_(n, cols, wins, 4);
      break;
    }
    case SP_NODE_AGGREGATE:
      for (int k = 0; k < n->nkeys && n->et_col < 0; k++)
        if (is_col_(n->keys[k], c->et_col)) {
          n->et_col = k;
          n->et_window = c->et_window;
        } else if (is_col_(n->keys[k], c->et_alt)) {
          n->et_col = k;
          n->et_window = c->et_alt_window;
        }
      break;
  }
}

void sp_plan_event_time(sp_plan *p) { lineage_(p->root); }

void sp_plan_node_lineage(sp_node *n) { lineage_(n); }

bool sp_node_evicts_by_event_time(const sp_node *n) {
  if (!n || n->et_col < 0) return false;
  if (n->kind == SP_NODE_AGGREGATE) return true; /* et_col is a grouping key */
  if (n->kind == SP_NODE_JOIN)
    return (n->join_ltime >= 0 && n->join_has_hi) || (n->join_rtime >= 0 && n->join_has_lo);
  if (n->kind != SP_NODE_DEDUPLICATE) return false;
  if (n->dedup_within_watermark) return true;
  for (int k = 0; k < n->nkeys; k++)
    if (is_col_(n->keys[k], n->et_col)) return true;
  return false;
}

static bool is_stateful_(const sp_node *n) {
  return n->kind == SP_NODE_AGGREGATE || n->kind == SP_NODE_DEDUPLICATE ||
         (n->kind == SP_NODE_JOIN && !n->join_static); /* stream-static joins keep no state */
}

static int collect_(const sp_node *n, bool aggregates_only, const sp_node **out, int k, int cap) {
  if (!n) return k;
  if (aggregates_only ? n->kind == SP_NODE_AGGREGATE : is_stateful_(n)) {
    if (k < cap) out[k] = n;
    k++;
  }
  k = collect_(n->child, aggregates_only, out, k, cap);
  return collect_(n->right, aggregates_only, out, k, cap);
}

int sp_plan_aggregates(const sp_plan *p, const sp_node **out, int cap) { return collect_(p->root, true, out, 0, cap); }

int sp_plan_stateful_nodes(const sp_plan *p, const sp_node **out, int cap) {
  return collect_(p->root, false, out, 0, cap);
}

/* Output watermark of node n (false: n carries none); *op_in receives the input
 * watermark of `op` when the walk passes it. */
static bool output_wm_(const sp_node *n, const sp_node *op, int64_t w, int64_t *out, bool *op_seen, int64_t *op_in,
                       bool *op_has) {
  if (!n) return false;
  if (n->kind == SP_NODE_WATERMARK) {
    *out = w;
    return true;
  }
  int64_t a = 0, b = 0;
  bool ha = output_wm_(n->child, op, w, &a, op_seen, op_in, op_has);
  bool hb = output_wm_(n->right, op, w, &b, op_seen, op_in, op_has);
  bool has = ha || hb;
  int64_t in = ha && hb ? (a < b ? a : b) : ha ? a : b;
  if (n == op) {
    *op_seen = true;
    *op_has = has;
    *op_in = in;
  }
  if (!has) return false;
  int64_t o = in;
  if (n->kind == SP_NODE_JOIN && !n->join_static) {
    /* The state watermarks: rows older than these may still leave the join (outer NULL rows). */
    if (n->join_ltime >= 0 && n->join_has_hi) {
      int64_t lw = in - n->join_hi_us / 1000;
      if (lw < o) o = lw;
    }
    if (n->join_rtime >= 0 && n->join_has_lo) {
      int64_t rw = in + n->join_lo_us / 1000;
      if (rw < o) o = rw;
    }
  }
  *out = o;
  return true;
}

int64_t sp_plan_input_watermark(const sp_plan *p, const sp_node *op, int64_t global_ms) {
  if (global_ms == 0) return 0;
  int64_t out = 0, in = 0;
  bool seen = false, has = false;
  output_wm_(p->root, op, global_ms, &out, &seen, &in, &has);
  return seen && has && in > 0 ? in : 0;
}
