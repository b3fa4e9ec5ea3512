/*
 * expr_test_util.h - shared helpers of the src/expr unit tests (header-only).
 *
 * Builds one fixed input batch with sp_vec APIs, parses expressions with
 * sp_parse_expr, binds and evaluates them, and renders every result row with
 * sp_format_value (NULL as "null") joined by '|', so tests can assert exact output
 * strings such as "2|-1|null|-2147483648".
 *
 * The batch (4 rows):
 *   i   INT        1 | -2 | NULL | 2147483647
 *   l   BIGINT     10 | 20 | 30 | NULL
 *   d   DOUBLE     1.5 | -0.5 | NULL | 2.675
 *   s   STRING     "hello world" | "Foo,bar,,baz" | NULL | ""
 *   b   BOOLEAN    true | false | NULL | true
 *   ts  TIMESTAMP  2019-05-20 10:05:00 | 1970-01-01 00:00:00 | NULL | 2020-02-29 23:59:59.5
 *   dt  DATE       2019-05-20 | 1970-01-01 | NULL | 2020-02-29
 *   st  STRUCT<x: INT, y: STRUCT<z: STRING>>
 *                  {1, {a}} | {2, NULL} | NULL | {NULL, {d}}
 *   arr ARRAY<INT> [1, 2, 3] | [] | NULL | [4, NULL]
 *   u   STRING     "Äpfel Öl" | "a_b%c" | "x" | "  pad  "
 */
#ifndef SPATE_TESTS_EXPR_TEST_UTIL_H
#define SPATE_TESTS_EXPR_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/valfmt.h"
#include "expr/expr.h"
#include "sql/parser.h"

#define T_US_2019 1558346700000000LL /* 2019-05-20 10:05:00 UTC */

