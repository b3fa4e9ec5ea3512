/*
 * plan.h - the catalog of views and the analyzed, immutable query plan.
 *
 * The analyzer (analyzer.c) turns a SELECT over views into a tree of sp_node:
 *
 *   SCAN(source i) -> [WATERMARK] -> FILTER / PROJECT ... -> [AGGREGATE -> FILTER/PROJECT ...]
 *
 * Today the executor runs a single chain (one child per node); joins will add
 * two-child nodes. Plans never change after analysis: per-query execution state
 * (state stores, open sources) lives in the runtime (src/runtime/query.c), so the
 * same plan can be explained, started, and restarted.
 */
#ifndef SPATE_PLAN_PLAN_H
#define SPATE_PLAN_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "expr/expr.h"
#include "runtime/conf.h"
#include "sink/sink.h"
#include "source/source.h"
#include "sql/ast.h"

/* ---- catalog ---- */

typedef struct sp_view {
  char *name;                   /* owned */
  const sp_ast_stmt *stmt;      /* SOURCE_VIEW or QUERY_VIEW statement (borrowed from its script) */
  const char *text;             /* the script text that stmt's positions refer to */
} sp_view;

typedef struct sp_catalog {
  sp_view *views;
  int n, cap;
} sp_catalog;

void sp_catalog_init(sp_catalog *c);
void sp_catalog_release(sp_catalog *c);
/* Add or replace (CREATE OR REPLACE) a view; a duplicate without OR REPLACE is an error
 * naming the view and its position. */
int sp_catalog_add(sp_catalog *c, const sp_ast_stmt *stmt, const char *text, spate_error *err);
const sp_view *sp_catalog_find(const sp_catalog *c, const char *name);

/* ---- plan ---- */

typedef enum sp_node_kind {
  SP_NODE_SCAN,
  SP_NODE_WATERMARK,
  SP_NODE_FILTER,
  SP_NODE_PROJECT,
  SP_NODE_AGGREGATE,
  SP_NODE_TIME_WINDOW,
  SP_NODE_DEDUPLICATE,
  SP_NODE_UNION,          /* UNION ALL of child and right (same schema) */
  SP_NODE_JOIN,           /* child JOIN right (stream-stream: symmetric hash join with state;
                             stream-static: hash join against the static side, stateless) */
  SP_NODE_STATIC_SCAN,    /* a static table (plan->statics[source]), read every batch or cached */
} sp_node_kind;

typedef struct sp_node sp_node;
struct sp_node {
  sp_node_kind kind;
  sp_type *schema;        /* output schema (STRUCT), owned reference */
  sp_node *child;         /* NULL for SCAN */
  sp_node *right;         /* second input of a binary node (UNION), else NULL */
  /* SCAN */
  int source;             /* index into sp_plan.sources */
  /* WATERMARK: event-time column index in the child's schema and delay. */
  int wm_column;
  int64_t wm_delay_us;
  /* FILTER */
  sp_expr *predicate;
  /* PROJECT: one expr per output column; at most one is a GENERATOR (gen_index). */
  sp_expr **exprs;
  int nexprs;
  int gen_index;          /* -1: none */
  /* AGGREGATE: output columns = keys then aggregate results. */
  sp_expr **keys;
  int nkeys;
  sp_expr **aggs;         /* SP_EXPR_AGG nodes; args bound against the child schema */
  int naggs;
  int op_id;              /* stateful operator id (state/<op_id>/) */
  /* TIME_WINDOW (Spark's TimeWindowing: Expand + Filter): output = the child's
   * columns + `window` STRUCT<start, end>, one row per window that covers the row's
   * time (tumbling: one; sliding: up to ceil(duration/slide)); rows whose time is
   * NULL are dropped. win_expr is the bound window(...) call (sp_expr_as_window). */
  sp_expr *win_expr;
  /* TIME_WINDOW with session: Spark's session_window(time, gap): the output column
   * `session_window` is [t, t + gap) per row (merged per key by the aggregate);
   * win_expr is then the TIMESTAMP expression, the gap sess_gap_us or, when
   * sess_gap_expr is set, that STRING expression per row (rows whose gap is NULL,
   * zero or negative are dropped). */
  bool session;
  int64_t sess_gap_us;
  sp_expr *sess_gap_expr;
  /* DEDUPLICATE (dropDuplicates): keys[0..nkeys) are column refs (all columns when
   * none were named); output = input. within_watermark: dropDuplicatesWithinWatermark,
   * a key expires at event time + wm_delay_us (the input's watermark delay). */
  bool dedup_within_watermark;
  int pos;                /* SQL text position of the clause that made the node (errors) */
  /* JOIN (spark-semantics.md §6.4): output = the left (child) columns then the right
   * ones. jkeys_l[i] = jkeys_r[i] are the equi-join keys, bound against each side's
   * schema; join_cond is the rest of the ON condition over the output schema (NULL:
   * none). State eviction bounds: the event-time columns of each side (indexes in the
   * side's schema, -1 if none) and, from the condition, rightTime - leftTime >=
   * join_lo_us (join_has_lo) and <= join_hi_us (join_has_hi). */
  sp_ast_join_type join_type;
  sp_expr **jkeys_l, **jkeys_r;
  int njkeys;
  sp_expr *join_cond;
  int join_ltime, join_rtime;
  bool join_has_lo, join_has_hi;
  int64_t join_lo_us, join_hi_us;
  int join_static;        /* 0: stream-stream; 1: the right input is static; 2: the left one is */
  /* Event-time lineage (set by sp_analyze for every node): the output column that
   * carries the watermarked event time, or -1; et_window: that column is a window
   * STRUCT and its `end` is the time compared with the watermark. For AGGREGATE,
   * et_col is the index of the event-time grouping key (state eviction, append). */
  int et_col;
  bool et_window;
  /* A second watermarked column (-1: none): after a join both sides' event-time
   * columns carry the watermark (Spark keeps the metadata of both), so an aggregation
   * over the join may group by either; et_col is the first of them. */
  int et_alt;
  bool et_alt_window;
};

