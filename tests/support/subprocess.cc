#include "support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace detente::itest {

std::string ExitStatus::ToString() const {
  return exited ? absl::StrCat("exit code ", code)
                : absl::StrCat("killed by signal ", signal);
}

Subprocess::Subprocess(SubprocessOptions options)
    : options_(std::move(options)) {}

Subprocess::~Subprocess() {
  if (running()) {
    Kill(SIGKILL);
    Wait();
  }
}

absl::Status Subprocess::Start() {
  if (pid_ > 0) return absl::FailedPreconditionError("already started");
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are allowed.
  std::vector<std::string> argv_s = {options_.binary};
  argv_s.insert(argv_s.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool overridden = false;
    for (const auto& [name, value] : options_.env) {
      overridden = overridden || entry.rfind(name + "=", 0) == 0;
    }
    if (!overridden) env_s.push_back(std::move(entry));
  }
  for (const auto& [name, value] : options_.env) {
    env_s.push_back(absl::StrCat(name, "=", value));
  }
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int out = open(options_.stdout_path.c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err = open(options_.stderr_path.c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    return absl::InternalError(
        absl::StrCat("cannot open output files: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(out);
    close(err);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // The test may have blocked signals (gRPC, sigwait); the child starts
    // with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out);
  close(err);
  pid_ = pid;
  return absl::OkStatus();
}

void Subprocess::Kill(int signal) {
  if (running()) kill(pid_, signal);
}

namespace {
ExitStatus Decode(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw)) {
    s.exited = true;
    s.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
  }
  return s;
}
}  // namespace

bool Subprocess::Poll() {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int raw = 0;
  const pid_t r = waitpid(pid_, &raw, WNOHANG);
  if (r == pid_) status_ = Decode(raw);
  return status_.has_value();
}

ExitStatus Subprocess::Wait() {
  if (status_) return *status_;
  int raw = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &raw, 0);
  } while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? Decode(raw) : ExitStatus{.exited = false};
  return *status_;
}

std::optional<ExitStatus> Subprocess::WaitFor(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Poll()) {
    if (absl::Now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult RunToCompletion(SubprocessOptions options, absl::Duration timeout) {
  Subprocess p(std::move(options));
  RunResult r;
  if (absl::Status s = p.Start(); !s.ok()) {
    r.status.code = 127;
    r.err = s.ToString();
    return r;
  }
  std::optional<ExitStatus> status = p.WaitFor(timeout);
  if (!status) {
    p.Kill(SIGKILL);
    status = p.Wait();
  }
  r.status = *status;
  r.out = ReadFileOrEmpty(p.options().stdout_path);
  r.err = ReadFileOrEmpty(p.options().stderr_path);
  return r;
}

}  // namespace detente::itest
