"""Fault drills: kill -9 during concurrent appends and checks, a full
disk, a read-only database. Nothing acknowledged may be lost, no budget
reservation may outlive its expiry, the ledger must verify, and when the
daemon cannot decide it must say no."""

import base64
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time

from harness import CONSENTCTL, Daemon, demo_scenario, assert_eq, run_tests

BUDGET_POLICY = """\
name: budget-only
mode: enforce
match: { purposes: [train_ai_system] }
rules:
  - name: budget
    dp_budget: { epsilon: 1000000, delta: 1e-6, scope: group drills }
"""


def scenario(config=None):
    return demo_scenario(Daemon(config=config), policies=(),
                         extra={"budget.yaml": BUDGET_POLICY})


def leaf_hash(b64):
    return base64.b64encode(hashlib.sha256(
        b"\x00" + base64.b64decode(b64)).digest()).decode()


def test_kill9_during_appends_and_checks():
    d = scenario("budgets:\n  reservation_ttl: 2s\n").start()
    rng = random.Random(7)
    acked = {}        # index -> leaf hash
    allowed = []      # job ids acknowledged as allowed
    lock = threading.Lock()
    trials = int(os.environ.get("DRILL_TRIALS", "20"))
    try:
        for trial in range(trials):
            stop = threading.Event()

            def appender(cid):
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        s, b = d.request("POST", "/v1/consents", body={
                            "subject": "k%d-%d-%d" % (trial, cid, n),
                            "purpose": "train_ai_system"}, timeout=5)
                    except Exception:  # noqa: BLE001 - killed
                        return
                    if s == 200:
                        with lock:
                            e = b["entries"][0]
                            acked[e["index"]] = e["leaf_hash"]

            def checker(cid):
                n = 0
                while not stop.is_set():
                    n += 1
                    jid = "d%d-%d-%d" % (trial, cid, n)
                    try:
                        s, b = d.request("POST", "/v1/check", body={
                            "job": jid, "purpose": "train_ai_system",
                            "datasets": [os.path.join(d.data, "reviews.yaml")],
                            "privacy": {"mechanism": "epsilon-delta",
                                        "epsilon": 1, "delta": 0}}, timeout=5)
                    except Exception:  # noqa: BLE001 - killed
                        return
                    if s == 200:
                        with lock:
                            acked[b["entry"]["index"]] = leaf_hash(b["entry"]["leaf"])
                            if b["decision"] == "allow":
                                allowed.append(jid)
            threads = [threading.Thread(target=appender, args=(i,)) for i in range(4)]
            threads += [threading.Thread(target=checker, args=(i,)) for i in range(3)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.05, 0.5))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            d.log.close()
            d.start()
        assert len(allowed) > 0, "no check was ever allowed"
        size = d.request("GET", "/v1/entries?start=0&end=0")[1]["size"]
        for idx in sorted(acked):
            assert idx < size, "acknowledged entry %d lost (size %d)" % (idx, size)
        for idx in random.Random(1).sample(sorted(acked), min(300, len(acked))):
            e = d.request("GET", "/v1/entries?start=%d&end=%d" % (idx, idx + 1))[1]
            assert_eq(leaf_hash(e["entries"][0]["leaf"]), acked[idx])
        # Every allowed decision is there, and its reservation is released
        # once it expires (or was never left behind).
        deadline = time.time() + 15
        while True:
            _, b = d.request("GET", "/v1/budgets/group:drills")
            if not b["budgets"][0]["reservations"]:
                break
            assert time.time() < deadline, b["budgets"][0]["reservations"][:5]
            time.sleep(0.25)
        assert_eq(d.ctl("ledger", "verify").returncode, 0)
        vkey = os.path.join(d.tmp, "vkey")
        with open(vkey, "w") as f:
            f.write(d.ctl("ledger", "key").stdout)
        d.stop()
        p = subprocess.run([CONSENTCTL, "ledger", "verify", "--db",
                            os.path.join(d.state, "ledger.db"), "--key", vkey],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stdout)
        p = subprocess.run([CONSENTCTL, "budget", "verify", "--db",
                            os.path.join(d.state, "ledger.db")],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stdout)
        print("# %d trials, %d acknowledged entries, %d allowed checks"
              % (trials, len(acked), len(allowed)))
    finally:
        d.cleanup()


