/*
 * parser.c - hand-written recursive-descent parser of job files and SQL
 * expressions (grammar in docs/sql.md), producing the tree of src/sql/ast.h.
 *
 * Invariants:
 *  - Reentrant: all state lives in an sp_parser on the caller's stack.
 *  - Every node, string and array is allocated in the script's arena; sp_type
 *    references (CAST targets, view schemas) are registered in script->types as
 *    soon as they are created so that they are released on every path.
 *  - Every expression node has pos <= end, both byte offsets into the source text;
 *    a parenthesized expression's range includes its parentheses.
 *  - The first error wins (see sql_internal.h); on error the whole script is freed.
 *  - Operator precedence, lowest first (Spark SQL): OR; AND; NOT; comparisons and
 *    predicates (IS NULL, IN, LIKE, RLIKE, BETWEEN); + - ||; * / % DIV; unary - +;
 *    postfix .field and [index].
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/lexer.h"
#include "sql/parser.h"
#include "sql/sql_internal.h"

/* ===================== token stream ===================== */

void sp_parser_init(sp_parser *p, const char *text, int len, sp_arena *arena, sp_ast_script *script,
                    spate_error *err) {
  memset(p, 0, sizeof *p);
  sp_lexer_init(&p->lx, text, len, arena);
  p->arena = arena;
  p->text = text;
  p->err = err;
  p->script = script;
  p->errtok.kind = SP_TK_ERROR;
}

const sp_token *sp_p_peek(sp_parser *p, int k) {
  if (p->rc || k < 0 || k >= SP_PARSER_LOOKAHEAD) return &p->errtok;
  while (p->nla <= k) {
    sp_token *t = &p->la[p->nla];
    int rc = sp_lexer_next(&p->lx, t, p->err);
    if (rc) {
      p->rc = rc;
      return &p->errtok;
    }
    p->nla++;
    if (t->kind == SP_TK_EOF) {
      /* Pad the ring with EOF so deeper peeks see EOF too. */
      while (p->nla <= k) p->la[p->nla++] = *t;
    }
  }
  return &p->la[k];
}

void sp_p_advance(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  if (t->kind == SP_TK_EOF || t->kind == SP_TK_ERROR) return;
  memmove(&p->la[0], &p->la[1], (size_t)(p->nla - 1) * sizeof p->la[0]);
  p->nla--;
}

bool sp_p_is_kw(sp_parser *p, int k, const char *kw) { return sp_tok_is_kw(sp_p_peek(p, k), p->text, kw); }

bool sp_p_accept(sp_parser *p, sp_tok_kind kind) {
  if (sp_p_peek(p, 0)->kind != kind) return false;
  sp_p_advance(p);
  return true;
}

bool sp_p_accept_kw(sp_parser *p, const char *kw) {
  if (!sp_p_is_kw(p, 0, kw)) return false;
  sp_p_advance(p);
  return true;
}

int sp_p_fail(sp_parser *p, int pos, const char *fmt, ...) {
  if (p->rc) return p->rc;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->rc = sp_sql_error_at(p->err, SPATE_ESYNTAX, p->text, pos, "%s", msg);
  return p->rc;
}

int sp_p_oom(sp_parser *p) {
  if (!p->rc) p->rc = spate_error_set(p->err, SPATE_ENOMEM, "out of memory");
  return p->rc;
}

int sp_p_fail_expected(sp_parser *p, const sp_token *tok, const char *what) {
  if (p->rc || tok->kind == SP_TK_ERROR) return p->rc ? p->rc : SPATE_ESYNTAX;
  if (tok->kind == SP_TK_EOF) return sp_p_fail(p, tok->pos, "unexpected end of input, expected %s", what);
  int n = tok->end - tok->pos;
  const char *s = p->text + tok->pos;
  bool quoted = s[0] == '\'';
  if (n > 40) return sp_p_fail(p, tok->pos, "expected %s but found %s%.37s...%s", what, quoted ? "" : "'", s,
                               quoted ? "" : "'");
  return sp_p_fail(p, tok->pos, "expected %s but found %s%.*s%s", what, quoted ? "" : "'", n, s, quoted ? "" : "'");
}

bool sp_p_expect(sp_parser *p, sp_tok_kind kind, const char *what) {
  if (sp_p_accept(p, kind)) return true;
  sp_p_fail_expected(p, sp_p_peek(p, 0), what);
  return false;
}

bool sp_p_expect_kw(sp_parser *p, const char *kw) {
  if (sp_p_accept_kw(p, kw)) return true;
  char what[64];
  snprintf(what, sizeof what, "'%s'", kw);
  sp_p_fail_expected(p, sp_p_peek(p, 0), what);
  return false;
}

char *sp_p_ident(sp_parser *p, const sp_token *t) {
  char *s = t->kind == SP_TK_IDENT ? sp_arena_strndup(p->arena, p->text + t->pos, (size_t)(t->end - t->pos))
                                   : sp_arena_strndup(p->arena, t->str ? t->str : "", (size_t)t->slen);
  if (!s) sp_p_oom(p);
  return s;
}

bool sp_p_grow(sp_parser *p, void **arr, int n, int *cap, size_t elem) {
  if (n < *cap) return true;
  int nc = *cap ? *cap * 2 : 4;
  void *na = sp_arena_alloc(p->arena, (size_t)nc * elem);
  if (!na) {
    sp_p_oom(p);
    return false;
  }
  if (n) memcpy(na, *arr, (size_t)n * elem);
  *arr = na;
  *cap = nc;
  return true;
}

bool sp_p_enter(sp_parser *p) {
  if (p->rc) return false;
  if (++p->depth > SP_PARSER_MAX_DEPTH) {
    sp_p_fail(p, sp_p_peek(p, 0)->pos, "expression nested too deeply (more than %d levels)", SP_PARSER_MAX_DEPTH);
    p->depth--;
    return false;
  }
  return true;
}

void sp_p_leave(sp_parser *p) { p->depth--; }

/* ===================== helpers ===================== */

/* Words that cannot be a bare column name or alias (they end or structure a clause). */
static const char *const reserved_[] = {
    "ALL",   "AND",     "ANTI",   "AS",        "ASC",   "BETWEEN", "BY",     "CASE",  "CAST",      "CROSS",
    "DESC",  "DISTINCT", "DIV",   "ELSE",      "END",   "EXCEPT",  "FALSE",  "FROM",  "FULL",      "GROUP",
    "HAVING", "IN",     "INNER",  "INTERSECT", "IS",    "JOIN",    "LEFT",   "LIKE",  "LIMIT",     "MINUS",
    "NATURAL", "NOT",   "NULL",   "ON",        "OR",    "ORDER",   "OUTER",  "REGEXP", "RIGHT",    "RLIKE",
    "SELECT", "SEMI",   "THEN",   "TRUE",      "UNION", "USING",   "WHEN",   "WHERE",
};

/* Keywords that may not follow AS as an alias (everything else may, e.g. `AS end`). */
static const char *const clause_kw_[] = {"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION",
                                         "EXCEPT", "INTERSECT", "JOIN", "ON", "USING"};

static bool in_list_(sp_parser *p, const sp_token *t, const char *const *list, size_t n) {
  if (t->kind != SP_TK_IDENT) return false;
  for (size_t i = 0; i < n; i++)
    if (sp_tok_is_kw(t, p->text, list[i])) return true;
  return false;
}

static bool is_reserved_(sp_parser *p, const sp_token *t) {
  return in_list_(p, t, reserved_, sizeof reserved_ / sizeof reserved_[0]);
}

/* A token usable as a bare (unreserved) identifier or a backquoted one. */
static bool is_name_tok_(sp_parser *p, const sp_token *t) {
  return t->kind == SP_TK_QIDENT || (t->kind == SP_TK_IDENT && !is_reserved_(p, t));
}

