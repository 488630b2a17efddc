// detente-ingest over real gRPC: the binary is started on a free loopback
// port with a fresh data directory per test, and every answer is checked
// against what the API contract (proto/detente/v1/*.proto) and the CAMEO /
// Goldstein reference values say, not against the service's own code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventlog/record_codec.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/event_mapping.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/temp_dir.h"
#include "text_search.h"

namespace detente::itest {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::UnorderedElementsAreArray;

std::vector<uint64_t> Positions(const std::vector<v1::RecordedEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.position());
  return out;
}

// UTC date `days` from now, "YYYY-MM-DD".
std::string UtcDatePlusDays(int days) {
  return absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24 * days),
                          absl::UTCTimeZone());
}

class IngestGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<IngestProcess>> s =
        IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                              .data_dir = dir_.Sub("data"),
                              .log_dir = dir_.path()});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  void TearDown() override {
    if (server_ == nullptr || !server_->process().running()) return;
    std::optional<ExitStatus> exit = server_->Stop();
    ASSERT_TRUE(exit.has_value()) << "detente-ingest ignored SIGTERM";
    EXPECT_TRUE(exit->exited && exit->code == 0) << exit->ToString() << "\n"
                                                 << server_->StderrText();
  }

  v1::IngestService::Stub& stub() { return server_->stub(); }

  grpc::Status Append(
      const std::vector<v1::Event>& events, v1::AppendResponse* resp,
      v1::ExpectedRevisionKind kind = v1::EXPECTED_REVISION_KIND_UNSPECIFIED,
      uint64_t expected = 0) {
    v1::AppendRequest req;
    for (const v1::Event& e : events) *req.add_entries() = e;
    req.set_expected_revision_kind(kind);
    req.set_expected_revision(expected);
    return AppendRequest(req, resp);
  }

  grpc::Status AppendRequest(const v1::AppendRequest& req,
                             v1::AppendResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(60));
    return stub().Append(&ctx, req, resp);
  }

  // Appends and requires success.
  v1::AppendResponse MustAppend(const std::vector<v1::Event>& events) {
    v1::AppendResponse resp;
    grpc::Status s = Append(events, &resp);
    EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
    return resp;
  }

  uint64_t Head() {
    v1::GetInfoResponse info;
    grpc::Status s = GetInfo(stub(), &info);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return info.head_position();
  }

  std::string NewId() { return RandomUuid(rng_); }

  TempDir dir_;
  std::unique_ptr<IngestProcess> server_;
  std::mt19937_64 rng_{20240229};
};

TEST_F(IngestGrpcTest, AppendThenReadRoundTripsEveryField) {
  const std::string id1 = "3F1C7D2E-8A4B-4C6D-9E0F-1A2B3C4D5E6F";  // any case
  v1::Event e1 = MakeEvent(id1, "2023-03", "KOR", "JPN", "036",
                           "Seoul and Tokyo agree to resume shuttle diplomacy "
                           "\xe2\x80\x94 \xe6\x97\xa5\xe9\x9f\x93");
  e1.add_tags("diplomacy");
  e1.add_tags("summit");
  e1.set_summary("Yoon visits Tokyo.");
  e1.set_source_name("Example Daily");
  e1.set_source_url("https://example.org/2023/03/16");
  // ROU is the ISO alias of CAMEO's ROM; year precision; explicit override.
  v1::Event e2 = MakeEvent(NewId(), "1956", "ROU", "JPN", "042");
  e2.set_goldstein(-2.5);
  e2.set_tone(-3.25);
  e2.set_weight(7);
  v1::Event e3 = MakeEvent(NewId(), "2019-07-01", "JPN", "KOR", "163");
  v1::Event e4 = MakeEvent(NewId(), "2019-08-24", "KOR", "JPN", "061");
  v1::Event e5 = MakeEvent(NewId(), "2019-08-03", "KOR", "JPN", "141");

  const absl::Time before = absl::Now();
  v1::AppendResponse resp = MustAppend({e1, e2, e3, e4, e5});
  const absl::Time after = absl::Now();
  EXPECT_EQ(resp.first_position(), 1u);
  EXPECT_EQ(resp.last_position(), 5u);
  EXPECT_EQ(resp.head_position(), 5u);
  ASSERT_EQ(resp.results_size(), 5);
  EXPECT_EQ(resp.results(0).event_id(), "3f1c7d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f");
  EXPECT_EQ(resp.results(0).stream(), "JPN-KOR");
  EXPECT_EQ(resp.results(0).stream_revision(), 0u);
  EXPECT_EQ(resp.results(1).stream(), "JPN-ROM");
  EXPECT_EQ(resp.results(1).stream_revision(), 0u);
  EXPECT_EQ(resp.results(2).stream_revision(), 1u);
  EXPECT_EQ(resp.results(4).stream_revision(), 3u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(resp.results(i).position(), static_cast<uint64_t>(i + 1));
    EXPECT_FALSE(resp.results(i).duplicate());
  }

  ReadOutcome read = ReadAll(stub(), v1::ReadRequest());
  ASSERT_TRUE(read.status.ok()) << read.status.error_message();
  ASSERT_EQ(read.events.size(), 5u);
  EXPECT_EQ(read.head_position, 5u);

  const v1::RecordedEvent& r1 = read.events[0];
  EXPECT_EQ(r1.position(), 1u);
  EXPECT_EQ(r1.stream(), "JPN-KOR");
  EXPECT_EQ(r1.stream_revision(), 0u);
  EXPECT_EQ(r1.quad_class(), v1::QUAD_CLASS_VERBAL_COOPERATION);
  EXPECT_EQ(r1.event().event_id(), "3f1c7d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f");
  EXPECT_EQ(r1.event().occurred_on(), "2023-03");  // precision kept
  EXPECT_EQ(r1.event().source(), "KOR");
  EXPECT_EQ(r1.event().target(), "JPN");
  EXPECT_EQ(r1.event().event_code(), "036");
  ASSERT_TRUE(r1.event().has_goldstein());
  EXPECT_EQ(r1.event().goldstein(), 4.0);  // CAMEO 036, Goldstein table
  EXPECT_EQ(r1.event().weight(), 1u);      // default
  EXPECT_FALSE(r1.event().has_tone());
  EXPECT_THAT(r1.event().tags(), ElementsAre("diplomacy", "summit"));
  EXPECT_EQ(r1.event().title(), e1.title());
  EXPECT_EQ(r1.event().summary(), "Yoon visits Tokyo.");
  EXPECT_EQ(r1.event().source_name(), "Example Daily");
  EXPECT_EQ(r1.event().source_url(), "https://example.org/2023/03/16");
  EXPECT_TRUE(r1.event().kind() == v1::ENTRY_KIND_EVENT ||
              r1.event().kind() == v1::ENTRY_KIND_UNSPECIFIED);
  ASSERT_TRUE(r1.has_recorded_at());
  const absl::Time recorded =
      absl::FromUnixSeconds(r1.recorded_at().seconds()) +
      absl::Nanoseconds(r1.recorded_at().nanos());
  EXPECT_GE(recorded, before - absl::Seconds(2));
  EXPECT_LE(recorded, after + absl::Seconds(2));

  const v1::RecordedEvent& r2 = read.events[1];
  EXPECT_EQ(r2.event().source(), "ROM");  // canonical CAMEO code
  EXPECT_EQ(r2.event().target(), "JPN");
  EXPECT_EQ(r2.stream(), "JPN-ROM");
  EXPECT_EQ(r2.event().occurred_on(), "1956");
  EXPECT_EQ(r2.event().goldstein(), -2.5);  // the override wins
  EXPECT_EQ(r2.event().tone(), -3.25);
  EXPECT_EQ(r2.event().weight(), 7u);
  EXPECT_EQ(r2.quad_class(), v1::QUAD_CLASS_VERBAL_COOPERATION);

  // Goldstein: 163 -8.0, 061 +6.4, 141 -6.5; quad classes by CAMEO root.
  EXPECT_EQ(read.events[2].event().goldstein(), -8.0);
  EXPECT_EQ(read.events[2].quad_class(), v1::QUAD_CLASS_MATERIAL_CONFLICT);
  EXPECT_EQ(read.events[2].stream_revision(), 1u);
  EXPECT_EQ(read.events[3].event().goldstein(), 6.4);
  EXPECT_EQ(read.events[3].quad_class(), v1::QUAD_CLASS_MATERIAL_COOPERATION);
  EXPECT_EQ(read.events[4].event().goldstein(), -6.5);
  EXPECT_EQ(read.events[4].quad_class(), v1::QUAD_CLASS_VERBAL_CONFLICT);
  EXPECT_EQ(read.events[4].stream_revision(), 3u);
  for (const auto& r : read.events) {
    EXPECT_EQ(r.recorded_at().seconds(), r1.recorded_at().seconds())
        << "one batch, one commit";
  }
}

