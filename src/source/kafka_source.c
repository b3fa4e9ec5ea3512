/*
 * kafka_source.c - the `kafka` streaming source (Spark's KafkaMicroBatchStream)
 * on librdkafka. Options and semantics follow spark-semantics.md §1.5.
 *
 * Offsets: Spark's JSON {"topic":{"0":123,"1":40}}: per partition the offset of
 * the NEXT record to read. A batch reads, per partition, the records with
 * offsets in [start_p, end_p) (the runtime calls this (start, end]). Batch 0
 * starts from the initial offsets, resolved once from startingOffsets /
 * startingTimestamp and persisted in <checkpoint>/sources/<i>/0 ("v1\n" + JSON,
 * as Spark's KafkaSourceInitialOffsetWriter) so a crash before batch 0 commits
 * cannot move them. Partitions absent from the start offsets (new partitions,
 * new topics matching the subscription) are read from their earliest offset.
 *
 * Reading: one high-level consumer handle per source instance, used only with
 * explicit rd_kafka_assign() at the batch's start offsets (never subscribe, so
 * no group rebalancing); records are collected per partition until the end
 * offset is reached. Offset gaps inside a range (compaction, transaction
 * control records) are normal and not data loss. The consumer's
 * isolation.level is librdkafka's default, read_committed (Spark's Java client
 * defaults to read_uncommitted; set kafka.isolation.level to change it), so
 * records of aborted transactions, e.g. from a crashed spate Kafka sink, are
 * never read; end offsets then stop at the last stable offset. Replaying the
 * same range gives the same rows as long as the broker still has them.
 *
 * Data loss (failOnDataLoss, default true): a start offset below the
 * partition's earliest offset (aged out), an end offset beyond its latest
 * (topic deleted or recreated) or a partition that disappeared fails the batch
 * with the topic, partition and offsets named; with failOnDataLoss=false it is
 * logged on stderr and the available records are read.
 *
 * Beyond Spark: when kafka.group.id is set, commit(end) commits the end offsets
 * to that consumer group (asynchronously, best effort) so lag tools see
 * progress. Offsets in the checkpoint stay the source of truth.
 *
 * Invariants: all librdkafka handles belong to this instance; everything runs
 * on the query thread; the consumer is unassigned between batches.
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "checkpoint/checkpoint.h"
#include "source/kafka_common.h"
#include "source/source.h"

enum { KS_ASSIGN, KS_SUBSCRIBE, KS_PATTERN };

typedef struct kafka_impl {
  int mode;
  char **topics; /* subscribe */
  int ntopics;
  sp_kafka_offsets assigned; /* assign: partitions (offset unused) */
  regex_t re;
  bool re_ok;
  char *starting;           /* "earliest" | "latest" | JSON */
  int64_t starting_ts;      /* startingTimestamp, -1 if unset */
  bool ts_strategy_latest;  /* startingOffsetsByTimestampStrategy=latest */
  int64_t max_per_trigger;  /* -1: none */
  int64_t min_per_trigger;  /* -1: none */
  int64_t max_trigger_delay_ms;
  int64_t last_fire_ms;
  bool fail_on_data_loss;
  bool include_headers;
  int64_t poll_timeout_ms;
  int64_t meta_timeout_ms;
  char *group_prefix;
  bool commit_group; /* kafka.group.id given */
  sp_kafka_conf kconf;
  rd_kafka_t *rk;
  char *meta_dir;
  sp_kafka_offsets initial;
  bool have_initial;
  sp_kafka_offsets avail_now;
  bool have_avail_now;
  sp_kafka_offsets latest;  /* latest available offsets seen by the last latest_offset (before rate limits) */
  bool have_latest;
} kafka_impl;

