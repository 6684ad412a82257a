"""The daemon under valgrind's memcheck through a whole session (consents,
checks allowed and denied, proofs, settlement, reload, stop), and consentctl
under it for the same kinds of requests and its error paths: no invalid
access, no use of uninitialised memory, nothing definitely lost. Skipped
without valgrind and in sanitizer builds."""

import os
import shutil
import signal
import subprocess
import sys
import time

from harness import CONSENTCTL, Daemon, assert_eq, demo_scenario, run_tests

if (os.environ.get("CONSENTD_SANITIZERS") == "yes" or
        not shutil.which("valgrind")):
    print("SKIP: needs valgrind and a build without sanitizers")
    sys.exit(77)


MEMCHECK = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--error-exitcode=99"]


def test_session_under_memcheck():
    d = demo_scenario(Daemon())
    data = d.data
    report = os.path.join(d.tmp, "memcheck.txt")
    d.wrapper = MEMCHECK + ["--log-file=" + report]
    try:
        d.start()
        d.wait_ready(timeout=120)
        d.ctl("consent", "import", os.path.join(data, "consents.csv"), check=0)
        assert_eq(d.ctl("check", os.path.join(data, "job-train.yaml")).returncode, 0)
        assert_eq(d.ctl("check", os.path.join(data, "job-pii.yaml")).returncode, 1)
        assert_eq(d.ctl("ledger", "prove", "3").returncode, 0)
        assert_eq(d.ctl("job", "finish", "sentiment-ft-0001", "--steps", "10").returncode, 0)
        assert_eq(d.ctl("lineage", "u-0001").returncode, 0)
        assert_eq(d.ctl("ledger", "verify").returncode, 0)
        status, _ = d.request("GET", "/metrics")
        assert_eq(status, 200)
        d.kill(signal.SIGHUP)
        time.sleep(1)
        assert_eq(d.stop(timeout=120), 0, open(report).read()[-3000:])
        text = open(report).read()
        assert "ERROR SUMMARY: 0 errors" in text, text[-3000:]
        assert "definitely lost: 0 bytes" in text or \
            "All heap blocks were freed" in text, text[-3000:]
    finally:
        d.cleanup()


def test_consentctl_under_memcheck():
    # The client's transport, its error paths included, under memcheck:
    # an error from valgrind would be exit status 99, never the expected
    # one.
    d = demo_scenario(Daemon())
    data = d.data

    def ctl(expected, *args, socket=None):
        p = subprocess.run(MEMCHECK + ["-q", CONSENTCTL, "--socket", socket or d.socket] +
                           list(args), capture_output=True, text=True,
                           timeout=300)
        assert_eq(p.returncode, expected, p.stderr[-3000:])

    try:
        d.start()
        ctl(0, "status")
        ctl(0, "consent", "import", os.path.join(data, "consents.csv"))
        ctl(0, "check", os.path.join(data, "job-train.yaml"))
        ctl(1, "check", os.path.join(data, "job-pii.yaml"))
        ctl(0, "--json", "ledger", "prove", "3")
        ctl(2, "job", "finish", "no-such-job")
        ctl(3, "status", socket=os.path.join(d.tmp, "none.sock"))
    finally:
        d.cleanup()


run_tests([test_session_under_memcheck, test_consentctl_under_memcheck])
