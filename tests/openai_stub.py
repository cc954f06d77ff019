"""A local server speaking the OpenAI chat-completions protocol, answering from a script (loopback only)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """A scripted completion: text, and the tool calls it makes (``call("execute", code="1")``)."""

    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


Script = Callable[[dict[str, Any], int], Reply]


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """A tool call as vLLM, SGLang and OpenAI send it: arguments as a JSON string, a fresh id."""
    call.count += 1  # type: ignore[attr-defined]
    return {
        "id": f"call_{call.count}",  # type: ignore[attr-defined]
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


call.count = 0  # type: ignore[attr-defined]


def _events(payload: dict[str, Any]) -> bytes:
    """The completion as a client asking ``stream: true`` receives it: server-sent chunks, then [DONE]."""
    (choice,) = payload["choices"]
    delta = dict(choice["message"])
    delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(delta.get("tool_calls", []))] or None
    base = {k: payload[k] for k in ("id", "model")} | {"object": "chat.completion.chunk", "created": 0}
    chunks = [
        base | {"choices": [{"index": 0, "delta": {k: v for k, v in delta.items() if v is not None}}]},
        base | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]},
        base | {"choices": [], "usage": payload["usage"]},
    ]
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


class StubServer:
    """``script(request_body, call_number) -> Reply``; records requests and the peak of concurrent ones."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub._lock:
                    number = len(stub.requests)
                    stub.requests.append(body)
                    stub.in_flight += 1
                    stub.peak = max(stub.peak, stub.in_flight)
                try:
                    reply = stub.script(body, number)
                    time.sleep(reply.delay)
                    if reply.status == 200:
                        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
                        if reply.tool_calls:
                            message["tool_calls"] = reply.tool_calls
                        payload = {
                            "id": f"cmpl-{number}",
                            "object": "chat.completion",
                            "model": body.get("model"),
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                                    "message": message,
                                }
                            ],
                            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                        }
                    else:
                        payload = {"error": {"message": f"scripted {reply.status}"}}
                    streamed = reply.status == 200 and body.get("stream")
                    data = _events(payload) if streamed else json.dumps(payload).encode()
                    try:
                        self.send_response(reply.status)
                        for key, value in reply.headers.items():
                            self.send_header(key, value)
                        self.send_header(
                            "Content-Type", "text/event-stream" if streamed else "application/json"
                        )
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):  # the client timed out first
                        pass
                finally:
                    with stub._lock:
                        stub.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
