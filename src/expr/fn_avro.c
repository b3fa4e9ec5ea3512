/*
 * fn_avro.c - the SQL functions to_avro(x [, jsonFormatSchema]) and
 * from_avro(binary, jsonFormatSchema [, options]) (spark-avro's CatalystDataToAvro /
 * AvroDataToCatalyst), with spark-avro's type mapping:
 *
 *   BOOLEAN <-> boolean      INT <-> int          BIGINT <-> long     DOUBLE <-> double (float read as DOUBLE)
 *   STRING  <-> string/enum  BINARY <-> bytes/fixed
 *   DATE    <-> int (logicalType date)            TIMESTAMP <-> long (timestamp-micros; -millis scaled)
 *   STRUCT  <-> record (fields matched by name)   ARRAY <-> array
 *   nullable <-> union of the type and "null" (Spark writes ["type", "null"])
 *
 * The value is the raw Avro binary encoding of one datum: no container file header,
 * no schema-registry prefix (as Spark's to_avro / from_avro).
 *
 * Binding (bind.c's bind_json_) hands over the constant parts of a call. Here
 * sp_avro_fn_prepare() parses the JSON schema once with libavro (avro-c: syntax,
 * names, named-type references) and reads the logicalType annotations libavro does
 * not keep from the same text with jansson; it compiles both into an av_node tree
 * that the kernels walk for every row. Without a schema, to_avro derives one from
 * the SQL type exactly as Spark's SchemaConverters.toAvroType (top record
 * "topLevelRecord", nested records named after their field in the namespace of their
 * parents, nullable types as [type, "null"]) and compiles it through the same path.
 *
 * Invariants:
 *   - fn_data (sp_avro_fn_data) is immutable after binding: kernels only read the
 *     av_node tree, so one bound call may run on many threads.
 *   - from_avro's result type is SchemaConverters.toSqlType(schema): a record field
 *     is nullable iff its Avro type is a union with "null"; the call itself is
 *     nullable (NULL input -> NULL row).
 *   - A from_avro row is validated completely before anything is appended to the
 *     result, so a malformed datum never leaves a partial row behind: PERMISSIVE
 *     gives a NULL row, FAILFAST (Spark's default for from_avro) fails the
 *     evaluation with SPATE_EMALFORMED naming the row. Trailing bytes after a
 *     complete datum are ignored, as Avro's Java decoder does.
 *   - to_avro of a NULL input is NULL; a NULL value where the Avro schema has no
 *     "null" branch fails the evaluation (Spark: "Cannot write null ...").
 */
#include <avro.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "expr/expr_internal.h"

typedef enum av_kind {
  AV_NULL, AV_BOOLEAN, AV_INT, AV_LONG, AV_FLOAT, AV_DOUBLE, AV_STRING, AV_BYTES,
  AV_ENUM, AV_FIXED, AV_RECORD, AV_ARRAY
} av_kind;

typedef enum av_logical { AVL_NONE, AVL_DATE, AVL_TS_MICROS, AVL_TS_MILLIS } av_logical;

typedef struct av_node av_node;
struct av_node {
  av_kind kind;
  av_logical logical;
  int null_branch;  /* union index of "null", or -1 when the type is not a nullable union */
  int value_branch; /* union index of the value type (when null_branch >= 0 or a 1-branch union) */
  bool is_union;
  char *name;       /* record field name (children of a record) */
  int nchildren;    /* RECORD: fields; ARRAY: 1 (items) */
  av_node *children;
  int *sql_field;   /* to_avro, RECORD: SQL struct field index of each Avro field, -1 = none (write null) */
  int nsymbols;     /* ENUM */
  char **symbols;
  int64_t fixed_size; /* FIXED */
};

typedef struct sp_avro_fn_data {
  sp_fn_data base;
  av_node root;
  bool failfast;
  char *schema_json; /* the schema in effect (given or derived), for messages and tests */
} sp_avro_fn_data;

/* ------------------------------------------------------------------ plan */

static void node_free_(av_node *n) {
  for (int i = 0; i < n->nchildren; i++) node_free_(&n->children[i]);
  free(n->children);
  free(n->sql_field);
  for (int i = 0; i < n->nsymbols; i++) free(n->symbols[i]);
  free(n->symbols);
  free(n->name);
}

static void avro_data_destroy_(sp_fn_data *base) {
  sp_avro_fn_data *d = (sp_avro_fn_data *)base;
  node_free_(&d->root);
  free(d->schema_json);
  free(d);
}

typedef struct compiler {
  avro_schema_t stack[64]; /* records being compiled (recursion check) */
  int depth;
  avro_schema_t named[256]; /* named types seen, with their JSON definitions */
  json_t *named_json[256];
  int nnamed;
  char *msg;
  size_t cap;
} compiler;

