/* Ledger benchmark helper: generates the rows, measures the raw SQLite
 * ceiling, the naive fsync-per-insert design and the ledger schema's own
 * SQLite cost, builds a large ledger through lib/ledger.h, exports its
 * entry bytes, and times proofs. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consent.h"
#include "crypto.h"
#include "ledger.h"
#include "../bench.h"
#include "rows.h"

#define BATCH 1000

/* Bytes this process has passed to write() so far (/proc/self/io wchar):
 * what each design costs in I/O, whatever the page cache does with it. */
static uint64_t
written(void)
{
	FILE *f = fopen("/proc/self/io", "re");
	unsigned long long v = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int
parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* xorshift64*: reproducible random indexes. */
static uint64_t
rnd(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static json_t *
row_event_json(const struct bench_row *row)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "subject",
	    row->subject, "purpose", row->purpose, "event", row->event, "at",
	    row->at, "method", row->method, "source", row->source,
	    "text_version", row->text_version, "jurisdiction",
	    row->jurisdiction);
}

/* gen N FILE: the rows as the CSV that consentctl consent import reads. */
static int
cmd_gen(uint64_t n, const char *path)
{
	FILE *f = fopen(path, "we");
	char line[512];

	if (!f) {
		fprintf(stderr, "cannot create '%s': %s\n", path, strerror(errno));
		return 1;
	}
	fputs(BENCH_CSV_HEADER, f);
	for (uint64_t i = 0; i < n; i++) {
		struct bench_row row;
		bench_row(i, &row);
		bench_row_csv(&row, line, sizeof(line));
		fputs(line, f);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "cannot write '%s': %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* The entry bytes the daemon would store for row i (its token is derived
 * from the subject here, random in the daemon: same length and format). */
static int
encode_row(uint64_t i, usec_t recorded, uint8_t **ret, size_t *ret_len)
{
	struct bench_row row;
	struct consent_event ev;
	uint8_t digest[32];
	char err[256];
	json_t *in, *body;
	int r;

	bench_row(i, &row);
	in = row_event_json(&row);
	if (!in)
		return -ENOMEM;
	r = consent_event_parse(in, now_realtime(), &ev, err, sizeof(err));
	json_decref(in);
	if (r < 0) {
		fprintf(stderr, "row %" PRIu64 ": %s\n", i, err);
		return r;
	}
	sha256(row.subject, strlen(row.subject), digest);
	body = consent_entry_body(&ev, digest, recorded);
	consent_event_done(&ev);
	if (!body)
		return -ENOMEM;
	r = ledger_entry_encode("consent", body, ret, ret_len);
	json_decref(body);
	return r;
}

static int
sql_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

/* raw DB N BATCH: the same entry bytes inserted with nothing else, one
 * transaction per BATCH rows, WAL and synchronous=FULL as the store. */
static int
cmd_raw(const char *path, uint64_t n, uint64_t batch)
{
	uint8_t **data = calloc(n, sizeof(*data));
	size_t *len = calloc(n, sizeof(*len)), total = 0;
	usec_t recorded = now_realtime();
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	double t0, t1, c0, c1;
	uint64_t w0;
	int ret = 1;

	if (!data || !len || batch == 0)
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		if (encode_row(i, recorded, &data[i], &len[i]) < 0)
			goto out;
		total += len[i];
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot open '%s': %s\n", path,
		    sqlite3_errmsg(db));
		goto out;
	}
	if (sql_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			 "CREATE TABLE entries(idx INTEGER PRIMARY KEY, data BLOB NOT NULL)") < 0)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO entries(idx, data) VALUES (?1, ?2)",
		-1, &st, NULL) != SQLITE_OK)
		goto out;
	t0 = bench_mono();
	c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	w0 = written();
	for (uint64_t i = 0; i < n; i++) {
		if (i % batch == 0 && sql_exec(db, "BEGIN IMMEDIATE") < 0)
			goto out;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
		sqlite3_bind_blob(st, 2, data[i], (int)len[i], SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
			goto out;
		}
		sqlite3_reset(st);
		if ((i + 1) % batch == 0 || i + 1 == n)
			if (sql_exec(db, "COMMIT") < 0)
				goto out;
	}
	c1 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	t1 = bench_mono();
	printf("raw rows %" PRIu64 " batch %" PRIu64
	       " seconds %.3f rows_per_s %.0f cpu_s %.3f bytes_per_row %.0f"
	       " written_per_row %.0f\n",
	    n, batch, t1 - t0, (double)n / (t1 - t0), c1 - c0,
	    (double)total / (double)n, (double)(written() - w0) / (double)n);
	ret = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	for (uint64_t i = 0; data && i < n; i++)
		free(data[i]);
	free(data);
	free(len);
	return ret;
}

