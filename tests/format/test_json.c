/* test_json.c - unit tests for the JSON format: inference, decoding (three parse
 * modes, type mapping), encoding, from_json / to_json, and a throughput print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/valfmt.h"
#include "format/format.h"
#include "format/format_internal.h"

/* Seed data lives beside the checkout (ctest sets SPATE_SEED_DIR). */
static const char *seed_path_(const char *rel) {
  static char path[4096];
  const char *dir = getenv("SPATE_SEED_DIR");
  snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/seed-demos", rel);
  return path;
}
#define SEED seed_path_("02-FileStreamDemo/Invoice-set1.json")

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  size_t r = fread(buf, 1, (size_t)n, f);
  fclose(f);
  buf[r] = '\0';
  *len = r;
  return buf;
}

static sp_type *parse_schema(const char *spec) {
  /* tiny helper: "name:type,..." with types int bigint double string boolean timestamp date binary */
  int n = 1;
  for (const char *p = spec; *p; p++) n += *p == ',';
  sp_type *st = sp_type_struct_new(n);
  char buf[512];
  snprintf(buf, sizeof buf, "%s", spec);
  char *save = NULL;
  int i = 0;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), i++) {
    char *colon = strchr(tok, ':');
    *colon = '\0';
    const char *t = colon + 1;
    sp_type_id id = strcmp(t, "int") == 0         ? SP_INT
                    : strcmp(t, "bigint") == 0    ? SP_BIGINT
                    : strcmp(t, "double") == 0    ? SP_DOUBLE
                    : strcmp(t, "boolean") == 0   ? SP_BOOLEAN
                    : strcmp(t, "timestamp") == 0 ? SP_TIMESTAMP
                    : strcmp(t, "date") == 0      ? SP_DATE
                    : strcmp(t, "binary") == 0    ? SP_BINARY
                                                  : SP_STRING;
    sp_type_struct_set(st, i, tok, sp_type_prim(id), true);
  }
  return st;
}

static char *show(const sp_batch *b) {
  sp_buf out;
  sp_buf_init(&out);
  sp_show_format(b, 100, 0, NULL, &out);
  return sp_buf_steal(&out);
}

static void assert_str_cell(const sp_vec *v, int64_t i, const char *want) {
  if (!want) {
    assert_true(sp_vec_is_null(v, i));
    return;
  }
  assert_false(sp_vec_is_null(v, i));
  int32_t len;
  const char *p = sp_vec_str(v, i, &len);
  assert_int_equal(len, (int)strlen(want));
  assert_memory_equal(p, want, (size_t)len);
}

/* ---------------------------------------------------------------- inference */

static void test_infer_seed(void **state) {
  (void)state;
  size_t len = 0;
  char *buf = read_file(SEED, &len);
  assert_non_null(buf);
  sp_type *st = NULL;
  spate_error err = {0};
  assert_int_equal(sp_json_infer_schema(buf, len, SEED, &st, &err), 0);
  char s[2048];
  sp_type_to_string(st, s, sizeof s);
  assert_string_equal(s,
                      "struct<CESS:double,CGST:double,CashierID:string,CreatedTime:bigint,CustomerCardNo:string,"
                      "CustomerType:string,DeliveryAddress:struct<AddressLine:string,City:string,ContactNumber:string,"
                      "PinCode:string,State:string>,DeliveryType:string,InvoiceLineItems:array<struct<ItemCode:string,"
                      "ItemDescription:string,ItemPrice:double,ItemQty:bigint,TotalValue:double>>,InvoiceNumber:string,"
                      "NumberOfItems:bigint,PaymentMethod:string,PosID:string,SGST:double,StoreID:string,"
                      "TaxableAmount:double,TotalAmount:double>");
  for (int i = 0; i < st->nfields; i++) assert_true(st->fields[i].nullable);
  sp_type_unref(st);
  free(buf);
}

static void check_infer(const char *text, const char *want) {
  sp_type *st = NULL;
  spate_error err = {0};
  assert_int_equal(sp_json_infer_schema(text, strlen(text), "t", &st, &err), 0);
  char s[1024];
  sp_type_to_string(st, s, sizeof s);
  assert_string_equal(s, want);
  sp_type_unref(st);
}

