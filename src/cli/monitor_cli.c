/*
 * monitor_cli.c - the monitoring side of the `spate` command: logs, live status
 * lines, the --progress file, and `spate status` (a client of the HTTP endpoint
 * that `spate run --ui` serves; docs/monitoring.md).
 *
 * Output contract:
 *  - stdout belongs to console-sink tables; everything here goes to stderr, and
 *    every write is one whole line (or one redraw of the status block) in a
 *    single fwrite on the unbuffered stderr, so lines never interleave within a line;
 *  - stderr a terminal: one status line per query, redrawn in place (cursor up,
 *    clear line); log lines are printed above the block. When stdout is the same
 *    terminal and a query writes console tables, the block is reprinted below
 *    each table instead of moving over it;
 *  - stderr not a terminal: one logfmt line per batch (level info);
 *  - every message passes spate_redact_secrets.
 * All state is in sp_cli_monitor, guarded by its mutex (callbacks come from
 * query threads).
 */
#include "cli/monitor_cli.h"

#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 64

static const char *const level_names_[] = {"error", "warn", "info", "debug"};

int sp_cli_parse_log_level(const char *s) {
  for (int i = 0; i < 4; i++)
    if (!strcasecmp(s, level_names_[i])) return i;
  if (!strcasecmp(s, "warning")) return SP_LOG_WARN;
  return -1;
}

typedef struct qline {
  char run_id[40], id[40], name[128];
  bool has_progress, done, failed;
  long long batch, dur_ms, state_rows, input_rows, lag;
  double in_rps, proc_rps;
  bool has_state, has_wm, has_lag; /* lag: largest sources[].metrics.maxOffsetsBehindLatest */
  char wm[32];
  char status[160];
} qline;

struct sp_cli_monitor {
  pthread_mutex_t mu;
  FILE *progress;
  bool quiet, tty, stdout_tty, console_seen;
  int level;
  int drawn; /* status lines currently on screen above the cursor */
  qline lines[MAX_LINES];
  int nlines;
  bool failed;
};

/* ---- text helpers ---- */

typedef struct tbuf {
  char *p;
  size_t len, cap;
} tbuf;

