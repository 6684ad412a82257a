/* Allocation-failure torture for the parsers (curl's torture idea): each
 * allocation an entry point makes fails in turn; none may crash, leak, or
 * report success over a lost allocation. See docs/torture.md. */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <zlib.h>

#include "codec.h"
#include "consent.h"
#include "detect.h"
#include "dp/dp.h"
#include "eval.h"
#include "job.h"
#include "json.h"
#include "ledger.h"
#include "manifest.h"
#include "merkle.h"
#include "note.h"
#include "policy.h"
#include "reader.h"
#include "yamlnode.h"

#ifndef TOP_SRCDIR
#error "TOP_SRCDIR must name the source tree"
#endif

/* AddressSanitizer brings its own allocator, which this program would
 * bypass: such builds skip the test. */
#if defined(__SANITIZE_ADDRESS__)
#define TORTURE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TORTURE_UNDER_ASAN 1
#endif
#endif

#define TORTURE_SKIP 77
#define TORTURE_MAX_CASES 64
#define TORTURE_SUMMARY_MAX (256 * 1024)
/* One line per entry point: allocations counted, failures injected, runs
 * that returned an error (and how many of those not -ENOMEM), runs that
 * succeeded with the same result, or with the failure shown in it. */
#define TORTURE_HEADER "%-48s %7s %7s %7s %7s %7s %7s  %s\n"
#define TORTURE_ROW "%-48s %7lu %7lu %7lu %7lu %7lu %7lu  "

/* The allocator's state. Allocations are counted (and may fail) only while
 * a run is armed; live counts every block the program holds. */
static struct {
	unsigned long count;   /* allocations since torture_arm() */
	unsigned long fail_at; /* the allocation that fails; 0: none */
	bool counting;
	bool injected;         /* fail_at was reached */
	long live;
} torture;

/* What is running, for the crash and exit reports. */
static const char *torture_current;
static unsigned long torture_current_n;

static void
torture_arm(unsigned long fail_at)
{
	torture.count = 0;
	torture.fail_at = fail_at;
	torture.injected = false;
	torture.counting = true;
}

static void
torture_disarm(void)
{
	torture.counting = false;
}

#ifndef TORTURE_UNDER_ASAN
/* glibc's allocator under its own names (what malloc() is an alias of), so
 * that valgrind, which replaces those entry points, still sees every
 * block. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void __libc_free(void *p);

static bool
torture_fails(void)
{
	if (!torture.counting)
		return false;
	if (++torture.count != torture.fail_at)
		return false;
	torture.injected = true;
	errno = ENOMEM;
	return true;
}

void *
malloc(size_t size)
{
	void *p;

	if (torture_fails())
		return NULL;
	p = __libc_malloc(size);
	if (p)
		torture.live++;
	return p;
}

void *
calloc(size_t n, size_t size)
{
	void *p;

	if (torture_fails())
		return NULL;
	p = __libc_calloc(n, size);
	if (p)
		torture.live++;
	return p;
}

void *
realloc(void *p, size_t size)
{
	if (!p)
		return malloc(size);
	if (size == 0) {
		/* glibc frees the block and returns NULL. */
		free(p);
		return NULL;
	}
	if (torture_fails())
		return NULL;
	return __libc_realloc(p, size);
}

void *
reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

void
free(void *p)
{
	if (p)
		torture.live--;
	__libc_free(p);
}

void *
memalign(size_t align, size_t size)
{
	void *p;

	if (torture_fails())
		return NULL;
	p = __libc_memalign(align, size);
	if (p)
		torture.live++;
	return p;
}

void *
aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

int
posix_memalign(void **ret, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	p = memalign(align, size);
	if (!p)
		return ENOMEM;
	*ret = p;
	return 0;
}

void *
valloc(size_t size)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

#undef strdup
#undef strndup

char *
strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = malloc(len);

	if (p)
		memcpy(p, s, len);
	return p;
}

char *
strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
#endif /* !TORTURE_UNDER_ASAN */

/* A run's description of what it parsed, in static storage: building it
 * allocates nothing. */
struct summary {
	char text[TORTURE_SUMMARY_MAX];
	size_t len;
	bool overflow;
};

static void say(struct summary *s, const char *fmt, ...) _printf_(2, 3);

static void
say(struct summary *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->text + s->len, sizeof(s->text) - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->text) - s->len) {
		s->overflow = true;
		return;
	}
	s->len += (size_t)n;
}

static void
say_hex(struct summary *s, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		say(s, "%02x", data[i]);
}

struct torture_case;
typedef int torture_run_fn(const struct torture_case *c, struct summary *out);
/* Whether got, the summary of a run that succeeded although an allocation
 * failed, is an acceptable answer where ref is the one without failures. */
typedef bool torture_tolerates_fn(const char *ref, const char *got);

struct torture_case {
	char name[96];
	torture_run_fn *run;
	torture_tolerates_fn *tolerates; /* NULL: got must equal ref */
	const char *data;                /* the input */
	size_t len;
	const char *base_dir;            /* manifests */
	enum reader_format format;       /* readers */
	size_t chunk;                    /* readers: 0 = default */
};

/*
 * Inputs.
 */

/* A policy with every rule kind and most options; also the YAML document. */
static const char policy_all_kinds[] =
	"# Every rule kind, in block and flow styles.\n"
	"name: torture-all-kinds\n"
	"version: \"2.1\"\n"
	"description: >-\n"
	"  Every rule kind, with lists, mappings, quoted and folded\n"
	"  scalars.\n"
	"mode: enforce\n"
	"match:\n"
	"  purposes: [train_ai_system, analytics.reporting]\n"
	"  labels: { region: [eu, eea], tier: gold }\n"
	"rules:\n"
	"  - name: consented\n"
	"    description: 'quoted, with a # inside'\n"
	"    consent: { purpose: train_ai_system, max_missing: 1% }\n"
	"  - name: columns\n"
	"    fields:\n"
	"      deny: ['*email*', \"*phone*\"]\n"
	"      deny_categories: [user.contact, user.name]\n"
	"      allow: [subject, zip, age, diagnosis, seen_at]\n"
	"      allow_categories: [user.demographic]\n"
	"  - name: values\n"
	"    pii:\n"
	"      detect: [email, phone, credit_card, iban, ip_address]\n"
	"      custom:\n"
	"        - name: employee_id\n"
	"          pattern: 'EMP-[0-9]{6}'\n"
	"          validate: luhn\n"
	"        - { name: ticket, pattern: \"TK[0-9]+\" }\n"
	"      max_rate: 0.5%\n"
	"      exclude_columns: [seen_at]\n"
	"  - name: k-anonymous\n"
	"    k_anonymity: { k: 2, quasi_identifiers: [zip, age] }\n"
	"  - name: diverse\n"
	"    l_diversity: { sensitive: diagnosis, l: 2 }\n"
	"  - name: fresh\n"
	"    retention: { field: seen_at, max_age: 730d }\n"
	"  - name: budget\n"
	"    dp_budget:\n"
	"      epsilon: 8\n"
	"      delta: 1e-6\n"
	"      scope: group cohort\n"
	"      accountant: rdp\n";

