/*
 * types.c - construction, reference counting, printing of sp_type.
 * Invariant: primitive singletons have refcount < 0 and are never written to.
 */
#include "common/types.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spate/error.h"

#define PRIM_(id) {id, -1, 0, NULL, NULL, false}
static sp_type prim_types_[SP_STRUCT] = {
    PRIM_(SP_NULL),   PRIM_(SP_BOOLEAN), PRIM_(SP_INT),    PRIM_(SP_BIGINT),
    PRIM_(SP_DOUBLE), PRIM_(SP_STRING),  PRIM_(SP_BINARY), PRIM_(SP_TIMESTAMP),
    PRIM_(SP_DATE)};
#undef PRIM_

sp_type *sp_type_prim(sp_type_id id) {
  if (id < 0 || id >= SP_STRUCT) return NULL;
  return &prim_types_[id];
}

sp_type *sp_type_ref(sp_type *t) {
  if (t && atomic_load_explicit((_Atomic int *)&t->refcount, memory_order_relaxed) >= 0)
    atomic_fetch_add((_Atomic int *)&t->refcount, 1);
  return t;
}

void sp_type_unref(sp_type *t) {
  if (!t || atomic_load_explicit((_Atomic int *)&t->refcount, memory_order_relaxed) < 0) return;
  if (atomic_fetch_sub((_Atomic int *)&t->refcount, 1) != 1) return;
  for (int i = 0; i < t->nfields; i++) {
    free(t->fields[i].name);
    sp_type_unref(t->fields[i].type);
  }
  free(t->fields);
  sp_type_unref(t->elem);
  free(t);
}

sp_type *sp_type_struct_new(int n) {
  sp_type *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->id = SP_STRUCT;
  t->refcount = 1;
  t->nfields = n;
  if (n > 0) {
    t->fields = calloc((size_t)n, sizeof *t->fields);
    if (!t->fields) {
      free(t);
      return NULL;
    }
  }
  return t;
}

int sp_type_struct_set(sp_type *st, int i, const char *name, sp_type *type, bool nullable) {
  char *copy = strdup(name ? name : "");
  if (!copy) {
    sp_type_unref(type);
    return SPATE_ENOMEM;
  }
  free(st->fields[i].name);
  sp_type_unref(st->fields[i].type);
  st->fields[i].name = copy;
  st->fields[i].type = type;
  st->fields[i].nullable = nullable;
  return 0;
}

sp_type *sp_type_array_new(sp_type *elem, bool contains_null) {
  sp_type *t = calloc(1, sizeof *t);
  if (!t) {
    sp_type_unref(elem);
    return NULL;
  }
  t->id = SP_ARRAY;
  t->refcount = 1;
  t->elem = elem;
  t->elem_nullable = contains_null;
  return t;
}

int sp_type_field_index(const sp_type *st, const char *name) {
  if (!st || st->id != SP_STRUCT) return -1;
  for (int i = 0; i < st->nfields; i++)
    if (strcmp(st->fields[i].name, name) == 0) return i;
  for (int i = 0; i < st->nfields; i++)
    if (strcasecmp(st->fields[i].name, name) == 0) return i;
  return -1;
}

bool sp_type_is_numeric(const sp_type *t) {
  return t && (t->id == SP_INT || t->id == SP_BIGINT || t->id == SP_DOUBLE);
}

bool sp_type_is_primitive(const sp_type *t) { return t && t->id < SP_STRUCT; }

bool sp_type_equal(const sp_type *a, const sp_type *b) {
  if (a == b) return true;
  if (!a || !b || a->id != b->id) return false;
  if (a->id == SP_ARRAY) return sp_type_equal(a->elem, b->elem);
  if (a->id != SP_STRUCT) return true;
  if (a->nfields != b->nfields) return false;
  for (int i = 0; i < a->nfields; i++) {
    if (strcmp(a->fields[i].name, b->fields[i].name) != 0) return false;
    if (!sp_type_equal(a->fields[i].type, b->fields[i].type)) return false;
  }
  return true;
}

const char *sp_type_id_name(sp_type_id id) {
  static const char *const names[SP_TYPE_ID_COUNT] = {
      "void", "boolean", "int", "bigint", "double", "string",
      "binary", "timestamp", "date", "struct", "array"};
  if (id < 0 || id >= SP_TYPE_ID_COUNT) return "?";
  return names[id];
}

int sp_type_width(sp_type_id id) {
  switch (id) {
    case SP_BOOLEAN: return 1;
    case SP_INT:
    case SP_DATE: return 4;
    case SP_BIGINT:
    case SP_TIMESTAMP:
    case SP_DOUBLE: return 8;
    default: return 0;
  }
}

/* Append helper: writes into buf while tracking the total needed length. */
typedef struct {
  char *buf;
  size_t cap, len;
} sbuf_;

static void put_(sbuf_ *b, const char *s) {
  size_t n = strlen(s);
  if (b->len < b->cap) {
    size_t room = b->cap - b->len - 1;
    memcpy(b->buf + b->len, s, n < room ? n : room);
    b->buf[b->len + (n < room ? n : room)] = '\0';
  }
  b->len += n;
}

static void simple_(sbuf_ *b, const sp_type *t, bool ddl) {
  if (t->id == SP_STRUCT) {
    put_(b, ddl ? "STRUCT<" : "struct<");
    for (int i = 0; i < t->nfields; i++) {
      if (i) put_(b, ddl ? ", " : ",");
      put_(b, t->fields[i].name);
      put_(b, ddl ? ": " : ":");
      simple_(b, t->fields[i].type, ddl);
    }
    put_(b, ">");
  } else if (t->id == SP_ARRAY) {
    put_(b, ddl ? "ARRAY<" : "array<");
    simple_(b, t->elem, ddl);
    put_(b, ">");
  } else if (ddl) {
    char up[16];
    const char *n = sp_type_id_name(t->id);
    size_t i = 0;
    for (; n[i] && i < sizeof up - 1; i++) up[i] = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
    up[i] = '\0';
    put_(b, up);
  } else {
    put_(b, sp_type_id_name(t->id));
  }
}

size_t sp_type_to_string(const sp_type *t, char *buf, size_t cap) {
  sbuf_ b = {buf, cap, 0};
  if (cap) buf[0] = '\0';
  simple_(&b, t, false);
  return b.len;
}

size_t sp_type_to_ddl(const sp_type *st, char *buf, size_t cap) {
  sbuf_ b = {buf, cap, 0};
  if (cap) buf[0] = '\0';
  for (int i = 0; i < st->nfields; i++) {
    if (i) put_(&b, ", ");
    put_(&b, st->fields[i].name);
    put_(&b, " ");
    simple_(&b, st->fields[i].type, true);
  }
  return b.len;
}
