/* test_foreach_sink.c - the foreach sink (src/sink/foreach_sink.c) driven through the
 * public C API (spate_writer_foreach) with a json file source: open/process/close per
 * partition and epoch (epoch = batch id, partition ids 0..n-1), rows through the
 * borrowed Arrow struct array, open returning false, a failing process (close gets the
 * error, the query fails), a failing close followed by a restart that re-delivers the
 * batch with the same epoch id (at-least-once), and a job file without a writer. */
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

/* What the writer saw. */
typedef struct rec {
  sp_buf log;      /* "open p e\n", "close p e <err|ok>\n" */
  sp_buf rows;     /* "e|col|col\n" per processed row */
  int opens, closes, open_now;
  int64_t part, epoch;
  const struct ArrowArray *arr; /* the borrowed array of the open partition */
  sp_batch *cur;   /* its import */
  int refuse_part; /* open returns false for this partition id (-1: never) */
  int fail_at;     /* process fails on this global row number (-1: never) */
  int64_t fail_close_epoch; /* close fails for this epoch (-1: never) */
  int processed;
  int per_part[8]; /* rows processed per partition id */
  char last_error[1100];
} rec;

static bool fw_open(void *user, int64_t partition_id, int64_t epoch_id) {
  rec *r = user;
  assert_int_equal(r->open_now, 0); /* one partition at a time */
  r->open_now = 1;
  r->opens++;
  r->part = partition_id;
  r->epoch = epoch_id;
  r->arr = NULL;
  sp_buf_printf(&r->log, "open %lld %lld\n", (long long)partition_id, (long long)epoch_id);
  return partition_id != r->refuse_part;
}

static int fw_process(void *user, const struct ArrowSchema *schema, const struct ArrowArray *rows, int64_t row) {
  rec *r = user;
  assert_int_equal(r->open_now, 1);
  assert_true(row >= 0 && row < rows->length);
  if (!r->arr) {
    r->arr = rows;
    spate_error err;
    assert_int_equal(sp_arrow_import_batch(schema, rows, &r->cur, &err), 0);
  }
  assert_ptr_equal(r->arr, rows); /* the same borrowed array for the whole partition */
  if (r->processed++ == r->fail_at) return 42;
  if (r->part >= 0 && r->part < 8) r->per_part[r->part]++;
  sp_buf_printf(&r->rows, "%lld", (long long)r->epoch);
  for (int c = 0; c < r->cur->ncols; c++) {
    sp_buf_putc(&r->rows, '|');
    sp_format_value(r->cur->cols[c], row, "UTC", true, &r->rows);
  }
  sp_buf_putc(&r->rows, '\n');
  return 0;
}

static int fw_close(void *user, const char *error) {
  rec *r = user;
  assert_int_equal(r->open_now, 1);
  r->open_now = 0;
  r->closes++;
  sp_batch_free(r->cur);
  r->cur = NULL;
  sp_buf_printf(&r->log, "close %lld %lld %s\n", (long long)r->part, (long long)r->epoch, error ? "error" : "ok");
  if (error) snprintf(r->last_error, sizeof r->last_error, "%s", error);
  return r->epoch == r->fail_close_epoch ? 7 : 0;
}

static const spate_foreach_writer FW = {fw_open, fw_process, fw_close};

static void rec_init(rec *r) {
  memset(r, 0, sizeof *r);
  sp_buf_init(&r->log);
  sp_buf_init(&r->rows);
  r->refuse_part = -1;
  r->fail_at = -1;
  r->fail_close_epoch = -1;
}

static void rec_free(rec *r) {
  sp_buf_free(&r->log);
  sp_buf_free(&r->rows);
  sp_batch_free(r->cur);
}

static void assert_sorted_eq(const char *got, const char *want) {
  char *g = tu_sorted_lines(got), *w = tu_sorted_lines(want);
  if (strcmp(g, w) != 0) fail_msg("got:\n%s\nwant:\n%s", g, w);
  free(g);
  free(w);
}

static char dir_[64], in_[128], chk_[128];

static void setup_dirs(void) {
  snprintf(dir_, sizeof dir_, "/tmp/spate-foreach-XXXXXX");
  assert_non_null(mkdtemp(dir_));
  snprintf(in_, sizeof in_, "%s/in", dir_);
  snprintf(chk_, sizeof chk_, "%s/chk", dir_);
  assert_int_equal(mkdir(in_, 0700), 0);
}

static void rm_dirs(void) {
  tu_rm_rf(dir_);
}

