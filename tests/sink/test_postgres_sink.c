/* test_postgres_sink.c - unit tests for the postgres sink (src/sink/postgres_sink.c)
 * against a throw-away PostgreSQL server (scripts/pg-test-server.sh; every test is
 * skipped with a message when none can start): append, exactly-once replay (same sink,
 * a reopened one, another query id), upsert (created table, existing UNIQUE table, no
 * constraint), Complete mode, type mapping, pipelined inserts (> 512 rows, a key twice in
 * one upsert batch), a failing row (whole batch rolled back, progress unchanged, retry ok),
 * the password never shown, bad options, and
 * a job file (json source -> postgres) run twice through the C API. */
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

#include "common/buf.h"
#include "sink/sink.h"
#include "spate/spate.h"
#include "testutil.h"

static char pgdir_[64]; /* socket directory of the running server, "" if none */
static int pg_state_;   /* 0 not tried, 1 running, -1 cannot start */
static char ci_[200];

static int start_pg_(void **state) {
  (void)state;
  snprintf(pgdir_, sizeof pgdir_, "/tmp/spate-pgsink-XXXXXX");
  if (!mkdtemp(pgdir_)) return -1;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s/scripts/pg-test-server.sh start %s >/dev/null", SPATE_SOURCE_DIR, pgdir_);
  if (system(cmd) != 0) {
    fprintf(stderr, "SKIP test_postgres_sink: a PostgreSQL server cannot be started here (Debian package "
                    "postgresql; see scripts/pg-test-server.sh)\n");
    rmdir(pgdir_);
    pgdir_[0] = '\0';
    pg_state_ = -1;
    return 0;
  }
  pg_state_ = 1;
  snprintf(ci_, sizeof ci_, "host=%s dbname=postgres user=postgres", pgdir_);
  return 0;
}

static int stop_pg_(void **state) {
  (void)state;
  if (pgdir_[0]) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/scripts/pg-test-server.sh stop %s", SPATE_SOURCE_DIR, pgdir_);
    if (system(cmd) != 0) return -1;
    pgdir_[0] = '\0';
  }
  return 0;
}

#define NEED_PG()                  \
  do {                             \
    if (pg_state_ != 1) skip();    \
  } while (0)

/* Rows of `sql` as "a|b;c|d" (NULL as ""). malloc'd. */
static char *q_(const char *sql) {
  char path[128];
  snprintf(path, sizeof path, "%s/q.sql", pgdir_);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(sql, f);
  fclose(f);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "psql -X -q -A -t -F '|' -R ';' -v ON_ERROR_STOP=1 -h %s -U postgres -d postgres -f %s 2>&1",
           pgdir_, path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  sp_buf b;
  sp_buf_init(&b);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) sp_buf_append(&b, buf, n);
  int rc = pclose(p);
  while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ';')) b.len--;
  sp_buf_putc(&b, '\0');
  if (rc != 0) fail_msg("psql failed on %s: %s", sql, b.data);
  char *s = sp_buf_steal(&b);
  sp_buf_free(&b);
  return s;
}

