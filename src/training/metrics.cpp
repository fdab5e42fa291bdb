#include "strata/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <typeinfo>

#include "detail/errors.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/losses.hpp"
#include "strata/ops.hpp"
#include "training/metric_weights.hpp"

namespace strata::metrics {

namespace {
std::vector<double> weights_for(const Tensor& v, const Tensor& w) { return detail::metric_weights(v, w); }

std::vector<std::int64_t> labels_of(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = y_true;
  if (t.rank() == y_pred.rank() && t.rank() > 0 && t.shape().back() == 1) t = squeeze(t, {-1});
  return t.to_vector<std::int64_t>();
}
}  // namespace

// ---- state ----------------------------------------------------------------------------------------------------------

namespace {
void check_state_size(const Metric& m, const std::vector<double>& s, std::size_t want) {
  if (s.size() != want)
    detail::raise<ValueError>("metric '{}': a state of {} values, expected {}", m.name(), s.size(), want);
}
}  // namespace

void Metric::set_state(const std::vector<double>& s) {
  if (!s.empty()) detail::raise<ValueError>("metric '{}' has no state to set ({} values given)", name(), s.size());
}

void Metric::merge_state(const std::vector<const Metric*>& others) {
  std::vector<double> total = state();
  for (const Metric* o : others) {
    if (!o) detail::raise<ValueError>("metric '{}': merge_state got a null metric", name());
    if (typeid(*o) != typeid(*this) || !same_configuration(*o))
      detail::raise<ValueError>("metric '{}': cannot merge the state of '{}', a metric of another class or "
                                "configuration",
                                name(), o->name());
    const std::vector<double> s = o->state();
    check_state_size(*this, s, total.size());
    for (std::size_t i = 0; i < s.size(); ++i) total[i] += s[i];
  }
  set_state(total);
}

void Mean::set_state(const std::vector<double>& s) {
  check_state_size(*this, s, 2);
  total_ = s[0];
  count_ = s[1];
}


std::vector<double> AUC::state() const {
  std::vector<double> s;
  for (const auto* v : {&tp_, &fp_, &tn_, &fn_}) s.insert(s.end(), v->begin(), v->end());
  return s;
}
void AUC::set_state(const std::vector<double>& s) {
  const std::size_t n = thresholds_.size();
  check_state_size(*this, s, 4 * n);
  std::size_t k = 0;
  for (auto* v : {&tp_, &fp_, &tn_, &fn_}) {
    v->assign(s.begin() + static_cast<std::ptrdiff_t>(k), s.begin() + static_cast<std::ptrdiff_t>(k + n));
    k += n;
  }
}
bool AUC::same_configuration(const Metric& o) const {
  const auto& a = static_cast<const AUC&>(o);
  return a.thresholds_ == thresholds_ && a.curve_ == curve_ && a.summation_ == summation_;
}

// ---- Mean and the wrappers -------------------------------------------------------------------------------------------

void Mean::update_state(const Tensor& values, const Tensor& sample_weight) {
  NoGradGuard no_grad;
  const auto v = values.to_vector<double>();
  const auto w = weights_for(values, sample_weight);
  for (std::size_t i = 0; i < v.size(); ++i) {
    total_ += v[i] * w[i];
    count_ += w[i];
  }
}

void Mean::update_state(const Tensor& y_true, const Tensor&, const Tensor& sample_weight) {
  update_state(y_true, sample_weight);
}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  NoGradGuard no_grad;
  Mean::update_state(fn_(y_true, y_pred), sample_weight);
}

Accuracy::Accuracy(std::string name)
    : MeanMetricWrapper(std::move(name), [](const Tensor& t, const Tensor& p) {
        return cast(equal(cast(t, p.dtype()), p), DType::float64);
      }) {}

