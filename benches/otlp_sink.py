#!/usr/bin/env python3
"""A stand-in OTLP/HTTP collector for benchmarks: accepts every export, keeps nothing.

Usage: benches/otlp_sink.py [port]   (default 4318), then
       SERVER_ARGS='--otlp-endpoint http://127.0.0.1:4318' benches/console_page.sh postgres
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
    ThreadingHTTPServer(("127.0.0.1", port), Sink).serve_forever()
