/*
 * checkpoint.c - the checkpoint directory: `metadata`, the offsets WAL
 * (`offsets/<N>`) and the commit log (`commits/<N>`) in Spark's byte format
 * (spark-semantics.md §7.1-7.3).
 *
 *   offsets/N  "v1\n" + {"batchWatermarkMs":..,"batchTimestampMs":..,"conf":{..}}
 *              + "\n<source offset JSON or ->" per source; no trailing newline
 *   commits/N  "v1\n{\"nextBatchWatermarkMs\":..}"
 *   metadata   {"id":"<uuid>"}   (no trailing newline, as Spark's StreamMetadata)
 *
 * Formatting skips conf entries whose value is NULL (an unset conf has nothing to
 * freeze). Invariants: every file is created with sp_fs_write_atomic(overwrite = false), so an
 * existing batch is never replaced (a second writer gets SPATE_EEXIST). Parsers
 * accept what Spark writes (missing metadata fields default to 0 / empty, as
 * OffsetSeqMetadata/CommitMetadata do) and report anything else as
 * SPATE_ECHECKPOINT naming the file and line. JSON goes through jansson.
 *
 * Ownership: an open checkpoint holds flock(LOCK_EX) on `<root>/.lock` (the file
 * holds the owner's pid for the refusal message). flock locks belong to the open
 * file description, so they exclude other processes and other opens in this
 * process alike, and the kernel drops them when the owner dies (kill -9 included):
 * a stale .lock file never blocks a restart.
 */
#include "checkpoint/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "checkpoint/ckpt_internal.h"
#include "common/buf.h"
#include "common/crash.h"
#include "common/fault.h"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static char *strndup_(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* ---- offsets entry ---- */

void sp_offset_entry_free(sp_offset_entry *e) {
  if (!e) return;
  for (int i = 0; i < e->nconf && i < SP_MAX_CONF; i++) {
    free(e->conf_keys[i]);
    free(e->conf_values[i]);
  }
  if (e->source_offsets)
    for (int i = 0; i < e->nsources; i++) free(e->source_offsets[i]);
  free(e->source_offsets);
  memset(e, 0, sizeof *e);
}

int sp_offset_entry_format(const sp_offset_entry *e, char **text, spate_error *err) {
  *text = NULL;
  if (e->nconf < 0 || e->nconf > SP_MAX_CONF || e->nsources < 0 || (e->nsources > 0 && !e->source_offsets))
    return spate_error_set(err, SPATE_EINVAL, "offset entry: invalid conf or source count");
  json_t *meta = json_object();
  json_t *conf = json_object();
  int rc = 0;
  if (!meta || !conf) {
    json_decref(meta);
    json_decref(conf);
    return oom_(err);
  }
  if (json_object_set_new(meta, "batchWatermarkMs", json_integer(e->batch_watermark_ms)) ||
      json_object_set_new(meta, "batchTimestampMs", json_integer(e->batch_timestamp_ms))) {
    json_decref(conf);
    rc = oom_(err);
    goto done;
  }
  for (int i = 0; i < e->nconf; i++) {
    if (!e->conf_keys[i]) {
      json_decref(conf);
      rc = spate_error_set(err, SPATE_EINVAL, "offset entry: conf %d has no key", i);
      goto done;
    }
    if (!e->conf_values[i]) continue; /* an unset conf is not frozen (Spark records only set values) */
    json_t *v = json_string(e->conf_values[i]);
    if (!v) {
      json_decref(conf);
      rc = spate_error_set(err, SPATE_EINVAL, "offset entry: conf \"%s\" is not valid UTF-8", e->conf_keys[i]);
      goto done;
    }
    if (json_object_set_new(conf, e->conf_keys[i], v)) {
      json_decref(conf);
      rc = spate_error_set(err, SPATE_EINVAL, "offset entry: invalid conf key \"%s\"", e->conf_keys[i]);
      goto done;
    }
  }
  if (json_object_set_new(meta, "conf", conf)) {
    rc = oom_(err);
    goto done;
  }
  char *mj = json_dumps(meta, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (!mj) {
    rc = oom_(err);
    goto done;
  }
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "v1\n");
  sp_buf_puts(&b, mj);
  free(mj);
  for (int i = 0; i < e->nsources && !rc; i++) {
    const char *s = e->source_offsets[i];
    sp_buf_putc(&b, '\n');
    if (!s) {
      sp_buf_putc(&b, '-');
      continue;
    }
    json_error_t je;
    json_t *j;
    if (strchr(s, '\n') || !(j = json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je))) {
      rc = spate_error_set(err, SPATE_EINVAL, "offset entry: source %d offset is not single-line JSON: %s", i, s);
      break;
    }
    json_decref(j);
    sp_buf_puts(&b, s);
  }
  if (!rc && sp_buf_check(&b)) rc = oom_(err);
  if (rc)
    sp_buf_free(&b);
  else
    *text = sp_buf_steal(&b);
  if (!rc && !*text) rc = oom_(err);
