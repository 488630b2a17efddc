// Memtable insert hints for keys grouped by stream (RocksDB's
// memtable_insert_with_hint_prefix_extractor). Memory only: the files are
// unchanged, so it is no part of any on-disk format.
#pragma once

#include <memory>
#include <string>

namespace rocksdb {
class SliceTransform;
}

namespace detente {

// A key's range for the hints: for keys whose tag is one of `stream_tags`
// and that continue with a one-byte length and the stream ('s' len stream
// ... in the log, 'v' and 'a' in the read models), the tag and the stream;
// for other keys their tag. Each range's next insert then starts from where
// that range's last one went instead of from the previous key written, which
// for keys of many streams interleaved is far away.
std::shared_ptr<const rocksdb::SliceTransform> NewStreamInsertHint(
    std::string stream_tags);

}  // namespace detente
