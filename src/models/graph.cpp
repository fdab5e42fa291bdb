// plan_graph: the functional model's graph, validated, ordered and numbered (see graph.hpp).
#include "models/graph.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "detail/errors.hpp"

namespace strata::detail {

using layers::Layer;

namespace {

/// Every input comes from Input() and is listed once; every endpoint is defined. Returns the
/// inputs' nodes.
std::set<const Node*> check_endpoints(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs,
                                      const std::string& model_name) {
  if (inputs.empty()) throw ValueError("Model: needs at least one input");
  if (outputs.empty()) throw ValueError("Model: needs at least one output");
  std::set<const Node*> input_nodes;
  for (const auto& in : inputs) {
    if (!in.defined()) throw ValueError("Model: an input is an undefined KerasTensor");
    if (!in.node()->is_input)
      raise<ValueError>("Model '{}': input tensors must come from Input(); '{}' is the output of layer '{}'", model_name,
                        in.name(), in.node()->layer->name());
    if (!input_nodes.insert(in.node().get()).second)
      raise<ValueError>("Model '{}': the input '{}' is listed twice", model_name, in.name());
  }
  for (const auto& out : outputs)
    if (!out.defined()) throw ValueError("Model: an output is an undefined KerasTensor");
  return input_nodes;
}

/// Depth-first post-order from the outputs: a topological order of the nodes they reach. A node
/// is done once its inputs are ordered before it. KerasTensors are immutable, so a node's inputs
/// exist before it does and the graph has no cycles: no "visiting" state is needed.
class TopologicalOrder {
 public:
  TopologicalOrder(const std::set<const Node*>& input_nodes, const std::string& model_name)
      : input_nodes_(input_nodes), model_name_(model_name) {}

  std::vector<std::shared_ptr<Node>> operator()(const std::vector<KerasTensor>& outputs) {
    for (const auto& out : outputs) visit(out.node(), nullptr);
    return std::move(order_);
  }

 private:
  void visit(const std::shared_ptr<Node>& n, const Node* consumer) {
    if (done_.count(n.get())) return;
    if (n->is_input && !input_nodes_.count(n.get())) disconnected(*n, consumer);
    for (const auto& in : n->inputs) visit(in.node(), n.get());
    done_.insert(n.get());
    order_.push_back(n);
  }

  [[noreturn]] void disconnected(const Node& input, const Node* consumer) const {
    std::string reached;
    for (const auto& n : order_) reached += (reached.empty() ? "" : ", ") + n->layer->name();
    raise<ValueError>(
        "Model '{}': graph disconnected: cannot obtain the value of input '{}' needed by layer '{}'; it is not "
        "one of the model's inputs (layers reached without issue: {})",
        model_name_, input.layer->name(), consumer ? consumer->layer->name() : input.layer->name(),
        reached.empty() ? std::string("none") : reached);
  }

  const std::set<const Node*>& input_nodes_;
  const std::string& model_name_;
  std::set<const Node*> done_;
  std::vector<std::shared_ptr<Node>> order_;
};

/// One slot per tensor: the inputs', then each step's outputs. Fills steps, slots, input_slots
/// and output_slots.
void number_slots(GraphPlan& plan, const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs,
                  const std::vector<std::shared_ptr<Node>>& order) {
  std::unordered_map<const Node*, int> base;  // a node's first slot
  std::unordered_map<const Layer*, int> calls;
  for (const auto& in : inputs) {
    base[in.node().get()] = static_cast<int>(plan.slots.size());
    plan.input_slots.push_back(static_cast<int>(plan.slots.size()));
    plan.slots.push_back({in.node().get(), 0, 0});
  }
  for (const auto& n : order) {
    if (n->is_input) continue;
    const int model_node_index = calls[n->layer.get()]++;
    base[n.get()] = static_cast<int>(plan.slots.size());
    PlanStep st;
    st.layer = n->layer;
    st.node = n;
    for (std::size_t i = 0; i < n->output_shapes.size(); ++i) {
      st.out_slots.push_back(static_cast<int>(plan.slots.size()));
      plan.slots.push_back({n.get(), model_node_index, static_cast<int>(i)});
    }
    for (const auto& in : n->inputs) st.in_slots.push_back(base.at(in.node().get()) + static_cast<int>(in.index()));
    plan.steps.push_back(std::move(st));
  }
  for (const auto& out : outputs)
    plan.output_slots.push_back(base.at(out.node().get()) + static_cast<int>(out.index()));
}

/// Each slot is released by the last step that reads it; outputs are kept.
void plan_releases(GraphPlan& plan) {
  constexpr int kept = -1;
  std::vector<int> last(plan.slots.size(), kept);
  for (std::size_t i = 0; i < plan.steps.size(); ++i)
    for (int s : plan.steps[i].in_slots) last[static_cast<std::size_t>(s)] = static_cast<int>(i);
  for (int s : plan.output_slots) last[static_cast<std::size_t>(s)] = kept;
  for (std::size_t s = 0; s < last.size(); ++s)
    if (last[s] != kept) plan.steps[static_cast<std::size_t>(last[s])].release.push_back(static_cast<int>(s));
}

/// Keras's layer order (the inputs', then each layer at its first call) with each layer's steps and
/// reached nodes.
void list_layers(GraphPlan& plan, const std::vector<KerasTensor>& inputs,
                 const std::vector<std::shared_ptr<Node>>& order) {
  std::unordered_map<const Layer*, std::size_t> index;
  auto entry = [&](const std::shared_ptr<Layer>& l) -> PlanLayer& {
    auto [it, added] = index.emplace(l.get(), plan.layers.size());
    if (added) {
      plan.layers.push_back({l, {}, nullptr, {}});
      plan.layer_list.push_back(l);
    }
    return plan.layers[it->second];
  };
  for (const auto& in : inputs) entry(in.node()->layer).input_node = in.node().get();
  for (std::size_t i = 0; i < plan.steps.size(); ++i) entry(plan.steps[i].layer).steps.push_back(static_cast<int>(i));
  for (const auto& n : order) plan.layers[index.at(n->layer.get())].nodes.push_back(n.get());
  for (PlanLayer& pl : plan.layers)
    std::sort(pl.nodes.begin(), pl.nodes.end(), [](const Node* a, const Node* b) { return a->node_index < b->node_index; });
}

/// Layer names must be unique within a model (they key saved weights).
void check_unique_names(const GraphPlan& plan, const std::string& model_name) {
  std::set<std::string> names;
  for (const auto& l : plan.layer_list)
    if (!names.insert(l->name()).second)
      raise<ValueError>("Model '{}': two different layers are named '{}'; layer names must be unique", model_name,
                        l->name());
}

}  // namespace

const PlanLayer* GraphPlan::find(const Layer* layer) const {
  for (const PlanLayer& pl : layers)
    if (pl.layer.get() == layer) return &pl;
  return nullptr;
}

GraphPlan plan_graph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs,
                     const std::string& model_name) {
  const std::set<const Node*> input_nodes = check_endpoints(inputs, outputs, model_name);
  const std::vector<std::shared_ptr<Node>> order = TopologicalOrder(input_nodes, model_name)(outputs);
  GraphPlan plan;
  number_slots(plan, inputs, outputs, order);
  plan_releases(plan);
  list_layers(plan, inputs, order);
  check_unique_names(plan, model_name);
  return plan;
}

}  // namespace strata::detail
