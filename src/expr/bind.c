/*
 * bind.c - the expression binder: sp_ast_expr -> typed sp_expr tree.
 *
 * Resolves column names against the input schema (case-insensitive, struct field
 * paths, an optional leading qualifier), types literals, inserts Spark's implicit
 * casts (type coercion, ANSI off), resolves function names through the function
 * table, prepares per-call constant data (compiled LIKE/regex patterns) and folds
 * calls whose arguments are all literals into literals.
 *
 * Ownership: every bind step returns a new tree owned by the caller; on error all
 * partially built nodes are freed and *out is left NULL. Errors are SPATE_EANALYSIS
 * (or SPATE_EUNSUPPORTED) with Spark's message and the AST position (line:col and
 * caret) via sp_sql_error_at.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "expr/expr_internal.h"
#include "sql/parser.h"

typedef struct binder {
  const sp_bind_ctx *c;
  spate_error *err;
  const sp_ast_expr *top; /* the whole expression (generator messages) */
  bool in_agg;            /* binding the arguments of an aggregate */
} binder;

static int bind_(binder *b, const sp_ast_expr *a, bool top, sp_expr **out);

/* ---- errors ---- */

static int err_at_(binder *b, int code, int pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int err_at_(binder *b, int code, int pos, const char *fmt, ...) {
  char msg[SPATE_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (b->c->text) return sp_sql_error_at(b->err, code, b->c->text, pos, "%s", msg);
  return spate_error_set(b->err, code, "%s", msg);
}

static int oom_(binder *b) { return sp_expr_oom(b->err); }

/* Pretty SQL of an AST node into buf (messages). */
static const char *sql_(binder *b, const sp_ast_expr *a, char *buf, size_t cap) {
  sp_buf s;
  sp_buf_init(&s);
  sp_ast_pretty_sql(a, b->c->text, b->c->input, &s);
  snprintf(buf, cap, "%s", s.data ? s.data : "");
  sp_buf_free(&s);
  return buf;
}

static const char *tsql_(const sp_type *t, char *buf, size_t cap) {
  sp_buf s;
  sp_buf_init(&s);
  sp_type_sql(t, &s);
  snprintf(buf, cap, "%s", s.data ? s.data : "");
  sp_buf_free(&s);
  return buf;
}

/* [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] for parameter `argi` (1-based). */
static int input_type_err_(binder *b, const sp_ast_expr *call, int argi, const char *required,
                           const sp_ast_expr *arg, const sp_type *got) {
  char s1[256], s2[256], t[128];
  return err_at_(b, SPATE_EANALYSIS, call->pos,
                 "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data type mismatch: "
                 "Parameter %d requires the %s type, however \"%s\" has the type \"%s\".",
                 sql_(b, call, s1, sizeof s1), argi, required, arg ? sql_(b, arg, s2, sizeof s2) : "?",
                 tsql_(got, t, sizeof t));
}

static int diff_types_err_(binder *b, const sp_ast_expr *call, const char *fname, sp_expr *const *args, int n) {
  char s1[256], list[512] = "", t[128];
  size_t used = 0;
  for (int i = 0; i < n; i++) {
    int w = snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? " or " : "", tsql_(args[i]->type, t, sizeof t));
    if (w < 0 || (size_t)w >= sizeof list - used) break;
    used += (size_t)w;
  }
  return err_at_(b, SPATE_EANALYSIS, call->pos,
                 "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data type mismatch: Input to "
                 "`%s` should all be the same type, but it's (%s).",
                 sql_(b, call, s1, sizeof s1), fname, list);
}

/* ---- node construction ---- */

static sp_expr *node_(sp_expr_kind kind, sp_type *t, int pos) {
  sp_expr *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->kind = kind;
  e->type = sp_type_ref(t);
  e->pos = pos;
  e->column = -1;
  return e;
}

static void free_args_(sp_expr **args, int n) {
  if (!args) return;
  for (int i = 0; i < n; i++) sp_expr_free(args[i]);
  free(args);
}

static sp_expr *lit_vec_(sp_vec *v, int pos) {
  if (!v) return NULL;
  sp_xvec_nonnull_chars(v);
  if (sp_vec_check(v)) {
    sp_vec_free(v);
    return NULL;
  }
  sp_expr *e = node_(SP_EXPR_LITERAL, v->type, pos);
  if (!e) {
    sp_vec_free(v);
    return NULL;
  }
  e->literal = v;
  e->nullable = sp_vec_is_null(v, 0);
  return e;
}

static sp_expr *lit_i32_(int32_t x, int pos) {
  sp_vec *v = sp_vec_new(sp_type_prim(SP_INT), 1);
  if (v) sp_vec_append_i32(v, x);
  return lit_vec_(v, pos);
}

static sp_expr *lit_i64_(int64_t x, int pos) {
  sp_vec *v = sp_vec_new(sp_type_prim(SP_BIGINT), 1);
  if (v) sp_vec_append_i64(v, x);
  return lit_vec_(v, pos);
}

static sp_expr *lit_null_(sp_type *t, int pos) {
  sp_vec *v = sp_vec_new(t, 1);
  if (v) {
    if (t->id == SP_ARRAY)
      sp_vec_array_close(v, false);
    else
      sp_vec_append_null(v);
  }
  return lit_vec_(v, pos);
}

/* Replace *slot by a literal if it is a foldable call over literals. */
static void fold_(binder *b, sp_expr **slot) {
  sp_expr *e = *slot;
  if (e->kind != SP_EXPR_CALL || !sp_fn_foldable(e->fn)) return;
  for (int i = 0; i < e->nargs; i++)
    if (e->args[i]->kind != SP_EXPR_LITERAL) return;
  sp_batch one;
  memset(&one, 0, sizeof one);
  one.nrows = 1;
  sp_eval_ctx ec = {0, b->c->timezone};
  spate_error tmp;
  sp_opnd o;
  if (sp_eval_node(e, &one, &ec, &o, &tmp)) return; /* leave it for a runtime error */
  sp_vec *v = o.owned ? o.vec : sp_vec_copy(o.vec);
  o.owned = false;
  if (!v) return;
  if (v->length != 1 || !sp_type_equal(v->type, e->type)) {
    sp_vec_free(v);
    return;
  }
  sp_expr *l = node_(SP_EXPR_LITERAL, e->type, e->pos);
  if (!l) {
    sp_vec_free(v);
    return;
  }
  l->literal = v;
  l->nullable = sp_vec_is_null(v, 0);
  sp_xvec_nonnull_chars(v);
  sp_expr_free(e);
  *slot = l;
}

/* New CALL node; takes ownership of args (array and elements) in every case. */
static int mk_call_(binder *b, int fn, sp_type *t, int pos, sp_expr **args, int nargs, sp_expr **out) {
  *out = NULL;
  sp_expr *e = node_(SP_EXPR_CALL, t, pos);
  if (!e) {
    free_args_(args, nargs);
    return oom_(b);
  }
  e->fn = fn;
  e->args = args;
  e->nargs = nargs;
  for (int i = 0; i < nargs; i++) e->nullable |= args[i]->nullable;
  *out = e;
  return 0;
}

static int mk_call1_(binder *b, int fn, sp_type *t, int pos, sp_expr *a0, sp_expr **out) {
  sp_expr **args = malloc(sizeof *args);
  if (!args) {
    sp_expr_free(a0);
    return oom_(b);
  }
  args[0] = a0;
  return mk_call_(b, fn, t, pos, args, 1, out);
}

static int mk_call2_(binder *b, int fn, sp_type *t, int pos, sp_expr *a0, sp_expr *a1, sp_expr **out) {
  sp_expr **args = malloc(2 * sizeof *args);
  if (!args) {
    sp_expr_free(a0);
    sp_expr_free(a1);
    return oom_(b);
  }
  args[0] = a0;
  args[1] = a1;
  return mk_call_(b, fn, t, pos, args, 2, out);
}

/* Wrap *slot in a CAST to `to` (no-op when the type already matches), folding literals. */
static int cast_to_(binder *b, sp_expr **slot, sp_type *to) {
  sp_expr *e = *slot;
  if (sp_type_equal(e->type, to)) return 0;
  sp_expr *c = node_(SP_EXPR_CALL, to, e->pos);
  sp_expr **args = malloc(sizeof *args);
  if (!c || !args) {
    sp_expr_free(c);
    free(args);
    return oom_(b);
  }
  args[0] = e;
  c->fn = SP_FN_CAST;
  c->args = args;
  c->nargs = 1;
  c->nullable = true;
  *slot = c;
  fold_(b, slot);
  return 0;
}

static sp_type *prim_(sp_type_id id) { return sp_type_prim(id); }

static bool is_num_(sp_type_id id) { return id == SP_INT || id == SP_BIGINT || id == SP_DOUBLE; }
static bool is_atomic_(sp_type_id id) { return id != SP_STRUCT && id != SP_ARRAY; }

/* Spark ImplicitTypeCasts.implicitCast (subset). */
static bool implicit_ok_(const sp_type *from, sp_type_id to) {
  sp_type_id f = from->id;
  if (f == SP_NULL || f == to) return true;
  switch (to) {
    case SP_STRING: return is_atomic_(f);
    case SP_INT:
    case SP_BIGINT:
    case SP_DOUBLE: return is_num_(f) || f == SP_STRING;
    case SP_TIMESTAMP: return f == SP_STRING || f == SP_DATE;
    case SP_DATE: return f == SP_STRING || f == SP_TIMESTAMP;
    case SP_BINARY: return f == SP_STRING;
    default: return false;
  }
}

static const char *req_name_(sp_type_id id) {
  switch (id) {
    case SP_STRING: return "\"STRING\"";
    case SP_INT: return "\"INT\"";
    case SP_BIGINT: return "\"BIGINT\"";
    case SP_DOUBLE: return "\"DOUBLE\"";
    case SP_BOOLEAN: return "\"BOOLEAN\"";
    case SP_TIMESTAMP: return "\"TIMESTAMP\"";
    case SP_DATE: return "\"DATE\"";
    case SP_BINARY: return "\"BINARY\"";
    case SP_ARRAY: return "\"ARRAY\"";
    case SP_STRUCT: return "\"STRUCT\"";
    default: return "\"?\"";
  }
}

/* Coerce argument i (0-based) of `call` to primitive type `to` or fail with Spark's message. */
static int expect_(binder *b, const sp_ast_expr *call, const sp_ast_expr *arg_ast, int i, sp_expr **slot,
                   sp_type_id to) {
  if (!implicit_ok_((*slot)->type, to))
    return input_type_err_(b, call, i + 1, req_name_(to), arg_ast, (*slot)->type);
  return cast_to_(b, slot, prim_(to));
}

static int rank_(sp_type_id id) { return id == SP_INT ? 1 : id == SP_BIGINT ? 2 : id == SP_DOUBLE ? 3 : 0; }

static sp_type *num_wider_(sp_type_id a, sp_type_id c) { return prim_(rank_(a) >= rank_(c) ? a : c); }

/* Common type of a binary comparison (string vs number -> DOUBLE). NULL if none. */
static sp_type *cmp_common_(sp_type *l, sp_type *r) {
  sp_type_id a = l->id, c = r->id;
  if (sp_type_equal(l, r)) return l;
  if (a == SP_NULL) return r;
  if (c == SP_NULL) return l;
  if (is_num_(a) && is_num_(c)) return num_wider_(a, c);
  if ((a == SP_STRING && is_num_(c)) || (c == SP_STRING && is_num_(a))) return prim_(SP_DOUBLE);
  if (a == SP_STRING && (c == SP_TIMESTAMP || c == SP_DATE || c == SP_BOOLEAN || c == SP_BINARY)) return r;
  if (c == SP_STRING && (a == SP_TIMESTAMP || a == SP_DATE || a == SP_BOOLEAN || a == SP_BINARY)) return l;
  if ((a == SP_DATE && c == SP_TIMESTAMP) || (a == SP_TIMESTAMP && c == SP_DATE)) return prim_(SP_TIMESTAMP);
  return NULL;
}

/* Wider common type (CASE, COALESCE, IN, array): numbers widen, strings absorb other
 * atomic types except boolean/binary, NULL adapts. NULL if none. */
static sp_type *wider_(sp_type *l, sp_type *r) {
  sp_type_id a = l->id, c = r->id;
  if (sp_type_equal(l, r)) return l;
  if (a == SP_NULL) return r;
  if (c == SP_NULL) return l;
  if (is_num_(a) && is_num_(c)) return num_wider_(a, c);
  if ((a == SP_DATE && c == SP_TIMESTAMP) || (a == SP_TIMESTAMP && c == SP_DATE)) return prim_(SP_TIMESTAMP);
  if (a == SP_STRING && is_atomic_(c) && c != SP_BOOLEAN && c != SP_BINARY) return l;
  if (c == SP_STRING && is_atomic_(a) && a != SP_BOOLEAN && a != SP_BINARY) return r;
  return NULL;
}

/* Wider type of args[0..n); NULL if incompatible. */
static sp_type *wider_all_(sp_expr *const *args, int n) {
  sp_type *t = prim_(SP_NULL);
  for (int i = 0; i < n; i++) {
    t = wider_(t, args[i]->type);
    if (!t) return NULL;
  }
  return t;
}

/* Bind every argument of an AST call. */
static int bind_args_(binder *b, const sp_ast_expr *a, int from, sp_expr ***out) {
  int n = a->nargs - from;
  sp_expr **args = calloc((size_t)(n > 0 ? n : 1), sizeof *args);
  if (!args) return oom_(b);
  for (int i = 0; i < n; i++) {
    int rc = bind_(b, a->args[from + i], false, &args[i]);
    if (rc) {
      free_args_(args, i);
      return rc;
    }
  }
  *out = args;
  return 0;
}

/* ---- columns ---- */

static int lev_(const char *s, const char *t) {
  size_t n = strlen(s), m = strlen(t);
  int *row = malloc((m + 1) * sizeof *row);
  if (!row) return 0;
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int prev = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      int cur = row[j];
      int cost = s[i - 1] == t[j - 1] ? 0 : 1;
      int v = prev + cost;
      if (row[j] + 1 < v) v = row[j] + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      row[j] = v;
      prev = cur;
    }
  }
  int d = row[m];
  free(row);
  return d;
}

