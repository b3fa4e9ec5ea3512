/* test_aggregate.c - hash aggregation: update, merge of partials, restore from
 * encoded state buffers, finalize; and the rowcodec round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "exec/aggregate.h"
#include "exec/rowcodec.h"

static sp_vec *strs(const char *const *v, int n) {
  sp_vec *x = sp_vec_new(sp_type_prim(SP_STRING), n);
  for (int i = 0; i < n; i++) {
    if (v[i])
      sp_vec_append_str(x, v[i], (int32_t)strlen(v[i]));
    else
      sp_vec_append_null(x);
  }
  return x;
}

static sp_vec *longs(const int64_t *v, const int *nulls, int n) {
  sp_vec *x = sp_vec_new(sp_type_prim(SP_BIGINT), n);
  for (int i = 0; i < n; i++) {
    if (nulls && nulls[i])
      sp_vec_append_null(x);
    else
      sp_vec_append_i64(x, v[i]);
  }
  return x;
}

static int find_key(sp_agg_table *t, const char *k) {
  sp_vec *keys = sp_agg_key(t, 0);
  for (int64_t g = 0; g < keys->length; g++) {
    if (sp_vec_is_null(keys, g)) {
      if (!k) return (int)g;
      continue;
    }
    int32_t len;
    const char *p = sp_vec_str(keys, g, &len);
    if (k && (int)strlen(k) == len && !memcmp(p, k, (size_t)len)) return (int)g;
  }
  return -1;
}

static void test_update_merge_finalize(void **state) {
  (void)state;
  sp_type *ks = sp_type_struct_new(1);
  sp_type_struct_set(ks, 0, "word", sp_type_prim(SP_STRING), true);
  sp_agg_spec specs[5] = {
      {SP_AGG_COUNT_STAR, NULL, sp_type_prim(SP_BIGINT)},
      {SP_AGG_SUM, sp_type_prim(SP_BIGINT), sp_type_prim(SP_BIGINT)},
      {SP_AGG_AVG, sp_type_prim(SP_BIGINT), sp_type_prim(SP_DOUBLE)},
      {SP_AGG_MIN, sp_type_prim(SP_BIGINT), sp_type_prim(SP_BIGINT)},
      {SP_AGG_MAX, sp_type_prim(SP_BIGINT), sp_type_prim(SP_BIGINT)},
  };
  const char *w1[] = {"a", "b", "a", NULL, "a"};
  int64_t v1[] = {1, 10, 3, 7, 5};
  int n1[] = {0, 0, 0, 0, 1};
  sp_vec *k1 = strs(w1, 5), *x1 = longs(v1, n1, 5);
  sp_vec *args1[5] = {NULL, x1, x1, x1, x1};
  /* Two partial tables (two input partitions) merged into a final one. */
  sp_agg_table *p1 = sp_agg_table_new(ks, specs, 5);
  assert_int_equal(sp_agg_update(p1, &k1, args1, 5), 0);
  assert_int_equal(sp_agg_ngroups(p1), 3);
  const char *w2[] = {"b", "c"};
  int64_t v2[] = {-4, 2};
  sp_vec *k2 = strs(w2, 2), *x2 = longs(v2, NULL, 2);
  sp_vec *args2[5] = {NULL, x2, x2, x2, x2};
  sp_agg_table *p2 = sp_agg_table_new(ks, specs, 5);
  assert_int_equal(sp_agg_update(p2, &k2, args2, 2), 0);

  int nbuf = 0;
  for (int j = 0; j < 5; j++) nbuf += sp_agg_nbuf(specs[j].kind);
  assert_int_equal(nbuf, 6);
  sp_vec *b1[6], *b2[6];
  assert_int_equal(sp_agg_emit_buffers(p1, b1), 0);
  assert_int_equal(sp_agg_emit_buffers(p2, b2), 0);
  sp_agg_table *f = sp_agg_table_new(ks, specs, 5);
  sp_vec *pk1 = sp_agg_key(p1, 0), *pk2 = sp_agg_key(p2, 0);
  assert_int_equal(sp_agg_merge(f, &pk1, b1, sp_agg_ngroups(p1)), 0);
  assert_int_equal(sp_agg_merge(f, &pk2, b2, sp_agg_ngroups(p2)), 0);
  assert_int_equal(sp_agg_ngroups(f), 4);

  sp_vec *fb[6], *res[5];
  assert_int_equal(sp_agg_emit_buffers(f, fb), 0);
  assert_int_equal(sp_agg_finalize(specs, 5, fb, res), 0);
  int a = find_key(f, "a"), b = find_key(f, "b"), n = find_key(f, NULL);
  assert_true(a >= 0 && b >= 0 && n >= 0);
  /* a: values 1, 3, NULL -> count(*) 3, sum 4, avg 2.0, min 1, max 3 */
  assert_int_equal(sp_vec_i64(res[0])[a], 3);
  assert_int_equal(sp_vec_i64(res[1])[a], 4);
  assert_true(sp_vec_f64(res[2])[a] == 2.0);
  assert_int_equal(sp_vec_i64(res[3])[a], 1);
  assert_int_equal(sp_vec_i64(res[4])[a], 3);
  /* b: 10 and -4 from two partials */
  assert_int_equal(sp_vec_i64(res[0])[b], 2);
  assert_int_equal(sp_vec_i64(res[1])[b], 6);
  assert_true(sp_vec_f64(res[2])[b] == 3.0);
  assert_int_equal(sp_vec_i64(res[3])[b], -4);
  assert_int_equal(sp_vec_i64(res[4])[b], 10);
  /* NULL key groups together */
  assert_int_equal(sp_vec_i64(res[0])[n], 1);

  /* State restore: encode f's buffers per key, decode into vectors, merge into a new table. */
  sp_type *bs = sp_agg_buffer_schema(specs, 5);
  sp_vec *old[6];
  for (int i = 0; i < 6; i++) old[i] = sp_vec_new(bs->fields[i].type, 4);
  sp_buf kb;
  sp_buf_init(&kb);
  sp_vec *fk = sp_agg_key(f, 0);
  int32_t gids[4];
  sp_agg_table *g2 = sp_agg_table_new(ks, specs, 5);
  assert_int_equal(sp_agg_update(g2, &k2, args2, 2), 0); /* batch 2 sees b, c again */
  int nold = 0;
  for (int64_t g = 0; g < sp_agg_ngroups(f); g++) {
    if (sp_vec_is_null(fk, g)) continue;
    int32_t len;
    const char *p = sp_vec_str(fk, g, &len);
    char key[8] = {0};
    memcpy(key, p, (size_t)len);
    int tg = find_key(g2, key);
    if (tg < 0) continue; /* key not in this batch: stays in state untouched */
    sp_buf_reset(&kb);
    sp_row_encode(fb, 6, g, &kb);
    assert_true(sp_row_decode(kb.data, kb.len, old, 6) == (int64_t)kb.len);
    gids[nold++] = tg;
  }
  assert_int_equal(nold, 2); /* b and c */
  assert_int_equal(sp_agg_merge_into(g2, gids, old, nold), 0);
  sp_vec *gb[6], *gr[5];
  assert_int_equal(sp_agg_emit_buffers(g2, gb), 0);
  assert_int_equal(sp_agg_finalize(specs, 5, gb, gr), 0);
  int bb = find_key(g2, "b"), cc = find_key(g2, "c");
  assert_int_equal(sp_vec_i64(gr[0])[bb], 3);  /* 2 before + 1 now */
  assert_int_equal(sp_vec_i64(gr[1])[bb], 2);  /* 6 + (-4) */
  assert_int_equal(sp_vec_i64(gr[3])[bb], -4);
  assert_int_equal(sp_vec_i64(gr[0])[cc], 2);
  assert_int_equal(sp_vec_i64(gr[1])[cc], 4);
  assert_true(sp_vec_f64(gr[2])[cc] == 2.0);
  for (int i = 0; i < 6; i++) sp_vec_free(gb[i]);
  for (int i = 0; i < 5; i++) sp_vec_free(gr[i]);
  sp_buf_free(&kb);
  for (int i = 0; i < 6; i++) sp_vec_free(old[i]);
  sp_type_unref(bs);

  for (int i = 0; i < 6; i++) {
    sp_vec_free(b1[i]);
    sp_vec_free(b2[i]);
    sp_vec_free(fb[i]);
  }
  for (int i = 0; i < 5; i++) sp_vec_free(res[i]);
  sp_agg_table_free(p1);
  sp_agg_table_free(p2);
  sp_agg_table_free(f);
  sp_agg_table_free(g2);
  sp_vec_free(k1);
  sp_vec_free(x1);
  sp_vec_free(k2);
  sp_vec_free(x2);
  sp_type_unref(ks);
}

