/* test_clock.c - the injectable processing-time clock (Spark's triggerClock; its tests
 * use a ManualClock): with a manual clock a processing-time query triggers only when
 * the clock reaches the next tick, the batch timestamp (current_timestamp()) is the
 * clock's time, and nothing depends on real time passing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/arrow_export.h"
#include "common/buf.h"
#include "common/valfmt.h"
#include "spate/spate.h"
#include "testutil.h"

typedef struct seen {
  atomic_int batches;
  sp_buf text; /* "batch|k|ts\n" per row; read by the test only after the query stopped */
} seen;

static int on_batch(void *user, int64_t batch_id, struct ArrowSchema *schema, struct ArrowArray *array) {
  seen *s = user;
  sp_batch *b = NULL;
  spate_error err;
  int rc = sp_arrow_import_batch(schema, array, &b, &err);
  array->release(array);
  schema->release(schema);
  if (rc) return rc;
  for (int64_t i = 0; i < b->nrows; i++) {
    sp_buf_printf(&s->text, "%lld", (long long)batch_id);
    for (int c = 0; c < b->ncols; c++) {
      sp_buf_putc(&s->text, '|');
      sp_format_value(b->cols[c], i, "UTC", true, &s->text);
    }
    sp_buf_putc(&s->text, '\n');
  }
  sp_batch_free(b);
  atomic_fetch_add(&s->batches, 1);
  return 0;
}

/* Wait (real time, up to 20 s) until n batches were delivered. */
static void await_batches(seen *s, int n) {
  for (int i = 0; i < 4000 && atomic_load(&s->batches) < n; i++) tu_sleep_ms(5);
  assert_int_equal(atomic_load(&s->batches), n);
}

static void test_processing_time_trigger_on_manual_clock(void **state) {
  (void)state;
  char dir[] = "/tmp/spate-clock-XXXXXX";
  assert_non_null(mkdtemp(dir));
  tu_write_file(dir, "0.json", "{\"k\":\"a\"}\n");
  /* 2026-01-01 00:00:03 UTC: ticks of a 10-second trigger fall on :10, :20, ... */
  const int64_t t0 = 1767225603000LL;
  spate_manual_clock *clk = spate_manual_clock_new(t0);
  assert_non_null(clk);
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  assert_non_null(s);
  spate_clock c = spate_manual_clock_as_clock(clk);
  spate_session_set_clock(s, &c);
  spate_reader *r = spate_read_stream(s);
  spate_reader_format(r, "json");
  spate_reader_option(r, "path", dir);
  spate_reader_schema(r, "k STRING", &err);
  spate_df *src = spate_reader_load(r, &err);
  assert_non_null(src);
  const char *ex[] = {"k", "current_timestamp() AS ts"};
  spate_df *df = spate_df_select_expr(src, 2, ex, &err);
  assert_non_null(df);
  seen got;
  atomic_init(&got.batches, 0);
  sp_buf_init(&got.text);
  spate_writer *w = spate_df_write_stream(df);
  spate_writer_foreach_batch(w, on_batch, &got);
  spate_writer_trigger_processing_time(w, 10000);
  spate_query *q = spate_writer_start(w, &err);
  assert_non_null(q);
  /* The first trigger runs at once, at the clock's time. */
  await_batches(&got, 1);
  /* New data, but the clock stays before the next tick (00:00:10): no batch, however
   * long we wait in real time. */
  tu_write_file(dir, "1.json", "{\"k\":\"b\"}\n");
  spate_manual_clock_advance(clk, 6000); /* 00:00:09 */
  tu_sleep_ms(300);
  assert_int_equal(atomic_load(&got.batches), 1);
  /* The tick: batch 1 at exactly 00:00:10. */
  spate_manual_clock_advance(clk, 1000);
  await_batches(&got, 2);
  /* Ticks without data run no batch; the next data runs at the tick after it arrives,
   * even when the clock jumps past several ticks (one batch, at the clock's time). */
  spate_manual_clock_advance(clk, 10000); /* 00:00:20, nothing new */
  tu_sleep_ms(300);
  assert_int_equal(atomic_load(&got.batches), 2);
  tu_write_file(dir, "2.json", "{\"k\":\"c\"}\n");
  spate_manual_clock_advance(clk, 25000); /* 00:00:45 */
  await_batches(&got, 3);
  tu_sleep_ms(300);
  assert_int_equal(atomic_load(&got.batches), 3);
  /* Progress carries the clock's trigger times. */
  char *p = spate_query_last_progress(q);
  assert_non_null(p);
  assert_non_null(strstr(p, "\"timestamp\":\"2026-01-01T00:00:45.000Z\""));
  free(p);
  spate_query_stop(q);
  assert_int_equal(spate_query_await_termination(q, 10000, &err), 1);
  assert_string_equal(got.text.data,
                      "0|a|2026-01-01 00:00:03\n"
                      "1|b|2026-01-01 00:00:10\n"
                      "2|c|2026-01-01 00:00:45\n");
  spate_df_free(src);
  spate_df_free(df);
  spate_session_free(s);
  spate_manual_clock_free(clk);
  sp_buf_free(&got.text);
  tu_rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_processing_time_trigger_on_manual_clock),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