static int cerr_(compiler *c, const char *fmt, const char *a) {
  snprintf(c->msg, c->cap, fmt, a);
  return SPATE_EANALYSIS;
}

static av_logical logical_of_(json_t *j) {
  const char *lt = json_is_object(j) ? json_string_value(json_object_get(j, "logicalType")) : NULL;
  if (!lt) return AVL_NONE;
  if (!strcmp(lt, "date")) return AVL_DATE;
  if (!strcmp(lt, "timestamp-micros") || !strcmp(lt, "local-timestamp-micros")) return AVL_TS_MICROS;
  if (!strcmp(lt, "timestamp-millis") || !strcmp(lt, "local-timestamp-millis")) return AVL_TS_MILLIS;
  return AVL_NONE;
}

/* Compile schema s (whose JSON definition is j, or NULL when unknown) into n. */
static int compile_(compiler *c, avro_schema_t s, json_t *j, av_node *n) {
  if (is_avro_link(s)) {
    avro_schema_t t = avro_schema_link_target(s);
    for (int i = 0; i < c->depth; i++)
      if (c->stack[i] == t)
        return cerr_(c, "[AVRO_INCOMPATIBLE_READ_TYPE] Found recursive reference in Avro schema (type %s), which can "
                        "not be processed by Spark.",
                     avro_schema_type_name(t));
    json_t *tj = NULL;
    for (int i = 0; i < c->nnamed; i++)
      if (c->named[i] == t) tj = c->named_json[i];
    return compile_(c, t, tj, n);
  }
  /* A JSON string naming a type carries no annotations; objects do. */
  json_t *obj = json_is_object(j) ? j : NULL;
  switch (avro_typeof(s)) {
    case AVRO_NULL: n->kind = AV_NULL; return 0;
    case AVRO_BOOLEAN: n->kind = AV_BOOLEAN; return 0;
    case AVRO_INT32:
      n->kind = AV_INT;
      if (logical_of_(obj) == AVL_DATE) n->logical = AVL_DATE;
      return 0;
    case AVRO_INT64: {
      n->kind = AV_LONG;
      av_logical l = logical_of_(obj);
      if (l == AVL_TS_MICROS || l == AVL_TS_MILLIS) n->logical = l;
      return 0;
    }
    case AVRO_FLOAT: n->kind = AV_FLOAT; return 0;
    case AVRO_DOUBLE: n->kind = AV_DOUBLE; return 0;
    case AVRO_STRING: n->kind = AV_STRING; return 0;
    case AVRO_BYTES: n->kind = AV_BYTES; return 0;
    case AVRO_FIXED:
      n->kind = AV_FIXED;
      n->fixed_size = avro_schema_fixed_size(s);
      break;
    case AVRO_ENUM: {
      n->kind = AV_ENUM;
      int k = avro_schema_enum_number_of_symbols(s);
      n->symbols = calloc((size_t)(k > 0 ? k : 1), sizeof *n->symbols);
      if (!n->symbols) return SPATE_ENOMEM;
      for (int i = 0; i < k; i++) {
        if (!(n->symbols[i] = strdup(avro_schema_enum_get(s, i)))) return SPATE_ENOMEM;
        n->nsymbols = i + 1;
      }
      break;
    }
    case AVRO_ARRAY: {
      n->kind = AV_ARRAY;
      if (!(n->children = calloc(1, sizeof *n->children))) return SPATE_ENOMEM;
      n->nchildren = 1;
      int rc = compile_(c, avro_schema_array_items(s), obj ? json_object_get(obj, "items") : NULL, &n->children[0]);
      if (rc) return rc;
      break;
    }
    case AVRO_RECORD: {
      n->kind = AV_RECORD;
      if (c->depth >= (int)(sizeof c->stack / sizeof c->stack[0]))
        return cerr_(c, "[INVALID_SCHEMA] Avro schema nested too deeply (at %s).", avro_schema_type_name(s));
      if (c->nnamed < (int)(sizeof c->named / sizeof c->named[0])) {
        c->named[c->nnamed] = s;
        c->named_json[c->nnamed++] = obj;
      }
      c->stack[c->depth++] = s;
      size_t k = avro_schema_record_size(s);
      json_t *jf = obj ? json_object_get(obj, "fields") : NULL;
      n->children = calloc(k ? k : 1, sizeof *n->children);
      if (!n->children) return SPATE_ENOMEM;
      for (size_t i = 0; i < k; i++) {
        av_node *f = &n->children[i];
        n->nchildren = (int)i + 1;
        if (!(f->name = strdup(avro_schema_record_field_name(s, (int)i)))) return SPATE_ENOMEM;
        json_t *fj = json_is_array(jf) ? json_object_get(json_array_get(jf, i), "type") : NULL;
        int rc = compile_(c, avro_schema_record_field_get_by_index(s, (int)i), fj, f);
        if (rc) return rc;
      }
      c->depth--;
      return 0;
    }
    case AVRO_UNION: {
      size_t k = avro_schema_union_size(s);
      int nulls = -1, value = -1, nvalues = 0;
      for (size_t i = 0; i < k; i++) {
        if (is_avro_null(avro_schema_union_branch(s, (int)i)))
          nulls = (int)i;
        else {
          value = (int)i;
          nvalues++;
        }
      }
      if (nvalues != 1)
        return cerr_(c, "[AVRO_INCOMPATIBLE_READ_TYPE] Unsupported Avro union %s: only a single type, optionally "
                        "with \"null\", is supported.",
                     nvalues ? "of several non-null types" : "without a non-null type");
      json_t *bj = json_is_array(j) ? json_array_get(j, (size_t)value) : NULL;
      int rc = compile_(c, avro_schema_union_branch(s, value), bj, n);
      if (rc) return rc;
      if (n->is_union) return cerr_(c, "[INVALID_SCHEMA] Avro unions may not immediately contain other unions%s.", "");
      n->is_union = true;
      n->null_branch = nulls;
      n->value_branch = value;
      return 0;
    }
    case AVRO_MAP:
      return cerr_(c, "[AVRO_INCOMPATIBLE_READ_TYPE] Avro type %s is not supported (spate has no MAP type).", "map");
    default: return cerr_(c, "[AVRO_INCOMPATIBLE_READ_TYPE] Unsupported Avro type %s.", avro_schema_type_name(s));
  }
  return 0;
}

