/*
 * testutil.h - small helpers shared by the cmocka tests (header-only; include after
 * <cmocka.h>): input files written the way a producer should (temp name, then
 * rename, so a streaming file source never sees a partial file), sorted rows for
 * order-insensitive comparisons, sleeping, and removing a test's temp directory.
 */
#ifndef SPATE_TESTS_TESTUTIL_H
#define SPATE_TESTS_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/buf.h"

/* dir/name = text, atomically (dir/.name.tmp, then rename). */
static inline void tu_write_file(const char *dir, const char *name, const char *text) {
  char tmp[1024], fin[1024];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  snprintf(fin, sizeof fin, "%s/%s", dir, name);
  FILE *f = fopen(tmp, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(rename(tmp, fin), 0);
}

static inline int tu_cmp_str_(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The non-empty lines of text, sorted, each ending in '\n' (malloc'd; "" when none). */
static inline char *tu_sorted_lines(const char *text) {
  char *copy = strdup(text ? text : "");
  assert_non_null(copy);
  size_t cap = 64, n = 0;
  char **lines = malloc(cap * sizeof *lines);
  assert_non_null(lines);
  for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    if (!*l) continue;
    if (n == cap) {
      cap *= 2;
      lines = realloc(lines, cap * sizeof *lines);
      assert_non_null(lines);
    }
    lines[n++] = l;
  }
  qsort(lines, n, sizeof *lines, tu_cmp_str_);
  sp_buf b;
  sp_buf_init(&b);
  for (size_t i = 0; i < n; i++) {
    sp_buf_puts(&b, lines[i]);
    sp_buf_putc(&b, '\n');
  }
  free(lines);
  free(copy);
  char *s = sp_buf_steal(&b);
  sp_buf_free(&b);
  return s ? s : strdup("");
}

static inline void tu_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* rm -rf dir (a mkdtemp directory of the test). */
static inline void tu_rm_rf(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static inline int tu_rm_cb_(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

/* cmocka fixture: *state = a new empty directory /tmp/spate-test-XXXXXX (char *). */
static inline int tu_tmpdir_setup(void **state) {
  char *dir = strdup("/tmp/spate-test-XXXXXX");
  if (!dir || !mkdtemp(dir)) {
    free(dir);
    return -1;
  }
  *state = dir;
  return 0;
}

/* cmocka fixture: remove the directory of tu_tmpdir_setup with all it holds. */
static inline int tu_tmpdir_teardown(void **state) {
  nftw(*state, tu_rm_cb_, 16, FTW_DEPTH | FTW_PHYS);
  free(*state);
  return 0;
}

#endif
