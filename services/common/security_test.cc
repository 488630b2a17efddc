#include "services/common/security.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace detente {
namespace {

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / "detente-tokens-test")
                .string();
    std::ofstream(path_) << "# role token name\n"
                            "admin  admin-token-0123456789 ops\n"
                            "writer writer-token-0123456789\n"
                            "reader reader-token-0123456789 dashboards\n";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(AuthorizerTest, RolesIncludeTheLowerOnes) {
  auto auth = Authorizer::Load({.tokens_file = path_});
  ASSERT_TRUE(auth.ok()) << auth.status();
  const Authorizer& a = **auth;
  EXPECT_TRUE(a.enabled());
  const std::string admin = "Bearer admin-token-0123456789";
  const std::string writer = "Bearer writer-token-0123456789";
  const std::string reader = "Bearer reader-token-0123456789";
  EXPECT_TRUE(a.Check(admin, Role::kAdmin).ok());
  EXPECT_TRUE(a.Check(admin, Role::kReader).ok());
  EXPECT_TRUE(a.Check(writer, Role::kWriter).ok());
  EXPECT_TRUE(a.Check(writer, Role::kReader).ok());
  EXPECT_EQ(a.Check(writer, Role::kAdmin).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(a.Check(reader, Role::kReader).ok());
  EXPECT_EQ(a.Check(reader, Role::kWriter).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthorizerTest, MissingOrWrongTokensAreUnauthenticated) {
  auto auth = Authorizer::Load({.tokens_file = path_});
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ((*auth)->Check("", Role::kReader).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*auth)->Check("Bearer wrong-token-0123456789", Role::kReader).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*auth)->Check("Basic YWRtaW4=", Role::kReader).code(),
            absl::StatusCode::kUnauthenticated);
  // A prefix of a valid token is not valid.
  EXPECT_EQ((*auth)->Check("Bearer admin-token", Role::kReader).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthorizerTest, AnonymousReadsOnlyWhenConfigured) {
  auto auth = Authorizer::Load({.tokens_file = path_,
                                .allow_anonymous_reads = true});
  ASSERT_TRUE(auth.ok());
  EXPECT_TRUE((*auth)->Check("", Role::kReader).ok());
  EXPECT_EQ((*auth)->Check("", Role::kWriter).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthorizerTest, WithoutATokensFileEverythingIsAllowed) {
  auto auth = Authorizer::Load({});
  ASSERT_TRUE(auth.ok());
  EXPECT_FALSE((*auth)->enabled());
  EXPECT_TRUE((*auth)->Check("", Role::kAdmin).ok());
}

TEST_F(AuthorizerTest, BadFilesAreRefusedWithTheLine) {
  std::ofstream(path_) << "admin short\n";
  auto auth = Authorizer::Load({.tokens_file = path_});
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(auth.status().message().find(":1:"), std::string::npos);
  std::ofstream(path_) << "root some-token-0123456789\n";
  EXPECT_FALSE(Authorizer::Load({.tokens_file = path_}).ok());
  EXPECT_FALSE(Authorizer::Load({.tokens_file = "/nonexistent"}).ok());
}

TEST(ServerCredentialsTest, CertificateAndKeyGoTogether) {
  EXPECT_TRUE(MakeServerCredentials({}).ok());
  EXPECT_FALSE(MakeServerCredentials({.tls_cert = "/x.pem"}).ok());
  EXPECT_FALSE(MakeServerCredentials({.tls_client_ca = "/ca.pem"}).ok());
  EXPECT_EQ(MakeServerCredentials({.tls_cert = "/nonexistent/c.pem",
                                   .tls_key = "/nonexistent/k.pem"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace detente
