/*
 * state_store.c - versioned key/value state store with Spark's HDFS-backed
 * provider file layout (<v>.delta / <v>.snapshot, big-endian records, §7.5).
 *
 * In memory:
 *   - records (rec: header + key bytes + value bytes) live in a slab of chunks
 *     that grow geometrically (4 KiB .. 1 MiB); a put whose value fits the record's
 *     value capacity overwrites in place, otherwise a new record is bump-allocated
 *     and the old one becomes garbage (so put arguments may point into the store);
 *   - a dense entry array {hash, rec*} in insertion order (iteration order);
 *     removed entries stay in it, marked dead, until the next vacuum;
 *   - an open-addressing index (linear probing, power-of-two capacity, load <= 0.7)
 *     of uint64 slots: 0 = empty, else (hash >> 32) << 32 | (entry index + 1).
 *     Removal uses backward-shift deletion, so there are no tombstones.
 *   - a dirty list of entry indices changed since the last commit. The live entry of
 *     a key is always newer (later in the dense array) than its dead ones, so writing
 *     the dirty entries in list order gives last-write-wins per key.
 * Vacuum rebuilds slab, entries and index dropping dead entries that are not dirty
 * and garbage records; it runs after a put (never during iteration, where only
 * remove is allowed) or after a commit, when garbage outweighs live data.
 *
 * On disk: commit writes <v+1>.delta (overwrite allowed: a re-executed batch
 * rewrites the same version) holding each dirty key once (upsert or -1 remove),
 * then <v+1>.snapshot when snapshot_every deltas accumulated since the last
 * snapshot. A failed snapshot write is not an error (the delta is durable) and is
 * retried at the next commit. Loading v = latest snapshot <= v + deltas after it.
 *
 * Metrics: num_updated/num_removed count put calls / effective removes of the
 * current batch; they stay readable after commit and reset at the first mutation
 * after it (the query reads them after committing).
 */
#include "state/state_store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "checkpoint/checkpoint.h"
#include "checkpoint/ckpt_internal.h"
#include "common/buf.h"
#include "common/crash.h"

#define HASH_SEED 0x5350415445ull /* decorrelates from the shuffle's key hash */
#define CHUNK_MIN 4096u
#define CHUNK_MAX (1u << 20)
#define DEFAULT_SNAPSHOT_EVERY 10
#define DEFAULT_RETAIN 100

typedef struct rec {
  uint32_t klen, vlen, vcap;
  uint8_t dirty, dead;
  uint8_t pad_[2];
  /* key bytes, then vcap value bytes */
} rec;

#define REC_KEY(r) ((char *)(r) + sizeof(rec))
#define REC_VAL(r) (REC_KEY(r) + (r)->klen)

typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} chunk;

typedef struct entry {
  uint64_t hash;
  rec *r;
} entry;

struct sp_state_store {
  char *dir;
  int64_t version;
  int64_t snapshot_version; /* latest snapshot <= version (0 = none) */
  int snapshot_every, retain;
  /* index */
  uint64_t *index;
  size_t cap, mask;
  /* dense entries */
  entry *ents;
  size_t nents, ents_cap;
  size_t live, dead;
  /* slab */
  chunk *chunks;
  size_t slab_cap, slab_used, live_bytes;
  size_t next_chunk;
  /* changes since the last commit */
  uint32_t *dirty;
  size_t ndirty, dirty_cap;
  /* metrics */
  int64_t n_updated, n_removed;
  bool metrics_stale;
};

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static size_t rec_size_(size_t klen, size_t vcap) { return (sizeof(rec) + klen + vcap + 7) & ~(size_t)7; }

static uint64_t hash_(const void *key, size_t klen) { return XXH3_64bits_withSeed(key, klen, HASH_SEED); }

/* ---- slab ---- */

static rec *slab_alloc_(chunk **chunks, size_t *next_chunk, size_t *slab_cap, size_t *slab_used, size_t klen,
                        size_t vlen) {
  size_t need = rec_size_(klen, vlen);
  chunk *c = *chunks;
  if (!c || c->cap - c->used < need) {
    size_t cap = *next_chunk ? *next_chunk : CHUNK_MIN;
    if (cap < need) cap = need;
    c = malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->next = *chunks;
    c->used = 0;
    c->cap = cap;
    *chunks = c;
    *slab_cap += cap;
    if (*next_chunk < CHUNK_MAX) *next_chunk = *next_chunk ? *next_chunk * 2 : CHUNK_MIN * 2;
  }
  rec *r = (rec *)(c->data + c->used);
  c->used += need;
  *slab_used += need;
  r->klen = (uint32_t)klen;
  r->vlen = (uint32_t)vlen;
  r->vcap = (uint32_t)(need - sizeof(rec) - klen);
  r->dirty = 0;
  r->dead = 0;
  return r;
}

