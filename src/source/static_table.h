/*
 * static_table.h - static (batch) tables: the static side of a stream-static join
 * (spark-semantics.md §6.3). A static table is read whole, as a snapshot, every
 * time sp_static_table_read is called (Spark re-evaluates the static side every
 * micro-batch); caching a snapshot across batches is the caller's choice.
 *
 * Formats (spec->format, case-insensitive):
 *   json, csv, text  path = file, directory (its non-hidden top-level files) or glob;
 *                    format options as the streaming file source (mode, header, sep, ...).
 *                    Without a user schema: json infers from every file, csv takes the
 *                    first file's header names (all STRING), text is `value STRING`.
 *   sqlite           path (database file), exactly one of table | query.
 *   postgres         url | conninfo (libpq), exactly one of table | query, optional
 *                    user / password (never echoed in errors or descriptions).
 * Database values are converted to the schema's types (INTEGER->BIGINT/INT, REAL->DOUBLE,
 * TEXT->STRING, BLOB->BINARY, NULL; text read into TIMESTAMP/DATE/numeric columns parses
 * like CAST, in spark.sql.session.timeZone; unparsable values become NULL).
 *
 * Lifecycle: create validates options and fixes the schema (it may open and close a
 * connection to learn the column types) but keeps nothing open; every read opens,
 * reads and closes. A table is used by one thread at a time.
 */
#ifndef SPATE_SOURCE_STATIC_TABLE_H
#define SPATE_SOURCE_STATIC_TABLE_H

#include "common/vec.h"
#include "source/source.h"
#include "spate/error.h"

typedef struct sp_static_table sp_static_table;

/* Validate options (unknown names rejected with the valid list, like sp_check_options),
 * fix the schema (spec->user_schema, or inferred), open nothing long-lived. */
int sp_static_table_create(const sp_source_spec *spec, sp_static_table **out, spate_error *err);
sp_type *sp_static_table_schema(const sp_static_table *t);         /* borrowed STRUCT */
const char *sp_static_table_description(const sp_static_table *t); /* e.g. "SQLite[users.db:users]" */
/* Read the whole table now (a snapshot), as one batch with the schema. Thread: caller's. */
int sp_static_table_read(sp_static_table *t, sp_batch **out, spate_error *err);
void sp_static_table_free(sp_static_table *t); /* NULL-safe */

/* Comma-separated list of static table formats (for error messages). */
const char *sp_static_table_formats(void);

#endif