TEST_F(IngestGrpcTest, RetryIsIdempotent) {
  const std::vector<v1::Event> batch = {
      MakeEvent(NewId(), "2015-12-28", "KOR", "JPN", "057"),
      MakeEvent(NewId(), "2018-06-12", "USA", "PRK", "036")};
  v1::AppendResponse first = MustAppend(batch);
  MustAppend({MakeEvent(NewId(), "2019-07-01", "JPN", "KOR", "163")});
  ASSERT_EQ(Head(), 3u);

  v1::AppendResponse retry = MustAppend(batch);
  EXPECT_EQ(retry.first_position(), 0u);
  EXPECT_EQ(retry.last_position(), 0u);
  EXPECT_EQ(retry.head_position(), 3u);
  ASSERT_EQ(retry.results_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(retry.results(i).duplicate());
    EXPECT_EQ(retry.results(i).position(), first.results(i).position());
    EXPECT_EQ(retry.results(i).event_id(), batch[i].event_id());
    EXPECT_EQ(retry.results(i).stream(), first.results(i).stream());
    EXPECT_EQ(retry.results(i).stream_revision(),
              first.results(i).stream_revision());
  }
  EXPECT_EQ(Head(), 3u);

  // A batch mixing a duplicate and a new event writes only the new one.
  v1::Event fresh = MakeEvent(NewId(), "2023-08-18", "USA", "KOR", "036");
  v1::AppendResponse mixed = MustAppend({batch[0], fresh});
  ASSERT_EQ(mixed.results_size(), 2);
  EXPECT_TRUE(mixed.results(0).duplicate());
  EXPECT_EQ(mixed.results(0).position(), 1u);
  EXPECT_FALSE(mixed.results(1).duplicate());
  EXPECT_EQ(mixed.results(1).position(), 4u);
  EXPECT_EQ(mixed.first_position(), 4u);
  EXPECT_EQ(mixed.last_position(), 4u);
  EXPECT_EQ(Head(), 4u);
  ReadOutcome read = ReadAll(stub(), v1::ReadRequest());
  EXPECT_THAT(Positions(read.events), ElementsAre(1, 2, 3, 4));
}

