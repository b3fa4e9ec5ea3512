/*
 * parser.h - the job-file / SQL parser: text -> sp_ast_* (src/sql/ast.h).
 *
 * Reentrant, no global state. All errors are SPATE_ESYNTAX with a message of the
 * form "line L:C: <what>\n<the source line>\n<spaces>^" (see sp_sql_error_at).
 * The job language is documented in docs/sql.md.
 */
#ifndef SPATE_SQL_PARSER_H
#define SPATE_SQL_PARSER_H

#include <stddef.h>

#include "spate/error.h"
#include "sql/ast.h"

/* Parse a whole job file (variables already substituted). On success *out is a new
 * script owned by the caller (free with sp_ast_script_free). */
int sp_parse_script(const char *text, size_t len, sp_ast_script **out, spate_error *err);
void sp_ast_script_free(sp_ast_script *s);

/* An empty script used as the arena/owner for expressions parsed one by one
 * (DataFrame API: selectExpr, filter, withColumn). NULL on OOM. */
sp_ast_script *sp_ast_script_new(void);

/* Parse one SQL expression; nodes are allocated in `holder`. Positions in errors
 * refer to `text`. The text is copied into the holder's arena. */
int sp_parse_expr(sp_ast_script *holder, const char *text, sp_ast_expr **out, spate_error *err);
/* Parse "expr [[AS] alias]" as a select-list item (selectExpr strings). */
int sp_parse_select_item(sp_ast_script *holder, const char *text, sp_ast_select_item *out, spate_error *err);

/* Parse a Spark DDL schema string ("a INT, b STRUCT<c: STRING>, d ARRAY<DOUBLE>")
 * into a new STRUCT type reference owned by the caller. Type names as Spark's:
 * BOOLEAN, TINYINT/SMALLINT/INT/INTEGER (-> INT), BIGINT/LONG, FLOAT/DOUBLE/REAL (-> DOUBLE),
 * STRING/VARCHAR(n)/CHAR(n), BINARY, TIMESTAMP, DATE, STRUCT<...>, ARRAY<...>. */
int sp_parse_schema(const char *text, sp_type **out, spate_error *err);

/* Parse a Spark interval string ("15 minutes", "1 hour", "30 second", "2 seconds",
 * "1 day 2 hours", "500 milliseconds", optionally prefixed "interval ") into
 * microseconds. Months/years are rejected. */
int sp_parse_interval(const char *text, int64_t *us, spate_error *err);

/* Substitute ${name} and ${name:-default} using vars (n pairs). An unset variable
 * without default is SPATE_EINVAL naming the variable and its line:column.
 * `$${` escapes a literal "${". *out is malloc'd, owned by the caller. */
int sp_substitute_vars(const char *text, const char *const *names, const char *const *values, int n,
                       char **out, spate_error *err);

/* Set err to `code` with "line L:C: <msg>" followed by the offending source line and
 * a caret under byte offset `pos` of `text`. Returns code. */
int sp_sql_error_at(spate_error *err, int code, const char *text, int pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
