// strata::distributed over the byte transport of comm.hpp: the fixed-order sums, broadcasts of
// models and optimizers, metric merging and the weight checks.
#include "strata/distributed.hpp"

#include <cstring>

#include "detail/errors.hpp"
#include "detail/tensor_impl.hpp"
#include "distributed/comm.hpp"
#include "strata/layers/layer.hpp"
#include "strata/metrics.hpp"
#include "strata/models/model.hpp"
#include "strata/optimizers.hpp"

namespace strata::distributed {

bool available() { return comm::available(); }
void init(int* argc, char*** argv) { comm::init(argc, argv); }
bool initialized() { return comm::initialized(); }
int rank() { return comm::rank(); }
int size() { return comm::size(); }
void barrier() { comm::barrier(); }

std::pair<std::int64_t, std::int64_t> batch_slice(std::int64_t batch, int r, int n) {
  if (n <= 0 || r < 0 || r >= n)
    detail::raise<ValueError>("distributed::batch_slice: rank {} of {} ranks is not a rank", r, n);
  if (batch < 0) detail::raise<ValueError>("distributed::batch_slice: a batch of {} examples", batch);
  const std::int64_t base = batch / n, extra = batch % n;
  const std::int64_t begin = r * base + std::min<std::int64_t>(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

namespace {

/// FNV-1a, 64 bits.
struct Hash {
  std::uint64_t h = 1469598103934665603ULL;
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  }
  void add(const std::string& s) { add(s.data(), s.size() + 1); }
  template <class T>
  void add_value(T v) {
    add(&v, sizeof v);
  }
};

/// ValueError on every rank unless every rank passed the same value; `what` says what differs.
void check_agree(std::uint64_t value, const std::string& what) {
  const int n = size();
  if (n == 1) return;
  std::vector<std::uint64_t> all(static_cast<std::size_t>(n));
  comm::allgather(&value, sizeof value, all.data());
  for (int r = 1; r < n; ++r)
    if (all[static_cast<std::size_t>(r)] != all[0])
      detail::raise<ValueError>("distributed: rank {} and rank 0 differ in {} (seen on rank {})", r, what, rank());
}

std::uint64_t signature(const std::vector<Tensor>& ts) {
  Hash h;
  h.add_value(ts.size());
  for (const auto& t : ts) {
    h.add_value(static_cast<int>(t.dtype()));
    h.add_value(t.rank());
    for (std::int64_t d : t.shape()) h.add_value(d);
  }
  return h.h;
}

/// Where each member starts in the fused buffer: every member on a 64-byte boundary, as
/// strata's allocations are, so the results can be views of the buffer. Returns the total.
template <class T>
std::int64_t layout(const std::vector<Tensor>& ts, const std::vector<std::size_t>& members,
                    std::vector<std::int64_t>& starts) {
  constexpr std::int64_t align = 64 / sizeof(T);
  std::int64_t at = 0;
  for (std::size_t i : members) {
    starts.push_back(at);
    at += (ts[i].size() + align - 1) / align * align;
  }
  return at;
}

/// Scratch memory kept between calls (every step reduces the same sizes).
std::vector<char>& scratch(std::size_t bytes) {
  static thread_local std::vector<char> s;
  if (s.size() < bytes) s.resize(bytes);
  return s;
}

/// The fixed-order sum of one dtype's fused buffer: rank c owns chunk c, receives every other
/// rank's part of it, adds the parts in rank order 0..N-1, then every rank gathers every chunk.
/// Each element is summed by one rank in one order, so every rank gets the same bits.
template <class T>
void sum_in_rank_order(T* buf, std::int64_t total) {
  const int n = size();
  if (n == 1) return;
  const auto me = static_cast<std::size_t>(rank());
  const auto ranks = static_cast<std::size_t>(n);
  std::vector<std::size_t> counts(ranks), offsets(ranks);
  for (std::size_t c = 0; c < ranks; ++c) {
    const auto [b, e] = batch_slice(total, static_cast<int>(c), n);
    offsets[c] = static_cast<std::size_t>(b) * sizeof(T);
    counts[c] = static_cast<std::size_t>(e - b) * sizeof(T);
  }
  const std::size_t mine = counts[me] / sizeof(T);
  // rank r's part of my chunk lands in slot r (my own part stays where it is)
  std::vector<char>& recv = scratch(ranks * counts[me]);
  std::vector<std::size_t> send_counts = counts, recv_counts(ranks, counts[me]), recv_offsets(ranks);
  send_counts[me] = recv_counts[me] = 0;
  for (std::size_t r = 0; r < ranks; ++r) recv_offsets[r] = r * counts[me];
  comm::alltoallv(buf, send_counts, offsets, recv.data(), recv_counts, recv_offsets);
  auto part = [&](std::size_t r) { return reinterpret_cast<T*>(recv.data() + recv_offsets[r]); };
  T* own = buf + offsets[me] / sizeof(T);
  // acc = part 0, then += part 1, part 2, ... (+ is commutative: only the order of the terms matters)
  T* acc = me == 0 ? own : part(0);
  for (std::size_t r = 1; r < ranks; ++r) {
    const T* p = r == me ? own : part(r);
    for (std::size_t k = 0; k < mine; ++k) acc[k] += p[k];
  }
  if (acc != own && mine) std::memcpy(own, acc, counts[me]);
  comm::allgatherv(own, buf, counts, offsets);
}

template <class T>
void reduce_dtype(const std::vector<Tensor>& ts, const std::vector<std::size_t>& members, double scale,
                  std::vector<Tensor>& out) {
  std::vector<std::int64_t> starts;
  const std::int64_t total = layout<T>(ts, members, starts);
  Tensor fused = detail::make_tensor({total}, dtype_of_v<T>);  // strata's allocator reuses the memory
  T* buf = fused.mutable_data<T>();
  const auto s = static_cast<T>(scale);
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Tensor& t = ts[members[m]];
    T* dst = buf + starts[m];
    const T* src = t.data<T>();
    const auto len = static_cast<std::size_t>(t.size());
    const auto end = static_cast<std::size_t>(m + 1 < members.size() ? starts[m + 1] : total) - static_cast<std::size_t>(starts[m]);
    if (scale == 1.0) {
      if (len) std::memcpy(dst, src, len * sizeof(T));
    } else {
      for (std::size_t k = 0; k < len; ++k) dst[k] = src[k] * s;
    }
    std::fill(dst + len, dst + end, T(0));  // the padding adds zeros
  }
  sum_in_rank_order(buf, total);
  for (std::size_t m = 0; m < members.size(); ++m)
    out[members[m]] = detail::make_subview(fused, starts[m], ts[members[m]].shape());
}

}  // namespace

std::vector<Tensor> allreduce_sum(const std::vector<Tensor>& tensors, double scale) {
  for (std::size_t i = 0; i < tensors.size(); ++i)
    detail::check_defined("distributed::allreduce_sum", tensors[i], ("tensor " + std::to_string(i)).c_str());
  if (!(scale == scale)) throw ValueError("distributed::allreduce_sum: scale is NaN");
  check_agree(signature(tensors), "the tensors given to allreduce_sum (their count, shapes or dtypes)");
  std::vector<Tensor> out(tensors.size());
  for (DType d : {DType::float32, DType::float64, DType::int64}) {
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].dtype() == d) members.push_back(i);
    if (members.empty()) continue;
    if (d == DType::int64 && scale != 1.0)
      detail::raise<DTypeError>("distributed::allreduce_sum: int64 tensors cannot be scaled (scale {})", scale);
    if (d == DType::float32) reduce_dtype<float>(tensors, members, scale, out);
    if (d == DType::float64) reduce_dtype<double>(tensors, members, scale, out);
    if (d == DType::int64) reduce_dtype<std::int64_t>(tensors, members, scale, out);
  }
  return out;
}

