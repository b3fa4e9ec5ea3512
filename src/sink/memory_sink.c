/*
 * memory_sink.c - the `memory` sink (Spark's MemorySink): stores each batch's
 * rows in the session's table registry under the query name, queryable while
 * the query runs. Append/Update append rows; Complete replaces the table; a
 * batch id <= the last stored one is ignored (idempotent replay). The table is
 * reset (empty) when the query starts, as Spark creates a new MemorySink per run.
 */
#include <stdlib.h>
#include <string.h>

#include "sink/memory_registry.h"
#include "sink/sink.h"

typedef struct memory_impl {
  sp_memory_registry *reg; /* borrowed (session-owned) */
  char *name;              /* owned */
  sp_type *schema;         /* owned reference, set at open */
  sp_output_mode mode;
} memory_impl;

static const char *const memory_options_[] = {"checkpointLocation", NULL};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int memory_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  if (!spec->query_name || !*spec->query_name)
    return spate_error_set(err, SPATE_EANALYSIS, "queryName must be specified for memory sink");
  if (!spec->memory_registry)
    return spate_error_set(err, SPATE_EINVAL, "memory sink: no session table registry to publish into");
  memory_impl *mi = calloc(1, sizeof *mi);
  if (!mi) return oom_(err);
  s->impl = mi;
  mi->reg = spec->memory_registry;
  if (!(mi->name = strdup(spec->query_name))) return oom_(err);
  s->description = strdup("MemorySink");
  return s->description ? 0 : oom_(err);
}

static int memory_open_(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err) {
  memory_impl *mi = s->impl;
  sp_type_unref(mi->schema);
  mi->schema = sp_type_ref(schema);
  mi->mode = mode;
  if (sp_memory_registry_reset(mi->reg, mi->name, schema)) return oom_(err);
  return 0;
}

static int memory_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts,
                             spate_error *err) {
  memory_impl *mi = s->impl;
  int64_t rows = 0;
  int rc = sp_memory_registry_write(mi->reg, mi->name, mi->schema, batch_id, parts, nparts,
                                    mi->mode == SP_MODE_COMPLETE, &rows);
  if (rc == SPATE_ENOMEM) return oom_(err);
  if (rc) return spate_error_set(err, rc, "memory sink: cannot store batch %lld in table '%s'", (long long)batch_id,
                                 mi->name);
  s->num_output_rows = rows;
  return 0;
}

static void memory_close_(sp_sink *s) {
  memory_impl *mi = s->impl;
  if (!mi) return;
  free(mi->name);
  sp_type_unref(mi->schema);
  free(mi);
  s->impl = NULL;
}

const sp_sink_vtab sp_memory_sink_vtab = {"memory", memory_options_, SP_MODES_ALL, false, memory_create_,
                                          memory_open_, memory_add_batch_, memory_close_};
