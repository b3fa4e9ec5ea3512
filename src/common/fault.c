/*
 * fault.c - I/O fault injection (see fault.h and docs/fault-tolerance.md).
 *
 * Invariants (the same pattern as crash.c): SPATE_FAULT_AT is parsed once (first
 * wrapped call, under pthread_once); a malformed value disarms the injection and
 * says so on stderr once, so a typo never silently turns a fault test into a pass
 * (the tests also check for the "injected fault" line). Each op has one atomic call
 * counter; a spec fires on exactly the calls it names, even with concurrent callers.
 * Unarmed, a wrapped call costs one relaxed atomic load on top of the system call.
 */
#ifdef SPATE_CRASH_POINTS

#include "common/fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OP_OPEN, OP_WRITE, OP_FSYNC, OP_CLOSE, OP_RENAME, OP_MKDIR, OP_UNLINK, OP_READ, OP_COUNT } io_op;

static const char *const op_names_[OP_COUNT] = {"open", "write", "fsync", "close", "rename", "mkdir", "unlink",
                                                 "read"};

static const struct {
  const char *name;
  int value;
} errnos_[] = {{"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT}, {"EIO", EIO},       {"EROFS", EROFS},   {"EFBIG", EFBIG},
               {"EACCES", EACCES}, {"EPERM", EPERM},   {"ENOMEM", ENOMEM}, {"EMFILE", EMFILE}, {"ENFILE", ENFILE},
               {"ENOENT", ENOENT}, {"EEXIST", EEXIST}, {"EBADF", EBADF}};

#define MAX_SPECS_ 4
#define SHORT_ (-1) /* action: short write */

typedef struct fault_spec {
  io_op op;
  long long nth;
  bool from_nth; /* "+": every call from the nth on */
  int action;    /* errno value, or SHORT_ */
  const char *action_name;
} fault_spec;

static pthread_once_t once_ = PTHREAD_ONCE_INIT;
static atomic_int armed_; /* 1 when SPATE_FAULT_AT is valid */
static fault_spec specs_[MAX_SPECS_];
static int nspecs_;
static atomic_llong calls_[OP_COUNT];

static bool parse_one_(const char *s, size_t len, fault_spec *f) {
  char buf[96];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *c1 = strchr(buf, ':');
  if (!c1) return false;
  *c1 = '\0';
  int op = -1;
  for (int i = 0; i < OP_COUNT; i++)
    if (strcmp(buf, op_names_[i]) == 0) op = i;
  if (op < 0) return false;
  char *end = NULL;
  errno = 0;
  long long n = strtoll(c1 + 1, &end, 10);
  if (end == c1 + 1 || errno || n < 1) return false;
  f->op = (io_op)op;
  f->nth = n;
  f->from_nth = *end == '+';
  if (f->from_nth) end++;
  f->action = EIO;
  f->action_name = "EIO";
  if (*end == '\0') return true;
  if (*end != ':') return false;
  const char *act = end + 1;
  if (strcmp(act, "short") == 0) {
    if (f->op != OP_WRITE) return false;
    f->action = SHORT_;
    f->action_name = "short";
    return true;
  }
  for (size_t i = 0; i < sizeof errnos_ / sizeof *errnos_; i++)
    if (strcmp(act, errnos_[i].name) == 0) {
      f->action = errnos_[i].value;
      f->action_name = errnos_[i].name;
      return true;
    }
  return false;
}

static void parse_(void) {
  const char *v = getenv("SPATE_FAULT_AT");
  if (!v || !*v) return;
  int n = 0;
  bool ok = true;
  for (const char *p = v; ok;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    ok = n < MAX_SPECS_ && parse_one_(p, len, &specs_[n]);
    if (ok) n++;
    if (!comma) break;
    p = comma + 1;
  }
  if (!ok) {
    fprintf(stderr,
            "spate: WARN: ignoring malformed SPATE_FAULT_AT=%s (expected <op>:<nth>[+][:<ERRNO>|:short], comma-"
            "separated, at most %d; ops: open write fsync close rename mkdir unlink read)\n",
            v, MAX_SPECS_);
    return;
  }
  nspecs_ = n;
  atomic_store(&armed_, 1);
}

static void say_(io_op op, long long n, const char *action) {
  char msg[160];
  int len = snprintf(msg, sizeof msg, "spate: injected fault %s:%lld %s\n", op_names_[op], n, action);
  if (len > 0) {
    ssize_t w = write(2, msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1);
    (void)w;
  }
}

/* 0: no fault for this call; else the spec's action (errno value or SHORT_). */
static int hit_(io_op op) {
  pthread_once(&once_, parse_);
  if (!atomic_load_explicit(&armed_, memory_order_relaxed)) return 0;
  bool mine = false;
  for (int i = 0; i < nspecs_; i++) mine = mine || specs_[i].op == op;
  if (!mine) return 0;
  long long n = atomic_fetch_add(&calls_[op], 1) + 1;
  for (int i = 0; i < nspecs_; i++) {
    const fault_spec *f = &specs_[i];
    if (f->op == op && (n == f->nth || (f->from_nth && n > f->nth))) {
      say_(op, n, f->action_name);
      return f->action;
    }
  }
  return 0;
}

int sp_io_open(const char *path, int flags, mode_t mode) {
  int a = hit_(OP_OPEN);
  if (a) {
    errno = a;
    return -1;
  }
  return open(path, flags, mode);
}

ssize_t sp_io_write(int fd, const void *buf, size_t n) {
  int a = hit_(OP_WRITE);
  if (a == SHORT_ && n > 1) return write(fd, buf, n / 2);
  if (a > 0) {
    errno = a;
    return -1;
  }
  return write(fd, buf, n);
}

int sp_io_fsync(int fd) {
  int a = hit_(OP_FSYNC);
  if (a) {
    errno = a;
    return -1;
  }
  return fsync(fd);
}

int sp_io_close(int fd) {
  int a = hit_(OP_CLOSE);
  int rc = close(fd); /* the descriptor is released either way, as close(2) on an I/O error */
  if (a) {
    errno = a;
    return -1;
  }
  return rc;
}

int sp_io_rename(const char *from, const char *to, int noreplace) {
  int a = hit_(OP_RENAME);
  if (a) {
    errno = a;
    return -1;
  }
  return noreplace ? renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) : rename(from, to);
}

int sp_io_mkdir(const char *path, mode_t mode) {
  int a = hit_(OP_MKDIR);
  if (a) {
    errno = a;
    return -1;
  }
  return mkdir(path, mode);
}

ssize_t sp_io_read(int fd, void *buf, size_t n) {
  int a = hit_(OP_READ);
  if (a) {
    errno = a;
    return -1;
  }
  return read(fd, buf, n);
}

int sp_io_unlink(const char *path) {
  int a = hit_(OP_UNLINK);
  if (a) {
    errno = a;
    return -1;
  }
  return unlink(path);
}

#else
typedef int sp_fault_injection_disabled_; /* ISO C forbids an empty translation unit */
#endif
