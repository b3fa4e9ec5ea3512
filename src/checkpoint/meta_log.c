/*
 * meta_log.c - compactible metadata logs (Spark's CompactibleFileStreamLog): the
 * file sink's `<output>/_spark_metadata/` and the file source's
 * `<checkpoint>/sources/<i>/` (spark-semantics.md §2.3).
 *
 * A batch is a file "<id>" or, when (id + 1) % compact_interval == 0, "<id>.compact";
 * each holds "v1" followed by "\n<json>" per entry (no trailing newline). A compact
 * file holds the live entries of every earlier batch plus its own, so a reader needs
 * only the latest compact file at or before a batch plus the plain files after it.
 * "Live" follows FileStreamSinkLog.compactLogs: entries whose "path" is named by an
 * entry with "action":"delete" (and the delete entries themselves) are dropped.
 *
 * sp_meta_log_read_batch on a compacted batch: if every line carries an integer
 * "batchId" (the file source log), the lines of that batch are selected by it;
 * otherwise (the sink log, which records no batch id) the result is the multiset
 * difference "compact file minus the live lines up to batch_id - 1", i.e. the lines
 * the batch itself added. Nothing extra is recorded in the files.
 *
 * Invariants: files are created with sp_fs_write_atomic(overwrite = false) and never
 * modified; the compact interval is derived from existing .compact files as Spark
 * does (the distance of the last two, else deriveCompactInterval from the only one),
 * so reopening with another default keeps the existing layout.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/checkpoint.h"
#include "checkpoint/ckpt_internal.h"
#include "common/buf.h"
#include "common/crash.h"

#define COMPACT_SUFFIX ".compact"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

typedef struct strvec {
  char **v;
  int n, cap;
} strvec;

static int sv_push_(strvec *s, char *str) {
  if (!str) return SPATE_ENOMEM;
  if (s->n == s->cap) {
    int ncap = s->cap ? s->cap * 2 : 16;
    char **nv = realloc(s->v, (size_t)ncap * sizeof *nv);
    if (!nv) {
      free(str);
      return SPATE_ENOMEM;
    }
    s->v = nv;
    s->cap = ncap;
  }
  s->v[s->n++] = str;
  return 0;
}

static void sv_free_(strvec *s) {
  for (int i = 0; i < s->n; i++) free(s->v[i]);
  free(s->v);
  memset(s, 0, sizeof *s);
}

/* Hand the vector over as (*lines, *n); an empty result is a valid 1-slot array. */
static int sv_give_(strvec *s, char ***lines, int *n, spate_error *err) {
  if (!s->v) {
    s->v = malloc(sizeof *s->v);
    if (!s->v) return oom_(err);
  }
  *lines = s->v;
  *n = s->n;
  memset(s, 0, sizeof *s);
  return 0;
}

void sp_meta_log_lines_free(char **lines, int n) {
  if (!lines) return;
  for (int i = 0; i < n; i++) free(lines[i]);
  free(lines);
}

static char *batch_file_(const sp_meta_log *log, int64_t id, bool compact) {
  size_t n = strlen(log->dir) + 48;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%lld%s", log->dir, (long long)id, compact ? COMPACT_SUFFIX : "");
  return p;
}

