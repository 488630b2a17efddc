// A closed loop of unary calls on gRPC's callback API: `concurrency` calls
// in flight, each slot issuing its next call when the previous one ends,
// until the time is up.
//
//   ClosedLoop<Req, Resp> loop(
//       [&](grpc::ClientContext* ctx, const Req* q, Resp* r, auto done) {
//         stub->async()->Append(ctx, q, r, std::move(done));
//       },
//       [&](Req& q, size_t slot) { ...fill... });
//   LoopStats s = loop.Run(64, 10.0);
//
// The issue function may also take the slot (an IssueOnSlot), e.g. to send
// each client to one of several servers.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tools/bench/latency.h"

namespace detente::bench {

struct LoopStats {
  uint64_t calls = 0;
  uint64_t errors = 0;
  std::string first_error;
  double seconds = 0;
  Latencies latencies;  // microseconds per call
};

template <typename Req, typename Resp>
class ClosedLoop {
 public:
  using Done = std::function<void(grpc::Status)>;
  using Issue =
      std::function<void(grpc::ClientContext*, const Req*, Resp*, Done)>;
  using IssueOnSlot = std::function<void(size_t slot, grpc::ClientContext*,
                                         const Req*, Resp*, Done)>;
  using Prepare = std::function<void(Req&, size_t slot)>;
  using Check = std::function<void(const Resp&, size_t slot)>;

  ClosedLoop(Issue issue, Prepare prepare, Check check = nullptr)
      : ClosedLoop([issue = std::move(issue)](
                       size_t, grpc::ClientContext* ctx, const Req* q, Resp* r,
                       Done done) { issue(ctx, q, r, std::move(done)); },
                   std::move(prepare), std::move(check)) {}
  ClosedLoop(IssueOnSlot issue, Prepare prepare, Check check = nullptr)
      : issue_(std::move(issue)),
        prepare_(std::move(prepare)),
        check_(std::move(check)) {}

  LoopStats Run(int concurrency, double seconds) {
    using Clock = std::chrono::steady_clock;
    slots_ = std::vector<Slot>(concurrency);
    const auto start = Clock::now();
    end_ = start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(seconds));
    active_ = concurrency;
    for (size_t i = 0; i < slots_.size(); ++i) IssueNext(i);
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return active_ == 0; });
    }
    LoopStats s;
    s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (Slot& slot : slots_) {
      s.calls += slot.calls;
      s.errors += slot.errors;
      if (s.first_error.empty()) s.first_error = slot.first_error;
      s.latencies.Merge(slot.latencies);
    }
    return s;
  }

 private:
  struct Slot {
    Req req;
    Resp resp;
    std::unique_ptr<grpc::ClientContext> ctx, prev;
    std::chrono::steady_clock::time_point t0;
    Latencies latencies;
    uint64_t calls = 0, errors = 0;
    std::string first_error;
  };

  void IssueNext(size_t i) {
    Slot& s = slots_[i];
    s.prev = std::move(s.ctx);  // the call before last: long finished
    s.ctx = std::make_unique<grpc::ClientContext>();
    s.resp.Clear();
    prepare_(s.req, i);
    s.t0 = std::chrono::steady_clock::now();
    issue_(i, s.ctx.get(), &s.req, &s.resp, [this, i](grpc::Status st) {
      Slot& s = slots_[i];
      const auto now = std::chrono::steady_clock::now();
      s.latencies.Add(
          std::chrono::duration<double, std::micro>(now - s.t0).count());
      ++s.calls;
      if (!st.ok()) {
        if (s.errors++ == 0) s.first_error = st.error_message();
      } else if (check_) {
        check_(s.resp, i);
      }
      if (now < end_) {
        IssueNext(i);
      } else {
        std::lock_guard lock(mu_);
        if (--active_ == 0) cv_.notify_all();
      }
    });
  }

  IssueOnSlot issue_;
  Prepare prepare_;
  Check check_;
  std::vector<Slot> slots_;
  std::chrono::steady_clock::time_point end_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;  // guarded by mu_
};

}  // namespace detente::bench
