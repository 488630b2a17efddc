#include "domain/validation.h"

#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/actors.h"

namespace detente {
namespace {

// How much of a bad value a description quotes.
constexpr size_t kMaxQuotedChars = 64;

// `s` in double quotes, safe to put in a description (which must itself be
// valid UTF-8): control characters escaped, long values cut, invalid UTF-8
// shown as hex escapes.
std::string Quote(absl::string_view s) {
  if (!IsValidUtf8(s)) {
    return absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMaxQuotedChars)),
                        s.size() > kMaxQuotedChars ? "\"..." : "\"");
  }
  std::string out = "\"";
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xc0) != 0x80 && ++chars > kMaxQuotedChars) {
      return absl::StrCat(out, "\"...");
    }
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      absl::StrAppend(&out, absl::CHexEscape(s.substr(i, 1)));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return absl::StrCat(out, "\"");
}

std::string DayString(DayNumber n) {
  const CivilDay d = FromDayNumber(n);
  return EventDate(d.year, d.month, d.day, DatePrecision::kDay).ToString();
}

absl::string_view KindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kEvent:
      return "an event";
    case EntryKind::kCorrection:
      return "a correction";
    case EntryKind::kRetraction:
      return "a retraction";
  }
  return "this kind";
}

class Checker {
 public:
  void Add(std::string field, std::string description) {
    violations_.push_back({std::move(field), std::move(description)});
  }
  std::vector<FieldViolation>& violations() { return violations_; }

  // An optional UUID field: nil when empty.
  Uuid OptionalUuid(absl::string_view field, absl::string_view text) {
    if (text.empty()) return Uuid();
    absl::StatusOr<Uuid> id = Uuid::Parse(text);
    if (!id.ok()) {
      Add(std::string(field), std::string(id.status().message()));
      return Uuid();
    }
    if (id->is_nil()) {
      Add(std::string(field), "must not be the nil UUID");
    }
    return *id;
  }

  // Text: valid UTF-8, at most `max_chars` code points.
  void Text(absl::string_view field, absl::string_view text, int max_chars) {
    if (!IsValidUtf8(text)) {
      Add(std::string(field), "is not valid UTF-8");
      return;
    }
    // Code points <= bytes: only a long text needs counting.
    if (text.size() <= static_cast<size_t>(max_chars)) return;
    const size_t n = Utf8Length(text);
    if (n > static_cast<size_t>(max_chars)) {
      Add(std::string(field),
          absl::StrFormat("is %d characters long; at most %d are allowed", n,
                          max_chars));
    }
  }

  // A required actor code; empty string when bad.
  std::string Actor(absl::string_view field, absl::string_view code) {
    if (code.empty()) {
      Add(std::string(field), "is required (a CAMEO country code, \"KOR\")");
      return "";
    }
    if (!IsValidUtf8(code)) {
      Add(std::string(field), "is not valid UTF-8");
      return "";
    }
    if (const detente::Actor* a = ResolveActor(code))
      return std::string(a->code);
    std::string hint;
    const std::string upper = absl::AsciiStrToUpper(code);
    if (const detente::Actor* a = ResolveActor(upper)) {
      hint = absl::StrFormat(" (codes are upper case: \"%s\")", a->code);
    } else if (const detente::Actor* b = FindActorByName(code)) {
      hint = absl::StrFormat(" (a name, not a code; %s is \"%s\")", b->name,
                             b->code);
    }
    Add(std::string(field),
        absl::StrCat("unknown CAMEO country code ", Quote(code), hint));
    return "";
  }

  // A finite double in [lo, hi].
  void Range(absl::string_view field, double v, double lo, double hi) {
    if (!std::isfinite(v)) {
      Add(std::string(field),
          absl::StrFormat("must be a finite number, not %g", v));
    } else if (v < lo || v > hi) {
      Add(std::string(field),
          absl::StrFormat("%g is outside [%g, %g]", v, lo, hi));
    }
  }

 private:
  std::vector<FieldViolation> violations_;
};

void CheckUrl(Checker& c, absl::string_view url) {
  c.Text("source_url", url, kMaxSourceUrlChars);
  if (url.empty() || !IsValidUtf8(url)) return;
  // Schemes are case-insensitive (RFC 3986).
  const size_t scheme = absl::StartsWithIgnoreCase(url, "http://")    ? 7
                        : absl::StartsWithIgnoreCase(url, "https://") ? 8
                                                                      : 0;
  if (scheme == 0) {
    c.Add("source_url",
          absl::StrCat(Quote(url), " is not an http:// or https:// URL"));
    return;
  }
  for (char ch : url) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f) {
      c.Add("source_url",
            "must not contain spaces or control characters (percent-encode "
            "them)");
      return;
    }
  }
  const absl::string_view rest = url.substr(scheme);
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  absl::string_view host = authority;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(0, host.find(']') + 1);  // IPv6 literal
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host.empty()) {
    c.Add("source_url", absl::StrCat(Quote(url), " has no host"));
  }
}

