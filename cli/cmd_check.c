/* consentctl check, job and budget: the pre-training check, settlement of
 * a job's privacy cost, and privacy budgets. */
#include "config.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "budget.h"
#include "consentctl.h"
#include "diag.h"
#include "job.h"
#include "json.h"
#include "ledger.h"
#include "yamlnode.h"

/* Reads a job file (YAML, of which JSON is a subset) into JSON, with the
 * dataset paths made absolute against the file's directory. */
static int
load_job(const char *path, json_t **ret)
{
	_cleanup_ydoc_ struct ydoc *doc = NULL;
	_cleanup_free_ char *copy = strdup(path);
	struct diag d = { 0 };
	char dir[PATH_MAX];
	json_t *j, *ds, *v;
	size_t i;
	int r;

	if (!copy)
		return -ENOMEM;
	r = ydoc_load_file(path, 1 << 20, &doc, &d);
	if (r < 0 || !doc->root) {
		if (r >= 0)
			diag_add(&d, path, 0, 0, "the job file is empty");
		diag_print(&d, stderr);
		diag_clear(&d);
		return -EINVAL;
	}
	diag_clear(&d);
	j = ynode_to_json(doc->root);
	if (!j)
		return -ENOMEM;
	if (!realpath(dirname(copy), dir)) {
		json_decref(j);
		return -errno;
	}
	ds = json_object_get(j, "datasets");
	json_array_foreach(ds, i, v) {
		const char *p = json_string_value(v);
		char *abs;
		if (!p || p[0] == '/')
			continue;
		if (asprintf(&abs, "%s/%s", dir, p) < 0) {
			json_decref(j);
			return -ENOMEM;
		}
		json_array_set_new(ds, i, json_string(abs));
		free(abs);
	}
	*ret = j;
	return 0;
}

static void
print_verdict(const json_t *resp)
{
	const char *decision = json_string_value(json_object_get(resp, "decision"));
	const json_t *ev = json_object_get(resp, "evaluation");
	const json_t *receipt = json_object_get(resp, "receipt");
	json_t *p, *rr, *b;
	size_t i, j;

	printf("%s: %s\n", json_string_value(json_object_get(resp, "job")),
	    decision ? decision : "?");
	if (json_string_value(json_object_get(resp, "reason")))
		printf("  reason: %s\n",
		    json_string_value(json_object_get(resp, "reason")));
	if (json_is_true(json_object_get(resp, "idempotent")))
		printf("  (the decision recorded earlier for this job; use --recheck to evaluate again)\n");
	json_array_foreach(json_object_get(ev, "policies"), i, p) {
		printf("  policy %s (%s)\n",
		    json_string_value(json_object_get(p, "name")),
		    json_string_value(json_object_get(p, "mode")));
		json_array_foreach(json_object_get(p, "rules"), j, rr) {
			const char *reason = json_string_value(json_object_get(rr,
			    "reason"));
			printf("    %-14s %-20s %s%s%s\n",
			    json_string_value(json_object_get(rr, "outcome")),
			    json_string_value(json_object_get(rr, "name")),
			    json_string_value(json_object_get(rr, "dataset")) ?
				json_string_value(json_object_get(rr, "dataset")) :
				"",
			    reason && *reason ? ": " : "", reason ? reason : "");
		}
	}
	json_array_foreach(json_object_get(resp, "budgets"), i, b) {
		double after = json_number_value(json_object_get(b, "epsilon_after"));
		printf("  budget %s: epsilon %.4g -> %.4g of %.4g (delta %g)%s%s\n",
		    json_string_value(json_object_get(b, "budget")),
		    json_number_value(json_object_get(b, "epsilon_before")),
		    after, json_number_value(json_object_get(b, "epsilon")),
		    json_number_value(json_object_get(b, "delta")),
		    json_is_true(json_object_get(b, "charged")) ? ", reserved" : "",
		    json_is_true(json_object_get(b, "overspend")) ? ", OVERSPENT" :
								   "");
	}
	if (json_is_object(receipt))
		printf("  recorded as ledger entry %lld, proven in the checkpoint of size %lld\n",
		    (long long)json_integer_value(json_object_get(receipt, "index")),
		    (long long)json_integer_value(json_object_get(receipt, "size")));
}

