#!/usr/bin/env python3
"""The disk's fsync latency, for reading the figures of one run:
N times pwrite 4 KiB + fdatasync on a file in DIR (the same loop as
detente-bench's "0 fsync" line). Prints "p50_us p99_us"."""
import os
import sys
import time

d, n = sys.argv[1], int(sys.argv[2])
path = os.path.join(d, "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
block = b"x" * 4096
lat = []
for i in range(n):
    t = time.perf_counter()
    os.pwrite(fd, block, (i % 256) * 4096)
    os.fdatasync(fd)
    lat.append(time.perf_counter() - t)
os.close(fd)
os.unlink(path)
lat.sort()
print("%.0f %.0f" % (lat[len(lat) // 2] * 1e6, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6))
