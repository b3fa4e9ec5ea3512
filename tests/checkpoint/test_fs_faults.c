/* test_fs_faults.c - sp_fs_write_atomic under injected I/O faults (SPATE_FAULT_AT,
 * src/common/fault.h): a short write is completed, ENOSPC/EIO on write, fsync and
 * rename fail with "cannot write <path>: <syscall> <temp>: <strerror>", and no file -
 * not even a temp file - is left behind. The fault spec is set in main() before the
 * first wrapped call (it is read once per process). */
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

/* Calls of each op, in order (see the comments at each write below). */
#define FAULTS "write:2:short,write:4:ENOSPC,fsync:3:EIO,rename:2:EDQUOT"

/* Sorted, comma-joined names in dir (excluding . and ..), temp files included. */
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

static void expect_failure_(const char *dir, const char *name, const char *syscall, const char *reason, int rc,
                            const spate_error *err) {
  char prefix[600];
  assert_int_equal(rc, SPATE_EIO);
  snprintf(prefix, sizeof prefix, "cannot write %s/%s: %s %s/.%s.", dir, name, syscall, dir, name);
  if (strncmp(err->message, prefix, strlen(prefix)) != 0) fail_msg("message %s, expected prefix %s", err->message, prefix);
  char suffix[200];
  snprintf(suffix, sizeof suffix, ".tmp: %s", reason);
  size_t ml = strlen(err->message), sl = strlen(suffix);
  if (ml < sl || strcmp(err->message + ml - sl, suffix) != 0) fail_msg("message %s, expected suffix %s", err->message, suffix);
}

static void test_faults(void **state) {
#ifndef SPATE_CRASH_POINTS
  (void)state;
  skip();
#else
  const char *dir = *state;
  char path[512], names[1024];
  spate_error err = {0};
  char *data;
  size_t len;

  /* 1. open 1; write 1 (5 bytes), write 2 short (2 of 5), write 3 (the other 3);
   *    fsync 1, close 1, rename 1, open 2 + fsync 2 (directory): complete file. */
  snprintf(path, sizeof path, "%s/a", dir);
  assert_int_equal(sp_fs_write_atomic(path, "0123456789", 10, false, &err), 0);
  assert_int_equal(sp_fs_read_all(path, &data, &len, &err), 0);
  assert_int_equal(len, 10);
  assert_string_equal(data, "0123456789");
  free(data);

  /* 2. write 4 fails with ENOSPC: nothing under the final or a temp name. */
  snprintf(path, sizeof path, "%s/b", dir);
  int rc = sp_fs_write_atomic(path, "abcdef", 6, false, &err);
  expect_failure_(dir, "b", "write", "No space left on device", rc, &err);

  /* 3. writes 5, 6 succeed, fsync 3 fails with EIO. */
  snprintf(path, sizeof path, "%s/c", dir);
  rc = sp_fs_write_atomic(path, "xyz", 3, false, &err);
  expect_failure_(dir, "c", "fsync", "Input/output error", rc, &err);

  /* 4. fsync 4, close 2 succeed, rename 2 fails with EDQUOT. */
  snprintf(path, sizeof path, "%s/d", dir);
  rc = sp_fs_write_atomic(path, "hello", 5, true, &err);
  expect_failure_(dir, "d", "rename", "Disk quota exceeded", rc, &err);

  /* 5. No more faults. */
  snprintf(path, sizeof path, "%s/e", dir);
  assert_int_equal(sp_fs_write_atomic(path, "ok", 2, false, &err), 0);

  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "a,e");
#endif
}

int main(void) {
  setenv("SPATE_FAULT_AT", FAULTS, 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_faults, tu_tmpdir_setup, tu_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
