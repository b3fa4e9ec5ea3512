/* test_csv.c - unit tests for the CSV format: quoting, modes, types, header
 * inference, encoding, and the seed sample.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/valfmt.h"
#include "format/format.h"

/* Seed data lives beside the checkout (ctest sets SPATE_SEED_DIR). */
static const char *seed_path_(const char *rel) {
  static char path[4096];
  const char *dir = getenv("SPATE_SEED_DIR");
  snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/seed-demos", rel);
  return path;
}
#define SAMPLE seed_path_("00-HelloSparkSQL/sample.csv")

static sp_type *schema3(sp_type_id a, sp_type_id b, sp_type_id c, bool corrupt) {
  sp_type *st = sp_type_struct_new(corrupt ? 4 : 3);
  sp_type_struct_set(st, 0, "name", sp_type_prim(a), true);
  sp_type_struct_set(st, 1, "age", sp_type_prim(b), true);
  sp_type_struct_set(st, 2, "note", sp_type_prim(c), true);
  if (corrupt) sp_type_struct_set(st, 3, "_corrupt_record", sp_type_prim(SP_STRING), true);
  return st;
}

static char *rows_text(const sp_batch *b) {
  sp_buf out;
  sp_buf_init(&out);
  for (int64_t r = 0; r < b->nrows; r++) {
    for (int c = 0; c < b->ncols; c++) {
      if (c) sp_buf_putc(&out, '|');
      sp_format_value(b->cols[c], r, NULL, true, &out);
    }
    sp_buf_putc(&out, '\n');
  }
  return sp_buf_steal(&out);
}

static const char *PEOPLE =
    "name,age,note\r\n"
    "\"Smith, J\",42,\"said \"\"hi\"\"\"\r\n"
    "Doe,,\"multi\n"
    "line\"\n"
    "\n"
    "\"x\\\"y\",7,plain\n"
    ",notanint,z\n"
    "NA,3,\"\"";

static sp_batch *decode_people_ml(sp_parse_mode mode, bool corrupt, bool multi, int *rc, sp_decode_stats *stats,
                                  spate_error *err) {
  sp_type *st = schema3(SP_STRING, SP_INT, SP_STRING, corrupt);
  sp_batch *b = sp_batch_new(st, 0);
  sp_type_unref(st);
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.header = true;
  o.mode = mode;
  o.multi_line = multi;
  *rc = sp_csv_decode_lines(PEOPLE, strlen(PEOPLE), &o, "in.csv", 1, b, stats, err);
  return b;
}

/* multiLine=true: the quoted "multi\nline" value spans two lines. */
static sp_batch *decode_people(sp_parse_mode mode, bool corrupt, int *rc, sp_decode_stats *stats, spate_error *err) {
  return decode_people_ml(mode, corrupt, true, rc, stats, err);
}

static void test_decode_quoting_modes(void **state) {
  (void)state;
  int rc;
  sp_decode_stats stats = {0};
  spate_error err = {0};
  sp_batch *b = decode_people(SP_MODE_PERMISSIVE, true, &rc, &stats, &err);
  assert_int_equal(rc, 0);
  assert_int_equal(sp_batch_finish(b), 0);
  char *t = rows_text(b);
  assert_string_equal(t,
                      "Smith, J|42|said \"hi\"|null\n"
                      "Doe|null|multi\nline|null\n"
                      "x\"y|7|plain|null\n"
                      "null|null|z|,notanint,z\n"
                      "NA|3|null|null\n"); /* "" equals the default nullValue "" */
  free(t);
  assert_int_equal(stats.records, 5);
  assert_int_equal(stats.malformed, 1);
  sp_batch_free(b);

  memset(&stats, 0, sizeof stats);
  b = decode_people(SP_MODE_DROPMALFORMED, false, &rc, &stats, &err);
  assert_int_equal(rc, 0);
  t = rows_text(b);
  assert_string_equal(t,
                      "Smith, J|42|said \"hi\"\n"
                      "Doe|null|multi\nline\n"
                      "x\"y|7|plain\n"
                      "NA|3|null\n");
  free(t);
  sp_batch_free(b);

  b = decode_people(SP_MODE_FAILFAST, false, &rc, &stats, &err);
  assert_int_equal(rc, SPATE_EMALFORMED);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. in.csv:7: For input "
                      "string: \"notanint\"");
  assert_int_equal(b->cols[0]->length, 3);
  sp_batch_free(b);
}

