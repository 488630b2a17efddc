#!/usr/bin/env python3
"""Build data/sample/korea-japan-triad.jsonl, the bundled sample history.

The events below were curated by hand from one seed article (see SOURCE_NAME
and data/sample/README.md). Each becomes one line in the proto3 JSON mapping
of detente.v1.Event (proto/detente/v1/event.proto). Output is deterministic:
lines are sorted by occurredOn, then by slug, and every event_id is a UUIDv5
derived from the slug.

Usage:
    python3 data/sample/build_sample.py            # write the JSONL, print pair counts
    python3 data/sample/build_sample.py --check    # fail if the JSONL is out of date
    python3 data/sample/build_sample.py --cameo PATH/CAMEO.eventcodes.txt

Standard library only.
"""

import argparse
import collections
import datetime
import json
import math
import pathlib
import re
import sys
import uuid

NS = uuid.UUID("6b9d4fc1-630f-4bea-9d10-6a1e5a4e5000")
SOURCE_NAME = (
    "Economic Statecraft: No More Triad? Prospects for Relations Between the "
    "Republic of Korea and Japan"
)
# The seed text gives no URL, so no event carries sourceUrl.
SOURCE_URL = None
LATEST_DATE = datetime.date(2022, 12, 31)

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT = HERE / "korea-japan-triad.jsonl"
# GDELT's CAMEO table as shipped next to the repository, and the project's
# generated table (the service validates against the latter).
DEFAULT_CAMEO = REPO.parent / "shared" / "data" / "real" / "CAMEO.eventcodes.txt"
PROJECT_CAMEO = REPO / "libs" / "domain" / "cameo_table.inc"

