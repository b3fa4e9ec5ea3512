/*
 * spate.h - the public C API of spate, mirroring Spark Structured Streaming's
 * DataFrame streaming API (SparkSession, DataStreamReader, DataFrame,
 * DataStreamWriter, StreamingQuery, StreamingQueryManager), with SQL expression
 * strings where Spark takes Column objects.
 *
 *   spate_session *s = spate_session_new(&err);
 *   spate_conf_set(s, "spark.sql.shuffle.partitions", "2", &err);
 *   spate_reader *r = spate_read_stream(s);
 *   spate_reader_format(r, "socket");
 *   spate_reader_option(r, "host", "localhost");
 *   spate_reader_option(r, "port", "9999");
 *   spate_df *lines = spate_reader_load(r, &err);            // consumes r
 *   const char *w[] = {"explode(split(value, ' ')) AS word"};
 *   spate_df *words = spate_df_select_expr(lines, 1, w, &err);
 *   const char *k[] = {"word"}, *a[] = {"count(*) AS count"};
 *   spate_df *counts = spate_df_group_by_agg(words, 1, k, 1, a, &err);
 *   spate_writer *wr = spate_df_write_stream(counts);
 *   spate_writer_format(wr, "console");
 *   spate_writer_output_mode(wr, "complete");
 *   spate_query *q = spate_writer_start(wr, &err);          // consumes wr
 *   spate_query_await_termination(q, -1, &err);
 *
 * Errors: functions returning int give 0 (or a documented non-negative result)
 * on success and a negative SPATE_E* code on failure; functions returning a
 * pointer give NULL on failure. Either way the optional `spate_error *err` gets
 * a message (SQL errors with line:column and a caret).
 *
 * Thread-safety: a session and its DataFrames/readers/writers are used from one
 * thread at a time. Queries run on their own threads; the spate_query_* functions
 * may be called from any thread. Handles are owned by the caller unless stated.
 */
#ifndef SPATE_SPATE_H
#define SPATE_SPATE_H

#include <stdbool.h>
#include <stdint.h>

#include "spate/arrow_abi.h"
#include "spate/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPATE_VERSION "0.1.0"

typedef struct spate_session spate_session; /* SparkSession */
typedef struct spate_reader spate_reader;   /* DataStreamReader */
typedef struct spate_df spate_df;           /* a streaming DataFrame */
typedef struct spate_writer spate_writer;   /* DataStreamWriter */
typedef struct spate_query spate_query;     /* StreamingQuery */

/* ---- session ---- */

/* New session with its own worker pool (one thread per core). Free with spate_session_free,
 * which stops every active query first. */
spate_session *spate_session_new(spate_error *err);
void spate_session_free(spate_session *s);
/* spark.conf.set / get. Known keys keep Spark's names and defaults (docs/sql.md).
 * get returns a borrowed string (valid until the next set of that key) or NULL. */
int spate_conf_set(spate_session *s, const char *key, const char *value, spate_error *err);
const char *spate_conf_get(const spate_session *s, const char *key);

/* The processing-time clock of a session: Spark's triggerClock (SystemClock, or a
 * ManualClock in Spark's own tests). It gives every trigger's time, the batch
 * timestamp (current_timestamp()), processing-time trigger ticks, the idle-progress
 * interval and spate.watermark.idleTimeout. now_ms returns milliseconds since the Unix
 * epoch and is called from query threads (it must be thread-safe). */
typedef struct spate_clock {
  int64_t (*now_ms)(void *user);
  void *user;
} spate_clock;
/* Queries started after this call use `clock` (copied; NULL: the system clock again).
 * The clock must outlive them. A query waiting for a tick of a custom clock polls it
 * every few milliseconds of real time. */
void spate_session_set_clock(spate_session *s, const spate_clock *clock);

/* A manual clock for tests (thread-safe): time moves only by spate_manual_clock_advance. */
typedef struct spate_manual_clock spate_manual_clock;
spate_manual_clock *spate_manual_clock_new(int64_t start_ms);
void spate_manual_clock_free(spate_manual_clock *c);
int64_t spate_manual_clock_now(spate_manual_clock *c);
void spate_manual_clock_advance(spate_manual_clock *c, int64_t ms);
/* The clock to hand to spate_session_set_clock (borrows c). */
spate_clock spate_manual_clock_as_clock(spate_manual_clock *c);

