/*
 * pool.h - fixed-size worker thread pool running "parallel for" task sets.
 * A session owns one pool (one worker per core by default); queries and sources
 * submit task sets and wait for them. The submitting thread runs tasks too, so a
 * pool of 0 workers is valid (everything runs inline) and nested use cannot deadlock.
 * Thread-safety: sp_pool_run may be called from several threads at once.
 */
#ifndef SPATE_RUNTIME_POOL_H
#define SPATE_RUNTIME_POOL_H

#include "spate/error.h"

typedef struct sp_pool sp_pool;

/* Task i of n. Return 0 or a negative code (with a message in err, which is task-private). */
typedef int (*sp_task_fn)(void *ctx, int i, spate_error *err);

/* nthreads < 0: one per online CPU. NULL on failure. */
sp_pool *sp_pool_new(int nthreads);
/* Waits for running task sets, joins the workers. */
void sp_pool_free(sp_pool *p);
int sp_pool_size(const sp_pool *p);
/* Run fn(ctx, i) for i in [0, n) across the pool and the calling thread; returns
 * when all finished. On failure returns the first failing task's code and copies
 * its message to err (other tasks still run to completion). */
int sp_pool_run(sp_pool *p, int n, sp_task_fn fn, void *ctx, spate_error *err);

#endif
