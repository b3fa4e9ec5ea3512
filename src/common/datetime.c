/*
 * datetime.c - civil-time arithmetic, time zones (fixed offsets and a small TZif
 * reader), Spark datetime patterns (compile / parse / format) and Spark's lenient
 * CAST(string AS TIMESTAMP/DATE).
 *
 * Invariants: no global mutable state; an sp_tz and an sp_dtfmt are immutable after
 * construction and may be shared between threads. All arithmetic on instants uses
 * floor division so negative (pre-1970) instants behave. Timestamps are microseconds,
 * zone offsets are seconds east of UTC.
 */
#include "common/datetime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define US_PER_SEC 1000000LL
#define SEC_PER_DAY 86400LL
#define US_PER_DAY (SEC_PER_DAY * US_PER_SEC)

static inline int64_t fdiv_(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b) != 0 && ((a < 0) != (b < 0))) q--;
  return q;
}
static inline int64_t fmod_(int64_t a, int64_t b) { return a - fdiv_(a, b) * b; }

/* ------------------------------------------------------------------ civil dates */

int32_t sp_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + (int64_t)doe - 719468);
}

void sp_civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d) {
  int64_t z = (int64_t)days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

static bool is_leap_(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month_(int64_t y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && is_leap_(y)) return 29;
  return dim[m - 1];
}

/* ------------------------------------------------------------------ time zones */

typedef struct tz_rule_ {
  char kind; /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.day) */
  int m, w, d, n;
  int32_t time; /* seconds after local midnight (may be negative or > 24h) */
} tz_rule_;

struct sp_tz {
  char name[72];
  bool fixed;
  int32_t fixed_off;
  /* TZif data */
  int ntrans, ntypes;
  int64_t *trans;    /* ntrans UTC seconds, ascending */
  uint8_t *trans_ty; /* ntrans type indexes */
  int32_t *ty_off;   /* ntypes */
  uint8_t *ty_dst;
  uint8_t *ty_abbr; /* index into abbrs */
  char *abbrs;
  int nabbrs;
  /* POSIX TZ footer */
  bool has_rule, rule_dst;
  int32_t std_off, dst_off; /* seconds east of UTC */
  char std_abbr[16], dst_abbr[16];
  tz_rule_ start, end;
};

static void tz_free_data_(sp_tz *tz) {
  free(tz->trans);
  free(tz->trans_ty);
  free(tz->ty_off);
  free(tz->ty_dst);
  free(tz->ty_abbr);
  free(tz->abbrs);
}

void sp_tz_close(sp_tz *tz) {
  if (!tz) return;
  tz_free_data_(tz);
  free(tz);
}

const char *sp_tz_name(const sp_tz *tz) { return tz ? tz->name : "UTC"; }

static inline bool two_digits_(const char *s, size_t n, size_t q) {
  return q + 1 < n && isdigit((unsigned char)s[q]) && isdigit((unsigned char)s[q + 1]);
}

/* Parse an offset "[+-]h[h][[:]mm[[:]ss]]" at s[*i..n) into signed seconds east of UTC.
 * Advances *i past what was consumed; false if no offset is there. */
static bool parse_hms_offset_(const char *s, size_t n, size_t *i, bool need_sign, int32_t *out) {
  size_t p = *i;
  int sign = 1;
  if (p < n && (s[p] == '+' || s[p] == '-')) {
    sign = s[p] == '-' ? -1 : 1;
    p++;
  } else if (need_sign) {
    return false;
  }
  int h = 0, mnt = 0, sec = 0, nd = 0;
  while (p < n && nd < 2 && isdigit((unsigned char)s[p])) h = h * 10 + (s[p++] - '0'), nd++;
  if (nd == 0) return false;
  if (p < n && s[p] == ':') {
    if (!two_digits_(s, n, p + 1)) return false;
    mnt = (s[p + 1] - '0') * 10 + (s[p + 2] - '0');
    p += 3;
    if (p < n && s[p] == ':') {
      if (!two_digits_(s, n, p + 1)) return false;
      sec = (s[p + 1] - '0') * 10 + (s[p + 2] - '0');
      p += 3;
    }
  } else if (nd == 2 && two_digits_(s, n, p)) {
    mnt = (s[p] - '0') * 10 + (s[p + 1] - '0');
    p += 2;
    if (two_digits_(s, n, p)) {
      sec = (s[p] - '0') * 10 + (s[p + 1] - '0');
      p += 2;
    }
  }
  if (h > 18 || mnt > 59 || sec > 59) return false;
  int32_t v = h * 3600 + mnt * 60 + sec;
  if (v > 18 * 3600) return false;
  *out = sign * v;
  *i = p;
  return true;
}

/* "UTC", "Z", "GMT", "UT", "+05:30", "GMT+1", "UTC-08:00", "UT+3". */
static bool parse_fixed_zone_(const char *name, size_t n, int32_t *off) {
  if (n == 0) {
    *off = 0;
    return true;
  }
  size_t i = 0;
  if (n >= 3 && (strncasecmp(name, "UTC", 3) == 0 || strncasecmp(name, "GMT", 3) == 0 ||
                 strncasecmp(name, "UCT", 3) == 0))
    i = 3;
  else if (n >= 2 && strncasecmp(name, "UT", 2) == 0)
    i = 2;
  else if (n == 1 && (name[0] == 'Z' || name[0] == 'z'))
    i = 1;
  if (i == n) {
    *off = 0;
    return true;
  }
  if (i == 1 && (name[0] == 'Z' || name[0] == 'z')) return false;
  int32_t v;
  size_t p = i;
  if (!parse_hms_offset_(name, n, &p, true, &v) || p != n) return false;
  *off = v;
  return true;
}

static uint32_t be32_(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static int64_t be64_(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return (int64_t)v;
}

/* POSIX TZ: name is alphabetic (>= 3) or <...>. */
static bool posix_name_(const char *s, size_t n, size_t *i, char *out, size_t cap) {
  size_t p = *i, k = 0;
  if (p < n && s[p] == '<') {
    p++;
    while (p < n && s[p] != '>') {
      if (k + 1 < cap) out[k++] = s[p];
      p++;
    }
    if (p >= n) return false;
    p++;
  } else {
    while (p < n && isalpha((unsigned char)s[p])) {
      if (k + 1 < cap) out[k++] = s[p];
      p++;
    }
    if (k < 3) return false;
  }
  out[k] = '\0';
  *i = p;
  return true;
}

/* [+-]hh[:mm[:ss]] with hh up to 167 (rule times) */
static bool posix_time_(const char *s, size_t n, size_t *i, int32_t *out) {
  size_t p = *i;
  int sign = 1;
  if (p < n && (s[p] == '+' || s[p] == '-')) sign = s[p++] == '-' ? -1 : 1;
  int32_t parts[3] = {0, 0, 0};
  int np = 0;
  while (np < 3) {
    int nd = 0, v = 0;
    while (p < n && isdigit((unsigned char)s[p]) && nd < 3) v = v * 10 + (s[p++] - '0'), nd++;
    if (nd == 0) return false;
    parts[np++] = v;
    if (p < n && s[p] == ':')
      p++;
    else
      break;
  }
  *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  *i = p;
  return true;
}

static bool posix_rule_(const char *s, size_t n, size_t *i, tz_rule_ *r) {
  size_t p = *i;
  memset(r, 0, sizeof *r);
  r->time = 7200;
  if (p < n && s[p] == 'M') {
    p++;
    int v[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
      int nd = 0;
      while (p < n && isdigit((unsigned char)s[p]) && nd < 2) v[k] = v[k] * 10 + (s[p++] - '0'), nd++;
      if (nd == 0) return false;
      if (k < 2) {
        if (p >= n || s[p] != '.') return false;
        p++;
      }
    }
    if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6) return false;
    r->kind = 'M';
    r->m = v[0];
    r->w = v[1];
    r->d = v[2];
  } else {
    r->kind = 'N';
    if (p < n && s[p] == 'J') {
      r->kind = 'J';
      p++;
    }
    int nd = 0, v = 0;
    while (p < n && isdigit((unsigned char)s[p]) && nd < 3) v = v * 10 + (s[p++] - '0'), nd++;
    if (nd == 0) return false;
    r->n = v;
  }
  if (p < n && s[p] == '/') {
    p++;
    if (!posix_time_(s, n, &p, &r->time)) return false;
  }
  *i = p;
  return true;
}

