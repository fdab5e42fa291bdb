// The confusion counts, F-scores, R2 and IoU metrics, by Keras 3's definitions: each keeps sums
// (its state) and computes its result from them, so states merge by addition.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <typeinfo>

#include "detail/errors.hpp"
#include "strata/metrics.hpp"
#include "strata/ops.hpp"
#include "training/metric_weights.hpp"

namespace strata::metrics {

namespace {
constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

void check_size(const Metric& m, const std::vector<double>& s, std::size_t want) {
  if (s.size() != want)
    strata::detail::raise<ValueError>("metric '{}': a state of {} values, expected {}", m.name(), s.size(), want);
}

/// `s` cut into `n` equal parts, into the vectors given.
void split_state(const std::vector<double>& s, std::initializer_list<std::vector<double>*> parts) {
  const std::size_t c = s.size() / parts.size();
  std::size_t at = 0;
  for (std::vector<double>* p : parts) {
    p->assign(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(at + c));
    at += c;
  }
}

/// The one value of a metric's results (0 before any update); ValueError naming `what` when
/// there are several.
double single_result(const Metric& m, const std::vector<double>& r, const char* what) {
  if (r.empty()) return 0.0;
  if (r.size() != 1)
    strata::detail::raise<ValueError>("{}: {} gives {} scores: read results()", m.name(), what, r.size());
  return r[0];
}

/// Keras's thresholds: each in [0, 1] (-inf too where `allow_neg_inf`: top_k's default).
void check_thresholds(const Metric& m, const std::vector<double>& thresholds, bool allow_neg_inf) {
  if (thresholds.empty()) strata::detail::raise<ValueError>("{}: needs at least one threshold", m.name());
  for (double t : thresholds)
    if (!(t >= 0 && t <= 1) && !(allow_neg_inf && std::isinf(t) && t < 0))
      strata::detail::raise<ValueError>("{}: thresholds must be in [0, 1], got {}", m.name(), t);
}

/// The weighted confusion matrix at one threshold, as Keras counts it: a label is positive when
/// it is not 0, a prediction when it is above the threshold; positions where `keep` is false
/// are skipped.
struct Confusion {
  double tp = 0, fp = 0, tn = 0, fn = 0;
};
template <class Keep>
Confusion confusion_at(const std::vector<double>& t, const std::vector<double>& p, const std::vector<double>& w,
                       double threshold, Keep keep) {
  Confusion c;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!keep(i)) continue;
    const bool label = t[i] != 0, predicted = p[i] > threshold;
    (label ? (predicted ? c.tp : c.fn) : (predicted ? c.fp : c.tn)) += w[i];
  }
  return c;
}

void check_same_size(const char* who, const Tensor& y_true, const Tensor& y_pred) {
  if (y_true.size() != y_pred.size())
    strata::detail::raise<ShapeError>("{}: y_true {} and y_pred {} differ in size", who, y_true.shape(), y_pred.shape());
}
}  // namespace

// ---- Precision, Recall ------------------------------------------------------------------------------

PrecisionRecall::PrecisionRecall(bool precision, std::string name, std::vector<double> thresholds,
                                 std::optional<std::int64_t> top_k, std::optional<std::int64_t> class_id)
    : Metric(std::move(name)), precision_(precision), thresholds_(std::move(thresholds)), top_k_(top_k),
      class_id_(class_id) {
  // Keras: 0.5 by default; with top_k, -inf (the k kept are the positive ones)
  if (thresholds_.empty()) thresholds_ = {top_k_ ? -std::numeric_limits<double>::infinity() : 0.5};
  check_thresholds(*this, thresholds_, /*allow_neg_inf=*/true);
  if (top_k_ && *top_k_ < 1) strata::detail::raise<ValueError>("{}: top_k must be >= 1, got {}", this->name(), *top_k_);
  if (class_id_ && *class_id_ < 0)
    strata::detail::raise<ValueError>("{}: class_id must be >= 0, got {}", this->name(), *class_id_);
  tp_.assign(thresholds_.size(), 0.0);
  other_.assign(thresholds_.size(), 0.0);
}

