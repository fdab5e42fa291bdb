#include "strata/losses.hpp"

#include "detail/errors.hpp"
#include "strata/ops.hpp"

namespace strata::losses {

namespace {
constexpr double kEpsilon = 1e-7;  // Keras's backend epsilon

void check_pair(const char* name, const Tensor& t, const Tensor& p) {
  detail::check_defined(name, t, "y_true");
  detail::check_defined(name, p, "y_pred");
  detail::check_floating(name, p);
  if (broadcast_shapes(t.shape(), p.shape(), name) != p.shape())
    detail::raise<ShapeError>("{}: y_true {} does not match y_pred {}", name, t.shape(), p.shape());
}

/// y_true in y_pred's dtype.
Tensor as_pred(const Tensor& t, const Tensor& p) { return t.dtype() == p.dtype() ? t : cast(t, p.dtype()); }

Tensor mean_last(const Tensor& x) { return x.rank() == 0 ? x : mean(x, -1); }
}  // namespace

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("mean_squared_error", y_true, y_pred);
  return mean_last(square(sub(y_pred, as_pred(y_true, y_pred))));
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("mean_absolute_error", y_true, y_pred);
  return mean_last(abs(sub(y_pred, as_pred(y_true, y_pred))));
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  check_pair("huber", y_true, y_pred);
  if (!(delta > 0)) detail::raise<ValueError>("huber: delta must be positive, got {}", delta);
  const Tensor err = abs(sub(y_pred, as_pred(y_true, y_pred)));
  const Tensor quadratic = minimum(err, delta);  // the part inside [0, delta]
  const Tensor linear = sub(err, quadratic);
  return mean_last(add(mul(square(quadratic), 0.5), mul(linear, delta)));
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing) {
  check_pair("binary_crossentropy", y_true, y_pred);
  Tensor t = as_pred(y_true, y_pred);
  if (label_smoothing > 0) t = add(mul(t, 1.0 - label_smoothing), 0.5 * label_smoothing);
  if (from_logits) return mean_last(nn::sigmoid_cross_entropy_with_logits(broadcast_to(t, y_pred.shape()), y_pred));
  const Tensor p = clip(y_pred, kEpsilon, 1.0 - kEpsilon);
  // -(t log p + (1 - t) log(1 - p))
  return mean_last(neg(add(mul(t, log(p)), mul(sub(1.0, t), log(sub(1.0, p))))));
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                                std::int64_t axis) {
  check_pair("categorical_crossentropy", y_true, y_pred);
  Tensor t = as_pred(y_true, y_pred);
  if (label_smoothing > 0) {
    const double k = static_cast<double>(y_pred.dim(axis));
    t = add(mul(t, 1.0 - label_smoothing), label_smoothing / k);
  }
  if (from_logits) return nn::softmax_cross_entropy_with_logits(broadcast_to(t, y_pred.shape()), y_pred, axis);
  const Tensor p = clip(div(y_pred, sum(y_pred, axis, true)), kEpsilon, 1.0 - kEpsilon);
  return neg(sum(mul(t, log(p)), axis));
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
  const char* op = "sparse_categorical_crossentropy";
  detail::check_defined(op, y_true, "y_true");
  detail::check_defined(op, y_pred, "y_pred");
  detail::check_floating(op, y_pred);
  if (y_pred.rank() < 1) detail::raise<ShapeError>("{}: y_pred must have a class axis, got {}", op, y_pred.shape());
  Tensor labels = y_true.dtype() == DType::int64 ? y_true : cast(y_true, DType::int64);
  // Keras accepts labels [N] or [N, 1] for predictions [N, K]
  if (labels.rank() == y_pred.rank() && labels.shape().back() == 1) labels = squeeze(labels, {-1});
  if (from_logits) return nn::sparse_softmax_cross_entropy_with_logits(labels, y_pred);
  const Tensor onehot = one_hot(labels, y_pred.dim(-1), y_pred.dtype());
  const Tensor p = clip(div(y_pred, sum(y_pred, -1, true)), kEpsilon, 1.0 - kEpsilon);
  Shape want = y_pred.shape();
  want.erase(want.rank() - 1);
  if (labels.shape() != want)
    detail::raise<ShapeError>("{}: labels {} do not match predictions {} (expected labels of shape {})", op,
                              labels.shape(), y_pred.shape(), want);
  for (auto v : labels.to_vector<std::int64_t>())
    if (v < 0 || v >= y_pred.dim(-1))
      detail::raise<ValueError>("{}: label {} is out of range for {} classes", op, v, y_pred.dim(-1));
  return neg(sum(mul(onehot, log(p)), -1));
}

Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("kl_divergence", y_true, y_pred);
  const Tensor t = clip(as_pred(y_true, y_pred), kEpsilon, 1.0);
  const Tensor p = clip(y_pred, kEpsilon, 1.0);
  return sum(mul(t, log(div(t, p))), -1);
}

Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, std::int64_t axis) {
  check_pair("cosine_similarity", y_true, y_pred);
  auto l2n = [axis](const Tensor& x) { return div(x, sqrt(maximum(sum(square(x), axis, true), 1e-12))); };
  return neg(sum(mul(l2n(as_pred(y_true, y_pred)), l2n(y_pred)), axis));
}

