/*
 * monitor.c - monitoring of running queries (see monitor.h and docs/monitoring.md).
 *
 * Invariants:
 *  - the hooks run on the query's own thread; the loop-only fields of
 *    sp_query_monitor are touched by nobody else, the totals only under query->mu;
 *  - renderers snapshot the session's query list under session->mu and each
 *    query's fields under its mu, never holding both at once except in Spark's
 *    order (session, then query); queries are freed only by spate_session_free;
 *  - counters only grow; a query id restarted within the session keeps summing
 *    into the same series (Prometheus counters must not go backwards);
 *  - no text leaves here without spate_redact_secrets (plans, exceptions).
 */
#include "runtime/monitor.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/datetime.h"
#include "runtime/runtime.h"

const double sp_duration_bucket_bounds[SP_DURATION_NBUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                1,     2.5,  5,     10,   30,  60,   300};

/* ---- hooks ---- */

int64_t sp_monitor_trigger_started(spate_query *q, int64_t trigger_ms) {
  sp_query_monitor *m = &q->mon;
  int64_t prev = m->triggered ? m->prev_trigger_ms : -1;
  m->triggered = true;
  m->prev_trigger_ms = trigger_ms;
  return prev;
}

void sp_monitor_batch_read(spate_query *q, const int64_t *rows, int nsources) {
  int64_t n = 0;
  for (int i = 0; i < nsources; i++) n += rows[i];
  pthread_mutex_lock(&q->mu);
  q->mon.input_rows += n;
  pthread_mutex_unlock(&q->mu);
}

/* maxOffsetsBehindLatest among a source's metrics; false if it has none. */
static bool lag_of_(const sp_source_metric *ms, int n, int64_t *out) {
  for (int k = 0; k < n; k++)
    if (!strcmp(ms[k].name, "maxOffsetsBehindLatest")) {
      char *end;
      long long v = strtoll(ms[k].value, &end, 10);
      if (end == ms[k].value || *end) return false;
      *out = v;
      return true;
    }
  return false;
}

/* Caller holds q->mu. */
static void record_lag_locked_(sp_query_monitor *m, const sp_progress *p) {
  for (int i = 0; i < p->nsources; i++) {
    int64_t lag;
    if (lag_of_(p->src_metrics[i], p->src_nmetrics[i], &lag)) {
      m->has_lag[i] = true;
      m->lag_max[i] = lag;
    }
  }
}

void sp_monitor_batch_done(spate_query *q, const sp_progress *p) {
  sp_query_monitor *m = &q->mon;
  m->reported = true;
  m->last_report_ms = sp_query_now_ms(q);
  double secs = (double)p->batch_duration_ms / 1000.0;
  int b = 0;
  while (b < SP_DURATION_NBUCKETS && secs > sp_duration_bucket_bounds[b]) b++;
  pthread_mutex_lock(&q->mu);
  m->batches++;
  m->processed_rows += p->num_input_rows;
  if (p->sink_output_rows > 0) m->output_rows += p->sink_output_rows;
  m->duration_bucket[b]++;
  m->duration_sum_s += secs;
  m->has_last = true;
  m->last_batch_id = p->batch_id;
  m->last_duration_ms = p->batch_duration_ms;
  m->last_input_rps = p->input_rows_per_second;
  m->last_processed_rps = p->processed_rows_per_second;
  m->has_watermark = p->has_watermark;
  m->watermark_ms = p->watermark_ms;
  m->has_state = p->nstate > 0;
  if (p->nstate > 0) {
    /* Totals over the query's stateful operators. */
    m->state_rows = m->state_memory_bytes = 0;
    for (int i = 0; i < p->nstate; i++) {
      m->state_rows += p->state[i].num_rows_total;
      m->state_memory_bytes += p->state[i].memory_used_bytes;
      m->dropped_by_watermark += p->state[i].num_rows_dropped_by_watermark;
    }
  }
  record_lag_locked_(m, p);
  pthread_mutex_unlock(&q->mu);
}

