/*
 * fs.c - filesystem primitives of the checkpoint: mkdir -p, atomic file creation,
 * whole-file reads, batch-id listing, plus small helpers shared by the log code
 * (version lines, line cursor, random bytes, UUID v4).
 *
 * Invariants: a file written by sp_fs_write_atomic is either absent or complete
 * at its final name (written under a hidden temp name ".<name>.<random>.tmp" in
 * the same directory, fsync'ed, renamed, directory fsync'ed); on any failure the
 * temp file is removed. New files are 0600, new directories 0700. No global state.
 * Every system call of the write path goes through the sp_io_* wrappers
 * (common/fault.h) so tests can inject ENOSPC/EIO; a failure is reported as
 * "cannot write <final path>: <syscall> <path it was applied to>: <strerror>".
 */
#include "checkpoint/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint/ckpt_internal.h"
#include "common/crash.h"
#include "common/fault.h"

/* ---- small helpers ---- */

void sp_ckpt_random(void *buf, size_t n) {
  unsigned char *p = buf;
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(p + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    got += (size_t)r;
  }
  if (got == n) return;
  /* Fallback (no getrandom): splitmix64 over clock, pid and a stack address. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 48) ^
               (uint64_t)(uintptr_t)&ts;
  for (; got < n; got++) {
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    p[got] = (unsigned char)(z ^ (z >> 31));
  }
}

void sp_uuid4(char buf[37]) {
  unsigned char b[16];
  sp_ckpt_random(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  static const char hex[] = "0123456789abcdef";
  int o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) buf[o++] = '-';
    buf[o++] = hex[b[i] >> 4];
    buf[o++] = hex[b[i] & 15];
  }
  buf[o] = '\0';
}

bool sp_ckpt_parse_id(const char *name, size_t len, int64_t *id) {
  if (len == 0 || len > 18) return false; /* 18 digits always fit in int64 */
  if (name[0] == '0' && len > 1) return false;
  int64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + (name[i] - '0');
  }
  *id = v;
  return true;
}

void sp_ckpt_lines_init(sp_ckpt_lines *it, const char *text, size_t len) {
  it->text = text;
  it->len = len;
  it->pos = 0;
  it->lineno = 0;
}

bool sp_ckpt_lines_next(sp_ckpt_lines *it, sp_ckpt_line *line) {
  if (it->pos >= it->len) return false;
  const char *start = it->text + it->pos;
  const char *nl = memchr(start, '\n', it->len - it->pos);
  size_t n = nl ? (size_t)(nl - start) : it->len - it->pos;
  it->pos += n + (nl ? 1 : 0);
  if (n > 0 && start[n - 1] == '\r') n--;
  line->p = start;
  line->len = n;
  it->lineno++;
  return true;
}

void sp_ckpt_quote(const char *p, size_t len, char *out, size_t cap) {
  size_t n = len > 40 ? 40 : len;
  if (n + 4 > cap) n = cap > 4 ? cap - 4 : 0;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  if (n < len && o + 3 < cap) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

int sp_ckpt_check_version(const char *path, const sp_ckpt_line *line, int max_version, spate_error *err) {
  const char *p = line->p;
  size_t n = line->len;
  bool ok = n >= 2 && n <= 10 && p[0] == 'v';
  long long v = 0;
  for (size_t i = 1; ok && i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      ok = false;
    else
      v = v * 10 + (p[i] - '0');
  }
  if (ok && v <= 0) ok = false;
  if (!ok) {
    char q[64];
    sp_ckpt_quote(p, n, q, sizeof q);
    if (n == 0)
      return spate_error_set(err, SPATE_ECHECKPOINT,
                             "%s: line 1: missing log version line (expected \"v%d\", found an empty line)", path,
                             max_version);
    return spate_error_set(err, SPATE_ECHECKPOINT, "%s: line 1: missing log version line (expected \"v%d\", found: %s)",
                           path, max_version, q);
  }
  if (v > max_version)
    return spate_error_set(err, SPATE_ECHECKPOINT,
                           "%s: unsupported log version v%lld (this spate reads v%d); written by a newer spate?",
                           path, v, max_version);
  return 0;
}

/* ---- filesystem primitives ---- */

static int io_err_(spate_error *err, const char *what, const char *path, int e) {
  return spate_error_set(err, SPATE_EIO, "%s %s: %s", what, path, strerror(e));
}

int sp_fs_mkdirs(const char *path, spate_error *err) {
  if (!path || !*path) return spate_error_set(err, SPATE_EINVAL, "empty directory path");
  size_t n = strlen(path);
  char *p = malloc(n + 1);
  if (!p) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  memcpy(p, path, n + 1);
  int rc = 0;
  /* Create each prefix ending before a '/', then the whole path. */
  for (size_t i = 1; i <= n && !rc; i++) {
    if (i < n && p[i] != '/') continue;
    if (i < n && p[i - 1] == '/') continue; /* "a//b" */
    char save = p[i];
    p[i] = '\0';
    struct stat st0;
    if (stat(p, &st0) == 0 && S_ISDIR(st0.st_mode)) { /* exists: nothing to create */
      p[i] = save;
      continue;
    }
    if (sp_io_mkdir(p, 0700) != 0) {
      int e = errno;
      struct stat st;
      if (e == EEXIST) {
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) rc = io_err_(err, "cannot create directory", p, ENOTDIR);
      } else {
        rc = io_err_(err, "cannot create directory", p, e);
      }
    } else {
      /* A new directory's entry is durable only once its parent is synced (a file
       * renamed into it after a crash would otherwise hang off a lost directory). */
      char *slash = strrchr(p, '/');
      if (!slash) {
        rc = sp_fs_sync_dir(".", err);
      } else if (slash == p) {
        rc = sp_fs_sync_dir("/", err);
      } else {
        *slash = '\0';
        rc = sp_fs_sync_dir(p, err);
        *slash = '/';
      }
    }
    p[i] = save;
  }
  free(p);
  return rc;
}

