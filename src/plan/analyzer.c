/*
 * analyzer.c - resolves a SELECT over the catalog's views into an sp_plan.
 *
 * Steps per SELECT (Spark's logical order): FROM (view -> SCAN / inlined query
 * view, with its WATERMARK) -> WHERE (FILTER) -> GROUP BY + aggregates
 * (AGGREGATE, then HAVING as FILTER and the select list as PROJECT over the
 * aggregate's output) or the select list alone (PROJECT, with at most one
 * generator such as explode).
 *
 * Invariants: every node's schema is final when the node is built; expressions
 * are bound against the schema of the node's child; each distinct source view
 * becomes exactly one source (a view referenced twice is one source, as Spark's
 * "same source object" rule).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/plan.h"
#include "source/static_table.h"
#include "sql/parser.h"

typedef struct actx {
  const sp_analyze_opts *opts;
  sp_plan *plan;
  const char **source_names; /* view name per plan source */
  int depth;
  int next_op_id;
  /* Qualifier per column of the current SELECT's FROM (view aliases, for `q.col`),
   * NULL-padded past the end; every array is owned by qual_arrays until sp_analyze returns. */
  const char **quals;
  const char ***qual_arrays;
  int nqual_arrays;
} actx;

static const char *sp_static_table_name_(const sp_plan *p, int i) { return p->static_names[i]; }

static sp_node *node_new_(sp_node_kind kind, sp_node *child) {
  sp_node *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->kind = kind;
  n->child = child;
  n->gen_index = -1;
  n->wm_column = -1;
  n->et_col = -1;
  n->et_alt = -1;
  return n;
}

static void node_free_(sp_node *n) {
  while (n) {
    sp_node *c = n->child;
    node_free_(n->right);
    sp_type_unref(n->schema);
    sp_expr_free(n->predicate);
    sp_expr_free(n->win_expr);
    sp_expr_free(n->join_cond);
    for (int i = 0; i < n->njkeys; i++) {
      sp_expr_free(n->jkeys_l[i]);
      sp_expr_free(n->jkeys_r[i]);
    }
    free(n->jkeys_l);
    free(n->jkeys_r);
    sp_expr_free(n->sess_gap_expr);
    for (int i = 0; i < n->nexprs; i++) sp_expr_free(n->exprs[i]);
    free(n->exprs);
    for (int i = 0; i < n->nkeys; i++) sp_expr_free(n->keys[i]);
    free(n->keys);
    for (int i = 0; i < n->naggs; i++) sp_expr_free(n->aggs[i]);
    free(n->aggs);
    free(n);
    n = c;
  }
}

void sp_plan_free(sp_plan *p) {
  if (!p) return;
  node_free_(p->root);
  for (int i = 0; i < p->nsources; i++) sp_source_free(p->sources[i]);
  free(p->sources);
  for (int i = 0; i < p->nstatics; i++) {
    sp_static_table_free(p->statics[i]);
    free(p->static_names[i]);
  }
  free(p->statics);
  free(p->static_names);
  free(p->static_cache);
  free(p);
}

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

/* ---- expression helpers ---- */

bool sp_expr_equal(const sp_expr *a, const sp_expr *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  if (!sp_type_equal(a->type, b->type)) return false;
  switch (a->kind) {
    case SP_EXPR_COLUMN:
      if (a->column != b->column || a->npath != b->npath) return false;
      for (int i = 0; i < a->npath; i++)
        if (a->path[i] != b->path[i]) return false;
      return true;
    case SP_EXPR_LITERAL:
      return sp_vec_row_equal(a->literal, 0, b->literal, 0);
    case SP_EXPR_CALL:
      if (a->fn != b->fn) return false;
      break;
    case SP_EXPR_AGG:
      if (a->agg != b->agg || a->agg_distinct != b->agg_distinct) return false;
      break;
    case SP_EXPR_GENERATOR:
      if (a->gen != b->gen) return false;
      break;
  }
  if (a->nargs != b->nargs) return false;
  for (int i = 0; i < a->nargs; i++)
    if (!sp_expr_equal(a->args[i], b->args[i])) return false;
  return true;
}

/* New COLUMN reference to column `col` of a schema. */
static sp_expr *column_ref_(const sp_type *schema, int col, int pos) {
  sp_expr *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->kind = SP_EXPR_COLUMN;
  e->type = sp_type_ref(schema->fields[col].type);
  e->nullable = schema->fields[col].nullable;
  e->column = col;
  e->pos = pos;
  return e;
}

/* Build a STRUCT schema from names and expression types. */
static sp_type *schema_of_(char **names, sp_expr **exprs, int n) {
  sp_type *st = sp_type_struct_new(n);
  if (!st) return NULL;
  for (int i = 0; i < n; i++) {
    if (sp_type_struct_set(st, i, names[i], sp_type_ref(exprs[i]->type), exprs[i]->nullable)) {
      sp_type_unref(st);
      return NULL;
    }
  }
  return st;
}

/* ---- FROM ---- */

static int analyze_select_(actx *a, const sp_ast_select *sel, const char *text, sp_node **out, spate_error *err);

static int add_watermark_(actx *a, sp_node **node, const sp_ast_stmt *stmt, const char *text, spate_error *err) {
  if (!stmt->watermark_col) return 0;
  int col = sp_type_field_index((*node)->schema, stmt->watermark_col);
  if (col < 0)
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, stmt->pos,
                           "WATERMARK column `%s` is not a column of view `%s`", stmt->watermark_col, stmt->name);
  sp_type_id tid = (*node)->schema->fields[col].type->id;
  if (tid != SP_TIMESTAMP)
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, stmt->pos,
                           "Event time must be defined on a window or a timestamp, but `%s` is of type %s",
                           stmt->watermark_col, sp_type_id_name(tid));
  sp_node *w = node_new_(SP_NODE_WATERMARK, *node);
  if (!w) return oom_(err);
  w->schema = sp_type_ref((*node)->schema);
  w->wm_column = col;
  w->wm_delay_us = stmt->watermark_delay_us;
  *node = w;
  a->plan->has_watermark = true;
  return 0;
}

/* A static table (CREATE TEMPORARY TABLE ... USING): a STATIC_SCAN of plan->statics[i],
 * one table per name. Option `cache 'true'` (spate's) reads it once per query run
 * instead of every batch (Spark re-reads it every batch). */
static int static_scan_(actx *a, const sp_view *v, sp_node **out, spate_error *err) {
  const sp_ast_stmt *st = v->stmt;
  int idx = -1;
  for (int i = 0; i < a->plan->nstatics; i++)
    if (strcasecmp(sp_static_table_name_(a->plan, i), v->name) == 0) idx = i;
  bool cache = false;
  if (idx < 0) {
    const char **keys = calloc((size_t)st->noptions + 1, sizeof *keys);
    const char **vals = calloc((size_t)st->noptions + 1, sizeof *vals);
    sp_static_table **ts = realloc(a->plan->statics, (size_t)(a->plan->nstatics + 1) * sizeof *ts);
    if (ts) a->plan->statics = ts;
    char **names = realloc(a->plan->static_names, (size_t)(a->plan->nstatics + 1) * sizeof *names);
    if (names) a->plan->static_names = names;
    bool *caches = realloc(a->plan->static_cache, (size_t)(a->plan->nstatics + 1) * sizeof *caches);
    if (caches) a->plan->static_cache = caches;
    char *nm = strdup(v->name);
    if (!keys || !vals || !ts || !names || !caches || !nm) {
      free(keys);
      free(vals);
      free(nm);
      return oom_(err);
    }
    int nopt = 0;
    for (int i = 0; i < st->noptions; i++) {
      if (!strcasecmp(st->options[i].key, "cache")) {
        cache = !strcasecmp(st->options[i].value, "true");
        continue;
      }
      keys[nopt] = st->options[i].key;
      vals[nopt++] = st->options[i].value;
    }
    sp_source_spec spec = {st->format, nopt, keys, vals, st->schema, a->opts->conf};
    sp_static_table *t = NULL;
    int rc = sp_static_table_create(&spec, &t, err);
    free(keys);
    free(vals);
    if (rc) {
      free(nm);
      spate_error_prefix(err, "table `%s`", v->name);
      return rc;
    }
    idx = a->plan->nstatics++;
    a->plan->statics[idx] = t;
    a->plan->static_names[idx] = nm;
    a->plan->static_cache[idx] = cache;
  }
  sp_node *n = node_new_(SP_NODE_STATIC_SCAN, NULL);
  if (!n) return oom_(err);
  n->source = idx;
  n->schema = sp_type_ref(sp_static_table_schema(a->plan->statics[idx]));
  *out = n;
  return 0;
}

