/*
 * event_time.c - event-time lineage: which output column of each plan node
 * carries the watermarked event time (Spark keeps this as the
 * `spark.watermarkDelayMs` metadata of an attribute).
 *
 * A WATERMARK node marks its column; FILTER passes it on; PROJECT passes it when
 * the column is selected unchanged (renaming is fine); TIME_WINDOW over the
 * event-time column makes its `window` column the event time (compared by its
 * end); AGGREGATE marks the grouping key that is the event-time column. Only an
 * aggregate with such a key can evict state and run in Append mode.
 */
#include "plan/plan.h"

static bool is_col_(const sp_expr *e, int col) {
  return col >= 0 && e && e->kind == SP_EXPR_COLUMN && e->npath == 0 && e->column == col;
}

static void lineage_(sp_node *n) {
  if (!n) return;
  lineage_(n->child);
  const sp_node *c = n->child;
  n->et_col = -1;
  n->et_window = false;
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
      n->et_col = c->et_col;
      n->et_window = c->et_window;
      break;
    case SP_NODE_FILTER:
    case SP_NODE_DEDUPLICATE:
      n->et_col = c->et_col;
      n->et_window = c->et_window;
      break;
    case SP_NODE_PROJECT:
      for (int i = 0; i < n->nexprs; i++)
        if (i != n->gen_index && is_col_(n->exprs[i], c->et_col)) {
          n->et_col = i;
          n->et_window = c->et_window;
          break;
        }
      break;
    case SP_NODE_TIME_WINDOW: {
      const sp_expr *te = NULL;
      if (n->session)
        te = n->win_expr;
      else if (!sp_expr_as_window(n->win_expr, &te, NULL, NULL, NULL))
        te = NULL;
      if (c->et_col >= 0 && !c->et_window && is_col_(te, c->et_col)) {
        n->et_col = n->schema->nfields - 1;
        n->et_window = true;
      } else {
        n->et_col = c->et_col;
        n->et_window = c->et_window;
      }
      break;
    }
    case SP_NODE_JOIN:
      /* The output keeps the left side's event-time column (Spark propagates the
       * watermark metadata of both sides; the first one wins here). */
      lineage_(n->right);
      if (c->et_col >= 0) {
        n->et_col = c->et_col;
        n->et_window = c->et_window;
      } else if (n->right->et_col >= 0) {
        n->et_col = c->schema->nfields + n->right->et_col;
        n->et_window = n->right->et_window;
      }
      break;
    case SP_NODE_AGGREGATE:
      for (int k = 0; k < n->nkeys; k++)
        if (is_col_(n->keys[k], c->et_col)) {
          n->et_col = k;
          n->et_window = c->et_window;
          break;
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

const sp_node *sp_plan_aggregate(const sp_plan *p) {
  for (const sp_node *n = p->root; n; n = n->child)
    if (n->kind == SP_NODE_AGGREGATE) return n;
  return NULL;
}
