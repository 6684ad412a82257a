/* Training jobs as pipelines submit them (consentd-job(5)): validation,
 * shared by consentd and consentctl. */
#ifndef CONSENTD_JOB_H
#define CONSENTD_JOB_H

#include <jansson.h>

#include "macro.h"

#define JOB_ID_MAX 128
#define JOB_MAX_DATASETS 64

enum job_mechanism {
	JOB_MECH_NONE,         /* no differential privacy */
	JOB_MECH_DP_SGD,       /* Poisson-subsampled Gaussian, T steps */
	JOB_MECH_GAUSSIAN,     /* count releases with noise multiplier σ */
	JOB_MECH_LAPLACE,      /* count releases with scale b (sensitivity 1) */
	JOB_MECH_EPSILON_DELTA,/* a plain (ε, δ) charge */
};

struct job_privacy {
	enum job_mechanism mechanism;
	double noise_multiplier; /* dp-sgd, gaussian */
	double sample_rate;      /* dp-sgd */
	uint64_t steps;          /* dp-sgd */
	uint64_t count;          /* gaussian, laplace: number of releases */
	double scale;            /* laplace */
	double epsilon, delta;   /* epsilon-delta; delta also for dp-sgd */
};

struct job {
	char *id;
	char *purpose;
	char **datasets;       /* manifest paths, absolute */
	size_t ndatasets;
	struct job_privacy privacy;
	char *requester;       /* NULL when absent */
	char *model_name;      /* NULL when absent */
	char *model_version;
	bool recheck;
};

/* Validates a job object (as JSON; YAML job files are converted first).
 * Dataset paths must be absolute (consentctl resolves them against the
 * job file). -EINVAL with a message naming the field. */
int job_parse(const json_t *in, struct job *ret, char *errbuf, size_t errlen);
void job_done(struct job *j);
const char *job_mechanism_name(enum job_mechanism m);
/* The privacy parameters as JSON (for decisions and budgets). */
json_t *job_privacy_to_json(const struct job_privacy *p);
bool job_id_valid(const char *id);

#endif
