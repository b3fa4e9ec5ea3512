/* test_gen_data.c - unit tests for src/source/gen_data.c (the `spate gen` generators). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "source/gen_data.h"
#include "spate/error.h"

/* ---- helpers ---- */

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static int setup_tmpdir(void **state) {
  char *dir = strdup("/tmp/spate_test_gen_XXXXXX");
  if (!dir || !mkdtemp(dir)) {
    free(dir);
    return -1;
  }
  *state = dir;
  return 0;
}

static int teardown_tmpdir(void **state) {
  char *dir = *state;
  nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  free(dir);
  return 0;
}

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Whole file as a NUL-terminated malloc'd string; NULL if unreadable. */
static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  sp_buf b;
  sp_buf_init(&b);
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) sp_buf_append(&b, tmp, n);
  fclose(f);
  if (len) *len = b.len;
  return sp_buf_steal(&b);
}

/* Sorted names in dir (including hidden ones), newline-joined. */
static char *list_dir(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    assert_true(n < 64);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  sp_buf b;
  sp_buf_init(&b);
  for (int i = 0; i < n; i++) {
    sp_buf_puts(&b, names[i]);
    sp_buf_putc(&b, '\n');
    free(names[i]);
  }
  return sp_buf_steal(&b);
}

static int count_lines(const char *s, size_t len) {
  int n = 0;
  for (size_t i = 0; i < len; i++) n += s[i] == '\n';
  return n;
}

static bool all_digits(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

static const char *obj_str(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  assert_non_null(v);
  assert_true(json_is_string(v));
  return json_string_value(v);
}

static double obj_real(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  assert_non_null(v);
  assert_true(json_is_real(v));
  return json_real_value(v);
}

static json_int_t obj_int(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  assert_non_null(v);
  assert_true(json_is_integer(v));
  return json_integer_value(v);
}

/* The keys appear in the line text in exactly this order (and only once). */
static void assert_key_order(const char *line, const char *const *keys, int n) {
  const char *prev = line;
  for (int i = 0; i < n; i++) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", keys[i]);
    const char *at = strstr(prev, pat);
    if (!at) fail_msg("key %s missing or out of order in %s", keys[i], line);
    assert_null(strstr(at + 1, pat));
    prev = at + strlen(pat);
  }
}

/* ---- PRNG ---- */

static void test_rng(void **state) {
  (void)state;
  sp_gen_rng a, b, c;
  sp_gen_rng_seed(&a, 42);
  sp_gen_rng_seed(&b, 42);
  sp_gen_rng_seed(&c, 43);
  int same_c = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = sp_gen_rng_next(&a), y = sp_gen_rng_next(&b), z = sp_gen_rng_next(&c);
    assert_true(x == y);
    same_c += x == z;
  }
  assert_int_equal(same_c, 0);
  int hist[7] = {0};
  for (int i = 0; i < 70000; i++) {
    uint32_t v = sp_gen_rng_below(&a, 7);
    assert_true(v < 7);
    hist[v]++;
  }
  for (int i = 0; i < 7; i++) assert_in_range(hist[i], 9000, 11000);
  assert_int_equal(sp_gen_rng_below(&a, 1), 0);
  assert_int_equal(sp_gen_rng_below(&a, 0), 0);
}

/* ---- invoices ---- */

static const char GOLDEN_INVOICE_1[] =
    "{\"InvoiceNumber\":\"8477910\",\"CreatedTime\":1595688900348,\"StoreID\":\"STR5494\",\"PosID\":\"POS712\","
    "\"CashierID\":\"OAS932\",\"CustomerType\":\"NONPRIME\",\"CustomerCardNo\":\"6065750584\","
    "\"TotalAmount\":11514.0,\"NumberOfItems\":4,\"PaymentMethod\":\"CASH\",\"TaxableAmount\":11514.0,"
    "\"CGST\":287.85,\"SGST\":287.85,\"CESS\":14.3925,\"DeliveryType\":\"TAKEAWAY\",\"InvoiceLineItems\":["
    "{\"ItemCode\":\"453\",\"ItemDescription\":\"Shot glass\",\"ItemPrice\":674.0,\"ItemQty\":2,\"TotalValue\":1348.0},"
    "{\"ItemCode\":\"293\",\"ItemDescription\":\"Bar stool\",\"ItemPrice\":1148.0,\"ItemQty\":2,\"TotalValue\":2296.0},"
    "{\"ItemCode\":\"303\",\"ItemDescription\":\"Bench\",\"ItemPrice\":2251.0,\"ItemQty\":2,\"TotalValue\":4502.0},"
    "{\"ItemCode\":\"608\",\"ItemDescription\":\"Pleated Drapes\",\"ItemPrice\":1684.0,\"ItemQty\":2,"
    "\"TotalValue\":3368.0}]}\n";

