/*
 * sql_internal.h - the recursive-descent parser state shared by parser.c and
 * schema_ddl.c (internal to src/sql/).
 *
 * Error discipline: the first error wins. sp_p_fail() records it (p->rc and the
 * caller's spate_error) only when no error is recorded yet, and once p->rc != 0 the
 * token stream yields SP_TK_ERROR tokens, so every parse function unwinds by
 * returning NULL/false without touching the message again.
 */
#ifndef SPATE_SQL_INTERNAL_H
#define SPATE_SQL_INTERNAL_H

#include <stdbool.h>

#include "sql/ast.h"
#include "sql/lexer.h"

#define SP_PARSER_LOOKAHEAD 4
#define SP_PARSER_MAX_DEPTH 200 /* nesting limit: keeps recursion far from the stack limit */

typedef struct sp_parser {
  sp_lexer lx;
  sp_token la[SP_PARSER_LOOKAHEAD]; /* lookahead ring, la[0] is the next token */
  int nla;
  sp_token errtok;                  /* returned by peek once an error is recorded */
  sp_arena *arena;                  /* nodes and strings */
  const char *text;                 /* NUL-terminated source (positions are offsets into it) */
  spate_error *err;
  int rc;                           /* 0 or the first error code */
  int depth;
  sp_ast_script *script;            /* owner of sp_type references; NULL for sp_parse_schema */
} sp_parser;

void sp_parser_init(sp_parser *p, const char *text, int len, sp_arena *arena, sp_ast_script *script,
                    spate_error *err);
/* k-th lookahead token (0 = next), k < SP_PARSER_LOOKAHEAD. Never NULL. */
const sp_token *sp_p_peek(sp_parser *p, int k);
/* Consume the next token (no-op on EOF/ERROR). */
void sp_p_advance(sp_parser *p);
bool sp_p_is_kw(sp_parser *p, int k, const char *kw);
bool sp_p_accept(sp_parser *p, sp_tok_kind kind);
bool sp_p_accept_kw(sp_parser *p, const char *kw);
/* Record SPATE_ESYNTAX at byte offset pos (first error wins). Returns p->rc. */
int sp_p_fail(sp_parser *p, int pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "expected <what> but found '<tok>'" / "unexpected end of input, expected <what>". */
int sp_p_fail_expected(sp_parser *p, const sp_token *tok, const char *what);
int sp_p_oom(sp_parser *p);
bool sp_p_expect(sp_parser *p, sp_tok_kind kind, const char *what);
bool sp_p_expect_kw(sp_parser *p, const char *kw);
/* Arena copy of an identifier token: bare words as written, backquoted unescaped. */
char *sp_p_ident(sp_parser *p, const sp_token *t);
/* Grow an arena array of elem-sized items so that index n fits (doubling). */
bool sp_p_grow(sp_parser *p, void **arr, int n, int *cap, size_t elem);
/* Enter/leave one nesting level (false + error when too deep). */
bool sp_p_enter(sp_parser *p);
void sp_p_leave(sp_parser *p);

/* schema_ddl.c: a data type ("INT", "ARRAY<STRUCT<a: INT>>"). New reference or NULL. */
sp_type *sp_p_parse_type(sp_parser *p);
/* schema_ddl.c: "name type [NOT NULL] [COMMENT '...'], ..." up to (not consuming) a token
 * of kind `close` -> new STRUCT reference, or NULL. */
sp_type *sp_p_parse_fields(sp_parser *p, sp_tok_kind close);

#endif
