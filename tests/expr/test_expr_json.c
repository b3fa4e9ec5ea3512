/* test_expr_json.c - from_json / to_json (src/expr/fn_json.c): DDL schemas prepared at
 * bind time, nested struct/array results, missing fields, malformed input in PERMISSIVE
 * and FAILFAST, NULL input, options given with map(), to_json of structs with NULL
 * fields and nested arrays, and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

/* One JSON document per row of the fixed batch (i = 1 | -2 | NULL | 2147483647). */
#define DOCS_                                                                                      \
  "CASE WHEN i = 1 THEN '{\"a\": 7, \"b\": {\"c\": \"x\", \"d\": [1.5, null]}, \"e\": [{\"f\": true}]}' " \
  "WHEN i = -2 THEN '{\"a\": 8, \"zz\": 1}' "                                                       \
  "WHEN i IS NULL THEN NULL "                                                                       \
  "ELSE '{\"a\": 9, \"b\": {\"d\": []}, \"e\": [{\"f\": false}, {}, null]}' END"

#define SCHEMA_ "'a INT, b STRUCT<c: STRING, d: ARRAY<DOUBLE>>, e ARRAY<STRUCT<f: BOOLEAN>>'"

static void test_from_json_nested(void **state) {
  t_env *env = *state;
  assert_string_equal(t_type(env, "from_json(" DOCS_ ", " SCHEMA_ ")"),
                      "struct<a:int,b:struct<c:string,d:array<double>>,e:array<struct<f:boolean>>>");
  assert_string_equal(t_eval(env, "from_json(" DOCS_ ", " SCHEMA_ ")"),
                      "{7, {x, [1.5, null]}, [{true}]}|{8, null, null}|null|{9, {null, []}, [{false}, {null}, null]}");
  /* field access on the result */
  assert_string_equal(t_eval(env, "from_json(" DOCS_ ", " SCHEMA_ ").b.d[0]"), "1.5|null|null|null");
  assert_string_equal(t_eval(env, "size(from_json(" DOCS_ ", " SCHEMA_ ").e)"), "1|-1|-1|3");
  /* STRUCT<...> as a whole, ARRAY<...> schemas, NOT NULL dropped (asNullable) */
  assert_string_equal(t_type(env, "from_json('{\"x\": 1}', 'STRUCT<x: BIGINT NOT NULL>')"), "struct<x:bigint>");
  assert_string_equal(t_eval(env, "from_json('{\"x\": 1}', 'STRUCT<x: BIGINT NOT NULL>')"), "{1}|{1}|{1}|{1}");
  assert_string_equal(t_type(env, "from_json('[1, 2]', 'array<int>')"), "array<int>");
  assert_string_equal(t_eval(env, "from_json('[1, null, 3]', 'ARRAY<INT>')"),
                      "[1, null, 3]|[1, null, 3]|[1, null, 3]|[1, null, 3]");
  /* a malformed document under an ARRAY schema gives NULL (format.h) */
  assert_string_equal(t_eval(env, "from_json('[1, \"x\", 3]', 'ARRAY<INT>')"), "null|null|null|null");
  /* types: timestamps (session time zone), dates, bigint, strings keep JSON text */
  assert_string_equal(
      t_eval(env, "from_json('{\"t\": \"2019-05-20T10:05:00Z\", \"d\": \"2020-02-29\", \"n\": 12345678901, "
                  "\"s\": {\"k\": [1]}}', 't TIMESTAMP, d DATE, n BIGINT, s STRING').s"),
      "{\"k\": [1]}|{\"k\": [1]}|{\"k\": [1]}|{\"k\": [1]}");
  assert_string_equal(t_eval(env, "CAST(from_json('{\"t\": \"2019-05-20T10:05:00Z\"}', 't TIMESTAMP').t AS STRING)"),
                      "2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00|2019-05-20 10:05:00");
}

