/* Hex and base64, on OpenSSL's EVP block encoder. */
#include "config.h"

#include <openssl/evp.h>
#include <string.h>

#include "codec.h"

void
hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

char *
hex_encode_alloc(const uint8_t *data, size_t len)
{
	char *s = malloc(2 * len + 1);

	if (s)
		hex_encode(data, len, s);
	return s;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outlen)
{
	if (hexlen != 2 * outlen)
		return -EINVAL;
	/* Check every digit first: out is left alone on failure. */
	for (size_t i = 0; i < hexlen; i++)
		if (hex_digit(hex[i]) < 0)
			return -EINVAL;
	for (size_t i = 0; i < outlen; i++)
		out[i] = (uint8_t)(hex_digit(hex[2 * i]) << 4 |
		    hex_digit(hex[2 * i + 1]));
	return 0;
}

size_t
base64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

char *
base64_encode(const uint8_t *data, size_t len)
{
	char *s;

	if (len > (SIZE_MAX / 4) * 3 - 3)
		return NULL;
	s = malloc(base64_encoded_len(len) + 1);
	if (!s)
		return NULL;
	/* EVP_EncodeBlock takes an int length: encode in chunks of 3n bytes. */
	size_t in = 0, outp = 0;
	while (in < len) {
		size_t n = MIN(len - in, (size_t)3 * 1024 * 1024);
		outp += (size_t)EVP_EncodeBlock((unsigned char *)s + outp,
		    data + in, (int)n);
		in += n;
	}
	s[outp] = '\0';
	return s;
}

static bool
base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int
base64_decode(const char *s, size_t slen, uint8_t **ret_data, size_t *ret_len)
{
	size_t pad = 0, outlen;
	uint8_t *out;

	if (slen % 4 != 0 || slen > INT32_MAX)
		return -EINVAL;
	if (slen >= 1 && s[slen - 1] == '=')
		pad++;
	if (slen >= 2 && s[slen - 2] == '=')
		pad++;
	for (size_t i = 0; i < slen - pad; i++)
		if (!base64_char(s[i]))
			return -EINVAL;
	out = malloc(slen / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	if (slen > 0 &&
	    EVP_DecodeBlock(out, (const unsigned char *)s, (int)slen) < 0) {
		free(out);
		return -EINVAL;
	}
	outlen = slen / 4 * 3 - pad;
	/* Reject non-canonical encodings: unused bits must be zero. */
	if (pad > 0) {
		char *check = base64_encode(out, outlen);
		bool same = check && memcmp(check, s, slen) == 0;
		free(check);
		if (!same) {
			free(out);
			return check ? -EINVAL : -ENOMEM;
		}
	}
	*ret_data = out;
	*ret_len = outlen;
	return 0;
}