static void node_init_(av_node *n) {
  memset(n, 0, sizeof *n);
  n->null_branch = -1;
  n->value_branch = -1;
}

/* Parse `text` with libavro (validation, names, references) and jansson (logicalType
 * annotations) and compile it into root; fix_unions_ must run afterwards. */
static int compile_schema_(const char *text, av_node *root, char *msg, size_t cap) {
  node_init_(root);
  avro_schema_t s = NULL;
  if (avro_schema_from_json_length(text, strlen(text), &s)) {
    snprintf(msg, cap, "[INVALID_SCHEMA.PARSE_ERROR] The Avro schema \"%s\" is not valid: %s", text, avro_strerror());
    return SPATE_EANALYSIS;
  }
  json_error_t je;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
  compiler c = {.msg = msg, .cap = cap};
  int rc = compile_(&c, s, j, root);
  json_decref(j);
  avro_schema_decref(s);
  return rc;
}

/* The SQL type of an Avro node (SchemaConverters.toSqlType); nullability from unions. */
static sp_type *sql_type_(const av_node *n) {
  switch (n->kind) {
    case AV_NULL: return sp_type_prim(SP_NULL);
    case AV_BOOLEAN: return sp_type_prim(SP_BOOLEAN);
    case AV_INT: return sp_type_prim(n->logical == AVL_DATE ? SP_DATE : SP_INT);
    case AV_LONG: return sp_type_prim(n->logical == AVL_NONE ? SP_BIGINT : SP_TIMESTAMP);
    case AV_FLOAT:
    case AV_DOUBLE: return sp_type_prim(SP_DOUBLE);
    case AV_STRING:
    case AV_ENUM: return sp_type_prim(SP_STRING);
    case AV_BYTES:
    case AV_FIXED: return sp_type_prim(SP_BINARY);
    case AV_ARRAY: {
      const av_node *it = &n->children[0];
      sp_type *e = sql_type_(it);
      return e ? sp_type_array_new(e, it->null_branch >= 0 || it->kind == AV_NULL) : NULL;
    }
    case AV_RECORD: {
      sp_type *st = sp_type_struct_new(n->nchildren);
      if (!st) return NULL;
      for (int i = 0; i < n->nchildren; i++) {
        const av_node *f = &n->children[i];
        sp_type *ft = sql_type_(f);
        if (!ft || sp_type_struct_set(st, i, f->name, ft, f->null_branch >= 0 || f->kind == AV_NULL)) {
          sp_type_unref(st);
          return NULL;
        }
      }
      return st;
    }
  }
  return NULL;
}

/* Children of calloc'd nodes start with null_branch 0; fix after compile (0 is a
 * valid index, so compile_ sets is_union for real unions and we reset the others). */
static void fix_unions_(av_node *n) {
  if (!n->is_union) {
    n->null_branch = -1;
    n->value_branch = -1;
  }
  for (int i = 0; i < n->nchildren; i++) fix_unions_(&n->children[i]);
}