# Each event: slug (unique, lower case; the event_id is derived from it),
# on (occurredOn: YYYY, YYYY-MM or YYYY-MM-DD), src, tgt, code (CAMEO event
# code as text), tags (1-3), title, summary, and optionally goldstein (an
# override of the table's score; used sparingly, see README.md).
#
# Conventions: a mutual act (a signing, a meeting) is one event per unordered
# pair of participants, with the initiator or host as source where there is
# one. The Soviet Union is coded RUS.
EVENTS = [
    # --- The US alliances behind the "two dyads" ---------------------------
    dict(
        slug="us-rok-mutual-defense-treaty",
        on="1953-10-01", src="USA", tgt="KOR", code="057",
        tags=["security"],
        title="US and South Korea sign the Mutual Defense Treaty",
        summary=(
            "Washington and Seoul signed the Mutual Defense Treaty, the US "
            "guarantee of South Korea's military security that the article "
            "cites. It describes US-ROK ties as one of two separate dyads "
            "rather than part of a real triangle with Japan."
        ),
    ),
    dict(
        slug="us-japan-security-treaty",
        on="1960-01-19", src="USA", tgt="JPN", code="057",
        tags=["security"],
        title="US and Japan sign the Treaty of Mutual Cooperation and Security",
        summary=(
            "The United States and Japan signed the revised security treaty "
            "that guarantees Japan's military security, the second of the two "
            "US dyads the article contrasts with the missing Seoul-Tokyo leg."
        ),
    ),
    # --- 1956 Soviet-Japanese Joint Declaration ----------------------------
    dict(
        slug="hatoyama-moscow-visit",
        on="1956-10", src="JPN", tgt="RUS", code="042",
        tags=["diplomacy"],
        title="Japanese delegation under PM Hatoyama travels to Moscow",
        summary=(
            "Prime Minister Ichiro Hatoyama went to Moscow to conclude "
            "normalisation talks with the Soviet Union (coded RUS here). The "
            "visit produced the 1956 Joint Declaration that the article cites."
        ),
    ),
    dict(
        slug="soviet-japanese-joint-declaration",
        on="1956-10-19", src="JPN", tgt="RUS", code="057",
        tags=["diplomacy"],
        title="Soviet-Japanese Joint Declaration signed in Moscow",
        summary=(
            "Japan and the Soviet Union (coded RUS) signed a joint declaration "
            "ending the state of war and restoring diplomatic relations. The "
            "article holds it up as a source of the good-neighbourliness "
            "principle that Tokyo has since moved away from."
        ),
    ),
    dict(
        slug="soviet-japanese-relations-restored",
        on="1956-12-12", src="RUS", tgt="JPN", code="054",
        tags=["diplomacy"],
        title="Soviet-Japanese Joint Declaration takes effect; relations restored",
        summary=(
            "With the exchange of ratifications the 1956 Joint Declaration "
            "entered into force and the Soviet Union (coded RUS) and Japan "
            "resumed diplomatic relations."
        ),
    ),
    # --- Vietnam War --------------------------------------------------------
    dict(
        slug="rok-combat-troops-vietnam",
        on="1965", src="KOR", tgt="USA", code="062",
        tags=["security"],
        title="South Korea sends combat troops to Vietnam alongside US forces",
        summary=(
            "Seoul began sending combat divisions to South Vietnam in support "
            "of American forces. The article recalls that Tokyo and Seoul both "
            "backed US forces in the Vietnam War, but says that experience "
            "does not fit today's conditions."
        ),
    ),
    # --- 1972 Sino-Japanese Joint Communique --------------------------------
    dict(
        slug="tanaka-beijing-visit",
        on="1972-09-25", src="JPN", tgt="CHN", code="042",
        tags=["diplomacy"],
        title="Japanese PM Kakuei Tanaka arrives in Beijing",
        summary=(
            "Prime Minister Kakuei Tanaka arrived in Beijing for talks on "
            "normalising relations, which produced the 1972 Joint Communique "
            "the article cites."
        ),
    ),
    dict(
        slug="sino-japanese-joint-communique",
        on="1972-09-29", src="JPN", tgt="CHN", code="057",
        tags=["diplomacy"],
        title="Sino-Japanese Joint Communique normalises relations",
        summary=(
            "Japan and the People's Republic of China signed a joint "
            "communique that established diplomatic relations. The article "
            "names it next to the 1956 declaration as a good-neighbourliness "
            "commitment Tokyo is drifting away from."
        ),
    ),
    # --- 1998 Kim Dae-jung - Obuchi Joint Declaration -----------------------
    dict(
        slug="kim-dae-jung-state-visit-japan",
        on="1998-10-07", src="KOR", tgt="JPN", code="042",
        tags=["diplomacy"],
        title="President Kim Dae-jung begins a state visit to Japan",
        summary=(
            "South Korean President Kim Dae-jung arrived in Tokyo for a state "
            "visit, during which he and Prime Minister Keizo Obuchi adopted "
            "the 1998 Joint Declaration."
        ),
    ),
    dict(
        slug="kim-obuchi-joint-declaration",
        on="1998-10-08", src="JPN", tgt="KOR", code="057",
        tags=["diplomacy", "security", "history"],
        title="Obuchi and Kim Dae-jung sign the Japan-ROK Joint Declaration",
        summary=(
            "Prime Minister Keizo Obuchi and President Kim Dae-jung signed a "
            "joint declaration committing both sides to balanced cooperative "
            "relations, including in security. The article names it as the "
            "framework for any Seoul-Tokyo dialogue on military development."
        ),
    ),
    # --- 2019 export restrictions -------------------------------------------
    dict(
        slug="japan-semiconductor-export-curbs",
        on="2019-07-04", src="JPN", tgt="KOR", code="163",
        tags=["trade", "economy"],
        title="Japan tightens exports of semiconductor materials to South Korea",
        summary=(
            "Japan began requiring individual licences for exports to South "
            "Korea of three materials used to make chips and displays. The "
            "article notes that these restrictions on supplies for South "
            "Korean semiconductor production were still in place in 2021."
        ),
    ),
    # --- 2021: mixed signals ------------------------------------------------
    dict(
        slug="japan-keeps-semiconductor-curbs",
        on="2021", src="JPN", tgt="KOR", code="1244",
        tags=["trade", "economy"],
        title="Japan keeps curbs on semiconductor materials for South Korea",
        summary=(
            "Despite the renewed contacts of 2021, restrictions on supplies of "
            "raw materials for South Korean chip production stayed in force. "
            "The article counts this among the obstacles to rapprochement."
        ),
    ),
    dict(
        slug="seoul-condemns-fukushima-discharge",
        on="2021-04-13", src="KOR", tgt="JPN", code="111",
        tags=["environment", "nuclear"],
        title="Seoul condemns Japan's plan to release Fukushima water into the Pacific",
        summary=(
            "After Tokyo decided to discharge treated radioactive water from "
            "the Fukushima nuclear plant into the Pacific, the South Korean "
            "government sharply objected and summoned Japan's ambassador. The "
            "article cites the protest as one of the setbacks of 2021."
        ),
    ),
    dict(
        slug="seoul-court-dismisses-comfort-women-suit",
        on="2021-04-21", src="KOR", tgt="JPN", code="080", goldstein=2.0,
        tags=["legal", "history"],
        title="Seoul court dismisses comfort-women suit against Japan's government",
        summary=(
            "A Seoul district court rejected a damages suit brought against "
            "the Japanese state by survivors of wartime sexual slavery, "
            "citing sovereign immunity. The article treats the dropping of "
            "such suits as a conciliatory Korean step."
        ),
    ),
    dict(
        slug="g7-london-trilateral-fm-usa-kor",
        on="2021-05-05", src="USA", tgt="KOR", code="040",
        tags=["diplomacy", "security"],
        title="Blinken meets South Korean and Japanese foreign ministers in London",
        summary=(
            "On the sidelines of the G7 foreign ministers' meeting in London, "
            "the US Secretary of State held three-way talks with his South "
            "Korean and Japanese counterparts, focused on North Korea (US-ROK "
            "leg of the trilateral)."
        ),
    ),
    dict(
        slug="g7-london-trilateral-fm-usa-jpn",
        on="2021-05-05", src="USA", tgt="JPN", code="040",
        tags=["diplomacy", "security"],
        title="Blinken meets Japanese and South Korean foreign ministers in London",
        summary=(
            "At the G7 foreign ministers' meeting in London, the US, South "
            "Korean and Japanese foreign ministers held trilateral talks, "
            "focused on North Korea (US-Japan leg of the trilateral)."
        ),
    ),
    dict(
        slug="g7-london-trilateral-fm-kor-jpn",
        on="2021-05-05", src="KOR", tgt="JPN", code="040",
        tags=["diplomacy", "security"],
        title="South Korean and Japanese foreign ministers meet in US-led trilateral",
        summary=(
            "Chung Eui-yong and Toshimitsu Motegi sat together in the "
            "trilateral meeting convened by the United States in London during "
            "the G7 ministerial (South Korea-Japan leg of the trilateral)."
        ),
    ),
    dict(
        slug="chung-motegi-bilateral-london",
        on="2021-05-05", src="KOR", tgt="JPN", code="040",
        tags=["diplomacy"],
        title="Chung and Motegi hold first bilateral talks in London",
        summary=(
            "After the trilateral meeting the South Korean and Japanese "
            "foreign ministers talked one to one, the first such meeting "
            "between them, and noted the need to develop relations."
        ),
    ),
    dict(
        slug="kor-jpn-agree-north-korea-cooperation",
        on="2021-05-05", src="JPN", tgt="KOR", code="030",
        tags=["security", "diplomacy"],
        title="Seoul and Tokyo agree to cooperate on North Korea",
        summary=(
            "In their London talks the Japanese and South Korean foreign "
            "ministers agreed to work together on the North Korean issue, "
            "which the article presents as a modest sign of rapprochement."
        ),
    ),
    dict(
        slug="intel-chiefs-trilateral-tokyo-jpn-kor",
        on="2021-05-12", src="JPN", tgt="KOR", code="040",
        tags=["security"],
        title="Japanese and South Korean intelligence chiefs meet in Tokyo trilateral",
        summary=(
            "The heads of the intelligence services of South Korea, the United "
            "States and Japan met in Tokyo, following the London foreign "
            "ministers' meeting (Japan-South Korea leg of the trilateral)."
        ),
    ),
    dict(
        slug="intel-chiefs-trilateral-tokyo-jpn-usa",
        on="2021-05-12", src="JPN", tgt="USA", code="040",
        tags=["security"],
        title="Japanese and US intelligence chiefs meet in Tokyo trilateral",
        summary=(
            "Japan hosted three-way consultations of the South Korean, US and "
            "Japanese intelligence chiefs in Tokyo (Japan-US leg of the "
            "trilateral)."
        ),
    ),
    dict(
        slug="intel-chiefs-trilateral-tokyo-usa-kor",
        on="2021-05-12", src="USA", tgt="KOR", code="040",
        tags=["security"],
        title="US and South Korean intelligence chiefs meet in Tokyo trilateral",
        summary=(
            "The US Director of National Intelligence and South Korea's "
            "intelligence chief took part in the Tokyo trilateral of "
            "intelligence heads (US-South Korea leg of the trilateral)."
        ),
    ),
    dict(
        slug="moon-washington-summit",
        on="2021-05-21", src="KOR", tgt="USA", code="042",
        tags=["diplomacy", "security"],
        title="President Moon Jae-in holds summit with Biden in Washington",
        summary=(
            "South Korea's president visited Washington for his first summit "
            "with President Biden, at which the end of US limits on South "
            "Korean missile development was announced."
        ),
    ),
    dict(
        slug="us-ends-rok-missile-guidelines",
        on="2021-05-21", src="USA", tgt="KOR", code="081",
        tags=["security"],
        title="US lifts restrictions on South Korean missile development",
        summary=(
            "The United States agreed to terminate the missile guidelines that "
            "had capped South Korean missile range and payload. The article "
            "says Seoul then set out plans for new strike and defensive systems."
        ),
    ),
    dict(
        slug="seoul-protests-olympic-map-dokdo",
        on="2021-05", src="KOR", tgt="JPN", code="111",
        tags=["territory"],
        title="Seoul protests Dokdo/Takeshima on Tokyo Olympics map",
        summary=(
            "South Korea objected to the official Tokyo Olympics torch-relay "
            "map showing the Liancourt Rocks (Dokdo/Takeshima) as Japanese and "
            "demanded a correction. The article lists the protest among the "
            "irritants of 2021."
        ),
    ),
    dict(
        slug="seoul-summons-japanese-diplomat-olympic-map",
        on="2021-06-01", src="KOR", tgt="JPN", code="114",
        tags=["territory"],
        title="Seoul summons Japanese diplomat over Olympic map of Liancourt Rocks",
        summary=(
            "South Korea's foreign ministry called in the Japanese embassy's "
            "deputy chief of mission to lodge a formal protest over the "
            "Olympic website map that marks the Liancourt Rocks as Japanese."
        ),
    ),
    dict(
        slug="seoul-court-dismisses-forced-labour-suit",
        on="2021-06-07", src="KOR", tgt="JPN", code="080", goldstein=2.0,
        tags=["legal", "history"],
        title="Seoul court dismisses wartime forced-labour compensation suit",
        summary=(
            "A Seoul district court threw out a compensation claim by wartime "
            "forced labourers and their families against Japanese companies, "
            "citing the 1965 settlement between the two states. The article "
            "counts the dropped suits as a Korean step towards Tokyo."
        ),
    ),
    dict(
        slug="rok-midterm-defense-plan-missiles",
        on="2021-09", src="KOR", tgt="PRK", code="154", goldstein=-4.0,
        tags=["security", "nuclear"],
        title="Seoul plans new strike and missile-defence systems by 2026 to deter the North",
        summary=(
            "After the US lifted missile limits, South Korea's defence "
            "ministry set out a five-year plan for new strike and defensive "
            "systems, prioritising long-range ballistic and hypersonic "
            "missiles, chiefly to contain North Korea."
        ),
    ),
    # --- 2022 ---------------------------------------------------------------
    dict(
        slug="yoon-phnom-penh-us-cooperation",
        on="2022-11-11", src="KOR", tgt="USA", code="030",
        tags=["diplomacy", "security"],
        title="At ROK-ASEAN summit, Seoul stresses deeper cooperation with the US",
        summary=(
            "At the South Korea-ASEAN summit in Phnom Penh, Seoul's leadership "
            "emphasised deepening cooperation with the United States, while "
            "(the article notes) carefully avoiding anti-Chinese rhetoric."
        ),
    ),
    dict(
        slug="japan-nss-names-china-threat",
        on="2022-12-16", src="JPN", tgt="CHN", code="111",
        tags=["security"],
        title="Japan's 2022 National Security Strategy singles out China",
        summary=(
            "Japan's new National Security Strategy, adopted with a five-year "
            "defence plan that adds long-range strike capability, presents "
            "China's activities as a threat. The article calls Tokyo's stance "
            "belligerent, notably on Taiwan."
        ),
    ),
    dict(
        slug="japan-nss-names-north-korea-threat",
        on="2022-12-16", src="JPN", tgt="PRK", code="111",
        tags=["security", "nuclear"],
        title="Japan's 2022 National Security Strategy names North Korea a threat",
        summary=(
            "Japan's new security strategy lists North Korea among the main "
            "threats and its defence plan allows counterstrikes on foreign "
            "territory; the article argues Tokyo's threshold for military "
            "action against Pyongyang is low."
        ),
    ),
    dict(
        slug="japan-nss-names-russia-threat",
        on="2022-12-16", src="JPN", tgt="RUS", code="111",
        tags=["security"],
        title="Japan's 2022 National Security Strategy names Russia a threat",
        summary=(
            "Japan's new National Security Strategy lists Russia's activities "
            "among the threats Japan must counter, which the article reads as "
            "a further departure from the spirit of the 1956 declaration."
        ),
    ),
    dict(
        slug="japan-nss-strengthens-us-alliance",
        on="2022-12-16", src="JPN", tgt="USA", code="0312",
        tags=["security"],
        title="Japan's new strategy makes the US alliance its main counterweight",
        summary=(
            "The 2022 National Security Strategy names strengthening the "
            "alliance with the United States as Tokyo's main means of "
            "countering threats, and the article notes that Japan's approach "
            "to the Indo-Pacific largely follows US strategy."
        ),
    ),
    dict(
        slug="us-backs-japan-defence-buildup",
        on="2022-12", src="USA", tgt="JPN", code="051",
        tags=["security"],
        title="Washington welcomes Japan's new security strategy and buildup",
        summary=(
            "The United States endorsed Japan's new security documents and "
            "defence buildup. The article argues that Washington is betting on "
            "Japan's militarisation in its own interests."
        ),
    ),
    dict(
        slug="beijing-protests-japan-taiwan-stance",
        on="2022-12", src="CHN", tgt="JPN", code="111",
        tags=["security", "territory"],
        title="Beijing protests Japan's new security documents and Taiwan stance",
        summary=(
            "China protested Tokyo's new security documents, including its "
            "growing readiness to help defend Taiwan. The article calls that "
            "readiness Tokyo's most worrying trend."
        ),
    ),
    dict(
        slug="seoul-demands-consent-for-counterstrike",
        on="2022-12-16", src="KOR", tgt="JPN", code="100",
        tags=["security"],
        title="Seoul says Japan needs its consent for any counterstrike on North Korea",
        summary=(
            "Reacting to Japan's new counterstrike capability, the South "
            "Korean government said any Japanese strike on the Korean "
            "Peninsula needs prior consultation and Seoul's consent; the "
            "presidential office repeated this on 19 December."
        ),
    ),
    dict(
        slug="tokyo-rejects-seoul-consent-demand",
        on="2022-12-16", src="JPN", tgt="KOR", code="120",
        tags=["security"],
        title="Tokyo says counterstrikes are self-defence needing no other state's approval",
        summary=(
            "A Japanese government official said exercising counterstrike "
            "capability is a matter of Japan's right of self-defence that does "
            "not require permission from other countries, contrary to Seoul's "
            "position."
        ),
    ),
    dict(
        slug="rok-indo-pacific-strategy-us-alliance",
        on="2022-12-28", src="KOR", tgt="USA", code="0312",
        tags=["security", "diplomacy"],
        title="Seoul's Indo-Pacific Strategy anchors policy on the US alliance",
        summary=(
            "South Korea's Strategy for a Free, Peaceful and Prosperous "
            "Indo-Pacific Region treats the United States as its main military "
            "ally and stresses maritime information sharing with Quad partners."
        ),
    ),
    dict(
        slug="rok-indo-pacific-strategy-china-partner",
        on="2022-12-28", src="KOR", tgt="CHN", code="0311",
        tags=["economy", "diplomacy"],
        title="Seoul's Indo-Pacific Strategy calls China a leading partner",
        summary=(
            "The same strategy names China a leading partner with common "
            "interests, to be pursued on mutual respect and international "
            "norms, balancing the US alliance with Seoul's main economic "
            "partner and avoiding anti-Chinese rhetoric."
        ),
    ),
    dict(
        slug="rok-offers-help-south-china-sea",
        on="2022-12-28", src="KOR", tgt="CHN", code="039",
        tags=["territory", "diplomacy"],
        title="Seoul offers to help settle South China Sea disputes",
        summary=(
            "South Korea's Indo-Pacific Strategy says Seoul is ready to "
            "contribute to a peaceful settlement of the disputes between China "
            "and some ASEAN states over the South China Sea, including the "
            "Paracel and Spratly islands."
        ),
    ),
]

DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
ACTOR_RE = re.compile(r"^[A-Z]{3}$")
CODE_RE = re.compile(r"^\d{2,4}$")
TAG_RE = re.compile(r"^[a-z0-9-]{1,32}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def load_gdelt_codes(path):
    codes = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        next(f, None)  # header
        for line in f:
            code = line.split("\t", 1)[0].strip()
            if code:
                codes.add(code)
    return codes


def load_project_codes(path):
    return set(re.findall(r'^\{"(\d{2,4})",', path.read_text(encoding="utf-8"), re.M))


def parse_date(text):
    if not DATE_RE.match(text):
        raise ValueError(f"bad date {text!r}")
    parsed = datetime.datetime.strptime(text, DATE_FORMATS[len(text)]).date()
    if parsed > LATEST_DATE:
        raise ValueError(f"date {text} after {LATEST_DATE}")
    return parsed


def event_id(slug):
    return str(uuid.uuid5(NS, "detente-sample:" + slug))


def validate(events, code_sets):
    errors = []
    slugs = collections.Counter(e["slug"] for e in events)
    for slug, n in slugs.items():
        if n > 1:
            errors.append(f"duplicate slug {slug}")
    allowed = {"slug", "on", "src", "tgt", "code", "tags", "title", "summary", "goldstein"}
    for e in events:
        where = e.get("slug", "?")
        extra = set(e) - allowed
        if extra:
            errors.append(f"{where}: unknown keys {sorted(extra)}")
        if not SLUG_RE.match(e["slug"]):
            errors.append(f"{where}: bad slug")
        try:
            parse_date(e["on"])
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
        for key in ("src", "tgt"):
            if not ACTOR_RE.match(e[key]):
                errors.append(f"{where}: {key} {e[key]!r} is not 3 upper-case letters")
        if e["src"] == e["tgt"]:
            errors.append(f"{where}: source equals target")
        if not CODE_RE.match(e["code"]):
            errors.append(f"{where}: bad event code {e['code']!r}")
        for name, codes in code_sets:
            if e["code"] not in codes:
                errors.append(f"{where}: event code {e['code']} not in {name}")
        if not 1 <= len(e["tags"]) <= 3 or len(set(e["tags"])) != len(e["tags"]):
            errors.append(f"{where}: need 1-3 distinct tags")
        for tag in e["tags"]:
            if not TAG_RE.match(tag):
                errors.append(f"{where}: bad tag {tag!r}")
        if not e["title"] or len(e["title"]) > 120:
            errors.append(f"{where}: title empty or over 120 chars ({len(e['title'])})")
        if not e["summary"] or len(e["summary"]) > 600:
            errors.append(f"{where}: summary empty or over 600 chars ({len(e['summary'])})")
        g = e.get("goldstein")
        if g is not None and not (isinstance(g, (int, float)) and math.isfinite(g) and -10 <= g <= 10):
            errors.append(f"{where}: goldstein {g!r} outside [-10, 10]")
    return errors


def to_json(e):
    # Field order follows event.proto; default-valued fields are omitted
    # (weight -> 1, goldstein -> the table's score).
    out = {
        "eventId": event_id(e["slug"]),
        "occurredOn": e["on"],
        "source": e["src"],
        "target": e["tgt"],
        "eventCode": e["code"],
    }
    if e.get("goldstein") is not None:
        out["goldstein"] = float(e["goldstein"])
    out["tags"] = list(e["tags"])
    out["title"] = e["title"]
    out["summary"] = e["summary"]
    out["sourceName"] = SOURCE_NAME
    if SOURCE_URL:
        out["sourceUrl"] = SOURCE_URL
    return out


def render(events):
    ordered = sorted(events, key=lambda e: (e["on"], e["slug"]))
    return "".join(json.dumps(to_json(e), ensure_ascii=False) + "\n" for e in ordered)


def pair_counts_table(events):
    counts = collections.Counter("-".join(sorted((e["src"], e["tgt"]))) for e in events)
    lines = ["| pair (stream) | events |", "|---|---:|"]
    for pair, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {pair} | {n} |")
    lines.append(f"| **total** | **{sum(counts.values())}** |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameo", type=pathlib.Path, default=DEFAULT_CAMEO,
                    help="GDELT CAMEO.eventcodes.txt (checked when present)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the JSONL differs from what would be written")
    args = ap.parse_args(argv)

    code_sets = []
    if args.cameo.is_file():
        code_sets.append((str(args.cameo), load_gdelt_codes(args.cameo)))
    else:
        print(f"note: {args.cameo} not found; skipping the GDELT code check", file=sys.stderr)
    if PROJECT_CAMEO.is_file():
        code_sets.append((str(PROJECT_CAMEO), load_project_codes(PROJECT_CAMEO)))

    errors = validate(EVENTS, code_sets)
    if errors:
        for err in errors:
            print("error: " + err, file=sys.stderr)
        return 1

    text = render(EVENTS)
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.is_file() else None
        if current != text:
            print(f"{OUT} is out of date; run {pathlib.Path(__file__).name}", file=sys.stderr)
            return 1
    else:
        OUT.write_text(text, encoding="utf-8")
    print(pair_counts_table(EVENTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
