/*
 * postgres_sink.c - the `postgres` sink: writes each micro-batch into a PostgreSQL
 * table through libpq, exactly once (the same design as sqlite_sink.c).
 *
 *   USING postgres OPTIONS (url 'postgresql://host/db' | conninfo 'host=... dbname=...',
 *                           user '...', password '...', table 'users' | 'schema.users',
 *                           mode 'append'|'upsert', keys 'col,...')
 *
 * Every batch is one transaction: BEGIN; take a transaction-scoped advisory lock on
 * (query id, table); read _spate_sink_progress(query_id, sink_table, batch_id); if the
 * batch id is <= the stored one (a replay after a crash, or another writer got there
 * first) ROLLBACK and skip; else (Complete output mode: DELETE the table's rows) insert
 * the rows, upsert the progress row and COMMIT. So a batch lands exactly once even
 * across restarts. Modes: append = INSERT; upsert = INSERT ... ON CONFLICT (keys) DO
 * UPDATE SET <other columns> (the last row of a key in a batch wins).
 *
 * The table name is an identifier taken literally (quoted, case kept; one '.' splits
 * schema and table). A missing table is created (columns typed from the output schema,
 * PRIMARY KEY on the keys for upsert); an existing one must have every output column.
 * Rows are sent in libpq pipeline mode (one round trip per 512 rows, one statement each).
 * Values go as query parameters (no SQL is built from data): text format, except BINARY
 * (binary bytea); TIMESTAMP as UTC text with "+00" (the session runs in UTC), DATE as
 * "yyyy-MM-dd", nested values as JSON text.
 *
 * Credentials: the password (option or inside url/conninfo) is only a libpq connection
 * parameter; descriptions and errors use pg_common.c, which never shows it.
 *
 * Invariants: the connection lives from open to close and is used only on the query
 * thread; last_batch is the stored progress (-1 if none) and changes only after a
 * successful COMMIT; outside add_batch the connection is never inside a transaction.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/datetime.h"
#include "format/format.h"
#include "sink/sink.h"
#include "source/pg_common.h"

typedef struct pg_sink {
  sp_pg_conf conf;
  char *table;    /* as given */
  char *qtable;   /* quoted identifier ("schema"."table" or "table") */
  sp_table_write_opts wo; /* mode and upsert keys */
  /* open */
  PGconn *conn;
  char *insert_sql;
  sp_type *schema;
  sp_output_mode mode;
  int64_t last_batch;
} pg_sink;

static const char *const pg_sink_options_[] = {"url", "conninfo", "user", "password", "table",
                                               "mode", "keys", "checkpointLocation", NULL};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static void put_ident_(sp_buf *b, const char *name, size_t n) {
  sp_buf_putc(b, '"');
  for (size_t i = 0; i < n; i++) {
    if (name[i] == '"') sp_buf_putc(b, '"');
    sp_buf_putc(b, name[i]);
  }
  sp_buf_putc(b, '"');
}

static void close_conn_(pg_sink *k) {
  if (k->conn) PQfinish(k->conn);
  k->conn = NULL;
  free(k->insert_sql);
  k->insert_sql = NULL;
  sp_type_unref(k->schema);
  k->schema = NULL;
}

static void pg_close_(sp_sink *s) {
  pg_sink *k = s->impl;
  if (!k) return;
  close_conn_(k);
  sp_pg_conf_release(&k->conf);
  free(k->table);
  free(k->qtable);
  sp_table_write_opts_release(&k->wo);
  free(k);
  s->impl = NULL;
}

