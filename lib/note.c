/* C2SP signed notes, tlog-checkpoints and tlog-proofs, byte-compatible with
 * Go's golang.org/x/mod/sumdb/note. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "codec.h"
#include "crypto.h"
#include "note.h"

#define EM_DASH_SPACE "\xe2\x80\x94 "
#define EM_DASH_SPACE_LEN 4
#define SIG_ED25519_LEN (4 + ED25519_SIGNATURE_LEN)
#define HASH_B64_LEN 44

/* Text rules. */

/* Decodes one UTF-8 sequence of at most n bytes at s as Go's
 * utf8.DecodeRune does; returns its length, or 0 if it is invalid
 * (overlong, surrogate, above U+10FFFF or truncated). */
static size_t
utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	uint8_t lo = 0x80, hi = 0xbf;
	size_t len;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	v = v << 6 | (s[1] & 0x3f);
	for (size_t i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/* Go's unicode.IsSpace. */
static bool
is_space(uint32_t cp)
{
	switch (cp) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return true;
	default:
		return cp >= 0x2000 && cp <= 0x200a;
	}
}

/* Valid UTF-8 without control characters other than "\n": the rule for a
 * whole signed note (and so for its text). */
static bool
text_is_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0 || (cp < 0x20 && cp != '\n'))
			return false;
		i += n;
	}
	return true;
}

bool
note_name_is_valid(const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;

	if (!name || len == 0)
		return false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0 || cp == 0 || cp == '+' || is_space(cp))
			return false;
		i += n;
	}
	return true;
}

static const char *
memmem_last(const char *s, size_t len, const char *needle, size_t nlen)
{
	if (len < nlen)
		return NULL;
	for (size_t i = len - nlen + 1; i-- > 0;)
		if (memcmp(s + i, needle, nlen) == 0)
			return s + i;
	return NULL;
}

/* Strict decimal: no sign, no leading zero, fits a uint64_t. */
static int
parse_decimal(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* Exactly 32 bytes of canonical padded base64. */
static int
decode_hash(const char *s, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t n;
	int r;

	if (len != HASH_B64_LEN)
		return -EBADMSG;
	r = base64_decode(s, len, &data, &n);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || n != MERKLE_HASH_LEN)
		return -EBADMSG;
	memcpy(out, data, MERKLE_HASH_LEN);
	return 0;
}

static int
append_base64(struct buf *b, const uint8_t *data, size_t len)
{
	_cleanup_free_ char *s = base64_encode(data, len);

	if (!s)
		return -ENOMEM;
	return buf_append_str(b, s);
}

/* Keys. */

int
note_key_id(const char *name, const uint8_t pub[NOTE_PUBLIC_KEY_LEN],
    uint32_t *ret)
{
	uint8_t buf[NOTE_NAME_MAX + 2 + NOTE_PUBLIC_KEY_LEN];
	uint8_t h[SHA256_LEN];
	size_t len;

	if (!name || !pub || !ret)
		return -EINVAL;
	len = strlen(name);
	if (len > NOTE_NAME_MAX || !note_name_is_valid(name, len))
		return -EINVAL;
	memcpy(buf, name, len);
	buf[len] = '\n';
	buf[len + 1] = NOTE_ALG_ED25519;
	memcpy(buf + len + 2, pub, NOTE_PUBLIC_KEY_LEN);
	sha256(buf, len + 2 + NOTE_PUBLIC_KEY_LEN, h);
	*ret = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	return 0;
}

int
note_verifier_from_public(const char *name,
    const uint8_t pub[NOTE_PUBLIC_KEY_LEN], struct note_verifier *ret)
{
	struct note_verifier v = { .key_id = 0 };
	int r = note_key_id(name, pub, &v.key_id);

	if (r < 0 || !ret)
		return -EINVAL;
	memcpy(v.name, name, strlen(name) + 1);
	memcpy(v.public_key, pub, NOTE_PUBLIC_KEY_LEN);
	*ret = v;
	return 0;
}

/* Splits "<name>+<8 hex digits>+<base64 key>" (the base64 may itself
 * contain '+'); *ret_key is malloc'd. */