static int cmp_i64_(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Ids of plain and compact batch files in dir (each sorted ascending). */
typedef struct log_ids {
  int64_t *plain, *compact;
  int nplain, ncompact;
} log_ids;

static void log_ids_free_(log_ids *ids) {
  free(ids->plain);
  free(ids->compact);
  memset(ids, 0, sizeof *ids);
}

static bool has_id_(const int64_t *arr, int n, int64_t id) {
  return n > 0 && bsearch(&id, arr, (size_t)n, sizeof *arr, cmp_i64_) != NULL;
}

static int scan_(const char *dir, log_ids *out, spate_error *err) {
  memset(out, 0, sizeof *out);
  /* sp_fs_list_ids merges both kinds; list all, then split by probing the compact set. */
  int64_t *all;
  int n;
  int rc = sp_fs_list_ids(dir, NULL, &out->plain, &out->nplain, err);
  if (rc) return rc;
  rc = sp_fs_list_ids(dir, COMPACT_SUFFIX, &all, &n, err);
  if (rc) {
    log_ids_free_(out);
    return rc;
  }
  /* compact ids = ids accepted with the suffix that are either not plain or have a .compact file */
  out->compact = malloc(((size_t)n + 1) * sizeof *out->compact);
  if (!out->compact) {
    free(all);
    log_ids_free_(out);
    return oom_(err);
  }
  size_t dl = strlen(dir);
  char *path = malloc(dl + 48);
  if (!path) {
    free(all);
    log_ids_free_(out);
    return oom_(err);
  }
  for (int i = 0; i < n; i++) {
    bool compact;
    if (!has_id_(out->plain, out->nplain, all[i])) {
      compact = true;
    } else {
      snprintf(path, dl + 48, "%s/%lld" COMPACT_SUFFIX, dir, (long long)all[i]);
      compact = sp_fs_exists(path);
    }
    if (compact) out->compact[out->ncompact++] = all[i];
  }
  free(path);
  free(all);
  return 0;
}

/* Spark's CompactibleFileStreamLog.deriveCompactInterval: the smallest divisor of
 * n = latest_compact + 1 in [def, n/2], else n. Spark's batch ids are Ints, so a larger
 * n (only a damaged or foreign file name) keeps `def`. The divisors are enumerated in
 * pairs (d, n/d), d <= sqrt(n): a linear scan up to n/2 hangs on a large prime n
 * (found by fuzz_checkpoint: "_spark_metadata/100000000000000002.compact"). */
static int derive_interval_(int def, int64_t latest_compact) {
  int64_t n = latest_compact + 1;
  if (n <= def) return (int)n;
  if (n > 0x7fffffff) return def;
  if (def < n / 2) {
    int64_t best = 0;
    for (int64_t d = 1; d * d <= n; d++) {
      if (n % d) continue;
      int64_t e = n / d;
      if (d >= def && d <= n / 2 && (!best || d < best)) best = d;
      if (e >= def && e <= n / 2 && (!best || e < best)) best = e;
    }
    if (best) return (int)best;
  }
  return (int)n;
}

int sp_meta_log_init(sp_meta_log *log, const char *dir, int compact_interval, spate_error *err) {
  memset(log, 0, sizeof *log);
  if (compact_interval <= 0)
    return spate_error_set(err, SPATE_EINVAL, "metadata log %s: compact interval must be positive, got %d", dir,
                           compact_interval);
  int rc = sp_fs_mkdirs(dir, err);
  if (rc) return rc;
  log_ids ids;
  rc = scan_(dir, &ids, err);
  if (rc) return rc;
  int interval = compact_interval;
  if (ids.ncompact >= 2) {
    int64_t d = ids.compact[ids.ncompact - 1] - ids.compact[ids.ncompact - 2];
    if (d > 0 && d <= 0x7fffffff) interval = (int)d;
  } else if (ids.ncompact == 1) {
    interval = derive_interval_(compact_interval, ids.compact[0]);
  }
  log_ids_free_(&ids);
  log->dir = strdup(dir);
  if (!log->dir) return oom_(err);
  log->compact_interval = interval;
  return 0;
}

void sp_meta_log_release(sp_meta_log *log) {
  if (!log) return;
  free(log->dir);
  log->dir = NULL;
}

int sp_meta_log_latest(const sp_meta_log *log, int64_t *batch_id, spate_error *err) {
  *batch_id = -1;
  int64_t *ids;
  int n;
  int rc = sp_fs_list_ids(log->dir, COMPACT_SUFFIX, &ids, &n, err);
  if (rc) return rc;
  if (n > 0) *batch_id = ids[n - 1];
  free(ids);
  return 0;
}

/* Append the entry lines of one log file to out; with check_json every entry must be
 * a JSON object (sp_meta_log_check). */
static int read_file_x_(const char *path, strvec *out, bool check_json, spate_error *err) {
  char *data;
  size_t len;
  int rc = sp_fs_read_all(path, &data, &len, err);
  if (rc) return rc;
  sp_ckpt_lines it;
  sp_ckpt_line ln;
  sp_ckpt_lines_init(&it, data, len);
  if (!sp_ckpt_lines_next(&it, &ln)) {
    rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s: line 1: empty file (truncated write?)", path);
  } else {
    rc = sp_ckpt_check_version(path, &ln, 1, err);
  }
  while (!rc && sp_ckpt_lines_next(&it, &ln)) {
    if (ln.len == 0) continue;
    if (memchr(ln.p, '\0', ln.len)) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s: line %d: NUL byte in entry (corrupt file?)", path, it.lineno);
      break;
    }
    if (check_json) {
      json_error_t je;
      json_t *j = json_loadb(ln.p, ln.len, 0, &je);
      bool obj = json_is_object(j);
      json_decref(j);
      if (!obj) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s: line %d: invalid log entry (truncated or corrupt file?): %s",
                             path, it.lineno, j ? "not a JSON object" : je.text);
        break;
      }
    }
    char *s = malloc(ln.len + 1);
    if (s) {
      memcpy(s, ln.p, ln.len);
      s[ln.len] = '\0';
    }
    if (sv_push_(out, s)) rc = oom_(err);
  }
  free(data);
  return rc;
}

