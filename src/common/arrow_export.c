/*
 * arrow_export.c - Arrow C Data Interface export/import of sp_vec and sp_batch.
 *
 * Export invariants: every ArrowArray / ArrowSchema node owns one private block
 * (arr_priv_ / sch_priv_) holding its buffers, its name and the storage of its
 * child structs; the node's release callback releases the children that are
 * still live (release != NULL: a consumer may have moved some out), frees the
 * block and sets release = NULL. Nodes never point into each other's private
 * blocks, so moving any struct by value (or a child out of its parent) is safe.
 * Buffers are 64-byte aligned with zeroed padding; the validity buffer is
 * present only when null_count > 0; offset is always 0.
 *
 * Import copies the data into fresh vectors with whole-buffer loops (memcpy,
 * bit unpacking), honouring `offset` at every level: a struct's offset shifts
 * its children's rows, a list's offsets index its child's logical rows.
 */
#include "common/arrow_export.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_ 64

/* ---- allocation helpers ---- */

/* Zeroed (padding included), 64-byte aligned buffer of at least max(size,1) bytes. */
static void *abuf_alloc_(size_t size) {
  if (size > SIZE_MAX - ALIGN_) return NULL;
  size_t cap = (size + ALIGN_ - 1) / ALIGN_ * ALIGN_;
  if (cap == 0) cap = ALIGN_;
  void *p = aligned_alloc(ALIGN_, cap);
  if (p) memset(p, 0, cap);
  return p;
}

static int64_t popcount8_(uint8_t b) { return (int64_t)__builtin_popcount(b); }

/* Number of null rows among the first n rows of a validity bitmap (NULL = none). */
static int64_t count_nulls_(const uint8_t *bm, int64_t n) {
  if (!bm || n <= 0) return 0;
  int64_t valid = 0, full = n >> 3;
  for (int64_t j = 0; j < full; j++) valid += popcount8_(bm[j]);
  int rem = (int)(n & 7);
  if (rem) valid += popcount8_((uint8_t)(bm[full] & ((1u << rem) - 1)));
  return n - valid;
}

/* ---- schema export ---- */

typedef struct sch_priv_ {
  char *name;
  int64_t nkids;
  struct ArrowSchema *kids;      /* storage of the child structs */
  struct ArrowSchema **kid_ptrs; /* what schema->children points to */
} sch_priv_;

static void release_schema_(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  sch_priv_ *p = s->private_data;
  if (p) {
    for (int64_t i = 0; i < p->nkids; i++) {
      struct ArrowSchema *c = p->kid_ptrs[i];
      if (c->release) c->release(c);
    }
    free(p->kids);
    free(p->kid_ptrs);
    free(p->name);
    free(p);
  }
  s->private_data = NULL;
  s->release = NULL;
}

/* Initialise node s with zeroed children; on failure s is left released. */
static int schema_init_(struct ArrowSchema *s, const char *format, const char *name, bool nullable,
                        int64_t nkids) {
  memset(s, 0, sizeof *s);
  sch_priv_ *p = calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  s->private_data = p;
  s->release = release_schema_;
  s->format = format;
  s->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  p->name = strdup(name ? name : "");
  if (!p->name) goto fail;
  s->name = p->name;
  if (nkids > 0) {
    p->kids = calloc((size_t)nkids, sizeof *p->kids);
    p->kid_ptrs = calloc((size_t)nkids, sizeof *p->kid_ptrs);
    if (!p->kids || !p->kid_ptrs) goto fail;
    for (int64_t i = 0; i < nkids; i++) p->kid_ptrs[i] = &p->kids[i];
    p->nkids = nkids;
    s->n_children = nkids;
    s->children = p->kid_ptrs;
  }
  return 0;
fail:
  s->release(s);
  return SPATE_ENOMEM;
}

static const char *format_of_(sp_type_id id) {
  switch (id) {
    case SP_NULL: return "n";
    case SP_BOOLEAN: return "b";
    case SP_INT: return "i";
    case SP_BIGINT: return "l";
    case SP_DOUBLE: return "g";
    case SP_STRING: return "u";
    case SP_BINARY: return "z";
    case SP_TIMESTAMP: return "tsu:UTC";
    case SP_DATE: return "tdD";
    case SP_STRUCT: return "+s";
    case SP_ARRAY: return "+l";
    default: return NULL;
  }
}

