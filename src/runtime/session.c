/*
 * session.c - the public API (include/spate/spate.h): sessions, job text,
 * DataStreamReader, DataFrame transformations, DataStreamWriter, queries.
 *
 * DataFrames are views: every DataFrame is a temporary view named "__df<N>" in
 * the session catalog, defined by generated SQL over its parent
 * ("SELECT <exprs> FROM __df3"). The C API and job files therefore share one
 * parser, analyzer and planner, and an error in a DataFrame expression is
 * reported with a caret in the generated SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arrow_export.h"
#include "common/buf.h"
#include "runtime/runtime.h"
#include "sink/memory_registry.h"
#include "sql/parser.h"

struct spate_reader {
  spate_session *s;
  char *format;
  sp_buf options; /* "key 'value', ..." */
  char *schema_ddl;
};

struct spate_df {
  spate_session *s;
  char *view; /* catalog name */
};

struct spate_writer {
  spate_session *s;
  char *view;
  char *format;
  int nopts;
  char **keys, **values;
  sp_output_mode mode;
  sp_ast_trigger_kind trigger;
  int64_t interval_ms;
  char *checkpoint;
  char *name;
  spate_foreach_batch_fn fb;
  void *fb_user;
  spate_foreach_writer fw; /* foreach: valid when has_fw */
  bool has_fw;
  void *fw_user;
};

/* ---- session ---- */

spate_session *spate_session_new(spate_error *err) {
  spate_session *s = calloc(1, sizeof *s);
  if (!s) {
    spate_error_set(err, SPATE_ENOMEM, "out of memory");
    return NULL;
  }
  sp_conf_init(&s->conf);
  sp_catalog_init(&s->catalog);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->terminated, NULL);
  s->pool = sp_pool_new(-1);
  s->memory_registry = sp_memory_registry_new();
  if (!s->pool || !s->memory_registry) {
    spate_session_free(s);
    spate_error_set(err, SPATE_ENOMEM, "cannot create the session's worker pool");
    return NULL;
  }
  return s;
}

void spate_session_free(spate_session *s) {
  if (!s) return;
  spate_session_stop_all(s);
  for (int i = 0; i < s->nqueries; i++) sp_query_destroy(s->queries[i]);
  free(s->queries);
  sp_catalog_release(&s->catalog);
  for (int i = 0; i < s->nscripts; i++) sp_ast_script_free(s->scripts[i]);
  free(s->scripts);
  sp_pool_free(s->pool);
  if (s->memory_registry) sp_memory_registry_free(s->memory_registry);
  sp_conf_release(&s->conf);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->terminated);
  free(s);
}

int spate_conf_set(spate_session *s, const char *key, const char *value, spate_error *err) {
  if (!key || !*key) return spate_error_set(err, SPATE_EINVAL, "configuration key must not be empty");
  if (sp_conf_set(&s->conf, key, value ? value : "")) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  return 0;
}

const char *spate_conf_get(const spate_session *s, const char *key) { return sp_conf_get(&s->conf, key); }

static int keep_script_(spate_session *s, sp_ast_script *sc) {
  if (s->nscripts == s->capscripts) {
    int cap = s->capscripts ? s->capscripts * 2 : 8;
    sp_ast_script **n = realloc(s->scripts, (size_t)cap * sizeof *n);
    if (!n) return SPATE_ENOMEM;
    s->scripts = n;
    s->capscripts = cap;
  }
  s->scripts[s->nscripts++] = sc;
  return 0;
}

static sp_output_mode mode_of_(const char *m, bool *ok) {
  *ok = true;
  if (!m || !strcasecmp(m, "append")) return SP_MODE_APPEND;
  if (!strcasecmp(m, "update")) return SP_MODE_UPDATE;
  if (!strcasecmp(m, "complete")) return SP_MODE_COMPLETE;
  *ok = false;
  return SP_MODE_APPEND;
}

/* Analyze a SELECT and start a query with the given sink description. */
static int start_query_(spate_session *s, const sp_ast_select *sel, const char *text, const char *format,
                        int nopts, const char *const *keys, const char *const *values, sp_output_mode mode,
                        sp_ast_trigger_kind trig, int64_t interval_ms, const char *checkpoint, const char *name,
                        spate_foreach_batch_fn fb, void *fb_user, const spate_foreach_writer *fw,
                        void *fw_user, spate_query **out, spate_error *err);

