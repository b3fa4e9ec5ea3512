/*
 * compat.h - restart compatibility of a changed query with its checkpoint
 * (spark-semantics.md §8): per stateful operator a schema record
 * state/<op>/_metadata/schema written at first start and checked on restart.
 */
#ifndef SPATE_RUNTIME_COMPAT_H
#define SPATE_RUNTIME_COMPAT_H

#include "checkpoint/checkpoint.h"
#include "plan/plan.h"
#include "spate/error.h"

/* Before any batch runs: on a fresh checkpoint write the record of every stateful
 * node in nodes[0..n); on a restart compare them with the stored ones and refuse
 * (SPATE_ECHECKPOINT, naming the operator, what changed, old and new value) a
 * changed operator kind, join type, key expressions or types, aggregate functions
 * or state value schema, an added or a removed stateful operator. */
int sp_compat_check_state(const sp_checkpoint *cp, const sp_node *const *nodes, int n, spate_error *err);

#endif
