/* Helpers shared by the accountant's files: log-space arithmetic and
 * rounding up. */
#ifndef CONSENTD_DP_INTERNAL_H
#define CONSENTD_DP_INTERNAL_H

/* Relative margin added to every per-order RDP value: more than the
 * rounding error of its computation (docs/dp.md). */
#define DP_REL_MARGIN 0x1p-40

double dp_log_add(double a, double b);
/* log(exp(a) - exp(b)); -inf unless a > b. */
double dp_log_sub(double a, double b);
double dp_log_erfc(double x);
/* v * (1 + rel), then one ulp up; 0 and +inf stay, NaN becomes +inf. */
double dp_round_up(double v, double rel);
/* a + b and a - b, rounded up (exact error from TwoSum). */
double dp_add_up(double a, double b);
double dp_sub_up(double a, double b);
/* a - b rounded down. */
double dp_sub_down(double a, double b);
/* a * b rounded up, a, b >= 0. */
double dp_mul_up(double a, double b);
/* dp_rdp_sgd at n orders, sharing the work that does not depend on the
 * order. */
int dp_rdp_sgd_orders(double q, double sigma, const double *orders,
    size_t n, double *ret);

#endif
