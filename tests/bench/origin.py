"""A small origin for the edge-proxy benchmark: answers every GET with a 2 KB page, after
`?delay=<ms>` milliseconds when the query asks for it, keeping connections alive.

Usage: python3 tests/bench/origin.py PORT
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PORT = int(sys.argv[1])
PAGE = b"<!doctype html><title>origin</title>" + b"x" * 2000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):
        delay = parse_qs(urlsplit(self.path).query).get("delay", ["0"])[0]
        if float(delay) > 0:
            time.sleep(float(delay) / 1000.0)
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
