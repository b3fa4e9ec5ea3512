/*
 * query.c - a streaming query: start-up validation, recovery from the
 * checkpoint, and the micro-batch loop (docs/design.md, "The micro-batch loop").
 *
 * Phases of one trigger, in order (spark-semantics.md §0, §7):
 *   1. wait for the trigger (processing-time ticks aligned to the interval);
 *   2. construct batch N: ask each source for its latest offset (read limits) —
 *      or, when recovering an uncommitted batch, reuse the recorded offsets;
 *   3. no new data -> no batch (Once/AvailableNow terminate, others wait);
 *   4. WAL: write offsets/N atomically (watermark, batch timestamp, frozen confs);
 *   5. execute: sources' rows (start, end] -> stateless operators per input
 *      partition -> [partial aggregation -> shuffle -> state merge per shuffle
 *      partition] -> sink.addBatch(N);
 *   6. write commits/N with the next watermark; tell sources they may discard;
 *   7. report StreamingQueryProgress; N := N + 1.
 * A crash anywhere before commits/N re-runs batch N with the same offsets and
 * timestamp on restart; sinks make the replay idempotent by batch id.
 *
 * Thread model: one thread per query runs the loop; operator tasks run on the
 * session pool. Public accessors take q->mu.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/crash.h"
#include "common/datetime.h"
#include "runtime/compat.h"
#include "runtime/progress.h"
#include "runtime/runtime.h"

/* ---- clocks ---- */

int64_t sp_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sp_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_status_(spate_query *q, const char *msg, bool data, bool trigger) {
  pthread_mutex_lock(&q->mu);
  snprintf(q->status_message, sizeof q->status_message, "%s", msg);
  q->is_data_available = data;
  q->is_trigger_active = trigger;
  pthread_mutex_unlock(&q->mu);
}

static bool stop_requested_(spate_query *q) {
  pthread_mutex_lock(&q->mu);
  bool s = q->stop_requested;
  pthread_mutex_unlock(&q->mu);
  return s;
}

/* Sleep until wall-clock `deadline_ms` or until stop is requested. */
/* Wait until the query's clock reaches deadline_ms (or a stop is requested). A custom
 * clock (tests) cannot wake us, so it is polled every 2 ms of real time. */
static void wait_until_(spate_query *q, int64_t deadline_ms) {
  pthread_mutex_lock(&q->mu);
  while (!q->stop_requested) {
    int64_t now = sp_query_now_ms(q);
    if (now >= deadline_ms) break;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t wait = q->clock.now_ms ? 2 : deadline_ms - now;
    ts.tv_sec += wait / 1000;
    ts.tv_nsec += (wait % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&q->cond, &q->mu, &ts);
  }
  pthread_mutex_unlock(&q->mu);
}

/* Sleep ms of real time (or until a stop): Spark's pollingDelay sleep between
 * triggers that found no data, which is not on the trigger clock. */
static void sleep_real_(spate_query *q, int64_t ms) {
  pthread_mutex_lock(&q->mu);
  if (!q->stop_requested) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&q->cond, &q->mu, &ts);
  }
  pthread_mutex_unlock(&q->mu);
}

/* Copy the session's listeners (they may be added while queries run). */
static int listeners_(spate_query *q, spate_listener *out) {
  pthread_mutex_lock(&q->session->mu);
  int n = q->session->nlisteners;
  memcpy(out, q->session->listeners, (size_t)n * sizeof *out);
  pthread_mutex_unlock(&q->session->mu);
  return n;
}

static void push_progress_(spate_query *q, char *json) {
  if (!json) return;
  spate_listener ls[16];
  int nl = listeners_(q, ls);
  for (int i = 0; i < nl; i++)
    if (ls[i].on_progress) ls[i].on_progress(ls[i].user, json);
  int64_t keep = 100;
  spate_error e;
  if (sp_conf_get_int(&q->conf, "spark.sql.streaming.numRecentProgressUpdates", &keep, &e) || keep < 1) keep = 100;
  pthread_mutex_lock(&q->mu);
  if (q->capprogress != (int)keep) {
    /* First use: allocate the ring. */
    if (!q->progress) {
      q->progress = calloc((size_t)keep, sizeof *q->progress);
      if (q->progress) q->capprogress = (int)keep;
    }
  }
  if (!q->progress) {
    pthread_mutex_unlock(&q->mu);
    free(json);
    return;
  }
  int slot = (q->progress_head + q->nprogress) % q->capprogress;
  if (q->nprogress == q->capprogress) {
    free(q->progress[q->progress_head]);
    slot = q->progress_head;
    q->progress_head = (q->progress_head + 1) % q->capprogress;
  } else {
    q->nprogress++;
  }
  q->progress[slot] = json;
  pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->mu);
}