static void test_from_json_missing_and_null(void **state) {
  t_env *env = *state;
  /* missing fields -> null; extra fields ignored; field names are case-sensitive in JSON */
  assert_string_equal(t_eval(env, "from_json('{\"A\": 1, \"b\": \"y\", \"extra\": [1]}', 'a INT, b STRING, c DOUBLE')"),
                      "{null, y, null}|{null, y, null}|{null, y, null}|{null, y, null}");
  assert_string_equal(t_eval(env, "from_json('{}', 'a INT')"), "{null}|{null}|{null}|{null}");
  /* NULL input and blank input -> NULL */
  assert_string_equal(t_eval(env, "from_json(NULL, 'a INT')"), "null|null|null|null");
  assert_string_equal(t_eval(env, "from_json(s, 'a INT')"), "{null}|{null}|null|null");
  assert_string_equal(t_eval(env, "from_json(' ', 'a INT') IS NULL"), "true|true|true|true");
  /* a column of documents built per row */
  assert_string_equal(t_eval(env, "from_json(concat('{\"a\": ', i, ', \"l\": ', l, '}'), 'a INT, l BIGINT')"),
                      "{1, 10}|{-2, 20}|null|null");
  /* BINARY input (Kafka values) is decoded directly */
  assert_string_equal(t_eval(env, "from_json(CAST('{\"a\": 3}' AS BINARY), 'a INT').a"), "3|3|3|3");
}

static void test_from_json_malformed(void **state) {
  t_env *env = *state;
  const char *docs = "CASE WHEN i = 1 THEN '{\"a\": 1, \"b\": \"x\"}' WHEN i = -2 THEN '{\"a\": 1, broken' "
                     "WHEN i IS NULL THEN NULL ELSE '{\"a\": \"no\", \"b\": \"y\"}' END";
  char q[2048];
  /* PERMISSIVE (default): a malformed document gives a row with every field NULL; a
   * value of the wrong type only that field (Spark 3.4+ partial results). */
  snprintf(q, sizeof q, "from_json(%s, 'a INT, b STRING')", docs);
  assert_string_equal(t_eval(env, q), "{1, x}|{null, null}|null|{null, y}");
  snprintf(q, sizeof q, "from_json(%s, 'a INT, b STRING', map('mode', 'PERMISSIVE'))", docs);
  assert_string_equal(t_eval(env, q), "{1, x}|{null, null}|null|{null, y}");
  snprintf(q, sizeof q, "from_json(%s, 'a INT, b STRING') IS NULL", docs);
  assert_string_equal(t_eval(env, q), "false|false|true|false");
  /* the raw text in the corrupt-record column, when the schema has one */
  snprintf(q, sizeof q, "from_json(%s, 'a INT, b STRING, _corrupt_record STRING')._corrupt_record", docs);
  assert_string_equal(t_eval(env, q), "null|{\"a\": 1, broken|null|{\"a\": \"no\", \"b\": \"y\"}");
  snprintf(q, sizeof q, "from_json(%s, 'a INT, bad STRING', map('columnNameOfCorruptRecord', 'bad')).bad", docs);
  assert_string_equal(t_eval(env, q), "null|{\"a\": 1, broken|null|{\"a\": \"no\", \"b\": \"y\"}");
  /* FAILFAST: the evaluation fails naming the problem */
  snprintf(q, sizeof q, "from_json(%s, 'a INT, b STRING', map('mode', 'FAILFAST'))", docs);
  const char *r = t_eval(env, q);
  assert_non_null(strstr(r, "ERR: [MALFORMED_RECORD_IN_PARSING] from_json: Malformed records are detected in "
                            "record parsing. Parse Mode: FAILFAST. row 1:"));
  assert_non_null(strstr(r, "try setting the option 'mode' as 'PERMISSIVE'"));
  assert_int_equal(env->err.code, SPATE_EMALFORMED);
  assert_string_equal(t_eval(env, "from_json('{\"a\": \"x\"}', 'a INT', map('MODE', 'failfast'))"),
                      "ERR: [MALFORMED_RECORD_IN_PARSING] from_json: Malformed records are detected in record "
                      "parsing. Parse Mode: FAILFAST. row 0: Cannot parse the field name 'a' and the value \"x\" of "
                      "the JSON token type VALUE_STRING to target Spark data type \"INT\". To process malformed "
                      "records as null result, try setting the option 'mode' as 'PERMISSIVE'.");
  /* FAILFAST on good input and NULL input is fine */
  assert_string_equal(t_eval(env, "from_json(concat('{\"a\": ', i, '}'), 'a INT', map('mode', 'FAILFAST')).a"),
                      "1|-2|null|2147483647");
}