static int run_stmt_(spate_session *s, const sp_ast_stmt *st, const char *text, spate_error *err) {
  switch (st->kind) {
    case SP_STMT_SET:
      return spate_conf_set(s, st->set_key, st->set_value, err);
    case SP_STMT_SOURCE_VIEW:
    case SP_STMT_QUERY_VIEW:
      return sp_catalog_add(&s->catalog, st, text, err);
    case SP_STMT_START_QUERY: {
      bool ok;
      sp_output_mode mode = mode_of_(st->output_mode, &ok);
      if (!ok)
        return sp_sql_error_at(err, SPATE_EINVAL, text, st->pos, "unknown output mode '%s'", st->output_mode);
      const char **keys = calloc((size_t)st->noptions + 1, sizeof *keys);
      const char **vals = calloc((size_t)st->noptions + 1, sizeof *vals);
      if (!keys || !vals) {
        free(keys);
        free(vals);
        return spate_error_set(err, SPATE_ENOMEM, "out of memory");
      }
      for (int i = 0; i < st->noptions; i++) {
        keys[i] = st->options[i].key;
        vals[i] = st->options[i].value;
      }
      /* OPTIONS (checkpointLocation '...') is writeStream.option("checkpointLocation", ...):
       * the same as the CHECKPOINT LOCATION clause. */
      const char *checkpoint = st->checkpoint;
      for (int i = 0; i < st->noptions; i++) {
        if (strcasecmp(keys[i], "checkpointLocation") != 0) continue;
        if (checkpoint && strcmp(checkpoint, vals[i]) != 0) {
          int erc = sp_sql_error_at(err, SPATE_EINVAL, text, st->options[i].pos,
                                    "checkpointLocation is given twice with different values: '%s' (CHECKPOINT "
                                    "LOCATION) and '%s' (OPTIONS)",
                                    checkpoint, vals[i]);
          free(keys);
          free(vals);
          return erc;
        }
        checkpoint = vals[i];
      }
      spate_query *q = NULL;
      int rc = start_query_(s, st->select, text, st->format, st->noptions, keys, vals, mode, st->trigger,
                            st->trigger_interval_us / 1000, checkpoint, st->name, NULL, NULL, NULL, NULL, &q, err);
      free(keys);
      free(vals);
      if (rc && st->name) spate_error_prefix(err, "query `%s`", st->name);
      return rc;
    }
  }
  return spate_error_set(err, SPATE_EINVAL, "unknown statement");
}

int spate_sql(spate_session *s, const char *text, spate_error *err) {
  sp_ast_script *sc = NULL;
  int rc = sp_parse_script(text, strlen(text), &sc, err);
  if (rc) return rc;
  if (keep_script_(s, sc)) {
    sp_ast_script_free(sc);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  for (int i = 0; i < sc->nstmts; i++) {
    rc = run_stmt_(s, &sc->stmts[i], sc->text, err);
    if (rc) return rc;
  }
  return 0;
}

/* ---- queries ---- */

static int sink_spec_foreach_(void *user, int64_t batch_id, const sp_batch *const *parts, int nparts,
                              spate_error *err);

typedef struct fb_user {
  spate_foreach_batch_fn fn;
  void *user;
} fb_user;

static int start_query_(spate_session *s, const sp_ast_select *sel, const char *text, const char *format,
                        int nopts, const char *const *keys, const char *const *values, sp_output_mode mode,
                        sp_ast_trigger_kind trig, int64_t interval_ms, const char *checkpoint, const char *name,
                        spate_foreach_batch_fn fb, void *fb_user_ptr, const spate_foreach_writer *fw,
                        void *fw_user, spate_query **out, spate_error *err) {
  sp_analyze_opts ao = {&s->catalog, &s->conf};
  sp_plan *plan = NULL;
  int rc = sp_analyze(&ao, sel, text, &plan, err);
  if (rc) return rc;
  sp_sink_spec ss;
  memset(&ss, 0, sizeof ss);
  ss.format = format ? format : "parquet";
  ss.noptions = nopts;
  ss.keys = keys;
  ss.values = values;
  ss.query_name = name;
  ss.conf = &s->conf;
  ss.memory_registry = s->memory_registry;
  ss.checkpoint = checkpoint;
  ss.pool = s->pool;
  if (fb) {
    /* The wrapper lives in a session-owned arena: it must outlive the query. */
    sp_ast_script *holder = sp_ast_script_new();
    fb_user *fu = holder ? sp_arena_alloc(&holder->arena, sizeof *fu) : NULL;
    if (!fu || keep_script_(s, holder)) {
      if (holder) sp_ast_script_free(holder);
      sp_plan_free(plan);
      return spate_error_set(err, SPATE_ENOMEM, "out of memory");
    }
    fu->fn = fb;
    fu->user = fb_user_ptr;
    ss.format = "foreachBatch";
    ss.foreach_batch = sink_spec_foreach_;
    ss.foreach_batch_user = fu;
  } else if (fw) {
    ss.format = "foreach";
    ss.foreach_writer = fw; /* copied by the sink */
    ss.foreach_writer_user = fw_user;
  }
  sp_sink *sink = NULL;
  rc = sp_sink_create(&ss, &sink, err);
  if (rc) {
    sp_plan_free(plan);
    return rc;
  }
  /* spate.trigger.override (set by `spate run --trigger`): catch-up runs and tests. */
  const char *ov = sp_conf_get(&s->conf, "spate.trigger.override");
  if (ov && *ov) {
    if (!strcasecmp(ov, "available-now") || !strcasecmp(ov, "availableNow")) {
      trig = SP_TRIGGER_AVAILABLE_NOW;
    } else if (!strcasecmp(ov, "once")) {
      trig = SP_TRIGGER_ONCE;
    } else if (!strncasecmp(ov, "processing-time:", 16)) {
      int64_t us = 0;
      rc = sp_parse_interval(ov + 16, &us, err);
      if (rc) {
        sp_sink_free(sink);
        sp_plan_free(plan);
        return rc;
      }
      trig = us ? SP_TRIGGER_PROCESSING_TIME : SP_TRIGGER_DEFAULT;
      interval_ms = us / 1000;
    } else {
      sp_sink_free(sink);
      sp_plan_free(plan);
      return spate_error_set(err, SPATE_EINVAL,
                             "invalid trigger override '%s' (expected available-now, once or "
                             "processing-time:<interval>)",
                             ov);
    }
  }
  sp_query_spec qs = {plan, sink, mode, trig, interval_ms, checkpoint, name};
  rc = sp_query_start(s, &qs, out, err);
  return rc;
}

static int sink_spec_foreach_(void *user, int64_t batch_id, const sp_batch *const *parts, int nparts,
                              spate_error *err) {
  fb_user *fu = user;
  /* Concatenate the partitions into one Arrow struct array. */
  sp_type *schema = NULL;
  for (int i = 0; i < nparts && !schema; i++)
    if (parts[i]) schema = parts[i]->schema;
  if (!schema) return 0;
  sp_batch *all = sp_batch_new(schema, 0);
  if (!all) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < nparts; i++)
    if (parts[i]) sp_batch_append(all, parts[i]);
  struct ArrowSchema as;
  struct ArrowArray aa;
  int rc = sp_batch_check(all) ? SPATE_ENOMEM : sp_arrow_export_batch(all, &as, &aa);
  sp_batch_free(all);
  if (rc) return spate_error_set(err, SPATE_ENOMEM, "out of memory exporting batch %lld", (long long)batch_id);
  rc = fu->fn(fu->user, batch_id, &as, &aa);
  if (rc) return spate_error_set(err, SPATE_ERUNTIME, "foreachBatch function failed for batch %lld with code %d",
                                 (long long)batch_id, rc);
  return 0;
}

