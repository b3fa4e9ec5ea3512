/*
 * file_source.c - the streaming file source (Spark's FileStreamSource) for the
 * `json`, `csv` and `text` formats: one vtable per format sharing this code.
 *
 * Offsets are {"logOffset":N}: N indexes the source's own compactible log in
 * <checkpoint>/sources/<i>/ (sp_meta_log), one log batch per discovery holding
 * {"path":"file:///abs","timestamp":<mtime ms>,"batchId":N} lines. Discovery
 * (latest_offset) lists the path, drops files already seen or older than
 * maxFileAge relative to the newest seen file, takes up to maxFilesPerTrigger /
 * maxBytesPerTrigger of them in modification-time order, and appends log batch
 * N+1 before returning it. Reading (get_batch) always goes through the log, so a
 * batch replayed after a restart reads exactly the files it read the first time.
 *
 * Invariants:
 *  - The seen set (keyed by absolute path, or base name with fileNameOnly) is
 *    rebuilt from the whole log at open() and only grows by files that were
 *    appended to the log; a file is never logged twice.
 *  - cur_log is the latest log batch id (-1: empty); offsets never go backwards.
 *  - Listing covers the directory level plus Hive-style key=value sub-directories
 *    (whose values become partition columns, fixed at create time); names starting
 *    with '.' or '_' (unless containing '=') and "*._COPYING_" are skipped.
 *  - Files are decoded on the pool, one task and one output batch per file, in
 *    log order; tasks share only read-only state (options, schemas).
 *  - cleanSource (archive/delete) runs on commit() for the files of the committed
 *    log entry, best effort: failures are reported on stderr and never fail the query.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "checkpoint/checkpoint.h"
#include "format/format.h"
#include "runtime/pool.h"
#include "source/file_common.h"
#include "source/source.h"

typedef sp_file_fmt file_fmt;
#define FMT_JSON SP_FILE_JSON
#define FMT_CSV SP_FILE_CSV
#define FMT_TEXT SP_FILE_TEXT
typedef enum clean_mode { CLEAN_OFF, CLEAN_ARCHIVE, CLEAN_DELETE } clean_mode;

/* One listed file. */
typedef struct file_ent {
  char *path;       /* absolute local path, owned */
  int64_t mtime_ms;
  int64_t size;
  int root_len;     /* bytes of the listing root prefix in path (partition values follow it) */
} file_ent;

typedef struct file_list {
  file_ent *v;
  int n, cap;
} file_list;

/* Seen files: identity string -> timestamp, open addressing over an entry array. */
typedef struct seen_set {
  char **keys;      /* owned */
  int64_t *ts;
  int n, cap;
  int32_t *slots;   /* index into keys, -1 empty */
  size_t nslots;    /* power of two */
  int64_t latest_ts, last_purge_ts;
} seen_set;

/* Files of one log batch discovered in this run (avoids re-reading the log). */
typedef struct log_batch {
  int64_t id;
  int n;
  char **paths;     /* owned, absolute local paths */
} log_batch;

typedef struct file_impl {
  file_fmt fmt;
  char *path_opt;        /* path as given */
  char *base;            /* absolute normalised path (may contain glob characters) */
  bool glob;
  int64_t max_files;     /* 0 = unlimited */
  int64_t max_bytes;     /* 0 = unlimited */
  bool latest_first, file_name_only;
  int64_t max_age_ms;
  int compact_interval;  /* spark.sql.streaming.fileSource.log.compactInterval */
  clean_mode clean;
  char *archive_dir;     /* absolute */
  /* format */
  sp_format_opts fopts;
  sp_file_format_strings fstrs; /* fopts points into these */
  /* schema: final = data fields + partition fields */
  sp_type *data_schema;  /* owned */
  bool *prune;           /* owned, per data field; NULL = read all (fopts.prune points here) */
  int npart;
  char **part_names;     /* owned */
  sp_type_id *part_types;
  /* runtime */
  sp_pool *pool;
  sp_meta_log log;
  bool log_open;
  int64_t cur_log;
  seen_set seen;
  int sink_mode;         /* -1 unknown, 0 plain listing, 1 read the file sink's _spark_metadata */
  bool available_now;
  file_list an_files;    /* AvailableNow snapshot */
  log_batch *cache;
  int ncache, capcache;
} file_impl;

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

/* ---------------------------------------------------------------------- */
/* file lists                                                             */
/* ---------------------------------------------------------------------- */

static void file_list_release_(file_list *l) {
  for (int i = 0; i < l->n; i++) free(l->v[i].path);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* Takes ownership of path (freed on failure). */
static int file_list_push_(file_list *l, char *path, int64_t mtime, int64_t size, int root_len) {
  if (!path) return SPATE_ENOMEM;
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 64;
    file_ent *v = realloc(l->v, (size_t)cap * sizeof *v);
    if (!v) {
      free(path);
      return SPATE_ENOMEM;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = (file_ent){path, mtime, size, root_len};
  return 0;
}

static int cmp_asc_(const void *a, const void *b) {
  const file_ent *x = a, *y = b;
  if (x->mtime_ms != y->mtime_ms) return x->mtime_ms < y->mtime_ms ? -1 : 1;
  return strcmp(x->path, y->path);
}

static int cmp_desc_(const void *a, const void *b) {
  const file_ent *x = a, *y = b;
  if (x->mtime_ms != y->mtime_ms) return x->mtime_ms > y->mtime_ms ? -1 : 1;
  return strcmp(x->path, y->path);
}

/* ---------------------------------------------------------------------- */
/* seen set                                                               */
/* ---------------------------------------------------------------------- */

static void seen_release_(seen_set *s) {
  for (int i = 0; i < s->n; i++) free(s->keys[i]);
  free(s->keys);
  free(s->ts);
  free(s->slots);
  memset(s, 0, sizeof *s);
}

static size_t seen_slot_(const seen_set *s, const char *key, bool *found) {
  uint64_t h = XXH3_64bits(key, strlen(key));
  size_t mask = s->nslots - 1, i = (size_t)h & mask;
  while (s->slots[i] >= 0) {
    if (strcmp(s->keys[s->slots[i]], key) == 0) {
      *found = true;
      return i;
    }
    i = (i + 1) & mask;
  }
  *found = false;
  return i;
}

static int seen_rehash_(seen_set *s, size_t nslots) {
  int32_t *slots = malloc(nslots * sizeof *slots);
  if (!slots) return SPATE_ENOMEM;
  for (size_t i = 0; i < nslots; i++) slots[i] = -1;
  free(s->slots);
  s->slots = slots;
  s->nslots = nslots;
  for (int k = 0; k < s->n; k++) {
    bool f;
    size_t i = seen_slot_(s, s->keys[k], &f);
    s->slots[i] = k;
  }
  return 0;
}

static bool seen_contains_(const seen_set *s, const char *key) {
  if (!s->nslots) return false;
  bool f;
  seen_slot_(s, key, &f);
  return f;
}

/* Add (or update) key; takes ownership of key. */
static int seen_add_(seen_set *s, char *key, int64_t ts) {
  if (!key) return SPATE_ENOMEM;
  if ((size_t)(s->n + 1) * 2 > s->nslots) {
    if (seen_rehash_(s, s->nslots ? s->nslots * 2 : 1024)) {
      free(key);
      return SPATE_ENOMEM;
    }
  }
  bool f;
  size_t i = seen_slot_(s, key, &f);
  if (ts > s->latest_ts) s->latest_ts = ts;
  if (f) {
    s->ts[s->slots[i]] = ts;
    free(key);
    return 0;
  }
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 256;
    char **k = realloc(s->keys, (size_t)cap * sizeof *k);
    if (!k) {
      free(key);
      return SPATE_ENOMEM;
    }
    s->keys = k;
    int64_t *t = realloc(s->ts, (size_t)cap * sizeof *t);
    if (!t) {
      free(key);
      return SPATE_ENOMEM;
    }
    s->ts = t;
    s->cap = cap;
  }
  s->keys[s->n] = key;
  s->ts[s->n] = ts;
  s->slots[i] = s->n++;
  return 0;
}

/* SeenFilesMap.purge: forget entries older than latest - max_age. */
static int seen_purge_(seen_set *s, int64_t max_age_ms) {
  s->last_purge_ts = s->latest_ts - max_age_ms;
  int w = 0;
  for (int i = 0; i < s->n; i++) {
    if (s->ts[i] < s->last_purge_ts) {
      free(s->keys[i]);
      continue;
    }
    s->keys[w] = s->keys[i];
    s->ts[w++] = s->ts[i];
  }
  if (w == s->n) return 0;
  s->n = w;
  return seen_rehash_(s, s->nslots ? s->nslots : 1024);
}

/* Identity of a file (borrowed from path): its absolute path (the decoded form of
 * the URI Spark compares), or only its name with fileNameOnly. */
static const char *file_key_(const file_impl *fi, const char *path) {
  if (fi->file_name_only) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
  }
  return path;
}

