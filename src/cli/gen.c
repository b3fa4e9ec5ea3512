/*
 * gen.c - `spate gen`: parses arguments into an sp_gen_spec and runs
 * sp_gen_run() (src/source/gen_data.c holds all generator logic).
 *
 * Invariants: every option takes one value, given as "--opt VALUE" or
 * "--opt=VALUE"; each subcommand accepts only its own options; any bad argument
 * prints "spate gen <kind>: ..." naming the argument and returns 2 before
 * anything is generated.
 */
#include "cli/gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/gen_data.h"

enum {
  OPT_OUT,
  OPT_FILES,
  OPT_PER_FILE,
  OPT_SEED,
  OPT_LINES,
  OPT_EVENTS,
  OPT_ADS,
  OPT_CAMPAIGNS,
  OPT_CAMPAIGNS_OUT,
  OPT_START,
  OPT_FIRST_FILE,
  OPT_COUNT
};

static const char *const OPT_NAMES[OPT_COUNT] = {
    "--out", "--files", "--per-file", "--seed", "--lines", "--events",
    "--ads", "--campaigns", "--campaigns-out", "--start", "--first-file",
};

typedef struct gen_cmd {
  const char *name;
  sp_gen_data_kind kind;
  unsigned allowed;  /* bit per OPT_* */
  unsigned required; /* bit per OPT_* */
  const char *usage;
} gen_cmd;

#define BIT(o) (1u << (o))

static const gen_cmd CMDS[] = {
    {"invoices", SP_GEN_DATA_INVOICES,
     BIT(OPT_OUT) | BIT(OPT_FILES) | BIT(OPT_PER_FILE) | BIT(OPT_SEED) | BIT(OPT_FIRST_FILE),
     BIT(OPT_FILES) | BIT(OPT_PER_FILE),
     "usage: spate gen invoices --files N --per-file M [--out DIR|-] [--seed S] [--first-file I]\n"
     "\n"
     "Invoice JSON lines shaped like the Spark course's file-stream demo\n"
     "(InvoiceNumber, CreatedTime, StoreID, ..., DeliveryAddress, InvoiceLineItems).\n"
     "\n"
     "  --out DIR         write N files DIR/invoices-NNNNN.json (DIR is created; each file\n"
     "                    appears atomically); '-' or no --out: N*M lines to stdout\n"
     "  --files N         number of files (>= 1)\n"
     "  --per-file M      invoices per file (>= 0)\n"
     "  --seed S          random seed (default 42); the same seed gives identical bytes\n"
     "  --first-file I    number of the first file name (default 0)\n"},
    {"words", SP_GEN_DATA_WORDS, BIT(OPT_OUT) | BIT(OPT_LINES) | BIT(OPT_SEED), BIT(OPT_LINES),
     "usage: spate gen words --lines N [--out FILE|-] [--seed S]\n"
     "\n"
     "Lines of 1-10 space-separated words from a small vocabulary (for word count).\n"
     "\n"
     "  --lines N         number of lines (>= 0)\n"
     "  --out FILE        write FILE (atomically replaced); '-' or no --out: stdout\n"
     "  --seed S          random seed (default 42)\n"},
    {"ysb", SP_GEN_DATA_YSB,
     BIT(OPT_OUT) | BIT(OPT_FILES) | BIT(OPT_EVENTS) | BIT(OPT_ADS) | BIT(OPT_CAMPAIGNS) |
         BIT(OPT_CAMPAIGNS_OUT) | BIT(OPT_SEED) | BIT(OPT_FIRST_FILE),
     BIT(OPT_EVENTS),
     "usage: spate gen ysb --events N [--out DIR|- [--files F]] [--ads 1000] [--campaigns 100]\n"
     "                     [--campaigns-out FILE] [--seed S] [--first-file I]\n"
     "\n"
     "Yahoo Streaming Benchmark events as JSON lines:\n"
     "  {\"user_id\":\"<uuid>\",\"page_id\":\"<uuid>\",\"ad_id\":\"<uuid>\",\"ad_type\":\"banner|modal|\n"
     "   sponsored-search|mail|mobile\",\"event_type\":\"view|click|purchase\",\n"
     "   \"event_time\":\"<epoch ms>\",\"ip_address\":\"1.2.3.4\"}\n"
     "event_time starts at 1700000000000 and grows by 1 ms per event.\n"
     "\n"
     "  --events N        total number of events (>= 0)\n"
     "  --out DIR         split the events over F files DIR/ysb-NNNNN.json (atomic);\n"
     "                    '-' or no --out: stdout\n"
     "  --files F         number of files with --out DIR (default 1)\n"
     "  --ads A           size of the ad_id pool (default 1000)\n"
     "  --campaigns C     number of campaigns, 1..A (default 100, at most A)\n"
     "  --campaigns-out FILE  also write the ad_id,campaign_id mapping as CSV with a header\n"
     "  --seed S          random seed (default 42)\n"
     "  --first-file I    number of the first file name (default 0)\n"},
    {"seq", SP_GEN_DATA_SEQ,
     BIT(OPT_OUT) | BIT(OPT_FILES) | BIT(OPT_PER_FILE) | BIT(OPT_START) | BIT(OPT_FIRST_FILE),
     BIT(OPT_FILES) | BIT(OPT_PER_FILE),
     "usage: spate gen seq --files N --per-file M [--out DIR|-] [--start K] [--first-file I]\n"
     "\n"
     "JSON lines {\"seq\":K}, {\"seq\":K+1}, ... with consecutive numbers (exactly-once tests).\n"
     "\n"
     "  --out DIR         write N files DIR/seq-NNNNN.json, each renamed into DIR atomically;\n"
     "                    '-' or no --out: N*M lines to stdout\n"
     "  --files N         number of files (>= 1)\n"
     "  --per-file M      numbers per file (>= 0)\n"
     "  --start K         first number (default 0)\n"
     "  --first-file I    number of the first file name (default K / M, so a run with\n"
     "                    --start 300 --per-file 100 continues at seq-00003.json)\n"},
};
#define N_CMDS ((int)(sizeof CMDS / sizeof CMDS[0]))

