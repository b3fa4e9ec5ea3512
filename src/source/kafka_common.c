/*
 * kafka_common.c - helpers shared by the Kafka source and sink: `kafka.*`
 * option pass-through, offset maps with Spark's JSON form, and the
 * maxOffsetsPerTrigger split (see kafka_common.h).
 *
 * Invariants: property values may be secrets (SASL/SSL passwords), so no error
 * message built here ever contains a value, only property names; offset maps
 * own their topic strings; JSON output is sorted by topic, then partition, so
 * equal maps always give equal text (the runtime compares offsets as text).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "common/buf.h"
#include "source/kafka_common.h"
#include "source/source.h"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

/* ---- configuration ---- */

int sp_kafka_conf_collect(int nopts, const char *const *keys, const char *const *values, sp_kafka_conf *out,
                          spate_error *err) {
  memset(out, 0, sizeof *out);
  for (int i = 0; i < nopts; i++) {
    if (!keys[i] || strncasecmp(keys[i], "kafka.", 6) != 0 || !keys[i][6]) continue;
    const char *k = keys[i] + 6;
    int j;
    for (j = 0; j < out->n; j++)
      if (!strcasecmp(out->keys[j], k)) break;
    if (j == out->n) {
      char **nk = realloc(out->keys, (size_t)(out->n + 1) * sizeof *nk);
      if (!nk) return oom_(err);
      out->keys = nk;
      char **nv = realloc(out->vals, (size_t)(out->n + 1) * sizeof *nv);
      if (!nv) return oom_(err);
      out->vals = nv;
      out->keys[j] = strdup(k);
      out->vals[j] = NULL;
      out->n++;
      if (!out->keys[j]) return oom_(err);
    }
    free(out->vals[j]);
    if (!(out->vals[j] = strdup(values[i] ? values[i] : ""))) return oom_(err);
  }
  return 0;
}

void sp_kafka_conf_free(sp_kafka_conf *c) {
  for (int i = 0; i < c->n; i++) {
    free(c->keys[i]);
    if (c->vals[i]) {
      memset(c->vals[i], 0, strlen(c->vals[i])); /* secrets do not linger in freed memory */
      free(c->vals[i]);
    }
  }
  free(c->keys);
  free(c->vals);
  memset(c, 0, sizeof *c);
}

const char *sp_kafka_conf_get(const sp_kafka_conf *c, const char *key) {
  for (int i = 0; i < c->n; i++)
    if (!strcasecmp(c->keys[i], key)) return c->vals[i];
  return NULL;
}

bool sp_kafka_secret_key(const char *key) {
  return !strncasecmp(key, "sasl.", 5) || !strncasecmp(key, "ssl.", 4) || strcasestr(key, "password") ||
         strcasestr(key, "secret") || strcasestr(key, "token");
}

int sp_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, const char *what, spate_error *err) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, val, errstr, sizeof errstr) == RD_KAFKA_CONF_OK) return 0;
  if (sp_kafka_secret_key(key))
    return spate_error_set(err, SPATE_EINVAL, "%s: invalid Kafka property 'kafka.%s' (value not shown)", what, key);
  return spate_error_set(err, SPATE_EINVAL, "%s: invalid Kafka property 'kafka.%s': %s", what, key, errstr);
}

int sp_kafka_conf_apply(const sp_kafka_conf *c, rd_kafka_conf_t *conf, const char *what, spate_error *err) {
  for (int i = 0; i < c->n; i++) {
    int rc = sp_kafka_conf_set(conf, c->keys[i], c->vals[i], what, err);
    if (rc) return rc;
  }
  rd_kafka_conf_set_log_cb(conf, sp_kafka_log_cb);
  return 0;
}

/* Values shorter than this are not searched for (they would mangle unrelated text). */
#define SECRET_MIN_ 3

/* Copy in to out (cap bytes, NUL-terminated) with every occurrence of one of the
 * secret values vals[0..n) (NULL entries skipped) replaced by the redaction mark. */
static void redact_values_(const char *const *vals, int n, const char *in, char *out, size_t cap) {
  size_t o = 0;
  static const char mark[] = "*********(redacted)";
  if (!cap) return;
  while (*in && o + 1 < cap) {
    size_t hit = 0;
    for (int i = 0; i < n && !hit; i++) {
      size_t l = vals[i] ? strlen(vals[i]) : 0;
      if (l >= SECRET_MIN_ && !strncmp(in, vals[i], l)) hit = l;
    }
    if (hit) {
      for (const char *m = mark; *m && o + 1 < cap; m++) out[o++] = *m;
      in += hit;
    } else {
      out[o++] = *in++;
    }
  }
  out[o] = '\0';
}