char *sp_monitor_idle_progress(spate_query *q, int64_t batch_id, char *const *starts, char *const *ends,
                               int64_t watermark_ms, int64_t trigger_ms, int64_t d_latest_offset,
                               int64_t duration_ms) {
  sp_query_monitor *m = &q->mon;
  int64_t interval = 10000;
  sp_conf_get_ms(&q->conf, "spark.sql.streaming.noDataProgressEventInterval", &interval, NULL);
  sp_progress p;
  memset(&p, 0, sizeof p);
  int ns = q->plan->nsources;
  p.nsources = ns < SP_MAX_SOURCES ? ns : SP_MAX_SOURCES;
  /* Source metrics (Kafka lag) against the committed offsets: every idle trigger keeps the
   * lag gauge current (e.g. while minOffsetsPerTrigger holds a batch back). */
  for (int i = 0; i < p.nsources; i++)
    p.src_nmetrics[i] = sp_source_metrics(q->plan->sources[i], starts ? starts[i] : NULL, p.src_metrics[i],
                                          SP_SOURCE_MAX_METRICS);
  pthread_mutex_lock(&q->mu);
  record_lag_locked_(m, &p);
  pthread_mutex_unlock(&q->mu);
  int64_t now = trigger_ms; /* the query's clock (noDataProgressEventInterval is on Spark's triggerClock) */
  if (m->reported && now - m->last_report_ms < interval) return NULL;
  m->reported = true;
  m->last_report_ms = now;
  p.id = q->id;
  p.run_id = q->run_id;
  p.name = q->name;
  p.timestamp_ms = trigger_ms;
  p.batch_id = batch_id;
  p.idle = true;
  p.batch_duration_ms = duration_ms;
  p.d_latest_offset = d_latest_offset;
  p.d_trigger_execution = duration_ms;
  p.has_watermark = q->plan->has_watermark;
  p.watermark_ms = watermark_ms;
  pthread_mutex_lock(&q->mu);
  bool executed = q->committed_batches > 0; /* in this run */
  pthread_mutex_unlock(&q->mu);
  if (executed) {
    /* Spark: the last execution's metrics with the per-batch counts reset; before any
     * execution in this run, no stateOperators (state was never loaded). */
    p.nstate = q->nops < SP_MAX_STATE_OPS ? q->nops : SP_MAX_STATE_OPS;
    for (int i = 0; i < p.nstate; i++) {
      p.state_operator_name[i] = q->ops[i]->operator_name;
      sp_stateful_metrics(q->ops[i], &p.state[i]);
      p.state[i].num_rows_updated = 0;
      p.state[i].num_rows_dropped_by_watermark = 0;
    }
    p.num_shuffle_partitions = q->shuffle_partitions;
  }
  for (int i = 0; i < p.nsources; i++) {
    p.src_description[i] = q->plan->sources[i]->description;
    p.src_start[i] = starts ? starts[i] : NULL;
    p.src_end[i] = starts ? starts[i] : NULL;
    p.src_latest[i] = ends ? ends[i] : NULL;
  }
  p.sink_description = q->sink->description;
  return sp_progress_json(&p, false);
}

void sp_monitor_notify_idle(spate_query *q, int64_t trigger_ms) {
  spate_listener ls[16];
  pthread_mutex_lock(&q->session->mu);
  int n = q->session->nlisteners;
  memcpy(ls, q->session->listeners, (size_t)n * sizeof *ls);
  pthread_mutex_unlock(&q->session->mu);
  char ts[32];
  sp_format_iso_millis(trigger_ms, ts);
  for (int i = 0; i < n; i++)
    if (ls[i].on_idle) ls[i].on_idle(ls[i].user, q->id, q->run_id, ts);
}

/* ---- secrets ---- */

