// Bad input over the wire that ingest_grpc_test does not cover, table-driven,
// each case with its expected status and a check that nothing was written:
//  - AppendStream cancelled by the client right after it sent batches,
//    without waiting for answers: each batch is wholly committed or wholly
//    absent (checked with Read), positions stay gapless, and the service
//    keeps serving;
//  - malformed HTTP query parameters, paths and requests against the real
//    detente-query (a raw socket: no HTTP library in a gRPC test binary):
//    400 with a google.rpc.Status JSON body (404 for unknown actors and
//    paths), the log head and the read models unchanged, and the good
//    request answered the same before and after.
// Wrong and missing tokens: tests/security_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reliability_util.h"

namespace detente::itest {
namespace {

class WireBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                                   .data_dir = dir_.Sub("ingest"),
                                   .log_dir = dir_.path()});
    ASSERT_TRUE(s.ok()) << s.status();
    ingest_ = *std::move(s);
  }
  uint64_t Head() {
    v1::GetInfoResponse info;
    EXPECT_TRUE(GetInfo(ingest_->stub(), &info).ok());
    return info.head_position();
  }
  TempDir dir_;
  std::unique_ptr<IngestProcess> ingest_;
};

TEST_F(WireBadInputTest, AppendStreamCancelledMidwayCommitsWholeBatchesOnly) {
  std::mt19937_64 rng(11);
  std::vector<std::vector<v1::Event>> all_batches;
  // Cancel after 1..8 batches sent, at once or after a short pause, 24 times.
  int cancelled_streams = 0;
  for (int round = 0; round < 24; ++round) {
    grpc::ClientContext ctx;
    auto stream = ingest_->stub().AppendStream(&ctx);
    const int n = 1 + round % 8;
    for (int b = 0; b < n; ++b) {
      all_batches.push_back(RandomBatch(rng, 1 + rng() % 2000));
      v1::AppendStreamRequest req;
      req.set_batch_id(b);
      *req.mutable_batch() = ToRequest(all_batches.back());
      if (!stream->Write(req)) break;
    }
    if (round % 3 == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
    }
    ctx.TryCancel();
    grpc::Status s = stream->Finish();
    cancelled_streams += s.error_code() == grpc::StatusCode::CANCELLED;
  }
  EXPECT_GT(cancelled_streams, 0);
  // The server may still commit batches it had received before it saw the
  // cancellation (allowed: they were never acknowledged), and on a loaded
  // machine or under a sanitizer that can go on for seconds, in bursts (one
  // group commit of tens of thousands of entries), with pauses longer than
  // any quiet period a test could wait for. So the checks below hold for any
  // snapshot of the log; waiting until the head has been stable for a
  // second only makes it likelier that the late commits are over.
  const absl::Time cancelled_at = absl::Now();
  uint64_t stable = Head();
  absl::Time stable_since = absl::Now();
  while (absl::Now() - stable_since < absl::Seconds(1) &&
         absl::Now() - cancelled_at < absl::Seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t h = Head();
    if (h != stable) {
      stable = h;
      stable_since = absl::Now();
    }
  }
  std::cout << "the head settled "
            << absl::FormatDuration(stable_since - cancelled_at)
            << " after the last cancellation\n";

  // The service is unharmed: a normal append works, and lands right after
  // what the log held then (checked below: positions are gapless).
  const std::vector<v1::Event> normal = RandomBatch(rng, 3);
  grpc::ClientContext ctx;
  v1::AppendResponse resp;
  ASSERT_TRUE(ingest_->stub().Append(&ctx, ToRequest(normal), &resp).ok());

  v1::ReadRequest req;
  req.set_batch_size(10000);
  ReadOutcome log = ReadAll(ingest_->stub(), req);
  ASSERT_TRUE(log.status.ok()) << log.status.error_message();
  std::unordered_map<std::string, uint64_t> present;
  for (size_t i = 0; i < log.events.size(); ++i) {
    ASSERT_EQ(log.events[i].position(), i + 1);
    EXPECT_TRUE(present.emplace(log.events[i].event().event_id(), i + 1).second);
  }
  // The read answered everything up to the head it saw, the append included.
  EXPECT_GE(log.events.size(), resp.last_position());
  for (size_t i = 0; i < normal.size(); ++i) {
    auto it = present.find(normal[i].event_id());
    ASSERT_NE(it, present.end());
    EXPECT_EQ(it->second, resp.first_position() + i);
  }
  int whole = 0, absent = 0, partial = 0;
  size_t known = 0;
  for (const auto& b : all_batches) {
    size_t found = 0;
    for (const auto& e : b) found += present.count(e.event_id());
    known += found;
    if (found == 0) {
      ++absent;
    } else if (found == b.size()) {
      ++whole;
    } else {
      ++partial;
    }
  }
  std::cout << all_batches.size() << " batches sent on " << 24
            << " cancelled streams: " << whole << " committed whole, "
            << absent << " absent, " << partial << " partial; "
            << log.events.size() - resp.last_position()
            << " entries committed after the normal append\n";
  EXPECT_EQ(partial, 0);
  EXPECT_EQ(known + normal.size(), log.events.size());
}