static bool parse_posix_tz_(sp_tz *tz, const char *s, size_t n) {
  size_t i = 0;
  int32_t off;
  if (!posix_name_(s, n, &i, tz->std_abbr, sizeof tz->std_abbr)) return false;
  if (!posix_time_(s, n, &i, &off)) return false;
  tz->std_off = -off;
  tz->has_rule = true;
  if (i == n) return true;
  if (!posix_name_(s, n, &i, tz->dst_abbr, sizeof tz->dst_abbr)) return false;
  tz->dst_off = tz->std_off + 3600;
  if (i < n && s[i] != ',') {
    if (!posix_time_(s, n, &i, &off)) return false;
    tz->dst_off = -off;
  }
  tz->rule_dst = true;
  if (i == n) {
    /* no rule: US default */
    tz->start = (tz_rule_){'M', 3, 2, 0, 0, 7200};
    tz->end = (tz_rule_){'M', 11, 1, 0, 0, 7200};
    return true;
  }
  if (s[i] != ',') return false;
  i++;
  if (!posix_rule_(s, n, &i, &tz->start)) return false;
  if (i >= n || s[i] != ',') return false;
  i++;
  if (!posix_rule_(s, n, &i, &tz->end)) return false;
  return i == n;
}

static bool tzif_parse_(sp_tz *tz, const unsigned char *d, size_t n) {
  if (n < 44 || memcmp(d, "TZif", 4) != 0) return false;
  int version = d[4] ? d[4] - '0' : 1;
  size_t p = 0;
  int tsize = 4;
  for (int pass = 0; pass < 2; pass++) {
    if (p + 44 > n || memcmp(d + p, "TZif", 4) != 0) return false;
    uint32_t isut = be32_(d + p + 20), isstd = be32_(d + p + 24), leap = be32_(d + p + 28);
    uint32_t timecnt = be32_(d + p + 32), typecnt = be32_(d + p + 36), charcnt = be32_(d + p + 40);
    if (timecnt > 100000 || typecnt > 256 || typecnt == 0 || charcnt > 65536 || leap > 100000) return false;
    size_t block = (size_t)timecnt * (size_t)tsize + timecnt + (size_t)typecnt * 6 + charcnt +
                   (size_t)leap * (size_t)(tsize + 4) + isstd + isut;
    p += 44;
    if (p + block > n) return false;
    if (pass == 0 && version >= 2) {
      p += block;
      tsize = 8;
      continue;
    }
    const unsigned char *q = d + p;
    tz->ntrans = (int)timecnt;
    tz->ntypes = (int)typecnt;
    tz->nabbrs = (int)charcnt;
    tz->trans = malloc(sizeof(int64_t) * (timecnt ? timecnt : 1));
    tz->trans_ty = malloc(timecnt ? timecnt : 1);
    tz->ty_off = malloc(sizeof(int32_t) * typecnt);
    tz->ty_dst = malloc(typecnt);
    tz->ty_abbr = malloc(typecnt);
    tz->abbrs = calloc(1, (size_t)charcnt + 1);
    if (!tz->trans || !tz->trans_ty || !tz->ty_off || !tz->ty_dst || !tz->ty_abbr || !tz->abbrs) return false;
    for (uint32_t k = 0; k < timecnt; k++)
      tz->trans[k] = tsize == 8 ? be64_(q + (size_t)k * 8) : (int64_t)(int32_t)be32_(q + (size_t)k * 4);
    q += (size_t)timecnt * (size_t)tsize;
    for (uint32_t k = 0; k < timecnt; k++) {
      if (q[k] >= typecnt) return false;
      tz->trans_ty[k] = q[k];
    }
    q += timecnt;
    for (uint32_t k = 0; k < typecnt; k++) {
      tz->ty_off[k] = (int32_t)be32_(q);
      tz->ty_dst[k] = q[4];
      tz->ty_abbr[k] = q[5] < charcnt ? q[5] : 0;
      q += 6;
    }
    memcpy(tz->abbrs, q, charcnt);
    p += block;
    if (pass == 1 || version < 2) break;
  }
  if (version >= 2 && p < n && d[p] == '\n') {
    size_t e = p + 1;
    while (e < n && d[e] != '\n') e++;
    if (e < n && e > p + 1) {
      sp_tz tmp;
      memset(&tmp, 0, sizeof tmp);
      if (parse_posix_tz_(&tmp, (const char *)d + p + 1, e - p - 1)) {
        tz->has_rule = true;
        tz->rule_dst = tmp.rule_dst;
        tz->std_off = tmp.std_off;
        tz->dst_off = tmp.dst_off;
        memcpy(tz->std_abbr, tmp.std_abbr, sizeof tz->std_abbr);
        memcpy(tz->dst_abbr, tmp.dst_abbr, sizeof tz->dst_abbr);
        tz->start = tmp.start;
        tz->end = tmp.end;
      }
    }
  }
  return true;
}

/* Java ZoneId.SHORT_IDS */
static const char *const short_ids_[][2] = {
    {"ACT", "Australia/Darwin"},    {"AET", "Australia/Sydney"},
    {"AGT", "America/Argentina/Buenos_Aires"},
    {"ART", "Africa/Cairo"},        {"AST", "America/Anchorage"},
    {"BET", "America/Sao_Paulo"},   {"BST", "Asia/Dhaka"},
    {"CAT", "Africa/Harare"},       {"CNT", "America/St_Johns"},
    {"CST", "America/Chicago"},     {"CTT", "Asia/Shanghai"},
    {"EAT", "Africa/Addis_Ababa"},  {"ECT", "Europe/Paris"},
    {"IET", "America/Indiana/Indianapolis"},
    {"IST", "Asia/Kolkata"},        {"JST", "Asia/Tokyo"},
    {"MIT", "Pacific/Apia"},        {"NET", "Asia/Yerevan"},
    {"NST", "Pacific/Auckland"},    {"PLT", "Asia/Karachi"},
    {"PNT", "America/Phoenix"},     {"PRT", "America/Puerto_Rico"},
    {"PST", "America/Los_Angeles"}, {"SST", "Pacific/Guadalcanal"},
    {"VST", "Asia/Ho_Chi_Minh"},    {"EST", "-05:00"},
    {"MST", "-07:00"},              {"HST", "-10:00"},
};

