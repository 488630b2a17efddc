#!/usr/bin/env python3
"""Runs one client command and measures what it cost.

  measure.py OUT SERVER_PID -- COMMAND [ARG...]

Writes one line to OUT:
  "wall_s client_cpu_s server_cpu_s exit_code client_rate client_count"
- wall: perf_counter around the command (process start and connect included).
- client_rate / client_count: what the client measured itself, read from its
  output ("-" when it says nothing we know): redis-benchmark --csv (rps),
  pgbench (tps without initial connection time, transactions processed),
  nats_bench / redis_scan ("count seconds" line).
- client CPU: user+sys of the command and everything it waited for
  (getrusage RUSAGE_CHILDREN before/after).
- server CPU: utime+stime of SERVER_PID (all its threads) plus its children,
  live ones from /proc/<child>/stat and exited ones through the server's
  cutime+cstime (PostgreSQL runs one backend process per connection).
The command's stdout and stderr are copied to ours after it ends."""
import os
import re
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    """(ppid, utime+stime, cutime+cstime) in ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    # The command name may hold spaces: split after its closing parenthesis.
    fields = s[s.rindex(")") + 2:].split()
    # fields[0] is state (field 3); utime is field 14, so fields[11].
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def server_cpu(pid):
    if pid <= 0:
        return 0.0
    own = stat(pid)
    if own is None:
        return 0.0
    total = own[1] + own[2]
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == pid:
            continue
        st = stat(int(name))
        if st is not None and st[0] == pid:
            total += st[1]
    return total / TICK


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def client_figures(text):
    """(rate, count) as strings, "-" when unknown."""
    # redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms",
    # "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"; the
    # test name (the command) may hold quotes, so read from the line's end.
    m = re.search(r'","([0-9.]+)"(?:,"[0-9.]+"){6}$', text, re.M)
    if m:
        return "%.0f" % float(m.group(1)), "-"
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
    if m:
        n = re.search(r"actually processed: ([0-9]+)", text)
        return "%.0f" % float(m.group(1)), n.group(1) if n else "-"
    lines = re.findall(r"^([0-9]+) ([0-9.]+)$", text, re.M)
    if lines:
        n, secs = lines[-1]
        return ("%.0f" % (int(n) / float(secs)) if float(secs) > 0 else "-"), n
    return "-", "-"


def main():
    out, spid = sys.argv[1], int(sys.argv[2])
    if sys.argv[3] != "--":
        raise SystemExit("usage: measure.py OUT SERVER_PID -- COMMAND...")
    cmd = sys.argv[4:]
    s0, c0 = server_cpu(spid), children_cpu()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    c1, s1 = children_cpu(), server_cpu(spid)
    text = p.stdout.decode(errors="replace")
    sys.stdout.write(text)
    rate, count = client_figures(text)
    with open(out, "w") as f:
        f.write("%.3f %.2f %.2f %d %s %s\n" % (wall, c1 - c0, s1 - s0, p.returncode, rate, count))
    sys.exit(p.returncode)


main()
