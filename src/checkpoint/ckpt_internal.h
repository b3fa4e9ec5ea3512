/*
 * ckpt_internal.h - helpers shared by the checkpoint log readers/writers
 * (src/checkpoint/ and src/state/ sources). Not part of the public API.
 */
#ifndef SPATE_CHECKPOINT_CKPT_INTERNAL_H
#define SPATE_CHECKPOINT_CKPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spate/error.h"

/* One line of a log file: [p, p + len), without its '\n' (and without a trailing '\r'). */
typedef struct sp_ckpt_line {
  const char *p;
  size_t len;
} sp_ckpt_line;

/* Cursor over the lines of text[0..len). A single trailing '\n' does not start an
 * extra empty line (as java's getLines). */
typedef struct sp_ckpt_lines {
  const char *text;
  size_t len, pos;
  int lineno; /* 1-based number of the line last returned */
} sp_ckpt_lines;

void sp_ckpt_lines_init(sp_ckpt_lines *it, const char *text, size_t len);
/* Next line; false at the end. */
bool sp_ckpt_lines_next(sp_ckpt_lines *it, sp_ckpt_line *line);

/* Check a "v<N>" version line of the file at `path` against max_version.
 * Errors (SPATE_ECHECKPOINT):
 *   "<path>: unsupported log version vN (this spate reads v<max>); written by a newer spate?"
 *   "<path>: line 1: missing log version line (expected \"v<max>\", found: <quoted text>)"
 *   (or "..., found an empty line)") */
int sp_ckpt_check_version(const char *path, const sp_ckpt_line *line, int max_version, spate_error *err);

/* Copy at most 40 bytes of p[0..len) into out (cap >= 48) replacing non-printable
 * bytes by '?' and appending "..." when cut; for quoting file contents in messages. */
void sp_ckpt_quote(const char *p, size_t len, char *out, size_t cap);

/* Random bytes (getrandom; falls back to a clock/pid/address mix). */
void sp_ckpt_random(void *buf, size_t n);

/* Parse a canonical non-negative decimal id ("0", "17"; no sign, no leading zero)
 * from name[0..len). */
bool sp_ckpt_parse_id(const char *name, size_t len, int64_t *id);

#endif
