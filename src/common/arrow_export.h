/*
 * arrow_export.h - exchange spate vectors and batches through the Arrow C Data
 * Interface (include/spate/arrow_abi.h; Apache Arrow's CDataInterface.rst).
 *
 * Type mapping (Arrow format strings):
 *   NULL "n" (no buffers)        BOOLEAN "b" (bit-packed values)
 *   INT "i"    BIGINT "l"        DOUBLE "g"
 *   STRING "u" (int32 offsets)   BINARY "z" (int32 offsets)
 *   TIMESTAMP "tsu:UTC" (microseconds since the epoch, UTC)
 *   DATE "tdD" (int32 days since the epoch)
 *   STRUCT "+s" (one child per field)
 *   ARRAY "+l" (int32 offsets, one child named "item")
 *
 * Exported structures are deep copies: every buffer is freshly allocated (64-byte
 * aligned, padding zeroed), owned through the struct's private_data and freed by
 * its release callback, so they stay valid after the source vector is freed.
 * Each child has its own release callback (children may be moved out by the
 * consumer, as the spec allows); a parent's release releases the children that
 * are still unreleased. The validity buffer is NULL when null_count == 0;
 * null_count is always exact and offset always 0. Every other buffer pointer is
 * non-NULL, even when it has zero bytes.
 */
#ifndef SPATE_COMMON_ARROW_EXPORT_H
#define SPATE_COMMON_ARROW_EXPORT_H

#include <stdbool.h>

#include "common/vec.h"
#include "spate/arrow_abi.h"
#include "spate/error.h"

/* Export vector `v` as an Arrow array plus its schema.
 * name: field name written to schema->name (NULL -> ""). nullable: sets
 * ARROW_FLAG_NULLABLE on the top-level schema (nested fields take their
 * nullability from the vector's type: sp_field.nullable, elem_nullable).
 * On success both *schema and *array are initialised and owned by the caller, who
 * must call schema->release(schema) and array->release(array).
 * Returns 0, SPATE_ENOMEM (also when `v` carries a sticky allocation failure), or
 * SPATE_EUNSUPPORTED for an unknown type id. On failure nothing is leaked and both
 * outputs are left released (release == NULL). */
int sp_arrow_export_vec(const sp_vec *v, const char *name, bool nullable, struct ArrowSchema *schema,
                        struct ArrowArray *array);

/* Export batch `b` as a struct array ("+s", name "", no flags, no validity
 * buffer) of length b->nrows with one child per column, named and flagged from
 * b->schema's fields. Ownership and failure behaviour as sp_arrow_export_vec.
 * Returns 0, SPATE_ENOMEM, or SPATE_EINVAL when a column's length differs from
 * b->nrows or the schema does not have one field per column. */
int sp_arrow_export_batch(const sp_batch *b, struct ArrowSchema *schema, struct ArrowArray *array);

/* Build a new sp_batch (caller frees with sp_batch_free) from a struct array and
 * its "+s" schema whose children use the formats listed above ("tsu:<any
 * timezone>" and "tsu:" are read as TIMESTAMP). Copies the data: `schema` and
 * `array` are neither released nor modified. Honours `offset` at every level and
 * null_count == -1 (computed). Field names come from the child schemas, field
 * nullability from ARROW_FLAG_NULLABLE.
 * Returns 0; SPATE_EUNSUPPORTED for other formats or dictionary-encoded fields;
 * SPATE_EINVAL for structurally invalid input (wrong n_buffers / n_children,
 * released structs, missing buffers, non-monotonic offsets, children too short,
 * null rows in the top-level struct); SPATE_ENOMEM. `err` (may be NULL) receives
 * a message naming the field. *out is NULL on failure. */
int sp_arrow_import_batch(const struct ArrowSchema *schema, const struct ArrowArray *array, sp_batch **out,
                          spate_error *err);

#endif
