/* test_file_sink.c - unit tests for the json/csv file sink (src/sink/file_sink.c):
 * data files, the exact _spark_metadata log, replay skipping and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "runtime/pool.h"
#include "sink/sink.h"

typedef struct fixture {
  char *root, *out;
  sp_pool *pool;
} fixture;

static int setup_(void **state) {
  fixture *f = calloc(1, sizeof *f);
  char tmpl[] = "/tmp/spate-test-fsink-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  f->root = strdup(tmpl);
  f->out = malloc(strlen(tmpl) + 8);
  sprintf(f->out, "%s/out", tmpl);
  f->pool = sp_pool_new(2);
  *state = f;
  return 0;
}

static int teardown_(void **state) {
  fixture *f = *state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
  assert_int_equal(system(cmd), 0);
  free(f->root);
  free(f->out);
  sp_pool_free(f->pool);
  free(f);
  return 0;
}

static sp_type *schema_(void) {
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "id", sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(st, 1, "name", sp_type_prim(SP_STRING), true);
  return st;
}

static sp_batch *rows_(sp_type *st, int n, int64_t first) {
  sp_batch *b = sp_batch_new(st, n);
  for (int i = 0; i < n; i++) {
    sp_vec_append_i64(b->cols[0], first + i);
    if ((first + i) % 3 == 0) {
      sp_vec_append_null(b->cols[1]);
    } else {
      char name[16];
      snprintf(name, sizeof name, "n%lld", (long long)(first + i));
      sp_vec_append_str(b->cols[1], name, (int32_t)strlen(name));
    }
  }
  assert_int_equal(sp_batch_finish(b), 0);
  return b;
}

static sp_sink *file_sink_(fixture *f, const char *format, int n, const char *const *k, const char *const *v,
                           const char *checkpoint, spate_error *err, int *rc) {
  sp_sink_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = format;
  spec.noptions = n;
  spec.keys = k;
  spec.values = v;
  spec.checkpoint = checkpoint;
  spec.pool = f->pool;
  sp_sink *s = NULL;
  spate_error_clear(err);
  *rc = sp_sink_create(&spec, &s, err);
  return s;
}

/* Data files in dir (names starting with "part-"), sorted. */
static int list_parts_(const char *dir, char names[][128], int max) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strncmp(de->d_name, "part-", 5) == 0 && n < max) snprintf(names[n++], 128, "%.100s", de->d_name);
  closedir(d);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (strcmp(names[i], names[j]) > 0) {
        char t[128];
        memcpy(t, names[i], 128);
        memcpy(names[i], names[j], 128);
        memcpy(names[j], t, 128);
      }
  return n;
}

static char *read_(const char *dir, const char *name) {
  char p[1100];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  char *data = NULL;
  size_t len;
  assert_int_equal(sp_fs_read_all(p, &data, &len, NULL), 0);
  return data;
}

static void log_line_(const char *dir, const char *name, char *out, size_t cap) {
  char p[1100];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  snprintf(out, cap,
           "{\"path\":\"file://%s\",\"size\":%lld,\"isDir\":false,\"modificationTime\":%lld,\"blockReplication\":1,"
           "\"blockSize\":33554432,\"action\":\"add\"}",
           p, (long long)st.st_size, (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
}

static void test_json_files_log_and_replay(void **state) {
  fixture *f = *state;
  sp_type *st = schema_();
  const char *k[] = {"path"};
  const char *v[] = {f->out};
  spate_error err;
  int rc;
  sp_sink *s = file_sink_(f, "json", 1, k, v, NULL, &err, &rc);
  assert_int_equal(rc, 0);
  char want_desc[512];
  snprintf(want_desc, sizeof want_desc, "FileSink[%s]", f->out);
  assert_string_equal(s->description, want_desc);
  assert_int_equal(s->vt->open(s, st, SP_MODE_APPEND, &err), 0);
  sp_batch *p[3] = {rows_(st, 2, 1), sp_batch_new(st, 0), rows_(st, 1, 3)};
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p, 3, &err), 0);
  assert_int_equal(s->num_output_rows, 3);
  char names[8][128];
  assert_int_equal(list_parts_(f->out, names, 8), 2);
  /* part-<5-digit partition>-<uuid>.c000.json */
  assert_int_equal(strlen(names[0]), strlen("part-00000-") + 36 + strlen(".c000.json"));
  assert_memory_equal(names[0], "part-00000-", 11);
  assert_memory_equal(names[1], "part-00002-", 11);
  assert_string_equal(names[0] + 11 + 36, ".c000.json");
  assert_int_equal(names[0][11 + 14], '4'); /* UUID v4 */
  char *d0 = read_(f->out, names[0]), *d1 = read_(f->out, names[1]);
  assert_string_equal(d0, "{\"id\":1,\"name\":\"n1\"}\n{\"id\":2,\"name\":\"n2\"}\n");
  assert_string_equal(d1, "{\"id\":3}\n");
  free(d0);
  free(d1);
  char meta[512];
  snprintf(meta, sizeof meta, "%s/_spark_metadata", f->out);
  char l0[2048], l1[2048], want[4200];
  log_line_(f->out, names[0], l0, sizeof l0);
  log_line_(f->out, names[1], l1, sizeof l1);
  snprintf(want, sizeof want, "v1\n%s\n%s", l0, l1);
  char *log0 = read_(meta, "0");
  assert_string_equal(log0, want);
  free(log0);
  /* Replay of batch 0 (e.g. after a crash before commits/0): nothing written. */
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p, 3, &err), 0);
  assert_int_equal(s->num_output_rows, 0);
  assert_int_equal(list_parts_(f->out, names, 8), 2);
  /* An empty batch still commits an (empty) log entry. */
  assert_int_equal(s->vt->add_batch(s, 1, NULL, 0, &err), 0);
  char *log1 = read_(meta, "1");
  assert_string_equal(log1, "v1");
  free(log1);
  sp_sink_free(s);
  /* A restarted sink sees the committed batches too. */
  s = file_sink_(f, "json", 1, k, v, NULL, &err, &rc);
  assert_int_equal(s->vt->open(s, st, SP_MODE_APPEND, &err), 0);
  assert_int_equal(s->vt->add_batch(s, 1, (const sp_batch *const *)p, 1, &err), 0);
  assert_int_equal(list_parts_(f->out, names, 8), 2);
  assert_int_equal(s->vt->add_batch(s, 2, (const sp_batch *const *)p, 1, &err), 0);
  assert_int_equal(list_parts_(f->out, names, 8), 3);
  sp_sink_free(s);
  for (int i = 0; i < 3; i++) sp_batch_free(p[i]);
  sp_type_unref(st);
}

