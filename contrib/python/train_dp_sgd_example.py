#!/usr/bin/env python3
"""Pre-training example: ask consentd, train with DP-SGD, settle the cost.

The job declares its DP-SGD parameters the way Opacus takes them (noise
multiplier, sample rate or batch size over dataset size, steps or epochs,
delta). consentd checks the datasets' manifests and data against its
policies, consent records and privacy budgets, and reserves the job's
privacy cost. Only an allow decision trains. Training may stop early
(--stop-after); the steps actually run are then settled, so the budget is
charged for those and the rest of the reservation is released.

The model is a toy: logistic regression on synthetic data in pure Python,
with Poisson sampling at rate q, per-example gradients clipped to norm C
and Gaussian noise of standard deviation sigma * C added to their sum. A
real pipeline loads the datasets it checked instead; the check, the exit
statuses and the settlement stay as they are here.

Exit status (as consentctl check): 0 trained and settled; 1 not allowed
(deny or error), nothing trained; 2 bad arguments or job; 3 consentd
unreachable, an internal error, or a settlement that failed after
training (settle it with: consentctl job finish JOB --steps N).
"""

import argparse
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import consentd_hook as hook  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Check a DP-SGD training job with consentd, train a toy "
        "model, and settle the privacy cost of the steps run.")
    p.add_argument("--job-id", required=True,
                   help="the job's id, unique per training run")
    p.add_argument("--manifest", action="append", required=True,
                   metavar="PATH", help="a dataset manifest (repeatable)")
    p.add_argument("--purpose", default="train_ai_system",
                   help="the processing purpose (default: %(default)s)")
    p.add_argument("--noise-multiplier", type=float, default=1.1,
                   help="sigma: noise std over the clipping norm "
                   "(default: %(default)s)")
    q = p.add_mutually_exclusive_group()
    q.add_argument("--sample-rate", type=float,
                   help="q: each example's chance to be in a batch "
                   "(default: 0.01)")
    q.add_argument("--batch-size", type=int,
                   help="expected batch size; q = 1 / ceil(N / B) as "
                   "Opacus' DPDataLoader (needs --dataset-size)")
    p.add_argument("--dataset-size", type=int,
                   help="N, examples in the training set (default: 1000)")
    n = p.add_mutually_exclusive_group()
    n.add_argument("--steps", type=int, help="optimizer steps to reserve")
    n.add_argument("--epochs", type=int,
                   help="epochs to reserve, of ceil(1/q) steps each "
                   "(default: 1)")
    p.add_argument("--delta", type=float, default=1e-6,
                   help="delta of the (epsilon, delta) guarantee "
                   "(default: %(default)s)")
    p.add_argument("--max-grad-norm", type=float, default=1.0,
                   help="C: per-example gradient clipping norm "
                   "(default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.5,
                   help="learning rate (default: %(default)s)")
    p.add_argument("--stop-after", type=int, metavar="STEPS",
                   help="stop training after STEPS steps (early stopping); "
                   "only those are charged")
    p.add_argument("--seed", type=int,
                   help="seed the sampling and noise (reproducible, for "
                   "tests only: DP noise needs an unpredictable source)")
    p.add_argument("--socket", help="consentd's socket (default: as "
                   "consentctl: $CONSENTD_SOCKET, then the user's default)")
    p.add_argument("--requester", help="who runs the job, for the ledger")
    p.add_argument("--model-name")
    p.add_argument("--model-version")
    p.add_argument("--recheck", action="store_true",
                   help="evaluate again even if this job id was decided")
    a = p.parse_args(argv)

    if not a.noise_multiplier > 0:
        p.error("--noise-multiplier must be positive")
    if not 0 < a.delta < 1:
        p.error("--delta must lie in (0, 1)")
    if not a.max_grad_norm > 0:
        p.error("--max-grad-norm must be positive")
    if a.dataset_size is not None and a.dataset_size < 1:
        p.error("--dataset-size must be at least 1")
    if a.batch_size is not None:
        if a.dataset_size is None:
            p.error("--batch-size needs --dataset-size")
        if not 1 <= a.batch_size <= a.dataset_size:
            p.error("--batch-size must lie in [1, --dataset-size]")
        steps_per_epoch = -(-a.dataset_size // a.batch_size)
        a.sample_rate = 1.0 / steps_per_epoch
    else:
        if a.sample_rate is None:
            a.sample_rate = 0.01
        if not 0 < a.sample_rate <= 1:
            p.error("--sample-rate must lie in (0, 1]")
        steps_per_epoch = max(1, math.ceil(1.0 / a.sample_rate - 1e-9))
    if a.dataset_size is None:
        a.dataset_size = 1000
    if a.steps is None:
        epochs = 1 if a.epochs is None else a.epochs
        if epochs < 1:
            p.error("--epochs must be at least 1")
        a.steps = epochs * steps_per_epoch
    if a.steps < 1:
        p.error("--steps must be at least 1")
    if a.stop_after is not None and a.stop_after < 0:
        p.error("--stop-after must not be negative")
    return a


def build_job(a):
    job = {
        "job": a.job_id,
        "purpose": a.purpose,
        "datasets": [os.path.abspath(m) for m in a.manifest],
        "privacy": {
            "mechanism": "dp-sgd",
            "noise_multiplier": a.noise_multiplier,
            "sample_rate": a.sample_rate,
            "steps": a.steps,
            "delta": a.delta,
        },
    }
    if a.requester:
        job["requester"] = a.requester
    if a.model_name:
        job["model"] = {"name": a.model_name}
        if a.model_version:
            job["model"]["version"] = a.model_version
    return job


def synthetic_data(n, dim=4, seed=20240101):
    """n labelled points from a fixed logistic model (no personal data)."""
    r = random.Random(seed)
    true_w = [r.uniform(-2, 2) for _ in range(dim)]
    xs, ys = [], []
    for _ in range(n):
        x = [r.gauss(0.0, 1.0) for _ in range(dim)]
        z = sum(w * v for w, v in zip(true_w, x)) + 0.5
        ys.append(1.0 if r.random() < sigmoid(z) else 0.0)
        xs.append(x)
    return xs, ys


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def dp_sgd_step(w, xs, ys, q, sigma, clip, lr, rng):
    """One DP-SGD step: Poisson-sample a batch at rate q, clip each
    example's gradient to norm clip, add N(0, (sigma * clip)^2) to every
    coordinate of their sum, divide by the expected batch size, descend."""
    dim = len(w)
    total = [0.0] * dim
    for x, y in zip(xs, ys):
        if rng.random() >= q:
            continue
        err = sigmoid(w[-1] + sum(a * b for a, b in zip(w, x))) - y
        g = [err * v for v in x] + [err]          # the last weight is the bias
        norm = math.sqrt(sum(v * v for v in g))
        scale = min(1.0, clip / norm) if norm > 0 else 1.0
        for i in range(dim):
            total[i] += g[i] * scale
    expected = q * len(xs)
    return [w[i] - lr * (total[i] + rng.gauss(0.0, sigma * clip)) / expected
            for i in range(dim)]


def accuracy(w, xs, ys):
    ok = sum(1 for x, y in zip(xs, ys)
             if (w[-1] + sum(a * b for a, b in zip(w, x)) >= 0) == (y == 1.0))
    return ok / len(xs)


def reservation_open(client, decision):
    """An idempotent allow (the job id was decided before) may train only
    while its reservation is still open: once settled, released or
    expired, training again would spend privacy no budget records."""
    charged = [b.get("budget") for b in decision.budgets if b.get("charged")]
    if not charged:
        return True
    held = {b.get("name"): {r.get("job") for r in b.get("reservations", [])}
            for b in client.budgets()}
    return all(decision.job in held.get(name, ()) for name in charged)


def print_refusal(d):
    print("%s: %s: %s" % (d.job, d.decision, d.reason), file=sys.stderr)
    for pol in (d.evaluation or {}).get("policies", []):
        for r in pol.get("rules", []):
            if r.get("outcome") in ("fail", "error", "not_evaluated"):
                print("  %s %s %s: %s" % (r.get("outcome"), r.get("name"),
                                          r.get("dataset") or "",
                                          r.get("reason")), file=sys.stderr)


def main(argv=None):
    a = parse_args(argv)
    client = hook.Client(a.socket)
    job = build_job(a)

    try:
        d = client.check(job, recheck=a.recheck)
        if d.idempotent and not reservation_open(client, d):
            print("%s: already decided and its privacy cost settled; use a "
                  "new --job-id or --recheck" % d.job, file=sys.stderr)
            return hook.EXIT_NEGATIVE
    except hook.ConsentDenied as e:
        print_refusal(e.decision)
        print("not training: consentd did not allow this job",
              file=sys.stderr)
        return e.exit_status
    except hook.HookError as e:
        print("not training: %s" % e, file=sys.stderr)
        return e.exit_status

    print("%s: allowed (ledger entry %s%s)" % (
        d.job, d.entry_index, ", decided earlier" if d.idempotent else ""))
    for b in d.budgets:
        print("  budget %s: epsilon %.4g -> %.4g of %.4g at delta %g" % (
            b.get("budget"), b.get("epsilon_before") or 0.0,
            b.get("epsilon_after") or 0.0, b.get("epsilon") or 0.0,
            b.get("delta") or 0.0))

    rng = random.Random(a.seed) if a.seed is not None else \
        random.SystemRandom()
    xs, ys = synthetic_data(a.dataset_size)
    w = [0.0] * (len(xs[0]) + 1)
    limit = a.steps if a.stop_after is None else min(a.steps, a.stop_after)
    steps_run = 0
    status = hook.EXIT_OK
    try:
        for _ in range(limit):
            w = dp_sgd_step(w, xs, ys, a.sample_rate, a.noise_multiplier,
                            a.max_grad_norm, a.lr, rng)
            steps_run += 1
        print("trained %d of %d steps (q=%g, sigma=%g, C=%g): training "
              "accuracy %.3f" % (steps_run, a.steps, a.sample_rate,
                                 a.noise_multiplier, a.max_grad_norm,
                                 accuracy(w, xs, ys)))
    finally:
        # Settle whatever ran, even when training failed part way.
        try:
            res = client.finish(d.job, steps=steps_run)
            for s in res.get("settled", []):
                print("  settled %s: %d steps, epsilon %.4g (ledger entry "
                      "%s)" % (s.get("budget"), s.get("steps"),
                               s.get("job_epsilon") or 0.0, s.get("index")))
        except hook.ConsentdError as e:
            if e.code == "conflict" and not [
                    b for b in d.budgets if b.get("charged")]:
                pass  # no budget applies: nothing to settle
            else:
                print("training ran %d steps but settling failed: %s; "
                      "settle with: consentctl job finish %s --steps %d" %
                      (steps_run, e, d.job, steps_run), file=sys.stderr)
                status = hook.EXIT_UNAVAILABLE
    return status


if __name__ == "__main__":
    sys.exit(main())
