#include "strata/data/dataset.hpp"

#include <atomic>
#include <cstring>
#include <numeric>

#include "detail/errors.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/random.hpp"

namespace strata::data {

struct Dataset::State {
  std::vector<Tensor> components;
  std::int64_t rows = 0;
  std::int64_t limit = -1;  // take(n)
  bool shuffle = false;
  std::uint64_t seed = 0;
  std::int64_t batch_size = 0;  // 0: not batched
  bool drop_remainder = false;
  std::int64_t split_n = 1, split_i = 0;  // split_batches
  std::vector<MapFn> maps;
  mutable std::atomic<std::uint64_t> passes{0};

  std::int64_t examples() const { return limit >= 0 ? std::min(limit, rows) : rows; }
  std::int64_t count() const {
    const std::int64_t n = examples();
    if (batch_size == 0) return n;
    return n / batch_size + (!drop_remainder && n % batch_size != 0);  // no overflow for any batch_size
  }
};

struct Dataset::Iterator::Pass {
  std::shared_ptr<const State> state;
  std::vector<std::int64_t> order;  // empty: in order
};

namespace {
std::shared_ptr<Dataset::State> copy_state(const Dataset::State& s) {
  auto c = std::make_shared<Dataset::State>();
  c->components = s.components;
  c->rows = s.rows;
  c->limit = s.limit;
  c->shuffle = s.shuffle;
  c->seed = s.seed;
  c->batch_size = s.batch_size;
  c->drop_remainder = s.drop_remainder;
  c->split_n = s.split_n;
  c->split_i = s.split_i;
  c->maps = s.maps;
  return c;
}

/// Rows [begin, end) of the pass (through its order) of every component.
std::vector<Tensor> gather_rows(const Dataset::State& s, const std::vector<std::int64_t>& order, std::int64_t begin,
                                std::int64_t end, bool keep_batch_axis) {
  std::vector<Tensor> out;
  out.reserve(s.components.size());
  for (const auto& c : s.components) {
    Shape shape = c.shape();
    const std::size_t row_bytes = c.nbytes() / static_cast<std::size_t>(std::max<std::int64_t>(c.dim(0), 1));
    if (keep_batch_axis)
      shape[0] = end - begin;
    else
      shape.erase(0);
    Tensor t = detail::make_tensor(shape, c.dtype());
    auto* dst = static_cast<char*>(t.impl()->data);
    const auto* src = static_cast<const char*>(c.raw_data());
    if (order.empty()) {
      std::memcpy(dst, src + static_cast<std::size_t>(begin) * row_bytes, static_cast<std::size_t>(end - begin) * row_bytes);
    } else {
      for (std::int64_t i = begin; i < end; ++i)
        std::memcpy(dst + static_cast<std::size_t>(i - begin) * row_bytes,
                    src + static_cast<std::size_t>(order[static_cast<std::size_t>(i)]) * row_bytes, row_bytes);
    }
    out.push_back(std::move(t));
  }
  return out;
}
}  // namespace

Dataset Dataset::from_tensors(std::vector<Tensor> components) {
  if (components.empty()) throw ValueError("Dataset::from_tensors: needs at least one tensor");
  auto s = std::make_shared<State>();
  for (const auto& c : components) {
    detail::check_defined("Dataset::from_tensors", c, "a component");
    if (c.rank() == 0) throw ShapeError("Dataset::from_tensors: components need a first (example) dimension");
  }
  s->rows = components[0].dim(0);
  for (const auto& c : components)
    if (c.dim(0) != s->rows) {
      std::string shapes;
      for (const auto& d : components) shapes += (shapes.empty() ? "" : ", ") + d.shape().to_string();
      detail::raise<ShapeError>("Dataset::from_tensors: components have different numbers of examples: {}", shapes);
    }
  s->components = std::move(components);
  Dataset d;
  d.state_ = std::move(s);
  return d;
}

Dataset Dataset::shuffle(std::optional<std::uint64_t> seed) const {
  auto s = copy_state(*state_);
  s->shuffle = true;
  s->seed = seed ? *seed : global_seed_draw();
  Dataset d;
  d.state_ = std::move(s);
  return d;
}

Dataset Dataset::batch(std::int64_t batch_size, bool drop_remainder) const {
  if (batch_size <= 0) detail::raise<ValueError>("Dataset::batch: batch_size must be positive, got {}", batch_size);
  if (state_->batch_size != 0) throw ValueError("Dataset::batch: the dataset is already batched");
  auto s = copy_state(*state_);
  s->batch_size = batch_size;
  s->drop_remainder = drop_remainder;
  Dataset d;
  d.state_ = std::move(s);
  return d;
}

Dataset Dataset::map(MapFn fn) const {
  if (!fn) throw ValueError("Dataset::map: empty function");
  auto s = copy_state(*state_);
  s->maps.push_back(std::move(fn));
  Dataset d;
  d.state_ = std::move(s);
  return d;
}

Dataset Dataset::take(std::int64_t n) const {
  if (n < 0) detail::raise<ValueError>("Dataset::take: n must be non-negative, got {}", n);
  auto s = copy_state(*state_);
  s->limit = s->limit >= 0 ? std::min(s->limit, n) : n;
  Dataset d;
  d.state_ = std::move(s);
  return d;
}

namespace {
void check_shard(const char* who, std::int64_t num_shards, std::int64_t index) {
  if (num_shards <= 0) detail::raise<ValueError>("Dataset::{}: num_shards must be positive, got {}", who, num_shards);
  if (index < 0 || index >= num_shards)
    detail::raise<ValueError>("Dataset::{}: index {} is not in [0, {})", who, index, num_shards);
}
}  // namespace

Dataset Dataset::shard(std::int64_t num_shards, std::int64_t index) const {
  check_shard("shard", num_shards, index);
  if (state_->batch_size != 0) throw ValueError("Dataset::shard: shard the examples before batching them");
  const std::int64_t n = state_->examples();
  std::vector<std::int64_t> picked;
  for (std::int64_t i = index; i < n; i += num_shards) picked.push_back(i);
  auto s = copy_state(*state_);
  s->components = gather_rows(*state_, picked, 0, static_cast<std::int64_t>(picked.size()), true);
  s->rows = static_cast<std::int64_t>(picked.size());
  s->limit = -1;
  Dataset d;
  d.state_ = std::move(s);
  return d;
}

Dataset Dataset::split_batches(std::int64_t num_shards, std::int64_t index) const {
  check_shard("split_batches", num_shards, index);
  if (state_->batch_size == 0) throw ValueError("Dataset::split_batches: batch the dataset first");
  if (state_->split_n != 1) throw ValueError("Dataset::split_batches: the batches are already split");
  auto s = copy_state(*state_);
  s->split_n = num_shards;
  s->split_i = index;
  Dataset d;
  d.state_ = std::move(s);
  return d;
}

std::int64_t Dataset::num_examples() const { return state_->examples(); }
std::int64_t Dataset::cardinality() const { return state_->count(); }
std::size_t Dataset::num_components() const { return state_->components.size(); }

Dataset::Iterator Dataset::begin() const {
  auto pass = std::make_shared<Iterator::Pass>();
  pass->state = state_;
  if (state_->shuffle) {
    const std::uint64_t k = state_->passes.fetch_add(1);
    Generator gen(state_->seed ^ (0x9e3779b97f4a7c15ULL * (k + 1)));
    const std::int64_t n = state_->examples();
    pass->order.resize(static_cast<std::size_t>(n));
    std::iota(pass->order.begin(), pass->order.end(), 0);
    for (std::int64_t i = n - 1; i > 0; --i)  // Fisher-Yates
      std::swap(pass->order[static_cast<std::size_t>(i)], pass->order[gen.below(static_cast<std::uint64_t>(i + 1))]);
  }
  Iterator it;
  it.pass_ = std::move(pass);
  return it;
}

Dataset::Iterator Dataset::end() const {
  Iterator it;
  it.index_ = state_->count();
  return it;
}

Dataset::Batch Dataset::Iterator::operator*() const {
  const State& s = *pass_->state;
  Batch b;
  if (s.batch_size == 0) {
    b = gather_rows(s, pass_->order, index_, index_ + 1, false);
  } else {
    std::int64_t begin = index_ * s.batch_size;
    std::int64_t end = begin + std::min(s.batch_size, s.examples() - begin);
    if (s.split_n > 1) {  // this shard's balanced slice of the batch (distributed::batch_slice)
      const std::int64_t rows = end - begin, base = rows / s.split_n, extra = rows % s.split_n;
      begin += s.split_i * base + std::min(s.split_i, extra);
      end = begin + base + (s.split_i < extra ? 1 : 0);
    }
    b = gather_rows(s, pass_->order, begin, end, true);
  }
  for (const auto& fn : s.maps) b = fn(b);
  return b;
}

}  // namespace strata::data