/* ---- batch execution: src/runtime/executor.c ---- */

#define MAX_CHAIN 64

/* ---- checkpoint entries ---- */

static const char *const frozen_confs_[] = {
    "spark.sql.shuffle.partitions",
    "spark.sql.streaming.stateStore.providerClass",
    "spark.sql.streaming.multipleWatermarkPolicy",
    "spark.sql.streaming.aggregation.stateFormatVersion",
    "spark.sql.streaming.join.stateFormatVersion",
    "spark.sql.streaming.stateStore.compression.codec",
};
#define NFROZEN ((int)(sizeof frozen_confs_ / sizeof frozen_confs_[0]))

static int write_offsets_(spate_query *q, int64_t batch_id, int64_t wm_ms, int64_t ts_ms, char **ends,
                          spate_error *err) {
  sp_offset_entry e;
  memset(&e, 0, sizeof e);
  e.batch_watermark_ms = wm_ms;
  e.batch_timestamp_ms = ts_ms;
  e.nconf = NFROZEN;
  for (int i = 0; i < NFROZEN; i++) {
    e.conf_keys[i] = (char *)frozen_confs_[i];
    e.conf_values[i] = (char *)sp_conf_get(&q->conf, frozen_confs_[i]);
  }
  e.nsources = q->plan->nsources;
  e.source_offsets = ends;
  return sp_checkpoint_write_offsets(q->cp, batch_id, &e, err);
}

/* ---- the loop ---- */

typedef struct loop_state {
  int64_t batch_id;       /* id of the next batch to run */
  int64_t watermark_ms;   /* watermark for the next batch */
  int64_t prev_wm_ms;     /* watermark the last batch ran with: the next batch's late-row filter */
  /* Per WATERMARK node (sp_plan_watermark_nodes order), Spark's WatermarkTracker:
   * the node's watermark once known, and when it last saw rows (idle timeout). */
  int64_t node_wm[SP_MAX_WATERMARKS];
  bool node_known[SP_MAX_WATERMARKS];
  int64_t node_data_ms[SP_MAX_WATERMARKS];
  char **starts;          /* per source: end offset of the last committed batch (or NULL) */
  /* recovery: an uncommitted batch to re-run */
  bool replay;
  char **replay_ends;
  int64_t replay_ts_ms;
  int64_t replay_wm_ms;
} loop_state;

static void free_offsets_(char **v, int n) {
  if (!v) return;
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
}

static char **dup_offsets_(char *const *src, int n) {
  char **v = calloc((size_t)n + 1, sizeof *v);
  if (!v) return NULL;
  for (int i = 0; i < n; i++) v[i] = src[i] ? strdup(src[i]) : NULL;
  return v;
}

