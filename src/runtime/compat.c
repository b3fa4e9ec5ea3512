/*
 * compat.c - restart compatibility of a changed query with its checkpoint
 * (spark-semantics.md §8; Spark's StateSchemaCompatibilityChecker and 3.5's
 * operator metadata check).
 *
 * At the first start of a query (no offsets/ entry yet) every stateful operator
 * records what its state means in `state/<op>/_metadata/schema`, one JSON object
 * written with sp_fs_write_atomic:
 *
 *   {"version":1,"operatorId":0,"operator":"stateStoreSave",
 *    "keys":"[(seq % 7)]","keySchema":"bigint","functions":"[count(1), sum(seq)]",
 *    "valueSchema":"count(1) bigint -> bigint, sum(seq) bigint -> bigint"}
 *
 * (joins add "joinType", and keys are "[left keys] = [right keys]"; their value
 * schemas are the two sides' row types). On every restart, before any batch runs,
 * the new plan's record is compared field by field with the stored one and a
 * difference is refused (SPATE_ECHECKPOINT) with a message naming the operator, the
 * field and both values. Also refused: a stateful operator that is new (the
 * checkpoint has batches but no state for it) or gone (state/<op>/ exists but the
 * plan has no such operator). Checkpoints written before this record existed
 * (state/<op>/ present, no _metadata) get the record written on restart.
 *
 * Sources: next to each source's own metadata, `sources/<i>/_source` records its
 * format and description ({"version":1,"format":"json","kind":"FileStreamSource",
 * "description":"FileStreamSource[file:/in]"}). A restart whose source i is of
 * another kind (the description's class, e.g. FileStreamSource -> KafkaV2) is
 * refused before the source reads its metadata, naming both; Spark fails later
 * with a parse error of the other source's offsets. Options (path, topics) may
 * change, as in Spark. Names starting with '_' are skipped by the metadata logs.
 *
 * Spark compares key/value schemas by field count and types only; spate also
 * compares the grouping/join/dedup key expressions and the aggregate functions
 * (as explain text), so `GROUP BY a` -> `GROUP BY b` of the same type is refused
 * instead of silently merging unrelated state. Filters, projections and sinks are
 * not recorded: changing them is allowed (unless it changes a recorded field).
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/checkpoint.h"
#include "common/buf.h"
#include "plan/plan.h"
#include "runtime/compat.h"
#include "source/source.h"

#define COMPAT_VERSION 1

static const char *op_name_(const sp_node *n) {
  switch (n->kind) {
    case SP_NODE_AGGREGATE: return "stateStoreSave";
    case SP_NODE_DEDUPLICATE: return n->dedup_within_watermark ? "dedupeWithinWatermark" : "dedupe";
    case SP_NODE_JOIN: return "symmetricHashJoin";
    default: return "unknown";
  }
}

static const char *join_type_name_(sp_ast_join_type t) {
  switch (t) {
    case SP_JOIN_INNER: return "Inner";
    case SP_JOIN_LEFT: return "LeftOuter";
    case SP_JOIN_RIGHT: return "RightOuter";
    case SP_JOIN_FULL: return "FullOuter";
    case SP_JOIN_LEFT_SEMI: return "LeftSemi";
    case SP_JOIN_LEFT_ANTI: return "LeftAnti";
    case SP_JOIN_CROSS: return "Cross";
    default: return "Other";
  }
}

static void put_type_(sp_buf *b, const sp_type *t) {
  char tmp[512];
  size_t need = sp_type_to_string(t, tmp, sizeof tmp);
  if (need < sizeof tmp) {
    sp_buf_puts(b, tmp);
    return;
  }
  char *big = malloc(need + 1);
  if (!big) {
    sp_buf_puts(b, "?");
    return;
  }
  sp_type_to_string(t, big, need + 1);
  sp_buf_puts(b, big);
  free(big);
}

static void put_exprs_(sp_buf *b, sp_expr *const *es, int n, const sp_type *input) {
  sp_buf_putc(b, '[');
  for (int i = 0; i < n; i++) {
    if (i) sp_buf_puts(b, ", ");
    sp_expr_explain(es[i], input, b);
  }
  sp_buf_putc(b, ']');
}

static void put_expr_types_(sp_buf *b, sp_expr *const *es, int n) {
  for (int i = 0; i < n; i++) {
    if (i) sp_buf_puts(b, ", ");
    put_type_(b, es[i]->type);
  }
}

/* Field types of a STRUCT, names left out (Spark: names may differ). */
static void put_row_types_(sp_buf *b, const sp_type *st) {
  sp_buf_putc(b, '<');
  for (int i = 0; st && i < st->nfields; i++) {
    if (i) sp_buf_puts(b, ", ");
    put_type_(b, st->fields[i].type);
  }
  sp_buf_putc(b, '>');
}