/* ------------------------------------------------- schema derivation (to_avro) */

static void json_str_(sp_buf *b, const char *s) {
  json_t *j = json_string(s);
  char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
  sp_buf_puts(b, t ? t : "\"\"");
  free(t);
  json_decref(j);
}

/* Spark's SchemaConverters.toAvroType(t, nullable, recordName, nameSpace). */
static int derive_(const sp_type *t, bool nullable, const char *rname, const char *ns, sp_buf *b, char *msg,
                   size_t cap) {
  if (nullable && t->id != SP_NULL) sp_buf_putc(b, '[');
  switch (t->id) {
    case SP_NULL: sp_buf_puts(b, "\"null\""); break;
    case SP_BOOLEAN: sp_buf_puts(b, "\"boolean\""); break;
    case SP_INT: sp_buf_puts(b, "\"int\""); break;
    case SP_BIGINT: sp_buf_puts(b, "\"long\""); break;
    case SP_DOUBLE: sp_buf_puts(b, "\"double\""); break;
    case SP_STRING: sp_buf_puts(b, "\"string\""); break;
    case SP_BINARY: sp_buf_puts(b, "\"bytes\""); break;
    case SP_DATE: sp_buf_puts(b, "{\"type\":\"int\",\"logicalType\":\"date\"}"); break;
    case SP_TIMESTAMP: sp_buf_puts(b, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}"); break;
    case SP_ARRAY: {
      sp_buf_puts(b, "{\"type\":\"array\",\"items\":");
      int rc = derive_(t->elem, t->elem_nullable, rname, ns, b, msg, cap);
      if (rc) return rc;
      sp_buf_putc(b, '}');
      break;
    }
    case SP_STRUCT: {
      size_t cl = strlen(ns) + strlen(rname) + 2;
      char *child_ns = malloc(cl);
      if (!child_ns) return SPATE_ENOMEM;
      if (*ns)
        snprintf(child_ns, cl, "%s.%s", ns, rname);
      else
        snprintf(child_ns, cl, "%s", rname);
      sp_buf_puts(b, "{\"type\":\"record\",\"name\":");
      json_str_(b, rname);
      if (*ns) {
        sp_buf_puts(b, ",\"namespace\":");
        json_str_(b, ns);
      }
      sp_buf_puts(b, ",\"fields\":[");
      for (int i = 0; i < t->nfields; i++) {
        if (i) sp_buf_putc(b, ',');
        sp_buf_puts(b, "{\"name\":");
        json_str_(b, t->fields[i].name);
        sp_buf_puts(b, ",\"type\":");
        int rc = derive_(t->fields[i].type, t->fields[i].nullable, t->fields[i].name, child_ns, b, msg, cap);
        if (rc) {
          free(child_ns);
          return rc;
        }
        sp_buf_putc(b, '}');
      }
      sp_buf_puts(b, "]}");
      free(child_ns);
      break;
    }
    default:
      snprintf(msg, cap, "[UNSUPPORTED_DATA_TYPE] to_avro cannot convert SQL type id %d to Avro.", (int)t->id);
      return SPATE_EANALYSIS;
  }
  if (nullable && t->id != SP_NULL) sp_buf_puts(b, ",\"null\"]");
  return 0;
}

/* ------------------------------------------- SQL type <-> Avro node matching */

static const char *kind_name_(av_kind k) {
  static const char *const names[] = {"null", "boolean", "int", "long", "float", "double",
                                      "string", "bytes", "enum", "fixed", "record", "array"};
  return names[k];
}

/* to_avro: check that SQL type t can be written as node n (AvroSerializer's rules)
 * and fill the record field mapping. path names the position for messages. */