/* Decide where to start from the checkpoint (spark-semantics.md §7.4). */
static int recover_(spate_query *q, loop_state *ls, spate_error *err) {
  int ns = q->plan->nsources;
  ls->starts = calloc((size_t)ns + 1, sizeof *ls->starts);
  if (!ls->starts) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  int64_t L, C;
  int rc = sp_checkpoint_latest(q->cp, &L, &C, err);
  if (rc) return rc;
  if ((rc = sp_checkpoint_validate(q->cp, err))) return rc;
  if (L < 0) {
    ls->batch_id = 0;
    ls->watermark_ms = 0;
    return 0;
  }
  sp_offset_entry last;
  memset(&last, 0, sizeof last);
  rc = sp_checkpoint_read_offsets(q->cp, L, &last, err);
  if (rc) return rc;
  if (last.nsources != ns) {
    rc = spate_error_set(err, SPATE_ECHECKPOINT,
                         "There are [%d] sources in the checkpoint offsets and now there are [%d] sources requested "
                         "by the query. Cannot continue. (checkpoint %s)",
                         last.nsources, ns, q->checkpoint_dir);
    sp_offset_entry_free(&last);
    return rc;
  }
  /* Frozen confs come from the checkpoint. */
  for (int i = 0; i < last.nconf; i++) {
    const char *cur = sp_conf_get(&q->conf, last.conf_keys[i]);
    if (cur && strcmp(cur, last.conf_values[i]) != 0)
      fprintf(stderr,
              "spate: WARN: query %s: %s is %s in the checkpoint and %s in this session; using the checkpoint's "
              "value\n",
              q->id, last.conf_keys[i], last.conf_values[i], cur);
    sp_conf_set(&q->conf, last.conf_keys[i], last.conf_values[i]);
  }
  if (C == L) {
    int64_t next_wm = 0;
    rc = sp_checkpoint_read_commit(q->cp, C, &next_wm, err);
    if (!rc) {
      for (int i = 0; i < ns; i++) ls->starts[i] = last.source_offsets[i] ? strdup(last.source_offsets[i]) : NULL;
      ls->batch_id = L + 1;
      ls->watermark_ms = next_wm > last.batch_watermark_ms ? next_wm : last.batch_watermark_ms;
      ls->prev_wm_ms = last.batch_watermark_ms;
    }
    sp_offset_entry_free(&last);
    return rc;
  }
  /* Batch L was planned but not committed: re-run it with the recorded range. */
  if (C < L - 1)
    fprintf(stderr, "spate: WARN: query %s: latest commit %lld is behind latest offsets %lld by more than one\n",
            q->id, (long long)C, (long long)L);
  if (L > 0) {
    sp_offset_entry prev;
    memset(&prev, 0, sizeof prev);
    rc = sp_checkpoint_read_offsets(q->cp, L - 1, &prev, err);
    if (rc) {
      sp_offset_entry_free(&last);
      if (rc == SPATE_ENOTFOUND)
        return spate_error_set(err, SPATE_ECHECKPOINT, "checkpoint %s: batch %lld doesn't exist (offsets/%lld missing)",
                               q->checkpoint_dir, (long long)(L - 1), (long long)(L - 1));
      return rc;
    }
    for (int i = 0; i < ns; i++) ls->starts[i] = prev.source_offsets[i] ? strdup(prev.source_offsets[i]) : NULL;
    ls->prev_wm_ms = prev.batch_watermark_ms;
    sp_offset_entry_free(&prev);
  }
  ls->batch_id = L;
  ls->replay = true;
  ls->replay_ends = dup_offsets_(last.source_offsets, ns);
  ls->replay_ts_ms = last.batch_timestamp_ms;
  ls->replay_wm_ms = last.batch_watermark_ms;
  ls->watermark_ms = last.batch_watermark_ms;
  sp_offset_entry_free(&last);
  return ls->replay_ends ? 0 : spate_error_set(err, SPATE_ENOMEM, "out of memory");
}

/* The global watermark after a batch (spark-semantics.md §5.4, Spark's WatermarkTracker):
 * each WATERMARK node's watermark is max(its previous, max event time - delay) once it
 * saw rows, 0 while it never did; the global one is their min (or max, by
 * spark.sql.streaming.multipleWatermarkPolicy) and never decreases. Beyond Spark: a
 * node without rows for spate.watermark.idleTimeout stops holding the min back. */
static int64_t next_watermark_(spate_query *q, loop_state *ls, const sp_batch_stats *st, int64_t now_ms,
                               int64_t current) {
  const sp_node *wn[SP_MAX_WATERMARKS];
  int nw = sp_plan_watermark_nodes(q->plan, wn, SP_MAX_WATERMARKS);
  if (nw == 0) return current;
  const char *pol = sp_conf_get(&q->conf, "spark.sql.streaming.multipleWatermarkPolicy");
  bool use_max = pol && strcasecmp(pol, "max") == 0;
  int64_t idle_ms = -1;
  if (sp_conf_get(&q->conf, "spate.watermark.idleTimeout"))
    sp_conf_get_ms(&q->conf, "spate.watermark.idleTimeout", &idle_ms, NULL);
  for (int i = 0; i < nw; i++) {
    if (i < st->nwm && st->wm[i].count > 0) {
      int64_t cand = st->wm[i].max_ms - wn[i]->wm_delay_us / 1000;
      if (!ls->node_known[i] || cand > ls->node_wm[i]) ls->node_wm[i] = cand;
      ls->node_known[i] = true;
      ls->node_data_ms[i] = now_ms;
    } else if (!ls->node_known[i]) {
      ls->node_wm[i] = 0;
      ls->node_known[i] = true;
      if (!ls->node_data_ms[i]) ls->node_data_ms[i] = now_ms;
    }
  }
  bool any = false;
  int64_t chosen = 0;
  for (int i = 0; i < nw; i++) {
    if (!use_max && nw > 1 && idle_ms >= 0 && now_ms - ls->node_data_ms[i] > idle_ms) continue; /* idle input */
    if (!any || (use_max ? ls->node_wm[i] > chosen : ls->node_wm[i] < chosen)) chosen = ls->node_wm[i];
    any = true;
  }
  return any && chosen > current ? chosen : current;
}

