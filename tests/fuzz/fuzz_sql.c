/*
 * fuzz_sql.c - libFuzzer target for job files: what `spate run` / `spate explain` do
 * with the text before any query starts. The input is a job file; it goes through
 * ${var} substitution (sp_substitute_vars, with the variables the examples use,
 * including ${file:schema}), the parser (sp_parse_script), the statements' effects on
 * a private conf and catalog (SET, CREATE TEMPORARY VIEW/TABLE), and for every
 * CREATE STREAMING QUERY the analyzer (sp_analyze: binding, source creation, column
 * pruning, event-time lineage), the output-mode rules and EXPLAIN rendering. The whole
 * input is also parsed as a DDL schema, an interval and one SQL expression.
 *
 * Sandbox: source `path` options are redirected into the target's mkdtemp directory
 * (a few small data files), PostgreSQL tables are never created (they connect at
 * analysis), no query is started and no sink is created (sinks open files, Kafka
 * producers, databases).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_common.h"
#include "plan/plan.h"
#include "runtime/conf.h"
#include "sql/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longer inputs only slow the parser down; nothing new is reachable past this. */
#define MAX_INPUT (64 * 1024)

static char in_dir_[4200], db_path_[4200], schema_path_[4200], out_dir_[4200], chk_dir_[4200];

static void setup_(void) {
  if (in_dir_[0]) return;
  const char *root = fz_root();
  char p[4300];
  snprintf(in_dir_, sizeof in_dir_, "%s/in", root);
  snprintf(out_dir_, sizeof out_dir_, "%s/out", root);
  snprintf(chk_dir_, sizeof chk_dir_, "%s/chk", root);
  snprintf(db_path_, sizeof db_path_, "%s/none.db", root); /* never created: sqlite opens read-only */
  snprintf(schema_path_, sizeof schema_path_, "%s/schema.avsc", root);
  mkdir(in_dir_, 0700);
  snprintf(p, sizeof p, "%s/k=1", in_dir_);
  mkdir(p, 0700);
  static const char json1[] =
      "{\"a\":1,\"b\":\"x\",\"t\":\"2024-01-01 00:00:00\",\"arr\":[1,2],\"s\":{\"c\":1.5}}\n"
      "{\"a\":2,\"b\":null,\"t\":\"2024-01-01 00:10:00\",\"arr\":[],\"s\":{\"c\":null}}\n";
  static const char json2[] = "{\"a\":\"bad\",\"value\":\"hello world\"}\n";
  snprintf(p, sizeof p, "%s/part-0.json", in_dir_);
  fz_write_file(p, json1, sizeof json1 - 1);
  snprintf(p, sizeof p, "%s/k=1/part-1.json", in_dir_);
  fz_write_file(p, json2, sizeof json2 - 1);
  static const char avsc[] =
      "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"long\"]},"
      "{\"name\":\"b\",\"type\":\"string\"}]}";
  fz_write_file(schema_path_, avsc, sizeof avsc - 1);
}

/* Point every path-like option of a source view/table at the sandbox. */
static void sandbox_stmt_(sp_ast_stmt *st) {
  bool sqlite = st->format && !strcasecmp(st->format, "sqlite");
  for (int i = 0; i < st->noptions; i++) {
    const char *k = st->options[i].key;
    if (!strcasecmp(k, "path") || !strcasecmp(k, "url") || !strcasecmp(k, "database"))
      st->options[i].value = sqlite ? db_path_ : in_dir_;
  }
}

static bool allowed_(const sp_ast_stmt *st) {
  /* PostgreSQL static tables connect while being created (analysis). */
  return !(st->format && (!strcasecmp(st->format, "postgres") || !strcasecmp(st->format, "postgresql") ||
                          !strcasecmp(st->format, "jdbc")));
}

static void run_script_(sp_ast_script *sc) {
  sp_conf conf;
  sp_catalog cat;
  sp_conf_init(&conf);
  sp_catalog_init(&cat);
  for (int i = 0; i < sc->nstmts; i++) {
    sp_ast_stmt *st = &sc->stmts[i];
    spate_error err;
    spate_error_clear(&err);
    switch (st->kind) {
      case SP_STMT_SET:
        if (st->set_key && *st->set_key) sp_conf_set(&conf, st->set_key, st->set_value ? st->set_value : "");
        break;
      case SP_STMT_SOURCE_VIEW:
        if (!allowed_(st)) break;
        sandbox_stmt_(st);
        sp_catalog_add(&cat, st, sc->text, &err);
        break;
      case SP_STMT_QUERY_VIEW:
        sp_catalog_add(&cat, st, sc->text, &err);
        break;
      case SP_STMT_START_QUERY: {
        sp_analyze_opts ao = {&cat, &conf};
        sp_plan *plan = NULL;
        if (sp_analyze(&ao, st->select, sc->text, &plan, &err)) break;
        sp_buf b;
        sp_buf_init(&b);
        sp_plan_explain(plan, &b);
        sp_buf_free(&b);
        const char *m = st->output_mode;
        sp_output_mode mode = !m || !strcasecmp(m, "append") ? SP_MODE_APPEND
                              : !strcasecmp(m, "update")     ? SP_MODE_UPDATE
                                                             : SP_MODE_COMPLETE;
        const sp_sink_vtab *vt = sp_sink_lookup(st->format ? st->format : "parquet");
        if (vt) sp_plan_check_output_mode(plan, mode, vt, &err);
        sp_plan_free(plan);
        break;
      }
    }
  }
  sp_catalog_release(&cat);
  sp_conf_release(&conf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_INPUT) return 0;
  setup_();
  char *text = fz_strndup(data, size);
  if (!text) return 0;
  spate_error err;
  spate_error_clear(&err);

  /* The whole input as a DDL schema, an interval and one expression. */
  sp_type *t = NULL;
  if (sp_parse_schema(text, &t, &err) == 0) sp_type_unref(t);
  int64_t us = 0;
  sp_parse_interval(text, &us, &err);
  sp_ast_script *holder = sp_ast_script_new();
  if (holder) {
    sp_ast_expr *e = NULL;
    sp_parse_expr(holder, text, &e, &err);
    sp_ast_script_free(holder);
  }

  /* The job file: variables first, as `spate run --var ...`; an input whose
   * substitution fails is still parsed as it is. */
  static const char *const names[] = {"input", "output", "checkpoint", "bootstrap", "db",
                                      "conninfo", "port", "schema", "topic"};
  const char *values[] = {in_dir_, out_dir_, chk_dir_, "127.0.0.1:9", db_path_, "host=/nonexistent", "9",
                          schema_path_, "t"};
  char *subst = NULL;
  const char *job = text;
  if (sp_substitute_vars(text, names, values, (int)(sizeof names / sizeof names[0]), &subst, &err) == 0) job = subst;
  sp_ast_script *sc = NULL;
  if (sp_parse_script(job, strlen(job), &sc, &err) == 0) {
    run_script_(sc);
    sp_ast_script_free(sc);
  }
  free(subst);
  free(text);
  return 0;
}
