/*
 * schema_ddl.c - Spark DDL data types and schemas ("a INT, b STRUCT<c: STRING>,
 * d ARRAY<DOUBLE>") -> sp_type, over the parser's token stream.
 *
 * Invariants: every function returns a new sp_type reference or NULL with the
 * parser's error set; partially built types are released on every error path
 * (collected field types are unref'd before returning NULL). Nesting depth is
 * bounded by sp_p_enter.
 */
#include <string.h>
#include <strings.h>

#include "sql/parser.h"
#include "sql/sql_internal.h"

typedef struct type_name_ {
  const char *name;
  sp_type_id id;
  int params; /* 0: none, 1: optional (p[,s]), 2: required (n) */
} type_name_;

/* Spark type names and their spate mapping (see parser.h). */
static const type_name_ prim_names_[] = {
    {"BOOLEAN", SP_BOOLEAN, 0},   {"TINYINT", SP_INT, 0},      {"BYTE", SP_INT, 0},
    {"SMALLINT", SP_INT, 0},      {"SHORT", SP_INT, 0},        {"INT", SP_INT, 0},
    {"INTEGER", SP_INT, 0},       {"BIGINT", SP_BIGINT, 0},    {"LONG", SP_BIGINT, 0},
    {"FLOAT", SP_DOUBLE, 0},      {"REAL", SP_DOUBLE, 0},      {"DOUBLE", SP_DOUBLE, 0},
    {"DECIMAL", SP_DOUBLE, 1},    {"DEC", SP_DOUBLE, 1},       {"NUMERIC", SP_DOUBLE, 1},
    {"STRING", SP_STRING, 0},     {"VARCHAR", SP_STRING, 2},   {"CHAR", SP_STRING, 2},
    {"CHARACTER", SP_STRING, 2},  {"BINARY", SP_BINARY, 0},    {"TIMESTAMP", SP_TIMESTAMP, 0},
    {"TIMESTAMP_LTZ", SP_TIMESTAMP, 0}, {"TIMESTAMP_NTZ", SP_TIMESTAMP, 0}, {"DATE", SP_DATE, 0},
    {"VOID", SP_NULL, 0},
};

/* ( n [, m] ) after DECIMAL / VARCHAR: parsed and ignored. */
static bool skip_type_params_(sp_parser *p) {
  if (!sp_p_accept(p, SP_TK_LPAREN)) return true;
  do {
    const sp_token *t = sp_p_peek(p, 0);
    if (t->kind != SP_TK_NUMBER) {
      sp_p_fail_expected(p, t, "an integer type parameter");
      return false;
    }
    sp_p_advance(p);
  } while (sp_p_accept(p, SP_TK_COMMA));
  return sp_p_expect(p, SP_TK_RPAREN, "')'");
}

static sp_type *parse_type_(sp_parser *p) {
  const sp_token *t = sp_p_peek(p, 0);
  if (t->kind != SP_TK_IDENT) {
    sp_p_fail_expected(p, t, "a data type");
    return NULL;
  }
  int pos = t->pos, len = t->end - t->pos;
  const char *name = p->text + pos;
  for (size_t i = 0; i < sizeof prim_names_ / sizeof prim_names_[0]; i++) {
    if ((int)strlen(prim_names_[i].name) != len || strncasecmp(prim_names_[i].name, name, (size_t)len) != 0)
      continue;
    sp_p_advance(p);
    if (prim_names_[i].params == 2 && sp_p_peek(p, 0)->kind != SP_TK_LPAREN) {
      sp_p_fail_expected(p, sp_p_peek(p, 0), "'(' and a length");
      return NULL;
    }
    if (prim_names_[i].params && !skip_type_params_(p)) return NULL;
    return sp_type_prim(prim_names_[i].id);
  }
  if (sp_tok_is_kw(t, p->text, "ARRAY")) {
    sp_p_advance(p);
    if (!sp_p_expect(p, SP_TK_LT, "'<' after ARRAY")) return NULL;
    sp_type *elem = sp_p_parse_type(p);
    if (!elem) return NULL;
    if (!sp_p_expect(p, SP_TK_GT, "'>'")) {
      sp_type_unref(elem);
      return NULL;
    }
    sp_type *a = sp_type_array_new(elem, true); /* takes elem, even on failure */
    if (!a) sp_p_oom(p);
    return a;
  }
  if (sp_tok_is_kw(t, p->text, "STRUCT")) {
    sp_p_advance(p);
    if (sp_p_accept(p, SP_TK_NE)) { /* STRUCT<> lexes as '<>' */
      sp_type *st = sp_type_struct_new(0);
      if (!st) sp_p_oom(p);
      return st;
    }
    if (!sp_p_expect(p, SP_TK_LT, "'<' after STRUCT")) return NULL;
    sp_type *st = sp_p_parse_fields(p, SP_TK_GT);
    if (!st) return NULL;
    if (!sp_p_expect(p, SP_TK_GT, "',' or '>'")) {
      sp_type_unref(st);
      return NULL;
    }
    return st;
  }
  if (sp_tok_is_kw(t, p->text, "MAP")) {
    sp_p_fail(p, pos, "MAP types are not supported");
    return NULL;
  }
  sp_p_fail(p, pos, "unknown data type '%.*s'", len, name);
  return NULL;
}

