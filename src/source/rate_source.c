/*
 * rate_source.c - the `rate` and `rate-micro-batch` test/benchmark sources
 * (Spark's RateStreamMicroBatchStream and RatePerMicroBatchStream). Both emit
 * `timestamp TIMESTAMP, value BIGINT` and are replayable: rows are a pure
 * function of the offsets (and, for `rate`, of the persisted start time).
 *
 * rate: offset = whole seconds since the stream's creation time, persisted once
 * in sources/<i>/0 as "v1\n<millis>". A batch covering seconds [s0, s1) emits
 * values valueAt(s0) .. valueAt(s1)-1 (with Spark's ramp-up formula), value v
 * stamped creation + s0*1000 + round((v - valueAt(s0)) * 1000*(s1-s0) / rows) ms;
 * partition p gets values start+p, start+p+numPartitions, ...
 *
 * rate-micro-batch: offset {"offset":N,"timestamp":T}, initial {0, startTimestamp};
 * every batch advances rowsPerBatch values and advanceMillisPerBatch ms regardless
 * of wall time; all rows of a batch carry the start offset's timestamp.
 *
 * Invariants: per-batch generation loops write straight into reserved vectors
 * (no per-row allocation); offsets never decrease.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "checkpoint/checkpoint.h"
#include "runtime/pool.h"
#include "source/source.h"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int64_t now_ms_(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_long_(const char *s, int64_t *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || *end) return -1;
  *out = x;
  return 0;
}

static sp_type *rate_schema_(void) {
  sp_type *st = sp_type_struct_new(2);
  if (!st || sp_type_struct_set(st, 0, "timestamp", sp_type_prim(SP_TIMESTAMP), true) ||
      sp_type_struct_set(st, 1, "value", sp_type_prim(SP_BIGINT), true)) {
    sp_type_unref(st);
    return NULL;
  }
  return st;
}

/* Long option with Spark's CaseInsensitiveStringMap.getLong behaviour. */
static int long_opt_(const sp_source_spec *spec, const char *name, int64_t def, int64_t *out, spate_error *err) {
  const char *v = sp_source_spec_option(spec, name);
  *out = def;
  if (!v) return 0;
  if (parse_long_(v, out))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option '%s': For input string: \"%s\"", v, name,
                           v);
  return 0;
}

/* numPartitions: 0 = default (the session pool's parallelism, fixed at open). */
static int parts_opt_(const sp_source_spec *spec, int *out, spate_error *err) {
  int64_t n;
  int rc = long_opt_(spec, "numPartitions", 0, &n, err);
  if (rc) return rc;
  if (sp_source_spec_option(spec, "numPartitions") && (n <= 0 || n > INT32_MAX))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%lld'. The option 'numPartitions' must be positive",
                           (long long)n);
  *out = (int)n;
  return 0;
}

static int default_parts_(sp_pool *pool) {
  int n = pool ? sp_pool_size(pool) : 0;
  return n > 0 ? n : 1;
}

/* Build numPartitions batches of the values start + p + k*nparts < end. ts_of(v) gives
 * the timestamp in microseconds. */
typedef struct rate_gen {
  int64_t range_start, range_end;
  /* rate: ts = (local_start_ms + round((v - range_start) * rel_ms)) * 1000 */
  int64_t local_start_ms;
  double rel_ms;
  bool constant_ts;     /* rate-micro-batch: every row at local_start_ms */
} rate_gen;

