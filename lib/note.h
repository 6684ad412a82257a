/* C2SP signed notes (Ed25519), tlog-checkpoints and tlog-proofs. */
#ifndef CONSENTD_NOTE_H
#define CONSENTD_NOTE_H

#include "macro.h"
#include "merkle.h"

/*
 * Signed notes: c2sp.org/signed-note, as implemented by Go's
 * golang.org/x/mod/sumdb/note (which produced our test vectors).
 *
 *	<text, ending in "\n">
 *	<blank line>
 *	— <key name> <base64(key ID (4 bytes, big-endian) || signature)>
 *	...
 *
 * The em dash is U+2014. A note is valid UTF-8 without ASCII control
 * characters other than "\n"; the text is split from the signatures at the
 * last blank line. Key names are non-empty valid UTF-8 without Unicode white
 * space or '+'. Base64 is RFC 4648 §4, padded; we decode strictly (Go
 * tolerates non-zero trailing bits, which no encoder produces).
 *
 * Only Ed25519 keys (signature type 0x01) are supported:
 *	key ID = SHA-256(name || "\n" || 0x01 || public key)[:4]
 *	verifier key: <name>+<key ID, 8 hex digits>+<base64(0x01 || public key)>
 *	signer key:   PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>
 * (the signer key format is Go's note.NewSigner, not part of C2SP).
 *
 * Errors: -EINVAL for a malformed key, name or argument; -EBADMSG for a
 * malformed note, checkpoint or proof; -E2BIG past the size limits; -ENOKEY
 * when no signature of a known key is present; -EKEYREJECTED when a known
 * key's signature does not verify (the whole note is then rejected, as
 * Go's note.Open does and C2SP recommends); -ENOMEM.
 */

#define NOTE_MAX_SIZE (1024 * 1024)   /* bytes in a whole signed note */
#define NOTE_MAX_SIGNATURES 100       /* signature lines, as in Go */
#define NOTE_NAME_MAX 255             /* bytes in the name of a key we hold */
#define NOTE_ALG_ED25519 0x01
#define NOTE_PUBLIC_KEY_LEN 32
#define NOTE_SEED_LEN 32

