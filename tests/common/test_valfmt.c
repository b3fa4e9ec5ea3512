/* test_valfmt.c - unit tests for src/common/valfmt.c (Double.toString, CAST to string, show()). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/datetime.h"
#include "common/valfmt.h"

static void check_double(double d, const char *want) {
  char buf[40];
  int n = sp_format_double(d, buf, sizeof buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, (int)strlen(want));
}

static void test_format_double(void **state) {
  (void)state;
  check_double(0.0, "0.0");
  check_double(-0.0, "-0.0");
  check_double(1.0, "1.0");
  check_double(1644.0, "1644.0");
  check_double(13.8925, "13.8925");
  check_double(277.85, "277.85");
  check_double(0.001, "0.001");
  check_double(1.0E-4, "1.0E-4");
  check_double(9.99E-4, "9.99E-4");
  check_double(9999999.0, "9999999.0");
  check_double(9999999.999999998, "9999999.999999998");
  check_double(1.0E7, "1.0E7");
  check_double(1.2345678E7, "1.2345678E7");
  check_double(123456789012.0, "1.23456789012E11");
  check_double(NAN, "NaN");
  check_double(INFINITY, "Infinity");
  check_double(-INFINITY, "-Infinity");
  check_double(0.1 + 0.2, "0.30000000000000004");
  check_double(1e21, "1.0E21");
  check_double(5e-324, "4.9E-324");
  check_double(-0.5, "-0.5");
  check_double(100.0, "100.0");
  check_double(1.7976931348623157E308, "1.7976931348623157E308");
  check_double(2.2250738585072014E-308, "2.2250738585072014E-308");
  check_double(1e16, "1.0E16");
  check_double(123.456, "123.456");
  check_double(7.0E-10, "7.0E-10");
  check_double(2e23, "2.0E23"); /* shortest (JDK 19+); JDK <= 17 printed 1.9999999999999998E23 */
  char small[4];
  assert_int_equal(sp_format_double(1644.0, small, sizeof small), 3);
  assert_string_equal(small, "164");
}

static void check_value(const sp_vec *v, int64_t i, const char *tz, const char *want) {
  sp_buf b;
  sp_buf_init(&b);
  sp_format_value(v, i, tz, true, &b);
  assert_int_equal(sp_buf_check(&b), 0);
  assert_string_equal(b.data ? b.data : "", want);
  sp_buf_free(&b);
}

static void test_format_value(void **state) {
  (void)state;
  sp_vec *d = sp_vec_new(sp_type_prim(SP_DOUBLE), 0);
  sp_vec_append_f64(d, 1644.0);
  sp_vec_append_null(d);
  check_value(d, 0, NULL, "1644.0");
  check_value(d, 1, NULL, "null");
  sp_buf b;
  sp_buf_init(&b);
  sp_format_value(d, 1, NULL, false, &b);
  assert_int_equal(b.len, 0);
  sp_buf_free(&b);
  sp_vec_free(d);

  sp_vec *ts = sp_vec_new(sp_type_prim(SP_TIMESTAMP), 0);
  sp_vec_append_i64(ts, 1558346700000000LL);
  sp_vec_append_i64(ts, 1595688900348000LL);
  check_value(ts, 0, NULL, "2019-05-20 10:05:00");
  check_value(ts, 1, "UTC", "2020-07-25 14:55:00.348");
  check_value(ts, 1, "America/Los_Angeles", "2020-07-25 07:55:00.348");
  sp_vec_free(ts);

  sp_vec *bin = sp_vec_new(sp_type_prim(SP_BINARY), 0);
  sp_vec_append_str(bin, "AB\n", 3);
  check_value(bin, 0, NULL, "[41 42 0A]");
  sp_vec_free(bin);

  sp_vec *bo = sp_vec_new(sp_type_prim(SP_BOOLEAN), 0);
  sp_vec_append_bool(bo, true);
  check_value(bo, 0, NULL, "true");
  sp_vec_free(bo);

  sp_vec *dt = sp_vec_new(sp_type_prim(SP_DATE), 0);
  sp_vec_append_i32(dt, 18468);
  check_value(dt, 0, NULL, "2020-07-25");
  sp_vec_free(dt);

  /* struct<start:timestamp,end:timestamp,n:bigint> and array<string> with nulls */
  sp_type *st = sp_type_struct_new(3);
  sp_type_struct_set(st, 0, "start", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 1, "end", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 2, "n", sp_type_prim(SP_BIGINT), true);
  sp_vec *sv = sp_vec_new(st, 0);
  sp_vec_append_i64(sv->children[0], 36000LL * 1000000);
  sp_vec_append_i64(sv->children[1], 36900LL * 1000000);
  sp_vec_append_null(sv->children[2]);
  sp_vec_struct_append(sv, true);
  check_value(sv, 0, NULL, "{1970-01-01 10:00:00, 1970-01-01 10:15:00, null}");
  sp_vec_free(sv);
  sp_type_unref(st);

  sp_type *at = sp_type_array_new(sp_type_prim(SP_STRING), true);
  sp_vec *av = sp_vec_new(at, 0);
  sp_vec_append_str(av->children[0], "a", 1);
  sp_vec_append_null(av->children[0]);
  sp_vec_append_str(av->children[0], "b c", 3);
  sp_vec_array_close(av, true);
  sp_vec_array_close(av, true);
  check_value(av, 0, NULL, "[a, null, b c]");
  check_value(av, 1, NULL, "[]");
  sp_vec_free(av);
  sp_type_unref(at);
}

