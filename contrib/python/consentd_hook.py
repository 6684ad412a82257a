"""consentd pipeline hook: ask consentd before training, settle after.

Python 3.7+ standard library only: HTTP/1.1 over the daemon's Unix socket
with http.client, bodies in JSON.

    import consentd_hook

    decision = consentd_hook.check("job.json")      # raises unless allowed
    ...train for `steps_run` steps...
    consentd_hook.Client().finish(decision.job, steps=steps_run)

The contract is fail closed: check() returns only when consentd recorded
an allow decision. Every other outcome raises, and every exception defined
here derives from HookError, so one ``except HookError`` (or letting it
propagate) stops the pipeline:

    ConsentDenied        the decision is deny, or error (consentd could not
                         decide, e.g. a manifest could not be read)
    ConsentdError        consentd answered with an HTTP error; .code and
                         .message come from its JSON error body
    ConsentdUnavailable  the socket could not be reached, or the call timed
                         out (a subclass of ConsentdError)
    JobError             the job could not be read or is not a mapping
                         (also a ValueError)

Each exception has an ``exit_status`` that follows consentctl(1): 1 a
negative answer, 2 a usage or input error, 3 daemon unreachable or internal
error.

Nothing here logs personal data: the module's logger ("consentd_hook")
records job ids, decisions and ledger indexes only, never a response body.
"""

import dataclasses
import http.client
import json
import logging
import os
import socket
import urllib.parse
from typing import Any, Dict, List, Optional, Union

__all__ = [
    "Client", "Decision", "HookError", "ConsentDenied", "ConsentdError",
    "ConsentdUnavailable", "JobError", "check", "default_socket_path",
    "load_job", "EXIT_OK", "EXIT_NEGATIVE", "EXIT_USAGE",
    "EXIT_UNAVAILABLE",
]

log = logging.getLogger("consentd_hook")

# consentctl(1) exit statuses.
EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3

# lib/err.c: the exit status of each error code the daemon sends.
_CODE_EXIT = {
    "internal": EXIT_UNAVAILABLE,
    "bad_request": EXIT_USAGE,
    "not_found": EXIT_USAGE,
    "method_not_allowed": EXIT_USAGE,
    "payload_too_large": EXIT_USAGE,
    "unsupported_media_type": EXIT_USAGE,
    "invalid_json": EXIT_USAGE,
    "invalid_argument": EXIT_USAGE,
    "unavailable": EXIT_UNAVAILABLE,
    "forbidden": EXIT_USAGE,
    "conflict": EXIT_NEGATIVE,
    "storage": EXIT_UNAVAILABLE,
    "verification_failed": EXIT_NEGATIVE,
    "entry_too_large": EXIT_USAGE,
    "out_of_range": EXIT_USAGE,
    "storage_full": EXIT_UNAVAILABLE,
    "read_only": EXIT_UNAVAILABLE,
    "not_implemented": EXIT_USAGE,
}

DEFAULT_TIMEOUT = 30.0
# A check reads every dataset of the job; large data takes a while.
DEFAULT_CHECK_TIMEOUT = 600.0
# Responses larger than this are refused (a check's evaluation is bounded
# well below it).
MAX_RESPONSE_BYTES = 64 << 20


class HookError(Exception):
    """Base of every exception raised here: the pipeline must stop."""

    exit_status = EXIT_UNAVAILABLE


class ConsentDenied(HookError):
    """consentd did not allow the job: its decision is deny or error.

    .decision is the Decision, with the reason, the evaluation (per rule
    outcomes) and the receipt of the recorded decision.
    """

    exit_status = EXIT_NEGATIVE

    def __init__(self, decision: "Decision"):
        self.decision = decision
        super().__init__("job %s: %s: %s" % (decision.job, decision.decision,
                                             decision.reason))


class ConsentdError(HookError):
    """consentd answered with an HTTP error (or something that is not its
    JSON). .status is the HTTP status (None when there was no answer),
    .code the error code (e.g. invalid_argument, not_found, conflict) and
    .message its message."""

    def __init__(self, code: str, message: str,
                 status: Optional[int] = None):
        self.code = code
        self.message = message
        self.status = status
        self.exit_status = _CODE_EXIT.get(
            code, EXIT_USAGE if status and 400 <= status < 500
            else EXIT_UNAVAILABLE)
        super().__init__("%s: %s" % (code, message))