static int read_file_(const char *path, strvec *out, spate_error *err) { return read_file_x_(path, out, false, err); }

/* "path" of an entry line, when the line is an object carrying one (malloc'd). */
static char *entry_path_(const char *line, bool *is_delete) {
  *is_delete = false;
  json_t *j = json_loads(line, 0, NULL);
  if (!j) return NULL;
  char *p = NULL;
  json_t *path = json_object_get(j, "path");
  json_t *action = json_object_get(j, "action");
  if (json_is_string(action) && strcmp(json_string_value(action), "delete") == 0) *is_delete = true;
  if (json_is_string(path)) p = strdup(json_string_value(path));
  json_decref(j);
  return p;
}

static int cmp_str_(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Drop deleted entries in place (FileStreamSinkLog.compactLogs). */
static int drop_deleted_(strvec *s, spate_error *err) {
  bool any = false;
  for (int i = 0; i < s->n && !any; i++)
    if (strstr(s->v[i], "\"delete\"")) any = true;
  if (!any) return 0;
  char **paths = calloc((size_t)s->n + 1, sizeof *paths);
  char **deleted = calloc((size_t)s->n + 1, sizeof *deleted);
  if (!paths || !deleted) {
    free(paths);
    free(deleted);
    return oom_(err);
  }
  int nd = 0;
  for (int i = 0; i < s->n; i++) {
    bool del;
    paths[i] = entry_path_(s->v[i], &del);
    if (del && paths[i]) deleted[nd++] = paths[i];
  }
  qsort(deleted, (size_t)nd, sizeof *deleted, cmp_str_);
  int m = 0, n0 = s->n;
  for (int i = 0; i < n0; i++) {
    bool drop = nd > 0 && paths[i] && bsearch(&paths[i], deleted, (size_t)nd, sizeof *deleted, cmp_str_);
    if (drop)
      free(s->v[i]);
    else
      s->v[m++] = s->v[i];
  }
  s->n = m;
  /* deleted[] aliases strings owned by paths[]. */
  for (int i = 0; i < n0; i++) free(paths[i]);
  free(paths);
  free(deleted);
  return 0;
}

/* Live lines of batches 0..batch_id into out (unfiltered for deletes). */
static int read_upto_(const sp_meta_log *log, const log_ids *ids, int64_t batch_id, strvec *out, spate_error *err) {
  if (batch_id < 0) return 0;
  int64_t c = -1;
  for (int i = ids->ncompact - 1; i >= 0; i--)
    if (ids->compact[i] <= batch_id) {
      c = ids->compact[i];
      break;
    }
  int rc = 0;
  if (c >= 0) {
    char *p = batch_file_(log, c, true);
    if (!p) return oom_(err);
    rc = read_file_(p, out, err);
    free(p);
  }
  for (int64_t k = c + 1; k <= batch_id && !rc; k++) {
    char *p = batch_file_(log, k, false);
    if (!p) return oom_(err);
    if (!has_id_(ids->plain, ids->nplain, k))
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s doesn't exist (metadata log %s, reading up to batch %lld)", p,
                           log->dir, (long long)batch_id);
    else
      rc = read_file_(p, out, err);
    free(p);
  }
  return rc;
}

/* Crash-point tag of a log write: the file sink's log or another (file source) log. */
static const char *crash_tag_(const sp_meta_log *log, bool compact) {
  const char *sfx = "/_spark_metadata";
  size_t dl = strlen(log->dir), sl = strlen(sfx);
  bool sink = dl >= sl && strcmp(log->dir + dl - sl, sfx) == 0;
  if (sink) return compact ? "sink.log.compact" : "sink.log";
  return compact ? "source.log.compact" : "source.log";
}

