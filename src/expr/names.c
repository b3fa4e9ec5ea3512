/*
 * names.c - Spark's automatic column names and the "pretty SQL" of expressions.
 *
 * Spark names an un-aliased select item in Analyzer.ResolveAliases:
 *   - a column reference keeps its name (a struct path `a.b.c` is named by its last
 *     part, `c`);
 *   - `Cast(ne: NamedExpression, ...)` is named after the expression it casts, so
 *     `CAST(key AS STRING)` on a column is named `key` (which is why the Kafka
 *     guide's `selectExpr("CAST(key AS STRING)", "CAST(value AS STRING)")` yields
 *     columns `key` and `value`). Inside a cast a struct path is no longer a named
 *     expression (its alias is trimmed), so `CAST(a.b AS STRING)` keeps the full
 *     `CAST(a.b AS STRING)`;
 *   - everything else is named toPrettySQL(expr) (catalyst/util/package.scala,
 *     usePrettyExpression): attributes print bare, string literals print without
 *     quotes, numeric literals as their value, NULL as `NULL`, user casts as
 *     `CAST(x AS TYPE)`, binary operators parenthesized `(a + b)`, functions as
 *     `name(arg, ...)` including the default arguments Spark fills in
 *     (`substring(s, 1, 2147483647)`, `round(x, 0)`, `split(s, ,, -1)`,
 *     `regexp_extract(s, p, 1)`, `regexp_replace(s, p, r, 1)`), count(*) as
 *     `count(1)`, CEIL/FLOOR upper-case, `(IF(c, a, b))`, `a LIKE p`, `(a IN (1, 2))`,
 *     `CASE WHEN c THEN v ELSE e END`, `<>` as `(NOT (a = b))`, `||` as
 *     `concat(a, b)` and BETWEEN as `((x >= lo) AND (x <= hi))` (Spark 3.5).
 * Implicit casts inserted by type coercion never show in names (they are not
 * user-specified casts), so names are derived from the AST alone. With an input
 * schema (sp_expr_default_name_in) a leading qualifier is dropped and top-level
 * columns take the schema's spelling, as Spark's resolved attributes do.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/valfmt.h"
#include "expr/expr_internal.h"

void sp_type_sql(const sp_type *t, sp_buf *out) {
  if (!t) {
    sp_buf_puts(out, "VOID");
    return;
  }
  switch (t->id) {
    case SP_NULL: sp_buf_puts(out, "VOID"); break;
    case SP_BOOLEAN: sp_buf_puts(out, "BOOLEAN"); break;
    case SP_INT: sp_buf_puts(out, "INT"); break;
    case SP_BIGINT: sp_buf_puts(out, "BIGINT"); break;
    case SP_DOUBLE: sp_buf_puts(out, "DOUBLE"); break;
    case SP_STRING: sp_buf_puts(out, "STRING"); break;
    case SP_BINARY: sp_buf_puts(out, "BINARY"); break;
    case SP_TIMESTAMP: sp_buf_puts(out, "TIMESTAMP"); break;
    case SP_DATE: sp_buf_puts(out, "DATE"); break;
    case SP_STRUCT:
      sp_buf_puts(out, "STRUCT<");
      for (int i = 0; i < t->nfields; i++) {
        if (i) sp_buf_puts(out, ", ");
        sp_buf_puts(out, t->fields[i].name);
        sp_buf_puts(out, ": ");
        sp_type_sql(t->fields[i].type, out);
      }
      sp_buf_putc(out, '>');
      break;
    case SP_ARRAY:
      sp_buf_puts(out, "ARRAY<");
      sp_type_sql(t->elem, out);
      sp_buf_putc(out, '>');
      break;
    default: sp_buf_puts(out, "?"); break;
  }
}

/* Column resolution as the binder does it: *col (or -1) and *start (first field part). */
static void resolve_(const sp_ast_expr *a, const sp_type *in, int *col, int *start) {
  *col = -1;
  *start = 1;
  if (!in || a->nparts == 0) return;
  *col = sp_type_field_index(in, a->parts[0]);
  if (*col < 0 && a->nparts >= 2) {
    *col = sp_type_field_index(in, a->parts[1]);
    *start = 2;
  }
}

static void column_sql_(const sp_ast_expr *a, const sp_type *in, sp_buf *o) {
  int col, start;
  resolve_(a, in, &col, &start);
  if (col < 0) {
    for (int i = 0; i < a->nparts; i++) {
      if (i) sp_buf_putc(o, '.');
      sp_buf_puts(o, a->parts[i]);
    }
    return;
  }
  sp_buf_puts(o, in->fields[col].name);
  for (int i = start; i < a->nparts; i++) {
    sp_buf_putc(o, '.');
    sp_buf_puts(o, a->parts[i]);
  }
}

