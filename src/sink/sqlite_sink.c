/*
 * sqlite_sink.c - the `sqlite` sink: writes each micro-batch into a table of a SQLite
 * database, exactly once.
 *
 *   USING sqlite OPTIONS (path 'db.sqlite', table 'users', mode 'append'|'upsert',
 *                         keys 'col,...')
 *
 * Every batch is one transaction (BEGIN IMMEDIATE ... COMMIT) that writes the rows
 * and the batch id into _spate_sink_progress(query_id, sink_table, batch_id). At
 * open the stored id is read; a batch whose id is <= it (a replay after a crash) is
 * skipped, and the id is checked again inside the transaction, so a batch is in the
 * table exactly once even across restarts or two writers. Modes: append inserts;
 * upsert is INSERT ... ON CONFLICT(keys) DO UPDATE SET <other columns>; in Complete
 * output mode the table's rows are deleted first in the same transaction.
 *
 * The table is created if missing (columns typed from the output schema, PRIMARY KEY
 * on the keys for upsert); an existing table must have every output column with a
 * compatible declared type. Values are bound to prepared statements (no SQL is built
 * from data): BOOLEAN/INT/BIGINT -> INTEGER, DOUBLE -> REAL, STRING -> TEXT, BINARY ->
 * BLOB, TIMESTAMP -> TEXT "yyyy-MM-dd HH:mm:ss[.ffffff]" and DATE -> TEXT "yyyy-MM-dd"
 * (in spark.sql.session.timeZone; what the sqlite static table reads back), nested
 * values -> JSON TEXT.
 *
 * Invariants: the connection and statements live from open to close and are used
 * only on the query thread; last_batch is the id stored in the progress table (-1 if
 * none) and changes only after a successful COMMIT.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/datetime.h"
#include "format/format.h"
#include "sink/sink.h"
#include "source/static_internal.h"

typedef struct sqlite_sink {
  char *path, *table;
  sp_table_write_opts wo; /* mode and upsert keys */
  sp_tz *tz;
  /* open */
  sqlite3 *db;
  sqlite3_stmt *ins, *del, *get, *set;
  sp_type *schema;
  sp_output_mode mode;
  int64_t last_batch;
} sqlite_sink;

static const char *const sqlite_sink_options_[] = {"path", "table", "mode", "keys", "checkpointLocation", NULL};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static void put_ident_(sp_buf *b, const char *name) {
  sp_buf_putc(b, '"');
  for (const char *p = name; *p; p++) {
    if (*p == '"') sp_buf_putc(b, '"');
    sp_buf_putc(b, *p);
  }
  sp_buf_putc(b, '"');
}

static void close_db_(sqlite_sink *k) {
  sqlite3_finalize(k->ins);
  sqlite3_finalize(k->del);
  sqlite3_finalize(k->get);
  sqlite3_finalize(k->set);
  k->ins = k->del = k->get = k->set = NULL;
  if (k->db) sqlite3_close(k->db);
  k->db = NULL;
  sp_type_unref(k->schema);
  k->schema = NULL;
}

static void sqlite_close_(sp_sink *s) {
  sqlite_sink *k = s->impl;
  if (!k) return;
  close_db_(k);
  free(k->path);
  free(k->table);
  sp_table_write_opts_release(&k->wo);
  sp_tz_close(k->tz);
  free(k);
  s->impl = NULL;
}

static int sqlite_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  sqlite_sink *k = calloc(1, sizeof *k);
  if (!k) return oom_(err);
  s->impl = k;
  k->last_batch = -1;
  sp_source_spec o = {spec->format, spec->noptions, spec->keys, spec->values, NULL, spec->conf};
  const char *path = sp_source_spec_option(&o, "path");
  const char *table = sp_source_spec_option(&o, "table");
  const char *mode = sp_source_spec_option(&o, "mode");
  const char *keys = sp_source_spec_option(&o, "keys");
  if (!path || !*path) return spate_error_set(err, SPATE_EINVAL, "'path' is not specified for sqlite sink");
  if (!table || !*table) return spate_error_set(err, SPATE_EINVAL, "'table' is not specified for sqlite sink");
  int rc = sp_table_write_opts_parse("sqlite", mode, keys, &k->wo, err);
  if (rc) return rc;
  if (!(k->path = strdup(path)) || !(k->table = strdup(table))) return oom_(err);
  const char *tzname = sp_conf_get(spec->conf, "spark.sql.session.timeZone");
  if (tzname && *tzname && !(k->tz = sp_tz_open(tzname)))
    return spate_error_set(err, SPATE_EINVAL, "unknown time zone '%s' (spark.sql.session.timeZone)", tzname);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t dl = strlen(base) + strlen(table) + 16;
  if (!(s->description = malloc(dl))) return oom_(err);
  snprintf(s->description, dl, "SQLiteSink[%s:%s]", base, table);
  return 0;
}