done:
  json_decref(meta);
  return rc;
}

static int bad_line_(spate_error *err, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_line_(spate_error *err, const char *path, int line, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return spate_error_set(err, SPATE_ECHECKPOINT, "%s: line %d: %s", path, line, msg);
}

/* Parse a JSON object line; on failure an error naming path:line. */
static int parse_json_object_(const char *path, const sp_ckpt_line *ln, int lineno, const char *what, json_t **out,
                              spate_error *err) {
  json_error_t je;
  json_t *j = json_loadb(ln->p, ln->len, JSON_REJECT_DUPLICATES, &je);
  if (!j) return bad_line_(err, path, lineno, "invalid %s JSON: %s (column %d)", what, je.text, je.column);
  if (!json_is_object(j)) {
    json_decref(j);
    return bad_line_(err, path, lineno, "invalid %s JSON: not an object", what);
  }
  *out = j;
  return 0;
}

/* Optional integer field (default 0). */
static int get_i64_(const char *path, int lineno, json_t *obj, const char *key, int64_t *out, spate_error *err) {
  json_t *v = json_object_get(obj, key);
  *out = 0;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_integer(v)) return bad_line_(err, path, lineno, "\"%s\" must be an integer", key);
  *out = (int64_t)json_integer_value(v);
  return 0;
}

