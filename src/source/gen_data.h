/*
 * gen_data.h - deterministic test-data generators (`spate gen`, benchmarks,
 * rate-like sources): Spark-course invoices, word lines, Yahoo Streaming
 * Benchmark events and sequence numbers for exactly-once tests.
 *
 * Every generator is a pure function of its seed: the same seed (and counts)
 * yields byte-identical output on every machine, however the output is chunked.
 * The line generators append whole '\n'-terminated lines to an sp_buf; buffer
 * allocation failure is sticky in the sp_buf (check with sp_buf_check()).
 *
 * sp_gen_run() is the driver behind `spate gen`: it writes to a directory of
 * files (each written to a hidden temporary name, fsynced, then renamed into
 * place so a file source never sees a partial file), to one file (same atomic
 * protocol) or to an already-open descriptor such as stdout.
 */
#ifndef SPATE_SOURCE_GEN_DATA_H
#define SPATE_SOURCE_GEN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "spate/error.h"

/* ---- pseudo-random numbers (xoshiro256**, seeded through splitmix64) ---- */

typedef struct sp_gen_rng {
  uint64_t s[4];
} sp_gen_rng;

/* Seed the generator; every seed (including 0) gives a valid, distinct stream. */
void sp_gen_rng_seed(sp_gen_rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t sp_gen_rng_next(sp_gen_rng *r);
/* Uniform integer in [0, n) for 1 <= n <= 2^32 (n == 0 returns 0). */
uint32_t sp_gen_rng_below(sp_gen_rng *r, uint64_t n);

/* ---- invoices: JSON lines shaped like seed-demos/02-FileStreamDemo ---- */

/* CreatedTime of the first invoice (epoch ms), as in Invoice-set1.json. */
#define SP_GEN_INVOICE_START_MS INT64_C(1595688900348)

typedef struct sp_gen_invoices {
  sp_gen_rng rng;
  int64_t time_ms; /* CreatedTime of the next invoice; non-decreasing */
} sp_gen_invoices;

void sp_gen_invoices_init(sp_gen_invoices *g, uint64_t seed);
/* Append n invoice lines. Fields in the seed's order: InvoiceNumber (6-8 digit
 * string), CreatedTime (epoch ms), StoreID, PosID, CashierID, CustomerType
 * (PRIME|NONPRIME, as the seed spells it), CustomerCardNo, TotalAmount,
 * NumberOfItems, PaymentMethod (CARD|CASH), TaxableAmount, CGST, SGST, CESS,
 * DeliveryType (TAKEAWAY|HOME-DELIVERY), DeliveryAddress (HOME-DELIVERY only),
 * InvoiceLineItems (1-5 items). Relations, computed in double arithmetic as the
 * seed was: TotalValue = ItemPrice * ItemQty, TotalAmount = TaxableAmount = sum
 * of TotalValue, CGST = SGST = TotalAmount * 0.025, CESS = TotalAmount * 0.00125;
 * doubles print as Java/Python do ("11114.0", "84.35000000000001"). */
void sp_gen_invoices_lines(sp_gen_invoices *g, int64_t n, sp_buf *out);

/* ---- words: lines of space-separated words for word count ---- */

typedef struct sp_gen_words {
  sp_gen_rng rng;
} sp_gen_words;

void sp_gen_words_init(sp_gen_words *g, uint64_t seed);
/* Append n lines of 1-10 lower-case words from a fixed 40-word vocabulary,
 * skewed so that early vocabulary words are more frequent. */
void sp_gen_words_lines(sp_gen_words *g, int64_t n, sp_buf *out);

/* ---- sequence numbers: {"seq":K} lines ---- */

/* Append lines {"seq":start} .. {"seq":start+n-1}. */
void sp_gen_seq_lines(int64_t start, int64_t n, sp_buf *out);

/* ---- Yahoo Streaming Benchmark events ---- */

#define SP_GEN_YSB_START_MS INT64_C(1700000000000)
#define SP_GEN_YSB_MAX_ADS 10000000
/* Upper bound on the bytes of one event line (including '\n'). */
#define SP_GEN_YSB_MAX_LINE 256

typedef struct sp_gen_ysb {
  sp_gen_rng rng;        /* event stream */
  int64_t next_event;    /* index of the next event; event_time = START + index */
  int nads, ncampaigns;
  char *ad_ids;          /* owned: nads * 36 chars (no separators) */
  char *campaign_ids;    /* owned: ncampaigns * 36 chars */
  int32_t *ad_campaign;  /* owned: campaign index of each ad */
} sp_gen_ysb;

/* Build the ad and campaign pools (1 <= nads <= SP_GEN_YSB_MAX_ADS,
 * 1 <= ncampaigns <= nads; ad i belongs to campaign i * ncampaigns / nads).
 * Returns 0, SPATE_EINVAL or SPATE_ENOMEM; on error nothing needs freeing. */
int sp_gen_ysb_init(sp_gen_ysb *g, uint64_t seed, int nads, int ncampaigns, spate_error *err);
void sp_gen_ysb_free(sp_gen_ysb *g);
/* Append n event lines:
 * {"user_id":"<uuid>","page_id":"<uuid>","ad_id":"<uuid from the pool>",
 *  "ad_type":"banner|modal|sponsored-search|mail|mobile","event_type":"view|click|purchase",
 *  "event_time":"<SP_GEN_YSB_START_MS + event index>","ip_address":"1.2.3.4"} */
void sp_gen_ysb_events(sp_gen_ysb *g, int64_t n, sp_buf *out);
/* Append the CSV "ad_id,campaign_id\n" followed by one row per ad. */
void sp_gen_ysb_campaigns_csv(const sp_gen_ysb *g, sp_buf *out);

/* ---- files ---- */

/* A file being written under a hidden temporary name in its final directory. */
typedef struct sp_gen_file {
  int fd;
  char *tmp_path;   /* owned; NULL when writing the final path in place */
  char *final_path; /* owned */
} sp_gen_file;

/* Create "<dir of path>/.<name>.<pid>.tmp" for writing. If path exists and is
 * a symlink or a special file (/dev/stdout, a FIFO) it is opened and written in
 * place instead (tmp_path NULL; not atomic). 0 or SPATE_EIO/EINVAL/ENOMEM. */
int sp_gen_file_open(sp_gen_file *f, const char *path, spate_error *err);
/* Write all n bytes (retrying short writes). 0 or SPATE_EIO. */
int sp_gen_file_write(sp_gen_file *f, const void *p, size_t n, spate_error *err);
/* fsync, close, rename to the final path, fsync the directory; frees f's memory.
 * On error the temporary file is removed. 0 or SPATE_EIO. */
int sp_gen_file_commit(sp_gen_file *f, spate_error *err);
/* Close and remove the temporary file, free f's memory. Safe after a failed open. */
void sp_gen_file_abort(sp_gen_file *f);
/* Write all n bytes to a descriptor (retrying short writes and EINTR). 0 or SPATE_EIO. */
int sp_gen_write_fd(int fd, const void *p, size_t n, spate_error *err);
/* mkdir -p (mode 0777 & ~umask). 0, SPATE_EINVAL (empty name) or SPATE_EIO. */
int sp_gen_mkdirs(const char *dir, spate_error *err);

/* ---- the `spate gen` driver ---- */

/* (Named apart from expr.h's sp_gen_kind, the SQL generator functions.) */
typedef enum sp_gen_data_kind {
  SP_GEN_DATA_INVOICES,
  SP_GEN_DATA_WORDS,
  SP_GEN_DATA_YSB,
  SP_GEN_DATA_SEQ
} sp_gen_data_kind;

typedef struct sp_gen_spec {
  sp_gen_data_kind kind;
  uint64_t seed;             /* invoices, words, ysb; default 42 */
  const char *out_dir;       /* invoices/seq/ysb: write <prefix>-NNNNN.json files here
                                (prefix invoices|seq|ysb; dir created if missing) */
  const char *out_file;      /* write this one file (replaced if it exists; used by words) */
  int out_fd;                /* neither out_dir nor out_file: write here; default 1 */
  int64_t files;             /* invoices/seq: number of files; ysb dir mode: files to split events over */
  int64_t per_file;          /* invoices/seq: lines per file (fd mode: files*per_file lines) */
  int64_t count;             /* words: lines; ysb: total events */
  int64_t first_file;        /* number in the first file name; -1 (default) = 0, or for seq
                                start / per_file so successive runs continue the numbering */
  int64_t start;             /* seq: first number; default 0 */
  int ads, campaigns;        /* ysb pools; default 1000, 100 */
  const char *campaigns_out; /* ysb: also write the ad->campaign CSV here (atomic); NULL = no */
} sp_gen_spec;

/* Fill s with the defaults above for `kind`. */
void sp_gen_spec_init(sp_gen_spec *s, sp_gen_data_kind kind);

/* Generate as described by spec. Files in out_dir are never replaced: if any
 * file name the run would create there already exists, it fails with
 * SPATE_EEXIST before writing anything (out_file and campaigns_out are replaced). Returns 0, SPATE_EINVAL (bad counts), SPATE_EEXIST,
 * SPATE_EIO (message names the path) or SPATE_ENOMEM. */
int sp_gen_run(const sp_gen_spec *spec, spate_error *err);

#endif
