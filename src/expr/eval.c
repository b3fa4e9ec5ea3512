/*
 * eval.c - the vectorized evaluator: walks a bound expression tree once per batch,
 * evaluating each node's children to operands (vectors or scalars) and dispatching
 * the node to its kernel, which loops over all rows at once.
 *
 * Invariants: a COLUMN node returns the input vector borrowed; a struct field path
 * returns the child vector borrowed when no parent on the path has nulls, otherwise
 * a copy with the parents' nulls applied. LITERAL nodes return their 1-row vector
 * borrowed as a scalar. A CALL whose arguments are all scalar is computed on one row
 * and stays scalar; only sp_expr_eval() broadcasts it to the batch's row count.
 */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

/* ---- tree ownership ---- */

void sp_expr_free(sp_expr *e) {
  if (!e) return;
  for (int i = 0; i < e->nargs; i++) sp_expr_free(e->args[i]);
  free(e->args);
  free(e->path);
  sp_vec_free(e->literal);
  if (e->fn_data) {
    sp_fn_data *d = e->fn_data;
    if (d->destroy) d->destroy(d);
  }
  sp_type_unref(e->type);
  free(e);
}

bool sp_expr_has_agg(const sp_expr *e) {
  if (!e) return false;
  if (e->kind == SP_EXPR_AGG) return true;
  for (int i = 0; i < e->nargs; i++)
    if (sp_expr_has_agg(e->args[i])) return true;
  return false;
}

bool sp_expr_has_generator(const sp_expr *e) {
  if (!e) return false;
  if (e->kind == SP_EXPR_GENERATOR) return true;
  for (int i = 0; i < e->nargs; i++)
    if (sp_expr_has_generator(e->args[i])) return true;
  return false;
}

/* ---- column access ---- */

static int eval_column_(const sp_expr *e, const sp_batch *in, sp_opnd *out, spate_error *err) {
  if (e->column < 0 || e->column >= in->ncols)
    return spate_error_set(err, SPATE_EINVAL, "column index %d out of range (batch has %d columns)", e->column,
                           in->ncols);
  const sp_vec *v = in->cols[e->column];
  bool parent_nulls = false;
  for (int p = 0; p < e->npath; p++) {
    if (v->type->id != SP_STRUCT || e->path[p] < 0 || e->path[p] >= v->nchildren)
      return spate_error_set(err, SPATE_EINVAL, "bad struct field path in column reference");
    if (v->null_count > 0) parent_nulls = true;
    v = v->children[e->path[p]];
  }
  if (!parent_nulls) {
    out->vec = (sp_vec *)v;
    out->owned = false;
    out->scalar = false;
    return 0;
  }
  /* Combine the validity of every parent on the path. */
  int64_t n = in->cols[e->column]->length;
  uint8_t *mask = malloc((size_t)((n + 7) / 8 + 1));
  if (!mask) return sp_expr_oom(err);
  memset(mask, 0xff, (size_t)((n + 7) / 8 + 1));
  const sp_vec *p = in->cols[e->column];
  for (int k = 0; k < e->npath; k++) {
    if (p->validity)
      for (int64_t i = 0; i < (n + 7) / 8; i++) mask[i] &= p->validity[i];
    p = p->children[e->path[k]];
  }
  sp_vec *c = sp_xvec_with_nulls(v, mask);
  free(mask);
  if (!c) return sp_expr_oom(err);
  out->vec = c;
  out->owned = true;
  out->scalar = false;
  return 0;
}

/* ---- dispatch ---- */