static char *lower_dup_(sp_parser *p, const char *s) {
  char *d = sp_arena_strdup(p->arena, s);
  if (!d) {
    sp_p_oom(p);
    return NULL;
  }
  for (char *c = d; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  return d;
}

static int register_type_(sp_parser *p, sp_type *t) {
  if (!t || t->refcount < 0) return 0; /* primitives are immortal */
  sp_ast_script *s = p->script;
  if (s->ntypes == s->captypes) {
    int cap = s->captypes ? s->captypes * 2 : 8;
    sp_type **n = realloc(s->types, (size_t)cap * sizeof *n);
    if (!n) {
      sp_type_unref(t);
      return sp_p_oom(p);
    }
    s->types = n;
    s->captypes = cap;
  }
  s->types[s->ntypes++] = t;
  return 0;
}

/* ===================== expressions ===================== */

static sp_ast_expr *parse_expr(sp_parser *p);
static sp_ast_select *parse_select(sp_parser *p);

static sp_ast_expr *new_expr_(sp_parser *p, sp_ast_kind kind, int pos, int end) {
  sp_ast_expr *e = sp_arena_alloc(p->arena, sizeof *e);
  if (!e) {
    sp_p_oom(p);
    return NULL;
  }
  e->kind = kind;
  e->pos = pos;
  e->end = end;
  return e;
}

static bool push_arg_(sp_parser *p, sp_ast_expr *e, int *cap, sp_ast_expr *arg) {
  if (!sp_p_grow(p, (void **)&e->args, e->nargs, cap, sizeof *e->args)) return false;
  e->args[e->nargs++] = arg;
  return true;
}

static sp_ast_expr *new_binary_(sp_parser *p, sp_ast_op op, sp_ast_expr *l, sp_ast_expr *r) {
  sp_ast_expr *e = new_expr_(p, SP_AST_BINARY, l->pos, r->end);
  if (!e) return NULL;
  e->args = sp_arena_alloc(p->arena, 2 * sizeof *e->args);
  if (!e->args) {
    sp_p_oom(p);
    return NULL;
  }
  e->op = op;
  e->args[0] = l;
  e->args[1] = r;
  e->nargs = 2;
  return e;
}

static sp_ast_expr *new_unary_(sp_parser *p, sp_ast_kind kind, sp_ast_op op, int pos, sp_ast_expr *arg, int end) {
  sp_ast_expr *e = new_expr_(p, kind, pos, end);
  if (!e) return NULL;
  e->args = sp_arena_alloc(p->arena, sizeof *e->args);
  if (!e->args) {
    sp_p_oom(p);
    return NULL;
  }
  e->op = op;
  e->args[0] = arg;
  e->nargs = 1;
  return e;
}

/* Numeric literal from a NUMBER token (neg: a folded leading '-', pos = its offset). */
static sp_ast_expr *number_literal_(sp_parser *p, const sp_token *t, bool neg, int pos) {
  const char *s = p->text + t->pos;
  int n = t->end - t->pos;
  char suffix = 0; /* L S Y D F, or 'B' for BD */
  if (n >= 2 && (s[n - 2] == 'b' || s[n - 2] == 'B') && (s[n - 1] == 'd' || s[n - 1] == 'D')) {
    suffix = 'B';
    n -= 2;
  } else if (strchr("lLsSyYdDfF", s[n - 1])) {
    suffix = (char)(s[n - 1] & ~0x20);
    n -= 1;
  }
  bool integral = true;
  for (int i = 0; i < n; i++)
    if (s[i] == '.' || s[i] == 'e' || s[i] == 'E') integral = false;
  sp_ast_expr *e = new_expr_(p, SP_AST_LITERAL, pos, t->end);
  if (!e) return NULL;
  int full = t->end - t->pos;
  if (integral && suffix != 'D' && suffix != 'F' && suffix != 'B') {
    uint64_t mag = 0;
    bool over = false;
    for (int i = 0; i < n; i++) {
      if (mag > (UINT64_MAX - 9) / 10) over = true;
      if (!over) mag = mag * 10 + (uint64_t)(s[i] - '0');
    }
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (over || mag > lim) {
      if (suffix)
        return sp_p_fail(p, pos, "numeric literal %s%.*s does not fit in range [%" PRId64 ", %" PRId64 "] for type %s",
                         neg ? "-" : "", full, s, INT64_MIN, INT64_MAX, "bigint"),
               NULL;
      /* Spark would make a DECIMAL; spate uses DOUBLE. */
    } else {
      int64_t v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
      int64_t lo = INT32_MIN, hi = INT32_MAX;
      const char *tname = "int";
      if (suffix == 'S') {
        lo = -32768;
        hi = 32767;
        tname = "smallint";
      } else if (suffix == 'Y') {
        lo = -128;
        hi = 127;
        tname = "tinyint";
      }
      if (suffix == 'L' || (!suffix && (v < lo || v > hi))) {
        e->lit_type = SP_BIGINT;
      } else if (v < lo || v > hi) {
        return sp_p_fail(p, pos, "numeric literal %s%.*s does not fit in range [%" PRId64 ", %" PRId64 "] for type %s",
                         neg ? "-" : "", full, s, lo, hi, tname),
               NULL;
      } else {
        e->lit_type = SP_INT;
      }
      e->lit_int = v;
      return e;
    }
  } else if (suffix == 'L' || suffix == 'S' || suffix == 'Y') {
    return sp_p_fail(p, t->pos, "invalid number literal '%.*s'", full, s), NULL;
  }
  char buf[128];
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2; /* beyond double precision anyway */
  int k = 0;
  if (neg) buf[k++] = '-';
  memcpy(buf + k, s, (size_t)n);
  buf[k + n] = '\0';
  errno = 0;
  e->lit_type = SP_DOUBLE;
  e->lit_double = strtod(buf, NULL);
  if (errno == ERANGE && (e->lit_double > 1.0 || e->lit_double < -1.0))
    return sp_p_fail(p, pos, "numeric literal %s%.*s is out of range for type double", neg ? "-" : "", full, s), NULL;
  return e;
}

static sp_ast_expr *string_literal_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  int pos = t->pos, end = t->end;
  char *str = t->str;
  int len = t->slen;
  sp_p_advance(p);
  /* Adjacent string literals are concatenated, as in Spark ('a' 'b' = 'ab'). */
  while (sp_p_peek(p, 0)->kind == SP_TK_STRING) {
    t = sp_p_peek(p, 0);
    char *s = sp_arena_alloc(p->arena, (size_t)len + (size_t)t->slen + 1);
    if (!s) return sp_p_oom(p), NULL;
    memcpy(s, str, (size_t)len);
    memcpy(s + len, t->str, (size_t)t->slen + 1);
    str = s;
    len += t->slen;
    end = t->end;
    sp_p_advance(p);
  }
  sp_ast_expr *e = new_expr_(p, SP_AST_LITERAL, pos, end);
  if (!e) return NULL;
  e->lit_type = SP_STRING;
  e->lit_str = str;
  e->lit_strlen = len;
  return e;
}

static bool is_unit_tok_(sp_parser *p, const sp_token *t) {
  return t->kind == SP_TK_IDENT && sp_interval_unit_us(p->text + t->pos, t->end - t->pos, NULL) != 0;
}

/* After INTERVAL: `'15 minutes'` | (value unit)+ with value = [+-] number | [+-] 'number'.
 * Fills *us and *end (offset past the literal). */
static bool parse_interval_body_(sp_parser *p, int64_t *us, int *end) {
  int64_t total = 0;
  int nparts = 0;
  for (;;) {
    const sp_token *t = sp_p_peek(p, 0);
    int k = 0;
    bool neg = false;
    if (t->kind == SP_TK_MINUS || t->kind == SP_TK_PLUS) {
      neg = t->kind == SP_TK_MINUS;
      k = 1;
    }
    const sp_token *v = sp_p_peek(p, k);
    const sp_token *u = sp_p_peek(p, k + 1);
    bool has_unit = is_unit_tok_(p, u);
    if (nparts > 0 && !((v->kind == SP_TK_NUMBER || v->kind == SP_TK_STRING) && has_unit)) break;
    if (v->kind == SP_TK_STRING && !has_unit && nparts == 0) {
      /* INTERVAL '1 hour 30 minutes' */
      int64_t x;
      spate_error ie;
      if (sp_parse_interval(v->str, &x, &ie)) return sp_p_fail(p, v->pos, "%s", ie.message), false;
      *us = neg ? -x : x;
      *end = v->end;
      for (int i = 0; i <= k; i++) sp_p_advance(p);
      return true;
    }
    if (v->kind != SP_TK_NUMBER && v->kind != SP_TK_STRING)
      return sp_p_fail_expected(p, v, "an interval value"), false;
    if (!has_unit) return sp_p_fail_expected(p, u, "an interval unit (e.g. MINUTES)"), false;
    const char *num = v->kind == SP_TK_STRING ? v->str : p->text + v->pos;
    int nlen = v->kind == SP_TK_STRING ? v->slen : v->end - v->pos;
    while (nlen > 0 && (*num == ' ' || *num == '\t')) num++, nlen--;
    while (nlen > 0 && (num[nlen - 1] == ' ' || num[nlen - 1] == '\t')) nlen--;
    bool second;
    int64_t unit = sp_interval_unit_us(p->text + u->pos, u->end - u->pos, &second);
    if (unit < 0)
      return sp_p_fail(p, u->pos, "months and years are not supported in intervals (use days or smaller units)"),
             false;
    int64_t x;
    if (sp_interval_scale(num, nlen, unit, second, &x)) {
      if (!second && memchr(num, '.', (size_t)nlen))
        return sp_p_fail(p, v->pos, "fractional interval values are only allowed for seconds"), false;
      return sp_p_fail(p, v->pos, "invalid interval value '%.*s'", nlen, num), false;
    }
    if (neg) x = -x;
    if (__builtin_add_overflow(total, x, &total)) return sp_p_fail(p, v->pos, "interval out of range"), false;
    nparts++;
    *end = u->end;
    for (int i = 0; i < k + 2; i++) sp_p_advance(p);
  }
  *us = total;
  return true;
}

static sp_ast_expr *parse_case_(sp_parser *p) {
  int pos = sp_p_peek(p, 0)->pos;
  sp_p_advance(p); /* CASE */
  sp_ast_expr *e = new_expr_(p, SP_AST_CASE, pos, pos);
  if (!e) return NULL;
  int cap = 0;
  if (sp_p_is_kw(p, 0, "END") || sp_p_is_kw(p, 0, "ELSE") || sp_p_is_kw(p, 0, "THEN"))
    return sp_p_fail_expected(p, sp_p_peek(p, 0), "'WHEN'"), NULL;
  if (!sp_p_is_kw(p, 0, "WHEN")) {
    sp_ast_expr *operand = parse_expr(p);
    if (!operand || !push_arg_(p, e, &cap, operand)) return NULL;
    e->case_has_operand = true;
  }
  while (sp_p_accept_kw(p, "WHEN")) {
    sp_ast_expr *w = parse_expr(p);
    if (!w || !sp_p_expect_kw(p, "THEN")) return NULL;
    sp_ast_expr *t = parse_expr(p);
    if (!t || !push_arg_(p, e, &cap, w) || !push_arg_(p, e, &cap, t)) return NULL;
    e->case_nwhen++;
  }
  if (e->case_nwhen == 0) return sp_p_fail_expected(p, sp_p_peek(p, 0), "'WHEN'"), NULL;
  if (sp_p_accept_kw(p, "ELSE")) {
    sp_ast_expr *el = parse_expr(p);
    if (!el || !push_arg_(p, e, &cap, el)) return NULL;
    e->case_has_else = true;
  }
  const sp_token *t = sp_p_peek(p, 0);
  int end = t->end;
  if (!sp_p_expect_kw(p, "END")) return NULL;
  e->end = end;
  return e;
}

