/*
 * socket_source.c - the `socket` source (Spark's TextSocketMicroBatchStream):
 * a TCP client that reads UTF-8 lines from host:port on a background thread.
 * For testing only: it is not replayable.
 *
 * Offsets are Spark's LongOffset: the index of the last line received (0-based),
 * as a JSON number; a fresh stream starts at -1 (no offset). A batch covers the
 * lines (start, end]. Lines are buffered in memory from `base` (index of the first
 * buffered line) to `total` (index of the next line); commit(end) drops the lines
 * up to end.
 *
 * Restart: nothing is replayed. On the first latest_offset/get_batch call carrying
 * a recorded offset R (a restarted query), the lines received so far are numbered
 * from R + 1, so offsets keep increasing across restarts; a replayed batch whose
 * lines are gone yields no rows.
 *
 * Invariants: `mu` guards every field the reader thread touches (lines, base,
 * total, eof); the reader thread only appends. Lines end at '\n'; a trailing
 * '\r' is stripped (BufferedReader.readLine); a partial last line is delivered at
 * EOF. The thread is stopped by shutdown(2) on the socket in close().
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "source/source.h"

typedef struct sock_impl {
  char *host;
  int port;
  bool include_ts;
  int nparts;
  int fd;
  pthread_t thr;
  bool thr_started;
  pthread_mutex_t mu;
  /* buffered lines, guarded by mu */
  sp_buf chars;     /* line bytes back to back */
  int64_t *offs;    /* n + 1 start offsets into chars */
  int64_t *ts_us;   /* receive time of each line */
  int n, cap;
  int64_t base;     /* index of the first buffered line */
  bool rebased;
  bool eof;
  int read_errno;
} sock_impl;

static const char *const socket_options_[] = {"host", "port", "includeTimestamp", "numPartitions", NULL};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int64_t now_us_(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000) * 1000; /* millisecond precision, as Spark */
}

/* Append one line (caller holds mu). Returns false on OOM. */
static bool push_line_(sock_impl *si, const char *p, size_t len, int64_t ts) {
  if (len && p[len - 1] == '\r') len--;
  if (si->n + 1 >= si->cap) {
    int cap = si->cap ? si->cap * 2 : 1024;
    int64_t *o = realloc(si->offs, ((size_t)cap + 1) * sizeof *o);
    if (!o) return false;
    si->offs = o;
    int64_t *t = realloc(si->ts_us, ((size_t)cap + 1) * sizeof *t);
    if (!t) return false;
    si->ts_us = t;
    si->cap = cap;
  }
  sp_buf_append(&si->chars, p, len);
  if (sp_buf_check(&si->chars)) return false;
  si->ts_us[si->n] = ts;
  si->n++;
  si->offs[si->n] = (int64_t)si->chars.len;
  return true;
}

