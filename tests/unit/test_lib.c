/* Unit tests for lib/: placeholders replaced by per-module tests. */
#include "unit.h"
#include "buf.h"
static void t_buf(void **s) { struct buf b = BUF_INIT(4); assert_int_equal(buf_append_str(&b, "abcd"), 0); assert_int_equal(buf_append_str(&b, "e"), -E2BIG); buf_free(&b); }
int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(t_buf) }; return cmocka_run_group_tests(t, NULL, NULL); }
