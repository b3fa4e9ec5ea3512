/*
 * static_sqlite.c - static tables in SQLite databases: `sqlite` with options path
 * (database file), exactly one of table | query (static_table.h).
 *
 * The schema is fixed at create from the declared types of the result columns
 * (sqlite3_column_decltype: INT/INTEGER/BIGINT -> BIGINT, SMALLINT/TINYINT/MEDIUMINT
 * /INT2/INT4 -> INT, BOOL -> BOOLEAN, REAL/FLOAT/DOUBLE/NUMERIC/DECIMAL -> DOUBLE,
 * TIMESTAMP/DATETIME -> TIMESTAMP, DATE -> DATE, BLOB -> BINARY, anything else
 * STRING); a computed column without a declared type takes the storage class of its
 * first row (none or NULL -> STRING). With a user schema, fields are matched to
 * result columns by name (case-insensitive).
 *
 * Invariants: the database is opened read-only, only inside create (to learn the
 * schema) and read (one snapshot: one statement, in one implicit read transaction),
 * and always closed before returning. SQL text comes only from options; values are
 * never spliced into SQL.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source/static_internal.h"

typedef struct sqlite_impl {
  char *path;  /* as given */
  char *sql;   /* the SELECT that is run */
  int *map;    /* schema field -> result column */
  sp_tz *tz;   /* spark.sql.session.timeZone (NULL = UTC) */
} sqlite_impl;

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static void sqlite_free_(void *impl) {
  sqlite_impl *si = impl;
  free(si->path);
  free(si->sql);
  free(si->map);
  sp_tz_close(si->tz);
  free(si);
}

static bool has_(const char *decl, const char *word) { return strcasestr(decl, word) != NULL; }

/* Declared column type -> spate type (static_internal.h; also used by the sqlite sink). */
sp_type_id sp_sqlite_decl_type(const char *decl) {
  if (!decl || !*decl) return SP_NULL;
  if (has_(decl, "TIMESTAMP") || has_(decl, "DATETIME")) return SP_TIMESTAMP;
  if (has_(decl, "DATE")) return SP_DATE;
  if (has_(decl, "BOOL")) return SP_BOOLEAN;
  if (has_(decl, "BIGINT") || has_(decl, "INT8") || has_(decl, "LONG")) return SP_BIGINT;
  if (has_(decl, "SMALLINT") || has_(decl, "TINYINT") || has_(decl, "MEDIUMINT") || has_(decl, "INT2") ||
      has_(decl, "INT4"))
    return SP_INT;
  if (has_(decl, "INT")) return SP_BIGINT; /* SQLite INTEGER is 64-bit */
  if (has_(decl, "CHAR") || has_(decl, "CLOB") || has_(decl, "TEXT")) return SP_STRING;
  if (has_(decl, "BLOB")) return SP_BINARY;
  if (has_(decl, "REAL") || has_(decl, "FLOA") || has_(decl, "DOUB") || has_(decl, "NUMERIC") ||
      has_(decl, "DECIMAL"))
    return SP_DOUBLE;
  return SP_STRING;
}

static sp_type_id storage_type_(int t) {
  switch (t) {
    case SQLITE_INTEGER: return SP_BIGINT;
    case SQLITE_FLOAT: return SP_DOUBLE;
    case SQLITE_BLOB: return SP_BINARY;
    default: return SP_STRING;
  }
}

/* "SQLite[<path>]" context for messages. */
static int db_error_(spate_error *err, int code, const sqlite_impl *si, sqlite3 *db, const char *doing) {
  return spate_error_set(err, code, "SQLite[%s]: %s: %s", si->path, doing, db ? sqlite3_errmsg(db) : "out of memory");
}

static int open_prepare_(const sqlite_impl *si, sqlite3 **db, sqlite3_stmt **stmt, spate_error *err) {
  *db = NULL;
  *stmt = NULL;
  int r = sqlite3_open_v2(si->path, db, SQLITE_OPEN_READONLY, NULL);
  if (r != SQLITE_OK) {
    int rc = db_error_(err, SPATE_EIO, si, *db, "cannot open database");
    sqlite3_close(*db);
    *db = NULL;
    return rc;
  }
  sqlite3_busy_timeout(*db, 10000);
  const char *tail = NULL;
  r = sqlite3_prepare_v2(*db, si->sql, -1, stmt, &tail);
  if (r == SQLITE_OK && !*stmt) r = SQLITE_MISUSE; /* empty SQL */
  if (r == SQLITE_OK && tail && tail[strspn(tail, " \t\r\n;")] != '\0') {
    sqlite3_finalize(*stmt);
    sqlite3_close(*db);
    *stmt = NULL;
    *db = NULL;
    return spate_error_set(err, SPATE_EINVAL, "SQLite[%s]: 'query' must be a single SELECT statement", si->path);
  }
  if (r != SQLITE_OK) {
    int rc = r == SQLITE_MISUSE ? spate_error_set(err, SPATE_EINVAL, "SQLite[%s]: empty query", si->path)
                                : db_error_(err, SPATE_ENOTFOUND, si, *db, "cannot prepare the read");
    sqlite3_finalize(*stmt);
    sqlite3_close(*db);
    *stmt = NULL;
    *db = NULL;
    return rc;
  }
  if (!sqlite3_stmt_readonly(*stmt) || sqlite3_column_count(*stmt) == 0) {
    sqlite3_finalize(*stmt);
    sqlite3_close(*db);
    *stmt = NULL;
    *db = NULL;
    return spate_error_set(err, SPATE_EINVAL, "SQLite[%s]: 'query' must be a SELECT statement returning columns",
                           si->path);
  }
  return 0;
}