static void chunks_free_(chunk *c) {
  while (c) {
    chunk *n = c->next;
    free(c);
    c = n;
  }
}

/* ---- index ---- */

static inline uint64_t slot_val_(uint64_t hash, size_t idx) { return (hash >> 32) << 32 | (uint64_t)(idx + 1); }
static inline size_t slot_idx_(uint64_t sv) { return (size_t)(uint32_t)sv - 1; }

/* Entry index of key, or SIZE_MAX; *slot = its index slot. */
static size_t find_(const sp_state_store *s, const void *key, size_t klen, uint64_t h, size_t *slot) {
  uint64_t tag = h >> 32;
  size_t i = (size_t)h & s->mask;
  for (;;) {
    uint64_t sv = s->index[i];
    if (sv == 0) break;
    if ((sv >> 32) == tag) {
      size_t ei = slot_idx_(sv);
      const entry *e = &s->ents[ei];
      if (e->hash == h && e->r->klen == klen && (klen == 0 || memcmp(REC_KEY(e->r), key, klen) == 0)) {
        *slot = i;
        return ei;
      }
    }
    i = (i + 1) & s->mask;
  }
  *slot = i;
  return SIZE_MAX;
}

static void index_insert_(uint64_t *index, size_t mask, uint64_t h, size_t ei) {
  size_t i = (size_t)h & mask;
  while (index[i]) i = (i + 1) & mask;
  index[i] = slot_val_(h, ei);
}

/* Rebuild the index with capacity cap over the live entries. */
static int index_rebuild_(sp_state_store *s, size_t cap) {
  uint64_t *ni = calloc(cap, sizeof *ni);
  if (!ni) return SPATE_ENOMEM;
  for (size_t i = 0; i < s->nents; i++)
    if (!s->ents[i].r->dead) index_insert_(ni, cap - 1, s->ents[i].hash, i);
  free(s->index);
  s->index = ni;
  s->cap = cap;
  s->mask = cap - 1;
  return 0;
}

static size_t index_cap_for_(size_t n) {
  size_t cap = 16;
  while (cap * 7 / 10 < n + 1) cap *= 2;
  return cap;
}

static void index_delete_(sp_state_store *s, size_t i) {
  size_t j = i;
  s->index[i] = 0;
  for (;;) {
    j = (j + 1) & s->mask;
    uint64_t sv = s->index[j];
    if (sv == 0) return;
    size_t home = (size_t)s->ents[slot_idx_(sv)].hash & s->mask;
    /* Move j back to the hole at i unless its home lies cyclically in (i, j]. */
    if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
      s->index[i] = sv;
      s->index[j] = 0;
      i = j;
    }
  }
}

/* Room for one more dirty index, so that mark_dirty_ cannot fail mid-update. */
static int reserve_dirty_(sp_state_store *s) {
  if (s->ndirty < s->dirty_cap) return 0;
  size_t nc = s->dirty_cap ? s->dirty_cap * 2 : 64;
  uint32_t *nd = realloc(s->dirty, nc * sizeof *nd);
  if (!nd) return SPATE_ENOMEM;
  s->dirty = nd;
  s->dirty_cap = nc;
  return 0;
}

/* Requires reserve_dirty_ first. */
static void mark_dirty_(sp_state_store *s, size_t ei) {
  rec *r = s->ents[ei].r;
  if (r->dirty) return;
  s->dirty[s->ndirty++] = (uint32_t)ei;
  r->dirty = 1;
}

/* Rebuild slab, entries, index and dirty list without garbage. On allocation failure
 * the store is left unchanged (vacuum is an optimisation). */