int
cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "recheck", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_t *job = NULL, *resp = NULL;
	struct job parsed;
	char err[512];
	bool recheck = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hr", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl check [--recheck] JOB\n\n"
			       "Asks consentd whether the training job described in JOB (YAML or\n"
			       "JSON, consentd-job(5)) may run: every dataset is checked against\n"
			       "the policies, consent and privacy budgets. Prints the verdict with\n"
			       "the reason for each rule; --json prints the whole response, with\n"
			       "its receipt. A job id already decided returns that decision unless\n"
			       "--recheck.\n\n"
			       "Exit status: 0 allow; 1 deny (or error: the daemon could not\n"
			       "decide); 2 bad job file; 3 daemon unreachable. Any non-zero status\n"
			       "must stop the pipeline.\n");
			return EXIT_OK;
		case 'r':
			recheck = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("check: expected one JOB file");
	r = load_job(argv[optind], &job);
	if (r < 0) {
		if (r != -EINVAL)
			fprintf(stderr, "consentctl: cannot read '%s': %s\n",
			    argv[optind], strerror(-r));
		return EXIT_USAGE;
	}
	if (recheck)
		json_object_set_new(job, "recheck", json_true());
	/* Refuse a bad job here, with the daemon's own rules. */
	r = job_parse(job, &parsed, err, sizeof(err));
	if (r < 0) {
		json_decref(job);
		return cli_usage_error("%s: %s", argv[optind], err);
	}
	job_done(&parsed);
	r = cli_call(ctx, "POST", "/v1/check", job, &resp);
	json_decref(job);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		print_verdict(resp);
	r = streq(json_string_value(json_object_get(resp, "decision")), "allow") ?
	    EXIT_OK : EXIT_NEGATIVE;
	json_decref(resp);
	return r;
}

static int
job_finish(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "steps", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_t *body, *resp = NULL, *it;
	const char *steps = NULL;
	uint64_t n = 0;
	size_t i;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl job finish JOB [--steps N]\n\n"
			       "Settles the privacy cost of job JOB after training: the budget is\n"
			       "charged for N steps (fewer than reserved when training stopped\n"
			       "early; never more without a new check), and the rest of the\n"
			       "reservation is released. Without --steps the whole reservation is\n"
			       "charged.\n");
			return EXIT_OK;
		case 's':
			steps = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !job_id_valid(argv[optind]))
		return cli_usage_error("job finish: expected a JOB id");
	if (steps && cli_parse_uint64(steps, "--steps", &n) < 0)
		return EXIT_USAGE;
	body = json_pack("{s:s}", "job", argv[optind]);
	if (steps)
		json_object_set_new(body, "steps", json_integer((json_int_t)n));
	r = cli_call(ctx, "POST", "/v1/jobs/finish", body, &resp);
	json_decref(body);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		json_array_foreach(json_object_get(resp, "settled"), i, it)
			printf("%s: charged %s for %lld steps: epsilon %.6g (entry %lld)\n",
			    argv[optind],
			    json_string_value(json_object_get(it, "budget")),
			    (long long)json_integer_value(json_object_get(it, "steps")),
			    json_number_value(json_object_get(it, "job_epsilon")),
			    (long long)json_integer_value(json_object_get(it, "index")));
	json_decref(resp);
	return EXIT_OK;
}

int
cmd_job(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "finish", job_finish, "settle a job's privacy cost after training" },
	};
	return cli_dispatch(ctx, argc, argv, subs, ELEMENTSOF(subs),
	    "Training jobs after their check.");
}

