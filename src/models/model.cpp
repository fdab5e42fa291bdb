#include "strata/models/model.hpp"

#include <algorithm>
#include <ostream>
#include <set>
#include <unordered_map>

#include "detail/errors.hpp"
#include "layers/node.hpp"
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

void Model::init_graph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs) {
  if (inputs.empty()) throw ValueError("Model: needs at least one input");
  if (outputs.empty()) throw ValueError("Model: needs at least one output");
  std::set<const Node*> input_nodes;
  for (const auto& in : inputs) {
    if (!in.defined()) throw ValueError("Model: an input is an undefined KerasTensor");
    if (!in.node()->is_input)
      detail::raise<ValueError>("Model '{}': input tensors must come from Input(); '{}' is the output of layer '{}'",
                                this->name(), in.name(), in.node()->layer->name());
    if (!input_nodes.insert(in.node().get()).second)
      detail::raise<ValueError>("Model '{}': the input '{}' is listed twice", this->name(), in.name());
  }
  for (const auto& out : outputs)
    if (!out.defined()) throw ValueError("Model: an output is an undefined KerasTensor");

  // Depth-first post-order from the outputs: a topological order of the nodes.
  std::vector<std::shared_ptr<Node>> order;
  // A node is done once its inputs are ordered before it. KerasTensors are immutable, so a node's
  // inputs exist before it does and the graph has no cycles: no "visiting" state is needed.
  std::set<const Node*> done;
  std::vector<std::string> visited_layers;
  std::function<void(const std::shared_ptr<Node>&, const Node*)> visit = [&](const std::shared_ptr<Node>& n,
                                                                                 const Node* consumer) {
    if (done.count(n.get())) return;
    if (n->is_input && !input_nodes.count(n.get()))
      detail::raise<ValueError>(
          "Model '{}': graph disconnected: cannot obtain the value of input '{}' needed by layer '{}'; it is not "
          "one of the model's inputs (layers reached without issue: {})",
          this->name(), n->layer->name(), consumer ? consumer->layer->name() : n->layer->name(),
          visited_layers.empty() ? std::string("none") : [&] {
            std::string s2;
            for (const auto& v : visited_layers) s2 += (s2.empty() ? "" : ", ") + v;
            return s2;
          }());
    for (const auto& in : n->inputs) visit(in.node(), n.get());
    done.insert(n.get());
    order.push_back(n);
    visited_layers.push_back(n->layer->name());
  };
  for (const auto& out : outputs) visit(out.node(), nullptr);
  // Inputs first, in the order given (including inputs no output uses).
  std::vector<std::shared_ptr<Node>> steps;
  for (const auto& n : order)
    if (!n->is_input) steps.push_back(n);

  // Slots: one per produced tensor.
  std::unordered_map<const Node*, int> base;
  int next = 0;
  input_slots_.clear();
  for (const auto& in : inputs) {
    base[in.node().get()] = next;
    input_slots_.push_back(next++);
  }
  for (const auto& n : steps) {
    base[n.get()] = next;
    next += static_cast<int>(n->output_shapes.size());
  }
  num_slots_ = next;
  steps_.clear();
  layers_.clear();
  std::set<const Layer*> seen;
  for (const auto& in : inputs) {
    layers_.push_back(in.node()->layer);
    seen.insert(in.node()->layer.get());
  }
  for (const auto& n : steps) {
    Step st;
    st.layer = n->layer;
    st.node = n;
    for (const auto& in : n->inputs) st.in_slots.push_back(base.at(in.node().get()) + static_cast<int>(in.index()));
    for (std::size_t i = 0; i < n->output_shapes.size(); ++i)
      st.out_slots.push_back(base.at(n.get()) + static_cast<int>(i));
    steps_.push_back(std::move(st));
    if (seen.insert(n->layer.get()).second) layers_.push_back(n->layer);
  }
  output_slots_.clear();
  for (const auto& out : outputs) output_slots_.push_back(base.at(out.node().get()) + static_cast<int>(out.index()));
  // Release each slot after its last reader (outputs are kept).
  std::vector<int> last(static_cast<std::size_t>(num_slots_), -1);
  for (std::size_t i = 0; i < steps_.size(); ++i)
    for (int s : steps_[i].in_slots) last[static_cast<std::size_t>(s)] = static_cast<int>(i);
  for (int s : output_slots_) last[static_cast<std::size_t>(s)] = -2;
  for (int s = 0; s < num_slots_; ++s)
    if (last[static_cast<std::size_t>(s)] >= 0) steps_[static_cast<std::size_t>(last[static_cast<std::size_t>(s)])].release.push_back(s);

  // Layer names must be unique within a model (they key saved weights).
  std::set<std::string> names;
  for (const auto& l : layers_)
    if (!names.insert(l->name()).second)
      detail::raise<ValueError>("Model '{}': two different layers are named '{}'; layer names must be unique",
                                this->name(), l->name());

  // The model owns its layers' weights (re-tracked when a Sequential's graph changes).
  untrack_all();
  for (const auto& l : layers_)
    if (!std::dynamic_pointer_cast<layers::InputLayer>(l)) track_layer(l);
  inputs_ = inputs;
  outputs_ = outputs;
  graph_ = true;
  mark_built();  // its layers are built
}

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
}  // namespace