/* Line 8 at seed 42: doubles needing 17 significant digits print as Java/Python do. */
static const char GOLDEN_INVOICE_8[] =
    "{\"InvoiceNumber\":\"44442305\",\"CreatedTime\":1595688904864,\"StoreID\":\"STR7188\",\"PosID\":\"POS274\","
    "\"CashierID\":\"OAS912\",\"CustomerType\":\"PRIME\",\"CustomerCardNo\":\"6124104402\",\"TotalAmount\":5973.0,"
    "\"NumberOfItems\":3,\"PaymentMethod\":\"CARD\",\"TaxableAmount\":5973.0,\"CGST\":149.32500000000002,"
    "\"SGST\":149.32500000000002,\"CESS\":7.4662500000000005,\"DeliveryType\":\"HOME-DELIVERY\","
    "\"DeliveryAddress\":{\"AddressLine\":\"2457 Etiam St.\",\"City\":\"Pali\",\"State\":\"Rajasthan\","
    "\"PinCode\":\"563245\",\"ContactNumber\":\"7641972434\"},\"InvoiceLineItems\":["
    "{\"ItemCode\":\"388\",\"ItemDescription\":\"Memory Foam\",\"ItemPrice\":1884.0,\"ItemQty\":1,\"TotalValue\":1884.0},"
    "{\"ItemCode\":\"648\",\"ItemDescription\":\"Bottle opener\",\"ItemPrice\":321.0,\"ItemQty\":1,\"TotalValue\":321.0},"
    "{\"ItemCode\":\"388\",\"ItemDescription\":\"Memory Foam\",\"ItemPrice\":1884.0,\"ItemQty\":2,"
    "\"TotalValue\":3768.0}]}\n";

static void test_invoices_golden_and_deterministic(void **state) {
  (void)state;
  sp_gen_invoices g;
  sp_buf a, b;
  sp_buf_init(&a);
  sp_buf_init(&b);
  sp_gen_invoices_init(&g, 42);
  sp_gen_invoices_lines(&g, 500, &a);
  assert_int_equal(sp_buf_check(&a), 0);
  /* Same seed, generated in uneven chunks: identical bytes. */
  sp_gen_invoices_init(&g, 42);
  sp_gen_invoices_lines(&g, 1, &b);
  sp_gen_invoices_lines(&g, 0, &b);
  sp_gen_invoices_lines(&g, 233, &b);
  sp_gen_invoices_lines(&g, 266, &b);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len);
  assert_int_equal(count_lines(a.data, a.len), 500);

  size_t n1 = strlen(GOLDEN_INVOICE_1);
  assert_memory_equal(a.data, GOLDEN_INVOICE_1, n1);
  const char *p = a.data;
  for (int i = 0; i < 7; i++) p = strchr(p, '\n') + 1;
  assert_memory_equal(p, GOLDEN_INVOICE_8, strlen(GOLDEN_INVOICE_8));

  /* Another seed: different bytes. */
  sp_buf_reset(&b);
  sp_gen_invoices_init(&g, 43);
  sp_gen_invoices_lines(&g, 500, &b);
  assert_true(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
  sp_buf_free(&a);
  sp_buf_free(&b);
}

