#include "services/common/byte_buffers.h"

#include <google/protobuf/message.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <vector>

namespace detente {

bool ParseBuffer(const grpc::ByteBuffer& buffer,
                 google::protobuf::Message* out) {
  grpc::ByteBuffer view(buffer);  // shares the slices
  grpc::ProtoBufferReader reader(&view);
  if (!reader.status().ok()) return false;
  return out->ParseFromZeroCopyStream(&reader);
}

grpc::Slice SharedSlice(std::shared_ptr<const std::string> bytes) {
  using Keep = std::shared_ptr<const std::string>;
  auto* keep = new Keep(std::move(bytes));
  return grpc::Slice(
      const_cast<char*>((*keep)->data()), (*keep)->size(),
      [](void* p) { delete static_cast<Keep*>(p); }, keep);
}

grpc::Slice Uint64Field(uint32_t field, uint64_t value) {
  if (value == 0) return grpc::Slice();
  char buf[16];
  size_t n = 0;
  for (uint64_t v = uint64_t{field} << 3; ; v >>= 7) {  // the tag: wire type 0
    if (v < 0x80) {
      buf[n++] = static_cast<char>(v);
      break;
    }
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
  }
  for (uint64_t v = value; ; v >>= 7) {
    if (v < 0x80) {
      buf[n++] = static_cast<char>(v);
      break;
    }
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
  }
  return grpc::Slice(buf, n);
}

grpc::ByteBuffer BufferOf(std::initializer_list<grpc::Slice> slices) {
  std::vector<grpc::Slice> nonempty;
  nonempty.reserve(slices.size());
  for (const grpc::Slice& s : slices) {
    if (s.size() > 0) nonempty.push_back(s);
  }
  return grpc::ByteBuffer(nonempty.data(), nonempty.size());
}

}  // namespace detente
