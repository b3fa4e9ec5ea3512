/* test_expr_bind.c - binder: column resolution, struct paths, error messages with line:col,
 * default column names, aggregates, generators and complex-type access (src/expr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

static void test_unknown_column_error(void **state) {
  t_env *env = *state;
  assert_string_equal(t_bind_err(env, "i + sx"),
                      "line 1:5: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `sx` "
                      "cannot be resolved. Did you mean one of the following? [`s`, `st`, `i`, `l`, `d`].\n"
                      "i + sx\n"
                      "    ^");
  assert_int_equal(env->err.code, SPATE_EANALYSIS);
  /* positions are line:column of the column reference in multi-line text */
  assert_string_equal(t_bind_err(env, "i +\n  upper(nope.x)"),
                      "line 2:9: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name "
                      "`nope`.`x` cannot be resolved. Did you mean one of the following? [`i`, `l`, `d`, `s`, `b`].\n"
                      "  upper(nope.x)\n"
                      "        ^");
  assert_string_equal(t_bind_err(env, "st.q"),
                      "line 1:1: [FIELD_NOT_FOUND] No such struct field `q` in `x`, `y`.\nst.q\n^");
  assert_string_equal(t_bind_err(env, "i.x"),
                      "line 1:1: [INVALID_EXTRACT_BASE_FIELD_TYPE] Can't extract a value from \"i\". Need a complex "
                      "type [STRUCT, ARRAY, MAP] but got \"INT\".\ni.x\n^");
}

static void test_type_errors(void **state) {
  t_env *env = *state;
  assert_string_equal(t_bind_err(env, "size(i)"),
                      "line 1:1: [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"size(i)\" due to data "
                      "type mismatch: Parameter 1 requires the (\"ARRAY\" or \"MAP\") type, however \"i\" has the "
                      "type \"INT\".\nsize(i)\n^");
  assert_string_equal(t_bind_err(env, "upper(s) || abs(st)"),
                      "line 1:13: [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"abs(st)\" due to data "
                      "type mismatch: Parameter 1 requires the \"NUMERIC\" type, however \"st\" has the type "
                      "\"STRUCT<x: INT, y: STRUCT<z: STRING>>\".\nupper(s) || abs(st)\n            ^");
  assert_string_equal(t_bind_err(env, "i + b"),
                      "line 1:1: [DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"(i + b)\" due to data "
                      "type mismatch: the left and right operands of the binary operator have incompatible types "
                      "(\"INT\" and \"BOOLEAN\").\ni + b\n^");
  assert_string_equal(t_bind_err(env, "foo(i)"),
                      "line 1:1: [UNRESOLVED_ROUTINE] Cannot resolve function `foo` on search path "
                      "[`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].\nfoo(i)\n^");
  assert_string_equal(t_bind_err(env, "lower(s, i)"),
                      "line 1:1: [WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `lower` requires 1 parameters but the "
                      "actual number is 2. Please, refer to 'https://spark.apache.org/docs/latest/"
                      "sql-ref-functions.html' for a fix.\nlower(s, i)\n^");
  assert_string_equal(t_bind_err(env, "CAST(i AS DATE)"),
                      "line 1:1: [DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION] Cannot resolve \"CAST(i AS DATE)\" due "
                      "to data type mismatch: cannot cast \"INT\" to \"DATE\".\nCAST(i AS DATE)\n^");
  assert_string_equal(t_bind_err(env, "coalesce(i, b)"),
                      "line 1:1: [DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"coalesce(i, b)\" due to data "
                      "type mismatch: Input to `coalesce` should all be the same type, but it's (\"INT\" or "
                      "\"BOOLEAN\").\ncoalesce(i, b)\n^");
  assert_string_equal(t_bind_err(env, "b AND i"),
                      "line 1:1: [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"(b AND i)\" due to data "
                      "type mismatch: Parameter 2 requires the \"BOOLEAN\" type, however \"i\" has the type "
                      "\"INT\".\nb AND i\n^");
  assert_string_equal(t_bind_err(env, "s LIKE 'a\\\\x'"),
                      "line 1:8: [INVALID_FORMAT] the pattern 'a\\x' is invalid, the escape character is not allowed "
                      "to precede 'x'\ns LIKE 'a\\\\x'\n       ^");
  assert_string_equal(t_bind_err(env, "regexp_extract(s, 'a(b')"),
                      "line 1:19: [INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` in "
                      "`regexp_extract` is invalid: 'a(b': missing closing parenthesis near index 3\n"
                      "regexp_extract(s, 'a(b')\n                  ^");
  assert_string_equal(t_bind_err(env, "regexp_extract(s, '(a)', 2)"),
                      "line 1:1: [INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in "
                      "`regexp_extract` is invalid: Expects group index between 0 and 1, but got 2.\n"
                      "regexp_extract(s, '(a)', 2)\n^");
  /* runtime error: element_at index 0 */
  assert_string_equal(t_eval(env, "element_at(arr, i - 1)"),
                      "ERR: [INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be either < 0 or > 0 (the "
                      "first element has index 1).");
  assert_int_equal(env->err.code, SPATE_ERUNTIME);
}

