#!/usr/bin/env python3
"""Build data/sample/korea-japan-triad.jsonl, the bundled sample history.

The events below were curated by hand: first from one seed article (see
SOURCE_NAME), then widened with well-documented public events of the same
relationships from 1965 to 2023, each with its own source (see WIDENED and
data/sample/README.md). Each becomes one line in the proto3 JSON mapping of
detente.v1.Event (proto/detente/v1/event.proto). Output is deterministic:
lines are sorted by occurredOn, then by slug, and every event_id is a UUIDv5
derived from the slug.

Usage:
    python3 data/sample/build_sample.py            # write the JSONL and the README's count
                                                   # tables, print the tables
    python3 data/sample/build_sample.py --check    # fail if the JSONL or the README's
                                                   # tables are out of date
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
import urllib.parse
import uuid

NS = uuid.UUID("6b9d4fc1-630f-4bea-9d10-6a1e5a4e5000")
SOURCE_NAME = (
    "Economic Statecraft: No More Triad? Prospects for Relations Between the "
    "Republic of Korea and Japan"
)
# The seed text gives no URL, so the seed article's events carry no sourceUrl.
SOURCE_URL = None
LATEST_DATE = datetime.date(2023, 12, 31)
MIN_EVENTS = 150

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT = HERE / "korea-japan-triad.jsonl"
README = HERE / "README.md"
# GDELT's CAMEO table as shipped next to the repository, and the project's
# generated table (the service validates against the latter).
DEFAULT_CAMEO = REPO.parent / "shared" / "data" / "real" / "CAMEO.eventcodes.txt"
PROJECT_CAMEO = REPO / "libs" / "domain" / "cameo_table.inc"
# The project's actor table (CAMEO country and region codes).
PROJECT_ACTORS = REPO / "libs" / "domain" / "actor_table.inc"

# Each event: slug (unique, lower case; the event_id is derived from it),
# on (occurredOn: YYYY, YYYY-MM or YYYY-MM-DD), src, tgt, code (CAMEO event
# code as text), tags (1-3), title, summary, and optionally goldstein (an
# override of the table's score; used sparingly, see README.md). Events in
# this first list come from the seed article and carry its title as
# sourceName; the widened events further down carry source_name (and, where a
# stable URL is certain, source_url).
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

# ---------------------------------------------------------------------------
# Widened history (1965-2023). Well-documented public events of the same
# relationships, added so that every pair's curve has a readable shape. Each
# carries its own source: a Wikipedia article (with URL) or an official
# document (name only). Same conventions as above: one event per unordered
# pair for a meeting or signing, initiator or host as source; month or year
# precision where the day is not certain.
# ---------------------------------------------------------------------------


def wp(title):
    """A Wikipedia article as (sourceName, sourceUrl)."""
    path = urllib.parse.quote(title.replace(" ", "_"), safe="_()',-.")
    return ("Wikipedia: " + title, "https://en.wikipedia.org/wiki/" + path)


def doc(name):
    """A named document or reference without a URL we are certain of."""
    return (name, None)


SEED = (SOURCE_NAME, SOURCE_URL)

# Frequently used references.
W_JK = wp("Japan–South Korea relations")
W_JK_DISPUTES = wp("Japan–Korea disputes")
W_DOKDO = wp("Liancourt Rocks dispute")
W_TRADE = wp("Japan–South Korea trade dispute")
W_COMFORT = wp("Comfort women")
W_KU = wp("South Korea–United States relations")
W_JU = wp("Japan–United States relations")
W_CJ = wp("China–Japan relations")
W_SENKAKU = wp("Senkaku Islands dispute")
W_CK = wp("China–South Korea relations")
W_NS = wp("North Korea–South Korea relations")
W_JR = wp("Japan–Russia relations")
W_KURIL = wp("Kuril Islands dispute")
W_JN = wp("Japan–North Korea relations")
W_THAAD = wp("Terminal High Altitude Area Defense")
W_KORUS = wp("United States–Korea Free Trade Agreement")
W_YASUKUNI = wp("Yasukuni Shrine")

# Symbolic acts asserting sovereignty over territory the other side claims
# (CAMEO 017 scores 0.0) are scored -3.0: each drew formal protests.
TERRITORIAL_SYMBOLIC = -3.0

# (slug, occurredOn, source, target, CAMEO code, tags, title, summary, (sourceName, sourceUrl)[, goldstein])
WIDENED = [
    # === South Korea - Japan =================================================
    ("basic-relations-treaty-signed", "1965-06-22", "JPN", "KOR", "057", ["diplomacy", "history"],
     "Japan and South Korea sign the Treaty on Basic Relations",
     "In Tokyo the two governments signed the treaty normalising relations, together with the claims "
     "agreement under which Japan provided grants and loans and both sides declared property claims settled.",
     wp("Treaty on Basic Relations between Japan and the Republic of Korea")),
    ("basic-relations-treaty-in-force", "1965-12-18", "KOR", "JPN", "054", ["diplomacy"],
     "Treaty on Basic Relations takes effect; Seoul and Tokyo establish relations",
     "With the exchange of ratifications in Seoul the 1965 treaty entered into force and South Korea and "
     "Japan established diplomatic relations.",
     wp("Treaty on Basic Relations between Japan and the Republic of Korea")),
    ("kim-dae-jung-abduction-tokyo", "1973-08-08", "KOR", "JPN", "128", ["security", "legal"],
     "South Korean agents abduct Kim Dae-jung from a Tokyo hotel",
     "Agents of the Korean Central Intelligence Agency seized the opposition leader Kim Dae-jung in Tokyo "
     "and took him to Seoul, a breach of Japanese sovereignty that strained relations for months.",
     wp("Kidnapping of Kim Dae-jung")),
    ("kim-jong-pil-apology-tokyo", "1973-11", "KOR", "JPN", "055", ["diplomacy", "legal"],
     "PM Kim Jong-pil visits Tokyo to apologise for the Kim Dae-jung abduction",
     "South Korean Prime Minister Kim Jong-pil delivered President Park's apology to Prime Minister Tanaka, "
     "the political settlement that closed the abduction affair between the governments.",
     wp("Kidnapping of Kim Dae-jung")),
    ("seoul-presses-tokyo-after-mun-se-gwang", "1974-08", "KOR", "JPN", "100", ["security", "diplomacy"],
     "After the Mun Se-gwang shooting, Seoul demands Tokyo act against pro-North groups",
     "Mun Se-gwang, a Korean resident of Japan using a pistol stolen in Osaka, tried to kill President Park "
     "and killed the First Lady on 15 August, and Seoul demanded that Japan accept responsibility and curb "
     "the pro-Pyongyang Chongryon.",
     wp("Mun Se-gwang")),
    ("seoul-protests-textbook-screening", "1982-08", "KOR", "JPN", "111", ["history"],
     "Seoul protests Japan's history textbook screening",
     "South Korea formally protested Japanese textbook revisions that were reported to soften the "
     "description of Japan's colonial rule and aggression, the first textbook row between the two.",
     W_JK_DISPUTES),
    ("miyazawa-textbook-statement", "1982-08-26", "JPN", "KOR", "0342", ["history"],
     "Miyazawa statement promises to correct textbooks on Japan's past in Asia",
     "Chief Cabinet Secretary Kiichi Miyazawa said the government would take the criticism of Korea and "
     "China into account and correct textbook descriptions, adding a neighbouring-countries clause to "
     "screening.",
     W_JK_DISPUTES),
    ("nakasone-seoul-visit", "1983-01", "JPN", "KOR", "042", ["diplomacy", "economy"],
     "Nakasone makes the first official visit to Seoul by a Japanese prime minister",
     "Prime Minister Yasuhiro Nakasone visited Seoul and settled a long-disputed economic cooperation "
     "package of about four billion dollars in loans.",
     W_JK),
    ("chun-doo-hwan-state-visit-japan", "1984-09-06", "KOR", "JPN", "042", ["diplomacy", "history"],
     "Chun Doo-hwan makes the first state visit to Japan by a South Korean president",
     "President Chun Doo-hwan arrived in Tokyo for a state visit, at whose banquet Emperor Hirohito said it "
     "was regrettable that there had been an unfortunate past between the two countries.",
     W_JK),
    ("roh-tae-woo-state-visit-japan", "1990-05-24", "KOR", "JPN", "042", ["diplomacy", "history"],
     "Roh Tae-woo's state visit; Emperor Akihito expresses deepest regret",
     "During President Roh Tae-woo's state visit to Japan, Emperor Akihito expressed his deepest regret for "
     "the suffering of the Korean people under Japanese rule.",
     W_JK),
    ("miyazawa-seoul-comfort-women-apology", "1992-01", "JPN", "KOR", "055", ["history"],
     "PM Miyazawa apologises in Seoul over the comfort women",
     "Days after his government acknowledged the military's involvement in wartime brothels, Prime "
     "Minister Kiichi Miyazawa apologised to South Korea during his visit to Seoul.",
     W_COMFORT),
    ("kono-statement", "1993-08-04", "JPN", "KOR", "055", ["history"],
     "Kono Statement acknowledges coercion of comfort women and apologises",
     "Chief Cabinet Secretary Yohei Kono acknowledged the Japanese military's involvement in the comfort "
     "stations and the coercion of women, many from the Korean Peninsula, and offered apologies and remorse.",
     wp("Kono Statement")),
    ("murayama-statement-kor", "1995-08-15", "JPN", "KOR", "055", ["history"],
     "Murayama Statement apologises for colonial rule and aggression",
     "On the 50th anniversary of the war's end, Prime Minister Tomiichi Murayama expressed deep remorse and "
     "a heartfelt apology for the damage and suffering caused by Japan's colonial rule and aggression.",
     wp("Murayama Statement")),
    ("japan-ends-1965-fisheries-agreement", "1998-01", "JPN", "KOR", "160", ["economy", "territory"],
     "Japan gives notice ending the 1965 fisheries agreement",
     "Tokyo unilaterally gave notice of termination of the 1965 fisheries agreement after talks on a new "
     "regime stalled, and Seoul protested the move.",
     W_JK),
    ("seoul-opens-to-japanese-culture", "1998-10", "KOR", "JPN", "081", ["diplomacy", "economy"],
     "Seoul begins lifting its ban on Japanese popular culture",
     "Following the Kim-Obuchi declaration, South Korea began a phased opening of its market to Japanese "
     "films, comics and other cultural products banned since 1945.",
     W_JK),
    ("seoul-protests-koizumi-yasukuni", "2001-08-13", "KOR", "JPN", "111", ["history"],
     "Seoul condemns Koizumi's first visit to Yasukuni Shrine",
     "South Korea denounced Prime Minister Junichiro Koizumi's visit to the shrine that honours war dead "
     "including convicted war criminals.",
     W_YASUKUNI),
    ("world-cup-cohosting-opens", "2002-05-31", "KOR", "JPN", "050", ["diplomacy"],
     "South Korea and Japan open the jointly hosted FIFA World Cup",
     "The first World Cup hosted by two countries opened in Seoul, a showcase of the cooperation promised "
     "in the 1998 declaration.",
     wp("2002 FIFA World Cup")),
    ("roh-moo-hyun-state-visit-japan", "2003-06", "KOR", "JPN", "042", ["diplomacy"],
     "Roh Moo-hyun makes a state visit to Japan",
     "President Roh Moo-hyun visited Japan and agreed with Prime Minister Koizumi to start negotiations on a "
     "free trade agreement and to build a future-oriented relationship.",
     W_JK),
    ("takeshima-day-ordinance", "2005-03-16", "JPN", "KOR", "017", ["territory"],
     "Shimane Prefecture declares a 'Takeshima Day'",
     "The Shimane prefectural assembly designated 22 February as Takeshima Day to press Japan's claim to the "
     "Liancourt Rocks, which South Korea administers as Dokdo.",
     W_DOKDO, TERRITORIAL_SYMBOLIC),
    ("dokdo-survey-standoff", "2006-04", "KOR", "JPN", "150", ["territory", "security"],
     "Seoul sends patrol ships against a Japanese survey near Dokdo",
     "South Korea deployed coast guard vessels to stop a planned Japanese hydrographic survey in waters "
     "near the Liancourt Rocks, until vice-ministerial talks led Tokyo to call it off.",
     W_DOKDO),
    ("seoul-recalls-ambassador-takeshima-guidelines", "2008-07", "KOR", "JPN", "161", ["territory"],
     "Seoul recalls its ambassador over Takeshima in Japanese school guidelines",
     "South Korea temporarily recalled its ambassador after Japan's teaching guidelines for middle schools "
     "referred to the Liancourt Rocks as Japanese territory.",
     W_DOKDO),
    ("kan-centennial-apology", "2010-08-10", "JPN", "KOR", "055", ["history"],
     "PM Kan apologises on the centenary of the annexation of Korea",
     "Prime Minister Naoto Kan expressed deep remorse and a heartfelt apology for colonial rule and "
     "promised to return Korean royal archives held in Japan.",
     W_JK),
    ("seoul-proposes-comfort-women-talks", "2011-09", "KOR", "JPN", "026", ["history", "legal"],
     "After a court ruling, Seoul proposes talks with Tokyo on comfort-women claims",
     "Following the Constitutional Court's ruling of 30 August that the government's inaction on the comfort "
     "women's claims was unconstitutional, Seoul proposed consultations under the 1965 claims agreement.",
     W_COMFORT),
    ("seoul-pulls-out-of-gsomia-signing", "2012-06-29", "KOR", "JPN", "1212", ["security"],
     "Seoul calls off the signing of a military intelligence pact with Japan",
     "Facing domestic opposition, the South Korean government postponed the signing of the General Security "
     "of Military Information Agreement with Japan less than an hour before the ceremony.",
     W_JK),
    ("lee-myung-bak-dokdo-visit", "2012-08-10", "KOR", "JPN", "017", ["territory"],
     "Lee Myung-bak becomes the first South Korean president to visit Dokdo",
     "President Lee Myung-bak landed on the Liancourt Rocks, which Japan claims as Takeshima, in an "
     "assertion of Korean sovereignty that Tokyo protested.",
     W_DOKDO, TERRITORIAL_SYMBOLIC),
    ("japan-recalls-ambassador-dokdo-visit", "2012-08-10", "JPN", "KOR", "161", ["territory"],
     "Japan recalls its ambassador after Lee's Dokdo visit",
     "Tokyo recalled its ambassador to Seoul for consultations in protest against the presidential visit to "
     "the disputed islets.",
     W_DOKDO),
    ("seoul-condemns-abe-yasukuni", "2013-12-26", "KOR", "JPN", "111", ["history"],
     "Seoul condemns Abe's visit to Yasukuni Shrine",
     "South Korea expressed anger and regret at Prime Minister Shinzo Abe's visit to the shrine, the first by "
     "a sitting prime minister since 2006.",
     W_YASUKUNI),
    ("comfort-women-agreement", "2015-12-28", "KOR", "JPN", "057", ["history", "diplomacy"],
     "Seoul and Tokyo announce the comfort-women agreement",
     "The foreign ministers announced in Seoul an agreement in which Japan conveyed Prime Minister Abe's "
     "apology and remorse and pledged one billion yen for a foundation for the survivors, and both sides "
     "deemed the issue finally and irreversibly resolved.",
     W_COMFORT),
    ("gsomia-signed", "2016-11-23", "KOR", "JPN", "057", ["security"],
     "South Korea and Japan sign GSOMIA on military intelligence",
     "Defence Minister Han Min-koo and Japanese Ambassador Yasumasa Nagamine signed in Seoul the General "
     "Security of Military Information Agreement, the first military pact between the two countries.",
     W_JK),
    ("japan-recalls-ambassador-busan-statue", "2017-01-06", "JPN", "KOR", "161", ["history"],
     "Japan recalls its ambassador over a comfort-woman statue in Busan",
     "Tokyo temporarily recalled Ambassador Nagamine and suspended currency-swap talks after a statue "
     "commemorating comfort women was placed outside its consulate in Busan.",
     W_COMFORT),
    ("supreme-court-forced-labour-ruling", "2018-10-30", "KOR", "JPN", "116", ["legal", "history"],
     "South Korea's Supreme Court orders Nippon Steel to compensate forced labourers",
     "The Supreme Court upheld damages for four Koreans forced to work for a predecessor of Nippon Steel, "
     "holding that the 1965 agreement did not extinguish individual claims.",
     W_TRADE),
    ("japan-protests-forced-labour-ruling", "2018-10-30", "JPN", "KOR", "111", ["legal", "history"],
     "Tokyo calls the forced-labour ruling unacceptable",
     "Foreign Minister Taro Kono summoned the South Korean ambassador and said the ruling violated the 1965 "
     "agreement and overturned the legal foundation of bilateral relations.",
     W_TRADE),
    ("seoul-dissolves-healing-foundation", "2018-11-21", "KOR", "JPN", "127", ["history"],
     "Seoul dissolves the foundation set up under the 2015 agreement",
     "South Korea announced it would close the Reconciliation and Healing Foundation funded by Japan, "
     "hollowing out the 2015 comfort-women agreement.",
     W_COMFORT),
    ("japan-accuses-radar-lock-on", "2018-12-21", "JPN", "KOR", "1123", ["security"],
     "Japan accuses a South Korean destroyer of locking fire-control radar on its patrol plane",
     "Japan's defence ministry said the destroyer Gwanggaeto the Great had directed fire-control radar at an "
     "MSDF P-1 on 20 December, which Seoul denied, starting a months-long dispute.",
     wp("2018 Japan–South Korea radar lock-on dispute")),
    ("japan-announces-export-controls", "2019-07-01", "JPN", "KOR", "1312", ["trade", "economy"],
     "Japan announces tighter export controls on chip materials for South Korea",
     "Tokyo announced that exports of fluorinated polyimide, photoresists and hydrogen fluoride to South "
     "Korea would need case-by-case licences and that it would drop Seoul from its trusted-trade list.",
     W_TRADE),
    ("japan-removes-korea-whitelist", "2019-08-02", "JPN", "KOR", "163", ["trade", "economy"],
     "Japan removes South Korea from its export whitelist",
     "Japan's cabinet approved removing South Korea from the list of countries with simplified export "
     "procedures for sensitive goods.",
     W_TRADE),
    ("seoul-removes-japan-whitelist", "2019-08", "KOR", "JPN", "163", ["trade", "economy"],
     "South Korea drops Japan from its own export whitelist in retaliation",
     "Seoul announced it would remove Japan from its list of trusted trading partners, a measure that took "
     "effect in September.",
     W_TRADE),
    ("seoul-gsomia-termination-notice", "2019-08-22", "KOR", "JPN", "1212", ["security"],
     "Seoul decides to terminate the GSOMIA intelligence pact with Japan",
     "South Korea announced that it would not renew the military intelligence-sharing agreement, linking "
     "the decision to Japan's export measures.",
     W_TRADE),
    ("seoul-wto-complaint-export-controls", "2019-09-11", "KOR", "JPN", "115", ["trade", "legal"],
     "South Korea files a WTO complaint over Japan's export controls",
     "Seoul requested WTO dispute consultations, arguing that Japan's curbs on chip materials were "
     "discriminatory and politically motivated.",
     W_TRADE),
    ("seoul-suspends-gsomia-termination", "2019-11-22", "KOR", "JPN", "080", ["security"],
     "Seoul suspends its termination of GSOMIA hours before expiry",
     "South Korea conditionally suspended its notice to end the intelligence pact, keeping it alive, while "
     "the two sides agreed to talk about export controls.",
     W_TRADE),
    ("moon-abe-chengdu-summit", "2019-12-24", "KOR", "JPN", "044", ["diplomacy"],
     "Moon and Abe hold their first formal talks in 15 months in Chengdu",
     "On the sidelines of a China-Japan-South Korea summit, President Moon and Prime Minister Abe agreed "
     "that the disputes should be solved through dialogue.",
     W_JK),
    ("seoul-court-orders-japan-comfort-women", "2021-01-08", "KOR", "JPN", "116", ["legal", "history"],
     "Seoul court orders Japan's government to compensate comfort women",
     "The Seoul Central District Court ordered Japan to pay damages to twelve former comfort women, rejecting "
     "sovereign immunity; Tokyo refused to accept the ruling and summoned the South Korean ambassador.",
     W_COMFORT),
    ("phnom-penh-trilateral-kor-jpn", "2022-11-13", "KOR", "JPN", "044", ["security", "diplomacy"],
     "Yoon and Kishida join Biden's trilateral and meet bilaterally in Phnom Penh",
     "At the East Asia Summit in Phnom Penh the three leaders issued a statement on a trilateral partnership "
     "for the Indo-Pacific, and Yoon and Kishida then held their first formal bilateral summit "
     "(South Korea-Japan leg).",
     W_JK),
    ("yoon-compensation-plan", "2023-03-06", "KOR", "JPN", "037", ["legal", "history", "diplomacy"],
     "Seoul announces a plan to compensate forced labourers without Japanese firms",
     "South Korea said a government-backed foundation would pay the damages awarded in the 2018 rulings, "
     "and Japan's foreign minister welcomed the plan as a step to restore healthy relations.",
     W_JK),
    ("yoon-tokyo-summit", "2023-03-16", "KOR", "JPN", "042", ["diplomacy", "security"],
     "Yoon visits Tokyo for the first bilateral leaders' visit in 12 years",
     "President Yoon and Prime Minister Kishida agreed to resume regular leader visits and security dialogue "
     "and to normalise the GSOMIA.",
     W_JK),
    ("japan-lifts-chip-material-curbs", "2023-03-16", "JPN", "KOR", "085", ["trade", "economy"],
     "Japan agrees to lift its 2019 curbs on chip materials; Seoul drops its WTO case",
     "Alongside the Tokyo summit, Japan said it would end the tighter controls on the three materials, and "
     "South Korea withdrew its WTO complaint.",
     W_TRADE),
    ("kishida-seoul-visit", "2023-05-07", "JPN", "KOR", "042", ["diplomacy", "history"],
     "Kishida visits Seoul and voices sympathy over forced labour",
     "Prime Minister Kishida returned Yoon's visit, resuming the shuttle diplomacy suspended since 2011, "
     "and said his heart ached for those who worked in harsh conditions.",
     W_JK),
    ("japan-restores-korea-whitelist", "2023-07", "JPN", "KOR", "085", ["trade"],
     "Japan restores South Korea to its export whitelist",
     "Japan's reinstatement of South Korea as a preferred trading partner took effect, ending the 2019 "
     "trade dispute.",
     W_TRADE),
    ("camp-david-kor-jpn", "2023-08-18", "KOR", "JPN", "0312", ["security", "diplomacy"],
     "Yoon and Kishida commit to trilateral security cooperation at Camp David",
     "At the first stand-alone US-ROK-Japan summit, the leaders adopted the Camp David Principles and a "
     "commitment to consult on common threats, including annual exercises (South Korea-Japan leg).",
     doc("The Spirit of Camp David: Joint Statement of Japan, the Republic of Korea, and the United States (2023-08-18)")),
    ("seoul-high-court-comfort-women", "2023-11-23", "KOR", "JPN", "116", ["legal", "history"],
     "Seoul High Court orders Japan to compensate comfort women",
     "Overturning the 2021 dismissal, the Seoul High Court held that sovereign immunity did not shield Japan "
     "and ordered damages to sixteen former comfort women and relatives; Tokyo protested.",
     W_COMFORT),

    # === South Korea - United States =========================================
    ("us-rok-sofa-signed", "1966-07-09", "KOR", "USA", "057", ["security", "legal"],
     "US and South Korea sign the Status of Forces Agreement",
     "Secretary of State Dean Rusk and Foreign Minister Lee Tong-won signed in Seoul the agreement governing "
     "the legal status of US forces in Korea.",
     W_KU),
    ("us-withdraws-7th-division", "1971", "USA", "KOR", "1622", ["security"],
     "US withdraws the 7th Infantry Division from South Korea",
     "Under the Nixon Doctrine the United States pulled about 20,000 troops, the 7th Infantry Division, out "
     "of South Korea despite Seoul's objections.",
     W_KU),
    ("carter-troop-withdrawal-plan", "1977-03", "USA", "KOR", "1622", ["security"],
     "Carter announces plans to withdraw US ground forces from Korea",
     "President Jimmy Carter announced that US ground combat troops would be withdrawn from South Korea over "
     "four to five years, alarming Seoul and Tokyo.",
     W_KU),
    ("combined-forces-command-established", "1978-11-07", "USA", "KOR", "062", ["security"],
     "US and South Korea establish the Combined Forces Command",
     "The allies set up a joint command to direct their forces in the defence of South Korea.",
     W_KU),
    ("carter-suspends-withdrawal", "1979-07", "USA", "KOR", "0334", ["security"],
     "Carter suspends the withdrawal of US ground troops from Korea",
     "After a visit to Seoul and new intelligence on North Korean forces, Carter halted further withdrawals "
     "until 1981, leaving US ground forces in place.",
     W_KU),
    ("chun-reagan-white-house", "1981-02-02", "KOR", "USA", "042", ["diplomacy", "security"],
     "Chun Doo-hwan visits Reagan at the White House",
     "President Chun, one of the first foreign leaders Reagan received, visited the White House, where "
     "Reagan reaffirmed the US commitment to South Korea's security and ruled out troop withdrawals.",
     W_KU),
    ("kim-dae-jung-state-visit-usa", "1998-06", "KOR", "USA", "042", ["diplomacy", "economy"],
     "Kim Dae-jung makes a state visit to Washington",
     "President Kim Dae-jung visited the United States during the Asian financial crisis and won Clinton's "
     "backing for his engagement policy towards the North.",
     W_KU),
    ("kim-bush-summit-2001", "2001-03-07", "KOR", "USA", "042", ["diplomacy", "security"],
     "Kim Dae-jung's first summit with George W. Bush shows a rift over North Korea",
     "At the White House, Bush voiced scepticism about North Korea and about resuming missile talks, "
     "undercutting Kim's Sunshine Policy.",
     W_KU),
    ("korus-fta-signed", "2007-06-30", "USA", "KOR", "057", ["trade", "economy"],
     "US and South Korea sign the KORUS free trade agreement",
     "US Trade Representative Susan Schwab and Trade Minister Kim Hyun-chong signed the free trade agreement "
     "in Washington.",
     W_KORUS),
    ("opcon-transfer-delayed", "2010-06-26", "USA", "KOR", "0312", ["security"],
     "Obama and Lee agree to delay wartime command transfer to 2015",
     "Meeting at the G20 in Toronto after the Cheonan sinking, the presidents postponed the transfer of "
     "wartime operational control of South Korean forces from 2012 to 2015.",
     W_KU),
    ("korus-fta-in-force", "2012-03-15", "USA", "KOR", "061", ["trade", "economy"],
     "KORUS free trade agreement enters into force",
     "After a renegotiation and ratification in both countries, the US-Korea free trade agreement took "
     "effect.",
     W_KORUS),
    ("thaad-deployment-decision", "2016-07-08", "USA", "KOR", "062", ["security", "nuclear"],
     "US and South Korea decide to deploy THAAD",
     "The allies announced that a US Terminal High Altitude Area Defense battery would be stationed in South "
     "Korea against North Korean missiles.",
     W_THAAD),
    ("thaad-arrives-korea", "2017-03", "USA", "KOR", "074", ["security", "nuclear"],
     "First THAAD launchers arrive in South Korea",
     "US forces began moving THAAD components into South Korea, and the system was set up at Seongju later "
     "in the spring.",
     W_THAAD),
    ("korus-fta-revision-signed", "2018-09-24", "USA", "KOR", "057", ["trade"],
     "Moon and Trump sign the revised KORUS agreement",
     "In New York the presidents signed the amended free trade agreement, the first trade deal renegotiated "
     "under Trump.",
     W_KORUS),
    ("phnom-penh-trilateral-usa-kor", "2022-11-13", "USA", "KOR", "044", ["security", "diplomacy"],
     "Biden meets Yoon in the Phnom Penh trilateral",
     "At the East Asia Summit in Phnom Penh, Biden, Yoon and Kishida issued a statement on a trilateral "
     "partnership for the Indo-Pacific (US-South Korea leg).",
     W_KU),
    ("washington-declaration", "2023-04-26", "USA", "KOR", "0334", ["security", "nuclear"],
     "Washington Declaration strengthens US extended deterrence for South Korea",
     "During Yoon's state visit, the allies agreed on a Nuclear Consultative Group and more visible US "
     "strategic assets, while Seoul reaffirmed its non-proliferation commitments.",
     W_KU),
    ("camp-david-usa-kor", "2023-08-18", "USA", "KOR", "0312", ["security", "diplomacy"],
     "Biden hosts Yoon at the Camp David trilateral summit",
     "The US and South Korea, with Japan, adopted the Spirit of Camp David and a commitment to consult on "
     "common threats (US-South Korea leg).",
     doc("The Spirit of Camp David: Joint Statement of Japan, the Republic of Korea, and the United States (2023-08-18)")),

    # === Japan - United States ===============================================
    ("sato-johnson-summit-1965", "1965-01", "JPN", "USA", "042", ["diplomacy", "security"],
     "Sato meets Johnson in Washington",
     "Prime Minister Eisaku Sato's first visit as premier produced a joint communique reaffirming the "
     "alliance and raising the return of Okinawa.",
     W_JU),
    ("ogasawara-returned", "1968-06-26", "USA", "JPN", "0842", ["territory", "diplomacy"],
     "US returns the Bonin (Ogasawara) Islands to Japan",
     "The United States handed the Ogasawara Islands, including Iwo Jima, back to Japanese administration.",
     W_JU),
    ("sato-nixon-okinawa-communique", "1969-11-21", "JPN", "USA", "057", ["territory", "security"],
     "Sato-Nixon communique agrees on Okinawa's reversion in 1972",
     "Nixon and Sato agreed that Okinawa would return to Japan in 1972 and that Korea's and Taiwan's "
     "security mattered to Japan.",
     W_JU),
    ("okinawa-reversion", "1972-05-15", "USA", "JPN", "0842", ["territory"],
     "Okinawa reverts to Japan",
     "The United States returned Okinawa to Japanese administration, 27 years after the battle of Okinawa.",
     wp("Okinawa Reversion Agreement")),
    ("defense-guidelines-1978", "1978-11-27", "JPN", "USA", "057", ["security"],
     "Japan and the US adopt the first Guidelines for Defense Cooperation",
     "The allies' Security Consultative Committee adopted guidelines for joint planning in the event of an "
     "armed attack on Japan.",
     W_JU),
    ("plaza-accord", "1985-09-22", "USA", "JPN", "057", ["economy"],
     "Plaza Accord drives up the yen against the dollar",
     "Finance ministers of the G5, including the US and Japan, agreed in New York to intervene to weaken the "
     "dollar, leading to a sharp rise of the yen.",
     wp("Plaza Accord")),
    ("us-tariffs-japanese-electronics", "1987-04-17", "USA", "JPN", "163", ["trade", "economy"],
     "US imposes 100% tariffs on Japanese electronics",
     "Reagan imposed punitive tariffs on some 300 million dollars of Japanese goods, accusing Japan of "
     "breaching the 1986 semiconductor agreement.",
     W_JU),
    ("clinton-hashimoto-security-declaration", "1996-04-17", "USA", "JPN", "057", ["security"],
     "Clinton and Hashimoto issue the Joint Declaration on Security",
     "Meeting in Tokyo, the leaders reaffirmed the alliance for the post-Cold War era and agreed to review "
     "the defence guidelines.",
     W_JU),
    ("defense-guidelines-1997", "1997-09-23", "JPN", "USA", "057", ["security"],
     "Revised Japan-US defence guidelines adopted",
     "The allies adopted new guidelines allowing Japanese rear-area support for US forces in situations in "
     "areas surrounding Japan.",
     W_JU),
    ("msdf-indian-ocean-support", "2001-11", "JPN", "USA", "062", ["security"],
     "Japan sends navy ships to support US operations in Afghanistan",
     "Under the new anti-terrorism law, Maritime Self-Defense Force ships sailed to the Indian Ocean to "
     "refuel US and allied warships.",
     W_JU),
    ("realignment-roadmap", "2006-05-01", "JPN", "USA", "057", ["security"],
     "US-Japan Roadmap for Realignment Implementation",
     "The 2+2 ministers agreed to relocate Futenma within Okinawa and move about 8,000 Marines to Guam.",
     W_JU),
    ("operation-tomodachi", "2011-03", "USA", "JPN", "073", ["security"],
     "US forces launch Operation Tomodachi after the earthquake and tsunami",
     "The US military mounted a large relief operation for the areas hit by the Great East Japan Earthquake "
     "and tsunami of 11 March.",
     wp("Operation Tomodachi")),
    ("defense-guidelines-2015", "2015-04-27", "JPN", "USA", "057", ["security"],
     "Japan and the US adopt new defence guidelines",
     "The 2+2 meeting in New York adopted guidelines for global cooperation, anticipating Japan's move to "
     "allow collective self-defence.",
     W_JU),
    ("obama-hiroshima-visit", "2016-05-27", "USA", "JPN", "042", ["history", "nuclear"],
     "Obama becomes the first sitting US president to visit Hiroshima",
     "After the G7 summit in Ise-Shima, President Obama laid a wreath at the Peace Memorial and called for a "
     "world without nuclear weapons.",
     W_JU),
    ("us-withdraws-from-tpp", "2017-01-23", "USA", "JPN", "1211", ["trade", "economy"],
     "Trump withdraws the US from the Trans-Pacific Partnership",
     "President Trump signed a memorandum pulling the United States out of the trade pact that Japan had "
     "championed and just ratified.",
     wp("Trans-Pacific Partnership")),
    ("suga-biden-summit", "2021-04-16", "JPN", "USA", "042", ["security", "diplomacy"],
     "Suga is the first leader received by Biden; statement mentions Taiwan",
     "Their joint statement stressed the importance of peace and stability across the Taiwan Strait, the "
     "first such reference by the allies' leaders since 1969.",
     W_JU),
    ("phnom-penh-trilateral-usa-jpn", "2022-11-13", "USA", "JPN", "044", ["security", "diplomacy"],
     "Biden meets Kishida in the Phnom Penh trilateral",
     "At the East Asia Summit in Phnom Penh, Biden, Kishida and Yoon issued a statement on a trilateral "
     "partnership for the Indo-Pacific (US-Japan leg).",
     W_JU),
    ("camp-david-usa-jpn", "2023-08-18", "USA", "JPN", "0312", ["security", "diplomacy"],
     "Biden hosts Kishida at the Camp David trilateral summit",
     "The US and Japan, with South Korea, adopted the Spirit of Camp David and a commitment to consult on "
     "common threats (US-Japan leg).",
     doc("The Spirit of Camp David: Joint Statement of Japan, the Republic of Korea, and the United States (2023-08-18)")),

    # === Japan - China =======================================================
    ("sino-japanese-peace-treaty", "1978-08-12", "CHN", "JPN", "057", ["diplomacy"],
     "China and Japan sign the Treaty of Peace and Friendship",
     "The foreign ministers signed the treaty in Beijing, including a clause against hegemony in the region.",
     wp("Treaty of Peace and Friendship between Japan and China")),
    ("deng-xiaoping-japan-visit", "1978-10-22", "CHN", "JPN", "042", ["diplomacy", "economy"],
     "Deng Xiaoping visits Japan; peace treaty takes effect",
     "Deng made the first visit to Japan by a Chinese leader of his rank, exchanging ratifications of the "
     "peace treaty and touring Japanese industry.",
     wp("Treaty of Peace and Friendship between Japan and China")),
    ("ohira-yen-loans", "1979-12", "JPN", "CHN", "071", ["economy"],
     "Ohira visits Beijing and offers the first yen loans",
     "Prime Minister Masayoshi Ohira announced Japanese official development assistance to China, which "
     "grew into one of Japan's largest aid programmes.",
     W_CJ),
    ("china-protests-textbooks-1982", "1982-07", "CHN", "JPN", "111", ["history"],
     "Beijing protests Japanese history textbook screening",
     "China formally protested reported revisions softening the description of Japan's invasion in school "
     "textbooks.",
     W_CJ),
    ("china-protests-nakasone-yasukuni", "1985-08", "CHN", "JPN", "111", ["history"],
     "China protests Nakasone's official Yasukuni visit",
     "Prime Minister Nakasone's official visit to Yasukuni on 15 August drew protests from Beijing and "
     "student demonstrations in China.",
     W_YASUKUNI),
    ("japan-freezes-loans-tiananmen", "1989-06", "JPN", "CHN", "1621", ["economy"],
     "Japan freezes new yen loans after Tiananmen",
     "After the crackdown in Beijing, Japan suspended its third package of yen loans to China.",
     W_CJ),
    ("japan-resumes-loans-1990", "1990-07", "JPN", "CHN", "085", ["economy"],
     "Japan announces it will resume yen loans to China",
     "At the G7 summit in Houston, Prime Minister Toshiki Kaifu said Japan would gradually resume its loan "
     "programme, the first G7 state to ease measures.",
     W_CJ),
    ("akihito-china-visit", "1992-10-23", "JPN", "CHN", "042", ["diplomacy", "history"],
     "Emperor Akihito makes the first imperial visit to China",
     "The Emperor expressed deep sorrow for the great suffering Japan had inflicted on the Chinese people.",
     W_CJ),
    ("murayama-statement-chn", "1995-08-15", "JPN", "CHN", "055", ["history"],
     "Murayama Statement apologises for aggression in Asia",
     "Prime Minister Murayama's statement on the 50th anniversary expressed remorse and apology to the "
     "peoples of Asian countries, including China, for colonial rule and aggression.",
     wp("Murayama Statement")),
    ("jiang-zemin-japan-visit", "1998-11-25", "CHN", "JPN", "042", ["diplomacy", "history"],
     "Jiang Zemin makes the first state visit to Japan by a Chinese president",
     "President Jiang Zemin's visit produced a joint declaration on partnership, but his repeated demands on "
     "history soured Japanese opinion.",
     W_CJ),
    ("japan-protests-china-riots-2005", "2005-04", "JPN", "CHN", "100", ["history", "diplomacy"],
     "Japan demands an apology for anti-Japanese riots in China",
     "After protesters damaged Japanese diplomatic missions and shops in several Chinese cities, Tokyo "
     "demanded an apology and compensation, which Beijing refused.",
     W_CJ),
    ("abe-ice-breaking-beijing", "2006-10-08", "JPN", "CHN", "042", ["diplomacy"],
     "Abe's 'ice-breaking' visit to Beijing",
     "Newly installed Prime Minister Abe chose Beijing for his first foreign trip, ending five years without "
     "leaders' visits and agreeing on a mutually beneficial strategic relationship.",
     W_CJ),
    ("hu-jintao-japan-statement", "2008-05-07", "CHN", "JPN", "057", ["diplomacy"],
     "Hu Jintao and Fukuda sign a joint statement on strategic relations",
     "During Hu's state visit to Tokyo the leaders signed the fourth basic document of Sino-Japanese "
     "relations.",
     W_CJ),
    ("japan-arrests-trawler-captain", "2010-09", "JPN", "CHN", "173", ["territory", "legal"],
     "Japan detains a Chinese trawler captain after collisions near the Senkakus",
     "The Japan Coast Guard arrested the captain of a Chinese fishing boat that collided with its patrol "
     "vessels on 7 September, provoking Chinese protests and reported curbs on rare-earth exports.",
     wp("2010 Senkaku boat collision incident")),
    ("japan-nationalises-senkakus", "2012-09-11", "JPN", "CHN", "017", ["territory"],
     "Japan purchases three of the Senkaku Islands",
     "The Japanese government bought three islands from their private owner, prompting mass protests in "
     "China and Chinese patrols around the islands.",
     W_SENKAKU, TERRITORIAL_SYMBOLIC),
    ("china-patrols-senkaku-waters", "2012-09", "CHN", "JPN", "150", ["territory", "security"],
     "Chinese government ships enter Senkaku waters after nationalisation",
     "China sent maritime surveillance ships into the territorial waters around the islands, beginning "
     "regular patrols to contest Japan's control.",
     W_SENKAKU),
    ("china-ecs-adiz", "2013-11-23", "CHN", "JPN", "150", ["territory", "security"],
     "China declares an air defence identification zone over the East China Sea",
     "The zone covers the Senkaku Islands and overlaps Japan's, and Tokyo called it invalid and dangerous.",
     W_SENKAKU),
    ("abe-beijing-visit-2018", "2018-10-26", "JPN", "CHN", "042", ["diplomacy", "economy"],
     "Abe makes an official visit to Beijing",
     "The first official visit by a Japanese prime minister in seven years produced a currency-swap deal and "
     "cooperation on third-country projects; Japan also ended new ODA.",
     W_CJ),
    ("china-missiles-japan-eez", "2022-08-04", "CHN", "JPN", "150", ["security", "territory"],
     "Chinese missiles fall in Japan's EEZ during drills around Taiwan",
     "Five ballistic missiles fired in exercises after Nancy Pelosi's Taiwan visit landed in Japan's "
     "exclusive economic zone.",
     W_CJ),
    ("china-bans-japanese-seafood", "2023-08-24", "CHN", "JPN", "163", ["trade", "environment", "nuclear"],
     "China bans all Japanese seafood over the Fukushima water release",
     "On the day Japan began discharging treated water from the Fukushima plant, China suspended all imports "
     "of Japanese aquatic products.",
     W_CJ),
    ("kishida-xi-san-francisco", "2023-11-16", "JPN", "CHN", "044", ["diplomacy", "trade"],
     "Kishida and Xi reaffirm a mutually beneficial strategic relationship",
     "Meeting at APEC in San Francisco, the leaders agreed to seek a solution to the seafood ban through "
     "dialogue.",
     W_CJ),

    # === South Korea - China =================================================
    ("caac-hijack-talks-seoul", "1983-05", "CHN", "KOR", "040", ["diplomacy"],
     "Hijacked Chinese airliner leads to the first official Seoul-Beijing talks",
     "After a CAAC airliner was hijacked to South Korea on 5 May, a Chinese delegation came to Seoul and "
     "signed a memorandum with South Korean officials on returning the plane and passengers.",
     W_CK),
    ("kor-chn-normalisation", "1992-08-24", "KOR", "CHN", "054", ["diplomacy"],
     "South Korea and China establish diplomatic relations",
     "The foreign ministers signed a joint communique in Beijing, and Seoul cut official ties with Taipei.",
     W_CK),
    ("roh-tae-woo-beijing-visit", "1992-09", "KOR", "CHN", "042", ["diplomacy"],
     "Roh Tae-woo makes the first visit to China by a South Korean president",
     "A month after normalisation President Roh visited Beijing and met Yang Shangkun and Jiang Zemin.",
     W_CK),
    ("korea-garlic-safeguard", "2000-06", "KOR", "CHN", "163", ["trade"],
     "Seoul raises tariffs on Chinese garlic",
     "South Korea imposed safeguard duties on garlic imports from China to protect its farmers.",
     W_CK),
    ("china-retaliates-garlic", "2000-06", "CHN", "KOR", "163", ["trade"],
     "China bans Korean mobile phones and polyethylene in the 'garlic war'",
     "Beijing retaliated by suspending imports of South Korean mobile handsets and polyethylene until Seoul "
     "backed down.",
     W_CK),
    ("goguryeo-history-dispute", "2004-08", "KOR", "CHN", "111", ["history"],
     "Seoul protests China's claims on the Goguryeo kingdom",
     "South Korea protested Chinese state research and official websites presenting the ancient kingdom of "
     "Goguryeo as Chinese, leading to a verbal understanding between the governments.",
     W_CK),
    ("lee-beijing-strategic-partnership", "2008-05", "KOR", "CHN", "042", ["diplomacy"],
     "Lee Myung-bak and Hu Jintao upgrade ties to a strategic partnership",
     "During Lee's state visit to Beijing the two sides agreed on a strategic cooperative partnership.",
     W_CK),
    ("xi-seoul-state-visit", "2014-07-03", "CHN", "KOR", "042", ["diplomacy", "economy"],
     "Xi Jinping visits Seoul before Pyongyang",
     "Xi's state visit to South Korea, made before any visit to North Korea, showcased warm relations with "
     "Park Geun-hye.",
     W_CK),
    ("kor-chn-fta-signed", "2015-06-01", "KOR", "CHN", "057", ["trade", "economy"],
     "South Korea and China sign a free trade agreement",
     "The trade ministers signed the FTA in Seoul, and it took effect on 20 December 2015.",
     W_CK),
    ("park-beijing-victory-parade", "2015-09-03", "KOR", "CHN", "042", ["diplomacy", "history"],
     "Park Geun-hye attends China's victory day parade",
     "Park watched the military parade marking the end of the Second World War from the Tiananmen rostrum, "
     "the only leader of a US ally to attend.",
     W_CK),
    ("china-condemns-thaad-decision", "2016-07-08", "CHN", "KOR", "111", ["security"],
     "Beijing condemns the THAAD deployment decision",
     "China's foreign ministry expressed strong dissatisfaction and firm opposition to the decision to place "
     "the US system in South Korea.",
     W_THAAD),
    ("china-thaad-retaliation", "2017-03", "CHN", "KOR", "163", ["trade", "security"],
     "China retaliates against South Korea over THAAD",
     "Beijing halted sales of group tours to South Korea, and Chinese authorities closed most Lotte Mart "
     "stores after Lotte provided the deployment site.",
     W_THAAD),
    ("kor-chn-thaad-agreement", "2017-10-31", "KOR", "CHN", "037", ["security", "diplomacy"],
     "Seoul and Beijing agree to mend ties after the THAAD dispute",
     "Both governments announced that exchanges would return to normal, as Seoul set out its position "
     "against further THAAD deployment, joining a US missile-defence network and a trilateral alliance with "
     "Japan.",
     W_THAAD),
    ("moon-beijing-state-visit", "2017-12-14", "KOR", "CHN", "042", ["diplomacy"],
     "Moon Jae-in holds a summit with Xi in Beijing",
     "During his state visit, Moon and Xi agreed four principles on the Korean Peninsula, including no war "
     "and denuclearisation.",
     W_CK),
    ("yoon-xi-bali", "2022-11-15", "KOR", "CHN", "044", ["diplomacy"],
     "Yoon Suk-yeol and Xi Jinping hold their first summit in Bali",
     "At the G20 in Bali the leaders met for the first time and discussed North Korea and supply chains.",
     W_CK),

    # === South Korea - North Korea ===========================================
    ("blue-house-raid", "1968-01-21", "PRK", "KOR", "185", ["security"],
     "North Korean commandos attempt to assassinate President Park",
     "A 31-man unit of the North Korean army infiltrated Seoul and was stopped near the presidential "
     "Blue House.",
     wp("Blue House raid")),
    ("july-4-joint-communique", "1972-07-04", "KOR", "PRK", "057", ["diplomacy"],
     "North and South issue the July 4 Joint Communique",
     "After secret talks, the two Koreas announced principles for reunification: independently, peacefully "
     "and through national unity.",
     W_NS),
    ("rangoon-bombing", "1983-10-09", "PRK", "KOR", "183", ["security"],
     "North Korean agents bomb Chun Doo-hwan's delegation in Rangoon",
     "A bomb at the Martyrs' Mausoleum in Burma killed 21 people, including four South Korean ministers; "
     "President Chun escaped.",
     wp("Rangoon bombing")),
    ("first-family-reunions-1985", "1985-09", "KOR", "PRK", "050", ["diplomacy"],
     "First reunions of separated families across the divide",
     "Under a Red Cross agreement, groups from each side visited Seoul and Pyongyang, the first family "
     "reunions since the Korean War.",
     W_NS),
    ("kal-858-bombing", "1987-11-29", "PRK", "KOR", "183", ["security"],
     "North Korean agents bomb Korean Air Flight 858",
     "A bomb planted by North Korean agents destroyed the airliner over the Andaman Sea, killing all 115 "
     "people on board.",
     wp("Korean Air Flight 858")),
    ("inter-korean-basic-agreement", "1991-12-13", "KOR", "PRK", "057", ["diplomacy", "security"],
     "The two Koreas sign the Basic Agreement on reconciliation",
     "The prime ministers signed the Agreement on Reconciliation, Non-aggression and Exchanges and "
     "Cooperation in Seoul.",
     W_NS),
    ("denuclearisation-joint-declaration", "1992-01-20", "KOR", "PRK", "057", ["nuclear", "security"],
     "Joint Declaration on the Denuclearization of the Korean Peninsula",
     "The two Koreas pledged not to test, produce or possess nuclear weapons or to have reprocessing and "
     "enrichment facilities.",
     W_NS),
    ("gangneung-submarine-infiltration", "1996-09", "PRK", "KOR", "190", ["security"],
     "North Korean submarine infiltration at Gangneung",
     "A North Korean submarine ran aground near Gangneung on 18 September, and a weeks-long manhunt for the "
     "commandos left most of them and several South Koreans dead.",
     W_NS),
    ("first-battle-of-yeonpyeong", "1999-06-15", "PRK", "KOR", "190", ["security", "territory"],
     "First naval clash near Yeonpyeong",
     "North Korean patrol boats crossed the Northern Limit Line and fought South Korean warships, which sank "
     "a North Korean torpedo boat.",
     wp("First Battle of Yeonpyeong")),
    ("june-15-joint-declaration", "2000-06-15", "PRK", "KOR", "057", ["diplomacy"],
     "June 15 North-South Joint Declaration",
     "The leaders agreed to work towards reunification, family reunions and economic cooperation.",
     wp("2000 inter-Korean summit")),
    ("second-battle-of-yeonpyeong", "2002-06-29", "PRK", "KOR", "190", ["security", "territory"],
     "Second naval clash near Yeonpyeong",
     "North Korean patrol boats attacked a South Korean patrol vessel near the Northern Limit Line, killing "
     "six South Korean sailors.",
     wp("Second Battle of Yeonpyeong")),
    ("kaesong-groundbreaking", "2003-06-30", "KOR", "PRK", "061", ["economy"],
     "Ground is broken for the Kaesong Industrial Complex",
     "Construction began on the joint industrial zone where South Korean firms would employ North Korean "
     "workers.",
     wp("Kaesong Industrial Region")),
    ("october-4-declaration", "2007-10-04", "PRK", "KOR", "057", ["diplomacy", "economy"],
     "Roh and Kim Jong-il sign the October 4 Declaration",
     "The declaration called for a peace regime and a joint fishing zone in the West Sea and expanded "
     "economic projects.",
     wp("2007 inter-Korean summit")),
    ("kumgang-tourist-shot", "2008-07-11", "PRK", "KOR", "180", ["security"],
     "North Korean soldier shoots a South Korean tourist at Mount Kumgang",
     "The killing of Park Wang-ja led Seoul to suspend tours to the resort, which never resumed.",
     W_NS),
    ("cheonan-sinking", "2010-03-26", "PRK", "KOR", "190", ["security"],
     "The corvette Cheonan is sunk, killing 46 sailors",
     "An international investigation concluded that a North Korean torpedo sank the South Korean warship; "
     "Pyongyang denied it.",
     wp("ROKS Cheonan sinking")),
    ("may-24-measures", "2010-05-24", "KOR", "PRK", "163", ["economy", "security"],
     "Seoul imposes the May 24 sanctions on North Korea",
     "President Lee suspended almost all trade and exchanges with the North, except Kaesong, in response to "
     "the Cheonan sinking.",
     W_NS),
    ("yeonpyeong-shelling", "2010-11-23", "PRK", "KOR", "194", ["security"],
     "North Korea shells Yeonpyeong Island",
     "North Korean artillery fire killed two marines and two civilians, and South Korea returned fire.",
     wp("Bombardment of Yeonpyeong")),
    ("seoul-shuts-kaesong", "2016-02-10", "KOR", "PRK", "163", ["economy", "security"],
     "Seoul shuts down the Kaesong Industrial Complex",
     "After the North's fourth nuclear test and a rocket launch, South Korea suspended operations at the "
     "complex, and Pyongyang expelled the South Koreans.",
     wp("Kaesong Industrial Region")),
    ("panmunjom-declaration", "2018-04-27", "KOR", "PRK", "057", ["diplomacy", "security"],
     "Moon and Kim Jong-un sign the Panmunjom Declaration",
     "At the Peace House on the southern side of Panmunjom the leaders pledged to end hostilities and work "
     "towards denuclearisation.",
     wp("April 2018 inter-Korean summit")),
    ("pyongyang-joint-declaration", "2018-09-19", "PRK", "KOR", "057", ["diplomacy", "security"],
     "Pyongyang Declaration and military agreement signed",
     "During Moon's visit to Pyongyang, the leaders signed a joint declaration, and their defence ministers a "
     "comprehensive military agreement to reduce tension along the border.",
     wp("September 2018 inter-Korean summit")),
    ("liaison-office-demolished", "2020-06-16", "PRK", "KOR", "1712", ["diplomacy", "security"],
     "North Korea blows up the inter-Korean liaison office",
     "Pyongyang destroyed the joint liaison office in Kaesong, built in 2018, after a campaign against "
     "leaflets sent from the South.",
     W_NS),
    ("seoul-suspends-military-agreement", "2023-11-22", "KOR", "PRK", "127", ["security"],
     "Seoul partly suspends the 2018 military agreement",
     "After the North launched a military reconnaissance satellite, South Korea suspended a clause of the "
     "agreement to resume surveillance near the border.",
     W_NS),
    ("pyongyang-scraps-military-agreement", "2023-11-23", "PRK", "KOR", "127", ["security"],
     "North Korea scraps the 2018 military agreement",
     "Pyongyang declared it would no longer be bound by the agreement and would deploy stronger forces along "
     "the border.",
     W_NS),

    # === Japan - Russia (Soviet Union coded RUS) =============================
    ("tanaka-moscow-1973", "1973-10", "JPN", "RUS", "042", ["diplomacy", "territory"],
     "Tanaka visits Moscow for talks with Brezhnev",
     "Prime Minister Kakuei Tanaka's visit to the Soviet Union (coded RUS) produced a communique on "
     "unresolved questions left over from the war, which Tokyo read as covering the islands.",
     W_KURIL),
    ("gorbachev-tokyo-visit", "1991-04-16", "RUS", "JPN", "042", ["diplomacy", "territory"],
     "Gorbachev makes the first visit to Japan by a Soviet leader",
     "Mikhail Gorbachev's visit to Japan (the Soviet Union coded RUS) produced a communique that named the "
     "four disputed islands as a territorial question.",
     W_KURIL),
    ("tokyo-declaration-1993", "1993-10-13", "JPN", "RUS", "057", ["diplomacy", "territory"],
     "Yeltsin and Hosokawa sign the Tokyo Declaration",
     "During Yeltsin's visit the leaders agreed to negotiate a peace treaty by resolving the attribution of "
     "the four islands on the basis of law and justice.",
     W_KURIL),
    ("krasnoyarsk-summit", "1997-11", "RUS", "JPN", "040", ["diplomacy", "territory"],
     "Hashimoto and Yeltsin agree at Krasnoyarsk to aim for a peace treaty by 2000",
     "At an informal 'no-necktie' summit in Siberia the leaders agreed to do their utmost to conclude a peace "
     "treaty by 2000.",
     W_KURIL),
    ("irkutsk-statement", "2001-03-25", "RUS", "JPN", "057", ["diplomacy", "territory"],
     "Putin and Mori's Irkutsk statement confirms the 1956 declaration",
     "The leaders confirmed the 1956 Joint Declaration as the starting point for peace-treaty negotiations.",
     W_KURIL),
    ("koizumi-moscow-action-plan", "2003-01", "JPN", "RUS", "057", ["diplomacy", "economy"],
     "Koizumi and Putin adopt a Japan-Russia Action Plan",
     "During Koizumi's visit to Moscow the leaders adopted a plan covering political dialogue, the peace "
     "treaty talks and economic cooperation.",
     W_JR),
    ("medvedev-kunashir-visit", "2010-11-01", "RUS", "JPN", "017", ["territory"],
     "Medvedev makes the first visit by a Russian leader to a disputed island",
     "President Dmitry Medvedev visited Kunashir, which Japan calls Kunashiri, and Tokyo protested and "
     "briefly recalled its ambassador.",
     W_KURIL, TERRITORIAL_SYMBOLIC),
    ("abe-moscow-2013", "2013-04-29", "JPN", "RUS", "042", ["diplomacy", "territory"],
     "Abe and Putin agree in Moscow to restart peace-treaty talks",
     "In the first official visit by a Japanese prime minister in ten years, the leaders agreed to "
     "accelerate negotiations and set up a 2+2 dialogue.",
     W_JR),
    ("japan-sanctions-crimea", "2014-03", "JPN", "RUS", "163", ["economy", "security"],
     "Japan imposes first sanctions on Russia over Crimea",
     "Tokyo suspended talks on visa easing and investment agreements, later adding asset freezes, after the "
     "annexation of Crimea.",
     W_JR),
    ("nagato-summit", "2016-12-15", "RUS", "JPN", "042", ["diplomacy", "territory", "economy"],
     "Putin visits Japan for the Nagato summit with Abe",
     "The leaders agreed to begin talks on joint economic activities on the disputed islands and signed "
     "dozens of business deals.",
     W_KURIL),
    ("singapore-1956-basis", "2018-11-14", "JPN", "RUS", "036", ["diplomacy", "territory"],
     "Abe and Putin agree to speed up talks based on the 1956 declaration",
     "Meeting in Singapore, the leaders agreed to accelerate peace-treaty negotiations on the basis of the "
     "1956 Joint Declaration, which promised two of the islands.",
     W_KURIL),
    ("japan-sanctions-ukraine-invasion", "2022-02", "JPN", "RUS", "163", ["economy", "security"],
     "Japan imposes sanctions on Russia over the invasion of Ukraine",
     "Tokyo froze assets of Russian banks and officials and restricted exports, joining the G7 response to "
     "the full-scale invasion of 24 February.",
     W_JR),
    ("russia-halts-peace-treaty-talks", "2022-03-21", "RUS", "JPN", "164", ["diplomacy", "territory"],
     "Russia suspends peace-treaty talks with Japan",
     "Moscow said it would not continue negotiations with a country that had taken an openly unfriendly "
     "position, and ended visa-free visits to the islands.",
     W_KURIL),

    # === Japan - North Korea =================================================
    ("pyongyang-declaration-2002", "2002-09-17", "PRK", "JPN", "057", ["diplomacy", "history"],
     "Koizumi and Kim Jong-il sign the Japan-DPRK Pyongyang Declaration",
     "On the first visit by a Japanese prime minister to North Korea, the leaders agreed to seek "
     "normalisation, and Kim admitted the abduction of Japanese citizens.",
     W_JN),
]

# Events of the seed article added in the widening (sourceName: the article).
SEED_ADDITIONS = [
    ("japan-defense-buildup-program", "2022-12-16", "JPN", "PRK", "154", ["security"],
     "Japan's Defense Buildup Program funds long-range counterstrike missiles",
     "Japan adopted a five-year plan of about 43 trillion yen (the article's 320 billion dollars) for "
     "long-range sea, air and land missiles that can strike a foreign state's territory, with North Korea's "
     "missiles the most imminent threat it cites.",
     SEED, -4.0),
    ("korea-asean-solidarity-initiative", "2022-11-11", "KOR", "SEA", "030", ["diplomacy", "economy"],
     "At the Phnom Penh summit, Yoon launches the Korea-ASEAN Solidarity Initiative",
     "President Yoon Suk-yeol attended the South Korea-ASEAN summit in Phnom Penh and announced an "
     "initiative to deepen cooperation with Southeast Asia (ASEAN coded SEA, Southeast Asia).",
     SEED),
]


def _from_tuple(t):
    slug, on, src, tgt, code, tags, title, summary, (sname, surl), *rest = t
    e = dict(slug=slug, on=on, src=src, tgt=tgt, code=code, tags=tags, title=title,
             summary=summary, source_name=sname)
    if surl:
        e["source_url"] = surl
    if rest:
        e["goldstein"] = rest[0]
    return e


EVENTS += [_from_tuple(t) for t in WIDENED + SEED_ADDITIONS]

DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
ACTOR_RE = re.compile(r"^[A-Z]{3}$")
CODE_RE = re.compile(r"^\d{2,4}$")
TAG_RE = re.compile(r"^[a-z0-9-]{1,32}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
URL_RE = re.compile(r"^https://[^\s]+$")

# The README's generated tables sit between these markers.
README_BEGIN = "<!-- build_sample.py: counts begin -->"
README_END = "<!-- build_sample.py: counts end -->"


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


def load_project_actors(path):
    return set(re.findall(r'^\{"([A-Z]{3})",', path.read_text(encoding="utf-8"), re.M))


def parse_date(text):
    if not DATE_RE.match(text):
        raise ValueError(f"bad date {text!r}")
    parsed = datetime.datetime.strptime(text, DATE_FORMATS[len(text)]).date()
    if parsed > LATEST_DATE:
        raise ValueError(f"date {text} after {LATEST_DATE}")
    return parsed


def event_id(slug):
    return str(uuid.uuid5(NS, "detente-sample:" + slug))


def source_of(e):
    """(sourceName, sourceUrl or None); the seed article unless the event names its own."""
    if "source_name" in e:
        return e["source_name"], e.get("source_url")
    return SOURCE_NAME, SOURCE_URL


def validate(events, code_sets, actors=None):
    errors = []
    if len(events) < MIN_EVENTS:
        errors.append(f"only {len(events)} events; the sample needs at least {MIN_EVENTS}")
    slugs = collections.Counter(e.get("slug") for e in events)
    for slug, n in slugs.items():
        if n > 1:
            errors.append(f"duplicate slug {slug}")
    required = ["slug", "on", "src", "tgt", "code", "tags", "title", "summary"]
    allowed = set(required) | {"goldstein", "source_name", "source_url"}
    for e in events:
        where = e.get("slug", "?")
        extra = set(e) - allowed
        if extra:
            errors.append(f"{where}: unknown keys {sorted(extra)}")
        missing = [k for k in required if not e.get(k)]
        if missing:
            errors.append(f"{where}: missing or empty {missing}")
            continue
        if not SLUG_RE.match(e["slug"]):
            errors.append(f"{where}: bad slug")
        try:
            parse_date(e["on"])
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
        for key in ("src", "tgt"):
            if not ACTOR_RE.match(e[key]):
                errors.append(f"{where}: {key} {e[key]!r} is not 3 upper-case letters")
            elif actors is not None and e[key] not in actors:
                errors.append(f"{where}: {key} {e[key]} not in the project's actor table")
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
        if len(e["title"]) > 120:
            errors.append(f"{where}: title over 120 chars ({len(e['title'])})")
        if len(e["summary"]) > 600:
            errors.append(f"{where}: summary over 600 chars ({len(e['summary'])})")
        name, url = source_of(e)
        if not name or not name.strip():
            errors.append(f"{where}: empty sourceName")
        elif len(name) > 300:
            errors.append(f"{where}: sourceName over 300 chars")
        if url is not None and not URL_RE.match(url):
            errors.append(f"{where}: sourceUrl {url!r} is not an https URL")
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
    name, url = source_of(e)
    out["sourceName"] = name
    if url:
        out["sourceUrl"] = url
    return out


def render(events):
    ordered = sorted(events, key=lambda e: (e["on"], e["slug"]))
    return "".join(json.dumps(to_json(e), ensure_ascii=False) + "\n" for e in ordered)


def pair_of(e):
    return "-".join(sorted((e["src"], e["tgt"])))


def decade_of(e):
    return int(e["on"][:4]) // 10 * 10


def pair_counts_table(events):
    counts = collections.Counter(pair_of(e) for e in events)
    lines = ["| pair (stream) | events |", "|---|---:|"]
    for pair, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {pair} | {n} |")
    lines.append(f"| **total** | **{sum(counts.values())}** |")
    return "\n".join(lines)


def decade_counts_table(events):
    """Events per pair and decade; pairs with fewer than 5 events go under 'other'."""
    pair_totals = collections.Counter(pair_of(e) for e in events)
    main_pairs = sorted((p for p, n in pair_totals.items() if n >= 5),
                        key=lambda p: (-pair_totals[p], p))
    decades = sorted({decade_of(e) for e in events})
    cells = collections.Counter()
    for e in events:
        p = pair_of(e)
        cells[(p if p in main_pairs else "other", decade_of(e))] += 1
    cols = main_pairs + (["other"] if len(main_pairs) < len(pair_totals) else [])
    lines = ["| decade | " + " | ".join(cols) + " | total |",
             "|---|" + "---:|" * (len(cols) + 1)]
    for d in decades:
        row = [cells[(c, d)] for c in cols]
        lines.append(f"| {d}s | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
    totals = [sum(cells[(c, d)] for d in decades) for c in cols]
    lines.append("| **total** | " + " | ".join(f"**{n}**" for n in totals)
                 + f" | **{sum(totals)}** |")
    return "\n".join(lines)


def readme_block(events):
    return "\n".join([
        README_BEGIN,
        "Events per pair (stream):",
        "",
        pair_counts_table(events),
        "",
        "Events per decade and pair (pairs with fewer than 5 events under *other*):",
        "",
        decade_counts_table(events),
        README_END,
    ])


def render_readme(current, events):
    """The README text with the generated block replaced, or None if it has no markers."""
    start = current.find(README_BEGIN)
    end = current.find(README_END)
    if start < 0 or end < start:
        return None
    return current[:start] + readme_block(events) + current[end + len(README_END):]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameo", type=pathlib.Path, default=DEFAULT_CAMEO,
                    help="GDELT CAMEO.eventcodes.txt (checked when present)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the JSONL or the README's tables differ "
                         "from what would be written")
    args = ap.parse_args(argv)

    code_sets = []
    if args.cameo.is_file():
        code_sets.append((str(args.cameo), load_gdelt_codes(args.cameo)))
    else:
        print(f"note: {args.cameo} not found; skipping the GDELT code check", file=sys.stderr)
    if PROJECT_CAMEO.is_file():
        code_sets.append((str(PROJECT_CAMEO), load_project_codes(PROJECT_CAMEO)))
    actors = load_project_actors(PROJECT_ACTORS) if PROJECT_ACTORS.is_file() else None

    errors = validate(EVENTS, code_sets, actors)
    if errors:
        for err in errors:
            print("error: " + err, file=sys.stderr)
        return 1

    text = render(EVENTS)
    readme_now = README.read_text(encoding="utf-8") if README.is_file() else ""
    readme_new = render_readme(readme_now, EVENTS)
    if readme_new is None:
        print(f"error: {README} lacks the markers {README_BEGIN!r} ... {README_END!r}",
              file=sys.stderr)
        return 1
    if args.check:
        stale = []
        current = OUT.read_text(encoding="utf-8") if OUT.is_file() else None
        if current != text:
            stale.append(str(OUT))
        if readme_now != readme_new:
            stale.append(f"{README} (generated tables)")
        if stale:
            print(f"out of date: {', '.join(stale)}; run {pathlib.Path(__file__).name}",
                  file=sys.stderr)
            return 1
    else:
        OUT.write_text(text, encoding="utf-8")
        README.write_text(readme_new, encoding="utf-8")
    print(readme_block(EVENTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
