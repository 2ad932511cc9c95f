#!/usr/bin/env python3
"""A stand-in for CoinGecko's /simple/price, for benchmarks: answers every id in every vs currency with a fixed
price derived from the names (decimal text, as CoinGecko writes it), and writes how many requests it served to
COUNT_FILE. It listens on a free port and prints it.

    bench/fake_coingecko.py COUNT_FILE
"""
import hashlib
import http.server
import json
import sys
import urllib.parse

count_file = sys.argv[1]
served = 0


def price(coin, vs):
    digest = int(hashlib.sha256(f"{coin}/{vs}".encode()).hexdigest()[:8], 16)
    return f"{1 + digest % 90000}.{digest % 100:02d}"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if not url.path.endswith("/simple/price"):
            self.send_error(404)
            return
        ids = query.get("ids", [""])[0].split(",")
        currencies = query.get("vs_currencies", [""])[0].split(",")
        parts = []
        for coin in filter(None, ids):
            fields = []
            for vs in filter(None, currencies):
                fields.append(f'"{vs}": {price(coin, vs)}')
                fields.append(f'"{vs}_24h_change": -1.2345')
            parts.append(f'"{coin}": {{{", ".join(fields)}}}')
        body = ("{" + ", ".join(parts) + "}").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        served += 1
        with open(count_file, "w") as out:
            out.write(str(served))

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