static void vacuum_(sp_state_store *s) {
  size_t keep = 0;
  for (size_t i = 0; i < s->nents; i++)
    if (!s->ents[i].r->dead || s->ents[i].r->dirty) keep++;
  size_t ecap = keep < 16 ? 16 : keep;
  entry *ne = malloc(ecap * sizeof *ne);
  size_t icap = index_cap_for_(s->live);
  uint64_t *ni = calloc(icap, sizeof *ni);
  uint32_t *nd = s->ndirty ? malloc(s->ndirty * sizeof *nd) : NULL;
  chunk *nc = NULL;
  size_t next_chunk = 0, slab_cap = 0, slab_used = 0, live_bytes = 0, m = 0, ndirty = 0, dead = 0;
  if (!ne || !ni || (s->ndirty && !nd)) goto fail;
  /* One chunk big enough for everything kept. */
  size_t total = 0;
  for (size_t i = 0; i < s->nents; i++) {
    rec *r = s->ents[i].r;
    if (!r->dead || r->dirty) total += rec_size_(r->klen, r->vlen);
  }
  next_chunk = total < CHUNK_MIN ? CHUNK_MIN : total;
  for (size_t i = 0; i < s->nents; i++) {
    rec *r = s->ents[i].r;
    if (r->dead && !r->dirty) continue;
    rec *n = slab_alloc_(&nc, &next_chunk, &slab_cap, &slab_used, r->klen, r->vlen);
    if (!n) goto fail;
    memcpy(REC_KEY(n), REC_KEY(r), (size_t)r->klen + r->vlen);
    n->dirty = r->dirty;
    n->dead = r->dead;
    ne[m] = (entry){s->ents[i].hash, n};
    if (n->dirty) nd[ndirty++] = (uint32_t)m;
    if (n->dead)
      dead++;
    else {
      index_insert_(ni, icap - 1, s->ents[i].hash, m);
      live_bytes += rec_size_(n->klen, n->vlen);
    }
    m++;
  }
  chunks_free_(s->chunks);
  free(s->ents);
  free(s->index);
  free(s->dirty);
  s->chunks = nc;
  s->next_chunk = slab_cap < CHUNK_MIN ? CHUNK_MIN : slab_cap > CHUNK_MAX ? CHUNK_MAX : slab_cap;
  s->slab_cap = slab_cap;
  s->slab_used = slab_used;
  s->live_bytes = live_bytes;
  s->ents = ne;
  s->nents = m;
  s->ents_cap = ecap;
  s->dead = dead;
  s->index = ni;
  s->cap = icap;
  s->mask = icap - 1;
  s->dirty = nd;
  s->ndirty = ndirty;
  s->dirty_cap = ndirty;
  return;
fail:
  chunks_free_(nc);
  free(ne);
  free(ni);
  free(nd);
}

static void maybe_vacuum_(sp_state_store *s) {
  size_t garbage = s->slab_used - s->live_bytes;
  if ((garbage > s->live_bytes && garbage > (256u << 10)) || (s->dead > s->live && s->dead > 4096)) vacuum_(s);
}

static void reset_metrics_if_stale_(sp_state_store *s) {
  if (!s->metrics_stale) return;
  s->metrics_stale = false;
  s->n_updated = 0;
  s->n_removed = 0;
}

/* Insert or replace; `track` marks the change for the next delta. */
static int put_(sp_state_store *s, const void *key, size_t klen, const void *val, size_t vlen, bool track) {
  if (klen > INT32_MAX || vlen > INT32_MAX - 1) return SPATE_EINVAL;
  if (track && reserve_dirty_(s)) return SPATE_ENOMEM;
  uint64_t h = hash_(key, klen);
  size_t slot;
  size_t ei = find_(s, key, klen, h, &slot);
  if (ei != SIZE_MAX) {
    rec *r = s->ents[ei].r;
    if (vlen <= r->vcap) {
      if (vlen) memmove(REC_VAL(r), val, vlen); /* val may alias the old value */
      s->live_bytes += rec_size_(klen, vlen);
      s->live_bytes -= rec_size_(klen, r->vlen);
      r->vlen = (uint32_t)vlen;
    } else {
      rec *n = slab_alloc_(&s->chunks, &s->next_chunk, &s->slab_cap, &s->slab_used, klen, vlen);
      if (!n) return SPATE_ENOMEM;
      if (klen) memcpy(REC_KEY(n), key, klen);
      if (vlen) memcpy(REC_VAL(n), val, vlen);
      n->dirty = r->dirty;
      s->live_bytes += rec_size_(klen, vlen);
      s->live_bytes -= rec_size_(klen, r->vlen);
      s->ents[ei].r = n;
    }
    if (track) mark_dirty_(s, ei);
    return 0;
  }
  /* New key: make room first (may move the probe slot). */
  if (s->live + 1 > s->cap * 7 / 10) {
    if (index_rebuild_(s, s->cap * 2)) return SPATE_ENOMEM;
    find_(s, key, klen, h, &slot);
  }
  if (s->nents == s->ents_cap) {
    if (s->nents >= UINT32_MAX - 1) return SPATE_ENOMEM;
    size_t nc = s->ents_cap ? s->ents_cap * 2 : 16;
    entry *ne = realloc(s->ents, nc * sizeof *ne);
    if (!ne) return SPATE_ENOMEM;
    s->ents = ne;
    s->ents_cap = nc;
  }
  rec *n = slab_alloc_(&s->chunks, &s->next_chunk, &s->slab_cap, &s->slab_used, klen, vlen);
  if (!n) return SPATE_ENOMEM;
  if (klen) memcpy(REC_KEY(n), key, klen);
  if (vlen) memcpy(REC_VAL(n), val, vlen);
  ei = s->nents++;
  s->ents[ei] = (entry){h, n};
  s->index[slot] = slot_val_(h, ei);
  s->live++;
  s->live_bytes += rec_size_(klen, vlen);
  if (track) mark_dirty_(s, ei);
  return 0;
}