/* store DB N BATCH: the ledger's SQLite work alone, through store.h: for
 * each row the subject-map lookup (and insert for a new subject), the
 * consent index row, the entry and its stored hashes, one transaction per
 * BATCH rows, everything (entry bytes, hashes, keys) computed beforehand. */
static int
cmd_store(const char *path, uint64_t n, uint64_t batch)
{
	struct prepared {
		uint8_t *data;
		size_t len;
		struct store_subject subj;
		struct store_consent consent;
		size_t first_hash, nhashes;
	} *p = calloc(n, sizeof(*p));
	uint8_t (*hashes)[MERKLE_HASH_LEN] = NULL;
	struct merkle_frontier *f = NULL;
	struct store *s = NULL;
	usec_t recorded = now_realtime();
	size_t nh = 0, caph = 0;
	double t0, t1, c0, c1;
	uint64_t w0, subjects = 0;
	char err[256];
	int r, ret = 1;

	if (!p || batch == 0 || merkle_frontier_new(&f) < 0)
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t stored[MERKLE_MAX_STORED_PER_LEAF][MERKLE_HASH_LEN];
		uint8_t leaf[MERKLE_HASH_LEN], digest[32];
		struct bench_row row;
		size_t k;

		if (encode_row(i, recorded, &p[i].data, &p[i].len) < 0)
			goto out;
		bench_row(i, &row);
		sha256(row.subject, strlen(row.subject), p[i].subj.lookup);
		sha256(p[i].subj.lookup, STORE_LOOKUP_LEN, digest);
		memcpy(p[i].subj.token, digest, STORE_TOKEN_LEN);
		sha256(digest, sizeof(digest), p[i].subj.mac);
		p[i].subj.created_at = recorded;
		memcpy(p[i].consent.token, p[i].subj.token, STORE_TOKEN_LEN);
		snprintf(p[i].consent.purpose, sizeof(p[i].consent.purpose), "%s",
		    row.purpose);
		p[i].consent.kind = strcmp(row.event, "grant") == 0 ?
		    CONSENT_GRANT : CONSENT_REVOKE;
		time_parse_rfc3339(row.at, &p[i].consent.at);
		p[i].consent.index = i;
		merkle_leaf_hash(p[i].data, p[i].len, leaf);
		if (merkle_frontier_append_stored(f, leaf, stored, &k) < 0)
			goto out;
		if (nh + k > caph) {
			size_t cap = caph ? 2 * caph : 4096;
			void *q = realloc(hashes, cap * sizeof(*hashes));
			if (!q)
				goto out;
			hashes = q;
			caph = cap;
		}
		memcpy(hashes[nh], stored, k * MERKLE_HASH_LEN);
		p[i].first_hash = nh;
		p[i].nhashes = k;
		nh += k;
	}
	r = store_open(path, STORE_CREATE, &s, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "cannot open '%s': %s\n", path, err);
		goto out;
	}
	t0 = bench_mono();
	c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	w0 = written();
	for (uint64_t i = 0; i < n; i++) {
		struct store_subject found;

		if (i % batch == 0 && (r = store_begin(s)) < 0)
			goto fail;
		r = store_subject_get(s, p[i].subj.lookup, &found);
		if (r == -ENOENT) {
			r = store_subject_put(s, &p[i].subj);
			subjects++;
		}
		if (r >= 0)
			r = store_consent_add(s, &p[i].consent);
		if (r >= 0)
			r = store_entry_put(s, i, p[i].data, p[i].len);
		if (r >= 0)
			r = store_hashes_put(s, merkle_stored_hash_index(0, i),
			    (const uint8_t(*)[32])hashes[p[i].first_hash],
			    p[i].nhashes);
		if (r < 0)
			goto fail;
		if ((i + 1) % batch == 0 || i + 1 == n)
			if ((r = store_commit(s)) < 0)
				goto fail;
	}
	c1 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	t1 = bench_mono();
	printf("store rows %" PRIu64 " batch %" PRIu64
	       " seconds %.3f rows_per_s %.0f cpu_s %.3f subjects %" PRIu64
	       " written_per_row %.0f\n",
	    n, batch, t1 - t0, (double)n / (t1 - t0), c1 - c0, subjects,
	    (double)(written() - w0) / (double)n);
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "store: %s\n", store_errmsg(s));
out:
	store_close(s);
	merkle_frontier_free(f);
	for (uint64_t i = 0; p && i < n; i++)
		free(p[i].data);
	free(p);
	free(hashes);
	return ret;
}

static char *
join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* make DIR N CHECKPOINT_EVERY: a ledger of N consent entries through
 * lib/ledger.h, as the daemon's writer builds it (subject map, encoding,
 * consent index, stored hashes), in transactions of 1000 entries, with a
 * signed checkpoint every CHECKPOINT_EVERY entries. Writes DIR/ledger.vkey. */
