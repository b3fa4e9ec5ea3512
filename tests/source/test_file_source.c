/* test_file_source.c - unit tests for the json/csv/text file source (src/source/file_source.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "checkpoint/checkpoint.h"
#include "runtime/conf.h"
#include "runtime/pool.h"
#include "source/source.h"

/* The seed invoices, read in place: $SPATE_SEED_DIR, else <source tree>/../shared/seed-demos
 * (as tests/lib/spate_test.py). Fills buf; false when not found. */
static bool seed_dir_(char *buf, size_t cap) {
  const char *env = getenv("SPATE_SEED_DIR");
  if (env && *env) {
    snprintf(buf, cap, "%s/02-FileStreamDemo", env);
  } else {
    const char *file = __FILE__; /* .../tests/source/test_file_source.c */
    const char *cut = strstr(file, "tests/source/test_file_source.c");
    snprintf(buf, cap, "%.*s../shared/seed-demos/02-FileStreamDemo", cut ? (int)(cut - file) : 0, file);
  }
  char *abs = sp_path_absolute(buf);
  snprintf(buf, cap, "%s", abs);
  free(abs);
  struct stat st;
  return stat(buf, &st) == 0;
}

/* ---- helpers ---- */

static char *mktemp_dir_(void) {
  char tmpl[] = "/tmp/spate-test-fsrc-XXXXXX";
  char *d = mkdtemp(tmpl);
  assert_non_null(d);
  return strdup(d);
}

static void rm_rf_(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static char *join_(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", a, b);
  return p;
}

/* Write dir/name with text and set its mtime to `secs`. */
static void write_file_(const char *dir, const char *name, const char *text, long secs) {
  char *p = join_(dir, name);
  char *slash = strrchr(p, '/');
  *slash = '\0';
  assert_int_equal(sp_fs_mkdirs(p, NULL), 0);
  *slash = '/';
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  struct timeval tv[2] = {{secs, 0}, {secs, 0}};
  assert_int_equal(utimes(p, tv), 0);
  free(p);
}

static char *read_text_(const char *path) {
  char *data = NULL;
  size_t len;
  if (sp_fs_read_all(path, &data, &len, NULL)) return NULL;
  return data;
}

typedef struct opts {
  const char *keys[16];
  const char *vals[16];
  int n;
} opts;

static void opt_(opts *o, const char *k, const char *v) {
  o->keys[o->n] = k;
  o->vals[o->n++] = v;
}

static sp_type *schema_id_name_(void) {
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "id", sp_type_prim(SP_BIGINT), false);
  sp_type_struct_set(st, 1, "name", sp_type_prim(SP_STRING), true);
  return st;
}

static int create_(const char *format, const opts *o, sp_type *schema, const sp_conf *conf, sp_source **out,
                   spate_error *err) {
  sp_source_spec spec = {format, o->n, o->keys, o->vals, schema, conf};
  return sp_source_create(&spec, out, err);
}

static int64_t col_i64_(const sp_batch *b, int c, int64_t r) { return sp_vec_i64(b->cols[c])[r]; }

static void assert_str_(const sp_batch *b, int c, int64_t r, const char *want) {
  int32_t n;
  const char *p = sp_vec_str(b->cols[c], r, &n);
  assert_int_equal(n, (int)strlen(want));
  assert_memory_equal(p, want, (size_t)n);
}

typedef struct fixture {
  char *root, *in, *meta;
  sp_pool *pool;
  sp_conf conf;
} fixture;

static int setup_(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->root = mktemp_dir_();
  f->in = join_(f->root, "in");
  f->meta = join_(f->root, "chk/sources/0");
  assert_int_equal(sp_fs_mkdirs(f->in, NULL), 0);
  assert_int_equal(sp_fs_mkdirs(f->meta, NULL), 0);
  f->pool = sp_pool_new(2);
  sp_conf_init(&f->conf);
  *state = f;
  return 0;
}

static int teardown_(void **state) {
  fixture *f = *state;
  rm_rf_(f->root);
  free(f->root);
  free(f->in);
  free(f->meta);
  sp_pool_free(f->pool);
  sp_conf_release(&f->conf);
  free(f);
  return 0;
}

