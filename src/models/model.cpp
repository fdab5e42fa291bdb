#include "strata/models/model.hpp"

#include <algorithm>
#include <ostream>
#include <set>

#include "detail/errors.hpp"
#include "layers/node.hpp"
#include "models/graph.hpp"
#include "strata/models/sequential.hpp"

namespace strata::models {

using detail::Node;
using layers::Layer;

Model::Model(std::string name) {
  if (!name.empty()) set_name(std::move(name));
}

Model::Model(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs, std::string name)
    : Model(std::move(name)) {
  init_graph(inputs, outputs);
}

Model::Model(const KerasTensor& input, const KerasTensor& output, std::string name)
    : Model(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, std::move(name)) {}

std::string Model::class_name() const { return graph_ ? "Functional" : "Model"; }

std::string Model::save_refusal() const {
  if (graph_ || dynamic_cast<const Sequential*>(this)) return "";
  return fmt::format("'{}' is a subclassed model: its call() is C++ code, which no saved config describes (Keras "
                     "too needs get_config and from_config for that); save its weights instead (save_weights to "
                     ".weights.h5, .npz or .strata) and load them into the model built in code",
                     name());
}

void Model::init_graph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs) {
  plan_ = std::make_shared<const detail::GraphPlan>(detail::plan_graph(inputs, outputs, name()));
  // The model owns its layers' weights (re-tracked when a Sequential's graph changes).
  untrack_all();
  for (const auto& l : plan_->layer_list)
    if (!std::dynamic_pointer_cast<layers::InputLayer>(l)) track_layer(l);
  inputs_ = inputs;
  outputs_ = outputs;
  graph_ = true;
  mark_built();  // its layers are built
}

const std::vector<std::shared_ptr<Layer>>& Model::layers() const { return plan_ ? plan_->layer_list : sublayers(); }

std::shared_ptr<Layer> Model::get_layer(const std::string& name) const {
  for (const auto& l : layers())
    if (l->name() == name) return l;
  std::string names;
  for (const auto& l : layers()) names += (names.empty() ? "" : ", ") + l->name();
  detail::raise<ValueError>("Model '{}': no layer named '{}' (layers: {})", this->name(), name, names);
}

std::shared_ptr<Layer> Model::get_layer(std::size_t index) const {
  if (index >= layers().size())
    detail::raise<ValueError>("Model '{}': layer index {} out of range ({} layers)", this->name(), index,
                              layers().size());
  return layers()[index];
}

namespace {

bool compatible(const Shape& expected, const Shape& got) {
  if (expected.rank() != got.rank()) return false;
  for (std::size_t d = 0; d < got.rank(); ++d)
    if (expected[d] >= 0 && got[d] >= 0 && expected[d] != got[d]) return false;
  return true;
}

const Shape& shape_of(const Tensor& t) { return t.shape(); }
const Shape& shape_of(const Shape& s) { return s; }

/// Runs the plan on values (Tensors, or Shapes for shape inference): each step's outputs are
/// `run(layer, its inputs)`; slots are released as soon as no later step reads them.
template <class Value, class Run>
std::vector<Value> run_plan(const detail::GraphPlan& plan, const std::vector<KerasTensor>& inputs,
                            const std::vector<Value>& xs, const std::string& model, Run run) {
  if (xs.size() != plan.input_slots.size())
    detail::raise<ValueError>("Model '{}': expected {} inputs, got {}", model, plan.input_slots.size(), xs.size());
  std::vector<Value> slots(plan.slots.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& want = inputs[i].shape();
    if (!compatible(want, shape_of(xs[i])))
      detail::raise<ShapeError>("Model '{}': input {} ('{}') expects shape {}, got {}", model, i, inputs[i].name(),
                                want, shape_of(xs[i]));
    slots[static_cast<std::size_t>(plan.input_slots[i])] = xs[i];
  }
  std::vector<Value> in;
  for (const detail::PlanStep& st : plan.steps) {
    in.clear();
    for (int s : st.in_slots) in.push_back(slots[static_cast<std::size_t>(s)]);
    std::vector<Value> out = run(*st.layer, in);
    for (std::size_t k = 0; k < st.out_slots.size(); ++k)
      slots[static_cast<std::size_t>(st.out_slots[k])] = std::move(out.at(k));
    for (int s : st.release) slots[static_cast<std::size_t>(s)] = Value();
  }
  std::vector<Value> outs;
  outs.reserve(plan.output_slots.size());
  for (int s : plan.output_slots) outs.push_back(slots[static_cast<std::size_t>(s)]);
  return outs;
}

}  // namespace