static int db_err_(sqlite_sink *k, spate_error *err, int code, const char *doing) {
  return spate_error_set(err, code, "sqlite sink %s, table '%s': %s: %s", k->path, k->table, doing,
                         k->db ? sqlite3_errmsg(k->db) : "out of memory");
}

static int exec_(sqlite_sink *k, const char *sql, const char *doing, spate_error *err) {
  if (sqlite3_exec(k->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_err_(k, err, SPATE_EIO, doing);
  return 0;
}

static const char *ddl_type_(const sp_type *t) {
  switch (t->id) {
    case SP_BOOLEAN: return "BOOLEAN";
    case SP_INT: return "INTEGER";
    case SP_BIGINT: return "BIGINT";
    case SP_DOUBLE: return "DOUBLE";
    case SP_BINARY: return "BLOB";
    case SP_TIMESTAMP: return "TIMESTAMP";
    case SP_DATE: return "DATE";
    default: return "TEXT";
  }
}

/* Can a column declared as `decl` hold values of output type `o`? */
static bool compatible_(sp_type_id o, const char *decl) {
  sp_type_id c = sp_sqlite_decl_type(decl);
  if (c == SP_NULL || c == SP_STRING || c == o) return true;
  bool on = o == SP_BOOLEAN || o == SP_INT || o == SP_BIGINT || o == SP_DOUBLE;
  bool cn = c == SP_BOOLEAN || c == SP_INT || c == SP_BIGINT || c == SP_DOUBLE;
  if (on && cn) return true;
  bool ot = o == SP_TIMESTAMP || o == SP_DATE, ct = c == SP_TIMESTAMP || c == SP_DATE;
  if (ct && (ot || o == SP_STRING)) return true;
  if (c == SP_BINARY && o == SP_STRING) return true;
  return false;
}

/* Create the table, or check an existing one against the output schema. */
static int prepare_table_(sqlite_sink *k, const sp_type *schema, spate_error *err) {
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(k->db, "SELECT name, type FROM pragma_table_info(?1)", -1, &q, NULL) != SQLITE_OK)
    return db_err_(k, err, SPATE_EIO, "cannot inspect the table");
  sqlite3_bind_text(q, 1, k->table, -1, SQLITE_STATIC);
  int ncols = 0, rc = 0;
  bool *seen = calloc((size_t)schema->nfields + 1, sizeof *seen);
  if (!seen) rc = oom_(err);
  int r;
  while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
    ncols++;
    const char *name = (const char *)sqlite3_column_text(q, 0);
    const char *decl = (const char *)sqlite3_column_text(q, 1);
    int f = name ? sp_type_field_index(schema, name) : -1;
    if (f < 0) continue;
    seen[f] = true;
    if (!compatible_(schema->fields[f].type->id, decl)) {
      char tn[64];
      sp_type_to_string(schema->fields[f].type, tn, sizeof tn);
      rc = spate_error_set(err, SPATE_EANALYSIS,
                           "sqlite sink %s: column '%s' of table '%s' is declared %s, which cannot hold the query's "
                           "%s column '%s'",
                           k->path, name, k->table, decl && *decl ? decl : "(no type)", tn, schema->fields[f].name);
    }
  }
  if (!rc && r != SQLITE_DONE) rc = db_err_(k, err, SPATE_EIO, "cannot inspect the table");
  sqlite3_finalize(q);
  if (!rc && ncols > 0) {
    for (int f = 0; f < schema->nfields && !rc; f++)
      if (!seen[f])
        rc = spate_error_set(err, SPATE_EANALYSIS,
                             "sqlite sink %s: table '%s' has no column '%s' (the query writes columns its schema "
                             "names; add the column or select fewer columns)",
                             k->path, k->table, schema->fields[f].name);
  }
  free(seen);
  if (rc || ncols > 0) return rc;
  /* CREATE TABLE */
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "CREATE TABLE ");
  put_ident_(&b, k->table);
  sp_buf_puts(&b, " (");
  for (int f = 0; f < schema->nfields; f++) {
    if (f) sp_buf_puts(&b, ", ");
    put_ident_(&b, schema->fields[f].name);
    sp_buf_printf(&b, " %s", ddl_type_(schema->fields[f].type));
  }
  if (k->wo.upsert) {
    sp_buf_puts(&b, ", PRIMARY KEY (");
    for (int i = 0; i < k->wo.nkeys; i++) {
      if (i) sp_buf_puts(&b, ", ");
      put_ident_(&b, schema->fields[sp_type_field_index(schema, k->wo.keys[i])].name);
    }
    sp_buf_putc(&b, ')');
  }
  sp_buf_putc(&b, ')');
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return oom_(err);
  }
  rc = exec_(k, b.data, "cannot create the table", err);
  sp_buf_free(&b);
  return rc;
}

