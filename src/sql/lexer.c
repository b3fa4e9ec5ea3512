/*
 * lexer.c - tokenizer of the job language and the positioned SQL error helper.
 *
 * Invariants: the lexer never reads past text[len]; every token it returns has
 * 0 <= pos <= end <= len; an EOF token sits at the end of the previous token (so
 * "unexpected end of input" carets point just after the last real token). Errors
 * are reported once, through sp_sql_error_at, positioned at the start of the
 * offending construct (an unterminated string points at its opening quote).
 */
#include "sql/lexer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/parser.h"

/* ---- positions and error messages ---- */

void sp_sql_line_col(const char *text, int len, int pos, int *line, int *col) {
  if (pos < 0) pos = 0;
  if (pos > len) pos = len;
  int l = 1, c = 1;
  for (int i = 0; i < pos; i++) {
    unsigned char ch = (unsigned char)text[i];
    if (ch == '\n') {
      l++;
      c = 1;
    } else if ((ch & 0xC0) != 0x80) {
      c++; /* count characters, not UTF-8 continuation bytes */
    }
  }
  *line = l;
  *col = c;
}

#define ERR_LINE_WINDOW 160 /* longest source excerpt shown under a message, in bytes */

int sp_sql_error_at(spate_error *err, int code, const char *text, int pos, const char *fmt, ...) {
  if (!err) return code;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!text) return spate_error_set(err, code, "%s", msg);
  int len = (int)strlen(text);
  if (pos < 0) pos = 0;
  if (pos > len) pos = len;
  int line, col;
  sp_sql_line_col(text, len, pos, &line, &col);
  int ls = pos, le = pos;
  while (ls > 0 && text[ls - 1] != '\n') ls--;
  while (le < len && text[le] != '\n') le++;
  if (le > ls && text[le - 1] == '\r') le--;
  if (pos > le) pos = le; /* caret on a '\r' goes to the end of the line */
  /* Long lines: show a window around the caret, cut on UTF-8 boundaries. */
  bool pre = false, post = false;
  if (le - ls > ERR_LINE_WINDOW) {
    int ws = pos - ERR_LINE_WINDOW / 2;
    if (ws > ls) {
      while (ws < pos && ((unsigned char)text[ws] & 0xC0) == 0x80) ws++;
      ls = ws;
      pre = true;
    }
    if (le - ls > ERR_LINE_WINDOW) {
      int we = ls + ERR_LINE_WINDOW;
      while (we > pos && ((unsigned char)text[we] & 0xC0) == 0x80) we--;
      le = we;
      post = true;
    }
  }
  int caret = pre ? 3 : 0;
  for (int i = ls; i < pos; i++)
    if (((unsigned char)text[i] & 0xC0) != 0x80) caret++;
  char spaces[ERR_LINE_WINDOW + 8];
  if (caret > (int)sizeof spaces - 1) caret = (int)sizeof spaces - 1;
  memset(spaces, ' ', (size_t)caret);
  spaces[caret] = '\0';
  return spate_error_set(err, code, "line %d:%d: %s\n%s%.*s%s\n%s^", line, col, msg, pre ? "..." : "", le - ls,
                         text + ls, post ? "..." : "", spaces);
}

/* ---- lexer ---- */

void sp_lexer_init(sp_lexer *lx, const char *text, int len, sp_arena *arena) {
  lx->text = text;
  lx->len = len;
  lx->pos = 0;
  lx->prev_end = 0;
  lx->prev_kind = SP_TK_EOF;
  lx->arena = arena;
}

