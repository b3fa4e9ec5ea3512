/*
 * json_infer.c - JSON schema inference with Spark's rules (JsonInferSchema):
 * every line's tape is merged in place into one mutable inference tree, so a file
 * costs one simdjson parse per line and allocations only for newly seen fields.
 *
 * Rules: integers -> bigint (beyond int64 -> double: spate has no decimal type),
 * other numbers -> double, bigint+double -> double, strings -> string, booleans ->
 * boolean, objects -> struct with fields sorted by name, arrays -> array of the merged
 * element type, null-only -> string, any other conflict -> string. Empty structs (and
 * arrays of them) are dropped. Malformed lines and non-object roots add a
 * "_corrupt_record" string field (PERMISSIVE); null roots and blank lines are ignored;
 * a root array contributes each of its objects. Every field is nullable.
 * Invariant: struct nodes keep their fields sorted (byte order = Java's String order
 * for ASCII names).
 */
#include <stdlib.h>
#include <string.h>

#include "format/format_internal.h"
#include "format/json_simd.h"

enum { K_NONE, K_NULL, K_BOOL, K_LONG, K_DOUBLE, K_STRING, K_STRUCT, K_ARRAY, K_OTHER };

typedef struct inode_ inode_;
typedef struct ifield_ {
  char *name;
  uint32_t len;
  inode_ *node;
} ifield_;

struct inode_ {
  int kind;
  int nf, cap;
  ifield_ *f;
  inode_ *elem;
  sp_type *other; /* K_OTHER: a type carried over from a previous schema */
  int32_t hint[16];
};

typedef struct infer_ {
  const uint64_t *tape;
  const uint8_t *strs;
  bool oom;
} infer_;

static inode_ *inode_new_(void) {
  inode_ *n = calloc(1, sizeof *n);
  if (n)
    for (int k = 0; k < 16; k++) n->hint[k] = -1;
  return n;
}

static void inode_clear_(inode_ *n) {
  for (int i = 0; i < n->nf; i++) {
    free(n->f[i].name);
    if (n->f[i].node) inode_clear_(n->f[i].node);
    free(n->f[i].node);
  }
  free(n->f);
  n->f = NULL;
  n->nf = n->cap = 0;
  if (n->elem) {
    inode_clear_(n->elem);
    free(n->elem);
    n->elem = NULL;
  }
  sp_type_unref(n->other);
  n->other = NULL;
  for (int k = 0; k < 16; k++) n->hint[k] = -1;
}

static void inode_free_(inode_ *n) {
  if (!n) return;
  inode_clear_(n);
  free(n);
}

static int name_cmp_(const char *a, uint32_t al, const char *b, uint32_t bl) {
  uint32_t m = al < bl ? al : bl;
  int c = memcmp(a, b, m);
  if (c) return c;
  return al < bl ? -1 : al > bl ? 1 : 0;
}

