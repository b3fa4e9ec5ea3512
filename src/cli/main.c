/*
 * main.c - the `spate` command line. A client of the public API only
 * (include/spate/spate.h), as curl's tool is of libcurl.
 *
 *   spate run JOB.sql [--var NAME=VALUE]... [--trigger SPEC] [--progress FILE] [--quiet]
 *   spate explain JOB.sql [--var NAME=VALUE]...
 *   spate gen invoices|words|ysb|seq ...
 *   spate broker [--partitions N] [--topic NAME[:PARTITIONS]]...
 *
 * `run` starts every CREATE STREAMING QUERY of the job concurrently and returns
 * when all have terminated. SIGINT/SIGTERM stop the queries gracefully (the batch
 * in flight finishes and commits) and exit 0. A failed query prints its error
 * and makes the exit status 1. Usage errors exit 2.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/broker.h"
#include "cli/gen.h"
#include "spate/spate.h"

static volatile sig_atomic_t g_stop_signal = 0;

static void on_signal_(int sig) { g_stop_signal = sig; }

static void usage_(FILE *f) {
  fprintf(f,
          "spate %s - stream processing with Spark Structured Streaming semantics\n"
          "\n"
          "Usage:\n"
          "  spate run JOB.sql [options]      run every streaming query in a job file\n"
          "  spate explain JOB.sql [options]  print the plan of each query without running it\n"
          "  spate gen KIND [options]         write generated data (invoices, words, ysb, seq)\n"
          "  spate broker [options]           run an in-memory Kafka broker for development and tests\n"
          "                                   (--partitions N, --topic NAME[:PARTITIONS]; see broker --help)\n"
          "  spate --help | --version\n"
          "\n"
          "Options for run/explain:\n"
          "  --var NAME=VALUE        set ${NAME} in the job file (repeatable)\n"
          "  --trigger SPEC          override every query's trigger: available-now, once,\n"
          "                          or processing-time:<interval> (e.g. processing-time:'10 seconds')\n"
          "  --progress FILE         append each StreamingQueryProgress as one JSON line to FILE\n"
          "  --quiet                 no per-batch progress lines on stderr\n"
          "\n"
          "The job language is Spark SQL plus CREATE TEMPORARY VIEW ... USING <source> and\n"
          "CREATE STREAMING QUERY ... USING <sink>; see docs/sql.md. Examples: examples/*.sql\n",
          SPATE_VERSION);
}

typedef struct cli_listener {
  FILE *progress;
  bool quiet;
  pthread_mutex_t mu;
  volatile int failed; /* a query terminated with an exception */
} cli_listener;

static void on_started_(void *user, const char *id, const char *run_id, const char *name) {
  cli_listener *c = user;
  if (c->quiet) return;
  fprintf(stderr, "spate: query %s started (id=%s, runId=%s)\n", name ? name : "(unnamed)", id, run_id);
}

/* Pull a top-level integer field out of the progress JSON for the status line. */
static long long json_int_(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static void on_progress_(void *user, const char *json) {
  cli_listener *c = user;
  pthread_mutex_lock(&c->mu);
  if (c->progress) {
    fputs(json, c->progress);
    fputc('\n', c->progress);
    fflush(c->progress);
  }
  if (!c->quiet)
    fprintf(stderr, "spate: batch %lld: %lld input rows in %lld ms\n", json_int_(json, "batchId"),
            json_int_(json, "numInputRows"), json_int_(json, "batchDuration"));
  pthread_mutex_unlock(&c->mu);
}

static void on_terminated_(void *user, const char *id, const char *run_id, const char *exception) {
  cli_listener *c = user;
  if (exception) {
    c->failed = 1;
    fprintf(stderr, "spate: query %s terminated with exception:\n%s\n", id, exception);
  }
  else if (!c->quiet)
    fprintf(stderr, "spate: query %s (runId=%s) stopped\n", id, run_id);
}

static char *read_file_(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t n = fread(buf + len, 1, cap - len - 1, f);
    len += n;
    if (n == 0) break;
    if (len + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

typedef struct job_args {
  const char *file;
  const char *trigger;
  const char *progress;
  bool quiet;
  int nvars;
  const char **names, **values;
} job_args;

static int parse_job_args_(int argc, char **argv, job_args *a) {
  memset(a, 0, sizeof *a);
  a->names = calloc((size_t)argc + 1, sizeof *a->names);
  a->values = calloc((size_t)argc + 1, sizeof *a->values);
  if (!a->names || !a->values) return 2;
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "--var") || !strcmp(arg, "--trigger") || !strcmp(arg, "--progress")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "spate: %s needs a value\n", arg);
        return 2;
      }
      const char *v = argv[++i];
      if (!strcmp(arg, "--trigger")) {
        a->trigger = v;
      } else if (!strcmp(arg, "--progress")) {
        a->progress = v;
      } else {
        char *eq = strchr(v, '=');
        if (!eq || eq == v) {
          fprintf(stderr, "spate: --var expects NAME=VALUE, got '%s'\n", v);
          return 2;
        }
        *eq = '\0';
        a->names[a->nvars] = v;
        a->values[a->nvars++] = eq + 1;
      }
    } else if (!strncmp(arg, "--var=", 6) || !strncmp(arg, "--trigger=", 10) || !strncmp(arg, "--progress=", 11)) {
      char *eq = strchr(arg, '=');
      char *opt = strndup(arg, (size_t)(eq - arg));
      char *val = eq + 1;
      char *fake[] = {argv[0], argv[1], opt, val};
      job_args sub;
      int rc = parse_job_args_(4, fake, &sub);
      if (!rc) {
        if (sub.trigger) a->trigger = sub.trigger;
        if (sub.progress) a->progress = sub.progress;
        for (int k = 0; k < sub.nvars; k++) {
          a->names[a->nvars] = sub.names[k];
          a->values[a->nvars++] = sub.values[k];
        }
      }
      free(sub.names);
      free(sub.values);
      free(opt);
      if (rc) return rc;
    } else if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q")) {
      a->quiet = true;
    } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      usage_(stdout);
      return 1;
    } else if (arg[0] == '-' && arg[1]) {
      fprintf(stderr, "spate: unknown option '%s' (see spate --help)\n", arg);
      return 2;
    } else if (!a->file) {
      a->file = arg;
    } else {
      fprintf(stderr, "spate: unexpected argument '%s' (one job file per run)\n", arg);
      return 2;
    }
  }
  if (!a->file) {
    fprintf(stderr, "spate: %s needs a job file (see spate --help)\n", argv[1]);
    return 2;
  }
  return 0;
}

