/*
 * source_common.c - the parts of the source plugin interface shared by every
 * source (source.h): option lookup and validation, batch lists, creating and
 * freeing sources, and small path/URI/JSON helpers the sources and sinks share.
 *
 * Invariants: option names are matched case-insensitively (Spark's
 * CaseInsensitiveMap); when an option is given twice the last value wins. A
 * sp_source is either fully created (vt, schema, description set, impl owned by
 * the vtable) or not returned at all; sp_source_free tolerates partially built
 * sources (NULL schema/description) because create() may fail half-way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "source/source.h"

/* ---- options ---- */

const char *sp_source_spec_option(const sp_source_spec *spec, const char *key) {
  const char *found = NULL;
  for (int i = 0; i < spec->noptions; i++)
    if (spec->keys[i] && strcasecmp(spec->keys[i], key) == 0) found = spec->values[i];
  return found;
}

static bool option_known_(const char *const *valid, const char *key) {
  for (int i = 0; valid && valid[i]; i++) {
    size_t n = strlen(valid[i]);
    if (n > 0 && valid[i][n - 1] == '.') {
      if (strncasecmp(key, valid[i], n) == 0) return true;
    } else if (strcasecmp(key, valid[i]) == 0) {
      return true;
    }
  }
  return false;
}

/* Case-insensitive edit distance, capped (names are short). */
static int edit_distance_(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return 99;
  int prev[64], cur[64];
  for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
      int del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, sizeof(int) * (lb + 1));
  }
  return prev[lb];
}

int sp_check_options(const char *what, const char *const *valid, int n, const char *const *keys,
                     spate_error *err) {
  for (int i = 0; i < n; i++) {
    if (!keys[i]) continue;
    if (option_known_(valid, keys[i])) continue;
    sp_buf b;
    sp_buf_init(&b);
    sp_buf_printf(&b, "Unknown option '%s' for %s. ", keys[i], what);
    const char *best = NULL;
    int best_d = 3; /* suggest only close matches (typos) */
    for (int k = 0; valid && valid[k]; k++) {
      int d = edit_distance_(keys[i], valid[k]);
      if (d < best_d) best_d = d, best = valid[k];
    }
    if (best) sp_buf_printf(&b, "Did you mean '%s'? ", best);
    sp_buf_puts(&b, "Valid options: ");
    for (int k = 0; valid && valid[k]; k++) {
      if (k) sp_buf_puts(&b, ", ");
      sp_buf_puts(&b, valid[k]);
    }
    if (!valid || !valid[0]) sp_buf_puts(&b, "(none)");
    int rc = sp_buf_check(&b) ? spate_error_set(err, SPATE_ENOMEM, "out of memory")
                              : spate_error_set(err, SPATE_EINVAL, "%s", b.data);
    sp_buf_free(&b);
    return rc;
  }
  return 0;
}

/* ---- batch lists ---- */

int sp_batch_list_push(sp_batch_list *l, sp_batch *b) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 8;
    sp_batch **items = realloc(l->items, (size_t)cap * sizeof *items);
    if (!items) {
      sp_batch_free(b);
      return SPATE_ENOMEM;
    }
    l->items = items;
    l->cap = cap;
  }
  l->items[l->n++] = b;
  return 0;
}

