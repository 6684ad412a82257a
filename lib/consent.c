/* Consent events: validation and ledger entry bodies. */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "consent.h"
#include "json.h"

const char *const consent_field_names[CONSENT_FIELDS_MAX + 1] = {
	[CONSENT_METHOD] = "method",
	[CONSENT_SOURCE] = "source",
	[CONSENT_TEXT_VERSION] = "text_version",
	[CONSENT_TEXT_SHA256] = "text_sha256",
	[CONSENT_JURISDICTION] = "jurisdiction",
	[CONSENT_CONTROLLER] = "controller",
	[CONSENT_SUBJECT] = "subject",
	[CONSENT_PURPOSE] = "purpose",
	[CONSENT_EVENT] = "event",
	[CONSENT_AT] = "at",
	[CONSENT_EXPIRES] = "expires",
	[CONSENT_FIELDS_MAX] = NULL,
};

void
consent_event_done(struct consent_event *e)
{
	free(e->subject);
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
consent_event_check(consent_field_fn get, void *userdata, usec_t now,
    struct consent_event *ret, const char **ret_values, char *errbuf,
    size_t errlen)
{
	struct consent_event e = { .kind = CONSENT_GRANT, .at = now };
	const char *v[CONSENT_FIELDS_MAX] = { NULL };
	int r;

	r = get(userdata, CONSENT_SUBJECT, true, &v[CONSENT_SUBJECT], errbuf, errlen);
	if (r < 0)
		return r;
	if (!*v[CONSENT_SUBJECT] ||
	    strlen(v[CONSENT_SUBJECT]) > CONSENT_SUBJECT_MAX ||
	    !printable(v[CONSENT_SUBJECT])) {
		snprintf(errbuf, errlen,
		    "field 'subject' must have 1 to %d printable bytes",
		    CONSENT_SUBJECT_MAX);
		return -EINVAL;
	}
	r = get(userdata, CONSENT_PURPOSE, true, &v[CONSENT_PURPOSE], errbuf, errlen);
	if (r < 0)
		return r;
	if (!consent_purpose_valid(v[CONSENT_PURPOSE])) {
		snprintf(errbuf, errlen,
		    "field 'purpose' must be a key of lowercase letters, digits, '_', '-' and '.' (such as train_ai_system), at most %d bytes",
		    CONSENT_PURPOSE_MAX);
		return -EINVAL;
	}
	r = get(userdata, CONSENT_EVENT, false, &v[CONSENT_EVENT], errbuf, errlen);
	if (r == -EINVAL)
		return r;
	if (r == 0) {
		const char *event = v[CONSENT_EVENT];

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
	r = get(userdata, CONSENT_AT, false, &v[CONSENT_AT], errbuf, errlen);
	if (r == -EINVAL)
		return r;
	if (r == 0) {
		if (time_parse_rfc3339(v[CONSENT_AT], &e.at) < 0) {
			snprintf(errbuf, errlen,
			    "field 'at' must be an RFC 3339 time");
			return -EINVAL;
		}
		if (e.at > now + CONSENT_MAX_SKEW) {
			snprintf(errbuf, errlen, "field 'at' lies in the future");
			return -EINVAL;
		}
	}
	r = get(userdata, CONSENT_EXPIRES, false, &v[CONSENT_EXPIRES], errbuf, errlen);
	if (r == -EINVAL)
		return r;
	if (r == 0) {
		if (time_parse_rfc3339(v[CONSENT_EXPIRES], &e.expires) < 0) {
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
	for (size_t i = 0; i < CONSENT_DETAILS_MAX; i++) {
		const char *s;

		r = get(userdata, (int)i, false, &s, errbuf, errlen);
		if (r == -EINVAL)
			return r;
		if (r < 0)
			continue;
		if (strlen(s) > CONSENT_FIELD_MAX || !printable(s)) {
			snprintf(errbuf, errlen,
			    "field '%s' must have at most %d printable bytes",
			    consent_field_names[i], CONSENT_FIELD_MAX);
			return -EINVAL;
		}
		if (i == CONSENT_TEXT_SHA256) {
			uint8_t h[32];
			if (hex_decode(s, strlen(s), h, sizeof(h)) < 0) {
				snprintf(errbuf, errlen,
				    "field 'text_sha256' must be 64 hex digits");
				return -EINVAL;
			}
		}
		v[i] = s;
	}
	ret->kind = e.kind;
	ret->at = e.at;
	ret->expires = e.expires;
	if (ret_values)
		memcpy(ret_values, v, sizeof(v));
	return 0;
}

static int
json_field(void *userdata, int field, bool required, const char **ret,
    char *errbuf, size_t errlen)
{
	return json_get_string(userdata, consent_field_names[field], required,
	    ret, errbuf, errlen);
}

int
consent_event_parse(const json_t *in, usec_t now, struct consent_event *ret,
    char *errbuf, size_t errlen)
{
	struct consent_event e = { 0 };
	const char *v[CONSENT_FIELDS_MAX];
	size_t len[CONSENT_FIELDS_MAX], total = 0;
	char *p;
	int r;

	if (!json_is_object(in)) {
		snprintf(errbuf, errlen, "a consent event must be a JSON object");
		return -EINVAL;
	}
	r = json_check_keys(in, consent_field_names, errbuf, errlen);
	if (r < 0)
		return r;
	r = consent_event_check(json_field, (void *)in, now, &e, v, errbuf,
	    errlen);
	if (r < 0)
		return r;
	/* One allocation for the strings the event keeps. */
	for (size_t i = 0; i <= CONSENT_PURPOSE; i++) {
		len[i] = v[i] ? strlen(v[i]) + 1 : 0;
		total += len[i];
	}
	p = malloc(total);
	if (!p)
		return -ENOMEM;
	e.subject = p;
	memcpy(p, v[CONSENT_SUBJECT], len[CONSENT_SUBJECT]);
	p += len[CONSENT_SUBJECT];
	e.purpose = p;
	memcpy(p, v[CONSENT_PURPOSE], len[CONSENT_PURPOSE]);
	p += len[CONSENT_PURPOSE];
	for (size_t i = 0; i < CONSENT_DETAILS_MAX; i++) {
		if (!v[i])
			continue;
		e.details[i] = p;
		memcpy(p, v[i], len[i]);
		p += len[i];
	}
	*ret = e;
	return 0;
}

json_t *
consent_entry_body(const struct consent_event *e,
    const uint8_t token[STORE_TOKEN_LEN], usec_t recorded)
{
	char hex[2 * STORE_TOKEN_LEN + 1], at[TIME_RFC3339_MAX],
	    rec[TIME_RFC3339_MAX], exp[TIME_RFC3339_MAX];
	json_t *body;

	hex_encode(token, STORE_TOKEN_LEN, hex);
	body = json_object();
	if (!body)
		return NULL;
	for (size_t i = 0; i < CONSENT_DETAILS_MAX; i++)
		if (e->details[i] && json_object_set_new(body,
			consent_field_names[i], json_string(e->details[i])) < 0) {
			json_decref(body);
			return NULL;
		}
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

int
consent_entry_write(const struct consent_event *e,
    const uint8_t token[STORE_TOKEN_LEN], usec_t recorded, struct buf *out,
    size_t *ret_token_at)
{
	char hex[2 * STORE_TOKEN_LEN + 1], at[TIME_RFC3339_MAX],
	    rec[TIME_RFC3339_MAX], exp[TIME_RFC3339_MAX];
	/* Sorted by key (strcmp), as JSON_SORT_KEYS orders them. */
	const struct {
		const char *key, *value;
	} m[] = {
		{ "at", time_format_rfc3339(e->at, at) },
		{ "controller", e->details[CONSENT_CONTROLLER] },
		{ "event", consent_kind_name(e->kind) },
		{ "expires", e->expires ?
			time_format_rfc3339(e->expires, exp) : NULL },
		{ "jurisdiction", e->details[CONSENT_JURISDICTION] },
		{ "method", e->details[CONSENT_METHOD] },
		{ "purpose", e->purpose },
		{ "recorded", time_format_rfc3339(recorded, rec) },
		{ "source", e->details[CONSENT_SOURCE] },
		{ "subject", hex },
		{ "text_sha256", e->details[CONSENT_TEXT_SHA256] },
		{ "text_version", e->details[CONSENT_TEXT_VERSION] },
	};
	size_t start = out->len, token_at = 0;
	int r;

	hex_encode(token, STORE_TOKEN_LEN, hex);
	r = buf_append_byte(out, '{');
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(m); i++) {
		if (!m[i].value)
			continue;
		r = json_buf_member(out, out->len == start + 1, m[i].key,
		    m[i].value, strlen(m[i].value));
		if (m[i].value == hex)
			token_at = out->len - 1 - 2 * STORE_TOKEN_LEN;
	}
	if (r >= 0)
		r = buf_append_byte(out, '}');
	if (r < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return r;
	}
	*ret_token_at = token_at;
	return 0;
}
