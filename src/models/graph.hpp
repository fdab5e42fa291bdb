#pragma once
// The functional model's graph planning (Keras's map_graph): a pure function from the model's
// inputs and outputs to everything the container and its readers need, computed once.
//
//   GraphPlan plan = plan_graph({image, meta}, {logits}, "two_heads");
//   for (const PlanStep& st : plan.steps) ...   // run st.layer on slots st.in_slots
//
// The plan validates the graph (inputs from Input(), no input twice, every output reachable from
// the inputs, unique layer names), orders the layer calls topologically, numbers one slot per
// tensor, lists the slots each step may release, and lists the layers and their nodes in Keras's
// order. It has no side effects: Model::init_graph stores it, summary, to_dot and get_config
// read it.
#include <memory>
#include <string>
#include <vector>

#include "layers/node.hpp"

namespace strata::detail {

/// The tensor a slot holds: output `tensor_index` of `node`.
struct SlotRef {
  const Node* node = nullptr;
  /// Which call of node->layer inside this model the node is (0 for an input): the node index
  /// a Keras config names. Node::node_index counts every call of the layer, in any model.
  int model_node_index = 0;
  int tensor_index = 0;
};

/// One layer call, in execution order.
struct PlanStep {
  std::shared_ptr<layers::Layer> layer;
  std::shared_ptr<Node> node;  // the call of `layer` this step runs
  std::vector<int> in_slots;   // node->inputs, in order
  std::vector<int> out_slots;  // node's outputs, in order
  std::vector<int> release;    // slots no later step reads (never an output's), ascending
};

/// One layer of the model and where it is called.
struct PlanLayer {
  std::shared_ptr<layers::Layer> layer;
  /// Its steps, in execution order: steps[k] runs the layer's model node k.
  std::vector<int> steps;
  /// For an input's InputLayer: the Input() node (it is no step).
  const Node* input_node = nullptr;
  /// Its nodes that the outputs reach, in Keras's order (by Node::node_index). Empty for an
  /// input that no output uses.
  std::vector<const Node*> nodes;
};

struct GraphPlan {
  std::vector<PlanStep> steps;
  /// Every slot's tensor, by slot number: the inputs' slots first (in the order given), then each
  /// step's outputs in step order.
  std::vector<SlotRef> slots;
  std::vector<int> input_slots, output_slots;
  /// Keras's layer order: the inputs' layers in the order given, then each layer at its first step.
  std::vector<PlanLayer> layers;
  /// The same layers as layers[i].layer (what Model::layers() returns).
  std::vector<std::shared_ptr<layers::Layer>> layer_list;

  /// The PlanLayer of `layer`, or null when it is not in the model.
  const PlanLayer* find(const layers::Layer* layer) const;
};

/// Plans the graph from `inputs` to `outputs`; ValueError (naming model_name and the layers) when
/// it is not a valid functional model.
GraphPlan plan_graph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs,
                     const std::string& model_name);

}  // namespace strata::detail
