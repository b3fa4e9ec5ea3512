/* test_parser.c - unit tests for the job-file / SQL parser (src/sql/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sql/parser.h"

/* ---- S-expression dump of an expression tree (test helper) ---- */

static const char *op_name(sp_ast_op op) {
  switch (op) {
    case SP_OP_ADD: return "+";
    case SP_OP_SUB: return "-";
    case SP_OP_MUL: return "*";
    case SP_OP_DIV: return "/";
    case SP_OP_MOD: return "%";
    case SP_OP_CONCAT: return "||";
    case SP_OP_EQ: return "=";
    case SP_OP_NE: return "!=";
    case SP_OP_LT: return "<";
    case SP_OP_LE: return "<=";
    case SP_OP_GT: return ">";
    case SP_OP_GE: return ">=";
    case SP_OP_EQ_NULLSAFE: return "<=>";
    case SP_OP_AND: return "AND";
    case SP_OP_OR: return "OR";
    case SP_OP_NOT: return "NOT";
    case SP_OP_NEG: return "NEG";
    case SP_OP_LIKE: return "LIKE";
    case SP_OP_RLIKE: return "RLIKE";
    default: return "?";
  }
}

static void dump(sp_buf *b, const sp_ast_expr *e) {
  char tbuf[256];
  switch (e->kind) {
    case SP_AST_COLUMN:
    case SP_AST_STAR:
      for (int i = 0; i < e->nparts; i++) {
        if (i) sp_buf_putc(b, '.');
        sp_buf_puts(b, e->parts[i]);
      }
      if (e->kind == SP_AST_STAR) sp_buf_puts(b, e->nparts ? ".*" : "*");
      return;
    case SP_AST_LITERAL:
      switch (e->lit_type) {
        case SP_NULL: sp_buf_puts(b, "NULL"); return;
        case SP_BOOLEAN: sp_buf_puts(b, e->lit_int ? "TRUE" : "FALSE"); return;
        case SP_INT: sp_buf_printf(b, "%" PRId64, e->lit_int); return;
        case SP_BIGINT: sp_buf_printf(b, "%" PRId64 "L", e->lit_int); return;
        case SP_DOUBLE: sp_buf_printf(b, "%.17gD", e->lit_double); return;
        case SP_STRING:
          sp_buf_putc(b, '\'');
          sp_buf_append(b, e->lit_str, (size_t)e->lit_strlen);
          sp_buf_putc(b, '\'');
          return;
        default: sp_buf_puts(b, "?lit"); return;
      }
    case SP_AST_INTERVAL: sp_buf_printf(b, "INTERVAL(%" PRId64 "us)", e->interval_us); return;
    case SP_AST_UNARY:
    case SP_AST_BINARY:
      sp_buf_printf(b, "(%s", op_name(e->op));
      for (int i = 0; i < e->nargs; i++) {
        sp_buf_putc(b, ' ');
        dump(b, e->args[i]);
      }
      sp_buf_putc(b, ')');
      return;
    case SP_AST_FUNC:
      sp_buf_printf(b, "%s(%s%s", e->name, e->distinct ? "DISTINCT " : "", e->star_arg ? "*" : "");
      for (int i = 0; i < e->nargs; i++) {
        if (i) sp_buf_puts(b, ", ");
        dump(b, e->args[i]);
      }
      sp_buf_putc(b, ')');
      return;
    case SP_AST_CASE: {
      int k = 0;
      sp_buf_puts(b, "(CASE");
      if (e->case_has_operand) {
        sp_buf_putc(b, ' ');
        dump(b, e->args[k++]);
      }
      for (int i = 0; i < e->case_nwhen; i++) {
        sp_buf_puts(b, " WHEN ");
        dump(b, e->args[k++]);
        sp_buf_puts(b, " THEN ");
        dump(b, e->args[k++]);
      }
      if (e->case_has_else) {
        sp_buf_puts(b, " ELSE ");
        dump(b, e->args[k++]);
      }
      assert_int_equal(k, e->nargs);
      sp_buf_putc(b, ')');
      return;
    }
    case SP_AST_CAST:
      sp_buf_puts(b, "CAST(");
      dump(b, e->args[0]);
      sp_type_to_string(e->cast_type, tbuf, sizeof tbuf);
      sp_buf_printf(b, " AS %s)", tbuf);
      return;
    case SP_AST_IN:
      sp_buf_puts(b, e->negated ? "(NOT IN" : "(IN");
      for (int i = 0; i < e->nargs; i++) {
        sp_buf_putc(b, ' ');
        dump(b, e->args[i]);
      }
      sp_buf_putc(b, ')');
      return;
    case SP_AST_LIKE:
      sp_buf_printf(b, "(%s%s ", e->negated ? "NOT " : "", op_name(e->op));
      dump(b, e->args[0]);
      sp_buf_putc(b, ' ');
      dump(b, e->args[1]);
      sp_buf_putc(b, ')');
      return;
    case SP_AST_IS_NULL:
      sp_buf_puts(b, e->negated ? "(IS NOT NULL " : "(IS NULL ");
      dump(b, e->args[0]);
      sp_buf_putc(b, ')');
      return;
    case SP_AST_BETWEEN:
      sp_buf_puts(b, e->negated ? "(NOT BETWEEN" : "(BETWEEN");
      for (int i = 0; i < 3; i++) {
        sp_buf_putc(b, ' ');
        dump(b, e->args[i]);
      }
      sp_buf_putc(b, ')');
      return;
    case SP_AST_FIELD:
      sp_buf_puts(b, "(. ");
      dump(b, e->args[0]);
      sp_buf_printf(b, " %s)", e->name);
      return;
    case SP_AST_SUBSCRIPT:
      sp_buf_puts(b, "([] ");
      dump(b, e->args[0]);
      sp_buf_putc(b, ' ');
      dump(b, e->args[1]);
      sp_buf_putc(b, ')');
      return;
  }
  sp_buf_puts(b, "?");
}

/* Recursively check pos <= end and that every child lies inside its parent. */
static void check_ranges(const sp_ast_expr *e, int lo, int hi) {
  assert_true(e->pos >= lo);
  assert_true(e->end <= hi);
  assert_true(e->pos < e->end);
  for (int i = 0; i < e->nargs; i++) check_ranges(e->args[i], e->pos, e->end);
}

/* Parse `text` as an expression and compare its dump with `want`. */
static void expect_expr(const char *text, const char *want) {
  sp_ast_script *h = sp_ast_script_new();
  assert_non_null(h);
  sp_ast_expr *e = NULL;
  spate_error err = {0};
  int rc = sp_parse_expr(h, text, &e, &err);
  if (rc) fail_msg("parse of \"%s\" failed: %s", text, err.message);
  sp_buf b;
  sp_buf_init(&b);
  dump(&b, e);
  if (strcmp(b.data, want) != 0) fail_msg("\"%s\": got %s, want %s", text, b.data, want);
  check_ranges(e, 0, (int)strlen(text));
  sp_buf_free(&b);
  sp_ast_script_free(h);
}

/* Parse `text` as an expression, expecting error code and exact message. */
static void expect_expr_error(const char *text, int code, const char *msg) {
  sp_ast_script *h = sp_ast_script_new();
  sp_ast_expr *e = NULL;
  spate_error err = {0};
  int rc = sp_parse_expr(h, text, &e, &err);
  assert_int_equal(rc, code);
  assert_int_equal(err.code, code);
  assert_null(e);
  if (strcmp(err.message, msg) != 0) fail_msg("\"%s\": got error\n%s\nwant\n%s", text, err.message, msg);
  sp_ast_script_free(h);
}

static void expect_script_error(const char *text, const char *msg) {
  sp_ast_script *s = (sp_ast_script *)0x1;
  spate_error err = {0};
  int rc = sp_parse_script(text, strlen(text), &s, &err);
  assert_int_equal(rc, SPATE_ESYNTAX);
  assert_null(s);
  if (strcmp(err.message, msg) != 0) fail_msg("got error\n%s\nwant\n%s", err.message, msg);
}

static sp_ast_script *parse_ok(const char *text) {
  sp_ast_script *s = NULL;
  spate_error err = {0};
  int rc = sp_parse_script(text, strlen(text), &s, &err);
  if (rc) fail_msg("parse failed: %s", err.message);
  return s;
}

static char *dump_str(const sp_ast_expr *e) {
  sp_buf b;
  sp_buf_init(&b);
  dump(&b, e);
  return sp_buf_steal(&b);
}

static void assert_dump(const sp_ast_expr *e, const char *want) {
  char *s = dump_str(e);
  if (strcmp(s, want) != 0) {
    fprintf(stderr, "got %s, want %s\n", s, want);
    free(s);
    fail();
  }
  free(s);
}

/* ---- precedence ---- */