// RESULT_DETAIL_SUMMARY: counts and positions, and a result (with its
// index) only for each duplicate; the written entries take the positions
// first..last in request order, which the read below checks on its own.
TEST_F(IngestGrpcTest, SummaryAnswersNameOnlyTheDuplicates) {
  const std::vector<v1::Event> old = {
      MakeEvent(NewId(), "1965-06-22", "JPN", "KOR", "057"),
      MakeEvent(NewId(), "1998-10-08", "KOR", "JPN", "057")};
  v1::AppendResponse full = MustAppend(old);
  EXPECT_EQ(full.appended(), 2u);
  EXPECT_EQ(full.duplicates(), 0u);
  ASSERT_EQ(full.results_size(), 2);
  EXPECT_EQ(full.results(1).index(), 0u) << "full answers leave index unset";

  const std::vector<v1::Event> batch = {
      MakeEvent(NewId(), "2002-05-31", "KOR", "JPN", "061"), old[0],
      MakeEvent(NewId(), "2015-12-28", "KOR", "JPN", "057"), old[1],
      MakeEvent(NewId(), "2023-03-16", "JPN", "KOR", "036")};
  v1::AppendRequest req;
  for (const v1::Event& e : batch) *req.add_entries() = e;
  req.set_result_detail(v1::RESULT_DETAIL_SUMMARY);
  v1::AppendResponse summary;
  grpc::Status s = AppendRequest(req, &summary);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(summary.appended(), 3u);
  EXPECT_EQ(summary.duplicates(), 2u);
  EXPECT_EQ(summary.first_position(), 3u);
  EXPECT_EQ(summary.last_position(), 5u);
  EXPECT_EQ(summary.head_position(), 5u);
  ASSERT_EQ(summary.results_size(), 2);
  for (int k = 0; k < 2; ++k) {
    SCOPED_TRACE(k);
    const v1::EntryResult& r = summary.results(k);
    EXPECT_EQ(r.index(), k == 0 ? 1u : 3u);
    EXPECT_TRUE(r.duplicate());
    EXPECT_EQ(r.position(), full.results(k).position());
    EXPECT_EQ(r.event_id(), full.results(k).event_id());
    EXPECT_EQ(r.stream(), full.results(k).stream());
  }
  ReadOutcome read = ReadAll(stub(), v1::ReadRequest());
  ASSERT_THAT(Positions(read.events), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(read.events[2].event().event_id(), batch[0].event_id());
  EXPECT_EQ(read.events[3].event().event_id(), batch[2].event_id());
  EXPECT_EQ(read.events[4].event().event_id(), batch[4].event_id());

  // The same over AppendStream; a batch of duplicates only has no range.
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  auto stream = stub().AppendStream(&ctx);
  v1::AppendStreamRequest sreq;
  *sreq.mutable_batch() = req;
  ASSERT_TRUE(stream->Write(sreq));
  ASSERT_TRUE(stream->WritesDone());
  v1::AppendStreamResponse sresp;
  ASSERT_TRUE(stream->Read(&sresp));
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_TRUE(sresp.has_result());
  EXPECT_EQ(sresp.result().appended(), 0u);
  EXPECT_EQ(sresp.result().duplicates(), 5u);
  EXPECT_EQ(sresp.result().first_position(), 0u);
  ASSERT_EQ(sresp.result().results_size(), 5);
  EXPECT_EQ(sresp.result().results(4).index(), 4u);
  EXPECT_EQ(sresp.result().results(4).position(), 5u);
  EXPECT_EQ(Head(), 5u);
}

TEST_F(IngestGrpcTest, AnUnknownResultDetailIsRejected) {
  v1::AppendRequest req;
  *req.add_entries() = MakeEvent(NewId(), "2002-05-31", "KOR", "JPN", "061");
  req.set_result_detail(static_cast<v1::ResultDetail>(7));
  v1::AppendResponse resp;
  grpc::Status s = AppendRequest(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(s), ElementsAre("result_detail"));
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("unknown value 7"));
  EXPECT_EQ(Head(), 0u) << "a rejected batch must write nothing";
}

