/* Privacy budgets as state derived from the ledger: pure transitions
 * (reserve, settle, release) over a JSON state, shared by the daemon (which
 * applies them as entries are appended) and by offline verification (which
 * replays them from the ledger alone). */
#ifndef CONSENTD_BUDGET_H
#define CONSENTD_BUDGET_H

#include <jansson.h>

#include "dp/dp.h"
#include "job.h"
#include "policy.h"

/*
 * State (JSON object):
 *   epsilon, delta     the budget's limits
 *   accountant         "rdp" or "basic"
 *   spent              base64 curve blob: settled charges
 *   reserved           base64 curve blob: reservations not yet settled
 *   reservations       {job: {"cost": blob, "expires": RFC 3339}}
 *   charges            number of charges settled
 *   spent_epsilon      epsilon of spent at delta (rounded up; informative)
 */
json_t *budget_state_new(double epsilon, double delta,
    enum dp_accountant accountant);
/* The job's cost under the accountant: the RDP curve of its mechanism
 * (rdp), or its (epsilon, delta) at the budget's delta as a plain charge
 * (basic). steps overrides the job's step count (settlement); 0 keeps it.
 * -EINVAL with a message when the job declares no DP mechanism. */
int budget_job_cost(const struct job_privacy *p, uint64_t steps,
    enum dp_accountant accountant, double delta, struct dp_curve **ret,
    char *errbuf, size_t errlen);
/* Status of the state (spent + reserved) with cost added (cost may be
 * NULL). */
int budget_state_status(const json_t *state, const struct dp_curve *cost,
    struct dp_budget_status *ret);
/* Transitions. Each is -EBADMSG when the state or arguments are
 * malformed, or -ENOENT for an unknown reservation. */
int budget_state_reserve(json_t *state, const char *job,
    const char *cost_b64, const char *expires);
int budget_state_settle(json_t *state, const char *job, const char *cost_b64);
int budget_state_release(json_t *state, const char *job);
/* Curves as base64 blobs. */
char *budget_curve_b64(const struct dp_curve *c);
int budget_curve_from_b64(const char *s, struct dp_curve **ret);
/* The epsilon of a curve at delta, rounded up. */
double budget_curve_epsilon(const struct dp_curve *c, double delta);

#endif
