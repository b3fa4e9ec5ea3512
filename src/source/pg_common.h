/*
 * pg_common.h - PostgreSQL (libpq) helpers shared by the static `postgres` table
 * (static_postgres.c) and the `postgres` sink (sink/postgres_sink.c): connecting
 * from url/conninfo + user/password options, a credential-free description, and
 * scrubbing the password from server/libpq messages.
 */
#ifndef SPATE_SOURCE_PG_COMMON_H
#define SPATE_SOURCE_PG_COMMON_H

#include <libpq-fe.h>

#include "spate/error.h"

typedef struct sp_pg_conf {
  char *conninfo;  /* url or key=value conninfo, owned */
  char *user;      /* owned or NULL */
  char *password;  /* owned or NULL; the conninfo's own password is learnt into it too */
  char *where;     /* "host:port/dbname" (no credentials), owned */
} sp_pg_conf;

/* From option values (url or conninfo required; user/password optional). */
int sp_pg_conf_init(sp_pg_conf *c, const char *url, const char *conninfo, const char *user, const char *password,
                    spate_error *err);
void sp_pg_conf_release(sp_pg_conf *c);
/* Connect with TimeZone=UTC. On failure the message names c->where and has the
 * password removed. */
int sp_pg_connect(const sp_pg_conf *c, PGconn **out, spate_error *err);
/* Set err to "<prefix>: <msg>" with every occurrence of the password replaced by ***. */
int sp_pg_error(spate_error *err, int code, const sp_pg_conf *c, const char *prefix, const char *msg);

#endif