static bool key_char_(char c) { return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-'; }

static bool sensitive_key_(const char *k, size_t n) {
  static const char *const words[] = {"sasl", "ssl", "password", "secret"};
  for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
    size_t wl = strlen(words[w]);
    for (size_t i = 0; i + wl <= n; i++)
      if (!strncasecmp(k + i, words[w], wl)) return true;
  }
  return false;
}

char *spate_redact_secrets(const char *text) {
  if (!text) return NULL;
  sp_buf b;
  sp_buf_init(&b);
  const char *p = text;
  while (*p) {
    if (!key_char_(*p)) {
      sp_buf_putc(&b, *p++);
      continue;
    }
    const char *k = p;
    while (key_char_(*p)) p++;
    size_t kn = (size_t)(p - k);
    sp_buf_append(&b, k, kn);
    if (!sensitive_key_(k, kn)) continue;
    /* key["'`]? then = or : (or blanks, as in OPTIONS (key 'value')), then the value. */
    const char *v = p;
    if (*v == '"' || *v == '\'' || *v == '`') v++;
    const char *sep = v;
    while (*v == ' ' || *v == '\t') v++;
    bool had_sep = false;
    if (*v == '=' || *v == ':') {
      v++;
      had_sep = true;
      while (*v == ' ' || *v == '\t') v++;
    }
    if (!had_sep && (v == sep || (*v != '\'' && *v != '"'))) continue; /* a bare word, not key/value */
    char q = (*v == '"' || *v == '\'') ? *v : 0;
    const char *end = v + (q ? 1 : 0);
    if (q) {
      while (*end && *end != q) end += (*end == '\\' && end[1]) ? 2 : 1;
    } else {
      while (*end && !isspace((unsigned char)*end) && *end != ',' && *end != ';' && *end != ')' && *end != '}' &&
             *end != ']')
        end++;
    }
    if (end == v + (q ? 1 : 0)) continue; /* empty value */
    sp_buf_append(&b, p, (size_t)(v - p) + (q ? 1 : 0));
    sp_buf_puts(&b, "*********(redacted)");
    p = end;
  }
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return NULL;
  }
  return sp_buf_steal(&b);
}

/* ---- snapshots ---- */

typedef struct snap {
  spate_query *q;
  char id[37], run_id[37];
  char name[256];
  bool has_name, active, failed;
  sp_query_monitor m;
} snap;

/* Queries of the session in start order (n returned; *out malloc'd). */
static int snapshot_(spate_session *s, snap **out) {
  pthread_mutex_lock(&s->mu);
  int n = s->nqueries;
  snap *v = calloc((size_t)(n ? n : 1), sizeof *v);
  if (v)
    for (int i = 0; i < n; i++) v[i].q = s->queries[i];
  pthread_mutex_unlock(&s->mu);
  if (!v) return -1;
  for (int i = 0; i < n; i++) {
    spate_query *q = v[i].q;
    pthread_mutex_lock(&q->mu);
    snprintf(v[i].id, sizeof v[i].id, "%s", q->id);
    snprintf(v[i].run_id, sizeof v[i].run_id, "%s", q->run_id);
    v[i].has_name = q->name != NULL;
    snprintf(v[i].name, sizeof v[i].name, "%s", q->name ? q->name : "");
    v[i].active = q->active;
    v[i].failed = q->terminated && q->exit_rc != 0;
    v[i].m = q->mon;
    pthread_mutex_unlock(&q->mu);
  }
  *out = v;
  return n;
}

/* ---- Prometheus ---- */

static void label_value_(sp_buf *b, const char *v) {
  for (; *v; v++) {
    if (*v == '\\') sp_buf_puts(b, "\\\\");
    else if (*v == '"') sp_buf_puts(b, "\\\"");
    else if (*v == '\n') sp_buf_puts(b, "\\n");
    else sp_buf_putc(b, *v);
  }
}

