// Multi-process tests of detente-query with the real binaries: answers over
// gRPC against hand-computed values, cheap polling, bad parameters, Watch,
// kill -9 during a catch-up written as table files compared with a fresh
// rebuild through the memtables, reconnection after the ingestion service
// restarts, a full disk of its own, two query services agreeing, Rebuild.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detente/v1/query.grpc.pb.h"
#include "eventlog/family_db.h"
#include "reliability_util.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

using google::protobuf::util::MessageDifferencer;

// A detente-query process following an ingestion service (free ports).
using QueryProcess = QueryProc;

uint64_t Append(v1::IngestService::Stub& stub, std::vector<v1::Event> events) {
  v1::AppendRequest req;
  for (auto& e : events) *req.add_entries() = std::move(e);
  v1::AppendResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  grpc::Status s = stub.Append(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.head_position();
}

v1::GetTemperatureResponse Temperature(v1::QueryService::Stub& stub,
                                       const v1::GetTemperatureRequest& req,
                                       grpc::Status* status = nullptr) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(30));
  v1::GetTemperatureResponse resp;
  grpc::Status s = stub.GetTemperature(&ctx, req, &resp);
  if (status != nullptr) {
    *status = s;
  } else {
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  return resp;
}

v1::GetTemperatureRequest DaySeries(const std::string& a, const std::string& b,
                                    const std::string& day) {
  v1::GetTemperatureRequest req;
  req.set_actor_a(a);
  req.set_actor_b(b);
  req.mutable_options()->set_from(day);
  req.mutable_options()->set_to(day);
  req.mutable_options()->set_resolution(v1::RESOLUTION_DAY);
  return req;
}

class QueryServiceTest : public ::testing::Test {
 protected:
  void StartIngest(std::vector<std::string> extra = {}) {
    auto p = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                                   .data_dir = dir_.Sub("ingest"),
                                   .log_dir = dir_.path(),
                                   .extra_args = std::move(extra)});
    ASSERT_TRUE(p.ok()) << p.status();
    ingest_ = std::move(*p);
  }
  std::unique_ptr<QueryProcess> StartQuery(const std::string& name) {
    auto q = std::make_unique<QueryProcess>(dir_.Sub(name), ingest_->address(),
                                            dir_.Sub(name + "-log"));
    absl::Status s = q->Start();
    EXPECT_TRUE(s.ok()) << s;
    return s.ok() ? std::move(q) : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<IngestProcess> ingest_;
};

TEST_F(QueryServiceTest, HandComputedAnswersAndCheapPolling) {
  StartIngest();
  auto query = StartQuery("query");
  ASSERT_NE(query, nullptr);
  // GDELT's Goldstein scores: 036 -> +4.0, 111 -> -2.0.
  uint64_t head =
      Append(ingest_->stub(), {MakeEvent("00000000-0000-4000-8000-000000000001",
                                         "2021-05-03", "KOR", "JPN", "036"),
                               MakeEvent("00000000-0000-4000-8000-000000000002",
                                         "2021-06", "JPN", "KOR", "111")});
  ASSERT_TRUE(query->WaitFor(head));
  // On June 1 (29 days after May 3; the month-precision event counts on its
  // first day): (4k - 2) / (1 + k + 1) with k = 2^(-29/90).
  const double k = std::pow(2.0, -29.0 / 90.0);
  v1::GetTemperatureResponse r =
      Temperature(query->stub(), DaySeries("KOR", "JPN", "2021-06-01"));
  ASSERT_EQ(r.points_size(), 1);
  EXPECT_NEAR(r.points(0).temperature(), (4 * k - 2) / (2 + k), 1e-12);
  EXPECT_NEAR(r.points(0).heat(), 1 + k, 1e-12);
  EXPECT_EQ(r.stream(), "JPN-KOR");
  EXPECT_EQ(r.position(), head);
  // Directed: only KOR -> JPN.
  auto directed = DaySeries("KOR", "JPN", "2021-06-01");
  directed.mutable_options()->set_directed(true);
  EXPECT_NEAR(Temperature(query->stub(), directed).points(0).temperature(),
              4 * k / (1 + k), 1e-12);

  // Polling: unchanged while other pairs change, changed when the pair does.
  auto poll = DaySeries("KOR", "JPN", "2021-06-01");
  poll.mutable_options()->set_if_changed_since(r.position());
  v1::GetTemperatureResponse same = Temperature(query->stub(), poll);
  EXPECT_TRUE(same.not_modified());
  EXPECT_EQ(same.points_size(), 0);
  head =
      Append(ingest_->stub(), {MakeEvent("00000000-0000-4000-8000-000000000003",
                                         "2021-05-20", "USA", "CHN", "111")});
  ASSERT_TRUE(query->WaitFor(head));
  same = Temperature(query->stub(), poll);
  EXPECT_TRUE(same.not_modified());
  EXPECT_EQ(same.position(), head);
  head =
      Append(ingest_->stub(), {MakeEvent("00000000-0000-4000-8000-000000000004",
                                         "2021-06-01", "JPN", "KOR", "036")});
  ASSERT_TRUE(query->WaitFor(head));
  v1::GetTemperatureResponse changed = Temperature(query->stub(), poll);
  EXPECT_FALSE(changed.not_modified());
  EXPECT_NEAR(changed.points(0).temperature(),
              (4 * k - 2 + 4) / (1 + k + 1 + 1), 1e-12);
  // As of the earlier position, the old answer.
  auto as_of = DaySeries("KOR", "JPN", "2021-06-01");
  as_of.mutable_options()->set_as_of_position(r.position());
  v1::GetTemperatureResponse old = Temperature(query->stub(), as_of);
  EXPECT_EQ(old.position(), r.position());
  EXPECT_TRUE(MessageDifferencer::Equals(old.points(0), r.points(0)));
}

