"""The signed consent ledger end to end: consents, history, import,
erasure, proofs, receipts, export, offline verification, tampering, and
crashes."""

import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

from harness import CONSENTCTL, Daemon, assert_eq, run_tests


def ctl_json(d, *args, check=0):
    p = d.ctl("--json", *args, check=check)
    return json.loads(p.stdout)


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def wait_checkpoint(d, size, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, cp = d.request("GET", "/v1/checkpoint")
        if status == 200 and cp["size"] >= size:
            return cp
        time.sleep(0.02)
    raise AssertionError("no checkpoint covering %d" % size)


def populated(n_extra=0):
    """A stopped daemon's state with a few consents, revocations, an
    erasure, and n_extra more grants; returns (daemon, vkey path)."""
    d = Daemon().start()
    d.ctl("consent", "grant", "alice", "train_ai_system", "--method",
          "web-form", check=0)
    d.ctl("consent", "grant", "bob", "train_ai_system", "--expires",
          "2031-01-01T00:00:00Z", check=0)
    d.ctl("consent", "revoke", "alice", "train_ai_system", check=0)
    d.ctl("consent", "grant", "carol", "analytics", check=0)
    d.ctl("subject", "erase", "carol", check=0)
    events = [{"subject": "user-%d" % i, "purpose": "train_ai_system"}
              for i in range(n_extra)]
    for i in range(0, len(events), 1000):
        status, _ = d.request("POST", "/v1/consents", body=events[i:i + 1000])
        assert_eq(status, 200)
    vkey = os.path.join(d.tmp, "vkey")
    with open(vkey, "w") as f:
        f.write(d.ctl("ledger", "key", check=0).stdout)
    assert_eq(d.stop(), 0)
    return d, vkey


def verify_db(d, vkey, *extra):
    return subprocess.run([CONSENTCTL, "ledger", "verify", "--db",
                           os.path.join(d.state, "ledger.db"), "--key", vkey]
                          + list(extra), capture_output=True, text=True)


def test_consent_lifecycle_and_history():
    d = Daemon().start()
    try:
        d.ctl("consent", "grant", "alice", "train_ai_system", check=0)
        t_granted = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
        time.sleep(1.2)
        p = d.ctl("consent", "revoke", "alice", "train_ai_system", check=0)
        assert "entry 1" in p.stdout, p.stdout
        # Now: revoked (exit 1); as of ledger size 1 or the earlier time:
        # active (exit 0).
        assert_eq(d.ctl("consent", "show", "alice").returncode, 1)
        assert_eq(d.ctl("consent", "show", "alice", "--size", "1").returncode, 0)
        assert_eq(d.ctl("consent", "show", "alice", "--at", t_granted).returncode, 0)
        s = ctl_json(d, "consent", "show", "alice", "--size", "1", check=0)
        assert_eq(s["purposes"][0]["status"], "active")
        assert_eq(s["as_of"]["size"], 1)
        # Expiry: active before, expired after.
        d.ctl("consent", "grant", "bob", "train_ai_system", "--expires",
              "2030-01-01T00:00:00Z", check=0)
        assert_eq(d.ctl("consent", "show", "bob").returncode, 0)
        assert_eq(d.ctl("consent", "show", "bob", "--at",
                        "2030-06-01T00:00:00Z").returncode, 1)
        # Unknown subjects are a negative answer, not an error.
        assert_eq(d.ctl("consent", "show", "nobody").returncode, 1)
        # Bad input: exit 2, nothing recorded.
        for args in (["grant", "x", "Not A Purpose"],
                     ["grant", "x", "train_ai_system", "--expires", "tomorrow"],
                     ["revoke", "x", "train_ai_system", "--expires",
                      "2030-01-01T00:00:00Z"],
                     ["grant", "x"],
                     ["show", "x", "--at", "yesterday"]):
            assert_eq(d.ctl("consent", *args).returncode, 2, args)
        status, body = d.request("GET", "/v1/entries")
        assert_eq(body["size"], 3)
    finally:
        d.cleanup()


def test_api_validation_is_all_or_nothing():
    d = Daemon().start()
    try:
        status, e = d.request("POST", "/v1/consents", body=[
            {"subject": "a", "purpose": "train_ai_system"},
            {"subject": "b", "purpose": "train_ai_system", "bogus": 1}])
        assert_eq(status, 400)
        assert "Event 1" in e["error"]["message"], e
        status, e = d.request("POST", "/v1/consents", raw_body=b"{not json",
                              headers={"Content-Type": "application/json"})
        assert_eq(status, 400)
        assert_eq(e["error"]["code"], "invalid_json")
        status, e = d.request("POST", "/v1/consents", raw_body=b"{}",
                              headers={"Content-Type": "text/plain"})
        assert_eq(status, 415)
        status, e = d.request("POST", "/v1/consents", body={
            "subject": "a", "purpose": "p", "at": "2999-01-01T00:00:00Z"})
        assert_eq(status, 400)
        status, body = d.request("GET", "/v1/entries")
        assert_eq(body["size"], 0)
        # Entries over the maximum are refused up front.
        status, e = d.request("POST", "/v1/consents", body={
            "subject": "a", "purpose": "p", "source": "x" * 300})
        assert_eq(status, 400)
        for path in ("/v1/proof/inclusion?index=abc",
                     "/v1/proof/inclusion", "/v1/proof/consistency?from=1",
                     "/v1/proof/inclusion?index=-1",
                     "/v1/proof/inclusion?index=99999999999999999999"):
            status, e = d.request("GET", path)
            assert 400 <= status < 500, (path, status)
            assert "error" in e
    finally:
        d.cleanup()


def test_import_reports_bad_rows():
    d = Daemon().start()
    try:
        csv = os.path.join(d.tmp, "consents.csv")
        with open(csv, "w") as f:
            f.write("subject,purpose,event,expires\r\n"
                    "u1,train_ai_system,grant,\r\n"
                    "u2,BAD PURPOSE,grant,\r\n"
                    "\"u3\",train_ai_system,revoke,\r\n"
                    "u4,train_ai_system\r\n"
                    "u5,train_ai_system,grant,2001-01-01T00:00:00Z\r\n"
                    "\"u,6\",analytics,grant,2035-01-01T00:00:00Z\r\n")
        p = d.ctl("consent", "import", csv)
        assert_eq(p.returncode, 2, p.stderr)
        assert "line 3: rejected" in p.stdout, p.stdout
        assert "line 5: rejected" in p.stdout, p.stdout
        assert "line 6: rejected" in p.stdout, p.stdout
        assert "3 accepted, 3 rejected" in p.stdout, p.stdout
        assert_eq(d.ctl("consent", "show", "u,6").returncode, 0)
        jl = os.path.join(d.tmp, "consents.jsonl")
        with open(jl, "w") as f:
            f.write('{"subject":"j1","purpose":"train_ai_system"}\n'
                    '{"subject":"j2"}\n'
                    'not json\n')
        p = d.ctl("--json", "consent", "import", jl)
        assert_eq(p.returncode, 2)
        lines = [json.loads(l) for l in p.stdout.splitlines()]
        assert_eq([l.get("line") for l in lines if l["status"] == "rejected"],
                  [2, 3])
        assert_eq(lines[-1]["accepted"], 1)
        status, body = d.request("GET", "/v1/entries")
        assert_eq(body["size"], 4)
    finally:
        d.cleanup()


def test_import_writes_values_as_they_are():
    # consentctl writes each request's JSON itself: quotes, backslashes,
    # slashes and UTF-8 reach the ledger as they were in the file, and a
    # value that is not UTF-8 rejects its row instead of going unsaid.
    d = Daemon().start()
    try:
        csv = os.path.join(d.tmp, "escapes.csv")
        with open(csv, "wb") as f:
            f.write(b'subject,purpose,method,source,controller\n'
                    b'"q""1",train_ai_system,"web ""form"" \\ x",a/b,'
                    b'Caf\xc3\xa9 \xe2\x82\xac\n'
                    b'q2,train_ai_system,m,bad\xff,c\n'
                    b'q3,train_ai_system,,,\n')
        p = d.ctl("consent", "import", csv)
        assert_eq(p.returncode, 2, p.stdout + p.stderr)
        assert "line 3: rejected: field 'source' is not UTF-8 text" in \
            p.stdout, p.stdout
        assert "2 accepted, 1 rejected" in p.stdout, p.stdout
        status, body = d.request("GET", "/v1/entries")
        assert_eq(body["size"], 2)
        e = body["entries"][0]["entry"]
        assert_eq(e["method"], 'web "form" \\ x')
        assert_eq(e["source"], "a/b")
        assert_eq(e["controller"], "Caf\u00e9 \u20ac")
        assert "source" not in body["entries"][1]["entry"]
        assert_eq(d.ctl("consent", "show", 'q"1').returncode, 0)
        assert_eq(d.ctl("consent", "show", "q2").returncode, 1)
    finally:
        d.cleanup()


def _post_raw(d, events, headers):
    """POSTs events to /v1/consents on a raw connection; returns the bytes
    of every answer (interim ones included) until the daemon closes."""
    import socket
    body = json.dumps(events).encode()
    head = ("POST /v1/consents HTTP/1.1\r\nHost: localhost\r\n"
            "Connection: close\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n" % len(body))
    for k, v in headers.items():
        head += "%s: %s\r\n" % (k, v)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(d.socket)
    s.sendall(head.encode() + b"\r\n" + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def test_import_sequence_headers():
    # A client that asks (Consentd-Ack: queued) hears "102 Processing"
    # with the sequence once its request is queued; the next request,
    # sent with Consentd-After, is recorded only while that sequence
    # holds. Without asking, no interim answer is sent.
    d = Daemon().start()
    try:
        events = [{"subject": "seq%d" % i, "purpose": "train_ai_system"}
                  for i in range(300)]
        plain = _post_raw(d, events[:1], {})
        assert plain.startswith(b"HTTP/1.1 200"), plain[:80]
        for n in (1, 300):  # queued after or before preparing
            data = _post_raw(d, events[:n], {"Consentd-Ack": "queued"})
            m = re.match(rb"HTTP/1.1 102 Processing\r\n"
                         rb"Consentd-Queued: ([0-9a-f]{16}-[0-9]+)\r\n\r\n"
                         rb"HTTP/1.1 200 ", data)
            assert m, data[:200]
        seq = m.group(1).decode()
        data = _post_raw(d, [{"subject": "after", "purpose": "p"}],
                         {"Consentd-Ack": "queued", "Consentd-After": seq})
        assert b"HTTP/1.1 200 " in data, data[:200]
        # A sequence that is not the daemon's (an earlier request failed,
        # or another run of the daemon): refused, nothing recorded.
        wrong = seq.split("-")[0] + "-" + str(int(seq.split("-")[1]) + 1)
        for bad in (wrong, "0000000000000000-0"):
            data = _post_raw(d, [{"subject": "never", "purpose": "p"}],
                             {"Consentd-After": bad})
            assert data.startswith(b"HTTP/1.1 409"), data[:200]
            assert b"CONFLICT" in data.upper(), data
        status, body = d.request("GET", "/v1/entries?start=0&end=1")
        assert_eq(body["size"], 1 + 1 + 300 + 1)
        status, _ = d.request("GET", "/v1/consents/never")
        assert_eq(status, 404)
    finally:
        d.cleanup()


def test_import_in_order_across_requests():
    # 25,000 rows go in three requests, sent while the next is being read;
    # the ledger keeps the file's order. A request the daemon refuses stops
    # the import: what came before is recorded, nothing after.
    d = Daemon(config="http:\n  max_request_bytes: 3000000\n").start()
    try:
        csv = os.path.join(d.tmp, "many.csv")
        with open(csv, "w") as f:
            f.write("subject,purpose,event,source\n")
            for i in range(25000):
                subject, event = "s%d" % i, "grant"
                if i == 10000:
                    subject, event = "s9999", "revoke"
                f.write("%s,train_ai_system,%s,row%d\n" % (subject, event, i))
        p = d.ctl("consent", "import", csv)
        assert_eq(p.returncode, 0, p.stderr)
        assert "25000 accepted, 0 rejected" in p.stdout, p.stdout
        status, body = d.request("GET", "/v1/entries?start=9990&end=10010")
        assert_eq(status, 200)
        assert_eq([e["entry"]["source"] for e in body["entries"]],
                  ["row%d" % i for i in range(9990, 10010)])
        assert_eq(body["size"], 25000)
        status, st = d.request("GET", "/v1/consents/s9999")
        assert_eq(st["purposes"][0]["status"], "revoked")

        # The second request is too big for the daemon (413).
        big = os.path.join(d.tmp, "big.csv")
        with open(big, "w") as f:
            f.write("subject,purpose,source,method,text_version,"
                    "jurisdiction,controller\n")
            for i in range(10000):
                f.write("b%d,train_ai_system,short,,,,\n" % i)
            for i in range(3000):
                f.write("c%d,train_ai_system%s\n" % (i, ("," + "x" * 250) * 5))
            for i in range(5):
                f.write("d%d,train_ai_system,short,,,,\n" % i)
        p = d.ctl("consent", "import", big)
        assert_eq(p.returncode, 2, p.stdout + p.stderr)
        assert "10000 accepted" in p.stdout, p.stdout
        assert "import stopped: lines 10002.." in p.stderr, p.stderr
        status, body = d.request("GET", "/v1/entries?start=34999&end=35000")
        assert_eq(body["size"], 35000)
        assert_eq(body["entries"][0]["entry"]["source"], "short")
        status, _ = d.request("GET", "/v1/consents/d0")
        assert_eq(status, 404)
    finally:
        d.cleanup()


def test_bulk_and_single_appends_together():
    # Large requests are appended while they are still being prepared;
    # single events from other clients share those batches. Everything is
    # recorded once, and the ledger verifies.
    d = Daemon().start()
    try:
        csv = os.path.join(d.tmp, "bulk.csv")
        with open(csv, "w") as f:
            f.write("subject,purpose\n")
            for i in range(30000):
                f.write("bulk-%d,train_ai_system\n" % i)
        imp = subprocess.Popen([CONSENTCTL, "--socket", d.socket, "consent",
                                "import", csv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        singles = 0
        while imp.poll() is None or singles < 20:
            status, _ = d.request("POST", "/v1/consents", body={
                "subject": "single-%d" % singles,
                "purpose": "analytics"})
            assert_eq(status, 200)
            singles += 1
        out, err = imp.communicate()
        assert_eq(imp.returncode, 0, err)
        assert "30000 accepted, 0 rejected" in out, out
        status, body = d.request("GET", "/v1/entries?start=0&end=1")
        assert_eq(body["size"], 30000 + singles)
        status, st = d.request("GET", "/v1/consents/bulk-29999")
        assert_eq(st["purposes"][0]["status"], "active")
        status, st = d.request("GET", "/v1/consents/single-%d" % (singles - 1))
        assert_eq(st["purposes"][0]["status"], "active")
        vkey = os.path.join(d.tmp, "vkey")
        with open(vkey, "w") as f:
            f.write(d.ctl("ledger", "key", check=0).stdout)
        assert_eq(d.stop(), 0)
        p = verify_db(d, vkey)
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
    finally:
        d.cleanup()


def test_sigterm_during_bulk_import():
    # Stopping while requests are queued and answers are on their way: the
    # daemon commits what it acknowledged, answers or drops the rest
    # without leaking (the sanitizer build checks), exits 0, and the
    # ledger verifies.
    d = Daemon().start()
    try:
        csv = os.path.join(d.tmp, "bulk.csv")
        with open(csv, "w") as f:
            f.write("subject,purpose\n")
            for i in range(60000):
                f.write("stop-%d,train_ai_system\n" % i)
        vkey = os.path.join(d.tmp, "vkey")
        with open(vkey, "w") as f:
            f.write(d.ctl("ledger", "key", check=0).stdout)
        imp = subprocess.Popen([CONSENTCTL, "--socket", d.socket, "consent",
                                "import", csv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)
        assert_eq(d.stop(), 0)
        out, _ = imp.communicate(timeout=30)
        accepted = int(out.split(" accepted")[0].split()[-1])
        p = verify_db(d, vkey)
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
        # Every acknowledged event is in the log.
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        n = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        db.close()
        assert n >= accepted, (n, accepted)
    finally:
        d.cleanup()


def test_erasure_unlinks_and_still_verifies():
    d, vkey = populated()
    try:
        d.start()
        assert_eq(d.ctl("consent", "show", "carol").returncode, 1)
        assert_eq(d.ctl("subject", "erase", "carol").returncode, 2)
        entries = d.request("GET", "/v1/entries")[1]["entries"]
        assert_eq(entries[-1]["kind"], "erasure")
        # No entry holds a subject id; the erased token is gone from the map.
        raw = b"".join(base64.b64decode(e["leaf"]) for e in entries)
        for name in (b"alice", b"bob", b"carol"):
            assert name not in raw, name
        d.stop()
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        assert_eq(db.execute("select count(*) from subjects").fetchone()[0], 2)
        db.close()
        p = verify_db(d, vkey)
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
    finally:
        d.cleanup()


def test_proofs_receipts_and_go_compatible_checkpoint():
    d = Daemon().start()
    try:
        for i in range(13):
            d.ctl("consent", "grant", "s%d" % i, "train_ai_system", check=0)
        wait_checkpoint(d, 13)
        cp = ctl_json(d, "ledger", "checkpoint")
        lines = cp["note"].split("\n")
        assert_eq(lines[0], "consentd.local/ledger")
        assert_eq(lines[1], "13")
        assert lines[4].startswith("\u2014 consentd.local/ledger "), lines
        vkey = d.ctl("ledger", "key", check=0).stdout.strip()
        assert vkey.startswith("consentd.local/ledger+"), vkey
        # Inclusion proofs verify against the signed root (checked here in
        # Python, independently of the C code).
        entries = d.request("GET", "/v1/entries")[1]["entries"]
        root = base64.b64decode(cp["root"])
        for e in entries:
            pr = ctl_json(d, "ledger", "prove", str(e["index"]))
            h = leaf_hash(base64.b64decode(e["leaf"]))
            assert_eq(base64.b64decode(pr["leaf_hash"]), h)
            idx, size = e["index"], pr["size"]
            proof = [base64.b64decode(x) for x in pr["proof"]]
            assert_eq(rfc9162_root_from_inclusion(h, idx, size, proof), root)
        cons = ctl_json(d, "ledger", "consistency", "5", "13")
        assert len(cons["proof"]) > 0
        assert_eq(d.ctl("ledger", "prove", "13").returncode, 2)
        assert_eq(d.ctl("ledger", "consistency", "9", "5").returncode, 2)
        # Receipts verify offline, and a forged one does not.
        receipt = os.path.join(d.tmp, "receipt.json")
        with open(receipt, "w") as f:
            f.write(d.ctl("ledger", "receipt", "4", "--kantara", check=0).stdout)
        keyfile = os.path.join(d.tmp, "vkey")
        with open(keyfile, "w") as f:
            f.write(vkey + "\n")
        assert_eq(d.ctl("ledger", "verify-receipt", receipt, "--key",
                        keyfile).returncode, 0)
        doc = json.load(open(receipt))
        assert_eq(doc["version"], "KI-CR-v1.1.0")
        assert_eq(doc["services"][0]["purposes"][0]["purpose"], "train_ai_system")
        # Readable fields that disagree with the proven entry.
        doc = json.load(open(receipt))
        doc["services"][0]["purposes"][0]["purpose"] = "marketing"
        with open(receipt + ".2", "w") as f:
            json.dump(doc, f)
        assert_eq(d.ctl("ledger", "verify-receipt", receipt + ".2", "--key",
                        keyfile).returncode, 1)
        doc = json.load(open(receipt))
        other = base64.b64decode(entries[5]["leaf"])
        doc["consentd"]["leaf"] = base64.b64encode(other).decode()
        with open(receipt, "w") as f:
            json.dump(doc, f)
        assert_eq(d.ctl("ledger", "verify-receipt", receipt, "--key",
                        keyfile).returncode, 1)
        tp = os.path.join(d.tmp, "receipt.tlog")
        with open(tp, "w") as f:
            f.write(d.ctl("ledger", "receipt", "4", check=0).stdout)
        assert open(tp).read().startswith("c2sp.org/tlog-proof@v1\nindex 4\n")
        assert_eq(d.ctl("ledger", "verify-receipt", tp, "--key", keyfile,
                        "--entry", entries[4]["leaf"]).returncode, 0)
        assert_eq(d.ctl("ledger", "verify-receipt", tp, "--key", keyfile,
                        "--entry", entries[3]["leaf"]).returncode, 1)
    finally:
        d.cleanup()


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


def test_export_and_offline_verify():
    d, vkey = populated(n_extra=300)
    try:
        out = os.path.join(d.tmp, "export.jsonl")
        p = subprocess.run([CONSENTCTL, "ledger", "export", "--db",
                            os.path.join(d.state, "ledger.db"), "-o", out],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stderr)
        lines = [json.loads(l) for l in open(out)]
        ents = [l for l in lines if "leaf" in l]
        assert_eq(len(ents), 305)
        assert_eq(ents[0]["entry"]["event"], "grant")
        assert base64.b64decode(ents[0]["leaf"]).startswith(
            b"consentd-entry/v1 consent\n")
        p = subprocess.run([CONSENTCTL, "ledger", "verify", "--export", out,
                            "--key", vkey], capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stdout + p.stderr)
        # An altered export fails and names the entry.
        ents[100]["leaf"] = base64.b64encode(
            base64.b64decode(ents[100]["leaf"]).replace(b"grant", b"grunt")
        ).decode()
        bad = os.path.join(d.tmp, "bad.jsonl")
        with open(bad, "w") as f:
            for l in lines:
                f.write(json.dumps(ents[100] if l.get("index") == 100 else l) + "\n")
        p = subprocess.run([CONSENTCTL, "--json", "ledger", "verify",
                            "--export", bad, "--key", vkey],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 1, p.stdout)
        assert_eq(json.loads(p.stdout)["ok"], False)
        # Changing only the decoded fields (what a reader sees) fails too.
        lines2 = [json.loads(l) for l in open(out)]
        for l in lines2:
            if l.get("index") == 3:
                l["entry"]["purpose"] = "something_else"
        shown = os.path.join(d.tmp, "shown.jsonl")
        with open(shown, "w") as f:
            for l in lines2:
                f.write(json.dumps(l) + "\n")
        p = subprocess.run([CONSENTCTL, "ledger", "verify", "--export", shown,
                            "--key", vkey], capture_output=True, text=True)
        assert_eq(p.returncode, 1, p.stdout)
        assert "decoded fields do not match" in p.stdout, p.stdout
        # A truncated export against a checkpoint kept from before.
        cpfile = os.path.join(d.tmp, "cp.note")
        with open(cpfile, "w") as f:
            f.write([l for l in lines if "checkpoint" in l][-1]["checkpoint"])
        short = os.path.join(d.tmp, "short.jsonl")
        with open(short, "w") as f:
            for l in (json.loads(x) for x in open(out)):
                if "leaf" in l and l["index"] >= 200:
                    continue
                if "checkpoint" in l and l["size"] > 200:
                    continue
                f.write(json.dumps(l) + "\n")
        p = subprocess.run([CONSENTCTL, "ledger", "verify", "--export", short,
                            "--key", vkey, "--checkpoint", cpfile],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 1, p.stdout)
        assert "removed" in p.stdout, p.stdout
        # Usage errors.
        p = subprocess.run([CONSENTCTL, "ledger", "verify", "--export", out],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 2)
        p = subprocess.run([CONSENTCTL, "ledger", "verify", "--export",
                            out + ".missing", "--key", vkey],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 2)
    finally:
        d.cleanup()


def tamper(d, *sql):
    db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
    for s in ("DROP TRIGGER IF EXISTS entries_append_only",
              "DROP TRIGGER IF EXISTS entries_no_delete",
              "DROP TRIGGER IF EXISTS hashes_append_only",
              "DROP TRIGGER IF EXISTS hashes_no_delete") + sql:
        db.execute(s)
    db.commit()
    db.close()


def expect_tamper_detected(sql, expect_index, expect_text, n_extra=40):
    d, vkey = populated(n_extra=n_extra)
    try:
        assert_eq(verify_db(d, vkey).returncode, 0)
        if callable(sql):
            sql(d)
        else:
            tamper(d, *sql)
        p = subprocess.run([CONSENTCTL, "--json", "ledger", "verify", "--db",
                            os.path.join(d.state, "ledger.db"), "--key", vkey],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 1, p.stdout + p.stderr)
        r = json.loads(p.stdout)
        assert expect_text in r["message"], r["message"]
        if expect_index is not None:
            assert_eq(r.get("bad_index"), expect_index, r["message"])
        # The daemon refuses to run on an altered log (the derived index
        # is rebuilt by reindex, not refused).
        if expect_text != "consent index":
            start = subprocess.run(d.command(), capture_output=True,
                                   text=True, timeout=30, env=d.env)
            assert_eq(start.returncode, 1, start.stderr)
            assert "Refusing to start" in start.stderr, start.stderr
    finally:
        d.cleanup()


def test_tamper_changed_entry():
    expect_tamper_detected(
        ["UPDATE entries SET data = replace(data, 'grant', 'grunt') WHERE idx = 20"],
        20, "entry 20")


def test_tamper_changed_entry_and_hash():
    def fn(d):
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        data = db.execute("select data from entries where idx=20").fetchone()[0]
        new = bytes(data).replace(b"train_ai_system", b"train_ai_systen")
        db.close()
        lh = leaf_hash(new)
        # Level-0 stored index of leaf 20 (x/mod/sumdb/tlog numbering):
        # 2*20 - popcount(20) = 38.
        tamper(d, "UPDATE entries SET data = x'%s' WHERE idx = 20" % new.hex(),
               "UPDATE hashes SET hash = x'%s' WHERE id = 38" % lh.hex())
    expect_tamper_detected(fn, 20, "entry 20 was altered")


def test_tamper_deleted_entry():
    expect_tamper_detected(["DELETE FROM entries WHERE idx = 7"], 7,
                           "entry 7 is missing")


def test_tamper_reordered_entries():
    def fn(d):
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        a = db.execute("select data from entries where idx=10").fetchone()[0]
        b = db.execute("select data from entries where idx=11").fetchone()[0]
        db.close()
        tamper(d, "UPDATE entries SET data = x'%s' WHERE idx = 10" % bytes(b).hex(),
               "UPDATE entries SET data = x'%s' WHERE idx = 11" % bytes(a).hex())
    expect_tamper_detected(fn, 10, "entry 10")


def test_tamper_inserted_entry():
    def fn(d):
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        rows = db.execute("select idx, data from entries where idx >= 12 "
                          "order by idx desc").fetchall()
        db.close()
        forged = bytes(rows[-1][1]).replace(b"grant", b"grunt")
        stmts = ["UPDATE entries SET idx = %d WHERE idx = %d" % (i + 1, i)
                 for i, _ in rows]
        stmts.append("INSERT INTO entries(idx, data) VALUES (12, x'%s')"
                     % forged.hex())
        tamper(d, *stmts)
    expect_tamper_detected(fn, None, "")


def test_tamper_truncated_tail():
    def fn(d):
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        n = db.execute("select max(idx) from entries").fetchone()[0]
        db.close()
        # Drop the last two entries, their hashes, and the checkpoints
        # that covered them: only a kept checkpoint reveals this.
        tamper(d, "DELETE FROM entries WHERE idx >= %d" % (n - 1),
               "DELETE FROM checkpoints WHERE size > %d" % (n - 1))
    d, vkey = populated(n_extra=10)
    try:
        note = json.loads(subprocess.run(
            [CONSENTCTL, "ledger", "export", "--db",
             os.path.join(d.state, "ledger.db")],
            capture_output=True, text=True).stdout.splitlines()[-1])["checkpoint"]
        cpfile = os.path.join(d.tmp, "kept.note")
        with open(cpfile, "w") as f:
            f.write(note)
        fn(d)
        p = verify_db(d, vkey, "--checkpoint", cpfile)
        assert_eq(p.returncode, 1, p.stdout)
        assert "entries were removed" in p.stdout, p.stdout
    finally:
        d.cleanup()


def test_tamper_swapped_key():
    d, vkey = populated(n_extra=5)
    try:
        other = os.path.join(d.tmp, "other.key")
        p = subprocess.run([CONSENTCTL, "keygen", other], capture_output=True,
                           text=True)
        assert_eq(p.returncode, 0, p.stderr)
        other_vkey = os.path.join(d.tmp, "other.vkey")
        with open(other_vkey, "w") as f:
            f.write(p.stdout)
        p = verify_db(d, other_vkey)
        assert_eq(p.returncode, 1, p.stdout)
        assert "not a checkpoint signed by key" in p.stdout, p.stdout
        # A ledger key swapped on disk: the daemon refuses its own history.
        shutil.copy(other, os.path.join(d.state, "ledger.key"))
        start = subprocess.run(d.command(), capture_output=True, text=True,
                               timeout=30)
        assert_eq(start.returncode, 1)
        assert "not signed by this ledger's key" in start.stderr, start.stderr
    finally:
        d.cleanup()


def test_tamper_derived_index():
    expect_tamper_detected(
        ["UPDATE consent_events SET kind = 1 WHERE idx = 2"], 2,
        "consent index")


def test_tamper_subject_map():
    d, vkey = populated()
    try:
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        db.execute("UPDATE subjects SET token = randomblob(16)")
        db.commit()
        db.close()
        start = subprocess.run(d.command(), capture_output=True, text=True,
                               timeout=30)
        assert_eq(start.returncode, 1)
        assert "subject map was tampered with" in start.stderr, start.stderr
    finally:
        d.cleanup()


def test_missing_keys_on_a_ledger_with_history():
    d, vkey = populated()
    try:
        os.rename(os.path.join(d.state, "ledger.key"),
                  os.path.join(d.state, "ledger.key.bak"))
        p = subprocess.run(d.command(), capture_output=True, text=True,
                           timeout=30)
        assert_eq(p.returncode, 1)
        assert "signing key" in p.stderr and "is missing" in p.stderr, p.stderr
        assert not os.path.exists(os.path.join(d.state, "ledger.key"))
        os.rename(os.path.join(d.state, "ledger.key.bak"),
                  os.path.join(d.state, "ledger.key"))
        os.remove(os.path.join(d.state, "subject.key"))
        p = subprocess.run(d.command(), capture_output=True, text=True,
                           timeout=30)
        assert_eq(p.returncode, 1)
        assert "subject-map secret" in p.stderr, p.stderr
    finally:
        d.cleanup()


def test_key_file_permissions():
    d = Daemon().start()
    try:
        d.stop()
        os.chmod(os.path.join(d.state, "ledger.key"), 0o644)
        start = subprocess.run(d.command(), capture_output=True, text=True,
                               timeout=30)
        assert_eq(start.returncode, 1)
        assert "refusing a secret that others can read" in start.stderr, \
            start.stderr
        os.chmod(os.path.join(d.state, "ledger.key"), 0o600)
        os.chmod(os.path.join(d.state, "subject.key"), 0o640)
        start = subprocess.run(d.command(), capture_output=True, text=True,
                               timeout=30)
        assert_eq(start.returncode, 1)
        assert "subject.key" in start.stderr, start.stderr
        assert_eq(os.stat(os.path.join(d.state, "ledger.db")).st_mode & 0o077, 0)
    finally:
        d.cleanup()


def test_keygen_and_configured_origin():
    d = Daemon(config="ledger:\n  origin: consentd.example.org/ledger\n")
    try:
        os.makedirs(d.state, mode=0o700)
        p = subprocess.run([CONSENTCTL, "keygen", "--origin",
                            "consentd.example.org/ledger",
                            os.path.join(d.state, "ledger.key")],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stderr)
        vkey = p.stdout.strip()
        assert vkey.startswith("consentd.example.org/ledger+")
        assert_eq(os.stat(os.path.join(d.state, "ledger.key")).st_mode & 0o777, 0o600)
        p = subprocess.run([CONSENTCTL, "keygen", os.path.join(d.state, "ledger.key")],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 2)
        assert "refusing to overwrite" in p.stderr
        d.start()
        assert_eq(d.ctl("ledger", "key", check=0).stdout.strip(), vkey)
        d.ctl("consent", "grant", "a", "train_ai_system", check=0)
        note = wait_checkpoint(d, 1)["note"]
        assert note.startswith("consentd.example.org/ledger\n1\n"), note
    finally:
        d.cleanup()


def test_kill9_during_concurrent_appends():
    """Every acknowledged entry survives kill -9, and the ledger verifies."""
    d = Daemon().start()
    acked = {}
    lock = threading.Lock()
    rng = random.Random(42)
    try:
        vkey = os.path.join(d.tmp, "vkey")
        with open(vkey, "w") as f:
            f.write(d.ctl("ledger", "key", check=0).stdout)
        trials = int(os.environ.get("KILL_TRIALS", "20"))
        for trial in range(trials):
            stop = threading.Event()

            def client(cid):
                n = 0
                while not stop.is_set():
                    n += 1
                    ev = {"subject": "t%d-c%d-%d" % (trial, cid, n),
                          "purpose": "train_ai_system"}
                    try:
                        status, body = d.request("POST", "/v1/consents",
                                                 body=ev, timeout=5)
                    except Exception:  # noqa: BLE001 - the daemon died
                        return
                    if status == 200:
                        with lock:
                            acked[body["entries"][0]["index"]] = \
                                body["entries"][0]["leaf_hash"]
            threads = [threading.Thread(target=client, args=(c,))
                       for c in range(8)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.05, 0.4))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            d.log.close()
            d.start()
        status, body = d.request("GET", "/v1/entries?start=0&end=1")
        size = body["size"]
        assert len(acked) > trials, "too few appends: %d" % len(acked)
        for idx, lh in acked.items():
            assert idx < size, "acknowledged entry %d lost (size %d)" % (idx, size)
        # Spot-check the hashes of acknowledged entries.
        for idx in rng.sample(sorted(acked), min(200, len(acked))):
            e = d.request("GET", "/v1/entries?start=%d&end=%d" % (idx, idx + 1))[1]
            got = leaf_hash(base64.b64decode(e["entries"][0]["leaf"]))
            assert_eq(base64.b64encode(got).decode(), acked[idx])
        assert_eq(d.ctl("ledger", "verify").returncode, 0)
        d.stop()
        p = verify_db(d, vkey)
        assert_eq(p.returncode, 0, p.stdout)
    finally:
        d.cleanup()


def test_checkpoint_rate_limit_and_group_commit():
    d = Daemon(config="ledger:\n  checkpoint_interval: 200ms\n").start()
    try:
        events = [{"subject": "g%d" % i, "purpose": "train_ai_system"}
                  for i in range(50)]
        errors = []

        def post(ev):
            s, _ = d.request("POST", "/v1/consents", body=ev)
            if s != 200:
                errors.append(s)
        threads = [threading.Thread(target=post, args=(e,)) for e in events]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        wait_checkpoint(d, 50)
        status, h = d.request("GET", "/v1/health")
        d.stop()
        db = sqlite3.connect(os.path.join(d.state, "ledger.db"))
        sizes = [r[0] for r in db.execute("select size from checkpoints order by size")]
        times = [r[0] for r in db.execute("select created_at from checkpoints order by size")]
        db.close()
        # Fewer checkpoints than appends, at least 200 ms apart, the last
        # one covering everything.
        assert len(sizes) < 50, sizes
        assert_eq(sizes[-1], 50)
        for a, b in zip(times[1:], times[2:]):
            assert b - a >= 190000, (a, b)
    finally:
        d.cleanup()


run_tests([
    test_consent_lifecycle_and_history,
    test_api_validation_is_all_or_nothing,
    test_import_reports_bad_rows,
    test_import_writes_values_as_they_are,
    test_import_sequence_headers,
    test_import_in_order_across_requests,
    test_bulk_and_single_appends_together,
    test_sigterm_during_bulk_import,
    test_erasure_unlinks_and_still_verifies,
    test_proofs_receipts_and_go_compatible_checkpoint,
    test_export_and_offline_verify,
    test_tamper_changed_entry,
    test_tamper_changed_entry_and_hash,
    test_tamper_deleted_entry,
    test_tamper_reordered_entries,
    test_tamper_inserted_entry,
    test_tamper_truncated_tail,
    test_tamper_swapped_key,
    test_tamper_derived_index,
    test_tamper_subject_map,
    test_missing_keys_on_a_ledger_with_history,
    test_key_file_permissions,
    test_keygen_and_configured_origin,
    test_kill9_during_concurrent_appends,
    test_checkpoint_rate_limit_and_group_commit,
])
