#!/usr/bin/env python3
"""NATS JetStream over the raw NATS protocol (Debian ships no NATS client
library for python, nor the `nats` CLI): async publish with 1000 acks
outstanding, publish waiting for each ack, ordered-consumer-style replay
(ephemeral push consumer, no acks, flow control). Prints TSV lines."""
import json, socket, sys, time

port, path, single = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
events = [l.rstrip(b"\n") for l in open(path, "rb")]
LABEL_ASYNC = "R1 file store, fsync every 2 min (sync_interval default); NOT durable on ack"


class Nats:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""; self.pos = 0
        self.line()  # INFO
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nPING\r\n')
        while self.line() != b"PONG":
            pass

    def fill(self):
        self.buf = self.buf[self.pos:] + self.s.recv(1 << 20); self.pos = 0

    def line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                l = self.buf[self.pos:i]; self.pos = i + 2; return l
            self.fill()

    def exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self.fill()
        v = self.buf[self.pos:self.pos + n]; self.pos += n + 2; return v

    def msg(self):
        """Next MSG/HMSG: (subject, reply, headers, payload); answers PINGs."""
        while True:
            l = self.line()
            if l.startswith(b"MSG "):
                p = l.split()
                reply = p[3] if len(p) == 5 else None
                return p[1], reply, b"", self.exact(int(p[-1]))
            if l.startswith(b"HMSG "):
                p = l.split()
                reply = p[3] if len(p) == 6 else None
                body = self.exact(int(p[-1])); h = int(p[-2])
                return p[1], reply, body[:h], body[h:]
            if l == b"PING":
                self.s.sendall(b"PONG\r\n")
            elif l.startswith(b"-ERR"):
                raise RuntimeError(l.decode())

    def request(self, subject, payload):
        self.s.sendall(b"SUB _INBOX.req 99\r\nPUB %s _INBOX.req %d\r\n%s\r\n" % (subject, len(payload), payload))
        _, _, _, body = self.msg()
        self.s.sendall(b"UNSUB 99\r\n")
        return json.loads(body)


nc = Nats()
r = nc.request(b"$JS.API.STREAM.CREATE.EVENTS", json.dumps(
    {"name": "EVENTS", "subjects": ["events.>"], "storage": "file", "num_replicas": 1}).encode())
if "error" in r:
    raise SystemExit(r)

# Async publish, 1000 acks outstanding.
nc.s.sendall(b"SUB _INBOX.acks.* 1\r\n")
t = time.perf_counter(); sent = acked = 0; window = 1000
while acked < len(events):
    out = []
    while sent < len(events) and sent - acked < window:
        e = events[sent]
        out.append(b"PUB events.x _INBOX.acks.%d %d\r\n%s\r\n" % (sent, len(e), e)); sent += 1
    if out:
        nc.s.sendall(b"".join(out))
    nc.msg(); acked += 1
dt = time.perf_counter() - t
print("NATS JetStream 2.9\t%s\tasync publish, 1000 in flight\t%.0f\tevents/s" % (LABEL_ASYNC, len(events) / dt))

# Publish waiting for each ack.
t = time.perf_counter()
for i in range(single):
    e = events[i % len(events)]
    nc.s.sendall(b"PUB events.y _INBOX.acks.s%d %d\r\n%s\r\n" % (i, len(e), e))
    nc.msg()
dt = time.perf_counter() - t
print("NATS JetStream 2.9\t%s\tpublish waiting for each ack\t%.0f\tevents/s" % (LABEL_ASYNC, single / dt))

# Replay: ephemeral push consumer, no acks, flow control (what an ordered
# consumer does).
total = len(events) + single
nc.s.sendall(b"SUB _INBOX.replay 2\r\n")
t = time.perf_counter()
r = nc.request(b"$JS.API.CONSUMER.CREATE.EVENTS", json.dumps({"stream_name": "EVENTS", "config": {
    "deliver_subject": "_INBOX.replay", "ack_policy": "none", "deliver_policy": "all",
    "flow_control": True, "idle_heartbeat": 5000000000, "mem_storage": True}}).encode())
if "error" in r:
    raise SystemExit(r)
n = 0
while n < total:
    subj, reply, hdr, payload = nc.msg()
    if hdr and not payload:  # flow control or heartbeat
        if reply:
            nc.s.sendall(b"PUB %s 0\r\n\r\n" % reply)
        continue
    n += 1
dt = time.perf_counter() - t
print("NATS JetStream 2.9\t-\tordered-consumer-style replay\t%.0f\tevents/s" % (n / dt))
