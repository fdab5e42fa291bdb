#pragma once
/// The Container: a model is the DAG of layer calls between Inputs and outputs.
///
///   KerasTensor image = Input({28, 28, 1}), meta = Input({4});
///   auto shared = std::make_shared<layers::Dense>(32, "relu");     // one layer, two calls
///   KerasTensor a = shared->operator()(layers::Flatten()(image));
///   KerasTensor b = layers::Dense(32)(meta);
///   KerasTensor merged = layers::Concatenate()({a, (*shared)(b)});
///   Model model({image, meta}, {layers::Dense(10)(merged), layers::Dense(1)(merged)}, "two_heads");
///   std::cout << model.summary();
///   std::vector<Tensor> out = model.apply({images, metas});            // any batch size
///
/// A Model is itself a Layer, so models nest. Subclassed models derive from Model, create their
/// layers in the constructor with track(), and override call().
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"
#include "strata/models/training.hpp"

namespace strata::detail {
struct CompiledState;
struct GraphPlan;
}

namespace strata::models {

class Model : public layers::Layer {
 public:
  /// A functional model. Every input must come from Input(); every output must be reachable
  /// from the inputs (ValueError naming the layer otherwise).
  Model(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs, std::string name = "");
  Model(const KerasTensor& input, const KerasTensor& output, std::string name = "");
  Model(Model&&) noexcept = default;

  /// "Functional" for a graph of layers, "Model" for a subclassed model without a graph.
  std::string class_name() const override;
  std::shared_ptr<Layer> move_to_shared() && override { return std::make_shared<Model>(std::move(*this)); }

  /// The layers in execution order (Input layers first, as Keras lists them for functional
  /// models; a Sequential lists its stack; a subclassed model, the layers it tracked, in order).
  virtual const std::vector<std::shared_ptr<Layer>>& layers() const;
  /// ValueError listing the model's layer names when absent.
  std::shared_ptr<Layer> get_layer(const std::string& name) const;
  std::shared_ptr<Layer> get_layer(std::size_t index) const;
  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& outputs() const { return outputs_; }
  bool is_graph_network() const { return graph_; }

  /// Keras's summary table: layer (type), output shape, params, connected to (functional
  /// models), then the total, trainable and non-trainable parameter counts.
  std::string summary() const;
  /// The model as a Graphviz graph (Keras's plot_model): one box per layer with its class and,
  /// with show_shapes, its input and output shapes; an edge per connection.
  std::string to_dot(bool show_shapes = true) const;

  /// Keras's model config: name, layers (each with class_name, config, name and
  /// inbound_nodes), input_layers and output_layers. ValueError for a subclassed model (its
  /// architecture is C++ code: rebuild it and load the weights).
  Config get_config() const override;
  /// A subclassed model cannot be saved whole: no config describes its call() (save its weights).
  std::string save_refusal() const override;
  /// {"class_name": "Functional" (or "Sequential"), "config": get_config(), "keras_version",
  /// "backend"} as JSON text, which models::model_from_json (and Keras) read back.
  std::string to_json(int indent = -1) const;
  /// Saves architecture, weights and (compiled) optimizer state: "m.strata", or a folder (or
  /// ".../model.json") for TensorFlow.js. See strata/io/saving.hpp; io::load_model reads it back.
  void save(const std::string& path) const;
  /// Weights only (.npz: name -> array), or a .strata checkpoint; load_weights matches by name
  /// and, from a .strata file into a compiled model, restores the optimizer state too.
  void save_weights(const std::string& path) const;
  void load_weights(const std::string& path);

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;
  DType compute_output_dtype(const std::vector<DType>& input_dtypes) const override;

