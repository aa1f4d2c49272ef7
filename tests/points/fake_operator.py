"""A local stand-in for a points operator's HTTP API (points.issuers), so tests never leave 127.0.0.1.

`POST /credits` with `Authorization: Bearer <key>` (401 otherwise) and an `Idempotency-Key` header:
- the first request with a key credits the account and answers 201 {"reference"};
- a later request with the same key credits nothing and answers 200 with the first reference (it
  folds repeats, the way payment APIs do), so a retried send after a lost answer is harmless;
- `fail_next`: statuses (5xx) to answer the next requests with, crediting nothing (an outage);
- `stall`: seconds to wait after crediting before answering (the client times out although the
  operator took the credit);
- `twice`: after answering, the same key's request is replayed once more inside the server (a
  duplicated delivery on the operator's side): it must fold to the same reference too.

`credited` holds (key, account, amount) per credit the operator made; `balances()` sums per account.
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeOperator:
    key: str = "test-operator-key"
    fail_next: list[int] = field(default_factory=list)
    stall: float = 0.0
    twice: bool = False
    requests: list[dict] = field(default_factory=list)
    credited: list[tuple[str, str, int]] = field(default_factory=list)
    _references: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeOperator":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake._handle(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def balances(self) -> dict[str, int]:
        sums: dict[str, int] = {}
        for _key, account, amount in self.credited:
            sums[account] = sums.get(account, 0) + amount
        return sums

    def _credit(self, idem: str | None, payload: dict) -> tuple[int, str]:
        with self._lock:
            if idem and idem in self._references:
                return 200, self._references[idem]
            reference = "OP-" + uuid.uuid4().hex[:12]
            self.credited.append((idem or "", payload["account"], int(payload["amount"])))
            if idem:
                self._references[idem] = reference
            return 201, reference

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        length = int(http.headers.get("Content-Length") or 0)
        payload = json.loads(http.rfile.read(length) or b"{}")
        idem = http.headers.get("Idempotency-Key")
        with self._lock:
            self.requests.append({"key": idem, **payload})
            failing = self.fail_next.pop(0) if self.fail_next else None
        if http.path != "/credits":
            return self._answer(http, 404, {})
        if http.headers.get("Authorization") != f"Bearer {self.key}":
            return self._answer(http, 401, {"message": "bad key"})
        if failing:
            return self._answer(http, failing, {"message": "unavailable"})
        status, reference = self._credit(idem, payload)
        if self.twice:
            self._credit(idem, payload)  # the duplicate folds: same key, no second credit
        if self.stall:
            time.sleep(self.stall)
        self._answer(http, status, {"reference": reference})

    def _answer(self, http: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            http.send_response(status)
            http.send_header("Content-Type", "application/json")
            http.send_header("Content-Length", str(len(data)))
            http.end_headers()
            http.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting
