#include "tools/cli/loader.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "tools/cli/client.h"

namespace detente::cli {
namespace {

constexpr int kInvalidArgument = 3;

// Entry indexes named by a BadRequest ("entries[3].source" -> 3).
std::map<int, std::string> RejectedEntries(const google::rpc::Status& error) {
  std::map<int, std::string> out;
  for (const auto& any : error.details()) {
    google::rpc::BadRequest bad;
    if (!any.UnpackTo(&bad)) continue;
    for (const auto& v : bad.field_violations()) {
      const std::string& f = v.field();
      if (f.rfind("entries[", 0) != 0) continue;
      size_t close = f.find(']');
      int index = 0;
      if (close == std::string::npos ||
          !absl::SimpleAtoi(f.substr(8, close - 8), &index)) {
        continue;
      }
      std::string& reason = out[index];
      absl::StrAppend(&reason, reason.empty() ? "" : "; ",
                      f.size() > close + 2 ? f.substr(close + 2) : "", ": ",
                      v.description());
    }
  }
  return out;
}

}  // namespace

uint64_t Totals::skipped_total() const {
  uint64_t n = 0;
  for (const auto& [reason, count] : skipped) n += count;
  return n;
}

std::string Totals::Summary(size_t max_reasons) const {
  std::string out =
      absl::StrCat("read ", read, ", appended ", appended, ", duplicates ",
                   duplicates, ", rejected ", rejected);
  if (skipped.empty()) return out;
  std::vector<std::pair<std::string, uint64_t>> by_count(skipped.begin(),
                                                         skipped.end());
  std::stable_sort(
      by_count.begin(), by_count.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  absl::StrAppend(&out, ", skipped ", skipped_total(), " (");
  uint64_t others = 0;
  for (size_t i = 0; i < by_count.size(); ++i) {
    if (i >= max_reasons) {
      others += by_count[i].second;
      continue;
    }
    absl::StrAppend(&out, i ? ", " : "", by_count[i].first, ": ",
                    by_count[i].second);
  }
  if (others > 0) {
    absl::StrAppend(&out, ", ", by_count.size() - max_reasons,
                    " other reasons: ", others);
  }
  absl::StrAppend(&out, ")");
  return out;
}

Loader::Loader(v1::IngestService::Stub& stub, bool strict,
               std::function<void()> before_message)
    : strict_(strict), before_message_(std::move(before_message)) {
  stream_ = stub.AppendStream(&ctx_);
}

void Loader::Reject(const std::string& file, uint64_t line,
                    const std::string& reason) {
  ++totals.rejected;
  before_message_();
  std::cerr << file << ":" << line << ": rejected: " << reason << "\n";
}

bool Loader::Send(std::vector<Row> rows) {
  if (!Settle() || !Start(std::move(rows))) return false;
  // --strict stops at the first bad row: nothing is read past a batch
  // until it is answered.
  return !strict_ || Settle();
}

bool Loader::Start(std::vector<Row> rows) {
  v1::AppendStreamRequest req;
  req.set_batch_id(++batch_id_);
  // Only the counts are used: no result per entry.
  req.mutable_batch()->set_result_detail(v1::RESULT_DETAIL_SUMMARY);
  auto* entries = req.mutable_batch()->mutable_entries();
  entries->Reserve(static_cast<int>(rows.size()));
  for (Row& r : rows) *entries->Add() = r.event;
  if (!stream_->Write(req)) return Broke();
  in_flight_ = std::move(rows);
  has_in_flight_ = true;
  return true;
}

bool Loader::Settle() {
  while (has_in_flight_) {
    has_in_flight_ = false;
    std::vector<Row> rows = std::move(in_flight_);
    v1::AppendStreamResponse resp;
    if (!stream_->Read(&resp)) return Broke();
    if (resp.has_result()) {
      totals.appended += resp.result().appended();
      totals.duplicates += resp.result().duplicates();
      return true;
    }
    std::map<int, std::string> bad = RejectedEntries(resp.error());
    if (bad.empty()) {
      before_message_();
      std::cerr << "error: batch rejected: " << resp.error().message() << "\n";
      totals.rejected += rows.size();
      return !strict_ && resp.error().code() == kInvalidArgument;
    }
    std::vector<Row> keep;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto it = bad.find(static_cast<int>(i));
      if (it == bad.end()) {
        keep.push_back(std::move(rows[i]));
      } else {
        Reject(rows[i].file, rows[i].line, it->second);
      }
    }
    if (strict_) {
      before_message_();
      std::cerr << "stopped (--strict): nothing of the batch was written\n";
      return false;
    }
    // The good rows again, answered before anything after them is sent.
    if (!keep.empty() && !Start(std::move(keep))) return false;
  }
  return true;
}

bool Loader::Broke() {
  broken_ = true;
  has_in_flight_ = false;
  grpc::Status s = stream_->Finish();
  before_message_();
  std::cerr << "error: the stream to the ingestion service broke: "
            << DescribeError(s) << "\n";
  return false;
}

bool Loader::Finish() {
  if (broken_) return false;
  const bool settled = Settle();
  if (broken_) return false;
  stream_->WritesDone();
  grpc::Status s = stream_->Finish();
  if (!s.ok()) {
    before_message_();
    std::cerr << "error: " << DescribeError(s) << "\n";
    return false;
  }
  return settled;
}

}  // namespace detente::cli