// GetTemperature and GetGroupTemperature send answers as bytes built once
// and shared with the answer cache (services/query/query_service.h): on the
// wire they must be the canonical encoding of the message, whether computed,
// from the cache or not modified. A request that does not parse is
// INVALID_ARGUMENT, naming the message it should have been.
TEST_F(QueryServiceTest, SeriesAnswersAreCanonicalOnTheWire) {
  StartIngest();
  auto query = StartQuery("query");
  ASSERT_NE(query, nullptr);
  const uint64_t head = Append(
      ingest_->stub(),
      {MakeEvent("00000000-0000-4000-8000-000000000001", "2021-05-03", "KOR",
                 "JPN", "036"),
       MakeEvent("00000000-0000-4000-8000-000000000002", "2021-06", "JPN",
                 "KOR", "111"),
       MakeEvent("00000000-0000-4000-8000-000000000003", "2021-07-09", "USA",
                 "JPN", "042")});
  ASSERT_TRUE(query->WaitFor(head));
  grpc::GenericStub generic(query->channel());
  auto call = [&](const std::string& method, const std::string& request,
                  std::string* response) {
    grpc::Slice slice(request);
    grpc::ByteBuffer in(&slice, 1), out;
    grpc::ClientContext ctx;
    ctx.set_deadline(In(10));
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out,
                      [&](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status s = done.get_future().get();
    std::vector<grpc::Slice> slices;
    response->clear();
    if (s.ok() && out.Dump(&slices).ok()) {
      for (const grpc::Slice& x : slices) {
        response->append(reinterpret_cast<const char*>(x.begin()), x.size());
      }
    }
    return s;
  };
  const std::string pair_method = "/detente.v1.QueryService/GetTemperature";
  const std::string group_method =
      "/detente.v1.QueryService/GetGroupTemperature";
  v1::GetTemperatureRequest pair;
  pair.set_actor_a("KOR");
  pair.set_actor_b("JPN");
  pair.mutable_options()->set_from("2021-01-01");
  pair.mutable_options()->set_to("2021-12-31");
  pair.mutable_options()->set_resolution(v1::RESOLUTION_MONTH);
  v1::GetGroupTemperatureRequest group;
  for (const char* a : {"USA", "KOR", "JPN"}) group.add_actors(a);
  *group.mutable_options() = pair.options();
  for (int ask = 0; ask < 2; ++ask) {  // computed, then from the cache
    SCOPED_TRACE(ask == 0 ? "computed" : "cached");
    std::string bytes;
    ASSERT_TRUE(call(pair_method, pair.SerializeAsString(), &bytes).ok());
    v1::GetTemperatureResponse p;
    ASSERT_TRUE(p.ParseFromString(bytes));
    EXPECT_EQ(bytes, p.SerializeAsString());
    EXPECT_EQ(p.position(), head);
    EXPECT_EQ(p.stream(), "JPN-KOR");
    EXPECT_EQ(p.points_size(), 12);
    EXPECT_TRUE(MessageDifferencer::Equals(p, Temperature(query->stub(), pair)));
    ASSERT_TRUE(call(group_method, group.SerializeAsString(), &bytes).ok());
    v1::GetGroupTemperatureResponse g;
    ASSERT_TRUE(g.ParseFromString(bytes));
    EXPECT_EQ(bytes, g.SerializeAsString());
    EXPECT_EQ(g.position(), head);
    EXPECT_EQ(g.pairs_size(), 3);
  }
  pair.mutable_options()->set_if_changed_since(head);
  std::string bytes;
  ASSERT_TRUE(call(pair_method, pair.SerializeAsString(), &bytes).ok());
  v1::GetTemperatureResponse nm;
  ASSERT_TRUE(nm.ParseFromString(bytes));
  EXPECT_EQ(bytes, nm.SerializeAsString());
  EXPECT_TRUE(nm.not_modified());
  EXPECT_EQ(nm.position(), head);
  EXPECT_EQ(nm.points_size(), 0);

  for (const std::string& method : {pair_method, group_method}) {
    grpc::Status s = call(method, std::string("\xff\xff\xff\x01", 4), &bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_NE(s.error_message().find(method == pair_method
                                         ? "detente.v1.GetTemperatureRequest"
                                         : "detente.v1.GetGroupTemperatureRequest"),
              std::string::npos)
        << s.error_message();
  }
}

// The answer cache (services/query/answer_cache.h) against a service with
// no cache: after every round of appends, every series of every pair is the
// same message, position included, asked once or twice, and the cache did
// serve answers.
TEST_F(QueryServiceTest, CachedAnswersEqualUncachedOnes) {
  StartIngest();
  auto cached = StartQuery("cached");
  ASSERT_NE(cached, nullptr);
  QueryProc uncached(dir_.Sub("uncached"), ingest_->address(),
                     dir_.Sub("uncached-log"), {"--answer-cache-mb", "0"});
  ASSERT_TRUE(uncached.Start().ok());
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"KOR", "JPN"}, {"USA", "CHN"}, {"JPN", "USA"}};
  const std::vector<std::string> codes = {"036", "111", "057", "172"};
  std::mt19937 rng(7);
  int id = 0;
  for (int round = 0; round < 6; ++round) {
    std::vector<v1::Event> events;
    for (int i = 0; i < 1 + round % 3; ++i) {
      const auto& [a, b] = pairs[rng() % (round < 3 ? 1 : pairs.size())];
      const bool flip = rng() % 2;
      events.push_back(MakeEvent(
          absl::StrFormat("00000000-0000-4000-8000-%012d", ++id),
          absl::StrFormat("2021-%02d-%02d", 1 + rng() % 12, 1 + rng() % 28),
          flip ? b : a, flip ? a : b, codes[rng() % codes.size()]));
    }
    const uint64_t head = Append(ingest_->stub(), std::move(events));
    ASSERT_TRUE(cached->WaitFor(head));
    ASSERT_TRUE(uncached.WaitFor(head));
    for (const auto& [a, b] : pairs) {
      for (v1::Resolution res : {v1::RESOLUTION_MONTH, v1::RESOLUTION_DAY}) {
        for (bool directed : {false, true}) {
          v1::GetTemperatureRequest req;
          req.set_actor_a(a);
          req.set_actor_b(b);
          req.mutable_options()->set_from("2020-12-01");
          req.mutable_options()->set_to("2022-01-31");
          req.mutable_options()->set_resolution(res);
          req.mutable_options()->set_directed(directed);
          const v1::GetTemperatureResponse want = Temperature(uncached.stub(), req);
          for (int ask = 0; ask < 2; ++ask) {
            const v1::GetTemperatureResponse got = Temperature(cached->stub(), req);
            EXPECT_TRUE(MessageDifferencer::Equals(got, want))
                << "round " << round << " " << a << "-" << b << " ask " << ask
                << "\n" << got.ShortDebugString().substr(0, 300) << "\n"
                << want.ShortDebugString().substr(0, 300);
          }
        }
      }
    }
  }
  HttpClient http(cached->http_port());
  HttpClient::Response metrics = http.Get("/metrics");
  EXPECT_NE(metrics.body.find("kind=\"cached\""), std::string::npos);
}

