/*
 * executor.c - phase 5 of the micro-batch loop: run one batch over the plan tree
 * (docs/design.md, "Plans and execution").
 *
 * The plan is evaluated bottom-up into lists of partitions (batches). Maximal
 * runs of stateless unary nodes (FILTER, PROJECT, TIME_WINDOW, WATERMARK) are
 * fused into one task per partition on the session pool, so a partition flows
 * through the whole run without a pool round per node. Pipeline breakers:
 *   SCAN        the source's input partitions of this batch (rows in (start, end]);
 *   UNION       the partitions of both children;
 *   AGGREGATE / DEDUPLICATE
 *               partial phase per partition, shuffle by key group into
 *               spark.sql.shuffle.partitions, final phase per shuffle partition
 *               against the state store (one task each);
 *   JOIN        stream-stream: both inputs shuffled by the join key, then the
 *               symmetric hash join per shuffle partition; stream-static: a hash
 *               table of the static rows probed by every stream partition.
 * Stateful operators may be chained (a join feeding an aggregation, ...): each
 * finds its own execution state (q->ops) and input watermarks (op->wm).
 * WATERMARK nodes gather the event-time statistics (ms) of the rows that pass
 * them; the loop turns them into the next watermark after the commit.
 *
 * Invariants: every partition list owns its batches; a node's output is consumed
 * by exactly one parent; the executor never blocks a pool worker on another task.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "source/static_table.h"

typedef struct plist {
  sp_batch **v;
  int n, cap;
} plist;

static void plist_release_(plist *l) {
  for (int i = 0; i < l->n; i++) sp_batch_free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static int plist_push_(plist *l, sp_batch *b) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 8;
    sp_batch **nv = realloc(l->v, (size_t)cap * sizeof *nv);
    if (!nv) {
      sp_batch_free(b);
      return SPATE_ENOMEM;
    }
    l->v = nv;
    l->cap = cap;
  }
  l->v[l->n++] = b;
  return 0;
}

typedef struct exec_ctx {
  spate_query *q;
  int64_t batch_id;
  sp_eval_ctx ectx;
  sp_batch_list *inputs; /* per source */
  sp_batch_stats *st;
  const sp_node *wm_nodes[SP_MAX_WATERMARKS];
  int nwm;
  int *scan_uses;        /* per source: SCAN nodes still to read it (a view used twice) */
} exec_ctx;

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int wm_index_(const exec_ctx *x, const sp_node *n) {
  for (int i = 0; i < x->nwm; i++)
    if (x->wm_nodes[i] == n) return i;
  return -1;
}

/* ---- fused stateless segment ---- */

typedef struct segment {
  exec_ctx *x;
  const sp_node *nodes[64]; /* bottom-up */
  int nnodes;
  plist *parts;
  /* per (watermark node in the segment, partition): event-time statistics */
  int64_t *et_max, *et_min, *et_sum, *et_cnt;
  int wm_slot[64];          /* per node: slot (0..) of a WATERMARK node, or -1 */
  int nslots;
} segment;

static int segment_task_(void *arg, int i, spate_error *err) {
  segment *s = arg;
  sp_batch *b = s->parts->v[i];
  for (int k = 0; k < s->nnodes; k++) {
    const sp_node *n = s->nodes[k];
    if (n->kind == SP_NODE_WATERMARK) {
      const sp_vec *v = b->cols[n->wm_column];
      int64_t mx = INT64_MIN, mn = INT64_MAX, sum = 0, cnt = 0;
      for (int64_t r = 0; r < v->length; r++) {
        if (sp_vec_is_null(v, r)) continue;
        int64_t t = sp_vec_i64(v)[r] / 1000;
        if (t > mx) mx = t;
        if (t < mn) mn = t;
        sum += t;
        cnt++;
      }
      size_t at = (size_t)s->wm_slot[k] * (size_t)s->parts->n + (size_t)i;
      s->et_max[at] = mx;
      s->et_min[at] = mn;
      s->et_sum[at] = sum;
      s->et_cnt[at] = cnt;
      continue;
    }
    sp_batch *o = NULL;
    int rc = sp_exec_node(n, b, &s->x->ectx, &o, err);
    if (rc) return rc;
    sp_batch_free(b);
    b = o;
    s->parts->v[i] = b;
  }
  return 0;
}

