#!/usr/bin/env python3
"""Redis Streams: pipelined XADD (1000 per round trip) and an XRANGE scan.
Prints TSV lines: system, durability, workload, rate, unit."""
import sys, time
sys.path.insert(0, __import__("os").path.dirname(__file__))
from resp import Conn, command

port, path, mode, label = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
events = [l.rstrip(b"\n") for l in open(path, "rb")]
for _ in range(100):
    try:
        c = Conn(port); break
    except OSError:
        time.sleep(0.1)
c.send(command("PING")); c.reply()
t = time.perf_counter()
for i in range(0, len(events), 1000):
    chunk = events[i:i + 1000]
    c.send(b"".join(command("XADD", "events", "*", "e", e) for e in chunk))
    for _ in chunk:
        c.reply()
dt = time.perf_counter() - t
print("Redis Streams 7.0\t%s\tpipelined XADD (1000 in flight)\t%.0f\tevents/s" % (label, len(events) / dt))
if mode == "always":
    t = time.perf_counter(); n = 0; start = "-"
    while True:
        c.send(command("XRANGE", "events", start, "+", "COUNT", "1000"))
        page = c.reply()
        if not page:
            break
        n += len(page)
        start = "(" + page[-1][0].decode()
    dt = time.perf_counter() - t
    print("Redis Streams 7.0\t-\tXRANGE full scan (COUNT 1000)\t%.0f\tevents/s" % (n / dt))