namespace {
/// Keras's squeeze_or_expand_to_same_rank: ranks that differ by one, where the larger ends in 1,
/// meet by expanding a rank-1 tensor or squeezing that 1.
std::pair<Tensor, Tensor> same_rank(Tensor a, Tensor b) {
  if (a.rank() == b.rank() + 1 && a.dim(-1) == 1) {
    if (b.rank() == 1) b = expand_dims(b, -1);
    else a = squeeze(a, {-1});
  } else if (b.rank() == a.rank() + 1 && b.dim(-1) == 1) {
    if (a.rank() == 1) a = expand_dims(a, -1);
    else b = squeeze(b, {-1});
  }
  return {a, b};
}
}  // namespace

// Keras 3: one value per element, after bringing labels and predictions to one rank (labels [N]
// against predictions [N, 1] compare element by element, not as an [N, N] broadcast).
BinaryAccuracy::BinaryAccuracy(std::string name, double threshold)
    : MeanMetricWrapper(std::move(name), [threshold](const Tensor& t, const Tensor& p) {
        const auto [tt, pp] = same_rank(cast(t, DType::float64), cast(p, DType::float64));
        return cast(equal(cast(greater(pp, threshold), DType::float64), tt), DType::float64);
      }) {}

CategoricalAccuracy::CategoricalAccuracy(std::string name)
    : MeanMetricWrapper(std::move(name), [](const Tensor& t, const Tensor& p) {
        return cast(equal(argmax(t, -1), argmax(p, -1)), DType::float64);
      }) {}

SparseCategoricalAccuracy::SparseCategoricalAccuracy(std::string name)
    : MeanMetricWrapper(std::move(name), [](const Tensor& t, const Tensor& p) {
        const auto labels = labels_of(t, p);
        const Tensor pred = argmax(p, -1);
        Tensor lt = Tensor::from_data(labels.data(), pred.shape());
        return cast(equal(lt, pred), DType::float64);
      }) {}

namespace {
/// 1 where the label's score is among the k largest of its row (ties count in its favour):
/// strata::in_top_k over the rows of p, whatever its leading dimensions.
Tensor top_k_hits(const std::vector<std::int64_t>& labels, const Tensor& p, std::int64_t k) {
  const std::int64_t K = p.dim(-1), rows = p.size() / K;
  const Tensor ids = Tensor::from_data(labels.data(), {rows});
  Shape s = p.shape();
  s.erase(s.rank() - 1);
  return reshape(cast(in_top_k(ids, reshape(p, {rows, K}), k), DType::float64), s);
}
}  // namespace

TopKCategoricalAccuracy::TopKCategoricalAccuracy(std::int64_t k, std::string name)
    : MeanMetricWrapper(std::move(name), [k](const Tensor& t, const Tensor& p) {
        return top_k_hits(argmax(t, -1).to_vector<std::int64_t>(), p, k);
      }) {}

namespace {
/// 1 where the label is among the first k ids of its row of sorted ids [N, m].
Tensor sorted_id_hits(const std::vector<std::int64_t>& labels, const Tensor& ids, std::int64_t k) {
  if (ids.rank() != 2 || ids.dim(0) != static_cast<std::int64_t>(labels.size()))
    detail::raise<ShapeError>("sparse_top_k_categorical_accuracy (from_sorted_ids): y_pred must be [{}, ids], got {}",
                              labels.size(), ids.shape());
  const auto v = cast(ids, DType::int64).to_vector<std::int64_t>();
  const std::int64_t m = ids.dim(1), first = std::min(k, m);
  std::vector<double> hits(labels.size(), 0.0);
  for (std::size_t i = 0; i < labels.size(); ++i)
    for (std::int64_t j = 0; j < first; ++j)
      if (v[i * static_cast<std::size_t>(m) + static_cast<std::size_t>(j)] == labels[i]) hits[i] = 1.0;
  return Tensor::from_vector(hits, {static_cast<std::int64_t>(labels.size())}, DType::float64);
}
}  // namespace

SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(std::int64_t k, std::string name, bool from_sorted_ids)
    : MeanMetricWrapper(std::move(name), [k, from_sorted_ids](const Tensor& t, const Tensor& p) {
        if (!from_sorted_ids) return top_k_hits(labels_of(t, p), p, k);
        Tensor labels = t;
        if (labels.rank() == 2 && labels.dim(1) == 1) labels = squeeze(labels, {-1});
        return sorted_id_hits(cast(labels, DType::int64).to_vector<std::int64_t>(), p, k);
      }) {
  if (k < 1) detail::raise<ValueError>("{}: k must be >= 1, got {}", this->name(), k);
}