  // ---- training (Keras's compile / fit / evaluate / predict) -------------------------------------
  /// One loss for every output, or one per output; metrics by name apply to every output
  /// ("accuracy" picks the sparse, categorical or binary form from the loss and the labels).
  void compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metrics = {},
               std::vector<double> loss_weights = {});
  /// Metrics by output (layer) name, as Keras 3 takes them: MetricsByOutput{{"class", {"accuracy"}}}.
  void compile(OptimizerArg optimizer, LossArg loss, MetricsByOutput metrics, std::vector<double> loss_weights = {});
  bool compiled() const { return compiled_ != nullptr; }
  /// Compiles from the compile arguments a file saved, as Keras's load_model(compile=True):
  /// Keras 3's compile_config ({"optimizer", "loss", "metrics", "loss_weights", ...}) or Keras
  /// 2's and TF.js's training_config ({"optimizer_config", "loss", "metrics", ...}); losses and
  /// loss weights as one value, a list or a dict by output name. ValueError (naming the model and
  /// the key) for what strata cannot honour: an unknown loss, metric or optimizer option.
  void compile_from_config(const Config& config);
  /// Keras 3's compile_config of a compiled model, null when it is not compiled. Metrics are
  /// written by name (a metric object's name must be one metrics::get knows to load back).
  Config get_compile_config() const;
  /// A short loop over train_step: shuffle, batch, callbacks, progress, validation.
  callbacks::History fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
  callbacks::History fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const FitOptions& options = {});
  /// The loss and metrics over the data, in inference mode.
  Logs evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options = {});
  Logs evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const EvaluateOptions& options = {});
  /// Outputs in inference mode, computed batch by batch.
  Tensor predict(const Tensor& x, std::int64_t batch_size = 32);
  std::vector<Tensor> predict_all(const std::vector<Tensor>& x, std::int64_t batch_size = 32);
  /// One training step on one batch; returns that batch's loss and metrics, as Keras does (the
  /// metrics are reset first). reset_metrics = false accumulates them over calls instead, as
  /// Keras 2's flag of that name did, until the next reset_metrics().
  Logs train_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight = Tensor(),
                      bool reset_metrics = true);
  /// The loss and metrics of one batch in inference mode (reset first, as train_on_batch).
  Logs test_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight = Tensor(),
                     bool reset_metrics = true);
  /// Keras's train_step: forward under a tape, compute_loss, gradients, the optimizer, the
  /// metrics. Override it to customize what fit does.
  virtual Logs train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight);
  virtual Logs test_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight);
  /// The gradients of trainable_weights() (in order) of this step's batch, as the optimizer
  /// should apply them: in a distributed fit, this rank's slice's gradients turned into the
  /// global batch's (strata/distributed.hpp); otherwise unchanged. An overridden train_step
  /// calls it between the tape and apply_gradients, as the built-in one does.
  std::vector<Tensor> reduce_gradients(const std::vector<Tensor>& gradients);
  /// The weighted sum of the outputs' losses plus the model's regularization losses.
  Tensor compute_loss(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred, const Tensor& sample_weight);
  /// Updates the compiled metrics (and the loss tracker with `loss`); returns their results.
  Logs update_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred, const Tensor& sample_weight,
                      const Tensor& loss);
  Logs metric_results() const;
  /// The compiled metrics as Keras's model.metrics lists them: the loss tracker, each output's
  /// loss tracker (several outputs), then each output's metrics (made at the first batch).
  std::vector<metrics::Metric*> metrics() const;
  void reset_metrics();
  std::shared_ptr<optimizers::Optimizer> optimizer() const;
  /// Set by callbacks (EarlyStopping, TerminateOnNaN) to end fit after the current batch/epoch.
  bool stop_training = false;
  /// Set by a callback's on_train_begin (BackupAndRestore) to make fit start at this epoch.
  std::optional<int> resume_from_epoch;
  /// Epochs fit has completed (the last epoch's index + 1). Saved in .strata files and restored
  /// by load_model and load_weights, so training resumes with
  /// `FitOptions::initial_epoch = model.epochs_completed`.
  int epochs_completed = 0;

 protected:
  /// For subclassed models: create layers in the constructor with track(), override call().
  explicit Model(std::string name = "");
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;
  /// Turns this model into the graph from inputs to outputs (used by the constructors and
  /// Sequential).
  void init_graph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs);
  /// Summary rows: the layers shown and whether the "Connected to" column is printed.
  virtual bool summary_shows_connections() const { return true; }
  virtual std::vector<std::shared_ptr<Layer>> summary_layers() const { return Model::layers(); }

 private:
  std::shared_ptr<const detail::GraphPlan> plan_;  // null for a subclassed model
  std::vector<KerasTensor> inputs_, outputs_;
  bool graph_ = false;
  std::shared_ptr<detail::CompiledState> compiled_;
  detail::CompiledState& compiled_state() const;
  /// Makes the compiled metrics for targets and predictions like these (once).
  void resolve_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred);
  void compile_impl(OptimizerArg optimizer, LossArg loss, std::vector<std::vector<MetricArg>> metrics,
                    std::vector<double> loss_weights);
};

std::ostream& operator<<(std::ostream& os, const Model& model);

}  // namespace strata::models

namespace strata {
using models::Model;
}
