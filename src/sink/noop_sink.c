/*
 * noop_sink.c - the `noop` sink: discards every row (benchmarks measure the
 * engine without output cost). All output modes. Stateless: nothing to free.
 */
#include <stdlib.h>
#include <string.h>

#include "sink/sink.h"

static const char *const noop_options_[] = {"checkpointLocation", NULL};

static int noop_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  s->description = strdup("NoopTable");
  return s->description ? 0 : spate_error_set(err, SPATE_ENOMEM, "out of memory");
}

static int noop_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err) {
  int64_t rows = 0;
  for (int i = 0; i < nparts; i++) rows += parts[i] ? parts[i]->nrows : 0;
  s->num_output_rows = rows;
  return 0;
}

const sp_sink_vtab sp_noop_sink_vtab = {"noop", noop_options_, SP_MODES_ALL, false, noop_create_, NULL,
                                        noop_add_batch_, NULL};