static void test_invoices_shape_and_relations(void **state) {
  (void)state;
  static const char *const top_keys[] = {
      "InvoiceNumber", "CreatedTime", "StoreID", "PosID", "CashierID", "CustomerType",
      "CustomerCardNo", "TotalAmount", "NumberOfItems", "PaymentMethod", "TaxableAmount", "CGST",
      "SGST", "CESS", "DeliveryType", "InvoiceLineItems"};
  static const char *const home_keys[] = {
      "InvoiceNumber", "CreatedTime", "StoreID", "PosID", "CashierID", "CustomerType",
      "CustomerCardNo", "TotalAmount", "NumberOfItems", "PaymentMethod", "TaxableAmount", "CGST",
      "SGST", "CESS", "DeliveryType", "DeliveryAddress", "AddressLine", "City", "State", "PinCode",
      "ContactNumber", "InvoiceLineItems"};
  sp_gen_invoices g;
  sp_buf out;
  sp_buf_init(&out);
  sp_gen_invoices_init(&g, 7);
  const int N = 2000;
  sp_gen_invoices_lines(&g, N, &out);
  assert_int_equal(sp_buf_check(&out), 0);

  int prime = 0, card = 0, home = 0, items_hist[6] = {0};
  json_int_t prev_time = 0;
  char *save = NULL;
  int lines = 0;
  for (char *line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (!o) fail_msg("line %d does not parse: %s: %s", lines, jerr.text, line);
    assert_true(json_is_object(o));

    const char *invno = obj_str(o, "InvoiceNumber");
    assert_in_range(strlen(invno), 6, 8);
    assert_true(all_digits(invno, strlen(invno)));
    json_int_t t = obj_int(o, "CreatedTime");
    if (lines == 0) assert_true(t == SP_GEN_INVOICE_START_MS);
    assert_true(t >= prev_time);
    prev_time = t;
    const char *store = obj_str(o, "StoreID");
    assert_int_equal(strlen(store), 7);
    assert_memory_equal(store, "STR", 3);
    assert_true(all_digits(store + 3, 4));
    const char *pos = obj_str(o, "PosID");
    assert_int_equal(strlen(pos), 6);
    assert_memory_equal(pos, "POS", 3);
    assert_true(all_digits(pos + 3, 3));
    const char *cashier = obj_str(o, "CashierID");
    assert_int_equal(strlen(cashier), 6);
    assert_memory_equal(cashier, "OAS", 3);
    assert_true(all_digits(cashier + 3, 3));
    const char *ctype = obj_str(o, "CustomerType");
    assert_true(!strcmp(ctype, "PRIME") || !strcmp(ctype, "NONPRIME"));
    prime += !strcmp(ctype, "PRIME");
    const char *cardno = obj_str(o, "CustomerCardNo");
    assert_int_equal(strlen(cardno), 10);
    assert_true(all_digits(cardno, 10));
    const char *pay = obj_str(o, "PaymentMethod");
    assert_true(!strcmp(pay, "CARD") || !strcmp(pay, "CASH"));
    card += !strcmp(pay, "CARD");

    json_t *items = json_object_get(o, "InvoiceLineItems");
    assert_true(json_is_array(items));
    size_t nitems = json_array_size(items);
    assert_in_range(nitems, 1, 5);
    items_hist[nitems]++;
    assert_true(obj_int(o, "NumberOfItems") == (json_int_t)nitems);
    double total = 0.0;
    for (size_t i = 0; i < nitems; i++) {
      json_t *it = json_array_get(items, i);
      assert_int_equal(json_object_size(it), 5);
      const char *code = obj_str(it, "ItemCode");
      assert_true(all_digits(code, strlen(code)));
      assert_true(strlen(obj_str(it, "ItemDescription")) > 0);
      double price = obj_real(it, "ItemPrice");
      json_int_t qty = obj_int(it, "ItemQty");
      assert_in_range(qty, 1, 2);
      assert_true(price >= 250.0 && price <= 2500.0);
      assert_true(obj_real(it, "TotalValue") == price * (double)qty);
      total += obj_real(it, "TotalValue");
    }
    /* Exact double relations, as in the seed data. */
    assert_true(obj_real(o, "TotalAmount") == total);
    assert_true(obj_real(o, "TaxableAmount") == total);
    assert_true(obj_real(o, "CGST") == total * 0.025);
    assert_true(obj_real(o, "SGST") == obj_real(o, "CGST"));
    assert_true(obj_real(o, "CESS") == total * 0.00125);

    const char *dt = obj_str(o, "DeliveryType");
    json_t *addr = json_object_get(o, "DeliveryAddress");
    if (!strcmp(dt, "HOME-DELIVERY")) {
      home++;
      assert_true(json_is_object(addr));
      assert_int_equal(json_object_size(addr), 5);
      assert_true(strlen(obj_str(addr, "AddressLine")) > 5);
      assert_true(strlen(obj_str(addr, "City")) > 0);
      assert_true(strlen(obj_str(addr, "State")) > 0);
      const char *pin = obj_str(addr, "PinCode"), *phone = obj_str(addr, "ContactNumber");
      assert_int_equal(strlen(pin), 6);
      assert_true(all_digits(pin, 6));
      assert_int_equal(strlen(phone), 10);
      assert_true(all_digits(phone, 10));
      assert_int_equal(json_object_size(o), 17);
      assert_key_order(line, home_keys, (int)(sizeof home_keys / sizeof home_keys[0]));
    } else {
      assert_string_equal(dt, "TAKEAWAY");
      assert_null(addr);
      assert_int_equal(json_object_size(o), 16);
      assert_key_order(line, top_keys, (int)(sizeof top_keys / sizeof top_keys[0]));
    }
    /* Integral doubles keep their ".0" (Spark infers double, not bigint). */
    assert_non_null(strstr(line, ",\"TotalAmount\":"));
    assert_non_null(strstr(strstr(line, ",\"TotalAmount\":"), ".0,\"NumberOfItems\""));
    json_decref(o);
    lines++;
  }
  assert_int_equal(lines, N);
  /* Mix roughly like the seed: 43% PRIME, 41% CARD, 58% HOME-DELIVERY, 1-5 items. */
  assert_in_range(prime, 760, 960);
  assert_in_range(card, 720, 920);
  assert_in_range(home, 1060, 1260);
  for (int k = 1; k <= 5; k++) assert_in_range(items_hist[k], 320, 480);
  sp_buf_free(&out);
}