static void test_default_names(void **state) {
  t_env *env = *state;
  const char *cases[][2] = {
      {"i", "i"},
      {"DeliveryAddress.City", "City"},
      {"st.y.z", "z"},
      {"1", "1"},
      {"'x'", "x"},
      {"NULL", "NULL"},
      {"true", "true"},
      {"1.50", "1.50"},
      {"1e3", "1000.0"},
      {"10L", "10"},
      {"-5", "-5"},
      {"-i", "(- i)"},
      {"lower(name)", "lower(name)"},
      {"count(*)", "count(1)"},
      {"count(DISTINCT i)", "count(DISTINCT i)"},
      {"sum(d) * 0.2", "(sum(d) * 0.2)"},
      {"avg(d)", "avg(d)"},
      {"a + b", "(a + b)"},
      {"a + b * c", "(a + (b * c))"},
      {"i <> 1", "(NOT (i = 1))"},
      {"i <=> NULL", "(i <=> NULL)"},
      {"a AND NOT b", "(a AND (NOT b))"},
      {"s || 'x'", "concat(s, x)"},
      {"CAST(value AS STRING)", "value"},
      {"CAST(key AS STRING)", "key"},
      {"CASE WHEN i > 0 THEN 'a' ELSE 'b' END", "CASE WHEN (i > 0) THEN a ELSE b END"},
      {"CASE i WHEN 1 THEN 'a' END", "CASE WHEN (i = 1) THEN a END"},
      {"ceil(d)", "CEIL(d)"},
      {"floor(d)", "FLOOR(d)"},
      {"round(d)", "round(d, 0)"},
      {"round(d, 2)", "round(d, 2)"},
      {"substr(s, 2)", "substr(s, 2, 2147483647)"},
      {"substring(s, 2, 3)", "substring(s, 2, 3)"},
      {"split(value, ' ')", "split(value,  , -1)"},
      {"explode(split(value, ' '))", "explode(split(value,  , -1))"},
      {"regexp_extract(s, 'a(b)')", "regexp_extract(s, a(b), 1)"},
      {"regexp_replace(s, 'a', 'b')", "regexp_replace(s, a, b, 1)"},
      {"i IS NOT NULL", "(i IS NOT NULL)"},
      {"i IN (1, 2)", "(i IN (1, 2))"},
      {"i NOT IN (1, 2)", "(NOT (i IN (1, 2)))"},
      {"s LIKE 'a%'", "s LIKE a%"},
      {"s NOT LIKE 'a%'", "(NOT s LIKE a%)"},
      {"s RLIKE '^a'", "s RLIKE ^a"},
      {"i BETWEEN 1 AND 2", "((i >= 1) AND (i <= 2))"},
      {"arr[0]", "arr[0]"},
      {"st['x']", "st.x"},
      {"struct(i, s).s", "struct(i, s).s"},
      {"named_struct('a', i)", "named_struct(a, i)"},
      {"if(b, 1, 2)", "(IF(b, 1, 2))"},
      {"coalesce(i, 0)", "coalesce(i, 0)"},
      {"nvl(i, 0)", "nvl(i, 0)"},
      {"date_format(ts, 'yyyy')", "date_format(ts, yyyy)"},
      {"current_timestamp()", "current_timestamp()"},
      {"to_timestamp(s, 'yyyy-MM-dd HH:mm:ss')", "to_timestamp(s, yyyy-MM-dd HH:mm:ss)"},
      {"unix_timestamp()", "unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)"},
      {"from_unixtime(l)", "from_unixtime(l, yyyy-MM-dd HH:mm:ss)"},
      {"ts + INTERVAL 15 MINUTES", "(ts + INTERVAL '15' MINUTE)"},
      {"TIMESTAMP '2019-01-01 00:00:00'", "TIMESTAMP '2019-01-01 00:00:00'"},
      {"trim('x', s)", "TRIM(BOTH x FROM s)"},
      {"i div 2", "(i div 2)"},
      {"(i + 1) * 2", "((i + 1) * 2)"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const char *got = t_name(env, cases[k][0], false);
    if (strcmp(got, cases[k][1]) != 0) fail_msg("name of %s: got '%s', want '%s'", cases[k][0], got, cases[k][1]);
  }
  /* With the input schema: schema spelling of top-level columns, qualifiers dropped. */
  assert_string_equal(t_name(env, "I", false), "I");
  assert_string_equal(t_name(env, "I", true), "i");
  assert_string_equal(t_name(env, "t.i", true), "i");
  assert_string_equal(t_name(env, "t.i + 1", true), "(i + 1)");
  assert_string_equal(t_name(env, "st.x + 1", true), "(st.x + 1)");
  assert_string_equal(t_name(env, "struct(*)", true), "struct(i, l, d, s, b, ts, dt, st, arr, u)");
  /* truncation */
  char small[6];
  sp_ast_script *h = sp_ast_script_new();
  sp_ast_expr *ast;
  assert_int_equal(sp_parse_expr(h, "lower(name)", &ast, &env->err), 0);
  sp_expr_default_name(ast, "lower(name)", small, sizeof small);
  assert_string_equal(small, "lower");
  sp_ast_script_free(h);
}

static void test_column_resolution_and_borrowing(void **state) {
  t_env *env = *state;
  sp_ast_script *h;
  sp_expr *e;
  /* a top-level column is returned borrowed */
  assert_int_equal(t_bind(env, "S", &h, &e), 0); /* case-insensitive */
  assert_int_equal(e->kind, SP_EXPR_COLUMN);
  assert_int_equal(e->column, 3);
  assert_int_equal(e->npath, 0);
  sp_value_ref r;
  assert_int_equal(sp_expr_eval(e, env->batch, &env->ectx, &r, &env->err), 0);
  assert_false(r.owned);
  assert_ptr_equal(r.vec, env->batch->cols[3]);
  sp_value_ref_release(&r);
  sp_expr_free(e);
  sp_ast_script_free(h);
  /* qualifier skipped; struct paths */
  assert_int_equal(t_bind(env, "t.st.y.z", &h, &e), 0);
  assert_int_equal(e->column, 7);
  assert_int_equal(e->npath, 2);
  assert_int_equal(e->path[0], 1);
  assert_int_equal(e->path[1], 0);
  assert_string_equal(env->type, "string");
  /* st has a NULL row and y a NULL row: a copy with the parents' nulls applied */
  assert_int_equal(sp_expr_eval(e, env->batch, &env->ectx, &r, &env->err), 0);
  assert_true(r.owned);
  t_render_(env, r.vec);
  assert_string_equal(env->out, "a|null|null|d");
  assert_int_equal(r.vec->null_count, 2);
  sp_value_ref_release(&r);
  sp_expr_free(e);
  sp_ast_script_free(h);
  assert_string_equal(t_eval(env, "st.x"), "1|2|null|null");
  assert_string_equal(t_eval(env, "ST.Y"), "{a}|null|null|{d}");
  assert_string_equal(t_eval(env, "(st).x + 1"), "2|3|null|null");
  assert_string_equal(t_eval(env, "st['x']"), "1|2|null|null");
}

/* A struct column without nulls: field access borrows the child vector. */
static void test_struct_path_borrowed(void **state) {
  t_env *env = *state;
  sp_type *inner = sp_type_struct_new(2);
  sp_type_struct_set(inner, 0, "City", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(inner, 1, "PinCode", sp_type_prim(SP_BIGINT), true);
  sp_type *sch = sp_type_struct_new(2);
  sp_type_struct_set(sch, 0, "InvoiceNumber", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(sch, 1, "DeliveryAddress", inner, true);
  sp_batch *bt = sp_batch_new(sch, 3);
  const char *cities[] = {"Pune", NULL, "Mumbai"};
  for (int i = 0; i < 3; i++) {
    t_str_(bt->cols[0], "INV");
    sp_vec *da = bt->cols[1];
    if (cities[i])
      t_str_(da->children[0], cities[i]);
    else
      sp_vec_append_null(da->children[0]);
    sp_vec_append_i64(da->children[1], 411000 + i);
    sp_vec_struct_append(da, true);
  }
  assert_int_equal(sp_batch_finish(bt), 0);
  const char *text = "DeliveryAddress.City";
  sp_ast_script *h = sp_ast_script_new();
  sp_ast_expr *ast;
  assert_int_equal(sp_parse_expr(h, text, &ast, &env->err), 0);
  sp_bind_ctx bc = {sch, text, false, false, "UTC", NULL};
  sp_expr *e;
  assert_int_equal(sp_expr_bind(&bc, ast, &e, &env->err), 0);
  char name[64];
  sp_expr_default_name(ast, text, name, sizeof name);
  assert_string_equal(name, "City");
  sp_value_ref r;
  assert_int_equal(sp_expr_eval(e, bt, &env->ectx, &r, &env->err), 0);
  assert_false(r.owned);
  assert_ptr_equal(r.vec, bt->cols[1]->children[0]);
  t_render_(env, r.vec);
  assert_string_equal(env->out, "Pune|null|Mumbai");
  sp_value_ref_release(&r);
  sp_expr_free(e);
  sp_ast_script_free(h);
  sp_batch_free(bt);
  sp_type_unref(sch);
}

static void test_arrays_and_structs(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "arr[0]"), "1|null|null|4");
  assert_string_equal(t_eval(env, "arr[1]"), "2|null|null|null");
  assert_string_equal(t_eval(env, "arr[-1]"), "null|null|null|null");
  assert_string_equal(t_eval(env, "arr[i]"), "2|null|null|null");
  assert_string_equal(t_eval(env, "element_at(arr, 1)"), "1|null|null|4");
  assert_string_equal(t_eval(env, "element_at(arr, -1)"), "3|null|null|null");
  assert_string_equal(t_eval(env, "element_at(arr, 5)"), "null|null|null|null");
  assert_string_equal(t_eval(env, "size(arr)"), "3|0|-1|2");
  assert_string_equal(t_type(env, "array(i, 1)"), "array<int>");
  assert_string_equal(t_eval(env, "array(i, 1)"), "[1, 1]|[-2, 1]|[null, 1]|[2147483647, 1]");
  assert_string_equal(t_type(env, "array(i, d)"), "array<double>");
  assert_string_equal(t_type(env, "array()"), "array<string>");
  assert_string_equal(t_eval(env, "size(array())"), "0|0|0|0");
  assert_string_equal(t_type(env, "struct(i, s)"), "struct<i:int,s:string>");
  assert_string_equal(t_type(env, "struct(i + 1, st.x, 'k')"), "struct<col1:int,x:int,col3:string>");
  assert_string_equal(t_eval(env, "struct(i + 1, st.x, 'k')"), "{2, 1, k}|{-1, 2, k}|{null, null, k}|{-2147483648, null, k}");
  assert_string_equal(t_type(env, "named_struct('n', s, 'm', d)"), "struct<n:string,m:double>");
  assert_string_equal(t_eval(env, "named_struct('n', s, 'm', d).m"), "1.5|-0.5|null|2.675");
  assert_string_equal(t_eval(env, "named_struct('a', 1, 'b', 'x')"), "{1, x}|{1, x}|{1, x}|{1, x}");
  assert_string_equal(t_type(env, "struct(*)"), "struct<i:int,l:bigint,d:double,s:string,b:boolean,ts:timestamp,"
                                                "dt:date,st:struct<x:int,y:struct<z:string>>,arr:array<int>,u:string>");
}

static void test_aggregates(void **state) {
  t_env *env = *state;
  assert_string_equal(t_bind_err(env, "count(*) + 1"),
                      "line 1:1: aggregate function count is not allowed here\ncount(*) + 1\n^");
  env->allow_agg = true;
  struct {
    const char *text;
    sp_agg_kind kind;
    int nargs;
    const char *type;
    const char *argtype;
  } cases[] = {
      {"count(*)", SP_AGG_COUNT_STAR, 0, "bigint", NULL},
      {"count(i)", SP_AGG_COUNT, 1, "bigint", "int"},
      {"count(1)", SP_AGG_COUNT, 1, "bigint", "int"},
      {"sum(i)", SP_AGG_SUM, 1, "bigint", "int"},
      {"sum(l)", SP_AGG_SUM, 1, "bigint", "bigint"},
      {"sum(d)", SP_AGG_SUM, 1, "double", "double"},
      {"sum(s)", SP_AGG_SUM, 1, "double", "double"},
      {"avg(i)", SP_AGG_AVG, 1, "double", "int"},
      {"mean(s)", SP_AGG_AVG, 1, "double", "double"},
      {"min(s)", SP_AGG_MIN, 1, "string", "string"},
      {"max(ts)", SP_AGG_MAX, 1, "timestamp", "timestamp"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sp_ast_script *h;
    sp_expr *e;
    assert_int_equal(t_bind(env, cases[k].text, &h, &e), 0);
    assert_int_equal(e->kind, SP_EXPR_AGG);
    assert_int_equal(e->agg, cases[k].kind);
    assert_int_equal(e->nargs, cases[k].nargs);
    assert_false(e->agg_distinct);
    assert_string_equal(env->type, cases[k].type);
    if (cases[k].argtype) {
      char at[64];
      sp_type_to_string(e->args[0]->type, at, sizeof at);
      assert_string_equal(at, cases[k].argtype);
    }
    assert_true(sp_expr_has_agg(e));
    sp_expr_free(e);
    sp_ast_script_free(h);
  }
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, "count(DISTINCT s)", &h, &e), 0);
  assert_true(e->agg_distinct);
  sp_expr_free(e);
  sp_ast_script_free(h);
  /* an aggregate nested in a scalar expression binds: the planner evaluates the AGG child */
  assert_int_equal(t_bind(env, "sum(i) * 0.2", &h, &e), 0);
  assert_int_equal(e->kind, SP_EXPR_CALL);
  assert_string_equal(env->type, "double");
  assert_true(sp_expr_has_agg(e));
  assert_false(sp_expr_has_generator(e));
  sp_expr_free(e);
  sp_ast_script_free(h);
  assert_string_equal(t_bind_err(env, "sum(max(i))"),
                      "line 1:5: [NESTED_AGGREGATE_FUNCTION] It is not allowed to use an aggregate function in the "
                      "argument of another aggregate function. Please use the inner aggregate function in a "
                      "sub-query.\nsum(max(i))\n    ^");
  assert_string_equal(t_bind_err(env, "sum(b)"),
                      "line 1:1: [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"sum(b)\" due to data type "
                      "mismatch: Parameter 1 requires the \"NUMERIC\" type, however \"b\" has the type "
                      "\"BOOLEAN\".\nsum(b)\n^");
  /* evaluating an aggregate as a scalar is an error, not a crash */
  assert_int_equal(t_bind(env, "count(*)", &h, &e), 0);
  sp_value_ref r;
  assert_int_equal(sp_expr_eval(e, env->batch, &env->ectx, &r, &env->err), SPATE_EINVAL);
  sp_expr_free(e);
  sp_ast_script_free(h);
}

