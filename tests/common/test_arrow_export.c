/* test_arrow_export.c - unit tests for src/common/arrow_export.c (Arrow C Data Interface). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/arrow_export.h"
#include "common/types.h"
#include "common/vec.h"

/* ---- helpers ---- */

static sp_type *struct_type(int n, const char *const *names, sp_type *const *types, const bool *nullable) {
  sp_type *st = sp_type_struct_new(n);
  assert_non_null(st);
  for (int i = 0; i < n; i++) assert_int_equal(sp_type_struct_set(st, i, names[i], types[i], nullable[i]), 0);
  return st;
}

static void append_s(sp_vec *v, const char *s) {
  if (!s)
    sp_vec_append_null(v);
  else
    sp_vec_append_str(v, s, (int32_t)strlen(s));
}

static const uint8_t *buf8(const struct ArrowArray *a, int i) { return (const uint8_t *)a->buffers[i]; }
static const int32_t *buf32(const struct ArrowArray *a, int i) { return (const int32_t *)a->buffers[i]; }
static const int64_t *buf64(const struct ArrowArray *a, int i) { return (const int64_t *)a->buffers[i]; }

static void assert_aligned(const void *p) {
  assert_non_null(p);
  assert_int_equal((uintptr_t)p % 64, 0);
}

/* Every column, every row equal (NULL == NULL), same types and nullability. */
static void assert_batches_equal(const sp_batch *a, const sp_batch *b) {
  assert_int_equal(a->nrows, b->nrows);
  assert_int_equal(a->ncols, b->ncols);
  assert_true(sp_type_equal(a->schema, b->schema));
  for (int c = 0; c < a->ncols; c++) {
    assert_int_equal(a->schema->fields[c].nullable, b->schema->fields[c].nullable);
    assert_int_equal(a->cols[c]->length, b->cols[c]->length);
    assert_int_equal(a->cols[c]->null_count, b->cols[c]->null_count);
    for (int64_t i = 0; i < a->nrows; i++) {
      assert_int_equal(sp_vec_is_null(a->cols[c], i), sp_vec_is_null(b->cols[c], i));
      assert_true(sp_vec_row_equal(a->cols[c], i, b->cols[c], i));
    }
  }
}

static void noop_release_schema(struct ArrowSchema *s) { s->release = NULL; }
static void noop_release_array(struct ArrowArray *a) { a->release = NULL; }

/* ---- fixtures ---- */

enum { PRIM_ROWS = 11 };
static const char *const prim_names[] = {"b", "i", "l", "d", "s", "bin", "ts", "dt", "nul"};
static const char *const prim_strs[PRIM_ROWS] = {"a", "", "ccc", NULL, "dd", "\xc3\xa9", "x", "y", "z", "", "end"};

/* One column of every primitive type, 11 rows (crosses a bitmap byte boundary). */
static sp_batch *make_prim_batch(void) {
  sp_type *types[] = {sp_type_prim(SP_BOOLEAN), sp_type_prim(SP_INT),    sp_type_prim(SP_BIGINT),
                      sp_type_prim(SP_DOUBLE),  sp_type_prim(SP_STRING), sp_type_prim(SP_BINARY),
                      sp_type_prim(SP_TIMESTAMP), sp_type_prim(SP_DATE), sp_type_prim(SP_NULL)};
  const bool nullable[] = {true, false, true, true, true, false, true, false, true};
  sp_type *st = struct_type(9, prim_names, types, nullable);
  sp_batch *b = sp_batch_new(st, 4);
  sp_type_unref(st);
  assert_non_null(b);
  static const int bools[PRIM_ROWS] = {1, 0, 1, 1, -1, 0, 0, 1, 1, -1, 1};
  for (int i = 0; i < PRIM_ROWS; i++) {
    if (bools[i] < 0)
      sp_vec_append_null(b->cols[0]);
    else
      sp_vec_append_bool(b->cols[0], bools[i] == 1);
    sp_vec_append_i32(b->cols[1], i * 10 - 20);
    if (i == 0)
      sp_vec_append_null(b->cols[2]);
    else
      sp_vec_append_i64(b->cols[2], (int64_t)i << 40);
    if (i == 10)
      sp_vec_append_null(b->cols[3]);
    else
      sp_vec_append_f64(b->cols[3], i * 0.5);
    append_s(b->cols[4], prim_strs[i]);
    char bin[2] = {(char)i, 0};
    sp_vec_append_str(b->cols[5], bin, 2);
    if (i == 5)
      sp_vec_append_null(b->cols[6]);
    else
      sp_vec_append_i64(b->cols[6], 1700000000000000LL + i);
    sp_vec_append_i32(b->cols[7], 19000 + i);
    sp_vec_append_null(b->cols[8]);
  }
  assert_int_equal(sp_batch_finish(b), 0);
  return b;
}