/* latest_offset + get_batch; returns the end offset (malloc'd) and fills out. */
static char *next_batch_(sp_source *s, const char *start, sp_batch_list *out) {
  spate_error err;
  spate_error_clear(&err);
  char *end = NULL;
  assert_int_equal(s->vt->latest_offset(s, start, &end, &err), 0);
  if (end && (!start || strcmp(start, end) != 0)) {
    int rc = s->vt->get_batch(s, start, end, out, &err);
    if (rc) fail_msg("get_batch: %s", err.message);
  }
  return end;
}

/* ---- tests ---- */

static void test_seed_invoices_inferred_schema(void **state) {
  fixture *f = *state;
  char seed[1024], pattern[1100], want_desc[1200];
  if (!seed_dir_(seed, sizeof seed)) skip();
  snprintf(pattern, sizeof pattern, "%s/*.json", seed);
  sp_conf_set(&f->conf, "spark.sql.streaming.schemaInference", "true");
  opts o = {0};
  opt_(&o, "path", pattern);
  opt_(&o, "maxFilesPerTrigger", "1");
  sp_source *s = NULL;
  spate_error err;
  int rc = create_("json", &o, NULL, &f->conf, &s, &err);
  if (rc) fail_msg("%s", err.message);
  char ddl[2048];
  sp_type_to_string(s->schema, ddl, sizeof ddl);
  assert_string_equal(ddl,
                      "struct<CESS:double,CGST:double,CashierID:string,CreatedTime:bigint,CustomerCardNo:string,"
                      "CustomerType:string,DeliveryAddress:struct<AddressLine:string,City:string,ContactNumber:string,"
                      "PinCode:string,State:string>,DeliveryType:string,InvoiceLineItems:array<struct<ItemCode:string,"
                      "ItemDescription:string,ItemPrice:double,ItemQty:bigint,TotalValue:double>>,InvoiceNumber:string,"
                      "NumberOfItems:bigint,PaymentMethod:string,PosID:string,SGST:double,StoreID:string,"
                      "TaxableAmount:double,TotalAmount:double>");
  for (int i = 0; i < s->schema->nfields; i++) assert_true(s->schema->fields[i].nullable);
  snprintf(want_desc, sizeof want_desc, "FileStreamSource[file:%s]", pattern);
  assert_string_equal(s->description, want_desc);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  /* Same mtimes: one file per batch in name order; 500, 500, 590 invoices. */
  const int64_t want_rows[] = {500, 500, 590};
  char *start = NULL;
  for (int b = 0; b < 3; b++) {
    sp_batch_list l = {0};
    char *end = next_batch_(s, start, &l);
    char want_off[32];
    snprintf(want_off, sizeof want_off, "{\"logOffset\":%d}", b);
    assert_string_equal(end, want_off);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0]->nrows, want_rows[b]);
    if (b == 0) {
      int ci = sp_type_field_index(s->schema, "InvoiceNumber");
      assert_str_(l.items[0], ci, 0, "51402977");
      int ct = sp_type_field_index(s->schema, "CreatedTime");
      assert_int_equal(col_i64_(l.items[0], ct, 0), INT64_C(1595688900348));
    }
    sp_batch_list_release(&l);
    s->vt->commit(s, end);
    free(start);
    start = end;
  }
  /* Nothing new. */
  sp_batch_list l = {0};
  char *end = next_batch_(s, start, &l);
  assert_string_equal(end, "{\"logOffset\":2}");
  assert_int_equal(l.n, 0);
  free(end);
  free(start);
  /* The source log names each file with its URI, mtime and log batch id. */
  char *p = join_(f->meta, "1");
  char *text = read_text_(p);
  struct stat st;
  char set2[1100];
  snprintf(set2, sizeof set2, "%s/Invoice-set2.json", seed);
  assert_int_equal(stat(set2, &st), 0);
  char want[1400];
  snprintf(want, sizeof want, "v1\n{\"path\":\"file://%s\",\"timestamp\":%lld,\"batchId\":1}", set2,
           (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
  assert_string_equal(text, want);
  free(text);
  free(p);
  sp_source_free(s);
}

static void test_max_files_mtime_order_and_restart(void **state) {
  fixture *f = *state;
  write_file_(f->in, "a.json", "{\"id\":1,\"name\":\"a1\"}\n{\"id\":2,\"name\":\"a2\"}\n", 1000);
  write_file_(f->in, "b.json", "{\"id\":3,\"name\":\"b\"}\n", 3000);
  write_file_(f->in, "c.json", "{\"id\":4}\n\n{\"name\":\"c\",\"id\":5,\"extra\":true}", 2000);
  write_file_(f->in, ".hidden.json", "{\"id\":99}\n", 500);
  write_file_(f->in, "_temp.json", "{\"id\":98}\n", 500);
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "PATH", f->in);
  opt_(&o, "maxfilespertrigger", "1");
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_false(s->schema->fields[0].nullable == false); /* forced nullable */
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);

  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  assert_string_equal(e0, "{\"logOffset\":0}");
  assert_int_equal(l.n, 1);
  assert_int_equal(l.items[0]->nrows, 2);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 1);
  assert_str_(l.items[0], 1, 1, "a2");
  sp_batch_list_release(&l);
  s->vt->commit(s, e0);

  char *e1 = next_batch_(s, e0, &l); /* c.json (mtime 2000) before b.json (3000) */
  assert_string_equal(e1, "{\"logOffset\":1}");
  assert_int_equal(l.n, 1);
  assert_int_equal(l.items[0]->nrows, 2);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 4);
  assert_true(sp_vec_is_null(l.items[0]->cols[1], 0));
  assert_int_equal(col_i64_(l.items[0], 0, 1), 5);
  assert_str_(l.items[0], 1, 1, "c");
  sp_batch_list_release(&l);
  /* Crash before commit: a new source object on the same log replays (0, 1]. */
  sp_source_free(s);
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  assert_int_equal(s->vt->get_batch(s, e0, e1, &l, &err), 0);
  assert_int_equal(l.n, 1);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 4);
  sp_batch_list_release(&l);
  s->vt->commit(s, e1);
  /* Then only b.json is new: a and c are not read again. */
  char *e2 = next_batch_(s, e1, &l);
  assert_string_equal(e2, "{\"logOffset\":2}");
  assert_int_equal(l.n, 1);
  assert_int_equal(l.items[0]->nrows, 1);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 3);
  sp_batch_list_release(&l);
  char *e3 = next_batch_(s, e2, &l);
  assert_string_equal(e3, "{\"logOffset\":2}");
  assert_int_equal(l.n, 0);
  /* A file appearing later is picked up. */
  write_file_(f->in, "d.json", "{\"id\":6,\"name\":\"d\"}\n", 4000);
  char *e4 = next_batch_(s, e3, &l);
  assert_string_equal(e4, "{\"logOffset\":3}");
  assert_int_equal(l.n, 1);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 6);
  sp_batch_list_release(&l);
  /* Log content of the first entry. */
  char *p = join_(f->meta, "0");
  char *text = read_text_(p);
  char want[1024];
  snprintf(want, sizeof want, "v1\n{\"path\":\"file://%s/a.json\",\"timestamp\":1000000,\"batchId\":0}", f->in);
  assert_string_equal(text, want);
  free(text);
  free(p);
  free(e0);
  free(e1);
  free(e2);
  free(e3);
  free(e4);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_unlimited_and_latest_first(void **state) {
  fixture *f = *state;
  write_file_(f->in, "x.json", "{\"id\":1}\n", 1000);
  write_file_(f->in, "y.json", "{\"id\":2}\n", 2000);
  write_file_(f->in, "z.json", "{\"id\":3}\n", 3000);
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "path", f->in);
  opt_(&o, "latestFirst", "TRUE");
  opt_(&o, "maxFilesPerTrigger", "2");
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  assert_int_equal(l.n, 2); /* newest first: z, y */
  assert_int_equal(col_i64_(l.items[0], 0, 0), 3);
  assert_int_equal(col_i64_(l.items[1], 0, 0), 2);
  sp_batch_list_release(&l);
  char *e1 = next_batch_(s, e0, &l);
  assert_int_equal(l.n, 1);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 1);
  sp_batch_list_release(&l);
  free(e0);
  free(e1);
  sp_source_free(s);
  /* Without a limit every file goes into one batch, oldest first. */
  char *meta2 = join_(f->root, "chk2");
  opts o2 = {0};
  opt_(&o2, "path", f->in);
  assert_int_equal(create_("json", &o2, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, meta2, NULL, &err), 0);
  e0 = next_batch_(s, NULL, &l);
  assert_string_equal(e0, "{\"logOffset\":0}");
  assert_int_equal(l.n, 3);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 1);
  assert_int_equal(col_i64_(l.items[2], 0, 0), 3);
  assert_int_equal(sp_batch_list_rows(&l), 3);
  sp_batch_list_release(&l);
  free(e0);
  free(meta2);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_max_file_age(void **state) {
  fixture *f = *state;
  write_file_(f->in, "new.json", "{\"id\":1}\n", 100000);
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "path", f->in);
  opt_(&o, "maxFileAge", "10s");
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  sp_batch_list_release(&l);
  /* 50 s older than the newest seen file (> 10 s): ignored; 5 s older: read. */
  write_file_(f->in, "old.json", "{\"id\":2}\n", 50000);
  write_file_(f->in, "recent.json", "{\"id\":3}\n", 99995);
  char *e1 = next_batch_(s, e0, &l);
  assert_string_equal(e1, "{\"logOffset\":1}");
  assert_int_equal(l.n, 1);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 3);
  sp_batch_list_release(&l);
  free(e0);
  free(e1);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void expect_create_error_(fixture *f, const char *format, const opts *o, sp_type *schema, int code,
                                 const char *msg) {
  sp_source *s = NULL;
  spate_error err;
  spate_error_clear(&err);
  int rc = create_(format, o, schema, &f->conf, &s, &err);
  assert_int_equal(rc, code);
  assert_null(s);
  assert_string_equal(err.message, msg);
}