int sp_fs_sync_dir(const char *dir, spate_error *err) {
  int fd = sp_io_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return spate_error_set(err, SPATE_EIO, "cannot sync directory %s: open: %s", dir, strerror(errno));
  int rc = 0;
  if (sp_io_fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
    rc = spate_error_set(err, SPATE_EIO, "cannot sync directory %s: fsync: %s", dir, strerror(errno));
  close(fd);
  return rc;
}

/* Directory part of path ("." when none) into a malloc'd string; *name = basename. */
static char *split_path_(const char *path, const char **name) {
  const char *slash = strrchr(path, '/');
  size_t dlen;
  const char *dir;
  if (!slash) {
    dir = ".";
    dlen = 1;
    *name = path;
  } else {
    dir = path;
    dlen = slash == path ? 1 : (size_t)(slash - path);
    *name = slash + 1;
  }
  char *d = malloc(dlen + 1);
  if (!d) return NULL;
  memcpy(d, dir, dlen);
  d[dlen] = '\0';
  return d;
}

/* write(2) until all of data is written: a short count (a full disk, a signal)
 * continues with the rest; the error of the failing call is returned. */
static int write_fully_(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t w = sp_io_write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return ENOSPC; /* no progress on a regular file: the disk is full */
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int sp_fs_write_atomic(const char *path, const void *data, size_t len, bool overwrite, spate_error *err) {
  return sp_fs_write_atomic_tagged(path, data, len, overwrite, NULL, err);
}

int sp_fs_write_atomic_tagged(const char *path, const void *data, size_t len, bool overwrite, const char *crash_tag,
                              spate_error *err) {
  const char *name;
  char *dir = split_path_(path, &name);
  if (!dir) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  if (!*name) {
    free(dir);
    return spate_error_set(err, SPATE_EINVAL, "cannot write %s: not a file name", path);
  }
  size_t tlen = strlen(dir) + strlen(name) + 32;
  char *tmp = malloc(tlen);
  if (!tmp) {
    free(dir);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  unsigned char rnd[8];
  sp_ckpt_random(rnd, sizeof rnd);
  unsigned long long r = 0;
  for (int i = 0; i < 8; i++) r = (r << 8) | rnd[i];
  snprintf(tmp, tlen, "%s/.%s.%016llx.tmp", dir, name, r);

  int e = 0, rc = 0;
  const char *step = "open"; /* the system call that failed, applied to tmp */
  bool created = false;
  int fd = sp_io_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    e = errno;
    goto fail;
  }
  created = true;
  step = "write";
  if ((e = write_fully_(fd, data, len / 2)) != 0) goto fail;
  SP_CRASH_POINT_TAGGED(crash_tag, "partial");
  if ((e = write_fully_(fd, (const char *)data + len / 2, len - len / 2)) != 0) goto fail;
  SP_CRASH_POINT_TAGGED(crash_tag, "written");
  step = "fsync";
  if (sp_io_fsync(fd) != 0) {
    e = errno;
    goto fail;
  }
  SP_CRASH_POINT_TAGGED(crash_tag, "synced");
  step = "close";
  int cfd = fd;
  fd = -1;
  if (sp_io_close(cfd) != 0) {
    e = errno;
    goto fail;
  }
  step = "rename";
  if (sp_io_rename(tmp, path, !overwrite) != 0) {
    e = errno;
    if (overwrite || !(e == EINVAL || e == ENOSYS || e == ENOTSUP || e == EPERM)) goto fail;
    /* Filesystem without RENAME_NOREPLACE: link() also refuses an existing target. */
    step = "link";
    if (link(tmp, path) != 0) {
      e = errno;
      goto fail;
    }
    unlink(tmp);
    e = 0;
  }
  SP_CRASH_POINT_TAGGED(crash_tag, "renamed");
  /* The file is complete under its final name; a failure to sync the directory
   * still fails the write (the rename may not survive a power loss). */
  rc = sp_fs_sync_dir(dir, err);
  if (rc) spate_error_prefix(err, "cannot write %s", path);
  free(dir);
  free(tmp);
  return rc;

fail:
  if (fd >= 0) close(fd);
  if (created) unlink(tmp); /* never leave a partial file behind, even under its temp name */
  if (e == EEXIST && created) /* RENAME_NOREPLACE / link: the final name exists */
    rc = spate_error_set(err, SPATE_EEXIST, "cannot write %s: %s", path, strerror(e));
  else
    rc = spate_error_set(err, SPATE_EIO, "cannot write %s: %s %s: %s", path, step, tmp, strerror(e));
  free(dir);
  free(tmp);
  return rc;
}

int sp_fs_read_all(const char *path, char **data, size_t *len, spate_error *err) {
  *data = NULL;
  if (len) *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return spate_error_set(err, SPATE_ENOTFOUND, "cannot read %s: %s", path, strerror(e));
    return io_err_(err, "cannot read", path, e);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return io_err_(err, "cannot read", path, e);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return io_err_(err, "cannot read", path, EISDIR);
  }
  size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory reading %s", path);
  }
  size_t n = 0;
  for (;;) {
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        close(fd);
        return spate_error_set(err, SPATE_ENOMEM, "out of memory reading %s", path);
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = sp_io_read(fd, buf + n, cap - 1 - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      close(fd);
      return io_err_(err, "cannot read", path, e);
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *data = buf;
  if (len) *len = n;
  return 0;
}

bool sp_fs_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int cmp_i64_(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int sp_fs_list_ids(const char *dir, const char *suffix, int64_t **ids, int *n, spate_error *err) {
  *ids = NULL;
  *n = 0;
  int cap = 16, cnt = 0;
  int64_t *arr = malloc((size_t)cap * sizeof *arr);
  if (!arr) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  DIR *d = opendir(dir);
  if (!d) {
    int e = errno;
    if (e == ENOENT) {
      *ids = arr;
      return 0;
    }
    free(arr);
    return io_err_(err, "cannot list", dir, e);
  }
  size_t slen = suffix ? strlen(suffix) : 0;
  struct dirent *de;
  for (;;) {
    errno = 0;
    de = readdir(d);
    if (!de) break;
    const char *nm = de->d_name;
    size_t len = strlen(nm);
    int64_t id;
    bool ok = sp_ckpt_parse_id(nm, len, &id);
    if (!ok && slen && len > slen && memcmp(nm + len - slen, suffix, slen) == 0)
      ok = sp_ckpt_parse_id(nm, len - slen, &id);
    if (!ok) continue;
    if (cnt == cap) {
      int64_t *na = cap < (1 << 29) ? realloc(arr, (size_t)cap * 2 * sizeof *arr) : NULL;
      if (!na) {
        closedir(d);
        free(arr);
        return spate_error_set(err, SPATE_ENOMEM, "out of memory");
      }
      arr = na;
      cap *= 2;
    }
    arr[cnt++] = id;
  }
  int e = errno;
  closedir(d);
  if (e) {
    free(arr);
    return io_err_(err, "cannot list", dir, e);
  }
  qsort(arr, (size_t)cnt, sizeof *arr, cmp_i64_);
  int m = 0;
  for (int i = 0; i < cnt; i++)
    if (m == 0 || arr[m - 1] != arr[i]) arr[m++] = arr[i];
  *ids = arr;
  *n = m;
  return 0;
}

int sp_fs_remove(const char *path, spate_error *err) {
  if (sp_io_unlink(path) != 0 && errno != ENOENT) return io_err_(err, "cannot remove", path, errno);
  return 0;
}
