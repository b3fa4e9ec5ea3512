/*
 * lexer.h - internal tokenizer of the job language (src/sql/ only, not public).
 *
 * The lexer works on demand: sp_lexer_next() returns the next token from the
 * current byte offset, skipping whitespace and comments. Tokens refer to the
 * source by byte range [pos, end); backquoted identifiers and string literals are
 * also unescaped into the arena (`str`, `slen`). Reentrant: all state is in the
 * sp_lexer value.
 */
#ifndef SPATE_SQL_LEXER_H
#define SPATE_SQL_LEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "spate/error.h"

typedef enum sp_tok_kind {
  SP_TK_EOF = 0,
  SP_TK_ERROR,   /* a lexical error was reported; never consumed */
  SP_TK_IDENT,   /* bare word: letters, digits, '_' (and UTF-8 bytes), not starting with a digit */
  SP_TK_QIDENT,  /* `backquoted identifier`: str = unescaped text */
  SP_TK_STRING,  /* '...' or "...": str = unescaped text (adjacent literals NOT merged here) */
  SP_TK_NUMBER,  /* 12, 1.5, 1e3, .5, 10L, 1.5D, 2BD ...: interpret from the byte range */
  SP_TK_LPAREN, SP_TK_RPAREN, SP_TK_LBRACKET, SP_TK_RBRACKET,
  SP_TK_COMMA, SP_TK_DOT, SP_TK_SEMI, SP_TK_COLON,
  SP_TK_STAR, SP_TK_PLUS, SP_TK_MINUS, SP_TK_SLASH, SP_TK_PERCENT, SP_TK_CONCAT, /* || */
  SP_TK_EQ,      /* =  */
  SP_TK_EQEQ,    /* == */
  SP_TK_NE,      /* <> or != */
  SP_TK_LT, SP_TK_LE, SP_TK_GT, SP_TK_GE,
  SP_TK_NSEQ,    /* <=> */
  SP_TK_BANG,    /* ! (logical not) */
} sp_tok_kind;

typedef struct sp_token {
  sp_tok_kind kind;
  int pos, end;  /* byte range in the source text */
  char *str;     /* QIDENT / STRING: unescaped, NUL-terminated, arena-owned; else NULL */
  int slen;
} sp_token;

typedef struct sp_lexer {
  const char *text;
  int len;
  int pos;            /* next byte to scan */
  int prev_end;       /* end of the last token returned (EOF tokens point here) */
  sp_tok_kind prev_kind;
  sp_arena *arena;    /* receives unescaped strings */
} sp_lexer;

void sp_lexer_init(sp_lexer *lx, const char *text, int len, sp_arena *arena);
/* Scan the next token into *tok. On a lexical error (unterminated string or
 * comment, bad character, bad escape) or OOM, fills err, sets tok->kind to
 * SP_TK_ERROR and returns the negative code; otherwise 0. */
int sp_lexer_next(sp_lexer *lx, sp_token *tok, spate_error *err);
/* Skip whitespace and comments from lx->pos (used before raw scans such as the
 * value of SET). Returns 0 or SPATE_ESYNTAX for an unterminated comment. */
int sp_lexer_skip_space(sp_lexer *lx, spate_error *err);

/* Unescape a quoted literal starting at text[pos] (the opening quote) with Spark's
 * rules. On success *out and *outlen hold an arena copy and *endpos the offset after
 * the closing quote. Errors are SPATE_ESYNTAX positioned at the opening quote. */
int sp_lex_string(const char *text, int len, int pos, sp_arena *arena, char **out, int *outlen, int *endpos,
                  spate_error *err);

/* True when the token is the bare (unquoted) keyword kw (upper-case ASCII), compared
 * case-insensitively. */
bool sp_tok_is_kw(const sp_token *t, const char *text, const char *kw);

/* ---- shared by interval.c / parser.c / vars.c ---- */

/* 1-based line and column of byte offset pos (clamped to [0, len]); columns count
 * UTF-8 characters, a tab counts as one. */
void sp_sql_line_col(const char *text, int len, int pos, int *line, int *col);

/* Microseconds in one `unit` (case-insensitive name of length n: "minute",
 * "minutes", "min", "secs", "ms", ...). Returns 0 for an unknown unit, -1 for
 * month(s)/year(s) (which Spark streaming rejects). *is_second is set for units
 * that accept a fractional value (second and its aliases). */
int64_t sp_interval_unit_us(const char *unit, int n, bool *is_second);

/* value (decimal text "12", "1.5", optional leading sign) times unit_us, with
 * overflow checks. frac_ok=false rejects a fractional part. Returns 0 and *out, or
 * -1 for malformed/overflow. */
int sp_interval_scale(const char *num, int n, int64_t unit_us, bool frac_ok, int64_t *out);

#endif
