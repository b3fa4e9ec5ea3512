/*
 * pg_common.c - libpq connection helpers (pg_common.h). Credentials: the password
 * (option or inside the url/conninfo) is passed to libpq only as a connection
 * parameter and is removed from every message this module produces; descriptions
 * use only host, port and database name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "source/pg_common.h"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

void sp_pg_conf_release(sp_pg_conf *c) {
  free(c->conninfo);
  free(c->user);
  if (c->password) memset(c->password, 0, strlen(c->password));
  free(c->password);
  free(c->where);
  memset(c, 0, sizeof *c);
}

int sp_pg_conf_init(sp_pg_conf *c, const char *url, const char *conninfo, const char *user, const char *password,
                    spate_error *err) {
  memset(c, 0, sizeof *c);
  if ((url != NULL) == (conninfo != NULL) || (url && !*url) || (conninfo && !*conninfo))
    return spate_error_set(err, SPATE_EINVAL, "Exactly one of the options 'url' or 'conninfo' is required for postgres");
  const char *ci = url ? url : conninfo;
  /* Spark's JDBC spelling jdbc:postgresql://... is accepted as postgresql://... */
  if (strncmp(ci, "jdbc:", 5) == 0) ci += 5;
  if (!(c->conninfo = strdup(ci))) return oom_(err);
  if (user && !(c->user = strdup(user))) return oom_(err);
  if (password && !(c->password = strdup(password))) return oom_(err);
  char *perr = NULL;
  PQconninfoOption *opts = PQconninfoParse(c->conninfo, &perr);
  if (!opts) {
    /* libpq's parse messages quote option names, not values */
    int rc = spate_error_set(err, SPATE_EINVAL, "invalid postgres %s: %s", url ? "url" : "conninfo",
                             perr ? perr : "out of memory");
    PQfreemem(perr);
    size_t n = strlen(err ? err->message : "");
    while (err && n && err->message[n - 1] == '\n') err->message[--n] = '\0';
    return rc;
  }
  const char *host = NULL, *port = NULL, *db = NULL, *pw = NULL, *u = NULL;
  for (PQconninfoOption *o = opts; o->keyword; o++) {
    if (!o->val) continue;
    if (!strcmp(o->keyword, "host")) host = o->val;
    else if (!strcmp(o->keyword, "hostaddr") && !host) host = o->val;
    else if (!strcmp(o->keyword, "port")) port = o->val;
    else if (!strcmp(o->keyword, "dbname")) db = o->val;
    else if (!strcmp(o->keyword, "password")) pw = o->val;
    else if (!strcmp(o->keyword, "user")) u = o->val;
  }
  int rc = 0;
  if (pw && *pw && !c->password && !(c->password = strdup(pw))) rc = oom_(err);
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, host && *host ? host : "localhost");
  if (port && *port) sp_buf_printf(&b, ":%s", port);
  sp_buf_printf(&b, "/%s", db && *db ? db : (c->user ? c->user : (u ? u : "")));
  PQconninfoFree(opts);
  if (sp_buf_check(&b)) rc = oom_(err);
  if (!rc) c->where = sp_buf_steal(&b);
  sp_buf_free(&b);
  return rc;
}

int sp_pg_error(spate_error *err, int code, const sp_pg_conf *c, const char *prefix, const char *msg) {
  sp_buf b;
  sp_buf_init(&b);
  const char *pw = c->password && *c->password ? c->password : NULL;
  size_t pl = pw ? strlen(pw) : 0;
  for (const char *p = msg ? msg : ""; *p;) {
    if (pw && strncmp(p, pw, pl) == 0) {
      sp_buf_puts(&b, "***");
      p += pl;
    } else {
      sp_buf_putc(&b, *p++);
    }
  }
  while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' ')) b.len--;
  sp_buf_putc(&b, '\0');
  int rc = sp_buf_check(&b) ? oom_(err)
                            : spate_error_set(err, code, "PostgreSQL[%s]: %s: %s", c->where ? c->where : "?", prefix,
                                              b.data);
  sp_buf_free(&b);
  return rc;
}

int sp_pg_connect(const sp_pg_conf *c, PGconn **out, spate_error *err) {
  *out = NULL;
  const char *keys[8], *vals[8];
  int n = 0;
  keys[n] = "dbname", vals[n++] = c->conninfo;
  if (c->user) keys[n] = "user", vals[n++] = c->user;
  if (c->password) keys[n] = "password", vals[n++] = c->password;
  keys[n] = "application_name", vals[n++] = "spate";
  keys[n] = "connect_timeout", vals[n++] = "30";
  keys[n] = NULL, vals[n] = NULL;
  PGconn *conn = PQconnectdbParams(keys, vals, 1);
  if (!conn) return oom_(err);
  if (PQstatus(conn) != CONNECTION_OK) {
    int rc = sp_pg_error(err, SPATE_EIO, c, "cannot connect", PQerrorMessage(conn));
    PQfinish(conn);
    return rc;
  }
  PGresult *r = PQexec(conn, "SET TIME ZONE 'UTC'");
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    int rc = sp_pg_error(err, SPATE_EIO, c, "cannot set the session time zone", PQerrorMessage(conn));
    PQclear(r);
    PQfinish(conn);
    return rc;
  }
  PQclear(r);
  *out = conn;
  return 0;
}
