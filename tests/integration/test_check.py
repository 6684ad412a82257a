"""The pre-training check end to end: decisions, receipts, idempotence,
blocking for consent, PII and budgets, settlement, expiry, the budget race,
policy reloads and metrics."""

import base64
import hashlib
import json
import os
import signal
import subprocess
import threading
import time

from harness import (CONSENTCTL, CONSENTD, Daemon, demo_scenario,
                     UnixHTTPConnection, assert_eq, run_tests)

BUDGET_ONLY_POLICY = """\
name: budget-only
mode: enforce
match: { purposes: [train_ai_system] }
rules:
  - name: budget
    dp_budget: { epsilon: 10, delta: 1e-6, scope: group shared, accountant: rdp }
"""


def make_scenario(policies=("gdpr-training-baseline.yaml",), extra_policy=None,
                  config=None):
    return demo_scenario(Daemon(config=config), policies,
                         {"extra.yaml": extra_policy} if extra_policy else None)


def job(d, job_id, dataset="reviews.yaml", privacy=None, **extra):
    j = {"job": job_id, "purpose": "train_ai_system",
         "datasets": [os.path.join(d.data, dataset)],
         "privacy": privacy or {"mechanism": "dp-sgd", "noise_multiplier": 1.1,
                                "sample_rate": 0.01, "steps": 1000,
                                "delta": 1e-6}}
    j.update(extra)
    return j


def check(d, j):
    status, body = d.request("POST", "/v1/check", body=j)
    assert_eq(status, 200, body)
    return body


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def root_from_inclusion(h, index, size, proof):
    fn, sn, r = index, size - 1, h
    for p in proof:
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


def verify_receipt(resp):
    rc = resp["receipt"]
    entry = base64.b64decode(resp["entry"]["leaf"])
    assert_eq(base64.b64decode(rc["leaf_hash"]), leaf_hash(entry))
    note = rc["checkpoint"].split("\n")
    assert_eq(int(note[1]), rc["size"])
    root = base64.b64decode(note[2])
    proof = [base64.b64decode(p) for p in rc["proof"]]
    assert_eq(root_from_inclusion(leaf_hash(entry), rc["index"], rc["size"],
                                  proof), root)