void PrecisionRecall::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  check_same_size(name().c_str(), y_true, y_pred);
  std::vector<double> t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  std::vector<double> w = strata::detail::metric_weights(y_pred, sample_weight);
  const std::int64_t c = y_pred.rank() > 0 ? y_pred.shape().back() : 1;
  if (top_k_ || class_id_) {
    if (y_pred.rank() < 1 || y_true.shape() != y_pred.shape())
      strata::detail::raise<ShapeError>("{}: top_k and class_id need y_true and y_pred of one shape [..., classes], "
                                        "got {} and {}",
                                        name(), y_true.shape(), y_pred.shape());
    if (class_id_ && *class_id_ >= c)
      strata::detail::raise<ValueError>("{}: class_id {} for {} classes", name(), *class_id_, c);
  }
  if (top_k_ && c > 0) {  // each row keeps its k largest predictions (the first among equals)
    std::vector<std::int64_t> order(static_cast<std::size_t>(c));
    for (std::size_t row = 0; row < p.size(); row += static_cast<std::size_t>(c)) {
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
        return p[row + static_cast<std::size_t>(a)] > p[row + static_cast<std::size_t>(b)];
      });
      for (std::size_t r = static_cast<std::size_t>(std::min(*top_k_, c)); r < order.size(); ++r)
        p[row + static_cast<std::size_t>(order[r])] = -std::numeric_limits<double>::infinity();
    }
  }
  const auto keep = [&](std::size_t i) { return !class_id_ || static_cast<std::int64_t>(i) % c == *class_id_; };
  for (std::size_t k = 0; k < thresholds_.size(); ++k) {
    const Confusion m = confusion_at(t, p, w, thresholds_[k], keep);
    tp_[k] += m.tp;
    other_[k] += precision_ ? m.fp : m.fn;
  }
}

std::vector<double> PrecisionRecall::results() const {
  std::vector<double> r(tp_.size());
  for (std::size_t k = 0; k < r.size(); ++k) r[k] = tp_[k] + other_[k] > 0 ? tp_[k] / (tp_[k] + other_[k]) : 0.0;
  return r;
}

double PrecisionRecall::result() const {
  const std::vector<double> r = results();
  if (r.size() != 1)
    strata::detail::raise<ValueError>("{}: {} thresholds give {} scores: read results()", name(), r.size(), r.size());
  return r[0];
}

void PrecisionRecall::reset_state() {
  std::fill(tp_.begin(), tp_.end(), 0.0);
  std::fill(other_.begin(), other_.end(), 0.0);
}

std::vector<double> PrecisionRecall::state() const {
  std::vector<double> s = tp_;
  s.insert(s.end(), other_.begin(), other_.end());
  return s;
}

void PrecisionRecall::set_state(const std::vector<double>& s) {
  check_size(*this, s, 2 * thresholds_.size());
  split_state(s, {&tp_, &other_});
}

bool PrecisionRecall::same_configuration(const Metric& o) const {
  const auto& m = static_cast<const PrecisionRecall&>(o);
  return m.precision_ == precision_ && m.thresholds_ == thresholds_ && m.top_k_ == top_k_ && m.class_id_ == class_id_;
}

// ---- TruePositives, FalsePositives, TrueNegatives, FalseNegatives ------------------------------

ConfusionCount::ConfusionCount(Cell cell, std::vector<double> thresholds, std::string name)
    : Metric(std::move(name)), cell_(cell), thresholds_(std::move(thresholds)), counts_(thresholds_.size(), 0.0) {
  check_thresholds(*this, thresholds_, /*allow_neg_inf=*/false);
}

void ConfusionCount::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  check_same_size(name().c_str(), y_true, y_pred);
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  const auto w = strata::detail::metric_weights(y_pred, sample_weight);
  for (std::size_t k = 0; k < thresholds_.size(); ++k) {
    const Confusion m = confusion_at(t, p, w, thresholds_[k], [](std::size_t) { return true; });
    switch (cell_) {
      case Cell::true_positives: counts_[k] += m.tp; break;
      case Cell::false_positives: counts_[k] += m.fp; break;
      case Cell::true_negatives: counts_[k] += m.tn; break;
      case Cell::false_negatives: counts_[k] += m.fn; break;
    }
  }
}

