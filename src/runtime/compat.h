/*
 * compat.h - restart compatibility of a changed query with its checkpoint
 * (spark-semantics.md §8): per stateful operator a schema record
 * state/<op>/_metadata/schema written at first start and checked on restart.
 */
#ifndef SPATE_RUNTIME_COMPAT_H
#define SPATE_RUNTIME_COMPAT_H

#include "checkpoint/checkpoint.h"
#include <stdbool.h>

#include "plan/plan.h"
#include "spate/error.h"

/* Before any batch runs: on a fresh checkpoint write the record of every stateful
 * node in nodes[0..n); on a restart compare them with the stored ones and refuse
 * (SPATE_ECHECKPOINT, naming the operator, what changed, old and new value) a
 * changed operator kind, join type, key expressions or types, aggregate functions
 * or state value schema, an added or a removed stateful operator. */
int sp_compat_check_state(const sp_checkpoint *cp, const sp_node *const *nodes, int n, spate_error *err);

/* Each source i against its record sources/<i>/_source: refuse (SPATE_ECHECKPOINT,
 * naming both) a source of another kind than the one that wrote the checkpoint.
 * Missing records are written when write_missing (call it so once recovery accepted
 * the sources; before that, with false, to check before any source reads its
 * metadata). */
struct sp_source;
int sp_compat_check_sources(const sp_checkpoint *cp, struct sp_source *const *srcs, int n, bool write_missing,
                            spate_error *err);

#endif
