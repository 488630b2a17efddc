// Small fixtures of multi-process tests: a scratch directory and a port.
#pragma once

#include <string>

namespace detente::itest {

// A fresh directory under /tmp ("/tmp/detente-test-XXXXXX"), removed with
// its contents on destruction unless the environment sets
// DETENTE_KEEP_TEST_DIRS=1 (then its path is printed, for post-mortems).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Sub(const std::string& name) const;

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read
// back, closed). Another process may take it before the caller binds it;
// callers that start servers retry with a new port when the bind fails.
int PickFreePort();

}  // namespace detente::itest
