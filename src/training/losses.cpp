#include "strata/losses.hpp"

#include "detail/errors.hpp"
#include "training/serialized.hpp"
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

namespace {
/// Integer labels of y_true, without the trailing 1 Keras allows ([N, 1] for predictions [N, K]).
Tensor sparse_labels(const Tensor& y_true, const Tensor& y_pred) {
  Tensor labels = y_true.dtype() == DType::int64 ? y_true : cast(y_true, DType::int64);
  if (labels.rank() == y_pred.rank() && labels.rank() > 0 && labels.shape().back() == 1) labels = squeeze(labels, {-1});
  return labels;
}
/// 1 where the label is not `ignore`, as y_pred's dtype.
Tensor valid_labels(const Tensor& labels, std::int64_t ignore, DType dt) {
  return cast(not_equal(labels, static_cast<double>(ignore)), dt);
}
}  // namespace

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                       std::optional<std::int64_t> ignore_class) {
  const char* op = "sparse_categorical_crossentropy";
  detail::check_defined(op, y_true, "y_true");
  detail::check_defined(op, y_pred, "y_pred");
  detail::check_floating(op, y_pred);
  if (y_pred.rank() < 1) detail::raise<ShapeError>("{}: y_pred must have a class axis, got {}", op, y_pred.shape());
  Tensor labels = sparse_labels(y_true, y_pred);
  if (ignore_class) {  // Keras: the ignored samples get label 0 and lose 0
    const Tensor valid = valid_labels(labels, *ignore_class, y_pred.dtype());
    labels = mul(labels, cast(valid, DType::int64));
    return mul(sparse_categorical_crossentropy(labels, y_pred, from_logits), valid);
  }
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

Tensor poisson(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("poisson", y_true, y_pred);
  return mean_last(sub(y_pred, mul(as_pred(y_true, y_pred), log(add(y_pred, kEpsilon)))));
}

Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("log_cosh", y_true, y_pred);
  const Tensor x = sub(y_pred, as_pred(y_true, y_pred));
  return mean_last(sub(add(x, softplus(mul(x, -2.0))), std::log(2.0)));  // stable for large |x|
}

namespace {
/// Keras's hinge labels: all in {0, 1} -> 2y - 1; otherwise as given (expected in {-1, 1}).
Tensor hinge_labels(const Tensor& y_true, const Tensor& y_pred) {
  const Tensor t = as_pred(y_true, y_pred);
  for (double v : t.to_vector<double>())
    if (v != 0.0 && v != 1.0) return t;
  return sub(mul(t, 2.0), 1.0);
}
}  // namespace

