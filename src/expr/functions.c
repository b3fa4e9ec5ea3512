/*
 * functions.c - the SQL function table: name -> internal id, class (scalar,
 * aggregate, generator) and arity. Type rules live in bind.c.
 *
 * Invariant: the table is constant and sorted by nothing in particular; lookups are
 * linear over ~80 entries and happen only at bind time.
 */
#include <string.h>

#include "expr/expr_internal.h"

#define S_(n, id, lo, hi) {n, id, SP_FNC_SCALAR, lo, hi}
#define A_(n, id, lo, hi) {n, id, SP_FNC_AGG, lo, hi}
#define G_(n, id) {n, id, SP_FNC_GEN, 1, 1}

static const sp_fn_info fn_table_[] = {
    S_("coalesce", SP_FN_COALESCE, 1, -1),
    S_("nvl", SP_FN_COALESCE, 2, 2),
    S_("ifnull", SP_FN_COALESCE, 2, 2),
    S_("nullif", SP_FN_NULLIF, 2, 2),
    S_("if", SP_FN_CASE, 3, 3),
    S_("abs", SP_FN_ABS, 1, 1),
    S_("round", SP_FN_ROUND, 1, 2),
    S_("floor", SP_FN_FLOOR, 1, 1),
    S_("ceil", SP_FN_CEIL, 1, 1),
    S_("ceiling", SP_FN_CEIL, 1, 1),
    S_("lower", SP_FN_LOWER, 1, 1),
    S_("lcase", SP_FN_LOWER, 1, 1),
    S_("upper", SP_FN_UPPER, 1, 1),
    S_("ucase", SP_FN_UPPER, 1, 1),
    S_("trim", SP_FN_TRIM, 1, 2),
    S_("ltrim", SP_FN_LTRIM, 1, 2),
    S_("rtrim", SP_FN_RTRIM, 1, 2),
    S_("length", SP_FN_LENGTH, 1, 1),
    S_("char_length", SP_FN_LENGTH, 1, 1),
    S_("character_length", SP_FN_LENGTH, 1, 1),
    S_("concat", SP_FN_CONCAT, 0, -1),
    S_("concat_ws", SP_FN_CONCAT_WS, 1, -1),
    S_("substring", SP_FN_SUBSTRING, 2, 3),
    S_("substr", SP_FN_SUBSTRING, 2, 3),
    S_("split", SP_FN_SPLIT, 2, 3),
    S_("regexp_extract", SP_FN_REGEXP_EXTRACT, 2, 3),
    S_("regexp_replace", SP_FN_REGEXP_REPLACE, 3, 4),
    S_("rlike", SP_FN_RLIKE, 2, 2),
    S_("regexp_like", SP_FN_RLIKE, 2, 2),
    S_("like", SP_FN_LIKE, 2, 2),
    S_("struct", SP_FN_STRUCT, 0, -1),
    S_("named_struct", SP_FN_STRUCT, 0, -1),
    S_("array", SP_FN_ARRAY, 0, -1),
    S_("size", SP_FN_SIZE, 1, 1),
    S_("cardinality", SP_FN_SIZE, 1, 1),
    S_("element_at", SP_FN_ELEMENT_AT, 2, 2),
    S_("to_timestamp", SP_FN_TO_TIMESTAMP, 1, 2),
    S_("to_date", SP_FN_TO_DATE, 1, 2),
    S_("date_format", SP_FN_DATE_FORMAT, 2, 2),
    S_("unix_timestamp", SP_FN_UNIX_TIMESTAMP, 0, 2),
    S_("from_unixtime", SP_FN_FROM_UNIXTIME, 1, 2),
    S_("timestamp_seconds", SP_FN_TIMESTAMP_SECONDS, 1, 1),
    S_("current_timestamp", SP_FN_CURRENT_TIMESTAMP, 0, 0),
    S_("now", SP_FN_CURRENT_TIMESTAMP, 0, 0),
    S_("current_date", SP_FN_CURRENT_DATE, 0, 0),
    S_("curdate", SP_FN_CURRENT_DATE, 0, 0),
    S_("year", SP_FN_YEAR, 1, 1),
    S_("month", SP_FN_MONTH, 1, 1),
    S_("dayofmonth", SP_FN_DAYOFMONTH, 1, 1),
    S_("day", SP_FN_DAYOFMONTH, 1, 1),
    S_("hour", SP_FN_HOUR, 1, 1),
    S_("minute", SP_FN_MINUTE, 1, 1),
    S_("second", SP_FN_SECOND, 1, 1),
    S_("window", SP_FN_WINDOW, 2, 4),
    S_("window_time", SP_FN_WINDOW, 1, 1), /* rewritten by the binder: window.end - 1 µs */
    S_("from_json", SP_FN_FROM_JSON, 2, 3),
    S_("to_json", SP_FN_TO_JSON, 1, 2),
    S_("from_avro", SP_FN_FROM_AVRO, 2, 3),
    S_("to_avro", SP_FN_TO_AVRO, 1, 2),
    S_("from_csv", SP_FN_FROM_CSV, 2, 3),
    S_("to_csv", SP_FN_TO_CSV, 1, 2),
    S_("div", SP_FN_IDIV, 2, 2),
    S_("mod", SP_FN_MOD, 2, 2),
    S_("negative", SP_FN_NEG, 1, 1),
    S_("not", SP_FN_NOT, 1, 1),
    S_("isnull", SP_FN_IS_NULL, 1, 1),
    S_("isnotnull", SP_FN_IS_NOT_NULL, 1, 1),
    S_("string", SP_FN_CAST, 1, 1),
    S_("int", SP_FN_CAST, 1, 1),
    S_("bigint", SP_FN_CAST, 1, 1),
    S_("double", SP_FN_CAST, 1, 1),
    S_("boolean", SP_FN_CAST, 1, 1),
    S_("date", SP_FN_CAST, 1, 1),
    S_("timestamp", SP_FN_CAST, 1, 1),
    S_("binary", SP_FN_CAST, 1, 1),
    A_("count", SP_AGG_COUNT, 0, -1),
    A_("sum", SP_AGG_SUM, 1, 1),
    A_("avg", SP_AGG_AVG, 1, 1),
    A_("mean", SP_AGG_AVG, 1, 1),
    A_("min", SP_AGG_MIN, 1, 1),
    A_("max", SP_AGG_MAX, 1, 1),
    G_("explode", SP_GEN_EXPLODE),
    G_("explode_outer", SP_GEN_EXPLODE_OUTER),
    G_("posexplode", SP_GEN_POSEXPLODE),
};