/* ---------------------------------------------------------------------- */
/* listing                                                                */
/* ---------------------------------------------------------------------- */

/* InMemoryFileIndex.shouldFilterOut (minus the parquet summary-file exception). */
static bool hidden_name_(const char *name) { return sp_file_hidden_name(name); }

static int64_t mtime_ms_(const struct stat *st) {
  return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

static int list_dir_(const char *dir, int root_len, int depth, file_list *out, spate_error *err) {
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return 0; /* vanished between listings */
    return spate_error_set(err, SPATE_EIO, "cannot list %s: %s", dir, strerror(errno));
  }
  int rc = 0;
  struct dirent *de;
  while (!rc && (de = readdir(d)) != NULL) {
    if (hidden_name_(de->d_name)) continue;
    char *p = sp_path_join(dir, de->d_name);
    if (!p) {
      rc = oom_(err);
      break;
    }
    struct stat st;
    if (stat(p, &st) != 0) {
      free(p); /* vanished or dangling link */
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      if (file_list_push_(out, p, mtime_ms_(&st), (int64_t)st.st_size, root_len)) rc = oom_(err);
    } else if (S_ISDIR(st.st_mode) && strchr(de->d_name, '=') && depth < 32) {
      rc = list_dir_(p, root_len, depth + 1, out, err);
      free(p);
    } else {
      free(p);
    }
  }
  closedir(d);
  return rc;
}

static bool is_glob_(const char *p) { return strpbrk(p, "*?[{") != NULL; }

/* Files named by a file sink's _spark_metadata log under fi->base. */
static int list_sink_log_(const file_impl *fi, file_list *out, spate_error *err) {
  size_t n = strlen(fi->base) + 32;
  char *dir = malloc(n);
  if (!dir) return oom_(err);
  snprintf(dir, n, "%s/_spark_metadata", fi->base);
  sp_meta_log log;
  int rc = sp_meta_log_init(&log, dir, 10, err);
  free(dir);
  if (rc) return rc;
  int64_t latest = -1;
  char **lines = NULL;
  int nl = 0;
  rc = sp_meta_log_latest(&log, &latest, err);
  if (!rc && latest >= 0) rc = sp_meta_log_read_all(&log, latest, &lines, &nl, err);
  for (int i = 0; !rc && i < nl; i++) {
    json_t *j = json_loads(lines[i], 0, NULL);
    json_t *p = j ? json_object_get(j, "path") : NULL;
    if (json_is_string(p)) {
      char *path = sp_uri_to_path(json_string_value(p));
      int64_t mt = (int64_t)json_integer_value(json_object_get(j, "modificationTime"));
      int64_t sz = (int64_t)json_integer_value(json_object_get(j, "size"));
      if (file_list_push_(out, path, mt, sz, (int)strlen(fi->base))) rc = oom_(err);
    }
    json_decref(j);
  }
  sp_meta_log_lines_free(lines, nl);
  sp_meta_log_release(&log);
  return rc;
}

/* All files currently under the source path, sorted for processing. */
static int list_all_(file_impl *fi, file_list *out, spate_error *err) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  if (fi->glob) {
    glob_t g;
    memset(&g, 0, sizeof g);
    int gr = glob(fi->base, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
    if (gr != 0 && gr != GLOB_NOMATCH) {
      globfree(&g);
      return spate_error_set(err, SPATE_EIO, "cannot expand glob %s", fi->base);
    }
    for (size_t i = 0; !rc && gr == 0 && i < g.gl_pathc; i++) {
      const char *m = g.gl_pathv[i];
      const char *name = strrchr(m, '/');
      name = name ? name + 1 : m;
      if (hidden_name_(name)) continue;
      struct stat st;
      if (stat(m, &st) != 0) continue;
      if (S_ISREG(st.st_mode)) {
        if (file_list_push_(out, strdup(m), mtime_ms_(&st), (int64_t)st.st_size, 0)) rc = oom_(err);
      } else if (S_ISDIR(st.st_mode)) {
        rc = list_dir_(m, 0, 0, out, err);
      }
    }
    globfree(&g);
  } else {
    if (fi->sink_mode < 0 || fi->sink_mode == 1) {
      size_t n = strlen(fi->base) + 32;
      char *dir = malloc(n);
      if (!dir) return oom_(err);
      snprintf(dir, n, "%s/_spark_metadata", fi->base);
      struct stat st;
      bool has = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
      free(dir);
      if (has) {
        if (fi->clean != CLEAN_OFF)
          return spate_error_set(err, SPATE_EUNSUPPORTED,
                                 "Clean up source files is not supported when reading from the output directory "
                                 "of FileStreamSink.");
        fi->sink_mode = 1;
      }
    }
    if (fi->sink_mode == 1) {
      rc = list_sink_log_(fi, out, err);
    } else {
      struct stat st;
      if (stat(fi->base, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
          rc = list_dir_(fi->base, (int)strlen(fi->base), 0, out, err);
        } else if (S_ISREG(st.st_mode)) {
          const char *slash = strrchr(fi->base, '/');
          rc = file_list_push_(out, strdup(fi->base), mtime_ms_(&st), (int64_t)st.st_size,
                               (int)(slash ? slash - fi->base : 0))
                   ? oom_(err)
                   : 0;
        }
      }
      if (!rc && out->n > 0 && fi->sink_mode < 0) fi->sink_mode = 0;
    }
  }
  if (rc) {
    file_list_release_(out);
    return rc;
  }
  if (out->n > 1) qsort(out->v, (size_t)out->n, sizeof *out->v, fi->latest_first ? cmp_desc_ : cmp_asc_);
  return 0;
}

