/* test_meta_log.c - unit tests for src/checkpoint/meta_log.c: compaction at interval 3 with
 * exact file names and contents, readers, delete entries, interval derivation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint/checkpoint.h"
#include "testutil.h"

static char *slurp_(const char *dir, const char *name) {
  char p[600];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  char *d;
  size_t n;
  spate_error err = {0};
  if (sp_fs_read_all(p, &d, &n, &err)) return NULL;
  return d;
}

static void list_names_(const char *dir, char *out, size_t cap) {
  char *names[64];
  int n = 0;
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d)) && n < 64)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names[n++] = strdup(de->d_name);
  closedir(d);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (i) strncat(out, ",", cap - strlen(out) - 1);
    strncat(out, names[i], cap - strlen(out) - 1);
    free(names[i]);
  }
}

/* Sink-style entry (no batchId). */
static char *sink_line_(int batch, int k) {
  char *s = malloc(256);
  snprintf(s, 256,
           "{\"path\":\"file:///out/part-0000%d-b%d.c000.snappy.parquet\",\"size\":%d,\"isDir\":false,"
           "\"modificationTime\":1700000000000,\"blockReplication\":1,\"blockSize\":33554432,\"action\":\"add\"}",
           k, batch, 100 * batch + k);
  return s;
}

static void add_sink_batch_(sp_meta_log *log, int batch, int nlines) {
  char *lines[8] = {0};
  for (int k = 0; k < nlines; k++) lines[k] = sink_line_(batch, k);
  spate_error err = {0};
  int rc = sp_meta_log_add(log, batch, lines, nlines, &err);
  if (rc) print_error("add %d: %s\n", batch, err.message);
  assert_int_equal(rc, 0);
  for (int k = 0; k < nlines; k++) free(lines[k]);
}

static void assert_lines_(char **lines, int n, const char *const *expect, int m) {
  assert_int_equal(n, m);
  for (int i = 0; i < n; i++) assert_string_equal(lines[i], expect[i]);
}

static void test_compaction_interval_3(void **state) {
  char dir[512], names[1024];
  snprintf(dir, sizeof dir, "%s/_spark_metadata", (char *)*state);
  spate_error err = {0};
  sp_meta_log log;
  assert_int_equal(sp_meta_log_init(&log, dir, 3, &err), 0);
  int64_t latest;
  assert_int_equal(sp_meta_log_latest(&log, &latest, &err), 0);
  assert_int_equal(latest, -1);
  /* batch b has (b % 2) + 1 lines; batch 4 is empty. */
  for (int b = 0; b <= 6; b++) add_sink_batch_(&log, b, b == 4 ? 0 : (b % 2) + 1);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "0,1,2.compact,3,4,5.compact,6");
  assert_int_equal(sp_meta_log_latest(&log, &latest, &err), 0);
  assert_int_equal(latest, 6);

  /* Exact bytes: "v1" then "\n<json>" per entry. */
  char *l00 = sink_line_(0, 0), *l10 = sink_line_(1, 0), *l11 = sink_line_(1, 1), *l20 = sink_line_(2, 0);
  char *l30 = sink_line_(3, 0), *l31 = sink_line_(3, 1), *l50 = sink_line_(5, 0), *l51 = sink_line_(5, 1);
  char *l60 = sink_line_(6, 0);
  char expect[4096];
  snprintf(expect, sizeof expect, "v1\n%s", l00);
  char *t = slurp_(dir, "0");
  assert_string_equal(t, expect);
  free(t);
  snprintf(expect, sizeof expect, "v1\n%s\n%s\n%s\n%s", l00, l10, l11, l20);
  t = slurp_(dir, "2.compact");
  assert_string_equal(t, expect);
  free(t);
  t = slurp_(dir, "4");
  assert_string_equal(t, "v1");
  free(t);
  snprintf(expect, sizeof expect, "v1\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s", l00, l10, l11, l20, l30, l31, l50, l51);
  t = slurp_(dir, "5.compact");
  assert_string_equal(t, expect);
  free(t);

  char **lines;
  int n;
  assert_int_equal(sp_meta_log_read_all(&log, 6, &lines, &n, &err), 0);
  const char *all6[] = {l00, l10, l11, l20, l30, l31, l50, l51, l60};
  assert_lines_(lines, n, all6, 9);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_all(&log, 4, &lines, &n, &err), 0);
  assert_lines_(lines, n, all6, 6);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_all(&log, 1, &lines, &n, &err), 0);
  assert_lines_(lines, n, all6, 3);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_all(&log, -1, &lines, &n, &err), 0);
  assert_int_equal(n, 0);
  sp_meta_log_lines_free(lines, n);

  /* One batch: plain files directly; compact files by difference with earlier batches. */
  assert_int_equal(sp_meta_log_read_batch(&log, 3, &lines, &n, &err), 0);
  const char *b3[] = {l30, l31};
  assert_lines_(lines, n, b3, 2);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_batch(&log, 5, &lines, &n, &err), 0);
  const char *b5[] = {l50, l51};
  assert_lines_(lines, n, b5, 2);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_batch(&log, 2, &lines, &n, &err), 0);
  const char *b2[] = {l20};
  assert_lines_(lines, n, b2, 1);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_batch(&log, 4, &lines, &n, &err), 0);
  assert_int_equal(n, 0);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_batch(&log, 9, &lines, &n, &err), SPATE_ENOTFOUND);
  char msg[4096];
  snprintf(msg, sizeof msg, "metadata log %s: batch 9 not found", dir);
  assert_string_equal(err.message, msg);

  /* Existing batches cannot be added again (plain or compact). */
  char *one[] = {l00};
  assert_int_equal(sp_meta_log_add(&log, 6, one, 1, &err), SPATE_EEXIST);
  snprintf(msg, sizeof msg, "metadata log %s: batch 6 already exists", dir);
  assert_string_equal(err.message, msg);
  assert_int_equal(sp_meta_log_add(&log, 5, one, 1, &err), SPATE_EEXIST);
  char *bad[] = {"{\"a\":\n1}"};
  assert_int_equal(sp_meta_log_add(&log, 7, bad, 1, &err), SPATE_EINVAL);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "0,1,2.compact,3,4,5.compact,6");
  sp_meta_log_release(&log);

  /* Reopening with another default derives 3 from the .compact files (distance of the last two). */
  assert_int_equal(sp_meta_log_init(&log, dir, 10, &err), 0);
  assert_int_equal(log.compact_interval, 3);
  add_sink_batch_(&log, 7, 1);
  add_sink_batch_(&log, 8, 1);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "0,1,2.compact,3,4,5.compact,6,7,8.compact");
  assert_int_equal(sp_meta_log_read_all(&log, 8, &lines, &n, &err), 0);
  assert_int_equal(n, 11);
  sp_meta_log_lines_free(lines, n);
  sp_meta_log_release(&log);

  char *ls[] = {l00, l10, l11, l20, l30, l31, l50, l51, l60};
  for (size_t i = 0; i < sizeof ls / sizeof *ls; i++) free(ls[i]);
}

