// Sends rows to detente-ingest in batches over one AppendStream and keeps
// the load's totals. A batch rejected with field violations is reported row
// by row (file:line: reason); without --strict its good rows are sent again,
// with --strict the load stops and nothing of the batch is written.
//
// Messages about rows (rejected by the reader or by the service) are
// printed in the order of the rows, once every row before them is
// answered: a batch's answer is read only when the next batch is ready to
// go, so a reader's rejection of a later row waits for it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "detente/v1/ingest.grpc.pb.h"

namespace detente::cli {

struct Row {
  std::string file;
  uint64_t line = 0;
  uint64_t ordinal = 0;  // the row's number in the load, from 1
  v1::Event event;
};

struct Totals {
  uint64_t read = 0, appended = 0, duplicates = 0, rejected = 0;
  // Rows read that never reached the service because the load stopped
  // (--strict, a file that could not be read, a broken stream).
  uint64_t not_sent = 0;
  // Rows sent whose answer never came (the stream broke): they may or may
  // not be in the log; loading them again answers the written ones as
  // duplicates.
  uint64_t unanswered = 0;
  std::map<std::string, uint64_t> skipped;  // by reason

  uint64_t skipped_total() const;
  // "read N, appended N, duplicates N, rejected N[, not sent N][,
  // unanswered N][, skipped N (reason: n, ...)]": the most frequent reasons
  // first, at most `max_reasons` of them. read is the sum of the others.
  std::string Summary(size_t max_reasons = 20) const;
};

class Loader {
 public:
  // `before_message` runs before anything is written to stderr (to clear a
  // progress bar).
  Loader(v1::IngestService::Stub& stub, int batch, bool strict,
         std::function<void()> before_message);

  // Adds an event to the batch being built and sends the batch when it is
  // full, or first when the row's id is already in it (a file may repeat a
  // row: the repeat is then answered as a duplicate, not rejected). False
  // when the load must stop.
  //
  // Without --strict a batch's answer is read when the next batch is sent
  // (or at Finish), so that the next rows are read from the files while
  // the service commits these; a batch is always answered, and its good
  // rows sent again, before the next one is sent, so the log holds the rows
  // in file order.
  bool Add(Row row);
  // Counts a row rejected before it was sent; false under --strict.
  bool Reject(const std::string& file, uint64_t line, uint64_t ordinal,
              const std::string& reason);
  // Sends the batch being built when `send_rest` (otherwise counts its rows
  // as not sent), reads the last answer and ends the stream; false on a
  // stream error or when an answer stops the load.
  bool Finish(bool send_rest);

  Totals totals;

 private:
  struct Message {
    uint64_t ordinal;
    std::string text;
  };

  // Sends the batch being built (after settling the one in flight).
  bool SendBuilding();
  // Writes a batch; Settle reads its answer.
  bool Start(std::vector<Row> rows);
  // Reads the answer of the batch in flight, if any, and handles it (its
  // good rows sent again and answered when it was rejected); then prints
  // the messages every row before which is answered.
  bool Settle();
  bool SettleInFlight();
  // Reports a broken stream; returns false.
  bool Broke();
  // The ordinal of the first row not yet answered (in flight or being
  // built); UINT64_MAX when there is none.
  uint64_t Boundary() const;
  // Prints the held messages of rows before `boundary`, in row order.
  void Flush(uint64_t boundary);
  void Hold(uint64_t ordinal, std::string text);

  const size_t batch_;
  const bool strict_;
  std::function<void()> before_message_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AppendStreamRequest,
                                           v1::AppendStreamResponse>>
      stream_;

  uint64_t batch_id_ = 0;
  bool broken_ = false;
  bool has_in_flight_ = false;
  std::vector<Row> in_flight_;
  std::vector<Row> building_;
  // Ids of `building_`, lowercased.
  absl::flat_hash_set<std::string> building_ids_;
  std::vector<Message> held_;  // in row (ordinal) order
};

}  // namespace detente::cli
