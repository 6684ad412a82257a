/* Unit tests for lib/crypto against published test vectors. */
#include "unit.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "codec.h"
#include "crypto.h"

/* Decodes a hex literal of exactly len bytes into out. */
static void
unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(hex_decode(hex, strlen(hex), out, len), 0);
}

static void
assert_digest(const uint8_t got[SHA256_LEN], const char *expect_hex)
{
	char hex[2 * SHA256_LEN + 1];

	hex_encode(got, SHA256_LEN, hex);
	assert_string_equal(hex, expect_hex);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf"). */
static void
test_sha256(void **state)
{
	uint8_t md[SHA256_LEN];

	sha256("", 0, md);
	assert_digest(md, "e3b0c44298fc1c149afbf4c8996fb924"
			  "27ae41e4649b934ca495991b7852b855");
	sha256("abc", 3, md);
	assert_digest(md, "ba7816bf8f01cfea414140de5dae2223"
			  "b00361a396177a9cb410ff61f20015ad");
	sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    md);
	assert_digest(md, "248d6a61d20638b8e5c026930c3e6039"
			  "a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_sha256_stream(void **state)
{
	struct sha256_stream *s = sha256_stream_new();
	uint8_t chunk[1000], md[SHA256_LEN];

	/* One million 'a', fed in uneven pieces. */
	assert_non_null(s);
	memset(chunk, 'a', sizeof(chunk));
	for (size_t done = 0, n = 1; done < 1000000; done += n, n = n % 997 + 1)
		sha256_stream_update(s, chunk, MIN(n, 1000000 - done));
	sha256_stream_final(s, md);
	sha256_stream_free(s);
	assert_digest(md, "cdc76e5c9914fb9281a1c7e284d73e67"
			  "f1809a48a497200e046d39ccc7112cd0");

	s = sha256_stream_new();
	sha256_stream_update(s, "ab", 2);
	sha256_stream_update(s, "", 0);
	sha256_stream_update(s, "c", 1);
	sha256_stream_final(s, md);
	sha256_stream_free(s);
	assert_digest(md, "ba7816bf8f01cfea414140de5dae2223"
			  "b00361a396177a9cb410ff61f20015ad");
	sha256_stream_free(NULL);
}

/* RFC 4231, test cases 1-4, 6 and 7 (5 is a truncated MAC). */
static const struct {
	uint8_t key_byte;  /* key: key_len copies, unless key_text */
	size_t key_len;
	const char *key_text;
	uint8_t data_byte; /* data: data_len copies, unless data_text */
	size_t data_len;
	const char *data_text;
	const char *mac;
} rfc4231[] = {
	{ 0x0b, 20, NULL, 0, 0, "Hi There",
	    "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7" },
	{ 0, 0, "Jefe", 0, 0, "what do ya want for nothing?",
	    "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843" },
	{ 0xaa, 20, NULL, 0xdd, 50, NULL,
	    "773ea91e36800e46854db8ebd09181a7"
	    "2959098b3ef8c122d9635514ced565fe" },
	{ 0, 25, NULL, 0xcd, 50, NULL,
	    "82558a389a443c0ea4cc819899f2083a"
	    "85f0faa3e578f8077a2e3ff46729665b" },
	{ 0xaa, 131, NULL, 0, 0,
	    "Test Using Larger Than Block-Size Key - Hash Key First",
	    "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54" },
	{ 0xaa, 131, NULL, 0, 0,
	    "This is a test using a larger than block-size key and a "
	    "larger than block-size data. The key needs to be hashed "
	    "before being used by the HMAC algorithm.",
	    "9b09ffa71b942fcb27635fbcd5b0e944"
	    "bfdc63644f0713938a7f51535c3a35e2" },
};

/* The key and data of test case i, in key[131] and data[50] unless they
 * are text. */
static void
rfc4231_case(size_t i, uint8_t key[131], uint8_t data[50],
    const void **ret_key, size_t *ret_keylen, const void **ret_data,
    size_t *ret_len)
{
	*ret_key = key;
	*ret_keylen = rfc4231[i].key_len;
	*ret_data = data;
	*ret_len = rfc4231[i].data_len;
	if (rfc4231[i].key_text) {
		*ret_key = rfc4231[i].key_text;
		*ret_keylen = strlen(rfc4231[i].key_text);
	} else if (rfc4231[i].key_byte) {
		memset(key, rfc4231[i].key_byte, *ret_keylen);
	} else {
		/* Test case 4: 0x01, 0x02, ... 0x19. */
		for (size_t j = 0; j < *ret_keylen; j++)
			key[j] = (uint8_t)(j + 1);
	}
	if (rfc4231[i].data_text) {
		*ret_data = rfc4231[i].data_text;
		*ret_len = strlen(rfc4231[i].data_text);
	} else {
		memset(data, rfc4231[i].data_byte, *ret_len);
	}
}

static void
test_hmac_sha256(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(rfc4231); i++) {
		uint8_t key[131], data[50], mac[SHA256_LEN];
		const void *k, *m;
		size_t klen, mlen;

		rfc4231_case(i, key, data, &k, &klen, &m, &mlen);
		assert_int_equal(hmac_sha256(k, klen, m, mlen, mac), 0);
		assert_digest(mac, rfc4231[i].mac);
	}
}

static void
test_hmac_key_vectors(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(rfc4231); i++) {
		uint8_t key[131], data[50], mac[SHA256_LEN];
		struct hmac_key *hk = NULL;
		const void *k, *m;
		size_t klen, mlen;

		rfc4231_case(i, key, data, &k, &klen, &m, &mlen);
		assert_int_equal(hmac_key_new(k, klen, &hk), 0);
		/* The key is unchanged by use: the same MAC twice. */
		for (int round = 0; round < 2; round++) {
			memset(mac, 0, sizeof(mac));
			assert_int_equal(hmac_key_compute(hk, m, mlen, mac), 0);
			assert_digest(mac, rfc4231[i].mac);
		}
		hmac_key_free(hk);
	}
	hmac_key_free(NULL);
}

