/* test_state_store.c - unit tests for src/state/state_store.c: put/get/remove/iterate,
 * exact delta/snapshot bytes, reopen at older versions, snapshot + delta replay, missing
 * and corrupt files, maintenance, re-execution, metrics, a randomized model check and
 * 1 million keys (timing printed, not asserted). */
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
#include <time.h>

#include "checkpoint/checkpoint.h"
#include "state/state_store.h"
#include "testutil.h"

static void list_names_(const char *dir, char *out, size_t cap) {
  char *names[128];
  int n = 0;
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d)) && n < 128)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names[n++] = strdup(de->d_name);
  closedir(d);
  /* numeric-aware order: by leading number, then name */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0; j--) {
      long a = atol(names[j - 1]), b = atol(names[j]);
      if (a < b || (a == b && strcmp(names[j - 1], names[j]) <= 0)) break;
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

static char *file_bytes_(const char *dir, const char *name, size_t *len) {
  char p[600];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  char *d;
  spate_error err = {0};
  if (sp_fs_read_all(p, &d, len, &err)) return NULL;
  return d;
}

static void put_raw_(const char *dir, const char *name, const void *data, size_t len) {
  char p[600];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  fwrite(data, 1, len, f);
  fclose(f);
}

static void put_s_(sp_state_store *s, const char *k, const char *v) {
  assert_int_equal(sp_state_store_put(s, k, strlen(k), v, strlen(v)), 0);
}

static void assert_get_(const sp_state_store *s, const char *k, const char *v) {
  size_t vl;
  const char *got = sp_state_store_get(s, k, strlen(k), &vl);
  if (!v) {
    assert_null(got);
    return;
  }
  assert_non_null(got);
  assert_int_equal(vl, strlen(v));
  assert_memory_equal(got, v, vl);
}

static sp_state_store *open_(const char *dir, int64_t v, int snap_every, int retain) {
  sp_state_store_opts o = {snap_every, retain};
  sp_state_store *s = NULL;
  spate_error err = {0};
  int rc = sp_state_store_open(dir, v, &o, &s, &err);
  if (rc) print_error("open %lld: %s\n", (long long)v, err.message);
  assert_int_equal(rc, 0);
  return s;
}

static void commit_(sp_state_store *s) {
  spate_error err = {0};
  int rc = sp_state_store_commit(s, &err);
  if (rc) print_error("commit: %s\n", err.message);
  assert_int_equal(rc, 0);
}

static void test_put_get_remove_iterate(void **state) {
  sp_state_store *s = open_(*state, 0, 10, 100);
  assert_int_equal(sp_state_store_version(s), 0);
  assert_int_equal(sp_state_store_num_rows(s), 0);
  char k[32], v[64];
  for (int i = 0; i < 1000; i++) {
    snprintf(k, sizeof k, "key%d", i);
    snprintf(v, sizeof v, "value-%d", i * 3);
    put_s_(s, k, v);
  }
  assert_int_equal(sp_state_store_num_rows(s), 1000);
  assert_get_(s, "key0", "value-0");
  assert_get_(s, "key999", "value-2997");
  assert_get_(s, "key1000", NULL);
  /* Replace with a shorter value (in place) and a much longer one (new record). */
  put_s_(s, "key5", "x");
  put_s_(s, "key6", "a much longer value than the one before, long enough to need a new record");
  assert_get_(s, "key5", "x");
  assert_get_(s, "key6", "a much longer value than the one before, long enough to need a new record");
  /* Empty key and empty value. */
  assert_int_equal(sp_state_store_put(s, "", 0, "", 0), 0);
  size_t vl = 99;
  assert_non_null(sp_state_store_get(s, "", 0, &vl));
  assert_int_equal(vl, 0);
  assert_int_equal(sp_state_store_remove(s, "", 0), 0);
  assert_null(sp_state_store_get(s, "", 0, &vl));
  for (int i = 0; i < 1000; i += 2) {
    snprintf(k, sizeof k, "key%d", i);
    assert_int_equal(sp_state_store_remove(s, k, strlen(k)), 0);
  }
  assert_int_equal(sp_state_store_remove(s, "nope", 4), 0);
  assert_int_equal(sp_state_store_num_rows(s), 500);
  assert_get_(s, "key0", NULL);
  assert_get_(s, "key1", "value-3");
  assert_get_(s, "key5", "x");
  /* Iterate: every odd key exactly once; remove multiples of 3 while iterating. */
  char seen[1000] = {0};
  sp_state_iter it;
  sp_state_iter_init(&it, s);
  const void *kp, *vp;
  size_t kl;
  int count = 0;
  while (sp_state_iter_next(&it, &kp, &kl, &vp, &vl)) {
    char buf[32];
    memcpy(buf, kp, kl);
    buf[kl] = '\0';
    int i = atoi(buf + 3);
    assert_int_equal(i % 2, 1);
    assert_int_equal(seen[i], 0);
    seen[i] = 1;
    count++;
    if (i % 3 == 0) assert_int_equal(sp_state_store_remove(s, kp, kl), 0);
  }
  assert_int_equal(count, 500);
  assert_int_equal(sp_state_store_num_rows(s), 500 - 167);
  assert_get_(s, "key3", NULL);
  assert_get_(s, "key7", "value-21");
  assert_int_equal(sp_state_store_num_updated(s), 1003);
  assert_int_equal(sp_state_store_num_removed(s), 501 + 167);
  assert_true(sp_state_store_memory_bytes(s) > 0);
  sp_state_store_close(s);
}

static const unsigned char k_delta1[] = {0, 0, 0, 1, 'a', 0, 0, 0, 1, '1', 0, 0, 0, 1, 'b', 0, 0, 0, 2, '2', '2',
                                         0xff, 0xff, 0xff, 0xff};
/* remove a; c = "3"; b = "y" (b was written twice: last write wins, one record) */
static const unsigned char k_delta2[] = {0, 0, 0, 1, 'a', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 'c', 0, 0, 0, 1, '3',
                                         0, 0, 0, 1, 'b', 0, 0, 0, 1, 'y', 0xff, 0xff, 0xff, 0xff};
/* remove c then put c = "4": both records, in that order */
static const unsigned char k_delta3[] = {0, 0, 0, 1, 'c', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 'c', 0, 0, 0, 1, '4',
                                         0xff, 0xff, 0xff, 0xff};

static void test_commit_delta_bytes_and_reopen(void **state) {
  const char *dir = *state;
  char names[1024];
  sp_state_store *s = open_(dir, 0, 10, 100);
  put_s_(s, "a", "1");
  put_s_(s, "b", "22");
  commit_(s);
  assert_int_equal(sp_state_store_version(s), 1);
  size_t len;
  char *d = file_bytes_(dir, "1.delta", &len);
  assert_int_equal(len, sizeof k_delta1);
  assert_memory_equal(d, k_delta1, len);
  free(d);
  assert_int_equal(sp_state_store_remove(s, "a", 1), 0);
  put_s_(s, "c", "3");
  put_s_(s, "b", "x");
  put_s_(s, "b", "y");
  commit_(s);
  d = file_bytes_(dir, "2.delta", &len);
  assert_int_equal(len, sizeof k_delta2);
  assert_memory_equal(d, k_delta2, len);
  free(d);
  assert_int_equal(sp_state_store_remove(s, "c", 1), 0);
  put_s_(s, "c", "4");
  commit_(s);
  d = file_bytes_(dir, "3.delta", &len);
  assert_int_equal(len, sizeof k_delta3);
  assert_memory_equal(d, k_delta3, len);
  free(d);
  /* No changes: the delta is just the end marker. */
  commit_(s);
  d = file_bytes_(dir, "4.delta", &len);
  assert_int_equal(len, 4);
  assert_memory_equal(d, "\xff\xff\xff\xff", 4);
  free(d);
  sp_state_store_close(s);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "1.delta,2.delta,3.delta,4.delta");

  s = open_(dir, 0, 10, 100);
  assert_int_equal(sp_state_store_num_rows(s), 0);
  sp_state_store_close(s);
  s = open_(dir, 1, 10, 100);
  assert_int_equal(sp_state_store_num_rows(s), 2);
  assert_get_(s, "a", "1");
  assert_get_(s, "b", "22");
  sp_state_store_close(s);
  s = open_(dir, 2, 10, 100);
  assert_int_equal(sp_state_store_num_rows(s), 2);
  assert_get_(s, "a", NULL);
  assert_get_(s, "b", "y");
  assert_get_(s, "c", "3");
  sp_state_store_close(s);
  s = open_(dir, 4, 10, 100);
  assert_int_equal(sp_state_store_version(s), 4);
  assert_int_equal(sp_state_store_num_rows(s), 2);
  assert_get_(s, "c", "4");
  assert_get_(s, "b", "y");
  assert_int_equal(sp_state_store_num_updated(s), 0);
  sp_state_store_close(s);
}