static int pg_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  pg_sink *k = calloc(1, sizeof *k);
  if (!k) return oom_(err);
  s->impl = k;
  k->last_batch = -1;
  sp_source_spec o = {spec->format, spec->noptions, spec->keys, spec->values, NULL, spec->conf};
  const char *table = sp_source_spec_option(&o, "table");
  const char *mode = sp_source_spec_option(&o, "mode");
  const char *keys = sp_source_spec_option(&o, "keys");
  if (!table || !*table) return spate_error_set(err, SPATE_EINVAL, "'table' is not specified for postgres sink");
  int rc = sp_table_write_opts_parse("postgres", mode, keys, &k->wo, err);
  if (rc) return rc;
  rc = sp_pg_conf_init(&k->conf, sp_source_spec_option(&o, "url"), sp_source_spec_option(&o, "conninfo"),
                           sp_source_spec_option(&o, "user"), sp_source_spec_option(&o, "password"), err);
  if (rc) return rc;
  if (!(k->table = strdup(table))) return oom_(err);
  sp_buf b;
  sp_buf_init(&b);
  const char *dot = strchr(table, '.');
  if (dot) {
    put_ident_(&b, table, (size_t)(dot - table));
    sp_buf_putc(&b, '.');
    put_ident_(&b, dot + 1, strlen(dot + 1));
  } else {
    put_ident_(&b, table, strlen(table));
  }
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return oom_(err);
  }
  k->qtable = sp_buf_steal(&b);
  sp_buf_free(&b);
  if (!k->qtable) return oom_(err);
  size_t dl = strlen(k->conf.where) + strlen(table) + 24;
  if (!(s->description = malloc(dl))) return oom_(err);
  snprintf(s->description, dl, "PostgreSQLSink[%s:%s]", k->conf.where, table);
  return 0;
}

static int pg_err_(pg_sink *k, spate_error *err, int code, const char *doing) {
  char what[256];
  snprintf(what, sizeof what, "sink table '%s': %s", k->table, doing);
  return sp_pg_error(err, code, &k->conf, what, k->conn ? PQerrorMessage(k->conn) : "not connected");
}

/* Run a parameterized statement; expect `want`. *out gets the result (or NULL to clear it). */
static int exec_(pg_sink *k, const char *sql, int n, const char *const *vals, ExecStatusType want, PGresult **out,
                 const char *doing, spate_error *err) {
  if (out) *out = NULL;
  PGresult *r = PQexecParams(k->conn, sql, n, NULL, vals, NULL, NULL, 0);
  if (PQresultStatus(r) != want) {
    int rc = pg_err_(k, err, SPATE_EIO, doing);
    PQclear(r);
    return rc;
  }
  if (out)
    *out = r;
  else
    PQclear(r);
  return 0;
}

static const char *ddl_type_(const sp_type *t) {
  switch (t->id) {
    case SP_BOOLEAN: return "boolean";
    case SP_INT: return "integer";
    case SP_BIGINT: return "bigint";
    case SP_DOUBLE: return "double precision";
    case SP_BINARY: return "bytea";
    case SP_TIMESTAMP: return "timestamp";
    case SP_DATE: return "date";
    default: return "text";
  }
}

/* Create the table, or check that an existing one has every output column. */
static int prepare_table_(pg_sink *k, const sp_type *schema, spate_error *err) {
  PGresult *r = NULL;
  const char *p[1] = {k->qtable};
  int rc = exec_(k,
                 "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 "
                 "AND NOT a.attisdropped",
                 1, p, PGRES_TUPLES_OK, &r, "cannot inspect the table", err);
  if (rc) return rc;
  int n = PQntuples(r);
  for (int f = 0; n > 0 && f < schema->nfields && !rc; f++) {
    bool found = false;
    for (int i = 0; i < n && !found; i++) found = strcmp(PQgetvalue(r, i, 0), schema->fields[f].name) == 0;
    if (!found)
      rc = spate_error_set(err, SPATE_EANALYSIS,
                           "postgres sink %s: table '%s' has no column '%s' (the query writes columns its schema "
                           "names; add the column or select fewer columns)",
                           k->conf.where, k->table, schema->fields[f].name);
  }
  PQclear(r);
  if (rc || n > 0) return rc;
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "CREATE TABLE IF NOT EXISTS %s (", k->qtable);
  for (int f = 0; f < schema->nfields; f++) {
    if (f) sp_buf_puts(&b, ", ");
    put_ident_(&b, schema->fields[f].name, strlen(schema->fields[f].name));
    sp_buf_printf(&b, " %s", ddl_type_(schema->fields[f].type));
  }
  if (k->wo.upsert) {
    sp_buf_puts(&b, ", PRIMARY KEY (");
    for (int i = 0; i < k->wo.nkeys; i++) {
      const char *name = schema->fields[sp_type_field_index(schema, k->wo.keys[i])].name;
      if (i) sp_buf_puts(&b, ", ");
      put_ident_(&b, name, strlen(name));
    }
    sp_buf_putc(&b, ')');
  }
  sp_buf_putc(&b, ')');
  rc = sp_buf_check(&b) ? oom_(err) : exec_(k, b.data, 0, NULL, PGRES_COMMAND_OK, NULL, "cannot create the table", err);
  sp_buf_free(&b);
  return rc;
}