/* 1 removed, 0 absent, or SPATE_ENOMEM (key kept: the change could not be recorded). */
static int remove_(sp_state_store *s, const void *key, size_t klen, bool track) {
  uint64_t h = hash_(key, klen);
  size_t slot;
  size_t ei = find_(s, key, klen, h, &slot);
  if (ei == SIZE_MAX) return 0;
  rec *r = s->ents[ei].r;
  if (track) {
    if (reserve_dirty_(s)) return SPATE_ENOMEM;
    mark_dirty_(s, ei);
  }
  r->dead = 1;
  index_delete_(s, slot);
  s->live--;
  s->dead++;
  s->live_bytes -= rec_size_(r->klen, r->vlen);
  return 1;
}

/* ---- public: mutation and lookup ---- */

const void *sp_state_store_get(const sp_state_store *s, const void *key, size_t klen, size_t *vlen) {
  size_t slot;
  size_t ei = find_(s, key, klen, hash_(key, klen), &slot);
  if (ei == SIZE_MAX) {
    if (vlen) *vlen = 0;
    return NULL;
  }
  const rec *r = s->ents[ei].r;
  if (vlen) *vlen = r->vlen;
  return REC_VAL(r);
}

int sp_state_store_put(sp_state_store *s, const void *key, size_t klen, const void *val, size_t vlen) {
  reset_metrics_if_stale_(s);
  int rc = put_(s, key, klen, val, vlen, true);
  if (rc) return rc;
  s->n_updated++;
  /* After the update: key/val may point into the store's own memory. */
  maybe_vacuum_(s);
  return 0;
}

int sp_state_store_remove(sp_state_store *s, const void *key, size_t klen) {
  reset_metrics_if_stale_(s);
  int rc = remove_(s, key, klen, true);
  if (rc < 0) return rc;
  s->n_removed += rc;
  return 0;
}

void sp_state_iter_init(sp_state_iter *it, sp_state_store *s) {
  it->store = s;
  it->pos = 0;
}

bool sp_state_iter_next(sp_state_iter *it, const void **key, size_t *klen, const void **val, size_t *vlen) {
  sp_state_store *s = it->store;
  while (it->pos < s->nents) {
    const rec *r = s->ents[it->pos++].r;
    if (r->dead) continue;
    *key = REC_KEY(r);
    *klen = r->klen;
    *val = REC_VAL(r);
    *vlen = r->vlen;
    return true;
  }
  return false;
}

/* ---- files ---- */

static char *file_path_(const char *dir, int64_t v, const char *kind) {
  size_t n = strlen(dir) + 48;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%lld.%s", dir, (long long)v, kind);
  return p;
}

static void put_be32_(sp_buf *b, int32_t x) {
  uint32_t u = (uint32_t)x;
  char c[4] = {(char)(u >> 24), (char)(u >> 16), (char)(u >> 8), (char)u};
  sp_buf_append(b, c, 4);
}