#undef S_
#undef A_
#undef G_

const sp_fn_info *sp_fn_lookup(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < sizeof fn_table_ / sizeof fn_table_[0]; i++)
    if (strcmp(fn_table_[i].name, name) == 0) return &fn_table_[i];
  return NULL;
}

const char *sp_fn_name(int fn) {
  static const char *const names[SP_FN_COUNT_] = {
      [SP_FN_INVALID] = "?",
      [SP_FN_ADD] = "+",
      [SP_FN_SUB] = "-",
      [SP_FN_MUL] = "*",
      [SP_FN_DIV] = "/",
      [SP_FN_MOD] = "%",
      [SP_FN_IDIV] = "div",
      [SP_FN_NEG] = "negative",
      [SP_FN_DATE_ADD] = "date_add",
      [SP_FN_DATE_SUB] = "date_sub",
      [SP_FN_TS_ADD_US] = "timestamp_add_interval",
      [SP_FN_EQ] = "=",
      [SP_FN_NE] = "<>",
      [SP_FN_LT] = "<",
      [SP_FN_LE] = "<=",
      [SP_FN_GT] = ">",
      [SP_FN_GE] = ">=",
      [SP_FN_EQ_NS] = "<=>",
      [SP_FN_AND] = "and",
      [SP_FN_OR] = "or",
      [SP_FN_NOT] = "not",
      [SP_FN_IS_NULL] = "isnull",
      [SP_FN_IS_NOT_NULL] = "isnotnull",
      [SP_FN_IN] = "in",
      [SP_FN_LIKE] = "like",
      [SP_FN_RLIKE] = "rlike",
      [SP_FN_CASE] = "casewhen",
      [SP_FN_COALESCE] = "coalesce",
      [SP_FN_NULLIF] = "nullif",
      [SP_FN_CAST] = "cast",
      [SP_FN_ABS] = "abs",
      [SP_FN_ROUND] = "round",
      [SP_FN_FLOOR] = "floor",
      [SP_FN_CEIL] = "ceil",
      [SP_FN_LOWER] = "lower",
      [SP_FN_UPPER] = "upper",
      [SP_FN_TRIM] = "trim",
      [SP_FN_LTRIM] = "ltrim",
      [SP_FN_RTRIM] = "rtrim",
      [SP_FN_LENGTH] = "length",
      [SP_FN_CONCAT] = "concat",
      [SP_FN_CONCAT_WS] = "concat_ws",
      [SP_FN_SUBSTRING] = "substring",
      [SP_FN_SPLIT] = "split",
      [SP_FN_REGEXP_EXTRACT] = "regexp_extract",
      [SP_FN_REGEXP_REPLACE] = "regexp_replace",
      [SP_FN_STRUCT] = "struct",
      [SP_FN_ARRAY] = "array",
      [SP_FN_SIZE] = "size",
      [SP_FN_ELEMENT_AT] = "element_at",
      [SP_FN_GET_FIELD] = "get_field",
      [SP_FN_GET_ITEM] = "get_item",
      [SP_FN_TO_TIMESTAMP] = "to_timestamp",
      [SP_FN_TO_DATE] = "to_date",
      [SP_FN_DATE_FORMAT] = "date_format",
      [SP_FN_UNIX_TIMESTAMP] = "unix_timestamp",
      [SP_FN_FROM_UNIXTIME] = "from_unixtime",
      [SP_FN_TIMESTAMP_SECONDS] = "timestamp_seconds",
      [SP_FN_CURRENT_TIMESTAMP] = "current_timestamp",
      [SP_FN_CURRENT_DATE] = "current_date",
      [SP_FN_YEAR] = "year",
      [SP_FN_MONTH] = "month",
      [SP_FN_DAYOFMONTH] = "dayofmonth",
      [SP_FN_HOUR] = "hour",
      [SP_FN_MINUTE] = "minute",
      [SP_FN_SECOND] = "second",
      [SP_FN_WINDOW] = "window",
      [SP_FN_FROM_JSON] = "from_json",
      [SP_FN_TO_JSON] = "to_json",
      [SP_FN_FROM_AVRO] = "from_avro",
      [SP_FN_TO_AVRO] = "to_avro",
      [SP_FN_FROM_CSV] = "from_csv",
      [SP_FN_TO_CSV] = "to_csv",
  };
  if (fn <= 0 || fn >= SP_FN_COUNT_ || !names[fn]) return "?";
  return names[fn];
}

bool sp_fn_foldable(int fn) {
  return fn != SP_FN_CURRENT_TIMESTAMP && fn != SP_FN_CURRENT_DATE && fn != SP_FN_UNIX_TIMESTAMP;
}