static int
split_key(const char *s, char name[NOTE_NAME_MAX + 1], uint32_t *ret_id,
    uint8_t **ret_key, size_t *ret_keylen)
{
	const char *p1 = strchr(s, '+'), *p2, *b64;
	uint8_t id[4];
	size_t nlen;

	if (!p1)
		return -EINVAL;
	nlen = (size_t)(p1 - s);
	p2 = strchr(p1 + 1, '+');
	if (!p2 || p2 - (p1 + 1) != 8 || nlen > NOTE_NAME_MAX ||
	    !note_name_is_valid(s, nlen) ||
	    hex_decode(p1 + 1, 8, id, sizeof(id)) < 0)
		return -EINVAL;
	b64 = p2 + 1;
	if (base64_decode(b64, strlen(b64), ret_key, ret_keylen) < 0)
		return -EINVAL;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	*ret_id = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
	    (uint32_t)id[2] << 8 | id[3];
	return 0;
}

int
note_verifier_parse(const char *vkey, struct note_verifier *ret)
{
	_cleanup_free_ uint8_t *key = NULL;
	struct note_verifier v = { .key_id = 0 };
	size_t keylen;
	uint32_t id;

	if (!vkey || !ret || split_key(vkey, v.name, &v.key_id, &key,
	    &keylen) < 0)
		return -EINVAL;
	if (keylen != 1 + NOTE_PUBLIC_KEY_LEN || key[0] != NOTE_ALG_ED25519)
		return -EINVAL;
	memcpy(v.public_key, key + 1, NOTE_PUBLIC_KEY_LEN);
	if (note_key_id(v.name, v.public_key, &id) < 0 || id != v.key_id)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
format_key(const char *prefix, const char *name, uint32_t id,
    const uint8_t key[32], char **ret)
{
	_cleanup_(buf_free_secret) struct buf b = BUF_INIT(4096);
	uint8_t raw[1 + 32];
	int r;

	raw[0] = NOTE_ALG_ED25519;
	memcpy(raw + 1, key, 32);
	r = buf_printf(&b, "%s%s+%08" PRIx32 "+", prefix, name, id);
	if (r >= 0)
		r = append_base64(&b, raw, sizeof(raw));
	secure_wipe(raw, sizeof(raw));
	if (r < 0)
		return r;
	*ret = buf_steal(&b);
	return 0;
}

int
note_verifier_format(const struct note_verifier *v, char **ret)
{
	if (!v || !ret || !note_name_is_valid(v->name, strlen(v->name)))
		return -EINVAL;
	return format_key("", v->name, v->key_id, v->public_key, ret);
}

int
note_signer_from_seed(const char *name, const uint8_t seed[NOTE_SEED_LEN],
    struct note_signer *ret)
{
	struct note_signer s = { .key_id = 0 };
	int r;

	if (!seed || !ret)
		return -EINVAL;
	r = ed25519_public_from_private(seed, s.public_key);
	if (r < 0)
		return r;
	r = note_key_id(name, s.public_key, &s.key_id);
	if (r < 0)
		return r;
	memcpy(s.name, name, strlen(name) + 1);
	memcpy(s.seed, seed, NOTE_SEED_LEN);
	*ret = s;
	note_signer_wipe(&s);
	return 0;
}

int
note_signer_generate(const char *name, struct note_signer *ret)
{
	uint8_t seed[NOTE_SEED_LEN];
	int r;

	if (!name || !note_name_is_valid(name, strlen(name)))
		return -EINVAL;
	r = random_bytes(seed, sizeof(seed));
	if (r >= 0)
		r = note_signer_from_seed(name, seed, ret);
	secure_wipe(seed, sizeof(seed));
	return r;
}

int
note_signer_parse(const char *skey, struct note_signer *ret)
{
	static const char prefix[] = "PRIVATE+KEY+";
	uint8_t *key = NULL;
	char name[NOTE_NAME_MAX + 1];
	size_t keylen;
	uint32_t id;
	int r = -EINVAL;

	if (!skey || !ret || strncmp(skey, prefix, sizeof(prefix) - 1) != 0 ||
	    split_key(skey + sizeof(prefix) - 1, name, &id, &key, &keylen) < 0)
		return -EINVAL;
	if (keylen == 1 + NOTE_SEED_LEN && key[0] == NOTE_ALG_ED25519) {
		struct note_signer s;

		r = note_signer_from_seed(name, key + 1, &s);
		if (r >= 0 && s.key_id != id)
			r = -EINVAL;
		if (r >= 0)
			*ret = s;
		note_signer_wipe(&s);
	}
	secure_wipe(key, keylen);
	free(key);
	return r;
}

int
note_signer_format(const struct note_signer *s, char **ret)
{
	if (!s || !ret || !note_name_is_valid(s->name, strlen(s->name)))
		return -EINVAL;
	return format_key("PRIVATE+KEY+", s->name, s->key_id, s->seed, ret);
}

void
note_signer_verifier(const struct note_signer *s, struct note_verifier *ret)
{
	struct note_verifier v = { .key_id = s->key_id };

	memcpy(v.name, s->name, sizeof(v.name));
	memcpy(v.public_key, s->public_key, NOTE_PUBLIC_KEY_LEN);
	*ret = v;
}

void
note_signer_wipe(struct note_signer *s)
{
	if (s)
		secure_wipe(s, sizeof(*s));
}

void
note_secret_free(char *s)
{
	if (!s)
		return;
	secure_wipe(s, strlen(s));
	free(s);
}

/* Notes. */

int
note_sign(const char *text, const struct note_signer *signers,
    size_t n_signers, char **ret)
{
	_cleanup_buf_ struct buf b = BUF_INIT(NOTE_MAX_SIZE);
	size_t len;
	int r;

	if (!text || !ret || (n_signers > 0 && !signers) ||
	    n_signers > NOTE_MAX_SIGNATURES)
		return -EINVAL;
	len = strlen(text);
	if (len == 0 || text[len - 1] != '\n' || !text_is_valid(text, len))
		return -EINVAL;
	r = buf_append(&b, text, len);
	if (r >= 0)
		r = buf_append_byte(&b, '\n');
	for (size_t i = 0; r >= 0 && i < n_signers; i++) {
		const struct note_signer *s = &signers[i];
		uint8_t sig[SIG_ED25519_LEN];

		if (!note_name_is_valid(s->name, strlen(s->name)))
			return -EINVAL;
		sig[0] = (uint8_t)(s->key_id >> 24);
		sig[1] = (uint8_t)(s->key_id >> 16);
		sig[2] = (uint8_t)(s->key_id >> 8);
		sig[3] = (uint8_t)s->key_id;
		r = ed25519_sign(s->seed, text, len, sig + 4);
		if (r >= 0)
			r = buf_printf(&b, EM_DASH_SPACE "%s ", s->name);
		if (r >= 0)
			r = append_base64(&b, sig, sizeof(sig));
		if (r >= 0)
			r = buf_append_byte(&b, '\n');
	}
	if (r < 0)
		return r;
	*ret = buf_steal(&b);
	return 0;
}

void
note_free(struct note *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_sigs; i++) {
		free(n->sigs[i].name);
		free(n->sigs[i].sig);
	}
	free(n->sigs);
	free(n->text);
	free(n);
}

