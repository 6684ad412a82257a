#!/usr/bin/env python3
"""Reference RDP accountant in Python, and the generator of tests/data/dp_parity.tsv.

Written from the formulas of Mironov (2017), Mironov, Talwar and Zhang
(2019, arXiv:1908.10530, section 3.3), Balle et al. (2020, arXiv:1905.09982,
Theorem 21) and Canonne, Kamath and Steinke (2020, arXiv:2004.00010), with
the function layout of TensorFlow Privacy's rdp_accountant (log-space add
and subtract, _compute_log_a_int, _compute_log_a_frac, compute_rdp,
get_privacy_spent).  Standard library only, so that it runs anywhere.

Two computations of the subsampled Gaussian are provided:

* the direct one (``tf`` functions): log A_alpha as a log-space sum of the
  binomial (integer orders) or two-series (fractional orders) expansion,
  exactly as TensorFlow Privacy computes it;
* the accurate one (default): log(A_alpha - 1) as a sum of terms that do not
  cancel, then log A = log1p(A - 1).  For tiny sampling rates A is 1 + O(q^2)
  and the direct sum loses every digit of A - 1 to rounding; the accurate
  form keeps them.  Where both are accurate they agree (the TSV records both).

Usage: reference.py [--tsv FILE] [--bench N]
"""

import math
import sys
import time

LOG_HALF = math.log(0.5)
SQRT2 = math.sqrt(2.0)