static int open_execution_(spate_query *q, spate_error *err) {
  if (q->plan->nstatics > 0 &&
      !(q->static_rows = calloc((size_t)q->plan->nstatics, sizeof *q->static_rows)))
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  int64_t parts = 200;
  int rc = sp_conf_get_int(&q->conf, "spark.sql.shuffle.partitions", &parts, err);
  if (rc) return rc;
  if (parts < 1 || parts > 100000)
    return spate_error_set(err, SPATE_EINVAL, "spark.sql.shuffle.partitions must be between 1 and 100000, got %lld",
                           (long long)parts);
  q->shuffle_partitions = (int)parts;
  const sp_node *nodes[MAX_CHAIN];
  int n = sp_plan_stateful_nodes(q->plan, nodes, MAX_CHAIN);
  if (n > MAX_CHAIN)
    return spate_error_set(err, SPATE_EUNSUPPORTED, "a query may hold at most %d stateful operators, this one has %d",
                           MAX_CHAIN, n);
  /* Restart with a changed query: refuse incompatible state before any batch (runtime/compat.c). */
  if ((rc = sp_compat_check_state(q->cp, nodes, n, err))) return rc;
  if (n > 0 && !(q->ops = calloc((size_t)n, sizeof *q->ops)))
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++) {
    char sub[64];
    snprintf(sub, sizeof sub, "state/%d", nodes[i]->op_id);
    char *dir = sp_checkpoint_path(q->cp, sub);
    if (!dir) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
    sp_state_store_opts so = {10, 100};
    int64_t v;
    if (!sp_conf_get_int(&q->conf, "spark.sql.streaming.stateStore.minDeltasForSnapshot", &v, NULL)) so.snapshot_every = (int)v;
    if (!sp_conf_get_int(&q->conf, "spark.sql.streaming.minBatchesToRetain", &v, NULL)) so.retain = (int)v;
    rc = sp_stateful_new(nodes[i], q->shuffle_partitions, dir, &so, &q->ops[i], err);
    free(dir);
    if (rc) return rc;
    q->nops++;
  }
  return 0;
}

/* Spark's shouldRunAnotherBatch over the stateful operators: one that evicts by event
 * time (not an aggregation in Complete mode) wants a no-data batch when its input
 * watermark under the new global watermark passed the one it last evicted with. */
static bool wants_no_data_batch_(const spate_query *q, const loop_state *ls) {
  const char *on = sp_conf_get(&q->conf, "spark.sql.streaming.noDataMicroBatches.enabled");
  if (on && strcasecmp(on, "false") == 0) return false;
  for (int i = 0; i < q->nops; i++) {
    const sp_node *op = q->ops[i]->node;
    if (!sp_node_evicts_by_event_time(op) || (op->kind == SP_NODE_AGGREGATE && q->mode == SP_MODE_COMPLETE))
      continue;
    if (sp_plan_input_watermark(q->plan, op, ls->watermark_ms) > sp_plan_input_watermark(q->plan, op, ls->prev_wm_ms))
      return true;
  }
  return false;
}

