/*
 * expr_internal.h - private interfaces of src/expr: function ids, the function table,
 * evaluation operands, kernel entry points and vector helpers shared by the kernels.
 *
 * Evaluation model: every node evaluates to an sp_opnd, which is either a vector of
 * n rows (borrowed from the input batch or owned) or a *scalar*: a 1-row vector that
 * stands for the same value on every row (literals, current_timestamp(), and any call
 * whose arguments are all scalars). Kernels index scalar operands with sp_ix(), so a
 * literal side is never materialized. Only the public sp_expr_eval() broadcasts a
 * scalar result to in->nrows rows.
 */
#ifndef SPATE_EXPR_INTERNAL_H
#define SPATE_EXPR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "expr/expr.h"
#include "format/format.h"

/* ---- function ids (sp_expr.fn of CALL nodes) ---- */
typedef enum sp_fn_id {
  SP_FN_INVALID = 0,
  /* arithmetic: args already coerced to the result type */
  SP_FN_ADD, SP_FN_SUB, SP_FN_MUL, SP_FN_DIV, SP_FN_MOD, SP_FN_IDIV, SP_FN_NEG,
  SP_FN_DATE_ADD,   /* DATE + INT days */
  SP_FN_DATE_SUB,   /* DATE - INT days */
  SP_FN_TS_ADD_US,  /* TIMESTAMP + BIGINT microseconds (INTERVAL arithmetic) */
  /* comparison / logic: comparison args coerced to one common type */
  SP_FN_EQ, SP_FN_NE, SP_FN_LT, SP_FN_LE, SP_FN_GT, SP_FN_GE, SP_FN_EQ_NS,
  SP_FN_AND, SP_FN_OR, SP_FN_NOT, SP_FN_IS_NULL, SP_FN_IS_NOT_NULL,
  SP_FN_IN,         /* args[0] IN (args[1..]); all one type */
  SP_FN_LIKE,       /* fn_data: compiled matcher when args[1] is a literal */
  SP_FN_RLIKE,      /* fn_data: compiled regex when args[1] is a literal */
  /* conditional */
  SP_FN_CASE,       /* (when, then)* [else]: nargs odd -> has else */
  SP_FN_COALESCE, SP_FN_NULLIF,
  SP_FN_CAST,       /* args[0] -> e->type */
  /* math */
  SP_FN_ABS, SP_FN_ROUND, SP_FN_FLOOR, SP_FN_CEIL,
  /* strings */
  SP_FN_LOWER, SP_FN_UPPER, SP_FN_TRIM, SP_FN_LTRIM, SP_FN_RTRIM, SP_FN_LENGTH,
  SP_FN_CONCAT, SP_FN_CONCAT_WS, SP_FN_SUBSTRING, SP_FN_SPLIT,
  SP_FN_REGEXP_EXTRACT, SP_FN_REGEXP_REPLACE,
  /* complex types */
  SP_FN_STRUCT,     /* field names in e->type */
  SP_FN_ARRAY, SP_FN_SIZE, SP_FN_ELEMENT_AT,
  SP_FN_GET_FIELD,  /* args[0] struct, args[1] INT literal field index */
  SP_FN_GET_ITEM,   /* args[0] array, args[1] INT 0-based index */
  /* datetime */
  SP_FN_TO_TIMESTAMP, SP_FN_TO_DATE, SP_FN_DATE_FORMAT, SP_FN_UNIX_TIMESTAMP, SP_FN_FROM_UNIXTIME,
  SP_FN_TIMESTAMP_SECONDS, SP_FN_CURRENT_TIMESTAMP, SP_FN_CURRENT_DATE,
  SP_FN_YEAR, SP_FN_MONTH, SP_FN_DAYOFMONTH, SP_FN_HOUR, SP_FN_MINUTE, SP_FN_SECOND,
  SP_FN_WINDOW,     /* tumbling window(ts, dur_us, slide_us, start_us) -> struct<start,end> */
  /* serialization (fn_json.c): schema and options prepared in fn_data */
  SP_FN_FROM_JSON,  /* from_json(str): args[0] only */
  SP_FN_TO_JSON,    /* to_json(struct|array): args[0] only */
  SP_FN_FROM_AVRO,  /* from_avro(binary) (fn_avro.c): args[0] only, schema in fn_data */
  SP_FN_TO_AVRO,    /* to_avro(x) (fn_avro.c): args[0] only, schema in fn_data */
  SP_FN_FROM_CSV,   /* from_csv(str) (fn_csv.c): args[0] only, schema in fn_data */
  SP_FN_TO_CSV,     /* to_csv(struct) (fn_csv.c): args[0] only */
  SP_FN_COUNT_
} sp_fn_id;

