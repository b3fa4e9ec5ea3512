/* test_datetime.c - unit tests for src/common/datetime.c (civil dates, zones, patterns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/datetime.h"

static void test_civil(void **state) {
  (void)state;
  assert_int_equal(sp_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(sp_days_from_civil(2020, 7, 25), 18468);
  assert_int_equal(sp_days_from_civil(1900, 2, 28), -25509);
  assert_int_equal(sp_days_from_civil(2400, 12, 31), 157419);
  int64_t y;
  unsigned m, d;
  sp_civil_from_days(-25509, &y, &m, &d);
  assert_int_equal(y, 1900);
  assert_int_equal(m, 2);
  assert_int_equal(d, 28);
  sp_civil_from_days(11016, &y, &m, &d); /* 2000-02-29 */
  assert_int_equal(y, 2000);
  assert_int_equal(m, 2);
  assert_int_equal(d, 29);
  for (int32_t k = -800000; k < 800000; k += 997) {
    sp_civil_from_days(k, &y, &m, &d);
    assert_int_equal(sp_days_from_civil(y, m, d), k);
  }
}

static void test_zones(void **state) {
  (void)state;
  const int64_t S = 1000000;
  assert_int_equal(sp_tz_offset_seconds(NULL, 0), 0);
  assert_int_equal(sp_tz_offset_seconds("UTC", 0), 0);
  assert_int_equal(sp_tz_offset_seconds("+05:30", 0), 19800);
  assert_int_equal(sp_tz_offset_seconds("GMT+1", 0), 3600);
  assert_int_equal(sp_tz_offset_seconds("UTC-08:00", 0), -28800);
  assert_int_equal(sp_tz_offset_seconds("-0330", 0), -12600);
  /* 2020-07-25T12:00Z PDT, 2020-01-15 PST, 2050 via the POSIX footer rule, 1850 LMT */
  assert_int_equal(sp_tz_offset_seconds("America/Los_Angeles", 1595678400LL * S), -25200);
  assert_int_equal(sp_tz_offset_seconds("America/Los_Angeles", 1579089600LL * S), -28800);
  assert_int_equal(sp_tz_offset_seconds("America/Los_Angeles", 2540289600LL * S), -25200);
  assert_int_equal(sp_tz_offset_seconds("America/Los_Angeles", 2553508800LL * S), -28800);
  assert_int_equal(sp_tz_offset_seconds("America/Los_Angeles", -3786825600LL * S), -28378);
  assert_int_equal(sp_tz_offset_seconds("PST", 1595678400LL * S), -25200);
  assert_int_equal(sp_tz_offset_seconds("Asia/Kolkata", 0), 19800);
  /* southern hemisphere rule in 2045 */
  assert_int_equal(sp_tz_offset_seconds("Australia/Sydney", 2368051200LL * S), 39600);
  assert_int_equal(sp_tz_offset_seconds("Australia/Sydney", 2383689600LL * S), 36000);
  assert_null(sp_tz_open("No/Such_Zone"));
  assert_null(sp_tz_open("../etc/passwd"));
  sp_tz *la = sp_tz_open("America/Los_Angeles");
  assert_non_null(la);
  assert_string_equal(sp_tz_name(la), "America/Los_Angeles");
  /* gap 2021-03-14 02:30 local -> 10:30Z; overlap 2021-11-07 01:30 -> earlier (PDT) 08:30Z */
  int64_t gap_local = 1615689000LL; /* 2021-03-14T02:30 as if UTC */
  assert_int_equal(gap_local - sp_tz_offset_local(la, gap_local), 1615717800LL);
  int64_t ov_local = 1636248600LL; /* 2021-11-07T01:30 */
  assert_int_equal(ov_local - sp_tz_offset_local(la, ov_local), 1636273800LL);
  sp_tz_close(la);
}

static void check_fmt(int64_t us, const char *pat, const char *tz, const char *want) {
  char buf[128];
  int n = sp_timestamp_format(us, pat, tz, buf, sizeof buf);
  assert_int_equal(n, (int)strlen(want));
  assert_string_equal(buf, want);
}

