/*
 * buf.c - growable byte buffer. Invariant: data[len] == '\0' whenever data != NULL.
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spate/error.h"

void sp_buf_init(sp_buf *b) { memset(b, 0, sizeof *b); }

void sp_buf_free(sp_buf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

void sp_buf_reset(sp_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

void sp_buf_reserve(sp_buf *b, size_t extra) {
  if (b->failed) return;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap *= 2;
  char *d = realloc(b->data, cap);
  if (!d) {
    b->failed = true;
    return;
  }
  b->data = d;
  b->cap = cap;
}

void sp_buf_append(sp_buf *b, const void *p, size_t n) {
  sp_buf_reserve(b, n);
  if (b->failed) return;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void sp_buf_puts(sp_buf *b, const char *s) { sp_buf_append(b, s, strlen(s)); }

void sp_buf_putc(sp_buf *b, char c) {
  if (b->len + 2 > b->cap) sp_buf_reserve(b, 1);
  if (b->failed) return;
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
}

void sp_buf_printf(sp_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sp_buf_append(b, tmp, (size_t)n);
    return;
  }
  sp_buf_reserve(b, (size_t)n);
  if (b->failed) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

int sp_buf_check(const sp_buf *b) { return b->failed ? SPATE_ENOMEM : 0; }

char *sp_buf_steal(sp_buf *b) {
  char *d = b->data;
  if (!d) d = calloc(1, 1);
  memset(b, 0, sizeof *b);
  return d;
}
