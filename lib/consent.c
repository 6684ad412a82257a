/* Consent events: validation and ledger entry bodies. */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "consent.h"
#include "json.h"

static const char *const detail_fields[] = {
	"method", "source", "text_version", "text_sha256", "jurisdiction",
	"controller", NULL,
};

static const char *const allowed_fields[] = {
	"subject", "purpose", "event", "at", "expires", "method", "source",
	"text_version", "text_sha256", "jurisdiction", "controller", NULL,
};

void
consent_event_done(struct consent_event *e)
{
	free(e->subject);
	free(e->purpose);
	json_decref(e->details);
	memset(e, 0, sizeof(*e));
}

const char *
consent_kind_name(enum consent_event_kind k)
{
	switch (k) {
	case CONSENT_GRANT:
		return "grant";
	case CONSENT_REVOKE:
		return "revoke";
	case CONSENT_EXPIRE:
		return "expire";
	}
	return "unknown";
}

bool
consent_purpose_valid(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > CONSENT_PURPOSE_MAX || p[0] == '.' || p[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
consent_event_parse(const json_t *in, usec_t now, struct consent_event *ret,
    char *errbuf, size_t errlen)
{
	struct consent_event e = { .kind = CONSENT_GRANT, .at = now };
	const char *subject, *purpose, *event = NULL, *s;
	int r;

	if (!json_is_object(in)) {
		snprintf(errbuf, errlen, "a consent event must be a JSON object");
		return -EINVAL;
	}
	r = json_check_keys(in, allowed_fields, errbuf, errlen);
	if (r < 0)
		return r;
	r = json_get_string(in, "subject", true, &subject, errbuf, errlen);
	if (r < 0)
		return r;
	if (!*subject || strlen(subject) > CONSENT_SUBJECT_MAX ||
	    !printable(subject)) {
		snprintf(errbuf, errlen,
		    "field 'subject' must have 1 to %d printable bytes",
		    CONSENT_SUBJECT_MAX);
		return -EINVAL;
	}
	r = json_get_string(in, "purpose", true, &purpose, errbuf, errlen);
	if (r < 0)
		return r;
	if (!consent_purpose_valid(purpose)) {
		snprintf(errbuf, errlen,
		    "field 'purpose' must be a key of lowercase letters, digits, '_', '-' and '.' (such as train_ai_system), at most %d bytes",
		    CONSENT_PURPOSE_MAX);
		return -EINVAL;
	}
	r = json_get_string(in, "event", false, &event, errbuf, errlen);
	if (r == -EINVAL)
		return r;
	if (event) {
		if (streq(event, "grant"))
			e.kind = CONSENT_GRANT;
		else if (streq(event, "revoke"))
			e.kind = CONSENT_REVOKE;
		else if (streq(event, "expire"))
			e.kind = CONSENT_EXPIRE;
		else {
			snprintf(errbuf, errlen,
			    "field 'event' must be grant, revoke or expire");
			return -EINVAL;
		}
	}
	r = json_get_string(in, "at", false, &s, errbuf, errlen);
	if (r == -EINVAL)
		return r;
	if (r == 0) {
		if (time_parse_rfc3339(s, &e.at) < 0) {
			snprintf(errbuf, errlen,
			    "field 'at' must be an RFC 3339 time");
			return -EINVAL;
		}
		if (e.at > now + CONSENT_MAX_SKEW) {
			snprintf(errbuf, errlen, "field 'at' lies in the future");
			return -EINVAL;
		}
	}
	r = json_get_string(in, "expires", false, &s, errbuf, errlen);
	if (r == -EINVAL)
		return r;
	if (r == 0) {
		if (time_parse_rfc3339(s, &e.expires) < 0) {
			snprintf(errbuf, errlen,
			    "field 'expires' must be an RFC 3339 time");
			return -EINVAL;
		}
		if (e.kind != CONSENT_GRANT) {
			snprintf(errbuf, errlen,
			    "field 'expires' applies to grant events only");
			return -EINVAL;
		}
		if (e.expires <= e.at) {
			snprintf(errbuf, errlen,
			    "field 'expires' must be later than the event");
			return -EINVAL;
		}
	}
	e.details = json_object();
	if (!e.details)
		return -ENOMEM;
	for (size_t i = 0; detail_fields[i]; i++) {
		r = json_get_string(in, detail_fields[i], false, &s, errbuf,
		    errlen);
		if (r == -EINVAL)
			goto fail;
		if (r < 0)
			continue;
		if (strlen(s) > CONSENT_FIELD_MAX || !printable(s)) {
			snprintf(errbuf, errlen,
			    "field '%s' must have at most %d printable bytes",
			    detail_fields[i], CONSENT_FIELD_MAX);
			r = -EINVAL;
			goto fail;
		}
		if (streq(detail_fields[i], "text_sha256")) {
			uint8_t h[32];
			if (hex_decode(s, strlen(s), h, sizeof(h)) < 0) {
				snprintf(errbuf, errlen,
				    "field 'text_sha256' must be 64 hex digits");
				r = -EINVAL;
				goto fail;
			}
		}
		if (json_object_set_new(e.details, detail_fields[i],
			json_string(s)) < 0) {
			r = -ENOMEM;
			goto fail;
		}
	}
	e.subject = strdup(subject);
	e.purpose = strdup(purpose);
	if (!e.subject || !e.purpose) {
		r = -ENOMEM;
		goto fail;
	}
	*ret = e;
	return 0;
fail:
	consent_event_done(&e);
	return r;
}

json_t *
consent_entry_body(const struct consent_event *e,
    const uint8_t token[STORE_TOKEN_LEN], usec_t recorded)
{
	char hex[2 * STORE_TOKEN_LEN + 1], at[TIME_RFC3339_MAX],
	    rec[TIME_RFC3339_MAX], exp[TIME_RFC3339_MAX];
	json_t *body;

	hex_encode(token, STORE_TOKEN_LEN, hex);
	body = json_deep_copy(e->details);
	if (!body)
		return NULL;
	if (json_object_set_new(body, "subject", json_string(hex)) < 0 ||
	    json_object_set_new(body, "purpose", json_string(e->purpose)) < 0 ||
	    json_object_set_new(body, "event",
		json_string(consent_kind_name(e->kind))) < 0 ||
	    json_object_set_new(body, "at",
		json_string(time_format_rfc3339(e->at, at))) < 0 ||
	    json_object_set_new(body, "recorded",
		json_string(time_format_rfc3339(recorded, rec))) < 0 ||
	    (e->expires && json_object_set_new(body, "expires",
			       json_string(time_format_rfc3339(e->expires,
				   exp))) < 0)) {
		json_decref(body);
		return NULL;
	}
	return body;
}
