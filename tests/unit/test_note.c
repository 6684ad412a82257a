/* Unit tests for lib/note.c: Go's and C2SP's published notes, the project's
 * checkpoint vectors (byte-identical to Go's note.Sign), rejections,
 * checkpoints and tlog-proofs. Vectors: shared/reference/tlog-vectors.md. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "codec.h"
#include "merkle.h"
#include "note.h"

/* golang.org/x/mod/sumdb/note note_test.go / example_test.go */
#define PETER_SKEY                                                             \
	"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_TEXT                                                             \
	"If you think cryptography is the answer to your problem,\n"           \
	"then you don't know what your problem is.\n"
#define PETER_SIG                                                              \
	"\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZIn" \
	"NIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SKEY                                                             \
	"PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define ENOCH_SIG                                                              \
	"\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2t" \
	"iOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

/* The project's test log key (tlog-vectors.md §6). */
#define LOG_NAME "example.com/consent-ledger"
#define LOG_VKEY LOG_NAME "+9f54db07+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define LOG_SKEY                                                               \
	"PRIVATE+KEY+" LOG_NAME                                                \
	"+9f54db07+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define ROOT8_B64 "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
#define CP8_TEXT LOG_NAME "\n8\n" ROOT8_B64 "\n"
#define CP8_SIG                                                                \
	"\xe2\x80\x94 " LOG_NAME " n1TbB/PMmHbWt/POO+SIDZzxnT3YqXZoUzk+fxbLWHlYFg" \
	"CHKxWiAu+uUBZo6dFxqquIGIMApstqVlXMxK8HT3MZzgw=\n"
#define CP8 CP8_TEXT "\n" CP8_SIG
#define CP8_ENOCH_SIG                                                          \
	"\xe2\x80\x94 EnochRoot rwz+eDXMvsMUkCzEBMXQXMNkKOF8f2QSKG3Z6FBxUlqQNT0Ii" \
	"b7REx8uu3836kUcfU1qiKpqo1LuaSIX8EmkcBsk7QE=\n"
#define CP8_WITNESS_SIG                                                        \
	"\xe2\x80\x94 witness.example/w1 dzpsEgAAAABlU/EAsfKmdxy7ACnigKoACrFLn/X" \
	"Wz9k6L6HTJyKNvTtA4sV9f1eNVKgSFgKj6DHRvmwpp41crB6tsLIaxDH5M55cDA==\n"

static void
verifier(const char *vkey, struct note_verifier *v)
{
	assert_int_equal(note_verifier_parse(vkey, v), 0);
}

static int
open_with(const char *msg, const struct note_verifier *v, size_t n,
    struct note **ret)
{
	struct note *tmp = NULL;
	int r = note_open(msg, strlen(msg), v, n, ret ? ret : &tmp);

	note_free(tmp);
	return r;
}

/* Appends s to buf at *at (buf holds cap bytes). */
static void
put(char *buf, size_t cap, size_t *at, const char *s)
{
	int n = snprintf(buf + *at, cap - *at, "%s", s);

	assert_true(n >= 0 && (size_t)n < cap - *at);
	*at += (size_t)n;
}

