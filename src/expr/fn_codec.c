/*
 * fn_codec.c - what from_json/to_json (fn_json.c) and from_csv/to_csv (fn_csv.c)
 * share: the call's fn_data (an sp_format_opts whose strings it owns), the options
 * map parsed once at binding (Spark's CaseInsensitiveMap: keys case-insensitive,
 * duplicates refused as map() does, unknown keys ignored), and the kernel body
 * that runs a format's whole-column decoder or encoder.
 *
 * Invariants: the fn_data is immutable after binding; kernels copy its options and
 * only fill in the session time zone (unless the timeZone option set one), so one
 * bound call may run on many threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datetime.h"
#include "expr/expr_internal.h"

static void codec_data_destroy_(sp_fn_data *base) {
  sp_codec_fn_data *d = (sp_codec_fn_data *)base;
  for (int i = 0; i < d->nowned; i++) free(d->owned[i]);
  free(d);
}

sp_codec_fn_data *sp_codec_data_new(void) {
  sp_codec_fn_data *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->base.destroy = codec_data_destroy_;
  sp_format_opts_default(&d->opts);
  return d;
}

const char *sp_codec_keep(sp_codec_fn_data *d, const char *s) {
  if (d->nowned >= (int)(sizeof d->owned / sizeof d->owned[0])) return NULL;
  char *c = strdup(s);
  if (c) d->owned[d->nowned++] = c;
  return c;
}

int sp_codec_parse_options(sp_codec_fn_data *d, const char *fname, bool decoding, const char *const *kv, int nkv,
                           sp_codec_option_fn extra, char *msg, size_t cap) {
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
      } else if (m == SP_MODE_DROPMALFORMED && decoding) {
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
    if (!strcasecmp(k, "columnNameOfCorruptRecord")) slot = &d->opts.corrupt_record_column;
    else if (!strcasecmp(k, "timestampFormat")) slot = &d->opts.timestamp_format;
    else if (!strcasecmp(k, "dateFormat")) slot = &d->opts.date_format;
    else if (!strcasecmp(k, "timeZone")) slot = &d->opts.timezone;
    if (!slot) {
      bool handled = false;
      if (extra) rc = extra(d, k, v, &handled, msg, cap);
      continue; /* the format's own option, or not ours: ignored, as Spark ignores unknown options */
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
    if (!(*slot = sp_codec_keep(d, v))) rc = SPATE_ENOMEM;
  }
  return rc;
}

int sp_k_codec(const sp_kctx *k, const char *fname, sp_codec_run_fn run, sp_opnd *out) {
  const sp_codec_fn_data *d = k->e->fn_data;
  if (!d) return spate_error_set(k->err, SPATE_EINVAL, "%s was not prepared", fname);
  const sp_opnd *a = &k->args[0];
  out->owned = true;
  if (a->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_format_opts o = d->opts;
  if (!d->has_tz) o.timezone = k->ctx ? k->ctx->timezone : NULL;
  sp_vec *res = NULL;
  int rc = run(a->vec, k->e->type, &o, &res, k->err);
  if (rc) {
    if (rc == SPATE_EMALFORMED) {
      char m[SPATE_ERROR_MESSAGE_MAX];
      snprintf(m, sizeof m, "%s", k->err->message);
      spate_error_set(k->err, rc,
                      "[MALFORMED_RECORD_IN_PARSING] %s: %s To process malformed records as null result, "
                      "try setting the option 'mode' as 'PERMISSIVE'.",
                      fname, m);
    }
    out->owned = false;
    return rc;
  }
  out->vec = res;
  return 0;
}