Tensor hinge(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("hinge", y_true, y_pred);
  return mean_last(relu(sub(1.0, mul(hinge_labels(y_true, y_pred), y_pred))));
}

Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("squared_hinge", y_true, y_pred);
  return mean_last(square(relu(sub(1.0, mul(hinge_labels(y_true, y_pred), y_pred)))));
}

Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("categorical_hinge", y_true, y_pred);
  const Tensor t = as_pred(y_true, y_pred);
  const Tensor pos = sum(mul(t, y_pred), -1);
  const Tensor negative = max(mul(sub(1.0, t), y_pred), -1);
  return relu(add(sub(negative, pos), 1.0));
}

Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("mean_absolute_percentage_error", y_true, y_pred);
  const Tensor t = as_pred(y_true, y_pred);
  return mul(mean_last(abs(div(sub(t, y_pred), maximum(abs(t), kEpsilon)))), 100.0);
}

Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred) {
  check_pair("mean_squared_logarithmic_error", y_true, y_pred);
  const Tensor first = log(add(maximum(y_pred, kEpsilon), 1.0));
  const Tensor second = log(add(maximum(as_pred(y_true, y_pred), kEpsilon), 1.0));
  return mean_last(square(sub(first, second)));
}

Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing,
                                 double alpha, double gamma, bool from_logits, double label_smoothing,
                                 std::int64_t axis) {
  check_pair("binary_focal_crossentropy", y_true, y_pred);
  Tensor t = as_pred(y_true, y_pred);
  if (label_smoothing > 0) t = add(mul(t, 1.0 - label_smoothing), 0.5 * label_smoothing);
  const Tensor p = from_logits ? sigmoid(y_pred) : y_pred;
  const Tensor pc = clip(p, kEpsilon, 1.0 - kEpsilon);
  const Tensor bce = neg(add(mul(t, log(pc)), mul(sub(1.0, t), log(sub(1.0, pc)))));
  const Tensor p_t = add(mul(t, p), mul(sub(1.0, t), sub(1.0, p)));
  Tensor focal = mul(pow(sub(1.0, p_t), gamma), bce);
  if (apply_class_balancing) focal = mul(add(mul(t, alpha), mul(sub(1.0, t), 1.0 - alpha)), focal);
  return mean(focal, axis);
}

Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha, double gamma,
                                      bool from_logits, double label_smoothing, std::int64_t axis) {
  check_pair("categorical_focal_crossentropy", y_true, y_pred);
  Tensor t = as_pred(y_true, y_pred);
  if (label_smoothing > 0) t = add(mul(t, 1.0 - label_smoothing), label_smoothing / static_cast<double>(y_pred.dim(-1)));
  const Tensor p = from_logits ? nn::softmax(y_pred, axis) : y_pred;
  const Tensor out = clip(div(p, sum(p, axis, true)), kEpsilon, 1.0 - kEpsilon);
  const Tensor cce = neg(mul(t, log(out)));
  return sum(mul(mul(pow(sub(1.0, out), gamma), alpha), cce), axis);
}

Tensor dice(const Tensor& y_true, const Tensor& y_pred, const std::vector<std::int64_t>& axes) {
  check_pair("dice", y_true, y_pred);
  const Tensor t = broadcast_to(as_pred(y_true, y_pred), y_pred.shape());
  auto total = [&](const Tensor& x) { return axes.empty() ? sum(x) : sum(x, Axes(axes.begin(), axes.end())); };
  const Tensor intersection = total(mul(t, y_pred));
  return sub(1.0, div(mul(intersection, 2.0), add(add(total(t), total(y_pred)), kEpsilon)));
}

Tensor tversky(const Tensor& y_true, const Tensor& y_pred, double alpha, double beta) {
  check_pair("tversky", y_true, y_pred);
  const Tensor t = broadcast_to(as_pred(y_true, y_pred), y_pred.shape());
  const Tensor tp = sum(mul(t, y_pred));
  const Tensor fp = sum(mul(sub(1.0, y_pred), t));
  const Tensor fn = sum(mul(y_pred, sub(1.0, t)));
  return sub(1.0, div(tp, add(add(add(tp, mul(fp, alpha)), mul(fn, beta)), kEpsilon)));
}

// ---- Loss objects --------------------------------------------------------------------------------------------------

Loss::Loss(std::string name, Reduction reduction) : name_(std::move(name)), reduction_(reduction) {}

