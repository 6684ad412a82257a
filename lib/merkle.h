/* RFC 6962 / RFC 9162 Merkle trees: hashing, proofs from stored subtree
 * hashes, proof verification, and an in-memory compact range. */
#ifndef CONSENTD_MERKLE_H
#define CONSENTD_MERKLE_H

#include "macro.h"

#define MERKLE_HASH_LEN 32
/* No valid proof is longer: an inclusion proof has at most 63 hashes and a
 * consistency proof at most 64 for a tree of at most MERKLE_MAX_TREE_SIZE. */
#define MERKLE_MAX_PROOF 64
/* Sizes and indexes are at most INT64_MAX, like Go's sumdb/tlog (int64) and
 * SQLite's INTEGER, so that every stored hash index fits in a uint64_t. */
#define MERKLE_MAX_TREE_SIZE ((uint64_t)INT64_MAX)
/* Appending one leaf stores the leaf hash plus one hash per subtree that the
 * leaf completes (1 + the number of trailing one bits of its index). */
#define MERKLE_MAX_STORED_PER_LEAF 64

/*
 * Hashing (RFC 9162 §2.1.1). The tree of size 0 has the root SHA-256(""),
 * as in RFC 9162 and C2SP tlog-checkpoint (Go's sumdb/tlog returns an
 * all-zero hash instead; never compare the two).
 */
void merkle_leaf_hash(const void *data, size_t len,
    uint8_t out[MERKLE_HASH_LEN]);
void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN],
    const uint8_t right[MERKLE_HASH_LEN], uint8_t out[MERKLE_HASH_LEN]);
void merkle_empty_root(uint8_t out[MERKLE_HASH_LEN]);

/* A reusable hashing context: faster than the functions above when hashing
 * many leaves or nodes in a row. Not thread-safe: one per thread. */
struct merkle_hasher;
int merkle_hasher_new(struct merkle_hasher **ret);
void merkle_hasher_free(struct merkle_hasher *h);
void merkle_hasher_leaf(struct merkle_hasher *h, const void *data, size_t len,
    uint8_t out[MERKLE_HASH_LEN]);
void merkle_hasher_node(struct merkle_hasher *h,
    const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
    uint8_t out[MERKLE_HASH_LEN]);
#define _cleanup_merkle_hasher_ _cleanup_(merkle_hasher_freep)
static inline void
merkle_hasher_freep(struct merkle_hasher **h)
{
	merkle_hasher_free(*h);
}

/*
 * Stored hashes (the layout of Go's golang.org/x/mod/sumdb/tlog, after
 * Crosby and Wallach). A log stores, append-only, the hash of every complete
 * subtree as soon as it is complete: level 0 index n is the leaf hash of leaf
 * n; level L index n is the subtree over leaves [n*2^L, (n+1)*2^L). They are
 * numbered densely in the order they are written: appending leaf n writes
 * merkle_stored_hash_index(0, n) and the following indexes, in the order of
 * merkle_stored_hashes_for_leaf(). Any root or proof then needs O(log n) of
 * them.
 */

/* Position of subtree (level, n) in the stored order; UINT64_MAX if level is
 * not in [0, 62] or the subtree does not fit in the first
 * MERKLE_MAX_TREE_SIZE leaves. */
uint64_t merkle_stored_hash_index(int level, uint64_t n);
/* Inverse of merkle_stored_hash_index(); -EINVAL for an index no tree of at
 * most MERKLE_MAX_TREE_SIZE leaves uses. */
int merkle_split_stored_hash_index(uint64_t index, int *ret_level,
    uint64_t *ret_n);
/* Number of hashes stored for a tree of n_leaves leaves (0 for 0);
 * UINT64_MAX if n_leaves > MERKLE_MAX_TREE_SIZE. */
uint64_t merkle_stored_hash_count(uint64_t n_leaves);

/* Reads stored hashes. read() gets indexes in strictly increasing order, each
 * below merkle_stored_hash_count() of the tree being read, and must fill
 * ret[i] with the hash stored at indexes[i] for every i, or return -errno
 * (which is passed on to the caller). Every function below makes at most one
 * read() call, and none when it needs no hash. */
struct merkle_hash_reader {
	void *userdata;
	int (*read)(void *userdata, const uint64_t *indexes, size_t n,
	    uint8_t (*ret)[MERKLE_HASH_LEN]);
};

/* The hashes to store when appending leaf `index` (so the tree had `index`
 * leaves before): ret[0] is leaf_hash, then each completed parent, lowest
 * first. ret must hold MERKLE_MAX_STORED_PER_LEAF hashes; they go at stored
 * indexes merkle_stored_hash_index(0, index) + 0, 1, ... *ret_n - 1. Reads
 * the left siblings (as many as the trailing one bits of index). */
int merkle_stored_hashes_for_leaf(uint64_t index,
    const uint8_t leaf_hash[MERKLE_HASH_LEN],
    const struct merkle_hash_reader *reader, uint8_t (*ret)[MERKLE_HASH_LEN],
    size_t *ret_n);

/* MTH(D[0:n]), the root of the first n leaves (SHA-256("") for n = 0).
 * -EINVAL if n > MERKLE_MAX_TREE_SIZE. */
int merkle_tree_hash(const struct merkle_hash_reader *reader, uint64_t n,
    uint8_t out[MERKLE_HASH_LEN]);
/* RFC 9162 §2.1.3.1 PATH(index, D[0:n]). proof must hold MERKLE_MAX_PROOF
 * hashes; the leaf's sibling comes first. -EINVAL unless index < n <=
 * MERKLE_MAX_TREE_SIZE. */
