/* Shared between the detector files: character classes and the finders. */
#ifndef CONSENTD_DETECT_INTERNAL_H
#define CONSENTD_DETECT_INTERNAL_H

#include "detect.h"

enum {
	DCL_DIGIT = 1 << 0,
	DCL_ALPHA = 1 << 1,
	DCL_HEX = 1 << 2,
	DCL_AT = 1 << 3,
	DCL_DOT = 1 << 4,
	DCL_COLON = 1 << 5,
	DCL_LOCAL = 1 << 6,  /* may appear in an e-mail local part */
	DCL_PHONE = 1 << 7,  /* digits and phone punctuation */
};

extern const uint8_t detect_class[256];

static inline bool
detect_is(char c, unsigned cls)
{
	return (detect_class[(uint8_t)c] & cls) != 0;
}

static inline bool
detect_digit(char c)
{
	return (unsigned)((uint8_t)c - '0') < 10;
}

static inline bool
detect_alnum(char c)
{
	return detect_is(c, DCL_DIGIT | DCL_ALPHA);
}

/* The most digit groups a phone candidate may have (detect_find.c; the
 * pre-filter in detect.c relies on it). */
#define PHONE_MAX_GROUPS 8

/* detect_find.c: each returns true when the value holds a validated
 * match anywhere. */
bool detect_find_email(const char *s, size_t n);
bool detect_find_phone(const char *s, size_t n);
bool detect_find_card(const char *s, size_t n);
bool detect_find_iban(const char *s, size_t n);
bool detect_find_ssn(const char *s, size_t n);
bool detect_find_ipv4(const char *s, size_t n);
bool detect_find_ipv6(const char *s, size_t n);
/* The whole value (surrounding blanks aside) is a date between 1900-01-01
 * and the reference day (days since 1970-01-01). */
bool detect_find_dob(const char *s, size_t n, int64_t ref_days);

/* detect_validate.c */
size_t detect_iban_length(char a, char b); /* 0: not an IBAN country */
bool detect_email_local_ok(const char *s, size_t n);
bool detect_email_domain_ok(const char *s, size_t n);
bool detect_verhoeff_valid(const char *digits, size_t len);
bool detect_mod97_valid(const char *digits, size_t len);
int64_t detect_days_from_civil(int64_t y, unsigned m, unsigned d);
bool detect_date_valid(int y, int m, int d);

#endif
