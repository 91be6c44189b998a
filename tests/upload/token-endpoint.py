#!/usr/bin/env python3
"""token-endpoint.py - a tiny OAuth token endpoint over HTTPS for the
refresh tests: answers each POST with the status and JSON body of the
next line of SCRIPT ("200 {...}"), and appends each request's form body
to LOG (one line each), so a test can check what the client sent.

usage: token-endpoint.py PORT CERT KEY SCRIPT LOG"""
import http.server
import ssl
import sys

port, cert, key, script, log = sys.argv[1:6]
with open(script) as f:
    answers = [line.rstrip("\n").split(" ", 1) for line in f if line.strip()]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(log, "ab") as f:
            f.write(body + b"\n")
        status, text = answers.pop(0) if answers else ("500", "{}")
        data = text.encode()
        self.send_response(int(status))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("listening", flush=True)
srv.serve_forever()
