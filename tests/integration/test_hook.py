"""The Python pipeline hook (contrib/python/consentd_hook.py) and the DP-SGD
example script against a real consentd: allowed checks with receipts that
verify, idempotent answers, denials, bad jobs, an unreachable daemon, and
settlement of the privacy cost."""

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from harness import Daemon, SRCDIR, assert_eq, run_tests

sys.path.insert(0, os.path.join(os.path.abspath(SRCDIR), "contrib", "python"))
import consentd_hook as hook  # noqa: E402

EXAMPLE = os.path.join(os.path.abspath(SRCDIR), "contrib", "python",
                       "train_dp_sgd_example.py")
PURPOSE = "train_ai_system"


def rfc9162_root_from_inclusion(h, index, size, proof):
    """RFC 9162 section 2.1.3.2, written out independently."""
    fn, sn = index, size - 1
    r = h
    for p in proof:
        if sn == 0:
            raise AssertionError("proof too long")
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    assert_eq(sn, 0)
    return r


class Setup:
    """A daemon on the shipped GDPR baseline policy, with the demo's data
    and every demo subject's consent recorded."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="consentd-hook-")
        pol = os.path.join(self.tmp, "policies")
        os.mkdir(pol)
        shutil.copy(os.path.join(SRCDIR, "policies",
                                 "gdpr-training-baseline.yaml"), pol)
        self.data = os.path.join(self.tmp, "data")
        subprocess.run(["sh", os.path.join(SRCDIR, "contrib", "demo",
                                           "make-data.sh"), self.data],
                       check=True)
        os.mkdir(os.path.join(self.tmp, "daemon"))
        self.d = Daemon(args=["--policies", pol],
                        tmp=os.path.join(self.tmp, "daemon")).start()
        self.d.ctl("consent", "import",
                   os.path.join(self.data, "consents.csv"), check=0)
        self.client = hook.Client(self.d.socket, timeout=30,
                                  check_timeout=120)

    def manifest(self, name):
        return os.path.join(self.data, name + ".yaml")

    def job(self, job_id, dataset="reviews", steps=1000, **extra):
        j = {"job": job_id, "purpose": PURPOSE,
             "datasets": [self.manifest(dataset)],
             "privacy": {"mechanism": "dp-sgd", "noise_multiplier": 1.1,
                         "sample_rate": 0.01, "steps": steps,
                         "delta": 1e-6}}
        j.update(extra)
        return j

    def example(self, *args):
        return subprocess.run(
            [sys.executable, EXAMPLE, "--socket", self.d.socket] +
            [str(a) for a in args], capture_output=True, text=True,
            timeout=300)

    def close(self):
        try:
            self.d.stop()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def with_setup(fn):
    s = Setup()
    try:
        fn(s)
    finally:
        s.close()


def expect(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    raise AssertionError("expected %s" % exc.__name__)


def test_error_table_matches_the_daemon():
    # The hook maps each error code to consentctl's exit status; the table
    # must list exactly lib/err.c's codes with the same exit statuses.
    import re
    with open(os.path.join(SRCDIR, "lib", "err.c")) as f:
        src = f.read()
    exits = {"EXIT_OK": 0, "EXIT_NEGATIVE": 1, "EXIT_USAGE": 2,
             "EXIT_UNAVAILABLE": 3}
    table = {m.group(1): exits[m.group(2)] for m in re.finditer(
        r'\{ ERR_\w+, "(\w+)", \d+, (EXIT_\w+),', src)}
    assert len(table) >= 18, table
    del table["ok"]
    assert_eq(hook._CODE_EXIT, table)


def test_allowed_with_receipt_that_verifies():
    def body(s):
        # A JSON job file with a relative dataset path, as consentctl
        # resolves it: against the file's directory.
        path = os.path.join(s.data, "job.json")
        job = s.job("hook-allow-1")
        job["datasets"] = ["reviews.yaml"]
        job["model"] = {"name": "sentiment", "version": "1.0"}
        with open(path, "w") as f:
            json.dump(job, f)
        cwd = os.getcwd()
        os.chdir("/")
        try:
            d = s.client.check(path)
        finally:
            os.chdir(cwd)
        assert isinstance(d, hook.Decision)
        assert_eq(d.allowed, True)
        assert_eq(d.decision, "allow")
        assert_eq(d.job, "hook-allow-1")
        assert_eq(d.idempotent, False)
        assert isinstance(d.entry_index, int) and d.entry_index >= 20, d
        assert d.reason, d
        assert_eq(d.entry["datasets"][0]["manifest"], s.manifest("reviews"))
        assert_eq(d.entry["model"], {"name": "sentiment", "version": "1.0"})
        assert_eq(d.evaluation["decision"], "allow")
        assert_eq(len(d.budgets), 1)
        b = d.budgets[0]
        assert_eq(b["budget"], "dataset:reviews")
        assert_eq(b["charged"], True)
        assert 0 < b["job_epsilon"] < 8, b

        # The receipt: the entry is included in the checkpointed tree.
        r = d.receipt
        assert_eq(r["index"], d.entry_index)
        leaf = base64.b64decode(d.leaf)
        assert leaf.startswith(b"consentd-entry/v1 decision\n"), leaf[:40]
        h = hashlib.sha256(b"\x00" + leaf).digest()
        assert_eq(base64.b64decode(r["leaf_hash"]), h)
        lines = r["checkpoint"].split("\n")
        assert_eq(lines[0], "consentd.local/ledger")
        assert_eq(int(lines[1]), r["size"])
        assert r["size"] > r["index"]
        root = base64.b64decode(lines[2])
        proof = [base64.b64decode(p) for p in r["proof"]]
        assert_eq(rfc9162_root_from_inclusion(h, r["index"], r["size"],
                                              proof), root)
        # A different leaf does not verify against that root.
        other = hashlib.sha256(b"\x00" + leaf + b" ").digest()
        assert rfc9162_root_from_inclusion(other, r["index"], r["size"],
                                           proof) != root
        # As a C2SP tlog-proof, the receipt verifies offline with the
        # ledger's key (checkpoint signature included), and not for
        # another entry.
        vkey = os.path.join(s.tmp, "vkey")
        with open(vkey, "w") as f:
            f.write(s.d.ctl("ledger", "key", check=0).stdout)
        tp = os.path.join(s.tmp, "receipt.tlog")
        with open(tp, "w") as f:
            f.write(d.tlog_proof())
        s.d.ctl("ledger", "verify-receipt", tp, "--key", vkey, "--entry",
                d.leaf, check=0)
        forged = base64.b64encode(leaf.replace(b"allow", b"alloW")).decode()
        s.d.ctl("ledger", "verify-receipt", tp, "--key", vkey, "--entry",
                forged, check=1)

        # The same job id again: the recorded decision, same entry, and
        # the caller's dict is left as it was.
        job2 = s.job("hook-allow-1")
        job2["datasets"] = [os.path.relpath(s.manifest("reviews"))]
        before = json.dumps(job2, sort_keys=True)
        again = s.client.check(job2)
        assert_eq(json.dumps(job2, sort_keys=True), before)
        assert_eq(again.allowed, True)
        assert_eq(again.idempotent, True)
        assert_eq(again.entry_index, d.entry_index)
        assert_eq(again.reason, d.reason)
        assert_eq(again.leaf, d.leaf)
        assert_eq(again.receipt["index"], d.entry_index)
        assert_eq(again.budgets[0]["budget"], "dataset:reviews")
        # recheck evaluates again: a new entry.
        fresh = s.client.check(path, recheck=True)
        assert_eq(fresh.idempotent, False)
        assert fresh.entry_index > d.entry_index, fresh
        # The module-level check() finds the socket in $CONSENTD_SOCKET.
        old = os.environ.get("CONSENTD_SOCKET")
        os.environ["CONSENTD_SOCKET"] = s.d.socket
        try:
            assert_eq(hook.default_socket_path(), s.d.socket)
            m = hook.check(s.job("hook-allow-2"))
            assert_eq(m.allowed, True)
            assert_eq(hook.Client().status()["status"], "ok")
        finally:
            if old is None:
                del os.environ["CONSENTD_SOCKET"]
            else:
                os.environ["CONSENTD_SOCKET"] = old
    with_setup(body)


def test_deny_and_error_raise_consent_denied():
    def body(s):
        # Undeclared e-mail addresses in the data.
        e = expect(hook.ConsentDenied, s.client.check,
                   s.job("hook-pii", dataset="reviews-email"))
        d = e.decision
        assert_eq(d.decision, "deny")
        assert_eq(d.allowed, False)
        assert "no-raw-pii" in d.reason, d.reason
        assert "no-raw-pii" in str(e), str(e)
        assert isinstance(d.entry_index, int)
        assert_eq(d.receipt["index"], d.entry_index)
        assert_eq(e.exit_status, hook.EXIT_NEGATIVE)
        assert isinstance(e, hook.HookError)
        assert not isinstance(e, hook.ConsentdError)
        # A denied job id stays denied.
        e = expect(hook.ConsentDenied, s.client.check,
                   s.job("hook-pii", dataset="reviews-email"))
        assert_eq(e.decision.idempotent, True)
        assert_eq(e.decision.entry_index, d.entry_index)
        assert "no-raw-pii" in e.decision.reason
        # A revoked consent blocks the next job over the same data.
        status, _ = s.d.request("POST", "/v1/consents", body={
            "subject": "u-0007", "purpose": PURPOSE, "event": "revoke"})
        assert_eq(status, 200)
        e = expect(hook.ConsentDenied, s.client.check,
                   s.job("hook-revoked"))
        assert_eq(e.decision.decision, "deny")
        assert "consented" in e.decision.reason, e.decision.reason
        # A manifest that cannot be read: the decision is error, which
        # fails closed like a deny.
        j = s.job("hook-missing")
        j["datasets"] = [os.path.join(s.data, "missing.yaml")]
        e = expect(hook.ConsentDenied, s.client.check, j)
        assert_eq(e.decision.decision, "error")
        assert "missing.yaml" in e.decision.reason, e.decision.reason
        assert_eq(e.exit_status, hook.EXIT_NEGATIVE)
    with_setup(body)


def test_bad_jobs():
    def body(s):
        for bad in (
                {"job": "no-purpose", "datasets": [s.manifest("reviews")]},
                s.job("bad id with spaces"),
                s.job("hook-bad-priv", privacy={"mechanism": "dp-sgd"}),
                s.job("hook-bad-field", unknown=1)):
            e = expect(hook.ConsentdError, s.client.check, bad)
            assert_eq(e.code, "invalid_argument")
            assert_eq(e.status, 400)
            assert "Invalid job" in e.message, e.message
            assert_eq(e.exit_status, hook.EXIT_USAGE)
            assert not isinstance(e, hook.ConsentdUnavailable)
        # Not JSON, not a mapping: refused before any request.
        yaml_job = os.path.join(s.data, "job-train.yaml")
        e = expect(hook.JobError, s.client.check, yaml_job)
        assert "not JSON" in str(e), str(e)
        assert isinstance(e, ValueError)
        assert_eq(e.exit_status, hook.EXIT_USAGE)
        expect(hook.JobError, s.client.check, os.path.join(s.data, "none"))
        expect(hook.JobError, s.client.check, ["not", "a", "job"])
        lst = os.path.join(s.data, "list.json")
        with open(lst, "w") as f:
            f.write("[1, 2]")
        expect(hook.JobError, s.client.check, lst)
        # Nothing was recorded for these.
        e = expect(hook.ConsentdError, s.client.finish, "no-purpose")
        assert_eq(e.code, "not_found")
        assert_eq(e.status, 404)
    with_setup(body)


def test_unreachable_daemon():
    tmp = tempfile.mkdtemp(prefix="consentd-hook-")
    try:
        job = {"job": "x", "purpose": PURPOSE, "datasets": ["/x.yaml"]}
        # No socket at all.
        c = hook.Client(os.path.join(tmp, "none.sock"), timeout=2)
        for fn, args in ((c.check, (job,)), (c.status, ()),
                         (c.finish, ("x",)), (c.budgets, ())):
            e = expect(hook.ConsentdUnavailable, fn, *args)
            assert_eq(e.code, "unavailable")
            assert_eq(e.exit_status, hook.EXIT_UNAVAILABLE)
            assert isinstance(e, hook.ConsentdError)
        # A socket nobody listens on any more.
        dead = os.path.join(tmp, "dead.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(dead)
        s.close()
        expect(hook.ConsentdUnavailable, hook.Client(dead).status)
        # A listener that never answers: the timeout applies.
        slow = os.path.join(tmp, "slow.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(slow)
        s.listen(4)
        try:
            start = time.time()
            e = expect(hook.ConsentdUnavailable,
                       hook.Client(slow, timeout=0.5,
                                   check_timeout=0.5).check, job)
            assert time.time() - start < 10
            assert "0.5" in e.message, e.message
        finally:
            s.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_finish_settles_the_budget():
    def body(s):
        d = s.client.check(s.job("hook-finish", steps=1000))
        (b,) = s.client.budgets()
        assert_eq(b["name"], "dataset:reviews")
        assert_eq([r["job"] for r in b["reservations"]], ["hook-finish"])
        assert_eq(b["spent_epsilon"], 0)
        assert b["committed_epsilon"] > 0, b
        # More steps than reserved need a new check.
        e = expect(hook.ConsentdError, s.client.finish, d, steps=1001)
        assert_eq(e.code, "invalid_argument")
        assert_eq(e.status, 400)
        expect(hook.JobError, s.client.finish, d, steps=-1)
        res = s.client.finish("hook-finish", steps=100)
        assert_eq(res["job"], "hook-finish")
        (st,) = res["settled"]
        assert_eq(st["budget"], "dataset:reviews")
        assert_eq(st["steps"], 100)
        assert 0 < st["job_epsilon"] < d.budgets[0]["job_epsilon"], (st, d)
        (b,) = s.client.budgets("dataset:reviews")
        assert b["spent_epsilon"] > 0, b
        assert_eq(b["reservations"], [])
        assert_eq(b["charges"], 1)
        assert abs(b["spent_epsilon"] - st["job_epsilon"]) < 1e-9, (b, st)
        assert_eq([h["kind"] for h in b["history"]], ["reserve", "settle"])
        # Settled once: a second finish has nothing to settle.
        e = expect(hook.ConsentdError, s.client.finish, "hook-finish",
                   steps=100)
        assert_eq(e.code, "conflict")
        assert_eq(e.status, 409)
        assert_eq(e.exit_status, hook.EXIT_NEGATIVE)
        e = expect(hook.ConsentdError, s.client.budgets, "dataset:none")
        assert_eq(e.code, "not_found")
        # Without steps, the whole reservation is charged.
        d2 = s.client.check(s.job("hook-finish-all", steps=200))
        (st,) = s.client.finish(d2.job)["settled"]
        assert_eq(st["steps"], 200)
        assert abs(st["job_epsilon"] - d2.budgets[0]["job_epsilon"]) < 1e-9
    with_setup(body)


def test_example_script_end_to_end():
    def body(s):
        reviews = s.manifest("reviews")
        # Allowed: trains, stops early, settles the steps it ran.
        p = s.example("--job-id", "example-1", "--manifest", reviews,
                      "--steps", 60, "--stop-after", 25, "--seed", 7,
                      "--model-name", "toy", "--model-version", "1")
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
        assert "example-1: allowed" in p.stdout, p.stdout
        assert "trained 25 of 60 steps" in p.stdout, p.stdout
        assert "settled dataset:reviews: 25 steps" in p.stdout, p.stdout
        (b,) = s.client.budgets()
        assert b["spent_epsilon"] > 0, b
        assert_eq(b["reservations"], [])
        settle = [h for h in b["history"] if h["kind"] == "settle"]
        assert_eq([h["job"] for h in settle], ["example-1"])
        # The same job id again: decided and settled, so no training.
        p = s.example("--job-id", "example-1", "--manifest", reviews,
                      "--steps", 60)
        assert_eq(p.returncode, 1, p.stdout + p.stderr)
        assert "trained" not in p.stdout, p.stdout
        # Opacus-style batch size over dataset size: q = 1/ceil(N/B).
        p = s.example("--job-id", "example-2", "--manifest", reviews,
                      "--batch-size", 100, "--dataset-size", 400,
                      "--epochs", 2, "--seed", 1)
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
        assert "trained 8 of 8 steps (q=0.25" in p.stdout, p.stdout
        # Denied (personal data in the data): nothing trains, exit 1.
        p = s.example("--job-id", "example-pii", "--manifest",
                      s.manifest("reviews-email"), "--steps", 20)
        assert_eq(p.returncode, 1, p.stdout + p.stderr)
        assert "trained" not in p.stdout, p.stdout
        assert "no-raw-pii" in p.stderr, p.stderr
        assert "not training" in p.stderr, p.stderr
        # A revoked consent: exit 1.
        s.d.ctl("consent", "revoke", "u-0003", PURPOSE, check=0)
        p = s.example("--job-id", "example-revoked", "--manifest", reviews,
                      "--steps", 20)
        assert_eq(p.returncode, 1, p.stdout + p.stderr)
        assert "consented" in p.stderr, p.stderr
        # Bad arguments or a bad job: 2; no daemon: 3.
        p = s.example("--job-id", "example-3", "--manifest", reviews,
                      "--delta", 2)
        assert_eq(p.returncode, 2, p.stdout + p.stderr)
        p = s.example("--job-id", "bad id", "--manifest", reviews,
                      "--steps", 5)
        assert_eq(p.returncode, 2, p.stdout + p.stderr)
        p = subprocess.run(
            [sys.executable, EXAMPLE, "--socket",
             os.path.join(s.tmp, "none.sock"), "--job-id", "example-4",
             "--manifest", reviews, "--steps", "5"],
            capture_output=True, text=True, timeout=60)
        assert_eq(p.returncode, 3, p.stdout + p.stderr)
        assert "trained" not in p.stdout, p.stdout
        # Only the allowed runs were charged.
        (b,) = s.client.budgets()
        assert_eq(sorted(h["job"] for h in b["history"]
                         if h["kind"] == "settle"),
                  ["example-1", "example-2"])
        assert_eq(b["reservations"], [])
    with_setup(body)


run_tests([
    test_error_table_matches_the_daemon,
    test_allowed_with_receipt_that_verifies,
    test_deny_and_error_raise_consent_denied,
    test_bad_jobs,
    test_unreachable_daemon,
    test_finish_settles_the_budget,
    test_example_script_end_to_end,
])
