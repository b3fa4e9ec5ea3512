/*
 * interval.c - Spark interval strings ("15 minutes", "1 hour 30 minutes") to
 * microseconds, and the unit table shared with the INTERVAL literal parser.
 *
 * Invariants: all arithmetic is overflow-checked; months and years are rejected
 * (their length in microseconds is not fixed); a fractional value is accepted only
 * for second units (as Spark's IntervalUtils); the sign of each value is kept
 * (callers such as TRIGGER validate it).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/lexer.h"
#include "sql/parser.h"

#define US_MS INT64_C(1000)
#define US_S INT64_C(1000000)
#define US_MIN (60 * US_S)
#define US_H (60 * US_MIN)
#define US_D (24 * US_H)

typedef struct unit_def_ {
  const char *name;
  int64_t us;
  bool second;
} unit_def_;

static const unit_def_ units_[] = {
    {"microsecond", 1, false},      {"microseconds", 1, false},   {"us", 1, false},
    {"usec", 1, false},             {"usecs", 1, false},          {"millisecond", US_MS, false},
    {"milliseconds", US_MS, false}, {"ms", US_MS, false},         {"msec", US_MS, false},
    {"msecs", US_MS, false},        {"second", US_S, true},       {"seconds", US_S, true},
    {"sec", US_S, true},            {"secs", US_S, true},         {"s", US_S, true},
    {"minute", US_MIN, false},      {"minutes", US_MIN, false},   {"min", US_MIN, false},
    {"mins", US_MIN, false},        {"hour", US_H, false},        {"hours", US_H, false},
    {"h", US_H, false},             {"hr", US_H, false},          {"hrs", US_H, false},
    {"day", US_D, false},           {"days", US_D, false},        {"d", US_D, false},
    {"week", 7 * US_D, false},      {"weeks", 7 * US_D, false},   {"month", -1, false},
    {"months", -1, false},          {"year", -1, false},          {"years", -1, false},
};

int64_t sp_interval_unit_us(const char *unit, int n, bool *is_second) {
  if (is_second) *is_second = false;
  for (size_t i = 0; i < sizeof units_ / sizeof units_[0]; i++) {
    if ((int)strlen(units_[i].name) == n && strncasecmp(units_[i].name, unit, (size_t)n) == 0) {
      if (is_second) *is_second = units_[i].second;
      return units_[i].us;
    }
  }
  return 0;
}

int sp_interval_scale(const char *num, int n, int64_t unit_us, bool frac_ok, int64_t *out) {
  int i = 0;
  bool neg = false;
  if (i < n && (num[i] == '+' || num[i] == '-')) neg = num[i++] == '-';
  int64_t whole = 0;
  int nd = 0;
  for (; i < n && num[i] >= '0' && num[i] <= '9'; i++, nd++) {
    if (__builtin_mul_overflow(whole, 10, &whole) || __builtin_add_overflow(whole, num[i] - '0', &whole)) return -1;
  }
  int64_t frac_us = 0;
  if (i < n && num[i] == '.') {
    if (!frac_ok) return -1;
    i++;
    /* Fraction of the unit, truncated to microseconds (Spark keeps up to 6 digits
     * for seconds; extra digits are dropped). */
    int64_t scale = unit_us;
    for (; i < n && num[i] >= '0' && num[i] <= '9'; i++, nd++) {
      scale /= 10;
      frac_us += (num[i] - '0') * scale;
    }
  }
  if (i != n || nd == 0) return -1;
  int64_t v;
  if (__builtin_mul_overflow(whole, unit_us, &v) || __builtin_add_overflow(v, frac_us, &v)) return -1;
  *out = neg ? -v : v;
  return 0;
}

int sp_parse_interval(const char *text, int64_t *us, spate_error *err) {
  if (!text) return spate_error_set(err, SPATE_EINVAL, "invalid interval: no text");
  const char *s = text;
  size_t len = strlen(text);
  size_t i = 0;
  while (i < len && isspace((unsigned char)s[i])) i++;
  if (len - i >= 8 && strncasecmp(s + i, "interval", 8) == 0 &&
      (len - i == 8 || isspace((unsigned char)s[i + 8]))) {
    i += 8;
  }
  int64_t total = 0;
  int nparts = 0;
  for (;;) {
    while (i < len && isspace((unsigned char)s[i])) i++;
    if (i >= len) break;
    size_t ns = i;
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < len && (isdigit((unsigned char)s[i]) || s[i] == '.')) i++;
    size_t ne = i;
    if (ne == ns || (ne == ns + 1 && (s[ns] == '+' || s[ns] == '-')))
      return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': expected a number at '%s'", text, s + ns);
    while (i < len && isspace((unsigned char)s[i])) i++;
    size_t us_ = i;
    while (i < len && isalpha((unsigned char)s[i])) i++;
    size_t ue = i;
    if (ue == us_)
      return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': missing unit after '%.*s'", text,
                             (int)(ne - ns), s + ns);
    bool second;
    int64_t unit = sp_interval_unit_us(s + us_, (int)(ue - us_), &second);
    if (unit == 0)
      return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': unknown unit '%.*s'", text, (int)(ue - us_),
                             s + us_);
    if (unit < 0)
      return spate_error_set(err, SPATE_EINVAL,
                             "invalid interval '%s': months and years are not supported (use days or smaller units)",
                             text);
    int64_t v;
    if (sp_interval_scale(s + ns, (int)(ne - ns), unit, second, &v)) {
      if (!second && memchr(s + ns, '.', ne - ns))
        return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': fractional values are only allowed for seconds",
                               text);
      return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': bad or out-of-range value '%.*s'", text,
                             (int)(ne - ns), s + ns);
    }
    if (__builtin_add_overflow(total, v, &total))
      return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': out of range", text);
    nparts++;
    if (i < len && !isspace((unsigned char)s[i]))
      return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': unexpected '%c'", text, s[i]);
  }
  if (nparts == 0) return spate_error_set(err, SPATE_EINVAL, "invalid interval '%s': empty", text);
  *us = total;
  return 0;
}
