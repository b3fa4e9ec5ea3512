/*
 * verify.c - `spate verify OUTPUT_DIR`: the exactly-once oracle of the fault-tolerance
 * tests (docs/fault-tolerance.md). It reads a file sink the only way a correct reader
 * may - through `<OUTPUT_DIR>/_spark_metadata` - and checks the integer field of every
 * JSON line (--field, default "seq") against expectations:
 *
 *   count, distinct count, min, max, sum (mod 2^64) and an order-independent
 *   xor-hash (XOR of splitmix64(value)), printing the first missing and the first
 *   duplicated value (with the files that hold it).
 *
 * The log reader is deliberately independent of src/checkpoint/meta_log.c, so a bug
 * there cannot hide from the oracle: the newest "<c>.compact" file plus the plain files
 * c+1..latest (each must exist), "v1" version line, one JSON entry per line,
 * "action":"delete" entries drop earlier adds of the same path. Every logged file must
 * exist with exactly its logged size (a short or missing file is an error); files not
 * named by the log (orphans of failed attempts, temp files) are never read.
 *
 * `spate verify --kafka BOOTSTRAP --topic TOPIC` applies the same checks to the JSON
 * values of a Kafka topic, read as a downstream consumer must read an exactly-once
 * sink: isolation.level=read_committed, every partition from its earliest offset to
 * its end (the last stable offset), so records of aborted or open transactions are
 * never counted. Duplicates are reported with their partitions.
 *
 * Exit status: 0 all expectations hold, 1 mismatch or unreadable sink, 2 usage.
 * No global state; everything is freed before returning (ASan-clean).
 */
#include "cli/verify.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "source/kafka_common.h"

typedef struct vopts {
  const char *dir;
  const char *kafka, *topic; /* --kafka BOOTSTRAP --topic TOPIC instead of dir */
  const char *field;
  bool has_count, has_distinct, has_min, has_max, has_sum, has_xor, has_range, quiet;
  int64_t count, distinct, min, max;
  uint64_t sum, xor_hash;
} vopts;

typedef struct logged_file {
  char *path;     /* local path, percent-decoded */
  int64_t size;   /* from the log */
  char *log_name; /* log file that added it */
  bool deleted;
} logged_file;

typedef struct rec {
  int64_t v;
  int file; /* index into files */
} rec;

typedef struct vstate {
  logged_file *files;
  int nfiles, capfiles;
  rec *recs;
  size_t nrecs, caprecs;
  int64_t bad_records;
  char first_bad[256];
} vstate;

static uint64_t mix_(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static int usage_(FILE *f) {
  fputs("usage: spate verify OUTPUT_DIR [--field NAME] [--expect-range A..B]\n"
        "                    [--expect-count N] [--expect-distinct N] [--expect-min A] [--expect-max B]\n"
        "                    [--expect-sum S] [--expect-xor 0xHEX] [--quiet]\n"
        "       spate verify --kafka BOOTSTRAP --topic TOPIC [the same options]\n"
        "\n"
        "Reads the file sink in OUTPUT_DIR only through OUTPUT_DIR/_spark_metadata (compact files\n"
        "honoured) and checks the integer field NAME (default seq) of every JSON line.\n"
        "With --kafka, reads every partition of TOPIC from the earliest offset to its end with\n"
        "isolation.level=read_committed (what an exactly-once sink's reader sees) and checks\n"
        "the field NAME of every JSON record value.\n"
        "  --expect-range A..B  every integer in [A, B] exactly once (sets count, distinct, min,\n"
        "                       max, sum and xor; other --expect-* options override)\n"
        "  --expect-*           individual expectations; sum is mod 2^64, xor is the XOR of\n"
        "                       splitmix64(value) over all records\n"
        "Prints the statistics, every mismatch, the first missing value and the first\n"
        "duplicated one. Exit status: 0 ok, 1 mismatch or unreadable sink, 2 usage.\n",
        f);
  return 2;
}

static bool parse_i64_(const char *s, int64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 0);
  if (errno || *end) return false;
  *out = v;
  return true;
}

