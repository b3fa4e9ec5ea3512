/* test_expr_time.c - datetime functions: to_timestamp/to_date, date_format, unix time,
 * current_timestamp per batch, field extraction, time zones and tumbling window() (src/expr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

static void test_to_timestamp(void **state) {
  t_env *env = *state;
  const char *q = "to_timestamp('2019-05-20 10:05:00','yyyy-MM-dd HH:mm:ss')";
  assert_string_equal(t_type(env, q), "timestamp");
  assert_string_equal(t_eval(env, q), "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  /* the value is microseconds since the epoch, UTC */
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, q, &h, &e), 0);
  sp_value_ref r;
  assert_int_equal(sp_expr_eval(e, env->batch, &env->ectx, &r, &env->err), 0);
  assert_int_equal(sp_vec_i64(r.vec)[0], T_US_2019);
  sp_value_ref_release(&r);
  sp_expr_free(e);
  sp_ast_script_free(h);
  assert_string_equal(t_eval(env, "to_timestamp('20/05/2019 10:05', 'dd/MM/yyyy HH:mm')"),
                      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  /* mismatch -> NULL */
  assert_string_equal(t_eval(env, "to_timestamp(s, 'yyyy-MM-dd HH:mm:ss')"), "null|null|null|null");
  assert_string_equal(t_eval(env, "to_timestamp('2019-05-20 10:05:00')"),
                      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  assert_string_equal(t_eval(env, "to_timestamp(ts)"), "2019-05-20 10:05:00|1970-01-01 00:00:00|null|2020-02-29 23:59:59.5");
  assert_string_equal(t_eval(env, "to_timestamp(dt)"),
                      "2019-05-20 00:00:00|1970-01-01 00:00:00|null|2020-02-29 00:00:00");
  assert_string_equal(t_eval(env, "to_date('2019-05-20 10:05:00')"), "2019-05-20|2019-05-20|2019-05-20|2019-05-20");
  assert_string_equal(t_eval(env, "to_date('20/05/2019', 'dd/MM/yyyy')"), "2019-05-20|2019-05-20|2019-05-20|2019-05-20");
  assert_string_equal(t_type(env, "to_date('20/05/2019', 'dd/MM/yyyy')"), "date");
  assert_string_equal(t_eval(env, "to_date(ts)"), "2019-05-20|1970-01-01|null|2020-02-29");
}

static void test_formatting_and_unix_time(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "date_format(ts, 'yyyy-MM-dd HH:mm')"),
                      "2019-05-20 10:05|1970-01-01 00:00|null|2020-02-29 23:59");
  assert_string_equal(t_eval(env, "date_format(dt, 'dd.MM.yyyy')"), "20.05.2019|01.01.1970|null|29.02.2020");
  assert_string_equal(t_eval(env, "date_format('2019-05-20 10:05:00', 'HH')"), "10|10|10|10");
  assert_string_equal(t_eval(env, "unix_timestamp('2019-05-20 10:05:00')"), "1558346700|1558346700|1558346700|1558346700");
  assert_string_equal(t_eval(env, "unix_timestamp(ts)"), "1558346700|0|null|1583020799");
  assert_string_equal(t_eval(env, "unix_timestamp()"), "1558346700|1558346700|1558346700|1558346700");
  assert_string_equal(t_eval(env, "unix_timestamp('bad')"), "null|null|null|null");
  assert_string_equal(t_eval(env, "unix_timestamp('20/05/2019', 'dd/MM/yyyy')"), "1558310400|1558310400|1558310400|1558310400");
  assert_string_equal(t_eval(env, "from_unixtime(1558346700)"),
                      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  assert_string_equal(t_eval(env, "from_unixtime(l, 'yyyy')"), "1970|1970|1970|null");
  assert_string_equal(t_eval(env, "timestamp_seconds(l)"), "1970-01-01 00:00:10|1970-01-01 00:00:20|1970-01-01 00:00:30|null");
  assert_string_equal(t_eval(env, "timestamp_seconds(1.5)"),
                      "1970-01-01 00:00:01.5|1970-01-01 00:00:01.5|1970-01-01 00:00:01.5|1970-01-01 00:00:01.5");
}

static void test_current_timestamp_per_batch(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "current_timestamp()"),
                      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  assert_string_equal(t_eval(env, "now()"), "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  assert_string_equal(t_eval(env, "current_timestamp"),
                      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  assert_string_equal(t_eval(env, "current_date()"), "2019-05-20|2019-05-20|2019-05-20|2019-05-20");
  /* One bound expression, two batches: the value comes from the evaluation context
   * (never folded at bind time), identical when a batch is replayed. */
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, "date_format(current_timestamp(), 'HH:mm:ss')", &h, &e), 0);
  const char *want[] = {"10:05:00", "11:00:01", "10:05:00"};
  int64_t at[] = {T_US_2019, T_US_2019 + 3301000000LL, T_US_2019};
  for (int k = 0; k < 3; k++) {
    sp_eval_ctx c = {at[k], "UTC"};
    sp_value_ref r;
    assert_int_equal(sp_expr_eval(e, env->batch, &c, &r, &env->err), 0);
    int32_t len;
    const char *p = sp_vec_str(r.vec, 3, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(p, want[k], 8);
    sp_value_ref_release(&r);
  }
  sp_expr_free(e);
  sp_ast_script_free(h);
}

