"""Test harness: starts a real consentd on a temporary socket and state
directory, talks HTTP to it over the Unix socket, and runs consentctl."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

CONSENTD = os.environ.get("CONSENTD", "./consentd")
CONSENTCTL = os.environ.get("CONSENTCTL", "./consentctl")
SRCDIR = os.environ.get("top_srcdir", ".")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Daemon:
    """A consentd process in its own scratch directory."""

    def __init__(self, config=None, args=(), env=None, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="consentd-test-")
        self.state = os.path.join(self.tmp, "state")
        self.socket = os.path.join(self.tmp, "consentd.sock")
        self.config = None
        self.log_path = os.path.join(self.tmp, "consentd.log")
        if config is not None:
            self.config = os.path.join(self.tmp, "consentd.yaml")
            with open(self.config, "w") as f:
                f.write(config)
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.pop("NOTIFY_SOCKET", None)
        if env:
            self.env.update(env)
        self.proc = None

    def command(self):
        cmd = list(getattr(self, "wrapper", [])) + [
            CONSENTD, "--foreground", "--state-dir", self.state,
            "--socket", self.socket]
        if self.config:
            cmd += ["--config", self.config]
        return cmd + self.args

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("consentd exited with %d:\n%s" %
                                     (self.proc.returncode, self.logs()))
            try:
                status, _ = self.request("GET", "/v1/health", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise AssertionError("consentd did not become ready:\n" + self.logs())

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def request(self, method, path, body=None, headers=None, timeout=30,
                raw_body=None):
        conn = UnixHTTPConnection(self.socket, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            data = raw_body
            if body is not None:
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            try:
                parsed = json.loads(payload) if payload else None
            except ValueError:
                parsed = payload
            return resp.status, parsed
        finally:
            conn.close()

    def ctl(self, *args, input=None, check=None, env=None):
        e = dict(os.environ)
        if env:
            e.update(env)
        p = subprocess.run([CONSENTCTL, "--socket", self.socket] +
                           [str(a) for a in args], input=input,
                           capture_output=True, text=True, env=e, timeout=120)
        if check is not None and p.returncode != check:
            raise AssertionError(
                "consentctl %s: exit %d, expected %d\nstdout: %s\nstderr: %s"
                % (" ".join(map(str, args)), p.returncode, check, p.stdout,
                   p.stderr))
        return p

    def kill(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("consentd did not stop on %s" % sig)
        if getattr(self, "log", None):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        try:
            self.stop()
            # In a sanitizer build, what ASan, UBSan or LeakSanitizer said
            # about the daemon fails the test that ran it.
            logs = self.logs()
            for marker in ("ERROR: AddressSanitizer", "runtime error:",
                           "ERROR: LeakSanitizer",
                           "WARNING: ThreadSanitizer"):
                if marker in logs:
                    raise AssertionError("consentd: %s\n%s" % (
                        marker, logs[logs.index(marker) - 200:][:4000]))
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def demo_scenario(d, policies=("gdpr-training-baseline.yaml",), extra=None):
    """Gives d a policies directory (the shipped policies named, and
    extra: {file name: text}) and the demo's data (contrib/demo), sets
    d.policies and d.data, and returns d."""
    d.policies = os.path.join(d.tmp, "policies")
    os.makedirs(d.policies)
    for p in policies:
        shutil.copy(os.path.join(SRCDIR, "policies", p), d.policies)
    for name, text in (extra or {}).items():
        with open(os.path.join(d.policies, name), "w") as f:
            f.write(text)
    d.data = os.path.join(d.tmp, "data")
    subprocess.run([os.path.join(SRCDIR, "contrib/demo/make-data.sh"), d.data],
                   check=True)
    d.args += ["--policies", d.policies]
    return d


def run_tests(tests):
    """Runs test functions in order; prints TAP-like lines; exits 1 if any
    failed so the automake harness counts the file as failed."""
    failed = 0
    only = os.environ.get("TEST_ONLY")
    for t in tests:
        if only and only not in t.__name__:
            continue
        start = time.time()
        try:
            t()
            print("ok - %s (%.2fs)" % (t.__name__, time.time() - start))
        except Exception:
            failed += 1
            print("not ok - %s" % t.__name__)
            traceback.print_exc(file=sys.stdout)
    print("%d tests, %d failed" % (len(tests), failed))
    sys.exit(1 if failed else 0)


def assert_eq(a, b, msg=""):
    if a != b:
        raise AssertionError("%r != %r %s" % (a, b, msg))