const char *spate_query_id(const spate_query *q) { return q->id; }
const char *spate_query_run_id(const spate_query *q) { return q->run_id; }
const char *spate_query_name(const spate_query *q) { return q->name; }

bool spate_query_is_active(spate_query *q) {
  pthread_mutex_lock(&q->mu);
  bool a = q->active;
  pthread_mutex_unlock(&q->mu);
  return a;
}

static void deadline_(struct timespec *ts, int64_t ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (ms % 1000) * 1000000;
  if (ts->tv_nsec >= 1000000000) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000;
  }
}

int spate_query_await_termination(spate_query *q, int64_t timeout_ms, spate_error *err) {
  struct timespec ts;
  if (timeout_ms >= 0) deadline_(&ts, timeout_ms);
  pthread_mutex_lock(&q->mu);
  while (!q->terminated) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&q->cond, &q->mu);
    } else if (pthread_cond_timedwait(&q->cond, &q->mu, &ts) != 0) {
      break;
    }
  }
  int rc = q->terminated ? (q->exit_rc ? q->exit_rc : 1) : 0;
  if (q->terminated && q->exit_rc && err) {
    err->code = q->exit_rc;
    /* Bounded precision: the cause is cut, not the prefix, when the message is long. */
    snprintf(err->message, sizeof err->message, "Query [id = %.40s, runId = %.40s] terminated with exception: %.900s",
             q->id, q->run_id, q->exit_err.message);
  }
  pthread_mutex_unlock(&q->mu);
  return rc;
}

int spate_query_stop(spate_query *q) {
  pthread_mutex_lock(&q->mu);
  q->stop_requested = true;
  pthread_cond_broadcast(&q->cond);
  while (!q->terminated) pthread_cond_wait(&q->cond, &q->mu);
  pthread_mutex_unlock(&q->mu);
  return 0;
}

int spate_query_process_all_available(spate_query *q, spate_error *err) {
  pthread_mutex_lock(&q->mu);
  /* Done when a trigger that started after this call found no new data. */
  int64_t start = q->trigger_seq;
  while (!q->terminated && q->idle_seq <= start) pthread_cond_wait(&q->cond, &q->mu);
  int rc = q->terminated && q->exit_rc ? q->exit_rc : 0;
  if (rc) spate_error_set(err, rc, "%s", q->exit_err.message);
  pthread_mutex_unlock(&q->mu);
  return rc;
}

char *spate_query_last_progress(spate_query *q) {
  pthread_mutex_lock(&q->mu);
  char *r = NULL;
  if (q->nprogress > 0) r = strdup(q->progress[(q->progress_head + q->nprogress - 1) % q->capprogress]);
  pthread_mutex_unlock(&q->mu);
  return r;
}

