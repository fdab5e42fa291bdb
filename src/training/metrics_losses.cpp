// The losses as metrics (MeanMetricWrapper over the per-sample loss functions of
// strata/losses.hpp), RootMeanSquaredError and Sum.
#include <cmath>

#include "detail/errors.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/losses.hpp"
#include "strata/metrics.hpp"
#include "strata/ops.hpp"

namespace strata::metrics {

namespace {
/// The per-sample values of a loss function in float64.
template <class F>
MeanMetricWrapper::Fn per_sample(F f) {
  return [f](const Tensor& t, const Tensor& p) { return cast(f(t, p), DType::float64); };
}
}  // namespace

#define STRATA_LOSS_METRIC(Class, fn) \
  Class::Class(std::string name) : MeanMetricWrapper(std::move(name), per_sample(losses::fn)) {}
STRATA_LOSS_METRIC(MeanAbsoluteError, mean_absolute_error)
STRATA_LOSS_METRIC(MeanAbsolutePercentageError, mean_absolute_percentage_error)
STRATA_LOSS_METRIC(MeanSquaredLogarithmicError, mean_squared_logarithmic_error)
STRATA_LOSS_METRIC(LogCoshError, log_cosh)
STRATA_LOSS_METRIC(Poisson, poisson)
STRATA_LOSS_METRIC(KLDivergence, kl_divergence)
STRATA_LOSS_METRIC(Hinge, hinge)
STRATA_LOSS_METRIC(SquaredHinge, squared_hinge)
STRATA_LOSS_METRIC(CategoricalHinge, categorical_hinge)
#undef STRATA_LOSS_METRIC

CosineSimilarity::CosineSimilarity(std::string name, std::int64_t axis)
    : MeanMetricWrapper(std::move(name), per_sample([axis](const Tensor& t, const Tensor& p) {
                          return neg(losses::cosine_similarity(t, p, axis));
                        })) {}

BinaryCrossentropy::BinaryCrossentropy(std::string name, bool from_logits, double label_smoothing)
    : MeanMetricWrapper(std::move(name), per_sample([=](const Tensor& t, const Tensor& p) {
                          return losses::binary_crossentropy(t, p, from_logits, label_smoothing);
                        })) {}

CategoricalCrossentropy::CategoricalCrossentropy(std::string name, bool from_logits, double label_smoothing,
                                                 std::int64_t axis)
    : MeanMetricWrapper(std::move(name), per_sample([=](const Tensor& t, const Tensor& p) {
                          return losses::categorical_crossentropy(t, p, from_logits, label_smoothing, axis);
                        })) {}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(std::string name, bool from_logits)
    : MeanMetricWrapper(std::move(name), per_sample([=](const Tensor& t, const Tensor& p) {
                          return losses::sparse_categorical_crossentropy(t, p, from_logits);
                        })) {}

void RootMeanSquaredError::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  NoGradGuard no_grad;
  if (y_true.shape() != y_pred.shape() && y_true.size() != y_pred.size())
    detail::raise<ShapeError>("RootMeanSquaredError: y_true {} and y_pred {} differ in shape", y_true.shape(),
                              y_pred.shape());
  const Tensor p = cast(y_pred, DType::float64);
  const Tensor t = reshape(cast(y_true, DType::float64), p.shape());
  Tensor w = sample_weight;
  // per-sample weights weigh every element of their sample
  if (w.defined() && w.rank() == 1 && p.rank() > 1 && w.dim(0) == p.dim(0)) {
    Shape s = Shape::filled(p.rank(), 1);
    s[0] = p.dim(0);
    w = broadcast_to(reshape(cast(w, DType::float64), s), p.shape());
  }
  Mean::update_state(square(sub(p, t)), w);
}

double RootMeanSquaredError::result() const { return std::sqrt(Mean::result()); }

}  // namespace strata::metrics
