/*
 * types.h - spate's logical data types (Spark SQL's type system, subset).
 *
 * A sp_type is immutable once built and shared by reference count; primitive
 * types are immortal singletons returned by sp_type_prim(). Struct and array
 * types are built with sp_type_struct_new()/sp_type_array_new() and released with
 * sp_type_unref(). Reference counting is atomic, so a type may be shared across
 * threads; nothing else about a type ever changes.
 *
 * Physical representation of each type in a vector (src/common/vec.h), which
 * follows the Arrow columnar layout:
 *   BOOLEAN    uint8_t per row (0/1)  -- exported to Arrow bit-packed
 *   INT, DATE  int32_t  (DATE = days since 1970-01-01)
 *   BIGINT     int64_t
 *   TIMESTAMP  int64_t  microseconds since 1970-01-01T00:00:00Z (UTC)
 *   DOUBLE     double
 *   STRING, BINARY  int32_t offsets[length+1] + bytes
 *   STRUCT     one child vector per field
 *   ARRAY      int32_t offsets[length+1] + one child vector of elements
 *   NULL       no buffers (every row null)
 */
#ifndef SPATE_COMMON_TYPES_H
#define SPATE_COMMON_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sp_type_id {
  SP_NULL = 0,
  SP_BOOLEAN,
  SP_INT,
  SP_BIGINT,
  SP_DOUBLE,
  SP_STRING,
  SP_BINARY,
  SP_TIMESTAMP,
  SP_DATE,
  SP_STRUCT,
  SP_ARRAY,
  SP_TYPE_ID_COUNT
} sp_type_id;

typedef struct sp_type sp_type;

typedef struct sp_field {
  char *name;     /* owned, NUL-terminated */
  sp_type *type;  /* owned reference */
  bool nullable;
} sp_field;

struct sp_type {
  sp_type_id id;
  int refcount;      /* atomic; < 0 means immortal (primitive singleton) */
  int nfields;       /* STRUCT: number of fields */
  sp_field *fields;  /* STRUCT: owned array of nfields */
  sp_type *elem;     /* ARRAY: element type (owned reference) */
  bool elem_nullable;/* ARRAY: containsNull */
};

/* Immortal singleton for a primitive id (SP_NULL .. SP_DATE). */
sp_type *sp_type_prim(sp_type_id id);
/* New reference (no-op for primitives). Returns t. NULL-safe. */
sp_type *sp_type_ref(sp_type *t);
/* Drop a reference; frees at zero. NULL-safe. */
void sp_type_unref(sp_type *t);

/* New STRUCT type with room for n fields, all unset; fill with sp_type_struct_set.
 * Returns NULL on OOM. Caller owns the returned reference. */
sp_type *sp_type_struct_new(int n);
/* Set field i: copies name, takes ownership of `type` (a reference). Returns 0 or SPATE_ENOMEM. */
int sp_type_struct_set(sp_type *st, int i, const char *name, sp_type *type, bool nullable);
/* New ARRAY type; takes ownership of `elem`. NULL on OOM. */
sp_type *sp_type_array_new(sp_type *elem, bool contains_null);

/* Field index by name (case-insensitive, as Spark's default resolver), or -1. */
int sp_type_field_index(const sp_type *st, const char *name);
bool sp_type_is_numeric(const sp_type *t);
bool sp_type_is_primitive(const sp_type *t);
/* Deep structural equality (names compared case-sensitively, nullability ignored). */
bool sp_type_equal(const sp_type *a, const sp_type *b);

/* Spark's simpleString for the type: "int", "bigint", "struct<a:int,b:string>",
 * "array<double>". Writes at most cap bytes (NUL-terminated); returns needed length. */
size_t sp_type_to_string(const sp_type *t, char *buf, size_t cap);
/* Spark's catalogString style for DDL: "a INT, b STRUCT<c: STRING>" for a struct's fields. */
size_t sp_type_to_ddl(const sp_type *st, char *buf, size_t cap);
/* Name of a primitive id as Spark prints it ("int", "timestamp"). */
const char *sp_type_id_name(sp_type_id id);

/* Fixed byte width of the value buffer element for id (0 for variable/nested). */
int sp_type_width(sp_type_id id);

#endif
