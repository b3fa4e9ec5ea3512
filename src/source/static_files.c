/*
 * static_files.c - static tables over files: `json`, `csv`, `text` (static_table.h).
 *
 * path is a file, a directory (its non-hidden regular files, not sub-directories)
 * or a glob (matching files, and the top-level files of matching directories).
 * Every read lists the path again and decodes every file, in path order, into one
 * batch with the format decoders (src/format), so a read is a snapshot of the
 * files present at that moment. The schema is fixed at create: the user's (all
 * fields nullable), or inferred from the files present then (json: every file;
 * csv: the first file's header names, all STRING; text: `value STRING`).
 *
 * Invariants: the impl holds only options (no open files); fopts points into fstrs.
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "source/file_common.h"
#include "source/static_internal.h"

typedef struct files_impl {
  sp_file_fmt fmt;
  char *path_opt; /* as given */
  char *base;     /* absolute, normalised (may contain glob characters) */
  bool glob;
  sp_format_opts fopts;
  sp_file_format_strings fstrs;
} files_impl;

typedef struct path_list {
  char **v;
  int n, cap;
} path_list;

static int oom_(spate_error *err) { return spate_error_set(err, SPATE_ENOMEM, "out of memory"); }

static void path_list_release_(path_list *l) {
  for (int i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* Takes ownership of p. */
static int path_list_push_(path_list *l, char *p) {
  if (!p) return SPATE_ENOMEM;
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    char **v = realloc(l->v, (size_t)cap * sizeof *v);
    if (!v) {
      free(p);
      return SPATE_ENOMEM;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = p;
  return 0;
}

static int cmp_str_(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_dir_files_(const char *dir, path_list *out, spate_error *err) {
  DIR *d = opendir(dir);
  if (!d) return spate_error_set(err, SPATE_EIO, "cannot list %s: %s", dir, strerror(errno));
  int rc = 0;
  struct dirent *de;
  while (!rc && (de = readdir(d)) != NULL) {
    if (sp_file_hidden_name(de->d_name)) continue;
    char *p = sp_path_join(dir, de->d_name);
    if (!p) {
      rc = oom_(err);
      break;
    }
    struct stat st;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
      if (path_list_push_(out, p)) rc = oom_(err);
    } else {
      free(p);
    }
  }
  closedir(d);
  return rc;
}

/* The files under the table's path now, sorted by path. */
static int list_files_(const files_impl *fi, path_list *out, spate_error *err) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  if (fi->glob) {
    glob_t g;
    memset(&g, 0, sizeof g);
    int gr = glob(fi->base, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
    if (gr != 0 && gr != GLOB_NOMATCH) {
      globfree(&g);
      return spate_error_set(err, SPATE_EIO, "cannot expand glob %s", fi->base);
    }
    for (size_t i = 0; !rc && gr == 0 && i < g.gl_pathc; i++) {
      const char *m = g.gl_pathv[i];
      const char *name = strrchr(m, '/');
      if (sp_file_hidden_name(name ? name + 1 : m)) continue;
      struct stat st;
      if (stat(m, &st) != 0) continue;
      if (S_ISREG(st.st_mode)) {
        if (path_list_push_(out, strdup(m))) rc = oom_(err);
      } else if (S_ISDIR(st.st_mode)) {
        rc = list_dir_files_(m, out, err);
      }
    }
    globfree(&g);
  } else {
    struct stat st;
    if (stat(fi->base, &st) != 0) {
      rc = spate_error_set(err, SPATE_ENOTFOUND, "Path does not exist: file:%s", fi->base);
    } else if (S_ISDIR(st.st_mode)) {
      rc = list_dir_files_(fi->base, out, err);
    } else if (path_list_push_(out, strdup(fi->base))) {
      rc = oom_(err);
    }
  }
  if (rc) {
    path_list_release_(out);
    return rc;
  }
  if (out->n > 1) qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_str_);
  return 0;
}

static const char *fmt_upper_(sp_file_fmt f) { return f == SP_FILE_JSON ? "JSON" : f == SP_FILE_CSV ? "CSV" : "Text"; }

static void files_free_(void *impl) {
  files_impl *fi = impl;
  free(fi->path_opt);
  free(fi->base);
  sp_file_format_strings_release(&fi->fstrs);
  free(fi);
}

/* Copy of a STRUCT with every field nullable. */
static sp_type *nullable_copy_(const sp_type *st) {
  sp_type *out = sp_type_struct_new(st->nfields);
  if (!out) return NULL;
  for (int i = 0; i < st->nfields; i++) {
    if (sp_type_struct_set(out, i, st->fields[i].name, sp_type_ref(st->fields[i].type), true)) {
      sp_type_unref(out);
      return NULL;
    }
  }
  return out;
}

static int infer_(files_impl *fi, sp_type **out, spate_error *err) {
  path_list files;
  int rc = list_files_(fi, &files, err);
  if (rc) return rc;
  sp_type *schema = NULL;
  int upto = fi->fmt == SP_FILE_CSV ? (files.n ? 1 : 0) : files.n;
  for (int i = 0; i < upto && !rc; i++) {
    char *data;
    size_t len;
    rc = sp_read_file_padded(files.v[i], &data, &len, err);
    if (rc) break;
    if (fi->fmt == SP_FILE_JSON)
      rc = sp_json_infer_schema(data, len, files.v[i], &schema, err);
    else
      rc = sp_csv_infer_schema(data, len, &fi->fopts, &schema, err);
    free(data);
  }
  path_list_release_(&files);
  if (!rc && (!schema || schema->nfields == 0))
    rc = spate_error_set(err, SPATE_EANALYSIS, "Unable to infer schema for %s. It must be specified manually.",
                         fmt_upper_(fi->fmt));
  if (rc) {
    sp_type_unref(schema);
    return rc;
  }
  *out = nullable_copy_(schema);
  sp_type_unref(schema);
  return *out ? 0 : oom_(err);
}

static int files_create_(const sp_source_spec *spec, sp_static_table *t, sp_file_fmt fmt, spate_error *err) {
  files_impl *fi = calloc(1, sizeof *fi);
  if (!fi) return oom_(err);
  t->impl = fi;
  fi->fmt = fmt;
  const char *path = sp_source_spec_option(spec, "path");
  if (!path || !*path) return spate_error_set(err, SPATE_EINVAL, "'path' is not specified");
  if (!(fi->path_opt = strdup(path)) || !(fi->base = sp_path_absolute(path))) return oom_(err);
  fi->glob = strpbrk(fi->base, "*?[{") != NULL;
  struct stat st;
  if (!fi->glob && stat(fi->base, &st) != 0)
    return spate_error_set(err, SPATE_ENOTFOUND, "Path does not exist: file:%s", fi->base);
  int rc = sp_file_format_options(spec, fmt, &fi->fopts, &fi->fstrs, err);
  if (rc) return rc;
  if (spec->user_schema) {
    if (!(t->schema = nullable_copy_(spec->user_schema))) return oom_(err);
  } else if (fmt == SP_FILE_TEXT) {
    const char *name = "value";
    sp_type_id id = SP_STRING;
    if (!(t->schema = sp_static_schema_new(1, &name, &id))) return oom_(err);
  } else if ((rc = infer_(fi, &t->schema, err))) {
    return rc;
  }
  if (fmt == SP_FILE_TEXT && (t->schema->nfields != 1 || t->schema->fields[0].type->id != SP_STRING)) {
    if (t->schema->nfields != 1)
      return spate_error_set(err, SPATE_EANALYSIS,
                             "Text data source supports only a single column, and you have %d columns.",
                             t->schema->nfields);
    return spate_error_set(err, SPATE_EANALYSIS, "Text data source does not support %s data type.",
                           sp_type_id_name(t->schema->fields[0].type->id));
  }
  if (fmt != SP_FILE_TEXT) {
    const char *cc = fi->fstrs.corrupt_col ? fi->fstrs.corrupt_col : "_corrupt_record";
    int cidx = sp_type_field_index(t->schema, cc);
    if (cidx >= 0 && t->schema->fields[cidx].type->id != SP_STRING)
      return spate_error_set(err, SPATE_EANALYSIS, "The field for corrupt records must be string type and nullable");
  }
  size_t dl = strlen(fi->base) + 16;
  if (!(t->description = malloc(dl))) return oom_(err);
  snprintf(t->description, dl, "%s[%s]", fmt_upper_(fmt), fi->base);
  return 0;
}

static int files_read_(sp_static_table *t, sp_batch **out, spate_error *err) {
  files_impl *fi = t->impl;
  path_list files;
  int rc = list_files_(fi, &files, err);
  if (rc) return rc;
  sp_batch *b = sp_batch_new(t->schema, 0);
  if (!b) rc = oom_(err);
  for (int i = 0; !rc && i < files.n; i++) {
    char *data;
    size_t len;
    rc = sp_read_file_padded(files.v[i], &data, &len, err);
    if (rc) break;
    sp_decode_stats st = {0, 0, 0};
    switch (fi->fmt) {
      case SP_FILE_JSON: rc = sp_json_decode_lines(data, len, &fi->fopts, files.v[i], 1, b, &st, err); break;
      case SP_FILE_CSV: rc = sp_csv_decode_lines(data, len, &fi->fopts, files.v[i], 1, b, &st, err); break;
      case SP_FILE_TEXT: rc = sp_text_decode_lines(data, len, b, &st, err); break;
    }
    free(data);
  }
  path_list_release_(&files);
  if (!rc && (rc = sp_batch_finish(b)) == SPATE_ENOMEM) oom_(err);
  if (rc) {
    sp_batch_free(b);
    return rc;
  }
  *out = b;
  return 0;
}

static int json_create_(const sp_source_spec *spec, sp_static_table *t, spate_error *err) {
  return files_create_(spec, t, SP_FILE_JSON, err);
}
static int csv_create_(const sp_source_spec *spec, sp_static_table *t, spate_error *err) {
  return files_create_(spec, t, SP_FILE_CSV, err);
}
static int text_create_(const sp_source_spec *spec, sp_static_table *t, spate_error *err) {
  return files_create_(spec, t, SP_FILE_TEXT, err);
}

static const char *const json_options_[] = {"path", SP_JSON_FORMAT_OPTIONS, NULL};
static const char *const csv_options_[] = {"path", SP_CSV_FORMAT_OPTIONS, NULL};
static const char *const text_options_[] = {"path", SP_TEXT_FORMAT_OPTIONS, NULL};

const sp_static_backend sp_static_json_backend = {"json", json_options_, json_create_, files_read_, files_free_};
const sp_static_backend sp_static_csv_backend = {"csv", csv_options_, csv_create_, files_read_, files_free_};
const sp_static_backend sp_static_text_backend = {"text", text_options_, text_create_, files_read_, files_free_};
