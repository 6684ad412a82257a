/* consentctl ledger and keygen: keys, checkpoints, proofs, receipts,
 * export, and offline verification. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "consentctl.h"
#include "crypto.h"
#include "json.h"
#include "ledger.h"
#include "merkle.h"
#include "note.h"

#define VKEY_FILE_MAX 4096

static bool
simple_help(int argc, char **argv, const char *usage)
{
	if (!cli_wants_help(argc, argv))
		return false;
	fputs(usage, stdout);
	return true;
}

/* Reads a small text file (keys, notes); malloc'd, NUL-terminated. */
static int
read_text(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t n;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		return -EIO;
	if (n > max)
		return -EFBIG;
	buf[n] = '\0';
	*ret_len = n;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* --key takes a verifier key or a file holding one. */
static int
load_vkey(const char *arg, struct note_verifier *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (note_verifier_parse(arg, ret) == 0)
		return 0;
	if (read_text(arg, VKEY_FILE_MAX, &text, &len) < 0) {
		cli_usage_error("--key: '%s' is neither a verifier key (name+hash+base64) nor a readable file",
		    arg);
		return -EINVAL;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (note_verifier_parse(text, ret) < 0) {
		cli_usage_error("--key: '%s' does not hold a verifier key", arg);
		return -EINVAL;
	}
	return 0;
}

static int
print_hashes_text(const char *label, json_t *arr)
{
	size_t i;
	json_t *h;

	printf("%s (%zu hashes):\n", label, json_array_size(arr));
	json_array_foreach(arr, i, h)
		printf("  %s\n", json_string_value(h));
	return 0;
}

static int
decode_hashes(json_t *arr, uint8_t (*out)[MERKLE_HASH_LEN], size_t *ret_n)
{
	size_t i;
	json_t *h;

	if (!json_is_array(arr) || json_array_size(arr) > MERKLE_MAX_PROOF)
		return -EBADMSG;
	json_array_foreach(arr, i, h) {
		uint8_t *d = NULL;
		size_t n;
		const char *s = json_string_value(h);
		if (!s || base64_decode(s, strlen(s), &d, &n) < 0 ||
		    n != MERKLE_HASH_LEN) {
			free(d);
			return -EBADMSG;
		}
		memcpy(out[i], d, MERKLE_HASH_LEN);
		free(d);
	}
	*ret_n = json_array_size(arr);
	return 0;
}

static int
cmd_ledger_key(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *resp = NULL;
	int r;

	if (simple_help(argc, argv,
		"Usage: consentctl ledger key\n\n"
		"Prints the ledger's verifier key (name+hash+base64), which is all an\n"
		"auditor needs to verify checkpoints, proofs and exports offline.\n"))
		return EXIT_OK;
	if (argc != 1)
		return cli_usage_error("ledger key: no arguments expected");
	r = cli_call(ctx, "GET", "/v1/ledger/key", NULL, &resp);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		printf("%s\n", json_string_value(json_object_get(resp, "vkey")));
	json_decref(resp);
	return EXIT_OK;
}

static int
cmd_ledger_checkpoint(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *resp = NULL;
	int r;

	if (simple_help(argc, argv,
		"Usage: consentctl ledger checkpoint\n\n"
		"Prints the latest signed checkpoint (a C2SP signed note).\n"))
		return EXIT_OK;
	if (argc != 1)
		return cli_usage_error("ledger checkpoint: no arguments expected");
	r = cli_call(ctx, "GET", "/v1/checkpoint", NULL, &resp);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		fputs(json_string_value(json_object_get(resp, "note")), stdout);
	json_decref(resp);
	return EXIT_OK;
}

static int
get_inclusion(struct cli_ctx *ctx, uint64_t index, const char *size,
    json_t **ret)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "/v1/proof/inclusion?index=%llu%s%s",
		(unsigned long long)index, size ? "&size=" : "",
		size ? size : "") < 0)
		return EXIT_UNAVAILABLE;
	return cli_call(ctx, "GET", path, NULL, ret);
}