static bool stateless_unary_(const sp_node *n) {
  return n->kind == SP_NODE_FILTER || n->kind == SP_NODE_PROJECT || n->kind == SP_NODE_TIME_WINDOW ||
         n->kind == SP_NODE_WATERMARK;
}

static int eval_(exec_ctx *x, const sp_node *n, plist *out, spate_error *err);

/* Run the stateless nodes from `top` down to the first breaker over the breaker's partitions. */
static int eval_segment_(exec_ctx *x, const sp_node *top, plist *out, spate_error *err) {
  segment s;
  memset(&s, 0, sizeof s);
  s.x = x;
  const sp_node *stack[64];
  int depth = 0;
  const sp_node *b = top;
  while (b && stateless_unary_(b) && depth < 64) {
    stack[depth++] = b;
    b = b->child;
  }
  if (depth == 64) return spate_error_set(err, SPATE_EUNSUPPORTED, "plan too deep (more than 64 operators in a row)");
  int rc = eval_(x, b, out, err);
  if (rc) return rc;
  for (int i = depth - 1; i >= 0; i--) {
    s.wm_slot[s.nnodes] = stack[i]->kind == SP_NODE_WATERMARK ? s.nslots++ : -1;
    s.nodes[s.nnodes++] = stack[i];
  }
  s.parts = out;
  size_t cells = (size_t)(s.nslots ? s.nslots : 1) * (size_t)(out->n ? out->n : 1);
  s.et_max = calloc(cells, sizeof(int64_t));
  s.et_min = calloc(cells, sizeof(int64_t));
  s.et_sum = calloc(cells, sizeof(int64_t));
  s.et_cnt = calloc(cells, sizeof(int64_t));
  if (!s.et_max || !s.et_min || !s.et_sum || !s.et_cnt) {
    rc = oom_(err);
  } else if (out->n > 0) {
    rc = sp_pool_run(x->q->session->pool, out->n, segment_task_, &s, err);
  }
  /* Fold the statistics of each WATERMARK node into the batch's. */
  for (int k = 0; !rc && k < s.nnodes; k++) {
    if (s.wm_slot[k] < 0) continue;
    int w = wm_index_(x, s.nodes[k]);
    if (w < 0) continue;
    sp_wm_stats *ws = &x->st->wm[w];
    for (int i = 0; i < out->n; i++) {
      size_t at = (size_t)s.wm_slot[k] * (size_t)out->n + (size_t)i;
      if (!s.et_cnt[at]) continue;
      if (!ws->count || s.et_max[at] > ws->max_ms) ws->max_ms = s.et_max[at];
      if (!ws->count || s.et_min[at] < ws->min_ms) ws->min_ms = s.et_min[at];
      ws->sum_ms += s.et_sum[at];
      ws->count += s.et_cnt[at];
    }
  }
  free(s.et_max);
  free(s.et_min);
  free(s.et_sum);
  free(s.et_cnt);
  return rc;
}

/* ---- stateful operators: partial -> shuffle -> final ---- */

typedef struct shuffle_run {
  exec_ctx *x;
  sp_stateful *op;
  plist *in;
  sp_batch ***partials;    /* [nin][P] */
  sp_batch **scratch;      /* [P][nin] */
  sp_batch **results;      /* [P] */
  int P;
} shuffle_run;

static int partial_task_(void *arg, int i, spate_error *err) {
  shuffle_run *r = arg;
  int rc = sp_stateful_partial(r->op, r->in->v[i], &r->x->ectx, r->partials[i], err);
  sp_batch_free(r->in->v[i]);
  r->in->v[i] = NULL;
  return rc;
}

