// `detente ingest`: streams JSONL files (one detente.v1.Event per line in
// the proto3 JSON mapping) to the ingestion service over AppendStream.
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "tools/cli/client.h"
#include "tools/cli/commands.h"

namespace detente::cli {
namespace {

struct Row {
  std::string file;
  int line = 0;
  v1::Event event;
};

struct Totals {
  uint64_t read = 0, appended = 0, duplicates = 0, rejected = 0;
};

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
      absl::StrAppend(&reason, reason.empty() ? "" : "; ", f.substr(close + 2),
                      ": ", v.description());
    }
  }
  return out;
}

class Loader {
 public:
  Loader(const IngestOptions& o, v1::IngestService::Stub& stub)
      : o_(o), stub_(stub) {
    stream_ = stub_.AppendStream(&ctx_);
  }

  // Sends the rows as one batch; on a rejection without --strict, reports
  // the bad rows and sends the rest again. False when the load must stop.
  bool Send(std::vector<Row> rows) {
    while (!rows.empty()) {
      v1::AppendStreamRequest req;
      req.set_batch_id(++batch_id_);
      for (const Row& r : rows) *req.mutable_batch()->add_entries() = r.event;
      v1::AppendStreamResponse resp;
      if (!stream_->Write(req) || !stream_->Read(&resp)) {
        grpc::Status s = stream_->Finish();
        std::cerr << "error: the stream broke: " << DescribeError(s) << "\n";
        return false;
      }
      if (resp.has_result()) {
        for (const auto& r : resp.result().results()) {
          (r.duplicate() ? totals.duplicates : totals.appended)++;
        }
        return true;
      }
      std::map<int, std::string> bad = RejectedEntries(resp.error());
      if (bad.empty()) {
        std::cerr << "error: batch rejected: " << resp.error().message() << "\n";
        totals.rejected += rows.size();
        return !o_.strict && resp.error().code() == 3;  // INVALID_ARGUMENT
      }
      std::vector<Row> keep;
      for (size_t i = 0; i < rows.size(); ++i) {
        auto it = bad.find(static_cast<int>(i));
        if (it == bad.end()) {
          keep.push_back(std::move(rows[i]));
          continue;
        }
        Reject(rows[i].file, rows[i].line, it->second);
      }
      if (o_.strict) {
        std::cerr << "stopped (--strict): nothing of the batch was written\n";
        return false;
      }
      rows = std::move(keep);
    }
    return true;
  }

  void Reject(const std::string& file, int line, const std::string& reason) {
    ++totals.rejected;
    std::cerr << file << ":" << line << ": rejected: " << reason << "\n";
  }

  bool Finish() {
    stream_->WritesDone();
    grpc::Status s = stream_->Finish();
    if (!s.ok()) {
      std::cerr << "error: " << DescribeError(s) << "\n";
      return false;
    }
    return true;
  }

  Totals totals;

 private:
  const IngestOptions& o_;
  v1::IngestService::Stub& stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AppendStreamRequest,
                                           v1::AppendStreamResponse>>
      stream_;
  uint64_t batch_id_ = 0;
};

}  // namespace

int RunIngest(const IngestOptions& o) {
  if (o.batch < 1 || o.batch > 10000) {
    std::cerr << "--batch must be 1..10000\n";
    return 2;
  }
  auto stub = v1::IngestService::NewStub(Connect(o.address));
  Loader loader(o, *stub);
  bool ok = true;
  std::vector<Row> rows;
  for (const std::string& file : o.files) {
    std::ifstream in_file;
    std::istream* in = &std::cin;
    if (file != "-") {
      in_file.open(file);
      if (!in_file) {
        std::cerr << "error: cannot open " << file << "\n";
        return 2;
      }
      in = &in_file;
    }
    std::string line;
    int number = 0;
    while (ok && std::getline(*in, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ++loader.totals.read;
      Row row{file, number, {}};
      auto parsed = google::protobuf::util::JsonStringToMessage(line, &row.event);
      if (!parsed.ok()) {
        loader.Reject(file, number,
                      absl::StrCat("not a detente.v1.Event in JSON: ",
                                   parsed.message().as_string()));
        if (o.strict) ok = false;
        continue;
      }
      rows.push_back(std::move(row));
      if (static_cast<int>(rows.size()) >= o.batch) {
        ok = loader.Send(std::move(rows));
        rows.clear();
      }
    }
  }
  if (ok && !rows.empty()) ok = loader.Send(std::move(rows));
  ok = loader.Finish() && ok;
  const Totals& t = loader.totals;
  std::cerr << "read " << t.read << ", appended " << t.appended
            << ", duplicates " << t.duplicates << ", rejected " << t.rejected
            << "\n";
  return ok && t.rejected == 0 ? 0 : 1;
}

}  // namespace detente::cli