void CheckTags(Checker& c, const std::vector<std::string>& tags) {
  if (tags.size() > static_cast<size_t>(kMaxTags)) {
    c.Add("tags", absl::StrFormat("has %d tags; at most %d are allowed",
                                  tags.size(), kMaxTags));
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    auto field = [i] { return absl::StrCat("tags[", i, "]"); };
    const std::string& tag = tags[i];
    if (tag.empty()) {
      c.Add(field(), "must not be empty");
      continue;
    }
    const size_t length = IsValidUtf8(tag) ? Utf8Length(tag) : tag.size();
    if (length > static_cast<size_t>(kMaxTagLength)) {
      c.Add(field(),
            absl::StrFormat("is %d characters long; at most %d are allowed",
                            length, kMaxTagLength));
      continue;
    }
    bool ok = true;
    for (char ch : tag) {
      ok = ok &&
           (absl::ascii_islower(ch) || absl::ascii_isdigit(ch) || ch == '-');
    }
    if (!ok) {
      c.Add(field(),
            absl::StrCat(Quote(tag), " may contain only a-z, 0-9 and '-'"));
      continue;
    }
    // The first earlier copy (a few tags per entry: a scan, no hash map).
    for (size_t j = 0; j < i; ++j) {
      if (tags[j] == tag) {
        c.Add(field(), absl::StrFormat("duplicates tags[%d] (\"%s\")", j, tag));
        break;
      }
    }
  }
}

void CheckSubject(Checker& c, const RawEntry& raw, const Uuid& event_id,
                  Entry& out) {
  if (raw.kind == EntryKind::kEvent) {
    if (!raw.subject_event_id.empty()) {
      c.Add("subject_event_id",
            "must be empty for an event (only corrections and retractions "
            "name a subject)");
    }
    return;
  }
  if (raw.subject_event_id.empty()) {
    c.Add("subject_event_id",
          absl::StrCat("is required for ", KindName(raw.kind),
                       " (the event_id of the original event)"));
    return;
  }
  out.subject_event_id =
      c.OptionalUuid("subject_event_id", raw.subject_event_id);
  if (!event_id.is_nil() && out.subject_event_id == event_id) {
    c.Add("subject_event_id",
          absl::StrFormat("must differ from event_id (\"%s\"): an entry "
                          "cannot correct or retract itself",
                          event_id.ToString()));
  }
}

// Every payload field of an event or a correction.
void CheckEventData(Checker& c, const RawEntry& raw,
                    const ValidationContext& ctx, EventData& out) {
  if (raw.occurred_on.empty()) {
    c.Add("occurred_on", "is required (YYYY-MM-DD, YYYY-MM or YYYY)");
  } else if (!IsValidUtf8(raw.occurred_on)) {
    c.Add("occurred_on", "is not valid UTF-8");
  } else {
    absl::StatusOr<EventDate> date = EventDate::Parse(raw.occurred_on);
    if (!date.ok()) {
      c.Add("occurred_on", std::string(date.status().message()));
    } else if (date->first_day() > ctx.today.Next()) {
      c.Add("occurred_on",
            absl::StrFormat("%s is in the future (today is %s; at most one "
                            "day ahead is allowed)",
                            Quote(raw.occurred_on), DayString(ctx.today)));
    } else {
      out.occurred_on = *date;
    }
  }

  out.source = c.Actor("source", raw.source);
  out.target = c.Actor("target", raw.target);
  if (!out.source.empty() && out.source == out.target) {
    c.Add("target",
          absl::StrFormat("must differ from source (\"%s\")", out.source));
  }

  if (raw.event_code.empty()) {
    c.Add("event_code", "is required (a CAMEO event code, \"036\")");
  } else if (!IsValidUtf8(raw.event_code)) {
    c.Add("event_code", "is not valid UTF-8");
  } else if (FindCameoCode(raw.event_code) == nullptr) {
    bool digits = raw.event_code.size() >= 2 && raw.event_code.size() <= 4;
    for (char ch : raw.event_code) digits = digits && absl::ascii_isdigit(ch);
    c.Add("event_code",
          digits
              ? absl::StrCat("unknown CAMEO event code ", Quote(raw.event_code))
              : absl::StrCat(Quote(raw.event_code),
                             " is not a CAMEO event code (2 to 4 digits, "
                             "\"036\")"));
  } else {
    out.event_code = raw.event_code;
  }

  if (raw.goldstein) c.Range("goldstein", *raw.goldstein, -10, 10);
  if (raw.tone) c.Range("tone", *raw.tone, -100, 100);
  out.goldstein = raw.goldstein;
  out.tone = raw.tone;
  out.weight = raw.weight == 0 ? 1 : raw.weight;

  CheckTags(c, raw.tags);
  c.Text("title", raw.title, kMaxTitleChars);
  c.Text("source_name", raw.source_name, kMaxSourceNameChars);
  CheckUrl(c, raw.source_url);
  // The texts themselves are taken by ValidateEntryImpl once all is valid.
}

