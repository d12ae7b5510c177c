"""`pumpmon babybuddy push | setup`: each complete session becomes one pumping entry in Baby Buddy
(the self-hosted baby log, https://docs.baby-buddy.net), standard library only (urllib).

    pumpmon babybuddy setup [--url URL] [--token TOKEN] [--child ID]
    pumpmon babybuddy push [--archive DIR] [--url URL] [--token TOKEN] [--child ID]
                           [--since DATE] [--dry-run]

Settings: each of the flags, else the environment (PUMPMON_BABYBUDDY_URL, _TOKEN, _CHILD),
else the file `setup` writes ($XDG_CONFIG_HOME/pumpmon/babybuddy.json, mode 0600: the token
is a password). The token is never printed.

The server's contract (Baby Buddy 2.x; pumping exists since 1.11 with one `time` field, start
and end since 2.0, which `OPTIONS /api/pumping/` tells apart):
- `POST {url}/api/pumping/` with the trailing slash (without it the server answers 500),
  header `Authorization: Token <key>`; a bad token is 403.
- body: `child` (the number, not the slug), `amount` (no unit in Baby Buddy: we send mL and
  say so in the notes), `start`, `end` (ISO 8601 with the UTC offset: a naive time is read as
  UTC), `notes`, `tags`.
- 201 gives the entry with its `id`; 400 gives `{field: [messages]}` or
  `{"non_field_errors": [...]}` in the server's language, so we read the keys, not the words.
  A start in the future (server clock) is refused; so is an entry overlapping another of the
  same child, which is what a retry after a lost answer would meet.

Sending each session exactly once: a session sent is recorded in the archive's annotations
(annotations.py) with the entry's id, keyed by the server address and child. Before posting,
we ask the server for an entry of that child at the same start (`GET ?child=&start=`): if it
is ours (same amount), an earlier push got as far as the server and its answer or our record
was lost, so we record it and post nothing. A session is recorded only once the server has
it. So a second push posts nothing, and a push cut at any moment and run again posts nothing
twice.

Exit status: 0 all sent (or nothing to send); 1 a server, network or archive problem, one
line each (403, 404, 400, connection refused, timeout); 2 bad usage or missing settings.
Limits: sessions without a wall-clock time (device clock not set) and sessions cut short
(no summary) are not sent; they are counted and said.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import http.client
import json
import os
import sqlite3
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .annotations import Annotations, AnnotationsError, annotate
from .archive import Archive, ArchiveError
from .cmd_archive import step_results
from .errors import BAD_REQUEST, CANNOT, PumpmonError
from .readout import breasts, clock, count, local_iso, mmss, parse_when, vol

ENV_URL = "PUMPMON_BABYBUDDY_URL"
ENV_TOKEN = "PUMPMON_BABYBUDDY_TOKEN"
ENV_CHILD = "PUMPMON_BABYBUDDY_CHILD"
TIMEOUT_S = 10.0
TAGS = ["pumpmon"]
AMOUNT_MATCH_ML = 0.05  # an entry at the same start with this amount is the one we sent
ROUNDED_START_S = 60  # after an overlap, an entry this near with our amount is ours too


class BabyBuddyError(RuntimeError):
    """The server or the network refused; the one-line message says what to do."""


class BadRequest(RuntimeError):
    """HTTP 400: `fields` is the server's {field: [messages]}."""

    def __init__(self, fields: dict):
        super().__init__(fields)
        self.fields = fields


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    push = sub.add_parser("push", help="send each complete session not yet sent")
    setup = sub.add_parser("setup", help="save the address, token and child (file mode 0600)")
    for sp in (push, setup):
        sp.add_argument(
            "--url",
            metavar="URL",
            help="Baby Buddy's address, e.g. http://babybuddy.local:8000 (or $%s)" % ENV_URL,
        )
        sp.add_argument(
            "--token",
            metavar="TOKEN",
            help="your API key from Baby Buddy's user settings (or $%s)" % ENV_TOKEN,
        )
        sp.add_argument(
            "--child", metavar="ID", help="the child's number in Baby Buddy (or $%s)" % ENV_CHILD
        )
    push.add_argument(
        "--archive", metavar="DIR", help="archive folder (default: $XDG_DATA_HOME/pumpmon)"
    )
    push.add_argument(
        "--since", metavar="DATE", help="only sessions that started on or after DATE (YYYY-MM-DD)"
    )
    push.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be sent; contact no server, record nothing",
    )
    push.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        default=TIMEOUT_S,
        help="seconds to wait for the server (%g)" % TIMEOUT_S,
    )


