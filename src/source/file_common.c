/*
 * file_common.c - helpers shared by the streaming file source and the static file
 * tables (see file_common.h). Stateless: every function works only on its
 * arguments, so both callers may use them from any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/file_common.h"

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

/* CSVOptions/JSONOptions boolean parameters. */
static int format_bool_opt_(const sp_source_spec *spec, const char *name, bool def, bool *out, spate_error *err) {
  const char *v = sp_source_spec_option(spec, name);
  *out = def;
  if (!v) return 0;
  if (strcasecmp(v, "true") == 0)
    *out = true;
  else if (strcasecmp(v, "false") == 0)
    *out = false;
  else
    return spate_error_set(err, SPATE_EINVAL, "%s flag can be true or false", name);
  return 0;
}

static int char_opt_(const sp_source_spec *spec, const char *name, char def, char *out, spate_error *err) {
  const char *v = sp_source_spec_option(spec, name);
  *out = def;
  if (!v) return 0;
  if (strcmp(v, "\\t") == 0) {
    *out = '\t';
    return 0;
  }
  if (v[0] == '\0' && strcmp(name, "sep") != 0 && strcmp(name, "delimiter") != 0) {
    *out = '\0'; /* quote/escape "" turns the feature off (Spark uses \u0000) */
    return 0;
  }
  if (strlen(v) != 1)
    return spate_error_set(err, SPATE_EUNSUPPORTED, "Option '%s' must be a single character, got '%s'", name, v);
  *out = v[0];
  return 0;
}

static int dup_opt_(const sp_source_spec *spec, const char *name, char **out, spate_error *err) {
  const char *v = sp_source_spec_option(spec, name);
  *out = NULL;
  if (!v) return 0;
  *out = strdup(v);
  return *out ? 0 : oom_(err);
}

void sp_file_format_strings_release(sp_file_format_strings *s) {
  free(s->corrupt_col);
  free(s->ts_format);
  free(s->date_format);
  free(s->timezone);
  free(s->null_value);
  memset(s, 0, sizeof *s);
}

int sp_file_format_options(const sp_source_spec *spec, sp_file_fmt fmt, sp_format_opts *o,
                           sp_file_format_strings *fs, spate_error *err) {
  int rc;
  sp_format_opts_default(o);
  const char *mode = sp_source_spec_option(spec, "mode");
  if (mode) {
    int m = sp_parse_mode_from_string(mode);
    o->mode = m < 0 ? SP_MODE_PERMISSIVE : (sp_parse_mode)m; /* Spark warns and uses PERMISSIVE */
  }
  if ((rc = dup_opt_(spec, "columnNameOfCorruptRecord", &fs->corrupt_col, err))) return rc;
  if ((rc = dup_opt_(spec, "timestampFormat", &fs->ts_format, err))) return rc;
  if ((rc = dup_opt_(spec, "dateFormat", &fs->date_format, err))) return rc;
  if ((rc = dup_opt_(spec, "timeZone", &fs->timezone, err))) return rc;
  if (!fs->timezone) {
    const char *tz = sp_conf_get(spec->conf, "spark.sql.session.timeZone");
    if (tz && !(fs->timezone = strdup(tz))) return oom_(err);
  }
  if (fs->corrupt_col) o->corrupt_record_column = fs->corrupt_col;
  if (fs->ts_format) o->timestamp_format = fs->ts_format;
  if (fs->date_format) o->date_format = fs->date_format;
  if (fs->timezone) o->timezone = fs->timezone;
  if (fmt == SP_FILE_JSON) {
    bool multi;
    if ((rc = format_bool_opt_(spec, "multiLine", false, &multi, err))) return rc;
    if (multi)
      return spate_error_set(err, SPATE_EUNSUPPORTED,
                             "multiLine=true is not supported by spate's json source yet (one JSON object per line)");
  } else if (fmt == SP_FILE_CSV) {
    char sep;
    if ((rc = char_opt_(spec, "delimiter", ',', &sep, err))) return rc;
    if (sp_source_spec_option(spec, "sep") && (rc = char_opt_(spec, "sep", ',', &sep, err))) return rc;
    o->sep = sep;
    if ((rc = char_opt_(spec, "quote", '"', &o->quote, err))) return rc;
    if ((rc = char_opt_(spec, "escape", '\\', &o->escape, err))) return rc;
    if ((rc = format_bool_opt_(spec, "header", false, &o->header, err))) return rc;
    if ((rc = format_bool_opt_(spec, "multiLine", false, &o->multi_line, err))) return rc;
    bool ignored;
    if ((rc = format_bool_opt_(spec, "inferSchema", false, &ignored, err))) return rc;
    if ((rc = dup_opt_(spec, "nullValue", &fs->null_value, err))) return rc;
    if (fs->null_value) o->null_value = fs->null_value;
  } else {
    bool whole;
    if ((rc = format_bool_opt_(spec, "wholetext", false, &whole, err))) return rc;
    if (whole) return spate_error_set(err, SPATE_EUNSUPPORTED, "wholetext=true is not supported by spate's text source");
    const char *sep = sp_source_spec_option(spec, "lineSep");
    if (sep && strcmp(sep, "\n") != 0 && strcmp(sep, "\\n") != 0)
      return spate_error_set(err, SPATE_EUNSUPPORTED, "lineSep other than \\n is not supported by spate's text source");
  }
  return 0;
}

int sp_read_file_padded(const char *path, char **data, size_t *len, spate_error *err) {
  *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return spate_error_set(err, SPATE_EIO, "cannot read %s: %s", path, strerror(errno));
  struct stat st;
  size_t cap = (fstat(fd, &st) == 0 && st.st_size > 0) ? (size_t)st.st_size : 4096;
  char *buf = malloc(cap + 65);
  if (!buf) {
    close(fd);
    return oom_(err);
  }
  size_t n = 0;
  for (;;) {
    if (n == cap) {
      size_t ncap = cap * 2;
      char *nb = realloc(buf, ncap + 65);
      if (!nb) {
        free(buf);
        close(fd);
        return oom_(err);
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      close(fd);
      return spate_error_set(err, SPATE_EIO, "cannot read %s: %s", path, strerror(e));
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  memset(buf + n, 0, 65);
  *data = buf;
  *len = n;
  return 0;
}

bool sp_file_hidden_name(const char *name) {
  size_t n = strlen(name);
  if (name[0] == '.') return true;
  if (name[0] == '_' && !strchr(name, '=')) return true;
  if (n >= 10 && strcmp(name + n - 10, "._COPYING_") == 0) return true;
  return false;
}

char *sp_path_join(const char *dir, const char *name) {
  size_t dl = strlen(dir), nl = strlen(name);
  char *p = malloc(dl + nl + 2);
  if (!p) return NULL;
  memcpy(p, dir, dl);
  size_t w = dl;
  if (w == 0 || p[w - 1] != '/') p[w++] = '/';
  memcpy(p + w, name, nl + 1);
  return p;
}
