/*
 * aggregate.c - hash aggregation table and aggregate buffers (see aggregate.h).
 *
 * The group table is open addressing over group ids with linear probing; distinct
 * keys are stored column-wise in key vectors (group g = row g). Accumulators are
 * plain arrays indexed by group id, updated in one loop per aggregate over all
 * rows (no per-row function pointers). min/max keep a reference (vector, row) to
 * the current winner and materialize it on emit.
 * Invariant: slots hold gid+1 (0 = empty); load factor stays below 1/2.
 */
#include "exec/aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spate/error.h"

typedef struct acc {
  sp_agg_kind kind;
  sp_type_id in_id;    /* argument type id */
  bool f64;            /* sum/avg accumulate doubles */
  int64_t *cnt;        /* count / avg count */
  int64_t *isum;
  double *dsum;
  uint8_t *has;        /* sum: any non-null input */
  const sp_vec **best_vec; /* min/max winner */
  int64_t *best_row;
} acc;

struct sp_agg_table {
  const sp_type *key_schema;
  int nkeys;
  sp_vec **keys;
  uint64_t *hashes;    /* per group */
  uint32_t *slots;
  uint64_t mask;
  int64_t ngroups, cap;
  const sp_agg_spec *specs;
  int naggs;
  acc *accs;
  bool failed;
};

int sp_agg_nbuf(sp_agg_kind k) { return k == SP_AGG_AVG ? 2 : 1; }

sp_type *sp_agg_buffer_schema(const sp_agg_spec *specs, int n) {
  int nb = 0;
  for (int j = 0; j < n; j++) nb += sp_agg_nbuf(specs[j].kind);
  sp_type *st = sp_type_struct_new(nb);
  if (!st) return NULL;
  int b = 0;
  for (int j = 0; j < n; j++) {
    char name[32];
    snprintf(name, sizeof name, "buf%d", b);
    sp_type *t;
    switch (specs[j].kind) {
      case SP_AGG_COUNT_STAR:
      case SP_AGG_COUNT: t = sp_type_prim(SP_BIGINT); break;
      case SP_AGG_SUM: t = sp_type_ref(specs[j].out_type); break;
      case SP_AGG_AVG:
        sp_type_struct_set(st, b++, name, sp_type_prim(SP_DOUBLE), true);
        snprintf(name, sizeof name, "buf%d", b);
        t = sp_type_prim(SP_BIGINT);
        break;
      default: t = sp_type_ref(specs[j].in_type); break;
    }
    if (sp_type_struct_set(st, b++, name, t, true)) {
      sp_type_unref(st);
      return NULL;
    }
  }
  return st;
}

sp_agg_table *sp_agg_table_new(const sp_type *key_schema, const sp_agg_spec *specs, int naggs) {
  sp_agg_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->key_schema = key_schema;
  t->nkeys = key_schema->nfields;
  t->specs = specs;
  t->naggs = naggs;
  t->keys = calloc((size_t)t->nkeys + 1, sizeof *t->keys);
  t->accs = calloc((size_t)naggs + 1, sizeof *t->accs);
  t->mask = 1023;
  t->slots = calloc(t->mask + 1, sizeof *t->slots);
  if (!t->keys || !t->accs || !t->slots) goto fail;
  for (int c = 0; c < t->nkeys; c++) {
    t->keys[c] = sp_vec_new(key_schema->fields[c].type, 64);
    if (!t->keys[c]) goto fail;
  }
  for (int j = 0; j < naggs; j++) {
    t->accs[j].kind = specs[j].kind;
    t->accs[j].in_id = specs[j].in_type ? specs[j].in_type->id : SP_NULL;
    t->accs[j].f64 = specs[j].out_type && specs[j].out_type->id == SP_DOUBLE;
  }
  return t;
fail:
  sp_agg_table_free(t);
  return NULL;
}

void sp_agg_table_free(sp_agg_table *t) {
  if (!t) return;
  if (t->keys)
    for (int c = 0; c < t->nkeys; c++) sp_vec_free(t->keys[c]);
  free(t->keys);
  if (t->accs)
    for (int j = 0; j < t->naggs; j++) {
      free(t->accs[j].cnt);
      free(t->accs[j].isum);
      free(t->accs[j].dsum);
      free(t->accs[j].has);
      free(t->accs[j].best_vec);
      free(t->accs[j].best_row);
    }
  free(t->accs);
  free(t->hashes);
  free(t->slots);
  free(t);
}

