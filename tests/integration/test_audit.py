"""Auditor queries: consentctl log (filters, text, CSV, JSON, offline) and
consentctl report (text, JSON, self-contained HTML) over the demo's
scenario."""

import atexit
import csv
import io
import json
import os
import sqlite3
import subprocess
import time
from html.parser import HTMLParser

from harness import CONSENTCTL, Daemon, demo_scenario, assert_eq, run_tests

# Never applies to the demo's jobs; its version exercises CSV and HTML
# quoting.
QUOTING_POLICY = """\
name: marketing-audit
version: '1, "draft" <b>&'
mode: audit
match: { purposes: [marketing] }
rules:
  - name: budget
    dp_budget: { epsilon: 1, delta: 1e-6, scope: dataset, accountant: rdp }
"""

CSV_HEADER = ["index", "time", "kind", "subject", "purpose", "event", "job",
              "decision", "budget", "summary"]

_scenario = None


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%06dZ" % int((t % 1) * 1e6)


def scenario():
    """demo.sh's story on one daemon: 20 consents, an allowed check, a
    check denied for PII, a settlement, a check denied by the budget, then
    (after t_mid) a revocation, a check denied for it, and an erasure."""
    global _scenario
    if _scenario:
        return _scenario
    d = demo_scenario(Daemon(),
                      extra={"marketing-audit.yaml": QUOTING_POLICY})
    data = d.data
    d.start()
    atexit.register(d.cleanup)
    d.ctl("consent", "import", os.path.join(data, "consents.csv"), check=0)
    d.ctl("check", os.path.join(data, "job-train.yaml"), check=0)
    d.ctl("check", os.path.join(data, "job-pii.yaml"), check=1)
    d.ctl("job", "finish", "sentiment-ft-0001", "--steps", "800", check=0)
    d.ctl("check", os.path.join(data, "job-budget.yaml"), check=1)
    time.sleep(1.1)
    d.t_mid = utc(time.time())
    time.sleep(1.1)
    d.token7 = d.request("GET", "/v1/consents/u-0007")[1]["token"]
    d.token3 = d.request("GET", "/v1/consents/u-0003")[1]["token"]
    d.ctl("consent", "revoke", "u-0007", "train_ai_system", check=0)
    d.ctl("check", os.path.join(data, "job-after-revoke.yaml"), check=1)
    d.ctl("subject", "erase", "u-0003", check=0)
    d.size = d.request("GET", "/v1/entries?start=0&end=0")[1]["size"]
    _scenario = d
    return d


def log_json(d, *args, check=0):
    p = d.ctl("--json", "log", *args, check=check)
    return json.loads(p.stdout)


def text_lines(d, *args, check=0):
    p = d.ctl("log", *args, check=check)
    return [l for l in p.stdout.splitlines() if l]


def test_log_all_and_json():
    d = scenario()
    entries = log_json(d)
    assert_eq([e["index"] for e in entries], list(range(d.size)))
    kinds = [e["kind"] for e in entries]
    assert_eq(kinds.count("policy"), 2)
    assert_eq(kinds.count("consent"), 21)
    assert_eq(kinds.count("decision"), 4)
    assert_eq(kinds.count("budget_settle"), 1)
    assert_eq(kinds.count("erasure"), 1)
    for e in entries:
        assert set(e) >= {"index", "kind", "leaf", "entry", "time"}, e
        if e["kind"] == "decision":
            assert_eq(e["time"], e["entry"]["decided"])
            assert "time_inherited" not in e
        elif e["kind"] in ("consent", "erasure"):
            assert_eq(e["time"], e["entry"]["recorded"])
        else:
            # policy, budget_settle: no time of their own.
            assert_eq(e.get("time_inherited"), True, e["kind"])
            assert e["time"], e
    # The same entries the daemon serves.
    _, page = d.request("GET", "/v1/entries?start=0&end=%d" % d.size)
    for mine, theirs in zip(entries, page["entries"]):
        assert_eq(mine["leaf"], theirs["leaf"])
    lines = text_lines(d)
    assert_eq(len(lines), d.size)
    assert lines[0].split()[0] == "0", lines[0]


