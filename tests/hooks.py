"""What webhook tests need: local HTTP servers that keep what they are sent, the log lines
of the webhook service, and name resolution that never asks a real DNS server."""

import http.server
import ipaddress
import json
import logging
import socket
import threading


class Receiver:
    """A local HTTP server that keeps every request it is sent (method, path, headers,
    JSON body) and answers `status` with `headers` (a redirect's Location, say)."""

    def __init__(self, status=204, headers=None, host="127.0.0.1"):
        self.calls = []
        self.requests = []
        self.called = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _keep(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append((self.command, self.path, dict(self.headers)))
                if self.command == "POST":
                    receiver.calls.append((self.path, json.loads(body)))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.called.set()

            do_GET = do_POST = do_PUT = do_HEAD = _keep

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://{host}:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self):
        assert self.called.wait(timeout=10), "the webhook was not called"
        self.called.clear()
        return self.calls[-1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookLog(logging.Handler):
    """Keeps the messages the webhook service logs; `seen` is set by each."""

    def __init__(self):
        super().__init__()
        self.messages = []
        self.seen = threading.Event()

    def emit(self, record):
        self.messages.append(record.getMessage())
        self.seen.set()

    def wait(self) -> str:
        assert self.seen.wait(timeout=10), "the webhook logged nothing"
        return self.messages[-1]


class Resolver(dict):
    """`socket.getaddrinfo` as a test says: a name it maps answers its addresses (a list,
    or a callable giving one each time, to model a DNS answer that changes); an IP address
    answers itself; any other name does not resolve. No test asks a real DNS server."""

    def __init__(self, real):
        super().__init__()
        self.real = real
        self.asked = []

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self:
            return self.real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        self.asked.append(name)
        answers = self[name]() if callable(self[name]) else self[name]
        results = []
        for written in answers:
            six = ipaddress.ip_address(written).version == 6
            answer_family = socket.AF_INET6 if six else socket.AF_INET
            if family not in (0, answer_family):
                continue
            address = (written, int(port or 0), 0, 0) if six else (written, int(port or 0))
            results.append((answer_family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address))
        return results
