/*
 * test_monitoring.c - Spark's monitoring API (spark-semantics.md §9): progress JSON
 * key order and omissions, idle progress, status messages, listener events
 * (started / progress / idle / terminated with the exception), the Prometheus
 * and JSON renderers, secret redaction, and the HTTP server on a loopback port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "runtime/monitor.h"
#include "runtime/progress.h"
#include "spate/spate.h"
#include "testutil.h"

/* ---- progress JSON ---- */

static void fill_(sp_progress *p) {
  memset(p, 0, sizeof *p);
  p->id = "11111111-1111-4111-8111-111111111111";
  p->run_id = "22222222-2222-4222-8222-222222222222";
  p->timestamp_ms = 1700000000123;
  p->batch_id = 3;
  p->batch_duration_ms = 40;
  p->num_input_rows = 10;
  p->input_rows_per_second = 5.0;
  p->processed_rows_per_second = 250.0;
  p->d_latest_offset = 1;
  p->d_wal_commit = 2;
  p->d_get_batch = 3;
  p->d_add_batch = 30;
  p->d_commit_offsets = 4;
  p->d_trigger_execution = 40;
  p->nsources = 1;
  p->src_description[0] = "FileStreamSource[file:/in]";
  p->src_start[0] = NULL;
  p->src_end[0] = "{\"logOffset\":0}";
  p->src_latest[0] = "not json";
  p->src_rows[0] = 10;
  p->sink_description = "NoopSink";
  p->sink_output_rows = 7;
}

static void test_progress_key_order(void **state) {
  (void)state;
  sp_progress p;
  fill_(&p);
  char *j = sp_progress_json(&p, false);
  assert_non_null(j);
  const char *want =
      "{\"id\":\"11111111-1111-4111-8111-111111111111\",\"runId\":\"22222222-2222-4222-8222-222222222222\","
      "\"name\":null,\"timestamp\":\"2023-11-14T22:13:20.123Z\",\"batchId\":3,\"batchDuration\":40,"
      "\"numInputRows\":10,\"inputRowsPerSecond\":5.0,\"processedRowsPerSecond\":250.0,"
      "\"durationMs\":{\"addBatch\":30,\"commitOffsets\":4,\"getBatch\":3,\"latestOffset\":1,\"queryPlanning\":0,"
      "\"triggerExecution\":40,\"walCommit\":2},\"stateOperators\":[],"
      "\"sources\":[{\"description\":\"FileStreamSource[file:/in]\",\"startOffset\":null,"
      "\"endOffset\":{\"logOffset\":0},\"latestOffset\":\"not json\",\"numInputRows\":10,"
      "\"inputRowsPerSecond\":5.0,\"processedRowsPerSecond\":250.0}],"
      "\"sink\":{\"description\":\"NoopSink\",\"numOutputRows\":7}}";
  assert_string_equal(j, want);
  free(j);
}