char *spate_query_recent_progress(spate_query *q) {
  sp_buf b;
  sp_buf_init(&b);
  pthread_mutex_lock(&q->mu);
  sp_buf_putc(&b, '[');
  for (int i = 0; i < q->nprogress; i++) {
    if (i) sp_buf_putc(&b, ',');
    sp_buf_puts(&b, q->progress[(q->progress_head + i) % q->capprogress]);
  }
  sp_buf_putc(&b, ']');
  pthread_mutex_unlock(&q->mu);
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return NULL;
  }
  return sp_buf_steal(&b);
}

char *spate_query_status(spate_query *q) {
  sp_buf b;
  sp_buf_init(&b);
  pthread_mutex_lock(&q->mu);
  sp_buf_puts(&b, "{\"message\":\"");
  for (const char *p = q->status_message; *p; p++) {
    if (*p == '"' || *p == '\\') sp_buf_putc(&b, '\\');
    if ((unsigned char)*p >= 0x20) sp_buf_putc(&b, *p);
  }
  sp_buf_printf(&b, "\",\"isDataAvailable\":%s,\"isTriggerActive\":%s}", q->is_data_available ? "true" : "false",
                q->is_trigger_active ? "true" : "false");
  pthread_mutex_unlock(&q->mu);
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return NULL;
  }
  return sp_buf_steal(&b);
}

int spate_query_exception(spate_query *q, spate_error *err) {
  pthread_mutex_lock(&q->mu);
  int rc = q->terminated ? q->exit_rc : 0;
  if (rc) spate_error_set(err, rc, "%s", q->exit_err.message);
  pthread_mutex_unlock(&q->mu);
  return rc;
}

char *spate_query_explain(spate_query *q) {
  sp_buf b;
  sp_buf_init(&b);
  sp_plan_explain(q->plan, &b);
  /* explain --analyze: the state each stateful operator holds now. */
  pthread_mutex_lock(&q->mu);
  bool ran = q->committed_batches > 0;
  pthread_mutex_unlock(&q->mu);
  if (q->nops > 0 && ran && (q->terminated || !q->active)) {
    sp_buf_puts(&b, "== State ==\n");
    for (int i = 0; i < q->nops; i++) {
      const sp_stateful *op = q->ops[i];
      sp_state_metrics m;
      sp_stateful_metrics(op, &m);
      sp_buf_printf(&b,
                    "stateful operator %d (%s): %lld rows, %lld bytes in %d state stores; last batch: "
                    "%lld updated, %lld removed, %lld dropped by watermark\n",
                    op->node->op_id, op->operator_name, (long long)m.num_rows_total, (long long)m.memory_used_bytes,
                    op->num_partitions, (long long)m.num_rows_updated, (long long)m.num_rows_removed,
                    (long long)m.num_rows_dropped_by_watermark);
    }
  }
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return NULL;
  }
  return sp_buf_steal(&b);
}

int spate_session_queries(spate_session *s, spate_query **out, int cap) {
  pthread_mutex_lock(&s->mu);
  int n = s->nqueries;
  for (int i = 0; i < n && i < cap; i++) out[i] = s->queries[i];
  pthread_mutex_unlock(&s->mu);
  return n;
}

int spate_session_active(spate_session *s, spate_query **out, int cap) {
  pthread_mutex_lock(&s->mu);
  int n = 0;
  for (int i = 0; i < s->nqueries; i++) {
    if (!spate_query_is_active(s->queries[i])) continue;
    if (n < cap) out[n] = s->queries[i];
    n++;
  }
  pthread_mutex_unlock(&s->mu);
  return n;
}

