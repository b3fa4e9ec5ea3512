/*
 * checkpoint.h - the checkpoint directory and its write-ahead logs, in Spark's
 * on-disk layout (docs/design.md "Checkpoint protocol"; spark-semantics.md §7):
 *
 *   <checkpoint>/metadata            {"id":"<query uuid>"}
 *   <checkpoint>/offsets/<N>         v1 \n {"batchWatermarkMs":..,"batchTimestampMs":..,"conf":{..}} \n <one line per source> (no trailing newline)
 *   <checkpoint>/commits/<N>         v1 \n {"nextBatchWatermarkMs":..}
 *   <checkpoint>/sources/<i>/...     per-source metadata
 *   <checkpoint>/state/<op>/<part>/  state store files
 *
 * Every file is written by sp_fs_write_atomic: temp file in the same directory,
 * write, fsync, rename (refusing to replace an existing target), fsync of the
 * directory. A log entry therefore either exists completely or not at all.
 * Readers ignore names that are not decimal batch ids (temp files, ".crc" files).
 *
 * Thread-safety: one query thread owns a checkpoint; functions are reentrant.
 */
#ifndef SPATE_CHECKPOINT_CHECKPOINT_H
#define SPATE_CHECKPOINT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spate/error.h"

/* ---- filesystem primitives (src/checkpoint/fs.c) ---- */

/* mkdir -p with mode 0700 for new directories. */
int sp_fs_mkdirs(const char *path, spate_error *err);
/* Atomically create `path` with data[0..len): temp in the same dir -> fsync -> rename
 * -> fsync dir. With `overwrite` false an existing target is SPATE_EEXIST (the
 * rename uses renameat2(RENAME_NOREPLACE), falling back to link+unlink). Files 0600. */
int sp_fs_write_atomic(const char *path, const void *data, size_t len, bool overwrite, spate_error *err);
/* The same with crash points "<crash_tag>.partial" (half the bytes in the temp file),
 * ".written" (temp complete, not fsynced), ".synced" (fsynced, not renamed) and
 * ".renamed" (visible, directory not fsynced); crash_tag NULL = none (common/crash.h). */
int sp_fs_write_atomic_tagged(const char *path, const void *data, size_t len, bool overwrite, const char *crash_tag,
                              spate_error *err);
/* Read a whole file into a malloc'd NUL-terminated buffer. SPATE_ENOTFOUND if absent. */
int sp_fs_read_all(const char *path, char **data, size_t *len, spate_error *err);
bool sp_fs_exists(const char *path);
/* Decimal batch ids present in `dir` (ascending), ignoring other names; a missing
 * dir gives 0 ids. *ids malloc'd. `suffix` (e.g. ".compact") is also accepted and
 * stripped when non-NULL. */
int sp_fs_list_ids(const char *dir, const char *suffix, int64_t **ids, int *n, spate_error *err);
/* Remove a file; missing is fine. */
int sp_fs_remove(const char *path, spate_error *err);
/* fsync a directory. */
int sp_fs_sync_dir(const char *dir, spate_error *err);

/* ---- offsets, commits, metadata ---- */

#define SP_OFFSET_LOG_VERSION 1
#define SP_MAX_CONF 32

typedef struct sp_offset_entry {
  int64_t batch_watermark_ms;
  int64_t batch_timestamp_ms;
  int nconf;
  char *conf_keys[SP_MAX_CONF];   /* owned */
  char *conf_values[SP_MAX_CONF]; /* owned */
  int nsources;
  char **source_offsets;          /* owned; JSON text per source, NULL for "-" */
} sp_offset_entry;

void sp_offset_entry_free(sp_offset_entry *e);
/* Serialize/parse Spark's offsets/N text. Parse errors name `path` and the line. */
int sp_offset_entry_format(const sp_offset_entry *e, char **text, spate_error *err);
int sp_offset_entry_parse(const char *text, size_t len, const char *path, sp_offset_entry *e, spate_error *err);

typedef struct sp_checkpoint {
  char *root;        /* owned */
  char *query_id;    /* from metadata; generated (UUID v4) on first use */
  int lock_fd;       /* <root>/.lock held with flock(LOCK_EX), -1 once released */
} sp_checkpoint;

