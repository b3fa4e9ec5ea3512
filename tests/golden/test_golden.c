/*
 * test_golden.c - data-driven streaming SQL tests (tests/golden/NAME.test).
 *
 * Each file gives a job, an output mode, and a sequence of micro-batches: the
 * JSON lines that arrive before the batch and the exact rows the sink must
 * receive in that batch. The runner defines the job's views (`${input}` is a
 * fresh directory), starts the view `result` through the public API with a
 * foreachBatch sink, and for each batch writes the input file atomically, waits
 * with processAllAvailable, and compares the batch's rows (rendered with
 * CAST-to-string rules, columns joined by '|', sorted) with the expectation.
 * A `== restart` line stops the query and starts it again on the same
 * checkpoint, so golden files also test recovery. Format: tests/golden/README.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arrow_export.h"
#include "common/buf.h"
#include "common/valfmt.h"
#include "spate/spate.h"
#include "testutil.h"

#define MAX_BATCHES 64

typedef struct golden {
  char *path;
  char *job;
  char *mode;
  char *error;                 /* expected error substring (job fails) */
  int trigger_once;            /* "== trigger once": each batch section is one Trigger.Once run */
  int nbatches;
  char *input[MAX_BATCHES];
  char *expect[MAX_BATCHES];
  int restart_before[MAX_BATCHES];
} golden;

/* Rows received per batch id (sorted text). */
typedef struct collected {
  sp_buf rows[MAX_BATCHES];
  int seen[MAX_BATCHES];
  int64_t last;                /* highest batch id delivered, -1 before any */
} collected;

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  sp_buf b;
  sp_buf_init(&b);
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) sp_buf_append(&b, tmp, n);
  fclose(f);
  return sp_buf_steal(&b);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sort the lines of a text block (the expectation or the collected rows). */
static int on_batch(void *user, int64_t batch_id, struct ArrowSchema *schema, struct ArrowArray *array) {
  collected *c = user;
  sp_batch *b = NULL;
  spate_error err;
  int rc = sp_arrow_import_batch(schema, array, &b, &err);
  array->release(array);
  schema->release(schema);
  if (rc) return rc;
  if (batch_id >= 0 && batch_id < MAX_BATCHES) {
    c->seen[batch_id] = 1;
    if (batch_id > c->last) c->last = batch_id;
    for (int64_t r = 0; r < b->nrows; r++) {
      for (int col = 0; col < b->ncols; col++) {
        if (col) sp_buf_putc(&c->rows[batch_id], '|');
        sp_format_value(b->cols[col], r, "UTC", true, &c->rows[batch_id]);
      }
      sp_buf_putc(&c->rows[batch_id], '\n');
    }
  }
  sp_batch_free(b);
  return 0;
}

/* Parse a .test file. Sections start with lines "== <name> [arg]". */
static void parse(golden *g, char *text) {
  memset(g, 0, sizeof *g);
  char *section = NULL;
  sp_buf cur;
  sp_buf_init(&cur);
  int pending_restart = 0;
  char *line = text;
  bool done = false;
  while (!done) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    done = nl == NULL;
    bool header = !strncmp(line, "== ", 3);
    if (header || done) {
      if (done && !header && section && *line) {
        sp_buf_puts(&cur, line);
        sp_buf_putc(&cur, '\n');
      }
      if (section) {
        char *body = sp_buf_steal(&cur);
        if (!strcmp(section, "job")) {
          g->job = body;
        } else if (!strcmp(section, "batch") && g->nbatches < MAX_BATCHES) {
          g->restart_before[g->nbatches] = pending_restart;
          pending_restart = 0;
          g->input[g->nbatches] = body;
        } else if (!strcmp(section, "expect") && g->nbatches < MAX_BATCHES) {
          g->expect[g->nbatches++] = body;
        } else if (!strcmp(section, "error")) {
          g->error = body;
        } else {
          free(body);
        }
        free(section);
        section = NULL;
      }
      if (header) {
        char *name = strdup(line + 3);
        char *arg = strchr(name, ' ');
        if (arg) *arg++ = '\0';
        if (!strcmp(name, "mode")) {
          g->mode = strdup(arg ? arg : "append");
          free(name);
        } else if (!strcmp(name, "trigger")) {
          g->trigger_once = arg && !strcmp(arg, "once");
          free(name);
        } else if (!strcmp(name, "restart")) {
          pending_restart = 1;
          free(name);
        } else {
          section = name;
        }
      }
    } else if (section) {
      sp_buf_puts(&cur, line);
      sp_buf_putc(&cur, '\n');
    }
    if (nl) line = nl + 1;
  }
  sp_buf_free(&cur);
  if (!g->mode) g->mode = strdup("append");
}