/* HMAC through OpenSSL's EVP_MAC, as hmac_key_compute() once was. */
static void
evp_hmac(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[SHA256_LEN])
{
	static const uint8_t empty[1];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, keylen ? key : empty, keylen,
			     params), 1);
	assert_int_equal(EVP_MAC_update(ctx, data, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &n, SHA256_LEN), 1);
	assert_int_equal(n, SHA256_LEN);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

/* Every key length around the block size (64) and every message length
 * over five blocks, under one key each: the same MACs as OpenSSL's
 * HMAC() and EVP_MAC. */
static void
test_hmac_key_matches_openssl(void **state)
{
	static const size_t keylens[] = { 0, 1, 16, 31, 32, 33, 55, 56, 63,
		64, 65, 100, 128, 129, 200 };
	uint8_t key[200], data[321];
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(key); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		key[i] = (uint8_t)x;
	}
	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		data[i] = (uint8_t)x;
	}
	for (size_t i = 0; i < ELEMENTSOF(keylens); i++) {
		struct hmac_key *hk = NULL;

		assert_int_equal(hmac_key_new(key, keylens[i], &hk), 0);
		for (size_t len = 0; len <= sizeof(data); len++) {
			uint8_t got[SHA256_LEN], one[SHA256_LEN];
			uint8_t evp[SHA256_LEN];

			assert_int_equal(hmac_key_compute(hk, data, len, got),
			    0);
			assert_int_equal(hmac_sha256(key, keylens[i], data,
					     len, one), 0);
			evp_hmac(key, keylens[i], data, len, evp);
			assert_memory_equal(got, one, SHA256_LEN);
			assert_memory_equal(got, evp, SHA256_LEN);
			/* in two parts, split anywhere: the same MAC */
			for (size_t cut = 0; cut <= len; cut += 1 + cut / 4) {
				assert_int_equal(hmac_key_compute2(hk, data,
				    cut, data + cut, len - cut, got), 0);
				assert_memory_equal(got, one, SHA256_LEN);
			}
		}
		hmac_key_free(hk);
	}
}

/* RFC 8032, section 7.1, tests 1 and 2. */
static const struct {
	const char *secret;
	const char *public;
	const char *message;
	const char *signature;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	    "",
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	},
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	    "72",
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
	},
};

static void
test_ed25519_vectors(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(rfc8032); i++) {
		uint8_t priv[ED25519_PRIVATE_LEN], pub[ED25519_PUBLIC_LEN];
		uint8_t expect_pub[ED25519_PUBLIC_LEN];
		uint8_t sig[ED25519_SIGNATURE_LEN];
		uint8_t expect_sig[ED25519_SIGNATURE_LEN];
		uint8_t msg[1];
		size_t msglen = strlen(rfc8032[i].message) / 2;

		unhex(rfc8032[i].secret, priv, sizeof(priv));
		unhex(rfc8032[i].public, expect_pub, sizeof(expect_pub));
		unhex(rfc8032[i].message, msg, msglen);
		unhex(rfc8032[i].signature, expect_sig, sizeof(expect_sig));

		assert_int_equal(ed25519_public_from_private(priv, pub), 0);
		assert_memory_equal(pub, expect_pub, sizeof(pub));
		assert_int_equal(ed25519_sign(priv, msg, msglen, sig), 0);
		assert_memory_equal(sig, expect_sig, sizeof(sig));
		assert_int_equal(ed25519_verify(pub, msg, msglen, sig), 0);
	}
}

