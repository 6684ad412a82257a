/* Hashes, MACs and signatures on OpenSSL's EVP interface. */
#include "config.h"

/* sha256() and struct hmac_key use the low-level SHA-256 functions,
 * deprecated in OpenSSL 3.0 but the only ones that never allocate:
 * EVP_Digest() allocates, and so could fail on any input, on hot paths
 * (k-anonymity hashes every row, the consent join keys every subject). */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "log.h"

const char *
crypto_openssl_error(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, sizeof(buf), "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

void
sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

struct sha256_stream {
	EVP_MD_CTX *ctx;
};

struct sha256_stream *
sha256_stream_new(void)
{
	struct sha256_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL)) {
		sha256_stream_free(s);
		return NULL;
	}
	return s;
}

void
sha256_stream_update(struct sha256_stream *s, const void *data, size_t len)
{
	if (!EVP_DigestUpdate(s->ctx, data, len))
		fatal("SHA-256 update failed");
}

void
sha256_stream_final(struct sha256_stream *s, uint8_t out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	if (!EVP_DigestFinal_ex(s->ctx, out, &n))
		fatal("SHA-256 final failed");
}

void
sha256_stream_free(struct sha256_stream *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

int
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	if (keylen > INT32_MAX)
		return -EINVAL;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n))
		return -EIO;
	return 0;
}

/*
 * HMAC (RFC 2104) from SHA-256 states with the padded key already
 * absorbed: each message costs copies of those states, its own blocks and
 * one block of the outer hash, with no allocation and no EVP dispatch
 * (EVP_MAC_init() per message cost about twice as much). The states are
 * as secret as the key.
 */
struct hmac_key {
	SHA256_CTX inner; /* after the key XOR ipad */
	SHA256_CTX outer; /* after the key XOR opad */
};

int
hmac_key_new(const void *key, size_t keylen, struct hmac_key **ret)
{
	uint8_t block[SHA256_CBLOCK] = { 0 }, pad[SHA256_CBLOCK];
	struct hmac_key *k;

	if (!key && keylen > 0)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	/* Keys longer than a block are hashed first. */
	if (keylen > sizeof(block))
		sha256(key, keylen, block);
	else if (keylen > 0)
		memcpy(block, key, keylen);
	for (size_t i = 0; i < sizeof(block); i++)
		pad[i] = block[i] ^ 0x36;
	SHA256_Init(&k->inner);
	SHA256_Update(&k->inner, pad, sizeof(pad));
	for (size_t i = 0; i < sizeof(block); i++)
		pad[i] = block[i] ^ 0x5c;
	SHA256_Init(&k->outer);
	SHA256_Update(&k->outer, pad, sizeof(pad));
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(pad, sizeof(pad));
	*ret = k;
	return 0;
}

int
hmac_key_compute(const struct hmac_key *k, const void *data, size_t len,
    uint8_t out[SHA256_LEN])
{
	return hmac_key_compute2(k, data, len, NULL, 0, out);
}

int
hmac_key_compute2(const struct hmac_key *k, const void *a, size_t alen,
    const void *b, size_t blen, uint8_t out[SHA256_LEN])
{
	SHA256_CTX c = k->inner;
	uint8_t md[SHA256_LEN];

	SHA256_Update(&c, a, alen);
	if (blen > 0)
		SHA256_Update(&c, b, blen);
	SHA256_Final(md, &c);
	c = k->outer;
	SHA256_Update(&c, md, sizeof(md));
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

void
hmac_key_free(struct hmac_key *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

bool
crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
random_bytes(void *buf, size_t len)
{
	if (len > INT32_MAX || RAND_bytes(buf, (int)len) != 1)
		return -EIO;
	return 0;
}

void
secure_wipe(void *p, size_t len)
{
	if (p)
		OPENSSL_cleanse(p, len);
}

int
ed25519_public_from_private(const uint8_t priv[ED25519_PRIVATE_LEN],
    uint8_t pub[ED25519_PUBLIC_LEN])
{
	EVP_PKEY *k;
	size_t n = ED25519_PUBLIC_LEN;
	int r = 0;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv,
	    ED25519_PRIVATE_LEN);
	if (!k)
		return -EINVAL;
	if (!EVP_PKEY_get_raw_public_key(k, pub, &n) || n != ED25519_PUBLIC_LEN)
		r = -EIO;
	EVP_PKEY_free(k);
	return r;
}

int
ed25519_generate(uint8_t priv[ED25519_PRIVATE_LEN],
    uint8_t pub[ED25519_PUBLIC_LEN])
{
	int r = random_bytes(priv, ED25519_PRIVATE_LEN);

	if (r < 0)
		return r;
	return ed25519_public_from_private(priv, pub);
}

int
ed25519_sign(const uint8_t priv[ED25519_PRIVATE_LEN], const void *msg,
    size_t len, uint8_t sig[ED25519_SIGNATURE_LEN])
{
	EVP_PKEY *k;
	EVP_MD_CTX *ctx;
	size_t n = ED25519_SIGNATURE_LEN;
	int r = -EIO;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv,
	    ED25519_PRIVATE_LEN);
	if (!k)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(ctx, sig, &n, msg, len) == 1 &&
	    n == ED25519_SIGNATURE_LEN)
		r = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return r;
}

int
ed25519_verify(const uint8_t pub[ED25519_PUBLIC_LEN], const void *msg,
    size_t len, const uint8_t sig[ED25519_SIGNATURE_LEN])
{
	EVP_PKEY *k;
	EVP_MD_CTX *ctx;
	int r = -EBADMSG;

	/* Any 32 bytes make a raw Ed25519 key: only memory can fail before
	 * the signature is checked. */
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    ED25519_PUBLIC_LEN);
	if (!k)
		return -ENOMEM;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) != 1)
		r = -ENOMEM;
	else if (EVP_DigestVerify(ctx, sig, ED25519_SIGNATURE_LEN, msg,
	    len) == 1)
		r = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return r;
}