static sp_ast_expr *parse_cast_(sp_parser *p) {
  int pos = sp_p_peek(p, 0)->pos;
  sp_p_advance(p); /* CAST */
  if (!sp_p_expect(p, SP_TK_LPAREN, "'('")) return NULL;
  sp_ast_expr *x = parse_expr(p);
  if (!x || !sp_p_expect_kw(p, "AS")) return NULL;
  sp_type *ty = sp_p_parse_type(p);
  if (!ty || register_type_(p, ty)) return NULL;
  int end = sp_p_peek(p, 0)->end;
  if (!sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
  sp_ast_expr *e = new_unary_(p, SP_AST_CAST, SP_OP_NONE, pos, x, end);
  if (e) e->cast_type = ty;
  return e;
}

static sp_ast_expr *parse_func_(sp_parser *p, const sp_token *name_tok) {
  int pos = name_tok->pos;
  char *raw = sp_p_ident(p, name_tok);
  char *name = raw ? lower_dup_(p, raw) : NULL;
  if (!name) return NULL;
  sp_p_advance(p); /* name */
  sp_p_advance(p); /* ( */
  sp_ast_expr *e = new_expr_(p, SP_AST_FUNC, pos, pos);
  if (!e) return NULL;
  e->name = name;
  int cap = 0;
  if (sp_p_peek(p, 0)->kind == SP_TK_STAR && sp_p_peek(p, 1)->kind == SP_TK_RPAREN && strcmp(name, "count") == 0) {
    sp_p_advance(p);
    e->star_arg = true;
  } else if (sp_p_peek(p, 0)->kind != SP_TK_RPAREN) {
    if (sp_p_accept_kw(p, "DISTINCT"))
      e->distinct = true;
    else
      sp_p_accept_kw(p, "ALL");
    do {
      sp_ast_expr *a = parse_expr(p);
      if (!a || !push_arg_(p, e, &cap, a)) return NULL;
    } while (sp_p_accept(p, SP_TK_COMMA));
  }
  const sp_token *t = sp_p_peek(p, 0);
  e->end = t->end;
  if (!sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
  if (sp_p_is_kw(p, 0, "OVER"))
    return sp_p_fail(p, sp_p_peek(p, 0)->pos, "window functions (OVER) are not supported in streaming queries"), NULL;
  if (sp_p_is_kw(p, 0, "FILTER") && sp_p_peek(p, 1)->kind == SP_TK_LPAREN)
    return sp_p_fail(p, sp_p_peek(p, 0)->pos, "aggregate FILTER clauses are not supported"), NULL;
  return e;
}

/* Column reference a / a.b.c, or a qualified star q.* / a.b.* . */
static sp_ast_expr *parse_column_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  sp_ast_expr *e = new_expr_(p, SP_AST_COLUMN, t->pos, t->end);
  if (!e) return NULL;
  int cap = 0;
  char *part = sp_p_ident(p, t);
  if (!part || !sp_p_grow(p, (void **)&e->parts, 0, &cap, sizeof *e->parts)) return NULL;
  e->parts[e->nparts++] = part;
  sp_p_advance(p);
  while (sp_p_peek(p, 0)->kind == SP_TK_DOT) {
    const sp_token *n = sp_p_peek(p, 1);
    if (n->kind == SP_TK_STAR) {
      e->kind = SP_AST_STAR;
      e->end = n->end;
      sp_p_advance(p);
      sp_p_advance(p);
      return e;
    }
    if (n->kind != SP_TK_IDENT && n->kind != SP_TK_QIDENT) {
      sp_p_advance(p);
      return sp_p_fail_expected(p, sp_p_peek(p, 0), "a field name or '*' after '.'"), NULL;
    }
    part = sp_p_ident(p, n);
    if (!part || !sp_p_grow(p, (void **)&e->parts, e->nparts, &cap, sizeof *e->parts)) return NULL;
    e->parts[e->nparts++] = part;
    e->end = n->end;
    sp_p_advance(p);
    sp_p_advance(p);
  }
  if (sp_p_peek(p, 0)->kind == SP_TK_LPAREN && e->nparts > 1)
    return sp_p_fail(p, e->pos, "qualified function name '%.*s' is not supported", e->end - e->pos, p->text + e->pos),
           NULL;
  return e;
}

static sp_ast_expr *parse_primary_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  switch (t->kind) {
    case SP_TK_LPAREN: {
      int pos = t->pos;
      if (sp_p_is_kw(p, 1, "SELECT"))
        return sp_p_fail(p, sp_p_peek(p, 1)->pos, "subqueries in expressions are not supported"), NULL;
      sp_p_advance(p);
      sp_ast_expr *e = parse_expr(p);
      if (!e) return NULL;
      int end = sp_p_peek(p, 0)->end;
      if (!sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
      e->pos = pos;
      e->end = end;
      return e;
    }
    case SP_TK_NUMBER: {
      sp_ast_expr *e = number_literal_(p, t, false, t->pos);
      if (e) sp_p_advance(p);
      return e;
    }
    case SP_TK_STRING:
      return string_literal_(p);
    case SP_TK_STAR: {
      sp_ast_expr *e = new_expr_(p, SP_AST_STAR, t->pos, t->end);
      if (e) sp_p_advance(p);
      return e;
    }
    case SP_TK_IDENT:
    case SP_TK_QIDENT:
      break;
    default:
      return sp_p_fail_expected(p, t, "an expression"), NULL;
  }
  const sp_token *t1 = sp_p_peek(p, 1);
  if (t->kind == SP_TK_IDENT) {
    const char *s = p->text + t->pos;
    if (sp_tok_is_kw(t, p->text, "NULL") || sp_tok_is_kw(t, p->text, "TRUE") || sp_tok_is_kw(t, p->text, "FALSE")) {
      sp_ast_expr *e = new_expr_(p, SP_AST_LITERAL, t->pos, t->end);
      if (!e) return NULL;
      if (s[0] == 'n' || s[0] == 'N') {
        e->lit_type = SP_NULL;
      } else {
        e->lit_type = SP_BOOLEAN;
        e->lit_int = s[0] == 't' || s[0] == 'T';
      }
      sp_p_advance(p);
      return e;
    }
    if (sp_tok_is_kw(t, p->text, "CASE")) return parse_case_(p);
    if (sp_tok_is_kw(t, p->text, "CAST") && t1->kind == SP_TK_LPAREN) return parse_cast_(p);
    if (sp_tok_is_kw(t, p->text, "INTERVAL") &&
        (t1->kind == SP_TK_NUMBER || t1->kind == SP_TK_STRING || t1->kind == SP_TK_MINUS || t1->kind == SP_TK_PLUS)) {
      int pos = t->pos;
      sp_p_advance(p);
      sp_ast_expr *e = new_expr_(p, SP_AST_INTERVAL, pos, pos);
      if (!e || !parse_interval_body_(p, &e->interval_us, &e->end)) return NULL;
      return e;
    }
    if ((sp_tok_is_kw(t, p->text, "TIMESTAMP") || sp_tok_is_kw(t, p->text, "DATE")) && t1->kind == SP_TK_STRING) {
      /* TIMESTAMP '2024-01-01 10:00:00' == CAST('...' AS TIMESTAMP) */
      int pos = t->pos;
      sp_type_id id = (s[0] == 't' || s[0] == 'T') ? SP_TIMESTAMP : SP_DATE;
      sp_p_advance(p);
      sp_ast_expr *lit = string_literal_(p);
      if (!lit) return NULL;
      sp_ast_expr *e = new_unary_(p, SP_AST_CAST, SP_OP_NONE, pos, lit, lit->end);
      if (e) e->cast_type = sp_type_prim(id);
      return e;
    }
    if ((sp_tok_is_kw(t, p->text, "CURRENT_TIMESTAMP") || sp_tok_is_kw(t, p->text, "CURRENT_DATE")) &&
        t1->kind != SP_TK_LPAREN) {
      sp_ast_expr *e = new_expr_(p, SP_AST_FUNC, t->pos, t->end);
      if (!e) return NULL;
      char *raw = sp_p_ident(p, t);
      e->name = raw ? lower_dup_(p, raw) : NULL;
      if (!e->name) return NULL;
      sp_p_advance(p);
      return e;
    }
  }
  if (t1->kind == SP_TK_LPAREN) {
    if (sp_tok_is_kw(t, p->text, "EXISTS") && sp_p_is_kw(p, 2, "SELECT"))
      return sp_p_fail(p, t->pos, "subqueries in expressions are not supported"), NULL;
    return parse_func_(p, t);
  }
  if (!is_name_tok_(p, t)) return sp_p_fail_expected(p, t, "an expression"), NULL;
  return parse_column_(p);
}

static sp_ast_expr *parse_postfix_(sp_parser *p) {
  sp_ast_expr *e = parse_primary_(p);
  while (e) {
    const sp_token *t = sp_p_peek(p, 0);
    if (t->kind == SP_TK_LBRACKET) {
      sp_p_advance(p);
      sp_ast_expr *idx = parse_expr(p);
      if (!idx) return NULL;
      int end = sp_p_peek(p, 0)->end;
      if (!sp_p_expect(p, SP_TK_RBRACKET, "']'")) return NULL;
      sp_ast_expr *s = new_binary_(p, SP_OP_NONE, e, idx);
      if (!s) return NULL;
      s->kind = SP_AST_SUBSCRIPT;
      s->end = end;
      e = s;
    } else if (t->kind == SP_TK_DOT) {
      const sp_token *n = sp_p_peek(p, 1);
      if (n->kind != SP_TK_IDENT && n->kind != SP_TK_QIDENT) {
        sp_p_advance(p);
        return sp_p_fail_expected(p, sp_p_peek(p, 0), "a field name after '.'"), NULL;
      }
      char *name = sp_p_ident(p, n);
      if (!name) return NULL;
      sp_ast_expr *f = new_unary_(p, SP_AST_FIELD, SP_OP_NONE, e->pos, e, n->end);
      if (!f) return NULL;
      f->name = name;
      sp_p_advance(p);
      sp_p_advance(p);
      e = f;
    } else {
      break;
    }
  }
  return e;
}

static sp_ast_expr *parse_unary_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  if (t->kind != SP_TK_MINUS && t->kind != SP_TK_PLUS) return parse_postfix_(p);
  int pos = t->pos;
  bool minus = t->kind == SP_TK_MINUS;
  const sp_token *n = sp_p_peek(p, 1);
  if (minus && n->kind == SP_TK_NUMBER) {
    /* -5 is a literal (Spark's `number` rule), so -2147483648 is an INT. */
    sp_ast_expr *lit = number_literal_(p, n, true, pos);
    if (!lit) return NULL;
    sp_p_advance(p);
    sp_p_advance(p);
    return lit;
  }
  sp_p_advance(p);
  if (!sp_p_enter(p)) return NULL;
  sp_ast_expr *x = parse_unary_(p);
  sp_p_leave(p);
  if (!x) return NULL;
  if (!minus) { /* unary plus is the identity */
    x->pos = pos;
    return x;
  }
  return new_unary_(p, SP_AST_UNARY, SP_OP_NEG, pos, x, x->end);
}