// A retraction carries no payload but its reason (summary).
void CheckRetractionData(Checker& c, const RawEntry& raw) {
  auto must_be_empty = [&](absl::string_view field, bool set) {
    if (set) {
      c.Add(std::string(field),
            "must be empty for a retraction (only summary, the reason, may "
            "be set)");
    }
  };
  must_be_empty("occurred_on", !raw.occurred_on.empty());
  must_be_empty("source", !raw.source.empty());
  must_be_empty("target", !raw.target.empty());
  must_be_empty("event_code", !raw.event_code.empty());
  must_be_empty("goldstein", raw.goldstein.has_value());
  // 1 is the default and so accepted; anything else says more than "unset".
  must_be_empty("weight", raw.weight > 1);
  must_be_empty("tone", raw.tone.has_value());
  must_be_empty("tags", !raw.tags.empty());
  must_be_empty("title", !raw.title.empty());
  must_be_empty("source_name", !raw.source_name.empty());
  must_be_empty("source_url", !raw.source_url.empty());
}

// Raw is `const RawEntry&` (the texts are copied) or `RawEntry&` (moved).
template <typename Raw>
absl::StatusOr<Entry> ValidateEntryImpl(Raw& raw,
                                        const ValidationContext& ctx) {
  constexpr bool kMove = !std::is_const_v<Raw>;
  auto take = [](auto& field) -> decltype(auto) {
    if constexpr (kMove) {
      return std::move(field);
    } else {
      return static_cast<const std::remove_reference_t<decltype(field)>&>(
          field);
    }
  };
  Checker c;
  Entry out;
  out.kind = raw.kind;
  if (raw.kind != EntryKind::kEvent && raw.kind != EntryKind::kCorrection &&
      raw.kind != EntryKind::kRetraction) {
    c.Add("kind",
          absl::StrFormat("unknown entry kind %d", static_cast<int>(raw.kind)));
    return InvalidArgumentWithViolations(std::move(c.violations()));
  }

  out.event_id = c.OptionalUuid("event_id", raw.event_id);
  CheckSubject(c, raw, out.event_id, out);
  if (raw.kind == EntryKind::kRetraction) {
    CheckRetractionData(c, raw);
  } else {
    CheckEventData(c, raw, ctx, out.data);
  }
  c.Text("summary", raw.summary, kMaxSummaryChars);

  if (!c.violations().empty()) {
    return InvalidArgumentWithViolations(std::move(c.violations()));
  }
  out.data.summary = take(raw.summary);
  if (raw.kind != EntryKind::kRetraction) {
    out.data.tags = take(raw.tags);
    out.data.title = take(raw.title);
    out.data.source_name = take(raw.source_name);
    out.data.source_url = take(raw.source_url);
  }
  return out;
}

}  // namespace

absl::StatusOr<Entry> ValidateEntry(const RawEntry& raw,
                                    const ValidationContext& ctx) {
  return ValidateEntryImpl(raw, ctx);
}

absl::StatusOr<Entry> ValidateEntry(RawEntry&& raw,
                                    const ValidationContext& ctx) {
  return ValidateEntryImpl(raw, ctx);
}

double EffectiveGoldstein(const EventData& data) {
  if (data.goldstein) return *data.goldstein;
  const CameoCode* code = FindCameoCode(data.event_code);
  return code == nullptr ? 0 : code->goldstein;
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // ASCII runs, eight bytes at a time.
    while (i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ull) != 0) break;
      i += 8;
    }
    if (i >= s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // continuation byte or 0xf8..0xff as a lead byte
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

size_t Utf8Length(absl::string_view s) {
  size_t n = 0;
  for (char ch : s) {
    if ((static_cast<unsigned char>(ch) & 0xc0) != 0x80) ++n;
  }
  return n;
}

}  // namespace detente