static int
cmd_ledger_prove(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *size = NULL;
	uint64_t index, n;
	json_t *resp = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl ledger prove INDEX [--size N]\n\n"
			       "Prints the inclusion proof of entry INDEX in the tree of N entries\n"
			       "(default: the latest checkpoint). --json gives the hashes in base64.\n");
			return EXIT_OK;
		case 's':
			size = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 ||
	    cli_parse_uint64(argv[optind], "INDEX", &index) < 0)
		return cli_usage_error("ledger prove: expected INDEX");
	if (size && cli_parse_uint64(size, "--size", &n) < 0)
		return EXIT_USAGE;
	r = get_inclusion(ctx, index, size, &resp);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else {
		printf("entry %lld in tree of size %lld\nleaf hash: %s\n",
		    (long long)json_integer_value(json_object_get(resp, "index")),
		    (long long)json_integer_value(json_object_get(resp, "size")),
		    json_string_value(json_object_get(resp, "leaf_hash")));
		print_hashes_text("inclusion proof", json_object_get(resp, "proof"));
	}
	json_decref(resp);
	return EXIT_OK;
}

static int
cmd_ledger_consistency(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *path = NULL;
	uint64_t from, to;
	json_t *resp = NULL;
	int r;

	if (simple_help(argc, argv,
		"Usage: consentctl ledger consistency FROM TO\n\n"
		"Prints the proof that the tree of FROM entries is a prefix of the tree\n"
		"of TO entries. --json gives the hashes in base64.\n"))
		return EXIT_OK;
	if (argc != 3 || cli_parse_uint64(argv[1], "FROM", &from) < 0 ||
	    cli_parse_uint64(argv[2], "TO", &to) < 0)
		return cli_usage_error("ledger consistency: expected FROM TO");
	if (asprintf(&path, "/v1/proof/consistency?from=%llu&to=%llu",
		(unsigned long long)from, (unsigned long long)to) < 0)
		return EXIT_UNAVAILABLE;
	r = cli_call(ctx, "GET", path, NULL, &resp);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else {
		printf("tree %llu is a prefix of tree %llu\n",
		    (unsigned long long)from, (unsigned long long)to);
		print_hashes_text("consistency proof",
		    json_object_get(resp, "proof"));
	}
	json_decref(resp);
	return EXIT_OK;
}

/* A C2SP tlog-proof for one entry, plus the entry itself. */
static int
build_receipt(struct cli_ctx *ctx, uint64_t index, char **ret_proof,
    json_t **ret_entry)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_(tlog_proof_freep) struct tlog_proof *p = NULL;
	json_t *proof = NULL, *entries = NULL;
	const char *note;
	int r;

	r = get_inclusion(ctx, index, NULL, &proof);
	if (r != EXIT_OK)
		return r;
	note = json_string_value(json_object_get(proof, "checkpoint"));
	p = calloc(1, sizeof(*p));
	if (!p || !note) {
		json_decref(proof);
		fprintf(stderr, "consentctl: the daemon sent no checkpoint with the proof\n");
		return EXIT_UNAVAILABLE;
	}
	p->index = index;
	if (decode_hashes(json_object_get(proof, "proof"), p->hash,
		&p->n_hashes) < 0 || !(p->checkpoint = strdup(note))) {
		json_decref(proof);
		return EXIT_UNAVAILABLE;
	}
	p->checkpoint_len = strlen(note);
	json_decref(proof);
	if (tlog_proof_format(p, ret_proof) < 0)
		return EXIT_UNAVAILABLE;
	if (asprintf(&path, "/v1/entries?start=%llu&end=%llu",
		(unsigned long long)index, (unsigned long long)index + 1) < 0)
		return EXIT_UNAVAILABLE;
	r = cli_call(ctx, "GET", path, NULL, &entries);
	if (r != EXIT_OK)
		return r;
	*ret_entry = json_incref(json_array_get(json_object_get(entries,
	    "entries"), 0));
	json_decref(entries);
	return *ret_entry ? EXIT_OK : EXIT_UNAVAILABLE;
}

