/* test_expr_arith.c - arithmetic kernels, implicit numeric casts and NULL semantics (src/expr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

static void test_int_ops_and_wrap(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "i + 1"), "2|-1|null|-2147483648"); /* INT overflow wraps */
  assert_string_equal(t_type(env, "i + 1"), "int");
  assert_string_equal(t_eval(env, "i - 3"), "-2|-5|null|2147483644");
  assert_string_equal(t_eval(env, "i * 2"), "2|-4|null|-2");
  assert_string_equal(t_eval(env, "i % 2"), "1|0|null|1");
  assert_string_equal(t_eval(env, "-i"), "-1|2|null|-2147483647");
  assert_string_equal(t_eval(env, "7 % -3"), "1|1|1|1");
  assert_string_equal(t_eval(env, "-7 % 3"), "-1|-1|-1|-1");
}

static void test_widening(void **state) {
  t_env *env = *state;
  /* INT op BIGINT -> BIGINT: no wrap at 2^31 */
  assert_string_equal(t_type(env, "i + l"), "bigint");
  assert_string_equal(t_eval(env, "i + l"), "11|18|null|null");
  assert_string_equal(t_eval(env, "i + 1L"), "2|-1|null|2147483648");
  /* integral op DOUBLE -> DOUBLE */
  assert_string_equal(t_type(env, "i * d"), "double");
  assert_string_equal(t_eval(env, "i * d"), "1.5|1.0|null|5.744518755724999E9");
  /* `/` is always DOUBLE */
  assert_string_equal(t_type(env, "l / 4"), "double");
  assert_string_equal(t_eval(env, "l / 4"), "2.5|5.0|7.5|null");
  /* string operands become DOUBLE */
  assert_string_equal(t_type(env, "'1.5' + i"), "double");
  assert_string_equal(t_eval(env, "'1.5' + i"), "2.5|-0.5|null|2.1474836485E9");
  assert_string_equal(t_eval(env, "'x' + 1"), "null|null|null|null");
  /* NULL literal adapts */
  assert_string_equal(t_type(env, "i + NULL"), "int");
  assert_string_equal(t_eval(env, "i + NULL"), "null|null|null|null");
}

static void test_division_by_zero(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "i / 0"), "null|null|null|null");
  assert_string_equal(t_eval(env, "d / (i - 1)"), "null|0.16666666666666666|null|1.2456439447082988E-9");
  assert_string_equal(t_eval(env, "i % 0"), "null|null|null|null");
  assert_string_equal(t_eval(env, "d % 0"), "null|null|null|null");
  assert_string_equal(t_eval(env, "l div 0"), "null|null|null|null");
  assert_string_equal(t_eval(env, "l div 7"), "1|2|4|null");
  assert_string_equal(t_type(env, "i div 2"), "bigint");
  assert_string_equal(t_eval(env, "-9223372036854775807L - 1L"),
                      "-9223372036854775808|-9223372036854775808|-9223372036854775808|-9223372036854775808");
  assert_string_equal(t_eval(env, "(-9223372036854775807L - 1L) div -1"),
                      "-9223372036854775808|-9223372036854775808|-9223372036854775808|-9223372036854775808");
}

static void test_doubles(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "d + 0.25"), "1.75|-0.25|null|2.925");
  assert_string_equal(t_eval(env, "d % 1"), "0.5|-0.5|null|0.6749999999999998");
  assert_string_equal(t_eval(env, "l * 0.2"), "2.0|4.0|6.0|null");
}

