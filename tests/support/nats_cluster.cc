#include "support/nats_cluster.h"

#include <arpa/inet.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "support/temp_dir.h"

namespace detente::itest {

namespace {

bool Executable(const std::string& path) {
  return !path.empty() && access(path.c_str(), X_OK) == 0 &&
         std::filesystem::is_regular_file(path);
}

// /jsz's meta_cluster as the node sees it.
struct MetaView {
  bool ok = false;  // answered and parsed
  std::string leader;
  int cluster_size = 0;
  struct Replica {
    std::string name;
    bool current = false;
    bool offline = false;
  };
  std::vector<Replica> replicas;
  std::string error;
};

MetaView GetMeta(int monitor_port) {
  MetaView view;
  HttpGetResult r = HttpGet(monitor_port, "/jsz");
  if (r.code != 200) {
    view.error = absl::StrCat("/jsz: ", r.code, " ", r.error, r.body);
    return view;
  }
  google::protobuf::Struct jsz;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(r.body, &jsz, opts).ok()) {
    view.error = "/jsz: unparsable: " + r.body.substr(0, 200);
    return view;
  }
  view.ok = true;
  auto meta_it = jsz.fields().find("meta_cluster");
  if (meta_it == jsz.fields().end() || !meta_it->second.has_struct_value()) {
    return view;
  }
  const auto& meta = meta_it->second.struct_value().fields();
  if (auto it = meta.find("leader"); it != meta.end()) {
    view.leader = it->second.string_value();
  }
  if (auto it = meta.find("cluster_size"); it != meta.end()) {
    view.cluster_size = static_cast<int>(it->second.number_value());
  }
  if (auto it = meta.find("replicas");
      it != meta.end() && it->second.has_list_value()) {
    for (const auto& v : it->second.list_value().values()) {
      if (!v.has_struct_value()) continue;
      const auto& f = v.struct_value().fields();
      MetaView::Replica rep;
      if (auto n = f.find("name"); n != f.end()) rep.name = n->second.string_value();
      if (auto c = f.find("current"); c != f.end()) rep.current = c->second.bool_value();
      if (auto o = f.find("offline"); o != f.end()) rep.offline = o->second.bool_value();
      view.replicas.push_back(rep);
    }
  }
  return view;
}

// The stream_detail entry of `stream` in /jsz?accounts=true&streams=true of
// the node on `monitor_port`; false when absent.
bool GetStreamDetail(int monitor_port, const std::string& stream,
                     google::protobuf::Struct* out) {
  HttpGetResult r = HttpGet(monitor_port, "/jsz?accounts=true&streams=true");
  if (r.code != 200) return false;
  google::protobuf::Struct jsz;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(r.body, &jsz, opts).ok()) {
    return false;
  }
  auto acc = jsz.fields().find("account_details");
  if (acc == jsz.fields().end()) return false;
  for (const auto& a : acc->second.list_value().values()) {
    const auto& af = a.struct_value().fields();
    auto sd = af.find("stream_detail");
    if (sd == af.end()) continue;
    for (const auto& st : sd->second.list_value().values()) {
      const auto& sf = st.struct_value().fields();
      auto name = sf.find("name");
      if (name != sf.end() && name->second.string_value() == stream) {
        *out = st.struct_value();
        return true;
      }
    }
  }
  return false;
}

}  // namespace