static bool has_ch_(const char *s, size_t n, const char *set) {
  for (size_t i = 0; i < n; i++)
    if (strchr(set, s[i])) return true;
  return false;
}

static void literal_sql_(const sp_ast_expr *a, const char *text, sp_buf *o) {
  switch (a->lit_type) {
    case SP_NULL: sp_buf_puts(o, "NULL"); break;
    case SP_BOOLEAN: sp_buf_puts(o, a->lit_int ? "true" : "false"); break;
    case SP_INT:
    case SP_BIGINT: sp_buf_printf(o, "%lld", (long long)a->lit_int); break;
    case SP_DOUBLE: {
      /* A plain decimal literal is a DECIMAL in Spark and prints as written. */
      if (text && a->end > a->pos) {
        const char *s = text + a->pos;
        size_t n = (size_t)(a->end - a->pos);
        if (!has_ch_(s, n, "eEdDfF") && has_ch_(s, n, ".")) {
          size_t i = 0;
          if (s[0] == '-') {
            sp_buf_putc(o, '-');
            i = 1;
          }
          if (s[i] == '.') sp_buf_putc(o, '0');
          size_t e = n;
          if (e > i && s[e - 1] == '.') e--;
          sp_buf_append(o, s + i, e - i);
          break;
        }
      }
      char buf[64];
      sp_format_double(a->lit_double, buf, sizeof buf);
      sp_buf_puts(o, buf);
      break;
    }
    case SP_STRING:
      if (a->lit_str) sp_buf_append(o, a->lit_str, (size_t)a->lit_strlen);
      break;
    default: sp_buf_puts(o, "?"); break;
  }
}

static void interval_sql_(const sp_ast_expr *a, sp_buf *o) {
  int64_t us = a->interval_us;
  const int64_t D = 86400000000LL, H = 3600000000LL, M = 60000000LL, S = 1000000LL;
  if (us != 0 && us % D == 0)
    sp_buf_printf(o, "INTERVAL '%lld' DAY", (long long)(us / D));
  else if (us != 0 && us % H == 0)
    sp_buf_printf(o, "INTERVAL '%lld' HOUR", (long long)(us / H));
  else if (us != 0 && us % M == 0)
    sp_buf_printf(o, "INTERVAL '%lld' MINUTE", (long long)(us / M));
  else if (us % S == 0)
    sp_buf_printf(o, "INTERVAL '%lld' SECOND", (long long)(us / S));
  else
    sp_buf_printf(o, "INTERVAL '%s%lld.%06lld' SECOND", us < 0 ? "-" : "", (long long)((us < 0 ? -us : us) / S),
                  (long long)((us < 0 ? -us : us) % S));
}

static void pretty_(const sp_ast_expr *a, const char *text, const sp_type *in, sp_buf *o);

static void args_(const sp_ast_expr *a, int from, const char *text, const sp_type *in, sp_buf *o) {
  for (int i = from; i < a->nargs; i++) {
    if (i > from) sp_buf_puts(o, ", ");
    const sp_ast_expr *x = a->args[i];
    if (x->kind == SP_AST_STAR && x->nparts == 0 && in && in->id == SP_STRUCT) {
      /* Spark expands `*` into the input columns before naming */
      for (int c = 0; c < in->nfields; c++) {
        if (c) sp_buf_puts(o, ", ");
        sp_buf_puts(o, in->fields[c].name);
      }
      continue;
    }
    pretty_(x, text, in, o);
  }
}

static const char *binop_(sp_ast_op op) {
  switch (op) {
    case SP_OP_ADD: return "+";
    case SP_OP_SUB: return "-";
    case SP_OP_MUL: return "*";
    case SP_OP_DIV: return "/";
    case SP_OP_MOD: return "%";
    case SP_OP_EQ: return "=";
    case SP_OP_LT: return "<";
    case SP_OP_LE: return "<=";
    case SP_OP_GT: return ">";
    case SP_OP_GE: return ">=";
    case SP_OP_EQ_NULLSAFE: return "<=>";
    case SP_OP_AND: return "AND";
    case SP_OP_OR: return "OR";
    default: return "?";
  }
}

