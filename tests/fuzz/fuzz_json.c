/*
 * fuzz_json.c - libFuzzer target for the JSON formats (src/format/json_*.c and the
 * simdjson shim json_simd.cpp): newline-delimited decoding into a batch
 * (sp_json_decode_lines, the file source's hot path, parsing in place when padding
 * allows), schema inference (sp_json_infer_schema), from_json (sp_json_decode_vec,
 * STRUCT and ARRAY targets, one document per input line), and the encoders on what
 * was decoded (sp_json_encode_batch / to_json), decoded again.
 *
 * Input: byte 0 picks the target schema (one of a few fixed DDL schemas, or the
 * schema inferred from the input), the parse mode, column pruning and custom
 * timestamp/date formats and time zone; the rest is the JSON text. The text is the
 * tail of libFuzzer's buffer, so a read past its end is caught by ASan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "fuzz_common.h"
#include "sql/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                              \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "fuzz_json: invariant failed: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                                      \
    }                                                                               \
  } while (0)

static const char *const schemas_[] = {
    "a INT, b STRING, c DOUBLE, d BOOLEAN, e BIGINT, _corrupt_record STRING",
    "t TIMESTAMP, d DATE, bin BINARY, s STRUCT<x: INT, y: ARRAY<STRING>>",
    "arr ARRAY<STRUCT<k: STRING, v: BIGINT>>, m STRING, n ARRAY<ARRAY<INT>>, _corrupt_record STRING",
    ("InvoiceNumber STRING, CreatedTime BIGINT, DeliveryAddress STRUCT<City: STRING, PinCode: STRING>, "
     "InvoiceLineItems ARRAY<STRUCT<ItemCode: STRING, ItemPrice: DOUBLE, ItemQty: BIGINT>>"),
};
#define NSCHEMAS ((int)(sizeof schemas_ / sizeof schemas_[0]))

static void check_batch_(const sp_batch *b) {
  for (int c = 0; c < b->ncols; c++) FZ_CHECK(b->cols[c]->length == b->nrows);
}

/* Decode `text` into a batch of `schema`, encode it, decode the encoding again. */
static void decode_lines_(const char *text, size_t len, sp_type *schema, const sp_format_opts *o) {
  sp_batch *b = sp_batch_new(schema, 0);
  if (!b) return;
  spate_error err;
  spate_error_clear(&err);
  sp_decode_stats st = {0};
  int rc = sp_json_decode_lines(text, len, o, "fuzz.json", 1, b, &st, &err);
  FZ_CHECK(rc <= 0);
  if (rc == 0) {
    check_batch_(b);
    FZ_CHECK(st.malformed <= st.records);
    sp_buf out;
    sp_buf_init(&out);
    if (sp_json_encode_batch(b, o, &out) == 0 && !out.failed) {
      sp_batch *b2 = sp_batch_new(schema, 0);
      if (b2) {
        sp_format_opts o2 = *o;
        o2.prune = NULL;
        rc = sp_json_decode_lines(out.data ? out.data : "", out.len, &o2, "re-encoded", 1, b2, NULL, &err);
        if (rc == 0) check_batch_(b2);
        sp_batch_free(b2);
      }
    }
    sp_buf_free(&out);
  }
  sp_batch_free(b);
}

/* from_json over the lines of `text` (plus a NULL row), then to_json. */
static void from_json_(const char *text, size_t len, sp_type *type, const sp_format_opts *o) {
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
  int rc = sp_json_decode_vec(in, type, o, &out, &err);
  FZ_CHECK(rc <= 0);
  if (rc == 0) {
    FZ_CHECK(out && out->length == in->length);
    sp_vec *js = NULL;
    if (sp_json_encode_vec(out, o, &js, &err) == 0) {
      FZ_CHECK(js && js->length == out->length);
      sp_vec_free(js);
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
  o.mode = (sp_parse_mode)((sel >> 3) % 3);
  if (sel & 0x20) {
    o.timestamp_format = "yyyy-MM-dd HH:mm:ss";
    o.date_format = "dd/MM/yyyy";
    o.timezone = "America/New_York";
  }
  o.ignore_null_fields = !(sel & 0x40);

  spate_error err;
  spate_error_clear(&err);
  sp_type *schema = NULL;
  int which = sel & 7;
  if (which < NSCHEMAS) {
    if (sp_parse_schema(schemas_[which], &schema, &err)) return 0;
  } else {
    /* Inferred from the input itself (as the file source with schemaInference). */
    int rc = sp_json_infer_schema(text, len, "fuzz.json", &schema, &err);
    FZ_CHECK(rc <= 0);
    if (rc) return 0;
    FZ_CHECK(schema && schema->id == SP_STRUCT);
  }

  bool prune[16] = {0};
  if ((sel & 0x80) && schema->nfields <= 16) {
    for (int i = 0; i < schema->nfields; i++) prune[i] = i % 2 == 1;
    o.prune = prune;
  }
  decode_lines_(text, len, schema, &o);
  o.prune = NULL;

  if (o.mode != SP_MODE_DROPMALFORMED) {
    from_json_(text, len, schema, &o);
    sp_type *arr = sp_type_array_new(sp_type_ref(schema), true);
    if (arr) {
      from_json_(text, len, arr, &o);
      sp_type_unref(arr);
    }
  }
  sp_type_unref(schema);
  return 0;
}