static int match_(const sp_type *t, av_node *n, const char *path, char *msg, size_t cap) {
  char tsql[256];
  bool ok;
  switch (t->id) {
    case SP_NULL: ok = n->kind == AV_NULL || n->null_branch >= 0; break;
    case SP_BOOLEAN: ok = n->kind == AV_BOOLEAN; break;
    case SP_INT: ok = n->kind == AV_INT; break;
    case SP_DATE: ok = n->kind == AV_INT; break;
    case SP_BIGINT: ok = n->kind == AV_LONG; break;
    case SP_TIMESTAMP: ok = n->kind == AV_LONG; break;
    case SP_DOUBLE: ok = n->kind == AV_DOUBLE || n->kind == AV_FLOAT; break;
    case SP_STRING: ok = n->kind == AV_STRING || n->kind == AV_ENUM; break;
    case SP_BINARY: ok = n->kind == AV_BYTES || n->kind == AV_FIXED; break;
    case SP_ARRAY:
      ok = n->kind == AV_ARRAY;
      if (ok) {
        char p[512];
        snprintf(p, sizeof p, "%s.element", path);
        int rc = match_(t->elem, &n->children[0], p, msg, cap);
        if (rc) return rc;
      }
      break;
    case SP_STRUCT:
      ok = n->kind == AV_RECORD;
      if (ok) {
        n->sql_field = malloc(sizeof(int) * (size_t)(n->nchildren ? n->nchildren : 1));
        if (!n->sql_field) return SPATE_ENOMEM;
        for (int i = 0; i < t->nfields; i++) {
          bool found = false;
          for (int j = 0; j < n->nchildren && !found; j++) found = !strcmp(n->children[j].name, t->fields[i].name);
          if (!found) {
            snprintf(msg, cap,
                     "[AVRO_INCOMPATIBLE_WRITE_TYPE] Cannot find field \"%s\" of the SQL struct at %s in the Avro "
                     "schema.",
                     t->fields[i].name, path);
            return SPATE_EANALYSIS;
          }
        }
        for (int j = 0; j < n->nchildren; j++) {
          av_node *f = &n->children[j];
          n->sql_field[j] = -1;
          for (int i = 0; i < t->nfields; i++)
            if (!strcmp(f->name, t->fields[i].name)) n->sql_field[j] = i;
          if (n->sql_field[j] < 0) {
            if (f->null_branch < 0 && f->kind != AV_NULL) {
              snprintf(msg, cap,
                       "[AVRO_INCOMPATIBLE_WRITE_TYPE] Cannot find non-nullable Avro field \"%s\" in the SQL struct "
                       "at %s.",
                       f->name, path);
              return SPATE_EANALYSIS;
            }
            continue;
          }
          char p[512];
          snprintf(p, sizeof p, "%s.%s", path, f->name);
          int rc = match_(t->fields[n->sql_field[j]].type, f, p, msg, cap);
          if (rc) return rc;
        }
      }
      break;
    default: ok = false; break;
  }
  if (!ok) {
    sp_buf b;
    sp_buf_init(&b);
    sp_type_sql(t, &b);
    snprintf(tsql, sizeof tsql, "%.*s", (int)b.len, b.data ? b.data : "?");
    sp_buf_free(&b);
    snprintf(msg, cap,
             "[AVRO_INCOMPATIBLE_WRITE_TYPE] Cannot convert SQL type %s at %s to Avro type \"%s\".", tsql, path,
             kind_name_(n->kind));
    return SPATE_EANALYSIS;
  }
  return 0;
}

/* ------------------------------------------------------------- prepare */

int sp_avro_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, const sp_type *input,
                       bool input_nullable, sp_type **type, sp_fn_data **out, char *msg, size_t cap) {
  *out = NULL;
  *type = NULL;
  sp_avro_fn_data *d = calloc(1, sizeof *d);
  if (!d) return SPATE_ENOMEM;
  d->base.destroy = avro_data_destroy_;
  node_init_(&d->root);
  d->failfast = true; /* spark-avro: from_avro's default mode is FAILFAST */
  int rc = 0;
  for (int i = 0; i + 1 < nkv && !rc; i += 2) {
    if (strcasecmp(kv[i], "mode") != 0) continue; /* other options do not apply here: ignored */
    if (!strcasecmp(kv[i + 1], "FAILFAST"))
      d->failfast = true;
    else if (!strcasecmp(kv[i + 1], "PERMISSIVE"))
      d->failfast = false;
    else {
      snprintf(msg, cap,
               "[PARSE_MODE_UNSUPPORTED] The function `from_avro` doesn't support the %s mode. Acceptable modes are "
               "PERMISSIVE and FAILFAST.",
               kv[i + 1]);
      rc = SPATE_EANALYSIS;
    }
  }
  if (!rc && !schema) {
    sp_buf b;
    sp_buf_init(&b);
    rc = derive_(input, input_nullable, "topLevelRecord", "", &b, msg, cap);
    if (!rc && sp_buf_check(&b)) rc = SPATE_ENOMEM;
    if (!rc) d->schema_json = sp_buf_steal(&b);
    sp_buf_free(&b);
    if (!rc && !d->schema_json) rc = SPATE_ENOMEM;
  } else if (!rc && !(d->schema_json = strdup(schema))) {
    rc = SPATE_ENOMEM;
  }
  if (!rc) rc = compile_schema_(d->schema_json, &d->root, msg, cap);
  if (!rc) fix_unions_(&d->root);
  if (!rc) {
    if (fn == SP_FN_FROM_AVRO) {
      if (!(*type = sql_type_(&d->root))) rc = SPATE_ENOMEM;
    } else {
      rc = match_(input, &d->root, "the top level", msg, cap);
      if (!rc) *type = sp_type_prim(SP_BINARY);
    }
  }
  if (rc) {
    avro_data_destroy_(&d->base);
    return rc;
  }
  *out = &d->base;
  return 0;
}

