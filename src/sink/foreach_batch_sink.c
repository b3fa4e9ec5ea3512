/*
 * foreach_batch_sink.c - the foreachBatch sink: hands each micro-batch's rows
 * (as the list of output partitions) and its batch id to a user callback on the
 * query thread. An error from the callback fails the query. All output modes.
 * A replayed batch is delivered again with the same id (at-least-once; the
 * callback may dedup on the id). The impl is the spec's callback + user pointer.
 */
#include <stdlib.h>
#include <string.h>

#include "sink/sink.h"

typedef struct fb_impl {
  int (*fn)(void *user, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err);
  void *user;
} fb_impl;

static const char *const fb_options_[] = {"checkpointLocation", NULL};

static int fb_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  if (!spec->foreach_batch)
    return spate_error_set(err, SPATE_EINVAL, "foreachBatch sink needs a function (writeStream.foreachBatch(...))");
  fb_impl *fi = calloc(1, sizeof *fi);
  if (!fi) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  s->impl = fi;
  fi->fn = spec->foreach_batch;
  fi->user = spec->foreach_batch_user;
  s->description = strdup("ForeachBatchSink");
  return s->description ? 0 : spate_error_set(err, SPATE_ENOMEM, "out of memory");
}

static int fb_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err) {
  fb_impl *fi = s->impl;
  spate_error local;
  spate_error_clear(&local);
  int rc = fi->fn(fi->user, batch_id, parts, nparts, &local);
  if (rc) {
    int code = rc < 0 ? rc : SPATE_ERUNTIME;
    if (!local.message[0]) spate_error_set(&local, code, "foreachBatch function failed with %s", spate_err_name(code));
    local.code = code;
    if (err) *err = local;
    return code;
  }
  return 0;
}

static void fb_close_(sp_sink *s) {
  free(s->impl);
  s->impl = NULL;
}

const sp_sink_vtab sp_foreach_batch_sink_vtab = {"foreachBatch", fb_options_, SP_MODES_ALL, false, fb_create_, NULL,
                                                 fb_add_batch_, fb_close_};
