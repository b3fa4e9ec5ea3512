/*
 * kafka_sink.c - the `kafka` streaming sink (Spark's KafkaSink, §2.4) on
 * librdkafka, exactly-once by default.
 *
 * Columns (by name, case-insensitive): `value` (STRING/BINARY, required),
 * `key` (STRING/BINARY, optional), `topic` (STRING; required unless option
 * `topic`, which overrides it), `partition` (INT, optional; null = librdkafka's
 * partitioner), `headers` (ARRAY<STRUCT<key STRING, value BINARY>>, optional).
 * All three output modes (every emitted row becomes one record). Every other
 * `kafka.*` option is passed to the librdkafka producer.
 *
 * Exactly-once (default, kafka.transactional=true):
 *  - transactional.id = "spate-<queryId>" (the id in <checkpoint>/metadata, so it
 *    is stable across restarts) unless kafka.transactional.id is given.
 *    init_transactions() at open fences a zombie producer of an earlier run and
 *    aborts its open transaction.
 *  - add_batch(N) = begin; produce every row; produce a marker record
 *    (key = transactional.id, value = {"batchId":N,"queryId":...}) to partition 0
 *    of the commit topic (option commitTopic, default "_spate_sink_commits";
 *    a compacted topic keyed by transactional.id is ideal); commit. The marker
 *    commits atomically with the rows.
 *  - At open, after init_transactions, the last committed marker for this
 *    transactional.id is read back (read_committed) from the end of the commit
 *    topic. add_batch(N) with N <= that id is skipped: the runtime replays batch
 *    N when it crashed after the Kafka commit but before writing commits/N, and
 *    that replay publishes nothing.
 *  Guarantee: consumers with isolation.level=read_committed see every output
 *  row exactly once (the rows of an aborted or fenced attempt are never
 *  visible). read_uncommitted consumers may see aborted attempts' rows (Kafka's
 *  own rule). Cost: one transaction per micro-batch (two extra round trips and
 *  a marker record), and downstream read_committed consumers only see a batch's
 *  rows after its commit. If the marker cannot be read (commit topic deleted),
 *  a replayed batch can publish twice: the guarantee relies on the commit topic
 *  keeping the latest marker per key.
 * kafka.transactional=false: an idempotent (not transactional) producer; each
 * batch is flushed and delivery checked: at-least-once, as Spark's sink.
 *
 * Invariants: all librdkafka handles belong to this instance; add_batch runs on
 * the query thread; delivery reports only touch this instance's counters;
 * secrets in kafka.sasl.* / kafka.ssl.* never appear in messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "checkpoint/checkpoint.h"
#include "common/crash.h"
#include "sink/sink.h"
#include "source/kafka_common.h"

typedef struct ksink_impl {
  sp_kafka_conf kconf;
  char *topic_opt;       /* may be NULL */
  char *commit_topic;
  bool transactional;
  char *checkpoint;      /* may be NULL */
  char *txn_id;
  char *query_id;
  int64_t last_committed; /* -1: none */
  int64_t timeout_ms;
  rd_kafka_t *rk;
  int key_i, value_i, topic_i, part_i, headers_i;
  /* delivery reports of the current batch */
  int64_t dr_failed;
  rd_kafka_resp_err_t dr_err;
} ksink_impl;

static const char *const ksink_options_[] = {"kafka.", "topic", "includeHeaders", "checkpointLocation", "commitTopic",
                                             NULL};

#define FT_(st, i) ((st)->fields[(i)].type)

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static const char *opt_(const sp_sink_spec *spec, const char *key) {
  const char *v = NULL;
  for (int i = 0; i < spec->noptions; i++)
    if (spec->keys[i] && !strcasecmp(spec->keys[i], key)) v = spec->values[i];
  return v;
}

