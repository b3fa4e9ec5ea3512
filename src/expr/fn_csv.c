/*
 * fn_csv.c - the SQL functions from_csv(str, schema [, options]) and
 * to_csv(struct [, options]) (Spark's CsvToStructs / StructsToCsv).
 *
 * Binding (bind.c, shared with from_json) hands over the DDL schema text of from_csv
 * and the options given as map('k', 'v', ...). sp_csv_fn_prepare() parses them once
 * into an sp_csv_fn_data (the call's fn_data): the result type and an sp_format_opts
 * whose strings the fn_data owns. The kernels decode / encode a whole column per call
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

typedef struct sp_csv_fn_data {
  sp_fn_data base;
  sp_format_opts opts;
  bool has_tz;    /* opts.timezone came from the timeZone option */
  char *owned[8]; /* strings opts points into */
  int nowned;
} sp_csv_fn_data;

static void csv_data_destroy_(sp_fn_data *base) {
  sp_csv_fn_data *d = (sp_csv_fn_data *)base;
  for (int i = 0; i < d->nowned; i++) free(d->owned[i]);
  free(d);
}

static const char *keep_(sp_csv_fn_data *d, const char *s) {
  if (d->nowned >= (int)(sizeof d->owned / sizeof d->owned[0])) return NULL;
  char *c = strdup(s);
  if (c) d->owned[d->nowned++] = c;
  return c;
}

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

int sp_csv_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, const sp_type *input,
                      sp_type **type, sp_fn_data **out, char *msg, size_t cap) {
  *out = NULL;
  *type = NULL;
  sp_csv_fn_data *d = calloc(1, sizeof *d);
  if (!d) return SPATE_ENOMEM;
  d->base.destroy = csv_data_destroy_;
  sp_format_opts_default(&d->opts);
  int rc = 0;
  for (int i = 0; i + 1 < nkv && !rc; i += 2)
    for (int j = 0; j < i && !rc; j += 2)
      if (!strcmp(kv[i], kv[j])) {
        snprintf(msg, cap, "[DUPLICATED_MAP_KEY] Duplicate map key %s was found, please check the input data.",
                 kv[i]);
        rc = SPATE_EANALYSIS;
      }
  const char *fname = fn == SP_FN_FROM_CSV ? "from_csv" : "to_csv";
  for (int i = 0; i + 1 < nkv && !rc; i += 2) {
    const char *k = kv[i], *v = kv[i + 1];
    const char **slot = NULL;
    if (!strcasecmp(k, "mode")) {
      int m = sp_parse_mode_from_string(v);
      if (m < 0) {
        snprintf(msg, cap, "[INVALID_OPTIONS] Invalid options: unknown parse mode '%s' (PERMISSIVE or FAILFAST).", v);
        rc = SPATE_EANALYSIS;
      } else if (m == SP_MODE_DROPMALFORMED && fn == SP_FN_FROM_CSV) {
        snprintf(msg, cap,
                 "[PARSE_MODE_UNSUPPORTED] The function `%s` doesn't support the DROPMALFORMED mode. "
                 "Acceptable modes are PERMISSIVE and FAILFAST.",
                 fname);
        rc = SPATE_EANALYSIS;
      } else {
        d->opts.mode = (sp_parse_mode)m;
      }
      continue;
    }
    if (!strcasecmp(k, "sep") || !strcasecmp(k, "delimiter")) {
      rc = char_opt_(k, v, true, &d->opts.sep, msg, cap);
      continue;
    }
    if (!strcasecmp(k, "quote")) {
      rc = char_opt_(k, v, false, &d->opts.quote, msg, cap);
      continue;
    }
    if (!strcasecmp(k, "escape")) {
      rc = char_opt_(k, v, false, &d->opts.escape, msg, cap);
      continue;
    }
    if (!strcasecmp(k, "nullValue")) slot = &d->opts.null_value;
    else if (!strcasecmp(k, "columnNameOfCorruptRecord")) slot = &d->opts.corrupt_record_column;
    else if (!strcasecmp(k, "timestampFormat")) slot = &d->opts.timestamp_format;
    else if (!strcasecmp(k, "dateFormat")) slot = &d->opts.date_format;
    else if (!strcasecmp(k, "timeZone")) slot = &d->opts.timezone;
    else continue; /* not ours: ignored, as Spark ignores unknown options */
    if (slot == &d->opts.timestamp_format || slot == &d->opts.date_format) {
      sp_dtfmt *f = sp_dtfmt_compile(v);
      if (!f) {
        snprintf(msg, cap, "[INVALID_DATETIME_PATTERN] Unrecognized datetime pattern: %s", v);
        rc = SPATE_EANALYSIS;
        continue;
      }
      sp_dtfmt_free(f);
    } else if (slot == &d->opts.timezone) {
      sp_tz *z = sp_tz_is_utc(v) ? NULL : sp_tz_open(v);
      if (!sp_tz_is_utc(v) && !z) {
        snprintf(msg, cap, "[INVALID_TIMEZONE] The timezone: %s is invalid.", v);
        rc = SPATE_EANALYSIS;
        continue;
      }
      sp_tz_close(z);
      d->has_tz = true;
    }
    if (!(*slot = keep_(d, v))) rc = SPATE_ENOMEM;
  }
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
    csv_data_destroy_(&d->base);
    return rc;
  }
  *out = &d->base;
  return 0;
}

/* The call's options with the session time zone unless the timeZone option set one. */
static sp_format_opts opts_of_(const sp_kctx *k) {
  const sp_csv_fn_data *d = k->e->fn_data;
  sp_format_opts o = d->opts;
  if (!d->has_tz) o.timezone = k->ctx ? k->ctx->timezone : NULL;
  return o;
}

int sp_k_from_csv(const sp_kctx *k, sp_opnd *out) {
  if (!k->e->fn_data) return spate_error_set(k->err, SPATE_EINVAL, "from_csv was not prepared");
  const sp_opnd *a = &k->args[0];
  out->owned = true;
  if (a->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_format_opts o = opts_of_(k);
  sp_vec *res = NULL;
  int rc = sp_csv_decode_vec(a->vec, k->e->type, &o, &res, k->err);
  if (rc) {
    if (rc == SPATE_EMALFORMED) {
      char m[SPATE_ERROR_MESSAGE_MAX];
      snprintf(m, sizeof m, "%s", k->err->message);
      spate_error_set(k->err, rc,
                      "[MALFORMED_RECORD_IN_PARSING] from_csv: %s To process malformed records as null result, "
                      "try setting the option 'mode' as 'PERMISSIVE'.",
                      m);
    }
    out->owned = false;
    return rc;
  }
  out->vec = res;
  return 0;
}

int sp_k_to_csv(const sp_kctx *k, sp_opnd *out) {
  if (!k->e->fn_data) return spate_error_set(k->err, SPATE_EINVAL, "to_csv was not prepared");
  const sp_opnd *a = &k->args[0];
  out->owned = true;
  if (a->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_format_opts o = opts_of_(k);
  sp_vec *res = NULL;
  int rc = sp_csv_encode_vec(a->vec, &o, &res, k->err);
  if (rc) {
    out->owned = false;
    return rc;
  }
  out->vec = res;
  return 0;
}