static void *reader_main_(void *arg) {
  sock_impl *si = arg;
  char buf[65536];
  sp_buf partial;
  sp_buf_init(&partial);
  bool ok = true;
  for (;;) {
    ssize_t r = recv(si->fd, buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    int64_t ts = now_us_();
    pthread_mutex_lock(&si->mu);
    if (r <= 0) {
      if (partial.len > 0 && ok) ok = push_line_(si, partial.data, partial.len, ts);
      si->eof = true;
      si->read_errno = r < 0 ? errno : 0;
      pthread_mutex_unlock(&si->mu);
      break;
    }
    const char *p = buf, *end = buf + r;
    while (ok && p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      if (!nl) {
        sp_buf_append(&partial, p, (size_t)(end - p));
        break;
      }
      if (partial.len > 0) {
        sp_buf_append(&partial, p, (size_t)(nl - p));
        ok = !sp_buf_check(&partial) && push_line_(si, partial.data, partial.len, ts);
        sp_buf_reset(&partial);
      } else {
        ok = push_line_(si, p, (size_t)(nl - p), ts);
      }
      p = nl + 1;
    }
    if (!ok) { /* out of memory: stop reading, keep what we have */
      si->eof = true;
      si->read_errno = ENOMEM;
      pthread_mutex_unlock(&si->mu);
      break;
    }
    pthread_mutex_unlock(&si->mu);
  }
  sp_buf_free(&partial);
  return NULL;
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

static int socket_create_(const sp_source_spec *spec, sp_source *s, spate_error *err) {
  if (spec->user_schema) /* Spark: the schema is fixed */
    return spate_error_set(err, SPATE_EANALYSIS, "The socket source does not support a user-specified schema.");
  const char *host = sp_source_spec_option(spec, "host");
  const char *port = sp_source_spec_option(spec, "port");
  const char *its = sp_source_spec_option(spec, "includeTimestamp");
  const char *np = sp_source_spec_option(spec, "numPartitions");
  if (!host) return spate_error_set(err, SPATE_EANALYSIS, "Set a host to read from with option(\"host\", ...).");
  if (!port) return spate_error_set(err, SPATE_EANALYSIS, "Set a port to read from with option(\"port\", ...).");
  bool include_ts = false;
  if (its) {
    if (!strcasecmp(its, "true"))
      include_ts = true;
    else if (strcasecmp(its, "false"))
      return spate_error_set(err, SPATE_EANALYSIS, "includeTimestamp must be set to either \"true\" or \"false\".");
  }
  int64_t p;
  if (parse_long_(port, &p) || p < 0 || p > 65535)
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'port', must be a port number", port);
  int64_t parts = 1; /* Spark: default parallelism; spate keeps line order by default */
  if (np && (parse_long_(np, &parts) || parts <= 0 || parts > 4096))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s'. The option 'numPartitions' must be positive", np);
  sock_impl *si = calloc(1, sizeof *si);
  if (!si) return oom_(err);
  s->impl = si;
  si->fd = -1;
  pthread_mutex_init(&si->mu, NULL);
  sp_buf_init(&si->chars);
  si->port = (int)p;
  si->include_ts = include_ts;
  si->nparts = (int)parts;
  if (!(si->host = strdup(host))) return oom_(err);
  si->offs = malloc(sizeof *si->offs);
  if (!si->offs) return oom_(err);
  si->offs[0] = 0;
  sp_type *st = sp_type_struct_new(include_ts ? 2 : 1);
  if (!st || sp_type_struct_set(st, 0, "value", sp_type_prim(SP_STRING), true) ||
      (include_ts && sp_type_struct_set(st, 1, "timestamp", sp_type_prim(SP_TIMESTAMP), true))) {
    sp_type_unref(st);
    return oom_(err);
  }
  s->schema = st;
  size_t dl = strlen(host) + 64;
  if (!(s->description = malloc(dl))) return oom_(err);
  snprintf(s->description, dl, "TextSocketV2[host: %s, port: %d]", host, si->port);
  return 0;
}

static int socket_open_(sp_source *s, const char *meta_dir, sp_pool *pool, spate_error *err) {
  sock_impl *si = s->impl;
  if (si->thr_started) return 0;
  char portbuf[16];
  snprintf(portbuf, sizeof portbuf, "%d", si->port);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int gr = getaddrinfo(si->host, portbuf, &hints, &res);
  if (gr != 0)
    return spate_error_set(err, SPATE_EIO, "cannot resolve %s:%d: %s", si->host, si->port, gai_strerror(gr));
  int fd = -1, e = 0;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      e = errno;
      continue;
    }
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    e = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return spate_error_set(err, SPATE_EIO, "cannot connect to %s:%d: %s", si->host, si->port, strerror(e));
  si->fd = fd;
  if (pthread_create(&si->thr, NULL, reader_main_, si) != 0) {
    close(fd);
    si->fd = -1;
    return spate_error_set(err, SPATE_ERUNTIME, "cannot start the socket reader thread");
  }
  si->thr_started = true;
  return 0;
}

/* Number the buffered lines from `last + 1` (first call with a recorded offset). */
static void rebase_(sock_impl *si, int64_t last) {
  if (si->rebased) return;
  si->rebased = true;
  si->base = last + 1;
}

static int parse_offset_(const char *json, int64_t *out, spate_error *err) {
  if (parse_long_(json, out))
    return spate_error_set(err, SPATE_ECHECKPOINT, "invalid socket source offset '%s' (expected a number)", json);
  return 0;
}

static int socket_latest_offset_(sp_source *s, const char *start, char **end, spate_error *err) {
  sock_impl *si = s->impl;
  *end = NULL;
  int64_t st = -1;
  int rc;
  if (start && (rc = parse_offset_(start, &st, err))) return rc;
  pthread_mutex_lock(&si->mu);
  if (start) rebase_(si, st);
  si->rebased = true;
  int64_t last = si->base + si->n - 1;
  pthread_mutex_unlock(&si->mu);
  if (!start && last < 0) return 0;
  if (start && last < st) last = st;
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)last);
  *end = strdup(buf);
  return *end ? 0 : oom_(err);
}

