/* test_expr_eval.c - evaluator edge cases: empty and one-row batches, every function over every
 * shape without leaks, and concurrent evaluation of one bound tree (src/expr). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

static const char *const exprs_[] = {
    "i + l", "i / 0", "d * 2", "-i", "i % 3", "l div 3", "abs(d)", "round(d, 1)", "floor(d)", "ceil(d)",
    "dt + 1", "ts + INTERVAL 1 HOUR", "i = l", "s < 'm'", "i <=> NULL", "b AND i > 0", "b OR NULL", "NOT b",
    "s IS NULL", "i IN (1, 2, NULL)", "s LIKE '%o%'", "s RLIKE 'o+'", "CASE WHEN b THEN s ELSE u END",
    "coalesce(i, 0)", "nullif(s, '')", "if(b, arr, array(9))", "CAST(s AS INT)", "CAST(ts AS STRING)",
    "CAST(st AS STRING)", "lower(u)", "upper(s)", "trim(u)", "length(u)", "concat(s, u)", "concat_ws('-', s, u)",
    "substring(u, 2, 2)", "split(s, ',')", "split(s, '[ ,]')", "regexp_extract(s, '(o+)', 1)",
    "regexp_replace(s, 'o', '0')", "struct(i, s)", "named_struct('a', arr)", "array(i, l)", "size(arr)",
    "element_at(arr, 2)", "st.y.z", "arr[0]", "to_timestamp(s, 'yyyy')", "to_date(ts)",
    "date_format(ts, 'yyyy-MM-dd')", "unix_timestamp(ts)", "from_unixtime(l)", "timestamp_seconds(i)",
    "current_timestamp()", "current_date()", "year(ts)", "month(dt)", "dayofmonth(ts)", "hour(ts)",
    "minute(ts)", "second(ts)", "window(ts, '5 minutes')", "u LIKE u", "split(u, u)", "1", "NULL",
};

static void eval_all_(t_env *env, const sp_batch *bt) {
  for (size_t k = 0; k < sizeof exprs_ / sizeof exprs_[0]; k++) {
    sp_ast_script *h;
    sp_expr *e;
    if (t_bind(env, exprs_[k], &h, &e)) fail_msg("bind %s: %s", exprs_[k], env->err.message);
    sp_value_ref r;
    if (sp_expr_eval(e, bt, &env->ectx, &r, &env->err)) fail_msg("eval %s: %s", exprs_[k], env->err.message);
    if (r.vec->length != bt->nrows) fail_msg("%s: %lld rows", exprs_[k], (long long)r.vec->length);
    if (!sp_type_equal(r.vec->type, e->type)) fail_msg("%s: result type differs from bound type", exprs_[k]);
    int64_t nulls = 0;
    for (int64_t i = 0; i < r.vec->length; i++) nulls += sp_vec_is_null(r.vec, i);
    if (nulls != r.vec->null_count) fail_msg("%s: null_count %lld != %lld", exprs_[k], (long long)r.vec->null_count,
                                             (long long)nulls);
    sp_value_ref_release(&r);
    sp_expr_free(e);
    sp_ast_script_free(h);
  }
}

static void test_every_function_on_full_batch(void **state) {
  t_env *env = *state;
  eval_all_(env, env->batch);
}

static void test_empty_batch(void **state) {
  t_env *env = *state;
  sp_batch *empty = sp_batch_new(env->schema, 0);
  assert_int_equal(sp_batch_finish(empty), 0);
  assert_int_equal(empty->nrows, 0);
  eval_all_(env, empty);
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, "i > 0", &h, &e), 0);
  int32_t sel[1];
  int64_t n = 7;
  assert_int_equal(sp_expr_filter(e, empty, &env->ectx, sel, &n, &env->err), 0);
  assert_int_equal(n, 0);
  sp_expr_free(e);
  sp_ast_script_free(h);
  sp_batch_free(empty);
}

static void test_single_row_batch(void **state) {
  t_env *env = *state;
  int32_t idx[] = {1};
  sp_batch *one = sp_batch_take(env->batch, idx, 1);
  assert_non_null(one);
  eval_all_(env, one);
  sp_batch *keep = env->batch;
  env->batch = one;
  assert_string_equal(t_eval(env, "s || '!'"), "Foo,bar,,baz!");
  assert_string_equal(t_eval(env, "'a' || 'b'"), "ab");
  assert_string_equal(t_eval(env, "current_date()"), "2019-05-20");
  env->batch = keep;
  sp_batch_free(one);
}

typedef struct worker {
  const sp_expr *e;
  const sp_batch *bt;
  int ok;
} worker;

static void *work_(void *p) {
  worker *w = p;
  sp_eval_ctx c = {T_US_2019, "UTC"};
  w->ok = 1;
  for (int it = 0; it < 200; it++) {
    spate_error err;
    sp_value_ref r;
    if (sp_expr_eval(w->e, w->bt, &c, &r, &err)) {
      w->ok = 0;
      break;
    }
    /* row 1 of "Foo,bar,,baz" split on [,o]+ -> F, bar, baz */
    const sp_vec *v = r.vec;
    if (v->offsets[2] - v->offsets[1] != 3) w->ok = 0;
    sp_value_ref_release(&r);
  }
  return NULL;
}

static void test_concurrent_evaluation(void **state) {
  t_env *env = *state;
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, "split(regexp_replace(s, 'x', 'y'), '[,o]+')", &h, &e), 0);
  pthread_t th[4];
  worker w[4];
  for (int k = 0; k < 4; k++) {
    w[k] = (worker){e, env->batch, 0};
    assert_int_equal(pthread_create(&th[k], NULL, work_, &w[k]), 0);
  }
  for (int k = 0; k < 4; k++) {
    pthread_join(th[k], NULL);
    assert_int_equal(w[k].ok, 1);
  }
  sp_expr_free(e);
  sp_ast_script_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_every_function_on_full_batch, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_empty_batch, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_single_row_batch, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_evaluation, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
