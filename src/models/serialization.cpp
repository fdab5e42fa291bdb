// Keras's model config: writing it (Model::get_config, to_json) and building a model from it
// (model_from_config / model_from_json), as keras.Model.from_config does: every layer is made
// from its config, then each layer's inbound nodes are called once the tensors they read exist.
#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "detail/errors.hpp"
#include "layers/node.hpp"
#include "layers/registry.hpp"
#include "models/graph.hpp"
#include "strata/models/serialization.hpp"
#include "strata/models/sequential.hpp"
#include "strata/version.hpp"

namespace strata::models {

using layers::Layer;

namespace {

Config tensor_ref(const std::string& layer, std::int64_t node, std::int64_t tensor) {
  return Config::list({layer, node, tensor});
}

}  // namespace

Config Model::get_config() const {
  if (!graph_)
    detail::raise<ValueError>(
        "Model '{}': a subclassed model has no Keras config (its architecture is C++ code); build it in code and "
        "load its weights",
        name());
  const detail::GraphPlan& plan = *plan_;
  // Keras's [layer, node, tensor] of a slot, with the node index relative to this model.
  auto ref_of = [&](int slot) {
    const detail::SlotRef& r = plan.slots[static_cast<std::size_t>(slot)];
    return tensor_ref(r.node->layer->name(), r.model_node_index, r.tensor_index);
  };

  Config c = Config::object();
  c["name"] = name();
  c["trainable"] = trainable();
  Config list = Config::list();
  for (const detail::PlanLayer& pl : plan.layers) {
    const Layer& l = *pl.layer;
    Config entry = Config::object();
    entry["class_name"] = l.class_name();
    entry["config"] = l.get_config();
    entry["name"] = l.name();
    Config nodes = Config::list();
    for (int step : pl.steps) {
      Config node = Config::list();
      for (int slot : plan.steps[static_cast<std::size_t>(step)].in_slots) {
        Config r = ref_of(slot);
        r.push_back(Config::object());  // Keras 2's call kwargs
        node.push_back(std::move(r));
      }
      nodes.push_back(std::move(node));
    }
    entry["inbound_nodes"] = std::move(nodes);
    list.push_back(std::move(entry));
  }
  c["layers"] = std::move(list);
  Config ins = Config::list(), outs = Config::list();
  for (int slot : plan.input_slots) ins.push_back(ref_of(slot));
  for (int slot : plan.output_slots) outs.push_back(ref_of(slot));
  c["input_layers"] = std::move(ins);
  c["output_layers"] = std::move(outs);
  return c;
}

std::string Model::to_json(int indent) const {
  Config c = Config::object();
  c["class_name"] = class_name();
  c["config"] = get_config();
  c["keras_version"] = std::string("strata ") + version();
  c["backend"] = "strata";
  return c.dump(indent);
}

// ---- reading ------------------------------------------------------------------------------------------------------

namespace {

struct Ref {
  std::string layer;
  std::int64_t node = 0, tensor = 0;
};

/// A DType from a Keras dtype entry: "float32", or Keras 3's {"class_name": "DTypePolicy",
/// "config": {"name": "float32"}}.
DType dtype_of(const Config* d, const std::string& where) {
  if (!d || d->is_null()) return DType::float32;
  std::string name;
  if (d->is_string()) name = d->as_string();
  else if (d->is_object() && d->contains("config")) name = d->at("config").get_string("name", "float32");
  else detail::raise<ValueError>("{}: unreadable dtype {}", where, d->dump());
  if (name == "float32" || name == "float64" || name == "int64" || name == "int32") {
    return name == "int32" ? DType::int64 : dtype_from_name(name);
  }
  detail::raise<ValueError>("{}: dtype '{}' is not supported (float32, float64 and int64 are)", where, name);
}

bool is_ref_list(const Config& v) {
  return v.is_list() && v.size() >= 3 && v[0].is_string() && v[1].is_number() && v[2].is_number();
}
/// [layer, node, tensor] (checked by is_ref_list).
Ref ref_of(const Config& v) { return {v[0].as_string(), v[1].as_int(), v[2].as_int()}; }

/// The tensors a Keras 3 argument holds: a __keras_tensor__ dict, or lists of them. Tensors in
/// a plain dict (a model with dict inputs) have no order strata could give them: refused.
void keras3_refs(const Config& v, std::vector<Ref>& out, const std::string& where) {
  if (v.is_list()) {
    for (const auto& item : v.items()) keras3_refs(item, out, where);
  } else if (v.is_object() && v.get_string("class_name", "") == "__keras_tensor__") {
    const Config& h = v.at("config").at("keras_history");
    if (!is_ref_list(h)) detail::raise<ValueError>("{}: malformed keras_history {}", where, h.dump());
    out.push_back(ref_of(h));
  } else if (v.is_object()) {
    std::vector<Ref> inside;
    for (const Config::Entry& e : v.entries()) keras3_refs(e.second, inside, where);
    if (!inside.empty())
      detail::raise<ValueError>("{}: tensors passed in a dict ({}) are not supported; pass them as a list", where,
                                v.dump());
  }
}

/// One inbound node of a functional config: its input tensors, and its other keyword
/// arguments (for the layer's load_call_arguments).
struct NodeCall {
  std::vector<Ref> refs;
  Config kwargs = Config::object();
};

/// null, or lists and objects of nulls (Keras 3.0-3.9 record the masks they fill in: [null, null]
/// for a nested model called on two tensors).
bool all_null(const Config& v) {
  if (v.is_null()) return true;
  if (v.is_list()) return std::all_of(v.items().begin(), v.items().end(), all_null);
  if (v.is_object()) {
    for (const Config::Entry& e : v.entries())
      if (!all_null(e.second)) return false;
    return true;
  }
  return false;
}

/// Reads one inbound node, in Keras 2 ([[name, node, tensor, kwargs], ...]) or Keras 3
/// ({"args": [...], "kwargs": {...}}) form. Tensors passed by keyword follow the positional ones
/// in the order of the layer's call_tensor_arguments(). Nulls and training=False (Keras's
/// fine-tuning idiom; Keras 3 also fills it in) change nothing and are dropped; the other
/// arguments are the layer's to take or refuse, so a model never loads without an argument it
/// was called with.
NodeCall read_node(const Config& node, const Layer& layer, const std::string& where) {
  const std::vector<std::string> tensor_order = layer.call_tensor_arguments();
  NodeCall call;
  std::map<std::string, std::vector<Ref>> by_name;
  auto keyword = [&](const std::string& key, const Config& v, bool keras3) {
    std::vector<Ref> refs;
    if (keras3) {
      keras3_refs(v, refs, where);
    } else if (is_ref_list(v)) {
      refs.push_back(ref_of(v));
    } else if (v.is_list()) {
      for (const auto& item : v.items())
        if (is_ref_list(item)) refs.push_back(ref_of(item));
    }
    if (!refs.empty()) {
      if (std::find(tensor_order.begin(), tensor_order.end(), key) == tensor_order.end())
        detail::raise<ValueError>("{}: the call argument '{}' (a tensor) is not supported", where, key);
      by_name[key] = std::move(refs);
      return;
    }
    if (all_null(v)) return;
    if (key == "training" && v.is_bool() && !v.as_bool()) return;  // training=True is refused
    call.kwargs[key] = v;
  };
  if (node.is_object()) {
    if (const Config* a = node.find("args")) keras3_refs(*a, call.refs, where);
    if (const Config* k = node.find("kwargs"); k && k->is_object())
      for (const auto& [key, v] : k->entries()) keyword(key, v, true);
  } else {
    if (!node.is_list()) detail::raise<ValueError>("{}: malformed inbound node {}", where, node.dump());
    for (const auto& r : node.items()) {
      if (!is_ref_list(r)) detail::raise<ValueError>("{}: malformed inbound tensor {}", where, r.dump());
      call.refs.push_back(ref_of(r));
      if (r.size() >= 4 && r[3].is_object())
        for (const auto& [key, v] : r[3].entries()) keyword(key, v, false);
    }
  }
  for (const std::string& key : tensor_order)
    if (auto it = by_name.find(key); it != by_name.end())
      call.refs.insert(call.refs.end(), it->second.begin(), it->second.end());
  return call;
}

/// Keras's input shape of an InputLayer config, without the batch dimension.
Shape input_shape_of(const Config& cfg, const std::string& where) {
  const Config* s = cfg.find("batch_input_shape");
  if (!s || s->is_null()) s = cfg.find("batch_shape");
  if (!s || !s->is_list() || s->size() == 0)
    detail::raise<ValueError>("{}: an InputLayer needs batch_input_shape or batch_shape", where);
  Shape shape = shape_from_config(*s);
  return Shape(shape.begin() + 1, shape.end());
}

std::shared_ptr<Model> functional_from_config(const Config& cfg) {
  const std::string model_name = cfg.get_string("name", "");
  const std::string where = "Model config '" + model_name + "'";
  struct Entry {
    std::string name;
    std::shared_ptr<Layer> layer;  // null for an InputLayer
    std::vector<std::vector<Ref>> nodes;
    std::size_t next = 0;
  };
  std::vector<Entry> entries;
  std::map<std::pair<std::string, std::int64_t>, std::vector<KerasTensor>> made;  // (layer, node) -> outputs
  std::set<std::string> names;
  for (const Config& lc : cfg.at("layers").items()) {
    const std::string cls = lc.at("class_name").as_string();
    const Config layer_cfg = lc.contains("config") ? lc.at("config") : Config::object();
    std::string name = lc.get_string("name", layer_cfg.get_string("name", ""));
    if (name.empty()) detail::raise<ValueError>("{}: a layer of class '{}' has no name", where, cls);
    if (!names.insert(name).second) detail::raise<ValueError>("{}: two layers are named '{}'", where, name);
    if (cls == "InputLayer") {
      made[{name, 0}] = {Input(input_shape_of(layer_cfg, where + ", layer '" + name + "'"),
                               dtype_of(layer_cfg.find("dtype"), where + ", layer '" + name + "'"), name)};
      continue;
    }
    Entry e;
    e.name = name;
    e.layer = layers::layer_from_config(Config::object({{"class_name", cls}, {"config", layer_cfg}}));
    e.layer->set_name(name);
    if (const Config* nodes = lc.find("inbound_nodes"); nodes && nodes->is_list()) {
      const std::string at = where + ", layer '" + name + "'";
      std::vector<Config> kwargs;
      for (const Config& n : nodes->items()) {
        NodeCall call = read_node(n, *e.layer, at);
        kwargs.push_back(std::move(call.kwargs));
        e.nodes.push_back(std::move(call.refs));
      }
      e.layer->load_call_arguments(kwargs, at);
    }
    entries.push_back(std::move(e));
  }
  auto lookup = [&](const Ref& r) -> const KerasTensor* {
    auto it = made.find({r.layer, r.node});
    if (it == made.end() || r.tensor < 0 || r.tensor >= static_cast<std::int64_t>(it->second.size())) return nullptr;
    return &it->second[static_cast<std::size_t>(r.tensor)];
  };
  // Call each layer's nodes in order as soon as their inputs exist (Keras's deferred nodes).
  for (bool progress = true; progress;) {
    progress = false;
    for (Entry& e : entries) {
      while (e.next < e.nodes.size()) {
        std::vector<KerasTensor> xs;
        for (const Ref& r : e.nodes[e.next]) {
          const KerasTensor* t = lookup(r);
          if (!t) break;
          xs.push_back(*t);
        }
        if (xs.size() != e.nodes[e.next].size() || xs.empty()) break;
        made[{e.name, static_cast<std::int64_t>(e.next)}] = e.layer->apply(xs);
        ++e.next;
        progress = true;
      }
    }
  }
  for (const Entry& e : entries)
    if (e.next < e.nodes.size()) {
      std::string missing;
      for (const Ref& r : e.nodes[e.next])
        if (!lookup(r)) missing = "'" + r.layer + "' node " + std::to_string(r.node) + " tensor " + std::to_string(r.tensor);
      detail::raise<ValueError>("{}: cannot call layer '{}' (node {}): its input {} is never created{}", where, e.name,
                                e.next, missing.empty() ? std::string("list is empty") : missing,
                                missing.empty() ? "" : " (no such layer or node, or a cycle)");
    }
  auto endpoints = [&](const char* key) {
    std::vector<KerasTensor> out;
    for (const Config& r : cfg.at(key).items()) {
      if (!is_ref_list(r)) detail::raise<ValueError>("{}: malformed {} entry {}", where, key, r.dump());
      const KerasTensor* t = lookup(ref_of(r));
      if (!t) detail::raise<ValueError>("{}: {} names '{}' node {} tensor {}, which does not exist", where, key,
                                        r[0].as_string(), r[1].as_int(), r[2].as_int());
      out.push_back(*t);
    }
    return out;
  };
  auto model = std::make_shared<Model>(endpoints("input_layers"), endpoints("output_layers"), model_name);
  if (const Config* t = cfg.find("trainable"); t && t->is_bool()) model->set_trainable(t->as_bool());
  return model;
}

std::shared_ptr<Model> sequential_from_config(const Config& cfg) {
  const std::string name = cfg.get_string("name", "");
  const std::string where = "Sequential config '" + name + "'";
  auto model = std::make_shared<Sequential>(std::vector<layers::LayerRef>{}, name);
  Shape batch_shape;
  DType in_dtype = DType::float32;
  bool have_shape = false;
  const Config& list = cfg.is_list() ? cfg : cfg.at("layers");  // very old Keras: the config is the list
  for (const Config& lc : list.items()) {
    const std::string cls = lc.at("class_name").as_string();
    const Config layer_cfg = lc.contains("config") ? lc.at("config") : Config::object();
    if (cls == "InputLayer") {
      batch_shape = input_shape_of(layer_cfg, where);
      in_dtype = dtype_of(layer_cfg.find("dtype"), where);
      have_shape = true;
      continue;
    }
    if (!have_shape && model->layers().empty()) {  // the first layer may carry the input shape
      const Config* s = layer_cfg.find("batch_input_shape");
      if (s && s->is_list() && s->size() > 0) {
        const Shape full = shape_from_config(*s);
        batch_shape = Shape(full.begin() + 1, full.end());
        in_dtype = dtype_of(layer_cfg.find("dtype"), where);
        have_shape = true;
      }
    }
    model->add(layers::layer_from_config(lc));
  }
  // A first layer that is itself a functional model carries the input shape (Teachable
  // Machine's exports: Sequential[Sequential[MobileNet Model, ...], ...]), as Keras and TF.js
  // build such a stack from it.
  if (!have_shape && !model->layers().empty())
    if (const auto* inner = dynamic_cast<const Model*>(model->layers().front().get());
        inner && inner->built() && inner->inputs().size() == 1) {
      const Shape& s = inner->inputs()[0].shape();
      batch_shape = Shape(s.begin() + 1, s.end());
      in_dtype = inner->inputs()[0].dtype();
      have_shape = true;
    }
  if (have_shape) {
    Shape full{-1};
    for (auto d : batch_shape) full.push_back(d);
    model->build(full, in_dtype);
  }
  if (const Config* t = cfg.find("trainable"); t && t->is_bool()) model->set_trainable(t->as_bool());
  return model;
}

}  // namespace

std::shared_ptr<Model> model_from_config(const Config& c) {
  if (!c.is_object() || !c.contains("class_name"))
    detail::raise<ValueError>("model_from_config: expected {{\"class_name\": ..., \"config\": ...}}, got {}",
                              c.dump().substr(0, 200));
  const std::string cls = c.at("class_name").as_string();
  const Config cfg = c.contains("config") ? c.at("config") : Config::object();
  if (cls == "Functional" || cls == "Model") return functional_from_config(cfg);
  if (cls == "Sequential") return sequential_from_config(cfg);
  detail::raise<ValueError>("model_from_config: '{}' is not a model class (Functional, Model or Sequential)", cls);
}

std::shared_ptr<Model> model_from_json(const std::string& json) {
  Config c = Config::parse(json);
  // TensorFlow.js model.json holds the Keras JSON under "modelTopology" (and Keras's own files
  // nest it under "model_config")
  if (c.is_object() && c.contains("modelTopology")) c = c.at("modelTopology");
  if (c.is_object() && c.contains("model_config")) c = c.at("model_config");
  return model_from_config(c);
}

}  // namespace strata::models

namespace strata::layers {
// The model classes, for the layer registry (declared in the layers stage, implemented here).
void register_model_classes(Registry& r) {
  r.add("Functional", [](const Config& c) -> std::shared_ptr<Layer> { return models::functional_from_config(c); });
  r.add("Model", [](const Config& c) -> std::shared_ptr<Layer> { return models::functional_from_config(c); });
  r.add("Sequential", [](const Config& c) -> std::shared_ptr<Layer> { return models::sequential_from_config(c); });
}
}  // namespace strata::layers
