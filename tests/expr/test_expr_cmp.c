/* test_expr_cmp.c - comparisons, three-valued logic, IN, BETWEEN, CASE, COALESCE, LIKE/RLIKE and
 * sp_expr_filter (src/expr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

static void test_comparisons(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "i > 0"), "true|false|null|true");
  assert_string_equal(t_eval(env, "i = 1"), "true|false|null|false");
  assert_string_equal(t_eval(env, "i <> 1"), "false|true|null|true");
  assert_string_equal(t_eval(env, "i != 1"), "false|true|null|true");
  assert_string_equal(t_eval(env, "i <= -2"), "false|true|null|false");
  assert_string_equal(t_eval(env, "1 < i"), "false|false|null|true");
  assert_string_equal(t_eval(env, "i >= l"), "false|false|null|null");
  assert_string_equal(t_eval(env, "s < 'b'"), "false|true|null|true");
  assert_string_equal(t_eval(env, "s = ''"), "false|false|null|true");
  assert_string_equal(t_eval(env, "d = 1.5"), "true|false|null|false");
  assert_string_equal(t_eval(env, "b = false"), "false|true|null|false");
  assert_string_equal(t_eval(env, "st = st"), "true|true|null|true");
  assert_string_equal(t_eval(env, "arr < array(1, 3)"), "true|true|null|false");
}

static void test_null_safe_equality(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "i <=> NULL"), "false|false|true|false");
  assert_string_equal(t_eval(env, "NULL <=> NULL"), "true|true|true|true");
  assert_string_equal(t_eval(env, "i <=> 1"), "true|false|false|false");
  assert_string_equal(t_eval(env, "i = NULL"), "null|null|null|null");
}

static void test_comparison_coercion(void **state) {
  t_env *env = *state;
  /* string vs number -> DOUBLE */
  assert_string_equal(t_eval(env, "i = '1'"), "true|false|null|false");
  assert_string_equal(t_eval(env, "i = '1.0'"), "true|false|null|false");
  assert_string_equal(t_eval(env, "'abc' = i"), "null|null|null|null");
  /* string vs timestamp / date -> the datetime type */
  assert_string_equal(t_eval(env, "ts > '2019-01-01'"), "true|false|null|true");
  assert_string_equal(t_eval(env, "dt = '2019-05-20'"), "true|false|null|false");
  /* date vs timestamp -> timestamp */
  assert_string_equal(t_eval(env, "dt < ts"), "true|false|null|true");
  assert_string_equal(t_eval(env, "b = 'true'"), "true|false|null|true");
  /* Spark's double ordering: NaN = NaN and NaN is the largest value; -0.0 = 0.0 */
  assert_string_equal(t_eval(env, "CAST('NaN' AS DOUBLE) = CAST('nan' AS DOUBLE)"), "true|true|true|true");
  assert_string_equal(t_eval(env, "CAST('NaN' AS DOUBLE) > 1e308"), "true|true|true|true");
  assert_string_equal(t_eval(env, "-0.0 = 0.0"), "true|true|true|true");
}

static void test_three_valued_logic(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "b AND NULL"), "null|false|null|null");
  assert_string_equal(t_eval(env, "b OR NULL"), "true|null|null|true");
  assert_string_equal(t_eval(env, "NOT b"), "false|true|null|false");
  assert_string_equal(t_eval(env, "NOT NULL"), "null|null|null|null");
  assert_string_equal(t_eval(env, "b AND i > 0"), "true|false|null|true");
  assert_string_equal(t_eval(env, "i > 0 OR b"), "true|false|null|true");
  assert_string_equal(t_eval(env, "i > 5 OR b IS NULL"), "false|false|true|true");
  assert_string_equal(t_eval(env, "FALSE AND NULL"), "false|false|false|false");
  assert_string_equal(t_eval(env, "TRUE OR NULL"), "true|true|true|true");
  assert_string_equal(t_eval(env, "s IS NULL"), "false|false|true|false");
  assert_string_equal(t_eval(env, "s IS NOT NULL"), "true|true|false|true");
  assert_string_equal(t_eval(env, "isnull(arr)"), "false|false|true|false");
}

static void test_in_between(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "i IN (1, 2147483647)"), "true|false|null|true");
  assert_string_equal(t_eval(env, "i IN (1, NULL)"), "true|null|null|null");
  assert_string_equal(t_eval(env, "i NOT IN (1, NULL)"), "false|null|null|null");
  assert_string_equal(t_eval(env, "i NOT IN (1, 5)"), "false|true|null|true");
  assert_string_equal(t_eval(env, "s IN ('x', 'hello world')"), "true|false|null|false");
  assert_string_equal(t_eval(env, "i IN (l, 1)"), "true|false|null|null");
  /* IN uses the wider common type: INT with STRING compares as STRING */
  assert_string_equal(t_eval(env, "i IN ('1', 2)"), "true|false|null|false");
  assert_string_equal(t_eval(env, "i BETWEEN -2 AND 1"), "true|true|null|false");
  assert_string_equal(t_eval(env, "i NOT BETWEEN -2 AND 1"), "false|false|null|true");
  assert_string_equal(t_eval(env, "d BETWEEN i AND l"), "true|true|null|false");
}