static int set_buf_(json_t *o, const char *key, sp_buf *b) {
  if (sp_buf_check(b)) return SPATE_ENOMEM;
  int rc = json_object_set_new(o, key, json_string(b->data ? b->data : "")) ? SPATE_ENOMEM : 0;
  sp_buf_reset(b);
  return rc;
}

/* The record of stateful node n (NULL on OOM). */
static json_t *record_(const sp_node *n) {
  json_t *o = json_object();
  if (!o) return NULL;
  int rc = 0;
  sp_buf b;
  sp_buf_init(&b);
  json_object_set_new(o, "version", json_integer(COMPAT_VERSION));
  json_object_set_new(o, "operatorId", json_integer(n->op_id));
  json_object_set_new(o, "operator", json_string(op_name_(n)));
  const sp_type *in = n->child ? n->child->schema : NULL;
  if (n->kind == SP_NODE_AGGREGATE || n->kind == SP_NODE_DEDUPLICATE) {
    put_exprs_(&b, n->keys, n->nkeys, in);
    rc = rc ? rc : set_buf_(o, "keys", &b);
    put_expr_types_(&b, n->keys, n->nkeys);
    rc = rc ? rc : set_buf_(o, "keySchema", &b);
  }
  if (n->kind == SP_NODE_AGGREGATE) {
    put_exprs_(&b, n->aggs, n->naggs, in);
    rc = rc ? rc : set_buf_(o, "functions", &b);
    /* The aggregation buffers depend on each function and its argument types. */
    for (int i = 0; i < n->naggs; i++) {
      const sp_expr *a = n->aggs[i];
      if (i) sp_buf_puts(&b, ", ");
      sp_expr_explain(a, in, &b);
      for (int j = 0; j < a->nargs; j++) {
        sp_buf_puts(&b, j ? ", " : " ");
        put_type_(&b, a->args[j]->type);
      }
      sp_buf_puts(&b, " -> ");
      put_type_(&b, a->type);
    }
    rc = rc ? rc : set_buf_(o, "valueSchema", &b);
  } else if (n->kind == SP_NODE_JOIN) {
    json_object_set_new(o, "joinType", json_string(join_type_name_(n->join_type)));
    put_exprs_(&b, n->jkeys_l, n->njkeys, n->child->schema);
    sp_buf_puts(&b, " = ");
    put_exprs_(&b, n->jkeys_r, n->njkeys, n->right->schema);
    rc = rc ? rc : set_buf_(o, "keys", &b);
    put_expr_types_(&b, n->jkeys_l, n->njkeys);
    rc = rc ? rc : set_buf_(o, "keySchema", &b);
    sp_buf_puts(&b, "left ");
    put_row_types_(&b, n->child->schema);
    sp_buf_puts(&b, ", right ");
    put_row_types_(&b, n->right->schema);
    rc = rc ? rc : set_buf_(o, "valueSchema", &b);
  }
  sp_buf_free(&b);
  if (rc) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static const char *str_(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

/* Fields compared, in order, with how a difference is named. */
static const struct {
  const char *key, *what;
} FIELDS_[] = {
    {"operator", "operator"},
    {"joinType", "join type"},
    {"keys", "keys"},
    {"keySchema", "key schema"},
    {"functions", "aggregate functions"},
    {"valueSchema", "state value schema"},
};

static int incompatible_(spate_error *err, const char *cpdir, int op, const char *opname, const char *path,
                         const char *what) {
  return spate_error_set(err, SPATE_ECHECKPOINT,
                         "Cannot restart the query from checkpoint %s: stateful operator %d (%s) %s (%s). The state "
                         "in the checkpoint was written by a different query; restore the previous query, or use a new "
                         "checkpoint location (spark-semantics.md §8)",
                         cpdir, op, opname, what, path);
}

static int compare_(const sp_checkpoint *cp, const sp_node *n, const json_t *old, const json_t *now, const char *path,
                    spate_error *err) {
  json_t *v = json_object_get(old, "version");
  if (!json_is_integer(v) || json_integer_value(v) < 1)
    return spate_error_set(err, SPATE_ECHECKPOINT, "%s: missing or invalid \"version\"", path);
  if (json_integer_value(v) > COMPAT_VERSION)
    return spate_error_set(err, SPATE_ECHECKPOINT, "%s: unsupported version %lld (this spate reads %d)", path,
                           (long long)json_integer_value(v), COMPAT_VERSION);
  for (size_t i = 0; i < sizeof FIELDS_ / sizeof FIELDS_[0]; i++) {
    const char *a = str_(old, FIELDS_[i].key), *b = str_(now, FIELDS_[i].key);
    if (strcmp(a, b) == 0) continue;
    char what[4096];
    snprintf(what, sizeof what, "changed its %s from %s to %s", FIELDS_[i].what, *a ? a : "(none)",
             *b ? b : "(none)");
    return incompatible_(err, cp->root, n->op_id, str_(old, "operator"), path, what);
  }
  return 0;
}

static bool dir_exists_(const char *path) {
  DIR *d = opendir(path);
  if (!d) return false;
  closedir(d);
  return true;
}

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static int check_one_(const sp_checkpoint *cp, const sp_node *n, bool fresh, spate_error *err) {
  char sub[96];
  snprintf(sub, sizeof sub, "state/%d", n->op_id);
  char *opdir = sp_checkpoint_path(cp, sub);
  snprintf(sub, sizeof sub, "state/%d/_metadata", n->op_id);
  char *mdir = sp_checkpoint_path(cp, sub);
  snprintf(sub, sizeof sub, "state/%d/_metadata/schema", n->op_id);
  char *path = sp_checkpoint_path(cp, sub);
  json_t *now = record_(n);
  int rc = 0;
  char *data = NULL;
  if (!opdir || !mdir || !path || !now) {
    rc = oom_(err);
    goto done;
  }
  size_t len = 0;
  rc = fresh ? SPATE_ENOTFOUND : sp_fs_read_all(path, &data, &len, err);
  if (rc == SPATE_ENOTFOUND) {
    if (!fresh && !dir_exists_(opdir)) {
      rc = incompatible_(err, cp->root, n->op_id, op_name_(n), opdir,
                         "is new: the checkpoint has batches but no state for it (adding a stateful operator is "
                         "not allowed)");
      goto done;
    }
    /* First start, or a checkpoint from before this record: write it. */
    char *text = json_dumps(now, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
      rc = oom_(err);
      goto done;
    }
    rc = sp_fs_mkdirs(mdir, err);
    if (!rc) rc = sp_fs_write_atomic(path, text, strlen(text), true, err);
    free(text);
    goto done;
  }
  if (rc) goto done;
  json_error_t je;
  json_t *old = json_loadb(data, len, 0, &je);
  if (!old || !json_is_object(old)) {
    rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s: not a valid state schema record (%s)", path,
                         old ? "not an object" : je.text);
    json_decref(old);
    goto done;
  }
  rc = compare_(cp, n, old, now, path, err);
  json_decref(old);
done:
  free(data);
  json_decref(now);
  free(opdir);
  free(mdir);
  free(path);
  return rc;
}

/* state/<k> directories whose operator the plan no longer has. */
static int check_removed_(const sp_checkpoint *cp, const sp_node *const *nodes, int n, spate_error *err) {
  char *sdir = sp_checkpoint_path(cp, "state");
  if (!sdir) return oom_(err);
  DIR *d = opendir(sdir);
  int rc = 0;
  if (!d) {
    free(sdir);
    return 0;
  }
  struct dirent *de;
  while (!rc && (de = readdir(d))) {
    const char *s = de->d_name;
    if (!*s) continue;
    bool digits = true;
    for (const char *p = s; *p; p++)
      if (*p < '0' || *p > '9') digits = false;
    if (!digits || strlen(s) > 9) continue;
    int id = atoi(s);
    bool known = false;
    for (int i = 0; i < n; i++)
      if (nodes[i]->op_id == id) known = true;
    if (known) continue;
    char sub[96], *path;
    snprintf(sub, sizeof sub, "state/%d/_metadata/schema", id);
    if (!(path = sp_checkpoint_path(cp, sub))) {
      rc = oom_(err);
      break;
    }
    char *data = NULL;
    size_t len = 0;
    spate_error e2;
    spate_error_clear(&e2);
    const char *opname = "unknown";
    json_t *old = NULL;
    if (!sp_fs_read_all(path, &data, &len, &e2) && (old = json_loadb(data, len, 0, NULL)))
      opname = str_(old, "operator");
    char where[4096];
    snprintf(where, sizeof where, "%s/%s", sdir, s);
    rc = incompatible_(err, cp->root, id, opname, where,
                       "was removed: the checkpoint has state for it but the query has no such operator");
    json_decref(old);
    free(data);
    free(path);
  }
  closedir(d);
  free(sdir);
  return rc;
}

int sp_compat_check_state(const sp_checkpoint *cp, const sp_node *const *nodes, int n, spate_error *err) {
  int64_t L = -1, C = -1;
  int rc = sp_checkpoint_latest(cp, &L, &C, err);
  if (rc) return rc;
  bool fresh = L < 0 && C < 0;
  if (!fresh && (rc = check_removed_(cp, nodes, n, err))) return rc;
  for (int i = 0; i < n && !rc; i++) rc = check_one_(cp, nodes[i], fresh, err);
  return rc;
}

/* ---- sources ---- */

/* "FileStreamSource" of "FileStreamSource[file:/in]". */
static void kind_of_(const char *description, char *out, size_t cap) {
  size_t n = strcspn(description ? description : "", "[");
  if (n >= cap) n = cap - 1;
  memcpy(out, description ? description : "", n);
  out[n] = 0;
}

int sp_compat_check_sources(const sp_checkpoint *cp, sp_source *const *srcs, int n, bool write_missing,
                            spate_error *err) {
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    const sp_source *src = srcs[i];
    char sub[64], kind[128];
    snprintf(sub, sizeof sub, "sources/%d/_source", i);
    char *path = sp_checkpoint_path(cp, sub);
    if (!path) return oom_(err);
    kind_of_(src->description, kind, sizeof kind);
    char *data = NULL;
    size_t len = 0;
    rc = sp_fs_read_all(path, &data, &len, err);
    if (rc == SPATE_ENOTFOUND) {
      spate_error_clear(err);
      rc = 0;
      if (write_missing) {
        json_t *o = json_object();
        char *text = NULL;
        if (o) {
          json_object_set_new(o, "version", json_integer(COMPAT_VERSION));
          json_object_set_new(o, "format", json_string(src->vt->name));
          json_object_set_new(o, "kind", json_string(kind));
          json_object_set_new(o, "description", json_string(src->description ? src->description : ""));
          text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
          json_decref(o);
        }
        rc = text ? sp_fs_write_atomic(path, text, strlen(text), true, err) : oom_(err);
        free(text);
      }
    } else if (!rc) {
      json_error_t je;
      json_t *old = json_loadb(data, len, 0, &je);
      if (!old || !json_is_object(old)) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT, "%s: not a valid source record (%s)", path,
                             old ? "not an object" : je.text);
      } else if (strcmp(str_(old, "kind"), kind) != 0) {
        rc = spate_error_set(err, SPATE_ECHECKPOINT,
                             "Cannot restart the query from checkpoint %s: source %d changed from %s (%s) to %s (%s). "
                             "Changing the kind of an input source is not allowed; its offsets in the checkpoint "
                             "cannot be read by the new one (%s). Restore the previous source or use a new "
                             "checkpoint location (spark-semantics.md §8)",
                             cp->root, i, str_(old, "description"), str_(old, "format"),
                             src->description ? src->description : "", src->vt->name, path);
      }
      json_decref(old);
    }
    free(data);
    free(path);
  }
  return rc;
}
