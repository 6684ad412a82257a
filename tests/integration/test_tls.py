"""The TLS listener: TLS 1.2+, client certificates and bearer tokens
mapped to roles, refusals; certificates made by the test's own CA."""

import hashlib
import json
import os
import socket
import subprocess
import sys

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


run_tests([
    test_roles_over_tls,
    test_old_tls_refused_and_key_permissions,
])