/* ---------------------------------------------------------------------- */
/* partition columns                                                      */
/* ---------------------------------------------------------------------- */

static int hex_(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* ExternalCatalogUtils.unescapePathName: %XX sequences decoded. */
static int unescape_path_name_(const char *p, size_t n, char **out) {
  char *s = malloc(n + 1);
  if (!s) return SPATE_ENOMEM;
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    int h1 = -1, h2 = -1;
    if (p[i] == '%' && i + 2 < n) {
      h1 = hex_(p[i + 1]);
      h2 = hex_(p[i + 2]);
    }
    if (h1 >= 0 && h2 >= 0) {
      s[w++] = (char)(h1 * 16 + h2);
      i += 2;
    } else {
      s[w++] = p[i];
    }
  }
  s[w] = '\0';
  *out = s;
  return 0;
}

/* key=value components of the directories between the listing root and the file
 * name, in order. *keys / *vals are malloc'd arrays of malloc'd strings. */
static int parse_partitions_(const char *path, int root_len, char ***keys, char ***vals, int *n) {
  *keys = NULL;
  *vals = NULL;
  *n = 0;
  const char *p = path + root_len;
  const char *last = strrchr(path, '/');
  int cap = 0, rc = 0;
  while (!rc && last && p < last) {
    while (*p == '/') p++;
    if (p >= last) break;
    const char *e = strchr(p, '/');
    if (!e || e > last) e = last;
    const char *eq = memchr(p, '=', (size_t)(e - p));
    if (eq && eq > p) {
      if (*n == cap) {
        cap = cap ? cap * 2 : 4;
        char **k = realloc(*keys, (size_t)cap * sizeof *k);
        if (!k) {
          rc = SPATE_ENOMEM;
          break;
        }
        *keys = k;
        char **v = realloc(*vals, (size_t)cap * sizeof *v);
        if (!v) {
          rc = SPATE_ENOMEM;
          break;
        }
        *vals = v;
      }
      char *k = NULL, *v = NULL;
      if (unescape_path_name_(p, (size_t)(eq - p), &k) || unescape_path_name_(eq + 1, (size_t)(e - eq - 1), &v)) {
        free(k);
        rc = SPATE_ENOMEM;
        break;
      }
      (*keys)[*n] = k;
      (*vals)[*n] = v;
      (*n)++;
    }
    p = e;
  }
  if (rc) {
    for (int i = 0; i < *n; i++) {
      free((*keys)[i]);
      free((*vals)[i]);
    }
    free(*keys);
    free(*vals);
    *keys = *vals = NULL;
    *n = 0;
  }
  return rc;
}

static void free_kv_(char **keys, char **vals, int n) {
  for (int i = 0; i < n; i++) {
    free(keys[i]);
    free(vals[i]);
  }
  free(keys);
  free(vals);
}

static int32_t days_from_civil_(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + (int64_t)doe - 719468);
}

static bool parse_date_(const char *s, int32_t *days) {
  if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
  int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > mdays[m - 1]) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  *days = days_from_civil_(y, (unsigned)m, (unsigned)d);
  return true;
}

static bool parse_i64_(const char *s, int64_t *out) {
  if (!*s) return false;
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || *end) return false;
  *out = x;
  return true;
}

static bool parse_f64_(const char *s, double *out) {
  if (!*s) return false;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  if (errno || *end || !isfinite(x)) return false;
  *out = x;
  return true;
}

/* Spark's partition value type inference: int, bigint, double, date, else string. */
static sp_type_id infer_part_type_(const char *v) {
  int64_t i;
  double d;
  int32_t days;
  if (strcmp(v, "__HIVE_DEFAULT_PARTITION__") == 0) return SP_NULL;
  if (parse_i64_(v, &i)) return (i >= INT32_MIN && i <= INT32_MAX) ? SP_INT : SP_BIGINT;
  if (parse_f64_(v, &d) && strpbrk(v, "0123456789")) return SP_DOUBLE;
  if (parse_date_(v, &days)) return SP_DATE;
  return SP_STRING;
}

static sp_type_id wider_part_type_(sp_type_id a, sp_type_id b) {
  if (a == b || b == SP_NULL) return a;
  if (a == SP_NULL) return b;
  bool na = a == SP_INT || a == SP_BIGINT || a == SP_DOUBLE, nb = b == SP_INT || b == SP_BIGINT || b == SP_DOUBLE;
  if (na && nb) return (a == SP_DOUBLE || b == SP_DOUBLE) ? SP_DOUBLE : SP_BIGINT;
  return SP_STRING;
}

/* One-row vector holding partition value v as type id (NULL when unparsable). */
static sp_vec *part_value_vec_(sp_type_id id, const char *v) {
  sp_vec *vec = sp_vec_new(sp_type_prim(id), 1);
  if (!vec) return NULL;
  int64_t i;
  double d;
  int32_t days;
  bool null = !v || strcmp(v, "__HIVE_DEFAULT_PARTITION__") == 0;
  switch (id) {
    case SP_INT:
      if (!null && parse_i64_(v, &i) && i >= INT32_MIN && i <= INT32_MAX)
        sp_vec_append_i32(vec, (int32_t)i);
      else
        sp_vec_append_null(vec);
      break;
    case SP_BIGINT:
      if (!null && parse_i64_(v, &i))
        sp_vec_append_i64(vec, i);
      else
        sp_vec_append_null(vec);
      break;
    case SP_DOUBLE:
      if (!null && parse_f64_(v, &d))
        sp_vec_append_f64(vec, d);
      else
        sp_vec_append_null(vec);
      break;
    case SP_DATE:
      if (!null && parse_date_(v, &days))
        sp_vec_append_i32(vec, days);
      else
        sp_vec_append_null(vec);
      break;
    case SP_BOOLEAN:
      if (!null && (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0))
        sp_vec_append_bool(vec, strcasecmp(v, "true") == 0);
      else
        sp_vec_append_null(vec);
      break;
    case SP_STRING:
      if (!null)
        sp_vec_append_str(vec, v, (int32_t)strlen(v));
      else
        sp_vec_append_null(vec);
      break;
    default:
      sp_vec_append_null(vec);
  }
  if (sp_vec_check(vec)) {
    sp_vec_free(vec);
    return NULL;
  }
  return vec;
}

/* ---------------------------------------------------------------------- */
/* options                                                                */
/* ---------------------------------------------------------------------- */

#define COMMON_FILE_OPTIONS                                                                                     \
  "path", "maxFilesPerTrigger", "maxBytesPerTrigger", "latestFirst", "fileNameOnly", "maxFileAge",             \
      "maxCachedFiles", "discardCachedInputRatio", "cleanSource", "sourceArchiveDir", "modifiedBefore",          \
      "modifiedAfter"

static const char *const json_options_[] = {COMMON_FILE_OPTIONS, SP_JSON_FORMAT_OPTIONS, NULL};
/* inferSchema is accepted and ignored: the streaming schema comes from the user,
 * or (schemaInference) from the header names, all STRING, as Spark does without it. */