static int run_loop_(spate_query *q, spate_error *err) {
  int ns = q->plan->nsources;
  loop_state ls;
  memset(&ls, 0, sizeof ls);
  char **ends = NULL;
  int rc = 0;
  set_status_(q, "Initializing sources", false, false);
  /* A source of another kind than the checkpoint's is refused before it reads its metadata. */
  rc = sp_compat_check_sources(q->cp, q->plan->sources, ns, false, err);
  for (int i = 0; i < ns && !rc; i++) {
    char sub[64];
    snprintf(sub, sizeof sub, "sources/%d", i);
    char *dir = sp_checkpoint_path(q->cp, sub);
    if (!dir) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
    rc = sp_fs_mkdirs(dir, err);
    sp_source *src = q->plan->sources[i];
    if (!rc && src->vt->open) rc = src->vt->open(src, dir, q->session->pool, err);
    free(dir);
  }
  if (rc) return rc;
  rc = recover_(q, &ls, err);
  if (!rc) rc = sp_compat_check_sources(q->cp, q->plan->sources, ns, true, err);
  if (!rc) rc = open_execution_(q, err);
  if (!rc && q->trigger == SP_TRIGGER_AVAILABLE_NOW)
    for (int i = 0; i < ns && !rc; i++)
      if (q->plan->sources[i]->vt->prepare_available_now)
        rc = q->plan->sources[i]->vt->prepare_available_now(q->plan->sources[i], err);
  int64_t min_retain = 100, polling_ms = 10;
  sp_conf_get_int(&q->conf, "spark.sql.streaming.minBatchesToRetain", &min_retain, NULL);
  sp_conf_get_ms(&q->conf, "spark.sql.streaming.pollingDelay", &polling_ms, NULL);
  int64_t interval = q->trigger == SP_TRIGGER_PROCESSING_TIME ? q->trigger_interval_ms : 0;
  while (!rc && !stop_requested_(q)) {
    /* 1. Trigger. */
    int64_t trigger_ms = sp_query_now_ms(q);
    int64_t mono0 = sp_mono_ms();
    int64_t prev_trigger_ms = sp_monitor_trigger_started(q, trigger_ms);
    pthread_mutex_lock(&q->mu);
    int64_t seq = ++q->trigger_seq;
    pthread_mutex_unlock(&q->mu);
    int64_t next_tick = interval > 0 ? (trigger_ms / interval) * interval + interval : 0;
    set_status_(q, "Getting offsets from sources", false, true);
    /* 2. Construct the batch. */
    free_offsets_(ends, ns);
    ends = NULL;
    int64_t ts_ms = trigger_ms, wm_ms = ls.watermark_ms;
    bool replaying = ls.replay;
    if (replaying) {
      ends = ls.replay_ends;
      ls.replay_ends = NULL;
      ls.replay = false;
      ts_ms = ls.replay_ts_ms;
      wm_ms = ls.replay_wm_ms;
    } else {
      ends = calloc((size_t)ns + 1, sizeof *ends);
      if (!ends) {
        rc = spate_error_set(err, SPATE_ENOMEM, "out of memory");
        break;
      }
      for (int i = 0; i < ns && !rc; i++) {
        sp_source *src = q->plan->sources[i];
        char msg[256];
        snprintf(msg, sizeof msg, "Getting offsets from %s", src->description);
        set_status_(q, msg, false, true);
        rc = src->vt->latest_offset(src, ls.starts[i], &ends[i], err);
        if (rc) spate_error_prefix(err, "%s", src->description);
      }
      if (rc) break;
    }
    int64_t d_latest = sp_mono_ms() - mono0;
    bool has_data = false;
    for (int i = 0; i < ns; i++)
      if (ends[i] && (!ls.starts[i] || strcmp(ends[i], ls.starts[i]) != 0)) has_data = true;
    /* A no-data batch runs when the watermark moved past the one the last batch
     * evicted with, so windows close without new input (spark-semantics.md §4.6). */
    bool no_data_batch = !has_data && !replaying && wants_no_data_batch_(q, &ls);
    if (!has_data && !replaying && !no_data_batch) {
      /* 3. No new data. */
      pthread_mutex_lock(&q->mu);
      q->idle_seq = seq;
      pthread_cond_broadcast(&q->cond);
      pthread_mutex_unlock(&q->mu);
      char *idle = sp_monitor_idle_progress(q, ls.batch_id, ls.starts, ends, wm_ms, trigger_ms, d_latest,
                                            sp_mono_ms() - mono0);
      if (idle) {
        push_progress_(q, idle);
        sp_monitor_notify_idle(q, trigger_ms);
      }
      if (q->trigger == SP_TRIGGER_ONCE || q->trigger == SP_TRIGGER_AVAILABLE_NOW) break;
      set_status_(q, "Waiting for data to arrive", false, false);
      if (interval > 0)
        wait_until_(q, next_tick);
      else
        sleep_real_(q, polling_ms);
      continue;
    }
    /* 4. Write-ahead log. */
    set_status_(q, "Writing offsets to log", true, true);
    int64_t mono1 = sp_mono_ms();
    if (!replaying) {
      rc = write_offsets_(q, ls.batch_id, wm_ms, ts_ms, ends, err);
      if (rc) break;
      if (ls.batch_id - min_retain > 0) sp_checkpoint_purge(q->cp, ls.batch_id - min_retain, NULL);
    }
    int64_t d_wal = sp_mono_ms() - mono1;
    /* 5. Execute. */
    set_status_(q, no_data_batch ? "No new data but cleaning up state" : "Processing new data", true, true);
    sp_batch_stats st;
    memset(&st, 0, sizeof st);
    /* Each stateful operator's input watermarks, propagated from the global ones
     * (spark-semantics.md §5.4): late rows by the previous batch's, eviction by this one's. */
    for (int i = 0; i < q->nops; i++) {
      const sp_node *op = q->ops[i]->node;
      q->ops[i]->wm.enabled = q->plan->has_watermark;
      q->ops[i]->wm.late_ms = sp_plan_input_watermark(q->plan, op, ls.prev_wm_ms);
      q->ops[i]->wm.evict_ms = sp_plan_input_watermark(q->plan, op, wm_ms);
    }
    rc = sp_execute_batch(q, ls.batch_id, ts_ms, ls.starts, ends, &st, err);
    sp_monitor_batch_read(q, st.input_rows, ns < SP_MAX_SOURCES ? ns : SP_MAX_SOURCES);
    if (rc) {
      spate_error_prefix(err, "batch %lld", (long long)ls.batch_id);
      break;
    }
    /* 6. Commit. */
    int64_t mono2 = sp_mono_ms();
    int64_t next_wm = next_watermark_(q, &ls, &st, sp_query_now_ms(q), wm_ms);
    SP_CRASH_POINT("batch.executed"); /* sink has batch N, commits/N not written */
    rc = sp_checkpoint_write_commit(q->cp, ls.batch_id, next_wm, err);
    if (rc) break;
    SP_CRASH_POINT("batch.committed"); /* commits/N durable; source cleanup, progress not done */
    for (int i = 0; i < ns; i++) {
      sp_source *src = q->plan->sources[i];
      if (src->vt->commit && ends[i]) src->vt->commit(src, ends[i]);
    }
    int64_t d_commit = sp_mono_ms() - mono2;
    /* 7. Progress. */
    sp_progress p;
    memset(&p, 0, sizeof p);
    p.id = q->id;
    p.run_id = q->run_id;
    p.name = q->name;
    p.timestamp_ms = trigger_ms;
    p.batch_id = ls.batch_id;
    p.batch_duration_ms = sp_mono_ms() - mono0;
    for (int i = 0; i < ns; i++) p.num_input_rows += st.input_rows[i];
    double secs_since = prev_trigger_ms < 0 ? 0 : (double)(trigger_ms - prev_trigger_ms) / 1000.0;
    p.input_rows_per_second = secs_since <= 0 ? 0.0 : (double)p.num_input_rows / secs_since;
    p.processed_rows_per_second =
        (double)p.num_input_rows / ((double)(p.batch_duration_ms > 0 ? p.batch_duration_ms : 1) / 1000.0);
    p.d_latest_offset = d_latest;
    p.d_wal_commit = d_wal;
    p.d_get_batch = st.d_get_batch;
    p.d_add_batch = st.d_add_batch;
    p.d_commit_offsets = d_commit;
    p.d_trigger_execution = p.batch_duration_ms;
    p.has_watermark = q->plan->has_watermark;
    p.has_event_time = st.has_event_time;
    p.et_max_ms = st.et_max;
    p.et_min_ms = st.et_min;
    p.et_avg_ms = st.et_avg;
    p.watermark_ms = wm_ms;
    p.nstate = q->nops < SP_MAX_STATE_OPS ? q->nops : SP_MAX_STATE_OPS;
    for (int i = 0; i < p.nstate; i++) {
      p.state_operator_name[i] = q->ops[i]->operator_name;
      sp_stateful_metrics(q->ops[i], &p.state[i]);
    }
    p.num_shuffle_partitions = q->shuffle_partitions;
    p.nsources = ns < SP_MAX_SOURCES ? ns : SP_MAX_SOURCES;
    for (int i = 0; i < p.nsources; i++) {
      p.src_description[i] = q->plan->sources[i]->description;
      p.src_start[i] = ls.starts[i];
      p.src_end[i] = ends[i];
      p.src_latest[i] = ends[i];
      p.src_rows[i] = st.input_rows[i];
      p.src_nmetrics[i] = sp_source_metrics(q->plan->sources[i], ends[i], p.src_metrics[i], SP_SOURCE_MAX_METRICS);
    }
    p.sink_description = q->sink->description;
    p.sink_output_rows = st.output_rows;
    push_progress_(q, sp_progress_json(&p, false));
    sp_monitor_batch_done(q, &p);
    pthread_mutex_lock(&q->mu);
    q->committed_batches++;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
    /* Advance. */
    for (int i = 0; i < ns; i++) {
      free(ls.starts[i]);
      ls.starts[i] = ends[i];
      ends[i] = NULL;
    }
    ls.batch_id++;
    ls.prev_wm_ms = wm_ms;
    ls.watermark_ms = next_wm;
    if (q->trigger == SP_TRIGGER_ONCE) break;
    if (interval > 0) {
      int64_t now = sp_query_now_ms(q);
      if (now > next_tick)
        fprintf(stderr,
                "spate: WARN: Current batch is falling behind. The trigger interval is %lld milliseconds, but spent "
                "%lld milliseconds\n",
                (long long)interval, (long long)(now - trigger_ms));
      else {
        set_status_(q, "Waiting for next trigger", false, false);
        wait_until_(q, next_tick);
      }
    }
  }
  free_offsets_(ends, ns);
  free_offsets_(ls.starts, ns);
  free_offsets_(ls.replay_ends, ns);
  return rc;
}

