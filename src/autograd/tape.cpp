#include "strata/autograd/tape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "autograd/tape_state.hpp"
#include "autograd/variable_state.hpp"
#include "detail/errors.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/ops/math.hpp"

namespace strata {
namespace detail {
namespace {

struct ThreadTapes {
  std::vector<TapeState*> stack;  // active tapes of this thread, innermost last
  int no_grad = 0;
};

ThreadTapes& tls() {
  thread_local ThreadTapes t;
  return t;
}

}  // namespace

std::int32_t TapeState::new_slot(const Tensor& t) {
  const std::int32_t s = num_slots++;
  slot_of.insert(t.id(), s);
  slot_meta.push_back({t.shape(), t.dtype()});
  return s;
}

bool TapeState::watches(const Tensor& t) const noexcept {
  const TensorImpl* impl = t.impl();
  if (!impl) return false;
  if (slot_of.find(impl->id) >= 0) return true;
  const VariableState* v = impl->variable;
  return v && is_floating(impl->dtype) &&
         ((watch_accessed_variables && v->trainable) || watched_variables.count(v) > 0);
}

std::int32_t TapeState::track_input(const Tensor& t) {
  const TensorImpl* impl = t.impl();
  if (!impl) return -1;
  std::int32_t s = slot_of.find(impl->id);
  if (s >= 0) return s;
  const VariableState* v = impl->variable;
  if (v && is_floating(impl->dtype) &&
      ((watch_accessed_variables && v->trainable) || watched_variables.count(v) > 0)) {
    s = new_slot(t);
    variable_slots.emplace_back(v, s);
    return s;
  }
  return -1;
}

void TapeState::clear() noexcept {
  records.clear();
  slot_of.clear();
  slot_meta.clear();
  variable_slots.clear();
  num_slots = 0;
}

}  // namespace detail

using detail::OpNode;
using detail::Record;
using detail::TapeState;
using detail::tls;

// ---- GradientTape --------------------------------------------------------------------------

GradientTape::GradientTape(bool persistent, bool watch_accessed_variables)
    : state_(std::make_unique<TapeState>()) {
  state_->persistent = persistent;
  state_->watch_accessed_variables = watch_accessed_variables;
  tls().stack.push_back(state_.get());
}

GradientTape::~GradientTape() {
  auto& stack = tls().stack;
  auto it = std::find(stack.begin(), stack.end(), state_.get());
  if (it != stack.end()) stack.erase(it);
}

void GradientTape::watch(const Tensor& t) {
  detail::check_defined("GradientTape::watch", t, "tensor");
  if (!is_floating(t.dtype()))
    detail::raise<DTypeError>("GradientTape::watch: only float tensors can be watched, got {} {}", t.dtype(),
                              t.shape());
  if (state_->slot_of.find(t.id()) < 0) {
    const std::int32_t s = state_->new_slot(t);
    if (const auto* v = t.impl()->variable) state_->variable_slots.emplace_back(v, s);
  }
}

void GradientTape::watch(const std::vector<Tensor>& ts) {
  for (const auto& t : ts) watch(t);
}

void GradientTape::watch(const Variable& v) {
  if (!v.defined()) throw ValueError("GradientTape::watch: undefined Variable");
  if (!is_floating(v.dtype()))
    detail::raise<DTypeError>("GradientTape::watch: variable '{}' is {}; only float variables can be watched",
                              v.name(), v.dtype());
  state_->watched_variables.insert(v.state());
}

GradientTape::RecordingPause::RecordingPause(TapeState* state) : state_(state) { ++state_->paused; }
GradientTape::RecordingPause::RecordingPause(RecordingPause&& other) noexcept : state_(other.state_) {
  other.state_ = nullptr;
}
GradientTape::RecordingPause::~RecordingPause() {
  if (state_) --state_->paused;
}
GradientTape::RecordingPause GradientTape::stop_recording() { return RecordingPause(state_.get()); }

void GradientTape::reset() {
  state_->clear();
  state_->watched_variables.clear();
  state_->used = false;
}

bool GradientTape::persistent() const { return state_->persistent; }
std::size_t GradientTape::num_records() const { return state_->records.size(); }

std::size_t GradientTape::saved_bytes() const {
  std::unordered_map<const void*, std::size_t> seen;  // storage -> bytes
  for (const auto& r : state_->records) {
    if (!r.node) continue;
    for (const auto& t : r.node->saved)
      if (t.defined()) seen[t.raw_data()] = std::max(seen[t.raw_data()], t.nbytes());
  }
  std::size_t total = 0;
  for (const auto& [p, n] : seen) total += n;
  return total;
}

namespace {
std::string meta_str(const OpNode::Meta& m) { return fmt::format("{} {}", m.shape, m.dtype); }

std::size_t node_saved_bytes(const OpNode& n) {
  std::size_t b = 0;
  for (const auto& t : n.saved)
    if (t.defined()) b += t.nbytes();
  return b;
}
}  // namespace

std::string GradientTape::dump() const {
  std::string out = fmt::format("GradientTape: {} records, {} bytes saved for backward\n", state_->records.size(),
                                saved_bytes());
  for (std::size_t i = 0; i < state_->records.size(); ++i) {
    const Record& r = state_->records[i];
    if (!r.node) continue;
    std::string ins, outs;
    for (std::size_t k = 0; k < r.node->inputs.size(); ++k)
      ins += (k ? ", " : "") + meta_str(r.node->inputs[k]) + (r.in_slots[k] >= 0 ? "" : " (untracked)");
    for (std::size_t k = 0; k < r.node->outputs.size(); ++k) outs += (k ? ", " : "") + meta_str(r.node->outputs[k]);
    out += fmt::format("#{:<4} {:<28} ({}) -> ({})  saved {} B\n", i, r.node->name, ins, outs,
                       node_saved_bytes(*r.node));
  }
  return out;
}

std::string GradientTape::to_dot() const {
  std::string out = "digraph tape {\n  rankdir=TB;\n  node [fontname=\"monospace\"];\n";
  std::vector<int> producer(static_cast<std::size_t>(state_->num_slots), -1);
  for (std::size_t i = 0; i < state_->records.size(); ++i)
    for (auto s : state_->records[i].out_slots) producer[static_cast<std::size_t>(s)] = static_cast<int>(i);
  std::vector<bool> leaf_drawn(producer.size(), false);
  for (std::size_t i = 0; i < state_->records.size(); ++i) {
    const Record& r = state_->records[i];
    if (!r.node) continue;
    out += fmt::format("  op{} [shape=box, label=\"{}\\nsaved {} B\"];\n", i, r.node->name, node_saved_bytes(*r.node));
    for (std::size_t k = 0; k < r.in_slots.size(); ++k) {
      const auto s = r.in_slots[k];
      const std::string label = meta_str(r.node->inputs[k]);
      if (s < 0) continue;
      const int p = producer[static_cast<std::size_t>(s)];
      if (p >= 0) {
        out += fmt::format("  op{} -> op{} [label=\"{}\"];\n", p, i, label);
      } else {
        if (!leaf_drawn[static_cast<std::size_t>(s)]) {
          out += fmt::format("  t{} [shape=ellipse, label=\"watched\\n{}\"];\n", s, label);
          leaf_drawn[static_cast<std::size_t>(s)] = true;
        }
        out += fmt::format("  t{} -> op{};\n", s, i);
      }
    }
  }
  return out + "}\n";
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const Tensor& output_gradient, UnconnectedGradients unconnected) {
  return gradient_impl(target, sources, {}, output_gradient, unconnected);
}
std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources,
                                           const Tensor& output_gradient, UnconnectedGradients unconnected) {
  return gradient_impl(target, {}, sources, output_gradient, unconnected);
}
std::vector<Tensor> GradientTape::gradient(const Tensor& target, std::initializer_list<Tensor> sources,
                                           const Tensor& output_gradient, UnconnectedGradients unconnected) {
  return gradient_impl(target, std::vector<Tensor>(sources), {}, output_gradient, unconnected);
}
std::vector<Tensor> GradientTape::gradient(const Tensor& target, std::initializer_list<Variable> sources,
                                           const Tensor& output_gradient, UnconnectedGradients unconnected) {
  return gradient_impl(target, {}, std::vector<Variable>(sources), output_gradient, unconnected);
}