/* Run job-file text (docs/sql.md): SET, CREATE TEMPORARY VIEW, CREATE STREAMING QUERY.
 * Each CREATE STREAMING QUERY starts a query (see spate_session_active). If a
 * statement fails, earlier ones stay in effect and started queries keep running. */
int spate_sql(spate_session *s, const char *text, spate_error *err);

/* spark.table(name): a DataFrame over a temporary view defined earlier (job text or
 * spate_df_create_temp_view). NULL with SPATE_ENOTFOUND if there is no such view. */
spate_df *spate_session_table(spate_session *s, const char *name, spate_error *err);

/* ---- DataStreamReader ---- */

spate_reader *spate_read_stream(spate_session *s);
int spate_reader_format(spate_reader *r, const char *format);
int spate_reader_option(spate_reader *r, const char *key, const char *value);
/* Spark DDL string, e.g. "a INT, b STRUCT<c: STRING>, d ARRAY<DOUBLE>". */
int spate_reader_schema(spate_reader *r, const char *ddl, spate_error *err);
/* Validate and create the streaming DataFrame. Consumes (frees) r in every case. */
spate_df *spate_reader_load(spate_reader *r, spate_error *err);
void spate_reader_free(spate_reader *r);

/* ---- DataFrame transformations (each returns a new DataFrame; the input stays valid) ---- */

spate_df *spate_df_select_expr(spate_df *df, int n, const char *const *exprs, spate_error *err);
spate_df *spate_df_filter(spate_df *df, const char *condition, spate_error *err);
spate_df *spate_df_with_column(spate_df *df, const char *name, const char *expr, spate_error *err);
spate_df *spate_df_drop(spate_df *df, const char *column, spate_error *err);
/* groupBy(keys...).agg(aggs...): keys and aggregates as SQL expressions ("count(*) AS n"). */
spate_df *spate_df_group_by_agg(spate_df *df, int nkeys, const char *const *keys, int naggs,
                                const char *const *aggs, spate_error *err);
/* withWatermark(eventTimeColumn, delayThreshold) e.g. ("CreatedTime", "30 minutes"). */
spate_df *spate_df_with_watermark(spate_df *df, const char *column, const char *delay, spate_error *err);
/* dropDuplicates(cols) (ncols = 0: all columns) and, with within_watermark,
 * dropDuplicatesWithinWatermark(cols) (spark-semantics.md §6.2). A stateful operator:
 * with the watermarked column among cols (or within_watermark) its state is bounded. */
spate_df *spate_df_drop_duplicates(spate_df *df, int ncols, const char *const *cols, bool within_watermark,
                                   spate_error *err);
/* createOrReplaceTempView: make the DataFrame usable by name in spate_sql. */
int spate_df_create_temp_view(spate_df *df, const char *name, spate_error *err);
/* Schema as a DDL string (malloc'd, caller frees) or NULL on error. */
char *spate_df_schema_ddl(spate_df *df, spate_error *err);
void spate_df_free(spate_df *df);

/* ---- DataStreamWriter ---- */

spate_writer *spate_df_write_stream(spate_df *df);
int spate_writer_format(spate_writer *w, const char *format);
int spate_writer_option(spate_writer *w, const char *key, const char *value);
/* "append" (default), "update" or "complete"; SPATE_EINVAL otherwise. */
int spate_writer_output_mode(spate_writer *w, const char *mode);
int spate_writer_query_name(spate_writer *w, const char *name);
int spate_writer_checkpoint_location(spate_writer *w, const char *path);
/* Trigger.ProcessingTime(ms) (0 = default trigger), Trigger.Once, Trigger.AvailableNow. */
int spate_writer_trigger_processing_time(spate_writer *w, int64_t interval_ms);
int spate_writer_trigger_once(spate_writer *w);
int spate_writer_trigger_available_now(spate_writer *w);

