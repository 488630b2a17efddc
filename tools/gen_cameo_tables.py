#!/usr/bin/env python3
"""Generates the CAMEO tables compiled into libs/domain from GDELT's lookups.

Reads GDELT's CAMEO lookup tables (tab-separated, one header row each):
  CAMEO.eventcodes.txt      CAMEOEVENTCODE  EVENTDESCRIPTION
  CAMEO.goldsteinscale.txt  CAMEOEVENTCODE  GOLDSTEINSCALE
  CAMEO.country.txt         CODE            LABEL
and writes
  libs/domain/cameo_table.inc  rows {code, description, goldstein}
  libs/domain/actor_table.inc  rows {code, name, kind}
both sorted by code (the C++ side binary-searches them).

The raw GDELT files are never copied into the repository; only these derived
tables are committed. See docs/cameo.md.

Usage:
  tools/gen_cameo_tables.py [--data-dir DIR] [--out-dir DIR] [--check]

--check writes nothing and exits 1 when the committed tables are stale.
Problems found in the inputs (a code missing from one table, repaired
text) are reported on stderr.
"""

import argparse
import math
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.path.join(os.path.dirname(REPO), "shared", "data", "real")
DEFAULT_OUT_DIR = os.path.join(REPO, "libs", "domain")

# CAMEO.country.txt mixes countries with regions and two cities. Everything
# listed here is a region (or a sub-national place); everything else is a
# country or territory. The GDELT table has no organisation codes (IGO, UNO,
# NGO... are CAMEO actor *types*, not country codes).
REGIONS = {
    "WSB",  # West Bank
    "BAG",  # Baghdad
    "GZS",  # Gaza Strip
    "AFR", "ASA", "BLK", "CRB", "CAU", "CFR", "CAS", "CEU", "EIN", "EAF",
    "EEU", "EUR", "LAM", "MEA", "MDT", "NAF", "NMR", "PGS", "SCN", "SAM",
    "SAS", "SEA", "SAF", "WAF", "WST",
}
ORGANISATIONS = set()

# Labels in GDELT's table that are plainly damaged. The old label stays
# usable as a name alias (see libs/domain/actors.cc).
NAME_FIXES = {
    "COL": ("Columbia", "Colombia"),
    "REU": ("Runion", "R\u00e9union"),  # the e-acute was lost
}

# Countries missing from GDELT's table that our importers need (ICEWS codes
# them). Codes as in later CAMEO dictionaries (ISO alpha-3).
EXTRA_ACTORS = [
    ("SSD", "South Sudan", "kCountry"),  # independent since 2011-07-09
]

# GDELT's eventcodes file has Mac Roman quotes decoded as Latin-1
# ("Meet at a \u00d2third\u00d3 location"); map them back.
MAC_ROMAN_MOJIBAKE = {
    "\u00d2": "\u201c",  # left double quote
    "\u00d3": "\u201d",  # right double quote
    "\u00d4": "\u2018",  # left single quote
    "\u00d5": "\u2019",  # right single quote
}

CODE_RE = re.compile(r"^[0-9]{2,4}$")
ACTOR_RE = re.compile(r"^[A-Z]{3}$")


def warn(msg):
    print("gen_cameo_tables: " + msg, file=sys.stderr)