static sp_ast_expr *parse_mul_(sp_parser *p) {
  sp_ast_expr *e = parse_unary_(p);
  while (e) {
    const sp_token *t = sp_p_peek(p, 0);
    sp_ast_op op;
    bool div = false;
    if (t->kind == SP_TK_STAR)
      op = SP_OP_MUL;
    else if (t->kind == SP_TK_SLASH)
      op = SP_OP_DIV;
    else if (t->kind == SP_TK_PERCENT)
      op = SP_OP_MOD;
    else if (sp_tok_is_kw(t, p->text, "DIV")) {
      op = SP_OP_NONE;
      div = true;
    } else
      break;
    sp_p_advance(p);
    sp_ast_expr *r = parse_unary_(p);
    if (!r) return NULL;
    e = new_binary_(p, op, e, r);
    if (e && div) { /* a DIV b: integral division, Spark's div(a, b) */
      e->kind = SP_AST_FUNC;
      e->name = sp_arena_strdup(p->arena, "div");
      if (!e->name) return sp_p_oom(p), NULL;
    }
  }
  return e;
}

static sp_ast_expr *parse_additive_(sp_parser *p) {
  sp_ast_expr *e = parse_mul_(p);
  while (e) {
    sp_tok_kind k = sp_p_peek(p, 0)->kind;
    sp_ast_op op;
    if (k == SP_TK_PLUS)
      op = SP_OP_ADD;
    else if (k == SP_TK_MINUS)
      op = SP_OP_SUB;
    else if (k == SP_TK_CONCAT)
      op = SP_OP_CONCAT; /* same precedence as + and - in Spark's grammar */
    else
      break;
    sp_p_advance(p);
    sp_ast_expr *r = parse_mul_(p);
    if (!r) return NULL;
    e = new_binary_(p, op, e, r);
  }
  return e;
}

static sp_ast_op cmp_op_(sp_tok_kind k) {
  switch (k) {
    case SP_TK_EQ:
    case SP_TK_EQEQ: return SP_OP_EQ;
    case SP_TK_NE: return SP_OP_NE;
    case SP_TK_LT: return SP_OP_LT;
    case SP_TK_LE: return SP_OP_LE;
    case SP_TK_GT: return SP_OP_GT;
    case SP_TK_GE: return SP_OP_GE;
    case SP_TK_NSEQ: return SP_OP_EQ_NULLSAFE;
    default: return SP_OP_NONE;
  }
}

static bool is_pred_kw_(sp_parser *p, int k) {
  return sp_p_is_kw(p, k, "IN") || sp_p_is_kw(p, k, "LIKE") || sp_p_is_kw(p, k, "RLIKE") ||
         sp_p_is_kw(p, k, "REGEXP") || sp_p_is_kw(p, k, "BETWEEN");
}

/* Comparisons and predicates, left-associative at one level. */
static sp_ast_expr *parse_cmp_(sp_parser *p) {
  sp_ast_expr *e = parse_additive_(p);
  while (e) {
    const sp_token *t = sp_p_peek(p, 0);
    sp_ast_op op = cmp_op_(t->kind);
    if (op != SP_OP_NONE) {
      sp_p_advance(p);
      sp_ast_expr *r = parse_additive_(p);
      if (!r) return NULL;
      e = new_binary_(p, op, e, r);
      continue;
    }
    if (sp_tok_is_kw(t, p->text, "IS")) {
      sp_p_advance(p);
      bool neg = sp_p_accept_kw(p, "NOT");
      const sp_token *n = sp_p_peek(p, 0);
      if (sp_tok_is_kw(n, p->text, "NULL")) {
        sp_ast_expr *x = new_unary_(p, SP_AST_IS_NULL, SP_OP_NONE, e->pos, e, n->end);
        if (!x) return NULL;
        x->negated = neg;
        sp_p_advance(p);
        e = x;
        continue;
      }
      sp_ast_expr *r;
      if (sp_tok_is_kw(n, p->text, "TRUE") || sp_tok_is_kw(n, p->text, "FALSE")) {
        /* x IS [NOT] TRUE == [NOT] (x <=> TRUE), as Spark */
        r = new_expr_(p, SP_AST_LITERAL, n->pos, n->end);
        if (!r) return NULL;
        r->lit_type = SP_BOOLEAN;
        r->lit_int = sp_tok_is_kw(n, p->text, "TRUE");
        sp_p_advance(p);
      } else if (sp_tok_is_kw(n, p->text, "DISTINCT")) {
        /* x IS [NOT] DISTINCT FROM y == [NOT] NOT (x <=> y) */
        sp_p_advance(p);
        if (!sp_p_expect_kw(p, "FROM")) return NULL;
        r = parse_additive_(p);
        if (!r) return NULL;
        neg = !neg;
      } else {
        return sp_p_fail_expected(p, n, "NULL, TRUE, FALSE or DISTINCT FROM after IS"), NULL;
      }
      e = new_binary_(p, SP_OP_EQ_NULLSAFE, e, r);
      if (e && neg) e = new_unary_(p, SP_AST_UNARY, SP_OP_NOT, e->pos, e, e->end);
      continue;
    }
    bool neg = false;
    if (sp_tok_is_kw(t, p->text, "NOT") && is_pred_kw_(p, 1)) {
      sp_p_advance(p);
      neg = true;
      t = sp_p_peek(p, 0);
    } else if (!is_pred_kw_(p, 0)) {
      break;
    }
    if (sp_tok_is_kw(t, p->text, "IN")) {
      sp_p_advance(p);
      if (!sp_p_expect(p, SP_TK_LPAREN, "'(' after IN")) return NULL;
      if (sp_p_is_kw(p, 0, "SELECT"))
        return sp_p_fail(p, sp_p_peek(p, 0)->pos, "IN (subquery) is not supported"), NULL;
      sp_ast_expr *x = new_expr_(p, SP_AST_IN, e->pos, e->end);
      if (!x) return NULL;
      int cap = 0;
      if (!push_arg_(p, x, &cap, e)) return NULL;
      do {
        sp_ast_expr *a = parse_expr(p);
        if (!a || !push_arg_(p, x, &cap, a)) return NULL;
      } while (sp_p_accept(p, SP_TK_COMMA));
      x->end = sp_p_peek(p, 0)->end;
      if (!sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
      x->negated = neg;
      e = x;
    } else if (sp_tok_is_kw(t, p->text, "BETWEEN")) {
      sp_p_advance(p);
      sp_ast_expr *lo = parse_additive_(p);
      if (!lo || !sp_p_expect_kw(p, "AND")) return NULL;
      sp_ast_expr *hi = parse_additive_(p);
      if (!hi) return NULL;
      sp_ast_expr *x = new_expr_(p, SP_AST_BETWEEN, e->pos, hi->end);
      if (!x) return NULL;
      int cap = 0;
      if (!push_arg_(p, x, &cap, e) || !push_arg_(p, x, &cap, lo) || !push_arg_(p, x, &cap, hi)) return NULL;
      x->negated = neg;
      e = x;
    } else { /* LIKE / RLIKE / REGEXP */
      sp_ast_op lop = sp_tok_is_kw(t, p->text, "LIKE") ? SP_OP_LIKE : SP_OP_RLIKE;
      sp_p_advance(p);
      if (lop == SP_OP_LIKE && (sp_p_is_kw(p, 0, "ANY") || sp_p_is_kw(p, 0, "ALL") || sp_p_is_kw(p, 0, "SOME")) &&
          sp_p_peek(p, 1)->kind == SP_TK_LPAREN)
        return sp_p_fail(p, sp_p_peek(p, 0)->pos, "LIKE ANY/ALL/SOME is not supported"), NULL;
      sp_ast_expr *pat = parse_additive_(p);
      if (!pat) return NULL;
      if (sp_p_is_kw(p, 0, "ESCAPE"))
        return sp_p_fail(p, sp_p_peek(p, 0)->pos, "LIKE ... ESCAPE is not supported"), NULL;
      sp_ast_expr *x = new_binary_(p, lop, e, pat);
      if (!x) return NULL;
      x->kind = SP_AST_LIKE;
      x->negated = neg;
      e = x;
    }
  }
  return e;
}

static sp_ast_expr *parse_not_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  if (!sp_tok_is_kw(t, p->text, "NOT") && t->kind != SP_TK_BANG) return parse_cmp_(p);
  int pos = t->pos;
  sp_p_advance(p);
  if (!sp_p_enter(p)) return NULL;
  sp_ast_expr *x = parse_not_(p);
  sp_p_leave(p);
  if (!x) return NULL;
  return new_unary_(p, SP_AST_UNARY, SP_OP_NOT, pos, x, x->end);
}

