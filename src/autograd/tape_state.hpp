#pragma once
// What a GradientTape holds: records in execution order, and the slots (tape-local numbers)
// of the tensors it tracks.
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

#include "strata/autograd/tape.hpp"

namespace strata::detail {

struct VariableState;

/// One recorded op, shared by every tape that recorded it.
struct OpNode {
  struct Meta {
    Shape shape;
    DType dtype;
  };
  const char* name = "";
  std::vector<Meta> inputs;
  std::vector<Meta> outputs;
  std::vector<Tensor> saved;
  autograd::BackwardFn backward;
};

struct Record {
  std::shared_ptr<OpNode> node;
  std::vector<std::int32_t> in_slots;  // -1 for inputs this tape does not track
  std::vector<std::int32_t> out_slots;
};

/// Open-addressing map from tensor id (never 0) to slot.
class IdMap {
 public:
  std::int32_t find(std::uint64_t key) const noexcept {
    if (keys_.empty()) return -1;
    std::size_t mask = keys_.size() - 1;
    for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == 0) return -1;
    }
  }
  void insert(std::uint64_t key, std::int32_t value) {
    if ((size_ + 1) * 2 > keys_.size()) grow();
    std::size_t mask = keys_.size() - 1;
    for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (keys_[i] == key || keys_[i] == 0) {
        if (keys_[i] == 0) ++size_;
        keys_[i] = key;
        values_[i] = value;
        return;
      }
    }
  }
  void clear() noexcept {
    keys_.clear();
    values_.clear();
    size_ = 0;
  }

 private:
  static std::size_t hash(std::uint64_t k) noexcept { return static_cast<std::size_t>(k * 0x9E3779B97F4A7C15ULL >> 20); }
  void grow() {
    std::vector<std::uint64_t> keys = std::move(keys_);
    std::vector<std::int32_t> values = std::move(values_);
    std::size_t cap = keys.empty() ? 64 : keys.size() * 2;
    keys_.assign(cap, 0);
    values_.assign(cap, -1);
    size_ = 0;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i]) insert(keys[i], values[i]);
  }
  std::vector<std::uint64_t> keys_;
  std::vector<std::int32_t> values_;
  std::size_t size_ = 0;
};

struct TapeState {
  bool persistent = false;
  bool watch_accessed_variables = true;
  int paused = 0;
  bool used = false;  // a non-persistent tape after its gradient
  IdMap slot_of;
  std::int32_t num_slots = 0;
  std::vector<OpNode::Meta> slot_meta;  // shape and dtype of each slot's tensor
  std::vector<std::pair<const VariableState*, std::int32_t>> variable_slots;
  std::unordered_set<const VariableState*> watched_variables;
  std::vector<Record> records;

  bool active() const noexcept { return paused == 0 && !used; }
  std::int32_t new_slot(const Tensor& t);
  /// The slot of t, creating one for a watched variable read for the first time; -1 if untracked.
  std::int32_t track_input(const Tensor& t);
  bool watches(const Tensor& t) const noexcept;
  void clear() noexcept;
};

}  // namespace strata::detail
