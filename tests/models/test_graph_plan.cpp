// plan_graph, the functional model's graph planning (src/models/graph.hpp): the order, slots,
// release lists, layers and nodes of small graphs worked out by hand, and its errors.
#include "support/helpers.hpp"

#include "models/graph.hpp"

using namespace strata;
using namespace strata::layers;
using detail::GraphPlan;
using detail::plan_graph;

namespace {

template <class L>
std::shared_ptr<L> named(std::shared_ptr<L> layer, const std::string& name) {
  layer->set_name(name);
  return layer;
}

std::vector<std::string> layer_names(const GraphPlan& plan) {
  std::vector<std::string> names;
  for (const auto& pl : plan.layers) names.push_back(pl.layer->name());
  return names;
}

std::vector<std::string> step_names(const GraphPlan& plan) {
  std::vector<std::string> names;
  for (const auto& st : plan.steps) names.push_back(st.layer->name());
  return names;
}

}  // namespace

// x -> a -> shared -> add        (shared is also called once outside the model, on `other`)
//       \-> c -> shared -/
// with an input `unused` no output reads.
TEST_CASE("plan_graph: a diamond with a shared layer and an unused input", "[model][graph]") {
  KerasTensor x = Input({4}, DType::float32, "x"), unused = Input({2}, DType::float32, "unused");
  KerasTensor other = Input({4}, DType::float32, "other");
  auto a = named(std::make_shared<Dense>(4), "a"), c = named(std::make_shared<Dense>(4), "c");
  auto shared = named(std::make_shared<Dense>(4), "shared");
  auto add = named(std::make_shared<Add>(), "add");
  (*shared)(other);  // the layer's node 0, in no model
  KerasTensor ha = (*a)(x);
  KerasTensor b = (*shared)(ha);                 // node 1
  KerasTensor d = (*shared)((*c)(ha));           // node 2
  KerasTensor out = (*add)({b, d});
  const GraphPlan plan = plan_graph({x, unused}, {out}, "diamond");

  // Depth-first post-order from the output: add's first input (shared's node 1) is done first.
  CHECK(step_names(plan) == std::vector<std::string>{"a", "shared", "c", "shared", "add"});
  CHECK(plan.steps[1].node == b.node());
  CHECK(plan.steps[3].node == d.node());
  // Slots: x 0, unused 1, then a 2, shared 3, c 4, shared 5, add 6.
  CHECK(plan.input_slots == std::vector<int>{0, 1});
  CHECK(plan.output_slots == std::vector<int>{6});
  REQUIRE(plan.slots.size() == 7);
  using Slots = std::vector<int>;
  CHECK(plan.steps[0].in_slots == Slots{0});
  CHECK(plan.steps[1].in_slots == Slots{2});
  CHECK(plan.steps[2].in_slots == Slots{2});
  CHECK(plan.steps[3].in_slots == Slots{4});
  CHECK(plan.steps[4].in_slots == Slots{3, 5});
  for (std::size_t i = 0; i < 5; ++i) CHECK(plan.steps[i].out_slots == Slots{static_cast<int>(i) + 2});
  // Each slot goes after its last reader: x after a, a's output after c (its second reader),
  // c's after shared's second call, both shared outputs after add; unused and the output stay.
  CHECK(plan.steps[0].release == Slots{0});
  CHECK(plan.steps[1].release.empty());
  CHECK(plan.steps[2].release == Slots{2});
  CHECK(plan.steps[3].release == Slots{4});
  CHECK(plan.steps[4].release == Slots{3, 5});

  // The slots' tensors: shared's calls are nodes 1 and 2 of the layer, but 0 and 1 in the model.
  CHECK(plan.slots[1].node == unused.node().get());
  CHECK(plan.slots[3].node == b.node().get());
  CHECK(plan.slots[3].node->node_index == 1);
  CHECK(plan.slots[3].model_node_index == 0);
  CHECK(plan.slots[5].node->node_index == 2);
  CHECK(plan.slots[5].model_node_index == 1);
  CHECK(plan.slots[6].model_node_index == 0);
  CHECK(plan.slots[6].tensor_index == 0);

  // Keras's layer order: the inputs (the unused one too), then each layer at its first call.
  CHECK(layer_names(plan) == std::vector<std::string>{"x", "unused", "a", "shared", "c", "add"});
  REQUIRE(plan.layer_list.size() == 6);
  CHECK(plan.layer_list[3] == shared);
  const detail::PlanLayer* s = plan.find(shared.get());
  REQUIRE(s != nullptr);
  CHECK(s->steps == std::vector<int>{1, 3});
  CHECK(s->nodes == std::vector<const detail::Node*>{b.node().get(), d.node().get()});
  CHECK(s->input_node == nullptr);
  const detail::PlanLayer* u = plan.find(unused.node()->layer.get());
  REQUIRE(u != nullptr);
  CHECK(u->input_node == unused.node().get());
  CHECK(u->steps.empty());
  CHECK(u->nodes.empty());  // no output reaches it
  CHECK(plan.find(x.node()->layer.get())->nodes == std::vector<const detail::Node*>{x.node().get()});
  CHECK(plan.find(other.node()->layer.get()) == nullptr);
}

