/* test_socket_source.c - unit tests for the socket source (src/source/socket_source.c)
 * against a listening socket on 127.0.0.1 created by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "source/source.h"

typedef struct server {
  int listen_fd, conn_fd;
  char port[16];
} server;

static void server_start_(server *sv) {
  sv->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(sv->listen_fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  assert_int_equal(bind(sv->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(sv->listen_fd, 4), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(sv->listen_fd, (struct sockaddr *)&a, &len), 0);
  snprintf(sv->port, sizeof sv->port, "%d", ntohs(a.sin_port));
  sv->conn_fd = -1;
}

static void server_accept_(server *sv) {
  sv->conn_fd = accept(sv->listen_fd, NULL, NULL);
  assert_true(sv->conn_fd >= 0);
}

static void server_send_(server *sv, const char *text) {
  assert_int_equal(write(sv->conn_fd, text, strlen(text)), (ssize_t)strlen(text));
}

static void server_stop_(server *sv) {
  if (sv->conn_fd >= 0) close(sv->conn_fd);
  close(sv->listen_fd);
}

static int create_(int n, const char *const *keys, const char *const *vals, sp_source **out, spate_error *err) {
  sp_source_spec spec = {"socket", n, keys, vals, NULL, NULL};
  spate_error_clear(err);
  return sp_source_create(&spec, out, err);
}

/* Poll latest_offset until it reports `want` (5 s at most). */
static char *wait_offset_(sp_source *s, const char *start, const char *want) {
  spate_error err;
  for (int i = 0; i < 500; i++) {
    char *end = NULL;
    assert_int_equal(s->vt->latest_offset(s, start, &end, &err), 0);
    if (end && strcmp(end, want) == 0) return end;
    free(end);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fail_msg("socket source never reached offset %s", want);
  return NULL;
}

static void assert_str_(const sp_batch *b, int c, int64_t r, const char *want) {
  int32_t n;
  const char *p = sp_vec_str(b->cols[c], r, &n);
  assert_int_equal(n, (int)strlen(want));
  assert_memory_equal(p, want, (size_t)n);
}

static void test_lines_offsets_and_commit(void **state) {
  (void)state;
  server sv;
  server_start_(&sv);
  const char *k[] = {"host", "port"};
  const char *v[] = {"127.0.0.1", sv.port};
  sp_source *s;
  spate_error err;
  assert_int_equal(create_(2, k, v, &s, &err), 0);
  char want[64];
  snprintf(want, sizeof want, "TextSocketV2[host: 127.0.0.1, port: %s]", sv.port);
  assert_string_equal(s->description, want);
  assert_false(s->vt->replayable);
  assert_int_equal(s->vt->open(s, "/nonexistent", NULL, &err), 0);
  server_accept_(&sv);
  char *none = (char *)1;
  assert_int_equal(s->vt->latest_offset(s, NULL, &none, &err), 0);
  assert_null(none); /* nothing received yet */
  server_send_(&sv, "hello\nworld\r\npart");
  char *e0 = wait_offset_(s, NULL, "1");
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, NULL, e0, &l, &err), 0);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.items[0]->nrows, 2);
  assert_str_(l.items[0], 0, 0, "hello");
  assert_str_(l.items[0], 0, 1, "world");
  sp_batch_list_release(&l);
  s->vt->commit(s, e0);
  server_send_(&sv, "ial\n\nmore\n");
  char *e1 = wait_offset_(s, e0, "4");
  assert_int_equal(s->vt->get_batch(s, e0, e1, &l, &err), 0);
  assert_int_equal(l.items[0]->nrows, 3);
  assert_str_(l.items[0], 0, 0, "partial");
  assert_str_(l.items[0], 0, 1, "");
  assert_str_(l.items[0], 0, 2, "more");
  sp_batch_list_release(&l);
  /* Committed lines are gone; a range that was trimmed yields nothing. */
  s->vt->commit(s, e1);
  assert_int_equal(s->vt->get_batch(s, NULL, e0, &l, &err), 0);
  assert_int_equal(sp_batch_list_rows(&l), 0);
  sp_batch_list_release(&l);
  /* A final line without newline arrives at EOF. */
  server_send_(&sv, "tail");
  close(sv.conn_fd);
  sv.conn_fd = -1;
  char *e2 = wait_offset_(s, e1, "5");
  assert_int_equal(s->vt->get_batch(s, e1, e2, &l, &err), 0);
  assert_str_(l.items[0], 0, 0, "tail");
  sp_batch_list_release(&l);
  free(e0);
  free(e1);
  free(e2);
  sp_source_free(s);
  server_stop_(&sv);
}

