/* Consent lookups alone, as the consent rule of a scan makes them: load a
 * purpose of a ledger into a snapshot, then look up subject ids
 * "user-NNNNNNNN" drawn as bench/scan/gen.py draws them (at random from
 * the ledger's SUBJECTS subjects, one in twenty from as many the ledger
 * has never seen), four in flight and each advanced halfway, as
 * check_consent.c does. Each round times them with the snapshot's memo of
 * answers and without it (ledger_snapshot_memo_size() 0), in one process,
 * and the subject-map key (HMAC) alone. Prints thread CPU time per load and
 * nanoseconds per lookup and per HMAC, medians of ROUNDS rounds.
 *
 * usage: bench_lookup LEDGER_DIR PURPOSE SUBJECTS [LOOKUPS [ROUNDS]]
 * (LEDGER_DIR holds ledger.db and subject.key, as ledger_bench make leaves
 * them.) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "ledger.h"
#include "timeutil.h"
#include "../bench.h"

#define IN_FLIGHT 4
#define MAX_ROUNDS 31
#define ID_LEN 13 /* user-NNNNNNNN */

/* xorshift64*: the same ids on every run. */
static uint64_t
next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

/* n lookups of ids, in flight and advanced as the consent rule has them;
 * *found: how many had consent. */
static int
lookups(struct ledger_snapshot *snap, const char *ids, size_t n,
    const char *purpose, uint64_t *found)
{
	struct ledger_lookup q[IN_FLIGHT];
	int k = 0;

	*found = 0;
	for (size_t i = 0; k >= 0 && i < n + IN_FLIGHT; i++) {
		if (i >= IN_FLIGHT) {
			k = ledger_snapshot_lookup_finish(snap,
			    &q[(i - IN_FLIGHT) % IN_FLIGHT]);
			*found += k > 0;
		}
		if (k < 0 || i >= n)
			continue;
		k = ledger_snapshot_lookup_start(snap, ids + i * ID_LEN, ID_LEN,
		    purpose, &q[i % IN_FLIGHT]);
		if (i >= IN_FLIGHT / 2)
			ledger_snapshot_lookup_advance(snap,
			    &q[(i - IN_FLIGHT / 2) % IN_FLIGHT]);
	}
	return k;
}

int
main(int argc, char **argv)
{
	double load[MAX_ROUNDS], hmac[MAX_ROUNDS], look[MAX_ROUNDS],
	    nomemo[MAX_ROUNDS];
	char db[4096], key[4096], err[256];
	struct ledger_snapshot *snap;
	struct hmac_key *hk = NULL;
	uint8_t secret[32] = { 0 }, out[STORE_LOOKUP_LEN];
	uint64_t state = 0x9e3779b97f4a7c15, found = 0, sink = 0;
	unsigned long subjects;
	size_t n = 5000000;
	int rounds = 5;
	char *ids;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: %s LEDGER_DIR PURPOSE SUBJECTS [LOOKUPS "
				"[ROUNDS]]\n", argv[0]);
		return 2;
	}
	subjects = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		n = strtoul(argv[4], NULL, 10);
	if (argc > 5)
		rounds = atoi(argv[5]);
	if (subjects == 0 || subjects > 50000000 || n == 0 || rounds < 1 ||
	    rounds > MAX_ROUNDS) {
		fprintf(stderr, "%s: bad SUBJECTS, LOOKUPS or ROUNDS\n", argv[0]);
		return 2;
	}
	snprintf(db, sizeof(db), "%s/ledger.db", argv[1]);
	snprintf(key, sizeof(key), "%s/subject.key", argv[1]);
	ids = malloc(n * ID_LEN + 1);
	if (!ids || hmac_key_new(secret, sizeof(secret), &hk) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		char id[32];

		uint64_t x = next_random(&state);

		/* gen.py's --unknown 0.05 */
		snprintf(id, sizeof(id), "user-%08lu", (unsigned long)
		    ((x >> 32) % 20 == 0 ? subjects + x % subjects :
					   x % subjects));
		memcpy(ids + i * ID_LEN, id, ID_LEN);
	}
	for (int r = 0; r < rounds; r++) {
		double t0;

		for (int memo = 1; memo >= 0; memo--) {
			int k;

			k = ledger_snapshot_open(db, key, 0, now_realtime(),
			    &snap, err, sizeof(err));
			if (k < 0) {
				fprintf(stderr, "%s: %s\n", db, err);
				return 1;
			}
			if (!memo)
				ledger_snapshot_memo_size(snap, 0, 0);
			/* The first lookup loads the purpose. */
			t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
			k = ledger_snapshot_lookup(snap, ids, ID_LEN, argv[2]);
			if (memo)
				load[r] = bench_clock(CLOCK_THREAD_CPUTIME_ID) -
				    t0;
			t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
			if (k >= 0)
				k = lookups(snap, ids, n, argv[2], &found);
			(memo ? look : nomemo)[r] =
			    (bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0) /
			    (double)n * 1e9;
			ledger_snapshot_close(snap);
			if (k < 0) {
				fprintf(stderr, "lookup failed: %s\n",
				    strerror(-k));
				return 1;
			}
		}
		t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
		for (size_t i = 0; i < n; i++) {
			ledger_subject_lookup_key(hk, ids + i * ID_LEN, ID_LEN,
			    out);
			sink += out[0];
		}
		hmac[r] = (bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0) / (double)n * 1e9;
	}
	printf("lookups %zu found %llu rounds %d load_cpu_s %.3f "
	       "lookup_ns %.1f lookup_nomemo_ns %.1f hmac_ns %.1f (%llu)\n",
	    n, (unsigned long long)found, rounds, bench_median(load, (size_t)rounds),
	    bench_median(look, (size_t)rounds),
	    bench_median(nomemo, (size_t)rounds),
	    bench_median(hmac, (size_t)rounds),
	    (unsigned long long)(sink & 1));
	hmac_key_free(hk);
	free(ids);
	return 0;
}