static void test_snapshot_and_replay(void **state) {
  const char *dir = *state;
  char names[1024], msg[4096];
  sp_state_store *s = open_(dir, 0, 2, 100);
  put_s_(s, "k1", "v1");
  commit_(s); /* 1 */
  put_s_(s, "k2", "v2");
  assert_int_equal(sp_state_store_remove(s, "k1", 2), 0);
  commit_(s); /* 2 + snapshot */
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "1.delta,2.delta,2.snapshot");
  size_t len;
  char *d = file_bytes_(dir, "2.snapshot", &len);
  static const unsigned char snap2[] = {0, 0, 0, 2, 'k', '2', 0, 0, 0, 2, 'v', '2', 0xff, 0xff, 0xff, 0xff};
  assert_int_equal(len, sizeof snap2);
  assert_memory_equal(d, snap2, len);
  free(d);
  put_s_(s, "k3", "v3");
  commit_(s); /* 3 */
  put_s_(s, "k2", "v2b");
  commit_(s); /* 4 + snapshot */
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "1.delta,2.delta,2.snapshot,3.delta,4.delta,4.snapshot");
  sp_state_store_close(s);

  /* Version 3 = 2.snapshot + 3.delta: the earlier deltas are not read. */
  char p[600];
  snprintf(p, sizeof p, "%s/1.delta", dir);
  remove(p);
  snprintf(p, sizeof p, "%s/2.delta", dir);
  remove(p);
  s = open_(dir, 3, 2, 100);
  assert_int_equal(sp_state_store_num_rows(s), 2);
  assert_get_(s, "k1", NULL);
  assert_get_(s, "k2", "v2");
  assert_get_(s, "k3", "v3");
  sp_state_store_close(s);
  s = open_(dir, 4, 2, 100);
  assert_get_(s, "k2", "v2b");
  sp_state_store_close(s);
  /* Version 1 needs 1.delta. */
  sp_state_store_opts o = {2, 100};
  spate_error err = {0};
  s = (sp_state_store *)1;
  assert_int_equal(sp_state_store_open(dir, 1, &o, &s, &err), SPATE_ECHECKPOINT);
  assert_null(s);
  snprintf(msg, sizeof msg, "state store %s: cannot load version 1: missing %s/1.delta", dir, dir);
  assert_string_equal(err.message, msg);
  /* A version beyond what exists. */
  assert_int_equal(sp_state_store_open(dir, 6, &o, &s, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "state store %s: cannot load version 6: missing %s/5.delta", dir, dir);
  assert_string_equal(err.message, msg);
}