static int ksink_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  ksink_impl *ki = calloc(1, sizeof *ki);
  if (!ki) return oom_(err);
  s->impl = ki;
  ki->last_committed = -1;
  ki->timeout_ms = 60000;
  int rc = sp_kafka_conf_collect(spec->noptions, spec->keys, spec->values, &ki->kconf, err);
  if (rc) return rc;
  if (!sp_kafka_conf_get(&ki->kconf, "bootstrap.servers"))
    return spate_error_set(err, SPATE_EINVAL,
                           "Option 'kafka.bootstrap.servers' must be specified for configuring Kafka producer");
  const char *tr = sp_kafka_conf_get(&ki->kconf, "transactional");
  ki->transactional = true;
  if (tr) {
    if (!strcasecmp(tr, "false")) ki->transactional = false;
    else if (strcasecmp(tr, "true"))
      return spate_error_set(err, SPATE_EINVAL, "kafka.transactional must be true or false, got '%s'", tr);
  }
  for (int i = 0; i < ki->kconf.n; i++) {
    const char *k = ki->kconf.keys[i];
    if (!strcasecmp(k, "key.serializer") || !strcasecmp(k, "value.serializer"))
      return spate_error_set(err, SPATE_EINVAL,
                             "Kafka option '%s' is not supported as %ss are serialized with ByteArraySerializer. Use "
                             "DataFrame operations to explicitly serialize the %ss into either strings or byte arrays.",
                             k, strncasecmp(k, "key", 3) ? "value" : "key", strncasecmp(k, "key", 3) ? "value" : "key");
  }
  const char *t = opt_(spec, "topic");
  if (t && !(ki->topic_opt = strdup(t))) return oom_(err);
  const char *ct = opt_(spec, "commitTopic");
  if (!(ki->commit_topic = strdup(ct && *ct ? ct : "_spate_sink_commits"))) return oom_(err);
  const char *cp = spec->checkpoint ? spec->checkpoint : opt_(spec, "checkpointLocation");
  if (!cp && spec->query_name && sp_conf_get(spec->conf, "spark.sql.streaming.checkpointLocation")) {
    /* the runtime's default: <spark.sql.streaming.checkpointLocation>/<queryName> */
    const char *base = sp_conf_get(spec->conf, "spark.sql.streaming.checkpointLocation");
    size_t n = strlen(base) + strlen(spec->query_name) + 2;
    if (!(ki->checkpoint = malloc(n))) return oom_(err);
    snprintf(ki->checkpoint, n, "%s/%s", base, spec->query_name);
  } else if (cp && !(ki->checkpoint = strdup(cp))) {
    return oom_(err);
  }
  size_t dl = (t ? strlen(t) : 0) + 64;
  if (!(s->description = malloc(dl))) return oom_(err);
  snprintf(s->description, dl, "KafkaSink[%s%s]", t ? "topic=" : "", t ? t : "");
  return 0;
}

static void dr_cb_(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  ksink_impl *ki = opaque;
  if (m->err) {
    ki->dr_failed++;
    if (!ki->dr_err) ki->dr_err = m->err;
  }
}

/* The query id from <checkpoint>/metadata. */
static int read_query_id_(ksink_impl *ki, spate_error *err) {
  if (!ki->checkpoint) return 0;
  size_t n = strlen(ki->checkpoint) + 16;
  char *path = malloc(n);
  if (!path) return oom_(err);
  snprintf(path, n, "%s/metadata", ki->checkpoint);
  char *data = NULL;
  size_t len = 0;
  int rc = sp_fs_read_all(path, &data, &len, NULL);
  free(path);
  if (rc) return 0;
  json_t *j = json_loads(data, 0, NULL);
  free(data);
  json_t *id = j ? json_object_get(j, "id") : NULL;
  if (id && json_is_string(id) && !(ki->query_id = strdup(json_string_value(id)))) rc = oom_(err);
  json_decref(j);
  return rc;
}

static int txn_error_(spate_error *err, const char *what, rd_kafka_error_t *e) {
  int rc = spate_error_set(err, SPATE_EIO, "Kafka sink: %s: %s%s", what, rd_kafka_error_string(e),
                           rd_kafka_error_is_fatal(e) ? " (fatal: another producer with the same transactional.id "
                                                        "may have fenced this one)" : "");
  rd_kafka_error_destroy(e);
  return rc;
}

