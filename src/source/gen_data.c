/*
 * gen_data.c - deterministic data generators behind `spate gen` (see gen_data.h).
 *
 * Invariants:
 *  - Output is a pure function of (seed, counts): all randomness comes from one
 *    xoshiro256** stream per generator, consumed in a fixed order per line, and
 *    nothing depends on chunking, time, locale or the process.
 *  - Lines are formatted straight into the sp_buf after one reserve per line
 *    (invoices) or per chunk (ysb, seq, words); no per-row allocation, no printf
 *    in the hot loops. Built-in tables contain no characters needing JSON escapes.
 *  - Files appear atomically: written under a hidden ".<name>.<pid>.tmp" in the
 *    target directory (file sources skip names starting with '.'), fsynced,
 *    renamed, and the directory fsynced.
 */
#include "source/gen_data.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* PRNG                                                                     */
/* ------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void sp_gen_rng_seed(sp_gen_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sp_gen_rng_next(sp_gen_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint32_t sp_gen_rng_below(sp_gen_rng *r, uint64_t n) {
  /* Lemire's multiply-shift on the high 32 bits: bias < n / 2^32, irrelevant here. */
  return (uint32_t)(((sp_gen_rng_next(r) >> 32) * n) >> 32);
}

/* Uniform in [lo, hi] for spans beyond 32 bits (modulo bias < 2^-30). */
static uint64_t rng_range64(sp_gen_rng *r, uint64_t lo, uint64_t hi) {
  return lo + sp_gen_rng_next(r) % (hi - lo + 1);
}

/* ------------------------------------------------------------------------ */
/* Formatting helpers: write at p, return the new end.                       */
/* ------------------------------------------------------------------------ */

static inline char *put_mem(char *p, const char *s, size_t n) {
  memcpy(p, s, n);
  return p + n;
}
#define PUT_LIT(p, lit) put_mem((p), (lit), sizeof(lit) - 1)

static inline char *put_str(char *p, const char *s) { return put_mem(p, s, strlen(s)); }

static inline char *put_u64(char *p, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

static inline char *put_i64(char *p, int64_t v) {
  if (v < 0) {
    *p++ = '-';
    return put_u64(p, (uint64_t)0 - (uint64_t)v);
  }
  return put_u64(p, (uint64_t)v);
}

/* A double as Java's Double.toString / Python's repr print it: the shortest
 * digit string that reads back as the same double (ties: the nearest), plain
 * notation with at least one fractional digit for 1e-3 <= |d| < 1e7, else
 * "d.dddE[-]x". Writes at most 32 bytes. */
static char *put_double(char *p, double d) {
  if (isnan(d)) return PUT_LIT(p, "NaN");
  if (isinf(d)) return d < 0 ? PUT_LIT(p, "-Infinity") : PUT_LIT(p, "Infinity");
  if (d >= 1.0 && d < 1e7 && d == (double)(int64_t)d) { /* fast path: prices and totals */
    p = put_u64(p, (uint64_t)d);
    return PUT_LIT(p, ".0");
  }
  char tmp[40];
  /* DBL_DIG = 15: if any decimal of <= 15 significant digits reads back as d,
   * the correctly rounded 15-digit one does and equals it padded with zeros;
   * otherwise the correctly rounded 16- or 17-digit string is the shortest. */
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    if (prec == 17 || strtod(tmp, NULL) == d) break;
  }
  const char *s = tmp;
  bool neg = false;
  if (*s == '-') {
    neg = true;
    s++;
  }
  char dig[20];
  int nd = 0;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9') dig[nd++] = *s;
  int exp = (*s == 'e') ? atoi(s + 1) : 0;
  while (nd > 1 && dig[nd - 1] == '0') nd--;
  if (neg) *p++ = '-';
  double a = fabs(d);
  if (a == 0.0 || (a >= 1e-3 && a < 1e7)) {
    if (a == 0.0) return PUT_LIT(p, "0.0");
    if (exp >= 0) {
      for (int i = 0; i <= exp; i++) *p++ = i < nd ? dig[i] : '0';
      *p++ = '.';
      if (nd > exp + 1)
        p = put_mem(p, dig + exp + 1, (size_t)(nd - exp - 1));
      else
        *p++ = '0';
    } else {
      *p++ = '0';
      *p++ = '.';
      for (int i = 0; i < -exp - 1; i++) *p++ = '0';
      p = put_mem(p, dig, (size_t)nd);
    }
    return p;
  }
  *p++ = dig[0];
  *p++ = '.';
  if (nd > 1)
    p = put_mem(p, dig + 1, (size_t)(nd - 1));
  else
    *p++ = '0';
  *p++ = 'E';
  return put_i64(p, exp);
}

