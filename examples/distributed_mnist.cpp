// Fashion-MNIST's 784-512-256-10 MLP trained data-parallel over MPI: the same program on every
// rank, each computing its slice of every global batch of 256, one thread per rank.
//
//   mpirun -np 2 ./distributed_mnist [--epochs N] [--batch-size N] [--threads N] [--limit N] ...
//   mpirun -np 8 --hostfile hosts ./distributed_mnist      (several machines)
//
// Rank 0 prints the progress bar; every rank prints a checksum of its final weights, the same
// on every rank (the program also checks that, and fails otherwise).
#include <cinttypes>
#include <cstdio>

#include <strata/strata.hpp>

#include "example_args.hpp"

using namespace strata;

int main(int argc, char** argv) {
  distributed::init(&argc, &argv);
  ExampleArgs defaults;
  defaults.batch_size = 256;  // the global batch
  defaults.threads = 1;       // one thread per rank: the ranks are the parallelism
  const ExampleArgs args = ExampleArgs::parse(argc, argv, defaults);
  const int rank = distributed::rank(), ranks = distributed::size();

  data::FashionMNIST fm = data::load_fashion_mnist(args.data);  // every rank holds the data
  Tensor x_train = reshape(fm.x_train, {-1, 784}), x_test = reshape(fm.x_test, {-1, 784});
  Tensor y_train = fm.y_train;
  if (args.limit > 0) {
    x_train = slice_axis(x_train, 0, 0, args.limit);
    y_train = slice_axis(y_train, 0, 0, args.limit);
  }

  // each rank may draw other initial weights: fit starts from rank 0's
  Sequential model({layers::Dense(512, "relu"), layers::Dense(256, "relu"), layers::Dense(10)}, "mlp");
  model.build({-1, 784});
  if (distributed::is_root()) std::printf("%d ranks, global batch %ld\n", ranks, args.batch_size);
  model.compile(optimizers::Adam(1e-3), losses::SparseCategoricalCrossentropy(/*from_logits=*/true), {"accuracy"});

  FitOptions fit;
  fit.batch_size = args.batch_size;
  fit.epochs = args.epochs;
  fit.seed = args.seed;
  model.fit(x_train, y_train, fit);  // collective: every rank calls it

  const Logs test = model.evaluate(x_test, fm.y_test);  // each rank evaluates a slice; merged
  if (distributed::is_root()) std::printf("test accuracy: %.4f\n", test.get("accuracy"));
  std::printf("rank %d/%d: weights checksum %016" PRIx64 "\n", rank, ranks, distributed::weights_hash(model));
  distributed::check_identical_weights(model);  // a ValueError on every rank if any differ
  return 0;
}