static int export_schema_(const sp_type *t, const char *name, bool nullable, struct ArrowSchema *s) {
  memset(s, 0, sizeof *s);
  const char *fmt = format_of_(t->id);
  if (!fmt) return SPATE_EUNSUPPORTED;
  int64_t nkids = t->id == SP_STRUCT ? t->nfields : t->id == SP_ARRAY ? 1 : 0;
  int rc = schema_init_(s, fmt, name, nullable, nkids);
  if (rc) return rc;
  if (t->id == SP_STRUCT) {
    for (int i = 0; i < t->nfields; i++) {
      rc = export_schema_(t->fields[i].type, t->fields[i].name, t->fields[i].nullable, s->children[i]);
      if (rc) goto fail;
    }
  } else if (t->id == SP_ARRAY) {
    rc = export_schema_(t->elem, "item", t->elem_nullable, s->children[0]);
    if (rc) goto fail;
  }
  return 0;
fail:
  s->release(s);
  return rc;
}

/* ---- array export ---- */

typedef struct arr_priv_ {
  void *bufs[3];        /* owned buffers */
  const void *ptrs[3];  /* what array->buffers points to */
  int64_t nkids;
  struct ArrowArray *kids;
  struct ArrowArray **kid_ptrs;
} arr_priv_;

static void release_array_(struct ArrowArray *a) {
  if (!a || !a->release) return;
  arr_priv_ *p = a->private_data;
  if (p) {
    for (int64_t i = 0; i < p->nkids; i++) {
      struct ArrowArray *c = p->kid_ptrs[i];
      if (c->release) c->release(c);
    }
    for (int i = 0; i < 3; i++) free(p->bufs[i]);
    free(p->kids);
    free(p->kid_ptrs);
    free(p);
  }
  a->private_data = NULL;
  a->release = NULL;
}

static int array_init_(struct ArrowArray *a, int64_t length, int64_t null_count, int nbufs, int64_t nkids) {
  memset(a, 0, sizeof *a);
  arr_priv_ *p = calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  a->private_data = p;
  a->release = release_array_;
  a->length = length;
  a->null_count = null_count;
  a->offset = 0;
  a->n_buffers = nbufs;
  a->buffers = p->ptrs;
  if (nkids > 0) {
    p->kids = calloc((size_t)nkids, sizeof *p->kids);
    p->kid_ptrs = calloc((size_t)nkids, sizeof *p->kid_ptrs);
    if (!p->kids || !p->kid_ptrs) {
      a->release(a);
      return SPATE_ENOMEM;
    }
    for (int64_t i = 0; i < nkids; i++) p->kid_ptrs[i] = &p->kids[i];
    p->nkids = nkids;
    a->n_children = nkids;
    a->children = p->kid_ptrs;
  }
  return 0;
}

/* Allocate buffer i of node a (owned by its private block) and copy n bytes of src. */
static void *set_buf_(struct ArrowArray *a, int i, const void *src, size_t n) {
  arr_priv_ *p = a->private_data;
  void *b = abuf_alloc_(n);
  if (!b) return NULL;
  if (src && n) memcpy(b, src, n);
  p->bufs[i] = b;
  p->ptrs[i] = b;
  return b;
}

/* Pack n one-byte booleans (0/1) into an LSB-first bitmap (dst zeroed, (n+7)/8 bytes). */
static void pack_bools_(uint8_t *dst, const uint8_t *src, int64_t n) {
  int64_t full = n >> 3;
  for (int64_t j = 0; j < full; j++) {
    const uint8_t *s = src + (j << 3);
    dst[j] = (uint8_t)((s[0] & 1) | (s[1] & 1) << 1 | (s[2] & 1) << 2 | (s[3] & 1) << 3 | (s[4] & 1) << 4 |
                       (s[5] & 1) << 5 | (s[6] & 1) << 6 | (s[7] & 1) << 7);
  }
  uint8_t last = 0;
  for (int64_t i = full << 3; i < n; i++) last |= (uint8_t)((src[i] & 1) << (i & 7));
  if (n & 7) dst[full] = last;
}

