/*
 * error.c - spate_error helpers: code names, formatted messages, prefixing.
 * Invariant: a message is always NUL-terminated and truncated, never overflowed.
 */
#include "spate/error.h"

#include <stdio.h>
#include <string.h>

const char *spate_strerror(int code) {
  switch (code) {
#define SPATE_STRERROR_(name, val, desc) \
  case (val):                            \
    return desc;
    SPATE_ERRNO_MAP(SPATE_STRERROR_)
#undef SPATE_STRERROR_
  }
  return "unknown error";
}

const char *spate_err_name(int code) {
  switch (code) {
#define SPATE_ERRNAME_(name, val, desc) \
  case (val):                           \
    return "SPATE_" #name;
    SPATE_ERRNO_MAP(SPATE_ERRNAME_)
#undef SPATE_ERRNAME_
  }
  return "SPATE_EUNKNOWN";
}

int spate_error_vset(spate_error *err, int code, const char *fmt, va_list ap) {
  if (err) {
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
  }
  return code;
}

int spate_error_set(spate_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spate_error_vset(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void spate_error_prefix(spate_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[SPATE_ERROR_MESSAGE_MAX];
  char old[SPATE_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->message, sizeof old);
  size_t n = strlen(prefix);
  if (n > sizeof err->message - 3) n = sizeof err->message - 3;
  memcpy(err->message, prefix, n);
  memcpy(err->message + n, ": ", 2);
  size_t rest = sizeof err->message - n - 3;
  size_t m = strlen(old);
  if (m > rest) m = rest;
  memcpy(err->message + n + 2, old, m);
  err->message[n + 2 + m] = '\0';
}

void spate_error_clear(spate_error *err) {
  if (!err) return;
  err->code = 0;
  err->message[0] = '\0';
}