/* Kantara Consent Receipt v1.1-shaped JSON, carrying the ledger entry and
 * its inclusion proof so that it verifies offline. */
static const char *
str_or_empty(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static json_t *
kantara_receipt(json_t *entry, const char *tlog_proof)
{
	json_t *e = json_object_get(entry, "entry");
	const char *leaf64 = json_string_value(json_object_get(entry, "leaf"));
	const char *expires = json_string_value(json_object_get(e, "expires"));
	char hex[2 * MERKLE_HASH_LEN + 1] = "";
	uint8_t *data = NULL, h[MERKLE_HASH_LEN];
	usec_t t = 0;
	size_t n;
	json_t *purpose;

	time_parse_rfc3339(str_or_empty(e, "at"), &t);
	/* The receipt's ID is the entry's leaf hash. */
	if (leaf64 && base64_decode(leaf64, strlen(leaf64), &data, &n) == 0) {
		merkle_leaf_hash(data, n, h);
		hex_encode(h, sizeof(h), hex);
	}
	free(data);
	purpose = json_pack("{s:s, s:b, s:s, s:b}", "purpose",
	    str_or_empty(e, "purpose"), "primaryPurpose", 1, "consentType",
	    "EXPLICIT", "thirdPartyDisclosure", 0);
	if (purpose && expires)
		json_object_set_new(purpose, "termination", json_string(expires));
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:[{s:s, s:b}],"
			 " s:[{s:s, s:[o]}], s:b, s:{s:I, s:s, s:s, s:s}}",
	    "version", "KI-CR-v1.1.0", "jurisdiction",
	    str_or_empty(e, "jurisdiction"), "consentTimestamp",
	    (json_int_t)(t / USEC_PER_SEC), "collectionMethod",
	    str_or_empty(e, "method"), "consentReceiptID", hex,
	    "piiPrincipalId", str_or_empty(e, "subject"), "piiControllers",
	    "piiController", str_or_empty(e, "controller"), "onBehalf", 0,
	    "services", "service", "model training", "purposes", purpose,
	    "sensitive", 0, "consentd", "index",
	    json_integer_value(json_object_get(entry, "index")), "event",
	    str_or_empty(e, "event"), "leaf", leaf64 ? leaf64 : "",
	    "tlog_proof", tlog_proof);
}

static int
cmd_ledger_receipt(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kantara", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_free_ char *proof = NULL;
	json_t *entry = NULL;
	bool kantara = false;
	uint64_t index;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hk", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl ledger receipt INDEX [--kantara]\n\n"
			       "Prints a receipt for entry INDEX that its holder can keep and verify\n"
			       "offline with the ledger's verifier key: a C2SP tlog-proof (the\n"
			       "entry's inclusion proof and the signed checkpoint), or with\n"
			       "--kantara a Kantara Consent Receipt v1.1-shaped JSON document that\n"
			       "carries the entry and that proof. Verify with\n"
			       "'consentctl ledger verify-receipt'.\n");
			return EXIT_OK;
		case 'k':
			kantara = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 ||
	    cli_parse_uint64(argv[optind], "INDEX", &index) < 0)
		return cli_usage_error("ledger receipt: expected INDEX");
	r = build_receipt(ctx, index, &proof, &entry);
	if (r != EXIT_OK)
		return r;
	if (kantara) {
		json_t *k = kantara_receipt(entry, proof);
		if (!k) {
			json_decref(entry);
			return EXIT_UNAVAILABLE;
		}
		cli_print_json(k);
		json_decref(k);
	} else if (ctx->json) {
		json_t *o = json_pack("{s:O, s:s}", "entry", entry, "tlog_proof",
		    proof);
		cli_print_json(o);
		json_decref(o);
	} else
		fputs(proof, stdout);
	json_decref(entry);
	return EXIT_OK;
}

