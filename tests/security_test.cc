// Security with the real binaries: every role against every RPC of both
// services (and the HTTP API), tokens between the services, and mutual TLS
// between them with certificates made by the openssl command line.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "detente/v1/query.grpc.pb.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

const char kAdmin[] = "admin-token-0123456789abcdef";
const char kWriter[] = "writer-token-0123456789abcdef";
const char kReader[] = "reader-token-0123456789abcdef";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string ReadFile(const std::string& path) { return ReadFileOrEmpty(path); }

// A process of ours on fixed ports, waited for by a probe.
std::unique_ptr<Subprocess> Start(const std::string& binary,
                                  std::vector<std::string> args,
                                  const std::string& log_prefix) {
  auto p = std::make_unique<Subprocess>(SubprocessOptions{
      .binary = binary,
      .args = std::move(args),
      .stdout_path = log_prefix + ".out",
      .stderr_path = log_prefix + ".err"});
  EXPECT_TRUE(p->Start().ok());
  return p;
}

// A channel that reconnects quickly (the server may still be starting).
std::shared_ptr<grpc::Channel> Channel(
    const std::string& address, std::shared_ptr<grpc::ChannelCredentials> creds) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(address, creds, args);
}

void WithToken(grpc::ClientContext& ctx, const std::string& token) {
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(In(10));
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Sub("tokens"), absl::StrCat("admin ", kAdmin, " ops\n",
                                               "writer ", kWriter, " loader\n",
                                               "reader ", kReader, " query\n"));
    WriteFile(dir_.Sub("query-token"), absl::StrCat(kReader, "\n"));
  }
  TempDir dir_;
};

// `scratch`: a directory of the test's own (backups go under it).
grpc::StatusCode IngestCall(v1::IngestService::Stub& stub, const std::string& rpc,
                            const std::string& token, std::mt19937_64& rng,
                            const std::string& scratch = "/nonexistent") {
  grpc::ClientContext ctx;
  WithToken(ctx, token);
  if (rpc == "Append") {
    v1::AppendRequest req;
    *req.add_entries() =
        MakeEvent(RandomUuid(rng), "2021-05-03", "KOR", "JPN", "036");
    v1::AppendResponse resp;
    return stub.Append(&ctx, req, &resp).error_code();
  }
  if (rpc == "AppendStream") {
    auto stream = stub.AppendStream(&ctx);
    v1::AppendStreamRequest req;
    *req.mutable_batch()->add_entries() =
        MakeEvent(RandomUuid(rng), "2021-05-03", "KOR", "JPN", "036");
    stream->Write(req);
    stream->WritesDone();
    v1::AppendStreamResponse resp;
    while (stream->Read(&resp)) {
    }
    return stream->Finish().error_code();
  }
  if (rpc == "Read") {
    auto reader = stub.Read(&ctx, v1::ReadRequest());
    v1::ReadResponse resp;
    while (reader->Read(&resp)) {
    }
    return reader->Finish().error_code();
  }
  if (rpc == "Subscribe") {
    auto reader = stub.Subscribe(&ctx, v1::SubscribeRequest());
    v1::SubscribeResponse resp;
    if (reader->Read(&resp)) {
      ctx.TryCancel();
      reader->Finish();
      return grpc::StatusCode::OK;
    }
    return reader->Finish().error_code();
  }
  if (rpc == "GetEvent") {
    v1::GetEventRequest req;
    req.set_event_id("00000000-0000-4000-8000-000000000000");
    v1::GetEventResponse resp;
    grpc::StatusCode c = stub.GetEvent(&ctx, req, &resp).error_code();
    return c == grpc::StatusCode::NOT_FOUND ? grpc::StatusCode::OK : c;
  }
  if (rpc == "GetInfo") {
    v1::GetInfoResponse resp;
    return stub.GetInfo(&ctx, {}, &resp).error_code();
  }
  if (rpc == "Backup") {
    v1::BackupRequest req;
    req.set_directory(absl::StrCat(scratch, "/backup-", rng()));
    v1::BackupResponse resp;
    return stub.Backup(&ctx, req, &resp).error_code();
  }
  ADD_FAILURE() << "unknown rpc " << rpc;
  return grpc::StatusCode::UNKNOWN;
}

