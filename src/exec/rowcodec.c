/*
 * rowcodec.c - see rowcodec.h. Invariant: decode(encode(row)) == row for every
 * supported type; decoding never reads past `len`.
 */
#include "exec/rowcodec.h"

#include <math.h>
#include <string.h>

static void enc_value_(const sp_vec *v, int64_t i, sp_buf *out) {
  if (sp_vec_is_null(v, i) || v->type->id == SP_NULL) {
    sp_buf_putc(out, 0);
    return;
  }
  sp_buf_putc(out, 1);
  switch (v->type->id) {
    case SP_BOOLEAN: sp_buf_putc(out, (char)sp_vec_bool(v)[i]); break;
    case SP_INT:
    case SP_DATE: sp_buf_append(out, sp_vec_i32(v) + i, 4); break;
    case SP_BIGINT:
    case SP_TIMESTAMP: sp_buf_append(out, sp_vec_i64(v) + i, 8); break;
    case SP_DOUBLE: {
      double d = sp_vec_f64(v)[i];
      if (d == 0.0) d = 0.0;
      if (isnan(d)) d = NAN;
      sp_buf_append(out, &d, 8);
      break;
    }
    case SP_STRING:
    case SP_BINARY: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      uint32_t ul = (uint32_t)len;
      sp_buf_append(out, &ul, 4);
      sp_buf_append(out, p, (size_t)len);
      break;
    }
    case SP_STRUCT:
      for (int c = 0; c < v->nchildren; c++) enc_value_(v->children[c], i, out);
      break;
    case SP_ARRAY: {
      uint32_t cnt = (uint32_t)(v->offsets[i + 1] - v->offsets[i]);
      sp_buf_append(out, &cnt, 4);
      for (int32_t k = v->offsets[i]; k < v->offsets[i + 1]; k++) enc_value_(v->children[0], k, out);
      break;
    }
    default: break;
  }
}

void sp_row_encode(sp_vec *const *cols, int n, int64_t i, sp_buf *out) {
  for (int c = 0; c < n; c++) enc_value_(cols[c], i, out);
}

static int64_t dec_value_(const char *p, size_t len, sp_vec *v) {
  if (len < 1) return -1;
  if (p[0] == 0) {
    if (v->type->id == SP_ARRAY)
      sp_vec_array_close(v, false);
    else
      sp_vec_append_null(v);
    return 1;
  }
  size_t off = 1;
  switch (v->type->id) {
    case SP_NULL: sp_vec_append_null(v); return 1;
    case SP_BOOLEAN:
      if (len < 2) return -1;
      sp_vec_append_bool(v, p[1] != 0);
      return 2;
    case SP_INT:
    case SP_DATE: {
      if (len < 5) return -1;
      int32_t x;
      memcpy(&x, p + 1, 4);
      sp_vec_append_i32(v, x);
      return 5;
    }
    case SP_BIGINT:
    case SP_TIMESTAMP: {
      if (len < 9) return -1;
      int64_t x;
      memcpy(&x, p + 1, 8);
      sp_vec_append_i64(v, x);
      return 9;
    }
    case SP_DOUBLE: {
      if (len < 9) return -1;
      double x;
      memcpy(&x, p + 1, 8);
      sp_vec_append_f64(v, x);
      return 9;
    }
    case SP_STRING:
    case SP_BINARY: {
      if (len < 5) return -1;
      uint32_t ul;
      memcpy(&ul, p + 1, 4);
      if (len - 5 < ul) return -1;
      sp_vec_append_str(v, p + 5, (int32_t)ul);
      return 5 + (int64_t)ul;
    }
    case SP_STRUCT:
      for (int c = 0; c < v->nchildren; c++) {
        int64_t r = dec_value_(p + off, len - off, v->children[c]);
        if (r < 0) return -1;
        off += (size_t)r;
      }
      sp_vec_struct_append(v, true);
      return (int64_t)off;
    case SP_ARRAY: {
      if (len < 5) return -1;
      uint32_t cnt;
      memcpy(&cnt, p + 1, 4);
      off = 5;
      for (uint32_t k = 0; k < cnt; k++) {
        int64_t r = dec_value_(p + off, len - off, v->children[0]);
        if (r < 0) return -1;
        off += (size_t)r;
      }
      sp_vec_array_close(v, true);
      return (int64_t)off;
    }
    default: return -1;
  }
}

int64_t sp_row_decode(const char *p, size_t len, sp_vec **cols, int n) {
  size_t off = 0;
  for (int c = 0; c < n; c++) {
    int64_t r = dec_value_(p + off, len - off, cols[c]);
    if (r < 0) return -1;
    off += (size_t)r;
  }
  return (int64_t)off;
}