int spate_session_await_any_termination(spate_session *s, int64_t timeout_ms, spate_error *err) {
  struct timespec ts;
  if (timeout_ms >= 0) deadline_(&ts, timeout_ms);
  pthread_mutex_lock(&s->mu);
  while (!s->any_terminated) {
    if (timeout_ms < 0) {
      pthread_cond_wait(&s->terminated, &s->mu);
    } else if (pthread_cond_timedwait(&s->terminated, &s->mu, &ts) != 0) {
      break;
    }
  }
  int rc = s->any_terminated ? (s->last_terminated_rc ? s->last_terminated_rc : 1) : 0;
  if (rc < 0 && err) *err = s->last_terminated_err;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

void spate_session_stop_all(spate_session *s) {
  pthread_mutex_lock(&s->mu);
  int n = s->nqueries;
  spate_query **qs = malloc((size_t)(n ? n : 1) * sizeof *qs);
  if (qs && n) memcpy(qs, s->queries, (size_t)n * sizeof *qs);
  pthread_mutex_unlock(&s->mu);
  if (!qs) return;
  /* Ask all first so they stop in parallel, then wait. */
  for (int i = 0; i < n; i++) {
    pthread_mutex_lock(&qs[i]->mu);
    qs[i]->stop_requested = true;
    pthread_cond_broadcast(&qs[i]->cond);
    pthread_mutex_unlock(&qs[i]->mu);
  }
  for (int i = 0; i < n; i++) spate_query_stop(qs[i]);
  free(qs);
}

int spate_memory_table(spate_session *s, const char *name, struct ArrowSchema *schema, struct ArrowArray *array,
                       spate_error *err) {
  sp_batch *b = NULL;
  int rc = sp_memory_registry_snapshot(s->memory_registry, name, &b);
  if (rc) return spate_error_set(err, SPATE_ENOTFOUND, "no memory table named '%s'", name);
  rc = sp_arrow_export_batch(b, schema, array);
  sp_batch_free(b);
  return rc ? spate_error_set(err, rc, "cannot export memory table '%s'", name) : 0;
}

/* ---- DataFrames ---- */

/* Define a new DataFrame view from SQL text "CREATE TEMPORARY VIEW <name> AS <select>". */
static spate_df *define_view_(spate_session *s, const char *select_sql, spate_error *err) {
  spate_df *df = calloc(1, sizeof *df);
  if (!df) goto oom;
  char name[32];
  snprintf(name, sizeof name, "__df%d", ++s->next_df_id);
  df->s = s;
  df->view = strdup(name);
  if (!df->view) goto oom;
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "CREATE TEMPORARY VIEW %s AS %s", name, select_sql);
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    goto oom;
  }
  int rc = spate_sql(s, b.data, err);
  sp_buf_free(&b);
  if (rc) {
    spate_df_free(df);
    return NULL;
  }
  return df;
oom:
  spate_df_free(df);
  spate_error_set(err, SPATE_ENOMEM, "out of memory");
  return NULL;
}

spate_df *spate_session_table(spate_session *s, const char *name, spate_error *err) {
  if (!sp_catalog_find(&s->catalog, name)) {
    spate_error_set(err, SPATE_ENOTFOUND, "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found.", name);
    return NULL;
  }
  spate_df *df = calloc(1, sizeof *df);
  if (!df || !(df->view = strdup(name))) {
    free(df);
    spate_error_set(err, SPATE_ENOMEM, "out of memory");
    return NULL;
  }
  df->s = s;
  return df;
}

void spate_df_free(spate_df *df) {
  if (!df) return;
  free(df->view);
  free(df);
}

static void quote_ident_(sp_buf *b, const char *name) {
  sp_buf_putc(b, '`');
  for (const char *p = name; *p; p++) {
    if (*p == '`') sp_buf_putc(b, '`');
    sp_buf_putc(b, *p);
  }
  sp_buf_putc(b, '`');
}

spate_df *spate_df_select_expr(spate_df *df, int n, const char *const *exprs, spate_error *err) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "SELECT ");
  for (int i = 0; i < n; i++) {
    if (i) sp_buf_puts(&b, ", ");
    sp_buf_puts(&b, exprs[i]);
  }
  sp_buf_printf(&b, " FROM %s", df->view);
  spate_df *r = sp_buf_check(&b) ? NULL : define_view_(df->s, b.data, err);
  sp_buf_free(&b);
  return r;
}

spate_df *spate_df_filter(spate_df *df, const char *condition, spate_error *err) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "SELECT * FROM %s WHERE %s", df->view, condition);
  spate_df *r = sp_buf_check(&b) ? NULL : define_view_(df->s, b.data, err);
  sp_buf_free(&b);
  return r;
}

/* Analyze a DataFrame's view to learn its schema (new reference). */
static sp_type *df_schema_(spate_df *df, spate_error *err) {
  sp_ast_script *sc = NULL;
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "CREATE TEMPORARY VIEW __schema_probe AS SELECT * FROM %s", df->view);
  int rc = sp_parse_script(b.data, b.len, &sc, err);
  sp_buf_free(&b);
  if (rc) return NULL;
  sp_analyze_opts ao = {&df->s->catalog, &df->s->conf};
  sp_plan *plan = NULL;
  rc = sp_analyze(&ao, sc->stmts[0].select, sc->text, &plan, err);
  sp_type *t = rc ? NULL : sp_type_ref(plan->root->schema);
  sp_plan_free(plan);
  sp_ast_script_free(sc);
  return t;
}

char *spate_df_schema_ddl(spate_df *df, spate_error *err) {
  sp_type *t = df_schema_(df, err);
  if (!t) return NULL;
  size_t n = sp_type_to_ddl(t, NULL, 0) + 1;
  char *out = malloc(n);
  if (out) sp_type_to_ddl(t, out, n);
  sp_type_unref(t);
  return out;
}