TEST_F(IngestGrpcTest, GetEventFoundNotFoundAndMalformed) {
  const std::string id = NewId();
  MustAppend({MakeEvent(NewId(), "1965-06-22", "JPN", "KOR", "057"),
              MakeEvent(id, "1998-10-08", "KOR", "JPN", "057")});
  {
    grpc::ClientContext ctx;
    v1::GetEventRequest req;
    std::string upper = id;
    for (char& c : upper) c = static_cast<char>(std::toupper(c));
    req.set_event_id(upper);
    v1::GetEventResponse resp;
    grpc::Status s = stub().GetEvent(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.event().event().event_id(), id);
    EXPECT_EQ(resp.event().position(), 2u);
    EXPECT_EQ(resp.event().stream(), "JPN-KOR");
    EXPECT_EQ(resp.event().stream_revision(), 1u);
    EXPECT_EQ(resp.event().event().occurred_on(), "1998-10-08");
    EXPECT_EQ(resp.event().event().goldstein(), 8.0);
  }
  {
    grpc::ClientContext ctx;
    v1::GetEventRequest req;
    req.set_event_id(NewId());
    v1::GetEventResponse resp;
    EXPECT_EQ(stub().GetEvent(&ctx, req, &resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  for (const std::string bad :
       {"", "not-a-uuid", "3f1c7d2e8a4b4c6d9e0f1a2b3c4d5e6f0",
        "3f1c7d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6g"}) {
    SCOPED_TRACE(bad);
    grpc::ClientContext ctx;
    v1::GetEventRequest req;
    req.set_event_id(bad);
    v1::GetEventResponse resp;
    grpc::Status s = stub().GetEvent(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(BadRequestFields(s), ElementsAre("event_id"));
  }
}

TEST_F(IngestGrpcTest, GetInfoReportsHeadAndCounters) {
  v1::GetInfoResponse info;
  ASSERT_TRUE(GetInfo(stub(), &info).ok());
  EXPECT_EQ(info.head_position(), 0u);
  EXPECT_EQ(info.entry_count(), 0u);
  EXPECT_EQ(info.stream_count(), 0u);
  EXPECT_EQ(info.durability(), "sync");  // the default
  EXPECT_GE(info.format_version(), 1u);

  MustAppend({MakeEvent(NewId(), "1965-06-22", "JPN", "KOR", "057"),
              MakeEvent(NewId(), "2018-06-12", "USA", "PRK", "036"),
              MakeEvent(NewId(), "2019-07-01", "KOR", "JPN", "163")});
  ASSERT_TRUE(GetInfo(stub(), &info).ok());
  EXPECT_EQ(info.head_position(), 3u);
  EXPECT_EQ(info.entry_count(), 3u);
  EXPECT_EQ(info.stream_count(), 2u);  // JPN-KOR, PRK-USA
  EXPECT_GT(info.disk_bytes(), 0u);
}

// The inclusive ends of the documented limits are accepted.
TEST_F(IngestGrpcTest, LimitsAreInclusive) {
  std::string title;
  for (int i = 0; i < 300; ++i) title += "\xc3\xa9";  // 300 chars, 600 bytes
  v1::Event long_title =
      MakeEvent(NewId(), "2020-02-29", "KOR", "JPN", "036", title);
  v1::Event max_score = MakeEvent(NewId(), "0001-01-01", "KOR", "JPN", "036");
  max_score.set_goldstein(10.0);
  // Tomorrow (UTC) is the latest date allowed.
  v1::Event min_score =
      MakeEvent(NewId(), UtcDatePlusDays(1), "KOR", "JPN", "036");
  min_score.set_goldstein(-10.0);
  std::vector<v1::Event> batch = {long_title, max_score, min_score};
  v1::AppendResponse resp;
  grpc::Status s = Append(batch, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Head(), 3u);

  // 10,000 entries is the largest batch.
  std::vector<v1::Event> big;
  for (int i = 0; i < 10000; ++i) {
    big.push_back(MakeEvent(NewId(), "2001", "USA", "CHN", "036"));
  }
  s = Append(big, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.first_position(), 4u);
  EXPECT_EQ(resp.last_position(), 10003u);
  EXPECT_EQ(Head(), 10003u);
}

struct BadCase {
  std::string name;
  std::vector<v1::Event> entries;
  std::vector<std::string> fields;  // expected violations, any order
};

TEST_F(IngestGrpcTest, RejectsBadInputWithFieldViolations) {
  // Existing entries for the cases about subjects.
  const std::string original = NewId();
  const std::string retraction = NewId();
  v1::Event retract = MakeEvent(retraction, "", "", "", "");
  retract.set_kind(v1::ENTRY_KIND_RETRACTION);
  retract.set_subject_event_id(original);
  MustAppend({MakeEvent(original, "1965-06-22", "JPN", "KOR", "057"), retract});
  ASSERT_EQ(Head(), 2u);

  auto ok = [&](const std::string& title = "") {
    return MakeEvent(NewId(), "2015-12-28", "KOR", "JPN", "057", title);
  };
  auto with = [&](auto change) {
    v1::Event e = ok();
    change(e);
    return e;
  };
  std::vector<BadCase> cases;
  // The client's protobuf serializes invalid UTF-8 in a proto3 string (it
  // only logs); the server parses appends leniently so that validation can
  // name the field.
  cases.push_back(
      {"invalid UTF-8 title", {ok("bad \xc3\x28 byte")}, {"entries[0].title"}});
  cases.push_back({"title of 301 chars",
                   {ok(std::string(300, 'a') + "\xc3\xa9")},
                   {"entries[0].title"}});
  {
    std::vector<v1::Event> many;
    for (int i = 0; i < 10001; ++i) many.push_back(ok());
    cases.push_back({"10,001 entries", std::move(many), {"entries"}});
  }
  cases.push_back({"empty batch", {}, {"entries"}});
  cases.push_back({"NaN goldstein",
                   {with([](v1::Event& e) {
                     e.set_goldstein(std::numeric_limits<double>::quiet_NaN());
                   })},
                   {"entries[0].goldstein"}});
  cases.push_back({"infinite goldstein",
                   {with([](v1::Event& e) {
                     e.set_goldstein(-std::numeric_limits<double>::infinity());
                   })},
                   {"entries[0].goldstein"}});
  cases.push_back({"goldstein 10.5",
                   {with([](v1::Event& e) { e.set_goldstein(10.5); })},
                   {"entries[0].goldstein"}});
  cases.push_back(
      {"2021-02-29",
       {with([](v1::Event& e) { e.set_occurred_on("2021-02-29"); })},
       {"entries[0].occurred_on"}});
  cases.push_back(
      {"year 0",
       {with([](v1::Event& e) { e.set_occurred_on("0000-01-01"); })},
       {"entries[0].occurred_on"}});
  cases.push_back(
      {"year 10000",
       {with([](v1::Event& e) { e.set_occurred_on("10000-01-01"); })},
       {"entries[0].occurred_on"}});
  cases.push_back(
      {"two days in the future",
       {with([](v1::Event& e) { e.set_occurred_on(UtcDatePlusDays(2)); })},
       {"entries[0].occurred_on"}});
  cases.push_back({"unknown actor XXX",
                   {with([](v1::Event& e) { e.set_source("XXX"); })},
                   {"entries[0].source"}});
  cases.push_back({"unknown event code 999",
                   {with([](v1::Event& e) { e.set_event_code("999"); })},
                   {"entries[0].event_code"}});
  cases.push_back({"source == target",
                   {with([](v1::Event& e) { e.set_target("KOR"); })},
                   {"entries[0].target"}});
  {
    v1::Event a = ok();
    v1::Event b = ok();
    b.set_event_id(a.event_id());
    cases.push_back(
        {"duplicate ids in a batch", {a, b}, {"entries[1].event_id"}});
  }
  cases.push_back({"malformed UUID",
                   {with([](v1::Event& e) {
                     e.set_event_id("3f1c7d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6");
                   })},
                   {"entries[0].event_id"}});
  {
    v1::Event c = ok();
    c.set_kind(v1::ENTRY_KIND_CORRECTION);
    c.set_subject_event_id(NewId());
    cases.push_back(
        {"correction of an unknown id", {c}, {"entries[0].subject_event_id"}});
  }
  {
    v1::Event r = MakeEvent(NewId(), "", "", "", "");
    r.set_kind(v1::ENTRY_KIND_RETRACTION);
    r.set_subject_event_id(retraction);
    cases.push_back(
        {"retraction of a retraction", {r}, {"entries[0].subject_event_id"}});
  }
  cases.push_back(
      {"entry 2 of 3 bad",
       {ok(), ok(), with([](v1::Event& e) { e.set_target("XXX"); })},
       {"entries[2].target"}});
  cases.push_back(
      {"several violations in one entry",
       {with([](v1::Event& e) {
         e.set_occurred_on("2021-02-29");
         e.set_source("XXX");
         e.set_event_code("999");
         e.set_goldstein(11);
         e.set_title(std::string(301, 't'));
       })},
       {"entries[0].occurred_on", "entries[0].source", "entries[0].event_code",
        "entries[0].goldstein", "entries[0].title"}});

  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    v1::AppendResponse resp;
    grpc::Status s = Append(c.entries, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message();
    EXPECT_THAT(BadRequestFields(s), UnorderedElementsAreArray(c.fields))
        << s.error_message();
    EXPECT_EQ(Head(), 2u) << "a rejected batch must write nothing";
  }
  // None of the good entries of the rejected batches is in the log.
  for (const BadCase& c : cases) {
    for (const v1::Event& e : c.entries) {
      grpc::ClientContext ctx;
      v1::GetEventRequest req;
      req.set_event_id(e.event_id());
      v1::GetEventResponse resp;
      grpc::Status s = stub().GetEvent(&ctx, req, &resp);
      if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) continue;
      EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND)
          << c.name << ": " << e.event_id();
    }
  }
}

TEST_F(IngestGrpcTest, ExpectedRevisionIsChecked) {
  for (int i = 0; i < 5; ++i) {  // JPN-KOR revisions 0..4
    MustAppend({MakeEvent(NewId(), "2019-07-0" + std::to_string(i + 1), "JPN",
                          "KOR", "163")});
  }
  v1::AppendResponse resp;
  const std::vector<v1::Event> next = {
      MakeEvent(NewId(), "2019-08-01", "KOR", "JPN", "141")};

  grpc::Status s = Append(next, &resp, v1::EXPECTED_REVISION_KIND_EXACT, 17);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(ContainsRegex(s.error_message(), "\\b17\\b"))
      << "expected revision missing: " << s.error_message();
  EXPECT_TRUE(ContainsRegex(s.error_message(), "\\b4\\b"))
      << "actual revision missing: " << s.error_message();
  EXPECT_EQ(Head(), 5u);

  s = Append(next, &resp, v1::EXPECTED_REVISION_KIND_NO_STREAM);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Head(), 5u);

  s = Append(next, &resp, v1::EXPECTED_REVISION_KIND_EXACT, 4);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.results(0).stream_revision(), 5u);
  EXPECT_EQ(resp.results(0).position(), 6u);

  // A retry of a committed batch succeeds although its expectation is stale.
  s = Append(next, &resp, v1::EXPECTED_REVISION_KIND_EXACT, 4);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.results(0).duplicate());
  EXPECT_EQ(resp.results(0).position(), 6u);

  s = Append({MakeEvent(NewId(), "2001", "USA", "CHN", "036")}, &resp,
             v1::EXPECTED_REVISION_KIND_NO_STREAM);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.results(0).stream(), "CHN-USA");
  EXPECT_EQ(resp.results(0).stream_revision(), 0u);

  // An expectation needs a single-stream batch.
  s = Append({MakeEvent(NewId(), "2001", "USA", "CHN", "036"),
              MakeEvent(NewId(), "2001", "KOR", "JPN", "036")},
             &resp, v1::EXPECTED_REVISION_KIND_EXACT, 0);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(s), ElementsAre("expected_revision"));
  EXPECT_EQ(Head(), 7u);
}

