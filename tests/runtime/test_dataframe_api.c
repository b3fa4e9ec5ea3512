/* test_dataframe_api.c - the public C API as a Spark user drives it: readStream with
 * options and a DDL schema, DataFrame transformations, writeStream with foreachBatch
 * (Arrow C Data Interface), query handles (id, status, progress, stop, await), the
 * query manager, and dropDuplicates/withWatermark through the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arrow_export.h"
#include "common/buf.h"
#include "common/valfmt.h"
#include "spate/spate.h"
#include "testutil.h"

typedef struct rows {
  sp_buf text;    /* "a|b\n" per row, all batches */
  int batches;
} rows;

static int on_batch(void *user, int64_t batch_id, struct ArrowSchema *schema, struct ArrowArray *array) {
  (void)batch_id;
  rows *r = user;
  sp_batch *b = NULL;
  spate_error err;
  int rc = sp_arrow_import_batch(schema, array, &b, &err);
  array->release(array);
  schema->release(schema);
  if (rc) return rc;
  for (int64_t i = 0; i < b->nrows; i++) {
    for (int c = 0; c < b->ncols; c++) {
      if (c) sp_buf_putc(&r->text, '|');
      sp_format_value(b->cols[c], i, "UTC", true, &r->text);
    }
    sp_buf_putc(&r->text, '\n');
  }
  r->batches++;
  sp_batch_free(b);
  return 0;
}