static int analyze_view_(actx *a, const char *name, int pos, const char *text, sp_node **out, spate_error *err) {
  const sp_view *v = sp_catalog_find(a->opts->catalog, name);
  if (!v)
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, pos,
                           "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found.", name);
  if (a->depth > 64)
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, pos, "view `%s` is defined recursively", name);
  const sp_ast_stmt *st = v->stmt;
  sp_node *n = NULL;
  if (st->kind == SP_STMT_SOURCE_VIEW && st->is_static) return static_scan_(a, v, out, err);
  if (st->kind == SP_STMT_SOURCE_VIEW) {
    int idx = -1;
    for (int i = 0; i < a->plan->nsources; i++)
      if (strcasecmp(a->source_names[i], v->name) == 0) idx = i;
    if (idx < 0) {
      const char **keys = calloc((size_t)st->noptions + 1, sizeof *keys);
      const char **vals = calloc((size_t)st->noptions + 1, sizeof *vals);
      sp_source **srcs = realloc(a->plan->sources, (size_t)(a->plan->nsources + 1) * sizeof *srcs);
      if (srcs) a->plan->sources = srcs;
      const char **names = realloc(a->source_names, (size_t)(a->plan->nsources + 1) * sizeof *names);
      if (names) a->source_names = names;
      if (!keys || !vals || !srcs || !names) {
        free(keys);
        free(vals);
        return oom_(err);
      }
      for (int i = 0; i < st->noptions; i++) {
        keys[i] = st->options[i].key;
        vals[i] = st->options[i].value;
      }
      sp_source_spec spec = {st->format, st->noptions, keys, vals, st->schema, a->opts->conf};
      sp_source *src = NULL;
      int rc = sp_source_create(&spec, &src, err);
      free(keys);
      free(vals);
      if (rc) {
        spate_error_prefix(err, "view `%s`", v->name);
        return rc;
      }
      idx = a->plan->nsources++;
      a->plan->sources[idx] = src;
      a->source_names[idx] = v->name;
    }
    n = node_new_(SP_NODE_SCAN, NULL);
    if (!n) return oom_(err);
    n->source = idx;
    n->schema = sp_type_ref(a->plan->sources[idx]->schema);
  } else {
    a->depth++;
    int rc = analyze_select_(a, st->select, v->text, &n, err);
    a->depth--;
    if (rc) return rc;
  }
  int rc = add_watermark_(a, &n, st, v->text, err);
  if (rc) {
    node_free_(n);
    return rc;
  }
  *out = n;
  return 0;
}

/* Qualifiers of a FROM's output columns: a view's alias or name, a subquery's alias,
 * a join's left then right ones. */
static void fill_quals_(const sp_ast_from *f, const sp_node *n, const char **q) {
  if (f->kind == SP_FROM_JOIN && n->kind == SP_NODE_JOIN) {
    fill_quals_(f->left, n->child, q);
    fill_quals_(f->right, n->right, q + n->child->schema->nfields);
    return;
  }
  const char *name = f->alias ? f->alias : f->kind == SP_FROM_TABLE ? f->name : NULL;
  for (int i = 0; i < n->schema->nfields; i++) q[i] = name;
}

static int scope_quals_(actx *a, const sp_ast_from *f, const sp_node *n) {
  const char **q = calloc((size_t)n->schema->nfields + 4, sizeof *q); /* NULL-padded: a window column may follow */
  const char ***na = q ? realloc(a->qual_arrays, (size_t)(a->nqual_arrays + 1) * sizeof *na) : NULL;
  if (!na) {
    free(q);
    return SPATE_ENOMEM;
  }
  a->qual_arrays = na;
  a->qual_arrays[a->nqual_arrays++] = q;
  fill_quals_(f, n, q);
  a->quals = q;
  return 0;
}

static int analyze_join_(actx *a, const sp_ast_from *f, const char *text, sp_node **out, spate_error *err);

static int analyze_from_(actx *a, const sp_ast_from *f, const char *text, sp_node **out, spate_error *err) {
  switch (f->kind) {
    case SP_FROM_TABLE:
      return analyze_view_(a, f->name, f->pos, text, out, err);
    case SP_FROM_SUBQUERY:
      return analyze_select_(a, f->subquery, text, out, err);
    case SP_FROM_JOIN:
      return analyze_join_(a, f, text, out, err);
  }
  return sp_sql_error_at(err, SPATE_EANALYSIS, text, f->pos, "unsupported FROM clause");
}

/* ---- JOIN ---- */

static bool has_stream_(const sp_node *n) {
  if (!n) return false;
  return n->kind == SP_NODE_SCAN || has_stream_(n->child) || has_stream_(n->right);
}

static const char *join_type_name_(sp_ast_join_type t) {
  switch (t) {
    case SP_JOIN_INNER: return "Inner";
    case SP_JOIN_LEFT: return "LeftOuter";
    case SP_JOIN_RIGHT: return "RightOuter";
    case SP_JOIN_FULL: return "FullOuter";
    case SP_JOIN_LEFT_SEMI: return "LeftSemi";
    case SP_JOIN_LEFT_ANTI: return "LeftAnti";
    case SP_JOIN_CROSS: return "Cross";
  }
  return "?";
}

/* Equi-join keys from the ON condition's conjuncts `l = r` (AST level): each side is
 * bound against its own input, so the keys evaluate on one side's rows. */
static int join_keys_(const sp_ast_expr *e, const sp_bind_ctx *lc, const sp_bind_ctx *rc_, sp_node *j,
                      spate_error *err) {
  if (e->kind == SP_AST_BINARY && e->op == SP_OP_AND) {
    int rc = join_keys_(e->args[0], lc, rc_, j, err);
    return rc ? rc : join_keys_(e->args[1], lc, rc_, j, err);
  }
  if (e->kind != SP_AST_BINARY || e->op != SP_OP_EQ) return 0;
  for (int swap = 0; swap < 2; swap++) {
    spate_error ignore;
    sp_expr *l = NULL, *r = NULL;
    if (sp_expr_bind(lc, e->args[swap], &l, &ignore) == 0 && sp_expr_bind(rc_, e->args[1 - swap], &r, &ignore) == 0 &&
        sp_type_equal(l->type, r->type)) {
      sp_expr **nl = realloc(j->jkeys_l, (size_t)(j->njkeys + 1) * sizeof *nl);
      if (nl) j->jkeys_l = nl;
      sp_expr **nr = nl ? realloc(j->jkeys_r, (size_t)(j->njkeys + 1) * sizeof *nr) : NULL;
      if (nr) j->jkeys_r = nr;
      if (!nl || !nr) {
        sp_expr_free(l);
        sp_expr_free(r);
        return oom_(err);
      }
      j->jkeys_l[j->njkeys] = l;
      j->jkeys_r[j->njkeys++] = r;
      return 0;
    }
    sp_expr_free(l);
    sp_expr_free(r);
  }
  return 0;
}

/* rightTime - leftTime bounds from the bound condition's comparisons of a left and a
 * right TIMESTAMP column (spark-semantics.md §6.4, StreamingJoinHelper). */