static int export_array_(const sp_vec *v, struct ArrowArray *a) {
  memset(a, 0, sizeof *a);
  sp_type_id id = v->type->id;
  int64_t n = v->length;
  int rc;
  if (id == SP_NULL) return array_init_(a, n, n, 0, 0);
  int64_t nulls = count_nulls_(v->validity, n);
  int nbufs = (id == SP_STRING || id == SP_BINARY) ? 3 : id == SP_STRUCT ? 1 : 2;
  int64_t nkids = id == SP_STRUCT ? v->nchildren : id == SP_ARRAY ? 1 : 0;
  if (!format_of_(id)) return SPATE_EUNSUPPORTED;
  rc = array_init_(a, n, nulls, nbufs, nkids);
  if (rc) return rc;
  rc = SPATE_ENOMEM;
  if (nulls > 0) {
    uint8_t *bm = set_buf_(a, 0, v->validity, (size_t)((n + 7) >> 3));
    if (!bm) goto fail;
    if (n & 7) bm[n >> 3] &= (uint8_t)((1u << (n & 7)) - 1); /* clear bits past length */
  }
  switch (id) {
    case SP_BOOLEAN: {
      uint8_t *bits = set_buf_(a, 1, NULL, (size_t)((n + 7) >> 3));
      if (!bits) goto fail;
      pack_bools_(bits, sp_vec_bool(v), n);
      break;
    }
    case SP_INT:
    case SP_DATE:
    case SP_BIGINT:
    case SP_TIMESTAMP:
    case SP_DOUBLE:
      if (!set_buf_(a, 1, v->data, (size_t)n * (size_t)sp_type_width(id))) goto fail;
      break;
    case SP_STRING:
    case SP_BINARY:
      if (!set_buf_(a, 1, v->offsets, (size_t)(n + 1) * sizeof(int32_t))) goto fail;
      if (!set_buf_(a, 2, v->chars, (size_t)v->offsets[n])) goto fail;
      break;
    case SP_STRUCT:
      for (int i = 0; i < v->nchildren; i++) {
        rc = export_array_(v->children[i], a->children[i]);
        if (rc) goto fail;
      }
      break;
    case SP_ARRAY:
      if (!set_buf_(a, 1, v->offsets, (size_t)(n + 1) * sizeof(int32_t))) goto fail;
      rc = export_array_(v->children[0], a->children[0]);
      if (rc) goto fail;
      break;
    default: break;
  }
  return 0;
fail:
  a->release(a);
  return rc;
}

/* ---- public export ---- */

int sp_arrow_export_vec(const sp_vec *v, const char *name, bool nullable, struct ArrowSchema *schema,
                        struct ArrowArray *array) {
  memset(schema, 0, sizeof *schema);
  memset(array, 0, sizeof *array);
  if (sp_vec_check(v)) return SPATE_ENOMEM;
  struct ArrowSchema s;
  struct ArrowArray a;
  int rc = export_schema_(v->type, name, nullable, &s);
  if (rc) return rc;
  rc = export_array_(v, &a);
  if (rc) {
    s.release(&s);
    return rc;
  }
  *schema = s;
  *array = a;
  return 0;
}

int sp_arrow_export_batch(const sp_batch *b, struct ArrowSchema *schema, struct ArrowArray *array) {
  memset(schema, 0, sizeof *schema);
  memset(array, 0, sizeof *array);
  if (!b->schema || b->schema->id != SP_STRUCT || b->schema->nfields != b->ncols) return SPATE_EINVAL;
  for (int i = 0; i < b->ncols; i++)
    if (b->cols[i]->length != b->nrows) return SPATE_EINVAL;
  if (sp_batch_check(b)) return SPATE_ENOMEM;
  struct ArrowSchema s;
  struct ArrowArray a;
  int rc = schema_init_(&s, "+s", "", false, b->ncols);
  if (rc) return rc;
  for (int i = 0; i < b->ncols; i++) {
    const sp_field *f = &b->schema->fields[i];
    rc = export_schema_(b->cols[i]->type, f->name, f->nullable, s.children[i]);
    if (rc) goto fail_schema;
  }
  rc = array_init_(&a, b->nrows, 0, 1, b->ncols);
  if (rc) goto fail_schema;
  for (int i = 0; i < b->ncols; i++) {
    rc = export_array_(b->cols[i], a.children[i]);
    if (rc) {
      a.release(&a);
      goto fail_schema;
    }
  }
  *schema = s;
  *array = a;
  return 0;
fail_schema:
  s.release(&s);
  return rc;
}

/* ---- import ---- */

static const char *nm_(const struct ArrowSchema *s) { return s && s->name ? s->name : ""; }

