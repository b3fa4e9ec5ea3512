/*
 * memory_registry.c - session-level table registry behind the memory sink
 * (memory_registry.h).
 *
 * Invariants: `mu` guards the table array and every table's contents; a table's
 * batch always has the table's schema. Complete-mode writes build the new table
 * aside and swap it in on success; append-mode writes append in place (no copy
 * of the table per batch), so an allocation failure there poisons the table.
 */
#include "sink/memory_registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spate/error.h"

typedef struct mem_table {
  char *name;
  sp_type *schema;
  sp_batch *data;
  int64_t last_id;
} mem_table;

struct sp_memory_registry {
  pthread_mutex_t mu;
  mem_table *tables;
  int n, cap;
};

sp_memory_registry *sp_memory_registry_new(void) {
  sp_memory_registry *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  pthread_mutex_init(&r->mu, NULL);
  return r;
}

static void table_clear_(mem_table *t) {
  free(t->name);
  sp_type_unref(t->schema);
  sp_batch_free(t->data);
  memset(t, 0, sizeof *t);
}

void sp_memory_registry_free(sp_memory_registry *r) {
  if (!r) return;
  for (int i = 0; i < r->n; i++) table_clear_(&r->tables[i]);
  free(r->tables);
  pthread_mutex_destroy(&r->mu);
  free(r);
}

static mem_table *find_(sp_memory_registry *r, const char *name) {
  for (int i = 0; i < r->n; i++)
    if (strcasecmp(r->tables[i].name, name) == 0) return &r->tables[i];
  return NULL;
}

/* Find or add an (empty) table; caller holds mu. */
static mem_table *get_or_add_(sp_memory_registry *r, const char *name, sp_type *schema) {
  mem_table *t = find_(r, name);
  if (t) return t;
  if (r->n == r->cap) {
    int cap = r->cap ? r->cap * 2 : 4;
    mem_table *nt = realloc(r->tables, (size_t)cap * sizeof *nt);
    if (!nt) return NULL;
    r->tables = nt;
    r->cap = cap;
  }
  mem_table tmp = {strdup(name), sp_type_ref(schema), sp_batch_new(schema, 0), -1};
  if (!tmp.name || !tmp.data) {
    table_clear_(&tmp);
    return NULL;
  }
  r->tables[r->n] = tmp;
  return &r->tables[r->n++];
}

static sp_batch *copy_batch_(const sp_batch *b) {
  sp_batch *c = sp_batch_new(b->schema, b->nrows);
  if (!c) return NULL;
  sp_batch_append(c, b);
  if (sp_batch_check(c)) {
    sp_batch_free(c);
    return NULL;
  }
  return c;
}

int sp_memory_registry_snapshot(sp_memory_registry *r, const char *name, sp_batch **copy) {
  *copy = NULL;
  pthread_mutex_lock(&r->mu);
  mem_table *t = find_(r, name);
  int rc = 0;
  if (!t)
    rc = SPATE_ENOTFOUND;
  else if (sp_batch_check(t->data) || !(*copy = copy_batch_(t->data)))
    rc = SPATE_ENOMEM;
  pthread_mutex_unlock(&r->mu);
  return rc;
}

int sp_memory_registry_reset(sp_memory_registry *r, const char *name, sp_type *schema) {
  pthread_mutex_lock(&r->mu);
  int rc = 0;
  mem_table *t = find_(r, name);
  if (t) {
    sp_batch *fresh = sp_batch_new(schema, 0);
    if (!fresh) {
      rc = SPATE_ENOMEM;
    } else {
      sp_batch_free(t->data);
      sp_type_unref(t->schema);
      t->data = fresh;
      t->schema = sp_type_ref(schema);
      t->last_id = -1;
    }
  } else if (!get_or_add_(r, name, schema)) {
    rc = SPATE_ENOMEM;
  }
  pthread_mutex_unlock(&r->mu);
  return rc;
}

int sp_memory_registry_write(sp_memory_registry *r, const char *name, sp_type *schema, int64_t batch_id,
                             const sp_batch *const *parts, int n, bool complete, int64_t *rows) {
  *rows = 0;
  sp_type *st = schema;
  for (int i = 0; i < n && !st; i++)
    if (parts[i]) st = parts[i]->schema;
  pthread_mutex_lock(&r->mu);
  int rc = 0;
  mem_table *t = find_(r, name);
  if (!t && st) t = get_or_add_(r, name, st);
  if (!t) {
    rc = st ? SPATE_ENOMEM : SPATE_EINVAL;
    goto done;
  }
  if (batch_id <= t->last_id) goto done; /* replayed batch: already stored */
  int64_t add = 0;
  for (int i = 0; i < n; i++) add += parts[i] ? parts[i]->nrows : 0;
  if (complete) {
    sp_batch *next = sp_batch_new(t->schema, add);
    if (!next) {
      rc = SPATE_ENOMEM;
      goto done;
    }
    for (int i = 0; i < n; i++)
      if (parts[i] && parts[i]->nrows) sp_batch_append(next, parts[i]);
    if (sp_batch_check(next)) {
      sp_batch_free(next);
      rc = SPATE_ENOMEM;
      goto done;
    }
    sp_batch_free(t->data);
    t->data = next;
  } else {
    /* In place (no copy of the table per batch); an allocation failure poisons the
     * table's vectors and is reported by every later write/snapshot. */
    for (int i = 0; i < n; i++)
      if (parts[i] && parts[i]->nrows) sp_batch_append(t->data, parts[i]);
    if (sp_batch_check(t->data)) {
      rc = SPATE_ENOMEM;
      goto done;
    }
  }
  t->last_id = batch_id;
  *rows = add;
done:
  pthread_mutex_unlock(&r->mu);
  return rc;
}

int64_t sp_memory_registry_last_batch(sp_memory_registry *r, const char *name) {
  pthread_mutex_lock(&r->mu);
  mem_table *t = find_(r, name);
  int64_t id = t ? t->last_id : -1;
  pthread_mutex_unlock(&r->mu);
  return id;
}