static void time_bounds_(const sp_expr *e, sp_node *j, int nleft) {
  if (sp_expr_is_and(e)) {
    time_bounds_(e->args[0], j, nleft);
    time_bounds_(e->args[1], j, nleft);
    return;
  }
  int ac, bc, cmp;
  int64_t ao, bo;
  if (!sp_expr_time_compare(e, &ac, &ao, &bc, &bo, &cmp)) return;
  int64_t c;
  if (ac < nleft && bc >= nleft) {
    /* lt + ao cmp rt + bo  <=>  rt - lt (flipped cmp) ao - bo */
    if (j->join_ltime >= 0 && j->join_ltime != ac) return;
    if (j->join_rtime >= 0 && j->join_rtime != bc - nleft) return;
    j->join_ltime = ac;
    j->join_rtime = bc - nleft;
    c = ao - bo;
    cmp = -cmp;
  } else if (bc < nleft && ac >= nleft) {
    /* rt + ao cmp lt + bo  <=>  rt - lt cmp bo - ao */
    if (j->join_ltime >= 0 && j->join_ltime != bc) return;
    if (j->join_rtime >= 0 && j->join_rtime != ac - nleft) return;
    j->join_ltime = bc;
    j->join_rtime = ac - nleft;
    c = bo - ao;
  } else {
    return;
  }
  if (cmp > 0) { /* d >= c, or d > c: d >= c + 1 µs */
    int64_t lo = cmp == 2 ? c + 1 : c;
    if (!j->join_has_lo || lo > j->join_lo_us) j->join_lo_us = lo;
    j->join_has_lo = true;
  } else { /* d <= c, or d < c: d <= c - 1 µs */
    int64_t hi = cmp == -2 ? c - 1 : c;
    if (!j->join_has_hi || hi < j->join_hi_us) j->join_hi_us = hi;
    j->join_has_hi = true;
  }
}

static int analyze_join_(actx *a, const sp_ast_from *f, const char *text, sp_node **out, spate_error *err) {
  sp_node *left = NULL, *right = NULL;
  int rc = analyze_from_(a, f->left, text, &left, err);
  if (!rc) rc = analyze_from_(a, f->right, text, &right, err);
  if (rc) {
    node_free_(left);
    node_free_(right);
    return rc;
  }
  sp_node *j = node_new_(SP_NODE_JOIN, left);
  if (!j) {
    node_free_(left);
    node_free_(right);
    return oom_(err);
  }
  j->right = right;
  j->pos = f->pos;
  j->join_type = f->join_type;
  j->join_ltime = j->join_rtime = -1;
  bool ls = has_stream_(left), rs = has_stream_(right);
  j->join_static = ls && !rs ? 1 : !ls && rs ? 2 : 0;
  bool semi = f->join_type == SP_JOIN_LEFT_SEMI || f->join_type == SP_JOIN_LEFT_ANTI;
  int nl = left->schema->nfields, nr = right->schema->nfields;
  sp_type *st = sp_type_struct_new(nl + nr);
  const char **quals = calloc((size_t)(nl + nr) + 4, sizeof *quals);
  sp_type *semi_st = semi ? sp_type_ref(left->schema) : NULL;
  if (!st || !quals) {
    sp_type_unref(st);
    free(quals);
    node_free_(j);
    return oom_(err);
  }
  bool lnull = f->join_type == SP_JOIN_RIGHT || f->join_type == SP_JOIN_FULL;
  bool rnull = f->join_type == SP_JOIN_LEFT || f->join_type == SP_JOIN_FULL;
  for (int i = 0; i < nl; i++)
    sp_type_struct_set(st, i, left->schema->fields[i].name, sp_type_ref(left->schema->fields[i].type),
                       left->schema->fields[i].nullable || lnull);
  for (int i = 0; i < nr; i++)
    sp_type_struct_set(st, nl + i, right->schema->fields[i].name, sp_type_ref(right->schema->fields[i].type),
                       right->schema->fields[i].nullable || rnull);
  j->schema = st;
  fill_quals_(f, j, quals);
  const char *tz = sp_conf_get(a->opts->conf, "spark.sql.session.timeZone");
  const char *jt = join_type_name_(f->join_type);
  if (!ls && !rs) {
    rc = sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, f->pos,
                         "a join of two static tables is a batch join; one side must be a stream");
  } else if (j->join_static == 1 && (f->join_type == SP_JOIN_RIGHT || f->join_type == SP_JOIN_FULL)) {
    rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, f->pos,
                         "%s join with a streaming DataFrame/Dataset on the left and a static DataFrame/DataSet on "
                         "the right not supported",
                         jt);
  } else if (j->join_static == 2 && f->join_type != SP_JOIN_INNER && f->join_type != SP_JOIN_RIGHT) {
    rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, f->pos,
                         "%s join with a streaming DataFrame/Dataset on the right and a static DataFrame/Dataset on "
                         "the left is not supported",
                         jt);
  } else if (f->join_type == SP_JOIN_CROSS || (j->join_static == 0 && f->join_type != SP_JOIN_INNER &&
                                               f->join_type != SP_JOIN_LEFT && f->join_type != SP_JOIN_RIGHT &&
                                               f->join_type != SP_JOIN_FULL)) {
    rc = sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, f->pos,
                         "Stream-stream %s join is not supported yet (inner, left/right/full outer are)",
                         join_type_name_(f->join_type));
  } else if (!f->on) {
    rc = sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, f->pos,
                         "a join needs an ON condition with an equality between the two sides");
  }
  if (!rc) {
    sp_bind_ctx bc = {st, text, false, false, tz, quals};
    rc = sp_expr_bind(&bc, f->on, &j->join_cond, err);
    if (!rc && j->join_cond->type->id != SP_BOOLEAN)
      rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, f->on->pos, "the join condition must be a boolean expression");
  }
  if (!rc) {
    sp_bind_ctx lc = {left->schema, text, false, false, tz, quals};
    sp_bind_ctx rcx = {right->schema, text, false, false, tz, quals + nl};
    rc = join_keys_(f->on, &lc, &rcx, j, err);
    if (!rc && j->njkeys == 0)
      rc = sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, f->on->pos,
                           "a join needs an equality between a column of each side (join keys)");
  }
  if (!rc && j->join_static) {
    /* Stream-static: a stateless hash join against the static side, built per batch. */
    if (semi) {
      sp_type_unref(j->schema);
      j->schema = semi_st;
      semi_st = NULL;
    }
    free(quals);
    sp_type_unref(semi_st);
    *out = j;
    return 0;
  }
  if (!rc) {
    time_bounds_(j->join_cond, j, nl);
    /* An equality of the two sides' event-time columns bounds the difference to 0. */
    sp_plan_node_lineage(left);
    sp_plan_node_lineage(right);
    for (int k = 0; k < j->njkeys; k++) {
      const sp_expr *lk = j->jkeys_l[k], *rk = j->jkeys_r[k];
      if (lk->kind == SP_EXPR_COLUMN && rk->kind == SP_EXPR_COLUMN && lk->npath == 0 && rk->npath == 0 &&
          lk->column == left->et_col && rk->column == right->et_col && !left->et_window && !right->et_window) {
        j->join_ltime = lk->column;
        j->join_rtime = rk->column;
        j->join_has_lo = j->join_has_hi = true;
        j->join_lo_us = j->join_hi_us = 0;
      }
    }
    bool levict = j->join_ltime >= 0 && j->join_has_hi, revict = j->join_rtime >= 0 && j->join_has_lo;
    bool need_l = f->join_type == SP_JOIN_LEFT || f->join_type == SP_JOIN_FULL;
    bool need_r = f->join_type == SP_JOIN_RIGHT || f->join_type == SP_JOIN_FULL;
    bool wl = left->et_col >= 0, wr = right->et_col >= 0;
    if ((need_l && (!levict || !wr)) || (need_r && (!revict || !wl)))
      rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, f->pos,
                           "Stream-stream %s join between two streaming DataFrame/Datasets is not supported without a "
                           "watermark in the join keys, or a watermark on the nullable side and an appropriate range "
                           "condition",
                           join_type_name_(f->join_type));
  }
  free(quals);
  sp_type_unref(semi_st);
  if (rc) {
    node_free_(j);
    return rc;
  }
  j->op_id = a->next_op_id++;
  a->plan->nstateful++;
  a->plan->has_join = true;
  *out = j;
  return 0;
}

