/*
 * inspect.c - questions the planner asks about bound expressions without
 * knowing the private function ids (expr_internal.h): is this a window() call,
 * and with which durations.
 */
#include "expr/expr_internal.h"

bool sp_expr_as_window(const sp_expr *e, const sp_expr **time, int64_t *duration_us, int64_t *slide_us,
                       int64_t *start_us) {
  if (!e || e->kind != SP_EXPR_CALL || e->fn != SP_FN_WINDOW || e->nargs != 4) return false;
  for (int i = 1; i < 4; i++)
    if (e->args[i]->kind != SP_EXPR_LITERAL || !e->args[i]->literal) return false;
  if (time) *time = e->args[0];
  if (duration_us) *duration_us = sp_vec_i64(e->args[1]->literal)[0];
  if (slide_us) *slide_us = sp_vec_i64(e->args[2]->literal)[0];
  if (start_us) *start_us = sp_vec_i64(e->args[3]->literal)[0];
  return true;
}

bool sp_expr_as_window_time(const sp_expr *e, int *column) {
  /* The binder writes window_time(w) as timestamp_add_interval(w.end, -1 µs). */
  if (!e || e->kind != SP_EXPR_CALL || e->fn != SP_FN_TS_ADD_US || e->nargs != 2) return false;
  const sp_expr *f = e->args[0], *d = e->args[1];
  if (d->kind != SP_EXPR_LITERAL || !d->literal || sp_vec_is_null(d->literal, 0) || sp_vec_i64(d->literal)[0] != -1)
    return false;
  int col = -1;
  if (f->kind == SP_EXPR_COLUMN && f->npath == 1 && f->path[0] == 1) {
    col = f->column;
  } else if (f->kind == SP_EXPR_CALL && f->fn == SP_FN_GET_FIELD && f->nargs == 2 &&
             f->args[0]->kind == SP_EXPR_COLUMN && f->args[0]->npath == 0 && f->args[1]->kind == SP_EXPR_LITERAL &&
             f->args[1]->literal && !sp_vec_is_null(f->args[1]->literal, 0) &&
             sp_vec_i32(f->args[1]->literal)[0] == 1) {
    col = f->args[0]->column;
  } else {
    return false;
  }
  if (column) *column = col;
  return true;
}

bool sp_expr_has_sliding_window(const sp_expr *e) {
  if (!e) return false;
  int64_t d, s;
  if (sp_expr_as_window(e, NULL, &d, &s, NULL) && d != s) return true;
  for (int i = 0; i < e->nargs; i++)
    if (sp_expr_has_sliding_window(e->args[i])) return true;
  return false;
}

bool sp_expr_is_and(const sp_expr *e) { return e && e->kind == SP_EXPR_CALL && e->fn == SP_FN_AND && e->nargs == 2; }

bool sp_expr_is_eq(const sp_expr *e) { return e && e->kind == SP_EXPR_CALL && e->fn == SP_FN_EQ && e->nargs == 2; }

void sp_expr_column_range(const sp_expr *e, int *lo, int *hi) {
  if (!e) return;
  if (e->kind == SP_EXPR_COLUMN) {
    if (e->column < *lo) *lo = e->column;
    if (e->column > *hi) *hi = e->column;
  }
  for (int i = 0; i < e->nargs; i++) sp_expr_column_range(e->args[i], lo, hi);
}

void sp_expr_shift_columns(sp_expr *e, int delta) {
  if (!e) return;
  if (e->kind == SP_EXPR_COLUMN) e->column += delta;
  for (int i = 0; i < e->nargs; i++) sp_expr_shift_columns(e->args[i], delta);
}

/* col or col + INTERVAL literal (ts arithmetic binds to TS_ADD_US(col, µs)). */
static bool linear_time_(const sp_expr *e, int *col, int64_t *off) {
  if (e->kind == SP_EXPR_COLUMN && e->npath == 0 && e->type->id == SP_TIMESTAMP) {
    *col = e->column;
    *off = 0;
    return true;
  }
  if (e->kind == SP_EXPR_CALL && e->fn == SP_FN_TS_ADD_US && e->nargs == 2 && e->args[1]->kind == SP_EXPR_LITERAL &&
      e->args[1]->literal && !sp_vec_is_null(e->args[1]->literal, 0) && linear_time_(e->args[0], col, off)) {
    *off += sp_vec_i64(e->args[1]->literal)[0];
    return true;
  }
  return false;
}

bool sp_expr_time_compare(const sp_expr *e, int *a_col, int64_t *a_off, int *b_col, int64_t *b_off, int *cmp) {
  if (!e || e->kind != SP_EXPR_CALL || e->nargs != 2) return false;
  switch (e->fn) {
    case SP_FN_LT: *cmp = -2; break;
    case SP_FN_LE: *cmp = -1; break;
    case SP_FN_GE: *cmp = 1; break;
    case SP_FN_GT: *cmp = 2; break;
    default: return false;
  }
  return linear_time_(e->args[0], a_col, a_off) && linear_time_(e->args[1], b_col, b_off);
}
