#include "services/common/threaded_write_reactor.h"

#include "common/thread_name.h"

namespace detente {

ThreadedWriteReactor* ThreadedWriteReactor::Start(Body body) {
  auto* r = new ThreadedWriteReactor();
  r->thread_ = std::thread([r, body = std::move(body)] {
    NameThisThread("stream-writer");
    grpc::Status status = body(*r);
    r->WaitWritten();
    // Nothing of *r is touched after Finish: OnDone may delete it.
    r->Finish(std::move(status));
  });
  return r;
}

ThreadedWriteReactor* ThreadedWriteReactor::Fail(grpc::Status status) {
  auto* r = new ThreadedWriteReactor();
  r->Finish(std::move(status));
  return r;
}

bool ThreadedWriteReactor::Write(std::string message) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return write_done_; });
  if (cancelled_ || !write_ok_) return false;
  // The slice owns the message's bytes (no copy) until gRPC has sent them.
  auto* owned = new std::string(std::move(message));
  grpc::Slice slice(
      owned->data(), owned->size(),
      [](void* p) { delete static_cast<std::string*>(p); }, owned);
  buffer_ = grpc::ByteBuffer(&slice, 1);
  write_done_ = false;
  StartWrite(&buffer_);
  return true;
}

void ThreadedWriteReactor::WaitWritten() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return write_done_; });
}

void ThreadedWriteReactor::OnWriteDone(bool ok) {
  {
    std::lock_guard lock(mu_);
    write_done_ = true;
    write_ok_ = ok;
  }
  cv_.notify_all();
}

void ThreadedWriteReactor::OnCancel() { cancelled_ = true; }

void ThreadedWriteReactor::OnDone() {
  if (thread_.joinable()) {
    // The body has returned and called Finish; the thread is ending. If
    // gRPC runs this reaction on that very thread, it cannot join itself.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  delete this;
}

}  // namespace detente
