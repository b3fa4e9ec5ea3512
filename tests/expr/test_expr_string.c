/* test_expr_string.c - string kernels: case mapping, trim, length, concat, substring, split,
 * regexp_extract and regexp_replace (src/expr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expr_test_util.h"

static void test_case_trim_length(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "lower(s)"), "hello world|foo,bar,,baz|null|");
  assert_string_equal(t_eval(env, "upper(u)"), "\xC3\x84PFEL \xC3\x96L|A_B%C|X|  PAD  ");
  assert_string_equal(t_eval(env, "lower(u)"), "\xC3\xA4pfel \xC3\xB6l|a_b%c|x|  pad  ");
  assert_string_equal(t_eval(env, "lower(i)"), "1|-2|null|2147483647"); /* implicit cast to STRING */
  assert_string_equal(t_eval(env, "upper(NULL)"), "null|null|null|null");
  assert_string_equal(t_eval(env, "trim(u)"), "\xC3\x84pfel \xC3\x96l|a_b%c|x|pad");
  assert_string_equal(t_eval(env, "ltrim(u)"), "\xC3\x84pfel \xC3\x96l|a_b%c|x|pad  ");
  assert_string_equal(t_eval(env, "rtrim(u)"), "\xC3\x84pfel \xC3\x96l|a_b%c|x|  pad");
  /* trim(trimStr, str) */
  assert_string_equal(t_eval(env, "trim('hd', s)"), "ello worl|Foo,bar,,baz|null|");
  assert_string_equal(t_eval(env, "trim('\xC3\x84l', u)"), "pfel \xC3\x96|a_b%c|x|  pad  ");
  assert_string_equal(t_eval(env, "trim('\tx\n')"), "\tx\n|\tx\n|\tx\n|\tx\n"); /* only spaces */
  assert_string_equal(t_eval(env, "length(s)"), "11|12|null|0");
  assert_string_equal(t_eval(env, "length(u)"), "8|5|1|7"); /* characters, not bytes */
  assert_string_equal(t_eval(env, "char_length(CAST(u AS BINARY))"), "10|5|1|7");
  assert_string_equal(t_type(env, "length(s)"), "int");
}

static void test_concat(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "concat(s, '!', u)"),
                      "hello world!\xC3\x84pfel \xC3\x96l|Foo,bar,,baz!a_b%c|null|!  pad  ");
  assert_string_equal(t_eval(env, "s || '-' || i"), "hello world-1|Foo,bar,,baz--2|null|-2147483647");
  assert_string_equal(t_eval(env, "concat(u, d)"), "\xC3\x84pfel \xC3\x96l1.5|a_b%c-0.5|null|  pad  2.675");
  assert_string_equal(t_eval(env, "concat_ws('/', s, NULL, u)"),
                      "hello world/\xC3\x84pfel \xC3\x96l|Foo,bar,,baz/a_b%c|x|/  pad  ");
  assert_string_equal(t_eval(env, "concat_ws('-', split(s, ','), 'end')"),
                      "hello world-end|Foo-bar--baz-end|end|-end");
  assert_string_equal(t_eval(env, "concat_ws(NULL, s)"), "null|null|null|null");
  assert_string_equal(t_eval(env, "concat()"), "|||");
}

static void test_substring(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "substring(u, 2, 3)"), "pfe|_b%|| pa");
  assert_string_equal(t_eval(env, "substring(s, 0, 5)"), "hello|Foo,b|null|");
  assert_string_equal(t_eval(env, "substr(s, -5)"), "world|,,baz|null|");
  assert_string_equal(t_eval(env, "substring(s, 3, -1)"), "||null|");
  assert_string_equal(t_eval(env, "substr(s, 100)"), "||null|");
  assert_string_equal(t_eval(env, "substring(u, -2, 1)"), "\xC3\x96|%|| ");
  assert_string_equal(t_eval(env, "substring(s, i, 2)"), "he|az|null|");
  assert_string_equal(t_eval(env, "substring(s, 2, NULL)"), "null|null|null|null");
}

