#include "eventlog/id_filter.h"

#include <algorithm>
#include <cstring>

namespace detente {
namespace {

constexpr size_t kBitsPerId = 10;

// Odd multipliers, one per word of a block (Parquet's split-block filter).
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU,
                               0xa2b7289dU, 0x705495c7U, 0x2df1424bU,
                               0x9efc4947U, 0x5c6bfb31U};

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

IdFilter::IdFilter(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)),
      blocks_((capacity_ * kBitsPerId + 255) / 256) {}

uint64_t IdFilter::Hash(const Uuid& id) {
  // Ids are random (version 4 or 5) in most logs but need not be (version
  // 7 starts with a clock): every byte goes through the mix.
  uint64_t hi, lo;
  std::memcpy(&hi, id.bytes().data(), 8);
  std::memcpy(&lo, id.bytes().data() + 8, 8);
  return Mix(hi ^ Mix(lo + 0x9e3779b97f4a7c15ULL));
}

const IdFilter::Block& IdFilter::BlockOf(uint64_t h) const {
  // The high half picks the block (multiply-shift, no division).
  return blocks_[static_cast<size_t>(((h >> 32) * blocks_.size()) >> 32)];
}

void IdFilter::InsertHash(uint64_t h) {
  Block& b = blocks_[static_cast<size_t>(((h >> 32) * blocks_.size()) >> 32)];
  const uint32_t key = static_cast<uint32_t>(h);
  for (int i = 0; i < 8; ++i) b.words[i] |= 1u << ((key * kSalt[i]) >> 27);
  ++inserted_;
}

bool IdFilter::MayContainHash(uint64_t h) const {
  const Block& b = BlockOf(h);
  const uint32_t key = static_cast<uint32_t>(h);
  for (int i = 0; i < 8; ++i) {
    const uint32_t bit = 1u << ((key * kSalt[i]) >> 27);
    if ((b.words[i] & bit) == 0) return false;
  }
  return true;
}

void IdFilterChain::Reset(size_t base_capacity) {
  filters_.clear();
  filters_.push_back(
      std::make_unique<IdFilter>(std::max(base_capacity, kMinCapacity)));
  filters_.push_back(std::make_unique<IdFilter>(kMinCapacity));
}

void IdFilterChain::Grow() {
  filters_.push_back(
      std::make_unique<IdFilter>(2 * filters_.back()->capacity()));
}

void IdFilterChain::Insert(const Uuid& id) {
  if (filters_.back()->inserted() >= filters_.back()->capacity()) Grow();
  filters_.back()->Insert(id);
}

bool IdFilterChain::MayContain(const Uuid& id) const {
  for (const auto& f : filters_) {
    if (f->MayContain(id)) return true;
  }
  return false;
}

size_t IdFilterChain::bytes() const {
  size_t n = 0;
  for (const auto& f : filters_) n += f->bytes();
  return n;
}

}  // namespace detente
