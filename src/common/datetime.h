/*
 * datetime.h - civil-time conversions, Spark datetime patterns, time zones.
 * Timestamps are int64 microseconds since 1970-01-01T00:00:00Z; dates are int32
 * days since 1970-01-01. Time zones: "UTC", "Z", fixed offsets ("+05:30",
 * "GMT+1", "UTC-08:00") and IANA names via the system tz database (e.g.
 * "America/Los_Angeles") through a thread-safe path (no setenv/tzset races).
 * All functions are reentrant.
 */
#ifndef SPATE_COMMON_DATETIME_H
#define SPATE_COMMON_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* days since epoch <-> y/m/d (proleptic Gregorian). */
int32_t sp_days_from_civil(int64_t y, unsigned m, unsigned d);
void sp_civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d);

/* Offset of `timezone` from UTC at instant `us`, in seconds (0 for NULL/"UTC"). */
int64_t sp_tz_offset_seconds(const char *timezone, int64_t us);
/* Offset to apply to a local wall-clock time to get UTC (for parsing). */
int64_t sp_tz_offset_for_local(const char *timezone, int64_t local_us);

/* Parse `s[0..len)` with a Spark datetime pattern ("yyyy-MM-dd HH:mm:ss",
 * "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "dd/MM/yyyy", ...); letters y M d H h m s S a
 * X x Z z E and quoted literals. pattern NULL = Spark's default lenient cast
 * format ("yyyy-MM-dd[ HH:mm:ss[.SSSSSS]][zone]", also with 'T'). The time zone
 * applies when the text carries no offset. Returns 0 and *us, or -1 if s does not
 * match (to_timestamp then gives NULL). */
int sp_timestamp_parse(const char *s, size_t len, const char *pattern, const char *timezone, int64_t *us);
/* Format `us` with a Spark pattern in `timezone`. Returns bytes written (NUL-terminated), -1 on bad pattern. */
int sp_timestamp_format(int64_t us, const char *pattern, const char *timezone, char *buf, size_t cap);
/* Parse a date "yyyy-MM-dd" (or pattern). 0 or -1. */
int sp_date_parse(const char *s, size_t len, const char *pattern, int32_t *days);

/* "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" of a millisecond instant (progress JSON timestamps). */
void sp_format_iso_millis(int64_t ms, char buf[32]);

#endif