/* ---- SELECT list ---- */

typedef struct item_list {
  sp_expr **exprs;
  char **names;
  int n, cap;
} item_list;

static void items_release_(item_list *l) {
  for (int i = 0; i < l->n; i++) {
    sp_expr_free(l->exprs[i]);
    free(l->names[i]);
  }
  free(l->exprs);
  free(l->names);
  memset(l, 0, sizeof *l);
}

static int items_push_(item_list *l, sp_expr *e, const char *name) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 8;
    sp_expr **ne = realloc(l->exprs, (size_t)cap * sizeof *ne);
    if (!ne) goto fail;
    l->exprs = ne;
    char **nn = realloc(l->names, (size_t)cap * sizeof *nn);
    if (!nn) goto fail;
    l->names = nn;
    l->cap = cap;
  }
  l->names[l->n] = strdup(name);
  if (!l->names[l->n]) goto fail;
  l->exprs[l->n++] = e;
  return 0;
fail:
  sp_expr_free(e);
  return SPATE_ENOMEM;
}

/* Expand `*`, `q.*` or `s.*` (struct column) against the input schema. */
static int expand_star_(const sp_ast_expr *star, const sp_type *in, const char *const *quals, const char *text,
                        item_list *out, spate_error *err) {
  if (star->nparts == 0) {
    for (int c = 0; c < in->nfields; c++) {
      sp_expr *e = column_ref_(in, c, star->pos);
      if (!e || items_push_(out, e, in->fields[c].name)) return oom_(err);
    }
    return 0;
  }
  /* Struct column path: a.b.* */
  int col = sp_type_field_index(in, star->parts[0]);
  if (col < 0) {
    /* A qualifier (view alias): its columns (all of them outside a join). */
    if (star->nparts == 1) {
      bool any = false;
      for (int c = 0; quals && c < in->nfields; c++) {
        if (!quals[c] || strcasecmp(quals[c], star->parts[0]) != 0) continue;
        any = true;
        sp_expr *e = column_ref_(in, c, star->pos);
        if (!e || items_push_(out, e, in->fields[c].name)) return oom_(err);
      }
      if (any) return 0;
      sp_ast_expr plain = *star;
      plain.nparts = 0;
      return expand_star_(&plain, in, NULL, text, out, err);
    }
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, star->pos,
                           "[CANNOT_RESOLVE_STAR_EXPAND] Cannot resolve `%s.*` given input columns", star->parts[0]);
  }
  const sp_type *t = in->fields[col].type;
  int path[16];
  int npath = 0;
  for (int p = 1; p < star->nparts; p++) {
    if (t->id != SP_STRUCT || npath >= 16) goto not_struct;
    int fi = sp_type_field_index(t, star->parts[p]);
    if (fi < 0) goto not_struct;
    path[npath++] = fi;
    t = t->fields[fi].type;
  }
  if (t->id != SP_STRUCT) goto not_struct;
  for (int f = 0; f < t->nfields; f++) {
    sp_expr *e = calloc(1, sizeof *e);
    if (!e) return oom_(err);
    e->kind = SP_EXPR_COLUMN;
    e->type = sp_type_ref(t->fields[f].type);
    e->nullable = true;
    e->column = col;
    e->pos = star->pos;
    e->npath = npath + 1;
    e->path = malloc((size_t)(npath + 1) * sizeof *e->path);
    if (!e->path) {
      sp_expr_free(e);
      return oom_(err);
    }
    memcpy(e->path, path, (size_t)npath * sizeof *path);
    e->path[npath] = f;
    if (items_push_(out, e, t->fields[f].name)) return oom_(err);
  }
  return 0;
not_struct:
  return sp_sql_error_at(err, SPATE_EANALYSIS, text, star->pos,
                         "Can only star expand struct data types. Attribute `%s` is not a struct", star->parts[0]);
}

static void item_name_(const sp_ast_select_item *it, const sp_expr *bound, const char *text, char *buf,
                       size_t cap) {
  if (it->alias) {
    snprintf(buf, cap, "%s", it->alias);
  } else if (bound && bound->kind == SP_EXPR_GENERATOR) {
    snprintf(buf, cap, "col");
  } else {
    sp_expr_default_name(it->expr, text, buf, cap);
  }
}

/* Bind the select list against `in`. */
static int bind_items_(const sp_ast_select *sel, const sp_type *in, const char *text, const sp_conf *conf,
                       const char *const *quals, bool allow_agg, item_list *out, spate_error *err) {
  sp_bind_ctx bc = {in, text, allow_agg, true, sp_conf_get(conf, "spark.sql.session.timeZone"), quals};
  for (int i = 0; i < sel->nitems; i++) {
    const sp_ast_select_item *it = &sel->items[i];
    if (it->expr->kind == SP_AST_STAR) {
      int rc = expand_star_(it->expr, in, quals, text, out, err);
      if (rc) return rc;
      continue;
    }
    sp_expr *e = NULL;
    int rc = sp_expr_bind(&bc, it->expr, &e, err);
    if (rc) return rc;
    if (e->kind == SP_EXPR_GENERATOR && e->gen == SP_GEN_POSEXPLODE) {
      /* posexplode yields two columns, `pos` INT then `col`: the `pos` column is an
       * argument-less POSEXPLODE marker just before the generator (op_stateless.c). */
      sp_expr *pos = calloc(1, sizeof *pos);
      if (!pos) {
        sp_expr_free(e);
        return oom_(err);
      }
      pos->kind = SP_EXPR_GENERATOR;
      pos->gen = SP_GEN_POSEXPLODE;
      pos->type = sp_type_prim(SP_INT);
      pos->pos = e->pos;
      if (items_push_(out, pos, "pos")) {
        sp_expr_free(e);
        return oom_(err);
      }
    }
    char name[256];
    item_name_(it, e, text, name, sizeof name);
    if (items_push_(out, e, name)) return oom_(err);
  }
  return 0;
}

static bool has_agg_ast_(const sp_ast_expr *e) {
  if (!e) return false;
  if (e->kind == SP_AST_FUNC && e->name &&
      (!strcmp(e->name, "count") || !strcmp(e->name, "sum") || !strcmp(e->name, "avg") ||
       !strcmp(e->name, "mean") || !strcmp(e->name, "min") || !strcmp(e->name, "max")))
    return true;
  for (int i = 0; i < e->nargs; i++)
    if (has_agg_ast_(e->args[i])) return true;
  return false;
}

/* ---- aggregation ---- */

/* Rewrite a bound item over the aggregate's output: group-key subtrees become key
 * columns, AGG nodes become aggregate-result columns (added to node->aggs). */