int sp_offset_entry_parse(const char *text, size_t len, const char *path, sp_offset_entry *e, spate_error *err) {
  memset(e, 0, sizeof *e);
  if (!path) path = "offsets";
  sp_ckpt_lines it;
  sp_ckpt_line ln;
  sp_ckpt_lines_init(&it, text, len);
  if (!sp_ckpt_lines_next(&it, &ln)) return bad_line_(err, path, 1, "empty file (truncated write?)");
  int rc = sp_ckpt_check_version(path, &ln, SP_OFFSET_LOG_VERSION, err);
  if (rc) return rc;
  if (!sp_ckpt_lines_next(&it, &ln)) return bad_line_(err, path, 2, "missing offset metadata (truncated file?)");
  /* Metadata line (may be blank in ancient logs). */
  size_t k = 0;
  while (k < ln.len && (ln.p[k] == ' ' || ln.p[k] == '\t')) k++;
  if (k < ln.len) {
    json_t *meta;
    rc = parse_json_object_(path, &ln, 2, "offset metadata", &meta, err);
    if (rc) return rc;
    rc = get_i64_(path, 2, meta, "batchWatermarkMs", &e->batch_watermark_ms, err);
    if (!rc) rc = get_i64_(path, 2, meta, "batchTimestampMs", &e->batch_timestamp_ms, err);
    json_t *conf = json_object_get(meta, "conf");
    if (!rc && conf && !json_is_null(conf)) {
      if (!json_is_object(conf)) {
        rc = bad_line_(err, path, 2, "\"conf\" must be an object");
      } else if (json_object_size(conf) > SP_MAX_CONF) {
        rc = bad_line_(err, path, 2, "more than %d conf entries", SP_MAX_CONF);
      } else {
        const char *key;
        json_t *val;
        json_object_foreach(conf, key, val) {
          if (!json_is_string(val)) {
            rc = bad_line_(err, path, 2, "conf \"%s\" must be a string", key);
            break;
          }
          e->conf_keys[e->nconf] = strdup(key);
          e->conf_values[e->nconf] = strndup_(json_string_value(val), json_string_length(val));
          e->nconf++;
          if (!e->conf_keys[e->nconf - 1] || !e->conf_values[e->nconf - 1]) {
            rc = oom_(err);
            break;
          }
        }
      }
    }
    json_decref(meta);
    if (rc) {
      sp_offset_entry_free(e);
      return rc;
    }
  }
  /* One line per source. */
  int cap = 0;
  while (sp_ckpt_lines_next(&it, &ln)) {
    if (e->nsources == cap) {
      int ncap = cap ? cap * 2 : 4;
      char **ns = realloc(e->source_offsets, (size_t)ncap * sizeof *ns);
      if (!ns) {
        sp_offset_entry_free(e);
        return oom_(err);
      }
      e->source_offsets = ns;
      cap = ncap;
    }
    char *s = NULL;
    if (!(ln.len == 1 && ln.p[0] == '-')) {
      json_error_t je;
      json_t *j = json_loadb(ln.p, ln.len, JSON_DECODE_ANY, &je);
      if (!j) {
        rc = bad_line_(err, path, it.lineno, "invalid source offset JSON: %s (column %d)", je.text, je.column);
        sp_offset_entry_free(e);
        return rc;
      }
      json_decref(j);
      s = strndup_(ln.p, ln.len);
      if (!s) {
        sp_offset_entry_free(e);
        return oom_(err);
      }
    }
    e->source_offsets[e->nsources++] = s;
  }
  return 0;
}

/* ---- checkpoint ---- */

static char *join_(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *p = malloc(la + lb + 2);
  if (!p) return NULL;
  memcpy(p, a, la);
  p[la] = '/';
  memcpy(p + la + 1, b, lb + 1);
  return p;
}

static char *batch_path_(const sp_checkpoint *cp, const char *sub, int64_t id) {
  size_t n = strlen(cp->root) + strlen(sub) + 32;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s/%lld", cp->root, sub, (long long)id);
  return p;
}

char *sp_checkpoint_path(const sp_checkpoint *cp, const char *sub) { return join_(cp->root, sub); }

static int read_metadata_(const char *path, char **id, spate_error *err) {
  char *data;
  size_t len;
  int rc = sp_fs_read_all(path, &data, &len, err);
  if (rc) return rc;
  json_error_t je;
  json_t *j = json_loadb(data, len, 0, &je);
  free(data);
  if (!j) return spate_error_set(err, SPATE_ECHECKPOINT, "%s: invalid JSON: %s (line %d, column %d)", path, je.text,
                                 je.line, je.column);
  json_t *v = json_object_get(j, "id");
  if (!json_is_string(v) || json_string_length(v) == 0) {
    json_decref(j);
    return spate_error_set(err, SPATE_ECHECKPOINT, "%s: missing query \"id\"", path);
  }
  *id = strdup(json_string_value(v));
  json_decref(j);
  return *id ? 0 : oom_(err);
}