static sp_ast_expr *parse_and_(sp_parser *p) {
  sp_ast_expr *e = parse_not_(p);
  while (e && sp_p_accept_kw(p, "AND")) {
    sp_ast_expr *r = parse_not_(p);
    if (!r) return NULL;
    e = new_binary_(p, SP_OP_AND, e, r);
  }
  return e;
}

static sp_ast_expr *parse_or_(sp_parser *p) {
  sp_ast_expr *e = parse_and_(p);
  while (e && sp_p_accept_kw(p, "OR")) {
    sp_ast_expr *r = parse_and_(p);
    if (!r) return NULL;
    e = new_binary_(p, SP_OP_OR, e, r);
  }
  return e;
}

static sp_ast_expr *parse_expr(sp_parser *p) {
  if (!sp_p_enter(p)) return NULL;
  sp_ast_expr *e = parse_or_(p);
  sp_p_leave(p);
  return p->rc ? NULL : e;
}

/* ===================== SELECT ===================== */

/* Optional alias after an expression or a table: `AS name` or a bare unreserved name. */
static bool parse_alias_(sp_parser *p, char **alias) {
  *alias = NULL;
  if (sp_p_accept_kw(p, "AS")) {
    const sp_token *t = sp_p_peek(p, 0);
    if (t->kind != SP_TK_QIDENT &&
        (t->kind != SP_TK_IDENT || in_list_(p, t, clause_kw_, sizeof clause_kw_ / sizeof clause_kw_[0])))
      return sp_p_fail_expected(p, t, "an alias after AS"), false;
    *alias = sp_p_ident(p, t);
    sp_p_advance(p);
    return *alias != NULL;
  }
  const sp_token *t = sp_p_peek(p, 0);
  /* `FROM v DROP DUPLICATES`: DROP starts a clause there, not an alias. */
  if (sp_p_is_kw(p, 0, "DROP") && sp_p_is_kw(p, 1, "DUPLICATES")) return true;
  if (is_name_tok_(p, t)) {
    *alias = sp_p_ident(p, t);
    sp_p_advance(p);
    return *alias != NULL;
  }
  return true;
}

static bool parse_select_item_(sp_parser *p, sp_ast_select_item *it) {
  it->pos = sp_p_peek(p, 0)->pos;
  it->expr = parse_expr(p);
  if (!it->expr) return false;
  return parse_alias_(p, &it->alias);
}

static sp_ast_from *parse_from_(sp_parser *p);

static sp_ast_from *parse_from_primary_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  sp_ast_from *f = sp_arena_alloc(p->arena, sizeof *f);
  if (!f) return sp_p_oom(p), NULL;
  f->pos = t->pos;
  if (t->kind == SP_TK_LPAREN) {
    if (sp_p_is_kw(p, 1, "SELECT") || sp_p_peek(p, 1)->kind == SP_TK_LPAREN) {
      /* ( select ) [AS] alias -- a '(' after '(' is a parenthesized query */
      f->kind = SP_FROM_SUBQUERY;
      f->subquery = parse_select(p);
      if (!f->subquery) return NULL;
      if (!parse_alias_(p, &f->alias)) return NULL;
      return f;
    }
    sp_p_advance(p);
    if (!sp_p_enter(p)) return NULL;
    sp_ast_from *inner = parse_from_(p);
    sp_p_leave(p);
    if (!inner || !sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
    return inner;
  }
  if (!is_name_tok_(p, t)) return sp_p_fail_expected(p, t, "a view name or a subquery"), NULL;
  if (sp_p_peek(p, 1)->kind == SP_TK_LPAREN)
    return sp_p_fail(p, t->pos, "table-valued functions are not supported"), NULL;
  f->kind = SP_FROM_TABLE;
  char *name = sp_p_ident(p, t);
  if (!name) return NULL;
  sp_p_advance(p);
  while (sp_p_peek(p, 0)->kind == SP_TK_DOT) {
    const sp_token *n = sp_p_peek(p, 1);
    if (n->kind != SP_TK_IDENT && n->kind != SP_TK_QIDENT) {
      sp_p_advance(p);
      return sp_p_fail_expected(p, sp_p_peek(p, 0), "a name after '.'"), NULL;
    }
    char *part = sp_p_ident(p, n);
    size_t a = strlen(name), b = part ? strlen(part) : 0;
    char *joined = part ? sp_arena_alloc(p->arena, a + b + 2) : NULL;
    if (!joined) return sp_p_oom(p), NULL;
    memcpy(joined, name, a);
    joined[a] = '.';
    memcpy(joined + a + 1, part, b + 1);
    name = joined;
    sp_p_advance(p);
    sp_p_advance(p);
  }
  f->name = name;
  if (!parse_alias_(p, &f->alias)) return NULL;
  return f;
}

/* Join keywords at the current token -> join type; false when no join starts here. */
static bool parse_join_type_(sp_parser *p, sp_ast_join_type *jt) {
  if (sp_p_accept_kw(p, "JOIN")) {
    *jt = SP_JOIN_INNER;
    return true;
  }
  if (sp_p_is_kw(p, 0, "NATURAL")) {
    sp_p_fail(p, sp_p_peek(p, 0)->pos, "NATURAL JOIN is not supported");
    return false;
  }
  if (sp_p_accept_kw(p, "INNER")) {
    *jt = SP_JOIN_INNER;
  } else if (sp_p_accept_kw(p, "CROSS")) {
    *jt = SP_JOIN_CROSS;
  } else if (sp_p_accept_kw(p, "LEFT")) {
    if (sp_p_accept_kw(p, "SEMI"))
      *jt = SP_JOIN_LEFT_SEMI;
    else if (sp_p_accept_kw(p, "ANTI"))
      *jt = SP_JOIN_LEFT_ANTI;
    else {
      sp_p_accept_kw(p, "OUTER");
      *jt = SP_JOIN_LEFT;
    }
  } else if (sp_p_accept_kw(p, "RIGHT")) {
    sp_p_accept_kw(p, "OUTER");
    *jt = SP_JOIN_RIGHT;
  } else if (sp_p_accept_kw(p, "FULL")) {
    sp_p_accept_kw(p, "OUTER");
    *jt = SP_JOIN_FULL;
  } else if (sp_p_accept_kw(p, "SEMI")) {
    *jt = SP_JOIN_LEFT_SEMI;
  } else if (sp_p_accept_kw(p, "ANTI")) {
    *jt = SP_JOIN_LEFT_ANTI;
  } else {
    return false;
  }
  return sp_p_expect_kw(p, "JOIN");
}

