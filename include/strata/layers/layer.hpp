#pragma once
/// Keras's layer contract, and the symbolic tensors that build functional models.
///
/// A layer is made in two steps: construction stores configuration only (Keras's __init__),
/// and calling it (Keras's __call__) builds it on the first call from the input shape, then runs
/// call(). build() creates weights with add_weight(), which registers them as Variables of the
/// layer; call() computes the output from ops, so every layer call records onto the active
/// GradientTape and no layer writes its own backward.
///
///   class Scale : public layers::Layer {              // a custom layer
///    public:
///     STRATA_LAYER(Scale)
///    protected:
///     void build(const Shape& s) override { w_ = add_weight("w", {s.back()}, "ones"); }
///     Tensor call(const Tensor& x, bool) override { return x * w_; }
///    private:
///     Variable w_;
///   };
///
///   KerasTensor in = Input({784});                     // symbolic: [None, 784]
///   KerasTensor h = layers::Dense(64, "relu")(in);      // builds, records a Node
///   auto scale = std::make_shared<Scale>();
///   KerasTensor out = (*scale)(h);                      // shared layers: hold them by shared_ptr
///   Tensor y = (*scale)(Tensor::ones({2, 64}));         // eager: computes
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <type_traits>
#include <memory>
#include <string>
#include <vector>

#include "strata/activations.hpp"
#include "strata/autograd/variable.hpp"
#include "strata/config.hpp"
#include "strata/constraints.hpp"
#include "strata/initializers.hpp"
#include "strata/regularizers.hpp"
#include "strata/tensor.hpp"

namespace strata {

namespace layers {
class Layer;
template <class L>
class Fields;
}
namespace detail {
struct Node;
}

/// A symbolic tensor: a shape (-1 for unknown dimensions, Keras's None; the batch dimension is
/// always unknown), a dtype, and the node of the layer call that produces it.
class KerasTensor {
 public:
  KerasTensor() = default;
  const Shape& shape() const;
  DType dtype() const;
  std::size_t rank() const { return shape().rank(); }
  /// "<layer name>" for a single output, "<layer name>:<i>" otherwise.
  std::string name() const;
  bool defined() const { return node_ != nullptr; }

  // Internal: the producing node and the output index.
  KerasTensor(std::shared_ptr<detail::Node> node, std::size_t index) : node_(std::move(node)), index_(index) {}
  const std::shared_ptr<detail::Node>& node() const { return node_; }
  std::size_t index() const { return index_; }

 private:
  std::shared_ptr<detail::Node> node_;
  std::size_t index_ = 0;
};

/// A model input: shape without the batch dimension (-1 marks unknown dimensions, so
/// Input({-1, 8}) takes sequences of any length and Input({-1, -1, 3}) images of any size).
KerasTensor Input(const Shape& shape, DType dtype = DType::float32, const std::string& name = "");

/// Resets the automatic layer names, so the next Dense is "dense" again (Keras's
/// keras.backend.clear_session()). Layers that exist keep their names.
void clear_session();

namespace layers {

/// What a layer accepts, checked on every call before any kernel runs (Keras's InputSpec).
struct InputSpec {
  int ndim = -1;      ///< exact rank, or -1
  int min_ndim = -1;  ///< minimum rank, or -1
  std::map<std::int64_t, std::int64_t> axes;  ///< axis (negative from the back) -> size
  bool first_input_only = false;  ///< check only input 0 (the others are, say, initial states)
};

/// Keras's identifier for a class name: "Conv2DTranspose" -> "conv2d_transpose".
std::string to_snake_case(const std::string& class_name);

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  Layer() = default;
  virtual ~Layer();
  /// Layers move only before they are built or called (so `Dense(8)(x)` can move a temporary
  /// into the model); they never copy.
  Layer(Layer&& other) noexcept;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;
  Layer& operator=(Layer&&) = delete;

  // ---- calling (Keras's __call__) -----------------------------------------------------------------
  /// Eager call on real tensors: builds on the first call, checks the input, runs call().
  Tensor operator()(const Tensor& x, bool training = false);
  /// Several inputs, one output (merge layers): add({a, b}).
  Tensor operator()(const std::vector<Tensor>& xs, bool training = false);
  /// Any number of inputs and outputs (an LSTM with return_state returns three).
  std::vector<Tensor> apply(const std::vector<Tensor>& xs, bool training = false);

  /// Symbolic calls record a Node. A layer called on symbolic tensors must be owned by a
  /// std::shared_ptr, or be a temporary (`Dense(8)(x)`), which is moved into one.
  KerasTensor operator()(const KerasTensor& x) &;
  KerasTensor operator()(const KerasTensor& x) &&;
  KerasTensor operator()(const std::vector<KerasTensor>& xs) &;
  KerasTensor operator()(const std::vector<KerasTensor>& xs) &&;
  std::vector<KerasTensor> apply(const std::vector<KerasTensor>& xs) &;
  std::vector<KerasTensor> apply(const std::vector<KerasTensor>& xs) &&;