static void test_source_log_batch_ids(void **state) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/sources/0", (char *)*state);
  spate_error err = {0};
  sp_meta_log log;
  assert_int_equal(sp_meta_log_init(&log, dir, 2, &err), 0);
  /* The same entry text in two batches differs only by batchId: filtering uses it. */
  for (int b = 0; b < 4; b++) {
    char l0[128], l1[128];
    snprintf(l0, sizeof l0, "{\"path\":\"file:///in/f%d.json\",\"timestamp\":1700000000000,\"batchId\":%d}", b, b);
    snprintf(l1, sizeof l1, "{\"path\":\"file:///in/g%d.json\",\"timestamp\":1700000000001,\"batchId\":%d}", b, b);
    char *lines[] = {l0, l1};
    assert_int_equal(sp_meta_log_add(&log, b, lines, b == 2 ? 1 : 2, &err), 0);
  }
  char **lines;
  int n;
  assert_int_equal(sp_meta_log_read_batch(&log, 3, &lines, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_string_equal(lines[0], "{\"path\":\"file:///in/f3.json\",\"timestamp\":1700000000000,\"batchId\":3}");
  assert_string_equal(lines[1], "{\"path\":\"file:///in/g3.json\",\"timestamp\":1700000000001,\"batchId\":3}");
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_batch(&log, 1, &lines, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_string_equal(lines[0], "{\"path\":\"file:///in/f1.json\",\"timestamp\":1700000000000,\"batchId\":1}");
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_batch(&log, 2, &lines, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_string_equal(lines[0], "{\"path\":\"file:///in/f2.json\",\"timestamp\":1700000000000,\"batchId\":2}");
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_read_all(&log, 3, &lines, &n, &err), 0);
  assert_int_equal(n, 7);
  sp_meta_log_lines_free(lines, n);
  sp_meta_log_release(&log);
}

static void test_delete_entries_dropped(void **state) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/m", (char *)*state);
  spate_error err = {0};
  sp_meta_log log;
  assert_int_equal(sp_meta_log_init(&log, dir, 3, &err), 0);
  char *b0[] = {"{\"path\":\"/o/a\",\"size\":1,\"action\":\"add\"}", "{\"path\":\"/o/b\",\"size\":2,\"action\":\"add\"}"};
  char *b1[] = {"{\"path\":\"/o/a\",\"size\":1,\"action\":\"delete\"}"};
  char *b2[] = {"{\"path\":\"/o/c\",\"size\":3,\"action\":\"add\"}"};
  assert_int_equal(sp_meta_log_add(&log, 0, b0, 2, &err), 0);
  assert_int_equal(sp_meta_log_add(&log, 1, b1, 1, &err), 0);
  char **lines;
  int n;
  /* Readers already hide deleted files before compaction. */
  assert_int_equal(sp_meta_log_read_all(&log, 1, &lines, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_string_equal(lines[0], b0[1]);
  sp_meta_log_lines_free(lines, n);
  assert_int_equal(sp_meta_log_add(&log, 2, b2, 1, &err), 0);
  char *t = slurp_(dir, "2.compact");
  assert_string_equal(t, "v1\n{\"path\":\"/o/b\",\"size\":2,\"action\":\"add\"}\n{\"path\":\"/o/c\",\"size\":3,\"action\":\"add\"}");
  free(t);
  sp_meta_log_release(&log);
}

static void test_corrupt_and_missing(void **state) {
  char dir[512], p[600], msg[4096];
  snprintf(dir, sizeof dir, "%s/m", (char *)*state);
  spate_error err = {0};
  sp_meta_log log;
  assert_int_equal(sp_meta_log_init(&log, dir, 0, &err), SPATE_EINVAL);
  assert_int_equal(sp_meta_log_init(&log, dir, 3, &err), 0);
  char *b[] = {"{\"path\":\"/o/a\"}"};
  assert_int_equal(sp_meta_log_add(&log, 0, b, 1, &err), 0);
  /* Batch 1 missing: compaction at 2 fails naming the missing file. */
  assert_int_equal(sp_meta_log_add(&log, 2, b, 1, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg,
           "cannot compact batch 2 (compactInterval: 3): %s/1 doesn't exist (metadata log %s, reading up to batch 1)",
           dir, dir);
  assert_string_equal(err.message, msg);
  /* Future version. */
  snprintf(p, sizeof p, "%s/1", dir);
  FILE *f = fopen(p, "w");
  fputs("v2\n{}", f);
  fclose(f);
  char **lines;
  int n;
  assert_int_equal(sp_meta_log_read_all(&log, 1, &lines, &n, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "%s: unsupported log version v2 (this spate reads v1); written by a newer spate?", p);
  assert_string_equal(err.message, msg);
  assert_null(lines);
  /* Temp files and other names are not batches. */
  snprintf(p, sizeof p, "%s/.7.1234abcd.tmp", dir);
  f = fopen(p, "w");
  fclose(f);
  int64_t latest;
  assert_int_equal(sp_meta_log_latest(&log, &latest, &err), 0);
  assert_int_equal(latest, 1);
  sp_meta_log_release(&log);
}

static void test_derive_interval_single_compact(void **state) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/m", (char *)*state);
  spate_error err = {0};
  sp_meta_log log;
  assert_int_equal(sp_meta_log_init(&log, dir, 4, &err), 0);
  char *b[] = {"{\"path\":\"/o/a\"}"};
  for (int i = 0; i < 6; i++) assert_int_equal(sp_meta_log_add(&log, i, b, 1, &err), 0);
  sp_meta_log_release(&log); /* only 3.compact exists (files 0..5, compact at 3) */
  /* Spark's deriveCompactInterval(default, 3): 4 <= default -> 4. */
  assert_int_equal(sp_meta_log_init(&log, dir, 10, &err), 0);
  assert_int_equal(log.compact_interval, 4);
  sp_meta_log_release(&log);
  /* default 2 < 4 / 2 is false -> latest + 1 = 4. */
  assert_int_equal(sp_meta_log_init(&log, dir, 2, &err), 0);
  assert_int_equal(log.compact_interval, 4);
  sp_meta_log_release(&log);
  assert_int_equal(sp_meta_log_init(&log, dir, 1, &err), 0);
  assert_int_equal(log.compact_interval, 1); /* 1 < 4 / 2: first divisor of 4 in [1, 2] */
  sp_meta_log_release(&log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_compaction_interval_3, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_source_log_batch_ids, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_delete_entries_dropped, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_corrupt_and_missing, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_derive_interval_single_compact, tu_tmpdir_setup, tu_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