/* st: struct<a:int, b:array<string>> (nullable), ai: array<int> (containsNull = false). */
static sp_batch *make_nested_batch(void) {
  sp_type *inner[] = {sp_type_prim(SP_INT), sp_type_array_new(sp_type_prim(SP_STRING), true)};
  const char *const inner_names[] = {"a", "b"};
  const bool inner_null[] = {true, true};
  sp_type *sty = struct_type(2, inner_names, inner, inner_null);
  sp_type *cols[] = {sty, sp_type_array_new(sp_type_prim(SP_INT), false)};
  const char *const names[] = {"st", "ai"};
  const bool nullable[] = {true, true};
  sp_type *schema = struct_type(2, names, cols, nullable);
  sp_batch *b = sp_batch_new(schema, 0);
  sp_type_unref(schema);
  assert_non_null(b);
  sp_vec *st = b->cols[0], *a = st->children[0], *arr = st->children[1], *items = arr->children[0];
  /* row 0: {1, ["x", "yy"]} */
  sp_vec_append_i32(a, 1);
  append_s(items, "x");
  append_s(items, "yy");
  sp_vec_array_close(arr, true);
  sp_vec_struct_append(st, true);
  /* row 1: null struct */
  sp_vec_append_null(st);
  /* row 2: {null, []} */
  sp_vec_append_null(a);
  sp_vec_array_close(arr, true);
  sp_vec_struct_append(st, true);
  /* row 3: {4, null} */
  sp_vec_append_i32(a, 4);
  sp_vec_array_close(arr, false);
  sp_vec_struct_append(st, true);
  /* row 4: {5, ["z", null]} */
  sp_vec_append_i32(a, 5);
  append_s(items, "z");
  append_s(items, NULL);
  sp_vec_array_close(arr, true);
  sp_vec_struct_append(st, true);

  sp_vec *ai = b->cols[1], *ints = ai->children[0];
  /* [1,2,3], [], null, [4], [5,6] */
  for (int k = 1; k <= 3; k++) sp_vec_append_i32(ints, k);
  sp_vec_array_close(ai, true);
  sp_vec_array_close(ai, true);
  sp_vec_array_close(ai, false);
  sp_vec_append_i32(ints, 4);
  sp_vec_array_close(ai, true);
  sp_vec_append_i32(ints, 5);
  sp_vec_append_i32(ints, 6);
  sp_vec_array_close(ai, true);
  assert_int_equal(sp_batch_finish(b), 0);
  assert_int_equal(b->nrows, 5);
  return b;
}

/* ---- export: primitive types ---- */

