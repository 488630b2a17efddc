// RocksDB's info log, sent to spdlog instead of a LOG file in the data
// directory. On a full disk RocksDB's own LOG file fails like everything
// else, and Debian's RocksDB (built with assertions) aborts the process on
// the next line it writes there; our logger has no such file.
#pragma once

#include <memory>

namespace rocksdb {
class Logger;
}

namespace detente {

// Lines at WARN and above reach spdlog's warn/error; INFO and DEBUG reach
// spdlog's debug level.
std::shared_ptr<rocksdb::Logger> MakeRocksLogger();

}  // namespace detente