static int final_task_(void *arg, int p, spate_error *err) {
  shuffle_run *r = arg;
  int nin = r->in->n;
  sp_batch **mine = r->scratch + (size_t)p * (size_t)(nin ? nin : 1);
  for (int i = 0; i < nin; i++) mine[i] = r->partials[i][p];
  return sp_stateful_final(r->op, p, r->x->batch_id, mine, nin, r->x->q->mode, &r->op->wm, &r->x->ectx,
                           &r->results[p], err);
}

/* The execution state of stateful node n (NULL: none was opened). */
static sp_stateful *op_of_(const exec_ctx *x, const sp_node *n) {
  for (int i = 0; i < x->q->nops; i++)
    if (x->q->ops[i]->node == n) return x->q->ops[i];
  return NULL;
}

static int eval_stateful_(exec_ctx *x, const sp_node *n, plist *out, spate_error *err) {
  sp_stateful *op = op_of_(x, n);
  if (!op) return spate_error_set(err, SPATE_ESTATE, "no execution state for stateful operator %d", n->op_id);
  plist in = {0};
  int rc = eval_(x, n->child, &in, err);
  if (rc) return rc;
  shuffle_run r;
  memset(&r, 0, sizeof r);
  r.x = x;
  r.op = op;
  r.in = &in;
  r.P = op->num_partitions;
  int nin = in.n;
  r.partials = calloc((size_t)(nin ? nin : 1), sizeof *r.partials);
  r.scratch = calloc((size_t)r.P * (size_t)(nin ? nin : 1), sizeof *r.scratch);
  r.results = calloc((size_t)r.P, sizeof *r.results);
  if (!r.partials || !r.scratch || !r.results) rc = oom_(err);
  for (int i = 0; i < nin && !rc; i++)
    if (!(r.partials[i] = calloc((size_t)r.P, sizeof **r.partials))) rc = oom_(err);
  if (!rc && nin) rc = sp_pool_run(x->q->session->pool, nin, partial_task_, &r, err);
  if (!rc) rc = sp_pool_run(x->q->session->pool, r.P, final_task_, &r, err);
  for (int p = 0; p < r.P && !rc; p++) {
    rc = plist_push_(out, r.results[p]);
    r.results[p] = NULL;
    if (rc) oom_(err);
  }
  if (r.partials)
    for (int i = 0; i < nin; i++) {
      if (!r.partials[i]) continue;
      for (int p = 0; p < r.P; p++) sp_batch_free(r.partials[i][p]);
      free(r.partials[i]);
    }
  if (r.results)
    for (int p = 0; p < r.P; p++) sp_batch_free(r.results[p]);
  free(r.partials);
  free(r.scratch);
  free(r.results);
  plist_release_(&in);
  return rc;
}

/* ---- stream-stream join: both inputs shuffled by the join key ---- */

typedef struct join_run {
  exec_ctx *x;
  sp_join_exec *op;
  plist *in[2];
  sp_batch ***partials[2]; /* [side][i][P] */
  sp_batch **scratch[2];   /* [side][P][n] */
  sp_batch **results;
  const sp_agg_watermark *wm;
  int P;
} join_run;

static int join_partial_task_(void *arg, int t, spate_error *err) {
  join_run *r = arg;
  int side = t < r->in[0]->n ? 0 : 1;
  int i = side ? t - r->in[0]->n : t;
  int rc = sp_join_exec_partial(r->op, side, r->in[side]->v[i], &r->x->ectx, r->partials[side][i], err);
  sp_batch_free(r->in[side]->v[i]);
  r->in[side]->v[i] = NULL;
  return rc;
}