static void test_corrupt_files(void **state) {
  const char *dir = *state;
  char msg[4096];
  sp_state_store_opts o = {10, 100};
  spate_error err = {0};
  sp_state_store *s;
  static const unsigned char trunc[] = {0, 0, 0, 1, 'a', 0, 0, 0, 5, 'x'};
  put_raw_(dir, "1.delta", trunc, sizeof trunc);
  assert_int_equal(sp_state_store_open(dir, 1, &o, &s, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "state store %s: cannot load version 1: %s/1.delta is corrupt: truncated record at byte 0",
           dir, dir);
  assert_string_equal(err.message, msg);
  static const unsigned char noend[] = {0, 0, 0, 1, 'a', 0, 0, 0, 1, 'x'};
  put_raw_(dir, "1.delta", noend, sizeof noend);
  assert_int_equal(sp_state_store_open(dir, 1, &o, &s, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg,
           "state store %s: cannot load version 1: %s/1.delta is corrupt: truncated (no end marker) at byte 10", dir,
           dir);
  assert_string_equal(err.message, msg);
  static const unsigned char badlen[] = {0, 0, 0, 1, 'a', 0, 0, 0, 1, 'x', 0xff, 0xff, 0xff, 0xf0};
  put_raw_(dir, "1.delta", badlen, sizeof badlen);
  assert_int_equal(sp_state_store_open(dir, 1, &o, &s, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "state store %s: cannot load version 1: %s/1.delta is corrupt: invalid key length at byte 10",
           dir, dir);
  assert_string_equal(err.message, msg);
  put_raw_(dir, "1.delta", "", 0);
  assert_int_equal(sp_state_store_open(dir, 1, &o, &s, &err), SPATE_ECHECKPOINT);
  /* Garbage names are ignored; invalid versions rejected. */
  put_raw_(dir, "junk.delta", "x", 1);
  put_raw_(dir, "01.delta", "x", 1);
  assert_int_equal(sp_state_store_open(dir, -1, &o, &s, &err), SPATE_EINVAL);
  static const unsigned char good[] = {0, 0, 0, 1, 'a', 0, 0, 0, 1, 'x', 0xff, 0xff, 0xff, 0xff};
  put_raw_(dir, "1.delta", good, sizeof good);
  s = open_(dir, 1, 10, 100);
  assert_get_(s, "a", "x");
  sp_state_store_close(s);
}

static void test_maintenance(void **state) {
  const char *dir = *state;
  char names[2048];
  sp_state_store *s = open_(dir, 0, 3, 2);
  char k[16];
  for (int v = 1; v <= 10; v++) {
    snprintf(k, sizeof k, "k%d", v);
    put_s_(s, k, "v");
    commit_(s);
    if (v == 2) {
      spate_error err = {0};
      assert_int_equal(sp_state_store_maintain(s, &err), 0); /* nothing deletable yet */
    }
  }
  list_names_(dir, names, sizeof names);
  assert_string_equal(names,
                      "1.delta,2.delta,3.delta,3.snapshot,4.delta,5.delta,6.delta,6.snapshot,7.delta,8.delta,9.delta,"
                      "9.snapshot,10.delta");
  put_raw_(dir, ".2.delta.00000000deadbeef.tmp", "x", 1);
  put_raw_(dir, "notes.txt", "x", 1);
  spate_error err = {0};
  /* retain 2: versions 9 and 10 must stay loadable: 9.snapshot + 10.delta. */
  assert_int_equal(sp_state_store_maintain(s, &err), 0);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "notes.txt,9.delta,9.snapshot,10.delta");
  sp_state_store_close(s);
  s = open_(dir, 9, 3, 2);
  assert_int_equal(sp_state_store_num_rows(s), 9);
  sp_state_store_close(s);
  s = open_(dir, 10, 3, 2);
  assert_int_equal(sp_state_store_num_rows(s), 10);
  assert_get_(s, "k10", "v");
  sp_state_store_close(s);
  sp_state_store_opts o = {3, 2};
  assert_int_equal(sp_state_store_open(dir, 8, &o, &s, &err), SPATE_ECHECKPOINT);
}

static void test_reexecution_overwrites(void **state) {
  const char *dir = *state;
  char names[1024];
  sp_state_store *s = open_(dir, 0, 2, 100);
  put_s_(s, "a", "1");
  commit_(s);
  put_s_(s, "a", "2");
  commit_(s); /* 2.delta + 2.snapshot */
  sp_state_store_close(s);
  /* Crash after committing version 2 but before the batch's commit log: batch 1 reruns
   * from version 1 and commits version 2 again (here with different content). */
  s = open_(dir, 1, 5, 100);
  assert_get_(s, "a", "1");
  put_s_(s, "b", "9");
  commit_(s);
  assert_int_equal(sp_state_store_version(s), 2);
  sp_state_store_close(s);
  list_names_(dir, names, sizeof names);
  assert_string_equal(names, "1.delta,2.delta"); /* stale 2.snapshot dropped */
  s = open_(dir, 2, 5, 100);
  assert_get_(s, "a", "1");
  assert_get_(s, "b", "9");
  sp_state_store_close(s);
}

static void test_metrics_after_commit(void **state) {
  sp_state_store *s = open_(*state, 0, 10, 100);
  put_s_(s, "a", "1");
  put_s_(s, "b", "1");
  put_s_(s, "a", "2");
  assert_int_equal(sp_state_store_remove(s, "b", 1), 0);
  assert_int_equal(sp_state_store_remove(s, "zz", 2), 0);
  commit_(s);
  /* Read after commit, as the query does. */
  assert_int_equal(sp_state_store_num_rows(s), 1);
  assert_int_equal(sp_state_store_num_updated(s), 3);
  assert_int_equal(sp_state_store_num_removed(s), 1);
  put_s_(s, "c", "1");
  assert_int_equal(sp_state_store_num_updated(s), 1);
  assert_int_equal(sp_state_store_num_removed(s), 0);
  sp_state_store_close(s);
}

/* Values passed to put may point into the store (a get result), even when the put
 * triggers a vacuum of the store's memory. */
static void test_put_aliasing_store_memory(void **state) {
  sp_state_store *s = open_(*state, 0, 10, 100);
  enum { BASE = 300000 };
  char *big = malloc(BASE + 30000);
  assert_non_null(big);
  for (int i = 0; i < BASE + 30000; i++) big[i] = (char)('a' + i % 23);
  assert_int_equal(sp_state_store_put(s, "a", 1, big, BASE), 0);
  for (int r = 1; r <= 25; r++) {
    size_t len = BASE + (size_t)r * 1000;
    assert_int_equal(sp_state_store_put(s, "a", 1, big, len), 0); /* larger: new record, garbage grows */
    size_t vl;
    const void *v = sp_state_store_get(s, "a", 1, &vl);
    assert_int_equal(vl, len);
    assert_int_equal(sp_state_store_put(s, "c", 1, v, vl), 0); /* copy of a store value */
    v = sp_state_store_get(s, "c", 1, &vl);
    assert_int_equal(sp_state_store_put(s, "c", 1, v, vl), 0); /* same bytes, in place */
    v = sp_state_store_get(s, "c", 1, &vl);
    assert_int_equal(vl, len);
    assert_memory_equal(v, big, len);
  }
  /* Garbage was reclaimed: without vacuum the 50 records would hold > 50 * BASE bytes. */
  assert_true(sp_state_store_memory_bytes(s) < 16 * BASE);
  free(big);
  sp_state_store_close(s);
}

/* Randomized check against a plain array model across commits, reopen and older versions. */
#define MODEL_KEYS 3000
#define MODEL_VMAX 48
typedef struct model {
  unsigned char present[MODEL_KEYS];
  unsigned char len[MODEL_KEYS];
  unsigned char val[MODEL_KEYS][MODEL_VMAX];
} model;

static uint64_t rng_(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static void check_model_(const sp_state_store *s, const model *m) {
  int64_t live = 0;
  for (int i = 0; i < MODEL_KEYS; i++) {
    uint32_t key = (uint32_t)i * 2654435761u;
    size_t vl;
    const unsigned char *v = sp_state_store_get(s, &key, sizeof key, &vl);
    if (!m->present[i]) {
      assert_null(v);
      continue;
    }
    live++;
    assert_non_null(v);
    assert_int_equal(vl, m->len[i]);
    if (vl) assert_memory_equal(v, m->val[i], vl);
  }
  assert_int_equal(sp_state_store_num_rows(s), live);
}

static void test_randomized_model(void **state) {
  const char *dir = *state;
  enum { VERSIONS = 24 };
  model *hist = calloc(VERSIONS + 1, sizeof *hist);
  model *m = calloc(1, sizeof *m);
  assert_non_null(hist);
  assert_non_null(m);
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  sp_state_store *s = open_(dir, 0, 5, 100);
  for (int v = 1; v <= VERSIONS; v++) {
    int ops = 2000 + (int)(rng_(&seed) % 4000);
    for (int o = 0; o < ops; o++) {
      int i = (int)(rng_(&seed) % MODEL_KEYS);
      uint32_t key = (uint32_t)i * 2654435761u;
      if (rng_(&seed) % 4 == 0) {
        assert_int_equal(sp_state_store_remove(s, &key, sizeof key), 0);
        m->present[i] = 0;
      } else {
        unsigned char len = (unsigned char)(rng_(&seed) % MODEL_VMAX);
        for (int b = 0; b < len; b++) m->val[i][b] = (unsigned char)rng_(&seed);
        m->len[i] = len;
        m->present[i] = 1;
        assert_int_equal(sp_state_store_put(s, &key, sizeof key, m->val[i], len), 0);
      }
    }
    check_model_(s, m);
    commit_(s);
    hist[v] = *m;
    if (v % 7 == 0) { /* reopen at the current version */
      sp_state_store_close(s);
      s = open_(dir, v, 5, 100);
      check_model_(s, m);
    }
  }
  sp_state_store_close(s);
  for (int v = 0; v <= VERSIONS; v += 3) {
    s = open_(dir, v, 5, 100);
    check_model_(s, &hist[v]);
    sp_state_store_close(s);
  }
  free(hist);
  free(m);
}

static double now_s_(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_million_keys(void **state) {
  const char *dir = *state;
  enum { N = 1000000 };
  sp_state_store *s = open_(dir, 0, 10, 100);
  double t0 = now_s_();
  for (int64_t i = 0; i < N; i++) {
    int64_t v = i * 7;
    assert_int_equal(sp_state_store_put(s, &i, sizeof i, &v, sizeof v), 0);
  }
  double t1 = now_s_();
  int64_t found = 0;
  for (int64_t i = 0; i < N; i++) {
    size_t vl;
    const int64_t *v = sp_state_store_get(s, &i, sizeof i, &vl);
    if (v && vl == 8 && *v == i * 7) found++;
  }
  double t2 = now_s_();
  int64_t missing = N;
  size_t vl;
  assert_null(sp_state_store_get(s, &missing, sizeof missing, &vl));
  assert_int_equal(found, N);
  assert_int_equal(sp_state_store_num_rows(s), N);
  commit_(s);
  double t3 = now_s_();
  sp_state_store_close(s);
  s = open_(dir, 1, 10, 100);
  double t4 = now_s_();
  assert_int_equal(sp_state_store_num_rows(s), N);
  int64_t probe = 123456;
  const int64_t *pv = sp_state_store_get(s, &probe, sizeof probe, &vl);
  assert_non_null(pv);
  assert_int_equal(*pv, probe * 7);
  printf("  1M keys: insert %.3f s, lookup %.3f s, commit %.3f s, reload %.3f s, memory %lld bytes\n", t1 - t0,
         t2 - t1, t3 - t2, t4 - t3, (long long)sp_state_store_memory_bytes(s));
  sp_state_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_put_get_remove_iterate, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_commit_delta_bytes_and_reopen, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_snapshot_and_replay, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_corrupt_files, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_maintenance, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_reexecution_overwrites, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_metrics_after_commit, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_put_aliasing_store_memory, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_randomized_model, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_million_keys, tu_tmpdir_setup, tu_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
