#include "strata/layers/layer.hpp"

#include <algorithm>

#include <cctype>
#include <mutex>
#include <new>
#include <unordered_map>

#include "detail/errors.hpp"
#include "layers/node.hpp"
#include "layers/weight_budget.hpp"
#include "layers/registry.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"

namespace strata {

// ---- KerasTensor and Input ----------------------------------------------------------------------------

namespace {
const detail::Node& node_of(const std::shared_ptr<detail::Node>& n) {
  if (!n) throw ValueError("use of an undefined KerasTensor");
  return *n;
}
}  // namespace

const Shape& KerasTensor::shape() const { return node_of(node_).output_shapes.at(index_); }
DType KerasTensor::dtype() const { return node_of(node_).output_dtypes.at(index_); }
std::string KerasTensor::name() const {
  const auto& n = node_of(node_);
  if (n.output_shapes.size() == 1) return n.layer->name();
  return n.layer->name() + ":" + std::to_string(index_);
}

KerasTensor Input(const Shape& shape, DType dtype, const std::string& name) {
  Shape batch_shape = shape;
  batch_shape.insert(0, -1);
  for (auto d : shape)
    if (d < -1 || d == 0) detail::raise<ValueError>("Input: dimensions must be positive or -1 (unknown), got {}", shape);
  auto layer = std::make_shared<layers::InputLayer>(batch_shape, dtype);
  if (!name.empty()) layer->set_name(name);
  auto node = std::make_shared<detail::Node>();
  node->layer = layer;
  node->output_shapes = {batch_shape};
  node->output_dtypes = {dtype};
  node->is_input = true;
  return KerasTensor(std::move(node), 0);
}

namespace layers {

// ---- names ------------------------------------------------------------------------------------------------

std::string to_snake_case(const std::string& n) {
  // Keras: re.sub("(.)([A-Z][a-z]+)", r"\1_\2"), then re.sub("([a-z])([A-Z])", r"\1_\2"), lower.
  std::string a;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(n[i])) && i + 1 < n.size() &&
        std::islower(static_cast<unsigned char>(n[i + 1])) && a.back() != '_')
      a += '_';
    a += n[i];
  }
  std::string b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && std::islower(static_cast<unsigned char>(a[i - 1])) && std::isupper(static_cast<unsigned char>(a[i])))
      b += '_';
    b += static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
  }
  return b;
}

namespace {
std::mutex& name_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_map<std::string, int>& name_counts() {
  static std::unordered_map<std::string, int> counts;
  return counts;
}

/// Keras 2's names: "dense", "dense_1", ...; Inputs count from 1 ("input_1", "input_2").
std::string unique_name(const std::string& base, bool zero_based = true) {
  std::lock_guard<std::mutex> lock(name_mutex());
  const int k = name_counts()[base]++ + (zero_based ? 0 : 1);
  return k == 0 ? base : base + "_" + std::to_string(k);
}

// Layers report errors as "<Class> '<name>': ...".
std::string who(const Layer& l) { return l.class_name() + " '" + l.name() + "'"; }

std::vector<Shape> shapes_of(const std::vector<Tensor>& xs) {
  std::vector<Shape> s;
  s.reserve(xs.size());
  for (const auto& x : xs) s.push_back(x.shape());
  return s;
}

std::string shapes_str(const std::vector<Shape>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x.to_string();
  return out;
}

/// Thrown by the default compute_output_shape when the layer has several outputs.
struct SeveralOutputs : ValueError {
  using ValueError::ValueError;
};
}  // namespace

// ---- Layer ---------------------------------------------------------------------------------------------------

Layer::~Layer() = default;

