/* test_static_table.c - unit tests for static (batch) tables (src/source/static_table.h):
 * json directory (inference, hidden files, re-read snapshot), csv with header, text glob,
 * SQLite table and query (type mapping, NULLs, user schema, TEXT -> TIMESTAMP), errors,
 * and PostgreSQL against a throw-away server (skipped when none can start). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "source/static_table.h"

static char tmp_[256];
static char pgdir_[300]; /* a running test PostgreSQL server, or "" */

static void mktmp_(void) {
  snprintf(tmp_, sizeof tmp_, "/tmp/spate-static-XXXXXX");
  assert_non_null(mkdtemp(tmp_));
}

static void rmtmp_(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_);
  assert_int_equal(system(cmd), 0);
}

static void write_(const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", tmp_, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static sp_source_spec spec_(const char *format, int n, const char *const *k, const char *const *v, sp_type *schema) {
  sp_source_spec s;
  memset(&s, 0, sizeof s);
  s.format = format;
  s.noptions = n;
  s.keys = k;
  s.values = v;
  s.user_schema = schema;
  return s;
}

static sp_static_table *create_ok_(sp_source_spec *s) {
  sp_static_table *t = NULL;
  spate_error err;
  spate_error_clear(&err);
  int rc = sp_static_table_create(s, &t, &err);
  if (rc) fail_msg("create: %s", err.message);
  return t;
}

static sp_batch *read_ok_(sp_static_table *t) {
  sp_batch *b = NULL;
  spate_error err;
  spate_error_clear(&err);
  int rc = sp_static_table_read(t, &b, &err);
  if (rc) fail_msg("read: %s", err.message);
  assert_non_null(b);
  return b;
}

static void assert_str_(const sp_vec *v, int64_t i, const char *want) {
  if (!want) {
    assert_true(sp_vec_is_null(v, i));
    return;
  }
  assert_false(sp_vec_is_null(v, i));
  int32_t len;
  const char *s = sp_vec_str(v, i, &len);
  char buf[256];
  snprintf(buf, sizeof buf, "%.*s", (int)len, s);
  assert_string_equal(buf, want);
}

static void schema_is_(const sp_static_table *t, const char *want) {
  char buf[512];
  sp_type_to_string(sp_static_table_schema(t), buf, sizeof buf);
  assert_string_equal(buf, want);
}

static int64_t ts_(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
  return (int64_t)timegm(&tm) * 1000000;
}

/* ---- files ---- */

static void test_json_dir_inferred_and_reread(void **state) {
  (void)state;
  mktmp_();
  write_("a.json", "{\"id\":1,\"name\":\"x\"}\n{\"id\":2}\n");
  write_("b.json", "{\"id\":3,\"name\":\"z\",\"score\":1.5}\n");
  write_("_SUCCESS", "");
  write_(".hidden.json", "{\"id\":99}\n");
  const char *k[] = {"path"}, *v[] = {tmp_};
  sp_source_spec s = spec_("json", 1, k, v, NULL);
  sp_static_table *t = create_ok_(&s);
  schema_is_(t, "struct<id:bigint,name:string,score:double>");
  assert_non_null(strstr(sp_static_table_description(t), "JSON["));
  sp_batch *b = read_ok_(t);
  assert_int_equal(b->nrows, 3);
  assert_int_equal(sp_vec_i64(b->cols[0])[0], 1);
  assert_int_equal(sp_vec_i64(b->cols[0])[2], 3);
  assert_str_(b->cols[1], 1, NULL);
  assert_str_(b->cols[1], 2, "z");
  assert_true(sp_vec_is_null(b->cols[2], 0));
  assert_true(sp_vec_f64(b->cols[2])[2] == 1.5);
  sp_batch_free(b);
  /* every read is a new snapshot */
  write_("c.json", "{\"id\":4,\"name\":\"w\"}\n");
  b = read_ok_(t);
  assert_int_equal(b->nrows, 4);
  sp_batch_free(b);
  sp_static_table_free(t);
  rmtmp_();
}

