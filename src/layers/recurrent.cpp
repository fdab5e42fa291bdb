#include "strata/layers/recurrent.hpp"

#include "detail/errors.hpp"
#include "layers/registry.hpp"
#include "strata/layers/fields.hpp"
#include "strata/ops.hpp"
#include "strata/random.hpp"

namespace strata::layers {

// ---- RNN ---------------------------------------------------------------------------------------------------------

RNN::RNN(std::int64_t units_, ActivationFn activation_, ActivationFn recurrent_activation_, int gates)
    : units(units_), activation(std::move(activation_)), recurrent_activation(std::move(recurrent_activation_)),
      gates_(gates) {}  // each class's constructor validates (class_name() names it there)

void RNN::validate() const {
  if (units <= 0) detail::raise<ValueError>("{}: units must be positive, got {}", class_name(), units);
  if (!(dropout >= 0 && dropout < 1) || !(recurrent_dropout >= 0 && recurrent_dropout < 1))
    detail::raise<ValueError>("{}: dropout ({}) and recurrent_dropout ({}) must be in [0, 1)", class_name(), dropout,
                              recurrent_dropout);
}

void RNN::build(const std::vector<Shape>& in) {
  if (in.empty()) throw ValueError("recurrent layer: no input");
  const Shape& s = in[0];
  if (s.rank() != 3) fail("expected a 3-D input [batch, time, features]", s);
  if (s[2] < 0) fail("the feature dimension must be known", s);
  validate();  // the rates may have been set since construction
  kernel = add_weight("kernel", {s[2], gates_ * units}, kernel_initializer, kernel_regularizer, kernel_constraint);
  recurrent_kernel = add_weight("recurrent_kernel", {units, gates_ * units}, recurrent_initializer,
                                recurrent_regularizer, recurrent_constraint);
  if (use_bias) bias = add_weight("bias", bias_shape(), bias_initializer, bias_regularizer, bias_constraint);
  set_input_spec({3, -1, {{-1, s[2]}}, /*first_input_only=*/true});
}

Tensor RNN::project_inputs(const Tensor& x) {
  Tensor xw = matmul(x, kernel);
  return use_bias ? add(xw, bias) : xw;
}

std::vector<Tensor> RNN::call(const std::vector<Tensor>& xs, bool training) {
  const Tensor& x = xs.at(0);
  const std::int64_t B = x.dim(0), T = x.dim(1);
  if (T == 0) fail("cannot run over a sequence of length 0", x.shape());
  const auto ns = static_cast<std::size_t>(num_states());
  if (xs.size() != 1 && xs.size() != 1 + ns)
    detail::raise<ValueError>("{} '{}': expected the sequence and {} initial states, got {} inputs", class_name(),
                              name(), ns, xs.size());
  std::vector<Tensor> states;
  for (std::size_t k = 0; k < ns; ++k) {
    if (xs.size() > 1) {
      const Tensor& s = xs[1 + k];
      if (s.shape() != Shape{B, units})
        detail::raise<ShapeError>("{} '{}': initial state {} has shape {}, expected {}", class_name(), name(), k,
                                  s.shape(), Shape{B, units});
      states.push_back(s);
    } else {
      states.push_back(Tensor::zeros({B, units}, dtype()));
    }
  }
  Tensor in = x;
  CallState call_state;
  if (training && dropout > 0) {
    in = mul(in, expand_dims(nn::dropout(Tensor::ones({B, x.dim(2)}, dtype()), dropout), 1));
  }
  if (training && recurrent_dropout > 0)
    call_state.recurrent_mask = nn::dropout(Tensor::ones({B, units}, dtype()), recurrent_dropout);
  prepare(call_state);
  // All input projections in one matmul, then one step per time index.
  const std::vector<Tensor> per_step = split(project_inputs(in), T, 1);
  std::vector<Tensor> outputs;
  if (return_sequences) outputs.reserve(static_cast<std::size_t>(T));
  for (std::int64_t k = 0; k < T; ++k) {
    const std::int64_t t = go_backwards ? T - 1 - k : k;
    const Tensor& xt = per_step[static_cast<std::size_t>(t)];  // [B, 1, gates * units]
    states = step(reshape(xt, {B, xt.dim(2)}), states, call_state);
    if (return_sequences) outputs.push_back(states[0]);
  }
  std::vector<Tensor> result{return_sequences ? stack(outputs, 1) : states[0]};
  if (return_state) result.insert(result.end(), states.begin(), states.end());
  return result;
}

std::vector<Shape> RNN::compute_output_shapes(const std::vector<Shape>& in) {
  const Shape& s = in.at(0);
  if (s.rank() != 3) fail("expected a 3-D input [batch, time, features]", s);
  std::vector<Shape> out{return_sequences ? Shape{s[0], s[1], units} : Shape{s[0], units}};
  if (return_state)
    for (int k = 0; k < num_states(); ++k) out.push_back({s[0], units});
  return out;
}

namespace {
/// The keys every recurrent layer shares, in Keras's order, then the layer's own.
struct RnnFields {
  template <class L>
  void operator()(Fields<L>& f) const {
    const auto same = [](L&, const Config&) {};
    f.field("return_sequences", &L::return_sequences)
        .field("return_state", &L::return_state)
        .field("go_backwards", &L::go_backwards)
        .unsupported("stateful", false)
        .custom("unroll", [](const L&) { return Config(false); }, same)  // a speed choice only
        .unsupported("time_major", false, /*written=*/false)            // Keras 2: [time, batch, features]
        .field("units", &L::units)
        .required()
        .field("activation", &L::activation);
    if constexpr (!std::is_same_v<L, SimpleRNN>) f.field("recurrent_activation", &L::recurrent_activation);
    f.field("use_bias", &L::use_bias)
        .field("kernel_initializer", &L::kernel_initializer)
        .field("recurrent_initializer", &L::recurrent_initializer)
        .field("bias_initializer", &L::bias_initializer)
        .field("kernel_regularizer", &L::kernel_regularizer)
        .field("recurrent_regularizer", &L::recurrent_regularizer)
        .field("bias_regularizer", &L::bias_regularizer)
        .field("kernel_constraint", &L::kernel_constraint)
        .field("recurrent_constraint", &L::recurrent_constraint)
        .field("bias_constraint", &L::bias_constraint)
        .field("dropout", &L::dropout)
        .field("recurrent_dropout", &L::recurrent_dropout);
    if constexpr (std::is_same_v<L, LSTM>) f.field("unit_forget_bias", &L::unit_forget_bias);
    if constexpr (std::is_same_v<L, GRU>) f.field("reset_after", &L::reset_after);
    if constexpr (!std::is_same_v<L, SimpleRNN>)
      f.custom("implementation", [](const L&) { return Config(2); }, same);  // 1 and 2 compute the same
    f.validate(&L::validate);
  }
};
}  // namespace

#define STRATA_RNN_FIELDS(Class)                                                             \
  const Fields<Class>& Class::config_fields() {                                              \
    static const auto f =  /* units is a placeholder until the fields are read */          \
        Fields<Class>(#Class).construct([] { return std::make_shared<Class>(1); }).with(RnnFields{}); \
    return f;                                                                                \
  }                                                                                          \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_RNN_FIELDS(SimpleRNN)
STRATA_RNN_FIELDS(LSTM)
STRATA_RNN_FIELDS(GRU)
#undef STRATA_RNN_FIELDS

namespace {
Tensor recurrent_input(const Tensor& h, const Tensor& mask) { return mask.defined() ? mul(h, mask) : h; }
}  // namespace

// ---- SimpleRNN -----------------------------------------------------------------------------------------------------

SimpleRNN::SimpleRNN(std::int64_t units_, ActivationFn activation_) : RNN(units_, std::move(activation_), "linear", 1) {
  validate();
}

std::vector<Tensor> SimpleRNN::step(const Tensor& xw, const std::vector<Tensor>& s, const CallState& call) {
  return {activation(add(xw, matmul(recurrent_input(s[0], call.recurrent_mask), recurrent_kernel)))};
}

// ---- LSTM ---------------------------------------------------------------------------------------------------------

LSTM::LSTM(std::int64_t units_, ActivationFn activation_, ActivationFn recurrent_activation_)
    : RNN(units_, std::move(activation_), std::move(recurrent_activation_), 4) {
  validate();
}

void LSTM::build(const std::vector<Shape>& in) {
  RNN::build(in);
  if (use_bias && unit_forget_bias) {  // [b_i, b_f, b_c, b_o] with b_f starting at 1
    const Tensor init = bias.value();
    std::vector<double> v = init.to_vector<double>();
    for (std::int64_t k = units; k < 2 * units; ++k) v[static_cast<std::size_t>(k)] = 1.0;
    bias.assign(Tensor::from_vector(v, init.shape(), init.dtype()));
  }
}

std::vector<Tensor> LSTM::step(const Tensor& xw, const std::vector<Tensor>& s, const CallState& call) {
  const Tensor z = add(xw, matmul(recurrent_input(s[0], call.recurrent_mask), recurrent_kernel));
  const std::vector<Tensor> g = split(z, 4, 1);
  const Tensor i = recurrent_activation(g[0]);
  const Tensor f = recurrent_activation(g[1]);
  const Tensor c = add(mul(f, s[1]), mul(i, activation(g[2])));
  const Tensor o = recurrent_activation(g[3]);
  return {mul(o, activation(c)), c};
}


// ---- GRU ----------------------------------------------------------------------------------------------------------

GRU::GRU(std::int64_t units_, ActivationFn activation_, ActivationFn recurrent_activation_, bool reset_after_)
    : RNN(units_, std::move(activation_), std::move(recurrent_activation_), 3), reset_after(reset_after_) {
  validate();
}

Tensor GRU::project_inputs(const Tensor& x) {
  Tensor xw = matmul(x, kernel);
  if (!use_bias) return xw;
  return add(xw, reset_after ? reshape(slice(bias, {0}, {1}), {3 * units}) : bias.value());
}

// slices: reset_after, the recurrent bias (undefined without one); otherwise the z and r
// columns of the recurrent kernel, then its h columns.
void GRU::prepare(CallState& call) {
  if (reset_after) {
    call.slices = {use_bias ? reshape(slice(bias, {1}, {2}), {3 * units}) : Tensor()};
  } else {
    call.slices = {slice(recurrent_kernel, {0, 0}, {units, 2 * units}),
                   slice(recurrent_kernel, {0, 2 * units}, {units, 3 * units})};
  }
}

std::vector<Tensor> GRU::step(const Tensor& xw, const std::vector<Tensor>& s, const CallState& call) {
  const Tensor& h = s[0];
  const Tensor hin = recurrent_input(h, call.recurrent_mask);
  const std::vector<Tensor> x3 = split(xw, 3, 1);
  Tensor z, r, hh;
  if (reset_after) {  // the reset gate scales the recurrent product (with its own bias)
    Tensor rec = matmul(hin, recurrent_kernel);
    if (call.slices[0].defined()) rec = add(rec, call.slices[0]);
    const std::vector<Tensor> r3 = split(rec, 3, 1);
    z = recurrent_activation(add(x3[0], r3[0]));
    r = recurrent_activation(add(x3[1], r3[1]));
    hh = activation(add(x3[2], mul(r, r3[2])));
  } else {  // the reset gate scales the state before the product
    const std::vector<Tensor> r2 = split(matmul(hin, call.slices[0]), 2, 1);
    z = recurrent_activation(add(x3[0], r2[0]));
    r = recurrent_activation(add(x3[1], r2[1]));
    hh = activation(add(x3[2], matmul(mul(r, hin), call.slices[1])));
  }
  // h = z * h_prev + (1 - z) * hh
  return {add(mul(z, h), mul(sub(1.0, z), hh))};
}


// ---- Bidirectional -----------------------------------------------------------------------------------------------

Bidirectional::Bidirectional(LayerRef layer, std::string merge_mode_) : merge_mode(std::move(merge_mode_)) {
  forward_layer = std::dynamic_pointer_cast<RNN>(layer.get());
  if (!forward_layer)
    detail::raise<ValueError>("Bidirectional: needs a recurrent layer (SimpleRNN, LSTM, GRU), got {}",
                              layer->class_name());
  if (merge_mode != "concat" && merge_mode != "sum" && merge_mode != "mul" && merge_mode != "ave" &&
      merge_mode != "none")
    detail::raise<ValueError>("Bidirectional: merge_mode must be concat, sum, mul, ave or none, got '{}'", merge_mode);
  // The backward layer is a copy of the forward one's configuration running the other way.
  Config c = serialize_layer(*forward_layer);
  c["config"]["go_backwards"] = !forward_layer->go_backwards;
  c["config"]["name"] = "backward_" + forward_layer->name();
  backward_layer = std::dynamic_pointer_cast<RNN>(layer_from_config(c));
  backward_layer->set_dtype(forward_layer->dtype());
  forward_layer->set_name("forward_" + forward_layer->name());
  track(forward_layer);
  track(backward_layer);
}

void Bidirectional::build(const std::vector<Shape>& in) {
  forward_layer->build_for(in);
  backward_layer->build_for(in);
}

std::vector<Tensor> Bidirectional::call(const std::vector<Tensor>& xs, bool training) {
  std::vector<Tensor> in_f{xs.at(0)}, in_b{xs.at(0)};
  const std::size_t ns = static_cast<std::size_t>(forward_layer->num_states());
  if (xs.size() == 1 + 2 * ns) {  // initial states: forward's, then backward's
    in_f.insert(in_f.end(), xs.begin() + 1, xs.begin() + 1 + static_cast<std::ptrdiff_t>(ns));
    in_b.insert(in_b.end(), xs.begin() + 1 + static_cast<std::ptrdiff_t>(ns), xs.end());
  } else if (xs.size() != 1) {
    detail::raise<ValueError>("Bidirectional '{}': expected the sequence and {} initial states, got {} inputs", name(),
                              2 * ns, xs.size());
  }
  std::vector<Tensor> f = forward_layer->apply(in_f, training);
  std::vector<Tensor> b = backward_layer->apply(in_b, training);
  Tensor yb = b[0];
  if (forward_layer->return_sequences) yb = slice_axis(yb, 1, -1, -yb.dim(1) - 1, -1);  // back in time order
  std::vector<Tensor> out;
  if (merge_mode == "concat") out.push_back(concat({f[0], yb}, -1));
  else if (merge_mode == "sum") out.push_back(add(f[0], yb));
  else if (merge_mode == "mul") out.push_back(mul(f[0], yb));
  else if (merge_mode == "ave") out.push_back(mul(add(f[0], yb), 0.5));
  else out = {f[0], yb};
  out.insert(out.end(), f.begin() + 1, f.end());
  out.insert(out.end(), b.begin() + 1, b.end());
  return out;
}

std::vector<Shape> Bidirectional::compute_output_shapes(const std::vector<Shape>& in) {
  std::vector<Shape> f = forward_layer->compute_output_shapes({in.at(0)});
  std::vector<Shape> out;
  Shape y = f[0];
  if (merge_mode == "concat") {
    y[y.rank() - 1] *= 2;
    out.push_back(y);
  } else if (merge_mode == "none") {
    out = {y, y};
  } else {
    out.push_back(y);
  }
  for (int k = 0; k < 2; ++k) out.insert(out.end(), f.begin() + 1, f.end());
  return out;
}

Config Bidirectional::get_config() const {
  Config c = base_config();
  Config inner = serialize_layer(*forward_layer);
  std::string n = inner["config"].at("name").as_string();
  if (n.rfind("forward_", 0) == 0) inner["config"]["name"] = n.substr(8);
  c["layer"] = inner;
  c["merge_mode"] = merge_mode == "none" ? Config() : Config(merge_mode);
  return c;
}

// ---- TimeDistributed ---------------------------------------------------------------------------------------------

TimeDistributed::TimeDistributed(LayerRef l) : layer(l.get()) { track(layer); }

void TimeDistributed::build(const Shape& s) {
  if (s.rank() < 3) fail("expected an input of rank >= 3 [batch, time, ...]", s);
  Shape inner(s.begin() + 1, s.end());
  inner[0] = -1;
  layer->build_for({inner});
}

Tensor TimeDistributed::call(const Tensor& x, bool training) {
  if (x.rank() < 3) fail("expected an input of rank >= 3 [batch, time, ...]", x.shape());
  const std::int64_t B = x.dim(0), T = x.dim(1);
  Shape flat(x.shape().begin() + 1, x.shape().end());
  flat[0] = B * T;
  const Tensor y = (*layer)(reshape(x, flat), training);
  Shape out(y.shape().begin(), y.shape().end());
  out[0] = T;
  out.insert(0, B);
  return reshape(y, out);
}

Shape TimeDistributed::compute_output_shape(const Shape& s) {
  if (s.rank() < 3) fail("expected an input of rank >= 3 [batch, time, ...]", s);
  Shape inner(s.begin() + 1, s.end());
  inner[0] = -1;
  Shape y = layer->compute_output_shape(inner);
  y[0] = s[1];
  y.insert(0, s[0]);
  return y;
}

Config TimeDistributed::get_config() const {
  Config c = base_config();
  c["layer"] = serialize_layer(*layer);
  return c;
}

// ---- registration ---------------------------------------------------------------------------------------------------


void register_recurrent_layers(Registry& r) {
  r.add("SimpleRNN", SimpleRNN::config_fields().factory());
  r.add("LSTM", LSTM::config_fields().factory());
  r.add("GRU", GRU::config_fields().factory());
  r.add("Bidirectional", [](const Config& c) {
    // strata's backward layer is the forward one's configuration running the other way; Keras
    // writes that as backward_layer, and a different one (given by the user) is refused.
    if (const Config* b = c.find("backward_layer"); b && !b->is_null()) {
      const Config& fwd = c.at("layer").at("config");
      const Config& bwd = b->at("config");
      if (b->at("class_name").as_string() != c.at("layer").at("class_name").as_string() ||
          bwd.get_bool("go_backwards", false) == fwd.get_bool("go_backwards", false))
        throw ValueError("Bidirectional: a backward_layer that is not the forward layer run backwards is not supported");
      Config f = fwd, k = bwd;  // equal but for the name and the direction
      for (Config* one : {&f, &k}) {
        one->erase("name");
        one->erase("go_backwards");
      }
      if (!(f == k))
        detail::raise<ValueError>("Bidirectional: a backward_layer that differs from the forward layer's config ({} "
                                  "against {}) is not supported",
                                  k.dump(), f.dump());
    }
    const Config* m = c.find("merge_mode");
    return std::make_shared<Bidirectional>(LayerRef(layer_from_config(c.at("layer"))),
                                           m && !m->is_null() ? m->as_string() : std::string("none"));
  });
  r.add("TimeDistributed",
                 [](const Config& c) { return std::make_shared<TimeDistributed>(LayerRef(layer_from_config(c.at("layer")))); });
}

}  // namespace strata::layers
