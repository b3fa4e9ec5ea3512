/*
 * registry.c - maps streaming source format names (readStream.format(...)) to
 * their vtables. Names match case-insensitively, as Spark's DataSource lookup.
 * The table is immutable (const), so lookups are thread-safe.
 */
#include <stddef.h>
#include <strings.h>

#include "source/source.h"

/* Vtables defined by the source implementations (one per format). */
extern const sp_source_vtab sp_json_source_vtab;   /* file_source.c */
extern const sp_source_vtab sp_csv_source_vtab;    /* file_source.c */
extern const sp_source_vtab sp_kafka_source_vtab;  /* kafka_source.c */
extern const sp_source_vtab sp_text_source_vtab;   /* file_source.c */
extern const sp_source_vtab sp_socket_source_vtab; /* socket_source.c */
extern const sp_source_vtab sp_rate_source_vtab;   /* rate_source.c */
extern const sp_source_vtab sp_rate_micro_batch_source_vtab; /* rate_source.c */

static const sp_source_vtab *const sources_[] = {
    &sp_csv_source_vtab,  &sp_json_source_vtab, &sp_kafka_source_vtab, &sp_rate_source_vtab, &sp_rate_micro_batch_source_vtab,
    &sp_socket_source_vtab, &sp_text_source_vtab,
};

const sp_source_vtab *sp_source_lookup(const char *format) {
  if (!format) return NULL;
  for (size_t i = 0; i < sizeof sources_ / sizeof sources_[0]; i++)
    if (strcasecmp(sources_[i]->name, format) == 0) return sources_[i];
  return NULL;
}

const char *sp_source_formats(void) { return "csv, json, kafka, rate, rate-micro-batch, socket, text"; }