/* Rows sorted, as one string. */
static void test_transformations_and_query_handles(void **state) {
  (void)state;
  char dir[] = "/tmp/spate-dfapi-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char in[600], chk[600];
  snprintf(in, sizeof in, "%s/in", dir);
  snprintf(chk, sizeof chk, "%s/chk", dir);
  mkdir(in, 0700);
  tu_write_file(in, "a.json",
             "{\"id\":\"x\",\"ts\":\"2026-01-01 12:00:00\",\"v\":1,\"tags\":[\"p\",\"q\"]}\n"
             "{\"id\":\"x\",\"ts\":\"2026-01-01 12:00:00\",\"v\":1,\"tags\":[\"p\"]}\n"
             "{\"id\":\"y\",\"ts\":\"2026-01-01 12:01:00\",\"v\":-5,\"tags\":[]}\n"
             "{\"id\":\"z\",\"ts\":\"2026-01-01 12:02:00\",\"v\":7,\"tags\":[\"r\"]}\n");
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  assert_non_null(s);
  assert_int_equal(spate_conf_set(s, "spark.sql.shuffle.partitions", "2", &err), 0);
  assert_string_equal(spate_conf_get(s, "spark.sql.shuffle.partitions"), "2");

  spate_reader *r = spate_read_stream(s);
  spate_reader_format(r, "json");
  spate_reader_option(r, "path", in);
  assert_int_equal(spate_reader_schema(r, "id STRING, ts TIMESTAMP, v INT, tags ARRAY<STRING>", &err), 0);
  spate_df *src = spate_reader_load(r, &err);
  assert_non_null(src);
  char *ddl = spate_df_schema_ddl(src, &err);
  assert_string_equal(ddl, "id STRING, ts TIMESTAMP, v INT, tags ARRAY<STRING>");
  free(ddl);

  /* withWatermark -> dropDuplicates(id, ts) -> filter -> withColumn -> explode -> drop */
  spate_df *wm = spate_df_with_watermark(src, "ts", "10 minutes", &err);
  assert_non_null(wm);
  const char *dcols[] = {"id", "ts"};
  spate_df *dd = spate_df_drop_duplicates(wm, 2, dcols, false, &err);
  assert_non_null(dd);
  spate_df *f = spate_df_filter(dd, "v > 0", &err);
  assert_non_null(f);
  spate_df *wc = spate_df_with_column(f, "v10", "v * 10", &err);
  assert_non_null(wc);
  const char *sel[] = {"id", "v10", "explode_outer(tags) AS tag", "ts"};
  spate_df *ex = spate_df_select_expr(wc, 4, sel, &err);
  assert_non_null(ex);
  spate_df *dr = spate_df_drop(ex, "ts", &err);
  assert_non_null(dr);
  ddl = spate_df_schema_ddl(dr, &err);
  assert_string_equal(ddl, "id STRING, v10 INT, tag STRING");
  free(ddl);

  rows got = {0};
  sp_buf_init(&got.text);
  spate_writer *w = spate_df_write_stream(dr);
  spate_writer_output_mode(w, "append");
  spate_writer_query_name(w, "api_test");
  spate_writer_checkpoint_location(w, chk);
  spate_writer_foreach_batch(w, on_batch, &got);
  spate_query *q = spate_writer_start(w, &err);
  assert_non_null(q);
  assert_string_equal(spate_query_name(q), "api_test");
  assert_int_equal(strlen(spate_query_id(q)), 36);
  assert_true(spate_query_is_active(q));
  spate_query *act[4];
  assert_int_equal(spate_session_active(s, act, 4), 1);
  assert_ptr_equal(act[0], q);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  char *want = tu_sorted_lines("x|10|p\nx|10|q\nz|70|r\n");
  char *have = tu_sorted_lines(got.text.data);
  assert_string_equal(have, want);
  free(want);
  free(have);

  /* Progress and status, Spark's shapes. */
  /* The data batch may be followed by a no-data batch (the watermark moved): look at all. */
  char *lp = spate_query_recent_progress(q);
  assert_non_null(lp);
  assert_non_null(strstr(lp, "\"name\":\"api_test\""));
  assert_non_null(strstr(lp, "\"numInputRows\":4"));
  assert_non_null(strstr(lp, "\"operatorName\":\"dedupe\""));
  assert_non_null(strstr(lp, "\"numDroppedDuplicateRows\":1"));
  free(lp);
  char *st = spate_query_status(q);
  assert_non_null(strstr(st, "\"message\""));
  assert_non_null(strstr(st, "\"isTriggerActive\""));
  free(st);

  /* A second file: the duplicate of x is still dropped (same key in state). */
  tu_write_file(in, "b.json", "{\"id\":\"x\",\"ts\":\"2026-01-01 12:00:00\",\"v\":3,\"tags\":[\"s\"]}\n"
                            "{\"id\":\"w\",\"ts\":\"2026-01-01 12:03:00\",\"v\":2,\"tags\":null}\n");
  sp_buf_reset(&got.text);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  assert_string_equal(got.text.data, "w|20|null\n");

  assert_int_equal(spate_query_stop(q), 0);
  assert_int_equal(spate_query_await_termination(q, 10000, &err), 1); /* 1: terminated */
  assert_false(spate_query_is_active(q));
  assert_int_equal(spate_query_exception(q, &err), 0);
  assert_int_equal(spate_session_active(s, act, 4), 0);

  spate_df_free(src);
  spate_df_free(wm);
  spate_df_free(dd);
  spate_df_free(f);
  spate_df_free(wc);
  spate_df_free(ex);
  spate_df_free(dr);
  spate_session_free(s);
  sp_buf_free(&got.text);
  tu_rm_rf(dir);
}