static void test_option_errors(void **state) {
  fixture *f = *state;
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "path", "/nonexistent/spate/in");
  expect_create_error_(f, "json", &o, schema, SPATE_ENOTFOUND, "Path does not exist: /nonexistent/spate/in");
  opts none = {0};
  expect_create_error_(f, "json", &none, schema, SPATE_EINVAL, "'path' is not specified");
  opts u = {0};
  opt_(&u, "path", f->in);
  opt_(&u, "maxFilesPerTriger", "1");
  expect_create_error_(f, "json", &u, schema, SPATE_EINVAL,
                       "Unknown option 'maxFilesPerTriger' for json source. Did you mean 'maxFilesPerTrigger'? Valid options: "
                       "path, maxFilesPerTrigger, maxBytesPerTrigger, latestFirst, fileNameOnly, maxFileAge, "
                       "maxCachedFiles, discardCachedInputRatio, cleanSource, sourceArchiveDir, modifiedBefore, "
                       "modifiedAfter, mode, columnNameOfCorruptRecord, timestampFormat, dateFormat, multiLine, timeZone");
  opts m = {0};
  opt_(&m, "path", f->in);
  opt_(&m, "maxFilesPerTrigger", "0");
  expect_create_error_(f, "json", &m, schema, SPATE_EINVAL,
                       "Invalid value '0' for option 'maxFilesPerTrigger', must be a positive integer");
  opts a = {0};
  opt_(&a, "path", f->in);
  opt_(&a, "cleanSource", "ARCHIVE");
  expect_create_error_(f, "json", &a, schema, SPATE_EINVAL, "Archive mode must be used with 'sourceArchiveDir' option.");
  opts c = {0};
  opt_(&c, "path", f->in);
  opt_(&c, "cleanSource", "move");
  expect_create_error_(f, "json", &c, schema, SPATE_EINVAL,
                       "Invalid mode for clean source option Some(move). Must be one of ARCHIVE,DELETE,OFF");
  opts mb = {0};
  opt_(&mb, "path", f->in);
  opt_(&mb, "modifiedBefore", "2020-06-01T05:00:00");
  expect_create_error_(f, "json", &mb, schema, SPATE_EINVAL,
                       "option 'modifiedBefore' is not allowed in file stream sources");
  opts lf = {0};
  opt_(&lf, "path", f->in);
  opt_(&lf, "latestFirst", "yes");
  expect_create_error_(f, "json", &lf, schema, SPATE_EINVAL,
                       "Invalid value 'yes' for option 'latestFirst', must be 'true' or 'false'");
  opts ml = {0};
  opt_(&ml, "path", f->in);
  opt_(&ml, "multiLine", "true");
  expect_create_error_(f, "json", &ml, schema, SPATE_EUNSUPPORTED,
                       "multiLine=true is not supported by spate's json source yet (one JSON object per line)");
  opts ar = {0};
  char *inner = join_(f->in, "archive");
  opt_(&ar, "path", f->in);
  opt_(&ar, "cleanSource", "archive");
  opt_(&ar, "sourceArchiveDir", inner);
  expect_create_error_(f, "json", &ar, schema, SPATE_EINVAL,
                       "requirement failed: Base archive path cannot be set to the path where archived path can "
                       "possibly match with source pattern. Ensure the base archive path doesn't match with source "
                       "pattern in depth, where the depth is minimum of depth on both paths.");
  free(inner);
  /* No schema and no inference. */
  opts p = {0};
  opt_(&p, "path", f->in);
  expect_create_error_(f, "json", &p, NULL, SPATE_EANALYSIS,
                       "Schema must be specified when creating a streaming source DataFrame. If some files already "
                       "exist in the directory, then depending on the file format you may be able to create a static "
                       "DataFrame on that directory with 'spark.read.load(directory)' and infer schema from it.");
  /* Inference on an empty directory. */
  sp_conf_set(&f->conf, "spark.sql.streaming.schemaInference", "true");
  expect_create_error_(f, "json", &p, NULL, SPATE_EANALYSIS,
                       "Unable to infer schema for JSON. It must be specified manually.");
  expect_create_error_(f, "parquet", &p, NULL, SPATE_ENOTFOUND,
                       "Failed to find data source: parquet. Available streaming sources: csv, json, kafka, rate, "
                       "rate-micro-batch, socket, text");
  sp_type_unref(schema);
}