def test_log_kind():
    d = scenario()
    lines = text_lines(d, "--kind", "decision")
    assert_eq(len(lines), 4)
    for l in lines:
        assert_eq(l.split()[2], "decision")
    a = log_json(d, "--kind", "consent,erasure")
    b = log_json(d, "--kind", "consent", "--kind", "erasure")
    assert_eq(a, b)
    assert_eq(len(a), 22)
    assert_eq({e["kind"] for e in a}, {"consent", "erasure"})
    assert_eq(len(log_json(d, "--kind", "budget_settle")), 1)
    assert_eq(d.ctl("log", "--kind", "budget_release").returncode, 1)
    p = d.ctl("log", "--kind", "consents")
    assert_eq(p.returncode, 2, p.stderr)


def test_log_job_and_decision():
    d = scenario()
    e = log_json(d, "--job", "sentiment-ft-0001")
    assert_eq([x["kind"] for x in e], ["decision", "budget_settle"])
    assert_eq(e[1]["entry"]["steps"], 800)
    deny = log_json(d, "--decision", "deny")
    assert_eq([x["entry"]["job"] for x in deny],
              ["sentiment-ft-0003", "stats-release-0004", "sentiment-ft-0002"])
    allow = text_lines(d, "--decision", "allow")
    assert_eq(len(allow), 1)
    assert "allow job=sentiment-ft-0001" in allow[0], allow
    assert_eq(d.ctl("log", "--decision", "error").returncode, 1)
    assert_eq(d.ctl("log", "--decision", "maybe").returncode, 2)
    assert_eq(d.ctl("log", "--job", "no-such-job").returncode, 1)
    # Conditions combine.
    both = log_json(d, "--job", "sentiment-ft-0002", "--decision", "deny")
    assert_eq(len(both), 1)
    assert "consented" in both[0]["entry"]["reason"], both


def test_log_subject():
    d = scenario()
    # A revoked subject: its grant and its revocation, by token only.
    p = d.ctl("log", "--subject", "u-0007", check=0)
    assert "u-0007" not in p.stdout, p.stdout
    lines = [l for l in p.stdout.splitlines() if l]
    assert_eq(len(lines), 2)
    assert "grant purpose=train_ai_system subject=%s" % d.token7 in lines[0]
    assert "revoke purpose=train_ai_system subject=%s" % d.token7 in lines[1]
    e = log_json(d, "--subject", "u-0007")
    assert_eq([x["entry"]["event"] for x in e], ["grant", "revoke"])
    assert_eq({x["entry"]["subject"] for x in e}, {d.token7})
    assert_eq(e, log_json(d, "--subject-token", d.token7.upper()))
    # Erased: the id no longer leads anywhere; the token still does.
    p = d.ctl("log", "--subject", "u-0003")
    assert_eq(p.returncode, 1, p.stdout + p.stderr)
    assert_eq(p.stdout, "")
    assert_eq(log_json(d, "--subject", "u-0003", check=1), [])
    e = log_json(d, "--subject-token", d.token3)
    assert_eq([x["kind"] for x in e], ["consent", "erasure"])
    assert_eq(d.ctl("log", "--subject", "nobody").returncode, 1)
    assert_eq(d.ctl("log", "--subject-token", "xyz").returncode, 2)
    assert_eq(d.ctl("log", "--subject", "u-0007", "--subject-token",
                    d.token7).returncode, 2)


def test_log_time_window():
    d = scenario()
    after = log_json(d, "--since", d.t_mid)
    assert_eq([(x["kind"], x["entry"].get("event") or
                x["entry"].get("decision") or "") for x in after],
              [("consent", "revoke"), ("decision", "deny"), ("erasure", "")])
    before = log_json(d, "--until", d.t_mid)
    assert_eq(len(before) + len(after), d.size)
    assert_eq([x["index"] for x in before], list(range(len(before))))
    # Half-open: a window ending where the other starts shares nothing.
    both = log_json(d, "--since", "2000-01-01", "--until", d.t_mid,
                    "--kind", "consent")
    assert_eq(len(both), 20)
    assert_eq(d.ctl("log", "--since", "2999-01-01T00:00:00Z").returncode, 1)
    assert_eq(d.ctl("log", "--since", "1h").returncode, 0)
    assert_eq(d.ctl("log", "--since", "today").returncode, 0)
    for bad in ("yesterday-ish", "2026-13-01", "12", ""):
        p = d.ctl("log", "--since", bad)
        assert_eq(p.returncode, 2, (bad, p.stderr))
    assert_eq(d.ctl("log", "--until", "2020-01-01",
                    "--since", "2021-01-01").returncode, 2)


def csv_raw(d, *args, check=0):
    """The bytes as written: text mode would fold the CRLFs."""
    p = subprocess.run([CONSENTCTL, "--socket", d.socket, "log", "--csv"] +
                       list(args), capture_output=True, timeout=120)
    assert_eq(p.returncode, check, p.stderr)
    return p.stdout.decode()