/* ---- words ---- */

static void test_words(void **state) {
  (void)state;
  sp_gen_words g;
  sp_buf a, b;
  sp_buf_init(&a);
  sp_buf_init(&b);
  sp_gen_words_init(&g, 42);
  sp_gen_words_lines(&g, 3, &a);
  assert_string_equal(a.data,
                      "table\n"
                      "trigger engine kafka lazy dog engine join engine data event\n"
                      "table count jumps join\n");
  sp_buf_reset(&a);
  sp_gen_words_init(&g, 42);
  sp_gen_words_lines(&g, 10000, &a);
  sp_gen_words_init(&g, 42);
  sp_gen_words_lines(&g, 4999, &b);
  sp_gen_words_lines(&g, 5001, &b);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len);
  assert_int_equal(count_lines(a.data, a.len), 10000);
  /* Every line: 1-10 lower-case words separated by single spaces. */
  int words_total = 0, the = 0;
  const char *p = a.data;
  for (int line = 0; line < 10000; line++) {
    const char *nl = strchr(p, '\n');
    assert_non_null(nl);
    assert_true(nl > p);
    int nw = 1;
    assert_true(p[0] != ' ' && nl[-1] != ' ');
    for (const char *c = p; c < nl; c++) {
      if (*c == ' ') {
        nw++;
        assert_true(c[1] != ' ');
      } else {
        assert_true(*c >= 'a' && *c <= 'z');
      }
      if ((c == p || c[-1] == ' ') && !strncmp(c, "the", 3) && (c[3] == ' ' || c[3] == '\n')) the++;
    }
    assert_in_range(nw, 1, 10);
    words_total += nw;
    p = nl + 1;
  }
  assert_true(*p == '\0');
  /* "the" is the most frequent word: P = 79/1600 under the min-of-two skew. */
  assert_in_range(the, words_total * 4 / 100, words_total * 6 / 100);
  sp_buf_free(&a);
  sp_buf_free(&b);
}

/* ---- seq ---- */

static void test_seq_lines(void **state) {
  (void)state;
  sp_buf b;
  sp_buf_init(&b);
  sp_gen_seq_lines(5, 3, &b);
  assert_string_equal(b.data, "{\"seq\":5}\n{\"seq\":6}\n{\"seq\":7}\n");
  sp_buf_reset(&b);
  sp_gen_seq_lines(-2, 3, &b);
  assert_string_equal(b.data, "{\"seq\":-2}\n{\"seq\":-1}\n{\"seq\":0}\n");
  sp_buf_reset(&b);
  sp_gen_seq_lines(0, 0, &b);
  assert_int_equal(b.len, 0);
  sp_gen_seq_lines(INT64_MAX - 1, 2, &b);
  assert_string_equal(b.data, "{\"seq\":9223372036854775806}\n{\"seq\":9223372036854775807}\n");
  /* Across the internal chunk size. */
  sp_buf_reset(&b);
  sp_gen_seq_lines(0, 20000, &b);
  const char *p = b.data;
  for (int i = 0; i < 20000; i++) {
    char want[32];
    int n = snprintf(want, sizeof want, "{\"seq\":%d}\n", i);
    assert_memory_equal(p, want, (size_t)n);
    p += n;
  }
  assert_true(*p == '\0');
  sp_buf_free(&b);
}

/* ---- ysb ---- */