static void test_precedence(void **state) {
  (void)state;
  expect_expr("a + b * c = d AND NOT e OR f", "(OR (AND (= (+ a (* b c)) d) (NOT e)) f)");
  expect_expr("a OR b AND c", "(OR a (AND b c))");
  expect_expr("NOT a = b", "(NOT (= a b))");
  expect_expr("NOT NOT a", "(NOT (NOT a))");
  expect_expr("! a", "(NOT a)");
  expect_expr("a - b - c", "(- (- a b) c)");
  expect_expr("a / b % c * d", "(* (% (/ a b) c) d)");
  expect_expr("-a * b", "(* (NEG a) b)");
  expect_expr("- - a", "(NEG (NEG a))");
  expect_expr("a = b = c", "(= (= a b) c)");
  /* Spark: || has the precedence of + and - (left-associative with them). */
  expect_expr("a || b + c", "(+ (|| a b) c)");
  expect_expr("a + b || c", "(|| (+ a b) c)");
  expect_expr("a || b = c", "(= (|| a b) c)");
  expect_expr("x BETWEEN 1 AND 2 AND y", "(AND (BETWEEN x 1 2) y)");
  expect_expr("x BETWEEN a + 1 AND b * 2 OR z", "(OR (BETWEEN x (+ a 1) (* b 2)) z)");
  expect_expr("a = b IS NULL", "(IS NULL (= a b))");
  expect_expr("NOT a IS NULL", "(NOT (IS NULL a))");
  expect_expr("a + 1 IN (1, 2)", "(IN (+ a 1) 1 2)");
  expect_expr("(a + b) * c", "(* (+ a b) c)");
  expect_expr("a DIV b + 1", "(+ div(a, b) 1)");
  expect_expr("a * -b", "(* a (NEG b))");
  expect_expr("-x[0]", "(NEG ([] x 0))");
}

/* ---- every expression form ---- */

static void test_literals(void **state) {
  (void)state;
  expect_expr("42", "42");
  expect_expr("2147483647", "2147483647");
  expect_expr("2147483648", "2147483648L");
  expect_expr("-2147483648", "-2147483648");
  expect_expr("-2147483649", "-2147483649L");
  expect_expr("7L", "7L");
  expect_expr("9223372036854775807", "9223372036854775807L");
  expect_expr("-9223372036854775808L", "-9223372036854775808L");
  expect_expr("99999999999999999999", "1e+20D");
  expect_expr("1.5", "1.5D");
  expect_expr(".25", "0.25D");
  expect_expr("1e3", "1000D");
  expect_expr("2.5E-1", "0.25D");
  expect_expr("1.5D", "1.5D");
  expect_expr("3D", "3D");
  expect_expr("2BD", "2D");
  expect_expr("12S", "12");
  expect_expr("-5.5", "-5.5D");
  expect_expr("+5", "5");
  expect_expr("NULL", "NULL");
  expect_expr("true", "TRUE");
  expect_expr("False", "FALSE");
  expect_expr("'it''s'", "'it's'");
  expect_expr("\"say \"\"hi\"\"\"", "'say \"hi\"'");
  expect_expr("R'\\d+\\.' || r\"a\\nb\"", "(|| '\\d+\\.' 'a\\nb')");
  expect_expr("r", "r");
  expect_expr_error("R'abc", SPATE_ESYNTAX,
                    "line 1:1: unterminated string literal\n"
                    "R'abc\n"
                    "^");
  expect_expr("'a\\tb\\nc\\\\d\\'e\\\"f'", "'a\tb\nc\\d'e\"f'");
  expect_expr("\"double \\\"quoted\\\"\"", "'double \"quoted\"'");
  expect_expr("'con' 'cat' \"enated\"", "'concatenated'");
  expect_expr("'\\u00e9\\101'", "'\xc3\xa9" "A'");
  expect_expr("'50\\%'", "'50\\%'");
  expect_expr("''", "''");
  expect_expr("TIMESTAMP '2024-01-01 10:00:00'", "CAST('2024-01-01 10:00:00' AS timestamp)");
  expect_expr("DATE '2024-01-01'", "CAST('2024-01-01' AS date)");
  /* timestamp / date are also ordinary column names */
  expect_expr("timestamp", "timestamp");
  expect_expr("date + 1", "(+ date 1)");
}

static void test_columns_and_stars(void **state) {
  (void)state;
  expect_expr("a", "a");
  expect_expr("t.a", "t.a");
  expect_expr("a.b.c", "a.b.c");
  expect_expr("`my col`.`x``y`", "my col.x`y");
  expect_expr("window.start", "window.start");
  expect_expr("window.end", "window.end");
  expect_expr("*", "*");
  expect_expr("q.*", "q.*");
  expect_expr("a.b.*", "a.b.*");
  expect_expr("struct(*)", "struct(*)");
  expect_expr("f(x).a", "(. f(x) a)");
  expect_expr("(s).a.b", "(. (. s a) b)");
  expect_expr("a.b[0].c", "(. ([] a.b 0) c)");
  expect_expr("m['k'][1]", "([] ([] m 'k') 1)");
  expect_expr("CAST(v AS STRUCT<x: INT>).x", "(. CAST(v AS struct<x:int>) x)");
}

static void test_functions(void **state) {
  (void)state;
  expect_expr("count(*)", "count(*)");
  expect_expr("COUNT(DISTINCT x)", "count(DISTINCT x)");
  expect_expr("Upper(name)", "upper(name)");
  expect_expr("now()", "now()");
  expect_expr("explode(split(value, ' '))", "explode(split(value, ' '))");
  expect_expr("sum(ALL x)", "sum(x)");
  expect_expr("`count`(x)", "count(x)");
  expect_expr("left(s, 2)", "left(s, 2)");
  expect_expr("current_timestamp", "current_timestamp()");
  expect_expr("CURRENT_DATE()", "current_date()");
  expect_expr("window(CreatedTime, '15 minute', '5 minute')", "window(CreatedTime, '15 minute', '5 minute')");
}

static void test_case_cast(void **state) {
  (void)state;
  expect_expr("CASE WHEN Type = 'BUY' THEN Amount ELSE 0 END", "(CASE WHEN (= Type 'BUY') THEN Amount ELSE 0)");
  expect_expr("case x when 1 then 'a' when 2 then 'b' end", "(CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b')");
  expect_expr("CASE WHEN a THEN b END + 1", "(+ (CASE WHEN a THEN b) 1)");
  expect_expr("CAST(value AS STRING)", "CAST(value AS string)");
  expect_expr("cast(x as bigint)", "CAST(x AS bigint)");
  expect_expr("CAST(x AS ARRAY<STRUCT<a: INT, b STRING>>)", "CAST(x AS array<struct<a:int,b:string>>)");
  expect_expr("CAST(x AS DECIMAL(10, 2))", "CAST(x AS double)");
  expect_expr("CAST(x AS VARCHAR(10))", "CAST(x AS string)");
  expect_expr("CAST(TotalValue * 0.2 AS INT)", "CAST((* TotalValue 0.20000000000000001D) AS int)");
}

static void test_predicates(void **state) {
  (void)state;
  expect_expr("a IN (1, 2, 3)", "(IN a 1 2 3)");
  expect_expr("a NOT IN ('x')", "(NOT IN a 'x')");
  expect_expr("name LIKE 'a%'", "(LIKE name 'a%')");
  expect_expr("name NOT LIKE 'a%'", "(NOT LIKE name 'a%')");
  expect_expr("name RLIKE '^a'", "(RLIKE name '^a')");
  expect_expr("name REGEXP '^a'", "(RLIKE name '^a')");
  expect_expr("name NOT RLIKE '^a'", "(NOT RLIKE name '^a')");
  expect_expr("a IS NULL", "(IS NULL a)");
  expect_expr("a IS NOT NULL", "(IS NOT NULL a)");
  expect_expr("a BETWEEN 1 AND 10", "(BETWEEN a 1 10)");
  expect_expr("a NOT BETWEEN 1 AND 10", "(NOT BETWEEN a 1 10)");
  expect_expr("a <=> b", "(<=> a b)");
  expect_expr("a != b", "(!= a b)");
  expect_expr("a <> b", "(!= a b)");
  expect_expr("a == b", "(= a b)");
  expect_expr("a <= b", "(<= a b)");
  expect_expr("a >= b", "(>= a b)");
  expect_expr("a < b", "(< a b)");
  expect_expr("a > b", "(> a b)");
  expect_expr("a IS DISTINCT FROM b", "(NOT (<=> a b))");
  expect_expr("a IS NOT DISTINCT FROM b", "(<=> a b)");
  expect_expr("a IS TRUE", "(<=> a TRUE)");
  expect_expr("a IS NOT FALSE", "(NOT (<=> a FALSE))");
  expect_expr("ClickTime BETWEEN ImpressionTime AND ImpressionTime + INTERVAL 15 MINUTE",
              "(BETWEEN ClickTime ImpressionTime (+ ImpressionTime INTERVAL(900000000us)))");
}