/* json source (k STRING, n INT) -> optional groupBy(k).agg(sum(n)) -> foreach. */
static spate_query *start_(spate_session *s, rec *r, bool agg, spate_error *err) {
  spate_reader *rd = spate_read_stream(s);
  spate_reader_format(rd, "json");
  spate_reader_option(rd, "path", in_);
  assert_int_equal(spate_reader_schema(rd, "k STRING, n INT", err), 0);
  spate_df *src = spate_reader_load(rd, err);
  assert_non_null(src);
  spate_df *out = src;
  if (agg) {
    const char *k[] = {"k"}, *a[] = {"sum(n) AS total"};
    out = spate_df_group_by_agg(src, 1, k, 1, a, err);
    assert_non_null(out);
  }
  spate_writer *w = spate_df_write_stream(out);
  spate_writer_output_mode(w, agg ? "complete" : "append");
  spate_writer_checkpoint_location(w, chk_);
  assert_int_equal(spate_writer_foreach(w, &FW, r), 0);
  spate_query *q = spate_writer_start(w, err);
  if (out != src) spate_df_free(out);
  spate_df_free(src);
  return q;
}

/* Every open has its close, in order, for the same partition and epoch. */
static void check_pairs(const rec *r) {
  assert_int_equal(r->opens, r->closes);
  assert_int_equal(r->open_now, 0);
  char *copy = strdup(r->log.data ? r->log.data : "");
  long long op = -1, oe = -1;
  for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    long long p, e;
    if (sscanf(l, "open %lld %lld", &p, &e) == 2) {
      assert_int_equal(op, -1);
      op = p, oe = e;
    } else {
      assert_int_equal(sscanf(l, "close %lld %lld", &p, &e), 2);
      assert_int_equal(p, op);
      assert_int_equal(e, oe);
      op = -1;
    }
  }
  free(copy);
}

static void test_rows_partitions_epochs(void **state) {
  (void)state;
  setup_dirs();
  tu_write_file(in_, "a.json", "{\"k\":\"a\",\"n\":1}\n{\"k\":\"b\",\"n\":2}\n{\"k\":\"a\",\"n\":3}\n");
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  assert_int_equal(spate_conf_set(s, "spark.sql.shuffle.partitions", "3", &err), 0);
  rec r;
  rec_init(&r);
  spate_query *q = start_(s, &r, true, &err);
  if (!q) fail_msg("start: %s", err.message);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  assert_sorted_eq(r.rows.data, "0|a|4\n0|b|2\n");
  /* complete mode with 3 shuffle partitions: each batch opens partitions 0, 1, 2 */
  assert_string_equal(r.log.data, "open 0 0\nclose 0 0 ok\nopen 1 0\nclose 1 0 ok\nopen 2 0\nclose 2 0 ok\n");
  tu_write_file(in_, "b.json", "{\"k\":\"c\",\"n\":5}\n{\"k\":\"b\",\"n\":1}\n");
  sp_buf_reset(&r.rows);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  assert_sorted_eq(r.rows.data, "1|a|4\n1|b|3\n1|c|5\n");
  check_pairs(&r);
  assert_int_equal(r.opens, 6);
  char *lp = spate_query_last_progress(q);
  assert_non_null(lp);
  assert_non_null(strstr(lp, "ForeachSink"));
  assert_non_null(strstr(lp, "\"numOutputRows\":3"));
  free(lp);
  assert_int_equal(spate_query_stop(q), 0);
  spate_session_free(s);
  rec_free(&r);
  rm_dirs();
}