static const char job_json[] =
	"{\"job\": \"train-2026-11-29.1\", \"purpose\": \"train_ai_system\",\n"
	" \"datasets\": [\"/srv/data/users.yaml\",\n"
	"   \"/srv/data/events.yaml\"],\n"
	" \"privacy\": {\"mechanism\": \"dp-sgd\", \"noise_multiplier\": 1.1,\n"
	"   \"sample_rate\": 0.01, \"steps\": 10000, \"delta\": 1e-6},\n"
	" \"requester\": \"ml-pipeline@example.com\",\n"
	" \"model\": {\"name\": \"recommender\", \"version\": \"3.2\"},\n"
	" \"recheck\": true}\n";

static const char consent_json[] =
	"{\"subject\": \"user-4711\", \"purpose\": \"train_ai_system\",\n"
	" \"event\": \"grant\", \"at\": \"2026-11-01T10:00:00Z\",\n"
	" \"expires\": \"2027-11-01T10:00:00Z\", \"method\": \"web-form\",\n"
	" \"source\": \"shop.example.com\", \"text_version\": \"v7\",\n"
	" \"text_sha256\": \"9f86d081884c7d659a2feaa0c55ad015"
	"a3bf4f1b2b0b822cd15d6c15b0f00a08\",\n"
	" \"jurisdiction\": \"EU\", \"controller\": \"Example GmbH\"}\n";

static const char csv_data[] =
	"\xef\xbb\xbf" "id,name,comment,amount\r\n"
	"1,Ada,\"plain\",10\r\n"
	"2,\"Grace \"\"Amazing\"\" Hopper\",\"with, a comma\",20\r\n"
	"\r\n"
	"3,Edsger,\"two\nlines\",30\n"
	"4,Barbara,,40\n"
	"5,\"Unterminated,x,50\n";

static const char tsv_data[] =
	"id\tcity\tzip\tnote\n"
	"1\tBerlin\t10115\tfirst\n"
	"2\tParis\t75001\twith \\t escape\n"
	"3\tRome\t00118\n"
	"4\tOslo\t0150\tlast\n";

static const char jsonl_data[] =
	"{\"id\": 1, \"user\": {\"name\": \"Ada\", \"zip\": \"10115\"}, "
	"\"tags\": [\"a\", \"b\"], \"ok\": true}\n"
	"{\"id\": 2, \"user\": {\"name\": \"Grace\"}, \"score\": 3.5, "
	"\"none\": null}\n"
	"\n"
	"{\"id\": 3, \"user\": {}, \"extra\": {\"deep\": {\"er\": \"x\"}}}\n"
	"{\"id\": 4, \"id\": 5}\n"
	"{\"id\": 6, \"user\": {\"name\": \"Edsger\", \"zip\": \"1000\"}}\n";

static const char gzip_plain[] =
	"email,phone,card\n"
	"a@example.com,+49 30 1234567,4111 1111 1111 1111\n"
	"b@example.org,,\n"
	"none,+1 415 555 2671,5500-0000-0000-0004\n";

/* The evaluation fixture: a policy that passes (enforce), one that fails
 * (audit), their manifest and data in a temporary directory. */
static const char eval_pass_policy[] =
	"name: torture-pass\n"
	"mode: enforce\n"
	"match: { purposes: [train_ai_system], labels: { region: eu } }\n"
	"rules:\n"
	"  - name: consented\n"
	"    consent: { max_missing: 0 }\n"
	"  - name: no-financial\n"
	"    fields: { deny_categories: [user.financial], deny: ['*ssn*'] }\n"
	"  - name: no-pii\n"
	"    pii:\n"
	"      detect: [phone, credit_card, iban, ip_address]\n"
	"      custom: [{ name: employee_id, pattern: 'EMP-[0-9]{6}' }]\n"
	"      exclude_columns: [email]\n"
	"  - name: k2\n"
	"    k_anonymity: { k: 2 }\n"
	"  - name: l2\n"
	"    l_diversity: { sensitive: diagnosis, l: 2 }\n"
	"  - name: fresh\n"
	"    retention: { max_age: 730d }\n"
	"  - name: budget\n"
	"    dp_budget: { epsilon: 8, delta: 1e-6 }\n";

static const char eval_fail_policy[] =
	"name: torture-fail\n"
	"mode: audit\n"
	"rules:\n"
	"  - name: no-email-names\n"
	"    fields: { deny: ['*email*'], deny_categories: [user.contact] }\n"
	"  - name: no-pii\n"
	"    pii: { max_rate: 0 }\n"
	"  - name: k5\n"
	"    k_anonymity: { k: 5, quasi_identifiers: [zip, age] }\n"
	"  - name: l3\n"
	"    l_diversity: { sensitive: diagnosis, l: 3 }\n"
	"  - name: recent\n"
	"    retention: { field: seen_at, max_age: 30d }\n"
	"  - name: consented-marketing\n"
	"    consent: { purpose: marketing, max_missing: 1 }\n";

static const char eval_manifest[] =
	"dataset: torture-people\n"
	"path: people.csv\n"
	"subject_field: subject\n"
	"labels: { region: eu }\n"
	"fields:\n"
	"  subject: { category: user.unique_id, role: identifier }\n"
	"  zip: { category: user.contact.address.postal_code,"
	" role: quasi_identifier }\n"
	"  age: { category: user.demographic.age_range,"
	" role: quasi_identifier }\n"
	"  diagnosis: { category: user.health_and_medical, role: sensitive }\n"
	"  seen_at: { role: timestamp }\n"
	"  email: { category: user.contact.email }\n";

static const char eval_csv[] =
	"subject,zip,age,diagnosis,seen_at,email\n"
	"s1,10115,30-39,flu,2026-10-01T00:00:00Z,a@example.com\n"
	"s2,10115,30-39,cold,2026-10-02T00:00:00Z,b@example.com\n"
	"s3,10117,40-49,flu,2026-10-03T00:00:00Z,\n"
	"s4,10117,40-49,asthma,2026-10-04,\n"
	"s5,10115,30-39,flu,2026-11-25T00:00:00Z,c@example.org\n"
	"s6,10117,40-49,cold,2026-10-06T12:00:00+02:00,\n";

static const char *const eval_consented[] = {
	"s1", "s2", "s3", "s4", "s5", "s6",
};

/*
 * Fixtures built before any failure is injected.
 */

static struct {
	char *checkpoint;      /* signed note */
	char *receipt;         /* tlog-proof */
	struct note_verifier verifier;
	uint8_t leaf[MERKLE_HASH_LEN];
	uint8_t *gzip;
	size_t gzip_len;
	uint8_t *dp_blob;
	size_t dp_blob_len;
	char *eval_dir;
	struct policy *eval_policies[2];
	struct manifest *eval_manifest;
	usec_t eval_at;
	struct consent_source consent;
} fx;

static char *policy_files[TORTURE_MAX_CASES];
static char *policy_texts[TORTURE_MAX_CASES];
static size_t policy_lens[TORTURE_MAX_CASES];
static size_t npolicy_files;

static _noreturn_ void setup_failed(const char *what, int r);

static void
setup_failed(const char *what, int r)
{
	fprintf(stderr, "torture: setup: %s: %s\n", what, strerror(r < 0 ?
	    -r : r));
	exit(99);
}