static void test_timestamp_partitions_and_restart(void **state) {
  (void)state;
  server sv;
  server_start_(&sv);
  const char *k[] = {"HOST", "port", "includeTimestamp", "numPartitions"};
  const char *v[] = {"localhost", sv.port, "true", "2"};
  sp_source *s;
  spate_error err;
  assert_int_equal(create_(4, k, v, &s, &err), 0);
  char ddl[128];
  sp_type_to_string(s->schema, ddl, sizeof ddl);
  assert_string_equal(ddl, "struct<value:string,timestamp:timestamp>");
  int64_t before = (int64_t)time(NULL) * 1000000;
  assert_int_equal(s->vt->open(s, NULL, NULL, &err), 0);
  server_accept_(&sv);
  /* Restarted query: the recorded offset 41 becomes the base. */
  server_send_(&sv, "a\nb\nc\n");
  char *e = wait_offset_(s, "41", "44");
  sp_batch_list l = {0};
  assert_int_equal(s->vt->get_batch(s, "41", e, &l, &err), 0);
  assert_int_equal(l.n, 2); /* round robin: a, c | b */
  assert_int_equal(l.items[0]->nrows, 2);
  assert_str_(l.items[0], 0, 0, "a");
  assert_str_(l.items[0], 0, 1, "c");
  assert_str_(l.items[1], 0, 0, "b");
  int64_t ts = sp_vec_i64(l.items[0]->cols[1])[0];
  assert_true(ts >= before - 1000000 && ts <= before + 60 * 1000000LL);
  assert_int_equal(ts % 1000, 0);
  sp_batch_list_release(&l);
  free(e);
  sp_source_free(s);
  server_stop_(&sv);
}

static void test_errors(void **state) {
  (void)state;
  sp_source *s = NULL;
  spate_error err;
  const char *k1[] = {"port"};
  const char *v1[] = {"9999"};
  assert_int_equal(create_(1, k1, v1, &s, &err), SPATE_EANALYSIS);
  assert_string_equal(err.message, "Set a host to read from with option(\"host\", ...).");
  const char *k2[] = {"host"};
  const char *v2[] = {"localhost"};
  assert_int_equal(create_(1, k2, v2, &s, &err), SPATE_EANALYSIS);
  assert_string_equal(err.message, "Set a port to read from with option(\"port\", ...).");
  const char *k3[] = {"host", "port", "includeTimestamp"};
  const char *v3[] = {"localhost", "9999", "maybe"};
  assert_int_equal(create_(3, k3, v3, &s, &err), SPATE_EANALYSIS);
  assert_string_equal(err.message, "includeTimestamp must be set to either \"true\" or \"false\".");
  assert_null(s);
  /* Nothing listening: open fails with the reason. */
  server sv;
  server_start_(&sv);
  const char *port = strdup(sv.port);
  server_stop_(&sv);
  const char *k4[] = {"host", "port"};
  const char *v4[] = {"127.0.0.1", port};
  assert_int_equal(create_(2, k4, v4, &s, &err), 0);
  assert_int_equal(s->vt->open(s, NULL, NULL, &err), SPATE_EIO);
  char want[128];
  snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%s: Connection refused", port);
  assert_string_equal(err.message, want);
  sp_source_free(s);
  free((char *)port);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines_offsets_and_commit),
      cmocka_unit_test(test_timestamp_partitions_and_restart),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