spate_df *spate_df_with_column(spate_df *df, const char *name, const char *expr, spate_error *err) {
  sp_type *t = df_schema_(df, err);
  if (!t) return NULL;
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "SELECT ");
  bool replaced = false;
  for (int i = 0; i < t->nfields; i++) {
    if (i) sp_buf_puts(&b, ", ");
    if (strcasecmp(t->fields[i].name, name) == 0) {
      sp_buf_printf(&b, "%s AS ", expr);
      quote_ident_(&b, name);
      replaced = true;
    } else {
      quote_ident_(&b, t->fields[i].name);
    }
  }
  if (!replaced) {
    sp_buf_printf(&b, "%s%s AS ", t->nfields ? ", " : "", expr);
    quote_ident_(&b, name);
  }
  sp_buf_printf(&b, " FROM %s", df->view);
  sp_type_unref(t);
  spate_df *r = sp_buf_check(&b) ? NULL : define_view_(df->s, b.data, err);
  sp_buf_free(&b);
  return r;
}

spate_df *spate_df_drop(spate_df *df, const char *column, spate_error *err) {
  sp_type *t = df_schema_(df, err);
  if (!t) return NULL;
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "SELECT ");
  int k = 0;
  for (int i = 0; i < t->nfields; i++) {
    if (strcasecmp(t->fields[i].name, column) == 0) continue;
    if (k++) sp_buf_puts(&b, ", ");
    quote_ident_(&b, t->fields[i].name);
  }
  sp_buf_printf(&b, " FROM %s", df->view);
  sp_type_unref(t);
  spate_df *r = NULL;
  if (k == 0)
    spate_error_set(err, SPATE_EANALYSIS, "cannot drop the only column `%s`", column);
  else if (!sp_buf_check(&b))
    r = define_view_(df->s, b.data, err);
  sp_buf_free(&b);
  return r;
}

spate_df *spate_df_group_by_agg(spate_df *df, int nkeys, const char *const *keys, int naggs,
                                const char *const *aggs, spate_error *err) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "SELECT ");
  for (int i = 0; i < nkeys; i++) sp_buf_printf(&b, "%s%s", i ? ", " : "", keys[i]);
  for (int i = 0; i < naggs; i++) sp_buf_printf(&b, "%s%s", (i || nkeys) ? ", " : "", aggs[i]);
  sp_buf_printf(&b, " FROM %s", df->view);
  if (nkeys) {
    sp_buf_puts(&b, " GROUP BY ");
    for (int i = 0; i < nkeys; i++) sp_buf_printf(&b, "%s%s", i ? ", " : "", keys[i]);
  }
  spate_df *r = sp_buf_check(&b) ? NULL : define_view_(df->s, b.data, err);
  sp_buf_free(&b);
  return r;
}

spate_df *spate_df_with_watermark(spate_df *df, const char *column, const char *delay, spate_error *err) {
  spate_df *r = calloc(1, sizeof *r);
  if (!r) {
    spate_error_set(err, SPATE_ENOMEM, "out of memory");
    return NULL;
  }
  char name[32];
  snprintf(name, sizeof name, "__df%d", ++df->s->next_df_id);
  r->s = df->s;
  r->view = strdup(name);
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "CREATE TEMPORARY VIEW %s WATERMARK ", name);
  quote_ident_(&b, column);
  sp_buf_puts(&b, " DELAY OF '");
  for (const char *p = delay; *p; p++) {
    if (*p == '\'') sp_buf_putc(&b, '\\');
    sp_buf_putc(&b, *p);
  }
  sp_buf_printf(&b, "' AS SELECT * FROM %s", df->view);
  int rc = (!r->view || sp_buf_check(&b)) ? spate_error_set(err, SPATE_ENOMEM, "out of memory")
                                          : spate_sql(df->s, b.data, err);
  sp_buf_free(&b);
  if (rc) {
    spate_df_free(r);
    return NULL;
  }
  return r;
}

spate_df *spate_df_drop_duplicates(spate_df *df, int ncols, const char *const *cols, bool within_watermark,
                                   spate_error *err) {
  spate_df *r = calloc(1, sizeof *r);
  if (!r) {
    spate_error_set(err, SPATE_ENOMEM, "out of memory");
    return NULL;
  }
  char name[32];
  snprintf(name, sizeof name, "__df%d", ++df->s->next_df_id);
  r->s = df->s;
  r->view = strdup(name);
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "CREATE TEMPORARY VIEW %s AS SELECT * FROM %s DROP DUPLICATES%s", name, df->view,
                within_watermark ? " WITHIN WATERMARK" : "");
  for (int i = 0; i < ncols; i++) {
    sp_buf_puts(&b, i ? ", " : " (");
    quote_ident_(&b, cols[i]);
  }
  if (ncols > 0) sp_buf_puts(&b, ")");
  int rc = (!r->view || sp_buf_check(&b)) ? spate_error_set(err, SPATE_ENOMEM, "out of memory")
                                          : spate_sql(df->s, b.data, err);
  sp_buf_free(&b);
  if (rc) {
    spate_df_free(r);
    return NULL;
  }
  return r;
}

int spate_df_create_temp_view(spate_df *df, const char *name, spate_error *err) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "CREATE OR REPLACE TEMPORARY VIEW ");
  quote_ident_(&b, name);
  sp_buf_printf(&b, " AS SELECT * FROM %s", df->view);
  int rc = sp_buf_check(&b) ? spate_error_set(err, SPATE_ENOMEM, "out of memory") : spate_sql(df->s, b.data, err);
  sp_buf_free(&b);
  return rc;
}

