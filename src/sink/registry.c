/*
 * registry.c - maps streaming sink format names (writeStream.format(...)) to
 * their vtables, and the generic create/free/mode-name helpers of sink.h.
 * Names match case-insensitively. The table is immutable (thread-safe lookups).
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "sink/sink.h"

/* Vtables defined by the sink implementations. */
extern const sp_sink_vtab sp_console_sink_vtab;       /* console_sink.c */
extern const sp_sink_vtab sp_memory_sink_vtab;        /* memory_sink.c */
extern const sp_sink_vtab sp_json_sink_vtab;          /* file_sink.c */
extern const sp_sink_vtab sp_csv_sink_vtab;           /* file_sink.c */
extern const sp_sink_vtab sp_foreach_batch_sink_vtab; /* foreach_batch_sink.c */
extern const sp_sink_vtab sp_noop_sink_vtab;          /* noop_sink.c */
extern const sp_sink_vtab sp_kafka_sink_vtab;         /* kafka_sink.c */
extern const sp_sink_vtab sp_sqlite_sink_vtab;        /* sqlite_sink.c */
extern const sp_sink_vtab sp_foreach_sink_vtab;       /* foreach_sink.c */
extern const sp_sink_vtab sp_postgres_sink_vtab;      /* postgres_sink.c */

static const sp_sink_vtab *const sinks_[] = {
    &sp_console_sink_vtab,       &sp_csv_sink_vtab,  &sp_foreach_batch_sink_vtab, &sp_json_sink_vtab,  &sp_kafka_sink_vtab,
    &sp_memory_sink_vtab,        &sp_noop_sink_vtab, &sp_sqlite_sink_vtab,
    &sp_foreach_sink_vtab,       &sp_postgres_sink_vtab,
};

const char *sp_output_mode_name(sp_output_mode m) {
  switch (m) {
    case SP_MODE_APPEND: return "Append";
    case SP_MODE_UPDATE: return "Update";
    case SP_MODE_COMPLETE: return "Complete";
  }
  return "Unknown";
}

const sp_sink_vtab *sp_sink_lookup(const char *format) {
  if (!format) return NULL;
  for (size_t i = 0; i < sizeof sinks_ / sizeof sinks_[0]; i++)
    if (strcasecmp(sinks_[i]->name, format) == 0) return sinks_[i];
  return NULL;
}

const char *sp_sink_formats(void) { return "console, csv, foreach, foreachBatch, json, kafka, memory, noop, postgres, sqlite"; }

int sp_sink_create(const sp_sink_spec *spec, sp_sink **out, spate_error *err) {
  *out = NULL;
  const sp_sink_vtab *vt = sp_sink_lookup(spec->format);
  if (!vt)
    return spate_error_set(err, SPATE_ENOTFOUND, "Failed to find data source: %s. Available streaming sinks: %s",
                           spec->format ? spec->format : "(none)", sp_sink_formats());
  char what[96];
  snprintf(what, sizeof what, "%s sink", vt->name);
  int rc = sp_check_options(what, vt->options, spec->noptions, spec->keys, err);
  if (rc) return rc;
  sp_sink *s = calloc(1, sizeof *s);
  if (!s) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  s->vt = vt;
  s->num_output_rows = -1;
  rc = vt->create(spec, s, err);
  if (!rc && !s->description) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory");
  if (rc) {
    sp_sink_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void sp_sink_free(sp_sink *s) {
  if (!s) return;
  if (s->vt && s->vt->close) s->vt->close(s);
  free(s->description);
  free(s);
}