// SERIES_LAYOUT_COLUMNS: the same series as packed arrays, checked against
// hand-computed values (days before 1970 too) and against the points layout
// (pair and group), over gRPC and HTTP/JSON, for polls and for Watch.
TEST_F(QueryServiceTest, ColumnsHoldTheSameSeriesAsPoints) {
  StartIngest();
  auto query = StartQuery("query");
  ASSERT_NE(query, nullptr);
  // 036 -> +4.0 on 2021-05-03; 111 -> -2.0 on 2021-06-01 (month precision);
  // and the Elysee Treaty, 057 -> +8.0 on 1963-01-22, before day 0.
  const uint64_t head =
      Append(ingest_->stub(), {MakeEvent("00000000-0000-4000-8000-000000000001",
                                         "2021-05-03", "KOR", "JPN", "036"),
                               MakeEvent("00000000-0000-4000-8000-000000000002",
                                         "2021-06", "JPN", "KOR", "111"),
                               MakeEvent("00000000-0000-4000-8000-000000000003",
                                         "1963-01-22", "FRA", "DEU", "057")});
  ASSERT_TRUE(query->WaitFor(head));
  auto k = [](double days) { return std::pow(2.0, -days / 90.0); };
  {
    v1::GetTemperatureRequest before;
    before.set_actor_a("FRA");
    before.set_actor_b("DEU");
    before.mutable_options()->set_from("1963-01-21");
    before.mutable_options()->set_to("1963-01-23");
    before.mutable_options()->set_resolution(v1::RESOLUTION_DAY);
    before.mutable_options()->set_layout(v1::SERIES_LAYOUT_COLUMNS);
    const v1::TemperatureColumns c =
        Temperature(query->stub(), before).columns();
    // 1963-01-21 is 2,537 days before 1970-01-01.
    EXPECT_EQ(std::vector<int32_t>(c.period_start_day().begin(),
                                   c.period_start_day().end()),
              (std::vector<int32_t>{-2537, -2536, -2535}));
    ASSERT_EQ(c.temperature_size(), 3);
    EXPECT_EQ(c.temperature(0), 0.0);
    EXPECT_NEAR(c.temperature(1), 8.0 / 2, 1e-12);
    EXPECT_NEAR(c.temperature(2), 8 * k(1) / (1 + k(1)), 1e-12);
  }
  v1::GetTemperatureRequest req;
  req.set_actor_a("KOR");
  req.set_actor_b("JPN");
  req.mutable_options()->set_from("2021-05-31");
  req.mutable_options()->set_to("2021-06-02");
  req.mutable_options()->set_resolution(v1::RESOLUTION_DAY);
  const v1::GetTemperatureResponse rows = Temperature(query->stub(), req);
  req.mutable_options()->set_layout(v1::SERIES_LAYOUT_COLUMNS);
  const v1::GetTemperatureResponse cols = Temperature(query->stub(), req);
  EXPECT_EQ(cols.position(), head);
  EXPECT_EQ(cols.points_size(), 0);
  ASSERT_TRUE(cols.has_columns());
  const v1::TemperatureColumns& c = cols.columns();
  // 2021-05-31 is day 18778 since 1970-01-01 (Python's date arithmetic).
  ASSERT_EQ(c.period_start_day_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.period_start_day(i), 18778 + i);
    EXPECT_EQ(c.period_end_day(i), 18778 + i);
  }
  ASSERT_EQ(c.temperature_size(), 3);
  ASSERT_EQ(c.heat_size(), 3);
  // Days since May 3: 28, 29, 30; the June event counts from June 1.
  EXPECT_NEAR(c.temperature(0), 4 * k(28) / (1 + k(28)), 1e-12);
  EXPECT_NEAR(c.temperature(1), (4 * k(29) - 2) / (2 + k(29)), 1e-12);
  EXPECT_NEAR(c.temperature(2), (4 * k(30) - 2 * k(1)) / (1 + k(30) + k(1)),
              1e-12);
  EXPECT_NEAR(c.heat(2), k(30) + k(1), 1e-12);
  EXPECT_EQ(std::vector<uint32_t>(c.events().begin(), c.events().end()),
            (std::vector<uint32_t>{0, 1, 0}));
  // 111 (criticize or denounce) is verbal conflict.
  EXPECT_EQ(std::vector<uint32_t>(c.verbal_conflict().begin(),
                                  c.verbal_conflict().end()),
            (std::vector<uint32_t>{0, 1, 0}));
  // The points layout, field by field.
  ASSERT_EQ(rows.points_size(), 3);
  EXPECT_FALSE(rows.has_columns());
  for (int i = 0; i < 3; ++i) {
    const v1::TemperaturePoint& p = rows.points(i);
    EXPECT_EQ(p.period_start(), absl::StrFormat("2021-%s", i == 0   ? "05-31"
                                                           : i == 1 ? "06-01"
                                                                    : "06-02"));
    EXPECT_EQ(p.temperature(), c.temperature(i));
    EXPECT_EQ(p.heat(), c.heat(i));
    EXPECT_EQ(p.events(), c.events(i));
    EXPECT_EQ(p.weight_sum(), c.weight_sum(i));
    EXPECT_EQ(p.goldstein_sum(), c.goldstein_sum(i));
    EXPECT_EQ(p.verbal_cooperation(), c.verbal_cooperation(i));
    EXPECT_EQ(p.material_cooperation(), c.material_cooperation(i));
    EXPECT_EQ(p.verbal_conflict(), c.verbal_conflict(i));
    EXPECT_EQ(p.material_conflict(), c.material_conflict(i));
    EXPECT_EQ(p.period_end(), p.period_start());
  }
  // A poll whose answer is unchanged: not_modified, no periods either way.
  {
    v1::GetTemperatureRequest poll = req;
    poll.mutable_options()->set_if_changed_since(cols.position());
    const v1::GetTemperatureResponse nm = Temperature(query->stub(), poll);
    EXPECT_TRUE(nm.not_modified());
    EXPECT_FALSE(nm.has_columns());
    EXPECT_EQ(nm.points_size(), 0);
  }

  // A monthly group series: months have their own first and last days.
  v1::GetGroupTemperatureRequest group;
  for (const char* a : {"USA", "KOR", "JPN"}) group.add_actors(a);
  group.mutable_options()->set_from("2021-05");
  group.mutable_options()->set_to("2021-06");
  group.mutable_options()->set_layout(v1::SERIES_LAYOUT_COLUMNS);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    v1::GetGroupTemperatureResponse g;
    ASSERT_TRUE(query->stub().GetGroupTemperature(&ctx, group, &g).ok());
    EXPECT_EQ(g.points_size(), 0);
    EXPECT_EQ(g.pairs_size(), 3);
    // 2021-05-01 = 18748, 2021-05-31 = 18778, 2021-06-30 = 18808.
    EXPECT_EQ(std::vector<int32_t>(g.columns().period_start_day().begin(),
                                   g.columns().period_start_day().end()),
              (std::vector<int32_t>{18748, 18779}));
    EXPECT_EQ(std::vector<int32_t>(g.columns().period_end_day().begin(),
                                   g.columns().period_end_day().end()),
              (std::vector<int32_t>{18778, 18808}));
    EXPECT_EQ(std::vector<uint32_t>(g.columns().events().begin(),
                                    g.columns().events().end()),
              (std::vector<uint32_t>{1, 1}));
    // The same group in the points layout: the same periods and pairs.
    group.mutable_options()->clear_layout();
    grpc::ClientContext ctx2;
    ctx2.set_deadline(In(30));
    v1::GetGroupTemperatureResponse gp;
    ASSERT_TRUE(query->stub().GetGroupTemperature(&ctx2, group, &gp).ok());
    ASSERT_EQ(gp.points_size(), 2);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(gp.points(i).temperature(), g.columns().temperature(i));
      EXPECT_EQ(gp.points(i).heat(), g.columns().heat(i));
    }
    EXPECT_EQ(gp.points(0).period_end(), "2021-05-31");
    EXPECT_EQ(gp.points(1).period_end(), "2021-06-30");
    EXPECT_TRUE(MessageDifferencer::Equals(gp.spec(), g.spec()));
    ASSERT_EQ(gp.pairs_size(), g.pairs_size());
    for (int i = 0; i < gp.pairs_size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(gp.pairs(i), g.pairs(i)));
    }
  }

  // HTTP/JSON: the same message as over gRPC.
  HttpClient http(query->http_port());
  HttpClient::Response got = http.Get(
      "/v1/pairs/KOR/JPN/temperature?from=2021-05-31&to=2021-06-02"
      "&resolution=day&layout=columns");
  ASSERT_EQ(got.code, 200) << got.error << got.body;
  EXPECT_NE(got.body.find("\"periodStartDay\":[18778,18779,18780]"),
            std::string::npos)
      << got.body;
  v1::GetTemperatureResponse from_json;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(got.body, &from_json).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(from_json, cols))
      << from_json.ShortDebugString() << "\n"
      << cols.ShortDebugString();
  HttpClient::Response bad =
      http.Get("/v1/pairs/KOR/JPN/temperature?layout=rows");
  EXPECT_EQ(bad.code, 400);
  EXPECT_NE(bad.body.find("layout"), std::string::npos) << bad.body;

  // Watch sends columns when asked.
  grpc::ClientContext ctx;
  v1::WatchRequest watch;
  watch.set_actor_a("KOR");
  watch.set_actor_b("JPN");
  *watch.mutable_options() = req.options();
  auto reader = query->stub().Watch(&ctx, watch);
  v1::WatchResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.points_size(), 0);
  EXPECT_TRUE(MessageDifferencer::Equals(first.columns(), c))
      << first.ShortDebugString();
  ctx.TryCancel();
  reader->Finish();

  // And for a group: the columns and pairs GetGroupTemperature answers.
  group.mutable_options()->set_layout(v1::SERIES_LAYOUT_COLUMNS);
  v1::GetGroupTemperatureResponse want;
  {
    grpc::ClientContext once;
    once.set_deadline(In(30));
    ASSERT_TRUE(query->stub().GetGroupTemperature(&once, group, &want).ok());
  }
  grpc::ClientContext gctx;
  v1::WatchRequest gwatch;
  *gwatch.mutable_actors() = group.actors();
  *gwatch.mutable_options() = group.options();
  auto greader = query->stub().Watch(&gctx, gwatch);
  v1::WatchResponse gfirst;
  ASSERT_TRUE(greader->Read(&gfirst));
  EXPECT_EQ(gfirst.points_size(), 0);
  EXPECT_EQ(gfirst.columns().temperature_size(), 2);
  EXPECT_TRUE(MessageDifferencer::Equals(gfirst.columns(), want.columns()))
      << gfirst.ShortDebugString();
  ASSERT_EQ(gfirst.pairs_size(), want.pairs_size());
  for (int i = 0; i < want.pairs_size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(gfirst.pairs(i), want.pairs(i)));
  }
  gctx.TryCancel();
  greader->Finish();
}

