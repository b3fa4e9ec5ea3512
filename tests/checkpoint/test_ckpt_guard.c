/* test_ckpt_guard.c - checkpoint ownership lock, log consistency validation and
 * the sink-log check (docs/fault-tolerance.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "testutil.h"

static void put_(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_lock(void **state) {
  const char *root = *state;
  spate_error err = {0};
  sp_checkpoint *a, *b;
  assert_int_equal(sp_checkpoint_open(root, &a, &err), 0);
  /* A second owner, even in this process, is refused with the owner's pid. */
  assert_int_equal(sp_checkpoint_open(root, &b, &err), SPATE_ECHECKPOINT);
  assert_null(b);
  char want[128];
  snprintf(want, sizeof want, "is in use by pid %ld (this process)", (long)getpid());
  assert_non_null(strstr(err.message, want));
  sp_checkpoint_unlock(a);
  sp_checkpoint_unlock(a); /* idempotent */
  assert_int_equal(sp_checkpoint_open(root, &b, &err), 0);
  sp_checkpoint_close(b);
  sp_checkpoint_close(a);
}

static void test_validate(void **state) {
  const char *root = *state;
  spate_error err = {0};
  sp_checkpoint *cp;
  assert_int_equal(sp_checkpoint_open(root, &cp, &err), 0);
  assert_int_equal(sp_checkpoint_validate(cp, &err), 0); /* empty is fine */
  sp_offset_entry e;
  memset(&e, 0, sizeof e);
  for (int i = 3; i < 7; i++) assert_int_equal(sp_checkpoint_write_offsets(cp, i, &e, &err), 0);
  for (int i = 2; i < 6; i++) assert_int_equal(sp_checkpoint_write_commit(cp, i, 0, &err), 0);
  assert_int_equal(sp_checkpoint_validate(cp, &err), 0); /* purged prefixes differ: fine */
  char p[600];
  snprintf(p, sizeof p, "%s/offsets/4", root);
  assert_int_equal(remove(p), 0);
  assert_int_equal(sp_checkpoint_validate(cp, &err), SPATE_ECHECKPOINT);
  assert_non_null(strstr(err.message, "/offsets/4 is missing"));
  for (int i = 3; i < 7; i++) {
    snprintf(p, sizeof p, "%s/offsets/%d", root, i);
    remove(p);
  }
  assert_int_equal(sp_checkpoint_validate(cp, &err), SPATE_ECHECKPOINT);
  assert_non_null(strstr(err.message, "commits/5 exists but offsets/5 does not"));
  sp_checkpoint_close(cp);
}

static void test_meta_log_check(void **state) {
  const char *root = *state;
  char dir[600], p[700];
  snprintf(dir, sizeof dir, "%s/_spark_metadata", root);
  spate_error err = {0};
  sp_meta_log log;
  assert_int_equal(sp_meta_log_init(&log, dir, 3, &err), 0);
  char *l1[] = {"{\"path\":\"file:///a\",\"size\":1,\"action\":\"add\"}"};
  for (int i = 0; i < 5; i++) assert_int_equal(sp_meta_log_add(&log, i, l1, 1, &err), 0);
  assert_int_equal(sp_meta_log_check(&log, &err), 0);
  snprintf(p, sizeof p, "%s/4", dir);
  put_(p, "v1\n{\"path\":\"file:///a\",\"si");
  assert_int_equal(sp_meta_log_check(&log, &err), SPATE_ECHECKPOINT);
  assert_non_null(strstr(err.message, "_spark_metadata/4: line 2: invalid log entry"));
  remove(p);
  snprintf(p, sizeof p, "%s/3", dir);
  remove(p);
  put_(p, "");
  assert_int_equal(sp_meta_log_check(&log, &err), SPATE_ECHECKPOINT);
  assert_non_null(strstr(err.message, "_spark_metadata/3: line 1: empty file"));
  remove(p);
  snprintf(p, sizeof p, "%s/5", dir);
  put_(p, "v1");
  assert_int_equal(sp_meta_log_check(&log, &err), SPATE_ECHECKPOINT); /* hole at 3, 4 */
  assert_non_null(strstr(err.message, "/_spark_metadata/3 is missing"));
  sp_meta_log_release(&log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lock, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_validate, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_meta_log_check, tu_tmpdir_setup, tu_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
