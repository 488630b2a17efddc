#!/usr/bin/python3
"""A Detente client in Python: load a few events, wait for the query
service, fetch the FRA-DEU relation temperature and plot it into a PNG.

The gRPC stubs are generated from the project's protos at run time into a
temporary directory (Debian's protoc + grpc_python_plugin), so this file
needs nothing but Debian packages: python3-grpcio, python3-protobuf,
python3-matplotlib, protobuf-compiler and protobuf-compiler-grpc.

  examples/python/detente_example.py                       # 127.0.0.1:7601 / :7602
  examples/python/detente_example.py --ingest HOST:7601 --query HOST:7602 \
      --out fra-deu.png --series-json fra-deu.json

Safe to run again: the event ids are fixed (UUIDv5), so a second run appends
nothing (the service reports duplicates).
"""
import argparse
import glob
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
GRPC_PLUGIN = "/usr/bin/grpc_python_plugin"

# A few FRA-DEU events of a made-up year. Goldstein scores come from the CAMEO
# table (docs/cameo.md): 036 = +4.0, 112 = -2.0, 163 = -8.0, 057 = +8.0,
# 042 = +1.9. The first two are 90 days (one default half-life) apart, which
# makes hand computation easy (see the README).
EVENTS = [
    ("2023-01-10", "FRA", "DEU", "036", "France proposes talks on energy cooperation"),
    ("2023-04-10", "DEU", "FRA", "036", "Germany agrees to a ministerial meeting"),
    ("2023-06-15", "FRA", "DEU", "112", "France accuses Germany of stalling the grid deal"),
    ("2023-08-01", "DEU", "FRA", "163", "Germany suspends electricity exports"),
    ("2023-10-05", "FRA", "DEU", "057", "Franco-German energy treaty signed"),
    ("2023-11-20", "DEU", "FRA", "042", "German chancellor visits Paris"),
]
# Namespace of the example's event ids (UUIDv5 of the event's text).
ID_NAMESPACE = uuid.UUID("6b1e3d55-8f0c-4a9e-9a57-2c1d7c0e5a10")


