#include "eventlog/subscription.h"

#include <algorithm>

#include "common/status_macros.h"

namespace detente {

Subscription::Subscription(EventLog& log, SubscriptionOptions options)
    : log_(log),
      options_(std::move(options)),
      position_(options_.after),
      last_sent_(absl::Now()) {}

SubscriptionMessage Subscription::Message(SubscriptionMessage::Kind kind) {
  SubscriptionMessage m;
  m.kind = kind;
  m.position = position_;
  m.head = log_.Head();
  last_sent_ = absl::Now();
  return m;
}

absl::StatusOr<SubscriptionMessage> Subscription::Next(
    const std::function<bool()>& cancelled) {
  using Kind = SubscriptionMessage::Kind;
  while (true) {
    if (cancelled() || log_.closing()) {
      return absl::CancelledError("subscription ended");
    }
    const Position head = log_.Head();
    if (position_ < head) {
      ReadRequest req;
      req.from = position_.Next();
      req.to = head;
      req.filter = options_.filter;
      req.max_entries = options_.batch_size;
      req.max_scanned = std::max<size_t>(options_.batch_size * 16, 10000);
      req.encoded = options_.encoded;
      ASSIGN_OR_RETURN(ReadResult page, log_.Read(req));
      if (page.considered.value() > position_.value()) {
        position_ = page.considered;
      }
      if (!page.entries.empty() || !page.encoded.empty()) {
        SubscriptionMessage m = Message(Kind::kEvents);
        m.events = std::move(page.entries);
        m.encoded = std::move(page.encoded);
        return m;
      }
      if (absl::Now() - last_sent_ >= options_.heartbeat) {
        return Message(Kind::kCheckpoint);
      }
      continue;
    }
    if (!caught_up_sent_) {
      caught_up_sent_ = true;
      return Message(Kind::kCaughtUp);
    }
    const absl::Time now = absl::Now();
    if (now - last_sent_ >= options_.heartbeat) {
      return Message(Kind::kCheckpoint);
    }
    log_.WaitForHead(position_, std::min(last_sent_ + options_.heartbeat,
                                         now + absl::Milliseconds(100)));
  }
}

}  // namespace detente
