/* PII detectors over values, each with validation (checksums, ranges),
 * not bare regular expressions. */
#ifndef CONSENTD_DETECT_H
#define CONSENTD_DETECT_H

#include "macro.h"

enum detector_kind {
	DETECT_EMAIL,
	DETECT_PHONE,
	DETECT_CREDIT_CARD,
	DETECT_IBAN,
	DETECT_US_SSN,
	DETECT_IPV4,
	DETECT_IPV6,
	DETECT_DATE_OF_BIRTH,
	DETECT_CUSTOM,
	_DETECT_BUILTIN_MAX = DETECT_CUSTOM,
};

/* Names used in policies: "email", "phone", "credit_card", "iban",
 * "us_ssn", "ipv4", "ipv6", "ip_address" (both), "date_of_birth". */
int detector_kind_from_name(const char *name, enum detector_kind *ret);
const char *detector_kind_name(enum detector_kind k);
/* The built-in set used when a pii rule lists no detectors. */
extern const char *const detector_default_names[];

/* Checksums that custom detectors may name in `validate:`. */
enum detector_checksum {
	CHECKSUM_NONE,
	CHECKSUM_LUHN,
	CHECKSUM_MOD97,   /* ISO 7064 mod 97-10 over the digits */
	CHECKSUM_IBAN,
	CHECKSUM_VERHOEFF,
};
int detector_checksum_from_name(const char *name,
    enum detector_checksum *ret);

struct detector_custom_spec {
	const char *name;    /* as reported in evidence */
	const char *pattern; /* PCRE2 */
	enum detector_checksum validate;
};

struct detector_set;

/* Builds a set from built-in kinds and custom specs (at most 64 in all).
 * A PCRE2 compile error is -EINVAL with a message (and offset) in errbuf. */
int detector_set_new(const enum detector_kind *kinds, size_t nkinds,
    const struct detector_custom_spec *custom, size_t ncustom,
    struct detector_set **ret, char *errbuf, size_t errlen);
void detector_set_free(struct detector_set *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct detector_set *, detector_set_free)
size_t detector_set_size(const struct detector_set *s);
/* Name of the i-th detector of the set, as reported in evidence. */
const char *detector_set_name(const struct detector_set *s, size_t i);

/* Scans one value; bit i of the result is set when detector i found a
 * validated match anywhere in the value. dob_context says the column is
 * named or categorized as a birth date (the date_of_birth detector fires
 * only there). Thread-safe for concurrent scans of one set when each
 * thread passes its own scratch (detector_scratch_new). */
struct detector_scratch;
struct detector_scratch *detector_scratch_new(const struct detector_set *s);
void detector_scratch_free(struct detector_scratch *sc);
uint64_t detector_set_scan(const struct detector_set *s,
    struct detector_scratch *sc, const char *value, size_t len,
    bool dob_context);

/* The validators, exposed for tests and custom detectors. */
bool luhn_valid(const char *digits, size_t len);
bool card_number_valid(const char *s, size_t len); /* issuer prefix + Luhn */
bool iban_valid(const char *s, size_t len);   /* country length + mod 97 */
bool us_ssn_valid(const char *s, size_t len); /* AAA-GG-SSSS ranges */
bool email_valid(const char *s, size_t len);
bool ipv4_valid(const char *s, size_t len);
bool ipv6_valid(const char *s, size_t len);

#endif
