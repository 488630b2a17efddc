#include "tools/cli/json_event.h"

#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/numbers.h"
#include "domain/validation.h"

namespace detente::cli {
namespace {

enum class Field : uint8_t {
  kEventId,
  kOccurredOn,
  kSource,
  kTarget,
  kEventCode,
  kGoldstein,
  kWeight,
  kTone,
  kTags,
  kTitle,
  kSummary,
  kSourceName,
  kSourceUrl,
  kKind,
  kSubjectEventId,
  kNone,
};

// Event's fields by JSON name and by proto name (protobuf reads both).
Field FieldOf(absl::string_view key) {
  struct Name {
    const char* json;
    const char* proto;
    Field field;
  };
  static constexpr Name kNames[] = {
      {"eventId", "event_id", Field::kEventId},
      {"occurredOn", "occurred_on", Field::kOccurredOn},
      {"source", "source", Field::kSource},
      {"target", "target", Field::kTarget},
      {"eventCode", "event_code", Field::kEventCode},
      {"goldstein", "goldstein", Field::kGoldstein},
      {"weight", "weight", Field::kWeight},
      {"tone", "tone", Field::kTone},
      {"tags", "tags", Field::kTags},
      {"title", "title", Field::kTitle},
      {"summary", "summary", Field::kSummary},
      {"sourceName", "source_name", Field::kSourceName},
      {"sourceUrl", "source_url", Field::kSourceUrl},
      {"kind", "kind", Field::kKind},
      {"subjectEventId", "subject_event_id", Field::kSubjectEventId},
  };
  for (const Name& n : kNames) {
    if (key == n.json || key == n.proto) return n.field;
  }
  return Field::kNone;
}

// A JSON number as protobuf's JSON reader gives it to a double field: with
// a fraction, the correctly rounded double of its text; without, the
// integer first (so "-0" is +0.0). Declined: exponents, and integers beyond
// int64 (protobuf reads those another way).
bool JsonDouble(absl::string_view text, double* out) {
  if (text.size() > 40 || text.find_first_of("eE") != text.npos) return false;
  if (text.find('.') == text.npos) {
    int64_t i = 0;
    if (!absl::SimpleAtoi(text, &i)) return false;
    *out = static_cast<double>(i);
    return true;
  }
  return absl::SimpleAtod(text, out);
}

// RapidJSON's SAX events onto the message; any event it does not expect
// returns false, which stops the reader.
class EventHandler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, EventHandler> {
 public:
  explicit EventHandler(v1::Event* out) : out_(out) {}

  bool StartObject() { return depth_++ == 0; }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    return field_ == Field::kNone;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    field_ = FieldOf(absl::string_view(s, n));
    if (field_ == Field::kNone) return false;
    const uint32_t bit = 1u << static_cast<int>(field_);
    if ((seen_ & bit) != 0) return false;  // twice
    seen_ |= bit;
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    const absl::string_view v(s, n);
    // Escapes may decode to a NUL, or (RapidJSON 1.1.0 lets a lone low
    // surrogate through) to what is not UTF-8.
    if (v.find('\0') != v.npos || !IsValidUtf8(v)) return false;
    if (in_tags_) {
      out_->add_tags(s, n);
      return true;
    }
    std::string* text = nullptr;
    switch (field_) {
      case Field::kEventId:
        text = out_->mutable_event_id();
        break;
      case Field::kOccurredOn:
        text = out_->mutable_occurred_on();
        break;
      case Field::kSource:
        text = out_->mutable_source();
        break;
      case Field::kTarget:
        text = out_->mutable_target();
        break;
      case Field::kEventCode:
        text = out_->mutable_event_code();
        break;
      case Field::kTitle:
        text = out_->mutable_title();
        break;
      case Field::kSummary:
        text = out_->mutable_summary();
        break;
      case Field::kSourceName:
        text = out_->mutable_source_name();
        break;
      case Field::kSourceUrl:
        text = out_->mutable_source_url();
        break;
      case Field::kSubjectEventId:
        text = out_->mutable_subject_event_id();
        break;
      case Field::kKind: {
        v1::EntryKind kind;
        if (!v1::EntryKind_Parse(std::string(v), &kind)) return false;
        out_->set_kind(kind);
        field_ = Field::kNone;
        return true;
      }
      default:
        return false;
    }
    text->assign(s, n);
    field_ = Field::kNone;
    return true;
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const absl::string_view text(s, n);
    double d = 0;
    switch (field_) {
      case Field::kGoldstein:
        if (!JsonDouble(text, &d)) return false;
        out_->set_goldstein(d);
        break;
      case Field::kTone:
        if (!JsonDouble(text, &d)) return false;
        out_->set_tone(d);
        break;
      case Field::kWeight: {
        uint64_t w = 0;
        if (text.find_first_not_of("0123456789") != text.npos ||
            !absl::SimpleAtoi(text, &w) ||
            w > std::numeric_limits<uint32_t>::max()) {
          return false;
        }
        out_->set_weight(static_cast<uint32_t>(w));
        break;
      }
      default:
        return false;
    }
    field_ = Field::kNone;
    return true;
  }
  bool StartArray() {
    if (field_ != Field::kTags || in_tags_) return false;
    in_tags_ = true;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    in_tags_ = false;
    field_ = Field::kNone;
    return true;
  }
  // null, booleans, and numbers other than raw ones.
  bool Default() { return false; }

 private:
  v1::Event* out_;
  int depth_ = 0;
  Field field_ = Field::kNone;
  uint32_t seen_ = 0;
  bool in_tags_ = false;
};

}  // namespace

bool ParseEventJsonFast(const std::string& line, v1::Event* out) {
  // RapidJSON's string stream ends at a NUL; protobuf reads past it. The
  // UTF-8 is checked here rather than by RapidJSON, whose check (1.1.0)
  // reads past the end of a line that ends inside a character.
  if (std::memchr(line.data(), '\0', line.size()) != nullptr ||
      !IsValidUtf8(line)) {
    return false;
  }
  out->Clear();
  EventHandler handler(out);
  rapidjson::Reader reader;
  rapidjson::StringStream in(line.c_str());
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag;
  return !reader.Parse<kFlags>(in, handler).IsError();
}

}  // namespace detente::cli
