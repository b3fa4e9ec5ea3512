/*
 * expr.h - bound (typed, resolved) scalar expressions and their vectorized evaluation.
 *
 * The analyzer turns an sp_ast_expr into an sp_expr with sp_expr_bind(): column
 * names resolve to an input column index plus a struct field path, literals and
 * implicit casts are typed by Spark's rules, function names resolve to kernels.
 * sp_expr_eval() evaluates a whole batch at once: each node evaluates its children
 * to vectors and runs one tight loop over the rows (no per-row function pointers,
 * no per-row allocation).
 *
 * Bound expressions are immutable after binding and may be evaluated by many
 * threads at once (each call has its own sp_eval_ctx).
 *
 * Aggregate calls (count/sum/avg/min/max) and generators (explode) are not scalar:
 * the binder rejects them unless the caller allows them via sp_bind_ctx flags, in
 * which case they appear as SP_EXPR_AGG / SP_EXPR_GENERATOR nodes for the planner.
 */
#ifndef SPATE_EXPR_EXPR_H
#define SPATE_EXPR_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/vec.h"
#include "spate/error.h"
#include "sql/ast.h"

typedef enum sp_expr_kind {
  SP_EXPR_COLUMN,    /* input column `column`, then field path path[0..npath) */
  SP_EXPR_LITERAL,   /* constant: value is row 0 of `literal` (a 1-row vector) */
  SP_EXPR_CALL,      /* scalar function/operator `fn` over args */
  SP_EXPR_AGG,       /* aggregate (planner only): agg kind + args */
  SP_EXPR_GENERATOR, /* explode/explode_outer/posexplode (planner only) */
} sp_expr_kind;

/* Aggregate functions the planner implements (src/exec/op_aggregate.c). */
typedef enum sp_agg_kind {
  SP_AGG_COUNT_STAR, SP_AGG_COUNT, SP_AGG_SUM, SP_AGG_AVG, SP_AGG_MIN, SP_AGG_MAX
} sp_agg_kind;

typedef enum sp_gen_kind { SP_GEN_EXPLODE, SP_GEN_EXPLODE_OUTER, SP_GEN_POSEXPLODE } sp_gen_kind;

typedef struct sp_expr sp_expr;
struct sp_expr {
  sp_expr_kind kind;
  sp_type *type;       /* result type (owned reference) */
  bool nullable;
  int pos;             /* position in the SQL text (errors) */
  /* COLUMN */
  int column;
  int *path;           /* struct field indices below the column */
  int npath;
  /* LITERAL */
  sp_vec *literal;
  /* CALL: `fn` is an internal function id private to src/expr (see functions.c). */
  int fn;
  sp_expr **args;
  int nargs;
  void *fn_data;       /* per-call constant data prepared at bind time (e.g. compiled
                          regex, parsed datetime pattern); owned, freed by sp_expr_free */
  /* AGG */
  sp_agg_kind agg;
  bool agg_distinct;
  /* GENERATOR */
  sp_gen_kind gen;
};

/* What the binder may see. */
typedef struct sp_bind_ctx {
  const sp_type *input;     /* STRUCT schema of the input batch */
  const char *text;         /* SQL text the AST positions refer to (errors), may be NULL */
  bool allow_agg;           /* aggregates allowed (SELECT list / HAVING of a GROUP BY) */
  bool allow_generator;     /* explode allowed (top-level SELECT item) */
  const char *timezone;     /* spark.sql.session.timeZone, default "UTC" */
  /* Optional, one per input field: the relation (view alias) the field comes from, so
   * `q.col` resolves within a join; NULL entries / NULL array = no qualifier. */
  const char *const *quals;
} sp_bind_ctx;

/* Bind `ast` against ctx->input. On success *out is a new tree owned by the caller.
 * Errors (SPATE_EANALYSIS) name the unknown column / function / type mismatch with
 * its line:column and caret, and list the available columns for an unknown column
 * (Spark: "A column or function parameter with name `x` cannot be resolved. Did you
 * mean one of the following? [...]"). */
int sp_expr_bind(const sp_bind_ctx *ctx, const sp_ast_expr *ast, sp_expr **out, spate_error *err);
void sp_expr_free(sp_expr *e);
/* If e is a bound window(time, duration, slide, start) call: its TIMESTAMP argument
 * and the durations in microseconds (src/expr/inspect.c). */
bool sp_expr_as_window(const sp_expr *e, const sp_expr **time, int64_t *duration_us, int64_t *slide_us,
                       int64_t *start_us);
