#!/usr/bin/python3
"""python_example_test: the Python example client against the real binaries.

  example_test.py INGEST_BIN QUERY_BIN SOURCE_DIR OUT_DIR

Starts detente-ingest and detente-query on free loopback ports with scratch
data directories, runs examples/python/detente_example.py twice (the second
run must append nothing), and checks the PNG (signature, IHDR, size) and the
series against hand-computed values:

  FRA->DEU 036 (Goldstein +4.0) on 2023-01-10, weight 1, half-life 90 d,
  prior 1:  T(2023-01-09) = 0;  T(2023-01-10) = 4*1 / (1 + 1) = 2.0
  DEU->FRA 036 on 2023-04-10 (90 days later, so the first event counts 1/2):
  T(2023-04-10) = (4*0.5 + 4*1) / (1 + 0.5 + 1) = 6 / 2.5 = 2.4
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"FAIL: {name} exited with {proc.returncode} at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"FAIL: {name} does not listen on {port} after {timeout} s")


def stop(proc, name):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return f"{name} did not stop within 30 s of SIGTERM"
    if proc.returncode != 0:
        return f"{name} exited with {proc.returncode} after SIGTERM"
    return None


def main():
    ingest_bin, query_bin, src, out_dir = sys.argv[1:5]
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, "fra-deu-temperature.png")
    series_json = os.path.join(out_dir, "fra-deu-temperature.json")
    for f in (png, series_json):
        if os.path.exists(f):
            os.remove(f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETENTE_")}
    failures = []
    with tempfile.TemporaryDirectory(prefix="detente-pyex-") as tmp:
        ip, qp = free_port(), free_port()
        logs = {n: open(os.path.join(out_dir, f"{n}.log"), "w") for n in ("ingest", "query")}
        ingest = subprocess.Popen(
            [ingest_bin, "--listen", f"127.0.0.1:{ip}", "--data-dir", os.path.join(tmp, "ingest")],
            env=env, stdout=logs["ingest"], stderr=subprocess.STDOUT)
        query = None
        try:
            wait_port(ip, ingest, "detente-ingest")
            query = subprocess.Popen(
                [query_bin, "--listen", f"127.0.0.1:{qp}", "--http-listen", "",
                 "--ingest", f"127.0.0.1:{ip}", "--data-dir", os.path.join(tmp, "query")],
                env=env, stdout=logs["query"], stderr=subprocess.STDOUT)
            wait_port(qp, query, "detente-query")
            example = os.path.join(src, "examples", "python", "detente_example.py")
            runs = []
            for _ in range(2):
                r = subprocess.run(
                    [sys.executable, example, "--ingest", f"127.0.0.1:{ip}",
                     "--query", f"127.0.0.1:{qp}", "--proto-dir", os.path.join(src, "proto"),
                     "--out", png, "--series-json", series_json],
                    env=env, capture_output=True, text=True, timeout=120)
                print(r.stdout, end="")
                print(r.stderr, end="", file=sys.stderr)
                if r.returncode != 0:
                    sys.exit(f"FAIL: the example exited with {r.returncode}")
                runs.append(r.stdout)
            if "appended 6, duplicates 0" not in runs[0]:
                failures.append("first run did not append the 6 events")
            if "appended 0, duplicates 6" not in runs[1]:
                failures.append("second run was not idempotent (fixed ids: all duplicates)")
        finally:
            for p, n in ((query, "detente-query"), (ingest, "detente-ingest")):
                if p is not None:
                    err = stop(p, n)
                    if err:
                        failures.append(err)
            for f in logs.values():
                f.close()

    # ---- the PNG
    with open(png, "rb") as fh:
        data = fh.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        failures.append(f"{png} is not a PNG")
    else:
        w, h = struct.unpack(">II", data[16:24])
        print(f"PNG {w}x{h}, {len(data)} bytes")
        if not (w >= 600 and h >= 300):
            failures.append(f"PNG is {w}x{h}, expected about 1000x450")
        if not (10_000 <= len(data) <= 5_000_000):
            failures.append(f"PNG has {len(data)} bytes: not a plausible chart")
        if data[-8:-4] != b"IEND":
            failures.append("PNG has no IEND chunk (truncated)")

    # ---- the series against hand-computed values
    with open(series_json, encoding="utf-8") as fh:
        s = json.load(fh)
    by_day = {p["day"]: p for p in s["points"]}
    if len(s["points"]) != 365:
        failures.append(f"{len(s['points'])} daily points in 2023, expected 365")
    if s["stream"] not in ("DEU-FRA", "FRA-DEU"):
        failures.append(f"stream {s['stream']!r}")
    expect = {"2023-01-09": (0.0, 0.0), "2023-01-10": (2.0, 1.0), "2023-04-10": (2.4, 1.5)}
    for day, (temp, heat) in expect.items():
        p = by_day.get(day)
        if p is None:
            failures.append(f"no point for {day}")
            continue
        print(f"{day}: temperature {p['temperature']!r} (hand: {temp}), heat {p['heat']!r} (hand: {heat})")
        if abs(p["temperature"] - temp) > 1e-9 or abs(p["heat"] - heat) > 1e-9:
            failures.append(f"{day}: temperature {p['temperature']}, heat {p['heat']}; "
                            f"hand-computed {temp}, {heat}")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print(f"OK: {png}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
