/*
 * arena.c - bump allocator. Invariant: blocks form a singly linked list, newest
 * first; each allocation is 16-byte aligned and zeroed.
 */
#include "common/arena.h"

#include <stdlib.h>
#include <string.h>

struct sp_arena_block {
  sp_arena_block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

void sp_arena_init(sp_arena *a, size_t block_size) {
  a->head = NULL;
  a->block_size = block_size ? block_size : 8192;
}

void *sp_arena_alloc(sp_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0) n = 16;
  sp_arena_block *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > a->block_size ? n : a->block_size;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *sp_arena_strndup(sp_arena *a, const char *s, size_t n) {
  char *p = sp_arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *sp_arena_strdup(sp_arena *a, const char *s) { return sp_arena_strndup(a, s, strlen(s)); }

void sp_arena_release(sp_arena *a) {
  sp_arena_block *b = a->head;
  while (b) {
    sp_arena_block *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
}