static void func_sql_(const sp_ast_expr *a, const char *text, const sp_type *in, sp_buf *o) {
  const char *nm = a->name ? a->name : "";
  int n = a->nargs;
  if (!strcmp(nm, "count") && a->star_arg) {
    sp_buf_puts(o, "count(1)");
    return;
  }
  if (!strcmp(nm, "window")) {
    sp_buf_puts(o, "window");
    return;
  }
  if ((!strcmp(nm, "from_json") || !strcmp(nm, "to_json") || !strcmp(nm, "from_csv") || !strcmp(nm, "to_csv")) &&
      n >= 1) {
    /* Spark: the schema and options are not children, only the input is shown */
    sp_buf_puts(o, nm);
    sp_buf_putc(o, '(');
    pretty_(a->args[0], text, in, o);
    sp_buf_putc(o, ')');
    return;
  }
  if (!strcmp(nm, "if") && n == 3) {
    sp_buf_puts(o, "(IF(");
    args_(a, 0, text, in, o);
    sp_buf_puts(o, "))");
    return;
  }
  if ((!strcmp(nm, "like") || !strcmp(nm, "rlike") || !strcmp(nm, "regexp_like")) && n == 2) {
    pretty_(a->args[0], text, in, o);
    sp_buf_puts(o, !strcmp(nm, "like") ? " LIKE " : " RLIKE ");
    pretty_(a->args[1], text, in, o);
    return;
  }
  if (!strcmp(nm, "not") && n == 1) {
    sp_buf_puts(o, "(NOT ");
    pretty_(a->args[0], text, in, o);
    sp_buf_putc(o, ')');
    return;
  }
  if ((!strcmp(nm, "isnull") || !strcmp(nm, "isnotnull")) && n == 1) {
    sp_buf_putc(o, '(');
    pretty_(a->args[0], text, in, o);
    sp_buf_puts(o, !strcmp(nm, "isnull") ? " IS NULL)" : " IS NOT NULL)");
    return;
  }
  if ((!strcmp(nm, "mod") || !strcmp(nm, "div")) && n == 2) {
    sp_buf_putc(o, '(');
    pretty_(a->args[0], text, in, o);
    sp_buf_puts(o, !strcmp(nm, "mod") ? " % " : " div ");
    pretty_(a->args[1], text, in, o);
    sp_buf_putc(o, ')');
    return;
  }
  if ((!strcmp(nm, "trim") || !strcmp(nm, "ltrim") || !strcmp(nm, "rtrim")) && n == 2) {
    sp_buf_puts(o, !strcmp(nm, "trim") ? "TRIM(BOTH " : !strcmp(nm, "ltrim") ? "TRIM(LEADING " : "TRIM(TRAILING ");
    pretty_(a->args[0], text, in, o);
    sp_buf_puts(o, " FROM ");
    pretty_(a->args[1], text, in, o);
    sp_buf_putc(o, ')');
    return;
  }
  static const char *const cast_aliases[] = {"string", "int", "bigint", "double", "boolean", "date", "timestamp",
                                             "binary"};
  for (size_t k = 0; k < sizeof cast_aliases / sizeof cast_aliases[0]; k++) {
    if (!strcmp(nm, cast_aliases[k]) && n == 1) {
      sp_buf_puts(o, "CAST(");
      pretty_(a->args[0], text, in, o);
      sp_buf_puts(o, " AS ");
      for (const char *p = nm; *p; p++) sp_buf_putc(o, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
      sp_buf_putc(o, ')');
      return;
    }
  }
  if (!strcmp(nm, "ceil"))
    sp_buf_puts(o, "CEIL");
  else if (!strcmp(nm, "floor"))
    sp_buf_puts(o, "FLOOR");
  else
    sp_buf_puts(o, nm);
  sp_buf_putc(o, '(');
  if (a->distinct) sp_buf_puts(o, "DISTINCT ");
  if (a->star_arg && n == 0) {
    if (in && in->id == SP_STRUCT) { /* Spark expands the star before naming */
      for (int c = 0; c < in->nfields; c++) {
        if (c) sp_buf_puts(o, ", ");
        sp_buf_puts(o, in->fields[c].name);
      }
    } else {
      sp_buf_putc(o, '*');
    }
  }
  args_(a, 0, text, in, o);
  const char *extra = NULL;
  if ((!strcmp(nm, "substring") || !strcmp(nm, "substr")) && n == 2) extra = "2147483647";
  else if (!strcmp(nm, "round") && n == 1) extra = "0";
  else if (!strcmp(nm, "split") && n == 2) extra = "-1";
  else if (!strcmp(nm, "regexp_extract") && n == 2) extra = "1";
  else if (!strcmp(nm, "regexp_replace") && n == 3) extra = "1";
  else if ((!strcmp(nm, "unix_timestamp") || !strcmp(nm, "from_unixtime")) && n == 1) extra = "yyyy-MM-dd HH:mm:ss";
  else if (!strcmp(nm, "unix_timestamp") && n == 0) {
    sp_buf_puts(o, "current_timestamp(), yyyy-MM-dd HH:mm:ss");
  }
  if (extra) {
    sp_buf_puts(o, ", ");
    sp_buf_puts(o, extra);
  }
  sp_buf_putc(o, ')');
}

static void pretty_(const sp_ast_expr *a, const char *text, const sp_type *in, sp_buf *o) {
  if (!a) return;
  switch (a->kind) {
    case SP_AST_COLUMN: column_sql_(a, in, o); return;
    case SP_AST_STAR:
      for (int i = 0; i < a->nparts; i++) {
        sp_buf_puts(o, a->parts[i]);
        sp_buf_putc(o, '.');
      }
      sp_buf_putc(o, '*');
      return;
    case SP_AST_LITERAL: literal_sql_(a, text, o); return;
    case SP_AST_INTERVAL: interval_sql_(a, o); return;
    case SP_AST_UNARY:
      if (a->op == SP_OP_NOT) {
        sp_buf_puts(o, "(NOT ");
        pretty_(a->args[0], text, in, o);
        sp_buf_putc(o, ')');
      } else if (a->args[0]->kind == SP_AST_LITERAL &&
                 (a->args[0]->lit_type == SP_INT || a->args[0]->lit_type == SP_BIGINT ||
                  a->args[0]->lit_type == SP_DOUBLE)) {
        sp_buf_putc(o, '-');
        pretty_(a->args[0], text, in, o);
      } else {
        sp_buf_puts(o, "(- ");
        pretty_(a->args[0], text, in, o);
        sp_buf_putc(o, ')');
      }
      return;
    case SP_AST_BINARY:
      if (a->op == SP_OP_CONCAT) {
        sp_buf_puts(o, "concat(");
        args_(a, 0, text, in, o);
        sp_buf_putc(o, ')');
      } else if (a->op == SP_OP_NE) {
        sp_buf_puts(o, "(NOT (");
        pretty_(a->args[0], text, in, o);
        sp_buf_puts(o, " = ");
        pretty_(a->args[1], text, in, o);
        sp_buf_puts(o, "))");
      } else {
        sp_buf_putc(o, '(');
        pretty_(a->args[0], text, in, o);
        sp_buf_printf(o, " %s ", binop_(a->op));
        pretty_(a->args[1], text, in, o);
        sp_buf_putc(o, ')');
      }
      return;
    case SP_AST_FUNC: func_sql_(a, text, in, o); return;
    case SP_AST_CASE: {
      int base = a->case_has_operand ? 1 : 0;
      sp_buf_puts(o, "CASE");
      for (int w = 0; w < a->case_nwhen; w++) {
        sp_buf_puts(o, " WHEN ");
        if (a->case_has_operand) {
          sp_buf_putc(o, '(');
          pretty_(a->args[0], text, in, o);
          sp_buf_puts(o, " = ");
          pretty_(a->args[base + 2 * w], text, in, o);
          sp_buf_putc(o, ')');
        } else {
          pretty_(a->args[base + 2 * w], text, in, o);
        }
        sp_buf_puts(o, " THEN ");
        pretty_(a->args[base + 2 * w + 1], text, in, o);
      }
      if (a->case_has_else) {
        sp_buf_puts(o, " ELSE ");
        pretty_(a->args[a->nargs - 1], text, in, o);
      }
      sp_buf_puts(o, " END");
      return;
    }
    case SP_AST_CAST:
      /* TIMESTAMP '...' / DATE '...' literals are parsed as casts of a string */
      if (text && a->args[0]->kind == SP_AST_LITERAL && a->args[0]->lit_type == SP_STRING && a->cast_type &&
          ((a->cast_type->id == SP_TIMESTAMP && !strncasecmp(text + a->pos, "TIMESTAMP", 9)) ||
           (a->cast_type->id == SP_DATE && !strncasecmp(text + a->pos, "DATE", 4)))) {
        sp_buf_puts(o, a->cast_type->id == SP_TIMESTAMP ? "TIMESTAMP '" : "DATE '");
        literal_sql_(a->args[0], text, o);
        sp_buf_putc(o, '\'');
        return;
      }
      sp_buf_puts(o, "CAST(");
      pretty_(a->args[0], text, in, o);
      sp_buf_puts(o, " AS ");
      sp_type_sql(a->cast_type, o);
      sp_buf_putc(o, ')');
      return;
    case SP_AST_IN:
      if (a->negated) sp_buf_puts(o, "(NOT ");
      sp_buf_putc(o, '(');
      pretty_(a->args[0], text, in, o);
      sp_buf_puts(o, " IN (");
      args_(a, 1, text, in, o);
      sp_buf_puts(o, "))");
      if (a->negated) sp_buf_putc(o, ')');
      return;
    case SP_AST_LIKE:
      if (a->negated) sp_buf_puts(o, "(NOT ");
      pretty_(a->args[0], text, in, o);
      sp_buf_puts(o, a->op == SP_OP_RLIKE ? " RLIKE " : " LIKE ");
      pretty_(a->args[1], text, in, o);
      if (a->negated) sp_buf_putc(o, ')');
      return;
    case SP_AST_IS_NULL:
      sp_buf_putc(o, '(');
      pretty_(a->args[0], text, in, o);
      sp_buf_puts(o, a->negated ? " IS NOT NULL)" : " IS NULL)");
      return;
    case SP_AST_BETWEEN:
      if (a->negated) sp_buf_puts(o, "(NOT ");
      sp_buf_puts(o, "((");
      pretty_(a->args[0], text, in, o);
      sp_buf_puts(o, " >= ");
      pretty_(a->args[1], text, in, o);
      sp_buf_puts(o, ") AND (");
      pretty_(a->args[0], text, in, o);
      sp_buf_puts(o, " <= ");
      pretty_(a->args[2], text, in, o);
      sp_buf_puts(o, "))");
      if (a->negated) sp_buf_putc(o, ')');
      return;
    case SP_AST_FIELD:
      pretty_(a->args[0], text, in, o);
      sp_buf_putc(o, '.');
      sp_buf_puts(o, a->name ? a->name : "");
      return;
    case SP_AST_SUBSCRIPT:
      pretty_(a->args[0], text, in, o);
      if (a->args[1]->kind == SP_AST_LITERAL && a->args[1]->lit_type == SP_STRING) { /* struct field */
        sp_buf_putc(o, '.');
        literal_sql_(a->args[1], text, o);
        return;
      }
      sp_buf_putc(o, '[');
      pretty_(a->args[1], text, in, o);
      sp_buf_putc(o, ']');
      return;
  }
  if (text && a->end > a->pos) sp_buf_append(o, text + a->pos, (size_t)(a->end - a->pos));
}

void sp_ast_pretty_sql(const sp_ast_expr *a, const char *text, const sp_type *input, sp_buf *out) {
  pretty_(a, text, input, out);
}

/* Name of a plain (non-nested) column reference, or NULL when `a` is a struct path. */
static const char *plain_column_name_(const sp_ast_expr *a, const sp_type *in) {
  if (a->kind != SP_AST_COLUMN || a->nparts == 0) return NULL;
  int col, start;
  resolve_(a, in, &col, &start);
  if (col >= 0) return start == a->nparts ? in->fields[col].name : NULL;
  return a->nparts == 1 ? a->parts[0] : NULL;
}

static bool is_cast_(const sp_ast_expr *a) {
  if (a->kind == SP_AST_CAST) return true;
  if (a->kind != SP_AST_FUNC || a->nargs != 1 || !a->name) return false;
  static const char *const al[] = {"string", "int", "bigint", "double", "boolean", "date", "timestamp", "binary"};
  for (size_t k = 0; k < sizeof al / sizeof al[0]; k++)
    if (!strcmp(a->name, al[k])) return true;
  return false;
}

void sp_expr_default_name_in(const sp_ast_expr *ast, const char *text, const sp_type *input, char *buf,
                             size_t cap) {
  if (!cap) return;
  buf[0] = 0;
  if (!ast) return;
  if (ast->kind == SP_AST_COLUMN && ast->nparts > 0) {
    const char *nm = plain_column_name_(ast, input);
    snprintf(buf, cap, "%s", nm ? nm : ast->parts[ast->nparts - 1]);
    return;
  }
  if (is_cast_(ast)) {
    const char *nm = plain_column_name_(ast->args[0], input);
    if (nm) {
      snprintf(buf, cap, "%s", nm);
      return;
    }
  }
  sp_buf o;
  sp_buf_init(&o);
  pretty_(ast, text, input, &o);
  snprintf(buf, cap, "%s", o.data ? o.data : "");
  sp_buf_free(&o);
}

void sp_expr_default_name(const sp_ast_expr *ast, const char *text, char *buf, size_t cap) {
  sp_expr_default_name_in(ast, text, NULL, buf, cap);
}