static int dispatch_(const sp_kctx *k, sp_opnd *out) {
  switch ((sp_fn_id)k->e->fn) {
    case SP_FN_ADD:
    case SP_FN_SUB:
    case SP_FN_MUL:
    case SP_FN_DIV:
    case SP_FN_MOD:
    case SP_FN_IDIV: return sp_k_arith(k, out);
    case SP_FN_NEG: return sp_k_neg(k, out);
    case SP_FN_DATE_ADD:
    case SP_FN_DATE_SUB:
    case SP_FN_TS_ADD_US: return sp_k_date_arith(k, out);
    case SP_FN_EQ:
    case SP_FN_NE:
    case SP_FN_LT:
    case SP_FN_LE:
    case SP_FN_GT:
    case SP_FN_GE:
    case SP_FN_EQ_NS: return sp_k_compare(k, out);
    case SP_FN_AND:
    case SP_FN_OR:
    case SP_FN_NOT:
    case SP_FN_IS_NULL:
    case SP_FN_IS_NOT_NULL: return sp_k_logic(k, out);
    case SP_FN_IN: return sp_k_in(k, out);
    case SP_FN_LIKE: return sp_k_like(k, out);
    case SP_FN_RLIKE: return sp_k_rlike(k, out);
    case SP_FN_CASE: return sp_k_case(k, out);
    case SP_FN_COALESCE: return sp_k_coalesce(k, out);
    case SP_FN_NULLIF: return sp_k_nullif(k, out);
    case SP_FN_CAST: return sp_k_cast(k, out);
    case SP_FN_ABS:
    case SP_FN_ROUND:
    case SP_FN_FLOOR:
    case SP_FN_CEIL: return sp_k_math(k, out);
    case SP_FN_LOWER:
    case SP_FN_UPPER:
    case SP_FN_TRIM:
    case SP_FN_LTRIM:
    case SP_FN_RTRIM:
    case SP_FN_LENGTH: return sp_k_string(k, out);
    case SP_FN_CONCAT:
    case SP_FN_CONCAT_WS: return sp_k_concat(k, out);
    case SP_FN_SUBSTRING: return sp_k_substring(k, out);
    case SP_FN_SPLIT: return sp_k_split(k, out);
    case SP_FN_REGEXP_EXTRACT: return sp_k_regexp_extract(k, out);
    case SP_FN_REGEXP_REPLACE: return sp_k_regexp_replace(k, out);
    case SP_FN_STRUCT:
    case SP_FN_ARRAY:
    case SP_FN_SIZE:
    case SP_FN_ELEMENT_AT:
    case SP_FN_GET_FIELD:
    case SP_FN_GET_ITEM: return sp_k_complex(k, out);
    case SP_FN_TO_TIMESTAMP:
    case SP_FN_TO_DATE:
    case SP_FN_DATE_FORMAT:
    case SP_FN_UNIX_TIMESTAMP:
    case SP_FN_FROM_UNIXTIME:
    case SP_FN_TIMESTAMP_SECONDS:
    case SP_FN_CURRENT_TIMESTAMP:
    case SP_FN_CURRENT_DATE:
    case SP_FN_YEAR:
    case SP_FN_MONTH:
    case SP_FN_DAYOFMONTH:
    case SP_FN_HOUR:
    case SP_FN_MINUTE:
    case SP_FN_SECOND:
    case SP_FN_WINDOW: return sp_k_time(k, out);
    case SP_FN_FROM_JSON: return sp_k_from_json(k, out);
    case SP_FN_TO_JSON: return sp_k_to_json(k, out);
    case SP_FN_FROM_AVRO: return sp_k_from_avro(k, out);
    case SP_FN_TO_AVRO: return sp_k_to_avro(k, out);
    case SP_FN_FROM_CSV: return sp_k_from_csv(k, out);
    case SP_FN_TO_CSV: return sp_k_to_csv(k, out);
    case SP_FN_INVALID:
    case SP_FN_COUNT_: break;
  }
  return spate_error_set(k->err, SPATE_EINVAL, "unknown function id %d", k->e->fn);
}

