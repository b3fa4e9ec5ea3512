/*
 * broker.c - `spate broker`: an in-process, in-memory Kafka-protocol broker
 * (librdkafka's mock cluster) for development, demos and tests. Any Kafka
 * client (kcat, librdkafka, the spate kafka source/sink) can produce to and
 * consume from it. Production jobs point `kafka.bootstrap.servers` at a real
 * cluster instead: the mock keeps everything in memory and implements only a
 * subset of the protocol (produce, idempotent and transactional producers,
 * fetch, metadata with topic auto-creation, consumer groups and offset commits).
 *
 *   spate broker [--brokers N] [--partitions N] [--topic NAME[:PARTITIONS]]...
 *
 * Contract: the FIRST line on stdout is `bootstrap.servers=<host:port,...>`,
 * flushed at once, so a parent process can read it and connect. The process
 * runs until SIGINT/SIGTERM, then destroys the cluster and exits 0. Topics
 * named with --topic are created up front (with --partitions partitions unless
 * NAME:PARTITIONS says otherwise); any other topic is created on first use with
 * librdkafka's mock default partition count (librdkafka offers no way to change
 * it). Usage errors exit 2; failure to start the cluster exits 1.
 *
 * Invariants: the only process-global state is the signal flag, which lives in
 * the CLI (the library keeps none); the mock cluster is owned by its rd_kafka_t
 * handle and destroyed before it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/broker.h"

static volatile sig_atomic_t g_broker_stop = 0;

static void on_broker_signal_(int sig) { g_broker_stop = sig; }

static void broker_usage_(FILE *f) {
  fprintf(f,
          "Usage: spate broker [--brokers N] [--partitions N] [--topic NAME[:PARTITIONS]]...\n"
          "\n"
          "Starts an in-memory Kafka-protocol broker (librdkafka's mock cluster) for\n"
          "development and tests, prints `bootstrap.servers=<host:port,...>` as the first\n"
          "line on stdout and runs until SIGINT/SIGTERM. Production jobs point\n"
          "kafka.bootstrap.servers at a real Kafka cluster instead.\n"
          "\n"
          "  --brokers N            number of mock brokers (default 1)\n"
          "  --partitions N         partitions of each --topic without an explicit count (default 1)\n"
          "  --topic NAME[:P]       create topic NAME with P partitions at start (repeatable);\n"
          "                         other topics are auto-created on first use\n");
}

static int parse_count_(const char *s, int max, int *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 1 || v > max) return -1;
  *out = (int)v;
  return 0;
}

int sp_cli_broker(int argc, char **argv) {
  int brokers = 1, partitions = 1;
  /* First pass: options other than --topic (so --partitions may come after --topic). */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      broker_usage_(stdout);
      return 0;
    }
    if (!strcmp(a, "--brokers") || !strcmp(a, "--partitions") || !strcmp(a, "--topic")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "spate broker: %s needs a value (see spate broker --help)\n", a);
        return 2;
      }
      const char *v = argv[++i];
      if (!strcmp(a, "--brokers") && parse_count_(v, 64, &brokers)) {
        fprintf(stderr, "spate broker: invalid --brokers '%s' (1..64)\n", v);
        return 2;
      }
      if (!strcmp(a, "--partitions") && parse_count_(v, 100000, &partitions)) {
        fprintf(stderr, "spate broker: invalid --partitions '%s' (1..100000)\n", v);
        return 2;
      }
      continue;
    }
    fprintf(stderr, "spate broker: unknown option '%s' (see spate broker --help)\n", a);
    return 2;
  }
  /* Validate topics before starting anything. */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--topic")) continue;
    const char *v = argv[++i];
    const char *colon = strrchr(v, ':');
    int p;
    if (colon == v || !*v || (colon && parse_count_(colon + 1, 100000, &p))) {
      fprintf(stderr, "spate broker: invalid --topic '%s' (NAME or NAME:PARTITIONS)\n", v);
      return 2;
    }
  }

  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "spate broker: cannot create a Kafka handle: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "spate broker: cannot start the mock cluster\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  int status = 0;
  for (int i = 1; i < argc && !status; i++) {
    if (strcmp(argv[i], "--topic")) continue;
    const char *v = argv[++i];
    char name[512];
    snprintf(name, sizeof name, "%s", v);
    int p = partitions;
    char *colon = strrchr(name, ':');
    if (colon) {
      *colon = '\0';
      parse_count_(colon + 1, 100000, &p);
    }
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, p, brokers < 3 ? brokers : 3);
    if (e) {
      fprintf(stderr, "spate broker: cannot create topic '%s': %s\n", name, rd_kafka_err2str(e));
      status = 1;
    }
  }
  if (!status) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_broker_signal_;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("bootstrap.servers=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!g_broker_stop) {
      struct timespec ts = {0, 100 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return status;
}