def test_disk_full_then_resumes():
    """A file-size limit on the daemon stands in for a full disk."""
    d = scenario()
    try:
        d.start()
        pid = d.proc.pid
        # Let the database grow a little, then cap it.
        # The soft limit only, so that it can be raised again.
        subprocess.run(["prlimit", "--pid", str(pid),
                        "--fsize=%d:unlimited" % (256 * 1024)], check=True)
        acked, failed = [], 0
        big = "x" * 200
        for i in range(3000):
            s, b = d.request("POST", "/v1/consents", body=[
                {"subject": "f%d-%d" % (i, j), "purpose": "train_ai_system",
                 "source": big} for j in range(20)])
            if s == 200:
                acked.extend(e["index"] for e in b["entries"])
            else:
                assert s in (500, 503, 507), (s, b)
                assert b["error"]["code"] in ("storage_full", "storage"), b
                failed += 1
                if failed >= 3:
                    break
        assert failed >= 1, "the limit was never reached"
        # Checks fail closed while nothing can be recorded.
        s, b = d.request("POST", "/v1/check", body={
            "job": "full-1", "purpose": "train_ai_system",
            "datasets": [os.path.join(d.data, "reviews.yaml")],
            "privacy": {"mechanism": "epsilon-delta", "epsilon": 1, "delta": 0}})
        assert s != 200 or b["decision"] != "allow", b
        p = d.ctl("check", os.path.join(d.data, "job-train.yaml"))
        assert p.returncode != 0
        # Space returns: the daemon serves again without a restart.
        subprocess.run(["prlimit", "--pid", str(pid),
                        "--fsize=unlimited:unlimited"], check=True)
        s, b = d.request("POST", "/v1/consents", body={
            "subject": "after", "purpose": "train_ai_system"})
        assert_eq(s, 200, b)
        size = d.request("GET", "/v1/entries?start=0&end=0")[1]["size"]
        assert max(acked) < size
        assert_eq(d.ctl("ledger", "verify").returncode, 0)
        assert "Ledger batch failed, nothing in it was recorded" in d.logs()
    finally:
        d.cleanup()


def test_read_only_database_fails_closed():
    if os.geteuid() != 0:
        return  # needs another user to make the file read-only for
    d = scenario()
    try:
        os.makedirs(d.state, mode=0o700)
        shutil.chown(d.tmp, "nobody")
        shutil.chown(d.state, "nobody")
        os.chmod(d.tmp, 0o755)
        run = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        env = dict(d.env)
        p = subprocess.Popen(run + d.command(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
        deadline = time.time() + 20
        while not os.path.exists(d.socket):
            assert p.poll() is None, p.stderr.read()
            assert time.time() < deadline
            time.sleep(0.05)
        p.terminate()
        p.wait(20)
        # The database turns read-only: the daemon refuses to run on it.
        for f in os.listdir(d.state):
            os.chmod(os.path.join(d.state, f), 0o400)
        os.chmod(d.state, 0o500)
        q = subprocess.run(run + d.command(), capture_output=True, text=True,
                           timeout=30)
        assert_eq(q.returncode, 1)
        assert "Refusing to start" in q.stderr, q.stderr
        assert "read" in q.stderr.lower(), q.stderr
    finally:
        os.chmod(d.state, 0o700)
        d.cleanup()


run_tests([
    test_kill9_during_appends_and_checks,
    test_disk_full_then_resumes,
    test_read_only_database_fails_closed,
])