void sp_kafka_redact(const sp_kafka_conf *c, const char *in, char *out, size_t cap) {
  const char *vals[64] = {0};
  int n = 0;
  for (int i = 0; c && i < c->n && n < 64; i++)
    if (sp_kafka_secret_key(c->keys[i])) vals[n++] = c->vals[i];
  redact_values_(vals, n, in, out, cap);
}

void sp_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  /* The handle's secret-looking properties (sasl.*, ssl.*, *password*...) whose value
   * differs from librdkafka's default, i.e. the values the user gave. */
  const char *vals[64] = {0};
  int n = 0;
  size_t cnt = 0, dcnt = 0;
  const char **dump = NULL, **defs = NULL;
  rd_kafka_conf_t *dconf = NULL;
  if (rk) {
    union {
      const rd_kafka_conf_t *c;
      rd_kafka_conf_t *m;
    } u;
    u.c = rd_kafka_conf((rd_kafka_t *)(uintptr_t)rk);
    dump = u.c ? rd_kafka_conf_dump(u.m, &cnt) : NULL;
    dconf = rd_kafka_conf_new();
    defs = dconf ? rd_kafka_conf_dump(dconf, &dcnt) : NULL;
  }
  for (size_t i = 0; dump && i + 1 < cnt && n < 64; i += 2) {
    if (!sp_kafka_secret_key(dump[i]) || !dump[i + 1] || strlen(dump[i + 1]) < SECRET_MIN_) continue;
    bool is_default = false;
    for (size_t j = 0; defs && j + 1 < dcnt && !is_default; j += 2)
      is_default = !strcmp(defs[j], dump[i]) && defs[j + 1] && !strcmp(defs[j + 1], dump[i + 1]);
    if (!is_default) vals[n++] = dump[i + 1];
  }
  char out[2048];
  redact_values_(vals, n, buf ? buf : "", out, sizeof out);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  /* librdkafka's default log line format */
  fprintf(stderr, "%%%d|%lld.%03d|%s|%s| %s\n", level, (long long)ts.tv_sec, (int)(ts.tv_nsec / 1000000),
          fac ? fac : "", rk ? rd_kafka_name(rk) : "", out);
  if (dump) rd_kafka_conf_dump_free(dump, cnt);
  if (defs) rd_kafka_conf_dump_free(defs, dcnt);
  if (dconf) rd_kafka_conf_destroy(dconf);
}

/* ---- offset maps ---- */

void sp_kafka_offsets_free(sp_kafka_offsets *m) {
  for (int i = 0; i < m->n; i++) free(m->v[i].topic);
  free(m->v);
  memset(m, 0, sizeof *m);
}

int sp_kafka_offsets_find(const sp_kafka_offsets *m, const char *topic, int32_t partition) {
  for (int i = 0; i < m->n; i++)
    if (m->v[i].partition == partition && !strcmp(m->v[i].topic, topic)) return i;
  return -1;
}

int sp_kafka_offsets_set(sp_kafka_offsets *m, const char *topic, int32_t partition, int64_t offset) {
  int i = sp_kafka_offsets_find(m, topic, partition);
  if (i >= 0) {
    m->v[i].offset = offset;
    return 0;
  }
  if (m->n == m->cap) {
    int cap = m->cap ? m->cap * 2 : 8;
    sp_kafka_tp *nv = realloc(m->v, (size_t)cap * sizeof *nv);
    if (!nv) return SPATE_ENOMEM;
    m->v = nv;
    m->cap = cap;
  }
  char *t = strdup(topic);
  if (!t) return SPATE_ENOMEM;
  m->v[m->n].topic = t;
  m->v[m->n].partition = partition;
  m->v[m->n].offset = offset;
  m->n++;
  return 0;
}

static int tp_cmp_(const void *a, const void *b) {
  const sp_kafka_tp *x = a, *y = b;
  int c = strcmp(x->topic, y->topic);
  if (c) return c;
  return x->partition < y->partition ? -1 : x->partition > y->partition;
}

void sp_kafka_offsets_sort(sp_kafka_offsets *m) {
  if (m->n > 1) qsort(m->v, (size_t)m->n, sizeof *m->v, tp_cmp_);
}

int sp_kafka_offsets_copy(sp_kafka_offsets *dst, const sp_kafka_offsets *src) {
  sp_kafka_offsets_free(dst);
  for (int i = 0; i < src->n; i++)
    if (sp_kafka_offsets_set(dst, src->v[i].topic, src->v[i].partition, src->v[i].offset)) return SPATE_ENOMEM;
  return 0;
}

