"""Roles from Unix peer credentials: every endpoint checks its role, a
refused request writes nothing and is logged. Needs root (to act as two
users); skipped otherwise."""

import json
import os
import subprocess
import sys

from harness import CONSENTCTL, Daemon, assert_eq, run_tests

if os.geteuid() != 0 or subprocess.run(["which", "setpriv"],
                                       capture_output=True).returncode:
    print("SKIP: needs root and setpriv")
    sys.exit(77)

AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             "--"]


def as_nobody(d, *args):
    return subprocess.run(AS_NOBODY + [CONSENTCTL, "--socket", d.socket] +
                          list(args), capture_output=True, text=True)


def open_tmp(d):
    os.chmod(d.tmp, 0o755)


def test_unprivileged_peer_has_no_roles_by_default():
    d = Daemon(config='socket:\n  mode: "0666"\n')
    try:
        open_tmp(d)
        d.start()
        assert_eq(as_nobody(d, "status").returncode, 0)  # health: anyone
        p = as_nobody(d, "consent", "grant", "alice", "train_ai_system")
        assert_eq(p.returncode, 2, p.stderr)
        assert "needs the recorder role" in p.stderr, p.stderr
        p = as_nobody(d, "ledger", "checkpoint")
        assert "needs the auditor role" in p.stderr, p.stderr
        assert "Refused POST /v1/consents for uid 65534: needs role recorder" \
            in d.logs(), d.logs()
        # Nothing was written.
        status, body = d.request("GET", "/v1/entries")
        assert_eq(body["size"], 0)
        # The daemon's own user (and root) hold every role.
        assert_eq(d.ctl("consent", "grant", "alice", "train_ai_system").returncode, 0)
    finally:
        d.cleanup()


def test_roles_from_config():
    d = Daemon(config='socket:\n  mode: "0666"\naccess:\n'
                      '  recorder: [nobody]\n  auditor: ["@nogroup"]\n')
    try:
        open_tmp(d)
        d.start()
        assert_eq(as_nobody(d, "consent", "grant", "bob", "train_ai_system").returncode, 0)
        assert_eq(as_nobody(d, "consent", "show", "bob").returncode, 0)
        p = as_nobody(d, "subject", "erase", "bob")
        assert "needs the admin role" in p.stderr, p.stderr
        p = as_nobody(d, "ledger", "reindex")
        assert "needs the admin role" in p.stderr, p.stderr
        status, body = d.request("GET", "/v1/entries")
        assert_eq(body["size"], 1)
    finally:
        d.cleanup()


def test_bad_access_config():
    d = Daemon(config="access:\n  superuser: [root]\n  auditor: [\"bad name!\"]\n")
    try:
        p = subprocess.run(d.command() + ["-n"], capture_output=True, text=True)
        assert_eq(p.returncode, 1)
        assert ":2:3: unknown role 'superuser'" in p.stderr, p.stderr
        assert ":3:13: expected a user name" in p.stderr, p.stderr
    finally:
        d.cleanup()


def test_socket_mode_keeps_others_out():
    d = Daemon()
    try:
        open_tmp(d)
        d.start()
        p = as_nobody(d, "status")
        assert_eq(p.returncode, 3, p.stderr)  # 0660: cannot even connect
    finally:
        d.cleanup()


run_tests([
    test_unprivileged_peer_has_no_roles_by_default,
    test_roles_from_config,
    test_bad_access_config,
    test_socket_mode_keeps_others_out,
])