static void test_csv_header_user_schema(void **state) {
  (void)state;
  mktmp_();
  write_("u.csv", "id;name;since\n1;ann;2019-02-05 10:05:00\n2;;bad\n");
  char path[300];
  snprintf(path, sizeof path, "%s/u.csv", tmp_);
  const char *k[] = {"path", "header", "sep"}, *v[] = {path, "true", ";"};
  /* inferred: header names, all STRING */
  sp_source_spec s = spec_("csv", 3, k, v, NULL);
  sp_static_table *t = create_ok_(&s);
  schema_is_(t, "struct<id:string,name:string,since:string>");
  sp_static_table_free(t);
  sp_type *st = sp_type_struct_new(3);
  sp_type_struct_set(st, 0, "id", sp_type_prim(SP_INT), false);
  sp_type_struct_set(st, 1, "name", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 2, "since", sp_type_prim(SP_TIMESTAMP), true);
  s = spec_("csv", 3, k, v, st);
  t = create_ok_(&s);
  sp_batch *b = read_ok_(t);
  assert_int_equal(b->nrows, 2);
  assert_int_equal(sp_vec_i32(b->cols[0])[1], 2);
  assert_str_(b->cols[1], 0, "ann");
  assert_true(sp_vec_is_null(b->cols[1], 1)); /* empty = nullValue "" */
  assert_int_equal(sp_vec_i64(b->cols[2])[0], ts_(2019, 2, 5, 10, 5, 0));
  assert_true(sp_vec_is_null(b->cols[2], 1));
  sp_batch_free(b);
  sp_static_table_free(t);
  sp_type_unref(st);
  rmtmp_();
}

static void test_text_glob(void **state) {
  (void)state;
  mktmp_();
  write_("a.txt", "hello\nworld\n");
  write_("b.log", "skipped\n");
  char path[300];
  snprintf(path, sizeof path, "%s/*.txt", tmp_);
  const char *k[] = {"path"}, *v[] = {path};
  sp_source_spec s = spec_("text", 1, k, v, NULL);
  sp_static_table *t = create_ok_(&s);
  schema_is_(t, "struct<value:string>");
  sp_batch *b = read_ok_(t);
  assert_int_equal(b->nrows, 2);
  assert_str_(b->cols[0], 1, "world");
  sp_batch_free(b);
  sp_static_table_free(t);
  rmtmp_();
}

/* ---- SQLite ---- */

static void exec_(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("sqlite: %s: %s", sql, msg);
}

static void make_db_(char *path, size_t cap) {
  snprintf(path, cap, "%s/users.db", tmp_);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  exec_(db,
        "CREATE TABLE users(login_id TEXT PRIMARY KEY, user_name VARCHAR(40), last_login TIMESTAMP, n INTEGER, "
        "score REAL, active BOOLEAN, data BLOB, small SMALLINT, day DATE, big BIGINT, amount NUMERIC(10,2));"
        "INSERT INTO users VALUES('100001','Prashant','2019-02-05 10:05:00',1,0.5,1,x'0102',7,'2019-02-05',"
        "9000000000,12.25);"
        "INSERT INTO users VALUES('100009','Alisha','2019-03-07 11:03:00',2,NULL,0,NULL,NULL,NULL,NULL,NULL);"
        "INSERT INTO users VALUES('100087',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);");
  sqlite3_close(db);
}

