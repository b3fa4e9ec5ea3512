/* test_kafka_source.c - unit tests for the Kafka source (src/source/kafka_source.c)
 * and its helpers (src/source/kafka_common.c), against librdkafka's mock cluster
 * started in-process (loopback only): offset JSON, Spark's maxOffsetsPerTrigger
 * split, batches over exact offset ranges, replay, new partitions, option errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "source/kafka_common.h"
#include "source/source.h"

static void test_offsets_json(void **state) {
  (void)state;
  sp_kafka_offsets m = {0};
  assert_int_equal(sp_kafka_offsets_parse("{\"b\":{\"1\":40,\"0\":45},\"a\":{\"0\":-2}}", "x", &m, NULL), 0);
  assert_int_equal(m.n, 3);
  char *js = sp_kafka_offsets_json(&m);
  assert_string_equal(js, "{\"a\":{\"0\":-2},\"b\":{\"0\":45,\"1\":40}}");
  free(js);
  assert_int_equal(m.v[sp_kafka_offsets_find(&m, "b", 1)].offset, 40);
  assert_int_equal(sp_kafka_offsets_find(&m, "c", 0), -1);
  sp_kafka_offsets_free(&m);
  spate_error e = {0};
  assert_int_not_equal(sp_kafka_offsets_parse("{\"a\":[0,1]}", "startingOffsets", &m, &e), 0);
  assert_non_null(strstr(e.message, "startingOffsets"));
  assert_int_not_equal(sp_kafka_offsets_parse("{\"a\":{\"x\":1}}", "o", &m, NULL), 0);
  assert_int_not_equal(sp_kafka_offsets_parse("nope", "o", &m, NULL), 0);
  assert_int_equal(sp_kafka_offsets_parse("{}", "o", &m, NULL), 0);
  js = sp_kafka_offsets_json(&m);
  assert_string_equal(js, "{}");
  free(js);
  sp_kafka_offsets_free(&m);
}

static void test_rate_limit(void **state) {
  (void)state;
  sp_kafka_offsets from = {0}, until = {0}, earliest = {0}, out = {0};
  /* backlogs 2, 3 and 95 (new partition from earliest 5), limit 10 */
  sp_kafka_offsets_set(&from, "t", 0, 10);
  sp_kafka_offsets_set(&from, "t", 1, 0);
  sp_kafka_offsets_set(&until, "t", 0, 12);
  sp_kafka_offsets_set(&until, "t", 1, 3);
  sp_kafka_offsets_set(&until, "t", 2, 100);
  sp_kafka_offsets_set(&earliest, "t", 2, 5);
  assert_int_equal(sp_kafka_rate_limit(&from, &until, &earliest, 10, &out), 0);
  /* 10*2/100 = 0.2 -> ceil 1; 10*3/100 = 0.3 -> 1; 10*95/100 = 9.5 -> floor 9 */
  char *js = sp_kafka_offsets_json(&out);
  assert_string_equal(js, "{\"t\":{\"0\":11,\"1\":1,\"2\":14}}");
  free(js);
  /* a limit above the backlog reads everything */
  assert_int_equal(sp_kafka_rate_limit(&from, &until, &earliest, 1000, &out), 0);
  js = sp_kafka_offsets_json(&out);
  assert_string_equal(js, "{\"t\":{\"0\":12,\"1\":3,\"2\":100}}");
  free(js);
  sp_kafka_offsets_free(&from);
  sp_kafka_offsets_free(&until);
  sp_kafka_offsets_free(&earliest);
  sp_kafka_offsets_free(&out);
}

/* ---- against the mock cluster ---- */

typedef struct cluster {
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mc;
  rd_kafka_t *prod;
  char bootstrap[256];
  char dir[256];
} cluster;

static void cluster_start_(cluster *c) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
  c->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  assert_non_null(c->rk);
  c->mc = rd_kafka_mock_cluster_new(c->rk, 1);
  assert_non_null(c->mc);
  snprintf(c->bootstrap, sizeof c->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(c->mc));
  assert_int_equal(rd_kafka_mock_topic_create(c->mc, "t", 2, 1), 0);
  conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", c->bootstrap, errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
  c->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  assert_non_null(c->prod);
  snprintf(c->dir, sizeof c->dir, "/tmp/spate-test-kafka-XXXXXX");
  assert_non_null(mkdtemp(c->dir));
}