/* Reserve n bytes in b; returns the write position or NULL after OOM. */
static inline char *buf_begin(sp_buf *b, size_t n) {
  sp_buf_reserve(b, n);
  return b->failed ? NULL : b->data + b->len;
}
static inline void buf_end(sp_buf *b, char *p) {
  b->len = (size_t)(p - b->data);
  b->data[b->len] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Invoices                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct inv_item {
  const char *code, *desc;
  int price;
} inv_item;

/* A subset of the original simulator's product list (03-KafkaStreamDemo/products.json). */
static const inv_item INV_ITEMS[] = {
    {"203", "Bunk bed", 1686},        {"213", "Infant bed", 1755},
    {"223", "Hammock", 1210},         {"233", "Coffee table", 1055},
    {"243", "Folding table", 738},    {"253", "Bathroom cabinet", 1513},
    {"258", "Closet", 1687},          {"268", "Floating shelf", 1894},
    {"278", "Dining set", 1940},      {"283", "Portable Lamps", 2236},
    {"288", "Hutch", 1812},           {"293", "Bar stool", 1148},
    {"303", "Bench", 2251},           {"313", "Brewster Chair", 2195},
    {"328", "Dining chair", 1223},    {"343", "Massage chair", 1354},
    {"353", "Recliner", 1585},        {"363", "Rocking chair", 2021},
    {"373", "Latex Mattress", 1313},  {"388", "Memory Foam", 1884},
    {"413", "Slipcover", 1896},       {"423", "Quilt", 1485},
    {"433", "Depression glass", 1950},{"453", "Shot glass", 674},
    {"458", "Wine glass", 1644},      {"468", "Lunch box", 1467},
    {"478", "Teapot", 885},           {"483", "Teacups and saucers", 1781},
    {"498", "Carving knifes", 1424},  {"503", "Chef's knife", 1973},
    {"518", "Hourglass", 1598},       {"523", "Oil-lamp clock", 1371},
    {"538", "Grandmother clock", 1301},{"558", "Balloon clock", 1633},
    {"583", "Tab Top Curtains", 1329},{"608", "Pleated Drapes", 1684},
    {"648", "Bottle opener", 321},    {"658", "Chinois", 567},
    {"683", "Grater", 370},           {"693", "Mandoline", 250},
};
#define N_INV_ITEMS ((uint64_t)(sizeof INV_ITEMS / sizeof INV_ITEMS[0]))

static const char *const INV_STORES[] = {
    "STR1534", "STR1955", "STR2629", "STR2699", "STR2952", "STR3781", "STR4899",
    "STR5494", "STR5646", "STR5864", "STR6162", "STR6347", "STR6382", "STR7188",
    "STR7255", "STR7262", "STR7443", "STR7449", "STR8311", "STR8513",
};
#define N_INV_STORES ((uint64_t)(sizeof INV_STORES / sizeof INV_STORES[0]))

typedef struct inv_city {
  const char *city, *state;
} inv_city;

static const inv_city INV_CITIES[] = {
    {"Katihar", "Bihar"},           {"Nagpur", "Maharastra"},
    {"Kolkata", "West Bengal"},     {"Sitapur", "Uttar Pradesh"},
    {"Jammu", "Jammu and Kashmir"}, {"Ratlam", "Madhya Pradesh"},
    {"Guna", "Madhya Pradesh"},     {"Pali", "Rajasthan"},
    {"Hassan", "Karnataka"},        {"Adoni", "Andhra Pradesh"},
    {"Agra", "Uttar Pradesh"},      {"Jaipur", "Rajasthan"},
    {"Dabgram", "West Bengal"},     {"Arrah", "Bihar"},
    {"Haridwar", "Uttarakhand"},    {"Nagaon", "Assam"},
    {"Palakkad", "Kerala"},         {"Mathura", "Uttar Pradesh"},
    {"Madurai", "Tamil Nadu"},      {"Darbhanga", "Bihar"},
    {"Shivapuri", "Madhya Pradesh"},{"Ambala Sadar", "Haryana"},
    {"Imphal", "Manipur"},          {"Dehri", "Bihar"},
};
#define N_INV_CITIES ((uint64_t)(sizeof INV_CITIES / sizeof INV_CITIES[0]))

static const char *const INV_STREETS[] = {
    "Eu",    "Dolor",   "Dapibus", "Laoreet",  "Arcu",   "Aliquam", "Ullamcorper", "Donec",
    "Nec",   "Quam",    "Etiam",   "Morbi",    "Sodales","Non",     "Nisi",        "Pharetra",
    "Enim",  "Lacinia", "Molestie","Tempor",   "Luctus", "Dui.",
};
#define N_INV_STREETS ((uint64_t)(sizeof INV_STREETS / sizeof INV_STREETS[0]))

static const char *const INV_SUFFIXES[] = {"St.", "Rd.", "Av.", "Ave", "Street", "Road", "Avenue"};
#define N_INV_SUFFIXES ((uint64_t)(sizeof INV_SUFFIXES / sizeof INV_SUFFIXES[0]))

/* Upper bound of one invoice line: fixed text ~560 bytes, 5 items of < 160
 * bytes, address < 200 bytes. */
#define INV_MAX_LINE 2048

void sp_gen_invoices_init(sp_gen_invoices *g, uint64_t seed) {
  sp_gen_rng_seed(&g->rng, seed);
  g->time_ms = SP_GEN_INVOICE_START_MS;
}

static char *put_address_line(char *p, sp_gen_rng *r) {
  uint32_t form = sp_gen_rng_below(r, 5);
  uint32_t a = 100 + sp_gen_rng_below(r, 900), b = 100 + sp_gen_rng_below(r, 9900);
  switch (form) {
  case 0: break;
  case 1: p = put_u64(p, a); *p++ = '-'; break;
  case 2: p = PUT_LIT(p, "HN. "); p = put_u64(p, a); p = PUT_LIT(p, ", "); break;
  case 3: p = PUT_LIT(p, "House No "); p = put_u64(p, a); p = PUT_LIT(p, ", "); break;
  default: p = PUT_LIT(p, "Flat No. #"); p = put_u64(p, a); *p++ = '-'; break;
  }
  p = put_u64(p, b);
  *p++ = ' ';
  p = put_str(p, INV_STREETS[sp_gen_rng_below(r, N_INV_STREETS)]);
  *p++ = ' ';
  return put_str(p, INV_SUFFIXES[sp_gen_rng_below(r, N_INV_SUFFIXES)]);
}

static char *put_invoice(char *p, sp_gen_invoices *g) {
  sp_gen_rng *r = &g->rng;
  /* Draw every random choice in a fixed order first. */
  uint32_t invno = 100000 + sp_gen_rng_below(r, 99900000);
  const char *store = INV_STORES[sp_gen_rng_below(r, N_INV_STORES)];
  uint32_t pos = 100 + sp_gen_rng_below(r, 900);
  uint32_t cashier = 100 + sp_gen_rng_below(r, 900);
  bool prime = sp_gen_rng_below(r, 100) < 43;
  uint64_t card = rng_range64(r, UINT64_C(1000000000), UINT64_C(9999999999));
  bool card_pay = sp_gen_rng_below(r, 100) < 41;
  bool home = sp_gen_rng_below(r, 100) < 58;
  int nitems = 1 + (int)sp_gen_rng_below(r, 5);
  const inv_item *items[5];
  int qty[5];
  double total = 0.0;
  for (int i = 0; i < nitems; i++) {
    items[i] = &INV_ITEMS[sp_gen_rng_below(r, N_INV_ITEMS)];
    qty[i] = 1 + (int)sp_gen_rng_below(r, 2);
    total += (double)items[i]->price * (double)qty[i];
  }
  double cgst = total * 0.025;
  double cess = total * 0.00125;

  p = PUT_LIT(p, "{\"InvoiceNumber\":\"");
  p = put_u64(p, invno);
  p = PUT_LIT(p, "\",\"CreatedTime\":");
  p = put_i64(p, g->time_ms);
  p = PUT_LIT(p, ",\"StoreID\":\"");
  p = put_str(p, store);
  p = PUT_LIT(p, "\",\"PosID\":\"POS");
  p = put_u64(p, pos);
  p = PUT_LIT(p, "\",\"CashierID\":\"OAS");
  p = put_u64(p, cashier);
  p = prime ? PUT_LIT(p, "\",\"CustomerType\":\"PRIME") : PUT_LIT(p, "\",\"CustomerType\":\"NONPRIME");
  p = PUT_LIT(p, "\",\"CustomerCardNo\":\"");
  p = put_u64(p, card);
  p = PUT_LIT(p, "\",\"TotalAmount\":");
  p = put_double(p, total);
  p = PUT_LIT(p, ",\"NumberOfItems\":");
  p = put_u64(p, (uint64_t)nitems);
  p = card_pay ? PUT_LIT(p, ",\"PaymentMethod\":\"CARD\"") : PUT_LIT(p, ",\"PaymentMethod\":\"CASH\"");
  p = PUT_LIT(p, ",\"TaxableAmount\":");
  p = put_double(p, total);
  p = PUT_LIT(p, ",\"CGST\":");
  p = put_double(p, cgst);
  p = PUT_LIT(p, ",\"SGST\":");
  p = put_double(p, cgst);
  p = PUT_LIT(p, ",\"CESS\":");
  p = put_double(p, cess);
  if (home) {
    p = PUT_LIT(p, ",\"DeliveryType\":\"HOME-DELIVERY\",\"DeliveryAddress\":{\"AddressLine\":\"");
    p = put_address_line(p, r);
    const inv_city *c = &INV_CITIES[sp_gen_rng_below(r, N_INV_CITIES)];
    p = PUT_LIT(p, "\",\"City\":\"");
    p = put_str(p, c->city);
    p = PUT_LIT(p, "\",\"State\":\"");
    p = put_str(p, c->state);
    p = PUT_LIT(p, "\",\"PinCode\":\"");
    p = put_u64(p, 100000 + sp_gen_rng_below(r, 900000));
    p = PUT_LIT(p, "\",\"ContactNumber\":\"");
    p = put_u64(p, rng_range64(r, UINT64_C(1000000000), UINT64_C(9999999999)));
    p = PUT_LIT(p, "\"}");
  } else {
    p = PUT_LIT(p, ",\"DeliveryType\":\"TAKEAWAY\"");
  }
  p = PUT_LIT(p, ",\"InvoiceLineItems\":[");
  for (int i = 0; i < nitems; i++) {
    if (i) *p++ = ',';
    p = PUT_LIT(p, "{\"ItemCode\":\"");
    p = put_str(p, items[i]->code);
    p = PUT_LIT(p, "\",\"ItemDescription\":\"");
    p = put_str(p, items[i]->desc);
    p = PUT_LIT(p, "\",\"ItemPrice\":");
    p = put_double(p, (double)items[i]->price);
    p = PUT_LIT(p, ",\"ItemQty\":");
    p = put_u64(p, (uint64_t)qty[i]);
    p = PUT_LIT(p, ",\"TotalValue\":");
    p = put_double(p, (double)items[i]->price * (double)qty[i]);
    *p++ = '}';
  }
  p = PUT_LIT(p, "]}\n");
  /* Next invoice 0-1.2 s later (the seed averages ~0.6 s apart). */
  g->time_ms += sp_gen_rng_below(r, 1211);
  return p;
}

void sp_gen_invoices_lines(sp_gen_invoices *g, int64_t n, sp_buf *out) {
  for (int64_t i = 0; i < n; i++) {
    char *p = buf_begin(out, INV_MAX_LINE);
    if (!p) return;
    buf_end(out, put_invoice(p, g));
  }
}

/* ------------------------------------------------------------------------ */
/* Words                                                                    */
/* ------------------------------------------------------------------------ */

static const char *const WORDS[] = {
    "the",    "spark",  "stream", "data",    "hello",   "world",  "quick",  "brown",
    "fox",    "jumps",  "over",   "lazy",    "dog",     "batch",  "query",  "table",
    "window", "event",  "time",   "state",   "sink",    "source", "file",   "kafka",
    "join",   "count",  "word",   "apache",  "engine",  "micro",  "trigger","offset",
    "commit", "log",    "record", "schema",  "column",  "row",    "value",  "key",
};
#define N_WORDS ((uint64_t)(sizeof WORDS / sizeof WORDS[0]))
#define WORDS_MAX_LINE (10 * 8 + 1)

void sp_gen_words_init(sp_gen_words *g, uint64_t seed) { sp_gen_rng_seed(&g->rng, seed); }

void sp_gen_words_lines(sp_gen_words *g, int64_t n, sp_buf *out) {
  sp_gen_rng *r = &g->rng;
  while (n > 0) {
    int64_t k = n < 4096 ? n : 4096;
    char *p = buf_begin(out, (size_t)k * WORDS_MAX_LINE);
    if (!p) return;
    for (int64_t i = 0; i < k; i++) {
      int nw = 1 + (int)sp_gen_rng_below(r, 10);
      for (int w = 0; w < nw; w++) {
        /* min of two uniforms: index j has probability (2(N-j)-1)/N^2. */
        uint32_t a = sp_gen_rng_below(r, N_WORDS), b = sp_gen_rng_below(r, N_WORDS);
        if (w) *p++ = ' ';
        p = put_str(p, WORDS[a < b ? a : b]);
      }
      *p++ = '\n';
    }
    buf_end(out, p);
    n -= k;
  }
}

/* ------------------------------------------------------------------------ */
/* Sequence numbers                                                         */
/* ------------------------------------------------------------------------ */

#define SEQ_MAX_LINE 32

void sp_gen_seq_lines(int64_t start, int64_t n, sp_buf *out) {
  while (n > 0) {
    int64_t k = n < 8192 ? n : 8192;
    char *p = buf_begin(out, (size_t)k * SEQ_MAX_LINE);
    if (!p) return;
    for (int64_t i = 0; i < k; i++) {
      p = PUT_LIT(p, "{\"seq\":");
      p = put_i64(p, start + i);
      p = PUT_LIT(p, "}\n");
    }
    buf_end(out, p);
    n -= k;
    if (n > 0) start += k; /* never steps past the last number (INT64_MAX is valid) */
  }
}

/* ------------------------------------------------------------------------ */
/* Yahoo Streaming Benchmark                                                */
/* ------------------------------------------------------------------------ */

static const char HEX[] = "0123456789abcdef";

/* A random version-4 UUID, 36 chars, lower-case. */
static char *put_uuid(char *p, sp_gen_rng *r) {
  uint64_t hi = sp_gen_rng_next(r), lo = sp_gen_rng_next(r);
  hi = (hi & ~UINT64_C(0xF000)) | UINT64_C(0x4000);               /* version 4 */
  lo = (lo & ~(UINT64_C(0xC) << 60)) | (UINT64_C(0x8) << 60);      /* variant 10xx */
  for (int i = 0; i < 16; i++) {
    if (i == 8 || i == 12) *p++ = '-';
    *p++ = HEX[(hi >> (60 - 4 * i)) & 0xF];
  }
  for (int i = 0; i < 16; i++) {
    if (i == 0 || i == 4) *p++ = '-';
    *p++ = HEX[(lo >> (60 - 4 * i)) & 0xF];
  }
  return p;
}

static const struct {
  const char *s;
  size_t n;
} YSB_AD_TYPES[] = {{"banner", 6}, {"modal", 5}, {"sponsored-search", 16}, {"mail", 4}, {"mobile", 6}},
  YSB_EVENT_TYPES[] = {{"view", 4}, {"click", 5}, {"purchase", 8}};

int sp_gen_ysb_init(sp_gen_ysb *g, uint64_t seed, int nads, int ncampaigns, spate_error *err) {
  memset(g, 0, sizeof *g);
  if (nads < 1 || nads > SP_GEN_YSB_MAX_ADS)
    return spate_error_set(err, SPATE_EINVAL, "ads must be between 1 and %d (got %d)", SP_GEN_YSB_MAX_ADS,
                           nads);
  if (ncampaigns < 1 || ncampaigns > nads)
    return spate_error_set(err, SPATE_EINVAL, "campaigns must be between 1 and the number of ads %d (got %d)",
                           nads, ncampaigns);
  g->ad_ids = malloc((size_t)nads * 36);
  g->campaign_ids = malloc((size_t)ncampaigns * 36);
  g->ad_campaign = malloc((size_t)nads * sizeof(int32_t));
  if (!g->ad_ids || !g->campaign_ids || !g->ad_campaign) {
    sp_gen_ysb_free(g);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory building the ysb ad pool (%d ads)", nads);
  }
  g->nads = nads;
  g->ncampaigns = ncampaigns;
  /* The pools come from their own stream so they do not depend on the events. */
  sp_gen_rng pool;
  sp_gen_rng_seed(&pool, seed ^ UINT64_C(0x5953425F504F4F4C)); /* "YSB_POOL" */
  for (int i = 0; i < ncampaigns; i++) put_uuid(g->campaign_ids + (size_t)i * 36, &pool);
  for (int i = 0; i < nads; i++) {
    put_uuid(g->ad_ids + (size_t)i * 36, &pool);
    g->ad_campaign[i] = (int32_t)((int64_t)i * ncampaigns / nads);
  }
  sp_gen_rng_seed(&g->rng, seed);
  g->next_event = 0;
  return 0;
}

void sp_gen_ysb_free(sp_gen_ysb *g) {
  free(g->ad_ids);
  free(g->campaign_ids);
  free(g->ad_campaign);
  memset(g, 0, sizeof *g);
}

void sp_gen_ysb_events(sp_gen_ysb *g, int64_t n, sp_buf *out) {
  sp_gen_rng *r = &g->rng;
  while (n > 0) {
    int64_t k = n < 8192 ? n : 8192;
    char *p = buf_begin(out, (size_t)k * SP_GEN_YSB_MAX_LINE);
    if (!p) return;
    for (int64_t i = 0; i < k; i++) {
      p = PUT_LIT(p, "{\"user_id\":\"");
      p = put_uuid(p, r);
      p = PUT_LIT(p, "\",\"page_id\":\"");
      p = put_uuid(p, r);
      p = PUT_LIT(p, "\",\"ad_id\":\"");
      p = put_mem(p, g->ad_ids + (size_t)sp_gen_rng_below(r, (uint64_t)g->nads) * 36, 36);
      p = PUT_LIT(p, "\",\"ad_type\":\"");
      uint64_t bits = sp_gen_rng_next(r);
      unsigned at = (unsigned)(((bits >> 32) * 5) >> 32);
      unsigned et = (unsigned)(((bits & 0xFFFFFFFFu) * 3) >> 32);
      p = put_mem(p, YSB_AD_TYPES[at].s, YSB_AD_TYPES[at].n);
      p = PUT_LIT(p, "\",\"event_type\":\"");
      p = put_mem(p, YSB_EVENT_TYPES[et].s, YSB_EVENT_TYPES[et].n);
      p = PUT_LIT(p, "\",\"event_time\":\"");
      p = put_i64(p, SP_GEN_YSB_START_MS + g->next_event++);
      p = PUT_LIT(p, "\",\"ip_address\":\"1.2.3.4\"}\n");
    }
    buf_end(out, p);
    n -= k;
  }
}

void sp_gen_ysb_campaigns_csv(const sp_gen_ysb *g, sp_buf *out) {
  sp_buf_puts(out, "ad_id,campaign_id\n");
  char *p = buf_begin(out, (size_t)g->nads * 74);
  if (!p) return;
  for (int i = 0; i < g->nads; i++) {
    p = put_mem(p, g->ad_ids + (size_t)i * 36, 36);
    *p++ = ',';
    p = put_mem(p, g->campaign_ids + (size_t)g->ad_campaign[i] * 36, 36);
    *p++ = '\n';
  }
  buf_end(out, p);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

static int io_error(spate_error *err, const char *what, const char *path) {
  return spate_error_set(err, SPATE_EIO, "cannot %s '%s': %s", what, path, strerror(errno));
}

int sp_gen_write_fd(int fd, const void *p, size_t n, spate_error *err) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return spate_error_set(err, SPATE_EIO, "write failed: %s", strerror(errno));
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Directory part of path ("." when there is none); malloc'd or NULL. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

static void fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd); /* some filesystems reject fsync on directories; best effort */
  close(fd);
}