static void test_math_functions(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "abs(i)"), "1|2|null|2147483647");
  assert_string_equal(t_eval(env, "abs(d)"), "1.5|0.5|null|2.675");
  assert_string_equal(t_eval(env, "abs(-2147483647 - 1)"), "-2147483648|-2147483648|-2147483648|-2147483648");
  /* HALF_UP on the decimal representation, as Spark's BigDecimal rounding */
  assert_string_equal(t_eval(env, "round(d, 2)"), "1.5|-0.5|null|2.68");
  assert_string_equal(t_eval(env, "round(d)"), "2.0|-1.0|null|3.0");
  assert_string_equal(t_type(env, "round(d)"), "double");
  assert_string_equal(t_eval(env, "round(1.25, 1)"), "1.3|1.3|1.3|1.3");
  assert_string_equal(t_eval(env, "round(-2.5)"), "-3.0|-3.0|-3.0|-3.0");
  assert_string_equal(t_eval(env, "round(0.045, 2)"), "0.05|0.05|0.05|0.05");
  /* BigDecimal has no negative zero: a zero result is 0.0, never -0.0 */
  assert_string_equal(t_eval(env, "round(-0.0D, 2)"), "0.0|0.0|0.0|0.0");
  assert_string_equal(t_eval(env, "round(-0.04D, 1)"), "0.0|0.0|0.0|0.0");
  assert_string_equal(t_eval(env, "round(-0.0004D, 2)"), "0.0|0.0|0.0|0.0");
  assert_string_equal(t_eval(env, "round(-0.05D, 1)"), "-0.1|-0.1|-0.1|-0.1");
  assert_string_equal(t_eval(env, "round(i, -1)"), "0|0|null|-2147483646");
  assert_string_equal(t_eval(env, "round(125, -1)"), "130|130|130|130");
  assert_string_equal(t_eval(env, "round(-125, -1)"), "-130|-130|-130|-130");
  assert_string_equal(t_type(env, "round(i)"), "int");
  assert_string_equal(t_eval(env, "floor(d)"), "1|-1|null|2");
  assert_string_equal(t_eval(env, "ceil(d)"), "2|0|null|3");
  assert_string_equal(t_type(env, "ceil(d)"), "bigint");
  assert_string_equal(t_type(env, "floor(i)"), "bigint");
  assert_string_equal(t_eval(env, "floor(i)"), "1|-2|null|2147483647");
  assert_string_equal(t_eval(env, "ceil('2.1')"), "3|3|3|3");
}

static void test_date_and_interval_arith(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "dt + 1"), "2019-05-21|1970-01-02|null|2020-03-01");
  assert_string_equal(t_eval(env, "dt - 1"), "2019-05-19|1969-12-31|null|2020-02-28");
  assert_string_equal(t_type(env, "dt + 1"), "date");
  assert_string_equal(t_eval(env, "ts + INTERVAL 15 MINUTES"),
                      "2019-05-20 10:20:00|1970-01-01 00:15:00|null|2020-03-01 00:14:59.5");
  assert_string_equal(t_eval(env, "ts - INTERVAL '1 hour'"),
                      "2019-05-20 09:05:00|1969-12-31 23:00:00|null|2020-02-29 22:59:59.5");
  assert_string_equal(t_eval(env, "ts BETWEEN ts AND ts + INTERVAL 15 MINUTE"), "true|true|null|true");
}

static void test_big_vectors_and_scalar_shapes(void **state) {
  t_env *env = *state;
  /* A long batch exercises the vector/vector, vector/scalar and scalar/vector loops. */
  sp_type *sch = sp_type_struct_new(2);
  sp_type_struct_set(sch, 0, "x", sp_type_prim(SP_BIGINT), false);
  sp_type_struct_set(sch, 1, "y", sp_type_prim(SP_BIGINT), true);
  sp_batch *bt = sp_batch_new(sch, 1000);
  for (int r = 0; r < 1000; r++) {
    sp_vec_append_i64(bt->cols[0], r);
    if (r % 7 == 0)
      sp_vec_append_null(bt->cols[1]);
    else
      sp_vec_append_i64(bt->cols[1], 2 * r);
  }
  sp_batch_finish(bt);
  const char *exprs[] = {"x + y", "x + 5", "5 - x", "y * 3"};
  for (int k = 0; k < 4; k++) {
    sp_ast_script *h = sp_ast_script_new();
    sp_ast_expr *ast;
    assert_int_equal(sp_parse_expr(h, exprs[k], &ast, &env->err), 0);
    sp_bind_ctx bc = {sch, exprs[k], false, false, "UTC", NULL};
    sp_expr *e;
    assert_int_equal(sp_expr_bind(&bc, ast, &e, &env->err), 0);
    sp_value_ref r;
    assert_int_equal(sp_expr_eval(e, bt, &env->ectx, &r, &env->err), 0);
    assert_int_equal(r.vec->length, 1000);
    for (int i = 0; i < 1000; i++) {
      bool ynull = i % 7 == 0;
      int64_t want;
      bool null = false;
      switch (k) {
        case 0: want = i + 2 * i; null = ynull; break;
        case 1: want = i + 5; break;
        case 2: want = 5 - i; break;
        default: want = 6 * i; null = ynull; break;
      }
      assert_int_equal(sp_vec_is_null(r.vec, i), null);
      if (!null) assert_int_equal(sp_vec_i64(r.vec)[i], want);
    }
    assert_int_equal(r.vec->null_count, (k == 0 || k == 3) ? 143 : 0);
    sp_value_ref_release(&r);
    sp_expr_free(e);
    sp_ast_script_free(h);
  }
  sp_batch_free(bt);
  sp_type_unref(sch);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_int_ops_and_wrap, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_widening, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_division_by_zero, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_doubles, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_math_functions, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_date_and_interval_arith, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_big_vectors_and_scalar_shapes, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