/* foreachBatch: called on the query thread once per micro-batch with the batch id
 * and the batch's rows exported through the Arrow C Data Interface (a struct
 * array: one child per column). The callee takes ownership of both structs and
 * must call their release callbacks. On recovery a re-executed batch arrives again
 * with the same batch_id and rows: use batch_id to make writes idempotent
 * (delivery is at-least-once). Return 0, or non-zero to fail the query. */
typedef int (*spate_foreach_batch_fn)(void *user, int64_t batch_id, struct ArrowSchema *schema,
                                      struct ArrowArray *array);
int spate_writer_foreach_batch(spate_writer *w, spate_foreach_batch_fn fn, void *user);

/* foreach (Spark's ForeachWriter, spark-semantics.md §2.5). For every micro-batch
 * (epoch) and every output partition, on the query thread, one partition at a time:
 *   open(user, partition_id, epoch_id) -> true to receive the partition's rows;
 *   process(user, schema, rows, row) once per row (only if open returned true);
 *   close(user, error) exactly once whenever open was called, whatever it returned.
 * epoch_id is the batch id. process gets the whole partition as an Arrow C Data
 * Interface struct array (one child per column, as foreachBatch) plus the index of
 * the row to handle: schema and rows are BORROWED, valid until close returns for that
 * partition, and must not be released or modified (copy what you keep; the same
 * pointers are passed for every row of the partition). process returns 0, or non-zero
 * to stop: the partition's remaining rows are skipped, close gets the error message
 * and the query fails. close's error is NULL after success or when open returned
 * false; a borrowed message otherwise. close returns 0, or non-zero to fail the query.
 * Any callback but process may be NULL (open NULL = always true).
 * Delivery is at-least-once: after a crash the batch is re-executed with the same
 * epoch_id and rows, possibly partitioned differently - deduplicate on epoch_id (and
 * the row's own key), never on (partition_id, epoch_id). `fw` is copied. */
typedef struct spate_foreach_writer {
  bool (*open)(void *user, int64_t partition_id, int64_t epoch_id);
  int (*process)(void *user, const struct ArrowSchema *schema, const struct ArrowArray *rows, int64_t row);
  int (*close)(void *user, const char *error);
} spate_foreach_writer;
int spate_writer_foreach(spate_writer *w, const spate_foreach_writer *fw, void *user);

/* Start the query (validates the plan, output mode, sink options and checkpoint
 * before returning). Consumes w in every case. The query runs on its own thread. */
spate_query *spate_writer_start(spate_writer *w, spate_error *err);
void spate_writer_free(spate_writer *w);

/* ---- StreamingQuery ---- */

const char *spate_query_id(const spate_query *q);     /* stable across restarts (checkpoint metadata) */
const char *spate_query_run_id(const spate_query *q); /* new for every start */
const char *spate_query_name(const spate_query *q);   /* NULL if unnamed */
bool spate_query_is_active(spate_query *q);
/* Wait for termination: timeout_ms < 0 waits forever. Returns 1 if terminated
 * normally, 0 on timeout, or the query's negative error code (message in err). */
int spate_query_await_termination(spate_query *q, int64_t timeout_ms, spate_error *err);
/* Graceful stop: the batch in flight completes and commits, then the query ends.
 * Blocks until stopped. */
int spate_query_stop(spate_query *q);
/* processAllAvailable(): block until every source's currently available data is
 * processed and committed. */
int spate_query_process_all_available(spate_query *q, spate_error *err);
/* StreamingQueryProgress JSON of the last batch (malloc'd; NULL if none). */
char *spate_query_last_progress(spate_query *q);
/* JSON array of the last spark.sql.streaming.numRecentProgressUpdates progresses (malloc'd). */
char *spate_query_recent_progress(spate_query *q);
/* StreamingQueryStatus JSON {"message":...,"isDataAvailable":...,"isTriggerActive":...} (malloc'd). */
char *spate_query_status(spate_query *q);
/* The exception that terminated the query: 0 if none, else its code and message. */
int spate_query_exception(spate_query *q, spate_error *err);
/* Logical plan text (malloc'd); once the query ran and terminated, followed by the
 * state each stateful operator holds (rows, bytes, stores) - `spate explain --analyze`. */
