// A server-streaming call on gRPC's callback API whose body runs on a thread
// of its own and writes blocking, as with the synchronous API (with one
// message in flight while the body prepares the next), but sends raw
// bytes: responses are written straight to the wire format
// (recorded_wire.h) instead of through generated message objects. Used by
// Read and Subscribe, whose bodies wait for the log and must not hold a
// callback thread.
//
//   grpc::ServerWriteReactor<grpc::ByteBuffer>* Read(ctx, request) {
//     return ThreadedWriteReactor::Start([=](ThreadedWriteReactor& w) {
//       while (...) if (!w.Write(bytes)) return CancelledStatus();
//       return grpc::Status::OK;
//     });
//   }
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

namespace detente {

class ThreadedWriteReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  using Body = std::function<grpc::Status(ThreadedWriteReactor&)>;

  // Runs `body` on a new thread; the call ends with the status it returns.
  static ThreadedWriteReactor* Start(Body body);
  // Ends the call at once with `status` (no thread).
  static ThreadedWriteReactor* Fail(grpc::Status status);

  // Sends one message (already serialised). Returns once the previous
  // message is on its way and this one is handed to gRPC, so the body can
  // prepare the next message while this one is sent (one write in flight,
  // as gRPC allows). False once the client has cancelled or gone away (seen
  // at the next write after it happened).
  bool Write(std::string message);
  // True once the client has cancelled (or the server is shutting the call).
  bool cancelled() const { return cancelled_.load(); }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  ThreadedWriteReactor() = default;
  // Waits until no write is in flight (before Finish).
  void WaitWritten();

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool write_done_ = true;  // guarded by mu_
  bool write_ok_ = true;    // guarded by mu_
  std::atomic<bool> cancelled_{false};
  grpc::ByteBuffer buffer_;
};

}  // namespace detente
