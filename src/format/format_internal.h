/*
 * format_internal.h - helpers shared by the decoders and encoders of src/format/
 * (not part of the public format API).
 */
#ifndef SPATE_FORMAT_INTERNAL_H
#define SPATE_FORMAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/vec.h"
#include "format/format.h"

/* Drop rows [n, length) of v (recursively for nested types), restoring the
 * validity bits and null_count, so appending can continue at row n. No-op if
 * n >= length. Used to roll back a partially decoded record. */
void sp_fmt_vec_truncate(sp_vec *v, int64_t n);

/* Name of the corrupt-record column for opts ("_corrupt_record" by default). */
const char *sp_fmt_corrupt_name(const sp_format_opts *opts);

/* Index of the STRING field named like the corrupt-record column in a STRUCT
 * (exact name match), or -1. */
int sp_fmt_corrupt_index(const sp_type *schema, const sp_format_opts *opts);

/* Standard base64 with padding (Jackson's MIME-NO-LINEFEEDS variant) appended to out. */
void sp_fmt_base64_encode(const uint8_t *in, size_t n, sp_buf *out);
/* Decode base64 (whitespace skipped, padding optional) into out (reset first).
 * 0, or -1 on an invalid character. */
int sp_fmt_base64_decode(const char *in, size_t n, sp_buf *out);

/* Append s[0..n) as a JSON string literal with Jackson's escaping: '"' and '\\',
 * \b \t \n \f \r, other control characters as \u00XX (uppercase hex); '/' and
 * non-ASCII UTF-8 are written as is. */
void sp_fmt_json_string(sp_buf *out, const char *s, size_t n);

/* Uppercase Spark SQL type text for messages ("INT", "ARRAY<STRING>"). */
void sp_fmt_sql_type(const sp_type *t, char *buf, size_t cap);

#endif
