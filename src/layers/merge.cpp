#include "strata/layers/merge.hpp"

#include "detail/errors.hpp"
#include "layers/registry.hpp"
#include "strata/layers/fields.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

namespace {
std::string shapes_str(const std::vector<Shape>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x.to_string();
  return out;
}

/// Broadcast of symbolic shapes (-1 stays unknown unless the other side knows it).
Shape merge_shapes(const Layer& l, const Shape& a, const Shape& b) {
  const std::size_t r = std::max(a.rank(), b.rank());
  Shape out = Shape::filled(r, 1);
  for (std::size_t d = 0; d < r; ++d) {
    const std::int64_t x = d + a.rank() >= r ? a[d + a.rank() - r] : 1;
    const std::int64_t y = d + b.rank() >= r ? b[d + b.rank() - r] : 1;
    if (x == 1) out[d] = y;
    else if (y == 1) out[d] = x;
    else if (x < 0 || y < 0) out[d] = x < 0 ? y : x;
    else if (x == y) out[d] = x;
    else
      detail::raise<ShapeError>("{} '{}': inputs of shapes {} and {} cannot be merged", l.class_name(), l.name(), a, b);
  }
  return out;
}
}  // namespace

ElementwiseMerge::ElementwiseMerge(Op op) : op_(op) {}

void ElementwiseMerge::build(const std::vector<Shape>& in) {
  if (in.size() < 2)
    detail::raise<ValueError>("{} '{}': needs at least 2 inputs, got {} ({})", class_name(), name(), in.size(),
                              shapes_str(in));
  if (op_ == Op::subtract && in.size() != 2)
    detail::raise<ValueError>("Subtract '{}': needs exactly 2 inputs, got {} ({})", name(), in.size(), shapes_str(in));
}

std::vector<Shape> ElementwiseMerge::compute_output_shapes(const std::vector<Shape>& in) {
  build(in);
  Shape out = in[0];
  for (std::size_t i = 1; i < in.size(); ++i) out = merge_shapes(*this, out, in[i]);
  return {out};
}

std::vector<Tensor> ElementwiseMerge::call(const std::vector<Tensor>& xs, bool) {
  build([&] {
    std::vector<Shape> s;
    for (const auto& x : xs) s.push_back(x.shape());
    return s;
  }());
  Tensor y = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) {
    switch (op_) {
      case Op::add:
      case Op::average: y = add(y, xs[i]); break;
      case Op::subtract: y = sub(y, xs[i]); break;
      case Op::multiply: y = mul(y, xs[i]); break;
      case Op::maximum: y = maximum(y, xs[i]); break;
      case Op::minimum: y = minimum(y, xs[i]); break;
    }
  }
  if (op_ == Op::average) y = div(y, static_cast<double>(xs.size()));
  return {y};
}

// ---- Concatenate ------------------------------------------------------------------------------------------

Concatenate::Concatenate(std::int64_t axis_) : axis(axis_) {}

void Concatenate::build(const std::vector<Shape>& in) {
  if (in.size() < 2)
    detail::raise<ValueError>("Concatenate '{}': needs at least 2 inputs, got {} ({})", name(), in.size(), shapes_str(in));
}

std::vector<Shape> Concatenate::compute_output_shapes(const std::vector<Shape>& in) {
  build(in);
  const std::size_t r = in[0].rank();
  const std::size_t ax = normalize_axis(axis, r, "Concatenate");
  Shape out = in[0];
  for (std::size_t i = 1; i < in.size(); ++i) {
    if (in[i].rank() != r)
      detail::raise<ShapeError>("Concatenate '{}': inputs of different ranks: {}", name(), shapes_str(in));
    for (std::size_t d = 0; d < r; ++d) {
      if (d == ax) {
        out[d] = (out[d] < 0 || in[i][d] < 0) ? -1 : out[d] + in[i][d];
      } else if (out[d] >= 0 && in[i][d] >= 0 && out[d] != in[i][d]) {
        detail::raise<ShapeError>("Concatenate '{}': shapes {} do not match outside axis {}", name(), shapes_str(in),
                                  axis);
      } else if (out[d] < 0) {
        out[d] = in[i][d];
      }
    }
  }
  return {out};
}

std::vector<Tensor> Concatenate::call(const std::vector<Tensor>& xs, bool) {
  if (xs.size() < 2) detail::raise<ValueError>("Concatenate '{}': needs at least 2 inputs, got {}", name(), xs.size());
  return {concat(xs, axis)};
}

const Fields<Concatenate>& Concatenate::config_fields() {
  static const auto f = Fields<Concatenate>("Concatenate").field("axis", &Concatenate::axis);
  return f;
}
Config Concatenate::get_config() const { return config_fields().write(*this, base_config()); }

// ---- Dot ----------------------------------------------------------------------------------------------------------

Dot::Dot(std::int64_t axes, bool normalize_) : Dot(std::pair<std::int64_t, std::int64_t>{axes, axes}, normalize_) {}
Dot::Dot(std::pair<std::int64_t, std::int64_t> axes, bool normalize_)
    : axis_a(axes.first), axis_b(axes.second), normalize(normalize_) {}