# -- settings ----------------------------------------------------------------------------
def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "pumpmon" / "babybuddy.json"


def read_config_file() -> dict:
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ValueError(
            "%s is unreadable (%s): run `pumpmon babybuddy setup` again" % (path, e)
        ) from None
    return data if isinstance(data, dict) else {}


def write_config_file(values: dict) -> Path:
    """Write the settings readable by the user only (0600), atomically."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".%s.%d.part" % (path.name, os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(values, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def base_url(url: str) -> str:
    """The server's root without a trailing slash ("/api/" or "/api/pumping/" dropped)."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            "the Baby Buddy address must start with http:// or https:// "
            "(e.g. http://babybuddy.local:8000), not %r" % url
        )
    path = parts.path.rstrip("/")
    for suffix in ("/api/pumping", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def child_id(text) -> int:
    try:
        child = int(str(text).strip())
    except ValueError:
        raise ValueError(
            "the child is Baby Buddy's number for the child (e.g. 1; it is in the "
            "address of the child's page), not %r" % text
        ) from None
    if child < 1:
        raise ValueError("the child's number is 1 or more, not %d" % child)
    return child


def resolve(args: argparse.Namespace | None, need_all: bool = True) -> dict:
    """url, token, child from the flags, else the environment, else the file."""
    stored = read_config_file()
    out = {}
    for key, env in (("url", ENV_URL), ("token", ENV_TOKEN), ("child", ENV_CHILD)):
        value = getattr(args, key, None) if args is not None else None
        out[key] = value or os.environ.get(env) or stored.get(key)
    missing = [k for k in ("url", "token", "child") if not out[k]]
    if missing and need_all:
        raise ValueError(
            "no Baby Buddy %s: pass --%s, set %s, or run `pumpmon babybuddy "
            "setup` once"
            % (
                " or ".join(missing),
                missing[0],
                {"url": ENV_URL, "token": ENV_TOKEN, "child": ENV_CHILD}[missing[0]],
            )
        )
    if out["url"]:
        out["url"] = base_url(out["url"])
    if out["child"]:
        out["child"] = child_id(out["child"])
    return out


# -- the server --------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise BabyBuddyError(
            "Baby Buddy at %s answers with a redirect to %s: use that "
            "address as --url" % (req.full_url.split("/api/")[0], newurl.split("/api/")[0])
        )


