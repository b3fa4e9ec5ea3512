/* test_expr_csv_fn.c - from_csv / to_csv (src/expr/fn_csv.c): DDL schemas prepared at
 * bind time, one record per string, missing and extra fields, nullValue, quoting and
 * escapes, malformed input in PERMISSIVE (partial rows, corrupt-record column) and
 * FAILFAST, options given with map(), to_csv's writer rules and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

static void test_from_csv_basic(void **state) {
  t_env *env = *state;
  assert_string_equal(t_type(env, "from_csv(s, 'a INT NOT NULL, b STRING')"), "struct<a:int,b:string>");
  assert_string_equal(t_type(env, "from_csv(s, 'STRUCT<a: INT>')"), "struct<a:int>");
  /* too few fields pad with NULL, an unquoted empty field is NULL, NULL input gives
   * NULL, the empty string a struct of NULLs */
  assert_string_equal(t_eval(env, "from_csv(s, 'a STRING, b STRING, c STRING, d STRING')"),
                      "{hello world, null, null, null}|{Foo, bar, null, baz}|null|{null, null, null, null}");
  /* extra fields are ignored */
  assert_string_equal(t_eval(env, "from_csv(s, 'a STRING, b STRING')"),
                      "{hello world, null}|{Foo, bar}|null|{null, null}");
  assert_string_equal(t_eval(env, "from_csv(s, 'a STRING') IS NULL"), "false|false|true|false");
  /* typed values */
  assert_string_equal(t_eval(env, "from_csv('1,2.5,true,12345678901', 'a INT, b DOUBLE, c BOOLEAN, d BIGINT')"),
                      "{1, 2.5, true, 12345678901}|{1, 2.5, true, 12345678901}|{1, 2.5, true, 12345678901}|"
                      "{1, 2.5, true, 12345678901}");
  assert_string_equal(
      t_eval(env, "CAST(from_csv('2019-05-20T10:05:00Z,2020-02-29', 't TIMESTAMP, d DATE').t AS STRING)"),
      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  assert_string_equal(t_eval(env, "from_csv('2019-05-20T10:05:00Z,2020-02-29', 't TIMESTAMP, d DATE').d"),
                      "2020-02-29|2020-02-29|2020-02-29|2020-02-29");
  /* a column of records built per row; BINARY input */
  assert_string_equal(t_eval(env, "from_csv(concat(i, ',', l), 'a INT, l BIGINT')"), "{1, 10}|{-2, 20}|null|null");
  assert_string_equal(t_eval(env, "from_csv(CAST('3,x' AS BINARY), 'a INT, b STRING').b"), "x|x|x|x");
  /* one record per string: what follows the first line break is not read */
  assert_string_equal(t_eval(env, "from_csv('1,2\\n3,4', 'a INT, b INT')"), "{1, 2}|{1, 2}|{1, 2}|{1, 2}");
}

static void test_from_csv_options(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "from_csv('1;2', 'a INT, b INT', map('sep', ';'))"), "{1, 2}|{1, 2}|{1, 2}|{1, 2}");
  assert_string_equal(t_eval(env, "from_csv('1\\t2', 'a INT, b INT', map('delimiter', '\\\\t')).b"), "2|2|2|2");
  /* quoted fields keep separators; an escaped or doubled quote is a literal quote */
  assert_string_equal(t_eval(env, "from_csv('\"a,b\",c', 'x STRING, y STRING').x"), "a,b|a,b|a,b|a,b");
  assert_string_equal(t_eval(env, "from_csv('\"a\\\\\"b\",c', 'x STRING, y STRING').x"), "a\"b|a\"b|a\"b|a\"b");
  assert_string_equal(t_eval(env, "from_csv('\"a\"\"b\",c', 'x STRING, y STRING').x"), "a\"b|a\"b|a\"b|a\"b");
  assert_string_equal(t_eval(env, "from_csv('''a;b'';c', 'x STRING, y STRING', map('quote', '''', 'sep', ';')).x"),
                      "a;b|a;b|a;b|a;b");
  /* nullValue */
  assert_string_equal(t_eval(env, "from_csv('NA,1', 'a STRING, b INT', map('nullValue', 'NA'))"),
                      "{null, 1}|{null, 1}|{null, 1}|{null, 1}");
  /* datetime patterns and time zone */
  assert_string_equal(t_eval(env, "CAST(from_csv('20/05/2019 15:35', 't TIMESTAMP', map('timestampFormat', "
                                  "'dd/MM/yyyy HH:mm', 'timeZone', 'Asia/Kolkata')).t AS STRING)"),
                      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
  assert_string_equal(t_eval(env, "from_csv('20/05/2019', 'd DATE', map('dateFormat', 'dd/MM/yyyy')).d"),
                      "2019-05-20|2019-05-20|2019-05-20|2019-05-20");
  /* unknown options are ignored, as Spark does */
  assert_string_equal(t_bind_err(env, "from_csv(s, 'a INT', map('inferSchema', 'true'))"), "");
}