/* Take <root>/.lock; on success cp->lock_fd holds it. */
static int lock_(sp_checkpoint *cp, spate_error *err) {
  char *path = join_(cp->root, ".lock");
  if (!path) return oom_(err);
  int fd = sp_io_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    int rc = spate_error_set(err, SPATE_EIO, "cannot open checkpoint lock %s: %s", path, strerror(e));
    free(path);
    return rc;
  }
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (e == EINTR) continue;
    int rc;
    if (e == EWOULDBLOCK) {
      char buf[32] = {0};
      ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
      long pid = r > 0 ? strtol(buf, NULL, 10) : 0;
      char who[48];
      if (pid > 0)
        snprintf(who, sizeof who, "pid %ld", pid);
      else
        snprintf(who, sizeof who, "another process");
      rc = spate_error_set(err, SPATE_ECHECKPOINT,
                           "checkpoint %s is in use by %s%s (lock %s): another streaming query is running on it; "
                           "stop that query, or run this one with a different checkpoint location",
                           cp->root, who, pid == (long)getpid() ? " (this process)" : "", path);
    } else {
      rc = spate_error_set(err, SPATE_EIO, "cannot lock checkpoint %s: %s", path, strerror(e));
    }
    close(fd);
    free(path);
    return rc;
  }
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
    int e = errno;
    int rc = spate_error_set(err, SPATE_EIO, "cannot write checkpoint lock %s: %s", path, strerror(e));
    close(fd);
    free(path);
    return rc;
  }
  free(path);
  cp->lock_fd = fd;
  return 0;
}

void sp_checkpoint_unlock(sp_checkpoint *cp) {
  if (!cp || cp->lock_fd < 0) return;
  close(cp->lock_fd); /* drops the flock; the pid text stays (harmless, informative) */
  cp->lock_fd = -1;
}

int sp_checkpoint_open(const char *root, sp_checkpoint **out, spate_error *err) {
  *out = NULL;
  if (!root || !*root) return spate_error_set(err, SPATE_EINVAL, "empty checkpoint location");
  int rc = sp_fs_mkdirs(root, err);
  if (rc) {
    spate_error_prefix(err, "checkpoint location %s is not usable", root);
    return rc;
  }
  if (access(root, W_OK | X_OK) != 0) {
    int e = errno;
    return spate_error_set(err, SPATE_EIO, "checkpoint location %s is not writable: %s", root, strerror(e));
  }
  sp_checkpoint *cp = calloc(1, sizeof *cp);
  if (!cp) return oom_(err);
  cp->lock_fd = -1;
  size_t rl = strlen(root);
  while (rl > 1 && root[rl - 1] == '/') rl--;
  cp->root = strndup_(root, rl);
  if (cp->root && (rc = lock_(cp, err))) {
    sp_checkpoint_close(cp);
    return rc;
  }
  char *offsets = cp->root ? join_(cp->root, "offsets") : NULL;
  char *commits = cp->root ? join_(cp->root, "commits") : NULL;
  char *meta = cp->root ? join_(cp->root, "metadata") : NULL;
  if (!offsets || !commits || !meta) {
    rc = oom_(err);
    goto done;
  }
  if ((rc = sp_fs_mkdirs(offsets, err)) || (rc = sp_fs_mkdirs(commits, err))) goto done;
  rc = read_metadata_(meta, &cp->query_id, err);
  if (rc == SPATE_ENOTFOUND) {
    char uuid[37], text[64];
    sp_uuid4(uuid);
    int n = snprintf(text, sizeof text, "{\"id\":\"%s\"}", uuid);
    rc = sp_fs_write_atomic(meta, text, (size_t)n, false, err);
    if (rc == SPATE_EEXIST)
      rc = read_metadata_(meta, &cp->query_id, err); /* lost a creation race: use the winner's id */
    else if (rc == 0 && !(cp->query_id = strdup(uuid)))
      rc = oom_(err);
  }
done:
  free(offsets);
  free(commits);
  free(meta);
  if (rc) {
    sp_checkpoint_close(cp);
    return rc;
  }
  *out = cp;
  return 0;
}

void sp_checkpoint_close(sp_checkpoint *cp) {
  if (!cp) return;
  sp_checkpoint_unlock(cp);
  free(cp->root);
  free(cp->query_id);
  free(cp);
}

static int latest_in_(const sp_checkpoint *cp, const char *sub, int64_t *latest, spate_error *err) {
  *latest = -1;
  char *dir = join_(cp->root, sub);
  if (!dir) return oom_(err);
  int64_t *ids;
  int n;
  int rc = sp_fs_list_ids(dir, NULL, &ids, &n, err);
  free(dir);
  if (rc) return rc;
  if (n > 0) *latest = ids[n - 1];
  free(ids);
  return 0;
}