class Client:
    """The pumping endpoint of one Baby Buddy server."""

    def __init__(self, url: str, token: str, timeout_s: float = TIMEOUT_S):
        self.base = base_url(url)
        self.endpoint = self.base + "/api/pumping/"  # the trailing slash is required
        self._token = token
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _call(self, method: str, query: dict | None = None, body: dict | None = None):
        url = self.endpoint + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={
                "Authorization": "Token " + self._token,
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        where = "Baby Buddy at %s" % self.base
        try:
            with self._opener.open(req, timeout=self.timeout_s) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, ConnectionRefusedError):
                raise BabyBuddyError(
                    "cannot reach %s: connection refused (is the server "
                    "running, and is the address and port right?)" % where
                ) from None
            if isinstance(reason, TimeoutError):
                raise BabyBuddyError(
                    "%s did not answer within %g s (is the address right? "
                    "--timeout waits longer)" % (where, self.timeout_s)
                ) from None
            raise BabyBuddyError("cannot reach %s: %s" % (where, reason)) from None
        except TimeoutError:
            raise BabyBuddyError(
                "%s stopped answering after %g s: the entry may or may not "
                "be stored; push again (it checks before it posts)" % (where, self.timeout_s)
            ) from None
        except (http.client.HTTPException, ConnectionError) as e:
            raise BabyBuddyError(
                "the connection to %s broke before it answered (%s): the "
                "entry may or may not be stored; push again (it checks "
                "before it posts)" % (where, type(e).__name__)
            ) from None
        if status in (401, 403):
            raise BabyBuddyError(
                "%s refused the token (HTTP %d): copy the API key from your "
                "user settings in Baby Buddy and run `pumpmon babybuddy "
                "setup`" % (where, status)
            )
        if status == 404:
            raise BabyBuddyError(
                "%s has no pumping API at %s (HTTP 404): check --url (the "
                "address you open Baby Buddy at); pumping needs Baby Buddy "
                "2.0 or newer" % (where, self.endpoint)
            )
        try:
            parsed = json.loads(text.decode("utf-8")) if text else None
        except (UnicodeDecodeError, ValueError):
            raise BabyBuddyError(
                "%s answered HTTP %d with something that is not JSON: is %s "
                "the Baby Buddy address?" % (where, status, self.base)
            ) from None
        if status == 400:
            raise BadRequest(parsed if isinstance(parsed, dict) else {"": [str(parsed)]})
        if status >= 300:
            raise BabyBuddyError(
                "%s answered HTTP %d to %s: see its log" % (where, status, method)
            )
        return parsed

    def check_version(self) -> None:
        """Refuse a 1.x server (its pumping entry has one `time`, no start and end)."""
        meta = self._call("OPTIONS")
        fields = ((meta or {}).get("actions") or {}).get("POST") or {}
        if fields and "start" not in fields:
            raise BabyBuddyError(
                "pumpmon needs Baby Buddy 2.0 or newer: the server at %s has "
                "the 1.x pumping entry (one time, no start and end); update "
                "Baby Buddy" % self.base
            )

    def entries_at(self, child: int, start: str) -> list[dict]:
        """The child's entries that start at `start` (compared as instants)."""
        got = self._call("GET", {"child": child, "start": start})
        results = got.get("results", []) if isinstance(got, dict) else (got or [])
        want = _instant(start)
        return [
            e
            for e in results
            if isinstance(e, dict)
            and _instant(e.get("start")) == want
            and e.get("child") in (child, None)
        ]

    def entries_near(self, child: int, start: str, within_s: float) -> list[dict]:
        """The child's entries starting within `within_s` of `start` (a server that stored
        the start rounded)."""
        t = _instant(start)
        if t is None:  # entry_body writes ISO 8601 times: never so
            raise ValueError("not an ISO 8601 time: %r" % start)
        lo, hi = (
            dt.datetime.fromtimestamp(x, dt.UTC).isoformat().replace("+00:00", "Z")
            for x in (t - within_s, t + within_s)
        )
        got = self._call("GET", {"child": child, "start_min": lo, "start_max": hi})
        results = got.get("results", []) if isinstance(got, dict) else (got or [])
        return [
            e
            for e in results
            if isinstance(e, dict)
            and (t_e := _instant(e.get("start"))) is not None
            and abs(t_e - t) <= within_s
        ]

    def add(self, body: dict) -> dict:
        entry = self._call("POST", body=body)
        if not isinstance(entry, dict) or "id" not in entry:
            raise BabyBuddyError(
                "Baby Buddy at %s accepted the entry but sent no id back; "
                "push again (it checks before it posts)" % self.base
            )
        return entry


def _instant(text) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # Baby Buddy reads a naive time as UTC
    return when.timestamp()


# -- what is sent ------------------------------------------------------------------------
def entry_notes(row: dict, session: dict | None) -> str:
    side = row.get("bottle1_side") or "left"
    left_ml, right_ml = breasts(row, side)
    parts = ["pumpmon session %s; amount in mL." % row["id"]]
    sides = [
        "%s %s mL" % (name, vol(v, "ml"))
        for name, v in (("left", left_ml), ("right", right_ml))
        if v is not None
    ]
    if sides:
        parts.append(_sentence(", ".join(sides)))
    n = row["letdowns"] or 0
    if n and row["first_letdown_s"] is not None:
        first = "first %s after the start" % mmss(row["first_letdown_s"])
        if row.get("start_unix_s") is not None:
            first += " (%s)" % clock(row["start_unix_s"] + row["first_letdown_s"])
        parts.append("%d letdown%s, the %s." % (n, "" if n == 1 else "s", first))
    else:
        parts.append("No letdown detected.")
    steps = step_results(session or {})
    if steps:
        parts.append(
            _sentence(
                "; ".join(
                    "%s at %s brought %s mL"
                    % (i["cue"].replace("_", " "), mmss(i["cue_t_s"]), vol(i["volume_ml"], "ml"))
                    for i in steps
                )
            )
        )
    if row.get("note"):
        parts.append("Note: %s" % row["note"])
    return " ".join(parts)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def entry_body(row: dict, session: dict | None, child: int) -> dict:
    start = row["start_unix_s"]
    return {
        "child": child,
        "amount": vol(row["volume_ml"], "ml"),
        "start": local_iso(start),
        "end": local_iso(start + (row["duration_s"] or 0)),
        "notes": entry_notes(row, session),
        "tags": list(TAGS),
    }