std::vector<Tensor> Model::call(const std::vector<Tensor>& xs, bool training) {
  if (!graph_) return Layer::call(xs, training);
  if (xs.size() != input_slots_.size())
    detail::raise<ValueError>("Model '{}': expected {} inputs, got {}", name(), input_slots_.size(), xs.size());
  std::vector<Tensor> slots(static_cast<std::size_t>(num_slots_));
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& want = inputs_[i].shape();
    if (!compatible(want, xs[i].shape()))
      detail::raise<ShapeError>("Model '{}': input {} ('{}') expects shape {}, got {}", name(), i, inputs_[i].name(),
                                want, xs[i].shape());
    slots[static_cast<std::size_t>(input_slots_[i])] = xs[i];
  }
  std::vector<Tensor> in;
  for (const Step& st : steps_) {
    in.clear();
    for (int s : st.in_slots) in.push_back(slots[static_cast<std::size_t>(s)]);
    std::vector<Tensor> out = st.layer->apply(in, training);
    for (std::size_t k = 0; k < st.out_slots.size(); ++k) slots[static_cast<std::size_t>(st.out_slots[k])] = std::move(out[k]);
    for (int s : st.release) slots[static_cast<std::size_t>(s)] = Tensor();
  }
  std::vector<Tensor> outs;
  outs.reserve(output_slots_.size());
  for (int s : output_slots_) outs.push_back(slots[static_cast<std::size_t>(s)]);
  return outs;
}

std::vector<Shape> Model::compute_output_shapes(const std::vector<Shape>& input_shapes) {
  if (!graph_) return Layer::compute_output_shapes(input_shapes);
  if (input_shapes.size() != input_slots_.size())
    detail::raise<ValueError>("Model '{}': expected {} inputs, got {}", name(), input_slots_.size(),
                              input_shapes.size());
  std::vector<Shape> slots(static_cast<std::size_t>(num_slots_));
  for (std::size_t i = 0; i < input_shapes.size(); ++i) {
    if (!compatible(inputs_[i].shape(), input_shapes[i]))
      detail::raise<ShapeError>("Model '{}': input {} ('{}') expects shape {}, got {}", name(), i, inputs_[i].name(),
                                inputs_[i].shape(), input_shapes[i]);
    slots[static_cast<std::size_t>(input_slots_[i])] = input_shapes[i];
  }
  for (const Step& st : steps_) {
    std::vector<Shape> in;
    for (int s : st.in_slots) in.push_back(slots[static_cast<std::size_t>(s)]);
    std::vector<Shape> out = st.layer->compute_output_shapes(in);
    for (std::size_t k = 0; k < st.out_slots.size(); ++k) slots[static_cast<std::size_t>(st.out_slots[k])] = out.at(k);
  }
  std::vector<Shape> outs;
  for (int s : output_slots_) outs.push_back(slots[static_cast<std::size_t>(s)]);
  return outs;
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

}  // namespace