static void golden_free(golden *g) {
  free(g->job);
  free(g->mode);
  free(g->error);
  for (int i = 0; i < g->nbatches; i++) {
    free(g->input[i]);
    free(g->expect[i]);
  }
}

/* Write a batch section's rows as new files, atomically (temp + rename). A line
 * "@name {...}" goes to ${input}/name/ (a second input), others to ${input}/.
 * Returns how many lines were written. */
static int write_batch_(const char *dir, const char *input, const char *body, int b) {
  char *copy = strdup(body);
  char names[8][64];
  sp_buf bufs[9];
  int nnames = 0, lines = 0;
  for (int i = 0; i < 9; i++) sp_buf_init(&bufs[i]);
  for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    if (strspn(l, " \t") == strlen(l)) continue;
    int slot = 8;
    if (l[0] == '@') {
      char *sp = strchr(l, ' ');
      if (!sp) continue;
      *sp = 0;
      slot = -1;
      for (int k = 0; k < nnames; k++)
        if (!strcmp(names[k], l + 1)) slot = k;
      if (slot < 0 && nnames < 8) {
        snprintf(names[nnames], sizeof names[nnames], "%s", l + 1);
        slot = nnames++;
      }
      if (slot < 0) continue;
      l = sp + 1;
    }
    sp_buf_puts(&bufs[slot], l);
    sp_buf_putc(&bufs[slot], '\n');
    lines++;
  }
  for (int k = 0; k < 9; k++) {
    if (!bufs[k].len) continue;
    char sub[600], tmp[700], fin[700];
    if (k < 8)
      snprintf(sub, sizeof sub, "%s/%s", input, names[k]);
    else
      snprintf(sub, sizeof sub, "%s", input);
    mkdir(sub, 0700);
    snprintf(tmp, sizeof tmp, "%s/.batch-%03d-%d.tmp", dir, b, k);
    snprintf(fin, sizeof fin, "%s/batch-%03d.json", sub, b);
    FILE *f = fopen(tmp, "w");
    fputs(bufs[k].data, f);
    fclose(f);
    rename(tmp, fin);
  }
  for (int i = 0; i < 9; i++) sp_buf_free(&bufs[i]);
  free(copy);
  return lines;
}

/* Create ${input}/name for every "@name" any section uses (paths must exist at start). */
static void make_input_dirs_(const golden *g, const char *input) {
  for (int b = 0; b < g->nbatches; b++)
    for (const char *l = g->input[b]; l && (l = strchr(l, '@')); l++) {
      if (l != g->input[b] && l[-1] != '\n') continue;
      size_t n = strcspn(l + 1, " \n");
      char sub[700];
      snprintf(sub, sizeof sub, "%s/%.*s", input, (int)n, l + 1);
      mkdir(sub, 0700);
    }
}

static spate_query *start(spate_session *s, const golden *g, const char *chk, collected *c, spate_error *err) {
  spate_df *df = spate_session_table(s, "result", err);
  if (!df) return NULL;
  spate_writer *w = spate_df_write_stream(df);
  spate_df_free(df);
  spate_writer_output_mode(w, g->mode);
  spate_writer_checkpoint_location(w, chk);
  spate_writer_foreach_batch(w, on_batch, c);
  if (g->trigger_once) spate_writer_trigger_once(w);
  return spate_writer_start(w, err);
}