HttpGetResult HttpGet(int port, const std::string& target,
                      absl::Duration timeout) {
  HttpGetResult r;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.error = "socket failed";
    return r;
  }
  const int64_t us = absl::ToInt64Microseconds(timeout);
  timeval tv{static_cast<time_t>(us / 1000000),
             static_cast<suseconds_t>(us % 1000000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    r.error = absl::StrCat("connect: ", std::strerror(errno));
    close(fd);
    return r;
  }
  // HTTP/1.0: the server answers without chunking and closes.
  const std::string req = absl::StrCat("GET ", target,
                                       " HTTP/1.0\r\nHost: 127.0.0.1:", port,
                                       "\r\n\r\n");
  size_t off = 0;
  while (off < req.size()) {
    const ssize_t n =
        send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      r.error = absl::StrCat("send: ", std::strerror(errno));
      close(fd);
      return r;
    }
    off += static_cast<size_t>(n);
  }
  std::string data;
  char buf[16384];
  while (true) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      r.error = absl::StrCat("recv: ", std::strerror(errno));
      close(fd);
      return r;
    }
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos) {
    r.error = "incomplete response";
    return r;
  }
  std::vector<std::string> status =
      absl::StrSplit(data.substr(0, data.find("\r\n")), ' ');
  if (status.size() < 2 || !absl::SimpleAtoi(status[1], &r.code)) {
    r.code = 0;
    r.error = "bad status line";
    return r;
  }
  r.body = data.substr(end + 4);
  return r;
}

std::string NatsCluster::FindServer() {
  if (const char* env = std::getenv("DETENTE_NATS_SERVER"); env != nullptr) {
    return Executable(env) ? std::string(env) : std::string();
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':')) {
      if (dir.empty()) continue;
      const std::string candidate = absl::StrCat(dir, "/nats-server");
      if (Executable(candidate)) return candidate;
    }
  }
  return Executable("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "";
}

absl::StatusOr<std::unique_ptr<NatsCluster>> NatsCluster::Start(
    const NatsClusterOptions& options) {
  const std::string binary = FindServer();
  if (binary.empty()) return absl::NotFoundError("nats-server is not installed");
  if (options.dir.empty() || options.size < 1) {
    return absl::InvalidArgumentError("NatsClusterOptions: dir and size");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return absl::InternalError("cannot create " + options.dir);

  absl::Status last;
  // A port picked as free may be taken before the server binds it: then the
  // whole cluster starts again on new ports (routes name every port).
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::unique_ptr<NatsCluster> c(new NatsCluster());
    c->binary_ = binary;
    c->options_ = options;
    std::set<int> taken;
    auto pick = [&]() {
      int p;
      do {
        p = PickFreePort();
      } while (p > 0 && !taken.insert(p).second);
      return p;
    };
    c->nodes_.resize(options.size);
    for (int i = 0; i < options.size; ++i) {
      Node& n = c->nodes_[i];
      n.client_port = pick();
      n.route_port = pick();
      n.monitor_port = pick();
      if (n.client_port <= 0 || n.route_port <= 0 || n.monitor_port <= 0) {
        return absl::InternalError("no free port");
      }
      const std::string base = absl::StrCat(
          options.dir, "/", attempt == 0 ? "" : absl::StrCat("a", attempt, "-"),
          "n", i);
      n.config_path = base + ".conf";
      n.store_dir = base + "-store";
      n.log_path = base;  // + ".<start>.log"
    }
    for (int i = 0; i < options.size; ++i) {
      if (absl::Status s = c->WriteConfig(i); !s.ok()) return s;
    }
    last = absl::OkStatus();
    for (int i = 0; i < options.size && last.ok(); ++i) last = c->StartNode(i);
    for (int i = 0; i < options.size && last.ok(); ++i) {
      last = c->WaitListening(i, absl::Seconds(10));
    }
    if (last.ok()) {
      last = c->WaitHealthy(options.ready_timeout);
      if (last.ok()) return c;
      // Not a port problem: do not retry a cluster that never forms.
      return absl::Status(last.code(),
                          absl::StrCat(last.message(), "\n", c->Describe()));
    }
  }
  return last;
}

NatsCluster::~NatsCluster() {
  for (Node& n : nodes_) {
    if (n.process && n.process->running()) {
      n.process->Kill(SIGKILL);
      n.process->Wait();
    }
  }
}

std::string NatsCluster::url(int i) const {
  return absl::StrCat("nats://127.0.0.1:", nodes_[i].client_port);
}

std::string NatsCluster::urls() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(url(i));
  return absl::StrJoin(out, ",");
}

std::string NatsCluster::name(int i) const { return absl::StrCat("n", i); }