static bool valid_region_name_(const char *s) {
  if (!*s || *s == '/' || strlen(s) > 64) return false;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (!(isalnum(c) || c == '/' || c == '_' || c == '-' || c == '+')) return false;
  }
  return strstr(s, "..") == NULL;
}

static sp_tz *tz_open_len_(const char *name, size_t n, int depth) {
  sp_tz *tz = calloc(1, sizeof *tz);
  if (!tz) return NULL;
  size_t cn = n < sizeof tz->name - 1 ? n : sizeof tz->name - 1;
  if (n == 0) {
    strcpy(tz->name, "UTC");
  } else {
    memcpy(tz->name, name, cn);
    tz->name[cn] = '\0';
  }
  int32_t off;
  if (parse_fixed_zone_(name, n, &off)) {
    tz->fixed = true;
    tz->fixed_off = off;
    return tz;
  }
  if (n != cn) goto fail;
  if (depth == 0) {
    for (size_t k = 0; k < sizeof short_ids_ / sizeof short_ids_[0]; k++) {
      if (strcmp(tz->name, short_ids_[k][0]) == 0) {
        sp_tz *t2 = tz_open_len_(short_ids_[k][1], strlen(short_ids_[k][1]), 1);
        if (t2) memcpy(t2->name, tz->name, sizeof t2->name);
        sp_tz_close(tz);
        return t2;
      }
    }
  }
  if (!valid_region_name_(tz->name)) goto fail;
  char path[160];
  snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz->name);
  FILE *f = fopen(path, "rb");
  if (!f) goto fail;
  unsigned char *data = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 8192;
      if (cap > (1u << 22)) break;
      unsigned char *nd = realloc(data, cap);
      if (!nd) break;
      data = nd;
    }
    size_t r = fread(data + len, 1, cap - len, f);
    len += r;
    if (r == 0) break;
  }
  fclose(f);
  bool ok = data && tzif_parse_(tz, data, len);
  free(data);
  if (!ok) goto fail;
  return tz;
fail:
  sp_tz_close(tz);
  return NULL;
}

sp_tz *sp_tz_open(const char *name) { return tz_open_len_(name ? name : "", name ? strlen(name) : 0, 0); }

static int64_t rule_day_(const tz_rule_ *r, int64_t y) {
  int64_t jan1 = sp_days_from_civil(y, 1, 1);
  if (r->kind == 'J') return jan1 + r->n - 1 + ((is_leap_(y) && r->n >= 60) ? 1 : 0);
  if (r->kind == 'N') return jan1 + r->n;
  int64_t first = sp_days_from_civil(y, (unsigned)r->m, 1);
  int64_t dow = fmod_(first + 4, 7); /* 0 = Sunday */
  int64_t day = first + fmod_(r->d - dow, 7) + 7 * (r->w - 1);
  int64_t last = first + days_in_month_(y, (unsigned)r->m) - 1;
  while (day > last) day -= 7;
  return day;
}

static bool rule_is_dst_(const sp_tz *tz, int64_t t) {
  if (!tz->rule_dst) return false;
  int64_t y;
  unsigned m, d;
  sp_civil_from_days((int32_t)fdiv_(t + tz->std_off, SEC_PER_DAY), &y, &m, &d);
  int64_t s = rule_day_(&tz->start, y) * SEC_PER_DAY + tz->start.time - tz->std_off;
  int64_t e = rule_day_(&tz->end, y) * SEC_PER_DAY + tz->end.time - tz->dst_off;
  if (s < e) return t >= s && t < e;
  return !(t >= e && t < s);
}