static void q_is_(const char *sql, const char *want) {
  char *got = q_(sql);
  if (strcmp(got, want) != 0) fail_msg("%s\n got: %s\nwant: %s", sql, got, want);
  free(got);
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
  spec.format = "postgres";
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
  NEED_PG();
  sp_type *st = kv_schema_();
  const char *k[] = {"conninfo", "table", "password"}, *v[] = {ci_, "events", "s3cr3t-pw"};
  sp_sink *s = open_(3, k, v, st, SP_MODE_APPEND, Q1);
  assert_non_null(strstr(s->description, "PostgreSQLSink["));
  assert_non_null(strstr(s->description, ":events]"));
  assert_null(strstr(s->description, "s3cr3t"));
  int64_t i0[] = {1, 2}, i1[] = {3};
  const char *n0[] = {"a", NULL}, *n1[] = {"c"};
  sp_batch *b0 = kv_(st, 2, i0, n0), *b1 = kv_(st, 1, i1, n1);
  add_(s, 0, b0);
  assert_int_equal(s->num_output_rows, 2);
  add_(s, 1, b1);
  q_is_("SELECT id, name FROM events ORDER BY id", "1|a;2|;3|c");
  q_is_("SELECT query_id, sink_table, batch_id FROM _spate_sink_progress",
        "11111111-1111-1111-1111-111111111111|events|1");
  /* replay on the same sink: nothing */
  add_(s, 1, b1);
  assert_int_equal(s->num_output_rows, 0);
  add_(s, 0, b0);
  q_is_("SELECT count(*) FROM events", "3");
  sp_sink_free(s);
  /* a restarted query (same id) skips the replayed batch and continues */
  s = open_(3, k, v, st, SP_MODE_APPEND, Q1);
  add_(s, 1, b1);
  assert_int_equal(s->num_output_rows, 0);
  add_(s, 2, b1);
  assert_int_equal(s->num_output_rows, 1);
  q_is_("SELECT count(*), max(batch_id) FROM events, _spate_sink_progress", "4|2");
  /* a second writer of the same query (zombie) that still believes batch 2 is new: skipped
   * inside the transaction */
  sp_sink *z = open_(3, k, v, st, SP_MODE_APPEND, Q1);
  add_(s, 3, b1);
  add_(z, 3, b1);
  assert_int_equal(z->num_output_rows, 0);
  q_is_("SELECT count(*) FROM events", "5");
  sp_sink_free(z);
  sp_sink_free(s);
  /* another query into the same table keeps its own progress */
  s = open_(3, k, v, st, SP_MODE_APPEND, Q2);
  add_(s, 0, b0);
  assert_int_equal(s->num_output_rows, 2);
  q_is_("SELECT count(*) FROM events", "7");
  q_is_("SELECT batch_id FROM _spate_sink_progress ORDER BY query_id", "3;0");
  sp_sink_free(s);
  sp_batch_free(b0);
  sp_batch_free(b1);
  sp_type_unref(st);
}