static void test_from_csv_malformed(void **state) {
  t_env *env = *state;
  /* PERMISSIVE: an unparsable value makes only that field NULL */
  assert_string_equal(t_eval(env, "from_csv('x,2', 'a INT, b INT')"), "{null, 2}|{null, 2}|{null, 2}|{null, 2}");
  /* the raw text in the corrupt-record column, when the schema has one; there a wrong
   * field count is malformed too */
  assert_string_equal(t_eval(env, "from_csv(concat(i, ',x'), 'a INT, b INT, _corrupt_record STRING')"),
                      "{1, null, 1,x}|{-2, null, -2,x}|null|{2147483647, null, 2147483647,x}");
  assert_string_equal(t_eval(env, "from_csv(s, 'a STRING, _corrupt_record STRING')._corrupt_record"),
                      "null|Foo,bar,,baz|null|");
  assert_string_equal(t_eval(env, "from_csv('1,2', 'a INT, b INT, bad STRING', "
                                  "map('columnNameOfCorruptRecord', 'bad')).bad"),
                      "null|null|null|null");
  /* FAILFAST fails on the first malformed row; good rows and NULL input are fine */
  const char *m = t_eval(env, "from_csv(concat(i, ',x'), 'a INT, b INT', map('mode', 'FAILFAST'))");
  assert_non_null(strstr(m, "[MALFORMED_RECORD_IN_PARSING] from_csv: Malformed records are detected in record "
                            "parsing. Parse Mode: FAILFAST."));
  assert_non_null(strstr(m, "try setting the option 'mode' as 'PERMISSIVE'."));
  assert_string_equal(t_eval(env, "from_csv(concat(i, ',', l), 'a INT, b BIGINT', map('mode', 'FAILFAST')).a"),
                      "1|-2|null|null");
}

static void test_from_csv_bind_errors(void **state) {
  t_env *env = *state;
  const char *m = t_bind_err(env, "from_csv(s, 'a INT,')");
  assert_non_null(strstr(m, "[INVALID_SCHEMA.PARSE_ERROR] The input schema \"a INT,\" is not a valid schema string."));
  m = t_bind_err(env, "from_csv(s, s)");
  assert_non_null(strstr(m, "[INVALID_SCHEMA.NON_STRING_LITERAL]"));
  m = t_bind_err(env, "from_csv(s, 'a ARRAY<INT>')");
  assert_non_null(strstr(m, "[UNSUPPORTED_DATATYPE]"));
  m = t_bind_err(env, "from_csv(s, 'a INT', map('mode', 'DROPMALFORMED'))");
  assert_non_null(strstr(m, "[PARSE_MODE_UNSUPPORTED] The function `from_csv` doesn't support the DROPMALFORMED "
                            "mode. Acceptable modes are PERMISSIVE and FAILFAST."));
  m = t_bind_err(env, "from_csv(s, 'a INT', map('sep', ''))");
  assert_non_null(strstr(m, "Delimiter cannot be empty string"));
  m = t_bind_err(env, "from_csv(s, 'a INT', map('quote', 'ab'))");
  assert_non_null(strstr(m, "must be a single character"));
  m = t_bind_err(env, "from_csv(s, 'a INT', 'x')");
  assert_non_null(strstr(m, "[INVALID_OPTIONS.NON_MAP_FUNCTION]"));
  m = t_bind_err(env, "from_csv(s, 'a INT', map('sep', ';', 'sep', ','))");
  assert_non_null(strstr(m, "[DUPLICATED_MAP_KEY]"));
  m = t_bind_err(env, "from_csv(s)");
  assert_non_null(strstr(m, "The `from_csv` requires [2, 3] parameters but the actual number is 1."));
  m = t_bind_err(env, "from_csv(st, 'a INT')");
  assert_non_null(strstr(m, "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE]"));
}

