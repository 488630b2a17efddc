// gRPC's raw messages (grpc::ByteBuffer) for the handlers registered with
// WithRawCallbackMethod_*: parsing a request in place, and answers sent as
// bytes built once and shared (the query service's cached answers).
//
//   v1::GetTemperatureRequest req;
//   if (!ParseBuffer(*request, &req)) ...           // INVALID_ARGUMENT
//   *response = BufferOf({PositionField(1, 42), SharedSlice(cached_body)});
#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

namespace google::protobuf {
class Message;
}

namespace detente {

// Parses straight from the buffer's slices (no copy of the message first).
bool ParseBuffer(const grpc::ByteBuffer& buffer,
                 google::protobuf::Message* out);

// A slice over the string's bytes that keeps the string alive while gRPC
// holds the slice (no copy).
grpc::Slice SharedSlice(std::shared_ptr<const std::string> bytes);

// The wire bytes of a uint64 field (varint; tag `field`, wire type 0);
// none for 0, as proto3 writes no default.
grpc::Slice Uint64Field(uint32_t field, uint64_t value);

// A buffer of the slices, in order (they are referenced, not copied).
grpc::ByteBuffer BufferOf(std::initializer_list<grpc::Slice> slices);

}  // namespace detente