static int
read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;
	char *data;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0)
		return -errno;
	data = malloc((size_t)st.st_size + 1);
	if (!data)
		return -ENOMEM;
	if (fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(data);
		return -EIO;
	}
	data[st.st_size] = '\0';
	*ret = data;
	*ret_len = (size_t)st.st_size;
	return 0;
}

static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;
	size_t len = strlen(text);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static int
cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The shipped policies (policies/NAME.yaml), in name order. */
static void
setup_policy_files(void)
{
	const char *dir = TOP_SRCDIR "/policies";
	struct dirent *de;
	DIR *d;
	int r;

	d = opendir(dir);
	if (!d)
		setup_failed(dir, -errno);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		if (npolicy_files == ELEMENTSOF(policy_files))
			break;
		policy_files[npolicy_files] = strdup(de->d_name);
		if (!policy_files[npolicy_files])
			setup_failed("strdup", -ENOMEM);
		npolicy_files++;
	}
	closedir(d);
	if (npolicy_files == 0)
		setup_failed("no policies/*.yaml", -ENOENT);
	qsort(policy_files, npolicy_files, sizeof(char *), cmp_strings);
	for (size_t i = 0; i < npolicy_files; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, policy_files[i]);
		r = read_file(path, &policy_texts[i], &policy_lens[i]);
		if (r < 0)
			setup_failed(path, r);
	}
}

/* A checkpoint of a 7-leaf tree signed with a fixed key, and the receipt
 * (tlog-proof) of leaf 5 in it. */
static void
setup_note(void)
{
	static const char origin[] = "torture.example/log";
	_cleanup_merkle_memtree_ struct merkle_memtree *t = NULL;
	_cleanup_note_signer_ struct note_signer s;
	struct merkle_hash_reader rd;
	struct tlog_proof p = { 0 };
	uint8_t seed[NOTE_SEED_LEN], root[MERKLE_HASH_LEN];
	int r;

	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 7 + 1);
	r = note_signer_from_seed(origin, seed, &s);
	if (r < 0)
		setup_failed("note_signer_from_seed", r);
	note_signer_verifier(&s, &fx.verifier);
	r = merkle_memtree_new(&t);
	if (r < 0)
		setup_failed("merkle_memtree_new", r);
	for (unsigned i = 0; i < 7; i++) {
		char leaf[32];
		uint8_t h[MERKLE_HASH_LEN];
		int n = snprintf(leaf, sizeof(leaf), "leaf %u", i);

		merkle_leaf_hash(leaf, (size_t)n, h);
		if (i == 5)
			memcpy(fx.leaf, h, sizeof(h));
		r = merkle_memtree_append(t, h);
		if (r < 0)
			setup_failed("merkle_memtree_append", r);
	}
	rd = merkle_memtree_reader(t);
	r = merkle_tree_hash(&rd, 7, root);
	if (r < 0)
		setup_failed("merkle_tree_hash", r);
	r = checkpoint_sign(origin, 7, root, &s, &fx.checkpoint);
	if (r < 0)
		setup_failed("checkpoint_sign", r);
	r = merkle_inclusion_proof(&rd, 5, 7, p.hash, &p.n_hashes);
	if (r < 0)
		setup_failed("merkle_inclusion_proof", r);
	p.index = 5;
	p.extra = (uint8_t *)"receipt for subject 5";
	p.extra_len = strlen((const char *)p.extra);
	p.checkpoint = fx.checkpoint;
	p.checkpoint_len = strlen(fx.checkpoint);
	r = tlog_proof_format(&p, &fx.receipt);
	if (r < 0)
		setup_failed("tlog_proof_format", r);
}

static void
setup_gzip(void)
{
	z_stream z = { 0 };
	uLong bound;

	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		setup_failed("deflateInit2", -ENOMEM);
	bound = deflateBound(&z, sizeof(gzip_plain) - 1);
	fx.gzip = malloc(bound);
	if (!fx.gzip)
		setup_failed("malloc", -ENOMEM);
	z.next_in = (Bytef *)gzip_plain;
	z.avail_in = sizeof(gzip_plain) - 1;
	z.next_out = fx.gzip;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		setup_failed("deflate", -EIO);
	fx.gzip_len = z.total_out;
	deflateEnd(&z);
}

static void
setup_dp(void)
{
	struct dp_curve *c = NULL;
	struct dp_job job = {
		.mechanism = DP_MECHANISM_LAPLACE, .scale = 2, .count = 3,
	};
	int r;

	r = dp_curve_new(NULL, 0, &c);
	if (r >= 0)
		r = dp_curve_charge(c, &job);
	if (r >= 0)
		r = dp_curve_to_blob(c, &fx.dp_blob, &fx.dp_blob_len);
	if (r < 0)
		setup_failed("dp curve", r);
	dp_curve_free(c);
}

static int
eval_lookup(void *userdata, const char *subject, size_t len,
    const char *purpose)
{
	if (!streq(purpose, "train_ai_system"))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(eval_consented); i++)
		if (strlen(eval_consented[i]) == len &&
		    memcmp(eval_consented[i], subject, len) == 0)
			return 1;
	return 0;
}

static void
setup_eval(void)
{
	const char *tmp = getenv("TMPDIR");
	struct diag errors = { 0 };
	char templ[4096];
	int r;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(templ, sizeof(templ), "%s/torture.XXXXXX", tmp);
	if (!mkdtemp(templ))
		setup_failed("mkdtemp", -errno);
	fx.eval_dir = strdup(templ);
	if (!fx.eval_dir)
		setup_failed("strdup", -ENOMEM);
	r = write_file(fx.eval_dir, "people.csv", eval_csv);
	if (r < 0)
		setup_failed("people.csv", r);
	r = policy_parse_string("pass.yaml", eval_pass_policy,
	    sizeof(eval_pass_policy) - 1, &fx.eval_policies[0], &errors, NULL);
	if (r >= 0)
		r = policy_parse_string("fail.yaml", eval_fail_policy,
		    sizeof(eval_fail_policy) - 1, &fx.eval_policies[1],
		    &errors, NULL);
	if (r >= 0)
		r = manifest_parse_string("people.yaml", eval_manifest,
		    sizeof(eval_manifest) - 1, fx.eval_dir, &fx.eval_manifest,
		    &errors, NULL);
	if (r < 0) {
		diag_print(&errors, stderr);
		setup_failed("evaluation fixture", r);
	}
	diag_clear(&errors);
	r = time_parse_rfc3339("2026-11-29T00:00:00Z", &fx.eval_at);
	if (r < 0)
		setup_failed("time_parse_rfc3339", r);
	fx.consent = (struct consent_source){
		.lookup = eval_lookup, .snapshot_size = 42,
	};
}

static void
teardown(void)
{
	char path[4096];

	if (fx.eval_dir) {
		snprintf(path, sizeof(path), "%s/people.csv", fx.eval_dir);
		(void)unlink(path);
		(void)rmdir(fx.eval_dir);
	}
	free(fx.eval_dir);
	policy_free(fx.eval_policies[0]);
	policy_free(fx.eval_policies[1]);
	manifest_free(fx.eval_manifest);
	free(fx.checkpoint);
	free(fx.receipt);
	free(fx.gzip);
	free(fx.dp_blob);
	for (size_t i = 0; i < npolicy_files; i++) {
		free(policy_files[i]);
		free(policy_texts[i]);
	}
}

/*
 * Summaries of parsed objects.
 */

