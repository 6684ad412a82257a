"""consentctl's HTTP client over the Unix socket, against servers that
misbehave: what it sends, chunked answers, answers that are not HTTP or
stop early, and a server that answers before reading the whole request."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading

from harness import CONSENTCTL, assert_eq, run_tests

HEALTH = json.dumps({"status": "ok", "version": "test", "config": "c",
                     "started_at": "2026-01-01T00:00:00Z",
                     "uptime_seconds": 1, "requests": 7}).encode()


class FakeServer:
    """Accepts one connection on a Unix socket, reads the request (all of
    it, or only its head with read_body=False), sends `answer` and
    closes."""

    def __init__(self, answer, read_body=True):
        self.tmp = tempfile.mkdtemp(prefix="consentctl-transport-")
        self.path = os.path.join(self.tmp, "s.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.answer = answer
        self.read_body = read_body
        self.request = b""
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.sock.accept()
        conn.settimeout(20)
        while b"\r\n\r\n" not in self.request:
            data = conn.recv(65536)
            if not data:
                break
            self.request += data
        head = self.request.split(b"\r\n\r\n", 1)[0].decode()
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if self.read_body:
            while len(self.request) - len(head) - 4 < length:
                data = conn.recv(65536)
                if not data:
                    break
                self.request += data
        conn.sendall(self.answer)
        conn.close()

    def ctl(self, *args, input=None):
        p = subprocess.run([CONSENTCTL, "--socket", self.path] + list(args),
                           input=input, capture_output=True, text=True,
                           timeout=60)
        self.thread.join(20)
        self.sock.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return p

    def head(self):
        return self.request.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")


def response(status, body, extra=""):
    return ("HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n%s\r\n" % (status, len(body), extra)
            ).encode() + body


def test_request_and_plain_answer():
    s = FakeServer(response("200 OK", HEALTH))
    p = s.ctl("--token", "t0k", "status")
    assert_eq(p.returncode, 0, p.stderr)
    assert "consentd test: ok" in p.stdout, p.stdout
    assert "requests: 7" in p.stdout, p.stdout
    head = s.head()
    assert_eq(head[0], "GET /v1/health HTTP/1.1")
    assert "Host: localhost" in head, head
    assert "Connection: close" in head, head
    assert "Authorization: Bearer t0k" in head, head
    assert not any(h.lower().startswith("content-length") for h in head), head


def test_chunked_answer():
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(HEALTH[i:i + 10]), HEALTH[i:i + 10])
                      for i in range(0, len(HEALTH), 10))
    s = FakeServer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   chunks + b"0\r\n\r\n")
    p = s.ctl("--json", "status")
    assert_eq(p.returncode, 0, p.stderr)
    assert_eq(json.loads(p.stdout)["requests"], 7)


def test_interim_answer_then_final():
    s = FakeServer(b"HTTP/1.1 100 Continue\r\n\r\n" +
                   response("200 OK", HEALTH))
    p = s.ctl("--json", "status")
    assert_eq(p.returncode, 0, p.stderr)
    assert_eq(json.loads(p.stdout)["status"], "ok")


def test_post_sends_length_and_escapes_path():
    s = FakeServer(response("200 OK", b'{"subject":"a b/c","purposes":[]}'))
    p = s.ctl("consent", "show", "a b/c")
    head = s.head()
    assert head[0].startswith("GET /v1/consents/a%20b%2Fc"), head[0]
    s = FakeServer(response("404 Not Found",
                            b'{"error":{"code":"not_found","message":"no such job"}}'))
    p = s.ctl("job", "finish", "j1")
    assert_eq(p.returncode, 2, p.stderr)
    assert "no such job" in p.stderr, p.stderr
    head = s.head()
    assert head[0].startswith("POST /v1/jobs/finish "), head[0]
    body = s.request.split(b"\r\n\r\n", 1)[1]
    assert ("Content-Length: %d" % len(body)) in head, head
    assert "Content-Type: application/json" in head, head
    assert_eq(json.loads(body)["job"], "j1")


def test_not_http():
    s = FakeServer(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    p = s.ctl("status")
    assert_eq(p.returncode, 3, p.stderr)
    assert "not valid HTTP" in p.stderr, p.stderr


def test_cut_short():
    s = FakeServer(response("200 OK", HEALTH)[:-10])
    p = s.ctl("status")
    assert_eq(p.returncode, 3, p.stderr)
    assert "closed before the response was complete" in p.stderr, p.stderr
    s = FakeServer(b"")
    p = s.ctl("status")
    assert_eq(p.returncode, 3, p.stderr)


def test_answer_before_the_body_is_read():
    # A server that refuses a request from its head, answers and closes
    # while the client is still sending: the answer is what counts, and
    # the client is not killed by SIGPIPE.
    err = b'{"error":{"code":"payload_too_large","message":"too big here"}}'
    s = FakeServer(response("413 Payload Too Large", err,
                            "Connection: close\r\n"), read_body=False)
    rows = "".join('{"subject":"user-%06d","purpose":"analytics",'
                   '"event":"grant","source":"%s"}\n' % (i, "x" * 200)
                   for i in range(4000))
    path = os.path.join(s.tmp, "rows.jsonl")
    with open(path, "w") as f:
        f.write(rows)
    p = s.ctl("consent", "import", path)
    assert p.returncode > 0, (p.returncode, p.stderr)
    assert "too big here" in p.stderr, p.stderr


def test_nobody_listening():
    tmp = tempfile.mkdtemp(prefix="consentctl-transport-")
    try:
        p = subprocess.run([CONSENTCTL, "--socket", tmp + "/none.sock",
                            "status"], capture_output=True, text=True)
        assert_eq(p.returncode, 3)
        assert "cannot reach consentd at %s/none.sock" % tmp in p.stderr, \
            p.stderr
        p = subprocess.run([CONSENTCTL, "-q", "--socket", tmp + "/none.sock",
                            "status"], capture_output=True, text=True)
        assert_eq((p.returncode, p.stderr), (3, ""))
        p = subprocess.run([CONSENTCTL, "--socket", tmp + "/" + "s" * 200,
                            "status"], capture_output=True, text=True)
        assert_eq(p.returncode, 3)
        assert "socket path too long" in p.stderr, p.stderr
    finally:
        shutil.rmtree(tmp)


def test_bad_options():
    for args, what in ((["--token", "a\nb"], "control characters"),
                       (["--url", "http://127.0.0.1:1"], "https://"),
                       (["--url", "https://"], "https://"),
                       (["--url", "https://h:1/?q=1"], "https://"),
                       (["--url", "https://u@h:1"], "https://")):
        p = subprocess.run([CONSENTCTL] + args + ["status"],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 2, args)
        assert what in p.stderr, (args, p.stderr)


run_tests([
    test_request_and_plain_answer,
    test_chunked_answer,
    test_interim_answer_then_final,
    test_post_sends_length_and_escapes_path,
    test_not_http,
    test_cut_short,
    test_answer_before_the_body_is_read,
    test_nobody_listening,
    test_bad_options,
])