Layer::Layer(Layer&& o) noexcept
    : std::enable_shared_from_this<Layer>(),
      activity_regularizer(std::move(o.activity_regularizer)),
      name_(std::move(o.name_)),
      dtype_(o.dtype_),
      dtype_policy_(std::move(o.dtype_policy_)),
      trainable_(o.trainable_),
      built_(o.built_.load()),
      num_nodes_(o.num_nodes_),
      input_spec_(std::move(o.input_spec_)),
      weights_(std::move(o.weights_)),
      sublayers_(std::move(o.sublayers_)),
      call_losses_(std::move(o.call_losses_)) {}

namespace {
/// Held while a layer builds (its first call) and while it is called symbolically: a shared,
/// unbuilt layer first called from several threads builds once, and the others wait for it.
/// Recursive, since building a model or a wrapper builds its sublayers.
std::recursive_mutex& build_mutex() {
  static std::recursive_mutex m;
  return m;
}
/// Guards the lazy choice of a layer's name.
std::mutex& naming_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

const std::string& Layer::name() const {
  std::lock_guard<std::mutex> lock(naming_mutex());
  if (name_.empty()) {
    const std::string cls = class_name();
    if (cls == "InputLayer")
      name_ = unique_name("input", /*zero_based=*/false);
    else if (cls == "Functional")
      name_ = unique_name("model");
    else
      name_ = unique_name(to_snake_case(cls));
  }
  return name_;
}

void Layer::set_name(std::string name) {
  if (name.empty()) throw ValueError("Layer::set_name: a layer name cannot be empty");
  std::lock_guard<std::mutex> lock(naming_mutex());
  name_ = std::move(name);
}

void Layer::set_dtype(DType dtype) {
  if (built_ && dtype != dtype_)
    detail::raise<ValueError>("{}: set_dtype after the layer was built (its weights are {})", who(*this), dtype_);
  dtype_ = dtype;
  for (auto& s : sublayers_) s->set_dtype(dtype);
}

void Layer::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (auto& s : sublayers_) s->set_trainable(trainable);
}

void Layer::build(const Shape&) {}

void Layer::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) build(input_shapes[0]);
}

Tensor Layer::call(const Tensor&, bool) {
  detail::raise<ValueError>("{}: the layer does not override call(const Tensor&, bool) (or the vector form)",
                            class_name());
}

std::vector<Tensor> Layer::call(const std::vector<Tensor>& xs, bool training) {
  if (xs.size() != 1)
    detail::raise<ValueError>("{}: expected one input, got {} ({})", who(*this), xs.size(), shapes_str(shapes_of(xs)));
  return {call(xs[0], training)};
}

void Layer::build_for(const std::vector<Shape>& input_shapes) {
  if (built_) return;
  std::lock_guard<std::recursive_mutex> lock(build_mutex());
  if (built_) return;  // another thread built it meanwhile
  build(input_shapes);
  built_ = true;
}

void Layer::check_inputs(const std::vector<Shape>& shapes) const {
  const InputSpec& spec = input_spec_;
  if (spec.ndim < 0 && spec.min_ndim < 0 && spec.axes.empty()) return;
  for (std::size_t i = 0; i < shapes.size() && (i == 0 || !spec.first_input_only); ++i) {
    const Shape& s = shapes[i];
    const auto r = static_cast<int>(s.rank());
    if (spec.ndim >= 0 && r != spec.ndim)
      fail("expected an input of rank " + std::to_string(spec.ndim) + ", got rank " + std::to_string(r), s);
    if (spec.min_ndim >= 0 && r < spec.min_ndim)
      fail("expected an input of rank >= " + std::to_string(spec.min_ndim) + ", got rank " + std::to_string(r), s);
    for (const auto& [axis, size] : spec.axes) {
      const std::int64_t a = axis < 0 ? axis + r : axis;
      if (a < 0 || a >= r) continue;
      const std::int64_t got = s[static_cast<std::size_t>(a)];
      if (got >= 0 && got != size) {
        const std::string which = axis == -1 ? "last dimension" : "dimension " + std::to_string(axis);
        fail("expected input " + which + " " + std::to_string(size) + ", got " + std::to_string(got), s);
      }
    }
  }
}