Tensor Loss::mask(const Tensor&, const Tensor&) const { return Tensor(); }

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  Tensor l = call(y_true, y_pred);
  Tensor w;
  if (sample_weight.defined()) {
    w = sample_weight.dtype() == l.dtype() ? sample_weight : cast(sample_weight, l.dtype());
    // weights [N] against losses [N, ...]: align on the leading axes, as Keras does
    while (w.rank() < l.rank()) w = expand_dims(w, -1);
    if (w.rank() > l.rank() && w.shape().back() == 1) w = squeeze(w, {-1});
  }
  if (Tensor m = mask(y_true, y_pred); m.defined()) {
    // Keras: a masked-out loss weighs 0; under the mean the others weigh total / valid, so the
    // mean is over the counted losses only
    m = cast(m, l.dtype());
    if (reduction_ == Reduction::sum_over_batch_size)
      m = mul(m, static_cast<double>(m.size()) / (sum(m).item<double>() + kEpsilon));
    w = w.defined() ? mul(w, m) : m;
  }
  if (w.defined()) l = mul(l, w);
  switch (reduction_) {
    case Reduction::none: return l;
    case Reduction::sum: return sum(l);
    case Reduction::sum_over_batch_size: return l.size() > 0 ? mean(l) : sum(l);
    case Reduction::mean_with_sample_weight: {
      if (!w.defined()) return l.size() > 0 ? mean(l) : sum(l);
      const Tensor total = sum(w);
      if (total.item<double>() == 0.0) return mul(sum(l), 0.0);  // divide_no_nan
      return div(sum(l), total);
    }
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

CategoricalCrossentropy::CategoricalCrossentropy(bool from_logits, double label_smoothing, Reduction r,
                                                 std::int64_t axis)
    : Loss("categorical_crossentropy", r), from_logits_(from_logits), label_smoothing_(label_smoothing), axis_(axis) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1))
    detail::raise<ValueError>("CategoricalCrossentropy: label_smoothing must be in [0, 1], got {}", label_smoothing);
}
Tensor CategoricalCrossentropy::call(const Tensor& t, const Tensor& p) const {
  return categorical_crossentropy(t, p, from_logits_, label_smoothing_, axis_);
}
Config CategoricalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  c["axis"] = axis_;
  return c;
}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(bool from_logits, Reduction r,
                                                             std::optional<std::int64_t> ignore_class)
    : Loss("sparse_categorical_crossentropy", r), from_logits_(from_logits), ignore_class_(ignore_class) {}
Tensor SparseCategoricalCrossentropy::call(const Tensor& t, const Tensor& p) const {
  return sparse_categorical_crossentropy(t, p, from_logits_, ignore_class_);
}
Tensor SparseCategoricalCrossentropy::mask(const Tensor& t, const Tensor& p) const {
  if (!ignore_class_) return Tensor();
  return valid_labels(sparse_labels(t, p), *ignore_class_, p.dtype());
}
Config SparseCategoricalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["ignore_class"] = ignore_class_ ? Config(static_cast<long long>(*ignore_class_)) : Config();
  return c;
}

namespace {
/// The focal losses' checks and shared config keys.
void check_focal(const char* cls, double label_smoothing, double gamma) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1))
    detail::raise<ValueError>("{}: label_smoothing must be in [0, 1], got {}", cls, label_smoothing);
  if (!(gamma >= 0)) detail::raise<ValueError>("{}: gamma must be >= 0, got {}", cls, gamma);
}
void write_focal(Config& c, double alpha, double gamma, bool from_logits, double label_smoothing, std::int64_t axis) {
  c["alpha"] = alpha;
  c["gamma"] = gamma;
  c["from_logits"] = from_logits;
  c["label_smoothing"] = label_smoothing;
  c["axis"] = axis;
}
}  // namespace

BinaryFocalCrossentropy::BinaryFocalCrossentropy(bool apply_class_balancing, double alpha, double gamma,
                                                 bool from_logits, double label_smoothing, std::int64_t axis,
                                                 Reduction r)
    : Loss("binary_focal_crossentropy", r), apply_class_balancing_(apply_class_balancing), alpha_(alpha),
      gamma_(gamma), from_logits_(from_logits), label_smoothing_(label_smoothing), axis_(axis) {
  check_focal("BinaryFocalCrossentropy", label_smoothing, gamma);
}
Tensor BinaryFocalCrossentropy::call(const Tensor& t, const Tensor& p) const {
  return binary_focal_crossentropy(t, p, apply_class_balancing_, alpha_, gamma_, from_logits_, label_smoothing_, axis_);
}
Config BinaryFocalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["apply_class_balancing"] = apply_class_balancing_;
  write_focal(c, alpha_, gamma_, from_logits_, label_smoothing_, axis_);
  return c;
}

