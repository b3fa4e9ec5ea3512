/*
 * static_table.c - static (batch) tables (static_table.h): the format registry,
 * option validation, and conversions shared by the database backends.
 *
 * Invariants: a created table always has a schema (STRUCT, every field nullable) and
 * a description; the backend's impl holds only configuration (paths, SQL text,
 * connection strings, resolved time zone), never an open file or connection, so a
 * table can live as long as a query and be read on any thread (one at a time).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source/static_internal.h"

static const sp_static_backend *const backends_[] = {
    &sp_static_csv_backend, &sp_static_json_backend, &sp_static_postgres_backend, &sp_static_sqlite_backend,
    &sp_static_text_backend,
};

const char *sp_static_table_formats(void) { return "csv, json, postgres, sqlite, text"; }

int sp_static_table_create(const sp_source_spec *spec, sp_static_table **out, spate_error *err) {
  *out = NULL;
  const sp_static_backend *be = NULL;
  for (size_t i = 0; spec->format && i < sizeof backends_ / sizeof backends_[0]; i++)
    if (strcasecmp(backends_[i]->name, spec->format) == 0) be = backends_[i];
  if (!be)
    return spate_error_set(err, SPATE_ENOTFOUND, "Failed to find data source: %s. Available static tables: %s",
                           spec->format ? spec->format : "(none)", sp_static_table_formats());
  char what[64];
  snprintf(what, sizeof what, "%s table", be->name);
  int rc = sp_check_options(what, be->options, spec->noptions, spec->keys, err);
  if (rc) return rc;
  sp_static_table *t = calloc(1, sizeof *t);
  if (!t) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  t->be = be;
  rc = be->create(spec, t, err);
  if (!rc && (!t->schema || !t->description)) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory");
  if (rc) {
    sp_static_table_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

sp_type *sp_static_table_schema(const sp_static_table *t) { return t->schema; }
const char *sp_static_table_description(const sp_static_table *t) { return t->description; }

int sp_static_table_read(sp_static_table *t, sp_batch **out, spate_error *err) {
  *out = NULL;
  sp_batch *b = NULL;
  int rc = t->be->read(t, &b, err);
  if (rc) {
    sp_batch_free(b);
    return rc;
  }
  *out = b;
  return 0;
}

void sp_static_table_free(sp_static_table *t) {
  if (!t) return;
  if (t->impl && t->be->free_impl) t->be->free_impl(t->impl);
  sp_type_unref(t->schema);
  free(t->description);
  free(t);
}

/* ---------------------------------------------------------------------- */
/* shared helpers                                                         */
/* ---------------------------------------------------------------------- */

bool sp_static_db_type_ok(sp_type_id id) {
  switch (id) {
    case SP_BOOLEAN:
    case SP_INT:
    case SP_BIGINT:
    case SP_DOUBLE:
    case SP_STRING:
    case SP_BINARY:
    case SP_TIMESTAMP:
    case SP_DATE: return true;
    default: return false;
  }
}

sp_type *sp_static_schema_new(int n, const char *const *names, const sp_type_id *types) {
  sp_type *st = sp_type_struct_new(n);
  if (!st) return NULL;
  for (int i = 0; i < n; i++) {
    if (sp_type_struct_set(st, i, names[i], sp_type_prim(types[i]), true)) {
      sp_type_unref(st);
      return NULL;
    }
  }
  return st;
}

int sp_static_map_columns(const sp_type *user, int n, const char *const *names, const char *what, int **map,
                          spate_error *err) {
  *map = calloc((size_t)(user->nfields ? user->nfields : 1), sizeof **map);
  if (!*map) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  for (int f = 0; f < user->nfields; f++) {
    int found = -1;
    for (int c = 0; c < n && found < 0; c++)
      if (names[c] && strcasecmp(names[c], user->fields[f].name) == 0) found = c;
    if (!sp_static_db_type_ok(user->fields[f].type->id)) {
      char tn[128];
      sp_type_to_string(user->fields[f].type, tn, sizeof tn);
      free(*map);
      *map = NULL;
      return spate_error_set(err, SPATE_EUNSUPPORTED, "%s: column '%s' cannot be read as %s", what,
                             user->fields[f].name, tn);
    }
    if (found < 0) {
      sp_buf b;
      sp_buf_init(&b);
      for (int c = 0; c < n; c++) {
        if (c) sp_buf_puts(&b, ", ");
        sp_buf_puts(&b, names[c] ? names[c] : "?");
      }
      int rc = sp_buf_check(&b) ? spate_error_set(err, SPATE_ENOMEM, "out of memory")
                                : spate_error_set(err, SPATE_EANALYSIS,
                                                  "%s: column '%s' of the given schema is not among the columns "
                                                  "read (%s)",
                                                  what, user->fields[f].name, b.len ? b.data : "none");
      sp_buf_free(&b);
      free(*map);
      *map = NULL;
      return rc;
    }
    (*map)[f] = found;
  }
  return 0;
}