int sp_gen_file_open(sp_gen_file *f, const char *path, spate_error *err) {
  f->fd = -1;
  f->tmp_path = NULL;
  f->final_path = strdup(path);
  char *dir = dir_of(path);
  if (!f->final_path || !dir) {
    free(dir);
    sp_gen_file_abort(f);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  /* An existing symlink or special file (/dev/stdout, a FIFO) is written in
   * place: renaming over it would replace the link or device itself. */
  struct stat st;
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    free(dir);
    if (S_ISDIR(st.st_mode)) {
      sp_gen_file_abort(f);
      return spate_error_set(err, SPATE_EIO, "'%s' is a directory", path);
    }
    f->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (f->fd < 0) {
      int rc = io_error(err, "open", path);
      sp_gen_file_abort(f);
      return rc;
    }
    return 0;
  }
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (!*base) {
    free(dir);
    sp_gen_file_abort(f);
    return spate_error_set(err, SPATE_EINVAL, "not a file name: '%s'", path);
  }
  size_t cap = strlen(dir) + strlen(base) + 48;
  f->tmp_path = malloc(cap);
  if (!f->tmp_path) {
    free(dir);
    sp_gen_file_abort(f);
    return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  }
  snprintf(f->tmp_path, cap, "%s/.%s.%ld.tmp", dir, base, (long)getpid());
  free(dir);
  f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (f->fd < 0) {
    int rc = io_error(err, "create", f->tmp_path);
    sp_gen_file_abort(f);
    return rc;
  }
  return 0;
}