static void tb_put_(tbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) return;
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void tb_printf_(tbuf *b, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) tb_put_(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* logfmt value: bare if simple, else quoted with \" and \\ escaped. */
static void tb_value_(tbuf *b, const char *v) {
  bool bare = *v != '\0';
  for (const char *p = v; *p; p++)
    if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\') bare = false;
  if (bare) {
    tb_put_(b, v, strlen(v));
    return;
  }
  tb_put_(b, "\"", 1);
  for (const char *p = v; *p; p++) {
    if (*p == '"' || *p == '\\') tb_put_(b, "\\", 1);
    if (*p == '\n') tb_put_(b, "\\n", 2);
    else if ((unsigned char)*p >= ' ') tb_put_(b, p, 1);
  }
  tb_put_(b, "\"", 1);
}

static void now_iso_(char out[32]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%03dZ", (int)((ts.tv_nsec / 1000000) % 1000));
}

static void write_stderr_(const char *s, size_t n) {
  if (n) fwrite(s, 1, n, stderr);
  fflush(stderr);
}

/* ---- the status block ---- */

static int term_cols_(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 100;
}

static void human_rate_(char *out, size_t n, double v) {
  if (v >= 1e6) snprintf(out, n, "%.1fM", v / 1e6);
  else if (v >= 1e3) snprintf(out, n, "%.1fk", v / 1e3);
  else snprintf(out, n, "%.0f", v);
}

static void format_line_(const qline *l, char *out, size_t cap, int cols) {
  char in[32], pr[32];
  human_rate_(in, sizeof in, l->in_rps);
  human_rate_(pr, sizeof pr, l->proc_rps);
  int n;
  const char *name = l->name[0] ? l->name : l->id;
  if (!l->has_progress) {
    n = snprintf(out, cap, "%-.24s | %s", name, l->status);
  } else {
    bool behind = l->input_rows > 0 && l->in_rps > l->proc_rps;
    n = snprintf(out, cap, "%-.24s | batch %lld | in %s rows/s %s processed %s rows/s | %lld ms", name, l->batch, in,
                 behind ? "> (BEHIND)" : "vs", pr, l->dur_ms);
    if (n > 0 && (size_t)n < cap && l->has_wm) {
      char wm[32]; /* 2026-01-01T12:00:00.000Z -> 2026-01-01 12:00:00 */
      snprintf(wm, sizeof wm, "%.19s", l->wm);
      if (wm[10] == 'T') wm[10] = ' ';
      n += snprintf(out + n, cap - (size_t)n, " | wm %s", wm);
    }
    if (n > 0 && (size_t)n < cap && l->has_state)
      n += snprintf(out + n, cap - (size_t)n, " | state %lld rows", l->state_rows);
    if (n > 0 && (size_t)n < cap && l->has_lag) n += snprintf(out + n, cap - (size_t)n, " | lag=%lld", l->lag);
    if (n > 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, " | %s", l->status);
  }
  /* Never wrap: a wrapped line would break the cursor-up redraw. */
  if (cols > 1 && strlen(out) >= (size_t)cols) out[cols - 1] = '\0';
}

/* Erase the block (cursor to its first line, clear to the end of the screen). */
static void erase_block_locked_(sp_cli_monitor *m, tbuf *b) {
  if (m->drawn > 0) tb_printf_(b, "\033[%dA\r\033[J", m->drawn);
  m->drawn = 0;
}

static void draw_block_locked_(sp_cli_monitor *m, tbuf *b) {
  int cols = term_cols_();
  for (int i = 0; i < m->nlines; i++) {
    char line[1024];
    format_line_(&m->lines[i], line, sizeof line, cols);
    tb_printf_(b, "\r\033[K%s\n", line);
  }
  m->drawn = m->nlines;
}

/* In place when allowed; `fresh`: below whatever was printed since (a console table). */
static void redraw_locked_(sp_cli_monitor *m, bool fresh) {
  if (!m->tty || m->quiet) return;
  tbuf b = {0};
  if (fresh) m->drawn = 0;
  else erase_block_locked_(m, &b);
  draw_block_locked_(m, &b);
  write_stderr_(b.p, b.len);
  free(b.p);
}

static qline *line_locked_(sp_cli_monitor *m, const char *run_id) {
  for (int i = 0; i < m->nlines; i++)
    if (!strcmp(m->lines[i].run_id, run_id)) return &m->lines[i];
  if (m->nlines == MAX_LINES) return NULL;
  qline *l = &m->lines[m->nlines++];
  memset(l, 0, sizeof *l);
  snprintf(l->run_id, sizeof l->run_id, "%s", run_id);
  return l;
}

/* ---- logging ---- */

static void log_locked_(sp_cli_monitor *m, int level, const char *msg, const char *kv) {
  int max = m ? m->level : SP_LOG_INFO;
  if (level > max) return;
  char ts[32];
  now_iso_(ts);
  tbuf b = {0};
  tb_printf_(&b, "ts=%s level=%s msg=", ts, level_names_[level]);
  tb_value_(&b, msg);
  if (kv) tb_put_(&b, kv, strlen(kv));
  tb_put_(&b, "\n", 1);
  char *safe = spate_redact_secrets(b.p ? b.p : "");
  tbuf out = {0};
  bool block = m && m->tty && !m->quiet && m->drawn > 0;
  if (block) erase_block_locked_(m, &out);
  const char *text = safe ? safe : (b.p ? b.p : "");
  tb_put_(&out, text, strlen(text));
  if (block) draw_block_locked_(m, &out);
  write_stderr_(out.p, out.len);
  free(out.p);
  free(safe);
  free(b.p);
}

void sp_cli_log(sp_cli_monitor *m, int level, const char *msg, const char *kv) {
  if (m) pthread_mutex_lock(&m->mu);
  log_locked_(m, level, msg, kv);
  if (m) pthread_mutex_unlock(&m->mu);
}

/* " key=value" appended to kv. */
static void kv_(tbuf *b, const char *key, const char *value) {
  tb_printf_(b, " %s=", key);
  tb_value_(b, value ? value : "");
}

/* ---- listener callbacks ---- */

static void on_started_(void *user, const char *id, const char *run_id, const char *name) {
  sp_cli_monitor *m = user;
  pthread_mutex_lock(&m->mu);
  qline *l = line_locked_(m, run_id);
  if (l) {
    snprintf(l->id, sizeof l->id, "%s", id);
    snprintf(l->name, sizeof l->name, "%s", name ? name : "");
    snprintf(l->status, sizeof l->status, "Initializing StreamExecution");
  }
  if (!m->quiet) {
    tbuf kv = {0};
    kv_(&kv, "query", name ? name : "");
    kv_(&kv, "id", id);
    kv_(&kv, "run_id", run_id);
    log_locked_(m, SP_LOG_INFO, "query started", kv.p);
    free(kv.p);
  }
  redraw_locked_(m, false);
  pthread_mutex_unlock(&m->mu);
}

static double num_(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void on_progress_(void *user, const char *json) {
  sp_cli_monitor *m = user;
  json_t *p = json_loads(json, 0, NULL);
  pthread_mutex_lock(&m->mu);
  if (m->progress) {
    fputs(json, m->progress);
    fputc('\n', m->progress);
    fflush(m->progress);
  }
  if (!p) {
    pthread_mutex_unlock(&m->mu);
    return;
  }
  const char *run_id = json_string_value(json_object_get(p, "runId"));
  const char *name = json_string_value(json_object_get(p, "name"));
  const char *id = json_string_value(json_object_get(p, "id"));
  bool idle = json_object_get(json_object_get(p, "durationMs"), "addBatch") == NULL;
  const char *sink = json_string_value(json_object_get(json_object_get(p, "sink"), "description"));
  bool console = sink && !strncmp(sink, "ConsoleSink", 11);
  if (console) m->console_seen = true;
  qline *l = run_id ? line_locked_(m, run_id) : NULL;
  if (l) {
    if (id) snprintf(l->id, sizeof l->id, "%s", id);
    if (name) snprintf(l->name, sizeof l->name, "%s", name);
    l->has_progress = true;
    l->batch = (long long)num_(p, "batchId");
    l->input_rows = (long long)num_(p, "numInputRows");
    l->in_rps = num_(p, "inputRowsPerSecond");
    l->proc_rps = num_(p, "processedRowsPerSecond");
    l->dur_ms = (long long)num_(p, "batchDuration");
    const char *wm = json_string_value(json_object_get(json_object_get(p, "eventTime"), "watermark"));
    l->has_wm = wm != NULL;
    snprintf(l->wm, sizeof l->wm, "%s", wm ? wm : "");
    json_t *ops = json_object_get(p, "stateOperators");
    l->has_state = json_array_size(ops) > 0;
    l->state_rows = 0;
    for (size_t i = 0; i < json_array_size(ops); i++)
      l->state_rows += (long long)num_(json_array_get(ops, i), "numRowsTotal");
    json_t *srcs = json_object_get(p, "sources");
    l->has_lag = false;
    for (size_t i = 0; i < json_array_size(srcs); i++) {
      const char *v = json_string_value(json_object_get(json_object_get(json_array_get(srcs, i), "metrics"),
                                                        "maxOffsetsBehindLatest"));
      if (!v) continue;
      long long lag = strtoll(v, NULL, 10);
      if (!l->has_lag || lag > l->lag) l->lag = lag;
      l->has_lag = true;
    }
  }
  if (!m->quiet && l && (!m->tty || m->level >= SP_LOG_DEBUG) && (!idle || m->level >= SP_LOG_DEBUG)) {
    tbuf kv = {0};
    kv_(&kv, "query", l->name);
    kv_(&kv, "id", l->id);
    tb_printf_(&kv, " batch=%lld input_rows=%lld input_rows_per_second=%.1f processed_rows_per_second=%.1f "
                    "duration_ms=%lld",
               l->batch, l->input_rows, l->in_rps, l->proc_rps, l->dur_ms);
    if (l->has_wm) kv_(&kv, "watermark", l->wm);
    if (l->has_state) tb_printf_(&kv, " state_rows=%lld", l->state_rows);
    if (l->has_lag) tb_printf_(&kv, " lag=%lld", l->lag);
    log_locked_(m, idle ? SP_LOG_DEBUG : SP_LOG_INFO, idle ? "idle" : "batch", kv.p);
    free(kv.p);
  }
  if (m->level >= SP_LOG_DEBUG) {
    tbuf kv = {0};
    kv_(&kv, "json", json);
    log_locked_(m, SP_LOG_DEBUG, "progress", kv.p);
    free(kv.p);
  }
  /* A console table was just printed on the terminal's stdout: draw below it. */
  redraw_locked_(m, console && m->stdout_tty);
  pthread_mutex_unlock(&m->mu);
  json_decref(p);
}

static void on_terminated_(void *user, const char *id, const char *run_id, const char *exception) {
  sp_cli_monitor *m = user;
  pthread_mutex_lock(&m->mu);
  qline *l = line_locked_(m, run_id);
  if (l) {
    l->done = true;
    l->failed = exception != NULL;
    snprintf(l->status, sizeof l->status, "%s", exception ? "Terminated with exception" : "Stopped");
  }
  tbuf kv = {0};
  kv_(&kv, "query", l ? l->name : "");
  kv_(&kv, "id", id);
  kv_(&kv, "run_id", run_id);
  if (exception) {
    m->failed = true;
    kv_(&kv, "exception", exception);
    log_locked_(m, SP_LOG_ERROR, "query terminated with exception", kv.p);
  } else if (!m->quiet) {
    log_locked_(m, SP_LOG_INFO, "query stopped", kv.p);
  }
  free(kv.p);
  redraw_locked_(m, false);
  pthread_mutex_unlock(&m->mu);
}

static void on_idle_(void *user, const char *id, const char *run_id, const char *timestamp) {
  sp_cli_monitor *m = user;
  tbuf kv = {0};
  kv_(&kv, "id", id);
  kv_(&kv, "run_id", run_id);
  kv_(&kv, "since", timestamp);
  sp_cli_log(m, SP_LOG_DEBUG, "query idle", kv.p);
  free(kv.p);
}

/* ---- lifecycle ---- */

sp_cli_monitor *sp_cli_monitor_new(FILE *progress, bool quiet, int log_level) {
  sp_cli_monitor *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  pthread_mutex_init(&m->mu, NULL);
  m->progress = progress;
  m->quiet = quiet;
  m->level = log_level;
  const char *term = getenv("TERM");
  m->tty = isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
  m->stdout_tty = isatty(STDOUT_FILENO);
  return m;
}

spate_listener sp_cli_monitor_listener(sp_cli_monitor *m) {
  spate_listener l = {m, on_started_, on_progress_, on_terminated_, on_idle_};
  return l;
}

void sp_cli_monitor_tick(sp_cli_monitor *m, spate_session *s) {
  if (!m->tty || m->quiet) return;
  spate_query *qs[MAX_LINES];
  int n = spate_session_active(s, qs, MAX_LINES);
  if (n > MAX_LINES) n = MAX_LINES;
  bool changed = false;
  for (int i = 0; i < n; i++) {
    char *st = spate_query_status(qs[i]);
    json_t *j = st ? json_loads(st, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "message"));
    pthread_mutex_lock(&m->mu);
    qline *l = msg ? line_locked_(m, spate_query_run_id(qs[i])) : NULL;
    if (l && !l->done && strcmp(l->status, msg) != 0) {
      snprintf(l->status, sizeof l->status, "%s", msg);
      changed = true;
    }
    pthread_mutex_unlock(&m->mu);
    json_decref(j);
    free(st);
  }
  pthread_mutex_lock(&m->mu);
  /* Over console tables the block moves only when a table was printed. */
  if (changed && !(m->console_seen && m->stdout_tty)) redraw_locked_(m, false);
  pthread_mutex_unlock(&m->mu);
}

bool sp_cli_monitor_failed(sp_cli_monitor *m) {
  pthread_mutex_lock(&m->mu);
  bool f = m->failed;
  pthread_mutex_unlock(&m->mu);
  return f;
}

void sp_cli_monitor_free(sp_cli_monitor *m) {
  if (!m) return;
  pthread_mutex_destroy(&m->mu);
  free(m);
}

/* ---- spate status ---- */

/* GET url+path over HTTP/1.0; body malloc'd into *out. Returns the HTTP status or -1. */
static int http_get_(const char *url, const char *path, char **out, char *errbuf, size_t errcap) {
  *out = NULL;
  const char *h = url;
  if (!strncmp(h, "http://", 7)) h += 7;
  else if (strstr(h, "://")) {
    snprintf(errbuf, errcap, "only http:// URLs are supported: %s", url);
    return -1;
  }
  char host[300], port[16] = "4040", base[512] = "";
  const char *slash = strchr(h, '/');
  size_t hl = slash ? (size_t)(slash - h) : strlen(h);
  if (slash) snprintf(base, sizeof base, "%s", slash);
  size_t bl = strlen(base);
  if (bl && base[bl - 1] == '/') base[bl - 1] = '\0';
  char hp[300];
  snprintf(hp, sizeof hp, "%.*s", (int)(hl < sizeof hp ? hl : sizeof hp - 1), h);
  if (hp[0] == '[') { /* [v6]:port */
    char *rb = strchr(hp, ']');
    if (!rb) {
      snprintf(errbuf, errcap, "bad URL %s", url);
      return -1;
    }
    *rb = '\0';
    snprintf(host, sizeof host, "%s", hp + 1);
    if (rb[1] == ':') snprintf(port, sizeof port, "%s", rb + 2);
  } else {
    char *c = strrchr(hp, ':');
    if (c) {
      *c = '\0';
      snprintf(port, sizeof port, "%s", c + 1);
    }
    snprintf(host, sizeof host, "%s", hp);
  }
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  int gai = getaddrinfo(host, port, &hints, &res);
  if (gai) {
    snprintf(errbuf, errcap, "cannot resolve %s: %s", host, gai_strerror(gai));
    return -1;
  }
  int fd = -1;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    snprintf(errbuf, errcap, "cannot connect to %s:%s: %s (is `spate run --ui %s` running?)", host, port,
             strerror(errno), port);
    return -1;
  }
  char req[1024];
  int rn = snprintf(req, sizeof req, "GET %s%s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", base, path, host);
  if (write(fd, req, (size_t)rn) != rn) {
    snprintf(errbuf, errcap, "cannot send the request: %s", strerror(errno));
    close(fd);
    return -1;
  }
  tbuf b = {0};
  char tmp[8192];
  ssize_t n;
  while ((n = read(fd, tmp, sizeof tmp)) > 0) tb_put_(&b, tmp, (size_t)n);
  close(fd);
  int status = -1;
  if (!b.p || sscanf(b.p, "HTTP/%*s %d", &status) != 1) {
    snprintf(errbuf, errcap, "no HTTP response from %s", url);
    free(b.p);
    return -1;
  }
  char *body = strstr(b.p, "\r\n\r\n");
  *out = strdup(body ? body + 4 : "");
  free(b.p);
  return status;
}

