/* Unit tests for lib/buf: bounds, growth, formatting, encodings, ownership. */
#include "unit.h"

#include "buf.h"

static void
test_append_within_max(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(4);

	assert_int_equal(buf_append_str(&b, "ab"), 0);
	assert_int_equal(buf_append_str(&b, "cd"), 0);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "abcd");
	assert_true(b.cap >= b.len + 1);
}

static void
test_append_over_max(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(4);

	assert_int_equal(buf_append_str(&b, "abc"), 0);
	assert_int_equal(buf_append_str(&b, "de"), -E2BIG);
	assert_int_equal(buf_append_byte(&b, 'd'), 0);
	assert_int_equal(buf_append_byte(&b, 'e'), -E2BIG);
	/* A failed append leaves the contents as they were. */
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "abcd");
}

static void
test_reserve_limits(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(16);
	struct buf dflt = BUF_INIT(0);

	assert_int_equal(buf_reserve(&b, 17), -E2BIG);
	assert_null(b.data);
	assert_int_equal(buf_reserve(&b, 16), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -E2BIG);

	/* max == 0 means 1 GiB, refused before allocating anything. */
	assert_int_equal(buf_reserve(&dflt, ((size_t)1 << 30) + 1), -E2BIG);
	assert_int_equal(buf_reserve(&dflt, SIZE_MAX), -E2BIG);
	assert_null(dflt.data);
	assert_int_equal(dflt.cap, 0);
}

static void
test_empty_and_binary(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(0);
	static const char bin[] = { 'a', '\0', 'b' };

	/* Appending nothing still yields a valid, NUL-terminated string. */
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_append(&b, bin, sizeof(bin)), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, bin, sizeof(bin));
	assert_int_equal(b.data[3], '\0');
}

static void
test_growth(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(10000);

	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_append_byte(&b, (uint8_t)('a' + i % 26)),
		    0);
	assert_int_equal(b.len, 10000);
	assert_true(b.cap > 10000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.data[10000], '\0');
	assert_int_equal(buf_append_byte(&b, 'x'), -E2BIG);
}

static void
test_printf(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(0);
	char expect[1024];

	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(b.data, "42-x");
	/* Longer than the first allocation: the buffer must grow. */
	assert_int_equal(buf_printf(&b, "%0900d", 7), 0);
	assert_int_equal(b.len, 4 + 900);
	snprintf(expect, sizeof(expect), "42-x%0900d", 7);
	assert_string_equal(b.data, expect);
}

static void
test_printf_over_max(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(8);

	assert_int_equal(buf_printf(&b, "%s", "1234"), 0);
	assert_int_equal(buf_printf(&b, "%s", "56789"), -E2BIG);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "1234");
	assert_int_equal(buf_printf(&b, "%04d", 5678), 0);
	assert_string_equal(b.data, "12345678");
}

static void
test_big_endian(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(0);
	static const uint8_t expect[] = {
		0x01, 0x02,
		0x03, 0x04, 0x05, 0x06,
		0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
		0xff, 0xfe,
	};

	assert_int_equal(buf_append_u16be(&b, 0x0102), 0);
	assert_int_equal(buf_append_u32be(&b, 0x03040506), 0);
	assert_int_equal(buf_append_u64be(&b, UINT64_C(0x0708090a0b0c0d0e)),
	    0);
	assert_int_equal(buf_append_u16be(&b, 0xfffe), 0);
	assert_int_equal(b.len, sizeof(expect));
	assert_memory_equal(b.data, expect, sizeof(expect));
}

static void
test_big_endian_over_max(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(7);

	/* An integer is appended whole or not at all. */
	assert_int_equal(buf_append_u64be(&b, 1), -E2BIG);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append_u32be(&b, 1), 0);
	assert_int_equal(buf_append_u32be(&b, 2), -E2BIG);
	assert_int_equal(buf_append_u16be(&b, 3), 0);
	assert_int_equal(buf_append_u16be(&b, 4), -E2BIG);
	assert_int_equal(b.len, 6);
}

static void
test_steal(void **state)
{
	struct buf b = BUF_INIT(32);
	char *p;

	assert_int_equal(buf_append_str(&b, "hello"), 0);
	p = buf_steal(&b);
	assert_string_equal(p, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 32);
	free(p);

	/* Stealing from a buffer that never allocated gives "". */
	p = buf_steal(&b);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);

	/* The buffer is reusable afterwards. */
	assert_int_equal(buf_append_str(&b, "again"), 0);
	assert_string_equal(b.data, "again");
	buf_free(&b);
}

static void
test_reset_and_free(void **state)
{
	struct buf b = BUF_INIT(16);
	size_t cap;

	buf_reset(&b);
	assert_null(b.data);
	assert_int_equal(buf_append_str(&b, "secret"), 0);
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(b.cap, cap);
	assert_int_equal(buf_append_str(&b, "0123456789abcdef"), 0);
	buf_free_secret(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 16);
	/* Freeing twice is harmless. */
	buf_free(&b);
	buf_free_secret(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_within_max),
		cmocka_unit_test(test_append_over_max),
		cmocka_unit_test(test_reserve_limits),
		cmocka_unit_test(test_empty_and_binary),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_over_max),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_big_endian_over_max),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_reset_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