static int emit_(const rate_gen *g, sp_type *schema, int nparts, sp_batch_list *out, spate_error *err) {
  for (int p = 0; p < nparts; p++) {
    int64_t first = g->range_start + p;
    int64_t n = first < g->range_end ? (g->range_end - first + nparts - 1) / nparts : 0;
    sp_batch *b = sp_batch_new(schema, n);
    if (!b) return oom_(err);
    sp_vec *ts = b->cols[0], *val = b->cols[1];
    sp_vec_reserve(ts, n);
    sp_vec_reserve(val, n);
    if (sp_batch_check(b)) {
      sp_batch_free(b);
      return oom_(err);
    }
    int64_t *tsd = sp_vec_i64(ts), *vd = sp_vec_i64(val);
    int64_t v = first;
    if (g->constant_ts) {
      int64_t t = g->local_start_ms * 1000;
      for (int64_t k = 0; k < n; k++, v += nparts) {
        tsd[k] = t;
        vd[k] = v;
      }
    } else {
      for (int64_t k = 0; k < n; k++, v += nparts) {
        /* Java Math.round: floor(x + 0.5) */
        int64_t rel = (int64_t)floor((double)(v - g->range_start) * g->rel_ms + 0.5);
        tsd[k] = (g->local_start_ms + rel) * 1000;
        vd[k] = v;
      }
    }
    ts->length = val->length = n;
    b->nrows = n;
    if (sp_batch_list_push(out, b)) return oom_(err);
  }
  return 0;
}

/* ====================================================================== */
/* rate                                                                   */
/* ====================================================================== */

typedef struct rate_impl {
  int64_t rows_per_sec, ramp_up_s, max_seconds;
  int nparts;          /* 0 until open when defaulted */
  bool nparts_given;
  int64_t creation_ms, last_ms;
} rate_impl;

static const char *const rate_options_[] = {"rowsPerSecond", "rampUpTime", "numPartitions", NULL};

/* RateStreamProvider.valueAtSecond. */
static int64_t value_at_second_(int64_t seconds, int64_t rows_per_sec, int64_t ramp_up) {
  int64_t delta = rows_per_sec / (ramp_up + 1);
  if (seconds <= ramp_up) {
    if (seconds % 2 == 1) return (seconds + 1) / 2 * delta * seconds;
    return seconds / 2 * delta * (seconds + 1);
  }
  int64_t ramp_part = value_at_second_(ramp_up, rows_per_sec, ramp_up);
  return ramp_part + (seconds - ramp_up) * rows_per_sec;
}

/* JavaUtils.timeStringAsSec: "<n>[us|ms|s|m|min|h|d]", bare number = seconds; truncated. */
static int time_string_sec_(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || end == s) return -1;
  if (!*end || !strcasecmp(end, "s"))
    *out = x;
  else if (!strcasecmp(end, "ms"))
    *out = x / 1000;
  else if (!strcasecmp(end, "us"))
    *out = x / 1000000;
  else if (!strcasecmp(end, "m") || !strcasecmp(end, "min"))
    *out = x * 60;
  else if (!strcasecmp(end, "h"))
    *out = x * 3600;
  else if (!strcasecmp(end, "d"))
    *out = x * 86400;
  else
    return -1;
  return 0;
}

