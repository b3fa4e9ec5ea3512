/* test_fs.c - unit tests for src/checkpoint/fs.c (atomic writes, listing, mkdirs, UUIDs). */
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
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "testutil.h"

static void put_file_(const char *dir, const char *name, const char *content) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(content, f);
  fclose(f);
}

/* Sorted, comma-joined names in dir (excluding . and ..). */
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

static void test_write_atomic_creates_and_refuses_overwrite(void **state) {
  const char *dir = *state;
  char path[512], names[1024];
  snprintf(path, sizeof path, "%s/3", dir);
  spate_error err = {0};
  assert_int_equal(sp_fs_write_atomic(path, "hello", 5, false, &err), 0);
  char *data;
  size_t len;
  assert_int_equal(sp_fs_read_all(path, &data, &len, &err), 0);
  assert_int_equal(len, 5);
  assert_string_equal(data, "hello");
  free(data);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "3");

  /* A second create of the same name fails and leaves the first content and no temp file. */
  assert_int_equal(sp_fs_write_atomic(path, "other", 5, false, &err), SPATE_EEXIST);
  char expect[600];
  snprintf(expect, sizeof expect, "cannot write %s: File exists", path);
  assert_string_equal(err.message, expect);
  assert_int_equal(sp_fs_read_all(path, &data, &len, &err), 0);
  assert_string_equal(data, "hello");
  free(data);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "3");

  /* overwrite = true replaces. */
  assert_int_equal(sp_fs_write_atomic(path, "bye", 3, true, &err), 0);
  assert_int_equal(sp_fs_read_all(path, &data, &len, &err), 0);
  assert_int_equal(len, 3);
  assert_string_equal(data, "bye");
  free(data);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "3");

  /* Empty file. */
  snprintf(path, sizeof path, "%s/empty", dir);
  assert_int_equal(sp_fs_write_atomic(path, "", 0, false, &err), 0);
  assert_int_equal(sp_fs_read_all(path, &data, &len, &err), 0);
  assert_int_equal(len, 0);
  assert_string_equal(data, "");
  free(data);
}

static void test_write_atomic_errors(void **state) {
  const char *dir = *state;
  char path[512], expect[600], names[1024];
  spate_error err = {0};
  snprintf(path, sizeof path, "%s/nodir/x", dir);
  assert_int_equal(sp_fs_write_atomic(path, "a", 1, false, &err), SPATE_EIO);
  /* The message names the final path, the failing system call, the temp file and strerror. */
  snprintf(expect, sizeof expect, "cannot write %s: open %s/nodir/.x.", path, dir);
  assert_int_equal(strncmp(err.message, expect, strlen(expect)), 0);
  assert_non_null(strstr(err.message, ".tmp: No such file or directory"));
  /* Target is a directory: rename fails, temp removed. */
  snprintf(path, sizeof path, "%s/sub", dir);
  assert_int_equal(sp_fs_mkdirs(path, &err), 0);
  assert_int_equal(sp_fs_write_atomic(path, "a", 1, true, &err), SPATE_EIO);
  snprintf(expect, sizeof expect, "cannot write %s: rename %s/.sub.", path, dir);
  assert_int_equal(strncmp(err.message, expect, strlen(expect)), 0);
  assert_non_null(strstr(err.message, ".tmp: Is a directory"));
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "sub");
  assert_int_equal(sp_fs_read_all(path, &(char *){NULL}, NULL, &err), SPATE_EIO);
  snprintf(path, sizeof path, "%s/missing", dir);
  char *data = (char *)1;
  assert_int_equal(sp_fs_read_all(path, &data, NULL, &err), SPATE_ENOTFOUND);
  assert_null(data);
  snprintf(expect, sizeof expect, "cannot read %s: No such file or directory", path);
  assert_string_equal(err.message, expect);
  assert_false(sp_fs_exists(path));
  assert_int_equal(sp_fs_remove(path, &err), 0); /* missing is fine */
}

static void test_list_ids_ignores_other_names(void **state) {
  const char *dir = *state;
  const char *files[] = {"0", "1", "10", "2", ".3.abc.tmp", "abc", "007", "5.crc", "4.compact", "-1", "8.compact.tmp",
                         "99999999999999999999", ".11", "12 "};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) put_file_(dir, files[i], "x");
  spate_error err = {0};
  int64_t *ids;
  int n;
  assert_int_equal(sp_fs_list_ids(dir, NULL, &ids, &n, &err), 0);
  assert_int_equal(n, 4);
  int64_t e1[] = {0, 1, 2, 10};
  assert_memory_equal(ids, e1, sizeof e1);
  free(ids);
  put_file_(dir, "2.compact", "x"); /* both "2" and "2.compact": listed once */
  assert_int_equal(sp_fs_list_ids(dir, ".compact", &ids, &n, &err), 0);
  assert_int_equal(n, 5);
  int64_t e2[] = {0, 1, 2, 4, 10};
  assert_memory_equal(ids, e2, sizeof e2);
  free(ids);
  /* Missing directory: no ids, not an error. */
  char missing[512];
  snprintf(missing, sizeof missing, "%s/nope", dir);
  assert_int_equal(sp_fs_list_ids(missing, NULL, &ids, &n, &err), 0);
  assert_int_equal(n, 0);
  free(ids);
}

static void test_mkdirs(void **state) {
  const char *dir = *state;
  char path[512], expect[700];
  spate_error err = {0};
  snprintf(path, sizeof path, "%s/a/b//c/", dir);
  assert_int_equal(sp_fs_mkdirs(path, &err), 0);
  assert_int_equal(sp_fs_mkdirs(path, &err), 0); /* idempotent */
  snprintf(path, sizeof path, "%s/a/b/c", dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(st.st_mode & 0777, 0700);
  assert_int_equal(sp_fs_sync_dir(path, &err), 0);
  put_file_(dir, "file", "x");
  snprintf(path, sizeof path, "%s/file/sub", dir);
  assert_int_equal(sp_fs_mkdirs(path, &err), SPATE_EIO);
  snprintf(expect, sizeof expect, "cannot create directory %s/file: Not a directory", dir);
  assert_string_equal(err.message, expect);
}

static void test_uuid4(void **state) {
  (void)state;
  char a[37], b[37];
  sp_uuid4(a);
  sp_uuid4(b);
  assert_int_equal(strlen(a), 36);
  assert_string_not_equal(a, b);
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23)
      assert_int_equal(a[i], '-');
    else
      assert_non_null(strchr("0123456789abcdef", a[i]));
  }
  assert_int_equal(a[14], '4');
  assert_non_null(strchr("89ab", a[19]));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_write_atomic_creates_and_refuses_overwrite, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_write_atomic_errors, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_list_ids_ignores_other_names, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_mkdirs, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test(test_uuid4),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