def test_log_csv():
    d = scenario()
    raw = csv_raw(d)
    lines = raw.split("\r\n")
    assert_eq(lines[-1], "")
    assert_eq(len(lines), d.size + 2)
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert_eq(rows[0], CSV_HEADER)
    rows = rows[1:]
    assert_eq(len(rows), d.size)
    for r in rows:
        assert_eq(len(r), len(CSV_HEADER), r)
    entries = log_json(d)
    text = text_lines(d)
    for r, e, t in zip(rows, entries, text):
        assert_eq(int(r[0]), e["index"])
        assert_eq(r[1], e["time"])
        assert_eq(r[2], e["kind"])
        # The summary is the text line's.
        assert t.endswith(" " + r[9]), (t, r[9])
    revoke = [r for r in rows if r[5] == "revoke"]
    assert_eq(len(revoke), 1)
    assert_eq(revoke[0][3], d.token7)
    assert_eq(revoke[0][4], "train_ai_system")
    # A field with a comma, quotes and markup survives the quoting.
    pol = [r for r in rows if "marketing-audit" in r[9]]
    assert_eq(len(pol), 1)
    assert 'version=1, "draft" <b>&' in pol[0][9], pol
    assert '"load name=marketing-audit version=1, ""draft"" <b>&' in raw
    settle = [r for r in rows if r[2] == "budget_settle"][0]
    assert_eq((settle[6], settle[8]), ("sentiment-ft-0001", "dataset:reviews"))
    # Filters apply; no match still prints the header, exit 1.
    raw = csv_raw(d, "--kind", "decision", "--decision", "deny")
    assert_eq(len(list(csv.reader(io.StringIO(raw, newline="")))), 4)
    raw = csv_raw(d, "--job", "none", check=1)
    assert_eq(list(csv.reader(io.StringIO(raw, newline=""))), [CSV_HEADER])
    assert_eq(d.ctl("--json", "log", "--csv").returncode, 2)


def test_report_json():
    d = scenario()
    p = d.ctl("report", "--format", "json", check=0)
    rep = json.loads(p.stdout)
    assert_eq(rep, json.loads(d.ctl("--json", "report", check=0).stdout)
              | {"generated": rep["generated"]})
    assert_eq(rep["checks"], {"total": 4, "allow": 1, "deny": 3, "error": 0})
    assert_eq(sorted((x["policy"], x["rule"], x["count"])
                     for x in rep["denials_by_rule"]),
              [("gdpr-training-baseline", "budget", 1),
               ("gdpr-training-baseline", "consented", 1),
               ("gdpr-training-baseline", "no-raw-pii", 1)])
    c = rep["consents"]
    assert_eq((c["granted"], c["revoked"], c["expired"]), (20, 1, 0))
    assert_eq(c["bucket"], "day")
    assert_eq(sum(s["granted"] for s in c["series"]), 20)
    assert_eq(rep["erasures"], 1)
    assert_eq(rep["budget_settlements"], 1)
    assert_eq(sorted(x["name"] for x in rep["policies"]),
              ["gdpr-training-baseline", "marketing-audit"])
    assert_eq(rep["period"]["entries"], d.size)
    assert_eq(rep["period"]["ledger_entries"], d.size)
    _, daemon = d.request("GET", "/v1/budgets")
    assert_eq([b["name"] for b in rep["budgets"]],
              [b["name"] for b in daemon["budgets"]])
    b = rep["budgets"][0]
    want = daemon["budgets"][0]
    assert_eq(b["name"], "dataset:reviews")
    assert_eq(b["epsilon"], want["epsilon"])
    assert_eq(b["remaining_epsilon"], want["remaining_epsilon"])
    assert_eq(b["start_remaining"], b["epsilon"])
    burn = b["burndown"]
    assert_eq([(x["event"], x["job"]) for x in burn],
              [("reserve", "sentiment-ft-0001"),
               ("settle", "sentiment-ft-0001")])
    # After the reservation, the remaining epsilon is the limit less the
    # reservation; after the settlement, the daemon's remaining epsilon.
    assert abs(burn[0]["remaining"] - (b["epsilon"] - burn[0]["committed"])) < 1e-6
    assert burn[0]["remaining"] < b["epsilon"]
    assert abs(burn[-1]["remaining"] - want["remaining_epsilon"]) < 1e-9, burn
    # The window: only what happened after t_mid.
    rep = json.loads(d.ctl("--json", "report", "--since", d.t_mid,
                           check=0).stdout)
    assert_eq(rep["checks"], {"total": 1, "allow": 0, "deny": 1, "error": 0})
    assert_eq([x["rule"] for x in rep["denials_by_rule"]], ["consented"])
    assert_eq((rep["consents"]["granted"], rep["consents"]["revoked"]), (0, 1))
    assert_eq(rep["erasures"], 1)
    assert_eq(rep["budgets"][0]["burndown"], [])
    assert_eq(rep["period"]["since"], d.t_mid)
    # Text: the same figures.
    p = d.ctl("report", check=0)
    assert "total 4, allow 1, deny 3, error 0" in p.stdout, p.stdout
    assert "gdpr-training-baseline:no-raw-pii" in p.stdout
    assert "dataset:reviews (rdp)" in p.stdout