class ConsentdUnavailable(ConsentdError):
    """consentd could not be reached: no socket, connection refused or
    dropped, or no answer within the timeout. After a timed-out check the
    decision may still have been recorded; checking the same job id again
    returns it."""

    def __init__(self, message: str):
        super().__init__("unavailable", message, None)


class JobError(HookError, ValueError):
    """The job could not be read: not a mapping, or a file that is not
    JSON."""

    exit_status = EXIT_USAGE


@dataclasses.dataclass
class Decision:
    """consentd's answer to POST /v1/check.

    job          the job id
    decision     "allow", "deny" or "error"
    reason       why (names rules, datasets, columns and counts; never
                 personal data)
    allowed      True only for "allow"
    entry_index  the decision's ledger entry
    receipt      {"index", "size", "leaf_hash", "proof", "checkpoint"}: the
                 entry's RFC 9162 inclusion proof under a signed checkpoint
                 (None if the daemon sent none)
    budgets      privacy budgets charged or checked (epsilon before/after)
    evaluation   per policy and rule outcomes (None for an idempotent
                 answer, which returns the recorded entry instead)
    idempotent   True when this job id was decided before and that
                 recorded decision was returned
    raw          the whole response
    """

    job: str
    decision: str
    reason: str
    allowed: bool
    entry_index: Optional[int]
    receipt: Optional[Dict[str, Any]]
    budgets: List[Dict[str, Any]]
    evaluation: Optional[Dict[str, Any]]
    raw: Dict[str, Any] = dataclasses.field(repr=False)
    idempotent: bool = False

    @property
    def entry(self) -> Optional[Dict[str, Any]]:
        """The recorded ledger entry's body (the decision as logged)."""
        e = self.raw.get("entry")
        return e.get("entry") if isinstance(e, dict) else None

    @property
    def leaf(self) -> Optional[str]:
        """The entry's exact bytes, base64: its leaf hash is
        SHA-256(0x00 || bytes)."""
        e = self.raw.get("entry")
        return e.get("leaf") if isinstance(e, dict) else None

    def tlog_proof(self) -> Optional[str]:
        """The receipt as a C2SP tlog-proof (text), or None without a
        receipt. Saved to a file, it verifies offline with the ledger's
        key and the entry's bytes:

            consentctl ledger verify-receipt FILE --key VKEY --entry LEAF

        where LEAF is Decision.leaf."""
        r = self.receipt
        if not r or not isinstance(r.get("checkpoint"), str) or \
                not isinstance(r.get("index"), int):
            return None
        return "c2sp.org/tlog-proof@v1\nindex %d\n%s\n%s" % (
            r["index"], "".join(h + "\n" for h in r.get("proof", [])),
            r["checkpoint"])

    @classmethod
    def from_response(cls, resp: Dict[str, Any]) -> "Decision":
        """Builds a Decision from a /v1/check response. Raises
        ConsentdError (code bad_response) when the response lacks a job or
        a decision."""
        if not isinstance(resp, dict) or not isinstance(
                resp.get("decision"), str) or not isinstance(
                resp.get("job"), str):
            raise ConsentdError("bad_response",
                                "the check response has no job or decision")
        entry = resp.get("entry") if isinstance(resp.get("entry"),
                                                dict) else {}
        body = entry.get("entry") if isinstance(entry.get("entry"),
                                                dict) else {}
        reason = resp.get("reason")
        if not isinstance(reason, str):
            reason = body.get("reason") if isinstance(body.get("reason"),
                                                      str) else ""
        budgets = resp.get("budgets")
        if not isinstance(budgets, list):
            budgets = body.get("budgets") if isinstance(
                body.get("budgets"), list) else []
        index = entry.get("index")
        receipt = resp.get("receipt")
        evaluation = resp.get("evaluation")
        return cls(
            job=resp["job"],
            decision=resp["decision"],
            reason=reason,
            allowed=resp["decision"] == "allow",
            entry_index=index if isinstance(index, int) else None,
            receipt=receipt if isinstance(receipt, dict) else None,
            budgets=budgets,
            evaluation=evaluation if isinstance(evaluation, dict) else None,
            raw=resp,
            idempotent=resp.get("idempotent") is True,
        )