std::vector<Shape> Dot::compute_output_shapes(const std::vector<Shape>& in) {
  if (in.size() != 2) detail::raise<ValueError>("Dot '{}': needs exactly 2 inputs, got {}", name(), in.size());
  const Shape& a = in[0];
  const Shape& b = in[1];
  const std::size_t aa = normalize_axis(axis_a, a.rank(), "Dot"), ab = normalize_axis(axis_b, b.rank(), "Dot");
  if (aa == 0 || ab == 0) detail::raise<ValueError>("Dot '{}': cannot take the product over the batch axis", name());
  if (a[aa] >= 0 && b[ab] >= 0 && a[aa] != b[ab])
    detail::raise<ShapeError>("Dot '{}': dimension {} of {} ({}) does not match dimension {} of {} ({})", name(), aa,
                              a, a[aa], ab, b, b[ab]);
  Shape out{a[0]};
  for (std::size_t d = 1; d < a.rank(); ++d)
    if (d != aa) out.push_back(a[d]);
  for (std::size_t d = 1; d < b.rank(); ++d)
    if (d != ab) out.push_back(b[d]);
  if (out.rank() == 1) out.push_back(1);
  return {out};
}

std::vector<Tensor> Dot::call(const std::vector<Tensor>& xs, bool) {
  if (xs.size() != 2) detail::raise<ValueError>("Dot '{}': needs exactly 2 inputs, got {}", name(), xs.size());
  Tensor a = xs[0], b = xs[1];
  const std::size_t aa = normalize_axis(axis_a, a.rank(), "Dot"), ab = normalize_axis(axis_b, b.rank(), "Dot");
  if (a.dim(0) != b.dim(0) || a.dim(static_cast<std::int64_t>(aa)) != b.dim(static_cast<std::int64_t>(ab)))
    detail::raise<ShapeError>("Dot '{}': inputs {} and {} do not match on the batch or the product axes", name(),
                              a.shape(), b.shape());
  if (normalize) {  // l2-normalize along the product axes
    a = div(a, sqrt(maximum(sum(square(a), static_cast<std::int64_t>(aa), true), 1e-12)));
    b = div(b, sqrt(maximum(sum(square(b), static_cast<std::int64_t>(ab), true), 1e-12)));
  }
  // Move the product axis of a last and of b to position 1, flatten the rest, and multiply
  // batch by batch: [B, Ra, k] @ [B, k, Rb] -> [B, Ra, Rb].
  auto move_axis = [](const Tensor& t, std::size_t from, std::size_t to) {
    std::vector<std::int64_t> perm;
    for (std::size_t d = 0; d < t.rank(); ++d)
      if (d != from) perm.push_back(static_cast<std::int64_t>(d));
    perm.insert(perm.begin() + static_cast<std::ptrdiff_t>(to), static_cast<std::int64_t>(from));
    return transpose(t, perm);
  };
  const std::int64_t B = a.dim(0), k = a.dim(static_cast<std::int64_t>(aa));
  // the other dimensions' sizes, from the shapes (not from the element count: B may be 0)
  auto rest = [](const Tensor& t, std::size_t skip) {
    std::int64_t n = 1;
    for (std::size_t d = 1; d < t.rank(); ++d)
      if (d != skip) n *= t.dim(static_cast<std::int64_t>(d));
    return n;
  };
  const Tensor a3 = reshape(move_axis(a, aa, a.rank() - 1), {B, rest(a, aa), k});
  const Tensor b3 = reshape(move_axis(b, ab, 1), {B, k, rest(b, ab)});
  const Tensor y = matmul(a3, b3);
  Shape out{B};
  for (std::size_t d = 1; d < a.rank(); ++d)
    if (d != aa) out.push_back(a.dim(static_cast<std::int64_t>(d)));
  for (std::size_t d = 1; d < b.rank(); ++d)
    if (d != ab) out.push_back(b.dim(static_cast<std::int64_t>(d)));
  if (out.rank() == 1) out.push_back(1);
  return {reshape(y, out)};
}

const Fields<Dot>& Dot::config_fields() {
  using Pair = ConfigCodec<std::pair<std::int64_t, std::int64_t>>;
  static const auto f = Fields<Dot>("Dot")
                            .construct([] { return std::make_shared<Dot>(-1); })  // then its fields
                            .custom(  // one axis for both inputs, or [a, b]
                                "axes",
                                [](const Dot& d) {
                                  return d.axis_a == d.axis_b ? Config(static_cast<long long>(d.axis_a))
                                                              : Pair::write({d.axis_a, d.axis_b});
                                },
                                [](Dot& d, const Config& v) {
                                  if (v.is_null()) return;
                                  std::tie(d.axis_a, d.axis_b) = Pair::decode(v);
                                })
                            .required()
                            .field("normalize", &Dot::normalize);
  return f;
}
Config Dot::get_config() const { return config_fields().write(*this, base_config()); }

void register_merge_layers(Registry& r) {
  r.add("Add", [](const Config&) { return std::make_shared<Add>(); });
  r.add("Subtract", [](const Config&) { return std::make_shared<Subtract>(); });
  r.add("Multiply", [](const Config&) { return std::make_shared<Multiply>(); });
  r.add("Average", [](const Config&) { return std::make_shared<Average>(); });
  r.add("Maximum", [](const Config&) { return std::make_shared<Maximum>(); });
  r.add("Minimum", [](const Config&) { return std::make_shared<Minimum>(); });
  r.add("Concatenate", Concatenate::config_fields().factory());
  r.add("Dot", Dot::config_fields().factory());
}

}  // namespace strata::layers