static void test_fields_and_time_zones(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "year(ts)"), "2019|1970|null|2020");
  assert_string_equal(t_eval(env, "month(dt)"), "5|1|null|2");
  assert_string_equal(t_eval(env, "dayofmonth(ts)"), "20|1|null|29");
  assert_string_equal(t_eval(env, "day(dt)"), "20|1|null|29");
  assert_string_equal(t_eval(env, "hour(ts)"), "10|0|null|23");
  assert_string_equal(t_eval(env, "minute(ts)"), "5|0|null|59");
  assert_string_equal(t_eval(env, "second(ts)"), "0|0|null|59");
  assert_string_equal(t_eval(env, "year('2019-05-20')"), "2019|2019|2019|2019");
  assert_string_equal(t_eval(env, "hour('2019-05-20 17:30:00')"), "17|17|17|17");
  env->ectx.timezone = "America/Los_Angeles";
  assert_string_equal(t_eval(env, "hour(ts)"), "3|16|null|15");
  assert_string_equal(t_eval(env, "year(ts)"), "2019|1969|null|2020");
  assert_string_equal(t_eval(env, "date_format(ts, 'yyyy-MM-dd HH:mm')"),
                      "2019-05-20 03:05|1969-12-31 16:00|null|2020-02-29 15:59");
  env->ectx.timezone = "UTC";
}

static void test_tumbling_window(void **state) {
  t_env *env = *state;
  assert_string_equal(t_type(env, "window(ts, '10 minutes')"), "struct<start:timestamp,end:timestamp>");
  assert_string_equal(t_eval(env, "window(ts, '10 minutes')"),
                      "{2019-05-20 10:00:00, 2019-05-20 10:10:00}|{1970-01-01 00:00:00, 1970-01-01 00:10:00}|null|"
                      "{2020-02-29 23:50:00, 2020-03-01 00:00:00}");
  assert_string_equal(t_eval(env, "window(ts, '15 minutes').start"),
                      "2019-05-20 10:00:00|1970-01-01 00:00:00|null|2020-02-29 23:45:00");
  assert_string_equal(t_eval(env, "window(ts, INTERVAL 1 HOUR).end"),
                      "2019-05-20 11:00:00|1970-01-01 01:00:00|null|2020-03-01 00:00:00");
  assert_string_equal(t_name(env, "window(ts, '10 minutes')", false), "window");
  /* window_time: the last instant inside the window (end - 1 µs). */
  assert_string_equal(t_eval(env, "window_time(window(ts, '10 minutes'))"),
                      "2019-05-20 10:09:59.999999|1970-01-01 00:09:59.999999|null|2020-02-29 23:59:59.999999");
  assert_string_equal(t_type(env, "window_time(window(ts, '10 minutes'))"), "timestamp");
  assert_non_null(strstr(t_bind_err(env, "window_time(ts)"), "window_time needs a window column"));
  /* Sliding windows bind (the planner expands them as GROUP BY keys); the binder
   * checks Spark's |startTime| < slide and slide <= duration. */
  const char *err = t_bind_err(env, "window(ts, '15 minutes', '5 minutes', '5 minutes')");
  assert_non_null(strstr(err, "start time must be less than the slide duration"));
  err = t_bind_err(env, "window(ts, '5 minutes', '15 minutes')");
  assert_non_null(strstr(err, "slide duration must be greater than 0 and not exceed"));
  sp_ast_script *h;
  sp_expr *e;
  assert_int_equal(t_bind(env, "window(ts, '10 minutes', '5 minutes', '1 minute')", &h, &e), 0);
  const sp_expr *time = NULL;
  int64_t d, sl, st;
  assert_true(sp_expr_as_window(e, &time, &d, &sl, &st));
  assert_int_equal(d, 600000000);
  assert_int_equal(sl, 300000000);
  assert_int_equal(st, 60000000);
  assert_int_equal(time->type->id, SP_TIMESTAMP);
  assert_true(sp_expr_has_sliding_window(e));
  assert_false(sp_expr_has_sliding_window(e->args[0]));
  sp_expr_free(e);
  sp_ast_script_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_to_timestamp, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_formatting_and_unix_time, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_current_timestamp_per_batch, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_fields_and_time_zones, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_tumbling_window, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