static void test_group_by_agg_complete(void **state) {
  (void)state;
  char dir[] = "/tmp/spate-dfapi-XXXXXX";
  assert_non_null(mkdtemp(dir));
  tu_write_file(dir, "a.json", "{\"k\":\"a\",\"n\":1}\n{\"k\":\"b\",\"n\":2}\n{\"k\":\"a\",\"n\":3}\n");
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  spate_reader *r = spate_read_stream(s);
  spate_reader_format(r, "json");
  spate_reader_option(r, "path", dir);
  spate_reader_schema(r, "k STRING, n BIGINT", &err);
  spate_df *src = spate_reader_load(r, &err);
  const char *keys[] = {"k"};
  const char *aggs[] = {"count(*) AS c", "sum(n) AS total"};
  spate_df *g = spate_df_group_by_agg(src, 1, keys, 2, aggs, &err);
  assert_non_null(g);
  rows got = {0};
  sp_buf_init(&got.text);
  spate_writer *w = spate_df_write_stream(g);
  spate_writer_output_mode(w, "complete");
  spate_writer_foreach_batch(w, on_batch, &got);
  spate_writer_trigger_available_now(w);
  spate_query *q = spate_writer_start(w, &err);
  assert_non_null(q);
  assert_int_equal(spate_query_await_termination(q, 30000, &err), 1);
  char *have = tu_sorted_lines(got.text.data);
  assert_string_equal(have, "a|2|4\nb|1|2\n");
  free(have);
  /* Append without a watermark is Spark's analysis error, at start. */
  w = spate_df_write_stream(g);
  spate_writer_output_mode(w, "append");
  spate_writer_foreach_batch(w, on_batch, &got);
  assert_null(spate_writer_start(w, &err));
  assert_non_null(strstr(err.message, "Append output mode not supported"));
  spate_df_free(src);
  spate_df_free(g);
  spate_session_free(s);
  sp_buf_free(&got.text);
  tu_rm_rf(dir);
}

/* Chained stateful operators: dropDuplicates feeding an aggregation. Progress lists one
 * stateOperators entry per operator (the one nearest the sink first) and explain
 * --analyze one State line each. */
static void test_chained_stateful_operators(void **state) {
  (void)state;
  char dir[] = "/tmp/spate-dfapi-XXXXXX";
  assert_non_null(mkdtemp(dir));
  tu_write_file(dir, "a.json",
             "{\"id\":1,\"k\":\"a\"}\n{\"id\":1,\"k\":\"a\"}\n{\"id\":2,\"k\":\"a\"}\n{\"id\":3,\"k\":\"b\"}\n");
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  spate_reader *r = spate_read_stream(s);
  spate_reader_format(r, "json");
  spate_reader_option(r, "path", dir);
  spate_reader_schema(r, "id BIGINT, k STRING", &err);
  spate_df *src = spate_reader_load(r, &err);
  const char *dcols[] = {"id"};
  spate_df *d = spate_df_drop_duplicates(src, 1, dcols, false, &err);
  assert_non_null(d);
  const char *keys[] = {"k"};
  const char *aggs[] = {"count(*) AS c"};
  spate_df *g = spate_df_group_by_agg(d, 1, keys, 1, aggs, &err);
  assert_non_null(g);
  rows got = {0};
  sp_buf_init(&got.text);
  spate_writer *w = spate_df_write_stream(g);
  spate_writer_output_mode(w, "complete");
  spate_writer_foreach_batch(w, on_batch, &got);
  spate_writer_trigger_available_now(w);
  spate_query *q = spate_writer_start(w, &err);
  assert_non_null(q);
  assert_int_equal(spate_query_await_termination(q, 30000, &err), 1);
  char *have = tu_sorted_lines(got.text.data);
  assert_string_equal(have, "a|2\nb|1\n");
  free(have);
  char *p = spate_query_last_progress(q);
  assert_non_null(p);
  const char *agg = strstr(p, "{\"operatorName\":\"stateStoreSave\",\"numRowsTotal\":2,");
  const char *dedup = strstr(p, "{\"operatorName\":\"dedupe\",\"numRowsTotal\":3,");
  assert_non_null(agg);
  assert_non_null(dedup);
  assert_true(agg < dedup);
  assert_non_null(strstr(p, "\"customMetrics\":{\"numDroppedDuplicateRows\":1}"));
  free(p);
  char *ex = spate_query_explain(q);
  assert_non_null(ex);
  assert_non_null(strstr(ex, "(stateStoreSave): 2 rows"));
  assert_non_null(strstr(ex, "(dedupe): 3 rows"));
  free(ex);
  spate_df_free(src);
  spate_df_free(d);
  spate_df_free(g);
  spate_session_free(s);
  sp_buf_free(&got.text);
  tu_rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transformations_and_query_handles),
      cmocka_unit_test(test_group_by_agg_complete),
      cmocka_unit_test(test_chained_stateful_operators),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