static void
say_diag(struct summary *out, const char *what, const struct diag *d)
{
	say(out, "%s: %zu\n", what, diag_count(d));
}

static void
say_node(struct summary *out, const struct ynode *n, unsigned depth)
{
	say(out, "%*s%s %u:%u", (int)(2 * depth), "", ynode_type_name(n->type),
	    n->line, n->col);
	if (n->type == YNODE_SCALAR) {
		say(out, " %s%zu '%.*s'\n", n->plain ? "plain " : "", n->len,
		    (int)n->len, n->value);
		return;
	}
	say(out, " [%zu]\n", n->n);
	for (size_t i = 0; i < n->n; i++) {
		if (n->type == YNODE_MAP)
			say_node(out, n->keys[i], depth + 1);
		say_node(out, n->items[i], depth + 1);
	}
}

static void
say_strv(struct summary *out, const char *what,
    const struct policy_strv *v)
{
	say(out, " %s=[", what);
	for (size_t i = 0; i < v->n; i++)
		say(out, "%s%s", i ? "," : "", v->v[i]);
	say(out, "]");
}

static void
say_rule(struct summary *out, const struct policy_rule *r)
{
	say(out, "rule %s %s %u:%u desc=%s", r->name, rule_kind_name(r->kind),
	    r->line, r->col, r->description ? r->description : "-");
	switch (r->kind) {
	case RULE_CONSENT:
		say(out, " purpose=%s limit=%d count=%" PRIu64 " fraction=%g",
		    r->consent.purpose ? r->consent.purpose : "-",
		    (int)r->consent.limit, r->consent.max_count,
		    r->consent.max_fraction);
		break;
	case RULE_FIELDS:
		say_strv(out, "allow", &r->fields.allow);
		say_strv(out, "deny", &r->fields.deny);
		say_strv(out, "allow_categories", &r->fields.allow_categories);
		say_strv(out, "deny_categories", &r->fields.deny_categories);
		break;
	case RULE_PII:
		say(out, " kinds=");
		for (size_t i = 0; i < r->pii.nkinds; i++)
			say(out, "%s,", detector_kind_name(r->pii.kinds[i]));
		for (size_t i = 0; i < r->pii.ncustom; i++)
			say(out, " custom=%s/%s/%d", r->pii.custom[i].name,
			    r->pii.custom[i].pattern,
			    (int)r->pii.custom[i].validate);
		say(out, " max_rate=%g", r->pii.max_rate);
		say_strv(out, "columns", &r->pii.columns);
		say_strv(out, "exclude", &r->pii.exclude_columns);
		say(out, " set=%zu", r->pii.set ?
		    detector_set_size(r->pii.set) : 0);
		break;
	case RULE_K_ANONYMITY:
		say_strv(out, "qi", &r->k_anonymity.quasi_identifiers);
		say(out, " k=%" PRIu64, r->k_anonymity.k);
		break;
	case RULE_L_DIVERSITY:
		say(out, " sensitive=%s", r->l_diversity.sensitive);
		say_strv(out, "qi", &r->l_diversity.quasi_identifiers);
		say(out, " l=%" PRIu64, r->l_diversity.l);
		break;
	case RULE_RETENTION:
		say(out, " field=%s max_age=%" PRIu64,
		    r->retention.field ? r->retention.field : "-",
		    (uint64_t)r->retention.max_age);
		break;
	case RULE_DP_BUDGET:
		say(out, " epsilon=%g delta=%g/%d scope=%d group=%s acc=%d",
		    r->dp_budget.epsilon, r->dp_budget.delta,
		    (int)r->dp_budget.has_delta, (int)r->dp_budget.scope,
		    r->dp_budget.group ? r->dp_budget.group : "-",
		    (int)r->dp_budget.accountant);
		break;
	case _RULE_KIND_MAX:
		break;
	}
	say(out, "\n");
}

static void
say_policy(struct summary *out, const struct policy *p)
{
	say(out, "policy %s file=%s version=%s mode=%s hash=%s\n", p->name,
	    p->file, p->version ? p->version : "-", policy_mode_name(p->mode),
	    p->hash_hex);
	say(out, "description=%s\n", p->description ? p->description : "-");
	say_strv(out, "purposes", &p->purposes);
	say(out, "\n");
	for (size_t i = 0; i < p->nlabels; i++) {
		say(out, "label %s", p->labels[i].key);
		say_strv(out, "values", &p->labels[i].values);
		say(out, "\n");
	}
	for (size_t i = 0; i < p->nrules; i++)
		say_rule(out, &p->rules[i]);
}

static void
say_manifest(struct summary *out, const struct manifest *m)
{
	say(out, "manifest %s dataset=%s desc=%s path=%s data_path=%s "
	    "format=%d subject=%s fideslang=%d hash=%s\n", m->file, m->dataset,
	    m->description ? m->description : "-", m->path, m->data_path,
	    (int)m->format, m->subject_field ? m->subject_field : "-",
	    (int)m->fideslang, m->hash_hex);
	for (size_t i = 0; i < m->nlabels; i++)
		say(out, "label %s=%s\n", m->labels[i].key, m->labels[i].value);
	for (size_t i = 0; i < m->nfields; i++) {
		const struct manifest_field *f = &m->fields[i];

		say(out, "field %s role=%s %u:%u", f->name,
		    manifest_role_name(f->role), f->line, f->col);
		for (size_t j = 0; j < f->ncategories; j++)
			say(out, " %s", f->categories[j]);
		say(out, "\n");
	}
}

static void
say_json(struct summary *out, const char *what, const json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

	say(out, "%s: %s\n", what, s ? s : "(out of memory)");
	free(s);
}

/*
 * The entry points.
 */

static int
run_ydoc(const struct torture_case *c, struct summary *out)
{
	struct diag errors = { 0 };
	struct ydoc *doc = NULL;
	int r;

	r = ydoc_load_string("doc.yaml", c->data, c->len, &doc, &errors);
	torture_disarm();
	if (r >= 0) {
		say(out, "file=%s\n", doc->file);
		if (doc->root)
			say_node(out, doc->root, 0);
	}
	ydoc_free(doc);
	diag_clear(&errors);
	return r;
}

static int
run_policy(const struct torture_case *c, struct summary *out)
{
	struct diag errors = { 0 }, warnings = { 0 };
	struct policy *p = NULL;
	int r;

	r = policy_parse_string(c->name, c->data, c->len, &p, &errors,
	    &warnings);
	torture_disarm();
	if (r >= 0) {
		say_policy(out, p);
		say_diag(out, "warnings", &warnings);
	}
	policy_free(p);
	diag_clear(&errors);
	diag_clear(&warnings);
	return r;
}

static int
run_manifest(const struct torture_case *c, struct summary *out)
{
	struct diag errors = { 0 }, warnings = { 0 };
	struct manifest *m = NULL;
	int r;

	r = manifest_parse_string(c->name, c->data, c->len, c->base_dir, &m,
	    &errors, &warnings);
	torture_disarm();
	if (r >= 0) {
		say_manifest(out, m);
		say_diag(out, "warnings", &warnings);
	}
	manifest_free(m);
	diag_clear(&errors);
	diag_clear(&warnings);
	return r;
}

/* A document built the way the daemon builds ledger entries (members
 * added without checking each call), accepted only if none of jansson's
 * allocations failed meanwhile: never a document with a member missing. */
