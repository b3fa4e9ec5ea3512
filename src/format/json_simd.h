/*
 * json_simd.h - private C ABI over simdjson's DOM parser (src/format/json_simd.cpp),
 * plus inline readers of simdjson's tape so the decoders walk documents in C.
 *
 * The tape (simdjson doc/tape.md, stable across 0.x-3.x): 64-bit words, type in the
 * top byte, payload in the low 56 bits. tape[0] is the root word 'r'; the value starts
 * at index 1. '{'/'[' payload: low 32 bits = index just past the matching '}'/']';
 * '"' payload = offset into the string buffer (uint32 length, bytes, NUL);
 * 'l'/'u'/'d' are followed by one word holding the int64/uint64/double;
 * 't' 'f' 'n' stand alone. Object members are key string, value, key, value, ...
 *
 * Not thread-safe per handle: one sp_jsimd per decoding call (or thread).
 */
#ifndef SPATE_FORMAT_JSON_SIMD_H
#define SPATE_FORMAT_JSON_SIMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable after the end of a document passed with padded=true. */
#define SP_JSIMD_PADDING 64

typedef struct sp_jsimd sp_jsimd;

/* New parser (reused for every document of a call). NULL on OOM. */
sp_jsimd *sp_jsimd_new(void);
void sp_jsimd_free(sp_jsimd *p);

/* Parse one JSON document buf[0..len). With padded=true, SP_JSIMD_PADDING bytes after
 * buf+len must be readable (their content is irrelevant); otherwise the text is copied
 * into an internal padded buffer first. Returns 0 and sets *tape / *strings (valid until
 * the next parse with this handle), or a positive simdjson error code. */
int sp_jsimd_parse(sp_jsimd *p, const char *buf, size_t len, bool padded, const uint64_t **tape,
                   const uint8_t **strings);

/* simdjson's message for an error code; never NULL. */
const char *sp_jsimd_errmsg(int code);

/* Error code of a memory allocation failure (MEMALLOC). */
int sp_jsimd_err_memalloc(void);

#ifdef __cplusplus
}
#endif

/* ---- inline tape readers (C and C++) ---- */

#define SP_TAPE_TYPE(w) ((char)((uint64_t)(w) >> 56))
#define SP_TAPE_PAYLOAD(w) ((uint64_t)(w) & 0x00FFFFFFFFFFFFFFULL)

/* Index of the word after the value starting at idx. */
static inline uint32_t sp_tape_skip(const uint64_t *tape, uint32_t idx) {
  switch (SP_TAPE_TYPE(tape[idx])) {
    case '{':
    case '[': return (uint32_t)SP_TAPE_PAYLOAD(tape[idx]);
    case 'l':
    case 'u':
    case 'd': return idx + 2;
    default: return idx + 1;
  }
}

/* String at idx (key or value): pointer into the string buffer and byte length. */
static inline const char *sp_tape_str(const uint64_t *tape, const uint8_t *strings, uint32_t idx, uint32_t *len) {
  const uint8_t *p = strings + SP_TAPE_PAYLOAD(tape[idx]);
  memcpy(len, p, sizeof *len);
  return (const char *)(p + sizeof(uint32_t));
}

static inline int64_t sp_tape_i64(const uint64_t *tape, uint32_t idx) { return (int64_t)tape[idx + 1]; }
static inline uint64_t sp_tape_u64(const uint64_t *tape, uint32_t idx) { return tape[idx + 1]; }
static inline double sp_tape_f64(const uint64_t *tape, uint32_t idx) {
  double d;
  memcpy(&d, &tape[idx + 1], sizeof d);
  return d;
}

#endif