std::vector<Tensor> broadcast(const std::vector<Tensor>& tensors, int root) {
  const int n = size();
  if (root < 0 || root >= n) detail::raise<ValueError>("distributed::broadcast: root {} of {} ranks", root, n);
  for (std::size_t i = 0; i < tensors.size(); ++i)
    detail::check_defined("distributed::broadcast", tensors[i], ("tensor " + std::to_string(i)).c_str());
  if (n == 1) return tensors;
  check_agree(signature(tensors), "the tensors given to broadcast (their count, shapes or dtypes)");
  std::size_t bytes = 0;
  for (const auto& t : tensors) bytes += t.nbytes();
  std::vector<char> buf(bytes);
  char* p = buf.data();
  for (const auto& t : tensors) {
    if (t.nbytes()) std::memcpy(p, t.raw_data(), t.nbytes());
    p += t.nbytes();
  }
  comm::broadcast(buf.data(), bytes, root);
  std::vector<Tensor> out;
  p = buf.data();
  for (const auto& t : tensors) {
    Tensor c = Tensor::empty(t.shape(), t.dtype());
    if (t.nbytes()) std::memcpy(c.impl()->data, p, t.nbytes());
    p += t.nbytes();
    out.push_back(std::move(c));
  }
  return out;
}

std::int64_t allreduce_max(std::int64_t value) {
  std::int64_t m = value;
  for (std::int64_t v : allgather(value)) m = std::max(m, v);
  return m;
}

std::vector<std::int64_t> allgather(std::int64_t value) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(size()));
  comm::allgather(&value, sizeof value, all.data());
  return all;
}