MeanSquaredError::MeanSquaredError(std::string name)
    : MeanMetricWrapper(std::move(name), [](const Tensor& t, const Tensor& p) {
        return cast(losses::mean_squared_error(t, p), DType::float64);
      }) {}

// ---- AUC -------------------------------------------------------------------------------------------------------

AUC::AUC(std::string name, int num_thresholds, std::string curve, std::string summation_method)
    : Metric(std::move(name)), curve_(std::move(curve)), summation_(std::move(summation_method)) {
  if (num_thresholds < 2) detail::raise<ValueError>("AUC: num_thresholds must be > 1, got {}", num_thresholds);
  if (curve_ != "ROC" && curve_ != "PR") detail::raise<ValueError>("AUC: curve must be ROC or PR, got '{}'", curve_);
  if (summation_ != "interpolation" && summation_ != "minoring" && summation_ != "majoring")
    detail::raise<ValueError>("AUC: summation_method must be interpolation, minoring or majoring, got '{}'", summation_);
  // Keras: thresholds in (0, 1) evenly spaced, plus -epsilon and 1 + epsilon at the ends.
  const double eps = 1e-7;
  thresholds_.push_back(0.0 - eps);
  for (int i = 1; i < num_thresholds - 1; ++i) thresholds_.push_back(static_cast<double>(i) / (num_thresholds - 1));
  thresholds_.push_back(1.0 + eps);
  reset_state();
}

void AUC::reset_state() {
  const std::size_t n = thresholds_.size();
  tp_.assign(n, 0);
  fp_.assign(n, 0);
  tn_.assign(n, 0);
  fn_.assign(n, 0);
}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  const auto w = weights_for(y_pred, sample_weight);
  if (t.size() != p.size())
    detail::raise<ShapeError>("AUC: y_true {} and y_pred {} differ in size", y_true.shape(), y_pred.shape());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const bool pos = t[i] > 0.5;
    for (std::size_t k = 0; k < thresholds_.size(); ++k) {
      const bool pred = p[i] > thresholds_[k];
      if (pos) (pred ? tp_[k] : fn_[k]) += w[i];
      else (pred ? fp_[k] : tn_[k]) += w[i];
    }
  }
}

namespace {
double divide_no_nan(double a, double b) { return b != 0 ? a / b : 0.0; }
}  // namespace

// Davis and Goadrich (2006): precision interpolated between thresholds as TP = slope * P +
// intercept, integrated over recall (Keras's interpolate_pr_auc).
double AUC::interpolated_pr() const {
  double area = 0;
  for (std::size_t k = 0; k + 1 < thresholds_.size(); ++k) {
    const double dtp = tp_[k] - tp_[k + 1];
    const double pa = tp_[k] + fp_[k], pb = tp_[k + 1] + fp_[k + 1];
    const double slope = divide_no_nan(dtp, std::max(pa - pb, 0.0));
    const double intercept = tp_[k + 1] - slope * pb;
    const double ratio = pa > 0 && pb > 0 ? divide_no_nan(pa, std::max(pb, 0.0)) : 1.0;
    area += divide_no_nan(slope * (dtp + intercept * std::log(ratio)), std::max(tp_[k + 1] + fn_[k + 1], 0.0));
  }
  return area;
}