static void test_case_if_coalesce(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' END"), "pos|neg|null|pos");
  assert_string_equal(t_type(env, "CASE WHEN b THEN i ELSE l END"), "bigint");
  assert_string_equal(t_eval(env, "CASE WHEN b THEN i ELSE l END"), "1|20|30|2147483647");
  assert_string_equal(t_eval(env, "CASE i WHEN 1 THEN 'one' WHEN -2 THEN 'minus two' ELSE 'other' END"),
                      "one|minus two|other|other");
  assert_string_equal(t_eval(env, "CASE WHEN i > 0 THEN st END"), "{1, {a}}|null|null|{null, {d}}");
  assert_string_equal(t_eval(env, "CASE WHEN b THEN 1 ELSE 2.5 END"), "1.0|2.5|2.5|1.0");
  assert_string_equal(t_eval(env, "if(b, 'y', 'n')"), "y|n|n|y");
  assert_string_equal(t_eval(env, "if(i > 0, s, NULL)"), "hello world|null|null|");
  assert_string_equal(t_type(env, "coalesce(i, l, 0)"), "bigint");
  assert_string_equal(t_eval(env, "coalesce(i, l, 0)"), "1|-2|30|2147483647");
  assert_string_equal(t_eval(env, "coalesce(NULL, s)"), "hello world|Foo,bar,,baz|null|");
  assert_string_equal(t_eval(env, "nvl(d, 0)"), "1.5|-0.5|0.0|2.675");
  assert_string_equal(t_eval(env, "ifnull(s, 'none')"), "hello world|Foo,bar,,baz|none|");
  assert_string_equal(t_eval(env, "nullif(i, 1)"), "null|-2|null|2147483647");
  assert_string_equal(t_eval(env, "coalesce(i, 'x')"), "1|-2|x|2147483647");
  assert_string_equal(t_type(env, "coalesce(i, 'x')"), "string");
}

static void test_like_rlike(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "s LIKE '%o%'"), "true|true|null|false");
  assert_string_equal(t_eval(env, "s NOT LIKE 'hello%'"), "false|true|null|true");
  assert_string_equal(t_eval(env, "s LIKE ''"), "false|false|null|true");
  assert_string_equal(t_eval(env, "u LIKE '%l'"), "true|false|false|false");
  assert_string_equal(t_eval(env, "u LIKE 'x'"), "false|false|true|false");
  /* `_` is one character, also a two-byte UTF-8 one */
  assert_string_equal(t_eval(env, "u LIKE '_pfel%'"), "true|false|false|false");
  assert_string_equal(t_eval(env, "u LIKE '%p_d%'"), "false|false|false|true");
  assert_string_equal(t_eval(env, "u LIKE '%a%b%c'"), "false|true|false|false");
  /* backslash escapes: SQL 'a\\_b\\%c' is the LIKE pattern a\_b\%c */
  assert_string_equal(t_eval(env, "u LIKE 'a\\\\_b\\\\%c'"), "false|true|false|false");
  assert_string_equal(t_eval(env, "'axb' LIKE 'a\\\\_b'"), "false|false|false|false");
  assert_string_equal(t_eval(env, "like(s, 'F%')"), "false|true|null|false");
  assert_string_equal(t_eval(env, "s RLIKE '^[A-Z]'"), "false|true|null|false");
  assert_string_equal(t_eval(env, "u RLIKE '\xC3\x96'"), "true|false|false|false");
  assert_string_equal(t_eval(env, "s RLIKE ''"), "true|true|null|true");
  assert_string_equal(t_eval(env, "s NOT RLIKE 'o{2}'"), "true|false|null|true");
  assert_string_equal(t_eval(env, "s REGEXP 'wor'"), "true|false|null|false");
  /* a non-literal pattern is compiled per distinct value */
  assert_string_equal(t_eval(env, "u LIKE u"), "true|true|true|true");
  assert_string_equal(t_eval(env, "s RLIKE s"), "true|true|null|true");
}

static void check_filter_(t_env *env, const char *text, const int32_t *want, int64_t nwant) {
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, text, &h, &e), 0);
  int32_t sel[4];
  int64_t n = -1;
  assert_int_equal(sp_expr_filter(e, env->batch, &env->ectx, sel, &n, &env->err), 0);
  assert_int_equal(n, nwant);
  for (int64_t k = 0; k < n; k++) assert_int_equal(sel[k], want[k]);
  sp_expr_free(e);
  sp_ast_script_free(h);
}

static void test_filter(void **state) {
  t_env *env = *state;
  check_filter_(env, "i > 0", (int32_t[]){0, 3}, 2);
  check_filter_(env, "b", (int32_t[]){0, 3}, 2);
  check_filter_(env, "NOT b", (int32_t[]){1}, 1);
  check_filter_(env, "i > 0 OR b IS NULL", (int32_t[]){0, 2, 3}, 3);
  check_filter_(env, "true", (int32_t[]){0, 1, 2, 3}, 4);
  check_filter_(env, "1 = 2", NULL, 0);
  check_filter_(env, "NULL", NULL, 0);
  check_filter_(env, "s LIKE '%o%'", (int32_t[]){0, 1}, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_comparisons, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_null_safe_equality, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_comparison_coercion, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_three_valued_logic, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_in_between, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_case_if_coalesce, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_like_rlike, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_filter, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