static void quoted_parts_(char **parts, int n, sp_buf *o) {
  for (int i = 0; i < n; i++) {
    if (i) sp_buf_putc(o, '.');
    sp_buf_putc(o, '`');
    for (const char *p = parts[i]; *p; p++) {
      if (*p == '`') sp_buf_putc(o, '`');
      sp_buf_putc(o, *p);
    }
    sp_buf_putc(o, '`');
  }
}

static int unresolved_(binder *b, const sp_ast_expr *a) {
  const sp_type *st = b->c->input;
  int nf = st && st->id == SP_STRUCT ? st->nfields : 0;
  sp_buf name, dotted, sugg;
  sp_buf_init(&name);
  sp_buf_init(&dotted);
  sp_buf_init(&sugg);
  quoted_parts_(a->parts, a->nparts, &name);
  for (int i = 0; i < a->nparts; i++) {
    if (i) sp_buf_putc(&dotted, '.');
    sp_buf_puts(&dotted, a->parts[i]);
  }
  int rc;
  if (nf == 0) {
    rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column or function parameter with name %s cannot be "
                 "resolved.",
                 name.data ? name.data : "");
  } else {
    int *order = malloc((size_t)nf * sizeof *order), *dist = malloc((size_t)nf * sizeof *dist);
    if (!order || !dist) {
      free(order);
      free(dist);
      sp_buf_free(&name);
      sp_buf_free(&dotted);
      sp_buf_free(&sugg);
      return oom_(b);
    }
    for (int i = 0; i < nf; i++) {
      order[i] = i;
      dist[i] = lev_(st->fields[i].name, dotted.data ? dotted.data : "");
    }
    /* stable insertion sort by distance */
    for (int i = 1; i < nf; i++) {
      int x = order[i], j = i - 1;
      while (j >= 0 && dist[order[j]] > dist[x]) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = x;
    }
    for (int i = 0; i < nf && i < 5; i++) {
      if (i) sp_buf_puts(&sugg, ", ");
      char *nm = st->fields[order[i]].name;
      quoted_parts_(&nm, 1, &sugg);
    }
    free(order);
    free(dist);
    rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name %s cannot be "
                 "resolved. Did you mean one of the following? [%s].",
                 name.data ? name.data : "", sugg.data ? sugg.data : "");
  }
  sp_buf_free(&name);
  sp_buf_free(&dotted);
  sp_buf_free(&sugg);
  return rc;
}

static int bind_func_(binder *b, const sp_ast_expr *a, bool top, sp_expr **out);

static int bind_column_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  const sp_type *st = b->c->input;
  int col = -1, start = 1;
  if (b->c->quals && a->nparts >= 2) {
    /* qualifier.column (a join's view alias) */
    for (int i = 0; i < st->nfields && col < 0; i++)
      if (b->c->quals[i] && !strcasecmp(b->c->quals[i], a->parts[0]) && !strcasecmp(st->fields[i].name, a->parts[1]))
        col = i;
    if (col >= 0) start = 2;
  }
  if (col < 0 && a->nparts > 0) col = sp_type_field_index(st, a->parts[0]);
  if (col < 0 && a->nparts >= 2) {
    col = sp_type_field_index(st, a->parts[1]);
    start = 2;
  }
  if (col < 0) {
    if (a->nparts == 1 && (!strcasecmp(a->parts[0], "current_timestamp") ||
                           !strcasecmp(a->parts[0], "current_date"))) {
      sp_ast_expr f;
      memset(&f, 0, sizeof f);
      f.kind = SP_AST_FUNC;
      f.pos = a->pos;
      f.end = a->end;
      f.name = !strcasecmp(a->parts[0], "current_date") ? "current_date" : "current_timestamp";
      return bind_func_(b, &f, false, out);
    }
    return unresolved_(b, a);
  }
  const sp_type *t = st->fields[col].type;
  bool nullable = st->fields[col].nullable;
  int npath = a->nparts - start;
  int *path = npath > 0 ? malloc((size_t)npath * sizeof *path) : NULL;
  if (npath > 0 && !path) return oom_(b);
  for (int p = start; p < a->nparts; p++) {
    if (t->id != SP_STRUCT) {
      char s1[256], tn[128];
      sp_buf pre;
      sp_buf_init(&pre);
      for (int q = 0; q < p; q++) {
        if (q) sp_buf_putc(&pre, '.');
        sp_buf_puts(&pre, a->parts[q]);
      }
      snprintf(s1, sizeof s1, "%s", pre.data ? pre.data : "");
      sp_buf_free(&pre);
      free(path);
      return err_at_(b, SPATE_EANALYSIS, a->pos,
                     "[INVALID_EXTRACT_BASE_FIELD_TYPE] Can't extract a value from \"%s\". Need a complex type "
                     "[STRUCT, ARRAY, MAP] but got \"%s\".",
                     s1, tsql_(t, tn, sizeof tn));
    }
    int fi = sp_type_field_index(t, a->parts[p]);
    if (fi < 0) {
      sp_buf fl;
      sp_buf_init(&fl);
      for (int f = 0; f < t->nfields; f++) {
        if (f) sp_buf_puts(&fl, ", ");
        char *nm = t->fields[f].name;
        quoted_parts_(&nm, 1, &fl);
      }
      sp_buf fn;
      sp_buf_init(&fn);
      quoted_parts_(&a->parts[p], 1, &fn);
      int rc = err_at_(b, SPATE_EANALYSIS, a->pos, "[FIELD_NOT_FOUND] No such struct field %s in %s.",
                       fn.data ? fn.data : "", fl.data ? fl.data : "");
      sp_buf_free(&fl);
      sp_buf_free(&fn);
      free(path);
      return rc;
    }
    path[p - start] = fi;
    nullable |= t->fields[fi].nullable;
    t = t->fields[fi].type;
  }
  sp_expr *e = node_(SP_EXPR_COLUMN, (sp_type *)t, a->pos);
  if (!e) {
    free(path);
    return oom_(b);
  }
  e->column = col;
  e->path = path;
  e->npath = npath;
  e->nullable = nullable;
  *out = e;
  return 0;
}

/* ---- literals ---- */

static int bind_literal_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_vec *v = NULL;
  switch (a->lit_type) {
    case SP_NULL:
      *out = lit_null_(prim_(SP_NULL), a->pos);
      return *out ? 0 : oom_(b);
    case SP_BOOLEAN:
      v = sp_vec_new(prim_(SP_BOOLEAN), 1);
      if (v) sp_vec_append_bool(v, a->lit_int != 0);
      break;
    case SP_INT:
      v = sp_vec_new(prim_(SP_INT), 1);
      if (v) sp_vec_append_i32(v, (int32_t)a->lit_int);
      break;
    case SP_BIGINT:
      v = sp_vec_new(prim_(SP_BIGINT), 1);
      if (v) sp_vec_append_i64(v, a->lit_int);
      break;
    case SP_DOUBLE:
      v = sp_vec_new(prim_(SP_DOUBLE), 1);
      if (v) sp_vec_append_f64(v, a->lit_double);
      break;
    case SP_STRING:
      v = sp_vec_new(prim_(SP_STRING), 1);
      if (v) sp_vec_append_str(v, a->lit_str ? a->lit_str : "", a->lit_str ? (int32_t)a->lit_strlen : 0);
      break;
    default:
      return err_at_(b, SPATE_EUNSUPPORTED, a->pos, "unsupported literal type %s", sp_type_id_name(a->lit_type));
  }
  *out = lit_vec_(v, a->pos);
  return *out ? 0 : oom_(b);
}