static int rate_create_(const sp_source_spec *spec, sp_source *s, spate_error *err) {
  if (spec->user_schema) /* Spark: the schema is fixed */
    return spate_error_set(err, SPATE_EANALYSIS, "The rate source does not support a user-specified schema.");
  int64_t rows;
  int rc = long_opt_(spec, "rowsPerSecond", 1, &rows, err);
  if (rc) return rc;
  if (rows <= 0)
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%lld'. The option 'rowsPerSecond' must be positive",
                           (long long)rows);
  int64_t ramp = 0;
  const char *rv = sp_source_spec_option(spec, "rampUpTime");
  if (rv && time_string_sec_(rv, &ramp))
    return spate_error_set(err, SPATE_EINVAL,
                           "Time must be specified as seconds (s), milliseconds (ms), microseconds (us), minutes (m "
                           "or min), hour (h), or day (d). E.g. 50s, 100ms, or 250us. (option 'rampUpTime': '%s')",
                           rv);
  if (ramp < 0)
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%lld'. The option 'rampUpTime' must not be negative",
                           (long long)ramp);
  int parts = 0;
  if ((rc = parts_opt_(spec, &parts, err))) return rc;
  int64_t max_seconds = INT64_MAX / rows;
  if (ramp > max_seconds)
    return spate_error_set(err, SPATE_EINVAL,
                           "Integer overflow. Max offset with %lld rowsPerSecond is %lld, but 'rampUpTimeSeconds' is "
                           "%lld.",
                           (long long)rows, (long long)max_seconds, (long long)ramp);
  rate_impl *ri = calloc(1, sizeof *ri);
  if (!ri) return oom_(err);
  s->impl = ri;
  ri->rows_per_sec = rows;
  ri->ramp_up_s = ramp;
  ri->max_seconds = max_seconds;
  ri->nparts = parts;
  ri->nparts_given = parts > 0;
  ri->creation_ms = -1;
  if (!(s->schema = rate_schema_())) return oom_(err);
  char desc[256];
  if (ri->nparts_given)
    snprintf(desc, sizeof desc, "RateStreamV2[rowsPerSecond=%lld, rampUpTimeSeconds=%lld, numPartitions=%d",
             (long long)rows, (long long)ramp, parts);
  else
    snprintf(desc, sizeof desc, "RateStreamV2[rowsPerSecond=%lld, rampUpTimeSeconds=%lld, numPartitions=default",
             (long long)rows, (long long)ramp);
  /* (Spark's toString really lacks the closing bracket.) */
  if (!(s->description = strdup(desc))) return oom_(err);
  return 0;
}

static int rate_open_(sp_source *s, const char *meta_dir, sp_pool *pool, spate_error *err) {
  rate_impl *ri = s->impl;
  if (!ri->nparts_given) ri->nparts = default_parts_(pool);
  size_t n = strlen(meta_dir) + 8;
  char *path = malloc(n);
  if (!path) return oom_(err);
  snprintf(path, n, "%s/0", meta_dir);
  char *data = NULL;
  size_t len = 0;
  int rc = sp_fs_read_all(path, &data, &len, err);
  if (rc == SPATE_ENOTFOUND) {
    int64_t now = now_ms_();
    char text[64];
    int tl = snprintf(text, sizeof text, "v1\n%lld", (long long)now);
    rc = sp_fs_write_atomic(path, text, (size_t)tl, false, err);
    if (!rc) ri->creation_ms = now;
  } else if (!rc) {
    int64_t ms;
    if (len < 4 || strncmp(data, "v1\n", 3) != 0 || parse_long_(data + 3, &ms))
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "Log file was malformed: failed to detect the log file version "
                                                   "line (%s)",
                           path);
    else
      ri->creation_ms = ms;
  }
  free(data);
  free(path);
  if (!rc) ri->last_ms = ri->creation_ms;
  return rc;
}

static int rate_offset_(const char *json, int64_t *out, spate_error *err) {
  if (parse_long_(json, out))
    return spate_error_set(err, SPATE_ECHECKPOINT, "invalid rate source offset '%s' (expected a number)", json);
  return 0;
}

static int rate_latest_offset_(sp_source *s, const char *start, char **end, spate_error *err) {
  rate_impl *ri = s->impl;
  *end = NULL;
  if (ri->creation_ms < 0) return spate_error_set(err, SPATE_ESTATE, "rate source used before open()");
  int64_t now = now_ms_();
  if (ri->last_ms < now) ri->last_ms = now;
  int64_t secs = (ri->last_ms - ri->creation_ms) / 1000;
  if (!start && secs == 0) return 0; /* equal to the initial offset 0: nothing yet */
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)secs);
  *end = strdup(buf);
  return *end ? 0 : oom_(err);
}

