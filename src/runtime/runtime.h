/*
 * runtime.h - internal structures of sessions and streaming queries.
 *
 * A session owns: confs, the view catalog, the parsed scripts the catalog
 * borrows from, a worker pool, the memory-sink table registry, and its queries.
 * A query owns: its plan (with the opened sources), sink, frozen confs,
 * checkpoint, execution state (sp_stateful), and the thread running the
 * micro-batch loop (query.c; phases documented in docs/design.md).
 *
 * Locking: session->mu guards the query list and termination notifications;
 * query->mu guards the query's status, progress ring, and lifecycle flags. The
 * loop thread is the only writer of execution state.
 */
#ifndef SPATE_RUNTIME_RUNTIME_H
#define SPATE_RUNTIME_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "checkpoint/checkpoint.h"
#include "exec/exec.h"
#include "plan/plan.h"
#include "runtime/conf.h"
#include "runtime/monitor.h"
#include "runtime/pool.h"
#include "runtime/progress.h"
#include "sink/sink.h"
#include "spate/spate.h"
#include "sql/ast.h"

typedef struct sp_query sp_query;

struct spate_session {
  sp_conf conf;
  sp_catalog catalog;
  sp_ast_script **scripts; /* parsed texts the catalog points into */
  int nscripts, capscripts;
  sp_pool *pool;
  void *memory_registry;   /* sp_memory_registry */
  pthread_mutex_t mu;
  pthread_cond_t terminated; /* broadcast when any query terminates */
  spate_query **queries;
  int nqueries, capqueries;
  int next_df_id;
  bool any_terminated;       /* since last reset (awaitAnyTermination) */
  int last_terminated_rc;
  spate_error last_terminated_err;
  spate_listener listeners[16];
  int nlisteners;
  spate_clock clock;         /* processing-time clock (now_ms NULL: the system clock) */
};

/* What the user asked for when starting a query. */
typedef struct sp_query_spec {
  sp_plan *plan;               /* ownership moves to the query */
  sp_sink *sink;               /* ownership moves to the query */
  sp_output_mode mode;
  sp_ast_trigger_kind trigger;
  int64_t trigger_interval_ms;
  const char *checkpoint;      /* NULL: temporary (allowed for some sinks) */
  const char *name;            /* NULL: unnamed */
} sp_query_spec;

struct spate_query {
  spate_session *session;
  char id[37], run_id[37];
  char *name;
  sp_plan *plan;
  sp_sink *sink;
  sp_output_mode mode;
  sp_ast_trigger_kind trigger;
  int64_t trigger_interval_ms;
  char *checkpoint_dir;
  bool temp_checkpoint;
  sp_checkpoint *cp;
  sp_conf conf;                /* frozen at start, then restored from the checkpoint */
  int shuffle_partitions;
  sp_stateful **ops;           /* execution state per stateful operator, in sp_plan_stateful_nodes order */
  int nops;
  sp_batch **static_rows;      /* per plan static table: the cached rows (option cache), or NULL */
  pthread_t thread;
  bool thread_started;

  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool stop_requested;
  bool active;
  bool terminated;
  int exit_rc;
  spate_error exit_err;
  char status_message[256];
  bool is_data_available, is_trigger_active;
  char **progress;             /* ring of JSON strings */
  int nprogress, capprogress, progress_head;
  int64_t committed_batches;
  int64_t trigger_seq;         /* triggers started so far */
  int64_t idle_seq;            /* seq of the last trigger that found no new data (processAllAvailable) */
  sp_query_monitor mon;        /* monitoring hooks' state and totals (monitor.h) */
  spate_clock clock;           /* the session's clock when the query started */
};

/* The query's processing time now (ms since the epoch): its clock, or the system's. */
int64_t sp_query_now_ms(const spate_query *q);

/* ---- one micro-batch (src/runtime/executor.c) ---- */

#define SP_MAX_WATERMARKS 16

/* Event-time statistics (ms) of the rows that passed one WATERMARK node. */
typedef struct sp_wm_stats {
  int64_t max_ms, min_ms, sum_ms, count;
} sp_wm_stats;

typedef struct sp_batch_stats {
  int64_t input_rows[SP_MAX_SOURCES];
  int64_t d_get_batch, d_add_batch;
  bool has_event_time;              /* over all watermark nodes (progress eventTime) */
  int64_t et_max, et_min, et_avg;
  int nwm;
  sp_wm_stats wm[SP_MAX_WATERMARKS]; /* per WATERMARK node, in sp_plan_watermark_nodes order */
  int64_t output_rows;
} sp_batch_stats;

/* Run batch `batch_id` (phase 5): read (starts[i], ends[i]] of every source, evaluate
 * the plan (each stateful operator with the watermarks in its op->wm), hand the
 * result to the sink. Fills st. */
int sp_execute_batch(spate_query *q, int64_t batch_id, int64_t batch_ts_ms, char **starts, char **ends,
                     sp_batch_stats *st, spate_error *err);
/* The plan's WATERMARK nodes in a fixed order (post-order); returns the count (<= cap). */
int sp_plan_watermark_nodes(const sp_plan *p, const sp_node **out, int cap);

/* Start a query; on success the query thread is running and the query is
 * registered in the session. Consumes spec->plan and spec->sink in every case. */
int sp_query_start(spate_session *s, sp_query_spec *spec, spate_query **out, spate_error *err);
/* Join the thread and free everything (the query must be terminated). */
void sp_query_destroy(spate_query *q);

/* Milliseconds since the epoch (wall clock) and a monotonic clock. */
int64_t sp_now_ms(void);
int64_t sp_mono_ms(void);

#endif