static void test_clean_source_delete_and_archive(void **state) {
  fixture *f = *state;
  write_file_(f->in, "one.json", "{\"id\":1}\n", 1000);
  write_file_(f->in, "two.json", "{\"id\":2}\n", 2000);
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "path", f->in);
  opt_(&o, "maxFilesPerTrigger", "1");
  opt_(&o, "cleanSource", "delete");
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  sp_batch_list_release(&l);
  char *one = join_(f->in, "one.json"), *two = join_(f->in, "two.json");
  assert_true(sp_fs_exists(one));
  s->vt->commit(s, e0);
  assert_false(sp_fs_exists(one));
  assert_true(sp_fs_exists(two));
  free(e0);
  sp_source_free(s);

  /* archive: /in/two.json -> <archive>/<abs path of two.json> */
  char *arch = join_(f->root, "archive");
  char *meta2 = join_(f->root, "chk2");
  opts a = {0};
  opt_(&a, "path", f->in);
  opt_(&a, "cleanSource", "Archive");
  opt_(&a, "sourceArchiveDir", arch);
  assert_int_equal(create_("json", &a, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, meta2, f->pool, &err), 0);
  e0 = next_batch_(s, NULL, &l);
  assert_int_equal(l.n, 1);
  sp_batch_list_release(&l);
  s->vt->commit(s, e0);
  assert_false(sp_fs_exists(two));
  char *moved = malloc(strlen(arch) + strlen(two) + 1);
  sprintf(moved, "%s%s", arch, two);
  assert_true(sp_fs_exists(moved));
  free(moved);
  free(e0);
  free(arch);
  free(meta2);
  free(one);
  free(two);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_text_csv_and_partitions(void **state) {
  fixture *f = *state;
  write_file_(f->in, "t.txt", "hello world\r\nsecond line\n\nlast", 1000);
  opts o = {0};
  opt_(&o, "path", f->in);
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("text", &o, NULL, &f->conf, &s, &err), 0);
  char ddl[256];
  sp_type_to_string(s->schema, ddl, sizeof ddl);
  assert_string_equal(ddl, "struct<value:string>");
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.items[0]->nrows, 4);
  assert_str_(l.items[0], 0, 0, "hello world");
  assert_str_(l.items[0], 0, 2, "");
  assert_str_(l.items[0], 0, 3, "last");
  sp_batch_list_release(&l);
  free(e0);
  sp_source_free(s);

  /* csv with header and key=value partition directories. */
  char *csvdir = join_(f->root, "csvin");
  write_file_(csvdir, "year=2020/a.csv", "id,name\n1,x\n2,y\n", 1000);
  write_file_(csvdir, "year=2021/b.csv", "id,name\n3,z\n", 2000);
  write_file_(csvdir, "plain/ignored.csv", "id,name\n9,no\n", 500);
  sp_type *schema = schema_id_name_();
  opts c = {0};
  opt_(&c, "path", csvdir);
  opt_(&c, "header", "true");
  opt_(&c, "inferSchema", "true");
  char *meta2 = join_(f->root, "chk2");
  assert_int_equal(create_("csv", &c, schema, &f->conf, &s, &err), 0);
  sp_type_to_string(s->schema, ddl, sizeof ddl);
  assert_string_equal(ddl, "struct<id:bigint,name:string,year:int>");
  assert_int_equal(s->vt->open(s, meta2, f->pool, &err), 0);
  e0 = next_batch_(s, NULL, &l);
  assert_int_equal(l.n, 2);
  assert_int_equal(l.items[0]->nrows, 2);
  assert_int_equal(col_i64_(l.items[0], 0, 1), 2);
  assert_str_(l.items[0], 1, 1, "y");
  assert_int_equal(sp_vec_i32(l.items[0]->cols[2])[0], 2020);
  assert_int_equal(sp_vec_i32(l.items[0]->cols[2])[1], 2020);
  assert_int_equal(l.items[1]->nrows, 1);
  assert_int_equal(sp_vec_i32(l.items[1]->cols[2])[0], 2021);
  sp_batch_list_release(&l);
  free(e0);
  free(meta2);
  free(csvdir);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_failfast_names_file(void **state) {
  fixture *f = *state;
  write_file_(f->in, "bad.json", "{\"id\":1}\n{\"id\":\n", 1000);
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "path", f->in);
  opt_(&o, "mode", "FAILFAST");
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  char *end = NULL;
  assert_int_equal(s->vt->latest_offset(s, NULL, &end, &err), 0);
  sp_batch_list l = {0};
  spate_error_clear(&err);
  assert_int_not_equal(s->vt->get_batch(s, NULL, end, &l, &err), 0);
  char *bad = join_(f->in, "bad.json");
  assert_non_null(strstr(err.message, bad));
  assert_int_equal(l.n, 0);
  free(bad);
  free(end);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_available_now_fixes_file_set(void **state) {
  fixture *f = *state;
  write_file_(f->in, "1.json", "{\"id\":1}\n", 1000);
  write_file_(f->in, "2.json", "{\"id\":2}\n", 2000);
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "path", f->in);
  opt_(&o, "maxFilesPerTrigger", "1");
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  assert_int_equal(s->vt->prepare_available_now(s, &err), 0);
  write_file_(f->in, "3.json", "{\"id\":3}\n", 500); /* appears after the snapshot */
  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  char *e1 = next_batch_(s, e0, &l);
  char *e2 = next_batch_(s, e1, &l);
  assert_string_equal(e0, "{\"logOffset\":0}");
  assert_string_equal(e1, "{\"logOffset\":1}");
  assert_string_equal(e2, "{\"logOffset\":1}");
  assert_int_equal(l.n, 2);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 1);
  assert_int_equal(col_i64_(l.items[1], 0, 0), 2);
  sp_batch_list_release(&l);
  free(e0);
  free(e1);
  free(e2);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_reads_file_sink_output_through_its_log(void **state) {
  fixture *f = *state;
  write_file_(f->in, "part-00000-a.c000.json", "{\"id\":1}\n", 1000);
  write_file_(f->in, "part-00000-orphan.c000.json", "{\"id\":2}\n", 1000);
  char *logdir = join_(f->in, "_spark_metadata");
  assert_int_equal(sp_fs_mkdirs(logdir, NULL), 0);
  char *entry = join_(logdir, "0");
  char text[1024];
  int n = snprintf(text, sizeof text,
                   "v1\n{\"path\":\"file://%s/part-00000-a.c000.json\",\"size\":9,\"isDir\":false,"
                   "\"modificationTime\":1000000,\"blockReplication\":1,\"blockSize\":33554432,\"action\":\"add\"}",
                   f->in);
  assert_int_equal(sp_fs_write_atomic(entry, text, (size_t)n, false, NULL), 0);
  sp_type *schema = schema_id_name_();
  opts o = {0};
  opt_(&o, "path", f->in);
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.items[0]->nrows, 1);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 1);
  sp_batch_list_release(&l);
  free(e0);
  free(entry);
  free(logdir);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_file_name_only_and_max_bytes(void **state) {
  fixture *f = *state;
  write_file_(f->in, "a/x.json", "{\"id\":1}\n", 1000);
  write_file_(f->in, "b/x.json", "{\"id\":2}\n", 2000);
  write_file_(f->in, "b/y.json", "{\"id\":3,\"name\":\"long enough\"}\n", 3000);
  sp_type *schema = schema_id_name_();
  char *glob = join_(f->in, "*/*.json");
  opts o = {0};
  opt_(&o, "path", glob);
  opt_(&o, "fileNameOnly", "true");
  sp_source *s = NULL;
  spate_error err;
  assert_int_equal(create_("json", &o, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, f->meta, f->pool, &err), 0);
  sp_batch_list l = {0};
  char *e0 = next_batch_(s, NULL, &l);
  assert_int_equal(l.n, 2); /* b/x.json has the same name as a/x.json: skipped */
  assert_int_equal(col_i64_(l.items[0], 0, 0), 1);
  assert_int_equal(col_i64_(l.items[1], 0, 0), 3);
  sp_batch_list_release(&l);
  free(e0);
  sp_source_free(s);
  /* maxBytesPerTrigger: at least one file, then as many as fit. */
  char *meta2 = join_(f->root, "chk2");
  opts b = {0};
  opt_(&b, "path", glob);
  opt_(&b, "maxBytesPerTrigger", "20");
  assert_int_equal(create_("json", &b, schema, &f->conf, &s, &err), 0);
  assert_int_equal(s->vt->open(s, meta2, f->pool, &err), 0);
  e0 = next_batch_(s, NULL, &l); /* 9 + 9 bytes */
  assert_int_equal(l.n, 2);
  sp_batch_list_release(&l);
  char *e1 = next_batch_(s, e0, &l); /* 34 bytes > limit, still taken alone */
  assert_string_equal(e1, "{\"logOffset\":1}");
  assert_int_equal(l.n, 1);
  assert_int_equal(col_i64_(l.items[0], 0, 0), 3);
  sp_batch_list_release(&l);
  free(e0);
  free(e1);
  free(meta2);
  free(glob);
  sp_source_free(s);
  sp_type_unref(schema);
}