def test_allow_receipt_idempotent_and_cli():
    d = make_scenario().start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        r1 = check(d, job(d, "j-1"))
        assert_eq(r1["decision"], "allow", r1.get("reason"))
        verify_receipt(r1)
        assert_eq(r1["entry"]["kind"], "decision")
        e = r1["entry"]["entry"]
        assert_eq(e["consent_snapshot"], 21)  # policy entry + 20 consents
        assert e["datasets"][0]["fingerprint"], e["datasets"]
        assert_eq(len(e["policies"]), 1)
        pol_entry = e["policies"][0]["entry"]
        _, ents = d.request("GET", "/v1/entries?start=%d&end=%d" % (pol_entry, pol_entry + 1))
        pol = ents["entries"][0]
        assert_eq(pol["kind"], "policy")
        text = open(os.path.join(d.policies, "gdpr-training-baseline.yaml")).read()
        assert_eq(pol["entry"]["text"], text)
        assert_eq(pol["entry"]["sha256"], hashlib.sha256(text.encode()).hexdigest())
        assert_eq(e["lineage"]["subjects"], 20)
        # No personal data in the decision entry.
        raw = base64.b64decode(r1["entry"]["leaf"])
        assert b"u-0001" not in raw
        # Idempotent: the same entry comes back, nothing new is recorded.
        size_before = d.request("GET", "/v1/entries?start=0&end=0")[1]["size"]
        r2 = check(d, job(d, "j-1"))
        assert_eq(r2["idempotent"], True)
        assert_eq(r2["entry"]["index"], r1["entry"]["index"])
        verify_receipt(r2)
        assert_eq(d.request("GET", "/v1/entries?start=0&end=0")[1]["size"], size_before)
        # recheck evaluates again and releases the old reservation first.
        r3 = check(d, job(d, "j-1", recheck=True))
        assert r3["entry"]["index"] > r1["entry"]["index"]
        _, b = d.request("GET", "/v1/budgets/dataset:reviews")
        assert_eq(len(b["budgets"][0]["reservations"]), 1)
        # The CLI: YAML job file, relative dataset paths, exit codes.
        p = d.ctl("check", os.path.join(d.data, "job-train.yaml"))
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
        assert "sentiment-ft-0001: allow" in p.stdout, p.stdout
        assert "pass           consented" in p.stdout, p.stdout
        p = d.ctl("check", os.path.join(d.data, "job-pii.yaml"))
        assert_eq(p.returncode, 1, p.stdout)
        assert "fail           no-raw-pii" in p.stdout, p.stdout
        p = d.ctl("--json", "check", os.path.join(d.data, "job-pii.yaml"))
        assert_eq(json.loads(p.stdout)["decision"], "deny")
        bad = os.path.join(d.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("job: x\npurpose: train_ai_system\n")
        assert_eq(d.ctl("check", bad).returncode, 2)
        with open(bad, "w") as f:
            f.write("job: [unclosed\n")
        assert_eq(d.ctl("check", bad).returncode, 2)
        assert_eq(d.ctl("check", bad + ".missing").returncode, 2)
        p = subprocess.run([CONSENTCTL, "--socket", "/nonexistent.sock", "check",
                            os.path.join(d.data, "job-train.yaml")],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 3)
    finally:
        d.cleanup()


def test_blocked_for_consent_and_unreadable_data():
    d = make_scenario().start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        d.ctl("consent", "revoke", "u-0003", "train_ai_system", check=0)
        r = check(d, job(d, "j-consent"))
        assert_eq(r["decision"], "deny")
        assert "consented" in r["reason"], r["reason"]
        # A dataset that cannot be read is an error, never allow.
        os.remove(os.path.join(d.data, "reviews.csv"))
        r = check(d, job(d, "j-missing"))
        assert r["decision"] in ("error", "deny"), r
        assert r["decision"] != "allow"
        # An error decision is not sticky: the same job id is evaluated
        # again once the data is back.
        r = check(d, job(d, "j-manifest", dataset="nope.yaml"))
        assert_eq(r["decision"], "error")
        status, e = d.request("POST", "/v1/check", body={"job": "x"})
        assert_eq(status, 400)
        assert_eq(e["error"]["code"], "invalid_argument")
        status, e = d.request("POST", "/v1/check", body=job(d, "bad id!"))
        assert_eq(status, 400)
    finally:
        d.cleanup()


def test_consent_changes_between_checks():
    # Checks reuse the consent state a previous check loaded only while it
    # is still the answer: a revocation, an erasure, a new grant and an
    # expiry between two checks each change the next decision.
    d = make_scenario().start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        assert_eq(check(d, job(d, "c-1"))["decision"], "allow")
        assert_eq(check(d, job(d, "c-2"))["decision"], "allow")
        d.ctl("consent", "revoke", "u-0007", "train_ai_system", check=0)
        r = check(d, job(d, "c-3"))
        assert_eq(r["decision"], "deny")
        assert "consented" in r["reason"], r["reason"]
        d.ctl("consent", "grant", "u-0007", "train_ai_system", check=0)
        assert_eq(check(d, job(d, "c-4"))["decision"], "allow")
        d.ctl("subject", "erase", "u-0011", check=0)
        assert_eq(check(d, job(d, "c-5"))["decision"], "deny")
        d.ctl("consent", "grant", "u-0011", "train_ai_system", check=0)
        assert_eq(check(d, job(d, "c-6"))["decision"], "allow")
        # A grant that lapses two seconds from now: allowed before, denied
        # after, with no ledger write in between.
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                             time.gmtime(time.time() + 2))
        d.ctl("consent", "grant", "u-0013", "train_ai_system", "--expires",
              soon, check=0)
        assert_eq(check(d, job(d, "c-7"))["decision"], "allow")
        time.sleep(3)
        r = check(d, job(d, "c-8"))
        assert_eq(r["decision"], "deny")
        assert "consented" in r["reason"], r["reason"]
    finally:
        d.cleanup()