static void produce_(cluster *c, const char *topic, int part, const char *key, const char *val) {
  assert_int_equal(rd_kafka_producev(c->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, strlen(key)),
                                     RD_KAFKA_V_VALUE((void *)val, strlen(val)),
                                     RD_KAFKA_V_HEADER("h", "hv", 2), RD_KAFKA_V_END),
                   0);
}

static void flush_(cluster *c) { assert_int_equal(rd_kafka_flush(c->prod, 10000), 0); }

static void cluster_stop_(cluster *c) {
  rd_kafka_destroy(c->prod);
  rd_kafka_mock_cluster_destroy(c->mc);
  rd_kafka_destroy(c->rk);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
  assert_int_equal(system(cmd), 0);
}

static sp_source *make_source_(cluster *c, const char *extra_key, const char *extra_val, spate_error *e, int *rc) {
  const char *keys[] = {"kafka.bootstrap.servers", "subscribe", "startingOffsets", "includeHeaders",
                        "kafkaConsumer.pollTimeoutMs", extra_key};
  const char *vals[] = {c->bootstrap, "t", "earliest", "true", "20000", extra_val};
  sp_source_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "kafka";
  spec.noptions = extra_key ? 6 : 5;
  spec.keys = keys;
  spec.values = vals;
  sp_source *s = NULL;
  *rc = sp_source_create(&spec, &s, e);
  return s;
}

/* All rows of a batch list as "partition:offset:key=value;" in list order. */
static void rows_text_(const sp_batch_list *l, char *out, size_t cap) {
  out[0] = '\0';
  for (int i = 0; i < l->n; i++) {
    const sp_batch *b = l->items[i];
    for (int64_t r = 0; r < b->nrows; r++) {
      int32_t kl, vl;
      const char *k = sp_vec_str(b->cols[0], r, &kl), *v = sp_vec_str(b->cols[1], r, &vl);
      size_t n = strlen(out);
      snprintf(out + n, cap - n, "%d:%lld:%.*s=%.*s;", sp_vec_i32(b->cols[3])[r],
               (long long)sp_vec_i64(b->cols[4])[r], (int)kl, k, (int)vl, v);
    }
  }
}

static void test_batches_and_replay(void **state) {
  (void)state;
  cluster c;
  cluster_start_(&c);
  for (int i = 0; i < 4; i++) {
    char k[8], v[8];
    snprintf(k, sizeof k, "k%d", i);
    snprintf(v, sizeof v, "v%d", i);
    produce_(&c, "t", i % 2, k, v);
  }
  flush_(&c);
  spate_error e = {0};
  int rc;
  sp_source *s = make_source_(&c, "maxOffsetsPerTrigger", "3", &e, &rc);
  assert_int_equal(rc, 0);
  assert_string_equal(s->description, "KafkaV2[Subscribe[t]]");
  assert_int_equal(s->schema->nfields, 8);
  assert_int_equal(s->vt->open(s, c.dir, NULL, &e), 0);
  char *end0 = NULL;
  assert_int_equal(s->vt->latest_offset(s, NULL, &end0, &e), 0);
  /* backlog 2+2, limit 3: 3*2/4 = 1.5 -> 1 per partition */
  assert_string_equal(end0, "{\"t\":{\"0\":1,\"1\":1}}");
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, NULL, end0, &l, &e), 0);
  char text[1024], text2[1024];
  rows_text_(&l, text, sizeof text);
  assert_string_equal(text, "0:0:k0=v0;1:0:k1=v1;");
  /* headers column: [{h, hv}] */
  const sp_vec *hv = l.items[0]->cols[7];
  assert_int_equal(hv->offsets[1] - hv->offsets[0], 1);
  sp_batch_list_release(&l);
  /* replay of the same range gives identical rows */
  assert_int_equal(s->vt->get_batch(s, NULL, end0, &l, &e), 0);
  rows_text_(&l, text2, sizeof text2);
  assert_string_equal(text, text2);
  sp_batch_list_release(&l);
  char *end1 = NULL;
  assert_int_equal(s->vt->latest_offset(s, end0, &end1, &e), 0);
  assert_string_equal(end1, "{\"t\":{\"0\":2,\"1\":2}}");
  assert_int_equal(s->vt->get_batch(s, end0, end1, &l, &e), 0);
  rows_text_(&l, text, sizeof text);
  assert_string_equal(text, "0:1:k2=v2;1:1:k3=v3;");
  sp_batch_list_release(&l);
  s->vt->commit(s, end1);
  /* nothing new: the end equals the start */
  char *end2 = NULL;
  assert_int_equal(s->vt->latest_offset(s, end1, &end2, &e), 0);
  assert_string_equal(end2, end1);
  free(end2);
  /* a new partition appears (topic grows from 2 to 3 partitions via a new topic subscription
   * is not possible on the mock; instead check the initial offsets file survives a restart) */
  sp_source_free(s);
  s = make_source_(&c, NULL, NULL, &e, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(s->vt->open(s, c.dir, NULL, &e), 0);
  assert_int_equal(s->vt->get_batch(s, NULL, end0, &l, &e), 0); /* replay of batch 0 after a restart */
  rows_text_(&l, text2, sizeof text2);
  assert_string_equal(text2, "0:0:k0=v0;1:0:k1=v1;");
  sp_batch_list_release(&l);
  sp_source_free(s);
  free(end0);
  free(end1);
  cluster_stop_(&c);
}