void Layer::fail(const std::string& message, const Shape& input_shape) const {
  detail::raise<ShapeError>("{}: {} (input shape {})", who(*this), message, input_shape);
}

std::vector<Tensor> Layer::apply(const std::vector<Tensor>& xs, bool training) {
  std::vector<Tensor> in;
  in.reserve(xs.size());
  for (const auto& x : xs) {
    if (!x.defined()) detail::raise<ValueError>("{}: called on an undefined Tensor", who(*this));
    // Keras's autocast: float inputs take the layer's dtype.
    in.push_back(is_floating(x.dtype()) && x.dtype() != dtype_ ? cast(x, dtype_) : x);
  }
  const std::vector<Shape> shapes = shapes_of(in);
  if (!built_) {
    std::lock_guard<std::recursive_mutex> lock(build_mutex());
    if (!built_) {  // not built by another thread meanwhile
      probe_dtypes_.clear();
      for (const auto& x : in) probe_dtypes_.push_back(x.dtype());
      build(shapes);
      probe_dtypes_.clear();
      built_ = true;
    }
  }
  check_inputs(shapes);
  if (!call_losses_.empty()) call_losses_.clear();  // no write when there is none: calls on several threads
  std::vector<Tensor> outs = call(in, training);
  if (activity_regularizer) {
    for (const auto& o : outs) {  // Keras averages the activity penalty over the batch
      const double batch = o.rank() > 0 && o.dim(0) > 0 ? static_cast<double>(o.dim(0)) : 1.0;
      call_losses_.push_back(div(activity_regularizer(o), batch));
    }
  }
  return outs;
}

Tensor Layer::operator()(const Tensor& x, bool training) {
  std::vector<Tensor> outs = apply(std::vector<Tensor>{x}, training);
  if (outs.size() != 1)
    detail::raise<ValueError>("{}: returns {} outputs; use apply({{x}}) to get them all", who(*this), outs.size());
  return std::move(outs[0]);
}

Tensor Layer::operator()(const std::vector<Tensor>& xs, bool training) {
  std::vector<Tensor> outs = apply(xs, training);
  if (outs.size() != 1)
    detail::raise<ValueError>("{}: returns {} outputs; use apply(...) to get them all", who(*this), outs.size());
  return std::move(outs[0]);
}

// ---- symbolic calls -------------------------------------------------------------------------------------

std::shared_ptr<Layer> Layer::shared_or_throw() {
  if (auto self = weak_from_this().lock()) return self;
  detail::raise<ValueError>(
      "{}: a layer called on symbolic tensors must be owned by a std::shared_ptr (std::make_shared<{}>(...)) or be "
      "a temporary ({}(...)(x)), so that the model can hold it",
      who(*this), class_name(), class_name());
}

std::vector<KerasTensor> Layer::symbolic_call(std::shared_ptr<Layer> self, const std::vector<KerasTensor>& xs) {
  std::lock_guard<std::recursive_mutex> lock(build_mutex());  // builds, and counts the layer's nodes
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (const auto& x : xs) {
    if (!x.defined()) detail::raise<ValueError>("{}: called on an undefined KerasTensor", who(*this));
    shapes.push_back(x.shape());
    dtypes.push_back(x.dtype());
  }
  probe_dtypes_ = dtypes;
  if (!built_) {
    build(shapes);
    built_ = true;
  }
  check_inputs(shapes);
  auto node = std::make_shared<detail::Node>();
  node->layer = std::move(self);
  node->inputs = xs;
  probe_dtypes_ = dtypes;
  node->output_shapes = compute_output_shapes(shapes);
  probe_dtypes_.clear();
  node->output_dtypes.assign(node->output_shapes.size(), compute_output_dtype(dtypes));
  node->node_index = num_nodes_++;
  std::vector<KerasTensor> outs;
  for (std::size_t i = 0; i < node->output_shapes.size(); ++i) outs.emplace_back(node, i);
  return outs;
}

