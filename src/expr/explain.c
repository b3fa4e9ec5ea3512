/*
 * explain.c - bound expressions as text for `spate explain`, in the shape Spark's
 * plan strings use: infix operators in parentheses, `CAST(x AS T)`, function
 * calls by SQL name, aggregates as `count(1)` / `sum(x)`. Columns print by name
 * (Spark adds #exprId; we have none). Not used on any hot path.
 */
#include <stdio.h>

#include "common/valfmt.h"
#include "expr/expr_internal.h"

static bool infix_(int fn) {
  switch (fn) {
    case SP_FN_ADD: case SP_FN_SUB: case SP_FN_MUL: case SP_FN_DIV: case SP_FN_MOD: case SP_FN_IDIV:
    case SP_FN_EQ: case SP_FN_NE: case SP_FN_LT: case SP_FN_LE: case SP_FN_GT: case SP_FN_GE:
    case SP_FN_EQ_NS: case SP_FN_AND: case SP_FN_OR: case SP_FN_LIKE: case SP_FN_RLIKE:
      return true;
    default:
      return false;
  }
}

static void column_(const sp_expr *e, const sp_type *input, sp_buf *out) {
  const sp_type *t = input;
  if (t && t->id == SP_STRUCT && e->column >= 0 && e->column < t->nfields) {
    sp_buf_puts(out, t->fields[e->column].name);
    t = t->fields[e->column].type;
  } else {
    sp_buf_printf(out, "col%d", e->column);
    t = NULL;
  }
  for (int i = 0; i < e->npath; i++) {
    if (t && t->id == SP_STRUCT && e->path[i] >= 0 && e->path[i] < t->nfields) {
      sp_buf_printf(out, ".%s", t->fields[e->path[i]].name);
      t = t->fields[e->path[i]].type;
    } else {
      sp_buf_printf(out, ".%d", e->path[i]);
      t = NULL;
    }
  }
}

static const char *agg_name_(sp_agg_kind k) {
  switch (k) {
    case SP_AGG_COUNT_STAR:
    case SP_AGG_COUNT: return "count";
    case SP_AGG_SUM: return "sum";
    case SP_AGG_AVG: return "avg";
    case SP_AGG_MIN: return "min";
    case SP_AGG_MAX: return "max";
  }
  return "?";
}

void sp_expr_explain(const sp_expr *e, const sp_type *input, sp_buf *out) {
  if (!e) {
    sp_buf_puts(out, "null");
    return;
  }
  switch (e->kind) {
    case SP_EXPR_COLUMN:
      column_(e, input, out);
      return;
    case SP_EXPR_LITERAL: {
      bool str = e->literal && (e->type->id == SP_STRING) && !sp_vec_is_null(e->literal, 0);
      if (str) sp_buf_puts(out, "'");
      if (e->literal) sp_format_value(e->literal, 0, NULL, true, out);
      if (str) sp_buf_puts(out, "'");
      return;
    }
    case SP_EXPR_AGG:
      sp_buf_printf(out, "%s(%s", agg_name_(e->agg), e->agg_distinct ? "DISTINCT " : "");
      if (e->agg == SP_AGG_COUNT_STAR) sp_buf_puts(out, "1");
      for (int i = 0; i < e->nargs; i++) {
        if (i) sp_buf_puts(out, ", ");
        sp_expr_explain(e->args[i], input, out);
      }
      sp_buf_puts(out, ")");
      return;
    case SP_EXPR_GENERATOR:
      sp_buf_puts(out, e->gen == SP_GEN_EXPLODE ? "explode(" : e->gen == SP_GEN_EXPLODE_OUTER ? "explode_outer(" : "posexplode(");
      for (int i = 0; i < e->nargs; i++) sp_expr_explain(e->args[i], input, out);
      sp_buf_puts(out, ")");
      return;
    case SP_EXPR_CALL:
      break;
  }
  if (infix_(e->fn) && e->nargs == 2) {
    sp_buf_puts(out, "(");
    sp_expr_explain(e->args[0], input, out);
    sp_buf_printf(out, " %s ", e->fn == SP_FN_AND ? "AND" : e->fn == SP_FN_OR ? "OR" : e->fn == SP_FN_LIKE ? "LIKE" : e->fn == SP_FN_RLIKE ? "RLIKE" : sp_fn_name(e->fn));
    sp_expr_explain(e->args[1], input, out);
    sp_buf_puts(out, ")");
    return;
  }
  switch (e->fn) {
    case SP_FN_NOT:
      sp_buf_puts(out, "NOT ");
      sp_expr_explain(e->args[0], input, out);
      return;
    case SP_FN_NEG:
      sp_buf_puts(out, "-");
      sp_expr_explain(e->args[0], input, out);
      return;
    case SP_FN_IS_NULL:
    case SP_FN_IS_NOT_NULL:
      sp_expr_explain(e->args[0], input, out);
      sp_buf_puts(out, e->fn == SP_FN_IS_NULL ? " IS NULL" : " IS NOT NULL");
      return;
    case SP_FN_CAST:
      sp_buf_puts(out, "CAST(");
      sp_expr_explain(e->args[0], input, out);
      sp_buf_puts(out, " AS ");
      sp_type_sql(e->type, out);
      sp_buf_puts(out, ")");
      return;
    case SP_FN_IN:
      sp_expr_explain(e->args[0], input, out);
      sp_buf_puts(out, " IN (");
      for (int i = 1; i < e->nargs; i++) {
        if (i > 1) sp_buf_puts(out, ",");
        sp_expr_explain(e->args[i], input, out);
      }
      sp_buf_puts(out, ")");
      return;
    case SP_FN_CASE:
      sp_buf_puts(out, "CASE");
      for (int i = 0; i + 1 < e->nargs; i += 2) {
        sp_buf_puts(out, " WHEN ");
        sp_expr_explain(e->args[i], input, out);
        sp_buf_puts(out, " THEN ");
        sp_expr_explain(e->args[i + 1], input, out);
      }
      if (e->nargs % 2) {
        sp_buf_puts(out, " ELSE ");
        sp_expr_explain(e->args[e->nargs - 1], input, out);
      }
      sp_buf_puts(out, " END");
      return;
    default:
      break;
  }
  sp_buf_printf(out, "%s(", sp_fn_name(e->fn));
  for (int i = 0; i < e->nargs; i++) {
    if (i) sp_buf_puts(out, ", ");
    sp_expr_explain(e->args[i], input, out);
  }
  sp_buf_puts(out, ")");
}
