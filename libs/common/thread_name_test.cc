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

// The name the kernel shows for a new thread that named itself `name`.
std::string NameOfAThreadNamed(const std::string& name) {
  std::string seen;
  std::thread([&] {
    NameThisThread(name);
    seen = ThisThreadsName();
  }).join();
  return seen;
}

TEST(ThreadNameTest, TheKernelShowsTheName) {
  EXPECT_EQ(NameOfAThreadNamed("log-commit"), "log-commit");
}

TEST(ThreadNameTest, ALongNameIsCutTo15Bytes) {
  EXPECT_EQ(NameOfAThreadNamed("a-name-longer-than-fifteen-bytes"),
            "a-name-longer-t");
}

}  // namespace
}  // namespace detente