TEST_F(QueryServiceTest, BadParametersNameTheParameter) {
  StartIngest();
  auto query = StartQuery("query");
  ASSERT_NE(query, nullptr);
  struct Case {
    std::string name;
    std::function<void(v1::GetTemperatureRequest&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {"unknown actor", [](auto& r) { r.set_actor_b("XXX"); }, "actor_b"},
      {"same actor", [](auto& r) { r.set_actor_b("KOR"); }, "actor_b"},
      {"half-life too short",
       [](auto& r) { r.mutable_options()->set_half_life_days(0.5); },
       "half_life_days"},
      {"half-life too long",
       [](auto& r) { r.mutable_options()->set_half_life_days(3651); },
       "half_life_days"},
      {"negative prior", [](auto& r) { r.mutable_options()->set_prior(-1); },
       "prior"},
      {"bad date", [](auto& r) { r.mutable_options()->set_from("2021-02-29"); },
       "from"},
      {"inverted range",
       [](auto& r) {
         r.mutable_options()->set_from("2021-05-02");
         r.mutable_options()->set_to("2021-05-01");
       },
       "to"},
      {"too many points",
       [](auto& r) {
         r.mutable_options()->set_from("1700");
         r.mutable_options()->set_to("2020");
         r.mutable_options()->set_resolution(v1::RESOLUTION_DAY);
       },
       "resolution"},
      {"unknown layout",
       [](auto& r) {
         r.mutable_options()->set_layout(static_cast<v1::SeriesLayout>(7));
       },
       "layout"},
  };
  for (const Case& c : cases) {
    v1::GetTemperatureRequest req;
    req.set_actor_a("KOR");
    req.set_actor_b("JPN");
    c.edit(req);
    grpc::Status s;
    Temperature(query->stub(), req, &s);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    std::vector<std::string> fields = BadRequestFields(s);
    ASSERT_FALSE(fields.empty()) << c.name;
    EXPECT_EQ(fields[0], c.field) << c.name << ": " << s.error_message();
  }
}

TEST_F(QueryServiceTest, WatchSendsTheSeriesThenUpdates) {
  StartIngest();
  auto query = StartQuery("query");
  ASSERT_NE(query, nullptr);
  uint64_t head =
      Append(ingest_->stub(), {MakeEvent("00000000-0000-4000-8000-000000000011",
                                         "2021-05-03", "KOR", "JPN", "036")});
  ASSERT_TRUE(query->WaitFor(head));
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.set_actor_a("KOR");
  req.set_actor_b("JPN");
  req.mutable_options()->set_from("2021-05");
  req.mutable_options()->set_to("2021-06");
  req.set_min_interval_ms(100);
  auto reader = query->stub().Watch(&ctx, req);
  v1::WatchResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.position(), head);
  ASSERT_EQ(first.points_size(), 2);
  EXPECT_EQ(first.points(1).events(), 0u);
  head =
      Append(ingest_->stub(), {MakeEvent("00000000-0000-4000-8000-000000000012",
                                         "2021-06-15", "JPN", "KOR", "111")});
  v1::WatchResponse next;
  ASSERT_TRUE(reader->Read(&next));
  EXPECT_EQ(next.position(), head);
  EXPECT_EQ(next.points(1).events(), 1u);
  ctx.TryCancel();
  reader->Finish();
}