static void
test_ed25519_rejects(void **state)
{
	uint8_t pub[ED25519_PUBLIC_LEN], other[ED25519_PUBLIC_LEN];
	uint8_t sig[ED25519_SIGNATURE_LEN], bad[ED25519_SIGNATURE_LEN];
	uint8_t msg[1] = { 0x72 };
	uint8_t msg2[1] = { 0x73 };

	unhex(rfc8032[1].public, pub, sizeof(pub));
	unhex(rfc8032[0].public, other, sizeof(other));
	unhex(rfc8032[1].signature, sig, sizeof(sig));

	/* Every single-bit change of the signature is caught. */
	for (size_t bit = 0; bit < 8 * sizeof(sig); bit++) {
		memcpy(bad, sig, sizeof(sig));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(ed25519_verify(pub, msg, 1, bad), -EBADMSG);
	}
	assert_int_equal(ed25519_verify(pub, msg2, 1, sig), -EBADMSG);
	assert_int_equal(ed25519_verify(pub, msg, 0, sig), -EBADMSG);
	assert_int_equal(ed25519_verify(other, msg, 1, sig), -EBADMSG);
	memset(bad, 0, sizeof(bad));
	assert_int_equal(ed25519_verify(pub, msg, 1, bad), -EBADMSG);
}

static void
test_ed25519_generate(void **state)
{
	uint8_t priv1[ED25519_PRIVATE_LEN], pub1[ED25519_PUBLIC_LEN];
	uint8_t priv2[ED25519_PRIVATE_LEN], pub2[ED25519_PUBLIC_LEN];
	uint8_t derived[ED25519_PUBLIC_LEN], sig[ED25519_SIGNATURE_LEN];
	static const char msg[] = "checkpoint";

	assert_int_equal(ed25519_generate(priv1, pub1), 0);
	assert_int_equal(ed25519_generate(priv2, pub2), 0);
	assert_memory_not_equal(priv1, priv2, sizeof(priv1));
	assert_memory_not_equal(pub1, pub2, sizeof(pub1));
	assert_int_equal(ed25519_public_from_private(priv1, derived), 0);
	assert_memory_equal(derived, pub1, sizeof(pub1));
	assert_int_equal(ed25519_sign(priv1, msg, strlen(msg), sig), 0);
	assert_int_equal(ed25519_verify(pub1, msg, strlen(msg), sig), 0);
	assert_int_equal(ed25519_verify(pub2, msg, strlen(msg), sig),
	    -EBADMSG);
	secure_wipe(priv1, sizeof(priv1));
	secure_wipe(priv2, sizeof(priv2));
}

static void
test_memeq(void **state)
{
	uint8_t a[64], b[64];

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)i;
	assert_true(crypto_memeq(a, b, sizeof(a)));
	assert_true(crypto_memeq(a, b, 0));
	for (size_t i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80;
		assert_false(crypto_memeq(a, b, sizeof(a)));
		/* Bytes past len are not compared. */
		assert_true(crypto_memeq(a, b, i));
		b[i] ^= 0x80;
	}
}

static void
test_random_and_wipe(void **state)
{
	uint8_t a[32], b[32];
	static const uint8_t zero[32];

	assert_int_equal(random_bytes(a, sizeof(a)), 0);
	assert_int_equal(random_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(random_bytes(a, 0), 0);
	secure_wipe(a, sizeof(a));
	assert_memory_equal(a, zero, sizeof(a));
	secure_wipe(NULL, 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_sha256_stream),
		cmocka_unit_test(test_hmac_sha256),
		cmocka_unit_test(test_hmac_key_vectors),
		cmocka_unit_test(test_hmac_key_matches_openssl),
		cmocka_unit_test(test_ed25519_vectors),
		cmocka_unit_test(test_ed25519_rejects),
		cmocka_unit_test(test_ed25519_generate),
		cmocka_unit_test(test_memeq),
		cmocka_unit_test(test_random_and_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