static int build_insert_(pg_sink *k, const sp_type *schema, spate_error *err) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_printf(&b, "INSERT INTO %s (", k->qtable);
  for (int f = 0; f < schema->nfields; f++) {
    if (f) sp_buf_puts(&b, ", ");
    put_ident_(&b, schema->fields[f].name, strlen(schema->fields[f].name));
  }
  sp_buf_puts(&b, ") VALUES (");
  for (int f = 0; f < schema->nfields; f++) sp_buf_printf(&b, f ? ", $%d" : "$%d", f + 1);
  sp_buf_putc(&b, ')');
  if (k->wo.upsert) {
    sp_buf_puts(&b, " ON CONFLICT (");
    for (int i = 0; i < k->wo.nkeys; i++) {
      const char *name = schema->fields[sp_type_field_index(schema, k->wo.keys[i])].name;
      if (i) sp_buf_puts(&b, ", ");
      put_ident_(&b, name, strlen(name));
    }
    sp_buf_puts(&b, ") DO ");
    int nset = 0;
    for (int f = 0; f < schema->nfields; f++) {
      bool key = false;
      for (int i = 0; i < k->wo.nkeys; i++) key |= strcasecmp(k->wo.keys[i], schema->fields[f].name) == 0;
      if (key) continue;
      const char *name = schema->fields[f].name;
      sp_buf_puts(&b, nset++ ? ", " : "UPDATE SET ");
      put_ident_(&b, name, strlen(name));
      sp_buf_puts(&b, " = excluded.");
      put_ident_(&b, name, strlen(name));
    }
    if (!nset) sp_buf_puts(&b, "NOTHING");
  }
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return oom_(err);
  }
  k->insert_sql = sp_buf_steal(&b);
  sp_buf_free(&b);
  if (!k->insert_sql) return oom_(err);
  /* Prepare once: reports a missing unique constraint for upsert (or a type clash) at start. */
  PGresult *r = PQprepare(k->conn, "spate_ins", k->insert_sql, 0, NULL);
  if (PQresultStatus(r) == PGRES_COMMAND_OK && k->wo.upsert) {
    /* ON CONFLICT arbiters are resolved when planning: plan it once (nothing runs) */
    PQclear(r);
    sp_buf e;
    sp_buf_init(&e);
    sp_buf_puts(&e, "EXPLAIN EXECUTE spate_ins(");
    for (int f = 0; f < schema->nfields; f++) sp_buf_puts(&e, f ? ", NULL" : "NULL");
    sp_buf_putc(&e, ')');
    if (sp_buf_check(&e)) {
      sp_buf_free(&e);
      return oom_(err);
    }
    r = PQexec(k->conn, e.data);
    sp_buf_free(&e);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      PQclear(r);
      r = NULL;
    }
  }
  int rc = 0;
  if (r && PQresultStatus(r) != PGRES_COMMAND_OK) {
    if (k->wo.upsert) {
      sp_buf kb;
      sp_buf_init(&kb);
      for (int i = 0; i < k->wo.nkeys; i++) sp_buf_printf(&kb, i ? ", %s" : "%s", k->wo.keys[i]);
      char what[512];
      snprintf(what, sizeof what,
               "cannot upsert into table '%s' on keys (%s) (the table needs a PRIMARY KEY or UNIQUE constraint on "
               "exactly these columns)",
               k->table, kb.data ? kb.data : "");
      sp_buf_free(&kb);
      rc = sp_pg_error(err, SPATE_EANALYSIS, &k->conf, what, PQerrorMessage(k->conn));
    } else {
      rc = pg_err_(k, err, SPATE_EIO, "cannot prepare the insert");
    }
  }
  PQclear(r);
  return rc;
}

