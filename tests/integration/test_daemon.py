"""consentd and consentctl basics: start, status, health, version, errors,
bad input that must not stop the daemon, reload, and -n."""

import json
import os
import signal
import socket
import subprocess
import threading
import time

from harness import (CONSENTCTL, CONSENTD, Daemon, assert_eq, run_tests)


def with_daemon(fn, **kw):
    d = Daemon(**kw).start()
    try:
        fn(d)
    finally:
        d.cleanup()


def test_health_and_version():
    def body(d):
        status, h = d.request("GET", "/v1/health")
        assert_eq(status, 200)
        assert_eq(h["status"], "ok")
        status, v = d.request("GET", "/v1/version")
        assert_eq(status, 200)
        assert_eq(v["name"], "consentd")
        assert_eq(v["api"], "v1")
    with_daemon(body)


def test_status_cli():
    def body(d):
        p = d.ctl("status", check=0)
        assert "consentd" in p.stdout and ": ok" in p.stdout, p.stdout
        p = d.ctl("--json", "status", check=0)
        import json
        assert_eq(json.loads(p.stdout)["status"], "ok")
    with_daemon(body)


def test_status_unreachable_exits_3():
    p = subprocess.run([CONSENTCTL, "--socket", "/nonexistent/consentd.sock",
                        "status"], capture_output=True, text=True)
    assert_eq(p.returncode, 3, p.stderr)
    assert "cannot reach consentd" in p.stderr, p.stderr


def test_usage_errors_exit_2():
    for args in (["no-such-command"], ["status", "extra"], ["--bogus"], []):
        p = subprocess.run([CONSENTCTL] + args, capture_output=True, text=True)
        assert_eq(p.returncode, 2, "%s: %s" % (args, p.stderr))


def test_help_everywhere():
    p = subprocess.run([CONSENTCTL, "--help"], capture_output=True, text=True)
    assert_eq(p.returncode, 0)
    commands = []
    in_list = False
    for line in p.stdout.splitlines():
        if line.startswith("Commands:"):
            in_list = True
            continue
        if in_list:
            if not line.strip():
                break
            commands.append(line.split()[0])
    assert "status" in commands, p.stdout
    for c in commands:
        q = subprocess.run([CONSENTCTL, c, "--help"], capture_output=True,
                           text=True)
        assert_eq(q.returncode, 0, "%s --help: %s" % (c, q.stderr))
        assert "Usage" in q.stdout or "usage" in q.stdout, (c, q.stdout)
    p = subprocess.run([CONSENTD, "--help"], capture_output=True, text=True)
    assert_eq(p.returncode, 0)
    assert "--state-dir" in p.stdout
    p = subprocess.run([CONSENTD, "--version"], capture_output=True, text=True)
    assert p.stdout.startswith("consentd "), p.stdout


def test_json_errors():
    def body(d):
        status, e = d.request("GET", "/v1/nope")
        assert_eq(status, 404)
        assert_eq(e["error"]["code"], "not_found")
        status, e = d.request("POST", "/v1/health", body={})
        assert_eq(status, 405)
        assert_eq(e["error"]["code"], "method_not_allowed")
    with_daemon(body)


