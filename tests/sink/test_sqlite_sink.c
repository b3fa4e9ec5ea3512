/* test_sqlite_sink.c - unit tests for the sqlite sink (src/sink/sqlite_sink.c): append,
 * upsert, exactly-once replay (same sink and a reopened one), Complete mode, type
 * mapping (and a round trip through the sqlite static table), schema mismatch errors,
 * bad options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sink/sink.h"
#include "source/static_table.h"

static char tmp_[256], db_[300];

static void setup_(void) {
  snprintf(tmp_, sizeof tmp_, "/tmp/spate-sqlsink-XXXXXX");
  assert_non_null(mkdtemp(tmp_));
  snprintf(db_, sizeof db_, "%s/out.db", tmp_);
}

static void teardown_(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_);
  assert_int_equal(system(cmd), 0);
}

/* Rows of `sql` as "a|b;c|d" (NULL as "NULL"). malloc'd. */
static char *q_(const char *sql) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(db_, &db), SQLITE_OK);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  size_t cap = 4096, n = 0;
  char *out = calloc(1, cap);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    if (n) n += (size_t)snprintf(out + n, cap - n, ";");
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const char *v = (const char *)sqlite3_column_text(st, c);
      n += (size_t)snprintf(out + n, cap - n, "%s%s", c ? "|" : "", v ? v : "NULL");
    }
  }
  assert_int_equal(r, SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

static void q_is_(const char *sql, const char *want) {
  char *got = q_(sql);
  if (strcmp(got, want) != 0) fail_msg("%s\n got: %s\nwant: %s", sql, got, want);
  free(got);
}

static void exec_(const char *sql) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(db_, &db), SQLITE_OK);
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
  sqlite3_close(db);
}

static sp_type *kv_schema_(void) {
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "id", sp_type_prim(SP_BIGINT), false);
  sp_type_struct_set(st, 1, "name", sp_type_prim(SP_STRING), true);
  return st;
}

static sp_batch *kv_(sp_type *st, int n, const int64_t *ids, const char *const *names) {
  sp_batch *b = sp_batch_new(st, n);
  for (int i = 0; i < n; i++) {
    sp_vec_append_i64(b->cols[0], ids[i]);
    if (names[i])
      sp_vec_append_str(b->cols[1], names[i], (int32_t)strlen(names[i]));
    else
      sp_vec_append_null(b->cols[1]);
  }
  assert_int_equal(sp_batch_finish(b), 0);
  return b;
}

static int make_sink_(int n, const char *const *k, const char *const *v, sp_sink **out, spate_error *err) {
  sp_sink_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "sqlite";
  spec.noptions = n;
  spec.keys = k;
  spec.values = v;
  return sp_sink_create(&spec, out, err);
}

static sp_sink *open_(int n, const char *const *k, const char *const *v, sp_type *st, sp_output_mode mode,
                      const char *qid) {
  sp_sink *s = NULL;
  spate_error err;
  spate_error_clear(&err);
  if (make_sink_(n, k, v, &s, &err)) fail_msg("create: %s", err.message);
  snprintf(s->query_id, sizeof s->query_id, "%s", qid);
  if (s->vt->open(s, st, mode, &err)) fail_msg("open: %s", err.message);
  return s;
}

static void add_(sp_sink *s, int64_t id, sp_batch *b) {
  spate_error err;
  spate_error_clear(&err);
  const sp_batch *parts[2] = {b, NULL};
  if (s->vt->add_batch(s, id, parts, 2, &err)) fail_msg("add_batch %lld: %s", (long long)id, err.message);
}

static const char *Q1 = "11111111-1111-1111-1111-111111111111";
static const char *Q2 = "22222222-2222-2222-2222-222222222222";

