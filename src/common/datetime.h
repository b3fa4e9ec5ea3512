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

/* ---- Additions (format module): resolved zones, compiled patterns, cast formats ----
 * The string-based functions above resolve the zone (and compile the pattern) on every
 * call; an IANA zone then means reading its TZif file each time. Hot loops should open
 * the zone once with sp_tz_open() and compile the pattern once with sp_dtfmt_compile(). */

/* A resolved, immutable time zone: UTC, a fixed offset, or an IANA zone read from
 * /usr/share/zoneinfo/<name> (TZif v1-v3, including the POSIX-TZ footer rule for
 * instants after the last transition). Safe to share across threads. */
typedef struct sp_tz sp_tz;
/* Resolve `name` (NULL or "" = UTC; also "Z", "GMT", "+05:30", "GMT+1", "UTC-08:00",
 * Java's short ids like "PST", and IANA names). Returns a new zone the caller releases
 * with sp_tz_close(), or NULL if the name is unknown, the file is invalid, or on OOM. */
sp_tz *sp_tz_open(const char *name);
void sp_tz_close(sp_tz *tz); /* NULL-safe */
/* The name the zone was opened with ("UTC" for NULL). Owned by tz. */
const char *sp_tz_name(const sp_tz *tz);
/* Offset east of UTC in seconds at UTC instant utc_s (seconds). tz NULL = UTC. */
int64_t sp_tz_offset_at(const sp_tz *tz, int64_t utc_s);
/* Offset to subtract from local wall-clock seconds local_s to get UTC, as Java's
 * ZonedDateTime.of: in an overlap the earlier instant, in a gap the pre-gap offset
 * (the wall time moves forward by the gap length). tz NULL = UTC. */
int64_t sp_tz_offset_local(const sp_tz *tz, int64_t local_s);

/* A compiled Spark datetime pattern (see sp_timestamp_parse). Immutable; shareable. */
typedef struct sp_dtfmt sp_dtfmt;
/* NULL on an invalid pattern (unknown letter, too many letters, unbalanced quote/[]) or OOM. */
sp_dtfmt *sp_dtfmt_compile(const char *pattern);
void sp_dtfmt_free(sp_dtfmt *f); /* NULL-safe */
/* Parse with a compiled pattern; the whole input must match. tz applies when the text
 * carries no offset/zone (NULL = UTC). 0 and *us, or -1. */
int sp_dtfmt_parse(const sp_dtfmt *f, const char *s, size_t len, const sp_tz *tz, int64_t *us);
/* Parse a date (time fields and zones in the text are ignored). 0 and *days, or -1. */
int sp_dtfmt_parse_date(const sp_dtfmt *f, const char *s, size_t len, int32_t *days);
/* Format; returns bytes written (buf NUL-terminated, truncated to cap-1), or -1. */
int sp_dtfmt_format(const sp_dtfmt *f, int64_t us, const sp_tz *tz, char *buf, size_t cap);
/* Spark's lenient CAST(string AS TIMESTAMP) (DateTimeUtils.stringToTimestamp):
 * "[+-]yyyy[-[m]m[-[d]d]][( |T)[h]h[:[m]m[:[s]s[.fraction]]]][zone]", trimmed. Time-only
 * strings are rejected (-1). 0 and *us, or -1. */
int sp_timestamp_parse_default(const char *s, size_t len, const sp_tz *tz, int64_t *us);
/* Spark's CAST(string AS DATE) (stringToDate): "[+-]yyyy[-[m]m[-[d]d]][( |T)anything]". */
int sp_date_parse_default(const char *s, size_t len, int32_t *days);
/* CAST(timestamp AS STRING): "yyyy-MM-dd HH:mm:ss[.f]" with trailing fraction zeros
 * trimmed, in tz (NULL = UTC). buf needs >= 40 bytes; returns length. */
int sp_timestamp_format_cast(int64_t us, const sp_tz *tz, char *buf, size_t cap);
/* CAST(date AS STRING): "yyyy-MM-dd". buf needs >= 16 bytes; returns length. */
int sp_date_format_cast(int32_t days, char *buf, size_t cap);

#endif