const char *sp_avro_fn_schema(const sp_fn_data *fd) { return fd ? ((const sp_avro_fn_data *)fd)->schema_json : NULL; }

/* ------------------------------------------------------------- encoding */

static void put_long_(sp_buf *b, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  char tmp[10];
  int k = 0;
  while (z >= 0x80) {
    tmp[k++] = (char)((z & 0x7f) | 0x80);
    z >>= 7;
  }
  tmp[k++] = (char)z;
  sp_buf_append(b, tmp, (size_t)k);
}

static void put_le_(sp_buf *b, uint64_t bits, int nbytes) {
  char tmp[8];
  for (int i = 0; i < nbytes; i++) tmp[i] = (char)((bits >> (8 * i)) & 0xff);
  sp_buf_append(b, tmp, (size_t)nbytes);
}

typedef struct enc {
  sp_buf *b;
  spate_error *err;
} enc;

static int64_t floor_div_(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Write row i of v as node n. */
static int encode_(enc *e, const av_node *n, const sp_vec *v, int64_t i, const char *field) {
  bool null = v->type->id == SP_NULL || sp_vec_is_null(v, i);
  if (n->is_union) {
    if (null) {
      if (n->null_branch < 0) goto null_err;
      put_long_(e->b, n->null_branch);
      return 0;
    }
    put_long_(e->b, n->value_branch);
  } else if (null) {
    if (n->kind == AV_NULL) return 0;
    goto null_err;
  }
  switch (n->kind) {
    case AV_NULL: return 0;
    case AV_BOOLEAN: sp_buf_putc(e->b, sp_vec_bool(v)[i] ? 1 : 0); return 0;
    case AV_INT: put_long_(e->b, sp_vec_i32(v)[i]); return 0;
    case AV_LONG: {
      int64_t x = sp_vec_i64(v)[i];
      if (n->logical == AVL_TS_MILLIS && v->type->id == SP_TIMESTAMP) x = floor_div_(x, 1000);
      put_long_(e->b, x);
      return 0;
    }
    case AV_FLOAT: {
      float f = (float)sp_vec_f64(v)[i];
      uint32_t bits;
      memcpy(&bits, &f, 4);
      put_le_(e->b, bits, 4);
      return 0;
    }
    case AV_DOUBLE: {
      uint64_t bits;
      memcpy(&bits, &sp_vec_f64(v)[i], 8);
      put_le_(e->b, bits, 8);
      return 0;
    }
    case AV_STRING:
    case AV_BYTES: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      put_long_(e->b, len);
      sp_buf_append(e->b, p, (size_t)len);
      return 0;
    }
    case AV_ENUM: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      for (int k = 0; k < n->nsymbols; k++)
        if ((int32_t)strlen(n->symbols[k]) == len && !memcmp(n->symbols[k], p, (size_t)len)) {
          put_long_(e->b, k);
          return 0;
        }
      return spate_error_set(e->err, SPATE_EINVAL,
                             "[AVRO_INCOMPATIBLE_WRITE_TYPE] to_avro: cannot write \"%.*s\" (field %s) since it's "
                             "not defined in the Avro enum",
                             (int)(len > 200 ? 200 : len), p, field);
    }
    case AV_FIXED: {
      int32_t len;
      const char *p = sp_vec_str(v, i, &len);
      if ((int64_t)len != n->fixed_size)
        return spate_error_set(e->err, SPATE_EINVAL,
                               "[AVRO_INCOMPATIBLE_WRITE_TYPE] to_avro: cannot write %d bytes (field %s) to an Avro "
                               "fixed of size %lld",
                               (int)len, field, (long long)n->fixed_size);
      sp_buf_append(e->b, p, (size_t)len);
      return 0;
    }
    case AV_ARRAY: {
      int64_t s = v->offsets[i], t = v->offsets[i + 1];
      if (t > s) {
        put_long_(e->b, t - s);
        for (int64_t k = s; k < t; k++) {
          int rc = encode_(e, &n->children[0], v->children[0], k, field);
          if (rc) return rc;
        }
      }
      put_long_(e->b, 0);
      return 0;
    }
    case AV_RECORD:
      for (int j = 0; j < n->nchildren; j++) {
        const av_node *f = &n->children[j];
        int si = n->sql_field ? n->sql_field[j] : j;
        if (si < 0) { /* Avro field absent from the SQL struct: nullable, checked at bind */
          if (f->is_union) put_long_(e->b, f->null_branch);
          continue;
        }
        int rc = encode_(e, f, v->children[si], i, f->name);
        if (rc) return rc;
      }
      return 0;
  }
  return 0;
