/* Hashes, MACs and signatures on OpenSSL's EVP interface. */
#include "config.h"

/* sha256() uses the low-level SHA-256 functions, deprecated in OpenSSL 3.0
 * but the only ones that never allocate: EVP_Digest() allocates, and so
 * could fail on any input, on hot paths (k-anonymity hashes every row). */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "log.h"

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

struct hmac_key {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

int
hmac_key_new(const void *key, size_t keylen, struct hmac_key **ret)
{
	struct hmac_key *k = calloc(1, sizeof(*k));
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (!k)
		return -ENOMEM;
	k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	k->ctx = k->mac ? EVP_MAC_CTX_new(k->mac) : NULL;
	if (!k->ctx || EVP_MAC_init(k->ctx, key, keylen, params) != 1) {
		hmac_key_free(k);
		return -ENOMEM;
	}
	*ret = k;
	return 0;
}

int
hmac_key_compute(struct hmac_key *k, const void *data, size_t len,
    uint8_t out[SHA256_LEN])
{
	size_t n = 0;

	/* Re-initialising with no key keeps the key and restarts. */
	if (EVP_MAC_init(k->ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(k->ctx, data, len) != 1 ||
	    EVP_MAC_final(k->ctx, out, &n, SHA256_LEN) != 1 || n != SHA256_LEN)
		return -ENOMEM;
	return 0;
}

void
hmac_key_free(struct hmac_key *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->ctx); /* wipes the key material */
	EVP_MAC_free(k->mac);
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
