/*
 * valfmt.h - rendering values as text the way Spark does: Java's Double.toString
 * for doubles, CAST(x AS STRING) for every type, and Dataset.show()'s table.
 */
#ifndef SPATE_COMMON_VALFMT_H
#define SPATE_COMMON_VALFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/vec.h"

/* Java Double.toString: shortest digits that round-trip; plain notation with at
 * least one fractional digit for 1e-3 <= |d| < 1e7 ("1644.0", "13.8925", "-0.5"),
 * otherwise computerized scientific ("1.0E7", "1.2345E-4"); "NaN", "Infinity",
 * "-Infinity", "0.0", "-0.0". Returns bytes written (buf NUL-terminated; cap >= 32). */
int sp_format_double(double d, char *buf, size_t cap);

/* Append row i of v rendered as Spark's CAST(x AS STRING) / show() does:
 * NULL -> "null" (when null_word is true; else nothing is appended), booleans
 * "true"/"false", integers decimal, doubles sp_format_double, strings as is,
 * binary as "[0A 1B]" (show) , timestamps "yyyy-MM-dd HH:mm:ss[.fraction without
 * trailing zeros]" in `timezone` (NULL = UTC), dates "yyyy-MM-dd", structs
 * "{v1, v2}", arrays "[v1, v2]" (nested NULLs as "null"). */
void sp_format_value(const sp_vec *v, int64_t i, const char *timezone, bool null_word, sp_buf *out);

/* Dataset.show(numRows, truncate) text for the first num_rows rows of b (the
 * console sink prints this after its "Batch: N" header):
 *
 *   +-----+-----+
 *   | word|count|
 *   +-----+-----+
 *   |hello|    2|
 *   +-----+-----+
 *   only showing top 20 rows        (when b has more rows than num_rows)
 *
 * Cells and headers are right-aligned (left-padded) when truncate > 0 and
 * left-aligned when truncate == 0, as Spark's showString; with truncate > 0, cells longer
 * than truncate are cut to truncate-3 chars + "..." (truncate < 4: cut to truncate).
 * Column width is the max of header and cell widths in characters (UTF-8 aware),
 * minimum 3. Ends with a blank line after the closing rule, as Spark prints. */
void sp_show_format(const sp_batch *b, int num_rows, int truncate, const char *timezone, sp_buf *out);

/* ---- Additions (format module) ---- */

typedef struct sp_tz sp_tz; /* common/datetime.h */

/* sp_format_value with a resolved zone (no zone lookup per call; tz NULL = UTC). */
void sp_format_value_tz(const sp_vec *v, int64_t i, const sp_tz *tz, bool null_word, sp_buf *out);

/* sp_show_format with an explicit text for NULL values (top-level cells and values nested
 * in structs/arrays). sp_show_format uses "null" (Spark <= 3.4); Spark 3.5+ show() renders
 * through ToPrettyString and prints "NULL". */
void sp_show_format_null(const sp_batch *b, int num_rows, int truncate, const char *timezone,
                         const char *null_text, sp_buf *out);

#endif