def _why_refused(fields: dict, child: int) -> str:
    """A 400's meaning from its keys (the words are in the server's language)."""
    words = "; ".join(
        "%s: %s" % (k, " ".join(map(str, v)) if isinstance(v, list) else v)
        for k, v in fields.items()
    )
    if "non_field_errors" in fields:
        return (
            "it overlaps another pumping entry of child %d in Baby Buddy (server: %s); "
            "remove or shorten that entry to send it" % (child, words)
        )
    if "start" in fields:
        return (
            "Baby Buddy refused its start (server: %s): a start in the future is refused, "
            "so check the server's and this computer's clocks" % words
        )
    if "end" in fields:
        return "Baby Buddy refused its end (server: %s)" % words
    return "Baby Buddy refused it (server: %s)" % words


# -- the commands ------------------------------------------------------------------------
def push(
    archive_root,
    settings: dict,
    since: str | None = None,
    dry_run: bool = False,
    timeout_s: float = TIMEOUT_S,
    out=None,
    err=None,
) -> int:
    """Send every complete session not yet sent; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    with Archive.open(archive_root, create=False) as arc:
        rows = arc.list()
        if since:
            lo = parse_when(since)
            rows = [r for r in rows if r["start_unix_s"] is not None and r["start_unix_s"] >= lo]
        rows = annotate(arc.root, rows)
        no_clock = sum(1 for r in rows if r["start_unix_s"] is None)
        cut = sum(1 for r in rows if r["start_unix_s"] is not None and not r["complete"])
        ready = [r for r in rows if r["start_unix_s"] is not None and r["complete"]]
        child = settings.get("child")
        target = "%s child=%s" % (settings.get("url"), child)
        with Annotations.open(arc.root) as notes:
            done = notes.pushed(target) if settings.get("url") else {}
            todo = [r for r in ready if r["sha256"] not in done]
            if no_clock or cut:
                print(
                    "not sent: %d sessions without a clock time (`pumpmon time sync` sets "
                    "the device clock), %d cut short" % (no_clock, cut),
                    file=out,
                )
            if dry_run:
                for r in todo:
                    body = entry_body(r, arc.load(r), child or 0)
                    print(
                        "would send session %s: %s to %s, %s mL; notes: %s"
                        % (r["id"], body["start"], body["end"], body["amount"], body["notes"]),
                        file=out,
                    )
                print(
                    "dry run: %s to send, %d already sent; nothing was sent"
                    % (count(len(todo), "session"), len(ready) - len(todo)),
                    file=out,
                )
                return 0
            if not todo:
                print(
                    "nothing new to send: %s already in Baby Buddy" % count(len(ready), "session"),
                    file=out,
                )
                return 0
            child = int(settings["child"])  # resolve(need_all=True) made it a number
            client = Client(settings["url"], settings["token"], timeout_s)
            sent = adopted = 0
            refused = []
            try:
                client.check_version()
                for r in todo:
                    body = entry_body(r, arc.load(r), child)
                    theirs = client.entries_at(child, body["start"])
                    same = [e for e in theirs if _same_amount(e, body)]
                    if same:
                        notes.record_push(r["sha256"], target, int(same[0]["id"]))
                        adopted += 1
                        print(
                            "session %s was already in Baby Buddy as entry %s (an earlier "
                            "push got there): recorded, not sent again" % (r["id"], same[0]["id"]),
                            file=out,
                        )
                        continue
                    if theirs:
                        refused.append(
                            "session %s not sent: Baby Buddy already has entry %s "
                            "at the same start with another amount; it was left "
                            "alone" % (r["id"], theirs[0].get("id"))
                        )
                        continue
                    try:
                        entry = client.add(body)
                    except BadRequest as e:
                        near = (
                            [
                                x
                                for x in client.entries_near(child, body["start"], ROUNDED_START_S)
                                if _same_amount(x, body)
                            ]
                            if "non_field_errors" in e.fields
                            else []
                        )
                        if near:  # ours, stored with its start rounded by the server
                            notes.record_push(r["sha256"], target, int(near[0]["id"]))
                            adopted += 1
                            print(
                                "session %s was already in Baby Buddy as entry %s: "
                                "recorded, not sent again" % (r["id"], near[0]["id"]),
                                file=out,
                            )
                            continue
                        if "child" in e.fields:
                            raise BabyBuddyError(
                                "Baby Buddy has no child %d (server: %s): --child is the "
                                "number in the address of the child's page"
                                % (child, " ".join(map(str, e.fields["child"])))
                            ) from None
                        refused.append(
                            "session %s not sent: %s" % (r["id"], _why_refused(e.fields, child))
                        )
                        continue
                    notes.record_push(r["sha256"], target, int(entry["id"]))
                    sent += 1
                    print(
                        "sent session %s (%s, %s mL) as entry %s"
                        % (r["id"], body["start"], body["amount"], entry["id"]),
                        file=out,
                    )
            except BabyBuddyError as e:
                print(
                    "pumpmon babybuddy push: %s (%s sent before this)"
                    % (e, count(sent, "session")),
                    file=err,
                )
                return 1
            finally:
                for line in refused:
                    print("pumpmon babybuddy push: %s" % line, file=err)
            print(
                "%s sent to Baby Buddy at %s (child %d), %d found there already, "
                "%d refused" % (count(sent, "session"), client.base, child, adopted, len(refused)),
                file=out,
            )
            return 1 if refused else 0


def _same_amount(entry: dict, body: dict) -> bool:
    theirs = entry.get("amount")
    if not isinstance(theirs, int | float | str):  # none, or not a number at all
        return False
    try:
        return abs(float(theirs) - float(body["amount"])) <= AMOUNT_MATCH_ML
    except ValueError:
        return False


def setup(args: argparse.Namespace) -> int:
    current = read_config_file()
    values = {}
    for key, ask in (
        ("url", "Baby Buddy address (e.g. http://babybuddy.local:8000): "),
        ("token", "API key (from your user settings in Baby Buddy; not shown): "),
        ("child", "child's number in Baby Buddy: "),
    ):
        value = getattr(args, key) or current.get(key)
        if getattr(args, key) is None and sys.stdin.isatty():
            prompt = ask if not value else ask.replace(": ", " [keep the saved one]: ")
            typed = getpass.getpass(prompt) if key == "token" else input(prompt)
            value = typed.strip() or value
        if not value:
            print("pumpmon babybuddy setup: no %s: pass --%s" % (key, key), file=sys.stderr)
            return 2
        values[key] = value
    values["url"] = base_url(values["url"])
    values["child"] = child_id(values["child"])
    path = write_config_file(values)
    print(
        "saved: Baby Buddy at %s, child %d, and the token (not shown) in %s (readable by "
        "you only)" % (values["url"], values["child"], path)
    )
    return 0


def push_after_pull(archive_root) -> int:
    """`pumpmon pull --push`: push with the saved settings; report, never raise."""
    try:
        settings = resolve(None)
        return push(archive_root, settings)
    except (ValueError, ArchiveError, AnnotationsError, sqlite3.Error, OSError) as e:
        print(
            "pumpmon pull --push: not sent to Baby Buddy: %s (the pull itself is done)" % e,
            file=sys.stderr,
        )
        return 1


def run(args: argparse.Namespace) -> int:
    command = "babybuddy %s" % args.action
    try:
        if args.action == "setup":
            return setup(args)
        settings = resolve(args, need_all=not args.dry_run)
        return push(
            args.archive, settings, since=args.since, dry_run=args.dry_run, timeout_s=args.timeout
        )
    except ValueError as e:
        raise PumpmonError(str(e), BAD_REQUEST, command=command) from None
    except (ArchiveError, AnnotationsError, OSError, sqlite3.Error) as e:
        raise PumpmonError(str(e), CANNOT, command=command) from None