std::vector<Tensor> Model::call(const std::vector<Tensor>& xs, bool training) {
  if (!graph_) return Layer::call(xs, training);
  return run_plan(*plan_, inputs_, xs, name(),
                  [training](Layer& l, const std::vector<Tensor>& in) { return l.apply(in, training); });
}

std::vector<Shape> Model::compute_output_shapes(const std::vector<Shape>& input_shapes) {
  if (!graph_) return Layer::compute_output_shapes(input_shapes);
  return run_plan(*plan_, inputs_, input_shapes, name(),
                  [](Layer& l, const std::vector<Shape>& in) { return l.compute_output_shapes(in); });
}

DType Model::compute_output_dtype(const std::vector<DType>& input_dtypes) const {
  if (graph_ && !outputs_.empty()) return outputs_[0].dtype();
  return Layer::compute_output_dtype(input_dtypes);
}

// ---- summary --------------------------------------------------------------------------------------------------

namespace {

std::string keras_shape(const Shape& s) {
  std::string out = "(";
  for (std::size_t d = 0; d < s.rank(); ++d) {
    if (d) out += ", ";
    out += s[d] < 0 ? "None" : std::to_string(s[d]);
  }
  if (s.rank() == 1) out += ",";
  return out + ")";
}

std::string with_commas(std::int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

/// Keras's print_row: fields fill columns ending at `positions`, wrapping long ones (at "),",
/// "',"...) onto following lines; each row starts with a space.
void print_row(std::string& out, std::vector<std::string> fields, const std::vector<int>& positions) {
  auto any_left = [&] {
    for (const auto& f : fields)
      if (!f.empty()) return true;
    return false;
  };
  do {
    std::string line;
    for (std::size_t col = 0; col < fields.size(); ++col) {
      const int start = col > 0 ? positions[col - 1] : 0;
      const int end = positions[col];
      const int space = col + 1 != positions.size() ? 2 : 0;
      std::size_t cutoff = static_cast<std::size_t>(std::max(end - start - space, 0));
      std::string fit = fields[col].substr(0, cutoff);
      std::size_t best = std::string::npos;
      for (const char* brk : {"),", "},", "],", "',"}) {
        const std::size_t p = fit.find(brk);
        if (p != std::string::npos) best = std::min(best, p + 2);
      }
      if (best != std::string::npos) {
        cutoff = best;
        fit = fit.substr(0, cutoff);
      }
      if (col == 0) line += ' ';
      line += fit;
      line += std::string(static_cast<std::size_t>(space), ' ');
      fields[col] = fields[col].size() > cutoff ? fields[col].substr(cutoff) : std::string();
      if (static_cast<int>(line.size()) < positions[col]) line += std::string(positions[col] - line.size(), ' ');
    }
    // Keras strips nothing; keep the padding, drop trailing spaces for tidiness.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  } while (any_left());
}

/// The Output Shape column: a layer with one node shows its output, "[...]" for an input or
/// several outputs; "multiple" for a layer with several nodes (or none).
std::string summary_shape(const std::vector<const Node*>& nodes) {
  if (nodes.size() != 1) return "multiple";
  const Node* n = nodes[0];
  if (n->output_shapes.size() == 1 && !n->is_input) return keras_shape(n->output_shapes[0]);
  std::string shape = "[";
  for (std::size_t k = 0; k < n->output_shapes.size(); ++k) shape += (k ? ", " : "") + keras_shape(n->output_shapes[k]);
  return shape + "]";
}

/// The Connected to column: 'layer[node][tensor]' for every input of every node, with Keras's
/// node indices (every call of the inbound layer counts, in any model).
std::string connected_to(const std::vector<const Node*>& nodes) {
  std::string conn = "[";
  bool first = true;
  for (const Node* n : nodes)
    for (const auto& in : n->inputs) {
      conn += (first ? "'" : ", '") + in.node()->layer->name() + "[" + std::to_string(in.node()->node_index) + "][" +
              std::to_string(in.index()) + "]'";
      first = false;
    }
  return conn + "]";
}

}  // namespace

std::string Model::summary() const {
  const bool connections = summary_shows_connections();
  const int line_length = connections ? 98 : 65;
  const std::vector<double> frac = connections ? std::vector<double>{.33, .55, .67, 1.0} : std::vector<double>{.45, .85, 1.0};
  std::vector<int> positions;
  for (double f : frac) positions.push_back(static_cast<int>(line_length * f));
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (connections) header.push_back("Connected to");

  std::string out = "Model: \"" + name() + "\"\n";
  out += std::string(static_cast<std::size_t>(line_length), '_') + "\n";
  print_row(out, header, positions);
  out += std::string(static_cast<std::size_t>(line_length), '=') + "\n";
  for (const auto& l : summary_layers()) {
    // The layer's nodes in this model (none for an unused input or an unbuilt model).
    const detail::PlanLayer* planned = plan_ ? plan_->find(l.get()) : nullptr;
    const std::vector<const Node*> none;
    const std::vector<const Node*>& nodes = planned ? planned->nodes : none;
    std::vector<std::string> fields = {l->name() + " (" + l->class_name() + ")", summary_shape(nodes),
                                       std::to_string(l->count_params())};
    if (connections) fields.push_back(connected_to(nodes));
    print_row(out, fields, positions);
    out += "\n";  // Keras separates rows with a blank line
  }
  out += std::string(static_cast<std::size_t>(line_length), '=') + "\n";
  std::int64_t trainable = 0, non_trainable = 0;
  for (const auto& v : trainable_weights()) trainable += v.size();
  for (const auto& v : non_trainable_weights()) non_trainable += v.size();
  out += "Total params: " + with_commas(trainable + non_trainable) + "\n";
  out += "Trainable params: " + with_commas(trainable) + "\n";
  out += "Non-trainable params: " + with_commas(non_trainable) + "\n";
  out += std::string(static_cast<std::size_t>(line_length), '_') + "\n";
  return out;
}

std::string Model::to_dot(bool show_shapes) const {
  if (!graph_) detail::raise<ValueError>("Model '{}': a subclassed model has no graph to draw", name());
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  auto shapes_text = [](const std::vector<Shape>& shapes) {
    std::string t;
    for (std::size_t k = 0; k < shapes.size(); ++k) t += (k ? ", " : "") + keras_shape(shapes[k]);
    return t;
  };
  std::string out = "digraph " + quote(name()) + " {\n  rankdir=TB;\n  node [shape=record, fontname=\"Helvetica\"];\n";
  for (const detail::PlanLayer& pl : plan_->layers) {
    const Layer& l = *pl.layer;
    std::string label = l.name() + ": " + l.class_name();
    if (show_shapes) {  // the shapes of the layer's first call (or of its Input())
      const Node* n = pl.steps.empty() ? pl.input_node : plan_->steps[static_cast<std::size_t>(pl.steps[0])].node.get();
      std::vector<Shape> ins;
      for (const KerasTensor& in : n->inputs) ins.push_back(in.shape());
      label = "{" + label + "|{input: " + (ins.empty() ? std::string("-") : shapes_text(ins)) +
              "|output: " + shapes_text(n->output_shapes) + "}}";
    }
    out += "  " + quote(l.name()) + " [label=" + quote(label) + "];\n";
  }
  std::set<std::pair<std::string, std::string>> edges;
  for (const detail::PlanStep& st : plan_->steps)
    for (int s : st.in_slots) {
      const std::string& from = plan_->slots[static_cast<std::size_t>(s)].node->layer->name();
      if (edges.insert({from, st.layer->name()}).second)
        out += "  " + quote(from) + " -> " + quote(st.layer->name()) + ";\n";
    }
  return out + "}\n";
}

std::ostream& operator<<(std::ostream& os, const Model& model) { return os << model.summary(); }

}  // namespace strata::models
