/*
 * verify.h - `spate verify`: the exactly-once oracle for file sinks
 * (docs/fault-tolerance.md).
 */
#ifndef SPATE_CLI_VERIFY_H
#define SPATE_CLI_VERIFY_H

/* Run `spate verify OUTPUT_DIR [options]`; argv[0] is "verify". Returns the process
 * exit status: 0 when every expectation holds, 1 on a mismatch or an unreadable /
 * inconsistent sink, 2 for bad arguments. */
int sp_cli_verify(int argc, char **argv);

#endif