class StrictHTML(HTMLParser):
    """Checks that every element is closed in order."""
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.errors = [], [], []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if value and ("http:" in value or "https:" in value or
                          "url(" in value):
                self.errors.append("external reference in %s" % tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (
                tag, self.stack[-1] if self.stack else "nothing"))
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html(html):
    p = StrictHTML()
    p.feed(html)
    p.close()
    assert_eq(p.errors, [])
    assert_eq(p.stack, [])
    return p


def test_report_html():
    d = scenario()
    out = os.path.join(d.tmp, "report.html")
    p = d.ctl("report", "--format", "html", "-o", out, check=0)
    assert_eq(p.stdout, "")
    html = open(out, encoding="utf-8").read()
    assert html.startswith("<!DOCTYPE html>")
    parsed = parse_html(html)
    assert "<svg" in html
    assert_eq(parsed.tags.count("svg"), 2)  # consents, one budget
    assert "polyline" in parsed.tags and "rect" in parsed.tags
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html
    assert "u-00" not in html
    # Every string is escaped: the policy version appears as text only.
    assert "1, &quot;draft&quot; &lt;b&gt;&amp;" in html
    assert "<b>" not in html
    assert '1, "draft" <b>&' in "".join(parsed.text)
    assert "sentiment-ft-0001" in html and "dataset:reviews" in html
    # A subject's report names it by token only.
    p = d.ctl("report", "--format", "html", "--subject", "u-0007", check=0)
    parse_html(p.stdout)
    assert "u-0007" not in p.stdout
    assert d.token7 in p.stdout
    assert "<svg" in p.stdout
    # An erased subject: an empty report, still no id.
    p = d.ctl("report", "--format", "html", "--subject", "u-0003", check=0)
    parse_html(p.stdout)
    assert "u-0003" not in p.stdout
    assert_eq(d.ctl("report", "--format", "pdf").returncode, 2)


def test_offline_db():
    d = scenario()
    db = os.path.join(d.state, "ledger.db")
    online = log_json(d)
    p = subprocess.run([CONSENTCTL, "--json", "log", "--offline", "--db", db],
                       capture_output=True, text=True)
    assert_eq(p.returncode, 0, p.stderr)
    assert_eq(json.loads(p.stdout), online)
    p = subprocess.run([CONSENTCTL, "log", "--db", db, "--subject-token", d.token7],
                       capture_output=True, text=True)
    assert_eq(p.returncode, 0, p.stderr)
    assert_eq(len(p.stdout.splitlines()), 2)
    # Offline, only the daemon can map a subject id.
    p = subprocess.run([CONSENTCTL, "log", "--db", db, "--subject", "u-0007"],
                       capture_output=True, text=True)
    assert_eq(p.returncode, 2)
    p = subprocess.run([CONSENTCTL, "log", "--offline"], capture_output=True,
                       text=True)
    assert_eq(p.returncode, 2)
    p = subprocess.run([CONSENTCTL, "log", "--db",
                        os.path.join(d.tmp, "missing.db")],
                       capture_output=True, text=True)
    assert_eq(p.returncode, 2)
    p = subprocess.run([CONSENTCTL, "--json", "report", "--db", db],
                       capture_output=True, text=True)
    assert_eq(p.returncode, 0, p.stderr)
    rep = json.loads(p.stdout)
    assert_eq(rep["source"], "database")
    assert_eq(rep["checks"]["total"], 4)
    assert_eq(rep["consents"]["granted"], 20)
    _, daemon = d.request("GET", "/v1/budgets")
    b = rep["budgets"][0]
    assert abs(b["remaining_epsilon"] -
               daemon["budgets"][0]["remaining_epsilon"]) < 1e-9, b
    assert_eq(b["charges"], 1)


