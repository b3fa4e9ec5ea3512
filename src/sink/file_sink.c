/*
 * file_sink.c - the file sink (Spark's FileStreamSink) for the `json` and `csv`
 * formats, exactly-once through the `<path>/_spark_metadata` log.
 *
 * add_batch(N): if N <= the latest batch in the log, the batch was committed
 * before a crash/restart and is skipped. Otherwise every non-empty partition p
 * is encoded and written as `part-<p, 5 digits>-<uuid>.c000.<ext>` (temp file,
 * fsync, rename; tasks on the session pool), and then log entry N is created
 * atomically with one line per file:
 *   {"path":"file:///abs/part-...","size":S,"isDir":false,"modificationTime":M,
 *    "blockReplication":1,"blockSize":33554432,"action":"add"}
 * (an empty batch writes an empty entry). The log entry is the commit point:
 * files of a failed attempt are orphans that readers of the log never see.
 *
 * Invariants: data files are never overwritten (fresh UUID per file); the log is
 * append-only; Append is the only output mode; the output directory is never
 * inside the checkpoint directory or vice versa.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "checkpoint/checkpoint.h"
#include "common/crash.h"
#include "format/format.h"
#include "runtime/pool.h"
#include "sink/sink.h"

typedef struct file_sink_impl {
  bool csv;
  char *path_opt;     /* as given */
  char *out_dir;      /* absolute, normalised */
  sp_format_opts fopts;
  char *ts_format, *date_format, *timezone, *null_value; /* owned strings fopts points to */
  int compact_interval;
  sp_pool *pool;      /* borrowed, may be NULL */
  sp_meta_log log;
  bool log_open;
} file_sink_impl;

static const char *const json_sink_options_[] = {
    "path", "checkpointLocation", "timestampFormat", "dateFormat", "timeZone", "ignoreNullFields", "compression",
    NULL};
static const char *const csv_sink_options_[] = {
    "path",   "checkpointLocation", "header",     "sep",        "delimiter",   "quote",
    "escape", "nullValue",          "timestampFormat", "dateFormat", "timeZone", "compression",
    NULL};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static const char *opt_(const sp_sink_spec *spec, const char *key) {
  const char *v = NULL;
  for (int i = 0; i < spec->noptions; i++)
    if (spec->keys[i] && strcasecmp(spec->keys[i], key) == 0) v = spec->values[i];
  return v;
}

static int bool_opt_(const sp_sink_spec *spec, const char *name, bool def, bool *out, spate_error *err) {
  const char *v = opt_(spec, name);
  *out = def;
  if (!v) return 0;
  if (!strcasecmp(v, "true"))
    *out = true;
  else if (!strcasecmp(v, "false"))
    *out = false;
  else
    return spate_error_set(err, SPATE_EINVAL, "%s flag can be true or false", name);
  return 0;
}

static int char_opt_(const sp_sink_spec *spec, const char *name, char def, char *out, spate_error *err) {
  const char *v = opt_(spec, name);
  *out = def;
  if (!v) return 0;
  if (!strcmp(v, "\\t")) {
    *out = '\t';
    return 0;
  }
  if (!*v && strcasecmp(name, "sep") && strcasecmp(name, "delimiter")) {
    *out = '\0';
    return 0;
  }
  if (strlen(v) != 1)
    return spate_error_set(err, SPATE_EUNSUPPORTED, "Option '%s' must be a single character, got '%s'", name, v);
  *out = v[0];
  return 0;
}

static int dup_opt_(const sp_sink_spec *spec, const char *name, char **out, spate_error *err) {
  const char *v = opt_(spec, name);
  *out = NULL;
  if (v && !(*out = strdup(v))) return oom_(err);
  return 0;
}

