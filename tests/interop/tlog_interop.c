/* Interoperability with Go's golang.org/x/mod/sumdb: writes a tree, signed
 * checkpoints, proofs and receipts for tests/interop/tlogcheck.go to check,
 * and checks the files it writes. The file format is described there. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "crypto.h"
#include "merkle.h"
#include "note.h"

#define ORIGIN "example.com/consentd-interop"
#define MAX_ROOTS 64

enum { OK = 0, FAIL = 1, USAGE = 2 };

static uint64_t
rnd(uint64_t n)
{
	uint64_t v;

	if (random_bytes(&v, sizeof(v)) < 0)
		abort();
	return v % n;
}

static void
put_b64(FILE *f, const uint8_t *data, size_t len)
{
	char *s;

	if (len == 0) {
		fputs(" -", f);
		return;
	}
	s = base64_encode(data, len);
	if (!s)
		abort();
	fprintf(f, " %s", s);
	free(s);
}

static void
put_proof(FILE *f, const char *kind, uint64_t a, uint64_t b,
    const uint8_t *first, const uint8_t (*p)[MERKLE_HASH_LEN], size_t len)
{
	fprintf(f, "%s %" PRIu64 " %" PRIu64, kind, a, b);
	if (first)
		put_b64(f, first, MERKLE_HASH_LEN);
	for (size_t i = 0; i < len; i++)
		put_b64(f, p[i], MERKLE_HASH_LEN);
	fputc('\n', f);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
gen(uint64_t n, const char *path)
{
	_cleanup_note_signer_ struct note_signer signer;
	_cleanup_merkle_memtree_ struct merkle_memtree *t = NULL;
	struct merkle_hash_reader r;
	struct note_verifier v;
	uint8_t (*leaves)[MERKLE_HASH_LEN] = NULL;
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	uint64_t sizes[8];
	char *notes[8] = { NULL };
	size_t n_sizes = 0, len;
	char *vkey = NULL;
	FILE *f;

	if (note_signer_generate(ORIGIN, &signer) < 0 ||
	    merkle_memtree_new(&t) < 0)
		return USAGE;
	note_signer_verifier(&signer, &v);
	if (note_verifier_format(&v, &vkey) < 0)
		return USAGE;
	f = fopen(path, "we");
	if (!f) {
		perror(path);
		return USAGE;
	}
	fprintf(f, "# consentd tlog_interop gen %" PRIu64 "\nvkey %s\n", n, vkey);
	free(vkey);

	leaves = calloc(n, MERKLE_HASH_LEN);
	if (!leaves)
		abort();
	for (uint64_t i = 0; i < n; i++) {
		uint8_t data[64];
		size_t dlen = rnd(sizeof(data) + 1);

		if (random_bytes(data, dlen) < 0)
			abort();
		merkle_leaf_hash(data, dlen, leaves[i]);
		if (merkle_memtree_append(t, leaves[i]) < 0)
			abort();
		fputs("leaf", f);
		put_b64(f, data, dlen);
		fputc('\n', f);
	}
	r = merkle_memtree_reader(t);

	/* Checkpoints at n and at a few earlier sizes. */
	sizes[n_sizes++] = n;
	sizes[n_sizes++] = 1;
	sizes[n_sizes++] = (n + 1) / 2;
	sizes[n_sizes++] = n > 1 ? n - 1 : 1;
	for (int i = 0; i < 3; i++)
		sizes[n_sizes++] = 1 + rnd(n);
	qsort(sizes, n_sizes, sizeof(sizes[0]), cmp_u64);
	{
		size_t j = 0;

		for (size_t i = 0; i < n_sizes; i++)
			if (j == 0 || sizes[j - 1] != sizes[i])
				sizes[j++] = sizes[i];
		n_sizes = j;
	}
	for (size_t i = 0; i < n_sizes; i++) {
		uint8_t root[MERKLE_HASH_LEN];

		if (merkle_tree_hash(&r, sizes[i], root) < 0 ||
		    checkpoint_sign(ORIGIN, sizes[i], root, &signer,
		    &notes[i]) < 0)
			abort();
		fputs("checkpoint", f);
		put_b64(f, (const uint8_t *)notes[i], strlen(notes[i]));
		fputc('\n', f);
	}

	/* Inclusion proofs in each checkpointed tree: all leaves of small
	 * trees, 40 random ones of larger; consistency between every pair. */
	for (size_t s = 0; s < n_sizes; s++) {
		uint64_t size = sizes[s];

		for (uint64_t k = 0; k < 40 && k < size; k++) {
			uint64_t i = size > 40 ? rnd(size) : k;

			if (merkle_inclusion_proof(&r, i, size, proof, &len) < 0)
				abort();
			put_proof(f, "inclusion", i, size, leaves[i],
			    (const uint8_t (*)[MERKLE_HASH_LEN])proof, len);
		}
		for (size_t m = 0; m <= s; m++) {
			if (merkle_consistency_proof(&r, sizes[m], size, proof,
			    &len) < 0)
				abort();
			put_proof(f, "consistency", sizes[m], size, NULL,
			    (const uint8_t (*)[MERKLE_HASH_LEN])proof, len);
		}
	}

	/* Receipts (c2sp.org/tlog-proof) against the newest checkpoint. */
	for (int k = 0; k < 5; k++) {
		struct tlog_proof p = { .index = rnd(n) };
		char *text;

		if (k == 0) {
			p.extra = (uint8_t *)"consentd";
			p.extra_len = 8;
		}
		if (merkle_inclusion_proof(&r, p.index, n, p.hash,
		    &p.n_hashes) < 0)
			abort();
		p.checkpoint = notes[n_sizes - 1];
		p.checkpoint_len = strlen(p.checkpoint);
		if (tlog_proof_format(&p, &text) < 0)
			abort();
		fputs("receipt", f);
		put_b64(f, (const uint8_t *)text, strlen(text));
		fputc('\n', f);
		free(text);
	}
	for (size_t i = 0; i < n_sizes; i++)
		free(notes[i]);
	free(leaves);
	if (fclose(f) != 0) {
		perror(path);
		return USAGE;
	}
	return OK;
}

