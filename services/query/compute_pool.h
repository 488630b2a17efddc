// A few threads that run the work gRPC's callback threads must not: series
// that miss the answer cache take milliseconds (tens for a daily series of
// a busy pair), and blocking a callback thread for that long stalls every
// other call it would serve. Tasks run in the order given.
//
//   ComputePool pool(2);
//   pool.Run([reactor] { ...; reactor->Finish(status); });
//
// Thread-safe. The destructor runs the tasks already given, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace detente {

class ComputePool {
 public:
  explicit ComputePool(int threads);
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  void Run(std::function<void()> task);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace detente