int sp_gen_file_write(sp_gen_file *f, const void *p, size_t n, spate_error *err) {
  int rc = sp_gen_write_fd(f->fd, p, n, err);
  if (rc) spate_error_prefix(err, "%s", f->tmp_path ? f->tmp_path : f->final_path);
  return rc;
}

int sp_gen_file_commit(sp_gen_file *f, spate_error *err) {
  int rc = 0;
  if (!f->tmp_path) { /* written in place (see sp_gen_file_open) */
    if (fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS) rc = io_error(err, "fsync", f->final_path);
    if (close(f->fd) != 0 && !rc) rc = io_error(err, "close", f->final_path);
    f->fd = -1;
    free(f->final_path);
    f->final_path = NULL;
    return rc;
  }
  if (fsync(f->fd) != 0) rc = io_error(err, "fsync", f->tmp_path);
  if (close(f->fd) != 0 && !rc) rc = io_error(err, "close", f->tmp_path);
  f->fd = -1;
  if (!rc && rename(f->tmp_path, f->final_path) != 0) rc = io_error(err, "rename into", f->final_path);
  if (rc) {
    sp_gen_file_abort(f);
    return rc;
  }
  char *dir = dir_of(f->final_path);
  if (dir) fsync_dir(dir);
  free(dir);
  free(f->tmp_path);
  free(f->final_path);
  f->tmp_path = f->final_path = NULL;
  return 0;
}