/* Function classes in the name table. */
typedef enum sp_fn_class { SP_FNC_SCALAR, SP_FNC_AGG, SP_FNC_GEN } sp_fn_class;

typedef struct sp_fn_info {
  const char *name;   /* lower-case SQL name */
  int id;             /* sp_fn_id, sp_agg_kind or sp_gen_kind depending on cls */
  sp_fn_class cls;
  int min_args, max_args; /* max_args < 0: variadic */
} sp_fn_info;

/* Look up a function by its lower-case name; NULL if unknown. */
const sp_fn_info *sp_fn_lookup(const char *name);
/* Internal name of a function id for messages ("add", "lower"). */
const char *sp_fn_name(int fn);
/* False for functions whose value depends on the batch (current_timestamp...). */
bool sp_fn_foldable(int fn);

/* fn_data objects start with their destructor so sp_expr_free can release any kind. */
typedef struct sp_fn_data {
  void (*destroy)(struct sp_fn_data *d);
} sp_fn_data;

/* ---- operands ---- */
typedef struct sp_opnd {
  sp_vec *vec;
  bool owned;
  bool scalar; /* vec has 1 row standing for every row */
} sp_opnd;

static inline int64_t sp_ix(const sp_opnd *o, int64_t i) { return o->scalar ? 0 : i; }
static inline bool sp_op_null(const sp_opnd *o, int64_t i) { return sp_vec_is_null(o->vec, sp_ix(o, i)); }
static inline bool sp_op_all_null(const sp_opnd *o) {
  return o->vec->type->id == SP_NULL || (o->scalar && sp_vec_is_null(o->vec, 0));
}
/* Free the operand's vector if owned; leaves the operand empty. */
void sp_opnd_release(sp_opnd *o);

/* The three loop shapes of a binary kernel, (vector, vector), (scalar, vector) and
 * (vector, scalar), written once: r[i] = EXPR over xv = x[i] and yv = y[i] (a scalar
 * side reads element 0). With both sides scalar only r[0] is computed. */
#define SP_BIN_LOOP(T, r, x, y, a, b, n, EXPR)      \
  do {                                              \
    if (!(a)->scalar && !(b)->scalar) {             \
      for (int64_t i_ = 0; i_ < (n); i_++) {        \
        T xv = (x)[i_], yv = (y)[i_];               \
        (r)[i_] = (EXPR);                           \
      }                                             \
    } else if ((a)->scalar && !(b)->scalar) {       \
      T xv = (x)[0];                                \
      for (int64_t i_ = 0; i_ < (n); i_++) {        \
        T yv = (y)[i_];                             \
        (r)[i_] = (EXPR);                           \
      }                                             \
    } else if (!(a)->scalar) {                      \
      T yv = (y)[0];                                \
      for (int64_t i_ = 0; i_ < (n); i_++) {        \
        T xv = (x)[i_];                             \
        (r)[i_] = (EXPR);                           \
      }                                             \
    } else {                                        \
      T xv = (x)[0], yv = (y)[0];                   \
      (r)[0] = (EXPR);                              \
    }                                               \
  } while (0)

/* Kernel call context: the node, its evaluated arguments and the row count n
 * (1 when every argument is scalar; the result is then scalar too). */
typedef struct sp_kctx {
  const sp_expr *e;
  sp_opnd *args;
  int nargs;
  int64_t n;
  const sp_eval_ctx *ctx;
  spate_error *err;
} sp_kctx;

/* Evaluate a node over every row of `in` to an operand (eval.c): a vector of in->nrows
 * rows, or a scalar when the node does not depend on the row. The caller releases it. */
int sp_eval_node(const sp_expr *e, const sp_batch *in, const sp_eval_ctx *ctx, sp_opnd *out, spate_error *err);

/* Kernels: each returns 0 and fills *out (normally an owned vector of k->n rows). On
 * error a kernel may leave a partial result in *out, which sp_eval_node releases. A
 * kernel may consume (steal) its argument operands; eval releases whatever is left. */