static const char *const csv_options_[] = {COMMON_FILE_OPTIONS, SP_CSV_FORMAT_OPTIONS, NULL};
static const char *const text_options_[] = {COMMON_FILE_OPTIONS, SP_TEXT_FORMAT_OPTIONS, NULL};

static int file_bool_opt_(const sp_source_spec *spec, const char *name, bool def, bool *out, spate_error *err) {
  const char *v = sp_source_spec_option(spec, name);
  *out = def;
  if (!v) return 0;
  if (strcasecmp(v, "true") == 0)
    *out = true;
  else if (strcasecmp(v, "false") == 0)
    *out = false;
  else
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option '%s', must be 'true' or 'false'", v,
                           name);
  return 0;
}

/* Utils.timeStringAsMs: "<n>[us|ms|s|m|min|h|d]" (bare number = ms). */
static int time_string_ms_(const char *s, int64_t *ms) {
  while (*s == ' ') s++;
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || end == s) return -1;
  while (*end == ' ') end++;
  int64_t mult;
  if (!*end || !strcasecmp(end, "ms"))
    mult = 1;
  else if (!strcasecmp(end, "us"))
    return (*ms = x / 1000), 0;
  else if (!strcasecmp(end, "s"))
    mult = 1000;
  else if (!strcasecmp(end, "m") || !strcasecmp(end, "min"))
    mult = 60000;
  else if (!strcasecmp(end, "h"))
    mult = 3600000;
  else if (!strcasecmp(end, "d"))
    mult = 86400000;
  else
    return -1;
  *ms = x * mult;
  return 0;
}

static int positive_opt_(const sp_source_spec *spec, const char *name, int64_t max, int64_t *out, spate_error *err) {
  const char *v = sp_source_spec_option(spec, name);
  *out = 0;
  if (!v) return 0;
  int64_t x;
  if (!parse_i64_(v, &x) || x <= 0 || x > max)
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option '%s', must be a positive integer", v,
                           name);
  *out = x;
  return 0;
}

/* Spark's SourceFileArchiver check: the archive dir must not match the source
 * pattern on the first min(depth) components. */
static bool archive_matches_source_(const char *src, const char *arch) {
  char *a = strdup(src), *b = strdup(arch);
  if (!a || !b) {
    free(a);
    free(b);
    return false;
  }
  char *ca[256], *cb[256];
  int na = 0, nb = 0;
  char *save = NULL;
  for (char *t = strtok_r(a, "/", &save); t && na < 256; t = strtok_r(NULL, "/", &save)) ca[na++] = t;
  save = NULL;
  for (char *t = strtok_r(b, "/", &save); t && nb < 256; t = strtok_r(NULL, "/", &save)) cb[nb++] = t;
  int depth = na < nb ? na : nb;
  bool matched = true;
  for (int i = 0; i < depth && matched; i++)
    if (fnmatch(ca[i], cb[i], 0) != 0) matched = false;
  free(a);
  free(b);
  return matched;
}

/* ---------------------------------------------------------------------- */
/* schema                                                                 */
/* ---------------------------------------------------------------------- */

/* Read a whole file into a buffer with zero padding (file_common.c). */
static int read_file_padded_(const char *path, char **data, size_t *len, spate_error *err) {
  return sp_read_file_padded(path, data, len, err);
}

static const char *fmt_upper_(file_fmt f) { return f == FMT_JSON ? "JSON" : f == FMT_CSV ? "CSV" : "Text"; }

/* New STRUCT with the same fields, all nullable (forceNullable). */
static sp_type *nullable_copy_(const sp_type *st, const char *const *skip, int nskip) {
  int n = 0;
  for (int i = 0; i < st->nfields; i++) {
    bool s = false;
    for (int k = 0; k < nskip; k++)
      if (strcasecmp(st->fields[i].name, skip[k]) == 0) s = true;
    if (!s) n++;
  }
  sp_type *out = sp_type_struct_new(n);
  if (!out) return NULL;
  int w = 0;
  for (int i = 0; i < st->nfields; i++) {
    bool s = false;
    for (int k = 0; k < nskip; k++)
      if (strcasecmp(st->fields[i].name, skip[k]) == 0) s = true;
    if (s) continue;
    if (sp_type_struct_set(out, w++, st->fields[i].name, sp_type_ref(st->fields[i].type), true)) {
      sp_type_unref(out);
      return NULL;
    }
  }
  return out;
}

/* Infer the data schema from the files present now (schemaInference). */
static int infer_data_schema_(file_impl *fi, const file_list *files, sp_type **out, spate_error *err) {
  *out = NULL;
  if (files->n == 0)
    return spate_error_set(err, SPATE_EANALYSIS, "Unable to infer schema for %s. It must be specified manually.",
                           fmt_upper_(fi->fmt));
  int rc = 0;
  sp_type *schema = NULL;
  int upto = fi->fmt == FMT_CSV ? 1 : files->n; /* CSV: header names of the first file */
  for (int i = 0; i < upto && !rc; i++) {
    char *data;
    size_t len;
    rc = read_file_padded_(files->v[i].path, &data, &len, err);
    if (rc) break;
    if (fi->fmt == FMT_JSON)
      rc = sp_json_infer_schema(data, len, files->v[i].path, &schema, err);
    else
      rc = sp_csv_infer_schema(data, len, &fi->fopts, &schema, err);
    free(data);
  }
  if (!rc && (!schema || schema->nfields == 0))
    rc = spate_error_set(err, SPATE_EANALYSIS, "Unable to infer schema for %s. It must be specified manually.",
                         fmt_upper_(fi->fmt));
  if (rc) {
    sp_type_unref(schema);
    return rc;
  }
  *out = schema;
  return 0;
}

/* Discover partition columns from the files present now; fill fi->part_*. */
static int discover_partitions_(file_impl *fi, const file_list *files, const sp_type *user, spate_error *err) {
  int rc = 0;
  for (int f = 0; f < files->n && !rc; f++) {
    char **keys, **vals;
    int n;
    if (parse_partitions_(files->v[f].path, files->v[f].root_len, &keys, &vals, &n)) return oom_(err);
    if (f > 0 && n != fi->npart) {
      rc = spate_error_set(err, SPATE_EANALYSIS,
                           "Conflicting directory structures detected under %s: %s has %d partition column(s), "
                           "expected %d",
                           fi->path_opt, files->v[f].path, n, fi->npart);
    }
    for (int k = 0; k < n && !rc; k++) {
      if (f == 0) {
        if (k == 0) {
          fi->part_names = calloc((size_t)n, sizeof *fi->part_names);
          fi->part_types = calloc((size_t)n, sizeof *fi->part_types);
          if (!fi->part_names || !fi->part_types) {
            rc = oom_(err);
            break;
          }
          fi->npart = n;
        }
        fi->part_names[k] = strdup(keys[k]);
        if (!fi->part_names[k]) {
          rc = oom_(err);
          break;
        }
        fi->part_types[k] = infer_part_type_(vals[k]);
      } else if (strcasecmp(fi->part_names[k], keys[k]) != 0) {
        rc = spate_error_set(err, SPATE_EANALYSIS,
                             "Conflicting partition column names detected under %s: '%s' vs '%s' (%s)", fi->path_opt,
                             fi->part_names[k], keys[k], files->v[f].path);
      } else {
        fi->part_types[k] = wider_part_type_(fi->part_types[k], infer_part_type_(vals[k]));
      }
    }
    free_kv_(keys, vals, n);
  }
  for (int k = 0; k < fi->npart && !rc; k++) {
    if (fi->part_types[k] == SP_NULL) fi->part_types[k] = SP_STRING;
    int ui = user ? sp_type_field_index(user, fi->part_names[k]) : -1;
    if (ui >= 0) {
      sp_type_id id = user->fields[ui].type->id;
      if (id != SP_INT && id != SP_BIGINT && id != SP_DOUBLE && id != SP_STRING && id != SP_DATE && id != SP_BOOLEAN)
        rc = spate_error_set(err, SPATE_EUNSUPPORTED, "partition column '%s' cannot have type %s", fi->part_names[k],
                             sp_type_id_name(id));
      else
        fi->part_types[k] = id;
    }
  }
  return rc;
}