void sp_gen_file_abort(sp_gen_file *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
  if (f->tmp_path) unlink(f->tmp_path);
  free(f->tmp_path);
  free(f->final_path);
  f->tmp_path = f->final_path = NULL;
}

int sp_gen_mkdirs(const char *dir, spate_error *err) {
  if (!*dir) return spate_error_set(err, SPATE_EINVAL, "empty directory name");
  char *p = strdup(dir);
  if (!p) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
  for (char *s = p + 1; ; s++) {
    bool end = (*s == '\0');
    if (*s == '/' || end) {
      char save = *s;
      *s = '\0';
      if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        int rc = io_error(err, "create directory", p);
        free(p);
        return rc;
      }
      *s = save;
      if (end) break;
    }
  }
  struct stat st;
  int rc = 0;
  if (stat(p, &st) != 0)
    rc = io_error(err, "access directory", p);
  else if (!S_ISDIR(st.st_mode))
    rc = spate_error_set(err, SPATE_EIO, "not a directory: '%s'", p);
  free(p);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */
/* ------------------------------------------------------------------------ */

void sp_gen_spec_init(sp_gen_spec *s, sp_gen_data_kind kind) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->seed = 42;
  s->out_fd = 1;
  s->files = 1;
  s->per_file = 100;
  s->count = 0;
  s->first_file = -1;
  s->start = 0;
  s->ads = 1000;
  s->campaigns = 100;
}

