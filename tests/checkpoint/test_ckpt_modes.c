/* test_ckpt_modes.c - checkpoint permissions (issue 6 "Also"): every file a query
 * writes under its checkpoint (metadata, .lock, offsets/commits entries, metadata
 * logs, state deltas and snapshots, the restart-compatibility schema record) is
 * 0600 and every directory it creates is 0700, even with umask 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "state/state_store.h"

static int rm_cb_(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static int nfiles_, ndirs_, nbad_;
static int mode_cb_(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)ftw;
  if (ftw->level == 0) return 0; /* the mkdtemp parent */
  unsigned m = (unsigned)(sb->st_mode & 07777);
  if (flag == FTW_D || flag == FTW_DP) {
    ndirs_++;
    if (m != 0700) {
      fprintf(stderr, "directory %s has mode %o\n", p, m);
      nbad_++;
    }
  } else {
    nfiles_++;
    if (m != 0600) {
      fprintf(stderr, "file %s has mode %o\n", p, m);
      nbad_++;
    }
  }
  return 0;
}

static void test_checkpoint_modes_with_umask_0(void **state) {
  (void)state;
  char base[] = "/tmp/spate_test_modes_XXXXXX";
  assert_non_null(mkdtemp(base));
  mode_t old = umask(0);
  char root[512], sub[600];
  snprintf(root, sizeof root, "%s/a/b/chk", base);
  spate_error err;
  spate_error_clear(&err);
  sp_checkpoint *cp = NULL;
  assert_int_equal(sp_checkpoint_open(root, &cp, &err), 0);

  sp_offset_entry e;
  memset(&e, 0, sizeof e);
  char *offs[1] = {"{\"logOffset\":0}"};
  e.nsources = 1;
  e.source_offsets = offs;
  assert_int_equal(sp_checkpoint_write_offsets(cp, 0, &e, &err), 0);
  assert_int_equal(sp_checkpoint_write_commit(cp, 0, 0, &err), 0);

  snprintf(sub, sizeof sub, "%s/sources/0", root);
  sp_meta_log log;
  assert_int_equal(sp_meta_log_init(&log, sub, 2, &err), 0);
  char *lines[1] = {"{\"path\":\"x\"}"};
  assert_int_equal(sp_meta_log_add(&log, 0, lines, 1, &err), 0);
  assert_int_equal(sp_meta_log_add(&log, 1, lines, 1, &err), 0); /* compacts */
  sp_meta_log_release(&log);

  snprintf(sub, sizeof sub, "%s/state/0/0", root);
  sp_state_store_opts so = {1, 10};
  sp_state_store *st = NULL;
  assert_int_equal(sp_state_store_open(sub, 0, &so, &st, &err), 0);
  assert_int_equal(sp_state_store_put(st, "k", 1, "v", 1), 0);
  assert_int_equal(sp_state_store_commit(st, &err), 0);
  assert_int_equal(sp_state_store_maintain(st, &err), 0);
  sp_state_store_close(st);

  snprintf(sub, sizeof sub, "%s/state/0/_metadata", root);
  assert_int_equal(sp_fs_mkdirs(sub, &err), 0);
  snprintf(sub, sizeof sub, "%s/state/0/_metadata/schema", root);
  assert_int_equal(sp_fs_write_atomic(sub, "{}", 2, true, &err), 0);
  sp_checkpoint_close(cp);
  umask(old);

  nfiles_ = ndirs_ = nbad_ = 0;
  assert_int_equal(nftw(base, mode_cb_, 16, FTW_PHYS), 0);
  assert_int_equal(nbad_, 0);
  assert_true(nfiles_ >= 8); /* metadata, .lock, offsets/0, commits/0, 2 log files, delta, schema */
  assert_true(ndirs_ >= 9);  /* a, b, chk, offsets, commits, sources, sources/0, state, state/0, ... */
  nftw(base, rm_cb_, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checkpoint_modes_with_umask_0),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
