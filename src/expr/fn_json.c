/*
 * fn_json.c - the SQL functions from_json(str, schema [, options]) and
 * to_json(struct|array [, options]) (Spark's JsonToStructs / StructsToJson).
 *
 * Binding (bind.c) hands over the constant parts of a call: the DDL schema text of
 * from_json and the options given as map('k', 'v', ...). sp_json_fn_prepare() parses
 * them once into an sp_codec_fn_data (the call's fn_data, fn_codec.c): the result
 * type and an sp_format_opts whose strings the fn_data owns. The kernels then decode / encode a
 * whole column per call with the format module's vector entry points
 * (sp_json_decode_vec: simdjson, no per-row DOM; sp_json_encode_vec).
 *
 * Invariants:
 *   - fn_data is immutable after binding; kernels copy its sp_format_opts and only
 *     fill in the session time zone, so one bound call may run on many threads.
 *   - from_json's result type is the schema made nullable at every level (Spark's
 *     schema.asNullable): a NULL or blank input gives a NULL row, a malformed
 *     document in PERMISSIVE mode a row whose fields are all NULL (Spark 3.x), a
 *     value of the wrong type only that field NULL; FAILFAST fails the evaluation
 *     with SPATE_EMALFORMED naming the row and the problem.
 *   - to_json renders NULL input as NULL and omits NULL fields (ignoreNullFields
 *     defaults to true, as Spark's spark.sql.jsonGenerator.ignoreNullFields).
 *   - Option keys are case-insensitive (Spark's CaseInsensitiveMap); options that
 *     do not apply are ignored, as Spark does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "expr/expr_internal.h"
#include "format/format.h"
#include "sql/parser.h"

/* A copy of t with every struct field nullable and every array containsNull. */
static sp_type *as_nullable_(sp_type *t) {
  if (t->id == SP_ARRAY) {
    sp_type *e = as_nullable_(t->elem);
    return e ? sp_type_array_new(e, true) : NULL;
  }
  if (t->id != SP_STRUCT) return sp_type_ref(t);
  sp_type *st = sp_type_struct_new(t->nfields);
  if (!st) return NULL;
  for (int i = 0; i < t->nfields; i++) {
    sp_type *f = as_nullable_(t->fields[i].type);
    if (!f || sp_type_struct_set(st, i, t->fields[i].name, f, true)) {
      sp_type_unref(st);
      return NULL;
    }
  }
  return st;
}

/* from_json schema text: a DDL field list ("a INT, b STRING"), "STRUCT<...>", or
 * "ARRAY<...>" (Spark's DataType.fromDDL also takes a bare data type). */
static int parse_schema_(const char *text, sp_type **out, char *msg, size_t cap) {
  spate_error e;
  spate_error_clear(&e);
  const char *p = text;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  sp_type *t = NULL;
  int rc;
  if (strncasecmp(p, "array", 5) == 0 && (p[5] == '<' || p[5] == ' ')) {
    /* Parse "v ARRAY<...>" and take the field's type. */
    size_t n = strlen(p);
    char *w = malloc(n + 3);
    if (!w) return SPATE_ENOMEM;
    memcpy(w, "v ", 2);
    memcpy(w + 2, p, n + 1);
    sp_type *st = NULL;
    rc = sp_parse_schema(w, &st, &e);
    free(w);
    if (!rc && st->nfields == 1) t = sp_type_ref(st->fields[0].type);
    sp_type_unref(st);
  } else {
    rc = sp_parse_schema(text, &t, &e);
  }
  if (rc == SPATE_ENOMEM) return rc;
  if (rc || !t) {
    snprintf(msg, cap,
             "[INVALID_SCHEMA.PARSE_ERROR] The input schema \"%s\" is not a valid schema string. %s", text,
             rc ? e.message : "");
    sp_type_unref(t);
    return SPATE_EANALYSIS;
  }
  if (t->id != SP_STRUCT && t->id != SP_ARRAY) {
    snprintf(msg, cap, "[INVALID_SCHEMA.PARSE_ERROR] The input schema \"%s\" is not a STRUCT or an ARRAY.", text);
    sp_type_unref(t);
    return SPATE_EANALYSIS;
  }
  *out = as_nullable_(t);
  sp_type_unref(t);
  return *out ? 0 : SPATE_ENOMEM;
}

/* to_json's own option. */
static int json_option_(sp_codec_fn_data *d, const char *k, const char *v, bool *handled, char *msg, size_t cap) {
  if (strcasecmp(k, "ignoreNullFields")) return 0;
  *handled = true;
  if (strcasecmp(v, "true") && strcasecmp(v, "false")) {
    snprintf(msg, cap, "[INVALID_OPTIONS] Invalid options: ignoreNullFields must be true or false, got '%s'.", v);
    return SPATE_EANALYSIS;
  }
  d->opts.ignore_null_fields = !strcasecmp(v, "true");
  return 0;
}

int sp_json_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, sp_type **type,
                       sp_fn_data **out, char *msg, size_t cap) {
  *out = NULL;
  *type = NULL;
  sp_codec_fn_data *d = sp_codec_data_new();
  if (!d) return SPATE_ENOMEM;
  d->opts.ignore_null_fields = true;
  bool from = fn == SP_FN_FROM_JSON;
  int rc = sp_codec_parse_options(d, from ? "from_json" : "to_json", from, kv, nkv, json_option_, msg, cap);
  if (!rc) {
    if (from)
      rc = parse_schema_(schema, type, msg, cap);
    else
      *type = sp_type_prim(SP_STRING);
  }
  if (rc) {
    d->base.destroy(&d->base);
    return rc;
  }
  *out = &d->base;
  return 0;
}

static int decode_(const sp_vec *in, const sp_type *type, const sp_format_opts *o, sp_vec **out, spate_error *err) {
  return sp_json_decode_vec(in, (sp_type *)type, o, out, err);
}

static int encode_(const sp_vec *in, const sp_type *type, const sp_format_opts *o, sp_vec **out, spate_error *err) {
  (void)type;
  return sp_json_encode_vec(in, o, out, err);
}

int sp_k_from_json(const sp_kctx *k, sp_opnd *out) { return sp_k_codec(k, "from_json", decode_, out); }

int sp_k_to_json(const sp_kctx *k, sp_opnd *out) { return sp_k_codec(k, "to_json", encode_, out); }
