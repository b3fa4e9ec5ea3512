/*
 * fuzz_checkpoint.c - libFuzzer target for the checkpoint log readers
 * (src/checkpoint/): offsets/<N> (sp_offset_entry_parse, sp_checkpoint_read_offsets,
 * with a format/parse round trip), commits/<N> (sp_checkpoint_read_commit),
 * `metadata` (sp_checkpoint_open), the directory checks (sp_checkpoint_validate,
 * sp_checkpoint_latest), and the compactible metadata logs (sp_meta_log_*: init with
 * compact-interval derivation, latest, check, read_all, read_batch) of the file sink
 * (`<output>/_spark_metadata`) and of the file source (`<checkpoint>/sources/0`),
 * also read the way the file source reads them (open with its log, listing a file
 * sink's output through _spark_metadata, latest_offset).
 *
 * Input, either
 *   - files: sections "@<name>\n<content>" (content up to the next "\n@" or the end),
 *     name one of metadata, offsets/<id>, commits/<id>, sink/<id>[.compact],
 *     source/<id>[.compact] (id: 1-19 digits); or
 *   - raw bytes (no leading '@'): the same content as metadata of one checkpoint and as
 *     offsets/0, commits/0, sink/0 and source/0 of another.
 * Everything is written below the target's mkdtemp directory, one fresh case
 * directory per input, removed afterwards. Files named by log entries are never read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint/checkpoint.h"
#include "fuzz_common.h"
#include "sql/parser.h"
#include "source/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                    \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      fprintf(stderr, "fuzz_checkpoint: invariant failed: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                                            \
    }                                                                                     \
  } while (0)

#define MAX_IDS 64

typedef struct dirs {
  char chk[4300], out[4300], sinklog[4300], srclog[4300], in[4300];
} dirs;

static void mk_(const char *p) { mkdir(p, 0700); }

static int write_(const char *dir, const char *name, const uint8_t *p, size_t n) {
  char path[8700];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return fz_write_file(path, p, n);
}

/* id: 1..19 decimal digits, optionally ".compact" when allowed; copied to buf. */
static bool valid_id_(const char *s, size_t n, bool compact_ok, char *buf, size_t cap) {
  size_t d = 0;
  while (d < n && s[d] >= '0' && s[d] <= '9') d++;
  if (d == 0 || d > 19) return false;
  if (d != n && !(compact_ok && n - d == 8 && !memcmp(s + d, ".compact", 8))) return false;
  if (n + 1 > cap) return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return true;
}

static void place_(const dirs *d, const char *name, size_t nlen, const uint8_t *p, size_t n) {
  char id[32];
  if (nlen == 8 && !memcmp(name, "metadata", 8)) {
    write_(d->chk, "metadata", p, n);
  } else if (nlen > 8 && !memcmp(name, "offsets/", 8) && valid_id_(name + 8, nlen - 8, false, id, sizeof id)) {
    char dir[8700];
    snprintf(dir, sizeof dir, "%s/offsets", d->chk);
    write_(dir, id, p, n);
  } else if (nlen > 8 && !memcmp(name, "commits/", 8) && valid_id_(name + 8, nlen - 8, false, id, sizeof id)) {
    char dir[8700];
    snprintf(dir, sizeof dir, "%s/commits", d->chk);
    write_(dir, id, p, n);
  } else if (nlen > 5 && !memcmp(name, "sink/", 5) && valid_id_(name + 5, nlen - 5, true, id, sizeof id)) {
    write_(d->sinklog, id, p, n);
  } else if (nlen > 7 && !memcmp(name, "source/", 7) && valid_id_(name + 7, nlen - 7, true, id, sizeof id)) {
    write_(d->srclog, id, p, n);
  }
}