/* Only the entry's bytes are proven: the receipt's readable fields must
 * say the same as those bytes. */
static bool
kantara_matches_entry(const json_t *doc, const uint8_t *entry, size_t len)
{
	char kind[LEDGER_KIND_MAX + 1], hex[2 * MERKLE_HASH_LEN + 1];
	const json_t *purpose = json_array_get(json_object_get(
	    json_array_get(json_object_get(doc, "services"), 0), "purposes"), 0);
	const json_t *cd = json_object_get(doc, "consentd");
	uint8_t h[MERKLE_HASH_LEN];
	json_t *body = NULL;
	bool ok;

	if (ledger_entry_decode(entry, len, kind, &body) < 0)
		return false;
	merkle_leaf_hash(entry, len, h);
	hex_encode(h, sizeof(h), hex);
	ok = streq(kind, "consent") &&
	    streq(str_or_empty(body, "subject"),
		str_or_empty(doc, "piiPrincipalId")) &&
	    streq(str_or_empty(body, "purpose"), str_or_empty(purpose, "purpose")) &&
	    streq(str_or_empty(body, "event"), str_or_empty(cd, "event")) &&
	    streq(str_or_empty(body, "controller"),
		str_or_empty(json_array_get(json_object_get(doc,
		    "piiControllers"), 0), "piiController")) &&
	    streq(str_or_empty(body, "jurisdiction"),
		str_or_empty(doc, "jurisdiction")) &&
	    streq(str_or_empty(body, "method"),
		str_or_empty(doc, "collectionMethod")) &&
	    streq(hex, str_or_empty(doc, "consentReceiptID"));
	json_decref(body);
	return ok;
}

static int
cmd_ledger_verify_receipt(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "entry", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ uint8_t *entry = NULL;
	_cleanup_(tlog_proof_freep) struct tlog_proof *p = NULL;
	struct note_verifier v;
	struct checkpoint cp = { 0 };
	const char *key = NULL, *entry64 = NULL, *proof_text;
	uint8_t leaf[MERKLE_HASH_LEN];
	json_t *doc = NULL;
	size_t len, elen = 0;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl ledger verify-receipt FILE --key VKEY [--entry BASE64]\n\n"
			       "Verifies a receipt offline: a Kantara-shaped JSON receipt from\n"
			       "'ledger receipt --kantara', or a C2SP tlog-proof with the entry's\n"
			       "bytes given by --entry (base64). Exit 0 valid, 1 invalid.\n");
			return EXIT_OK;
		case 'k':
			key = optarg;
			break;
		case 'e':
			entry64 = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !key)
		return cli_usage_error("ledger verify-receipt: expected FILE and --key");
	if (load_vkey(key, &v) < 0)
		return EXIT_USAGE;
	r = read_text(argv[optind], TLOG_PROOF_MAX_SIZE + 65536, &text, &len);
	if (r < 0)
		return cli_usage_error("cannot read '%s': %s", argv[optind],
		    strerror(-r));
	proof_text = text;
	if (text[0] == '{') {
		json_error_t e;
		if (json_load_checked(text, len, 0, &doc, &e) == -ENOMEM)
			return EXIT_UNAVAILABLE;
		json_t *cd = json_object_get(doc, "consentd");
		proof_text = json_string_value(json_object_get(cd, "tlog_proof"));
		entry64 = json_string_value(json_object_get(cd, "leaf"));
		if (!proof_text || !entry64) {
			json_decref(doc);
			return cli_usage_error("'%s' is not a consentd receipt",
			    argv[optind]);
		}
	}
	if (!entry64) {
		json_decref(doc);
		return cli_usage_error("a tlog-proof needs the entry: --entry BASE64");
	}
	if (base64_decode(entry64, strlen(entry64), &entry, &elen) < 0) {
		json_decref(doc);
		return cli_usage_error("the entry is not valid base64");
	}
	merkle_leaf_hash(entry, elen, leaf);
	if (doc && !kantara_matches_entry(doc, entry, elen)) {
		json_decref(doc);
		printf("receipt INVALID: its fields do not match the entry it proves\n");
		return EXIT_NEGATIVE;
	}
	r = tlog_proof_parse(proof_text, strlen(proof_text), &p);
	if (r >= 0)
		r = tlog_proof_verify(p, leaf, &v, 1, NULL, &cp);
	json_decref(doc);
	if (r < 0) {
		printf("receipt INVALID: the entry is not proven included in a checkpoint signed by %s\n",
		    v.name);
		return EXIT_NEGATIVE;
	}
	printf("receipt valid: entry %llu is in the log of %llu entries signed by %s\n",
	    (unsigned long long)p->index, (unsigned long long)cp.size, v.name);
	checkpoint_done(&cp);
	return EXIT_OK;
}

