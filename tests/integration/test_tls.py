"""The TLS listener: TLS 1.2+, client certificates and bearer tokens
mapped to roles, refusals; certificates made by the test's own CA."""

import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

from harness import CONSENTCTL, Daemon, assert_eq, run_tests

if subprocess.run(["which", "openssl"], capture_output=True).returncode:
    print("SKIP: no openssl command")
    sys.exit(77)


def sh(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def make_pki(dir):
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out",
       "ca.pem", "-days", "2", "-subj", "/CN=consentd test CA", cwd=dir)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                      ("wrongname", "subjectAltName=DNS:elsewhere.example"),
                      ("pipeline", "extendedKeyUsage=clientAuth"),
                      ("stranger", "extendedKeyUsage=clientAuth")):
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
           "-out", name + ".csr", "-subj", "/CN=" + name, cwd=dir)
        with open(os.path.join(dir, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
           "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
           "-days", "2", "-extfile", name + ".ext", cwd=dir)
        os.chmod(os.path.join(dir, name + ".key"), 0o600)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


TOKEN = "s3cret-token-for-tests"


def tls_daemon():
    d = Daemon()
    pki = os.path.join(d.tmp, "pki")
    os.makedirs(pki)
    make_pki(pki)
    port = free_port()
    with open(os.path.join(d.tmp, "consentd.yaml"), "w") as f:
        f.write("tls:\n  listen: 127.0.0.1:%d\n  certificate: %s/server.pem\n"
                "  key: %s/server.key\n  client_ca: %s/ca.pem\n"
                "access:\n  checker: [\"cert:pipeline\", trainer]\n"
                "  auditor: [\"token:%s\"]\n"
                % (port, pki, pki, pki,
                   hashlib.sha256(TOKEN.encode()).hexdigest().upper()))
    d.config = os.path.join(d.tmp, "consentd.yaml")
    d.url = "https://127.0.0.1:%d" % port
    d.pki = pki
    return d


def over_tls(d, *args, cert=None, token=None):
    cmd = [CONSENTCTL, "--url", d.url, "--cacert", d.pki + "/ca.pem"]
    if cert:
        cmd += ["--cert", "%s/%s.pem" % (d.pki, cert),
                "--key", "%s/%s.key" % (d.pki, cert)]
    if token:
        cmd += ["--token", token]
    return subprocess.run(cmd + list(args), capture_output=True, text=True)


def test_roles_over_tls():
    d = tls_daemon().start()
    try:
        assert_eq(over_tls(d, "status").returncode, 0)
        # No credentials: health only.
        p = over_tls(d, "ledger", "checkpoint")
        assert_eq(p.returncode, 2, p.stderr)
        assert "needs the auditor role" in p.stderr, p.stderr
        # A bearer token grants what its hash is mapped to.
        assert_eq(over_tls(d, "ledger", "checkpoint", token=TOKEN).returncode, 0)
        p = over_tls(d, "ledger", "checkpoint", token="wrong")
        assert_eq(p.returncode, 2)
        # A client certificate from the CA, mapped by its common name.
        p = over_tls(d, "--json", "job", "finish", "nope", cert="pipeline")
        assert "needs the" not in p.stderr, p.stderr  # allowed, then 404
        assert_eq(p.returncode, 2)
        p = over_tls(d, "job", "finish", "nope", cert="stranger")
        assert "needs the checker role" in p.stderr, p.stderr
        # The server is verified: a client without the CA refuses it.
        p = subprocess.run([CONSENTCTL, "--url", d.url, "status"],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 3)
        p = subprocess.run([CONSENTCTL, "--url", d.url.replace("https", "http"),
                            "status"], capture_output=True, text=True)
        assert_eq(p.returncode, 2)
    finally:
        d.cleanup()


def test_old_tls_refused_and_key_permissions():
    d = tls_daemon().start()
    try:
        port = d.url.rsplit(":", 1)[1]
        p = subprocess.run(["openssl", "s_client", "-connect",
                            "127.0.0.1:" + port, "-tls1_1", "-brief"],
                           input="", capture_output=True, text=True, timeout=20)
        assert p.returncode != 0, p.stdout
        p = subprocess.run(["openssl", "s_client", "-connect",
                            "127.0.0.1:" + port, "-tls1_2", "-brief"],
                           input="", capture_output=True, text=True, timeout=20)
        assert "TLSv1.2" in p.stdout + p.stderr, p.stdout + p.stderr
        d.stop()
        os.chmod(d.pki + "/server.key", 0o644)
        p = subprocess.run(d.command(), capture_output=True, text=True,
                           timeout=30)
        assert_eq(p.returncode, 1)
        assert "refusing it" in p.stderr, p.stderr
    finally:
        d.cleanup()


def fake_tls_server(pki, cert, answer):
    """A one-connection TLS server with one of the test CA's certificates:
    reads a request head, sends `answer`. Returns (port, thread, seen)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("%s/%s.pem" % (pki, cert), "%s/%s.key" % (pki, cert))
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    seen = {"request": b""}

    def serve():
        conn, _ = lsock.accept()
        conn.settimeout(20)
        try:
            s = ctx.wrap_socket(conn, server_side=True)
            while b"\r\n\r\n" not in seen["request"]:
                data = s.recv(65536)
                if not data:
                    break
                seen["request"] += data
            s.sendall(answer)
            s.close()
        except (ssl.SSLError, OSError) as e:
            seen["error"] = e
        finally:
            conn.close()
            lsock.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return lsock.getsockname()[1], t, seen


def test_client_checks_names_and_sends_prefix():
    tmp = tempfile.mkdtemp(prefix="consentctl-tls-")
    try:
        make_pki(tmp)
        health = json.dumps({"status": "ok", "version": "fake"}).encode()
        answer = (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                  % len(health)) + health
        # The certificate names 127.0.0.1: the path of the URL is put
        # before the request's, and Host names the URL's host and port.
        port, t, seen = fake_tls_server(tmp, "server", answer)
        p = subprocess.run([CONSENTCTL, "--url",
                            "https://127.0.0.1:%d/base/" % port, "--cacert",
                            tmp + "/ca.pem", "--json", "status"],
                           capture_output=True, text=True, timeout=30)
        t.join(20)
        assert_eq(p.returncode, 0, p.stderr)
        assert_eq(json.loads(p.stdout)["version"], "fake")
        head = seen["request"].decode().split("\r\n")
        assert_eq(head[0], "GET /base/v1/health HTTP/1.1")
        assert "Host: 127.0.0.1:%d" % port in head, head
        # A certificate from the right CA for another name is refused.
        port, t, seen = fake_tls_server(tmp, "wrongname", answer)
        p = subprocess.run([CONSENTCTL, "--url", "https://127.0.0.1:%d" % port,
                            "--cacert", tmp + "/ca.pem", "status"],
                           capture_output=True, text=True, timeout=30)
        t.join(20)
        assert_eq(p.returncode, 3, p.stderr)
        assert "not trusted" in p.stderr, p.stderr
        assert_eq(seen["request"], b"")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_host_names_and_key_in_the_certificate_file():
    d = tls_daemon().start()
    try:
        port = d.url.rsplit(":", 1)[1]
        # By name: localhost is in the certificate (and may resolve to
        # ::1 first, where nothing listens).
        p = subprocess.run([CONSENTCTL, "--url", "https://localhost:" + port,
                            "--cacert", d.pki + "/ca.pem", "status"],
                           capture_output=True, text=True, timeout=30)
        assert_eq(p.returncode, 0, p.stderr)
        # A client certificate whose key is in the same file.
        both = d.pki + "/pipeline-both.pem"
        with open(both, "w") as f:
            for part in ("pipeline.pem", "pipeline.key"):
                with open(os.path.join(d.pki, part)) as g:
                    f.write(g.read())
        os.chmod(both, 0o600)
        p = subprocess.run([CONSENTCTL, "--url", d.url, "--cacert",
                            d.pki + "/ca.pem", "--cert", both, "job",
                            "finish", "nope"],
                           capture_output=True, text=True, timeout=30)
        assert_eq(p.returncode, 2, p.stderr)
        assert "needs the" not in p.stderr, p.stderr
        # A certificate file that does not exist is an error before any
        # request.
        p = subprocess.run([CONSENTCTL, "--url", d.url, "--cacert",
                            d.pki + "/ca.pem", "--cert", d.pki + "/none.pem",
                            "status"], capture_output=True, text=True,
                           timeout=30)
        assert_eq(p.returncode, 3, p.stderr)
        assert "cannot use client certificate" in p.stderr, p.stderr
    finally:
        d.cleanup()


run_tests([
    test_roles_over_tls,
    test_old_tls_refused_and_key_permissions,
    test_client_checks_names_and_sends_prefix,
    test_host_names_and_key_in_the_certificate_file,
])