// A deterministic history: ~100,000 entries over 30 actors, dates from 1960
// to 2022 in any order, about 3% corrections and 2% retractions.
std::vector<std::vector<v1::Event>> History(uint64_t seed, int batches) {
  const char* actors[] = {
      "KOR", "JPN", "USA", "CHN", "PRK", "RUS", "GBR", "FRA", "DEU", "IND",
      "PAK", "IRN", "ISR", "EGY", "TUR", "BRA", "MEX", "CAN", "AUS", "IDN",
      "VNM", "THA", "PHL", "SAU", "UKR", "POL", "ITA", "ESP", "NGA", "ZAF"};
  const char* codes[] = {"036", "040", "042", "057", "0311", "111",
                         "112", "130", "163", "172", "190",  "071"};
  std::mt19937_64 rng(seed);
  std::vector<std::vector<v1::Event>> out;
  std::vector<v1::Event> events;  // originals, for corrections
  for (int b = 0; b < batches; ++b) {
    std::vector<v1::Event> batch;
    for (int i = 0; i < 1000; ++i) {
      const int roll = int(rng() % 100);
      v1::Event e;
      if (roll < 5 && !events.empty()) {
        const v1::Event& s = events[rng() % events.size()];
        if (roll < 3) {
          e = s;
          e.set_kind(v1::ENTRY_KIND_CORRECTION);
          e.set_event_code(codes[rng() % 12]);
        } else {
          e.set_kind(v1::ENTRY_KIND_RETRACTION);
        }
        e.set_subject_event_id(s.event_id());
        e.set_event_id(RandomUuid(rng));
      } else {
        // Skewed popularity: low actor indexes are far more frequent.
        int a = int(std::pow(double(rng() % 10000) / 10000.0, 3) * 30);
        int c = int(rng() % 29);
        if (c >= a) ++c;
        e = MakeEvent(RandomUuid(rng),
                      absl::StrFormat("%04d-%02d-%02d", 1960 + rng() % 63,
                                      1 + rng() % 12, 1 + rng() % 28),
                      actors[a], actors[c], codes[rng() % 12]);
        if (rng() % 3 == 0) e.add_tags("security");
        events.push_back(e);
      }
      batch.push_back(std::move(e));
    }
    out.push_back(std::move(batch));
  }
  return out;
}