static void test_progress_watermark_state_nan(void **state) {
  (void)state;
  sp_progress p;
  fill_(&p);
  p.name = "q";
  p.input_rows_per_second = NAN;      /* omitted, as Spark's safeDoubleToJValue */
  p.processed_rows_per_second = INFINITY;
  p.has_watermark = true;             /* watermark without rows: no avg/max/min */
  p.watermark_ms = 0;
  p.nstate = 1;
  p.state_operator_name[0] = "dedupe";
  p.state[0].num_rows_total = 5;
  p.state[0].num_dropped_duplicate_rows = 2;
  p.num_shuffle_partitions = 3;
  char *j = sp_progress_json(&p, false);
  assert_non_null(j);
  assert_null(strstr(j, "\"inputRowsPerSecond\":"  "n"));
  assert_null(strstr(j, "NaN"));
  assert_null(strstr(j, "Infinity"));
  /* Top-level doubles omitted, eventTime has only the watermark, between durationMs and stateOperators. */
  assert_non_null(strstr(j, "\"numInputRows\":10,\"durationMs\":"));
  assert_non_null(strstr(j, "\"walCommit\":2},\"eventTime\":{\"watermark\":\"1970-01-01T00:00:00.000Z\"},"
                            "\"stateOperators\":[{\"operatorName\":\"dedupe\",\"numRowsTotal\":5,"));
  assert_non_null(strstr(j, "\"numShufflePartitions\":3,\"numStateStoreInstances\":3,"
                            "\"customMetrics\":{\"numDroppedDuplicateRows\":2}}]"));
  assert_null(strstr(j, "observedMetrics")); /* empty map: omitted */
  free(j);
  /* With rows: avg, max, min, watermark (sorted keys). */
  p.has_event_time = true;
  p.et_min_ms = 1000;
  p.et_max_ms = 3000;
  p.et_avg_ms = 2000;
  p.state_operator_name[0] = "stateStoreSave";
  j = sp_progress_json(&p, false);
  assert_non_null(strstr(j, "\"eventTime\":{\"avg\":\"1970-01-01T00:00:02.000Z\",\"max\":\"1970-01-01T00:00:03.000Z\","
                            "\"min\":\"1970-01-01T00:00:01.000Z\",\"watermark\":"));
  assert_null(strstr(j, "customMetrics")); /* no custom metrics: omitted */
  free(j);
  /* Chained operators: one entry each, in the order given (the one nearest the sink first). */
  p.nstate = 2;
  p.state_operator_name[1] = "symmetricHashJoin";
  p.state[1].num_rows_total = 7;
  j = sp_progress_json(&p, false);
  const char *a = strstr(j, "{\"operatorName\":\"stateStoreSave\",\"numRowsTotal\":5,");
  const char *b = strstr(j, "{\"operatorName\":\"symmetricHashJoin\",\"numRowsTotal\":7,");
  assert_non_null(a);
  assert_non_null(b);
  assert_true(a < b);
  free(j);
}

static void test_idle_progress_duration_keys(void **state) {
  (void)state;
  sp_progress p;
  fill_(&p);
  p.idle = true;
  char *j = sp_progress_json(&p, false);
  assert_non_null(strstr(j, "\"durationMs\":{\"latestOffset\":1,\"triggerExecution\":40},"));
  free(j);
}

/* sources[i].metrics: a string map after processedRowsPerSecond, keys sorted whatever
 * order the source gave them in (Spark's safeMapToJValue); omitted when empty. */
static void test_progress_source_metrics(void **state) {
  (void)state;
  sp_progress p;
  fill_(&p);
  p.nsources = 2;
  p.src_description[1] = "KafkaV2[Subscribe[t]]";
  p.src_end[1] = "{\"t\":{\"0\":30}}";
  p.src_rows[1] = 0;
  p.src_nmetrics[1] = 3;
  snprintf(p.src_metrics[1][0].name, sizeof p.src_metrics[1][0].name, "minOffsetsBehindLatest");
  snprintf(p.src_metrics[1][0].value, sizeof p.src_metrics[1][0].value, "70");
  snprintf(p.src_metrics[1][1].name, sizeof p.src_metrics[1][1].name, "avgOffsetsBehindLatest");
  snprintf(p.src_metrics[1][1].value, sizeof p.src_metrics[1][1].value, "70.0");
  snprintf(p.src_metrics[1][2].name, sizeof p.src_metrics[1][2].name, "maxOffsetsBehindLatest");
  snprintf(p.src_metrics[1][2].value, sizeof p.src_metrics[1][2].value, "70");
  char *j = sp_progress_json(&p, false);
  assert_non_null(j);
  /* the file source has none: no "metrics" key */
  assert_non_null(strstr(j, "\"numInputRows\":10,\"inputRowsPerSecond\":5.0,\"processedRowsPerSecond\":250.0},{"));
  assert_non_null(strstr(j, "\"processedRowsPerSecond\":0.0,\"metrics\":{\"avgOffsetsBehindLatest\":\"70.0\","
                            "\"maxOffsetsBehindLatest\":\"70\",\"minOffsetsBehindLatest\":\"70\"}}]"));
  free(j);
}