std::vector<Tensor> reduce_gradients(const std::vector<Tensor>& gradients, std::int64_t local_examples,
                                     std::int64_t global_examples) {
  if (local_examples < 0 || global_examples <= 0 || local_examples > global_examples)
    detail::raise<ValueError>("distributed::reduce_gradients: {} local examples of a global batch of {}",
                              local_examples, global_examples);
  const double scale = static_cast<double>(local_examples) / static_cast<double>(global_examples);
  return allreduce_sum(gradients, scale);
}

namespace {
std::string describe(const Variable& v) { return v.name() + " " + v.shape().to_string() + " " + dtype_name(v.dtype()); }
}  // namespace

void check_same_model(const layers::Layer& model) {
  const std::vector<Variable> ws = model.weights();
  Hash h;
  h.add_value(ws.size());
  for (const auto& w : ws) h.add(describe(w));
  if (size() == 1) return;
  std::vector<std::uint64_t> all(static_cast<std::size_t>(size()));
  comm::allgather(&h.h, sizeof h.h, all.data());
  int differs = -1;
  for (int r = 1; r < size() && differs < 0; ++r)
    if (all[static_cast<std::size_t>(r)] != all[0]) differs = r;
  if (differs < 0) return;
  // every rank learns rank 0's weight list and names the first difference it can see
  std::string mine;
  for (const auto& w : ws) mine += describe(w) + "\n";
  std::uint64_t len = mine.size();
  comm::broadcast(&len, sizeof len, 0);
  std::string root(static_cast<std::size_t>(len), '\0');
  if (rank() == 0) root = mine;
  comm::broadcast(root.data(), root.size(), 0);
  std::string where = "the same weights";
  if (rank() != 0) {
    std::size_t a = 0, b = 0, k = 0;
    for (;; ++k) {
      const std::size_t ea = mine.find('\n', a), eb = root.find('\n', b);
      if (ea == std::string::npos || eb == std::string::npos) {
        where = fmt::format("{} weights here, {} on rank 0", ws.size(), std::count(root.begin(), root.end(), '\n'));
        break;
      }
      if (mine.compare(a, ea - a, root, b, eb - b) != 0) {
        where = fmt::format("weight {}: '{}' here, '{}' on rank 0", k, mine.substr(a, ea - a), root.substr(b, eb - b));
        break;
      }
      a = ea + 1;
      b = eb + 1;
    }
  }
  detail::raise<ValueError>("distributed: model '{}' differs between ranks (rank {} differs from rank 0; on rank {}: {})",
                            model.name(), differs, rank(), where);
}

void broadcast_weights(layers::Layer& model, int root) {
  if (size() == 1) return;
  std::vector<Variable> ws = model.weights();
  std::vector<Tensor> values;
  for (const auto& w : ws) values.push_back(w.value());
  const std::vector<Tensor> got = broadcast(values, root);
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i].assign(got[i]);
}

void broadcast_optimizer(optimizers::Optimizer& optimizer, const std::vector<Variable>& variables, int root) {
  if (size() == 1) return;
  optimizer.build(variables);
  auto state = optimizer.state();
  std::vector<Tensor> values;
  for (const auto& [name, t] : state) values.push_back(t);
  const std::vector<Tensor> got = broadcast(values, root);
  for (std::size_t i = 0; i < state.size(); ++i) state[i].second = got[i];
  optimizer.load_state(state);
}

void merge_metric(metrics::Metric& metric) {
  if (size() == 1) return;
  const std::vector<double> s = metric.state();
  const std::vector<Tensor> merged =
      allreduce_sum({Tensor::from_vector(s, {static_cast<std::int64_t>(s.size())}, DType::float64)});
  metric.set_state(merged[0].to_vector<double>());
}

void merge_metrics(models::Model& model) {
  if (size() == 1) return;
  std::vector<metrics::Metric*> ms = model.metrics();
  Hash h;
  for (const auto* m : ms) {
    h.add(m->name());
    h.add_value(m->state().size());
  }
  check_agree(h.h, "the model's metrics (names or state sizes)");
  std::vector<Tensor> states;
  for (const auto* m : ms) {
    const std::vector<double> s = m->state();
    states.push_back(Tensor::from_vector(s, {static_cast<std::int64_t>(s.size())}, DType::float64));
  }
  const std::vector<Tensor> merged = allreduce_sum(states);
  for (std::size_t i = 0; i < ms.size(); ++i) ms[i]->set_state(merged[i].to_vector<double>());
}

std::uint64_t weights_hash(const layers::Layer& model) {
  Hash h;
  for (const auto& w : model.weights()) {
    const Tensor& v = w.value();
    h.add(v.raw_data(), v.nbytes());
  }
  return h.h;
}

void check_identical_weights(const layers::Layer& model) {
  check_agree(weights_hash(model), fmt::format("the weights of model '{}' (their hash)", model.name()));
}

}  // namespace strata::distributed