static int
export_via_daemon(struct cli_ctx *ctx, FILE *out)
{
	json_t *resp = NULL, *cp = NULL, *e;
	uint64_t start = 0, size;
	size_t i;
	int r;

	r = cli_call(ctx, "GET", "/v1/checkpoint", NULL, &cp);
	if (r != EXIT_OK)
		return r;
	size = (uint64_t)json_integer_value(json_object_get(cp, "size"));
	while (start < size) {
		char path[96];
		snprintf(path, sizeof(path), "/v1/entries?start=%llu&end=%llu",
		    (unsigned long long)start, (unsigned long long)size);
		r = cli_call(ctx, "GET", path, NULL, &resp);
		if (r != EXIT_OK) {
			json_decref(cp);
			return r;
		}
		json_array_foreach(json_object_get(resp, "entries"), i, e) {
			char *line = json_dumps_checked(e, JSON_COMPACT);
			if (line)
				fprintf(out, "%s\n", line);
			free(line);
			start++;
		}
		if (json_array_size(json_object_get(resp, "entries")) == 0)
			start = size;
		json_decref(resp);
	}
	{
		json_t *o = json_pack("{s:O, s:O}", "size",
		    json_object_get(cp, "size"), "checkpoint",
		    json_object_get(cp, "note"));
		char *line = json_dumps_checked(o, JSON_COMPACT);
		if (line)
			fprintf(out, "%s\n", line);
		free(line);
		json_decref(o);
	}
	json_decref(cp);
	return fflush(out) == 0 ? EXIT_OK : EXIT_UNAVAILABLE;
}

static int
ledger_export_cmd(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *db = NULL, *output = NULL;
	FILE *out = stdout;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl ledger export [--db FILE] [-o FILE]\n\n"
			       "Writes the ledger as JSONL: one entry a line ({\"index\", \"kind\",\n"
			       "\"leaf\": base64 of the exact stored bytes, \"entry\": the decoded\n"
			       "fields}), then the signed checkpoints ({\"size\", \"checkpoint\"}).\n"
			       "With --db it reads a database file directly (all checkpoints);\n"
			       "otherwise it asks the daemon (up to its latest checkpoint).\n");
			return EXIT_OK;
		case 'd':
			db = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("ledger export: unexpected argument '%s'",
		    argv[optind]);
	if (output && !(out = fopen(output, "we")))
		return cli_usage_error("cannot write '%s': %m", output);
	if (db) {
		struct ledger_options o = { .db_path = db, .read_only = true };
		_cleanup_(ledger_closep) struct ledger *l = NULL;
		char err[512];
		uint64_t n;
		r = ledger_open(&o, &l, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "consentctl: %s\n", err);
			r = EXIT_USAGE;
		} else if (ledger_export(l, out, &n) < 0) {
			fprintf(stderr, "consentctl: export failed\n");
			r = EXIT_UNAVAILABLE;
		} else
			r = EXIT_OK;
	} else
		r = export_via_daemon(ctx, out);
	if (out != stdout && fclose(out) != 0 && r == EXIT_OK)
		r = EXIT_UNAVAILABLE;
	return r;
}

