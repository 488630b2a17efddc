// Sends rows to detente-ingest in batches over one AppendStream and keeps
// the load's totals. A batch rejected with field violations is reported row
// by row (file:line: reason); without --strict its good rows are sent again,
// with --strict the load stops and nothing of the batch is written.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detente/v1/ingest.grpc.pb.h"

namespace detente::cli {

struct Row {
  std::string file;
  uint64_t line = 0;
  v1::Event event;
};

struct Totals {
  uint64_t read = 0, appended = 0, duplicates = 0, rejected = 0;
  std::map<std::string, uint64_t> skipped;  // by reason

  uint64_t skipped_total() const;
  // "read N, appended N, duplicates N, rejected N[, skipped N (reason: n,
  // ...)]": the most frequent reasons first, at most `max_reasons` of them.
  std::string Summary(size_t max_reasons = 20) const;
};

class Loader {
 public:
  // `before_message` runs before anything is written to stderr (to clear a
  // progress bar).
  Loader(v1::IngestService::Stub& stub, bool strict,
         std::function<void()> before_message);

  // Sends the rows as one batch (retrying the good rows of a rejected batch
  // without --strict). False when the load must stop. Without --strict the
  // answer is read when the next batch is sent (or at Finish), so that the
  // next rows are read from the files while the service commits these;
  // a batch is always answered, and its good rows sent again, before the
  // next one is sent, so the log holds the rows in file order.
  bool Send(std::vector<Row> rows);
  // Counts and reports a row rejected before it was sent.
  void Reject(const std::string& file, uint64_t line,
              const std::string& reason);
  // Reads the last answer and ends the stream; false on a stream error or
  // when that answer stops the load.
  bool Finish();

  Totals totals;

 private:
  bool strict_;
  std::function<void()> before_message_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AppendStreamRequest,
                                           v1::AppendStreamResponse>>
      stream_;
  // Writes a batch; Settle reads its answer.
  bool Start(std::vector<Row> rows);
  // Reads the answer of the batch in flight, if any, and handles it (its
  // good rows sent again and answered when it was rejected).
  bool Settle();
  // Reports a broken stream; returns false.
  bool Broke();

  uint64_t batch_id_ = 0;
  bool broken_ = false;
  bool has_in_flight_ = false;
  std::vector<Row> in_flight_;
};

}  // namespace detente::cli