static void labels_(sp_buf *b, const snap *x, const char *extra) {
  sp_buf_puts(b, "{query_id=\"");
  label_value_(b, x->id);
  sp_buf_puts(b, "\",query_name=\"");
  label_value_(b, x->name);
  sp_buf_putc(b, '"');
  if (extra) {
    sp_buf_putc(b, ',');
    sp_buf_puts(b, extra);
  }
  sp_buf_putc(b, '}');
}

static void num_(sp_buf *b, double v) {
  if (isnan(v)) sp_buf_puts(b, "NaN");
  else if (isinf(v)) sp_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor(v) && fabs(v) < 9e15) sp_buf_printf(b, "%.0f", v);
  else sp_buf_printf(b, "%.9g", v);
}

/* One entry per query id: the newest run's identity and gauges, counters summed over runs. */
typedef struct series {
  snap *x;          /* newest run */
  sp_query_monitor sum;
  bool active;
  int64_t errors;
} series;

static int group_(snap *v, int n, series *out) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    int j = 0;
    while (j < k && strcmp(out[j].x->id, v[i].id) != 0) j++;
    if (j == k) {
      memset(&out[k], 0, sizeof out[k]);
      k++;
    }
    series *s = &out[j];
    s->x = &v[i];
    s->sum.batches += v[i].m.batches;
    s->sum.input_rows += v[i].m.input_rows;
    s->sum.processed_rows += v[i].m.processed_rows;
    s->sum.output_rows += v[i].m.output_rows;
    s->sum.dropped_by_watermark += v[i].m.dropped_by_watermark;
    for (int b = 0; b <= SP_DURATION_NBUCKETS; b++) s->sum.duration_bucket[b] += v[i].m.duration_bucket[b];
    s->sum.duration_sum_s += v[i].m.duration_sum_s;
    if (v[i].active) s->active = true;
    if (v[i].failed) s->errors++;
  }
  return k;
}