int sp_kafka_offsets_parse(const char *json, const char *what, sp_kafka_offsets *out, spate_error *err) {
  sp_kafka_offsets_free(out);
  json_error_t je;
  json_t *root = json_loads(json ? json : "", JSON_REJECT_DUPLICATES, &je);
  if (!root || !json_is_object(root)) {
    json_decref(root);
    return spate_error_set(err, SPATE_EINVAL,
                           "Invalid %s '%s': expected JSON like {\"topicA\":{\"0\":23,\"1\":-1},\"topicB\":{\"0\":-2}}",
                           what, json ? json : "");
  }
  const char *topic;
  json_t *parts;
  int rc = 0;
  json_object_foreach(root, topic, parts) {
    if (!json_is_object(parts)) {
      rc = spate_error_set(err, SPATE_EINVAL, "Invalid %s '%s': topic '%s' must map to an object", what, json, topic);
      break;
    }
    const char *pk;
    json_t *off;
    json_object_foreach(parts, pk, off) {
      char *end;
      errno = 0;
      long p = strtol(pk, &end, 10);
      if (errno || end == pk || *end || p < 0 || p > INT32_MAX || !json_is_integer(off)) {
        rc = spate_error_set(err, SPATE_EINVAL, "Invalid %s '%s': bad partition '%s' of topic '%s'", what, json, pk,
                             topic);
        break;
      }
      if (sp_kafka_offsets_set(out, topic, (int32_t)p, (int64_t)json_integer_value(off))) {
        rc = oom_(err);
        break;
      }
    }
    if (rc) break;
  }
  json_decref(root);
  if (rc) sp_kafka_offsets_free(out);
  else sp_kafka_offsets_sort(out);
  return rc;
}

char *sp_kafka_offsets_json(sp_kafka_offsets *m) {
  sp_kafka_offsets_sort(m);
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_putc(&b, '{');
  for (int i = 0; i < m->n; i++) {
    bool new_topic = i == 0 || strcmp(m->v[i].topic, m->v[i - 1].topic);
    if (new_topic) {
      if (i) sp_buf_puts(&b, "},");
      sp_json_put_string(&b, m->v[i].topic);
      sp_buf_puts(&b, ":{");
    } else {
      sp_buf_putc(&b, ',');
    }
    sp_buf_printf(&b, "\"%d\":%lld", (int)m->v[i].partition, (long long)m->v[i].offset);
  }
  if (m->n) sp_buf_putc(&b, '}');
  sp_buf_putc(&b, '}');
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return NULL;
  }
  return sp_buf_steal(&b);
}

/* ---- rate limit ---- */

int sp_kafka_rate_limit(const sp_kafka_offsets *from, const sp_kafka_offsets *until, const sp_kafka_offsets *earliest,
                        int64_t limit, sp_kafka_offsets *out) {
  sp_kafka_offsets_free(out);
  double total = 0;
  for (int i = 0; i < until->n; i++) {
    const sp_kafka_tp *u = &until->v[i];
    int k = sp_kafka_offsets_find(from, u->topic, u->partition);
    const sp_kafka_tp *b = k >= 0 ? &from->v[k] : NULL;
    if (!b && earliest) {
      k = sp_kafka_offsets_find(earliest, u->topic, u->partition);
      b = k >= 0 ? &earliest->v[k] : NULL;
    }
    if (b) total += (double)(u->offset - b->offset);
  }
  for (int i = 0; i < until->n; i++) {
    const sp_kafka_tp *u = &until->v[i];
    int64_t off = u->offset;
    int k = sp_kafka_offsets_find(from, u->topic, u->partition);
    const sp_kafka_tp *b = k >= 0 ? &from->v[k] : NULL;
    if (!b && earliest) {
      k = sp_kafka_offsets_find(earliest, u->topic, u->partition);
      b = k >= 0 ? &earliest->v[k] : NULL;
    }
    if (b && total >= 1) {
      double size = (double)(u->offset - b->offset);
      double prorate = (double)limit * (size / total);
      int64_t take = (int64_t)(prorate < 1 ? ceil(prorate) : floor(prorate));
      int64_t capped = b->offset + take;
      off = capped < u->offset ? capped : u->offset;
    }
    if (sp_kafka_offsets_set(out, u->topic, u->partition, off)) return SPATE_ENOMEM;
  }
  sp_kafka_offsets_sort(out);
  return 0;
}