static int
budget_show(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *path = NULL, *esc = NULL;
	json_t *resp = NULL, *b, *h;
	size_t i, j;
	int r;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: consentctl budget show [NAME]\n\n"
		       "Shows each privacy budget (or NAME, e.g. dataset:reviews): spent,\n"
		       "reserved and remaining epsilon at the budget's delta, open\n"
		       "reservations, and the history of charges.\n");
		return EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("budget show: at most one NAME");
	esc = argc == 2 ? cli_escape_path(argv[1]) : NULL;
	if (asprintf(&path, "/v1/budgets%s%s", esc ? "/" : "", esc ? esc : "") < 0)
		return EXIT_UNAVAILABLE;
	r = cli_call(ctx, "GET", path, NULL, &resp);
	if (r != EXIT_OK)
		return r;
	if (ctx->json) {
		cli_print_json(resp);
		json_decref(resp);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(resp, "budgets"), i, b) {
		double spent = json_number_value(json_object_get(b, "spent_epsilon"));
		double committed = json_number_value(json_object_get(b,
		    "committed_epsilon"));
		printf("%s (%s): epsilon %.6g at delta %g\n",
		    json_string_value(json_object_get(b, "name")),
		    json_string_value(json_object_get(b, "accountant")),
		    json_number_value(json_object_get(b, "epsilon")),
		    json_number_value(json_object_get(b, "delta")));
		printf("  spent     %.6g\n  reserved  %.6g (spent and reserved: %.6g)\n"
		       "  remaining %.6g\n",
		    spent, committed - spent > 0 ? committed - spent : 0.0,
		    committed,
		    json_number_value(json_object_get(b, "remaining_epsilon")));
		json_array_foreach(json_object_get(b, "reservations"), j, h)
			printf("  open reservation: %s until %s\n",
			    json_string_value(json_object_get(h, "job")),
			    json_string_value(json_object_get(h, "expires")));
		json_array_foreach(json_object_get(b, "history"), j, h)
			printf("  entry %-6lld %-8s %s\n",
			    (long long)json_integer_value(json_object_get(h, "index")),
			    json_string_value(json_object_get(h, "kind")),
			    json_string_value(json_object_get(h, "job")));
	}
	if (json_array_size(json_object_get(resp, "budgets")) == 0)
		printf("no budget has been charged yet\n");
	json_decref(resp);
	return EXIT_OK;
}

/* Offline: replays every budget entry of a ledger, recomputing each
 * charge from the job's declared privacy parameters. */
struct budget_replay {
	json_t *states;     /* name -> state */
	json_t *decisions;  /* job -> privacy (from its decision entry) */
	uint64_t charges;
	bool bad;
	char message[512];
};

static int
replay_fail(struct budget_replay *b, uint64_t index, const char *what)
{
	if (!b->bad)
		snprintf(b->message, sizeof(b->message), "entry %llu: %s",
		    (unsigned long long)index, what);
	b->bad = true;
	return 0;
}

/* The recorded cost must not be below what the parameters imply. */
static bool
cost_understated(const char *recorded_b64, const json_t *privacy,
    uint64_t steps, const char *accountant, double delta)
{
	_cleanup_dp_curve_ struct dp_curve *rec = NULL, *want = NULL;
	json_t *wrapped = json_pack("{s:s, s:s, s:[s], s:O}", "job", "x",
	    "purpose", "x", "datasets", "/x", "privacy", privacy);
	struct job j;
	char err[256];
	bool under = true;

	if (!wrapped || job_parse(wrapped, &j, err, sizeof(err)) < 0) {
		json_decref(wrapped);
		return true;
	}
	json_decref(wrapped);
	if (budget_curve_from_b64(recorded_b64, &rec) >= 0 &&
	    budget_job_cost(&j.privacy, steps,
		streq(accountant, "basic") ? DP_ACCOUNTANT_BASIC :
					      DP_ACCOUNTANT_RDP,
		delta, &want, err, sizeof(err)) >= 0 &&
	    rec->n == want->n) {
		under = rec->eps_extra < want->eps_extra ||
		    rec->delta_extra < want->delta_extra;
		for (size_t i = 0; i < rec->n && !under; i++)
			under = rec->rdp[i] < want->rdp[i];
	}
	job_done(&j);
	return under;
}