static char *
cat(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

static void
t_keys(void **state)
{
	struct note_signer s;
	struct note_verifier v, v2;
	char *str;
	static const struct {
		const char *skey, *vkey;
	} pairs[] = {
		{ PETER_SKEY, PETER_VKEY },
		{ ENOCH_SKEY, ENOCH_VKEY },
		{ LOG_SKEY, LOG_VKEY },
		/* transparency-dev/formats log/note_test.go */
		{ "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",
		    "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs" },
		{ "PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci",
		    "Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH" },
	};

	for (size_t i = 0; i < ELEMENTSOF(pairs); i++) {
		assert_int_equal(note_signer_parse(pairs[i].skey, &s), 0);
		assert_int_equal(note_signer_format(&s, &str), 0);
		assert_string_equal(str, pairs[i].skey);
		note_secret_free(str);
		note_signer_verifier(&s, &v);
		assert_int_equal(note_verifier_format(&v, &str), 0);
		assert_string_equal(str, pairs[i].vkey);
		free(str);
		verifier(pairs[i].vkey, &v2);
		assert_memory_equal(&v, &v2, sizeof(v));
		note_signer_wipe(&s);
	}
	verifier(LOG_VKEY, &v);
	assert_string_equal(v.name, LOG_NAME);
	assert_int_equal(v.key_id, 0x9f54db07);

	/* The test log key from its seed 00..1f. */
	uint8_t seed[32], pub[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	assert_int_equal(note_signer_from_seed(LOG_NAME, seed, &s), 0);
	assert_int_equal(s.key_id, 0x9f54db07);
	assert_int_equal(hex_decode("03a107bff3ce10be1d70dd18e74bc09967e4d6309b"
	    "a50d5f1ddc8664125531b8", 64, pub, 32), 0);
	assert_memory_equal(s.public_key, pub, 32);
	assert_int_equal(note_verifier_from_public(LOG_NAME, pub, &v2), 0);
	verifier(LOG_VKEY, &v);
	assert_memory_equal(&v, &v2, sizeof(v));
	note_signer_wipe(&s);
	for (size_t i = 0; i < sizeof(s); i++)
		assert_int_equal(((uint8_t *)&s)[i], 0);

	/* Generated keys round-trip. */
	assert_int_equal(note_signer_generate("gen.example/x", &s), 0);
	assert_int_equal(note_signer_format(&s, &str), 0);
	{
		struct note_signer s2;
		assert_int_equal(note_signer_parse(str, &s2), 0);
		assert_memory_equal(&s, &s2, sizeof(s));
		note_signer_wipe(&s2);
	}
	note_secret_free(str);
	note_signer_wipe(&s);
	note_secret_free(NULL);
}

static void
t_bad_keys(void **state)
{
	struct note_verifier v;
	struct note_signer s;
	static const char *bad_vkeys[] = {
		/* golang.org/x/mod note_test.go: wrong key length, unknown
		 * algorithm (both with the key ID adjusted) */
		"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
		"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"",
		"PeterNeumann",
		"PeterNeumann+c74f20a3",
		"PeterNeumann+c74f20a3+",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a30+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
		"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	};
	static const char *bad_skeys[] = {
		"PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"PRIVATE+KEX+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"PRIVATE+KEY+PeterNeumann+c74f20a3+ZYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
		"PRIVATE+KEY+Peter+Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		PETER_VKEY,
		"",
	};
	char buf[128];

	for (size_t i = 0; i < ELEMENTSOF(bad_vkeys); i++)
		if (note_verifier_parse(bad_vkeys[i], &v) != -EINVAL)
			fail_msg("accepted vkey '%s'", bad_vkeys[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad_skeys); i++)
		if (note_signer_parse(bad_skeys[i], &s) != -EINVAL)
			fail_msg("accepted skey '%s'", bad_skeys[i]);
	/* Every truncation and every single-byte change of a valid vkey. */
	for (size_t len = 0; len < strlen(PETER_VKEY); len++) {
		snprintf(buf, sizeof(buf), "%.*s", (int)len, PETER_VKEY);
		assert_int_equal(note_verifier_parse(buf, &v), -EINVAL);
	}
	for (size_t i = 0; i < strlen(PETER_VKEY); i++) {
		snprintf(buf, sizeof(buf), "%s", PETER_VKEY);
		/* hex digits compare case-insensitively, as in Go */
		if (buf[i] >= 'a' && buf[i] <= 'f' && i > 12 && i < 21)
			continue;
		buf[i] ^= 0x01;
		if (note_verifier_parse(buf, &v) != -EINVAL)
			fail_msg("accepted vkey '%s'", buf);
	}
	assert_int_equal(note_verifier_parse("PeterNeumann+C74F20A3+ARpc2QcUP"
	    "DhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v), 0);

	/* Names: non-empty, UTF-8, no Unicode space, no '+'. */
	assert_true(note_name_is_valid("example.com/log", 15));
	assert_true(note_name_is_valid("h\xc3\xa9", 3));
	assert_false(note_name_is_valid("", 0));
	assert_false(note_name_is_valid("a+b", 3));
	assert_false(note_name_is_valid("a b", 3));
	assert_false(note_name_is_valid("a\tb", 3));
	assert_false(note_name_is_valid("a\xc2\xa0" "b", 4));  /* NBSP */
	assert_false(note_name_is_valid("a\xe2\x80\x83" "b", 5)); /* EM SPACE */
	assert_false(note_name_is_valid("a\xe3\x80\x80" "b", 5)); /* U+3000 */
	assert_false(note_name_is_valid("a\xff" "b", 3));
	assert_false(note_name_is_valid("a\xc0\xaf", 3)); /* overlong */
	assert_false(note_name_is_valid("a\xed\xa0\x80", 4)); /* surrogate */
	assert_false(note_name_is_valid("a\0b", 3));
	assert_int_equal(note_signer_generate("bad name", &s), -EINVAL);
	assert_int_equal(note_signer_generate("bad+name", &s), -EINVAL);
	{
		char longname[NOTE_NAME_MAX + 2];
		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_int_equal(note_signer_generate(longname, &s), -EINVAL);
		longname[NOTE_NAME_MAX] = '\0';
		assert_int_equal(note_signer_generate(longname, &s), 0);
		note_signer_wipe(&s);
	}
}

static void
t_go_vectors(void **state)
{
	struct note_verifier peter, enoch, both[2];
	struct note_signer signer[2];
	struct note *n = NULL;
	char *msg;

	verifier(PETER_VKEY, &peter);
	verifier(ENOCH_VKEY, &enoch);
	both[0] = peter;
	both[1] = enoch;

	/* Signing is deterministic: byte-identical to Go. */
	assert_int_equal(note_signer_parse(PETER_SKEY, &signer[0]), 0);
	assert_int_equal(note_signer_parse(ENOCH_SKEY, &signer[1]), 0);
	assert_int_equal(note_sign(PETER_TEXT, signer, 1, &msg), 0);
	assert_string_equal(msg, PETER_TEXT "\n" PETER_SIG);
	free(msg);
	assert_int_equal(note_sign(PETER_TEXT, signer, 2, &msg), 0);
	assert_string_equal(msg, PETER_TEXT "\n" PETER_SIG ENOCH_SIG);
	free(msg);
	note_signer_wipe(&signer[0]);
	note_signer_wipe(&signer[1]);

	assert_int_equal(open_with(PETER_TEXT "\n" PETER_SIG, &peter, 1, &n), 0);
	assert_string_equal(n->text, PETER_TEXT);
	assert_int_equal(n->text_len, strlen(PETER_TEXT));
	assert_int_equal(n->n_sigs, 1);
	assert_int_equal(n->n_verified, 1);
	assert_string_equal(n->sigs[0].name, "PeterNeumann");
	assert_int_equal(n->sigs[0].key_id, 0xc74f20a3);
	assert_int_equal(n->sigs[0].sig_len, 64);
	assert_true(n->sigs[0].verified);
	note_free(n);

	/* One verified, one unknown. */
	assert_int_equal(open_with(PETER_TEXT "\n" PETER_SIG ENOCH_SIG, &peter,
	    1, &n), 0);
	assert_int_equal(n->n_sigs, 2);
	assert_int_equal(n->n_verified, 1);
	assert_false(n->sigs[1].verified);
	assert_string_equal(n->sigs[1].name, "EnochRoot");
	note_free(n);
	/* Both verified. */
	assert_int_equal(open_with(PETER_TEXT "\n" PETER_SIG ENOCH_SIG, both, 2,
	    &n), 0);
	assert_int_equal(n->n_verified, 2);
	note_free(n);
	/* Neither known. */
	assert_int_equal(open_with(PETER_TEXT "\n" PETER_SIG ENOCH_SIG, NULL, 0,
	    NULL), -ENOKEY);
	assert_int_equal(open_with(PETER_TEXT "\n" ENOCH_SIG, &peter, 1, NULL),
	    -ENOKEY);

	/* Duplicated verifier: an error only when a signature needs it. */
	{
		struct note_verifier dup[3] = { enoch, peter, enoch };
		assert_int_equal(open_with(PETER_TEXT "\n" ENOCH_SIG, dup, 3,
		    NULL), -EINVAL);
		assert_int_equal(open_with(PETER_TEXT "\n" PETER_SIG, dup, 3,
		    NULL), 0);
	}

	/* Too many signatures (Go: more than 100). */
	{
		size_t cap = strlen(PETER_TEXT) + 2 + 101 * strlen(PETER_SIG);
		char *many = malloc(cap);
		size_t at = 0;
		assert_non_null(many);
		put(many, cap, &at, PETER_TEXT "\n");
		for (int i = 0; i < 101; i++)
			put(many, cap, &at, PETER_SIG);
		assert_int_equal(open_with(many, &peter, 1, NULL), -EBADMSG);
		assert_int_equal(open_with(many, NULL, 0, NULL), -EBADMSG);
		many[at - strlen(PETER_SIG)] = '\0';
		assert_int_equal(open_with(many, &peter, 1, &n), 0);
		assert_int_equal(n->n_sigs, 1); /* duplicates dropped */
		note_free(n);
		free(many);
	}

	/* Invalid signature by a known key rejects the whole note. */
	{
		char bad[512];
		snprintf(bad, sizeof(bad), "%s\n%.60sABCD%s", PETER_TEXT,
		    PETER_SIG, &PETER_SIG[60]);
		assert_int_equal(open_with(bad, &peter, 1, NULL), -EKEYREJECTED);
	}

	/* Duplicated verified and unverified signatures (Go's test). */
	{
		char bad[2048];
		snprintf(bad, sizeof(bad), "%s\n%s%s%s%s%.60sABCD%s", PETER_TEXT,
		    PETER_SIG, PETER_SIG, ENOCH_SIG, ENOCH_SIG, ENOCH_SIG,
		    &ENOCH_SIG[60]);
		assert_int_equal(open_with(bad, &peter, 1, &n), 0);
		assert_int_equal(n->n_verified, 1);
		assert_int_equal(n->n_sigs, 3); /* peter, enoch, enochABCD */
		note_free(n);
	}

	/* Go's malformed messages. */
	{
		char *bad[] = {
			cat(PETER_TEXT, "", ""),
			cat(PETER_TEXT, "\n", ""),
			cat(PETER_TEXT "\n", PETER_SIG, ""),
			cat("\x01", PETER_TEXT "\n", PETER_SIG),
			cat("\xff", PETER_TEXT "\n", PETER_SIG),
			cat(PETER_TEXT "\n", "\xe2\x80\x94 Bad Name x08go/ZJk"
			    "uBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC"
			    "2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", ""),
			cat(PETER_TEXT "\n", PETER_SIG, "Unexpected line.\n"),
		};
		bad[2][strlen(bad[2]) - 1] = '\0'; /* drop the final "\n" */
		for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
			if (open_with(bad[i], &peter, 1, NULL) != -EBADMSG)
				fail_msg("accepted bad message %zu", i);
			free(bad[i]);
		}
	}
}

static void
t_c2sp_and_sumdb(void **state)
{
	struct note_verifier v;
	struct checkpoint cp;
	char *origin;
	uint64_t size;
	uint8_t root[32], want[32];
	struct note *n;
	static const char sumdb[] =
	    "go.sum database tree\n6476701\n"
	    "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n"
	    "\xe2\x80\x94 sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnr"
	    "sa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n";

	/* C2SP signed-note.md example. */
	verifier("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrn"
	    "Kv3U2k", &v);
	assert_int_equal(open_with("This is an example message.\n\n"
	    "\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXp"
	    "pzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n", &v, 1,
	    &n), 0);
	assert_string_equal(n->text, "This is an example message.\n");
	note_free(n);

	/* A real sum.golang.org checkpoint: origin differs from key name. */
	verifier("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8"
	    "OuAn8", &v);
	assert_int_equal(checkpoint_open(sumdb, strlen(sumdb), &v, 1, NULL, &cp),
	    0);
	assert_string_equal(cp.origin, "go.sum database tree");
	assert_int_equal(cp.size, 6476701);
	checkpoint_done(&cp);
	assert_int_equal(checkpoint_open(sumdb, strlen(sumdb), &v, 1,
	    "sum.golang.org", NULL), -EBADMSG);
	assert_int_equal(checkpoint_open(sumdb, strlen(sumdb), &v, 1,
	    "go.sum database tree", NULL), 0);
	assert_int_equal(checkpoint_parse("go.sum database tree\n6476701\n"
	    "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n", &origin, &size,
	    root), 0);
	assert_int_equal(size, 6476701);
	free(origin);
	{
		uint8_t *d;
		size_t l;
		assert_int_equal(base64_decode("mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM"
		    "8oVikmm9Wk=", 44, &d, &l), 0);
		memcpy(want, d, 32);
		free(d);
	}
	assert_memory_equal(root, want, 32);
}

/* tlog-vectors.md §6: checkpoints signed by the test log key. */
static void
t_checkpoint_vectors(void **state)
{
	static const struct {
		uint64_t size;
		const char *root_hex, *note;
	} cps[] = {
		{ 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		    LOG_NAME "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
		    "\xe2\x80\x94 " LOG_NAME " n1TbB+u/mMmCwWdWpCBNfo45J61brGJsl"
		    "DRb92sYDl1dug719izkkX75F/TLQoP9IOFOv4ruy7Gfu1iAzMUjVrVmvw4=\n" },
		{ 1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		    LOG_NAME "\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n\n"
		    "\xe2\x80\x94 " LOG_NAME " n1TbBzZpqNb2WgRN/cD1r/DJegNQqNGHp"
		    "0pq+WOc19IRFxy6jL7ioy6uUlObaChJ6SQ/krPRFJYA61nY14V6V0tzJAE=\n" },
		{ 7, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		    LOG_NAME "\n7\n3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw=\n\n"
		    "\xe2\x80\x94 " LOG_NAME " n1TbB3HF08QfM5Wafsk6JjQGXxZXeF8mG"
		    "5Q3ofg8n6ZI2ro3CPLVan12PIF8eLekV81f0yB3OBiNzPoaQSsjZd8uPQE=\n" },
		{ 8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
		    CP8 },
		{ 130, "f05d2f5ef24c72dd70b0a8f28e576b3acaf944c00e014524c47aa42325d7d1c3",
		    LOG_NAME "\n130\n8F0vXvJMct1wsKjyjldrOsr5RMAOAUUkxHqkIyXX0cM=\n\n"
		    "\xe2\x80\x94 " LOG_NAME " n1TbB2T+9zvwiVX7tg+sDtgWGWNRsosa7"
		    "d00lKKireMTO9Zk9q5OhXo/8KQV2dqqvJOewtwSWiUchVzmbWXgZbKnTwM=\n" },
	};
	_cleanup_note_signer_ struct note_signer s;
	struct note_verifier v, enoch;
	struct checkpoint cp;
	struct note *n;
	char *msg;

	assert_int_equal(note_signer_parse(LOG_SKEY, &s), 0);
	verifier(LOG_VKEY, &v);
	verifier(ENOCH_VKEY, &enoch);
	for (size_t i = 0; i < ELEMENTSOF(cps); i++) {
		uint8_t root[32];

		assert_int_equal(hex_decode(cps[i].root_hex, 64, root, 32), 0);
		assert_int_equal(checkpoint_sign(LOG_NAME, cps[i].size, root, &s,
		    &msg), 0);
		assert_string_equal(msg, cps[i].note);
		free(msg);
		assert_int_equal(checkpoint_open(cps[i].note,
		    strlen(cps[i].note), &v, 1, LOG_NAME, &cp), 0);
		assert_string_equal(cp.origin, LOG_NAME);
		assert_int_equal(cp.size, cps[i].size);
		assert_memory_equal(cp.root, root, 32);
		checkpoint_done(&cp);
	}

	/* Doubly signed, and witness-cosigned: the unknown one is ignored. */
	assert_int_equal(open_with(CP8 CP8_ENOCH_SIG, &v, 1, &n), 0);
	assert_int_equal(n->n_sigs, 2);
	assert_int_equal(n->n_verified, 1);
	note_free(n);
	{
		struct note_verifier both[2] = { v, enoch };
		assert_int_equal(open_with(CP8 CP8_ENOCH_SIG, both, 2, &n), 0);
		assert_int_equal(n->n_verified, 2);
		note_free(n);
	}
	assert_int_equal(open_with(CP8 CP8_WITNESS_SIG, &v, 1, &n), 0);
	assert_int_equal(n->n_sigs, 2);
	assert_int_equal(n->n_verified, 1);
	assert_int_equal(n->sigs[1].key_id, 0x773a6c12);
	assert_int_equal(n->sigs[1].sig_len, 72); /* timestamp + signature */
	note_free(n);

	/* An extension line is signed along and ignored by the parser. */
	{
		static const char ext[] = CP8_TEXT "ext: consent-ledger/v1\n\n"
		    "\xe2\x80\x94 " LOG_NAME " n1TbBxOr0BcgbA0S5QR8MxHLwZ4IjfQ8gxhp"
		    "6ASQingXtHKntZpTYTc+PHRXrNY/YbNtkdjBE76IZdnSZegsNF1NrAg=\n";
		assert_int_equal(note_sign(CP8_TEXT "ext: consent-ledger/v1\n",
		    &s, 1, &msg), 0);
		assert_string_equal(msg, ext);
		free(msg);
		assert_int_equal(checkpoint_open(ext, strlen(ext), &v, 1,
		    LOG_NAME, &cp), 0);
		assert_int_equal(cp.size, 8);
		checkpoint_done(&cp);
	}
}

/* tlog-vectors.md §7: rejections, starting from cp8_8. */
static void
t_note_rejections(void **state)
{
	struct note_verifier v, other;
	struct note *n;
	char buf[4096];
	char *many;
	size_t cap;

	verifier(LOG_VKEY, &v);
	assert_int_equal(open_with(CP8, &v, 1, NULL), 0);

	/* no final newline; no blank line separator */
	snprintf(buf, sizeof(buf), "%.*s", (int)strlen(CP8) - 1, CP8);
	assert_int_equal(open_with(buf, &v, 1, NULL), -EBADMSG);
	assert_int_equal(open_with(CP8_TEXT CP8_SIG, &v, 1, NULL), -EBADMSG);
	/* only an unknown key's signature */
	assert_int_equal(open_with(CP8_TEXT "\n" CP8_ENOCH_SIG, &v, 1, NULL),
	    -ENOKEY);
	/* known name, wrong key ID: an unknown key */
	snprintf(buf, sizeof(buf), "%s", CP8);
	{
		char *p = strstr(buf, " n1TbB") + 2;
		*p = 'm'; /* key ID byte 0x9f -> 0x9b */
	}
	assert_int_equal(open_with(buf, &v, 1, NULL), -ENOKEY);
	/* known key, corrupted signature byte */
	snprintf(buf, sizeof(buf), "%s", CP8);
	buf[strlen(buf) - 10] ^= 0x01;
	assert_int_equal(open_with(buf, &v, 1, NULL), -EKEYREJECTED);
	/* body changed, original signature */
	snprintf(buf, sizeof(buf), "%s", CP8);
	*strstr(buf, "\n8\n") = '\n';
	strstr(buf, "\n8\n")[1] = '9';
	assert_int_equal(open_with(buf, &v, 1, NULL), -EKEYREJECTED);
	/* key name changed in the signature line */
	snprintf(buf, sizeof(buf), "%s\n\xe2\x80\x94 example.com/consent-ledgex%s",
	    CP8_TEXT, strstr(CP8_SIG, " n1TbB"));
	assert_int_equal(open_with(buf, &v, 1, NULL), -ENOKEY);
	/* the verifier's name differs: same */
	other = v;
	other.name[0] = 'X';
	assert_int_equal(open_with(CP8, &other, 1, NULL), -ENOKEY);
	/* a different public key under the same name and ID */
	other = v;
	other.public_key[0] ^= 1;
	assert_int_equal(open_with(CP8, &other, 1, NULL), -EKEYREJECTED);
	/* CR in the text; hyphen instead of em dash; unpadded base64;
	 * trailing text after signatures; NUL; tab */
	assert_int_equal(open_with(LOG_NAME "\r\n8\n" ROOT8_B64 "\n\n" CP8_SIG,
	    &v, 1, NULL), -EBADMSG);
	snprintf(buf, sizeof(buf), "%s\n- %s", CP8_TEXT, &CP8_SIG[4]);
	assert_int_equal(open_with(buf, &v, 1, NULL), -EBADMSG);
	snprintf(buf, sizeof(buf), "%s", CP8);
	buf[strlen(buf) - 2] = '\n';
	buf[strlen(buf) - 1] = '\0';
	assert_int_equal(open_with(buf, &v, 1, NULL), -EBADMSG);
	assert_int_equal(open_with(CP8 "trailing\n", &v, 1, NULL), -EBADMSG);
	assert_int_equal(open_with(CP8 "\n", &v, 1, NULL), -EBADMSG);
	{
		static const char nul[] = CP8;
		char copy[sizeof(nul)];
		memcpy(copy, nul, sizeof(nul));
		copy[3] = '\0';
		assert_int_equal(note_open(copy, sizeof(nul) - 1, &v, 1, &n),
		    -EBADMSG);
	}
	assert_int_equal(open_with(LOG_NAME "\t\n8\n" ROOT8_B64 "\n\n" CP8_SIG,
	    &v, 1, NULL), -EBADMSG);
	/* a signature line without base64, or with a too short one */
	assert_int_equal(open_with(CP8_TEXT "\n\xe2\x80\x94 x\n", &v, 1, NULL),
	    -EBADMSG);
	assert_int_equal(open_with(CP8_TEXT "\n\xe2\x80\x94 x \n", &v, 1, NULL),
	    -EBADMSG);
	assert_int_equal(open_with(CP8_TEXT "\n\xe2\x80\x94 x AAAAAA==\n", &v, 1,
	    NULL), -EBADMSG);
	assert_int_equal(open_with(CP8_TEXT "\n\xe2\x80\x94  n1TbB/PM=\n", &v,
	    1, NULL), -EBADMSG);
	/* a known key with a short signature */
	assert_int_equal(open_with(CP8_TEXT "\n\xe2\x80\x94 " LOG_NAME
	    " n1TbBwAAAAA=\n", &v, 1, NULL), -EKEYREJECTED);
	/* duplicate identical signature line: accepted once */
	assert_int_equal(open_with(CP8 CP8_SIG, &v, 1, &n), 0);
	assert_int_equal(n->n_sigs, 1);
	note_free(n);
	/* extra blank line before the signatures: the text changes */
	assert_int_equal(open_with(CP8_TEXT "\n\n" CP8_SIG, &v, 1, NULL),
	    -EKEYREJECTED);
	/* 16 and 100 signature lines accepted, 101 rejected */
	cap = strlen(CP8_TEXT) + 2 + 101 * strlen(CP8_SIG);
	many = malloc(cap);
	assert_non_null(many);
	for (int count = 16; count <= 101; count++) {
		size_t at = 0;
		put(many, cap, &at, CP8_TEXT "\n");
		for (int i = 0; i < count; i++)
			put(many, cap, &at, CP8_SIG);
		assert_int_equal(open_with(many, &v, 1, NULL),
		    count <= 100 ? 0 : -EBADMSG);
	}
	free(many);
	/* size limit */
	{
		size_t len = NOTE_MAX_SIZE + 1;
		char *big = malloc(len + 1);
		assert_non_null(big);
		memset(big, 'a', len);
		big[len] = '\0';
		assert_int_equal(note_open(big, len, &v, 1, &n), -E2BIG);
		assert_int_equal(checkpoint_parse(big, NULL, NULL, NULL),
		    -E2BIG);
		free(big);
	}
	/* arguments */
	assert_int_equal(note_open(NULL, 5, &v, 1, &n), -EINVAL);
	assert_int_equal(note_open(CP8, strlen(CP8), NULL, 1, &n), -EINVAL);
	assert_int_equal(note_open(CP8, strlen(CP8), &v, 1, NULL), -EINVAL);
	assert_int_equal(note_open("", 0, &v, 1, &n), -EBADMSG);
	note_free(NULL);
}

/* Signing our own notes; tampering with each part. */
static void
t_sign_and_tamper(void **state)
{
	_cleanup_note_signer_ struct note_signer s;
	struct note_verifier v;
	struct note *n;
	char *msg;

	assert_int_equal(note_signer_generate("consentd.test/log", &s), 0);
	note_signer_verifier(&s, &v);
	assert_int_equal(note_sign("hello\n\nworld \xc3\xa9\n", &s, 1, &msg), 0);
	assert_int_equal(open_with(msg, &v, 1, &n), 0);
	assert_string_equal(n->text, "hello\n\nworld \xc3\xa9\n");
	note_free(n);
	/* Every byte of the note, changed, is rejected. */
	for (size_t i = 0; i < strlen(msg); i++) {
		char *t = strdup(msg);
		int r;
		assert_non_null(t);
		t[i] ^= (t[i] == '\n') ? 0x20 : 0x01;
		r = open_with(t, &v, 1, NULL);
		if (r == 0)
			fail_msg("accepted a note changed at byte %zu", i);
		free(t);
	}
	free(msg);
	/* A note signed twice by the same key lists one signature. */
	{
		struct note_signer two[2] = { s, s };
		assert_int_equal(note_sign("x\n", two, 2, &msg), 0);
		assert_int_equal(open_with(msg, &v, 1, &n), 0);
		assert_int_equal(n->n_sigs, 1);
		note_free(n);
		free(msg);
		note_signer_wipe(&two[0]);
		note_signer_wipe(&two[1]);
	}
	/* The text to sign: ends in "\n", valid note text. */
	assert_int_equal(note_sign("", &s, 1, &msg), -EINVAL);
	assert_int_equal(note_sign("no newline", &s, 1, &msg), -EINVAL);
	assert_int_equal(note_sign("cr\r\n", &s, 1, &msg), -EINVAL);
	assert_int_equal(note_sign("bad \xff\n", &s, 1, &msg), -EINVAL);
	assert_int_equal(note_sign("x\n", NULL, 1, &msg), -EINVAL);
	/* No signers: just the text and the blank line (Go does the same). */
	assert_int_equal(note_sign("x\n", NULL, 0, &msg), 0);
	assert_string_equal(msg, "x\n\n");
	free(msg);
}

static void
t_checkpoint_syntax(void **state)
{
	uint8_t root[32], empty[32];
	char *text, *origin;
	uint64_t size;
	static const char *bad[] = {
		"",
		"\n",
		LOG_NAME "\n",
		LOG_NAME "\n8\n",
		LOG_NAME "\n8\n" ROOT8_B64,
		"\n8\n" ROOT8_B64 "\n",
		LOG_NAME "\n08\n" ROOT8_B64 "\n",
		LOG_NAME "\n+8\n" ROOT8_B64 "\n",
		LOG_NAME "\n-8\n" ROOT8_B64 "\n",
		LOG_NAME "\n 8\n" ROOT8_B64 "\n",
		LOG_NAME "\n8 \n" ROOT8_B64 "\n",
		LOG_NAME "\n0x8\n" ROOT8_B64 "\n",
		LOG_NAME "\n\n" ROOT8_B64 "\n",
		LOG_NAME "\n18446744073709551616\n" ROOT8_B64 "\n",
		LOG_NAME "\n99999999999999999999\n" ROOT8_B64 "\n",
		LOG_NAME "\n8\nYmFuYW5hcw==\n",  /* 7 bytes */
		LOG_NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",
		LOG_NAME "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",
		LOG_NAME "\n8\n" ROOT8_B64 "\n\n",
		LOG_NAME "\n8\n" ROOT8_B64 "\next\n\n",
		LOG_NAME "\n8\n" ROOT8_B64 "\next",
		LOG_NAME "\n0\n" ROOT8_B64 "\n",   /* size 0, root not EMPTY */
		LOG_NAME "\r\n8\n" ROOT8_B64 "\n",
		"bad\xff\n8\n" ROOT8_B64 "\n",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (checkpoint_parse(bad[i], &origin, &size, root) != -EBADMSG)
			fail_msg("accepted checkpoint %zu", i);
	assert_int_equal(checkpoint_parse(NULL, &origin, &size, root), -EINVAL);

	assert_int_equal(checkpoint_parse(CP8_TEXT, &origin, &size, root), 0);
	assert_string_equal(origin, LOG_NAME);
	assert_int_equal(size, 8);
	free(origin);
	assert_int_equal(checkpoint_parse(CP8_TEXT "ext one\next two\n", NULL,
	    &size, NULL), 0);
	assert_int_equal(checkpoint_parse("o\n18446744073709551615\n" ROOT8_B64
	    "\n", NULL, &size, NULL), 0);
	assert_true(size == UINT64_MAX);
	assert_int_equal(checkpoint_parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm"
	    "5NMpJWZG3hSuFU=\n", NULL, &size, NULL), 0);
	assert_int_equal(size, 0);
	assert_int_equal(checkpoint_parse("origin with spaces\n1\n" ROOT8_B64
	    "\n", &origin, NULL, NULL), 0);
	free(origin);

	/* Formatting: round trip; bad origins; size 0 needs the EMPTY root. */
	merkle_empty_root(empty);
	memset(root, 0xab, sizeof(root));
	for (uint64_t sz = 1; sz != 0; sz = sz < 1000 ? sz * 7 : sz * 1000003) {
		uint64_t got;
		uint8_t r2[32];
		assert_int_equal(checkpoint_format("o.example/x", sz, root,
		    &text), 0);
		assert_int_equal(checkpoint_parse(text, &origin, &got, r2), 0);
		assert_int_equal(got, sz);
		assert_memory_equal(r2, root, 32);
		assert_string_equal(origin, "o.example/x");
		free(origin);
		free(text);
		if (sz > UINT64_MAX / 1000003)
			break;
	}
	assert_int_equal(checkpoint_format("", 1, root, &text), -EINVAL);
	assert_int_equal(checkpoint_format("a\nb", 1, root, &text), -EINVAL);
	assert_int_equal(checkpoint_format("a\x01", 1, root, &text), -EINVAL);
	assert_int_equal(checkpoint_format("a\xff", 1, root, &text), -EINVAL);
	assert_int_equal(checkpoint_format("a", 0, root, &text), -EINVAL);
	assert_int_equal(checkpoint_format("a", 0, empty, &text), 0);
	assert_string_equal(text, "a\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3"
	    "hSuFU=\n");
	free(text);
	assert_int_equal(checkpoint_format(NULL, 1, root, &text), -EINVAL);
}

/* tlog-vectors.md §9: the receipt for leaf 5 of the RFC 8-leaf tree. */
#define PROOF5                                                                 \
	TLOG_PROOF_HEADER "\nindex 5\n"                                         \
	"vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n"                        \
	"yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=\n"                        \
	"037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=\n\n" CP8

static int
parse_proof(const char *s, struct tlog_proof **ret)
{
	struct tlog_proof *tmp = NULL;
	int r = tlog_proof_parse(s, strlen(s), ret ? ret : &tmp);

	tlog_proof_free(tmp);
	return r;
}

static void
t_tlog_proof(void **state)
{
	struct tlog_proof *p;
	struct note_verifier v, enoch;
	struct checkpoint cp;
	uint8_t leaf[32], other[32];
	char *text;

	verifier(LOG_VKEY, &v);
	verifier(ENOCH_VKEY, &enoch);
	merkle_leaf_hash("\x40\x41\x42\x43", 4, leaf);

	assert_int_equal(parse_proof(PROOF5, &p), 0);
	assert_int_equal(p->index, 5);
	assert_int_equal(p->n_hashes, 3);
	assert_null(p->extra);
	assert_string_equal(p->checkpoint, CP8);
	assert_int_equal(p->checkpoint_len, strlen(CP8));
	assert_int_equal(tlog_proof_format(p, &text), 0);
	assert_string_equal(text, PROOF5);
	free(text);

	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, LOG_NAME, &cp), 0);
	assert_int_equal(cp.size, 8);
	checkpoint_done(&cp);
	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, NULL, NULL), 0);
	/* wrong origin, unknown key, wrong leaf, wrong index, bad hash */
	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, "other", NULL),
	    -EBADMSG);
	assert_int_equal(tlog_proof_verify(p, leaf, &enoch, 1, NULL, NULL),
	    -ENOKEY);
	merkle_leaf_hash("\x40\x41\x42", 3, other);
	assert_int_equal(tlog_proof_verify(p, other, &v, 1, NULL, NULL),
	    -EBADMSG);
	p->index = 4;
	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, NULL, NULL),
	    -EBADMSG);
	p->index = 8; /* past the checkpoint's size */
	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, NULL, NULL),
	    -EBADMSG);
	p->index = 5;
	p->hash[1][3] ^= 1;
	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, NULL, NULL),
	    -EBADMSG);
	p->hash[1][3] ^= 1;
	p->n_hashes = 2;
	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, NULL, NULL),
	    -EBADMSG);
	p->n_hashes = 3;

	/* Extra data round-trips (and is not authenticated). */
	p->extra = (uint8_t *)strdup("opaque\x01");
	p->extra_len = 7;
	assert_int_equal(tlog_proof_format(p, &text), 0);
	assert_string_equal(text, TLOG_PROOF_HEADER "\nextra b3BhcXVlAQ==\n"
	    "index 5\nvBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n"
	    "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=\n"
	    "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=\n\n" CP8);
	tlog_proof_free(p);
	assert_int_equal(parse_proof(text, &p), 0);
	free(text);
	assert_int_equal(p->extra_len, 7);
	assert_memory_equal(p->extra, "opaque\x01", 7);
	assert_int_equal(tlog_proof_verify(p, leaf, &v, 1, LOG_NAME, NULL), 0);
	tlog_proof_free(p);
	tlog_proof_free(NULL);

	/* A proof with no hashes: a one-leaf log. */
	{
		_cleanup_note_signer_ struct note_signer s;
		struct tlog_proof q = { .index = 0 };
		uint8_t l0[32];
		merkle_leaf_hash("", 0, l0);
		assert_int_equal(note_signer_parse(LOG_SKEY, &s), 0);
		assert_int_equal(checkpoint_sign(LOG_NAME, 1, l0, &s,
		    &q.checkpoint), 0);
		q.checkpoint_len = strlen(q.checkpoint);
		assert_int_equal(tlog_proof_format(&q, &text), 0);
		assert_int_equal(parse_proof(text, &p), 0);
		assert_int_equal(p->n_hashes, 0);
		assert_int_equal(tlog_proof_verify(p, l0, &v, 1, LOG_NAME,
		    NULL), 0);
		tlog_proof_free(p);
		free(text);
		free(q.checkpoint);
	}

	/* Syntax errors. */
	static const char *bad[] = {
		"",
		TLOG_PROOF_HEADER,
		TLOG_PROOF_HEADER "\n",
		"c2sp.org/tlog-proof@v2\nindex 5\n\n" CP8,
		TLOG_PROOF_HEADER "\r\nindex 5\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex 05\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex -5\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex  5\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex\n\n" CP8,
		TLOG_PROOF_HEADER "\nIndex 5\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex 18446744073709551616\n\n" CP8,
		TLOG_PROOF_HEADER "\nextra \nindex 5\n\n" CP8,
		TLOG_PROOF_HEADER "\nextra AAA\nindex 5\n\n" CP8,
		TLOG_PROOF_HEADER "\nextra AA==\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex 5\nextra AA==\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex 5\nvBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex 5\nYmFuYW5hcw==\n\n" CP8,
		TLOG_PROOF_HEADER "\nindex 5\n",
		TLOG_PROOF_HEADER "\nindex 5\n\n",
		TLOG_PROOF_HEADER "\nindex 5\nvBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n",
		TLOG_PROOF_HEADER "\nindex 5\n\n\x01" CP8,
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (parse_proof(bad[i], NULL) != -EBADMSG)
			fail_msg("accepted tlog-proof %zu", i);
	/* 64 hashes parse, 65 do not. */
	{
		size_t cap = 200 + 65 * 45 + sizeof(CP8);
		char *s = malloc(cap);
		assert_non_null(s);
		for (int k = 64; k <= 65; k++) {
			size_t at = 0;
			put(s, cap, &at, TLOG_PROOF_HEADER "\nindex 0\n");
			for (int i = 0; i < k; i++)
				put(s, cap, &at, ROOT8_B64 "\n");
			put(s, cap, &at, "\n" CP8);
			assert_int_equal(parse_proof(s, NULL),
			    k == 64 ? 0 : -EBADMSG);
		}
		free(s);
	}
	/* Format refuses what parse would. */
	{
		struct tlog_proof q = { .index = 1, .checkpoint = (char *)"x",
			.checkpoint_len = 1 };
		assert_int_equal(tlog_proof_format(&q, &text), -EINVAL);
		q.checkpoint = NULL;
		assert_int_equal(tlog_proof_format(&q, &text), -EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_keys),
		cmocka_unit_test(t_bad_keys),
		cmocka_unit_test(t_go_vectors),
		cmocka_unit_test(t_c2sp_and_sumdb),
		cmocka_unit_test(t_checkpoint_vectors),
		cmocka_unit_test(t_note_rejections),
		cmocka_unit_test(t_sign_and_tamper),
		cmocka_unit_test(t_checkpoint_syntax),
		cmocka_unit_test(t_tlog_proof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
