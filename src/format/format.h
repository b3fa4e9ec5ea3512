/*
 * format.h - data formats: decoding bytes into columnar batches and encoding
 * batches into bytes. Formats are independent of transports: the file source, the
 * Kafka source (from_json) and the file sink all use these.
 *
 * Decoders append rows to a caller-provided sp_batch whose schema is the target
 * schema; fields absent from a record are NULL, extra fields are ignored, values
 * of the wrong type are NULL (PERMISSIVE), drop the record (DROPMALFORMED) or fail
 * (FAILFAST) with a message naming the source, its line number and byte offset.
 * In PERMISSIVE mode, if the schema has a STRING field named by
 * `corrupt_record_column` ("_corrupt_record" by default, Spark's
 * columnNameOfCorruptRecord), the raw text of a malformed record is stored there.
 *
 * Thread-safety: all functions are reentrant; the parser state lives in the call.
 */
#ifndef SPATE_FORMAT_FORMAT_H
#define SPATE_FORMAT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/vec.h"
#include "spate/error.h"

typedef enum sp_parse_mode { SP_MODE_PERMISSIVE = 0, SP_MODE_DROPMALFORMED, SP_MODE_FAILFAST } sp_parse_mode;

typedef struct sp_format_opts {
  sp_parse_mode mode;
  const char *corrupt_record_column; /* NULL -> "_corrupt_record" */
  const char *timezone;              /* NULL -> "UTC" */
  const char *timestamp_format;      /* NULL -> Spark default (ISO-8601 lenient) */
  const char *date_format;           /* NULL -> "yyyy-MM-dd" */
  /* CSV */
  char sep;                          /* ',' */
  char quote;                        /* '"' */
  char escape;                       /* '\\' */
  bool header;                       /* first line of each file is a header */
  bool multi_line;                   /* multiLine: quoted values may hold line breaks (false:
                                      * every line is a record of its own, as Spark) */
  const char *null_value;            /* "" -> NULL for CSV (Spark's nullValue default "") */
  /* Column pruning (readers): prune[i] true = top-level field i of the target schema
   * is not read by the query; the decoder fills it with nulls without parsing it.
   * NULL = decode every field. Borrowed. (JSON decoder.) */
  const bool *prune;
  /* JSON writer */
  bool ignore_null_fields;           /* Spark's ignoreNullFields: true */
} sp_format_opts;

/* Spark defaults for every field. */
void sp_format_opts_default(sp_format_opts *o);
/* Parse "PERMISSIVE"/"DROPMALFORMED"/"FAILFAST" (case-insensitive); -1 if invalid. */
int sp_parse_mode_from_string(const char *s);

/* Counters a decoder updates (all may be accumulated across calls). */
typedef struct sp_decode_stats {
  int64_t records;      /* records seen (lines / documents) */
  int64_t malformed;    /* malformed records (kept as corrupt, dropped, or the failing one) */
  int64_t bytes;
} sp_decode_stats;

/* ---- JSON (newline-delimited, one object per line; simdjson on the hot path) ---- */

/* Decode every line of buf[0..len) (a whole file or chunk ending at a line
 * boundary; a missing final newline is fine; blank lines are skipped) into `out`.
 * `source_name` (e.g. the file path) and `first_line` (1-based line number of
 * buf's first line) are used in error messages. */
int sp_json_decode_lines(const char *buf, size_t len, const sp_format_opts *opts, const char *source_name,
                         int64_t first_line, sp_batch *out, sp_decode_stats *stats, spate_error *err);

/* Decode one JSON document per row of a STRING/BINARY vector (from_json): result
 * is a vector of type `type` (STRUCT, ARRAY) in *out; a NULL input row gives NULL;
 * malformed rows follow opts->mode (PERMISSIVE: NULL row). */
int sp_json_decode_vec(const sp_vec *in, sp_type *type, const sp_format_opts *opts, sp_vec **out,
                       spate_error *err);

