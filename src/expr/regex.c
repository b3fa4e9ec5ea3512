/*
 * regex.c - compiled patterns: Java-style regular expressions through PCRE2 (UTF-8,
 * JIT when available) and SQL LIKE matchers.
 *
 * A compiled sp_regex / sp_like is immutable and shared by every thread evaluating
 * the expression; per-evaluation state (PCRE2 match data) lives in sp_regex_match.
 * LIKE patterns compile to a token list (literal runs, '_' = one UTF-8 character,
 * '%' = any run) matched with single-star backtracking, with fast paths for exact,
 * prefix, suffix and contains patterns.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_internal.h"

/* ---- regex ---- */

struct sp_regex {
  pcre2_code *code;
  int groups;
  bool lit;   /* the pattern is one literal character */
  char ch;
};

struct sp_regex_match {
  pcre2_match_data *md;
  bool ok;
};

/* A pattern that matches exactly one literal byte: "x" (not a metachar) or "\\x". */
static bool literal_char_(const char *p, size_t len, char *c) {
  static const char *meta = ".$|()[]{}^?*+\\";
  if (len == 1 && !strchr(meta, p[0]) && (unsigned char)p[0] < 0x80) {
    *c = p[0];
    return true;
  }
  if (len == 2 && p[0] == '\\' && strchr(meta, p[1]) && p[1] != 0) {
    *c = p[1];
    return true;
  }
  return false;
}

int sp_regex_compile(const char *pat, size_t len, sp_regex **out, char *msg, size_t msgcap) {
  *out = NULL;
  sp_regex *r = calloc(1, sizeof *r);
  if (!r) return SPATE_ENOMEM;
  int ec;
  PCRE2_SIZE eo;
  r->code = pcre2_compile((PCRE2_SPTR)(pat ? pat : ""), len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
  if (!r->code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(ec, buf, sizeof buf);
    snprintf(msg, msgcap, "%s near index %zu", (const char *)buf, (size_t)eo);
    free(r);
    return SPATE_EANALYSIS;
  }
  (void)pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
  uint32_t cap = 0;
  pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &cap);
  r->groups = (int)cap;
  r->lit = literal_char_(pat, len, &r->ch);
  *out = r;
  return 0;
}

void sp_regex_free(sp_regex *r) {
  if (!r) return;
  pcre2_code_free(r->code);
  free(r);
}

int sp_regex_groups(const sp_regex *r) { return r->groups; }

bool sp_regex_literal_char(const sp_regex *r, char *c) {
  if (r->lit) *c = r->ch;
  return r->lit;
}

sp_regex_match *sp_regex_match_new(const sp_regex *r) {
  sp_regex_match *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->md = pcre2_match_data_create_from_pattern(r->code, NULL);
  if (!m->md) {
    free(m);
    return NULL;
  }
  return m;
}

void sp_regex_match_free(sp_regex_match *m) {
  if (!m) return;
  pcre2_match_data_free(m->md);
  free(m);
}

int sp_regex_find(const sp_regex *r, sp_regex_match *m, const char *s, size_t n, size_t start, size_t *ms,
                  size_t *me) {
  m->ok = false;
  if (start > n) return 0;
  int rc = pcre2_match(r->code, (PCRE2_SPTR)(s ? s : ""), n, start, 0, m->md, NULL);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) return SPATE_ERUNTIME;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
  *ms = ov[0];
  *me = ov[1];
  m->ok = true;
  return 1;
}

bool sp_regex_group(const sp_regex_match *m, int g, size_t *gs, size_t *ge) {
  if (!m->ok) return false;
  if ((uint32_t)g >= pcre2_get_ovector_count(m->md)) return false;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
  if (ov[2 * g] == PCRE2_UNSET) return false;
  *gs = ov[2 * g];
  *ge = ov[2 * g + 1];
  return true;
}

/* ---- LIKE ---- */

enum { TOK_LIT, TOK_ONE, TOK_ANY };
typedef struct like_tok {
  int kind;
  int32_t off, len; /* TOK_LIT: bytes in sp_like.lits */
} like_tok;

typedef enum { LK_GENERAL, LK_EXACT, LK_PREFIX, LK_SUFFIX, LK_CONTAINS, LK_ALL } like_shape;

struct sp_like {
  like_shape shape;
  like_tok *toks;
  int ntoks;
  char *lits;    /* concatenated literal bytes */
  int32_t nlits;
};