/* ---- redaction ---- */

static void test_redact_secrets(void **state) {
  (void)state;
  struct {
    const char *in, *want;
  } cases[] = {
      {"kafka.sasl.jaas.config='x y z' other=1", "kafka.sasl.jaas.config='*********(redacted)' other=1"},
      {"OPTIONS (kafka.ssl.keystore.password 'hunter2', subscribe 't')",
       "OPTIONS (kafka.ssl.keystore.password '*********(redacted)', subscribe 't')"},
      {"{\"clientSecret\":\"abc\",\"a\":1}", "{\"clientSecret\":\"*********(redacted)\",\"a\":1}"},
      {"password=abc;user=x", "password=*********(redacted);user=x"},
      {"Password: swordfish\n", "Password: *********(redacted)\n"},
      {"the ssl handshake failed", "the ssl handshake failed"},
      {"no secrets here: batch=3", "no secrets here: batch=3"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *r = spate_redact_secrets(cases[i].in);
    assert_non_null(r);
    if (strcmp(r, cases[i].want) != 0) fail_msg("redact(%s) = %s, want %s", cases[i].in, r, cases[i].want);
    free(r);
  }
}

/* ---- a running query: listeners, status, idle, metrics, HTTP ---- */

#define MAX_EVENTS 256

typedef struct events {
  pthread_mutex_t mu;
  char kinds[MAX_EVENTS]; /* S started, P progress, I idle, T terminated */
  char *payload[MAX_EVENTS];
  int n;
  bool started_in_start; /* on_started ran before spate_writer_start returned */
  bool in_start;
} events;

static void push_(events *e, char kind, const char *text) {
  pthread_mutex_lock(&e->mu);
  if (e->n < MAX_EVENTS) {
    e->kinds[e->n] = kind;
    e->payload[e->n] = strdup(text ? text : "");
    e->n++;
  }
  pthread_mutex_unlock(&e->mu);
}

static void ev_started(void *u, const char *id, const char *run_id, const char *name) {
  events *e = u;
  (void)run_id;
  (void)name;
  if (e->in_start) e->started_in_start = true;
  push_(e, 'S', id);
}
static void ev_progress(void *u, const char *json) { push_(u, 'P', json); }
static void ev_idle(void *u, const char *id, const char *run_id, const char *ts) {
  (void)id;
  (void)run_id;
  push_(u, 'I', ts);
}
static void ev_terminated(void *u, const char *id, const char *run_id, const char *exc) {
  (void)id;
  (void)run_id;
  push_(u, 'T', exc ? exc : "(null)");
}

static int count_(events *e, char kind) {
  pthread_mutex_lock(&e->mu);
  int c = 0;
  for (int i = 0; i < e->n; i++) c += e->kinds[i] == kind;
  pthread_mutex_unlock(&e->mu);
  return c;
}

static bool wait_for_(events *e, char kind, int n, int timeout_ms) {
  for (int t = 0; t < timeout_ms; t += 10) {
    if (count_(e, kind) >= n) return true;
    usleep(10000);
  }
  return false;
}

static void events_free_(events *e) {
  for (int i = 0; i < e->n; i++) free(e->payload[i]);
}

static void write_input_(const char *dir, const char *name, const char *text) {
  char tmp[600], fin[600];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  snprintf(fin, sizeof fin, "%s/%s", dir, name);
  FILE *f = fopen(tmp, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  assert_int_equal(rename(tmp, fin), 0);
}

static int fail_batch(void *user, int64_t batch_id, struct ArrowSchema *schema, struct ArrowArray *array) {
  (void)user;
  (void)batch_id;
  schema->release(schema);
  array->release(array);
  return 7;
}

/* GET path from 127.0.0.1:port; returns the HTTP status, *body malloc'd. */
static int http_get(int port, const char *path, char **body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  char req[512];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
  assert_int_equal(write(fd, req, (size_t)n), n);
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  ssize_t r;
  while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
    len += (size_t)r;
    if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  close(fd);
  int status = -1;
  sscanf(buf, "HTTP/%*s %d", &status);
  char *b = strstr(buf, "\r\n\r\n");
  *body = strdup(b ? b + 4 : "");
  free(buf);
  return status;
}

static const char *JOB =
    "SET spark.sql.shuffle.partitions = 2;\n"
    "SET spark.sql.streaming.noDataProgressEventInterval = 200ms;\n"
    "CREATE TEMPORARY VIEW ev (id STRING, ts TIMESTAMP, v INT) USING json OPTIONS (path '${input}')\n"
    "WATERMARK ts DELAY OF '10 minutes';\n"
    "CREATE TEMPORARY VIEW result AS SELECT id, count(*) AS n FROM ev GROUP BY id;\n";

static void test_running_query(void **state) {
  (void)state;
  char dir[] = "/tmp/spate-monitor-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char input[512], chk[512], chk2[512];
  snprintf(input, sizeof input, "%s/input", dir);
  snprintf(chk, sizeof chk, "%s/chk", dir);
  snprintf(chk2, sizeof chk2, "%s/chk2", dir);
  mkdir(input, 0700);
  const char *names[] = {"input"};
  const char *values[] = {input};
  char *job = NULL;
  spate_error err;
  spate_error_clear(&err);
  assert_int_equal(spate_substitute_vars(JOB, names, values, 1, &job, &err), 0);
  spate_session *s = spate_session_new(&err);
  assert_non_null(s);
  events *ev = calloc(1, sizeof *ev);
  pthread_mutex_init(&ev->mu, NULL);
  spate_listener l = {ev, ev_started, ev_progress, ev_terminated, ev_idle};
  assert_int_equal(spate_session_add_listener(s, &l, &err), 0);
  if (spate_sql(s, job, &err)) fail_msg("job: %s", err.message);
  spate_ui *ui = spate_ui_start(s, NULL, 0, &err);
  if (!ui) fail_msg("ui: %s", err.message);
  int port = spate_ui_port(ui);
  assert_true(port > 0);

  /* Start: onQueryStarted runs synchronously. */
  spate_df *df = spate_session_table(s, "result", &err);
  spate_writer *w = spate_df_write_stream(df);
  spate_df_free(df);
  spate_writer_format(w, "noop");
  spate_writer_output_mode(w, "update");
  spate_writer_query_name(w, "counts");
  spate_writer_checkpoint_location(w, chk);
  ev->in_start = true;
  spate_query *q = spate_writer_start(w, &err);
  ev->in_start = false;
  if (!q) fail_msg("start: %s", err.message);
  assert_true(ev->started_in_start);
  char *st = spate_query_status(q);
  const char *known[] = {"Initializing StreamExecution", "Initializing sources", "Getting offsets from ",
                         "Waiting for data to arrive"};
  bool ok = false;
  for (int i = 0; i < 4; i++) ok |= strstr(st, known[i]) != NULL;
  if (!ok) fail_msg("status right after start: %s", st);
  free(st);

  /* No data: an idle event and an idle progress (batchId 0, no addBatch), then at most one per interval. */
  assert_true(wait_for_(ev, 'I', 1, 5000));
  assert_true(wait_for_(ev, 'P', 1, 5000));
  pthread_mutex_lock(&ev->mu);
  const char *idle = NULL;
  for (int i = 0; i < ev->n && !idle; i++)
    if (ev->kinds[i] == 'P') idle = ev->payload[i];
  assert_non_null(strstr(idle, "\"batchId\":0,"));
  assert_non_null(strstr(idle, "\"numInputRows\":0,"));
  assert_non_null(strstr(idle, "\"durationMs\":{\"latestOffset\":"));
  assert_null(strstr(idle, "addBatch"));
  assert_non_null(strstr(idle, "\"eventTime\":{\"watermark\":\"1970-01-01T00:00:00.000Z\"}"));
  pthread_mutex_unlock(&ev->mu);
  usleep(300000);
  int idles = count_(ev, 'I');
  assert_true(idles >= 1 && idles <= 3); /* 200 ms interval over ~300 ms, not one per 10 ms poll */

  /* Data: one batch, its progress, the metrics move. */
  write_input_(input, "a.json",
               "{\"id\":\"a\",\"ts\":\"2026-01-01 12:00:00\",\"v\":1}\n{\"id\":\"b\",\"ts\":\"2026-01-01 12:10:00\",\"v\":2}\n"
               "{\"id\":\"a\",\"ts\":\"2026-01-01 12:20:00\",\"v\":3}\n");
  assert_int_equal(spate_query_process_all_available(q, &err), 0);
  char *lp = spate_query_last_progress(q);
  assert_non_null(lp);
  json_t *pj = json_loads(lp, 0, NULL);
  assert_non_null(pj);
  /* Keys in Spark's order. */
  const char *order[] = {"id",          "runId",          "name",    "timestamp", "batchId",
                         "batchDuration", "numInputRows", "inputRowsPerSecond", "processedRowsPerSecond",
                         "durationMs",  "eventTime",      "stateOperators", "sources", "sink"};
  const char *prev = lp;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", order[i]);
    const char *at = strstr(prev, k);
    if (!at) fail_msg("key %s missing or out of order in %s", order[i], lp);
    prev = at;
  }
  assert_int_equal(json_integer_value(json_object_get(pj, "batchId")), 0);
  assert_int_equal(json_integer_value(json_object_get(pj, "numInputRows")), 3);
  assert_string_equal(json_string_value(json_object_get(pj, "name")), "counts");
  json_t *so = json_array_get(json_object_get(pj, "stateOperators"), 0);
  assert_int_equal(json_integer_value(json_object_get(so, "numRowsTotal")), 2);
  assert_string_equal(json_string_value(json_object_get(json_object_get(pj, "eventTime"), "max")),
                      "2026-01-01T12:20:00.000Z");
  json_decref(pj);
  free(lp);
  char *rp = spate_query_recent_progress(q);
  json_t *rj = json_loads(rp, 0, NULL);
  assert_true(json_is_array(rj) && json_array_size(rj) >= 2); /* idle progress + batch 0 */
  json_decref(rj);
  free(rp);

  char *prom = sp_monitor_prometheus(s);
  char line[512];
  snprintf(line, sizeof line, "spate_input_rows_total{query_id=\"%s\",query_name=\"counts\"} 3\n", spate_query_id(q));
  if (!strstr(prom, line)) fail_msg("metrics lack %s:\n%s", line, prom);
  assert_non_null(strstr(prom, "# TYPE spate_batch_duration_seconds histogram\n"));
  assert_non_null(strstr(prom, "le=\"+Inf\"} 1\n"));
  assert_non_null(strstr(prom, "spate_state_rows{"));
  assert_non_null(strstr(prom, "spate_watermark_seconds{"));
  snprintf(line, sizeof line, "spate_query_errors_total{query_id=\"%s\",query_name=\"counts\"} 0\n",
           spate_query_id(q));
  assert_non_null(strstr(prom, line));
  free(prom);

  /* The same over HTTP. */
  char *body = NULL;
  assert_int_equal(http_get(port, "/metrics", &body), 200);
  assert_non_null(strstr(body, "spate_processed_rows_total{"));
  free(body);
  assert_int_equal(http_get(port, "/api/queries", &body), 200);
  json_t *qs = json_loads(body, 0, NULL);
  assert_true(json_is_array(qs) && json_array_size(qs) == 1);
  json_t *q0 = json_array_get(qs, 0);
  assert_string_equal(json_string_value(json_object_get(q0, "id")), spate_query_id(q));
  assert_true(json_is_object(json_object_get(q0, "lastProgress")));
  assert_true(json_is_object(json_object_get(q0, "status")));
  assert_non_null(strstr(json_string_value(json_object_get(q0, "plan")), "StatefulAggregate"));
  json_decref(qs);
  free(body);
  char path[128];
  snprintf(path, sizeof path, "/api/queries/%s/progress", spate_query_id(q));
  assert_int_equal(http_get(port, path, &body), 200);
  assert_true(body[0] == '[');
  free(body);
  assert_int_equal(http_get(port, "/api/queries/nope/progress", &body), 404);
  free(body);
  assert_int_equal(http_get(port, "/", &body), 200);
  assert_non_null(strstr(body, "<canvas"));
  assert_null(strstr(body, "http://")); /* self-contained: no external resources */
  free(body);

  /* Stop: terminated without exception, after every other event; status Stopped. */
  spate_query_stop(q);
  st = spate_query_status(q);
  assert_non_null(strstr(st, "\"message\":\"Stopped\""));
  free(st);
  pthread_mutex_lock(&ev->mu);
  assert_int_equal(ev->kinds[0], 'S');
  assert_int_equal(ev->kinds[ev->n - 1], 'T');
  assert_string_equal(ev->payload[ev->n - 1], "(null)");
  pthread_mutex_unlock(&ev->mu);

  /* A failing query: onQueryTerminated carries the exception; status and metrics show it. */
  df = spate_session_table(s, "result", &err);
  w = spate_df_write_stream(df);
  spate_df_free(df);
  spate_writer_output_mode(w, "update");
  spate_writer_query_name(w, "failing");
  spate_writer_checkpoint_location(w, chk2);
  spate_writer_foreach_batch(w, fail_batch, NULL);
  spate_query *q2 = spate_writer_start(w, &err);
  if (!q2) fail_msg("start: %s", err.message);
  int rc = spate_query_await_termination(q2, 10000, &err);
  assert_true(rc < 0);
  assert_true(wait_for_(ev, 'T', 2, 5000));
  pthread_mutex_lock(&ev->mu);
  assert_non_null(strstr(ev->payload[ev->n - 1], "foreachBatch function failed"));
  pthread_mutex_unlock(&ev->mu);
  st = spate_query_status(q2);
  assert_non_null(strstr(st, "\"message\":\"Terminated with exception: "));
  free(st);
  prom = sp_monitor_prometheus(s);
  snprintf(line, sizeof line, "spate_query_errors_total{query_id=\"%s\",query_name=\"failing\"} 1\n",
           spate_query_id(q2));
  if (!strstr(prom, line)) fail_msg("metrics lack %s:\n%s", line, prom);
  /* The failed batch's rows were read but not processed. */
  snprintf(line, sizeof line, "spate_processed_rows_total{query_id=\"%s\",query_name=\"failing\"} 0\n",
           spate_query_id(q2));
  assert_non_null(strstr(prom, line));
  free(prom);
  char *qj = sp_monitor_queries_json(s);
  assert_non_null(strstr(qj, "foreachBatch function failed"));
  free(qj);

  spate_ui_stop(ui);
  spate_session_free(s);
  events_free_(ev);
  pthread_mutex_destroy(&ev->mu);
  free(ev);
  free(job);
  tu_rm_rf(dir);
}

static void test_ui_bad_address(void **state) {
  (void)state;
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  assert_null(spate_ui_start(s, "127.0.0.1", 70000, &err));
  assert_int_equal(err.code, SPATE_EINVAL);
  spate_ui *a = spate_ui_start(s, "127.0.0.1", 0, &err);
  assert_non_null(a);
  spate_ui *b = spate_ui_start(s, "127.0.0.1", spate_ui_port(a), &err); /* port in use */
  assert_null(b);
  spate_ui_stop(a);
  spate_ui_stop(NULL);
  spate_session_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_progress_key_order),        cmocka_unit_test(test_progress_watermark_state_nan),
      cmocka_unit_test(test_idle_progress_duration_keys), cmocka_unit_test(test_redact_secrets),
      cmocka_unit_test(test_progress_source_metrics),
      cmocka_unit_test(test_running_query),              cmocka_unit_test(test_ui_bad_address),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