static int rate_get_batch_(sp_source *s, const char *start, const char *end, sp_batch_list *out, spate_error *err) {
  rate_impl *ri = s->impl;
  int64_t s0 = 0, s1 = 0;
  int rc;
  if (start && (rc = rate_offset_(start, &s0, err))) return rc;
  if ((rc = rate_offset_(end, &s1, err))) return rc;
  if (s0 > s1)
    return spate_error_set(err, SPATE_ESTATE, "startSeconds(%lld) > endSeconds(%lld)", (long long)s0, (long long)s1);
  if (s1 > ri->max_seconds)
    return spate_error_set(err, SPATE_ERUNTIME, "Integer overflow. Max offset with %lld rowsPerSecond is %lld, but "
                                                "it's %lld now.",
                           (long long)ri->rows_per_sec, (long long)ri->max_seconds, (long long)s1);
  if (ri->last_ms < s1 * 1000 + ri->creation_ms) ri->last_ms = s1 * 1000 + ri->creation_ms; /* recovery */
  rate_gen g;
  g.range_start = value_at_second_(s0, ri->rows_per_sec, ri->ramp_up_s);
  g.range_end = value_at_second_(s1, ri->rows_per_sec, ri->ramp_up_s);
  if (g.range_start == g.range_end) return 0;
  g.local_start_ms = ri->creation_ms + s0 * 1000;
  g.rel_ms = (double)((s1 - s0) * 1000) / (double)(g.range_end - g.range_start);
  g.constant_ts = false;
  return emit_(&g, s->schema, ri->nparts > 0 ? ri->nparts : 1, out, err);
}

static void rate_close_(sp_source *s) {
  free(s->impl);
  s->impl = NULL;
}

const sp_source_vtab sp_rate_source_vtab = {
    "rate", rate_options_, true, rate_create_, rate_open_, NULL, rate_latest_offset_, rate_get_batch_, NULL,
    rate_close_, NULL, NULL};

/* ====================================================================== */
/* rate-micro-batch                                                       */
/* ====================================================================== */

typedef struct rmb_impl {
  int64_t rows_per_batch, start_ts, advance_ms;
  int nparts;
  bool nparts_given;
  bool available_now;
  char *an_target;     /* AvailableNow: the end offset fixed on the first call */
} rmb_impl;

static const char *const rmb_options_[] = {"rowsPerBatch", "numPartitions", "startTimestamp", "advanceMillisPerBatch",
                                           NULL};

static int rmb_create_(const sp_source_spec *spec, sp_source *s, spate_error *err) {
  if (spec->user_schema) /* Spark: the schema is fixed */
    return spate_error_set(err, SPATE_EANALYSIS, "The rate-micro-batch source does not support a user-specified schema.");
  int64_t rows, start_ts, adv;
  int rc = long_opt_(spec, "rowsPerBatch", 0, &rows, err);
  if (rc) return rc;
  if (rows <= 0)
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%lld'. The option 'rowsPerBatch' must be positive",
                           (long long)rows);
  int parts = 0;
  if ((rc = parts_opt_(spec, &parts, err))) return rc;
  if ((rc = long_opt_(spec, "startTimestamp", 0, &start_ts, err))) return rc;
  if (start_ts < 0)
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%lld'. The option 'startTimestamp' must be non-negative",
                           (long long)start_ts);
  if ((rc = long_opt_(spec, "advanceMillisPerBatch", 1000, &adv, err))) return rc;
  if (adv < 0 || adv > INT32_MAX)
    return spate_error_set(err, SPATE_EINVAL,
                           "Invalid value '%lld'. The option 'advanceMillisPerBatch' must be non-negative",
                           (long long)adv);
  rmb_impl *ri = calloc(1, sizeof *ri);
  if (!ri) return oom_(err);
  s->impl = ri;
  ri->rows_per_batch = rows;
  ri->start_ts = start_ts;
  ri->advance_ms = adv;
  ri->nparts = parts;
  ri->nparts_given = parts > 0;
  if (!(s->schema = rate_schema_())) return oom_(err);
  char desc[256];
  char np[32];
  if (parts > 0)
    snprintf(np, sizeof np, "%d", parts);
  else
    snprintf(np, sizeof np, "default");
  snprintf(desc, sizeof desc,
           "RatePerMicroBatchStream[rowsPerBatch=%lld, numPartitions=%s, startTimestamp=%lld, advanceMsPerBatch=%lld]",
           (long long)rows, np, (long long)start_ts, (long long)adv);
  if (!(s->description = strdup(desc))) return oom_(err);
  return 0;
}

