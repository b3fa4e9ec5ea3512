/*
 * main.c - the `spate` command line. A client of the public API only
 * (include/spate/spate.h), as curl's tool is of libcurl.
 *
 *   spate run JOB.sql [--var NAME=VALUE]... [--trigger SPEC] [--progress FILE] [--quiet]
 *                     [--log-level error|warn|info|debug] [--ui [HOST:]PORT]
 *   spate status [--url http://HOST:PORT]
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
#include "cli/monitor_cli.h"
#include "cli/verify.h"
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
          "  spate explain --analyze JOB.sql  run what is available now, then print each plan with\n"
          "                                   the state its stateful operators hold\n"
          "  spate gen KIND [options]         write generated data (invoices, words, ysb, seq)\n"
          "  spate verify OUT_DIR [options]   check a file sink's records exactly once (see verify --help)\n"
          "  spate status [--url URL]         print the queries of a `spate run --ui` process\n"
          "  spate broker [options]           run an in-memory Kafka broker for development and tests\n"
          "                                   (--partitions N, --topic NAME[:PARTITIONS]; see broker --help)\n"
          "  spate --help | --version\n"
          "\n"
          "Options for run/explain:\n"
          "  --var NAME=VALUE        set ${NAME} in the job file (repeatable)\n"
          "  --trigger SPEC          override every query's trigger: available-now, once,\n"
          "                          or processing-time:<interval> (e.g. processing-time:'10 seconds')\n"
          "  --progress FILE         append each StreamingQueryProgress as one JSON line to FILE\n"
          "  --quiet                 no live status / per-batch lines on stderr\n"
          "  --log-level LEVEL       error, warn, info (default) or debug; logs go to stderr\n"
          "  --ui [HOST:]PORT        serve the monitoring page, /api/queries and /metrics on\n"
          "                          HOST:PORT (default host 127.0.0.1; see docs/monitoring.md)\n"
          "\n"
          "The job language is Spark SQL plus CREATE TEMPORARY VIEW ... USING <source> and\n"
          "CREATE STREAMING QUERY ... USING <sink>; see docs/sql.md. Examples: examples/*.sql\n",
          SPATE_VERSION);
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
  const char *ui;
  int log_level; /* -1: not given */
  bool quiet;
  bool analyze;  /* explain --analyze */
  int nvars;
  const char **names, **values;
} job_args;