// ---- Loss objects --------------------------------------------------------------------------------------------------

Loss::Loss(std::string name, Reduction reduction) : name_(std::move(name)), reduction_(reduction) {}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  Tensor l = call(y_true, y_pred);
  if (sample_weight.defined()) {
    Tensor w = sample_weight.dtype() == l.dtype() ? sample_weight : cast(sample_weight, l.dtype());
    // weights [N] against losses [N, ...]: align on the leading axes, as Keras does
    while (w.rank() < l.rank()) w = expand_dims(w, -1);
    if (w.rank() > l.rank() && w.shape().back() == 1) w = squeeze(w, {-1});
    l = mul(l, w);
  }
  switch (reduction_) {
    case Reduction::none: return l;
    case Reduction::sum: return sum(l);
    case Reduction::sum_over_batch_size: return l.size() > 0 ? mean(l) : sum(l);
  }
  return l;
}

Config Loss::get_config() const {
  return Config::object({{"name", name_}, {"reduction", reduction_name(reduction_)}});
}

Huber::Huber(double delta, Reduction r) : Loss("huber_loss", r), delta_(delta) {
  if (!(delta > 0)) detail::raise<ValueError>("Huber: delta must be positive, got {}", delta);
}
Config Huber::get_config() const {
  Config c = Loss::get_config();
  c["delta"] = delta_;
  return c;
}

BinaryCrossentropy::BinaryCrossentropy(bool from_logits, double label_smoothing, Reduction r)
    : Loss("binary_crossentropy", r), from_logits_(from_logits), label_smoothing_(label_smoothing) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1))
    detail::raise<ValueError>("BinaryCrossentropy: label_smoothing must be in [0, 1], got {}", label_smoothing);
}
Tensor BinaryCrossentropy::call(const Tensor& t, const Tensor& p) const {
  return binary_crossentropy(t, p, from_logits_, label_smoothing_);
}
Config BinaryCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  return c;
}

CategoricalCrossentropy::CategoricalCrossentropy(bool from_logits, double label_smoothing, Reduction r)
    : Loss("categorical_crossentropy", r), from_logits_(from_logits), label_smoothing_(label_smoothing) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1))
    detail::raise<ValueError>("CategoricalCrossentropy: label_smoothing must be in [0, 1], got {}", label_smoothing);
}
Tensor CategoricalCrossentropy::call(const Tensor& t, const Tensor& p) const {
  return categorical_crossentropy(t, p, from_logits_, label_smoothing_);
}
Config CategoricalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  return c;
}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(bool from_logits, Reduction r)
    : Loss("sparse_categorical_crossentropy", r), from_logits_(from_logits) {}
Tensor SparseCategoricalCrossentropy::call(const Tensor& t, const Tensor& p) const {
  return sparse_categorical_crossentropy(t, p, from_logits_);
}
Config SparseCategoricalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  return c;
}

CosineSimilarity::CosineSimilarity(std::int64_t axis, Reduction r) : Loss("cosine_similarity", r), axis_(axis) {}
Config CosineSimilarity::get_config() const {
  Config c = Loss::get_config();
  c["axis"] = axis_;
  return c;
}

std::shared_ptr<Loss> get(const std::string& n) {
  if (n == "mse" || n == "mean_squared_error" || n == "MeanSquaredError") return std::make_shared<MeanSquaredError>();
  if (n == "mae" || n == "mean_absolute_error" || n == "MeanAbsoluteError") return std::make_shared<MeanAbsoluteError>();
  if (n == "huber" || n == "huber_loss" || n == "Huber") return std::make_shared<Huber>();
  if (n == "binary_crossentropy" || n == "BinaryCrossentropy") return std::make_shared<BinaryCrossentropy>();
  if (n == "categorical_crossentropy" || n == "CategoricalCrossentropy")
    return std::make_shared<CategoricalCrossentropy>();
  if (n == "sparse_categorical_crossentropy" || n == "SparseCategoricalCrossentropy")
    return std::make_shared<SparseCategoricalCrossentropy>();
  if (n == "kld" || n == "kl_divergence" || n == "KLDivergence") return std::make_shared<KLDivergence>();
  if (n == "cosine_similarity" || n == "CosineSimilarity") return std::make_shared<CosineSimilarity>();
  detail::raise<ValueError>(
      "unknown loss '{}' (known: binary_crossentropy, categorical_crossentropy, cosine_similarity, huber, "
      "kl_divergence, mean_absolute_error (mae), mean_squared_error (mse), sparse_categorical_crossentropy)",
      n);
}

Reduction reduction_from_name(const std::string& n) {
  if (n == "sum_over_batch_size" || n == "auto") return Reduction::sum_over_batch_size;
  if (n == "sum") return Reduction::sum;
  if (n == "none") return Reduction::none;
  detail::raise<ValueError>("unknown reduction '{}' (known: sum_over_batch_size, sum, none)", n);
}

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::sum_over_batch_size: return "sum_over_batch_size";
    case Reduction::sum: return "sum";
    case Reduction::none: return "none";
  }
  return "?";
}

}  // namespace strata::losses