namespace {
KerasTensor single(const Layer& l, std::vector<KerasTensor> outs) {
  if (outs.size() != 1)
    detail::raise<ValueError>("{} '{}': returns {} outputs; use apply(...) to get them all", l.class_name(), l.name(),
                              outs.size());
  return std::move(outs[0]);
}

std::shared_ptr<Layer> moved(Layer&& l) {
  if (auto self = l.weak_from_this().lock()) return self;
  const std::string cls = l.class_name();
  auto self = std::move(l).move_to_shared();
  if (!self)
    detail::raise<ValueError>(
        "{}: this layer class cannot be moved into a model; hold it with std::make_shared<{}>(...) (or declare it "
        "with STRATA_LAYER({}))",
        cls, cls, cls);
  return self;
}
}  // namespace

KerasTensor Layer::operator()(const KerasTensor& x) & { return single(*this, symbolic_call(shared_or_throw(), {x})); }
KerasTensor Layer::operator()(const KerasTensor& x) && {
  auto self = moved(std::move(*this));
  return single(*self, self->symbolic_call(self, {x}));
}
KerasTensor Layer::operator()(const std::vector<KerasTensor>& xs) & {
  return single(*this, symbolic_call(shared_or_throw(), xs));
}
KerasTensor Layer::operator()(const std::vector<KerasTensor>& xs) && {
  auto self = moved(std::move(*this));
  return single(*self, self->symbolic_call(self, xs));
}
std::vector<KerasTensor> Layer::apply(const std::vector<KerasTensor>& xs) & {
  return symbolic_call(shared_or_throw(), xs);
}
std::vector<KerasTensor> Layer::apply(const std::vector<KerasTensor>& xs) && {
  auto self = moved(std::move(*this));
  return self->symbolic_call(self, xs);
}

// ---- shapes ---------------------------------------------------------------------------------------------

std::vector<Shape> Layer::probe_output_shapes(const std::vector<Shape>& in) {
  build_for(in);
  // Run call() twice on zeros, with every unknown dimension 2 and then 3: output dimensions
  // that differ between the runs are unknown.
  NoGradGuard no_grad;
  std::vector<std::vector<Shape>> runs;
  for (std::int64_t fill : {2, 3}) {
    std::vector<Tensor> xs;
    for (std::size_t i = 0; i < in.size(); ++i) {
      Shape s = in[i];
      for (auto& d : s)
        if (d < 0) d = fill;
      const DType dt = i < probe_dtypes_.size() ? probe_dtypes_[i] : dtype_;
      xs.push_back(Tensor::zeros(s, is_floating(dt) ? dtype_ : dt));
    }
    runs.push_back(shapes_of(call(xs, false)));
  }
  std::vector<Shape> out = runs[0];
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (runs[1].size() != out.size() || runs[1][k].rank() != out[k].rank())
      detail::raise<ValueError>("{}: the rank of the output depends on the input's unknown dimensions; override "
                                "compute_output_shape",
                                who(*this));
    for (std::size_t d = 0; d < out[k].rank(); ++d)
      if (out[k][d] != runs[1][k][d]) out[k][d] = -1;
  }
  return out;
}

Shape Layer::compute_output_shape(const Shape& input_shape) {
  std::vector<Shape> outs = probe_output_shapes({input_shape});
  if (outs.size() != 1)
    throw SeveralOutputs(who(*this) + ": has " + std::to_string(outs.size()) +
                         " outputs; use compute_output_shapes");
  return outs[0];
}

std::vector<Shape> Layer::compute_output_shapes(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) {
    try {
      return {compute_output_shape(input_shapes[0])};
    } catch (const SeveralOutputs&) {
      return probe_output_shapes(input_shapes);
    }
  }
  return probe_output_shapes(input_shapes);
}