// The answers compared between two query services.
std::vector<std::unique_ptr<google::protobuf::Message>> Answers(
    v1::QueryService::Stub& stub, uint64_t head) {
  std::vector<std::unique_ptr<google::protobuf::Message>> out;
  const std::pair<const char*, const char*> pairs[] = {
      {"KOR", "JPN"}, {"JPN", "KOR"}, {"USA", "CHN"},
      {"KOR", "USA"}, {"GBR", "FRA"}, {"ZAF", "NGA"}};
  const v1::Resolution resolutions[] = {
      v1::RESOLUTION_MONTH, v1::RESOLUTION_YEAR, v1::RESOLUTION_WEEK};
  for (auto [a, b] : pairs) {
    for (v1::Resolution res : resolutions) {
      for (uint64_t as_of : {uint64_t{0}, head / 3, head / 2 + 17}) {
        for (bool directed : {false, true}) {
          v1::GetTemperatureRequest req;
          req.set_actor_a(a);
          req.set_actor_b(b);
          req.mutable_options()->set_from("1990");
          req.mutable_options()->set_to("2022-12-31");
          req.mutable_options()->set_resolution(res);
          req.mutable_options()->set_as_of_position(as_of);
          req.mutable_options()->set_directed(directed);
          if (as_of == head / 3) req.mutable_options()->add_tags("security");
          auto resp = std::make_unique<v1::GetTemperatureResponse>(
              Temperature(stub, req));
          out.push_back(std::move(resp));
        }
      }
    }
  }
  {
    v1::GetGroupTemperatureRequest req;
    for (const char* a : {"USA", "KOR", "JPN", "CHN"}) req.add_actors(a);
    req.mutable_options()->set_from("2000");
    req.mutable_options()->set_to("2022");
    req.mutable_options()->set_resolution(v1::RESOLUTION_QUARTER);
    auto resp = std::make_unique<v1::GetGroupTemperatureResponse>();
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub.GetGroupTemperature(&ctx, req, resp.get()).ok());
    out.push_back(std::move(resp));
  }
  std::string token;
  for (int page = 0; page < 3; ++page) {
    v1::GetTimelineRequest req;
    req.set_actor_a("KOR");
    req.set_actor_b("JPN");
    req.set_include_retracted(true);
    req.set_page_size(200);
    req.set_page_token(token);
    auto resp = std::make_unique<v1::GetTimelineResponse>();
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub.GetTimeline(&ctx, req, resp.get()).ok());
    token = resp->next_page_token();
    out.push_back(std::move(resp));
  }
  {
    v1::GetMoversRequest req;
    req.set_from("1995-01-01");
    req.set_to("2015-06-30");
    req.set_limit(20);
    auto resp = std::make_unique<v1::GetMoversResponse>();
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub.GetMovers(&ctx, req, resp.get()).ok());
    out.push_back(std::move(resp));
  }
  {
    v1::GetActorSummaryRequest req;
    req.set_actor("KOR");
    req.set_at("2020-01-01");
    auto resp = std::make_unique<v1::GetActorSummaryResponse>();
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub.GetActorSummary(&ctx, req, resp.get()).ok());
    out.push_back(std::move(resp));
  }
  return out;
}

void ExpectSameAnswers(v1::QueryService::Stub& a, v1::QueryService::Stub& b,
                       uint64_t head) {
  auto x = Answers(a, head);
  auto y = Answers(b, head);
  ASSERT_EQ(x.size(), y.size());
  int differing = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!MessageDifferencer::Equals(*x[i], *y[i])) {
      if (++differing <= 3) {
        ADD_FAILURE() << "answer " << i << " differs:\n"
                      << x[i]->ShortDebugString().substr(0, 400) << "\nvs\n"
                      << y[i]->ShortDebugString().substr(0, 400);
      }
    }
  }
  EXPECT_EQ(differing, 0);
}