static bool parse_u64_(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end) return false;
  *out = v;
  return true;
}

static int parse_args_(int argc, char **argv, vopts *o) {
  memset(o, 0, sizeof *o);
  o->field = "seq";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage_(stdout);
      return 1;
    }
    if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      o->quiet = true;
      continue;
    }
    if (a[0] != '-') {
      if (o->dir) {
        fprintf(stderr, "spate verify: unexpected argument '%s'\n", a);
        return 2;
      }
      o->dir = a;
      continue;
    }
    const char *v = NULL;
    char name[64];
    const char *eq = strchr(a, '=');
    if (eq && (size_t)(eq - a) < sizeof name) {
      memcpy(name, a, (size_t)(eq - a));
      name[eq - a] = '\0';
      v = eq + 1;
    } else {
      snprintf(name, sizeof name, "%s", a);
      if (i + 1 >= argc) {
        fprintf(stderr, "spate verify: %s needs a value\n", a);
        return 2;
      }
      v = argv[++i];
    }
    bool ok = true;
    if (!strcmp(name, "--kafka")) {
      o->kafka = v;
      ok = *v != '\0';
    } else if (!strcmp(name, "--topic")) {
      o->topic = v;
      ok = *v != '\0';
    } else if (!strcmp(name, "--field")) {
      o->field = v;
      ok = *v != '\0';
    } else if (!strcmp(name, "--expect-count")) {
      ok = parse_i64_(v, &o->count) && o->count >= 0;
      o->has_count = true;
    } else if (!strcmp(name, "--expect-distinct")) {
      ok = parse_i64_(v, &o->distinct) && o->distinct >= 0;
      o->has_distinct = true;
    } else if (!strcmp(name, "--expect-min")) {
      ok = parse_i64_(v, &o->min);
      o->has_min = true;
    } else if (!strcmp(name, "--expect-max")) {
      ok = parse_i64_(v, &o->max);
      o->has_max = true;
    } else if (!strcmp(name, "--expect-sum")) {
      int64_t sv;
      ok = parse_i64_(v, &sv) || parse_u64_(v, (uint64_t *)&sv);
      o->sum = (uint64_t)sv;
      o->has_sum = true;
    } else if (!strcmp(name, "--expect-xor")) {
      ok = parse_u64_(v, &o->xor_hash);
      o->has_xor = true;
    } else if (!strcmp(name, "--expect-range")) {
      const char *dots = strstr(v, "..");
      char lo[32];
      ok = dots && (size_t)(dots - v) < sizeof lo;
      if (ok) {
        memcpy(lo, v, (size_t)(dots - v));
        lo[dots - v] = '\0';
        int64_t a0, b0;
        ok = parse_i64_(lo, &a0) && parse_i64_(dots + 2, &b0) && a0 <= b0 && b0 - a0 < INT64_MAX;
        if (ok) {
          o->has_range = true;
          if (!o->has_min) o->min = a0;
          if (!o->has_max) o->max = b0;
        }
      }
    } else {
      fprintf(stderr, "spate verify: unknown option '%s' (see spate verify --help)\n", name);
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "spate verify: invalid value '%s' for %s\n", v, name);
      return 2;
    }
  }
  if (o->kafka || o->topic) {
    if (!o->kafka || !o->topic || o->dir) {
      fprintf(stderr, "spate verify: --kafka BOOTSTRAP and --topic TOPIC go together, without OUTPUT_DIR "
                      "(see spate verify --help)\n");
      return 2;
    }
  } else if (!o->dir) {
    fprintf(stderr, "spate verify: missing OUTPUT_DIR (see spate verify --help)\n");
    return 2;
  }
  if (o->has_range) {
    /* Every integer in [min, max] once; explicit --expect-* given earlier or later win. */
    uint64_t n = (uint64_t)o->max - (uint64_t)o->min + 1, sum = 0, x = 0;
    for (uint64_t k = 0; k < n; k++) {
      uint64_t v = (uint64_t)o->min + k;
      sum += v;
      x ^= mix_(v);
    }
    if (!o->has_count) o->count = (int64_t)n;
    if (!o->has_distinct) o->distinct = (int64_t)n;
    if (!o->has_sum) o->sum = sum;
    if (!o->has_xor) o->xor_hash = x;
    o->has_count = o->has_distinct = o->has_sum = o->has_xor = o->has_min = o->has_max = true;
  }
  return 0;
}