CategoricalFocalCrossentropy::CategoricalFocalCrossentropy(double alpha, double gamma, bool from_logits,
                                                           double label_smoothing, std::int64_t axis, Reduction r)
    : Loss("categorical_focal_crossentropy", r), alpha_(alpha), gamma_(gamma), from_logits_(from_logits),
      label_smoothing_(label_smoothing), axis_(axis) {
  check_focal("CategoricalFocalCrossentropy", label_smoothing, gamma);
}
Tensor CategoricalFocalCrossentropy::call(const Tensor& t, const Tensor& p) const {
  return categorical_focal_crossentropy(t, p, alpha_, gamma_, from_logits_, label_smoothing_, axis_);
}
Config CategoricalFocalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  write_focal(c, alpha_, gamma_, from_logits_, label_smoothing_, axis_);
  return c;
}

Dice::Dice(Reduction r, std::vector<std::int64_t> axes) : Loss("dice", r), axes_(std::move(axes)) {}
Config Dice::get_config() const {
  Config c = Loss::get_config();
  if (axes_.empty()) {
    c["axis"] = Config();
  } else {
    Config a = Config::list();
    for (auto v : axes_) a.push_back(static_cast<long long>(v));
    c["axis"] = a;
  }
  return c;
}

Tversky::Tversky(double alpha, double beta, Reduction r) : Loss("tversky", r), alpha_(alpha), beta_(beta) {}
Config Tversky::get_config() const {
  Config c = Loss::get_config();
  c["alpha"] = alpha_;
  c["beta"] = beta_;
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
  if (n == "poisson" || n == "Poisson") return std::make_shared<Poisson>();
  if (n == "log_cosh" || n == "logcosh" || n == "LogCosh") return std::make_shared<LogCosh>();
  if (n == "hinge" || n == "Hinge") return std::make_shared<Hinge>();
  if (n == "squared_hinge" || n == "SquaredHinge") return std::make_shared<SquaredHinge>();
  if (n == "categorical_hinge" || n == "CategoricalHinge") return std::make_shared<CategoricalHinge>();
  if (n == "mape" || n == "mean_absolute_percentage_error" || n == "MeanAbsolutePercentageError")
    return std::make_shared<MeanAbsolutePercentageError>();
  if (n == "msle" || n == "mean_squared_logarithmic_error" || n == "MeanSquaredLogarithmicError")
    return std::make_shared<MeanSquaredLogarithmicError>();
  if (n == "binary_focal_crossentropy" || n == "BinaryFocalCrossentropy")
    return std::make_shared<BinaryFocalCrossentropy>();
  if (n == "categorical_focal_crossentropy" || n == "CategoricalFocalCrossentropy")
    return std::make_shared<CategoricalFocalCrossentropy>();
  if (n == "dice" || n == "Dice") return std::make_shared<Dice>();
  if (n == "tversky" || n == "Tversky") return std::make_shared<Tversky>();
  detail::raise<ValueError>(
      "unknown loss '{}' (known: binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, "
      "categorical_focal_crossentropy, categorical_hinge, cosine_similarity, dice, hinge, huber, kl_divergence, "
      "log_cosh, mean_absolute_error (mae), mean_absolute_percentage_error (mape), mean_squared_error (mse), "
      "mean_squared_logarithmic_error (msle), poisson, sparse_categorical_crossentropy, squared_hinge, tversky)",
      n);
}