def raw_exchange(path, data, shutdown_write=False, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    out = b""
    try:
        s.sendall(data)
        if shutdown_write:
            s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    finally:
        s.close()
    return out


def raw_error(reply):
    """Status and JSON error code of a raw HTTP reply; every error the
    daemon sends, its HTTP parser's rejections included, is JSON."""
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1."), reply[:80]
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        headers[k.strip().lower()] = v.strip()
    assert_eq(headers.get(b"content-type"), b"application/json")
    assert_eq(headers.get(b"connection"), b"close")
    e = json.loads(body.decode())
    assert isinstance(e["error"]["message"], str) and e["error"]["message"]
    return status, e["error"]["code"]


def test_garbage_keeps_serving():
    def body(d):
        for junk, want in (
                (b"garbage\r\n\r\n", (400, "bad_request")),
                (b"\x00\xff" * 20000, (400, "bad_request")),
                (b"GET /v1/health HTTP/9.9\r\n\r\n", (400, "bad_request")),
                (b"GET /v1/health HTTP/1.0\r\nno colon\r\n\r\n",
                 (400, "bad_request")),
                (b"GET " + b"/a" * 40000 + b" HTTP/1.1\r\n\r\n",
                 (400, "bad_request")),
                (b"GET /v1/health HTTP/1.1\r\n" + b"X: y\r\n" * 5000 +
                 b"\r\n", (400, "bad_request")),
                (b"PATCH /v1/health HTTP/1.1\r\n\r\n",
                 (501, "not_implemented"))):
            reply = raw_exchange(d.socket, junk)
            assert_eq(raw_error(reply), want)
            status, _ = d.request("GET", "/v1/health")
            assert_eq(status, 200)
        assert d.proc.poll() is None
    with_daemon(body)


def test_huge_body_is_refused():
    def body(d):
        size = 100 * 1024 * 1024
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(d.socket)
        s.sendall(b"POST /v1/consents HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % size)
        chunk = b"x" * (1 << 20)
        reply = b""
        try:
            for _ in range(size // len(chunk)):
                s.sendall(chunk)
            while True:
                r = s.recv(65536)
                if not r:
                    break
                reply += r
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        s.close()
        assert_eq(raw_error(reply), (413, "payload_too_large"))
        status, _ = d.request("GET", "/v1/health")
        assert_eq(status, 200)
        # The daemon never buffered the body: its RSS stays small (not
        # measurable under AddressSanitizer, whose quarantine keeps freed
        # memory).
        if os.environ.get("CONSENTD_SANITIZERS") != "yes":
            with open("/proc/%d/status" % d.proc.pid) as f:
                rss = [l for l in f if l.startswith("VmHWM")][0].split()[1]
            assert int(rss) < 64 * 1024, "peak RSS %s kB" % rss
    with_daemon(body)


def test_huge_chunked_body_is_refused():
    def body(d):
        # No Content-Length: the limit (8 MiB by default) is enforced as the
        # chunks arrive, with the same JSON answer. The daemon answers and
        # closes mid-body, so the reply is read while the body is sent.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(d.socket)
        got = []

        def reader():
            out = b""
            try:
                while True:
                    r = s.recv(65536)
                    if not r:
                        break
                    out += r
            except OSError:
                pass
            got.append(out)
        t = threading.Thread(target=reader)
        t.start()
        chunk = b"x" * (1 << 20)
        try:
            s.sendall(b"POST /v1/consents HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(12):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        t.join(60)
        s.close()
        assert_eq(raw_error(got[0]), (413, "payload_too_large"))
        status, _ = d.request("GET", "/v1/health")
        assert_eq(status, 200)
    with_daemon(body)


def test_half_closed_connection():
    def body(d):
        reply = raw_exchange(d.socket, b"GET /v1/health HTTP/1.1\r\nHost: x",
                             shutdown_write=True, timeout=5)
        # A half-closed, unfinished request is dropped, not served.
        assert not reply.startswith(b"HTTP/1.1 200"), reply[:80]
        # A complete request whose writer half-closed still gets an answer.
        reply = raw_exchange(d.socket,
                             b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
                             shutdown_write=True, timeout=5)
        assert reply.startswith(b"HTTP/1.1 200"), reply[:80]
        # Idle connections that never finish do not block others.
        idle = [socket.socket(socket.AF_UNIX) for _ in range(50)]
        for s in idle:
            s.connect(d.socket)
            s.sendall(b"GET /v1/hea")
        status, _ = d.request("GET", "/v1/health")
        assert_eq(status, 200)
        for s in idle:
            s.close()
    with_daemon(body)


def test_concurrent_clients():
    def body(d):
        errors = []

        def worker():
            try:
                for _ in range(50):
                    status, _ = d.request("GET", "/v1/health")
                    if status != 200:
                        errors.append(status)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
        threads = [threading.Thread(target=worker) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:5]
    with_daemon(body)


def test_socket_mode():
    def body(d):
        mode = os.stat(d.socket).st_mode & 0o777
        assert_eq(mode, 0o660, oct(mode))
    with_daemon(body)


def test_second_daemon_refuses_socket():
    def body(d):
        other = subprocess.run([CONSENTD, "--state-dir", d.state + "2",
                                "--socket", d.socket], capture_output=True,
                               text=True, timeout=20)
        assert_eq(other.returncode, 1)
        assert "already listening" in other.stderr, other.stderr
        status, _ = d.request("GET", "/v1/health")
        assert_eq(status, 200)
    with_daemon(body)


def test_state_dir_is_locked():
    def body(d):
        other = subprocess.run([CONSENTD, "--state-dir", d.state, "--socket",
                                d.socket + "2"], capture_output=True,
                               text=True, timeout=20)
        assert_eq(other.returncode, 1)
        assert "Another consentd is using the state directory" in other.stderr, \
            other.stderr
    with_daemon(body)


def test_allow_header():
    from harness import UnixHTTPConnection

    def allow(d, method, path):
        c = UnixHTTPConnection(d.socket)
        c.request(method, path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, r.getheader("Allow")

    def body(d):
        assert_eq(allow(d, "GET", "/v1/consents"), (405, "POST"))
        assert_eq(allow(d, "DELETE", "/v1/health"), (405, "GET"))
        assert_eq(allow(d, "GET", "/v1/ledger/verify"), (405, "POST"))
    with_daemon(body)


def test_check_config():
    d = Daemon(config="log_level: debug\nhttp:\n  timeout: 5s\n")
    try:
        p = subprocess.run(d.command() + ["-n"], capture_output=True,
                           text=True)
        assert_eq(p.returncode, 0, p.stderr)
        bad = os.path.join(d.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("log_level: loud\nhttp:\n  timeout: forever\n"
                    "  bogus: 1\nworkers: 0\n")
        p = subprocess.run([CONSENTD, "-n", "--config", bad],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 1)
        err = p.stderr
        for expect in (bad + ":1:12: log_level: expected one of",
                       bad + ":3:12: expected a duration",
                       bad + ":4:3: unknown key 'http.bogus'",
                       bad + ":5:10: expected an integer between 1 and 256"):
            assert expect in err, "missing %r in:\n%s" % (expect, err)
        p = subprocess.run([CONSENTD, "-n", "--config", bad + ".missing"],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 1)
        assert "cannot open" in p.stderr, p.stderr
    finally:
        d.cleanup()


def test_reload():
    d = Daemon(config="log_level: info\n").start()
    try:
        with open(d.config, "w") as f:
            f.write("log_level: debug\n")
        d.kill(signal.SIGHUP)
        deadline = time.time() + 10
        while "Reloaded configuration" not in d.logs():
            assert time.time() < deadline, d.logs()
            time.sleep(0.05)
        with open(d.config, "w") as f:
            f.write("log_level: [broken\n")
        d.kill(signal.SIGHUP)
        while "Reload failed; keeping the previous configuration" not in d.logs():
            assert time.time() < deadline, d.logs()
            time.sleep(0.05)
        status, _ = d.request("GET", "/v1/health")
        assert_eq(status, 200)
        assert_eq(d.stop(), 0)
        assert "Stopped" in d.logs()
        assert not os.path.exists(d.socket), "socket left behind"
    finally:
        d.cleanup()


def test_sigint_stops_cleanly():
    d = Daemon().start()
    try:
        assert_eq(d.stop(signal.SIGINT), 0)
    finally:
        d.cleanup()


def test_sd_notify():
    """READY=1, STATUS=, RELOADING=1 and STOPPING=1 reach $NOTIFY_SOCKET;
    WATCHDOG=1 comes at half of $WATCHDOG_USEC."""
    d = Daemon()
    path = os.path.join(d.tmp, "notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    ns.settimeout(10)
    d.env["NOTIFY_SOCKET"] = path
    d.env["WATCHDOG_USEC"] = "400000"
    try:
        d.start(wait=False)
        msgs = []

        def until(pred):
            while not any(pred(m) for m in msgs):
                msgs.append(ns.recv(4096).decode())
        until(lambda m: "READY=1" in m)
        until(lambda m: m == "WATCHDOG=1")
        d.kill(signal.SIGHUP)
        until(lambda m: "RELOADING=1" in m)
        d.kill(signal.SIGTERM)
        until(lambda m: "STOPPING=1" in m)
        assert any("STATUS=" in m for m in msgs), msgs
    finally:
        ns.close()
        d.cleanup()


def test_systemd_environment_paths():
    """Under systemd, $STATE_DIRECTORY and $RUNTIME_DIRECTORY decide where
    the ledger and the socket go."""
    import tempfile
    tmp = tempfile.mkdtemp(prefix="consentd-env-")
    env = dict(os.environ, STATE_DIRECTORY=tmp + "/state",
               RUNTIME_DIRECTORY=tmp + "/run")
    os.makedirs(tmp + "/run")
    p = subprocess.Popen([CONSENTD, "--foreground"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sock = tmp + "/run/consentd.sock"
        deadline = time.time() + 10
        while not os.path.exists(sock):
            assert p.poll() is None, p.stderr.read()
            assert time.time() < deadline
            time.sleep(0.02)
        q = subprocess.run([CONSENTCTL, "status"], capture_output=True,
                           text=True, env=dict(env, CONSENTD_SOCKET=sock))
        assert_eq(q.returncode, 0, q.stderr)
        assert os.path.isdir(tmp + "/state")
    finally:
        p.terminate()
        p.wait(10)


def test_root_defaults():
    """As root with no flags and no config: /var/lib/consentd and
    /run/consentd. Only in CI, which runs on a throwaway machine."""
    if os.geteuid() != 0 or os.environ.get("CI") != "true":
        return
    if os.path.exists("/run/consentd/consentd.sock"):
        return  # a real consentd runs here: leave it alone
    created = not os.path.exists("/var/lib/consentd")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STATE_DIRECTORY", "RUNTIME_DIRECTORY",
                                "CONSENTD_SOCKET", "NOTIFY_SOCKET"))}
    p = subprocess.Popen([CONSENTD, "--foreground"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while not os.path.exists("/run/consentd/consentd.sock"):
            assert p.poll() is None, p.stderr.read()
            assert time.time() < deadline
            time.sleep(0.05)
        q = subprocess.run([CONSENTCTL, "status"], capture_output=True,
                           text=True, env=env)
        assert_eq(q.returncode, 0, q.stderr)
        assert os.path.exists("/var/lib/consentd/ledger.db")
    finally:
        p.terminate()
        p.wait(20)
        if created:
            import shutil
            shutil.rmtree("/var/lib/consentd", ignore_errors=True)
            shutil.rmtree("/run/consentd", ignore_errors=True)


def test_unprivileged_defaults():
    """With no flags and no config, an unprivileged user gets XDG paths,
    and consentctl finds the socket by the same rule."""
    run = []
    if os.geteuid() == 0:
        run = ["setpriv", "--reuid=nobody", "--regid=nogroup",
               "--clear-groups", "--"]
    import tempfile
    home = tempfile.mkdtemp(prefix="consentd-home-")
    os.chmod(home, 0o777)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "STATE_DIRECTORY", "RUNTIME_DIRECTORY",
                                "CONSENTD_SOCKET", "NOTIFY_SOCKET"))}
    env["HOME"] = home
    p = subprocess.Popen(run + [CONSENTD, "--foreground"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sock = home + "/.local/state/consentd/consentd.sock"
        deadline = time.time() + 10
        while not os.path.exists(sock):
            assert p.poll() is None, p.stderr.read()
            assert time.time() < deadline, "no socket at " + sock
            time.sleep(0.02)
        q = subprocess.run(run + [CONSENTCTL, "status"], capture_output=True,
                           text=True, env=env)
        assert_eq(q.returncode, 0, q.stderr)
    finally:
        p.terminate()
        p.wait(10)


run_tests([
    test_health_and_version,
    test_status_cli,
    test_status_unreachable_exits_3,
    test_usage_errors_exit_2,
    test_help_everywhere,
    test_json_errors,
    test_garbage_keeps_serving,
    test_huge_body_is_refused,
    test_huge_chunked_body_is_refused,
    test_half_closed_connection,
    test_concurrent_clients,
    test_socket_mode,
    test_second_daemon_refuses_socket,
    test_state_dir_is_locked,
    test_allow_header,
    test_check_config,
    test_reload,
    test_sigint_stops_cleanly,
    test_sd_notify,
    test_systemd_environment_paths,
    test_root_defaults,
    test_unprivileged_defaults,
])