def test_budget_settle_and_expiry():
    d = make_scenario(config="budgets:\n  reservation_ttl: 1s\n").start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        r = check(d, job(d, "j-a"))
        assert_eq(r["decision"], "allow")
        b = r["budgets"][0]
        assert_eq(b["budget"], "dataset:reviews")
        assert b["job_epsilon"] > 1.9 and b["job_epsilon"] < 2.1, b
        # The reservation expires and is released by the daemon.
        deadline = time.time() + 10
        while True:
            _, bs = d.request("GET", "/v1/budgets/dataset:reviews")
            if not bs["budgets"][0]["reservations"]:
                break
            assert time.time() < deadline, bs
            time.sleep(0.2)
        assert_eq(bs["budgets"][0]["committed_epsilon"], 0.0)
        kinds = [e["kind"] for e in d.request("GET", "/v1/entries")[1]["entries"]]
        assert "budget_release" in kinds, kinds
        p = d.ctl("job", "finish", "j-a", "--steps", "10")
        assert_eq(p.returncode, 1, p.stdout + p.stderr)  # nothing to settle
    finally:
        d.cleanup()
    d = make_scenario().start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        r = check(d, job(d, "j-b"))
        assert_eq(r["decision"], "allow")
        full = r["budgets"][0]["job_epsilon"]
        assert_eq(d.ctl("job", "finish", "j-b", "--steps", "5000").returncode, 2)
        p = d.ctl("--json", "job", "finish", "j-b", "--steps", "400", check=0)
        settled = json.loads(p.stdout)["settled"][0]
        assert settled["job_epsilon"] < full, (settled, full)
        _, bs = d.request("GET", "/v1/budgets/dataset:reviews")
        b = bs["budgets"][0]
        assert_eq(b["reservations"], [])
        assert abs(b["spent_epsilon"] - settled["job_epsilon"]) < 1e-9, b
        assert_eq(d.ctl("job", "finish", "j-b").returncode, 1)
        # Zero steps: nothing spent.
        r0 = check(d, job(d, "j-zero"))
        assert_eq(r0["decision"], "allow")
        p = d.ctl("--json", "job", "finish", "j-zero", "--steps", "0", check=0)
        assert_eq(json.loads(p.stdout)["settled"][0]["job_epsilon"], 0.0)
        assert_eq(d.ctl("job", "finish", "nobody").returncode, 2)
        p = d.ctl("budget", "show", check=0)
        assert "dataset:reviews" in p.stdout and "settle" in p.stdout, p.stdout
        # Exhaustion: a charge the rest of the budget cannot pay is denied,
        # and denied checks charge nothing.
        big = job(d, "j-big", privacy={"mechanism": "epsilon-delta",
                                       "epsilon": 7, "delta": 1e-7})
        r = check(d, big)
        assert_eq(r["decision"], "deny")
        assert "overspent" in r["reason"], r["reason"]
        _, bs2 = d.request("GET", "/v1/budgets/dataset:reviews")
        assert_eq(bs2["budgets"][0]["committed_epsilon"], b["committed_epsilon"])
        # A job without DP where a budget applies is denied.
        r = check(d, job(d, "j-nodp", privacy={"mechanism": "none"}))
        assert_eq(r["decision"], "deny")
        # Offline: budgets recomputed from the ledger alone.
        d.stop()
        p = subprocess.run([CONSENTCTL, "budget", "verify", "--db",
                            os.path.join(d.state, "ledger.db")],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
        assert "dataset:reviews: spent epsilon" in p.stdout, p.stdout
        # Understating a charge in the derived table is caught.
        import sqlite3
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        db.execute("UPDATE budgets SET state = replace(state, 'charges', 'chargez')")
        row = db.execute("SELECT state FROM budgets").fetchone()[0]
        st = json.loads(row)
        st["spent"] = st["reserved"]
        db.execute("UPDATE budgets SET state = ?", (json.dumps(st),))
        db.commit()
        db.close()
        p = subprocess.run([CONSENTCTL, "budget", "verify", "--db",
                            os.path.join(d.state, "ledger.db")],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 1, p.stdout)
    finally:
        d.cleanup()


def test_budget_race_exactly_ten():
    """64 concurrent checks against a budget that fits exactly 10 jobs."""
    for run in range(int(os.environ.get("RACE_RUNS", "3"))):
        d = make_scenario(policies=(), extra_policy=BUDGET_ONLY_POLICY).start()
        try:
            results = []
            lock = threading.Lock()

            def one(i):
                j = job(d, "race-%d-%d" % (run, i),
                        privacy={"mechanism": "epsilon-delta", "epsilon": 1,
                                 "delta": 0})
                status, body = d.request("POST", "/v1/check", body=j)
                with lock:
                    results.append((status, body.get("decision")))
            threads = [threading.Thread(target=one, args=(i,)) for i in range(64)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert all(s == 200 for s, _ in results), results
            allowed = sum(1 for _, dec in results if dec == "allow")
            assert_eq(allowed, 10, "run %d" % run)
            _, bs = d.request("GET", "/v1/budgets/group:shared")
            assert_eq(bs["budgets"][0]["committed_epsilon"], 10.0)
        finally:
            d.cleanup()


def test_policy_reload_and_check_mode():
    d = make_scenario()
    try:
        p = subprocess.run(d.command() + ["-n"], capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stderr)
        assert "1 policies ok" in p.stdout, p.stdout
        d.start()
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        assert_eq(check(d, job(d, "r-1"))["decision"], "allow")
        # A broken policy: -n says where; a reload keeps the old policies.
        broken = os.path.join(d.policies, "broken.yaml")
        with open(broken, "w") as f:
            f.write("name: broken\nmode: sometimes\nrules:\n  - name: x\n    pii: { detect: [dna] }\n")
        p = subprocess.run(d.command() + ["-n"], capture_output=True, text=True)
        assert_eq(p.returncode, 1)
        assert broken + ":2:7:" in p.stderr, p.stderr
        assert broken + ":5:" in p.stderr, p.stderr
        d.kill(signal.SIGHUP)
        deadline = time.time() + 10
        while "keeping the previous configuration and policies" not in d.logs():
            assert time.time() < deadline, d.logs()
            time.sleep(0.05)
        assert_eq(check(d, job(d, "r-2"))["decision"], "allow")
        # A good new version is recorded once and used from then on.
        os.remove(broken)
        src = os.path.join(d.policies, "gdpr-training-baseline.yaml")
        text = open(src).read().replace('version: "1"', 'version: "2"')
        with open(src, "w") as f:
            f.write(text)
        d.kill(signal.SIGHUP)
        while d.logs().count("policies active") < 2:
            assert time.time() < deadline, d.logs()
            time.sleep(0.05)
        r = check(d, job(d, "r-3"))
        assert_eq(r["entry"]["entry"]["policies"][0]["sha256"],
                  hashlib.sha256(text.encode()).hexdigest())
        kinds = [e["kind"] for e in d.request("GET", "/v1/entries")[1]["entries"]]
        assert_eq(kinds.count("policy"), 2)
    finally:
        d.cleanup()


def test_metrics():
    d = make_scenario().start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        check(d, job(d, "m-1"))
        check(d, job(d, "m-2", dataset="reviews-email.yaml"))
        status, text = d.request("GET", "/metrics")
        assert_eq(status, 200)
        text = text.decode() if isinstance(text, bytes) else json.dumps(text)
        assert 'consentd_checks_total{decision="allow"} 1' in text, text
        assert 'consentd_checks_total{decision="deny"} 1' in text, text
        assert "consentd_check_duration_seconds_count 2" in text, text
        assert 'consentd_budget_epsilon_remaining{budget="dataset:reviews"}' in text
        assert "consentd_ledger_entries" in text
    finally:
        d.cleanup()


def test_lineage_and_impact():
    d = make_scenario().start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        assert_eq(d.ctl("impact").returncode, 1)
        r = check(d, job(d, "lin-1", model={"name": "sentiment", "version": "3"}))
        assert_eq(r["decision"], "allow")
        p = d.ctl("--json", "lineage", "u-0001", check=0)
        jobs = json.loads(p.stdout)["jobs"]
        assert_eq([j["job"] for j in jobs], ["lin-1"])
        assert_eq(jobs[0]["model"], {"name": "sentiment", "version": "3"})
        # A subject not in the data, and a denied job, leave no lineage.
        d.ctl("consent", "grant", "outsider", "train_ai_system", check=0)
        assert_eq(d.ctl("lineage", "outsider").returncode, 1)
        check(d, job(d, "lin-2", dataset="reviews-email.yaml"))
        p = d.ctl("--json", "lineage", "u-0004", check=0)
        assert_eq([j["job"] for j in json.loads(p.stdout)["jobs"]], ["lin-1"])
        # Replay: the recorded decision reproduces... until the data changes
        # (a revocation after the decision does not change it: the
        # snapshot is the decision's). An erased subject cannot be linked
        # any more, so decisions over its data no longer replay.
        d.ctl("consent", "revoke", "u-0005", "train_ai_system", check=0)
        idx = r["entry"]["index"]
        p = d.ctl("--json", "replay", str(idx), check=0)
        rep = json.loads(p.stdout)
        assert_eq(rep["reproduces"], True, rep["differences"])
        with open(os.path.join(d.data, "reviews.csv"), "a") as f:
            f.write("u-0020,102,40-49,one more,2026-01-01T00:00:00Z,1\n")
        p = d.ctl("--json", "replay", str(idx))
        assert_eq(p.returncode, 1)
        whats = [x["what"] for x in json.loads(p.stdout)["differences"]]
        assert "data changed (fingerprint)" in whats, whats
        assert_eq(d.ctl("replay", "0").returncode, 2)
        # A revocation and an erasure after the job: both affect it.
        d.ctl("consent", "revoke", "u-0002", "train_ai_system", check=0)
        d.ctl("subject", "erase", "u-0003", check=0)
        p = d.ctl("--json", "impact", check=0)
        events = json.loads(p.stdout)["events"]
        assert_eq(sorted(e["event"] for e in events),
                  ["erasure", "revoke", "revoke"])
        for e in events:
            assert_eq([j["job"] for j in e["jobs"]], ["lin-1"])
        p = d.ctl("impact", "--since", "2999-01-01T00:00:00Z")
        assert_eq(p.returncode, 1)
        assert_eq(d.ctl("impact", "--since", "yesterday").returncode, 2)
        # The erased subject can no longer be looked up.
        assert_eq(d.ctl("lineage", "u-0003").returncode, 1)
        # The lineage set's digest is in the decision entry.
        e = r["entry"]["entry"]["lineage"]
        assert_eq(e["subjects"], 20)
        assert_eq(len(e["sha256"]), 64)
    finally:
        d.cleanup()


def big_dataset(d, rows=1500000):
    """A copy of the demo's reviews with many rows (about 85 MB), so that
    a check of it takes a while; returns its manifest's name."""
    with open(os.path.join(d.data, "big.csv"), "w") as f:
        f.write("user_id,zip3,age_band,comment,collected_at,label\n")
        f.write("".join("u-%07d,101,30-39,review number %d of many,"
                        "2026-11-26T16:47:19Z,1\n" % (i, i)
                        for i in range(rows)))
    with open(os.path.join(d.data, "reviews.yaml")) as f:
        manifest = f.read()
    with open(os.path.join(d.data, "big.yaml"), "w") as f:
        f.write(manifest.replace("dataset: reviews", "dataset: big")
                .replace("path: reviews.csv", "path: big.csv"))
    return "big.yaml"


def slow_check(d, job_id):
    """Posts a check of the big dataset on a thread; returns the thread
    and the dict its answer (status, body) lands in."""
    answer = {}

    def run():
        try:
            answer["r"] = d.request("POST", "/v1/check",
                                    body=job(d, job_id, dataset="big.yaml"),
                                    timeout=300)
        except OSError as e:
            answer["error"] = e

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.15)
    assert t.is_alive(), "the check ended before SIGTERM: %r" % answer
    return t, answer


def test_sigterm_answers_checks_in_progress():
    # A check being evaluated when SIGTERM arrives is finished, recorded
    # and answered before consentd exits; a new request in the meantime
    # is refused with 503.
    d = make_scenario()
    try:
        big_dataset(d)
        d.start()
        idle = UnixHTTPConnection(d.socket)
        idle.request("GET", "/v1/health")
        assert_eq(idle.getresponse().read() != b"", True)
        t, answer = slow_check(d, "slow-1")
        d.kill(signal.SIGTERM)
        time.sleep(0.1)
        idle.request("GET", "/v1/health")
        resp = idle.getresponse()
        assert_eq(resp.status, 503)
        assert_eq(json.loads(resp.read())["error"]["message"],
                  "consentd is stopping")
        assert_eq(resp.getheader("Connection"), "close")
        idle.close()
        t.join(300)
        status, body = answer["r"]
        assert_eq(status, 200, body)
        assert body["decision"] in ("allow", "deny"), body
        assert_eq(d.proc.wait(60), 0)
        assert "stopping once the work in progress is answered" in d.logs()
        # The decision was recorded: the same job is answered from the
        # ledger after a restart.
        d.start()
        again = check(d, job(d, "slow-1", dataset="big.yaml"))
        assert_eq(again["idempotent"], True)
        assert_eq(again["decision"], body["decision"])
        assert_eq(again["entry"]["index"], body["entry"]["index"])
    finally:
        d.cleanup()


def test_stop_after_http_timeout_still_records():
    # Work still in progress when http.timeout has passed: consentd stops
    # waiting, but the check is finished and recorded (the sanitizer build
    # checks that nothing leaks), and it exits 0.
    d = make_scenario(config="http:\n  timeout: 100ms\n")
    try:
        big_dataset(d)
        d.start()
        t, answer = slow_check(d, "slow-2")
        d.kill(signal.SIGTERM)
        assert_eq(d.proc.wait(120), 0)
        t.join(60)
        assert "Work still in progress after http.timeout" in d.logs()
        d.start()
        again = check(d, job(d, "slow-2", dataset="big.yaml"))
        assert_eq(again["idempotent"], True)
    finally:
        d.cleanup()


run_tests([
    test_lineage_and_impact,
    test_allow_receipt_idempotent_and_cli,
    test_blocked_for_consent_and_unreadable_data,
    test_consent_changes_between_checks,
    test_budget_settle_and_expiry,
    test_budget_race_exactly_ten,
    test_policy_reload_and_check_mode,
    test_metrics,
    test_sigterm_answers_checks_in_progress,
    test_stop_after_http_timeout_still_records,
])
