"""Test helper: an in-process fake of Baby Buddy's pumping API (http.server on 127.0.0.1).

    with FakeBabyBuddy(token="k", children=(1,)) as bb:   # bb.url, bb.entries, bb.posts
        bb.lose_next_answer = True     # store the next entry, then drop the connection
        bb.version = 1                 # OPTIONS answers like Baby Buddy 1.x (one `time`)

It follows the contract the issue read from Baby Buddy 2.10.0's source:
- `/api/pumping/` only with the trailing slash; without it, a 500 HTML page (no redirect);
- `Authorization: Token <key>`, else 403 `{"detail": ...}`;
- OPTIONS gives DRF metadata whose POST fields have `start`/`end` (2.x) or `time` (1.x);
- GET ?child=&start= filters the child's entries by the exact start instant, start_min and
  start_max by a range (paginated, all on one page here);
- POST: `child` must be an existing integer id; `start`/`end` ISO 8601 (a naive time is UTC);
  a start in the future (server clock) is a 400 on `start`; over 24 h a 400 on `end`; an entry
  overlapping another of the same child is a 400 `non_field_errors`. 400 messages are in French
  here (Baby Buddy translates them by Accept-Language): a client must read the keys only.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _parse(text):
    when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class FakeBabyBuddy:
    def __init__(self, token: str = "secret-token", children=(1,), version: int = 2):
        self.token = token
        self.children = set(children)
        self.version = version
        self.entries: list[dict] = []
        self.posts = 0  # POST requests that reached the handler
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        self.lose_next_answer = False
        self.now = None  # server clock override (datetime, aware)
        self.round_start_to_minute = False  # store starts rounded down (a server that does)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status, body, content_type="application/json"):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method):
                fake.requests.append((method, self.path, dict(self.headers)))
                parts = urlsplit(self.path)
                if parts.path == "/api/pumping":
                    return self._send(500, "<h1>Server Error (500)</h1>", "text/html")
                if parts.path != "/api/pumping/":
                    return self._send(404, "<h1>Not Found</h1>", "text/html")
                if self.headers.get("Authorization") != "Token " + fake.token:
                    return self._send(403, {"detail": "Jeton invalide."})
                return getattr(self, "_" + method.lower())(parse_qs(parts.query))

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def do_OPTIONS(self):
                self._route("OPTIONS")

            def _options(self, _query):
                fields = (
                    ["id", "child", "amount", "start", "end", "duration", "notes", "tags"]
                    if fake.version >= 2
                    else ["id", "child", "amount", "time", "notes", "tags"]
                )
                self._send(
                    200,
                    {
                        "name": "Pumping List",
                        "actions": {"POST": {f: {"type": "field"} for f in fields}},
                    },
                )

            def _get(self, query):
                found = list(fake.entries)
                if "child" in query:
                    found = [e for e in found if str(e["child"]) == query["child"][0]]
                if "start" in query:
                    want = _parse(query["start"][0])
                    found = [e for e in found if _parse(e["start"]) == want]
                if "start_min" in query:
                    lo = _parse(query["start_min"][0])
                    found = [e for e in found if _parse(e["start"]) >= lo]
                if "start_max" in query:
                    hi = _parse(query["start_max"][0])
                    found = [e for e in found if _parse(e["start"]) <= hi]
                self._send(
                    200, {"count": len(found), "next": None, "previous": None, "results": found}
                )

            def _post(self, _query):
                fake.posts += 1
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length))
                except ValueError:
                    return self._send(400, {"detail": "JSON invalide."})
                errors = {}
                child = body.get("child")
                if not isinstance(child, int) or child not in fake.children:
                    errors["child"] = ['Clé primaire "%s" non valide.' % child]
                try:
                    start, end = _parse(body["start"]), _parse(body["end"])
                except (KeyError, ValueError):
                    errors["start"] = ["Ce champ est obligatoire."]
                    return self._send(400, errors)
                now = fake.now or dt.datetime.now(dt.UTC)
                if start > now:
                    errors["start"] = ["La date ne peut pas être dans le futur."]
                if end - start > dt.timedelta(hours=24) or end < start:
                    errors["end"] = ["Durée trop longue."]
                if errors:
                    return self._send(400, errors)
                with fake._lock:
                    for e in fake.entries:
                        if (
                            e["child"] == child
                            and _parse(e["start"]) < end
                            and start < _parse(e["end"])
                        ):
                            return self._send(
                                400,
                                {
                                    "non_field_errors": [
                                        "Une autre entrée chevauche la période indiquée."
                                    ]
                                },
                            )
                    if fake.round_start_to_minute:
                        start = start.replace(second=0, microsecond=0)
                    entry = {
                        "id": len(fake.entries) + 1,
                        "child": child,
                        "amount": float(body.get("amount")),
                        "start": start.astimezone(dt.UTC).isoformat(),
                        "end": end.astimezone(dt.UTC).isoformat(),
                        "duration": str(end - start),
                        "notes": body.get("notes"),
                        "tags": body.get("tags") or [],
                    }
                    fake.entries.append(entry)
                if fake.lose_next_answer:  # stored, but the answer never arrives
                    fake.lose_next_answer = False
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._send(201, entry)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeBabyBuddy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