bool NatsCluster::running(int i) const {
  return nodes_[i].process != nullptr && nodes_[i].process->running();
}

absl::Status NatsCluster::WriteConfig(int i) const {
  const Node& n = nodes_[i];
  std::string conf = absl::StrCat(
      "# written by tests/support/nats_cluster.cc\n",
      "server_name: ", name(i), "\n",
      "listen: 127.0.0.1:", n.client_port, "\n",
      "http: 127.0.0.1:", n.monitor_port, "\n",
      "max_payload: 8MB\n",
      "jetstream {\n",
      "  store_dir: \"", n.store_dir, "\"\n",
      "  max_memory_store: 256MB\n",
      "  max_file_store: 4GB\n",
      "}\n",
      "cluster {\n",
      "  name: ", options_.cluster_name, "\n",
      "  listen: 127.0.0.1:", n.route_port, "\n",
      "  routes: [\n");
  for (int j = 0; j < size(); ++j) {
    absl::StrAppend(&conf, "    nats-route://127.0.0.1:",
                    nodes_[j].route_port, "\n");
  }
  absl::StrAppend(&conf, "  ]\n}\n");
  for (const std::string& line : options_.extra_config) {
    absl::StrAppend(&conf, line, "\n");
  }
  std::ofstream out(n.config_path, std::ios::trunc);
  out << conf;
  out.close();
  if (!out) return absl::InternalError("cannot write " + n.config_path);
  return absl::OkStatus();
}

absl::Status NatsCluster::StartNode(int i) {
  Node& n = nodes_[i];
  const std::string log =
      absl::StrCat(n.log_path, ".", n.starts++, ".log");
  // nats-server logs to stderr: that is the .log file.
  n.process = std::make_unique<Subprocess>(SubprocessOptions{
      .binary = binary_,
      .args = {"-c", n.config_path},
      .stdout_path = log + ".stdout",
      .stderr_path = log});
  return n.process->Start();
}

absl::Status NatsCluster::WaitListening(int i, absl::Duration timeout) {
  Node& n = nodes_[i];
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    HttpGetResult r = HttpGet(n.monitor_port, "/varz", absl::Milliseconds(500));
    if (r.code == 200) return absl::OkStatus();
    if (!n.process->running() ||
        n.process->WaitFor(absl::ZeroDuration()).has_value()) {
      return absl::UnavailableError(absl::StrCat(
          "nats-server ", name(i), " exited (", n.process->Wait().ToString(),
          "): ", LogText(i)));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "nats-server ", name(i), " does not answer on its monitoring port ",
          n.monitor_port, ": ", r.error));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void NatsCluster::Kill(int i) {
  Node& n = nodes_[i];
  if (n.process && n.process->running()) {
    n.process->Kill(SIGKILL);
    n.process->Wait();
  }
}

absl::Status NatsCluster::Restart(int i) {
  if (running(i)) return absl::FailedPreconditionError(name(i) + " runs");
  if (absl::Status s = StartNode(i); !s.ok()) return s;
  return WaitListening(i, absl::Seconds(10));
}

int NatsCluster::MetaLeaderSeenBy(int i) const {
  if (!running(i)) return -1;
  MetaView v = GetMeta(nodes_[i].monitor_port);
  for (int j = 0; j < size(); ++j) {
    if (v.leader == name(j)) return j;
  }
  return -1;
}

int NatsCluster::StreamLeader(const std::string& stream) const {
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    google::protobuf::Struct detail;
    if (!GetStreamDetail(nodes_[i].monitor_port, stream, &detail)) continue;
    auto cluster = detail.fields().find("cluster");
    if (cluster == detail.fields().end()) continue;
    const auto& cf = cluster->second.struct_value().fields();
    auto leader = cf.find("leader");
    if (leader == cf.end()) continue;
    for (int j = 0; j < size(); ++j) {
      if (leader->second.string_value() == name(j)) return j;
    }
  }
  return -1;
}

