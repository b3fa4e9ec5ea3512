/* test_expr_cast.c - Spark's non-ANSI CAST rules through SQL and through sp_cast_vec (src/expr). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

/* Cast a vector with sp_cast_vec and render it. */
static const char *cast_render_(t_env *env, const sp_vec *in, sp_type_id to) {
  sp_vec *out = NULL;
  int rc = sp_cast_vec(in, sp_type_prim(to), &env->ectx, &out, &env->err);
  if (rc) {
    snprintf(env->out, sizeof env->out, "ERR: %s", env->err.message);
    return env->out;
  }
  assert_int_equal(out->length, in->length);
  assert_true(sp_type_equal(out->type, sp_type_prim(to)));
  int64_t nulls = 0;
  for (int64_t i = 0; i < out->length; i++) nulls += sp_vec_is_null(out, i);
  assert_int_equal(out->null_count, nulls);
  t_render_(env, out);
  sp_vec_free(out);
  return env->out;
}

static sp_vec *strings_(const char *const *vals, int n) {
  sp_vec *v = sp_vec_new(sp_type_prim(SP_STRING), n);
  for (int i = 0; i < n; i++) {
    if (vals[i])
      sp_vec_append_str(v, vals[i], (int32_t)strlen(vals[i]));
    else
      sp_vec_append_null(v);
  }
  return v;
}

static void test_string_to_numbers(void **state) {
  t_env *env = *state;
  const char *vals[] = {" 42 ", "1.9", "-1.9", "2147483648", "9223372036854775807", "9223372036854775808", "1e3",
                        "",     "+7",  ".5",   "1.2.3",      "abc",                 NULL,                  "-",
                        "0x10", "  -0  "};
  sp_vec *v = strings_(vals, 16);
  assert_string_equal(cast_render_(env, v, SP_INT), "42|1|-1|null|null|null|null|null|7|0|null|null|null|null|null|0");
  assert_string_equal(cast_render_(env, v, SP_BIGINT),
                      "42|1|-1|2147483648|9223372036854775807|null|null|null|7|0|null|null|null|null|null|0");
  assert_string_equal(cast_render_(env, v, SP_DOUBLE),
                      "42.0|1.9|-1.9|2.147483648E9|9.223372036854776E18|9.223372036854776E18|1000.0|null|7.0|0.5|"
                      "null|null|null|null|null|-0.0");
  sp_vec_free(v);
  const char *specials[] = {"NaN", "Infinity", "-Infinity", "inf", "+INF", "-infinity", "nan", "1.5d", "2f", "1e",
                            "1e+2", "-.5e-1"};
  v = strings_(specials, 12);
  assert_string_equal(cast_render_(env, v, SP_DOUBLE),
                      "NaN|Infinity|-Infinity|Infinity|Infinity|-Infinity|NaN|1.5|2.0|null|100.0|-0.05");
  sp_vec_free(v);
}

static void test_string_to_boolean_and_date(void **state) {
  t_env *env = *state;
  const char *b[] = {"t", "TRUE", " yes ", "1", "f", "False", "no", "0", "2", "", NULL};
  sp_vec *v = strings_(b, 11);
  assert_string_equal(cast_render_(env, v, SP_BOOLEAN), "true|true|true|true|false|false|false|false|null|null|null");
  sp_vec_free(v);
  const char *d[] = {"2019-05-20", "2019-5-2", "2019",      "2019-02-30", "2019-05-20T10:00", "2019-05-20 xx",
                     "20190520",   "  2020-02-29  ", "abc", "2019-13-01", "2019-05"};
  v = strings_(d, 11);
  assert_string_equal(cast_render_(env, v, SP_DATE),
                      "2019-05-20|2019-05-02|2019-01-01|null|2019-05-20|2019-05-20|null|2020-02-29|null|null|"
                      "2019-05-01");
  sp_vec_free(v);
}

static void test_string_to_timestamp(void **state) {
  t_env *env = *state;
  const char *d[] = {"2019-05-20 10:05:00", "2019-05-20", "garbage", NULL, "2019-05-20 10:05:00.25"};
  sp_vec *v = strings_(d, 5);
  assert_string_equal(cast_render_(env, v, SP_TIMESTAMP),
                      "2019-05-20 10:05:00|2019-05-20 00:00:00|null|null|2019-05-20 10:05:00.25");
  sp_vec_free(v);
}

static void test_numeric_casts(void **state) {
  t_env *env = *state;
  sp_vec *dv = sp_vec_new(sp_type_prim(SP_DOUBLE), 6);
  double ds[] = {1.9, -1.9, 1e10, -1e10, NAN, INFINITY};
  for (int i = 0; i < 6; i++) sp_vec_append_f64(dv, ds[i]);
  assert_string_equal(cast_render_(env, dv, SP_INT), "1|-1|2147483647|-2147483648|0|2147483647");
  assert_string_equal(cast_render_(env, dv, SP_BIGINT), "1|-1|10000000000|-10000000000|0|9223372036854775807");
  assert_string_equal(cast_render_(env, dv, SP_STRING), "1.9|-1.9|1.0E10|-1.0E10|NaN|Infinity");
  assert_string_equal(cast_render_(env, dv, SP_BOOLEAN), "true|true|true|true|true|true");
  sp_vec_free(dv);
  sp_vec *lv = sp_vec_new(sp_type_prim(SP_BIGINT), 4);
  int64_t ls[] = {4294967297LL, 2147483648LL, -1, 0};
  for (int i = 0; i < 4; i++) sp_vec_append_i64(lv, ls[i]);
  assert_string_equal(cast_render_(env, lv, SP_INT), "1|-2147483648|-1|0");
  assert_string_equal(cast_render_(env, lv, SP_BOOLEAN), "true|true|true|false");
  assert_string_equal(cast_render_(env, lv, SP_TIMESTAMP),
                      "2106-02-07 06:28:17|2038-01-19 03:14:08|1969-12-31 23:59:59|1970-01-01 00:00:00");
  sp_vec_free(lv);
  assert_string_equal(t_eval(env, "CAST(b AS INT)"), "1|0|null|1");
  assert_string_equal(t_eval(env, "CAST(i AS BOOLEAN)"), "true|true|null|true");
  assert_string_equal(t_eval(env, "CAST(d AS STRING)"), "1.5|-0.5|null|2.675");
  assert_string_equal(t_eval(env, "CAST(i AS DOUBLE) / 2"), "0.5|-1.0|null|1.0737418235E9");
  assert_string_equal(t_eval(env, "CAST(l * 0.25 AS INT)"), "2|5|7|null");
  assert_string_equal(t_eval(env, "CAST(-2.5 AS BIGINT)"), "-2|-2|-2|-2");
}

