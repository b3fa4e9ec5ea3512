/*
 * buf.h - growable byte buffer (output encoders, file contents, JSON text).
 * Sticky failure like sp_vec: appends become no-ops after an allocation failure
 * and sp_buf_check() reports SPATE_ENOMEM. Not thread-safe.
 */
#ifndef SPATE_COMMON_BUF_H
#define SPATE_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sp_buf {
  char *data;   /* owned; always NUL-terminated when len < cap */
  size_t len, cap;
  bool failed;
} sp_buf;

void sp_buf_init(sp_buf *b);
void sp_buf_free(sp_buf *b);
void sp_buf_reset(sp_buf *b); /* len = 0, keep memory */
void sp_buf_reserve(sp_buf *b, size_t extra);
void sp_buf_append(sp_buf *b, const void *p, size_t n);
void sp_buf_puts(sp_buf *b, const char *s);
void sp_buf_putc(sp_buf *b, char c);
void sp_buf_printf(sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 or SPATE_ENOMEM. */
int sp_buf_check(const sp_buf *b);
/* Move the contents out as a malloc'd NUL-terminated string (buffer left empty). */
char *sp_buf_steal(sp_buf *b);

#endif