TEST_F(IngestGrpcTest, RequestOverTheServerLimitIsResourceExhausted) {
  // One entry with a 65 MiB title: the size limit (64 MiB) is checked
  // before the content. Building it takes well under a second.
  v1::AppendRequest req;
  *req.add_entries() = MakeEvent(NewId(), "2001", "USA", "CHN", "036",
                                 std::string(65u << 20, 'a'));
  ASSERT_GT(req.ByteSizeLong(), 64u << 20);
  v1::AppendResponse resp;
  grpc::Status s = AppendRequest(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  EXPECT_EQ(Head(), 0u);
  // The server still serves.
  MustAppend({MakeEvent(NewId(), "2001", "USA", "CHN", "036")});
  EXPECT_EQ(Head(), 1u);
}

TEST_F(IngestGrpcTest, AppendStreamRejectsOnlyTheBadBatch) {
  std::vector<std::vector<v1::Event>> batches = {
      {MakeEvent(NewId(), "1965-06-22", "JPN", "KOR", "057"),
       MakeEvent(NewId(), "1998-10-08", "KOR", "JPN", "057")},
      {MakeEvent(NewId(), "2002-05-31", "KOR", "JPN", "061"),
       MakeEvent(NewId(), "2002-06-01", "KOR", "XXX", "061"),
       MakeEvent(NewId(), "2002-06-02", "JPN", "KOR", "061")},
      {MakeEvent(NewId(), "2015-12-28", "KOR", "JPN", "057")}};
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  auto stream = stub().AppendStream(&ctx);
  for (size_t b = 0; b < batches.size(); ++b) {
    v1::AppendStreamRequest req;
    req.set_batch_id(11 + b);
    for (const auto& e : batches[b]) *req.mutable_batch()->add_entries() = e;
    ASSERT_TRUE(stream->Write(req));
  }
  ASSERT_TRUE(stream->WritesDone());
  std::vector<v1::AppendStreamResponse> answers;
  v1::AppendStreamResponse resp;
  while (stream->Read(&resp)) answers.push_back(resp);
  grpc::Status s = stream->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(answers.size(), 3u);

  EXPECT_EQ(answers[0].batch_id(), 11u);
  ASSERT_TRUE(answers[0].has_result());
  EXPECT_FALSE(answers[0].has_error());
  EXPECT_EQ(answers[0].result().first_position(), 1u);
  EXPECT_EQ(answers[0].result().last_position(), 2u);

  EXPECT_EQ(answers[1].batch_id(), 12u);
  EXPECT_FALSE(answers[1].has_result());
  ASSERT_TRUE(answers[1].has_error());
  EXPECT_EQ(answers[1].error().code(), 3);  // INVALID_ARGUMENT
  EXPECT_THAT(BadRequestFields(answers[1].error()),
              ElementsAre("entries[1].target"));

  EXPECT_EQ(answers[2].batch_id(), 13u);
  ASSERT_TRUE(answers[2].has_result());
  EXPECT_EQ(answers[2].result().first_position(), 3u);
  EXPECT_EQ(answers[2].result().head_position(), 3u);

  EXPECT_EQ(Head(), 3u);
  for (const v1::Event& e : batches[1]) {
    grpc::ClientContext c;
    v1::GetEventRequest req;
    req.set_event_id(e.event_id());
    v1::GetEventResponse r;
    EXPECT_EQ(stub().GetEvent(&c, req, &r).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
}

// Clients that go away with batches still committing, good and bad ones
// (a bad batch is answered on gRPC's thread, a good one on the log's): the
// service stays up (under the sanitizers too: its stream may not be
// touched once another thread has finished it) and its log gapless.
TEST_F(IngestGrpcTest, AppendStreamsCancelledWithBatchesInFlight) {
  for (int round = 0; round < 60; ++round) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    auto stream = stub().AppendStream(&ctx);
    for (int b = 0; b < 4; ++b) {
      v1::AppendStreamRequest req;
      for (int i = 0; i < 20; ++i) {
        *req.mutable_batch()->add_entries() = MakeEvent(
            NewId(), "2002-05-31", "KOR", (b % 2 == 0) ? "JPN" : "XXX", "061");
      }
      if (!stream->Write(req)) break;
    }
    if (round % 2 == 0) {
      v1::AppendStreamResponse resp;
      stream->Read(&resp);  // the first answer, then away
    }
    ctx.TryCancel();
    stream->Finish();
  }
  ASSERT_TRUE(server_->process().running()) << server_->StderrText();
  MustAppend({MakeEvent(NewId(), "2023-03-16", "JPN", "KOR", "036")});
  const uint64_t head = Head();
  ReadOutcome read = ReadAll(stub(), v1::ReadRequest());
  ASSERT_EQ(read.events.size(), head);
  for (uint64_t i = 0; i < head; ++i) {
    ASSERT_EQ(read.events[i].position(), i + 1);
  }
  EXPECT_EQ(head % 20, 1u) << "whole batches of 20 and the last event";
}

TEST_F(IngestGrpcTest, SubscribeCatchesUpThenFollowsLiveCommits) {
  for (int i = 0; i < 5; ++i) {
    MustAppend({MakeEvent(NewId(), "2019", "JPN", "KOR", "036")});
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  v1::SubscribeRequest req;
  req.set_heartbeat_ms(200);
  req.set_batch_size(2);
  auto reader = stub().Subscribe(&ctx, req);

  std::vector<uint64_t> delivered;
  int caught_up = 0;
  v1::SubscribeResponse m;
  // Existing events, then CAUGHT_UP.
  while (caught_up == 0) {
    ASSERT_TRUE(reader->Read(&m)) << reader->Finish().error_message();
    if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_EVENTS) {
      EXPECT_LE(m.events_size(), 2);
      for (const auto& e : m.events()) delivered.push_back(e.position());
    } else if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) {
      ++caught_up;
      EXPECT_EQ(m.position(), 5u);
      EXPECT_EQ(m.head_position(), 5u);
    }
  }
  EXPECT_THAT(delivered, ElementsAre(1, 2, 3, 4, 5));

  // Live commits, in two appends.
  MustAppend({MakeEvent(NewId(), "2020", "JPN", "KOR", "036"),
              MakeEvent(NewId(), "2020", "JPN", "KOR", "036"),
              MakeEvent(NewId(), "2020", "JPN", "KOR", "036")});
  auto read_until = [&](uint64_t position) {
    while (delivered.empty() || delivered.back() < position) {
      if (!reader->Read(&m)) return false;
      if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) ++caught_up;
      for (const auto& e : m.events()) delivered.push_back(e.position());
    }
    return true;
  };
  ASSERT_TRUE(read_until(8));
  MustAppend({MakeEvent(NewId(), "2021", "KOR", "JPN", "036")});
  ASSERT_TRUE(read_until(9));
  EXPECT_THAT(delivered, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9));

  // Idle: checkpoints at position 9, every ~200 ms.
  int checkpoints = 0;
  const absl::Time start = absl::Now();
  while (checkpoints < 3) {
    ASSERT_TRUE(reader->Read(&m));
    EXPECT_EQ(m.events_size(), 0) << "no new events were committed";
    if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) ++caught_up;
    if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CHECKPOINT) {
      ++checkpoints;
      EXPECT_EQ(m.position(), 9u);
      EXPECT_EQ(m.head_position(), 9u);
    }
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(caught_up, 1) << "CAUGHT_UP is sent once";
  ctx.TryCancel();
  reader->Finish();
}

