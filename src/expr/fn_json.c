/*
 * fn_json.c - the SQL functions from_json(str, schema [, options]) and
 * to_json(struct|array [, options]) (Spark's JsonToStructs / StructsToJson).
 *
 * Binding (bind.c) hands over the constant parts of a call: the DDL schema text of
 * from_json and the options given as map('k', 'v', ...). sp_json_fn_prepare() parses
 * them once into an sp_json_fn_data (the call's fn_data): the result type and an
 * sp_format_opts whose strings the fn_data owns. The kernels then decode / encode a
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

typedef struct sp_json_fn_data {
  sp_fn_data base;
  sp_format_opts opts;
  bool has_tz;   /* opts.timezone came from the timeZone option */
  char *owned[8]; /* strings opts points into */
  int nowned;
} sp_json_fn_data;

static void json_data_destroy_(sp_fn_data *base) {
  sp_json_fn_data *d = (sp_json_fn_data *)base;
  for (int i = 0; i < d->nowned; i++) free(d->owned[i]);
  free(d);
}

/* Keep a copy of s in d; NULL on OOM. */
static const char *keep_(sp_json_fn_data *d, const char *s) {
  if (d->nowned >= (int)(sizeof d->owned / sizeof d->owned[0])) return NULL;
  char *c = strdup(s);
  if (c) d->owned[d->nowned++] = c;
  return c;
}

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

int sp_json_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, sp_type **type,
                       sp_fn_data **out, char *msg, size_t cap) {
  *out = NULL;
  *type = NULL;
  sp_json_fn_data *d = calloc(1, sizeof *d);
  if (!d) return SPATE_ENOMEM;
  d->base.destroy = json_data_destroy_;
  sp_format_opts_default(&d->opts);
  d->opts.ignore_null_fields = true;
  int rc = 0;
  for (int i = 0; i + 1 < nkv && !rc; i += 2)
    for (int j = 0; j < i && !rc; j += 2)
      if (!strcmp(kv[i], kv[j])) {
        /* Spark's map() under spark.sql.mapKeyDedupPolicy=EXCEPTION (the default) */
        snprintf(msg, cap, "[DUPLICATED_MAP_KEY] Duplicate map key %s was found, please check the input data.",
                 kv[i]);
        rc = SPATE_EANALYSIS;
      }
  for (int i = 0; i + 1 < nkv && !rc; i += 2) {
    const char *k = kv[i], *v = kv[i + 1];
    const char **slot = NULL;
    if (!strcasecmp(k, "mode")) {
      int m = sp_parse_mode_from_string(v);
      if (m < 0) {
        snprintf(msg, cap, "[INVALID_OPTIONS] Invalid options: unknown parse mode '%s' (PERMISSIVE or FAILFAST).", v);
        rc = SPATE_EANALYSIS;
      } else if (m == SP_MODE_DROPMALFORMED && fn == SP_FN_FROM_JSON) {
        snprintf(msg, cap,
                 "[PARSE_MODE_UNSUPPORTED] The function `from_json` doesn't support the DROPMALFORMED mode. "
                 "Acceptable modes are PERMISSIVE and FAILFAST.");
        rc = SPATE_EANALYSIS;
      } else {
        d->opts.mode = (sp_parse_mode)m;
      }
      continue;
    }
    if (!strcasecmp(k, "columnNameOfCorruptRecord")) slot = &d->opts.corrupt_record_column;
    else if (!strcasecmp(k, "timestampFormat")) slot = &d->opts.timestamp_format;
    else if (!strcasecmp(k, "dateFormat")) slot = &d->opts.date_format;
    else if (!strcasecmp(k, "timeZone")) slot = &d->opts.timezone;
    else if (!strcasecmp(k, "ignoreNullFields")) {
      if (!strcasecmp(v, "true") || !strcasecmp(v, "false")) {
        d->opts.ignore_null_fields = !strcasecmp(v, "true");
      } else {
        snprintf(msg, cap, "[INVALID_OPTIONS] Invalid options: ignoreNullFields must be true or false, got '%s'.", v);
        rc = SPATE_EANALYSIS;
      }
      continue;
    } else {
      continue; /* not ours: ignored, as Spark ignores unknown options */
    }
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
    if (fn == SP_FN_FROM_JSON)
      rc = parse_schema_(schema, type, msg, cap);
    else
      *type = sp_type_prim(SP_STRING);
  }
  if (rc) {
    json_data_destroy_(&d->base);
    return rc;
  }
  *out = &d->base;
  return 0;
}

/* The call's options with the session time zone unless the timeZone option set one. */
static sp_format_opts opts_of_(const sp_kctx *k) {
  const sp_json_fn_data *d = k->e->fn_data;
  sp_format_opts o = d->opts;
  if (!d->has_tz) o.timezone = k->ctx ? k->ctx->timezone : NULL;
  return o;
}

int sp_k_from_json(const sp_kctx *k, sp_opnd *out) {
  if (!k->e->fn_data) return spate_error_set(k->err, SPATE_EINVAL, "from_json was not prepared");
  const sp_opnd *a = &k->args[0];
  out->owned = true;
  if (a->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_format_opts o = opts_of_(k);
  sp_vec *res = NULL;
  int rc = sp_json_decode_vec(a->vec, k->e->type, &o, &res, k->err);
  if (rc) {
    if (rc == SPATE_EMALFORMED) {
      char m[SPATE_ERROR_MESSAGE_MAX];
      snprintf(m, sizeof m, "%s", k->err->message);
      spate_error_set(k->err, rc,
                      "[MALFORMED_RECORD_IN_PARSING] from_json: %s To process malformed records as null result, "
                      "try setting the option 'mode' as 'PERMISSIVE'.",
                      m);
    }
    out->owned = false;
    return rc;
  }
  out->vec = res;
  return 0;
}

int sp_k_to_json(const sp_kctx *k, sp_opnd *out) {
  if (!k->e->fn_data) return spate_error_set(k->err, SPATE_EINVAL, "to_json was not prepared");
  const sp_opnd *a = &k->args[0];
  out->owned = true;
  if (a->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_format_opts o = opts_of_(k);
  sp_vec *res = NULL;
  int rc = sp_json_encode_vec(a->vec, &o, &res, k->err);
  if (rc) {
    out->owned = false;
    return rc;
  }
  out->vec = res;
  return 0;
}