/* Read the last committed batch id of ki->txn_id from the commit topic. */
static int read_last_marker_(ksink_impl *ki, const char *bootstrap, spate_error *err) {
  ki->last_committed = -1;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char gid[80];
  char uuid[37];
  sp_uuid4(uuid);
  snprintf(gid, sizeof gid, "spate-sink-marker-reader-%s", uuid);
  const char *what = "Kafka sink";
  int rc = 0;
  for (int i = 0; !rc && i < ki->kconf.n; i++) {
    const char *k = ki->kconf.keys[i];
    if (!strcasecmp(k, "transactional") || !strncasecmp(k, "transaction", 11) || !strcasecmp(k, "enable.idempotence") ||
        !strcasecmp(k, "acks") || !strncasecmp(k, "linger", 6) || !strncasecmp(k, "queue.buffering", 15) ||
        !strncasecmp(k, "batch.", 6) || !strcasecmp(k, "compression.type") || !strcasecmp(k, "compression.codec"))
      continue; /* producer-only properties */
    rc = sp_kafka_conf_set(conf, k, ki->kconf.vals[i], what, err);
  }
  if (!rc) rc = sp_kafka_conf_set(conf, "group.id", gid, what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "enable.auto.commit", "false", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "enable.partition.eof", "true", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "isolation.level", "read_committed", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "auto.offset.reset", "earliest", what, err);
  if (rc) {
    rd_kafka_conf_destroy(conf);
    return rc;
  }
  (void)bootstrap;
  rd_kafka_conf_set_log_cb(conf, sp_kafka_log_cb);
  char errstr[512], safe[512];
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!c) {
    rd_kafka_conf_destroy(conf);
    sp_kafka_redact(&ki->kconf, errstr, safe, sizeof safe);
    return spate_error_set(err, SPATE_EIO, "Kafka sink: cannot create the commit-marker reader: %s", safe);
  }
  rd_kafka_poll_set_consumer(c);
  int64_t lo = 0, hi = 0;
  rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(c, ki->commit_topic, 0, &lo, &hi, (int)ki->timeout_ms);
  if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
      e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
    e = RD_KAFKA_RESP_ERR_NO_ERROR; /* no marker was ever written */
    hi = lo;
  } else if (e) {
    rc = spate_error_set(err, SPATE_EIO, "Kafka sink: cannot read the commit topic '%s': %s", ki->commit_topic,
                         rd_kafka_err2str(e));
  }
  /* Scan backwards in growing windows until this id's marker is found. */
  int64_t window = 64, upper = hi;
  size_t idlen = strlen(ki->txn_id);
  while (!rc && upper > lo && ki->last_committed < 0) {
    int64_t from = upper - window > lo ? upper - window : lo;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, ki->commit_topic, 0)->offset = from;
    e = rd_kafka_assign(c, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
      rc = spate_error_set(err, SPATE_EIO, "Kafka sink: cannot read the commit topic: %s", rd_kafka_err2str(e));
      break;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
      rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
      if (!m) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((t1.tv_sec - t0.tv_sec) * 1000 > ki->timeout_ms) {
          rc = spate_error_set(err, SPATE_ETIMEOUT, "Kafka sink: timed out reading the commit topic '%s'",
                               ki->commit_topic);
          break;
        }
        continue;
      }
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        break;
      }
      if (m->err) {
        rd_kafka_message_destroy(m);
        continue;
      }
      if (m->offset >= upper) {
        rd_kafka_message_destroy(m);
        break;
      }
      if (m->key_len == idlen && !memcmp(m->key, ki->txn_id, idlen) && m->payload) {
        json_t *j = json_loadb(m->payload, m->len, 0, NULL);
        json_t *b = j ? json_object_get(j, "batchId") : NULL;
        if (b && json_is_integer(b) && json_integer_value(b) > ki->last_committed)
          ki->last_committed = json_integer_value(b);
        json_decref(j);
      }
      bool last = m->offset >= upper - 1;
      rd_kafka_message_destroy(m);
      if (last) break;
    }
    rd_kafka_assign(c, NULL);
    upper = from;
    window *= 4;
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return rc;
}