DType Layer::compute_output_dtype(const std::vector<DType>&) const { return dtype_; }

// ---- weights -----------------------------------------------------------------------------------------------

Variable Layer::add_weight(const std::string& name, const Shape& shape, const Initializer& initializer,
                           const Regularizer& regularizer, const Constraint& constraint, bool trainable) {
  std::uint64_t n = 1;  // counted before anything is allocated, without overflowing
  for (auto d : shape) {
    if (d < 0)
      detail::raise<ShapeError>("{}: weight '{}' has unknown dimensions {} (is a dimension of the input None?)",
                                who(*this), name, shape);
    if (d > 0 && n > (std::uint64_t(1) << 62) / static_cast<std::uint64_t>(d))
      detail::raise<ValueError>("{}: weight '{}' of shape {} has more elements than any tensor can hold", who(*this),
                                name, shape);
    n *= static_cast<std::uint64_t>(d);
  }
  if (!WeightBudget::take(n))
    detail::raise<ValueError>("{}: weight '{}' of shape {} ({} elements) needs more than '{}' holds weight data for "
                              "({} elements in all): the config does not match its weights",
                              who(*this), name, shape, n, WeightBudget::what(), WeightBudget::limit());
  Tensor value;
  try {
    value = initializer(shape, dtype_);
  } catch (const std::bad_alloc&) {
    detail::raise<RuntimeError>("{}: weight '{}' of shape {} ({} elements) could not be allocated", who(*this), name,
                                shape, n);
  }
  Variable v(value, this->name() + "/" + name, trainable);
  if (constraint) v.set_constraint(constraint.fn());
  weights_.push_back({v, regularizer});
  return v;
}

void Layer::track_layer(std::shared_ptr<Layer> layer) {
  if (!layer) throw ValueError("Layer::track: null layer");
  sublayers_.push_back(std::move(layer));
}

