#include "common/thread_name.h"

#include <pthread.h>

#include <string>

namespace detente {

void NameThisThread(absl::string_view name) {
  // 16 bytes with the terminating NUL; a longer name makes it fail.
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace detente