static int ksink_open_(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err) {
  ksink_impl *ki = s->impl;
  ki->key_i = sp_type_field_index(schema, "key");
  ki->value_i = sp_type_field_index(schema, "value");
  ki->topic_i = sp_type_field_index(schema, "topic");
  ki->part_i = sp_type_field_index(schema, "partition");
  ki->headers_i = sp_type_field_index(schema, "headers");
  if (ki->value_i < 0) return spate_error_set(err, SPATE_EANALYSIS, "Required attribute 'value' not found");
  if (ki->topic_i < 0 && !ki->topic_opt)
    return spate_error_set(err, SPATE_EANALYSIS, "topic option required when no 'topic' attribute is present. Use "
                                                 "the topic option for setting a topic.");
  sp_type_id vt = FT_(schema, ki->value_i)->id;
  if (vt != SP_STRING && vt != SP_BINARY)
    return spate_error_set(err, SPATE_EANALYSIS, "value attribute type must be a string or binary");
  if (ki->key_i >= 0) {
    sp_type_id kt = FT_(schema, ki->key_i)->id;
    if (kt != SP_STRING && kt != SP_BINARY)
      return spate_error_set(err, SPATE_EANALYSIS, "key attribute type must be a string or binary");
  }
  if (ki->topic_i >= 0 && !ki->topic_opt && FT_(schema, ki->topic_i)->id != SP_STRING)
    return spate_error_set(err, SPATE_EANALYSIS, "topic attribute type must be a string");
  if (ki->part_i >= 0 && FT_(schema, ki->part_i)->id != SP_INT)
    return spate_error_set(err, SPATE_EANALYSIS, "partition attribute type must be an int");
  if (ki->headers_i >= 0) {
    const sp_type *h = FT_(schema, ki->headers_i);
    const sp_type *el = h->id == SP_ARRAY ? h->elem : NULL;
    if (!el || el->id != SP_STRUCT || el->nfields != 2 ||
        FT_(el, 0)->id != SP_STRING ||
        (FT_(el, 1)->id != SP_BINARY && FT_(el, 1)->id != SP_STRING))
      return spate_error_set(err, SPATE_EANALYSIS,
                             "headers attribute type must be an array of struct<key: string, value: binary>");
  }
  if (ki->rk) return 0;
  int rc = 0;
  if (s->query_id[0]) {
    free(ki->query_id);
    if (!(ki->query_id = strdup(s->query_id))) return oom_(err);
  } else {
    rc = read_query_id_(ki, err);
  }
  if (rc) return rc;
  const char *user_tid = sp_kafka_conf_get(&ki->kconf, "transactional.id");
  if (ki->transactional) {
    if (user_tid) {
      if (!(ki->txn_id = strdup(user_tid))) return oom_(err);
    } else {
      if (!ki->query_id)
        return spate_error_set(err, SPATE_EANALYSIS,
                               "Kafka sink: the exactly-once producer needs a stable transactional.id: give the query "
                               "a CHECKPOINT LOCATION, or set kafka.transactional.id, or kafka.transactional=false");
      size_t n = strlen(ki->query_id) + 8;
      if (!(ki->txn_id = malloc(n))) return oom_(err);
      snprintf(ki->txn_id, n, "spate-%s", ki->query_id);
    }
  }
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  const char *what = "Kafka sink";
  rc = sp_kafka_conf_set(conf, "enable.idempotence", "true", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "log.connection.close", "false", what, err);
  for (int i = 0; !rc && i < ki->kconf.n; i++) {
    if (!strcasecmp(ki->kconf.keys[i], "transactional")) continue; /* spate's own switch */
    if (!ki->transactional && !strcasecmp(ki->kconf.keys[i], "transactional.id")) continue;
    rc = sp_kafka_conf_set(conf, ki->kconf.keys[i], ki->kconf.vals[i], what, err);
  }
  if (!rc && ki->transactional) rc = sp_kafka_conf_set(conf, "transactional.id", ki->txn_id, what, err);
  if (rc) {
    rd_kafka_conf_destroy(conf);
    return rc;
  }
  rd_kafka_conf_set_log_cb(conf, sp_kafka_log_cb); /* secrets redacted from librdkafka's logs */
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb_);
  rd_kafka_conf_set_opaque(conf, ki);
  char errstr[512], safe[512];
  ki->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!ki->rk) {
    rd_kafka_conf_destroy(conf);
    sp_kafka_redact(&ki->kconf, errstr, safe, sizeof safe);
    return spate_error_set(err, SPATE_EIO, "Kafka sink: cannot create producer: %s", safe);
  }
  if (ki->transactional) {
    rd_kafka_error_t *e = rd_kafka_init_transactions(ki->rk, (int)ki->timeout_ms);
    if (e) return txn_error_(err, "init_transactions", e);
    rc = read_last_marker_(ki, NULL, err);
    if (rc) return rc;
  }
  return 0;
}

