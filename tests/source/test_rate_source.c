/* test_rate_source.c - unit tests for the rate and rate-micro-batch sources (src/source/rate_source.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "source/source.h"

typedef struct fixture {
  char *dir;
} fixture;

static int setup_(void **state) {
  fixture *f = calloc(1, sizeof *f);
  char tmpl[] = "/tmp/spate-test-rate-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  f->dir = strdup(tmpl);
  *state = f;
  return 0;
}

static int teardown_(void **state) {
  fixture *f = *state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f->dir);
  free(f);
  return 0;
}

static int create_(const char *format, int n, const char *const *keys, const char *const *vals, sp_source **out,
                   spate_error *err) {
  sp_source_spec spec = {format, n, keys, vals, NULL, NULL};
  spate_error_clear(err);
  return sp_source_create(&spec, out, err);
}

/* Write sources/<i>/0 with a fixed creation time. */
static void set_start_(const char *dir, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/0", dir);
  assert_int_equal(sp_fs_write_atomic(p, text, strlen(text), true, NULL), 0);
}

static void test_rate_values_and_timestamps(void **state) {
  fixture *f = *state;
  const char *k[] = {"rowsPerSecond", "numPartitions"};
  const char *v[] = {"10", "2"};
  sp_source *s;
  spate_error err;
  assert_int_equal(create_("rate", 2, k, v, &s, &err), 0);
  char ddl[128];
  sp_type_to_string(s->schema, ddl, sizeof ddl);
  assert_string_equal(ddl, "struct<timestamp:timestamp,value:bigint>");
  assert_string_equal(s->description, "RateStreamV2[rowsPerSecond=10, rampUpTimeSeconds=0, numPartitions=2");
  set_start_(f->dir, "v1\n1000");
  assert_int_equal(s->vt->open(s, f->dir, NULL, &err), 0);
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, NULL, "2", &l, &err), 0);
  assert_int_equal(l.n, 2);
  assert_int_equal(l.items[0]->nrows, 10);
  assert_int_equal(l.items[1]->nrows, 10);
  for (int p = 0; p < 2; p++)
    for (int64_t i = 0; i < 10; i++) {
      int64_t val = 2 * i + p;
      assert_int_equal(sp_vec_i64(l.items[p]->cols[1])[i], val);
      /* creation 1000 ms + 2000 ms spread over 20 values: 100 ms apart */
      assert_int_equal(sp_vec_i64(l.items[p]->cols[0])[i], (1000 + val * 100) * 1000);
    }
  sp_batch_list_release(&l);
  assert_int_equal(s->vt->get_batch(s, "2", "3", &l, &err), 0);
  assert_int_equal(sp_batch_list_rows(&l), 10);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[1])[0], 20);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[0], INT64_C(3000000));
  assert_int_equal(sp_vec_i64(l.items[1]->cols[1])[4], 29);
  assert_int_equal(sp_vec_i64(l.items[1]->cols[0])[4], INT64_C(3900000));
  sp_batch_list_release(&l);
  /* The creation time is long past: the offset is the whole seconds elapsed. */
  char *end = NULL;
  assert_int_equal(s->vt->latest_offset(s, "3", &end, &err), 0);
  assert_true(atoll(end) > 1000000);
  free(end);
  sp_source_free(s);
}

static void test_rate_ramp_up_and_rounding(void **state) {
  fixture *f = *state;
  const char *k[] = {"rowsPerSecond", "rampUpTime", "numPartitions"};
  const char *v[] = {"10", "4s", "1"};
  sp_source *s;
  spate_error err;
  assert_int_equal(create_("rate", 3, k, v, &s, &err), 0);
  set_start_(f->dir, "v1\n5000");
  assert_int_equal(s->vt->open(s, f->dir, NULL, &err), 0);
  /* valueAt: 0 2 6 12 20 30 40 for seconds 0..6 */
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, "1", "3", &l, &err), 0);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.items[0]->nrows, 10);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[1])[0], 2);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[1])[9], 11);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[0], INT64_C(6000000));
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[9], INT64_C(7800000));
  sp_batch_list_release(&l);
  assert_int_equal(s->vt->get_batch(s, "5", "6", &l, &err), 0);
  assert_int_equal(sp_batch_list_rows(&l), 10);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[1])[0], 30);
  sp_batch_list_release(&l);
  assert_int_equal(s->vt->get_batch(s, "0", "0", &l, &err), 0);
  assert_int_equal(l.n, 0);
  sp_source_free(s);

  /* 3 rows per second: 0, 333, 667 ms (Math.round). */
  const char *k2[] = {"rowsPerSecond", "numPartitions"};
  const char *v2[] = {"3", "1"};
  assert_int_equal(create_("rate", 2, k2, v2, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->dir, NULL, &err), 0); /* start time 5000 persisted above */
  assert_int_equal(s->vt->get_batch(s, NULL, "1", &l, &err), 0);
  assert_int_equal(l.items[0]->nrows, 3);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[0], INT64_C(5000000));
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[1], INT64_C(5333000));
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[2], INT64_C(5667000));
  sp_batch_list_release(&l);
  sp_source_free(s);
}