static int read_progress_(pg_sink *k, const char *qid, int64_t *out, spate_error *err) {
  PGresult *r = NULL;
  const char *p[2] = {qid, k->table};
  int rc = exec_(k, "SELECT batch_id FROM _spate_sink_progress WHERE query_id = $1 AND sink_table = $2", 2, p,
                 PGRES_TUPLES_OK, &r, "cannot read _spate_sink_progress", err);
  if (rc) return rc;
  *out = PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
  PQclear(r);
  return 0;
}

static int pg_open_(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err) {
  pg_sink *k = s->impl;
  close_conn_(k);
  if (!s->query_id[0]) return spate_error_set(err, SPATE_ESTATE, "postgres sink: the query id is not set");
  for (int i = 0; i < k->wo.nkeys; i++)
    if (sp_type_field_index(schema, k->wo.keys[i]) < 0)
      return spate_error_set(err, SPATE_EANALYSIS,
                             "postgres sink: key column '%s' is not a column of the query's output", k->wo.keys[i]);
  k->schema = sp_type_ref(schema);
  k->mode = mode;
  k->last_batch = -1;
  int rc = sp_pg_connect(&k->conf, &k->conn, err);
  if (!rc) {
    /* quiet NOTICEs ("relation already exists, skipping") */
    PQclear(PQexec(k->conn, "SET client_min_messages = warning"));
    rc = exec_(k,
               "CREATE TABLE IF NOT EXISTS _spate_sink_progress(query_id text NOT NULL, sink_table text NOT NULL, "
               "batch_id bigint NOT NULL, PRIMARY KEY(query_id, sink_table))",
               0, NULL, PGRES_COMMAND_OK, NULL, "cannot create _spate_sink_progress", err);
  }
  if (!rc) rc = prepare_table_(k, schema, err);
  if (!rc) rc = build_insert_(k, schema, err);
  if (!rc) rc = read_progress_(k, s->query_id, &k->last_batch, err);
  if (rc) close_conn_(k);
  return rc;
}

/* Text of row i of v into b (params point into b after the row is complete). */
static void put_value_(pg_sink *k, const sp_vec *v, int64_t i, sp_buf *b, int *len, int *fmt) {
  (void)k;
  char buf[64];
  int32_t l;
  const char *s;
  *fmt = 0;
  switch (v->type->id) {
    case SP_BOOLEAN: sp_buf_puts(b, sp_vec_bool(v)[i] ? "t" : "f"); break;
    case SP_INT: sp_buf_printf(b, "%d", (int)sp_vec_i32(v)[i]); break;
    case SP_BIGINT: sp_buf_printf(b, "%lld", (long long)sp_vec_i64(v)[i]); break;
    case SP_DOUBLE: {
      double d = sp_vec_f64(v)[i];
      if (isnan(d))
        sp_buf_puts(b, "NaN");
      else if (isinf(d))
        sp_buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
      else
        sp_buf_printf(b, "%.17g", d);
      break;
    }
    case SP_TIMESTAMP:
      sp_timestamp_format_cast(sp_vec_i64(v)[i], NULL, buf, sizeof buf);
      sp_buf_puts(b, buf);
      sp_buf_puts(b, "+00");
      break;
    case SP_DATE:
      sp_date_format_cast(sp_vec_i32(v)[i], buf, sizeof buf);
      sp_buf_puts(b, buf);
      break;
    case SP_BINARY:
      s = sp_vec_str(v, i, &l);
      sp_buf_append(b, s, (size_t)l);
      *fmt = 1;
      break;
    default: /* STRING, and nested values already encoded as JSON strings */
      s = sp_vec_str(v, i, &l);
      sp_buf_append(b, s, (size_t)l);
      break;
  }
}