int64_t sp_agg_ngroups(const sp_agg_table *t) { return t->ngroups; }
sp_vec *sp_agg_key(const sp_agg_table *t, int c) { return t->keys[c]; }

/* Grow per-group arrays to hold `need` groups. */
static bool grow_groups_(sp_agg_table *t, int64_t need) {
  if (need <= t->cap) return true;
  int64_t cap = t->cap ? t->cap : 256;
  while (cap < need) cap *= 2;
#define GROW_(ptr)                                                        \
  do {                                                                    \
    void *np_ = realloc((ptr), (size_t)cap * sizeof *(ptr));              \
    if (!np_) return false;                                               \
    (ptr) = np_;                                                          \
  } while (0)
  GROW_(t->hashes);
  for (int j = 0; j < t->naggs; j++) {
    acc *a = &t->accs[j];
    GROW_(a->cnt);
    GROW_(a->has);
    if (a->f64)
      GROW_(a->dsum);
    else
      GROW_(a->isum);
    if (a->kind == SP_AGG_AVG) GROW_(a->dsum);
    if (a->kind == SP_AGG_MIN || a->kind == SP_AGG_MAX) {
      GROW_(a->best_vec);
      GROW_(a->best_row);
    }
  }
#undef GROW_
  t->cap = cap;
  return true;
}

static bool rehash_(sp_agg_table *t) {
  uint64_t nmask = t->mask * 2 + 1;
  uint32_t *ns = calloc(nmask + 1, sizeof *ns);
  if (!ns) return false;
  for (int64_t g = 0; g < t->ngroups; g++) {
    uint64_t s = t->hashes[g] & nmask;
    while (ns[s]) s = (s + 1) & nmask;
    ns[s] = (uint32_t)(g + 1);
  }
  free(t->slots);
  t->slots = ns;
  t->mask = nmask;
  return true;
}

static void init_group_(sp_agg_table *t, int64_t g) {
  for (int j = 0; j < t->naggs; j++) {
    acc *a = &t->accs[j];
    a->cnt[g] = 0;
    a->has[g] = 0;
    if (a->dsum) a->dsum[g] = 0;
    if (a->isum) a->isum[g] = 0;
    if (a->best_vec) {
      a->best_vec[g] = NULL;
      a->best_row[g] = -1;
    }
  }
}

/* Group ids for rows of `keys`; creates new groups. gid must hold nrows entries. */
static int find_groups_(sp_agg_table *t, sp_vec *const *keys, int64_t nrows, int32_t *gid) {
  for (int64_t r = 0; r < nrows; r++) {
    uint64_t h = 0x51ed270b27c5e6a1ull;
    for (int c = 0; c < t->nkeys; c++) h = sp_vec_hash_row(keys[c], r, h);
    uint64_t s = h & t->mask;
    for (;;) {
      uint32_t e = t->slots[s];
      if (!e) break;
      int64_t g = (int64_t)e - 1;
      if (t->hashes[g] == h) {
        bool eq = true;
        for (int c = 0; c < t->nkeys && eq; c++) eq = sp_vec_row_equal(t->keys[c], g, keys[c], r);
        if (eq) {
          gid[r] = (int32_t)g;
          goto next;
        }
      }
      s = (s + 1) & t->mask;
    }
    /* New group. */
    if (t->ngroups >= INT32_MAX - 1) return SPATE_ENOMEM;
    if (!grow_groups_(t, t->ngroups + 1)) return SPATE_ENOMEM;
    {
      int64_t g = t->ngroups++;
      t->hashes[g] = h;
      for (int c = 0; c < t->nkeys; c++) sp_vec_append_from(t->keys[c], keys[c], r);
      init_group_(t, g);
      t->slots[s] = (uint32_t)(g + 1);
      gid[r] = (int32_t)g;
      if ((uint64_t)t->ngroups * 2 > t->mask && !rehash_(t)) return SPATE_ENOMEM;
    }
  next:;
  }
  for (int c = 0; c < t->nkeys; c++)
    if (sp_vec_check(t->keys[c])) return SPATE_ENOMEM;
  return 0;
}

