/* test_text.c - unit tests for the text format (src/format/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "format/format.h"

static void assert_cell(const sp_vec *v, int64_t i, const char *want) {
  int32_t len;
  const char *p = sp_vec_str(v, i, &len);
  assert_int_equal(len, (int)strlen(want));
  assert_memory_equal(p, want, (size_t)len);
}

static sp_batch *value_batch(bool with_partition) {
  sp_type *st = sp_type_struct_new(with_partition ? 2 : 1);
  if (with_partition) sp_type_struct_set(st, 0, "year", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, with_partition ? 1 : 0, "value", sp_type_prim(SP_STRING), true);
  sp_batch *b = sp_batch_new(st, 0);
  sp_type_unref(st);
  return b;
}

static void test_lines(void **state) {
  (void)state;
  sp_batch *b = value_batch(false);
  sp_decode_stats stats = {0};
  spate_error err = {0};
  const char *txt = "hello world\r\nbye\n\n  spaced  \nlast\r";
  assert_int_equal(sp_text_decode_lines(txt, strlen(txt), b, &stats, &err), 0);
  assert_int_equal(b->nrows, 5);
  assert_cell(b->cols[0], 0, "hello world");
  assert_cell(b->cols[0], 1, "bye");
  assert_cell(b->cols[0], 2, "");
  assert_cell(b->cols[0], 3, "  spaced  ");
  assert_cell(b->cols[0], 4, "last");
  assert_int_equal(stats.records, 5);
  assert_int_equal(stats.bytes, (int64_t)strlen(txt));
  /* appending a second chunk; a final newline does not start a row */
  assert_int_equal(sp_text_decode_lines("x\n", 2, b, &stats, &err), 0);
  assert_int_equal(b->nrows, 6);
  assert_cell(b->cols[0], 5, "x");
  assert_int_equal(sp_text_decode_lines("", 0, b, &stats, &err), 0);
  assert_int_equal(b->nrows, 6);
  assert_int_equal(sp_batch_finish(b), 0);
  sp_batch_free(b);
}

static void test_other_columns_null(void **state) {
  (void)state;
  sp_batch *b = value_batch(true);
  spate_error err = {0};
  assert_int_equal(sp_text_decode_lines("a\nb\n", 4, b, NULL, &err), 0);
  assert_int_equal(sp_batch_finish(b), 0);
  assert_int_equal(b->nrows, 2);
  assert_true(sp_vec_is_null(b->cols[0], 1));
  assert_cell(b->cols[1], 1, "b");
  sp_batch_free(b);
  sp_type *st = sp_type_struct_new(1);
  sp_type_struct_set(st, 0, "n", sp_type_prim(SP_INT), true);
  b = sp_batch_new(st, 0);
  assert_int_equal(sp_text_decode_lines("a\n", 2, b, NULL, &err), SPATE_EINVAL);
  sp_batch_free(b);
  sp_type_unref(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines),
      cmocka_unit_test(test_other_columns_null),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