/* Final schema: data fields, then partition columns; all nullable. */
static sp_type *final_schema_(const file_impl *fi) {
  int nd = fi->data_schema->nfields;
  sp_type *st = sp_type_struct_new(nd + fi->npart);
  if (!st) return NULL;
  for (int i = 0; i < nd; i++)
    if (sp_type_struct_set(st, i, fi->data_schema->fields[i].name, sp_type_ref(fi->data_schema->fields[i].type),
                           true))
      goto fail;
  for (int k = 0; k < fi->npart; k++)
    if (sp_type_struct_set(st, nd + k, fi->part_names[k], sp_type_prim(fi->part_types[k]), true)) goto fail;
  return st;
fail:
  sp_type_unref(st);
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* lifecycle                                                              */
/* ---------------------------------------------------------------------- */

static void cache_release_(file_impl *fi) {
  for (int i = 0; i < fi->ncache; i++) {
    for (int k = 0; k < fi->cache[i].n; k++) free(fi->cache[i].paths[k]);
    free(fi->cache[i].paths);
  }
  free(fi->cache);
  fi->cache = NULL;
  fi->ncache = fi->capcache = 0;
}

static void file_close_(sp_source *s) {
  file_impl *fi = s->impl;
  if (!fi) return;
  free(fi->path_opt);
  free(fi->base);
  free(fi->archive_dir);
  sp_file_format_strings_release(&fi->fstrs);
  sp_type_unref(fi->data_schema);
  for (int k = 0; k < fi->npart; k++) free(fi->part_names ? fi->part_names[k] : NULL);
  free(fi->part_names);
  free(fi->part_types);
  free(fi->prune);
  if (fi->log_open) sp_meta_log_release(&fi->log);
  seen_release_(&fi->seen);
  file_list_release_(&fi->an_files);
  cache_release_(fi);
  free(fi);
  s->impl = NULL;
}

static int file_create_(const sp_source_spec *spec, sp_source *s, file_fmt fmt, spate_error *err) {
  file_impl *fi = calloc(1, sizeof *fi);
  if (!fi) return oom_(err);
  s->impl = fi;
  fi->fmt = fmt;
  fi->cur_log = -1;
  fi->sink_mode = -1;
  int rc = 0;
  int64_t ci = 10;
  if (sp_conf_get(spec->conf, "spark.sql.streaming.fileSource.log.compactInterval") &&
      (rc = sp_conf_get_int(spec->conf, "spark.sql.streaming.fileSource.log.compactInterval", &ci, err)))
    return rc;
  if (ci <= 0 || ci > INT32_MAX)
    return spate_error_set(err, SPATE_EINVAL,
                           "spark.sql.streaming.fileSource.log.compactInterval must be positive, got %lld",
                           (long long)ci);
  fi->compact_interval = (int)ci;
  const char *path = sp_source_spec_option(spec, "path");
  if (!path || !*path) return spate_error_set(err, SPATE_EINVAL, "'path' is not specified");
  if (!(fi->path_opt = strdup(path)) || !(fi->base = sp_path_absolute(path))) return oom_(err);
  fi->glob = is_glob_(fi->base);
  if (!fi->glob) {
    struct stat st;
    if (stat(fi->base, &st) != 0) return spate_error_set(err, SPATE_ENOTFOUND, "Path does not exist: %s", path);
  }
  /* FileStreamOptions */
  if (sp_source_spec_option(spec, "modifiedBefore"))
    return spate_error_set(err, SPATE_EINVAL, "option 'modifiedBefore' is not allowed in file stream sources");
  if (sp_source_spec_option(spec, "modifiedAfter"))
    return spate_error_set(err, SPATE_EINVAL, "option 'modifiedAfter' is not allowed in file stream sources");
  if ((rc = positive_opt_(spec, "maxFilesPerTrigger", INT32_MAX, &fi->max_files, err))) return rc;
  if ((rc = positive_opt_(spec, "maxBytesPerTrigger", INT64_MAX, &fi->max_bytes, err))) return rc;
  if (fi->max_files && fi->max_bytes)
    return spate_error_set(err, SPATE_EINVAL,
                           "Options 'maxFilesPerTrigger' and 'maxBytesPerTrigger' can't be both set at the same time");
  if ((rc = file_bool_opt_(spec, "latestFirst", false, &fi->latest_first, err))) return rc;
  if ((rc = file_bool_opt_(spec, "fileNameOnly", false, &fi->file_name_only, err))) return rc;
  const char *age = sp_source_spec_option(spec, "maxFileAge");
  fi->max_age_ms = 7LL * 86400000;
  if (age && (time_string_ms_(age, &fi->max_age_ms) || fi->max_age_ms < 0))
    return spate_error_set(err, SPATE_EINVAL, "Invalid value '%s' for option 'maxFileAge', must be a time string like 7d",
                           age);
  if (fi->latest_first && (fi->max_files || fi->max_bytes)) fi->max_age_ms = INT64_MAX;
  const char *clean = sp_source_spec_option(spec, "cleanSource");
  const char *archive = sp_source_spec_option(spec, "sourceArchiveDir");
  if (!clean || !strcasecmp(clean, "off"))
    fi->clean = CLEAN_OFF;
  else if (!strcasecmp(clean, "archive"))
    fi->clean = CLEAN_ARCHIVE;
  else if (!strcasecmp(clean, "delete"))
    fi->clean = CLEAN_DELETE;
  else
    return spate_error_set(err, SPATE_EINVAL,
                           "Invalid mode for clean source option Some(%s). Must be one of ARCHIVE,DELETE,OFF", clean);
  if (fi->clean == CLEAN_ARCHIVE) {
    if (!archive) return spate_error_set(err, SPATE_EINVAL, "Archive mode must be used with 'sourceArchiveDir' option.");
    if (!(fi->archive_dir = sp_path_absolute(archive))) return oom_(err);
    if (archive_matches_source_(fi->base, fi->archive_dir))
      return spate_error_set(err, SPATE_EINVAL,
                             "requirement failed: Base archive path cannot be set to the path where archived path can "
                             "possibly match with source pattern. Ensure the base archive path doesn't match with "
                             "source pattern in depth, where the depth is minimum of depth on both paths.");
  }
  /* format options */
  if ((rc = sp_file_format_options(spec, fmt, &fi->fopts, &fi->fstrs, err))) return rc;
  /* schema */
  file_list files = {0};
  bool infer = false;
  if (!spec->user_schema && fmt != FMT_TEXT) {
    const char *si = sp_conf_get(spec->conf, "spark.sql.streaming.schemaInference");
    infer = si && strcasecmp(si, "true") == 0;
    if (!infer)
      return spate_error_set(err, SPATE_EANALYSIS,
                             "Schema must be specified when creating a streaming source DataFrame. If some files "
                             "already exist in the directory, then depending on the file format you may be able to "
                             "create a static DataFrame on that directory with 'spark.read.load(directory)' and infer "
                             "schema from it.");
  }
  if ((rc = list_all_(fi, &files, err))) return rc;
  rc = discover_partitions_(fi, &files, spec->user_schema, err);
  if (!rc) {
    const char *const *skip = (const char *const *)fi->part_names;
    if (spec->user_schema) {
      if (!(fi->data_schema = nullable_copy_(spec->user_schema, skip, fi->npart))) rc = oom_(err);
    } else if (fmt == FMT_TEXT) {
      sp_type *st = sp_type_struct_new(1);
      if (!st || sp_type_struct_set(st, 0, "value", sp_type_prim(SP_STRING), true)) {
        sp_type_unref(st);
        rc = oom_(err);
      } else {
        fi->data_schema = st;
      }
    } else {
      sp_type *inferred = NULL;
      rc = infer_data_schema_(fi, &files, &inferred, err);
      if (!rc) {
        fi->data_schema = nullable_copy_(inferred, skip, fi->npart);
        sp_type_unref(inferred);
        if (!fi->data_schema) rc = oom_(err);
      }
    }
  }
  file_list_release_(&files);
  if (rc) return rc;
  if (fmt == FMT_TEXT && (fi->data_schema->nfields != 1 || fi->data_schema->fields[0].type->id != SP_STRING)) {
    if (fi->data_schema->nfields != 1)
      return spate_error_set(err, SPATE_EANALYSIS,
                             "Text data source supports only a single column, and you have %d columns.",
                             fi->data_schema->nfields);
    return spate_error_set(err, SPATE_EANALYSIS, "Text data source does not support %s data type.",
                           sp_type_id_name(fi->data_schema->fields[0].type->id));
  }
  if (fmt != FMT_TEXT) {
    const char *cc = fi->fstrs.corrupt_col ? fi->fstrs.corrupt_col : "_corrupt_record";
    int cidx = sp_type_field_index(fi->data_schema, cc);
    if (cidx >= 0 && fi->data_schema->fields[cidx].type->id != SP_STRING)
      return spate_error_set(err, SPATE_EANALYSIS, "The field for corrupt records must be string type and nullable");
  }
  if (!(s->schema = final_schema_(fi))) return oom_(err);
  size_t dl = strlen(fi->base) + 32;
  if (!(s->description = malloc(dl))) return oom_(err);
  snprintf(s->description, dl, "FileStreamSource[file:%s]", fi->base);
  return 0;
}

static int json_create_(const sp_source_spec *spec, sp_source *s, spate_error *err) {
  return file_create_(spec, s, FMT_JSON, err);
}
static int csv_create_(const sp_source_spec *spec, sp_source *s, spate_error *err) {
  return file_create_(spec, s, FMT_CSV, err);
}
static int text_create_(const sp_source_spec *spec, sp_source *s, spate_error *err) {
  return file_create_(spec, s, FMT_TEXT, err);
}

static int file_open_(sp_source *s, const char *meta_dir, sp_pool *pool, spate_error *err) {
  file_impl *fi = s->impl;
  fi->pool = pool;
  if (fi->log_open) {
    sp_meta_log_release(&fi->log);
    fi->log_open = false;
  }
  cache_release_(fi);
  int rc = sp_meta_log_init(&fi->log, meta_dir, fi->compact_interval, err);
  if (rc) return rc;
  fi->log_open = true;
  rc = sp_meta_log_latest(&fi->log, &fi->cur_log, err);
  if (rc) return rc;
  /* Rebuild the seen set from every logged file. */
  seen_release_(&fi->seen);
  if (fi->cur_log >= 0) {
    char **lines = NULL;
    int n = 0;
    rc = sp_meta_log_read_all(&fi->log, fi->cur_log, &lines, &n, err);
    for (int i = 0; !rc && i < n; i++) {
      json_t *j = json_loads(lines[i], 0, NULL);
      json_t *p = j ? json_object_get(j, "path") : NULL;
      if (!json_is_string(p)) {
        json_decref(j);
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s: malformed file source log entry: %s", meta_dir, lines[i]);
        break;
      }
      int64_t ts = (int64_t)json_integer_value(json_object_get(j, "timestamp"));
      char *local = sp_uri_to_path(json_string_value(p));
      char *key = local ? strdup(file_key_(fi, local)) : NULL;
      free(local);
      if (seen_add_(&fi->seen, key, ts)) rc = oom_(err);
      json_decref(j);
    }
    sp_meta_log_lines_free(lines, n);
    if (!rc && seen_purge_(&fi->seen, fi->max_age_ms)) rc = oom_(err);
  }
  return rc;
}

static int file_prepare_available_now_(sp_source *s, spate_error *err) {
  file_impl *fi = s->impl;
  file_list_release_(&fi->an_files);
  int rc = list_all_(fi, &fi->an_files, err);
  if (!rc) fi->available_now = true;
  return rc;
}

static int parse_log_offset_(const char *json, int64_t *out, spate_error *err) {
  *out = -1;
  if (!json) return 0;
  json_t *j = json_loads(json, 0, NULL);
  json_t *v = j ? json_object_get(j, "logOffset") : NULL;
  if (!json_is_integer(v)) {
    json_decref(j);
    return spate_error_set(err, SPATE_ECHECKPOINT, "invalid file source offset '%s' (expected {\"logOffset\":N})",
                           json);
  }
  *out = (int64_t)json_integer_value(v);
  json_decref(j);
  return 0;
}

static char *format_offset_(int64_t n) {
  char buf[64];
  snprintf(buf, sizeof buf, "{\"logOffset\":%lld}", (long long)n);
  return strdup(buf);
}

static int cache_add_(file_impl *fi, int64_t id, char **paths, int n) {
  if (fi->ncache == fi->capcache) {
    int cap = fi->capcache ? fi->capcache * 2 : 8;
    log_batch *c = realloc(fi->cache, (size_t)cap * sizeof *c);
    if (!c) return SPATE_ENOMEM;
    fi->cache = c;
    fi->capcache = cap;
  }
  fi->cache[fi->ncache++] = (log_batch){id, n, paths};
  return 0;
}

static int file_latest_offset_(sp_source *s, const char *start, char **end, spate_error *err) {
  file_impl *fi = s->impl;
  (void)start; /* Spark's FileStreamSource answers from its own log position */
  *end = NULL;
  file_list listed = {0};
  const file_list *all = &listed;
  int rc = 0;
  if (fi->available_now) {
    all = &fi->an_files;
  } else {
    rc = list_all_(fi, &listed, err);
    if (rc) return rc;
  }
  /* Select new files within the read limit. */
  int *take = malloc(((size_t)all->n + 1) * sizeof *take);
  if (!take) {
    file_list_release_(&listed);
    return oom_(err);
  }
  int ntake = 0;
  int64_t bytes = 0;
  for (int i = 0; i < all->n && !rc; i++) {
    const file_ent *f = &all->v[i];
    if (f->mtime_ms < fi->seen.last_purge_ts) continue;
    if (seen_contains_(&fi->seen, file_key_(fi, f->path))) continue;
    if (fi->max_files && ntake >= fi->max_files) break;
    if (fi->max_bytes && ntake > 0 && bytes + f->size > fi->max_bytes) break;
    /* fileNameOnly: two new files with the same name in one listing count once */
    bool dup = false;
    if (fi->file_name_only) {
      const char *nm = strrchr(f->path, '/');
      nm = nm ? nm + 1 : f->path;
      for (int k = 0; k < ntake && !dup; k++) {
        const char *om = strrchr(all->v[take[k]].path, '/');
        if (strcmp(om ? om + 1 : all->v[take[k]].path, nm) == 0) dup = true;
      }
    }
    if (dup) continue;
    take[ntake++] = i;
    bytes += f->size;
  }
  if (!rc && ntake > 0) {
    int64_t id = fi->cur_log + 1;
    char **lines = calloc((size_t)ntake, sizeof *lines);
    char **paths = calloc((size_t)ntake, sizeof *paths);
    if (!lines || !paths) rc = oom_(err);
    for (int k = 0; k < ntake && !rc; k++) {
      const file_ent *f = &all->v[take[k]];
      char *uri = sp_path_to_uri(f->path);
      sp_buf b;
      sp_buf_init(&b);
      sp_buf_puts(&b, "{\"path\":");
      if (uri) sp_json_put_string(&b, uri);
      sp_buf_printf(&b, ",\"timestamp\":%lld,\"batchId\":%lld}", (long long)f->mtime_ms, (long long)id);
      free(uri);
      paths[k] = strdup(f->path);
      if (!uri || sp_buf_check(&b) || !paths[k]) {
        sp_buf_free(&b);
        rc = oom_(err);
        break;
      }
      lines[k] = sp_buf_steal(&b);
    }
    if (!rc) {
      rc = sp_meta_log_add(&fi->log, id, lines, ntake, err);
      if (rc == SPATE_EEXIST)
        rc = spate_error_set(err, SPATE_ECHECKPOINT,
                             "Concurrent update to the log. Multiple streaming jobs detected for %lld",
                             (long long)id);
    }
    for (int k = 0; k < ntake && !rc; k++) {
      const file_ent *f = &all->v[take[k]];
      if (seen_add_(&fi->seen, strdup(file_key_(fi, f->path)), f->mtime_ms)) rc = oom_(err);
    }
    if (!rc && seen_purge_(&fi->seen, fi->max_age_ms)) rc = oom_(err);
    if (!rc) {
      fi->cur_log = id;
      if (cache_add_(fi, id, paths, ntake)) {
        rc = oom_(err);
      } else {
        paths = NULL;
      }
    }
    if (lines)
      for (int k = 0; k < ntake; k++) free(lines[k]);
    free(lines);
    if (paths)
      for (int k = 0; k < ntake; k++) free(paths[k]);
    free(paths);
  } else if (!rc) {
    /* Nothing new: still purge, as Spark does on every fetch. */
    if (seen_purge_(&fi->seen, fi->max_age_ms)) rc = oom_(err);
  }
  free(take);
  file_list_release_(&listed);
  if (rc) return rc;
  if (fi->cur_log >= 0 && !(*end = format_offset_(fi->cur_log))) return oom_(err);
  return 0;
}

/* Files of log batch `id` (cache, else the log). *paths malloc'd array of malloc'd strings. */
static int batch_files_(file_impl *fi, int64_t id, char ***paths, int *n, spate_error *err) {
  *paths = NULL;
  *n = 0;
  for (int i = 0; i < fi->ncache; i++) {
    if (fi->cache[i].id != id) continue;
    char **p = calloc((size_t)fi->cache[i].n + 1, sizeof *p);
    if (!p) return oom_(err);
    for (int k = 0; k < fi->cache[i].n; k++) {
      if (!(p[k] = strdup(fi->cache[i].paths[k]))) {
        for (int j = 0; j < k; j++) free(p[j]);
        free(p);
        return oom_(err);
      }
    }
    *paths = p;
    *n = fi->cache[i].n;
    return 0;
  }
  char **lines = NULL;
  int nl = 0;
  int rc = sp_meta_log_read_batch(&fi->log, id, &lines, &nl, err);
  if (rc) return rc;
  char **p = calloc((size_t)nl + 1, sizeof *p);
  if (!p) rc = oom_(err);
  int w = 0;
  for (int i = 0; !rc && i < nl; i++) {
    json_t *j = json_loads(lines[i], 0, NULL);
    json_t *jp = j ? json_object_get(j, "path") : NULL;
    if (!json_is_string(jp)) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s/%lld: malformed file source log entry: %s", fi->log.dir,
                           (long long)id, lines[i]);
    } else if (!(p[w] = sp_uri_to_path(json_string_value(jp)))) {
      rc = oom_(err);
    } else {
      w++;
    }
    json_decref(j);
  }
  sp_meta_log_lines_free(lines, nl);
  if (rc) {
    if (p)
      for (int i = 0; i < w; i++) free(p[i]);
    free(p);
    return rc;
  }
  *paths = p;
  *n = w;
  return 0;
}