static int
cmd_make(const char *dir, uint64_t n, uint64_t cp_every)
{
	struct ledger_options o = { .create = true };
	struct ledger *l = NULL;
	char err[512];
	usec_t recorded = now_realtime();
	uint64_t checkpoints = 0, last_cp = 0;
	char *db = join(dir, "ledger.db"), *key = join(dir, "ledger.key"),
	     *secret = join(dir, "subject.key"), *vkey = join(dir, "ledger.vkey");
	double t0, t1, c0, c1;
	uint64_t w0;
	FILE *f;
	int r, ret = 1;

	if (!db || !key || !secret || !vkey)
		goto out;
	o.db_path = db;
	o.key_path = key;
	o.secret_path = secret;
	o.origin = "bench.consentd.local/ledger";
	r = ledger_open(&o, &l, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	t0 = bench_mono();
	c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	w0 = written();
	for (uint64_t i = 0; i < n;) {
		r = ledger_begin(l);
		for (uint64_t end = MIN(n, i + BATCH); r >= 0 && i < end; i++) {
			struct bench_row row;
			struct consent_event ev;
			uint8_t token[STORE_TOKEN_LEN];
			json_t *in, *body;

			bench_row(i, &row);
			in = row_event_json(&row);
			r = in ? consent_event_parse(in, now_realtime(), &ev, err,
					sizeof(err)) : -ENOMEM;
			json_decref(in);
			if (r < 0)
				break;
			r = ledger_subject_token(l, ev.subject, true, token);
			body = r >= 0 ? consent_entry_body(&ev, token, recorded) :
					NULL;
			consent_event_done(&ev);
			if (r >= 0 && !body)
				r = -ENOMEM;
			if (r >= 0)
				r = ledger_append_json(l, "consent", body, NULL, NULL);
			json_decref(body);
		}
		if (r >= 0)
			r = ledger_commit(l);
		if (r < 0) {
			fprintf(stderr, "append: %s\n", ledger_errmsg(l));
			goto out;
		}
		if (i - last_cp >= cp_every || i == n) {
			last_cp = i;
			r = ledger_checkpoint(l);
			if (r < 0) {
				fprintf(stderr, "checkpoint: %s\n", ledger_errmsg(l));
				goto out;
			}
			checkpoints += r;
		}
	}
	c1 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	t1 = bench_mono();
	printf("library entries %" PRIu64 " seconds %.3f entries_per_s %.0f"
	       " cpu_s %.3f checkpoints %" PRIu64 " written_per_entry %.0f\n",
	    n, t1 - t0, (double)n / (t1 - t0), c1 - c0, checkpoints,
	    (double)(written() - w0) / (double)n);
	f = fopen(vkey, "we");
	if (!f || fprintf(f, "%s\n", ledger_vkey(l)) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write '%s'\n", vkey);
		goto out;
	}
	ret = 0;
out:
	ledger_close(l);
	free(db);
	free(key);
	free(secret);
	free(vkey);
	return ret;
}

static int
write_entry(void *userdata, uint64_t index, const uint8_t *data, size_t len)
{
	return fwrite(data, 1, len, userdata) == len ? 0 : -EIO;
}

/* bytes DB FILE: the entries' exact bytes, concatenated. */
static int
cmd_bytes(const char *path, const char *out)
{
	struct store *s = NULL;
	char err[256];
	FILE *f;
	int r;

	r = store_open(path, STORE_READ_ONLY, &s, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "cannot open '%s': %s\n", path, err);
		return 1;
	}
	f = fopen(out, "we");
	if (!f) {
		store_close(s);
		fprintf(stderr, "cannot create '%s': %s\n", out, strerror(errno));
		return 1;
	}
	r = store_entry_foreach(s, 0, UINT64_MAX, write_entry, f);
	if (fclose(f) != 0 && r >= 0)
		r = -EIO;
	store_close(s);
	if (r < 0) {
		fprintf(stderr, "export failed: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

/* Wall-clock quantiles, and CPU-time ones: on a loaded machine a wall
 * p99 mostly measures how often the scheduler took the CPU away. */
static void
report(const char *what, double *us, double *cpu_us, size_t n)
{
	double sum = 0;

	qsort(us, n, sizeof(*us), bench_cmp_double);
	qsort(cpu_us, n, sizeof(*cpu_us), bench_cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += us[i];
	printf("%s count %zu median_us %.1f p99_us %.1f max_us %.1f mean_us %.1f"
	       " cpu_median_us %.1f cpu_p99_us %.1f\n",
	    what, n, bench_quantile(us, n, 0.5), bench_quantile(us, n, 0.99),
	    us[n - 1], sum / (double)n, bench_quantile(cpu_us, n, 0.5),
	    bench_quantile(cpu_us, n, 0.99));
}

/* proofs DB COUNT: inclusion proofs of random entries in trees of random
 * sizes, and consistency proofs between random sizes, timed one by one;
 * and the same inclusion proofs each inside one read transaction
 * (store_read_begin), to show what per-statement read locks cost. */
enum proof_kind { PROOF_INCLUSION, PROOF_CONSISTENCY, PROOF_INCLUSION_TXN };

static int
proof_series(struct ledger *l, enum proof_kind kind, size_t count,
    double *us, double *cpu_us)
{
	static const char *const names[] = { "inclusion", "consistency",
		"inclusion_in_read_txn" };
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	uint64_t seed = 0x9e3779b97f4a7c15ULL, size = ledger_size(l);
	size_t plen, total_len = 0;
	double t0, t1, c0;
	int r;

	for (size_t i = 0; i < count; i++) {
		uint64_t a = 1 + rnd(&seed) % size, b = rnd(&seed) % a;
		c0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
		t0 = bench_mono();
		if (kind == PROOF_CONSISTENCY)
			r = ledger_consistency_proof(l, b + 1, a, proof, &plen);
		else {
			if (kind == PROOF_INCLUSION_TXN)
				store_read_begin(ledger_store(l));
			r = ledger_inclusion_proof(l, b, a, proof, &plen, leaf);
			if (kind == PROOF_INCLUSION_TXN)
				store_read_end(ledger_store(l));
		}
		t1 = bench_mono();
		cpu_us[i] = (bench_clock(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6;
		if (r < 0) {
			fprintf(stderr, "%s %" PRIu64 " %" PRIu64 ": %s\n",
			    names[kind], b, a, ledger_errmsg(l));
			return r;
		}
		total_len += plen;
		us[i] = (t1 - t0) * 1e6;
	}
	report(names[kind], us, cpu_us, count);
	printf("%s mean_hashes %.1f\n", names[kind],
	    (double)total_len / (double)count);
	return 0;
}

static int
cmd_proofs(const char *path, size_t count)
{
	struct ledger_options o = { .db_path = path, .read_only = true };
	struct ledger *l = NULL;
	double *us = calloc(count, sizeof(*us)), t0, t1;
	double *cpu_us = calloc(count, sizeof(*cpu_us));
	char err[512];
	int r, ret = 1;

	if (!us || !cpu_us || count == 0)
		goto out;
	t0 = bench_mono();
	r = ledger_open(&o, &l, err, sizeof(err));
	t1 = bench_mono();
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (ledger_size(l) < 2) {
		fprintf(stderr, "the ledger needs at least 2 entries\n");
		goto out;
	}
	printf("open entries %" PRIu64 " seconds %.3f\n", ledger_size(l),
	    t1 - t0);
	/* The read-transaction series first: it runs with the colder cache. */
	if (proof_series(l, PROOF_INCLUSION_TXN, count, us, cpu_us) < 0 ||
	    proof_series(l, PROOF_INCLUSION, count, us, cpu_us) < 0 ||
	    proof_series(l, PROOF_CONSISTENCY, count, us, cpu_us) < 0)
		goto out;
	ret = 0;
out:
	ledger_close(l);
	free(us);
	free(cpu_us);
	return ret;
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: ledger_bench gen N FILE.csv\n"
	    "       ledger_bench raw DB N BATCH\n"
	    "       ledger_bench store DB N BATCH\n"
	    "       ledger_bench make DIR N CHECKPOINT_EVERY\n"
	    "       ledger_bench bytes DB FILE\n"
	    "       ledger_bench proofs DB COUNT\n");
	return 2;
}

int
main(int argc, char **argv)
{
	uint64_t a, b;

	if (argc == 4 && strcmp(argv[1], "gen") == 0 &&
	    parse_u64(argv[2], &a) == 0)
		return cmd_gen(a, argv[3]);
	if (argc == 5 && strcmp(argv[1], "raw") == 0 &&
	    parse_u64(argv[3], &a) == 0 && parse_u64(argv[4], &b) == 0 && b > 0)
		return cmd_raw(argv[2], a, b);
	if (argc == 5 && strcmp(argv[1], "store") == 0 &&
	    parse_u64(argv[3], &a) == 0 && parse_u64(argv[4], &b) == 0 && b > 0)
		return cmd_store(argv[2], a, b);
	if (argc == 5 && strcmp(argv[1], "make") == 0 &&
	    parse_u64(argv[3], &a) == 0 && parse_u64(argv[4], &b) == 0 && b > 0)
		return cmd_make(argv[2], a, b);
	if (argc == 4 && strcmp(argv[1], "bytes") == 0)
		return cmd_bytes(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "proofs") == 0 &&
	    parse_u64(argv[3], &a) == 0)
		return cmd_proofs(argv[2], (size_t)a);
	return usage();
}