std::vector<Variable> Layer::weights() const {
  std::vector<Variable> out;
  for (const auto& w : weights_) out.push_back(w.variable);
  for (const auto& s : sublayers_)
    for (auto& v : s->weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::trainable_weights() const {
  std::vector<Variable> out;
  if (!trainable_) return out;
  for (const auto& w : weights_)
    if (w.variable.trainable()) out.push_back(w.variable);
  for (const auto& s : sublayers_)
    for (auto& v : s->trainable_weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
  std::vector<Variable> out;
  for (const auto& w : weights_)
    if (!trainable_ || !w.variable.trainable()) out.push_back(w.variable);
  for (const auto& s : sublayers_)
    for (auto& v : trainable_ ? s->non_trainable_weights() : s->weights()) out.push_back(v);
  return out;
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (const auto& v : weights()) n += v.size();
  return n;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& v : weights()) out.push_back(v.value());
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  auto ws = weights();
  if (values.size() != ws.size())
    detail::raise<ValueError>("{}: set_weights got {} tensors for {} weights", who(*this), values.size(), ws.size());
  for (std::size_t i = 0; i < ws.size(); ++i)
    if (values[i].shape() != ws[i].shape())
      detail::raise<ValueError>("{}: set_weights: weight '{}' has shape {}, got {}", who(*this), ws[i].name(),
                                ws[i].shape(), values[i].shape());
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i].assign(cast(values[i], ws[i].dtype()));
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out;
  for (const auto& w : weights_)
    if (w.regularizer) out.push_back(w.regularizer(w.variable.value()));
  out.insert(out.end(), call_losses_.begin(), call_losses_.end());
  for (const auto& s : sublayers_)
    for (auto& l : s->losses()) out.push_back(l);
  return out;
}

void Layer::add_loss(const Tensor& loss) {
  if (!loss.defined()) detail::raise<ValueError>("{}: add_loss of an undefined Tensor", who(*this));
  call_losses_.push_back(loss.rank() == 0 ? loss : sum(loss));
}

void Layer::set_dtype_policy(const std::string& policy) {
  if (policy == "mixed_float16" || policy == "mixed_bfloat16") {
    set_dtype(DType::float32);  // Keras's variable dtype under these policies
    dtype_policy_ = policy;
    for (auto& s : sublayers_) s->set_dtype_policy(policy);
    return;
  }
  if (policy != "float32" && policy != "float64")
    detail::raise<ValueError>("{}: unknown dtype policy '{}' (float32, float64, mixed_float16, mixed_bfloat16)",
                              who(*this), policy);
  set_dtype(dtype_from_name(policy));
  dtype_policy_.clear();
  for (auto& s : sublayers_) s->set_dtype_policy(policy);
}

Config Layer::base_config() const {
  Config c = Config::object();
  c["name"] = name();
  c["trainable"] = trainable_;
  c["dtype"] = dtype_policy_.empty() ? std::string(dtype_name(dtype_)) : dtype_policy_;
  if (activity_regularizer) c["activity_regularizer"] = activity_regularizer.to_config();
  return c;
}

Config Layer::get_config() const { return base_config(); }

// ---- LayerRef, registry --------------------------------------------------------------------------------------

void LayerRef::throw_not_movable(const std::string& class_name) {
  detail::raise<ValueError>(
      "{}: this layer class cannot be moved into a model; pass std::make_shared<{}>(...) (or declare it with "
      "STRATA_LAYER({}))",
      class_name, class_name, class_name);
}

void LayerRef::throw_null() {
  throw ValueError("a null layer (an empty std::shared_ptr) was given where a layer is expected");
}

std::shared_ptr<Layer> layer_from_config(const Config& c) {
  const std::string cls = c.at("class_name").as_string();
  const LayerFactory f = layer_factory(cls);
  const Config cfg = c.contains("config") ? c.at("config") : Config::object();
  std::shared_ptr<Layer> layer = f(cfg);
  if (const Config* n = cfg.find("name"); n && n->is_string()) layer->set_name(n->as_string());
  if (const Config* d = cfg.find("dtype"); d && !d->is_null()) {
    // "float32", or Keras 3's policy {"class_name": "DTypePolicy", "config": {"name": "float32"}}
    const std::string name = d->is_string() ? d->as_string()
                             : d->is_object() && d->contains("config") ? d->at("config").get_string("name", "")
                                                                       : std::string();
    if (name != "float32" && name != "float64" && name != "mixed_float16" && name != "mixed_bfloat16")
      detail::raise<ValueError>(
          "{} '{}': dtype {} is not supported (float32, float64 and the mixed_float16 / mixed_bfloat16 policies are)",
          cls, layer->name(), d->dump());
    layer->set_dtype_policy(name);
  }
  if (const Config* t = cfg.find("trainable"); t && t->is_bool()) layer->set_trainable(t->as_bool());
  if (const Config* a = cfg.find("activity_regularizer"); a && !a->is_null())
    layer->activity_regularizer = Regularizer::from_config(*a);
  return layer;
}

Config serialize_layer(const Layer& layer) {
  return Config::object({{"class_name", layer.class_name()}, {"config", layer.get_config()}});
}

// ---- InputLayer -----------------------------------------------------------------------------------------------

InputLayer::InputLayer(Shape batch_shape, DType dtype) : batch_shape_(std::move(batch_shape)) { set_dtype(dtype); }

Config InputLayer::get_config() const {
  Config c = Config::object();
  c["batch_input_shape"] = shape_to_config(batch_shape_);
  c["dtype"] = dtype_name(dtype());
  c["sparse"] = false;
  c["name"] = name();
  return c;
}

Tensor InputLayer::call(const Tensor& x, bool) { return x; }

}  // namespace layers
void clear_session() {
  std::lock_guard<std::mutex> lock(layers::name_mutex());
  layers::name_counts().clear();
}

}  // namespace strata
