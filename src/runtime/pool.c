/*
 * pool.c - worker thread pool. Task sets are queued FIFO; workers and the
 * submitter claim task indices with an atomic counter, so each index runs exactly
 * once. A task set is complete when `done` == n; the submitter waits on its own
 * condition. Invariant: a task set stays alive until its submitter returns, and the
 * submitter returns only after every task finished and no worker still holds it.
 */
#include "runtime/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct taskset {
  sp_task_fn fn;
  void *ctx;
  int n;
  atomic_int next;      /* next index to claim */
  int done;             /* guarded by pool mutex */
  int active;           /* workers inside drain_ for this set; guarded by pool mutex */
  int rc;               /* first failure */
  spate_error err;
  pthread_cond_t finished;
  struct taskset *qnext;
} taskset;

struct sp_pool {
  pthread_mutex_t mu;
  pthread_cond_t work;
  taskset *head, *tail;
  bool stopping;
  int nthreads;
  pthread_t *threads;
};

static void run_one_(sp_pool *p, taskset *ts, int i) {
  spate_error e;
  spate_error_clear(&e);
  int rc = ts->fn(ts->ctx, i, &e);
  pthread_mutex_lock(&p->mu);
  if (rc && !ts->rc) {
    ts->rc = rc;
    ts->err = e;
  }
  if (++ts->done == ts->n) pthread_cond_broadcast(&ts->finished);
  pthread_mutex_unlock(&p->mu);
}

/* Claim tasks of ts until none left. */
static void drain_(sp_pool *p, taskset *ts) {
  for (;;) {
    int i = atomic_fetch_add(&ts->next, 1);
    if (i >= ts->n) return;
    run_one_(p, ts, i);
  }
}

static void *worker_(void *arg) {
  sp_pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stopping && !p->head) pthread_cond_wait(&p->work, &p->mu);
    if (p->stopping && !p->head) break;
    taskset *ts = p->head;
    /* Dequeue once all indices are claimed; until then others may join in. */
    if (atomic_load(&ts->next) >= ts->n) {
      p->head = ts->qnext;
      if (!p->head) p->tail = NULL;
      continue;
    }
    ts->active++;
    pthread_mutex_unlock(&p->mu);
    drain_(p, ts);
    pthread_mutex_lock(&p->mu);
    if (p->head == ts) {
      p->head = ts->qnext;
      if (!p->head) p->tail = NULL;
    }
    if (--ts->active == 0) pthread_cond_broadcast(&ts->finished);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

sp_pool *sp_pool_new(int nthreads) {
  if (nthreads < 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = n > 1 ? (int)n - 1 : 0; /* the submitting thread is the extra worker */
  }
  sp_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work, NULL);
  p->threads = calloc((size_t)(nthreads ? nthreads : 1), sizeof *p->threads);
  if (!p->threads) {
    free(p);
    return NULL;
  }
  for (int i = 0; i < nthreads; i++) {
    if (pthread_create(&p->threads[i], NULL, worker_, p) != 0) break;
    p->nthreads++;
  }
  return p;
}

void sp_pool_free(sp_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stopping = true;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work);
  free(p->threads);
  free(p);
}

int sp_pool_size(const sp_pool *p) { return p ? p->nthreads + 1 : 1; }

int sp_pool_run(sp_pool *p, int n, sp_task_fn fn, void *ctx, spate_error *err) {
  if (n <= 0) return 0;
  if (!p || p->nthreads == 0 || n == 1) {
    int first = 0;
    for (int i = 0; i < n; i++) {
      spate_error e;
      spate_error_clear(&e);
      int rc = fn(ctx, i, &e);
      if (rc && !first) {
        first = rc;
        if (err) *err = e;
      }
    }
    return first;
  }
  taskset ts;
  memset(&ts, 0, sizeof ts);
  ts.fn = fn;
  ts.ctx = ctx;
  ts.n = n;
  atomic_init(&ts.next, 0);
  pthread_cond_init(&ts.finished, NULL);
  pthread_mutex_lock(&p->mu);
  if (p->tail)
    p->tail->qnext = &ts;
  else
    p->head = &ts;
  p->tail = &ts;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);

  drain_(p, &ts);

  pthread_mutex_lock(&p->mu);
  while (ts.done < ts.n || ts.active > 0) pthread_cond_wait(&ts.finished, &p->mu);
  /* Make sure the set is no longer queued before it goes out of scope. */
  taskset **pp = &p->head, *prev = NULL;
  while (*pp) {
    if (*pp == &ts) {
      *pp = ts.qnext;
      if (p->tail == &ts) p->tail = prev;
      break;
    }
    prev = *pp;
    pp = &(*pp)->qnext;
  }
  pthread_mutex_unlock(&p->mu);
  pthread_cond_destroy(&ts.finished);
  if (ts.rc && err) *err = ts.err;
  return ts.rc;
}
