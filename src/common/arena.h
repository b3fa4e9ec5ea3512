/*
 * arena.h - bump allocator for objects that die together (ASTs, plans, per-batch scratch).
 * Not thread-safe: one owner thread at a time. Allocation failure returns NULL.
 */
#ifndef SPATE_COMMON_ARENA_H
#define SPATE_COMMON_ARENA_H

#include <stddef.h>

typedef struct sp_arena_block sp_arena_block;
typedef struct sp_arena {
  sp_arena_block *head;
  size_t block_size;
} sp_arena;

void sp_arena_init(sp_arena *a, size_t block_size);
/* Zeroed, 16-byte aligned memory; NULL on OOM. */
void *sp_arena_alloc(sp_arena *a, size_t n);
/* NUL-terminated copy of s[0..n). */
char *sp_arena_strndup(sp_arena *a, const char *s, size_t n);
char *sp_arena_strdup(sp_arena *a, const char *s);
/* Free every block. The arena can be reused afterwards. */
void sp_arena_release(sp_arena *a);

#endif