/* ---- reader ---- */

spate_reader *spate_read_stream(spate_session *s) {
  spate_reader *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->s = s;
  sp_buf_init(&r->options);
  return r;
}

void spate_reader_free(spate_reader *r) {
  if (!r) return;
  free(r->format);
  free(r->schema_ddl);
  sp_buf_free(&r->options);
  free(r);
}

int spate_reader_format(spate_reader *r, const char *format) {
  char *f = strdup(format);
  if (!f) return SPATE_ENOMEM;
  free(r->format);
  r->format = f;
  return 0;
}

static void sql_string_(sp_buf *b, const char *v) {
  sp_buf_putc(b, '\'');
  for (const char *p = v; *p; p++) {
    if (*p == '\'' || *p == '\\') sp_buf_putc(b, '\\');
    sp_buf_putc(b, *p);
  }
  sp_buf_putc(b, '\'');
}

int spate_reader_option(spate_reader *r, const char *key, const char *value) {
  if (r->options.len) sp_buf_puts(&r->options, ", ");
  quote_ident_(&r->options, key);
  sp_buf_putc(&r->options, ' ');
  sql_string_(&r->options, value);
  return sp_buf_check(&r->options);
}

int spate_reader_schema(spate_reader *r, const char *ddl, spate_error *err) {
  sp_type *t = NULL;
  int rc = sp_parse_schema(ddl, &t, err);
  if (rc) return rc;
  sp_type_unref(t);
  char *d = strdup(ddl);
  if (!d) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  free(r->schema_ddl);
  r->schema_ddl = d;
  return 0;
}

spate_df *spate_reader_load(spate_reader *r, spate_error *err) {
  if (!r->format) {
    spate_reader_free(r);
    spate_error_set(err, SPATE_EINVAL, "readStream: format(...) must be set before load()");
    return NULL;
  }
  spate_session *s = r->s;
  spate_df *df = calloc(1, sizeof *df);
  char name[32];
  snprintf(name, sizeof name, "__df%d", ++s->next_df_id);
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "CREATE TEMPORARY VIEW %s ", name);
  if (r->schema_ddl) sp_buf_printf(&b, "(%s) ", r->schema_ddl);
  sp_buf_puts(&b, "USING ");
  quote_ident_(&b, r->format);
  if (r->options.len) sp_buf_printf(&b, " OPTIONS (%s)", r->options.data);
  int rc = (!df || sp_buf_check(&b)) ? spate_error_set(err, SPATE_ENOMEM, "out of memory") : spate_sql(s, b.data, err);
  sp_buf_free(&b);
  spate_reader_free(r);
  if (!rc) {
    df->s = s;
    df->view = strdup(name);
    /* Validate now (Spark's load() resolves the source): analyze the view. */
    sp_type *t = df->view ? df_schema_(df, err) : NULL;
    if (!t) rc = err ? err->code : SPATE_EINVAL;
    sp_type_unref(t);
  }
  if (rc) {
    spate_df_free(df);
    return NULL;
  }
  return df;
}

/* ---- writer ---- */

spate_writer *spate_df_write_stream(spate_df *df) {
  spate_writer *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->s = df->s;
  w->view = strdup(df->view);
  w->mode = SP_MODE_APPEND;
  if (!w->view) {
    free(w);
    return NULL;
  }
  return w;
}

void spate_writer_free(spate_writer *w) {
  if (!w) return;
  for (int i = 0; i < w->nopts; i++) {
    free(w->keys[i]);
    free(w->values[i]);
  }
  free(w->keys);
  free(w->values);
  free(w->view);
  free(w->format);
  free(w->checkpoint);
  free(w->name);
  free(w);
}

static int set_str_(char **slot, const char *v) {
  char *c = strdup(v);
  if (!c) return SPATE_ENOMEM;
  free(*slot);
  *slot = c;
  return 0;
}

int spate_writer_format(spate_writer *w, const char *format) { return set_str_(&w->format, format); }
int spate_writer_query_name(spate_writer *w, const char *name) { return set_str_(&w->name, name); }
int spate_writer_checkpoint_location(spate_writer *w, const char *path) { return set_str_(&w->checkpoint, path); }

int spate_writer_option(spate_writer *w, const char *key, const char *value) {
  if (strcasecmp(key, "checkpointLocation") == 0) return spate_writer_checkpoint_location(w, value);
  char **k = realloc(w->keys, (size_t)(w->nopts + 1) * sizeof *k);
  if (!k) return SPATE_ENOMEM;
  w->keys = k;
  char **v = realloc(w->values, (size_t)(w->nopts + 1) * sizeof *v);
  if (!v) return SPATE_ENOMEM;
  w->values = v;
  w->keys[w->nopts] = strdup(key);
  w->values[w->nopts] = strdup(value);
  if (!w->keys[w->nopts] || !w->values[w->nopts]) {
    free(w->keys[w->nopts]);
    free(w->values[w->nopts]);
    return SPATE_ENOMEM;
  }
  w->nopts++;
  return 0;
}