static void test_open_false_skips_partition(void **state) {
  (void)state;
  setup_dirs();
  tu_write_file(in_, "a.json", "{\"k\":\"a\",\"n\":1}\n{\"k\":\"b\",\"n\":2}\n{\"k\":\"c\",\"n\":3}\n");
  spate_error err;
  spate_session *s = spate_session_new(&err);
  assert_int_equal(spate_conf_set(s, "spark.sql.shuffle.partitions", "2", &err), 0);
  rec all, some;
  rec_init(&all);
  rec_init(&some);
  spate_query *q = start_(s, &all, true, &err);
  assert_non_null(q);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  assert_int_equal(spate_query_stop(q), 0);
  /* refuse a partition that had rows in the full run */
  some.refuse_part = all.per_part[0] ? 0 : 1;
  assert_true(all.per_part[some.refuse_part] > 0);
  snprintf(chk_, sizeof chk_, "%s/chk2", dir_);
  q = start_(s, &some, true, &err);
  assert_non_null(q);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  assert_int_equal(spate_query_stop(q), 0);
  check_pairs(&some);
  assert_int_equal(some.opens, 2);
  assert_string_equal(some.log.data, "open 0 0\nclose 0 0 ok\nopen 1 0\nclose 1 0 ok\n");
  assert_int_equal(some.per_part[some.refuse_part], 0);
  /* fewer rows than the full run, all of them from it */
  int nall = 0, nsome = 0;
  for (const char *p = all.rows.data; p && *p; p++) nall += *p == '\n';
  for (const char *p = some.rows.data; p && *p; p++) nsome += *p == '\n';
  assert_int_equal(nall, 3);
  assert_int_equal(nsome, nall - all.per_part[some.refuse_part]);
  for (char *save = NULL, *l = strtok_r(some.rows.data ? some.rows.data : (char[]){""}, "\n", &save); l;
       l = strtok_r(NULL, "\n", &save))
    assert_non_null(strstr(all.rows.data, l));
  spate_session_free(s);
  rec_free(&all);
  rec_free(&some);
  rm_dirs();
}

static void test_process_error_fails_query(void **state) {
  (void)state;
  setup_dirs();
  tu_write_file(in_, "a.json", "{\"k\":\"a\",\"n\":1}\n{\"k\":\"b\",\"n\":2}\n{\"k\":\"c\",\"n\":3}\n");
  spate_error err;
  spate_session *s = spate_session_new(&err);
  rec r;
  rec_init(&r);
  r.fail_at = 1;
  spate_query *q = start_(s, &r, false, &err);
  assert_non_null(q);
  int rc = spate_query_await_termination(q, 20000, &err);
  assert_true(rc < 0);
  assert_non_null(strstr(err.message, "foreach writer process failed with code 42"));
  check_pairs(&r);
  assert_int_equal(r.opens, 1);
  assert_non_null(strstr(r.log.data, "close 0 0 error"));
  assert_non_null(strstr(r.last_error, "foreach writer process failed with code 42 at row 1 of partition 0"));
  assert_int_equal(r.processed, 2); /* stopped at the failing row */
  spate_session_free(s);
  rec_free(&r);
  rm_dirs();
}

static void test_close_error_and_replay(void **state) {
  (void)state;
  setup_dirs();
  tu_write_file(in_, "a.json", "{\"k\":\"a\",\"n\":1}\n");
  spate_error err;
  spate_session *s = spate_session_new(&err);
  rec r;
  rec_init(&r);
  r.fail_close_epoch = 1;
  spate_query *q = start_(s, &r, false, &err);
  assert_non_null(q);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  tu_write_file(in_, "b.json", "{\"k\":\"b\",\"n\":2}\n");
  int rc = spate_query_await_termination(q, 20000, &err);
  assert_true(rc < 0);
  assert_non_null(strstr(err.message, "foreach writer close failed with code 7"));
  assert_sorted_eq(r.rows.data, "0|a|1\n1|b|2\n");
  check_pairs(&r);
  /* restart: batch 1 was not committed, it comes again with the same epoch id */
  rec r2;
  rec_init(&r2);
  q = start_(s, &r2, false, &err);
  assert_non_null(q);
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  assert_sorted_eq(r2.rows.data, "1|b|2\n");
  check_pairs(&r2);
  assert_int_equal(spate_query_stop(q), 0);
  spate_session_free(s);
  rec_free(&r);
  rec_free(&r2);
  rm_dirs();
}

static void test_job_file_needs_writer(void **state) {
  (void)state;
  setup_dirs();
  spate_error err;
  spate_session *s = spate_session_new(&err);
  const char *job = "CREATE TEMPORARY VIEW src USING rate;\n"
                    "CREATE STREAMING QUERY q USING foreach AS SELECT * FROM src;\n";
  int rc = spate_sql(s, job, &err);
  assert_true(rc < 0);
  if (!strstr(err.message, "foreach sink needs a ForeachWriter")) fail_msg("%s", err.message);
  spate_writer *w = NULL;
  assert_int_equal(spate_writer_foreach(w, &FW, NULL), SPATE_EINVAL);
  spate_session_free(s);
  rm_dirs();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows_partitions_epochs),
      cmocka_unit_test(test_open_false_skips_partition),
      cmocka_unit_test(test_process_error_fails_query),
      cmocka_unit_test(test_close_error_and_replay),
      cmocka_unit_test(test_job_file_needs_writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
