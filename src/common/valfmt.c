/*
 * valfmt.c - rendering values as Spark prints them: Java's Double.toString,
 * CAST(x AS STRING) for every type, and Dataset.show()'s ASCII table.
 *
 * Invariants: nothing here allocates per value except through the caller's sp_buf
 * (sticky-failure buffer); sp_show_format allocates one offsets array and one text
 * buffer per call. Widths in show() are counted like Spark's Utils.stringHalfWidth:
 * UTF-16 code units plus one extra column per East-Asian full-width character.
 */
#include "common/valfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/datetime.h"

/* ------------------------------------------------------------ doubles */

int sp_format_double(double d, char *buf, size_t cap) {
  char out[40];
  int n = 0;
  if (isnan(d)) {
    n = snprintf(out, sizeof out, "NaN");
  } else if (isinf(d)) {
    n = snprintf(out, sizeof out, d < 0 ? "-Infinity" : "Infinity");
  } else if (d == 0.0) {
    n = snprintf(out, sizeof out, signbit(d) ? "-0.0" : "0.0");
  } else {
    char tmp[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
      snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
      if (strtod(tmp, NULL) == d) break;
    }
    /* Java picks among decimals of length 1 or 2 the closest one when 1 digit suffices. */
    if (prec == 1) snprintf(tmp, sizeof tmp, "%.1e", d);
    /* tmp: [-]D[.DDD]e[+-]XX */
    char digits[24];
    int nd = 0;
    const char *p = tmp;
    bool neg = false;
    if (*p == '-') {
      neg = true;
      p++;
    }
    while (*p && *p != 'e') {
      if (*p >= '0' && *p <= '9') digits[nd++] = *p;
      p++;
    }
    int e = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    if (neg) out[n++] = '-';
    if (e >= -3 && e < 7) {
      if (e >= 0) {
        for (int k = 0; k <= e; k++) out[n++] = k < nd ? digits[k] : '0';
        out[n++] = '.';
        if (nd > e + 1)
          for (int k = e + 1; k < nd; k++) out[n++] = digits[k];
        else
          out[n++] = '0';
      } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int k = 0; k < -e - 1; k++) out[n++] = '0';
        for (int k = 0; k < nd; k++) out[n++] = digits[k];
      }
    } else {
      out[n++] = digits[0];
      out[n++] = '.';
      if (nd > 1)
        for (int k = 1; k < nd; k++) out[n++] = digits[k];
      else
        out[n++] = '0';
      n += snprintf(out + n, sizeof out - (size_t)n, "E%d", e);
    }
    out[n] = '\0';
  }
  if (cap == 0) return n;
  size_t w = (size_t)n < cap ? (size_t)n : cap - 1;
  memcpy(buf, out, w);
  buf[w] = '\0';
  return (int)w;
}

/* ------------------------------------------------------------ CAST(x AS STRING) */

static void put_hex_binary_(const char *p, int32_t len, sp_buf *out) {
  static const char hx[] = "0123456789ABCDEF";
  sp_buf_putc(out, '[');
  for (int32_t k = 0; k < len; k++) {
    if (k) sp_buf_putc(out, ' ');
    unsigned char c = (unsigned char)p[k];
    char two[2] = {hx[c >> 4], hx[c & 15]};
    sp_buf_append(out, two, 2);
  }
  sp_buf_putc(out, ']');
}

static void format_rec_(const sp_vec *v, int64_t i, const sp_tz *tz, const char *null_text, sp_buf *out) {
  if (sp_vec_is_null(v, i) || v->type->id == SP_NULL) {
    if (null_text) sp_buf_puts(out, null_text);
    return;
  }
  char tmp[64];
  switch (v->type->id) {
    case SP_BOOLEAN: sp_buf_puts(out, sp_vec_bool(v)[i] ? "true" : "false"); break;
    case SP_INT: sp_buf_printf(out, "%d", (int)sp_vec_i32(v)[i]); break;
    case SP_BIGINT: sp_buf_printf(out, "%lld", (long long)sp_vec_i64(v)[i]); break;
    case SP_DOUBLE: {
      int n = sp_format_double(sp_vec_f64(v)[i], tmp, sizeof tmp);
      sp_buf_append(out, tmp, (size_t)n);
      break;
    }
    case SP_STRING: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      sp_buf_append(out, p, (size_t)len);
      break;
    }
    case SP_BINARY: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      put_hex_binary_(p, len, out);
      break;
    }
    case SP_TIMESTAMP: {
      int n = sp_timestamp_format_cast(sp_vec_i64(v)[i], tz, tmp, sizeof tmp);
      if (n > 0) sp_buf_append(out, tmp, (size_t)n);
      break;
    }
    case SP_DATE: {
      int n = sp_date_format_cast(sp_vec_i32(v)[i], tmp, sizeof tmp);
      if (n > 0) sp_buf_append(out, tmp, (size_t)n);
      break;
    }
    case SP_STRUCT:
      sp_buf_putc(out, '{');
      for (int c = 0; c < v->nchildren; c++) {
        if (c) sp_buf_append(out, ", ", 2);
        format_rec_(v->children[c], i, tz, null_text ? null_text : "null", out);
      }
      sp_buf_putc(out, '}');
      break;
    case SP_ARRAY: {
      sp_buf_putc(out, '[');
      int32_t a = v->offsets[i], b = v->offsets[i + 1];
      for (int32_t k = a; k < b; k++) {
        if (k > a) sp_buf_append(out, ", ", 2);
        format_rec_(v->children[0], k, tz, null_text ? null_text : "null", out);
      }
      sp_buf_putc(out, ']');
      break;
    }
    default: break;
  }
}