static int socket_get_batch_(sp_source *s, const char *start, const char *end, sp_batch_list *out, spate_error *err) {
  sock_impl *si = s->impl;
  int64_t a = -1, z = -1;
  if (start && parse_offset_(start, &a, err)) return SPATE_ECHECKPOINT;
  if (parse_offset_(end, &z, err)) return SPATE_ECHECKPOINT;
  sp_batch **parts = calloc((size_t)si->nparts, sizeof *parts);
  if (!parts) return oom_(err);
  int rc = 0;
  for (int p = 0; p < si->nparts && !rc; p++)
    if (!(parts[p] = sp_batch_new(s->schema, 0))) rc = oom_(err);
  if (!rc) {
    pthread_mutex_lock(&si->mu);
    rebase_(si, z); /* a replay as the first call after a restart: its lines are gone */
    int64_t lo = a + 1 > si->base ? a + 1 : si->base;
    int64_t hi = z + 1 < si->base + si->n ? z + 1 : si->base + si->n;
    for (int64_t k = lo; k < hi; k++) {
      int i = (int)(k - si->base);
      sp_batch *b = parts[(k - lo) % si->nparts];
      int64_t o = si->offs[i];
      const char *text = si->chars.data ? si->chars.data + o : "";
      sp_vec_append_str(b->cols[0], text, (int32_t)(si->offs[i + 1] - o));
      if (si->include_ts) sp_vec_append_i64(b->cols[1], si->ts_us[i]);
      b->nrows++;
    }
    pthread_mutex_unlock(&si->mu);
    for (int p = 0; p < si->nparts && !rc; p++)
      if (sp_batch_check(parts[p])) rc = oom_(err);
  }
  for (int p = 0; p < si->nparts; p++) {
    if (!rc) {
      sp_batch *b = parts[p];
      parts[p] = NULL;
      if (sp_batch_list_push(out, b)) rc = oom_(err);
    }
    sp_batch_free(parts[p]);
  }
  free(parts);
  return rc;
}

static void socket_commit_(sp_source *s, const char *end) {
  sock_impl *si = s->impl;
  int64_t z;
  if (parse_long_(end, &z)) return;
  pthread_mutex_lock(&si->mu);
  int64_t drop = z + 1 - si->base;
  if (drop > si->n) drop = si->n;
  if (drop > 0) {
    int k = (int)drop;
    int64_t shift = si->offs[k];
    if (si->chars.data) memmove(si->chars.data, si->chars.data + shift, si->chars.len - (size_t)shift);
    si->chars.len -= (size_t)shift;
    for (int i = k; i <= si->n; i++) si->offs[i - k] = si->offs[i] - shift;
    memmove(si->ts_us, si->ts_us + k, (size_t)(si->n - k) * sizeof *si->ts_us);
    si->n -= k;
    si->base += k;
  }
  pthread_mutex_unlock(&si->mu);
}

static void socket_close_(sp_source *s) {
  sock_impl *si = s->impl;
  if (!si) return;
  if (si->fd >= 0) shutdown(si->fd, SHUT_RDWR);
  if (si->thr_started) pthread_join(si->thr, NULL);
  if (si->fd >= 0) close(si->fd);
  pthread_mutex_destroy(&si->mu);
  sp_buf_free(&si->chars);
  free(si->offs);
  free(si->ts_us);
  free(si->host);
  free(si);
  s->impl = NULL;
}

const sp_source_vtab sp_socket_source_vtab = {
    "socket", socket_options_, false, socket_create_, socket_open_, NULL, socket_latest_offset_,
    socket_get_batch_, socket_commit_, socket_close_, NULL, NULL};