/* Fold a numeric value vector into sums. */
static void add_sum_(acc *a, const int32_t *gid, const sp_vec *v, int64_t nrows, bool count_too) {
  bool nulls = v->validity != NULL;
  switch (v->type->id) {
    case SP_INT:
    case SP_DATE: {
      const int32_t *x = sp_vec_i32(v);
      for (int64_t r = 0; r < nrows; r++) {
        if (nulls && sp_vec_is_null(v, r)) continue;
        int32_t g = gid[r];
        if (a->f64)
          a->dsum[g] += x[r];
        else
          a->isum[g] = (int64_t)((uint64_t)a->isum[g] + (uint64_t)(int64_t)x[r]);
        a->has[g] = 1;
        if (count_too) a->cnt[g]++;
      }
      break;
    }
    case SP_BIGINT:
    case SP_TIMESTAMP: {
      const int64_t *x = sp_vec_i64(v);
      for (int64_t r = 0; r < nrows; r++) {
        if (nulls && sp_vec_is_null(v, r)) continue;
        int32_t g = gid[r];
        if (a->f64)
          a->dsum[g] += (double)x[r];
        else
          a->isum[g] = (int64_t)((uint64_t)a->isum[g] + (uint64_t)x[r]);
        a->has[g] = 1;
        if (count_too) a->cnt[g]++;
      }
      break;
    }
    case SP_DOUBLE: {
      const double *x = sp_vec_f64(v);
      for (int64_t r = 0; r < nrows; r++) {
        if (nulls && sp_vec_is_null(v, r)) continue;
        int32_t g = gid[r];
        a->dsum[g] += x[r];
        a->has[g] = 1;
        if (count_too) a->cnt[g]++;
      }
      break;
    }
    default: break;
  }
}

static void minmax_(acc *a, const int32_t *gid, const sp_vec *v, int64_t nrows) {
  int sign = a->kind == SP_AGG_MIN ? -1 : 1;
  for (int64_t r = 0; r < nrows; r++) {
    if (sp_vec_is_null(v, r)) continue;
    int32_t g = gid[r];
    if (!a->best_vec[g] || sign * sp_vec_row_compare(v, r, a->best_vec[g], a->best_row[g]) > 0) {
      a->best_vec[g] = v;
      a->best_row[g] = r;
    }
  }
}

int sp_agg_update(sp_agg_table *t, sp_vec *const *keys, sp_vec *const *args, int64_t nrows) {
  if (nrows == 0) return 0;
  int32_t *gid = malloc((size_t)nrows * sizeof *gid);
  if (!gid) return SPATE_ENOMEM;
  int rc = find_groups_(t, keys, nrows, gid);
  if (rc) goto out;
  for (int j = 0; j < t->naggs; j++) {
    acc *a = &t->accs[j];
    const sp_vec *v = args ? args[j] : NULL;
    switch (a->kind) {
      case SP_AGG_COUNT_STAR:
        for (int64_t r = 0; r < nrows; r++) a->cnt[gid[r]]++;
        break;
      case SP_AGG_COUNT:
        if (!v->validity)
          for (int64_t r = 0; r < nrows; r++) a->cnt[gid[r]]++;
        else
          for (int64_t r = 0; r < nrows; r++)
            if (!sp_vec_is_null(v, r)) a->cnt[gid[r]]++;
        break;
      case SP_AGG_SUM: add_sum_(a, gid, v, nrows, false); break;
      case SP_AGG_AVG: add_sum_(a, gid, v, nrows, true); break;
      case SP_AGG_MIN:
      case SP_AGG_MAX: minmax_(a, gid, v, nrows); break;
    }
  }
out:
  free(gid);
  return rc;
}

int sp_agg_merge_into(sp_agg_table *t, const int32_t *gid, sp_vec *const *bufs, int64_t nrows) {
  int b = 0;
  for (int j = 0; j < t->naggs; j++) {
    acc *a = &t->accs[j];
    const sp_vec *v = bufs[b];
    switch (a->kind) {
      case SP_AGG_COUNT_STAR:
      case SP_AGG_COUNT: {
        const int64_t *x = sp_vec_i64(v);
        for (int64_t r = 0; r < nrows; r++)
          if (!sp_vec_is_null(v, r)) a->cnt[gid[r]] += x[r];
        break;
      }
      case SP_AGG_SUM: add_sum_(a, gid, v, nrows, false); break;
      case SP_AGG_AVG: {
        add_sum_(a, gid, v, nrows, false);
        const sp_vec *c = bufs[b + 1];
        const int64_t *x = sp_vec_i64(c);
        for (int64_t r = 0; r < nrows; r++)
          if (!sp_vec_is_null(c, r)) a->cnt[gid[r]] += x[r];
        break;
      }
      case SP_AGG_MIN:
      case SP_AGG_MAX: minmax_(a, gid, v, nrows); break;
    }
    b += sp_agg_nbuf(a->kind);
  }
  return 0;
}

