/* test_vec.c - unit tests for src/common/vec.c and types.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "common/types.h"
#include "common/vec.h"

static void test_primitive_append_and_nulls(void **state) {
  (void)state;
  sp_vec *v = sp_vec_new(sp_type_prim(SP_BIGINT), 0);
  for (int i = 0; i < 100; i++) {
    if (i % 10 == 3)
      sp_vec_append_null(v);
    else
      sp_vec_append_i64(v, i * 7);
  }
  assert_int_equal(sp_vec_check(v), 0);
  assert_int_equal(v->length, 100);
  assert_int_equal(v->null_count, 10);
  assert_true(sp_vec_is_null(v, 3));
  assert_false(sp_vec_is_null(v, 4));
  assert_int_equal(sp_vec_i64(v)[99], 693);
  sp_vec_free(v);
}

static void test_strings_take_hash(void **state) {
  (void)state;
  sp_vec *v = sp_vec_new(sp_type_prim(SP_STRING), 2);
  const char *words[] = {"apple", "", "cherry", "apple"};
  for (int i = 0; i < 4; i++) sp_vec_append_str(v, words[i], (int32_t)strlen(words[i]));
  sp_vec_append_null(v);
  int32_t idx[] = {4, 2, 0};
  sp_vec *t = sp_vec_take(v, idx, 3);
  assert_non_null(t);
  int32_t len;
  assert_true(sp_vec_is_null(t, 0));
  const char *p = sp_vec_str(t, 1, &len);
  assert_int_equal(len, 6);
  assert_memory_equal(p, "cherry", 6);
  assert_true(sp_vec_row_equal(v, 0, v, 3));
  assert_int_equal(sp_vec_hash_row(v, 0, 1), sp_vec_hash_row(v, 3, 1));
  assert_true(sp_vec_hash_row(v, 0, 1) != sp_vec_hash_row(v, 2, 1));
  assert_true(sp_vec_row_compare(v, 1, v, 0) < 0);
  sp_vec_free(t);
  sp_vec_free(v);
}

static void test_struct_and_array(void **state) {
  (void)state;
  sp_type *st = sp_type_struct_new(2);
  sp_type_struct_set(st, 0, "a", sp_type_prim(SP_INT), true);
  sp_type_struct_set(st, 1, "b", sp_type_array_new(sp_type_prim(SP_STRING), true), true);
  char buf[128];
  sp_type_to_string(st, buf, sizeof buf);
  assert_string_equal(buf, "struct<a:int,b:array<string>>");
  sp_type_to_ddl(st, buf, sizeof buf);
  assert_string_equal(buf, "a INT, b ARRAY<STRING>");
  sp_vec *v = sp_vec_new(st, 0);
  /* row 0: {1, ["x","yy"]} */
  sp_vec_append_i32(v->children[0], 1);
  sp_vec_append_str(v->children[1]->children[0], "x", 1);
  sp_vec_append_str(v->children[1]->children[0], "yy", 2);
  sp_vec_array_close(v->children[1], true);
  sp_vec_struct_append(v, true);
  /* row 1: null struct */
  sp_vec_append_null(v);
  assert_int_equal(sp_vec_check(v), 0);
  assert_int_equal(v->length, 2);
  assert_int_equal(v->children[0]->length, 2);
  assert_int_equal(v->children[1]->length, 2);
  assert_true(sp_vec_is_null(v, 1));
  sp_vec *c = sp_vec_copy(v);
  assert_true(sp_vec_row_equal(v, 0, c, 0));
  assert_int_equal(c->children[1]->offsets[1], 2);
  sp_vec_free(c);
  sp_vec_free(v);
  sp_type_unref(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_primitive_append_and_nulls),
      cmocka_unit_test(test_strings_take_hash),
      cmocka_unit_test(test_struct_and_array),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