/* One generator of any kind, fed in chunks. */
typedef struct producer {
  sp_gen_data_kind kind;
  sp_gen_invoices inv;
  sp_gen_words words;
  sp_gen_ysb ysb;
  int64_t seq_next;
} producer;

static void produce(producer *pr, int64_t n, sp_buf *out) {
  switch (pr->kind) {
  case SP_GEN_DATA_INVOICES: sp_gen_invoices_lines(&pr->inv, n, out); break;
  case SP_GEN_DATA_WORDS: sp_gen_words_lines(&pr->words, n, out); break;
  case SP_GEN_DATA_YSB: sp_gen_ysb_events(&pr->ysb, n, out); break;
  case SP_GEN_DATA_SEQ:
    sp_gen_seq_lines(pr->seq_next, n, out);
    pr->seq_next = (int64_t)((uint64_t)pr->seq_next + (uint64_t)n); /* may wrap after the very last number */
    break;
  }
}

/* Lines per chunk: a few MB of output between writes. */
static int64_t chunk_lines(sp_gen_data_kind kind) {
  switch (kind) {
  case SP_GEN_DATA_INVOICES: return 2048;
  case SP_GEN_DATA_WORDS: return 32768;
  case SP_GEN_DATA_YSB: return 16384;
  case SP_GEN_DATA_SEQ: return 65536;
  }
  return 4096;
}