TEST_CASE("plan_graph: the second call of a layer can run first", "[model][graph]") {
  KerasTensor x = Input({3}, DType::float32, "x");
  auto shared = named(std::make_shared<Dense>(3), "shared");
  auto c = named(std::make_shared<Dense>(3), "c");
  KerasTensor first = (*shared)(x);          // node 0
  KerasTensor second = (*shared)((*c)(x));   // node 1
  // The output lists the second call first, so it is ordered (and numbered) first in the model.
  const GraphPlan plan = plan_graph({x}, {second, first}, "m");
  CHECK(step_names(plan) == std::vector<std::string>{"c", "shared", "shared"});
  CHECK(plan.steps[1].node == second.node());
  CHECK(plan.output_slots == std::vector<int>{2, 3});
  CHECK(plan.slots[2].model_node_index == 0);
  CHECK(plan.slots[3].model_node_index == 1);
  CHECK(plan.steps[0].release.empty());  // x is read again by the last step
  CHECK(plan.steps[1].release == std::vector<int>{1});
  CHECK(plan.steps[2].release == std::vector<int>{0});
  // Keras's node order for the layer is still by node index.
  CHECK(plan.find(shared.get())->nodes == std::vector<const detail::Node*>{first.node().get(), second.node().get()});
}

TEST_CASE("plan_graph: multi-output layers get one slot per output", "[model][graph]") {
  KerasTensor x = Input({5}, DType::float32, "x");
  auto lstm = named(std::make_shared<LSTM>(2), "lstm");
  lstm->return_sequences = true;
  lstm->return_state = true;  // outputs: sequences, h, c
  KerasTensor seq = Input({4, 5}, DType::float32, "seq");
  std::vector<KerasTensor> outs = lstm->apply(std::vector<KerasTensor>{seq});
  REQUIRE(outs.size() == 3);
  KerasTensor cat = named(std::make_shared<Concatenate>(), "cat")->apply(std::vector<KerasTensor>{outs[2], x})[0];
  const GraphPlan plan = plan_graph({seq, x}, {cat, outs[0]}, "m");
  CHECK(step_names(plan) == std::vector<std::string>{"lstm", "cat"});
  CHECK(plan.steps[0].out_slots == std::vector<int>{2, 3, 4});
  CHECK(plan.steps[1].in_slots == std::vector<int>{4, 1});
  CHECK(plan.output_slots == std::vector<int>{5, 2});
  CHECK(plan.slots[4].tensor_index == 2);
  CHECK(plan.steps[0].release == std::vector<int>{0});
  CHECK(plan.steps[1].release == std::vector<int>{1, 4});  // slot 2 is an output, slot 3 nobody reads
}

TEST_CASE("plan_graph: errors name the model and the layers", "[model][graph][errors]") {
  KerasTensor x = Input({3}, DType::float32, "x"), y = Input({3}, DType::float32, "y");
  auto h = named(std::make_shared<Dense>(2), "h"), needs_y = named(std::make_shared<Dense>(2), "needs_y");
  KerasTensor hx = (*h)(x);
  KerasTensor out = named(std::make_shared<Concatenate>(), "cat")->apply(std::vector<KerasTensor>{hx, (*needs_y)(y)})[0];
  CHECK_THROWS_AS(plan_graph({x}, {out}, "m"), ValueError);
  CHECK_THROWS_WITH(plan_graph({x}, {out}, "m"),
                    "Model 'm': graph disconnected: cannot obtain the value of input 'y' needed by layer 'needs_y'; it "
                    "is not one of the model's inputs (layers reached without issue: x, h)");
  CHECK_THROWS_WITH(plan_graph({x}, {(*needs_y)(y)}, "m"),
                    "Model 'm': graph disconnected: cannot obtain the value of input 'y' needed by layer 'needs_y'; it "
                    "is not one of the model's inputs (layers reached without issue: none)");
  CHECK_THROWS_WITH(plan_graph({x, x}, {hx}, "m"), "Model 'm': the input 'x' is listed twice");
  CHECK_THROWS_WITH(plan_graph({hx}, {out}, "m"),
                    "Model 'm': input tensors must come from Input(); 'h' is the output of layer 'h'");
  CHECK_THROWS_WITH(plan_graph({}, {hx}, "m"), "Model: needs at least one input");
  CHECK_THROWS_WITH(plan_graph({x}, {}, "m"), "Model: needs at least one output");
  auto same1 = named(std::make_shared<Dense>(2), "same"), same2 = named(std::make_shared<Dense>(2), "same");
  CHECK_THROWS_AS(plan_graph({x}, {(*same2)((*same1)(x))}, "m"), ValueError);
  CHECK_THROWS_WITH(plan_graph({x}, {(*same2)((*same1)(x))}, "m"),
                    "Model 'm': two different layers are named 'same'; layer names must be unique");
  // An input named like a layer is a duplicate too.
  auto named_x = named(std::make_shared<Dense>(3), "x");
  CHECK_THROWS_WITH(plan_graph({x}, {(*named_x)(x)}, "m"),
                    "Model 'm': two different layers are named 'x'; layer names must be unique");
}

