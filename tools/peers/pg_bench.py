#!/usr/bin/env python3
"""PostgreSQL 15 as an event store (synchronous_commit on): COPY in
1000-row transactions, and one INSERT per transaction, both through psql
(Debian's psql; no python driver needed). Prints TSV lines."""
import os, subprocess, sys, time

port, path, single = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock = os.path.dirname(os.path.dirname(os.path.abspath(path)))
work = os.path.dirname(os.path.abspath(path))
env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=port, PGUSER="bench", PGDATABASE="postgres")
psql = ["/usr/lib/postgresql/15/bin/psql", "-q", "-v", "ON_ERROR_STOP=1", "-X"]
events = [l.rstrip("\n") for l in open(path)]
LABEL = "synchronous_commit on (fsync before ack)"


def run(script):
    t = time.perf_counter()
    subprocess.run(psql, input=script, text=True, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


run("""CREATE TABLE events (position bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE,
       stream text NOT NULL, data jsonb NOT NULL);
       CREATE INDEX events_stream ON events (stream, position);""")
import json
rows = []
for e in events:
    d = json.loads(e)
    s = "-".join(sorted([d["source"], d["target"]]))
    rows.append("%s\t%s\t%s" % (d["eventId"], s, e.replace("\\", "\\\\")))
parts = []
for i in range(0, len(rows), 1000):
    parts.append("BEGIN;\nCOPY events (event_id, stream, data) FROM STDIN;\n" +
                 "\n".join(rows[i:i + 1000]) + "\n\\.\nCOMMIT;\n")
dt = run("".join(parts))
print("PostgreSQL 15\t%s\tCOPY, 1000 rows per transaction\t%.0f\tevents/s" % (LABEL, len(rows) / dt))

ins = []
for i in range(single):
    e = events[i % len(events)]
    d = json.loads(e)
    s = "-".join(sorted([d["source"], d["target"]]))
    ins.append("INSERT INTO events (event_id, stream, data) VALUES (gen_random_uuid(), '%s', '%s');" %
               (s, e.replace("'", "''")))
dt = run("\n".join(ins) + "\n")
print("PostgreSQL 15\t%s\tone INSERT per transaction\t%.0f\tevents/s" % (LABEL, single / dt))
dt = run("COPY (SELECT data FROM events ORDER BY position) TO '/dev/null';")
print("PostgreSQL 15\t-\tfull scan in position order (COPY TO)\t%.0f\tevents/s" % ((len(rows) + single) / dt))