static int rewrite_over_agg_(sp_expr **slot, sp_node *agg, const char *text, spate_error *err) {
  sp_expr *e = *slot;
  /* window(...) written again in the SELECT list: the TIME_WINDOW node's column. */
  const sp_node *tw = agg->child;
  int win_col = tw->kind == SP_NODE_TIME_WINDOW && !tw->session ? tw->schema->nfields - 1 : -1;
  bool is_win = win_col >= 0 && sp_expr_equal(e, tw->win_expr);
  for (int k = 0; k < agg->nkeys; k++) {
    const sp_expr *key = agg->keys[k];
    bool same = sp_expr_equal(e, key) ||
                (is_win && key->kind == SP_EXPR_COLUMN && key->npath == 0 && key->column == win_col);
    /* `window.start` over the key `window`: a field of the key column. */
    bool field = !same && e->kind == SP_EXPR_COLUMN && e->npath > 0 && key->kind == SP_EXPR_COLUMN &&
                 key->npath == 0 && key->column == e->column;
    if (same || field) {
      sp_expr *c = column_ref_(agg->schema, k, e->pos);
      if (!c) return oom_(err);
      if (field) {
        c->path = malloc((size_t)e->npath * sizeof *c->path);
        if (!c->path) {
          sp_expr_free(c);
          return oom_(err);
        }
        memcpy(c->path, e->path, (size_t)e->npath * sizeof *c->path);
        c->npath = e->npath;
        sp_type_unref(c->type);
        c->type = sp_type_ref(e->type);
        c->nullable = true;
      }
      sp_expr_free(e);
      *slot = c;
      return 0;
    }
  }
  if (e->kind == SP_EXPR_AGG) {
    if (e->agg_distinct)
      return sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, e->pos,
                             "Distinct aggregations are not supported on streaming DataFrames/Datasets. Consider "
                             "using approx_count_distinct() instead.");
    int j = -1;
    for (int i = 0; i < agg->naggs; i++)
      if (sp_expr_equal(agg->aggs[i], e)) j = i;
    if (j < 0) {
      sp_expr **na = realloc(agg->aggs, (size_t)(agg->naggs + 1) * sizeof *na);
      if (!na) return oom_(err);
      agg->aggs = na;
      j = agg->naggs++;
      agg->aggs[j] = e;
    } else {
      sp_expr_free(e);
    }
    /* Column index is fixed up once all aggregates are known (see finish_agg_schema_). */
    sp_expr *c = calloc(1, sizeof *c);
    if (!c) return oom_(err);
    c->kind = SP_EXPR_COLUMN;
    c->column = agg->nkeys + j;
    c->type = sp_type_ref(agg->aggs[j]->type);
    c->nullable = true;
    c->pos = agg->aggs[j]->pos;
    *slot = c;
    return 0;
  }
  if (e->kind == SP_EXPR_COLUMN) {
    /* Spark 3.5 names the offending column: "v" and "any_value(v)". */
    sp_buf name;
    sp_buf_init(&name);
    if (agg->child) sp_expr_explain(e, agg->child->schema, &name);
    int rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, e->pos,
                             "[MISSING_AGGREGATION] The non-aggregating expression \"%s\" is based on columns which "
                             "are not participating in the GROUP BY clause. Add the columns or the expression to the "
                             "GROUP BY, aggregate the expression, or use \"any_value(%s)\" if you do not care which "
                             "of the values within a group is returned.",
                             name.data ? name.data : "?", name.data ? name.data : "?");
    sp_buf_free(&name);
    return rc;
  }
  for (int i = 0; i < e->nargs; i++) {
    int rc = rewrite_over_agg_(&e->args[i], agg, text, err);
    if (rc) return rc;
  }
  return 0;
}

/* TIME_WINDOW node (session) for GROUP BY session_window(time, gap) over child. */
static int session_window_node_(const sp_bind_ctx *bc, const sp_ast_expr *g, const char *text, sp_node *child,
                                sp_node **out, spate_error *err) {
  if (g->nargs != 2)
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, g->pos,
                           "session_window takes 2 arguments (timeColumn, gapDuration), got %d", g->nargs);
  sp_expr *time = NULL, *gap = NULL;
  int64_t gap_us = 0;
  int rc = sp_expr_bind(bc, g->args[0], &time, err);
  if (rc) return rc;
  if (time->type->id != SP_TIMESTAMP) {
    sp_expr_free(time);
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, g->args[0]->pos,
                           "session_window needs a TIMESTAMP time column, got %s", sp_type_id_name(time->type->id));
  }
  const sp_ast_expr *ga = g->args[1];
  if (ga->kind == SP_AST_LITERAL && ga->lit_type == SP_STRING) {
    spate_error e2;
    if (sp_parse_interval(ga->lit_str, &gap_us, &e2) || gap_us <= 0) {
      sp_expr_free(time);
      return sp_sql_error_at(err, SPATE_EANALYSIS, text, ga->pos,
                             "The session window gap duration ('%s') must be a positive interval", ga->lit_str);
    }
  } else {
    rc = sp_expr_bind(bc, ga, &gap, err);
    if (rc) {
      sp_expr_free(time);
      return rc;
    }
    if (gap->type->id != SP_STRING) {
      sp_expr_free(time);
      sp_expr_free(gap);
      return sp_sql_error_at(err, SPATE_EANALYSIS, text, ga->pos,
                             "the session window gap must be an interval string (e.g. '5 minutes'), got %s",
                             sp_type_id_name(ga->kind == SP_AST_LITERAL ? ga->lit_type : SP_NULL));
    }
  }
  sp_node *tw = node_new_(SP_NODE_TIME_WINDOW, child);
  int nin = child->schema->nfields;
  sp_type *win = sp_type_struct_new(2);
  sp_type *st = sp_type_struct_new(nin + 1);
  if (!tw || !win || !st) {
    free(tw);
    sp_type_unref(win);
    sp_type_unref(st);
    sp_expr_free(time);
    sp_expr_free(gap);
    return oom_(err);
  }
  sp_type_struct_set(win, 0, "start", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(win, 1, "end", sp_type_prim(SP_TIMESTAMP), true);
  for (int i = 0; i < nin; i++)
    sp_type_struct_set(st, i, child->schema->fields[i].name, sp_type_ref(child->schema->fields[i].type),
                       child->schema->fields[i].nullable);
  sp_type_struct_set(st, nin, "session_window", win, true);
  tw->schema = st;
  tw->session = true;
  tw->win_expr = time;
  tw->sess_gap_us = gap_us;
  tw->sess_gap_expr = gap;
  tw->pos = g->pos;
  *out = tw;
  return 0;
}

/* GROUP BY item k; a name that is not a column of `in` may be a select-list alias
 * (spark.sql.groupByAliases). */
static const sp_ast_expr *group_key_ast_(const sp_ast_select *sel, int k, const sp_type *in) {
  const sp_ast_expr *g = sel->group_by[k];
  if (g->kind == SP_AST_COLUMN && g->nparts == 1 && sp_type_field_index(in, g->parts[0]) < 0) {
    for (int i = 0; i < sel->nitems; i++)
      if (sel->items[i].alias && strcasecmp(sel->items[i].alias, g->parts[0]) == 0)
        return sel->items[i].expr; /* stop here: the item's expression need not be a column */
  }
  return g;
}