static const char *const kafka_options_[] = {
    "kafka.",  "subscribe", "subscribePattern", "assign", "startingOffsets", "startingOffsetsByTimestamp",
    "startingTimestamp", "startingOffsetsByTimestampStrategy", "endingOffsets", "endingOffsetsByTimestamp",
    "endingTimestamp", "failOnDataLoss", "maxOffsetsPerTrigger", "minOffsetsPerTrigger", "maxTriggerDelay",
    "minPartitions", "includeHeaders", "groupIdPrefix", "kafkaConsumer.pollTimeoutMs", "fetchOffset.numRetries",
    "fetchOffset.retryIntervalMs", NULL};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int64_t now_ms_(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_i64_(const char *s, int64_t *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static int bool_opt_(const sp_source_spec *spec, const char *name, bool def, bool *out, spate_error *err) {
  const char *v = sp_source_spec_option(spec, name);
  *out = def;
  if (!v) return 0;
  if (!strcasecmp(v, "true")) *out = true;
  else if (!strcasecmp(v, "false")) *out = false;
  else return spate_error_set(err, SPATE_EINVAL, "%s must be true or false, got '%s'", name, v);
  return 0;
}

/* Duration like "15m", "30s", "100ms", "1h" or a bare number of milliseconds. */
static int parse_duration_ms_(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || v < 0) return -1;
  while (*end == ' ') end++;
  double mul = 1;
  if (!*end || !strcasecmp(end, "ms")) mul = 1;
  else if (!strcasecmp(end, "s") || !strncasecmp(end, "sec", 3)) mul = 1000;
  else if (!strcasecmp(end, "m") || !strncasecmp(end, "min", 3)) mul = 60000;
  else if (!strcasecmp(end, "h") || !strncasecmp(end, "hour", 4)) mul = 3600000;
  else if (!strcasecmp(end, "d") || !strncasecmp(end, "day", 3)) mul = 86400000;
  else return -1;
  *out = (int64_t)(v * mul);
  return 0;
}

static void free_topics_(kafka_impl *ki) {
  for (int i = 0; i < ki->ntopics; i++) free(ki->topics[i]);
  free(ki->topics);
  ki->topics = NULL;
  ki->ntopics = 0;
}

/* Spark's rejected consumer properties. */
static int check_kafka_params_(const sp_kafka_conf *kc, spate_error *err) {
  for (int i = 0; i < kc->n; i++) {
    const char *k = kc->keys[i];
    if (!strcasecmp(k, "auto.offset.reset"))
      return spate_error_set(err, SPATE_EINVAL,
                             "Kafka option 'auto.offset.reset' is not supported. Instead set the source option "
                             "'startingOffsets' to 'earliest' or 'latest' to specify where to start. Structured "
                             "Streaming manages which offsets are consumed internally, rather than relying on the "
                             "kafkaConsumer. This will ensure that no data is missed when new topics/partitions are "
                             "dynamically subscribed.");
    if (!strcasecmp(k, "key.deserializer") || !strcasecmp(k, "value.deserializer"))
      return spate_error_set(err, SPATE_EINVAL,
                             "Kafka option '%s' is not supported as %ss are deserialized as byte arrays with "
                             "ByteArrayDeserializer. Use DataFrame operations to explicitly deserialize the %ss.",
                             k, strncasecmp(k, "key", 3) ? "value" : "key", strncasecmp(k, "key", 3) ? "value" : "key");
    if (!strcasecmp(k, "enable.auto.commit"))
      return spate_error_set(err, SPATE_EINVAL,
                             "Kafka option 'enable.auto.commit' is not supported. Offsets are tracked in the "
                             "checkpoint (and committed to kafka.group.id after each batch when it is set).");
    if (!strcasecmp(k, "interceptor.classes"))
      return spate_error_set(err, SPATE_EINVAL,
                             "Kafka option 'interceptor.classes' is not supported as returning null for "
                             "ConsumerRecords is not supported.");
    if (!strcasecmp(k, "key.serializer") || !strcasecmp(k, "value.serializer"))
      return spate_error_set(err, SPATE_EINVAL, "Kafka option '%s' is not supported by the Kafka source.", k);
  }
  return 0;
}

static int kafka_create_(const sp_source_spec *spec, sp_source *s, spate_error *err) {
  kafka_impl *ki = calloc(1, sizeof *ki);
  if (!ki) return oom_(err);
  s->impl = ki;
  ki->starting_ts = -1;
  ki->max_per_trigger = -1;
  ki->min_per_trigger = -1;
  ki->max_trigger_delay_ms = 15 * 60 * 1000;
  ki->poll_timeout_ms = 120000;
  ki->meta_timeout_ms = 30000;
  int rc = sp_kafka_conf_collect(spec->noptions, spec->keys, spec->values, &ki->kconf, err);
  if (rc) return rc;
  if ((rc = check_kafka_params_(&ki->kconf, err))) return rc;
  if (!sp_kafka_conf_get(&ki->kconf, "bootstrap.servers"))
    return spate_error_set(err, SPATE_EINVAL,
                           "Option 'kafka.bootstrap.servers' must be specified for configuring Kafka consumer");
  const char *sub = sp_source_spec_option(spec, "subscribe");
  const char *pat = sp_source_spec_option(spec, "subscribePattern");
  const char *asg = sp_source_spec_option(spec, "assign");
  int nstrat = (sub != NULL) + (pat != NULL) + (asg != NULL);
  if (nstrat != 1)
    return spate_error_set(err, SPATE_EINVAL,
                           nstrat == 0 ? "One of the following options must be specified for Kafka source: "
                                         "subscribe, subscribePattern, assign. See the docs for more details."
                                       : "Only one of the following options can be specified for Kafka source: "
                                         "subscribe, subscribePattern, assign. See the docs for more details.");
  sp_buf desc;
  sp_buf_init(&desc);
  if (sub) {
    ki->mode = KS_SUBSCRIBE;
    char *copy = strdup(sub);
    if (!copy) return oom_(err);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      while (*t == ' ') t++;
      size_t n = strlen(t);
      while (n && t[n - 1] == ' ') t[--n] = '\0';
      if (!n) continue;
      char **nt = realloc(ki->topics, (size_t)(ki->ntopics + 1) * sizeof *nt);
      if (!nt || !(nt[ki->ntopics] = strdup(t))) {
        if (nt) ki->topics = nt;
        free(copy);
        return oom_(err);
      }
      ki->topics = nt;
      ki->ntopics++;
    }
    free(copy);
    if (!ki->ntopics)
      return spate_error_set(err, SPATE_EINVAL, "No topics to subscribe to as specified value for option "
                                                "'subscribe' is '%s'", sub);
    sp_buf_puts(&desc, "KafkaV2[Subscribe[");
    for (int i = 0; i < ki->ntopics; i++) sp_buf_printf(&desc, "%s%s", i ? "," : "", ki->topics[i]);
    sp_buf_puts(&desc, "]]");
  } else if (pat) {
    ki->mode = KS_PATTERN;
    if (!*pat)
      return spate_error_set(err, SPATE_EINVAL, "Pattern to subscribe is empty as specified value for option "
                                                "'subscribePattern' is ''");
    size_t n = strlen(pat);
    char *anch = malloc(n + 8);
    if (!anch) return oom_(err);
    snprintf(anch, n + 8, "^(%s)$", pat); /* Java Pattern.matcher(topic).matches() */
    int rr = regcomp(&ki->re, anch, REG_EXTENDED | REG_NOSUB);
    free(anch);
    if (rr) return spate_error_set(err, SPATE_EINVAL, "Invalid subscribePattern '%s'", pat);
    ki->re_ok = true;
    sp_buf_printf(&desc, "KafkaV2[SubscribePattern[%s]]", pat);
  } else {
    ki->mode = KS_ASSIGN;
    sp_kafka_offsets parsed = {0};
    /* assign is {"topicA":[0,1],"topicB":[2,4]}: rewrite lists as objects for the parser. */
    sp_buf tmp;
    sp_buf_init(&tmp);
    for (const char *p = asg; *p; p++) {
      if (*p == '[') sp_buf_putc(&tmp, '{');
      else if (*p == ']') sp_buf_putc(&tmp, '}');
      else sp_buf_putc(&tmp, *p);
    }
    /* each element n becomes "n":0 */
    sp_buf obj;
    sp_buf_init(&obj);
    int depth = 0;
    bool in_str = false;
    const char *t = tmp.data ? tmp.data : "";
    for (size_t i = 0; i < tmp.len; i++) {
      char c = t[i];
      if (in_str) {
        sp_buf_putc(&obj, c);
        if (c == '\\' && i + 1 < tmp.len) sp_buf_putc(&obj, t[++i]);
        else if (c == '"') in_str = false;
        continue;
      }
      if (c == '"') in_str = true;
      if (c == '{') depth++;
      if (c == '}') depth--;
      if (depth == 2 && (c >= '0' && c <= '9')) {
        sp_buf_putc(&obj, '"');
        while (i < tmp.len && t[i] >= '0' && t[i] <= '9') sp_buf_putc(&obj, t[i++]);
        sp_buf_puts(&obj, "\":0");
        i--;
        continue;
      }
      sp_buf_putc(&obj, c);
    }
    sp_buf_putc(&obj, '\0');
    sp_buf_free(&tmp);
    if (sp_buf_check(&obj)) {
      sp_buf_free(&obj);
      return oom_(err);
    }
    rc = sp_kafka_offsets_parse(obj.data, "assign", &parsed, NULL);
    sp_buf_free(&obj);
    if (rc || parsed.n == 0) {
      sp_kafka_offsets_free(&parsed);
      return spate_error_set(err, SPATE_EINVAL,
                             "Invalid value for option 'assign': '%s' (expected JSON like "
                             "{\"topicA\":[0,1],\"topicB\":[2,4]})", asg);
    }
    ki->assigned = parsed;
    sp_buf_puts(&desc, "KafkaV2[Assign[");
    for (int i = 0; i < parsed.n; i++) sp_buf_printf(&desc, "%s%s-%d", i ? ", " : "", parsed.v[i].topic, parsed.v[i].partition);
    sp_buf_puts(&desc, "]]");
  }
  if (sp_buf_check(&desc)) {
    sp_buf_free(&desc);
    return oom_(err);
  }
  s->description = sp_buf_steal(&desc);
  if (sp_source_spec_option(spec, "endingOffsets") || sp_source_spec_option(spec, "endingOffsetsByTimestamp") ||
      sp_source_spec_option(spec, "endingTimestamp"))
    return spate_error_set(err, SPATE_EINVAL, "ending offset not valid in streaming queries");
  const char *so = sp_source_spec_option(spec, "startingOffsets");
  if (!so) so = "latest";
  if (!strcasecmp(so, "earliest") || !strcasecmp(so, "latest")) {
    ki->starting = strdup(strcasecmp(so, "earliest") ? "latest" : "earliest");
  } else {
    sp_kafka_offsets chk = {0};
    rc = sp_kafka_offsets_parse(so, "startingOffsets", &chk, err);
    for (int i = 0; !rc && i < chk.n; i++)
      if (chk.v[i].offset < -2)
        rc = spate_error_set(err, SPATE_EINVAL, "Invalid startingOffsets: offset %lld for %s-%d (use -2 for earliest, "
                             "-1 for latest)", (long long)chk.v[i].offset, chk.v[i].topic, chk.v[i].partition);
    if (!rc && ki->mode == KS_ASSIGN) {
      for (int i = 0; !rc && i < ki->assigned.n; i++)
        if (sp_kafka_offsets_find(&chk, ki->assigned.v[i].topic, ki->assigned.v[i].partition) < 0)
          rc = spate_error_set(err, SPATE_EINVAL,
                               "If startingOffsets contains specific offsets, you must specify all TopicPartitions.\n"
                               "Use -1 for latest, -2 for earliest.\nSpecified: %s Assigned: %s", so, asg);
    }
    sp_kafka_offsets_free(&chk);
    if (rc) return rc;
    ki->starting = strdup(so);
  }
  if (!ki->starting) return oom_(err);
  const char *st = sp_source_spec_option(spec, "startingTimestamp");
  if (st && parse_i64_(st, &ki->starting_ts))
    return spate_error_set(err, SPATE_EINVAL, "Invalid startingTimestamp '%s' (milliseconds since the epoch)", st);
  if (sp_source_spec_option(spec, "startingOffsetsByTimestamp"))
    return spate_error_set(err, SPATE_EUNSUPPORTED,
                           "startingOffsetsByTimestamp is not supported yet; use startingTimestamp or startingOffsets");
  const char *strat = sp_source_spec_option(spec, "startingOffsetsByTimestampStrategy");
  if (strat) {
    if (!strcasecmp(strat, "latest")) ki->ts_strategy_latest = true;
    else if (strcasecmp(strat, "error"))
      return spate_error_set(err, SPATE_EINVAL, "startingOffsetsByTimestampStrategy must be 'error' or 'latest'");
  }
  const char *v;
  if ((v = sp_source_spec_option(spec, "maxOffsetsPerTrigger")) &&
      (parse_i64_(v, &ki->max_per_trigger) || ki->max_per_trigger <= 0))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'maxOffsetsPerTrigger', must be a "
                                              "positive integer", v);
  if ((v = sp_source_spec_option(spec, "minOffsetsPerTrigger")) &&
      (parse_i64_(v, &ki->min_per_trigger) || ki->min_per_trigger <= 0))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'minOffsetsPerTrigger', must be a "
                                              "positive integer", v);
  if ((v = sp_source_spec_option(spec, "maxTriggerDelay")) && parse_duration_ms_(v, &ki->max_trigger_delay_ms))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'maxTriggerDelay'", v);
  if (ki->max_per_trigger > 0 && ki->min_per_trigger > ki->max_per_trigger)
    return spate_error_set(err, SPATE_EINVAL, "The value of minOffsetPerTrigger(%lld) is higher than the "
                           "maxOffsetsPerTrigger(%lld).", (long long)ki->min_per_trigger, (long long)ki->max_per_trigger);
  if ((v = sp_source_spec_option(spec, "kafkaConsumer.pollTimeoutMs")) &&
      (parse_i64_(v, &ki->poll_timeout_ms) || ki->poll_timeout_ms <= 0))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'kafkaConsumer.pollTimeoutMs'", v);
  if ((v = sp_source_spec_option(spec, "minPartitions"))) {
    int64_t mp;
    if (parse_i64_(v, &mp) || mp <= 0)
      return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'minPartitions', must be a positive "
                                                "integer", v);
  }
  if ((rc = bool_opt_(spec, "failOnDataLoss", true, &ki->fail_on_data_loss, err))) return rc;
  if ((rc = bool_opt_(spec, "includeHeaders", false, &ki->include_headers, err))) return rc;
  v = sp_source_spec_option(spec, "groupIdPrefix");
  if (!(ki->group_prefix = strdup(v ? v : "spark-kafka-source"))) return oom_(err);
  ki->commit_group = sp_kafka_conf_get(&ki->kconf, "group.id") != NULL;

  int nf = ki->include_headers ? 8 : 7;
  sp_type *stt = sp_type_struct_new(nf);
  if (!stt) return oom_(err);
  int e = sp_type_struct_set(stt, 0, "key", sp_type_prim(SP_BINARY), true) ||
          sp_type_struct_set(stt, 1, "value", sp_type_prim(SP_BINARY), true) ||
          sp_type_struct_set(stt, 2, "topic", sp_type_prim(SP_STRING), true) ||
          sp_type_struct_set(stt, 3, "partition", sp_type_prim(SP_INT), true) ||
          sp_type_struct_set(stt, 4, "offset", sp_type_prim(SP_BIGINT), true) ||
          sp_type_struct_set(stt, 5, "timestamp", sp_type_prim(SP_TIMESTAMP), true) ||
          sp_type_struct_set(stt, 6, "timestampType", sp_type_prim(SP_INT), true);
  if (!e && ki->include_headers) {
    sp_type *hs = sp_type_struct_new(2);
    if (!hs || sp_type_struct_set(hs, 0, "key", sp_type_prim(SP_STRING), true) ||
        sp_type_struct_set(hs, 1, "value", sp_type_prim(SP_BINARY), true)) {
      sp_type_unref(hs);
      e = 1;
    } else {
      sp_type *arr = sp_type_array_new(hs, true);
      e = !arr || sp_type_struct_set(stt, 7, "headers", arr, true);
    }
  }
  if (e) {
    sp_type_unref(stt);
    return oom_(err);
  }
  s->schema = stt;
  return 0;
}

