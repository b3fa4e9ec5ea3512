/*
 * http_ui.c - the monitoring HTTP server of a session (spate_ui_*, libmicrohttpd;
 * endpoints documented in docs/monitoring.md):
 *   GET /                          the page (http_ui_page.c): live charts from the JSON below
 *   GET /api/queries               every query: id, runId, name, isActive, status,
 *                                  exception, plan, lastProgress
 *   GET /api/queries/<id>/progress recentProgress of the newest run with that id or runId
 *   GET /metrics                   Prometheus text format 0.0.4
 *
 * Invariants: read-only over the session (renderers in monitor.c take the
 * session's and the queries' locks); one MHD internal polling thread; binds the
 * given address only (127.0.0.1 by default); GET and HEAD only; the server is
 * stopped (MHD_stop_daemon joins its thread) before the session may be freed.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/monitor.h"
#include "runtime/runtime.h"

extern const char sp_http_ui_page[];

struct spate_ui {
  spate_session *session;
  struct MHD_Daemon *daemon;
  int port;
};

static enum MHD_Result reply_(struct MHD_Connection *c, unsigned code, const char *type, char *body, bool owned) {
  struct MHD_Response *r = MHD_create_response_from_buffer(body ? strlen(body) : 0, body ? body : (char *)"",
                                                           owned && body ? MHD_RESPMEM_MUST_FREE
                                                                         : MHD_RESPMEM_PERSISTENT);
  if (!r) {
    if (owned) free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  enum MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result text_(struct MHD_Connection *c, unsigned code, const char *msg) {
  return reply_(c, code, "text/plain; charset=utf-8", (char *)msg, false);
}

static enum MHD_Result handle_(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls) {
  (void)version;
  (void)upload_data;
  (void)con_cls;
  spate_ui *ui = cls;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) return text_(c, 405, "method not allowed\n");
  if (*upload_data_size) return text_(c, 400, "unexpected request body\n");
  if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
    return reply_(c, 200, "text/html; charset=utf-8", (char *)sp_http_ui_page, false);
  if (!strcmp(url, "/metrics")) {
    char *t = sp_monitor_prometheus(ui->session);
    if (!t) return text_(c, 500, "out of memory\n");
    return reply_(c, 200, "text/plain; version=0.0.4; charset=utf-8", t, true);
  }
  if (!strcmp(url, "/api/queries") || !strcmp(url, "/api/queries/")) {
    char *t = sp_monitor_queries_json(ui->session);
    if (!t) return text_(c, 500, "out of memory\n");
    return reply_(c, 200, "application/json", t, true);
  }
  const char *pre = "/api/queries/", *suf = "/progress";
  size_t ul = strlen(url), pl = strlen(pre), sl = strlen(suf);
  if (ul > pl + sl && !strncmp(url, pre, pl) && !strcmp(url + ul - sl, suf) && ul - pl - sl < 64) {
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)(ul - pl - sl), url + pl);
    bool found = false;
    char *t = sp_monitor_recent_progress(ui->session, id, &found);
    if (!found) return text_(c, 404, "no such query\n");
    if (!t) return text_(c, 500, "out of memory\n");
    return reply_(c, 200, "application/json", t, true);
  }
  return text_(c, 404, "not found (try /, /api/queries, /api/queries/<id>/progress, /metrics)\n");
}

spate_ui *spate_ui_start(spate_session *s, const char *host, int port, spate_error *err) {
  if (port < 0 || port > 65535) {
    spate_error_set(err, SPATE_EINVAL, "port must be between 0 and 65535, got %d", port);
    return NULL;
  }
  if (!host || !*host) host = "127.0.0.1";
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  int gai = getaddrinfo(host, ps, &hints, &res);
  if (gai || !res) {
    spate_error_set(err, SPATE_EINVAL, "cannot resolve the UI address %s: %s", host, gai_strerror(gai));
    return NULL;
  }
  struct sockaddr_storage addr;
  memset(&addr, 0, sizeof addr);
  memcpy(&addr, res->ai_addr, res->ai_addrlen < sizeof addr ? res->ai_addrlen : sizeof addr);
  int family = res->ai_family;
  freeaddrinfo(res);
  spate_ui *ui = calloc(1, sizeof *ui);
  if (!ui) {
    spate_error_set(err, SPATE_ENOMEM, "out of memory");
    return NULL;
  }
  ui->session = s;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  if (family == AF_INET6) flags |= MHD_USE_IPv6;
  ui->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle_, ui, MHD_OPTION_SOCK_ADDR,
                                (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
  if (!ui->daemon) {
    free(ui);
    spate_error_set(err, SPATE_EIO, "cannot listen on %s:%d (port in use or address not local?)", host, port);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(ui->daemon, MHD_DAEMON_INFO_BIND_PORT);
  ui->port = info ? info->port : port;
  return ui;
}

int spate_ui_port(const spate_ui *ui) { return ui ? ui->port : -1; }

void spate_ui_stop(spate_ui *ui) {
  if (!ui) return;
  MHD_stop_daemon(ui->daemon);
  free(ui);
}