static int remove_tree_(const char *path);

static void *query_main_(void *arg) {
  spate_query *q = arg;
  spate_error err;
  spate_error_clear(&err);
  int rc = run_loop_(q, &err);
  sp_checkpoint_unlock(q->cp); /* a restart on this checkpoint may begin once we report termination */
  if (!rc && q->temp_checkpoint) remove_tree_(q->checkpoint_dir);
  /* Listeners hear about the termination before waiters are released. */
  spate_listener ls[16];
  int nl = listeners_(q, ls);
  for (int i = 0; i < nl; i++)
    if (ls[i].on_terminated) ls[i].on_terminated(ls[i].user, q->id, q->run_id, rc ? err.message : NULL);
  pthread_mutex_lock(&q->mu);
  q->active = false;
  q->terminated = true;
  q->exit_rc = rc;
  q->exit_err = err;
  if (rc)
    snprintf(q->status_message, sizeof q->status_message, "Terminated with exception: %.200s", err.message);
  else
    snprintf(q->status_message, sizeof q->status_message, "Stopped");
  q->is_trigger_active = false;
  q->is_data_available = false;
  pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->mu);
  spate_session *s = q->session;
  pthread_mutex_lock(&s->mu);
  if (!s->any_terminated) {
    s->any_terminated = true;
    s->last_terminated_rc = rc;
    s->last_terminated_err = err;
  }
  pthread_cond_broadcast(&s->terminated);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* ---- start / destroy ---- */