static void test_split(void **state) {
  t_env *env = *state;
  assert_string_equal(t_type(env, "split(s, ',')"), "array<string>");
  assert_string_equal(t_eval(env, "split(s, ',')"), "[hello world]|[Foo, bar, , baz]|null|[]");
  assert_string_equal(t_eval(env, "size(split(s, ','))"), "1|4|-1|1");
  assert_string_equal(t_eval(env, "split(s, ',', 2)"), "[hello world]|[Foo, bar,,baz]|null|[]");
  assert_string_equal(t_eval(env, "split(s, ',', 0)"), "[hello world]|[Foo, bar, , baz]|null|[]");
  assert_string_equal(t_eval(env, "split(s, 'o')"), "[hell,  w, rld]|[F, , ,bar,,baz]|null|[]");
  assert_string_equal(t_eval(env, "split(s, '[,o]+')"), "[hell,  w, rld]|[F, bar, baz]|null|[]");
  assert_string_equal(t_eval(env, "split(s, '\\\\.')"), "[hello world]|[Foo,bar,,baz]|null|[]");
  assert_string_equal(t_eval(env, "split(u, '')"),
                      "[\xC3\x84, p, f, e, l,  , \xC3\x96, l]|[a, _, b, %, c]|[x]|[ ,  , p, a, d,  ,  ]");
  assert_string_equal(t_eval(env, "split(u, '', 3)"), "[\xC3\x84, p, fel \xC3\x96l]|[a, _, b%c]|[x]|[ ,  , pad  ]");
  assert_string_equal(t_eval(env, "size(split('a,b,,', ','))"), "4|4|4|4");
  assert_string_equal(t_eval(env, "element_at(split(',a', ','), 1) = ''"), "true|true|true|true");
  assert_string_equal(t_eval(env, "split('abc', '(?=b)')"), "[a, bc]|[a, bc]|[a, bc]|[a, bc]");
  assert_string_equal(t_eval(env, "size(split('a1b2c3', '\\\\d'))"), "4|4|4|4");
  assert_string_equal(t_eval(env, "split(s, ' ', 1)"), "[hello world]|[Foo,bar,,baz]|null|[]");
  assert_string_equal(t_eval(env, "split(u, u)"), "[, ]|[, ]|[, ]|[, ]");
}

static void test_regexp(void **state) {
  t_env *env = *state;
  assert_string_equal(t_eval(env, "regexp_extract(s, '(\\\\w+) (\\\\w+)', 2)"), "world||null|");
  assert_string_equal(t_eval(env, "regexp_extract(s, '([a-z]+)', 1)"), "hello|oo|null|");
  assert_string_equal(t_eval(env, "regexp_extract(s, '([a-z]+)')"), "hello|oo|null|");
  assert_string_equal(t_eval(env, "regexp_extract(s, 'o(x)?', 1)"), "||null|");
  assert_string_equal(t_eval(env, "regexp_extract(s, 'o(x)?', 0)"), "o|o|null|");
  assert_string_equal(t_eval(env, "regexp_replace(s, 'o', '0')"), "hell0 w0rld|F00,bar,,baz|null|");
  assert_string_equal(t_eval(env, "regexp_replace(s, '(\\\\w+) (\\\\w+)', '$2 $1')"),
                      "world hello|Foo,bar,,baz|null|");
  assert_string_equal(t_eval(env, "regexp_replace(s, 'x*', '-')"), "-h-e-l-l-o- -w-o-r-l-d-|-F-o-o-,-b-a-r-,-,-b-a-z-|null|");
  assert_string_equal(t_eval(env, "regexp_replace(s, 'o', '0', 6)"), "hello w0rld|Foo,bar,,baz|null|");
  assert_string_equal(t_eval(env, "regexp_replace(u, '\\\\s+', '_')"), "\xC3\x84pfel_\xC3\x96l|a_b%c|x|_pad_");
  assert_string_equal(t_eval(env, "regexp_replace(s, 'l', '\\\\$')"), "he$$o wor$d|Foo,bar,,baz|null|");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_case_trim_length, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_concat, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_substring, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_split, t_setup, t_teardown),
      cmocka_unit_test_setup_teardown(test_regexp, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