int spate_writer_output_mode(spate_writer *w, const char *mode) {
  bool ok;
  sp_output_mode m = mode_of_(mode, &ok);
  if (!ok) return SPATE_EINVAL;
  w->mode = m;
  return 0;
}

int spate_writer_trigger_processing_time(spate_writer *w, int64_t interval_ms) {
  if (interval_ms < 0) return SPATE_EINVAL;
  w->trigger = interval_ms ? SP_TRIGGER_PROCESSING_TIME : SP_TRIGGER_DEFAULT;
  w->interval_ms = interval_ms;
  return 0;
}

int spate_writer_trigger_once(spate_writer *w) {
  w->trigger = SP_TRIGGER_ONCE;
  return 0;
}

int spate_writer_trigger_available_now(spate_writer *w) {
  w->trigger = SP_TRIGGER_AVAILABLE_NOW;
  return 0;
}

int spate_writer_foreach_batch(spate_writer *w, spate_foreach_batch_fn fn, void *user) {
  w->fb = fn;
  w->fb_user = user;
  w->has_fw = false;
  return 0;
}

int spate_writer_foreach(spate_writer *w, const spate_foreach_writer *fw, void *user) {
  if (!w || !fw || !fw->process) return SPATE_EINVAL;
  w->fw = *fw;
  w->fw_user = user;
  w->has_fw = true;
  w->fb = NULL;
  return 0;
}

spate_query *spate_writer_start(spate_writer *w, spate_error *err) {
  spate_session *s = w->s;
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "CREATE TEMPORARY VIEW __start%d AS SELECT * FROM %s", ++s->next_df_id, w->view);
  sp_ast_script *sc = NULL;
  spate_query *q = NULL;
  int rc = sp_buf_check(&b) ? SPATE_ENOMEM : sp_parse_script(b.data, b.len, &sc, err);
  sp_buf_free(&b);
  if (!rc && keep_script_(s, sc)) {
    sp_ast_script_free(sc);
    rc = spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  if (!rc)
    rc = start_query_(s, sc->stmts[0].select, sc->text, w->format, w->nopts, (const char *const *)w->keys,
                      (const char *const *)w->values, w->mode, w->trigger, w->interval_ms, w->checkpoint, w->name,
                      w->fb, w->fb_user, w->has_fw ? &w->fw : NULL, w->fw_user, &q, err);
  spate_writer_free(w);
  return rc ? NULL : q;
}

/* ---- listeners, variables, explain ---- */

int spate_session_add_listener(spate_session *s, const spate_listener *l, spate_error *err) {
  pthread_mutex_lock(&s->mu);
  if (s->nlisteners >= 16) {
    pthread_mutex_unlock(&s->mu);
    return spate_error_set(err, SPATE_EINVAL, "too many listeners (at most 16)");
  }
  s->listeners[s->nlisteners++] = *l;
  pthread_mutex_unlock(&s->mu);
  return 0;
}

int spate_substitute_vars(const char *text, const char *const *names, const char *const *values, int n,
                          char **out, spate_error *err) {
  return sp_substitute_vars(text, names, values, n, out, err);
}

char *spate_explain_sql(spate_session *s, const char *text, spate_error *err) {
  sp_ast_script *sc = NULL;
  if (sp_parse_script(text, strlen(text), &sc, err)) return NULL;
  if (keep_script_(s, sc)) {
    sp_ast_script_free(sc);
    spate_error_set(err, SPATE_ENOMEM, "out of memory");
    return NULL;
  }
  sp_buf b;
  sp_buf_init(&b);
  int nq = 0;
  for (int i = 0; i < sc->nstmts; i++) {
    const sp_ast_stmt *st = &sc->stmts[i];
    if (st->kind != SP_STMT_START_QUERY) {
      if (run_stmt_(s, st, sc->text, err)) goto fail;
      continue;
    }
    sp_analyze_opts ao = {&s->catalog, &s->conf};
    sp_plan *plan = NULL;
    if (sp_analyze(&ao, st->select, sc->text, &plan, err)) goto fail;
    sp_buf_printf(&b, "== Query %d: %s ==\n", ++nq, st->name ? st->name : "(unnamed)");
    sp_buf_printf(&b, "Sink: %s, output mode: %s\n", st->format ? st->format : "parquet",
                  st->output_mode ? st->output_mode : "append");
    sp_buf_puts(&b, "== Analyzed Logical Plan ==\n");
    sp_plan_explain(plan, &b);
    sp_buf_putc(&b, '\n');
    sp_plan_free(plan);
  }
  if (sp_buf_check(&b)) goto fail;
  return sp_buf_steal(&b);
fail:
  sp_buf_free(&b);
  return NULL;
}