/* The verifier for (name, id): 0 and *ret NULL when unknown; -EINVAL when
 * several match (Go's "ambiguous key": the caller's list is broken). */
static int
find_verifier(const struct note_verifier *v, size_t n, const char *name,
    size_t nlen, uint32_t id, const struct note_verifier **ret)
{
	*ret = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i].key_id == id && strnlen(v[i].name,
		    sizeof(v[i].name)) == nlen && memcmp(v[i].name, name,
		    nlen) == 0) {
			if (*ret)
				return -EINVAL;
			*ret = &v[i];
		}
	return 0;
}

/* An earlier signature that makes this one a duplicate: for a known key, any
 * signature by the same key; for an unknown key, the same line. */
static bool
is_duplicate(const struct note *n, const char *name, size_t nlen,
    uint32_t id, const uint8_t *sig, size_t sig_len, bool known)
{
	for (size_t i = 0; i < n->n_sigs; i++) {
		const struct note_signature *s = &n->sigs[i];

		if (s->verified != known || s->key_id != id ||
		    strlen(s->name) != nlen || memcmp(s->name, name, nlen) != 0)
			continue;
		if (known || (s->sig_len == sig_len &&
		    memcmp(s->sig, sig, sig_len) == 0))
			return true;
	}
	return false;
}

