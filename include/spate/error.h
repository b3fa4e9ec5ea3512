/*
 * spate/error.h - error codes and the error struct every fallible call fills.
 *
 * Convention (libuv, nanoarrow): functions return 0 on success or a negative
 * SPATE_E* code; when the caller passes a non-NULL `spate_error *`, it receives
 * a human-readable message naming the file/line/offset or SQL position at fault.
 * The library never calls exit() and never prints errors itself.
 */
#ifndef SPATE_ERROR_H
#define SPATE_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X-macro: name, value, description. */
#define SPATE_ERRNO_MAP(XX)                                                    \
  XX(OK, 0, "success")                                                        \
  XX(ENOMEM, -1, "out of memory")                                             \
  XX(EINVAL, -2, "invalid argument")                                          \
  XX(ESYNTAX, -3, "syntax error")                                             \
  XX(EANALYSIS, -4, "analysis error")                                         \
  XX(EIO, -5, "I/O error")                                                    \
  XX(ENOTFOUND, -6, "not found")                                              \
  XX(EUNSUPPORTED, -7, "unsupported operation")                               \
  XX(EMALFORMED, -8, "malformed input")                                       \
  XX(ECHECKPOINT, -9, "checkpoint error")                                     \
  XX(ESTOPPED, -10, "query stopped")                                          \
  XX(ETIMEOUT, -11, "timed out")                                              \
  XX(ESTATE, -12, "invalid state")                                            \
  XX(EEXIST, -13, "already exists")                                           \
  XX(ERUNTIME, -14, "runtime error")

typedef enum spate_errno {
#define SPATE_ERRNO_ENUM_(name, val, desc) SPATE_##name = (val),
  SPATE_ERRNO_MAP(SPATE_ERRNO_ENUM_)
#undef SPATE_ERRNO_ENUM_
} spate_errno;

#define SPATE_ERROR_MESSAGE_MAX 1024

/* Caller-owned error detail. `code` is 0 or a SPATE_E* value. */
typedef struct spate_error {
  int code;
  char message[SPATE_ERROR_MESSAGE_MAX];
} spate_error;

/* Short description of a code ("out of memory"); never NULL. */
const char *spate_strerror(int code);
/* Symbolic name of a code ("SPATE_ENOMEM"); never NULL. */
const char *spate_err_name(int code);

/* Fill `err` (may be NULL) with `code` and a printf-style message; returns `code`
 * so callers can write `return spate_error_set(err, SPATE_EINVAL, "...")`. */
int spate_error_set(spate_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int spate_error_vset(spate_error *err, int code, const char *fmt, va_list ap);
/* Prefix the existing message with "<prefix>: " (context while unwinding). */
void spate_error_prefix(spate_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reset to code 0 and an empty message. */
void spate_error_clear(spate_error *err);

#ifdef __cplusplus
}
#endif
#endif