TEST_F(QueryServiceTest, KillDuringCatchUpThenAnswersEqualAFreshRebuild) {
  StartIngest({"--durability", "async"});
  uint64_t head = 0;
  for (auto& batch : History(20261128, 100)) {
    head = Append(ingest_->stub(), std::move(batch));
  }
  ASSERT_GE(head, 100000u);

  // "a" gathers batches of 20,000 entries while far behind and writes them
  // as table files; "fresh" applies each message through the memtables, and
  // gets the log as RecordedEvents rather than as stored records.
  const std::vector<std::string> gathering = {"--catch-up-batch", "20000"};
  std::mt19937_64 rng(7);
  int killed_midway = 0;
  uint64_t last_position = 0;
  for (int round = 0; round < 4; ++round) {
    auto q = std::make_unique<QueryProcess>(dir_.Sub("a"), ingest_->address(),
                                            dir_.Sub(absl::StrCat("a-", round)),
                                            gathering);
    absl::Status started = q->Start();
    ASSERT_TRUE(started.ok()) << started;
    const uint64_t at_start = q->Status().projection_position();
    // Progress survives restarts: never behind what was applied before.
    EXPECT_GE(at_start, last_position);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 150));
    const uint64_t before = q->Status().projection_position();
    q->process().Kill(SIGKILL);
    q->process().Wait();
    if (before < head) ++killed_midway;
    last_position = before;
  }
  EXPECT_GE(killed_midway, 1) << "the catch-up was always over before the kill";

  auto a = std::make_unique<QueryProcess>(dir_.Sub("a"), ingest_->address(),
                                          dir_.Sub("a-last"), gathering);
  ASSERT_TRUE(a->Start().ok());
  auto fresh = std::make_unique<QueryProcess>(
      dir_.Sub("fresh"), ingest_->address(), dir_.Sub("fresh-log"),
      std::vector<std::string>{"--catch-up-batch", "0", "--subscribe-as",
                               "events"});
  ASSERT_TRUE(fresh->Start().ok());
  ASSERT_TRUE(a->WaitFor(head, 120));
  ASSERT_TRUE(fresh->WaitFor(head, 120));
  ExpectSameAnswers(a->stub(), fresh->stub(), head);

  // A catch-up from empty without a kill, gathering: its batches were
  // written as table files, fresh's all through the memtables, and the
  // answers are the same. Once gathering, the follower gathers up to the
  // head, so that only its last batch (what is left under 20,000 entries)
  // may go through the memtables, when under 16,384 entries.
  auto gathered =
      std::make_unique<QueryProcess>(dir_.Sub("gathered"), ingest_->address(),
                                     dir_.Sub("gathered-log"), gathering);
  ASSERT_TRUE(gathered->Start().ok());
  ASSERT_TRUE(gathered->WaitFor(head, 120));
  ExpectSameAnswers(gathered->stub(), fresh->stub(), head);
  const auto applied = [&](QueryProcess& q, const std::string& written) {
    return MetricSample(
        FetchMetrics(
            dir_, absl::StrCat("http://127.0.0.1:", q.http_port(), "/metrics")),
        absl::StrCat("detente_projection_applied_entries{written=\"", written,
                     "\"}"));
  };
  // The gauges follow every two seconds.
  for (int i = 0; i < 100 && applied(*gathered, "tables") +
                                     applied(*gathered, "memtables") <
                                 double(head);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GT(applied(*gathered, "tables"), double(head - 16384));
  EXPECT_LT(applied(*gathered, "memtables"), 16384);
  EXPECT_EQ(applied(*gathered, "tables") + applied(*gathered, "memtables"),
            double(head));
  EXPECT_EQ(applied(*fresh, "tables"), 0);
  EXPECT_EQ(applied(*fresh, "memtables"), double(head));
}