static void test_infer_rules(void **state) {
  (void)state;
  check_infer("{\"a\":1}\n{\"a\":1.5}\n", "struct<a:double>");
  check_infer("{\"a\":1}\n{\"a\":\"x\"}\n", "struct<a:string>");
  check_infer("{\"a\":null}\n", "struct<a:string>");
  check_infer("{\"a\":true,\"b\":null}\n{\"b\":false}", "struct<a:boolean,b:boolean>");
  check_infer("{\"a\":{},\"b\":1}\n", "struct<b:bigint>");
  check_infer("{\"a\":[{}],\"b\":1}\n", "struct<b:bigint>");
  check_infer("{\"a\":[]}\n", "struct<a:array<string>>");
  check_infer("{\"a\":[1,2.5]}\n", "struct<a:array<double>>");
  check_infer("{\"a\":[1,\"x\"]}\n", "struct<a:array<string>>");
  check_infer("{\"a\":{\"b\":1}}\n{\"a\":2}\n", "struct<a:string>");
  check_infer("{\"a\":{\"y\":1}}\n{\"a\":{\"x\":\"s\",\"y\":2.0}}\n", "struct<a:struct<x:string,y:double>>");
  check_infer("{\"b\":1,\"a\":2,\"B\":3,\"_x\":4}\n", "struct<B:bigint,_x:bigint,a:bigint,b:bigint>");
  check_infer("{\"a\":1}\n{broken\n\n", "struct<_corrupt_record:string,a:bigint>");
  check_infer("{\"a\":1}\n5\nnull\n", "struct<_corrupt_record:string,a:bigint>");
  check_infer("null\n\n", "struct<>");
  check_infer("[{\"a\":1},{\"b\":\"x\"}]\n", "struct<a:bigint,b:string>");
  check_infer("{\"big\":18446744073709551615}\n", "struct<big:double>");
  /* merging with a previous schema */
  sp_type *st = NULL;
  spate_error err = {0};
  const char *t1 = "{\"a\":1,\"c\":{\"x\":1}}\n";
  const char *t2 = "{\"a\":2.5,\"b\":\"s\",\"c\":{\"y\":true}}\n";
  assert_int_equal(sp_json_infer_schema(t1, strlen(t1), "t", &st, &err), 0);
  assert_int_equal(sp_json_infer_schema(t2, strlen(t2), "t", &st, &err), 0);
  char s[256];
  sp_type_to_string(st, s, sizeof s);
  assert_string_equal(s, "struct<a:double,b:string,c:struct<x:bigint,y:boolean>>");
  sp_type_unref(st);
}


/* JSON strings out: escapes as Spark's writer; valid UTF-8 kept, invalid bytes become
 * U+FFFD (what Spark's Java strings hold after decoding the input). */
static void test_json_string_utf8(void **state) {
  (void)state;
  sp_buf b;
  sp_buf_init(&b);
  const char in[] = "a\"\n\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80|\xFF|\xC3|\xED\xA0\x80|\xC0\xAF|\x01";
  sp_fmt_json_string(&b, in, sizeof in - 1);
  sp_buf_putc(&b, 0);
  assert_string_equal(b.data, "\"a\\\"\\n\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80|\xEF\xBF\xBD|\xEF\xBF\xBD|"
                              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|\\u0001\"");
  sp_buf_free(&b);
}
/* ---------------------------------------------------------------- decoding */

/* Column pruning: pruned fields come out null (not parsed, even when their value
 * has the wrong type), the others exactly as without pruning; two calls append. */
