/*
 * static_postgres.c - static tables in PostgreSQL: `postgres` with options url |
 * conninfo (libpq), exactly one of table | query, optional user / password
 * (static_table.h). `table` is used verbatim as Spark's JDBC dbtable
 * ("SELECT * FROM <table>"), so it may be schema-qualified or quoted.
 *
 * The schema is fixed at create from the result's column types (PQdescribePrepared,
 * the query is not run): bool -> BOOLEAN, int2/int4 -> INT, int8/oid -> BIGINT,
 * float4/float8/numeric -> DOUBLE, bytea -> BINARY, date -> DATE, timestamp /
 * timestamptz -> TIMESTAMP, anything else STRING. Values are read in text format and
 * converted like CAST (bytea's \x hex form is decoded); the session runs in UTC.
 *
 * Invariants: a connection exists only inside create and read; the password never
 * appears in descriptions or error messages (pg_common.c).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/pg_common.h"
#include "source/static_internal.h"

typedef struct pg_impl {
  sp_pg_conf conf;
  char *sql;
  int *map;  /* schema field -> result column */
  sp_tz *tz; /* spark.sql.session.timeZone for zoneless timestamps (NULL = UTC) */
} pg_impl;

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static void pg_free_(void *impl) {
  pg_impl *pi = impl;
  sp_pg_conf_release(&pi->conf);
  free(pi->sql);
  free(pi->map);
  sp_tz_close(pi->tz);
  free(pi);
}

static sp_type_id oid_type_(Oid oid) {
  switch (oid) {
    case 16: return SP_BOOLEAN;
    case 17: return SP_BINARY;
    case 20:
    case 26: return SP_BIGINT;
    case 21:
    case 23: return SP_INT;
    case 700:
    case 701:
    case 1700: return SP_DOUBLE;
    case 1082: return SP_DATE;
    case 1114:
    case 1184: return SP_TIMESTAMP;
    default: return SP_STRING;
  }
}

static int hexv_(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* bytea text output (hex format "\x0a0b") into v; other text verbatim. */
static void append_bytea_(sp_vec *v, const char *s, size_t len) {
  if (len < 2 || s[0] != '\\' || s[1] != 'x' || (len - 2) % 2) {
    sp_vec_append_str(v, s, (int32_t)len);
    return;
  }
  size_t n = (len - 2) / 2;
  char small[256] = {0};
  char *buf = n <= sizeof small ? small : malloc(n);
  if (!buf) {
    sp_vec_append_null(v);
    v->failed = true;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    int h = hexv_(s[2 + 2 * i]), l = hexv_(s[3 + 2 * i]);
    if (h < 0 || l < 0) {
      if (buf != small) free(buf);
      sp_vec_append_null(v);
      return;
    }
    buf[i] = (char)(h * 16 + l);
  }
  sp_vec_append_str(v, buf, (int32_t)n);
  if (buf != small) free(buf);
}

static int pg_create_(const sp_source_spec *spec, sp_static_table *t, spate_error *err) {
  pg_impl *pi = calloc(1, sizeof *pi);
  if (!pi) return oom_(err);
  t->impl = pi;
  const char *table = sp_source_spec_option(spec, "table");
  const char *query = sp_source_spec_option(spec, "query");
  int rc = sp_pg_conf_init(&pi->conf, sp_source_spec_option(spec, "url"), sp_source_spec_option(spec, "conninfo"),
                           sp_source_spec_option(spec, "user"), sp_source_spec_option(spec, "password"), err);
  if (rc) return rc;
  if ((table != NULL) == (query != NULL) || (table && !*table) || (query && !*query))
    return spate_error_set(err, SPATE_EINVAL,
                           "Exactly one of the options 'table' or 'query' is required for postgres table");
  const char *tzname = sp_conf_get(spec->conf, "spark.sql.session.timeZone");
  if (tzname && *tzname && !(pi->tz = sp_tz_open(tzname)))
    return spate_error_set(err, SPATE_EINVAL, "unknown time zone '%s' (spark.sql.session.timeZone)", tzname);
  sp_buf b;
  sp_buf_init(&b);
  if (table)
    sp_buf_printf(&b, "SELECT * FROM %s", table);
  else
    sp_buf_puts(&b, query);
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return oom_(err);
  }
  pi->sql = sp_buf_steal(&b);
  size_t dl = strlen(pi->conf.where) + (table ? strlen(table) : 8) + 16;
  if (!(t->description = malloc(dl))) return oom_(err);
  snprintf(t->description, dl, "PostgreSQL[%s:%s]", pi->conf.where, table ? table : "query");

  PGconn *conn;
  if ((rc = sp_pg_connect(&pi->conf, &conn, err))) return rc;
  PGresult *r = PQprepare(conn, "", pi->sql, 0, NULL);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    rc = sp_pg_error(err, SPATE_ENOTFOUND, &pi->conf, "cannot prepare the read", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(conn);
    return rc;
  }
  PQclear(r);
  r = PQdescribePrepared(conn, "");
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    rc = sp_pg_error(err, SPATE_EIO, &pi->conf, "cannot describe the read", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(conn);
    return rc;
  }
  int n = PQnfields(r);
  if (n == 0) rc = spate_error_set(err, SPATE_EINVAL, "%s: 'query' must be a SELECT returning columns", t->description);
  const char **names = calloc((size_t)n + 1, sizeof *names);
  sp_type_id *types = calloc((size_t)n + 1, sizeof *types);
  if (!rc && (!names || !types)) rc = oom_(err);
  for (int c = 0; !rc && c < n; c++) {
    names[c] = PQfname(r, c);
    types[c] = oid_type_(PQftype(r, c));
  }
  if (!rc && spec->user_schema) {
    rc = sp_static_map_columns(spec->user_schema, n, names, t->description, &pi->map, err);
    int nf = spec->user_schema->nfields;
    const char **un = calloc((size_t)nf + 1, sizeof *un);
    sp_type_id *ut = calloc((size_t)nf + 1, sizeof *ut);
    if (!rc && (!un || !ut)) rc = oom_(err);
    for (int f = 0; !rc && f < nf; f++) {
      un[f] = spec->user_schema->fields[f].name;
      ut[f] = spec->user_schema->fields[f].type->id;
    }
    if (!rc && !(t->schema = sp_static_schema_new(nf, un, ut))) rc = oom_(err);
    free(un);
    free(ut);
  } else if (!rc) {
    pi->map = calloc((size_t)n + 1, sizeof *pi->map);
    if (!pi->map) rc = oom_(err);
    for (int c = 0; !rc && c < n; c++) pi->map[c] = c;
    if (!rc && !(t->schema = sp_static_schema_new(n, names, types))) rc = oom_(err);
  }
  free(names);
  free(types);
  PQclear(r);
  PQfinish(conn);
  return rc;
}