void sp_batch_list_release(sp_batch_list *l) {
  for (int i = 0; i < l->n; i++) sp_batch_free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

int64_t sp_batch_list_rows(const sp_batch_list *l) {
  int64_t rows = 0;
  for (int i = 0; i < l->n; i++) rows += l->items[i]->nrows;
  return rows;
}

/* ---- create / free ---- */

int sp_source_create(const sp_source_spec *spec, sp_source **out, spate_error *err) {
  *out = NULL;
  const sp_source_vtab *vt = spec->format ? sp_source_lookup(spec->format) : NULL;
  if (!vt)
    return spate_error_set(err, SPATE_ENOTFOUND, "Failed to find data source: %s. Available streaming sources: %s",
                           spec->format ? spec->format : "(none)", sp_source_formats());
  char what[96];
  snprintf(what, sizeof what, "%s source", vt->name);
  int rc = sp_check_options(what, vt->options, spec->noptions, spec->keys, err);
  if (rc) return rc;
  sp_source *s = calloc(1, sizeof *s);
  if (!s) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  s->vt = vt;
  rc = vt->create(spec, s, err);
  if (!rc && (!s->schema || !s->description))
    rc = spate_error_set(err, SPATE_ESTATE, "source %s did not set its schema", vt->name);
  if (rc) {
    sp_source_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void sp_source_free(sp_source *s) {
  if (!s) return;
  if (s->vt && s->vt->close) s->vt->close(s);
  sp_type_unref(s->schema);
  free(s->description);
  free(s);
}

int sp_source_metrics(sp_source *s, const char *end_offset, sp_source_metric *out, int cap) {
  if (!s || !s->vt || !s->vt->metrics || cap <= 0) return 0;
  int n = s->vt->metrics(s, end_offset, out, cap);
  return n < 0 ? 0 : n > cap ? cap : n;
}

/* ---- paths, URIs, JSON strings ---- */

char *sp_path_absolute(const char *path) {
  if (!path) return NULL;
  sp_buf in;
  sp_buf_init(&in);
  if (path[0] != '/') {
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return NULL;
    sp_buf_puts(&in, cwd);
    sp_buf_putc(&in, '/');
    free(cwd);
  }
  sp_buf_puts(&in, path);
  if (sp_buf_check(&in)) {
    sp_buf_free(&in);
    return NULL;
  }
  /* Lexical normalisation in place: out never grows past in. */
  char *s = in.data;
  size_t n = in.len, w = 0;
  char *outp = malloc(n + 2);
  if (!outp) {
    sp_buf_free(&in);
    return NULL;
  }
  size_t i = 0;
  while (i < n) {
    while (i < n && s[i] == '/') i++;
    size_t st = i;
    while (i < n && s[i] != '/') i++;
    size_t len = i - st;
    if (len == 0) break;
    if (len == 1 && s[st] == '.') continue;
    if (len == 2 && s[st] == '.' && s[st + 1] == '.') {
      while (w > 0 && outp[w - 1] != '/') w--;
      if (w > 0) w--; /* drop the '/' too */
      continue;
    }
    outp[w++] = '/';
    memcpy(outp + w, s + st, len);
    w += len;
  }
  if (w == 0) outp[w++] = '/';
  outp[w] = '\0';
  sp_buf_free(&in);
  return outp;
}

static bool uri_escape_(unsigned char c) {
  if (c < 0x20 || c == 0x7f) return true;
  return strchr(" \"#%<>?[\\]^`{|}", c) != NULL && c != '\0';
}

char *sp_path_to_uri(const char *abs_path) {
  sp_buf b;
  sp_buf_init(&b);
  sp_buf_puts(&b, "file://");
  for (const unsigned char *p = (const unsigned char *)abs_path; *p; p++) {
    if (uri_escape_(*p))
      sp_buf_printf(&b, "%%%02X", *p);
    else
      sp_buf_putc(&b, (char)*p);
  }
  if (sp_buf_check(&b)) {
    sp_buf_free(&b);
    return NULL;
  }
  return sp_buf_steal(&b);
}

static int hexval_(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *sp_uri_to_path(const char *uri) {
  const char *p = uri;
  if (strncmp(p, "file://", 7) == 0)
    p += 7; /* "file:///x" -> "/x" (empty authority) */
  else if (strncmp(p, "file:", 5) == 0)
    p += 5;
  size_t n = strlen(p);
  char *out = malloc(n + 1);
  if (!out) return NULL;
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '%' && i + 2 < n && hexval_(p[i + 1]) >= 0 && hexval_(p[i + 2]) >= 0) {
      out[w++] = (char)(hexval_(p[i + 1]) * 16 + hexval_(p[i + 2]));
      i += 2;
    } else {
      out[w++] = p[i];
    }
  }
  out[w] = '\0';
  return out;
}

void sp_json_put_string(sp_buf *b, const char *s) {
  sp_buf_putc(b, '"');
  const char *run = s;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    const char *esc = NULL;
    char tmp[8];
    switch (*p) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default:
        if (*p < 0x20) {
          snprintf(tmp, sizeof tmp, "\\u%04x", *p);
          esc = tmp;
        }
    }
    if (esc) {
      sp_buf_append(b, run, (size_t)((const char *)p - run));
      sp_buf_puts(b, esc);
      run = (const char *)p + 1;
    }
  }
  sp_buf_puts(b, run);
  sp_buf_putc(b, '"');
}