double ConfusionCount::result() const {
  if (counts_.size() != 1)
    strata::detail::raise<ValueError>("{}: {} thresholds give {} counts: read results()", name(), counts_.size(),
                                      counts_.size());
  return counts_[0];
}

void ConfusionCount::reset_state() { std::fill(counts_.begin(), counts_.end(), 0.0); }

void ConfusionCount::set_state(const std::vector<double>& s) {
  check_size(*this, s, thresholds_.size());
  counts_ = s;
}

bool ConfusionCount::same_configuration(const Metric& o) const {
  const auto& c = static_cast<const ConfusionCount&>(o);
  return c.cell_ == cell_ && c.thresholds_ == thresholds_;
}

// ---- FBetaScore, F1Score -------------------------------------------------------------------------

FBetaScore::FBetaScore(std::string average, double beta, std::optional<double> threshold, std::string name)
    : Metric(std::move(name)), average_(std::move(average)), beta_(beta), threshold_(threshold) {
  if (average_ != "" && average_ != "micro" && average_ != "macro" && average_ != "weighted")
    strata::detail::raise<ValueError>("{}: average must be none (\"\"), micro, macro or weighted, got '{}'",
                                      this->name(), average_);
  if (!(beta_ > 0)) strata::detail::raise<ValueError>("{}: beta must be > 0, got {}", this->name(), beta_);
  if (threshold_ && !(*threshold_ > 0 && *threshold_ <= 1))
    strata::detail::raise<ValueError>("{}: threshold must be in (0, 1], got {}", this->name(), *threshold_);
}

void FBetaScore::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  if (y_true.rank() != 2 || y_pred.rank() != 2 || y_true.shape() != y_pred.shape())
    strata::detail::raise<ShapeError>("{}: expects y_true and y_pred of one shape [batch, classes], got {} and {}",
                                      name(), y_true.shape(), y_pred.shape());
  const std::int64_t n = y_pred.dim(0), c = y_pred.dim(1);
  const std::size_t cells = average_ == "micro" ? 1 : static_cast<std::size_t>(c);
  if (tp_.empty()) tp_ = fp_ = fn_ = support_ = std::vector<double>(cells, 0.0);
  if (tp_.size() != cells)
    strata::detail::raise<ShapeError>("{}: {} classes, after updates with {}", name(), c, tp_.size());
  Tensor w = sample_weight;
  if (w.defined() && !(w.rank() == 1 || (w.rank() == 2 && w.dim(1) == 1)))
    strata::detail::raise<ShapeError>("{}: sample_weight must be [batch], got {}", name(), w.shape());
  if (w.defined() && w.dim(0) != n)
    strata::detail::raise<ShapeError>("{}: sample_weight {} for a batch of {}", name(), w.shape(), n);
  const auto wv = w.defined() ? cast(w, DType::float64).to_vector<double>() : std::vector<double>(n, 1.0);
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  for (std::int64_t i = 0; i < n; ++i) {
    const double* row = p.data() + i * c;
    const double top = *std::max_element(row, row + c);
    for (std::int64_t j = 0; j < c; ++j) {
      // without a threshold, each row's largest prediction (unless it is 0: [0, 0, 0] stays 0)
      const double pred = threshold_ ? (row[j] > *threshold_) : (row[j] >= top && std::abs(row[j]) > 1e-9);
      const double label = t[static_cast<std::size_t>(i * c + j)], wi = wv[static_cast<std::size_t>(i)];
      const std::size_t k = cells == 1 ? 0 : static_cast<std::size_t>(j);
      tp_[k] += pred * label * wi;
      fp_[k] += pred * (1 - label) * wi;
      fn_[k] += (1 - pred) * label * wi;
      support_[k] += label * wi;
    }
  }
}

