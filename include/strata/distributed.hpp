#pragma once
/// Data-parallel training over MPI: the same program on N ranks (`mpirun -np N prog`), each
/// holding the whole data set, each step every rank computing the gradients of its slice of
/// the global batch, one fixed-order reduction, the same update everywhere.
///
///   int main(int argc, char** argv) {
///     strata::distributed::init(&argc, &argv);   // once, before anything else uses MPI
///     auto model = make_model();
///     model.compile(optimizers::Adam(1e-3), "sparse_categorical_crossentropy", {"accuracy"});
///     FitOptions opt;
///     opt.batch_size = 256;                        // the global batch, as in one process
///     model.fit(x, y, opt);                        // collective: every rank calls it
///   }
///
/// With several ranks, Model::fit and Model::evaluate are collective (every rank must call them,
/// with the same data and options): rank 0's weights, optimizer state and seed are broadcast at
/// the start, each global batch is split into balanced slices (sizes differ by at most one, and
/// an empty slice skips its forward), the gradients are scaled by local / global example count
/// and summed in rank order 0..N-1 (a reduce-scatter whose chunk owners add in that order, then
/// an allgather), so every rank holds bitwise the same weights after every step. Metrics are
/// merged across ranks before the epoch's callbacks; only rank 0 prints and writes files.
///
/// Built without MPI (meson -Dmpi=disabled), or run without init(), the world is one rank and
/// every function here is an identity.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strata/autograd/variable.hpp"
#include "strata/tensor.hpp"

namespace strata {
namespace layers {
class Layer;
}
namespace optimizers {
class Optimizer;
}
namespace metrics {
class Metric;
}
namespace models {
class Model;
}
}  // namespace strata

namespace strata::distributed {

/// Whether this strata was built with MPI.
bool available();
/// Initialises MPI (thread level "funneled": strata's own threads never call MPI) unless the
/// program already did; MPI is then finalised at exit. A program that initialised MPI itself
/// finalises it itself. Calling init again is a no-op. Without MPI, a no-op.
void init(int* argc = nullptr, char*** argv = nullptr);
/// Whether init() (or the program) has initialised MPI and it is not finalised yet.
bool initialized();
/// This process's rank, 0 .. size() - 1 (0 in a world of one).
int rank();
/// The number of ranks (1 without MPI or before init()).
int size();
inline bool is_root() { return rank() == 0; }
/// Waits for every rank.
void barrier();

/// The rows [begin, end) of a batch of `batch` examples that rank `r` of `n` takes: balanced
/// slices in rank order, the first batch % n ranks one row longer; empty when batch < n.
std::pair<std::int64_t, std::int64_t> batch_slice(std::int64_t batch, int r, int n);

/// The elementwise sum over ranks of each tensor (same shapes and dtypes on every rank, floating
/// or int64), fused into one buffer per dtype and added in rank order 0..N-1, so the result is
/// bitwise the same on every rank and from run to run. `scale` multiplies this rank's
/// contribution first (gradients by local / global example count).
std::vector<Tensor> allreduce_sum(const std::vector<Tensor>& tensors, double scale = 1.0);
/// Every tensor as rank `root` has it (shapes and dtypes must match on every rank).
std::vector<Tensor> broadcast(const std::vector<Tensor>& tensors, int root = 0);
/// The largest value over ranks (a stop flag, a count).
std::int64_t allreduce_max(std::int64_t value);
/// Every rank's value, in rank order.
std::vector<std::int64_t> allgather(std::int64_t value);

/// The gradients of this rank's `local_examples` (of `global_examples` in the global batch),
/// turned into the gradients of the global batch on every rank: scaled by local / global and
/// summed over ranks. For a loss that is a mean over the local batch (Keras's
/// sum_over_batch_size) plus regularization, the sum is the one-process gradient of the global
/// batch. A rank with an empty slice passes zeros (undefined gradients count as zeros) and 0.
std::vector<Tensor> reduce_gradients(const std::vector<Tensor>& gradients, std::int64_t local_examples,
                                     std::int64_t global_examples);

/// ValueError on every rank unless every rank's model has the same weights (count, names, shapes,
/// dtypes, in order); the message names the first differing weight and the ranks.
void check_same_model(const layers::Layer& model);
/// Copies rank `root`'s weight values (trainable and not) to every rank.
void broadcast_weights(layers::Layer& model, int root = 0);
/// Copies rank `root`'s optimizer state (iterations and slots of `variables`, which every rank
/// builds first) to every rank.
void broadcast_optimizer(optimizers::Optimizer& optimizer, const std::vector<Variable>& variables, int root = 0);
/// Merges a metric's state over ranks (Keras's merge_state: sums of counts and totals, AUC's
/// histograms), so result() is what one metric updated on every rank's data gives.
void merge_metric(metrics::Metric& metric);
/// Merges every compiled metric of the model (its loss trackers included).
void merge_metrics(models::Model& model);
/// A 64-bit hash (FNV-1a) of every weight's bytes, in weights() order.
std::uint64_t weights_hash(const layers::Layer& model);
/// ValueError on every rank unless weights_hash agrees on every rank.
void check_identical_weights(const layers::Layer& model);

}  // namespace strata::distributed