/* Build the sp_type described by schema node s (caller owns the reference). */
static int import_type_(const struct ArrowSchema *s, sp_type **out, spate_error *err) {
  *out = NULL;
  if (!s || !s->release || !s->format)
    return spate_error_set(err, SPATE_EINVAL, "Arrow import: field '%s': missing or released schema", nm_(s));
  if (s->dictionary)
    return spate_error_set(err, SPATE_EUNSUPPORTED, "Arrow import: field '%s': dictionary encoding is not supported",
                           nm_(s));
  const char *f = s->format;
  sp_type_id id;
  if (f[0] && !f[1]) {
    switch (f[0]) {
      case 'n': id = SP_NULL; break;
      case 'b': id = SP_BOOLEAN; break;
      case 'i': id = SP_INT; break;
      case 'l': id = SP_BIGINT; break;
      case 'g': id = SP_DOUBLE; break;
      case 'u': id = SP_STRING; break;
      case 'z': id = SP_BINARY; break;
      default: goto unsupported;
    }
  } else if (strcmp(f, "tdD") == 0) {
    id = SP_DATE;
  } else if (strncmp(f, "tsu:", 4) == 0) {
    id = SP_TIMESTAMP;
  } else if (strcmp(f, "+s") == 0) {
    id = SP_STRUCT;
  } else if (strcmp(f, "+l") == 0) {
    id = SP_ARRAY;
  } else {
    goto unsupported;
  }
  int64_t want = id == SP_STRUCT ? s->n_children : id == SP_ARRAY ? 1 : 0;
  if (s->n_children != want || (want > 0 && !s->children) || want > INT_MAX)
    return spate_error_set(err, SPATE_EINVAL, "Arrow import: field '%s': format '%s' with %lld children", nm_(s), f,
                           (long long)s->n_children);
  if (id == SP_STRUCT) {
    sp_type *st = sp_type_struct_new((int)want);
    if (!st) return spate_error_set(err, SPATE_ENOMEM, "Arrow import: out of memory");
    for (int i = 0; i < (int)want; i++) {
      sp_type *ct;
      int rc = import_type_(s->children[i], &ct, err);
      if (rc) {
        sp_type_unref(st);
        return rc;
      }
      const struct ArrowSchema *c = s->children[i];
      if (sp_type_struct_set(st, i, nm_(c), ct, (c->flags & ARROW_FLAG_NULLABLE) != 0)) {
        sp_type_unref(st);
        return spate_error_set(err, SPATE_ENOMEM, "Arrow import: out of memory");
      }
    }
    *out = st;
    return 0;
  }
  if (id == SP_ARRAY) {
    sp_type *et;
    int rc = import_type_(s->children[0], &et, err);
    if (rc) return rc;
    sp_type *at = sp_type_array_new(et, (s->children[0]->flags & ARROW_FLAG_NULLABLE) != 0);
    if (!at) return spate_error_set(err, SPATE_ENOMEM, "Arrow import: out of memory");
    *out = at;
    return 0;
  }
  *out = sp_type_prim(id);
  return 0;
unsupported:
  return spate_error_set(err, SPATE_EUNSUPPORTED, "Arrow import: field '%s': unsupported format '%s'", nm_(s), f);
}

/* Copy validity bits [p0, p0+n) of bm into a fresh bitmap for v (capacity >= n); keeps
 * v->validity NULL when the range has no nulls. 0 or SPATE_ENOMEM. */
static int import_validity_(sp_vec *v, const uint8_t *bm, int64_t p0, int64_t n) {
  size_t nb = (size_t)(v->capacity + 7) / 8;
  uint8_t *d = malloc(nb);
  if (!d) return SPATE_ENOMEM;
  memset(d, 0xff, nb);
  int64_t nulls = 0;
  if ((p0 & 7) == 0) {
    const uint8_t *s = bm + (p0 >> 3);
    int64_t full = n >> 3;
    for (int64_t j = 0; j < full; j++) {
      d[j] = s[j];
      nulls += 8 - popcount8_(s[j]);
    }
    int rem = (int)(n & 7);
    if (rem) {
      uint8_t mask = (uint8_t)((1u << rem) - 1), byte = (uint8_t)(s[full] & mask);
      d[full] = (uint8_t)(byte | (uint8_t)~mask);
      nulls += rem - popcount8_(byte);
    }
  } else {
    for (int64_t k = 0; k < n; k++) {
      int64_t i = p0 + k;
      if (!((bm[i >> 3] >> (i & 7)) & 1)) {
        d[k >> 3] &= (uint8_t)~(1u << (k & 7));
        nulls++;
      }
    }
  }
  if (nulls == 0) {
    free(d);
  } else {
    v->validity = d;
    v->null_count = nulls;
  }
  return 0;
}