typedef struct decode_ctx {
  const file_impl *fi;
  const sp_type *final_schema;
  char **paths;
  sp_batch **out;
} decode_ctx;

static int decode_task_(void *vctx, int i, spate_error *err) {
  decode_ctx *c = vctx;
  const file_impl *fi = c->fi;
  const char *path = c->paths[i];
  char *data;
  size_t len;
  int rc = read_file_padded_(path, &data, &len, err);
  if (rc) return rc;
  sp_batch *b = sp_batch_new(fi->data_schema, 0);
  if (!b) {
    free(data);
    return oom_(err);
  }
  sp_decode_stats st = {0, 0, 0};
  switch (fi->fmt) {
    case FMT_JSON: rc = sp_json_decode_lines(data, len, &fi->fopts, path, 1, b, &st, err); break;
    case FMT_CSV: rc = sp_csv_decode_lines(data, len, &fi->fopts, path, 1, b, &st, err); break;
    case FMT_TEXT: rc = sp_text_decode_lines(data, len, b, &st, err); break;
  }
  free(data);
  if (!rc) rc = sp_batch_finish(b);
  if (rc) {
    if (rc == SPATE_ENOMEM) oom_(err);
    sp_batch_free(b);
    return rc;
  }
  if (fi->npart == 0) {
    c->out[i] = b;
    return 0;
  }
  /* Append the partition columns (constant per file). */
  int nd = b->ncols, nt = nd + fi->npart;
  sp_vec **cols = calloc((size_t)nt, sizeof *cols);
  char **keys = NULL, **vals = NULL;
  int nkv = 0;
  /* Partition values follow the listing root: the base path, or (glob) the whole
   * path, as in list_all_. */
  int root_len = fi->glob ? 0 : (int)strlen(fi->base);
  if (!cols || parse_partitions_(path, root_len, &keys, &vals, &nkv)) {
    free(cols);
    sp_batch_free(b);
    return oom_(err);
  }
  for (int k = 0; k < nd; k++) cols[k] = b->cols[k];
  for (int k = 0; k < fi->npart && !rc; k++) {
    const char *v = NULL;
    for (int j = 0; j < nkv; j++)
      if (strcasecmp(keys[j], fi->part_names[k]) == 0) v = vals[j];
    sp_vec *one = part_value_vec_(fi->part_types[k], v);
    cols[nd + k] = one ? sp_vec_repeat(one, 0, b->nrows) : NULL;
    sp_vec_free(one);
    if (!cols[nd + k]) rc = oom_(err);
  }
  free_kv_(keys, vals, nkv);
  if (rc) {
    for (int k = nd; k < nt; k++) sp_vec_free(cols[k]);
    free(cols);
    sp_batch_free(b);
    return rc;
  }
  sp_batch *out = sp_batch_from((sp_type *)c->final_schema, cols, nt, b->nrows);
  if (!out) {
    for (int k = nd; k < nt; k++) sp_vec_free(cols[k]);
    free(cols);
    sp_batch_free(b);
    return oom_(err);
  }
  b->ncols = 0; /* columns moved to out */
  sp_batch_free(b);
  free(cols);
  c->out[i] = out;
  return 0;
}

