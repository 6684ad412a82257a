/* The active policy set: loaded from the policies directory at start and
 * on reload (a set with any error is refused as a whole), shared by
 * running checks through a reference count, and recorded in the ledger
 * so that every decision names the exact policy text it used. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "codec.h"
#include "consentd.h"
#include "crypto.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"

#define POLICY_TEXT_IN_ENTRY_MAX 60000

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_policy_file(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

void
policy_set_unref(struct policy_set *ps)
{
	if (!ps || atomic_fetch_sub(&ps->refs, 1) != 1)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		policy_free(ps->v[i]);
		free(ps->text[i]);
	}
	free(ps->v);
	free(ps->text);
	free(ps->text_len);
	free(ps->dir);
	free(ps);
}

struct policy_set *
policy_set_ref(struct policy_set *ps)
{
	atomic_fetch_add(&ps->refs, 1);
	return ps;
}

static int
read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_buf_ struct buf b = BUF_INIT(POLICY_MAX_SIZE);
	char chunk[16384];
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)n) < 0)
			return -EFBIG;
	if (n < 0)
		return -errno;
	*ret_len = b.len;
	*ret = buf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

int
policy_set_load(const char *dir, struct policy_set **ret, struct diag *d)
{
	struct policy_set *ps;
	DIR *dh;
	struct dirent *de;
	char **names = NULL;
	size_t nnames = 0;
	int r = 0;

	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->refs = 1;
	ps->dir = strdup(dir);
	if (!ps->dir) {
		free(ps);
		return -ENOMEM;
	}
	dh = opendir(dir);
	if (!dh) {
		if (errno == ENOENT) {
			/* No policies: every check is denied (fail closed). */
			*ret = ps;
			return 0;
		}
		r = -errno;
		diag_add(d, dir, 0, 0, "cannot read the policies directory: %s",
		    strerror(-r));
		policy_set_unref(ps);
		return r;
	}
	while ((de = readdir(dh))) {
		char **p;
		if (!is_policy_file(de->d_name))
			continue;
		p = realloc(names, (nnames + 1) * sizeof(*names));
		if (!p || !(p[nnames] = strdup(de->d_name))) {
			names = p ? p : names;
			r = -ENOMEM;
			break;
		}
		names = p;
		nnames++;
	}
	closedir(dh);
	if (r >= 0 && nnames > 0) {
		qsort(names, nnames, sizeof(*names), name_cmp);
		ps->v = calloc(nnames, sizeof(*ps->v));
		ps->text = calloc(nnames, sizeof(*ps->text));
		ps->text_len = calloc(nnames, sizeof(*ps->text_len));
		if (!ps->v || !ps->text || !ps->text_len)
			r = -ENOMEM;
	}
	for (size_t i = 0; r >= 0 && i < nnames; i++) {
		_cleanup_free_ char *path = NULL;
		struct policy *p = NULL;
		uint8_t h[SHA256_LEN];
		char *text = NULL;
		size_t len = 0;

		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		if (policy_parse_file(path, &p, d, NULL) < 0)
			continue; /* errors collected; keep checking the rest */
		/* Keep the exact bytes the hash names, for the ledger. */
		if (read_file(path, &text, &len) < 0 ||
		    (sha256(text, len, h), !crypto_memeq(h, p->hash, sizeof(h)))) {
			diag_add(d, path, 0, 0, "changed while being read");
			free(text);
			policy_free(p);
			continue;
		}
		for (size_t j = 0; j < ps->n; j++)
			if (strcmp(ps->v[j]->name, p->name) == 0)
				diag_add(d, path, 0, 0,
				    "policy name '%s' is also used by '%s'",
				    p->name, ps->v[j]->file);
		ps->v[ps->n] = p;
		ps->text[ps->n] = text;
		ps->text_len[ps->n] = len;
		ps->n++;
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (r >= 0 && diag_count(d) > 0)
		r = -EINVAL;
	if (r < 0) {
		policy_set_unref(ps);
		return r;
	}
	*ret = ps;
	return 0;
}

/* Appends a policy entry for version i unless the ledger has it. */
int
policy_set_record(struct ledger *l, const struct policy_set *ps, size_t i,
    uint64_t *ret_index)
{
	const struct policy *p = ps->v[i];
	json_t *body;
	int r;

	r = store_policy_version_get(ledger_store(l), p->hash_hex, ret_index);
	if (r != -ENOENT)
		return r;
	char t[TIME_RFC3339_MAX];

	body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", p->name, "sha256",
	    p->hash_hex, "mode", policy_mode_name(p->mode), "file", p->file,
	    "recorded", time_format_rfc3339(now_realtime(), t));
	if (!body)
		return -ENOMEM;
	if (p->version)
		json_object_set_new(body, "version", json_string(p->version));
	/* The text itself, when it fits, so a decision can be replayed
	 * from the ledger alone. */
	if (ps->text_len[i] <= POLICY_TEXT_IN_ENTRY_MAX &&
	    json_object_set_new(body, "text", json_stringn(ps->text[i],
		ps->text_len[i])) < 0)
		json_object_del(body, "text");
	r = ledger_append_json(l, "policy", body, ret_index, NULL);
	if (r == -EMSGSIZE) {
		json_object_del(body, "text");
		r = ledger_append_json(l, "policy", body, ret_index, NULL);
	}
	json_decref(body);
	return r;
}

static int
record_run(struct ledger *l, struct ledger_job *job)
{
	struct policy_set *ps = job->userdata;
	size_t added = 0;
	uint64_t before = ledger_size(l), idx;
	int r;

	for (size_t i = 0; i < ps->n; i++) {
		r = policy_set_record(l, ps, i, &idx);
		if (r < 0)
			return r == -EINVAL ? -EIO : r;
		if (idx >= before)
			added++;
	}
	job->response = json_pack("{s:I}", "recorded", (json_int_t)added);
	return 0;
}

static void
record_done(struct ledger_job *job)
{
	struct policy_set *ps = job->userdata;

	if (job->result < 0)
		log_error("Failed to record the policies in the ledger: %s",
		    job->message);
	else if (json_integer_value(json_object_get(job->response, "recorded")))
		log_info("Recorded %lld new policy versions in the ledger",
		    (long long)json_integer_value(json_object_get(job->response,
			"recorded")));
	policy_set_unref(ps);
}

int
policies_activate(struct daemon *d, struct policy_set *ps)
{
	struct ledger_job *job;
	int r;

	policy_set_unref(d->policies);
	d->policies = ps;
	log_info("%zu policies active from '%s'", ps->n, ps->dir);
	if (!d->ledger || ps->n == 0)
		return 0;
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->run = record_run;
	job->done = record_done;
	job->userdata = policy_set_ref(ps);
	r = ledger_service_submit(d->ledger, job);
	if (r < 0) {
		policy_set_unref(ps);
		ledger_job_free(job);
	}
	return r;
}