/* The fields of two offset entries agree. */
static void same_entry_(const sp_offset_entry *a, const sp_offset_entry *b) {
  FZ_CHECK(a->batch_watermark_ms == b->batch_watermark_ms);
  FZ_CHECK(a->batch_timestamp_ms == b->batch_timestamp_ms);
  FZ_CHECK(a->nconf == b->nconf);
  for (int i = 0; i < a->nconf; i++) {
    FZ_CHECK(strcmp(a->conf_keys[i], b->conf_keys[i]) == 0);
    FZ_CHECK(strcmp(a->conf_values[i], b->conf_values[i]) == 0);
  }
  FZ_CHECK(a->nsources == b->nsources);
  for (int i = 0; i < a->nsources; i++) {
    FZ_CHECK(!a->source_offsets[i] == !b->source_offsets[i]);
    if (a->source_offsets[i]) FZ_CHECK(strcmp(a->source_offsets[i], b->source_offsets[i]) == 0);
  }
}

/* Parse, and when that succeeds format the entry and parse the text again. */
static void offsets_roundtrip_(const sp_offset_entry *e) {
  spate_error err;
  spate_error_clear(&err);
  char *text = NULL;
  if (sp_offset_entry_format(e, &text, &err)) return;
  sp_offset_entry e2;
  int rc = sp_offset_entry_parse(text, strlen(text), "round-trip", &e2, &err);
  if (rc) fprintf(stderr, "fuzz_checkpoint: re-parse failed: %s\n--\n%s\n--\n", err.message, text);
  FZ_CHECK(rc == 0);
  same_entry_(e, &e2);
  sp_offset_entry_free(&e2);
  free(text);
}

static void read_checkpoint_(const dirs *d) {
  spate_error err;
  spate_error_clear(&err);
  sp_checkpoint *cp = NULL;
  if (sp_checkpoint_open(d->chk, &cp, &err)) return;
  FZ_CHECK(cp->query_id && *cp->query_id);
  sp_checkpoint_validate(cp, &err);
  int64_t lo = -1, lc = -1;
  sp_checkpoint_latest(cp, &lo, &lc, &err);
  char dir[8700];
  int64_t *ids = NULL;
  int n = 0;
  snprintf(dir, sizeof dir, "%s/offsets", d->chk);
  if (sp_fs_list_ids(dir, NULL, &ids, &n, &err) == 0) {
    for (int i = 0; i < n && i < MAX_IDS; i++) {
      sp_offset_entry e;
      if (sp_checkpoint_read_offsets(cp, ids[i], &e, &err) == 0) {
        offsets_roundtrip_(&e);
        sp_offset_entry_free(&e);
      }
    }
    free(ids);
  }
  snprintf(dir, sizeof dir, "%s/commits", d->chk);
  if (sp_fs_list_ids(dir, NULL, &ids, &n, &err) == 0) {
    for (int i = 0; i < n && i < MAX_IDS; i++) {
      int64_t wm;
      sp_checkpoint_read_commit(cp, ids[i], &wm, &err);
    }
    free(ids);
  }
  sp_checkpoint_close(cp);
}

static void read_meta_log_(const char *dir) {
  spate_error err;
  spate_error_clear(&err);
  sp_meta_log log;
  if (sp_meta_log_init(&log, dir, 10, &err)) return;
  FZ_CHECK(log.compact_interval > 0);
  sp_meta_log_check(&log, &err);
  int64_t latest = -1;
  if (sp_meta_log_latest(&log, &latest, &err) == 0) {
    char **lines = NULL;
    int n = 0;
    if (latest >= 0 && sp_meta_log_read_all(&log, latest, &lines, &n, &err) == 0) sp_meta_log_lines_free(lines, n);
    int64_t *ids = NULL;
    int nids = 0;
    if (sp_fs_list_ids(dir, ".compact", &ids, &nids, &err) == 0) {
      for (int i = 0; i < nids && i < MAX_IDS; i++) {
        if (sp_meta_log_read_batch(&log, ids[i], &lines, &n, &err) == 0) sp_meta_log_lines_free(lines, n);
        if (i < 8 && sp_meta_log_read_all(&log, ids[i], &lines, &n, &err) == 0) sp_meta_log_lines_free(lines, n);
      }
      free(ids);
    }
  }
  sp_meta_log_release(&log);
}

