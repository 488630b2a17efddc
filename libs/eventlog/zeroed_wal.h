// Write-ahead log files written into zeros, so that a synced append costs
// one data write and a cache flush rather than also a journal commit.
//
// A WAL file grows with every append; fdatasync must then make the file's
// new size durable as well as its data, which on ext4 is a journal (or fast
// commit) write between the data write and the cache flush: three device
// round trips per sync where an overwrite of blocks already written needs
// two (round 29 of docs/benchmarks.md traced both). RocksDB's own answer,
// recycle_log_file_num, is switched off by RocksDB 7.8 in every recovery
// mode but kSkipAnyCorruptedRecords, which we cannot use. PostgreSQL's
// (wal_init_zero) is this one: the file system below hands RocksDB WAL
// files (names ending ".log") that write zeros ahead of the appends, a
// chunk at a time, so that most syncs find their blocks allocated, written
// and inside the file's size. The writes go through the wrapped file
// system's random-access file (NewRandomRWFile), and the cuts through the
// writable file it would have handed RocksDB, so a file system below (a
// test's power-cut ledger or fault injector) sees every write and sync.
//
// Only for a database whose every write is synced (the log in sync
// durability; log_db.h's WalFiles). Nothing orders unsynced overwrites: a
// power cut may keep a later page and lose an earlier one, and RocksDB's
// reader takes the zeroed header it meets for padding, skips to the next
// 32 KiB block and replays on, past the hole (RocksDbReplaysPastAHoleOfZeros
// in zeroed_wal_test.cc). With every write synced, only the write in flight
// is unsynced: one record, which a hole tears and RocksDB drops.
//
// Contract with RocksDB: a WAL left by a crash or a power cut ends in
// zeros after its last record (up to one chunk). RocksDB's log reader
// takes a zeroed record header for padding and skips to the next 32 KiB
// block, so zeros after the last record end the replay; a torn last record
// before them is what it was before (kPointInTimeRecovery, ours, stops at
// it). Tested in zeroed_wal_test.cc with kPointInTimeRecovery and
// kAbsoluteConsistency. While a WAL is open the file system gives its size
// as the bytes appended, never the zeros ahead, so a checkpoint copying the
// live WAL during appends copies a prefix of the log (zeros copied beside
// appends landing after them could make a log with a gap). A file closed
// cleanly is cut back to its records. Appends of a bulk load's size (64 KiB
// and more) are not zeroed ahead: they would write their bytes twice for a
// saving that is small beside their own write.
//
// Costs: a small append that crosses a chunk boundary needs up to 1 MiB of
// free space, so a nearly full disk refuses appends up to 1 MiB earlier
// (nothing acknowledged is lost; the log's full-disk handling is the same).
// The saving needs a file system that overwrites in place (ext4, XFS); on
// copy-on-write ones (btrfs, ZFS) an overwrite allocates anyway.
#pragma once

#include <cstdint>
#include <memory>

namespace rocksdb {
class Env;
class FileSystem;
}  // namespace rocksdb

namespace detente {

// Bytes zeroed ahead of the appends at a time.
inline constexpr uint64_t kWalZeroChunk = 1u << 20;
// Appends of this size or more extend the file without zeroing ahead.
inline constexpr uint64_t kWalBulkAppend = 64u << 10;

// `base` with its WAL files written into zeros (above).
std::shared_ptr<rocksdb::FileSystem> NewZeroedWalFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base);

// The default Env over NewZeroedWalFileSystem(FileSystem::Default()); lives
// as long as the process, as Env::Default() does.
rocksdb::Env* ZeroedWalEnv();

}  // namespace detente
