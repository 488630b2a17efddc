#include "eventlog/replication.h"

#include "absl/strings/str_cat.h"
#include "common/wire.h"

namespace detente {
namespace {
constexpr uint32_t kFirstPosition = 1;
constexpr uint32_t kCount = 2;
constexpr uint32_t kRecords = 3;
}  // namespace

size_t EncodedGroupSize(Position first,
                        const std::vector<size_t>& record_sizes) {
  size_t n = 1 + wire::VarintSize(first.value()) + 1 +
             wire::VarintSize(record_sizes.size());
  for (size_t s : record_sizes) n += 1 + wire::VarintSize(s) + s;
  return n;
}

std::string EncodeReplicatedGroup(
    Position first, const std::vector<absl::string_view>& records) {
  std::vector<size_t> sizes;
  sizes.reserve(records.size());
  for (absl::string_view r : records) sizes.push_back(r.size());
  std::string out;
  out.reserve(EncodedGroupSize(first, sizes));
  wire::PutVarintField(&out, kFirstPosition, first.value());
  wire::PutVarintField(&out, kCount, records.size());
  for (absl::string_view r : records) wire::PutString(&out, kRecords, r);
  return out;
}

std::string EncodeReplicatedGroup(const ReplicatedGroup& group) {
  return EncodeReplicatedGroup(
      group.first, std::vector<absl::string_view>(group.records.begin(),
                                                  group.records.end()));
}

absl::StatusOr<ReplicatedGroup> DecodeReplicatedGroup(absl::string_view bytes,
                                                      uint64_t sequence) {
  ReplicatedGroup group;
  group.sequence = sequence;
  uint64_t count = 0;
  wire::Reader r(bytes);
  while (r.Next()) {
    if (r.field() == kFirstPosition && r.type() == wire::kVarint) {
      group.first = Position(r.varint());
    } else if (r.field() == kCount && r.type() == wire::kVarint) {
      count = r.varint();
    } else if (r.field() == kRecords && r.type() == wire::kLen) {
      group.records.emplace_back(r.bytes());
    }  // unknown fields are skipped, as protobuf does
  }
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "replicated group at sequence ", sequence, " is malformed: ", why));
  };
  if (!r.ok()) return bad("not a protobuf message");
  if (group.first.value() == 0) return bad("no first position");
  if (group.records.empty()) return bad("no records");
  if (count != group.records.size()) {
    return bad(absl::StrCat("count ", count, " but ", group.records.size(),
                            " records"));
  }
  return group;
}

}  // namespace detente