static int32_t get_be32_(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static void put_rec_(sp_buf *b, const rec *r, bool removed) {
  put_be32_(b, (int32_t)r->klen);
  sp_buf_append(b, REC_KEY(r), r->klen);
  if (removed) {
    put_be32_(b, -1);
  } else {
    put_be32_(b, (int32_t)r->vlen);
    sp_buf_append(b, REC_VAL(r), r->vlen);
  }
}

/* Apply the records of one delta/snapshot file. */
static int load_file_(sp_state_store *s, const char *path, int64_t version, spate_error *err) {
  char *data;
  size_t len;
  int rc = sp_fs_read_all(path, &data, &len, err);
  if (rc) {
    spate_error_prefix(err, "state store %s: cannot load version %lld", s->dir, (long long)version);
    return rc == SPATE_ENOTFOUND ? SPATE_ECHECKPOINT : rc;
  }
  const unsigned char *p = (const unsigned char *)data;
  size_t pos = 0;
  const char *why = NULL;
  for (;;) {
    size_t at = pos;
    if (len - pos < 4) {
      why = "truncated (no end marker)";
      break;
    }
    int32_t kl = get_be32_(p + pos);
    pos += 4;
    if (kl == -1) break;
    if (kl < 0) {
      why = "invalid key length";
      pos = at;
      break;
    }
    if (len - pos < (size_t)kl + 4) {
      why = "truncated record";
      pos = at;
      break;
    }
    const unsigned char *key = p + pos;
    pos += (size_t)kl;
    int32_t vl = get_be32_(p + pos);
    pos += 4;
    if (vl == -1) {
      remove_(s, key, (size_t)kl, false);
      continue;
    }
    if (vl < 0) {
      why = "invalid value length";
      pos = at;
      break;
    }
    if (len - pos < (size_t)vl) {
      why = "truncated record";
      pos = at;
      break;
    }
    if (put_(s, key, (size_t)kl, p + pos, (size_t)vl, false)) {
      free(data);
      return oom_(err);
    }
    pos += (size_t)vl;
  }
  free(data);
  if (why)
    return spate_error_set(err, SPATE_ECHECKPOINT, "state store %s: cannot load version %lld: %s is corrupt: %s at byte %zu",
                           s->dir, (long long)version, path, why, pos);
  return 0;
}

typedef struct file_list {
  int64_t *deltas, *snaps;
  size_t nd, ns;
} file_list;

static void file_list_free_(file_list *f) {
  free(f->deltas);
  free(f->snaps);
  memset(f, 0, sizeof *f);
}

static int push_i64_(int64_t **a, size_t *n, int64_t v) {
  if ((*n & (*n - 1)) == 0) { /* grow at powers of two */
    int64_t *na = realloc(*a, (*n ? *n * 2 : 8) * sizeof *na);
    if (!na) return SPATE_ENOMEM;
    *a = na;
  }
  (*a)[(*n)++] = v;
  return 0;
}

static int cmp_i64_(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* "<id>.<kind>" names; with temp set, also ".<id>.<kind>.<rand>.tmp" (id into *tmp_id). */
static bool parse_name_(const char *nm, int64_t *id, bool *snapshot, bool *is_tmp) {
  *is_tmp = false;
  const char *p = nm;
  if (*p == '.') {
    *is_tmp = true;
    p++;
  }
  const char *dot = strchr(p, '.');
  if (!dot || !sp_ckpt_parse_id(p, (size_t)(dot - p), id)) return false;
  const char *kind = dot + 1;
  size_t kl;
  if (strncmp(kind, "delta", 5) == 0) {
    *snapshot = false;
    kl = 5;
  } else if (strncmp(kind, "snapshot", 8) == 0) {
    *snapshot = true;
    kl = 8;
  } else {
    return false;
  }
  const char *rest = kind + kl;
  if (!*is_tmp) return *rest == '\0';
  size_t rl = strlen(rest);
  return rl > 5 && rest[0] == '.' && strcmp(rest + rl - 4, ".tmp") == 0;
}

static int list_files_(const char *dir, file_list *f, spate_error *err) {
  memset(f, 0, sizeof *f);
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT) return 0;
    return spate_error_set(err, SPATE_EIO, "cannot list %s: %s", dir, strerror(errno));
  }
  struct dirent *de;
  int rc = 0;
  while (!rc && (de = readdir(d))) {
    int64_t id;
    bool snap, tmp;
    if (!parse_name_(de->d_name, &id, &snap, &tmp) || tmp) continue;
    if (snap ? push_i64_(&f->snaps, &f->ns, id) : push_i64_(&f->deltas, &f->nd, id)) rc = oom_(err);
  }
  closedir(d);
  if (rc) {
    file_list_free_(f);
    return rc;
  }
  if (f->nd) qsort(f->deltas, f->nd, sizeof *f->deltas, cmp_i64_);
  if (f->ns) qsort(f->snaps, f->ns, sizeof *f->snaps, cmp_i64_);
  return 0;
}