std::vector<double> FBetaScore::results() const {
  const double b2 = beta_ * beta_;
  std::vector<double> f(tp_.size());
  for (std::size_t k = 0; k < f.size(); ++k) {
    const double precision = tp_[k] / (tp_[k] + fp_[k] + kEpsilon), recall = tp_[k] / (tp_[k] + fn_[k] + kEpsilon);
    f[k] = precision * recall / (b2 * precision + recall + kEpsilon) * (1 + b2);
  }
  if (average_.empty() || f.empty()) return f;
  double out = 0;
  if (average_ == "weighted") {
    double total = 0;
    for (double s : support_) total += s;
    for (std::size_t k = 0; k < f.size(); ++k) out += f[k] * support_[k] / (total + kEpsilon);
  } else {
    for (double v : f) out += v;
    out /= static_cast<double>(f.size());
  }
  return {out};
}

double FBetaScore::result() const { return single_result(*this, results(), "average none (one per class)"); }

void FBetaScore::reset_state() {
  for (auto* v : {&tp_, &fp_, &fn_, &support_}) std::fill(v->begin(), v->end(), 0.0);
}

std::vector<double> FBetaScore::state() const {
  std::vector<double> s;
  for (const auto* v : {&tp_, &fp_, &fn_, &support_}) s.insert(s.end(), v->begin(), v->end());
  return s;
}

void FBetaScore::set_state(const std::vector<double>& s) {
  if (s.size() % 4 != 0 || (!tp_.empty() && s.size() != 4 * tp_.size()))
    strata::detail::raise<ValueError>("metric '{}': a state of {} values, expected {}", name(), s.size(),
                                      tp_.empty() ? std::string("4 per class") : std::to_string(4 * tp_.size()));
  split_state(s, {&tp_, &fp_, &fn_, &support_});
}

bool FBetaScore::same_configuration(const Metric& o) const {
  const auto& f = static_cast<const FBetaScore&>(o);
  return f.average_ == average_ && f.beta_ == beta_ && f.threshold_ == threshold_;
}

// ---- R2Score ---------------------------------------------------------------------------------------

R2Score::R2Score(std::string class_aggregation, std::int64_t num_regressors, std::string name)
    : Metric(std::move(name)), aggregation_(std::move(class_aggregation)), num_regressors_(num_regressors) {
  if (aggregation_ != "" && aggregation_ != "uniform_average" && aggregation_ != "variance_weighted_average")
    strata::detail::raise<ValueError>(
        "{}: class_aggregation must be none (\"\"), uniform_average or variance_weighted_average, got '{}'",
        this->name(), aggregation_);
  if (num_regressors_ < 0)
    strata::detail::raise<ValueError>("{}: num_regressors must be >= 0, got {}", this->name(), num_regressors_);
}

void R2Score::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Tensor t = y_true, p = y_pred;
  if (t.rank() == 1) t = expand_dims(t, -1);  // Keras brings both to one rank, [N] to [N, 1]
  if (p.rank() == 1) p = expand_dims(p, -1);
  if (t.rank() != 2 || t.shape() != p.shape())
    strata::detail::raise<ShapeError>("{}: expects y_true and y_pred of one shape [batch, outputs], got {} and {}",
                                      name(), y_true.shape(), y_pred.shape());
  const std::int64_t n = t.dim(0), c = t.dim(1);
  if (sum_.empty()) sum_ = squared_sum_ = residual_ = count_ = std::vector<double>(static_cast<std::size_t>(c), 0.0);
  if (sum_.size() != static_cast<std::size_t>(c))
    strata::detail::raise<ShapeError>("{}: {} outputs, after updates with {}", name(), c, sum_.size());
  const auto w = strata::detail::metric_weights(t, sample_weight);
  const auto tv = t.to_vector<double>(), pv = p.to_vector<double>();
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < c; ++j) {
      const auto e = static_cast<std::size_t>(i * c + j), k = static_cast<std::size_t>(j);
      const double wy = tv[e] * w[e], d = tv[e] - pv[e];
      sum_[k] += wy;
      squared_sum_[k] += tv[e] * wy;
      residual_[k] += d * d * w[e];
      count_[k] += w[e];
    }
  num_samples_ += static_cast<double>(t.size());
}