/* A public key that notes are checked against. A value: copy it freely. */
struct note_verifier {
	char name[NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t public_key[NOTE_PUBLIC_KEY_LEN];
};

/* A private key. Holds a secret: clear with note_signer_wipe(), or declare
 * with _cleanup_note_signer_. */
struct note_signer {
	char name[NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t seed[NOTE_SEED_LEN];
	uint8_t public_key[NOTE_PUBLIC_KEY_LEN];
};

/* True when name is a valid key name (len bytes, NUL not allowed). */
bool note_name_is_valid(const char *name, size_t len);
/* The Ed25519 key ID: SHA-256(name || "\n" || 0x01 || pub)[:4], big-endian.
 * -EINVAL for an invalid name or one longer than NOTE_NAME_MAX. */
int note_key_id(const char *name, const uint8_t pub[NOTE_PUBLIC_KEY_LEN],
    uint32_t *ret);

int note_verifier_from_public(const char *name,
    const uint8_t pub[NOTE_PUBLIC_KEY_LEN], struct note_verifier *ret);
/* Parses "<name>+<id>+<key>"; checks the key ID against name and key. */
int note_verifier_parse(const char *vkey, struct note_verifier *ret);
/* *ret is malloc'd; the caller frees it. */
int note_verifier_format(const struct note_verifier *v, char **ret);

/* A fresh key from the system RNG. */
int note_signer_generate(const char *name, struct note_signer *ret);
int note_signer_from_seed(const char *name, const uint8_t seed[NOTE_SEED_LEN],
    struct note_signer *ret);
/* Parses "PRIVATE+KEY+<name>+<id>+<seed>"; checks the key ID. */
int note_signer_parse(const char *skey, struct note_signer *ret);
/* *ret is malloc'd and secret: free it with note_secret_free(). */
int note_signer_format(const struct note_signer *s, char **ret);
void note_signer_verifier(const struct note_signer *s,
    struct note_verifier *ret);
void note_signer_wipe(struct note_signer *s);
/* Wipes and frees a NUL-terminated secret string; accepts NULL. */
void note_secret_free(char *s);
#define _cleanup_note_signer_ _cleanup_(note_signer_wipe)

/* Signs text (NUL-terminated, ending in "\n", itself valid note text) with
 * each signer in turn. *ret is the malloc'd, NUL-terminated note. */
int note_sign(const char *text, const struct note_signer *signers,
    size_t n_signers, char **ret);

struct note_signature {
	char *name;        /* owned */
	uint32_t key_id;
	uint8_t *sig;      /* owned: the signature after the key ID */
	size_t sig_len;
	bool verified;     /* by one of the verifiers passed to note_open() */
};

struct note {
	char *text;        /* owned, NUL-terminated, ends in "\n" */
	size_t text_len;
	/* In note order, without duplicates (a repeated key, or a repeated
	 * line of an unknown key, is listed once, as Go does). */
	struct note_signature *sigs;
	size_t n_sigs;
	size_t n_verified;
};

/* Parses msg (len bytes, at most NOTE_MAX_SIZE) and checks every signature
 * whose (name, key ID) matches one of the verifiers; signatures by unknown
 * keys are kept unverified. Succeeds when at least one signature verified
 * and none by a known key failed. -EINVAL when a signature matches several
 * verifiers (same name and key ID), as Go does. On success *ret is the note (free with note_free()). */
int note_open(const char *msg, size_t len, const struct note_verifier *verifiers,
    size_t n_verifiers, struct note **ret);
void note_free(struct note *n);
#define _cleanup_note_ _cleanup_(note_freep)
static inline void
note_freep(struct note **n)
{
	note_free(*n);
}

/*
 * Checkpoints: c2sp.org/tlog-checkpoint. The note text is
 *
 *	<origin>\n<tree size, ASCII decimal>\n<base64 root hash>\n[extension lines]
 *
 * Parsing is strict: the origin is non-empty; the size has no sign, no
 * leading zero (except "0" itself) and fits a uint64_t; the root decodes to
 * exactly 32 bytes; the tree of size 0 has root SHA-256(""); extension lines
 * are non-empty (they are accepted and ignored). The key name SHOULD match
 * the origin but need not (sum.golang.org's does not).
 */

/* *ret is the malloc'd text. -EINVAL for an origin that is empty, not valid
 * UTF-8, holds a control character, or for size 0 with another root. */
int checkpoint_format(const char *origin, uint64_t size,
    const uint8_t root[MERKLE_HASH_LEN], char **ret);
/* text is NUL-terminated (note_open() returns it so). ret_origin may be NULL;
 * otherwise *ret_origin is malloc'd. Outputs are set only on success. */
int checkpoint_parse(const char *text, char **ret_origin, uint64_t *ret_size,
    uint8_t ret_root[MERKLE_HASH_LEN]);

struct checkpoint {
	char *origin;      /* owned */
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
};
void checkpoint_done(struct checkpoint *c);

/* Formats and signs a checkpoint: *ret is the malloc'd signed note. */
int checkpoint_sign(const char *origin, uint64_t size,
    const uint8_t root[MERKLE_HASH_LEN], const struct note_signer *signer,
    char **ret);
/* note_open() + checkpoint_parse() + origin check (origin NULL: any origin;
 * a different one is -EBADMSG). ret may be NULL; otherwise release it with
 * checkpoint_done(). */
int checkpoint_open(const char *msg, size_t len,
    const struct note_verifier *verifiers, size_t n_verifiers,
    const char *origin, struct checkpoint *ret);

/*
 * Inclusion receipts: c2sp.org/tlog-proof, what a data subject keeps.
 *
 *	c2sp.org/tlog-proof@v1\n
 *	[extra <base64 opaque data, unauthenticated>\n]
 *	index <leaf index, ASCII decimal, no leading zero>\n
 *	<base64 inclusion proof hash>\n      (zero or more, leaf's sibling first)
 *	\n
 *	<the signed checkpoint note, verbatim>
 */
#define TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"
#define TLOG_PROOF_MAX_SIZE (NOTE_MAX_SIZE + 64 * 1024)
#define TLOG_PROOF_EXTRA_MAX (16 * 1024)

struct tlog_proof {
	uint8_t *extra;    /* owned; NULL when absent */
	size_t extra_len;
	uint64_t index;
	uint8_t hash[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	size_t n_hashes;
	char *checkpoint;  /* owned, NUL-terminated signed note */
	size_t checkpoint_len;
};

/* *ret is the malloc'd, NUL-terminated text. */
int tlog_proof_format(const struct tlog_proof *p, char **ret);
/* Checks the syntax only (the checkpoint is not opened). *ret is freed with
 * tlog_proof_free(). */
int tlog_proof_parse(const char *text, size_t len, struct tlog_proof **ret);
void tlog_proof_free(struct tlog_proof *p);
#define _cleanup_tlog_proof_ _cleanup_(tlog_proof_freep)
static inline void
tlog_proof_freep(struct tlog_proof **p)
{
	tlog_proof_free(*p);
}
/* Opens the checkpoint with the verifiers (and origin, if not NULL) and
 * checks that leaf_hash is at p->index in it: 0, or the errors of
 * checkpoint_open() and merkle_verify_inclusion(). ret_checkpoint may be
 * NULL; otherwise release it with checkpoint_done(). */
int tlog_proof_verify(const struct tlog_proof *p,
    const uint8_t leaf_hash[MERKLE_HASH_LEN],
    const struct note_verifier *verifiers, size_t n_verifiers,
    const char *origin, struct checkpoint *ret_checkpoint);

#endif