static int join_final_task_(void *arg, int p, spate_error *err) {
  join_run *r = arg;
  sp_batch **mine[2];
  for (int s = 0; s < 2; s++) {
    int n = r->in[s]->n;
    mine[s] = r->scratch[s] + (size_t)p * (size_t)(n ? n : 1);
    for (int i = 0; i < n; i++) mine[s][i] = r->partials[s][i][p];
  }
  return sp_join_exec_final(r->op, p, r->x->batch_id, mine[0], r->in[0]->n, mine[1], r->in[1]->n, r->wm,
                            &r->x->ectx, &r->results[p], err);
}

static int eval_join_(exec_ctx *x, const sp_node *n, plist *out, spate_error *err) {
  sp_stateful *op = op_of_(x, n);
  if (!op || !op->join)
    return spate_error_set(err, SPATE_ESTATE, "no execution state for join operator %d", n->op_id);
  plist in[2] = {{0}, {0}};
  int rc = eval_(x, n->child, &in[0], err);
  if (!rc) rc = eval_(x, n->right, &in[1], err);
  join_run r;
  memset(&r, 0, sizeof r);
  r.x = x;
  r.op = op->join;
  r.wm = &op->wm;
  r.P = op->num_partitions;
  for (int s = 0; s < 2 && !rc; s++) {
    int ni = in[s].n;
    r.in[s] = &in[s];
    r.partials[s] = calloc((size_t)(ni ? ni : 1), sizeof *r.partials[s]);
    r.scratch[s] = calloc((size_t)r.P * (size_t)(ni ? ni : 1), sizeof *r.scratch[s]);
    if (!r.partials[s] || !r.scratch[s]) rc = oom_(err);
    for (int i = 0; i < ni && !rc; i++)
      if (!(r.partials[s][i] = calloc((size_t)r.P, sizeof **r.partials[s]))) rc = oom_(err);
  }
  if (!rc && !(r.results = calloc((size_t)r.P, sizeof *r.results))) rc = oom_(err);
  if (!rc && in[0].n + in[1].n > 0)
    rc = sp_pool_run(x->q->session->pool, in[0].n + in[1].n, join_partial_task_, &r, err);
  if (!rc) rc = sp_pool_run(x->q->session->pool, r.P, join_final_task_, &r, err);
  for (int p = 0; p < r.P && !rc; p++) {
    rc = plist_push_(out, r.results[p]);
    r.results[p] = NULL;
    if (rc) oom_(err);
  }
  for (int s = 0; s < 2; s++) {
    if (r.partials[s])
      for (int i = 0; i < in[s].n; i++) {
        if (!r.partials[s][i]) continue;
        for (int p = 0; p < r.P; p++) sp_batch_free(r.partials[s][i][p]);
        free(r.partials[s][i]);
      }
    free(r.partials[s]);
    free(r.scratch[s]);
    plist_release_(&in[s]);
  }
  if (r.results)
    for (int p = 0; p < r.P; p++) sp_batch_free(r.results[p]);
  free(r.results);
  return rc;
}

/* ---- stream-static join ---- */

/* The rows of static table i for this batch: read now, or the query run's cached copy. */
static int static_rows_(exec_ctx *x, int i, sp_batch **rows, bool *owned, spate_error *err) {
  spate_query *q = x->q;
  if (q->plan->static_cache[i] && q->static_rows && q->static_rows[i]) {
    *rows = q->static_rows[i];
    *owned = false;
    return 0;
  }
  int rc = sp_static_table_read(q->plan->statics[i], rows, err);
  if (rc) return rc;
  *owned = true;
  if (q->plan->static_cache[i] && q->static_rows) {
    q->static_rows[i] = *rows;
    *owned = false;
  }
  return 0;
}

typedef struct probe_run {
  exec_ctx *x;
  const sp_hash_join *hj;
  plist *in;
} probe_run;

static int probe_task_(void *arg, int i, spate_error *err) {
  probe_run *r = arg;
  sp_batch *o = NULL;
  int rc = sp_hash_join_probe(r->hj, r->in->v[i], &r->x->ectx, &o, err);
  if (rc) return rc;
  sp_batch_free(r->in->v[i]);
  r->in->v[i] = o;
  return 0;
}