static void test_rowcodec_roundtrip(void **state) {
  (void)state;
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "s", sp_type_prim(SP_STRING), true);
  sp_type_struct_set(st, 1, "a", sp_type_array_new(sp_type_prim(SP_DOUBLE), true), true);
  sp_vec *v = sp_vec_new(st, 2);
  sp_vec_append_str(v->children[0], "xy", 2);
  sp_vec_append_f64(v->children[1]->children[0], -0.0);
  sp_vec_append_null(v->children[1]->children[0]);
  sp_vec_array_close(v->children[1], true);
  sp_vec_struct_append(v, true);
  sp_vec_append_null(v);
  sp_vec *i = sp_vec_new(sp_type_prim(SP_INT), 2);
  sp_vec_append_i32(i, 42);
  sp_vec_append_i32(i, -1);
  sp_vec *cols[2] = {v, i};
  sp_vec *dst[2] = {sp_vec_new(st, 2), sp_vec_new(sp_type_prim(SP_INT), 2)};
  sp_buf b;
  sp_buf_init(&b);
  for (int r = 0; r < 2; r++) {
    sp_buf_reset(&b);
    sp_row_encode(cols, 2, r, &b);
    assert_true(sp_row_decode(b.data, b.len, dst, 2) == (int64_t)b.len);
    assert_true(sp_row_decode(b.data, b.len - 1, dst, 0) == 0);
  }
  /* truncated input is rejected */
  sp_buf_reset(&b);
  sp_row_encode(cols, 2, 0, &b);
  sp_vec *scratch[2] = {sp_vec_new(st, 1), sp_vec_new(sp_type_prim(SP_INT), 1)};
  assert_true(sp_row_decode(b.data, b.len - 1, scratch, 2) < 0);
  for (int r = 0; r < 2; r++) {
    assert_true(sp_vec_row_equal(v, r, dst[0], r));
    assert_true(sp_vec_row_equal(i, r, dst[1], r));
  }
  /* -0.0 is canonicalized to 0.0 */
  assert_false(signbit(sp_vec_f64(dst[0]->children[1]->children[0])[0]));
  sp_buf_free(&b);
  for (int k = 0; k < 2; k++) {
    sp_vec_free(cols[k]);
    sp_vec_free(dst[k]);
    sp_vec_free(scratch[k]);
  }
  sp_type_unref(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_update_merge_finalize),
      cmocka_unit_test(test_rowcodec_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