static bool is_uuid4(const char *s, size_t n) {
  if (n != 36) return false;
  for (size_t i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!strchr("0123456789abcdef", s[i]) || !s[i]) {
      return false;
    }
  }
  return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static void test_ysb_events(void **state) {
  (void)state;
  sp_gen_ysb g;
  spate_error err = {0};
  assert_int_equal(sp_gen_ysb_init(&g, 42, 10, 3, &err), 0);
  sp_buf csv, ev, ev2;
  sp_buf_init(&csv);
  sp_buf_init(&ev);
  sp_buf_init(&ev2);
  sp_gen_ysb_campaigns_csv(&g, &csv);
  sp_gen_ysb_events(&g, 2, &ev);
  assert_string_equal(
      ev.data,
      "{\"user_id\":\"15780b2e-0c2e-4716-a104-d9866d113a7e\",\"page_id\":\"ae175332-39e4-49a1-acb8-ad4703b360a1\","
      "\"ad_id\":\"a9a599c0-2d3d-477e-ad33-7fc605971080\",\"ad_type\":\"mail\",\"event_type\":\"view\","
      "\"event_time\":\"1700000000000\",\"ip_address\":\"1.2.3.4\"}\n"
      "{\"user_id\":\"b8215485-5a65-4db2-999a-2743ebe60087\",\"page_id\":\"c2e96e72-6e97-447e-9556-615f775fbc3d\","
      "\"ad_id\":\"81bd474d-451b-453d-b58f-a10dedb1b5cf\",\"ad_type\":\"modal\",\"event_type\":\"click\","
      "\"event_time\":\"1700000000001\",\"ip_address\":\"1.2.3.4\"}\n");
  sp_gen_ysb_events(&g, 19998, &ev);
  assert_int_equal(sp_buf_check(&ev), 0);
  assert_int_equal(count_lines(ev.data, ev.len), 20000);

  /* CSV: header + one row per ad; ads split over campaigns in contiguous blocks. */
  assert_int_equal(count_lines(csv.data, csv.len), 11);
  assert_memory_equal(csv.data, "ad_id,campaign_id\n", 18);
  char ads[10][37], camps[10][37];
  const char *p = csv.data + 18;
  for (int i = 0; i < 10; i++) {
    assert_true(is_uuid4(p, 36));
    assert_true(p[36] == ',');
    assert_true(is_uuid4(p + 37, 36));
    assert_true(p[73] == '\n');
    memcpy(ads[i], p, 36);
    ads[i][36] = '\0';
    memcpy(camps[i], p + 37, 36);
    camps[i][36] = '\0';
    p += 74;
  }
  /* i * 3 / 10: ads 0-3 -> c0, 4-6 -> c1, 7-9 -> c2 */
  for (int i = 1; i < 10; i++) {
    bool same_block = (i * 3 / 10) == ((i - 1) * 3 / 10);
    assert_true(same_block == (strcmp(camps[i], camps[i - 1]) == 0));
  }
  assert_true(strcmp(camps[0], camps[4]) && strcmp(camps[4], camps[7]) && strcmp(camps[0], camps[7]));
  for (int i = 0; i < 10; i++)
    for (int j = i + 1; j < 10; j++) assert_true(strcmp(ads[i], ads[j]) != 0);

  /* Every event: exact key order, uuids, pooled ad ids, enumerations, time = start + i. */
  static const char *const ad_types[] = {"banner", "modal", "sponsored-search", "mail", "mobile"};
  static const char *const ev_types[] = {"view", "click", "purchase"};
  int ad_hits[10] = {0}, at_hits[5] = {0}, et_hits[3] = {0};
  char *save = NULL;
  int i = 0;
  for (char *line = strtok_r(ev.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
    const char *q = line;
#define EXPECT_LIT(lit)                         \
  do {                                          \
    assert_memory_equal(q, lit, sizeof(lit) - 1); \
    q += sizeof(lit) - 1;                       \
  } while (0)
    EXPECT_LIT("{\"user_id\":\"");
    assert_true(is_uuid4(q, 36));
    q += 36;
    EXPECT_LIT("\",\"page_id\":\"");
    assert_true(is_uuid4(q, 36));
    q += 36;
    EXPECT_LIT("\",\"ad_id\":\"");
    int ad = -1;
    for (int k = 0; k < 10; k++)
      if (!memcmp(q, ads[k], 36)) ad = k;
    assert_true(ad >= 0);
    ad_hits[ad]++;
    q += 36;
    EXPECT_LIT("\",\"ad_type\":\"");
    int at = -1;
    for (int k = 0; k < 5; k++) {
      size_t n = strlen(ad_types[k]);
      if (!strncmp(q, ad_types[k], n) && q[n] == '"') at = k;
    }
    assert_true(at >= 0);
    at_hits[at]++;
    q += strlen(ad_types[at]);
    EXPECT_LIT("\",\"event_type\":\"");
    int et = -1;
    for (int k = 0; k < 3; k++) {
      size_t n = strlen(ev_types[k]);
      if (!strncmp(q, ev_types[k], n) && q[n] == '"') et = k;
    }
    assert_true(et >= 0);
    et_hits[et]++;
    q += strlen(ev_types[et]);
    EXPECT_LIT("\",\"event_time\":\"");
    char want[64];
    int n = snprintf(want, sizeof want, "%" PRId64 "\",\"ip_address\":\"1.2.3.4\"}", SP_GEN_YSB_START_MS + i);
    assert_int_equal(strlen(q), n);
    assert_memory_equal(q, want, (size_t)n);
#undef EXPECT_LIT
    if (i < 50) { /* and it is valid JSON */
      json_error_t jerr;
      json_t *o = json_loads(line, 0, &jerr);
      assert_non_null(o);
      assert_int_equal(json_object_size(o), 7);
      json_decref(o);
    }
  }
  assert_int_equal(i, 20000);
  for (int k = 0; k < 10; k++) assert_in_range(ad_hits[k], 1700, 2300);
  for (int k = 0; k < 5; k++) assert_in_range(at_hits[k], 3600, 4400);
  for (int k = 0; k < 3; k++) assert_in_range(et_hits[k], 6000, 7300);
  sp_gen_ysb_free(&g);

  /* Determinism regardless of chunking. */
  sp_buf_reset(&ev);
  assert_int_equal(sp_gen_ysb_init(&g, 9, 1000, 100, &err), 0);
  sp_gen_ysb_events(&g, 30000, &ev);
  sp_gen_ysb_free(&g);
  assert_int_equal(sp_gen_ysb_init(&g, 9, 1000, 100, &err), 0);
  sp_gen_ysb_events(&g, 12345, &ev2);
  sp_gen_ysb_events(&g, 17655, &ev2);
  sp_gen_ysb_free(&g);
  assert_int_equal(ev.len, ev2.len);
  assert_memory_equal(ev.data, ev2.data, ev.len);
  sp_buf_free(&csv);
  sp_buf_free(&ev);
  sp_buf_free(&ev2);
}

static void test_ysb_init_errors(void **state) {
  (void)state;
  sp_gen_ysb g;
  spate_error err = {0};
  assert_int_equal(sp_gen_ysb_init(&g, 1, 0, 1, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "ads must be between 1 and 10000000 (got 0)");
  assert_int_equal(sp_gen_ysb_init(&g, 1, 10, 11, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "campaigns must be between 1 and the number of ads 10 (got 11)");
  assert_int_equal(sp_gen_ysb_init(&g, 1, 10, 0, &err), SPATE_EINVAL);
  assert_null(g.ad_ids);
  sp_gen_ysb_free(&g); /* harmless after a failed init */
}

/* ---- the driver ---- */

static void test_run_invoices_dir(void **state) {
  const char *tmp = *state;
  char *dir = path_in(tmp, "in/nested");
  sp_gen_spec s;
  sp_gen_spec_init(&s, SP_GEN_DATA_INVOICES);
  s.out_dir = dir;
  s.files = 3;
  s.per_file = 10;
  spate_error err = {0};
  assert_int_equal(sp_gen_run(&s, &err), 0);
  char *names = list_dir(dir);
  assert_string_equal(names, "invoices-00000.json\ninvoices-00001.json\ninvoices-00002.json\n");
  free(names);

  /* The files concatenated are the first 30 invoices of seed 42. */
  sp_buf want;
  sp_buf_init(&want);
  sp_gen_invoices g;
  sp_gen_invoices_init(&g, 42);
  sp_gen_invoices_lines(&g, 30, &want);
  sp_buf got;
  sp_buf_init(&got);
  for (int i = 0; i < 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "invoices-%05d.json", i);
    char *path = path_in(dir, name);
    size_t len;
    char *data = read_all(path, &len);
    assert_non_null(data);
    assert_int_equal(count_lines(data, len), 10);
    sp_buf_append(&got, data, len);
    free(data);
    free(path);
  }
  assert_int_equal(got.len, want.len);
  assert_memory_equal(got.data, want.data, got.len);

  /* A second run into the same directory refuses before writing anything. */
  s.per_file = 5;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EEXIST);
  assert_non_null(strstr(err.message, "invoices-00000.json' already exists"));
  /* ...but continues fine with another first file index. */
  s.first_file = 3;
  s.files = 1;
  assert_int_equal(sp_gen_run(&s, &err), 0);
  names = list_dir(dir);
  assert_string_equal(names,
                      "invoices-00000.json\ninvoices-00001.json\ninvoices-00002.json\ninvoices-00003.json\n");
  free(names);
  char *p0 = path_in(dir, "invoices-00000.json");
  size_t len0;
  char *d0 = read_all(p0, &len0);
  assert_int_equal(count_lines(d0, len0), 10); /* untouched */
  free(d0);
  free(p0);
  sp_buf_free(&want);
  sp_buf_free(&got);
  free(dir);
}

static void test_run_seq_dir(void **state) {
  const char *tmp = *state;
  char *dir = path_in(tmp, "seq");
  sp_gen_spec s;
  sp_gen_spec_init(&s, SP_GEN_DATA_SEQ);
  s.out_dir = dir;
  s.files = 3;
  s.per_file = 4;
  spate_error err = {0};
  assert_int_equal(sp_gen_run(&s, &err), 0);
  /* Continue the sequence: the default first file index is start / per_file. */
  s.start = 12;
  s.files = 2;
  assert_int_equal(sp_gen_run(&s, &err), 0);
  char *names = list_dir(dir);
  assert_string_equal(names, "seq-00000.json\nseq-00001.json\nseq-00002.json\nseq-00003.json\nseq-00004.json\n");
  free(names);
  int next = 0;
  for (int f = 0; f < 5; f++) {
    char name[32];
    snprintf(name, sizeof name, "seq-%05d.json", f);
    char *path = path_in(dir, name);
    char *data = read_all(path, NULL);
    assert_non_null(data);
    char want[128];
    snprintf(want, sizeof want, "{\"seq\":%d}\n{\"seq\":%d}\n{\"seq\":%d}\n{\"seq\":%d}\n", next, next + 1, next + 2,
             next + 3);
    assert_string_equal(data, want);
    next += 4;
    free(data);
    free(path);
  }
  assert_int_equal(next, 20);
  /* Overlapping start collides with an existing file: refused. */
  s.start = 4;
  s.files = 1;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EEXIST);
  free(dir);
}

