/*
 * kernels_string.c - string kernels: lower/upper, trim family, length, concat,
 * concat_ws, substring, LIKE, RLIKE, split, regexp_extract and regexp_replace.
 *
 * Strings are UTF-8; "characters" are code points as in Spark's UTF8String
 * (length, substring positions, '_' in LIKE). Results are appended row by row into
 * one output vector whose byte buffer grows geometrically; per-row scratch goes
 * into one reusable sp_buf, so no kernel allocates per row. Patterns that are
 * literals were compiled at bind time (fn_data); a non-literal pattern is compiled
 * when it differs from the previous row's.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "expr/expr_internal.h"

/* ---- UTF-8 helpers ---- */

static inline size_t u8len_(unsigned char c) {
  if (c < 0xC0) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  if (c < 0xF8) return 4;
  return 1;
}

/* Decode one code point at s[0..n); *adv = bytes consumed. Invalid -> the byte itself, adv 1. */
static uint32_t u8dec_(const unsigned char *s, size_t n, size_t *adv) {
  unsigned char c = s[0];
  size_t l = u8len_(c);
  if (l == 1 || l > n) {
    *adv = 1;
    return c < 0x80 ? c : 0xFFFFFFFFu;
  }
  uint32_t cp = c & (0x7F >> l);
  for (size_t k = 1; k < l; k++) {
    if ((s[k] & 0xC0) != 0x80) {
      *adv = 1;
      return 0xFFFFFFFFu;
    }
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  *adv = l;
  return cp;
}

static size_t u8enc_(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static inline int64_t u8count_(const char *s, int32_t n) {
  int64_t c = 0;
  for (int32_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

/* Byte offset of character index ci (clamped to n). */
static int32_t u8offset_(const char *s, int32_t n, int64_t ci) {
  int32_t i = 0;
  while (ci > 0 && i < n) {
    i += (int32_t)u8len_((unsigned char)s[i]);
    ci--;
  }
  return i > n ? n : i;
}

static int finish_(sp_vec *r, sp_opnd *out, spate_error *err) {
  if (sp_vec_check(r)) {
    sp_vec_free(r);
    return sp_expr_oom(err);
  }
  out->vec = r;
  out->owned = true;
  return 0;
}

/* ---- lower / upper / trim / length ---- */

static void case_map_(const char *s, int32_t n, bool upper, locale_t *loc, sp_buf *b) {
  for (int32_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      char o = (char)c;
      if (upper && c >= 'a' && c <= 'z') o = (char)(c - 32);
      if (!upper && c >= 'A' && c <= 'Z') o = (char)(c + 32);
      sp_buf_putc(b, o);
      i++;
      continue;
    }
    size_t adv;
    uint32_t cp = u8dec_((const unsigned char *)s + i, (size_t)(n - i), &adv);
    if (cp == 0xFFFFFFFFu) {
      sp_buf_append(b, s + i, adv);
    } else {
      if (*loc == (locale_t)0) *loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
      uint32_t m = cp;
      if (*loc != (locale_t)0) m = (uint32_t)(upper ? towupper_l((wint_t)cp, *loc) : towlower_l((wint_t)cp, *loc));
      char enc[4];
      sp_buf_append(b, enc, u8enc_(m, enc));
    }
    i += (int32_t)adv;
  }
}

/* Is code point cp in the trim set (NULL set = ASCII space only)? */
static bool in_set_(uint32_t cp, const char *set, int32_t setn) {
  if (!set) return cp == ' ';
  for (int32_t i = 0; i < setn;) {
    size_t adv;
    uint32_t c = u8dec_((const unsigned char *)set + i, (size_t)(setn - i), &adv);
    if (c == cp) return true;
    i += (int32_t)adv;
  }
  return false;
}

static void trim_(const char **ps, int32_t *pn, bool left, bool right, const char *set, int32_t setn) {
  const char *s = *ps;
  int32_t n = *pn;
  if (left) {
    while (n > 0) {
      size_t adv;
      uint32_t cp = u8dec_((const unsigned char *)s, (size_t)n, &adv);
      if (!in_set_(cp, set, setn)) break;
      s += adv;
      n -= (int32_t)adv;
    }
  }
  if (right) {
    while (n > 0) {
      int32_t st = n - 1;
      while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80 && n - st < 4) st--;
      size_t adv;
      uint32_t cp = u8dec_((const unsigned char *)s + st, (size_t)(n - st), &adv);
      if ((int32_t)adv != n - st) cp = (unsigned char)s[n - 1], st = n - 1;
      if (!in_set_(cp, set, setn)) break;
      n = st;
    }
  }
  *ps = s;
  *pn = n;
}

int sp_k_string(const sp_kctx *k, sp_opnd *out) {
  int fn = k->e->fn;
  int64_t n = k->n;
  const sp_opnd *a = &k->args[0];
  if (fn == SP_FN_LENGTH) {
    if (sp_op_all_null(a)) {
      out->vec = sp_xvec_all_null(k->e->type, n);
      out->owned = true;
      return out->vec ? 0 : sp_expr_oom(k->err);
    }
    sp_vec *r = sp_xvec_fixed(k->e->type, n);
    if (!r) return sp_expr_oom(k->err);
    int32_t *d = sp_vec_i32(r);
    bool bytes = a->vec->type->id == SP_BINARY;
    for (int64_t i = 0; i < n; i++) {
      int32_t len;
      const char *p = sp_vec_str(a->vec, sp_ix(a, i), &len);
      d[i] = bytes ? len : (int32_t)u8count_(p, len);
    }
    if (sp_xvec_and_validity(r, k->args, 1, n)) {
      sp_vec_free(r);
      return sp_expr_oom(k->err);
    }
    out->vec = r;
    out->owned = true;
    return 0;
  }
  sp_vec *r = sp_vec_new(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  const sp_opnd *setop = k->nargs > 1 ? &k->args[1] : NULL;
  if (sp_op_all_null(a) || (setop && sp_op_all_null(setop))) {
    for (int64_t i = 0; i < n; i++) sp_vec_append_null(r);
    return finish_(r, out, k->err);
  }
  if (!a->scalar && a->vec->length > 0) sp_xvec_reserve_chars(r, a->vec->offsets[a->vec->length] + 16);
  sp_buf b;
  sp_buf_init(&b);
  locale_t loc = (locale_t)0;
  for (int64_t i = 0; i < n; i++) {
    if (sp_op_null(a, i) || (setop && sp_op_null(setop, i))) {
      sp_vec_append_null(r);
      continue;
    }
    int32_t len;
    const char *p = sp_vec_str(a->vec, sp_ix(a, i), &len);
    switch (fn) {
      case SP_FN_LOWER:
      case SP_FN_UPPER: {
        unsigned char any = 0;
        for (int32_t q = 0; q < len; q++) any |= (unsigned char)p[q];
        if (!(any & 0x80)) { /* ASCII: copy, then map in place */
          sp_vec_append_str(r, p, len);
          if (r->failed) break;
          char *d = r->chars + r->offsets[r->length - 1];
          if (fn == SP_FN_UPPER) {
            for (int32_t q = 0; q < len; q++) d[q] = (char)(d[q] - ((d[q] >= 'a' && d[q] <= 'z') ? 32 : 0));
          } else {
            for (int32_t q = 0; q < len; q++) d[q] = (char)(d[q] + ((d[q] >= 'A' && d[q] <= 'Z') ? 32 : 0));
          }
          break;
        }
        sp_buf_reset(&b);
        case_map_(p, len, fn == SP_FN_UPPER, &loc, &b);
        sp_vec_append_str(r, b.data ? b.data : "", (int32_t)b.len);
        break;
      }
      default: {
        const char *set = NULL;
        int32_t setn = 0;
        if (setop) set = sp_vec_str(setop->vec, sp_ix(setop, i), &setn);
        trim_(&p, &len, fn != SP_FN_RTRIM, fn != SP_FN_LTRIM, set, setn);
        sp_vec_append_str(r, p, len);
        break;
      }
    }
  }
  if (loc != (locale_t)0) freelocale(loc);
  bool bad = sp_buf_check(&b) != 0;
  sp_buf_free(&b);
  if (bad) {
    sp_vec_free(r);
    return sp_expr_oom(k->err);
  }
  return finish_(r, out, k->err);
}

/* ---- concat / concat_ws ---- */

int sp_k_concat(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  sp_vec *r = sp_vec_new(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  sp_buf b;
  sp_buf_init(&b);
  bool ws = k->e->fn == SP_FN_CONCAT_WS;
  for (int64_t i = 0; i < n; i++) {
    sp_buf_reset(&b);
    bool null = false;
    if (!ws) {
      for (int a = 0; a < k->nargs && !null; a++) {
        const sp_opnd *o = &k->args[a];
        if (sp_op_all_null(o) || sp_op_null(o, i)) {
          null = true;
          break;
        }
        int32_t len;
        const char *p = sp_vec_str(o->vec, sp_ix(o, i), &len);
        sp_buf_append(&b, p, (size_t)len);
      }
    } else {
      const sp_opnd *so = &k->args[0];
      if (sp_op_all_null(so) || sp_op_null(so, i)) {
        null = true;
      } else {
        int32_t sl;
        const char *sep = sp_vec_str(so->vec, sp_ix(so, i), &sl);
        bool first = true;
        for (int a = 1; a < k->nargs; a++) {
          const sp_opnd *o = &k->args[a];
          if (sp_op_all_null(o) || sp_op_null(o, i)) continue;
          int64_t j = sp_ix(o, i);
          if (o->vec->type->id == SP_ARRAY) {
            const sp_vec *el = o->vec->children[0];
            for (int32_t e = o->vec->offsets[j]; e < o->vec->offsets[j + 1]; e++) {
              if (el->type->id == SP_NULL || sp_vec_is_null(el, e)) continue;
              int32_t len;
              const char *p = sp_vec_str(el, e, &len);
              if (!first) sp_buf_append(&b, sep, (size_t)sl);
              sp_buf_append(&b, p, (size_t)len);
              first = false;
            }
          } else {
            int32_t len;
            const char *p = sp_vec_str(o->vec, j, &len);
            if (!first) sp_buf_append(&b, sep, (size_t)sl);
            sp_buf_append(&b, p, (size_t)len);
            first = false;
          }
        }
      }
    }
    if (null)
      sp_vec_append_null(r);
    else
      sp_vec_append_str(r, b.data ? b.data : "", (int32_t)b.len);
  }
  bool bad = sp_buf_check(&b) != 0;
  sp_buf_free(&b);
  if (bad) {
    sp_vec_free(r);
    return sp_expr_oom(k->err);
  }
  return finish_(r, out, k->err);
}

/* ---- substring (UTF8String.substringSQL) ---- */

int sp_k_substring(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *s = &k->args[0], *po = &k->args[1], *lo = k->nargs > 2 ? &k->args[2] : NULL;
  sp_vec *r = sp_vec_new(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  bool bytes = k->e->type->id == SP_BINARY;
  bool allnull = sp_op_all_null(s) || sp_op_all_null(po) || (lo && sp_op_all_null(lo));
  for (int64_t i = 0; i < n; i++) {
    if (allnull || sp_op_null(s, i) || sp_op_null(po, i) || (lo && sp_op_null(lo, i))) {
      sp_vec_append_null(r);
      continue;
    }
    int32_t len;
    const char *p = sp_vec_str(s->vec, sp_ix(s, i), &len);
    int64_t pos = sp_vec_i32(po->vec)[sp_ix(po, i)];
    int64_t ln = lo ? sp_vec_i32(lo->vec)[sp_ix(lo, i)] : INT32_MAX;
    int64_t nchars = -1;
    int64_t start;
    if (pos > 0) {
      start = pos - 1;
    } else if (pos < 0) {
      nchars = bytes ? len : u8count_(p, len);
      start = nchars + pos;
    } else {
      start = 0;
    }
    int64_t end = start + ln;
    if (end > INT32_MAX) end = INT32_MAX;
    if (end < INT32_MIN) end = INT32_MIN;
    if (start < 0) start = 0;
    if (start >= end) {
      sp_vec_append_str(r, "", 0);
      continue;
    }
    int32_t b0, b1;
    if (bytes) {
      b0 = start > len ? len : (int32_t)start;
      b1 = end > len ? len : (int32_t)end;
    } else {
      b0 = u8offset_(p, len, start);
      b1 = b0 + u8offset_(p + b0, len - b0, end - start);
    }
    sp_vec_append_str(r, p + b0, b1 - b0);
  }
  return finish_(r, out, k->err);
}

/* ---- patterns ---- */

typedef struct pat_src {
  const sp_regex *re;   /* current pattern */
  sp_regex *owned;      /* compiled per row (non-literal pattern) */
  sp_regex_match *m;
  char *last;
  int32_t lastlen;
} pat_src;

static void pat_free_(pat_src *ps) {
  sp_regex_match_free(ps->m);
  sp_regex_free(ps->owned);
  free(ps->last);
  memset(ps, 0, sizeof *ps);
}

/* Pattern for row i (from fn_data or compiled from the pattern operand). */
static int pat_get_(pat_src *ps, const sp_kctx *k, const sp_opnd *po, int64_t i) {
  const sp_fn_data *fd = k->e->fn_data;
  if (fd && !ps->re) {
    ps->re = ((const sp_regex_data *)fd)->re;
    ps->m = sp_regex_match_new(ps->re);
    return ps->m ? 0 : sp_expr_oom(k->err);
  }
  if (fd) return 0;
  int32_t len;
  const char *p = sp_vec_str(po->vec, sp_ix(po, i), &len);
  if (ps->re && len == ps->lastlen && (len == 0 || memcmp(p, ps->last, (size_t)len) == 0)) return 0;
  pat_free_(ps);
  char msg[300];
  sp_regex *re = NULL;
  int rc = sp_regex_compile(p, (size_t)len, &re, msg, sizeof msg);
  if (rc == SPATE_ENOMEM) return sp_expr_oom(k->err);
  if (rc)
    return spate_error_set(k->err, SPATE_ERUNTIME,
                           "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` in `%s` is invalid: "
                           "'%.*s': %s",
                           sp_fn_name(k->e->fn), (int)len, p, msg);
  ps->owned = re;
  ps->re = re;
  ps->last = malloc((size_t)len + 1);
  ps->m = sp_regex_match_new(re);
  if (!ps->last || !ps->m) return sp_expr_oom(k->err);
  if (len) memcpy(ps->last, p, (size_t)len);
  ps->lastlen = len;
  return 0;
}

static int regex_error_(const sp_kctx *k) {
  return spate_error_set(k->err, SPATE_ERUNTIME, "regular expression matching failed in %s", sp_fn_name(k->e->fn));
}

int sp_k_rlike(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *s = &k->args[0], *po = &k->args[1];
  sp_type *bt = sp_type_prim(SP_BOOLEAN);
  if (sp_op_all_null(s) || sp_op_all_null(po)) {
    out->vec = sp_xvec_all_null(bt, n);
    out->owned = true;
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_vec *r = sp_xvec_fixed(bt, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  uint8_t *d = sp_vec_bool(r);
  pat_src ps = {0};
  int rc = 0;
  for (int64_t i = 0; i < n; i++) {
    d[i] = 0;
    if (sp_op_null(s, i) || sp_op_null(po, i)) continue;
    if ((rc = pat_get_(&ps, k, po, i))) break;
    int32_t len;
    const char *p = sp_vec_str(s->vec, sp_ix(s, i), &len);
    size_t ms, me;
    int f = sp_regex_find(ps.re, ps.m, p, (size_t)len, 0, &ms, &me);
    if (f < 0) {
      rc = regex_error_(k);
      break;
    }
    d[i] = (uint8_t)f;
  }
  pat_free_(&ps);
  if (rc) return rc;
  if (sp_xvec_and_validity(r, k->args, 2, n)) return sp_expr_oom(k->err);
  return 0;
}

int sp_k_like(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *s = &k->args[0], *po = &k->args[1];
  sp_type *bt = sp_type_prim(SP_BOOLEAN);
  if (sp_op_all_null(s) || sp_op_all_null(po)) {
    out->vec = sp_xvec_all_null(bt, n);
    out->owned = true;
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_vec *r = sp_xvec_fixed(bt, n);
  if (!r) return sp_expr_oom(k->err);
  out->vec = r;
  out->owned = true;
  uint8_t *d = sp_vec_bool(r);
  const sp_fn_data *fd = k->e->fn_data;
  const sp_like *m = fd ? ((const sp_like_data *)fd)->m : NULL;
  sp_like *own = NULL;
  const char *last = NULL;
  int32_t lastlen = -1;
  for (int64_t i = 0; i < n; i++) {
    d[i] = 0;
    if (sp_op_null(s, i) || sp_op_null(po, i)) continue;
    if (!fd) {
      int32_t pl;
      const char *pp = sp_vec_str(po->vec, sp_ix(po, i), &pl);
      if (!own || pl != lastlen || (pl && memcmp(pp, last, (size_t)pl) != 0)) {
        sp_like_free(own);
        own = NULL;
        char msg[300];
        int rc = sp_like_compile(pp, (size_t)pl, &own, msg, sizeof msg);
        if (rc == SPATE_ENOMEM) return sp_expr_oom(k->err);
        if (rc) return spate_error_set(k->err, SPATE_ERUNTIME, "[INVALID_FORMAT] %s", msg);
        last = pp;
        lastlen = pl;
      }
      m = own;
    }
    int32_t len;
    const char *p = sp_vec_str(s->vec, sp_ix(s, i), &len);
    d[i] = sp_like_match(m, p, (size_t)len);
  }
  sp_like_free(own);
  if (sp_xvec_and_validity(r, k->args, 2, n)) return sp_expr_oom(k->err);
  return 0;
}

/* ---- split (Java String.split with Spark's limit handling) ---- */

static void split_row_(const sp_regex *re, sp_regex_match *m, bool litc, char ch, const char *s, int32_t n,
                       int32_t limit, sp_vec *child, int *err) {
  if (n == 0) {
    sp_vec_append_str(child, "", 0);
    return;
  }
  int32_t count = 0;
  size_t index = 0;
  bool limited = limit > 0;
  if (litc) {
    for (;;) {
      if (limited && count >= limit - 1) break;
      const char *q = memchr(s + index, ch, (size_t)n - index);
      if (!q) break;
      size_t at = (size_t)(q - s);
      sp_vec_append_str(child, s + index, (int32_t)(at - index));
      count++;
      index = at + 1;
    }
    sp_vec_append_str(child, s + index, (int32_t)((size_t)n - index));
    return;
  }
  size_t from = 0;
  bool any = false;
  for (;;) {
    size_t ms, me;
    int f = sp_regex_find(re, m, s, (size_t)n, from, &ms, &me);
    if (f < 0) {
      *err = 1;
      return;
    }
    if (f == 0) break;
    if (!limited || count < limit - 1) {
      if (!(index == 0 && ms == 0 && me == 0)) {
        sp_vec_append_str(child, s + index, (int32_t)(ms - index));
        count++;
        any = true;
        index = me;
      }
    } else {
      break;
    }
    /* Next search starts after the match; an empty match advances one character. */
    if (me == ms) {
      if (me >= (size_t)n) break;
      from = me + u8len_((unsigned char)s[me]);
      if (from > (size_t)n) from = (size_t)n;
    } else {
      from = me;
    }
  }
  if (!any && index == 0) {
    sp_vec_append_str(child, s, n);
    return;
  }
  sp_vec_append_str(child, s + index, (int32_t)((size_t)n - index));
}

/* Spark special-cases an empty pattern: one element per character. */
static void split_chars_(const char *s, int32_t n, int32_t limit, sp_vec *child) {
  if (n == 0) {
    sp_vec_append_str(child, "", 0);
    return;
  }
  int32_t i = 0, count = 0;
  while (i < n) {
    if (limit > 0 && count == limit - 1) {
      sp_vec_append_str(child, s + i, n - i);
      return;
    }
    int32_t l = (int32_t)u8len_((unsigned char)s[i]);
    if (i + l > n) l = n - i;
    sp_vec_append_str(child, s + i, l);
    count++;
    i += l;
  }
}

int sp_k_split(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *s = &k->args[0], *po = &k->args[1], *lo = k->nargs > 2 ? &k->args[2] : NULL;
  sp_vec *r = sp_vec_new(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  sp_vec *child = r->children[0];
  bool allnull = sp_op_all_null(s) || sp_op_all_null(po) || (lo && sp_op_all_null(lo));
  pat_src ps = {0};
  int rc = 0;
  for (int64_t i = 0; i < n && !rc; i++) {
    if (allnull || sp_op_null(s, i) || sp_op_null(po, i) || (lo && sp_op_null(lo, i))) {
      sp_vec_array_close(r, false);
      continue;
    }
    int32_t len, pl;
    const char *p = sp_vec_str(s->vec, sp_ix(s, i), &len);
    (void)sp_vec_str(po->vec, sp_ix(po, i), &pl);
    int32_t limit = lo ? sp_vec_i32(lo->vec)[sp_ix(lo, i)] : -1;
    if (limit == 0) limit = -1;
    if (pl == 0) {
      split_chars_(p, len, limit, child);
    } else {
      if ((rc = pat_get_(&ps, k, po, i))) break;
      char ch = 0;
      bool litc = sp_regex_literal_char(ps.re, &ch);
      int e = 0;
      split_row_(ps.re, ps.m, litc, ch, p, len, limit, child, &e);
      if (e) rc = regex_error_(k);
    }
    sp_vec_array_close(r, true);
  }
  pat_free_(&ps);
  if (rc) {
    sp_vec_free(r);
    return rc;
  }
  return finish_(r, out, k->err);
}

/* ---- regexp_extract / regexp_replace ---- */

int sp_k_regexp_extract(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *s = &k->args[0], *po = &k->args[1], *io = k->nargs > 2 ? &k->args[2] : NULL;
  sp_vec *r = sp_vec_new(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  bool allnull = sp_op_all_null(s) || sp_op_all_null(po) || (io && sp_op_all_null(io));
  pat_src ps = {0};
  int rc = 0;
  for (int64_t i = 0; i < n && !rc; i++) {
    if (allnull || sp_op_null(s, i) || sp_op_null(po, i) || (io && sp_op_null(io, i))) {
      sp_vec_append_null(r);
      continue;
    }
    if ((rc = pat_get_(&ps, k, po, i))) break;
    int32_t idx = io ? sp_vec_i32(io->vec)[sp_ix(io, i)] : 1;
    if (idx < 0 || idx > sp_regex_groups(ps.re)) {
      rc = spate_error_set(k->err, SPATE_ERUNTIME,
                           "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in "
                           "`regexp_extract` is invalid: Expects group index between 0 and %d, but got %d.",
                           sp_regex_groups(ps.re), idx);
      break;
    }
    int32_t len;
    const char *p = sp_vec_str(s->vec, sp_ix(s, i), &len);
    size_t ms, me, gs, ge;
    int f = sp_regex_find(ps.re, ps.m, p, (size_t)len, 0, &ms, &me);
    if (f < 0) {
      rc = regex_error_(k);
      break;
    }
    if (f == 1 && sp_regex_group(ps.m, idx, &gs, &ge))
      sp_vec_append_str(r, p + gs, (int32_t)(ge - gs));
    else
      sp_vec_append_str(r, "", 0);
  }
  pat_free_(&ps);
  if (rc) {
    sp_vec_free(r);
    return rc;
  }
  return finish_(r, out, k->err);
}

/* Append Java Matcher.appendReplacement's expansion of rep for the current match. */
static int expand_repl_(const sp_kctx *k, const char *rep, int32_t rl, const sp_regex *re, const sp_regex_match *m,
                        const char *s, sp_buf *b) {
  int groups = sp_regex_groups(re);
  for (int32_t i = 0; i < rl; i++) {
    char c = rep[i];
    if (c == '\\') {
      if (++i >= rl)
        return spate_error_set(k->err, SPATE_ERUNTIME, "character to be escaped is missing in replacement '%.*s'",
                               (int)rl, rep);
      sp_buf_putc(b, rep[i]);
    } else if (c == '$') {
      if (++i >= rl)
        return spate_error_set(k->err, SPATE_ERUNTIME,
                               "Illegal group reference: group index is missing in replacement '%.*s'", (int)rl, rep);
      if (rep[i] < '0' || rep[i] > '9')
        return spate_error_set(k->err, SPATE_ERUNTIME, "Illegal group reference in replacement '%.*s'", (int)rl,
                               rep);
      int g = rep[i] - '0';
      if (g > groups) return spate_error_set(k->err, SPATE_ERUNTIME, "No group %d", g);
      while (i + 1 < rl && rep[i + 1] >= '0' && rep[i + 1] <= '9') {
        int ng = g * 10 + (rep[i + 1] - '0');
        if (ng > groups) break;
        g = ng;
        i++;
      }
      size_t gs, ge;
      if (sp_regex_group(m, g, &gs, &ge)) sp_buf_append(b, s + gs, ge - gs);
    } else {
      sp_buf_putc(b, c);
    }
  }
  return 0;
}

int sp_k_regexp_replace(const sp_kctx *k, sp_opnd *out) {
  int64_t n = k->n;
  const sp_opnd *s = &k->args[0], *po = &k->args[1], *ro = &k->args[2], *pos = k->nargs > 3 ? &k->args[3] : NULL;
  sp_vec *r = sp_vec_new(k->e->type, n);
  if (!r) return sp_expr_oom(k->err);
  bool allnull = sp_op_all_null(s) || sp_op_all_null(po) || sp_op_all_null(ro) || (pos && sp_op_all_null(pos));
  pat_src ps = {0};
  sp_buf b;
  sp_buf_init(&b);
  int rc = 0;
  for (int64_t i = 0; i < n && !rc; i++) {
    if (allnull || sp_op_null(s, i) || sp_op_null(po, i) || sp_op_null(ro, i) || (pos && sp_op_null(pos, i))) {
      sp_vec_append_null(r);
      continue;
    }
    if ((rc = pat_get_(&ps, k, po, i))) break;
    int32_t len, rl;
    const char *p = sp_vec_str(s->vec, sp_ix(s, i), &len);
    const char *rep = sp_vec_str(ro->vec, sp_ix(ro, i), &rl);
    int32_t position = pos ? sp_vec_i32(pos->vec)[sp_ix(pos, i)] : 1;
    if (position < 1) {
      rc = spate_error_set(k->err, SPATE_ERUNTIME,
                           "[INVALID_PARAMETER_VALUE] The value of parameter(s) `position` in `regexp_replace` is "
                           "invalid: Expects a positive int, but got %d.",
                           position);
      break;
    }
    int32_t start = u8offset_(p, len, position - 1);
    if (start >= len) { /* Spark: position beyond the string leaves it unchanged */
      sp_vec_append_str(r, p, len);
      continue;
    }
    sp_buf_reset(&b);
    sp_buf_append(&b, p, (size_t)start);
    size_t from = (size_t)start, last = (size_t)start;
    for (;;) {
      size_t ms, me;
      int f = sp_regex_find(ps.re, ps.m, p, (size_t)len, from, &ms, &me);
      if (f < 0) {
        rc = regex_error_(k);
        break;
      }
      if (f == 0) break;
      sp_buf_append(&b, p + last, ms - last);
      if ((rc = expand_repl_(k, rep, rl, ps.re, ps.m, p, &b))) break;
      last = me;
      if (me == ms) {
        if (me >= (size_t)len) break;
        from = me + u8len_((unsigned char)p[me]);
        if (from > (size_t)len) from = (size_t)len;
      } else {
        from = me;
      }
    }
    if (rc) break;
    sp_buf_append(&b, p + last, (size_t)len - last);
    if (sp_buf_check(&b)) {
      rc = sp_expr_oom(k->err);
      break;
    }
    sp_vec_append_str(r, b.data ? b.data : "", (int32_t)b.len);
  }
  pat_free_(&ps);
  sp_buf_free(&b);
  if (rc) {
    sp_vec_free(r);
    return rc;
  }
  return finish_(r, out, k->err);
}