static void family_(sp_buf *b, const char *name, const char *type, const char *help) {
  sp_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *sp_monitor_prometheus(spate_session *s) {
  snap *v = NULL;
  int n = snapshot_(s, &v);
  if (n < 0) return NULL;
  series *g = calloc((size_t)(n ? n : 1), sizeof *g);
  if (!g) {
    free(v);
    return NULL;
  }
  int k = group_(v, n, g);
  sp_buf b;
  sp_buf_init(&b);
#define EACH for (int i = 0; i < k; i++)
  family_(&b, "spate_query_info", "gauge", "Identity of a streaming query; value is always 1.");
  EACH {
    char extra[64];
    snprintf(extra, sizeof extra, "run_id=\"%s\"", g[i].x->run_id);
    sp_buf_puts(&b, "spate_query_info");
    labels_(&b, g[i].x, extra);
    sp_buf_puts(&b, " 1\n");
  }
  family_(&b, "spate_query_active", "gauge", "1 while the query runs, 0 once it stopped or failed.");
  EACH {
    sp_buf_puts(&b, "spate_query_active");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %d\n", g[i].active ? 1 : 0);
  }
  family_(&b, "spate_query_errors_total", "counter", "Runs of the query that terminated with an exception.");
  EACH {
    sp_buf_puts(&b, "spate_query_errors_total");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].errors);
  }
  family_(&b, "spate_batches_total", "counter", "Micro-batches committed.");
  EACH {
    sp_buf_puts(&b, "spate_batches_total");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].sum.batches);
  }
  family_(&b, "spate_input_rows_total", "counter",
          "Rows read from the sources by micro-batches (numInputRows), including a batch that then failed.");
  EACH {
    sp_buf_puts(&b, "spate_input_rows_total");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].sum.input_rows);
  }
  family_(&b, "spate_processed_rows_total", "counter", "Input rows of micro-batches that committed.");
  EACH {
    sp_buf_puts(&b, "spate_processed_rows_total");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].sum.processed_rows);
  }
  family_(&b, "spate_output_rows_total", "counter", "Rows handed to the sink (sink.numOutputRows).");
  EACH {
    sp_buf_puts(&b, "spate_output_rows_total");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].sum.output_rows);
  }
  family_(&b, "spate_batch_duration_seconds", "histogram",
          "Duration of a micro-batch from trigger start to progress (batchDuration).");
  EACH {
    int64_t cum = 0;
    for (int bk = 0; bk <= SP_DURATION_NBUCKETS; bk++) {
      cum += g[i].sum.duration_bucket[bk];
      char le[64];
      if (bk < SP_DURATION_NBUCKETS) snprintf(le, sizeof le, "le=\"%g\"", sp_duration_bucket_bounds[bk]);
      else snprintf(le, sizeof le, "le=\"+Inf\"");
      sp_buf_puts(&b, "spate_batch_duration_seconds_bucket");
      labels_(&b, g[i].x, le);
      sp_buf_printf(&b, " %lld\n", (long long)cum);
    }
    sp_buf_puts(&b, "spate_batch_duration_seconds_sum");
    labels_(&b, g[i].x, NULL);
    sp_buf_putc(&b, ' ');
    num_(&b, g[i].sum.duration_sum_s);
    sp_buf_puts(&b, "\nspate_batch_duration_seconds_count");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)cum);
  }
  family_(&b, "spate_last_batch_id", "gauge", "Id of the last committed micro-batch.");
  EACH if (g[i].x->m.has_last) {
    sp_buf_puts(&b, "spate_last_batch_id");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].x->m.last_batch_id);
  }
  family_(&b, "spate_input_rows_per_second", "gauge",
          "inputRowsPerSecond of the last batch: rows over the time since the previous trigger started.");
  EACH if (g[i].x->m.has_last) {
    sp_buf_puts(&b, "spate_input_rows_per_second");
    labels_(&b, g[i].x, NULL);
    sp_buf_putc(&b, ' ');
    num_(&b, g[i].x->m.last_input_rps);
    sp_buf_putc(&b, '\n');
  }
  family_(&b, "spate_processed_rows_per_second", "gauge",
          "processedRowsPerSecond of the last batch: rows over the batch's duration.");
  EACH if (g[i].x->m.has_last) {
    sp_buf_puts(&b, "spate_processed_rows_per_second");
    labels_(&b, g[i].x, NULL);
    sp_buf_putc(&b, ' ');
    num_(&b, g[i].x->m.last_processed_rps);
    sp_buf_putc(&b, '\n');
  }
  family_(&b, "spate_state_rows", "gauge", "Rows (keys) in the state store after the last batch (numRowsTotal).");
  EACH if (g[i].x->m.has_state) {
    sp_buf_puts(&b, "spate_state_rows");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].x->m.state_rows);
  }
  family_(&b, "spate_state_memory_bytes", "gauge", "Memory used by the state store (memoryUsedBytes).");
  EACH if (g[i].x->m.has_state) {
    sp_buf_puts(&b, "spate_state_memory_bytes");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].x->m.state_memory_bytes);
  }
  family_(&b, "spate_state_rows_dropped_by_watermark_total", "counter",
          "Late input rows dropped by the stateful operator (numRowsDroppedByWatermark).");
  EACH if (g[i].x->m.has_state) {
    sp_buf_puts(&b, "spate_state_rows_dropped_by_watermark_total");
    labels_(&b, g[i].x, NULL);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].sum.dropped_by_watermark);
  }
  family_(&b, "spate_watermark_seconds", "gauge",
          "Event-time watermark the last batch ran with, in seconds since the epoch.");
  EACH if (g[i].x->m.has_last && g[i].x->m.has_watermark) {
    sp_buf_puts(&b, "spate_watermark_seconds");
    labels_(&b, g[i].x, NULL);
    sp_buf_putc(&b, ' ');
    num_(&b, (double)g[i].x->m.watermark_ms / 1000.0);
    sp_buf_putc(&b, '\n');
  }
  family_(&b, "spate_kafka_offsets_behind_latest", "gauge",
          "Kafka lag of a source: the largest per-partition gap between the latest available offset and the "
          "offset consumed by the last batch (maxOffsetsBehindLatest).");
  EACH for (int si = 0; si < SP_MAX_SOURCES; si++) if (g[i].x->m.has_lag[si]) {
    sp_buf lb;
    sp_buf_init(&lb);
    sp_buf_printf(&lb, "source_index=\"%d\",source=\"", si);
    const spate_query *sq = g[i].x->q;
    if (sq->plan && si < sq->plan->nsources) label_value_(&lb, sq->plan->sources[si]->description);
    sp_buf_putc(&lb, '"');
    sp_buf_putc(&lb, '\0');
    if (sp_buf_check(&lb)) {
      sp_buf_free(&lb);
      continue;
    }
    sp_buf_puts(&b, "spate_kafka_offsets_behind_latest");
    labels_(&b, g[i].x, lb.data);
    sp_buf_printf(&b, " %lld\n", (long long)g[i].x->m.lag_max[si]);
    sp_buf_free(&lb);
  }
