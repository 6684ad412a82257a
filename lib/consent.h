/* Consent events as clients submit them (API, import): validation, and the
 * ledger entry body they become. Shared by consentd and consentctl. */
#ifndef CONSENTD_CONSENT_H
#define CONSENTD_CONSENT_H

#include <jansson.h>

#include "store.h"
#include "timeutil.h"

#define CONSENT_FIELD_MAX 256   /* bytes in any free-text field */
#define CONSENT_SUBJECT_MAX 1024
#define CONSENT_PURPOSE_MAX 127
/* How far in the future an event's "at" may lie (clock skew). */
#define CONSENT_MAX_SKEW (5 * USEC_PER_MIN)

struct consent_event {
	char *subject;         /* the subject id as the client knows it */
	char *purpose;
	enum consent_event_kind kind;
	usec_t at;             /* takes effect; default: now */
	usec_t expires;        /* 0: never */
	json_t *details;       /* method, source, text_version, text_sha256,
				  jurisdiction, controller (owned) */
};

void consent_event_done(struct consent_event *e);
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
const char *consent_kind_name(enum consent_event_kind k);
bool consent_purpose_valid(const char *purpose);

#endif