def test_offline_buckets():
    """Consent events spread over months (written into a stopped daemon's
    database): the per-day and per-week series, with the empty periods
    between; an entry whose budget was never reserved is reported."""
    d = Daemon().start()
    try:
        d.ctl("consent", "grant", "alice", "train_ai_system", check=0)
        assert_eq(d.stop(), 0)
        db = os.path.join(d.state, "ledger.db")
        conn = sqlite3.connect(db)
        n = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        rows = [("consent", {"subject": "ab" * 16, "purpose": "p", "event": ev,
                             "at": t, "recorded": t})
                for ev, t in (("grant", "2026-01-05T10:00:00Z"),
                              ("grant", "2026-01-07T23:59:59Z"),
                              ("expire", "2026-01-07T12:00:00Z"),
                              ("revoke", "2026-03-20T08:00:00Z"))]
        rows.append(("budget_settle", {"job": "j", "budget": "b",
                                       "cost": "", "steps": 1,
                                       "job_epsilon": 1.0}))
        for i, (kind, body) in enumerate(rows):
            data = ("consentd-entry/v1 %s\n" % kind).encode() + json.dumps(
                body, sort_keys=True, separators=(",", ":")).encode()
            conn.execute("INSERT INTO entries(idx, data) VALUES (?, ?)",
                         (n + i, data))
        conn.commit()
        conn.close()

        def report(*args):
            p = subprocess.run([CONSENTCTL, "--json", "report", "--db", db] +
                               list(args), capture_output=True, text=True)
            assert_eq(p.returncode, 0, p.stderr)
            return json.loads(p.stdout)

        rep = report("--since", "2026-01-01", "--until", "2026-02-01")
        c = rep["consents"]
        assert_eq(c["bucket"], "day")
        assert_eq([(s["period"], s["granted"], s["expired"])
                   for s in c["series"]],
                  [("2026-01-05", 1, 0), ("2026-01-06", 0, 0),
                   ("2026-01-07", 1, 1)])
        rep = report("--until", "2026-06-01")
        c = rep["consents"]
        assert_eq(c["bucket"], "week")
        assert_eq(len(c["series"]), 11)  # the weeks of Jan 5 .. Mar 16
        assert_eq(c["series"][0]["period"], "2026-01-05")
        assert_eq((c["series"][0]["granted"], c["series"][0]["expired"]),
                  (2, 1))
        assert_eq(c["series"][-1], {"period": "2026-03-16", "granted": 0,
                                    "revoked": 1, "expired": 0})
        assert_eq(rep["budget_replay_errors"], 1)
        p = subprocess.run([CONSENTCTL, "report", "--db", db, "--format",
                            "html"], capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stderr)
        parse_html(p.stdout)
        p = subprocess.run([CONSENTCTL, "log", "--db", db, "--since",
                            "2026-01-06", "--until", "2026-03-01"],
                           capture_output=True, text=True)
        assert_eq(p.returncode, 0, p.stderr)
        assert_eq([l.split()[3] for l in p.stdout.splitlines()],
                  ["grant", "expire"])
    finally:
        d.cleanup()


def test_errors():
    d = scenario()
    gone = os.path.join(d.tmp, "no-such.sock")
    for args in (["log"], ["report"], ["log", "--subject", "u-0007"],
                 ["report", "--format", "html"]):
        p = subprocess.run([CONSENTCTL, "--socket", gone] + args,
                           capture_output=True, text=True)
        assert_eq(p.returncode, 3, (args, p.stderr))
    for args in (["log", "--since", "last tuesday"],
                 ["report", "--since", "not-a-time"],
                 ["report", "--until", "2026-02-30"],
                 ["log", "extra"], ["log", "--bogus"],
                 ["report", "--kind", "nope"]):
        assert_eq(d.ctl(*args).returncode, 2, args)
    p = d.ctl("log", "--help", check=0)
    assert "--since" in p.stdout
    p = d.ctl("report", "--help", check=0)
    assert "--format" in p.stdout


run_tests([
    test_log_all_and_json,
    test_log_kind,
    test_log_job_and_decision,
    test_log_subject,
    test_log_time_window,
    test_log_csv,
    test_report_json,
    test_report_html,
    test_offline_db,
    test_offline_buckets,
    test_errors,
])