static void test_decode_prune(void **state) {
  (void)state;
  const char *text = "{\"a\":1,\"b\":\"x\",\"c\":{\"d\":2}}\n"
                     "{\"a\":2,\"b\":[1,2],\"c\":null}\n"
                     "not json\n";
  sp_type *inner = sp_type_struct_new(1);
  sp_type_struct_set(inner, 0, "d", sp_type_prim(SP_INT), true);
  sp_type *st = sp_type_struct_new(3);
  sp_type_struct_set(st, 0, "a", sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(st, 1, "b", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 2, "c", inner, true);
  bool prune[3] = {false, true, true};
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.mode = SP_MODE_DROPMALFORMED;
  o.prune = prune;
  sp_batch *b = sp_batch_new(st, 0);
  spate_error err = {0};
  sp_decode_stats stats = {0};
  assert_int_equal(sp_json_decode_lines(text, strlen(text), &o, "t.json", 1, b, &stats, &err), 0);
  assert_int_equal(sp_json_decode_lines(text, strlen(text), &o, "t.json", 1, b, &stats, &err), 0);
  assert_int_equal(stats.malformed, 2);
  assert_int_equal(sp_batch_finish(b), 0);
  assert_int_equal(b->nrows, 4);
  for (int c = 0; c < 3; c++) assert_int_equal(b->cols[c]->length, 4);
  int64_t want[4] = {1, 2, 1, 2};
  for (int i = 0; i < 4; i++) {
    assert_false(sp_vec_is_null(b->cols[0], i));
    assert_int_equal(sp_vec_i64(b->cols[0])[i], want[i]);
    assert_true(sp_vec_is_null(b->cols[1], i));
    assert_true(sp_vec_is_null(b->cols[2], i));
    assert_true(sp_vec_is_null(b->cols[2]->children[0], i));
  }
  assert_int_equal(b->cols[1]->null_count, 4);
  sp_batch_free(b);
  sp_type_unref(st);
}

static void test_decode_seed(void **state) {
  (void)state;
  size_t len = 0;
  char *buf = read_file(SEED, &len);
  assert_non_null(buf);
  sp_type *st = NULL;
  spate_error err = {0};
  assert_int_equal(sp_json_infer_schema(buf, len, SEED, &st, &err), 0);
  sp_batch *b = sp_batch_new(st, 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  sp_decode_stats stats = {0};
  assert_int_equal(sp_json_decode_lines(buf, len, &o, SEED, 1, b, &stats, &err), 0);
  /* 499 newlines, the last record has none: 500 records */
  assert_int_equal(b->nrows, 500);
  assert_int_equal(stats.records, 500);
  assert_int_equal(stats.malformed, 0);
  assert_int_equal(stats.bytes, (int64_t)len);
  assert_int_equal(sp_batch_finish(b), 0);
  int inv = sp_type_field_index(st, "InvoiceNumber"), ct = sp_type_field_index(st, "CreatedTime");
  int cess = sp_type_field_index(st, "CESS"), addr = sp_type_field_index(st, "DeliveryAddress");
  int items = sp_type_field_index(st, "InvoiceLineItems"), nitems = sp_type_field_index(st, "NumberOfItems");
  assert_str_cell(b->cols[inv], 0, "51402977");
  assert_int_equal(sp_vec_i64(b->cols[ct])[0], 1595688900348LL);
  assert_true(sp_vec_f64(b->cols[cess])[0] == 13.8925);
  assert_true(sp_vec_is_null(b->cols[addr], 0));
  assert_false(sp_vec_is_null(b->cols[addr], 1));
  assert_str_cell(b->cols[addr]->children[1], 1, "Shivapuri"); /* City */
  assert_str_cell(b->cols[addr]->children[3], 1, "561012");    /* PinCode */
  const sp_vec *it = b->cols[items];
  assert_int_equal(it->offsets[1] - it->offsets[0], 4);
  const sp_vec *elem = it->children[0];
  assert_str_cell(elem->children[1], 0, "Wine glass");
  assert_true(sp_vec_f64(elem->children[2])[0] == 1644.0);
  assert_int_equal(sp_vec_i64(elem->children[3])[0], 2);
  /* every row's item count matches NumberOfItems */
  for (int64_t r = 0; r < b->nrows; r++)
    assert_int_equal(it->offsets[r + 1] - it->offsets[r], sp_vec_i64(b->cols[nitems])[r]);
  /* last record */
  assert_str_cell(b->cols[inv], 499, "82078073");
  sp_batch_free(b);
  sp_type_unref(st);
  free(buf);
}

static const char *MIXED =
    "{\"a\":1,\"b\":\"x\"}\n"
    "{\"a\":\"bad\",\"b\":\"y\"}\n"
    "{broken\r\n"
    "\n"
    "[{\"a\":2},{\"a\":3,\"b\":\"z\"}]\n"
    "5\n"
    "{\"a\":4}";

static sp_batch *decode_mixed(sp_parse_mode mode, int *rc, sp_decode_stats *stats, spate_error *err) {
  sp_type *st = parse_schema("a:int,b:string,_corrupt_record:string");
  sp_batch *b = sp_batch_new(st, 0);
  sp_type_unref(st);
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.mode = mode;
  *rc = sp_json_decode_lines(MIXED, strlen(MIXED), &o, "in.json", 1, b, stats, err);
  return b;
}

static void test_decode_modes(void **state) {
  (void)state;
  int rc;
  sp_decode_stats stats = {0};
  spate_error err = {0};
  sp_batch *b = decode_mixed(SP_MODE_PERMISSIVE, &rc, &stats, &err);
  assert_int_equal(rc, 0);
  assert_int_equal(sp_batch_finish(b), 0);
  assert_int_equal(stats.records, 6);
  assert_int_equal(stats.malformed, 3);
  char *s = show(b);
  assert_string_equal(s,
                      "+----+----+-------------------+\n"
                      "|a   |b   |_corrupt_record    |\n"
                      "+----+----+-------------------+\n"
                      "|1   |x   |null               |\n"
                      "|null|y   |{\"a\":\"bad\",\"b\":\"y\"}|\n"
                      "|null|null|{broken            |\n"
                      "|2   |null|null               |\n"
                      "|3   |z   |null               |\n"
                      "|null|null|5                  |\n"
                      "|4   |null|null               |\n"
                      "+----+----+-------------------+\n"
                      "\n");
  free(s);
  sp_batch_free(b);

  memset(&stats, 0, sizeof stats);
  b = decode_mixed(SP_MODE_DROPMALFORMED, &rc, &stats, &err);
  assert_int_equal(rc, 0);
  assert_int_equal(sp_batch_finish(b), 0);
  assert_int_equal(stats.malformed, 3);
  s = show(b);
  assert_string_equal(s,
                      "+---+----+---------------+\n"
                      "|a  |b   |_corrupt_record|\n"
                      "+---+----+---------------+\n"
                      "|1  |x   |null           |\n"
                      "|2  |null|null           |\n"
                      "|3  |z   |null           |\n"
                      "|4  |null|null           |\n"
                      "+---+----+---------------+\n"
                      "\n");
  free(s);
  sp_batch_free(b);

  memset(&stats, 0, sizeof stats);
  b = decode_mixed(SP_MODE_FAILFAST, &rc, &stats, &err);
  assert_int_equal(rc, SPATE_EMALFORMED);
  assert_int_equal(err.code, SPATE_EMALFORMED);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. in.json:2: Cannot "
                      "parse the field name 'a' and the value \"bad\" of the JSON token type VALUE_STRING to target "
                      "Spark data type \"INT\".");
  assert_int_equal(stats.malformed, 1);
  sp_batch_free(b);

  /* FAILFAST on an unparsable line, with a first_line offset */
  sp_type *st = parse_schema("a:int");
  b = sp_batch_new(st, 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.mode = SP_MODE_FAILFAST;
  const char *txt = "{\"a\":1}\n\n{broken\n";
  rc = sp_json_decode_lines(txt, strlen(txt), &o, "/data/f.json", 41, b, NULL, &err);
  assert_int_equal(rc, SPATE_EMALFORMED);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. /data/f.json:43: The "
                      "JSON document has an improper structure: missing or superfluous commas, braces, missing keys, "
                      "etc.");
  sp_batch_free(b);
  /* PERMISSIVE without a corrupt column keeps an all-null row */
  b = sp_batch_new(st, 0);
  o.mode = SP_MODE_PERMISSIVE;
  assert_int_equal(sp_json_decode_lines(txt, strlen(txt), &o, "f", 1, b, NULL, &err), 0);
  assert_int_equal(b->nrows, 2);
  assert_true(sp_vec_is_null(b->cols[0], 1));
  sp_batch_free(b);
  sp_type_unref(st);
}

static void test_decode_types(void **state) {
  (void)state;
  sp_type *inner = sp_type_struct_new(2);
  sp_type_struct_set(inner, 0, "x", sp_type_prim(SP_INT), true);
  sp_type_struct_set(inner, 1, "y", sp_type_prim(SP_STRING), true);
  sp_type *st = sp_type_struct_new(13);
  sp_type_struct_set(st, 0, "i", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 1, "l", sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(st, 2, "d", sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(st, 3, "s", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 4, "b", sp_type_prim(SP_BOOLEAN), true);
  sp_type_struct_set(st, 5, "t", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 6, "dt", sp_type_prim(SP_DATE), true);
  sp_type_struct_set(st, 7, "bin", sp_type_prim(SP_BINARY), true);
  sp_type_struct_set(st, 8, "st", sp_type_ref(inner), true);
  sp_type_struct_set(st, 9, "ai", sp_type_array_new(sp_type_prim(SP_INT), true), true);
  sp_type_struct_set(st, 10, "as", sp_type_array_new(sp_type_ref(inner), true), true);
  sp_type_struct_set(st, 11, "n", sp_type_prim(SP_NULL), true);
  sp_type_struct_set(st, 12, "_corrupt_record", sp_type_prim(SP_STRING), true);
  sp_type_unref(inner);
  const char *txt =
      /* 0: all good; unknown field and duplicate key (last wins) */
      "{\"i\":-5,\"l\":9007199254740993,\"d\":1,\"s\":\"a\\\"b\\u00e9\\n\",\"b\":true,\"t\":\"2020-07-25 14:55:00\","
      "\"dt\":\"2020-07-25\",\"bin\":\"QUI=\",\"st\":{\"x\":1,\"y\":\"q\"},\"ai\":[1,null,3],"
      "\"as\":[{\"x\":5},null],\"zz\":{\"deep\":[1]},\"i\":7,\"n\":1}\n"
      /* 1: wrong types everywhere -> nulls, nested struct partial, array of ints NULL */
      "{\"i\":1.0,\"l\":\"7\",\"d\":\"NaN\",\"s\":{\"k\" : [1, 2]},\"b\":0,\"t\":1595688900,\"dt\":\"bad\","
      "\"st\":{\"x\":\"no\",\"y\":\"kept\"},\"ai\":[1,\"x\"],\"as\":[{\"x\":\"no\",\"y\":\"p\"}]}\n"
      /* 2: overflow int, raw number text for a string, Infinity string */
      "{\"i\":2147483648,\"s\":1.50,\"d\":\"-Infinity\",\"t\":\"2020-07-25T14:55:00.348+01:00\",\"dt\":\"18468\"}\n";
  sp_batch *b = sp_batch_new(st, 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  sp_decode_stats stats = {0};
  spate_error err = {0};
  assert_int_equal(sp_json_decode_lines(txt, strlen(txt), &o, "t", 1, b, &stats, &err), 0);
  assert_int_equal(sp_batch_finish(b), 0);
  assert_int_equal(b->nrows, 3);
  assert_int_equal(stats.malformed, 2);
  /* row 0 */
  assert_int_equal(sp_vec_i32(b->cols[0])[0], 7);
  assert_int_equal(sp_vec_i64(b->cols[1])[0], 9007199254740993LL);
  assert_true(sp_vec_f64(b->cols[2])[0] == 1.0);
  assert_str_cell(b->cols[3], 0, "a\"b\xc3\xa9\n");
  assert_int_equal(sp_vec_bool(b->cols[4])[0], 1);
  assert_int_equal(sp_vec_i64(b->cols[5])[0], 1595688900000000LL);
  assert_int_equal(sp_vec_i32(b->cols[6])[0], 18468);
  assert_str_cell(b->cols[7], 0, "AB");
  assert_true(sp_vec_is_null(b->cols[11], 0));
  assert_str_cell(b->cols[12], 0, NULL);
  sp_buf out;
  sp_buf_init(&out);
  for (int64_t r = 0; r < 3; r++) {
    for (int c = 0; c < 12; c++) {
      if (c) sp_buf_puts(&out, " | ");
      sp_format_value(b->cols[c], r, NULL, true, &out);
    }
    sp_buf_putc(&out, '\n');
  }
  assert_string_equal(out.data,
                      "7 | 9007199254740993 | 1.0 | a\"b\xc3\xa9\n | true | 2020-07-25 14:55:00 | 2020-07-25 | [41 42] | "
                      "{1, q} | [1, null, 3] | [{5, null}, null] | null\n"
                      "null | null | NaN | {\"k\" : [1, 2]} | null | 2020-07-25 14:55:00 | null | null | {null, kept} | "
                      "null | [{null, p}] | null\n"
                      "null | null | -Infinity | 1.50 | null | 2020-07-25 13:55:00.348 | +18468-01-01 | null | null | "
                      "null | null | null\n");
  sp_buf_free(&out);
  assert_str_cell(b->cols[12], 1,
                  "{\"i\":1.0,\"l\":\"7\",\"d\":\"NaN\",\"s\":{\"k\" : [1, 2]},\"b\":0,\"t\":1595688900,\"dt\":\"bad\","
                  "\"st\":{\"x\":\"no\",\"y\":\"kept\"},\"ai\":[1,\"x\"],\"as\":[{\"x\":\"no\",\"y\":\"p\"}]}");
  assert_str_cell(b->cols[12], 2,
                  "{\"i\":2147483648,\"s\":1.50,\"d\":\"-Infinity\",\"t\":\"2020-07-25T14:55:00.348+01:00\","
                  "\"dt\":\"18468\"}");
  sp_batch_free(b);

  /* explicit timestampFormat / dateFormat and session time zone */
  sp_type *st2 = parse_schema("t:timestamp,d:date");
  b = sp_batch_new(st2, 0);
  o.timestamp_format = "dd/MM/yyyy HH:mm";
  o.date_format = "dd.MM.yyyy";
  o.timezone = "America/Los_Angeles";
  const char *t2 = "{\"t\":\"25/07/2020 07:55\",\"d\":\"25.07.2020\"}\n{\"t\":\"2020-07-25 07:55\",\"d\":\"2020-07-25\"}";
  assert_int_equal(sp_json_decode_lines(t2, strlen(t2), &o, "t", 1, b, NULL, &err), 0);
  assert_int_equal(b->nrows, 2);
  assert_int_equal(sp_vec_i64(b->cols[0])[0], 1595688900000000LL);
  assert_int_equal(sp_vec_i32(b->cols[1])[0], 18468);
  assert_true(sp_vec_is_null(b->cols[0], 1)); /* no fallback with an explicit format */
  assert_true(sp_vec_is_null(b->cols[1], 1));
  sp_batch_free(b);
  sp_type_unref(st2);
  sp_type_unref(st);
}

/* ---------------------------------------------------------------- encoding */

static void test_encode(void **state) {
  (void)state;
  sp_type *inner = sp_type_struct_new(2);
  sp_type_struct_set(inner, 0, "x", sp_type_prim(SP_INT), true);
  sp_type_struct_set(inner, 1, "y", sp_type_prim(SP_STRING), true);
  sp_type *st = sp_type_struct_new(9);
  sp_type_struct_set(st, 0, "s", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 1, "l", sp_type_prim(SP_BIGINT), true);
  sp_type_struct_set(st, 2, "d", sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(st, 3, "t", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 4, "dt", sp_type_prim(SP_DATE), true);
  sp_type_struct_set(st, 5, "b", sp_type_prim(SP_BOOLEAN), true);
  sp_type_struct_set(st, 6, "bin", sp_type_prim(SP_BINARY), true);
  sp_type_struct_set(st, 7, "st", inner, true);
  sp_type_struct_set(st, 8, "a", sp_type_array_new(sp_type_prim(SP_DOUBLE), true), true);
  sp_batch *b = sp_batch_new(st, 0);
  /* row 0 */
  const char *str = "q\"\\/\x01\t\xc3\xa9";
  sp_vec_append_str(b->cols[0], str, (int32_t)strlen(str));
  sp_vec_append_i64(b->cols[1], 1595688900348LL);
  sp_vec_append_f64(b->cols[2], 1644.0);
  sp_vec_append_i64(b->cols[3], 1595688900348000LL);
  sp_vec_append_i32(b->cols[4], 18468);
  sp_vec_append_bool(b->cols[5], false);
  sp_vec_append_str(b->cols[6], "ABC", 3);
  sp_vec_append_i32(b->cols[7]->children[0], 3);
  sp_vec_append_null(b->cols[7]->children[1]);
  sp_vec_struct_append(b->cols[7], true);
  sp_vec_append_f64(b->cols[8]->children[0], NAN);
  sp_vec_append_null(b->cols[8]->children[0]);
  sp_vec_append_f64(b->cols[8]->children[0], 1e21);
  sp_vec_array_close(b->cols[8], true);
  /* row 1: all null */
  for (int c = 0; c < 9; c++) {
    if (c == 8)
      sp_vec_array_close(b->cols[c], false);
    else
      sp_vec_append_null(b->cols[c]);
  }
  assert_int_equal(sp_batch_finish(b), 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  sp_buf out;
  sp_buf_init(&out);
  assert_int_equal(sp_json_encode_batch(b, &o, &out), 0);
  assert_string_equal(out.data,
                      "{\"s\":\"q\\\"\\\\/\\u0001\\t\xc3\xa9\",\"l\":1595688900348,\"d\":1644.0,"
                      "\"t\":\"2020-07-25T14:55:00.348Z\",\"dt\":\"2020-07-25\",\"b\":false,\"bin\":\"QUJD\","
                      "\"st\":{\"x\":3},\"a\":[\"NaN\",null,1.0E21]}\n"
                      "{}\n");
  sp_buf_reset(&out);
  o.timezone = "Asia/Kolkata";
  o.ignore_null_fields = false;
  assert_int_equal(sp_json_encode_batch(b, &o, &out), 0);
  assert_string_equal(out.data,
                      "{\"s\":\"q\\\"\\\\/\\u0001\\t\xc3\xa9\",\"l\":1595688900348,\"d\":1644.0,"
                      "\"t\":\"2020-07-25T20:25:00.348+05:30\",\"dt\":\"2020-07-25\",\"b\":false,\"bin\":\"QUJD\","
                      "\"st\":{\"x\":3,\"y\":null},\"a\":[\"NaN\",null,1.0E21]}\n"
                      "{\"s\":null,\"l\":null,\"d\":null,\"t\":null,\"dt\":null,\"b\":null,\"bin\":null,\"st\":null,"
                      "\"a\":null}\n");
  sp_buf_reset(&out);
  o.timestamp_format = "yyyy-MM-dd HH:mm:ss";
  o.date_format = "dd/MM/yyyy";
  o.timezone = "UTC";
  o.ignore_null_fields = true;
  b->nrows = 1;
  assert_int_equal(sp_json_encode_batch(b, &o, &out), 0);
  assert_non_null(strstr(out.data, "\"t\":\"2020-07-25 14:55:00\",\"dt\":\"25/07/2020\","));
  sp_buf_free(&out);

  /* to_json of the struct column and of the array column */
  spate_error err = {0};
  sp_vec *js = NULL;
  assert_int_equal(sp_json_encode_vec(b->cols[7], NULL, &js, &err), 0);
  assert_int_equal(js->length, 2);
  assert_str_cell(js, 0, "{\"x\":3}");
  assert_str_cell(js, 1, NULL);
  sp_vec_free(js);
  assert_int_equal(sp_json_encode_vec(b->cols[8], NULL, &js, &err), 0);
  assert_str_cell(js, 0, "[\"NaN\",null,1.0E21]");
  sp_vec_free(js);
  sp_batch_free(b);
  sp_type_unref(st);
}

static void test_round_trip_seed(void **state) {
  (void)state;
  size_t len = 0;
  char *buf = read_file(SEED, &len);
  sp_type *st = NULL;
  spate_error err = {0};
  assert_int_equal(sp_json_infer_schema(buf, len, SEED, &st, &err), 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  sp_batch *b1 = sp_batch_new(st, 0);
  assert_int_equal(sp_json_decode_lines(buf, len, &o, SEED, 1, b1, NULL, &err), 0);
  sp_buf e1, e2;
  sp_buf_init(&e1);
  sp_buf_init(&e2);
  assert_int_equal(sp_json_encode_batch(b1, &o, &e1), 0);
  /* the first line: keys in schema (sorted) order, DeliveryAddress omitted (null) */
  const char *first =
      "{\"CESS\":13.8925,\"CGST\":277.85,\"CashierID\":\"OAS134\",\"CreatedTime\":1595688900348,"
      "\"CustomerCardNo\":\"4629185211\",\"CustomerType\":\"PRIME\",\"DeliveryType\":\"TAKEAWAY\","
      "\"InvoiceLineItems\":[{\"ItemCode\":\"458\",\"ItemDescription\":\"Wine glass\",\"ItemPrice\":1644.0,"
      "\"ItemQty\":2,\"TotalValue\":3288.0},{\"ItemCode\":\"283\",\"ItemDescription\":\"Portable Lamps\","
      "\"ItemPrice\":2236.0,\"ItemQty\":1,\"TotalValue\":2236.0},{\"ItemCode\":\"498\",\"ItemDescription\":"
      "\"Carving knifes\",\"ItemPrice\":1424.0,\"ItemQty\":2,\"TotalValue\":2848.0},{\"ItemCode\":\"523\","
      "\"ItemDescription\":\"Oil-lamp clock\",\"ItemPrice\":1371.0,\"ItemQty\":2,\"TotalValue\":2742.0}],"
      "\"InvoiceNumber\":\"51402977\",\"NumberOfItems\":4,\"PaymentMethod\":\"CARD\",\"PosID\":\"POS956\","
      "\"SGST\":277.85,\"StoreID\":\"STR7188\",\"TaxableAmount\":11114.0,\"TotalAmount\":11114.0}\n";
  assert_memory_equal(e1.data, first, strlen(first));
  sp_batch *b2 = sp_batch_new(st, 0);
  assert_int_equal(sp_json_decode_lines(e1.data, e1.len, &o, "enc", 1, b2, NULL, &err), 0);
  assert_int_equal(b2->nrows, 500);
  assert_int_equal(sp_json_encode_batch(b2, &o, &e2), 0);
  assert_int_equal(e1.len, e2.len);
  assert_memory_equal(e1.data, e2.data, e1.len);
  for (int c = 0; c < b1->ncols; c++)
    for (int64_t r = 0; r < b1->nrows; r++) assert_true(sp_vec_row_equal(b1->cols[c], r, b2->cols[c], r));
  sp_buf_free(&e1);
  sp_buf_free(&e2);
  sp_batch_free(b1);
  sp_batch_free(b2);
  sp_type_unref(st);
  free(buf);
}

/* ---------------------------------------------------------------- from_json */

static void test_from_json(void **state) {
  (void)state;
  const char *rows[] = {"{\"a\":1,\"b\":\"x\"}", "{\"a\":\"no\",\"b\":\"y\"}", "{broken", NULL, "", "[{\"a\":1}]"};
  sp_vec *in = sp_vec_new(sp_type_prim(SP_STRING), 0);
  for (int i = 0; i < 6; i++) {
    if (rows[i])
      sp_vec_append_str(in, rows[i], (int32_t)strlen(rows[i]));
    else
      sp_vec_append_null(in);
  }
  sp_type *st = parse_schema("a:int,b:string");
  sp_format_opts o;
  sp_format_opts_default(&o);
  sp_vec *out = NULL;
  spate_error err = {0};
  assert_int_equal(sp_json_decode_vec(in, st, &o, &out, &err), 0);
  assert_int_equal(out->length, 6);
  sp_buf b;
  sp_buf_init(&b);
  for (int i = 0; i < 6; i++) {
    sp_format_value(out, i, NULL, true, &b);
    sp_buf_putc(&b, ';');
  }
  assert_string_equal(b.data, "{1, x};{null, y};{null, null};null;null;{null, null};");
  sp_buf_free(&b);
  sp_vec_free(out);
  /* FAILFAST and DROPMALFORMED */
  o.mode = SP_MODE_FAILFAST;
  assert_int_equal(sp_json_decode_vec(in, st, &o, &out, &err), SPATE_EMALFORMED);
  assert_null(out);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. row 1: Cannot parse "
                      "the field name 'a' and the value \"no\" of the JSON token type VALUE_STRING to target Spark "
                      "data type \"INT\".");
  o.mode = SP_MODE_DROPMALFORMED;
  assert_int_equal(sp_json_decode_vec(in, st, &o, &out, &err), SPATE_EINVAL);
  /* array<struct>: an object becomes a one-element array */
  sp_type *at = sp_type_array_new(sp_type_ref(st), true);
  o.mode = SP_MODE_PERMISSIVE;
  assert_int_equal(sp_json_decode_vec(in, at, &o, &out, &err), 0);
  sp_buf_init(&b);
  for (int i = 0; i < 6; i++) {
    sp_format_value(out, i, NULL, true, &b);
    sp_buf_putc(&b, ';');
  }
  assert_string_equal(b.data, "[{1, x}];[{null, y}];null;null;null;[{1, null}];");
  sp_buf_free(&b);
  sp_vec_free(out);
  sp_type_unref(at);
  sp_type_unref(st);
  sp_vec_free(in);
}

/* ---------------------------------------------------------------- throughput */

static void test_throughput(void **state) {
  (void)state;
  size_t len = 0;
  char *seed = read_file(SEED, &len);
  size_t target = 50u << 20;
  char *big = malloc(target + len + 2);
  size_t n = 0;
  while (n < target) {
    memcpy(big + n, seed, len);
    n += len;
    big[n++] = '\n';
  }
  sp_type *st = NULL;
  spate_error err = {0};
  assert_int_equal(sp_json_infer_schema(seed, len, SEED, &st, &err), 0);
  sp_batch *b = sp_batch_new(st, 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(sp_json_decode_lines(big, n, &o, "big", 1, b, NULL, &err), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_int_equal(b->nrows % 500, 0);
  printf("[ INFO     ] JSON decode: %.1f MB in %.3f s = %.1f MB/s (%lld rows)\n", (double)n / 1e6, secs,
         (double)n / 1e6 / secs, (long long)b->nrows);
  sp_batch_free(b);
  sp_type_unref(st);
  free(big);
  free(seed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_infer_seed),   cmocka_unit_test(test_infer_rules),
      cmocka_unit_test(test_decode_seed),  cmocka_unit_test(test_decode_modes),
      cmocka_unit_test(test_decode_types), cmocka_unit_test(test_encode),
      cmocka_unit_test(test_round_trip_seed), cmocka_unit_test(test_from_json),
      cmocka_unit_test(test_throughput), cmocka_unit_test(test_decode_prune), cmocka_unit_test(test_json_string_utf8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