/* Pipeline: sync and read the results of the inserts sent since the last sync (rows
 * first+1.. of the batch). Counts successful rows; the first failure sets err. */
static int drain_(pg_sink *k, int64_t first, int64_t *rows, int rc, spate_error *err) {
  if (!PQpipelineSync(k->conn)) return rc ? rc : pg_err_(k, err, SPATE_EIO, "cannot sync the insert pipeline");
  int got = 0, nulls = 0;
  for (;;) {
    PGresult *r = PQgetResult(k->conn);
    if (!r) {
      /* NULL ends each query's results; a run of them means the connection is gone */
      if (++nulls > 2 || PQstatus(k->conn) == CONNECTION_BAD) {
        if (!rc) rc = pg_err_(k, err, SPATE_EIO, "lost the connection while writing rows");
        break;
      }
      continue;
    }
    nulls = 0;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (st == PGRES_COMMAND_OK) {
      (*rows)++;
    } else if (st != PGRES_PIPELINE_ABORTED && !rc) {
      char what[200];
      snprintf(what, sizeof what, "sink table '%s': cannot write row %lld", k->table, (long long)(first + got + 1));
      rc = sp_pg_error(err, SPATE_EIO, &k->conf, what, PQresultErrorMessage(r));
    }
    got++;
    PQclear(r);
  }
  return rc;
}

#define PG_PIPELINE_ROWS 512 /* inserts in flight between syncs (bounded socket buffers) */

static int write_part_(pg_sink *k, const sp_batch *bt, int64_t *rows, spate_error *err) {
  int nf = k->schema->nfields;
  if (bt->ncols != nf)
    return spate_error_set(err, SPATE_ESTATE, "postgres sink: batch has %d columns, the output schema %d", bt->ncols,
                           nf);
  sp_vec **json = calloc((size_t)nf + 1, sizeof *json);
  size_t *off = calloc((size_t)nf + 1, sizeof *off);
  const char **vals = calloc((size_t)nf + 1, sizeof *vals);
  int *lens = calloc((size_t)nf + 1, sizeof *lens), *fmts = calloc((size_t)nf + 1, sizeof *fmts);
  bool *null = calloc((size_t)nf + 1, sizeof *null);
  int rc = (!json || !off || !vals || !lens || !fmts || !null) ? oom_(err) : 0;
  sp_format_opts fo;
  sp_format_opts_default(&fo);
  for (int f = 0; f < nf && !rc; f++) {
    sp_type_id id = bt->cols[f]->type->id;
    if (id == SP_STRUCT || id == SP_ARRAY) rc = sp_json_encode_vec(bt->cols[f], &fo, &json[f], err);
  }
  sp_buf b;
  sp_buf_init(&b);
  /* Pipeline mode: one round trip per PG_PIPELINE_ROWS rows, each row its own statement
   * (so an upsert batch may hold a key twice: the last row wins). */
  if (!rc && bt->nrows > 0 && !PQenterPipelineMode(k->conn)) rc = pg_err_(k, err, SPATE_EIO, "cannot enter pipeline mode");
  int sent = 0;
  int64_t first = 0;
  for (int64_t i = 0; i < bt->nrows && !rc; i++) {
    sp_buf_reset(&b);
    for (int f = 0; f < nf; f++) {
      const sp_vec *v = json[f] ? json[f] : bt->cols[f];
      null[f] = sp_vec_is_null(v, i);
      off[f] = b.len;
      if (!null[f]) put_value_(k, v, i, &b, &lens[f], &fmts[f]);
      lens[f] = (int)(b.len - off[f]);
      sp_buf_putc(&b, '\0'); /* text params are NUL-terminated */
    }
    if (sp_buf_check(&b)) {
      rc = oom_(err);
      break;
    }
    for (int f = 0; f < nf; f++) vals[f] = null[f] ? NULL : b.data + off[f];
    if (!PQsendQueryPrepared(k->conn, "spate_ins", nf, vals, lens, fmts, 0)) {
      rc = pg_err_(k, err, SPATE_EIO, "cannot send a row");
      break;
    }
    if (++sent == PG_PIPELINE_ROWS) {
      rc = drain_(k, first, rows, rc, err);
      first += sent;
      sent = 0;
    }
  }
  if (PQpipelineStatus(k->conn) != PQ_PIPELINE_OFF) {
    if (sent) rc = drain_(k, first, rows, rc, err);
    if (!PQexitPipelineMode(k->conn) && !rc) rc = pg_err_(k, err, SPATE_EIO, "cannot leave pipeline mode");
  }
  sp_buf_free(&b);
  for (int f = 0; json && f < nf; f++) sp_vec_free(json[f]);
  free(json);
  free(off);
  free(vals);
  free(lens);
  free(fmts);
  free(null);
  return rc;
}