static int kafka_error_(spate_error *err, const char *what, rd_kafka_resp_err_t e) {
  return spate_error_set(err, SPATE_EIO, "Kafka source: %s: %s", what, rd_kafka_err2str(e));
}

static int kafka_open_(sp_source *s, const char *meta_dir, sp_pool *pool, spate_error *err) {
  kafka_impl *ki = s->impl;
  if (ki->rk) return 0;
  free(ki->meta_dir);
  if (!(ki->meta_dir = strdup(meta_dir ? meta_dir : ""))) return oom_(err);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (!conf) return oom_(err);
  const char *what = "Kafka source";
  char gid[300];
  char uuid[37];
  sp_uuid4(uuid);
  snprintf(gid, sizeof gid, "%s-%s", ki->group_prefix, uuid);
  int rc = sp_kafka_conf_set(conf, "group.id", gid, what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "enable.auto.commit", "false", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "enable.auto.offset.store", "false", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "enable.partition.eof", "true", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "auto.offset.reset", "error", what, err);
  if (!rc) rc = sp_kafka_conf_set(conf, "log.connection.close", "false", what, err);
  /* Partitions are assigned only while a batch reads records known to exist (up to
   * its end offsets): a fetch should not wait the default 500 ms for more data. */
  if (!rc) rc = sp_kafka_conf_set(conf, "fetch.wait.max.ms", "10", what, err);
  if (!rc) rc = sp_kafka_conf_apply(&ki->kconf, conf, what, err); /* user's settings win */
  if (rc) {
    rd_kafka_conf_destroy(conf);
    return rc;
  }
  char errstr[512], safe[512];
  ki->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!ki->rk) {
    rd_kafka_conf_destroy(conf);
    sp_kafka_redact(&ki->kconf, errstr, safe, sizeof safe);
    return spate_error_set(err, SPATE_EIO, "Kafka source: cannot create consumer: %s", safe);
  }
  rd_kafka_poll_set_consumer(ki->rk);
  /* Initial offsets persisted by an earlier run. */
  size_t n = strlen(ki->meta_dir) + 8;
  char *path = malloc(n);
  if (!path) return oom_(err);
  snprintf(path, n, "%s/0", ki->meta_dir);
  char *data = NULL;
  size_t len = 0;
  rc = sp_fs_read_all(path, &data, &len, NULL);
  free(path);
  if (rc == 0) {
    const char *json = data;
    if (!strncmp(json, "v1\n", 3)) json += 3;
    rc = sp_kafka_offsets_parse(json, "initial offsets in the checkpoint", &ki->initial, err);
    free(data);
    if (rc) return rc == SPATE_ENOMEM ? rc : spate_error_set(err, SPATE_ECHECKPOINT, "%s", err ? err->message : "");
    ki->have_initial = true;
  }
  return 0;
}