int sp_checkpoint_latest(const sp_checkpoint *cp, int64_t *latest_offset, int64_t *latest_commit, spate_error *err) {
  int64_t a = -1, b = -1;
  int rc = latest_in_(cp, "offsets", &a, err);
  if (!rc) rc = latest_in_(cp, "commits", &b, err);
  if (latest_offset) *latest_offset = a;
  if (latest_commit) *latest_commit = b;
  return rc;
}

/* Create a batch file; an existing one means a concurrent writer. */
static int write_batch_file_(const sp_checkpoint *cp, const char *path, int64_t batch_id, const char *text,
                             const char *crash_tag, spate_error *err) {
  int rc = sp_fs_write_atomic_tagged(path, text, strlen(text), false, crash_tag, err);
  if (rc == SPATE_EEXIST)
    spate_error_set(err, SPATE_EEXIST,
                    "%s already exists: concurrent update to the log of batch %lld (are multiple streaming queries "
                    "using checkpoint %s?)",
                    path, (long long)batch_id, cp->root);
  return rc;
}

int sp_checkpoint_write_offsets(const sp_checkpoint *cp, int64_t batch_id, const sp_offset_entry *e,
                                spate_error *err) {
  if (batch_id < 0) return spate_error_set(err, SPATE_EINVAL, "negative batch id %lld", (long long)batch_id);
  char *text;
  int rc = sp_offset_entry_format(e, &text, err);
  if (rc) return rc;
  char *path = batch_path_(cp, "offsets", batch_id);
  if (!path) {
    free(text);
    return oom_(err);
  }
  rc = write_batch_file_(cp, path, batch_id, text, "offsets", err);
  free(path);
  free(text);
  return rc;
}

int sp_checkpoint_read_offsets(const sp_checkpoint *cp, int64_t batch_id, sp_offset_entry *e, spate_error *err) {
  memset(e, 0, sizeof *e);
  char *path = batch_path_(cp, "offsets", batch_id);
  if (!path) return oom_(err);
  char *data;
  size_t len;
  int rc = sp_fs_read_all(path, &data, &len, err);
  if (!rc) {
    rc = sp_offset_entry_parse(data, len, path, e, err);
    free(data);
  }
  free(path);
  return rc;
}

int sp_checkpoint_write_commit(const sp_checkpoint *cp, int64_t batch_id, int64_t next_watermark_ms,
                               spate_error *err) {
  if (batch_id < 0) return spate_error_set(err, SPATE_EINVAL, "negative batch id %lld", (long long)batch_id);
  char text[64];
  snprintf(text, sizeof text, "v1\n{\"nextBatchWatermarkMs\":%lld}", (long long)next_watermark_ms);
  char *path = batch_path_(cp, "commits", batch_id);
  if (!path) return oom_(err);
  int rc = write_batch_file_(cp, path, batch_id, text, "commits", err);
  free(path);
  return rc;
}

int sp_checkpoint_read_commit(const sp_checkpoint *cp, int64_t batch_id, int64_t *next_watermark_ms,
                              spate_error *err) {
  *next_watermark_ms = 0;
  char *path = batch_path_(cp, "commits", batch_id);
  if (!path) return oom_(err);
  char *data;
  size_t len;
  int rc = sp_fs_read_all(path, &data, &len, err);
  if (rc) {
    free(path);
    return rc;
  }
  sp_ckpt_lines it;
  sp_ckpt_line ln;
  sp_ckpt_lines_init(&it, data, len);
  if (!sp_ckpt_lines_next(&it, &ln)) {
    rc = bad_line_(err, path, 1, "empty file (truncated write?)");
  } else if (!(rc = sp_ckpt_check_version(path, &ln, 1, err))) {
    if (!sp_ckpt_lines_next(&it, &ln)) {
      rc = bad_line_(err, path, 2, "missing commit metadata (truncated file?)");
    } else {
      json_t *j;
      rc = parse_json_object_(path, &ln, 2, "commit metadata", &j, err);
      if (!rc) {
        rc = get_i64_(path, 2, j, "nextBatchWatermarkMs", next_watermark_ms, err);
        json_decref(j);
      }
    }
  }
  free(data);
  free(path);
  return rc;
}