static __attribute__((unused)) sp_type *t_schema_(void) {
  sp_type *y = sp_type_struct_new(1);
  sp_type_struct_set(y, 0, "z", sp_type_prim(SP_STRING), true);
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "x", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 1, "y", y, true);
  sp_type *s = sp_type_struct_new(10);
  sp_type_struct_set(s, 0, "i", sp_type_prim(SP_INT), true);
  sp_type_struct_set(s, 1, "l", sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(s, 2, "d", sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(s, 3, "s", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(s, 4, "b", sp_type_prim(SP_BOOLEAN), true);
  sp_type_struct_set(s, 5, "ts", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(s, 6, "dt", sp_type_prim(SP_DATE), true);
  sp_type_struct_set(s, 7, "st", st, true);
  sp_type_struct_set(s, 8, "arr", sp_type_array_new(sp_type_prim(SP_INT), true), true);
  sp_type_struct_set(s, 9, "u", sp_type_prim(SP_STRING), true);
  return s;
}

static __attribute__((unused)) void t_str_(sp_vec *v, const char *s) { sp_vec_append_str(v, s, (int32_t)strlen(s)); }

static __attribute__((unused)) sp_batch *t_batch_(sp_type *schema) {
  sp_batch *bt = sp_batch_new(schema, 4);
  sp_vec **c = bt->cols;
  /* i */
  sp_vec_append_i32(c[0], 1);
  sp_vec_append_i32(c[0], -2);
  sp_vec_append_null(c[0]);
  sp_vec_append_i32(c[0], 2147483647);
  /* l */
  sp_vec_append_i64(c[1], 10);
  sp_vec_append_i64(c[1], 20);
  sp_vec_append_i64(c[1], 30);
  sp_vec_append_null(c[1]);
  /* d */
  sp_vec_append_f64(c[2], 1.5);
  sp_vec_append_f64(c[2], -0.5);
  sp_vec_append_null(c[2]);
  sp_vec_append_f64(c[2], 2.675);
  /* s */
  t_str_(c[3], "hello world");
  t_str_(c[3], "Foo,bar,,baz");
  sp_vec_append_null(c[3]);
  t_str_(c[3], "");
  /* b */
  sp_vec_append_bool(c[4], true);
  sp_vec_append_bool(c[4], false);
  sp_vec_append_null(c[4]);
  sp_vec_append_bool(c[4], true);
  /* ts */
  sp_vec_append_i64(c[5], T_US_2019);
  sp_vec_append_i64(c[5], 0);
  sp_vec_append_null(c[5]);
  sp_vec_append_i64(c[5], 1583020799500000LL);
  /* dt */
  sp_vec_append_i32(c[6], 18036);
  sp_vec_append_i32(c[6], 0);
  sp_vec_append_null(c[6]);
  sp_vec_append_i32(c[6], 18321);
  /* st: STRUCT<x INT, y STRUCT<z STRING>> */
  sp_vec *st = c[7], *x = st->children[0], *y = st->children[1], *z = y->children[0];
  sp_vec_append_i32(x, 1);
  t_str_(z, "a");
  sp_vec_struct_append(y, true);
  sp_vec_struct_append(st, true);
  sp_vec_append_i32(x, 2);
  sp_vec_append_null(z);
  sp_vec_struct_append(y, false);
  sp_vec_struct_append(st, true);
  sp_vec_append_null(x);
  t_str_(z, "c");
  sp_vec_struct_append(y, true);
  sp_vec_struct_append(st, false);
  sp_vec_append_null(x);
  t_str_(z, "d");
  sp_vec_struct_append(y, true);
  sp_vec_struct_append(st, true);
  /* arr */
  sp_vec *el = c[8]->children[0];
  sp_vec_append_i32(el, 1);
  sp_vec_append_i32(el, 2);
  sp_vec_append_i32(el, 3);
  sp_vec_array_close(c[8], true);
  sp_vec_array_close(c[8], true);
  sp_vec_array_close(c[8], false);
  sp_vec_append_i32(el, 4);
  sp_vec_append_null(el);
  sp_vec_array_close(c[8], true);
  /* u */
  t_str_(c[9], "\xC3\x84pfel \xC3\x96l");
  t_str_(c[9], "a_b%c");
  t_str_(c[9], "x");
  t_str_(c[9], "  pad  ");
  sp_batch_finish(bt);
  return bt;
}

typedef struct t_env {
  sp_type *schema;
  sp_batch *batch;
  sp_eval_ctx ectx;
  bool allow_agg, allow_gen;
  const char *tz;
  char out[4096];
  char type[2048];
  spate_error err;
} t_env;

static __attribute__((unused)) int t_setup(void **state) {
  t_env *env = calloc(1, sizeof *env);
  env->schema = t_schema_();
  env->batch = t_batch_(env->schema);
  env->ectx.batch_timestamp_us = T_US_2019;
  env->ectx.timezone = "UTC";
  env->tz = "UTC";
  *state = env;
  return 0;
}

static __attribute__((unused)) int t_teardown(void **state) {
  t_env *env = *state;
  sp_batch_free(env->batch);
  sp_type_unref(env->schema);
  free(env);
  return 0;
}

/* Parse + bind `text`. 0 or the error code (message in env->err). */
static __attribute__((unused)) int t_bind(t_env *env, const char *text, sp_ast_script **holder, sp_expr **e) {
  *e = NULL;
  *holder = sp_ast_script_new();
  sp_ast_expr *ast = NULL;
  spate_error_clear(&env->err);
  int rc = sp_parse_expr(*holder, text, &ast, &env->err);
  if (rc) return rc;
  sp_bind_ctx bc = {env->schema, text, env->allow_agg, env->allow_gen, env->tz, NULL};
  rc = sp_expr_bind(&bc, ast, e, &env->err);
  if (!rc) sp_type_to_string((*e)->type, env->type, sizeof env->type);
  return rc;
}

static __attribute__((unused)) void t_render_(t_env *env, const sp_vec *v) {
  sp_buf b;
  sp_buf_init(&b);
  for (int64_t i = 0; i < v->length; i++) {
    if (i) sp_buf_putc(&b, '|');
    sp_format_value(v, i, env->ectx.timezone, true, &b);
  }
  snprintf(env->out, sizeof env->out, "%s", b.data ? b.data : "");
  sp_buf_free(&b);
}

/* Evaluate `text` over the batch; returns the rendered rows ("ERR: <msg>" on error). */
static __attribute__((unused)) const char *t_eval(t_env *env, const char *text) {
  sp_ast_script *h;
  sp_expr *e;
  if (t_bind(env, text, &h, &e)) {
    snprintf(env->out, sizeof env->out, "ERR: %s", env->err.message);
    sp_ast_script_free(h);
    return env->out;
  }
  sp_value_ref r;
  if (sp_expr_eval(e, env->batch, &env->ectx, &r, &env->err)) {
    snprintf(env->out, sizeof env->out, "ERR: %s", env->err.message);
  } else {
    t_render_(env, r.vec);
    if (r.vec->length != env->batch->nrows) snprintf(env->out, sizeof env->out, "ERR: wrong row count");
    sp_value_ref_release(&r);
  }
  sp_expr_free(e);
  sp_ast_script_free(h);
  return env->out;
}

/* Bind only; returns the error message ("" when binding succeeds). */
static __attribute__((unused)) const char *t_bind_err(t_env *env, const char *text) {
  sp_ast_script *h;
  sp_expr *e;
  env->out[0] = 0;
  if (t_bind(env, text, &h, &e)) snprintf(env->out, sizeof env->out, "%s", env->err.message);
  sp_expr_free(e);
  sp_ast_script_free(h);
  return env->out;
}

/* Result type of `text` as sp_type_to_string prints it. */
static __attribute__((unused)) const char *t_type(t_env *env, const char *text) {
  sp_ast_script *h;
  sp_expr *e;
  if (t_bind(env, text, &h, &e)) snprintf(env->type, sizeof env->type, "ERR: %s", env->err.message);
  sp_expr_free(e);
  sp_ast_script_free(h);
  return env->type;
}

/* Spark's default column name of `text` (schema-less and schema-aware variants). */
static __attribute__((unused)) const char *t_name(t_env *env, const char *text, bool with_schema) {
  sp_ast_script *h = sp_ast_script_new();
  sp_ast_expr *ast = NULL;
  env->out[0] = 0;
  if (sp_parse_expr(h, text, &ast, &env->err) == 0) {
    if (with_schema)
      sp_expr_default_name_in(ast, text, env->schema, env->out, sizeof env->out);
    else
      sp_expr_default_name(ast, text, env->out, sizeof env->out);
  } else {
    snprintf(env->out, sizeof env->out, "PARSE ERR: %s", env->err.message);
  }
  sp_ast_script_free(h);
  return env->out;
}

#endif
