/*
 * crash.c - named crash points (see crash.h and docs/fault-tolerance.md).
 *
 * Invariants: SPATE_CRASH_AT is parsed once (first hit, under pthread_once); a
 * malformed value disarms the points and says so on stderr once, so a typo never
 * silently turns a crash test into a pass - the test harness also checks that the
 * process died by SIGKILL. Hit counting is a single atomic counter for the armed
 * name; the kill happens on exactly one hit (the nth), even with concurrent hits.
 * This is the only place in the library that terminates the process: it simulates
 * `kill -9`, it is not error handling.
 */
#ifdef SPATE_CRASH_POINTS

#include "common/crash.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_ 128

static pthread_once_t once_ = PTHREAD_ONCE_INIT;
static atomic_int armed_;          /* 1 when SPATE_CRASH_AT is valid */
static char name_[NAME_MAX_];
static long long nth_;
static long long sleep_ms_ = -1;   /* >= 0: pause instead of kill */
static atomic_llong hits_;

static void say_(const char *what, const char *name, long long n) {
  char msg[256];
  int len = snprintf(msg, sizeof msg, "spate: %s point %s hit %lld\n", what, name, n);
  if (len > 0) {
    ssize_t w = write(2, msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1);
    (void)w;
  }
}

static void parse_(void) {
  const char *v = getenv("SPATE_CRASH_AT");
  if (!v || !*v) return;
  const char *c1 = strchr(v, ':');
  bool ok = c1 && c1 != v && (size_t)(c1 - v) < NAME_MAX_;
  char *end = NULL;
  long long n = ok ? strtoll(c1 + 1, &end, 10) : 0;
  ok = ok && end != c1 + 1 && n >= 1;
  if (ok && *end == ':') {
    const char *act = end + 1;
    if (strcmp(act, "kill") == 0) {
      sleep_ms_ = -1;
    } else if (strncmp(act, "sleep=", 6) == 0) {
      char *e2;
      long long ms = strtoll(act + 6, &e2, 10);
      ok = e2 != act + 6 && *e2 == '\0' && ms >= 0;
      sleep_ms_ = ms;
    } else {
      ok = false;
    }
  } else if (ok && *end != '\0') {
    ok = false;
  }
  if (!ok) {
    fprintf(stderr, "spate: WARN: ignoring malformed SPATE_CRASH_AT=%s (expected <point>:<nth>[:kill|:sleep=<ms>])\n",
            v);
    return;
  }
  memcpy(name_, v, (size_t)(c1 - v));
  name_[c1 - v] = '\0';
  nth_ = n;
  atomic_store(&armed_, 1);
}

static void sleep_ms_now_(long long ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

void sp_crash_point(const char *name) {
  pthread_once(&once_, parse_);
  if (!atomic_load_explicit(&armed_, memory_order_relaxed) || strcmp(name, name_) != 0) return;
  long long n = atomic_fetch_add(&hits_, 1) + 1;
  if (n != nth_) return;
  if (sleep_ms_ >= 0) {
    say_("pause", name, n);
    sleep_ms_now_(sleep_ms_);
    return;
  }
  say_("crash", name, n);
  raise(SIGKILL);
  _exit(137); /* not reached */
}

void sp_crash_point_tagged(const char *tag, const char *suffix) {
  if (!tag) return;
  pthread_once(&once_, parse_);
  if (!atomic_load_explicit(&armed_, memory_order_relaxed)) return;
  char full[NAME_MAX_ * 2];
  snprintf(full, sizeof full, "%s.%s", tag, suffix);
  sp_crash_point(full);
}

#else
typedef int sp_crash_points_disabled_; /* ISO C forbids an empty translation unit */
#endif
