#!/usr/bin/env python3
"""Deterministic ~250-byte events (JSON lines) for the peer workloads: the
same fields as detente.v1.Event, CAMEO codes and country codes, skewed pairs."""
import random, sys, uuid

n = int(sys.argv[1])
rng = random.Random(7)
actors = ["USA", "CHN", "RUS", "GBR", "FRA", "DEU", "JPN", "KOR", "PRK", "IND",
          "PAK", "IRN", "ISR", "PSE", "SYR", "IRQ", "TUR", "UKR", "SAU", "EGY"]
codes = ["010", "036", "040", "042", "043", "046", "051", "057", "112", "141", "163", "173", "190"]
tags = ["security", "trade", "history", "nuclear", "summit", "energy"]
out = sys.stdout
for i in range(n):
    a = actors[min(int(len(actors) * rng.random() ** 2), len(actors) - 1)]
    b = rng.choice([x for x in actors if x != a][:8])
    code = rng.choice(codes)
    y, m, d = rng.randint(1965, 2023), rng.randint(1, 12), rng.randint(1, 28)
    eid = uuid.UUID(int=rng.getrandbits(128), version=4)
    out.write('{"eventId":"%s","occurredOn":"%04d-%02d-%02d","source":"%s","target":"%s",'
              '"eventCode":"%s","weight":%d,"tone":%.2f,"tags":["%s"],"title":"%s acts on %s: CAMEO %s",'
              '"sourceName":"Reuters","sourceUrl":"https://news.example.org/%s/%d/%016x"}\n'
              % (eid, y, m, d, a, b, code, rng.randint(1, 5), rng.uniform(-10, 10), rng.choice(tags),
                 a, b, code, a.lower(), y, rng.getrandbits(64)))