static void test_datetime_casts(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "CAST(ts AS BIGINT)"), "1558346700|0|null|1583020799");
  assert_string_equal(t_eval(env, "CAST(ts AS DOUBLE)"), "1.5583467E9|0.0|null|1.5830207995E9");
  assert_string_equal(t_eval(env, "CAST(ts - INTERVAL '500 milliseconds' AS BIGINT)"), "1558346699|-1|null|1583020799");
  assert_string_equal(t_eval(env, "CAST(ts AS DATE)"), "2019-05-20|1970-01-01|null|2020-02-29");
  assert_string_equal(t_eval(env, "CAST(dt AS TIMESTAMP)"), "2019-05-20 00:00:00|1970-01-01 00:00:00|null|2020-02-29 00:00:00");
  assert_string_equal(t_eval(env, "CAST(ts AS STRING)"), "2019-05-20 10:05:00|1970-01-01 00:00:00|null|2020-02-29 23:59:59.5");
  assert_string_equal(t_eval(env, "CAST(dt AS STRING)"), "2019-05-20|1970-01-01|null|2020-02-29");
  assert_string_equal(t_eval(env, "CAST(1.5 AS TIMESTAMP)"),
                      "1970-01-01 00:00:01.5|1970-01-01 00:00:01.5|1970-01-01 00:00:01.5|1970-01-01 00:00:01.5");
  assert_string_equal(t_eval(env, "CAST(dt AS INT)"), "null|null|null|null");
  /* the session time zone applies to timestamp <-> local date/text */
  env->ectx.timezone = "+05:30";
  assert_string_equal(t_eval(env, "CAST(ts AS DATE)"), "2019-05-20|1970-01-01|null|2020-03-01");
  assert_string_equal(t_eval(env, "CAST(ts AS STRING)"),
                      "2019-05-20 15:35:00|1970-01-01 05:30:00|null|2020-03-01 05:29:59.5");
  assert_string_equal(t_eval(env, "CAST(CAST(dt AS TIMESTAMP) AS BIGINT)"), "1558290600|-19800|null|1582914600");
  env->ectx.timezone = "UTC";
}

static void test_complex_and_binary_casts(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "CAST(st AS STRING)"), "{1, {a}}|{2, null}|null|{null, {d}}");
  assert_string_equal(t_eval(env, "CAST(arr AS STRING)"), "[1, 2, 3]|[]|null|[4, null]");
  assert_string_equal(t_type(env, "CAST(arr AS ARRAY<STRING>)"), "array<string>");
  assert_string_equal(t_eval(env, "element_at(CAST(arr AS ARRAY<STRING>), 1) || '!'"), "1!|null|null|4!");
  assert_string_equal(t_type(env, "CAST(st AS STRUCT<x: BIGINT, y: STRUCT<z: STRING>>)"),
                      "struct<x:bigint,y:struct<z:string>>");
  assert_string_equal(t_eval(env, "CAST(st AS STRUCT<a: DOUBLE, b: STRUCT<c: STRING>>).a"), "1.0|2.0|null|null");
  assert_string_equal(t_eval(env, "CAST(CAST(s AS BINARY) AS STRING)"), "hello world|Foo,bar,,baz|null|");
  assert_string_equal(t_eval(env, "length(CAST(258 AS BINARY))"), "4|4|4|4");
}

static void test_cast_names(void **state) {
  t_env *env = *state;
  assert_string_equal(t_name(env, "CAST(value AS STRING)", false), "value");
  assert_string_equal(t_name(env, "CAST(key AS STRING)", false), "key");
  assert_string_equal(t_name(env, "CAST(i + 1 AS STRING)", false), "CAST((i + 1) AS STRING)");
  assert_string_equal(t_name(env, "CAST(st.x AS STRING)", true), "CAST(st.x AS STRING)");
  assert_string_equal(t_name(env, "CAST(t.i AS BIGINT)", true), "i");
  assert_string_equal(t_name(env, "CAST(CAST(i AS INT) AS STRING)", false), "CAST(CAST(i AS INT) AS STRING)");
  assert_string_equal(t_name(env, "upper(CAST(i AS STRING))", false), "upper(CAST(i AS STRING))");
  assert_string_equal(t_name(env, "CAST(arr AS ARRAY<STRING>)", false), "arr");
  assert_string_equal(t_name(env, "lower(CAST(st AS STRUCT<a: INT, b: STRUCT<c: STRING>>))", false),
                      "lower(CAST(st AS STRUCT<a: INT, b: STRUCT<c: STRING>>))");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_string_to_numbers, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_string_to_boolean_and_date, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_string_to_timestamp, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_numeric_casts, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_datetime_casts, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_complex_and_binary_casts, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_cast_names, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
