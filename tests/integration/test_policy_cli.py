"""consentctl policy validate|test and consentctl evaluate, offline: output,
every error with its position, exit statuses, and never allow on doubt."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import CONSENTCTL, SRCDIR, assert_eq, run_tests

POLICIES = os.path.join(SRCDIR, "policies")


def ctl(*args):
    p = subprocess.run([CONSENTCTL] + list(args), capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def skip_unless_available():
    if not os.access(CONSENTCTL, os.X_OK):
        print("SKIP: %s not built" % CONSENTCTL)
        sys.exit(77)
    if subprocess.run([CONSENTCTL, "policy", "--help"],
                      capture_output=True).returncode != 0:
        print("SKIP: %s has no policy command" % CONSENTCTL)
        sys.exit(77)


class Scratch:
    """A temporary directory with files written into it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="consentctl-policy-")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir)


DATA = ("user_id,email,age_band,collected_at\n"
        "u1,first@example.com,30-39,2026-01-01T00:00:00Z\n"
        "u2,,30-39,2026-02-01T00:00:00Z\n")

MANIFEST = """dataset: signups
path: signups.csv
subject_field: user_id
fields:
  user_id: { category: user.unique_id }
  age_band: { category: user.demographic.age_range }
  collected_at: { role: timestamp }
"""

FRESH = """name: fresh-only
rules:
  - name: fresh
    retention: { max_age: 730d }
"""

NO_PII = """name: no-pii
rules:
  - name: no-email
    pii: { detect: [email] }
"""

CONSENT = """name: consented
rules:
  - name: consented
    consent: { max_missing: 0 }
"""


def test_validate_shipped():
    files = sorted(os.path.join(POLICIES, f) for f in os.listdir(POLICIES)
                   if f.endswith(".yaml"))
    assert len(files) >= 3
    rc, out, err = ctl("policy", "validate", *files)
    assert_eq(rc, 0, err)
    for f in files:
        assert "%s: ok\n" % f in out, out


def test_validate_reports_every_error():
    with Scratch() as s:
        bad = s.write("bad.yaml", "name: p\n"
                      "mode: strict\n"
                      "rules:\n"
                      "  - name: a\n"
                      "    pii: { detect: [emial] }\n"
                      "  - name: a\n"
                      "    retention: { max_age: soon }\n")
        good = s.write("good.yaml", FRESH)
        rc, out, err = ctl("policy", "validate", good, bad)
        assert_eq(rc, 2, out + err)
        assert_eq(out, "%s: ok\n" % good)
        lines = err.splitlines()
        assert_eq(len(lines), 4, err)
        assert lines[0].startswith(bad + ":2:7: unknown mode 'strict'"), err
        assert lines[1].startswith(bad + ":5:21: unknown detector 'emial'")
        assert lines[2].startswith(bad + ":6:11: duplicate rule name 'a'")
        assert lines[3].startswith(bad + ":7:27: expected a duration"), err

        rc, out, err = ctl("--json", "policy", "validate", good, bad)
        assert_eq(rc, 2)
        doc = json.loads(out)
        assert_eq([d["ok"] for d in doc], [True, False])
        assert_eq(len(doc[0]["sha256"]), 64)
        assert_eq([(e["line"], e["column"]) for e in doc[1]["errors"]],
                  [(2, 7), (5, 21), (6, 11), (7, 27)])


def test_validate_manifest():
    with Scratch() as s:
        m = s.write("m.yaml", MANIFEST.replace(
            "user.demographic.age_range", "user.demographic.age_bracket"))
        rc, out, err = ctl("policy", "validate", m)
        assert_eq(rc, 0, err)
        assert_eq(out, "%s: ok\n" % m)
        assert ("%s:6:25: warning: data category "
                "'user.demographic.age_bracket' is not in the fideslang "
                "taxonomy" % m) in err, err
        bad = s.write("bad.yaml", "dataset: d\npath: /etc/passwd\n")
        rc, out, err = ctl("policy", "validate", "--manifest", bad)
        assert_eq(rc, 2)
        assert "%s:2:7: absolute path '/etc/passwd'" % bad in err, err
        rc, out, err = ctl("policy", "validate", "--policy", bad)
        assert_eq(rc, 2)
        assert "a policy needs 'rules'" in err, err


def evaluate(s, policies, *extra):
    s.write("signups.csv", DATA)
    m = s.write("signups.yaml", MANIFEST)
    args = ["evaluate", "--manifest", m, "--purpose", "train_ai_system",
            "--at", "2026-11-29T00:00:00Z"]
    for i, text in enumerate(policies):
        args += ["--policy", s.write("p%d.yaml" % i, text)]
    return ctl(*(args + list(extra)))


def test_evaluate_allow():
    with Scratch() as s:
        rc, out, err = evaluate(s, [FRESH])
        assert_eq(rc, 0, out + err)
        assert out.startswith("decision: allow\n"), out
        assert "pass          fresh" in out, out
        assert "dataset signups:" in out and "2 rows" in out, out