// The plan's readers, on a model with a shared layer also called outside it and an unused input
// (the texts are what they were before the plan existed, checked against that code).
TEST_CASE("summary, to_dot and get_config read the plan", "[model][graph][summary]") {
  KerasTensor image = Input({6, 6, 1}, DType::float32, "image"), meta = Input({4}, DType::float32, "meta");
  KerasTensor unused = Input({2}, DType::float32, "unused");
  auto shared = named(std::make_shared<Dense>(32, ActivationFn("relu")), "shared_dense");
  KerasTensor a = (*shared)(named(std::make_shared<Flatten>(), "flatten")->apply(std::vector<KerasTensor>{image})[0]);
  (*shared)(Input({36}));  // node 1 of the layer, in no model
  KerasTensor b = (*named(std::make_shared<Dense>(36), "dense"))(meta);
  KerasTensor merged = named(std::make_shared<Concatenate>(), "concatenate")->apply(std::vector<KerasTensor>{a, (*shared)(b)})[0];
  Model m({image, unused, meta}, {(*named(std::make_shared<Dense>(10), "head"))(merged)}, "two_inputs");

  CHECK(m.to_dot() ==
        "digraph \"two_inputs\" {\n"
        "  rankdir=TB;\n"
        "  node [shape=record, fontname=\"Helvetica\"];\n"
        "  \"image\" [label=\"{image: InputLayer|{input: -|output: (None, 6, 6, 1)}}\"];\n"
        "  \"unused\" [label=\"{unused: InputLayer|{input: -|output: (None, 2)}}\"];\n"
        "  \"meta\" [label=\"{meta: InputLayer|{input: -|output: (None, 4)}}\"];\n"
        "  \"flatten\" [label=\"{flatten: Flatten|{input: (None, 6, 6, 1)|output: (None, 36)}}\"];\n"
        "  \"shared_dense\" [label=\"{shared_dense: Dense|{input: (None, 36)|output: (None, 32)}}\"];\n"
        "  \"dense\" [label=\"{dense: Dense|{input: (None, 4)|output: (None, 36)}}\"];\n"
        "  \"concatenate\" [label=\"{concatenate: Concatenate|{input: (None, 32), (None, 32)|output: (None, 64)}}\"];\n"
        "  \"head\" [label=\"{head: Dense|{input: (None, 64)|output: (None, 10)}}\"];\n"
        "  \"image\" -> \"flatten\";\n"
        "  \"flatten\" -> \"shared_dense\";\n"
        "  \"meta\" -> \"dense\";\n"
        "  \"dense\" -> \"shared_dense\";\n"
        "  \"shared_dense\" -> \"concatenate\";\n"
        "  \"concatenate\" -> \"head\";\n"
        "}\n");
  // The summary names Keras's node indices (every call counts: shared_dense[2] is its third),
  // and a layer with several nodes (or an input no output reads) has "multiple" shapes.
  const std::string summary = m.summary();
  CHECK_THAT(summary, Catch::Contains(" unused (InputLayer)            multiple             0           []\n"));
  CHECK_THAT(summary, Catch::Contains(" shared_dense (Dense)           multiple             1184        ['flatten[0][0]',\n"
                                      "                                                                  'dense[0][0]']\n"));
  CHECK_THAT(summary, Catch::Contains("['shared_dense[0][0]',\n"
                                      "                                                                  'shared_dense[2][0]']\n"));
  // get_config numbers the nodes within the model: shared_dense's calls are its nodes 0 and 1.
  const Config c = m.get_config();
  CHECK(c.at("layers")[4].at("name").as_string() == "shared_dense");
  CHECK(c.at("layers")[4].at("inbound_nodes").dump() == R"([[["flatten", 0, 0, {}]], [["dense", 0, 0, {}]]])");
  CHECK(c.at("layers")[6].at("inbound_nodes").dump() == R"([[["shared_dense", 0, 0, {}], ["shared_dense", 1, 0, {}]]])");
  CHECK(c.at("input_layers").dump() == R"([["image", 0, 0], ["unused", 0, 0], ["meta", 0, 0]])");
  CHECK(c.at("output_layers").dump() == R"([["head", 0, 0]])");
}