static void test_export_primitive_batch(void **state) {
  (void)state;
  sp_batch *b = make_prim_batch();
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_batch(b, &s, &a), 0);
  sp_batch_free(b); /* the export is a deep copy */

  /* schema */
  assert_non_null(s.release);
  assert_string_equal(s.format, "+s");
  assert_string_equal(s.name, "");
  assert_int_equal(s.flags, 0);
  assert_null(s.metadata);
  assert_null(s.dictionary);
  assert_int_equal(s.n_children, 9);
  static const char *const formats[] = {"b", "i", "l", "g", "u", "z", "tsu:UTC", "tdD", "n"};
  static const int64_t flags[] = {2, 0, 2, 2, 2, 0, 2, 0, 2};
  for (int i = 0; i < 9; i++) {
    const struct ArrowSchema *c = s.children[i];
    assert_string_equal(c->format, formats[i]);
    assert_string_equal(c->name, prim_names[i]);
    assert_int_equal(c->flags, flags[i]);
    assert_int_equal(c->n_children, 0);
    assert_null(c->dictionary);
    assert_non_null(c->release);
  }

  /* top-level struct array */
  assert_non_null(a.release);
  assert_int_equal(a.length, PRIM_ROWS);
  assert_int_equal(a.null_count, 0);
  assert_int_equal(a.offset, 0);
  assert_int_equal(a.n_buffers, 1);
  assert_null(a.buffers[0]);
  assert_int_equal(a.n_children, 9);
  assert_null(a.dictionary);
  for (int i = 0; i < 9; i++) {
    assert_int_equal(a.children[i]->length, PRIM_ROWS);
    assert_int_equal(a.children[i]->offset, 0);
    assert_int_equal(a.children[i]->n_children, 0);
    assert_non_null(a.children[i]->release);
  }

  /* BOOLEAN: nulls at 4 and 9; values 1,0,1,1,(0),0,0,1 | 1,(0),1 */
  const struct ArrowArray *c = a.children[0];
  assert_int_equal(c->n_buffers, 2);
  assert_int_equal(c->null_count, 2);
  assert_aligned(c->buffers[0]);
  assert_int_equal(buf8(c, 0)[0], 0xEF);
  assert_int_equal(buf8(c, 0)[1], 0x05);
  assert_aligned(c->buffers[1]);
  assert_int_equal(buf8(c, 1)[0], 0x8D);
  assert_int_equal(buf8(c, 1)[1], 0x05);

  /* INT: no nulls -> no validity buffer */
  c = a.children[1];
  assert_int_equal(c->n_buffers, 2);
  assert_int_equal(c->null_count, 0);
  assert_null(c->buffers[0]);
  assert_aligned(c->buffers[1]);
  for (int i = 0; i < PRIM_ROWS; i++) assert_int_equal(buf32(c, 1)[i], i * 10 - 20);

  /* BIGINT: null at 0 */
  c = a.children[2];
  assert_int_equal(c->null_count, 1);
  assert_int_equal(buf8(c, 0)[0], 0xFE);
  assert_int_equal(buf8(c, 0)[1], 0x07); /* bits past length are cleared */
  for (int i = 1; i < PRIM_ROWS; i++) assert_int_equal(buf64(c, 1)[i], (int64_t)i << 40);

  /* DOUBLE: null at 10 */
  c = a.children[3];
  assert_int_equal(c->null_count, 1);
  assert_int_equal(buf8(c, 0)[0], 0xFF);
  assert_int_equal(buf8(c, 0)[1], 0x03);
  for (int i = 0; i < 10; i++) assert_true(((const double *)c->buffers[1])[i] == i * 0.5);

  /* STRING: null at 3 */
  c = a.children[4];
  assert_int_equal(c->n_buffers, 3);
  assert_int_equal(c->null_count, 1);
  assert_int_equal(buf8(c, 0)[0], 0xF7);
  assert_int_equal(buf8(c, 0)[1], 0x07);
  static const int32_t soffs[] = {0, 1, 1, 4, 4, 6, 8, 9, 10, 11, 11, 14};
  assert_aligned(c->buffers[1]);
  assert_memory_equal(c->buffers[1], soffs, sizeof soffs);
  assert_aligned(c->buffers[2]);
  assert_memory_equal(c->buffers[2], "acccdd\xc3\xa9xyzend", 14);

  /* BINARY: no nulls, embedded NUL bytes */
  c = a.children[5];
  assert_int_equal(c->n_buffers, 3);
  assert_int_equal(c->null_count, 0);
  assert_null(c->buffers[0]);
  for (int i = 0; i <= PRIM_ROWS; i++) assert_int_equal(buf32(c, 1)[i], 2 * i);
  for (int i = 0; i < PRIM_ROWS; i++) {
    assert_int_equal(buf8(c, 2)[2 * i], i);
    assert_int_equal(buf8(c, 2)[2 * i + 1], 0);
  }

  /* TIMESTAMP: null at 5 */
  c = a.children[6];
  assert_int_equal(c->null_count, 1);
  assert_int_equal(buf8(c, 0)[0], 0xDF);
  assert_int_equal(buf64(c, 1)[4], 1700000000000004LL);
  assert_int_equal(buf64(c, 1)[10], 1700000000000010LL);

  /* DATE */
  c = a.children[7];
  assert_int_equal(c->null_count, 0);
  assert_null(c->buffers[0]);
  assert_int_equal(buf32(c, 1)[0], 19000);
  assert_int_equal(buf32(c, 1)[10], 19010);

  /* NULL type: no buffers, every row null */
  c = a.children[8];
  assert_int_equal(c->n_buffers, 0);
  assert_int_equal(c->null_count, PRIM_ROWS);

  a.release(&a);
  assert_null(a.release);
  s.release(&s);
  assert_null(s.release);
}

