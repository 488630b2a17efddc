// A subscription to the log: everything after a position, then new commits
// as they happen, with no gap and no duplicate across the switch from
// catch-up to live. Pull-based: each Next() reads the next page from the log
// (the memtable and block cache serve the recent tail), so a slow consumer
// costs the server nothing but its cursor; nothing is buffered for it.
//
//   Subscription sub(log, {.after = Position{0}});
//   while (true) {
//     ASSIGN_OR_RETURN(SubscriptionMessage m, sub.Next([&] { return done; }));
//     ...
//   }
//
// Not thread-safe: one consumer per Subscription.
#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventlog/event_log.h"

namespace detente {

struct SubscriptionOptions {
  // Deliver entries with position > after.
  Position after;
  EntryFilter filter;
  // Maximum entries per message.
  size_t batch_size = 1000;
  // A checkpoint is sent when nothing was sent for this long.
  absl::Duration heartbeat = absl::Seconds(5);
  // Deliver entries in their stored encoding (SubscriptionMessage::encoded).
  bool encoded = false;
};

struct SubscriptionMessage {
  enum class Kind { kEvents, kCaughtUp, kCheckpoint };
  Kind kind = Kind::kEvents;
  std::vector<RecordedEntry> events;  // unless the options say `encoded`
  EncodedEntries encoded;             // if they do
  // Every entry at or below this position was delivered or filtered out.
  Position position;
  Position head;
};

class Subscription {
 public:
  Subscription(EventLog& log, SubscriptionOptions options);

  // Blocks until there is a message. CANCELLED when `cancelled()` returns
  // true (polled at least every 100 ms) or the log closes.
  absl::StatusOr<SubscriptionMessage> Next(
      const std::function<bool()>& cancelled);

  Position position() const { return position_; }

 private:
  SubscriptionMessage Message(SubscriptionMessage::Kind kind);

  EventLog& log_;
  const SubscriptionOptions options_;
  Position position_;
  bool caught_up_sent_ = false;
  absl::Time last_sent_;
};

}  // namespace detente