static int prepare_(sqlite_sink *k, const char *sql, sqlite3_stmt **st, const char *doing, spate_error *err) {
  if (sqlite3_prepare_v2(k->db, sql, -1, st, NULL) != SQLITE_OK) return db_err_(k, err, SPATE_EIO, doing);
  return 0;
}

static int sqlite_open_(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err) {
  sqlite_sink *k = s->impl;
  close_db_(k);
  if (!s->query_id[0]) return spate_error_set(err, SPATE_ESTATE, "sqlite sink: the query id is not set");
  for (int i = 0; i < k->wo.nkeys; i++)
    if (sp_type_field_index(schema, k->wo.keys[i]) < 0)
      return spate_error_set(err, SPATE_EANALYSIS, "sqlite sink: key column '%s' is not a column of the query's output",
                             k->wo.keys[i]);
  k->schema = sp_type_ref(schema);
  k->mode = mode;
  k->last_batch = -1;
  if (sqlite3_open_v2(k->path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    int rc = db_err_(k, err, SPATE_EIO, "cannot open the database");
    close_db_(k);
    return rc;
  }
  sqlite3_busy_timeout(k->db, 10000);
  int rc = exec_(k,
                 "CREATE TABLE IF NOT EXISTS _spate_sink_progress(query_id TEXT NOT NULL, sink_table TEXT NOT NULL, "
                 "batch_id INTEGER NOT NULL, PRIMARY KEY(query_id, sink_table))",
                 "cannot create _spate_sink_progress", err);
  if (!rc) rc = prepare_table_(k, schema, err);
  if (!rc)
    rc = prepare_(k, "SELECT batch_id FROM _spate_sink_progress WHERE query_id = ?1 AND sink_table = ?2", &k->get,
                  "cannot read _spate_sink_progress", err);
  if (!rc)
    rc = prepare_(k,
                  "INSERT INTO _spate_sink_progress(query_id, sink_table, batch_id) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT(query_id, sink_table) DO UPDATE SET batch_id = excluded.batch_id",
                  &k->set, "cannot write _spate_sink_progress", err);
  sp_buf b;
  sp_buf_init(&b);
  if (!rc) {
    sp_buf_puts(&b, "DELETE FROM ");
    put_ident_(&b, k->table);
    if (sp_buf_check(&b)) rc = oom_(err);
    if (!rc) rc = prepare_(k, b.data, &k->del, "cannot prepare the delete", err);
  }
  if (!rc) {
    sp_buf_reset(&b);
    sp_buf_puts(&b, "INSERT INTO ");
    put_ident_(&b, k->table);
    sp_buf_puts(&b, " (");
    for (int f = 0; f < schema->nfields; f++) {
      if (f) sp_buf_puts(&b, ", ");
      put_ident_(&b, schema->fields[f].name);
    }
    sp_buf_puts(&b, ") VALUES (");
    for (int f = 0; f < schema->nfields; f++) sp_buf_printf(&b, f ? ", ?%d" : "?%d", f + 1);
    sp_buf_putc(&b, ')');
    if (k->wo.upsert) {
      sp_buf_puts(&b, " ON CONFLICT (");
      for (int i = 0; i < k->wo.nkeys; i++) {
        if (i) sp_buf_puts(&b, ", ");
        put_ident_(&b, k->wo.keys[i]);
      }
      sp_buf_puts(&b, ") DO ");
      int nset = 0;
      for (int f = 0; f < schema->nfields; f++) {
        bool key = false;
        for (int i = 0; i < k->wo.nkeys; i++) key |= strcasecmp(k->wo.keys[i], schema->fields[f].name) == 0;
        if (key) continue;
        sp_buf_puts(&b, nset++ ? ", " : "UPDATE SET ");
        put_ident_(&b, schema->fields[f].name);
        sp_buf_puts(&b, " = excluded.");
        put_ident_(&b, schema->fields[f].name);
      }
      if (!nset) sp_buf_puts(&b, "NOTHING");
    }
    if (sp_buf_check(&b)) rc = oom_(err);
    if (!rc && sqlite3_prepare_v2(k->db, b.data, -1, &k->ins, NULL) != SQLITE_OK) {
      if (k->wo.upsert) {
        sp_buf kb;
        sp_buf_init(&kb);
        for (int i = 0; i < k->wo.nkeys; i++) sp_buf_printf(&kb, i ? ", %s" : "%s", k->wo.keys[i]);
        rc = spate_error_set(err, SPATE_EANALYSIS,
                             "sqlite sink %s: cannot upsert into table '%s' on keys (%s): %s (the table needs a "
                             "PRIMARY KEY or UNIQUE constraint on exactly these columns)",
                             k->path, k->table, kb.data ? kb.data : "", sqlite3_errmsg(k->db));
        sp_buf_free(&kb);
      } else {
        rc = db_err_(k, err, SPATE_EIO, "cannot prepare the insert");
      }
    }
  }
  sp_buf_free(&b);
  /* the stored progress */
  if (!rc) {
    sqlite3_bind_text(k->get, 1, s->query_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(k->get, 2, k->table, -1, SQLITE_STATIC);
    int r = sqlite3_step(k->get);
    if (r == SQLITE_ROW)
      k->last_batch = sqlite3_column_int64(k->get, 0);
    else if (r != SQLITE_DONE)
      rc = db_err_(k, err, SPATE_EIO, "cannot read _spate_sink_progress");
    sqlite3_reset(k->get);
  }
  if (rc) close_db_(k);
  return rc;
}

/* Bind row i of column v (type of field f) to parameter f+1. */
static int bind_(sqlite_sink *k, const sp_vec *v, int64_t i, int p) {
  if (sp_vec_is_null(v, i)) return sqlite3_bind_null(k->ins, p);
  char buf[48];
  int32_t len;
  const char *s;
  switch (v->type->id) {
    case SP_BOOLEAN: return sqlite3_bind_int(k->ins, p, sp_vec_bool(v)[i] ? 1 : 0);
    case SP_INT: return sqlite3_bind_int(k->ins, p, sp_vec_i32(v)[i]);
    case SP_BIGINT: return sqlite3_bind_int64(k->ins, p, sp_vec_i64(v)[i]);
    case SP_DOUBLE: return sqlite3_bind_double(k->ins, p, sp_vec_f64(v)[i]);
    case SP_TIMESTAMP: {
      int n = sp_timestamp_format_cast(sp_vec_i64(v)[i], k->tz, buf, sizeof buf);
      return sqlite3_bind_text(k->ins, p, buf, n, SQLITE_TRANSIENT);
    }
    case SP_DATE: {
      int n = sp_date_format_cast(sp_vec_i32(v)[i], buf, sizeof buf);
      return sqlite3_bind_text(k->ins, p, buf, n, SQLITE_TRANSIENT);
    }
    case SP_BINARY:
      s = sp_vec_str(v, i, &len);
      return sqlite3_bind_blob(k->ins, p, s, len, SQLITE_STATIC);
    case SP_STRING:
      s = sp_vec_str(v, i, &len);
      return sqlite3_bind_text(k->ins, p, s, len, SQLITE_STATIC);
    default: return sqlite3_bind_null(k->ins, p);
  }
}

static int write_part_(sqlite_sink *k, const sp_batch *b, int64_t *rows, spate_error *err) {
  int nf = k->schema->nfields;
  if (b->ncols != nf)
    return spate_error_set(err, SPATE_ESTATE, "sqlite sink: batch has %d columns, the output schema %d", b->ncols, nf);
  /* nested columns as JSON text */
  sp_vec **json = calloc((size_t)nf + 1, sizeof *json);
  if (!json) return oom_(err);
  int rc = 0;
  sp_format_opts fo;
  sp_format_opts_default(&fo);
  for (int f = 0; f < nf && !rc; f++) {
    sp_type_id id = b->cols[f]->type->id;
    if (id == SP_STRUCT || id == SP_ARRAY) rc = sp_json_encode_vec(b->cols[f], &fo, &json[f], err);
  }
  for (int64_t i = 0; i < b->nrows && !rc; i++) {
    for (int f = 0; f < nf && !rc; f++)
      if (bind_(k, json[f] ? json[f] : b->cols[f], i, f + 1) != SQLITE_OK)
        rc = db_err_(k, err, SPATE_EIO, "cannot bind a value");
    if (!rc && sqlite3_step(k->ins) != SQLITE_DONE) {
      char what[160];
      snprintf(what, sizeof what, "cannot write row %lld", (long long)(*rows + 1));
      rc = db_err_(k, err, SPATE_EIO, what);
    }
    sqlite3_reset(k->ins);
    sqlite3_clear_bindings(k->ins);
    if (!rc) (*rows)++;
  }
  for (int f = 0; f < nf; f++) sp_vec_free(json[f]);
  free(json);
  return rc;
}

static int sqlite_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts,
                             spate_error *err) {
  sqlite_sink *k = s->impl;
  if (!k->db) return spate_error_set(err, SPATE_ESTATE, "sqlite sink: add_batch before open");
  s->num_output_rows = 0;
  if (batch_id <= k->last_batch) return 0; /* replay of a committed batch */
  int rc = exec_(k, "BEGIN IMMEDIATE", "cannot begin a transaction", err);
  if (rc) return rc;
  /* Re-check inside the transaction (another writer may have committed it). */
  int64_t stored = -1;
  sqlite3_bind_text(k->get, 1, s->query_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(k->get, 2, k->table, -1, SQLITE_STATIC);
  int r = sqlite3_step(k->get);
  if (r == SQLITE_ROW)
    stored = sqlite3_column_int64(k->get, 0);
  else if (r != SQLITE_DONE)
    rc = db_err_(k, err, SPATE_EIO, "cannot read _spate_sink_progress");
  sqlite3_reset(k->get);
  if (!rc && batch_id <= stored) {
    sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
    k->last_batch = stored;
    return 0;
  }
  if (!rc && k->mode == SP_MODE_COMPLETE) {
    if (sqlite3_step(k->del) != SQLITE_DONE) rc = db_err_(k, err, SPATE_EIO, "cannot delete the previous rows");
    sqlite3_reset(k->del);
  }
  int64_t rows = 0;
  for (int p = 0; p < nparts && !rc; p++)
    if (parts[p]) rc = write_part_(k, parts[p], &rows, err);
  if (!rc) {
    sqlite3_bind_text(k->set, 1, s->query_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(k->set, 2, k->table, -1, SQLITE_STATIC);
    sqlite3_bind_int64(k->set, 3, batch_id);
    if (sqlite3_step(k->set) != SQLITE_DONE) rc = db_err_(k, err, SPATE_EIO, "cannot write _spate_sink_progress");
    sqlite3_reset(k->set);
  }
  if (!rc) rc = exec_(k, "COMMIT", "cannot commit", err);
  if (rc) {
    if (!sqlite3_get_autocommit(k->db)) sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
    if (err) spate_error_prefix(err, "batch %lld", (long long)batch_id);
    return rc;
  }
  k->last_batch = batch_id;
  s->num_output_rows = rows;
  return 0;
}

const sp_sink_vtab sp_sqlite_sink_vtab = {"sqlite", sqlite_sink_options_, SP_MODES_ALL, true,
                                          sqlite_create_, sqlite_open_, sqlite_add_batch_, sqlite_close_};