/* ---- boolean packing ---- */

static void test_boolean_packing(void **state) {
  (void)state;
  /* 20 values: pattern i % 3 == 0 -> true; plus check exact bytes */
  sp_vec *v = sp_vec_new(sp_type_prim(SP_BOOLEAN), 0);
  for (int i = 0; i < 20; i++) sp_vec_append_bool(v, i % 3 == 0);
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_vec(v, "flag", false, &s, &a), 0);
  assert_string_equal(s.format, "b");
  assert_string_equal(s.name, "flag");
  assert_int_equal(s.flags, 0);
  assert_int_equal(a.length, 20);
  assert_int_equal(a.null_count, 0);
  assert_null(a.buffers[0]);
  /* rows 0,3,6 | 9,12,15 | 18 */
  assert_int_equal(buf8(&a, 1)[0], 0x49);
  assert_int_equal(buf8(&a, 1)[1], 0x92);
  assert_int_equal(buf8(&a, 1)[2], 0x04);
  for (int i = 3; i < 64; i++) assert_int_equal(buf8(&a, 1)[i], 0); /* zeroed padding */
  a.release(&a);
  s.release(&s);

  /* exactly 8 values, all true; then one more false */
  sp_vec_reset(v);
  for (int i = 0; i < 8; i++) sp_vec_append_bool(v, true);
  assert_int_equal(sp_arrow_export_vec(v, NULL, true, &s, &a), 0);
  assert_string_equal(s.name, "");
  assert_int_equal(s.flags, ARROW_FLAG_NULLABLE);
  assert_int_equal(buf8(&a, 1)[0], 0xFF);
  assert_int_equal(buf8(&a, 1)[1], 0x00);
  a.release(&a);
  s.release(&s);
  sp_vec_free(v);
}

/* ---- export: nested ---- */

