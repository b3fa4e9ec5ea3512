/*
 * conf.h - session configuration: Spark conf names ("spark.sql.shuffle.partitions")
 * mapped to string values, with Spark's defaults for the ones spate reads.
 * A sp_conf is owned by a session; queries take a frozen copy at start
 * (sp_conf_copy), so a running query never sees later SETs. Not thread-safe.
 */
#ifndef SPATE_RUNTIME_CONF_H
#define SPATE_RUNTIME_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "spate/error.h"

typedef struct sp_conf {
  int n, cap;
  char **keys;   /* owned */
  char **values; /* owned */
} sp_conf;

void sp_conf_init(sp_conf *c);
void sp_conf_release(sp_conf *c);
int sp_conf_copy(sp_conf *dst, const sp_conf *src);
/* Set (replace) key = value; 0 or SPATE_ENOMEM. */
int sp_conf_set(sp_conf *c, const char *key, const char *value);
/* Value of key, else Spark's default for it, else NULL. Borrowed pointer. */
const char *sp_conf_get(const sp_conf *c, const char *key);
/* Typed getters with validation: a malformed value is SPATE_EINVAL naming the key. */
int sp_conf_get_int(const sp_conf *c, const char *key, int64_t *out, spate_error *err);
int sp_conf_get_bool(const sp_conf *c, const char *key, bool *out, spate_error *err);
/* Duration confs ("10ms", "60s", "10000ms", "1 minute", bare number = ms) in ms. */
int sp_conf_get_ms(const sp_conf *c, const char *key, int64_t *out, spate_error *err);

/* Default value of a known conf, or NULL. */
const char *sp_conf_default(const char *key);

#endif