static int eval_static_join_(exec_ctx *x, const sp_node *n, plist *out, spate_error *err) {
  const sp_node *snode = n->join_static == 1 ? n->right : n->child;
  const sp_node *qnode = n->join_static == 1 ? n->child : n->right;
  if (snode->kind != SP_NODE_STATIC_SCAN)
    return spate_error_set(err, SPATE_EUNSUPPORTED, "the static side of a join must be a static table");
  sp_batch *rows = NULL;
  bool owned = false;
  int rc = static_rows_(x, snode->source, &rows, &owned, err);
  if (rc) return rc;
  sp_hash_join *hj = NULL;
  rc = sp_hash_join_build(n, rows, &x->ectx, &hj, err);
  if (!rc) rc = eval_(x, qnode, out, err);
  probe_run r = {x, hj, out};
  if (!rc && out->n) rc = sp_pool_run(x->q->session->pool, out->n, probe_task_, &r, err);
  sp_hash_join_free(hj);
  if (owned) sp_batch_free(rows);
  return rc;
}

/* ---- evaluation ---- */

static int eval_(exec_ctx *x, const sp_node *n, plist *out, spate_error *err) {
  switch (n->kind) {
    case SP_NODE_SCAN: {
      sp_batch_list *l = &x->inputs[n->source];
      bool last = --x->scan_uses[n->source] <= 0;
      for (int i = 0; i < l->n; i++) {
        /* The last reader takes the partitions; earlier ones (self-union, self-join) copy. */
        sp_batch *b = l->items[i];
        if (!last) {
          int32_t *idx = malloc((size_t)(b->nrows ? b->nrows : 1) * sizeof *idx);
          if (!idx) return oom_(err);
          for (int64_t r = 0; r < b->nrows; r++) idx[r] = (int32_t)r;
          b = sp_batch_take(b, idx, b->nrows);
          free(idx);
          if (!b) return oom_(err);
        } else {
          l->items[i] = NULL;
        }
        if (plist_push_(out, b)) return oom_(err);
      }
      if (last) l->n = 0;
      /* No rows this batch: one empty partition still carries the schema. */
      if (out->n == 0) {
        sp_batch *e = sp_batch_new(n->schema, 0);
        if (!e || plist_push_(out, e)) return oom_(err);
      }
      return 0;
    }
    case SP_NODE_UNION: {
      int rc = eval_(x, n->child, out, err);
      if (!rc) {
        plist r = {0};
        rc = eval_(x, n->right, &r, err);
        for (int i = 0; i < r.n && !rc; i++) {
          rc = plist_push_(out, r.v[i]);
          r.v[i] = NULL;
          if (rc) oom_(err);
        }
        plist_release_(&r);
      }
      return rc;
    }
    case SP_NODE_AGGREGATE:
    case SP_NODE_DEDUPLICATE:
      return eval_stateful_(x, n, out, err);
    case SP_NODE_JOIN:
      return n->join_static ? eval_static_join_(x, n, out, err) : eval_join_(x, n, out, err);
    case SP_NODE_STATIC_SCAN:
      return spate_error_set(err, SPATE_EUNSUPPORTED, "a static table can only be joined with a stream");
    case SP_NODE_FILTER:
    case SP_NODE_PROJECT:
    case SP_NODE_TIME_WINDOW:
    case SP_NODE_WATERMARK:
      return eval_segment_(x, n, out, err);
  }
  return spate_error_set(err, SPATE_EUNSUPPORTED, "plan node kind %d cannot be executed", (int)n->kind);
}

static void count_scans_(exec_ctx *x, const sp_node *n) {
  if (!n) return;
  if (n->kind == SP_NODE_SCAN) x->scan_uses[n->source]++;
  count_scans_(x, n->child);
  count_scans_(x, n->right);
}