/* Produce one record; waits (serving delivery reports) while the queue is full. */
static int produce_(ksink_impl *ki, const char *topic, int32_t part, const void *key, size_t klen, const void *val,
                    size_t vlen, rd_kafka_headers_t *hdrs, spate_error *err) {
  for (;;) {
    rd_kafka_resp_err_t e;
    if (hdrs)
      e = rd_kafka_producev(ki->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, klen),
                            RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    else
      e = rd_kafka_producev(ki->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, klen),
                            RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(ki->rk, 50);
      continue;
    }
    if (e) {
      if (hdrs) rd_kafka_headers_destroy(hdrs);
      return spate_error_set(err, SPATE_EIO, "Kafka sink: cannot produce to topic '%s': %s", topic,
                             rd_kafka_err2str(e));
    }
    return 0;
  }
}

static int produce_rows_(ksink_impl *ki, const sp_batch *b, spate_error *err) {
  const sp_vec *kv = ki->key_i >= 0 ? b->cols[ki->key_i] : NULL;
  const sp_vec *vv = b->cols[ki->value_i];
  const sp_vec *tv = ki->topic_i >= 0 && !ki->topic_opt ? b->cols[ki->topic_i] : NULL;
  const sp_vec *pv = ki->part_i >= 0 ? b->cols[ki->part_i] : NULL;
  const sp_vec *hv = ki->headers_i >= 0 ? b->cols[ki->headers_i] : NULL;
  char tbuf[512];
  for (int64_t i = 0; i < b->nrows; i++) {
    const char *topic = ki->topic_opt;
    if (tv) {
      if (sp_vec_is_null(tv, i))
        return spate_error_set(err, SPATE_ERUNTIME, "null topic present in the data. Use the topic option for "
                                                    "setting a topic.");
      int32_t tl;
      const char *tp = sp_vec_str(tv, i, &tl);
      if (tl <= 0 || (size_t)tl >= sizeof tbuf)
        return spate_error_set(err, SPATE_ERUNTIME, "invalid topic name of length %d in the data", (int)tl);
      memcpy(tbuf, tp, (size_t)tl);
      tbuf[tl] = '\0';
      topic = tbuf;
    }
    int32_t part = RD_KAFKA_PARTITION_UA;
    if (pv && !sp_vec_is_null(pv, i)) part = sp_vec_i32(pv)[i];
    const char *key = NULL, *val = NULL;
    int32_t klen = 0, vlen = 0;
    if (kv && !sp_vec_is_null(kv, i)) key = sp_vec_str(kv, i, &klen);
    if (!sp_vec_is_null(vv, i)) val = sp_vec_str(vv, i, &vlen);
    rd_kafka_headers_t *hdrs = NULL;
    if (hv && !sp_vec_is_null(hv, i)) {
      int32_t a = hv->offsets[i], z = hv->offsets[i + 1];
      const sp_vec *st = hv->children[0];
      if (z > a) {
        hdrs = rd_kafka_headers_new((size_t)(z - a));
        if (!hdrs) return oom_(err);
        for (int32_t k = a; k < z; k++) {
          if (sp_vec_is_null(st, k) || sp_vec_is_null(st->children[0], k)) continue;
          int32_t hl, hvl = 0;
          const char *hn = sp_vec_str(st->children[0], k, &hl);
          const char *hval = sp_vec_is_null(st->children[1], k) ? NULL : sp_vec_str(st->children[1], k, &hvl);
          rd_kafka_header_add(hdrs, hn, hl, hval, hval ? hvl : 0);
        }
      }
    }
    int rc = produce_(ki, topic, part, key, key ? (size_t)klen : 0, val, val ? (size_t)vlen : 0, hdrs, err);
    if (rc) return rc;
    if ((i & 1023) == 1023) rd_kafka_poll(ki->rk, 0);
  }
  return 0;
}