static void test_rate_start_time_persisted(void **state) {
  fixture *f = *state;
  sp_source *s;
  spate_error err;
  assert_int_equal(create_("rate", 0, NULL, NULL, &s, &err), 0);
  assert_string_equal(s->description, "RateStreamV2[rowsPerSecond=1, rampUpTimeSeconds=0, numPartitions=default");
  assert_int_equal(s->vt->open(s, f->dir, NULL, &err), 0);
  char p[512], *data = NULL;
  size_t len;
  snprintf(p, sizeof p, "%s/0", f->dir);
  assert_int_equal(sp_fs_read_all(p, &data, &len, NULL), 0);
  assert_memory_equal(data, "v1\n", 3);
  assert_int_equal(len, 16); /* "v1\n" + 13-digit millis */
  /* Right after creation no whole second has passed: no offset yet. */
  char *end = (char *)1;
  assert_int_equal(s->vt->latest_offset(s, NULL, &end, &err), 0);
  assert_null(end);
  sp_source_free(s);
  /* A restart keeps the persisted start time. */
  assert_int_equal(create_("rate", 0, NULL, NULL, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->dir, NULL, &err), 0);
  char *again = NULL;
  assert_int_equal(sp_fs_read_all(p, &again, &len, NULL), 0);
  assert_string_equal(again, data);
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, "0", "2", &l, &err), 0);
  assert_int_equal(l.n, 1); /* default partitions without a pool: 1 */
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[1], (atoll(data + 3) + 1000) * 1000);
  sp_batch_list_release(&l);
  free(again);
  free(data);
  sp_source_free(s);
}

static void test_rate_option_errors(void **state) {
  (void)state;
  sp_source *s = NULL;
  spate_error err;
  const char *k1[] = {"rowsPerSecond"};
  const char *v1[] = {"0"};
  assert_int_equal(create_("rate", 1, k1, v1, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "Invalid value '0'. The option 'rowsPerSecond' must be positive");
  const char *k2[] = {"rampUpTime"};
  const char *v2[] = {"-2s"};
  assert_int_equal(create_("rate", 1, k2, v2, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "Invalid value '-2'. The option 'rampUpTime' must not be negative");
  const char *k3[] = {"numPartitions"};
  const char *v3[] = {"0"};
  assert_int_equal(create_("rate", 1, k3, v3, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "Invalid value '0'. The option 'numPartitions' must be positive");
  const char *k4[] = {"rowsPerBatch"};
  const char *v4[] = {"5"};
  assert_int_equal(create_("rate", 1, k4, v4, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message,
                      "Unknown option 'rowsPerBatch' for rate source. Valid options: rowsPerSecond, rampUpTime, "
                      "numPartitions");
  assert_int_equal(create_("rate-micro-batch", 0, NULL, NULL, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "Invalid value '0'. The option 'rowsPerBatch' must be positive");
  const char *k5[] = {"rowsPerBatch", "startTimestamp"};
  const char *v5[] = {"5", "-1"};
  assert_int_equal(create_("rate-micro-batch", 2, k5, v5, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "Invalid value '-1'. The option 'startTimestamp' must be non-negative");
  const char *k6[] = {"rowsPerBatch", "advanceMillisPerBatch"};
  const char *v6[] = {"5", "-1"};
  assert_int_equal(create_("rate-micro-batch", 2, k6, v6, &s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "Invalid value '-1'. The option 'advanceMillisPerBatch' must be non-negative");
  assert_null(s);
}

static void test_rate_micro_batch(void **state) {
  fixture *f = *state;
  const char *k[] = {"rowsPerBatch", "numPartitions", "startTimestamp", "advanceMillisPerBatch"};
  const char *v[] = {"5", "2", "1000", "500"};
  sp_source *s;
  spate_error err;
  assert_int_equal(create_("RATE-MICRO-BATCH", 4, k, v, &s, &err), 0);
  assert_string_equal(s->description,
                      "RatePerMicroBatchStream[rowsPerBatch=5, numPartitions=2, startTimestamp=1000, "
                      "advanceMsPerBatch=500]");
  assert_int_equal(s->vt->open(s, f->dir, NULL, &err), 0);
  char *e0 = NULL, *e1 = NULL;
  assert_int_equal(s->vt->latest_offset(s, NULL, &e0, &err), 0);
  assert_string_equal(e0, "{\"offset\":5,\"timestamp\":1500}");
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, NULL, e0, &l, &err), 0);
  assert_int_equal(l.n, 2);
  assert_int_equal(l.items[0]->nrows, 3);
  assert_int_equal(l.items[1]->nrows, 2);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[1])[2], 4);
  assert_int_equal(sp_vec_i64(l.items[1]->cols[1])[1], 3);
  for (int p = 0; p < 2; p++)
    for (int64_t i = 0; i < l.items[p]->nrows; i++)
      assert_int_equal(sp_vec_i64(l.items[p]->cols[0])[i], INT64_C(1000000));
  sp_batch_list_release(&l);
  assert_int_equal(s->vt->latest_offset(s, e0, &e1, &err), 0);
  assert_string_equal(e1, "{\"offset\":10,\"timestamp\":2000}");
  assert_int_equal(s->vt->get_batch(s, e0, e1, &l, &err), 0);
  assert_int_equal(sp_batch_list_rows(&l), 5);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[1])[0], 5);
  assert_int_equal(sp_vec_i64(l.items[0]->cols[0])[0], INT64_C(1500000));
  sp_batch_list_release(&l);
  /* AvailableNow: one batch from the current start, then no new data. */
  assert_int_equal(s->vt->prepare_available_now(s, &err), 0);
  char *t1 = NULL, *t2 = NULL;
  assert_int_equal(s->vt->latest_offset(s, e1, &t1, &err), 0);
  assert_string_equal(t1, "{\"offset\":15,\"timestamp\":2500}");
  assert_int_equal(s->vt->latest_offset(s, t1, &t2, &err), 0);
  assert_string_equal(t2, t1);
  free(t1);
  free(t2);
  free(e0);
  free(e1);
  sp_source_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_rate_values_and_timestamps, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_rate_ramp_up_and_rounding, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_rate_start_time_persisted, setup_, teardown_),
      cmocka_unit_test(test_rate_option_errors),
      cmocka_unit_test_setup_teardown(test_rate_micro_batch, setup_, teardown_),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