static int analyze_aggregate_(actx *a, const sp_ast_select *sel, const char *text, sp_node *child,
                              sp_node **out, spate_error *err) {
  const sp_conf *conf = a->opts->conf;
  sp_node *agg = node_new_(SP_NODE_AGGREGATE, child);
  if (!agg) {
    node_free_(child);
    return oom_(err);
  }
  agg->op_id = a->next_op_id++;
  a->plan->has_aggregate = true;
  a->plan->nstateful++;
  item_list items = {0};
  sp_node *top = agg;
  int rc = 0;
  sp_bind_ctx bc = {child->schema, text, false, false, sp_conf_get(conf, "spark.sql.session.timeZone"), a->quals};
  agg->keys = calloc((size_t)sel->ngroup_by + 1, sizeof *agg->keys);
  char **key_names = calloc((size_t)sel->ngroup_by + 1, sizeof *key_names);
  if (!agg->keys || !key_names) {
    rc = oom_(err);
    goto done;
  }
  for (int k = 0; k < sel->ngroup_by; k++) {
    const sp_ast_expr *g = group_key_ast_(sel, k, child->schema);
    if (g->kind == SP_AST_FUNC && g->name && !strcasecmp(g->name, "session_window")) {
      if (child->kind == SP_NODE_TIME_WINDOW) {
        rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, g->pos,
                             "Multiple time/session window expressions would result in a cartesian product of "
                             "rows, therefore they are currently not supported.");
        goto done;
      }
      sp_node *tw = NULL;
      rc = session_window_node_(&bc, g, text, child, &tw, err);
      if (rc) goto done;
      agg->child = tw;
      child = tw;
      bc.input = child->schema;
      int col = child->schema->nfields - 1;
      if (!(agg->keys[k] = column_ref_(child->schema, col, g->pos)) || !(key_names[k] = strdup("session_window"))) {
        if (agg->keys[k]) agg->nkeys++;
        rc = oom_(err);
        goto done;
      }
      agg->nkeys++;
      continue;
    }
    if (g->kind == SP_AST_FUNC && g->name && !strcasecmp(g->name, "window")) {
      /* A time window key: expand rows in a TIME_WINDOW node under the aggregate
       * and group by its `window` column (Spark's TimeWindowing rule). */
      if (child->kind == SP_NODE_TIME_WINDOW) {
        rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, g->pos,
                             "Multiple time/session window expressions would result in a cartesian product of "
                             "rows, therefore they are currently not supported.");
        goto done;
      }
      sp_expr *w = NULL;
      rc = sp_expr_bind(&bc, g, &w, err);
      if (rc) goto done;
      sp_node *tw = node_new_(SP_NODE_TIME_WINDOW, child);
      int nin = child->schema->nfields;
      sp_type *st = tw ? sp_type_struct_new(nin + 1) : NULL;
      if (!st) {
        sp_expr_free(w);
        free(tw);
        rc = oom_(err);
        goto done;
      }
      for (int i = 0; i < nin; i++)
        sp_type_struct_set(st, i, child->schema->fields[i].name, sp_type_ref(child->schema->fields[i].type),
                           child->schema->fields[i].nullable);
      sp_type_struct_set(st, nin, "window", sp_type_ref(w->type), true);
      tw->schema = st;
      tw->win_expr = w;
      agg->child = tw;
      child = tw;
      bc.input = child->schema;
      if (!(agg->keys[k] = column_ref_(child->schema, nin, g->pos))) {
        rc = oom_(err);
        goto done;
      }
      agg->nkeys++;
      if (!(key_names[k] = strdup("window"))) {
        rc = oom_(err);
        goto done;
      }
      continue;
    }
    rc = sp_expr_bind(&bc, g, &agg->keys[k], err);
    if (rc) goto done;
    agg->nkeys++;
    char name[256];
    sp_expr_default_name(g, text, name, sizeof name);
    key_names[k] = strdup(name);
    if (!key_names[k]) {
      rc = oom_(err);
      goto done;
    }
  }
  if (child->kind == SP_NODE_TIME_WINDOW && child->session && agg->nkeys < 2) {
    rc = sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, sel->pos,
                         "a streaming session_window aggregation needs at least one grouping column besides the "
                         "session window (global session windows are batch-only in Spark)");
    goto done;
  }
  /* Provisional schema holding the keys so rewrites can make key column refs. */
  agg->schema = schema_of_(key_names, agg->keys, agg->nkeys);
  if (!agg->schema) {
    rc = oom_(err);
    goto done;
  }
  rc = bind_items_(sel, child->schema, text, conf, a->quals, true, &items, err);
  if (rc) goto done;
  for (int i = 0; i < items.n; i++) {
    if (items.exprs[i]->kind == SP_EXPR_GENERATOR || sp_expr_has_generator(items.exprs[i])) {
      rc = sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, items.exprs[i]->pos,
                           "generators are not supported together with aggregation in one SELECT; explode in a "
                           "view first");
      goto done;
    }
    rc = rewrite_over_agg_(&items.exprs[i], agg, text, err);
    if (rc) goto done;
  }
  sp_expr *having = NULL;
  if (sel->having) {
    sp_bind_ctx hb = bc;
    hb.allow_agg = true;
    rc = sp_expr_bind(&hb, sel->having, &having, err);
    if (rc) goto done;
    rc = rewrite_over_agg_(&having, agg, text, err);
    if (rc) {
      sp_expr_free(having);
      goto done;
    }
  }
  /* Final aggregate schema: keys then one column per aggregate. */
  {
    sp_type *st = sp_type_struct_new(agg->nkeys + agg->naggs);
    if (!st) {
      sp_expr_free(having);
      rc = oom_(err);
      goto done;
    }
    for (int k = 0; k < agg->nkeys; k++)
      sp_type_struct_set(st, k, key_names[k], sp_type_ref(agg->keys[k]->type), agg->keys[k]->nullable);
    for (int j = 0; j < agg->naggs; j++) {
      char nm[32];
      snprintf(nm, sizeof nm, "_agg%d", j);
      sp_type_struct_set(st, agg->nkeys + j, nm, sp_type_ref(agg->aggs[j]->type), true);
    }
    sp_type_unref(agg->schema);
    agg->schema = st;
  }
  if (having) {
    sp_node *f = node_new_(SP_NODE_FILTER, top);
    if (!f) {
      sp_expr_free(having);
      rc = oom_(err);
      goto done;
    }
    f->predicate = having;
    f->schema = sp_type_ref(top->schema);
    top = f;
  }
  {
    sp_node *p = node_new_(SP_NODE_PROJECT, top);
    if (!p) {
      rc = oom_(err);
      goto done;
    }
    top = p;
    p->schema = schema_of_(items.names, items.exprs, items.n);
    if (!p->schema) {
      rc = oom_(err);
      goto done;
    }
    p->exprs = items.exprs;
    p->nexprs = items.n;
    for (int i = 0; i < items.n; i++) free(items.names[i]); /* copied into p->schema */
    items.exprs = NULL;
    items.n = 0;
  }
done:
  if (key_names)
    for (int k = 0; k < sel->ngroup_by; k++) free(key_names[k]);
  free(key_names);
  items_release_(&items);
  if (rc) {
    node_free_(top);
    return rc;
  }
  *out = top;
  return 0;
}

/* ---- DROP DUPLICATES ---- */

static bool subtree_has_aggregate_(const sp_node *n, const sp_node **found) {
  if (!n) return false;
  if (n->kind == SP_NODE_AGGREGATE) {
    *found = n;
    return true;
  }
  return subtree_has_aggregate_(n->child, found) || subtree_has_aggregate_(n->right, found);
}

/* DEDUPLICATE over *node: dropDuplicates(cols) / dropDuplicatesWithinWatermark(cols). */
static int add_dedup_(actx *a, const sp_ast_select *sel, const char *text, sp_node **node, spate_error *err) {
  const sp_node *aggs[1];
  if (subtree_has_aggregate_(*node, aggs))
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, sel->dedup_pos,
                           "dropDuplicates is not supported after aggregation on a streaming DataFrame/Dataset");
  sp_type *in = (*node)->schema;
  int n = sel->ndedup_cols ? sel->ndedup_cols : in->nfields;
  sp_node *d = node_new_(SP_NODE_DEDUPLICATE, *node);
  if (!d) return oom_(err);
  d->pos = sel->dedup_pos;
  d->dedup_within_watermark = sel->dedup_within_watermark;
  d->schema = sp_type_ref(in);
  d->keys = calloc((size_t)n + 1, sizeof *d->keys);
  if (!d->keys) {
    d->child = NULL;
    node_free_(d);
    return oom_(err);
  }
  *node = d; /* owns the child from here on */
  for (int k = 0; k < n; k++) {
    int col = k;
    if (sel->ndedup_cols) {
      col = sp_type_field_index(in, sel->dedup_cols[k]);
      if (col < 0) {
        char names[1024];
        size_t off = 0;
        names[0] = 0;
        for (int i = 0; i < in->nfields && off < sizeof names; i++)
          off += (size_t)snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "", in->fields[i].name);
        return sp_sql_error_at(err, SPATE_EANALYSIS, text, sel->dedup_pos,
                               "Cannot resolve column name \"%s\" among (%s)", sel->dedup_cols[k], names);
      }
    }
    if (!(d->keys[k] = column_ref_(in, col, sel->dedup_pos))) return oom_(err);
    d->nkeys++;
  }
  if (d->dedup_within_watermark) {
    const sp_node *w = d->child;
    while (w && w->kind != SP_NODE_WATERMARK) w = w->child;
    if (!w)
      return sp_sql_error_at(err, SPATE_EANALYSIS, text, sel->dedup_pos,
                             "dropDuplicatesWithinWatermark is not supported on streaming DataFrames/DataSets "
                             "without watermark");
    d->wm_delay_us = w->wm_delay_us;
  }
  d->op_id = a->next_op_id++;
  a->plan->nstateful++;
  return 0;
}