static sp_ast_from *parse_from_(sp_parser *p) {
  sp_ast_from *left = parse_from_primary_(p);
  while (left) {
    const sp_token *t = sp_p_peek(p, 0);
    int pos = t->pos;
    sp_ast_join_type jt;
    bool comma = t->kind == SP_TK_COMMA;
    if (comma) {
      sp_p_advance(p);
      jt = SP_JOIN_CROSS;
    } else if (!parse_join_type_(p, &jt)) {
      break;
    }
    if (p->rc) return NULL;
    sp_ast_from *right = parse_from_primary_(p);
    if (!right) return NULL;
    sp_ast_from *j = sp_arena_alloc(p->arena, sizeof *j);
    if (!j) return sp_p_oom(p), NULL;
    j->kind = SP_FROM_JOIN;
    j->pos = pos;
    j->left = left;
    j->right = right;
    j->join_type = jt;
    if (!comma && sp_p_accept_kw(p, "ON")) {
      j->on = parse_expr(p);
      if (!j->on) return NULL;
    } else if (!comma && sp_p_accept_kw(p, "USING")) {
      if (!sp_p_expect(p, SP_TK_LPAREN, "'(' after USING")) return NULL;
      int cap = 0;
      do {
        const sp_token *c = sp_p_peek(p, 0);
        if (c->kind != SP_TK_IDENT && c->kind != SP_TK_QIDENT) return sp_p_fail_expected(p, c, "a column name"), NULL;
        char *col = sp_p_ident(p, c);
        if (!col || !sp_p_grow(p, (void **)&j->using_cols, j->nusing, &cap, sizeof *j->using_cols)) return NULL;
        j->using_cols[j->nusing++] = col;
        sp_p_advance(p);
      } while (sp_p_accept(p, SP_TK_COMMA));
      if (!sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
    }
    left = j;
  }
  return p->rc ? NULL : left;
}

static bool parse_expr_list_(sp_parser *p, sp_ast_expr ***out, int *n) {
  int cap = 0;
  do {
    sp_ast_expr *e = parse_expr(p);
    if (!e || !sp_p_grow(p, (void **)out, *n, &cap, sizeof **out)) return false;
    (*out)[(*n)++] = e;
  } while (sp_p_accept(p, SP_TK_COMMA));
  return true;
}

static sp_ast_select *parse_select_body_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  if (t->kind == SP_TK_LPAREN) { /* ( query ) */
    sp_p_advance(p);
    sp_ast_select *s = parse_select(p);
    if (!s || !sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
    return s;
  }
  sp_ast_select *s = sp_arena_alloc(p->arena, sizeof *s);
  if (!s) return sp_p_oom(p), NULL;
  s->pos = t->pos;
  s->limit = -1;
  if (!sp_p_expect_kw(p, "SELECT")) return NULL;
  if (sp_p_accept_kw(p, "DISTINCT"))
    s->distinct = true;
  else
    sp_p_accept_kw(p, "ALL");
  int cap = 0;
  do {
    if (!sp_p_grow(p, (void **)&s->items, s->nitems, &cap, sizeof *s->items)) return NULL;
    if (!parse_select_item_(p, &s->items[s->nitems])) return NULL;
    s->nitems++;
  } while (sp_p_accept(p, SP_TK_COMMA));
  if (sp_p_accept_kw(p, "FROM")) {
    s->from = parse_from_(p);
    if (!s->from) return NULL;
  }
  if (sp_p_accept_kw(p, "WHERE")) {
    s->where = parse_expr(p);
    if (!s->where) return NULL;
  }
  /* spate's spelling of dropDuplicates(cols) / dropDuplicatesWithinWatermark(cols):
   * DROP DUPLICATES [WITHIN WATERMARK] [(col, ...)], applied to the FROM rows. */
  if (sp_p_is_kw(p, 0, "DROP") && sp_p_is_kw(p, 1, "DUPLICATES")) {
    s->dedup_pos = sp_p_peek(p, 0)->pos;
    sp_p_advance(p);
    sp_p_advance(p);
    s->dedup = true;
    if (sp_p_accept_kw(p, "WITHIN")) {
      if (!sp_p_expect_kw(p, "WATERMARK")) return NULL;
      s->dedup_within_watermark = true;
    }
    if (sp_p_accept(p, SP_TK_LPAREN)) {
      int dcap = 0;
      do {
        const sp_token *c = sp_p_peek(p, 0);
        if (c->kind != SP_TK_IDENT && c->kind != SP_TK_QIDENT)
          return sp_p_fail_expected(p, c, "a column name"), NULL;
        if (!sp_p_grow(p, (void **)&s->dedup_cols, s->ndedup_cols, &dcap, sizeof *s->dedup_cols)) return NULL;
        if (!(s->dedup_cols[s->ndedup_cols] = sp_p_ident(p, c))) return NULL;
        s->ndedup_cols++;
        sp_p_advance(p);
      } while (sp_p_accept(p, SP_TK_COMMA));
      if (!sp_p_expect(p, SP_TK_RPAREN, "')'")) return NULL;
    }
  }
  if (sp_p_is_kw(p, 0, "GROUP")) {
    sp_p_advance(p);
    if (!sp_p_expect_kw(p, "BY") || !parse_expr_list_(p, &s->group_by, &s->ngroup_by)) return NULL;
  }
  if (sp_p_accept_kw(p, "HAVING")) {
    s->having = parse_expr(p);
    if (!s->having) return NULL;
  }
  if (sp_p_is_kw(p, 0, "ORDER")) {
    sp_p_advance(p);
    if (!sp_p_expect_kw(p, "BY")) return NULL;
    cap = 0;
    do {
      if (!sp_p_grow(p, (void **)&s->order_by, s->norder_by, &cap, sizeof *s->order_by)) return NULL;
      sp_ast_order_item *o = &s->order_by[s->norder_by];
      o->expr = parse_expr(p);
      if (!o->expr) return NULL;
      if (sp_p_accept_kw(p, "DESC"))
        o->desc = true;
      else
        sp_p_accept_kw(p, "ASC");
      if (sp_p_is_kw(p, 0, "NULLS"))
        return sp_p_fail(p, sp_p_peek(p, 0)->pos, "NULLS FIRST/LAST is not supported"), NULL;
      s->norder_by++;
    } while (sp_p_accept(p, SP_TK_COMMA));
  }
  if (sp_p_accept_kw(p, "LIMIT")) {
    const sp_token *n = sp_p_peek(p, 0);
    int64_t v = 0;
    bool ok = n->kind == SP_TK_NUMBER;
    for (int i = n->pos; ok && i < n->end; i++) {
      char c = p->text[i];
      if (c < '0' || c > '9' || __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v))
        ok = false;
    }
    if (!ok) return sp_p_fail_expected(p, n, "a non-negative integer after LIMIT"), NULL;
    s->limit = v;
    sp_p_advance(p);
  }
  t = sp_p_peek(p, 0);
  if (sp_tok_is_kw(t, p->text, "UNION") && sp_p_is_kw(p, 1, "ALL")) {
    /* UNION ALL: the next SELECT's rows follow this one's (left-associative chain). */
    s->union_pos = t->pos;
    sp_p_advance(p);
    sp_p_advance(p);
    if (!(s->union_all = parse_select_body_(p))) return NULL;
    return s;
  }
  if (sp_tok_is_kw(t, p->text, "UNION"))
    return sp_p_fail(p, t->pos, "UNION (DISTINCT) is not supported on streams; use UNION ALL"), NULL;
  if (sp_tok_is_kw(t, p->text, "INTERSECT") || sp_tok_is_kw(t, p->text, "EXCEPT") ||
      sp_tok_is_kw(t, p->text, "MINUS"))
    return sp_p_fail(p, t->pos, "%.*s is not supported", t->end - t->pos, p->text + t->pos), NULL;
  return s;
}

static sp_ast_select *parse_select(sp_parser *p) {
  if (!sp_p_enter(p)) return NULL;
  sp_ast_select *s = parse_select_body_(p);
  sp_p_leave(p);
  return p->rc ? NULL : s;
}

/* ===================== statements ===================== */

static int tok_pos_(sp_parser *p) { return sp_p_peek(p, 0)->pos; }

/* View or query name: identifier, backquoted identifier or string. */
static char *parse_name_(sp_parser *p, const char *what, bool allow_string) {
  const sp_token *t = sp_p_peek(p, 0);
  if (t->kind == SP_TK_QIDENT || (t->kind == SP_TK_IDENT && !is_reserved_(p, t)) ||
      (allow_string && t->kind == SP_TK_STRING)) {
    char *s = t->kind == SP_TK_STRING ? t->str : sp_p_ident(p, t);
    sp_p_advance(p);
    return s;
  }
  sp_p_fail_expected(p, t, what);
  return NULL;
}

/* USING <format>: name(.name)* , `name` or 'name'. */
static char *parse_format_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  if (t->kind == SP_TK_STRING) {
    char *s = t->str;
    sp_p_advance(p);
    return s;
  }
  if (t->kind != SP_TK_IDENT && t->kind != SP_TK_QIDENT)
    return sp_p_fail_expected(p, t, "a format name after USING"), NULL;
  int start = t->pos, end = t->end;
  if (t->kind == SP_TK_QIDENT) {
    char *s = sp_p_ident(p, t);
    sp_p_advance(p);
    return s;
  }
  sp_p_advance(p);
  while (sp_p_peek(p, 0)->kind == SP_TK_DOT && sp_p_peek(p, 1)->kind == SP_TK_IDENT) {
    end = sp_p_peek(p, 1)->end;
    sp_p_advance(p);
    sp_p_advance(p);
  }
  /* Keep the dotted name as written but without inner whitespace. */
  char *s = sp_arena_alloc(p->arena, (size_t)(end - start) + 1);
  if (!s) return sp_p_oom(p), NULL;
  int k = 0;
  for (int i = start; i < end; i++)
    if (p->text[i] != ' ' && p->text[i] != '\t' && p->text[i] != '\n' && p->text[i] != '\r') s[k++] = p->text[i];
  s[k] = '\0';
  return s;
}

/* OPTIONS ( key [=] value, ... ) */
static bool parse_options_(sp_parser *p, sp_ast_stmt *st) {
  sp_p_advance(p); /* OPTIONS */
  if (!sp_p_expect(p, SP_TK_LPAREN, "'(' after OPTIONS")) return false;
  if (sp_p_accept(p, SP_TK_RPAREN)) return true;
  int cap = 0;
  do {
    const sp_token *k = sp_p_peek(p, 0);
    int kpos = k->pos;
    char *key;
    if (k->kind == SP_TK_STRING) {
      key = k->str;
      sp_p_advance(p);
    } else if (k->kind == SP_TK_IDENT || k->kind == SP_TK_QIDENT) {
      key = sp_p_ident(p, k);
      sp_p_advance(p);
      while (key && sp_p_peek(p, 0)->kind == SP_TK_DOT) {
        const sp_token *n = sp_p_peek(p, 1);
        if (n->kind != SP_TK_IDENT && n->kind != SP_TK_QIDENT) {
          sp_p_advance(p);
          return sp_p_fail_expected(p, sp_p_peek(p, 0), "an option name part after '.'"), false;
        }
        char *part = sp_p_ident(p, n);
        if (!part) return false;
        size_t a = strlen(key), b = strlen(part);
        char *j = sp_arena_alloc(p->arena, a + b + 2);
        if (!j) return sp_p_oom(p), false;
        memcpy(j, key, a);
        j[a] = '.';
        memcpy(j + a + 1, part, b + 1);
        key = j;
        sp_p_advance(p);
        sp_p_advance(p);
      }
    } else {
      return sp_p_fail_expected(p, k, "an option name"), false;
    }
    if (!key) return false;
    sp_p_accept(p, SP_TK_EQ);
    const sp_token *v = sp_p_peek(p, 0);
    char *value;
    if (v->kind == SP_TK_STRING) {
      value = v->str;
      sp_p_advance(p);
    } else if (sp_tok_is_kw(v, p->text, "TRUE") || sp_tok_is_kw(v, p->text, "FALSE")) {
      value = lower_dup_(p, sp_tok_is_kw(v, p->text, "TRUE") ? "true" : "false");
      sp_p_advance(p);
    } else if (v->kind == SP_TK_NUMBER ||
               ((v->kind == SP_TK_MINUS || v->kind == SP_TK_PLUS) && sp_p_peek(p, 1)->kind == SP_TK_NUMBER)) {
      int start = v->pos;
      bool sign = v->kind != SP_TK_NUMBER;
      if (sign) sp_p_advance(p);
      const sp_token *num = sp_p_peek(p, 0);
      value = sp_arena_alloc(p->arena, (size_t)(num->end - num->pos) + 2);
      if (!value) return sp_p_oom(p), false;
      int n = 0;
      if (sign) value[n++] = p->text[start];
      memcpy(value + n, p->text + num->pos, (size_t)(num->end - num->pos));
      value[n + num->end - num->pos] = '\0';
      sp_p_advance(p);
    } else {
      return sp_p_fail_expected(p, v, "an option value (a string, a number, true or false)"), false;
    }
    if (!value) return false;
    for (int i = 0; i < st->noptions; i++)
      if (strcasecmp(st->options[i].key, key) == 0)
        return sp_p_fail(p, kpos, "duplicate option '%s' in OPTIONS", key), false;
    if (!sp_p_grow(p, (void **)&st->options, st->noptions, &cap, sizeof *st->options)) return false;
    st->options[st->noptions].key = key;
    st->options[st->noptions].value = value;
    st->options[st->noptions].pos = kpos;
    st->noptions++;
  } while (sp_p_accept(p, SP_TK_COMMA));
  return sp_p_expect(p, SP_TK_RPAREN, "',' or ')'");
}