/* The file source over `path` (schema given), its log in `meta_dir` (NULL: not opened). */
static void file_source_(const char *path, const char *meta_dir) {
  spate_error err;
  spate_error_clear(&err);
  sp_type *schema = NULL;
  if (sp_parse_schema("value STRING, n BIGINT", &schema, &err)) return;
  const char *keys[] = {"path", "maxFilesPerTrigger"};
  const char *vals[] = {path, "2"};
  sp_conf conf;
  sp_conf_init(&conf);
  sp_source_spec spec = {"json", 2, keys, vals, schema, &conf};
  sp_source *s = NULL;
  if (sp_source_create(&spec, &s, &err) == 0) {
    if (meta_dir && s->vt->open(s, meta_dir, NULL, &err) == 0) {
      char *end = NULL;
      if (s->vt->latest_offset(s, NULL, &end, &err) == 0) free(end);
    }
    sp_source_free(s);
  }
  sp_conf_release(&conf);
  sp_type_unref(schema);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  static unsigned long counter;
  char base[4200];
  snprintf(base, sizeof base, "%s/case-%lu", fz_root(), counter++);
  mk_(base);
  dirs d;
  snprintf(d.chk, sizeof d.chk, "%s/chk", base);
  snprintf(d.out, sizeof d.out, "%s/out", base);
  snprintf(d.sinklog, sizeof d.sinklog, "%s/out/_spark_metadata", base);
  snprintf(d.srclog, sizeof d.srclog, "%s/chk/sources/0", base);
  snprintf(d.in, sizeof d.in, "%s/in", base);
  char tmp[8700];
  mk_(d.chk);
  snprintf(tmp, sizeof tmp, "%s/offsets", d.chk);
  mk_(tmp);
  snprintf(tmp, sizeof tmp, "%s/commits", d.chk);
  mk_(tmp);
  snprintf(tmp, sizeof tmp, "%s/sources", d.chk);
  mk_(tmp);
  mk_(d.srclog);
  mk_(d.out);
  mk_(d.sinklog);
  mk_(d.in);
  static const char row[] = "{\"value\":\"a\",\"n\":1}\n";
  write_(d.in, "part-0.json", (const uint8_t *)row, sizeof row - 1);

  if (size > 0 && data[0] == '@') {
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
      /* p at '@': name up to '\n' */
      const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
      if (!nl) break;
      const uint8_t *name = p + 1;
      size_t nlen = (size_t)(nl - name);
      const uint8_t *c = nl + 1, *q = c;
      while (q < end && !(q[0] == '\n' && q + 1 < end && q[1] == '@')) q++;
      place_(&d, (const char *)name, nlen, c, (size_t)(q - c));
      p = q < end ? q + 1 : end;
    }
  } else {
    /* Raw: offsets text parsed directly, and every reader on the same bytes. */
    spate_error err;
    spate_error_clear(&err);
    sp_offset_entry e;
    if (sp_offset_entry_parse((const char *)data, size, "raw", &e, &err) == 0) {
      offsets_roundtrip_(&e);
      sp_offset_entry_free(&e);
    }
    char chk2[4300];
    snprintf(chk2, sizeof chk2, "%s/chk-meta", base);
    mk_(chk2);
    write_(chk2, "metadata", data, size);
    sp_checkpoint *cp = NULL;
    if (sp_checkpoint_open(chk2, &cp, &err) == 0) sp_checkpoint_close(cp);
    snprintf(tmp, sizeof tmp, "%s/offsets", d.chk);
    write_(tmp, "0", data, size);
    snprintf(tmp, sizeof tmp, "%s/commits", d.chk);
    write_(tmp, "0", data, size);
    write_(d.sinklog, "0", data, size);
    write_(d.srclog, "0", data, size);
  }

  read_checkpoint_(&d);
  read_meta_log_(d.sinklog);
  read_meta_log_(d.srclog);
  file_source_(d.out, NULL);      /* lists the sink output through _spark_metadata */
  file_source_(d.in, d.srclog);   /* rebuilds its seen-set from the source log */
  fz_rm_rf(base);
  return 0;
}