double AUC::result() const {
  if (curve_ == "PR" && summation_ == "interpolation") return interpolated_pr();
  // A Riemann sum over the curve's points: ROC plots recall against the false-positive rate, PR
  // precision against recall (Keras's rates, 0 where undefined).
  double area = 0;
  for (std::size_t k = 0; k + 1 < thresholds_.size(); ++k) {
    const double recall0 = divide_no_nan(tp_[k], tp_[k] + fn_[k]), recall1 = divide_no_nan(tp_[k + 1], tp_[k + 1] + fn_[k + 1]);
    double x0, x1, y0, y1;
    if (curve_ == "ROC") {
      x0 = divide_no_nan(fp_[k], fp_[k] + tn_[k]);
      x1 = divide_no_nan(fp_[k + 1], fp_[k + 1] + tn_[k + 1]);
      y0 = recall0;
      y1 = recall1;
    } else {
      x0 = recall0;
      x1 = recall1;
      y0 = divide_no_nan(tp_[k], tp_[k] + fp_[k]);
      y1 = divide_no_nan(tp_[k + 1], tp_[k + 1] + fp_[k + 1]);
    }
    const double height = summation_ == "interpolation" ? (y0 + y1) / 2
                          : summation_ == "minoring"    ? std::min(y0, y1)
                                                        : std::max(y0, y1);
    area += (x0 - x1) * height;
  }
  return area;
}

std::shared_ptr<Metric> get(const std::string& n) {
  if (n == "accuracy" || n == "acc") return std::make_shared<Accuracy>();
  if (n == "binary_accuracy") return std::make_shared<BinaryAccuracy>();
  if (n == "categorical_accuracy") return std::make_shared<CategoricalAccuracy>();
  if (n == "sparse_categorical_accuracy") return std::make_shared<SparseCategoricalAccuracy>();
  if (n == "top_k_categorical_accuracy") return std::make_shared<TopKCategoricalAccuracy>();
  if (n == "sparse_top_k_categorical_accuracy") return std::make_shared<SparseTopKCategoricalAccuracy>();
  if (n == "mse" || n == "mean_squared_error") return std::make_shared<MeanSquaredError>(n);
  // the losses as metrics, named as asked ("mae" reports as mae)
  if (n == "mae" || n == "mean_absolute_error") return std::make_shared<MeanAbsoluteError>(n);
  if (n == "mape" || n == "mean_absolute_percentage_error") return std::make_shared<MeanAbsolutePercentageError>(n);
  if (n == "msle" || n == "mean_squared_logarithmic_error") return std::make_shared<MeanSquaredLogarithmicError>(n);
  if (n == "logcosh" || n == "log_cosh") return std::make_shared<LogCoshError>(n);
  if (n == "poisson") return std::make_shared<Poisson>(n);
  if (n == "kld" || n == "kl_divergence" || n == "kullback_leibler_divergence") return std::make_shared<KLDivergence>(n);
  if (n == "hinge") return std::make_shared<Hinge>(n);
  if (n == "squared_hinge") return std::make_shared<SquaredHinge>(n);
  if (n == "categorical_hinge") return std::make_shared<CategoricalHinge>(n);
  if (n == "cosine_similarity") return std::make_shared<CosineSimilarity>(n);
  if (n == "binary_crossentropy") return std::make_shared<BinaryCrossentropy>(n);
  if (n == "categorical_crossentropy") return std::make_shared<CategoricalCrossentropy>(n);
  if (n == "sparse_categorical_crossentropy") return std::make_shared<SparseCategoricalCrossentropy>(n);
  if (n == "root_mean_squared_error") return std::make_shared<RootMeanSquaredError>(n);
  if (n == "precision") return std::make_shared<Precision>();
  if (n == "recall") return std::make_shared<Recall>();
  if (n == "auc") return std::make_shared<AUC>();
  detail::raise<ValueError>(
      "unknown metric '{}' (known: accuracy, auc, binary_accuracy, binary_crossentropy, categorical_accuracy, "
      "categorical_crossentropy, categorical_hinge, cosine_similarity, hinge, kl_divergence (kld), logcosh, "
      "mean_absolute_error (mae), mean_absolute_percentage_error (mape), mean_squared_error (mse), "
      "mean_squared_logarithmic_error (msle), poisson, precision, recall, root_mean_squared_error, "
      "sparse_categorical_accuracy, sparse_categorical_crossentropy, sparse_top_k_categorical_accuracy, "
      "squared_hinge, top_k_categorical_accuracy)",
      n);
}

}  // namespace strata::metrics