/* Generate n lines to f (when non-NULL) or fd. */
static int emit(producer *pr, int64_t n, sp_gen_file *f, int fd, sp_buf *buf, spate_error *err) {
  int64_t chunk = chunk_lines(pr->kind);
  while (n > 0) {
    int64_t k = n < chunk ? n : chunk;
    sp_buf_reset(buf);
    produce(pr, k, buf);
    if (sp_buf_check(buf)) return spate_error_set(err, SPATE_ENOMEM, "out of memory generating data");
    int rc = f ? sp_gen_file_write(f, buf->data, buf->len, err) : sp_gen_write_fd(fd, buf->data, buf->len, err);
    if (rc) return rc;
    n -= k;
  }
  return 0;
}

static int write_file_atomic(const char *path, const char *data, size_t n, spate_error *err) {
  sp_gen_file f;
  int rc = sp_gen_file_open(&f, path, err);
  if (rc) return rc;
  rc = sp_gen_file_write(&f, data, n, err);
  if (rc) {
    sp_gen_file_abort(&f);
    return rc;
  }
  return sp_gen_file_commit(&f, err);
}

static const char *kind_prefix(sp_gen_data_kind k) {
  switch (k) {
  case SP_GEN_DATA_INVOICES: return "invoices";
  case SP_GEN_DATA_WORDS: return "words";
  case SP_GEN_DATA_YSB: return "ysb";
  case SP_GEN_DATA_SEQ: return "seq";
  }
  return "data";
}

static char *file_path(const char *dir, const char *prefix, int64_t idx) {
  size_t cap = strlen(dir) + strlen(prefix) + 40;
  char *p = malloc(cap);
  if (p) snprintf(p, cap, "%s/%s-%05" PRId64 ".json", dir, prefix, idx);
  return p;
}

/* Lines in file i of a dir-mode run. */
static int64_t lines_in_file(const sp_gen_spec *s, int64_t i) {
  if (s->kind == SP_GEN_DATA_YSB || s->kind == SP_GEN_DATA_WORDS)
    return s->count / s->files + (i < s->count % s->files ? 1 : 0);
  return s->per_file;
}