static int parse_job_args_(int argc, char **argv, job_args *a) {
  memset(a, 0, sizeof *a);
  a->log_level = -1;
  a->names = calloc((size_t)argc + 1, sizeof *a->names);
  a->values = calloc((size_t)argc + 1, sizeof *a->values);
  if (!a->names || !a->values) return 2;
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "--var") || !strcmp(arg, "--trigger") || !strcmp(arg, "--progress") || !strcmp(arg, "--ui") ||
        !strcmp(arg, "--log-level")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "spate: %s needs a value\n", arg);
        return 2;
      }
      const char *v = argv[++i];
      if (!strcmp(arg, "--trigger")) {
        a->trigger = v;
      } else if (!strcmp(arg, "--ui")) {
        a->ui = v;
      } else if (!strcmp(arg, "--log-level")) {
        a->log_level = sp_cli_parse_log_level(v);
        if (a->log_level < 0) {
          fprintf(stderr, "spate: --log-level expects error, warn, info or debug, got '%s'\n", v);
          return 2;
        }
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
    } else if (!strncmp(arg, "--var=", 6) || !strncmp(arg, "--trigger=", 10) || !strncmp(arg, "--progress=", 11) ||
               !strncmp(arg, "--ui=", 5) || !strncmp(arg, "--log-level=", 12)) {
      char *eq = strchr(arg, '=');
      char *opt = strndup(arg, (size_t)(eq - arg));
      char *val = eq + 1;
      char *fake[] = {argv[0], argv[1], opt, val};
      job_args sub;
      int rc = parse_job_args_(4, fake, &sub);
      if (!rc) {
        if (sub.trigger) a->trigger = sub.trigger;
        if (sub.progress) a->progress = sub.progress;
        if (sub.ui) a->ui = sub.ui;
        if (sub.log_level >= 0) a->log_level = sub.log_level;
        for (int k = 0; k < sub.nvars; k++) {
          a->names[a->nvars] = sub.names[k];
          a->values[a->nvars++] = sub.values[k];
        }
      }
      free(sub.names);
      free(sub.values);
      free(opt);
      if (rc) return rc;
    } else if (!strcmp(arg, "--analyze")) {
      a->analyze = true;
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
  bool analyze = explain && a.analyze;
  if (analyze) {
    /* Run what is available now, then print each plan with its state. */
    if (!a.trigger) a.trigger = "available-now";
    a.quiet = true;
  }
  if (explain && !analyze) {
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
  FILE *progress = NULL;
  if (a.progress) {
    progress = fopen(a.progress, "a");
    if (!progress) {
      fprintf(stderr, "spate: cannot open progress file %s: %s\n", a.progress, strerror(errno));
      status = 1;
      goto out;
    }
  }
  /* --quiet lowers the default level to warn; an explicit --log-level wins. */
  int level = a.log_level >= 0 ? a.log_level : (a.quiet ? SP_LOG_WARN : SP_LOG_INFO);
  sp_cli_monitor *mon = sp_cli_monitor_new(progress, a.quiet, level);
  spate_ui *ui = NULL;
  if (!mon) {
    fprintf(stderr, "spate: out of memory\n");
    status = 1;
    goto out_progress;
  }
  spate_listener l = sp_cli_monitor_listener(mon);
  spate_session_add_listener(s, &l, &err);
  if (a.trigger && spate_conf_set(s, "spate.trigger.override", a.trigger, &err)) {
    fprintf(stderr, "spate: %s\n", err.message);
    status = 2;
    goto out_progress;
  }
  if (a.ui) {
    /* [HOST:]PORT, HOST may be [v6]. */
    char host[256] = "";
    const char *port = a.ui;
    const char *colon = strrchr(a.ui, ':');
    if (colon) {
      const char *h = a.ui;
      size_t hl = (size_t)(colon - a.ui);
      if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
      }
      snprintf(host, sizeof host, "%.*s", (int)(hl < sizeof host ? hl : sizeof host - 1), h);
      port = colon + 1;
    }
    char *end = NULL;
    long pn = strtol(port, &end, 10);
    if (!*port || *end || pn < 0 || pn > 65535) {
      fprintf(stderr, "spate: --ui expects [HOST:]PORT, got '%s'\n", a.ui);
      status = 2;
      goto out_progress;
    }
    ui = spate_ui_start(s, host[0] ? host : NULL, (int)pn, &err);
    if (!ui) {
      fprintf(stderr, "spate: --ui %s: %s\n", a.ui, err.message);
      status = 1;
      goto out_progress;
    }
    char kv[600];
    bool v6 = strchr(host, ':') != NULL;
    snprintf(kv, sizeof kv, " url=http://%s%s%s:%d/", v6 ? "[" : "", host[0] ? host : "127.0.0.1", v6 ? "]" : "",
             spate_ui_port(ui));
    sp_cli_log(mon, SP_LOG_INFO, "monitoring UI listening", kv);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal_;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (spate_sql(s, text, &err)) {
    char *safe = spate_redact_secrets(err.message);
    fprintf(stderr, "spate: %s: %s\n", a.file, safe ? safe : err.message);
    free(safe);
    status = 1;
    spate_session_stop_all(s);
    goto out_progress;
  }
  spate_query *qs[64];
  /* Wait until every query has terminated, stopping them on a signal. */
  for (;;) {
    if (g_stop_signal) {
      char kv[32];
      snprintf(kv, sizeof kv, " signal=%d", (int)g_stop_signal);
      sp_cli_log(mon, SP_LOG_INFO, "stopping queries gracefully", kv);
      spate_session_stop_all(s);
      break;
    }
    if (spate_session_active(s, qs, 64) == 0) break;
    spate_query_await_termination(qs[0], 200, NULL);
    sp_cli_monitor_tick(mon, s);
  }
  status = sp_cli_monitor_failed(mon) ? 1 : 0;
  if (analyze) {
    spate_session_stop_all(s);
    int nq = spate_session_queries(s, qs, 64);
    for (int i = 0; i < nq && i < 64; i++) {
      char *plan = spate_query_explain(qs[i]);
      const char *nm = spate_query_name(qs[i]);
      printf("== Query %d: %s ==\n%s\n", i + 1, nm ? nm : spate_query_id(qs[i]), plan ? plan : "");
      free(plan);
    }
  }
out_progress:
  /* Queries first (their callbacks use mon), then the server, then the monitor. */
  spate_session_stop_all(s);
  spate_ui_stop(ui);
  if (mon && sp_cli_monitor_failed(mon)) status = 1;
  sp_cli_monitor_free(mon);
  if (progress) fclose(progress);
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
  if (!strcmp(argv[1], "status")) return sp_cli_status(argc - 1, argv + 1);
  if (!strcmp(argv[1], "verify")) return sp_cli_verify(argc - 1, argv + 1);
  fprintf(stderr, "spate: unknown command '%s' (see spate --help)\n", argv[1]);
  return 2;
}