TEST_F(WireBadInputTest, MalformedHttpRequestsAreRejectedAndChangeNothing) {
  QueryProc query(dir_.Sub("query"), ingest_->address(), dir_.Sub("query"));
  ASSERT_TRUE(query.Start().ok());
  std::mt19937_64 rng(3);
  {
    grpc::ClientContext ctx;
    v1::AppendResponse resp;
    ASSERT_TRUE(
        ingest_->stub().Append(&ctx, ToRequest(RandomBatch(rng, 500)), &resp).ok());
  }
  const uint64_t head = Head();
  ASSERT_TRUE(query.WaitFor(head));
  HttpClient http(query.http_port());
  const std::string good = "/v1/pairs/KOR/JPN/temperature?from=1990&to=2020&resolution=year";
  HttpClient::Response before = http.Get(good);
  ASSERT_EQ(before.code, 200) << before.error << before.body;

  const std::string t = "/v1/pairs/KOR/JPN/temperature?";
  struct Case {
    std::string target;
    int code;
  };
  const std::vector<Case> cases = {
      {t + "from=2021-02-29", 400},
      {t + "from=2021-13-01", 400},
      {t + "from=year0", 400},
      {t + "from=0000-01-01", 400},
      {t + "from=10000-01-01", 400},
      {t + "from=2021-05-02&to=2021-05-01", 400},
      {t + "resolution=fortnight", 400},
      {t + "resolution=", 400},
      {t + "half_life_days=NaN", 400},
      {t + "half_life_days=inf", 400},
      {t + "half_life_days=1e309", 400},
      {t + "half_life_days=0.5", 400},
      {t + "half_life_days=abc", 400},
      {t + "prior=-1", 400},
      {t + "prior=nan", 400},
      {t + "directed=maybe", 400},
      {t + "as_of_position=-1", 400},
      {t + "as_of_position=99999999999999999999999", 400},
      {t + "as_of_position=12abc", 400},
      {t + "quad_classes=warm", 400},
      {t + "unknown_parameter=1", 400},
      {t + "from=%ZZ", 400},
      {t + "from=1700&to=2020&resolution=day", 400},
      {"/v1/pairs/XXX/JPN/temperature", 404},
      {"/v1/pairs/KOR/KOR/temperature", 400},
      {"/v1/pairs/kor/%00/temperature", 404},
      {"/v1/groups/temperature?actors=", 400},
      {"/v1/groups/temperature?actors=USA", 400},
      {"/v1/groups/temperature?actors=USA,XXX", 400},
      {"/v1/groups/temperature?actors=USA,USA", 400},
      {"/v1/movers?limit=-5", 400},
      {"/v1/movers?limit=abc", 400},
      {"/v1/movers?min_heat=-1", 400},
      {"/v1/pairs/KOR/JPN/timeline?page_size=-1", 400},
      {"/v1/pairs/KOR/JPN/timeline?page_token=not-a-token", 400},
      {"/v1/pairs/KOR/JPN/timeline?include_retracted=2", 400},
      {"/v1/actors/KOR?at=2021-02-30", 400},
      {"/v1/actors/XXX", 404},
      {"/v1/no/such/path", 404},
  };
  int tried = 0;
  for (const Case& c : cases) {
    HttpClient::Response r = http.Get(c.target);
    ++tried;
    EXPECT_EQ(r.code, c.code) << c.target << ": " << r.error << " " << r.body;
    if (r.code == 400) {
      EXPECT_TRUE(absl::StrContains(r.body, "\"code\":3") ||
                  absl::StrContains(r.body, "\"code\": 3"))
          << c.target << ": not a google.rpc.Status: " << r.body;
    }
  }
  // Raw malformed requests: the server answers 4xx or closes; it survives.
  const std::vector<std::string> raws = {
      "GARBAGE\r\n\r\n",
      "GET /v1/status HTTP/9.9\r\n\r\n",
      absl::StrCat("GET /v1/pairs/KOR/JPN/temperature?tags=",
                   std::string(100000, 'x'), " HTTP/1.1\r\nHost: x\r\n\r\n"),
      absl::StrCat("GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ",
                   std::string(100000, 'y'), "\r\n\r\n"),
      "POST /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\nabc",
  };
  for (const std::string& raw : raws) {
    HttpClient::Response r = http.Raw(raw);
    ++tried;
    EXPECT_TRUE(r.code == 0 || (r.code >= 400 && r.code < 500))
        << raw.substr(0, 60) << ": " << r.code << " " << r.body.substr(0, 200);
  }
  std::cout << tried << " bad HTTP requests tried\n";
  // Nothing changed: the head, the read models, the good answer.
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(query.Status().projection_position(), head);
  HttpClient::Response after = http.Get(good);
  EXPECT_EQ(after.code, 200) << after.error;
  EXPECT_EQ(after.body, before.body);
  EXPECT_EQ(after.etag, before.etag);
  // And an If-None-Match poll with that ETag is still a cheap 304.
  HttpClient::Response poll = http.Get(good, {"If-None-Match: " + before.etag});
  EXPECT_EQ(poll.code, 304);
}

}  // namespace
}  // namespace detente::itest