static void test_export_nested(void **state) {
  (void)state;
  sp_batch *b = make_nested_batch();
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_batch(b, &s, &a), 0);
  sp_batch_free(b);

  /* schema: +s{ st: +s{ a: i, b: +l{ item: u } }, ai: +l{ item: i } } */
  const struct ArrowSchema *st = s.children[0], *ai = s.children[1];
  assert_string_equal(st->format, "+s");
  assert_string_equal(st->name, "st");
  assert_int_equal(st->flags, ARROW_FLAG_NULLABLE);
  assert_int_equal(st->n_children, 2);
  assert_string_equal(st->children[0]->format, "i");
  assert_string_equal(st->children[0]->name, "a");
  assert_string_equal(st->children[1]->format, "+l");
  assert_string_equal(st->children[1]->name, "b");
  assert_int_equal(st->children[1]->n_children, 1);
  assert_string_equal(st->children[1]->children[0]->format, "u");
  assert_string_equal(st->children[1]->children[0]->name, "item");
  assert_int_equal(st->children[1]->children[0]->flags, ARROW_FLAG_NULLABLE);
  assert_string_equal(ai->format, "+l");
  assert_string_equal(ai->children[0]->format, "i");
  assert_string_equal(ai->children[0]->name, "item");
  assert_int_equal(ai->children[0]->flags, 0); /* containsNull = false */

  /* st array */
  const struct ArrowArray *sa = a.children[0];
  assert_int_equal(sa->length, 5);
  assert_int_equal(sa->n_buffers, 1);
  assert_int_equal(sa->null_count, 1);
  assert_int_equal(buf8(sa, 0)[0], 0x1D);
  assert_int_equal(sa->n_children, 2);
  const struct ArrowArray *aa = sa->children[0];
  assert_int_equal(aa->length, 5);
  assert_int_equal(aa->null_count, 2);
  assert_int_equal(buf8(aa, 0)[0], 0x19);
  assert_int_equal(buf32(aa, 1)[0], 1);
  assert_int_equal(buf32(aa, 1)[3], 4);
  assert_int_equal(buf32(aa, 1)[4], 5);
  const struct ArrowArray *ba = sa->children[1];
  assert_int_equal(ba->length, 5);
  assert_int_equal(ba->n_buffers, 2);
  assert_int_equal(ba->n_children, 1);
  assert_int_equal(ba->null_count, 2);
  assert_int_equal(buf8(ba, 0)[0], 0x15);
  static const int32_t boffs[] = {0, 2, 2, 2, 2, 4};
  assert_memory_equal(ba->buffers[1], boffs, sizeof boffs);
  const struct ArrowArray *items = ba->children[0];
  assert_int_equal(items->length, 4);
  assert_int_equal(items->null_count, 1);
  assert_int_equal(buf8(items, 0)[0], 0x07);
  static const int32_t ioffs[] = {0, 1, 3, 4, 4};
  assert_memory_equal(items->buffers[1], ioffs, sizeof ioffs);
  assert_memory_equal(items->buffers[2], "xyyz", 4);

  /* ai array */
  const struct ArrowArray *la = a.children[1];
  assert_int_equal(la->length, 5);
  assert_int_equal(la->null_count, 1);
  assert_int_equal(buf8(la, 0)[0], 0x1B);
  static const int32_t loffs[] = {0, 3, 3, 3, 4, 6};
  assert_memory_equal(la->buffers[1], loffs, sizeof loffs);
  assert_int_equal(la->children[0]->length, 6);
  assert_int_equal(la->children[0]->null_count, 0);
  assert_null(la->children[0]->buffers[0]);
  for (int k = 0; k < 6; k++) assert_int_equal(buf32(la->children[0], 1)[k], k + 1);

  a.release(&a);
  s.release(&s);
}

static void test_export_vec_struct(void **state) {
  (void)state;
  sp_batch *b = make_nested_batch();
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_vec(b->cols[0], "root", true, &s, &a), 0);
  assert_string_equal(s.format, "+s");
  assert_string_equal(s.name, "root");
  assert_int_equal(s.flags, ARROW_FLAG_NULLABLE);
  assert_int_equal(a.length, 5);
  assert_int_equal(a.null_count, 1);
  assert_int_equal(a.children[1]->children[0]->length, 4);
  sp_batch_free(b);
  assert_memory_equal(a.children[1]->children[0]->buffers[2], "xyyz", 4);
  a.release(&a);
  s.release(&s);
}

/* ---- round trip ---- */

static void roundtrip(const sp_batch *b) {
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_batch(b, &s, &a), 0);
  sp_batch *back = NULL;
  spate_error err = {0};
  assert_int_equal(sp_arrow_import_batch(&s, &a, &back, &err), 0);
  assert_non_null(back);
  /* import does not take ownership */
  assert_non_null(s.release);
  assert_non_null(a.release);
  a.release(&a);
  s.release(&s);
  assert_batches_equal(b, back);
  /* the imported vectors are ordinary vectors: appending keeps working */
  sp_batch_append(back, b);
  assert_int_equal(sp_batch_check(back), 0);
  for (int c = 0; c < back->ncols; c++) {
    assert_int_equal(back->cols[c]->length, 2 * b->nrows);
    for (int64_t i = 0; i < b->nrows; i++)
      assert_true(sp_vec_row_equal(b->cols[c], i, back->cols[c], b->nrows + i));
  }
  sp_batch_free(back);
}

static void test_roundtrip_primitive(void **state) {
  (void)state;
  sp_batch *b = make_prim_batch();
  roundtrip(b);
  sp_batch_free(b);
}

static void test_roundtrip_nested(void **state) {
  (void)state;
  sp_batch *b = make_nested_batch();
  roundtrip(b);
  sp_batch_free(b);
}

