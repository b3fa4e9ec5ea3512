/*
 * text.c - the text format: one row per line in the STRING column "value" (or the
 * first column), terminator "\n" or "\r\n" stripped; empty lines are rows; a final
 * terminator does not start another row. Other columns of the target batch (e.g.
 * partition columns filled later) receive NULL so the batch stays rectangular.
 */
#include <string.h>

#include "format/format_internal.h"

int sp_text_decode_lines(const char *buf, size_t len, sp_batch *out, sp_decode_stats *stats,
                         spate_error *err) {
  if (!out || !out->schema || out->ncols < 1)
    return spate_error_set(err, SPATE_EINVAL, "text decoding needs a target batch with a STRING column");
  int vc = -1;
  for (int c = 0; c < out->ncols; c++)
    if (strcmp(out->schema->fields[c].name, "value") == 0) vc = c;
  if (vc < 0) vc = 0;
  sp_vec *v = out->cols[vc];
  if (v->type->id != SP_STRING && v->type->id != SP_BINARY)
    return spate_error_set(err, SPATE_EINVAL, "text decoding needs a STRING column, got %s",
                           sp_type_id_name(v->type->id));
  int64_t rows = 0;
  const char *p = buf, *end = buf + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    size_t ll = (size_t)(le - p);
    if (ll && p[ll - 1] == '\r') ll--;
    if (ll > INT32_MAX) return spate_error_set(err, SPATE_EINVAL, "text line longer than 2 GiB");
    sp_vec_append_str(v, p, (int32_t)ll);
    rows++;
    p = nl ? nl + 1 : end;
  }
  for (int c = 0; c < out->ncols; c++) {
    if (c == vc) continue;
    for (int64_t r = 0; r < rows; r++) sp_vec_append_null(out->cols[c]);
  }
  out->nrows = v->length;
  if (stats) {
    stats->records += rows;
    stats->bytes += (int64_t)len;
  }
  if (sp_batch_check(out)) return spate_error_set(err, SPATE_ENOMEM, "out of memory decoding text");
  return 0;
}
