/*
 * fuzz_common.h - helpers shared by the libFuzzer targets in tests/fuzz/: a private
 * scratch directory (mkdtemp, removed at exit) and small utilities. Header-only so
 * every target is one .c file (plus replay_main.c for the gcc replay build).
 */
#ifndef SPATE_TESTS_FUZZ_COMMON_H
#define SPATE_TESTS_FUZZ_COMMON_H

#include <ftw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fz_rm_one_(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  (void)remove(path); /* best effort: keep going */
  return 0;
}

/* rm -rf path (never follows symlinks, stays on the file system). */
static inline void fz_rm_rf(const char *path) {
  if (path && *path) nftw(path, fz_rm_one_, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static char fz_root_[4096];

static void fz_cleanup_root_(void) {
  if (fz_root_[0]) fz_rm_rf(fz_root_);
  fz_root_[0] = '\0';
}

/* The process's scratch directory "<tmp>/spate-fuzz-XXXXXX" (created on first use,
 * removed at exit). Everything a target writes goes below it. Aborts if it cannot be
 * created: a fuzz target without its sandbox must not run. */
static inline const char *fz_root(void) {
  if (fz_root_[0]) return fz_root_;
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(fz_root_, sizeof fz_root_, "%s/spate-fuzz-XXXXXX", base);
  if (!mkdtemp(fz_root_)) {
    perror("mkdtemp");
    abort();
  }
  atexit(fz_cleanup_root_);
  return fz_root_;
}

/* Write data[0..len) to path (creating or truncating it); 0 on success. */
static inline int fz_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = len ? fwrite(data, 1, len, f) : 0;
  int rc = fclose(f);
  return w == len && rc == 0 ? 0 : -1;
}

/* NUL-terminated malloc'd copy of data[0..len). */
static inline char *fz_strndup(const uint8_t *data, size_t len) {
  char *s = malloc(len + 1);
  if (!s) return NULL;
  if (len) memcpy(s, data, len);
  s[len] = '\0';
  return s;
}

#endif