static void test_roundtrip_deep_and_empty(void **state) {
  (void)state;
  /* array<struct<k:string, v:array<bigint>>>, 3 rows; plus an empty batch of the same schema */
  sp_type *kt[] = {sp_type_prim(SP_STRING), sp_type_array_new(sp_type_prim(SP_BIGINT), true)};
  const char *const kn[] = {"k", "v"};
  const bool knull[] = {false, true};
  sp_type *elem = struct_type(2, kn, kt, knull);
  sp_type *cols[] = {sp_type_array_new(elem, true), sp_type_prim(SP_BOOLEAN)};
  const char *const names[] = {"kv", "flag"};
  const bool nullable[] = {true, false};
  sp_type *schema = struct_type(2, names, cols, nullable);

  sp_batch *empty = sp_batch_new(schema, 0);
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_batch(empty, &s, &a), 0);
  assert_int_equal(a.length, 0);
  const struct ArrowArray *kv = a.children[0];
  assert_int_equal(kv->length, 0);
  assert_null(kv->buffers[0]);
  assert_aligned(kv->buffers[1]);
  assert_int_equal(buf32(kv, 1)[0], 0);
  assert_aligned(a.children[1]->buffers[1]);
  const struct ArrowArray *k = kv->children[0]->children[0];
  assert_int_equal(k->n_buffers, 3);
  assert_aligned(k->buffers[1]);
  assert_aligned(k->buffers[2]);
  a.release(&a);
  s.release(&s);
  roundtrip(empty);
  sp_batch_free(empty);

  sp_batch *b = sp_batch_new(schema, 0);
  sp_type_unref(schema);
  sp_vec *arr = b->cols[0], *st = arr->children[0], *keys = st->children[0], *vals = st->children[1];
  for (int r = 0; r < 3; r++) {
    if (r == 1) {
      sp_vec_array_close(arr, false);
    } else {
      for (int e = 0; e <= r; e++) {
        if (e == 1) {
          sp_vec_append_null(st);
          continue;
        }
        char key[8] = {'k', (char)('0' + r), (char)('0' + e), 0};
        append_s(keys, key);
        for (int x = 0; x < e + r; x++) sp_vec_append_i64(vals->children[0], x * 100 + r);
        if (e == 2) sp_vec_append_null(vals->children[0]);
        sp_vec_array_close(vals, true);
        sp_vec_struct_append(st, true);
      }
      sp_vec_array_close(arr, true);
    }
    sp_vec_append_bool(b->cols[1], r != 1);
  }
  assert_int_equal(sp_batch_finish(b), 0);
  roundtrip(b);
  sp_batch_free(b);
}

/* ---- moving children out (allowed by the spec) ---- */

static void test_move_child(void **state) {
  (void)state;
  sp_batch *b = make_nested_batch();
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_batch(b, &s, &a), 0);
  sp_batch_free(b);
  /* move the "ai" column out, then release the parent */
  struct ArrowArray moved = *a.children[1];
  a.children[1]->release = NULL;
  struct ArrowSchema moved_s = *s.children[1];
  s.children[1]->release = NULL;
  a.release(&a);
  s.release(&s);
  assert_string_equal(moved_s.format, "+l");
  assert_string_equal(moved_s.name, "ai");
  assert_int_equal(moved.length, 5);
  assert_int_equal(buf32(moved.children[0], 1)[5], 6);
  moved.release(&moved);
  assert_null(moved.release);
  moved_s.release(&moved_s);
  assert_null(moved_s.release);
}

static void test_export_batch_invalid(void **state) {
  (void)state;
  sp_batch *b = make_prim_batch();
  b->nrows = 3; /* inconsistent with the columns */
  struct ArrowSchema s;
  struct ArrowArray a;
  assert_int_equal(sp_arrow_export_batch(b, &s, &a), SPATE_EINVAL);
  assert_null(s.release);
  assert_null(a.release);
  sp_batch_free(b);
}

/* ---- import of foreign arrays (offsets, unknown null_count) ---- */