/* Load the job text with variables substituted; NULL after printing an error. */
static char *load_job_(const job_args *a) {
  char *raw = read_file_(a->file);
  if (!raw) {
    fprintf(stderr, "spate: cannot read job file %s: %s\n", a->file, strerror(errno));
    return NULL;
  }
  char *text = NULL;
  spate_error err;
  spate_error_clear(&err);
  if (spate_substitute_vars(raw, a->names, a->values, a->nvars, &text, &err)) {
    fprintf(stderr, "spate: %s: %s\n", a->file, err.message);
    free(raw);
    return NULL;
  }
  free(raw);
  return text;
}

static int cmd_run_(int argc, char **argv, bool explain) {
  job_args a;
  int rc = parse_job_args_(argc, argv, &a);
  if (rc) {
    free(a.names);
    free(a.values);
    return rc == 1 ? 0 : rc;
  }
  char *text = load_job_(&a);
  if (!text) {
    free(a.names);
    free(a.values);
    return 1;
  }
  spate_error err;
  spate_error_clear(&err);
  spate_session *s = spate_session_new(&err);
  if (!s) {
    fprintf(stderr, "spate: %s\n", err.message);
    free(text);
    return 1;
  }
  int status = 0;
  if (explain) {
    char *plan = spate_explain_sql(s, text, &err);
    if (!plan) {
      fprintf(stderr, "spate: %s: %s\n", a.file, err.message);
      status = 1;
    } else {
      fputs(plan, stdout);
      free(plan);
    }
    goto out;
  }
  cli_listener cl = {NULL, a.quiet, PTHREAD_MUTEX_INITIALIZER, 0};
  if (a.progress) {
    cl.progress = fopen(a.progress, "a");
    if (!cl.progress) {
      fprintf(stderr, "spate: cannot open progress file %s: %s\n", a.progress, strerror(errno));
      status = 1;
      goto out;
    }
  }
  spate_listener l = {&cl, on_started_, on_progress_, on_terminated_};
  spate_session_add_listener(s, &l, &err);
  if (a.trigger && spate_conf_set(s, "spate.trigger.override", a.trigger, &err)) {
    fprintf(stderr, "spate: %s\n", err.message);
    status = 2;
    goto out_progress;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal_;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (spate_sql(s, text, &err)) {
    fprintf(stderr, "spate: %s: %s\n", a.file, err.message);
    status = 1;
    spate_session_stop_all(s);
    goto out_progress;
  }
  spate_query *qs[64];
  /* Wait until every query has terminated, stopping them on a signal. */
  for (;;) {
    if (g_stop_signal) {
      if (!a.quiet) fprintf(stderr, "spate: signal %d: stopping queries gracefully\n", (int)g_stop_signal);
      spate_session_stop_all(s);
      break;
    }
    if (spate_session_active(s, qs, 64) == 0) break;
    spate_query_await_termination(qs[0], 200, NULL);
  }
  status = cl.failed ? 1 : 0;
out_progress:
  if (cl.progress) fclose(cl.progress);
out:
  spate_session_free(s);
  free(text);
  free(a.names);
  free(a.values);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage_(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("spate %s\n", SPATE_VERSION);
    return 0;
  }
  if (!strcmp(argv[1], "run")) return cmd_run_(argc, argv, false);
  if (!strcmp(argv[1], "explain")) return cmd_run_(argc, argv, true);
  if (!strcmp(argv[1], "gen")) return sp_cli_gen(argc - 1, argv + 1);
  if (!strcmp(argv[1], "broker")) return sp_cli_broker(argc - 1, argv + 1);
  fprintf(stderr, "spate: unknown command '%s' (see spate --help)\n", argv[1]);
  return 2;
}