static void test_interval_literals(void **state) {
  (void)state;
  expect_expr("INTERVAL 15 MINUTES", "INTERVAL(900000000us)");
  expect_expr("INTERVAL '15 minutes'", "INTERVAL(900000000us)");
  expect_expr("interval 1 hour 30 minutes", "INTERVAL(5400000000us)");
  expect_expr("INTERVAL '2' HOUR", "INTERVAL(7200000000us)");
  expect_expr("INTERVAL -5 SECONDS", "INTERVAL(-5000000us)");
  expect_expr("INTERVAL 1.5 SECOND", "INTERVAL(1500000us)");
  expect_expr("INTERVAL 1 DAY 2 HOURS 3 MINUTES 4 SECONDS 5 MILLISECONDS 6 MICROSECONDS",
              "INTERVAL(93784005006us)");
  expect_expr("ts - INTERVAL 1 HOUR - 5", "(- (- ts INTERVAL(3600000000us)) 5)");
  expect_expr("interval", "interval");
  expect_expr_error("INTERVAL 1 MONTH", SPATE_ESYNTAX,
                    "line 1:12: months and years are not supported in intervals (use days or smaller units)\n"
                    "INTERVAL 1 MONTH\n"
                    "           ^");
  expect_expr_error("INTERVAL 1.5 HOURS", SPATE_ESYNTAX,
                    "line 1:10: fractional interval values are only allowed for seconds\n"
                    "INTERVAL 1.5 HOURS\n"
                    "         ^");
  expect_expr_error("INTERVAL 15", SPATE_ESYNTAX,
                    "line 1:12: unexpected end of input, expected an interval unit (e.g. MINUTES)\n"
                    "INTERVAL 15\n"
                    "           ^");
  expect_expr_error("INTERVAL '15 fortnights'", SPATE_ESYNTAX,
                    "line 1:10: invalid interval '15 fortnights': unknown unit 'fortnights'\n"
                    "INTERVAL '15 fortnights'\n"
                    "         ^");
}

/* pos/end delimit the source text of every node (used for default column names). */
static void test_positions(void **state) {
  (void)state;
  const char *text = "CREATE TEMP VIEW v AS SELECT  upper(name) ,a+b AS s, -1, (x), count(*) cnt, t.*, "
                     "CASE WHEN a THEN 1 END, a[1], f(x).y, x NOT IN (1,2), INTERVAL 1 HOUR FROM t";
  sp_ast_script *s = parse_ok(text);
  const sp_ast_select *sel = s->stmts[0].select;
  assert_int_equal(sel->nitems, 11);
  const char *want[] = {"upper(name)", "a+b", "-1", "(x)", "count(*)", "t.*", "CASE WHEN a THEN 1 END", "a[1]",
                        "f(x).y", "x NOT IN (1,2)", "INTERVAL 1 HOUR", NULL};
  for (int i = 0; want[i]; i++) {
    const sp_ast_expr *e = sel->items[i].expr;
    int n = e->end - e->pos;
    if ((int)strlen(want[i]) != n || strncmp(s->text + e->pos, want[i], (size_t)n) != 0)
      fail_msg("item %d: got '%.*s', want '%s'", i, n, s->text + e->pos, want[i]);
    assert_int_equal(sel->items[i].pos, e->pos);
  }
  assert_string_equal(sel->items[1].alias, "s");
  assert_string_equal(sel->items[4].alias, "cnt");
  assert_null(sel->items[0].alias);
  assert_int_equal(sel->pos, 22);
  assert_int_equal(sel->from->pos, (int)(strstr(text, "FROM t") - text) + 5);
  sp_ast_script_free(s);
}

/* ---- statements ---- */

static void test_set(void **state) {
  (void)state;
  sp_ast_script *s = parse_ok(
      "SET spark.sql.shuffle.partitions = 2;\n"
      "set a.b=c;\n"
      "SET x = 'quoted; value';\n"
      "SET y = hello world   -- a comment\n"
      ";SET z=\"q\\\"d\"\n"
      ";SET path = /tmp/a-b/c*d;"
      "SET empty =;\n"
      "SET last = 1");
  assert_int_equal(s->nstmts, 8);
  const char *keys[] = {"spark.sql.shuffle.partitions", "a.b", "x", "y", "z", "path", "empty", "last"};
  const char *vals[] = {"2", "c", "quoted; value", "hello world", "q\"d", "/tmp/a-b/c*d", "", "1"};
  for (int i = 0; i < 8; i++) {
    assert_int_equal(s->stmts[i].kind, SP_STMT_SET);
    assert_string_equal(s->stmts[i].set_key, keys[i]);
    assert_string_equal(s->stmts[i].set_value, vals[i]);
  }
  assert_int_equal(s->stmts[1].pos, 38);
  sp_ast_script_free(s);
  s = parse_ok("SET last = 1");
  assert_int_equal(s->nstmts, 1);
  assert_string_equal(s->stmts[0].set_value, "1");
  sp_ast_script_free(s);
}

static void test_source_view(void **state) {
  (void)state;
  sp_ast_script *s = parse_ok(
      "CREATE OR REPLACE TEMPORARY VIEW invoices (InvoiceNumber STRING, CreatedTime BIGINT NOT NULL,\n"
      "   DeliveryAddress STRUCT<City: STRING, PinCode STRING>, Items ARRAY<STRUCT<ItemCode: STRING, "
      "ItemPrice: DOUBLE>>)\n"
      "USING kafka OPTIONS (kafka.bootstrap.servers 'localhost:9092', subscribe = 'invoices',\n"
      "  'startingOffsets' 'earliest', maxOffsetsPerTrigger 100, failOnDataLoss FALSE, x -1.5, `a b` 'c')\n"
      "WATERMARK CreatedTime DELAY OF '30 minutes'");
  assert_int_equal(s->nstmts, 1);
  const sp_ast_stmt *st = &s->stmts[0];
  assert_int_equal(st->kind, SP_STMT_SOURCE_VIEW);
  assert_true(st->or_replace);
  assert_string_equal(st->name, "invoices");
  assert_string_equal(st->format, "kafka");
  assert_non_null(st->schema);
  char ddl[512];
  sp_type_to_ddl(st->schema, ddl, sizeof ddl);
  assert_string_equal(ddl,
                      "InvoiceNumber STRING, CreatedTime BIGINT, DeliveryAddress STRUCT<City: STRING, PinCode: "
                      "STRING>, Items ARRAY<STRUCT<ItemCode: STRING, ItemPrice: DOUBLE>>");
  assert_true(st->schema->fields[0].nullable);
  assert_false(st->schema->fields[1].nullable);
  assert_int_equal(st->noptions, 7);
  const char *keys[] = {"kafka.bootstrap.servers", "subscribe", "startingOffsets", "maxOffsetsPerTrigger",
                        "failOnDataLoss", "x", "a b"};
  const char *vals[] = {"localhost:9092", "invoices", "earliest", "100", "false", "-1.5", "c"};
  for (int i = 0; i < 7; i++) {
    assert_string_equal(st->options[i].key, keys[i]);
    assert_string_equal(st->options[i].value, vals[i]);
  }
  assert_int_equal(st->options[0].pos, (int)(strstr(s->text, "kafka.bootstrap") - s->text));
  assert_string_equal(st->watermark_col, "CreatedTime");
  assert_string_equal(st->watermark_delay, "30 minutes");
  assert_int_equal(st->watermark_delay_us, 30LL * 60 * 1000000);
  assert_null(st->select);
  sp_ast_script_free(s);

  s = parse_ok("create temp view lines using socket options (host 'localhost', port '9999')");
  st = &s->stmts[0];
  assert_int_equal(st->kind, SP_STMT_SOURCE_VIEW);
  assert_false(st->or_replace);
  assert_null(st->schema);
  assert_string_equal(st->format, "socket");
  assert_int_equal(st->noptions, 2);
  assert_null(st->watermark_col);
  sp_ast_script_free(s);

  s = parse_ok("CREATE TEMPORARY VIEW r USING rate");
  assert_int_equal(s->stmts[0].kind, SP_STMT_SOURCE_VIEW);
  assert_int_equal(s->stmts[0].noptions, 0);
  assert_string_equal(s->stmts[0].format, "rate");
  sp_ast_script_free(s);

  s = parse_ok("CREATE TEMPORARY VIEW k USING org.apache.spark.sql.kafka010 OPTIONS ()");
  assert_string_equal(s->stmts[0].format, "org.apache.spark.sql.kafka010");
  sp_ast_script_free(s);
}