typedef struct sp_plan {
  sp_node *root;
  sp_source **sources;    /* owned; created at analysis (schemas fixed at start) */
  int nsources;
  bool has_aggregate;
  bool has_watermark;
  bool has_join;          /* a stream-stream join (Append mode only) */
  /* Static tables (CREATE TEMPORARY TABLE), owned: read by STATIC_SCAN nodes. */
  struct sp_static_table **statics;
  char **static_names;
  bool *static_cache;     /* read once per query run (option cache 'true') */
  int nstatics;
  int nstateful;          /* number of stateful operators */
} sp_plan;

typedef struct sp_analyze_opts {
  const sp_catalog *catalog;
  const sp_conf *conf;
} sp_analyze_opts;

/* Analyze `select` (positions refer to `text`). On success *out owns the plan. */
int sp_analyze(const sp_analyze_opts *opts, const sp_ast_select *select, const char *text, sp_plan **out,
               spate_error *err);
void sp_plan_free(sp_plan *p);

/* Check the output mode against the plan per Spark's UnsupportedOperationChecker and
 * the sink's supported modes; errors carry Spark's messages (spark-semantics.md §3). */
int sp_plan_check_output_mode(const sp_plan *p, sp_output_mode mode, const sp_sink_vtab *sink,
                              spate_error *err);

/* Event-time lineage: set et_col / et_window of every node (src/plan/event_time.c).
 * Called by sp_analyze. */
void sp_plan_event_time(sp_plan *p);
/* The same for one subtree (the planner needs it while building a join). */
void sp_plan_node_lineage(sp_node *n);
/* Whether stateful node n evicts state by event time (it has an event-time key, or
 * is dropDuplicatesWithinWatermark): such an operator drops late rows, and a
 * watermark advance makes it want a no-data batch. */
bool sp_node_evicts_by_event_time(const sp_node *n);
/* The AGGREGATE nodes of the plan, top-down (pre-order); returns how many there are
 * (at most cap are stored). */
int sp_plan_aggregates(const sp_plan *p, const sp_node **out, int cap);
/* The stateful operators (AGGREGATE, DEDUPLICATE, stream-stream JOIN) of the plan in
 * Spark's order for progress stateOperators (pre-order: the one nearest the sink
 * first); returns how many there are (at most cap are stored). */
int sp_plan_stateful_nodes(const sp_plan *p, const sp_node **out, int cap);
/* Spark 3.5's watermark propagation (WatermarkPropagator, PropagateWatermarkSimulator):
 * the input watermark (ms) of stateful operator `op` when the global watermark is
 * `global_ms`. A WATERMARK node outputs the global watermark; a stateless node the
 * min of its inputs' (inputs without one do not count); an operator's input is that
 * min and its output the same, except a stream-stream join, whose output is the min
 * of its input and its two state watermarks (W - hi for the left side, W + lo for the
 * right, from the ON condition's time bounds), since it may still emit rows that old.
 * A global watermark of 0 (the first batches) is 0 for every operator, and the result
 * is never negative (both as Spark). */
int64_t sp_plan_input_watermark(const sp_plan *p, const sp_node *op, int64_t global_ms);

/* Column pruning: tell each source which of its columns the plan reads
 * (src/plan/prune.c). Called by sp_analyze; 0 or SPATE_ENOMEM. */
int sp_plan_prune_columns(sp_plan *p);

/* Logical plan as text (spate explain). */
void sp_plan_explain(const sp_plan *p, sp_buf *out);

/* Structural equality of bound expressions (used to match GROUP BY keys). */
bool sp_expr_equal(const sp_expr *a, const sp_expr *b);

#endif