/* Current partitions of the subscription (offset field unused). */
static int fetch_partitions_(kafka_impl *ki, sp_kafka_offsets *out, spate_error *err) {
  sp_kafka_offsets_free(out);
  if (ki->mode == KS_ASSIGN) return sp_kafka_offsets_copy(out, &ki->assigned) ? oom_(err) : 0;
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(ki->rk, 1, NULL, &md, (int)ki->meta_timeout_ms);
  if (e) return kafka_error_(err, "cannot fetch topic metadata", e);
  int rc = 0;
  for (int i = 0; i < md->topic_cnt && !rc; i++) {
    const struct rd_kafka_metadata_topic *t = &md->topics[i];
    if (t->err || !t->topic) continue;
    bool want = false;
    if (ki->mode == KS_SUBSCRIBE) {
      for (int k = 0; k < ki->ntopics && !want; k++) want = !strcmp(ki->topics[k], t->topic);
    } else {
      want = strncmp(t->topic, "__", 2) != 0 && regexec(&ki->re, t->topic, 0, NULL, 0) == 0;
    }
    if (!want) continue;
    for (int p = 0; p < t->partition_cnt && !rc; p++)
      if (sp_kafka_offsets_set(out, t->topic, t->partitions[p].id, 0)) rc = oom_(err);
  }
  rd_kafka_metadata_destroy(md);
  sp_kafka_offsets_sort(out);
  return rc;
}

/* Earliest and latest offsets of every partition in tps (lo[i], hi[i]), with one
 * ListOffsets request per leader for each end (rd_kafka_offsets_for_times with the
 * special timestamps -2 / -1), as Spark's consumer.beginningOffsets/endOffsets:
 * one partition at a time costs a broker round trip each, per trigger. lo or hi may
 * be NULL when that end is not needed. */