static int serialize_write_(const char *path, char *const *lines, int n, const char *crash_tag, spate_error *err) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "v1");
  for (int i = 0; i < n; i++) {
    sp_buf_putc(&b, '\n');
    sp_buf_puts(&b, lines[i]);
  }
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return oom_(err);
  }
  int rc = sp_fs_write_atomic_tagged(path, b.data, b.len, false, crash_tag, err);
  sp_buf_free(&b);
  return rc;
}

int sp_meta_log_add(const sp_meta_log *log, int64_t batch_id, char *const *lines, int n, spate_error *err) {
  if (batch_id < 0) return spate_error_set(err, SPATE_EINVAL, "negative batch id %lld", (long long)batch_id);
  for (int i = 0; i < n; i++)
    if (!lines[i] || !lines[i][0] || strchr(lines[i], '\n'))
      return spate_error_set(err, SPATE_EINVAL, "metadata log %s: entry %d of batch %lld is empty or spans lines",
                             log->dir, i, (long long)batch_id);
  char *plain = batch_file_(log, batch_id, false);
  char *compact = batch_file_(log, batch_id, true);
  int rc = 0;
  strvec all = {0};
  log_ids ids = {0};
  if (!plain || !compact) {
    rc = oom_(err);
    goto done;
  }
  if (sp_fs_exists(plain) || sp_fs_exists(compact)) {
    rc = spate_error_set(err, SPATE_EEXIST, "metadata log %s: batch %lld already exists", log->dir,
                         (long long)batch_id);
    goto done;
  }
  bool due = (batch_id + 1) % log->compact_interval == 0;
  const char *target = due ? compact : plain;
  if (!due) {
    rc = serialize_write_(plain, lines, n, crash_tag_(log, false), err);
  } else {
    if ((rc = scan_(log->dir, &ids, err))) goto done;
    rc = read_upto_(log, &ids, batch_id - 1, &all, err);
    if (rc) {
      spate_error_prefix(err, "cannot compact batch %lld (compactInterval: %d)", (long long)batch_id,
                         log->compact_interval);
      goto done;
    }
    for (int i = 0; i < n && !rc; i++)
      if (sv_push_(&all, strdup(lines[i]))) rc = oom_(err);
    if (!rc) rc = drop_deleted_(&all, err);
    if (!rc) rc = serialize_write_(compact, all.v, all.n, crash_tag_(log, true), err);
  }
  if (rc == SPATE_EEXIST)
    spate_error_set(err, SPATE_EEXIST, "Race while writing batch %lld: %s already exists", (long long)batch_id,
                    target);
done:
  sv_free_(&all);
  log_ids_free_(&ids);
  free(plain);
  free(compact);
  return rc;
}

int sp_meta_log_read_all(const sp_meta_log *log, int64_t batch_id, char ***lines, int *n, spate_error *err) {
  *lines = NULL;
  *n = 0;
  log_ids ids;
  int rc = scan_(log->dir, &ids, err);
  if (rc) return rc;
  strvec out = {0};
  rc = read_upto_(log, &ids, batch_id, &out, err);
  if (!rc) rc = drop_deleted_(&out, err);
  if (!rc) rc = sv_give_(&out, lines, n, err);
  sv_free_(&out);
  log_ids_free_(&ids);
  return rc;
}

/* batchId of a line, or false when the line has none. */
static bool line_batch_id_(const char *line, int64_t *id) {
  json_t *j = json_loads(line, 0, NULL);
  if (!j) return false;
  json_t *b = json_object_get(j, "batchId");
  bool ok = json_is_integer(b);
  if (ok) *id = (int64_t)json_integer_value(b);
  json_decref(j);
  return ok;
}

typedef struct idx_str {
  const char *s;
  int idx;
} idx_str;