/* a == b or a is below b (both absolute, normalised). */
static bool path_within_(const char *a, const char *b) {
  size_t n = strlen(b);
  if (strcmp(b, "/") == 0) return true;
  return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static int file_sink_create_(const sp_sink_spec *spec, sp_sink *s, bool csv, spate_error *err) {
  const char *path = opt_(spec, "path");
  if (!path || !*path) return spate_error_set(err, SPATE_EINVAL, "'path' is not specified");
  file_sink_impl *fi = calloc(1, sizeof *fi);
  if (!fi) return oom_(err);
  s->impl = fi;
  fi->csv = csv;
  fi->pool = spec->pool;
  if (!(fi->path_opt = strdup(path)) || !(fi->out_dir = sp_path_absolute(path))) return oom_(err);
  const char *cp = spec->checkpoint ? spec->checkpoint : opt_(spec, "checkpointLocation");
  if (cp && *cp) {
    char *acp = sp_path_absolute(cp);
    if (!acp) return oom_(err);
    bool inside = path_within_(fi->out_dir, acp), contains = path_within_(acp, fi->out_dir);
    free(acp);
    if (inside || contains)
      return spate_error_set(err, SPATE_EANALYSIS,
                             "The output path '%s' and the checkpoint location '%s' must not be inside each other",
                             path, cp);
  }
  int64_t ci = 10;
  int rc;
  if (sp_conf_get(spec->conf, "spark.sql.streaming.fileSink.log.compactInterval") &&
      (rc = sp_conf_get_int(spec->conf, "spark.sql.streaming.fileSink.log.compactInterval", &ci, err)))
    return rc;
  if (ci <= 0 || ci > 0x7fffffff)
    return spate_error_set(err, SPATE_EINVAL, "spark.sql.streaming.fileSink.log.compactInterval must be positive");
  fi->compact_interval = (int)ci;
  sp_format_opts_default(&fi->fopts);
  if ((rc = dup_opt_(spec, "timestampFormat", &fi->ts_format, err))) return rc;
  if ((rc = dup_opt_(spec, "dateFormat", &fi->date_format, err))) return rc;
  if ((rc = dup_opt_(spec, "timeZone", &fi->timezone, err))) return rc;
  if (!fi->timezone) {
    const char *tz = sp_conf_get(spec->conf, "spark.sql.session.timeZone");
    if (tz && !(fi->timezone = strdup(tz))) return oom_(err);
  }
  if (fi->ts_format) fi->fopts.timestamp_format = fi->ts_format;
  if (fi->date_format) fi->fopts.date_format = fi->date_format;
  if (fi->timezone) fi->fopts.timezone = fi->timezone;
  const char *comp = opt_(spec, "compression");
  if (comp && strcasecmp(comp, "none") && strcasecmp(comp, "uncompressed"))
    return spate_error_set(err, SPATE_EUNSUPPORTED, "compression '%s' is not supported by spate's %s sink", comp,
                           csv ? "csv" : "json");
  if (csv) {
    char sep;
    if ((rc = char_opt_(spec, "delimiter", ',', &sep, err))) return rc;
    if (opt_(spec, "sep") && (rc = char_opt_(spec, "sep", ',', &sep, err))) return rc;
    fi->fopts.sep = sep;
    if ((rc = char_opt_(spec, "quote", '"', &fi->fopts.quote, err))) return rc;
    if ((rc = char_opt_(spec, "escape", '\\', &fi->fopts.escape, err))) return rc;
    if ((rc = bool_opt_(spec, "header", false, &fi->fopts.header, err))) return rc;
    if ((rc = dup_opt_(spec, "nullValue", &fi->null_value, err))) return rc;
    if (fi->null_value) fi->fopts.null_value = fi->null_value;
  } else {
    if ((rc = bool_opt_(spec, "ignoreNullFields", true, &fi->fopts.ignore_null_fields, err))) return rc;
  }
  size_t dl = strlen(path) + 16;
  if (!(s->description = malloc(dl))) return oom_(err);
  snprintf(s->description, dl, "FileSink[%s]", path);
  return 0;
}

static int json_sink_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  return file_sink_create_(spec, s, false, err);
}
static int csv_sink_create_(const sp_sink_spec *spec, sp_sink *s, spate_error *err) {
  return file_sink_create_(spec, s, true, err);
}

static int file_sink_open_(sp_sink *s, sp_type *schema, sp_output_mode mode, spate_error *err) {
  file_sink_impl *fi = s->impl;
  if (mode != SP_MODE_APPEND)
    return spate_error_set(err, SPATE_EANALYSIS, "Data source %s does not support %s output mode",
                           fi->csv ? "csv" : "json", sp_output_mode_name(mode));
  int rc = sp_fs_mkdirs(fi->out_dir, err);
  if (rc) return rc;
  size_t n = strlen(fi->out_dir) + 32;
  char *dir = malloc(n);
  if (!dir) return oom_(err);
  snprintf(dir, n, "%s/_spark_metadata", fi->out_dir);
  if (fi->log_open) {
    sp_meta_log_release(&fi->log);
    fi->log_open = false;
  }
  rc = sp_meta_log_init(&fi->log, dir, fi->compact_interval, err);
  free(dir);
  if (!rc) fi->log_open = true;
  /* A damaged log must stop the query before any batch: appending to it would make
   * earlier output unreadable or let the replay skip decision trust a torn entry. */
  if (!rc && (rc = sp_meta_log_check(&fi->log, err)))
    spate_error_prefix(err, "file sink %s: cannot use its _spark_metadata log", fi->out_dir);
  return rc;
}

typedef struct write_ctx {
  const file_sink_impl *fi;
  const sp_batch *const *parts;
  int *idx;          /* partition index of task i */
  char **lines;      /* out: log line of task i */
} write_ctx;

