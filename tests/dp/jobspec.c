/* Test helper: parses compact job descriptions used by the parity data. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"

static int
numbers(const char *p, double *v, int want, const char **ret_end)
{
	for (int i = 0; i < want; i++) {
		char *end;

		if (*p != ',')
			return -EINVAL;
		p++;
		errno = 0;
		v[i] = strtod(p, &end);
		if (end == p || errno)
			return -EINVAL;
		p = end;
	}
	if (*p != '\0' && *p != ';')
		return -EINVAL;
	*ret_end = p;
	return 0;
}

int
jobspec_parse(const char *s, struct dp_job *ret, const char **ret_end)
{
	static const struct {
		const char *name;
		enum dp_mechanism m;
		int args;
	} kinds[] = {
		{ "sgd", DP_MECHANISM_SGD, 3 },
		{ "gauss", DP_MECHANISM_GAUSSIAN, 2 },
		{ "laplace", DP_MECHANISM_LAPLACE, 2 },
		{ "pure", DP_MECHANISM_PURE, 2 },
		{ "approx", DP_MECHANISM_APPROX, 2 },
	};
	double v[3];

	for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
		size_t len = strlen(kinds[k].name);
		struct dp_job j = { .mechanism = kinds[k].m };

		if (strncmp(s, kinds[k].name, len) != 0 || s[len] != ',')
			continue;
		if (numbers(s + len, v, kinds[k].args, ret_end) < 0)
			return -EINVAL;
		switch (kinds[k].m) {
		case DP_MECHANISM_SGD:
			j.sample_rate = v[0];
			j.noise_multiplier = v[1];
			j.count = v[2];
			break;
		case DP_MECHANISM_GAUSSIAN:
			j.noise_multiplier = v[0];
			j.count = v[1];
			break;
		case DP_MECHANISM_LAPLACE:
			j.scale = v[0];
			j.count = v[1];
			break;
		case DP_MECHANISM_PURE:
			j.epsilon = v[0];
			j.count = v[1];
			break;
		default:
			j.epsilon = v[0];
			j.delta = v[1];
			j.count = 1;
			break;
		}
		*ret = j;
		return 0;
	}
	return -EINVAL;
}

int
jobspec_charge_all(struct dp_curve *c, const char *s)
{
	while (*s) {
		struct dp_job job;
		const char *end;
		int r;

		r = jobspec_parse(s, &job, &end);
		if (r < 0)
			return r;
		r = dp_curve_charge(c, &job);
		if (r < 0)
			return r;
		s = *end == ';' ? end + 1 : end;
	}
	return 0;
}
