/* test_checkpoint.c - unit tests for src/checkpoint/checkpoint.c: offsets/commits/metadata
 * byte formats, round trips, corrupt inputs with exact messages, purge. */
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

#include "checkpoint/checkpoint.h"
#include "testutil.h"

static char *slurp_(const char *path) {
  char *d;
  size_t n;
  spate_error err = {0};
  if (sp_fs_read_all(path, &d, &n, &err)) return NULL;
  return d;
}

static void put_raw_(const char *path, const char *content) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fwrite(content, 1, strlen(content), f);
  fclose(f);
}

static const char *k_conf_keys[] = {"spark.sql.shuffle.partitions", "spark.sql.streaming.stateStore.providerClass"};
static const char *k_conf_vals[] = {"200", "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider"};

static void fill_entry_(sp_offset_entry *e) {
  memset(e, 0, sizeof *e);
  e->batch_watermark_ms = 0;
  e->batch_timestamp_ms = 1700000000000LL;
  e->nconf = 2;
  for (int i = 0; i < 2; i++) {
    e->conf_keys[i] = strdup(k_conf_keys[i]);
    e->conf_values[i] = strdup(k_conf_vals[i]);
  }
  e->nsources = 3;
  e->source_offsets = calloc(3, sizeof(char *));
  e->source_offsets[0] = strdup("{\"logOffset\":3}");
  e->source_offsets[1] = strdup("{\"topic1\":{\"0\":45,\"1\":40}}");
  e->source_offsets[2] = NULL;
}

static const char *k_expected_offsets =
    "v1\n"
    "{\"batchWatermarkMs\":0,\"batchTimestampMs\":1700000000000,\"conf\":{\"spark.sql.shuffle.partitions\":\"200\","
    "\"spark.sql.streaming.stateStore.providerClass\":\"org.apache.spark.sql.execution.streaming.state."
    "HDFSBackedStateStoreProvider\"}}\n"
    "{\"logOffset\":3}\n"
    "{\"topic1\":{\"0\":45,\"1\":40}}\n"
    "-";

static void test_offsets_format_and_parse(void **state) {
  (void)state;
  sp_offset_entry e, p;
  fill_entry_(&e);
  spate_error err = {0};
  char *text;
  assert_int_equal(sp_offset_entry_format(&e, &text, &err), 0);
  assert_string_equal(text, k_expected_offsets);
  assert_int_equal(sp_offset_entry_parse(text, strlen(text), "offsets/0", &p, &err), 0);
  assert_int_equal(p.batch_watermark_ms, 0);
  assert_int_equal(p.batch_timestamp_ms, 1700000000000LL);
  assert_int_equal(p.nconf, 2);
  for (int i = 0; i < 2; i++) {
    assert_string_equal(p.conf_keys[i], k_conf_keys[i]);
    assert_string_equal(p.conf_values[i], k_conf_vals[i]);
  }
  assert_int_equal(p.nsources, 3);
  assert_string_equal(p.source_offsets[0], "{\"logOffset\":3}");
  assert_string_equal(p.source_offsets[1], "{\"topic1\":{\"0\":45,\"1\":40}}");
  assert_null(p.source_offsets[2]);
  /* Re-format gives the same bytes. */
  char *again;
  assert_int_equal(sp_offset_entry_format(&p, &again, &err), 0);
  assert_string_equal(again, text);
  free(again);
  free(text);
  sp_offset_entry_free(&p);
  sp_offset_entry_free(&e);

  /* No sources, bare-number offsets (LongOffset), trailing newline, negative watermark. */
  const char *t2 = "v1\n{\"batchWatermarkMs\":-5,\"batchTimestampMs\":1,\"conf\":{}}\n51\n";
  assert_int_equal(sp_offset_entry_parse(t2, strlen(t2), "offsets/6", &p, &err), 0);
  assert_int_equal(p.batch_watermark_ms, -5);
  assert_int_equal(p.nconf, 0);
  assert_int_equal(p.nsources, 1);
  assert_string_equal(p.source_offsets[0], "51");
  sp_offset_entry_free(&p);
  memset(&e, 0, sizeof e);
  assert_int_equal(sp_offset_entry_format(&e, &text, &err), 0);
  assert_string_equal(text, "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":0,\"conf\":{}}");
  free(text);
  /* A conf without a value (unset) is not frozen. */
  char *ck[] = {"a.b", "c.d"};
  memset(&e, 0, sizeof e);
  e.nconf = 2;
  e.conf_keys[0] = ck[0];
  e.conf_values[0] = NULL;
  e.conf_keys[1] = ck[1];
  e.conf_values[1] = "x";
  assert_int_equal(sp_offset_entry_format(&e, &text, &err), 0);
  assert_string_equal(text, "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":0,\"conf\":{\"c.d\":\"x\"}}");
  free(text);
  /* Empty metadata line (ancient logs) and missing fields default to 0. */
  const char *t3 = "v1\n\n-";
  assert_int_equal(sp_offset_entry_parse(t3, strlen(t3), "offsets/1", &p, &err), 0);
  assert_int_equal(p.batch_timestamp_ms, 0);
  assert_int_equal(p.nsources, 1);
  assert_null(p.source_offsets[0]);
  sp_offset_entry_free(&p);
  const char *t4 = "v1\n{\"batchTimestampMs\":7}";
  assert_int_equal(sp_offset_entry_parse(t4, strlen(t4), "offsets/1", &p, &err), 0);
  assert_int_equal(p.batch_timestamp_ms, 7);
  assert_int_equal(p.batch_watermark_ms, 0);
  assert_int_equal(p.nsources, 0);
  sp_offset_entry_free(&p);
}