static void test_format(void **state) {
  (void)state;
  int64_t t = 1595688900348000LL; /* 2020-07-25T14:55:00.348Z */
  check_fmt(t, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "UTC", "2020-07-25T14:55:00.348Z");
  check_fmt(t, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "America/Los_Angeles", "2020-07-25T07:55:00.348-07:00");
  check_fmt(t, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "Asia/Kolkata", "2020-07-25T20:25:00.348+05:30");
  check_fmt(t, "yyyy-MM-dd HH:mm:ss", NULL, "2020-07-25 14:55:00");
  check_fmt(t, "dd/MM/yy hh:mm a", "UTC", "25/07/20 02:55 PM");
  check_fmt(t, "EEE, d MMM yyyy", "UTC", "Sat, 25 Jul 2020");
  check_fmt(t, "EEEE MMMM D", "UTC", "Saturday July 207");
  check_fmt(t, "HH:mm:ss.SSSSSS Z", "-08:00", "06:55:00.348000 -0800");
  check_fmt(t, "xxx X x", "UTC", "+00:00 Z +00");
  check_fmt(t, "z VV", "America/Los_Angeles", "PDT America/Los_Angeles");
  check_fmt(t, "'It''s' yyyy", "UTC", "It's 2020");
  check_fmt(t, "yyyy[-MM]", "UTC", "2020-07");
  check_fmt(-1, "yyyy-MM-dd HH:mm:ss.SSSSSS", "UTC", "1969-12-31 23:59:59.999999");
  char buf[64];
  assert_int_equal(sp_timestamp_format(t, "yyyy-bb", "UTC", buf, sizeof buf), -1);
  assert_int_equal(sp_timestamp_format(t, "'open", "UTC", buf, sizeof buf), -1);
  assert_int_equal(sp_timestamp_format(t, "ddd", "UTC", buf, sizeof buf), -1);
  char iso[32];
  sp_format_iso_millis(1704067200000LL, iso);
  assert_string_equal(iso, "2024-01-01T00:00:00.000Z");
  sp_format_iso_millis(1595688900348LL, iso);
  assert_string_equal(iso, "2020-07-25T14:55:00.348Z");
  assert_int_equal(sp_timestamp_format_cast(1558346700000000LL, NULL, buf, sizeof buf), 19);
  assert_string_equal(buf, "2019-05-20 10:05:00");
  sp_timestamp_format_cast(t, NULL, buf, sizeof buf);
  assert_string_equal(buf, "2020-07-25 14:55:00.348");
  sp_timestamp_format_cast(t + 1, NULL, buf, sizeof buf);
  assert_string_equal(buf, "2020-07-25 14:55:00.348001");
  sp_date_format_cast(18468, buf, sizeof buf);
  assert_string_equal(buf, "2020-07-25");
}

static void check_parse(const char *s, const char *pat, const char *tz, int64_t want) {
  int64_t us = 0;
  assert_int_equal(sp_timestamp_parse(s, strlen(s), pat, tz, &us), 0);
  assert_int_equal(us, want);
}
static void check_parse_fail(const char *s, const char *pat) {
  int64_t us = 0;
  assert_int_equal(sp_timestamp_parse(s, strlen(s), pat, "UTC", &us), -1);
}