grpc::StatusCode QueryCall(v1::QueryService::Stub& stub, const std::string& rpc,
                           const std::string& token) {
  grpc::ClientContext ctx;
  WithToken(ctx, token);
  if (rpc == "GetTemperature") {
    v1::GetTemperatureRequest req;
    req.set_actor_a("KOR");
    req.set_actor_b("JPN");
    v1::GetTemperatureResponse resp;
    return stub.GetTemperature(&ctx, req, &resp).error_code();
  }
  if (rpc == "GetGroupTemperature") {
    v1::GetGroupTemperatureRequest req;
    req.add_actors("KOR");
    req.add_actors("JPN");
    v1::GetGroupTemperatureResponse resp;
    return stub.GetGroupTemperature(&ctx, req, &resp).error_code();
  }
  if (rpc == "GetTimeline") {
    v1::GetTimelineRequest req;
    req.set_actor_a("KOR");
    v1::GetTimelineResponse resp;
    return stub.GetTimeline(&ctx, req, &resp).error_code();
  }
  if (rpc == "GetMovers") {
    v1::GetMoversRequest req;
    req.set_from("2020");
    req.set_to("2021");
    v1::GetMoversResponse resp;
    return stub.GetMovers(&ctx, req, &resp).error_code();
  }
  if (rpc == "GetActorSummary") {
    v1::GetActorSummaryRequest req;
    req.set_actor("KOR");
    v1::GetActorSummaryResponse resp;
    return stub.GetActorSummary(&ctx, req, &resp).error_code();
  }
  if (rpc == "Watch") {
    v1::WatchRequest req;
    req.set_actor_a("KOR");
    req.set_actor_b("JPN");
    auto reader = stub.Watch(&ctx, req);
    v1::WatchResponse resp;
    if (reader->Read(&resp)) {
      ctx.TryCancel();
      reader->Finish();
      return grpc::StatusCode::OK;
    }
    return reader->Finish().error_code();
  }
  if (rpc == "GetStatus") {
    v1::GetStatusResponse resp;
    return stub.GetStatus(&ctx, {}, &resp).error_code();
  }
  if (rpc == "Rebuild") {
    v1::RebuildResponse resp;
    grpc::StatusCode c = stub.Rebuild(&ctx, {}, &resp).error_code();
    // A second rebuild while one runs is refused for another reason.
    return c == grpc::StatusCode::FAILED_PRECONDITION ? grpc::StatusCode::OK : c;
  }
  ADD_FAILURE() << "unknown rpc " << rpc;
  return grpc::StatusCode::UNKNOWN;
}

// What each token gets for a call needing `role` (0 reader, 1 writer, 2 admin).
grpc::StatusCode Expected(const std::string& token, int role) {
  if (token.empty() || token == "wrong-token-0123456789abcdef") {
    return grpc::StatusCode::UNAUTHENTICATED;
  }
  const int has = token == kAdmin ? 2 : token == kWriter ? 1 : 0;
  return has >= role ? grpc::StatusCode::OK : grpc::StatusCode::PERMISSION_DENIED;
}