static void test_append_and_replay(void **state) {
  (void)state;
  setup_();
  sp_type *st = kv_schema_();
  const char *k[] = {"path", "table"}, *v[] = {db_, "events"};
  sp_sink *s = open_(2, k, v, st, SP_MODE_APPEND, Q1);
  assert_string_equal(s->description, "SQLiteSink[out.db:events]");
  int64_t i0[] = {1, 2}, i1[] = {3};
  const char *n0[] = {"a", NULL}, *n1[] = {"c"};
  sp_batch *b0 = kv_(st, 2, i0, n0), *b1 = kv_(st, 1, i1, n1);
  add_(s, 0, b0);
  assert_int_equal(s->num_output_rows, 2);
  add_(s, 1, b1);
  q_is_("SELECT id, name FROM events ORDER BY id", "1|a;2|NULL;3|c");
  q_is_("SELECT query_id, sink_table, batch_id FROM _spate_sink_progress",
        "11111111-1111-1111-1111-111111111111|events|1");
  /* replay on the same sink: nothing */
  add_(s, 1, b1);
  assert_int_equal(s->num_output_rows, 0);
  add_(s, 0, b0);
  q_is_("SELECT count(*) FROM events", "3");
  sp_sink_free(s);
  /* a restarted query (same id) skips the replayed batch and continues */
  s = open_(2, k, v, st, SP_MODE_APPEND, Q1);
  add_(s, 1, b1);
  assert_int_equal(s->num_output_rows, 0);
  add_(s, 2, b1);
  assert_int_equal(s->num_output_rows, 1);
  q_is_("SELECT count(*), max(batch_id) FROM events, _spate_sink_progress", "4|2");
  sp_sink_free(s);
  /* another query into the same table keeps its own progress */
  s = open_(2, k, v, st, SP_MODE_APPEND, Q2);
  add_(s, 0, b0);
  assert_int_equal(s->num_output_rows, 2);
  q_is_("SELECT count(*) FROM events", "6");
  q_is_("SELECT batch_id FROM _spate_sink_progress ORDER BY query_id", "2;0");
  sp_sink_free(s);
  sp_batch_free(b0);
  sp_batch_free(b1);
  sp_type_unref(st);
  teardown_();
}

static void test_upsert(void **state) {
  (void)state;
  setup_();
  sp_type *st = kv_schema_();
  const char *k[] = {"path", "table", "mode", "keys"}, *v[] = {db_, "users", "upsert", " id "};
  sp_sink *s = open_(4, k, v, st, SP_MODE_UPDATE, Q1);
  int64_t i0[] = {1, 2}, i1[] = {2, 3};
  const char *n0[] = {"a", "b"}, *n1[] = {"B", "c"};
  sp_batch *b0 = kv_(st, 2, i0, n0), *b1 = kv_(st, 2, i1, n1);
  add_(s, 0, b0);
  add_(s, 1, b1);
  q_is_("SELECT id, name FROM users ORDER BY id", "1|a;2|B;3|c");
  q_is_("SELECT pk FROM pragma_table_info('users') WHERE name = 'id'", "1");
  sp_sink_free(s);
  /* upsert into an existing table with a UNIQUE key: other columns keep their values */
  exec_("CREATE TABLE u2(extra TEXT DEFAULT 'keep', id INTEGER UNIQUE, name TEXT);"
        "INSERT INTO u2(extra, id, name) VALUES ('x', 2, 'old')");
  const char *v2[] = {db_, "u2", "upsert", "id"};
  s = open_(4, k, v2, st, SP_MODE_UPDATE, Q1);
  add_(s, 0, b1);
  q_is_("SELECT extra, id, name FROM u2 ORDER BY id", "x|2|B;keep|3|c");
  sp_sink_free(s);
  /* no unique constraint on the keys */
  exec_("CREATE TABLE u3(id INTEGER, name TEXT)");
  const char *v3[] = {db_, "u3", "upsert", "id"};
  sp_sink *bad = NULL;
  spate_error err;
  assert_int_equal(make_sink_(4, k, v3, &bad, &err), 0);
  snprintf(bad->query_id, sizeof bad->query_id, "%s", Q1);
  assert_int_equal(bad->vt->open(bad, st, SP_MODE_UPDATE, &err), SPATE_EANALYSIS);
  assert_non_null(strstr(err.message, "cannot upsert into table 'u3' on keys (id)"));
  sp_sink_free(bad);
  sp_batch_free(b0);
  sp_batch_free(b1);
  sp_type_unref(st);
  teardown_();
}

