// Small helpers shared by the reliability tests (full disk, slow readers,
// bad input over the wire, soak): a detente-query process on fixed ports,
// RSS of a process, a minimal HTTP/1.1 client over a raw socket (no
// cpp-httplib in test binaries that also speak gRPC), env knobs, batches.
// Header-only so that tests/support stays untouched.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "detente/v1/query.grpc.pb.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace detente::itest {

inline uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t out = 0;
  return v != nullptr && absl::SimpleAtoi(v, &out) ? out : fallback;
}

// VmRSS of `pid` in KiB (0 when unreadable).
inline uint64_t VmRssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      uint64_t kb = 0;
      std::string num = std::string(absl::StripAsciiWhitespace(
          absl::StripSuffix(absl::StripAsciiWhitespace(line.substr(6)), "kB")));
      if (absl::SimpleAtoi(num, &kb)) return kb;
    }
  }
  return 0;
}

// A tmpfs mounted on construction, unmounted (lazily) on destruction
// (needs CAP_SYS_ADMIN: check mounted()).
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir) {
    ::mkdir(dir.c_str(), 0755);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0,
                absl::StrCat("size=", size, ",mode=0755").c_str()) != 0) {
      error_ = absl::StrCat("mount -t tmpfs -o size=", size, " ", dir, ": ",
                            strerror(errno));
      return;
    }
    mounted_ = true;
  }
  ~TmpfsMount() {
    if (mounted_ && ::umount2(dir_.c_str(), MNT_DETACH) != 0) {
      std::cerr << "umount " << dir_ << ": " << strerror(errno) << "\n";
    }
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool Resize(const std::string& size) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT,
                   absl::StrCat("size=", size, ",mode=0755").c_str()) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Keeps a filesystem full: a file in `dir` takes whatever space is free,
// every 20 ms (RocksDB frees some when it deletes obsolete files), until
// Stop() (or destruction), which leaves the file in place.
class DiskFiller {
 public:
  explicit DiskFiller(const std::string& dir)
      : path_(dir + "/filler"), thread_([this] { Run(); }) {}
  ~DiskFiller() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::string& path() const { return path_; }