/* ---- operators ---- */

static int arith_err_(binder *b, const sp_ast_expr *a, const sp_type *l, const sp_type *r) {
  char s1[256], t1[128], t2[128];
  if (sp_type_equal(l, r))
    return err_at_(b, SPATE_EANALYSIS, a->pos,
                   "[DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE] Cannot resolve \"%s\" due to data type mismatch: the "
                   "binary operator requires the input type \"NUMERIC\", not \"%s\".",
                   sql_(b, a, s1, sizeof s1), tsql_(l, t1, sizeof t1));
  return err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"%s\" due to data type mismatch: the "
                 "left and right operands of the binary operator have incompatible types (\"%s\" and \"%s\").",
                 sql_(b, a, s1, sizeof s1), tsql_(l, t1, sizeof t1), tsql_(r, t2, sizeof t2));
}

/* ts +/- INTERVAL: a->args[iv] is the interval node. */
static int bind_interval_arith_(binder *b, const sp_ast_expr *a, int iv, sp_expr **out) {
  if (a->op == SP_OP_SUB && iv == 0) {
    char s1[256];
    return err_at_(b, SPATE_EANALYSIS, a->pos, "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"%s\": "
                   "an interval cannot be the left operand of a subtraction.", sql_(b, a, s1, sizeof s1));
  }
  sp_expr *x = NULL;
  int rc = bind_(b, a->args[1 - iv], false, &x);
  if (rc) return rc;
  if (x->type->id != SP_TIMESTAMP) {
    if (x->type->id == SP_DATE || x->type->id == SP_STRING || x->type->id == SP_NULL) {
      if ((rc = cast_to_(b, &x, prim_(SP_TIMESTAMP)))) {
        sp_expr_free(x);
        return rc;
      }
    } else {
      rc = input_type_err_(b, a, 1 - iv + 1, "\"TIMESTAMP\"", a->args[1 - iv], x->type);
      sp_expr_free(x);
      return rc;
    }
  }
  int64_t us = a->args[iv]->interval_us;
  if (a->op == SP_OP_SUB) us = (int64_t)(0 - (uint64_t)us);
  sp_expr *l = lit_i64_(us, a->args[iv]->pos);
  if (!l) {
    sp_expr_free(x);
    return oom_(b);
  }
  rc = mk_call2_(b, SP_FN_TS_ADD_US, prim_(SP_TIMESTAMP), a->pos, x, l, out);
  if (!rc) fold_(b, out);
  return rc;
}

static int bind_arith_(binder *b, const sp_ast_expr *a, sp_expr *l, sp_expr *r, sp_expr **out) {
  int op = a->op;
  sp_type_id lt = l->type->id, rt = r->type->id;
  int fn = op == SP_OP_ADD ? SP_FN_ADD
           : op == SP_OP_SUB ? SP_FN_SUB
           : op == SP_OP_MUL ? SP_FN_MUL
           : op == SP_OP_DIV ? SP_FN_DIV
                             : SP_FN_MOD;
  /* date +/- integral days */
  if ((op == SP_OP_ADD || op == SP_OP_SUB) && lt == SP_DATE && (rt == SP_INT || rt == SP_BIGINT || rt == SP_NULL)) {
    int rc = cast_to_(b, &r, prim_(SP_INT));
    if (rc) goto fail;
    rc = mk_call2_(b, op == SP_OP_ADD ? SP_FN_DATE_ADD : SP_FN_DATE_SUB, prim_(SP_DATE), a->pos, l, r, out);
    if (!rc) fold_(b, out);
    return rc;
  }
  if (op == SP_OP_ADD && rt == SP_DATE && (lt == SP_INT || lt == SP_BIGINT)) {
    int rc = cast_to_(b, &l, prim_(SP_INT));
    if (rc) goto fail;
    rc = mk_call2_(b, SP_FN_DATE_ADD, prim_(SP_DATE), a->pos, r, l, out);
    if (!rc) fold_(b, out);
    return rc;
  }
  {
    sp_type_id cl = lt == SP_STRING ? SP_DOUBLE : lt, cr = rt == SP_STRING ? SP_DOUBLE : rt;
    if (cl == SP_NULL) cl = cr == SP_NULL ? SP_DOUBLE : cr;
    if (cr == SP_NULL) cr = cl;
    if (!is_num_(cl) || !is_num_(cr)) {
      int rc = arith_err_(b, a, l->type, r->type);
      sp_expr_free(l);
      sp_expr_free(r);
      return rc;
    }
    sp_type *t = op == SP_OP_DIV ? prim_(SP_DOUBLE) : num_wider_(cl, cr);
    int rc = cast_to_(b, &l, t);
    if (!rc) rc = cast_to_(b, &r, t);
    if (rc) goto fail;
    rc = mk_call2_(b, fn, t, a->pos, l, r, out);
    if (rc) return rc;
    if (fn == SP_FN_DIV || fn == SP_FN_MOD) (*out)->nullable = true;
    fold_(b, out);
    return 0;
  }
fail:
  sp_expr_free(l);
  sp_expr_free(r);
  return oom_(b);
}

static int bind_compare_(binder *b, const sp_ast_expr *a, int fn, sp_expr *l, sp_expr *r, sp_expr **out) {
  sp_type *t = cmp_common_(l->type, r->type);
  if (!t) {
    int rc = arith_err_(b, a, l->type, r->type);
    sp_expr_free(l);
    sp_expr_free(r);
    return rc;
  }
  sp_type *tt = sp_type_ref(t);
  int rc = cast_to_(b, &l, tt);
  if (!rc) rc = cast_to_(b, &r, tt);
  sp_type_unref(tt);
  if (rc) {
    sp_expr_free(l);
    sp_expr_free(r);
    return rc;
  }
  rc = mk_call2_(b, fn, prim_(SP_BOOLEAN), a->pos, l, r, out);
  if (rc) return rc;
  if (fn == SP_FN_EQ_NS) (*out)->nullable = false;
  fold_(b, out);
  return 0;
}

/* Coerce a boolean operand (NULL adapts). */
static int expect_bool_(binder *b, const sp_ast_expr *call, const sp_ast_expr *arg, int i, sp_expr **slot) {
  sp_type_id id = (*slot)->type->id;
  if (id == SP_BOOLEAN) return 0;
  if (id == SP_NULL) return cast_to_(b, slot, prim_(SP_BOOLEAN));
  return input_type_err_(b, call, i + 1, "\"BOOLEAN\"", arg, (*slot)->type);
}

static int wrap_not_(binder *b, sp_expr **e) {
  sp_expr *x = *e;
  *e = NULL;
  int rc = mk_call1_(b, SP_FN_NOT, prim_(SP_BOOLEAN), x->pos, x, e);
  if (!rc) fold_(b, e);
  return rc;
}

static int bind_binary_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  if ((a->op == SP_OP_ADD || a->op == SP_OP_SUB) && a->nargs == 2) {
    if (a->args[1]->kind == SP_AST_INTERVAL) return bind_interval_arith_(b, a, 1, out);
    if (a->args[0]->kind == SP_AST_INTERVAL) return bind_interval_arith_(b, a, 0, out);
  }
  sp_expr *l = NULL, *r = NULL;
  int rc = bind_(b, a->args[0], false, &l);
  if (rc) return rc;
  rc = bind_(b, a->args[1], false, &r);
  if (rc) {
    sp_expr_free(l);
    return rc;
  }
  switch (a->op) {
    case SP_OP_ADD:
    case SP_OP_SUB:
    case SP_OP_MUL:
    case SP_OP_DIV:
    case SP_OP_MOD: return bind_arith_(b, a, l, r, out);
    case SP_OP_CONCAT: {
      bool bin = l->type->id == SP_BINARY && r->type->id == SP_BINARY;
      sp_type_id t = bin ? SP_BINARY : SP_STRING;
      rc = expect_(b, a, a->args[0], 0, &l, t);
      if (!rc) rc = expect_(b, a, a->args[1], 1, &r, t);
      if (rc) {
        sp_expr_free(l);
        sp_expr_free(r);
        return rc;
      }
      rc = mk_call2_(b, SP_FN_CONCAT, prim_(t), a->pos, l, r, out);
      if (!rc) fold_(b, out);
      return rc;
    }
    case SP_OP_EQ: return bind_compare_(b, a, SP_FN_EQ, l, r, out);
    case SP_OP_NE: return bind_compare_(b, a, SP_FN_NE, l, r, out);
    case SP_OP_LT: return bind_compare_(b, a, SP_FN_LT, l, r, out);
    case SP_OP_LE: return bind_compare_(b, a, SP_FN_LE, l, r, out);
    case SP_OP_GT: return bind_compare_(b, a, SP_FN_GT, l, r, out);
    case SP_OP_GE: return bind_compare_(b, a, SP_FN_GE, l, r, out);
    case SP_OP_EQ_NULLSAFE: return bind_compare_(b, a, SP_FN_EQ_NS, l, r, out);
    case SP_OP_AND:
    case SP_OP_OR:
      rc = expect_bool_(b, a, a->args[0], 0, &l);
      if (!rc) rc = expect_bool_(b, a, a->args[1], 1, &r);
      if (rc) {
        sp_expr_free(l);
        sp_expr_free(r);
        return rc;
      }
      rc = mk_call2_(b, a->op == SP_OP_AND ? SP_FN_AND : SP_FN_OR, prim_(SP_BOOLEAN), a->pos, l, r, out);
      if (!rc) fold_(b, out);
      return rc;
    default: break;
  }
  sp_expr_free(l);
  sp_expr_free(r);
  return err_at_(b, SPATE_EUNSUPPORTED, a->pos, "unsupported binary operator");
}

static int bind_unary_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_expr *x = NULL;
  int rc = bind_(b, a->args[0], false, &x);
  if (rc) return rc;
  if (a->op == SP_OP_NOT) {
    if ((rc = expect_bool_(b, a, a->args[0], 0, &x))) {
      sp_expr_free(x);
      return rc;
    }
    rc = mk_call1_(b, SP_FN_NOT, prim_(SP_BOOLEAN), a->pos, x, out);
    if (!rc) fold_(b, out);
    return rc;
  }
  /* unary minus */
  sp_type_id id = x->type->id;
  if (id == SP_STRING || id == SP_NULL) {
    if ((rc = cast_to_(b, &x, prim_(SP_DOUBLE)))) {
      sp_expr_free(x);
      return rc;
    }
    id = SP_DOUBLE;
  }
  if (!is_num_(id)) {
    rc = input_type_err_(b, a, 1, "(\"NUMERIC\" or \"INTERVAL\")", a->args[0], x->type);
    sp_expr_free(x);
    return rc;
  }
  rc = mk_call1_(b, SP_FN_NEG, x->type, a->pos, x, out);
  if (!rc) fold_(b, out);
  return rc;
}