int sp_k_arith(const sp_kctx *k, sp_opnd *out);
int sp_k_neg(const sp_kctx *k, sp_opnd *out);
int sp_k_math(const sp_kctx *k, sp_opnd *out);       /* abs, round, floor, ceil */
int sp_k_date_arith(const sp_kctx *k, sp_opnd *out); /* date_add/sub, ts + us */
int sp_k_compare(const sp_kctx *k, sp_opnd *out);    /* = <> < <= > >= <=> */
int sp_k_logic(const sp_kctx *k, sp_opnd *out);      /* and or not is_null is_not_null */
int sp_k_in(const sp_kctx *k, sp_opnd *out);
int sp_k_like(const sp_kctx *k, sp_opnd *out);
int sp_k_rlike(const sp_kctx *k, sp_opnd *out);
int sp_k_case(const sp_kctx *k, sp_opnd *out);
int sp_k_coalesce(const sp_kctx *k, sp_opnd *out);
int sp_k_nullif(const sp_kctx *k, sp_opnd *out);
int sp_k_cast(const sp_kctx *k, sp_opnd *out);
int sp_k_string(const sp_kctx *k, sp_opnd *out);     /* lower upper trim* length */
int sp_k_concat(const sp_kctx *k, sp_opnd *out);     /* concat, concat_ws */
int sp_k_substring(const sp_kctx *k, sp_opnd *out);
int sp_k_split(const sp_kctx *k, sp_opnd *out);
int sp_k_regexp_extract(const sp_kctx *k, sp_opnd *out);
int sp_k_regexp_replace(const sp_kctx *k, sp_opnd *out);
int sp_k_complex(const sp_kctx *k, sp_opnd *out);    /* struct array size element_at get_field get_item */
int sp_k_time(const sp_kctx *k, sp_opnd *out);       /* datetime family */
int sp_k_from_json(const sp_kctx *k, sp_opnd *out);
int sp_k_to_json(const sp_kctx *k, sp_opnd *out);
int sp_k_from_avro(const sp_kctx *k, sp_opnd *out);
int sp_k_to_avro(const sp_kctx *k, sp_opnd *out);
int sp_k_from_csv(const sp_kctx *k, sp_opnd *out);
int sp_k_to_csv(const sp_kctx *k, sp_opnd *out);

/* ---- shared by from_json/to_json and from_csv/to_csv (fn_codec.c) ---- */
/* The fn_data of such a call: its options, with the strings they point to. */
typedef struct sp_codec_fn_data {
  sp_fn_data base;
  sp_format_opts opts;
  bool has_tz;    /* opts.timezone came from the timeZone option */
  char *owned[8]; /* strings opts points into */
  int nowned;
} sp_codec_fn_data;
/* New fn_data with the default options (base.destroy set); NULL on OOM. */
sp_codec_fn_data *sp_codec_data_new(void);
/* A copy of s owned by d (NULL on OOM or when d holds too many). */
const char *sp_codec_keep(sp_codec_fn_data *d, const char *s);
/* A format's own option k = v: set *handled and return 0, or an error with msg. */
typedef int (*sp_codec_option_fn)(sp_codec_fn_data *d, const char *k, const char *v, bool *handled, char *msg,
                                  size_t cap);
/* Parse the options map kv[0..nkv) (key, value, ...): duplicate keys refused, mode
 * (DROPMALFORMED refused when decoding, as Spark), columnNameOfCorruptRecord,
 * timestampFormat / dateFormat (compiled to check them), timeZone; other keys go to
 * extra (may be NULL), unknown ones are ignored. 0, SPATE_ENOMEM or SPATE_EANALYSIS
 * with msg (Spark's error class and text). */
int sp_codec_parse_options(sp_codec_fn_data *d, const char *fname, bool decoding, const char *const *kv, int nkv,
                           sp_codec_option_fn extra, char *msg, size_t cap);
/* A format's whole-column decoder (type = the result type) or encoder (type unused). */
typedef int (*sp_codec_run_fn)(const sp_vec *in, const sp_type *type, const sp_format_opts *o, sp_vec **out,
                               spate_error *err);
/* Kernel body: NULL input type -> all NULL; else run with the call's options and the
 * session time zone; SPATE_EMALFORMED (FAILFAST) gets Spark's
 * MALFORMED_RECORD_IN_PARSING text naming fname. */
int sp_k_codec(const sp_kctx *k, const char *fname, sp_codec_run_fn run, sp_opnd *out);

