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

bool sp_expr_has_sliding_window(const sp_expr *e) {
  if (!e) return false;
  int64_t d, s;
  if (sp_expr_as_window(e, NULL, &d, &s, NULL) && d != s) return true;
  for (int i = 0; i < e->nargs; i++)
    if (sp_expr_has_sliding_window(e->args[i])) return true;
  return false;
}
