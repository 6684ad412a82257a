/* SHA-256, HMAC-SHA256, random bytes and Ed25519, on OpenSSL 3 EVP. */
#ifndef CONSENTD_CRYPTO_H
#define CONSENTD_CRYPTO_H

#include "macro.h"

#define SHA256_LEN 32
#define ED25519_PUBLIC_LEN 32
#define ED25519_PRIVATE_LEN 32
#define ED25519_SIGNATURE_LEN 64

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Incremental SHA-256 for streams (dataset fingerprints). */
struct sha256_stream;
struct sha256_stream *sha256_stream_new(void);
void sha256_stream_update(struct sha256_stream *s, const void *data,
    size_t len);
void sha256_stream_final(struct sha256_stream *s, uint8_t out[SHA256_LEN]);
void sha256_stream_free(struct sha256_stream *s);

int hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[SHA256_LEN]);
/* A keyed HMAC-SHA256 for many messages under one key: the key is
 * processed once, by hmac_key_new(), and each message then costs its own
 * hashing only (about 100 ns for 40 bytes; hmac_sha256() sets up the key
 * every time). The MACs are those of hmac_sha256(). hmac_key_compute()
 * never fails (it returns 0) and may be called from several threads at
 * once on the same key. */
struct hmac_key;
int hmac_key_new(const void *key, size_t keylen, struct hmac_key **ret);
int hmac_key_compute(const struct hmac_key *k, const void *data, size_t len,
    uint8_t out[SHA256_LEN]);
/* The MAC of a || b, without copying them together (so that a secret or
 * personal b is not left in a buffer of the caller's). */
int hmac_key_compute2(const struct hmac_key *k, const void *a, size_t alen,
    const void *b, size_t blen, uint8_t out[SHA256_LEN]);
void hmac_key_free(struct hmac_key *k);

/* The first error OpenSSL queued on this thread, as text (in a
 * thread-local buffer), and the queue cleared: for messages. */
const char *crypto_openssl_error(void);
/* Constant-time comparison; true when equal. */
bool crypto_memeq(const void *a, const void *b, size_t len);
/* Cryptographically secure random bytes; -EIO if the RNG fails. */
int random_bytes(void *buf, size_t len);
/* Wipes secrets before they are freed. */
void secure_wipe(void *p, size_t len);

int ed25519_generate(uint8_t priv[ED25519_PRIVATE_LEN],
    uint8_t pub[ED25519_PUBLIC_LEN]);
int ed25519_public_from_private(const uint8_t priv[ED25519_PRIVATE_LEN],
    uint8_t pub[ED25519_PUBLIC_LEN]);
int ed25519_sign(const uint8_t priv[ED25519_PRIVATE_LEN], const void *msg,
    size_t len, uint8_t sig[ED25519_SIGNATURE_LEN]);
/* 0 when the signature is valid, -EBADMSG when it is not, -ENOMEM when
 * the check could not run. */
int ed25519_verify(const uint8_t pub[ED25519_PUBLIC_LEN], const void *msg,
    size_t len, const uint8_t sig[ED25519_SIGNATURE_LEN]);

#endif