static int
ledger_verify_cmd(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "export", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "allow-unsigned-tail", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *db = NULL, *exp = NULL, *key = NULL, *cpfile = NULL;
	int flags = 0;
	_cleanup_free_ char *cptext = NULL;
	struct ledger_verify_report rep;
	struct note_verifier v;
	json_t *o;
	size_t len;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl ledger verify (--db FILE | --export FILE) --key VKEY\n"
			       "                                [--checkpoint FILE]\n"
			       "       consentctl ledger verify          (through the daemon)\n\n"
			       "Verifies a ledger offline, with no daemon and no secret: every entry\n"
			       "against the stored hashes and every signed checkpoint, the\n"
			       "signatures against VKEY (a key or a file holding one), the derived\n"
			       "consent index against a replay of the log, and, with --checkpoint, a\n"
			       "checkpoint obtained elsewhere (to detect a truncated or forked log).\n"
			       "Entries after the latest signed checkpoint fail verification unless\n"
			       "--allow-unsigned-tail (a copy taken while the daemon was writing).\n"
			       "Without --db or --export the daemon verifies its own ledger, and\n"
			       "also checks its subject map's MACs.\n"
			       "Exit 0 verified, 1 verification failed (naming the first bad\n"
			       "entry), 2 bad input.\n");
			return EXIT_OK;
		case 'd':
			db = optarg;
			break;
		case 'e':
			exp = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'c':
			cpfile = optarg;
			break;
		case 't':
			flags |= LEDGER_VERIFY_ALLOW_UNSIGNED_TAIL;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("ledger verify: unexpected argument '%s'",
		    argv[optind]);
	if (!db && !exp) {
		json_t *resp = NULL;
		if (key || cpfile)
			return cli_usage_error("ledger verify: --key and --checkpoint go with --db or --export");
		r = cli_call(ctx, "POST", "/v1/ledger/verify", NULL, &resp);
		if (r != EXIT_OK)
			return r;
		if (ctx->json)
			cli_print_json(resp);
		else
			printf("%s: %s (%lld entries, %lld checkpoints)\n",
			    json_is_true(json_object_get(resp, "ok")) ? "OK" :
									 "FAILED",
			    json_string_value(json_object_get(resp, "message")),
			    (long long)json_integer_value(json_object_get(resp,
				"entries")),
			    (long long)json_integer_value(json_object_get(resp,
				"checkpoints")));
		r = json_is_true(json_object_get(resp, "ok")) ? EXIT_OK :
								EXIT_NEGATIVE;
		json_decref(resp);
		return r;
	}
	if (db && exp)
		return cli_usage_error("ledger verify: give --db or --export, not both");
	if (!key)
		return cli_usage_error("ledger verify: --key VKEY is required");
	if (load_vkey(key, &v) < 0)
		return EXIT_USAGE;
	if (cpfile) {
		r = read_text(cpfile, NOTE_MAX_SIZE, &cptext, &len);
		if (r < 0)
			return cli_usage_error("cannot read '%s': %s", cpfile,
			    strerror(-r));
	}
	r = db ? ledger_verify_db(db, &v, cptext, flags, &rep) :
		 ledger_verify_export(exp, &v, cptext, flags, &rep);
	if (ctx->json) {
		o = json_pack("{s:b, s:I, s:I, s:I, s:s}", "ok", rep.ok, "entries",
		    (json_int_t)rep.entries, "checkpoints",
		    (json_int_t)rep.checkpoints, "latest_size",
		    (json_int_t)rep.latest_size, "message",
		    rep.ok ? "ledger verified" : rep.message);
		if (o && rep.has_bad_index)
			json_object_set_new(o, "bad_index",
			    json_integer((json_int_t)rep.bad_index));
		cli_print_json(o);
		json_decref(o);
	} else if (rep.ok)
		printf("OK: %llu entries verified against %llu signed checkpoints (latest at size %llu)%s\n",
		    (unsigned long long)rep.entries,
		    (unsigned long long)rep.checkpoints,
		    (unsigned long long)rep.latest_size,
		    rep.unsigned_tail ?
			"; later entries checked against stored hashes only" :
			"");
	else
		printf("FAILED: %s\n", rep.message);
	if (rep.ok)
		return EXIT_OK;
	/* A file we could not open or read is an input problem, not a
	 * verdict on the ledger. */
	return r == -EBADMSG ? EXIT_NEGATIVE : EXIT_USAGE;
}