static int rm_entry_(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Remove a temporary checkpoint directory spate created (mkdtemp "spate-temp-"). */
static int remove_tree_(const char *path) {
  if (strstr(path, "/spate-temp-") == NULL) return -1;
  return nftw(path, rm_entry_, 16, FTW_DEPTH | FTW_PHYS);
}

void sp_query_destroy(spate_query *q) {
  if (!q) return;
  if (q->thread_started) pthread_join(q->thread, NULL);
  for (int i = 0; i < q->nprogress; i++) free(q->progress[(q->progress_head + i) % q->capprogress]);
  free(q->progress);
  for (int i = 0; i < q->nops; i++) sp_stateful_free(q->ops[i]);
  free(q->ops);
  if (q->static_rows && q->plan)
    for (int i = 0; i < q->plan->nstatics; i++) sp_batch_free(q->static_rows[i]);
  free(q->static_rows);
  sp_plan_free(q->plan);
  sp_sink_free(q->sink);
  sp_checkpoint_close(q->cp);
  sp_conf_release(&q->conf);
  free(q->checkpoint_dir);
  free(q->name);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cond);
  free(q);
}

int sp_query_start(spate_session *s, sp_query_spec *spec, spate_query **out, spate_error *err) {
  spate_query *q = calloc(1, sizeof *q);
  if (!q) {
    sp_plan_free(spec->plan);
    sp_sink_free(spec->sink);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->cond, NULL);
  q->session = s;
  pthread_mutex_lock(&s->mu);
  q->clock = s->clock;
  pthread_mutex_unlock(&s->mu);
  q->plan = spec->plan;
  q->sink = spec->sink;
  q->mode = spec->mode;
  q->trigger = spec->trigger;
  q->trigger_interval_ms = spec->trigger_interval_ms;
  int rc = sp_conf_copy(&q->conf, &s->conf);
  if (rc) goto fail_oom;
  if (spec->name && !(q->name = strdup(spec->name))) goto fail_oom;
  /* Same name already active in the session? */
  if (q->name) {
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->nqueries; i++) {
      spate_query *o = s->queries[i];
      if (o->name && strcmp(o->name, q->name) == 0 && spate_query_is_active(o)) {
        pthread_mutex_unlock(&s->mu);
        rc = spate_error_set(err, SPATE_EANALYSIS,
                             "Cannot start query with name %s as a query with that name is already active in this "
                             "SparkSession",
                             q->name);
        goto fail;
      }
    }
    pthread_mutex_unlock(&s->mu);
  }
  rc = sp_plan_check_output_mode(q->plan, q->mode, q->sink->vt, err);
  if (rc) goto fail;
  /* Checkpoint location: explicit, else spark.sql.streaming.checkpointLocation/<name or uuid>,
   * else a temporary directory for sinks that allow it. */
  if (spec->checkpoint) {
    q->checkpoint_dir = strdup(spec->checkpoint);
  } else if (sp_conf_get(&q->conf, "spark.sql.streaming.checkpointLocation")) {
    char uuid[37];
    sp_uuid4(uuid);
    size_t n = strlen(sp_conf_get(&q->conf, "spark.sql.streaming.checkpointLocation")) + 300;
    q->checkpoint_dir = malloc(n);
    if (q->checkpoint_dir)
      snprintf(q->checkpoint_dir, n, "%s/%s", sp_conf_get(&q->conf, "spark.sql.streaming.checkpointLocation"),
               q->name ? q->name : uuid);
  } else if (!q->sink->vt->needs_checkpoint) {
    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/spate-temp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
      rc = spate_error_set(err, SPATE_EIO, "cannot create a temporary checkpoint directory in %s: %s",
                           tmp && *tmp ? tmp : "/tmp", strerror(errno));
      goto fail;
    }
    q->checkpoint_dir = strdup(tmpl);
    q->temp_checkpoint = true;
  } else {
    rc = spate_error_set(err, SPATE_EANALYSIS,
                         "checkpointLocation must be specified either through option(\"checkpointLocation\", ...) "
                         "or SparkSession.conf.set(\"spark.sql.streaming.checkpointLocation\", ...) (SQL: "
                         "CHECKPOINT LOCATION '<path>')");
    goto fail;
  }
  if (!q->checkpoint_dir) goto fail_oom;
  rc = sp_checkpoint_open(q->checkpoint_dir, &q->cp, err);
  if (rc) goto fail;
  snprintf(q->id, sizeof q->id, "%s", q->cp->query_id);
  sp_uuid4(q->run_id);
  snprintf(q->sink->query_id, sizeof q->sink->query_id, "%s", q->id);
  rc = q->sink->vt->open ? q->sink->vt->open(q->sink, q->plan->root->schema, q->mode, err) : 0;
  if (rc) goto fail;
  snprintf(q->status_message, sizeof q->status_message, "Initializing StreamExecution");
  q->active = true;
  /* Register, then start the thread. */
  pthread_mutex_lock(&s->mu);
  if (s->nqueries == s->capqueries) {
    int cap = s->capqueries ? s->capqueries * 2 : 8;
    spate_query **nq = realloc(s->queries, (size_t)cap * sizeof *nq);
    if (!nq) {
      pthread_mutex_unlock(&s->mu);
      goto fail_oom;
    }
    s->queries = nq;
    s->capqueries = cap;
  }
  s->queries[s->nqueries++] = q;
  pthread_mutex_unlock(&s->mu);
  {
    spate_listener ls[16];
    int nl = listeners_(q, ls);
    for (int i = 0; i < nl; i++)
      if (ls[i].on_started) ls[i].on_started(ls[i].user, q->id, q->run_id, q->name);
  }
  if (pthread_create(&q->thread, NULL, query_main_, q) != 0) {
    pthread_mutex_lock(&s->mu);
    s->nqueries--;
    pthread_mutex_unlock(&s->mu);
    rc = spate_error_set(err, SPATE_ERUNTIME, "cannot start the query thread");
    goto fail;
  }
  q->thread_started = true;
  *out = q;
  return 0;
fail_oom:
  rc = spate_error_set(err, SPATE_ENOMEM, "out of memory");
fail:
  if (q->temp_checkpoint && q->checkpoint_dir) remove_tree_(q->checkpoint_dir);
  sp_query_destroy(q);
  return rc;
}