static sp_batch *word_count_batch(int nrows) {
  sp_type *schema = sp_type_struct_new(2);
  sp_type_struct_set(schema, 0, "word", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(schema, 1, "count", sp_type_prim(SP_BIGINT), false);
  sp_batch *b = sp_batch_new(schema, nrows);
  sp_type_unref(schema);
  for (int i = 0; i < nrows; i++) {
    char w[32];
    int n = snprintf(w, sizeof w, i == 0 ? "hello" : i == 1 ? "world" : "w%d", i);
    sp_vec_append_str(b->cols[0], w, n);
    sp_vec_append_i64(b->cols[1], i == 0 ? 2 : 1);
  }
  assert_int_equal(sp_batch_finish(b), 0);
  return b;
}

static void check_show(const sp_batch *b, int num, int trunc, const char *want) {
  sp_buf out;
  sp_buf_init(&out);
  sp_show_format(b, num, trunc, NULL, &out);
  assert_int_equal(sp_buf_check(&out), 0);
  assert_string_equal(out.data, want);
  sp_buf_free(&out);
}

static void test_show_basic(void **state) {
  (void)state;
  sp_batch *b = word_count_batch(2);
  check_show(b, 20, 20,
             "+-----+-----+\n"
             "| word|count|\n"
             "+-----+-----+\n"
             "|hello|    2|\n"
             "|world|    1|\n"
             "+-----+-----+\n"
             "\n");
  check_show(b, 20, 0,
             "+-----+-----+\n"
             "|word |count|\n"
             "+-----+-----+\n"
             "|hello|2    |\n"
             "|world|1    |\n"
             "+-----+-----+\n"
             "\n");
  check_show(b, 1, 20,
             "+-----+-----+\n"
             "| word|count|\n"
             "+-----+-----+\n"
             "|hello|    2|\n"
             "+-----+-----+\n"
             "only showing top 1 row\n"
             "\n");
  sp_batch_free(b);

  /* 25 rows: only the first 20 shown */
  b = word_count_batch(25);
  sp_buf out;
  sp_buf_init(&out);
  sp_show_format(b, 20, 20, NULL, &out);
  const char *tail = "|  w19|    1|\n+-----+-----+\nonly showing top 20 rows\n\n";
  assert_true(out.len > strlen(tail));
  assert_string_equal(out.data + out.len - strlen(tail), tail);
  assert_null(strstr(out.data, "w20"));
  sp_buf_free(&out);
  sp_batch_free(b);

  /* empty batch */
  b = word_count_batch(0);
  check_show(b, 20, 20,
             "+----+-----+\n"
             "|word|count|\n"
             "+----+-----+\n"
             "+----+-----+\n"
             "\n");
  sp_batch_free(b);
}

static void test_show_truncate_nulls_nested(void **state) {
  (void)state;
  sp_type *win = sp_type_struct_new(2);
  sp_type_struct_set(win, 0, "start", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(win, 1, "end", sp_type_prim(SP_TIMESTAMP), true);
  sp_type *schema = sp_type_struct_new(4);
  sp_type_struct_set(schema, 0, "window", win, true);
  sp_type_struct_set(schema, 1, "s", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(schema, 2, "x", sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(schema, 3, "b", sp_type_prim(SP_BINARY), true);
  sp_batch *b = sp_batch_new(schema, 0);
  sp_type_unref(schema);
  /* row 0 */
  sp_vec_append_i64(b->cols[0]->children[0], 1558346400LL * 1000000); /* 2019-05-20 10:00 */
  sp_vec_append_i64(b->cols[0]->children[1], 1558347300LL * 1000000);
  sp_vec_struct_append(b->cols[0], true);
  const char *long_s = "this is a rather long string value";
  sp_vec_append_str(b->cols[1], long_s, (int32_t)strlen(long_s));
  sp_vec_append_f64(b->cols[2], 11114.0);
  sp_vec_append_str(b->cols[3], "AB", 2);
  /* row 1: nulls, tab in string, unicode */
  sp_vec_append_null(b->cols[0]);
  sp_vec_append_str(b->cols[1], "a\tb", 3);
  sp_vec_append_null(b->cols[2]);
  sp_vec_append_null(b->cols[3]);
  /* row 2: full-width text counts double */
  sp_vec_append_i64(b->cols[0]->children[0], 1558346400LL * 1000000);
  sp_vec_append_null(b->cols[0]->children[1]);
  sp_vec_struct_append(b->cols[0], true);
  sp_vec_append_str(b->cols[1], "\xe4\xbd\xa0\xe5\xa5\xbd", 6); /* 你好 */
  sp_vec_append_f64(b->cols[2], 1e-5);
  sp_vec_append_str(b->cols[3], "", 0);
  assert_int_equal(sp_batch_finish(b), 0);
  check_show(b, 20, 20,
             "+--------------------+--------------------+-------+-------+\n"
             "|              window|                   s|      x|      b|\n"
             "+--------------------+--------------------+-------+-------+\n"
             "|{2019-05-20 10:00...|this is a rather ...|11114.0|[41 42]|\n"
             "|                null|                a\\tb|   null|   null|\n"
             "|{2019-05-20 10:00...|                \xe4\xbd\xa0\xe5\xa5\xbd| 1.0E-5|     []|\n"
             "+--------------------+--------------------+-------+-------+\n"
             "\n");
  check_show(b, 20, 0,
             "+------------------------------------------+----------------------------------+-------+-------+\n"
             "|window                                    |s                                 |x      |b      |\n"
             "+------------------------------------------+----------------------------------+-------+-------+\n"
             "|{2019-05-20 10:00:00, 2019-05-20 10:15:00}|this is a rather long string value|11114.0|[41 42]|\n"
             "|null                                      |a\\tb                              |null   |null   |\n"
             "|{2019-05-20 10:00:00, null}               |\xe4\xbd\xa0\xe5\xa5\xbd                              |1.0E-5 |[]     |\n"
             "+------------------------------------------+----------------------------------+-------+-------+\n"
             "\n");
  /* truncate < 4 cuts without dots */
  sp_buf out;
  sp_buf_init(&out);
  sp_show_format(b, 1, 2, NULL, &out);
  assert_string_equal(out.data,
                      "+------+---+---+---+\n"
                      "|window|  s|  x|  b|\n"
                      "+------+---+---+---+\n"
                      "|    {2| th| 11| [4|\n"
                      "+------+---+---+---+\n"
                      "only showing top 1 row\n"
                      "\n");
  sp_buf_free(&out);
  /* Spark 3.5+ style NULL */
  sp_buf_init(&out);
  sp_show_format_null(b, 20, 0, NULL, "NULL", &out);
  assert_non_null(strstr(out.data, "|{2019-05-20 10:00:00, NULL}               |"));
  assert_non_null(strstr(out.data, "|NULL                                      |"));
  sp_buf_free(&out);
  sp_batch_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_double),
      cmocka_unit_test(test_format_value),
      cmocka_unit_test(test_show_basic),
      cmocka_unit_test(test_show_truncate_nulls_nested),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
