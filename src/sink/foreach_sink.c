/*
 * foreach_sink.c - the `foreach` sink: Spark's ForeachWriter for the C API
 * (spate_writer_foreach, include/spate/spate.h; spark-semantics.md §2.5).
 *
 * For each micro-batch (epoch id = batch id) and each output partition p in order
 * 0..nparts-1, on the query thread: export the partition once as an Arrow struct
 * array (an empty one for an absent partition), call open(p, epoch); if it returned
 * true call process(schema, rows, i) for every row i; then call close(error) and
 * release the export. All output modes.
 *
 * Invariants:
 *  - close is called exactly once for every open call, with NULL after success (or
 *    when open returned false) and with the error message when process failed; it is
 *    never called when open was not (an export failing before open fails the batch
 *    without any callback).
 *  - the Arrow structs handed to process are owned by this sink, borrowed by the
 *    callee, the same for every row of a partition, and released after close returns.
 *  - a failing process or close stops the batch (later partitions are not opened) and
 *    fails the query; a replayed batch is delivered again with the same epoch id
 *    (at-least-once; the writer deduplicates on it).
 */
#include <stdlib.h>
#include <string.h>

#include "common/arrow_export.h"
#include "sink/sink.h"
#include "spate/spate.h"

typedef struct fe_impl {
  spate_foreach_writer fw; /* copy of the caller's callbacks */
  void *user;
  sp_type *schema;         /* output schema (from open), for absent partitions */
} fe_impl;

static const char *const fe_options_[] = {"checkpointLocation", NULL};

static int fe_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  if (!spec->foreach_writer || !spec->foreach_writer->process)
    return spate_error_set(err, SPATE_EINVAL,
                           "foreach sink needs a ForeachWriter with a process callback (writeStream.foreach(...), "
                           "spate_writer_foreach)");
  fe_impl *fi = calloc(1, sizeof *fi);
  if (!fi) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  s->impl = fi;
  fi->fw = *spec->foreach_writer;
  fi->user = spec->foreach_writer_user;
  s->description = strdup("ForeachSink");
  return s->description ? 0 : spate_error_set(err, SPATE_ENOMEM, "out of memory");
}

static int fe_open_(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err) {
  (void)mode;
  (void)err;
  fe_impl *fi = s->impl;
  sp_type_unref(fi->schema);
  fi->schema = sp_type_ref(schema);
  return 0;
}

/* One partition: export, open, process*, close. *rows counts processed rows. */
static int fe_partition_(fe_impl *fi, int64_t batch_id, int p, const sp_batch *part, int64_t *rows,
                         spate_error *err) {
  sp_batch *empty = NULL;
  if (!part) {
    if (!fi->schema) return 0;
    if (!(empty = sp_batch_new(fi->schema, 0))) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
    part = empty;
  }
  struct ArrowSchema as;
  struct ArrowArray aa;
  int rc = sp_arrow_export_batch(part, &as, &aa);
  sp_batch_free(empty);
  if (rc)
    return spate_error_set(err, rc, "foreach sink: cannot export partition %d of batch %lld (%s)", p,
                           (long long)batch_id, spate_err_name(rc));
  bool opened = fi->fw.open ? fi->fw.open(fi->user, p, batch_id) : true;
  rc = 0;
  if (opened) {
    for (int64_t i = 0; i < aa.length; i++) {
      int prc = fi->fw.process(fi->user, &as, &aa, i);
      if (prc) {
        rc = spate_error_set(err, SPATE_ERUNTIME,
                             "foreach writer process failed with code %d at row %lld of partition %d (epoch %lld)",
                             prc, (long long)i, p, (long long)batch_id);
        break;
      }
      (*rows)++;
    }
  }
  if (fi->fw.close) {
    /* err may be NULL: keep our own copy of the message for close */
    const char *msg = NULL;
    char buf[sizeof(((spate_error *)0)->message)];
    if (rc) {
      if (err) {
        msg = err->message;
      } else {
        strcpy(buf, "foreach writer process failed");
        msg = buf;
      }
    }
    int crc = fi->fw.close(fi->user, msg);
    if (crc && !rc)
      rc = spate_error_set(err, SPATE_ERUNTIME, "foreach writer close failed with code %d for partition %d (epoch %lld)",
                           crc, p, (long long)batch_id);
  }
  as.release(&as);
  aa.release(&aa);
  return rc;
}

static int fe_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts, spate_error *err) {
  fe_impl *fi = s->impl;
  int64_t rows = 0;
  s->num_output_rows = 0;
  for (int p = 0; p < nparts; p++) {
    int rc = fe_partition_(fi, batch_id, p, parts[p], &rows, err);
    if (rc) return rc;
  }
  s->num_output_rows = rows;
  return 0;
}

static void fe_close_(sp_sink *s) {
  fe_impl *fi = s->impl;
  if (!fi) return;
  sp_type_unref(fi->schema);
  free(fi);
  s->impl = NULL;
}

const sp_sink_vtab sp_foreach_sink_vtab = {"foreach", fe_options_, SP_MODES_ALL, false, fe_create_, fe_open_,
                                           fe_add_batch_, fe_close_};