static void test_field_counts_and_nulls(void **state) {
  (void)state;
  const char *txt = "a;1;x;extra\nb;2\nNA;NA;\"NA\"\n";
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.sep = ';';
  o.null_value = "NA";
  spate_error err = {0};
  sp_decode_stats stats = {0};
  sp_type *st = schema3(SP_STRING, SP_BIGINT, SP_STRING, false);
  sp_batch *b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(txt, strlen(txt), &o, "f", 1, b, &stats, &err), 0);
  char *t = rows_text(b);
  assert_string_equal(t, "a|1|x\nb|2|null\nnull|null|null\n");
  free(t);
  assert_int_equal(stats.malformed, 0);
  sp_batch_free(b);
  /* with a corrupt column PERMISSIVE flags the rows */
  sp_type *st2 = schema3(SP_STRING, SP_BIGINT, SP_STRING, true);
  b = sp_batch_new(st2, 0);
  memset(&stats, 0, sizeof stats);
  assert_int_equal(sp_csv_decode_lines(txt, strlen(txt), &o, "f", 1, b, &stats, &err), 0);
  t = rows_text(b);
  assert_string_equal(t, "a|1|x|a;1;x;extra\nb|2|null|b;2\nnull|null|null|null\n");
  free(t);
  assert_int_equal(stats.malformed, 2);
  sp_batch_free(b);
  sp_type_unref(st2);
  o.mode = SP_MODE_DROPMALFORMED;
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(txt, strlen(txt), &o, "f", 1, b, NULL, &err), 0);
  assert_int_equal(b->nrows, 1);
  sp_batch_free(b);
  o.mode = SP_MODE_FAILFAST;
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(txt, strlen(txt), &o, "f", 10, b, NULL, &err), SPATE_EMALFORMED);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. f:10: Malformed CSV "
                      "record");
  sp_batch_free(b);
  sp_type_unref(st);
}