static int
replay_entry(void *userdata, uint64_t index, const uint8_t *data, size_t len)
{
	struct budget_replay *b = userdata;
	char kind[LEDGER_KIND_MAX + 1];
	json_t *body = NULL, *it, *state;
	const char *job;
	size_t i;

	if (ledger_entry_decode(data, len, kind, &body) < 0)
		return replay_fail(b, index, "not a valid entry");
	job = json_string_value(json_object_get(body, "job"));
	if (streq(kind, "decision") && job) {
		json_object_set(b->decisions, job, json_object_get(body, "privacy"));
		if (!streq(json_string_value(json_object_get(body, "decision")),
			"allow")) {
			json_decref(body);
			return 0;
		}
		json_array_foreach(json_object_get(body, "budgets"), i, it) {
			const char *name = json_string_value(json_object_get(it,
			    "budget"));
			const char *acct = json_string_value(json_object_get(it,
			    "accountant"));
			double delta = json_number_value(json_object_get(it, "delta"));
			if (!json_is_true(json_object_get(it, "charged")) || !name)
				continue;
			if (cost_understated(json_string_value(json_object_get(it,
				"cost")), json_object_get(body, "privacy"), 0,
				acct, delta))
				replay_fail(b, index,
				    "a reservation is below the job's declared privacy cost");
			state = json_object_get(b->states, name);
			if (!state) {
				state = budget_state_new(json_number_value(
				    json_object_get(it, "epsilon")), delta,
				    streq(acct, "basic") ? DP_ACCOUNTANT_BASIC :
							   DP_ACCOUNTANT_RDP);
				json_object_set_new(b->states, name, state);
			}
			json_object_set(state, "epsilon",
			    json_object_get(it, "epsilon"));
			json_object_set(state, "delta", json_object_get(it, "delta"));
			if (budget_state_reserve(state, job,
				json_string_value(json_object_get(it, "cost")),
				json_string_value(json_object_get(it,
				    "expires"))) < 0)
				replay_fail(b, index, "a reservation does not apply");
		}
	} else if ((streq(kind, "budget_settle") ||
		       streq(kind, "budget_release")) && job) {
		const char *name = json_string_value(json_object_get(body,
		    "budget"));
		state = name ? json_object_get(b->states, name) : NULL;
		if (!state)
			replay_fail(b, index, "settles a budget never reserved");
		else if (streq(kind, "budget_settle")) {
			const char *acct = json_string_value(json_object_get(state,
			    "accountant"));
			if (cost_understated(json_string_value(json_object_get(body,
				"cost")), json_object_get(b->decisions, job),
				(uint64_t)json_integer_value(json_object_get(body,
				    "steps")), acct,
				json_number_value(json_object_get(state, "delta"))) &&
			    json_integer_value(json_object_get(body, "steps")) != 0)
				replay_fail(b, index,
				    "a settlement is below the job's privacy cost for its steps");
			if (budget_state_settle(state, job,
				json_string_value(json_object_get(body, "cost"))) < 0)
				replay_fail(b, index, "a settlement does not apply");
			b->charges++;
		} else if (budget_state_release(state, job) < 0)
			replay_fail(b, index, "a release does not apply");
	}
	json_decref(body);
	return 0;
}

static int
budget_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct budget_replay b = { 0 };
	_cleanup_(store_closep) struct store *s = NULL;
	const char *db = NULL, *name;
	json_t *state, *out;
	char err[512];
	bool mismatch = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl budget verify --db FILE\n\n"
			       "Recomputes every privacy budget from the ledger's entries alone:\n"
			       "each charge from the job's declared parameters (a recorded cost\n"
			       "below them fails), then the spent epsilon, and compares the result\n"
			       "with the daemon's budget tables. Verify the ledger itself first\n"
			       "with 'consentctl ledger verify'. Exit 0 consistent, 1 not.\n");
			return EXIT_OK;
		case 'd':
			db = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!db || optind != argc)
		return cli_usage_error("budget verify: expected --db FILE");
	r = store_open(db, STORE_READ_ONLY, &s, err, sizeof(err));
	if (r < 0)
		return cli_usage_error("cannot open '%s': %s", db, err);
	b.states = json_object();
	b.decisions = json_object();
	r = store_read_begin(s);
	if (r >= 0)
		r = store_entry_foreach(s, 0, UINT64_MAX, replay_entry, &b);
	out = json_array();
	json_object_foreach(b.states, name, state) {
		_cleanup_free_ char *stored = NULL;
		_cleanup_dp_curve_ struct dp_curve *spent = NULL;
		double delta = json_number_value(json_object_get(state, "delta"));
		double eps = NAN;
		bool same = false;

		if (budget_curve_from_b64(json_string_value(json_object_get(state,
			"spent")), &spent) >= 0)
			eps = budget_curve_epsilon(spent, delta);
		if (store_budget_get(s, name, &stored) >= 0) {
			json_error_t e;
			json_t *st = NULL;

			(void)json_load_checked(stored, strlen(stored), 0,
			    &st, &e);
			same = st && streq(json_string_value(json_object_get(st,
				"spent")), json_string_value(json_object_get(state,
				"spent"))) &&
			    json_number_value(json_object_get(st, "epsilon")) ==
				json_number_value(json_object_get(state,
				    "epsilon")) &&
			    json_number_value(json_object_get(st, "delta")) ==
				json_number_value(json_object_get(state, "delta")) &&
			    streq(json_string_value(json_object_get(st, "reserved")),
				json_string_value(json_object_get(state,
				    "reserved")));
			json_decref(st);
		}
		mismatch |= !same;
		json_array_append_new(out, json_pack("{s:s, s:f, s:f, s:o, s:b}",
		    "name", name, "epsilon",
		    json_number_value(json_object_get(state, "epsilon")), "delta",
		    delta, "spent_epsilon", isfinite(eps) ? json_real(eps) :
							     json_null(),
		    "matches_tables", same));
	}
	store_read_end(s);
	if (ctx->json) {
		json_t *o = json_pack("{s:b, s:o, s:s}", "ok", !b.bad && !mismatch &&
		    r >= 0, "budgets", out, "message", b.bad ? b.message :
		    mismatch ? "the budget tables do not match the ledger" : "ok");
		cli_print_json(o);
		json_decref(o);
	} else {
		size_t i;
		json_t *it;
		json_array_foreach(out, i, it)
			printf("%s: spent epsilon %.6g of %.6g (recomputed from the ledger)%s\n",
			    json_string_value(json_object_get(it, "name")),
			    json_number_value(json_object_get(it, "spent_epsilon")),
			    json_number_value(json_object_get(it, "epsilon")),
			    json_is_true(json_object_get(it, "matches_tables")) ? "" :
				" -- DOES NOT MATCH the budget tables");
		if (b.bad)
			printf("FAILED: %s\n", b.message);
		else if (!mismatch && r >= 0)
			printf("OK: %llu settled charges verified\n",
			    (unsigned long long)b.charges);
		json_decref(out);
	}
	json_decref(b.states);
	json_decref(b.decisions);
	if (r < 0) {
		fprintf(stderr, "consentctl: cannot read '%s'\n", db);
		return EXIT_UNAVAILABLE;
	}
	return b.bad || mismatch ? EXIT_NEGATIVE : EXIT_OK;
}