def generate_stubs(proto_dir, out_dir):
    """protoc --python_out --grpc_python_out for the detente and google.rpc
    protos. Debian's grpc_tools bundles a protoc too old for proto3
    `optional`, so the system protoc is used with Debian's gRPC plugin."""
    protoc = shutil.which("protoc")
    if not protoc:
        sys.exit("protoc not found (Debian package protobuf-compiler)")
    if not os.access(GRPC_PLUGIN, os.X_OK):
        sys.exit(f"{GRPC_PLUGIN} not found (Debian package protobuf-compiler-grpc)")
    protos = sorted(
        os.path.relpath(p, proto_dir)
        for pattern in ("detente/v1/*.proto", "google/rpc/*.proto")
        for p in glob.glob(os.path.join(proto_dir, pattern)))
    if not protos:
        sys.exit(f"no protos under {proto_dir}")
    cmd = [protoc, f"-I{proto_dir}", f"--python_out={out_dir}",
           f"--grpc_python_out={out_dir}",
           f"--plugin=protoc-gen-grpc_python={GRPC_PLUGIN}", *protos]
    subprocess.run(cmd, check=True)
    # The generated modules import each other as detente.v1.x_pb2 and
    # google.rpc.status_pb2. The folders stay namespace packages (no
    # __init__.py), so that out_dir/google/rpc and the installed
    # google.protobuf merge into one `google` package.
    sys.path.insert(0, out_dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ingest", default=os.environ.get("DETENTE_INGEST", "127.0.0.1:7601"))
    ap.add_argument("--query", default=os.environ.get("DETENTE_QUERY", "127.0.0.1:7602"))
    ap.add_argument("--proto-dir", default=DEFAULT_PROTO_DIR)
    ap.add_argument("--out", default="fra-deu-temperature.png", help="the PNG to write")
    ap.add_argument("--series-json", help="also write the series' points as JSON here")
    ap.add_argument("--timeout", type=float, default=60, help="seconds to wait for the query service")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="detente-stubs-") as stubs:
        generate_stubs(a.proto_dir, stubs)
        import grpc
        ev = importlib.import_module("detente.v1.event_pb2")
        ing = importlib.import_module("detente.v1.ingest_pb2")
        ing_grpc = importlib.import_module("detente.v1.ingest_pb2_grpc")
        qry = importlib.import_module("detente.v1.query_pb2")
        qry_grpc = importlib.import_module("detente.v1.query_pb2_grpc")

        # ---- load the events (one Append, idempotent through the ids)
        events = [
            ev.Event(event_id=str(uuid.uuid5(ID_NAMESPACE, f"{d}|{s}|{t}|{c}|{title}")),
                     occurred_on=d, source=s, target=t, event_code=c,
                     tags=["example"], title=title,
                     source_name="Detente Python example")
            for d, s, t, c, title in EVENTS]
        with grpc.insecure_channel(a.ingest) as ch:
            ingest = ing_grpc.IngestServiceStub(ch)
            resp = ingest.Append(ing.AppendRequest(entries=events), timeout=30)
        new = sum(1 for r in resp.results if not r.duplicate)
        print(f"appended {new}, duplicates {len(resp.results) - new}, "
              f"log head {resp.head_position}")
        head = resp.head_position

        with grpc.insecure_channel(a.query) as ch:
            query = qry_grpc.QueryServiceStub(ch)
            # ---- wait until the read models have applied our events
            deadline = time.monotonic() + a.timeout
            while True:
                try:
                    st = query.GetStatus(qry.GetStatusRequest(), timeout=5)
                    if st.projection_position >= head:
                        break
                    state = qry.ProjectionState.Name(st.state)
                except grpc.RpcError as e:  # not up yet
                    state = e.code().name
                if time.monotonic() > deadline:
                    sys.exit(f"the query service did not reach position {head} "
                             f"within {a.timeout} s ({state})")
                time.sleep(0.1)
            print(f"query service at position {st.projection_position} "
                  f"({qry.ProjectionState.Name(st.state)})")

            # ---- the daily temperature series of the year, as columns: one
            # array per field, what arrays and data frames want (`from` is a
            # Python keyword, hence the dict).
            options = qry.SeriesOptions(**{"from": "2023-01-01", "to": "2023-12-31"},
                                        resolution=qry.RESOLUTION_DAY,
                                        layout=qry.SERIES_LAYOUT_COLUMNS)
            series = query.GetTemperature(
                qry.GetTemperatureRequest(actor_a="FRA", actor_b="DEU", options=options),
                timeout=30)

    # Dates in columns are days since 1970-01-01.
    import datetime as dt
    epoch = dt.date(1970, 1, 1)
    c = series.columns
    points = [{"day": (epoch + dt.timedelta(days=day)).isoformat(), "temperature": t,
               "heat": h, "events": n}
              for day, t, h, n in zip(c.period_end_day, c.temperature, c.heat, c.events)]
    print(f"{series.stream}: {len(points)} points, half-life "
          f"{series.spec.half_life_days:g} d, prior {series.spec.prior:g} "
          f"(log position {series.position})")
    for p in points:
        if p["events"]:
            print(f"  {p['day']}  temperature {p['temperature']:+.3f}  heat {p['heat']:.3f}")
    if a.series_json:
        with open(a.series_json, "w", encoding="utf-8") as fh:
            json.dump({"stream": series.stream, "position": series.position,
                       "points": points}, fh, indent=1)

    plot(points, series, a.out)
    print(f"wrote {a.out}")


def plot(points, series, out):
    import datetime as dt
    import matplotlib
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    days = [dt.date.fromisoformat(p["day"]) for p in points]
    temp = [p["temperature"] for p in points]
    heat = [p["heat"] for p in points]
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.plot(days, temp, color="tab:red", linewidth=1.8, label="temperature")
    ax.fill_between(days, temp, 0, color="tab:red", alpha=0.12)
    ev_days = [d for d, p in zip(days, points) if p["events"]]
    ev_temp = [p["temperature"] for p in points if p["events"]]
    ax.scatter(ev_days, ev_temp, color="black", zorder=3, s=18, label="events")
    ax.set_ylabel("temperature (Goldstein, decayed)")
    lim = max(3.0, 1.2 * max((abs(t) for t in temp), default=0))  # temperature is in (-10, 10)
    ax.set_ylim(-lim, lim)
    ax2 = ax.twinx()
    ax2.plot(days, heat, color="tab:blue", linewidth=1, alpha=0.6, label="heat")
    ax2.set_ylabel("heat")
    ax2.set_ylim(bottom=0)
    ax.set_title(f"{series.stream} relation temperature, half-life "
                 f"{series.spec.half_life_days:g} days (log position {series.position})")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="lower left")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out, format="png")
    plt.close(fig)


if __name__ == "__main__":
    main()