TEST_F(IngestGrpcTest, FilteredSubscribeSendsAdvancingCheckpoints) {
  MustAppend({MakeEvent(NewId(), "2019", "JPN", "KOR", "036"),
              MakeEvent(NewId(), "2019", "KOR", "JPN", "036"),
              MakeEvent(NewId(), "2019", "JPN", "KOR", "036")});
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  v1::SubscribeRequest req;
  req.set_heartbeat_ms(200);
  req.mutable_filter()->set_stream("KOR-USA");
  auto reader = stub().Subscribe(&ctx, req);

  v1::SubscribeResponse m;
  uint64_t last = 0;
  int caught_up = 0;
  // Reads until a checkpoint reaches `position`; nothing may be delivered.
  auto checkpoint_reaches = [&](uint64_t position) {
    while (true) {
      if (!reader->Read(&m)) return false;
      EXPECT_NE(m.kind(), v1::SUBSCRIBE_RESPONSE_KIND_EVENTS)
          << "only JPN-KOR was written";
      EXPECT_GE(m.position(), last) << "positions never go back";
      last = m.position();
      if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) ++caught_up;
      if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CHECKPOINT &&
          m.position() >= position) {
        return true;
      }
    }
  };
  ASSERT_TRUE(checkpoint_reaches(3));
  EXPECT_EQ(last, 3u);
  MustAppend({MakeEvent(NewId(), "2020", "JPN", "KOR", "036"),
              MakeEvent(NewId(), "2020", "JPN", "KOR", "036")});
  ASSERT_TRUE(checkpoint_reaches(5));
  EXPECT_EQ(last, 5u);
  EXPECT_EQ(caught_up, 1);

  // A matching event is delivered.
  const std::string id = NewId();
  MustAppend({MakeEvent(id, "2023-08-18", "USA", "KOR", "036")});
  while (true) {
    ASSERT_TRUE(reader->Read(&m));
    if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_EVENTS) break;
  }
  ASSERT_EQ(m.events_size(), 1);
  EXPECT_EQ(m.events(0).event().event_id(), id);
  EXPECT_EQ(m.events(0).position(), 6u);
  EXPECT_EQ(m.events(0).stream(), "KOR-USA");
  EXPECT_EQ(m.position(), 6u);
  ctx.TryCancel();
  reader->Finish();
}