int
cmd_budget(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "show", budget_show, "spent, reserved and remaining epsilon" },
		{ "verify", budget_verify, "recompute budgets from the ledger (offline)" },
	};
	return cli_dispatch(ctx, argc, argv, subs, ELEMENTSOF(subs),
	    "Differential-privacy budgets.");
}

static void
print_jobs(const json_t *jobs, const char *indent)
{
	size_t i;
	json_t *j;

	json_array_foreach(jobs, i, j) {
		const json_t *m = json_object_get(j, "model");
		printf("%sjob %s (decision entry %lld, %s)%s%s%s%s\n", indent,
		    json_string_value(json_object_get(j, "job")),
		    (long long)json_integer_value(json_object_get(j,
			"decision_index")),
		    json_string_value(json_object_get(j, "decided")),
		    m ? ", model " : "",
		    m ? json_string_value(json_object_get(m, "name")) : "",
		    m && json_object_get(m, "version") ? " " : "",
		    m ? json_string_value(json_object_get(m, "version")) ?
			    json_string_value(json_object_get(m, "version")) :
			    "" :
			"");
	}
}

int
cmd_lineage(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *path = NULL, *esc = NULL;
	json_t *resp = NULL;
	long status;
	int r;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: consentctl lineage SUBJECT\n\n"
		       "Lists the allowed training jobs (and their models) whose data\n"
		       "included SUBJECT. Exit 0 when there are some, 1 when none.\n");
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error("lineage: expected one SUBJECT");
	esc = cli_escape_path(argv[1]);
	if (!esc || asprintf(&path, "/v1/lineage/%s", esc) < 0)
		return EXIT_UNAVAILABLE;
	r = cli_request(ctx, "GET", path, NULL, &status, &resp);
	if (r < 0)
		return EXIT_UNAVAILABLE;
	if (status == 404) {
		printf("no such subject (never recorded, or erased)\n");
		json_decref(resp);
		return EXIT_NEGATIVE;
	}
	if (status != 200) {
		r = cli_report_error(ctx, status, resp);
		json_decref(resp);
		return r;
	}
	if (ctx->json)
		cli_print_json(resp);
	else if (json_array_size(json_object_get(resp, "jobs")) == 0)
		printf("no job used this subject's data\n");
	else
		print_jobs(json_object_get(resp, "jobs"), "");
	r = json_array_size(json_object_get(resp, "jobs")) ? EXIT_OK :
							      EXIT_NEGATIVE;
	json_decref(resp);
	return r;
}