/* Schema inference as Spark's JSON inference (spark.sql.streaming.schemaInference):
 * fields sorted by name; integers -> BIGINT, non-integers -> DOUBLE, BIGINT+DOUBLE
 * -> DOUBLE, strings -> STRING, booleans -> BOOLEAN, objects -> STRUCT, arrays ->
 * ARRAY of the merged element type, nulls -> STRING when nothing else is seen,
 * conflicting types -> STRING. Every field nullable. `*schema` may be NULL or a
 * previously inferred STRUCT to merge with (its reference is consumed and a new one
 * returned). */
int sp_json_infer_schema(const char *buf, size_t len, const char *source_name, sp_type **schema,
                         spate_error *err);

/* Encode every row of `b` as one JSON object per line (Spark's JSON writer: field
 * order of the schema, NULL fields omitted when ignore_null_fields, doubles like
 * Java's Double.toString, timestamps "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" in the time
 * zone (UTC "Z"), dates "yyyy-MM-dd", binary base64, nested structs/arrays). */
int sp_json_encode_batch(const sp_batch *b, const sp_format_opts *opts, sp_buf *out);
/* to_json: encode each row of a STRUCT/ARRAY vector into a STRING vector. */
int sp_json_encode_vec(const sp_vec *in, const sp_format_opts *opts, sp_vec **out, spate_error *err);

/* ---- CSV (RFC 4180 with Spark's options) ---- */

/* Decode lines into `out` (columns by position; header line skipped when
 * opts->header). Too few fields -> trailing NULLs; too many -> extra ignored
 * (PERMISSIVE, as Spark) or malformed in the other modes. Values parsed by the
 * target column type (NULL if unparsable, PERMISSIVE). */
int sp_csv_decode_lines(const char *buf, size_t len, const sp_format_opts *opts, const char *source_name,
                        int64_t first_line, sp_batch *out, sp_decode_stats *stats, spate_error *err);
/* Header line of buf (when opts->header) as field names, all STRING typed; used for
 * inference (spark infers all-string unless inferSchema). New STRUCT reference. */
int sp_csv_infer_schema(const char *buf, size_t len, const sp_format_opts *opts, sp_type **schema,
                        spate_error *err);
/* Encode rows as CSV lines (header line first when opts->header and `with_header`). */
int sp_csv_encode_batch(const sp_batch *b, const sp_format_opts *opts, bool with_header, sp_buf *out);
/* from_csv: decode the first CSV record of each row of a STRING/BINARY vector into a
 * STRUCT vector of `type` (flat). NULL input gives NULL; an empty string, a wrong
 * field count (when not PERMISSIVE or with a corrupt-record column) or an unparsable
 * value is malformed: PERMISSIVE keeps the partial row (all NULL for an empty string)
 * with the text in the corrupt-record column, FAILFAST fails with SPATE_EMALFORMED
 * naming the row; DROPMALFORMED is rejected (SPATE_EINVAL). */
int sp_csv_decode_vec(const sp_vec *in, sp_type *type, const sp_format_opts *opts, sp_vec **out,
                      spate_error *err);
/* to_csv: each row of a flat STRUCT vector as one CSV record without a line
 * terminator (the writer's quoting, trimming and nullValue rules); NULL row -> NULL. */
int sp_csv_encode_vec(const sp_vec *in, const sp_format_opts *opts, sp_vec **out, spate_error *err);

/* ---- text ---- */

/* One row per line into a single STRING column `value` (line terminator \n or \r\n
 * stripped). */
int sp_text_decode_lines(const char *buf, size_t len, sp_batch *out, sp_decode_stats *stats,
                         spate_error *err);

/* ---- Notes (format module) ----
 * Semantics as implemented (Spark 3.4+ defaults): a JSON value of the wrong type makes
 * only that field NULL and the record malformed (partial row kept in PERMISSIVE, with
 * the line in the corrupt-record column); a non-string JSON value read into a STRING
 * field keeps its exact JSON text (spark.sql.json.enableExactStringParsing). from_json
 * in PERMISSIVE returns, for a malformed document, a STRUCT whose fields are all NULL
 * (Spark 3.0+: Row(null, ...)), not a NULL struct; an ARRAY schema gives NULL. Blank
 * or NULL input gives NULL. from_json rejects DROPMALFORMED (SPATE_EINVAL), as Spark.
 * Helpers shared by the decoders live in format/format_internal.h. */

#endif