// stored_records (what detente-query asks for): the same entries at the
// same positions as the RecordedEvents of a plain Subscribe, with a filter
// that leaves gaps and pages of two; each record, decoded with the log's
// codec, is the RecordedEvent the plain one sends, every field included.
TEST_F(IngestGrpcTest, SubscribeWithStoredRecordsSendsTheSameEntries) {
  v1::Event full = MakeEvent(NewId(), "2023-03-16", "KOR", "JPN", "036",
                             "Seoul and Tokyo resume shuttle diplomacy");
  full.add_tags("diplomacy");
  full.add_tags("summit");
  full.set_summary("Yoon visits Tokyo.");
  full.set_source_name("Example Daily");
  full.set_source_url("https://example.org/2023/03/16");
  full.set_tone(-3.25);
  full.set_weight(7);
  v1::Event overridden = MakeEvent(NewId(), "1965", "JPN", "KOR", "057");
  overridden.set_goldstein(-2.5);
  MustAppend({full, MakeEvent(NewId(), "2019-07", "USA", "KOR", "042"),
              overridden,
              MakeEvent(NewId(), "2019-08-24", "KOR", "JPN", "061")});
  v1::Event correction = full;
  correction.set_event_id(NewId());
  correction.set_kind(v1::ENTRY_KIND_CORRECTION);
  correction.set_subject_event_id(full.event_id());
  correction.set_event_code("040");
  v1::Event retraction;
  retraction.set_event_id(NewId());
  retraction.set_summary("misdated");
  retraction.set_kind(v1::ENTRY_KIND_RETRACTION);
  retraction.set_subject_event_id(overridden.event_id());
  MustAppend({correction, MakeEvent(NewId(), "2020", "USA", "KOR", "042"),
              retraction});

  auto subscribe = [&](bool stored) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(60));
    v1::SubscribeRequest req;
    req.set_batch_size(2);
    req.set_stored_records(stored);
    req.mutable_filter()->set_stream("JPN-KOR");
    auto reader = stub().Subscribe(&ctx, req);
    std::vector<v1::RecordedEvent> out;
    v1::SubscribeResponse m;
    while (reader->Read(&m) &&
           m.kind() != v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) {
      if (m.kind() != v1::SUBSCRIBE_RESPONSE_KIND_EVENTS) continue;
      EXPECT_LE(m.events_size() + m.records_size(), 2);
      if (!stored) {
        EXPECT_EQ(m.records_size(), 0);
        out.insert(out.end(), m.events().begin(), m.events().end());
        continue;
      }
      EXPECT_EQ(m.events_size(), 0);
      EXPECT_EQ(m.record_positions_size(), m.records_size());
      for (int i = 0; i < m.records_size(); ++i) {
        absl::StatusOr<RecordedEntry> e =
            DecodeRecord(Position(m.record_positions(i)), m.records(i));
        EXPECT_TRUE(e.ok()) << e.status();
        if (!e.ok()) continue;
        ToProto(*e, &out.emplace_back());
      }
      EXPECT_EQ(m.position(), out.back().position());
    }
    ctx.TryCancel();
    reader->Finish();
    return out;
  };
  const std::vector<v1::RecordedEvent> events = subscribe(false);
  const std::vector<v1::RecordedEvent> records = subscribe(true);
  std::vector<uint64_t> positions;
  for (const auto& e : records) positions.push_back(e.position());
  EXPECT_THAT(positions, ElementsAre(1, 3, 4, 5, 7));
  ASSERT_EQ(records.size(), events.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(records[i],
                                                                   events[i]))
        << records[i].ShortDebugString() << "\nvs\n"
        << events[i].ShortDebugString();
  }
  EXPECT_EQ(records[3].subject_position(), 1u);
  EXPECT_EQ(records[4].subject_position(), 3u);
}

