/*
 * fn_csv.c - the SQL functions from_csv(str, schema [, options]) and
 * to_csv(struct [, options]) (Spark's CsvToStructs / StructsToCsv).
 *
 * Binding (bind.c, shared with from_json) hands over the DDL schema text of from_csv
 * and the options given as map('k', 'v', ...). sp_csv_fn_prepare() parses them once
 * into an sp_codec_fn_data (the call's fn_data, fn_codec.c, shared with from_json):
 * the result type and an sp_format_opts whose strings the fn_data owns. The kernels decode / encode a whole column per call
 * with the CSV module's vector entry points (sp_csv_decode_vec: one record per
 * string, the first one, as Spark's parseLine; sp_csv_encode_vec).
 *
 * Invariants:
 *   - fn_data is immutable after binding; kernels copy its sp_format_opts and only
 *     fill in the session time zone, so one bound call may run on many threads.
 *   - from_csv's result type is the schema made nullable (schema.asNullable); the
 *     schema must be a flat STRUCT (CSV has no nested types). NULL input gives NULL;
 *     a malformed record in PERMISSIVE (the default) keeps the fields that parsed
 *     (every field NULL for an empty string) and puts the text into the corrupt-record
 *     column when the schema has one; FAILFAST fails with SPATE_EMALFORMED;
 *     DROPMALFORMED is rejected at bind time, as Spark does.
 *   - to_csv writes the struct's fields with the CSV writer's rules (sep, quote,
 *     escape; values holding sep, quote, CR or LF quoted; strings trimmed; NULL as
 *     nullValue, default empty; the empty string as ""); a NULL struct gives NULL.
 *     Nested fields are rejected at bind time.
 *   - Option keys are case-insensitive; options that do not apply are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "expr/expr_internal.h"
#include "format/format.h"
#include "sql/parser.h"

/* A one-character option (sep, quote, escape): "\t" is a tab; an empty quote or
 * escape turns the feature off (Spark's \u0000); an empty sep is an error. */
static int char_opt_(const char *k, const char *v, bool sep, char *out, char *msg, size_t cap) {
  if (!strcmp(v, "\\t")) {
    *out = '\t';
    return 0;
  }
  if (!*v) {
    if (sep) {
      snprintf(msg, cap, "[INVALID_OPTIONS] Invalid options: Delimiter cannot be empty string");
      return SPATE_EANALYSIS;
    }
    *out = '\0';
    return 0;
  }
  if (strlen(v) != 1) {
    snprintf(msg, cap, "[INVALID_OPTIONS] Invalid options: option '%s' must be a single character, got '%s'.", k, v);
    return SPATE_EANALYSIS;
  }
  *out = v[0];
  return 0;
}

/* from_csv's schema: a DDL field list or STRUCT<...>, flat, made nullable. */
static int parse_schema_(const char *text, sp_type **out, char *msg, size_t cap) {
  spate_error e;
  spate_error_clear(&e);
  sp_type *t = NULL;
  int rc = sp_parse_schema(text, &t, &e);
  if (rc == SPATE_ENOMEM) return rc;
  if (rc || !t || t->id != SP_STRUCT) {
    snprintf(msg, cap, "[INVALID_SCHEMA.PARSE_ERROR] The input schema \"%s\" is not a valid schema string. %s", text,
             rc ? e.message : "");
    sp_type_unref(t);
    return SPATE_EANALYSIS;
  }
  sp_type *st = sp_type_struct_new(t->nfields);
  if (!st) {
    sp_type_unref(t);
    return SPATE_ENOMEM;
  }
  for (int i = 0; i < t->nfields && !rc; i++) {
    sp_type *ft = t->fields[i].type;
    if (ft->id == SP_STRUCT || ft->id == SP_ARRAY) {
      char ts[128];
      sp_type_to_string(ft, ts, sizeof ts);
      snprintf(msg, cap, "[UNSUPPORTED_DATATYPE] Unsupported data type %s: CSV data source does not support it.", ts);
      rc = SPATE_EANALYSIS;
    } else if (sp_type_struct_set(st, i, t->fields[i].name, sp_type_ref(ft), true)) {
      rc = SPATE_ENOMEM;
    }
  }
  sp_type_unref(t);
  if (rc) {
    sp_type_unref(st);
    return rc;
  }
  *out = st;
  return 0;
}

/* The CSV options of from_csv/to_csv beyond the shared ones. */
static int csv_option_(sp_codec_fn_data *d, const char *k, const char *v, bool *handled, char *msg, size_t cap) {
  *handled = true;
  if (!strcasecmp(k, "sep") || !strcasecmp(k, "delimiter")) return char_opt_(k, v, true, &d->opts.sep, msg, cap);
  if (!strcasecmp(k, "quote")) return char_opt_(k, v, false, &d->opts.quote, msg, cap);
  if (!strcasecmp(k, "escape")) return char_opt_(k, v, false, &d->opts.escape, msg, cap);
  if (!strcasecmp(k, "nullValue")) return (d->opts.null_value = sp_codec_keep(d, v)) ? 0 : SPATE_ENOMEM;
  *handled = false;
  return 0;
}

int sp_csv_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, const sp_type *input,
                      sp_type **type, sp_fn_data **out, char *msg, size_t cap) {
  *out = NULL;
  *type = NULL;
  sp_codec_fn_data *d = sp_codec_data_new();
  if (!d) return SPATE_ENOMEM;
  bool from = fn == SP_FN_FROM_CSV;
  int rc = sp_codec_parse_options(d, from ? "from_csv" : "to_csv", from, kv, nkv, csv_option_, msg, cap);
  if (!rc) {
    if (fn == SP_FN_FROM_CSV) {
      rc = parse_schema_(schema, type, msg, cap);
    } else {
      for (int i = 0; input && input->id == SP_STRUCT && i < input->nfields && !rc; i++) {
        sp_type_id id = input->fields[i].type->id;
        if (id == SP_STRUCT || id == SP_ARRAY) {
          char ts[256];
          sp_type_to_string(input, ts, sizeof ts);
          snprintf(msg, cap,
                   "[DATATYPE_MISMATCH.UNSUPPORTED_INPUT_TYPE] Cannot resolve \"to_csv\" due to data type mismatch: "
                   "The input of `to_csv` can't be \"%s\" type data.",
                   ts);
          rc = SPATE_EANALYSIS;
        }
      }
      if (!rc) *type = sp_type_prim(SP_STRING);
    }
  }
  if (rc) {
    d->base.destroy(&d->base);
    return rc;
  }
  *out = &d->base;
  return 0;
}

static int decode_(const sp_vec *in, const sp_type *type, const sp_format_opts *o, sp_vec **out, spate_error *err) {
  return sp_csv_decode_vec(in, (sp_type *)type, o, out, err);
}

static int encode_(const sp_vec *in, const sp_type *type, const sp_format_opts *o, sp_vec **out, spate_error *err) {
  (void)type;
  return sp_csv_encode_vec(in, o, out, err);
}

int sp_k_from_csv(const sp_kctx *k, sp_opnd *out) { return sp_k_codec(k, "from_csv", decode_, out); }

int sp_k_to_csv(const sp_kctx *k, sp_opnd *out) { return sp_k_codec(k, "to_csv", encode_, out); }