char *spate_query_explain(spate_query *q);
/* Every query started in the session, running or terminated (fills out[0..cap),
 * returns the count). Handles stay valid until spate_session_free. */
int spate_session_queries(spate_session *s, spate_query **out, int cap);

/* ---- StreamingQueryManager (spark.streams) ---- */

/* Active queries (borrowed handles, valid until the session is freed). Returns the count. */
int spate_session_active(spate_session *s, spate_query **out, int cap);
/* Wait until any query terminates (timeout_ms < 0: forever). Returns 1, 0 on timeout,
 * or the failed query's error code. */
int spate_session_await_any_termination(spate_session *s, int64_t timeout_ms, spate_error *err);
/* Stop every active query gracefully. */
void spate_session_stop_all(spate_session *s);

/* ---- listeners (StreamingQueryListener) ---- */

/* Callbacks run on the query's thread (onQueryStarted: the thread calling start).
 * Any callback may be NULL. Strings are borrowed for the duration of the call.
 *  - on_started: before start returns (QueryStartedEvent);
 *  - on_progress: each StreamingQueryProgress JSON (also the idle-trigger progress,
 *    at most every spark.sql.streaming.noDataProgressEventInterval);
 *  - on_idle: an idle trigger, at most every noDataProgressEventInterval
 *    (QueryIdleEvent; `timestamp` as progress timestamps, UTC);
 *  - on_terminated: on stop or failure, after every other event of the run;
 *    `exception` is NULL on a clean stop, else the error message. */
typedef struct spate_listener {
  void *user;
  void (*on_started)(void *user, const char *id, const char *run_id, const char *name);
  void (*on_progress)(void *user, const char *progress_json);
  void (*on_terminated)(void *user, const char *id, const char *run_id, const char *exception);
  void (*on_idle)(void *user, const char *id, const char *run_id, const char *timestamp);
} spate_listener;
/* Register a listener (copied). At most 16 per session. */
int spate_session_add_listener(spate_session *s, const spate_listener *l, spate_error *err);

/* ---- monitoring (docs/monitoring.md) ---- */

/* Copy of text with the values of keys containing "sasl", "ssl", "password" or
 * "secret" (case-insensitive; key=value, key: value, "key":"value", key 'value')
 * replaced by "*********(redacted)". malloc'd; NULL on OOM or NULL text. */
char *spate_redact_secrets(const char *text);

typedef struct spate_ui spate_ui;
/* Serve the session's monitoring endpoints over HTTP (libmicrohttpd) on host:port:
 * `/` (page with live charts), `/api/queries`, `/api/queries/<id>/progress` and
 * `/metrics` (Prometheus text format). host NULL or "" binds 127.0.0.1; port 0
 * picks a free port (see spate_ui_port). Stop it before freeing the session. */
spate_ui *spate_ui_start(spate_session *s, const char *host, int port, spate_error *err);
/* The port the server listens on. */
int spate_ui_port(const spate_ui *ui);
/* Stop serving (waits for requests in flight) and free. NULL is a no-op. */
void spate_ui_stop(spate_ui *ui);

/* ---- job files ---- */

/* Substitute ${name} and ${name:-default} in text (n name/value pairs; later pairs win).
 * *out is malloc'd. An unset variable without default is SPATE_EINVAL naming it and its
 * line:column. */
int spate_substitute_vars(const char *text, const char *const *names, const char *const *values, int n,
                          char **out, spate_error *err);
/* Run the SET / CREATE VIEW statements of `text` and return the plans of its
 * CREATE STREAMING QUERY statements as text (malloc'd), without starting them. */
char *spate_explain_sql(spate_session *s, const char *text, spate_error *err);

/* ---- memory sink tables ---- */

/* Current contents of the memory-sink table `name` (queryName), exported as an
 * Arrow struct array. Caller releases both structs. SPATE_ENOTFOUND if absent. */
int spate_memory_table(spate_session *s, const char *name, struct ArrowSchema *schema, struct ArrowArray *array,
                       spate_error *err);

#ifdef __cplusplus
}
#endif
#endif