null_err:
  return spate_error_set(e->err, SPATE_EINVAL,
                         "[AVRO_INCOMPATIBLE_WRITE_TYPE] to_avro: cannot write null to the non-nullable Avro field %s "
                         "(type \"%s\")",
                         field, kind_name_(n->kind));
}

int sp_k_to_avro(const sp_kctx *k, sp_opnd *out) {
  const sp_avro_fn_data *d = k->e->fn_data;
  if (!d) return spate_error_set(k->err, SPATE_EINVAL, "to_avro was not prepared");
  const sp_opnd *a = &k->args[0];
  out->owned = true;
  if (a->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_vec *res = sp_vec_new(k->e->type, k->n);
  if (!res) return sp_expr_oom(k->err);
  sp_xvec_nonnull_chars(res);
  sp_buf b;
  sp_buf_init(&b);
  enc e = {.b = &b, .err = k->err};
  for (int64_t r = 0; r < k->n; r++) {
    int64_t i = sp_ix(a, r);
    if (sp_vec_is_null(a->vec, i)) {
      sp_vec_append_null(res);
      continue;
    }
    sp_buf_reset(&b);
    /* A top-level nullable union still writes its branch index for a non-null value. */
    int rc = encode_(&e, &d->root, a->vec, i, "topLevelRecord");
    if (!rc && sp_buf_check(&b)) rc = sp_expr_oom(k->err);
    if (rc) {
      sp_buf_free(&b);
      sp_vec_free(res);
      out->owned = false;
      return rc;
    }
    sp_vec_append_str(res, b.data ? b.data : "", (int32_t)b.len);
  }
  sp_buf_free(&b);
  if (sp_vec_check(res)) {
    sp_vec_free(res);
    out->owned = false;
    return sp_expr_oom(k->err);
  }
  out->vec = res;
  return 0;
}

/* ------------------------------------------------------------- decoding */

typedef struct dec {
  const uint8_t *p, *end;
  const char *why; /* first problem found */
} dec;

static bool get_long_(dec *d, int64_t *out, int maxbytes) {
  uint64_t z = 0;
  for (int shift = 0, k = 0; k < maxbytes; k++, shift += 7) {
    if (d->p >= d->end) {
      d->why = "unexpected end of data";
      return false;
    }
    uint8_t c = *d->p++;
    z |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return true;
    }
  }
  d->why = maxbytes == 5 ? "invalid int encoding" : "invalid long encoding";
  return false;
}

static bool need_(dec *d, int64_t n) {
  if (n < 0) {
    d->why = "negative length";
    return false;
  }
  if (d->end - d->p < n) {
    d->why = "unexpected end of data";
    return false;
  }
  return true;
}