static void test_from_json_bind_errors(void **state) {
  t_env *env = *state;
  const char *m = t_bind_err(env, "from_json(s, 'a INT,')");
  assert_non_null(strstr(m, "[INVALID_SCHEMA.PARSE_ERROR] The input schema \"a INT,\" is not a valid schema string."));
  m = t_bind_err(env, "from_json(s, s)");
  assert_non_null(strstr(m, "[INVALID_SCHEMA.NON_STRING_LITERAL] The input schema \"s\" is not a valid schema "
                            "string. The input expression must be string literal and not null."));
  m = t_bind_err(env, "from_json(s, 'a MAP<STRING, INT>')");
  assert_non_null(strstr(m, "[INVALID_SCHEMA.PARSE_ERROR]"));
  m = t_bind_err(env, "from_json(s, 'a INT', 'mode')");
  assert_non_null(strstr(m, "[INVALID_OPTIONS.NON_MAP_FUNCTION] Invalid options: Must use the map() function for "
                            "options."));
  m = t_bind_err(env, "from_json(s, 'a INT', map('mode', 1))");
  assert_non_null(strstr(m, "[INVALID_OPTIONS.NON_STRING_TYPE]"));
  m = t_bind_err(env, "from_json(s, 'a INT', map('mode'))");
  assert_non_null(strstr(m, "The `map` requires 2n (n > 0) parameters"));
  m = t_bind_err(env, "from_json(s, 'a INT', map('mode', 'DROPMALFORMED'))");
  assert_non_null(strstr(m, "[PARSE_MODE_UNSUPPORTED] The function `from_json` doesn't support the DROPMALFORMED "
                            "mode. Acceptable modes are PERMISSIVE and FAILFAST."));
  m = t_bind_err(env, "from_json(s, 'a INT', map('mode', 'LAX'))");
  assert_non_null(strstr(m, "unknown parse mode 'LAX'"));
  m = t_bind_err(env, "from_json(s, 'a INT', map('timeZone', 'Mars/Base'))");
  assert_non_null(strstr(m, "[INVALID_TIMEZONE]"));
  m = t_bind_err(env, "from_json(s)");
  assert_non_null(strstr(m, "The `from_json` requires [2, 3] parameters but the actual number is 1."));
  m = t_bind_err(env, "from_json(st, 'a INT')");
  assert_non_null(strstr(m, "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE]"));
  m = t_bind_err(env, "from_json(s, 'a INT', map('mode', 'FAILFAST', 'mode', 'PERMISSIVE'))");
  assert_non_null(strstr(m, "[DUPLICATED_MAP_KEY] Duplicate map key mode was found"));
  /* unknown options are ignored, as Spark does */
  assert_string_equal(t_bind_err(env, "from_json(s, 'a INT', map('allowComments', 'true'))"), "");
}

static void test_to_json(void **state) {
  t_env *env = *state;
  assert_string_equal(t_type(env, "to_json(st)"), "string");
  /* NULL fields are dropped (ignoreNullFields); a NULL struct gives NULL */
  assert_string_equal(t_eval(env, "to_json(st)"), "{\"x\":1,\"y\":{\"z\":\"a\"}}|{\"x\":2}|null|{\"y\":{\"z\":\"d\"}}");
  assert_string_equal(t_eval(env, "to_json(st, map('ignoreNullFields', 'false'))"),
                      "{\"x\":1,\"y\":{\"z\":\"a\"}}|{\"x\":2,\"y\":null}|null|{\"x\":null,\"y\":{\"z\":\"d\"}}");
  /* nested arrays, NULL elements stay, doubles as Java prints them, timestamps ISO */
  assert_string_equal(t_eval(env, "to_json(named_struct('arr', arr, 'n', array(arr, arr), 'd', d, 's', s))"),
                      "{\"arr\":[1,2,3],\"n\":[[1,2,3],[1,2,3]],\"d\":1.5,\"s\":\"hello world\"}|"
                      "{\"arr\":[],\"n\":[[],[]],\"d\":-0.5,\"s\":\"Foo,bar,,baz\"}|"
                      "{\"n\":[null,null]}|"
                      "{\"arr\":[4,null],\"n\":[[4,null],[4,null]],\"d\":2.675,\"s\":\"\"}");
  assert_string_equal(t_eval(env, "to_json(named_struct('ts', ts, 'dt', dt, 'b', b))"),
                      "{\"ts\":\"2019-05-20T10:05:00.000Z\",\"dt\":\"2019-05-20\",\"b\":true}|"
                      "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"dt\":\"1970-01-01\",\"b\":false}|{}|"
                      "{\"ts\":\"2020-02-29T23:59:59.500Z\",\"dt\":\"2020-02-29\",\"b\":true}");
  assert_string_equal(t_eval(env, "to_json(named_struct('ts', ts), map('timestampFormat', 'yyyy-MM-dd HH:mm', "
                                  "'timeZone', 'Asia/Kolkata'))"),
                      "{\"ts\":\"2019-05-20 15:35\"}|{\"ts\":\"1970-01-01 05:30\"}|{}|{\"ts\":\"2020-03-01 05:29\"}");
  /* arrays at the top level; strings escaped */
  assert_string_equal(t_eval(env, "to_json(arr)"), "[1,2,3]|[]|null|[4,null]");
  assert_string_equal(t_eval(env, "to_json(named_struct('q', 'a\"b\\\\c\\n'))"),
                      "{\"q\":\"a\\\"b\\\\c\\n\"}|{\"q\":\"a\\\"b\\\\c\\n\"}|{\"q\":\"a\\\"b\\\\c\\n\"}|"
                      "{\"q\":\"a\\\"b\\\\c\\n\"}");
  const char *m = t_bind_err(env, "to_json(i)");
  assert_non_null(strstr(m, "[DATATYPE_MISMATCH.INVALID_JSON_SCHEMA] Cannot resolve \"to_json(i)\" due to data type "
                            "mismatch: Input schema \"INT\" must be a struct or an array."));
  m = t_bind_err(env, "to_json(st, map('timestampFormat', 'yyyy-qq-bogus'))");
  assert_non_null(strstr(m, "[INVALID_DATETIME_PATTERN]"));
  m = t_bind_err(env, "to_json(st, 'x')");
  assert_non_null(strstr(m, "[INVALID_OPTIONS.NON_MAP_FUNCTION]"));
}

