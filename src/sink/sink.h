/*
 * sink.h - the streaming sink plugin interface (Spark's Sink.addBatch).
 * One file per sink under src/sink/; registry.c maps a format name to its vtable.
 *
 * add_batch(N, data) is called once per micro-batch with the rows the output mode
 * emits, as a list of partitions. A replayed batch (after a crash, with the same id
 * and same data) must not duplicate output for sinks that promise exactly-once:
 * the file sink skips ids already in its _spark_metadata log; the memory sink skips
 * ids <= the last one it stored. Calls happen on the query thread, one at a time.
 */
#ifndef SPATE_SINK_SINK_H
#define SPATE_SINK_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/vec.h"
#include "runtime/conf.h"
#include "source/source.h"
#include "spate/error.h"

struct spate_foreach_writer;

typedef enum sp_output_mode { SP_MODE_APPEND = 0, SP_MODE_UPDATE = 1, SP_MODE_COMPLETE = 2 } sp_output_mode;
#define SP_MODES_ALL ((1u << SP_MODE_APPEND) | (1u << SP_MODE_UPDATE) | (1u << SP_MODE_COMPLETE))
const char *sp_output_mode_name(sp_output_mode m); /* "Append", "Update", "Complete" */

typedef struct sp_sink sp_sink;
typedef struct sp_memory_table sp_memory_table;

typedef struct sp_sink_spec {
  const char *format;
  int noptions;
  const char *const *keys;
  const char *const *values;
  const char *query_name;    /* may be NULL */
  const sp_conf *conf;
  /* foreachBatch (C API): called with each batch's rows; NULL otherwise. */
  int (*foreach_batch)(void *user, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err);
  void *foreach_batch_user;
  /* foreach (C API): the ForeachWriter callbacks (copied at create); NULL otherwise. */
  const struct spate_foreach_writer *foreach_writer;
  void *foreach_writer_user;
  /* memory sink: the session's table registry the sink publishes into. */
  void *memory_registry;
  /* The query's checkpoint location if known (file sink refuses an output path
   * inside it or containing it); may be NULL. */
  const char *checkpoint;
  /* (additions) Console sink output: a FILE * to print to instead of stdout (tests,
   * embedders); NULL = stdout. Borrowed; must outlive the sink. */
  void *console_out;
  /* The session's worker pool: the file sink encodes and writes partitions on it.
   * May be NULL (everything runs on the query thread). Borrowed. */
  sp_pool *pool;
} sp_sink_spec;

typedef struct sp_sink_vtab {
  const char *name;
  const char *const *options;   /* NULL-terminated, Spark spelling (matched case-insensitively) */
  unsigned modes;               /* bit (1 << sp_output_mode) per supported mode */
  bool needs_checkpoint;        /* false for console/memory/foreachBatch (temp checkpoint ok) */
  int (*create)(const sp_sink_spec *spec, sp_sink *s, spate_error *err);
  /* Called at query start with the output schema and mode. */
  int (*open)(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err);
  int (*add_batch)(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err);
  void (*close)(sp_sink *s);
} sp_sink_vtab;

struct sp_sink {
  const sp_sink_vtab *vt;
  char *description;   /* owned, e.g. "FileSink[/out]", "ConsoleSink" */
  int64_t num_output_rows; /* rows written by the last add_batch, -1 if unknown */
  char query_id[37];   /* the query's id (from <checkpoint>/metadata), set by the runtime before open();
                          stable across restarts: sinks key idempotence and transactions on it */
  void *impl;
};

/* Write options of the database table sinks (sqlite, postgres; table_write.c):
 * mode 'append' (default) | 'upsert', keys 'col,...' (upsert only, required there). */
typedef struct sp_table_write_opts {
  bool upsert;
  char **keys; /* owned */
  int nkeys;
} sp_table_write_opts;
/* Parse them for sink `sink` ("sqlite", "postgres"); errors name the sink and the
 * option. On success *o owns its keys (sp_table_write_opts_release). */
int sp_table_write_opts_parse(const char *sink, const char *mode, const char *keys, sp_table_write_opts *o,
                              spate_error *err);
void sp_table_write_opts_release(sp_table_write_opts *o);

const sp_sink_vtab *sp_sink_lookup(const char *format);
const char *sp_sink_formats(void);
int sp_sink_create(const sp_sink_spec *spec, sp_sink **out, spate_error *err);
void sp_sink_free(sp_sink *s);

#endif