 private:
  void Run() {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    const std::string chunk(4096, 'f');
    while (!stop_) {
      for (size_t n = chunk.size(); n >= 64;) {
        out.write(chunk.data(), static_cast<std::streamsize>(n));
        out.flush();
        if (!out) {
          out.clear();
          n /= 2;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  const std::string path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A detente-query following `ingest`, gRPC and HTTP on ports picked here.
class QueryProc {
 public:
  QueryProc(const std::string& data_dir, const std::string& ingest,
            const std::string& log_prefix,
            const std::vector<std::string>& extra_args = {})
      : address_(absl::StrCat("127.0.0.1:", PickFreePort())),
        http_port_(PickFreePort()),
        process_({.binary = DETENTE_QUERY_BIN,
                  .args = Args(data_dir, ingest, extra_args),
                  .stdout_path = log_prefix + ".stdout",
                  .stderr_path = log_prefix + ".stderr"}) {}

  absl::Status Start() {
    absl::Status started = process_.Start();
    if (!started.ok()) return started;
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
    args.SetMaxReceiveMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(
        address_, grpc::InsecureChannelCredentials(), args);
    stub_ = v1::QueryService::NewStub(channel_);
    for (int i = 0; i < 300; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(In(1));
      ctx.set_wait_for_ready(true);
      v1::GetStatusResponse s;
      if (stub_->GetStatus(&ctx, {}, &s).ok()) return absl::OkStatus();
      if (!process_.running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return absl::UnavailableError(
        "detente-query did not start: " +
        ReadFileOrEmpty(process_.options().stderr_path));
  }

  v1::GetStatusResponse Status() {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(5));
    v1::GetStatusResponse s;
    (void)stub_->GetStatus(&ctx, {}, &s);
    return s;
  }

  bool WaitFor(uint64_t position, double seconds = 60) {
    const auto deadline = In(seconds);
    while (std::chrono::system_clock::now() < deadline) {
      if (Status().projection_position() >= position) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  v1::QueryService::Stub& stub() { return *stub_; }
  const std::string& address() const { return address_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  Subprocess& process() { return process_; }
  int http_port() const { return http_port_; }

 private:
  std::vector<std::string> Args(const std::string& data_dir,
                                const std::string& ingest,
                                const std::vector<std::string>& extra) const {
    std::vector<std::string> a = {"--listen",     address_, "--data-dir",
                                  data_dir,       "--ingest", ingest,
                                  "--http-listen",
                                  absl::StrCat("127.0.0.1:", http_port_)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  std::string address_;
  int http_port_;
  Subprocess process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::QueryService::Stub> stub_;
};

// One HTTP/1.1 exchange over a raw socket. Keeps the connection open
// (keep-alive) between calls when `keep_alive`; reconnects as needed.
class HttpClient {
 public:
  struct Response {
    int code = 0;  // 0: transport failure (see error)
    std::string etag;
    std::string body;
    std::string error;
  };

  explicit HttpClient(int port, bool keep_alive = false,
                      double timeout_s = 10)
      : port_(port), keep_alive_(keep_alive), timeout_s_(timeout_s) {}
  ~HttpClient() { Close(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Response Get(const std::string& target,
               const std::vector<std::string>& headers = {}) {
    Response r = Once(target, headers);
    if (r.code == 0 && keep_alive_ && reused_) {
      // The server may have closed an idle kept-alive connection.
      Close();
      r = Once(target, headers);
    }
    return r;
  }

  // Sends raw bytes as the request (for malformed request lines).
  Response Raw(const std::string& request) {
    Close();
    Response r;
    if (!Connect(&r)) return r;
    if (!SendAll(request, &r)) return r;
    ReadResponse(&r);
    Close();
    return r;
  }

 private:
  Response Once(const std::string& target,
                const std::vector<std::string>& headers) {
    Response r;
    reused_ = fd_ >= 0;
    if (fd_ < 0 && !Connect(&r)) return r;
    std::string req = absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1:",
                                   port_, "\r\n");
    for (const auto& h : headers) absl::StrAppend(&req, h, "\r\n");
    absl::StrAppend(&req, keep_alive_ ? "" : "Connection: close\r\n", "\r\n");
    if (!SendAll(req, &r)) {
      Close();
      return r;
    }
    const bool close = !ReadResponse(&r) || !keep_alive_;
    if (close || r.code == 0) Close();
    return r;
  }

  bool Connect(Response* r) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      r->error = "socket failed";
      return false;
    }
    timeval tv{static_cast<time_t>(timeout_s_),
               static_cast<suseconds_t>((timeout_s_ - int(timeout_s_)) * 1e6)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      r->error = absl::StrCat("connect: ", strerror(errno));
      Close();
      return false;
    }
    buf_.clear();
    return true;
  }

  bool SendAll(const std::string& data, Response* r) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        r->error = absl::StrCat("send: ", strerror(errno));
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return true;
  }

  bool Fill(Response* r) {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      r->error = n == 0 ? "connection closed" : absl::StrCat("recv: ", strerror(errno));
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  // Reads one response; false when the connection must not be reused.
  bool ReadResponse(Response* r) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(r)) return false;
    }
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::vector<std::string> lines = absl::StrSplit(head, "\r\n");
    std::vector<std::string> status = absl::StrSplit(lines[0], ' ');
    int code = 0;
    if (status.size() < 2 || !absl::SimpleAtoi(status[1], &code)) {
      r->error = "bad status line: " + lines[0];
      return false;
    }
    size_t length = 0;
    bool close = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      const std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
      const std::string value(
          absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      if (name == "content-length") (void)absl::SimpleAtoi(value, &length);
      if (name == "etag") r->etag = value;
      if (name == "connection" && absl::AsciiStrToLower(value) == "close") {
        close = true;
      }
    }
    while (buf_.size() < length) {
      if (!Fill(r)) return false;
    }
    r->body = buf_.substr(0, length);
    buf_.erase(0, length);
    r->code = code;
    return !close;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }

  int port_;
  bool keep_alive_;
  double timeout_s_;
  int fd_ = -1;
  bool reused_ = false;
  std::string buf_;
};

// A batch of `n` valid events among a few pairs, with fresh random ids.
inline std::vector<v1::Event> RandomBatch(std::mt19937_64& rng, int n,
                                          const std::string& title = "") {
  static const char* const kActors[] = {"KOR", "JPN", "USA", "CHN",
                                        "PRK", "RUS", "GBR", "FRA"};
  static const char* const kCodes[] = {"036", "042", "057", "061", "111",
                                       "141", "163"};
  std::vector<v1::Event> out;
  for (int i = 0; i < n; ++i) {
    const int a = static_cast<int>(rng() % 8);
    const int b = static_cast<int>((a + 1 + rng() % 7) % 8);
    out.push_back(MakeEvent(
        RandomUuid(rng),
        absl::StrCat(1990 + rng() % 30, "-0", 1 + rng() % 9, "-1", rng() % 10),
        kActors[a], kActors[b], kCodes[rng() % 7], title));
  }
  return out;
}

inline v1::AppendRequest ToRequest(const std::vector<v1::Event>& events) {
  v1::AppendRequest req;
  for (const auto& e : events) *req.add_entries() = e;
  return req;
}

// Every event id in the log with its position; status of the Read.
inline grpc::Status ReadIds(v1::IngestService::Stub& stub,
                            std::vector<std::string>* ids) {
  v1::ReadRequest req;
  req.set_batch_size(10000);
  ReadOutcome all = ReadAll(stub, req);
  ids->clear();
  for (const auto& e : all.events) ids->push_back(e.event().event_id());
  return all.status;
}

// A Prometheus page fetched with curl (its output kept in dir).
inline std::string FetchMetrics(const TempDir& dir, const std::string& url) {
  RunResult r = RunToCompletion({.binary = "/usr/bin/curl",
                                 .args = {"-s", url},
                                 .stdout_path = dir.Sub("curl.out"),
                                 .stderr_path = dir.Sub("curl.err")});
  return r.out;
}

// The value of an unlabelled or labelled sample, -1 when absent.
inline double MetricSample(const std::string& text, const std::string& name) {
  const std::string line_start = "\n" + name + " ";
  const size_t at = text.find(line_start);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + line_start.size()));
}

}  // namespace detente::itest