static int pg_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err) {
  pg_sink *k = s->impl;
  if (!k->conn) return spate_error_set(err, SPATE_ESTATE, "postgres sink: add_batch before open");
  s->num_output_rows = 0;
  if (batch_id <= k->last_batch) return 0; /* replay of a committed batch */
  int rc = exec_(k, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, "cannot begin a transaction", err);
  if (rc) return rc;
  /* Serialize writers of this (query, table) and re-check the stored id inside the transaction. */
  const char *lk[2] = {s->query_id, k->table};
  rc = exec_(k, "SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))", 2, lk, PGRES_TUPLES_OK, NULL,
             "cannot lock the sink progress", err);
  int64_t stored = -1;
  if (!rc) rc = read_progress_(k, s->query_id, &stored, err);
  if (!rc && batch_id <= stored) {
    PQclear(PQexec(k->conn, "ROLLBACK"));
    k->last_batch = stored;
    return 0;
  }
  if (!rc && k->mode == SP_MODE_COMPLETE) {
    char *del = malloc(strlen(k->qtable) + 16);
    if (!del) {
      rc = oom_(err);
    } else {
      sprintf(del, "DELETE FROM %s", k->qtable);
      rc = exec_(k, del, 0, NULL, PGRES_COMMAND_OK, NULL, "cannot delete the previous rows", err);
      free(del);
    }
  }
  int64_t rows = 0;
  for (int p = 0; p < nparts && !rc; p++)
    if (parts[p]) rc = write_part_(k, parts[p], &rows, err);
  if (!rc) {
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)batch_id);
    const char *pv[3] = {s->query_id, k->table, id};
    rc = exec_(k,
               "INSERT INTO _spate_sink_progress(query_id, sink_table, batch_id) VALUES ($1, $2, $3) "
               "ON CONFLICT (query_id, sink_table) DO UPDATE SET batch_id = excluded.batch_id",
               3, pv, PGRES_COMMAND_OK, NULL, "cannot write _spate_sink_progress", err);
  }
  if (!rc) rc = exec_(k, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, "cannot commit", err);
  if (rc) {
    if (PQtransactionStatus(k->conn) != PQTRANS_IDLE) PQclear(PQexec(k->conn, "ROLLBACK"));
    if (err) spate_error_prefix(err, "batch %lld", (long long)batch_id);
    return rc;
  }
  k->last_batch = batch_id;
  s->num_output_rows = rows;
  return 0;
}

const sp_sink_vtab sp_postgres_sink_vtab = {"postgres", pg_sink_options_, SP_MODES_ALL, true,
                                            pg_create_, pg_open_, pg_add_batch_, pg_close_};