static void test_to_csv(void **state) {
  t_env *env = *state;
  assert_string_equal(t_type(env, "to_csv(named_struct('a', i))"), "string");
  /* NULL fields as nullValue (empty), the empty string as "", values holding the
   * separator quoted */
  assert_string_equal(t_eval(env, "to_csv(named_struct('i', i, 'd', d, 's', s))"),
                      "1,1.5,hello world|-2,-0.5,\"Foo,bar,,baz\"|,,|2147483647,2.675,\"\"");
  /* strings are trimmed; quotes escaped with the escape char */
  assert_string_equal(t_eval(env, "to_csv(named_struct('u', u))"), "Äpfel Öl|a_b%c|x|pad");
  assert_string_equal(t_eval(env, "to_csv(named_struct('q', 'a\"b', 'n', 'x\\ny'))"),
                      "\"a\\\"b\",\"x\ny\"|\"a\\\"b\",\"x\ny\"|\"a\\\"b\",\"x\ny\"|\"a\\\"b\",\"x\ny\"");
  /* datetimes as the CSV writer formats them */
  assert_string_equal(t_eval(env, "to_csv(named_struct('ts', ts, 'dt', dt, 'b', b))"),
                      "2019-05-20T10:05:00.000Z,2019-05-20,true|1970-01-01T00:00:00.000Z,1970-01-01,false|,,|"
                      "2020-02-29T23:59:59.500Z,2020-02-29,true");
  assert_string_equal(t_eval(env, "to_csv(named_struct('ts', ts), map('timestampFormat', 'yyyy-MM-dd HH:mm', "
                                  "'timeZone', 'Asia/Kolkata'))"),
                      "2019-05-20 15:35|1970-01-01 05:30||2020-03-01 05:29");
  /* options */
  assert_string_equal(t_eval(env, "to_csv(named_struct('a', i, 'b', l), map('sep', ';'))"),
                      "1;10|-2;20|;30|2147483647;");
  assert_string_equal(t_eval(env, "to_csv(named_struct('a', i, 's', s), map('sep', ' ', 'nullValue', 'NA'))"),
                      "1 \"hello world\"|-2 Foo,bar,,baz|NA NA|2147483647 \"\"");
  assert_string_equal(t_eval(env, "to_csv(named_struct('q', 'a\"b'), map('escape', '\"'))"),
                      "\"a\"\"b\"|\"a\"\"b\"|\"a\"\"b\"|\"a\"\"b\"");
  /* a NULL struct gives NULL */
  assert_string_equal(t_eval(env, "to_csv(from_csv(s, 'a STRING, b STRING'))"), "hello world,|Foo,bar|null|,");
  const char *m = t_bind_err(env, "to_csv(i)");
  assert_non_null(strstr(m, "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE]"));
  m = t_bind_err(env, "to_csv(st)");
  assert_non_null(strstr(m, "[DATATYPE_MISMATCH.UNSUPPORTED_INPUT_TYPE]"));
  m = t_bind_err(env, "to_csv(named_struct('a', i), map('timestampFormat', 'yyyy-qq-bogus'))");
  assert_non_null(strstr(m, "[INVALID_DATETIME_PATTERN]"));
}

static void test_round_trip(void **state) {
  t_env *env = *state;
  const char *q = "from_csv(to_csv(named_struct('i', i, 'd', d, 's', s, 'ts', ts, 'dt', dt, 'b', b)), "
                  "'i INT, d DOUBLE, s STRING, ts TIMESTAMP, dt DATE, b BOOLEAN')";
  /* the empty string written as "" reads back as NULL (nullValue defaults to "") */
  assert_string_equal(t_eval(env, q),
                      "{1, 1.5, hello world, 2019-05-20 10:05:00, 2019-05-20, true}|"
                      "{-2, -0.5, Foo,bar,,baz, 1970-01-01 00:00:00, 1970-01-01, false}|"
                      "{null, null, null, null, null, null}|"
                      "{2147483647, 2.675, null, 2020-02-29 23:59:59.5, 2020-02-29, true}");
  assert_string_equal(t_eval(env, "from_csv(to_csv(named_struct('q', 'a\"b,c')), 'q STRING').q"),
                      "a\"b,c|a\"b,c|a\"b,c|a\"b,c");
}

static void test_default_names(void **state) {
  t_env *env = *state;
  assert_string_equal(t_name(env, "from_csv(CAST(value AS STRING), 'a INT', map('sep', ';'))", false),
                      "from_csv(CAST(value AS STRING))");
  assert_string_equal(t_name(env, "to_csv(named_struct('a', s))", true), "to_csv(named_struct(a, s))");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_from_csv_basic, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_from_csv_options, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_from_csv_malformed, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_from_csv_bind_errors, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_to_csv, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_round_trip, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_default_names, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
