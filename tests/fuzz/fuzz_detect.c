/* libFuzzer target: the PII detectors and validators on arbitrary values,
 * with invariants between validators and finders. */
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "fuzz.h"

static struct detector_set *fuzz_set;
static struct detector_scratch *fuzz_scratch;

static void
fuzz_detect_init(void)
{
	static const enum detector_kind kinds[] = { DETECT_EMAIL,
		DETECT_PHONE, DETECT_CREDIT_CARD, DETECT_IBAN, DETECT_US_SSN,
		DETECT_IPV4, DETECT_IPV6, DETECT_DATE_OF_BIRTH };
	static const struct detector_custom_spec custom[] = {
		{ "luhn16", "[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}",
		  CHECKSUM_LUHN },
		{ "verhoeff", "[0-9]{12}", CHECKSUM_VERHOEFF },
		{ "mod97", "RF[0-9]+", CHECKSUM_MOD97 },
		{ "iban", "[A-Za-z]{2}[0-9]{2}[ A-Za-z0-9]{11,40}",
		  CHECKSUM_IBAN },
		{ "backtrack", "^(a|aa)+$", CHECKSUM_NONE },
	};
	char err[256];

	if (detector_set_new(kinds, sizeof(kinds) / sizeof(kinds[0]), custom,
	    sizeof(custom) / sizeof(custom[0]), &fuzz_set, err,
	    sizeof(err)) < 0)
		abort();
	fuzz_scratch = detector_scratch_new(fuzz_set);
	if (!fuzz_scratch)
		abort();
}

static bool
only(const char *s, size_t n, const char *chars)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(chars, s[i]))
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint64_t bits;

	if (!fuzz_set)
		fuzz_detect_init();
	bits = detector_set_scan(fuzz_set, fuzz_scratch, s, size, size & 1);
	if (bits >> detector_set_size(fuzz_set))
		abort();

	/* A value that is exactly one valid item must be found. */
	if (size >= 13 && size <= 19 && only(s, size, "0123456789") &&
	    card_number_valid(s, size) && !(bits & (1 << 2)))
		abort();
	if (iban_valid(s, size) && only(s, size, "0123456789ABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZabcdefghijklmnopqrstuvwxyz") && !(bits & (1 << 3)))
		abort();
	if (us_ssn_valid(s, size) && !(bits & (1 << 4)))
		abort();
	if (ipv4_valid(s, size) && !(bits & (1 << 5)))
		abort();
	(void)luhn_valid(s, size);
	(void)card_number_valid(s, size);
	(void)email_valid(s, size);
	(void)ipv6_valid(s, size);
	return 0;
}