TEST_F(IngestGrpcTest, ReadBackwardLimitsBatchesAndFilters) {
  auto tagged = [&](v1::Event e, const std::string& tag) {
    e.add_tags(tag);
    return e;
  };
  MustAppend({
      tagged(MakeEvent(NewId(), "1950-06-25", "PRK", "KOR", "190"),
             "security"),                                     // 1
      MakeEvent(NewId(), "1965-06-22", "JPN", "KOR", "057"),  // 2
      MakeEvent(NewId(), "2019-07-01", "JPN", "KOR", "163"),  // 3
      MakeEvent(NewId(), "2018-06-12", "USA", "PRK", "036"),  // 4
      MakeEvent(NewId(), "2015-12-28", "KOR", "JPN", "057"),  // 5
      MakeEvent(NewId(), "2023-08-18", "USA", "KOR", "036"),  // 6
  });
  auto read = [&](auto setup) {
    v1::ReadRequest req;
    setup(req);
    ReadOutcome out = ReadAll(stub(), req);
    EXPECT_TRUE(out.status.ok()) << out.status.error_message();
    return out;
  };
  using R = v1::ReadRequest;

  ReadOutcome back =
      read([](R& r) { r.set_direction(v1::READ_DIRECTION_BACKWARD); });
  EXPECT_THAT(Positions(back.events), ElementsAre(6, 5, 4, 3, 2, 1));
  EXPECT_EQ(back.head_position, 6u);

  EXPECT_THAT(Positions(read([](R& r) {
                          r.set_direction(v1::READ_DIRECTION_BACKWARD);
                          r.set_from_position(4);
                          r.set_max_count(2);
                        }).events),
              ElementsAre(4, 3));

  ReadOutcome limited = read([](R& r) {
    r.set_max_count(4);
    r.set_batch_size(3);
  });
  EXPECT_THAT(Positions(limited.events), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(limited.message_sizes, ElementsAre(3, 1));

  EXPECT_THAT(read([](R& r) { r.set_batch_size(2); }).message_sizes,
              ElementsAre(2, 2, 2));
  EXPECT_THAT(Positions(read([](R& r) {
                          r.set_from_position(2);
                          r.set_to_position(4);
                        }).events),
              ElementsAre(2, 3, 4));

  EXPECT_THAT(Positions(read([](R& r) {
                          r.mutable_filter()->set_stream("KOR-JPN");
                        }).events),
              ElementsAre(2, 3, 5));
  EXPECT_THAT(Positions(read([](R& r) {
                          r.mutable_filter()->add_actors("USA");
                        }).events),
              ElementsAre(4, 6));
  EXPECT_THAT(Positions(read([](R& r) {
                          r.mutable_filter()->add_cameo_roots("05");
                        }).events),
              ElementsAre(2, 5));
  EXPECT_THAT(Positions(read([](R& r) {
                          r.mutable_filter()->set_occurred_from("2015");
                          r.mutable_filter()->set_occurred_to("2019-06");
                        }).events),
              ElementsAre(4, 5));
  EXPECT_THAT(Positions(read([](R& r) {
                          r.mutable_filter()->add_tags("security");
                        }).events),
              ElementsAre(1));
  EXPECT_THAT(Positions(read([](R& r) {
                          r.set_direction(v1::READ_DIRECTION_BACKWARD);
                          r.mutable_filter()->set_stream("JPN-KOR");
                          r.set_max_count(2);
                        }).events),
              ElementsAre(5, 3));

  v1::ReadRequest bad;
  bad.mutable_filter()->set_stream("KOR-KOR");
  ReadOutcome rejected = ReadAll(stub(), bad);
  EXPECT_EQ(rejected.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(rejected.status), ElementsAre("filter.stream"));
}

TEST_F(IngestGrpcTest, SigtermExitsCleanlyWithAnOpenSubscription) {
  MustAppend({MakeEvent(NewId(), "2019", "JPN", "KOR", "036")});
  std::atomic<bool> caught_up{false};
  grpc::Status stream_status;
  std::thread subscriber([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(60));
    v1::SubscribeRequest req;
    req.set_heartbeat_ms(200);
    auto reader = stub().Subscribe(&ctx, req);
    v1::SubscribeResponse m;
    while (reader->Read(&m)) {
      if (m.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) caught_up = true;
    }
    stream_status = reader->Finish();
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!caught_up && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(caught_up) << "the subscription never caught up";

  const absl::Time sent = absl::Now();
  server_->process().Kill(SIGTERM);
  std::optional<ExitStatus> exit = server_->process().WaitFor(absl::Seconds(5));
  const absl::Duration took = absl::Now() - sent;
  subscriber.join();
  ASSERT_TRUE(exit.has_value()) << "still running 5 s after SIGTERM";
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->ToString();
  EXPECT_FALSE(stream_status.ok()) << "the stream ends with the server";
  std::cout << "detente-ingest exited " << absl::FormatDuration(took)
            << " after SIGTERM\n";
}

}  // namespace
}  // namespace detente::itest