static int write_task_(void *vctx, int i, spate_error *err) {
  write_ctx *c = vctx;
  const file_sink_impl *fi = c->fi;
  int p = c->idx[i];
  const sp_batch *b = c->parts[p];
  sp_buf data;
  sp_buf_init(&data);
  int rc = fi->csv ? sp_csv_encode_batch(b, &fi->fopts, true, &data) : sp_json_encode_batch(b, &fi->fopts, &data);
  if (!rc && sp_buf_check(&data)) rc = SPATE_ENOMEM;
  if (rc) {
    sp_buf_free(&data);
    return rc == SPATE_ENOMEM ? oom_(err) : spate_error_set(err, rc, "cannot encode partition %d as %s", p,
                                                            fi->csv ? "CSV" : "JSON");
  }
  char uuid[37];
  sp_uuid4(uuid);
  size_t n = strlen(fi->out_dir) + 96;
  char *path = malloc(n);
  if (!path) {
    sp_buf_free(&data);
    return oom_(err);
  }
  snprintf(path, n, "%s/part-%05d-%s.c000.%s", fi->out_dir, p, uuid, fi->csv ? "csv" : "json");
  rc = sp_fs_write_atomic_tagged(path, data.data ? data.data : "", data.len, false, "sink.data", err);
  sp_buf_free(&data);
  struct stat st;
  if (!rc && stat(path, &st) != 0) rc = spate_error_set(err, SPATE_EIO, "cannot stat %s: %s", path, strerror(errno));
  if (!rc) {
    chmod(path, 0644); /* data files are for readers; sp_fs_write_atomic creates 0600 */
    char *uri = sp_path_to_uri(path);
    sp_buf line;
    sp_buf_init(&line);
    sp_buf_puts(&line, "{\"path\":");
    if (uri) sp_json_put_string(&line, uri);
    sp_buf_printf(&line,
                  ",\"size\":%lld,\"isDir\":false,\"modificationTime\":%lld,\"blockReplication\":1,"
                  "\"blockSize\":33554432,\"action\":\"add\"}",
                  (long long)st.st_size, (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    free(uri);
    if (!uri || sp_buf_check(&line)) {
      sp_buf_free(&line);
      rc = oom_(err);
    } else {
      c->lines[i] = sp_buf_steal(&line);
    }
  }
  free(path);
  return rc;
}

static int file_sink_add_batch_(sp_sink *s, int64_t batch_id, const sp_batch *const *parts, int nparts,
                                spate_error *err) {
  file_sink_impl *fi = s->impl;
  if (!fi->log_open) return spate_error_set(err, SPATE_ESTATE, "file sink used before open()");
  int64_t latest = -1;
  int rc = sp_meta_log_latest(&fi->log, &latest, err);
  if (rc) return rc;
  if (batch_id <= latest) { /* Skipping already committed batch */
    s->num_output_rows = 0;
    return 0;
  }
  int *idx = malloc(((size_t)nparts + 1) * sizeof *idx);
  char **lines = calloc((size_t)nparts + 1, sizeof *lines);
  if (!idx || !lines) {
    free(idx);
    free(lines);
    return oom_(err);
  }
  int ntasks = 0;
  int64_t rows = 0;
  for (int p = 0; p < nparts; p++) {
    if (!parts[p] || parts[p]->nrows == 0) continue;
    idx[ntasks++] = p;
    rows += parts[p]->nrows;
  }
  write_ctx ctx = {fi, parts, idx, lines};
  rc = sp_pool_run(fi->pool, ntasks, write_task_, &ctx, err);
  if (!rc) {
    SP_CRASH_POINT("sink.files.synced"); /* data files durable, log entry N not written */
    rc = sp_meta_log_add(&fi->log, batch_id, lines, ntasks, err);
    if (!rc) SP_CRASH_POINT("sink.log.written"); /* log entry N durable, commits/N not written */
    if (rc == SPATE_EEXIST)
      spate_error_set(err, SPATE_EEXIST, "Race while writing batch %lld to %s/_spark_metadata", (long long)batch_id,
                      fi->out_dir);
  }
  for (int i = 0; i < ntasks; i++) free(lines[i]);
  free(lines);
  free(idx);
  if (!rc) s->num_output_rows = rows;
  return rc;
}

static void file_sink_close_(sp_sink *s) {
  file_sink_impl *fi = s->impl;
  if (!fi) return;
  if (fi->log_open) sp_meta_log_release(&fi->log);
  free(fi->path_opt);
  free(fi->out_dir);
  free(fi->ts_format);
  free(fi->date_format);
  free(fi->timezone);
  free(fi->null_value);
  free(fi);
  s->impl = NULL;
}

const sp_sink_vtab sp_json_sink_vtab = {"json", json_sink_options_, 1u << SP_MODE_APPEND, true, json_sink_create_,
                                        file_sink_open_, file_sink_add_batch_, file_sink_close_};
const sp_sink_vtab sp_csv_sink_vtab = {"csv", csv_sink_options_, 1u << SP_MODE_APPEND, true, csv_sink_create_,
                                       file_sink_open_, file_sink_add_batch_, file_sink_close_};