static void print_main_usage(FILE *f) {
  fputs("usage: spate gen <generator> [options]\n"
        "\n"
        "Deterministic test-data generators (same --seed, same bytes).\n"
        "\n"
        "generators:\n"
        "  invoices   invoice JSON lines like the Spark course's file-stream demo\n"
        "  words      lines of space-separated words\n"
        "  ysb        Yahoo Streaming Benchmark events (JSON lines) and ad->campaign CSV\n"
        "  seq        {\"seq\":K} lines with consecutive numbers\n"
        "\n"
        "Run 'spate gen <generator> --help' for the options of each generator.\n"
        "Exit status: 0 ok, 1 generation failed, 2 bad arguments.\n",
        f);
}

static int bad_arg(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_arg(const char *cmd, const char *fmt, ...) {
  fprintf(stderr, "spate gen%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nRun 'spate gen%s%s --help' for usage.\n", cmd ? " " : "", cmd ? cmd : "");
  return 2;
}

/* Parse a whole decimal integer in [lo, hi]. */
static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  if (!*s) return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || end == s || v < lo || v > hi) return false;
  *out = (int64_t)v;
  return true;
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!*s || *s == '-' || *s == '+' || *s == ' ') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s) return false;
  *out = (uint64_t)v;
  return true;
}

