/*
 * file_common.h - helpers shared by the streaming file source (file_source.c) and
 * the static (batch) file tables (static_table.c): reading a whole file into a
 * padded buffer, Hadoop's hidden-file rule, and the format options of json/csv/text
 * (mode, header, sep, ...) turned into sp_format_opts.
 */
#ifndef SPATE_SOURCE_FILE_COMMON_H
#define SPATE_SOURCE_FILE_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "format/format.h"
#include "source/source.h"
#include "spate/error.h"

typedef enum sp_file_fmt { SP_FILE_JSON = 0, SP_FILE_CSV, SP_FILE_TEXT } sp_file_fmt;

/* Format option names (Spark's spelling) per format, for option lists. */
#define SP_JSON_FORMAT_OPTIONS "mode", "columnNameOfCorruptRecord", "timestampFormat", "dateFormat", "multiLine", "timeZone"
/* inferSchema is accepted and ignored: without a user schema the header names are
 * used, all STRING. */
#define SP_CSV_FORMAT_OPTIONS                                                                                  \
  "sep", "delimiter", "header", "quote", "escape", "nullValue", "mode", "columnNameOfCorruptRecord",           \
      "inferSchema", "multiLine", "timestampFormat", "dateFormat", "timeZone"
#define SP_TEXT_FORMAT_OPTIONS "wholetext", "lineSep"

/* Strings the sp_format_opts of a file format point into (owned; NULL = default). */
typedef struct sp_file_format_strings {
  char *corrupt_col, *ts_format, *date_format, *timezone, *null_value;
} sp_file_format_strings;

/* Parse the format options of `spec` for `fmt` into *o (reset to Spark's defaults
 * first) and *strs (which *o points into; release with sp_file_format_strings_release
 * even on failure). timeZone defaults to the conf spark.sql.session.timeZone.
 * Unsupported values (multiLine=true, wholetext=true, lineSep other than \n) are
 * rejected with SPATE_EUNSUPPORTED. */
int sp_file_format_options(const sp_source_spec *spec, sp_file_fmt fmt, sp_format_opts *o,
                           sp_file_format_strings *strs, spate_error *err);
void sp_file_format_strings_release(sp_file_format_strings *strs);

/* Read a whole file into a malloc'd buffer followed by 65 zero bytes (simdjson
 * padding); *len excludes the padding. SPATE_EIO names the path. */
int sp_read_file_padded(const char *path, char **data, size_t *len, spate_error *err);

/* InMemoryFileIndex.shouldFilterOut: names starting with '.' or '_' (unless they
 * contain '='), and "*._COPYING_", are not data files. */
bool sp_file_hidden_name(const char *name);
/* dir + "/" + name (no doubled '/'); malloc'd, NULL on OOM. */
char *sp_path_join(const char *dir, const char *name);

#endif