int merkle_inclusion_proof(const struct merkle_hash_reader *reader,
    uint64_t index, uint64_t n, uint8_t (*proof)[MERKLE_HASH_LEN],
    size_t *ret_len);
/* RFC 9162 §2.1.4.1 PROOF(m, D[0:n]); empty when m == n. -EINVAL unless
 * 0 < m <= n <= MERKLE_MAX_TREE_SIZE (a proof from the empty tree means
 * nothing: every tree extends it). */
int merkle_consistency_proof(const struct merkle_hash_reader *reader,
    uint64_t m, uint64_t n, uint8_t (*proof)[MERKLE_HASH_LEN],
    size_t *ret_len);

/* Expected number of hashes in a valid proof; -EINVAL for the parameters the
 * functions above reject. */
int merkle_inclusion_proof_len(uint64_t index, uint64_t n);
int merkle_consistency_proof_len(uint64_t m, uint64_t n);

/*
 * Verification (RFC 9162 §2.1.3.2 and §2.1.4.2). Pure functions: 0 when the
 * proof is valid, -EBADMSG when it is not (wrong hash, wrong number of
 * hashes), -EINVAL when the parameters admit no proof at all (index >= size,
 * m == 0, m > n, a size above MERKLE_MAX_TREE_SIZE, or a NULL pointer).
 * Note that a proof may also be valid for another size with the same path
 * shape: the size is bound to the root by a signed checkpoint, not by the
 * proof.
 */
int merkle_verify_inclusion(const uint8_t leaf_hash[MERKLE_HASH_LEN],
    uint64_t index, uint64_t size, const uint8_t (*proof)[MERKLE_HASH_LEN],
    size_t proof_len, const uint8_t root[MERKLE_HASH_LEN]);
/* m == n: valid iff the proof is empty and the roots are equal. */
int merkle_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t (*proof)[MERKLE_HASH_LEN], size_t proof_len,
    const uint8_t root_m[MERKLE_HASH_LEN],
    const uint8_t root_n[MERKLE_HASH_LEN]);
/* The root that an inclusion proof implies for (leaf_hash, index, size), for
 * callers that look the root up afterwards; same errors as above. */
int merkle_root_from_inclusion(const uint8_t leaf_hash[MERKLE_HASH_LEN],
    uint64_t index, uint64_t size, const uint8_t (*proof)[MERKLE_HASH_LEN],
    size_t proof_len, uint8_t ret_root[MERKLE_HASH_LEN]);

/*
 * Compact range ("frontier"): the hashes of the complete subtrees covering
 * [0, size), one per set bit of size, largest first. O(log n) memory and on
 * average two hashes per appended leaf: the fast way to recompute the root
 * of a whole exported log, or to keep the current root of a live one.
 */
struct merkle_frontier;
int merkle_frontier_new(struct merkle_frontier **ret);
/* Loads the frontier of the first n leaves from stored hashes (one read of
 * popcount(n) hashes), to continue appending to an existing log. */
int merkle_frontier_new_from_reader(const struct merkle_hash_reader *reader,
    uint64_t n, struct merkle_frontier **ret);
void merkle_frontier_free(struct merkle_frontier *f);
uint64_t merkle_frontier_size(const struct merkle_frontier *f);
/* -EOVERFLOW once size reaches MERKLE_MAX_TREE_SIZE. */
int merkle_frontier_append(struct merkle_frontier *f,
    const uint8_t leaf_hash[MERKLE_HASH_LEN]);
/* Hashes data as a leaf (SHA-256(0x00 || data)) and appends it. */
int merkle_frontier_append_data(struct merkle_frontier *f, const void *data,
    size_t len);
/* Like merkle_frontier_append(), and also returns the hashes to store for the
 * new leaf, exactly as merkle_stored_hashes_for_leaf() would, without reading
 * any: ret must hold MERKLE_MAX_STORED_PER_LEAF hashes. */
int merkle_frontier_append_stored(struct merkle_frontier *f,
    const uint8_t leaf_hash[MERKLE_HASH_LEN], uint8_t (*ret)[MERKLE_HASH_LEN],
    size_t *ret_n);
/* MTH of the leaves appended so far (SHA-256("") when none). */
void merkle_frontier_root(struct merkle_frontier *f,
    uint8_t out[MERKLE_HASH_LEN]);
#define _cleanup_merkle_frontier_ _cleanup_(merkle_frontier_freep)
static inline void
merkle_frontier_freep(struct merkle_frontier **f)
{
	merkle_frontier_free(*f);
}

/*
 * An in-memory stored-hash array (about 64 bytes per leaf), with a reader:
 * proofs over an exported log in tools and tests, where SQLite is not used.
 */
struct merkle_memtree;
int merkle_memtree_new(struct merkle_memtree **ret);
void merkle_memtree_free(struct merkle_memtree *t);
uint64_t merkle_memtree_size(const struct merkle_memtree *t);
int merkle_memtree_append(struct merkle_memtree *t,
    const uint8_t leaf_hash[MERKLE_HASH_LEN]);
/* Valid while t lives; its read() returns -ENOENT past the stored hashes. */
struct merkle_hash_reader merkle_memtree_reader(struct merkle_memtree *t);
#define _cleanup_merkle_memtree_ _cleanup_(merkle_memtree_freep)
static inline void
merkle_memtree_freep(struct merkle_memtree **t)
{
	merkle_memtree_free(*t);
}

#endif