static void test_import_offsets(void **state) {
  (void)state;
  /* x: int32, offset 2, length 8, physical row 4 null */
  static const int32_t xvals[] = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
  static const uint8_t xvalid[] = {0xEF, 0xFF};
  const void *xbufs[] = {xvalid, xvals};
  /* s: utf8, offset 0, length 4 */
  static const int32_t soffs[] = {0, 1, 3, 6, 10};
  const void *sbufs[] = {NULL, soffs, "abbcccdddd"};
  /* l: list<int32>, offset 1, length 4; child offset 1 */
  static const int32_t loffs[] = {0, 2, 3, 3, 5, 6};
  static const int32_t lvals[] = {99, 1, 2, 3, 4, 5, 6};
  const void *lbufs[] = {NULL, loffs};
  const void *lvbufs[] = {NULL, lvals};
  /* b: bool, offset 5, length 6; bits 5, 7, 8 set */
  static const uint8_t bbits[] = {0xA0, 0x03};
  const void *bbufs[] = {NULL, bbits};
  const void *topbufs[] = {NULL};

  struct ArrowSchema sx = {"i", "x", NULL, 2, 0, NULL, NULL, noop_release_schema, NULL};
  struct ArrowSchema ss = {"u", "s", NULL, 0, 0, NULL, NULL, noop_release_schema, NULL};
  struct ArrowSchema sli = {"i", "item", NULL, 0, 0, NULL, NULL, noop_release_schema, NULL};
  struct ArrowSchema *slk[] = {&sli};
  struct ArrowSchema sl = {"+l", "l", NULL, 2, 1, slk, NULL, noop_release_schema, NULL};
  struct ArrowSchema sb = {"b", "b", NULL, 2, 0, NULL, NULL, noop_release_schema, NULL};
  struct ArrowSchema *topk[] = {&sx, &ss, &sl, &sb};
  struct ArrowSchema top = {"+s", "", NULL, 0, 4, topk, NULL, noop_release_schema, NULL};

  struct ArrowArray ax = {8, -1, 2, 2, 0, xbufs, NULL, NULL, noop_release_array, NULL};
  struct ArrowArray as = {4, 0, 0, 3, 0, sbufs, NULL, NULL, noop_release_array, NULL};
  struct ArrowArray ali = {6, 0, 1, 2, 0, lvbufs, NULL, NULL, noop_release_array, NULL};
  struct ArrowArray *alk[] = {&ali};
  struct ArrowArray al = {4, 0, 1, 2, 1, lbufs, alk, NULL, noop_release_array, NULL};
  struct ArrowArray ab = {6, 0, 5, 2, 0, bbufs, NULL, NULL, noop_release_array, NULL};
  struct ArrowArray *atopk[] = {&ax, &as, &al, &ab};
  struct ArrowArray atop = {3, 0, 1, 1, 4, topbufs, atopk, NULL, noop_release_array, NULL};

  sp_batch *b = NULL;
  spate_error err = {0};
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), 0);
  assert_int_equal(b->nrows, 3);
  assert_int_equal(b->ncols, 4);
  char buf[128];
  sp_type_to_string(b->schema, buf, sizeof buf);
  assert_string_equal(buf, "struct<x:int,s:string,l:array<int>,b:boolean>");
  assert_true(b->schema->fields[0].nullable);
  assert_false(b->schema->fields[1].nullable);
  assert_false(b->schema->fields[2].type->elem_nullable);

  /* x: rows -> physical 3, 4, 5 = 13, null, 15 */
  sp_vec *x = b->cols[0];
  assert_int_equal(x->length, 3);
  assert_int_equal(x->null_count, 1);
  assert_int_equal(sp_vec_i32(x)[0], 13);
  assert_true(sp_vec_is_null(x, 1));
  assert_int_equal(sp_vec_i32(x)[2], 15);
  /* s: "bb", "ccc", "dddd" */
  sp_vec *sv = b->cols[1];
  int32_t len;
  const char *p = sp_vec_str(sv, 0, &len);
  assert_int_equal(len, 2);
  assert_memory_equal(p, "bb", 2);
  p = sp_vec_str(sv, 2, &len);
  assert_int_equal(len, 4);
  assert_memory_equal(p, "dddd", 4);
  assert_int_equal(sv->offsets[0], 0);
  assert_int_equal(sv->chars_len, 9);
  /* l: [], [4, 5], [6] */
  sp_vec *l = b->cols[2];
  static const int32_t want_loffs[] = {0, 0, 2, 3};
  assert_memory_equal(l->offsets, want_loffs, sizeof want_loffs);
  assert_int_equal(l->children[0]->length, 3);
  assert_int_equal(sp_vec_i32(l->children[0])[0], 4);
  assert_int_equal(sp_vec_i32(l->children[0])[1], 5);
  assert_int_equal(sp_vec_i32(l->children[0])[2], 6);
  /* b: false, true, true */
  sp_vec *bv = b->cols[3];
  assert_null(bv->validity);
  assert_int_equal(sp_vec_bool(bv)[0], 0);
  assert_int_equal(sp_vec_bool(bv)[1], 1);
  assert_int_equal(sp_vec_bool(bv)[2], 1);
  sp_batch_free(b);
}

