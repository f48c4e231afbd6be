#!/usr/bin/env python3
"""tests/bench/scrape_aux.py - helpers of tests/bench/scrape.sh.

  scrape_aux.py serve SLOW_ADDR PORT DELAY HANG_ADDR
      a slow TaskManager on SLOW_ADDR:PORT (answers a small Flink page after
      DELAY seconds) and a hung one on HANG_ADDR:PORT (accepts connections
      and never answers); prints "ready" once both listen.

  scrape_aux.py probe URL SECONDS LIVE
      polls the adapter's /metrics every 20 ms for SECONDS and prints, for
      each scrape round that ended meanwhile, the seconds from the round's
      start until LIVE more pages had been scraped successfully:
      "round ROUND_S LIVE_DONE_S SLOWEST_S" (LIVE_DONE_S is "-" when fewer
      succeeded; SLOWEST_S, the round's slowest successful scrape, "-" from
      an adapter that does not export it);
      then "busiest W N": at most N pages were stored within W seconds
      (W = 0.1 and 1), how bunched the scrapes of a round are.

  scrape_aux.py promarrivals URL SELECTOR
      when each target's last page arrived at Prometheus at URL (the
      sample's timestamp, the scrape's start, plus scrape_duration_seconds):
      "busiest W N" as for probe.

  scrape_aux.py prom URL QUERY...
      each instant QUERY's value on Prometheus at URL (the first result's
      value, or "-"), one per line.
"""
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = (
    "# HELP flink_taskmanager_Status_JVM_CPU_Load Load (scope: taskmanager_Status_JVM_CPU)\n"
    "# TYPE flink_taskmanager_Status_JVM_CPU_Load gauge\n"
    'flink_taskmanager_Status_JVM_CPU_Load{host="slow",tm_id="slow:6122-000001",} 0.25\n'
    "# HELP flink_taskmanager_Status_JVM_Memory_Heap_Used Used (scope: taskmanager_Status_JVM_Memory_Heap)\n"
    "# TYPE flink_taskmanager_Status_JVM_Memory_Heap_Used gauge\n"
    'flink_taskmanager_Status_JVM_Memory_Heap_Used{host="slow",tm_id="slow:6122-000001",} 3.2E8\n'
    "# HELP flink_taskmanager_Status_JVM_Memory_Heap_Max Max (scope: taskmanager_Status_JVM_Memory_Heap)\n"
    "# TYPE flink_taskmanager_Status_JVM_Memory_Heap_Max gauge\n"
    'flink_taskmanager_Status_JVM_Memory_Heap_Max{host="slow",tm_id="slow:6122-000001",} 1.073741824E9\n'
).encode()


def serve(slow_addr, port, delay, hang_addr):
    class Slow(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer((slow_addr, port), Slow)
    hang = socket.socket()
    hang.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hang.bind((hang_addr, port))
    hang.listen(64)

    def hold():
        held = []
        while True:
            c, _ = hang.accept()
            held.append(c)
            if len(held) > 64:  # the scrapers gave up on those long ago
                held.pop(0).close()

    threading.Thread(target=hold, daemon=True).start()
    print("ready", flush=True)
    srv.serve_forever()


def metrics(conn):
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read().decode()
    v = {}
    for line in body.splitlines():
        if line.startswith("flinkhpa_scrape"):
            k, _, val = line.rpartition(" ")
            v[k] = float(val)
    return v


def probe(url, seconds, live):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    ok_key = 'flinkhpa_scrapes_total{result="ok"}'
    end = time.monotonic() + seconds
    v = metrics(conn)
    rounds, ok_start, done_at = v["flinkhpa_scrape_rounds_total"], None, None
    samples = []
    while time.monotonic() < end:
        time.sleep(0.02)
        now = time.monotonic()
        v = metrics(conn)
        samples.append((now, v[ok_key]))
        if ok_start is not None and done_at is None and v[ok_key] >= ok_start + live:
            done_at = now
        if v["flinkhpa_scrape_rounds_total"] != rounds:
            r = v["flinkhpa_scrape_round_seconds"]
            if ok_start is not None and v["flinkhpa_scrape_rounds_total"] == rounds + 1:
                start = now - r
                live_s = "%.3f" % (done_at - start) if done_at else "-"
                slowest = v.get("flinkhpa_scrape_slowest_seconds")
                slowest_s = "%.3f" % slowest if slowest is not None else "-"
                print("round %.3f %s %s" % (r, live_s, slowest_s), flush=True)
            rounds = v["flinkhpa_scrape_rounds_total"]
            ok_start, done_at = v[ok_key], None
    for w in (0.1, 1.0):
        print("busiest %.1f %d" % (w, busiest(samples, w)), flush=True)


def busiest(samples, window):
    """The most pages stored within `window` seconds."""
    most, j = 0, 0
    for i in range(len(samples)):
        while samples[i][0] - samples[j][0] > window:
            j += 1
        most = max(most, samples[i][1] - samples[j][1])
    return most


def promarrivals(url, selector):
    q = "timestamp(scrape_duration_seconds%s) + scrape_duration_seconds%s" % (selector, selector)
    with urllib.request.urlopen(
        url + "/api/v1/query?" + urllib.parse.urlencode({"query": q}), timeout=30
    ) as f:
        res = json.load(f)["data"]["result"]
    at = sorted(float(r["value"][1]) for r in res)
    samples = [(t, i + 1) for i, t in enumerate(at)]
    for w in (0.1, 1.0):
        print("busiest %.1f %d" % (w, busiest(samples, w) + 1 if samples else 0), flush=True)


def prom(url, queries):
    for q in queries:
        try:
            with urllib.request.urlopen(
                url + "/api/v1/query?" + urllib.parse.urlencode({"query": q}), timeout=30
            ) as f:
                res = json.load(f)["data"]["result"]
            print(res[0]["value"][1] if res else "-")
        except Exception as exc:  # printed, the script decides
            print("-")
            print("scrape_aux: %s: %s" % (q, exc), file=sys.stderr)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(args[0], int(args[1]), float(args[2]), args[3])
    elif cmd == "probe":
        probe(args[0], float(args[1]), int(args[2]))
    elif cmd == "promarrivals":
        promarrivals(args[0], args[1])
    elif cmd == "prom":
        prom(args[0], args[1:])
    else:
        sys.exit("scrape_aux.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
