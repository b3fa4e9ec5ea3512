/*
 * format_common.c - option defaults, parse modes and helpers shared by the JSON,
 * CSV and text formats (row rollback, base64, JSON string escaping).
 * Invariant: no global mutable state; every helper works on caller-owned memory.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "format/format_internal.h"
#include "spate/error.h"

void sp_format_opts_default(sp_format_opts *o) {
  memset(o, 0, sizeof *o);
  o->mode = SP_MODE_PERMISSIVE;
  o->corrupt_record_column = NULL;
  o->timezone = NULL;
  o->timestamp_format = NULL;
  o->date_format = NULL;
  o->sep = ',';
  o->quote = '"';
  o->escape = '\\';
  o->header = false;
  o->null_value = "";
  o->ignore_null_fields = true;
}

int sp_parse_mode_from_string(const char *s) {
  if (!s) return -1;
  if (strcasecmp(s, "PERMISSIVE") == 0) return SP_MODE_PERMISSIVE;
  if (strcasecmp(s, "DROPMALFORMED") == 0) return SP_MODE_DROPMALFORMED;
  if (strcasecmp(s, "FAILFAST") == 0) return SP_MODE_FAILFAST;
  return -1;
}

void sp_fmt_vec_truncate(sp_vec *v, int64_t n) {
  if (n < 0) n = 0;
  if (n >= v->length) return;
  if (v->validity) {
    for (int64_t i = n; i < v->length; i++) {
      uint8_t bit = (uint8_t)(1u << (i & 7));
      if (!(v->validity[i >> 3] & bit)) {
        v->validity[i >> 3] |= bit;
        v->null_count--;
      }
    }
  }
  switch (v->type->id) {
    case SP_STRING:
    case SP_BINARY: v->chars_len = v->offsets[n]; break;
    case SP_ARRAY: sp_fmt_vec_truncate(v->children[0], v->offsets[n]); break;
    case SP_STRUCT:
      for (int c = 0; c < v->nchildren; c++) sp_fmt_vec_truncate(v->children[c], n);
      break;
    default: break;
  }
  v->length = n;
}

const char *sp_fmt_corrupt_name(const sp_format_opts *opts) {
  return opts && opts->corrupt_record_column ? opts->corrupt_record_column : "_corrupt_record";
}

int sp_fmt_corrupt_index(const sp_type *schema, const sp_format_opts *opts) {
  if (!schema || schema->id != SP_STRUCT) return -1;
  const char *name = sp_fmt_corrupt_name(opts);
  for (int i = 0; i < schema->nfields; i++)
    if (strcmp(schema->fields[i].name, name) == 0 && schema->fields[i].type->id == SP_STRING) return i;
  return -1;
}

static const char b64_[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sp_fmt_base64_encode(const uint8_t *in, size_t n, sp_buf *out) {
  sp_buf_reserve(out, (n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
    char q[4] = {b64_[v >> 18], b64_[(v >> 12) & 63], b64_[(v >> 6) & 63], b64_[v & 63]};
    sp_buf_append(out, q, 4);
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
    char q[4] = {b64_[v >> 18], b64_[(v >> 12) & 63], i + 1 < n ? b64_[(v >> 6) & 63] : '=', '='};
    sp_buf_append(out, q, 4);
  }
}

static int b64val_(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int sp_fmt_base64_decode(const char *in, size_t n, sp_buf *out) {
  sp_buf_reset(out);
  sp_buf_reserve(out, n / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  bool pad = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c <= ' ') continue;
    if (c == '=') {
      pad = true;
      continue;
    }
    int v = b64val_(c);
    if (v < 0 || pad) return -1;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      sp_buf_putc(out, (char)((acc >> bits) & 0xFF));
    }
  }
  return 0;
}

/* Length of the valid UTF-8 sequence starting at s[0] (lead byte >= 0x80), or 0 if
 * it is invalid (bad lead, missing continuation, overlong, surrogate, > U+10FFFF). */
static size_t utf8_seq_(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return len;
}

void sp_fmt_json_string(sp_buf *out, const char *s, size_t n) {
  static const char hx[] = "0123456789ABCDEF";
  sp_buf_reserve(out, n + 2);
  sp_buf_putc(out, '"');
  size_t run = 0;
  for (size_t k = 0; k < n; k++) {
    unsigned char c = (unsigned char)s[k];
    if (c >= 0x80) {
      /* Valid UTF-8 passes; an invalid byte becomes U+FFFD, as Spark's strings hold
       * after Java decoded the input. */
      size_t len = utf8_seq_((const unsigned char *)s + k, n - k);
      if (len) {
        k += len - 1;
        continue;
      }
      sp_buf_append(out, s + run, k - run);
      sp_buf_append(out, "\xEF\xBF\xBD", 3);
      run = k + 1;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    sp_buf_append(out, s + run, k - run);
    run = k + 1;
    char e[6] = {'\\', 0, 0, 0, 0, 0};
    size_t el = 2;
    switch (c) {
      case '"': e[1] = '"'; break;
      case '\\': e[1] = '\\'; break;
      case '\b': e[1] = 'b'; break;
      case '\t': e[1] = 't'; break;
      case '\n': e[1] = 'n'; break;
      case '\f': e[1] = 'f'; break;
      case '\r': e[1] = 'r'; break;
      default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = hx[c >> 4];
        e[5] = hx[c & 15];
        el = 6;
        break;
    }
    sp_buf_append(out, e, el);
  }
  sp_buf_append(out, s + run, n - run);
  sp_buf_putc(out, '"');
}

static void sql_type_(const sp_type *t, sp_buf *b) {
  if (t->id == SP_STRUCT) {
    sp_buf_puts(b, "STRUCT<");
    for (int i = 0; i < t->nfields; i++) {
      if (i) sp_buf_puts(b, ", ");
      sp_buf_puts(b, t->fields[i].name);
      sp_buf_puts(b, ": ");
      sql_type_(t->fields[i].type, b);
    }
    sp_buf_putc(b, '>');
  } else if (t->id == SP_ARRAY) {
    sp_buf_puts(b, "ARRAY<");
    sql_type_(t->elem, b);
    sp_buf_putc(b, '>');
  } else {
    const char *n = sp_type_id_name(t->id);
    for (; *n; n++) sp_buf_putc(b, (char)toupper((unsigned char)*n));
  }
}

void sp_fmt_sql_type(const sp_type *t, char *buf, size_t cap) {
  sp_buf b;
  sp_buf_init(&b);
  sql_type_(t, &b);
  size_t n = b.failed || !b.data ? 0 : b.len;
  if (n >= cap) n = cap ? cap - 1 : 0;
  if (cap) {
    if (n) memcpy(buf, b.data, n);
    buf[n] = '\0';
  }
  sp_buf_free(&b);
}