sp_type *sp_p_parse_type(sp_parser *p) {
  if (!sp_p_enter(p)) return NULL;
  sp_type *t = parse_type_(p);
  sp_p_leave(p);
  return t;
}

typedef struct field_tmp_ {
  char *name;
  sp_type *type;
  bool nullable;
} field_tmp_;

static void release_fields_(field_tmp_ *f, int n) {
  for (int i = 0; i < n; i++) sp_type_unref(f[i].type);
}

sp_type *sp_p_parse_fields(sp_parser *p, sp_tok_kind close) {
  field_tmp_ *fields = NULL;
  int n = 0, cap = 0;
  if (sp_p_peek(p, 0)->kind != close) {
    do {
      const sp_token *t = sp_p_peek(p, 0);
      if (t->kind != SP_TK_IDENT && t->kind != SP_TK_QIDENT && t->kind != SP_TK_STRING) {
        sp_p_fail_expected(p, t, "a column name");
        goto fail;
      }
      char *name = t->kind == SP_TK_STRING ? t->str : sp_p_ident(p, t);
      if (!name) goto fail;
      sp_p_advance(p);
      sp_p_accept(p, SP_TK_COLON);
      sp_type *ty = sp_p_parse_type(p);
      if (!ty) goto fail;
      if (!sp_p_grow(p, (void **)&fields, n, &cap, sizeof *fields)) {
        sp_type_unref(ty);
        goto fail;
      }
      fields[n].name = name;
      fields[n].type = ty;
      fields[n].nullable = true;
      n++;
      for (;;) {
        if (sp_p_is_kw(p, 0, "NOT")) {
          sp_p_advance(p);
          if (!sp_p_expect_kw(p, "NULL")) goto fail;
          fields[n - 1].nullable = false;
        } else if (sp_p_is_kw(p, 0, "COMMENT")) {
          sp_p_advance(p);
          if (!sp_p_expect(p, SP_TK_STRING, "a quoted comment")) goto fail;
        } else {
          break;
        }
      }
    } while (sp_p_accept(p, SP_TK_COMMA));
  }
  if (p->rc) goto fail;
  sp_type *st = sp_type_struct_new(n);
  if (!st) {
    sp_p_oom(p);
    goto fail;
  }
  for (int i = 0; i < n; i++) {
    /* sp_type_struct_set takes the type reference even when it fails. */
    if (sp_type_struct_set(st, i, fields[i].name, fields[i].type, fields[i].nullable)) {
      release_fields_(fields + i + 1, n - i - 1);
      sp_type_unref(st);
      sp_p_oom(p);
      return NULL;
    }
  }
  return st;
fail:
  release_fields_(fields, n);
  return NULL;
}

int sp_parse_schema(const char *text, sp_type **out, spate_error *err) {
  *out = NULL;
  if (!text) return spate_error_set(err, SPATE_EINVAL, "no schema text");
  size_t len = strlen(text);
  if (len > (size_t)INT32_MAX - 1) return spate_error_set(err, SPATE_EINVAL, "schema text too large");
  sp_arena arena;
  sp_arena_init(&arena, 4096);
  sp_parser p;
  sp_parser_init(&p, text, (int)len, &arena, NULL, err);
  sp_type *t;
  /* Spark's DataType.fromDDL also takes "STRUCT<a: INT, ...>" as a whole. */
  if (sp_p_is_kw(&p, 0, "STRUCT") && (sp_p_peek(&p, 1)->kind == SP_TK_LT || sp_p_peek(&p, 1)->kind == SP_TK_NE))
    t = sp_p_parse_type(&p);
  else
    t = sp_p_parse_fields(&p, SP_TK_EOF);
  if (t && sp_p_peek(&p, 0)->kind != SP_TK_EOF) sp_p_fail_expected(&p, sp_p_peek(&p, 0), "',' or end of schema");
  int rc = p.rc;
  sp_arena_release(&arena);
  if (rc) {
    sp_type_unref(t);
    return rc;
  }
  *out = t;
  return 0;
}
