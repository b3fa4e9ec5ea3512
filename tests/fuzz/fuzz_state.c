/*
 * fuzz_state.c - libFuzzer target for the state store files (src/state/state_store.c):
 * `<v>.delta` and `<v>.snapshot` of one (operator, partition) directory, read when a
 * batch loads version v (latest snapshot <= v, then the later deltas). Whatever the
 * bytes, opening must either fail with an error or give a store that can be iterated,
 * updated, committed (version v+1), maintained and reopened at v+1 with the same
 * entries.
 *
 * Input, either
 *   - files: sections "@<v>.delta\n<content>" / "@<v>.snapshot\n<content>" (v: 1-4
 *     digits; content up to the next "\n@" or the end), the store opened at the
 *     largest v and at the one below; or
 *   - raw bytes (no leading '@'): the same content as 1.snapshot of one store and as
 *     1.delta and 2.delta of another.
 * Everything is written below the target's mkdtemp directory, one fresh case
 * directory per input, removed afterwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "state/state_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                 \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "fuzz_state: invariant failed: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

static int write_(const char *dir, const char *name, const uint8_t *p, size_t n) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return fz_write_file(path, p, n);
}

/* Open `dir` at version v; when that works, exercise the store and check that a
 * commit and a reopen keep exactly its entries. */
static void exercise_(const char *dir, int64_t v) {
  sp_state_store_opts o = {2, 2};
  sp_state_store *s = NULL;
  spate_error err;
  spate_error_clear(&err);
  if (sp_state_store_open(dir, v, &o, &s, &err)) {
    FZ_CHECK(err.message[0] != '\0');
    return;
  }
  FZ_CHECK(sp_state_store_version(s) == v);
  int64_t rows = 0;
  uint64_t sum = 0;
  sp_state_iter it;
  sp_state_iter_init(&it, s);
  const void *k, *val;
  size_t kl, vl;
  while (sp_state_iter_next(&it, &k, &kl, &val, &vl)) {
    for (size_t i = 0; i < kl; i++) sum += ((const uint8_t *)k)[i];
    for (size_t i = 0; i < vl; i++) sum += ((const uint8_t *)val)[i];
    size_t gl = 0;
    const void *g = sp_state_store_get(s, k, kl, &gl);
    FZ_CHECK(g != NULL && gl == vl);
    rows++;
  }
  FZ_CHECK(rows == sp_state_store_num_rows(s));
  /* One update and one removal, then the next version. */
  static const char key[] = "fuzz-key";
  FZ_CHECK(sp_state_store_put(s, key, sizeof key, "v", 1) == 0);
  bool had = false;
  sp_state_iter_init(&it, s);
  while (sp_state_iter_next(&it, &k, &kl, &val, &vl))
    if (!(kl == sizeof key && memcmp(k, key, kl) == 0)) {
      had = true;
      FZ_CHECK(sp_state_store_remove(s, k, kl) == 0);
      break;
    }
  int64_t expect_rows = sp_state_store_num_rows(s);
  (void)had;
  if (sp_state_store_commit(s, &err) == 0) {
    FZ_CHECK(sp_state_store_version(s) == v + 1);
    sp_state_store_maintain(s, NULL);
    sp_state_store *r = NULL;
    spate_error e2;
    spate_error_clear(&e2);
    FZ_CHECK(sp_state_store_open(dir, v + 1, &o, &r, &e2) == 0);
    FZ_CHECK(sp_state_store_num_rows(r) == expect_rows);
    size_t gl = 0;
    const void *g = sp_state_store_get(r, key, sizeof key, &gl);
    FZ_CHECK(g != NULL && gl == 1 && memcmp(g, "v", 1) == 0);
    sp_state_store_close(r);
  }
  sp_state_store_close(s);
  (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  static unsigned long counter;
  char base[4200], a[4300], b[4300];
  snprintf(base, sizeof base, "%s/case-%lu", fz_root(), counter++);
  mkdir(base, 0700);
  if (size > 0 && data[0] == '@') {
    snprintf(a, sizeof a, "%s/s", base);
    mkdir(a, 0700);
    int64_t maxv = 0;
    const uint8_t *p = data, *end = data + size;
    while (p < end && *p == '@') {
      const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
      if (!nl) break;
      const uint8_t *c = nl + 1, *q = c;
      while (q < end && !(q[0] == '@' && q > c && q[-1] == '\n')) q++;
      size_t clen = (size_t)(q - c);
      if (clen && q < end) clen--; /* the '\n' before the next '@' */
      /* name: <1-4 digits>.delta | .snapshot */
      const char *name = (const char *)p + 1;
      size_t nlen = (size_t)(nl - p - 1), d = 0;
      while (d < nlen && d < 5 && name[d] >= '0' && name[d] <= '9') d++;
      bool delta = nlen == d + 6 && !memcmp(name + d, ".delta", 6);
      bool snap = nlen == d + 9 && !memcmp(name + d, ".snapshot", 9);
      if (d >= 1 && d <= 4 && (delta || snap)) {
        char fname[32];
        snprintf(fname, sizeof fname, "%.*s", (int)nlen, name);
        int64_t v = atoll(fname);
        if (v > maxv) maxv = v;
        write_(a, fname, c, clen);
      }
      p = q;
    }
    if (maxv > 0) {
      exercise_(a, maxv);
      if (maxv > 1) exercise_(a, maxv - 1);
    }
  } else {
    snprintf(a, sizeof a, "%s/snap", base);
    snprintf(b, sizeof b, "%s/deltas", base);
    mkdir(a, 0700);
    mkdir(b, 0700);
    write_(a, "1.snapshot", data, size);
    write_(b, "1.delta", data, size);
    write_(b, "2.delta", data, size);
    exercise_(a, 1);
    exercise_(b, 2);
  }
  fz_rm_rf(base);
  return 0;
}
