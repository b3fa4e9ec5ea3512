/* test_expr_avro.c - to_avro / from_avro (src/expr/fn_avro.c): the raw Avro binary
 * encoding against hand-computed bytes (the Avro spec: zig-zag varints, length-prefixed
 * strings, little-endian doubles, union branch indexes, array blocks), Spark's derived
 * schema (topLevelRecord, nested namespaces, ["type","null"] unions), round trips of
 * nested records / arrays / NULLs through the fixed test batch, decoding of
 * writer-produced bytes (block-encoded arrays with byte sizes, ["null", T] unions,
 * enum, fixed, timestamp-millis, float), malformed input in FAILFAST (the default) and
 * PERMISSIVE mode, and bind-time errors. (fastavro is not packaged for Debian, so the
 * expected bytes are computed by hand here and cross-checked by the e2e test's own
 * decoder.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "expr/expr_internal.h"
#include "expr_test_util.h"

/* Replace the test batch by one BINARY column `bin` holding rows[0..n) (len < 0: NULL). */
typedef struct raw_row {
  const char *p;
  int len;
} raw_row;

static void use_binary_rows_(t_env *env, const raw_row *rows, int n) {
  sp_batch_free(env->batch);
  sp_type_unref(env->schema);
  env->schema = sp_type_struct_new(1);
  sp_type_struct_set(env->schema, 0, "bin", sp_type_prim(SP_BINARY), true);
  env->batch = sp_batch_new(env->schema, n);
  for (int i = 0; i < n; i++) {
    if (rows[i].len < 0)
      sp_vec_append_null(env->batch->cols[0]);
    else
      sp_vec_append_str(env->batch->cols[0], rows[i].p, rows[i].len);
  }
  sp_batch_finish(env->batch);
}

/* The schema a bound to_avro/from_avro call uses. */
static const char *schema_of_(t_env *env, const char *text) {
  sp_ast_script *h;
  sp_expr *e;
  env->out[0] = 0;
  if (t_bind(env, text, &h, &e) == 0) {
    const char *s = sp_avro_fn_schema(e->fn_data);
    snprintf(env->out, sizeof env->out, "%s", s ? s : "(none)");
  } else {
    snprintf(env->out, sizeof env->out, "ERR: %s", env->err.message);
  }
  sp_expr_free(e);
  sp_ast_script_free(h);
  return env->out;
}

static void test_to_avro_bytes(void **state) {
  t_env *env = *state;
  /* record {a: int, b: string}: a=1 -> 02, b="x" -> 02 78 */
  assert_string_equal(t_eval(env, "to_avro(named_struct('a', 1, 'b', 'x'))"),
                      "[02 02 78]|[02 02 78]|[02 02 78]|[02 02 78]");
  /* nullable field -> ["int","null"]: branch 0 then the value; NULL -> branch 1 (02) */
  assert_string_equal(t_eval(env, "to_avro(named_struct('i', i))"),
                      "[00 02]|[00 03]|[02]|[00 FE FF FF FF 0F]");
  /* long zig-zag, double little-endian (1.5 = 3FF8000000000000), boolean */
  assert_string_equal(t_eval(env, "to_avro(named_struct('l', 10L, 'd', 1.5D, 'b', true))"),
                      "[14 00 00 00 00 00 00 F8 3F 01]|[14 00 00 00 00 00 00 F8 3F 01]|"
                      "[14 00 00 00 00 00 00 F8 3F 01]|[14 00 00 00 00 00 00 F8 3F 01]");
  /* arrays: one block (count, items) then 0; an empty array is just 0 */
  assert_string_equal(t_eval(env, "to_avro(named_struct('arr', arr))"),
                      "[00 06 00 02 00 04 00 06 00]|[00 00]|[02]|[00 04 00 08 02 00]");
  /* a top-level non-struct value; explicit schema; NULL input gives NULL */
  assert_string_equal(t_eval(env, "to_avro(l)"), "[00 14]|[00 28]|[00 3C]|null");
  assert_string_equal(t_eval(env, "to_avro(l, '[\"null\", \"long\"]')"), "[02 14]|[02 28]|[02 3C]|null");
  assert_string_equal(t_eval(env, "to_avro(42)"), "[54]|[54]|[54]|[54]");
  /* timestamp-micros and date by default; timestamp-millis scales */
  assert_string_equal(t_eval(env, "to_avro(named_struct('t', TIMESTAMP '1970-01-01 00:00:00.000002'))"),
                      "[04]|[04]|[04]|[04]");
  assert_string_equal(
      t_eval(env, "to_avro(named_struct('t', TIMESTAMP '1970-01-01 00:00:00.002'), "
                  "'{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"t\",\"type\":"
                  "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}')"),
      "[04]|[04]|[04]|[04]");
  assert_string_equal(t_eval(env, "to_avro(named_struct('d', DATE '1970-01-03'))"), "[04]|[04]|[04]|[04]");
  /* fields are matched by name; an Avro field missing from the struct that is nullable is written null */
  assert_string_equal(
      t_eval(env, "to_avro(named_struct('b', 'x', 'a', 1), '{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                  "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"z\",\"type\":[\"null\",\"int\"]},"
                  "{\"name\":\"b\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"w\",\"x\"]}}]}')"),
      "[02 00 02]|[02 00 02]|[02 00 02]|[02 00 02]");
}