static int
run_json_watch(const struct torture_case *c, struct summary *out)
{
	unsigned long failures = json_alloc_failure_count();
	json_t *body = json_pack("{s:s, s:s}", "job", "resnet-ft-0142",
	    "decision", "allow");
	json_t *rules = json_array();
	char *text = NULL;
	int r = 0;

	for (int i = 0; body && rules && i < 12; i++) {
		char name[32];

		snprintf(name, sizeof(name), "rule-%02d", i);
		json_array_append_new(rules, json_pack("{s:s, s:s, s:i}",
		    "rule", name, "outcome", i % 3 ? "pass" : "fail", "n",
		    i));
		json_object_set_new(body, name, json_integer(i));
	}
	if (body && rules)
		json_object_set_new(body, "rules", json_incref(rules));
	if (!body || !rules || json_alloc_failure_count() != failures)
		r = -ENOMEM;
	if (r >= 0) {
		text = json_dumps_checked(body, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			r = -ENOMEM;
	}
	torture_disarm();
	if (r >= 0)
		say(out, "%s\n", text);
	free(text);
	json_decref(rules);
	json_decref(body);
	return r;
}

static int
run_job(const struct torture_case *c, struct summary *out)
{
	struct job j = { 0 };
	char err[256] = "";
	json_t *in, *privacy = NULL;
	int r;

	in = json_parse(c->data, c->len, err, sizeof(err));
	if (!in) {
		torture_disarm();
		return -ENOMEM;
	}
	r = job_parse(in, &j, err, sizeof(err));
	torture_disarm();
	if (r >= 0) {
		say(out, "job %s purpose=%s requester=%s model=%s/%s "
		    "recheck=%d\n", j.id, j.purpose,
		    j.requester ? j.requester : "-",
		    j.model_name ? j.model_name : "-",
		    j.model_version ? j.model_version : "-", (int)j.recheck);
		for (size_t i = 0; i < j.ndatasets; i++)
			say(out, "dataset %s\n", j.datasets[i]);
		privacy = job_privacy_to_json(&j.privacy);
		say_json(out, "privacy", privacy);
	}
	json_decref(privacy);
	job_done(&j);
	json_decref(in);
	return r;
}

static int
run_consent(const struct torture_case *c, struct summary *out)
{
	static const uint8_t token[STORE_TOKEN_LEN] = { 0x42 };
	struct consent_event e = { 0 };
	struct ledger_consent lc = { 0 };
	char err[256] = "";
	json_t *in, *body = NULL;
	usec_t now;
	int r;

	r = time_parse_rfc3339("2026-11-29T00:00:00Z", &now);
	if (r < 0)
		return r;
	in = json_parse(c->data, c->len, err, sizeof(err));
	if (!in) {
		torture_disarm();
		return -ENOMEM;
	}
	r = consent_event_parse(in, now, &e, err, sizeof(err));
	if (r >= 0) {
		body = consent_entry_body(&e, token, now);
		if (!body)
			r = -ENOMEM;
	}
	/* The entry as the daemon prepares it away from the writer (the
	 * part without the subject map's keyed hash, whose OpenSSL context
	 * is long-lived and would count as leaking). */
	if (r >= 0)
		r = ledger_consent_encode(body, &lc);
	torture_disarm();
	if (r >= 0) {
		say(out, "subject=%s purpose=%s kind=%s\n", e.subject,
		    e.purpose, consent_kind_name(e.kind));
		for (size_t i = 0; i < CONSENT_DETAILS_MAX; i++)
			if (e.details[i])
				say(out, "%s=%s\n", consent_field_names[i],
				    e.details[i]);
		say_json(out, "body", body);
		say(out, "entry=%.*s token_at=%zu row=%s/%d/%" PRId64 "/%"
		    PRId64 "\n", (int)lc.len, (const char *)lc.data,
		    lc.token_at, lc.row.purpose, (int)lc.row.kind,
		    (int64_t)lc.row.at, (int64_t)lc.row.expires_at);
	}
	ledger_consent_done(&lc);
	json_decref(body);
	consent_event_done(&e);
	json_decref(in);
	return r;
}

static int
run_note_open(const struct torture_case *c, struct summary *out)
{
	struct note *n = NULL;
	int r;

	r = note_open(c->data, c->len, &fx.verifier, 1, &n);
	torture_disarm();
	if (r >= 0) {
		say(out, "text=%s|sigs=%zu verified=%zu\n", n->text, n->n_sigs,
		    n->n_verified);
		for (size_t i = 0; i < n->n_sigs; i++)
			say(out, "sig %s %08" PRIx32 " %zu %d\n",
			    n->sigs[i].name, n->sigs[i].key_id,
			    n->sigs[i].sig_len, (int)n->sigs[i].verified);
	}
	note_free(n);
	return r;
}

static int
run_checkpoint_open(const struct torture_case *c, struct summary *out)
{
	struct checkpoint cp = { 0 };
	int r;

	r = checkpoint_open(c->data, c->len, &fx.verifier, 1,
	    "torture.example/log", &cp);
	torture_disarm();
	if (r >= 0) {
		say(out, "origin=%s size=%" PRIu64 " root=", cp.origin,
		    cp.size);
		say_hex(out, cp.root, sizeof(cp.root));
		say(out, "\n");
		checkpoint_done(&cp);
	}
	return r;
}

static int
run_tlog_proof(const struct torture_case *c, struct summary *out)
{
	struct tlog_proof *p = NULL;
	struct checkpoint cp = { 0 };
	int r;

	r = tlog_proof_parse(c->data, c->len, &p);
	if (r >= 0)
		r = tlog_proof_verify(p, fx.leaf, &fx.verifier, 1,
		    "torture.example/log", &cp);
	torture_disarm();
	if (r >= 0) {
		say(out, "index=%" PRIu64 " hashes=%zu extra=%.*s size=%"
		    PRIu64 "\n", p->index, p->n_hashes, (int)p->extra_len,
		    (const char *)p->extra, cp.size);
		for (size_t i = 0; i < p->n_hashes; i++) {
			say_hex(out, p->hash[i], MERKLE_HASH_LEN);
			say(out, "\n");
		}
		checkpoint_done(&cp);
	}
	tlog_proof_free(p);
	return r;
}

static int
run_reader(const struct torture_case *c, struct summary *out)
{
	struct reader_options opt = { .format = c->format };
	struct reader *rd = NULL;
	uint8_t fp[SHA256_LEN];
	int r;

	r = reader_open_memory(c->data, c->len, &opt, &rd);
	if (r < 0) {
		torture_disarm();
		return r;
	}
	if (c->chunk)
		r = reader_set_chunk_size(rd, c->chunk);
	while (r >= 0 && (r = reader_next(rd)) != 0) {
		if (r == -EBADMSG) {
			say(out, "malformed %" PRIu64 "/%" PRIu64 ": %s\n",
			    reader_line(rd), reader_record_number(rd),
			    reader_error(rd));
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		say(out, "record %" PRIu64 "/%" PRIu64 ":", reader_line(rd),
		    reader_record_number(rd));
		for (size_t i = 0; i < reader_ncolumns(rd); i++) {
			struct reader_field f = reader_field(rd, i);

			if (f.value)
				say(out, " %s='%.*s'",
				    reader_column_name(rd, i), (int)f.len,
				    f.value);
		}
		say(out, "\n");
	}
	torture_disarm();
	if (r >= 0) {
		reader_fingerprint(rd, fp);
		say(out, "columns=%zu bytes=%" PRIu64 " sha256=",
		    reader_ncolumns(rd), reader_bytes(rd));
		say_hex(out, fp, sizeof(fp));
		say(out, "\n");
	}
	reader_free(rd);
	return r;
}

static const char *const detect_values[] = {
	"write to ada@example.com today",
	"+49 30 1234567",
	"card 4111 1111 1111 1111",
	"DE89 3704 0044 0532 0130 00",
	"id EMP-123455 and EMP-123456",
	"ticket TK42",
	"10.1.2.3 and ::1",
	"nothing to see",
};

static int
run_detect(const struct torture_case *c, struct summary *out)
{
	static const enum detector_kind kinds[] = {
		DETECT_EMAIL, DETECT_PHONE, DETECT_CREDIT_CARD, DETECT_IBAN,
		DETECT_IPV4, DETECT_IPV6,
	};
	static const struct detector_custom_spec custom[] = {
		{ "employee_id", "EMP-([0-9]{6})", CHECKSUM_LUHN },
		{ "ticket", "\\bTK[0-9]+\\b", CHECKSUM_NONE },
	};
	struct detector_set *s = NULL;
	struct detector_scratch *sc = NULL;
	uint64_t with[ELEMENTSOF(detect_values)];
	uint64_t without[ELEMENTSOF(detect_values)];
	char err[256] = "";
	int r;

	r = detector_set_new(kinds, ELEMENTSOF(kinds), custom,
	    ELEMENTSOF(custom), &s, err, sizeof(err));
	if (r < 0) {
		torture_disarm();
		return r;
	}
	sc = detector_scratch_new(s);
	for (size_t i = 0; i < ELEMENTSOF(detect_values); i++) {
		const char *v = detect_values[i];

		without[i] = detector_set_scan(s, NULL, v, strlen(v), false);
		with[i] = sc ? detector_set_scan(s, sc, v, strlen(v), false) :
		    0;
	}
	torture_disarm();
	if (!sc)
		r = -ENOMEM;
	else
		for (size_t i = 0; i < ELEMENTSOF(detect_values); i++)
			say(out, "%016" PRIx64 " %016" PRIx64 "\n", without[i],
			    with[i]);
	detector_scratch_free(sc);
	detector_set_free(s);
	return r;
}

/* A custom detector whose match fails counts as a hit, never as a pass:
 * every hit of the reference must be there, extra ones are allowed. */
static bool
detect_tolerates(const char *ref, const char *got)
{
	while (*ref && *got) {
		char *rend, *gend;
		uint64_t a = strtoull(ref, &rend, 16);
		uint64_t b = strtoull(got, &gend, 16);

		if (rend == ref || gend == got || (a & b) != a)
			return false;
		ref = rend + strspn(rend, " \n");
		got = gend + strspn(gend, " \n");
	}
	return !*ref && !*got;
}

static int
run_dp(const struct torture_case *c, struct summary *out)
{
	struct dp_job sgd = {
		.mechanism = DP_MECHANISM_SGD, .noise_multiplier = 1.1,
		.sample_rate = 0.01, .count = 10000,
	};
	struct dp_job approx = {
		.mechanism = DP_MECHANISM_APPROX, .epsilon = 0.5, .delta = 1e-7,
	};
	struct dp_curve *curve = NULL, *stored = NULL;
	struct dp_eps eps = { 0 };
	int r;

	r = dp_curve_new(NULL, 0, &curve);
	if (r >= 0)
		r = dp_curve_charge(curve, &sgd);
	if (r >= 0)
		r = dp_curve_charge(curve, &approx);
	if (r >= 0)
		r = dp_curve_from_blob(fx.dp_blob, fx.dp_blob_len, &stored);
	if (r >= 0)
		r = dp_curve_add(curve, stored);
	if (r >= 0)
		r = dp_curve_epsilon(curve, 1e-5, DP_CONVERSION_IMPROVED, &eps);
	torture_disarm();
	if (r >= 0)
		say(out, "epsilon=%.17g delta=%.17g order=%.17g edge=%d\n",
		    eps.epsilon, eps.delta, eps.order, (int)eps.order_at_edge);
	dp_curve_free(stored);
	dp_curve_free(curve);
	return r;
}

/* Removes the members that vary from run to run (timings). */
static void
json_drop_durations(json_t *j)
{
	const char *key;
	size_t i;
	json_t *v;

	if (json_is_object(j)) {
		json_object_del(j, "duration_us");
		json_object_foreach(j, key, v)
			json_drop_durations(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			json_drop_durations(v);
	}
}

static int
run_eval(const struct torture_case *c, struct summary *out)
{
	const struct eval_options opt = {
		.purpose = "train_ai_system",
		.at = fx.eval_at,
		.consent = &fx.consent,
	};
	struct eval_result *res = NULL;
	json_t *j = NULL;
	int r;

	r = eval_run(fx.eval_policies, 2, &fx.eval_manifest, 1, &opt, &res);
	if (r >= 0) {
		j = eval_result_to_json(res);
		if (!j)
			r = -ENOMEM;
	}
	torture_disarm();
	if (r >= 0) {
		say(out, "decision: %s | %s\n",
		    eval_decision_name(res->decision), res->reason);
		for (size_t i = 0; i < res->ndatasets; i++) {
			const struct eval_dataset_result *d = &res->datasets[i];

			if (d->error)
				say(out, "dataset %s: error %d\n", d->name,
				    d->error);
			else
				say(out, "dataset %s: rows=%" PRIu64
				    " malformed=%" PRIu64 " sha256=%s\n",
				    d->name, d->rows, d->malformed,
				    d->fingerprint);
		}
		for (size_t i = 0; i < res->npolicies; i++) {
			const struct eval_policy_result *p = &res->policies[i];

			say(out, "policy %s: %s\n", p->name,
			    eval_decision_name(p->effect));
			for (size_t k = 0; k < p->nrules; k++)
				say(out, "rule %s/%s/%s: %s | %s\n", p->name,
				    p->rules[k].dataset, p->rules[k].name,
				    eval_outcome_name(p->rules[k].outcome),
				    p->rules[k].reason ? p->rules[k].reason :
				    "-");
		}
		json_drop_durations(j);
		say_json(out, "json", j);
	}
	json_decref(j);
	eval_result_free(res);
	return r;
}

/* One "key: value" line of an evaluation summary. */
struct eval_line {
	const char *key, *value;
	size_t keylen, valuelen;
};

static bool
eval_line_next(const char **s, struct eval_line *ret)
{
	size_t len = strcspn(*s, "\n");
	const char *sep;

	if (len == 0)
		return false;
	sep = memmem(*s, len, ": ", 2);
	ret->key = *s;
	ret->keylen = sep ? (size_t)(sep - *s) : len;
	ret->value = sep ? sep + 2 : *s + len;
	ret->valuelen = len - (size_t)(ret->value - *s);
	*s += len + ((*s)[len] == '\n');
	return true;
}

static bool
eval_line_is_error(const struct eval_line *l)
{
	return l->valuelen >= 5 && memcmp(l->value, "error", 5) == 0;
}

static int
eval_decision_rank(const struct eval_line *l)
{
	if (l->valuelen >= 5 && memcmp(l->value, "allow", 5) == 0)
		return 0;
	if (l->valuelen >= 4 && memcmp(l->value, "deny", 4) == 0)
		return 1;
	return 2;
}

/* An evaluation that ran out of memory while reading or in a rule reports
 * that rule (and the dataset, the synthetic "read" rule, the policy's
 * effect) as an error: every line of the reference is still there, each
 * the same or an error, extra lines are errors, the decision is no more
 * permissive, and the JSON then differs too. */
static bool
eval_tolerates(const char *ref, const char *got)
{
	struct eval_line r, g, decision_ref = { 0 }, decision_got = { 0 };
	bool any_error = false, have_r;

	have_r = eval_line_next(&ref, &r);
	while (eval_line_next(&got, &g)) {
		bool same_key = have_r && r.keylen == g.keylen &&
		    memcmp(r.key, g.key, r.keylen) == 0;

		if (!same_key) {
			/* An extra line, such as the "read" rule. */
			if (!eval_line_is_error(&g))
				return false;
			any_error = true;
			continue;
		}
		if (g.keylen == 8 && memcmp(g.key, "decision", 8) == 0) {
			decision_ref = r;
			decision_got = g;
		} else if (g.keylen == 4 && memcmp(g.key, "json", 4) == 0) {
			if (!any_error && (r.valuelen != g.valuelen ||
			    memcmp(r.value, g.value, r.valuelen) != 0))
				return false;
		} else if (r.valuelen != g.valuelen ||
		    memcmp(r.value, g.value, r.valuelen) != 0) {
			if (!eval_line_is_error(&g))
				return false;
			any_error = true;
		}
		have_r = eval_line_next(&ref, &r);
	}
	if (have_r || !decision_ref.key)
		return false;
	if (decision_ref.valuelen == decision_got.valuelen &&
	    memcmp(decision_ref.value, decision_got.value,
	    decision_ref.valuelen) == 0)
		return true;
	return any_error &&
	    eval_decision_rank(&decision_got) >= eval_decision_rank(
	    &decision_ref);
}

/*
 * The driver.
 */

static struct summary sum_ref, sum_got;

static void
torture_on_signal(int sig)
{
	char msg[256], num[24];
	size_t len = 0;
	unsigned long n = torture_current_n;
	int i = (int)sizeof(num);

	num[--i] = '\0';
	do {
		num[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n && i > 0);
#define APPEND(s)                                                              \
	do {                                                                   \
		size_t l_ = strlen(s);                                         \
		if (len + l_ < sizeof(msg)) {                                  \
			memcpy(msg + len, s, l_);                              \
			len += l_;                                             \
		}                                                              \
	} while (0)
	APPEND("torture: CRASH (signal) in ");
	APPEND(torture_current ? torture_current : "(setup)");
	APPEND(" with allocation ");
	APPEND(num + i);
	APPEND(" failing\n");
#undef APPEND
	(void)!write(STDERR_FILENO, msg, len);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
torture_on_exit(void)
{
	if (torture_current)
		fprintf(stderr, "torture: EXIT called in %s with allocation "
		    "%lu failing\n", torture_current, torture_current_n);
}

static int
torture_call(const struct torture_case *c, unsigned long fail_at,
    struct summary *out, long *ret_leaked)
{
	long live;
	int r;

	out->len = 0;
	out->overflow = false;
	out->text[0] = '\0';
	ERR_clear_error();
	live = torture.live;
	torture_current = c->name;
	torture_current_n = fail_at;
	torture_arm(fail_at);
	r = c->run(c, out);
	torture_disarm();
	/* OpenSSL keeps the last errors of a thread, with their strings, in
	 * a bounded queue: not a leak, but cleared so it is not counted. */
	ERR_clear_error();
	torture_current = NULL;
	*ret_leaked = torture.live - live;
	if (out->overflow) {
		fprintf(stderr, "torture: %s: summary too long\n", c->name);
		exit(99);
	}
	return r;
}

struct torture_options {
	const char *only;      /* run cases whose name contains this */
	unsigned long only_n;  /* inject this allocation only; 0: all */
	unsigned long step;    /* inject every step-th */
	bool verbose;
	bool list;             /* print the entry points and exit */
};

/* Runs one case: once to warm caches up, once to count, then once per
 * injected failure. Returns the number of problems found. */
static unsigned
torture_case_run(const struct torture_case *c,
    const struct torture_options *o)
{
	unsigned long allocs, injected = 0, errors = 0, tolerated = 0;
	unsigned long other = 0, differs = 0, first = 0, last;
	unsigned problems = 0;
	long leaked;
	int r;

	r = torture_call(c, 0, &sum_ref, &leaked);
	if (r < 0) {
		printf("%-48s FAIL: fails without injected failures: %s\n",
		    c->name, strerror(-r));
		return 1;
	}
	r = torture_call(c, 0, &sum_ref, &leaked);
	allocs = torture.count;
	if (allocs == 0) {
		/* Every entry point allocates: malloc() is not ours (valgrind
		 * without --soname-synonyms=somalloc=nouserintercepts). */
		printf("%-48s FAIL: no allocation counted\n", c->name);
		return 1;
	}
	if (r < 0 || leaked != 0) {
		printf("%-48s FAIL: without failures: r=%d, %ld blocks "
		    "leaked\n", c->name, r, leaked);
		return 1;
	}
	first = o->only_n ? o->only_n : 1;
	last = o->only_n ? o->only_n : allocs;
	for (unsigned long n = first; n <= last; n += o->step) {
		r = torture_call(c, n, &sum_got, &leaked);
		if (!torture.injected)
			continue;
		injected++;
		if (leaked != 0) {
			printf("  %s: allocation %lu failing: %ld blocks "
			    "leaked (r=%d)\n", c->name, n, leaked, r);
			problems++;
		}
		if (r >= 0) {
			tolerated++;
			if (strcmp(sum_ref.text, sum_got.text) == 0) {
				if (o->verbose)
					printf("  %s: allocation %lu failing: "
					    "tolerated\n", c->name, n);
			} else if (c->tolerates &&
			    c->tolerates(sum_ref.text, sum_got.text)) {
				differs++;
				if (o->verbose)
					printf("  %s: allocation %lu failing: "
					    "tolerated, reported\n", c->name,
					    n);
			} else {
				printf("  %s: allocation %lu failing: success "
				    "with a different result\n", c->name, n);
				if (o->verbose)
					printf("--- expected\n%s--- got\n%s",
					    sum_ref.text, sum_got.text);
				problems++;
			}
		} else {
			errors++;
			if (r != -ENOMEM) {
				other++;
				if (o->verbose)
					printf("  %s: allocation %lu failing: "
					    "%s\n", c->name, n, strerror(-r));
			}
		}
	}
	printf(TORTURE_ROW "%s\n", c->name, allocs, injected, errors, other,
	    tolerated - differs, differs, problems ? "FAIL" : "ok");
	fflush(stdout);
	return problems;
}

static void
add_case(struct torture_case *cases, size_t *n, struct torture_case c)
{
	if (*n == TORTURE_MAX_CASES)
		setup_failed("too many cases", -E2BIG);
	cases[(*n)++] = c;
}

static size_t
build_cases(struct torture_case *cases, char *manifest_text[2],
    size_t manifest_len[2])
{
	static const char *const manifests[] = { "users.yaml",
		"users-fides.yml" };
	size_t n = 0;
	int r;

	add_case(cases, &n, (struct torture_case){ .name = "ydoc_load_string",
	    .run = run_ydoc, .data = policy_all_kinds,
	    .len = sizeof(policy_all_kinds) - 1 });
	for (size_t i = 0; i < npolicy_files; i++) {
		struct torture_case c = { .run = run_policy,
			.data = policy_texts[i], .len = policy_lens[i] };

		snprintf(c.name, sizeof(c.name), "policy_parse_string %s",
		    policy_files[i]);
		add_case(cases, &n, c);
	}
	add_case(cases, &n, (struct torture_case){
	    .name = "policy_parse_string (all rule kinds)",
	    .run = run_policy, .data = policy_all_kinds,
	    .len = sizeof(policy_all_kinds) - 1 });
	for (size_t i = 0; i < 2; i++) {
		struct torture_case c = { .run = run_manifest,
			.base_dir = "/srv/data" };
		char path[4096];

		snprintf(path, sizeof(path), "%s/tests/data/manifest/%s",
		    TOP_SRCDIR, manifests[i]);
		r = read_file(path, &manifest_text[i], &manifest_len[i]);
		if (r < 0)
			setup_failed(path, r);
		c.data = manifest_text[i];
		c.len = manifest_len[i];
		snprintf(c.name, sizeof(c.name), "manifest_parse_string %s",
		    manifests[i]);
		add_case(cases, &n, c);
	}
	add_case(cases, &n, (struct torture_case){
	    .name = "json_pack + set_new + json_alloc_failure_count",
	    .run = run_json_watch });
	add_case(cases, &n, (struct torture_case){
	    .name = "json_parse + job_parse", .run = run_job,
	    .data = job_json, .len = sizeof(job_json) - 1 });
	add_case(cases, &n, (struct torture_case){
	    .name = "json_parse + consent_event_parse", .run = run_consent,
	    .data = consent_json, .len = sizeof(consent_json) - 1 });
	add_case(cases, &n, (struct torture_case){ .name = "note_open",
	    .run = run_note_open, .data = fx.checkpoint,
	    .len = strlen(fx.checkpoint) });
	add_case(cases, &n, (struct torture_case){ .name = "checkpoint_open",
	    .run = run_checkpoint_open, .data = fx.checkpoint,
	    .len = strlen(fx.checkpoint) });
	add_case(cases, &n, (struct torture_case){
	    .name = "tlog_proof_parse + tlog_proof_verify",
	    .run = run_tlog_proof, .data = fx.receipt,
	    .len = strlen(fx.receipt) });
	add_case(cases, &n, (struct torture_case){ .name = "reader csv",
	    .run = run_reader, .data = csv_data,
	    .len = sizeof(csv_data) - 1, .format = READER_CSV });
	add_case(cases, &n, (struct torture_case){
	    .name = "reader csv (7-byte chunks)", .run = run_reader,
	    .data = csv_data, .len = sizeof(csv_data) - 1,
	    .format = READER_CSV, .chunk = 7 });
	add_case(cases, &n, (struct torture_case){ .name = "reader tsv",
	    .run = run_reader, .data = tsv_data,
	    .len = sizeof(tsv_data) - 1, .format = READER_TSV });
	add_case(cases, &n, (struct torture_case){ .name = "reader jsonl",
	    .run = run_reader, .data = jsonl_data,
	    .len = sizeof(jsonl_data) - 1, .format = READER_JSONL });
	add_case(cases, &n, (struct torture_case){ .name = "reader csv.gz",
	    .run = run_reader, .data = (const char *)fx.gzip,
	    .len = fx.gzip_len, .format = READER_CSV });
	add_case(cases, &n, (struct torture_case){
	    .name = "detector_set_new + detector_set_scan",
	    .run = run_detect, .tolerates = detect_tolerates });
	add_case(cases, &n, (struct torture_case){
	    .name = "dp_curve_new + charge + epsilon", .run = run_dp });
	add_case(cases, &n, (struct torture_case){
	    .name = "eval_run + eval_result_to_json", .run = run_eval,
	    .tolerates = eval_tolerates });
	return n;
}

static int
parse_count(const char *s, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: torture [-lv] [-c NAME] [-n N] [-s STEP]\n"
	    "  -c NAME  only the entry points whose name contains NAME\n"
	    "  -n N     fail allocation N only\n"
	    "  -s STEP  fail every STEP-th allocation (default: "
	    "$TORTURE_STEP or 1)\n"
	    "  -l       list the entry points\n"
	    "  -v       show the results that differ, and other errors\n");
}

int
main(int argc, char **argv)
{
	struct torture_options o = { .step = 1 };
	static struct torture_case cases[TORTURE_MAX_CASES];
	char *manifest_text[2] = { NULL, NULL };
	size_t manifest_len[2], ncases;
	const char *env = getenv("TORTURE_STEP");
	unsigned problems = 0, ran = 0;
	int opt;

#ifdef TORTURE_UNDER_ASAN
	printf("torture: skipped: AddressSanitizer replaces malloc\n");
	return TORTURE_SKIP;
#endif
	if (env && *env && parse_count(env, &o.step) < 0) {
		fprintf(stderr, "torture: bad TORTURE_STEP '%s'\n", env);
		return 2;
	}
	while ((opt = getopt(argc, argv, "c:n:s:lvh")) != -1) {
		switch (opt) {
		case 'c':
			o.only = optarg;
			break;
		case 'n':
			if (parse_count(optarg, &o.only_n) < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 's':
			if (parse_count(optarg, &o.step) < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'l':
			o.list = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGSEGV, torture_on_signal);
	signal(SIGBUS, torture_on_signal);
	signal(SIGABRT, torture_on_signal);
	signal(SIGFPE, torture_on_signal);
	signal(SIGILL, torture_on_signal);
	atexit(torture_on_exit);

	setup_policy_files();
	setup_note();
	setup_gzip();
	setup_dp();
	setup_eval();
	ncases = build_cases(cases, manifest_text, manifest_len);
	if (o.list) {
		for (size_t i = 0; i < ncases; i++)
			printf("%s\n", cases[i].name);
		ncases = 0;
		ran = 1;
	} else {
		printf("torture: %zu entry points, failing allocation 1, %lu, "
		    "%lu, ... of each\n", ncases, 1 + o.step, 1 + 2 * o.step);
		printf(TORTURE_HEADER, "entry point", "allocs", "failed",
		    "errors", "!ENOMEM", "same", "shown", "result");
	}
	for (size_t i = 0; i < ncases; i++) {
		if (o.only && !strstr(cases[i].name, o.only))
			continue;
		problems += torture_case_run(&cases[i], &o);
		ran++;
	}
	free(manifest_text[0]);
	free(manifest_text[1]);
	teardown();
	if (ran == 0) {
		fprintf(stderr, "torture: no entry point matches '%s'\n",
		    o.only);
		return 2;
	}
	if (!o.list)
		printf("torture: %u problem%s\n", problems,
		    problems == 1 ? "" : "s");
	return problems ? 1 : 0;
}
