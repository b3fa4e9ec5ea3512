/* test_pool_threads.c - the worker pool runs every task exactly once, reports the
 * first failure, and tolerates concurrent submitters (run under TSan by `make tsan`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "runtime/pool.h"

typedef struct {
  atomic_int hits[1000];
} counts;

static int count_task(void *ctx, int i, spate_error *err) {
  (void)err;
  counts *c = ctx;
  atomic_fetch_add(&c->hits[i], 1);
  return 0;
}

static int failing_task(void *ctx, int i, spate_error *err) {
  (void)ctx;
  if (i == 7) return spate_error_set(err, SPATE_EIO, "task %d failed", i);
  return 0;
}

static void test_each_task_once(void **state) {
  (void)state;
  sp_pool *p = sp_pool_new(3);
  assert_non_null(p);
  static counts c;
  for (int round = 0; round < 50; round++) {
    for (int i = 0; i < 1000; i++) atomic_store(&c.hits[i], 0);
    assert_int_equal(sp_pool_run(p, 1000, count_task, &c, NULL), 0);
    for (int i = 0; i < 1000; i++) assert_int_equal(atomic_load(&c.hits[i]), 1);
  }
  sp_pool_free(p);
}

static void test_failure_reported(void **state) {
  (void)state;
  sp_pool *p = sp_pool_new(2);
  spate_error err;
  spate_error_clear(&err);
  assert_int_equal(sp_pool_run(p, 20, failing_task, NULL, &err), SPATE_EIO);
  assert_string_equal(err.message, "task 7 failed");
  sp_pool_free(p);
}

static void test_inline_pool(void **state) {
  (void)state;
  sp_pool *p = sp_pool_new(0);
  static counts c;
  for (int i = 0; i < 10; i++) atomic_store(&c.hits[i], 0);
  assert_int_equal(sp_pool_run(p, 10, count_task, &c, NULL), 0);
  for (int i = 0; i < 10; i++) assert_int_equal(atomic_load(&c.hits[i]), 1);
  assert_int_equal(sp_pool_size(p), 1);
  sp_pool_free(p);
}

typedef struct {
  sp_pool *p;
  counts c;
} submit_ctx;

static void *submitter(void *arg) {
  submit_ctx *s = arg;
  for (int r = 0; r < 20; r++) sp_pool_run(s->p, 100, count_task, &s->c, NULL);
  return NULL;
}

static void test_concurrent_submitters(void **state) {
  (void)state;
  sp_pool *p = sp_pool_new(2);
  static submit_ctx a, b;
  a.p = b.p = p;
  for (int i = 0; i < 100; i++) {
    atomic_store(&a.c.hits[i], 0);
    atomic_store(&b.c.hits[i], 0);
  }
  pthread_t t1, t2;
  pthread_create(&t1, NULL, submitter, &a);
  pthread_create(&t2, NULL, submitter, &b);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  for (int i = 0; i < 100; i++) {
    assert_int_equal(atomic_load(&a.c.hits[i]), 20);
    assert_int_equal(atomic_load(&b.c.hits[i]), 20);
  }
  sp_pool_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_task_once),
      cmocka_unit_test(test_failure_reported),
      cmocka_unit_test(test_inline_pool),
      cmocka_unit_test(test_concurrent_submitters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
