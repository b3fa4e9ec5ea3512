/*
 * clock.c - the processing-time clock of a session (Spark's triggerClock) and a
 * manual clock for tests (Spark's ManualClock / StreamManualClock).
 *
 * A query copies its session's clock when it starts and reads processing time only
 * through sp_query_now_ms: trigger times, batch timestamps, processing-time ticks,
 * the idle-progress interval and the idle-input watermark timeout all follow it, so
 * a test can drive them without sleeping. Durations inside a batch (durationMs) stay
 * on the monotonic system clock: they measure work, not processing time.
 * Invariant: a manual clock never goes backwards.
 */
#include <pthread.h>
#include <stdlib.h>

#include "runtime/runtime.h"

struct spate_manual_clock {
  pthread_mutex_t mu;
  int64_t now_ms;
};

spate_manual_clock *spate_manual_clock_new(int64_t start_ms) {
  spate_manual_clock *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->mu, NULL);
  c->now_ms = start_ms;
  return c;
}

void spate_manual_clock_free(spate_manual_clock *c) {
  if (!c) return;
  pthread_mutex_destroy(&c->mu);
  free(c);
}

int64_t spate_manual_clock_now(spate_manual_clock *c) {
  pthread_mutex_lock(&c->mu);
  int64_t t = c->now_ms;
  pthread_mutex_unlock(&c->mu);
  return t;
}

void spate_manual_clock_advance(spate_manual_clock *c, int64_t ms) {
  if (ms <= 0) return;
  pthread_mutex_lock(&c->mu);
  c->now_ms += ms;
  pthread_mutex_unlock(&c->mu);
}

static int64_t manual_now_(void *user) { return spate_manual_clock_now(user); }

spate_clock spate_manual_clock_as_clock(spate_manual_clock *c) {
  spate_clock k = {manual_now_, c};
  return k;
}

void spate_session_set_clock(spate_session *s, const spate_clock *clock) {
  pthread_mutex_lock(&s->mu);
  if (clock) {
    s->clock = *clock;
  } else {
    s->clock.now_ms = NULL;
    s->clock.user = NULL;
  }
  pthread_mutex_unlock(&s->mu);
}

int64_t sp_query_now_ms(const spate_query *q) { return q->clock.now_ms ? q->clock.now_ms(q->clock.user) : sp_now_ms(); }