def test_evaluate_deny_json():
    with Scratch() as s:
        rc, out, err = evaluate(s, [FRESH, NO_PII])
        assert_eq(rc, 1, out + err)
        assert "first@example.com" not in out
        rc, out, err = evaluate(s, [FRESH, NO_PII], "--json")
        # --json is global: after the command it is a usage error.
        assert_eq(rc, 2)
        rc, out, err = ctl("--json", "evaluate", "--manifest",
                           os.path.join(s.dir, "signups.yaml"), "--policy",
                           os.path.join(s.dir, "p1.yaml"), "--at",
                           "2026-11-29T00:00:00Z")
        assert_eq(rc, 1, err)
        doc = json.loads(out)
        assert_eq(doc["decision"], "deny")
        rule = doc["policies"][0]["rules"][0]
        assert_eq(rule["outcome"], "fail")
        assert_eq(rule["evidence"]["columns"][0]["column"], "email")
        assert_eq(rule["evidence"]["columns"][0]["lines"], [2])
        assert_eq(doc["datasets"][0]["rows"], 2)
        assert_eq(len(doc["datasets"][0]["fingerprint"]), 64)
        assert "first@example.com" not in out


def test_evaluate_consent_never_allows():
    with Scratch() as s:
        rc, out, err = evaluate(s, [CONSENT])
        assert_eq(rc, 3, out + err)
        assert out.startswith("decision: error\n"), out
        assert "not_evaluated consented" in out, out
        # A ledger that cannot be opened fails closed too.
        rc, out, err = evaluate(s, [CONSENT], "--ledger",
                                os.path.join(s.dir, "missing.db"))
        assert_eq(rc, 3, out + err)
        assert "cannot open the ledger" in err, err
        assert "decision: allow" not in out


def test_evaluate_unreadable_is_error():
    with Scratch() as s:
        s.write("signups.yaml", MANIFEST.replace("signups.csv", "gone.csv"))
        rc, out, err = ctl("evaluate", "--manifest",
                           os.path.join(s.dir, "signups.yaml"), "--policy",
                           s.write("p.yaml", FRESH))
        assert_eq(rc, 3, out + err)
        assert "error         read" in out, out


def test_evaluate_bad_input():
    with Scratch() as s:
        rc, out, err = evaluate(s, ["name: x\nrules: []\n"])
        assert_eq(rc, 2)
        assert ":2:8: expected a non-empty list of rules" in err, err
        rc, out, err = evaluate(s, [FRESH], "--at", "yesterday")
        assert_eq(rc, 2)
        rc, out, err = ctl("evaluate", "--policy", s.write("p.yaml", FRESH))
        assert_eq(rc, 2)
        rc, out, err = ctl("evaluate", "--help")
        assert_eq(rc, 0)
        assert "--ledger DB" in out


def test_policy_test_runner():
    rc, out, err = ctl("policy", "test", POLICIES)
    assert_eq(rc, 0, out + err)
    assert "PASS gdpr-clean\n" in out, out
    assert " 0 failed" in out, out
    with Scratch() as s:
        s.write("signups.csv", DATA)
        s.write("signups.yaml", MANIFEST)
        s.write("fresh.yaml", FRESH)
        s.write("tests/ok.yaml", """policies: [../fresh.yaml]
manifests: [../signups.yaml]
purpose: train_ai_system
at: 2026-11-29T00:00:00Z
expect: { decision: allow, rules: { fresh: pass } }
""")
        s.write("tests/wrong.yaml", """name: wrong-expectation
policies: [../fresh.yaml]
manifests: [../signups.yaml]
purpose: train_ai_system
at: 2030-01-01T00:00:00Z
expect: { decision: allow, rules: { fresh: pass, gone: pass } }
""")
        rc, out, err = ctl("policy", "test", s.dir)
        assert_eq(rc, 1, out + err)
        assert "PASS ok\n" in out, out
        assert ("FAIL wrong-expectation: expected decision allow, got deny"
                in out), out
        assert "rule 'fresh': expected pass, got fail" in out, out
        assert ("rule 'gone': expected pass, but no applicable policy has it"
                in out), out
        assert "2 tests: 1 passed, 1 failed\n" in out, out
        rc, out, err = ctl("--json", "policy", "test", s.dir)
        assert_eq(rc, 1)
        doc = json.loads(out)
        assert_eq((doc["passed"], doc["failed"]), (1, 1))
        bad = s.write("tests/zz-invalid.yaml", "policies: [../fresh.yaml]\n"
                      "manifests: [../signups.yaml]\n"
                      "expect: { decision: maybe }\n")
        rc, out, err = ctl("policy", "test", s.dir)
        assert_eq(rc, 2, out + err)
        assert "ERROR zz-invalid" in out, out
        assert "%s:1:1: a test case needs 'at'" % bad in err, err
        rc, out, err = ctl("policy", "test", os.path.join(s.dir, "none"))
        assert_eq(rc, 2)


if __name__ == "__main__":
    skip_unless_available()
    run_tests([
        test_validate_shipped,
        test_validate_reports_every_error,
        test_validate_manifest,
        test_evaluate_allow,
        test_evaluate_deny_json,
        test_evaluate_consent_never_allows,
        test_evaluate_unreadable_is_error,
        test_evaluate_bad_input,
        test_policy_test_runner,
    ])