static void test_query_view(void **state) {
  (void)state;
  sp_ast_script *s = parse_ok(
      "CREATE TEMPORARY VIEW trades WATERMARK CreatedTime DELAY OF INTERVAL 30 MINUTES AS\n"
      "  SELECT to_timestamp(CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS CreatedTime,\n"
      "         CASE WHEN Type = 'BUY' THEN Amount ELSE 0 END Buy FROM raw");
  const sp_ast_stmt *st = &s->stmts[0];
  assert_int_equal(st->kind, SP_STMT_QUERY_VIEW);
  assert_string_equal(st->name, "trades");
  assert_string_equal(st->watermark_col, "CreatedTime");
  assert_string_equal(st->watermark_delay, "30 MINUTES");
  assert_int_equal(st->watermark_delay_us, 1800000000LL);
  assert_int_equal(st->select->nitems, 2);
  assert_string_equal(st->select->items[0].alias, "CreatedTime");
  assert_string_equal(st->select->items[1].alias, "Buy");
  assert_dump(st->select->items[0].expr, "to_timestamp(CreatedTime, 'yyyy-MM-dd HH:mm:ss')");
  assert_int_equal(st->select->from->kind, SP_FROM_TABLE);
  assert_string_equal(st->select->from->name, "raw");
  assert_null(st->format);
  sp_ast_script_free(s);
}

static void test_streaming_query(void **state) {
  (void)state;
  sp_ast_script *s = parse_ok(
      "CREATE STREAMING QUERY `Flattened Invoice Writer` USING json\n"
      "  OPTIONS (path 'output')\n"
      "  TRIGGER PROCESSING TIME '1 minute'\n"
      "  CHECKPOINT LOCATION 'chk-point-dir'\n"
      "  OUTPUT MODE Append\n"
      "AS SELECT * FROM invoices;\n"
      "CREATE STREAMING QUERY USING console AS SELECT 1;\n"
      "CREATE STREAMING QUERY q2 USING console TRIGGER ONCE AS SELECT 1;\n"
      "CREATE STREAMING QUERY q3 USING console TRIGGER AVAILABLE NOW AS SELECT 1;\n"
      "CREATE STREAMING QUERY q4 USING console TRIGGER AVAILABLENOW AS SELECT 1;\n"
      "CREATE STREAMING QUERY q5 USING console TRIGGER CONTINUOUS '1 second' OUTPUT MODE 'update' AS SELECT 1;\n"
      "CREATE STREAMING QUERY q6 USING console OUTPUT MODE complete TRIGGER PROCESSINGTIME '500 milliseconds' "
      "AS SELECT 1;\n"
      "CREATE STREAMING QUERY q7 USING console TRIGGER PROCESSING TIME 2000 AS SELECT 1;\n"
      "CREATE STREAMING QUERY 'q 8' USING console TRIGGER PROCESSING TIME '30 seconds' AS SELECT 1;");
  assert_int_equal(s->nstmts, 9);
  const sp_ast_stmt *st = &s->stmts[0];
  assert_int_equal(st->kind, SP_STMT_START_QUERY);
  assert_string_equal(st->name, "Flattened Invoice Writer");
  assert_string_equal(st->format, "json");
  assert_int_equal(st->noptions, 1);
  assert_string_equal(st->options[0].key, "path");
  assert_string_equal(st->options[0].value, "output");
  assert_int_equal(st->trigger, SP_TRIGGER_PROCESSING_TIME);
  assert_int_equal(st->trigger_interval_us, 60000000);
  assert_string_equal(st->checkpoint, "chk-point-dir");
  assert_string_equal(st->output_mode, "append");
  assert_int_equal(st->select->nitems, 1);
  assert_int_equal(st->select->items[0].expr->kind, SP_AST_STAR);

  st = &s->stmts[1];
  assert_null(st->name);
  assert_string_equal(st->format, "console");
  assert_null(st->output_mode);
  assert_int_equal(st->trigger, SP_TRIGGER_DEFAULT);
  assert_null(st->checkpoint);
  assert_null(st->select->from);
  assert_dump(st->select->items[0].expr, "1");

  assert_int_equal(s->stmts[2].trigger, SP_TRIGGER_ONCE);
  assert_string_equal(s->stmts[2].name, "q2");
  assert_int_equal(s->stmts[3].trigger, SP_TRIGGER_AVAILABLE_NOW);
  assert_int_equal(s->stmts[4].trigger, SP_TRIGGER_AVAILABLE_NOW);
  assert_int_equal(s->stmts[5].trigger, SP_TRIGGER_CONTINUOUS);
  assert_int_equal(s->stmts[5].trigger_interval_us, 1000000);
  assert_string_equal(s->stmts[5].output_mode, "update");
  assert_int_equal(s->stmts[6].trigger, SP_TRIGGER_PROCESSING_TIME);
  assert_int_equal(s->stmts[6].trigger_interval_us, 500000);
  assert_string_equal(s->stmts[6].output_mode, "complete");
  assert_int_equal(s->stmts[7].trigger_interval_us, 2000000);
  assert_string_equal(s->stmts[8].name, "q 8");
  assert_int_equal(s->stmts[8].trigger_interval_us, 30000000);
  sp_ast_script_free(s);
}

static void test_select_clauses(void **state) {
  (void)state;
  sp_ast_script *s = parse_ok(
      "CREATE TEMP VIEW v AS SELECT DISTINCT a, b AS bb FROM t AS x WHERE a > 1 AND b IS NOT NULL\n"
      "GROUP BY a, window(ts, '10 minutes') HAVING count(*) > 2 ORDER BY a DESC, b ASC, c LIMIT 10");
  const sp_ast_select *sel = s->stmts[0].select;
  assert_true(sel->distinct);
  assert_int_equal(sel->nitems, 2);
  assert_string_equal(sel->items[1].alias, "bb");
  assert_int_equal(sel->from->kind, SP_FROM_TABLE);
  assert_string_equal(sel->from->name, "t");
  assert_string_equal(sel->from->alias, "x");
  assert_dump(sel->where, "(AND (> a 1) (IS NOT NULL b))");
  assert_int_equal(sel->ngroup_by, 2);
  assert_dump(sel->group_by[1], "window(ts, '10 minutes')");
  assert_dump(sel->having, "(> count(*) 2)");
  assert_int_equal(sel->norder_by, 3);
  assert_true(sel->order_by[0].desc);
  assert_false(sel->order_by[1].desc);
  assert_false(sel->order_by[2].desc);
  assert_dump(sel->order_by[2].expr, "c");
  assert_int_equal(sel->limit, 10);
  sp_ast_script_free(s);

  s = parse_ok("CREATE TEMP VIEW v AS SELECT a FROM (SELECT a FROM t WHERE a = 1) sub");
  sel = s->stmts[0].select;
  assert_int_equal(sel->limit, -1);
  assert_int_equal(sel->from->kind, SP_FROM_SUBQUERY);
  assert_string_equal(sel->from->alias, "sub");
  assert_dump(sel->from->subquery->where, "(= a 1)");
  sp_ast_script_free(s);

  s = parse_ok("CREATE TEMP VIEW v AS (SELECT `select` FROM `from` f)");
  sel = s->stmts[0].select;
  assert_dump(sel->items[0].expr, "select");
  assert_string_equal(sel->from->name, "from");
  assert_string_equal(sel->from->alias, "f");
  sp_ast_script_free(s);
}

static void test_joins(void **state) {
  (void)state;
  static const struct {
    const char *kw;
    sp_ast_join_type jt;
  } cases[] = {
      {"JOIN", SP_JOIN_INNER},           {"INNER JOIN", SP_JOIN_INNER},     {"LEFT JOIN", SP_JOIN_LEFT},
      {"LEFT OUTER JOIN", SP_JOIN_LEFT}, {"RIGHT JOIN", SP_JOIN_RIGHT},     {"right outer join", SP_JOIN_RIGHT},
      {"FULL JOIN", SP_JOIN_FULL},       {"FULL OUTER JOIN", SP_JOIN_FULL}, {"LEFT SEMI JOIN", SP_JOIN_LEFT_SEMI},
      {"LEFT ANTI JOIN", SP_JOIN_LEFT_ANTI}, {"SEMI JOIN", SP_JOIN_LEFT_SEMI}, {"CROSS JOIN", SP_JOIN_CROSS},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[256];
    snprintf(text, sizeof text, "CREATE TEMP VIEW v AS SELECT * FROM a i %s c ON i.id = c.id", cases[i].kw);
    sp_ast_script *s = parse_ok(text);
    const sp_ast_from *f = s->stmts[0].select->from;
    assert_int_equal(f->kind, SP_FROM_JOIN);
    assert_int_equal(f->join_type, cases[i].jt);
    assert_int_equal(f->pos, (int)(strstr(text, cases[i].kw) - text));
    assert_string_equal(f->left->name, "a");
    assert_string_equal(f->left->alias, "i");
    assert_string_equal(f->right->name, "c");
    assert_null(f->right->alias);
    assert_dump(f->on, "(= i.id c.id)");
    sp_ast_script_free(s);
  }
  sp_ast_script *s = parse_ok(
      "CREATE TEMP VIEW v AS SELECT * FROM imp LEFT OUTER JOIN clk ON ImpressionID = ClickID AND ClickTime "
      "BETWEEN ImpressionTime AND ImpressionTime + INTERVAL 15 MINUTE JOIN u USING (a, `b c`), w");
  const sp_ast_from *f = s->stmts[0].select->from;
  /* ((imp LEFT JOIN clk) JOIN u USING ...) , w */
  assert_int_equal(f->kind, SP_FROM_JOIN);
  assert_int_equal(f->join_type, SP_JOIN_CROSS);
  assert_null(f->on);
  assert_string_equal(f->right->name, "w");
  const sp_ast_from *j2 = f->left;
  assert_int_equal(j2->join_type, SP_JOIN_INNER);
  assert_int_equal(j2->nusing, 2);
  assert_string_equal(j2->using_cols[0], "a");
  assert_string_equal(j2->using_cols[1], "b c");
  assert_null(j2->on);
  const sp_ast_from *j1 = j2->left;
  assert_int_equal(j1->join_type, SP_JOIN_LEFT);
  assert_dump(j1->on,
              "(AND (= ImpressionID ClickID) (BETWEEN ClickTime ImpressionTime (+ ImpressionTime "
              "INTERVAL(900000000us))))");
  sp_ast_script_free(s);
}