def read_table(path, header):
    """Rows of a two-column tab-separated file, header checked and skipped."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines()
    if not lines or lines[0].split("\t") != header:
        sys.exit("%s: expected header %r, got %r" %
                 (path, header, lines[:1]))
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != 2:
            sys.exit("%s:%d: expected 2 columns, got %d" % (path, n, len(cols)))
        rows.append((n, cols[0].strip(), cols[1].strip()))
    return rows


def to_dict(path, rows):
    out = {}
    for n, key, value in rows:
        if key in out:
            sys.exit("%s:%d: duplicate code %r" % (path, n, key))
        out[key] = value
    return out


def c_string(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def repair_text(code, text):
    fixed = "".join(MAC_ROMAN_MOJIBAKE.get(ch, ch) for ch in text)
    # GDELT's 044 also lost the "t" and the space around the quotes.
    fixed = fixed.replace("\u201chird\u201dlocation", "\u201cthird\u201d location")
    if fixed != text:
        warn("event code %s: repaired description %r -> %r" % (code, text, fixed))
    return fixed


def goldstein_for(code, scores):
    """The score of `code`, else of its nearest ancestor ("0231" -> "023")."""
    for n in range(len(code), 1, -1):
        if code[:n] in scores:
            if n != len(code):
                warn("event code %s has no Goldstein score; using %s's (%s)" %
                     (code, code[:n], scores[code[:n]]))
            return scores[code[:n]]
    sys.exit("event code %s: no Goldstein score for it or any ancestor" % code)


def build_cameo(data_dir):
    ev_path = os.path.join(data_dir, "CAMEO.eventcodes.txt")
    gs_path = os.path.join(data_dir, "CAMEO.goldsteinscale.txt")
    events = to_dict(ev_path, read_table(
        ev_path, ["CAMEOEVENTCODE", "EVENTDESCRIPTION"]))
    raw_scores = to_dict(gs_path, read_table(
        gs_path, ["CAMEOEVENTCODE", "GOLDSTEINSCALE"]))

    scores = {}
    for code, text in raw_scores.items():
        value = float(text)
        if not math.isfinite(value) or not -10 <= value <= 10:
            sys.exit("%s: code %s: score %r outside [-10, 10]" %
                     (gs_path, code, text))
        scores[code] = value
    for code in sorted(set(scores) - set(events)):
        warn("Goldstein score for %s, which has no description; dropped" % code)

    rows = []
    for code in sorted(events):
        if not CODE_RE.match(code):
            sys.exit("%s: malformed event code %r" % (ev_path, code))
        if not 1 <= int(code[:2]) <= 20:
            sys.exit("%s: event code %r outside roots 01-20" % (ev_path, code))
        if len(code) > 2 and code[:-1] not in events:
            warn("event code %s has no parent %s in the table" %
                 (code, code[:-1]))
        description = repair_text(code, events[code])
        if not description:
            sys.exit("%s: event code %s has no description" % (ev_path, code))
        rows.append((code, description, goldstein_for(code, scores)))
    roots = {code for code, _, _ in rows if len(code) == 2}
    missing_roots = {"%02d" % r for r in range(1, 21)} - roots
    if missing_roots:
        sys.exit("missing CAMEO roots: %s" % ", ".join(sorted(missing_roots)))
    return rows


def build_actors(data_dir):
    path = os.path.join(data_dir, "CAMEO.country.txt")
    labels = to_dict(path, read_table(path, ["CODE", "LABEL"]))
    rows = []
    for code, name in labels.items():
        if not ACTOR_RE.match(code):
            sys.exit("%s: malformed actor code %r" % (path, code))
        if code in NAME_FIXES:
            old, new = NAME_FIXES[code]
            if name != old:
                sys.exit("%s: %s is %r now, not %r: review NAME_FIXES" %
                         (path, code, name, old))
            warn("actor %s: repaired name %r -> %r" % (code, old, new))
            name = new
        if code in REGIONS:
            kind = "kRegion"
        elif code in ORGANISATIONS:
            kind = "kOrganisation"
        else:
            kind = "kCountry"
        rows.append((code, name, kind))
    for code in sorted((REGIONS | ORGANISATIONS) - set(labels)):
        warn("listed region/organisation %s is not in %s" % (code, path))
    for code, name, kind in EXTRA_ACTORS:
        if code in labels:
            sys.exit("%s is in GDELT's table now: drop it from EXTRA_ACTORS" %
                     code)
        warn("actor %s (%s) is not in GDELT's table; added" % (code, name))
        rows.append((code, name, kind))
    names = {}
    for code, name, _ in rows:
        if name.lower() in names:
            sys.exit("actor name %r used by %s and %s" %
                     (name, names[name.lower()], code))
        names[name.lower()] = code
    return sorted(rows)


HEADER = """\
// Generated by tools/gen_cameo_tables.py from GDELT's {source}.
// Do not edit; regenerate (see docs/cameo.md).
// clang-format off
"""


def render_cameo(rows):
    out = [HEADER.format(source="CAMEO.eventcodes.txt and "
                         "CAMEO.goldsteinscale.txt")]
    for code, description, score in rows:
        out.append("{%s, %s, %s},\n" % (c_string(code), c_string(description),
                                        repr(score)))
    out.append("// clang-format on\n")
    return "".join(out)


def render_actors(rows):
    out = [HEADER.format(source="CAMEO.country.txt")]
    for code, name, kind in rows:
        out.append("{%s, %s, ActorKind::%s},\n" %
                   (c_string(code), c_string(name), kind))
    out.append("// clang-format on\n")
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR,
                        help="folder with GDELT's CAMEO.*.txt files")
    parser.add_argument("--out-dir", default=DEFAULT_OUT_DIR)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed tables are stale")
    args = parser.parse_args()

    outputs = {
        "cameo_table.inc": render_cameo(build_cameo(args.data_dir)),
        "actor_table.inc": render_actors(build_actors(args.data_dir)),
    }
    stale = False
    for name, text in outputs.items():
        path = os.path.join(args.out_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        stale = True
        if args.check:
            warn("%s is stale" % path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote " + path)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
