/* Consent events as clients submit them (API, import): validation, and the
 * ledger entry body they become. Shared by consentd and consentctl. */
#ifndef CONSENTD_CONSENT_H
#define CONSENTD_CONSENT_H

#include <jansson.h>

#include "buf.h"
#include "store.h"
#include "timeutil.h"

#define CONSENT_FIELD_MAX 256   /* bytes in any free-text field */
#define CONSENT_SUBJECT_MAX 1024
#define CONSENT_PURPOSE_MAX 127
/* How far in the future an event's "at" may lie (clock skew). */
#define CONSENT_MAX_SKEW (5 * USEC_PER_MIN)

/* Every field an event may have, by index in consent_field_names: first
 * the optional free-text details, */
enum {
	CONSENT_METHOD,
	CONSENT_SOURCE,
	CONSENT_TEXT_VERSION,
	CONSENT_TEXT_SHA256,
	CONSENT_JURISDICTION,
	CONSENT_CONTROLLER,
	CONSENT_DETAILS_MAX,
};
/* then the others. */
enum {
	CONSENT_SUBJECT = CONSENT_DETAILS_MAX,
	CONSENT_PURPOSE,
	CONSENT_EVENT,
	CONSENT_AT,
	CONSENT_EXPIRES,
	CONSENT_FIELDS_MAX,
};
/* Their names, by that index (NULL-terminated). */
extern const char *const consent_field_names[CONSENT_FIELDS_MAX + 1];

struct consent_event {
	char *subject;         /* the subject id as the client knows it; one
				  allocation holds it, purpose and details */
	char *purpose;
	enum consent_event_kind kind;
	usec_t at;             /* takes effect; default: now */
	usec_t expires;        /* 0: never */
	const char *details[CONSENT_DETAILS_MAX]; /* NULL when absent */
};

void consent_event_done(struct consent_event *e);
/* Gives the value of field (an index in consent_field_names) as a C
 * string: 0, -ENOENT when it is absent and not required, -EINVAL with a
 * message when it is missing although required or is not a string
 * (json_get_string()'s contract). */
typedef int (*consent_field_fn)(void *userdata, int field, bool required,
    const char **ret, char *errbuf, size_t errlen);
/* Validates one event whose fields come from get (unknown fields are the
 * caller's to refuse): fills ret's kind, at and expires and, when
 * ret_values is not NULL, its CONSENT_FIELDS_MAX values by index (NULL
 * when absent; they belong to get). Allocates nothing. The rules and
 * messages are consent_event_parse()'s. */
int consent_event_check(consent_field_fn get, void *userdata, usec_t now,
    struct consent_event *ret, const char **ret_values, char *errbuf,
    size_t errlen);
/* Validates one event object. Unknown fields, wrong types, an empty or
 * over-long subject, a purpose that is not a lowercase key
 * ([a-z0-9_.-], as fideslang data uses), an expiry not after "at", an
 * "at" in the future beyond the skew, a text_sha256 that is not 64 hex
 * digits: -EINVAL with a message naming the field. */
int consent_event_parse(const json_t *in, usec_t now,
    struct consent_event *ret, char *errbuf, size_t errlen);
/* The ledger entry body for an event of a subject whose token is given. */
json_t *consent_entry_body(const struct consent_event *e,
    const uint8_t token[STORE_TOKEN_LEN], usec_t recorded);
/* The same body written as the ledger stores it, byte for byte
 * json_dumps(consent_entry_body(), JSON_COMPACT | JSON_SORT_KEYS), without
 * building it: appended to out, with the offset in out of the token's 32
 * hex digits in *ret_token_at. -EINVAL for text that is not UTF-8, -E2BIG
 * past out's maximum, -ENOMEM. */
int consent_entry_write(const struct consent_event *e,
    const uint8_t token[STORE_TOKEN_LEN], usec_t recorded, struct buf *out,
    size_t *ret_token_at);
const char *consent_kind_name(enum consent_event_kind k);
bool consent_purpose_valid(const char *purpose);

#endif