/* Beyond Spark: with kafka.group.id, commit(end) commits the batch's end offsets to the
 * consumer group, so standard lag tools see progress (read back with rd_kafka_committed). */
static void test_group_offsets_committed(void **state) {
  (void)state;
  cluster c;
  cluster_start_(&c);
  for (int i = 0; i < 5; i++) produce_(&c, "t", i % 2, "k", "v");
  flush_(&c);
  spate_error e = {0};
  int rc;
  sp_source *s = make_source_(&c, "kafka.group.id", "spate-test-group", &e, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(s->vt->open(s, c.dir, NULL, &e), 0);
  char *end = NULL;
  assert_int_equal(s->vt->latest_offset(s, NULL, &end, &e), 0);
  assert_string_equal(end, "{\"t\":{\"0\":3,\"1\":2}}");
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, NULL, end, &l, &e), 0);
  sp_batch_list_release(&l);
  s->vt->commit(s, end);
  /* Another client of the same group sees the committed positions. */
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", c.bootstrap, errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "spate-test-group", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  assert_non_null(rk);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(2);
  rd_kafka_topic_partition_list_add(parts, "t", 0);
  rd_kafka_topic_partition_list_add(parts, "t", 1);
  assert_int_equal(rd_kafka_committed(rk, parts, 10000), 0);
  assert_int_equal(parts->elems[0].offset, 3);
  assert_int_equal(parts->elems[1].offset, 2);
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_destroy(rk);
  free(end);
  sp_source_free(s);
  cluster_stop_(&c);
}

static void test_latest_and_json_start(void **state) {
  (void)state;
  cluster c;
  cluster_start_(&c);
  produce_(&c, "t", 0, "a", "1");
  produce_(&c, "t", 0, "b", "2");
  produce_(&c, "t", 1, "c", "3");
  flush_(&c);
  spate_error e = {0};
  int rc;
  sp_source *s = make_source_(&c, "startingOffsets", "{\"t\":{\"0\":1,\"1\":-1}}", &e, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(s->vt->open(s, c.dir, NULL, &e), 0);
  char *end = NULL;
  assert_int_equal(s->vt->latest_offset(s, NULL, &end, &e), 0);
  assert_string_equal(end, "{\"t\":{\"0\":2,\"1\":1}}");
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, NULL, end, &l, &e), 0);
  char text[256];
  rows_text_(&l, text, sizeof text);
  assert_string_equal(text, "0:1:b=2;");
  sp_batch_list_release(&l);
  free(end);
  sp_source_free(s);
  cluster_stop_(&c);
}

/* Spark's KafkaMicroBatchStream.metrics: offsets behind the latest known offsets, per
 * partition, as min/max/avg strings with keys sorted. */