TEST_F(SecurityTest, EveryRoleAgainstEveryRpc) {
  const std::string ingest = absl::StrCat("127.0.0.1:", PickFreePort());
  const std::string query = absl::StrCat("127.0.0.1:", PickFreePort());
  const int http_port = PickFreePort();
  auto ip = Start(DETENTE_INGEST_BIN,
                  {"--listen", ingest, "--data-dir", dir_.Sub("ingest"),
                   "--tokens-file", dir_.Sub("tokens")},
                  dir_.Sub("ingest"));
  auto qp = Start(DETENTE_QUERY_BIN,
                  {"--listen", query, "--data-dir", dir_.Sub("query"),
                   "--ingest", ingest, "--http-listen",
                   absl::StrCat("127.0.0.1:", http_port), "--tokens-file",
                   dir_.Sub("tokens"), "--ingest-token-file",
                   dir_.Sub("query-token")},
                  dir_.Sub("query"));
  auto ingest_stub = v1::IngestService::NewStub(
      Channel(ingest, grpc::InsecureChannelCredentials()));
  auto query_stub = v1::QueryService::NewStub(
      Channel(query, grpc::InsecureChannelCredentials()));
  std::mt19937_64 rng(42);
  // Wait until both answer (with a token).
  for (int i = 0; i < 300; ++i) {
    if (IngestCall(*ingest_stub, "GetInfo", kReader, rng) ==
            grpc::StatusCode::OK &&
        QueryCall(*query_stub, "GetStatus", kReader) == grpc::StatusCode::OK) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::vector<std::string> tokens = {
      "", "wrong-token-0123456789abcdef", kReader, kWriter, kAdmin};
  const std::vector<std::pair<std::string, int>> ingest_rpcs = {
      {"Append", 1},   {"AppendStream", 1}, {"Read", 0},
      {"Subscribe", 0}, {"GetEvent", 0},    {"GetInfo", 0},
      {"Backup", 2}};
  for (const auto& [rpc, role] : ingest_rpcs) {
    for (const std::string& token : tokens) {
      EXPECT_EQ(IngestCall(*ingest_stub, rpc, token, rng, dir_.path()),
                Expected(token, role))
          << "ingest " << rpc << " with token \"" << token << "\"";
    }
  }
  // The query service follows with its reader token: it sees the appends.
  v1::GetInfoResponse info;
  {
    grpc::ClientContext ctx;
    WithToken(ctx, kReader);
    ASSERT_TRUE(ingest_stub->GetInfo(&ctx, {}, &info).ok());
  }
  ASSERT_GT(info.head_position(), 0u);
  uint64_t position = 0;
  for (int i = 0; i < 300 && position < info.head_position(); ++i) {
    grpc::ClientContext ctx;
    WithToken(ctx, kReader);
    v1::GetStatusResponse s;
    if (query_stub->GetStatus(&ctx, {}, &s).ok()) position = s.projection_position();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(position, info.head_position());

  const std::vector<std::pair<std::string, int>> query_rpcs = {
      {"GetTemperature", 0}, {"GetGroupTemperature", 0}, {"GetTimeline", 0},
      {"GetMovers", 0},      {"GetActorSummary", 0},     {"Watch", 0},
      {"GetStatus", 0},      {"Rebuild", 2}};
  for (const auto& [rpc, role] : query_rpcs) {
    for (const std::string& token : tokens) {
      EXPECT_EQ(QueryCall(*query_stub, rpc, token), Expected(token, role))
          << "query " << rpc << " with token \"" << token << "\"";
    }
  }
  // HTTP: 401 without or with a wrong token, 200 with any role (curl, so
  // that this process keeps a single TLS library state).
  auto http_get = [&](const std::string& path, const std::string& token,
                      std::string* www_authenticate) {
    std::vector<std::string> args = {"-s", "-D", dir_.Sub("headers"), "-o",
                                     dir_.Sub("body"), "-w", "%{http_code}"};
    if (!token.empty()) {
      args.push_back("-H");
      args.push_back("Authorization: Bearer " + token);
    }
    args.push_back(absl::StrCat("http://127.0.0.1:", http_port, path));
    RunResult r = RunToCompletion({.binary = "/usr/bin/curl",
                                   .args = args,
                                   .stdout_path = dir_.Sub("curl.out"),
                                   .stderr_path = dir_.Sub("curl.err")});
    if (www_authenticate) {
      const std::string headers = ReadFile(dir_.Sub("headers"));
      *www_authenticate =
          headers.find("WWW-Authenticate: Bearer") != std::string::npos
              ? "Bearer"
              : "";
    }
    return r.out;
  };
  for (const std::string& token : tokens) {
    for (const char* path : {"/v1/status", "/v1/pairs/KOR/JPN/temperature",
                             "/v1/movers?from=2020&to=2021", "/v1/actors/KOR"}) {
      std::string www;
      const std::string code = http_get(path, token, &www);
      const std::string want =
          Expected(token, 0) == grpc::StatusCode::OK ? "200" : "401";
      EXPECT_EQ(code, want) << path << " token \"" << token << "\"";
      if (want == "401") {
        EXPECT_EQ(www, "Bearer") << path;
      }
    }
  }
  // Metrics need no token and hold no event data.
  EXPECT_EQ(http_get("/metrics", "", nullptr), "200");
  EXPECT_NE(ReadFile(dir_.Sub("body")).find("detente_projection_position"),
            std::string::npos);
  // Tokens never reach the logs.
  for (const char* log : {"ingest.err", "query.err"}) {
    const std::string text = ReadFile(dir_.Sub(log));
    for (const char* t : {kAdmin, kWriter, kReader}) {
      EXPECT_EQ(text.find(t), std::string::npos) << log;
    }
  }
}

TEST_F(SecurityTest, AnonymousReadsWhenAllowed) {
  const std::string ingest = absl::StrCat("127.0.0.1:", PickFreePort());
  auto ip = Start(DETENTE_INGEST_BIN,
                  {"--listen", ingest, "--data-dir", dir_.Sub("ingest"),
                   "--tokens-file", dir_.Sub("tokens"),
                   "--allow-anonymous-reads"},
                  dir_.Sub("ingest"));
  ASSERT_TRUE(WaitForIngest(ingest, absl::Seconds(30)).ok());
  auto stub = v1::IngestService::NewStub(MakeChannel(ingest));
  std::mt19937_64 rng(1);
  EXPECT_EQ(IngestCall(*stub, "GetInfo", "", rng), grpc::StatusCode::OK);
  EXPECT_EQ(IngestCall(*stub, "Append", "", rng),
            grpc::StatusCode::UNAUTHENTICATED);
}

// openssl(1): a CA, a server certificate for 127.0.0.1 and a client one.
bool MakeCertificates(const TempDir& dir) {
  auto run = [&](std::vector<std::string> args) {
    RunResult r = RunToCompletion({.binary = "/usr/bin/openssl",
                                   .args = std::move(args),
                                   .stdout_path = dir.Sub("openssl.out"),
                                   .stderr_path = dir.Sub("openssl.err")});
    return r.status.exited && r.status.code == 0;
  };
  WriteFile(dir.Sub("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  return run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
              dir.Sub("ca.key"), "-out", dir.Sub("ca.pem"), "-days", "2",
              "-subj", "/CN=detente-test-ca"}) &&
         run({"req", "-newkey", "rsa:2048", "-nodes", "-keyout",
              dir.Sub("server.key"), "-out", dir.Sub("server.csr"), "-subj",
              "/CN=127.0.0.1"}) &&
         run({"x509", "-req", "-in", dir.Sub("server.csr"), "-CA",
              dir.Sub("ca.pem"), "-CAkey", dir.Sub("ca.key"),
              "-CAcreateserial", "-out", dir.Sub("server.pem"), "-days", "2",
              "-extfile", dir.Sub("san.cnf")}) &&
         run({"req", "-newkey", "rsa:2048", "-nodes", "-keyout",
              dir.Sub("client.key"), "-out", dir.Sub("client.csr"), "-subj",
              "/CN=detente-query"}) &&
         run({"x509", "-req", "-in", dir.Sub("client.csr"), "-CA",
              dir.Sub("ca.pem"), "-CAkey", dir.Sub("ca.key"),
              "-CAcreateserial", "-out", dir.Sub("client.pem"), "-days", "2"});
}

TEST_F(SecurityTest, MutualTlsBetweenTheServices) {
  ASSERT_TRUE(MakeCertificates(dir_)) << ReadFile(dir_.Sub("openssl.err"));
  const std::string ingest = absl::StrCat("127.0.0.1:", PickFreePort());
  const std::string query = absl::StrCat("127.0.0.1:", PickFreePort());
  auto ip = Start(DETENTE_INGEST_BIN,
                  {"--listen", ingest, "--data-dir", dir_.Sub("ingest"),
                   "--tls-cert", dir_.Sub("server.pem"), "--tls-key",
                   dir_.Sub("server.key"), "--tls-client-ca",
                   dir_.Sub("ca.pem")},
                  dir_.Sub("ingest"));
  auto qp = Start(DETENTE_QUERY_BIN,
                  {"--listen", query, "--data-dir", dir_.Sub("query"),
                   "--ingest", ingest, "--http-listen", "127.0.0.1:0",
                   "--tls-cert", dir_.Sub("server.pem"), "--tls-key",
                   dir_.Sub("server.key"), "--ingest-tls-ca",
                   dir_.Sub("ca.pem"), "--ingest-tls-cert",
                   dir_.Sub("client.pem"), "--ingest-tls-key",
                   dir_.Sub("client.key")},
                  dir_.Sub("query"));
  // The clients are the real `detente` command line (DETENTE_TLS_CA,
  // DETENTE_TLS_CERT, DETENTE_TLS_KEY).
  auto cli = [&](std::vector<std::pair<std::string, std::string>> env,
                 std::vector<std::string> args) {
    return RunToCompletion({.binary = DETENTE_CLI_BIN,
                            .args = std::move(args),
                            .env = std::move(env),
                            .stdout_path = dir_.Sub("cli.out"),
                            .stderr_path = dir_.Sub("cli.err")},
                           absl::Seconds(30));
  };
  const std::vector<std::pair<std::string, std::string>> with_cert = {
      {"DETENTE_TLS_CA", dir_.Sub("ca.pem")},
      {"DETENTE_TLS_CERT", dir_.Sub("client.pem")},
      {"DETENTE_TLS_KEY", dir_.Sub("client.key")}};
  WriteFile(dir_.Sub("one.jsonl"),
            "{\"eventId\":\"00000000-0000-4000-8000-0000000000aa\","
            "\"occurredOn\":\"2021-05-03\",\"source\":\"KOR\","
            "\"target\":\"JPN\",\"eventCode\":\"036\"}\n");
  RunResult loaded;
  for (int i = 0; i < 100; ++i) {
    loaded = cli(with_cert, {"--ingest", ingest, "ingest", "-q",
                             dir_.Sub("one.jsonl")});
    if (loaded.status.exited && loaded.status.code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(loaded.status.code, 0) << loaded.err;
  EXPECT_NE(loaded.err.find("appended 1"), std::string::npos) << loaded.err;
  // Without a client certificate, or in plaintext, no call gets through.
  RunResult no_cert =
      cli({{"DETENTE_TLS_CA", dir_.Sub("ca.pem")}}, {"--ingest", ingest, "info"});
  EXPECT_NE(no_cert.status.code, 0);
  RunResult plain = cli({}, {"--ingest", ingest, "info"});
  EXPECT_NE(plain.status.code, 0);
  // The query service follows over mTLS and answers over TLS.
  std::string status;
  for (int i = 0; i < 100; ++i) {
    RunResult r = cli({{"DETENTE_TLS_CA", dir_.Sub("ca.pem")}},
                      {"--query", query, "status"});
    status = r.out;
    if (status.find("position:           1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(status.find("position:           1"), std::string::npos) << status;
  EXPECT_NE(status.find("LIVE"), std::string::npos) << status;
}

}  // namespace
}  // namespace detente::itest
