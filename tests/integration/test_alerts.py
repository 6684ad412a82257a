"""Webhook alerts, received by a local HTTP server started by the test:
denials, budget thresholds, failed verification and reloads; retries with
backoff; a bounded queue that drops (and counts) rather than delays."""

import http.server
import json
import os
import signal
import subprocess
import threading
import time

from harness import Daemon, demo_scenario, assert_eq, run_tests


class Receiver:
    def __init__(self, fail_first=0, hang=False):
        self.posts = []
        self.fail_first = fail_first
        self.hang = hang
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if outer.hang:
                    time.sleep(30)
                    return
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.posts.append((self.headers.get("Content-Type"),
                                    json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n, timeout=20):
        deadline = time.time() + timeout
        while len(self.posts) < n:
            assert time.time() < deadline, self.posts
            time.sleep(0.05)
        return self.posts

    def close(self):
        self.server.shutdown()


def scenario(receiver, extra=""):
    d = Daemon(config="alerts:\n  webhook: %s\n  retries: 4\n"
                      "  budget_percent: 20\n%s" % (receiver.url, extra))
    return demo_scenario(d)


def test_denial_threshold_and_retries():
    rx = Receiver(fail_first=2)
    d = scenario(rx).start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        # Allowed: epsilon ~2 of 8 crosses the 20% threshold.
        assert_eq(d.ctl("check", os.path.join(d.data, "job-train.yaml")).returncode, 0)
        assert_eq(d.ctl("check", os.path.join(d.data, "job-pii.yaml")).returncode, 1)
        posts = rx.wait(2)
        events = sorted(p["event"] for _, p in posts)
        assert_eq(events, ["budget.threshold", "check.denied"])
        for ctype, p in posts:
            assert_eq(ctype, "application/json")
            assert p["summary"].startswith("consentd: ")
        denied = [p for _, p in posts if p["event"] == "check.denied"][0]
        assert_eq(denied["details"]["job"], "sentiment-ft-0003")
        assert "u-00" not in json.dumps(denied), denied  # no personal data
        _, metrics = d.request("GET", "/metrics")
        text = metrics.decode()
        assert 'consentd_alerts_total{outcome="delivered"} 2' in text, text
        assert 'consentd_alerts_total{outcome="retried"} 2' in text, text
        # A failed reload alerts too.
        with open(os.path.join(d.policies, "broken.yaml"), "w") as f:
            f.write("name: [\n")
        d.kill(signal.SIGHUP)
        posts = rx.wait(3)
        assert_eq(posts[2][1]["event"], "reload.failed")
    finally:
        d.cleanup()
        rx.close()


def test_slack_format_and_failed_verification():
    rx = Receiver()
    d = scenario(rx, "  format: slack\n").start()
    try:
        d.ctl("consent", "grant", "a", "train_ai_system", check=0)
        d.stop()
        import sqlite3
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        db.execute("UPDATE consent_events SET kind = 2")
        db.commit()
        db.close()
        d.log.close()
        d.start()
        assert_eq(d.ctl("ledger", "verify").returncode, 1)
        posts = rx.wait(1)
        assert_eq(set(posts[0][1]), {"text"})
        assert "verification FAILED" in posts[0][1]["text"], posts
    finally:
        d.cleanup()
        rx.close()


def test_queue_is_bounded_and_never_delays_decisions():
    rx = Receiver(hang=True)
    d = scenario(rx, "  queue_max: 2\n  timeout: 20s\n").start()
    try:
        d.ctl("consent", "import", os.path.join(d.data, "consents.csv"), check=0)
        start = time.time()
        for i in range(6):
            p = d.ctl("check", "--recheck", os.path.join(d.data, "job-pii.yaml"))
            assert_eq(p.returncode, 1)
        # Six denials against a receiver that never answers: decisions
        # still come back at once, and the overflow is dropped.
        assert time.time() - start < 10
        _, metrics = d.request("GET", "/metrics")
        text = metrics.decode()
        assert 'consentd_alerts_total{outcome="dropped"} 4' in text, text
        assert "consentd_alerts_queued 2" in text, text
    finally:
        d.cleanup()
        rx.close()


def test_bad_webhook_config():
    d = Daemon(config="alerts:\n  webhook: ftp://example.org/x\n  format: xml\n")
    try:
        p = subprocess.run(d.command() + ["-n"], capture_output=True, text=True)
        assert_eq(p.returncode, 1)
        assert "expected an http:// or https:// URL" in p.stderr, p.stderr
        assert "expected json or slack" in p.stderr, p.stderr
    finally:
        d.cleanup()


run_tests([
    test_denial_threshold_and_retries,
    test_slack_format_and_failed_verification,
    test_queue_is_bounded_and_never_delays_decisions,
    test_bad_webhook_config,
])