std::vector<double> R2Score::results() const {
  const std::size_t c = sum_.size();
  std::vector<double> raw(c), total(c);
  for (std::size_t k = 0; k < c; ++k) {
    const double mean = sum_[k] / count_[k];
    total[k] = squared_sum_[k] - sum_[k] * mean;
    raw[k] = 1 - residual_[k] / total[k];
    if (std::isinf(raw[k])) raw[k] = 0.0;  // a constant target: Keras reports 0
  }
  std::vector<double> r2 = raw;
  if (aggregation_ == "uniform_average" && c > 0) {
    double s = 0;
    for (double v : raw) s += v;
    r2 = {s / static_cast<double>(c)};
  } else if (aggregation_ == "variance_weighted_average" && c > 0) {
    double s = 0, weights = 0;
    for (std::size_t k = 0; k < c; ++k) {
      s += total[k] * raw[k];
      weights += total[k];
    }
    r2 = {s / weights};
  }
  const auto regressors = static_cast<double>(num_regressors_);
  // the adjusted R2, unless there are too few samples for it (Keras falls back to R2 then)
  if (num_regressors_ != 0 && regressors < num_samples_ - 1)
    for (double& v : r2) v = 1 - (1 - v) * (num_samples_ - 1) / (num_samples_ - regressors - 1);
  return r2;
}

double R2Score::result() const {
  return single_result(*this, results(), "class_aggregation none (one per output)");
}

void R2Score::reset_state() {
  for (auto* v : {&sum_, &squared_sum_, &residual_, &count_}) std::fill(v->begin(), v->end(), 0.0);
  num_samples_ = 0;
}

std::vector<double> R2Score::state() const {
  std::vector<double> s;
  for (const auto* v : {&sum_, &squared_sum_, &residual_, &count_}) s.insert(s.end(), v->begin(), v->end());
  if (!s.empty()) s.push_back(num_samples_);
  return s;
}

void R2Score::set_state(const std::vector<double>& s) {
  if (s.empty()) return reset_state();
  if (s.size() % 4 != 1 || (!sum_.empty() && s.size() != 4 * sum_.size() + 1))
    strata::detail::raise<ValueError>("metric '{}': a state of {} values, expected 4 per output and 1", name(),
                                      s.size());
  num_samples_ = s.back();
  split_state(std::vector<double>(s.begin(), s.end() - 1), {&sum_, &squared_sum_, &residual_, &count_});
}

bool R2Score::same_configuration(const Metric& o) const {
  const auto& r = static_cast<const R2Score&>(o);
  return r.aggregation_ == aggregation_ && r.num_regressors_ == num_regressors_;
}

// ---- IoU, MeanIoU, OneHotIoU, OneHotMeanIoU, BinaryIoU ---------------------------------------------

IoU::IoU(std::int64_t num_classes, std::vector<std::int64_t> target_class_ids, std::string name,
         std::optional<std::int64_t> ignore_class, bool sparse_y_true, bool sparse_y_pred, std::int64_t axis)
    : Metric(std::move(name)), num_classes_(num_classes), targets_(std::move(target_class_ids)), ignore_(ignore_class),
      sparse_true_(sparse_y_true), sparse_pred_(sparse_y_pred), axis_(axis) {
  if (num_classes_ < 1 || num_classes_ > 65536)
    strata::detail::raise<ValueError>("{}: num_classes must be in [1, 65536], got {}", this->name(), num_classes_);
  if (targets_.empty()) strata::detail::raise<ValueError>("{}: target_class_ids is empty", this->name());
  for (std::int64_t t : targets_)
    if (t < 0 || t >= num_classes_)
      strata::detail::raise<ValueError>("{}: target class id {} is out of range, which is [0, {})", this->name(), t,
                                        num_classes_);
  cm_.assign(static_cast<std::size_t>(num_classes_ * num_classes_), 0.0);
}

std::vector<std::int64_t> IoU::predicted_classes(const Tensor& y_pred) const {
  return sparse_pred_ ? cast(y_pred, DType::int64).to_vector<std::int64_t>()
                      : argmax(y_pred, axis_).to_vector<std::int64_t>();
}

