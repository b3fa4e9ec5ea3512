/*
 * ast.h - syntax tree of spate job files and SQL expressions.
 *
 * Produced by the parser (src/sql/parser.c), consumed by the analyzer/planner
 * (src/plan/). Names are not resolved here: a column reference keeps its dotted
 * parts and the analyzer decides which part is a view, a column or a struct field.
 * Every node carries `pos`, the byte offset of its first character in the source
 * text, so later phases can report line:column with a caret (sp_sql_format_error).
 *
 * Memory: every node, string and array lives in the sp_arena of the sp_ast_script
 * (or of the arena passed to sp_parse_expr); nothing is freed individually.
 * Types in CAST and schemas are sp_type references owned by the script and
 * released by sp_ast_script_free (they are registered in `types`).
 */
#ifndef SPATE_SQL_AST_H
#define SPATE_SQL_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/types.h"

typedef enum sp_ast_kind {
  SP_AST_COLUMN,    /* parts[0..nparts): a, t.a, a.b.c */
  SP_AST_STAR,      /* `*` (nparts == 0) or `q.*` / `a.b.*` (parts = qualifier) */
  SP_AST_LITERAL,   /* lit_type + value; SP_NULL for NULL */
  SP_AST_INTERVAL,  /* INTERVAL 15 MINUTES / INTERVAL '15 minutes': interval_us */
  SP_AST_UNARY,     /* op (SP_OP_NOT, SP_OP_NEG), args[0] */
  SP_AST_BINARY,    /* op, args[0], args[1] */
  SP_AST_FUNC,      /* name (lower-cased), args; count(*) has star_arg=true, nargs=0 */
  SP_AST_CASE,      /* args: [operand?] then WHEN/THEN pairs then [ELSE]; see case_* fields */
  SP_AST_CAST,      /* args[0] AS cast_type */
  SP_AST_IN,        /* args[0] [NOT] IN (args[1..]) */
  SP_AST_LIKE,      /* args[0] [NOT] LIKE args[1]; op = SP_OP_LIKE or SP_OP_RLIKE */
  SP_AST_IS_NULL,   /* args[0] IS [NOT] NULL */
  SP_AST_BETWEEN,   /* args[0] [NOT] BETWEEN args[1] AND args[2] */
  SP_AST_FIELD,     /* args[0].name -- field access on a non-column expression */
  SP_AST_SUBSCRIPT, /* args[0][args[1]] */
} sp_ast_kind;

typedef enum sp_ast_op {
  SP_OP_NONE = 0,
  SP_OP_ADD, SP_OP_SUB, SP_OP_MUL, SP_OP_DIV, SP_OP_MOD, SP_OP_CONCAT, /* || */
  SP_OP_EQ, SP_OP_NE, SP_OP_LT, SP_OP_LE, SP_OP_GT, SP_OP_GE, SP_OP_EQ_NULLSAFE, /* <=> */
  SP_OP_AND, SP_OP_OR, SP_OP_NOT, SP_OP_NEG,
  SP_OP_LIKE, SP_OP_RLIKE,
} sp_ast_op;

typedef struct sp_ast_expr sp_ast_expr;
struct sp_ast_expr {
  sp_ast_kind kind;
  int pos;               /* byte offset in source text */
  int end;               /* byte offset just past the node (for default column names) */
  sp_ast_op op;
  char *name;            /* FUNC: lower-cased function name; FIELD: field name */
  char **parts;          /* COLUMN / STAR qualifier (as written, unquoted) */
  int nparts;
  sp_ast_expr **args;
  int nargs;
  bool negated;          /* NOT IN / NOT LIKE / IS NOT NULL / NOT BETWEEN */
  bool distinct;         /* count(DISTINCT x) */
  bool star_arg;         /* count(*) */
  /* CASE: has_operand -> args[0] is the operand; then ncase pairs (when, then);
   * has_else -> last arg is the ELSE value. */
  bool case_has_operand, case_has_else;
  int case_nwhen;
  /* LITERAL */
  sp_type_id lit_type;   /* SP_NULL, SP_BOOLEAN, SP_INT, SP_BIGINT, SP_DOUBLE, SP_STRING */
  int64_t lit_int;       /* BOOLEAN (0/1), INT, BIGINT */
  double lit_double;
  char *lit_str;         /* STRING (unescaped, NUL-terminated; may contain no NUL) */
  int lit_strlen;
  /* INTERVAL */
  int64_t interval_us;
  /* CAST */
  sp_type *cast_type;
};

typedef struct sp_ast_option {
  char *key;   /* as written (unquoted); Spark option names are case-insensitive */
  char *value; /* unquoted string value */
  int pos;
} sp_ast_option;

typedef struct sp_ast_select_item {
  sp_ast_expr *expr;
  char *alias;   /* NULL if none */
  int pos;
} sp_ast_select_item;