/* ---- SELECT ---- */

static int analyze_select_one_(actx *a, const sp_ast_select *sel, const char *text, sp_node **out,
                               spate_error *err);

static const char *ordinal_(int i) {
  static const char *const w[] = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"};
  return i < 8 ? w[i] : "next";
}

/* A SELECT and the SELECTs UNION ALL appends to it: one UNION node per link. The
 * schema is the first input's names; columns must agree in number and type. */
static int analyze_select_(actx *a, const sp_ast_select *sel, const char *text, sp_node **out, spate_error *err) {
  sp_node *acc = NULL;
  int rc = analyze_select_one_(a, sel, text, &acc, err);
  int k = 1;
  for (const sp_ast_select *u = sel->union_all, *prev = sel; !rc && u; prev = u, u = u->union_all, k++) {
    sp_node *r = NULL;
    rc = analyze_select_one_(a, u, text, &r, err);
    if (rc) break;
    const sp_type *ls = acc->schema, *rs = r->schema;
    if (ls->nfields != rs->nfields) {
      rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, prev->union_pos,
                           "[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of "
                           "columns, but the first input has %d columns and the %s input has %d columns.",
                           ls->nfields, ordinal_(k), rs->nfields);
    }
    for (int i = 0; !rc && i < ls->nfields; i++)
      if (!sp_type_equal(ls->fields[i].type, rs->fields[i].type)) {
        char t1[256], t2[256];
        sp_type_to_string(ls->fields[i].type, t1, sizeof t1);
        sp_type_to_string(rs->fields[i].type, t2, sizeof t2);
        rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, prev->union_pos,
                             "[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on inputs with compatible "
                             "column types. The %s column of the %s input is \"%s\" which is not compatible with "
                             "\"%s\" at the same column of the first input (cast it explicitly).",
                             ordinal_(i), ordinal_(k), t2, t1);
      }
    sp_node *un = rc ? NULL : node_new_(SP_NODE_UNION, acc);
    sp_type *st = un ? sp_type_struct_new(ls->nfields) : NULL;
    if (!rc && !st) rc = oom_(err);
    if (rc) {
      free(un);
      node_free_(r);
      break;
    }
    for (int i = 0; i < ls->nfields; i++)
      sp_type_struct_set(st, i, ls->fields[i].name, sp_type_ref(ls->fields[i].type),
                         ls->fields[i].nullable || rs->fields[i].nullable);
    un->schema = st;
    un->right = r;
    un->pos = prev->union_pos;
    acc = un;
  }
  if (rc) {
    node_free_(acc);
    return rc;
  }
  *out = acc;
  return 0;
}

static int analyze_select_one_(actx *a, const sp_ast_select *sel, const char *text, sp_node **out,
                               spate_error *err) {
  if (!sel->from)
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, sel->pos,
                           "a streaming query needs a FROM clause naming a streaming view");
  if (sel->norder_by > 0)
    return sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, sel->pos,
                           "Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated "
                           "DataFrame/Dataset in Complete output mode");
  if (sel->limit >= 0)
    return sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, sel->pos, "streaming LIMIT is not supported yet");
  if (sel->distinct)
    return sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, sel->pos,
                           "SELECT DISTINCT on a stream is not supported yet (use GROUP BY)");
  sp_node *node = NULL;
  int rc = analyze_from_(a, sel->from, text, &node, err);
  if (rc) return rc;
  a->quals = NULL;
  if (scope_quals_(a, sel->from, node)) {
    node_free_(node);
    return oom_(err);
  }
  if (sel->where) {
    sp_bind_ctx bc = {node->schema, text, false, false, sp_conf_get(a->opts->conf, "spark.sql.session.timeZone"),
                      a->quals};
    sp_expr *pred = NULL;
    rc = sp_expr_bind(&bc, sel->where, &pred, err);
    if (rc) {
      node_free_(node);
      return rc;
    }
    if (pred->type->id != SP_BOOLEAN && pred->type->id != SP_NULL) {
      sp_expr_free(pred);
      node_free_(node);
      return sp_sql_error_at(err, SPATE_EANALYSIS, text, sel->where->pos,
                             "WHERE condition must be a boolean expression");
    }
    sp_node *f = node_new_(SP_NODE_FILTER, node);
    if (!f) {
      sp_expr_free(pred);
      node_free_(node);
      return oom_(err);
    }
    f->predicate = pred;
    f->schema = sp_type_ref(node->schema);
    node = f;
  }
  if (sel->dedup) {
    rc = add_dedup_(a, sel, text, &node, err);
    if (rc) {
      node_free_(node);
      return rc;
    }
  }
  bool aggregate = sel->ngroup_by > 0 || sel->having != NULL;
  for (int i = 0; i < sel->nitems && !aggregate; i++) aggregate = has_agg_ast_(sel->items[i].expr);
  if (aggregate) {
    /* Chained stateful operators (Spark 3.4+) are checked against the output mode in
     * sp_plan_check_output_mode. */
    return analyze_aggregate_(a, sel, text, node, out, err);
  }
  item_list items = {0};
  rc = bind_items_(sel, node->schema, text, a->opts->conf, a->quals, false, &items, err);
  if (rc) goto fail;
  for (int i = 0; i < items.n; i++)
    if (sp_expr_has_sliding_window(items.exprs[i])) {
      rc = sp_sql_error_at(err, SPATE_EUNSUPPORTED, text, items.exprs[i]->pos,
                           "a sliding window (slide duration != window duration) yields several rows per input "
                           "row; use it as a GROUP BY key");
      goto fail;
    }
  sp_node *p = node_new_(SP_NODE_PROJECT, node);
  if (!p) {
    rc = oom_(err);
    goto fail;
  }
  node = p;
  for (int i = 0; i < items.n; i++) {
    if (items.exprs[i]->kind == SP_EXPR_GENERATOR && items.exprs[i]->nargs > 0) { /* not posexplode's `pos` */
      if (p->gen_index >= 0) {
        rc = sp_sql_error_at(err, SPATE_EANALYSIS, text, items.exprs[i]->pos,
                             "Only one generator allowed per select clause but found 2");
        goto fail;
      }
      p->gen_index = i;
    }
  }
  p->schema = schema_of_(items.names, items.exprs, items.n);
  if (!p->schema) {
    rc = oom_(err);
    goto fail;
  }
  p->exprs = items.exprs;
  p->nexprs = items.n;
  for (int i = 0; i < items.n; i++) free(items.names[i]);
  free(items.names);
  *out = node;
  return 0;
fail:
  items_release_(&items);
  node_free_(node);
  return rc;
}

int sp_analyze(const sp_analyze_opts *opts, const sp_ast_select *select, const char *text, sp_plan **out,
               spate_error *err) {
  sp_plan *plan = calloc(1, sizeof *plan);
  if (!plan) return oom_(err);
  actx a = {opts, plan, NULL, 0, 0, NULL, NULL, 0};
  int rc = analyze_select_(&a, select, text, &plan->root, err);
  free(a.source_names);
  for (int i = 0; i < a.nqual_arrays; i++) free(a.qual_arrays[i]);
  free(a.qual_arrays);
  if (rc) {
    sp_plan_free(plan);
    return rc;
  }
  if (plan->nsources == 0) {
    sp_plan_free(plan);
    return sp_sql_error_at(err, SPATE_EANALYSIS, text, select->pos,
                           "Queries without streaming sources cannot be executed with writeStream.start()");
  }
  sp_plan_event_time(plan);
  if (sp_plan_prune_columns(plan)) {
    sp_plan_free(plan);
    return oom_(err);
  }
  *out = plan;
  return 0;
}