static void test_run_ysb_dir_and_csv(void **state) {
  const char *tmp = *state;
  char *dir = path_in(tmp, "ysb");
  char *csv = path_in(tmp, "campaigns.csv");
  sp_gen_spec s;
  sp_gen_spec_init(&s, SP_GEN_DATA_YSB);
  s.out_dir = dir;
  s.files = 3;
  s.count = 10;
  s.ads = 20;
  s.campaigns = 4;
  s.campaigns_out = csv;
  spate_error err = {0};
  assert_int_equal(sp_gen_run(&s, &err), 0);
  char *names = list_dir(dir);
  assert_string_equal(names, "ysb-00000.json\nysb-00001.json\nysb-00002.json\n");
  free(names);

  sp_gen_ysb g;
  assert_int_equal(sp_gen_ysb_init(&g, 42, 20, 4, &err), 0);
  sp_buf want_csv, want_ev, got;
  sp_buf_init(&want_csv);
  sp_buf_init(&want_ev);
  sp_buf_init(&got);
  sp_gen_ysb_campaigns_csv(&g, &want_csv);
  sp_gen_ysb_events(&g, 10, &want_ev);
  sp_gen_ysb_free(&g);
  char *data = read_all(csv, NULL);
  assert_non_null(data);
  assert_string_equal(data, want_csv.data);
  free(data);
  static const int per[3] = {4, 3, 3};
  for (int f = 0; f < 3; f++) {
    char name[32];
    snprintf(name, sizeof name, "ysb-%05d.json", f);
    char *path = path_in(dir, name);
    size_t len;
    data = read_all(path, &len);
    assert_non_null(data);
    assert_int_equal(count_lines(data, len), per[f]);
    sp_buf_append(&got, data, len);
    free(data);
    free(path);
  }
  assert_string_equal(got.data, want_ev.data);
  sp_buf_free(&want_csv);
  sp_buf_free(&want_ev);
  sp_buf_free(&got);
  free(csv);
  free(dir);
}