/* Decode one datum of node n; append it to v unless v is NULL (validation pass). */
static bool decode_(dec *d, const av_node *n, sp_vec *v) {
  if (n->is_union) {
    int64_t br;
    if (!get_long_(d, &br, 10)) return false;
    if (n->null_branch >= 0 && br == n->null_branch) {
      if (v) sp_vec_append_null(v);
      return true;
    }
    if (br != n->value_branch) {
      d->why = "invalid union branch index";
      return false;
    }
  }
  switch (n->kind) {
    case AV_NULL:
      if (v) sp_vec_append_null(v);
      return true;
    case AV_BOOLEAN: {
      if (!need_(d, 1)) return false;
      uint8_t c = *d->p++;
      if (c > 1) {
        d->why = "invalid boolean";
        return false;
      }
      if (v) sp_vec_append_bool(v, c == 1);
      return true;
    }
    case AV_INT: {
      int64_t x;
      if (!get_long_(d, &x, 5)) return false;
      if (x < INT32_MIN || x > INT32_MAX) {
        d->why = "invalid int encoding";
        return false;
      }
      if (v) sp_vec_append_i32(v, (int32_t)x);
      return true;
    }
    case AV_LONG: {
      int64_t x;
      if (!get_long_(d, &x, 10)) return false;
      if (n->logical == AVL_TS_MILLIS) x *= 1000;
      if (v) sp_vec_append_i64(v, x);
      return true;
    }
    case AV_FLOAT: {
      if (!need_(d, 4)) return false;
      uint32_t bits = 0;
      for (int i = 0; i < 4; i++) bits |= (uint32_t)d->p[i] << (8 * i);
      d->p += 4;
      float f;
      memcpy(&f, &bits, 4);
      if (v) sp_vec_append_f64(v, (double)f);
      return true;
    }
    case AV_DOUBLE: {
      if (!need_(d, 8)) return false;
      uint64_t bits = 0;
      for (int i = 0; i < 8; i++) bits |= (uint64_t)d->p[i] << (8 * i);
      d->p += 8;
      double x;
      memcpy(&x, &bits, 8);
      if (v) sp_vec_append_f64(v, x);
      return true;
    }
    case AV_STRING:
    case AV_BYTES: {
      int64_t len;
      if (!get_long_(d, &len, 10) || !need_(d, len)) return false;
      if (len > INT32_MAX) {
        d->why = "value too large";
        return false;
      }
      if (v) sp_vec_append_str(v, (const char *)d->p, (int32_t)len);
      d->p += len;
      return true;
    }
    case AV_FIXED:
      if (!need_(d, n->fixed_size)) return false;
      if (v) sp_vec_append_str(v, (const char *)d->p, (int32_t)n->fixed_size);
      d->p += n->fixed_size;
      return true;
    case AV_ENUM: {
      int64_t x;
      if (!get_long_(d, &x, 5)) return false;
      if (x < 0 || x >= n->nsymbols) {
        d->why = "invalid enum index";
        return false;
      }
      if (v) sp_vec_append_str(v, n->symbols[x], (int32_t)strlen(n->symbols[x]));
      return true;
    }
    case AV_ARRAY:
      for (;;) {
        int64_t cnt;
        if (!get_long_(d, &cnt, 10)) return false;
        if (cnt == 0) break;
        if (cnt < 0) { /* block with its byte size */
          int64_t bytes;
          if (!get_long_(d, &bytes, 10)) return false;
          if (cnt == INT64_MIN) {
            d->why = "invalid array block count";
            return false;
          }
          cnt = -cnt;
        }
        const av_node *it = &n->children[0];
        bool empty_items = !it->is_union && (it->kind == AV_NULL || (it->kind == AV_RECORD && !it->nchildren) ||
                                             (it->kind == AV_FIXED && !it->fixed_size));
        if (cnt > d->end - d->p && !empty_items) { /* every other item takes >= 1 byte */
          d->why = "array block count exceeds the data";
          return false;
        }
        if (cnt > (int64_t)1 << 30) {
          d->why = "array block count too large";
          return false;
        }
        for (int64_t k = 0; k < cnt; k++)
          if (!decode_(d, &n->children[0], v ? v->children[0] : NULL)) return false;
      }
      if (v) sp_vec_array_close(v, true);
      return true;
    case AV_RECORD:
      for (int j = 0; j < n->nchildren; j++)
        if (!decode_(d, &n->children[j], v ? v->children[j] : NULL)) return false;
      if (v) sp_vec_struct_append(v, true);
      return true;
  }
  return false;
}

int sp_k_from_avro(const sp_kctx *k, sp_opnd *out) {
  const sp_avro_fn_data *d = k->e->fn_data;
  if (!d) return spate_error_set(k->err, SPATE_EINVAL, "from_avro was not prepared");
  const sp_opnd *a = &k->args[0];
  out->owned = true;
  if (a->vec->type->id == SP_NULL) {
    out->vec = sp_xvec_all_null(k->e->type, k->n);
    return out->vec ? 0 : sp_expr_oom(k->err);
  }
  sp_vec *res = sp_vec_new(k->e->type, k->n);
  if (!res) return sp_expr_oom(k->err);
  for (int64_t r = 0; r < k->n; r++) {
    int64_t i = sp_ix(a, r);
    if (sp_vec_is_null(a->vec, i)) {
      sp_vec_append_null(res);
      continue;
    }
    int32_t len;
    const char *p = sp_vec_str(a->vec, i, &len);
    dec dv = {(const uint8_t *)p, (const uint8_t *)p + len, NULL};
    if (!decode_(&dv, &d->root, NULL)) {
      if (d->failfast) {
        sp_vec_free(res);
        out->owned = false;
        return spate_error_set(k->err, SPATE_EMALFORMED,
                               "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected in "
                               "record parsing: from_avro: row %lld (%d bytes): %s. Parse Mode: FAILFAST. To process "
                               "malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'.",
                               (long long)r, (int)len, dv.why ? dv.why : "malformed");
      }
      sp_vec_append_null(res);
      continue;
    }
    dec dd = {(const uint8_t *)p, (const uint8_t *)p + len, NULL};
    decode_(&dd, &d->root, res); /* cannot fail: validated above */
  }
  if (sp_vec_check(res)) {
    sp_vec_free(res);
    out->owned = false;
    return sp_expr_oom(k->err);
  }
  out->vec = res;
  return 0;
}