void IoU::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  const Tensor labels = sparse_true_ ? cast(y_true, DType::int64) : argmax(y_true, axis_);
  const std::vector<std::int64_t> t = labels.to_vector<std::int64_t>(), p = predicted_classes(y_pred);
  if (t.size() != p.size())
    strata::detail::raise<ShapeError>("{}: {} labels (y_true {}) for {} predictions (y_pred {})", name(), t.size(),
                                      y_true.shape(), p.size(), y_pred.shape());
  std::vector<double> w(t.size(), 1.0);
  if (sample_weight.defined()) {
    const Tensor sw = reshape(cast(sample_weight, DType::float64), {-1});
    if (sw.size() != 1 && sw.size() != static_cast<std::int64_t>(t.size()))
      strata::detail::raise<ShapeError>("{}: sample_weight {} for {} labels", name(), sample_weight.shape(), t.size());
    w = sw.size() == 1 ? std::vector<double>(t.size(), sw.item<double>()) : sw.to_vector<double>();
  }
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (ignore_ && t[i] == *ignore_) continue;  // Keras weighs it 0
    for (std::int64_t c : {t[i], p[i]})
      if (c < 0 || c >= num_classes_)
        strata::detail::raise<ValueError>("{}: class {} is not in [0, {})", name(), c, num_classes_);
    cm_[static_cast<std::size_t>(t[i] * num_classes_ + p[i])] += w[i];
  }
}

double IoU::result() const {
  const auto c = static_cast<std::size_t>(num_classes_);
  double total = 0, valid = 0;
  for (std::int64_t id : targets_) {
    const auto k = static_cast<std::size_t>(id);
    double predicted = 0, actual = 0;
    for (std::size_t j = 0; j < c; ++j) {
      predicted += cm_[j * c + k];
      actual += cm_[k * c + j];
    }
    const double tp = cm_[k * c + k], denominator = predicted + actual - tp;
    if (denominator > 1e-9) valid += 1;  // a class that never occurs is left out of the mean
    total += tp / (denominator + kEpsilon);
  }
  return total / (valid + kEpsilon);
}

void IoU::reset_state() { std::fill(cm_.begin(), cm_.end(), 0.0); }

void IoU::set_state(const std::vector<double>& s) {
  check_size(*this, s, cm_.size());
  cm_ = s;
}

bool IoU::same_configuration(const Metric& o) const {
  const auto& i = static_cast<const IoU&>(o);
  return i.num_classes_ == num_classes_ && i.targets_ == targets_ && i.ignore_ == ignore_ &&
         i.sparse_true_ == sparse_true_ && i.sparse_pred_ == sparse_pred_ && i.axis_ == axis_;
}

namespace {
std::vector<std::int64_t> every_class(std::int64_t n) {
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 0; i < n; ++i) ids.push_back(i);
  return ids;
}
}  // namespace

MeanIoU::MeanIoU(std::int64_t num_classes, std::string name, std::optional<std::int64_t> ignore_class,
                 bool sparse_y_true, bool sparse_y_pred, std::int64_t axis)
    : IoU(num_classes, every_class(std::clamp<std::int64_t>(num_classes, 1, 65536)), std::move(name), ignore_class,
          sparse_y_true, sparse_y_pred, axis) {}

BinaryIoU::BinaryIoU(std::vector<std::int64_t> target_class_ids, double threshold, std::string name)
    : IoU(2, std::move(target_class_ids), std::move(name)), threshold_(threshold) {}

std::vector<std::int64_t> BinaryIoU::predicted_classes(const Tensor& y_pred) const {
  std::vector<std::int64_t> out;
  for (double v : y_pred.to_vector<double>()) out.push_back(v >= threshold_ ? 1 : 0);
  return out;
}

bool BinaryIoU::same_configuration(const Metric& o) const {
  return IoU::same_configuration(o) && static_cast<const BinaryIoU&>(o).threshold_ == threshold_;
}

}  // namespace strata::metrics