static int file_get_batch_(sp_source *s, const char *start, const char *end, sp_batch_list *out, spate_error *err) {
  file_impl *fi = s->impl;
  int64_t a, z;
  int rc = parse_log_offset_(start, &a, err);
  if (!rc) rc = parse_log_offset_(end, &z, err);
  if (rc) return rc;
  if (z > fi->cur_log)
    return spate_error_set(err, SPATE_ECHECKPOINT,
                           "file source log %s has no batch %lld (latest %lld): the checkpoint's sources/ directory "
                           "was modified",
                           fi->log.dir, (long long)z, (long long)fi->cur_log);
  char **all = NULL;
  int nall = 0, capall = 0;
  for (int64_t k = a + 1; k <= z && !rc; k++) {
    char **p;
    int n;
    rc = batch_files_(fi, k, &p, &n, err);
    if (rc) break;
    if (nall + n > capall) {
      int cap = capall ? capall : 16;
      while (cap < nall + n) cap *= 2;
      char **na = realloc(all, (size_t)cap * sizeof *na);
      if (!na) {
        for (int i = 0; i < n; i++) free(p[i]);
        free(p);
        rc = oom_(err);
        break;
      }
      all = na;
      capall = cap;
    }
    for (int i = 0; i < n; i++) all[nall++] = p[i];
    free(p);
  }
  sp_batch **outs = NULL;
  if (!rc && nall > 0) {
    outs = calloc((size_t)nall, sizeof *outs);
    if (!outs) rc = oom_(err);
  }
  if (!rc && nall > 0) {
    decode_ctx ctx = {fi, s->schema, all, outs};
    rc = sp_pool_run(fi->pool, nall, decode_task_, &ctx, err);
  }
  for (int i = 0; !rc && i < nall; i++) {
    sp_batch *b = outs[i];
    outs[i] = NULL;
    if (sp_batch_list_push(out, b)) rc = oom_(err); /* push frees b on failure */
  }
  if (outs) /* whatever was not handed over (failed decode or push) */
    for (int i = 0; i < nall; i++) sp_batch_free(outs[i]);
  free(outs);
  for (int i = 0; i < nall; i++) free(all[i]);
  free(all);
  return rc;
}