std::string Model::summary() const {
  const bool connections = summary_shows_connections();
  const int line_length = connections ? 98 : 65;
  const std::vector<double> frac = connections ? std::vector<double>{.33, .55, .67, 1.0} : std::vector<double>{.45, .85, 1.0};
  std::vector<int> positions;
  for (double f : frac) positions.push_back(static_cast<int>(line_length * f));
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (connections) header.push_back("Connected to");

  // Output shapes and inbound connections per layer, from the graph's nodes.
  std::unordered_map<const Layer*, std::vector<const Node*>> nodes_of;
  std::function<void(const KerasTensor&)> collect;
  std::set<const Node*> seen;
  collect = [&](const KerasTensor& t) {
    const Node* n = t.node().get();
    if (!seen.insert(n).second) return;
    nodes_of[n->layer.get()].push_back(n);
    for (const auto& in : n->inputs) collect(in);
  };
  for (const auto& o : outputs_) collect(o);

  std::string out = "Model: \"" + name() + "\"\n";
  out += std::string(static_cast<std::size_t>(line_length), '_') + "\n";
  print_row(out, header, positions);
  out += std::string(static_cast<std::size_t>(line_length), '=') + "\n";
  const auto rows = summary_layers();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& l = rows[r];
    std::string shape = "multiple";
    auto it = nodes_of.find(l.get());
    std::vector<const Node*> nodes = it == nodes_of.end() ? std::vector<const Node*>{} : it->second;
    std::sort(nodes.begin(), nodes.end(), [](const Node* a, const Node* b) { return a->node_index < b->node_index; });
    if (nodes.size() == 1) {
      const Node* n = nodes[0];
      if (n->output_shapes.size() == 1 && !n->is_input) {
        shape = keras_shape(n->output_shapes[0]);
      } else {
        shape = "[";
        for (std::size_t k = 0; k < n->output_shapes.size(); ++k)
          shape += (k ? ", " : "") + keras_shape(n->output_shapes[k]);
        shape += "]";
      }
    }
    std::vector<std::string> fields = {l->name() + " (" + l->class_name() + ")", shape, std::to_string(l->count_params())};
    if (connections) {
      std::string conn = "[";
      bool first = true;
      for (const Node* n : nodes)
        for (const auto& in : n->inputs) {
          conn += (first ? "'" : ", '") + in.node()->layer->name() + "[" + std::to_string(in.node()->node_index) + "][" +
                  std::to_string(in.index()) + "]'";
          first = false;
        }
      fields.push_back(conn + "]");
    }
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
  std::unordered_map<const Node*, std::string> output_text;
  auto shapes_text = [](const std::vector<Shape>& shapes) {
    std::string t;
    for (std::size_t k = 0; k < shapes.size(); ++k) t += (k ? ", " : "") + keras_shape(shapes[k]);
    return t;
  };
  std::string out = "digraph " + quote(name()) + " {\n  rankdir=TB;\n  node [shape=record, fontname=\"Helvetica\"];\n";
  for (const auto& l : layers_) {
    std::string label = l->name() + ": " + l->class_name();
    if (show_shapes) {
      std::vector<Shape> ins, outs;
      for (const KerasTensor& in : inputs_)
        if (in.node()->layer == l) outs = in.node()->output_shapes;
      for (const Step& st : steps_)
        if (st.layer == l) {
          for (const KerasTensor& in : st.node->inputs) ins.push_back(in.shape());
          outs = st.node->output_shapes;
          break;
        }
      label = "{" + label + "|{input: " + (ins.empty() ? std::string("-") : shapes_text(ins)) +
              "|output: " + shapes_text(outs) + "}}";
    }
    out += "  " + quote(l->name()) + " [label=" + quote(label) + "];\n";
  }
  std::set<std::pair<std::string, std::string>> edges;
  for (const Step& st : steps_)
    for (const KerasTensor& in : st.node->inputs)
      if (edges.insert({in.node()->layer->name(), st.layer->name()}).second)
        out += "  " + quote(in.node()->layer->name()) + " -> " + quote(st.layer->name()) + ";\n";
  return out + "}\n";
}

std::ostream& operator<<(std::ostream& os, const Model& model) { return os << model.summary(); }

}  // namespace strata::models