int sp_like_compile(const char *pat, size_t len, sp_like **out, char *msg, size_t msgcap) {
  *out = NULL;
  sp_like *m = calloc(1, sizeof *m);
  if (!m) return SPATE_ENOMEM;
  m->toks = malloc((len + 1) * sizeof *m->toks);
  m->lits = malloc(len + 1);
  if (!m->toks || !m->lits) {
    sp_like_free(m);
    return SPATE_ENOMEM;
  }
  for (size_t i = 0; i < len; i++) {
    char c = pat[i];
    if (c == '\\') {
      if (i + 1 >= len) {
        snprintf(msg, msgcap, "the pattern '%.*s' is invalid, it is not allowed to end with the escape character",
                 (int)len, pat);
        sp_like_free(m);
        return SPATE_EANALYSIS;
      }
      char nx = pat[i + 1];
      if (nx != '_' && nx != '%' && nx != '\\') {
        snprintf(msg, msgcap,
                 "the pattern '%.*s' is invalid, the escape character is not allowed to precede '%c'", (int)len,
                 pat, nx);
        sp_like_free(m);
        return SPATE_EANALYSIS;
      }
      c = nx;
      i++;
    } else if (c == '%' || c == '_') {
      if (c == '%' && m->ntoks > 0 && m->toks[m->ntoks - 1].kind == TOK_ANY) continue;
      m->toks[m->ntoks++] = (like_tok){c == '%' ? TOK_ANY : TOK_ONE, 0, 0};
      continue;
    }
    if (m->ntoks > 0 && m->toks[m->ntoks - 1].kind == TOK_LIT) {
      m->toks[m->ntoks - 1].len++;
    } else {
      m->toks[m->ntoks++] = (like_tok){TOK_LIT, m->nlits, 1};
    }
    m->lits[m->nlits++] = c;
  }
  /* Shapes. */
  int nt = m->ntoks;
  like_tok *t = m->toks;
  if (nt == 0 || (nt == 1 && t[0].kind == TOK_LIT))
    m->shape = LK_EXACT;
  else if (nt == 1 && t[0].kind == TOK_ANY)
    m->shape = LK_ALL;
  else if (nt == 2 && t[0].kind == TOK_LIT && t[1].kind == TOK_ANY)
    m->shape = LK_PREFIX;
  else if (nt == 2 && t[0].kind == TOK_ANY && t[1].kind == TOK_LIT)
    m->shape = LK_SUFFIX;
  else if (nt == 3 && t[0].kind == TOK_ANY && t[1].kind == TOK_LIT && t[2].kind == TOK_ANY)
    m->shape = LK_CONTAINS;
  else
    m->shape = LK_GENERAL;
  *out = m;
  return 0;
}

void sp_like_free(sp_like *m) {
  if (!m) return;
  free(m->toks);
  free(m->lits);
  free(m);
}

/* Byte length of the UTF-8 character starting with lead byte c (1 for invalid bytes). */
static inline size_t u8len_(unsigned char c) {
  if (c < 0xC0) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  if (c < 0xF8) return 4;
  return 1;
}

static inline size_t step_(const char *s, size_t n, size_t i) {
  size_t l = u8len_((unsigned char)s[i]);
  return i + l > n ? n : i + l;
}

bool sp_like_match(const sp_like *m, const char *s, size_t n) {
  const like_tok *t = m->toks;
  switch (m->shape) {
    case LK_ALL: return true;
    case LK_EXACT: {
      size_t l = m->ntoks ? (size_t)t[0].len : 0;
      return n == l && (l == 0 || memcmp(s, m->lits, l) == 0);
    }
    case LK_PREFIX: return n >= (size_t)t[0].len && memcmp(s, m->lits + t[0].off, (size_t)t[0].len) == 0;
    case LK_SUFFIX:
      return n >= (size_t)t[1].len && memcmp(s + n - t[1].len, m->lits + t[1].off, (size_t)t[1].len) == 0;
    case LK_CONTAINS: return n >= (size_t)t[1].len && memmem(s, n, m->lits + t[1].off, (size_t)t[1].len) != NULL;
    case LK_GENERAL: break;
  }
  size_t si = 0;
  int ti = 0, star = -1;
  size_t star_si = 0;
  for (;;) {
    if (ti < m->ntoks) {
      const like_tok *k = &t[ti];
      if (k->kind == TOK_ANY) {
        star = ti++;
        star_si = si;
        continue;
      }
      if (k->kind == TOK_ONE && si < n) {
        si = step_(s, n, si);
        ti++;
        continue;
      }
      if (k->kind == TOK_LIT && n - si >= (size_t)k->len && memcmp(s + si, m->lits + k->off, (size_t)k->len) == 0) {
        si += (size_t)k->len;
        ti++;
        continue;
      }
    } else if (si == n) {
      return true;
    }
    if (star < 0 || star_si >= n) return false;
    star_si = step_(s, n, star_si);
    si = star_si;
    ti = star + 1;
  }
}

/* ---- fn_data wrappers ---- */

static void like_data_destroy_(sp_fn_data *d) {
  sp_like_free(((sp_like_data *)d)->m);
  free(d);
}

static void regex_data_destroy_(sp_fn_data *d) {
  sp_regex_free(((sp_regex_data *)d)->re);
  free(d);
}

sp_fn_data *sp_like_data_new(sp_like *m) {
  sp_like_data *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->base.destroy = like_data_destroy_;
  d->m = m;
  return &d->base;
}

sp_fn_data *sp_regex_data_new(sp_regex *re) {
  sp_regex_data *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->base.destroy = regex_data_destroy_;
  d->re = re;
  return &d->base;
}
