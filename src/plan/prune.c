/*
 * prune.c - column pruning: which columns of each source a plan reads.
 *
 * Walks the plan from the root down, carrying the set of the current node's
 * output columns its parent needs, and turns it into the set of the child's
 * columns this node needs. At a SCAN the set is handed to the source
 * (vtab->prune), which may then skip decoding the other columns (the JSON
 * reader leaves them null without parsing them). The batch schema does not
 * change, so bound column indexes stay valid.
 *
 * Invariant: a column is marked required whenever any expression of any node
 * above the scan may read it; the root needs every column of its output.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static void mark_expr_(const sp_expr *e, bool *req, int n) {
  if (!e) return;
  if (e->kind == SP_EXPR_COLUMN && e->column >= 0 && e->column < n) req[e->column] = true;
  for (int i = 0; i < e->nargs; i++) mark_expr_(e->args[i], req, n);
}

/* need: n_out flags over node's output columns (NULL = all). */
static int prune_node_(sp_plan *p, const sp_node *node, const bool *need, bool **source_req) {
  const sp_type *out = node->schema;
  int nout = out ? out->nfields : 0;
  if (node->kind == SP_NODE_STATIC_SCAN) return 0; /* static tables read all columns */
  if (node->kind == SP_NODE_SCAN) {
    bool *r = source_req[node->source];
    for (int i = 0; i < nout; i++)
      if (!need || need[i]) r[i] = true;
    return 0;
  }
  const sp_node *child = node->child;
  int nin = child->schema->nfields;
  if (node->kind == SP_NODE_JOIN) {
    /* Each side: the output columns wanted from it, the keys and the condition. */
    int nl = nin, nr = node->right->schema->nfields;
    bool *req = calloc((size_t)(nl + nr) + 1, sizeof *req);
    if (!req) return SPATE_ENOMEM;
    for (int i = 0; i < nl + nr; i++) req[i] = !need || (i < nout && need[i]);
    mark_expr_(node->join_cond, req, nl + nr);
    for (int k = 0; k < node->njkeys; k++) {
      mark_expr_(node->jkeys_l[k], req, nl);
      mark_expr_(node->jkeys_r[k], req + nl, nr);
    }
    if (child->et_col >= 0) req[child->et_col] = true;
    if (node->right->et_col >= 0) req[nl + node->right->et_col] = true;
    int rc = prune_node_(p, child, req, source_req);
    if (!rc) rc = prune_node_(p, node->right, req + nl, source_req);
    free(req);
    return rc;
  }
  bool *req = calloc((size_t)(nin ? nin : 1), sizeof *req);
  if (!req) return SPATE_ENOMEM;
  switch (node->kind) {
    case SP_NODE_UNION:
    case SP_NODE_WATERMARK:
    case SP_NODE_FILTER:
      /* Same columns in and out. */
      for (int i = 0; i < nin && i < nout; i++) req[i] = !need || need[i];
      if (node->kind == SP_NODE_WATERMARK && node->wm_column >= 0 && node->wm_column < nin)
        req[node->wm_column] = true;
      mark_expr_(node->predicate, req, nin);
      break;
    case SP_NODE_PROJECT:
      for (int i = 0; i < node->nexprs; i++)
        if (!need || need[i] || i == node->gen_index) mark_expr_(node->exprs[i], req, nin);
      break;
    case SP_NODE_DEDUPLICATE:
      /* Rows pass through; the keys and the event time decide which. */
      for (int i = 0; i < nin && i < nout; i++) req[i] = !need || need[i];
      for (int i = 0; i < node->nkeys; i++) mark_expr_(node->keys[i], req, nin);
      if (node->et_col >= 0 && node->et_col < nin) req[node->et_col] = true;
      break;
    case SP_NODE_TIME_WINDOW:
      /* Child columns pass through; the window needs its time column. */
      for (int i = 0; i < nin && i < nout; i++) req[i] = !need || need[i];
      mark_expr_(node->win_expr, req, nin);
      mark_expr_(node->sess_gap_expr, req, nin);
      break;
    case SP_NODE_AGGREGATE:
      /* Every key and aggregate shapes the state: all are needed. */
      for (int i = 0; i < node->nkeys; i++) mark_expr_(node->keys[i], req, nin);
      for (int i = 0; i < node->naggs; i++) mark_expr_(node->aggs[i], req, nin);
      break;
    default:
      for (int i = 0; i < nin; i++) req[i] = true;
  }
  int rc = prune_node_(p, child, req, source_req);
  if (!rc && node->right) rc = prune_node_(p, node->right, req, source_req); /* UNION: same columns */
  free(req);
  return rc;
}

int sp_plan_prune_columns(sp_plan *p) {
  bool **source_req = calloc((size_t)(p->nsources ? p->nsources : 1), sizeof *source_req);
  if (!source_req) return SPATE_ENOMEM;
  int rc = 0;
  for (int i = 0; i < p->nsources && !rc; i++) {
    int n = p->sources[i]->schema->nfields;
    if (!(source_req[i] = calloc((size_t)(n ? n : 1), sizeof(bool)))) rc = SPATE_ENOMEM;
  }
  if (!rc) rc = prune_node_(p, p->root, NULL, source_req);
  for (int i = 0; i < p->nsources && !rc; i++) {
    sp_source *s = p->sources[i];
    if (s->vt->prune) rc = s->vt->prune(s, source_req[i]);
  }
  for (int i = 0; i < p->nsources; i++) free(source_req[i]);
  free(source_req);
  return rc;
}