static void test_import_errors(void **state) {
  (void)state;
  static const int32_t vals[] = {1, 2, 3, 4};
  static const int32_t bad_offs[] = {0, 3, 2};
  const void *ibufs[] = {NULL, vals};
  const void *sbufs[] = {NULL, bad_offs, "abc"};
  const void *topbufs[] = {NULL};
  static const uint8_t top_valid[] = {0x01};
  const void *topbufs_nulls[] = {top_valid};

  struct ArrowSchema sc = {"i", "c", NULL, 2, 0, NULL, NULL, noop_release_schema, NULL};
  struct ArrowSchema *topk[] = {&sc};
  struct ArrowSchema top = {"+s", "", NULL, 0, 1, topk, NULL, noop_release_schema, NULL};
  struct ArrowArray ac = {4, 0, 0, 2, 0, ibufs, NULL, NULL, noop_release_array, NULL};
  struct ArrowArray *atopk[] = {&ac};
  struct ArrowArray atop = {4, 0, 0, 1, 1, topbufs, atopk, NULL, noop_release_array, NULL};

  sp_batch *b = NULL;
  spate_error err = {0};
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), 0);
  assert_int_equal(b->nrows, 4);
  sp_batch_free(b);

  /* top-level schema not a struct */
  assert_int_equal(sp_arrow_import_batch(&sc, &ac, &b, &err), SPATE_EINVAL);
  assert_null(b);

  /* unsupported format names the field */
  sc.format = "f";
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "'c'"));
  assert_non_null(strstr(err.message, "'f'"));
  sc.format = "i";

  /* wrong number of buffers */
  ac.n_buffers = 1;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EINVAL);
  ac.n_buffers = 2;

  /* child too short for the parent */
  ac.length = 3;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EINVAL);
  ac.length = 4;

  /* missing data buffer */
  ibufs[1] = NULL;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EINVAL);
  ibufs[1] = vals;

  /* released child array */
  ac.release = NULL;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EINVAL);
  ac.release = noop_release_array;

  /* null row in the top-level struct */
  atop.buffers = topbufs_nulls;
  atop.null_count = 3;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EINVAL);
  atop.buffers = topbufs;
  atop.null_count = 0;

  /* dictionary-encoded field */
  struct ArrowSchema dict = {"u", "", NULL, 0, 0, NULL, NULL, noop_release_schema, NULL};
  sc.dictionary = &dict;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EUNSUPPORTED);
  sc.dictionary = NULL;

  /* non-monotonic string offsets */
  sc.format = "u";
  struct ArrowArray as = {2, 0, 0, 3, 0, sbufs, NULL, NULL, noop_release_array, NULL};
  atopk[0] = &as;
  atop.length = 2;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EINVAL);
  assert_non_null(strstr(err.message, "offsets"));

  /* list schema with no child */
  struct ArrowSchema sl = {"+l", "l", NULL, 0, 0, NULL, NULL, noop_release_schema, NULL};
  topk[0] = &sl;
  assert_int_equal(sp_arrow_import_batch(&top, &atop, &b, &err), SPATE_EINVAL);
  assert_null(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_export_primitive_batch),
      cmocka_unit_test(test_boolean_packing),
      cmocka_unit_test(test_export_nested),
      cmocka_unit_test(test_export_vec_struct),
      cmocka_unit_test(test_roundtrip_primitive),
      cmocka_unit_test(test_roundtrip_nested),
      cmocka_unit_test(test_roundtrip_deep_and_empty),
      cmocka_unit_test(test_move_child),
      cmocka_unit_test(test_export_batch_invalid),
      cmocka_unit_test(test_import_offsets),
      cmocka_unit_test(test_import_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
