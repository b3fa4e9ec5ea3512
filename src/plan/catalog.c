/*
 * catalog.c - the session's temporary views (sources and named queries).
 * Views borrow their statements from parsed scripts that the session keeps alive.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/plan.h"
#include "sql/parser.h"

void sp_catalog_init(sp_catalog *c) { memset(c, 0, sizeof *c); }

void sp_catalog_release(sp_catalog *c) {
  for (int i = 0; i < c->n; i++) free(c->views[i].name);
  free(c->views);
  memset(c, 0, sizeof *c);
}

const sp_view *sp_catalog_find(const sp_catalog *c, const char *name) {
  for (int i = 0; i < c->n; i++)
    if (strcasecmp(c->views[i].name, name) == 0) return &c->views[i];
  return NULL;
}

int sp_catalog_add(sp_catalog *c, const sp_ast_stmt *stmt, const char *text, spate_error *err) {
  for (int i = 0; i < c->n; i++) {
    if (strcasecmp(c->views[i].name, stmt->name) == 0) {
      if (!stmt->or_replace)
        return sp_sql_error_at(err, SPATE_EANALYSIS, text, stmt->pos,
                               "[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the temporary view `%s` "
                               "because it already exists. Use CREATE OR REPLACE TEMPORARY VIEW to replace it.",
                               stmt->name);
      c->views[i].stmt = stmt;
      c->views[i].text = text;
      return 0;
    }
  }
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 8;
    sp_view *v = realloc(c->views, (size_t)cap * sizeof *v);
    if (!v) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
    c->views = v;
    c->cap = cap;
  }
  char *name = strdup(stmt->name);
  if (!name) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  c->views[c->n].name = name;
  c->views[c->n].stmt = stmt;
  c->views[c->n].text = text;
  c->n++;
  return 0;
}
