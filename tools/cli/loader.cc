#include "tools/cli/loader.h"

#include <algorithm>
#include <iostream>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "tools/cli/client.h"

namespace detente::cli {
namespace {

constexpr int kInvalidArgument = 3;
constexpr uint64_t kAll = std::numeric_limits<uint64_t>::max();

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
  if (not_sent > 0) absl::StrAppend(&out, ", not sent ", not_sent);
  if (unanswered > 0) absl::StrAppend(&out, ", unanswered ", unanswered);
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

Loader::Loader(v1::IngestService::Stub& stub, int batch, bool strict,
               std::function<void()> before_message)
    : batch_(static_cast<size_t>(std::max(batch, 1))),
      strict_(strict),
      before_message_(std::move(before_message)) {
  stream_ = stub.AppendStream(&ctx_);
}

bool Loader::Add(Row row) {
  std::string id = absl::AsciiStrToLower(row.event.event_id());
  if (!id.empty() && building_ids_.contains(id) && !SendBuilding()) {
    ++totals.not_sent;
    return false;
  }
  if (!id.empty()) building_ids_.insert(std::move(id));
  building_.push_back(std::move(row));
  return building_.size() < batch_ || SendBuilding();
}

bool Loader::Reject(const std::string& file, uint64_t line, uint64_t ordinal,
                    const std::string& reason) {
  ++totals.rejected;
  Hold(ordinal, absl::StrCat(file, ":", line, ": rejected: ", reason));
  if (strict_) return false;
  // Held messages wait for the rows before them; when a file is mostly
  // rejected, a batch sent early, or the answer of the one in flight read
  // now, keeps them few.
  if (held_.size() > batch_) {
    if (!building_.empty()) return SendBuilding();
    if (has_in_flight_) return Settle();
  }
  Flush(Boundary());
  return true;
}

void Loader::Hold(uint64_t ordinal, std::string text) {
  // In row order (stable): a reader's rejections come in order, at the end;
  // the service's about earlier rows go before them.
  auto at = std::upper_bound(
      held_.begin(), held_.end(), ordinal,
      [](uint64_t o, const Message& m) { return o < m.ordinal; });
  held_.insert(at, Message{ordinal, std::move(text)});
}

uint64_t Loader::Boundary() const {
  uint64_t b = kAll;
  if (has_in_flight_) b = in_flight_.front().ordinal;
  if (!building_.empty()) b = std::min(b, building_.front().ordinal);
  return b;
}

void Loader::Flush(uint64_t boundary) {
  size_t n = 0;
  while (n < held_.size() && held_[n].ordinal < boundary) ++n;
  if (n == 0) return;
  before_message_();
  for (size_t i = 0; i < n; ++i) std::cerr << held_[i].text << "\n";
  held_.erase(held_.begin(), held_.begin() + static_cast<ptrdiff_t>(n));
}

bool Loader::SendBuilding() {
  if (building_.empty()) return true;
  // The batch being built stays in building_ while the one before it is
  // settled, so that messages of its rows' range wait.
  if (!Settle()) {
    totals.not_sent += building_.size();
    building_.clear();
    building_ids_.clear();
    Flush(kAll);
    return false;
  }
  std::vector<Row> rows = std::move(building_);
  building_.clear();
  building_ids_.clear();
  if (!Start(std::move(rows))) return false;
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
  if (!stream_->Write(req)) {
    totals.not_sent += rows.size();
    return Broke();
  }
  in_flight_ = std::move(rows);
  has_in_flight_ = true;
  return true;
}

bool Loader::Settle() {
  const bool ok = SettleInFlight();
  Flush(ok ? Boundary() : kAll);
  return ok;
}

bool Loader::SettleInFlight() {
  while (has_in_flight_) {
    has_in_flight_ = false;
    std::vector<Row> rows = std::move(in_flight_);
    v1::AppendStreamResponse resp;
    if (!stream_->Read(&resp)) {
      totals.unanswered += rows.size();
      return Broke();
    }
    if (resp.has_result()) {
      const v1::AppendResponse& result = resp.result();
      uint64_t appended = result.appended(), duplicates = result.duplicates();
      if (appended == 0 && duplicates == 0 && result.results_size() > 0) {
        // A service from before summary answers sends a result per entry
        // and no counts.
        for (const v1::EntryResult& r : result.results()) {
          ++(r.duplicate() ? duplicates : appended);
        }
      }
      totals.appended += appended;
      totals.duplicates += duplicates;
      return true;
    }
    std::map<int, std::string> bad = RejectedEntries(resp.error());
    // Violations that name no row of the batch (none, or only indexes out
    // of its range) refuse it as a whole: sending its rows again would
    // never end.
    if (!bad.empty() &&
        bad.lower_bound(0) == bad.lower_bound(static_cast<int>(rows.size()))) {
      bad.clear();
    }
    if (bad.empty()) {
      Hold(rows.front().ordinal,
           absl::StrCat("error: batch rejected: ", resp.error().message()));
      totals.rejected += rows.size();
      return !strict_ && resp.error().code() == kInvalidArgument;
    }
    std::vector<Row> keep;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto it = bad.find(static_cast<int>(i));
      if (it == bad.end()) {
        keep.push_back(std::move(rows[i]));
      } else {
        ++totals.rejected;
        Hold(rows[i].ordinal, absl::StrCat(rows[i].file, ":", rows[i].line,
                                           ": rejected: ", it->second));
      }
    }
    if (strict_) {
      totals.not_sent += keep.size();
      Flush(kAll);
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
  Flush(kAll);
  before_message_();
  std::cerr << "error: the stream to the ingestion service broke: "
            << DescribeError(s) << "\n";
  return false;
}

bool Loader::Finish(bool send_rest) {
  bool ok = true;
  if (send_rest && !broken_) ok = SendBuilding();
  totals.not_sent += building_.size();
  building_.clear();
  building_ids_.clear();
  if (!broken_) ok = Settle() && ok;
  Flush(kAll);
  if (broken_) return false;
  stream_->WritesDone();
  grpc::Status s = stream_->Finish();
  if (!s.ok()) {
    before_message_();
    std::cerr << "error: " << DescribeError(s) << "\n";
    return false;
  }
  return ok;
}

}  // namespace detente::cli