static void test_sqlite_table_types_nulls(void **state) {
  (void)state;
  mktmp_();
  char db[300];
  make_db_(db, sizeof db);
  const char *k[] = {"path", "table"}, *v[] = {db, "users"};
  sp_source_spec s = spec_("sqlite", 2, k, v, NULL);
  sp_static_table *t = create_ok_(&s);
  schema_is_(t, "struct<login_id:string,user_name:string,last_login:timestamp,n:bigint,score:double,active:boolean,"
                "data:binary,small:int,day:date,big:bigint,amount:double>");
  assert_string_equal(sp_static_table_description(t), "SQLite[users.db:users]");
  sp_batch *b = read_ok_(t);
  assert_int_equal(b->nrows, 3);
  assert_str_(b->cols[0], 0, "100001");
  assert_str_(b->cols[1], 0, "Prashant");
  assert_str_(b->cols[1], 2, NULL);
  assert_int_equal(sp_vec_i64(b->cols[2])[0], ts_(2019, 2, 5, 10, 5, 0));
  assert_int_equal(sp_vec_i64(b->cols[2])[1], ts_(2019, 3, 7, 11, 3, 0));
  assert_true(sp_vec_is_null(b->cols[2], 2));
  assert_int_equal(sp_vec_i64(b->cols[3])[1], 2);
  assert_true(sp_vec_is_null(b->cols[3], 2));
  assert_true(sp_vec_f64(b->cols[4])[0] == 0.5);
  assert_true(sp_vec_is_null(b->cols[4], 1));
  assert_int_equal(sp_vec_bool(b->cols[5])[0], 1);
  assert_int_equal(sp_vec_bool(b->cols[5])[1], 0);
  int32_t len;
  const char *p = sp_vec_str(b->cols[6], 0, &len);
  assert_int_equal(len, 2);
  assert_int_equal(p[0], 1);
  assert_int_equal(p[1], 2);
  assert_true(sp_vec_is_null(b->cols[6], 1));
  assert_int_equal(sp_vec_i32(b->cols[7])[0], 7);
  assert_int_equal(sp_vec_i32(b->cols[8])[0], (int32_t)(ts_(2019, 2, 5, 0, 0, 0) / 86400000000LL));
  assert_int_equal(sp_vec_i64(b->cols[9])[0], 9000000000LL);
  assert_true(sp_vec_f64(b->cols[10])[0] == 12.25);
  for (int c = 1; c < b->ncols; c++) assert_true(sp_vec_is_null(b->cols[c], 2));
  sp_batch_free(b);
  sp_static_table_free(t);
  rmtmp_();
}