namespace autograd {
struct BackwardContext::Impl {
  const OpNode* node;
  std::vector<Tensor> grads;
  std::vector<bool> needs;
  std::uint64_t handed_over = 0;  // bit k: the tape gives up its gradient of output k (writable_grad)
};
}  // namespace autograd

namespace {

using autograd::BackwardContext;

/// The slots of each source (a variable read several times has several) and which slots are sources.
struct SourceSlots {
  std::vector<std::vector<std::int32_t>> of;
  std::vector<bool> is_source;
};

/// Refuses a second gradient call on a used non-persistent tape, and undefined targets or sources.
void check_call(const TapeState& st, const Tensor& target, const std::vector<Tensor>& tensor_sources,
                const std::vector<Variable>& variable_sources) {
  if (st.used)
    throw RuntimeError(
        "GradientTape::gradient: a non-persistent tape computes one gradient only; construct it with "
        "GradientTape(/*persistent=*/true) to call gradient several times");
  detail::check_defined("GradientTape::gradient", target, "target");
  for (const auto& s : tensor_sources) detail::check_defined("GradientTape::gradient", s, "a source");
  for (const auto& v : variable_sources)
    if (!v.defined()) throw ValueError("GradientTape::gradient: a source is an undefined Variable");
}

/// The gradient the replay starts from: the caller's output_gradient, or ones like the target.
Tensor seed_gradient(const Tensor& target, const Tensor& output_gradient) {
  if (!output_gradient.defined()) {
    detail::check_floating("GradientTape::gradient (target)", target);
    return ones_like(target);
  }
  if (output_gradient.shape() != target.shape())
    detail::raise<ShapeError>("GradientTape::gradient: output_gradient of shape {} for a target of shape {}",
                              output_gradient.shape(), target.shape());
  detail::check_same_dtype("GradientTape::gradient", target, output_gradient);
  return output_gradient;
}

/// Tensor sources first, then variable sources, as gradient_impl's result lists them.
SourceSlots resolve_sources(const TapeState& st, const std::vector<Tensor>& tensor_sources,
                            const std::vector<Variable>& variable_sources) {
  SourceSlots src{std::vector<std::vector<std::int32_t>>(tensor_sources.size() + variable_sources.size()),
                  std::vector<bool>(static_cast<std::size_t>(st.num_slots), false)};
  for (std::size_t i = 0; i < tensor_sources.size(); ++i) {
    const std::int32_t s = st.slot_of.find(tensor_sources[i].id());
    if (s >= 0) src.of[i].push_back(s);
  }
  for (std::size_t i = 0; i < variable_sources.size(); ++i) {
    const auto* vs = variable_sources[i].state();
    for (const auto& [v, s] : st.variable_slots)
      if (v == vs) src.of[tensor_sources.size() + i].push_back(s);
  }
  for (const auto& list : src.of)
    for (auto s : list) src.is_source[static_cast<std::size_t>(s)] = true;
  return src;
}

/// A forward pass over the records: the slots that depend on a source (only those need gradients).
std::vector<bool> reachable_from_sources(const TapeState& st, const std::vector<bool>& is_source) {
  std::vector<bool> reach = is_source;
  for (const Record& r : st.records) {
    bool any = false;
    for (auto s : r.in_slots) any = any || (s >= 0 && reach[static_cast<std::size_t>(s)]);
    if (any)
      for (auto s : r.out_slots) reach[static_cast<std::size_t>(s)] = true;
  }
  return reach;
}

/// The output gradients record `r`'s backward reads: zeros where none arrived; the tape's own
/// tensor moved in (and marked handed over, so the backward may overwrite it) unless it is requested.
void hand_over_output_grads(const Record& r, std::vector<Tensor>& grads, const std::vector<bool>& is_source,
                            BackwardContext::Impl& ctx) {
  ctx.grads.reserve(r.out_slots.size());
  for (std::size_t k = 0; k < r.out_slots.size(); ++k) {
    const auto s = static_cast<std::size_t>(r.out_slots[k]);
    Tensor& g = grads[s];
    if (!is_source[s] && k < 64) ctx.handed_over |= std::uint64_t{1} << k;
    if (!g.defined())
      ctx.grads.push_back(Tensor::zeros(r.node->outputs[k].shape, r.node->outputs[k].dtype));
    else if (is_source[s])
      ctx.grads.push_back(g);
    else
      ctx.grads.push_back(std::move(g));
  }
}

/// Adds the input gradients a backward returned into their slots, checking shape and dtype.
void accumulate_input_grads(const Record& r, const BackwardContext::Impl& ctx, std::vector<Tensor>& in_grads,
                            std::vector<Tensor>& grads) {
  if (in_grads.size() != r.in_slots.size())
    detail::raise<RuntimeError>("backward of '{}' returned {} gradients for {} inputs", r.node->name,
                                in_grads.size(), r.in_slots.size());
  for (std::size_t k = 0; k < r.in_slots.size(); ++k) {
    if (!ctx.needs[k] || !in_grads[k].defined()) continue;
    const auto& meta = r.node->inputs[k];
    if (in_grads[k].shape() != meta.shape || in_grads[k].dtype() != meta.dtype)
      detail::raise<RuntimeError>("backward of '{}' returned a gradient of {} {} for input {} of {} {}",
                                  r.node->name, in_grads[k].shape(), in_grads[k].dtype(), k, meta.shape,
                                  meta.dtype);
    Tensor& acc = grads[static_cast<std::size_t>(r.in_slots[k])];
    acc = acc.defined() ? add(acc, in_grads[k]) : std::move(in_grads[k]);
  }
}

/// One record of the reverse replay: runs its backward when an output has a gradient and an
/// input needs one, then frees its outputs' gradients (unless requested) and, on a
/// non-persistent tape, what it saved.
void backward_record(Record& r, bool persistent, const std::vector<bool>& reach, const std::vector<bool>& is_source,
                     std::vector<Tensor>& grads) {
  if (!r.node) return;
  bool has_grad = false;
  for (auto s : r.out_slots) has_grad = has_grad || grads[static_cast<std::size_t>(s)].defined();
  BackwardContext::Impl ctx{r.node.get(), {}, std::vector<bool>(r.in_slots.size(), false)};
  bool any_needed = false;
  for (std::size_t k = 0; k < r.in_slots.size(); ++k) {
    const auto s = r.in_slots[k];
    ctx.needs[k] = s >= 0 && reach[static_cast<std::size_t>(s)];
    any_needed = any_needed || ctx.needs[k];
  }
  if (has_grad && any_needed) {
    hand_over_output_grads(r, grads, is_source, ctx);
    std::vector<Tensor> in_grads = r.node->backward(BackwardContext(&ctx));
    accumulate_input_grads(r, ctx, in_grads, grads);
  }
  for (auto s : r.out_slots)
    if (!is_source[static_cast<std::size_t>(s)]) grads[static_cast<std::size_t>(s)] = Tensor();
  if (!persistent) r.node.reset();
}

/// The gradient of source i: the sum over its slots, or for none zeros / undefined / an error
/// as `unconnected` says.
Tensor collect_source_grad(std::size_t i, const SourceSlots& src, const std::vector<Tensor>& grads,
                           const std::vector<Tensor>& tensor_sources, const std::vector<Variable>& variable_sources,
                           UnconnectedGradients unconnected) {
  Tensor g;
  for (auto s : src.of[i]) {
    const Tensor& gs = grads[static_cast<std::size_t>(s)];
    if (gs.defined()) g = g.defined() ? add(g, gs) : gs;
  }
  if (g.defined()) return g;
  const bool is_var = i >= tensor_sources.size();
  const Tensor& value = is_var ? variable_sources[i - tensor_sources.size()].value() : tensor_sources[i];
  if (unconnected == UnconnectedGradients::error) {
    if (is_var)
      detail::raise<ValueError>("GradientTape::gradient: the target does not depend on variable '{}' {}",
                                variable_sources[i - tensor_sources.size()].name(), value.shape());
    detail::raise<ValueError>("GradientTape::gradient: the target does not depend on source {} ({} {})", i,
                              value.shape(), value.dtype());
  }
  return unconnected == UnconnectedGradients::zero ? zeros_like(value) : Tensor();
}

}  // namespace

