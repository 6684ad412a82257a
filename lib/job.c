/* Training jobs: validation of what pipelines submit. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "consent.h"
#include "job.h"
#include "json.h"

static const char *const job_fields[] = {
	"job", "purpose", "datasets", "privacy", "requester", "model",
	"recheck", NULL,
};

static const struct {
	const char *name;
	enum job_mechanism m;
	const char *const *fields;
} mechanisms[] = {
	{ "none", JOB_MECH_NONE, (const char *const[]){ "mechanism", NULL } },
	{ "dp-sgd", JOB_MECH_DP_SGD,
	    (const char *const[]){ "mechanism", "noise_multiplier", "sample_rate",
		"steps", "delta", NULL } },
	{ "gaussian", JOB_MECH_GAUSSIAN,
	    (const char *const[]){ "mechanism", "noise_multiplier", "count",
		NULL } },
	{ "laplace", JOB_MECH_LAPLACE,
	    (const char *const[]){ "mechanism", "scale", "count", NULL } },
	{ "epsilon-delta", JOB_MECH_EPSILON_DELTA,
	    (const char *const[]){ "mechanism", "epsilon", "delta", NULL } },
};

const char *
job_mechanism_name(enum job_mechanism m)
{
	for (size_t i = 0; i < ELEMENTSOF(mechanisms); i++)
		if (mechanisms[i].m == m)
			return mechanisms[i].name;
	return "unknown";
}

bool
job_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > JOB_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' ||
			c == '.' || c == ':' || c == '@'))
			return false;
	}
	return true;
}

void
job_done(struct job *j)
{
	free(j->id);
	free(j->purpose);
	for (size_t i = 0; i < j->ndatasets; i++)
		free(j->datasets[i]);
	free(j->datasets);
	free(j->requester);
	free(j->model_name);
	free(j->model_version);
	memset(j, 0, sizeof(*j));
}

static int
positive(const json_t *o, const char *key, double *ret, char *errbuf,
    size_t errlen)
{
	int r = json_get_number(o, key, true, ret, errbuf, errlen);

	if (r < 0)
		return r;
	if (!(*ret > 0) || !isfinite(*ret)) {
		snprintf(errbuf, errlen, "privacy.%s must be a positive number",
		    key);
		return -EINVAL;
	}
	return 0;
}

/* A number in [lo, hi], with each end open or closed. */
static int
in_range(const json_t *o, const char *key, double lo, bool lo_open, double hi,
    bool hi_open, double *ret, char *errbuf, size_t errlen)
{
	int r = json_get_number(o, key, true, ret, errbuf, errlen);

	if (r < 0)
		return r;
	if ((lo_open ? !(*ret > lo) : !(*ret >= lo)) ||
	    (hi_open ? !(*ret < hi) : !(*ret <= hi))) {
		snprintf(errbuf, errlen, "privacy.%s must lie in %c%g, %g%c", key,
		    lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
		return -EINVAL;
	}
	return 0;
}

static int
parse_privacy(const json_t *p, struct job_privacy *ret, char *errbuf,
    size_t errlen)
{
	const char *mech;
	int64_t n;
	size_t i;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!p) {
		ret->mechanism = JOB_MECH_NONE;
		return 0;
	}
	if (!json_is_object(p)) {
		snprintf(errbuf, errlen, "privacy must be a mapping");
		return -EINVAL;
	}
	r = json_get_string(p, "mechanism", true, &mech, errbuf, errlen);
	if (r < 0)
		return r;
	for (i = 0; i < ELEMENTSOF(mechanisms); i++)
		if (streq(mech, mechanisms[i].name))
			break;
	if (i == ELEMENTSOF(mechanisms)) {
		snprintf(errbuf, errlen,
		    "privacy.mechanism must be dp-sgd, gaussian, laplace, epsilon-delta or none");
		return -EINVAL;
	}
	r = json_check_keys(p, mechanisms[i].fields, errbuf, errlen);
	if (r < 0)
		return r;
	ret->mechanism = mechanisms[i].m;
	switch (ret->mechanism) {
	case JOB_MECH_NONE:
		return 0;
	case JOB_MECH_DP_SGD:
		if ((r = positive(p, "noise_multiplier", &ret->noise_multiplier,
			 errbuf, errlen)) < 0 ||
		    (r = in_range(p, "sample_rate", 0, false, 1, false,
			 &ret->sample_rate, errbuf, errlen)) < 0 ||
		    (r = in_range(p, "delta", 0, true, 1, true, &ret->delta,
			 errbuf, errlen)) < 0 ||
		    (r = json_get_int(p, "steps", true, 0, INT64_C(1) << 40, &n,
			 errbuf, errlen)) < 0)
			return r;
		ret->steps = (uint64_t)n;
		return 0;
	case JOB_MECH_GAUSSIAN:
		if ((r = positive(p, "noise_multiplier", &ret->noise_multiplier,
			 errbuf, errlen)) < 0 ||
		    (r = json_get_int(p, "count", true, 0, INT64_C(1) << 40, &n,
			 errbuf, errlen)) < 0)
			return r;
		ret->count = (uint64_t)n;
		return 0;
	case JOB_MECH_LAPLACE:
		if ((r = positive(p, "scale", &ret->scale, errbuf, errlen)) < 0 ||
		    (r = json_get_int(p, "count", true, 0, INT64_C(1) << 40, &n,
			 errbuf, errlen)) < 0)
			return r;
		ret->count = (uint64_t)n;
		return 0;
	case JOB_MECH_EPSILON_DELTA:
		if ((r = json_get_number(p, "epsilon", true, &ret->epsilon,
			 errbuf, errlen)) < 0)
			return r;
		if (!(ret->epsilon >= 0)) {
			snprintf(errbuf, errlen,
			    "privacy.epsilon must be a non-negative number");
			return -EINVAL;
		}
		r = json_get_number(p, "delta", false, &ret->delta, errbuf,
		    errlen);
		if (r == -EINVAL)
			return r;
		if (r == 0 && !(ret->delta >= 0 && ret->delta < 1)) {
			snprintf(errbuf, errlen, "privacy.delta must lie in [0, 1)");
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static int
dup_opt(const json_t *o, const char *key, char **ret, char *errbuf,
    size_t errlen)
{
	const char *s;
	int r = json_get_string(o, key, false, &s, errbuf, errlen);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (strlen(s) > 256) {
		snprintf(errbuf, errlen, "%s must have at most 256 bytes", key);
		return -EINVAL;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int
job_parse(const json_t *in, struct job *ret, char *errbuf, size_t errlen)
{
	struct job j = { 0 };
	const char *id, *purpose;
	const json_t *ds, *v, *model;
	size_t i;
	int r;

	if (!json_is_object(in)) {
		snprintf(errbuf, errlen, "a job must be a mapping");
		return -EINVAL;
	}
	if ((r = json_check_keys(in, job_fields, errbuf, errlen)) < 0 ||
	    (r = json_get_string(in, "job", true, &id, errbuf, errlen)) < 0 ||
	    (r = json_get_string(in, "purpose", true, &purpose, errbuf,
		 errlen)) < 0)
		return r;
	if (!job_id_valid(id)) {
		snprintf(errbuf, errlen,
		    "job must have 1 to %d letters, digits or -_.:@", JOB_ID_MAX);
		return -EINVAL;
	}
	if (!consent_purpose_valid(purpose)) {
		snprintf(errbuf, errlen,
		    "purpose must be a lowercase key such as train_ai_system");
		return -EINVAL;
	}
	ds = json_object_get(in, "datasets");
	if (!json_is_array(ds) || json_array_size(ds) == 0 ||
	    json_array_size(ds) > JOB_MAX_DATASETS) {
		snprintf(errbuf, errlen,
		    "datasets must be a list of 1 to %d manifest paths",
		    JOB_MAX_DATASETS);
		return -EINVAL;
	}
	j.datasets = calloc(json_array_size(ds), sizeof(char *));
	if (!j.datasets)
		return -ENOMEM;
	json_array_foreach(ds, i, v) {
		const char *p = json_string_value(v);
		if (!p || p[0] != '/' || strlen(p) > 4096 ||
		    strlen(p) != json_string_length(v)) {
			snprintf(errbuf, errlen,
			    "datasets[%zu] must be an absolute manifest path", i);
			r = -EINVAL;
			goto fail;
		}
		if (!(j.datasets[j.ndatasets++] = strdup(p))) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = parse_privacy(json_object_get(in, "privacy"), &j.privacy, errbuf,
	    errlen);
	if (r < 0)
		goto fail;
	if ((r = dup_opt(in, "requester", &j.requester, errbuf, errlen)) < 0)
		goto fail;
	model = json_object_get(in, "model");
	if (model) {
		if (!json_is_object(model) ||
		    json_check_keys(model, (const char *const[]){ "name",
			"version", NULL }, errbuf, errlen) < 0) {
			if (!json_is_object(model))
				snprintf(errbuf, errlen,
				    "model must be a mapping with name and version");
			r = -EINVAL;
			goto fail;
		}
		if ((r = dup_opt(model, "name", &j.model_name, errbuf,
			 errlen)) < 0 ||
		    (r = dup_opt(model, "version", &j.model_version, errbuf,
			 errlen)) < 0)
			goto fail;
	}
	v = json_object_get(in, "recheck");
	if (v && !json_is_boolean(v)) {
		snprintf(errbuf, errlen, "recheck must be true or false");
		r = -EINVAL;
		goto fail;
	}
	j.recheck = json_is_true(v);
	j.id = strdup(id);
	j.purpose = strdup(purpose);
	if (!j.id || !j.purpose) {
		r = -ENOMEM;
		goto fail;
	}
	*ret = j;
	return 0;
fail:
	job_done(&j);
	return r;
}

json_t *
job_privacy_to_json(const struct job_privacy *p)
{
	json_t *o = json_pack("{s:s}", "mechanism",
	    job_mechanism_name(p->mechanism));

	if (!o)
		return NULL;
	switch (p->mechanism) {
	case JOB_MECH_NONE:
		break;
	case JOB_MECH_DP_SGD:
		json_object_set_new(o, "noise_multiplier",
		    json_real(p->noise_multiplier));
		json_object_set_new(o, "sample_rate", json_real(p->sample_rate));
		json_object_set_new(o, "steps", json_integer((json_int_t)p->steps));
		json_object_set_new(o, "delta", json_real(p->delta));
		break;
	case JOB_MECH_GAUSSIAN:
		json_object_set_new(o, "noise_multiplier",
		    json_real(p->noise_multiplier));
		json_object_set_new(o, "count", json_integer((json_int_t)p->count));
		break;
	case JOB_MECH_LAPLACE:
		json_object_set_new(o, "scale", json_real(p->scale));
		json_object_set_new(o, "count", json_integer((json_int_t)p->count));
		break;
	case JOB_MECH_EPSILON_DELTA:
		json_object_set_new(o, "epsilon", json_real(p->epsilon));
		json_object_set_new(o, "delta", json_real(p->delta));
		break;
	}
	return o;
}