DEFAULT_ORDERS = ([1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
                  + [128, 256, 512, 1024])


# ---------------------------------------------------------------- log space

def _log_add(logx, logy):
    """log(exp(logx) + exp(logy))."""
    a, b = min(logx, logy), max(logx, logy)
    if a == -math.inf:
        return b
    return math.log1p(math.exp(a - b)) + b


def _log_sub(logx, logy):
    """log(exp(logx) - exp(logy)), logx >= logy."""
    if logx < logy:
        raise ValueError("log_sub of a larger number")
    if logy == -math.inf:
        return logx
    if logx == logy:
        return -math.inf
    d = logy - logx
    return logx + math.log(-math.expm1(d))


def _log_sum(values):
    """log of the sum of exp(v), accurately (fsum of scaled terms)."""
    values = [v for v in values if v != -math.inf]
    if not values:
        return -math.inf
    m = max(values)
    return m + math.log(math.fsum(math.exp(v - m) for v in values))


def _log_erfc(x):
    """log(erfc(x)), with an asymptotic series where erfc underflows."""
    if x <= 20.0:
        return math.log(math.erfc(x))
    # erfc(x) = exp(-x^2)/(x sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2x^2)^k
    t = 1.0 / (2.0 * x * x)
    s, term = 1.0, 1.0
    for k in range(1, 12):
        term *= -(2 * k - 1) * t
        s += term
    return -x * x - math.log(x) - 0.5 * math.log(math.pi) + math.log(s)


def _log_q(u):
    """log of the standard normal upper tail Q(u) = P(Z > u)."""
    return LOG_HALF + _log_erfc(u / SQRT2)


def _log_expm1(x):
    """log(exp(x) - 1) for x > 0."""
    if x > 1.0:
        return x + math.log1p(-math.exp(-x))
    return math.log(math.expm1(x))


def _log1p_exp(x):
    """log(1 + exp(x))."""
    if x > 0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


# ----------------------------------------- the direct (TF Privacy) form

def _compute_log_a_int(q, sigma, alpha):
    """log A_alpha for integer alpha: binomial expansion (Mironov et al. 3.3)."""
    log_a = -math.inf
    for i in range(alpha + 1):
        log_coef_i = (math.log(math.comb(alpha, i)) + i * math.log(q)
                      + (alpha - i) * math.log1p(-q))
        s = log_coef_i + (i * i - i) / (2 * (sigma ** 2))
        log_a = _log_add(log_a, s)
    return log_a


def _compute_log_a_frac(q, sigma, alpha):
    """log A_alpha for fractional alpha: the two series split at z0."""
    log_a0, log_a1 = -math.inf, -math.inf
    i = 0
    z0 = sigma ** 2 * math.log(1 / q - 1) + .5
    coef = 1.0
    while True:
        log_coef = math.log(abs(coef))
        j = alpha - i
        log_t0 = log_coef + i * math.log(q) + j * math.log1p(-q)
        log_t1 = log_coef + j * math.log(q) + i * math.log1p(-q)
        log_e0 = LOG_HALF + _log_erfc((i - z0) / (SQRT2 * sigma))
        log_e1 = LOG_HALF + _log_erfc((z0 - j) / (SQRT2 * sigma))
        log_s0 = log_t0 + (i * i - i) / (2 * (sigma ** 2)) + log_e0
        log_s1 = log_t1 + (j * j - j) / (2 * (sigma ** 2)) + log_e1
        if coef > 0:
            log_a0 = _log_add(log_a0, log_s0)
            log_a1 = _log_add(log_a1, log_s1)
        else:
            log_a0 = _log_sub(log_a0, log_s0)
            log_a1 = _log_sub(log_a1, log_s1)
        coef *= (alpha - i) / (i + 1)
        i += 1
        if max(log_s0, log_s1) < -30:
            break
    return _log_add(log_a0, log_a1)


def _compute_rdp_tf(q, sigma, alpha):
    if q == 0:
        return 0.0
    if q == 1.:
        return alpha / (2 * sigma ** 2)
    if float(alpha).is_integer():
        log_a = _compute_log_a_int(q, sigma, int(alpha))
    else:
        log_a = _compute_log_a_frac(q, sigma, alpha)
    return log_a / (alpha - 1)


# ------------------------------------------------------- the accurate form

def _log_am1_int(q, sigma, alpha):
    """log(A_alpha - 1), integer alpha.

    sum_i C(a,i) q^i (1-q)^(a-i) = 1, so A - 1 is the same sum with
    exp((i^2-i)/2s^2) replaced by its expm1: terms i = 0, 1 vanish and all
    the others are positive.
    """
    lq, l1q = math.log(q), math.log1p(-q)
    s2 = 2.0 * sigma * sigma
    terms = []
    for i in range(2, alpha + 1):
        terms.append(math.log(math.comb(alpha, i)) + i * lq
                     + (alpha - i) * l1q + _log_expm1((i * i - i) / s2))
    return _log_sum(terms)


def _frac_series(q, sigma, alpha, accurate, log_tol=-34.0):
    """The two series of Mironov et al. section 3.3 for fractional alpha.

    accurate=False: returns log A.  accurate=True (needs q < 1/2): returns
    log(A - 1), using sum_i c_i = 1 (c_i = C(a,i) q^i (1-q)^(a-i)) to write
    the first series minus P(Z < z0) term by term, and subtracting
    P(Z > z0) from the second.

    Past i_min = max(alpha, z0) + 2 every series alternates with magnitudes
    that decrease (polynomially in i: slowly when z0 is small) and are
    convex, so the remainder after term N lies between half the next
    magnitude and half the last one.  The loop stops when that uncertainty
    is below exp(log_tol) times the sum, and adds the midpoint.
    """
    lq, l1q = math.log(q), math.log1p(-q)
    s2 = 2.0 * sigma * sigma
    z0 = sigma * sigma * (l1q - lq) + 0.5
    u0 = z0 / sigma
    lq0 = _log_q(u0)
    lphi0 = _log_q(-u0)
    pos, neg = -math.inf, -math.inf
    lc, sign = 0.0, 1.0          # log |C(alpha, i)| and its sign
    i = 0
    i_min = max(alpha, z0) + 2
    prev_w = prev_y = None
    while True:
        j = alpha - i
        lci = lc + i * lq + j * l1q
        x = (i * i - i) / s2
        ui = (z0 - i) / sigma
        lcj = lc + j * lq + i * l1q
        wz = lcj + (j * j - j) / s2 + _log_q((z0 - j) / sigma)
        pieces = []              # (log magnitude, +1 or -1)
        w = y = None
        if not accurate:
            w = _log_add(lci + x + _log_q(-ui), wz)
        elif i >= 1 and ui >= 0:
            if i >= 2:
                pieces.append((lci + _log_expm1(x) + lphi0, sign))
            pieces.append((lci + x + _log_sub(_log_q(ui), lq0), -sign))
        elif i >= 1:
            w = _log_add(lci + x + _log_q(-ui), wz)
            y = lci + lphi0
        if w is None:
            pieces.append((wz, sign))
        else:
            pieces.append((w, sign))
            if y is not None:
                pieces.append((y, -sign))
        if i > i_min + 1 and prev_w is not None and w <= prev_w and \
                (y is None or y <= prev_y):
            width = _log_sub(prev_w, w)
            if y is not None:
                width = _log_add(width, _log_sub(prev_y, y))
            total = _log_sub(pos, neg) if pos > neg else -math.inf
            if not accurate:
                total = _log_sub(total, 0.0) if total > 0 else -math.inf
            if width - math.log(2) < total + log_tol:
                # remainder after term i-1: midpoint of the bracket
                pieces = [(_log_add(prev_w, w) - math.log(4), sign)]
                if y is not None:
                    pieces.append((_log_add(prev_y, y) - math.log(4), -sign))
                for v, sg in pieces:
                    if sg > 0:
                        pos = _log_add(pos, v)
                    else:
                        neg = _log_add(neg, v)
                break
        for v, sg in pieces:
            if sg > 0:
                pos = _log_add(pos, v)
            else:
                neg = _log_add(neg, v)
        prev_w, prev_y = w, y
        r = (alpha - i) / (i + 1)
        lc += math.log(abs(r))
        if r < 0:
            sign = -sign
        i += 1
        if i > 1000000:
            raise ArithmeticError("series did not converge")
    if accurate:
        neg = _log_add(neg, lq0)
    return _log_sub(pos, neg)


def _compute_rdp(q, sigma, alpha):
    """RDP of one step of the Poisson-subsampled Gaussian at order alpha."""
    if q == 0:
        return 0.0
    if q == 1.:
        return alpha / (2 * sigma ** 2)
    if float(alpha).is_integer():
        return _log1p_exp(_log_am1_int(q, sigma, int(alpha))) / (alpha - 1)
    if q < 0.25:
        return _log1p_exp(_frac_series(q, sigma, alpha, True)) / (alpha - 1)
    return _frac_series(q, sigma, alpha, False) / (alpha - 1)


def compute_rdp(q, noise_multiplier, steps, orders, tf=False):
    f = _compute_rdp_tf if tf else _compute_rdp
    return [f(q, noise_multiplier, a) * steps for a in orders]


def rdp_gaussian(sigma, count, orders):
    return [count * a / (2 * sigma * sigma) for a in orders]


def rdp_laplace(b, count, orders):
    """Mironov (2017) Table II, sensitivity 1, scale b."""
    out = []
    for a in orders:
        v = ((a - 1) / b + math.log(a / (2 * a - 1))
             + math.log1p((a - 1) / a * math.exp(-(2 * a - 1) / b)))
        out.append(count * v / (a - 1))
    return out


def rdp_pure(eps, count, orders):
    """eps-DP is (a, eps)-RDP (Mironov 2017, Prop. 3) and (a, a eps^2/2)-RDP
    (Bun and Steinke 2016, Prop. 3.3)."""
    return [count * min(eps, a * eps * eps / 2) for a in orders]


# --------------------------------------------------------------- conversion

def get_privacy_spent(orders, rdp, delta, conversion="improved"):
    """(eps, optimal order) for target delta."""
    if not 0 < delta < 1:
        raise ValueError("delta")
    best, best_order = math.inf, None
    for a, r in zip(orders, rdp):
        if conversion == "classic":
            eps = r - math.log(delta) / (a - 1)
        elif delta ** 2 + math.expm1(-r) >= 0:
            eps = 0.0
        elif a > 1.01:
            eps = r + math.log1p(-1 / a) - math.log(delta * a) / (a - 1)
        else:
            eps = math.inf
        if eps < best:
            best, best_order = eps, a
    return max(0.0, best), best_order


def compute_delta(orders, rdp, eps, conversion="improved"):
    best, best_order = math.inf, None
    for a, r in zip(orders, rdp):
        if conversion == "classic":
            logdelta = (a - 1) * (r - eps)
        else:
            logdelta = 0.5 * math.log1p(-math.exp(-r)) if r > 0 else -math.inf
            if a > 1.01:
                logdelta = min(logdelta, (a - 1) * (r - eps + math.log1p(-1 / a))
                               - math.log(a))
        if logdelta < best:
            best, best_order = logdelta, a
    return min(math.exp(best), 1.0), best_order


# --------------------------------------------------------------- jobs

def job_rdp(job, orders, tf=False):
    kind = job[0]
    if kind == "sgd":
        _, q, sigma, steps = job
        return compute_rdp(q, sigma, steps, orders, tf)
    if kind == "gauss":
        return rdp_gaussian(job[1], job[2], orders)
    if kind == "laplace":
        return rdp_laplace(job[1], job[2], orders)
    if kind == "pure":
        return rdp_pure(job[1], job[2], orders)
    raise ValueError(kind)


def account(jobs, orders, delta, conversion="improved", tf=False):
    """eps and order for a composition of jobs; ("approx", eps, delta)
    charges compose by basic composition and spend their delta first."""
    total = [0.0] * len(orders)
    eps_x, delta_x = 0.0, 0.0
    for job in jobs:
        if job[0] == "approx":
            eps_x += job[1]
            delta_x += job[2]
            continue
        total = [a + b for a, b in zip(total, job_rdp(job, orders, tf))]
    eps, order = get_privacy_spent(orders, total, delta - delta_x, conversion)
    return eps + eps_x, order


# --------------------------------------------------------------- cases

MNIST_Q = 256 / 60000
MNIST_STEPS = math.ceil(60 * 60000 / 256)


def cases():
    """(name, orders or None, delta, conversion, jobs)."""
    c = []
    c.append(("mnist-tutorial", None, 1e-5, "improved",
              [("sgd", MNIST_Q, 1.1, MNIST_STEPS)]))
    c.append(("mnist-tutorial-classic", None, 1e-5, "classic",
              [("sgd", MNIST_Q, 1.1, MNIST_STEPS)]))
    for q, sigma, steps, delta in [
            (0.01, 0.5, 1, 1e-5), (0.01, 0.5, 1000, 1e-5),
            (0.01, 0.7, 10000, 1e-6), (0.01, 1.0, 10000, 1e-5),
            (0.01, 2.0, 100000, 1e-5), (0.01, 4.0, 1000000, 1e-6),
            (0.01, 10.0, 1000000, 1e-5), (0.001, 0.8, 100000, 1e-5),
            (0.001, 1.5, 1000000, 1e-7), (1e-4, 1.0, 1000000, 1e-6),
            (1e-5, 0.6, 1000000, 1e-5), (1e-6, 0.5, 1000000, 1e-5),
            (1e-8, 0.5, 10000000, 1e-10), (1e-8, 1.0, 1, 1e-5),
            (0.05, 1.2, 5000, 1e-5), (0.1, 0.9, 1000, 1e-5),
            (0.1, 3.0, 100000, 1e-5), (0.2, 1.0, 100, 1e-5),
            (0.3, 2.0, 1000, 1e-5), (0.5, 1.0, 10, 1e-5),
            (0.5, 5.0, 10000, 1e-5), (0.9, 2.0, 100, 1e-5),
            (0.99, 8.0, 100, 1e-6), (0.004, 1.1, 1, 1e-5),
            (0.004, 10.0, 1000000, 1e-9)]:
        c.append(("sgd-q%g-s%g-T%d" % (q, sigma, steps), None, delta,
                  "improved", [("sgd", q, sigma, steps)]))
    c.append(("sgd-q1-s2-T100", None, 1e-5, "improved",
              [("sgd", 1.0, 2.0, 100)]))
    c.append(("sgd-q0-s1-T1000", None, 1e-5, "improved",
              [("sgd", 0.0, 1.0, 1000)]))
    c.append(("sgd-q0-classic", None, 1e-5, "classic",
              [("sgd", 0.0, 1.0, 1000)]))
    c.append(("sgd-T0", None, 1e-5, "improved", [("sgd", 0.01, 1.0, 0)]))
    c.append(("sgd-classic-q0.01-s1", None, 1e-5, "classic",
              [("sgd", 0.01, 1.0, 10000)]))
    c.append(("gaussian-s1-x1", None, 1e-5, "improved", [("gauss", 1.0, 1)]))
    c.append(("gaussian-s5-x100", None, 1e-6, "improved",
              [("gauss", 5.0, 100)]))
    c.append(("gaussian-s0.5-x3-classic", None, 1e-5, "classic",
              [("gauss", 0.5, 3)]))
    c.append(("laplace-b1", None, 1e-5, "improved", [("laplace", 1.0, 1)]))
    c.append(("laplace-b10-x50", None, 1e-6, "improved",
              [("laplace", 10.0, 50)]))
    c.append(("laplace-b0.5-x2", None, 1e-5, "improved",
              [("laplace", 0.5, 2)]))
    c.append(("pure-eps0.1-x10", None, 1e-5, "improved", [("pure", 0.1, 10)]))
    c.append(("compose-sgd-gauss-laplace", None, 1e-5, "improved",
              [("sgd", 0.004, 1.1, 12000), ("gauss", 10.0, 4),
               ("laplace", 20.0, 3)]))
    c.append(("compose-three-sgd", None, 1e-6, "improved",
              [("sgd", 0.01, 1.0, 5000), ("sgd", 0.001, 0.7, 20000),
               ("sgd", 0.05, 2.0, 3000)]))
    c.append(("compose-with-approx", None, 1e-5, "improved",
              [("sgd", MNIST_Q, 1.1, MNIST_STEPS), ("approx", 0.5, 1e-6)]))
    c.append(("compose-pure-sgd", None, 1e-5, "improved",
              [("pure", 0.05, 20), ("sgd", 0.02, 1.3, 2000)]))
    c.append(("integer-orders-mnist", list(range(2, 65)), 1e-5, "improved",
              [("sgd", MNIST_Q, 1.1, MNIST_STEPS)]))
    c.append(("frac-orders-only", [1.5, 2.25, 3.5, 4.75, 6.5, 8.5], 1e-5,
              "improved", [("sgd", 0.02, 1.0, 1000)]))
    c.append(("large-orders", [256.0, 512.0, 1024.0, 2048.0, 4096.0], 1e-5,
              "improved", [("sgd", 1e-4, 4.0, 1000000)]))
    c.append(("sgd-q1e-7-s0.5-T1e7", None, 1e-5, "improved",
              [("sgd", 1e-7, 0.5, 10000000)]))
    c.append(("frac-tiny-q", [1.5, 2.5, 3.5, 5.5, 7.5], 1e-5, "improved",
              [("sgd", 1e-5, 0.6, 10000000)]))
    return c


def format_orders(orders):
    if orders is None:
        return "default"
    return ",".join(repr(float(a)) for a in orders)


def format_jobs(jobs):
    return ";".join(",".join([j[0]] + [repr(float(v)) for v in j[1:]])
                    for j in jobs)


def write_tsv(out):
    out.write("# Generated by tests/dp/reference.py; do not edit.\n")
    out.write("# name\torders\tdelta\tconversion\tjobs\teps\torder\teps_tf\n")
    for name, orders, delta, conv, jobs in cases():
        grid = orders if orders is not None else DEFAULT_ORDERS
        eps, order = account(jobs, grid, delta, conv)
        eps_tf, _ = account(jobs, grid, delta, conv, tf=True)
        out.write("%s\t%s\t%s\t%s\t%s\t%.17g\t%.17g\t%.17g\n" % (
            name, format_orders(orders), repr(delta), conv, format_jobs(jobs),
            eps, order, eps_tf))


def bench(n):
    """Median seconds: one DP-SGD job from scratch; composing n jobs."""
    def median(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2]
    one = []
    for _ in range(21):
        t = time.perf_counter()
        account([("sgd", MNIST_Q, 1.1, MNIST_STEPS)], DEFAULT_ORDERS, 1e-5)
        one.append(time.perf_counter() - t)
    jobs = []
    for k in range(n):
        jobs.append(("sgd", 0.001 * (1 + k % 7), 0.8 + 0.1 * (k % 11),
                     100 + 37 * k))
    many = []
    for _ in range(3):
        t = time.perf_counter()
        account(jobs, DEFAULT_ORDERS, 1e-5)
        many.append(time.perf_counter() - t)
    print("python_one_job_s\t%.9f" % median(one))
    print("python_compose_%d_s\t%.9f" % (n, median(many)))


def main(argv):
    if len(argv) >= 3 and argv[1] == "--tsv":
        with open(argv[2], "w") as f:
            write_tsv(f)
    elif len(argv) >= 3 and argv[1] == "--bench":
        bench(int(argv[2]))
    else:
        write_tsv(sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