static void test_types(void **state) {
  (void)state;
  sp_type *st = sp_type_struct_new(6);
  sp_type_struct_set(st, 0, "d", sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(st, 1, "b", sp_type_prim(SP_BOOLEAN), true);
  sp_type_struct_set(st, 2, "t", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 3, "dt", sp_type_prim(SP_DATE), true);
  sp_type_struct_set(st, 4, "i", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 5, "l", sp_type_prim(SP_BIGINT), true);
  const char *txt =
      "1e3,TRUE,2014-08-27 11:29:31,2014-08-27,+12,-9223372036854775808\n"
      "NaN,false,2014-08-27T11:29:31.5Z,2014-8-7,-2147483648,9223372036854775807\n"
      "Inf,yes,x,x,2147483648,9223372036854775808\n"
      "-Inf,,,,,\n"
      " 2.5 ,,,,,\n"
      "1.5d,,,,,\n"
      "inf,,,,,\n"
      "-Infinity,,,,,\n"
      "0x10,,,,,\n";
  sp_batch *b = sp_batch_new(st, 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  spate_error err = {0};
  sp_decode_stats stats = {0};
  assert_int_equal(sp_csv_decode_lines(txt, strlen(txt), &o, "f", 1, b, &stats, &err), 0);
  char *t = rows_text(b);
  assert_string_equal(t,
                      "1000.0|true|2014-08-27 11:29:31|2014-08-27|12|-9223372036854775808\n"
                      "NaN|false|2014-08-27 11:29:31.5|2014-08-07|-2147483648|9223372036854775807\n"
                      "Infinity|null|null|null|null|null\n"
                      "-Infinity|null|null|null|null|null\n"
                      "2.5|null|null|null|null|null\n"
                      "1.5|null|null|null|null|null\n"
                      "null|null|null|null|null|null\n"
                      "-Infinity|null|null|null|null|null\n"
                      "null|null|null|null|null|null\n");
  free(t);
  assert_int_equal(stats.malformed, 3);
  sp_batch_free(b);
  /* explicit formats and a time zone */
  sp_format_opts_default(&o);
  o.timestamp_format = "dd/MM/yyyy HH:mm";
  o.date_format = "dd/MM/yyyy";
  o.timezone = "Asia/Kolkata";
  const char *t2 = ",,27/08/2014 17:00,27/08/2014,,\n";
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(t2, strlen(t2), &o, "f", 1, b, NULL, &err), 0);
  assert_int_equal(sp_vec_i64(b->cols[2])[0], 1409139000LL * 1000000);
  assert_int_equal(sp_vec_i32(b->cols[3])[0], 16309);
  sp_batch_free(b);
  sp_type_unref(st);
  /* nested types are rejected */
  sp_type *bad = sp_type_struct_new(1);
  sp_type_struct_set(bad, 0, "a", sp_type_array_new(sp_type_prim(SP_INT), true), true);
  b = sp_batch_new(bad, 0);
  assert_int_equal(sp_csv_decode_lines("1\n", 2, NULL, "f", 1, b, NULL, &err), SPATE_EUNSUPPORTED);
  assert_string_equal(err.message, "CSV data source does not support array<int> data type.");
  sp_buf out;
  sp_buf_init(&out);
  assert_int_equal(sp_csv_encode_batch(b, NULL, false, &out), SPATE_EUNSUPPORTED);
  sp_buf_free(&out);
  sp_batch_free(b);
  sp_type_unref(bad);
}

static void test_infer_header(void **state) {
  (void)state;
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.header = true;
  sp_type *st = NULL;
  spate_error err = {0};
  const char *txt = "a,A,,b,\"c,d\"\n1,2,3,4,5\n";
  assert_int_equal(sp_csv_infer_schema(txt, strlen(txt), &o, &st, &err), 0);
  char s[256];
  sp_type_to_string(st, s, sizeof s);
  assert_string_equal(s, "struct<a0:string,A1:string,_c2:string,b:string,c,d:string>");
  sp_type_unref(st);
  o.header = false;
  assert_int_equal(sp_csv_infer_schema(txt, strlen(txt), &o, &st, &err), 0);
  sp_type_to_string(st, s, sizeof s);
  assert_string_equal(s, "struct<_c0:string,_c1:string,_c2:string,_c3:string,_c4:string>");
  sp_type_unref(st);
  assert_int_equal(sp_csv_infer_schema("", 0, &o, &st, &err), 0);
  assert_int_equal(st->nfields, 0);
  sp_type_unref(st);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  *len = fread(buf, 1, (size_t)n, f);
  fclose(f);
  return buf;
}

static void test_seed_sample(void **state) {
  (void)state;
  size_t len = 0;
  char *buf = read_file(SAMPLE, &len);
  assert_non_null(buf);
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.header = true;
  sp_type *st = NULL;
  spate_error err = {0};
  assert_int_equal(sp_csv_infer_schema(buf, len, &o, &st, &err), 0);
  assert_int_equal(st->nfields, 27);
  assert_string_equal(st->fields[0].name, "Timestamp");
  assert_string_equal(st->fields[4].name, "state");
  assert_string_equal(st->fields[26].name, "comments");
  sp_batch *b = sp_batch_new(st, 0);
  sp_decode_stats stats = {0};
  assert_int_equal(sp_csv_decode_lines(buf, len, &o, SAMPLE, 1, b, &stats, &err), 0);
  assert_int_equal(b->nrows, 9);
  assert_int_equal(stats.records, 9);
  assert_int_equal(stats.malformed, 0);
  sp_buf out;
  sp_buf_init(&out);
  sp_format_value(b->cols[0], 0, NULL, true, &out);
  sp_buf_putc(&out, '|');
  sp_format_value(b->cols[14], 4, NULL, true, &out);
  sp_buf_putc(&out, '|');
  sp_format_value(b->cols[26], 8, NULL, true, &out);
  assert_string_equal(out.data, "2014-08-27 11:29:31|Don't know|NA");
  sp_buf_free(&out);
  /* round trip through the writer */
  sp_buf enc;
  sp_buf_init(&enc);
  assert_int_equal(sp_csv_encode_batch(b, &o, true, &enc), 0);
  sp_batch *b2 = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(enc.data, enc.len, &o, "enc", 1, b2, NULL, &err), 0);
  assert_int_equal(b2->nrows, 9);
  for (int c = 0; c < 27; c++)
    for (int64_t r = 0; r < 9; r++) assert_true(sp_vec_row_equal(b->cols[c], r, b2->cols[c], r));
  sp_buf_free(&enc);
  sp_batch_free(b2);
  sp_batch_free(b);
  sp_type_unref(st);
  free(buf);
}