std::vector<Tensor> GradientTape::gradient_impl(const Tensor& target, const std::vector<Tensor>& tensor_sources,
                                                const std::vector<Variable>& variable_sources,
                                                const Tensor& output_gradient, UnconnectedGradients unconnected) {
  TapeState& st = *state_;
  check_call(st, target, tensor_sources, variable_sources);
  Tensor seed = seed_gradient(target, output_gradient);
  RecordingPause pause(&st);  // this tape does not record its own backward; outer tapes do
  const SourceSlots src = resolve_sources(st, tensor_sources, variable_sources);
  const std::vector<bool> reach = reachable_from_sources(st, src.is_source);

  std::vector<Tensor> grads(static_cast<std::size_t>(st.num_slots));
  const std::int32_t target_slot = st.slot_of.find(target.id());
  if (target_slot >= 0) grads[static_cast<std::size_t>(target_slot)] = std::move(seed);
  for (std::size_t ri = st.records.size(); ri-- > 0;)  // the records in reverse: already a topological order
    backward_record(st.records[ri], st.persistent, reach, src.is_source, grads);

  std::vector<Tensor> result;
  result.reserve(src.of.size());
  for (std::size_t i = 0; i < src.of.size(); ++i)
    result.push_back(collect_source_grad(i, src, grads, tensor_sources, variable_sources, unconnected));
  if (!st.persistent) {
    st.clear();
    st.used = true;
  }
  return result;
}