/* The checker: the same checks as tlogcheck.go, with our code. */

struct checker {
	struct note_verifier v;
	bool have_key;
	struct merkle_memtree *t;
	uint8_t (*leaf_data_hash)[MERKLE_HASH_LEN];
	size_t n_leaves, cap;
	uint64_t root_size[MAX_ROOTS];
	uint8_t root[MAX_ROOTS][MERKLE_HASH_LEN];
	size_t n_roots;
	unsigned checked;
};

static int
decode(const char *s, uint8_t **ret, size_t *ret_len)
{
	if (streq(s, "-")) {
		*ret = calloc(1, 1);
		*ret_len = 0;
		return *ret ? 0 : -ENOMEM;
	}
	return base64_decode(s, strlen(s), ret, ret_len);
}

static int
decode_hash(const char *s, uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t *d;
	size_t len;

	if (base64_decode(s, strlen(s), &d, &len) < 0)
		return -EINVAL;
	if (len != MERKLE_HASH_LEN) {
		free(d);
		return -EINVAL;
	}
	memcpy(out, d, MERKLE_HASH_LEN);
	free(d);
	return 0;
}

static int
parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || (*s == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static const uint8_t *
find_root(const struct checker *c, uint64_t size)
{
	for (size_t i = 0; i < c->n_roots; i++)
		if (c->root_size[i] == size)
			return c->root[i];
	return NULL;
}

/* Opens a checkpoint, checks it against the leaves, records its root. */
static int
add_checkpoint(struct checker *c, const char *msg, size_t len,
    struct checkpoint *ret)
{
	struct merkle_hash_reader r = merkle_memtree_reader(c->t);
	struct checkpoint cp;
	uint8_t want[MERKLE_HASH_LEN];
	int e;

	e = checkpoint_open(msg, len, &c->v, 1, c->v.name, &cp);
	if (e < 0) {
		fprintf(stderr, "checkpoint: %s\n", strerror(-e));
		return FAIL;
	}
	if (cp.size <= c->n_leaves &&
	    (merkle_tree_hash(&r, cp.size, want) < 0 ||
	    memcmp(want, cp.root, MERKLE_HASH_LEN) != 0)) {
		fprintf(stderr, "checkpoint %" PRIu64 ": root differs from the "
		    "leaves'\n", cp.size);
		checkpoint_done(&cp);
		return FAIL;
	}
	if (!find_root(c, cp.size) && c->n_roots < MAX_ROOTS) {
		c->root_size[c->n_roots] = cp.size;
		memcpy(c->root[c->n_roots++], cp.root, MERKLE_HASH_LEN);
	}
	*ret = cp;
	return OK;
}

static int
check_line(struct checker *c, char **fl, size_t k)
{
	struct merkle_hash_reader r = merkle_memtree_reader(c->t);
	uint8_t proof[MERKLE_MAX_PROOF + 1][MERKLE_HASH_LEN];
	uint8_t want[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	uint8_t *data = NULL;
	size_t len, wlen;
	int e;

	if (streq(fl[0], "vkey")) {
		if (k != 2 || note_verifier_parse(fl[1], &c->v) < 0)
			return USAGE;
		c->have_key = true;
		return OK;
	}
	if (!c->have_key)
		return USAGE;
	if (streq(fl[0], "leaf")) {
		uint8_t h[MERKLE_HASH_LEN];

		if (k != 2 || decode(fl[1], &data, &len) < 0)
			return USAGE;
		merkle_leaf_hash(data, len, h);
		free(data);
		if (merkle_memtree_append(c->t, h) < 0)
			return USAGE;
		if (c->n_leaves == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 1024;
			c->leaf_data_hash = realloc(c->leaf_data_hash,
			    c->cap * MERKLE_HASH_LEN);
			if (!c->leaf_data_hash)
				abort();
		}
		memcpy(c->leaf_data_hash[c->n_leaves++], h, MERKLE_HASH_LEN);
		return OK;
	}
	if (streq(fl[0], "checkpoint")) {
		struct checkpoint cp;

		if (k != 2 || decode(fl[1], &data, &len) < 0)
			return USAGE;
		e = add_checkpoint(c, (char *)data, len, &cp);
		free(data);
		if (e == OK)
			checkpoint_done(&cp);
		return e;
	}
	if (streq(fl[0], "inclusion") || streq(fl[0], "consistency")) {
		bool incl = streq(fl[0], "inclusion");
		size_t first = incl ? 4 : 3;
		uint64_t a, b;
		uint8_t leaf[MERKLE_HASH_LEN];
		const uint8_t *ra, *rb;

		if (k < first || k - first > MERKLE_MAX_PROOF + 1 ||
		    parse_u64(fl[1], &a) < 0 || parse_u64(fl[2], &b) < 0 ||
		    (incl && decode_hash(fl[3], leaf) < 0))
			return USAGE;
		for (size_t i = first; i < k; i++)
			if (decode_hash(fl[i], proof[i - first]) < 0)
				return USAGE;
		len = k - first;
		rb = find_root(c, b);
		ra = incl ? NULL : find_root(c, a);
		if (!rb || (!incl && !ra))
			return USAGE;
		if (incl && a < c->n_leaves &&
		    memcmp(leaf, c->leaf_data_hash[a], MERKLE_HASH_LEN) != 0) {
			fprintf(stderr, "leaf hash %" PRIu64 " differs\n", a);
			return FAIL;
		}
		e = incl ? merkle_verify_inclusion(leaf, a, b,
		    (const uint8_t (*)[MERKLE_HASH_LEN])proof, len, rb) :
			   merkle_verify_consistency(a, b,
		    (const uint8_t (*)[MERKLE_HASH_LEN])proof, len, ra, rb);
		if (e < 0) {
			fprintf(stderr, "%s %" PRIu64 " %" PRIu64 ": %s\n",
			    fl[0], a, b, strerror(-e));
			return FAIL;
		}
		if (b <= c->n_leaves) {
			e = incl ? merkle_inclusion_proof(&r, a, b, want, &wlen) :
				   merkle_consistency_proof(&r, a, b, want,
			    &wlen);
			if (e < 0 || wlen != len ||
			    memcmp(want, proof, len * MERKLE_HASH_LEN) != 0) {
				fprintf(stderr, "%s %" PRIu64 " %" PRIu64
				    ": differs from our proof\n", fl[0], a, b);
				return FAIL;
			}
		}
		c->checked++;
		return OK;
	}
	if (streq(fl[0], "receipt")) {
		struct tlog_proof *p;
		struct checkpoint cp;

		if (k != 2 || decode(fl[1], &data, &len) < 0)
			return USAGE;
		e = tlog_proof_parse((char *)data, len, &p);
		free(data);
		if (e < 0) {
			fprintf(stderr, "receipt: %s\n", strerror(-e));
			return FAIL;
		}
		if (p->index >= c->n_leaves) {
			tlog_proof_free(p);
			return USAGE;
		}
		e = add_checkpoint(c, p->checkpoint, p->checkpoint_len, &cp);
		if (e == OK) {
			checkpoint_done(&cp);
			e = tlog_proof_verify(p, c->leaf_data_hash[p->index],
			    &c->v, 1, c->v.name, NULL);
			if (e < 0)
				fprintf(stderr, "receipt %" PRIu64 ": %s\n",
				    p->index, strerror(-e));
			e = e < 0 ? FAIL : OK;
		}
		tlog_proof_free(p);
		if (e == OK)
			c->checked++;
		return e;
	}
	return USAGE;
}

static int
check(const char *path)
{
	struct checker c = { .have_key = false };
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int e = OK;
	FILE *f = fopen(path, "re");

	if (!f) {
		perror(path);
		return USAGE;
	}
	if (merkle_memtree_new(&c.t) < 0)
		abort();
	while (e == OK && getline(&line, &cap, f) > 0) {
		char *fl[MERKLE_MAX_PROOF + 8], *p = line;
		size_t k = 0;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		/* Fields are separated by single spaces. */
		while (p && k < ELEMENTSOF(fl))
			fl[k++] = strsep(&p, " ");
		if (p) {
			fprintf(stderr, "%s:%u: too many fields\n", path, lineno);
			e = USAGE;
			break;
		}
		e = check_line(&c, fl, k);
		if (e != OK)
			fprintf(stderr, "%s:%u: %s\n", path, lineno,
			    e == FAIL ? "verification failed" : "bad line");
	}
	if (e == OK)
		printf("tlog_interop: %s: %u proofs valid (%zu leaves)\n", path,
		    c.checked, c.n_leaves);
	free(line);
	fclose(f);
	merkle_memtree_free(c.t);
	free(c.leaf_data_hash);
	return e;
}

int
main(int argc, char **argv)
{
	uint64_t n;

	if (argc == 4 && streq(argv[1], "gen") &&
	    parse_u64(argv[2], &n) == 0 && n >= 1 && n <= 10000000)
		return gen(n, argv[3]);
	if (argc == 3 && streq(argv[1], "check"))
		return check(argv[2]);
	fprintf(stderr, "usage: %s gen N FILE | %s check FILE\n", argv[0],
	    argv[0]);
	return USAGE;
}