/* Open (creating dirs and `metadata` if absent) the checkpoint at `root` and take
 * its exclusive lock `<root>/.lock` (flock, holding the owner's pid): a second
 * opener - another process, or another query of this process - gets SPATE_ECHECKPOINT
 * "checkpoint <root> is in use by pid <pid> ...". Fails with a clear message if root
 * is not writable. */
int sp_checkpoint_open(const char *root, sp_checkpoint **out, spate_error *err);
/* Release the lock early (a terminated query); idempotent. close also releases it. */
void sp_checkpoint_unlock(sp_checkpoint *cp);
void sp_checkpoint_close(sp_checkpoint *cp);
/* Consistency of offsets/ and commits/ before a restart decision: ids contiguous
 * (purging removes a prefix, so a hole is damage) and no commit without its offsets
 * entry (e.g. a deleted offsets/ must not silently restart from batch 0). Errors are
 * SPATE_ECHECKPOINT naming the missing file. */
int sp_checkpoint_validate(const sp_checkpoint *cp, spate_error *err);
/* Latest batch id in offsets/ and commits/ (-1 if none). */
int sp_checkpoint_latest(const sp_checkpoint *cp, int64_t *latest_offset, int64_t *latest_commit,
                         spate_error *err);
int sp_checkpoint_write_offsets(const sp_checkpoint *cp, int64_t batch_id, const sp_offset_entry *e,
                                spate_error *err);
int sp_checkpoint_read_offsets(const sp_checkpoint *cp, int64_t batch_id, sp_offset_entry *e, spate_error *err);
int sp_checkpoint_write_commit(const sp_checkpoint *cp, int64_t batch_id, int64_t next_watermark_ms,
                               spate_error *err);
int sp_checkpoint_read_commit(const sp_checkpoint *cp, int64_t batch_id, int64_t *next_watermark_ms,
                              spate_error *err);
/* Delete offsets/commits entries with id < keep_from. */
int sp_checkpoint_purge(const sp_checkpoint *cp, int64_t keep_from, spate_error *err);
/* Path of <root>/<sub> in a malloc'd string (e.g. "sources/0"). */
char *sp_checkpoint_path(const sp_checkpoint *cp, const char *sub);

/* ---- compactible metadata logs: file sink `_spark_metadata` and file source log ---- */

/* A log directory of files named <batchId> and <batchId>.compact, each "v1" then one
 * JSON object per line. Every batch with (batchId + 1) % compact_interval == 0 is
 * written as <batchId>.compact holding all live entries so far plus its own. */
typedef struct sp_meta_log {
  char *dir;
  int compact_interval;
} sp_meta_log;

int sp_meta_log_init(sp_meta_log *log, const char *dir, int compact_interval, spate_error *err);
void sp_meta_log_release(sp_meta_log *log);
/* Latest batch id in the log, -1 if empty. */
int sp_meta_log_latest(const sp_meta_log *log, int64_t *batch_id, spate_error *err);
/* Add batch `batch_id` with `n` JSON lines (without newlines). Fails with SPATE_EEXIST
 * if the batch already exists. Compacts when due. */
int sp_meta_log_add(const sp_meta_log *log, int64_t batch_id, char *const *lines, int n, spate_error *err);
/* All live lines up to and including batch_id (from the latest compaction at or
 * before it plus later batch files). *lines malloc'd array of malloc'd strings. */
int sp_meta_log_read_all(const sp_meta_log *log, int64_t batch_id, char ***lines, int *n, spate_error *err);
/* Lines of exactly one batch (from its own file, or filtered out of a compact file
 * by its "batchId" field when present). */
int sp_meta_log_read_batch(const sp_meta_log *log, int64_t batch_id, char ***lines, int *n, spate_error *err);
void sp_meta_log_lines_free(char **lines, int n);
/* Check that the files a reader needs (the latest compact file and every later batch
 * file) exist, carry a supported version and hold one JSON object per entry line.
 * SPATE_ECHECKPOINT names the file and line. (A file cut exactly at a line end is
 * indistinguishable from a shorter entry: the format has no length or checksum.) */
int sp_meta_log_check(const sp_meta_log *log, spate_error *err);

/* New random UUID v4 string "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" into buf[37]. */
void sp_uuid4(char buf[37]);

#endif
