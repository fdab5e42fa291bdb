#pragma once
/// An input pipeline over in-memory tensors (tf.data's from_tensor_slices, shuffle, batch, map).
///
///   auto ds = data::Dataset::from_tensors({x_train, y_train})
///                 .shuffle(/*seed=*/42)       // a new order every epoch, the same sequence per seed
///                 .batch(128);
///   for (const std::vector<Tensor>& b : ds) { ... b[0] is [128, 28, 28], b[1] is [128] ... }
///
/// Datasets are cheap values: each transformation returns a new one sharing the tensors.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::data {

class Dataset {
 public:
  using Batch = std::vector<Tensor>;
  using MapFn = std::function<Batch(const Batch&)>;

  /// Examples are the rows (first dimension) of each component; all must have as many rows.
  static Dataset from_tensors(std::vector<Tensor> components);

  /// Reshuffles the examples at the start of every pass; the sequence of orders is fixed by
  /// the seed (drawn from strata's global generator when not given).
  Dataset shuffle(std::optional<std::uint64_t> seed = std::nullopt) const;
  /// Groups consecutive examples; the last batch is smaller unless drop_remainder.
  Dataset batch(std::int64_t batch_size, bool drop_remainder = false) const;
  /// Applies fn to every batch (or example, if not batched yet) as it is produced.
  Dataset map(MapFn fn) const;
  /// The first n examples.
  Dataset take(std::int64_t n) const;
  /// Examples index, index + num_shards, index + 2 num_shards, ... (tf.data's shard): a
  /// disjoint part of the data per process. Shard before batching; rows are picked from the
  /// examples as given (before any shuffle, which then shuffles within the shard).
  Dataset shard(std::int64_t num_shards, std::int64_t index) const;
  /// Each batch's balanced slice for shard `index` of `num_shards` (rows in rank order, sizes
  /// differing by at most one, empty when a batch has fewer rows than shards): how a global
  /// batch is split between data-parallel ranks (distributed::batch_slice). Batch first.
  Dataset split_batches(std::int64_t num_shards, std::int64_t index) const;

  std::int64_t num_examples() const;
  /// Batches per pass (examples when not batched).
  std::int64_t cardinality() const;
  std::size_t num_components() const;

  class Iterator {
   public:
    Batch operator*() const;
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }

    struct Pass;  // internal

   private:
    friend class Dataset;
    std::shared_ptr<const Pass> pass_;
    std::int64_t index_ = 0;
  };
  /// Starts a pass (and, when shuffling, draws this pass's order).
  Iterator begin() const;
  Iterator end() const;

  struct State;  // internal

 private:
  std::shared_ptr<const State> state_;
};

}  // namespace strata::data