static void test_encode(void **state) {
  (void)state;
  sp_type *st = sp_type_struct_new(6);
  sp_type_struct_set(st, 0, "s", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 1, "d", sp_type_prim(SP_DOUBLE), true);
  sp_type_struct_set(st, 2, "t", sp_type_prim(SP_TIMESTAMP), true);
  sp_type_struct_set(st, 3, "dt", sp_type_prim(SP_DATE), true);
  sp_type_struct_set(st, 4, "b", sp_type_prim(SP_BOOLEAN), true);
  sp_type_struct_set(st, 5, "odd,name", sp_type_prim(SP_BIGINT), true);
  sp_batch *b = sp_batch_new(st, 0);
  const char *vals[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "  padded  ", ""};
  for (int i = 0; i < 6; i++) {
    sp_vec_append_str(b->cols[0], vals[i], (int32_t)strlen(vals[i]));
    sp_vec_append_f64(b->cols[1], i == 0 ? 1644.0 : i == 1 ? 1e7 : 0.1 + 0.2);
    sp_vec_append_i64(b->cols[2], 1595688900348000LL);
    sp_vec_append_i32(b->cols[3], 18468);
    sp_vec_append_bool(b->cols[4], i % 2);
    if (i == 2)
      sp_vec_append_null(b->cols[5]);
    else
      sp_vec_append_i64(b->cols[5], -i);
  }
  sp_vec_append_null(b->cols[0]);
  sp_vec_append_null(b->cols[1]);
  sp_vec_append_null(b->cols[2]);
  sp_vec_append_null(b->cols[3]);
  sp_vec_append_null(b->cols[4]);
  sp_vec_append_null(b->cols[5]);
  assert_int_equal(sp_batch_finish(b), 0);
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.header = true;
  sp_buf out;
  sp_buf_init(&out);
  assert_int_equal(sp_csv_encode_batch(b, &o, true, &out), 0);
  assert_string_equal(out.data,
                      "s,d,t,dt,b,\"odd,name\"\n"
                      "plain,1644.0,2020-07-25T14:55:00.348Z,2020-07-25,false,0\n"
                      "\"a,b\",1.0E7,2020-07-25T14:55:00.348Z,2020-07-25,true,-1\n"
                      "\"say \\\"hi\\\"\",0.30000000000000004,2020-07-25T14:55:00.348Z,2020-07-25,false,\n"
                      "\"two\nlines\",0.30000000000000004,2020-07-25T14:55:00.348Z,2020-07-25,true,-3\n"
                      "padded,0.30000000000000004,2020-07-25T14:55:00.348Z,2020-07-25,false,-4\n"
                      "\"\",0.30000000000000004,2020-07-25T14:55:00.348Z,2020-07-25,true,-5\n"
                      ",,,,,\n");
  /* custom separator, nullValue, no header line for later files */
  sp_buf_reset(&out);
  o.sep = '\t';
  o.null_value = "\\N";
  o.timezone = "America/Los_Angeles";
  o.timestamp_format = "yyyy-MM-dd HH:mm:ss";
  b->nrows = 1;
  assert_int_equal(sp_csv_encode_batch(b, &o, false, &out), 0);
  assert_string_equal(out.data, "plain\t1644.0\t2020-07-25 07:55:00\t2020-07-25\tfalse\t0\n");
  /* decode what we wrote (quoted separators, escaped quotes, embedded newline) */
  sp_buf_free(&out);
  sp_batch_free(b);
  sp_type_unref(st);
}

/* multiLine=false (Spark's default): every physical line is a record of its own. An
 * unclosed quote truncates its value at the end of the line and never swallows the
 * next lines; the line is malformed only when its field count differs from the schema
 * or a value does not parse (as Spark's UnivocityParser: no check on the quote). */