/* Interval for WATERMARK / TRIGGER: 'string' | INTERVAL ... | integer (milliseconds,
 * only when ms_ok). Sets *text to the interval as written (without quotes). */
static bool parse_clause_interval_(sp_parser *p, bool ms_ok, int64_t *us, char **text) {
  const sp_token *t = sp_p_peek(p, 0);
  if (t->kind == SP_TK_STRING) {
    spate_error ie;
    if (sp_parse_interval(t->str, us, &ie)) return sp_p_fail(p, t->pos, "%s", ie.message), false;
    if (text) *text = t->str;
    sp_p_advance(p);
    return true;
  }
  if (sp_tok_is_kw(t, p->text, "INTERVAL")) {
    sp_p_advance(p);
    int start = sp_p_peek(p, 0)->pos, end = start;
    if (!parse_interval_body_(p, us, &end)) return false;
    if (text) {
      const char *s = p->text + start;
      int n = end - start;
      if (s[0] == '\'' || s[0] == '"') { /* INTERVAL '30 minutes' -> 30 minutes */
        s++;
        n -= 2;
      }
      *text = sp_arena_strndup(p->arena, s, (size_t)(n > 0 ? n : 0));
      if (!*text) return sp_p_oom(p), false;
    }
    return true;
  }
  if (ms_ok && t->kind == SP_TK_NUMBER) {
    int64_t v = 0;
    for (int i = t->pos; i < t->end; i++) {
      char c = p->text[i];
      if (c < '0' || c > '9' || __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v) ||
          __builtin_mul_overflow(v, 1000, &(int64_t){0}))
        return sp_p_fail(p, t->pos, "invalid interval in milliseconds '%.*s'", t->end - t->pos, p->text + t->pos),
               false;
    }
    *us = v * 1000;
    if (text) *text = sp_arena_strndup(p->arena, p->text + t->pos, (size_t)(t->end - t->pos));
    sp_p_advance(p);
    return true;
  }
  return sp_p_fail_expected(p, t, "an interval string such as '1 minute'"), false;
}

static bool parse_watermark_(sp_parser *p, sp_ast_stmt *st) {
  sp_p_advance(p); /* WATERMARK */
  const sp_token *c = sp_p_peek(p, 0);
  if (c->kind != SP_TK_IDENT && c->kind != SP_TK_QIDENT)
    return sp_p_fail_expected(p, c, "the event-time column after WATERMARK"), false;
  st->watermark_col = sp_p_ident(p, c);
  if (!st->watermark_col) return false;
  sp_p_advance(p);
  if (!sp_p_expect_kw(p, "DELAY") || !sp_p_expect_kw(p, "OF")) return false;
  int pos = tok_pos_(p);
  if (!parse_clause_interval_(p, false, &st->watermark_delay_us, &st->watermark_delay)) return false;
  if (st->watermark_delay_us < 0) return sp_p_fail(p, pos, "the watermark delay should not be negative"), false;
  return true;
}

static int parse_view_(sp_parser *p, sp_ast_stmt *st) {
  st->name = parse_name_(p, "a view name", false);
  if (!st->name) return p->rc;
  if (sp_p_peek(p, 0)->kind == SP_TK_LPAREN) {
    sp_p_advance(p);
    sp_type *schema = sp_p_parse_fields(p, SP_TK_RPAREN);
    if (!schema || register_type_(p, schema)) return p->rc;
    st->schema = schema;
    if (!sp_p_expect(p, SP_TK_RPAREN, "',' or ')'")) return p->rc;
  }
  bool using_seen = false, options_seen = false, wm_seen = false;
  for (;;) {
    const sp_token *t = sp_p_peek(p, 0);
    if (sp_tok_is_kw(t, p->text, "USING")) {
      if (using_seen) return sp_p_fail(p, t->pos, "USING given twice");
      sp_p_advance(p);
      st->format = parse_format_(p);
      if (!st->format) return p->rc;
      using_seen = true;
    } else if (sp_tok_is_kw(t, p->text, "OPTIONS")) {
      if (!using_seen) return sp_p_fail(p, t->pos, "OPTIONS must follow USING <format>");
      if (options_seen) return sp_p_fail(p, t->pos, "OPTIONS given twice");
      if (!parse_options_(p, st)) return p->rc;
      options_seen = true;
    } else if (sp_tok_is_kw(t, p->text, "WATERMARK")) {
      if (wm_seen) return sp_p_fail(p, t->pos, "WATERMARK given twice");
      if (!parse_watermark_(p, st)) return p->rc;
      wm_seen = true;
    } else if (sp_tok_is_kw(t, p->text, "AS")) {
      if (using_seen || st->schema)
        return sp_p_fail(p, t->pos, "a view defined with USING <format> cannot also have AS <query>");
      sp_p_advance(p);
      st->kind = SP_STMT_QUERY_VIEW;
      st->select = parse_select(p);
      return p->rc;
    } else if (using_seen) {
      st->kind = SP_STMT_SOURCE_VIEW;
      return 0;
    } else {
      return sp_p_fail_expected(p, t, st->schema ? "USING" : "USING or AS");
    }
  }
}

static int parse_query_(sp_parser *p, sp_ast_stmt *st) {
  st->kind = SP_STMT_START_QUERY;
  if (!sp_p_is_kw(p, 0, "USING")) {
    st->name = parse_name_(p, "a query name or USING", true);
    if (!st->name) return p->rc;
  }
  if (!sp_p_expect_kw(p, "USING")) return p->rc;
  st->format = parse_format_(p);
  if (!st->format) return p->rc;
  bool options_seen = false, trigger_seen = false;
  for (;;) {
    const sp_token *t = sp_p_peek(p, 0);
    int pos = t->pos;
    if (sp_tok_is_kw(t, p->text, "OPTIONS")) {
      if (options_seen) return sp_p_fail(p, pos, "OPTIONS given twice");
      if (!parse_options_(p, st)) return p->rc;
      options_seen = true;
    } else if (sp_tok_is_kw(t, p->text, "OUTPUT")) {
      if (st->output_mode) return sp_p_fail(p, pos, "OUTPUT MODE given twice");
      sp_p_advance(p);
      if (!sp_p_expect_kw(p, "MODE")) return p->rc;
      const sp_token *m = sp_p_peek(p, 0);
      if (m->kind != SP_TK_IDENT && m->kind != SP_TK_STRING)
        return sp_p_fail_expected(p, m, "an output mode (append, update or complete)");
      char *mode = lower_dup_(p, m->kind == SP_TK_STRING ? m->str : sp_p_ident(p, m));
      if (!mode) return p->rc;
      if (strcmp(mode, "append") && strcmp(mode, "update") && strcmp(mode, "complete"))
        return sp_p_fail(p, m->pos, "unknown output mode '%s' (expected append, update or complete)",
                         m->kind == SP_TK_STRING ? m->str : mode);
      st->output_mode = mode;
      sp_p_advance(p);
    } else if (sp_tok_is_kw(t, p->text, "TRIGGER")) {
      if (trigger_seen) return sp_p_fail(p, pos, "TRIGGER given twice");
      trigger_seen = true;
      sp_p_advance(p);
      const sp_token *k = sp_p_peek(p, 0);
      bool interval = false;
      if (sp_tok_is_kw(k, p->text, "PROCESSING")) {
        sp_p_advance(p);
        if (!sp_p_expect_kw(p, "TIME")) return p->rc;
        st->trigger = SP_TRIGGER_PROCESSING_TIME;
        interval = true;
      } else if (sp_tok_is_kw(k, p->text, "PROCESSINGTIME")) {
        sp_p_advance(p);
        st->trigger = SP_TRIGGER_PROCESSING_TIME;
        interval = true;
      } else if (sp_tok_is_kw(k, p->text, "ONCE")) {
        sp_p_advance(p);
        st->trigger = SP_TRIGGER_ONCE;
      } else if (sp_tok_is_kw(k, p->text, "AVAILABLE")) {
        sp_p_advance(p);
        if (!sp_p_expect_kw(p, "NOW")) return p->rc;
        st->trigger = SP_TRIGGER_AVAILABLE_NOW;
      } else if (sp_tok_is_kw(k, p->text, "AVAILABLENOW")) {
        sp_p_advance(p);
        st->trigger = SP_TRIGGER_AVAILABLE_NOW;
      } else if (sp_tok_is_kw(k, p->text, "CONTINUOUS")) {
        sp_p_advance(p);
        st->trigger = SP_TRIGGER_CONTINUOUS;
        interval = true;
      } else {
        return sp_p_fail_expected(p, k, "PROCESSING TIME, ONCE, AVAILABLE NOW or CONTINUOUS");
      }
      if (interval) {
        int ipos = tok_pos_(p);
        if (!parse_clause_interval_(p, true, &st->trigger_interval_us, NULL)) return p->rc;
        if (st->trigger_interval_us < 0) return sp_p_fail(p, ipos, "the interval of trigger should not be negative");
      }
    } else if (sp_tok_is_kw(t, p->text, "CHECKPOINT")) {
      if (st->checkpoint) return sp_p_fail(p, pos, "CHECKPOINT LOCATION given twice");
      sp_p_advance(p);
      if (!sp_p_expect_kw(p, "LOCATION")) return p->rc;
      const sp_token *s = sp_p_peek(p, 0);
      if (s->kind != SP_TK_STRING) return sp_p_fail_expected(p, s, "a quoted checkpoint path");
      st->checkpoint = s->str;
      sp_p_advance(p);
    } else if (sp_tok_is_kw(t, p->text, "AS")) {
      sp_p_advance(p);
      st->select = parse_select(p);
      return p->rc;
    } else {
      return sp_p_fail_expected(p, t, "OPTIONS, OUTPUT MODE, TRIGGER, CHECKPOINT LOCATION or AS");
    }
  }
}