static int cmp_idx_str_(const void *a, const void *b) {
  const idx_str *x = a, *y = b;
  int c = strcmp(x->s, y->s);
  return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Keep in `cur` (order preserved) the lines not matched one-for-one by `prev`. */
static int multiset_minus_(strvec *cur, const strvec *prev, spate_error *err) {
  idx_str *a = malloc(((size_t)cur->n + 1) * sizeof *a);
  idx_str *b = malloc(((size_t)prev->n + 1) * sizeof *b);
  bool *drop = calloc((size_t)cur->n + 1, sizeof *drop);
  if (!a || !b || !drop) {
    free(a);
    free(b);
    free(drop);
    return oom_(err);
  }
  for (int i = 0; i < cur->n; i++) a[i] = (idx_str){cur->v[i], i};
  for (int i = 0; i < prev->n; i++) b[i] = (idx_str){prev->v[i], i};
  qsort(a, (size_t)cur->n, sizeof *a, cmp_idx_str_);
  qsort(b, (size_t)prev->n, sizeof *b, cmp_idx_str_);
  int i = 0, j = 0;
  while (i < cur->n && j < prev->n) {
    int c = strcmp(a[i].s, b[j].s);
    if (c == 0) {
      drop[a[i].idx] = true;
      i++;
      j++;
    } else if (c < 0) {
      i++;
    } else {
      j++;
    }
  }
  int m = 0;
  for (int k = 0; k < cur->n; k++) {
    if (drop[k])
      free(cur->v[k]);
    else
      cur->v[m++] = cur->v[k];
  }
  cur->n = m;
  free(a);
  free(b);
  free(drop);
  return 0;
}

int sp_meta_log_read_batch(const sp_meta_log *log, int64_t batch_id, char ***lines, int *n, spate_error *err) {
  *lines = NULL;
  *n = 0;
  char *plain = batch_file_(log, batch_id, false);
  char *compact = batch_file_(log, batch_id, true);
  strvec out = {0}, prev = {0};
  log_ids ids = {0};
  int rc = 0;
  if (!plain || !compact) {
    rc = oom_(err);
    goto done;
  }
  if (batch_id >= 0 && sp_fs_exists(plain)) {
    rc = read_file_(plain, &out, err);
  } else if (batch_id >= 0 && sp_fs_exists(compact)) {
    if ((rc = read_file_(compact, &out, err))) goto done;
    bool all_have_id = out.n > 0;
    for (int i = 0; i < out.n && all_have_id; i++) {
      int64_t id;
      if (!line_batch_id_(out.v[i], &id)) all_have_id = false;
    }
    if (all_have_id) {
      int m = 0;
      for (int i = 0; i < out.n; i++) {
        int64_t id = -1;
        line_batch_id_(out.v[i], &id);
        if (id == batch_id)
          out.v[m++] = out.v[i];
        else
          free(out.v[i]);
      }
      out.n = m;
    } else {
      if ((rc = scan_(log->dir, &ids, err))) goto done;
      if ((rc = read_upto_(log, &ids, batch_id - 1, &prev, err))) goto done;
      if ((rc = drop_deleted_(&prev, err))) goto done;
      rc = multiset_minus_(&out, &prev, err);
    }
  } else {
    rc = spate_error_set(err, SPATE_ENOTFOUND, "metadata log %s: batch %lld not found", log->dir,
                         (long long)batch_id);
  }
  if (!rc) rc = sv_give_(&out, lines, n, err);
done:
  sv_free_(&out);
  sv_free_(&prev);
  log_ids_free_(&ids);
  free(plain);
  free(compact);
  return rc;
}

int sp_meta_log_check(const sp_meta_log *log, spate_error *err) {
  log_ids ids;
  int rc = scan_(log->dir, &ids, err);
  if (rc) return rc;
  int64_t latest = -1, c = ids.ncompact ? ids.compact[ids.ncompact - 1] : -1;
  if (ids.nplain && ids.plain[ids.nplain - 1] > latest) latest = ids.plain[ids.nplain - 1];
  if (c > latest) latest = c;
  strvec tmp = {0};
  for (int64_t k = c; k <= latest && !rc; k++) {
    if (k < 0) continue;
    bool compact = k == c;
    char *p = batch_file_(log, k, compact);
    if (!p) {
      rc = oom_(err);
      break;
    }
    if (!compact && !has_id_(ids.plain, ids.nplain, k))
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "metadata log %s is damaged: %s is missing (the log runs to batch %lld)",
                           log->dir, p, (long long)latest);
    else
      rc = read_file_x_(p, &tmp, true, err);
    free(p);
    sv_free_(&tmp);
  }
  log_ids_free_(&ids);
  return rc;
}