/* ---- from_json / to_json (fn_json.c) ---- */
/* Prepare the constant part of a from_json/to_json call (fn SP_FN_FROM_JSON or
 * SP_FN_TO_JSON): `schema` is from_json's DDL text (ignored for to_json), kv[0..nkv)
 * the option keys and values alternately. On success *out is the call's fn_data and
 * *type its result type (a new reference). SPATE_EANALYSIS with a message in msg on
 * a bad schema or option; SPATE_ENOMEM. */
int sp_json_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, sp_type **type,
                       sp_fn_data **out, char *msg, size_t cap);

/* ---- from_csv / to_csv (fn_csv.c) ---- */
/* Prepare a from_csv/to_csv call (fn SP_FN_FROM_CSV or SP_FN_TO_CSV): `schema` is
 * from_csv's DDL text (ignored for to_csv), kv the options, `input` the argument's
 * type (to_csv rejects nested fields). On success *out is the fn_data and *type the
 * result type. SPATE_EANALYSIS with a message in msg; SPATE_ENOMEM. */
int sp_csv_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, const sp_type *input,
                      sp_type **type, sp_fn_data **out, char *msg, size_t cap);

/* ---- from_avro / to_avro (fn_avro.c) ---- */
/* Prepare a from_avro/to_avro call: `schema` is the JSON Avro schema (NULL for
 * to_avro without one: derived from `input` as Spark does), kv the options (from_avro's
 * mode), input/input_nullable the argument's type. On success *out is the fn_data and
 * *type the result type. SPATE_EANALYSIS with a message in msg; SPATE_ENOMEM. */
int sp_avro_fn_prepare(int fn, const char *schema, const char *const *kv, int nkv, const sp_type *input,
                       bool input_nullable, sp_type **type, sp_fn_data **out, char *msg, size_t cap);
/* The Avro schema JSON a prepared call uses (given or derived); NULL if fd is NULL. */
const char *sp_avro_fn_schema(const sp_fn_data *fd);

/* ---- LIKE / regex (kernels_string.c, regex.c) ---- */
typedef struct sp_like sp_like;
/* Compile a LIKE pattern (escape '\\'). SPATE_EANALYSIS with a message in msg on an invalid escape. */
int sp_like_compile(const char *pat, size_t len, sp_like **out, char *msg, size_t msgcap);
/* Whether s[0..n) matches the whole pattern. Thread-safe (m is read-only). */
bool sp_like_match(const sp_like *m, const char *s, size_t n);
void sp_like_free(sp_like *m);

typedef struct sp_regex sp_regex;
/* Compile a Java-style regex with PCRE2 (UTF-8). SPATE_EANALYSIS + msg on error. */
int sp_regex_compile(const char *pat, size_t len, sp_regex **out, char *msg, size_t msgcap);
void sp_regex_free(sp_regex *r);
/* Number of capturing groups of the pattern. */
int sp_regex_groups(const sp_regex *r);
/* Per-evaluation match state (not shared across threads). */
typedef struct sp_regex_match sp_regex_match;
sp_regex_match *sp_regex_match_new(const sp_regex *r); /* NULL on OOM */
void sp_regex_match_free(sp_regex_match *m);
/* Find the first match in s[0..n) at or after byte `start`. Returns 1 and fills
 * the match bounds in ms and me, 0 if none, negative SPATE code on a matching error. */
int sp_regex_find(const sp_regex *r, sp_regex_match *m, const char *s, size_t n, size_t start, size_t *ms,
                  size_t *me);
/* Bounds of group g of the last successful find; false if the group did not participate. */
bool sp_regex_group(const sp_regex_match *m, int g, size_t *gs, size_t *ge);
/* Single literal character pattern (fast path for split): true and *c. */
bool sp_regex_literal_char(const sp_regex *r, char *c);

/* fn_data wrappers */
typedef struct sp_like_data {
  sp_fn_data base;
  sp_like *m;
} sp_like_data;
typedef struct sp_regex_data {
  sp_fn_data base;
  sp_regex *re;
} sp_regex_data;
/* Wrap a compiled pattern as fn_data (takes ownership; NULL on OOM, pattern not freed). */
sp_fn_data *sp_like_data_new(sp_like *m);
sp_fn_data *sp_regex_data_new(sp_regex *re);

/* ---- vector helpers (vecutil.c) ---- */
/* New vector of type t with length n (fixed-width: data uninitialized; others empty
 * with n == 0 expected). No validity. NULL on OOM. */
