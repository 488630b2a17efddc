#!/usr/bin/env python3
"""Files for the PostgreSQL workloads, written before anything is timed:

  pg_prepare.py EVENTS_JSONL OUT_DIR

- schema.sql: an event-store table (global position, unique event id, stream,
  jsonb data) with an index per stream.
- copy.sql: BEGIN; COPY ... FROM STDIN; <1000 rows>; COMMIT; for every 1000
  events, for psql -f (rows go through psql's COPY, the native path).
- insert.sql: a pgbench script, one INSERT (one transaction) of one event of
  the file with a fresh uuid and a random stream of 400."""
import json
import os
import sys

src, out = sys.argv[1], sys.argv[2]
with open(os.path.join(out, "schema.sql"), "w") as f:
    f.write("CREATE TABLE events (position bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE,\n"
            "  stream text NOT NULL, data jsonb NOT NULL);\n"
            "CREATE INDEX events_stream ON events (stream, position);\n")


def copy_escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


first = None
with open(src) as inp, open(os.path.join(out, "copy.sql"), "w") as f:
    n = 0
    for line in inp:
        line = line.rstrip("\n")
        if first is None:
            first = line
        d = json.loads(line)
        if n % 1000 == 0:
            if n:
                f.write("\\.\nCOMMIT;\n")
            f.write("BEGIN;\nCOPY events (event_id, stream, data) FROM STDIN;\n")
        f.write("%s\t%s\t%s\n" % (d["eventId"], "-".join(sorted([d["source"], d["target"]])),
                                  copy_escape(line)))
        n += 1
    if n:
        f.write("\\.\nCOMMIT;\n")
with open(os.path.join(out, "insert.sql"), "w") as f:
    f.write("\\set s random(1, 400)\n")
    f.write("INSERT INTO events (event_id, stream, data) VALUES (gen_random_uuid(), 'pair-' || :s, '%s');\n"
            % first.replace("'", "''"))