/* ---- CASE / IN / LIKE / BETWEEN / CAST / field access ---- */

static int bind_case_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  int nw = a->case_nwhen;
  int base = a->case_has_operand ? 1 : 0;
  int nargs = 2 * nw + (a->case_has_else ? 1 : 0);
  sp_expr **args = calloc((size_t)(nargs ? nargs : 1), sizeof *args);
  if (!args) return oom_(b);
  int rc = 0, done = 0;
  for (int w = 0; w < nw && !rc; w++) {
    const sp_ast_expr *wa = a->args[base + 2 * w], *ta = a->args[base + 2 * w + 1];
    sp_expr *cond = NULL;
    if (a->case_has_operand) {
      sp_expr *op = NULL, *val = NULL;
      rc = bind_(b, a->args[0], false, &op);
      if (!rc && (rc = bind_(b, wa, false, &val))) sp_expr_free(op);
      if (!rc) rc = bind_compare_(b, a, SP_FN_EQ, op, val, &cond);
    } else {
      rc = bind_(b, wa, false, &cond);
      if (!rc && (rc = expect_bool_(b, a, wa, 2 * w, &cond))) sp_expr_free(cond);
    }
    if (rc) break;
    args[done++] = cond;
    rc = bind_(b, ta, false, &args[done]);
    if (!rc) done++;
  }
  if (!rc && a->case_has_else) {
    rc = bind_(b, a->args[a->nargs - 1], false, &args[done]);
    if (!rc) done++;
  }
  if (rc) {
    free_args_(args, done);
    return rc;
  }
  /* value type */
  sp_type *t = prim_(SP_NULL);
  for (int i = 1; i < nargs && t; i += 2) t = wider_(t, args[i]->type);
  if (t && a->case_has_else) t = wider_(t, args[nargs - 1]->type);
  if (!t) {
    sp_expr *vals[64];
    int nv = 0;
    for (int i = 1; i < nargs && nv < 64; i += 2) vals[nv++] = args[i];
    if (a->case_has_else && nv < 64) vals[nv++] = args[nargs - 1];
    rc = diff_types_err_(b, a, "casewhen", vals, nv);
    free_args_(args, done);
    return rc;
  }
  sp_type *tt = sp_type_ref(t);
  for (int i = 1; i < nargs && !rc; i += 2) rc = cast_to_(b, &args[i], tt);
  if (!rc && a->case_has_else) rc = cast_to_(b, &args[nargs - 1], tt);
  if (rc) {
    sp_type_unref(tt);
    free_args_(args, done);
    return rc;
  }
  rc = mk_call_(b, SP_FN_CASE, tt, a->pos, args, nargs, out);
  sp_type_unref(tt);
  if (rc) return rc;
  bool nullable = !a->case_has_else;
  for (int i = 1; i < nargs; i += 2) nullable |= (*out)->args[i]->nullable;
  if (a->case_has_else) nullable |= (*out)->args[nargs - 1]->nullable;
  (*out)->nullable = nullable;
  fold_(b, out);
  return 0;
}

static int bind_in_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_expr **args = NULL;
  int rc = bind_args_(b, a, 0, &args);
  if (rc) return rc;
  int n = a->nargs;
  sp_type *t = wider_all_(args, n);
  if (!t) {
    char s1[256], list[512] = "", tn[128];
    size_t used = 0;
    for (int i = 0; i < n; i++) {
      int w = snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", tsql_(args[i]->type, tn, sizeof tn));
      if (w < 0 || (size_t)w >= sizeof list - used) break;
      used += (size_t)w;
    }
    rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data type mismatch: Input to "
                 "`in` should all be the same type, but it's [%s].",
                 sql_(b, a, s1, sizeof s1), list);
    free_args_(args, n);
    return rc;
  }
  sp_type *tt = sp_type_ref(t);
  for (int i = 0; i < n && !rc; i++) rc = cast_to_(b, &args[i], tt);
  sp_type_unref(tt);
  if (rc) {
    free_args_(args, n);
    return rc;
  }
  rc = mk_call_(b, SP_FN_IN, prim_(SP_BOOLEAN), a->pos, args, n, out);
  if (rc) return rc;
  fold_(b, out);
  if (a->negated) return wrap_not_(b, out);
  return 0;
}

/* Compile a literal LIKE/RLIKE/regex pattern into fn_data. */
static int prepare_pattern_(binder *b, sp_expr *e, int pat_arg, bool like, int pos) {
  sp_expr *p = e->args[pat_arg];
  if (p->kind != SP_EXPR_LITERAL || p->type->id != SP_STRING || sp_vec_is_null(p->literal, 0)) return 0;
  int32_t len;
  const char *s = sp_vec_str(p->literal, 0, &len);
  char msg[512];
  if (like) {
    sp_like *m = NULL;
    int rc = sp_like_compile(s, (size_t)len, &m, msg, sizeof msg);
    if (rc == SPATE_ENOMEM) return oom_(b);
    if (rc) return err_at_(b, SPATE_EANALYSIS, pos, "[INVALID_FORMAT] %s", msg);
    e->fn_data = sp_like_data_new(m);
    if (!e->fn_data) {
      sp_like_free(m);
      return oom_(b);
    }
    return 0;
  }
  sp_regex *re = NULL;
  int rc = sp_regex_compile(s, (size_t)len, &re, msg, sizeof msg);
  if (rc == SPATE_ENOMEM) return oom_(b);
  if (rc)
    return err_at_(b, SPATE_EANALYSIS, pos,
                   "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` in `%s` is invalid: '%.*s': "
                   "%s",
                   sp_fn_name(e->fn), (int)len, s, msg);
  e->fn_data = sp_regex_data_new(re);
  if (!e->fn_data) {
    sp_regex_free(re);
    return oom_(b);
  }
  return 0;
}

static int finish_pattern_call_(binder *b, const sp_ast_expr *a, int fn, sp_expr **args, int nargs, int pat_arg,
                                sp_type *t, sp_expr **out) {
  int rc = mk_call_(b, fn, t, a->pos, args, nargs, out);
  if (rc) return rc;
  rc = prepare_pattern_(b, *out, pat_arg, fn == SP_FN_LIKE, a->args[pat_arg]->pos);
  if (rc) {
    sp_expr_free(*out);
    *out = NULL;
    return rc;
  }
  fold_(b, out);
  return 0;
}

static int bind_like_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_expr **args = NULL;
  int rc = bind_args_(b, a, 0, &args);
  if (rc) return rc;
  for (int i = 0; i < 2 && !rc; i++) rc = expect_(b, a, a->args[i], i, &args[i], SP_STRING);
  if (rc) {
    free_args_(args, 2);
    return rc;
  }
  int fn = a->op == SP_OP_RLIKE ? SP_FN_RLIKE : SP_FN_LIKE;
  rc = finish_pattern_call_(b, a, fn, args, 2, 1, prim_(SP_BOOLEAN), out);
  if (rc) return rc;
  if (a->negated) return wrap_not_(b, out);
  return 0;
}

static int bind_between_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_expr *x1 = NULL, *lo = NULL, *x2 = NULL, *hi = NULL, *ge = NULL, *le = NULL;
  int rc = bind_(b, a->args[0], false, &x1);
  if (!rc) rc = bind_(b, a->args[1], false, &lo);
  if (!rc) rc = bind_(b, a->args[0], false, &x2);
  if (!rc) rc = bind_(b, a->args[2], false, &hi);
  if (rc) {
    sp_expr_free(x1);
    sp_expr_free(lo);
    sp_expr_free(x2);
    sp_expr_free(hi);
    return rc;
  }
  rc = bind_compare_(b, a, SP_FN_GE, x1, lo, &ge);
  if (rc) {
    sp_expr_free(x2);
    sp_expr_free(hi);
    return rc;
  }
  rc = bind_compare_(b, a, SP_FN_LE, x2, hi, &le);
  if (rc) {
    sp_expr_free(ge);
    return rc;
  }
  rc = mk_call2_(b, SP_FN_AND, prim_(SP_BOOLEAN), a->pos, ge, le, out);
  if (rc) return rc;
  fold_(b, out);
  if (a->negated) return wrap_not_(b, out);
  return 0;
}

static int bind_cast_to_type_(binder *b, const sp_ast_expr *a, sp_expr *x, sp_type *to, sp_expr **out) {
  if (!to) {
    sp_expr_free(x);
    return err_at_(b, SPATE_EINVAL, a->pos, "CAST without a target type");
  }
  if (!sp_can_cast(x->type, to)) {
    char s1[256], t1[128], t2[128];
    int rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                     "[DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION] Cannot resolve \"%s\" due to data type mismatch: "
                     "cannot cast \"%s\" to \"%s\".",
                     sql_(b, a, s1, sizeof s1), tsql_(x->type, t1, sizeof t1), tsql_(to, t2, sizeof t2));
    sp_expr_free(x);
    return rc;
  }
  int rc = cast_to_(b, &x, to);
  if (rc) {
    sp_expr_free(x);
    return rc;
  }
  x->pos = a->pos;
  *out = x;
  return 0;
}

static int bind_cast_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_expr *x = NULL;
  int rc = bind_(b, a->args[0], false, &x);
  if (rc) return rc;
  return bind_cast_to_type_(b, a, x, a->cast_type, out);
}

static int get_field_(binder *b, const sp_ast_expr *a, sp_expr *s, const char *name, sp_expr **out) {
  if (s->type->id != SP_STRUCT) {
    char s1[256], tn[128];
    int rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                     "[INVALID_EXTRACT_BASE_FIELD_TYPE] Can't extract a value from \"%s\". Need a complex type "
                     "[STRUCT, ARRAY, MAP] but got \"%s\".",
                     sql_(b, a->args[0], s1, sizeof s1), tsql_(s->type, tn, sizeof tn));
    sp_expr_free(s);
    return rc;
  }
  int fi = sp_type_field_index(s->type, name);
  if (fi < 0) {
    sp_buf fl;
    sp_buf_init(&fl);
    for (int f = 0; f < s->type->nfields; f++) {
      if (f) sp_buf_puts(&fl, ", ");
      char *nm = s->type->fields[f].name;
      quoted_parts_(&nm, 1, &fl);
    }
    int rc = err_at_(b, SPATE_EANALYSIS, a->pos, "[FIELD_NOT_FOUND] No such struct field `%s` in %s.", name,
                     fl.data ? fl.data : "");
    sp_buf_free(&fl);
    sp_expr_free(s);
    return rc;
  }
  sp_expr *ix = lit_i32_(fi, a->pos);
  if (!ix) {
    sp_expr_free(s);
    return oom_(b);
  }
  bool nullable = s->nullable || s->type->fields[fi].nullable;
  int rc = mk_call2_(b, SP_FN_GET_FIELD, s->type->fields[fi].type, a->pos, s, ix, out);
  if (rc) return rc;
  (*out)->nullable = nullable;
  fold_(b, out);
  return 0;
}

