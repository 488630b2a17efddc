#include "tools/bench/rocks_floor.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "domain/actors.h"
#include "eventlog/keys.h"
#include "eventlog/record_codec.h"
#include "eventlog/zeroed_wal.h"

namespace detente::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// The event log's options for its entries (libs/eventlog/log_db.cc,
// MakeLogDbOptions), repeated here because they are private to it.
rocksdb::Options LogLikeOptions() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.compression = rocksdb::kLZ4Compression;
  o.IncreaseParallelism(2);
  o.max_background_jobs = 2;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64u << 20);
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

std::unique_ptr<rocksdb::DB> OpenFresh(const std::string& path,
                                      rocksdb::Env* env = nullptr) {
  std::filesystem::remove_all(path);
  rocksdb::DB* db = nullptr;
  rocksdb::Options options = LogLikeOptions();
  if (env != nullptr) options.env = env;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "raw rocksdb: %s\n", s.ToString().c_str());
    std::exit(2);
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

// Encoded values of a pool of events, reused under unique keys.
std::vector<std::string> EncodedPool(const SynthEvents& gen, size_t n) {
  std::vector<std::string> pool;
  pool.reserve(n);
  const ValidationContext ctx{.today = TodayUtc()};
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<Entry> e = ValidateEntry(gen.Make(i), ctx);
    if (!e.ok()) {
      std::fprintf(stderr, "generator made an invalid event: %s\n",
                   e.status().ToString().c_str());
      std::exit(2);
    }
    RecordedEntry r;
    r.position = Position(i + 1);
    r.stream = StreamName(e->data.source, e->data.target);
    r.stream_revision = StreamRevision(i);
    r.recorded_at_micros = 1700000000000000 + static_cast<int64_t>(i);
    r.goldstein = EffectiveGoldstein(e->data);
    r.quad_class = QuadClassOfRoot(CameoRoot(e->data.event_code));
    r.entry = *std::move(e);
    pool.push_back(EncodeRecord(r));
  }
  return pool;
}

Result LoadBatches(rocksdb::DB& db, const std::vector<std::string>& pool,
                   uint64_t events, bool sync, const std::string& name) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  Latencies lat;
  const auto start = Clock::now();
  for (uint64_t p = 1; p <= events;) {
    rocksdb::WriteBatch wb;
    const uint64_t end = std::min(events + 1, p + 1000);
    for (; p < end; ++p) {
      wb.Put(keys::EntryKey(Position(p)), pool[p % pool.size()]);
    }
    const auto t = Clock::now();
    db.Write(wo, &wb);
    lat.Add(Micros(Clock::now() - t));
  }
  const double secs =
      std::chrono::duration<double>(Clock::now() - start).count();
  Result r{.scenario = name, .system = "raw rocksdb",
           .durability = sync ? "fsync" : "no fsync"};
  r.rate = static_cast<double>(events) / secs;
  r.SetLatencies(lat);
  r.note = "latency per batch";
  return r;
}

}  // namespace

Result MeasureFsync(const std::string& dir, int n) {
  const std::string path = dir + "/fsync-probe";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  char buf[4096] = {};
  Latencies lat;
  for (int i = 0; i < n && fd >= 0; ++i) {
    const auto t = Clock::now();
    if (pwrite(fd, buf, sizeof(buf), static_cast<off_t>(i) * 4096) < 0) break;
    fdatasync(fd);
    lat.Add(Micros(Clock::now() - t));
  }
  if (fd >= 0) close(fd);
  unlink(path.c_str());
  Result r{.scenario = "0 fsync (4 KiB pwrite + fdatasync)", .system = "disk",
           .durability = "fsync", .unit = "syncs/s"};
  r.SetLatencies(lat);
  r.rate = r.p50_us > 0 ? 1e6 / r.p50_us : 0;
  return r;
}