sp_vec *sp_xvec_fixed(sp_type *t, int64_t n);
/* Give a STRING/BINARY vector (or an array's element vector) a non-NULL byte buffer, so
 * sp_vec_str never offsets a NULL pointer when every string is empty. Best effort. */
void sp_xvec_nonnull_chars(sp_vec *v);
/* Grow the byte buffer of a STRING/BINARY vector to hold `bytes` bytes (a hint: on
 * failure nothing happens and appends grow the buffer themselves). */
void sp_xvec_reserve_chars(sp_vec *v, int64_t bytes);
/* Ensure v has a validity bitmap (all valid); returns it or NULL on OOM. */
uint8_t *sp_xvec_validity(sp_vec *v);
/* out's validity := AND of the validity of ops[0..nops) over n rows (scalar operands
 * broadcast). 0 or SPATE_ENOMEM. Recomputes null_count. */
int sp_xvec_and_validity(sp_vec *out, const sp_opnd *ops, int nops, int64_t n);
/* Recompute null_count from the bitmap over [0, length). */
void sp_xvec_count_nulls(sp_vec *v);
/* n rows all null of type t. */
sp_vec *sp_xvec_all_null(sp_type *t, int64_t n);
/* n copies of row `row` of src. */
sp_vec *sp_xvec_broadcast(const sp_vec *src, int64_t row, int64_t n);
/* Rows idx[0..n) of src; idx < 0 gives a null row. */
sp_vec *sp_xvec_gather(const sp_vec *src, const int32_t *idx, int64_t n);
/* Take an owned n-row vector out of an operand (broadcast / steal / deep copy).
 * The operand is released. NULL on OOM. */
sp_vec *sp_xvec_take_owned(sp_opnd *o, int64_t n);
/* A copy of v with extra nulls where `mask` (bitmap, may be NULL) has zero bits. */
sp_vec *sp_xvec_with_nulls(const sp_vec *v, const uint8_t *mask);
/* Popcount of the first n bits. */
int64_t sp_xbits_count(const uint8_t *bits, int64_t n);

static inline bool sp_xbit_get(const uint8_t *b, int64_t i) { return (b[i >> 3] >> (i & 7)) & 1u; }
static inline void sp_xbit_clear(uint8_t *b, int64_t i) { b[i >> 3] &= (uint8_t) ~(1u << (i & 7)); }
static inline void sp_xbit_set(uint8_t *b, int64_t i) { b[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* Set err to SPATE_ENOMEM "out of memory" and return SPATE_ENOMEM. */
int sp_expr_oom(spate_error *err);

/* ---- casts (cast.c) ---- */
/* Whether Spark (non-ANSI) can CAST from -> to. */
bool sp_can_cast(const sp_type *from, const sp_type *to);
/* Cast with an explicit time zone (NULL = UTC). */
int sp_cast_vec_tz(const sp_vec *in, sp_type *to, const char *tz, sp_vec **out, spate_error *err);
/* Spark's string -> date / int / bigint / double / boolean parsers (non-ANSI cast). */
bool sp_str_to_date(const char *s, int32_t len, int32_t *days);
bool sp_str_to_i64(const char *s, int32_t len, int64_t *v);
bool sp_str_to_i32(const char *s, int32_t len, int32_t *v);
bool sp_str_to_f64(const char *s, int32_t len, double *v);
bool sp_str_to_bool(const char *s, int32_t len, bool *v);
/* Java (long)/(int) conversion of a double: saturating, NaN -> 0. */
int64_t sp_d2l(double d);
int32_t sp_d2i(double d);

/* ---- datetime helpers (kernels_time.c) ---- */
/* NULL, "", "UTC", "Z", "GMT", "Etc/UTC", "+00:00": no zone lookup needed. */
bool sp_tz_is_utc(const char *tz);
/* Local date (days) of instant us in tz. */
int32_t sp_ts_to_date(int64_t us, const char *tz);
/* Instant of local midnight of `days` in tz. */
int64_t sp_date_to_ts(int32_t days, const char *tz);

/* ---- names / SQL text (names.c) ---- */
/* Spark's SQL spelling of a type: INT, STRING, STRUCT<a: INT>, ARRAY<DOUBLE>. */
void sp_type_sql(const sp_type *t, sp_buf *out);
/* Pretty SQL of an AST node as Spark prints it in messages and default names. */
void sp_ast_pretty_sql(const sp_ast_expr *a, const char *text, const sp_type *input, sp_buf *out);

#endif