static int bind_field_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_expr *s = NULL;
  int rc = bind_(b, a->args[0], false, &s);
  if (rc) return rc;
  return get_field_(b, a, s, a->name ? a->name : "", out);
}

static int bind_subscript_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  sp_expr *s = NULL, *ix = NULL;
  int rc = bind_(b, a->args[0], false, &s);
  if (rc) return rc;
  if (s->type->id == SP_STRUCT && a->args[1]->kind == SP_AST_LITERAL && a->args[1]->lit_type == SP_STRING)
    return get_field_(b, a, s, a->args[1]->lit_str, out);
  if ((rc = bind_(b, a->args[1], false, &ix))) {
    sp_expr_free(s);
    return rc;
  }
  if (s->type->id != SP_ARRAY) {
    char s1[256], tn[128];
    rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[INVALID_EXTRACT_BASE_FIELD_TYPE] Can't extract a value from \"%s\". Need a complex type [STRUCT, "
                 "ARRAY, MAP] but got \"%s\".",
                 sql_(b, a->args[0], s1, sizeof s1), tsql_(s->type, tn, sizeof tn));
    sp_expr_free(s);
    sp_expr_free(ix);
    return rc;
  }
  if ((rc = expect_(b, a, a->args[1], 1, &ix, SP_INT))) {
    sp_expr_free(s);
    sp_expr_free(ix);
    return rc;
  }
  rc = mk_call2_(b, SP_FN_GET_ITEM, s->type->elem, a->pos, s, ix, out);
  if (rc) return rc;
  (*out)->nullable = true;
  fold_(b, out);
  return 0;
}

/* ---- functions ---- */

static int arity_err_(binder *b, const sp_ast_expr *a, const sp_fn_info *fi) {
  char req[64];
  if (fi->max_args < 0)
    snprintf(req, sizeof req, "> %d", fi->min_args - 1);
  else if (fi->min_args == fi->max_args)
    snprintf(req, sizeof req, "%d", fi->min_args);
  else if (fi->max_args == fi->min_args + 1)
    snprintf(req, sizeof req, "[%d, %d]", fi->min_args, fi->max_args);
  else {
    size_t u = 0;
    u += (size_t)snprintf(req + u, sizeof req - u, "[");
    for (int k = fi->min_args; k <= fi->max_args && u < sizeof req; k++)
      u += (size_t)snprintf(req + u, sizeof req - u, "%s%d", k > fi->min_args ? ", " : "", k);
    if (u < sizeof req) snprintf(req + u, sizeof req - u, "]");
  }
  return err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %s parameters but the actual number is %d. "
                 "Please, refer to 'https://spark.apache.org/docs/latest/sql-ref-functions.html' for a fix.",
                 a->name, req, a->nargs);
}

static int bind_agg_(binder *b, const sp_ast_expr *a, const sp_fn_info *fi, sp_expr **out) {
  if (!b->c->allow_agg)
    return err_at_(b, SPATE_EANALYSIS, a->pos, "aggregate function %s is not allowed here", a->name);
  if (b->in_agg)
    return err_at_(b, SPATE_EANALYSIS, a->pos,
                   "[NESTED_AGGREGATE_FUNCTION] It is not allowed to use an aggregate function in the argument of "
                   "another aggregate function. Please use the inner aggregate function in a sub-query.");
  sp_agg_kind kind = (sp_agg_kind)fi->id;
  sp_expr *arg = NULL;
  if (kind == SP_AGG_COUNT && a->star_arg) {
    kind = SP_AGG_COUNT_STAR;
  } else {
    if (a->nargs != 1) {
      if (kind == SP_AGG_COUNT && a->nargs > 1)
        return err_at_(b, SPATE_EUNSUPPORTED, a->pos, "count over more than one expression is not supported");
      sp_fn_info f1 = *fi;
      f1.min_args = f1.max_args = 1;
      return arity_err_(b, a, &f1);
    }
    b->in_agg = true;
    int rc = bind_(b, a->args[0], false, &arg);
    b->in_agg = false;
    if (rc) return rc;
  }
  sp_type *t = NULL;
  switch (kind) {
    case SP_AGG_COUNT_STAR:
    case SP_AGG_COUNT: t = prim_(SP_BIGINT); break;
    case SP_AGG_SUM:
    case SP_AGG_AVG: {
      sp_type_id id = arg->type->id;
      if (id == SP_STRING || id == SP_NULL) {
        int rc = cast_to_(b, &arg, prim_(SP_DOUBLE));
        if (rc) {
          sp_expr_free(arg);
          return rc;
        }
        id = SP_DOUBLE;
      }
      if (!is_num_(id)) {
        int rc = input_type_err_(b, a, 1, "\"NUMERIC\"", a->args[0], arg->type);
        sp_expr_free(arg);
        return rc;
      }
      t = kind == SP_AGG_AVG || id == SP_DOUBLE ? prim_(SP_DOUBLE) : prim_(SP_BIGINT);
      break;
    }
    default: t = arg->type; break;
  }
  sp_expr *e = node_(SP_EXPR_AGG, t, a->pos);
  if (!e) {
    sp_expr_free(arg);
    return oom_(b);
  }
  e->agg = kind;
  e->agg_distinct = a->distinct;
  e->nullable = !(kind == SP_AGG_COUNT || kind == SP_AGG_COUNT_STAR);
  if (arg) {
    e->args = malloc(sizeof *e->args);
    if (!e->args) {
      sp_expr_free(arg);
      sp_expr_free(e);
      return oom_(b);
    }
    e->args[0] = arg;
    e->nargs = 1;
  }
  *out = e;
  return 0;
}

static int bind_gen_(binder *b, const sp_ast_expr *a, const sp_fn_info *fi, bool top, sp_expr **out) {
  char s1[256];
  if (!b->c->allow_generator)
    return err_at_(b, SPATE_EANALYSIS, a->pos,
                   "[UNSUPPORTED_GENERATOR.OUTSIDE_SELECT] The generator is not supported: outside the SELECT "
                   "clause, found: %s.",
                   sql_(b, a, s1, sizeof s1));
  if (!top || b->in_agg)
    return err_at_(b, SPATE_EANALYSIS, a->pos,
                   "[UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS] The generator is not supported: nested in "
                   "expressions \"%s\".",
                   sql_(b, b->top, s1, sizeof s1));
  sp_expr *arg = NULL;
  int rc = bind_(b, a->args[0], false, &arg);
  if (rc) return rc;
  if (arg->type->id != SP_ARRAY) {
    rc = input_type_err_(b, a, 1, "(\"ARRAY\" or \"MAP\")", a->args[0], arg->type);
    sp_expr_free(arg);
    return rc;
  }
  sp_expr *e = node_(SP_EXPR_GENERATOR, arg->type->elem, a->pos);
  if (!e || !(e->args = malloc(sizeof *e->args))) {
    sp_expr_free(e);
    sp_expr_free(arg);
    return oom_(b);
  }
  e->args[0] = arg;
  e->nargs = 1;
  e->gen = (sp_gen_kind)fi->id;
  e->nullable = true;
  *out = e;
  return 0;
}

/* Name of struct() field i: column last part, field name, else col<i+1>. */
static void struct_field_name_(const sp_ast_expr *arg, int i, char *buf, size_t cap) {
  if (arg->kind == SP_AST_COLUMN && arg->nparts > 0)
    snprintf(buf, cap, "%s", arg->parts[arg->nparts - 1]);
  else if (arg->kind == SP_AST_FIELD && arg->name)
    snprintf(buf, cap, "%s", arg->name);
  else
    snprintf(buf, cap, "col%d", i + 1);
}

static int bind_struct_(binder *b, const sp_ast_expr *a, bool named, sp_expr **out) {
  const sp_type *in = b->c->input;
  int nf = 0;
  if (named) {
    if (a->nargs % 2 != 0 || a->nargs == 0)
      return err_at_(b, SPATE_EANALYSIS, a->pos,
                     "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `named_struct` requires 2n (n > 0) parameters but the "
                     "actual number is %d. Please, refer to 'https://spark.apache.org/docs/latest/sql-ref-functions.html' "
                     "for a fix.",
                     a->nargs);
    nf = a->nargs / 2;
  } else if (a->star_arg && a->nargs == 0) {
    nf = in ? in->nfields : 0; /* struct(*) */
  } else {
    for (int i = 0; i < a->nargs; i++)
      nf += a->args[i]->kind == SP_AST_STAR && a->args[i]->nparts == 0 ? (in ? in->nfields : 0) : 1;
  }
  sp_expr **args = calloc((size_t)(nf ? nf : 1), sizeof *args);
  sp_type *st = sp_type_struct_new(nf);
  if (!args || !st) {
    free(args);
    sp_type_unref(st);
    return oom_(b);
  }
  int k = 0, rc = 0;
  char name[256];
  if (!named && a->star_arg && a->nargs == 0) {
    for (int c = 0; c < nf && !rc; c++) {
      sp_expr *e = node_(SP_EXPR_COLUMN, in->fields[c].type, a->pos);
      if (!e) {
        rc = oom_(b);
        break;
      }
      e->column = c;
      e->nullable = in->fields[c].nullable;
      args[k] = e;
      rc = sp_type_struct_set(st, k, in->fields[c].name, sp_type_ref(e->type), e->nullable);
      k++;
    }
  }
  for (int i = 0; i < a->nargs && !rc; i++) {
    const sp_ast_expr *x = a->args[i];
    if (named) {
      if (i % 2 == 0) {
        sp_expr *ne = NULL;
        rc = bind_(b, x, false, &ne);
        if (rc) break;
        if (ne->kind != SP_EXPR_LITERAL || ne->type->id != SP_STRING || sp_vec_is_null(ne->literal, 0)) {
          char s1[256], s2[256];
          rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                       "[DATATYPE_MISMATCH.CREATE_NAMED_STRUCT_WITHOUT_FOLDABLE_STRING] Cannot resolve \"%s\" due "
                       "to data type mismatch: Only foldable `STRING` expressions are allowed to appear at odd "
                       "position, but they are [\"%s\"].",
                       sql_(b, a, s1, sizeof s1), sql_(b, x, s2, sizeof s2));
          sp_expr_free(ne);
          break;
        }
        int32_t len;
        const char *p = sp_vec_str(ne->literal, 0, &len);
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        sp_expr_free(ne);
        continue;
      }
      rc = bind_(b, x, false, &args[k]);
      if (rc) break;
      rc = sp_type_struct_set(st, k, name, sp_type_ref(args[k]->type), args[k]->nullable);
      k++;
      continue;
    }
    if (x->kind == SP_AST_STAR && x->nparts == 0) {
      for (int c = 0; in && c < in->nfields && !rc; c++) {
        sp_expr *e = node_(SP_EXPR_COLUMN, in->fields[c].type, x->pos);
        if (!e) {
          rc = oom_(b);
          break;
        }
        e->column = c;
        e->nullable = in->fields[c].nullable;
        args[k] = e;
        rc = sp_type_struct_set(st, k, in->fields[c].name, sp_type_ref(e->type), e->nullable);
        k++;
      }
      continue;
    }
    rc = bind_(b, x, false, &args[k]);
    if (rc) break;
    struct_field_name_(x, i, name, sizeof name);
    if (x->kind == SP_AST_COLUMN && args[k]->kind == SP_EXPR_COLUMN && args[k]->npath == 0 && in &&
        x->nparts == 1)
      snprintf(name, sizeof name, "%s", in->fields[args[k]->column].name);
    rc = sp_type_struct_set(st, k, name, sp_type_ref(args[k]->type), args[k]->nullable);
    k++;
  }
  if (rc) {
    free_args_(args, k);
    sp_type_unref(st);
    return rc == SPATE_ENOMEM ? oom_(b) : rc;
  }
  rc = mk_call_(b, SP_FN_STRUCT, st, a->pos, args, nf, out);
  sp_type_unref(st);
  if (rc) return rc;
  (*out)->nullable = false;
  fold_(b, out);
  return 0;
}

