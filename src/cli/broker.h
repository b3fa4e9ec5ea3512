/*
 * broker.h - `spate broker`: an in-memory Kafka-protocol broker (librdkafka's
 * mock cluster) for development and tests; see broker.c.
 */
#ifndef SPATE_CLI_BROKER_H
#define SPATE_CLI_BROKER_H

/* Run `spate broker [options]`; argv[0] is "broker". Prints
 * `bootstrap.servers=...` as the first stdout line and runs until SIGINT/SIGTERM.
 * Returns the exit status: 0 (stopped by a signal, or --help), 2 for bad
 * arguments, 1 when the cluster cannot start. */
int sp_cli_broker(int argc, char **argv);

#endif