static void test_comments_and_empty_statements(void **state) {
  (void)state;
  sp_ast_script *s = parse_ok(
      "-- leading comment\n"
      ";;\n"
      "/* block /* nested */ still comment */ SET a = 1; ;\n"
      "CREATE TEMP VIEW v AS SELECT a -- trailing\n"
      "  /* mid */ FROM t;\n"
      "-- final comment");
  assert_int_equal(s->nstmts, 2);
  assert_int_equal(s->stmts[0].kind, SP_STMT_SET);
  assert_int_equal(s->stmts[1].kind, SP_STMT_QUERY_VIEW);
  sp_ast_script_free(s);
  s = parse_ok("  -- nothing\n");
  assert_int_equal(s->nstmts, 0);
  sp_ast_script_free(s);
}

static void test_full_job(void **state) {
  (void)state;
  const char *job =
      "SET spark.sql.shuffle.partitions = 2;\n"
      "CREATE TEMPORARY VIEW lines USING socket OPTIONS (host '${host:-localhost}', port '9999');\n"
      "CREATE TEMPORARY VIEW words AS SELECT explode(split(value, ' ')) AS word FROM lines;\n"
      "CREATE STREAMING QUERY word_counts USING console OUTPUT MODE complete CHECKPOINT LOCATION '/tmp/c'\n"
      "  AS SELECT word, count(*) AS count FROM words GROUP BY word;\n";
  const char *names[] = {"host"};
  const char *values[] = {"example.org"};
  char *text = NULL;
  spate_error err = {0};
  assert_int_equal(sp_substitute_vars(job, names, values, 0, &text, &err), 0);
  sp_ast_script *s = parse_ok(text);
  assert_int_equal(s->nstmts, 4);
  assert_string_equal(s->stmts[1].options[0].value, "localhost");
  sp_ast_script_free(s);
  free(text);

  assert_int_equal(sp_substitute_vars(job, names, values, 1, &text, &err), 0);
  s = parse_ok(text);
  free(text);
  assert_int_equal(s->nstmts, 4);
  assert_int_equal(s->stmts[0].kind, SP_STMT_SET);
  assert_string_equal(s->stmts[0].set_key, "spark.sql.shuffle.partitions");
  assert_string_equal(s->stmts[0].set_value, "2");
  const sp_ast_stmt *lines = &s->stmts[1];
  assert_int_equal(lines->kind, SP_STMT_SOURCE_VIEW);
  assert_string_equal(lines->name, "lines");
  assert_string_equal(lines->format, "socket");
  assert_int_equal(lines->noptions, 2);
  assert_string_equal(lines->options[0].key, "host");
  assert_string_equal(lines->options[0].value, "example.org");
  assert_string_equal(lines->options[1].key, "port");
  assert_string_equal(lines->options[1].value, "9999");
  const sp_ast_stmt *words = &s->stmts[2];
  assert_int_equal(words->kind, SP_STMT_QUERY_VIEW);
  assert_string_equal(words->name, "words");
  assert_int_equal(words->select->nitems, 1);
  assert_dump(words->select->items[0].expr, "explode(split(value, ' '))");
  assert_string_equal(words->select->items[0].alias, "word");
  assert_string_equal(words->select->from->name, "lines");
  const sp_ast_stmt *q = &s->stmts[3];
  assert_int_equal(q->kind, SP_STMT_START_QUERY);
  assert_string_equal(q->name, "word_counts");
  assert_string_equal(q->format, "console");
  assert_string_equal(q->output_mode, "complete");
  assert_string_equal(q->checkpoint, "/tmp/c");
  assert_int_equal(q->trigger, SP_TRIGGER_DEFAULT);
  assert_int_equal(q->select->nitems, 2);
  assert_dump(q->select->items[1].expr, "count(*)");
  assert_string_equal(q->select->items[1].alias, "count");
  assert_int_equal(q->select->ngroup_by, 1);
  assert_dump(q->select->group_by[0], "word");
  /* positions: statement starts and the select */
  assert_int_equal(s->stmts[1].pos, 38);
  assert_int_equal(strncmp(s->text + q->pos, "CREATE STREAMING", 16), 0);
  assert_int_equal(strncmp(s->text + q->select->pos, "SELECT word", 11), 0);
  sp_ast_script_free(s);
}

/* ---- errors: exact line:col and caret ---- */