int64_t NatsCluster::StreamMessagesOn(int i, const std::string& stream) const {
  if (!running(i)) return -1;
  google::protobuf::Struct detail;
  if (!GetStreamDetail(nodes_[i].monitor_port, stream, &detail)) return -1;
  auto state = detail.fields().find("state");
  if (state == detail.fields().end()) return -1;
  const auto& sf = state->second.struct_value().fields();
  auto messages = sf.find("messages");
  return messages == sf.end()
             ? -1
             : static_cast<int64_t>(messages->second.number_value());
}

std::string NatsCluster::Unhealthy() const {
  std::string leader;
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) return name(i) + " is not running";
    HttpGetResult h = HttpGet(nodes_[i].monitor_port, "/healthz");
    if (h.code != 200) {
      return absl::StrCat(name(i), " /healthz: ", h.code, " ", h.error, h.body);
    }
    MetaView v = GetMeta(nodes_[i].monitor_port);
    if (!v.ok) return absl::StrCat(name(i), " ", v.error);
    if (v.leader.empty()) return name(i) + " knows no meta leader";
    if (v.cluster_size != size()) {
      return absl::StrCat(name(i), " sees a cluster of ", v.cluster_size);
    }
    if (i == 0) leader = v.leader;
    if (v.leader != leader) {
      return absl::StrCat(name(i), " names meta leader ", v.leader, ", ",
                          name(0), " names ", leader);
    }
  }
  int li = -1;
  for (int j = 0; j < size(); ++j) {
    if (leader == name(j)) li = j;
  }
  if (li < 0) return "meta leader " + leader + " is none of ours";
  MetaView lv = GetMeta(nodes_[li].monitor_port);
  if (lv.leader != leader) return "the meta leader changed meanwhile";
  if (static_cast<int>(lv.replicas.size()) != size() - 1) {
    return absl::StrCat("meta leader ", leader, " lists ", lv.replicas.size(),
                        " replicas");
  }
  for (const auto& rep : lv.replicas) {
    if (!rep.current || rep.offline) {
      return absl::StrCat("meta leader ", leader, ": replica ", rep.name,
                          rep.offline ? " offline" : " not current");
    }
  }
  return "";
}

absl::Status NatsCluster::WaitHealthy(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string why;
  while (true) {
    why = Unhealthy();
    if (why.empty()) return absl::OkStatus();
    if (absl::Now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "NATS cluster not healthy after ", absl::FormatDuration(timeout), ": ",
      why));
}

absl::Status NatsCluster::WaitForMetaLeader(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int agreed = -2;
    bool ok = true;
    for (int i = 0; i < size() && ok; ++i) {
      if (!running(i)) continue;
      const int l = MetaLeaderSeenBy(i);
      if (l < 0 || !running(l) || (agreed != -2 && agreed != l)) ok = false;
      agreed = l;
    }
    if (ok && agreed >= 0) return absl::OkStatus();
    if (absl::Now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no agreed JetStream meta leader among the running nodes "
                   "after ", absl::FormatDuration(timeout), "\n", Describe()));
}

std::string NatsCluster::LogText(int i) const {
  std::string out;
  for (int s = 0; s < nodes_[i].starts; ++s) {
    absl::StrAppend(&out, "--- ", name(i), " start ", s, " ---\n",
                    ReadFileOrEmpty(absl::StrCat(nodes_[i].log_path, ".", s,
                                                 ".log")));
  }
  return out;
}

std::string NatsCluster::Describe() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    absl::StrAppend(&out, name(i), " client ", nodes_[i].client_port,
                    " route ", nodes_[i].route_port, " monitor ",
                    nodes_[i].monitor_port, ": ");
    if (!running(i)) {
      absl::StrAppend(&out, "not running\n");
      continue;
    }
    HttpGetResult h = HttpGet(nodes_[i].monitor_port, "/healthz");
    MetaView v = GetMeta(nodes_[i].monitor_port);
    absl::StrAppend(&out, "healthz ", h.code, " ", h.body, h.error,
                    "; meta leader '", v.leader, "'", v.error, "\n");
  }
  return out;
}

}  // namespace detente::itest