int sp_agg_merge(sp_agg_table *t, sp_vec *const *keys, sp_vec *const *bufs, int64_t nrows) {
  if (nrows == 0) return 0;
  int32_t *gid = malloc((size_t)nrows * sizeof *gid);
  if (!gid) return SPATE_ENOMEM;
  int rc = find_groups_(t, keys, nrows, gid);
  if (!rc) rc = sp_agg_merge_into(t, gid, bufs, nrows);
  free(gid);
  return rc;
}

int sp_agg_emit_buffers(const sp_agg_table *t, sp_vec **bufs) {
  int b = 0;
  int64_t n = t->ngroups;
  for (int j = 0; j < t->naggs; j++) {
    const acc *a = &t->accs[j];
    const sp_agg_spec *s = &t->specs[j];
    switch (a->kind) {
      case SP_AGG_COUNT_STAR:
      case SP_AGG_COUNT: {
        sp_vec *v = sp_vec_new(sp_type_prim(SP_BIGINT), n);
        if (!v) return SPATE_ENOMEM;
        for (int64_t g = 0; g < n; g++) sp_vec_append_i64(v, a->cnt[g]);
        bufs[b++] = v;
        break;
      }
      case SP_AGG_SUM:
      case SP_AGG_AVG: {
        sp_vec *v = sp_vec_new(a->kind == SP_AGG_AVG ? sp_type_prim(SP_DOUBLE) : s->out_type, n);
        if (!v) return SPATE_ENOMEM;
        for (int64_t g = 0; g < n; g++) {
          if (a->kind == SP_AGG_SUM && !a->has[g])
            sp_vec_append_null(v);
          else if (a->f64 || a->kind == SP_AGG_AVG)
            sp_vec_append_f64(v, a->dsum[g]);
          else
            sp_vec_append_i64(v, a->isum[g]);
        }
        bufs[b++] = v;
        if (a->kind == SP_AGG_AVG) {
          sp_vec *c = sp_vec_new(sp_type_prim(SP_BIGINT), n);
          if (!c) return SPATE_ENOMEM;
          for (int64_t g = 0; g < n; g++) sp_vec_append_i64(c, a->cnt[g]);
          bufs[b++] = c;
        }
        break;
      }
      case SP_AGG_MIN:
      case SP_AGG_MAX: {
        sp_vec *v = sp_vec_new(s->in_type, n);
        if (!v) return SPATE_ENOMEM;
        for (int64_t g = 0; g < n; g++) {
          if (a->best_vec[g])
            sp_vec_append_from(v, a->best_vec[g], a->best_row[g]);
          else
            sp_vec_append_null(v);
        }
        bufs[b++] = v;
        break;
      }
    }
    if (sp_vec_check(bufs[b - 1])) return SPATE_ENOMEM;
  }
  return 0;
}

int sp_agg_finalize(const sp_agg_spec *specs, int naggs, sp_vec *const *bufs, sp_vec **results) {
  int b = 0;
  for (int j = 0; j < naggs; j++) {
    const sp_vec *v = bufs[b];
    if (specs[j].kind == SP_AGG_AVG) {
      const sp_vec *c = bufs[b + 1];
      sp_vec *out = sp_vec_new(sp_type_prim(SP_DOUBLE), v->length);
      if (!out) return SPATE_ENOMEM;
      for (int64_t g = 0; g < v->length; g++) {
        int64_t cnt = sp_vec_is_null(c, g) ? 0 : sp_vec_i64(c)[g];
        if (cnt == 0 || sp_vec_is_null(v, g))
          sp_vec_append_null(out);
        else
          sp_vec_append_f64(out, sp_vec_f64(v)[g] / (double)cnt);
      }
      results[j] = out;
    } else {
      results[j] = sp_vec_copy(v);
      if (!results[j]) return SPATE_ENOMEM;
    }
    b += sp_agg_nbuf(specs[j].kind);
  }
  return 0;
}
