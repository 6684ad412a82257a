#!/usr/bin/env python3
"""Checks that the C accountant never reports an epsilon below the true one.

For a sample of cases on integer orders, epsilon is evaluated with 50
significant digits (mpmath: exact binomial sums, no cancellation), and a few
fractional orders by quadrature of the defining integral.  The C value
(tests/dp/dp_eval) must be >= it and within a relative 1e-9.

Usage: highprec.py PATH/TO/dp_eval
"""

import subprocess
import sys

import mpmath as mp

mp.mp.dps = 50


def a_minus_1_int(q, s, a):
    """A_alpha - 1 for the subsampled Gaussian, integer alpha."""
    q, s = mp.mpf(q), mp.mpf(s)
    return mp.fsum(mp.binomial(a, i) * q ** i * (1 - q) ** (a - i)
                   * mp.expm1(mp.mpf(i * i - i) / (2 * s * s))
                   for i in range(2, a + 1))


def a_minus_1_quad(q, s, a):
    """A_alpha - 1 by quadrature: E[(1 + q(L-1))^a - 1 - a q (L-1)]."""
    q, s, a = mp.mpf(q), mp.mpf(s), mp.mpf(a)

    def f(z):
        t = q * mp.expm1((2 * z - 1) / (2 * s * s))
        return mp.npdf(z, 0, s) * ((1 + t) ** a - 1 - a * t)
    pts = [-mp.inf, -20 * s, -10 * s, 0, 0.5, 10 * s, 20 * s, 40 * s,
           80 * s, mp.inf]
    return mp.quad(f, pts)


def rdp(job, a):
    kind = job[0]
    if kind == "sgd":
        _, q, s, steps = job
        if q == 0:
            return mp.mpf(0)
        if q == 1:
            return steps * mp.mpf(a) / (2 * mp.mpf(s) ** 2)
        am1 = (a_minus_1_int(q, s, int(a)) if float(a).is_integer()
               else a_minus_1_quad(q, s, a))
        return steps * mp.log1p(am1) / (mp.mpf(a) - 1)
    if kind == "gauss":
        return job[2] * mp.mpf(a) / (2 * mp.mpf(job[1]) ** 2)
    if kind == "laplace":
        b, a = mp.mpf(job[1]), mp.mpf(a)
        v = mp.log(a / (2 * a - 1) * mp.exp((a - 1) / b)
                   + (a - 1) / (2 * a - 1) * mp.exp(-a / b)) / (a - 1)
        return job[2] * v
    raise ValueError(kind)


def epsilon(jobs, orders, delta):
    """Improved conversion (Balle et al. 2020 Thm 21), exactly."""
    delta = mp.mpf(delta)
    best = mp.inf
    for a in orders:
        r = mp.fsum(rdp(j, a) for j in jobs)
        if delta ** 2 + mp.expm1(-r) >= 0:
            e = mp.mpf(0)
        else:
            am = mp.mpf(a)
            e = r + mp.log1p(-1 / am) - (mp.log(delta) + mp.log(am)) / (am - 1)
        best = min(best, e)
    return max(best, mp.mpf(0))


CASES = [
    # (jobs, orders, delta)
    ([("sgd", 256 / 60000, 1.1, 14063)], list(range(2, 65)), 1e-5),
    ([("sgd", 0.01, 0.8, 5000)], list(range(2, 33)), 1e-6),
    ([("sgd", 1e-4, 1.0, 1000000)], list(range(2, 65)) + [128, 256], 1e-6),
    ([("sgd", 1e-8, 0.5, 10000000)], list(range(2, 65)), 1e-10),
    ([("sgd", 0.3, 2.0, 1000)], list(range(2, 20)), 1e-5),
    ([("sgd", 0.9, 3.0, 50)], list(range(2, 20)), 1e-5),
    ([("sgd", 0.004, 10.0, 1000000)], list(range(2, 40)), 1e-9),
    ([("sgd", 0.05, 1.2, 5000), ("laplace", 5.0, 3), ("gauss", 20.0, 10)],
     list(range(2, 40)), 1e-5),
    ([("sgd", 0.004, 1.1, 14063)], [1.5, 2.5, 4.5, 8.1, 9.7], 1e-5),
    ([("sgd", 1e-5, 0.6, 1000000)], [2.5, 5.5, 7.8, 11.5], 1e-5),
]


def main(argv):
    prog = argv[1]
    failures = 0
    for jobs, orders, delta in CASES:
        want = epsilon(jobs, orders, delta)
        spec = [",".join([j[0]] + [repr(float(v)) for v in j[1:]])
                for j in jobs]
        out = subprocess.run(
            [prog, "-d", repr(delta), "-o",
             ",".join(repr(float(a)) for a in orders)] + spec,
            check=True, capture_output=True, text=True).stdout
        got = mp.mpf(out.split()[0])
        ok = got >= want and (got - want) <= mp.mpf("1e-9") * want
        print("%s %s: C %s, exact %s" % ("ok" if ok else "FAIL", spec,
              mp.nstr(got, 17), mp.nstr(want, 20)))
        failures += not ok
    print("%d passed, %d failed" % (len(CASES) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
