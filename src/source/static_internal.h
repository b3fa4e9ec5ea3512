/*
 * static_internal.h - the backend interface behind static_table.h and helpers shared
 * by the backends (static_files.c, static_sqlite.c, static_postgres.c).
 */
#ifndef SPATE_SOURCE_STATIC_INTERNAL_H
#define SPATE_SOURCE_STATIC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/datetime.h"
#include "source/static_table.h"

typedef struct sp_static_backend {
  const char *name;
  const char *const *options; /* NULL-terminated, Spark spelling */
  /* Set t->schema (owned reference) and t->description, allocate t->impl. */
  int (*create)(const sp_source_spec *spec, sp_static_table *t, spate_error *err);
  int (*read)(sp_static_table *t, sp_batch **out, spate_error *err);
  void (*free_impl)(void *impl);
} sp_static_backend;

struct sp_static_table {
  const sp_static_backend *be;
  sp_type *schema;   /* owned reference (STRUCT) */
  char *description; /* owned */
  void *impl;        /* owned by the backend */
};

extern const sp_static_backend sp_static_json_backend, sp_static_csv_backend, sp_static_text_backend;
extern const sp_static_backend sp_static_sqlite_backend, sp_static_postgres_backend;

/* Append the text value s[0..len) to v (a primitive column) converted like Spark's
 * CAST(string AS <type>): integers (trimmed; a decimal is truncated), doubles,
 * booleans (true/false/t/f/yes/no/1/0), TIMESTAMP/DATE (lenient ISO forms, tz for
 * zoneless text), STRING/BINARY verbatim. Unparsable text appends NULL. */
void sp_static_append_text(sp_vec *v, const char *s, size_t len, const sp_tz *tz);

/* True for the types a database column can be read into (primitives but NULL). */
bool sp_static_db_type_ok(sp_type_id id);

/* New STRUCT from names/types (all nullable); NULL on OOM. */
sp_type *sp_static_schema_new(int n, const char *const *names, const sp_type_id *types);

/* For each field of `user` the index of the column with that name (case-insensitive)
 * among names[0..n); error names the missing field, the columns and `what`.
 * *map malloc'd (user->nfields entries). */
int sp_static_map_columns(const sp_type *user, int n, const char *const *names, const char *what, int **map,
                          spate_error *err);

/* SQLite declared column type -> spate type (static_sqlite.c): INT/INTEGER/BIGINT ->
 * BIGINT, SMALLINT/TINYINT/MEDIUMINT/INT2/INT4 -> INT, BOOL -> BOOLEAN, REAL/FLOAT/
 * DOUBLE/NUMERIC/DECIMAL -> DOUBLE, TIMESTAMP/DATETIME -> TIMESTAMP, DATE -> DATE,
 * BLOB -> BINARY, other text -> STRING; NULL or "" -> SP_NULL (no declared type). */
sp_type_id sp_sqlite_decl_type(const char *decl);

#endif