static int watermarks_all_(kafka_impl *ki, const sp_kafka_offsets *tps, int64_t *lo, int64_t *hi, spate_error *err) {
  if (tps->n == 0) return 0;
  for (int end = 0; end < 2; end++) {
    if (!(end ? hi : lo)) continue; /* that end is not wanted */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(tps->n);
    if (!l) return oom_(err);
    for (int i = 0; i < tps->n; i++)
      rd_kafka_topic_partition_list_add(l, tps->v[i].topic, tps->v[i].partition)->offset =
          end ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(ki->rk, l, (int)ki->meta_timeout_ms);
    int rc = 0;
    if (e) {
      rc = spate_error_set(err, SPATE_EIO, "Kafka source: cannot fetch the %s offsets of %d partitions: %s",
                           end ? "latest" : "earliest", tps->n, rd_kafka_err2str(e));
    } else {
      /* The list keeps our order (offsets_for_times fills the elements in place). */
      for (int i = 0; i < l->cnt && !rc; i++) {
        const rd_kafka_topic_partition_t *t = &l->elems[i];
        if (t->err)
          rc = spate_error_set(err, SPATE_EIO, "Kafka source: cannot fetch offsets of %s-%d: %s", t->topic,
                               (int)t->partition, rd_kafka_err2str(t->err));
        else
          (end ? hi : lo)[i] = t->offset;
      }
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (rc) return rc;
  }
  return 0;
}

static int data_loss_(kafka_impl *ki, spate_error *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int data_loss_(kafka_impl *ki, spate_error *err, const char *fmt, ...) {
  char msg[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (ki->fail_on_data_loss)
    return spate_error_set(err, SPATE_ERUNTIME,
                           "%s. Some data may have been lost because they are not available in Kafka any more; "
                           "either the data was aged out by Kafka or the topic may have been deleted before all the "
                           "data in the topic was processed. If you don't want your streaming query to fail on such "
                           "cases, set the source option \"failOnDataLoss\" to \"false\".", msg);
  fprintf(stderr, "spate: WARN Kafka source: %s. Some data may have been lost (failOnDataLoss=false: continuing).\n",
          msg);
  return 0;
}

/* Resolve and persist the initial offsets of a new query over `parts`. */
static int resolve_initial_(kafka_impl *ki, const sp_kafka_offsets *parts, spate_error *err) {
  sp_kafka_offsets init = {0}, spec = {0};
  int rc = 0;
  bool json = strcmp(ki->starting, "earliest") && strcmp(ki->starting, "latest");
  if (json && (rc = sp_kafka_offsets_parse(ki->starting, "startingOffsets", &spec, err))) return rc;
  if (json && ki->mode != KS_ASSIGN && ki->starting_ts < 0) {
    for (int i = 0; i < parts->n && !rc; i++)
      if (sp_kafka_offsets_find(&spec, parts->v[i].topic, parts->v[i].partition) < 0)
        rc = spate_error_set(err, SPATE_EINVAL,
                             "If startingOffsets contains specific offsets, you must specify all TopicPartitions.\n"
                             "Use -1 for latest, -2 for earliest.\nSpecified: %s, missing: %s-%d",
                             ki->starting, parts->v[i].topic, parts->v[i].partition);
  }
  int64_t *los = calloc((size_t)parts->n + 1, sizeof *los), *his = calloc((size_t)parts->n + 1, sizeof *his);
  if (!rc && (!los || !his)) rc = oom_(err);
  if (!rc) rc = watermarks_all_(ki, parts, los, his, err);
  for (int i = 0; i < parts->n && !rc; i++) {
    const sp_kafka_tp *p = &parts->v[i];
    int64_t lo = los[i], hi = his[i], off;
    if (ki->starting_ts >= 0) {
      rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = ki->starting_ts;
      rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(ki->rk, l, (int)ki->meta_timeout_ms);
      off = l->elems[0].offset;
      if (!e) e = l->elems[0].err;
      rd_kafka_topic_partition_list_destroy(l);
      if (e) {
        rc = kafka_error_(err, "cannot look up offsets by timestamp", e);
        break;
      }
      if (off < 0) {
        if (!ki->ts_strategy_latest) {
          rc = spate_error_set(err, SPATE_ERUNTIME,
                               "No offset matched from request of topic-partition %s-%d and timestamp %lld.",
                               p->topic, p->partition, (long long)ki->starting_ts);
          break;
        }
        off = hi;
      }
    } else if (!json) {
      off = !strcmp(ki->starting, "earliest") ? lo : hi;
    } else {
      int k = sp_kafka_offsets_find(&spec, p->topic, p->partition);
      off = k < 0 ? lo : spec.v[k].offset;
      if (off == -2) off = lo;
      else if (off == -1) off = hi;
      else if (off < lo || off > hi) {
        rc = data_loss_(ki, err, "startingOffsets for %s-%d is %lld, outside the available range [%lld, %lld]",
                        p->topic, (int)p->partition, (long long)off, (long long)lo, (long long)hi);
        if (rc) break;
        off = off < lo ? lo : hi;
      }
    }
    if (sp_kafka_offsets_set(&init, p->topic, p->partition, off)) rc = oom_(err);
  }
  free(los);
  free(his);
  sp_kafka_offsets_free(&spec);
  if (!rc) {
    char *js = sp_kafka_offsets_json(&init);
    if (!js) {
      rc = oom_(err);
    } else {
      size_t n = strlen(ki->meta_dir) + 8, jl = strlen(js);
      char *path = malloc(n), *data = malloc(jl + 4);
      if (!path || !data) {
        rc = oom_(err);
      } else {
        snprintf(path, n, "%s/0", ki->meta_dir);
        memcpy(data, "v1\n", 3);
        memcpy(data + 3, js, jl + 1);
        rc = sp_fs_write_atomic(path, data, jl + 3, true, err);
      }
      free(path);
      free(data);
      free(js);
    }
  }
  if (rc) {
    sp_kafka_offsets_free(&init);
    return rc;
  }
  sp_kafka_offsets_free(&ki->initial);
  ki->initial = init;
  ki->have_initial = true;
  return 0;
}

static int kafka_prepare_available_now_(sp_source *s, spate_error *err) {
  kafka_impl *ki = s->impl;
  sp_kafka_offsets parts = {0};
  int rc = fetch_partitions_(ki, &parts, err);
  int64_t *hi = calloc((size_t)parts.n + 1, sizeof *hi);
  if (!rc && !hi) rc = oom_(err);
  if (!rc) rc = watermarks_all_(ki, &parts, NULL, hi, err);
  for (int i = 0; i < parts.n && !rc; i++) parts.v[i].offset = hi[i];
  free(hi);
  if (!rc) {
    sp_kafka_offsets_free(&ki->avail_now);
    ki->avail_now = parts;
    ki->have_avail_now = true;
  } else {
    sp_kafka_offsets_free(&parts);
  }
  return rc;
}

static int kafka_latest_offset_(sp_source *s, const char *start, char **end, spate_error *err) {
  kafka_impl *ki = s->impl;
  *end = NULL;
  sp_kafka_offsets parts = {0}, from = {0}, until = {0}, earliest = {0}, limited = {0};
  int64_t *los = NULL, *his = NULL;
  int rc = 0;
  if (start) {
    if ((rc = sp_kafka_offsets_parse(start, "Kafka source offset", &from, err))) return rc;
  }
  if ((rc = fetch_partitions_(ki, &parts, err))) goto out;
  if (!start) {
    if (parts.n == 0 && !ki->have_initial) goto out; /* nothing exists yet */
    if (!ki->have_initial && (rc = resolve_initial_(ki, &parts, err))) goto out;
    if ((rc = sp_kafka_offsets_copy(&from, &ki->initial))) {
      rc = oom_(err);
      goto out;
    }
  }
  /* Partitions that vanished. */
  for (int i = 0; i < from.n && !rc; i++)
    if (sp_kafka_offsets_find(&parts, from.v[i].topic, from.v[i].partition) < 0)
      rc = data_loss_(ki, err, "Partition %s-%d is gone (it was at offset %lld)", from.v[i].topic,
                      (int)from.v[i].partition, (long long)from.v[i].offset);
  if (rc) goto out;
  int64_t total_new = 0;
  los = calloc((size_t)parts.n + 1, sizeof *los);
  his = calloc((size_t)parts.n + 1, sizeof *his);
  if (!los || !his) rc = oom_(err);
  if (!rc) rc = watermarks_all_(ki, &parts, los, his, err);
  for (int i = 0; i < parts.n && !rc; i++) {
    const sp_kafka_tp *p = &parts.v[i];
    if (ki->have_avail_now && sp_kafka_offsets_find(&ki->avail_now, p->topic, p->partition) < 0) continue;
    int64_t lo = los[i], hi = his[i];
    if (ki->have_avail_now) {
      int64_t cap = ki->avail_now.v[sp_kafka_offsets_find(&ki->avail_now, p->topic, p->partition)].offset;
      if (hi > cap) hi = cap;
    }
    int k = sp_kafka_offsets_find(&from, p->topic, p->partition);
    int64_t begin = k >= 0 ? from.v[k].offset : lo;
    if (k < 0 && sp_kafka_offsets_set(&earliest, p->topic, p->partition, lo)) rc = oom_(err);
    if (hi < begin) {
      /* Fewer records than we already read: the topic was deleted/recreated or truncated. */
      rc = data_loss_(ki, err, "Partition %s-%d's latest offset %lld is below the offset %lld already read",
                      p->topic, p->partition, (long long)hi, (long long)begin);
      if (rc) break;
    } else {
      total_new += hi - begin;
    }
    if (!rc && sp_kafka_offsets_set(&until, p->topic, p->partition, hi)) rc = oom_(err);
  }
  if (rc) goto out;
  /* Partitions of `from` that AvailableNow excluded keep their offsets. */
  for (int i = 0; i < from.n && !rc; i++)
    if (sp_kafka_offsets_find(&until, from.v[i].topic, from.v[i].partition) < 0 &&
        sp_kafka_offsets_find(&parts, from.v[i].topic, from.v[i].partition) >= 0)
      if (sp_kafka_offsets_set(&until, from.v[i].topic, from.v[i].partition, from.v[i].offset)) rc = oom_(err);
  if (rc) goto out;
  /* Spark's latestPartitionOffsets: what metrics() measures the lag against. */
  sp_kafka_offsets_free(&ki->latest);
  ki->have_latest = false;
  if (sp_kafka_offsets_copy(&ki->latest, &until)) {
    rc = oom_(err);
    goto out;
  }
  ki->have_latest = true;
  if (start && ki->min_per_trigger > 0 && !ki->have_avail_now && total_new < ki->min_per_trigger &&
      now_ms_() - ki->last_fire_ms < ki->max_trigger_delay_ms) {
    if (!(*end = strdup(start))) rc = oom_(err); /* delay the batch: no new data */
    goto out;
  }
  sp_kafka_offsets *result = &until;
  if (ki->max_per_trigger > 0) {
    if (sp_kafka_rate_limit(&from, &until, &earliest, ki->max_per_trigger, &limited)) {
      rc = oom_(err);
      goto out;
    }
    result = &limited;
  }
  if (!(*end = sp_kafka_offsets_json(result))) {
    rc = oom_(err);
    goto out;
  }
  if (!start || strcmp(*end, start)) ki->last_fire_ms = now_ms_();
out:
  free(los);
  free(his);
  sp_kafka_offsets_free(&parts);
  sp_kafka_offsets_free(&from);
  sp_kafka_offsets_free(&until);
  sp_kafka_offsets_free(&earliest);
  sp_kafka_offsets_free(&limited);
  return rc;
}

/* One partition's read range and its output batch. */
typedef struct range_ {
  const char *topic;
  int32_t partition;
  int64_t from, to;
  bool done;
  sp_batch *b;
} range_;

static void append_msg_(kafka_impl *ki, sp_batch *b, const rd_kafka_message_t *m, const char *topic) {
  if (m->key) sp_vec_append_str(b->cols[0], m->key, (int32_t)m->key_len);
  else sp_vec_append_null(b->cols[0]);
  if (m->payload) sp_vec_append_str(b->cols[1], m->payload, (int32_t)m->len);
  else sp_vec_append_null(b->cols[1]);
  sp_vec_append_str(b->cols[2], topic, (int32_t)strlen(topic));
  sp_vec_append_i32(b->cols[3], m->partition);
  sp_vec_append_i64(b->cols[4], m->offset);
  rd_kafka_timestamp_type_t tt;
  int64_t ts = rd_kafka_message_timestamp(m, &tt);
  if (tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
    sp_vec_append_null(b->cols[5]);
    sp_vec_append_i32(b->cols[6], 0);
  } else {
    sp_vec_append_i64(b->cols[5], ts * 1000);
    sp_vec_append_i32(b->cols[6], tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 1 : 0);
  }
  if (ki->include_headers) {
    sp_vec *arr = b->cols[7];
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
      sp_vec *st = arr->children[0];
      const char *name;
      const void *val;
      size_t vlen;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
        sp_vec_append_str(st->children[0], name, (int32_t)strlen(name));
        if (val) sp_vec_append_str(st->children[1], val, (int32_t)vlen);
        else sp_vec_append_null(st->children[1]);
        sp_vec_struct_append(st, true);
      }
      sp_vec_array_close(arr, true);
    } else {
      sp_vec_array_close(arr, true); /* Spark: an empty array when the record has no headers */
    }
  }
  b->nrows++;
}

static void range_done_(range_ *rg, int *pending) {
  rg->done = true;
  (*pending)--;
}

/* A consumer error event m (for range rg, NULL if none of ours): end of partition,
 * offset out of range (data loss per failOnDataLoss), fatal/authorization errors;
 * others are transient (librdkafka retries). */
static int handle_error_msg_(kafka_impl *ki, const rd_kafka_message_t *m, range_ *rg, int *pending, spate_error *err) {
  int rc = 0;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (rg && !rg->done && m->offset >= rg->to) {
      range_done_(rg, pending);
    } else if (rg && !rg->done) {
      /* The partition ends before the recorded end offset: records vanished. */
      rc = data_loss_(ki, err, "Cannot fetch records of %s-%d up to offset %lld: the partition ends at %lld", rg->topic,
                      rg->partition, (long long)rg->to, (long long)m->offset);
      if (!rc) {
        range_done_(rg, pending);
      }
    }
  } else if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
    if (rg && !rg->done) {
      rc = data_loss_(ki, err, "Cannot fetch offset %lld of %s-%d: offset out of range", (long long)rg->from, rg->topic,
                      (int)rg->partition);
      if (!rc) {
        range_done_(rg, pending);
      }
    }
  } else if (rd_kafka_fatal_error(ki->rk, NULL, 0)) {
    rc = kafka_error_(err, "fatal consumer error", m->err);
  } else if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
             m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
    rc = kafka_error_(err, "consumer error", m->err);
  }
  return rc;
}

