/* A fresh ledger (keys and subject-map secret created) in a temporary
 * directory, for the unit tests of lib/ledger. Include after unit.h. */
#ifndef CONSENTD_LEDGER_FIXTURE_H
#define CONSENTD_LEDGER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "ledger.h"

#define LEDGER_FIXTURE_ORIGIN "test.consentd.local/ledger"

struct ledger_fixture {
	char dir[64];
	char db[96], key[96], secret[96];
	struct ledger *l;
};

static inline void
ledger_fixture_open(struct ledger_fixture *f, const char *name)
{
	struct ledger_options o = { .create = true,
		.origin = LEDGER_FIXTURE_ORIGIN };
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/consentd-%s.XXXXXX", name);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/ledger.db", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/ledger.key", f->dir);
	snprintf(f->secret, sizeof(f->secret), "%s/subject.key", f->dir);
	o.db_path = f->db;
	o.key_path = f->key;
	o.secret_path = f->secret;
	assert_int_equal(ledger_open(&o, &f->l, err, sizeof(err)), 0);
}

static inline void
ledger_fixture_close(struct ledger_fixture *f)
{
	char cmd[128];

	ledger_close(f->l);
	f->l = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

#endif