  // ---- identity and configuration ---------------------------------------------------------------
  /// Keras's class name ("Dense"); STRATA_LAYER(Class) defines it.
  virtual std::string class_name() const = 0;
  /// Unique by default: "dense", "dense_1", ... (assigned on first use).
  const std::string& name() const;
  void set_name(std::string name);
  /// The dtype of the weights and computation (float32 by default; float64 for gradcheck).
  /// Float inputs are cast to it, as Keras's autocast does. Set it before the layer is built.
  DType dtype() const { return dtype_; }
  void set_dtype(DType dtype);
  /// Keras's mixed-precision policies, "mixed_float16" and "mixed_bfloat16", load: their
  /// variables are float32, as in Keras, and strata also computes in float32 (Keras computes in
  /// half precision, so outputs agree to its precision). The policy is kept and written back
  /// to configs; "float32" and "float64" set the dtype and clear it. Set it before the layer is built.
  void set_dtype_policy(const std::string& policy);
  /// The mixed-precision policy, or "" for a plain dtype.
  const std::string& dtype_policy() const { return dtype_policy_; }
  /// A frozen layer has no trainable weights (optimizers never update them).
  bool trainable() const { return trainable_; }
  virtual void set_trainable(bool trainable);
  bool built() const { return built_; }
  /// Builds for input shapes (batch dimension first; -1 where unknown) without calling.
  void build_for(const std::vector<Shape>& input_shapes);
  /// Keras's config: name, trainable, dtype and the layer's own arguments, JSON-ready.
  virtual Config get_config() const;

  // ---- weights ----------------------------------------------------------------------------------------
  /// Every weight, this layer's then its sublayers', in creation order.
  std::vector<Variable> weights() const;
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  std::int64_t count_params() const;
  /// Values of weights(), and assignment of new ones (shapes must match, ValueError otherwise).
  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& values);

  // ---- losses -----------------------------------------------------------------------------------------
  /// Weight regularization penalties (computed from the current weights, so under a tape they
  /// are differentiable) and the losses added by the last call (add_loss, activity regularizer).
  std::vector<Tensor> losses() const;
  void add_loss(const Tensor& loss);
  /// Keras's activity_regularizer: a penalty on the layer's output, added on every call.
  Regularizer activity_regularizer;

  // ---- shapes ------------------------------------------------------------------------------------------
  /// Output shape for an input shape (batch first, -1 where unknown). The default runs call()
  /// on small zero tensors and reads the result, so custom layers need not override it.
  virtual Shape compute_output_shape(const Shape& input_shape);
  virtual std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes);
  /// The dtype of the outputs for these input dtypes (the layer's dtype by default).
  virtual DType compute_output_dtype(const std::vector<DType>& input_dtypes) const;
  const InputSpec& input_spec() const { return input_spec_; }

  /// Sublayers tracked with track(), in order.
  const std::vector<std::shared_ptr<Layer>>& sublayers() const { return sublayers_; }

  /// One part of how Keras 3 saves a layer's variables (.keras, .weights.h5): `vars` under
  /// `path`, relative to the layer's group ("" is the layer's own), or a `sublayer` saved there.
  struct SavedPart {
    std::string path;
    std::vector<Variable> vars;
    std::shared_ptr<Layer> sublayer;
  };
  /// Keras's default: the layer's own weights (trainable first), then each tracked sublayer
  /// under its name. A layer whose Keras counterpart keeps its weights in inner objects
  /// overrides it (an RNN's cell, MultiHeadAttention's four projections), so the file formats
  /// name no layer.
  virtual std::vector<SavedPart> keras_saved_parts() const;
  /// Why a saved model holding this layer could not be loaded back, or "" when it can: a Lambda
  /// without a registered function name, a subclassed model (no config describes its call()).
  /// Whole-model saves refuse such a model, naming the layer, before they write anything.
  virtual std::string save_refusal() const { return ""; }
  /// How many symbolic calls (Nodes) this layer has had.
  int num_nodes() const { return num_nodes_; }

  // ---- call arguments of a loaded functional model --------------------------------------------
  /// The names of call()'s tensor arguments, in the order apply() takes them: a Keras model's
  /// inbound nodes may pass them by keyword ({"inputs"} by default; MultiHeadAttention's
  /// {"query", "value", "key"}; an RNN's sequences and initial_state).
  virtual std::vector<std::string> call_tensor_arguments() const;
  /// The other keyword arguments of each of the layer's calls in a loaded model, one object per
  /// node (nulls and training=False are already dropped: they change nothing). A layer takes
  /// what it implements; the default refuses any argument with a ValueError naming `where`.
  virtual void load_call_arguments(const std::vector<Config>& per_node, const std::string& where);

  // Internal: a temporary layer moved into a shared_ptr (STRATA_LAYER provides it).
  virtual std::shared_ptr<Layer> move_to_shared() && { return nullptr; }

 protected:
  /// Creates the weights. The one-input form is the one most layers override.
  virtual void build(const Shape& input_shape);
  virtual void build(const std::vector<Shape>& input_shapes);
  /// The computation, from ops. Override the one-input form, or the vector form for several
  /// inputs or outputs.
  virtual Tensor call(const Tensor& x, bool training);
  virtual std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training);

  /// Creates a weight named "<layer name>/<name>" and registers it (Keras's add_weight).
  Variable add_weight(const std::string& name, const Shape& shape, const Initializer& initializer = "glorot_uniform",
                      const Regularizer& regularizer = {}, const Constraint& constraint = {}, bool trainable = true);
  /// Registers a sublayer: its weights count as this layer's.
  template <class L>
  std::shared_ptr<L> track(std::shared_ptr<L> layer) {
    track_layer(layer);
    return layer;
  }
  void track_layer(std::shared_ptr<Layer> layer);
  /// Forgets tracked sublayers (a model re-tracks its layers when its graph changes).
  void untrack_all() { sublayers_.clear(); }
  /// Marks the layer built without calling build().
  void mark_built() { built_ = true; }
  /// The input dtypes while build() or compute_output_shape() runs for a call.
  const std::vector<DType>& pending_input_dtypes() const { return probe_dtypes_; }
  void set_input_spec(InputSpec spec) { input_spec_ = std::move(spec); }
  /// ShapeError "<Class> '<name>': <message> (input shape [..])".
  [[noreturn]] void fail(const std::string& message, const Shape& input_shape) const;
  /// Config helpers for get_config().
  Config base_config() const;

 private:
  friend struct detail::Node;
  void check_inputs(const std::vector<Shape>& shapes) const;
  std::vector<KerasTensor> symbolic_call(std::shared_ptr<Layer> self, const std::vector<KerasTensor>& xs);
  std::shared_ptr<Layer> shared_or_throw();
  std::vector<Shape> probe_output_shapes(const std::vector<Shape>& input_shapes);

  mutable std::string name_;
  DType dtype_ = DType::float32;
  std::string dtype_policy_;
  bool trainable_ = true;
  std::atomic<bool> built_{false};  // set once, under build_mutex(), after build() returns
  int num_nodes_ = 0;
  InputSpec input_spec_;
  struct Weight {
    Variable variable;
    Regularizer regularizer;
  };
  std::vector<Weight> weights_;
  std::vector<std::shared_ptr<Layer>> sublayers_;
  std::vector<Tensor> call_losses_;
  std::vector<DType> probe_dtypes_;  // input dtypes during a symbolic call
};