static void test_run_words_file_and_fd(void **state) {
  const char *tmp = *state;
  char *file = path_in(tmp, "words.txt");
  sp_gen_spec s;
  sp_gen_spec_init(&s, SP_GEN_DATA_WORDS);
  s.out_file = file;
  s.count = 100000; /* several internal chunks */
  spate_error err = {0};
  assert_int_equal(sp_gen_run(&s, &err), 0);
  s.count = 3; /* an existing single output file is replaced */
  assert_int_equal(sp_gen_run(&s, &err), 0);
  char *data = read_all(file, NULL);
  assert_string_equal(data,
                      "table\n"
                      "trigger engine kafka lazy dog engine join engine data event\n"
                      "table count jumps join\n");
  free(data);
  char *names = list_dir(tmp);
  assert_string_equal(names, "words.txt\n"); /* no temporary left behind */
  free(names);

  /* To a descriptor (what --out - uses with fd 1). */
  char *fdfile = path_in(tmp, "fd.out");
  int fd = open(fdfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  sp_gen_spec_init(&s, SP_GEN_DATA_SEQ);
  s.out_fd = fd;
  s.files = 2;
  s.per_file = 2;
  s.start = 7;
  assert_int_equal(sp_gen_run(&s, &err), 0);
  close(fd);
  data = read_all(fdfile, NULL);
  assert_string_equal(data, "{\"seq\":7}\n{\"seq\":8}\n{\"seq\":9}\n{\"seq\":10}\n");
  free(data);

  /* Up to INT64_MAX inclusive. */
  fd = open(fdfile, O_WRONLY | O_TRUNC);
  assert_true(fd >= 0);
  s.out_fd = fd;
  s.files = 1;
  s.start = INT64_MAX - 1;
  assert_int_equal(sp_gen_run(&s, &err), 0);
  s.per_file = 3;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "sequence numbers from 9223372036854775806 overflow");
  close(fd);
  data = read_all(fdfile, NULL);
  assert_string_equal(data, "{\"seq\":9223372036854775806}\n{\"seq\":9223372036854775807}\n");
  free(data);

  /* An existing symlink is written through, not replaced. */
  char *link = path_in(tmp, "link.txt");
  assert_int_equal(symlink(fdfile, link), 0);
  sp_gen_spec_init(&s, SP_GEN_DATA_WORDS);
  s.out_file = link;
  s.count = 1;
  assert_int_equal(sp_gen_run(&s, &err), 0);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  data = read_all(fdfile, NULL);
  assert_string_equal(data, "table\n");
  free(data);
  free(link);
  free(fdfile);
  free(file);
}

