"""A local web server that records every request made to it: an image fetched from a payload,
or (as a proxy) any request a process tried to send outside the machine."""

from __future__ import annotations

import http.server
import threading

from tests.support.postgres import free_port


class Beacon:
    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(404)
                self.end_headers()

            do_GET = do_POST = do_CONNECT = do_HEAD = _record  # noqa: N815 (the library's names)

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
