/* Fuzzes the Merkle proof verifiers (lib/merkle.c) on arbitrary sizes,
 * indexes, hashes and proofs, and checks that a real proof, changed by the
 * input, verifies only when the change changed nothing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

#define HLEN MERKLE_HASH_LEN
#define TREE 300

static struct merkle_memtree *tree;
static uint8_t roots[TREE + 1][HLEN];
static uint8_t leaves[TREE][HLEN];

static uint64_t
take_u64(const uint8_t **data, size_t *size)
{
	uint64_t v = 0;

	for (int i = 0; i < 8 && *size > 0; i++, (*data)++, (*size)--)
		v = v << 8 | **data;
	return v;
}

static void
setup(void)
{
	struct merkle_hash_reader r;

	if (merkle_memtree_new(&tree) < 0)
		FAIL();
	for (uint64_t i = 0; i < TREE; i++) {
		merkle_leaf_hash(&i, sizeof(i), leaves[i]);
		if (merkle_memtree_append(tree, leaves[i]) < 0)
			FAIL();
	}
	r = merkle_memtree_reader(tree);
	for (uint64_t n = 0; n <= TREE; n++)
		if (merkle_tree_hash(&r, n, roots[n]) < 0)
			FAIL();
}

/* Arbitrary parameters: the verifiers return 0, -EBADMSG or -EINVAL and
 * agree with each other. */
static void
raw(const uint8_t *data, size_t size)
{
	uint8_t proof[MERKLE_MAX_PROOF + 2][HLEN], a[HLEN] = { 0 }, b[HLEN] = {
		0
	}, got[HLEN];
	uint64_t x = take_u64(&data, &size), y = take_u64(&data, &size);
	size_t len;
	int r, r2, level;
	uint64_t n;

	if (size >= 2 * HLEN) {
		memcpy(a, data, HLEN);
		memcpy(b, data + HLEN, HLEN);
		data += 2 * HLEN;
		size -= 2 * HLEN;
	}
	len = MIN(size / HLEN, (size_t)MERKLE_MAX_PROOF + 2);
	memcpy(proof, data, len * HLEN);

	r = merkle_verify_inclusion(a, x, y, proof, len, b);
	r2 = merkle_root_from_inclusion(a, x, y, proof, len, got);
	if ((r != 0 && r != -EBADMSG && r != -EINVAL) ||
	    (r == 0 && (r2 != 0 || memcmp(got, b, HLEN) != 0)) ||
	    (r2 == 0 && r != 0 && memcmp(got, b, HLEN) == 0) ||
	    (r == -EINVAL) != (r2 == -EINVAL))
		FAIL();
	r = merkle_verify_consistency(x, y, proof, len, a, b);
	if (r != 0 && r != -EBADMSG && r != -EINVAL)
		FAIL();
	if (r == 0 && x != y && merkle_consistency_proof_len(x, y) != (int)len)
		FAIL();
	/* Small versions of the same sizes hit the interesting paths. */
	r = merkle_verify_inclusion(a, x % 70, y % 70, proof, len, b);
	r = merkle_verify_consistency(x % 70, y % 70, proof, len, a, b);
	(void)r;

	if (merkle_split_stored_hash_index(x, &level, &n) == 0 &&
	    merkle_stored_hash_index(level, n) != x)
		FAIL();
	if (merkle_stored_hash_index((int)(y % 70) - 3, x >> (y % 64)) !=
	    UINT64_MAX &&
	    (merkle_split_stored_hash_index(merkle_stored_hash_index(
	    (int)(y % 70) - 3, x >> (y % 64)), &level, &n) < 0 ||
	    level != (int)(y % 70) - 3 || n != x >> (y % 64)))
		FAIL();
}

/* A real proof from a 300-leaf tree, changed by the input. */
static void
mutated(const uint8_t *data, size_t size)
{
	struct merkle_hash_reader r = merkle_memtree_reader(tree);
	uint8_t proof[MERKLE_MAX_PROOF + 1][HLEN], orig[MERKLE_MAX_PROOF][HLEN];
	uint64_t x, y, i, n, m;
	size_t len, olen;
	int res;

	if (size < 4)
		return;
	x = (uint64_t)data[0] << 8 | data[1];
	y = (uint64_t)data[2] << 8 | data[3];
	data += 4;
	size -= 4;
	n = 1 + y % TREE;
	i = x % n;
	m = 1 + x % n;

	if (merkle_inclusion_proof(&r, i, n, orig, &olen) < 0 ||
	    merkle_verify_inclusion(leaves[i], i, n, orig, olen, roots[n]) < 0)
		FAIL();
	memcpy(proof, orig, sizeof(orig));
	len = olen;
	/* Each following byte pair: XOR byte 1 at offset byte 0, or with
	 * offset 0xff, change the length. */
	for (; size >= 2; data += 2, size -= 2) {
		if (data[0] == 0xff)
			len = data[1] % (MERKLE_MAX_PROOF + 1);
		else if (len > 0)
			proof[(data[0] / HLEN) % len][data[0] % HLEN] ^= data[1];
	}
	res = merkle_verify_inclusion(leaves[i], i, n, proof, len, roots[n]);
	if ((res == 0) != (len == olen && memcmp(proof, orig,
	    len * HLEN) == 0))
		FAIL();

	if (merkle_consistency_proof(&r, m, n, orig, &olen) < 0 ||
	    merkle_verify_consistency(m, n, orig, olen, roots[m], roots[n]) < 0)
		FAIL();
	res = merkle_verify_consistency(m, n, proof, len, roots[m], roots[n]);
	if (res == 0 && (len != olen || memcmp(proof, orig, len * HLEN) != 0))
		FAIL();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tree)
		setup();
	if (size > 16 + (MERKLE_MAX_PROOF + 4) * HLEN)
		return 0;
	raw(data, size);
	mutated(data, size);
	return 0;
}
