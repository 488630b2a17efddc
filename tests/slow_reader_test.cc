// Clients that stop reading: eight Subscribe streams on detente-ingest and
// eight Watch streams on detente-query are opened and never read while two
// writers append 50,000 events (~250-byte titles, ~20 MiB of log). Checks:
//  - the RSS of both servers (VmRSS) grows by less than 128 MiB: buffering
//    the log for the stalled subscribers would cost ~160 MiB (8 x 20 MiB);
//  - a normal Subscribe on the ingestion service receives every entry, in
//    order and without a gap, each within 5 s of its Append being sent;
//  - a normal Watch on the query service reaches the final head;
//  - cancelling the stalled streams leaves both services healthy.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reliability_util.h"

namespace detente::itest {
namespace {

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address, int n) {
  grpc::ChannelArguments args;
  args.SetInt("detente.test.channel", n);  // no subchannel sharing
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

TEST(SlowReaderTest, StalledStreamsHoldNoMemoryAndHurtNoOne) {
  TempDir dir;
  auto started = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                                       .data_dir = dir.Sub("ingest"),
                                       .log_dir = dir.path()});
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<IngestProcess> ingest = *std::move(started);
  QueryProc query(dir.Sub("query"), ingest->address(), dir.Sub("query"));
  ASSERT_TRUE(query.Start().ok());