void RunRocksFloor(const FloorOptions& o, const SynthEvents& gen,
                   Report& report) {
  std::filesystem::create_directories(o.dir);
  const std::vector<std::string> pool = EncodedPool(gen, kPoolSize);
  size_t bytes = 0;
  for (const auto& v : pool) bytes += v.size();
  std::printf("# encoded event (storage value): %.0f bytes on average\n",
              static_cast<double>(bytes) / static_cast<double>(pool.size()));

  const std::string sync_path = o.dir + "/raw-sync";
  {
    auto db = OpenFresh(sync_path);
    report.Add(LoadBatches(*db, pool, o.events, true,
                           "0a raw batches x1000"));
    // One event per commit, in sequence.
    rocksdb::WriteOptions wo;
    wo.sync = true;
    Latencies lat;
    uint64_t p = o.events + 1, n = 0;
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(o.single_seconds);
    while (Clock::now() < end) {
      const auto t = Clock::now();
      db->Put(wo, keys::EntryKey(Position(p)), pool[p % pool.size()]);
      lat.Add(Micros(Clock::now() - t));
      ++p;
      ++n;
    }
    Result r{.scenario = "0b raw single event per commit",
             .system = "raw rocksdb", .durability = "fsync"};
    r.rate = static_cast<double>(n) /
             std::chrono::duration<double>(Clock::now() - start).count();
    r.SetLatencies(lat);
    report.Add(r);

    // Many writers at once: RocksDB's own write group.
    std::atomic<uint64_t> next{p + 1}, done{0};
    std::vector<Latencies> lats(o.concurrent_writers);
    std::vector<std::thread> threads;
    const auto cstart = Clock::now();
    const auto cend = cstart + std::chrono::duration<double>(o.single_seconds);
    for (int w = 0; w < o.concurrent_writers; ++w) {
      threads.emplace_back([&, w] {
        while (Clock::now() < cend) {
          const uint64_t q = next.fetch_add(1);
          const auto t = Clock::now();
          db->Put(wo, keys::EntryKey(Position(q)), pool[q % pool.size()]);
          lats[w].Add(Micros(Clock::now() - t));
          done.fetch_add(1);
        }
      });
    }
    for (auto& t : threads) t.join();
    Latencies all;
    for (auto& l : lats) all.Merge(l);
    Result c{.scenario = "0c raw 64 concurrent single-event commits",
             .system = "raw rocksdb", .durability = "fsync"};
    c.scenario = "0c raw " + std::to_string(o.concurrent_writers) +
                 " concurrent single-event commits";
    c.rate = static_cast<double>(done.load()) /
             std::chrono::duration<double>(Clock::now() - cstart).count();
    c.SetLatencies(all);
    report.Add(c);
  }
  {
    // Single synced commits through RocksDB's own WAL files (0h) and through
    // the event log's (eventlog/zeroed_wal.h: 0i), on two fresh databases;
    // and through the event log's after 0.2 ms asleep each (0j), as a lone
    // append finds the service: idle since it answered the last one (on a
    // virtual machine a halted vCPU makes the next commit slower). The three
    // take turns in slices of a quarter second so that all see the same disk.
    const std::string plain_path = o.dir + "/raw-wal-plain";
    const std::string zeroed_path = o.dir + "/raw-wal-zeroed";
    std::unique_ptr<rocksdb::DB> plain = OpenFresh(plain_path);
    std::unique_ptr<rocksdb::DB> zeroed =
        OpenFresh(zeroed_path, ZeroedWalEnv());
    rocksdb::DB* dbs[3] = {plain.get(), zeroed.get(), zeroed.get()};
    rocksdb::WriteOptions wo;
    wo.sync = true;
    Latencies lat[3];
    uint64_t n[3] = {0, 0, 0};
    uint64_t key[2] = {0, 0};  // per database
    double busy[3] = {0, 0, 0};
    const int slices = std::max(1, static_cast<int>(o.single_seconds * 4 / 3));
    for (int slice = 0; slice < slices; ++slice) {
      for (int turn = 0; turn < 3; ++turn) {
        const int v = (turn + slice) % 3;
        const auto start = Clock::now();
        const auto end = start + std::chrono::milliseconds(250);
        while (Clock::now() < end) {
          if (v == 2)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
          const uint64_t p = ++key[v == 0 ? 0 : 1];
          const auto t = Clock::now();
          dbs[v]->Put(wo, keys::EntryKey(Position(p)), pool[p % pool.size()]);
          const auto done = Clock::now();
          lat[v].Add(Micros(done - t));
          busy[v] += std::chrono::duration<double>(done - t).count();
          ++n[v];
        }
      }
    }
    const char* names[3] = {"0h raw single commits, RocksDB's WAL",
                            "0i raw single commits, WAL in zeros",
                            "0j raw single commits, WAL in zeros, idle before"};
    const char* notes[3] = {
        "taking turns with 0i and 0j",
        "eventlog/zeroed_wal.h, as the event log",
        "each after 0.2 ms asleep, as a lone append; rate = 1 / mean commit"};
    for (int v = 0; v < 3; ++v) {
      Result r{
          .scenario = names[v], .system = "raw rocksdb", .durability = "fsync"};
      r.rate = static_cast<double>(n[v]) / busy[v];
      r.SetLatencies(lat[v]);
      r.note = notes[v];
      report.Add(r);
    }
    plain.reset();
    zeroed.reset();
    std::filesystem::remove_all(plain_path);
    std::filesystem::remove_all(zeroed_path);
  }
  {
    const std::string path = o.dir + "/raw-nosync";
    auto db = OpenFresh(path);
    report.Add(LoadBatches(*db, pool, o.events, false,
                           "0d raw batches x1000"));
    db.reset();
    std::filesystem::remove_all(path);
  }
  {
    // Scan the fsynced database after reopening it (cold memtable).
    rocksdb::DB* raw = nullptr;
    rocksdb::DB::Open(LogLikeOptions(), sync_path, &raw);
    std::unique_ptr<rocksdb::DB> db(raw);
    for (bool decode : {false, true}) {
      const std::string lower = keys::EntryKey(Position(1));
      const std::string upper = keys::EntryKey(Position(o.events + 1));
      rocksdb::Slice lo(lower), hi(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_lower_bound = &lo;
      ro.iterate_upper_bound = &hi;
      ro.fill_cache = false;  // as the log's scans
      const auto start = Clock::now();
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
      uint64_t n = 0, sum = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (decode) {
          absl::StatusOr<RecordedEntry> e = DecodeRecord(
              Position(n + 1), {it->value().data(), it->value().size()});
          sum += e.ok() ? e->entry.data.title.size() : 0;
        } else {
          sum += it->value().size();
        }
        ++n;
      }
      Result r{.scenario = decode ? "0f raw forward scan + DecodeRecord"
                                  : "0e raw forward scan",
               .system = "raw rocksdb", .durability = "-"};
      r.rate = static_cast<double>(n) /
               std::chrono::duration<double>(Clock::now() - start).count();
      r.note = "checksum " + std::to_string(sum % 1000);
      report.Add(r);
    }
  }
  std::filesystem::remove_all(sync_path);
}

}  // namespace detente::bench