static void test_sqlite_query_and_user_schema(void **state) {
  (void)state;
  mktmp_();
  char db[300];
  make_db_(db, sizeof db);
  const char *k[] = {"path", "query"},
             *v[] = {db, "SELECT login_id, n * 2 AS n2, upper(user_name) AS u, 1.5 AS f FROM users "
                         "WHERE n IS NOT NULL ORDER BY login_id DESC"};
  sp_source_spec s = spec_("sqlite", 2, k, v, NULL);
  sp_static_table *t = create_ok_(&s);
  schema_is_(t, "struct<login_id:string,n2:bigint,u:string,f:double>");
  assert_string_equal(sp_static_table_description(t), "SQLite[users.db:query]");
  sp_batch *b = read_ok_(t);
  assert_int_equal(b->nrows, 2);
  assert_str_(b->cols[0], 0, "100009");
  assert_int_equal(sp_vec_i64(b->cols[1])[0], 4);
  assert_str_(b->cols[2], 1, "PRASHANT");
  sp_batch_free(b);
  sp_static_table_free(t);
  /* user schema: by name (any case), converted like CAST */
  sp_type *st = sp_type_struct_new(4);
  sp_type_struct_set(st, 0, "N", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 1, "login_id", sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(st, 2, "last_login", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 3, "user_name", sp_type_prim(SP_TIMESTAMP), true);
  const char *k2[] = {"path", "table"}, *v2[] = {db, "users"};
  s = spec_("sqlite", 2, k2, v2, st);
  t = create_ok_(&s);
  schema_is_(t, "struct<N:string,login_id:bigint,last_login:string,user_name:timestamp>");
  b = read_ok_(t);
  assert_str_(b->cols[0], 0, "1");
  assert_int_equal(sp_vec_i64(b->cols[1])[2], 100087);
  assert_str_(b->cols[2], 0, "2019-02-05 10:05:00");
  assert_true(sp_vec_is_null(b->cols[3], 0)); /* "Prashant" is no timestamp */
  sp_batch_free(b);
  sp_static_table_free(t);
  sp_type_unref(st);
  rmtmp_();
}

static void expect_error_(sp_source_spec *s, int code, const char *needle) {
  sp_static_table *t = NULL;
  spate_error err;
  spate_error_clear(&err);
  int rc = sp_static_table_create(s, &t, &err);
  assert_null(t);
  if (rc != code) fail_msg("expected %d, got %d: %s", code, rc, err.message);
  if (!strstr(err.message, needle)) fail_msg("'%s' not in: %s", needle, err.message);
}

static void test_errors(void **state) {
  (void)state;
  mktmp_();
  char db[300];
  make_db_(db, sizeof db);
  const char *k[] = {"path", "table"}, *v[] = {db, "nope"};
  sp_source_spec s = spec_("sqlite", 2, k, v, NULL);
  expect_error_(&s, SPATE_ENOTFOUND, "no such table: nope");
  const char *kb[] = {"path", "tabel"}, *vb[] = {db, "users"};
  s = spec_("sqlite", 2, kb, vb, NULL);
  expect_error_(&s, SPATE_EINVAL, "Unknown option 'tabel' for sqlite table. Did you mean 'table'? Valid options: "
                                  "path, table, query");
  const char *kq[] = {"path", "table", "query"}, *vq[] = {db, "users", "SELECT 1"};
  s = spec_("sqlite", 3, kq, vq, NULL);
  expect_error_(&s, SPATE_EINVAL, "Exactly one of the options 'table' or 'query'");
  const char *kw[] = {"path", "query"}, *vw[] = {db, "DELETE FROM users"};
  s = spec_("sqlite", 2, kw, vw, NULL);
  expect_error_(&s, SPATE_EINVAL, "must be a SELECT");
  char missing[300];
  snprintf(missing, sizeof missing, "%s/missing.db", tmp_);
  const char *vm[] = {missing, "users"};
  s = spec_("sqlite", 2, k, vm, NULL);
  expect_error_(&s, SPATE_EIO, "cannot open database");
  sp_type *st = sp_type_struct_new(1);
  sp_type_struct_set(st, 0, "no_such_col", sp_type_prim(SP_STRING), true);
  const char *vu[] = {db, "users"};
  s = spec_("sqlite", 2, k, vu, st);
  expect_error_(&s, SPATE_EANALYSIS, "column 'no_such_col'");
  sp_type_unref(st);
  s = spec_("parquet", 0, NULL, NULL, NULL);
  expect_error_(&s, SPATE_ENOTFOUND, "Available static tables: csv, json, postgres, sqlite, text");
  char nodir[300];
  snprintf(nodir, sizeof nodir, "%s/nodir", tmp_);
  const char *kp[] = {"path"}, *vp[] = {nodir};
  s = spec_("json", 1, kp, vp, NULL);
  expect_error_(&s, SPATE_ENOTFOUND, "Path does not exist");
  mkdir(nodir, 0755);
  expect_error_(&s, SPATE_EANALYSIS, "Unable to infer schema for JSON");
  const char *kx[] = {"path", "maxFilesPerTrigger"}, *vx[] = {nodir, "1"};
  s = spec_("json", 2, kx, vx, NULL);
  expect_error_(&s, SPATE_EINVAL, "Unknown option 'maxFilesPerTrigger' for json table");
  rmtmp_();
}

/* ---- PostgreSQL (throw-away server on a unix socket; skipped when none can start) ---- */

static void test_postgres(void **state) {
  (void)state;
  mktmp_();
  char *pgdir = pgdir_, cmd[1024];
  /* directly under /tmp: the server runs as user postgres, which cannot enter tmp_ (0700);
   * stopped by the group teardown even when an assertion fails */
  snprintf(pgdir, sizeof pgdir_, "/tmp/spate-pg-XXXXXX");
  assert_non_null(mkdtemp(pgdir));
  snprintf(cmd, sizeof cmd, "%s/scripts/pg-test-server.sh start %s >/dev/null", SPATE_SOURCE_DIR, pgdir);
  if (system(cmd) != 0) {
    fprintf(stderr, "SKIP test_postgres: a PostgreSQL server cannot be started here (Debian package postgresql; "
                    "see scripts/pg-test-server.sh)\n");
    rmtmp_();
    skip();
  }
  snprintf(cmd, sizeof cmd,
           "psql -q -h %s -U postgres -d postgres -v ON_ERROR_STOP=1 -c \"CREATE TABLE users(login_id text PRIMARY "
           "KEY, user_name varchar(40), last_login timestamp, n int4, big int8, score float8, ok boolean, raw bytea, "
           "day date, amt numeric(10,2), tz timestamptz); INSERT INTO users VALUES ('100001','Prashant','2019-02-05 "
           "10:05:00',1,9000000000,0.5,true,'\\\\x0102','2019-02-05',12.25,'2019-02-05 10:05:00+02'), "
           "('100009',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)\" >/dev/null",
           pgdir);
  int prc = system(cmd);
  if (prc == 0) {
    char ci[400];
    snprintf(ci, sizeof ci, "host=%s dbname=postgres user=postgres", pgdir);
    const char *k[] = {"conninfo", "table", "user", "password"}, *v[] = {ci, "users", "postgres", "s3cr3t"};
    sp_source_spec s = spec_("postgres", 4, k, v, NULL);
    sp_static_table *t = create_ok_(&s);
    schema_is_(t, "struct<login_id:string,user_name:string,last_login:timestamp,n:int,big:bigint,score:double,"
                  "ok:boolean,raw:binary,day:date,amt:double,tz:timestamp>");
    assert_null(strstr(sp_static_table_description(t), "s3cr3t"));
    assert_non_null(strstr(sp_static_table_description(t), "PostgreSQL["));
    sp_batch *b = read_ok_(t);
    assert_int_equal(b->nrows, 2);
    assert_str_(b->cols[1], 0, "Prashant");
    assert_int_equal(sp_vec_i64(b->cols[2])[0], ts_(2019, 2, 5, 10, 5, 0));
    assert_int_equal(sp_vec_i32(b->cols[3])[0], 1);
    assert_int_equal(sp_vec_i64(b->cols[4])[0], 9000000000LL);
    assert_int_equal(sp_vec_bool(b->cols[6])[0], 1);
    int32_t len;
    const char *p = sp_vec_str(b->cols[7], 0, &len);
    assert_int_equal(len, 2);
    assert_int_equal(p[1], 2);
    assert_true(sp_vec_f64(b->cols[9])[0] == 12.25);
    assert_int_equal(sp_vec_i64(b->cols[10])[0], ts_(2019, 2, 5, 8, 5, 0));
    for (int c = 1; c < b->ncols; c++) assert_true(sp_vec_is_null(b->cols[c], 1));
    sp_batch_free(b);
    sp_static_table_free(t);
    /* query */
    const char *kq[] = {"conninfo", "query"}, *vq[] = {ci, "SELECT login_id, n + 1 AS n1 FROM users WHERE n = 1"};
    s = spec_("postgres", 2, kq, vq, NULL);
    t = create_ok_(&s);
    schema_is_(t, "struct<login_id:string,n1:int>");
    b = read_ok_(t);
    assert_int_equal(b->nrows, 1);
    assert_int_equal(sp_vec_i32(b->cols[1])[0], 2);
    sp_batch_free(b);
    sp_static_table_free(t);
    /* errors: missing table; a bad server never echoes the password */
    const char *ve[] = {ci, "nope", "postgres", "s3cr3t"};
    s = spec_("postgres", 4, k, ve, NULL);
    expect_error_(&s, SPATE_ENOTFOUND, "\"nope\" does not exist");
    const char *vbad[] = {"postgresql://postgres:s3cr3t@/postgres?host=/nonexistent-socket-dir", "users"};
    const char *kbad[] = {"url", "table"};
    s = spec_("postgres", 2, kbad, vbad, NULL);
    sp_static_table *tt = NULL;
    spate_error err;
    assert_int_equal(sp_static_table_create(&s, &tt, &err), SPATE_EIO);
    assert_null(strstr(err.message, "s3cr3t"));
    assert_non_null(strstr(err.message, "cannot connect"));
  }
  rmtmp_();
  assert_int_equal(prc, 0);
}

static int stop_pg_(void **state) {
  (void)state;
  if (pgdir_[0]) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/scripts/pg-test-server.sh stop %s", SPATE_SOURCE_DIR, pgdir_);
    if (system(cmd) != 0) return -1;
    pgdir_[0] = '\0';
  }
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_dir_inferred_and_reread),
      cmocka_unit_test(test_csv_header_user_schema),
      cmocka_unit_test(test_text_glob),
      cmocka_unit_test(test_sqlite_table_types_nulls),
      cmocka_unit_test(test_sqlite_query_and_user_schema),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_postgres),
  };
  return cmocka_run_group_tests(tests, NULL, stop_pg_);
}
