/*
 * rowcodec.h - compact binary encoding of one row of typed values, used for state
 * store keys and values (aggregation keys and buffers).
 *
 * Layout per value: 1 tag byte (0 = NULL, 1 = present), then BOOLEAN 1 byte, INT/DATE
 * 4 bytes, BIGINT/TIMESTAMP/DOUBLE 8 bytes (little-endian), STRING/BINARY uint32
 * length + bytes, STRUCT its fields in order, ARRAY uint32 count + elements.
 * The encoding is canonical (-0.0 is stored as 0.0, every NaN as one NaN), so equal
 * keys have equal bytes and byte comparison is key equality.
 */
#ifndef SPATE_EXEC_ROWCODEC_H
#define SPATE_EXEC_ROWCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/vec.h"

/* Append row i of cols[0..n) to out. */
void sp_row_encode(sp_vec *const *cols, int n, int64_t i, sp_buf *out);
/* Decode one row from p[0..len), appending one value to each of cols[0..n).
 * Returns bytes consumed, or -1 if the bytes are malformed or truncated. */
int64_t sp_row_decode(const char *p, size_t len, sp_vec **cols, int n);

#endif
