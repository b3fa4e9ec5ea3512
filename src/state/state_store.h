/*
 * state_store.h - versioned key/value state store, one per (stateful operator,
 * shuffle partition), with Spark's HDFS-backed provider layout and semantics
 * (spark-semantics.md §7.5):
 *
 *   <checkpoint>/state/<opId>/<partitionId>/<v>.delta     changes made by the batch that committed v
 *   <checkpoint>/state/<opId>/<partitionId>/<v>.snapshot  all live entries at version v
 *
 * Record format (both files): big-endian int32 keyLen, key, int32 valueLen, value
 * (upsert) or int32 keyLen, key, int32 -1 (remove); terminated by int32 -1.
 * Uncompressed (spate's codec is "none"; documented).
 *
 * Batch N loads version N (N = 0: empty), applies its updates, and commits version
 * N+1: the delta file is written atomically (temp, fsync, rename), so a crash
 * leaves either the whole version or none. Loading version v reads the latest
 * snapshot <= v plus every later delta up to v; a missing delta is an error naming it.
 * A snapshot is written at commit when `snapshot_every` deltas have accumulated
 * since the last one. Files not needed to rebuild the last `retain` versions are
 * deleted by sp_state_store_maintain.
 *
 * Keys and values are opaque byte strings encoded by the operator. Keys map to key
 * groups (sp_key_group) that map onto partitions in contiguous ranges, so a later
 * scale-out can move whole key groups between processes without re-keying.
 *
 * Thread-safety: a store is used by one task at a time; distinct stores are
 * independent and may be used in parallel.
 */
#ifndef SPATE_STATE_STATE_STORE_H
#define SPATE_STATE_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spate/error.h"

#define SP_NUM_KEY_GROUPS 4096

typedef struct sp_state_store sp_state_store;

typedef struct sp_state_store_opts {
  int snapshot_every;   /* spark.sql.streaming.stateStore.minDeltasForSnapshot (10) */
  int retain;           /* spark.sql.streaming.minBatchesToRetain (100) */
} sp_state_store_opts;

/* Key group of a key hash, and the partition owning a key group for P partitions. */
static inline int sp_key_group(uint64_t key_hash) { return (int)(key_hash % SP_NUM_KEY_GROUPS); }
static inline int sp_key_group_partition(int key_group, int num_partitions) {
  return (int)((int64_t)key_group * num_partitions / SP_NUM_KEY_GROUPS);
}

/* Open the store in `dir` (created if absent) at `version` (0 = empty). */
int sp_state_store_open(const char *dir, int64_t version, const sp_state_store_opts *opts,
                        sp_state_store **out, spate_error *err);
void sp_state_store_close(sp_state_store *s);

/* Lookup: value pointer valid until the next mutation of the store; NULL if absent. */
const void *sp_state_store_get(const sp_state_store *s, const void *key, size_t klen, size_t *vlen);
/* Insert or replace (copies key and value). 0 or SPATE_ENOMEM. */
int sp_state_store_put(sp_state_store *s, const void *key, size_t klen, const void *val, size_t vlen);
/* Remove (no-op if absent). */
int sp_state_store_remove(sp_state_store *s, const void *key, size_t klen);

/* Iterate live entries in unspecified order. Mutation during iteration: only
 * sp_state_store_remove of the current key is allowed. */
typedef struct sp_state_iter {
  sp_state_store *store;
  size_t pos;
} sp_state_iter;
void sp_state_iter_init(sp_state_iter *it, sp_state_store *s);
bool sp_state_iter_next(sp_state_iter *it, const void **key, size_t *klen, const void **val, size_t *vlen);

/* Write version+1 (the delta of changes since open/last commit) atomically. */
int sp_state_store_commit(sp_state_store *s, spate_error *err);
/* Version currently loaded/committed. */
int64_t sp_state_store_version(const sp_state_store *s);
/* Delete files not needed for the last opts.retain versions. */
int sp_state_store_maintain(sp_state_store *s, spate_error *err);

/* Metrics (StreamingQueryProgress.stateOperators). */
int64_t sp_state_store_num_rows(const sp_state_store *s);
int64_t sp_state_store_memory_bytes(const sp_state_store *s);
int64_t sp_state_store_num_updated(const sp_state_store *s); /* since open/last commit */
int64_t sp_state_store_num_removed(const sp_state_store *s);

#endif