static void test_round_trip(void **state) {
  t_env *env = *state;
  /* from_json(to_json(x)) == x for the nested struct, the array and a mixed struct */
  assert_string_equal(t_eval(env, "from_json(to_json(st), 'x INT, y STRUCT<z: STRING>')"),
                      "{1, {a}}|{2, null}|null|{null, {d}}");
  assert_string_equal(t_eval(env, "from_json(to_json(st), 'x INT, y STRUCT<z: STRING>') <=> st"),
                      "true|true|true|true");
  assert_string_equal(t_eval(env, "from_json(to_json(arr), 'ARRAY<INT>')"), "[1, 2, 3]|[]|null|[4, null]");
  const char *q = "from_json(to_json(named_struct('i', i, 'd', d, 'ts', ts, 'dt', dt, 'tags', split(s, ','))), "
                  "'i INT, d DOUBLE, ts TIMESTAMP, dt DATE, tags ARRAY<STRING>')";
  assert_string_equal(t_eval(env, q),
                      "{1, 1.5, 2019-05-20 10:05:00, 2019-05-20, [hello world]}|"
                      "{-2, -0.5, 1970-01-01 00:00:00, 1970-01-01, [Foo, bar, , baz]}|"
                      "{null, null, null, null, null}|"
                      "{2147483647, 2.675, 2020-02-29 23:59:59.5, 2020-02-29, []}");
  /* to_json(from_json(doc)) re-encodes compactly, dropping missing fields */
  assert_string_equal(t_eval(env, "to_json(from_json(" DOCS_ ", " SCHEMA_ "))"),
                      "{\"a\":7,\"b\":{\"c\":\"x\",\"d\":[1.5,null]},\"e\":[{\"f\":true}]}|{\"a\":8}|null|"
                      "{\"a\":9,\"b\":{\"d\":[]},\"e\":[{\"f\":false},{},null]}");
  /* folding: all-literal calls become literals at bind time */
  assert_string_equal(t_eval(env, "to_json(from_json('{\"b\": [1, 2], \"a\": \"v\"}', 'a STRING, b ARRAY<INT>'))"),
                      "{\"a\":\"v\",\"b\":[1,2]}|{\"a\":\"v\",\"b\":[1,2]}|{\"a\":\"v\",\"b\":[1,2]}|"
                      "{\"a\":\"v\",\"b\":[1,2]}");
}

static void test_default_names(void **state) {
  t_env *env = *state;
  /* Spark's JsonToStructs/StructsToJson have only the input as a child */
  assert_string_equal(t_name(env, "from_json(CAST(value AS STRING), 'a INT', map('mode', 'FAILFAST'))", false),
                      "from_json(CAST(value AS STRING))");
  assert_string_equal(t_name(env, "to_json(named_struct('a', s))", true), "to_json(named_struct(a, s))");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_from_json_nested, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_from_json_missing_and_null, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_from_json_malformed, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_from_json_bind_errors, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_to_json, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_round_trip, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_default_names, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