static void test_errors(void **state) {
  (void)state;
  expect_script_error("SET a = 1;\nCREATE TEMP VIEW v AS\n  SELECT count(a FROM t",
                      "line 3:18: expected ')' but found 'FROM'\n"
                      "  SELECT count(a FROM t\n"
                      "                 ^");
  expect_script_error("CREATE TEMP VIEW v AS SELECT a FROM t WHERE",
                      "line 1:44: unexpected end of input, expected an expression\n"
                      "CREATE TEMP VIEW v AS SELECT a FROM t WHERE\n"
                      "                                           ^");
  expect_script_error("CREATE STREAMING QUERY q USING console\n\tOUTPUT MODE upsert AS SELECT 1",
                      "line 2:14: unknown output mode 'upsert' (expected append, update or complete)\n"
                      "\tOUTPUT MODE upsert AS SELECT 1\n"
                      "             ^");
  expect_script_error("CREATE STREAMING QUERY q USING console OUTPUT MODE append OUTPUT MODE update AS SELECT 1",
                      "line 1:59: OUTPUT MODE given twice\n"
                      "CREATE STREAMING QUERY q USING console OUTPUT MODE append OUTPUT MODE update AS SELECT 1\n"
                      "                                                          ^");
  expect_script_error("CREATE TEMP VIEW v AS SELECT 'abc FROM t",
                      "line 1:30: unterminated string literal\n"
                      "CREATE TEMP VIEW v AS SELECT 'abc FROM t\n"
                      "                             ^");
  expect_script_error("SET a = 1;\n/* open comment\nSET b = 2;",
                      "line 2:1: unterminated comment\n"
                      "/* open comment\n"
                      "^");
  expect_script_error("CREATE TEMP VIEW v (a INT, b FOO) USING rate",
                      "line 1:30: unknown data type 'FOO'\n"
                      "CREATE TEMP VIEW v (a INT, b FOO) USING rate\n"
                      "                             ^");
  expect_script_error("SELECT 1",
                      "line 1:1: expected SET or CREATE but found 'SELECT'\n"
                      "SELECT 1\n"
                      "^");
  expect_script_error("CREATE TEMP VIEW v AS SELECT a FROM t x y",
                      "line 1:41: expected ';' but found 'y'\n"
                      "CREATE TEMP VIEW v AS SELECT a FROM t x y\n"
                      "                                        ^");
  expect_script_error("CREATE STREAMING QUERY q USING console TRIGGER PROCESSING TIME '-1 second' AS SELECT 1",
                      "line 1:64: the interval of trigger should not be negative\n"
                      "CREATE STREAMING QUERY q USING console TRIGGER PROCESSING TIME '-1 second' AS SELECT 1\n"
                      "                                                               ^");
  expect_script_error("CREATE STREAMING QUERY q USING console TRIGGER PROCESSING TIME '1 month' AS SELECT 1",
                      "line 1:64: invalid interval '1 month': months and years are not supported (use days or "
                      "smaller units)\n"
                      "CREATE STREAMING QUERY q USING console TRIGGER PROCESSING TIME '1 month' AS SELECT 1\n"
                      "                                                               ^");
  expect_script_error("CREATE STREAMING QUERY q USING console TRIGGER ONCE TRIGGER ONCE AS SELECT 1",
                      "line 1:53: TRIGGER given twice\n"
                      "CREATE STREAMING QUERY q USING console TRIGGER ONCE TRIGGER ONCE AS SELECT 1\n"
                      "                                                    ^");
  expect_script_error("CREATE STREAMING QUERY q USING console TRIGGER SOMETIMES AS SELECT 1",
                      "line 1:48: expected PROCESSING TIME, ONCE, AVAILABLE NOW or CONTINUOUS but found 'SOMETIMES'\n"
                      "CREATE STREAMING QUERY q USING console TRIGGER SOMETIMES AS SELECT 1\n"
                      "                                               ^");
  expect_script_error("CREATE TEMP VIEW s USING rate OPTIONS (a '1', A '2')",
                      "line 1:47: duplicate option 'A' in OPTIONS\n"
                      "CREATE TEMP VIEW s USING rate OPTIONS (a '1', A '2')\n"
                      "                                              ^");
  expect_script_error("CREATE TEMP VIEW v AS SELECT a FROM t UNION SELECT b FROM u",
                      "line 1:39: UNION (DISTINCT) is not supported on streams; use UNION ALL\n"
                      "CREATE TEMP VIEW v AS SELECT a FROM t UNION SELECT b FROM u\n"
                      "                                      ^");
  expect_script_error("SET = 3",
                      "line 1:5: expected a configuration key after SET but found '='\n"
                      "SET = 3\n"
                      "    ^");
  expect_script_error("SET a 3",
                      "line 1:7: expected '=' after the key 'a' in SET (SET key = value)\n"
                      "SET a 3\n"
                      "      ^");
  expect_script_error("CREATE TEMP VIEW v",
                      "line 1:19: unexpected end of input, expected USING or AS\n"
                      "CREATE TEMP VIEW v\n"
                      "                  ^");
  expect_script_error("CREATE TEMP VIEW v USING rate AS SELECT 1",
                      "line 1:31: a view defined with USING <format> cannot also have AS <query>\n"
                      "CREATE TEMP VIEW v USING rate AS SELECT 1\n"
                      "                              ^");
  expect_script_error("CREATE VIEW v AS SELECT 1",
                      "line 1:8: only temporary views are supported (CREATE TEMPORARY VIEW)\n"
                      "CREATE VIEW v AS SELECT 1\n"
                      "       ^");
  expect_script_error("CREATE STREAMING QUERY q USING console CHECKPOINT LOCATION '/a' CHECKPOINT LOCATION '/b' AS "
                      "SELECT 1",
                      "line 1:65: CHECKPOINT LOCATION given twice\n"
                      "CREATE STREAMING QUERY q USING console CHECKPOINT LOCATION '/a' CHECKPOINT LOCATION '/b' AS "
                      "SELECT 1\n"
                      "                                                                ^");
  /* columns count characters: the UTF-8 'é' is one column */
  expect_script_error("CREATE TEMP VIEW v AS SELECT 'caf\xc3\xa9', ) FROM t",
                      "line 1:38: expected an expression but found ')'\n"
                      "CREATE TEMP VIEW v AS SELECT 'caf\xc3\xa9', ) FROM t\n"
                      "                                     ^");
  expect_expr_error("a + ", SPATE_ESYNTAX,
                    "line 1:4: unexpected end of input, expected an expression\n"
                    "a + \n"
                    "   ^");
  expect_expr_error("a b", SPATE_ESYNTAX,
                    "line 1:3: expected end of expression but found 'b'\n"
                    "a b\n"
                    "  ^");
  expect_expr_error("a & b", SPATE_ESYNTAX,
                    "line 1:3: unexpected character '&'\n"
                    "a & b\n"
                    "  ^");
  expect_expr_error("`abc", SPATE_ESYNTAX,
                    "line 1:1: unterminated quoted identifier\n"
                    "`abc\n"
                    "^");
  expect_expr_error("a IN (SELECT 1)", SPATE_ESYNTAX,
                    "line 1:7: IN (subquery) is not supported\n"
                    "a IN (SELECT 1)\n"
                    "      ^");
  expect_expr_error("CASE END", SPATE_ESYNTAX,
                    "line 1:6: expected 'WHEN' but found 'END'\n"
                    "CASE END\n"
                    "     ^");
  expect_expr_error("CAST(a AS MAP<STRING, INT>)", SPATE_ESYNTAX,
                    "line 1:11: MAP types are not supported\n"
                    "CAST(a AS MAP<STRING, INT>)\n"
                    "          ^");
  expect_expr_error("a.b(1)", SPATE_ESYNTAX,
                    "line 1:1: qualified function name 'a.b' is not supported\n"
                    "a.b(1)\n"
                    "^");
  expect_expr_error("12abc", SPATE_ESYNTAX,
                    "line 1:1: invalid number literal '12abc'\n"
                    "12abc\n"
                    "^");
  expect_expr_error("2147483648S", SPATE_ESYNTAX,
                    "line 1:1: numeric literal 2147483648S does not fit in range [-32768, 32767] for type smallint\n"
                    "2147483648S\n"
                    "^");
  expect_expr_error("'\\0'", SPATE_ESYNTAX,
                    "line 1:2: NUL character in string literal\n"
                    "'\\0'\n"
                    " ^");
  expect_expr_error("sum(x) OVER (PARTITION BY y)", SPATE_ESYNTAX,
                    "line 1:8: window functions (OVER) are not supported in streaming queries\n"
                    "sum(x) OVER (PARTITION BY y)\n"
                    "       ^");
}

static void test_error_at_helper(void **state) {
  (void)state;
  spate_error err = {0};
  assert_int_equal(sp_sql_error_at(&err, SPATE_EANALYSIS, "ab\ncd", 100, "x %d", 1), SPATE_EANALYSIS);
  assert_int_equal(err.code, SPATE_EANALYSIS);
  assert_string_equal(err.message, "line 2:3: x 1\ncd\n  ^");
  sp_sql_error_at(&err, SPATE_ESYNTAX, "SELECT 1\r\n  FROM x\r\n", 12, "bad");
  assert_string_equal(err.message, "line 2:3: bad\n  FROM x\n  ^");
  sp_sql_error_at(&err, SPATE_ESYNTAX, "\tx\ty", 2, "tab");
  assert_string_equal(err.message, "line 1:3: tab\n\tx\ty\n  ^");
  sp_sql_error_at(&err, SPATE_ESYNTAX, NULL, 5, "no text");
  assert_string_equal(err.message, "no text");
  assert_int_equal(sp_sql_error_at(NULL, SPATE_ESYNTAX, "x", 0, "ignored"), SPATE_ESYNTAX);
}

static void test_error_long_line_and_depth(void **state) {
  (void)state;
  /* A long line is shown as a window around the caret. */
  char text[1200];
  int n = snprintf(text, sizeof text, "a + ");
  for (int i = 0; i < 100; i++) n += snprintf(text + n, sizeof text - (size_t)n, "x%02d + ", i);
  snprintf(text + n, sizeof text - (size_t)n, ") + b");
  sp_ast_script *h = sp_ast_script_new();
  sp_ast_expr *e = NULL;
  spate_error err = {0};
  assert_int_equal(sp_parse_expr(h, text, &e, &err), SPATE_ESYNTAX);
  /* ')' is at byte 604 -> column 605; the window starts 80 bytes earlier. */
  char want[1024];
  snprintf(want, sizeof want, "line 1:605: expected an expression but found ')'\n...%.300s\n%*s^", text + 524,
           83, "");
  assert_string_equal(err.message, want);
  /* with a long tail the window is cut on both sides (160 bytes) */
  for (int i = 0; i < 60; i++) n += snprintf(text + n, sizeof text - (size_t)n, "%s", i ? " + y" : ") + b");
  assert_int_equal(sp_parse_expr(h, text, &e, &err), SPATE_ESYNTAX);
  snprintf(want, sizeof want, "line 1:605: expected an expression but found ')'\n...%.160s...\n%*s^", text + 524,
           83, "");
  assert_string_equal(err.message, want);
  sp_ast_script_free(h);

  /* Deep nesting is an error, not a stack overflow. */
  char deep[2000];
  for (int i = 0; i < 600; i++) deep[i] = '(';
  deep[600] = 'x';
  for (int i = 0; i < 600; i++) deep[601 + i] = ')';
  deep[1201] = '\0';
  h = sp_ast_script_new();
  assert_int_equal(sp_parse_expr(h, deep, &e, &err), SPATE_ESYNTAX);
  assert_non_null(strstr(err.message, "expression nested too deeply (more than 200 levels)"));
  sp_ast_script_free(h);
  /* 150 levels are fine */
  for (int i = 0; i < 150; i++) deep[i] = '(';
  deep[150] = 'x';
  for (int i = 0; i < 150; i++) deep[151 + i] = ')';
  deep[301] = '\0';
  expect_expr(deep, "x");
}

