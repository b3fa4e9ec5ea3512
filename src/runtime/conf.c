/*
 * conf.c - session configuration map with Spark's defaults.
 * Invariant: keys are unique (sp_conf_set replaces); lookups are linear (a session
 * has tens of confs, read at query start, never per row).
 */
#include "runtime/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const defaults_[][2] = {
    {"spark.sql.shuffle.partitions", "200"},
    {"spark.sql.streaming.schemaInference", "false"},
    {"spark.sql.streaming.minBatchesToRetain", "100"},
    {"spark.sql.streaming.noDataMicroBatches.enabled", "true"},
    {"spark.sql.streaming.pollingDelay", "10ms"},
    {"spark.sql.streaming.noDataProgressEventInterval", "10000ms"},
    {"spark.sql.streaming.numRecentProgressUpdates", "100"},
    {"spark.sql.streaming.stateStore.minDeltasForSnapshot", "10"},
    {"spark.sql.streaming.stateStore.maintenanceInterval", "60s"},
    {"spark.sql.streaming.stateStore.providerClass",
     "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider"},
    {"spark.sql.streaming.stateStore.compression.codec", "none"},
    {"spark.sql.streaming.multipleWatermarkPolicy", "min"},
    {"spark.sql.streaming.aggregation.stateFormatVersion", "2"},
    {"spark.sql.streaming.join.stateFormatVersion", "2"},
    {"spark.sql.streaming.fileSource.log.compactInterval", "10"},
    {"spark.sql.streaming.fileSink.log.compactInterval", "10"},
    {"spark.sql.streaming.stopTimeout", "0"},
    {"spark.sql.session.timeZone", "UTC"},
    {"spark.sql.ansi.enabled", "false"},
    {"spark.streaming.stopGracefullyOnShutdown", "false"},
};

const char *sp_conf_default(const char *key) {
  for (size_t i = 0; i < sizeof defaults_ / sizeof defaults_[0]; i++)
    if (strcmp(defaults_[i][0], key) == 0) return defaults_[i][1];
  return NULL;
}

void sp_conf_init(sp_conf *c) { memset(c, 0, sizeof *c); }

void sp_conf_release(sp_conf *c) {
  for (int i = 0; i < c->n; i++) {
    free(c->keys[i]);
    free(c->values[i]);
  }
  free(c->keys);
  free(c->values);
  memset(c, 0, sizeof *c);
}

int sp_conf_set(sp_conf *c, const char *key, const char *value) {
  char *v = strdup(value);
  if (!v) return SPATE_ENOMEM;
  for (int i = 0; i < c->n; i++) {
    if (strcmp(c->keys[i], key) == 0) {
      free(c->values[i]);
      c->values[i] = v;
      return 0;
    }
  }
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    char **k = realloc(c->keys, (size_t)cap * sizeof *k);
    if (!k) goto oom;
    c->keys = k;
    char **vv = realloc(c->values, (size_t)cap * sizeof *vv);
    if (!vv) goto oom;
    c->values = vv;
    c->cap = cap;
  }
  c->keys[c->n] = strdup(key);
  if (!c->keys[c->n]) goto oom;
  c->values[c->n++] = v;
  return 0;
oom:
  free(v);
  return SPATE_ENOMEM;
}

int sp_conf_copy(sp_conf *dst, const sp_conf *src) {
  sp_conf_init(dst);
  for (int i = 0; i < src->n; i++) {
    if (sp_conf_set(dst, src->keys[i], src->values[i])) {
      sp_conf_release(dst);
      return SPATE_ENOMEM;
    }
  }
  return 0;
}

const char *sp_conf_get(const sp_conf *c, const char *key) {
  if (c)
    for (int i = 0; i < c->n; i++)
      if (strcmp(c->keys[i], key) == 0) return c->values[i];
  return sp_conf_default(key);
}

int sp_conf_get_int(const sp_conf *c, const char *key, int64_t *out, spate_error *err) {
  const char *v = sp_conf_get(c, key);
  if (!v) return spate_error_set(err, SPATE_ENOTFOUND, "configuration %s is not set", key);
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  while (*end && isspace((unsigned char)*end)) end++;
  if (errno || end == v || *end)
    return spate_error_set(err, SPATE_EINVAL, "%s should be an integer, but was '%s'", key, v);
  *out = x;
  return 0;
}

int sp_conf_get_bool(const sp_conf *c, const char *key, bool *out, spate_error *err) {
  const char *v = sp_conf_get(c, key);
  if (!v) return spate_error_set(err, SPATE_ENOTFOUND, "configuration %s is not set", key);
  if (strcasecmp(v, "true") == 0) {
    *out = true;
    return 0;
  }
  if (strcasecmp(v, "false") == 0) {
    *out = false;
    return 0;
  }
  return spate_error_set(err, SPATE_EINVAL, "%s should be boolean, but was '%s'", key, v);
}

int sp_conf_get_ms(const sp_conf *c, const char *key, int64_t *out, spate_error *err) {
  const char *v = sp_conf_get(c, key);
  if (!v) return spate_error_set(err, SPATE_ENOTFOUND, "configuration %s is not set", key);
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (errno || end == v) return spate_error_set(err, SPATE_EINVAL, "%s should be a duration, but was '%s'", key, v);
  while (*end == ' ') end++;
  double mult = 1;
  if (*end == '\0' || strcasecmp(end, "ms") == 0 || strncasecmp(end, "milli", 5) == 0)
    mult = 1;
  else if (strcasecmp(end, "s") == 0 || strncasecmp(end, "sec", 3) == 0)
    mult = 1000;
  else if (strcasecmp(end, "m") == 0 || strncasecmp(end, "min", 3) == 0)
    mult = 60000;
  else if (strcasecmp(end, "h") == 0 || strncasecmp(end, "hour", 4) == 0)
    mult = 3600000;
  else if (strcasecmp(end, "d") == 0 || strncasecmp(end, "day", 3) == 0)
    mult = 86400000;
  else if (strcasecmp(end, "us") == 0 || strncasecmp(end, "micro", 5) == 0)
    mult = 0.001;
  else
    return spate_error_set(err, SPATE_EINVAL, "%s should be a duration, but was '%s'", key, v);
  *out = (int64_t)(x * mult);
  return 0;
}