static int sqlite_create_(const sp_source_spec *spec, sp_static_table *t, spate_error *err) {
  sqlite_impl *si = calloc(1, sizeof *si);
  if (!si) return oom_(err);
  t->impl = si;
  const char *path = sp_source_spec_option(spec, "path");
  const char *table = sp_source_spec_option(spec, "table");
  const char *query = sp_source_spec_option(spec, "query");
  if (!path || !*path) return spate_error_set(err, SPATE_EINVAL, "'path' is not specified for sqlite table");
  if ((table != NULL) == (query != NULL) || (table && !*table) || (query && !*query))
    return spate_error_set(err, SPATE_EINVAL, "Exactly one of the options 'table' or 'query' is required for sqlite "
                                              "table");
  if (!(si->path = strdup(path))) return oom_(err);
  const char *tzname = sp_conf_get(spec->conf, "spark.sql.session.timeZone");
  if (tzname && *tzname && !(si->tz = sp_tz_open(tzname)))
    return spate_error_set(err, SPATE_EINVAL, "unknown time zone '%s' (spark.sql.session.timeZone)", tzname);
  sp_buf b;
  sp_buf_init(&b);
  if (table) {
    /* "name" or "schema.name": each part quoted as an identifier. */
    sp_buf_puts(&b, "SELECT * FROM \"");
    for (const char *p = table; *p; p++) {
      if (*p == '"')
        sp_buf_puts(&b, "\"\"");
      else if (*p == '.' && !strchr(p + 1, '.'))
        sp_buf_puts(&b, "\".\"");
      else
        sp_buf_putc(&b, *p);
    }
    sp_buf_putc(&b, '"');
  } else {
    sp_buf_puts(&b, query);
  }
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return oom_(err);
  }
  si->sql = sp_buf_steal(&b);
  /* description: SQLite[<file name>:<table>|query] */
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t dl = strlen(base) + (table ? strlen(table) : 8) + 16;
  if (!(t->description = malloc(dl))) return oom_(err);
  snprintf(t->description, dl, "SQLite[%s:%s]", base, table ? table : "query");

  sqlite3 *db;
  sqlite3_stmt *st;
  int rc = open_prepare_(si, &db, &st, err);
  if (rc) return rc;
  int n = sqlite3_column_count(st);
  const char **names = calloc((size_t)n, sizeof *names);
  sp_type_id *types = calloc((size_t)n, sizeof *types);
  if (!names || !types) rc = oom_(err);
  bool need_row = false;
  for (int c = 0; !rc && c < n; c++) {
    names[c] = sqlite3_column_name(st, c);
    types[c] = sp_sqlite_decl_type(sqlite3_column_decltype(st, c));
    if (!names[c]) rc = oom_(err);
    if (types[c] == SP_NULL) need_row = true;
  }
  if (!rc && need_row && !spec->user_schema) {
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE) rc = db_error_(err, SPATE_EIO, si, db, "cannot read");
    for (int c = 0; !rc && c < n; c++)
      if (types[c] == SP_NULL) types[c] = r == SQLITE_ROW ? storage_type_(sqlite3_column_type(st, c)) : SP_STRING;
  }
  if (!rc) {
    if (spec->user_schema) {
      rc = sp_static_map_columns(spec->user_schema, n, names, t->description, &si->map, err);
      if (!rc) {
        const char **un = calloc((size_t)spec->user_schema->nfields + 1, sizeof *un);
        sp_type_id *ut = calloc((size_t)spec->user_schema->nfields + 1, sizeof *ut);
        if (!un || !ut) {
          rc = oom_(err);
        } else {
          for (int f = 0; f < spec->user_schema->nfields; f++) {
            un[f] = spec->user_schema->fields[f].name;
            ut[f] = spec->user_schema->fields[f].type->id;
          }
          if (!(t->schema = sp_static_schema_new(spec->user_schema->nfields, un, ut))) rc = oom_(err);
        }
        free(un);
        free(ut);
      }
    } else {
      si->map = calloc((size_t)(n ? n : 1), sizeof *si->map);
      if (!si->map) rc = oom_(err);
      for (int c = 0; !rc && c < n; c++) si->map[c] = c;
      if (!rc && !(t->schema = sp_static_schema_new(n, names, types))) rc = oom_(err);
    }
  }
  free(names);
  free(types);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}

