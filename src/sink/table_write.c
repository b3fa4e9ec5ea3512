/*
 * table_write.c - the write options the database table sinks (sqlite_sink.c,
 * postgres_sink.c) share: mode 'append' (default) or 'upsert', and for upsert the
 * key columns, keys 'a, b' (comma-separated, blanks trimmed). Both sinks then write
 * each batch in one transaction with its batch id (exactly once); see each file.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sink/sink.h"

void sp_table_write_opts_release(sp_table_write_opts *o) {
  for (int i = 0; i < o->nkeys; i++) free(o->keys[i]);
  free(o->keys);
  memset(o, 0, sizeof *o);
}

int sp_table_write_opts_parse(const char *sink, const char *mode, const char *keys, sp_table_write_opts *o,
                              spate_error *err) {
  memset(o, 0, sizeof *o);
  if (!mode || strcasecmp(mode, "append") == 0)
    o->upsert = false;
  else if (strcasecmp(mode, "upsert") == 0)
    o->upsert = true;
  else
    return spate_error_set(err, SPATE_EINVAL,
                           "Invalid value '%s' for option 'mode' of %s sink, must be 'append' or 'upsert'", mode, sink);
  if (o->upsert && (!keys || !*keys))
    return spate_error_set(err, SPATE_EINVAL, "%s sink: mode 'upsert' requires the option 'keys' (e.g. 'id,day')",
                           sink);
  if (!o->upsert && keys)
    return spate_error_set(err, SPATE_EINVAL, "%s sink: option 'keys' is only used with mode 'upsert'", sink);
  if (!keys) return 0;
  char *dup = strdup(keys);
  int cap = 1;
  for (const char *p = keys; *p; p++) cap += *p == ',';
  if (!dup || !(o->keys = calloc((size_t)cap, sizeof *o->keys))) {
    free(dup);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  char *save = NULL;
  int rc = 0;
  for (char *t = strtok_r(dup, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
    while (*t == ' ' || *t == '\t') t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) t[--n] = '\0';
    if (!n) continue;
    if (!(o->keys[o->nkeys++] = strdup(t))) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  free(dup);
  if (!rc && o->nkeys == 0) rc = spate_error_set(err, SPATE_EINVAL, "%s sink: option 'keys' names no column", sink);
  if (rc) sp_table_write_opts_release(o);
  return rc;
}
