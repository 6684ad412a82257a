/* The ledger as a consent source for the consent rule: a snapshot of the
 * ledger's consent state, fixed at one ledger size and time. */
#include "config.h"

#include <libgen.h>
#include <string.h>

#include "eval.h"
#include "ledger.h"

static int
snapshot_lookup(void *userdata, const char *subject, size_t len,
    const char *purpose)
{
	return ledger_snapshot_lookup(userdata, subject, len, purpose);
}

/* The lookup's steps work in the rule's pending storage: struct
 * ledger_lookup may alias it. */
_Static_assert(sizeof(struct ledger_lookup) <= sizeof(struct consent_pending),
    "a ledger lookup fits in a consent_pending");
_Static_assert(_Alignof(struct ledger_lookup) <=
	_Alignof(struct consent_pending),
    "a consent_pending is aligned for a ledger lookup");

static int
snapshot_start(void *userdata, const char *subject, size_t len,
    const char *purpose, struct consent_pending *ret)
{
	return ledger_snapshot_lookup_start(userdata, subject, len, purpose,
	    (struct ledger_lookup *)ret->opaque);
}

static void
snapshot_advance(void *userdata, struct consent_pending *p)
{
	ledger_snapshot_lookup_advance(userdata,
	    (struct ledger_lookup *)p->opaque);
}

static int
snapshot_finish(void *userdata, struct consent_pending *p)
{
	return ledger_snapshot_lookup_finish(userdata,
	    (struct ledger_lookup *)p->opaque);
}

static void
snapshot_close(void *userdata)
{
	ledger_snapshot_close(userdata);
}

int
ledger_consent_source_from_snapshot(struct ledger_snapshot *s,
    struct consent_source *ret)
{
	*ret = (struct consent_source){
		.userdata = s,
		.lookup = snapshot_lookup,
		.start = snapshot_start,
		.finish = snapshot_finish,
		.advance = snapshot_advance,
		.snapshot_size = ledger_snapshot_size(s),
		.close = snapshot_close,
	};
	return 0;
}

/* The subject-map secret lives beside the database (the daemon's state
 * directory), so offline evaluation needs the daemon's privileges. */
int
ledger_consent_source_open(const char *db_path, struct consent_source *ret)
{
	_cleanup_free_ char *copy = strdup(db_path), *secret = NULL;
	struct ledger_snapshot *s = NULL;
	char err[512];
	int r;

	if (!copy || asprintf(&secret, "%s/subject.key", dirname(copy)) < 0)
		return -ENOMEM;
	r = ledger_snapshot_open(db_path, secret, 0, now_realtime(), &s, err,
	    sizeof(err));
	if (r < 0) {
		fprintf(stderr, "consentctl: %s\n", err);
		return r;
	}
	return ledger_consent_source_from_snapshot(s, ret);
}
