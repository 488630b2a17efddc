#include "services/common/grpc_status.h"

#include <gtest/gtest.h>

#include "common/field_violation.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace detente {
namespace {

TEST(GrpcStatusTest, FieldViolationsBecomeBadRequestDetails) {
  absl::Status s = InvalidArgumentWithViolations(
      {{"entries[0].source", "unknown CAMEO country code \"XXX\""},
       {"entries[2].occurred_on", "\"2021-02-29\" is not a date"}});
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(g.error_details()));
  EXPECT_EQ(rich.code(), 3);
  ASSERT_EQ(rich.details_size(), 1);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(1).field(), "entries[2].occurred_on");
  EXPECT_EQ(rich.details(0).type_url(),
            "type.googleapis.com/google.rpc.BadRequest");
}

TEST(GrpcStatusTest, PlainErrorsKeepCodeAndMessage) {
  grpc::Status g = ToGrpcStatus(absl::UnavailableError("disk full"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(g.error_message(), "disk full");
  EXPECT_TRUE(g.error_details().empty());
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace detente