static void test_generators(void **state) {
  t_env *env = *state;
  assert_string_equal(t_bind_err(env, "explode(arr)"),
                      "line 1:1: [UNSUPPORTED_GENERATOR.OUTSIDE_SELECT] The generator is not supported: outside the "
                      "SELECT clause, found: explode(arr).\nexplode(arr)\n^");
  env->allow_gen = true;
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, "explode(split(s, ' '))", &h, &e), 0);
  assert_int_equal(e->kind, SP_EXPR_GENERATOR);
  assert_int_equal(e->gen, SP_GEN_EXPLODE);
  assert_string_equal(env->type, "string");
  assert_int_equal(e->nargs, 1);
  char at[64];
  sp_type_to_string(e->args[0]->type, at, sizeof at);
  assert_string_equal(at, "array<string>");
  assert_true(sp_expr_has_generator(e));
  /* the planner evaluates args[0] */
  sp_value_ref r;
  assert_int_equal(sp_expr_eval(e->args[0], env->batch, &env->ectx, &r, &env->err), 0);
  t_render_(env, r.vec);
  assert_string_equal(env->out, "[hello, world]|[Foo,bar,,baz]|null|[]");
  sp_value_ref_release(&r);
  sp_expr_free(e);
  sp_ast_script_free(h);
  assert_int_equal(t_bind(env, "explode_outer(arr)", &h, &e), 0);
  assert_int_equal(e->gen, SP_GEN_EXPLODE_OUTER);
  assert_string_equal(env->type, "int");
  sp_expr_free(e);
  sp_ast_script_free(h);
  assert_int_equal(t_bind(env, "posexplode(arr)", &h, &e), 0);
  assert_int_equal(e->gen, SP_GEN_POSEXPLODE);
  sp_expr_free(e);
  sp_ast_script_free(h);
  assert_string_equal(t_bind_err(env, "upper(explode(split(s, ' ')))"),
                      "line 1:7: [UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS] The generator is not supported: "
                      "nested in expressions \"upper(explode(split(s,  , -1)))\".\nupper(explode(split(s, ' ')))\n"
                      "      ^");
  assert_string_equal(t_bind_err(env, "explode(s)"),
                      "line 1:1: [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"explode(s)\" due to data "
                      "type mismatch: Parameter 1 requires the (\"ARRAY\" or \"MAP\") type, however \"s\" has the "
                      "type \"STRING\".\nexplode(s)\n^");
}

static void test_constant_folding(void **state) {
  t_env *env = *state;
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, "upper('a' || 'b') || CAST(1 + 2 AS STRING)", &h, &e), 0);
  assert_int_equal(e->kind, SP_EXPR_LITERAL);
  int32_t len;
  const char *p = sp_vec_str(e->literal, 0, &len);
  assert_int_equal(len, 3);
  assert_memory_equal(p, "AB3", 3);
  sp_expr_free(e);
  sp_ast_script_free(h);
  /* current_timestamp() depends on the batch and is never folded */
  assert_int_equal(t_bind(env, "current_timestamp()", &h, &e), 0);
  assert_int_equal(e->kind, SP_EXPR_CALL);
  sp_expr_free(e);
  sp_ast_script_free(h);
  /* literal results broadcast to the batch length */
  assert_string_equal(t_eval(env, "1 + 1"), "2|2|2|2");
  assert_string_equal(t_eval(env, "NULL"), "null|null|null|null");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_unknown_column_error, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_type_errors, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_default_names, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_column_resolution_and_borrowing, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_struct_path_borrowed, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_arrays_and_structs, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_aggregates, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_generators, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_constant_folding, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
