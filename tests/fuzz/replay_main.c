/*
 * replay_main.c - runs a libFuzzer target's LLVMFuzzerTestOneInput on every file of
 * the directories (or files) given on the command line, without libFuzzer: the
 * regular (gcc) and ASan builds link it with each tests/fuzz/fuzz_<target>.c, and
 * ctest replays the seed corpus and the crash reproducers (fuzz_replay_<target>:
 * tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/). A crash, an
 * abort from an invariant check or (under ASan) a leak fails the test. Files are
 * replayed in name order; a missing directory is skipped.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file_(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      fclose(f);
      return 1;
    }
    size_t r = fread(buf + len, 1, cap - len, f);
    len += r;
    if (len < cap) break;
    cap *= 2;
    uint8_t *nb = realloc(buf, cap);
    if (!nb) free(buf);
    buf = nb;
  }
  fclose(f);
  /* An exact-size copy, as libFuzzer passes it: reads past the end are caught. */
  uint8_t *exact = malloc(len ? len : 1);
  if (!exact) {
    free(buf);
    return 1;
  }
  if (len) memcpy(exact, buf, len);
  free(buf);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

static int cmp_str_(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  int files = 0, failed = 0;
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) != 0) continue;
    if (S_ISREG(st.st_mode)) {
      failed += replay_file_(argv[a]);
      files++;
      continue;
    }
    DIR *d = opendir(argv[a]);
    if (!d) continue;
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
      if (de->d_name[0] == '.') continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        char **nn = realloc(names, (size_t)cap * sizeof *nn);
        if (!nn) break;
        names = nn;
      }
      names[n] = strdup(de->d_name);
      if (names[n]) n++;
    }
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str_);
    for (int i = 0; i < n; i++) {
      size_t pl = strlen(argv[a]) + strlen(names[i]) + 2;
      char *p = malloc(pl);
      if (p) {
        snprintf(p, pl, "%s/%s", argv[a], names[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
          failed += replay_file_(p);
          files++;
        }
        free(p);
      }
      free(names[i]);
    }
    free(names);
  }
  printf("replayed %d file(s), %d unreadable\n", files, failed);
  return failed ? 1 : 0;
}