static void test_offsets_format_rejects_bad_source(void **state) {
  (void)state;
  sp_offset_entry e;
  memset(&e, 0, sizeof e);
  char *srcs[1] = {"{\"a\":\n1}"};
  e.nsources = 1;
  e.source_offsets = srcs;
  spate_error err = {0};
  char *text = (char *)1;
  assert_int_equal(sp_offset_entry_format(&e, &text, &err), SPATE_EINVAL);
  assert_null(text);
  assert_string_equal(err.message, "offset entry: source 0 offset is not single-line JSON: {\"a\":\n1}");
  srcs[0] = "{not json";
  assert_int_equal(sp_offset_entry_format(&e, &text, &err), SPATE_EINVAL);
}

typedef struct bad_case {
  const char *text;
  const char *message; /* exact, or prefix when prefix = 1 */
  int prefix;
} bad_case;

static void test_offsets_parse_corrupt(void **state) {
  (void)state;
  const bad_case cases[] = {
      {"", "/c/offsets/3: line 1: empty file (truncated write?)", 0},
      {"v1", "/c/offsets/3: line 2: missing offset metadata (truncated file?)", 0},
      {"v1\n", "/c/offsets/3: line 2: missing offset metadata (truncated file?)", 0},
      {"v2\n{}\n-", "/c/offsets/3: unsupported log version v2 (this spate reads v1); written by a newer spate?", 0},
      {"v10\n{}", "/c/offsets/3: unsupported log version v10 (this spate reads v1); written by a newer spate?", 0},
      {"{\"batchWatermarkMs\":0}\n-",
       "/c/offsets/3: line 1: missing log version line (expected \"v1\", found: {\"batchWatermarkMs\":0})", 0},
      {"\n{}", "/c/offsets/3: line 1: missing log version line (expected \"v1\", found an empty line)", 0},
      {"v0\n{}", "/c/offsets/3: line 1: missing log version line (expected \"v1\", found: v0)", 0},
      {"\x01\x02garbage\xff\n\n",
       "/c/offsets/3: line 1: missing log version line (expected \"v1\", found: ??garbage?)", 0},
      {"v1\n{\"batchWatermarkMs\":0,\"batchTime",
       "/c/offsets/3: line 2: invalid offset metadata JSON: ", 1},
      {"v1\n[1,2]", "/c/offsets/3: line 2: invalid offset metadata JSON: not an object", 0},
      {"v1\n{\"batchWatermarkMs\":\"0\"}", "/c/offsets/3: line 2: \"batchWatermarkMs\" must be an integer", 0},
      {"v1\n{\"conf\":{\"a\":1}}", "/c/offsets/3: line 2: conf \"a\" must be a string", 0},
      {"v1\n{\"conf\":[]}", "/c/offsets/3: line 2: \"conf\" must be an object", 0},
      {"v1\n{}\n{\"logOffset\":3}\n{\"logOff", "/c/offsets/3: line 4: invalid source offset JSON: ", 1},
      {"v1\n{}\n-\n\n-", "/c/offsets/3: line 4: invalid source offset JSON: ", 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    sp_offset_entry e;
    spate_error err = {0};
    int rc = sp_offset_entry_parse(cases[i].text, strlen(cases[i].text), "/c/offsets/3", &e, &err);
    if (rc != SPATE_ECHECKPOINT) print_error("case %zu: rc %d (%s)\n", i, rc, err.message);
    assert_int_equal(rc, SPATE_ECHECKPOINT);
    if (cases[i].prefix) {
      if (strncmp(err.message, cases[i].message, strlen(cases[i].message)) != 0)
        print_error("case %zu: got \"%s\"\n", i, err.message);
      assert_int_equal(strncmp(err.message, cases[i].message, strlen(cases[i].message)), 0);
    } else {
      assert_string_equal(err.message, cases[i].message);
    }
    assert_int_equal(e.nsources, 0);
    assert_null(e.source_offsets);
  }
  /* The JSON detail is jansson's message with the column. */
  sp_offset_entry e;
  spate_error err = {0};
  const char *t = "v1\n{}\n{\"logOffset\":3}\n{\"logOff";
  sp_offset_entry_parse(t, strlen(t), "/c/offsets/3", &e, &err);
  assert_string_equal(err.message,
                      "/c/offsets/3: line 4: invalid source offset JSON: premature end of input near '\"logOff' "
                      "(column 8)");
}

static void test_checkpoint_files_exact(void **state) {
  const char *root = *state;
  char croot[512], path[600];
  snprintf(croot, sizeof croot, "%s/ckpt", root);
  spate_error err = {0};
  sp_checkpoint *cp;
  assert_int_equal(sp_checkpoint_open(croot, &cp, &err), 0);
  assert_string_equal(cp->root, croot);
  assert_int_equal(strlen(cp->query_id), 36);
  /* metadata: {"id":"<uuid>"} with no trailing newline. */
  snprintf(path, sizeof path, "%s/metadata", croot);
  char *m = slurp_(path);
  char expect[128];
  snprintf(expect, sizeof expect, "{\"id\":\"%s\"}", cp->query_id);
  assert_string_equal(m, expect);
  free(m);
  char *id = strdup(cp->query_id);
  int64_t lo, lc;
  assert_int_equal(sp_checkpoint_latest(cp, &lo, &lc, &err), 0);
  assert_int_equal(lo, -1);
  assert_int_equal(lc, -1);

  sp_offset_entry e;
  fill_entry_(&e);
  assert_int_equal(sp_checkpoint_write_offsets(cp, 0, &e, &err), 0);
  snprintf(path, sizeof path, "%s/offsets/0", croot);
  char *t = slurp_(path);
  assert_string_equal(t, k_expected_offsets);
  free(t);
  /* Offsets of a batch are written once. */
  assert_int_equal(sp_checkpoint_write_offsets(cp, 0, &e, &err), SPATE_EEXIST);
  char msg[4096];
  snprintf(msg, sizeof msg,
           "%s already exists: concurrent update to the log of batch 0 (are multiple streaming queries using "
           "checkpoint %s?)",
           path, croot);
  assert_string_equal(err.message, msg);
  e.batch_watermark_ms = 1699999990000LL;
  assert_int_equal(sp_checkpoint_write_offsets(cp, 1, &e, &err), 0);
  sp_offset_entry_free(&e);

  assert_int_equal(sp_checkpoint_write_commit(cp, 0, 0, &err), 0);
  snprintf(path, sizeof path, "%s/commits/0", croot);
  t = slurp_(path);
  assert_string_equal(t, "v1\n{\"nextBatchWatermarkMs\":0}");
  free(t);
  assert_int_equal(sp_checkpoint_write_commit(cp, 0, 5, &err), SPATE_EEXIST);
  assert_int_equal(sp_checkpoint_latest(cp, &lo, &lc, &err), 0);
  assert_int_equal(lo, 1);
  assert_int_equal(lc, 0);
  sp_checkpoint_close(cp);

  /* Reopen: same id, batch 1 readable. */
  assert_int_equal(sp_checkpoint_open(croot, &cp, &err), 0);
  assert_string_equal(cp->query_id, id);
  free(id);
  sp_offset_entry r;
  assert_int_equal(sp_checkpoint_read_offsets(cp, 1, &r, &err), 0);
  assert_int_equal(r.batch_watermark_ms, 1699999990000LL);
  assert_int_equal(r.nsources, 3);
  sp_offset_entry_free(&r);
  assert_int_equal(sp_checkpoint_read_offsets(cp, 7, &r, &err), SPATE_ENOTFOUND);
  snprintf(msg, sizeof msg, "cannot read %s/offsets/7: No such file or directory", croot);
  assert_string_equal(err.message, msg);
  assert_int_equal(sp_checkpoint_write_commit(cp, 1, 1700000000000LL, &err), 0);
  int64_t wm = -1;
  assert_int_equal(sp_checkpoint_read_commit(cp, 1, &wm, &err), 0);
  assert_int_equal(wm, 1700000000000LL);
  char *sub = sp_checkpoint_path(cp, "sources/0");
  snprintf(path, sizeof path, "%s/sources/0", croot);
  assert_string_equal(sub, path);
  free(sub);
  sp_checkpoint_close(cp);
}

static void test_checkpoint_reads_spark_files(void **state) {
  const char *root = *state;
  char path[600];
  spate_error err = {0};
  /* A checkpoint as Spark leaves it: metadata with a trailing newline, 4.x commit field. */
  snprintf(path, sizeof path, "%s/offsets", root);
  assert_int_equal(sp_fs_mkdirs(path, &err), 0);
  snprintf(path, sizeof path, "%s/commits", root);
  assert_int_equal(sp_fs_mkdirs(path, &err), 0);
  snprintf(path, sizeof path, "%s/metadata", root);
  put_raw_(path, "{\"id\":\"8a9e8ad2-4a79-4ec5-9fcf-3e4f8c1b0f00\"}\n");
  snprintf(path, sizeof path, "%s/commits/4", root);
  put_raw_(path, "v1\n{\"nextBatchWatermarkMs\":1700000001000,\"stateUniqueIds\":{}}");
  snprintf(path, sizeof path, "%s/commits/5", root);
  put_raw_(path, "v1\n{\"nextBatchWatermarkMs\":\"x\"}");
  snprintf(path, sizeof path, "%s/commits/6", root);
  put_raw_(path, "v1");
  snprintf(path, sizeof path, "%s/commits/7", root);
  put_raw_(path, "v3\n{}");
  snprintf(path, sizeof path, "%s/commits/.8.1234.tmp", root);
  put_raw_(path, "v1");
  sp_checkpoint *cp;
  assert_int_equal(sp_checkpoint_open(root, &cp, &err), 0);
  assert_string_equal(cp->query_id, "8a9e8ad2-4a79-4ec5-9fcf-3e4f8c1b0f00");
  int64_t wm, lo, lc;
  assert_int_equal(sp_checkpoint_read_commit(cp, 4, &wm, &err), 0);
  assert_int_equal(wm, 1700000001000LL);
  char msg[4096];
  assert_int_equal(sp_checkpoint_read_commit(cp, 5, &wm, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "%s/commits/5: line 2: \"nextBatchWatermarkMs\" must be an integer", root);
  assert_string_equal(err.message, msg);
  assert_int_equal(sp_checkpoint_read_commit(cp, 6, &wm, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "%s/commits/6: line 2: missing commit metadata (truncated file?)", root);
  assert_string_equal(err.message, msg);
  assert_int_equal(sp_checkpoint_read_commit(cp, 7, &wm, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg,
           "%s/commits/7: unsupported log version v3 (this spate reads v1); written by a newer spate?", root);
  assert_string_equal(err.message, msg);
  assert_int_equal(sp_checkpoint_latest(cp, &lo, &lc, &err), 0);
  assert_int_equal(lo, -1);
  assert_int_equal(lc, 7);
  /* Truncated offsets file read through the checkpoint names the full path. */
  snprintf(path, sizeof path, "%s/offsets/2", root);
  put_raw_(path, "v1\n{\"batchWatermarkMs\":0,\"batchTi");
  sp_offset_entry e;
  assert_int_equal(sp_checkpoint_read_offsets(cp, 2, &e, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "%s/offsets/2: line 2: invalid offset metadata JSON: ", root);
  assert_int_equal(strncmp(err.message, msg, strlen(msg)), 0);
  sp_checkpoint_close(cp);

  /* Corrupt metadata. */
  snprintf(path, sizeof path, "%s/metadata", root);
  put_raw_(path, "{\"id\":");
  assert_int_equal(sp_checkpoint_open(root, &cp, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "%s/metadata: invalid JSON: ", root);
  assert_int_equal(strncmp(err.message, msg, strlen(msg)), 0);
  assert_null(cp);
  put_raw_(path, "{\"name\":\"x\"}");
  assert_int_equal(sp_checkpoint_open(root, &cp, &err), SPATE_ECHECKPOINT);
  snprintf(msg, sizeof msg, "%s/metadata: missing query \"id\"", root);
  assert_string_equal(err.message, msg);
}

static void test_checkpoint_open_unusable(void **state) {
  const char *root = *state;
  char path[600], msg[4096];
  snprintf(path, sizeof path, "%s/file", root);
  put_raw_(path, "x");
  snprintf(path, sizeof path, "%s/file/ckpt", root);
  spate_error err = {0};
  sp_checkpoint *cp = (sp_checkpoint *)1;
  assert_int_equal(sp_checkpoint_open(path, &cp, &err), SPATE_EIO);
  assert_null(cp);
  snprintf(msg, sizeof msg,
           "checkpoint location %s/file/ckpt is not usable: cannot create directory %s/file: Not a directory", root,
           root);
  assert_string_equal(err.message, msg);
}

static void test_checkpoint_purge(void **state) {
  const char *root = *state;
  spate_error err = {0};
  sp_checkpoint *cp;
  assert_int_equal(sp_checkpoint_open(root, &cp, &err), 0);
  sp_offset_entry e;
  memset(&e, 0, sizeof e);
  for (int i = 0; i < 5; i++) assert_int_equal(sp_checkpoint_write_offsets(cp, i, &e, &err), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(sp_checkpoint_write_commit(cp, i, 0, &err), 0);
  assert_int_equal(sp_checkpoint_purge(cp, 3, &err), 0);
  char dir[600];
  int64_t *ids;
  int n;
  snprintf(dir, sizeof dir, "%s/offsets", root);
  assert_int_equal(sp_fs_list_ids(dir, NULL, &ids, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 3);
  assert_int_equal(ids[1], 4);
  free(ids);
  snprintf(dir, sizeof dir, "%s/commits", root);
  assert_int_equal(sp_fs_list_ids(dir, NULL, &ids, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ids[0], 3);
  free(ids);
  sp_checkpoint_close(cp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_offsets_format_and_parse),
      cmocka_unit_test(test_offsets_format_rejects_bad_source),
      cmocka_unit_test(test_offsets_parse_corrupt),
      cmocka_unit_test_setup_teardown(test_checkpoint_files_exact, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_checkpoint_reads_spark_files, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_checkpoint_open_unusable, tu_tmpdir_setup, tu_tmpdir_teardown),
      cmocka_unit_test_setup_teardown(test_checkpoint_purge, tu_tmpdir_setup, tu_tmpdir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
