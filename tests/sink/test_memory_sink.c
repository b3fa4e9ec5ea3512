/* test_memory_sink.c - unit tests for the memory sink and its registry, the
 * foreachBatch sink and the noop sink (src/sink/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/memory_registry.h"
#include "sink/sink.h"

static sp_type *schema_(void) {
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "k", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 1, "n", sp_type_prim(SP_BIGINT), true);
  return st;
}

static sp_batch *rows_(sp_type *st, const char *keys, int64_t base) {
  int n = (int)strlen(keys);
  sp_batch *b = sp_batch_new(st, n);
  for (int i = 0; i < n; i++) {
    sp_vec_append_str(b->cols[0], keys + i, 1);
    sp_vec_append_i64(b->cols[1], base + i);
  }
  assert_int_equal(sp_batch_finish(b), 0);
  return b;
}

static sp_sink *memory_sink_(sp_memory_registry *reg, const char *name, sp_type *st, sp_output_mode mode) {
  sp_sink_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "memory";
  spec.query_name = name;
  spec.memory_registry = reg;
  sp_sink *s = NULL;
  spate_error err;
  int rc = sp_sink_create(&spec, &s, &err);
  if (rc) fail_msg("%s", err.message);
  assert_int_equal(s->vt->open(s, st, mode, &err), 0);
  return s;
}

/* "k:n,k:n" rendering of a table. */
static void assert_table_(sp_memory_registry *reg, const char *name, const char *want) {
  sp_batch *b = NULL;
  assert_int_equal(sp_memory_registry_snapshot(reg, name, &b), 0);
  char got[1024] = "";
  for (int64_t i = 0; i < b->nrows; i++) {
    int32_t len;
    const char *k = sp_vec_str(b->cols[0], i, &len);
    char cell[64];
    snprintf(cell, sizeof cell, "%s%.*s:%lld", i ? "," : "", (int)len, k, (long long)sp_vec_i64(b->cols[1])[i]);
    strcat(got, cell);
  }
  assert_string_equal(got, want);
  sp_batch_free(b);
}

static void test_append_replay_and_snapshot(void **state) {
  (void)state;
  sp_memory_registry *reg = sp_memory_registry_new();
  sp_type *st = schema_();
  sp_sink *s = memory_sink_(reg, "Counts", st, SP_MODE_APPEND);
  assert_string_equal(s->description, "MemorySink");
  assert_table_(reg, "counts", ""); /* registered empty at start */
  sp_batch *p0[2] = {rows_(st, "ab", 0), rows_(st, "c", 10)};
  spate_error err;
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p0, 2, &err), 0);
  assert_int_equal(s->num_output_rows, 3);
  assert_table_(reg, "Counts", "a:0,b:1,c:10");
  /* Replay of batch 0: ignored. */
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p0, 2, &err), 0);
  assert_int_equal(s->num_output_rows, 0);
  assert_table_(reg, "Counts", "a:0,b:1,c:10");
  sp_batch *p1[2] = {NULL, rows_(st, "d", 20)};
  assert_int_equal(s->vt->add_batch(s, 1, (const sp_batch *const *)p1, 2, &err), 0);
  assert_table_(reg, "Counts", "a:0,b:1,c:10,d:20");
  assert_int_equal(sp_memory_registry_last_batch(reg, "counts"), 1);
  /* A snapshot is a deep copy. */
  sp_batch *snap = NULL;
  assert_int_equal(sp_memory_registry_snapshot(reg, "counts", &snap), 0);
  assert_int_equal(snap->nrows, 4);
  sp_batch_free(snap);
  assert_int_equal(sp_memory_registry_snapshot(reg, "other", &snap), SPATE_ENOTFOUND);
  assert_null(snap);
  sp_sink_free(s);
  /* A new query with the same name starts from an empty table. */
  s = memory_sink_(reg, "COUNTS", st, SP_MODE_UPDATE);
  assert_table_(reg, "counts", "");
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p1, 2, &err), 0);
  assert_table_(reg, "counts", "d:20");
  sp_sink_free(s);
  sp_batch_free(p0[0]);
  sp_batch_free(p0[1]);
  sp_batch_free(p1[1]);
  sp_memory_registry_free(reg);
  sp_type_unref(st);
}

static void test_complete_replaces(void **state) {
  (void)state;
  sp_memory_registry *reg = sp_memory_registry_new();
  sp_type *st = schema_();
  sp_sink *s = memory_sink_(reg, "agg", st, SP_MODE_COMPLETE);
  sp_batch *p0[1] = {rows_(st, "xy", 1)};
  sp_batch *p1[2] = {rows_(st, "x", 5), rows_(st, "yz", 7)};
  spate_error err;
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p0, 1, &err), 0);
  assert_table_(reg, "agg", "x:1,y:2");
  assert_int_equal(s->vt->add_batch(s, 1, (const sp_batch *const *)p1, 2, &err), 0);
  assert_table_(reg, "agg", "x:5,y:7,z:8");
  assert_int_equal(s->vt->add_batch(s, 1, (const sp_batch *const *)p0, 1, &err), 0); /* replay ignored */
  assert_table_(reg, "agg", "x:5,y:7,z:8");
  sp_sink_free(s);
  sp_batch_free(p0[0]);
  sp_batch_free(p1[0]);
  sp_batch_free(p1[1]);
  sp_memory_registry_free(reg);
  sp_type_unref(st);
}