def default_socket_path() -> str:
    """The socket consentctl uses by default: $CONSENTD_SOCKET, else for
    root /run/consentd/consentd.sock, else under $XDG_RUNTIME_DIR, else
    under $XDG_STATE_HOME, else ~/.local/state/consentd/consentd.sock."""
    e = os.environ.get("CONSENTD_SOCKET")
    if e:
        return e
    if os.geteuid() == 0:
        return "/run/consentd/consentd.sock"
    for var in ("XDG_RUNTIME_DIR", "XDG_STATE_HOME"):
        e = os.environ.get(var)
        if e and e.startswith("/"):
            return os.path.join(e, "consentd", "consentd.sock")
    e = os.environ.get("HOME")
    if e and e.startswith("/"):
        return os.path.join(e, ".local", "state", "consentd", "consentd.sock")
    return "consentd.sock"


def load_job(job: Union[Dict[str, Any], str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """Returns the job as a new dict with its dataset paths absolute.

    job is a dict, or the path of a job file in JSON (YAML job files are
    not read here: convert them, or pass a dict). Relative dataset paths
    are resolved against the job file's directory, as consentctl check
    does, or for a dict against the current directory. The caller's dict
    is not changed.

    Raises JobError when the file cannot be read or is not JSON, or the
    job is not a mapping.
    """
    if isinstance(job, dict):
        base = os.getcwd()
        out = json.loads(json.dumps(job))
    elif isinstance(job, (str, os.PathLike)):
        path = os.fspath(job)
        try:
            with open(path, "rb") as f:
                text = f.read((1 << 20) + 1)
        except OSError as e:
            raise JobError("cannot read job file %s: %s" %
                           (path, e.strerror or e)) from None
        if len(text) > 1 << 20:
            raise JobError("job file %s is larger than 1 MiB" % path)
        try:
            out = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise JobError(
                "job file %s is not JSON (%s); YAML job files are read by "
                "consentctl check, this hook reads JSON or a dict" %
                (path, e)) from None
        base = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    else:
        raise JobError("a job is a dict or the path of a JSON job file")
    if not isinstance(out, dict):
        raise JobError("a job must be a mapping")
    ds = out.get("datasets")
    if isinstance(ds, list):
        out["datasets"] = [
            os.path.join(base, p) if isinstance(p, str) and p and
            not p.startswith("/") else p for p in ds]
    return out


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(self.timeout)
            s.connect(self.unix_path)
        except BaseException:
            s.close()
            raise
        self.sock = s


class Client:
    """A connection to consentd over its Unix socket.

    socket_path  default: default_socket_path()
    timeout      seconds for each call except check
    check_timeout seconds for check, which reads the datasets
    """

    def __init__(self, socket_path: Optional[str] = None,
                 timeout: float = DEFAULT_TIMEOUT,
                 check_timeout: float = DEFAULT_CHECK_TIMEOUT):
        self.socket_path = socket_path or default_socket_path()
        self.timeout = timeout
        self.check_timeout = check_timeout

    def _call(self, method: str, path: str, body: Any = None,
              timeout: Optional[float] = None) -> Any:
        """One request; returns the parsed JSON of a 200 answer. Raises
        ConsentdUnavailable (no connection, timeout), ConsentdError (an
        HTTP error, or an answer that is not JSON)."""
        conn = _UnixHTTPConnection(self.socket_path,
                                   timeout or self.timeout)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read(MAX_RESPONSE_BYTES + 1)
            status = resp.status
        except socket.timeout:
            raise ConsentdUnavailable(
                "no answer from %s within %gs" %
                (self.socket_path, timeout or self.timeout)) from None
        except (OSError, http.client.HTTPException) as e:
            raise ConsentdUnavailable("cannot reach consentd at %s: %s" % (
                self.socket_path, getattr(e, "strerror", None) or
                e.__class__.__name__)) from None
        finally:
            conn.close()
        if len(payload) > MAX_RESPONSE_BYTES:
            raise ConsentdError("bad_response", "the response is too large",
                                status)
        try:
            parsed = json.loads(payload.decode("utf-8")) if payload else None
        except (UnicodeDecodeError, ValueError):
            parsed = None
        if status != 200:
            err = parsed.get("error") if isinstance(parsed, dict) else None
            if isinstance(err, dict) and isinstance(err.get("code"), str):
                raise ConsentdError(err["code"], str(err.get("message", "")),
                                    status)
            raise ConsentdError("http_%d" % status,
                                "HTTP %d without an error body" % status,
                                status)
        if parsed is None:
            raise ConsentdError("bad_response",
                                "the response is not JSON", status)
        return parsed

    def check(self, job: Union[Dict[str, Any], str, "os.PathLike[str]"],
              recheck: bool = False) -> Decision:
        """Asks consentd whether job may run (POST /v1/check).

        job is a dict or the path of a JSON job file (see load_job).
        A job id decided before returns that recorded decision
        (Decision.idempotent) unless recheck is True.

        Returns the Decision only when it is allow. Raises ConsentDenied
        for deny or error, ConsentdError for an HTTP error (code
        invalid_argument for a job the daemon refuses), ConsentdUnavailable
        when consentd cannot be reached or does not answer within
        check_timeout, JobError when the job cannot be read.
        """
        body = load_job(job)
        if recheck:
            body["recheck"] = True
        resp = self._call("POST", "/v1/check", body,
                          timeout=self.check_timeout)
        d = Decision.from_response(resp)
        log.info("consentd check %s: %s (ledger entry %s)", d.job,
                 d.decision, d.entry_index)
        if not d.allowed:
            raise ConsentDenied(d)
        return d

    def finish(self, job: Union[str, Decision, Dict[str, Any]],
               steps: Optional[int] = None) -> Dict[str, Any]:
        """Settles the privacy cost of a job after training
        (POST /v1/jobs/finish): each budget the check reserved is charged
        for steps (DP-SGD steps or mechanism releases actually run; fewer
        than reserved when training stopped early, 0 when it never
        started), or for the whole reservation when steps is None.

        job is the job id, a Decision or a job dict. Returns
        {"job", "settled": [{"budget", "steps", "job_epsilon", "index"}]}.
        Raises ConsentdError: not_found (no decision for this job),
        conflict (no open reservation: never charged, already settled,
        released or expired), invalid_argument (more steps than reserved,
        or steps for a mechanism without steps); ConsentdUnavailable.
        """
        if isinstance(job, Decision):
            job = job.job
        elif isinstance(job, dict):
            job = job.get("job")
        if not isinstance(job, str):
            raise JobError("finish: expected a job id")
        body: Dict[str, Any] = {"job": job}
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, int) or \
                    steps < 0:
                raise JobError("finish: steps must be a non-negative integer")
            body["steps"] = steps
        resp = self._call("POST", "/v1/jobs/finish", body)
        log.info("consentd finish %s: %d budget(s) settled", job,
                 len(resp.get("settled") or []) if isinstance(resp, dict)
                 else 0)
        return resp

    def budgets(self, name: Optional[str] = None) -> List[Dict[str, Any]]:
        """The privacy budgets (GET /v1/budgets[/NAME]): for each, epsilon
        and delta, spent_epsilon, committed_epsilon (spent and reserved),
        remaining_epsilon, open reservations and history. Raises
        ConsentdError (not_found for a NAME never charged),
        ConsentdUnavailable."""
        path = "/v1/budgets"
        if name is not None:
            path += "/" + urllib.parse.quote(name, safe="")
        resp = self._call("GET", path)
        budgets = resp.get("budgets") if isinstance(resp, dict) else None
        if not isinstance(budgets, list):
            raise ConsentdError("bad_response",
                                "the budgets response has no list")
        return budgets

    def status(self) -> Dict[str, Any]:
        """Whether consentd runs (GET /v1/health): status, version,
        started_at, uptime_seconds, requests, config. Raises
        ConsentdUnavailable when it cannot be reached, ConsentdError on an
        HTTP error."""
        return self._call("GET", "/v1/health")


def check(job: Union[Dict[str, Any], str, "os.PathLike[str]"], *,
          recheck: bool = False, socket_path: Optional[str] = None,
          timeout: float = DEFAULT_TIMEOUT,
          check_timeout: float = DEFAULT_CHECK_TIMEOUT) -> Decision:
    """Client(socket_path, timeout, check_timeout).check(job, recheck):
    returns the Decision when allowed; raises ConsentDenied,
    ConsentdError, ConsentdUnavailable or JobError otherwise."""
    return Client(socket_path, timeout=timeout,
                  check_timeout=check_timeout).check(job, recheck=recheck)
