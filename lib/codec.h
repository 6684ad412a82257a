/* Hex and base64 (standard alphabet, padded) encoding and strict decoding. */
#ifndef CONSENTD_CODEC_H
#define CONSENTD_CODEC_H

#include "macro.h"

/* Writes 2*len lowercase hex digits and a NUL into out (2*len+1 bytes). */
void hex_encode(const uint8_t *data, size_t len, char *out);
/* Returns a malloc'd string; NULL on allocation failure. */
char *hex_encode_alloc(const uint8_t *data, size_t len);
/* Decodes exactly outlen bytes from 2*outlen hex digits (either case);
 * -EINVAL on any other length or a non-hex digit. */
int hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outlen);

size_t base64_encoded_len(size_t len);
/* Returns a malloc'd NUL-terminated string, or NULL on allocation failure. */
char *base64_encode(const uint8_t *data, size_t len);
/* Strict: canonical padding, no whitespace. On success *ret_data is
 * malloc'd (callers free it) and *ret_len is set. */
int base64_decode(const char *s, size_t slen, uint8_t **ret_data,
    size_t *ret_len);

#endif