static void run_golden(const char *path) {
  char *text = slurp(path);
  assert_non_null(text);
  golden g;
  parse(&g, text);
  free(text);
  print_message("golden: %s (%d batches, mode %s)\n", path, g.nbatches, g.mode);
  char dir[] = "/tmp/spate-golden-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char input[512], chk[512];
  snprintf(input, sizeof input, "%s/input", dir);
  snprintf(chk, sizeof chk, "%s/chk", dir);
  mkdir(input, 0700);
  make_input_dirs_(&g, input);
  const char *names[] = {"input"};
  const char *values[] = {input};
  char *job = NULL;
  spate_error err;
  spate_error_clear(&err);
  assert_int_equal(spate_substitute_vars(g.job, names, values, 1, &job, &err), 0);
  spate_session *s = spate_session_new(&err);
  assert_non_null(s);
  collected *c = calloc(1, sizeof *c);
  c->last = -1;
  int rc = spate_sql(s, job, &err);
  spate_query *q = NULL;
  if (!rc) q = start(s, &g, chk, c, &err);
  if (g.error) {
    /* Every non-empty line of the section must occur in the message. */
    if (q) fail_msg("%s: expected an error containing '%s' but the query started", path, g.error);
    for (char *save = NULL, *want = strtok_r(g.error, "\n", &save); want; want = strtok_r(NULL, "\n", &save))
      if (*want && !strstr(err.message, want))
        fail_msg("%s: expected error containing '%s', got: %s", path, want, err.message);
  } else {
    if (!q) fail_msg("%s: cannot start: %s", path, err.message);
    if (g.trigger_once) {
      /* The first Trigger.Once run started above found no input: it ran nothing. */
      spate_query_await_termination(q, -1, &err);
      spate_query_stop(q);
    }
    for (int b = 0; b < g.nbatches && g.trigger_once; b++) {
      /* Each section: its input file (none for a blank section), then one Trigger.Once
       * run; the expectation is every row of the batches that run produced (a
       * no-data batch when the watermark moved and nothing arrived). */
      write_batch_(dir, input, g.input[b], b);
      int64_t first = c->last + 1;
      q = start(s, &g, chk, c, &err);
      if (!q) fail_msg("%s: Trigger.Once run %d failed to start: %s", path, b, err.message);
      spate_query_await_termination(q, -1, &err);
      if (spate_query_exception(q, &err)) fail_msg("%s: batch %d failed: %s", path, b, err.message);
      spate_query_stop(q);
      sp_buf all;
      sp_buf_init(&all);
      for (int64_t id = first; id <= c->last && id < MAX_BATCHES; id++)
        if (c->rows[id].data) sp_buf_puts(&all, c->rows[id].data);
      char *want = tu_sorted_lines(g.expect[b]);
      char *got = tu_sorted_lines(all.data);
      sp_buf_free(&all);
      if (strcmp(want, got) != 0) {
        fprintf(stderr, "%s: section %d (batches %lld..%lld)\n--- expected\n%s--- got\n%s", path, b,
                (long long)first, (long long)c->last, want, got);
        fail_msg("%s: section %d: rows differ (see above)", path, b);
      }
      free(want);
      free(got);
    }
    for (int b = 0; b < g.nbatches && !g.trigger_once; b++) {
      if (g.restart_before[b]) {
        spate_query_stop(q);
        q = start(s, &g, chk, c, &err);
        if (!q) fail_msg("%s: restart before batch %d failed: %s", path, b, err.message);
      }
      /* The section's rows: every batch run while it is processed (a data batch, and
       * a no-data batch after it when the watermark moved). */
      int64_t first = c->last + 1;
      int lines = write_batch_(dir, input, g.input[b], b);
      if (spate_query_process_all_available(q, &err)) fail_msg("%s: batch %d failed: %s", path, b, err.message);
      if (lines && c->last < first) fail_msg("%s: batch %d never reached the sink", path, b);
      sp_buf all;
      sp_buf_init(&all);
      for (int64_t id = first; id <= c->last && id < MAX_BATCHES; id++)
        if (c->rows[id].data) sp_buf_puts(&all, c->rows[id].data);
      char *want = tu_sorted_lines(g.expect[b]);
      char *got = tu_sorted_lines(all.data);
      sp_buf_free(&all);
      if (strcmp(want, got) != 0) {
        /* Printed in full here: cmocka truncates long failure messages. */
        fprintf(stderr, "%s: section %d (batches %lld..%lld)\n--- expected\n%s--- got\n%s", path, b,
                (long long)first, (long long)c->last, want, got);
        fail_msg("%s: section %d: rows differ (see above)", path, b);
      }
      free(want);
      free(got);
    }
    spate_query_stop(q);
    if (spate_query_exception(q, &err)) fail_msg("%s: query failed: %s", path, err.message);
  }
  spate_session_free(s);
  for (int b = 0; b < MAX_BATCHES; b++) sp_buf_free(&c->rows[b]);
  free(c);
  free(job);
  golden_free(&g);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) print_message("could not remove %s\n", dir);
}

static void test_all_golden_files(void **state) {
  (void)state;
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/golden", SPATE_SOURCE_DIR);
  DIR *d = opendir(dir);
  assert_non_null(d);
  /* SPATE_GOLDEN=substring runs only the matching files (for debugging one file). */
  const char *only = getenv("SPATE_GOLDEN");
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) {
    size_t l = strlen(e->d_name);
    if (l > 5 && !strcmp(e->d_name + l - 5, ".test") && (!only || strstr(e->d_name, only)))
      names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  assert_true(n > 0);
  for (int i = 0; i < n; i++) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    run_golden(path);
    free(names[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_all_golden_files)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