/* Whether e is window_time(w) as the binder writes it (w.end - 1 µs, spark-semantics.md
 * §5.3) over input column w; *column receives w's index. */
bool sp_expr_as_window_time(const sp_expr *e, int *column);
/* True if e contains a window(...) call whose slide differs from its duration
 * (several rows per input row: only valid as a GROUP BY key). */
bool sp_expr_has_sliding_window(const sp_expr *e);
/* Planner helpers for join conditions (src/expr/inspect.c). */
bool sp_expr_is_and(const sp_expr *e); /* AND(args[0], args[1]) */
bool sp_expr_is_eq(const sp_expr *e);  /* args[0] = args[1] */
/* Widen [*lo, *hi] to the input column indexes e reads. */
void sp_expr_column_range(const sp_expr *e, int *lo, int *hi);
/* Add delta to every input column index of e (rebinding a side of a join). */
void sp_expr_shift_columns(sp_expr *e, int delta);
/* e is `A cmp B` with A and B each a TIMESTAMP column plus an optional INTERVAL
 * constant: A = a_col + a_off, B = b_col + b_off (µs); cmp: -2 <, -1 <=, 1 >=, 2 >. */
bool sp_expr_time_compare(const sp_expr *e, int *a_col, int64_t *a_off, int *b_col, int64_t *b_off, int *cmp);
/* Append e as text, Spark plan-string style ("(a + 1)", "CAST(x AS BIGINT)",
 * "count(1)"); column names come from `input` (the schema e is bound against).
 * For `spate explain`; not for hot paths (src/expr/explain.c). */
void sp_expr_explain(const sp_expr *e, const sp_type *input, sp_buf *out);

/* Spark's automatic column name for an un-aliased select item, e.g. `a` for column a,
 * `City` for DeliveryAddress.City, `(a + 1)`, `upper(x)`, `count(1)` for count(*),
 * `CAST(value AS STRING)`. Writes a NUL-terminated name into buf (truncated to cap). */
void sp_expr_default_name(const sp_ast_expr *ast, const char *text, char *buf, size_t cap);

/* Evaluation context of one batch (one task). */
typedef struct sp_eval_ctx {
  int64_t batch_timestamp_us; /* current_timestamp(): constant per micro-batch */
  const char *timezone;       /* session time zone */
} sp_eval_ctx;

/* Result of evaluation: `vec` has in->nrows rows. If `owned`, the caller must
 * sp_vec_free it; otherwise it borrows a column of the input batch. */
typedef struct sp_value_ref {
  sp_vec *vec;
  bool owned;
} sp_value_ref;

/* Evaluate a scalar expression (COLUMN/LITERAL/CALL) over every row of `in`.
 * Runtime errors (e.g. FAILFAST parsing) return a negative code with a message. */
int sp_expr_eval(const sp_expr *e, const sp_batch *in, const sp_eval_ctx *ctx, sp_value_ref *out,
                 spate_error *err);
static inline void sp_value_ref_release(sp_value_ref *r) {
  if (r->owned) sp_vec_free(r->vec);
  r->vec = NULL;
  r->owned = false;
}

/* Evaluate a BOOLEAN predicate and write the indices of rows where it is TRUE (not
 * NULL, not FALSE) into sel (capacity in->nrows); *n gets the count. */
int sp_expr_filter(const sp_expr *e, const sp_batch *in, const sp_eval_ctx *ctx, int32_t *sel,
                   int64_t *n, spate_error *err);

/* True if the tree contains an AGG / GENERATOR / non-deterministic-per-row node. */
bool sp_expr_has_agg(const sp_expr *e);
bool sp_expr_has_generator(const sp_expr *e);

/* Cast a whole vector to type `to` with Spark's (non-ANSI) cast rules: invalid
 * string->number/date/timestamp gives NULL. New vector in *out. */
int sp_cast_vec(const sp_vec *in, sp_type *to, const sp_eval_ctx *ctx, sp_vec **out, spate_error *err);

/* Value rendering (sp_format_value, sp_format_double) and datetime parsing and
 * formatting live in src/common/valfmt.h and src/common/datetime.h. */

/* Like sp_expr_default_name, but resolves column references against `input` (STRUCT
 * schema, may be NULL) the way Spark's resolved attributes are named: a top-level
 * column takes the schema's spelling and a leading qualifier (`t.a`) is dropped, so
 * `CAST(t.key AS STRING)` is named `key`. Without a schema a dotted name is taken to
 * be a struct field path. */
void sp_expr_default_name_in(const sp_ast_expr *ast, const char *text, const sp_type *input, char *buf,
                             size_t cap);

#endif