static int read_ranges_(kafka_impl *ki, range_ *r, int n, spate_error *err) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
  if (!l) return oom_(err);
  int pending = 0;
  for (int i = 0; i < n; i++) {
    if (r[i].done) continue;
    rd_kafka_topic_partition_list_add(l, r[i].topic, r[i].partition)->offset = r[i].from;
    pending++;
  }
  if (!pending) {
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
  }
  rd_kafka_resp_err_t e = rd_kafka_assign(ki->rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  if (e) return kafka_error_(err, "cannot assign partitions", e);
  int rc = 0;
  /* Messages are taken from the consumer queue in batches (one lock round per batch,
   * not per record). */
  rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(ki->rk);
  if (!queue) {
    rd_kafka_assign(ki->rk, NULL);
    return spate_error_set(err, SPATE_ERUNTIME, "Kafka source: no consumer queue");
  }
  enum { POLL_BATCH = 4096 };
  rd_kafka_message_t **msgs = malloc(POLL_BATCH * sizeof *msgs);
  if (!msgs) rc = oom_(err);
  int64_t deadline = now_ms_() + ki->poll_timeout_ms;
  while (pending > 0 && !rc) {
    /* Take what is queued; when nothing is, wait for the next record (a batch call
     * with a timeout would wait that long for a full batch). */
    ssize_t got = rd_kafka_consume_batch_queue(queue, 0, msgs, POLL_BATCH);
    if (got <= 0 && (msgs[0] = rd_kafka_consumer_poll(ki->rk, 100))) got = 1;
    if (got <= 0) {
      if (now_ms_() > deadline) {
        for (int i = 0; i < n; i++)
          if (!r[i].done) {
            rc = spate_error_set(err, SPATE_ETIMEOUT,
                                 "Kafka source: timed out after %lld ms (kafkaConsumer.pollTimeoutMs) reading %s-%d "
                                 "offsets [%lld, %lld)", (long long)ki->poll_timeout_ms, r[i].topic, r[i].partition,
                                 (long long)r[i].from, (long long)r[i].to);
            break;
          }
      }
      continue;
    }
    deadline = now_ms_() + ki->poll_timeout_ms; /* records arrived: the timeout restarts */
    range_ *last = NULL; /* consecutive messages are mostly of one partition */
    for (ssize_t j = 0; j < got; j++) {
      rd_kafka_message_t *m = msgs[j];
      if (rc) {
        rd_kafka_message_destroy(m);
        continue;
      }
      const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
      range_ *rg = NULL;
      if (last && topic && last->partition == m->partition && !strcmp(last->topic, topic)) rg = last;
      for (int i = 0; topic && i < n && !rg; i++)
        if (r[i].partition == m->partition && !strcmp(r[i].topic, topic)) rg = &r[i];
      last = rg;
      if (m->err) {
        rc = handle_error_msg_(ki, m, rg, &pending, err);
        rd_kafka_message_destroy(m);
        continue;
      }
      if (rg && !rg->done && m->offset >= rg->from && m->offset < rg->to) append_msg_(ki, rg->b, m, rg->topic);
      if (rg && !rg->done && m->offset >= rg->to - 1) range_done_(rg, &pending);
      rd_kafka_message_destroy(m);
    }
  }
  free(msgs);
  rd_kafka_queue_destroy(queue);
  rd_kafka_assign(ki->rk, NULL);
  return rc;
}