int sp_cli_gen(int argc, char **argv) {
  if (argc < 2) {
    print_main_usage(stderr);
    return 2;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
    print_main_usage(stdout);
    return 0;
  }
  const gen_cmd *cmd = NULL;
  for (int i = 0; i < N_CMDS; i++)
    if (!strcmp(sub, CMDS[i].name)) cmd = &CMDS[i];
  if (!cmd) {
    return bad_arg(NULL, "unknown generator '%s' (expected invoices, words, ysb or seq)", sub);
  }

  const char *vals[OPT_COUNT] = {0};
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(cmd->usage, stdout);
      return 0;
    }
    int opt = -1;
    const char *val = NULL;
    for (int o = 0; o < OPT_COUNT; o++) {
      size_t n = strlen(OPT_NAMES[o]);
      if (!strncmp(a, OPT_NAMES[o], n) && (a[n] == '\0' || a[n] == '=')) {
        opt = o;
        val = a[n] == '=' ? a + n + 1 : NULL;
        break;
      }
    }
    if (opt < 0 || !(cmd->allowed & BIT(opt)))
      return bad_arg(cmd->name, "unknown argument '%s'", a);
    if (!val) {
      if (i + 1 >= argc) return bad_arg(cmd->name, "missing value for %s", OPT_NAMES[opt]);
      val = argv[++i];
    }
    if (vals[opt]) return bad_arg(cmd->name, "%s given more than once", OPT_NAMES[opt]);
    vals[opt] = val;
  }
  for (int o = 0; o < OPT_COUNT; o++)
    if ((cmd->required & BIT(o)) && !vals[o])
      return bad_arg(cmd->name, "missing required argument %s", OPT_NAMES[o]);

  sp_gen_spec spec;
  sp_gen_spec_init(&spec, cmd->kind);
  int64_t v;
  for (int o = 0; o < OPT_COUNT; o++) {
    const char *s = vals[o];
    if (!s) continue;
    switch (o) {
    case OPT_OUT:
      if (!*s) return bad_arg(cmd->name, "empty value for %s", OPT_NAMES[o]);
      if (strcmp(s, "-") != 0) {
        if (cmd->kind == SP_GEN_DATA_WORDS)
          spec.out_file = s;
        else
          spec.out_dir = s;
      }
      break;
    case OPT_CAMPAIGNS_OUT:
      if (!*s) return bad_arg(cmd->name, "empty value for %s", OPT_NAMES[o]);
      spec.campaigns_out = s;
      break;
    case OPT_SEED:
      if (!parse_u64(s, &spec.seed))
        return bad_arg(cmd->name, "invalid value for --seed: '%s' (expected an unsigned integer)", s);
      break;
    case OPT_FILES:
      if (!parse_i64(s, 1, 10000000, &v))
        return bad_arg(cmd->name, "invalid value for --files: '%s' (expected 1..10000000)", s);
      spec.files = v;
      break;
    case OPT_PER_FILE:
      if (!parse_i64(s, 0, INT64_MAX, &v))
        return bad_arg(cmd->name, "invalid value for --per-file: '%s' (expected an integer >= 0)", s);
      spec.per_file = v;
      break;
    case OPT_LINES:
    case OPT_EVENTS:
      if (!parse_i64(s, 0, INT64_MAX, &v))
        return bad_arg(cmd->name, "invalid value for %s: '%s' (expected an integer >= 0)", OPT_NAMES[o], s);
      spec.count = v;
      break;
    case OPT_ADS:
      if (!parse_i64(s, 1, SP_GEN_YSB_MAX_ADS, &v))
        return bad_arg(cmd->name, "invalid value for --ads: '%s' (expected 1..10000000)", s);
      spec.ads = (int)v;
      break;
    case OPT_CAMPAIGNS:
      if (!parse_i64(s, 1, SP_GEN_YSB_MAX_ADS, &v))
        return bad_arg(cmd->name, "invalid value for --campaigns: '%s' (expected 1..number of ads)", s);
      spec.campaigns = (int)v;
      break;
    case OPT_START:
      if (!parse_i64(s, INT64_MIN, INT64_MAX, &v))
        return bad_arg(cmd->name, "invalid value for --start: '%s' (expected an integer)", s);
      spec.start = v;
      break;
    case OPT_FIRST_FILE:
      if (!parse_i64(s, 0, 999999999999, &v))
        return bad_arg(cmd->name, "invalid value for --first-file: '%s' (expected an integer >= 0)", s);
      spec.first_file = v;
      break;
    }
  }
  if (cmd->kind == SP_GEN_DATA_YSB) {
    if (vals[OPT_FILES] && !spec.out_dir)
      return bad_arg(cmd->name, "--files needs --out DIR");
    if (!vals[OPT_CAMPAIGNS] && spec.campaigns > spec.ads) spec.campaigns = spec.ads; /* default: min(100, ads) */
    if (spec.campaigns > spec.ads)
      return bad_arg(cmd->name, "--campaigns %d exceeds --ads %d", spec.campaigns, spec.ads);
  }
  if (vals[OPT_FIRST_FILE] && !spec.out_dir)
    return bad_arg(cmd->name, "--first-file needs --out DIR");
  if ((cmd->kind == SP_GEN_DATA_INVOICES || cmd->kind == SP_GEN_DATA_SEQ) && spec.per_file > 0 &&
      spec.files > INT64_MAX / spec.per_file)
    return bad_arg(cmd->name, "--files * --per-file overflows");
  if (cmd->kind == SP_GEN_DATA_SEQ && spec.start > 0 && spec.per_file > 0 &&
      spec.files * spec.per_file > INT64_MAX - spec.start + 1)
    return bad_arg(cmd->name, "--start %s plus the numbers to generate overflows", vals[OPT_START]);

  spate_error err = {0};
  int rc = sp_gen_run(&spec, &err);
  if (rc) {
    fprintf(stderr, "spate gen %s: %s\n", cmd->name, err.message[0] ? err.message : spate_strerror(rc));
    return rc == SPATE_EINVAL ? 2 : 1;
  }
  return 0;
}