static int
open_signature(struct note *n, const char *line, size_t len,
    const struct note_verifier *verifiers, size_t n_verifiers,
    const char *text, size_t text_len)
{
	const struct note_verifier *v;
	_cleanup_free_ uint8_t *raw = NULL;
	const char *name, *sp;
	size_t nlen, raw_len;
	struct note_signature *s;
	uint32_t id;
	int r;

	if (len < EM_DASH_SPACE_LEN ||
	    memcmp(line, EM_DASH_SPACE, EM_DASH_SPACE_LEN) != 0)
		return -EBADMSG;
	name = line + EM_DASH_SPACE_LEN;
	len -= EM_DASH_SPACE_LEN;
	sp = memchr(name, ' ', len);
	if (!sp)
		return -EBADMSG; /* Go: an empty base64 part */
	nlen = (size_t)(sp - name);
	if (!note_name_is_valid(name, nlen))
		return -EBADMSG;
	r = base64_decode(sp + 1, len - nlen - 1, &raw, &raw_len);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || raw_len < 5)
		return -EBADMSG;
	id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];

	if (find_verifier(verifiers, n_verifiers, name, nlen, id, &v) < 0)
		return -EINVAL;
	if (is_duplicate(n, name, nlen, id, raw + 4, raw_len - 4, v != NULL))
		return 0;
	if (v && raw_len != SIG_ED25519_LEN)
		return -EKEYREJECTED;
	if (v && (r = ed25519_verify(v->public_key, text, text_len,
	    raw + 4)) < 0)
		return r == -ENOMEM ? r : -EKEYREJECTED;

	s = &n->sigs[n->n_sigs];
	*s = (struct note_signature){ .key_id = id, .verified = v != NULL };
	s->name = strndup(name, nlen);
	s->sig = malloc(raw_len - 4);
	if (!s->name || !s->sig) {
		free(s->name);
		free(s->sig);
		return -ENOMEM;
	}
	memcpy(s->sig, raw + 4, raw_len - 4);
	s->sig_len = raw_len - 4;
	n->n_sigs++;
	if (v)
		n->n_verified++;
	return 0;
}

int
note_open(const char *msg, size_t len, const struct note_verifier *verifiers,
    size_t n_verifiers, struct note **ret)
{
	_cleanup_note_ struct note *n = NULL;
	const char *split, *p, *end;
	size_t text_len, count = 0;
	int r;

	if ((!msg && len > 0) || (!verifiers && n_verifiers > 0) || !ret)
		return -EINVAL;
	if (len > NOTE_MAX_SIZE)
		return -E2BIG;
	if (!text_is_valid(msg, len))
		return -EBADMSG;
	split = memmem_last(msg, len, "\n\n", 2);
	if (!split)
		return -EBADMSG;
	text_len = (size_t)(split - msg) + 1;
	p = split + 2;
	end = msg + len;
	if (p == end || end[-1] != '\n')
		return -EBADMSG;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->sigs = calloc(NOTE_MAX_SIGNATURES, sizeof(*n->sigs));
	n->text = strndup(msg, text_len);
	if (!n->sigs || !n->text)
		return -ENOMEM;
	n->text_len = text_len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (++count > NOTE_MAX_SIGNATURES)
			return -EBADMSG;
		r = open_signature(n, p, (size_t)(nl - p), verifiers,
		    n_verifiers, msg, text_len);
		if (r < 0)
			return r;
		p = nl + 1;
	}
	if (n->n_verified == 0)
		return -ENOKEY;
	*ret = TAKE_PTR(n);
	return 0;
}

/* Checkpoints. */

int
checkpoint_format(const char *origin, uint64_t size,
    const uint8_t root[MERKLE_HASH_LEN], char **ret)
{
	_cleanup_buf_ struct buf b = BUF_INIT(NOTE_MAX_SIZE);
	uint8_t empty[MERKLE_HASH_LEN];
	size_t olen;
	int r;

	if (!origin || !root || !ret)
		return -EINVAL;
	olen = strlen(origin);
	if (olen == 0 || memchr(origin, '\n', olen) ||
	    !text_is_valid(origin, olen))
		return -EINVAL;
	merkle_empty_root(empty);
	if (size == 0 && memcmp(root, empty, MERKLE_HASH_LEN) != 0)
		return -EINVAL;
	r = buf_printf(&b, "%s\n%" PRIu64 "\n", origin, size);
	if (r >= 0)
		r = append_base64(&b, root, MERKLE_HASH_LEN);
	if (r >= 0)
		r = buf_append_byte(&b, '\n');
	if (r < 0)
		return r;
	*ret = buf_steal(&b);
	return 0;
}