/* Interval argument of window(): a string literal or an INTERVAL node, in microseconds. */
static int window_dur_(binder *b, const sp_ast_expr *x, int64_t *us) {
  if (x->kind == SP_AST_INTERVAL) {
    *us = x->interval_us;
    return 0;
  }
  if (x->kind == SP_AST_LITERAL && x->lit_type == SP_STRING) {
    spate_error e2;
    if (sp_parse_interval(x->lit_str, us, &e2) == 0) return 0;
    return err_at_(b, SPATE_EANALYSIS, x->pos, "The window duration ('%s') is not a valid interval: %s", x->lit_str,
                   e2.message);
  }
  return err_at_(b, SPATE_EANALYSIS, x->pos, "window durations must be interval strings like '10 minutes'");
}

static int bind_window_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  int64_t dur = 0, slide = 0, start = 0;
  int rc = window_dur_(b, a->args[1], &dur);
  if (rc) return rc;
  slide = dur;
  if (a->nargs > 2 && (rc = window_dur_(b, a->args[2], &slide))) return rc;
  if (a->nargs > 3 && (rc = window_dur_(b, a->args[3], &start))) return rc;
  if (dur <= 0)
    return err_at_(b, SPATE_EANALYSIS, a->args[1]->pos, "The window duration (%s) must be greater than 0.",
                   a->args[1]->lit_str ? a->args[1]->lit_str : "interval");
  if (slide <= 0 || slide > dur)
    return err_at_(b, SPATE_EANALYSIS, a->pos, "The slide duration must be greater than 0 and not exceed the window "
                   "duration.");
  /* Spark: |startTime| < slide. Sliding windows (slide != duration) yield several rows
   * per input row: the planner expands them (TIME_WINDOW node) where they are GROUP BY
   * keys and rejects them elsewhere (sp_expr_has_sliding_window). */
  if (start <= -slide || start >= slide)
    return err_at_(b, SPATE_EANALYSIS, a->pos,
                   "The absolute value of start time must be less than the slide duration.");
  sp_expr *ts = NULL;
  rc = bind_(b, a->args[0], false, &ts);
  if (rc) return rc;
  if (ts->type->id != SP_TIMESTAMP) {
    if (ts->type->id == SP_STRING || ts->type->id == SP_DATE) {
      rc = cast_to_(b, &ts, prim_(SP_TIMESTAMP));
    } else {
      rc = input_type_err_(b, a, 1, "\"TIMESTAMP\"", a->args[0], ts->type);
    }
    if (rc) {
      sp_expr_free(ts);
      return rc;
    }
  }
  sp_expr **args = calloc(4, sizeof *args);
  sp_type *st = sp_type_struct_new(2);
  if (!args || !st) {
    free(args);
    sp_type_unref(st);
    sp_expr_free(ts);
    return oom_(b);
  }
  args[0] = ts;
  args[1] = lit_i64_(dur, a->pos);
  args[2] = lit_i64_(slide, a->pos);
  args[3] = lit_i64_(start, a->pos);
  if (!args[1] || !args[2] || !args[3] || sp_type_struct_set(st, 0, "start", prim_(SP_TIMESTAMP), true) ||
      sp_type_struct_set(st, 1, "end", prim_(SP_TIMESTAMP), true)) {
    free_args_(args, 4);
    sp_type_unref(st);
    return oom_(b);
  }
  rc = mk_call_(b, SP_FN_WINDOW, st, a->pos, args, 4, out);
  sp_type_unref(st);
  return rc;
}

/* from_json(str, schema [, map(k, v, ...)]) / to_json(x [, map(...)]): the schema
 * and the options are string literals, prepared once into fn_data (fn_json.c); the
 * call keeps only its data argument. */
static int bind_json_(binder *b, const sp_ast_expr *a, int fn, sp_expr **out) {
  /* from_avro(bin, schema [, map]) / to_avro(x [, schema]) (fn_avro.c) share this path. */
  bool avro = fn == SP_FN_FROM_AVRO || fn == SP_FN_TO_AVRO;
  /* from_csv(str, schema [, map]) / to_csv(struct [, map]) (fn_csv.c) too. */
  bool csv = fn == SP_FN_FROM_CSV || fn == SP_FN_TO_CSV;
  bool from = fn == SP_FN_FROM_JSON || fn == SP_FN_FROM_AVRO || fn == SP_FN_FROM_CSV ||
              (fn == SP_FN_TO_AVRO && a->nargs > 1);
  int nfixed = from ? 2 : 1;
  char s1[256];
  if (from) {
    const sp_ast_expr *sa = a->args[1];
    if (sa->kind != SP_AST_LITERAL || sa->lit_type != SP_STRING || !sa->lit_str)
      return err_at_(b, SPATE_EANALYSIS, sa->pos,
                     "[INVALID_SCHEMA.NON_STRING_LITERAL] The input schema \"%s\" is not a valid schema string. The "
                     "input expression must be string literal and not null.",
                     sql_(b, sa, s1, sizeof s1));
  }
  const char **kv = NULL;
  int nkv = 0;
  if (a->nargs > nfixed) {
    const sp_ast_expr *m = a->args[nfixed];
    if (m->kind != SP_AST_FUNC || !m->name || strcmp(m->name, "map") != 0)
      return err_at_(b, SPATE_EANALYSIS, m->pos,
                     "[INVALID_OPTIONS.NON_MAP_FUNCTION] Invalid options: Must use the map() function for options.");
    if (m->nargs % 2 != 0)
      return err_at_(b, SPATE_EANALYSIS, m->pos,
                     "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `map` requires 2n (n > 0) parameters but the actual "
                     "number is %d.",
                     m->nargs);
    for (int i = 0; i < m->nargs; i++) {
      const sp_ast_expr *x = m->args[i];
      if (x->kind != SP_AST_LITERAL || x->lit_type != SP_STRING || !x->lit_str)
        return err_at_(b, SPATE_EANALYSIS, x->pos,
                       "[INVALID_OPTIONS.NON_STRING_TYPE] Invalid options: A type of keys and values in map() must "
                       "be string literals, but got \"%s\".",
                       sql_(b, x, s1, sizeof s1));
    }
    nkv = m->nargs;
    kv = calloc((size_t)(unsigned)nkv + 1, sizeof *kv);
    if (!kv) return oom_(b);
    for (int i = 0; i < nkv; i++) kv[i] = m->args[i]->lit_str;
  }
  sp_expr *x = NULL;
  int rc = bind_(b, a->args[0], false, &x);
  if (rc) {
    free(kv);
    return rc;
  }
  if (fn == SP_FN_FROM_AVRO) {
    if (x->type->id != SP_BINARY) rc = expect_(b, a, a->args[0], 0, &x, SP_BINARY);
  } else if (fn == SP_FN_FROM_JSON || fn == SP_FN_FROM_CSV) {
    if (x->type->id != SP_STRING && x->type->id != SP_BINARY) rc = expect_(b, a, a->args[0], 0, &x, SP_STRING);
  } else if (fn == SP_FN_TO_CSV && x->type->id != SP_STRUCT) {
    char t1[128], s2[128];
    rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data type mismatch: The "
                 "first parameter requires the \"STRUCT\" type, however \"%s\" has the type \"%s\".",
                 sql_(b, a, s1, sizeof s1), sql_(b, a->args[0], s2, sizeof s2), tsql_(x->type, t1, sizeof t1));
  } else if (fn == SP_FN_TO_JSON && x->type->id != SP_STRUCT && x->type->id != SP_ARRAY) {
    char t1[128];
    rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                 "[DATATYPE_MISMATCH.INVALID_JSON_SCHEMA] Cannot resolve \"%s\" due to data type mismatch: Input "
                 "schema \"%s\" must be a struct or an array.",
                 sql_(b, a, s1, sizeof s1), tsql_(x->type, t1, sizeof t1));
  }
  if (rc) {
    free(kv);
    sp_expr_free(x);
    return rc;
  }
  sp_type *t = NULL;
  sp_fn_data *fd = NULL;
  char msg[SPATE_ERROR_MESSAGE_MAX];
  if (csv)
    rc = sp_csv_fn_prepare(fn, from ? a->args[1]->lit_str : NULL, kv, nkv, x->type, &t, &fd, msg, sizeof msg);
  else if (avro)
    rc = sp_avro_fn_prepare(fn, from ? a->args[1]->lit_str : NULL, kv, nkv, x->type, x->nullable, &t, &fd, msg,
                            sizeof msg);
  else
    rc = sp_json_fn_prepare(fn, from ? a->args[1]->lit_str : NULL, kv, nkv, &t, &fd, msg, sizeof msg);
  free(kv);
  if (rc) {
    sp_expr_free(x);
    if (rc == SPATE_ENOMEM) return oom_(b);
    return err_at_(b, rc, from ? a->args[1]->pos : a->pos, "%s", msg);
  }
  rc = mk_call1_(b, fn, t, a->pos, x, out);
  sp_type_unref(t);
  if (rc) {
    fd->destroy(fd);
    return rc;
  }
  (*out)->fn_data = fd;
  (*out)->nullable = true;
  fold_(b, out);
  return 0;
}

static sp_type_id cast_alias_(const char *name) {
  if (!strcmp(name, "string")) return SP_STRING;
  if (!strcmp(name, "int")) return SP_INT;
  if (!strcmp(name, "bigint")) return SP_BIGINT;
  if (!strcmp(name, "double")) return SP_DOUBLE;
  if (!strcmp(name, "boolean")) return SP_BOOLEAN;
  if (!strcmp(name, "date")) return SP_DATE;
  if (!strcmp(name, "timestamp")) return SP_TIMESTAMP;
  return SP_BINARY;
}

