/*
 * console_sink.c - the `console` sink (Spark's ConsoleWrite): prints every
 * micro-batch as
 *
 *   -------------------------------------------
 *   Batch: N
 *   -------------------------------------------
 *   <Dataset.show(numRows, truncate) of the batch's rows>
 *
 * to stdout (or the spec's console_out FILE *), flushed after each batch. The
 * rows of all partitions are shown as one table, in partition order; numRows
 * limits the whole batch. Empty batches still print the header and an empty
 * table. All output modes; no fault tolerance.
 *
 * Options: numRows (20), truncate ("true" = 20 characters, "false" = 0 = no
 * truncation, or a number = that width).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valfmt.h"
#include "sink/sink.h"

typedef struct console_impl {
  int num_rows;
  int truncate;
  FILE *out;        /* borrowed */
  char *timezone;   /* owned */
  sp_type *schema;  /* owned reference, set at open */
} console_impl;

static const char *const console_options_[] = {"numRows", "truncate", "checkpointLocation", NULL};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int console_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  int num_rows = 20, truncate = 20;
  const char *nr = NULL, *tr = NULL;
  for (int i = 0; i < spec->noptions; i++) {
    if (!strcasecmp(spec->keys[i], "numRows")) nr = spec->values[i];
    if (!strcasecmp(spec->keys[i], "truncate")) tr = spec->values[i];
  }
  if (nr) {
    char *end;
    errno = 0;
    long v = strtol(nr, &end, 10);
    if (errno || end == nr || *end || v < 0 || v > 0x7fffffff)
      return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'numRows', must be an integer", nr);
    num_rows = (int)v;
  }
  char tdesc[32] = "true";
  if (tr) {
    if (!strcasecmp(tr, "true")) {
      truncate = 20;
    } else if (!strcasecmp(tr, "false")) {
      truncate = 0;
      snprintf(tdesc, sizeof tdesc, "false");
    } else {
      char *end;
      errno = 0;
      long v = strtol(tr, &end, 10);
      if (errno || end == tr || *end || v < 0 || v > 0x7fffffff)
        return spate_error_set(err, SPATE_EINVAL,
                               "Invalid value '%s' for option 'truncate', must be true, false or a number", tr);
      truncate = (int)v;
      snprintf(tdesc, sizeof tdesc, "%d", truncate);
    }
  }
  console_impl *ci = calloc(1, sizeof *ci);
  if (!ci) return oom_(err);
  s->impl = ci;
  ci->num_rows = num_rows;
  ci->truncate = truncate;
  ci->out = spec->console_out ? (FILE *)spec->console_out : stdout;
  const char *tz = sp_conf_get(spec->conf, "spark.sql.session.timeZone");
  if (tz && !(ci->timezone = strdup(tz))) return oom_(err);
  char desc[96];
  snprintf(desc, sizeof desc, "ConsoleSink[numRows=%d, truncate=%s]", num_rows, tdesc);
  s->description = strdup(desc);
  return s->description ? 0 : oom_(err);
}

static int console_open_(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err) {
  console_impl *ci = s->impl;
  sp_type_unref(ci->schema);
  ci->schema = sp_type_ref(schema);
  return 0;
}

static int console_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts,
                              spate_error *err) {
  console_impl *ci = s->impl;
  sp_type *schema = ci->schema;
  int64_t total = 0;
  for (int i = 0; i < nparts; i++) {
    if (!parts[i]) continue;
    total += parts[i]->nrows;
    if (!schema) schema = parts[i]->schema;
  }
  if (!schema) return spate_error_set(err, SPATE_ESTATE, "console sink: no schema (open() was not called)");
  /* One table of at most numRows + 1 rows (the extra row triggers "only showing"). */
  int64_t want = (int64_t)ci->num_rows + 1;
  sp_batch *all = sp_batch_new(schema, total < want ? total : want);
  if (!all) return oom_(err);
  int rc = 0;
  for (int i = 0; i < nparts && all->nrows < want; i++) {
    const sp_batch *p = parts[i];
    if (!p || p->nrows == 0) continue;
    int64_t room = want - all->nrows;
    if (p->nrows <= room) {
      sp_batch_append(all, p);
    } else {
      int32_t *idx = malloc((size_t)room * sizeof *idx);
      if (!idx) {
        rc = oom_(err);
        break;
      }
      for (int64_t k = 0; k < room; k++) idx[k] = (int32_t)k;
      sp_batch *head = sp_batch_take(p, idx, room);
      free(idx);
      if (!head) {
        rc = oom_(err);
        break;
      }
      sp_batch_append(all, head);
      sp_batch_free(head);
    }
  }
  if (!rc && sp_batch_check(all)) rc = oom_(err);
  if (!rc) {
    sp_buf b;
    sp_buf_init(&b);
    sp_buf_printf(&b,
                  "-------------------------------------------\n"
                  "Batch: %lld\n"
                  "-------------------------------------------\n",
                  (long long)batch_id);
    sp_show_format_null(all, ci->num_rows, ci->truncate, ci->timezone, "NULL", &b); /* Spark 3.5 show() */
    if (sp_buf_check(&b)) {
      rc = oom_(err);
    } else {
      if (fwrite(b.data, 1, b.len, ci->out) != b.len || fflush(ci->out) != 0)
        rc = spate_error_set(err, SPATE_EIO, "console sink: cannot write batch %lld: %s", (long long)batch_id,
                             strerror(errno));
    }
    sp_buf_free(&b);
  }
  sp_batch_free(all);
  if (!rc) s->num_output_rows = total;
  return rc;
}

static void console_close_(sp_sink *s) {
  console_impl *ci = s->impl;
  if (!ci) return;
  free(ci->timezone);
  sp_type_unref(ci->schema);
  free(ci);
  s->impl = NULL;
}

const sp_sink_vtab sp_console_sink_vtab = {"console", console_options_, SP_MODES_ALL, false, console_create_,
                                           console_open_, console_add_batch_, console_close_};