static void test_run_errors(void **state) {
  const char *tmp = *state;
  spate_error err = {0};
  sp_gen_spec s;

  /* out_dir is a regular file. */
  char *file = path_in(tmp, "plain");
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  sp_gen_spec_init(&s, SP_GEN_DATA_SEQ);
  s.out_dir = file;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EIO);
  assert_non_null(strstr(err.message, "not a directory"));

  /* A directory below a regular file cannot be created. */
  char *below = path_in(file, "sub");
  s.out_dir = below;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EIO);
  assert_non_null(strstr(err.message, "cannot create directory"));
  free(below);

  sp_gen_spec_init(&s, SP_GEN_DATA_INVOICES);
  s.out_dir = tmp;
  s.files = 0;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EINVAL);
  assert_string_equal(err.message, "files must be between 1 and 10000000 (got 0)");

  sp_gen_spec_init(&s, SP_GEN_DATA_INVOICES);
  s.per_file = -1;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EINVAL);

  sp_gen_spec_init(&s, SP_GEN_DATA_SEQ);
  s.start = INT64_MAX - 5;
  s.files = 1;
  s.per_file = 10;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EINVAL);

  sp_gen_spec_init(&s, SP_GEN_DATA_YSB);
  s.count = 1;
  s.ads = 5;
  s.campaigns = 6;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EINVAL);

  sp_gen_spec_init(&s, SP_GEN_DATA_WORDS);
  s.count = -1;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EINVAL);

  /* Writing to a directory path as a file. */
  sp_gen_spec_init(&s, SP_GEN_DATA_WORDS);
  s.out_file = tmp;
  s.count = 1;
  assert_int_equal(sp_gen_run(&s, &err), SPATE_EIO);

  /* Nothing but the plain file was created. */
  char *names = list_dir(tmp);
  assert_string_equal(names, "plain\n");
  free(names);
  free(file);
}

static void test_file_abort_and_mkdirs(void **state) {
  const char *tmp = *state;
  char *deep = path_in(tmp, "a/b/c/");
  spate_error err = {0};
  assert_int_equal(sp_gen_mkdirs(deep, &err), 0);
  assert_int_equal(sp_gen_mkdirs(deep, &err), 0); /* idempotent */
  assert_int_equal(sp_gen_mkdirs("", &err), SPATE_EINVAL);
  struct stat st;
  assert_int_equal(stat(deep, &st), 0);
  assert_true(S_ISDIR(st.st_mode));

  char *target = path_in(tmp, "a/b/c/x.json");
  sp_gen_file f;
  assert_int_equal(sp_gen_file_open(&f, target, &err), 0);
  assert_non_null(f.tmp_path);
  assert_non_null(strstr(f.tmp_path, "/a/b/c/.x.json."));
  assert_int_equal(sp_gen_file_write(&f, "abc", 3, &err), 0);
  assert_int_equal(stat(target, &st), -1); /* invisible until commit */
  sp_gen_file_abort(&f);
  char *names = list_dir(deep);
  assert_string_equal(names, "");
  free(names);

  assert_int_equal(sp_gen_file_open(&f, target, &err), 0);
  assert_int_equal(sp_gen_file_write(&f, "abc\n", 4, &err), 0);
  assert_int_equal(sp_gen_file_commit(&f, &err), 0);
  names = list_dir(deep);
  assert_string_equal(names, "x.json\n");
  free(names);
  char *data = read_all(target, NULL);
  assert_string_equal(data, "abc\n");
  free(data);
  free(target);
  free(deep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rng),
      cmocka_unit_test(test_invoices_golden_and_deterministic),
      cmocka_unit_test(test_invoices_shape_and_relations),
      cmocka_unit_test(test_words),
      cmocka_unit_test(test_seq_lines),
      cmocka_unit_test(test_ysb_events),
      cmocka_unit_test(test_ysb_init_errors),
      cmocka_unit_test_setup_teardown(test_run_invoices_dir, setup_tmpdir, teardown_tmpdir),
      cmocka_unit_test_setup_teardown(test_run_seq_dir, setup_tmpdir, teardown_tmpdir),
      cmocka_unit_test_setup_teardown(test_run_ysb_dir_and_csv, setup_tmpdir, teardown_tmpdir),
      cmocka_unit_test_setup_teardown(test_run_words_file_and_fd, setup_tmpdir, teardown_tmpdir),
      cmocka_unit_test_setup_teardown(test_run_errors, setup_tmpdir, teardown_tmpdir),
      cmocka_unit_test_setup_teardown(test_file_abort_and_mkdirs, setup_tmpdir, teardown_tmpdir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