int sp_eval_node(const sp_expr *e, const sp_batch *in, const sp_eval_ctx *ctx, sp_opnd *out, spate_error *err) {
  out->vec = NULL;
  out->owned = false;
  out->scalar = false;
  switch (e->kind) {
    case SP_EXPR_COLUMN: return eval_column_(e, in, out, err);
    case SP_EXPR_LITERAL:
      out->vec = e->literal;
      out->scalar = true;
      return 0;
    case SP_EXPR_AGG:
      return spate_error_set(err, SPATE_EINVAL, "aggregate expression cannot be evaluated as a scalar");
    case SP_EXPR_GENERATOR:
      return spate_error_set(err, SPATE_EINVAL, "generator expression cannot be evaluated as a scalar");
    case SP_EXPR_CALL: break;
  }
  sp_opnd stack_args[4];
  sp_opnd *args = e->nargs <= 4 ? stack_args : calloc((size_t)e->nargs, sizeof *args);
  if (!args) return sp_expr_oom(err);
  int rc = 0, done = 0;
  bool all_scalar = true;
  for (; done < e->nargs; done++) {
    rc = sp_eval_node(e->args[done], in, ctx, &args[done], err);
    if (rc) break;
    if (!args[done].scalar) all_scalar = false;
  }
  if (!rc) {
    sp_kctx k = {e, args, e->nargs, all_scalar ? 1 : in->nrows, ctx, err};
    rc = dispatch_(&k, out);
    if (rc) {
      sp_opnd_release(out); /* kernels may have attached a partial result */
    } else {
      if (out->owned && !out->vec) {
        rc = sp_expr_oom(err);
      } else {
        out->scalar = all_scalar;
        if (out->owned) sp_xvec_nonnull_chars(out->vec);
      }
    }
  }
  for (int i = 0; i < done; i++) sp_opnd_release(&args[i]);
  if (args != stack_args) free(args);
  return rc;
}

int sp_expr_eval(const sp_expr *e, const sp_batch *in, const sp_eval_ctx *ctx, sp_value_ref *out,
                 spate_error *err) {
  out->vec = NULL;
  out->owned = false;
  sp_opnd o;
  int rc = sp_eval_node(e, in, ctx, &o, err);
  if (rc) return rc;
  if (o.scalar && !(in->nrows == 1 && o.owned)) {
    sp_vec *v = sp_xvec_broadcast(o.vec, 0, in->nrows);
    sp_opnd_release(&o);
    if (!v) return sp_expr_oom(err);
    out->vec = v;
    out->owned = true;
    return 0;
  }
  out->vec = o.vec;
  out->owned = o.owned;
  return 0;
}

int sp_expr_filter(const sp_expr *e, const sp_batch *in, const sp_eval_ctx *ctx, int32_t *sel, int64_t *n,
                   spate_error *err) {
  *n = 0;
  sp_opnd o;
  int rc = sp_eval_node(e, in, ctx, &o, err);
  if (rc) return rc;
  const sp_vec *v = o.vec;
  int64_t k = 0;
  if (v->type->id == SP_NULL) {
    /* never true */
  } else if (v->type->id != SP_BOOLEAN) {
    sp_opnd_release(&o);
    return spate_error_set(err, SPATE_EINVAL, "filter predicate is of type %s, not boolean",
                           sp_type_id_name(v->type->id));
  } else if (o.scalar) {
    if (!sp_vec_is_null(v, 0) && sp_vec_bool(v)[0])
      for (int64_t i = 0; i < in->nrows; i++) sel[k++] = (int32_t)i;
  } else {
    const uint8_t *b = sp_vec_bool(v);
    if (!v->validity || v->null_count == 0) {
      for (int64_t i = 0; i < in->nrows; i++) {
        sel[k] = (int32_t)i;
        k += b[i] != 0;
      }
    } else {
      const uint8_t *vb = v->validity;
      for (int64_t i = 0; i < in->nrows; i++) {
        sel[k] = (int32_t)i;
        k += (b[i] != 0) & sp_xbit_get(vb, i);
      }
    }
  }
  sp_opnd_release(&o);
  *n = k;
  return 0;
}

int sp_cast_vec(const sp_vec *in, sp_type *to, const sp_eval_ctx *ctx, sp_vec **out, spate_error *err) {
  return sp_cast_vec_tz(in, to, ctx ? ctx->timezone : NULL, out, err);
}