static bool has_(const int64_t *a, size_t n, int64_t v) {
  return n > 0 && bsearch(&v, a, n, sizeof *a, cmp_i64_) != NULL;
}

static int64_t latest_snapshot_le_(const file_list *f, int64_t v) {
  for (size_t i = f->ns; i > 0; i--)
    if (f->snaps[i - 1] <= v) return f->snaps[i - 1];
  return 0;
}

static int load_version_(sp_state_store *s, int64_t version, spate_error *err) {
  if (version == 0) return 0;
  file_list f;
  int rc = list_files_(s->dir, &f, err);
  if (rc) return rc;
  int64_t snap = latest_snapshot_le_(&f, version);
  for (int64_t k = snap + 1; k <= version; k++)
    if (!has_(f.deltas, f.nd, k)) {
      rc = spate_error_set(err, SPATE_ECHECKPOINT, "state store %s: cannot load version %lld: missing %s/%lld.delta",
                           s->dir, (long long)version, s->dir, (long long)k);
      break;
    }
  file_list_free_(&f);
  if (rc) return rc;
  if (snap > 0) {
    char *p = file_path_(s->dir, snap, "snapshot");
    if (!p) return oom_(err);
    rc = load_file_(s, p, version, err);
    free(p);
  }
  for (int64_t k = snap + 1; k <= version && !rc; k++) {
    char *p = file_path_(s->dir, k, "delta");
    if (!p) return oom_(err);
    rc = load_file_(s, p, version, err);
    free(p);
  }
  s->snapshot_version = snap;
  /* Dead entries from replayed removes and replaced records are garbage now. */
  if (!rc && (s->dead || s->slab_used - s->live_bytes > s->live_bytes / 4)) vacuum_(s);
  return rc;
}

int sp_state_store_open(const char *dir, int64_t version, const sp_state_store_opts *opts, sp_state_store **out,
                        spate_error *err) {
  *out = NULL;
  if (!dir || !*dir) return spate_error_set(err, SPATE_EINVAL, "state store: empty directory");
  if (version < 0)
    return spate_error_set(err, SPATE_EINVAL, "state store %s: invalid version %lld", dir, (long long)version);
  int rc = sp_fs_mkdirs(dir, err);
  if (rc) return rc;
  sp_state_store *s = calloc(1, sizeof *s);
  if (!s) return oom_(err);
  s->dir = strdup(dir);
  s->snapshot_every = opts && opts->snapshot_every > 0 ? opts->snapshot_every : DEFAULT_SNAPSHOT_EVERY;
  s->retain = opts && opts->retain > 0 ? opts->retain : DEFAULT_RETAIN;
  s->version = version;
  if (!s->dir || index_rebuild_(s, 16)) {
    sp_state_store_close(s);
    return oom_(err);
  }
  rc = load_version_(s, version, err);
  if (rc) {
    sp_state_store_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void sp_state_store_close(sp_state_store *s) {
  if (!s) return;
  chunks_free_(s->chunks);
  free(s->ents);
  free(s->index);
  free(s->dirty);
  free(s->dir);
  free(s);
}

static int write_snapshot_(sp_state_store *s, int64_t v) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_reserve(&b, s->live_bytes + 8);
  for (size_t i = 0; i < s->nents; i++) {
    const rec *r = s->ents[i].r;
    if (!r->dead) put_rec_(&b, r, false);
  }
  put_be32_(&b, -1);
  int rc = sp_buf_check(&b);
  char *p = rc ? NULL : file_path_(s->dir, v, "snapshot");
  if (!rc && !p) rc = SPATE_ENOMEM;
  spate_error e;
  spate_error_clear(&e);
  if (!rc) rc = sp_fs_write_atomic_tagged(p, b.data, b.len, true, "state.snapshot", &e);
  /* A snapshot is an optimisation (the deltas rebuild every version): a failed one
   * is removed by sp_fs_write_atomic and retried at the next version, loudly. */
  if (rc && e.message[0])
    fprintf(stderr, "spate: WARN: state store %s: cannot write snapshot of version %lld (continuing): %s\n", s->dir,
            (long long)v, e.message);
  free(p);
  sp_buf_free(&b);
  return rc;
}

int sp_state_store_commit(sp_state_store *s, spate_error *err) {
  int64_t nv = s->version + 1;
  sp_buf b;
  sp_buf_init(&b);
  for (size_t i = 0; i < s->ndirty; i++) {
    const rec *r = s->ents[s->dirty[i]].r;
    put_rec_(&b, r, r->dead);
  }
  put_be32_(&b, -1);
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return oom_(err);
  }
  char *delta = file_path_(s->dir, nv, "delta");
  char *snap = file_path_(s->dir, nv, "snapshot");
  int rc = 0;
  if (!delta || !snap) {
    rc = oom_(err);
    goto done;
  }
  /* A snapshot left by an earlier run of this version may differ: drop it first. */
  if ((rc = sp_fs_remove(snap, err))) goto done;
  if ((rc = sp_fs_write_atomic_tagged(delta, b.data, b.len, true, "state.delta", err))) {
    spate_error_prefix(err, "state store %s: cannot commit version %lld", s->dir, (long long)nv);
    goto done;
  }
  for (size_t i = 0; i < s->ndirty; i++) s->ents[s->dirty[i]].r->dirty = 0;
  s->ndirty = 0;
  s->version = nv;
  s->metrics_stale = true;
  if (nv - s->snapshot_version >= s->snapshot_every && write_snapshot_(s, nv) == 0) s->snapshot_version = nv;
  maybe_vacuum_(s);
done:
  free(delta);
  free(snap);
  sp_buf_free(&b);
  return rc;
}

