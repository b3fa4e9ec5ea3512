/*
 * progress.h - StreamingQueryProgress JSON (spark-semantics.md §9.1), keys in
 * Spark's order, built with jansson. One sp_progress per trigger that ran a
 * batch, plus one for an idle trigger at most every
 * spark.sql.streaming.noDataProgressEventInterval (`idle`: durationMs then only
 * holds the phases an idle trigger runs, latestOffset and triggerExecution).
 */
#ifndef SPATE_RUNTIME_PROGRESS_H
#define SPATE_RUNTIME_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/exec.h"
#include "source/source.h"

#define SP_MAX_SOURCES 16
#define SP_MAX_STATE_OPS 16

typedef struct sp_progress {
  const char *id, *run_id, *name;
  int64_t timestamp_ms;        /* trigger start */
  int64_t batch_id;
  bool idle;                   /* idle trigger: no batch ran */
  int64_t batch_duration_ms;
  int64_t num_input_rows;
  double input_rows_per_second;
  double processed_rows_per_second;
  /* durationMs */
  int64_t d_latest_offset, d_wal_commit, d_get_batch, d_query_planning, d_add_batch, d_commit_offsets,
      d_trigger_execution;
  /* eventTime (only when has_watermark) */
  bool has_watermark, has_event_time;
  int64_t et_min_ms, et_max_ms, et_avg_ms, watermark_ms;
  /* stateOperators: one entry per stateful operator, the one nearest the sink first */
  int nstate;
  const char *state_operator_name[SP_MAX_STATE_OPS];
  sp_state_metrics state[SP_MAX_STATE_OPS];
  int num_shuffle_partitions;
  /* sources */
  int nsources;
  const char *src_description[SP_MAX_SOURCES];
  const char *src_start[SP_MAX_SOURCES]; /* JSON text or NULL */
  const char *src_end[SP_MAX_SOURCES];
  const char *src_latest[SP_MAX_SOURCES];
  int64_t src_rows[SP_MAX_SOURCES];
  /* sources[i].metrics (Spark's string map; omitted when empty), e.g. Kafka's lag */
  int src_nmetrics[SP_MAX_SOURCES];
  sp_source_metric src_metrics[SP_MAX_SOURCES][SP_SOURCE_MAX_METRICS];
  /* sink */
  const char *sink_description;
  int64_t sink_output_rows;
} sp_progress;

/* Serialize (malloc'd JSON text, NULL on OOM). pretty: indented as Spark's prettyJson. */
char *sp_progress_json(const sp_progress *p, bool pretty);

#endif
