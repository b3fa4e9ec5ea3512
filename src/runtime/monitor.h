/*
 * monitor.h - what a person or a scraper sees of running queries: per-query
 * running totals for Prometheus, idle-trigger progress and onQueryIdle
 * (spark-semantics.md §9.1, §9.3), and the renderers behind the HTTP endpoints
 * (docs/monitoring.md): /metrics text, /api/queries JSON, recentProgress.
 *
 * The micro-batch loop (query.c) calls the sp_monitor_* hooks; everything else
 * reads. Totals live in the query (guarded by query->mu) so they outlive the
 * progress ring and need no listener.
 */
#ifndef SPATE_RUNTIME_MONITOR_H
#define SPATE_RUNTIME_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/progress.h"
#include "spate/spate.h"

/* Upper bounds (seconds) of the batch-duration histogram buckets; +Inf is implicit. */
#define SP_DURATION_NBUCKETS 14
extern const double sp_duration_bucket_bounds[SP_DURATION_NBUCKETS];

typedef struct sp_query_monitor {
  /* Loop thread only. */
  bool triggered;              /* a trigger has started (prev_trigger_ms valid) */
  int64_t prev_trigger_ms;     /* Spark's lastTriggerStartTimestamp */
  bool reported;               /* a progress or idle event was posted */
  int64_t last_report_ms;      /* when (the query's clock, ms) */
  /* Guarded by query->mu. */
  int64_t batches;             /* batches committed */
  int64_t input_rows;          /* rows read by batches (also by a batch that then failed) */
  int64_t processed_rows;      /* rows of committed batches */
  int64_t output_rows;         /* rows handed to the sink */
  int64_t dropped_by_watermark;
  int64_t duration_bucket[SP_DURATION_NBUCKETS + 1]; /* per bucket (not cumulative); last = +Inf */
  double duration_sum_s;
  bool has_last;
  int64_t last_batch_id, last_duration_ms;
  double last_input_rps, last_processed_rps;
  bool has_watermark;
  int64_t watermark_ms;
  bool has_state;
  int64_t state_rows, state_memory_bytes;
  /* Per source: maxOffsetsBehindLatest of the last batch (or idle trigger) that reported it. */
  bool has_lag[SP_MAX_SOURCES];
  int64_t lag_max[SP_MAX_SOURCES];
} sp_query_monitor;

/* ---- hooks of the micro-batch loop (query thread) ---- */

/* A trigger starts at wall-clock trigger_ms; returns the previous trigger's start, or
 * -1 for the first trigger of the run (inputRowsPerSecond is then 0). */
int64_t sp_monitor_trigger_started(spate_query *q, int64_t trigger_ms);
/* Batch execution read these rows (per source), whether or not it then succeeded. */
void sp_monitor_batch_read(spate_query *q, const int64_t *rows, int nsources);
/* A batch committed and its progress `p` was posted (also records sources' lag metrics). */
void sp_monitor_batch_done(spate_query *q, const sp_progress *p);
/* An idle trigger (no batch ran). When spark.sql.streaming.noDataProgressEventInterval
 * passed since the last progress/idle event (or none was posted yet), returns the idle
 * progress JSON (malloc'd; the caller posts it) and marks the event; else NULL.
 * batch_id: the id the next batch gets; starts: committed offsets; ends: latest offsets. */
char *sp_monitor_idle_progress(spate_query *q, int64_t batch_id, char *const *starts, char *const *ends,
                               int64_t watermark_ms, int64_t trigger_ms, int64_t d_latest_offset,
                               int64_t duration_ms);
/* Call every listener's on_idle (QueryIdleEvent). */
void sp_monitor_notify_idle(spate_query *q, int64_t trigger_ms);

/* ---- renderers (any thread; malloc'd text, NULL on OOM) ---- */

/* Prometheus text exposition format 0.0.4 of every query of the session. */
char *sp_monitor_prometheus(spate_session *s);
/* JSON array: one object per query (started order) with id, runId, name, isActive,
 * status, exception, plan, lastProgress. */
char *sp_monitor_queries_json(spate_session *s);
/* recentProgress of the newest query whose id or runId is `id`; NULL and *found=false if none. */
char *sp_monitor_recent_progress(spate_session *s, const char *id, bool *found);

#endif