/* ---- the log ---- */

static char *read_all_(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t r = fread(buf + n, 1, cap - 1 - n, f);
    n += r;
    if (r == 0) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int hex_(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "file:///a%20b" -> "/a b" (malloc'd); NULL for other schemes. */
static char *uri_to_path_(const char *uri) {
  const char *p = uri;
  if (!strncmp(p, "file://", 7))
    p += 7;
  else if (!strncmp(p, "file:", 5))
    p += 5;
  else if (p[0] != '/')
    return NULL;
  size_t n = strlen(p);
  char *out = malloc(n + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '%' && i + 2 < n && hex_(p[i + 1]) >= 0 && hex_(p[i + 2]) >= 0) {
      out[o++] = (char)(hex_(p[i + 1]) * 16 + hex_(p[i + 2]));
      i += 2;
    } else {
      out[o++] = p[i];
    }
  }
  out[o] = '\0';
  return out;
}

static int add_file_(vstate *st, char *path, int64_t size, const char *log_name) {
  if (st->nfiles == st->capfiles) {
    int nc = st->capfiles ? st->capfiles * 2 : 64;
    logged_file *nf = realloc(st->files, (size_t)nc * sizeof *nf);
    if (!nf) return -1;
    st->files = nf;
    st->capfiles = nc;
  }
  char *ln = strdup(log_name);
  if (!ln) return -1;
  st->files[st->nfiles++] = (logged_file){path, size, ln, false};
  return 0;
}

/* Read one log file: version line, then entries. 0 ok, 1 error (printed). */
static int read_log_file_(vstate *st, const char *logdir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", logdir, name);
  size_t len = 0;
  char *data = read_all_(path, &len);
  if (!data) {
    fprintf(stderr, "spate verify: cannot read sink log %s: %s\n", path, strerror(errno ? errno : EIO));
    return 1;
  }
  int rc = 0, lineno = 0;
  char *line = data;
  while (line && !rc) {
    char *nl = memchr(line, '\n', len - (size_t)(line - data));
    size_t ll = nl ? (size_t)(nl - line) : len - (size_t)(line - data);
    lineno++;
    if (lineno == 1) {
      if (!(ll == 2 && line[0] == 'v' && line[1] == '1')) {
        fprintf(stderr, "spate verify: %s: line 1: expected log version \"v1\", found \"%.*s\"\n", path,
                (int)(ll > 40 ? 40 : ll), line);
        rc = 1;
      }
    } else if (ll > 0) {
      json_error_t je;
      json_t *j = json_loadb(line, ll, 0, &je);
      json_t *jp = j ? json_object_get(j, "path") : NULL;
      json_t *js = j ? json_object_get(j, "size") : NULL;
      json_t *ja = j ? json_object_get(j, "action") : NULL;
      const char *act = json_is_string(ja) ? json_string_value(ja) : NULL;
      if (!j || !json_is_string(jp) || !json_is_integer(js) || !act ||
          (strcmp(act, "add") && strcmp(act, "delete"))) {
        fprintf(stderr, "spate verify: %s: line %d: invalid sink log entry%s%s\n", path, lineno, j ? "" : ": ",
                j ? "" : je.text);
        rc = 1;
      } else {
        char *fp = uri_to_path_(json_string_value(jp));
        if (!fp) {
          fprintf(stderr, "spate verify: %s: line %d: unsupported path %s\n", path, lineno, json_string_value(jp));
          rc = 1;
        } else if (!strcmp(act, "delete")) {
          for (int i = 0; i < st->nfiles; i++)
            if (!st->files[i].deleted && !strcmp(st->files[i].path, fp)) st->files[i].deleted = true;
          free(fp);
        } else if (add_file_(st, fp, (int64_t)json_integer_value(js), name)) {
          free(fp);
          fprintf(stderr, "spate verify: out of memory\n");
          rc = 1;
        }
      }
      json_decref(j);
    }
    line = nl ? nl + 1 : NULL;
  }
  if (!rc && lineno == 0) {
    fprintf(stderr, "spate verify: %s: empty sink log file (truncated?)\n", path);
    rc = 1;
  }
  free(data);
  return rc;
}

static bool parse_id_(const char *s, size_t n, int64_t *id) {
  if (n == 0 || n > 18 || (s[0] == '0' && n > 1)) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *id = v;
  return true;
}

/* Collect the live files of the log. 0 ok, 1 error. *latest = -1 for no batches. */
static int read_log_(vstate *st, const char *out_dir, int64_t *latest, int64_t *compact, int *nlogs) {
  char logdir[4096];
  snprintf(logdir, sizeof logdir, "%s/_spark_metadata", out_dir);
  *latest = -1;
  *compact = -1;
  *nlogs = 0;
  DIR *d = opendir(logdir);
  if (!d) {
    if (errno == ENOENT) return 0; /* nothing committed yet */
    fprintf(stderr, "spate verify: cannot list %s: %s\n", logdir, strerror(errno));
    return 1;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *nm = de->d_name;
    size_t n = strlen(nm);
    int64_t id;
    if (n > 8 && !strcmp(nm + n - 8, ".compact") && parse_id_(nm, n - 8, &id)) {
      if (id > *compact) *compact = id;
      if (id > *latest) *latest = id;
    } else if (parse_id_(nm, n, &id)) {
      if (id > *latest) *latest = id;
    }
  }
  closedir(d);
  int rc = 0;
  char name[64];
  if (*compact >= 0) {
    snprintf(name, sizeof name, "%" PRId64 ".compact", *compact);
    rc = read_log_file_(st, logdir, name);
    (*nlogs)++;
  }
  for (int64_t k = *compact + 1; k <= *latest && !rc; k++) {
    snprintf(name, sizeof name, "%" PRId64, k);
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", logdir, name);
    struct stat sb;
    if (stat(p, &sb) != 0) {
      fprintf(stderr, "spate verify: sink log %s is missing (log runs to batch %" PRId64 ")\n", p, *latest);
      return 1;
    }
    rc = read_log_file_(st, logdir, name);
    (*nlogs)++;
  }
  return rc;
}

/* ---- data files ---- */

static int push_rec_(vstate *st, int64_t v, int file) {
  if (st->nrecs == st->caprecs) {
    size_t nc = st->caprecs ? st->caprecs * 2 : 4096;
    rec *nr = realloc(st->recs, nc * sizeof *nr);
    if (!nr) return -1;
    st->recs = nr;
    st->caprecs = nc;
  }
  st->recs[st->nrecs++] = (rec){v, file};
  return 0;
}

static int read_data_file_(vstate *st, int fi, const char *field) {
  const logged_file *f = &st->files[fi];
  size_t len = 0;
  char *data = read_all_(f->path, &len);
  if (!data) {
    fprintf(stderr, "spate verify: data file %s (logged in %s) cannot be read: %s\n", f->path, f->log_name,
            strerror(errno ? errno : EIO));
    return 1;
  }
  if ((int64_t)len != f->size) {
    fprintf(stderr, "spate verify: data file %s has %zu bytes, its log entry (%s) says %" PRId64 " (short file?)\n",
            f->path, len, f->log_name, f->size);
    free(data);
    return 1;
  }
  int rc = 0, lineno = 0;
  char *line = data;
  while (line && *line && !rc) {
    char *nl = memchr(line, '\n', len - (size_t)(line - data));
    size_t ll = nl ? (size_t)(nl - line) : len - (size_t)(line - data);
    lineno++;
    if (ll > 0) {
      json_t *j = json_loadb(line, ll, 0, NULL);
      json_t *v = j ? json_object_get(j, field) : NULL;
      if (json_is_integer(v)) {
        if (push_rec_(st, (int64_t)json_integer_value(v), fi)) {
          fprintf(stderr, "spate verify: out of memory\n");
          rc = 1;
        }
      } else {
        if (st->bad_records++ == 0)
          snprintf(st->first_bad, sizeof st->first_bad, "%s:%d: %.*s", f->path, lineno, (int)(ll > 80 ? 80 : ll),
                   line);
      }
      json_decref(j);
    }
    line = nl ? nl + 1 : NULL;
  }
  free(data);
  return rc;
}

/* ---- a Kafka topic ---- */

static int64_t mono_ms_(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One record value: a JSON object with an integer `field`. */
static int kafka_value_(vstate *st, const rd_kafka_message_t *m, int fi, const char *field) {
  json_t *j = m->payload ? json_loadb(m->payload, m->len, 0, NULL) : NULL;
  json_t *v = j ? json_object_get(j, field) : NULL;
  int rc = 0;
  if (json_is_integer(v)) {
    if (push_rec_(st, (int64_t)json_integer_value(v), fi)) {
      fprintf(stderr, "spate verify: out of memory\n");
      rc = 1;
    }
  } else if (st->bad_records++ == 0) {
    int n = m->payload ? (int)(m->len > 80 ? 80 : m->len) : 6;
    snprintf(st->first_bad, sizeof st->first_bad, "%s offset %" PRId64 ": %.*s", st->files[fi].path,
             (int64_t)m->offset, n, m->payload ? (const char *)m->payload : "(null)");
  }
  json_decref(j);
  return rc;
}

/* Every partition of `topic` (one `files` entry each, named topic-partition), read
 * committed, from the earliest offset up to the end each partition reports. */
static int read_kafka_(vstate *st, const char *bootstrap, const char *topic, const char *field) {
  char errstr[512], gid[64];
  snprintf(gid, sizeof gid, "spate-verify-%ld-%ld", (long)getpid(), (long)mono_ms_());
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  spate_error e;
  spate_error_clear(&e);
  const char *kv[][2] = {{"bootstrap.servers", bootstrap}, {"group.id", gid},
                         {"isolation.level", "read_committed"}, {"enable.partition.eof", "true"},
                         {"enable.auto.commit", "false"}, {"auto.offset.reset", "earliest"}};
  int rc = 0;
  for (size_t i = 0; i < sizeof kv / sizeof kv[0] && !rc; i++)
    rc = sp_kafka_conf_set(conf, kv[i][0], kv[i][1], "spate verify", &e);
  rd_kafka_t *rk = NULL;
  if (!rc && !(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr))) {
    fprintf(stderr, "spate verify: cannot create a Kafka consumer: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  if (rc) {
    fprintf(stderr, "spate verify: %s\n", e.message);
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t err = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : RD_KAFKA_RESP_ERR__FAIL;
  if (!err && (md->topic_cnt != 1 || md->topics[0].err))
    err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
  if (err) {
    fprintf(stderr, "spate verify: cannot read the metadata of topic %s at %s: %s\n", topic, bootstrap,
            rd_kafka_err2str(err));
    rc = 1;
  }
  int nparts = rc ? 0 : md->topics[0].partition_cnt;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts ? nparts : 1);
  for (int p = 0; p < nparts && !rc; p++) {
    int32_t id = md->topics[0].partitions[p].id;
    char name[600];
    snprintf(name, sizeof name, "%s-%d", topic, (int)id);
    if (add_file_(st, strdup(name), 0, "kafka")) {
      fprintf(stderr, "spate verify: out of memory\n");
      rc = 1;
    }
    rd_kafka_topic_partition_list_add(l, topic, id)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (md) rd_kafka_metadata_destroy(md);
  if (rkt) rd_kafka_topic_destroy(rkt);
  if (!rc && nparts && (err = rd_kafka_assign(rk, l))) {
    fprintf(stderr, "spate verify: cannot assign %s: %s\n", topic, rd_kafka_err2str(err));
    rc = 1;
  }
  rd_kafka_topic_partition_list_destroy(l);
  /* Until every partition reported its end (a read_committed consumer stops at the
   * last stable offset); 30 s without any record or event is an error. */
  bool *ended = calloc((size_t)(nparts ? nparts : 1), sizeof *ended);
  int left = nparts;
  int64_t deadline = mono_ms_() + 30000;
  while (!rc && left > 0) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      if (mono_ms_() > deadline) {
        fprintf(stderr, "spate verify: timed out reading topic %s (%d of %d partitions not at their end)\n", topic,
                left, nparts);
        rc = 1;
      }
      continue;
    }
    deadline = mono_ms_() + 30000;
    int fi = -1;
    for (int i = 0; i < st->nfiles; i++) {
      char name[600];
      snprintf(name, sizeof name, "%s-%d", topic, (int)m->partition);
      if (!strcmp(st->files[i].path, name)) fi = i;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (fi >= 0 && !ended[fi]) {
        ended[fi] = true;
        left--;
      }
    } else if (m->err) {
      fprintf(stderr, "spate verify: reading topic %s: %s\n", topic, rd_kafka_message_errstr(m));
      rc = 1;
    } else if (fi >= 0) {
      rc = kafka_value_(st, m, fi, field);
    }
    rd_kafka_message_destroy(m);
  }
  free(ended);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return rc;
}

static int cmp_rec_(const void *a, const void *b) {
  const rec *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? -1 : 1;
  return (x->file > y->file) - (x->file < y->file);
}

static const char *base_(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int sp_cli_verify(int argc, char **argv) {
  vopts o;
  int prc = parse_args_(argc, argv, &o);
  if (prc) return prc == 1 ? 0 : prc;
  vstate st;
  memset(&st, 0, sizeof st);
  int64_t latest = -1, compact = -1;
  int nlogs = 0, nlive = 0, rc;
  if (o.kafka) {
    rc = read_kafka_(&st, o.kafka, o.topic, o.field);
    nlive = st.nfiles;
  } else {
    rc = read_log_(&st, o.dir, &latest, &compact, &nlogs);
    for (int i = 0; i < st.nfiles && !rc; i++) {
      if (st.files[i].deleted) continue;
      nlive++;
      rc = read_data_file_(&st, i, o.field);
    }
  }
  int status = rc ? 1 : 0;
  if (!rc) {
    if (st.nrecs) qsort(st.recs, st.nrecs, sizeof *st.recs, cmp_rec_); /* recs is NULL when the sink is empty */
    int64_t n = (int64_t)st.nrecs, distinct = 0;
    uint64_t sum = 0, x = 0;
    for (size_t i = 0; i < st.nrecs; i++) {
      sum += (uint64_t)st.recs[i].v;
      x ^= mix_((uint64_t)st.recs[i].v);
      if (i == 0 || st.recs[i].v != st.recs[i - 1].v) distinct++;
    }
    int64_t mn = n ? st.recs[0].v : 0, mx = n ? st.recs[n - 1].v : 0;
    if (o.kafka)
      printf("verify: kafka topic %s: %d partitions read committed; field %s: ", o.topic, nlive, o.field);
    else
      printf("verify: %s: %d files via %d log files (latest batch %" PRId64 ", compact %" PRId64 "); field %s: ",
             o.dir, nlive, nlogs, latest, compact, o.field);
    printf("count=%" PRId64 " distinct=%" PRId64 " min=%" PRId64 " max=%" PRId64 " sum=%" PRIu64 " xor=0x%016" PRIx64
           "\n",
           n, distinct, mn, mx, sum, x);
    int bad = 0;
#define MISMATCH_(what, fmt, got, want)                                                              \
  do {                                                                                               \
    bad++;                                                                                           \
    printf("MISMATCH %s: got " fmt ", expected " fmt "\n", what, got, want);                         \
  } while (0)
    if (st.bad_records) {
      bad++;
      printf("MISMATCH records without an integer \"%s\": %" PRId64 " (first: %s)\n", o.field, st.bad_records,
             st.first_bad);
    }
    if (o.has_count && n != o.count) MISMATCH_("count", "%" PRId64, n, o.count);
    if (o.has_distinct && distinct != o.distinct) MISMATCH_("distinct", "%" PRId64, distinct, o.distinct);
    if (o.has_min && n && mn != o.min) MISMATCH_("min", "%" PRId64, mn, o.min);
    if (o.has_max && n && mx != o.max) MISMATCH_("max", "%" PRId64, mx, o.max);
    if (o.has_sum && sum != o.sum) MISMATCH_("sum", "%" PRIu64, sum, o.sum);
    if (o.has_xor && x != o.xor_hash) MISMATCH_("xor", "0x%016" PRIx64, x, o.xor_hash);
    if ((o.has_min || o.has_max) && n == 0) {
      bad++;
      printf("MISMATCH min/max: no records\n");
    }
    /* First duplicate: smallest value present more than once, with its files. */
    for (size_t i = 1; i < st.nrecs; i++) {
      if (st.recs[i].v != st.recs[i - 1].v) continue;
      size_t j = i - 1;
      int copies = 0;
      while (j + copies < st.nrecs && st.recs[j + copies].v == st.recs[i].v) copies++;
      printf("first duplicate: %s=%" PRId64 " (%d copies; in %s [log %s] and %s [log %s])\n", o.field,
             st.recs[i].v, copies, base_(st.files[st.recs[j].file].path), st.files[st.recs[j].file].log_name,
             base_(st.files[st.recs[i].file].path), st.files[st.recs[i].file].log_name);
      bad++; /* sequence numbers are unique: a duplicate always fails */
      break;
    }
    /* First missing: only meaningful for a dense expectation [min, max]. */
    bool dense = o.has_min && o.has_max && o.max >= o.min &&
                 (o.has_range || (o.has_distinct && (uint64_t)o.distinct == (uint64_t)o.max - (uint64_t)o.min + 1) ||
                  (o.has_count && (uint64_t)o.count == (uint64_t)o.max - (uint64_t)o.min + 1));
    if (dense) {
      int64_t want = o.min;
      bool found = false, complete = false;
      for (size_t i = 0; i < st.nrecs; i++) {
        int64_t v = st.recs[i].v;
        if (v < want) continue; /* below the range, or a duplicate */
        if (v > want) {
          found = true;
          break;
        }
        if (want == o.max) {
          complete = true;
          break;
        }
        want++;
      }
      if (!found && !complete) found = true; /* ran out of records before max */
      if (found) printf("first missing: %s=%" PRId64 "\n", o.field, want);
      for (size_t i = 0; i < st.nrecs; i++)
        if (st.recs[i].v < o.min || st.recs[i].v > o.max) {
          printf("first unexpected: %s=%" PRId64 " (outside %" PRId64 "..%" PRId64 ", in %s)\n", o.field,
                 st.recs[i].v, o.min, o.max, base_(st.files[st.recs[i].file].path));
          bad++;
          break;
        }
    }
    if (bad) {
      printf("FAILED: %d mismatch%s\n", bad, bad == 1 ? "" : "es");
      status = 1;
    } else if (!o.quiet) {
      printf("OK\n");
    }
  } else {
    printf(o.kafka ? "FAILED: the topic cannot be read\n" : "FAILED: the sink cannot be read through its log\n");
  }
  for (int i = 0; i < st.nfiles; i++) {
    free(st.files[i].path);
    free(st.files[i].log_name);
  }
  free(st.files);
  free(st.recs);
  return status;
}