static int
ledger_reindex_cmd(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *resp = NULL;
	int r;

	if (simple_help(argc, argv,
		"Usage: consentctl ledger reindex\n\n"
		"Rebuilds the derived tables (current consent per subject and purpose)\n"
		"from the log.\n"))
		return EXIT_OK;
	if (argc != 1)
		return cli_usage_error("ledger reindex: no arguments expected");
	r = cli_call(ctx, "POST", "/v1/ledger/reindex", NULL, &resp);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		printf("reindexed %lld entries\n",
		    (long long)json_integer_value(json_object_get(resp, "entries")));
	json_decref(resp);
	return EXIT_OK;
}

int
cmd_ledger(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "key", cmd_ledger_key, "print the verifier key" },
		{ "checkpoint", cmd_ledger_checkpoint, "print the latest signed checkpoint" },
		{ "prove", cmd_ledger_prove, "inclusion proof of an entry" },
		{ "consistency", cmd_ledger_consistency, "consistency proof between two sizes" },
		{ "receipt", cmd_ledger_receipt, "a receipt for an entry (tlog-proof, Kantara)" },
		{ "verify-receipt", cmd_ledger_verify_receipt, "verify a receipt offline" },
		{ "export", ledger_export_cmd, "export the ledger as JSONL" },
		{ "verify", ledger_verify_cmd, "verify a ledger (offline, or via the daemon)" },
		{ "reindex", ledger_reindex_cmd, "rebuild the derived tables from the log" },
	};
	return cli_dispatch(ctx, argc, argv, subs, ELEMENTSOF(subs),
	    "The signed, tamper-evident ledger.");
}

int
cmd_keygen(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "origin", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *origin = "consentd.local/ledger";
	_cleanup_free_ char *vkey = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl keygen [--origin NAME] FILE\n\n"
			       "Generates an Ed25519 ledger signing key into FILE (mode 0600; an\n"
			       "existing file is never overwritten) and prints its verifier key.\n"
			       "NAME is the log's origin, e.g. consentd.example.org/ledger; it must\n"
			       "match ledger.origin in consentd.yaml. Install FILE as\n"
			       "STATE_DIR/ledger.key before the daemon's first start.\n");
			return EXIT_OK;
		case 'n':
			origin = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("keygen: expected FILE");
	if (!note_name_is_valid(origin, strlen(origin)))
		return cli_usage_error("keygen: '%s' is not a valid key name (no '+' or spaces)",
		    origin);
	r = ledger_keygen(argv[optind], origin, &vkey);
	if (r == -EEXIST)
		return cli_usage_error("keygen: '%s' exists; refusing to overwrite a key",
		    argv[optind]);
	if (r < 0)
		return cli_usage_error("keygen: cannot write '%s': %s",
		    argv[optind], strerror(-r));
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:s}", "vkey", vkey, "file",
		    argv[optind]);
		cli_print_json(o);
		json_decref(o);
	} else
		printf("%s\n", vkey);
	return EXIT_OK;
}