/* SET key = value: the value is raw text up to ';' (quotes removed when quoted). */
static int parse_set_(sp_parser *p, sp_ast_stmt *st, const sp_token *set_tok) {
  sp_lexer *lx = &p->lx;
  const char *t = p->text;
  int n = lx->len;
  p->nla = 0; /* drop lookahead: rescan raw text right after SET */
  lx->pos = set_tok->end;
  if (sp_lexer_skip_space(lx, p->err)) return p->rc = SPATE_ESYNTAX;
  int ks = lx->pos, ke = ks;
  while (ke < n && t[ke] != '=' && t[ke] != ';' && t[ke] != ' ' && t[ke] != '\t' && t[ke] != '\n' && t[ke] != '\r')
    ke++;
  if (ke == ks) {
    if (ke >= n) return sp_p_fail(p, set_tok->end, "unexpected end of input, expected a configuration key after SET");
    return sp_p_fail(p, ks, "expected a configuration key after SET but found '%c'", t[ks]);
  }
  lx->pos = ke;
  if (sp_lexer_skip_space(lx, p->err)) return p->rc = SPATE_ESYNTAX;
  if (lx->pos >= n || t[lx->pos] != '=')
    return sp_p_fail(p, lx->pos >= n ? ke : lx->pos, "expected '=' after the key '%.*s' in SET (SET key = value)",
                     ke - ks, t + ks);
  lx->pos++;
  if (sp_lexer_skip_space(lx, p->err)) return p->rc = SPATE_ESYNTAX;
  int vs = lx->pos, ve;
  if (vs < n && (t[vs] == '\'' || t[vs] == '"')) {
    int rc = sp_lex_string(t, n, vs, p->arena, &st->set_value, &(int){0}, &ve, p->err);
    if (rc) return p->rc = rc;
    lx->pos = ve;
    if (sp_lexer_skip_space(lx, p->err)) return p->rc = SPATE_ESYNTAX;
    if (lx->pos < n && t[lx->pos] != ';')
      return sp_p_fail(p, lx->pos, "expected ';' after the quoted SET value but found '%c'", t[lx->pos]);
  } else {
    ve = vs;
    while (ve < n && t[ve] != ';') {
      /* A comment preceded by whitespace ends the value. */
      if (ve > vs && (t[ve - 1] == ' ' || t[ve - 1] == '\t') && ve + 1 < n &&
          ((t[ve] == '-' && t[ve + 1] == '-') || (t[ve] == '/' && t[ve + 1] == '*')))
        break;
      ve++;
    }
    lx->pos = ve;
    while (ve > vs && (t[ve - 1] == ' ' || t[ve - 1] == '\t' || t[ve - 1] == '\r' || t[ve - 1] == '\n')) ve--;
    st->set_value = sp_arena_strndup(p->arena, t + vs, (size_t)(ve - vs));
    if (!st->set_value) return sp_p_oom(p);
  }
  st->set_key = sp_arena_strndup(p->arena, t + ks, (size_t)(ke - ks));
  if (!st->set_key) return sp_p_oom(p);
  lx->prev_end = ve;
  lx->prev_kind = SP_TK_STRING;
  return 0;
}

static int parse_statement_(sp_parser *p, sp_ast_stmt *st) {
  const sp_token *t = sp_p_peek(p, 0);
  st->pos = t->pos;
  if (sp_tok_is_kw(t, p->text, "SET")) {
    sp_token set_tok = *t;
    sp_p_advance(p);
    st->kind = SP_STMT_SET;
    return parse_set_(p, st, &set_tok);
  }
  if (!sp_tok_is_kw(t, p->text, "CREATE")) return sp_p_fail_expected(p, t, "SET or CREATE");
  sp_p_advance(p);
  if (sp_p_accept_kw(p, "OR")) {
    if (!sp_p_expect_kw(p, "REPLACE")) return p->rc;
    st->or_replace = true;
  }
  t = sp_p_peek(p, 0);
  if (sp_tok_is_kw(t, p->text, "TEMPORARY") || sp_tok_is_kw(t, p->text, "TEMP")) {
    sp_p_advance(p);
    if (sp_p_is_kw(p, 0, "TABLE")) {
      /* A static (batch) table: spark.read...; joined with streams, read every batch. */
      const sp_token *tt = sp_p_peek(p, 0);
      sp_p_advance(p);
      st->is_static = true;
      int rc = parse_view_(p, st);
      if (rc) return rc;
      if (st->kind != SP_STMT_SOURCE_VIEW)
        return sp_p_fail(p, tt->pos, "CREATE TEMPORARY TABLE needs USING <format>; use a VIEW for AS <query>");
      if (st->watermark_col) return sp_p_fail(p, tt->pos, "a static table cannot have a WATERMARK");
      return 0;
    }
    if (!sp_p_expect_kw(p, "VIEW")) return p->rc;
    return parse_view_(p, st);
  }
  if (sp_tok_is_kw(t, p->text, "STREAMING")) {
    if (st->or_replace) return sp_p_fail(p, t->pos, "OR REPLACE is not supported for streaming queries");
    sp_p_advance(p);
    if (!sp_p_expect_kw(p, "QUERY")) return p->rc;
    return parse_query_(p, st);
  }
  if (sp_tok_is_kw(t, p->text, "VIEW") || sp_tok_is_kw(t, p->text, "GLOBAL"))
    return sp_p_fail(p, t->pos, "only temporary views are supported (CREATE TEMPORARY VIEW)");
  return sp_p_fail_expected(p, t, "TEMPORARY VIEW or STREAMING QUERY after CREATE");
}

/* ===================== public API ===================== */

sp_ast_script *sp_ast_script_new(void) {
  sp_ast_script *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  sp_arena_init(&s->arena, 16384);
  return s;
}

void sp_ast_script_free(sp_ast_script *s) {
  if (!s) return;
  for (int i = 0; i < s->ntypes; i++) sp_type_unref(s->types[i]);
  free(s->types);
  sp_arena_release(&s->arena);
  free(s);
}

/* Copy text into the holder's arena and set up a parser over the copy. */
static int begin_(sp_parser *p, sp_ast_script *holder, const char *text, size_t len, spate_error *err) {
  if (len > (size_t)INT_MAX - 1) return spate_error_set(err, SPATE_EINVAL, "SQL text too large (%zu bytes)", len);
  char *copy = sp_arena_strndup(&holder->arena, text, len);
  if (!copy) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  sp_parser_init(p, copy, (int)len, &holder->arena, holder, err);
  if (len >= 3 && memcmp(copy, "\xEF\xBB\xBF", 3) == 0) p->lx.pos = p->lx.prev_end = 3; /* UTF-8 BOM */
  return 0;
}

int sp_parse_script(const char *text, size_t len, sp_ast_script **out, spate_error *err) {
  *out = NULL;
  if (!text) return spate_error_set(err, SPATE_EINVAL, "no SQL text");
  sp_ast_script *s = sp_ast_script_new();
  if (!s) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  sp_parser p;
  int rc = begin_(&p, s, text, len, err);
  if (rc) {
    sp_ast_script_free(s);
    return rc;
  }
  s->text = p.text;
  int cap = 0;
  for (;;) {
    while (sp_p_accept(&p, SP_TK_SEMI)) {
    }
    const sp_token *t = sp_p_peek(&p, 0);
    if (t->kind == SP_TK_EOF || p.rc) break;
    if (!sp_p_grow(&p, (void **)&s->stmts, s->nstmts, &cap, sizeof *s->stmts)) break;
    sp_ast_stmt *st = &s->stmts[s->nstmts];
    memset(st, 0, sizeof *st);
    if (parse_statement_(&p, st) || p.rc) break;
    s->nstmts++;
    t = sp_p_peek(&p, 0);
    if (t->kind == SP_TK_SEMI) continue;
    if (t->kind != SP_TK_EOF) sp_p_fail_expected(&p, t, "';'");
    break;
  }
  if (p.rc) {
    sp_ast_script_free(s);
    return p.rc;
  }
  *out = s;
  return 0;
}

int sp_parse_expr(sp_ast_script *holder, const char *text, sp_ast_expr **out, spate_error *err) {
  *out = NULL;
  if (!holder || !text) return spate_error_set(err, SPATE_EINVAL, "no expression text");
  sp_parser p;
  int rc = begin_(&p, holder, text, strlen(text), err);
  if (rc) return rc;
  sp_ast_expr *e = parse_expr(&p);
  if (e && sp_p_peek(&p, 0)->kind != SP_TK_EOF) sp_p_fail_expected(&p, sp_p_peek(&p, 0), "end of expression");
  if (p.rc) return p.rc;
  *out = e;
  return 0;
}

int sp_parse_select_item(sp_ast_script *holder, const char *text, sp_ast_select_item *out, spate_error *err) {
  memset(out, 0, sizeof *out);
  if (!holder || !text) return spate_error_set(err, SPATE_EINVAL, "no expression text");
  sp_parser p;
  int rc = begin_(&p, holder, text, strlen(text), err);
  if (rc) return rc;
  sp_ast_select_item it;
  memset(&it, 0, sizeof it);
  if (parse_select_item_(&p, &it) && sp_p_peek(&p, 0)->kind != SP_TK_EOF)
    sp_p_fail_expected(&p, sp_p_peek(&p, 0), "end of expression");
  if (p.rc) return p.rc;
  *out = it;
  return 0;
}