TEST_F(QueryServiceTest, ReconnectsAfterTheIngestionServiceRestarts) {
  // Both services on fixed ports so the ingestion service can come back at
  // the same address.
  const std::string address = absl::StrCat("127.0.0.1:", PickFreePort());
  auto start_ingest = [&](int n) {
    auto p = std::make_unique<Subprocess>(SubprocessOptions{
        .binary = DETENTE_INGEST_BIN,
        .args = {"--listen", address, "--data-dir", dir_.Sub("ingest")},
        .stdout_path = dir_.Sub(absl::StrCat("ingest-", n, ".out")),
        .stderr_path = dir_.Sub(absl::StrCat("ingest-", n, ".err"))});
    EXPECT_TRUE(p->Start().ok());
    EXPECT_TRUE(WaitForIngest(address, absl::Seconds(30)).ok());
    return p;
  };
  auto ingest = start_ingest(1);
  auto stub = v1::IngestService::NewStub(MakeChannel(address));
  QueryProcess q(dir_.Sub("query"), address, dir_.Sub("query-log"));
  ASSERT_TRUE(q.Start().ok());
  uint64_t head =
      Append(*stub, {MakeEvent("00000000-0000-4000-8000-000000000021",
                               "2021-05-03", "KOR", "JPN", "036")});
  ASSERT_TRUE(q.WaitFor(head));

  ingest->Kill(SIGTERM);
  ingest->Wait();
  v1::GetStatusResponse s;
  for (int i = 0; i < 500; ++i) {
    s = q.Status();
    if (s.state() == v1::PROJECTION_STATE_DISCONNECTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(s.state(), v1::PROJECTION_STATE_DISCONNECTED);
  EXPECT_FALSE(s.last_error().empty());
  EXPECT_EQ(s.projection_position(), head);
  // Still answering, stamped with its position.
  v1::GetTemperatureResponse r =
      Temperature(q.stub(), DaySeries("KOR", "JPN", "2021-05-03"));
  EXPECT_EQ(r.position(), head);
  EXPECT_NEAR(r.points(0).temperature(), 2.0, 1e-12);

  ingest = start_ingest(2);
  std::vector<v1::Event> more;
  for (int i = 0; i < 50; ++i) {
    more.push_back(
        MakeEvent(absl::StrFormat("00000000-0000-4000-8000-%012d", 100 + i),
                  "2021-05-04", "JPN", "KOR", "111"));
  }
  head = Append(*stub, std::move(more));
  ASSERT_TRUE(q.WaitFor(head, 30));
  for (int i = 0; i < 500; ++i) {
    s = q.Status();
    if (s.state() == v1::PROJECTION_STATE_LIVE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(s.state(), v1::PROJECTION_STATE_LIVE);
  EXPECT_EQ(s.lag(), 0u);
  EXPECT_EQ(s.ingest_head(), head);
  EXPECT_TRUE(s.last_error().empty());
}

// The query service's own disk fills (its data directory on a tmpfs that a
// filler file keeps full): it keeps answering from what it applied, says
// NOT_SERVING with the storage failure in GetStatus, and once the file is
// gone it reopens its read models by itself (no restart), catches up with
// the head and answers exactly like a fresh service. Skipped without
// permission to mount a tmpfs.
TEST_F(QueryServiceTest, ItsDiskFillsThenItCatchesUpByItselfOnceThereIsRoom) {
  StartIngest({"--durability", "async"});
  // Smaller than RocksDB's write-ahead log preallocation (1.1x a memtable),
  // so the log's writes meet the full disk at once.
  TmpfsMount disk(dir_.Sub("disk"), "24m");
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root / CAP_SYS_ADMIN): "
                 << disk.error();
  }
  const auto history = History(29, 30);
  uint64_t head = 0;
  for (int b = 0; b < 10; ++b) head = Append(ingest_->stub(), history[b]);
  QueryProcess q(dir_.Sub("disk") + "/query", ingest_->address(),
                 dir_.Sub("query-log"));
  ASSERT_TRUE(q.Start().ok());
  ASSERT_TRUE(q.WaitFor(head));
  const v1::GetTemperatureRequest series = [] {
    v1::GetTemperatureRequest req;
    req.set_actor_a("KOR");
    req.set_actor_b("JPN");
    req.mutable_options()->set_from("1960");
    req.mutable_options()->set_to("2022");
    req.mutable_options()->set_resolution(v1::RESOLUTION_YEAR);
    return req;
  }();
  const v1::GetTemperatureResponse before = Temperature(q.stub(), series);
  ASSERT_EQ(before.position(), head);

  DiskFiller filler(dir_.Sub("disk"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int b = 10; b < 20; ++b) head = Append(ingest_->stub(), history[b]);
  auto health_becomes = [&](int want, absl::Duration within) {
    int got = -1;
    for (absl::Time end = absl::Now() + within; absl::Now() < end;
         absl::SleepFor(absl::Milliseconds(100))) {
      got = HealthStatus(q.address(), "detente.v1.QueryService");
      if (got == want) break;
    }
    return got;
  };
  EXPECT_EQ(health_becomes(2, absl::Seconds(15)), 2)
      << "health did not turn NOT_SERVING on the full disk";
  // It stays so while the disk is full (each reopen fails or its first
  // write does).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(HealthStatus(q.address(), "detente.v1.QueryService"), 2);
  const v1::GetStatusResponse full = q.Status();
  EXPECT_LT(full.projection_position(), head);
  EXPECT_NE(full.last_error().find("No space left on device"),
            std::string::npos)
      << full.last_error();
  // Still answering from what it applied, stamped with that position.
  grpc::Status status;
  const v1::GetTemperatureResponse during =
      Temperature(q.stub(), series, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(during.position(), full.projection_position());
  EXPECT_FALSE(q.process().WaitFor(absl::Milliseconds(100)).has_value())
      << "detente-query died on a full disk";

  // Room again: no restart, no new append.
  filler.Stop();
  ASSERT_EQ(::unlink(filler.path().c_str()), 0);
  ASSERT_TRUE(q.WaitFor(head, 30)) << "it did not catch up by itself";
  EXPECT_EQ(health_becomes(1, absl::Seconds(10)), 1);
  EXPECT_TRUE(q.Status().last_error().empty()) << q.Status().last_error();

  for (int b = 20; b < 30; ++b) head = Append(ingest_->stub(), history[b]);
  auto fresh = StartQuery("fresh");
  ASSERT_NE(fresh, nullptr);
  ASSERT_TRUE(q.WaitFor(head));
  ASSERT_TRUE(fresh->WaitFor(head));
  ExpectSameAnswers(q.stub(), fresh->stub(), head);
}

TEST_F(QueryServiceTest, TwoQueryServicesAgreeAndRebuildChangesNothing) {
  StartIngest({"--durability", "async"});
  uint64_t head = 0;
  for (auto& batch : History(99, 10))
    head = Append(ingest_->stub(), std::move(batch));
  auto a = StartQuery("a");
  auto b = StartQuery("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->WaitFor(head));
  ASSERT_TRUE(b->WaitFor(head));
  ExpectSameAnswers(a->stub(), b->stub(), head);

  grpc::ClientContext ctx;
  v1::RebuildResponse rebuilt;
  ASSERT_TRUE(a->stub().Rebuild(&ctx, {}, &rebuilt).ok());
  EXPECT_EQ(rebuilt.started_at_position(), head);
  grpc::ClientContext again;
  EXPECT_EQ(a->stub().Rebuild(&again, {}, &rebuilt).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::GetStatusResponse s;
  for (int i = 0; i < 1000; ++i) {
    s = a->Status();
    if (s.state() == v1::PROJECTION_STATE_LIVE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(s.state(), v1::PROJECTION_STATE_LIVE);
  EXPECT_EQ(s.projection_position(), head);
  ExpectSameAnswers(a->stub(), b->stub(), head);
}

TEST_F(QueryServiceTest, AStoreOfAnotherProjectionVersionIsRebuiltByItself) {
  StartIngest({"--durability", "async"});
  uint64_t head = 0;
  for (auto& batch : History(11, 3)) head = Append(ingest_->stub(), std::move(batch));
  auto a = StartQuery("a");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->WaitFor(head));
  a->process().Kill(SIGTERM);
  a->process().Wait();
  // Pretend the store was written by an older build.
  std::string current;
  std::getline(std::ifstream(dir_.Sub("a/CURRENT")), current);
  ASSERT_FALSE(current.empty());
  {
    const std::string path = dir_.Sub("a/" + current);
    // Opened with whatever column families the store has.
    auto db =
        OpenFamilyDb({.path = path,
                      .what = "the read models",
                      .families = {{rocksdb::kDefaultColumnFamilyName, {}}}});
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->db()
                    .Put(rocksdb::WriteOptions(), "mprojection_version", "0")
                    .ok());
  }
  auto again = StartQuery("a");
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->WaitFor(head, 120));
  std::string rebuilt;
  std::getline(std::ifstream(dir_.Sub("a/CURRENT")), rebuilt);
  EXPECT_NE(rebuilt, current);  // a fresh store
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("a/" + current)));
  auto fresh = StartQuery("fresh");
  ASSERT_NE(fresh, nullptr);
  ASSERT_TRUE(fresh->WaitFor(head, 120));
  ExpectSameAnswers(again->stub(), fresh->stub(), head);
}

}  // namespace
}  // namespace detente::itest