static void test_metrics_offsets_behind_latest(void **state) {
  (void)state;
  cluster c;
  cluster_start_(&c);
  for (int i = 0; i < 8; i++) produce_(&c, "t", 0, "k", "v");
  for (int i = 0; i < 2; i++) produce_(&c, "t", 1, "k", "v");
  flush_(&c);
  spate_error e = {0};
  int rc;
  sp_source *s = make_source_(&c, "maxOffsetsPerTrigger", "3", &e, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(s->vt->open(s, c.dir, NULL, &e), 0);
  sp_source_metric m[SP_SOURCE_MAX_METRICS];
  assert_int_equal(sp_source_metrics(s, "{\"t\":{\"0\":0,\"1\":0}}", m, SP_SOURCE_MAX_METRICS), 0); /* no latest yet */
  char *end0 = NULL;
  assert_int_equal(s->vt->latest_offset(s, NULL, &end0, &e), 0);
  /* backlog 8+2, limit 3: 3*8/10 = 2.4 -> 2, 3*2/10 = 0.6 -> 1 */
  assert_string_equal(end0, "{\"t\":{\"0\":2,\"1\":1}}");
  assert_int_equal(sp_source_metrics(s, NULL, m, SP_SOURCE_MAX_METRICS), 0);
  assert_int_equal(sp_source_metrics(s, end0, m, SP_SOURCE_MAX_METRICS), 3);
  assert_string_equal(m[0].name, "avgOffsetsBehindLatest");
  assert_string_equal(m[0].value, "3.5"); /* (6 + 1) / 2 */
  assert_string_equal(m[1].name, "maxOffsetsBehindLatest");
  assert_string_equal(m[1].value, "6");
  assert_string_equal(m[2].name, "minOffsetsBehindLatest");
  assert_string_equal(m[2].value, "1");
  /* Double.toString of a whole number keeps ".0" */
  assert_int_equal(sp_source_metrics(s, "{\"t\":{\"0\":7,\"1\":1}}", m, SP_SOURCE_MAX_METRICS), 3);
  assert_string_equal(m[0].value, "1.0");
  assert_string_equal(m[1].value, "1");
  assert_string_equal(m[2].value, "1");
  /* Caught up: zero lag. */
  char *end1 = NULL;
  assert_int_equal(s->vt->latest_offset(s, "{\"t\":{\"0\":8,\"1\":2}}", &end1, &e), 0);
  assert_int_equal(sp_source_metrics(s, end1, m, SP_SOURCE_MAX_METRICS), 3);
  assert_string_equal(m[0].value, "0.0");
  assert_string_equal(m[1].value, "0");
  /* Too little room for the three metrics: none. */
  assert_int_equal(sp_source_metrics(s, end1, m, 2), 0);
  free(end0);
  free(end1);
  sp_source_free(s);
  cluster_stop_(&c);
}

static void test_option_errors(void **state) {
  (void)state;
  spate_error e = {0};
  sp_source *s = NULL;
  const char *k1[] = {"kafka.bootstrap.servers", "subscribe", "assign"};
  const char *v1[] = {"127.0.0.1:1", "t", "{\"t\":[0]}"};
  sp_source_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.format = "kafka";
  spec.keys = k1;
  spec.values = v1;
  spec.noptions = 3;
  assert_int_not_equal(sp_source_create(&spec, &s, &e), 0);
  assert_non_null(strstr(e.message, "Only one of"));
  const char *k2[] = {"kafka.bootstrap.servers", "subscribe", "endingOffsets"};
  const char *v2[] = {"127.0.0.1:1", "t", "latest"};
  spec.keys = k2;
  spec.values = v2;
  assert_int_not_equal(sp_source_create(&spec, &s, &e), 0);
  assert_non_null(strstr(e.message, "ending offset not valid in streaming queries"));
  const char *k3[] = {"kafka.bootstrap.servers", "subscribe", "kafka.auto.offset.reset"};
  const char *v3[] = {"127.0.0.1:1", "t", "earliest"};
  spec.keys = k3;
  spec.values = v3;
  assert_int_not_equal(sp_source_create(&spec, &s, &e), 0);
  assert_non_null(strstr(e.message, "auto.offset.reset"));
  const char *k4[] = {"subscribe"};
  const char *v4[] = {"t"};
  spec.keys = k4;
  spec.values = v4;
  spec.noptions = 1;
  assert_int_not_equal(sp_source_create(&spec, &s, &e), 0);
  assert_non_null(strstr(e.message, "kafka.bootstrap.servers"));
  const char *k5[] = {"kafka.bootstrap.servers", "assign"};
  const char *v5[] = {"127.0.0.1:1", "{\"a\":[0,2],\"b\":[1]}"};
  spec.keys = k5;
  spec.values = v5;
  spec.noptions = 2;
  assert_int_equal(sp_source_create(&spec, &s, &e), 0);
  assert_string_equal(s->description, "KafkaV2[Assign[a-0, a-2, b-1]]");
  sp_source_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_offsets_json),
      cmocka_unit_test(test_rate_limit),
      cmocka_unit_test(test_batches_and_replay),
      cmocka_unit_test(test_latest_and_json_start),
      cmocka_unit_test(test_metrics_offsets_behind_latest),
      cmocka_unit_test(test_option_errors),
      cmocka_unit_test(test_group_offsets_committed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