std::shared_ptr<Loss> deserialize(const Config& c) {
  if (c.is_string()) return get(c.as_string());
  const detail::Serialized s = detail::read_serialized(c, "losses::deserialize");
  if (!s.function_name.empty()) return get(s.function_name);
  const std::string& cls = s.class_name;
  const Config& k = s.config;
  const Reduction r = reduction_from_name(k.get_string("reduction", "sum_over_batch_size"));
  const bool logits = k.get_bool("from_logits", false);
  const double smoothing = k.get_double("label_smoothing", 0.0);
  const std::int64_t axis = k.get_int("axis", -1);
  if (cls == "Huber") return std::make_shared<Huber>(k.get_double("delta", 1.0), r);
  if (cls == "BinaryCrossentropy") return std::make_shared<BinaryCrossentropy>(logits, smoothing, r);
  if (cls == "CategoricalCrossentropy") return std::make_shared<CategoricalCrossentropy>(logits, smoothing, r, axis);
  if (cls == "SparseCategoricalCrossentropy") {
    std::optional<std::int64_t> ignore;
    if (const Config* v = k.find("ignore_class"); v && !v->is_null()) ignore = v->as_int();
    return std::make_shared<SparseCategoricalCrossentropy>(logits, r, ignore);
  }
  if (cls == "CosineSimilarity") return std::make_shared<CosineSimilarity>(axis, r);
  if (cls == "BinaryFocalCrossentropy")
    return std::make_shared<BinaryFocalCrossentropy>(k.get_bool("apply_class_balancing", false),
                                                     k.get_double("alpha", 0.25), k.get_double("gamma", 2.0), logits,
                                                     smoothing, axis, r);
  if (cls == "CategoricalFocalCrossentropy")
    return std::make_shared<CategoricalFocalCrossentropy>(k.get_double("alpha", 0.25), k.get_double("gamma", 2.0),
                                                          logits, smoothing, axis, r);
  if (cls == "Tversky") return std::make_shared<Tversky>(k.get_double("alpha", 0.5), k.get_double("beta", 0.5), r);
  if (cls == "Dice") {
    std::vector<std::int64_t> axes;
    if (const Config* v = k.find("axis"); v && v->is_int()) axes.push_back(v->as_int());
    if (const Config* v = k.find("axis"); v && v->is_list())
      for (const auto& a : v->items()) axes.push_back(a.as_int());
    return std::make_shared<Dice>(r, axes);
  }
  // The losses whose only option is the reduction.
  if (cls == "MeanSquaredError") return std::make_shared<MeanSquaredError>(r);
  if (cls == "MeanAbsoluteError") return std::make_shared<MeanAbsoluteError>(r);
  if (cls == "KLDivergence") return std::make_shared<KLDivergence>(r);
  if (cls == "Poisson") return std::make_shared<Poisson>(r);
  if (cls == "LogCosh") return std::make_shared<LogCosh>(r);
  if (cls == "Hinge") return std::make_shared<Hinge>(r);
  if (cls == "SquaredHinge") return std::make_shared<SquaredHinge>(r);
  if (cls == "CategoricalHinge") return std::make_shared<CategoricalHinge>(r);
  if (cls == "MeanAbsolutePercentageError") return std::make_shared<MeanAbsolutePercentageError>(r);
  if (cls == "MeanSquaredLogarithmicError") return std::make_shared<MeanSquaredLogarithmicError>(r);
  detail::raise<ValueError>("losses::deserialize: unknown loss class '{}' (config {})", cls, k.dump());
}

Config serialize(const Loss& loss) {
  return Config::object({{"module", "keras.losses"},
                         {"class_name", loss.class_name()},
                         {"config", loss.get_config()},
                         {"registered_name", Config()}});
}

Reduction reduction_from_name(const std::string& n) {
  if (n == "sum_over_batch_size" || n == "auto" || n == "mean") return Reduction::sum_over_batch_size;
  if (n == "sum") return Reduction::sum;
  if (n == "none") return Reduction::none;
  if (n == "mean_with_sample_weight") return Reduction::mean_with_sample_weight;
  detail::raise<ValueError>("unknown reduction '{}' (known: sum_over_batch_size (mean), sum, none, mean_with_sample_weight)",
                            n);
}

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::sum_over_batch_size: return "sum_over_batch_size";
    case Reduction::sum: return "sum";
    case Reduction::none: return "none";
    case Reduction::mean_with_sample_weight: return "mean_with_sample_weight";
  }
  return "?";
}

}  // namespace strata::losses