/* The next line of [*p, end) without its "\n"; -EBADMSG if unterminated. */
static int
next_line(const char **p, const char *end, const char **ret_line,
    size_t *ret_len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl)
		return -EBADMSG;
	*ret_line = *p;
	*ret_len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

static int
checkpoint_parse_len(const char *text, size_t len, char **ret_origin,
    uint64_t *ret_size, uint8_t ret_root[MERKLE_HASH_LEN])
{
	const char *p = text, *end = text + len, *origin, *line;
	uint8_t root[MERKLE_HASH_LEN], empty[MERKLE_HASH_LEN];
	size_t olen, llen;
	uint64_t size;
	int r;

	if (len > NOTE_MAX_SIZE)
		return -E2BIG;
	if (!text_is_valid(text, len) || next_line(&p, end, &origin, &olen) < 0 ||
	    olen == 0 || next_line(&p, end, &line, &llen) < 0 ||
	    parse_decimal(line, llen, &size) < 0 ||
	    next_line(&p, end, &line, &llen) < 0)
		return -EBADMSG;
	r = decode_hash(line, llen, root);
	if (r < 0)
		return r;
	while (p < end)
		if (next_line(&p, end, &line, &llen) < 0 || llen == 0)
			return -EBADMSG;
	merkle_empty_root(empty);
	if (size == 0 && memcmp(root, empty, MERKLE_HASH_LEN) != 0)
		return -EBADMSG;
	if (ret_origin) {
		*ret_origin = strndup(origin, olen);
		if (!*ret_origin)
			return -ENOMEM;
	}
	if (ret_size)
		*ret_size = size;
	if (ret_root)
		memcpy(ret_root, root, MERKLE_HASH_LEN);
	return 0;
}

int
checkpoint_parse(const char *text, char **ret_origin, uint64_t *ret_size,
    uint8_t ret_root[MERKLE_HASH_LEN])
{
	size_t len;

	if (!text)
		return -EINVAL;
	len = strnlen(text, NOTE_MAX_SIZE + 1);
	return checkpoint_parse_len(text, len, ret_origin, ret_size, ret_root);
}

void
checkpoint_done(struct checkpoint *c)
{
	if (!c)
		return;
	free(c->origin);
	c->origin = NULL;
}

int
checkpoint_sign(const char *origin, uint64_t size,
    const uint8_t root[MERKLE_HASH_LEN], const struct note_signer *signer,
    char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if (!signer)
		return -EINVAL;
	r = checkpoint_format(origin, size, root, &text);
	if (r < 0)
		return r;
	return note_sign(text, signer, 1, ret);
}

int
checkpoint_open(const char *msg, size_t len,
    const struct note_verifier *verifiers, size_t n_verifiers,
    const char *origin, struct checkpoint *ret)
{
	_cleanup_note_ struct note *n = NULL;
	struct checkpoint c = { .origin = NULL };
	int r;

	r = note_open(msg, len, verifiers, n_verifiers, &n);
	if (r < 0)
		return r;
	r = checkpoint_parse_len(n->text, n->text_len, &c.origin, &c.size,
	    c.root);
	if (r < 0)
		return r;
	if (origin && !streq(origin, c.origin)) {
		checkpoint_done(&c);
		return -EBADMSG;
	}
	if (ret)
		*ret = c;
	else
		checkpoint_done(&c);
	return 0;
}

/* tlog-proofs. */

void
tlog_proof_free(struct tlog_proof *p)
{
	if (!p)
		return;
	free(p->extra);
	free(p->checkpoint);
	free(p);
}

