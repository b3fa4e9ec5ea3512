/*
 * memory_registry.h - the session-level registry of memory-sink tables
 * (Spark's MemorySink results, queryable by queryName). A table is a schema plus
 * the rows the sink has stored and the id of the last batch it stored.
 *
 * Thread-safety: every function takes the registry's mutex, so the query thread
 * may write while another thread takes snapshots. Names match case-insensitively
 * (Spark's temp views).
 */
#ifndef SPATE_SINK_MEMORY_REGISTRY_H
#define SPATE_SINK_MEMORY_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/vec.h"

typedef struct sp_memory_registry sp_memory_registry;

/* New empty registry; NULL on OOM. Owned by the session (sp_memory_registry_free). */
sp_memory_registry *sp_memory_registry_new(void);
/* Frees every table. NULL-safe. No sink may use the registry afterwards. */
void sp_memory_registry_free(sp_memory_registry *r);

/* Deep copy of table `name` into *copy (caller frees with sp_batch_free).
 * Returns 0, SPATE_ENOTFOUND (no such table) or SPATE_ENOMEM. */
int sp_memory_registry_snapshot(sp_memory_registry *r, const char *name, sp_batch **copy);

/* Create or replace table `name` as empty with `schema` (a new reference is taken)
 * and no stored batch (last id -1); called when a memory-sink query starts.
 * 0 or SPATE_ENOMEM. */
int sp_memory_registry_reset(sp_memory_registry *r, const char *name, sp_type *schema);

/* Store batch `batch_id`: ignored when batch_id <= the last stored id (replay);
 * otherwise rows of parts[0..n) (NULL entries skipped) are appended, or, with
 * `complete`, replace the table. *rows gets the number of rows stored (0 when
 * skipped). A missing table is created with the parts' schema (or `schema`).
 * 0 or SPATE_ENOMEM (Complete: table unchanged; Append: the table is left
 * failed and every later snapshot reports SPATE_ENOMEM). */
int sp_memory_registry_write(sp_memory_registry *r, const char *name, sp_type *schema, int64_t batch_id,
                             const sp_batch *const *parts, int n, bool complete, int64_t *rows);

/* Last stored batch id of `name` (-1 if none or no such table). */
int64_t sp_memory_registry_last_batch(sp_memory_registry *r, const char *name);

#endif
