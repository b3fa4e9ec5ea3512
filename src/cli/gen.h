/*
 * gen.h - `spate gen ...`: the command-line front end of the data generators
 * in src/source/gen_data.h.
 */
#ifndef SPATE_CLI_GEN_H
#define SPATE_CLI_GEN_H

/* Run `spate gen <kind> [options]`; argv[0] is "gen", argv[1] the generator
 * (invoices | words | ysb | seq) or --help. Prints usage/help to stdout and
 * errors to stderr. Returns the process exit status: 0 on success (and for
 * --help), 2 for bad arguments (the message names the argument), 1 when
 * generation fails (I/O error, target file exists, out of memory). */
int sp_cli_gen(int argc, char **argv);

#endif