int sp_cli_status(int argc, char **argv) {
  const char *url = "http://127.0.0.1:4040";
  bool raw = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--url") && i + 1 < argc) url = argv[++i];
    else if (!strncmp(argv[i], "--url=", 6)) url = argv[i] + 6;
    else if (!strcmp(argv[i], "--json")) raw = true;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("Usage: spate status [--url http://HOST:PORT] [--json]\n"
             "Print the queries of a `spate run --ui PORT` process (default URL http://127.0.0.1:4040).\n");
      return 0;
    } else {
      fprintf(stderr, "spate status: unknown argument '%s' (see spate status --help)\n", argv[i]);
      return 2;
    }
  }
  char *body = NULL, err[512] = "";
  int st = http_get_(url, "/api/queries", &body, err, sizeof err);
  if (st != 200) {
    if (st > 0) fprintf(stderr, "spate status: %s/api/queries answered HTTP %d\n", url, st);
    else fprintf(stderr, "spate status: %s\n", err);
    free(body);
    return 1;
  }
  if (raw) {
    printf("%s\n", body);
    free(body);
    return 0;
  }
  json_t *arr = json_loads(body, 0, NULL);
  free(body);
  if (!json_is_array(arr)) {
    fprintf(stderr, "spate status: %s/api/queries did not return a JSON array\n", url);
    json_decref(arr);
    return 1;
  }
  printf("%-24s %-36s %-7s %8s %12s %12s %9s  %s\n", "NAME", "ID", "ACTIVE", "BATCH", "IN ROWS/S", "PROC ROWS/S",
         "DURATION", "STATUS");
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *q = json_array_get(arr, i);
    const char *name = json_string_value(json_object_get(q, "name"));
    json_t *lp = json_object_get(q, "lastProgress");
    char batch[32] = "-", in[32] = "-", pr[32] = "-", dur[32] = "-";
    if (json_is_object(lp)) {
      snprintf(batch, sizeof batch, "%lld", (long long)num_(lp, "batchId"));
      snprintf(in, sizeof in, "%.1f", num_(lp, "inputRowsPerSecond"));
      snprintf(pr, sizeof pr, "%.1f", num_(lp, "processedRowsPerSecond"));
      snprintf(dur, sizeof dur, "%lld ms", (long long)num_(lp, "batchDuration"));
    }
    printf("%-24s %-36s %-7s %8s %12s %12s %9s  %s\n", name ? name : "(unnamed)",
           json_string_value(json_object_get(q, "id")), json_is_true(json_object_get(q, "isActive")) ? "yes" : "no",
           batch, in, pr, dur, json_string_value(json_object_get(json_object_get(q, "status"), "message")));
    const char *exc = json_string_value(json_object_get(q, "exception"));
    if (exc) printf("  exception: %s\n", exc);
  }
  json_decref(arr);
  return 0;
}
