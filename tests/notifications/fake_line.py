"""A local stand-in for LINE's Messaging API push endpoint, so that tests never reach the internet.

It speaks `POST /v2/bot/message/push` the way LINE does, for what the outbox relies on:
- the channel access token as `Authorization: Bearer ...` (401 otherwise);
- `X-Line-Retry-Key`: the first request with a key is accepted and delivered; a later request with the
  same key is answered 409 with the first request's id and is not delivered again;
- a user who is not a friend of the official account (`refuse`): 400, nothing delivered, and the key
  not used up (LINE only remembers keys of accepted requests);
- `fail_next`: statuses to answer the next requests with, before accepting anything (a LINE outage);
- `stall`: seconds to wait after accepting before answering, so the client times out although LINE
  took the message.

`requests` records every request received, `delivered` what the person would see in their chat.
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUSH_PATH = "/v2/bot/message/push"


@dataclass
class Request:
    to: str
    texts: list[str]
    retry_key: str | None
    authorization: str
    status: int = 0


@dataclass
class FakeLine:
    token: str = "test-channel-access-token"
    requests: list[Request] = field(default_factory=list)
    delivered: list[tuple[str, str]] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)
    stall: float = 0.0
    _accepted: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeLine":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake._handle(self)

            def log_message(self, *args):
                pass  # quiet test output

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        length = int(http.headers.get("Content-Length") or 0)
        payload = json.loads(http.rfile.read(length) or b"{}")
        request = Request(
            to=payload.get("to", ""),
            texts=[m.get("text", "") for m in payload.get("messages", [])],
            retry_key=http.headers.get("X-Line-Retry-Key"),
            authorization=http.headers.get("Authorization", ""),
        )
        headers = {"x-line-request-id": str(uuid.uuid4())}
        stall = 0.0
        with self._lock:
            self.requests.append(request)
            if http.path != PUSH_PATH:
                status, body = 404, {"message": "Not found"}
            elif request.authorization != f"Bearer {self.token}":
                status, body = 401, {"message": "Authentication failed"}
            elif self.fail_next:
                status, body = self.fail_next.pop(0), {"message": "An error occurred"}
            elif request.retry_key and request.retry_key in self._accepted:
                status, body = 409, {"message": "The retry key is already accepted"}
                headers["x-line-accepted-request-id"] = self._accepted[request.retry_key]
            elif request.to in self.refuse:
                status, body = self.refuse[request.to], {"message": "Failed to send messages"}
            else:
                status, body = 200, {"sentMessages": [{"id": str(len(self.delivered) + 1)}]}
                if request.retry_key:
                    self._accepted[request.retry_key] = headers["x-line-request-id"]
                self.delivered.extend((request.to, text) for text in request.texts)
                stall = self.stall
            request.status = status
        if stall:
            time.sleep(stall)
        data = json.dumps(body).encode()
        try:
            http.send_response(status)
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                http.send_header(name, value)
            http.send_header("Content-Length", str(len(data)))
            http.end_headers()
            http.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)