static void test_upsert_and_complete(void **state) {
  (void)state;
  NEED_PG();
  sp_type *st = kv_schema_();
  const char *k[] = {"url", "table", "mode", "keys"};
  char url[200];
  snprintf(url, sizeof url, "postgresql://postgres@/postgres?host=%s", pgdir_);
  const char *v[] = {url, "Users", "upsert", " id "};
  sp_sink *s = open_(4, k, v, st, SP_MODE_UPDATE, Q1);
  int64_t i0[] = {1, 2}, i1[] = {2, 3};
  const char *n0[] = {"a", "b"}, *n1[] = {"B", "c"};
  sp_batch *b0 = kv_(st, 2, i0, n0), *b1 = kv_(st, 2, i1, n1);
  add_(s, 0, b0);
  add_(s, 1, b1);
  q_is_("SELECT id, name FROM \"Users\" ORDER BY id", "1|a;2|B;3|c");
  q_is_("SELECT count(*) FROM pg_constraint WHERE conrelid = '\"Users\"'::regclass AND contype = 'p'", "1");
  sp_sink_free(s);
  /* an existing table with a UNIQUE key in another schema: other columns keep their values */
  char *o = q_("CREATE SCHEMA app; CREATE TABLE app.u2(extra text DEFAULT 'keep', id bigint UNIQUE, name text);"
               "INSERT INTO app.u2(extra, id, name) VALUES ('x', 2, 'old')");
  free(o);
  const char *v2[] = {url, "app.u2", "upsert", "id"};
  s = open_(4, k, v2, st, SP_MODE_UPDATE, Q1);
  add_(s, 0, b1);
  q_is_("SELECT extra, id, name FROM app.u2 ORDER BY id", "x|2|B;keep|3|c");
  sp_sink_free(s);
  /* no unique constraint on the keys */
  o = q_("CREATE TABLE u3(id bigint, name text)");
  free(o);
  const char *v3[] = {url, "u3", "upsert", "id"};
  sp_sink *bad = NULL;
  spate_error err;
  assert_int_equal(make_sink_(4, k, v3, &bad, &err), 0);
  snprintf(bad->query_id, sizeof bad->query_id, "%s", Q1);
  assert_int_equal(bad->vt->open(bad, st, SP_MODE_UPDATE, &err), SPATE_EANALYSIS);
  if (!strstr(err.message, "cannot upsert into table 'u3' on keys (id)")) fail_msg("%s", err.message);
  sp_sink_free(bad);
  /* a table missing an output column */
  o = q_("CREATE TABLE u4(id bigint)");
  free(o);
  const char *k4[] = {"url", "table"}, *v4[] = {url, "u4"};
  assert_int_equal(make_sink_(2, k4, v4, &bad, &err), 0);
  snprintf(bad->query_id, sizeof bad->query_id, "%s", Q1);
  assert_int_equal(bad->vt->open(bad, st, SP_MODE_APPEND, &err), SPATE_EANALYSIS);
  assert_non_null(strstr(err.message, "has no column 'name'"));
  sp_sink_free(bad);
  /* Complete mode replaces the rows, in the batch's transaction */
  const char *kc[] = {"url", "table"}, *vc[] = {url, "totals"};
  s = open_(2, kc, vc, st, SP_MODE_COMPLETE, Q1);
  add_(s, 0, b0);
  add_(s, 1, b1);
  q_is_("SELECT id, name FROM totals ORDER BY id", "2|B;3|c");
  add_(s, 0, b0); /* replay: nothing */
  q_is_("SELECT id, name FROM totals ORDER BY id", "2|B;3|c");
  sp_sink_free(s);
  sp_batch_free(b0);
  sp_batch_free(b1);
  sp_type_unref(st);
}