static void collect_wm_nodes_(exec_ctx *x, const sp_node *n) {
  if (!n) return;
  collect_wm_nodes_(x, n->child);
  collect_wm_nodes_(x, n->right);
  if (n->kind == SP_NODE_WATERMARK && x->nwm < SP_MAX_WATERMARKS) x->wm_nodes[x->nwm++] = n;
}

int sp_plan_watermark_nodes(const sp_plan *p, const sp_node **out, int cap) {
  exec_ctx x;
  memset(&x, 0, sizeof x);
  collect_wm_nodes_(&x, p->root);
  int n = x.nwm < cap ? x.nwm : cap;
  for (int i = 0; i < n; i++) out[i] = x.wm_nodes[i];
  return n;
}

int sp_execute_batch(spate_query *q, int64_t batch_id, int64_t batch_ts_ms, char **starts, char **ends,
                     sp_batch_stats *st, spate_error *err) {
  exec_ctx x;
  memset(&x, 0, sizeof x);
  x.q = q;
  x.batch_id = batch_id;
  x.st = st;
  x.ectx.batch_timestamp_us = batch_ts_ms * 1000;
  x.ectx.timezone = sp_conf_get(&q->conf, "spark.sql.session.timeZone");
  collect_wm_nodes_(&x, q->plan->root);
  st->nwm = x.nwm;
  int ns = q->plan->nsources;
  x.inputs = calloc((size_t)ns + 1, sizeof *x.inputs);
  x.scan_uses = calloc((size_t)ns + 1, sizeof *x.scan_uses);
  if (!x.inputs || !x.scan_uses) {
    free(x.inputs);
    free(x.scan_uses);
    return oom_(err);
  }
  count_scans_(&x, q->plan->root);
  /* getBatch: rows (start, end] of every source with new data. */
  int64_t t0 = sp_mono_ms();
  int rc = 0;
  for (int s = 0; s < ns && !rc; s++) {
    sp_source *src = q->plan->sources[s];
    bool changed = ends[s] && (!starts[s] || strcmp(starts[s], ends[s]) != 0);
    if (!changed) continue;
    rc = src->vt->get_batch(src, starts[s], ends[s], &x.inputs[s], err);
    if (!rc) st->input_rows[s] = sp_batch_list_rows(&x.inputs[s]);
  }
  st->d_get_batch = sp_mono_ms() - t0;
  int64_t t1 = sp_mono_ms();
  plist outp = {0};
  if (!rc) rc = eval_(&x, q->plan->root, &outp, err);
  if (!rc) {
    int64_t rows = 0;
    for (int i = 0; i < outp.n; i++) rows += outp.v[i] ? outp.v[i]->nrows : 0;
    /* The sink sees every partition, in partition order. */
    q->sink->num_output_rows = -1;
    rc = q->sink->vt->add_batch(q->sink, batch_id, (const sp_batch *const *)outp.v, outp.n, err);
    st->output_rows = q->sink->num_output_rows >= 0 ? q->sink->num_output_rows : rows;
  }
  st->d_add_batch = sp_mono_ms() - t1;
  /* Event time over all watermark nodes (progress eventTime). */
  int64_t cnt = 0, sum = 0;
  for (int w = 0; w < x.nwm; w++) {
    const sp_wm_stats *ws = &st->wm[w];
    if (!ws->count) continue;
    if (!cnt || ws->max_ms > st->et_max) st->et_max = ws->max_ms;
    if (!cnt || ws->min_ms < st->et_min) st->et_min = ws->min_ms;
    cnt += ws->count;
    sum += ws->sum_ms;
  }
  if (cnt) {
    st->has_event_time = true;
    st->et_avg = sum / cnt;
  }
  plist_release_(&outp);
  for (int s = 0; s < ns; s++) sp_batch_list_release(&x.inputs[s]);
  free(x.inputs);
  free(x.scan_uses);
  return rc;
}