typedef enum sp_ast_from_kind { SP_FROM_TABLE, SP_FROM_SUBQUERY, SP_FROM_JOIN } sp_ast_from_kind;
typedef enum sp_ast_join_type {
  SP_JOIN_INNER, SP_JOIN_LEFT, SP_JOIN_RIGHT, SP_JOIN_FULL, SP_JOIN_LEFT_SEMI, SP_JOIN_LEFT_ANTI, SP_JOIN_CROSS
} sp_ast_join_type;

typedef struct sp_ast_select sp_ast_select;
typedef struct sp_ast_from sp_ast_from;
struct sp_ast_from {
  sp_ast_from_kind kind;
  int pos;
  char *name;             /* TABLE: view name */
  char *alias;            /* optional alias */
  sp_ast_select *subquery;/* SUBQUERY */
  sp_ast_from *left, *right; /* JOIN */
  sp_ast_join_type join_type;
  sp_ast_expr *on;        /* JOIN ... ON cond (NULL for CROSS) */
  char **using_cols;      /* JOIN ... USING (a, b) */
  int nusing;
};

typedef struct sp_ast_order_item {
  sp_ast_expr *expr;
  bool desc;
} sp_ast_order_item;

struct sp_ast_select {
  int pos;
  bool distinct;
  sp_ast_select_item *items;
  int nitems;
  sp_ast_from *from;       /* NULL: SELECT without FROM (constant row) */
  sp_ast_expr *where;
  /* DROP DUPLICATES [WITHIN WATERMARK] [(cols)] (dropDuplicates /
   * dropDuplicatesWithinWatermark over the FROM rows; no cols = all columns). */
  /* UNION ALL: the next SELECT of the chain (its rows are appended), or NULL. */
  sp_ast_select *union_all;
  int union_pos;
  bool dedup, dedup_within_watermark;
  char **dedup_cols;
  int ndedup_cols;
  int dedup_pos;
  sp_ast_expr **group_by;
  int ngroup_by;
  sp_ast_expr *having;
  sp_ast_order_item *order_by;
  int norder_by;
  int64_t limit;           /* -1 when absent */
};

typedef enum sp_ast_stmt_kind {
  SP_STMT_SET,          /* SET key = value */
  SP_STMT_SOURCE_VIEW,  /* CREATE [OR REPLACE] TEMPORARY VIEW v [(schema)] USING fmt [OPTIONS (...)] [WATERMARK ...] */
  SP_STMT_QUERY_VIEW,   /* CREATE [OR REPLACE] TEMPORARY VIEW v [WATERMARK ...] AS select */
  SP_STMT_START_QUERY,  /* CREATE STREAMING QUERY [name] USING sink OPTIONS (...) ... AS select */
} sp_ast_stmt_kind;

typedef enum sp_ast_trigger_kind {
  SP_TRIGGER_DEFAULT = 0,    /* ProcessingTime(0) */
  SP_TRIGGER_PROCESSING_TIME,
  SP_TRIGGER_ONCE,
  SP_TRIGGER_AVAILABLE_NOW,
  SP_TRIGGER_CONTINUOUS,
} sp_ast_trigger_kind;

typedef struct sp_ast_stmt {
  sp_ast_stmt_kind kind;
  int pos;
  /* SET */
  char *set_key, *set_value;
  /* views and queries */
  char *name;               /* view name / query name (NULL: unnamed query) */
  bool or_replace;
  char *format;             /* USING <format> (source or sink) */
  sp_ast_option *options;
  int noptions;
  sp_type *schema;          /* SOURCE_VIEW optional user schema (STRUCT), else NULL */
  bool is_static;           /* CREATE TEMPORARY TABLE ... USING: a static (batch) table, not a stream */
  char *watermark_col;      /* WATERMARK <col> DELAY OF '<interval>' */
  char *watermark_delay;    /* interval string as written, e.g. "30 minutes" */
  int64_t watermark_delay_us;
  sp_ast_select *select;    /* QUERY_VIEW / START_QUERY */
  /* START_QUERY */
  char *output_mode;        /* "append" | "update" | "complete" | NULL (default append) */
  sp_ast_trigger_kind trigger;
  int64_t trigger_interval_us; /* PROCESSING_TIME / CONTINUOUS */
  char *checkpoint;         /* CHECKPOINT LOCATION '<path>' or NULL */
} sp_ast_stmt;

typedef struct sp_ast_script {
  sp_arena arena;
  const char *text;         /* copy of the source text (owned by the arena) */
  sp_ast_stmt *stmts;
  int nstmts;
  sp_type **types;          /* every sp_type reference the tree holds (released on free) */
  int ntypes, captypes;
} sp_ast_script;

#endif