static void test_single_line_unclosed_quote(void **state) {
  (void)state;
  int rc;
  sp_decode_stats stats = {0};
  spate_error err = {0};
  /* PEOPLE line by line: "Doe,,\"multi" has 3 fields (not malformed), "line\"" is a
   * one-field record of its own (malformed: too few fields). */
  sp_batch *b = decode_people_ml(SP_MODE_PERMISSIVE, true, false, &rc, &stats, &err);
  assert_int_equal(rc, 0);
  char *t = rows_text(b);
  assert_string_equal(t,
                      "Smith, J|42|said \"hi\"|null\n"
                      "Doe|null|multi|null\n"
                      "line\"|null|null|line\"\n"
                      "x\"y|7|plain|null\n"
                      "null|null|z|,notanint,z\n"
                      "NA|3|null|null\n");
  free(t);
  assert_int_equal(stats.records, 6);
  assert_int_equal(stats.malformed, 2);
  sp_batch_free(b);
  memset(&stats, 0, sizeof stats);
  b = decode_people_ml(SP_MODE_DROPMALFORMED, false, false, &rc, &stats, &err);
  assert_int_equal(rc, 0);
  t = rows_text(b);
  assert_string_equal(t,
                      "Smith, J|42|said \"hi\"\n"
                      "Doe|null|multi\n"
                      "x\"y|7|plain\n"
                      "NA|3|null\n");
  free(t);
  assert_int_equal(stats.records, 6);
  assert_int_equal(stats.malformed, 2);
  sp_batch_free(b);
  /* PERMISSIVE without a corrupt column: the short line is kept, padded with NULLs */
  b = decode_people_ml(SP_MODE_PERMISSIVE, false, false, &rc, NULL, &err);
  assert_int_equal(rc, 0);
  t = rows_text(b);
  assert_string_equal(t,
                      "Smith, J|42|said \"hi\"\n"
                      "Doe|null|multi\n"
                      "line\"|null|null\n"
                      "x\"y|7|plain\n"
                      "null|null|z\n"
                      "NA|3|null\n");
  free(t);
  sp_batch_free(b);
  b = decode_people_ml(SP_MODE_FAILFAST, false, false, &rc, NULL, &err);
  assert_int_equal(rc, SPATE_EMALFORMED);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. in.csv:4: Malformed CSV "
                      "record");
  assert_int_equal(b->cols[0]->length, 2);
  sp_batch_free(b);

  /* the case: a quote opened on line 1 and never closed; LF and CRLF */
  sp_type *st = sp_type_struct_new(4);
  sp_type_struct_set(st, 0, "id", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 1, "a", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 2, "b", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 3, "_corrupt_record", sp_type_prim(SP_STRING), true);
  const char *texts[] = {"1,\"open,x\n2,b,c\n3,\"q\"\"d\",d\n4,x,\"closes\"\n5,x,\"open\n",
                         "1,\"open,x\r\n2,b,c\r\n3,\"q\"\"d\",d\r\n4,x,\"closes\"\r\n5,x,\"open\r\n"};
  const char *swallow[] = {"1,\"open,x\n2,b,c\n3,c,d\n", "1,\"open,x\r\n2,b,c\r\n3,c,d\r\n"};
  for (int k = 0; k < 2; k++) {
    sp_format_opts o;
    sp_format_opts_default(&o);
    memset(&stats, 0, sizeof stats);
    b = sp_batch_new(st, 0);
    assert_int_equal(sp_csv_decode_lines(texts[k], strlen(texts[k]), &o, "f", 1, b, &stats, &err), 0);
    t = rows_text(b);
    assert_string_equal(t,
                        "1|open,x|null|1,\"open,x\n"
                        "2|b|c|null\n"
                        "3|q\"d|d|null\n"
                        "4|x|closes|null\n"
                        "5|x|open|null\n");
    free(t);
    assert_int_equal(stats.records, 5);
    assert_int_equal(stats.malformed, 1);
    sp_batch_free(b);
    o.mode = SP_MODE_DROPMALFORMED;
    b = sp_batch_new(st, 0);
    assert_int_equal(sp_csv_decode_lines(texts[k], strlen(texts[k]), &o, "f", 1, b, NULL, &err), 0);
    t = rows_text(b);
    assert_string_equal(t, "2|b|c|null\n3|q\"d|d|null\n4|x|closes|null\n5|x|open|null\n");
    free(t);
    sp_batch_free(b);
    /* multiLine: an unclosed quote takes the rest of the file (one malformed record) */
    o.mode = SP_MODE_PERMISSIVE;
    o.multi_line = true;
    memset(&stats, 0, sizeof stats);
    b = sp_batch_new(st, 0);
    assert_int_equal(sp_csv_decode_lines(swallow[k], strlen(swallow[k]), &o, "f", 1, b, &stats, &err), 0);
    t = rows_text(b);
    assert_string_equal(t, k ? "1|open,x\r\n2,b,c\r\n3,c,d\r\n|null|1,\"open,x\r\n2,b,c\r\n3,c,d\r\n\n"
                             : "1|open,x\n2,b,c\n3,c,d\n|null|1,\"open,x\n2,b,c\n3,c,d\n\n");
    free(t);
    assert_int_equal(stats.records, 1);
    assert_int_equal(stats.malformed, 1);
    sp_batch_free(b);
    /* ... and without multiLine the same text is three records, one malformed */
    o.multi_line = false;
    b = sp_batch_new(st, 0);
    assert_int_equal(sp_csv_decode_lines(swallow[k], strlen(swallow[k]), &o, "f", 1, b, NULL, &err), 0);
    t = rows_text(b);
    assert_string_equal(t, "1|open,x|null|1,\"open,x\n2|b|c|null\n3|c|d|null\n");
    free(t);
    sp_batch_free(b);
  }

  /* FAILFAST names the physical line: line 1 without multiLine; with multiLine the
   * quoted value spans lines 1-2 and the bad INT is on line 3 */
  const char *ml = "1,\"a\nb\",c\nbad,y,z\n";
  sp_format_opts o;
  sp_format_opts_default(&o);
  o.mode = SP_MODE_FAILFAST;
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(ml, strlen(ml), &o, "f", 1, b, NULL, &err), SPATE_EMALFORMED);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. f:1: Malformed CSV "
                      "record");
  sp_batch_free(b);
  o.multi_line = true;
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(ml, strlen(ml), &o, "f", 1, b, NULL, &err), SPATE_EMALFORMED);
  assert_string_equal(err.message,
                      "Malformed records are detected in record parsing. Parse Mode: FAILFAST. f:3: For input string: "
                      "\"bad\"");
  assert_int_equal(b->nrows, 0);
  assert_int_equal(b->cols[1]->length, 1);
  sp_batch_free(b);
  o.mode = SP_MODE_PERMISSIVE;
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(ml, strlen(ml), &o, "f", 1, b, NULL, &err), 0);
  t = rows_text(b);
  assert_string_equal(t, "1|a\nb|c|null\nnull|y|z|bad,y,z\n");
  free(t);
  sp_batch_free(b);
  o.multi_line = false;
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_csv_decode_lines(ml, strlen(ml), &o, "f", 1, b, NULL, &err), 0);
  t = rows_text(b);
  assert_string_equal(t, "1|a|null|1,\"a\nnull|c|null|b\",c\nnull|y|z|bad,y,z\n"); /* INT from 'b\"' */
  free(t);
  sp_batch_free(b);
  /* the header is one line too: an unclosed quote in it does not eat the first row */
  o.header = true;
  const char *hdr = "x,\"y\n1,2\n";
  sp_type *inf = NULL;
  assert_int_equal(sp_csv_infer_schema(hdr, strlen(hdr), &o, &inf, &err), 0);
  char sts[128];
  sp_type_to_string(inf, sts, sizeof sts);
  assert_string_equal(sts, "struct<x:string,y:string>");
  b = sp_batch_new(inf, 0);
  assert_int_equal(sp_csv_decode_lines(hdr, strlen(hdr), &o, "f", 1, b, NULL, &err), 0);
  t = rows_text(b);
  assert_string_equal(t, "1|2\n");
  free(t);
  sp_batch_free(b);
  sp_type_unref(inf);
  sp_type_unref(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_quoting_modes), cmocka_unit_test(test_field_counts_and_nulls),
      cmocka_unit_test(test_types),                cmocka_unit_test(test_infer_header),
      cmocka_unit_test(test_seed_sample),          cmocka_unit_test(test_encode),
      cmocka_unit_test(test_single_line_unclosed_quote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
