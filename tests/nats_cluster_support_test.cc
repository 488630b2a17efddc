// tests/support/nats_cluster: three real nats-server processes form a
// JetStream cluster; an R3 stream takes messages (one of 7 MB, under the
// 8 MB max_payload); a SIGKILLed node's peers elect a meta leader and keep
// acknowledging publishes; the node restarted on its ports and store
// rejoins, and its own replica of the stream catches up with every message.
// Skipped when nats-server is not installed.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "support/nats_cluster.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

constexpr char kStream[] = "SUPPORT";

struct NatsClient {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ~NatsClient() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
};

natsStatus Connect(const NatsCluster& c, NatsClient* out) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<std::string> urls = absl::StrSplit(c.urls(), ',');
  std::vector<const char*> ptrs;
  for (const auto& u : urls) ptrs.push_back(u.c_str());
  if (s == NATS_OK) {
    s = natsOptions_SetServers(opts, ptrs.data(), static_cast<int>(ptrs.size()));
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 50);
  if (s == NATS_OK) s = natsConnection_Connect(&out->nc, opts);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  if (s == NATS_OK) s = natsConnection_JetStream(&out->js, out->nc, &jo);
  natsOptions_Destroy(opts);
  return s;
}

// Publishes until acknowledged (a stream leader may be being elected), up
// to `timeout`; the acknowledged sequence, 0 on failure.
uint64_t PublishAcked(jsCtx* js, const std::string& subject,
                      const std::string& data, absl::Duration timeout,
                      std::string* error) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js, subject.c_str(), data.data(),
                              static_cast<int>(data.size()), nullptr, &jerr);
    if (s == NATS_OK) {
      const uint64_t seq = ack->Sequence;
      jsPubAck_Destroy(ack);
      return seq;
    }
    *error = absl::StrCat(natsStatus_GetText(s), " (jerr ", jerr, ") ",
                          nats_GetLastError(nullptr));
    if (absl::Now() >= deadline) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST(NatsClusterSupportTest, KilledNodeRejoinsAndCatchesUp) {
  if (NatsCluster::FindServer().empty()) {
    GTEST_SKIP() << "nats-server is not installed";
  }
  TempDir dir;
  const absl::Time t0 = absl::Now();
  auto started = NatsCluster::Start({.dir = dir.Sub("nats")});
  ASSERT_TRUE(started.ok()) << started.status();
  NatsCluster& nats = **started;
  std::cout << "cluster healthy after " << absl::FormatDuration(absl::Now() - t0)
            << ": " << nats.urls() << "\n";
  ASSERT_EQ(nats.size(), 3);
  std::set<int> ports;
  for (int i = 0; i < 3; ++i) {
    ports.insert(nats.client_port(i));
    ports.insert(nats.monitor_port(i));
    EXPECT_GE(nats.MetaLeaderSeenBy(i), 0);
    EXPECT_EQ(nats.MetaLeaderSeenBy(i), nats.MetaLeaderSeenBy(0));
  }
  EXPECT_EQ(ports.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(nats.urls(), ',')).size(), 3u);

  NatsClient client;
  ASSERT_EQ(Connect(nats, &client), NATS_OK) << nats_GetLastError(nullptr);
  {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {"support.>"};
    cfg.Name = kStream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = 3;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_AddStream(&si, client.js, &cfg, nullptr, &jerr), NATS_OK)
        << jerr << " " << nats_GetLastError(nullptr);
    jsStreamInfo_Destroy(si);
  }
  std::string error;
  uint64_t seq = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t got = PublishAcked(client.js, "support.a",
                                      absl::StrCat("m", i), absl::Seconds(10),
                                      &error);
    ASSERT_EQ(got, seq + 1) << error;
    seq = got;
  }
  // max_payload is 8MB: a 7 MB message is taken.
  seq = PublishAcked(client.js, "support.big", std::string(7 << 20, 'x'),
                     absl::Seconds(10), &error);
  ASSERT_EQ(seq, 101u) << error;

  // The stream has a leader, each node a full replica.
  const int stream_leader = nats.StreamLeader(kStream);
  EXPECT_GE(stream_leader, 0);
  for (int i = 0; i < 3; ++i) {
    int64_t n = -1;
    for (int k = 0; k < 200 && n != 101; ++k) {
      n = nats.StreamMessagesOn(i, kStream);
      if (n != 101) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(n, 101) << "node " << i << "'s replica";
  }

  // Kill the meta leader: the two others elect one and go on.
  const int victim = nats.MetaLeaderSeenBy(0);
  ASSERT_GE(victim, 0);
  nats.Kill(victim);
  EXPECT_FALSE(nats.running(victim));
  ASSERT_TRUE(nats.WaitForMetaLeader(absl::Seconds(30)).ok())
      << nats.Describe();
  for (int i = 0; i < 3; ++i) {
    if (i != victim) {
      EXPECT_NE(nats.MetaLeaderSeenBy(i), victim);
    }
  }
  EXPECT_FALSE(nats.WaitHealthy(absl::Milliseconds(200)).ok());
  EXPECT_EQ(nats.StreamMessagesOn(victim, kStream), -1);
  for (int i = 0; i < 100; ++i) {
    const uint64_t got = PublishAcked(client.js, "support.b",
                                      absl::StrCat("k", i), absl::Seconds(30),
                                      &error);
    ASSERT_EQ(got, seq + 1) << error << "\n" << nats.Describe();
    seq = got;
  }

  // Back on the same ports and store: it rejoins and catches up.
  const absl::Time t1 = absl::Now();
  ASSERT_TRUE(nats.Restart(victim).ok()) << nats.LogText(victim);
  absl::Status healthy = nats.WaitHealthy(absl::Seconds(60));
  ASSERT_TRUE(healthy.ok()) << healthy << "\n" << nats.Describe();
  std::cout << "node " << victim << " rejoined in "
            << absl::FormatDuration(absl::Now() - t1) << "\n";
  const int new_stream_leader = nats.StreamLeader(kStream);
  EXPECT_GE(new_stream_leader, 0);
  for (int i = 0; i < 3; ++i) {
    int64_t n = -1;
    for (int k = 0; k < 200 && n != 201; ++k) {
      n = nats.StreamMessagesOn(i, kStream);
      if (n != 201) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(n, 201) << "node " << i << "'s replica";
  }
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_GetStreamInfo(&si, client.js, kStream, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(si->State.Msgs, 201u);
  EXPECT_EQ(si->State.LastSeq, 201u);
  ASSERT_NE(si->Cluster, nullptr);
  EXPECT_EQ(si->Cluster->ReplicasLen, 2);
  jsStreamInfo_Destroy(si);
  // A publish after the rejoin.
  EXPECT_EQ(PublishAcked(client.js, "support.c", "after", absl::Seconds(10),
                         &error),
            202u)
      << error;
}

}  // namespace
}  // namespace detente::itest