static int rmb_open_(sp_source *s, const char *meta_dir, sp_pool *pool, spate_error *err) {
  rmb_impl *ri = s->impl;
  if (!ri->nparts_given) {
    ri->nparts = default_parts_(pool);
    char *d = s->description;
    char desc[256];
    snprintf(desc, sizeof desc,
             "RatePerMicroBatchStream[rowsPerBatch=%lld, numPartitions=%d, startTimestamp=%lld, "
             "advanceMsPerBatch=%lld]",
             (long long)ri->rows_per_batch, ri->nparts, (long long)ri->start_ts, (long long)ri->advance_ms);
    char *nd = strdup(desc);
    if (!nd) return oom_(err);
    s->description = nd;
    free(d);
  }
  return 0;
}

static int rmb_offset_(const char *json, int64_t *off, int64_t *ts, spate_error *err) {
  json_t *j = json_loads(json, 0, NULL);
  json_t *o = j ? json_object_get(j, "offset") : NULL, *t = j ? json_object_get(j, "timestamp") : NULL;
  if (!json_is_integer(o) || !json_is_integer(t)) {
    json_decref(j);
    return spate_error_set(err, SPATE_ECHECKPOINT,
                           "invalid rate-micro-batch offset '%s' (expected {\"offset\":N,\"timestamp\":T})", json);
  }
  *off = (int64_t)json_integer_value(o);
  *ts = (int64_t)json_integer_value(t);
  json_decref(j);
  return 0;
}

static int rmb_prepare_available_now_(sp_source *s, spate_error *err) {
  rmb_impl *ri = s->impl;
  ri->available_now = true;
  return 0;
}

static int rmb_latest_offset_(sp_source *s, const char *start, char **end, spate_error *err) {
  rmb_impl *ri = s->impl;
  *end = NULL;
  if (ri->available_now && ri->an_target) {
    *end = strdup(ri->an_target);
    return *end ? 0 : oom_(err);
  }
  int64_t o = 0, t = ri->start_ts;
  int rc;
  if (start && (rc = rmb_offset_(start, &o, &t, err))) return rc;
  int64_t eo = o > INT64_MAX - ri->rows_per_batch ? INT64_MAX : o + ri->rows_per_batch;
  char buf[96];
  snprintf(buf, sizeof buf, "{\"offset\":%lld,\"timestamp\":%lld}", (long long)eo, (long long)(t + ri->advance_ms));
  if (!(*end = strdup(buf))) return oom_(err);
  if (ri->available_now && !(ri->an_target = strdup(buf))) return oom_(err);
  return 0;
}

static int rmb_get_batch_(sp_source *s, const char *start, const char *end, sp_batch_list *out, spate_error *err) {
  rmb_impl *ri = s->impl;
  int64_t so = 0, st = ri->start_ts, eo, et;
  int rc;
  if (start && (rc = rmb_offset_(start, &so, &st, err))) return rc;
  if ((rc = rmb_offset_(end, &eo, &et, err))) return rc;
  if (so > eo || st > et)
    return spate_error_set(err, SPATE_ESTATE, "rate-micro-batch: start offset %s is after end offset %s",
                           start ? start : "(initial)", end);
  if (so == eo) return 0;
  rate_gen g = {so, eo, st, 0.0, true};
  return emit_(&g, s->schema, ri->nparts > 0 ? ri->nparts : 1, out, err);
}

static void rmb_close_(sp_source *s) {
  rmb_impl *ri = s->impl;
  if (!ri) return;
  free(ri->an_target);
  free(ri);
  s->impl = NULL;
}

const sp_source_vtab sp_rate_micro_batch_source_vtab = {
    "rate-micro-batch", rmb_options_,       true,          rmb_create_, rmb_open_, rmb_prepare_available_now_,
    rmb_latest_offset_, rmb_get_batch_, NULL, rmb_close_, NULL, NULL};