  // Some history first, so that the stalled subscribers have a backlog.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 10; ++i) {
    grpc::ClientContext ctx;
    v1::AppendResponse resp;
    ASSERT_TRUE(ingest->stub()
                    .Append(&ctx, ToRequest(RandomBatch(rng, 500, std::string(250, 'h'))), &resp)
                    .ok());
  }
  ASSERT_TRUE(query.WaitFor(5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t ingest_rss0 = VmRssKb(ingest->process().pid());
  const uint64_t query_rss0 = VmRssKb(query.process().pid());

  // The stalled streams: opened, never read.
  constexpr int kStalled = 8;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::IngestService::Stub>> istubs;
  std::vector<std::unique_ptr<v1::QueryService::Stub>> qstubs;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>>> subs;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::WatchResponse>>> watches;
  const std::string query_address =
      query.process().options().args[1];  // --listen ADDR
  for (int i = 0; i < kStalled; ++i) {
    channels.push_back(OwnChannel(ingest->address(), i));
    istubs.push_back(v1::IngestService::NewStub(channels.back()));
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    v1::SubscribeRequest sreq;
    sreq.set_batch_size(10000);
    sreq.set_heartbeat_ms(100);
    subs.push_back(istubs.back()->Subscribe(contexts.back().get(), sreq));

    channels.push_back(OwnChannel(query_address, 100 + i));
    qstubs.push_back(v1::QueryService::NewStub(channels.back()));
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    v1::WatchRequest wreq;
    wreq.set_actor_a("KOR");
    wreq.set_actor_b("JPN");
    wreq.mutable_options()->set_from("1990");
    wreq.mutable_options()->set_to("2020");
    wreq.mutable_options()->set_resolution(v1::RESOLUTION_DAY);  // big messages
    wreq.set_min_interval_ms(100);
    watches.push_back(qstubs.back()->Watch(contexts.back().get(), wreq));
  }

  // The normal subscriber: follows from the current head.
  v1::GetInfoResponse info;
  ASSERT_TRUE(GetInfo(ingest->stub(), &info).ok());
  const uint64_t start_head = info.head_position();
  std::mutex mu;
  std::map<std::string, absl::Time> sent;  // first event id of a batch -> send
  std::vector<double> latencies_ms;
  std::atomic<uint64_t> follower_position{start_head};
  std::atomic<bool> follower_gap{false};
  grpc::ClientContext follow_ctx;
  v1::SubscribeRequest follow_req;
  follow_req.set_after_position(start_head);
  follow_req.set_heartbeat_ms(100);
  auto follow_channel = OwnChannel(ingest->address(), 999);
  auto follow_stub = v1::IngestService::NewStub(follow_channel);
  auto follower = follow_stub->Subscribe(&follow_ctx, follow_req);
  std::thread follow_thread([&] {
    v1::SubscribeResponse msg;
    uint64_t expect = start_head + 1;
    while (follower->Read(&msg)) {
      const absl::Time now = absl::Now();
      for (const auto& e : msg.events()) {
        if (e.position() != expect) follower_gap = true;
        expect = e.position() + 1;
        std::lock_guard lock(mu);
        auto it = sent.find(e.event().event_id());
        if (it != sent.end()) {
          latencies_ms.push_back(absl::ToDoubleMilliseconds(now - it->second));
        }
      }
      follower_position = expect - 1;
    }
  });

  // The writers: 2 x 50 batches of 500.
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  std::atomic<uint64_t> last_head{0};
  uint64_t peak_ingest = 0, peak_query = 0;
  std::atomic<bool> writing{true};
  std::thread sampler([&] {
    while (writing) {
      peak_ingest = std::max(peak_ingest, VmRssKb(ingest->process().pid()));
      peak_query = std::max(peak_query, VmRssKb(query.process().pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937_64 r(100 + w);
      for (int i = 0; i < 50; ++i) {
        std::vector<v1::Event> batch = RandomBatch(r, 500, std::string(250, 'w'));
        {
          std::lock_guard lock(mu);
          sent[batch.front().event_id()] = absl::Now();
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(In(30));
        v1::AppendResponse resp;
        grpc::Status s = ingest->stub().Append(&ctx, ToRequest(batch), &resp);
        if (!s.ok()) {
          ++failures;
        } else {
          uint64_t h = last_head;
          while (resp.head_position() > h &&
                 !last_head.compare_exchange_weak(h, resp.head_position())) {
          }
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures, 0);
  const uint64_t head = last_head;
  EXPECT_EQ(head, start_head + 50000);

  // The normal subscriber has everything, the query service too.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (follower_position < head && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(follower_position, head);
  EXPECT_FALSE(follower_gap);
  EXPECT_TRUE(query.WaitFor(head, 60));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(20));
    v1::WatchRequest wreq;
    wreq.set_actor_a("USA");
    wreq.set_actor_b("CHN");
    wreq.set_min_interval_ms(100);
    auto reader = query.stub().Watch(&ctx, wreq);
    v1::WatchResponse msg;
    bool reached = false;
    while (!reached && reader->Read(&msg)) reached = msg.position() >= head;
    EXPECT_TRUE(reached) << "a normal Watch did not reach the head";
    ctx.TryCancel();
    reader->Finish();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  writing = false;
  sampler.join();
  const uint64_t ingest_rss1 = VmRssKb(ingest->process().pid());
  const uint64_t query_rss1 = VmRssKb(query.process().pid());
  peak_ingest = std::max(peak_ingest, ingest_rss1);
  peak_query = std::max(peak_query, query_rss1);

  std::sort(latencies_ms.begin(), latencies_ms.end());
  ASSERT_FALSE(latencies_ms.empty());
  const double p50 = latencies_ms[latencies_ms.size() / 2];
  const double p99 = latencies_ms[latencies_ms.size() * 99 / 100];
  const double max = latencies_ms.back();
  std::cout << "ingest RSS " << ingest_rss0 / 1024 << " -> peak "
            << peak_ingest / 1024 << " MiB; query RSS " << query_rss0 / 1024
            << " -> peak " << peak_query / 1024 << " MiB\n"
            << "live latency of the normal subscriber: p50 " << p50
            << " ms, p99 " << p99 << " ms, max " << max << " ms ("
            << latencies_ms.size() << " batches)\n";
  EXPECT_LT(peak_ingest, ingest_rss0 + 128 * 1024)
      << "detente-ingest buffers for subscribers that do not read";
  EXPECT_LT(peak_query, query_rss0 + 128 * 1024)
      << "detente-query buffers for watchers that do not read";
  EXPECT_LT(max, 5000) << "a stalled subscriber slows down the others";

  // Cancel the stalled streams; both services stay healthy.
  for (auto& c : contexts) c->TryCancel();
  for (auto& s : subs) s->Finish();
  for (auto& w : watches) w->Finish();
  follow_ctx.TryCancel();
  follow_thread.join();
  follower->Finish();
  ASSERT_TRUE(GetInfo(ingest->stub(), &info).ok());
  EXPECT_EQ(info.head_position(), head);
  EXPECT_EQ(query.Status().projection_position(), head);
  std::optional<ExitStatus> exit = ingest->Stop();
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->ToString();
}

}  // namespace
}  // namespace detente::itest