void sp_format_value_tz(const sp_vec *v, int64_t i, const sp_tz *tz, bool null_word, sp_buf *out) {
  if (sp_vec_is_null(v, i) || v->type->id == SP_NULL) {
    if (null_word) sp_buf_puts(out, "null");
    return;
  }
  format_rec_(v, i, tz, "null", out);
}

static bool is_utc_name_(const char *tz) {
  return !tz || !*tz || strcmp(tz, "UTC") == 0 || strcmp(tz, "Z") == 0 || strcmp(tz, "GMT") == 0;
}

void sp_format_value(const sp_vec *v, int64_t i, const char *timezone, bool null_word, sp_buf *out) {
  sp_tz *tz = NULL;
  if (!is_utc_name_(timezone)) tz = sp_tz_open(timezone);
  sp_format_value_tz(v, i, tz, null_word, out);
  sp_tz_close(tz);
}

/* ------------------------------------------------------------ show() */

/* Decode one UTF-8 code point at p[0..n); returns its byte length (>= 1). */
static int utf8_next_(const unsigned char *p, size_t n, uint32_t *cp) {
  unsigned char c = p[0];
  if (c < 0x80 || n < 2) {
    *cp = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
    *cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if ((c & 0xF0) == 0xE0 && n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
    *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  if ((c & 0xF8) == 0xF0 && n >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80) {
    *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) |
          (p[3] & 0x3F);
    return 4;
  }
  *cp = 0xFFFD;
  return 1;
}

static bool full_width_(uint32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE10 && c <= 0xFE19) || (c >= 0xFE30 && c <= 0xFE6F) ||
         (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6);
}

/* Java String.length() (UTF-16 units) of s[0..n). */
static int64_t utf16_len_(const char *s, size_t n) {
  int64_t u = 0;
  for (size_t k = 0; k < n;) {
    uint32_t cp;
    k += (size_t)utf8_next_((const unsigned char *)s + k, n - k, &cp);
    u += cp >= 0x10000 ? 2 : 1;
  }
  return u;
}

static int64_t half_width_(const char *s, size_t n) {
  int64_t w = 0;
  for (size_t k = 0; k < n;) {
    uint32_t cp;
    k += (size_t)utf8_next_((const unsigned char *)s + k, n - k, &cp);
    w += cp >= 0x10000 ? 2 : 1;
    if (full_width_(cp)) w++;
  }
  return w;
}

/* Byte length of the prefix of s holding `units` UTF-16 units. */
static size_t utf16_prefix_(const char *s, size_t n, int64_t units) {
  size_t k = 0;
  int64_t u = 0;
  while (k < n) {
    uint32_t cp;
    int b = utf8_next_((const unsigned char *)s + k, n - k, &cp);
    int w = cp >= 0x10000 ? 2 : 1;
    if (u + w > units) break;
    u += w;
    k += (size_t)b;
  }
  return k;
}

/* Append s with Spark's SchemaUtils.escapeMetaCharacters. */
static void put_escaped_(const char *s, size_t n, sp_buf *out) {
  size_t run = 0;
  for (size_t k = 0; k < n; k++) {
    const char *rep = NULL;
    switch (s[k]) {
      case '\n': rep = "\\n"; break;
      case '\r': rep = "\\r"; break;
      case '\t': rep = "\\t"; break;
      case '\f': rep = "\\f"; break;
      case '\b': rep = "\\b"; break;
      case '\v': rep = "\\v"; break;
      case '\a': rep = "\\a"; break;
      default: break;
    }
    if (rep) {
      sp_buf_append(out, s + run, k - run);
      sp_buf_append(out, rep, 2);
      run = k + 1;
    }
  }
  sp_buf_append(out, s + run, n - run);
}