static void test_derived_schema(void **state) {
  t_env *env = *state;
  assert_string_equal(
      schema_of_(env, "to_avro(named_struct('a', 1, 'st', st, 'arr', arr, 'ts', ts, 'dt', dt))"),
      "{\"type\":\"record\",\"name\":\"topLevelRecord\",\"fields\":["
      "{\"name\":\"a\",\"type\":\"int\"},"
      "{\"name\":\"st\",\"type\":[{\"type\":\"record\",\"name\":\"st\",\"namespace\":\"topLevelRecord\",\"fields\":["
      "{\"name\":\"x\",\"type\":[\"int\",\"null\"]},"
      "{\"name\":\"y\",\"type\":[{\"type\":\"record\",\"name\":\"y\",\"namespace\":\"topLevelRecord.st\",\"fields\":["
      "{\"name\":\"z\",\"type\":[\"string\",\"null\"]}]},\"null\"]}]},\"null\"]},"
      "{\"name\":\"arr\",\"type\":[{\"type\":\"array\",\"items\":[\"int\",\"null\"]},\"null\"]},"
      "{\"name\":\"ts\",\"type\":[{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"},\"null\"]},"
      "{\"name\":\"dt\",\"type\":[{\"type\":\"int\",\"logicalType\":\"date\"},\"null\"]}]}");
  /* a nullable top-level value is a union too (Spark: toAvroType(dataType, nullable)) */
  assert_string_equal(schema_of_(env, "to_avro(s)"), "[\"string\",\"null\"]");
  /* from_avro's SQL type: unions with null -> nullable, logical types, enum -> string */
  assert_non_null(strstr(
      t_type(env, "from_avro(CAST(s AS BINARY), '{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                  "{\"name\":\"a\",\"type\":[\"null\",\"long\"]},{\"name\":\"t\",\"type\":{\"type\":\"long\","
                  "\"logicalType\":\"timestamp-micros\"}},{\"name\":\"d\",\"type\":{\"type\":\"int\","
                  "\"logicalType\":\"date\"}},{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\"]}},{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}},"
                  "{\"name\":\"g\",\"type\":{\"type\":\"array\",\"items\":\"float\"}},"
                  "{\"name\":\"h\",\"type\":\"r2\"}]}')"),
      "is not valid: Unknown Avro \"type\": r2"));
  assert_string_equal(
      t_type(env, "from_avro(CAST(s AS BINARY), '{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                  "{\"name\":\"a\",\"type\":[\"null\",\"long\"]},{\"name\":\"t\",\"type\":{\"type\":\"long\","
                  "\"logicalType\":\"timestamp-micros\"}},{\"name\":\"d\",\"type\":{\"type\":\"int\","
                  "\"logicalType\":\"date\"}},{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\"]}},{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}},"
                  "{\"name\":\"g\",\"type\":{\"type\":\"array\",\"items\":\"float\"}},"
                  "{\"name\":\"h\",\"type\":[\"null\",\"F\"]}]}')"),
      "struct<a:bigint,t:timestamp,d:date,e:string,f:binary,g:array<double>,h:binary>");
}

/* Every column of the fixed batch through to_avro and back: identical rows. */
#define RT_COLS_ "named_struct('i', i, 'l', l, 'd', d, 's', s, 'b', b, 'ts', ts, 'dt', dt, 'st', st, 'arr', arr, 'u', u)"

static void test_round_trip(void **state) {
  t_env *env = *state;
  char want[4096], schema[2048], q[8192];
  snprintf(want, sizeof want, "%s", t_eval(env, RT_COLS_));
  snprintf(schema, sizeof schema, "%s", schema_of_(env, "to_avro(" RT_COLS_ ")"));
  snprintf(q, sizeof q, "from_avro(to_avro(" RT_COLS_ "), '%s')", schema);
  assert_string_equal(t_eval(env, q), want);
  snprintf(q, sizeof q, "from_avro(to_avro(" RT_COLS_ ", '%s'), '%s')", schema, schema);
  assert_string_equal(t_eval(env, q), want);
  /* nested access on the result and NULL input */
  snprintf(q, sizeof q, "from_avro(to_avro(" RT_COLS_ "), '%s').st.y.z", schema);
  assert_string_equal(t_eval(env, q), "a|null|null|d");
  assert_string_equal(t_eval(env, "from_avro(NULL, '\"int\"')"), "null|null|null|null");
  /* a nested array of records with nulls */
  const char *arr_schema =
      "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"v\",\"type\":{\"type\":\"array\",\"items\":"
      "[\"null\",{\"type\":\"record\",\"name\":\"e\",\"fields\":[{\"name\":\"k\",\"type\":[\"string\",\"null\"]},"
      "{\"name\":\"n\",\"type\":{\"type\":\"array\",\"items\":\"long\"}}]}]}}]}";
  snprintf(q, sizeof q,
           "from_avro(to_avro(named_struct('v', array(named_struct('k', s, 'n', array(coalesce(l, 0L), 7L)), NULL)), '%s'), '%s')",
           arr_schema, arr_schema);
  assert_string_equal(t_eval(env, q), "{[{hello world, [10, 7]}, null]}|{[{Foo,bar,,baz, [20, 7]}, null]}|"
                                      "{[{null, [30, 7]}, null]}|{[{, [0, 7]}, null]}");
}

/* Bytes a writer could produce that to_avro never does: a block with a byte size,
 * two blocks, a ["null", T] union, enum, fixed, timestamp-millis, float. */
static void test_decode_writer_bytes(void **state) {
  t_env *env = *state;
  /* {"a": ["null","string"], "xs": array<int>, "e": enum{R,G,B}, "f": fixed(2), "t": timestamp-millis, "g": float} */
  /* xs encoded as: count -2 (03), byte size 2 (04), items 1 (02) and 2 (04), count 1 (02), item 3 (06), end (00) */
  static const char r1[] = {0x02, 0x04, 'h', 'i', 0x03, 0x04, 0x02, 0x04, 0x02, 0x06, 0x00, 0x04, 'z', 'y',
                            (char)0xD0, 0x0F, 0x00, 0x00, (char)0xC0, 0x3F};
  static const char r2[] = {0x00, 0x00, 0x00, 'a', 'b', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7F};
  raw_row rows[] = {{r1, (int)sizeof r1}, {r2, (int)sizeof r2}, {NULL, -1}};
  use_binary_rows_(env, rows, 3);
  const char *sch = "'{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                    "{\"name\":\"a\",\"type\":[\"null\",\"string\"]},"
                    "{\"name\":\"xs\",\"type\":{\"type\":\"array\",\"items\":\"int\"}},"
                    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"R\",\"G\",\"B\"]}},"
                    "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}},"
                    "{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
                    "{\"name\":\"g\",\"type\":\"float\"}]}'";
  char q[2048];
  snprintf(q, sizeof q, "from_avro(bin, %s)", sch);
  /* row 2: a null, xs empty, e R, f "ab", t 0, g 0.0f; the trailing 0x7F is ignored (as Avro's decoder) */
  assert_string_equal(t_eval(env, q),
                      "{hi, [1, 2, 3], B, [7A 79], 1970-01-01 00:00:01, 1.5}|"
                      "{null, [], R, [61 62], 1970-01-01 00:00:00, 0.0}|null");
}

static void test_malformed(void **state) {
  t_env *env = *state;
  static const char ok[] = {0x02, 0x02, 'x'};       /* {a: 1, b: "x"} */
  static const char trunc[] = {0x02, 0x06, 'x'};    /* b claims 3 bytes, has 1 */
  static const char neglen[] = {0x02, 0x01};        /* b length -1 */
  static const char badvar[] = {(char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, 0x01};
  raw_row rows[] = {{ok, 3}, {trunc, 3}, {neglen, 2}, {badvar, 6}, {"", 0}, {NULL, -1}};
  use_binary_rows_(env, rows, 6);
  const char *sch = "'{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
                    "{\"name\":\"b\",\"type\":\"string\"}]}'";
  char q[1024];
  snprintf(q, sizeof q, "from_avro(bin, %s, map('mode', 'PERMISSIVE'))", sch);
  assert_string_equal(t_eval(env, q), "{1, x}|null|null|null|null|null");
  snprintf(q, sizeof q, "from_avro(bin, %s, map('mode', 'permissive')).b", sch);
  assert_string_equal(t_eval(env, q), "x|null|null|null|null|null");
  /* FAILFAST is the default */
  snprintf(q, sizeof q, "from_avro(bin, %s)", sch);
  assert_string_equal(t_eval(env, q),
                      "ERR: [MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected in record "
                      "parsing: from_avro: row 1 (3 bytes): unexpected end of data. Parse Mode: FAILFAST. To process "
                      "malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'.");
  snprintf(q, sizeof q, "from_avro(bin, %s, map('mode', 'FAILFAST'))", sch);
  assert_non_null(strstr(t_eval(env, q), "MALFORMED_RECORD_IN_PARSING"));
  /* a bad union index and an int varint that runs past 5 bytes */
  raw_row rows2[] = {{"\x04\x02", 2}, {(const char *)badvar, 6}};
  use_binary_rows_(env, rows2, 2);
  assert_non_null(strstr(t_eval(env, "from_avro(bin, '[\"int\", \"null\"]')"), "invalid union branch index"));
  assert_string_equal(t_eval(env, "from_avro(bin, '[\"int\", \"null\"]', map('mode', 'PERMISSIVE'))"), "null|null");
  raw_row rows3[] = {{(const char *)badvar, 6}};
  use_binary_rows_(env, rows3, 1);
  assert_non_null(strstr(t_eval(env, "from_avro(bin, '\"int\"')"), "invalid int encoding"));
  assert_string_equal(t_eval(env, "from_avro(bin, '\"long\"')"), "-34359738368"); /* valid as a long */
}

static void test_bind_errors(void **state) {
  t_env *env = *state;
  assert_non_null(strstr(t_bind_err(env, "from_avro(CAST(s AS BINARY), '{\"type\": \"nope\"}')"),
                         "[INVALID_SCHEMA.PARSE_ERROR]"));
  assert_non_null(strstr(t_bind_err(env, "from_avro(CAST(s AS BINARY), 'not json')"), "[INVALID_SCHEMA.PARSE_ERROR]"));
  assert_non_null(strstr(t_bind_err(env, "from_avro(CAST(s AS BINARY), '\"int\"', map('mode', 'DROPMALFORMED'))"),
                      "[PARSE_MODE_UNSUPPORTED] The function `from_avro` doesn't support the DROPMALFORMED mode. "
                      "Acceptable modes are PERMISSIVE and FAILFAST."));
  assert_non_null(strstr(t_bind_err(env, "to_avro(named_struct('a', s), '{\"type\":\"record\",\"name\":\"r\","
                                      "\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}')"),
                      "[AVRO_INCOMPATIBLE_WRITE_TYPE] Cannot convert SQL type STRING at the top level.a to Avro type "
                      "\"int\"."));
  assert_non_null(strstr(t_bind_err(env, "to_avro(named_struct('q', 1), '{\"type\":\"record\",\"name\":\"r\","
                                         "\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}')"),
                         "Cannot find field \"q\""));
  assert_non_null(strstr(t_bind_err(env, "to_avro(named_struct('a', 1, 'q', 2), '{\"type\":\"record\",\"name\":"
                                         "\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\","
                                         "\"type\":\"int\"}]}')"),
                         "Cannot find field \"q\""));
  assert_non_null(strstr(t_bind_err(env, "from_avro(CAST(s AS BINARY), '{\"type\":\"map\",\"values\":\"int\"}')"),
                         "not supported"));
  assert_non_null(strstr(t_bind_err(env, "from_avro(CAST(s AS BINARY), '[\"int\", \"string\"]')"),
                         "Unsupported Avro union"));
  assert_non_null(strstr(t_bind_err(env, "from_avro(CAST(s AS BINARY), '{\"type\":\"record\",\"name\":\"n\","
                                         "\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"n\"]}]}')"),
                         "recursive reference"));
  assert_non_null(strstr(t_bind_err(env, "from_avro(CAST(s AS BINARY), s)"), "[INVALID_SCHEMA.NON_STRING_LITERAL]"));
  /* runtime: NULL into a non-nullable Avro field */
  assert_non_null(strstr(t_eval(env, "to_avro(named_struct('a', i), '{\"type\":\"record\",\"name\":\"r\","
                                     "\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}')"),
                         "cannot write null to the non-nullable Avro field a"));
}

/* Job files read a schema file through ${file:var} (src/sql/vars.c). */
static void test_file_var(void **state) {
  (void)state;
  char path[] = "/tmp/spate-avro-schema-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("{\"type\": \"int\"}", f);
  fclose(f);
  const char *names[] = {"schema"}, *values[] = {path};
  char *out = NULL;
  spate_error err;
  spate_error_clear(&err);
  assert_int_equal(sp_substitute_vars("SELECT from_avro(v, '${file:schema}') -- ${file:nope}\n, '${schema}'", names,
                                      values, 1, &out, &err),
                   0);
  char want[512];
  snprintf(want, sizeof want, "SELECT from_avro(v, '{\"type\": \"int\"}') -- ${file:nope}\n, '%s'", path);
  assert_string_equal(out, want);
  free(out);
  assert_int_equal(sp_substitute_vars("x '${file:other}'", names, values, 1, &out, &err), SPATE_EINVAL);
  assert_non_null(strstr(err.message, "undefined variable ${other}"));
  unlink(path);
  assert_int_equal(sp_substitute_vars("x '${file:schema}'", names, values, 1, &out, &err), SPATE_EINVAL);
  assert_non_null(strstr(err.message, "cannot read the file"));
  assert_int_equal(sp_substitute_vars("x '${file:}'", names, values, 1, &out, &err), SPATE_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_to_avro_bytes, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_derived_schema, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_round_trip, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_decode_writer_bytes, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_malformed, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_bind_errors, t_setup, t_teardown),
      cmocka_unit_test(test_file_var),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