int
tlog_proof_format(const struct tlog_proof *p, char **ret)
{
	_cleanup_buf_ struct buf b = BUF_INIT(TLOG_PROOF_MAX_SIZE);
	int r;

	if (!p || !ret || p->n_hashes > MERKLE_MAX_PROOF || !p->checkpoint ||
	    p->checkpoint_len == 0 ||
	    p->checkpoint[p->checkpoint_len - 1] != '\n' ||
	    p->extra_len > TLOG_PROOF_EXTRA_MAX || (p->extra_len && !p->extra))
		return -EINVAL;
	r = buf_append_str(&b, TLOG_PROOF_HEADER "\n");
	if (r >= 0 && p->extra_len > 0) {
		r = buf_append_str(&b, "extra ");
		if (r >= 0)
			r = append_base64(&b, p->extra, p->extra_len);
		if (r >= 0)
			r = buf_append_byte(&b, '\n');
	}
	if (r >= 0)
		r = buf_printf(&b, "index %" PRIu64 "\n", p->index);
	for (size_t i = 0; r >= 0 && i < p->n_hashes; i++) {
		r = append_base64(&b, p->hash[i], MERKLE_HASH_LEN);
		if (r >= 0)
			r = buf_append_byte(&b, '\n');
	}
	if (r >= 0)
		r = buf_append_byte(&b, '\n');
	if (r >= 0)
		r = buf_append(&b, p->checkpoint, p->checkpoint_len);
	if (r < 0)
		return r;
	*ret = buf_steal(&b);
	return 0;
}

static bool
has_prefix(const char *line, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && memcmp(line, prefix, plen) == 0;
}

int
tlog_proof_parse(const char *text, size_t len, struct tlog_proof **ret)
{
	_cleanup_tlog_proof_ struct tlog_proof *p = NULL;
	const char *pos = text, *end = text + len, *line;
	size_t llen;
	int r;

	if ((!text && len > 0) || !ret)
		return -EINVAL;
	if (len > TLOG_PROOF_MAX_SIZE)
		return -E2BIG;
	if (!text_is_valid(text, len))
		return -EBADMSG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;

	if (next_line(&pos, end, &line, &llen) < 0 ||
	    llen != strlen(TLOG_PROOF_HEADER) ||
	    memcmp(line, TLOG_PROOF_HEADER, llen) != 0 ||
	    next_line(&pos, end, &line, &llen) < 0)
		return -EBADMSG;
	if (has_prefix(line, llen, "extra ")) {
		if (llen == 6 || llen - 6 > base64_encoded_len(
		    TLOG_PROOF_EXTRA_MAX))
			return -EBADMSG;
		r = base64_decode(line + 6, llen - 6, &p->extra,
		    &p->extra_len);
		if (r < 0)
			return r == -ENOMEM ? r : -EBADMSG;
		if (p->extra_len == 0 ||
		    next_line(&pos, end, &line, &llen) < 0)
			return -EBADMSG;
	}
	if (!has_prefix(line, llen, "index ") ||
	    parse_decimal(line + 6, llen - 6, &p->index) < 0)
		return -EBADMSG;
	for (;;) {
		if (next_line(&pos, end, &line, &llen) < 0)
			return -EBADMSG;
		if (llen == 0)
			break;
		if (p->n_hashes == MERKLE_MAX_PROOF)
			return -EBADMSG;
		r = decode_hash(line, llen, p->hash[p->n_hashes]);
		if (r < 0)
			return r;
		p->n_hashes++;
	}
	/* The checkpoint note: non-empty and, as every note, ending in
	 * "\n" (so that what parses also formats). */
	if (pos == end || end[-1] != '\n')
		return -EBADMSG;
	if ((size_t)(end - pos) > NOTE_MAX_SIZE)
		return -E2BIG;
	p->checkpoint_len = (size_t)(end - pos);
	p->checkpoint = strndup(pos, p->checkpoint_len);
	if (!p->checkpoint)
		return -ENOMEM;
	*ret = TAKE_PTR(p);
	return 0;
}

int
tlog_proof_verify(const struct tlog_proof *p,
    const uint8_t leaf_hash[MERKLE_HASH_LEN],
    const struct note_verifier *verifiers, size_t n_verifiers,
    const char *origin, struct checkpoint *ret_checkpoint)
{
	struct checkpoint c;
	int r;

	if (!p || !leaf_hash || !p->checkpoint || p->n_hashes > MERKLE_MAX_PROOF)
		return -EINVAL;
	r = checkpoint_open(p->checkpoint, p->checkpoint_len, verifiers,
	    n_verifiers, origin, &c);
	if (r < 0)
		return r;
	r = merkle_verify_inclusion(leaf_hash, p->index, c.size, p->hash,
	    p->n_hashes, c.root);
	/* Index and size come from the receipt, not from the caller. */
	if (r == -EINVAL)
		r = -EBADMSG;
	if (r >= 0 && ret_checkpoint)
		*ret_checkpoint = c;
	else
		checkpoint_done(&c);
	return r;
}
