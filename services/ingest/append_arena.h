// AppendArena, shared by detente-ingest and the benchmark's stand-in server
// (tools/bench/grpc_echo.h), which parses appends as the service does.
#pragma once

#include <google/protobuf/arena.h>

namespace detente {

// The arena an append request is parsed onto (or its answer built on): the
// message, its events and their string objects come from a few blocks
// instead of one malloc each (a batch of 1000 events is ~11,000 objects).
// The first block is on the stack, so a one-event call allocates none;
// heap blocks stay below glibc's 64 KiB threshold for consolidating free
// chunks until a request is large.
class AppendArena {
 public:
  AppendArena() : arena_(Options(initial_, sizeof(initial_))) {}
  google::protobuf::Arena* get() { return &arena_; }

 private:
  static google::protobuf::ArenaOptions Options(char* initial, size_t size) {
    google::protobuf::ArenaOptions o;
    o.initial_block = initial;
    o.initial_block_size = size;
    o.start_block_size = 16 << 10;
    o.max_block_size = 256 << 10;
    return o;
  }

  alignas(16) char initial_[8 << 10];
  google::protobuf::Arena arena_;
};

}  // namespace detente