static bool is_space_(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static bool is_digit_(char c) { return c >= '0' && c <= '9'; }
static bool is_ident_start_(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
}
static bool is_ident_char_(char c) { return is_ident_start_(c) || is_digit_(c); }

int sp_lexer_skip_space(sp_lexer *lx, spate_error *err) {
  const char *t = lx->text;
  int n = lx->len, i = lx->pos;
  for (;;) {
    while (i < n && is_space_(t[i])) i++;
    if (i + 1 < n && t[i] == '-' && t[i + 1] == '-') {
      while (i < n && t[i] != '\n') i++;
      continue;
    }
    if (i + 1 < n && t[i] == '/' && t[i + 1] == '*') {
      /* Bracketed comments nest, as in Spark. */
      int start = i, depth = 0;
      while (i < n) {
        if (i + 1 < n && t[i] == '/' && t[i + 1] == '*') {
          depth++;
          i += 2;
        } else if (i + 1 < n && t[i] == '*' && t[i + 1] == '/') {
          depth--;
          i += 2;
          if (depth == 0) break;
        } else {
          i++;
        }
      }
      if (depth != 0) {
        lx->pos = i;
        return sp_sql_error_at(err, SPATE_ESYNTAX, t, start, "unterminated comment");
      }
      continue;
    }
    break;
  }
  lx->pos = i;
  return 0;
}

static int hexval_(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int put_utf8_(char *o, uint32_t cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Read `digits` hex digits at t[i]; -1 if malformed. */
static int64_t read_hex_(const char *t, int n, int i, int digits) {
  if (i + digits > n) return -1;
  int64_t v = 0;
  for (int k = 0; k < digits; k++) {
    int h = hexval_(t[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

int sp_lex_string(const char *text, int len, int pos, sp_arena *arena, char **out, int *outlen, int *endpos,
                  spate_error *err) {
  char q = text[pos];
  /* Unescaped output is never longer than the source (\u escapes shrink or keep size). */
  int close = -1;
  for (int i = pos + 1; i < len; i++) {
    if (text[i] == '\\') {
      i++;
      continue;
    }
    if (text[i] == q) {
      if (i + 1 < len && text[i + 1] == q) {
        i++; /* '' inside '...' (and "" inside "..."), as Spark 4 */
        continue;
      }
      close = i;
      break;
    }
  }
  if (close < 0) return sp_sql_error_at(err, SPATE_ESYNTAX, text, pos, "unterminated string literal");
  char *o = sp_arena_alloc(arena, (size_t)(close - pos) + 1);
  if (!o) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  int k = 0;
  for (int i = pos + 1; i < close; i++) {
    char c = text[i];
    if (c == q) { /* a doubled quote */
      o[k++] = q;
      i++;
      continue;
    }
    if (c != '\\') {
      if (c == '\0') return sp_sql_error_at(err, SPATE_ESYNTAX, text, i, "NUL character in string literal");
      o[k++] = c;
      continue;
    }
    int esc = i;
    c = text[++i];
    /* Octal \ooo (first digit 0-3), as Spark's unescapeSQLString. */
    if (i + 2 < close && c >= '0' && c <= '3' && text[i + 1] >= '0' && text[i + 1] <= '7' && text[i + 2] >= '0' &&
        text[i + 2] <= '7') {
      int v = (c - '0') * 64 + (text[i + 1] - '0') * 8 + (text[i + 2] - '0');
      if (v == 0) return sp_sql_error_at(err, SPATE_ESYNTAX, text, esc, "NUL character in string literal");
      i += 2;
      k += put_utf8_(o + k, (uint32_t)v);
      continue;
    }
    switch (c) {
      case 'n': o[k++] = '\n'; break;
      case 't': o[k++] = '\t'; break;
      case 'r': o[k++] = '\r'; break;
      case 'b': o[k++] = '\b'; break;
      case 'Z': o[k++] = '\x1A'; break;
      case '0': return sp_sql_error_at(err, SPATE_ESYNTAX, text, esc, "NUL character in string literal");
      case '%':
      case '_': /* kept escaped: they are LIKE pattern escapes */
        o[k++] = '\\';
        o[k++] = c;
        break;
      case 'u':
      case 'U': {
        int digits = c == 'u' ? 4 : 8;
        int64_t cp = read_hex_(text, close, i + 1, digits);
        if (cp < 0) return sp_sql_error_at(err, SPATE_ESYNTAX, text, esc, "invalid unicode escape");
        i += digits;
        if (cp >= 0xD800 && cp <= 0xDBFF && c == 'u' && i + 6 < close && text[i + 1] == '\\' && text[i + 2] == 'u') {
          int64_t lo = read_hex_(text, close, i + 3, 4);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (cp == 0) return sp_sql_error_at(err, SPATE_ESYNTAX, text, esc, "NUL character in string literal");
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return sp_sql_error_at(err, SPATE_ESYNTAX, text, esc, "invalid unicode escape");
        k += put_utf8_(o + k, (uint32_t)cp);
        break;
      }
      default: o[k++] = c; break; /* \\ \' \" and any other \x -> x */
    }
  }
  o[k] = '\0';
  *out = o;
  *outlen = k;
  *endpos = close + 1;
  return 0;
}

bool sp_tok_is_kw(const sp_token *t, const char *text, const char *kw) {
  if (t->kind != SP_TK_IDENT) return false;
  size_t n = strlen(kw);
  return (size_t)(t->end - t->pos) == n && strncasecmp(text + t->pos, kw, n) == 0;
}

static int lex_error_(sp_lexer *lx, sp_token *tok, int rc) {
  tok->kind = SP_TK_ERROR;
  tok->end = tok->pos;
  (void)lx;
  return rc;
}

static int lex_number_(sp_lexer *lx, sp_token *tok, spate_error *err) {
  const char *t = lx->text;
  int n = lx->len, i = lx->pos;
  while (i < n && is_digit_(t[i])) i++;
  if (i < n && t[i] == '.') {
    i++;
    while (i < n && is_digit_(t[i])) i++;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    int j = i + 1;
    if (j < n && (t[j] == '+' || t[j] == '-')) j++;
    if (j < n && is_digit_(t[j])) {
      i = j;
      while (i < n && is_digit_(t[i])) i++;
    }
  }
  if (i + 1 < n && (t[i] == 'b' || t[i] == 'B') && (t[i + 1] == 'd' || t[i + 1] == 'D')) {
    i += 2;
  } else if (i < n && strchr("lLsSyYdDfF", t[i]) && t[i] != '\0') {
    i++;
  }
  if (i < n && is_ident_char_(t[i])) {
    int e = i;
    while (e < n && is_ident_char_(t[e])) e++;
    lx->pos = e;
    sp_sql_error_at(err, SPATE_ESYNTAX, t, tok->pos, "invalid number literal '%.*s'", e - tok->pos, t + tok->pos);
    return lex_error_(lx, tok, SPATE_ESYNTAX);
  }
  tok->kind = SP_TK_NUMBER;
  lx->pos = i;
  return 0;
}

int sp_lexer_next(sp_lexer *lx, sp_token *tok, spate_error *err) {
  memset(tok, 0, sizeof *tok);
  int rc = sp_lexer_skip_space(lx, err);
  const char *t = lx->text;
  int n = lx->len;
  tok->pos = lx->pos;
  if (rc) return lex_error_(lx, tok, rc);
  if (lx->pos >= n) {
    tok->kind = SP_TK_EOF;
    tok->pos = tok->end = lx->prev_end;
    return 0;
  }
  int i = lx->pos;
  char c = t[i];
  char c1 = i + 1 < n ? t[i + 1] : '\0';
  char c2 = i + 2 < n ? t[i + 2] : '\0';
  int w = 1;
  sp_tok_kind pk = lx->prev_kind;
  bool after_operand = pk == SP_TK_IDENT || pk == SP_TK_QIDENT || pk == SP_TK_RPAREN || pk == SP_TK_RBRACKET ||
                       pk == SP_TK_NUMBER || pk == SP_TK_STRING;
  if ((c == 'r' || c == 'R') && (c1 == '\'' || c1 == '"')) {
    /* Raw string R'...' / R"...": no escapes (Spark 3.4+). */
    const char *close = memchr(t + i + 2, c1, (size_t)(n - i - 2));
    if (!close) {
      sp_sql_error_at(err, SPATE_ESYNTAX, t, i, "unterminated string literal");
      lx->pos = n;
      return lex_error_(lx, tok, SPATE_ESYNTAX);
    }
    int cl = (int)(close - t);
    if (memchr(t + i + 2, '\0', (size_t)(cl - i - 2))) {
      sp_sql_error_at(err, SPATE_ESYNTAX, t, i, "NUL character in string literal");
      lx->pos = n;
      return lex_error_(lx, tok, SPATE_ESYNTAX);
    }
    tok->str = sp_arena_strndup(lx->arena, t + i + 2, (size_t)(cl - i - 2));
    if (!tok->str) {
      spate_error_set(err, SPATE_ENOMEM, "out of memory");
      return lex_error_(lx, tok, SPATE_ENOMEM);
    }
    tok->slen = cl - i - 2;
    tok->kind = SP_TK_STRING;
    lx->pos = cl + 1;
  } else if (is_ident_start_(c)) {
    while (i < n && is_ident_char_(t[i])) i++;
    tok->kind = SP_TK_IDENT;
    lx->pos = i;
  } else if (is_digit_(c) || (c == '.' && is_digit_(c1) && !after_operand)) {
    rc = lex_number_(lx, tok, err);
    if (rc) return rc;
  } else if (c == '\'' || c == '"') {
    rc = sp_lex_string(t, n, i, lx->arena, &tok->str, &tok->slen, &lx->pos, err);
    if (rc) return lex_error_(lx, tok, rc);
    tok->kind = SP_TK_STRING;
  } else if (c == '`') {
    int j = i + 1, close = -1;
    while (j < n) {
      if (t[j] == '`') {
        if (j + 1 < n && t[j + 1] == '`') {
          j += 2;
          continue;
        }
        close = j;
        break;
      }
      j++;
    }
    if (close < 0) {
      sp_sql_error_at(err, SPATE_ESYNTAX, t, i, "unterminated quoted identifier");
      lx->pos = n;
      return lex_error_(lx, tok, SPATE_ESYNTAX);
    }
    char *o = sp_arena_alloc(lx->arena, (size_t)(close - i));
    if (!o) {
      spate_error_set(err, SPATE_ENOMEM, "out of memory");
      return lex_error_(lx, tok, SPATE_ENOMEM);
    }
    int k = 0;
    for (j = i + 1; j < close; j++) {
      o[k++] = t[j];
      if (t[j] == '`') j++;
    }
    o[k] = '\0';
    tok->kind = SP_TK_QIDENT;
    tok->str = o;
    tok->slen = k;
    lx->pos = close + 1;
  } else {
    switch (c) {
      case '(': tok->kind = SP_TK_LPAREN; break;
      case ')': tok->kind = SP_TK_RPAREN; break;
      case '[': tok->kind = SP_TK_LBRACKET; break;
      case ']': tok->kind = SP_TK_RBRACKET; break;
      case ',': tok->kind = SP_TK_COMMA; break;
      case '.': tok->kind = SP_TK_DOT; break;
      case ';': tok->kind = SP_TK_SEMI; break;
      case ':': tok->kind = SP_TK_COLON; break;
      case '*': tok->kind = SP_TK_STAR; break;
      case '+': tok->kind = SP_TK_PLUS; break;
      case '-': tok->kind = SP_TK_MINUS; break;
      case '/': tok->kind = SP_TK_SLASH; break;
      case '%': tok->kind = SP_TK_PERCENT; break;
      case '=':
        if (c1 == '=') {
          tok->kind = SP_TK_EQEQ;
          w = 2;
        } else {
          tok->kind = SP_TK_EQ;
        }
        break;
      case '<':
        if (c1 == '=' && c2 == '>') {
          tok->kind = SP_TK_NSEQ;
          w = 3;
        } else if (c1 == '=') {
          tok->kind = SP_TK_LE;
          w = 2;
        } else if (c1 == '>') {
          tok->kind = SP_TK_NE;
          w = 2;
        } else {
          tok->kind = SP_TK_LT;
        }
        break;
      case '>':
        if (c1 == '=') {
          tok->kind = SP_TK_GE;
          w = 2;
        } else {
          tok->kind = SP_TK_GT;
        }
        break;
      case '!':
        if (c1 == '=') {
          tok->kind = SP_TK_NE;
          w = 2;
        } else {
          tok->kind = SP_TK_BANG;
        }
        break;
      case '|':
        if (c1 == '|') {
          tok->kind = SP_TK_CONCAT;
          w = 2;
          break;
        }
        /* fallthrough */
      default:
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7F)
          sp_sql_error_at(err, SPATE_ESYNTAX, t, i, "unexpected character '%c'", c);
        else
          sp_sql_error_at(err, SPATE_ESYNTAX, t, i, "unexpected byte 0x%02x", (unsigned char)c);
        lx->pos = i + 1;
        return lex_error_(lx, tok, SPATE_ESYNTAX);
    }
    lx->pos = i + w;
  }
  tok->end = lx->pos;
  lx->prev_end = lx->pos;
  lx->prev_kind = tok->kind;
  return 0;
}