static int pg_read_(sp_static_table *t, sp_batch **out, spate_error *err) {
  pg_impl *pi = t->impl;
  PGconn *conn;
  int rc = sp_pg_connect(&pi->conf, &conn, err);
  if (rc) return rc;
  PGresult *r = PQexecParams(conn, pi->sql, 0, NULL, NULL, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = sp_pg_error(err, SPATE_EIO, &pi->conf, "cannot read", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(conn);
    return rc;
  }
  int nrows = PQntuples(r), ncols = PQnfields(r);
  for (int f = 0; !rc && f < t->schema->nfields; f++)
    if (pi->map[f] >= ncols)
      rc = spate_error_set(err, SPATE_ESTATE, "%s: the table's columns changed since the query started",
                           t->description);
  sp_batch *b = rc ? NULL : sp_batch_new(t->schema, nrows);
  if (!rc && !b) rc = oom_(err);
  for (int f = 0; !rc && f < t->schema->nfields; f++) {
    sp_vec *v = b->cols[f];
    int c = pi->map[f];
    bool bytea = PQftype(r, c) == 17;
    for (int i = 0; i < nrows; i++) {
      if (PQgetisnull(r, i, c)) {
        sp_vec_append_null(v);
        continue;
      }
      const char *s = PQgetvalue(r, i, c);
      size_t len = (size_t)PQgetlength(r, i, c);
      if (bytea && (v->type->id == SP_BINARY || v->type->id == SP_STRING))
        append_bytea_(v, s, len);
      else
        sp_static_append_text(v, s, len, pi->tz);
    }
  }
  PQclear(r);
  PQfinish(conn);
  if (!rc && (rc = sp_batch_finish(b)) == SPATE_ENOMEM) oom_(err);
  if (rc) {
    sp_batch_free(b);
    return rc;
  }
  *out = b;
  return 0;
}

static const char *const pg_options_[] = {"url", "conninfo", "table", "query", "user", "password", NULL};

const sp_static_backend sp_static_postgres_backend = {"postgres", pg_options_, pg_create_, pg_read_, pg_free_};
