/* Test helper: jobs written as "sgd,q,sigma,steps", "gauss,sigma,count",
 * "laplace,b,count", "pure,eps,count" or "approx,eps,delta". */
#ifndef CONSENTD_TEST_JOBSPEC_H
#define CONSENTD_TEST_JOBSPEC_H

#include "dp/dp.h"

/* Parses one job (up to the end of s or a ';'); *ret_end points past it. */
int jobspec_parse(const char *s, struct dp_job *ret, const char **ret_end);
/* Charges every ';'-separated job of s to c. */
int jobspec_charge_all(struct dp_curve *c, const char *s);

#endif
