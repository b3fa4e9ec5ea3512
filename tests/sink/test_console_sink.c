/* test_console_sink.c - unit tests for the console sink (src/sink/console_sink.c): exact text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/sink.h"

static sp_type *schema_(void) {
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "word", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 1, "count", sp_type_prim(SP_BIGINT), false);
  return st;
}

static sp_batch *rows_(sp_type *st, int n, const char *const *words, const int64_t *counts) {
  sp_batch *b = sp_batch_new(st, n);
  for (int i = 0; i < n; i++) {
    if (words[i])
      sp_vec_append_str(b->cols[0], words[i], (int32_t)strlen(words[i]));
    else
      sp_vec_append_null(b->cols[0]);
    sp_vec_append_i64(b->cols[1], counts[i]);
  }
  assert_int_equal(sp_batch_finish(b), 0);
  return b;
}

typedef struct capture {
  char *text;
  size_t len;
  FILE *f;
} capture;

static sp_sink *open_console_(capture *c, int n, const char *const *keys, const char *const *vals, sp_type *st,
                              sp_output_mode mode) {
  c->f = open_memstream(&c->text, &c->len);
  assert_non_null(c->f);
  sp_sink_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "console";
  spec.noptions = n;
  spec.keys = keys;
  spec.values = vals;
  spec.console_out = c->f;
  sp_sink *s = NULL;
  spate_error err;
  int rc = sp_sink_create(&spec, &s, &err);
  if (rc) fail_msg("%s", err.message);
  assert_int_equal(s->vt->open(s, st, mode, &err), 0);
  return s;
}

static void test_two_partitions_exact_text(void **state) {
  (void)state;
  sp_type *st = schema_();
  capture c;
  sp_sink *s = open_console_(&c, 0, NULL, NULL, st, SP_MODE_COMPLETE);
  assert_string_equal(s->description, "ConsoleSink[numRows=20, truncate=true]");
  const char *w1[] = {"hello", "a-rather-long-word-that-is-cut"};
  const int64_t c1[] = {2, 10};
  const char *w2[] = {NULL};
  const int64_t c2[] = {1};
  sp_batch *p[3] = {rows_(st, 2, w1, c1), NULL, rows_(st, 1, w2, c2)};
  spate_error err;
  assert_int_equal(s->vt->add_batch(s, 7, (const sp_batch *const *)p, 3, &err), 0);
  assert_int_equal(s->num_output_rows, 3);
  fflush(c.f);
  assert_string_equal(c.text,
                      "-------------------------------------------\n"
                      "Batch: 7\n"
                      "-------------------------------------------\n"
                      "+--------------------+-----+\n"
                      "|                word|count|\n"
                      "+--------------------+-----+\n"
                      "|               hello|    2|\n"
                      "|a-rather-long-wor...|   10|\n"
                      "|                NULL|    1|\n"
                      "+--------------------+-----+\n"
                      "\n");
  sp_batch_free(p[0]);
  sp_batch_free(p[2]);
  sp_sink_free(s);
  fclose(c.f);
  free(c.text);
  sp_type_unref(st);
}

static void test_num_rows_truncate_false_and_empty(void **state) {
  (void)state;
  sp_type *st = schema_();
  capture c;
  const char *k[] = {"numRows", "truncate"};
  const char *v[] = {"1", "false"};
  sp_sink *s = open_console_(&c, 2, k, v, st, SP_MODE_APPEND);
  assert_string_equal(s->description, "ConsoleSink[numRows=1, truncate=false]");
  const char *w1[] = {"x"};
  const int64_t c1[] = {100};
  const char *w2[] = {"yy"};
  const int64_t c2[] = {3};
  sp_batch *p[2] = {rows_(st, 1, w1, c1), rows_(st, 1, w2, c2)};
  spate_error err;
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p, 2, &err), 0);
  assert_int_equal(s->vt->add_batch(s, 1, NULL, 0, &err), 0);
  fflush(c.f);
  assert_string_equal(c.text,
                      "-------------------------------------------\n"
                      "Batch: 0\n"
                      "-------------------------------------------\n"
                      "+----+-----+\n"
                      "|word|count|\n"
                      "+----+-----+\n"
                      "|x   |100  |\n"
                      "+----+-----+\n"
                      "only showing top 1 row\n"
                      "\n"
                      "-------------------------------------------\n"
                      "Batch: 1\n"
                      "-------------------------------------------\n"
                      "+----+-----+\n"
                      "|word|count|\n"
                      "+----+-----+\n"
                      "+----+-----+\n"
                      "\n");
  sp_batch_free(p[0]);
  sp_batch_free(p[1]);
  sp_sink_free(s);
  fclose(c.f);
  free(c.text);
  sp_type_unref(st);
}

static void test_options_and_registry(void **state) {
  (void)state;
  sp_sink_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "Console";
  const char *k[] = {"truncate"};
  const char *v[] = {"7"};
  spec.noptions = 1;
  spec.keys = k;
  spec.values = v;
  sp_sink *s = NULL;
  spate_error err;
  assert_int_equal(sp_sink_create(&spec, &s, &err), 0);
  assert_string_equal(s->description, "ConsoleSink[numRows=20, truncate=7]");
  sp_sink_free(s);
  const char *k2[] = {"numRows"};
  const char *v2[] = {"many"};
  spec.keys = k2;
  spec.values = v2;
  assert_int_equal(sp_sink_create(&spec, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "Invalid value 'many' for option 'numRows', must be an integer");
  const char *k3[] = {"rows"};
  spec.keys = k3;
  assert_int_equal(sp_sink_create(&spec, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message,
                      "Unknown option 'rows' for console sink. Valid options: numRows, truncate, checkpointLocation");
  spec.format = "parquet";
  spec.noptions = 0;
  assert_int_equal(sp_sink_create(&spec, &s, &err), SPATE_ENOTFOUND);
  assert_string_equal(err.message,
                      "Failed to find data source: parquet. Available streaming sinks: console, csv, foreach, "
                      "foreachBatch, json, kafka, memory, noop, postgres, sqlite");
  assert_null(s);
  assert_string_equal(sp_output_mode_name(SP_MODE_APPEND), "Append");
  assert_string_equal(sp_output_mode_name(SP_MODE_UPDATE), "Update");
  assert_string_equal(sp_output_mode_name(SP_MODE_COMPLETE), "Complete");
  assert_non_null(sp_sink_lookup("FOREACHBATCH"));
  assert_true(sp_sink_lookup("json")->needs_checkpoint);
  assert_false(sp_sink_lookup("console")->needs_checkpoint);
  assert_int_equal(sp_sink_lookup("csv")->modes, 1u << SP_MODE_APPEND);
  assert_int_equal(sp_sink_lookup("memory")->modes, SP_MODES_ALL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_partitions_exact_text),
      cmocka_unit_test(test_num_rows_truncate_false_and_empty),
      cmocka_unit_test(test_options_and_registry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
