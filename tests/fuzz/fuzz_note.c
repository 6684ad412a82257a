/* Fuzzes the signed-note, checkpoint, key and tlog-proof parsers
 * (lib/note.c) with round-trip checks on what they accept. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "note.h"

/* The project's test log key (tlog-vectors.md §6) and Go's PeterNeumann:
 * seeds signed by them reach the signature checks. */
static const char *const vkeys[] = {
	"example.com/consent-ledger+9f54db07+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
};

static void
check_checkpoint(const char *text)
{
	char *origin = NULL, *again = NULL, *origin2 = NULL;
	uint64_t size, size2;
	uint8_t root[MERKLE_HASH_LEN], root2[MERKLE_HASH_LEN];

	if (checkpoint_parse(text, &origin, &size, root) < 0)
		return;
	/* What parses formats, and formats back to the same values. */
	if (checkpoint_format(origin, size, root, &again) < 0 ||
	    checkpoint_parse(again, &origin2, &size2, root2) < 0 ||
	    strcmp(origin, origin2) != 0 || size != size2 ||
	    memcmp(root, root2, sizeof(root)) != 0)
		FAIL();
	free(origin);
	free(origin2);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note_verifier v[2];
	static bool init;
	struct note *n = NULL;
	struct tlog_proof *p = NULL;
	char *text;

	if (!init) {
		for (size_t i = 0; i < 2; i++)
			if (note_verifier_parse(vkeys[i], &v[i]) < 0)
				FAIL();
		init = true;
	}
	if (size > TLOG_PROOF_MAX_SIZE + 1)
		return 0;

	if (note_open((const char *)data, size, v, 2, &n) == 0) {
		if (n->n_verified == 0 || n->text_len == 0 ||
		    n->text[n->text_len - 1] != '\n' ||
		    strlen(n->text) != n->text_len)
			FAIL();
		check_checkpoint(n->text);
		note_free(n);
	}

	if (tlog_proof_parse((const char *)data, size, &p) == 0) {
		char *again = NULL;
		struct tlog_proof *q = NULL;
		uint8_t leaf[MERKLE_HASH_LEN] = { 0 };

		if (tlog_proof_format(p, &again) < 0 ||
		    tlog_proof_parse(again, strlen(again), &q) < 0 ||
		    q->index != p->index || q->n_hashes != p->n_hashes ||
		    memcmp(q->hash, p->hash, p->n_hashes * MERKLE_HASH_LEN) ||
		    q->extra_len != p->extra_len ||
		    strcmp(q->checkpoint, p->checkpoint) != 0)
			FAIL();
		/* The only well-formed proofs are canonical. */
		if (strlen(again) != size || memcmp(again, data, size) != 0)
			FAIL();
		(void)tlog_proof_verify(p, leaf, v, 2, NULL, NULL);
		tlog_proof_free(q);
		tlog_proof_free(p);
		free(again);
	}

	/* NUL-terminated views for the string APIs. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_checkpoint(text);
	if (size < 4096) {
		struct note_verifier pv;
		struct note_signer ps;
		char *out = NULL;

		if (note_verifier_parse(text, &pv) == 0) {
			if (note_verifier_format(&pv, &out) < 0)
				FAIL();
			/* Hex digits may come in either case. */
			if (strcasecmp(out, text) != 0)
				FAIL();
			free(out);
		}
		if (note_signer_parse(text, &ps) == 0) {
			if (note_signer_format(&ps, &out) < 0 ||
			    strcasecmp(out, text) != 0)
				FAIL();
			note_secret_free(out);
			note_signer_wipe(&ps);
		}
		if (size > 0 && text[size - 1] == '\n' && size < 1024) {
			/* Sign with a fixed key; what we sign opens. */
			static const uint8_t seed[NOTE_SEED_LEN] = { 1 };
			struct note_signer s;
			struct note_verifier sv;

			if (note_signer_from_seed("fuzz.example/k", seed,
			    &s) < 0)
				FAIL();
			note_signer_verifier(&s, &sv);
			if (note_sign(text, &s, 1, &out) == 0) {
				if (note_open(out, strlen(out), &sv, 1,
				    &n) < 0 || strcmp(n->text, text) != 0)
					FAIL();
				note_free(n);
				free(out);
			}
			note_signer_wipe(&s);
		}
	}
	free(text);
	return 0;
}
