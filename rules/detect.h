/* PII detectors over values, each with validation (checksums, ranges),
 * not bare regular expressions.
 *
 * What each built-in detector accepts (the precise rules are with each
 * finder in detect_find.c):
 *  email          local@domain.tld found anywhere; the domain is dotted
 *                 and ends in a TLD of two or more letters. The user part
 *                 of a URL (scheme://user@host, scheme://user:pw@host) and
 *                 image names like logo@2x.png are not addresses.
 *  phone          '+' and 8-15 digits (E.164), "00" and 8-15 digits,
 *                 NANP (415) 555-2671 / 415-555-2671 / 1 415 555 2671,
 *                 trunk-0 national numbers written in groups
 *                 (020 7946 0018, 01 23 45 67 89, 030 12345678). An
 *                 ungrouped national number is not a phone: it is more
 *                 often an ID.
 *  credit_card    13-19 digits, contiguous or grouped by one space or dash
 *                 (4-4-4-4[-3], 4-6-5, 4-6-4), not part of a longer number,
 *                 known issuer prefix and length, Luhn-valid.
 *  iban           country code with its ISO 13616 length, check digits,
 *                 mod 97 == 1; contiguous or in space-separated groups of
 *                 four; case-insensitive.
 *  us_ssn         AAA-GG-SSSS anywhere, or nine bare digits when they are
 *                 the whole value; area not 000, 666, 900-999, group not
 *                 00, serial not 0000.
 *  ipv4           dotted quad, 0-255 without leading zeros, not part of a
 *                 longer dotted number (1.2.3.4.5) nor glued to a word.
 *  ipv6           what inet_pton accepts, with two colons or more, not
 *                 glued to a word (std::vector is not an address).
 *  date_of_birth  only where dob_context: the whole value is a date
 *                 (2006-01-02, 02/01/2006, 01/02/2006, 02.01.2006,
 *                 20060102, 2 Jan 2006, Jan 2, 2006) between 1900-01-01
 *                 and the reference day (today unless set). */
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
 * "us_ssn", "ipv4", "ipv6", "ip_address" (both), "date_of_birth".
 * Returns 0, or 1 for "ip_address": *ret is then DETECT_IPV4 and the
 * name also stands for DETECT_IPV6 (detector_kinds_from_name gives
 * both). -EINVAL for an unknown name. */
int detector_kind_from_name(const char *name, enum detector_kind *ret);
/* The kinds a name stands for: one, or two for "ip_address". */
int detector_kinds_from_name(const char *name, enum detector_kind ret[2],
    size_t *ret_n);
const char *detector_kind_name(enum detector_kind k);
/* The built-in set used when a pii rule lists no detectors; NULL-ended. */
extern const char *const detector_default_names[];

/* Checksums that custom detectors may name in `validate:` ("none",
 * "luhn", "mod97", "iban", "verhoeff"); each is applied to the digits of
 * the matched text (iban: to its letters and digits). */
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

/* Builds a set from built-in kinds and custom specs (at most 64 in all:
 * -E2BIG beyond). Detector i of the set is kinds[i] for i < nkinds, then
 * custom[i - nkinds]. A PCRE2 compile error is -EINVAL with a message
 * (and offset) in errbuf. Patterns match bytes (no UTF mode); a custom
 * detector hits when a match passes its checksum (the next match tried
 * starts one byte after a failed one, at most 64 tries per value). */
int detector_set_new(const enum detector_kind *kinds, size_t nkinds,
    const struct detector_custom_spec *custom, size_t ncustom,
    struct detector_set **ret, char *errbuf, size_t errlen);
void detector_set_free(struct detector_set *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct detector_set *, detector_set_free)
/* The last day a date of birth may fall on (default: the UTC day the set
 * was built); replays of past decisions set the day they were made. */
int detector_set_reference_date(struct detector_set *s, int year,
    int month, int day);
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
DEFINE_TRIVIAL_CLEANUP_FUNC(struct detector_scratch *, detector_scratch_free)
/* sc may be NULL (single-threaded callers; slower with custom detectors).
 * A custom pattern that fails on a value (match or depth limit, memory)
 * counts as a hit, never as a pass, and is counted in the scratch. */
uint64_t detector_set_scan(const struct detector_set *s,
    struct detector_scratch *sc, const char *value, size_t len,
    bool dob_context);
uint64_t detector_scratch_errors(const struct detector_scratch *sc);

/* The validators, exposed for tests and custom detectors. */
bool luhn_valid(const char *digits, size_t len);
bool card_number_valid(const char *s, size_t len); /* issuer prefix + Luhn */
bool iban_valid(const char *s, size_t len);   /* country length + mod 97 */
bool us_ssn_valid(const char *s, size_t len); /* AAA-GG-SSSS ranges */
bool email_valid(const char *s, size_t len);
bool ipv4_valid(const char *s, size_t len);
bool ipv6_valid(const char *s, size_t len);

#endif