static int kafka_get_batch_(sp_source *s, const char *start, const char *end, sp_batch_list *out, spate_error *err) {
  kafka_impl *ki = s->impl;
  sp_kafka_offsets from = {0}, to = {0};
  int rc = 0;
  if (start) rc = sp_kafka_offsets_parse(start, "Kafka source offset", &from, err);
  else if (!ki->have_initial)
    rc = spate_error_set(err, SPATE_ECHECKPOINT, "Kafka source: the initial offsets of this query are missing from "
                                                 "%s/0", ki->meta_dir);
  else rc = sp_kafka_offsets_copy(&from, &ki->initial) ? oom_(err) : 0;
  if (!rc) rc = sp_kafka_offsets_parse(end, "Kafka source offset", &to, err);
  range_ *r = rc ? NULL : calloc((size_t)to.n + 1, sizeof *r);
  int64_t *los = rc ? NULL : calloc((size_t)to.n + 1, sizeof *los);
  if (!rc && (!r || !los)) rc = oom_(err);
  if (!rc) rc = watermarks_all_(ki, &to, los, NULL, err);
  int n = 0;
  for (int i = 0; !rc && i < to.n; i++) {
    const sp_kafka_tp *t = &to.v[i];
    int k = sp_kafka_offsets_find(&from, t->topic, t->partition);
    int64_t lo = los[i];
    int64_t f = k >= 0 ? from.v[k].offset : lo; /* a new partition is read from earliest */
    if (t->offset < f) {
      rc = data_loss_(ki, err, "Partition %s-%d's offset was changed from %lld to %lld", t->topic, t->partition,
                      (long long)f, (long long)t->offset);
      continue;
    }
    if (t->offset == f) continue;
    if (f < lo) {
      rc = data_loss_(ki, err, "Cannot fetch offset %lld of %s-%d: the earliest available offset is %lld",
                      (long long)f, t->topic, (int)t->partition, (long long)lo);
      if (rc) break;
      fprintf(stderr, "spate: WARN Kafka source: %s-%d: reading from offset %lld instead of %lld\n", t->topic,
              t->partition, (long long)lo, (long long)f);
      f = lo;
      if (f >= t->offset) continue;
    }
    range_ *rg = &r[n++];
    rg->topic = t->topic;
    rg->partition = t->partition;
    rg->from = f;
    rg->to = t->offset;
    if (!(rg->b = sp_batch_new(s->schema, t->offset - f < 65536 ? t->offset - f : 65536))) rc = oom_(err);
  }
  if (!rc) rc = read_ranges_(ki, r, n, err);
  for (int i = 0; i < n; i++) {
    if (!rc && sp_batch_check(r[i].b)) rc = oom_(err);
    if (!rc) {
      sp_batch *b = r[i].b;
      r[i].b = NULL;
      if (sp_batch_list_push(out, b)) rc = oom_(err);
    }
    sp_batch_free(r[i].b);
  }
  if (!rc && n == 0) {
    sp_batch *b = sp_batch_new(s->schema, 0);
    if (!b || sp_batch_list_push(out, b)) rc = oom_(err);
  }
  free(r);
  free(los);
  sp_kafka_offsets_free(&from);
  sp_kafka_offsets_free(&to);
  return rc;
}