static int run_dir(const sp_gen_spec *s, producer *pr, sp_buf *buf, spate_error *err) {
  int rc = sp_gen_mkdirs(s->out_dir, err);
  if (rc) return rc;
  int64_t first = s->first_file;
  if (first < 0)
    first = (s->kind == SP_GEN_DATA_SEQ && s->per_file > 0 && s->start >= 0) ? s->start / s->per_file : 0;
  if (first > INT64_MAX - s->files)
    return spate_error_set(err, SPATE_EINVAL, "first file index %" PRId64 " too large", first);
  const char *prefix = kind_prefix(s->kind);
  /* Refuse before writing anything if a target already exists. */
  for (int64_t i = 0; i < s->files; i++) {
    char *path = file_path(s->out_dir, prefix, first + i);
    if (!path) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
    struct stat st;
    bool exists = lstat(path, &st) == 0;
    if (exists) {
      rc = spate_error_set(err, SPATE_EEXIST,
                           "'%s' already exists (choose another output directory or first file index)", path);
      free(path);
      return rc;
    }
    free(path);
  }
  for (int64_t i = 0; i < s->files; i++) {
    char *path = file_path(s->out_dir, prefix, first + i);
    if (!path) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
    sp_gen_file f;
    rc = sp_gen_file_open(&f, path, err);
    free(path);
    if (rc) return rc;
    rc = emit(pr, lines_in_file(s, i), &f, -1, buf, err);
    if (rc) {
      sp_gen_file_abort(&f);
      return rc;
    }
    rc = sp_gen_file_commit(&f, err);
    if (rc) return rc;
  }
  return 0;
}

int sp_gen_run(const sp_gen_spec *s, spate_error *err) {
  if ((unsigned)s->kind > SP_GEN_DATA_SEQ) return spate_error_set(err, SPATE_EINVAL, "unknown generator kind %d", s->kind);
  bool lines_by_files = (s->kind == SP_GEN_DATA_INVOICES || s->kind == SP_GEN_DATA_SEQ);
  if (s->out_dir && (s->files < 1 || s->files > 10000000))
    return spate_error_set(err, SPATE_EINVAL, "files must be between 1 and 10000000 (got %" PRId64 ")", s->files);
  if (lines_by_files && (s->files < 0 || s->per_file < 0))
    return spate_error_set(err, SPATE_EINVAL, "files and per-file must be >= 0 (got %" PRId64 ", %" PRId64 ")",
                           s->files, s->per_file);
  if (!lines_by_files && s->count < 0)
    return spate_error_set(err, SPATE_EINVAL, "count must be >= 0 (got %" PRId64 ")", s->count);
  int64_t total = s->count;
  if (lines_by_files) {
    if (s->per_file > 0 && s->files > INT64_MAX / s->per_file)
      return spate_error_set(err, SPATE_EINVAL, "files * per-file overflows");
    total = s->files * s->per_file;
  }
  if (s->kind == SP_GEN_DATA_SEQ && s->start > 0 && total > INT64_MAX - s->start + 1) /* last = start+total-1 */
    return spate_error_set(err, SPATE_EINVAL, "sequence numbers from %" PRId64 " overflow", s->start);

  producer *pr = calloc(1, sizeof *pr);
  if (!pr) return spate_error_set(err, SPATE_ENOMEM, "out of memory");
  pr->kind = s->kind;
  int rc = 0;
  switch (s->kind) {
  case SP_GEN_DATA_INVOICES: sp_gen_invoices_init(&pr->inv, s->seed); break;
  case SP_GEN_DATA_WORDS: sp_gen_words_init(&pr->words, s->seed); break;
  case SP_GEN_DATA_YSB: rc = sp_gen_ysb_init(&pr->ysb, s->seed, s->ads, s->campaigns, err); break;
  case SP_GEN_DATA_SEQ: pr->seq_next = s->start; break;
  }
  if (rc) {
    free(pr);
    return rc;
  }
  sp_buf buf;
  sp_buf_init(&buf);

  if (s->kind == SP_GEN_DATA_YSB && s->campaigns_out) {
    sp_gen_ysb_campaigns_csv(&pr->ysb, &buf);
    if (sp_buf_check(&buf))
      rc = spate_error_set(err, SPATE_ENOMEM, "out of memory");
    else
      rc = write_file_atomic(s->campaigns_out, buf.data, buf.len, err);
  }
  if (!rc) {
    if (s->out_dir) {
      rc = run_dir(s, pr, &buf, err);
    } else if (s->out_file) {
      sp_gen_file f;
      rc = sp_gen_file_open(&f, s->out_file, err);
      if (!rc) {
        rc = emit(pr, total, &f, -1, &buf, err);
        if (rc)
          sp_gen_file_abort(&f);
        else
          rc = sp_gen_file_commit(&f, err);
      }
    } else {
      rc = emit(pr, total, NULL, s->out_fd, &buf, err);
    }
  }
  sp_buf_free(&buf);
  if (s->kind == SP_GEN_DATA_YSB) sp_gen_ysb_free(&pr->ysb);
  free(pr);
  return rc;
}