static void test_helpers(void **state) {
  (void)state;
  char *p = sp_path_absolute("/a/./b//c/../d/");
  assert_string_equal(p, "/a/b/d");
  free(p);
  p = sp_path_absolute("/..");
  assert_string_equal(p, "/");
  free(p);
  char *u = sp_path_to_uri("/tmp/a b/x%y#.json");
  assert_string_equal(u, "file:///tmp/a%20b/x%25y%23.json");
  char *back = sp_uri_to_path(u);
  assert_string_equal(back, "/tmp/a b/x%y#.json");
  free(back);
  free(u);
  back = sp_uri_to_path("file:/tmp/x");
  assert_string_equal(back, "/tmp/x");
  free(back);
  sp_buf b;
  sp_buf_init(&b);
  sp_json_put_string(&b, "a\"b\\c\n\x01");
  assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
  sp_buf_free(&b);
  sp_source_spec spec = {"json", 2, (const char *const[]){"Path", "PATH"}, (const char *const[]){"x", "y"}, NULL, NULL};
  assert_string_equal(sp_source_spec_option(&spec, "path"), "y");
  assert_null(sp_source_spec_option(&spec, "mode"));
  assert_non_null(sp_source_lookup("JSON"));
  assert_null(sp_source_lookup("kafka2"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_seed_invoices_inferred_schema, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_max_files_mtime_order_and_restart, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_unlimited_and_latest_first, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_max_file_age, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_option_errors, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_clean_source_delete_and_archive, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_text_csv_and_partitions, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_failfast_names_file, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_available_now_fixes_file_set, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_reads_file_sink_output_through_its_log, setup_, teardown_),
      cmocka_unit_test_setup_teardown(test_file_name_only_and_max_bytes, setup_, teardown_),
      cmocka_unit_test(test_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