static void clean_file_(const file_impl *fi, const char *path) {
  if (fi->clean == CLEAN_DELETE) {
    if (unlink(path) != 0 && errno != ENOENT)
      fprintf(stderr, "spate: cleanSource: failed to remove %s: %s\n", path, strerror(errno));
    return;
  }
  size_t n = strlen(fi->archive_dir) + strlen(path) + 2;
  char *dst = malloc(n);
  if (!dst) return;
  const char *ad = fi->archive_dir;
  size_t al = strlen(ad);
  while (al > 1 && ad[al - 1] == '/') al--;
  snprintf(dst, n, "%.*s%s", (int)(al == 1 && ad[0] == '/' ? 0 : al), ad, path);
  char *slash = strrchr(dst, '/');
  if (slash && slash != dst) {
    *slash = '\0';
    sp_fs_mkdirs(dst, NULL);
    *slash = '/';
  }
  struct stat st;
  if (stat(dst, &st) == 0) {
    fprintf(stderr, "spate: cleanSource: fail to move %s to %s / skip moving file (target exists).\n", path, dst);
  } else if (rename(path, dst) != 0) {
    fprintf(stderr, "spate: cleanSource: fail to move %s to %s / skip moving file: %s\n", path, dst, strerror(errno));
  }
  free(dst);
}

static void file_commit_(sp_source *s, const char *end) {
  file_impl *fi = s->impl;
  int64_t z;
  if (parse_log_offset_(end, &z, NULL)) return;
  if (fi->clean != CLEAN_OFF && z >= 0) {
    char **paths;
    int n;
    spate_error e;
    spate_error_clear(&e);
    if (batch_files_(fi, z, &paths, &n, &e) == 0) {
      for (int i = 0; i < n; i++) clean_file_(fi, paths[i]);
      for (int i = 0; i < n; i++) free(paths[i]);
      free(paths);
    } else {
      fprintf(stderr, "spate: cleanSource: %s\n", e.message);
    }
  }
  /* Drop cached batches up to the committed one. */
  int w = 0;
  for (int i = 0; i < fi->ncache; i++) {
    if (fi->cache[i].id <= z) {
      for (int k = 0; k < fi->cache[i].n; k++) free(fi->cache[i].paths[k]);
      free(fi->cache[i].paths);
    } else {
      fi->cache[w++] = fi->cache[i];
    }
  }
  fi->ncache = w;
}

/* JSON: unread data columns are not parsed (format.h, sp_format_opts.prune). */
static int file_prune_(sp_source *s, const bool *required) {
  file_impl *fi = s->impl;
  int nd = fi->data_schema->nfields;
  bool *p = calloc((size_t)(nd ? nd : 1), sizeof *p);
  if (!p) return SPATE_ENOMEM;
  bool any = false;
  for (int i = 0; i < nd; i++) {
    p[i] = !required[i];
    any |= p[i];
  }
  free(fi->prune);
  fi->prune = any ? p : NULL;
  if (!any) free(p);
  fi->fopts.prune = fi->prune;
  return 0;
}

const sp_source_vtab sp_json_source_vtab = {
    "json", json_options_, true, json_create_, file_open_, file_prepare_available_now_, file_latest_offset_,
    file_get_batch_, file_commit_, file_close_, file_prune_, NULL};
const sp_source_vtab sp_csv_source_vtab = {
    "csv", csv_options_, true, csv_create_, file_open_, file_prepare_available_now_, file_latest_offset_,
    file_get_batch_, file_commit_, file_close_, NULL, NULL};
const sp_source_vtab sp_text_source_vtab = {
    "text", text_options_, true, text_create_, file_open_, file_prepare_available_now_, file_latest_offset_,
    file_get_batch_, file_commit_, file_close_, NULL, NULL};