static void test_parse(void **state) {
  (void)state;
  const int64_t S = 1000000;
  int64_t base = 1595688900LL * S; /* 2020-07-25 14:55:00Z */
  check_parse("2020-07-25 14:55:00", "yyyy-MM-dd HH:mm:ss", NULL, base);
  check_parse("2020-07-25 14:55:00", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles", base + 7 * 3600 * S);
  check_parse("2020-07-25T14:55:00.348Z", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "Asia/Kolkata", base + 348000);
  check_parse("2020-07-25T14:55:00.3+01:00", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", NULL, base - 3600 * S + 300000);
  check_parse("25/07/2020", "dd/MM/yyyy", NULL, 18468LL * 86400 * S);
  check_parse("20200725", "yyyyMMdd", NULL, 18468LL * 86400 * S);
  check_parse("7/5/20 2:55 pm", "M/d/yy h:mm a", NULL, (int64_t)sp_days_from_civil(2020, 7, 5) * 86400 * S + 14 * 3600 * S + 55 * 60 * S);
  check_parse("Jul 25 2020 14:55:00 PDT", "MMM dd yyyy HH:mm:ss z", NULL, base + 7 * 3600 * S);
  check_parse("2020-07-25 14:55", "yyyy-MM-dd HH:mm[:ss]", NULL, base);
  check_parse("2020-07-25 14:55:00", "yyyy-MM-dd HH:mm[:ss]", NULL, base);
  check_parse_fail("2020-07-25 14:55:00x", "yyyy-MM-dd HH:mm:ss");
  check_parse_fail("2020-7-25", "yyyy-MM-dd");
  check_parse_fail("2020-02-30", "yyyy-MM-dd");
  check_parse_fail("2020-07-25 24:00:00", "yyyy-MM-dd HH:mm:ss");
  /* Spark's default lenient cast */
  check_parse("2020-07-25 14:55:00", NULL, NULL, base);
  check_parse("  2020-07-25T14:55:00.348Z ", NULL, "America/Los_Angeles", base + 348000);
  check_parse("2020-07-25T14:55:00.348+05:30", NULL, NULL, base + 348000 - 19800 * S);
  check_parse("2020-07-25 14:55:00 America/Los_Angeles", NULL, NULL, base + 7 * 3600 * S);
  check_parse("2020-7-5 1:2:3.1234567", NULL, NULL,
              (int64_t)sp_days_from_civil(2020, 7, 5) * 86400 * S + 3723 * S + 123456);
  check_parse("2020-07-25", NULL, NULL, 18468LL * 86400 * S);
  check_parse("2020-07", NULL, NULL, (int64_t)sp_days_from_civil(2020, 7, 1) * 86400 * S);
  check_parse("2020", NULL, NULL, (int64_t)sp_days_from_civil(2020, 1, 1) * 86400 * S);
  check_parse("2020-07-25 14", NULL, NULL, base - 55 * 60 * S);
  check_parse_fail("2020-07-25 14:55:61", NULL);
  check_parse_fail("20-07-25", NULL);
  check_parse_fail("hello", NULL);
  check_parse_fail("", NULL);
  check_parse_fail("12:00:00", NULL);
  int32_t days;
  assert_int_equal(sp_date_parse("2020-07-25", 10, NULL, &days), 0);
  assert_int_equal(days, 18468);
  assert_int_equal(sp_date_parse("2020-07-25T10:00", 16, NULL, &days), 0);
  assert_int_equal(days, 18468);
  assert_int_equal(sp_date_parse("2020-7", 6, NULL, &days), 0);
  assert_int_equal(days, sp_days_from_civil(2020, 7, 1));
  assert_int_equal(sp_date_parse("2020-07-25x", 11, NULL, &days), -1);
  assert_int_equal(sp_date_parse("25.07.2020", 10, "dd.MM.yyyy", &days), 0);
  assert_int_equal(days, 18468);
}

static void test_compiled(void **state) {
  (void)state;
  sp_dtfmt *f = sp_dtfmt_compile("yyyy-MM-dd HH:mm:ss");
  assert_non_null(f);
  sp_tz *tz = sp_tz_open("Europe/Berlin");
  assert_non_null(tz);
  int64_t us;
  assert_int_equal(sp_dtfmt_parse(f, "2021-06-01 12:00:00", 19, tz, &us), 0);
  assert_int_equal(us, 1622541600LL * 1000000);
  char buf[64];
  assert_int_equal(sp_dtfmt_format(f, us, tz, buf, sizeof buf), 19);
  assert_string_equal(buf, "2021-06-01 12:00:00");
  /* truncation keeps NUL termination */
  assert_int_equal(sp_dtfmt_format(f, us, tz, buf, 5), 4);
  assert_string_equal(buf, "2021");
  sp_dtfmt_free(f);
  sp_tz_close(tz);
  assert_null(sp_dtfmt_compile("yyyy-MM-dd[ HH"));
  assert_null(sp_dtfmt_compile("yyyy#"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_civil),   cmocka_unit_test(test_zones),    cmocka_unit_test(test_format),
      cmocka_unit_test(test_parse),   cmocka_unit_test(test_compiled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