static void test_types(void **state) {
  (void)state;
  NEED_PG();
  sp_type *st = sp_type_struct_new(9);
  sp_type_struct_set(st, 0, "b", sp_type_prim(SP_BOOLEAN), true);
  sp_type_struct_set(st, 1, "i", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 2, "l", sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(st, 3, "d", sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(st, 4, "s", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 5, "bin", sp_type_prim(SP_BINARY), true);
  sp_type_struct_set(st, 6, "ts", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 7, "day", sp_type_prim(SP_DATE), true);
  sp_type_struct_set(st, 8, "arr", sp_type_array_new(sp_type_prim(SP_STRING), true), true);
  sp_batch *b = sp_batch_new(st, 2);
  sp_vec_append_bool(b->cols[0], true);
  sp_vec_append_i32(b->cols[1], -7);
  sp_vec_append_i64(b->cols[2], 9000000000LL);
  sp_vec_append_f64(b->cols[3], 0.25);
  sp_vec_append_str(b->cols[4], "it's \"q\"", 8);
  sp_vec_append_str(b->cols[5], "\x01\x00\x02", 3);
  sp_vec_append_i64(b->cols[6], 1549361100123456LL); /* 2019-02-05 10:05:00.123456 UTC */
  sp_vec_append_i32(b->cols[7], 17932);              /* 2019-02-05 */
  sp_vec_append_str(b->cols[8]->children[0], "x", 1);
  sp_vec_append_str(b->cols[8]->children[0], "y", 1);
  sp_vec_array_close(b->cols[8], true);
  for (int c = 0; c < 9; c++) sp_vec_append_null(b->cols[c]);
  assert_int_equal(sp_batch_finish(b), 0);
  const char *k[] = {"conninfo", "table"}, *v[] = {ci_, "typed"};
  sp_sink *s = open_(2, k, v, st, SP_MODE_APPEND, Q1);
  add_(s, 0, b);
  q_is_("SELECT b, i, l, d, s, encode(bin, 'hex'), ts, day, arr FROM typed ORDER BY i NULLS LAST",
        "t|-7|9000000000|0.25|it's \"q\"|010002|2019-02-05 10:05:00.123456|2019-02-05|[\"x\",\"y\"];||||||||");
  q_is_("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'typed'::regclass AND attnum > 0 "
        "ORDER BY attnum",
        "boolean;integer;bigint;double precision;text;bytea;timestamp without time zone;date;text");
  sp_sink_free(s);
  sp_batch_free(b);
  sp_type_unref(st);
}

static void test_errors_never_show_password(void **state) {
  (void)state;
  /* runs without a server too */
  spate_error err;
  sp_sink *s = NULL;
  const char *k[] = {"url", "table"};
  const char *v[] = {"postgresql://postgres:s3cr3t@/postgres?host=/nonexistent-socket-dir", "t"};
  assert_int_equal(make_sink_(2, k, v, &s, &err), 0);
  assert_null(strstr(s->description, "s3cr3t"));
  snprintf(s->query_id, sizeof s->query_id, "%s", Q1);
  sp_type *st = kv_schema_();
  assert_int_equal(s->vt->open(s, st, SP_MODE_APPEND, &err), SPATE_EIO);
  assert_null(strstr(err.message, "s3cr3t"));
  assert_non_null(strstr(err.message, "cannot connect"));
  sp_sink_free(s);
  sp_type_unref(st);
  const char *k2[] = {"conninfo", "url", "table"}, *v2[] = {"host=/x", "postgresql:///x", "t"};
  assert_int_equal(make_sink_(3, k2, v2, &s, &err), SPATE_EINVAL);
  assert_non_null(strstr(err.message, "Exactly one of the options 'url' or 'conninfo'"));
  const char *k3[] = {"conninfo", "table", "mode"}, *v3[] = {"host=/x", "t", "merge"};
  assert_int_equal(make_sink_(3, k3, v3, &s, &err), SPATE_EINVAL);
  assert_non_null(strstr(err.message, "must be 'append' or 'upsert'"));
  const char *v4[] = {"host=/x", "t", "upsert"};
  assert_int_equal(make_sink_(3, k3, v4, &s, &err), SPATE_EINVAL);
  assert_non_null(strstr(err.message, "requires the option 'keys'"));
  const char *k5[] = {"conninfo"}, *v5[] = {"host=/x"};
  assert_int_equal(make_sink_(1, k5, v5, &s, &err), SPATE_EINVAL);
  assert_non_null(strstr(err.message, "'table' is not specified"));
}

static void test_pipeline_and_failed_batch(void **state) {
  (void)state;
  NEED_PG();
  sp_type *st = kv_schema_();
  /* 1500 rows (three pipeline syncs), upserted with every key twice: the last row wins */
  enum { N = 1500 };
  int64_t *ids = calloc(N, sizeof *ids);
  const char **names = calloc(N, sizeof *names);
  char (*buf)[16] = calloc(N, sizeof *buf);
  for (int i = 0; i < N; i++) {
    ids[i] = i % 750;
    snprintf(buf[i], sizeof buf[i], "n%d", i);
    names[i] = buf[i];
  }
  sp_batch *big = kv_(st, N, ids, names);
  const char *k[] = {"conninfo", "table", "mode", "keys"}, *v[] = {ci_, "big", "upsert", "id"};
  sp_sink *s = open_(4, k, v, st, SP_MODE_UPDATE, Q1);
  add_(s, 0, big);
  assert_int_equal(s->num_output_rows, N);
  q_is_("SELECT count(*), min(name), max(name) FROM big", "750|n1000|n999");
  q_is_("SELECT name FROM big WHERE id = 0", "n750");
  /* a batch whose row 600 violates a constraint: nothing of it lands, progress unchanged */
  char *o = q_("ALTER TABLE big ADD CONSTRAINT no_bad CHECK (name <> 'bad')");
  free(o);
  for (int i = 0; i < N; i++) {
    ids[i] = 1000 + i;
    names[i] = i == 600 ? "bad" : "ok";
  }
  sp_batch *badb = kv_(st, N, ids, names);
  spate_error err;
  spate_error_clear(&err);
  const sp_batch *parts[1] = {badb};
  assert_int_equal(s->vt->add_batch(s, 1, parts, 1, &err), SPATE_EIO);
  if (!strstr(err.message, "cannot write row 601") || !strstr(err.message, "no_bad")) fail_msg("%s", err.message);
  assert_non_null(strstr(err.message, "batch 1"));
  q_is_("SELECT count(*) FROM big", "750");
  q_is_("SELECT batch_id FROM _spate_sink_progress WHERE sink_table = 'big'", "0");
  /* the connection is usable again: the batch retried without the bad row commits */
  names[600] = "fixed";
  sp_batch_free(badb);
  badb = kv_(st, N, ids, names);
  add_(s, 1, badb);
  q_is_("SELECT count(*) FROM big", "2250");
  sp_sink_free(s);
  sp_batch_free(big);
  sp_batch_free(badb);
  free(ids);
  free(names);
  free(buf);
  sp_type_unref(st);
}

static void run_job_(const char *job) {
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  assert_non_null(s);
  if (spate_sql(s, job, &err)) fail_msg("job: %s", err.message);
  spate_query *q[2];
  assert_int_equal(spate_session_queries(s, q, 2), 1);
  int rc = spate_query_await_termination(q[0], 60000, &err);
  if (rc != 1) fail_msg("query: %d %s", rc, err.message);
  spate_session_free(s);
}

static void test_job_file_exactly_once(void **state) {
  (void)state;
  NEED_PG();
  char dir[] = "/tmp/spate-pgjob-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char in[128], job[2048];
  snprintf(in, sizeof in, "%s/in", dir);
  assert_int_equal(mkdir(in, 0700), 0);
  tu_write_file(in, "a.json", "{\"login_id\":\"1\",\"user_name\":\"ann\"}\n{\"login_id\":\"2\",\"user_name\":\"bob\"}\n");
  snprintf(job, sizeof job,
           "SET spark.sql.streaming.schemaInference = true;\n"
           "CREATE TEMPORARY VIEW src USING json OPTIONS (path '%s', maxFilesPerTrigger '1');\n"
           "CREATE STREAMING QUERY w USING postgres OPTIONS (conninfo '%s', password 'pw-secret', table 'logins', "
           "mode 'upsert', keys 'login_id') OUTPUT MODE update TRIGGER AVAILABLE NOW CHECKPOINT LOCATION '%s/chk' "
           "AS SELECT login_id, upper(user_name) AS user_name FROM src;\n",
           in, ci_, dir);
  run_job_(job);
  q_is_("SELECT login_id, user_name FROM logins ORDER BY login_id", "1|ANN;2|BOB");
  tu_write_file(in, "b.json", "{\"login_id\":\"2\",\"user_name\":\"bobby\"}\n{\"login_id\":\"3\",\"user_name\":\"cy\"}\n");
  run_job_(job);
  q_is_("SELECT login_id, user_name FROM logins ORDER BY login_id", "1|ANN;2|BOBBY;3|CY");
  q_is_("SELECT batch_id FROM _spate_sink_progress WHERE sink_table = 'logins'", "1");
  tu_rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errors_never_show_password),
      cmocka_unit_test(test_append_and_replay),
      cmocka_unit_test(test_upsert_and_complete),
      cmocka_unit_test(test_types),
      cmocka_unit_test(test_pipeline_and_failed_batch),
      cmocka_unit_test(test_job_file_exactly_once),
  };
  return cmocka_run_group_tests(tests, start_pg_, stop_pg_);
}