static bool trim_copy_(const char *s, size_t len, char *buf, size_t cap) {
  while (len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, len--;
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
  if (len == 0 || len >= cap) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  return true;
}

/* CAST(string AS BIGINT) (non-ANSI): an integer, or a decimal truncated toward zero. */
static bool parse_int_text_(const char *s, size_t len, int64_t *out) {
  char buf[64];
  if (!trim_copy_(s, len, buf, sizeof buf)) return false;
  char *end;
  errno = 0;
  long long x = strtoll(buf, &end, 10);
  if (!errno && *end == '\0' && end != buf) {
    *out = x;
    return true;
  }
  /* "12.7" -> 12 (digits, one '.', digits only; no exponent) */
  const char *p = buf;
  if (*p == '+' || *p == '-') p++;
  bool digits = false, dot = false;
  for (; *p; p++) {
    if (*p >= '0' && *p <= '9')
      digits = true;
    else if (*p == '.' && !dot)
      dot = true;
    else
      return false;
  }
  if (!digits) return false;
  errno = 0;
  double d = strtod(buf, &end);
  if (errno || *end || !(d > -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
  *out = (int64_t)d;
  return true;
}

static bool parse_double_text_(const char *s, size_t len, double *out) {
  char buf[128];
  if (!trim_copy_(s, len, buf, sizeof buf)) return false;
  char *end;
  errno = 0;
  double d = strtod(buf, &end);
  if (*end || end == buf) return false;
  if (errno == ERANGE && isinf(d)) return false;
  *out = d;
  return true;
}

static int parse_bool_text_(const char *s, size_t len) {
  char buf[16];
  if (!trim_copy_(s, len, buf, sizeof buf)) return -1;
  static const char *const t[] = {"t", "true", "y", "yes", "1"}, *const f[] = {"f", "false", "n", "no", "0"};
  for (int i = 0; i < 5; i++) {
    if (strcasecmp(buf, t[i]) == 0) return 1;
    if (strcasecmp(buf, f[i]) == 0) return 0;
  }
  return -1;
}

void sp_static_append_text(sp_vec *v, const char *s, size_t len, const sp_tz *tz) {
  int64_t i;
  double d;
  int32_t days;
  switch (v->type->id) {
    case SP_BOOLEAN: {
      int b = parse_bool_text_(s, len);
      if (b < 0)
        sp_vec_append_null(v);
      else
        sp_vec_append_bool(v, b == 1);
      return;
    }
    case SP_INT:
      if (parse_int_text_(s, len, &i) && i >= INT32_MIN && i <= INT32_MAX)
        sp_vec_append_i32(v, (int32_t)i);
      else
        sp_vec_append_null(v);
      return;
    case SP_BIGINT:
      if (parse_int_text_(s, len, &i))
        sp_vec_append_i64(v, i);
      else
        sp_vec_append_null(v);
      return;
    case SP_DOUBLE:
      if (parse_double_text_(s, len, &d))
        sp_vec_append_f64(v, d);
      else
        sp_vec_append_null(v);
      return;
    case SP_STRING:
    case SP_BINARY:
      if (len > INT32_MAX)
        sp_vec_append_null(v);
      else
        sp_vec_append_str(v, s, (int32_t)len);
      return;
    case SP_TIMESTAMP:
      if (sp_timestamp_parse_default(s, len, tz, &i) == 0)
        sp_vec_append_i64(v, i);
      else
        sp_vec_append_null(v);
      return;
    case SP_DATE:
      if (sp_date_parse_default(s, len, &days) == 0)
        sp_vec_append_i32(v, days);
      else
        sp_vec_append_null(v);
      return;
    default: sp_vec_append_null(v); return;
  }
}