static void test_memory_requires_query_name(void **state) {
  (void)state;
  sp_memory_registry *reg = sp_memory_registry_new();
  sp_sink_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "memory";
  spec.memory_registry = reg;
  sp_sink *s = NULL;
  spate_error err;
  assert_int_equal(sp_sink_create(&spec, &s, &err), SPATE_EANALYSIS);
  assert_string_equal(err.message, "queryName must be specified for memory sink");
  assert_null(s);
  sp_memory_registry_free(reg);
}

typedef struct fb_log {
  int calls;
  int64_t ids[8];
  int64_t rows[8];
  bool fail;
} fb_log;

static int fb_fn_(void *user, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err) {
  fb_log *lg = user;
  if (lg->fail) return spate_error_set(err, SPATE_ERUNTIME, "user function failed on batch %lld", (long long)batch_id);
  int64_t rows = 0;
  for (int i = 0; i < nparts; i++) rows += parts[i] ? parts[i]->nrows : 0;
  lg->ids[lg->calls] = batch_id;
  lg->rows[lg->calls++] = rows;
  return 0;
}

static void test_foreach_batch_and_noop(void **state) {
  (void)state;
  sp_type *st = schema_();
  fb_log lg;
  memset(&lg, 0, sizeof lg);
  sp_sink_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "foreachBatch";
  spec.foreach_batch = fb_fn_;
  spec.foreach_batch_user = &lg;
  sp_sink *s = NULL;
  spate_error err;
  assert_int_equal(sp_sink_create(&spec, &s, &err), 0);
  assert_string_equal(s->description, "ForeachBatchSink");
  sp_batch *p[2] = {rows_(st, "ab", 0), rows_(st, "c", 0)};
  assert_int_equal(s->vt->add_batch(s, 3, (const sp_batch *const *)p, 2, &err), 0);
  assert_int_equal(s->vt->add_batch(s, 3, (const sp_batch *const *)p, 1, &err), 0); /* replay: same id again */
  assert_int_equal(lg.calls, 2);
  assert_int_equal(lg.ids[0], 3);
  assert_int_equal(lg.rows[0], 3);
  assert_int_equal(lg.ids[1], 3);
  assert_int_equal(lg.rows[1], 2);
  lg.fail = true;
  assert_int_equal(s->vt->add_batch(s, 4, (const sp_batch *const *)p, 2, &err), SPATE_ERUNTIME);
  assert_string_equal(err.message, "user function failed on batch 4");
  sp_sink_free(s);
  spec.foreach_batch = NULL;
  assert_int_equal(sp_sink_create(&spec, &s, &err), SPATE_EINVAL);
  /* noop */
  memset(&spec, 0, sizeof spec);
  spec.format = "noop";
  assert_int_equal(sp_sink_create(&spec, &s, &err), 0);
  assert_string_equal(s->description, "NoopTable");
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p, 2, &err), 0);
  assert_int_equal(s->num_output_rows, 3);
  sp_sink_free(s);
  sp_batch_free(p[0]);
  sp_batch_free(p[1]);
  sp_type_unref(st);
}

typedef struct race_ctx {
  sp_memory_registry *reg;
  sp_type *st;
} race_ctx;

static void *snapshotter_(void *arg) {
  race_ctx *c = arg;
  for (int i = 0; i < 200; i++) {
    sp_batch *b = NULL;
    if (sp_memory_registry_snapshot(c->reg, "t", &b) == 0) {
      assert_int_equal(b->nrows % 2, 0);
      sp_batch_free(b);
    }
  }
  return NULL;
}

static void test_registry_concurrent_snapshots(void **state) {
  (void)state;
  race_ctx c = {sp_memory_registry_new(), schema_()};
  assert_int_equal(sp_memory_registry_reset(c.reg, "t", c.st), 0);
  pthread_t th;
  pthread_create(&th, NULL, snapshotter_, &c);
  sp_batch *b = rows_(c.st, "xy", 0);
  for (int64_t id = 0; id < 200; id++) {
    int64_t rows;
    const sp_batch *parts[1] = {b};
    assert_int_equal(sp_memory_registry_write(c.reg, "t", c.st, id, parts, 1, false, &rows), 0);
    assert_int_equal(rows, 2);
  }
  pthread_join(th, NULL);
  sp_batch *snap = NULL;
  assert_int_equal(sp_memory_registry_snapshot(c.reg, "t", &snap), 0);
  assert_int_equal(snap->nrows, 400);
  sp_batch_free(snap);
  sp_batch_free(b);
  sp_memory_registry_free(c.reg);
  sp_type_unref(c.st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_append_replay_and_snapshot),
      cmocka_unit_test(test_complete_replaces),
      cmocka_unit_test(test_memory_requires_query_name),
      cmocka_unit_test(test_foreach_batch_and_noop),
      cmocka_unit_test(test_registry_concurrent_snapshots),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
