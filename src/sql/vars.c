/*
 * vars.c - ${name} / ${name:-default} substitution in job files (before parsing).
 *
 * Invariants: one left-to-right pass; substituted values are inserted verbatim
 * and never rescanned; text inside `--` and bracketed comments is copied
 * unchanged (a commented-out line cannot fail on an unset variable); `$${` is
 * an escape for a literal "${". `${file:name}` inserts the content of the file
 * whose path is the value of variable `name` (e.g. an Avro schema for from_avro).
 * The output is malloc'd and owned by the caller.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "sql/lexer.h"
#include "sql/parser.h"

static bool name_char_(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static int var_error_(spate_error *err, const char *text, int len, int pos, const char *what, int nlen,
                      const char *name) {
  int line, col;
  sp_sql_line_col(text, len, pos, &line, &col);
  if (name)
    return spate_error_set(err, SPATE_EINVAL, "%s ${%.*s} at line %d:%d (pass --var %.*s=VALUE)", what, nlen, name,
                           line, col, nlen, name);
  return spate_error_set(err, SPATE_EINVAL, "%s at line %d:%d", what, line, col);
}

/* ${file:name} at text[start..]: the name starts at ns. Appends the text before the
 * reference and the file's content to b; *next = index after the closing '}'. */
static int file_var_(const char *text, int len, int start, int ns, const char *const *names,
                     const char *const *values, int n, sp_buf *b, int *next, spate_error *err) {
  int ne = ns;
  while (ne < len && name_char_(text[ne])) ne++;
  if (ne == ns || ne >= len || text[ne] != '}')
    return var_error_(err, text, len, start,
                      "invalid file reference (expected ${file:name}, name a variable holding a path)", 0, NULL);
  const char *path = NULL;
  for (int k = n - 1; k >= 0 && !path; k--)
    if (names[k] && (int)strlen(names[k]) == ne - ns && memcmp(names[k], text + ns, (size_t)(ne - ns)) == 0)
      path = values[k] ? values[k] : "";
  if (!path) return var_error_(err, text, len, start, "undefined variable", ne - ns, text + ns);
  FILE *f = fopen(path, "rb");
  if (!f) {
    int line, col;
    sp_sql_line_col(text, len, start, &line, &col);
    return spate_error_set(err, SPATE_EINVAL, "cannot read the file '%s' of ${file:%.*s} at line %d:%d", path,
                           ne - ns, text + ns, line, col);
  }
  sp_buf_append(b, text + *next, (size_t)(start - *next));
  char chunk[4096];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) sp_buf_append(b, chunk, got);
  int bad = ferror(f);
  fclose(f);
  if (bad)
    return spate_error_set(err, SPATE_EINVAL, "cannot read the file '%s' of ${file:%.*s}", path, ne - ns, text + ns);
  *next = ne + 1;
  return 0;
}

int sp_substitute_vars(const char *text, const char *const *names, const char *const *values, int n, char **out,
                       spate_error *err) {
  *out = NULL;
  if (!text) return spate_error_set(err, SPATE_EINVAL, "no text to substitute");
  size_t slen = strlen(text);
  if (slen > (size_t)INT32_MAX - 1) return spate_error_set(err, SPATE_EINVAL, "text too large");
  int len = (int)slen;
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_reserve(&b, slen + 64);
  char quote = 0; /* inside '...', "..." or `...` */
  int i = 0, copied = 0;
  while (i < len) {
    char c = text[i];
    if (quote) {
      if (c == '\\' && quote != '`' && i + 1 < len && text[i + 1] != '$') {
        i += 2;
        continue;
      }
      if (c == quote) {
        quote = 0;
        i++;
        continue;
      }
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      i++;
      continue;
    } else if (c == '-' && i + 1 < len && text[i + 1] == '-') {
      while (i < len && text[i] != '\n') i++;
      continue;
    } else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
      int depth = 0;
      while (i < len) {
        if (i + 1 < len && text[i] == '/' && text[i + 1] == '*') {
          depth++;
          i += 2;
        } else if (i + 1 < len && text[i] == '*' && text[i + 1] == '/') {
          i += 2;
          if (--depth == 0) break;
        } else {
          i++;
        }
      }
      continue;
    }
    if (c != '$') {
      i++;
      continue;
    }
    if (i + 2 < len && text[i + 1] == '$' && text[i + 2] == '{') { /* $${ -> ${ */
      sp_buf_append(&b, text + copied, (size_t)(i - copied));
      sp_buf_append(&b, "${", 2);
      i += 3;
      copied = i;
      continue;
    }
    if (i + 1 >= len || text[i + 1] != '{') {
      i++;
      continue;
    }
    int start = i, ns = i + 2, ne = ns;
    while (ne < len && name_char_(text[ne])) ne++;
    if (ne - ns == 4 && !memcmp(text + ns, "file", 4) && ne + 1 < len && text[ne] == ':' && text[ne + 1] != '-') {
      int nx = copied; /* in: text copied so far; out: index after the reference */
      int rc = file_var_(text, len, start, ne + 1, names, values, n, &b, &nx, err);
      if (rc) {
        sp_buf_free(&b);
        return rc;
      }
      i = copied = nx;
      continue;
    }
    const char *def = NULL;
    int deflen = 0, close;
    if (ne < len && text[ne] == '}') {
      close = ne;
    } else if (ne + 1 < len && text[ne] == ':' && text[ne + 1] == '-') {
      const char *end = memchr(text + ne + 2, '}', (size_t)(len - ne - 2));
      if (!end) {
        sp_buf_free(&b);
        return var_error_(err, text, len, start, "unterminated variable reference", 0, NULL);
      }
      def = text + ne + 2;
      close = (int)(end - text);
      deflen = close - (ne + 2);
    } else {
      sp_buf_free(&b);
      if (ne >= len || !memchr(text + ne, '}', (size_t)(len - ne)))
        return var_error_(err, text, len, start, "unterminated variable reference", 0, NULL);
      return var_error_(err, text, len, start,
                        "invalid variable reference (expected ${name} or ${name:-default}; names use letters, digits, "
                        "'_' and '.')",
                        0, NULL);
    }
    if (ne == ns) {
      sp_buf_free(&b);
      return var_error_(err, text, len, start, "empty variable name in ${}", 0, NULL);
    }
    const char *val = NULL;
    for (int k = n - 1; k >= 0 && !val; k--) /* later definitions win */
      if (names[k] && (int)strlen(names[k]) == ne - ns && memcmp(names[k], text + ns, (size_t)(ne - ns)) == 0)
        val = values[k] ? values[k] : "";
    if (!val && !def) {
      sp_buf_free(&b);
      return var_error_(err, text, len, start, "undefined variable", ne - ns, text + ns);
    }
    sp_buf_append(&b, text + copied, (size_t)(start - copied));
    if (val)
      sp_buf_puts(&b, val);
    else
      sp_buf_append(&b, def, (size_t)deflen);
    i = close + 1;
    copied = i;
  }
  sp_buf_append(&b, text + copied, (size_t)(len - copied));
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  *out = sp_buf_steal(&b);
  if (!*out) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  return 0;
}
