/* Unit tests for lib/codec: hex and strict base64 (RFC 4648). */
#include "unit.h"

#include "codec.h"

static void
test_hex_encode(void **state)
{
	static const uint8_t data[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(data) + 1];
	char *s;

	hex_encode(data, sizeof(data), out);
	assert_string_equal(out, "00017f80abff");
	hex_encode(data, 0, out);
	assert_string_equal(out, "");
	s = hex_encode_alloc(data, sizeof(data));
	assert_non_null(s);
	assert_string_equal(s, "00017f80abff");
	free(s);
}

static void
test_hex_round_trip(void **state)
{
	uint8_t all[256], back[256];
	char hex[2 * 256 + 1];

	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	hex_encode(all, sizeof(all), hex);
	assert_int_equal(strlen(hex), 512);
	assert_int_equal(hex_decode(hex, strlen(hex), back, sizeof(back)), 0);
	assert_memory_equal(all, back, sizeof(all));
}

static void
test_hex_decode_case(void **state)
{
	uint8_t out[4];
	static const uint8_t expect[] = { 0xde, 0xad, 0xbe, 0xef };

	assert_int_equal(hex_decode("DEADbeef", 8, out, sizeof(out)), 0);
	assert_memory_equal(out, expect, sizeof(expect));
	assert_int_equal(hex_decode("", 0, out, 0), 0);
}

static void
test_hex_decode_rejects(void **state)
{
	uint8_t out[4];
	static const char *const bad[] = {
		"0g000000", "000000 0", "0x000000", "-1000000", "zzzzzzzz",
		"0000000G",
	};

	memset(out, 0x55, sizeof(out));
	/* Odd length, and lengths that do not match the output. */
	assert_int_equal(hex_decode("abc", 3, out, 1), -EINVAL);
	assert_int_equal(hex_decode("abc", 3, out, 2), -EINVAL);
	assert_int_equal(hex_decode("abcd", 4, out, 1), -EINVAL);
	assert_int_equal(hex_decode("abcd", 4, out, 3), -EINVAL);
	/* A NUL inside the counted length is not a digit. */
	assert_int_equal(hex_decode("ab\0d", 4, out, 2), -EINVAL);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_equal(hex_decode(bad[i], 8, out, 4), -EINVAL);
	/* Nothing is written when the input is rejected. */
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x55);
}

/* RFC 4648, section 10. */
static const struct {
	const char *plain;
	const char *encoded;
} rfc4648[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_base64_vectors(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(rfc4648); i++) {
		const char *plain = rfc4648[i].plain;
		const char *enc = rfc4648[i].encoded;
		uint8_t *data = NULL;
		size_t len = 99;
		char *s;

		assert_int_equal(base64_encoded_len(strlen(plain)),
		    strlen(enc));
		s = base64_encode((const uint8_t *)plain, strlen(plain));
		assert_non_null(s);
		assert_string_equal(s, enc);
		free(s);

		assert_int_equal(base64_decode(enc, strlen(enc), &data, &len),
		    0);
		assert_non_null(data);
		assert_int_equal(len, strlen(plain));
		assert_memory_equal(data, plain, len);
		free(data);
	}
}

static void
test_base64_binary_round_trip(void **state)
{
	uint8_t in[200];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 151 + 7);
	for (size_t n = 0; n <= sizeof(in); n++) {
		uint8_t *out = NULL;
		size_t outlen = 0;
		char *s = base64_encode(in, n);

		assert_non_null(s);
		assert_int_equal(strlen(s), base64_encoded_len(n));
		assert_int_equal(base64_decode(s, strlen(s), &out, &outlen), 0);
		assert_int_equal(outlen, n);
		if (n)
			assert_memory_equal(out, in, n);
		free(out);
		free(s);
	}
}

static void
test_base64_rejects(void **state)
{
	static const char *const bad[] = {
		"Zg=",       /* length not a multiple of 4 */
		"Zg",        /* padding missing */
		"Zm9vY",
		"Zh==",      /* non-canonical: unused bits set */
		"Zm9=",
		"Zm9vYh==",
		"Zm9vYmF=",
		"Zm9-",      /* URL-safe alphabet is not accepted */
		"Zm9_",
		"Zm 9",      /* no whitespace */
		"Zm9v\n",
		"Zm9vYg==\n",
		"Zg==Zg==",  /* padding only at the very end */
		"Z===",
		"====",
		"=Zm9",
		"Zm=v",
		"Zm9!",
		"\xc3\xa9Zm",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		uint8_t *data = (uint8_t *)"untouched";
		size_t len = 12345;

		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), &data,
		    &len), -EINVAL);
		assert_string_equal((const char *)data, "untouched");
		assert_int_equal(len, 12345);
	}
}

static void
test_base64_embedded_nul(void **state)
{
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(base64_decode("Zm9\0", 4, &data, &len), -EINVAL);
	assert_int_equal(base64_decode("Zg=\0", 4, &data, &len), -EINVAL);
	assert_null(data);
	/* Only the counted prefix is decoded. */
	assert_int_equal(base64_decode("Zm9vjunk", 4, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "foo", 3);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_hex_decode_case),
		cmocka_unit_test(test_hex_decode_rejects),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_binary_round_trip),
		cmocka_unit_test(test_base64_rejects),
		cmocka_unit_test(test_base64_embedded_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