int
cmd_impact(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_free_ char *path = NULL, *esc = NULL;
	const char *since = NULL;
	json_t *resp = NULL, *ev;
	usec_t t;
	size_t i;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: consentctl impact [--since TIME]\n\n"
			       "Lists every consent revocation and erasure (since TIME) that\n"
			       "affects jobs which had already used the subject's data, with\n"
			       "those jobs and their models: what to retrain or withdraw.\n"
			       "Exit 0 when something is affected, 1 when nothing is.\n");
			return EXIT_OK;
		case 's':
			since = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("impact: unexpected argument '%s'",
		    argv[optind]);
	if (since && time_parse_rfc3339(since, &t) < 0)
		return cli_usage_error("--since: '%s' is not an RFC 3339 time",
		    since);
	esc = since ? cli_escape_path(since) : NULL;
	if (asprintf(&path, "/v1/impact%s%s", esc ? "?since=" : "",
		esc ? esc : "") < 0)
		return EXIT_UNAVAILABLE;
	r = cli_call(ctx, "GET", path, NULL, &resp);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else
		json_array_foreach(json_object_get(resp, "events"), i, ev) {
			printf("entry %lld: %s of subject token %s%s%s at %s affects:\n",
			    (long long)json_integer_value(json_object_get(ev,
				"index")),
			    json_string_value(json_object_get(ev, "event")),
			    json_string_value(json_object_get(ev, "subject")),
			    json_object_get(ev, "purpose") ? " for " : "",
			    json_object_get(ev, "purpose") ?
				json_string_value(json_object_get(ev, "purpose")) :
				"",
			    json_string_value(json_object_get(ev, "recorded")));
			print_jobs(json_object_get(ev, "jobs"), "  ");
		}
	if (!ctx->json && json_array_size(json_object_get(resp, "events")) == 0)
		printf("no revocation or erasure affects a job\n");
	r = json_array_size(json_object_get(resp, "events")) ? EXIT_OK :
								EXIT_NEGATIVE;
	json_decref(resp);
	return r;
}

int
cmd_replay(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *body, *resp = NULL, *dif;
	uint64_t index;
	size_t i;
	int r;

	if (cli_wants_help(argc, argv)) {
		printf("Usage: consentctl replay INDEX\n\n"
		       "Re-evaluates the decision recorded as ledger entry INDEX with the\n"
		       "exact policy texts it used (from the ledger), the consent state as\n"
		       "of its snapshot, and the data as it is now, and says whether it\n"
		       "reproduces: the same outcome for every rule and the same data\n"
		       "fingerprints. Exit 0 reproduces, 1 differs.\n");
		return EXIT_OK;
	}
	if (argc != 2 || cli_parse_uint64(argv[1], "INDEX", &index) < 0)
		return cli_usage_error("replay: expected INDEX");
	body = json_pack("{s:I}", "index", (json_int_t)index);
	r = cli_call(ctx, "POST", "/v1/replay", body, &resp);
	json_decref(body);
	if (r != EXIT_OK)
		return r;
	if (ctx->json)
		cli_print_json(resp);
	else {
		bool same = json_is_true(json_object_get(resp, "reproduces"));
		printf("entry %llu: recorded %s; replayed evaluation %s: %s\n",
		    (unsigned long long)index,
		    json_string_value(json_object_get(resp, "recorded_decision")),
		    json_string_value(json_object_get(resp,
			"replayed_evaluation")),
		    same ? "reproduces" : "DIFFERS");
		json_array_foreach(json_object_get(resp, "differences"), i, dif)
			printf("  %s: %s%s%s%s%s%s\n",
			    json_string_value(json_object_get(dif, "what")),
			    json_string_value(json_object_get(dif, "dataset")) ?
				json_string_value(json_object_get(dif, "dataset")) :
				"",
			    json_object_get(dif, "rule") ? " rule " : "",
			    json_object_get(dif, "rule") ?
				json_string_value(json_object_get(dif, "rule")) :
				"",
			    json_object_get(dif, "recorded") ? " was " : "",
			    json_object_get(dif, "recorded") ?
				json_string_value(json_object_get(dif, "recorded")) :
				"",
			    json_object_get(dif, "replayed") ? ", now differs" :
							       "");
	}
	r = json_is_true(json_object_get(resp, "reproduces")) ? EXIT_OK :
								EXIT_NEGATIVE;
	json_decref(resp);
	return r;
}