/* Validate n+1 int32 offsets starting at o; on success *base = o[0], *total = o[n]-o[0]. */
static int check_offsets_(const int32_t *o, int64_t n, int32_t *base, int32_t *total) {
  if (o[0] < 0) return -1;
  for (int64_t k = 0; k < n; k++)
    if (o[k + 1] < o[k]) return -1;
  *base = o[0];
  *total = o[n] - o[0];
  return 0;
}

/* New vector of type t holding logical rows [start, start+n) of array a (schema s). */
static int import_vec_(sp_type *t, const struct ArrowSchema *s, const struct ArrowArray *a, int64_t start,
                       int64_t n, sp_vec **out, spate_error *err) {
  *out = NULL;
  const char *name = nm_(s);
  if (!a || !a->release)
    return spate_error_set(err, SPATE_EINVAL, "Arrow import: field '%s': missing or released array", name);
  if (a->length < 0 || a->offset < 0 || a->offset > INT64_MAX - a->length || start < 0 || n < 0 ||
      start > a->length - n)
    return spate_error_set(err, SPATE_EINVAL,
                           "Arrow import: field '%s': array of length %lld (offset %lld) lacks rows [%lld, %lld)", name,
                           (long long)a->length, (long long)a->offset, (long long)start, (long long)(start + n));
  sp_type_id id = t->id;
  int64_t want_bufs = id == SP_NULL ? 0 : (id == SP_STRING || id == SP_BINARY) ? 3 : id == SP_STRUCT ? 1 : 2;
  int64_t want_kids = id == SP_STRUCT ? t->nfields : id == SP_ARRAY ? 1 : 0;
  bool bufs_ok = a->n_buffers == want_bufs || (id == SP_NULL && a->n_buffers == 1);
  if (!bufs_ok || (a->n_buffers > 0 && !a->buffers))
    return spate_error_set(err, SPATE_EINVAL, "Arrow import: field '%s': format '%s' needs %lld buffers, got %lld",
                           name, s->format, (long long)want_bufs, (long long)a->n_buffers);
  if (a->n_children != want_kids || (want_kids > 0 && !a->children))
    return spate_error_set(err, SPATE_EINVAL, "Arrow import: field '%s': format '%s' needs %lld children, got %lld",
                           name, s->format, (long long)want_kids, (long long)a->n_children);
  if (a->dictionary)
    return spate_error_set(err, SPATE_EUNSUPPORTED, "Arrow import: field '%s': dictionary arrays are not supported",
                           name);

  int64_t p0 = a->offset + start; /* physical index of the first row */
  int rc = 0;
  sp_vec *v = sp_vec_new(t, 0);
  if (!v) return spate_error_set(err, SPATE_ENOMEM, "Arrow import: out of memory");
  if (n > 0) sp_vec_reserve(v, n);
  if (v->failed) goto oom;

  if (id != SP_NULL && n > 0 && a->buffers[0] && a->null_count != 0) {
    if (import_validity_(v, (const uint8_t *)a->buffers[0], p0, n)) goto oom;
  }
  const void *b1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (id) {
    case SP_NULL:
      if (n > 0) {
        v->validity = calloc((size_t)(v->capacity + 7) / 8, 1);
        if (!v->validity) goto oom;
        v->null_count = n;
      }
      break;
    case SP_BOOLEAN: {
      if (n == 0) break;
      if (!b1) goto missing;
      const uint8_t *bits = b1;
      uint8_t *dst = sp_vec_bool(v);
      for (int64_t k = 0; k < n; k++) {
        int64_t i = p0 + k;
        dst[k] = (uint8_t)((bits[i >> 3] >> (i & 7)) & 1);
      }
      break;
    }
    case SP_INT:
    case SP_DATE:
    case SP_BIGINT:
    case SP_TIMESTAMP:
    case SP_DOUBLE: {
      if (n == 0) break;
      if (!b1) goto missing;
      int w = sp_type_width(id);
      memcpy(v->data, (const char *)b1 + p0 * w, (size_t)(n * w));
      break;
    }
    case SP_STRING:
    case SP_BINARY:
    case SP_ARRAY: {
      if (n == 0) break;
      if (!b1) goto missing;
      const int32_t *o = (const int32_t *)b1 + p0;
      int32_t base, total;
      if (check_offsets_(o, n, &base, &total)) {
        rc = spate_error_set(err, SPATE_EINVAL, "Arrow import: field '%s': invalid offsets", name);
        goto fail;
      }
      for (int64_t k = 0; k <= n; k++) v->offsets[k] = o[k] - base;
      if (id == SP_ARRAY) {
        sp_vec *child;
        rc = import_vec_(t->elem, s->children[0], a->children[0], base, total, &child, err);
        if (rc) goto fail;
        sp_vec_free(v->children[0]);
        v->children[0] = child;
      } else if (total > 0) {
        if (!a->buffers[2]) goto missing;
        v->chars = malloc((size_t)total);
        if (!v->chars) goto oom;
        memcpy(v->chars, (const char *)a->buffers[2] + base, (size_t)total);
        v->chars_len = v->chars_cap = total;
      }
      break;
    }
    case SP_STRUCT:
      for (int i = 0; i < t->nfields; i++) {
        sp_vec *child;
        rc = import_vec_(t->fields[i].type, s->children[i], a->children[i], p0, n, &child, err);
        if (rc) goto fail;
        sp_vec_free(v->children[i]);
        v->children[i] = child;
      }
      break;
    default:
      rc = spate_error_set(err, SPATE_EUNSUPPORTED, "Arrow import: field '%s': unsupported type", name);
      goto fail;
  }
  v->length = n;
  *out = v;
  return 0;
missing:
  rc = spate_error_set(err, SPATE_EINVAL, "Arrow import: field '%s': missing data buffer", name);
  goto fail;
oom:
  rc = spate_error_set(err, SPATE_ENOMEM, "Arrow import: out of memory");
fail:
  sp_vec_free(v);
  return rc;
}