static void test_csv_header_and_options(void **state) {
  fixture *f = *state;
  sp_type *st = schema_();
  const char *k[] = {"Path", "header", "sep"};
  const char *v[] = {f->out, "true", ";"};
  spate_error err;
  int rc;
  sp_sink *s = file_sink_(f, "csv", 3, k, v, NULL, &err, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(s->vt->open(s, st, SP_MODE_APPEND, &err), 0);
  sp_batch *p[1] = {rows_(st, 2, 4)};
  assert_int_equal(s->vt->add_batch(s, 0, (const sp_batch *const *)p, 1, &err), 0);
  char names[4][128];
  assert_int_equal(list_parts_(f->out, names, 4), 1);
  assert_string_equal(names[0] + 11 + 36, ".c000.csv");
  char *d = read_(f->out, names[0]);
  assert_string_equal(d, "id;name\n4;n4\n5;n5\n");
  free(d);
  sp_sink_free(s);
  sp_batch_free(p[0]);
  sp_type_unref(st);
}

static void test_errors(void **state) {
  fixture *f = *state;
  sp_type *st = schema_();
  spate_error err;
  int rc;
  sp_sink *s = file_sink_(f, "json", 0, NULL, NULL, NULL, &err, &rc);
  assert_int_equal(rc, SPATE_EINVAL);
  assert_string_equal(err.message, "'path' is not specified");
  assert_null(s);
  const char *k[] = {"path"};
  const char *v[] = {f->out};
  s = file_sink_(f, "json", 1, k, v, NULL, &err, &rc);
  assert_int_equal(s->vt->open(s, st, SP_MODE_UPDATE, &err), SPATE_EANALYSIS);
  assert_string_equal(err.message, "Data source json does not support Update output mode");
  sp_sink_free(s);
  s = file_sink_(f, "csv", 1, k, v, NULL, &err, &rc);
  assert_int_equal(s->vt->open(s, st, SP_MODE_COMPLETE, &err), SPATE_EANALYSIS);
  assert_string_equal(err.message, "Data source csv does not support Complete output mode");
  sp_sink_free(s);
  /* Output inside the checkpoint, and checkpoint inside the output. */
  char chk[512], inner[512];
  snprintf(chk, sizeof chk, "%s/", f->root);
  s = file_sink_(f, "json", 1, k, v, chk, &err, &rc);
  assert_int_equal(rc, SPATE_EANALYSIS);
  char want[1200];
  snprintf(want, sizeof want,
           "The output path '%s' and the checkpoint location '%s' must not be inside each other", f->out, chk);
  assert_string_equal(err.message, want);
  snprintf(inner, sizeof inner, "%s/chk", f->out);
  s = file_sink_(f, "json", 1, k, v, inner, &err, &rc);
  assert_int_equal(rc, SPATE_EANALYSIS);
  snprintf(inner, sizeof inner, "%s/out-chk", f->root); /* a sibling with a common prefix is fine */
  s = file_sink_(f, "json", 1, k, v, inner, &err, &rc);
  assert_int_equal(rc, 0);
  sp_sink_free(s);
  const char *k2[] = {"path", "header"};
  const char *v2[] = {f->out, "true"};
  s = file_sink_(f, "json", 2, k2, v2, NULL, &err, &rc);
  assert_int_equal(rc, SPATE_EINVAL);
  assert_string_equal(err.message,
                      "Unknown option 'header' for json sink. Valid options: path, checkpointLocation, "
                      "timestampFormat, dateFormat, timeZone, ignoreNullFields, compression");
  sp_type_unref(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_json_files_log_and_replay, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_csv_header_and_options, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_errors, setup_, teardown_),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