static void kafka_commit_(sp_source *s, const char *end) {
  kafka_impl *ki = s->impl;
  if (!ki->commit_group || !ki->rk || !end) return;
  sp_kafka_offsets to = {0};
  if (sp_kafka_offsets_parse(end, "offset", &to, NULL)) return;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(to.n ? to.n : 1);
  for (int i = 0; l && i < to.n; i++)
    rd_kafka_topic_partition_list_add(l, to.v[i].topic, to.v[i].partition)->offset = to.v[i].offset;
  if (l && l->cnt) {
    rd_kafka_resp_err_t e = rd_kafka_commit(ki->rk, l, 0);
    if (e) fprintf(stderr, "spate: WARN Kafka source: cannot commit offsets to the consumer group: %s\n",
                   rd_kafka_err2str(e));
  }
  if (l) rd_kafka_topic_partition_list_destroy(l);
  sp_kafka_offsets_free(&to);
}

/* Java's Double.toString (shortest round-trip digits; plain notation for
 * 1e-3 <= |v| < 1e7 with at least one fractional digit, else d.dddE<n>), so
 * avgOffsetsBehindLatest reads as Spark's: "70.0", "23.333333333333332". */
static void java_double_(double v, char *out, size_t cap) {
  if (v == 0) {
    snprintf(out, cap, "0.0");
    return;
  }
  char e[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    if (strtod(e, NULL) == v) break;
  }
  /* e: [-]d[.ddd]e[+-]xx */
  const char *q = e;
  bool neg = *q == '-';
  if (neg) q++;
  char digits[24];
  int nd = 0;
  for (; *q && *q != 'e'; q++)
    if (*q != '.' && nd < (int)sizeof digits - 1) digits[nd++] = *q;
  digits[nd] = '\0';
  int exp10 = atoi(q + 1);
  while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = '\0';
  size_t n = 0;
  if (neg && n + 1 < cap) out[n++] = '-';
  double a = neg ? -v : v;
  if (a >= 1e-3 && a < 1e7) {
    if (exp10 >= 0) {
      for (int i = 0; i <= exp10 && n + 1 < cap; i++) out[n++] = i < nd ? digits[i] : '0';
      if (n + 1 < cap) out[n++] = '.';
      if (nd > exp10 + 1) {
        for (int i = exp10 + 1; i < nd && n + 1 < cap; i++) out[n++] = digits[i];
      } else if (n + 1 < cap) {
        out[n++] = '0';
      }
    } else {
      if (n + 2 < cap) {
        out[n++] = '0';
        out[n++] = '.';
      }
      for (int i = 0; i < -exp10 - 1 && n + 1 < cap; i++) out[n++] = '0';
      for (int i = 0; i < nd && n + 1 < cap; i++) out[n++] = digits[i];
    }
    out[n < cap ? n : cap - 1] = '\0';
  } else {
    out[n] = '\0';
    snprintf(out + n, cap - n, "%c.%sE%d", digits[0], nd > 1 ? digits + 1 : "0", exp10);
  }
}

/* Spark's KafkaMicroBatchStream.metrics: per partition of the latest offsets, latest
 * minus consumed (end_offset); min/max/avg as strings, keys sorted. */
static int kafka_metrics_(sp_source *s, const char *end_offset, sp_source_metric *out, int cap) {
  kafka_impl *ki = s->impl;
  if (!ki || !ki->have_latest || !end_offset || cap < 3) return 0;
  sp_kafka_offsets end = {0};
  if (sp_kafka_offsets_parse(end_offset, "offset", &end, NULL)) return 0;
  int64_t mn = 0, mx = 0, sum = 0, count = 0;
  for (int i = 0; i < ki->latest.n; i++) {
    int k = sp_kafka_offsets_find(&end, ki->latest.v[i].topic, ki->latest.v[i].partition);
    if (k < 0) continue;
    int64_t behind = ki->latest.v[i].offset - end.v[k].offset;
    if (count == 0 || behind < mn) mn = behind;
    if (count == 0 || behind > mx) mx = behind;
    sum += behind;
    count++;
  }
  sp_kafka_offsets_free(&end);
  if (count == 0) return 0;
  snprintf(out[0].name, sizeof out[0].name, "avgOffsetsBehindLatest");
  java_double_((double)sum / (double)count, out[0].value, sizeof out[0].value);
  snprintf(out[1].name, sizeof out[1].name, "maxOffsetsBehindLatest");
  snprintf(out[1].value, sizeof out[1].value, "%lld", (long long)mx);
  snprintf(out[2].name, sizeof out[2].name, "minOffsetsBehindLatest");
  snprintf(out[2].value, sizeof out[2].value, "%lld", (long long)mn);
  return 3;
}

static void kafka_close_(sp_source *s) {
  kafka_impl *ki = s->impl;
  if (!ki) return;
  if (ki->rk) {
    rd_kafka_consumer_close(ki->rk);
    rd_kafka_destroy(ki->rk);
  }
  free_topics_(ki);
  sp_kafka_offsets_free(&ki->assigned);
  sp_kafka_offsets_free(&ki->initial);
  sp_kafka_offsets_free(&ki->avail_now);
  sp_kafka_offsets_free(&ki->latest);
  if (ki->re_ok) regfree(&ki->re);
  free(ki->starting);
  free(ki->group_prefix);
  free(ki->meta_dir);
  sp_kafka_conf_free(&ki->kconf);
  free(ki);
  s->impl = NULL;
}

const sp_source_vtab sp_kafka_source_vtab = {
    "kafka", kafka_options_, true, kafka_create_, kafka_open_, kafka_prepare_available_now_, kafka_latest_offset_,
    kafka_get_batch_, kafka_commit_, kafka_close_, NULL, kafka_metrics_};