/* ---- selectExpr API ---- */

static void test_select_item_api(void **state) {
  (void)state;
  sp_ast_script *h = sp_ast_script_new();
  sp_ast_select_item it;
  spate_error err = {0};
  assert_int_equal(sp_parse_select_item(h, "TotalAmount * 0.2 AS EarnedLoyaltyPoints", &it, &err), 0);
  assert_string_equal(it.alias, "EarnedLoyaltyPoints");
  assert_dump(it.expr, "(* TotalAmount 0.20000000000000001D)");
  assert_int_equal(sp_parse_select_item(h, "DeliveryAddress.City city", &it, &err), 0);
  assert_string_equal(it.alias, "city");
  assert_dump(it.expr, "DeliveryAddress.City");
  assert_int_equal(sp_parse_select_item(h, "LineItem.*", &it, &err), 0);
  assert_null(it.alias);
  assert_dump(it.expr, "LineItem.*");
  assert_int_equal(sp_parse_select_item(h, "window.end AS end", &it, &err), 0);
  assert_string_equal(it.alias, "end");
  assert_int_equal(sp_parse_select_item(h, "a AS", &it, &err), SPATE_ESYNTAX);
  assert_string_equal(err.message,
                      "line 1:5: unexpected end of input, expected an alias after AS\n"
                      "a AS\n"
                      "    ^");
  /* the expression API keeps one holder for many parses */
  sp_ast_expr *e;
  assert_int_equal(sp_parse_expr(h, "CAST(x AS STRUCT<a: INT>)", &e, &err), 0);
  assert_int_equal(sp_parse_expr(h, "CAST(y AS ARRAY<INT>)", &e, &err), 0);
  assert_int_equal(h->ntypes, 2);
  sp_ast_script_free(h);
}

/* ---- schema DDL ---- */

static void expect_ddl(const char *text, const char *want) {
  sp_type *t = NULL;
  spate_error err = {0};
  int rc = sp_parse_schema(text, &t, &err);
  if (rc) fail_msg("schema \"%s\": %s", text, err.message);
  char buf[512];
  sp_type_to_ddl(t, buf, sizeof buf);
  if (strcmp(buf, want) != 0) fail_msg("schema \"%s\": got %s want %s", text, buf, want);
  sp_type_unref(t);
}

static void test_schema_ddl(void **state) {
  (void)state;
  expect_ddl("a INT, b STRUCT<c: STRING>, d ARRAY<DOUBLE>", "a INT, b STRUCT<c: STRING>, d ARRAY<DOUBLE>");
  expect_ddl("a int,b struct<c:string>,d array<double>", "a INT, b STRUCT<c: STRING>, d ARRAY<DOUBLE>");
  expect_ddl("x TINYINT, y SMALLINT, z INTEGER, l LONG, f FLOAT, r REAL, dd DECIMAL(10,2), s VARCHAR(3), "
             "c CHAR(1), bin BINARY, ts TIMESTAMP, dt DATE, ok BOOLEAN, n BIGINT",
             "x INT, y INT, z INT, l BIGINT, f DOUBLE, r DOUBLE, dd DOUBLE, s STRING, c STRING, bin BINARY, "
             "ts TIMESTAMP, dt DATE, ok BOOLEAN, n BIGINT");
  expect_ddl("`weird name` STRING COMMENT 'doc', nested ARRAY<ARRAY<STRUCT<p: INT NOT NULL, q STRUCT<r LONG>>>>",
             "weird name STRING, nested ARRAY<ARRAY<STRUCT<p: INT, q: STRUCT<r: BIGINT>>>>");
  expect_ddl("STRUCT<a: INT, b: STRING>", "a INT, b STRING");
  expect_ddl("", "");
  expect_ddl("timestamp TIMESTAMP, value STRING, key BINARY", "timestamp TIMESTAMP, value STRING, key BINARY");

  sp_type *t = NULL;
  spate_error err = {0};
  assert_int_equal(sp_parse_schema("id INT NOT NULL, name STRING", &t, &err), 0);
  assert_int_equal(t->id, SP_STRUCT);
  assert_int_equal(t->nfields, 2);
  assert_false(t->fields[0].nullable);
  assert_true(t->fields[1].nullable);
  sp_type_unref(t);
  assert_int_equal(sp_parse_schema("s STRUCT<>", &t, &err), 0);
  assert_int_equal(t->fields[0].type->nfields, 0);
  sp_type_unref(t);

  t = (sp_type *)0x1;
  assert_int_equal(sp_parse_schema("a INT, b STRUCT<c: BLOB>", &t, &err), SPATE_ESYNTAX);
  assert_null(t);
  assert_string_equal(err.message,
                      "line 1:20: unknown data type 'BLOB'\n"
                      "a INT, b STRUCT<c: BLOB>\n"
                      "                   ^");
  assert_int_equal(sp_parse_schema("a INT,", &t, &err), SPATE_ESYNTAX);
  assert_string_equal(err.message,
                      "line 1:7: unexpected end of input, expected a column name\n"
                      "a INT,\n"
                      "      ^");
  assert_int_equal(sp_parse_schema("a ARRAY<INT", &t, &err), SPATE_ESYNTAX);
  assert_string_equal(err.message,
                      "line 1:12: unexpected end of input, expected '>'\n"
                      "a ARRAY<INT\n"
                      "           ^");
  assert_int_equal(sp_parse_schema("a INT b STRING", &t, &err), SPATE_ESYNTAX);
  assert_string_equal(err.message,
                      "line 1:7: expected ',' or end of schema but found 'b'\n"
                      "a INT b STRING\n"
                      "      ^");
  assert_int_equal(sp_parse_schema("a VARCHAR", &t, &err), SPATE_ESYNTAX);
  assert_string_equal(err.message,
                      "line 1:10: unexpected end of input, expected '(' and a length\n"
                      "a VARCHAR\n"
                      "         ^");
}

/* ---- intervals ---- */

static void expect_interval(const char *text, int64_t want) {
  int64_t us = -42;
  spate_error err = {0};
  int rc = sp_parse_interval(text, &us, &err);
  if (rc) fail_msg("interval \"%s\": %s", text, err.message);
  if (us != want) fail_msg("interval \"%s\": got %" PRId64 " want %" PRId64, text, us, want);
}

static void expect_interval_error(const char *text, const char *msg) {
  int64_t us = -42;
  spate_error err = {0};
  assert_int_equal(sp_parse_interval(text, &us, &err), SPATE_EINVAL);
  assert_int_equal(us, -42);
  assert_string_equal(err.message, msg);
}

static void test_intervals(void **state) {
  (void)state;
  expect_interval("15 minutes", 900000000LL);
  expect_interval("1 hour", 3600000000LL);
  expect_interval("30 second", 30000000LL);
  expect_interval("2 seconds", 2000000LL);
  expect_interval("1 day 2 hours", 93600000000LL);
  expect_interval("500 milliseconds", 500000LL);
  expect_interval("250 microseconds", 250LL);
  expect_interval("interval 10 minutes", 600000000LL);
  expect_interval("INTERVAL 1 WEEK", 604800000000LL);
  expect_interval("  3 MINS  ", 180000000LL);
  expect_interval("5 sec", 5000000LL);
  expect_interval("5 secs", 5000000LL);
  expect_interval("5 s", 5000000LL);
  expect_interval("5s", 5000000LL);
  expect_interval("7 min", 420000000LL);
  expect_interval("1.5 seconds", 1500000LL);
  expect_interval("0.000001 second", 1LL);
  expect_interval("-5 minutes", -300000000LL);
  expect_interval("1 hour -30 minutes", 1800000000LL);
  expect_interval("0 seconds", 0LL);
  expect_interval("2 days", 172800000000LL);
  expect_interval_error("", "invalid interval '': empty");
  expect_interval_error("interval", "invalid interval 'interval': empty");
  expect_interval_error("15", "invalid interval '15': missing unit after '15'");
  expect_interval_error("minutes", "invalid interval 'minutes': expected a number at 'minutes'");
  expect_interval_error("1 month", "invalid interval '1 month': months and years are not supported (use days or "
                                   "smaller units)");
  expect_interval_error("2 years", "invalid interval '2 years': months and years are not supported (use days or "
                                   "smaller units)");
  expect_interval_error("3 fortnights", "invalid interval '3 fortnights': unknown unit 'fortnights'");
  expect_interval_error("1.5 hours", "invalid interval '1.5 hours': fractional values are only allowed for seconds");
  expect_interval_error("99999999999999 days", "invalid interval '99999999999999 days': bad or out-of-range value "
                                               "'99999999999999'");
  expect_interval_error("1 hour,", "invalid interval '1 hour,': unexpected ','");
}