static int tz_type_at_(const sp_tz *tz, int64_t t) {
  /* -1 = use the POSIX rule */
  if (tz->ntrans == 0) return tz->has_rule ? -1 : 0;
  if (t < tz->trans[0]) return 0;
  if (t >= tz->trans[tz->ntrans - 1]) return tz->has_rule ? -1 : tz->trans_ty[tz->ntrans - 1];
  int lo = 0, hi = tz->ntrans - 1; /* trans[lo] <= t < trans[hi] */
  while (hi - lo > 1) {
    int mid = lo + (hi - lo) / 2;
    if (tz->trans[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  return tz->trans_ty[lo];
}

int64_t sp_tz_offset_at(const sp_tz *tz, int64_t utc_s) {
  if (!tz) return 0;
  if (tz->fixed) return tz->fixed_off;
  int ty = tz_type_at_(tz, utc_s);
  if (ty < 0) return rule_is_dst_(tz, utc_s) ? tz->dst_off : tz->std_off;
  return tz->ty_off[ty];
}

static const char *tz_abbr_(const sp_tz *tz, int64_t utc_s, char *tmp, size_t cap) {
  if (!tz) return "UTC";
  if (tz->fixed) {
    if (tz->fixed_off == 0 && strchr("+-", tz->name[0]) == NULL) return tz->name;
    int32_t o = tz->fixed_off, a = o < 0 ? -o : o;
    if (a % 60)
      snprintf(tmp, cap, "%c%02d:%02d:%02d", o < 0 ? '-' : '+', a / 3600, a / 60 % 60, a % 60);
    else if (o == 0)
      snprintf(tmp, cap, "Z");
    else
      snprintf(tmp, cap, "%c%02d:%02d", o < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    return tmp;
  }
  int ty = tz_type_at_(tz, utc_s);
  if (ty < 0) return rule_is_dst_(tz, utc_s) ? tz->dst_abbr : tz->std_abbr;
  return tz->abbrs + tz->ty_abbr[ty];
}

int64_t sp_tz_offset_local(const sp_tz *tz, int64_t local_s) {
  if (!tz) return 0;
  if (tz->fixed) return tz->fixed_off;
  int64_t before = sp_tz_offset_at(tz, local_s - SEC_PER_DAY);
  int64_t after = sp_tz_offset_at(tz, local_s + SEC_PER_DAY);
  bool vb = sp_tz_offset_at(tz, local_s - before) == before;
  bool va = sp_tz_offset_at(tz, local_s - after) == after;
  if (vb) return before;
  if (va) return after;
  return before; /* gap: keep the pre-transition offset, wall time moves forward */
}

int64_t sp_tz_offset_seconds(const char *timezone, int64_t us) {
  if (!timezone || !*timezone) return 0;
  int32_t off;
  if (parse_fixed_zone_(timezone, strlen(timezone), &off)) return off;
  sp_tz *tz = sp_tz_open(timezone);
  int64_t r = tz ? sp_tz_offset_at(tz, fdiv_(us, US_PER_SEC)) : 0;
  sp_tz_close(tz);
  return r;
}

int64_t sp_tz_offset_for_local(const char *timezone, int64_t local_us) {
  if (!timezone || !*timezone) return 0;
  int32_t off;
  if (parse_fixed_zone_(timezone, strlen(timezone), &off)) return off;
  sp_tz *tz = sp_tz_open(timezone);
  int64_t r = tz ? sp_tz_offset_local(tz, fdiv_(local_us, US_PER_SEC)) : 0;
  sp_tz_close(tz);
  return r;
}

/* ------------------------------------------------------------------ patterns */

enum {
  T_LIT = 1, T_ERA, T_YEAR, T_QUARTER, T_MONTH, T_DAY, T_DOY, T_DOW, T_AMPM, T_HOUR /* H */,
  T_HOUR12 /* h */, T_HOUR_K1 /* k 1-24 */, T_HOUR_K0 /* K 0-11 */, T_MIN, T_SEC, T_FRAC,
  T_OFF_X, T_OFF_x, T_OFF_Z, T_OFF_O, T_ZONE_z, T_ZONE_V, T_OPT_BEGIN, T_OPT_END
};

#define DT_MAXTOK 48
#define DT_MAXLIT 192

typedef struct dt_tok_ {
  uint8_t kind, count;
  uint16_t off, len; /* literal slice */
  int16_t match;     /* OPT_BEGIN -> index of its OPT_END */
} dt_tok_;

struct sp_dtfmt {
  int ntok, nlit;
  dt_tok_ tok[DT_MAXTOK];
  char lit[DT_MAXLIT];
};

static bool add_lit_(struct sp_dtfmt *f, const char *p, size_t n) {
  if (n == 0) return true;
  /* merge with a previous literal token when adjacent */
  if (f->ntok > 0 && f->tok[f->ntok - 1].kind == T_LIT &&
      f->tok[f->ntok - 1].off + f->tok[f->ntok - 1].len == f->nlit) {
    if (f->nlit + n > DT_MAXLIT) return false;
    memcpy(f->lit + f->nlit, p, n);
    f->nlit += (int)n;
    f->tok[f->ntok - 1].len = (uint16_t)(f->tok[f->ntok - 1].len + n);
    return true;
  }
  if (f->ntok >= DT_MAXTOK || f->nlit + n > DT_MAXLIT) return false;
  dt_tok_ *t = &f->tok[f->ntok++];
  memset(t, 0, sizeof *t);
  t->kind = T_LIT;
  t->off = (uint16_t)f->nlit;
  t->len = (uint16_t)n;
  memcpy(f->lit + f->nlit, p, n);
  f->nlit += (int)n;
  return true;
}

static int compile_(struct sp_dtfmt *f, const char *pat) {
  memset(f, 0, sizeof *f);
  int16_t stack[8];
  int depth = 0;
  size_t n = strlen(pat);
  for (size_t i = 0; i < n;) {
    char c = pat[i];
    if (c == '\'') {
      if (i + 1 < n && pat[i + 1] == '\'') {
        if (!add_lit_(f, "'", 1)) return -1;
        i += 2;
        continue;
      }
      size_t j = i + 1;
      for (;;) {
        if (j >= n) return -1; /* unterminated */
        if (pat[j] == '\'') {
          if (j + 1 < n && pat[j + 1] == '\'') {
            if (!add_lit_(f, "'", 1)) return -1;
            j += 2;
            continue;
          }
          break;
        }
        size_t k = j;
        while (k < n && pat[k] != '\'') k++;
        if (!add_lit_(f, pat + j, k - j)) return -1;
        j = k;
      }
      i = j + 1;
      continue;
    }
    if (c == '[' || c == ']') {
      if (f->ntok >= DT_MAXTOK) return -1;
      dt_tok_ *t = &f->tok[f->ntok];
      memset(t, 0, sizeof *t);
      if (c == '[') {
        if (depth >= 8) return -1;
        t->kind = T_OPT_BEGIN;
        stack[depth++] = (int16_t)f->ntok;
      } else {
        if (depth == 0) return -1;
        t->kind = T_OPT_END;
        f->tok[stack[--depth]].match = (int16_t)f->ntok;
      }
      f->ntok++;
      i++;
      continue;
    }
    if (c == '{' || c == '}' || c == '#') return -1;
    if (!isalpha((unsigned char)c)) {
      if (!add_lit_(f, &c, 1)) return -1;
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && pat[j] == c) j++;
    size_t cnt = j - i;
    int kind, maxc;
    switch (c) {
      case 'G': kind = T_ERA; maxc = 5; break;
      case 'y': case 'u': kind = T_YEAR; maxc = 9; break;
      case 'Q': case 'q': kind = T_QUARTER; maxc = 4; break;
      case 'M': case 'L': kind = T_MONTH; maxc = 5; break;
      case 'd': kind = T_DAY; maxc = 2; break;
      case 'D': kind = T_DOY; maxc = 3; break;
      case 'E': kind = T_DOW; maxc = 5; break;
      case 'a': kind = T_AMPM; maxc = 1; break;
      case 'H': kind = T_HOUR; maxc = 2; break;
      case 'h': kind = T_HOUR12; maxc = 2; break;
      case 'k': kind = T_HOUR_K1; maxc = 2; break;
      case 'K': kind = T_HOUR_K0; maxc = 2; break;
      case 'm': kind = T_MIN; maxc = 2; break;
      case 's': kind = T_SEC; maxc = 2; break;
      case 'S': kind = T_FRAC; maxc = 9; break;
      case 'X': kind = T_OFF_X; maxc = 5; break;
      case 'x': kind = T_OFF_x; maxc = 5; break;
      case 'Z': kind = T_OFF_Z; maxc = 5; break;
      case 'O': kind = T_OFF_O; maxc = 4; break;
      case 'z': kind = T_ZONE_z; maxc = 4; break;
      case 'V': kind = T_ZONE_V; maxc = 2; break;
      default: return -1;
    }
    if ((int)cnt > maxc) return -1;
    if (kind == T_OFF_O && cnt != 1 && cnt != 4) return -1;
    if (kind == T_ZONE_V && cnt != 2) return -1;
    if (f->ntok >= DT_MAXTOK) return -1;
    dt_tok_ *t = &f->tok[f->ntok++];
    memset(t, 0, sizeof *t);
    t->kind = (uint8_t)kind;
    t->count = (uint8_t)cnt;
    i = j;
  }
  return depth == 0 ? 0 : -1;
}

sp_dtfmt *sp_dtfmt_compile(const char *pattern) {
  if (!pattern) return NULL;
  sp_dtfmt *f = malloc(sizeof *f);
  if (!f) return NULL;
  if (compile_(f, pattern) != 0) {
    free(f);
    return NULL;
  }
  return f;
}

void sp_dtfmt_free(sp_dtfmt *f) { free(f); }

static const char *const month_short_[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const month_long_[12] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
static const char *const dow_short_[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const dow_long_[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

typedef struct obuf_ {
  char *p;
  size_t cap, len;
} obuf_;

static void oput_(obuf_ *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (o->len + 1 < o->cap) o->p[o->len] = s[i];
    o->len++;
  }
}
static void oputs_(obuf_ *o, const char *s) { oput_(o, s, strlen(s)); }
static void onum_(obuf_ *o, int64_t v, int width) {
  char tmp[32];
  int n;
  if (v < 0)
    n = snprintf(tmp, sizeof tmp, "-%0*lld", width, -(long long)v);
  else
    n = snprintf(tmp, sizeof tmp, "%0*lld", width, (long long)v);
  oput_(o, tmp, (size_t)n);
}

/* Java appendOffset(pattern, noOffsetText). style: 0 "+HH", 1 "+HHmm", 2 "+HH:mm", 3 "+HHMM",
 * 4 "+HH:MM", 5 "+HHMMss", 6 "+HH:MM:ss" */
static void ooffset_(obuf_ *o, int32_t off, int style, const char *zero) {
  if (off == 0 && zero) {
    oputs_(o, zero);
    return;
  }
  int32_t a = off < 0 ? -off : off;
  int h = a / 3600, m = a / 60 % 60, s = a % 60;
  char tmp[24];
  int n = snprintf(tmp, sizeof tmp, "%c%02d", off < 0 ? '-' : '+', h);
  bool colon = style == 2 || style == 4 || style == 6;
  bool showm = style == 3 || style == 4 || style == 5 || style == 6 || ((style == 1 || style == 2) && (m || s));
  if (showm) n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%s%02d", colon ? ":" : "", m);
  if ((style == 5 || style == 6) && s) n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%s%02d", colon ? ":" : "", s);
  oput_(o, tmp, (size_t)n);
}

static int format_(const struct sp_dtfmt *f, int64_t us, const sp_tz *tz, char *buf, size_t cap) {
  int64_t utc_s = fdiv_(us, US_PER_SEC);
  int32_t off = (int32_t)sp_tz_offset_at(tz, utc_s);
  int64_t local = utc_s + off;
  int64_t micros = fmod_(us, US_PER_SEC);
  int32_t days = (int32_t)fdiv_(local, SEC_PER_DAY);
  int64_t sod = fmod_(local, SEC_PER_DAY);
  int64_t y;
  unsigned mo, d;
  sp_civil_from_days(days, &y, &mo, &d);
  int hour = (int)(sod / 3600), minute = (int)(sod / 60 % 60), sec = (int)(sod % 60);
  obuf_ o = {buf, cap, 0};
  char tmp[32];
  for (int i = 0; i < f->ntok; i++) {
    const dt_tok_ *t = &f->tok[i];
    int c = t->count;
    switch (t->kind) {
      case T_LIT: oput_(&o, f->lit + t->off, t->len); break;
      case T_OPT_BEGIN:
      case T_OPT_END: break;
      case T_ERA: oputs_(&o, c == 4 ? (y > 0 ? "Anno Domini" : "Before Christ") : c == 5 ? (y > 0 ? "A" : "B")
                                                                                   : (y > 0 ? "AD" : "BC"));
        break;
      case T_YEAR: {
        int64_t yy = y;
        if (c == 2) {
          onum_(&o, fmod_(yy, 100), 2);
        } else {
          if (c == 4 && yy > 9999) oputs_(&o, "+");
          onum_(&o, yy, c);
        }
        break;
      }
      case T_QUARTER: {
        int q = (int)(mo - 1) / 3 + 1;
        if (c <= 2) onum_(&o, q, c);
        else if (c == 3) { snprintf(tmp, sizeof tmp, "Q%d", q); oputs_(&o, tmp); }
        else {
          static const char *const qn[4] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
          oputs_(&o, qn[q - 1]);
        }
        break;
      }
      case T_MONTH:
        if (c <= 2) onum_(&o, mo, c);
        else if (c == 3) oputs_(&o, month_short_[mo - 1]);
        else if (c == 4) oputs_(&o, month_long_[mo - 1]);
        else oput_(&o, month_long_[mo - 1], 1);
        break;
      case T_DAY: onum_(&o, d, c); break;
      case T_DOY: onum_(&o, days - sp_days_from_civil(y, 1, 1) + 1, c); break;
      case T_DOW: {
        int w = (int)fmod_((int64_t)days + 4, 7);
        if (c <= 3) oputs_(&o, dow_short_[w]);
        else if (c == 4) oputs_(&o, dow_long_[w]);
        else oput_(&o, dow_long_[w], 1);
        break;
      }
      case T_AMPM: oputs_(&o, hour < 12 ? "AM" : "PM"); break;
      case T_HOUR: onum_(&o, hour, c); break;
      case T_HOUR12: onum_(&o, hour % 12 == 0 ? 12 : hour % 12, c); break;
      case T_HOUR_K1: onum_(&o, hour == 0 ? 24 : hour, c); break;
      case T_HOUR_K0: onum_(&o, hour % 12, c); break;
      case T_MIN: onum_(&o, minute, c); break;
      case T_SEC: onum_(&o, sec, c); break;
      case T_FRAC: {
        snprintf(tmp, sizeof tmp, "%06lld000", (long long)micros);
        oput_(&o, tmp, (size_t)c);
        break;
      }
      case T_OFF_X: {
        static const int st[5] = {1, 3, 4, 5, 6};
        ooffset_(&o, off, st[c - 1], "Z");
        break;
      }
      case T_OFF_x: {
        static const int st[5] = {1, 3, 4, 5, 6};
        static const char *const zs[5] = {"+00", "+0000", "+00:00", "+0000", "+00:00"};
        ooffset_(&o, off, st[c - 1], zs[c - 1]);
        break;
      }
      case T_OFF_Z:
        if (c <= 3) ooffset_(&o, off, 3, "+0000");
        else if (c == 5) ooffset_(&o, off, 6, "Z");
        else {
          oputs_(&o, "GMT");
          if (off) ooffset_(&o, off, 6, NULL);
        }
        break;
      case T_OFF_O:
        oputs_(&o, "GMT");
        if (off) {
          if (c == 4) {
            ooffset_(&o, off, 6, NULL);
          } else {
            int32_t a = off < 0 ? -off : off;
            snprintf(tmp, sizeof tmp, "%c%d", off < 0 ? '-' : '+', a / 3600);
            oputs_(&o, tmp);
            if (a % 3600) {
              snprintf(tmp, sizeof tmp, ":%02d", a / 60 % 60);
              oputs_(&o, tmp);
            }
          }
        }
        break;
      case T_ZONE_z:
        if (c == 4) oputs_(&o, sp_tz_name(tz));
        else oputs_(&o, tz_abbr_(tz, utc_s, tmp, sizeof tmp));
        break;
      case T_ZONE_V: oputs_(&o, sp_tz_name(tz)); break;
      default: return -1;
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return (int)(o.len < cap ? o.len : (cap ? cap - 1 : 0));
}

int sp_dtfmt_format(const sp_dtfmt *f, int64_t us, const sp_tz *tz, char *buf, size_t cap) {
  if (!f) return -1;
  return format_(f, us, tz, buf, cap);
}

int sp_timestamp_format(int64_t us, const char *pattern, const char *timezone, char *buf, size_t cap) {
  struct sp_dtfmt f;
  if (!pattern || compile_(&f, pattern) != 0) {
    if (cap) buf[0] = '\0';
    return -1;
  }
  sp_tz *tz = NULL;
  if (timezone && *timezone) {
    tz = sp_tz_open(timezone);
    if (!tz) {
      if (cap) buf[0] = '\0';
      return -1;
    }
  }
  int r = format_(&f, us, tz, buf, cap);
  sp_tz_close(tz);
  return r;
}

/* ---- parsing ---- */

typedef struct pst_ {
  int64_t year;
  int month, day, doy, hour, hour12, ampm, minute, second;
  int64_t frac_us;
  bool has_year, has_month, has_day, has_doy, has_hour, has_hour12, has_off, yy2;
  int32_t off;
  const char *zone;
  size_t zone_len;
} pst_;

static bool is_numeric_tok_(const dt_tok_ *t) {
  switch (t->kind) {
    case T_YEAR: case T_DAY: case T_DOY: case T_HOUR: case T_HOUR12: case T_HOUR_K1: case T_HOUR_K0:
    case T_MIN: case T_SEC: case T_FRAC: return true;
    case T_MONTH: case T_QUARTER: return t->count <= 2;
    default: return false;
  }
}

static void num_width_(const dt_tok_ *t, int *minw, int *maxw) {
  int c = t->count;
  switch (t->kind) {
    case T_YEAR:
      if (c == 2) *minw = *maxw = 2;
      else { *minw = c; *maxw = 9 > c ? 9 : c; }
      return;
    case T_DOY: *minw = c; *maxw = 3; return;
    case T_FRAC: *minw = 1; *maxw = c; return;
    default: *minw = c; *maxw = 2; return;
  }
}

static bool match_word_(const char *s, size_t n, size_t *p, const char *w) {
  size_t k = strlen(w);
  if (*p + k > n || strncasecmp(s + *p, w, k) != 0) return false;
  *p += k;
  return true;
}

static bool parse_tokens_(const struct sp_dtfmt *f, const char *s, size_t n, pst_ *st) {
  size_t p = 0;
  struct { size_t p; pst_ st; int end; } saved[8];
  int depth = 0;
  int i = 0;
  while (i < f->ntok) {
    const dt_tok_ *t = &f->tok[i];
    bool ok = true;
    switch (t->kind) {
      case T_OPT_BEGIN:
        if (depth < 8) {
          saved[depth].p = p;
          saved[depth].st = *st;
          saved[depth].end = t->match;
          depth++;
        }
        i++;
        continue;
      case T_OPT_END:
        if (depth > 0) depth--;
        i++;
        continue;
      case T_LIT:
        if (p + t->len > n || strncasecmp(s + p, f->lit + t->off, t->len) != 0) ok = false;
        else p += t->len;
        break;
      case T_ERA:
        if (!match_word_(s, n, &p, "AD") && !match_word_(s, n, &p, "CE")) ok = false;
        break;
      case T_AMPM:
        if (match_word_(s, n, &p, "AM")) st->ampm = 0;
        else if (match_word_(s, n, &p, "PM")) st->ampm = 1;
        else ok = false;
        break;
      case T_DOW: {
        ok = false;
        for (int k = 0; k < 7 && !ok; k++) {
          if (t->count == 4 ? match_word_(s, n, &p, dow_long_[k]) : match_word_(s, n, &p, dow_short_[k])) ok = true;
        }
        break;
      }
      case T_OFF_X: case T_OFF_x: case T_OFF_Z: case T_OFF_O: {
        int32_t v = 0;
        if (p < n && (s[p] == 'Z' || s[p] == 'z') && t->kind != T_OFF_x) {
          p++;
        } else {
          size_t q = p;
          if (match_word_(s, n, &q, "GMT") || match_word_(s, n, &q, "UTC")) {
            p = q;
            if (p < n && (s[p] == '+' || s[p] == '-')) ok = parse_hms_offset_(s, n, &p, true, &v);
          } else {
            ok = parse_hms_offset_(s, n, &p, true, &v);
          }
        }
        if (ok) {
          st->has_off = true;
          st->off = v;
        }
        break;
      }
      case T_ZONE_z: case T_ZONE_V: {
        size_t q = p;
        while (q < n && (isalnum((unsigned char)s[q]) || s[q] == '/' || s[q] == '_' || s[q] == '+' ||
                         s[q] == '-' || s[q] == ':'))
          q++;
        if (q == p) ok = false;
        else {
          st->zone = s + p;
          st->zone_len = q - p;
          p = q;
        }
        break;
      }
      case T_MONTH:
        if (t->count >= 3) {
          ok = false;
          for (int k = 0; k < 12 && !ok; k++) {
            if (t->count == 4 ? match_word_(s, n, &p, month_long_[k]) : match_word_(s, n, &p, month_short_[k])) {
              st->month = k + 1;
              st->has_month = true;
              ok = true;
            }
          }
          break;
        }
        /* fallthrough */
      default: {
        if (!is_numeric_tok_(t)) {
          ok = false;
          break;
        }
        int minw, maxw;
        num_width_(t, &minw, &maxw);
        size_t avail = 0;
        while (p + avail < n && isdigit((unsigned char)s[p + avail])) avail++;
        /* adjacent value parsing: reserve the minimum widths of following numeric tokens */
        size_t reserve = 0;
        for (int k = i + 1; k < f->ntok && is_numeric_tok_(&f->tok[k]); k++) {
          int a, b;
          num_width_(&f->tok[k], &a, &b);
          reserve += (size_t)a;
        }
        size_t take = avail > reserve ? avail - reserve : 0;
        if (take > (size_t)maxw) take = (size_t)maxw;
        if (take < (size_t)minw) {
          ok = false;
          break;
        }
        int64_t v = 0;
        for (size_t k = 0; k < take; k++) v = v * 10 + (s[p + k] - '0');
        if (t->kind == T_FRAC) {
          for (size_t k = take; k < 6; k++) v *= 10;
          for (size_t k = 6; k < take; k++) v /= 10;
        }
        p += take;
        switch (t->kind) {
          case T_YEAR: st->year = v; st->has_year = true; st->yy2 = t->count == 2; break;
          case T_MONTH: st->month = (int)v; st->has_month = true; break;
          case T_QUARTER: break;
          case T_DAY: st->day = (int)v; st->has_day = true; break;
          case T_DOY: st->doy = (int)v; st->has_doy = true; break;
          case T_HOUR: st->hour = (int)v; st->has_hour = true; break;
          case T_HOUR_K1: st->hour = v == 24 ? 0 : (int)v; st->has_hour = true; if (v < 1 || v > 24) ok = false; break;
          case T_HOUR_K0: st->hour12 = (int)v; st->has_hour12 = true; if (v > 11) ok = false; break;
          case T_HOUR12: st->hour12 = (int)v; st->has_hour12 = true; if (v < 1 || v > 12) ok = false; break;
          case T_MIN: st->minute = (int)v; break;
          case T_SEC: st->second = (int)v; break;
          case T_FRAC: st->frac_us = v; break;
          default: break;
        }
        break;
      }
    }
    if (ok) {
      i++;
      continue;
    }
    if (depth == 0) return false;
    depth--;
    p = saved[depth].p;
    *st = saved[depth].st;
    i = saved[depth].end + 1;
  }
  return p == n;
}

/* Resolve parsed fields to local days + seconds of day. */
static bool resolve_(pst_ *st, int64_t *days, int64_t *sod) {
  int64_t y = st->has_year ? st->year : 1970;
  if (st->yy2) y += 2000;
  if (y > 290000 || y < -290000) return false; /* beyond the int64 microsecond range */
  int m = st->has_month ? st->month : 1, d = st->has_day ? st->day : 1;
  if (st->has_doy && !st->has_month && !st->has_day) {
    int maxd = is_leap_(y) ? 366 : 365;
    if (st->doy < 1 || st->doy > maxd) return false;
    *days = sp_days_from_civil(y, 1, 1) + st->doy - 1;
  } else {
    if (m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month_(y, (unsigned)m)) return false;
    *days = sp_days_from_civil(y, (unsigned)m, (unsigned)d);
    if (st->has_doy && *days - sp_days_from_civil(y, 1, 1) + 1 != st->doy) return false;
  }
  int h = st->hour;
  if (st->has_hour12) {
    int h12 = st->hour12 % 12;
    h = h12 + (st->ampm == 1 ? 12 : 0);
    if (st->has_hour && st->hour != h) return false;
  } else if (st->ampm >= 0 && st->has_hour) {
    if ((st->hour >= 12) != (st->ampm == 1)) return false;
  }
  if (h < 0 || h > 23 || st->minute > 59 || st->second > 59) return false;
  *sod = (int64_t)h * 3600 + st->minute * 60 + st->second;
  return true;
}

/* Zone names accepted by the 'z' parser beyond zone ids (Java's TimeZoneNames, common subset). */
static const char *const zone_abbrs_[][2] = {
    {"PDT", "America/Los_Angeles"}, {"EDT", "America/New_York"}, {"CDT", "America/Chicago"},
    {"MDT", "America/Denver"},      {"CET", "Europe/Paris"},     {"CEST", "Europe/Paris"},
    {"BST", "Europe/London"},       {"EET", "Europe/Athens"},    {"EEST", "Europe/Athens"},
    {"WET", "Europe/Lisbon"},       {"WEST", "Europe/Lisbon"},   {"AEST", "Australia/Sydney"},
    {"AEDT", "Australia/Sydney"},   {"KST", "Asia/Seoul"},       {"HKT", "Asia/Hong_Kong"},
};

static int parse_compiled_(const struct sp_dtfmt *f, const char *s, size_t len, const sp_tz *tz, int64_t *us) {
  pst_ st;
  memset(&st, 0, sizeof st);
  st.ampm = -1;
  if (!parse_tokens_(f, s, len, &st)) return -1;
  int64_t days, sod;
  if (!resolve_(&st, &days, &sod)) return -1;
  int64_t local = days * SEC_PER_DAY + sod, off;
  if (st.has_off) {
    off = st.off;
  } else if (st.zone) {
    sp_tz *z = tz_open_len_(st.zone, st.zone_len, 0);
    if (!z) {
      for (size_t k = 0; k < sizeof zone_abbrs_ / sizeof zone_abbrs_[0]; k++)
        if (strlen(zone_abbrs_[k][0]) == st.zone_len && memcmp(zone_abbrs_[k][0], st.zone, st.zone_len) == 0)
          z = sp_tz_open(zone_abbrs_[k][1]);
    }
    if (!z) return -1;
    off = sp_tz_offset_local(z, local);
    sp_tz_close(z);
  } else {
    off = sp_tz_offset_local(tz, local);
  }
  *us = (local - off) * US_PER_SEC + st.frac_us;
  return 0;
}

int sp_dtfmt_parse(const sp_dtfmt *f, const char *s, size_t len, const sp_tz *tz, int64_t *us) {
  if (!f) return -1;
  return parse_compiled_(f, s, len, tz, us);
}

int sp_dtfmt_parse_date(const sp_dtfmt *f, const char *s, size_t len, int32_t *days) {
  if (!f) return -1;
  pst_ st;
  memset(&st, 0, sizeof st);
  st.ampm = -1;
  if (!parse_tokens_(f, s, len, &st)) return -1;
  int64_t d, sod;
  if (!resolve_(&st, &d, &sod)) return -1;
  if (d < INT32_MIN || d > INT32_MAX) return -1;
  *days = (int32_t)d;
  return 0;
}

/* ---- Spark's lenient string -> timestamp / date ---- */

static void trim_(const char **s, size_t *len) {
  const char *p = *s;
  size_t n = *len;
  while (n && ((unsigned char)p[0] <= ' ')) p++, n--;
  while (n && ((unsigned char)p[n - 1] <= ' ')) n--;
  *s = p;
  *len = n;
}

static bool ts_valid_digits_(int seg, int digits) {
  return seg == 6 || (seg == 0 && digits >= 4 && digits <= 6) || (seg == 7 && digits <= 2) ||
         (seg != 0 && seg != 6 && seg != 7 && digits > 0 && digits <= 2);
}

int sp_timestamp_parse_default(const char *s, size_t len, const sp_tz *tz, int64_t *us) {
  if (!s) return -1;
  trim_(&s, &len);
  if (len == 0) return -1;
  int64_t seg[9] = {1, 1, 1, 0, 0, 0, 0, 0, 0};
  int i = 0, digits = 0, digits_milli = 0;
  int64_t cur = 0;
  size_t j = 0;
  int sign = 1;
  bool has_sign = false;
  const char *zone = NULL;
  size_t zone_len = 0;
  if (s[0] == '-' || s[0] == '+') {
    sign = s[0] == '-' ? -1 : 1;
    has_sign = true;
    j = 1;
  }
  for (; j < len; j++) {
    unsigned char b = (unsigned char)s[j];
    if (b < '0' || b > '9') {
      if (j == 0 && b == 'T') {
        return -1; /* time only: needs the current date */
      } else if (i < 2) {
        if (b == '-') {
          if (!ts_valid_digits_(i, digits)) return -1;
          seg[i] = cur;
          cur = 0;
          digits = 0;
          i++;
        } else if (i == 0 && b == ':' && !has_sign) {
          return -1; /* time only */
        } else {
          return -1;
        }
      } else if (i == 2) {
        if (b == ' ' || b == 'T') {
          if (!ts_valid_digits_(i, digits)) return -1;
          seg[i] = cur;
          cur = 0;
          digits = 0;
          i++;
        } else {
          return -1;
        }
      } else if (i == 3 || i == 4) {
        if (b == ':') {
          if (!ts_valid_digits_(i, digits)) return -1;
          seg[i] = cur;
          cur = 0;
          digits = 0;
          i++;
        } else {
          return -1;
        }
      } else if (i == 5 || i == 6) {
        if (b == '.' && i == 5) {
          if (!ts_valid_digits_(i, digits)) return -1;
          seg[i] = cur;
          cur = 0;
          digits = 0;
          i++;
        } else {
          if (!ts_valid_digits_(i, digits)) return -1;
          seg[i] = cur;
          cur = 0;
          digits = 0;
          i++;
          zone = s + j;
          zone_len = len - j;
          j = len - 1;
        }
        if (i == 6 && b != '.') i++;
      } else {
        return -1;
      }
    } else {
      if (digits >= 18) return -1; /* a 19th digit could overflow cur */
      if (i == 6) digits_milli++;
      if (i != 6 || digits < 6) cur = cur * 10 + (b - '0');
      digits++;
    }
  }
  if (zone == NULL) {
    if (!ts_valid_digits_(i, digits)) return -1;
    seg[i] = cur;
  }
  while (digits_milli < 6) {
    seg[6] *= 10;
    digits_milli++;
  }
  int64_t y = sign * seg[0];
  if (y > 290000 || y < -290000) return -1; /* beyond the int64 microsecond range */
  if (seg[1] < 1 || seg[1] > 12 || seg[2] < 1 || seg[2] > (int64_t)days_in_month_(y, (unsigned)seg[1])) return -1;
  if (seg[3] > 23 || seg[4] > 59 || seg[5] > 59) return -1;
  int64_t local = (int64_t)sp_days_from_civil(y, (unsigned)seg[1], (unsigned)seg[2]) * SEC_PER_DAY +
                  seg[3] * 3600 + seg[4] * 60 + seg[5];
  int64_t off;
  if (zone) {
    trim_(&zone, &zone_len);
    /* Spark normalises "+h:mm" to "+0h:mm" */
    sp_tz *z = tz_open_len_(zone, zone_len, 0);
    if (!z) return -1;
    off = sp_tz_offset_local(z, local);
    sp_tz_close(z);
  } else {
    off = sp_tz_offset_local(tz, local);
  }
  *us = (local - off) * US_PER_SEC + seg[6];
  return 0;
}

int sp_date_parse_default(const char *s, size_t len, int32_t *days) {
  if (!s) return -1;
  trim_(&s, &len);
  if (len == 0) return -1;
  int64_t seg[3] = {1, 1, 1};
  int sign = 1, i = 0, digits = 0;
  int64_t cur = 0;
  size_t j = 0;
  if (s[0] == '-' || s[0] == '+') {
    sign = s[0] == '-' ? -1 : 1;
    j = 1;
  }
  while (j < len && i < 3 && !(s[j] == ' ' || s[j] == 'T')) {
    unsigned char b = (unsigned char)s[j];
    if (i < 2 && b == '-') {
      if (!((i == 0 && digits >= 4 && digits <= 7) || (i != 0 && digits > 0 && digits <= 2))) return -1;
      seg[i] = cur;
      cur = 0;
      digits = 0;
      i++;
    } else {
      if (b < '0' || b > '9') return -1;
      cur = cur * 10 + (b - '0');
      digits++;
      if (digits > 9) return -1;
    }
    j++;
  }
  if (!((i == 0 && digits >= 4 && digits <= 7) || (i != 0 && digits > 0 && digits <= 2))) return -1;
  if (i < 2 && j < len) return -1;
  seg[i] = cur;
  int64_t y = sign * seg[0];
  if (seg[1] < 1 || seg[1] > 12 || seg[2] < 1 || seg[2] > (int64_t)days_in_month_(y, (unsigned)seg[1])) return -1;
  *days = sp_days_from_civil(y, (unsigned)seg[1], (unsigned)seg[2]);
  return 0;
}

int sp_timestamp_parse(const char *s, size_t len, const char *pattern, const char *timezone, int64_t *us) {
  sp_tz *tz = NULL;
  if (timezone && *timezone) {
    tz = sp_tz_open(timezone);
    if (!tz) return -1;
  }
  int r;
  if (!pattern) {
    r = sp_timestamp_parse_default(s, len, tz, us);
  } else {
    struct sp_dtfmt f;
    r = compile_(&f, pattern) == 0 ? parse_compiled_(&f, s, len, tz, us) : -1;
  }
  sp_tz_close(tz);
  return r;
}

int sp_date_parse(const char *s, size_t len, const char *pattern, int32_t *days) {
  if (!pattern) return sp_date_parse_default(s, len, days);
  struct sp_dtfmt f;
  if (compile_(&f, pattern) != 0) return -1;
  return sp_dtfmt_parse_date(&f, s, len, days);
}

/* ---- fixed formats ---- */

static int put_date_(char *buf, size_t cap, int64_t y, unsigned m, unsigned d) {
  if (y >= 0 && y <= 9999) return snprintf(buf, cap, "%04lld-%02u-%02u", (long long)y, m, d);
  if (y > 9999) return snprintf(buf, cap, "+%lld-%02u-%02u", (long long)y, m, d);
  return snprintf(buf, cap, "-%04lld-%02u-%02u", -(long long)y, m, d);
}

int sp_timestamp_format_cast(int64_t us, const sp_tz *tz, char *buf, size_t cap) {
  int64_t utc_s = fdiv_(us, US_PER_SEC);
  int64_t local = utc_s + sp_tz_offset_at(tz, utc_s);
  int64_t micros = fmod_(us, US_PER_SEC);
  int64_t y;
  unsigned m, d;
  sp_civil_from_days((int32_t)fdiv_(local, SEC_PER_DAY), &y, &m, &d);
  int64_t sod = fmod_(local, SEC_PER_DAY);
  int n = put_date_(buf, cap, y, m, d);
  if (n < 0 || (size_t)n >= cap) return n;
  n += snprintf(buf + n, cap - (size_t)n, " %02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60),
                (int)(sod % 60));
  if (micros && (size_t)n < cap) {
    char fr[8];
    snprintf(fr, sizeof fr, "%06lld", (long long)micros);
    int k = 6;
    while (k > 0 && fr[k - 1] == '0') k--;
    fr[k] = '\0';
    n += snprintf(buf + n, cap - (size_t)n, ".%s", fr);
  }
  return n;
}

int sp_date_format_cast(int32_t days, char *buf, size_t cap) {
  int64_t y;
  unsigned m, d;
  sp_civil_from_days(days, &y, &m, &d);
  return put_date_(buf, cap, y, m, d);
}

void sp_format_iso_millis(int64_t ms, char buf[32]) {
  int64_t s = fdiv_(ms, 1000);
  int64_t msr = fmod_(ms, 1000);
  int64_t y;
  unsigned m, d;
  sp_civil_from_days((int32_t)fdiv_(s, SEC_PER_DAY), &y, &m, &d);
  int64_t sod = fmod_(s, SEC_PER_DAY);
  int n = put_date_(buf, 32, y, m, d);
  if (n < 0 || n >= 32) return;
  snprintf(buf + n, 32 - (size_t)n, "T%02d:%02d:%02d.%03dZ", (int)(sod / 3600), (int)(sod / 60 % 60),
           (int)(sod % 60), (int)msr);
}