// ---- NoGradGuard, stop_gradient --------------------------------------------------------------

NoGradGuard::NoGradGuard() { ++tls().no_grad; }
NoGradGuard::~NoGradGuard() { --tls().no_grad; }

Tensor stop_gradient(const Tensor& x) {
  detail::check_defined("stop_gradient", x);
  if (autograd::recording_disabled()) return x;
  return detail::make_view(x, x.shape());  // a new tensor no tape knows
}

// ---- recording -------------------------------------------------------------------------------

namespace autograd {

namespace {
/// ValueError unless i < n, naming the op and what was asked for.
void check_index(const OpNode& node, const char* what, std::size_t i, std::size_t n) {
  if (i >= n)
    detail::raise<ValueError>("backward of '{}': {} index {} is out of range (the op has {})", node.name, what, i, n);
}
}  // namespace

const Tensor& BackwardContext::grad(std::size_t i) const {
  check_index(*impl_->node, "output gradient", i, impl_->grads.size());
  return impl_->grads[i];
}
Tensor BackwardContext::writable_grad(std::size_t i) const {
  const Tensor& g = grad(i);
  if (i < 64 && (impl_->handed_over >> i & 1) && detail::is_exclusive(g)) {
    g.impl()->id = detail::next_tensor_id();  // about to be rewritten: a new identity no tape confuses with g
    return g;
  }
  return detail::make_tensor(g.shape(), g.dtype());
}
const Tensor& BackwardContext::saved(std::size_t i) const {
  check_index(*impl_->node, "saved tensor", i, impl_->node->saved.size());
  return impl_->node->saved[i];
}
bool BackwardContext::needs_grad(std::size_t i) const {
  check_index(*impl_->node, "input", i, impl_->needs.size());
  return impl_->needs[i];
}
std::size_t BackwardContext::num_inputs() const { return impl_->node->inputs.size(); }
std::size_t BackwardContext::num_outputs() const { return impl_->node->outputs.size(); }
const Shape& BackwardContext::input_shape(std::size_t i) const {
  check_index(*impl_->node, "input", i, impl_->node->inputs.size());
  return impl_->node->inputs[i].shape;
}
DType BackwardContext::input_dtype(std::size_t i) const {
  check_index(*impl_->node, "input", i, impl_->node->inputs.size());
  return impl_->node->inputs[i].dtype;
}

bool recording_disabled() noexcept {
  const auto& t = tls();
  return t.stack.empty() || t.no_grad > 0;
}

namespace {

template <class Range>
bool should_record_range(const Range& inputs) {
  const auto& t = tls();
  if (t.stack.empty() || t.no_grad > 0) return false;
  for (const TapeState* tape : t.stack) {
    if (!tape->active()) continue;
    for (const auto& in : inputs)
      if (tape->watches(*in)) return true;
  }
  return false;
}

template <class Range>
void record_range(const char* op, const Range& inputs, const Range& outputs, std::vector<Tensor>& saved,
                  BackwardFn& backward) {
  auto& t = tls();
  if (t.stack.empty() || t.no_grad > 0) return;
  std::shared_ptr<OpNode> node;
  for (TapeState* tape : t.stack) {
    if (!tape->active()) continue;
    Record r;
    r.in_slots.reserve(inputs.size());
    bool any = false;
    for (const auto& in : inputs) {
      const std::int32_t s = tape->track_input(*in);
      any = any || s >= 0;
      r.in_slots.push_back(s);
    }
    if (!any) continue;
    if (!node) {
      node = std::make_shared<OpNode>();
      node->name = op;
      node->inputs.reserve(inputs.size());
      for (const auto& in : inputs) node->inputs.push_back({in->shape(), in->dtype()});
      node->outputs.reserve(outputs.size());
      for (const auto& out : outputs) node->outputs.push_back({out->shape(), out->dtype()});
      node->saved = std::move(saved);
      node->backward = std::move(backward);
    }
    r.out_slots.reserve(outputs.size());
    for (const auto& out : outputs) {
      for (const auto& in : inputs)
        if (in->is_same(*out))
          detail::raise<RuntimeError>("record '{}': an output is the same tensor as an input; return a new tensor",
                                      op);
      r.out_slots.push_back(tape->new_slot(*out));
    }
    r.node = node;
    tape->records.push_back(std::move(r));
  }
}

struct PtrRange {  // adapts std::vector<Tensor> to a range of pointers
  const std::vector<Tensor>& v;
  struct It {
    const Tensor* p;
    const Tensor* operator*() const { return p; }
    It& operator++() {
      ++p;
      return *this;
    }
    bool operator!=(const It& o) const { return p != o.p; }
  };
  It begin() const { return {v.data()}; }
  It end() const { return {v.data() + v.size()}; }
  std::size_t size() const { return v.size(); }
};

}  // namespace

namespace {
/// The pointer lists of the public record/should_record: ValueError on a null entry.
void check_pointers(const char* op, const char* what, TensorPtrs ptrs) {
  std::size_t i = 0;
  for (const Tensor* p : ptrs) {
    if (!p) detail::raise<ValueError>("autograd::record('{}'): {} {} is a null pointer", op ? op : "", what, i);
    ++i;
  }
}
}  // namespace

bool should_record(TensorPtrs inputs) {
  check_pointers("should_record", "input", inputs);
  return should_record_range(inputs);
}
bool should_record(const std::vector<Tensor>& inputs) { return should_record_range(PtrRange{inputs}); }

void record(const char* op, TensorPtrs inputs, TensorPtrs outputs, std::vector<Tensor> saved, BackwardFn backward) {
  check_pointers(op, "input", inputs);
  check_pointers(op, "output", outputs);
  if (!backward) detail::raise<ValueError>("autograd::record('{}'): the backward function is empty", op ? op : "");
  record_range(op, inputs, outputs, saved, backward);
}

void record(const char* op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            std::vector<Tensor> saved, BackwardFn backward) {
  record_range(op, PtrRange{inputs}, PtrRange{outputs}, saved, backward);
}

}  // namespace autograd
}  // namespace strata