static void test_complete_replaces(void **state) {
  (void)state;
  setup_();
  sp_type *st = kv_schema_();
  const char *k[] = {"path", "table"}, *v[] = {db_, "counts"};
  sp_sink *s = open_(2, k, v, st, SP_MODE_COMPLETE, Q1);
  int64_t i0[] = {1, 2, 3}, i1[] = {1, 4};
  const char *n0[] = {"a", "b", "c"}, *n1[] = {"x", "y"};
  sp_batch *b0 = kv_(st, 3, i0, n0), *b1 = kv_(st, 2, i1, n1);
  add_(s, 0, b0);
  q_is_("SELECT count(*) FROM counts", "3");
  add_(s, 1, b1);
  q_is_("SELECT id, name FROM counts ORDER BY id", "1|x;4|y");
  add_(s, 1, b0); /* replay: skipped, the table stays as batch 1 left it */
  q_is_("SELECT id, name FROM counts ORDER BY id", "1|x;4|y");
  sp_sink_free(s);
  sp_batch_free(b0);
  sp_batch_free(b1);
  sp_type_unref(st);
  teardown_();
}

static int64_t ts_(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
  return (int64_t)timegm(&tm) * 1000000;
}

static void test_type_mapping_round_trip(void **state) {
  (void)state;
  setup_();
  const char *names[] = {"b", "i", "l", "d", "s", "bin", "ts", "day", "arr"};
  sp_type *st = sp_type_struct_new(9);
  sp_type_struct_set(st, 0, names[0], sp_type_prim(SP_BOOLEAN), true);
  sp_type_struct_set(st, 1, names[1], sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 2, names[2], sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(st, 3, names[3], sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(st, 4, names[4], sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 5, names[5], sp_type_prim(SP_BINARY), true);
  sp_type_struct_set(st, 6, names[6], sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 7, names[7], sp_type_prim(SP_DATE), true);
  sp_type_struct_set(st, 8, names[8], sp_type_array_new(sp_type_prim(SP_BIGINT), true), true);
  sp_batch *b = sp_batch_new(st, 2);
  sp_vec_append_bool(b->cols[0], true);
  sp_vec_append_i32(b->cols[1], -7);
  sp_vec_append_i64(b->cols[2], 9000000000LL);
  sp_vec_append_f64(b->cols[3], 2.5);
  sp_vec_append_str(b->cols[4], "it's \"q\"", 8);
  sp_vec_append_str(b->cols[5], "\x01\x00\x02", 3);
  sp_vec_append_i64(b->cols[6], ts_(2019, 2, 5, 10, 5, 0) + 123000);
  sp_vec_append_i32(b->cols[7], (int32_t)(ts_(2019, 2, 5, 0, 0, 0) / 86400000000LL));
  sp_vec_append_i64(b->cols[8]->children[0], 1);
  sp_vec_append_i64(b->cols[8]->children[0], 2);
  sp_vec_array_close(b->cols[8], true);
  for (int c = 0; c < 9; c++) sp_vec_append_null(b->cols[c]);
  assert_int_equal(sp_batch_finish(b), 0);
  const char *k[] = {"path", "table"}, *v[] = {db_, "typed"};
  sp_sink *s = open_(2, k, v, st, SP_MODE_APPEND, Q1);
  add_(s, 0, b);
  sp_sink_free(s);
  q_is_("SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('typed')",
        "b:BOOLEAN,i:INTEGER,l:BIGINT,d:DOUBLE,s:TEXT,bin:BLOB,ts:TIMESTAMP,day:DATE,arr:TEXT");
  q_is_("SELECT typeof(b), b, typeof(i), i, typeof(l), l, typeof(d), d, typeof(s), s, typeof(bin), hex(bin), "
        "typeof(ts), ts, day, arr FROM typed WHERE b IS NOT NULL",
        "integer|1|integer|-7|integer|9000000000|real|2.5|text|it's \"q\"|blob|010002|text|2019-02-05 "
        "10:05:00.123|2019-02-05|[1,2]");
  q_is_("SELECT count(*) FROM typed WHERE coalesce(b, i, l, d, s, bin, ts, day, arr) IS NULL", "1");
  /* read back through the static table */
  sp_source_spec spec;
  memset(&spec, 0, sizeof spec);
  const char *sk[] = {"path", "table"}, *sv[] = {db_, "typed"};
  spec.format = "sqlite";
  spec.noptions = 2;
  spec.keys = sk;
  spec.values = sv;
  sp_static_table *t = NULL;
  spate_error err;
  if (sp_static_table_create(&spec, &t, &err)) fail_msg("%s", err.message);
  sp_batch *r = NULL;
  if (sp_static_table_read(t, &r, &err)) fail_msg("%s", err.message);
  assert_int_equal(r->nrows, 2);
  assert_int_equal(sp_vec_bool(r->cols[0])[0], 1);
  assert_int_equal(sp_vec_i64(r->cols[2])[0], 9000000000LL);
  assert_int_equal(sp_vec_i64(r->cols[6])[0], ts_(2019, 2, 5, 10, 5, 0) + 123000);
  assert_int_equal(sp_vec_i32(r->cols[7])[0], sp_vec_i32(b->cols[7])[0]);
  for (int c = 0; c < 9; c++) assert_true(sp_vec_is_null(r->cols[c], 1));
  sp_batch_free(r);
  sp_static_table_free(t);
  sp_batch_free(b);
  sp_type_unref(st);
  teardown_();
}

static void open_fails_(const char *table, sp_type *st, int code, const char *needle) {
  const char *k[] = {"path", "table"}, *v[] = {db_, table};
  sp_sink *s = NULL;
  spate_error err;
  assert_int_equal(make_sink_(2, k, v, &s, &err), 0);
  snprintf(s->query_id, sizeof s->query_id, "%s", Q1);
  int rc = s->vt->open(s, st, SP_MODE_APPEND, &err);
  if (rc != code) fail_msg("expected %d, got %d: %s", code, rc, err.message);
  if (!strstr(err.message, needle)) fail_msg("'%s' not in: %s", needle, err.message);
  sp_sink_free(s);
}

static void test_schema_mismatch_errors(void **state) {
  (void)state;
  setup_();
  exec_("CREATE TABLE t(id INTEGER, other TEXT)");
  sp_type *st = kv_schema_();
  open_fails_("t", st, SPATE_EANALYSIS, "table 't' has no column 'name'");
  exec_("CREATE TABLE t2(id TEXT, name INTEGER)");
  open_fails_("t2", st, SPATE_EANALYSIS,
              "column 'name' of table 't2' is declared INTEGER, which cannot hold the query's string column 'name'");
  sp_type_unref(st);
  teardown_();
}

static void create_fails_(int n, const char *const *k, const char *const *v, const char *needle) {
  sp_sink *s = NULL;
  spate_error err;
  assert_int_equal(make_sink_(n, k, v, &s, &err), SPATE_EINVAL);
  assert_null(s);
  if (!strstr(err.message, needle)) fail_msg("'%s' not in: %s", needle, err.message);
}

static void test_bad_options(void **state) {
  (void)state;
  const char *k[] = {"path", "table", "mode"}, *v[] = {"x.db", "t", "merge"};
  create_fails_(3, k, v, "Invalid value 'merge' for option 'mode'");
  const char *v2[] = {"x.db", "t", "upsert"};
  create_fails_(3, k, v2, "requires the option 'keys'");
  const char *k3[] = {"path"}, *v3[] = {"x.db"};
  create_fails_(1, k3, v3, "'table' is not specified");
  const char *k4[] = {"path", "table", "key"}, *v4[] = {"x.db", "t", "id"};
  create_fails_(3, k4, v4, "Unknown option 'key' for sqlite sink. Did you mean 'keys'?");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_append_and_replay),      cmocka_unit_test(test_upsert),
      cmocka_unit_test(test_complete_replaces),      cmocka_unit_test(test_type_mapping_round_trip),
      cmocka_unit_test(test_schema_mismatch_errors), cmocka_unit_test(test_bad_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