/* Field of struct node n named k (inserted in sorted position when absent). */
static inode_ *field_(infer_ *I, inode_ *n, const char *k, uint32_t kl, int keypos) {
  if (keypos < 16) {
    int h = n->hint[keypos];
    if (h >= 0 && h < n->nf && n->f[h].len == kl && memcmp(n->f[h].name, k, kl) == 0) return n->f[h].node;
  }
  int lo = 0, hi = n->nf;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    int c = name_cmp_(n->f[mid].name, n->f[mid].len, k, kl);
    if (c == 0) {
      if (keypos < 16) n->hint[keypos] = mid;
      return n->f[mid].node;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (n->nf == n->cap) {
    int cap = n->cap ? n->cap * 2 : 8;
    ifield_ *nf = realloc(n->f, sizeof *nf * (size_t)cap);
    if (!nf) {
      I->oom = true;
      return NULL;
    }
    n->f = nf;
    n->cap = cap;
  }
  char *name = malloc(kl + 1);
  inode_ *child = inode_new_();
  if (!name || !child) {
    free(name);
    free(child);
    I->oom = true;
    return NULL;
  }
  memcpy(name, k, kl);
  name[kl] = '\0';
  memmove(n->f + lo + 1, n->f + lo, sizeof *n->f * (size_t)(n->nf - lo));
  n->f[lo] = (ifield_){name, kl, child};
  n->nf++;
  for (int q = 0; q < 16; q++) n->hint[q] = -1; /* indexes shifted */
  if (keypos < 16) n->hint[keypos] = lo;
  return child;
}

static void merge_(infer_ *I, inode_ *n, uint32_t idx);

static void merge_object_(infer_ *I, inode_ *n, uint32_t idx) {
  uint32_t end = (uint32_t)SP_TAPE_PAYLOAD(I->tape[idx]) - 1;
  int keypos = 0;
  for (uint32_t i = idx + 1; i < end; i = sp_tape_skip(I->tape, i + 1), keypos++) {
    uint32_t kl;
    const char *k = sp_tape_str(I->tape, I->strs, i, &kl);
    inode_ *c = field_(I, n, k, kl, keypos);
    if (!c) return;
    merge_(I, c, i + 1);
  }
}

/* Merge kind k into n; returns false when n became (or is) STRING, i.e. stop descending. */
static bool merge_kind_(inode_ *n, int k) {
  if (n->kind == K_STRING) return false;
  if (k == K_NULL) {
    if (n->kind == K_NONE) n->kind = K_NULL;
    return false;
  }
  if (n->kind == K_NONE || n->kind == K_NULL) {
    n->kind = k;
    return true;
  }
  if (n->kind == k) return k != K_OTHER;
  if ((n->kind == K_LONG && k == K_DOUBLE) || (n->kind == K_DOUBLE && k == K_LONG)) {
    n->kind = K_DOUBLE;
    return true;
  }
  inode_clear_(n);
  n->kind = K_STRING;
  return false;
}

static void merge_(infer_ *I, inode_ *n, uint32_t idx) {
  if (I->oom) return;
  char t = SP_TAPE_TYPE(I->tape[idx]);
  int k;
  switch (t) {
    case 'n': k = K_NULL; break;
    case 't':
    case 'f': k = K_BOOL; break;
    case 'l': k = K_LONG; break;
    case 'u':
    case 'd': k = K_DOUBLE; break;
    case '"': k = K_STRING; break;
    case '{': k = K_STRUCT; break;
    case '[': k = K_ARRAY; break;
    default: return;
  }
  if (!merge_kind_(n, k)) return;
  if (k == K_STRUCT) {
    merge_object_(I, n, idx);
  } else if (k == K_ARRAY) {
    if (!n->elem) {
      n->elem = inode_new_();
      if (!n->elem) {
        I->oom = true;
        return;
      }
    }
    uint32_t end = (uint32_t)SP_TAPE_PAYLOAD(I->tape[idx]) - 1;
    for (uint32_t i = idx + 1; i < end; i = sp_tape_skip(I->tape, i)) merge_(I, n->elem, i);
  }
}

/* Previous schema -> inference tree. */
static inode_ *from_type_(infer_ *I, const sp_type *t) {
  inode_ *n = inode_new_();
  if (!n) {
    I->oom = true;
    return NULL;
  }
  switch (t->id) {
    case SP_BOOLEAN: n->kind = K_BOOL; break;
    case SP_BIGINT: n->kind = K_LONG; break;
    case SP_DOUBLE: n->kind = K_DOUBLE; break;
    case SP_STRING: n->kind = K_STRING; break;
    case SP_NULL: n->kind = K_NULL; break;
    case SP_STRUCT:
      n->kind = K_STRUCT;
      for (int i = 0; i < t->nfields && !I->oom; i++) {
        const char *name = t->fields[i].name;
        inode_ *slot = field_(I, n, name, (uint32_t)strlen(name), 99);
        inode_ *c = slot ? from_type_(I, t->fields[i].type) : NULL;
        if (!c) break;
        /* replace the empty slot node by the converted one */
        for (int q = 0; q < n->nf; q++)
          if (n->f[q].node == slot) {
            n->f[q].node = c;
            break;
          }
        inode_free_(slot);
      }
      break;
    case SP_ARRAY:
      n->kind = K_ARRAY;
      n->elem = from_type_(I, t->elem);
      break;
    default:
      n->kind = K_OTHER;
      n->other = sp_type_ref((sp_type *)t);
      break;
  }
  return n;
}

/* Merge two trees (b into a); used for a previous schema. */
static void merge_tree_(infer_ *I, inode_ *a, inode_ *b) {
  if (I->oom || !b) return;
  if (b->kind == K_NONE) return;
  if (b->kind == K_OTHER) {
    if (a->kind == K_NONE || a->kind == K_NULL) {
      a->kind = K_OTHER;
      a->other = sp_type_ref(b->other);
    } else if (!(a->kind == K_OTHER && sp_type_equal(a->other, b->other))) {
      inode_clear_(a);
      a->kind = K_STRING;
    }
    return;
  }
  if (a->kind == K_OTHER && b->kind != K_NULL) {
    inode_clear_(a);
    a->kind = K_STRING;
    return;
  }
  if (!merge_kind_(a, b->kind)) return;
  if (b->kind == K_STRUCT) {
    for (int i = 0; i < b->nf && !I->oom; i++) {
      inode_ *c = field_(I, a, b->f[i].name, b->f[i].len, 99);
      if (c) merge_tree_(I, c, b->f[i].node);
    }
  } else if (b->kind == K_ARRAY) {
    if (!a->elem) {
      a->elem = inode_new_();
      if (!a->elem) {
        I->oom = true;
        return;
      }
    }
    merge_tree_(I, a->elem, b->elem);
  }
}

/* Canonical Spark type of a node; *drop set when the node disappears (empty struct). */
static sp_type *to_type_(infer_ *I, const inode_ *n, bool *drop) {
  *drop = false;
  switch (n->kind) {
    case K_NONE:
    case K_NULL:
    case K_STRING: return sp_type_prim(SP_STRING);
    case K_BOOL: return sp_type_prim(SP_BOOLEAN);
    case K_LONG: return sp_type_prim(SP_BIGINT);
    case K_DOUBLE: return sp_type_prim(SP_DOUBLE);
    case K_OTHER: return sp_type_ref(n->other);
    case K_ARRAY: {
      if (!n->elem) return sp_type_array_new(sp_type_prim(SP_STRING), true);
      bool d;
      sp_type *e = to_type_(I, n->elem, &d);
      if (d) {
        *drop = true;
        return NULL;
      }
      if (!e) {
        I->oom = true;
        return NULL;
      }
      sp_type *a = sp_type_array_new(e, true);
      if (!a) I->oom = true;
      return a;
    }
    case K_STRUCT: {
      sp_type **ft = calloc((size_t)(n->nf ? n->nf : 1), sizeof *ft);
      if (!ft) {
        I->oom = true;
        return NULL;
      }
      int keep = 0;
      for (int i = 0; i < n->nf && !I->oom; i++) {
        bool d;
        ft[i] = to_type_(I, n->f[i].node, &d);
        if (ft[i]) keep++;
      }
      sp_type *st = NULL;
      if (!I->oom && keep > 0) {
        st = sp_type_struct_new(keep);
        if (!st) I->oom = true;
      }
      int j = 0;
      for (int i = 0; i < n->nf; i++) {
        if (!ft[i]) continue;
        if (st && !I->oom) {
          if (sp_type_struct_set(st, j++, n->f[i].name, ft[i], true)) I->oom = true;
        } else {
          sp_type_unref(ft[i]);
        }
      }
      free(ft);
      if (I->oom) {
        sp_type_unref(st);
        return NULL;
      }
      if (!st) *drop = true;
      return st;
    }
    default: return sp_type_prim(SP_STRING);
  }
}

int sp_json_infer_schema(const char *buf, size_t len, const char *source_name, sp_type **schema,
                         spate_error *err) {
  infer_ I = {0};
  inode_ *root = inode_new_();
  sp_jsimd *js = sp_jsimd_new();
  int rc = 0;
  bool corrupt = false;
  if (!root || !js) {
    I.oom = true;
    goto done;
  }
  root->kind = K_STRUCT;
  if (*schema) {
    inode_ *prev = from_type_(&I, *schema);
    if (prev) merge_tree_(&I, root, prev);
    inode_free_(prev);
  }
  const char *p = buf, *end = buf + len;
  while (p < end && !I.oom) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    size_t ll = (size_t)(le - p);
    bool blank = true;
    for (size_t k = 0; k < ll && blank; k++) blank = p[k] == ' ' || p[k] == '\t' || p[k] == '\r';
    if (!blank) {
      bool padded = (size_t)(end - p) >= ll + SP_JSIMD_PADDING;
      int e = sp_jsimd_parse(js, p, ll, padded, &I.tape, &I.strs);
      if (e == sp_jsimd_err_memalloc()) {
        I.oom = true;
        break;
      }
      if (e) {
        corrupt = true;
      } else {
        char t = SP_TAPE_TYPE(I.tape[1]);
        if (t == '{') {
          merge_object_(&I, root, 1);
        } else if (t == '[') {
          uint32_t aend = (uint32_t)SP_TAPE_PAYLOAD(I.tape[1]) - 1;
          for (uint32_t i = 2; i < aend; i = sp_tape_skip(I.tape, i)) {
            char et = SP_TAPE_TYPE(I.tape[i]);
            if (et == '{')
              merge_object_(&I, root, i);
            else if (et != 'n')
              corrupt = true;
          }
        } else if (t != 'n') {
          corrupt = true;
        }
      }
    }
    p = nl ? nl + 1 : end;
  }
  if (corrupt && !I.oom) {
    const char *cn = sp_fmt_corrupt_name(NULL);
    inode_ *c = field_(&I, root, cn, (uint32_t)strlen(cn), 99);
    if (c) merge_kind_(c, K_STRING);
  }
  if (!I.oom) {
    bool drop;
    sp_type *st = to_type_(&I, root, &drop);
    if (!I.oom && !st) st = sp_type_struct_new(0);
    if (!st) {
      I.oom = true;
    } else {
      sp_type_unref(*schema);
      *schema = st;
    }
  }
done:
  if (I.oom) rc = spate_error_set(err, SPATE_ENOMEM, "out of memory inferring the JSON schema of %s",
                                  source_name ? source_name : "<input>");
  inode_free_(root);
  sp_jsimd_free(js);
  return rc;
}
