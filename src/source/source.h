/*
 * source.h - the streaming source plugin interface (Spark's Source /
 * MicroBatchStream). One file per source under src/source/; the registry
 * (registry.c) maps a format name ("json", "socket", "rate") to its vtable.
 *
 * Offsets are opaque JSON text owned by the source, stored verbatim as one line
 * of offsets/N (Spark's layout: file source {"logOffset":3}, rate/socket a
 * number, Kafka {"topic":{"0":12}}). A batch covers (start, end]; start is NULL
 * for the first batch of a new query.
 *
 * Lifecycle, all on the query thread: create (validate options, fix the schema)
 * -> open (checkpoint metadata dir sources/<i>) -> per trigger: latest_offset ->
 * get_batch -> (after commits/N) commit -> ... -> close.
 * get_batch may run decoding tasks on the thread pool it is given.
 */
#ifndef SPATE_SOURCE_SOURCE_H
#define SPATE_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/vec.h"
#include "runtime/conf.h"
#include "spate/error.h"

typedef struct sp_pool sp_pool;
typedef struct sp_source sp_source;
typedef struct sp_source_vtab sp_source_vtab;

/* One custom source metric of a batch's progress (Spark's SourceProgress.metrics:
 * a string map, e.g. Kafka's "maxOffsetsBehindLatest" -> "70"). */
#define SP_SOURCE_MAX_METRICS 8
typedef struct sp_source_metric {
  char name[48];
  char value[48];
} sp_source_metric;

/* What the user asked for (readStream.format(...).option(...).schema(...)). */
typedef struct sp_source_spec {
  const char *format;
  int noptions;
  const char *const *keys;   /* option names as written (matched case-insensitively) */
  const char *const *values;
  sp_type *user_schema;      /* borrowed STRUCT or NULL */
  const sp_conf *conf;       /* session confs (e.g. spark.sql.streaming.schemaInference) */
} sp_source_spec;

/* Find option `key` (case-insensitive) in a spec; NULL if absent. */
const char *sp_source_spec_option(const sp_source_spec *spec, const char *key);

/* The output of one batch: a list of batches ("input partitions"), all with the
 * source schema. The list owns its batches. */
typedef struct sp_batch_list {
  sp_batch **items;
  int n, cap;
} sp_batch_list;
int sp_batch_list_push(sp_batch_list *l, sp_batch *b); /* takes ownership (frees b on OOM) */
void sp_batch_list_release(sp_batch_list *l);
int64_t sp_batch_list_rows(const sp_batch_list *l);

struct sp_source_vtab {
  const char *name;              /* format name */
  const char *const *options;    /* known option names in Spark's spelling (matched case-insensitively), NULL-terminated; "kafka." style
                                    prefixes end with '.' and match any key with that prefix */
  bool replayable;               /* can re-read (start, end] after a restart */
  /* Validate spec, set s->schema (new reference) and s->description, allocate s->impl.
   * Unknown options are rejected by the caller (sp_source_create) before this runs. */
  int (*create)(const sp_source_spec *spec, sp_source *s, spate_error *err);
  /* Called once at query start. meta_dir = <checkpoint>/sources/<i> (created). */
  int (*open)(sp_source *s, const char *meta_dir, sp_pool *pool, spate_error *err);
  /* AvailableNow: fix the target offset now; later latest_offset calls never go past it. */
  int (*prepare_available_now)(sp_source *s, spate_error *err);
  /* End offset of the next batch starting after `start` (NULL = beginning), honouring
   * read limits. *end is malloc'd; equal text to start (or NULL when start is NULL and
   * nothing exists) means no new data. */
  int (*latest_offset)(sp_source *s, const char *start, char **end, spate_error *err);
  /* Rows in (start, end]. Appends batches to out. */
  int (*get_batch)(sp_source *s, const char *start, const char *end, sp_batch_list *out, spate_error *err);
  /* Data up to `end` is committed (commits/N written): the source may discard it,
   * archive/delete files (cleanSource), trim buffers. */
  void (*commit)(sp_source *s, const char *end);
  void (*close)(sp_source *s);
  /* Optional, before open: required[i] (one per schema field) says whether the query
   * reads column i. The source may fill unread columns with nulls instead of decoding
   * them; the batch schema stays the same. 0 or SPATE_ENOMEM. */
  int (*prune)(sp_source *s, const bool *required);
  /* Optional (Spark's ReportsSourceMetrics): custom metrics of the batch ending at
   * `end_offset` (the offsets consumed so far; NULL before the first batch), written
   * to out[0..cap) in the order they should appear; returns how many (0: none). Uses
   * only what the source already knows (no broker round trip); query thread. */
  int (*metrics)(sp_source *s, const char *end_offset, sp_source_metric *out, int cap);
};

struct sp_source {
  const sp_source_vtab *vt;
  sp_type *schema;     /* owned reference (STRUCT) */
  char *description;   /* owned; Spark-style, e.g. "FileStreamSource[file:/data/in]" */
  void *impl;          /* owned by the source implementation */
};

/* Look up a source by format name; NULL if unknown. */
const sp_source_vtab *sp_source_lookup(const char *format);
/* Comma-separated list of known source formats (for error messages). */
const char *sp_source_formats(void);
/* Validate option names against vt->options (error lists the valid ones), then
 * vt->create. On success *out is owned by the caller (sp_source_free). */
int sp_source_create(const sp_source_spec *spec, sp_source **out, spate_error *err);
void sp_source_free(sp_source *s);
/* s->vt->metrics when the source has it, else 0. */
int sp_source_metrics(sp_source *s, const char *end_offset, sp_source_metric *out, int cap);

/* Shared option validation: rejects names not in `valid` with
 * "Unknown option 'x' for <what>. Valid options: a, b, c". */
int sp_check_options(const char *what, const char *const *valid, int n, const char *const *keys,
                     spate_error *err);

/* ---- helpers shared by sources and sinks (source_common.c; additions) ---- */

/* Absolute, lexically normalised form of `path`: relative paths are resolved
 * against the current directory; "." and ".." components, repeated and trailing
 * '/' are removed ("/" stays "/"). malloc'd; NULL on OOM or unknown cwd. */
char *sp_path_absolute(const char *path);
/* Hadoop-style URI of an absolute local path: "file://" + path, with spaces,
 * '%', '#', '?', quotes, brackets and control characters percent-encoded
 * ("/a b" -> "file:///a%20b"). malloc'd; NULL on OOM. */
char *sp_path_to_uri(const char *abs_path);
/* Inverse of sp_path_to_uri: accepts "file:///p", "file:/p" or a plain path and
 * percent-decodes it. malloc'd; NULL on OOM. */
char *sp_uri_to_path(const char *uri);
/* Append `s` (NUL-terminated UTF-8) to b as a JSON string literal with quotes. */
void sp_json_put_string(sp_buf *b, const char *s);

#endif