int64_t sp_state_store_version(const sp_state_store *s) { return s->version; }

static int maintain_(sp_state_store *s, spate_error *err) {
  int64_t earliest = s->version - s->retain + 1;
  if (earliest <= 0) return 0;
  file_list f;
  int rc = list_files_(s->dir, &f, err);
  if (rc) return rc;
  int64_t snap = latest_snapshot_le_(&f, earliest);
  file_list_free_(&f);
  if (snap <= 0) return 0;
  /* Everything below the snapshot that rebuilds the earliest retained version goes,
   * including temp files of interrupted writes of those versions. */
  DIR *d = opendir(s->dir);
  if (!d) return spate_error_set(err, SPATE_EIO, "cannot list %s: %s", s->dir, strerror(errno));
  size_t dl = strlen(s->dir);
  bool removed = false;
  struct dirent *de;
  while (!rc && (de = readdir(d))) {
    int64_t id;
    bool is_snap, tmp;
    if (!parse_name_(de->d_name, &id, &is_snap, &tmp) || id >= snap) continue;
    char *p = malloc(dl + strlen(de->d_name) + 2);
    if (!p) {
      rc = oom_(err);
      break;
    }
    sprintf(p, "%s/%s", s->dir, de->d_name);
    rc = sp_fs_remove(p, err);
    free(p);
    removed = true;
    SP_CRASH_POINT("state.maintain.mid"); /* some obsolete state files gone, others not */
  }
  closedir(d);
  if (!rc && removed) rc = sp_fs_sync_dir(s->dir, err);
  return rc;
}

int sp_state_store_maintain(sp_state_store *s, spate_error *err) {
  spate_error local;
  spate_error_clear(&local);
  int rc = maintain_(s, err ? err : &local);
  /* Best effort for callers without an error (the operators): obsolete files that
   * stay are removed by a later maintenance, but an I/O error must not pass silently. */
  if (rc && !err)
    fprintf(stderr, "spate: WARN: state store %s: maintenance failed (continuing): %s\n", s->dir, local.message);
  return rc;
}

int64_t sp_state_store_num_rows(const sp_state_store *s) { return (int64_t)s->live; }

int64_t sp_state_store_memory_bytes(const sp_state_store *s) {
  return (int64_t)(sizeof *s + s->slab_cap + s->ents_cap * sizeof(entry) + s->cap * sizeof(uint64_t) +
                   s->dirty_cap * sizeof(uint32_t));
}

int64_t sp_state_store_num_updated(const sp_state_store *s) { return s->n_updated; }

int64_t sp_state_store_num_removed(const sp_state_store *s) { return s->n_removed; }