/* ---- variable substitution ---- */

static void expect_subst(const char *text, const char *const *names, const char *const *values, int n,
                         const char *want) {
  char *out = NULL;
  spate_error err = {0};
  int rc = sp_substitute_vars(text, names, values, n, &out, &err);
  if (rc) fail_msg("subst \"%s\": %s", text, err.message);
  assert_string_equal(out, want);
  free(out);
}

static void test_vars(void **state) {
  (void)state;
  const char *names[] = {"host", "port", "host", "dir.out", "empty"};
  const char *values[] = {"first", "9999", "second", "/tmp/o", ""};
  expect_subst("plain text", names, values, 5, "plain text");
  expect_subst("${port}", names, values, 5, "9999");
  expect_subst("h=${host} p=${port}!", names, values, 5, "h=second p=9999!"); /* later definition wins */
  expect_subst("'${dir.out}/x'", names, values, 5, "'/tmp/o/x'");
  expect_subst("${missing:-fallback value} ${port:-1}", names, values, 5, "fallback value 9999");
  expect_subst("${missing:-}|${empty}|${empty:-x}", names, values, 5, "||");
  expect_subst("cost $5 and $${literal} and $$", names, values, 5, "cost $5 and ${literal} and $$");
  expect_subst("-- ${commented}\nSET a = ${port}; /* ${also} */", names, values, 5,
               "-- ${commented}\nSET a = 9999; /* ${also} */");
  expect_subst("'--${port}'", names, values, 5, "'--9999'");
  expect_subst("", names, values, 0, "");

  char *out = (char *)0x1;
  spate_error err = {0};
  assert_int_equal(sp_substitute_vars("SET a = 1;\n  x = '${nope}'", names, values, 5, &out, &err), SPATE_EINVAL);
  assert_null(out);
  assert_string_equal(err.message, "undefined variable ${nope} at line 2:8 (pass --var nope=VALUE)");
  assert_int_equal(sp_substitute_vars("a ${host", names, values, 5, &out, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "unterminated variable reference at line 1:3");
  assert_int_equal(sp_substitute_vars("a ${x:-abc", names, values, 5, &out, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "unterminated variable reference at line 1:3");
  assert_int_equal(sp_substitute_vars("${}", names, values, 5, &out, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "empty variable name in ${} at line 1:1");
  assert_int_equal(sp_substitute_vars("\n\n   ${a b}", names, values, 5, &out, &err), SPATE_EINVAL);
  assert_string_equal(err.message,
                      "invalid variable reference (expected ${name} or ${name:-default}; names use letters, digits, "
                      "'_' and '.') at line 3:4");
}

/* ---- the seed demos' transformations, written as job files ---- */

static const char *demo_job =
    "\xEF\xBB\xBF-- demos 03/04/08/09/14 in one file\n"
    "SET spark.sql.shuffle.partitions=2;\n"
    "CREATE TEMPORARY VIEW kafka_in USING kafka OPTIONS (kafka.bootstrap.servers 'localhost:9092',\n"
    "  subscribe 'invoices', startingOffsets 'earliest');\n"
    "CREATE TEMPORARY VIEW invoices AS SELECT from_json(CAST(value AS STRING),\n"
    "  'InvoiceNumber STRING, CreatedTime BIGINT, DeliveryAddress STRUCT<City: STRING>') AS value FROM kafka_in;\n"
    "CREATE STREAMING QUERY notifications USING kafka OPTIONS (topic 'notifications')\n"
    "  AS SELECT InvoiceNumber AS key, to_json(named_struct('CustomerCardNo', CustomerCardNo,\n"
    "     'TotalAmount', TotalAmount, 'EarnedLoyaltyPoints', TotalAmount * 0.2)) AS value\n"
    "  FROM (SELECT value.* FROM invoices);\n"
    "CREATE TEMP VIEW trades WATERMARK CreatedTime DELAY OF '30 minute' AS\n"
    "  SELECT to_timestamp(CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS CreatedTime,\n"
    "         CASE WHEN Type == 'BUY' THEN Amount ELSE 0 END AS Buy,\n"
    "         CASE WHEN Type == 'SELL' THEN Amount ELSE 0 END AS Sell FROM raw_trades;\n"
    "CREATE STREAMING QUERY USING console OUTPUT MODE update TRIGGER PROCESSING TIME '1 minute'\n"
    "  AS SELECT window.start, window.end, TotalBuy, TotalSell FROM (\n"
    "     SELECT window(CreatedTime, '15 minute') AS window, sum(Buy) TotalBuy, sum(Sell) TotalSell\n"
    "     FROM trades GROUP BY window(CreatedTime, '15 minute'));\n"
    "CREATE STREAMING QUERY sliding USING console OUTPUT MODE update\n"
    "  AS SELECT CAST(key AS STRING) AS SensorID, window(CreatedTime, '15 minute', '5 minute'),\n"
    "     max(Reading) AS MaxReading FROM sensor GROUP BY 1, 2;\n"
    "CREATE STREAMING QUERY outer_join USING console\n"
    "  AS SELECT * FROM impressions LEFT OUTER JOIN clicks\n"
    "     ON ImpressionID = ClickID AND ClickTime BETWEEN ImpressionTime AND ImpressionTime + INTERVAL 15 MINUTE;\n";

static void test_demo_job(void **state) {
  (void)state;
  sp_ast_script *s = parse_ok(demo_job);
  assert_int_equal(s->nstmts, 8);
  assert_int_equal(s->stmts[0].pos, 39); /* after the BOM and the comment line */
  assert_string_equal(s->stmts[0].set_value, "2");
  assert_dump(s->stmts[2].select->items[0].expr,
              "from_json(CAST(value AS string), 'InvoiceNumber STRING, CreatedTime BIGINT, DeliveryAddress "
              "STRUCT<City: STRING>')");
  const sp_ast_select *n = s->stmts[3].select;
  assert_dump(n->items[1].expr,
              "to_json(named_struct('CustomerCardNo', CustomerCardNo, 'TotalAmount', TotalAmount, "
              "'EarnedLoyaltyPoints', (* TotalAmount 0.20000000000000001D)))");
  assert_int_equal(n->from->kind, SP_FROM_SUBQUERY);
  assert_null(n->from->alias);
  assert_dump(n->from->subquery->items[0].expr, "value.*");
  assert_int_equal(s->stmts[4].watermark_delay_us, 1800000000LL);
  assert_dump(s->stmts[4].select->items[2].expr, "(CASE WHEN (= Type 'SELL') THEN Amount ELSE 0)");
  assert_dump(s->stmts[5].select->items[1].expr, "window.end");
  assert_dump(s->stmts[6].select->group_by[1], "2");
  assert_int_equal(s->stmts[7].select->from->join_type, SP_JOIN_LEFT);
  sp_ast_script_free(s);
}

/* Every prefix of a job either parses or fails cleanly with a positioned message. */
static void test_every_prefix(void **state) {
  (void)state;
  size_t len = strlen(demo_job);
  int ok = 0, failed = 0;
  for (size_t i = 0; i <= len; i++) {
    sp_ast_script *s = NULL;
    spate_error err = {0};
    int rc = sp_parse_script(demo_job, i, &s, &err);
    if (rc == 0) {
      ok++;
      sp_ast_script_free(s);
    } else {
      failed++;
      assert_int_equal(rc, SPATE_ESYNTAX);
      assert_null(s);
      assert_int_equal(strncmp(err.message, "line ", 5), 0);
      assert_non_null(strchr(err.message, '^'));
    }
  }
  assert_true(ok > 8);
  assert_true(failed > 500);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_literals),
      cmocka_unit_test(test_columns_and_stars),
      cmocka_unit_test(test_functions),
      cmocka_unit_test(test_case_cast),
      cmocka_unit_test(test_predicates),
      cmocka_unit_test(test_interval_literals),
      cmocka_unit_test(test_positions),
      cmocka_unit_test(test_set),
      cmocka_unit_test(test_source_view),
      cmocka_unit_test(test_query_view),
      cmocka_unit_test(test_streaming_query),
      cmocka_unit_test(test_select_clauses),
      cmocka_unit_test(test_joins),
      cmocka_unit_test(test_comments_and_empty_statements),
      cmocka_unit_test(test_full_job),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_error_at_helper),
      cmocka_unit_test(test_error_long_line_and_depth),
      cmocka_unit_test(test_select_item_api),
      cmocka_unit_test(test_schema_ddl),
      cmocka_unit_test(test_intervals),
      cmocka_unit_test(test_vars),
      cmocka_unit_test(test_demo_job),
      cmocka_unit_test(test_every_prefix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
