/*
 * kafka_common.h - pieces shared by the Kafka source (kafka_source.c) and the
 * Kafka sink (sink/kafka_sink.c): `kafka.*` option pass-through to librdkafka,
 * per-partition offset maps and their Spark JSON form
 * ({"topic":{"0":123,"1":40}}), and Spark's maxOffsetsPerTrigger split.
 * No global state: every librdkafka handle belongs to one source or sink.
 * Secrets: values of sasl.* / ssl.* / *password* properties never reach messages
 * or librdkafka's log lines (sp_kafka_log_cb, sp_kafka_redact).
 */
#ifndef SPATE_SOURCE_KAFKA_COMMON_H
#define SPATE_SOURCE_KAFKA_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "spate/error.h"

/* librdkafka properties taken from `kafka.<name>` options (prefix stripped). */
typedef struct sp_kafka_conf {
  int n;
  char **keys;
  char **vals;
} sp_kafka_conf;

/* Collect every option whose key starts with "kafka." (case-insensitive prefix;
 * the property name keeps its case). The last value of a repeated key wins. */
int sp_kafka_conf_collect(int nopts, const char *const *keys, const char *const *values, sp_kafka_conf *out,
                          spate_error *err);
void sp_kafka_conf_free(sp_kafka_conf *c);
const char *sp_kafka_conf_get(const sp_kafka_conf *c, const char *key);
/* true for properties whose values are secrets (sasl.*, ssl.*, *password*): never
 * print their values. */
bool sp_kafka_secret_key(const char *key);
/* Set every property on `conf`. Errors name the property, never its value. */
int sp_kafka_conf_apply(const sp_kafka_conf *c, rd_kafka_conf_t *conf, const char *what, spate_error *err);
/* (sp_kafka_conf_apply also installs sp_kafka_log_cb on conf.) */
/* librdkafka log callback: librdkafka's default stderr line, with the values of the
 * handle's secret properties (sp_kafka_secret_key, when not librdkafka's default)
 * replaced by "*********(redacted)" (librdkafka's CONFWARN lines quote values). */
void sp_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);
/* Copy `in` into out[cap] with the values of c's secret properties redacted (for
 * librdkafka error strings such as rd_kafka_new's errstr). */
void sp_kafka_redact(const sp_kafka_conf *c, const char *in, char *out, size_t cap);
/* rd_kafka_conf_set that turns a failure into a spate error (values not echoed). */
int sp_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, const char *what, spate_error *err);

/* One (topic, partition) -> offset entry; maps are small, kept sorted by
 * (topic, partition) once sp_kafka_offsets_sort has run. */
typedef struct sp_kafka_tp {
  char *topic;
  int32_t partition;
  int64_t offset;
} sp_kafka_tp;

typedef struct sp_kafka_offsets {
  sp_kafka_tp *v;
  int n, cap;
} sp_kafka_offsets;

void sp_kafka_offsets_free(sp_kafka_offsets *m);
/* Index of (topic, partition) or -1. */
int sp_kafka_offsets_find(const sp_kafka_offsets *m, const char *topic, int32_t partition);
/* Insert or replace. 0 or SPATE_ENOMEM. */
int sp_kafka_offsets_set(sp_kafka_offsets *m, const char *topic, int32_t partition, int64_t offset);
void sp_kafka_offsets_sort(sp_kafka_offsets *m);
int sp_kafka_offsets_copy(sp_kafka_offsets *dst, const sp_kafka_offsets *src);
/* Parse Spark's offset JSON {"t":{"0":12,"1":-2}} (offsets may be negative: -2 earliest,
 * -1 latest in startingOffsets). `what` names the text in errors. */
int sp_kafka_offsets_parse(const char *json, const char *what, sp_kafka_offsets *out, spate_error *err);
/* Sorted compact JSON; malloc'd, NULL on OOM. */
char *sp_kafka_offsets_json(sp_kafka_offsets *m);

/* Spark's KafkaMicroBatchStream.rateLimit: for every partition of `until`, its
 * begin is `from` (or `earliest` for partitions new to this batch); with backlog
 * size_p = until_p - begin_p and total = sum, take_p = limit * size_p / total rounded
 * down (up when < 1), capped at until_p. Partitions without a begin keep until_p.
 * `out` receives the result (replaced). */
int sp_kafka_rate_limit(const sp_kafka_offsets *from, const sp_kafka_offsets *until, const sp_kafka_offsets *earliest,
                        int64_t limit, sp_kafka_offsets *out);

#endif