/* Append column c of the current row to v (a primitive column). */
static void append_value_(sp_vec *v, sqlite3_stmt *st, int c, const sp_tz *tz) {
  int t = sqlite3_column_type(st, c);
  if (t == SQLITE_NULL) {
    sp_vec_append_null(v);
    return;
  }
  switch (v->type->id) {
    case SP_BOOLEAN:
      if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
        sp_vec_append_bool(v, sqlite3_column_double(st, c) != 0);
        return;
      }
      break;
    case SP_INT:
      if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
        double d = sqlite3_column_double(st, c);
        if (t == SQLITE_INTEGER) {
          sqlite3_int64 x = sqlite3_column_int64(st, c);
          if (x >= INT32_MIN && x <= INT32_MAX)
            sp_vec_append_i32(v, (int32_t)x);
          else
            sp_vec_append_null(v);
        } else if (d > -2147483649.0 && d < 2147483648.0) {
          sp_vec_append_i32(v, (int32_t)d);
        } else {
          sp_vec_append_null(v);
        }
        return;
      }
      break;
    case SP_BIGINT:
      if (t == SQLITE_INTEGER) {
        sp_vec_append_i64(v, sqlite3_column_int64(st, c));
        return;
      }
      if (t == SQLITE_FLOAT) {
        double d = sqlite3_column_double(st, c);
        if (d > -9223372036854775808.0 && d < 9223372036854775808.0)
          sp_vec_append_i64(v, (int64_t)d);
        else
          sp_vec_append_null(v);
        return;
      }
      break;
    case SP_DOUBLE:
      if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
        sp_vec_append_f64(v, sqlite3_column_double(st, c));
        return;
      }
      break;
    case SP_TIMESTAMP:
      /* numbers are seconds since the epoch, as CAST(<number> AS TIMESTAMP) */
      if (t == SQLITE_INTEGER) {
        sqlite3_int64 x = sqlite3_column_int64(st, c);
        if (x > INT64_MAX / 1000000 || x < INT64_MIN / 1000000)
          sp_vec_append_null(v);
        else
          sp_vec_append_i64(v, x * 1000000);
        return;
      }
      if (t == SQLITE_FLOAT) {
        double d = sqlite3_column_double(st, c) * 1e6;
        if (d > -9.2e18 && d < 9.2e18)
          sp_vec_append_i64(v, (int64_t)d);
        else
          sp_vec_append_null(v);
        return;
      }
      break;
    case SP_BINARY:
    case SP_STRING:
      if (t == SQLITE_BLOB) {
        const void *p = sqlite3_column_blob(st, c);
        int len = sqlite3_column_bytes(st, c);
        sp_vec_append_str(v, p ? p : "", len);
        return;
      }
      break;
    default: break;
  }
  if (t == SQLITE_BLOB) { /* a BLOB read as a number, time or boolean */
    sp_vec_append_null(v);
    return;
  }
  const unsigned char *s = sqlite3_column_text(st, c); /* numbers rendered as SQLite prints them */
  int len = sqlite3_column_bytes(st, c);
  if (!s) {
    sp_vec_append_null(v);
    return;
  }
  sp_static_append_text(v, (const char *)s, (size_t)len, tz);
}

static int sqlite_read_(sp_static_table *t, sp_batch **out, spate_error *err) {
  sqlite_impl *si = t->impl;
  sqlite3 *db;
  sqlite3_stmt *st;
  int rc = open_prepare_(si, &db, &st, err);
  if (rc) return rc;
  int n = sqlite3_column_count(st);
  for (int f = 0; f < t->schema->nfields; f++)
    if (si->map[f] >= n) rc = spate_error_set(err, SPATE_ESTATE, "%s: the table's columns changed since the query "
                                                                 "started", t->description);
  sp_batch *b = rc ? NULL : sp_batch_new(t->schema, 0);
  if (!rc && !b) rc = oom_(err);
  while (!rc) {
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) break;
    if (r != SQLITE_ROW) {
      rc = db_error_(err, SPATE_EIO, si, db, "cannot read");
      break;
    }
    for (int f = 0; f < t->schema->nfields; f++) append_value_(b->cols[f], st, si->map[f], si->tz);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (!rc && (rc = sp_batch_finish(b)) == SPATE_ENOMEM) oom_(err);
  if (rc) {
    sp_batch_free(b);
    return rc;
  }
  *out = b;
  return 0;
}

static const char *const sqlite_options_[] = {"path", "table", "query", NULL};

const sp_static_backend sp_static_sqlite_backend = {"sqlite", sqlite_options_, sqlite_create_, sqlite_read_,
                                                    sqlite_free_};