#undef EACH
  free(g);
  free(v);
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return NULL;
  }
  return sp_buf_steal(&b);
}

/* ---- JSON ---- */

static json_t *parse_or_null_(const char *text) {
  if (!text) return json_null();
  json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
  return j ? j : json_null();
}

static json_t *redacted_string_(const char *text) {
  if (!text) return json_null();
  char *r = spate_redact_secrets(text);
  json_t *j = json_string(r ? r : "");
  free(r);
  return j ? j : json_null();
}

char *sp_monitor_queries_json(spate_session *s) {
  snap *v = NULL;
  int n = snapshot_(s, &v);
  if (n < 0) return NULL;
  json_t *arr = json_array();
  for (int i = 0; i < n && arr; i++) {
    spate_query *q = v[i].q;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(v[i].id));
    json_object_set_new(o, "runId", json_string(v[i].run_id));
    json_object_set_new(o, "name", v[i].has_name ? json_string(v[i].name) : json_null());
    json_object_set_new(o, "isActive", json_boolean(v[i].active));
    char *st = spate_query_status(q);
    json_t *stj = parse_or_null_(st);
    free(st);
    if (json_is_object(stj)) {
      /* The status message can carry the exception text. */
      const char *msg = json_string_value(json_object_get(stj, "message"));
      if (msg) json_object_set_new(stj, "message", redacted_string_(msg));
    }
    json_object_set_new(o, "status", stj);
    spate_error e;
    spate_error_clear(&e);
    json_object_set_new(o, "exception", spate_query_exception(q, &e) ? redacted_string_(e.message) : json_null());
    char *plan = spate_query_explain(q);
    json_object_set_new(o, "plan", redacted_string_(plan));
    free(plan);
    char *lp = spate_query_last_progress(q);
    json_object_set_new(o, "lastProgress", parse_or_null_(lp));
    free(lp);
    json_array_append_new(arr, o);
  }
  free(v);
  if (!arr) return NULL;
  char *text = json_dumps(arr, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(17));
  json_decref(arr);
  return text;
}

char *sp_monitor_recent_progress(spate_session *s, const char *id, bool *found) {
  *found = false;
  spate_query *hit = NULL;
  pthread_mutex_lock(&s->mu);
  for (int i = s->nqueries - 1; i >= 0 && !hit; i--)
    if (!strcmp(s->queries[i]->id, id) || !strcmp(s->queries[i]->run_id, id)) hit = s->queries[i];
  pthread_mutex_unlock(&s->mu);
  if (!hit) return NULL;
  *found = true;
  return spate_query_recent_progress(hit);
}
