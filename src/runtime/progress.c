/*
 * progress.c - StreamingQueryProgress JSON. Field order and names follow Spark's
 * progress.scala; NaN/Infinity doubles and empty maps are omitted as Spark does.
 */
#include "runtime/progress.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/datetime.h"

static void set_num_(json_t *o, const char *k, double v) {
  if (isfinite(v)) json_object_set_new(o, k, json_real(v));
}

/* Offsets are embedded as JSON when they parse, else as strings. */
static json_t *offset_json_(const char *text) {
  if (!text) return json_null();
  json_error_t e;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
  return j ? j : json_string(text);
}

char *sp_progress_json(const sp_progress *p, bool pretty) {
  json_t *o = json_object();
  if (!o) return NULL;
  char ts[32];
  sp_format_iso_millis(p->timestamp_ms, ts);
  json_object_set_new(o, "id", json_string(p->id));
  json_object_set_new(o, "runId", json_string(p->run_id));
  json_object_set_new(o, "name", p->name ? json_string(p->name) : json_null());
  json_object_set_new(o, "timestamp", json_string(ts));
  json_object_set_new(o, "batchId", json_integer(p->batch_id));
  json_object_set_new(o, "batchDuration", json_integer(p->batch_duration_ms));
  json_object_set_new(o, "numInputRows", json_integer(p->num_input_rows));
  set_num_(o, "inputRowsPerSecond", p->input_rows_per_second);
  set_num_(o, "processedRowsPerSecond", p->processed_rows_per_second);
  /* durationMs: the phases this trigger ran, keys sorted as Spark's safeMapToJValue does. */
  json_t *d = json_object();
  if (!p->idle) {
    json_object_set_new(d, "addBatch", json_integer(p->d_add_batch));
    json_object_set_new(d, "commitOffsets", json_integer(p->d_commit_offsets));
    json_object_set_new(d, "getBatch", json_integer(p->d_get_batch));
  }
  json_object_set_new(d, "latestOffset", json_integer(p->d_latest_offset));
  if (!p->idle) json_object_set_new(d, "queryPlanning", json_integer(p->d_query_planning));
  json_object_set_new(d, "triggerExecution", json_integer(p->d_trigger_execution));
  if (!p->idle) json_object_set_new(d, "walCommit", json_integer(p->d_wal_commit));
  json_object_set_new(o, "durationMs", d);
  if (p->has_watermark) {
    json_t *et = json_object();
    char buf[32];
    if (p->has_event_time) {
      sp_format_iso_millis(p->et_avg_ms, buf);
      json_object_set_new(et, "avg", json_string(buf));
      sp_format_iso_millis(p->et_max_ms, buf);
      json_object_set_new(et, "max", json_string(buf));
      sp_format_iso_millis(p->et_min_ms, buf);
      json_object_set_new(et, "min", json_string(buf));
    }
    sp_format_iso_millis(p->watermark_ms, buf);
    json_object_set_new(et, "watermark", json_string(buf));
    json_object_set_new(o, "eventTime", et);
  }
  json_t *so = json_array();
  for (int i = 0; i < p->nstate; i++) {
    const sp_state_metrics *m = &p->state[i];
    const char *name = p->state_operator_name[i];
    json_t *s = json_object();
    json_object_set_new(s, "operatorName", json_string(name));
    json_object_set_new(s, "numRowsTotal", json_integer(m->num_rows_total));
    json_object_set_new(s, "numRowsUpdated", json_integer(m->num_rows_updated));
    json_object_set_new(s, "allUpdatesTimeMs", json_integer(0));
    json_object_set_new(s, "numRowsRemoved", json_integer(m->num_rows_removed));
    json_object_set_new(s, "allRemovalsTimeMs", json_integer(0));
    json_object_set_new(s, "commitTimeMs", json_integer(m->commit_time_ms));
    json_object_set_new(s, "memoryUsedBytes", json_integer(m->memory_used_bytes));
    json_object_set_new(s, "numRowsDroppedByWatermark", json_integer(m->num_rows_dropped_by_watermark));
    json_object_set_new(s, "numShufflePartitions", json_integer(p->num_shuffle_partitions));
    json_object_set_new(s, "numStateStoreInstances", json_integer(p->num_shuffle_partitions));
    if (name && !strncmp(name, "dedupe", 6)) {
      json_t *cm = json_object();
      json_object_set_new(cm, "numDroppedDuplicateRows", json_integer(m->num_dropped_duplicate_rows));
      json_object_set_new(s, "customMetrics", cm);
    }
    json_array_append_new(so, s);
  }
  json_object_set_new(o, "stateOperators", so);
  json_t *srcs = json_array();
  for (int i = 0; i < p->nsources; i++) {
    json_t *s = json_object();
    json_object_set_new(s, "description", json_string(p->src_description[i]));
    json_object_set_new(s, "startOffset", offset_json_(p->src_start[i]));
    json_object_set_new(s, "endOffset", offset_json_(p->src_end[i]));
    json_object_set_new(s, "latestOffset", offset_json_(p->src_latest[i]));
    json_object_set_new(s, "numInputRows", json_integer(p->src_rows[i]));
    double secs = p->batch_duration_ms > 0 ? (double)p->batch_duration_ms / 1000.0 : 0.001;
    set_num_(s, "inputRowsPerSecond",
             p->num_input_rows ? p->input_rows_per_second * (double)p->src_rows[i] / (double)p->num_input_rows : 0.0);
    set_num_(s, "processedRowsPerSecond", (double)p->src_rows[i] / secs);
    if (p->src_nmetrics[i] > 0) {
      /* Spark's safeMapToJValue: keys sorted, values strings. */
      int nm = p->src_nmetrics[i] < SP_SOURCE_MAX_METRICS ? p->src_nmetrics[i] : SP_SOURCE_MAX_METRICS;
      const sp_source_metric *ms[SP_SOURCE_MAX_METRICS];
      for (int k = 0; k < nm; k++) {
        int j = k;
        while (j > 0 && strcmp(ms[j - 1]->name, p->src_metrics[i][k].name) > 0) {
          ms[j] = ms[j - 1];
          j--;
        }
        ms[j] = &p->src_metrics[i][k];
      }
      json_t *mo = json_object();
      for (int k = 0; k < nm; k++) json_object_set_new(mo, ms[k]->name, json_string(ms[k]->value));
      json_object_set_new(s, "metrics", mo);
    }
    json_array_append_new(srcs, s);
  }
  json_object_set_new(o, "sources", srcs);
  json_t *sink = json_object();
  json_object_set_new(sink, "description", json_string(p->sink_description ? p->sink_description : ""));
  json_object_set_new(sink, "numOutputRows", json_integer(p->sink_output_rows));
  json_object_set_new(o, "sink", sink);
  char *text = json_dumps(o, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_REAL_PRECISION(17));
  json_decref(o);
  return text;
}
