/*
 * monitor_cli.h - what `spate run` shows while queries run (logs, the live
 * status lines, the --progress file) and the `spate status` command.
 */
#ifndef SPATE_CLI_MONITOR_CLI_H
#define SPATE_CLI_MONITOR_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "spate/spate.h"

enum { SP_LOG_ERROR = 0, SP_LOG_WARN = 1, SP_LOG_INFO = 2, SP_LOG_DEBUG = 3 };

/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int sp_cli_parse_log_level(const char *s);

typedef struct sp_cli_monitor sp_cli_monitor;

/* progress: file for one progress JSON per line, or NULL. quiet: no status lines.
 * Live status lines are drawn in place when stderr is a terminal, else one
 * key=value line per batch at info level. */
sp_cli_monitor *sp_cli_monitor_new(FILE *progress, bool quiet, int log_level);
/* The listener to register with the session (user = m). */
spate_listener sp_cli_monitor_listener(sp_cli_monitor *m);
/* Refresh the status messages of the live lines (call a few times a second). */
void sp_cli_monitor_tick(sp_cli_monitor *m, spate_session *s);
/* A query terminated with an exception. */
bool sp_cli_monitor_failed(sp_cli_monitor *m);
/* Leave the live lines on screen and free. */
void sp_cli_monitor_free(sp_cli_monitor *m);
/* Log a line on stderr (logfmt: ts=... level=... msg="..." plus kv, a preformatted
 * " key=value ..." suffix or NULL); secrets are redacted. m may be NULL (level info). */
void sp_cli_log(sp_cli_monitor *m, int level, const char *msg, const char *kv);

/* `spate status [--url URL] [--json]`. */
int sp_cli_status(int argc, char **argv);

#endif
