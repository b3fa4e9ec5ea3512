/*
 * fuzz_csv.c - libFuzzer target for the CSV format (src/format/csv.c): decoding
 * lines into a batch (sp_csv_decode_lines) with header, multiLine off/on, the three
 * parse modes and a few sep/quote/escape/nullValue sets; header inference
 * (sp_csv_infer_schema); the writer on what was decoded (sp_csv_encode_batch),
 * decoded again; and from_csv / to_csv (sp_csv_decode_vec / sp_csv_encode_vec) on
 * every input line.
 *
 * Input: byte 0 picks the options (bit 0 header, bit 1 multiLine, bits 2-3 mode,
 * bits 4-5 the sep/quote/escape/nullValue set, bits 6-7 the target schema, 3 = the
 * header's all-STRING schema); the rest is the CSV text, the tail of libFuzzer's
 * buffer (reads past its end are caught by ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "fuzz_common.h"
#include "sql/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                             \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "fuzz_csv: invariant failed: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                                     \
    }                                                                              \
  } while (0)

static const char *const schemas_[] = {
    "a INT, b STRING, c DOUBLE, d BOOLEAN, _corrupt_record STRING",
    "t TIMESTAMP, d DATE, e BIGINT, f STRING",
    "x STRING, y STRING, z STRING",
};

typedef struct optset {
  char sep, quote, escape;
  const char *null_value;
  const char *ts_format;
} optset;

static const optset optsets_[4] = {
    {',', '"', '\\', "", NULL},
    {';', '\'', '\'', "NA", "yyyy-MM-dd HH:mm:ss"},
    {'\t', '"', '"', "", NULL},
    {'|', '"', '\\', "null", "dd/MM/yyyy HH:mm"},
};

static void check_batch_(const sp_batch *b) {
  for (int c = 0; c < b->ncols; c++) FZ_CHECK(b->cols[c]->length == b->nrows);
}

static void decode_lines_(const char *text, size_t len, sp_type *schema, const sp_format_opts *o) {
  sp_batch *b = sp_batch_new(schema, 0);
  if (!b) return;
  spate_error err;
  spate_error_clear(&err);
  sp_decode_stats st = {0};
  int rc = sp_csv_decode_lines(text, len, o, "fuzz.csv", 1, b, &st, &err);
  FZ_CHECK(rc <= 0);
  if (rc == 0) {
    check_batch_(b);
    FZ_CHECK(st.malformed <= st.records);
    sp_buf out;
    sp_buf_init(&out);
    if (sp_csv_encode_batch(b, o, o->header, &out) == 0 && !out.failed) {
      sp_batch *b2 = sp_batch_new(schema, 0);
      if (b2) {
        sp_format_opts o2 = *o;
        o2.multi_line = true; /* the writer quotes line breaks */
        rc = sp_csv_decode_lines(out.data ? out.data : "", out.len, &o2, "re-encoded", 1, b2, NULL, &err);
        if (rc == 0) check_batch_(b2);
        sp_batch_free(b2);
      }
    }
    sp_buf_free(&out);
  }
  sp_batch_free(b);
}

static void from_csv_(const char *text, size_t len, sp_type *schema, const sp_format_opts *o) {
  sp_vec *in = sp_vec_new(sp_type_prim(SP_STRING), 0);
  if (!in) return;
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    sp_vec_append_str(in, p, (int32_t)(le - p));
    p = nl ? nl + 1 : end;
  }
  sp_vec_append_null(in);
  if (sp_vec_check(in)) {
    sp_vec_free(in);
    return;
  }
  spate_error err;
  spate_error_clear(&err);
  sp_vec *out = NULL;
  int rc = sp_csv_decode_vec(in, schema, o, &out, &err);
  FZ_CHECK(rc <= 0);
  if (rc == 0) {
    FZ_CHECK(out && out->length == in->length);
    sp_vec *cs = NULL;
    if (sp_csv_encode_vec(out, o, &cs, &err) == 0) {
      FZ_CHECK(cs && cs->length == out->length);
      sp_vec_free(cs);
    }
    sp_vec_free(out);
  } else {
    FZ_CHECK(out == NULL);
  }
  sp_vec_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  uint8_t sel = data[0];
  const char *text = (const char *)data + 1;
  size_t len = size - 1;

  sp_format_opts o;
  sp_format_opts_default(&o);
  o.header = sel & 1;
  o.multi_line = (sel >> 1) & 1;
  o.mode = (sp_parse_mode)(((sel >> 2) & 3) % 3);
  const optset *os = &optsets_[(sel >> 4) & 3];
  o.sep = os->sep;
  o.quote = os->quote;
  o.escape = os->escape;
  o.null_value = os->null_value;
  o.timestamp_format = os->ts_format;

  spate_error err;
  spate_error_clear(&err);
  sp_type *schema = NULL;
  int which = (sel >> 6) & 3;
  if (which < 3) {
    if (sp_parse_schema(schemas_[which], &schema, &err)) return 0;
  } else {
    sp_format_opts ho = o;
    ho.header = true;
    int rc = sp_csv_infer_schema(text, len, &ho, &schema, &err);
    FZ_CHECK(rc <= 0);
    if (rc) return 0;
    FZ_CHECK(schema && schema->id == SP_STRUCT);
  }
  decode_lines_(text, len, schema, &o);
  if (o.mode != SP_MODE_DROPMALFORMED) from_csv_(text, len, schema, &o);
  sp_type_unref(schema);
  return 0;
}