/* Finish the cell that starts at text->len == start: escape and truncate in place. */
static void finish_cell_(sp_buf *text, sp_buf *scratch, size_t start, int truncate) {
  if (text->failed) return;
  const char *s = text->data + start;
  size_t n = text->len - start;
  bool meta = false;
  for (size_t k = 0; k < n && !meta; k++) {
    char c = s[k];
    meta = c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\b' || c == '\v' || c == '\a';
  }
  if (meta) {
    sp_buf_reset(scratch);
    put_escaped_(s, n, scratch);
    text->len = start;
    sp_buf_append(text, scratch->data, scratch->len);
    if (text->failed) return;
    s = text->data + start;
    n = text->len - start;
  }
  if (truncate > 0) {
    int64_t u = utf16_len_(s, n);
    if (u > truncate) {
      if (truncate < 4) {
        text->len = start + utf16_prefix_(s, n, truncate);
      } else {
        text->len = start + utf16_prefix_(s, n, truncate - 3);
        sp_buf_append(text, "...", 3);
      }
      if (!text->failed) text->data[text->len] = '\0';
    }
  }
}

static void put_rule_(const int64_t *widths, int ncols, sp_buf *out) {
  sp_buf_putc(out, '+');
  for (int c = 0; c < ncols; c++) {
    for (int64_t k = 0; k < widths[c]; k++) sp_buf_putc(out, '-');
    sp_buf_putc(out, '+');
  }
  sp_buf_putc(out, '\n');
}

static void put_padded_(const char *s, size_t n, int64_t width, bool right, sp_buf *out) {
  int64_t pad = width - half_width_(s, n);
  if (right)
    for (int64_t k = 0; k < pad; k++) sp_buf_putc(out, ' ');
  sp_buf_append(out, s, n);
  if (!right)
    for (int64_t k = 0; k < pad; k++) sp_buf_putc(out, ' ');
}

void sp_show_format_null(const sp_batch *b, int num_rows, int truncate, const char *timezone,
                         const char *null_text, sp_buf *out) {
  if (num_rows < 0) num_rows = 0;
  int ncols = b->ncols;
  int64_t total = b->nrows;
  if (ncols > 0 && b->cols[0]->length < total) total = b->cols[0]->length;
  int64_t nrows = total < num_rows ? total : num_rows;
  bool more = total > num_rows;
  sp_tz *tz = is_utc_name_(timezone) ? NULL : sp_tz_open(timezone);
  const char *nt = null_text ? null_text : "null";

  /* All cells (headers first) as slices of one text buffer. */
  size_t ncells = (size_t)(nrows + 1) * (size_t)ncols;
  size_t *offs = malloc((ncells + 1) * sizeof *offs);
  int64_t *widths = calloc((size_t)(ncols ? ncols : 1), sizeof *widths);
  sp_buf text, scratch;
  sp_buf_init(&text);
  sp_buf_init(&scratch);
  if (!offs || !widths) {
    out->failed = true;
    goto done;
  }
  size_t cell = 0;
  for (int c = 0; c < ncols; c++) {
    offs[cell++] = text.len;
    const char *name = b->schema->fields[c].name;
    put_escaped_(name, strlen(name), &text);
  }
  for (int64_t r = 0; r < nrows; r++) {
    for (int c = 0; c < ncols; c++) {
      size_t start = text.len;
      offs[cell++] = start;
      const sp_vec *v = b->cols[c];
      if (sp_vec_is_null(v, r) || v->type->id == SP_NULL)
        sp_buf_puts(&text, nt);
      else
        format_rec_(v, r, tz, nt, &text);
      finish_cell_(&text, &scratch, start, truncate);
    }
  }
  offs[cell] = text.len;
  if (text.failed || scratch.failed) {
    out->failed = true;
    goto done;
  }
  for (size_t k = 0; k < ncells; k++) {
    int c = (int)(k % (size_t)ncols);
    int64_t w = half_width_(text.data + offs[k], offs[k + 1] - offs[k]);
    if (w > widths[c]) widths[c] = w;
  }
  for (int c = 0; c < ncols; c++)
    if (widths[c] < 3) widths[c] = 3;
  bool right = truncate > 0;
  put_rule_(widths, ncols, out);
  for (int64_t r = 0; r <= nrows; r++) {
    sp_buf_putc(out, '|');
    for (int c = 0; c < ncols; c++) {
      size_t k = (size_t)r * (size_t)ncols + (size_t)c;
      put_padded_(text.data + offs[k], offs[k + 1] - offs[k], widths[c], right, out);
      sp_buf_putc(out, '|');
    }
    sp_buf_putc(out, '\n');
    if (r == 0) put_rule_(widths, ncols, out);
  }
  put_rule_(widths, ncols, out);
  if (more) sp_buf_printf(out, "only showing top %d %s\n", num_rows, num_rows == 1 ? "row" : "rows");
  sp_buf_putc(out, '\n');
done:
  free(offs);
  free(widths);
  sp_buf_free(&text);
  sp_buf_free(&scratch);
  sp_tz_close(tz);
}

void sp_show_format(const sp_batch *b, int num_rows, int truncate, const char *timezone, sp_buf *out) {
  sp_show_format_null(b, num_rows, truncate, timezone, "null", out);
}