int sp_arrow_import_batch(const struct ArrowSchema *schema, const struct ArrowArray *array, sp_batch **out,
                          spate_error *err) {
  *out = NULL;
  if (!schema || !schema->release || !schema->format || strcmp(schema->format, "+s") != 0)
    return spate_error_set(err, SPATE_EINVAL, "Arrow import: a batch needs a struct ('+s') schema, got '%s'",
                           schema && schema->format ? schema->format : "(none)");
  sp_type *st;
  int rc = import_type_(schema, &st, err);
  if (rc) return rc;
  if (!array || !array->release || array->n_buffers != 1 || !array->buffers || array->n_children != st->nfields ||
      array->length < 0 || array->offset < 0 || array->offset > INT64_MAX - array->length) {
    sp_type_unref(st);
    return spate_error_set(err, SPATE_EINVAL, "Arrow import: batch array does not match its struct schema");
  }
  const uint8_t *bm = array->buffers[0];
  if (bm && array->null_count != 0) {
    for (int64_t k = 0; k < array->length; k++) {
      int64_t i = array->offset + k;
      if (!((bm[i >> 3] >> (i & 7)) & 1)) {
        sp_type_unref(st);
        return spate_error_set(err, SPATE_EINVAL, "Arrow import: batch struct array has a null row (%lld)",
                               (long long)k);
      }
    }
  }
  int ncols = st->nfields;
  sp_vec **cols = calloc((size_t)(ncols ? ncols : 1), sizeof *cols);
  if (!cols) {
    sp_type_unref(st);
    return spate_error_set(err, SPATE_ENOMEM, "Arrow import: out of memory");
  }
  for (int i = 0; i < ncols; i++) {
    rc = import_vec_(st->fields[i].type, schema->children[i], array->children[i], array->offset, array->length,
                     &cols[i], err);
    if (rc) goto fail;
  }
  sp_batch *b = sp_batch_from(st, cols, ncols, array->length);
  if (!b) {
    rc = spate_error_set(err, SPATE_ENOMEM, "Arrow import: out of memory");
    goto fail;
  }
  free(cols);
  sp_type_unref(st);
  *out = b;
  return 0;
fail:
  for (int i = 0; i < ncols; i++) sp_vec_free(cols[i]);
  free(cols);
  sp_type_unref(st);
  return rc;
}