static int purge_dir_(const sp_checkpoint *cp, const char *sub, int64_t keep_from, spate_error *err) {
  char *dir = join_(cp->root, sub);
  if (!dir) return oom_(err);
  int64_t *ids;
  int n;
  int rc = sp_fs_list_ids(dir, NULL, &ids, &n, err);
  bool removed = false;
  for (int i = 0; !rc && i < n && ids[i] < keep_from; i++) {
    char *p = batch_path_(cp, sub, ids[i]);
    if (!p) {
      rc = oom_(err);
      break;
    }
    rc = sp_fs_remove(p, err);
    free(p);
    removed = true;
    SP_CRASH_POINT("purge.mid"); /* some old entries gone, others not */
  }
  if (!rc && removed) rc = sp_fs_sync_dir(dir, err);
  free(ids);
  free(dir);
  return rc;
}

int sp_checkpoint_purge(const sp_checkpoint *cp, int64_t keep_from, spate_error *err) {
  spate_error local;
  spate_error_clear(&local);
  spate_error *e = err ? err : &local;
  int rc = purge_dir_(cp, "offsets", keep_from, e);
  if (!rc) rc = purge_dir_(cp, "commits", keep_from, e);
  /* Best effort for callers without an error (the query loop): old entries that
   * stay are removed by a later purge, but an I/O error must not pass silently. */
  if (rc && !err)
    fprintf(stderr, "spate: WARN: checkpoint %s: cannot purge batches before %lld (continuing): %s\n", cp->root,
            (long long)keep_from, local.message);
  return rc;
}

/* ids of <root>/<sub> contiguous? else an error naming the first missing file. */
static int check_contiguous_(const sp_checkpoint *cp, const char *sub, int64_t *ids, int n, spate_error *err) {
  for (int i = 1; i < n; i++)
    if (ids[i] != ids[i - 1] + 1)
      return spate_error_set(err, SPATE_ECHECKPOINT,
                             "checkpoint %s is damaged: %s/%s/%lld is missing (the log holds batches %lld..%lld "
                             "with a hole; old entries are only ever removed from the start)",
                             cp->root, cp->root, sub, (long long)(ids[i - 1] + 1), (long long)ids[0],
                             (long long)ids[n - 1]);
  return 0;
}

int sp_checkpoint_validate(const sp_checkpoint *cp, spate_error *err) {
  char *od = join_(cp->root, "offsets"), *cd = join_(cp->root, "commits");
  int64_t *oids = NULL, *cids = NULL;
  int no = 0, nc = 0;
  int rc = (!od || !cd) ? oom_(err) : 0;
  if (!rc) rc = sp_fs_list_ids(od, NULL, &oids, &no, err);
  if (!rc) rc = sp_fs_list_ids(cd, NULL, &cids, &nc, err);
  if (!rc) rc = check_contiguous_(cp, "offsets", oids, no, err);
  if (!rc) rc = check_contiguous_(cp, "commits", cids, nc, err);
  if (!rc && nc > 0 && (no == 0 || cids[nc - 1] > oids[no - 1]))
    rc = spate_error_set(err, SPATE_ECHECKPOINT,
                         "checkpoint %s is damaged: commits/%lld exists but offsets/%lld does not (%s); refusing to "
                         "guess where the query stopped",
                         cp->root, (long long)cids[nc - 1], (long long)cids[nc - 1],
                         no == 0 ? "offsets/ is empty" : "offsets/ ends earlier");
  free(oids);
  free(cids);
  free(od);
  free(cd);
  return rc;
}