static int ksink_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts,
                            spate_error *err) {
  ksink_impl *ki = s->impl;
  if (!ki->rk) return spate_error_set(err, SPATE_ESTATE, "Kafka sink used before open()");
  s->num_output_rows = 0;
  if (ki->transactional && batch_id <= ki->last_committed) return 0; /* committed before a restart */
  ki->dr_failed = 0;
  ki->dr_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  int64_t rows = 0;
  int rc = 0;
  if (ki->transactional) {
    rd_kafka_error_t *e = rd_kafka_begin_transaction(ki->rk);
    if (e) return txn_error_(err, "begin_transaction", e);
  }
  for (int p = 0; p < nparts && !rc; p++) {
    if (!parts[p]) continue;
    rc = produce_rows_(ki, parts[p], err);
    rows += parts[p]->nrows;
  }
  if (ki->transactional) {
    if (!rc) {
      char val[160];
      int vl = snprintf(val, sizeof val, "{\"batchId\":%lld,\"queryId\":\"%s\"}", (long long)batch_id,
                        ki->query_id ? ki->query_id : "");
      rc = produce_(ki, ki->commit_topic, 0, ki->txn_id, strlen(ki->txn_id), val, (size_t)vl, NULL, err);
    }
    if (!rc) SP_CRASH_POINT("sink.kafka.produced"); /* batch N's records sent, transaction not committed */
    if (!rc) {
      rd_kafka_error_t *e = rd_kafka_commit_transaction(ki->rk, (int)ki->timeout_ms);
      if (e) {
        bool abortable = rd_kafka_error_txn_requires_abort(e);
        rc = txn_error_(err, "commit_transaction", e);
        if (abortable) {
          rd_kafka_error_t *ae = rd_kafka_abort_transaction(ki->rk, (int)ki->timeout_ms);
          if (ae) rd_kafka_error_destroy(ae);
        }
      }
    } else {
      rd_kafka_error_t *ae = rd_kafka_abort_transaction(ki->rk, (int)ki->timeout_ms);
      if (ae) rd_kafka_error_destroy(ae);
    }
    if (!rc) ki->last_committed = batch_id;
  } else if (!rc) {
    rd_kafka_resp_err_t e = rd_kafka_flush(ki->rk, (int)ki->timeout_ms);
    if (e)
      rc = spate_error_set(err, SPATE_ETIMEOUT, "Kafka sink: records of batch %lld not delivered within %lld ms",
                           (long long)batch_id, (long long)ki->timeout_ms);
    else if (ki->dr_failed)
      rc = spate_error_set(err, SPATE_EIO, "Kafka sink: %lld records of batch %lld failed: %s",
                           (long long)ki->dr_failed, (long long)batch_id, rd_kafka_err2str(ki->dr_err));
  }
  if (!rc) s->num_output_rows = rows;
  return rc;
}

static void ksink_close_(sp_sink *s) {
  ksink_impl *ki = s->impl;
  if (!ki) return;
  if (ki->rk) {
    rd_kafka_flush(ki->rk, 5000);
    rd_kafka_destroy(ki->rk);
  }
  sp_kafka_conf_free(&ki->kconf);
  free(ki->topic_opt);
  free(ki->commit_topic);
  free(ki->checkpoint);
  free(ki->txn_id);
  free(ki->query_id);
  free(ki);
  s->impl = NULL;
}

const sp_sink_vtab sp_kafka_sink_vtab = {"kafka", ksink_options_, SP_MODES_ALL, true, ksink_create_, ksink_open_,
                                         ksink_add_batch_, ksink_close_};