/* Literal check for constant parameters. */
static bool is_lit_(const sp_expr *e) { return e->kind == SP_EXPR_LITERAL; }

static int bind_scalar_(binder *b, const sp_ast_expr *a, const sp_fn_info *fi, sp_expr **out) {
  int fn = fi->id;
  switch (fn) {
    case SP_FN_STRUCT: return bind_struct_(b, a, !strcmp(a->name, "named_struct"), out);
    case SP_FN_WINDOW: return bind_window_(b, a, out);
    case SP_FN_FROM_JSON:
    case SP_FN_TO_JSON:
    case SP_FN_FROM_AVRO:
    case SP_FN_TO_AVRO:
    case SP_FN_FROM_CSV:
    case SP_FN_TO_CSV: return bind_json_(b, a, fn, out);
    default: break;
  }
  sp_expr **args = NULL;
  int n = a->nargs;
  int rc = bind_args_(b, a, 0, &args);
  if (rc) return rc;
  sp_type *t = NULL;       /* result type (borrowed or owned_t) */
  sp_type *owned_t = NULL; /* reference to release after mk_call_ */
  bool nullable_force = false;
#define EXPECT_(i, id)                                              \
  do {                                                              \
    if ((rc = expect_(b, a, a->args[(i)], (i), &args[(i)], (id)))) \
      goto fail;                                                    \
  } while (0)
  switch (fn) {
    case SP_FN_COALESCE:
    case SP_FN_NULLIF: {
      sp_type *w = fn == SP_FN_NULLIF ? cmp_common_(args[0]->type, args[1]->type) : wider_all_(args, n);
      if (!w) {
        rc = diff_types_err_(b, a, a->name, args, n);
        goto fail;
      }
      owned_t = sp_type_ref(w);
      for (int i = 0; i < n && !rc; i++) rc = cast_to_(b, &args[i], owned_t);
      if (rc) goto fail;
      t = owned_t;
      break;
    }
    case SP_FN_CASE: { /* if(c, a, b) */
      if ((rc = expect_bool_(b, a, a->args[0], 0, &args[0]))) goto fail;
      sp_type *w = wider_(args[1]->type, args[2]->type);
      if (!w) {
        rc = diff_types_err_(b, a, "if", args + 1, 2);
        goto fail;
      }
      owned_t = sp_type_ref(w);
      if ((rc = cast_to_(b, &args[1], owned_t)) || (rc = cast_to_(b, &args[2], owned_t))) goto fail;
      t = owned_t;
      break;
    }
    case SP_FN_ABS:
    case SP_FN_FLOOR:
    case SP_FN_CEIL:
    case SP_FN_ROUND:
    case SP_FN_NEG: {
      sp_type_id id = args[0]->type->id;
      if (id == SP_STRING || id == SP_NULL) {
        if ((rc = cast_to_(b, &args[0], prim_(SP_DOUBLE)))) goto fail;
        id = SP_DOUBLE;
      }
      if (!is_num_(id)) {
        rc = input_type_err_(b, a, 1, "\"NUMERIC\"", a->args[0], args[0]->type);
        goto fail;
      }
      t = (fn == SP_FN_FLOOR || fn == SP_FN_CEIL) ? prim_(SP_BIGINT) : args[0]->type;
      if (fn == SP_FN_ROUND) {
        if (n == 2) {
          EXPECT_(1, SP_INT);
          if (!is_lit_(args[1])) {
            char s1[256], s2[256];
            rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                         "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] Cannot resolve \"%s\" due to data type mismatch: "
                         "the input `scale` should be a foldable \"INT\" expression; however, got \"%s\".",
                         sql_(b, a, s1, sizeof s1), sql_(b, a->args[1], s2, sizeof s2));
            goto fail;
          }
        } else {
          sp_expr **na = realloc(args, 2 * sizeof *na);
          if (!na) {
            rc = oom_(b);
            goto fail;
          }
          args = na;
          args[1] = lit_i32_(0, a->pos);
          if (!args[1]) {
            rc = oom_(b);
            goto fail;
          }
          n = 2;
        }
      }
      break;
    }
    case SP_FN_IDIV:
    case SP_FN_MOD: {
      for (int i = 0; i < 2; i++)
        if (args[i]->type->id == SP_STRING || args[i]->type->id == SP_NULL)
          if ((rc = cast_to_(b, &args[i], prim_(fn == SP_FN_IDIV ? SP_BIGINT : SP_DOUBLE)))) goto fail;
      if (!is_num_(args[0]->type->id) || !is_num_(args[1]->type->id)) {
        rc = arith_err_(b, a, args[0]->type, args[1]->type);
        goto fail;
      }
      t = fn == SP_FN_IDIV ? prim_(SP_BIGINT) : num_wider_(args[0]->type->id, args[1]->type->id);
      if ((rc = cast_to_(b, &args[0], t)) || (rc = cast_to_(b, &args[1], t))) goto fail;
      nullable_force = true;
      break;
    }
    case SP_FN_NOT:
      if ((rc = expect_bool_(b, a, a->args[0], 0, &args[0]))) goto fail;
      t = prim_(SP_BOOLEAN);
      break;
    case SP_FN_IS_NULL:
    case SP_FN_IS_NOT_NULL: t = prim_(SP_BOOLEAN); break;
    case SP_FN_CAST: {
      sp_expr *x = args[0];
      free(args);
      return bind_cast_to_type_(b, a, x, prim_(cast_alias_(a->name)), out);
    }
    case SP_FN_LOWER:
    case SP_FN_UPPER:
    case SP_FN_TRIM:
    case SP_FN_LTRIM:
    case SP_FN_RTRIM:
      for (int i = 0; i < n; i++) EXPECT_(i, SP_STRING);
      if (n == 2) { /* SQL trim(trimStr, str): the kernel takes (str, trimStr) */
        sp_expr *tmp = args[0];
        args[0] = args[1];
        args[1] = tmp;
      }
      t = prim_(SP_STRING);
      break;
    case SP_FN_LENGTH:
      if (args[0]->type->id != SP_BINARY) EXPECT_(0, SP_STRING);
      t = prim_(SP_INT);
      break;
    case SP_FN_CONCAT: {
      bool bin = n > 0;
      for (int i = 0; i < n; i++) bin &= args[i]->type->id == SP_BINARY;
      for (int i = 0; i < n; i++) EXPECT_(i, bin ? SP_BINARY : SP_STRING);
      t = prim_(bin ? SP_BINARY : SP_STRING);
      break;
    }
    case SP_FN_CONCAT_WS:
      EXPECT_(0, SP_STRING);
      for (int i = 1; i < n; i++) {
        const sp_type *at = args[i]->type;
        if (at->id == SP_ARRAY) {
          if (at->elem->id != SP_STRING && at->elem->id != SP_NULL) {
            rc = input_type_err_(b, a, i + 1, "(\"ARRAY<STRING>\" or \"STRING\")", a->args[i], at);
            goto fail;
          }
          if (at->elem->id == SP_NULL) {
            sp_type *as = sp_type_array_new(prim_(SP_STRING), true);
            if (!as) {
              rc = oom_(b);
              goto fail;
            }
            rc = cast_to_(b, &args[i], as);
            sp_type_unref(as);
            if (rc) goto fail;
          }
        } else {
          EXPECT_(i, SP_STRING);
        }
      }
      t = prim_(SP_STRING);
      break;
    case SP_FN_SUBSTRING:
      if (args[0]->type->id != SP_BINARY) EXPECT_(0, SP_STRING);
      for (int i = 1; i < n; i++) EXPECT_(i, SP_INT);
      t = args[0]->type;
      break;
    case SP_FN_SPLIT:
    case SP_FN_REGEXP_EXTRACT:
    case SP_FN_REGEXP_REPLACE:
    case SP_FN_RLIKE:
    case SP_FN_LIKE: {
      int nstr = fn == SP_FN_REGEXP_REPLACE ? 3 : 2;
      for (int i = 0; i < n; i++) EXPECT_(i, i < nstr ? SP_STRING : SP_INT);
      if (fn == SP_FN_SPLIT) {
        owned_t = sp_type_array_new(prim_(SP_STRING), false);
        if (!owned_t) {
          rc = oom_(b);
          goto fail;
        }
        t = owned_t;
      } else {
        t = prim_(fn == SP_FN_RLIKE || fn == SP_FN_LIKE ? SP_BOOLEAN : SP_STRING);
      }
      rc = mk_call_(b, fn, t, a->pos, args, n, out);
      args = NULL;
      if (!rc) rc = prepare_pattern_(b, *out, 1, fn == SP_FN_LIKE, a->args[1]->pos);
      if (!rc && fn == SP_FN_REGEXP_EXTRACT && (*out)->fn_data && n > 2 && is_lit_((*out)->args[2]) &&
          !sp_vec_is_null((*out)->args[2]->literal, 0)) {
        int idx = sp_vec_i32((*out)->args[2]->literal)[0];
        int g = sp_regex_groups(((sp_regex_data *)(*out)->fn_data)->re);
        if (idx < 0 || idx > g)
          rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                       "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in "
                       "`regexp_extract` is invalid: Expects group index between 0 and %d, but got %d.",
                       g, idx);
      }
      if (!rc && fn == SP_FN_REGEXP_EXTRACT && (*out)->fn_data && n == 2 &&
          sp_regex_groups(((sp_regex_data *)(*out)->fn_data)->re) < 1)
        rc = err_at_(b, SPATE_EANALYSIS, a->pos,
                     "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in "
                     "`regexp_extract` is invalid: Expects group index between 0 and 0, but got 1.");
      sp_type_unref(owned_t);
      if (rc) {
        sp_expr_free(*out);
        *out = NULL;
        return rc;
      }
      if (fn != SP_FN_RLIKE && fn != SP_FN_LIKE) (*out)->nullable = true;
      fold_(b, out);
      return 0;
    }
    case SP_FN_ARRAY: {
      sp_type *w = n ? wider_all_(args, n) : prim_(SP_STRING);
      if (!w) {
        rc = diff_types_err_(b, a, "array", args, n);
        goto fail;
      }
      if (w->id == SP_NULL) w = prim_(SP_NULL);
      for (int i = 0; i < n && !rc; i++) rc = cast_to_(b, &args[i], w);
      if (rc) goto fail;
      bool cn = false;
      for (int i = 0; i < n; i++) cn |= args[i]->nullable;
      owned_t = sp_type_array_new(sp_type_ref(w), cn);
      if (!owned_t) {
        rc = oom_(b);
        goto fail;
      }
      t = owned_t;
      break;
    }
    case SP_FN_SIZE:
    case SP_FN_ELEMENT_AT:
      if (args[0]->type->id != SP_ARRAY) {
        rc = input_type_err_(b, a, 1, "(\"ARRAY\" or \"MAP\")", a->args[0], args[0]->type);
        goto fail;
      }
      if (fn == SP_FN_SIZE) {
        t = prim_(SP_INT);
      } else {
        EXPECT_(1, SP_INT);
        t = args[0]->type->elem;
        nullable_force = true;
      }
      break;
    case SP_FN_TO_TIMESTAMP:
    case SP_FN_TO_DATE: {
      sp_type_id id = args[0]->type->id;
      sp_type_id target = fn == SP_FN_TO_TIMESTAMP ? SP_TIMESTAMP : SP_DATE;
      if (id != SP_STRING && id != SP_TIMESTAMP && id != SP_DATE && id != SP_NULL) {
        rc = input_type_err_(b, a, 1, "(\"STRING\" or \"DATE\" or \"TIMESTAMP\")", a->args[0], args[0]->type);
        goto fail;
      }
      if (n == 2) EXPECT_(1, SP_STRING);
      if (n == 1 || id != SP_STRING) {
        /* Without a pattern (or for datetime input) this is a cast. */
        sp_expr *x = args[0];
        args[0] = NULL;
        free_args_(args, n);
        if ((rc = cast_to_(b, &x, prim_(target)))) {
          sp_expr_free(x);
          return rc;
        }
        x->nullable = true;
        *out = x;
        return 0;
      }
      t = prim_(target);
      nullable_force = true;
      break;
    }
    case SP_FN_DATE_FORMAT:
      EXPECT_(0, SP_TIMESTAMP);
      EXPECT_(1, SP_STRING);
      if (is_lit_(args[1]) && !sp_vec_is_null(args[1]->literal, 0)) {
        int32_t len;
        const char *p = sp_vec_str(args[1]->literal, 0, &len);
        char fmt[256], tmp[512];
        snprintf(fmt, sizeof fmt, "%.*s", (int)len, p);
        if (sp_timestamp_format(0, fmt, "UTC", tmp, sizeof tmp) < 0) {
          rc = err_at_(b, SPATE_EANALYSIS, a->args[1]->pos,
                       "[INVALID_DATETIME_PATTERN] Unrecognized datetime pattern: %s", fmt);
          goto fail;
        }
      }
      t = prim_(SP_STRING);
      break;
    case SP_FN_UNIX_TIMESTAMP:
      if (n >= 1) {
        sp_type_id id = args[0]->type->id;
        if (id == SP_NULL) EXPECT_(0, SP_STRING);
        else if (id != SP_STRING && id != SP_TIMESTAMP && id != SP_DATE) {
          rc = input_type_err_(b, a, 1, "(\"STRING\" or \"DATE\" or \"TIMESTAMP\")", a->args[0], args[0]->type);
          goto fail;
        }
      }
      if (n == 2) EXPECT_(1, SP_STRING);
      t = prim_(SP_BIGINT);
      nullable_force = n > 0;
      break;
    case SP_FN_FROM_UNIXTIME:
      EXPECT_(0, SP_BIGINT);
      if (n == 2) EXPECT_(1, SP_STRING);
      t = prim_(SP_STRING);
      break;
    case SP_FN_TIMESTAMP_SECONDS:
      if (args[0]->type->id == SP_STRING || args[0]->type->id == SP_NULL) EXPECT_(0, SP_DOUBLE);
      if (!is_num_(args[0]->type->id)) {
        rc = input_type_err_(b, a, 1, "\"NUMERIC\"", a->args[0], args[0]->type);
        goto fail;
      }
      t = prim_(SP_TIMESTAMP);
      nullable_force = args[0]->type->id == SP_DOUBLE;
      break;
    case SP_FN_CURRENT_TIMESTAMP: t = prim_(SP_TIMESTAMP); break;
    case SP_FN_CURRENT_DATE: t = prim_(SP_DATE); break;
    case SP_FN_YEAR:
    case SP_FN_MONTH:
    case SP_FN_DAYOFMONTH:
      EXPECT_(0, SP_DATE);
      t = prim_(SP_INT);
      break;
    case SP_FN_HOUR:
    case SP_FN_MINUTE:
    case SP_FN_SECOND:
      EXPECT_(0, SP_TIMESTAMP);
      t = prim_(SP_INT);
      break;
    default:
      rc = err_at_(b, SPATE_EUNSUPPORTED, a->pos, "function %s is not supported", a->name);
      goto fail;
  }