/* ---- output mode rules (UnsupportedOperationChecker) ---- */

int sp_plan_check_output_mode(const sp_plan *p, sp_output_mode mode, const sp_sink_vtab *sink, spate_error *err) {
  const sp_node *aggs[64];
  int naggs = sp_plan_aggregates(p, aggs, 64);
  if (naggs > 64) naggs = 64;
  bool session = false;
  for (int i = 0; i < naggs; i++)
    session |= aggs[i]->child && aggs[i]->child->kind == SP_NODE_TIME_WINDOW && aggs[i]->child->session;
  /* Spark 3.4+ (spark.sql.streaming.statefulOperator.allowMultiple): stateful operators
   * may be chained in Append mode, where each evicts by its propagated watermark; in
   * Update/Complete an aggregation's output is not final, so a second one is refused. */
  if (naggs > 1 && mode != SP_MODE_APPEND)
    return spate_error_set(err, SPATE_EANALYSIS,
                           "Multiple streaming aggregations are not supported with streaming DataFrames/Datasets");
  if (p->has_join && mode != SP_MODE_APPEND)
    return spate_error_set(err, SPATE_EANALYSIS,
                           "Join between two streaming DataFrames/Datasets is not supported in %s output mode, only "
                           "in Append output mode",
                           mode == SP_MODE_UPDATE ? "Update" : "Complete");
  if (session && mode == SP_MODE_UPDATE)
    return spate_error_set(err, SPATE_EANALYSIS,
                           "Update output mode not supported for session window on streaming DataFrames/DataSets");
  if (p->has_aggregate) {
    /* Append needs a watermark on a grouping key of every aggregation. */
    for (int i = 0; i < naggs; i++)
      if (mode == SP_MODE_APPEND && aggs[i]->et_col < 0)
        return spate_error_set(err, SPATE_EANALYSIS,
                               "Append output mode not supported when there are streaming aggregations on streaming "
                               "DataFrames/DataSets without watermark");
  } else if (mode == SP_MODE_COMPLETE) {
    return spate_error_set(err, SPATE_EANALYSIS,
                           "Complete output mode not supported when there are no streaming aggregations on "
                           "streaming DataFrames/Datasets");
  }
  if (sink && !(sink->modes & (1u << mode)))
    return spate_error_set(err, SPATE_EANALYSIS, "Data source %s does not support %s output mode", sink->name,
                           sp_output_mode_name(mode));
  return 0;
}

/* ---- explain ---- */

static void explain_list_(sp_expr *const *es, int n, const sp_type *input, const sp_type *names, sp_buf *out) {
  for (int i = 0; i < n; i++) {
    if (i) sp_buf_puts(out, ", ");
    sp_expr_explain(es[i], input, out);
    if (names && i < names->nfields && !(es[i]->kind == SP_EXPR_COLUMN && es[i]->npath == 0 && input &&
                                         es[i]->column < input->nfields &&
                                         !strcmp(input->fields[es[i]->column].name, names->fields[i].name)))
      sp_buf_printf(out, " AS %s", names->fields[i].name);
  }
}

static void explain_node_(const sp_plan *p, const sp_node *n, int depth, sp_buf *out) {
  for (int i = 0; i < depth; i++) sp_buf_puts(out, "   ");
  if (depth) sp_buf_puts(out, "+- ");
  const sp_type *in = n->child ? n->child->schema : NULL;
  switch (n->kind) {
    case SP_NODE_SCAN: {
      char types[1024];
      sp_type_to_string(n->schema, types, sizeof types);
      sp_buf_printf(out, "StreamingRelation %s, %s\n", p->sources[n->source]->description, types);
      break;
    }
    case SP_NODE_WATERMARK:
      sp_buf_printf(out, "EventTimeWatermark %s, %lld ms\n", n->schema->fields[n->wm_column].name,
                    (long long)(n->wm_delay_us / 1000));
      break;
    case SP_NODE_FILTER:
      sp_buf_puts(out, "Filter ");
      sp_expr_explain(n->predicate, in, out);
      sp_buf_puts(out, "\n");
      break;
    case SP_NODE_PROJECT:
      sp_buf_printf(out, "%s [", n->gen_index >= 0 ? "Generate+Project" : "Project");
      explain_list_(n->exprs, n->nexprs, in, n->schema, out);
      sp_buf_puts(out, "]\n");
      break;
    case SP_NODE_DEDUPLICATE:
      sp_buf_printf(out, "%s [stateful operator %d] [",
                    n->dedup_within_watermark ? "DeduplicateWithinWatermark" : "Deduplicate", n->op_id);
      explain_list_(n->keys, n->nkeys, in, NULL, out);
      sp_buf_puts(out, "]\n");
      break;
    case SP_NODE_TIME_WINDOW:
      if (n->session) {
        sp_buf_puts(out, "SessionWindow [session_window(");
        sp_expr_explain(n->win_expr, in, out);
        if (n->sess_gap_expr) {
          sp_buf_puts(out, ", ");
          sp_expr_explain(n->sess_gap_expr, in, out);
        } else {
          sp_buf_printf(out, ", %lld ms", (long long)(n->sess_gap_us / 1000));
        }
        sp_buf_puts(out, ") AS session_window]\n");
        break;
      }
      sp_buf_puts(out, "TimeWindow [");
      sp_expr_explain(n->win_expr, in, out);
      sp_buf_puts(out, " AS window]\n");
      break;
    case SP_NODE_AGGREGATE:
      sp_buf_printf(out, "StatefulAggregate [stateful operator %d] keys=[", n->op_id);
      explain_list_(n->keys, n->nkeys, in, NULL, out);
      sp_buf_puts(out, "], functions=[");
      explain_list_(n->aggs, n->naggs, in, NULL, out);
      sp_buf_puts(out, "]\n");
      break;
    case SP_NODE_UNION:
      sp_buf_puts(out, "Union\n");
      break;
    case SP_NODE_STATIC_SCAN: {
      char types[1024];
      sp_type_to_string(n->schema, types, sizeof types);
      sp_buf_printf(out, "StaticRelation %s%s, %s\n", sp_static_table_description(p->statics[n->source]),
                    p->static_cache[n->source] ? " (cached)" : "", types);
      break;
    }
    case SP_NODE_JOIN: {
      if (n->join_static)
        sp_buf_printf(out, "BroadcastHashJoin (stream-static, static %s) %s, keys=[",
                      n->join_static == 1 ? "right" : "left", join_type_name_(n->join_type));
      else
        sp_buf_printf(out, "StreamingSymmetricHashJoin [stateful operator %d] %s, keys=[", n->op_id,
                      join_type_name_(n->join_type));
      explain_list_(n->jkeys_l, n->njkeys, n->child->schema, NULL, out);
      sp_buf_puts(out, "] = [");
      explain_list_(n->jkeys_r, n->njkeys, n->right->schema, NULL, out);
      sp_buf_puts(out, "], condition=");
      sp_expr_explain(n->join_cond, n->schema, out);
      if (n->join_has_lo || n->join_has_hi) {
        sp_buf_puts(out, ", state bounds: rightTime - leftTime in [");
        if (n->join_has_lo) sp_buf_printf(out, "%lld ms", (long long)(n->join_lo_us / 1000)); else sp_buf_puts(out, "-inf");
        sp_buf_puts(out, ", ");
        if (n->join_has_hi) sp_buf_printf(out, "%lld ms", (long long)(n->join_hi_us / 1000)); else sp_buf_puts(out, "+inf");
        sp_buf_puts(out, "]");
      }
      sp_buf_puts(out, "\n");
      break;
    }
  }
  if (n->child) explain_node_(p, n->child, depth + 1, out);
  if (n->right) explain_node_(p, n->right, depth + 1, out);
}

void sp_plan_explain(const sp_plan *p, sp_buf *out) { explain_node_(p, p->root, 0, out); }
