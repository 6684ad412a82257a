/* Clocks and medians shared by the benchmark programs. */
#ifndef CONSENTD_BENCH_H
#define CONSENTD_BENCH_H

#include <stdlib.h>
#include <time.h>

/* Seconds on a clock: CLOCK_MONOTONIC for wall time, and the process or
 * thread CPU clocks for the part of it that was ours (on a shared
 * machine the wall clock also counts other people's work). */
static inline double
bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double
bench_mono(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v and returns its median (n > 0). */
static inline double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

#endif