/// Holds a layer by shared_ptr; made from a shared_ptr or from a temporary layer (moved in),
/// so lists of layers read like Keras: Sequential({Dense(64, "relu"), Dropout(0.2), Dense(10)}).
class LayerRef {
 public:
  template <class L, class = std::enable_if_t<std::is_base_of_v<Layer, L>>>
  LayerRef(std::shared_ptr<L> layer) : layer_(std::move(layer)) {  // NOLINT
    if (!layer_) throw_null();
  }
  template <class L, class = std::enable_if_t<std::is_base_of_v<Layer, std::decay_t<L>> && !std::is_lvalue_reference_v<L>>>
  LayerRef(L&& layer) : layer_(std::move(layer).move_to_shared()) {  // NOLINT
    if (!layer_) throw_not_movable(layer.class_name());
  }
  const std::shared_ptr<Layer>& get() const { return layer_; }
  Layer* operator->() const { return layer_.get(); }

 private:
  [[noreturn]] static void throw_not_movable(const std::string& class_name);
  [[noreturn]] static void throw_null();
  std::shared_ptr<Layer> layer_;
};

/// Declares a layer's config: get_config() and its one list of config fields
/// (strata/layers/fields.hpp), which also builds the layer from a config.
#define STRATA_LAYER_CONFIG(Class)                                                          \
  ::strata::Config get_config() const override;                                            \
  static const ::strata::layers::Fields<Class>& config_fields();

/// Defines class_name() and the move into a shared_ptr for a layer class.
#define STRATA_LAYER(Class)                                                                 \
  std::string class_name() const override { return #Class; }                               \
  std::shared_ptr<::strata::layers::Layer> move_to_shared() && override {                  \
    return std::make_shared<Class>(std::move(*this));                                      \
  }

// ---- deserialization -------------------------------------------------------------------------------

/// Makes a layer from its Keras config (the "config" dict).
using LayerFactory = std::function<std::shared_ptr<Layer>(const Config&)>;
/// Registers a factory under a Keras class name (custom layers register theirs to be loadable).
void register_layer(const std::string& class_name, LayerFactory factory);
/// Every registered class name, sorted: the built-in ones and those registered with
/// register_layer.
std::vector<std::string> registered_layer_classes();
/// The class names strata itself registers (layers and the model classes), sorted.
std::vector<std::string> builtin_layer_classes();
/// A layer from {"class_name": ..., "config": {...}}; an unknown class name throws ValueError
/// naming it.
std::shared_ptr<Layer> layer_from_config(const Config& class_and_config);
/// {"class_name": ..., "config": layer.get_config()}.
Config serialize_layer(const Layer& layer);

}  // namespace layers
}  // namespace strata