#undef EXPECT_
  rc = mk_call_(b, fn, t, a->pos, args, n, out);
  sp_type_unref(owned_t);
  if (rc) return rc;
  if (nullable_force) (*out)->nullable = true;
  if (fn == SP_FN_IS_NULL || fn == SP_FN_IS_NOT_NULL || fn == SP_FN_SIZE || fn == SP_FN_CURRENT_TIMESTAMP ||
      fn == SP_FN_CURRENT_DATE)
    (*out)->nullable = false;
  if (fn == SP_FN_COALESCE) {
    bool all = true;
    for (int i = 0; i < n; i++) all &= (*out)->args[i]->nullable;
    (*out)->nullable = all;
  }
  if (fn == SP_FN_NULLIF || (fn == SP_FN_CASE && n == 3)) (*out)->nullable = true;
  fold_(b, out);
  return 0;
fail:
  free_args_(args, n);
  sp_type_unref(owned_t);
  return rc;
}

/* window_time(w) (spark-semantics.md §5.3) = w.end - 1 µs: bound as that expression, so
 * a window over it can chain another time window. */
static int bind_window_time_(binder *b, const sp_ast_expr *a, sp_expr **out) {
  if (a->nargs != 1) return arity_err_(b, a, sp_fn_lookup("window_time"));
  sp_expr *w = NULL;
  int rc = bind_(b, a->args[0], false, &w);
  if (rc) return rc;
  const sp_type *t = w->type;
  bool ok = t->id == SP_STRUCT && t->nfields == 2 && !strcmp(t->fields[0].name, "start") &&
            !strcmp(t->fields[1].name, "end") && t->fields[1].type->id == SP_TIMESTAMP;
  sp_expr_free(w);
  if (!ok)
    return err_at_(b, SPATE_EANALYSIS, a->args[0]->pos,
                   "window_time needs a window column (STRUCT<start: TIMESTAMP, end: TIMESTAMP>)");
  sp_ast_expr field, one, sub;
  memset(&field, 0, sizeof field);
  memset(&one, 0, sizeof one);
  memset(&sub, 0, sizeof sub);
  field.kind = SP_AST_FIELD;
  field.pos = a->pos;
  field.end = a->end;
  field.name = "end";
  sp_ast_expr *fargs[1] = {a->args[0]};
  field.args = fargs;
  field.nargs = 1;
  one.kind = SP_AST_INTERVAL;
  one.pos = a->pos;
  one.end = a->end;
  one.interval_us = 1;
  sub.kind = SP_AST_BINARY;
  sub.op = SP_OP_SUB;
  sub.pos = a->pos;
  sub.end = a->end;
  sp_ast_expr *sargs[2] = {&field, &one};
  sub.args = sargs;
  sub.nargs = 2;
  return bind_(b, &sub, false, out);
}

static int bind_func_(binder *b, const sp_ast_expr *a, bool top, sp_expr **out) {
  if (a->name && !strcmp(a->name, "window_time")) return bind_window_time_(b, a, out);
  const sp_fn_info *fi = sp_fn_lookup(a->name);
  if (!fi)
    return err_at_(b, SPATE_EANALYSIS, a->pos,
                   "[UNRESOLVED_ROUTINE] Cannot resolve function `%s` on search path [`system`.`builtin`, "
                   "`system`.`session`, `spark_catalog`.`default`].",
                   a->name ? a->name : "");
  if (fi->cls == SP_FNC_AGG) return bind_agg_(b, a, fi, out);
  if (!(fi->id == SP_FN_STRUCT && a->star_arg) &&
      (a->nargs < fi->min_args || (fi->max_args >= 0 && a->nargs > fi->max_args)))
    return arity_err_(b, a, fi);
  if (a->star_arg)
    return err_at_(b, SPATE_EANALYSIS, a->pos, "Invalid usage of '*' in expression '%s'.", a->name);
  if (a->distinct)
    return err_at_(b, SPATE_EANALYSIS, a->pos,
                   "[INVALID_SQL_SYNTAX] Invalid SQL syntax: DISTINCT is only allowed in aggregate functions (`%s`).",
                   a->name);
  if (fi->cls == SP_FNC_GEN) return bind_gen_(b, a, fi, top, out);
  return bind_scalar_(b, a, fi, out);
}

static int bind_(binder *b, const sp_ast_expr *a, bool top, sp_expr **out) {
  *out = NULL;
  if (!a) return spate_error_set(b->err, SPATE_EINVAL, "missing expression");
  switch (a->kind) {
    case SP_AST_COLUMN: return bind_column_(b, a, out);
    case SP_AST_LITERAL: return bind_literal_(b, a, out);
    case SP_AST_UNARY: return bind_unary_(b, a, out);
    case SP_AST_BINARY: return bind_binary_(b, a, out);
    case SP_AST_FUNC: return bind_func_(b, a, top, out);
    case SP_AST_CASE: return bind_case_(b, a, out);
    case SP_AST_CAST: return bind_cast_(b, a, out);
    case SP_AST_IN: return bind_in_(b, a, out);
    case SP_AST_LIKE: return bind_like_(b, a, out);
    case SP_AST_IS_NULL: {
      sp_expr *x = NULL;
      int rc = bind_(b, a->args[0], false, &x);
      if (rc) return rc;
      rc = mk_call1_(b, a->negated ? SP_FN_IS_NOT_NULL : SP_FN_IS_NULL, prim_(SP_BOOLEAN), a->pos, x, out);
      if (rc) return rc;
      (*out)->nullable = false;
      fold_(b, out);
      return 0;
    }
    case SP_AST_BETWEEN: return bind_between_(b, a, out);
    case SP_AST_FIELD: return bind_field_(b, a, out);
    case SP_AST_SUBSCRIPT: return bind_subscript_(b, a, out);
    case SP_AST_STAR:
      return err_at_(b, SPATE_EANALYSIS, a->pos, "Invalid usage of '*' in expression.");
    case SP_AST_INTERVAL:
      return err_at_(b, SPATE_EUNSUPPORTED, a->pos,
                     "an INTERVAL is only supported as an operand of timestamp + / - or as a window() duration");
  }
  return err_at_(b, SPATE_EINVAL, a->pos, "unknown expression kind %d", (int)a->kind);
}

int sp_expr_bind(const sp_bind_ctx *ctx, const sp_ast_expr *ast, sp_expr **out, spate_error *err) {
  *out = NULL;
  binder b = {ctx, err, ast, false};
  return bind_(&b, ast, true, out);
}
