#include "common/thread_name.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace detente {
namespace {

// What the kernel shows for the calling thread.
std::string ThisThreadsName() {
  std::ifstream in("/proc/self/task/" + std::to_string(syscall(SYS_gettid)) +
                   "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

TEST(ThreadNameTest, TheKernelShowsTheName) {
  std::string seen;
  std::thread([&] {
    NameThisThread("log-commit");
    seen = ThisThreadsName();
  }).join();
  EXPECT_EQ(seen, "log-commit");
}

TEST(ThreadNameTest, ALongNameIsCutTo15Bytes) {
  std::string seen;
  std::thread([&] {
    NameThisThread("a-name-longer-than-fifteen-bytes");
    seen = ThisThreadsName();
  }).join();
  EXPECT_EQ(seen, "a-name-longer-t");
}

}  // namespace
}  // namespace detente
