// strata::distributed in the world of one a plain run has (no mpirun, or a build without MPI):
// every collective an identity, fit unchanged, and the pieces fit and hand-written loops use
// (batch_slice, Dataset::shard / split_batches). The multi-rank behaviour is tested under
// mpirun by tests/distributed/test_mpi.cpp.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;
namespace dist = strata::distributed;

TEST_CASE("a world of one", "[distributed]") {
  CHECK(dist::rank() == 0);
  CHECK(dist::size() == 1);
  CHECK(dist::is_root());
  CHECK_NOTHROW(dist::barrier());
  CHECK(dist::allgather(7) == std::vector<std::int64_t>{7});
  CHECK(dist::allreduce_max(-3) == -3);
  const Tensor a = rnd({3, 2}, 1), b = i64({1, 2}, {2});
  const auto s = dist::allreduce_sum({a, b});
  CHECK(s[0].to_vector<double>() == a.to_vector<double>());
  CHECK(s[1].to_vector<std::int64_t>() == b.to_vector<std::int64_t>());
  CHECK_TENSOR(dist::allreduce_sum({f64({1, 2}, {2})}, 0.25)[0], {2}, {0.25, 0.5});
  CHECK_TENSOR(dist::reduce_gradients({f64({4, 8}, {2})}, 3, 4)[0], {2}, {3, 6});
  CHECK(dist::broadcast({a})[0].to_vector<double>() == a.to_vector<double>());
  CHECK_THROWS_AS(dist::broadcast({a}, 1), ValueError);
  CHECK_THROWS_AS(dist::reduce_gradients({a}, 5, 4), ValueError);
  CHECK_THROWS_AS(dist::reduce_gradients({a}, 0, 0), ValueError);
  CHECK_THROWS_AS(dist::allreduce_sum({b}, 0.5), DTypeError);
  CHECK_THROWS_AS(dist::allreduce_sum({Tensor()}), ValueError);
}

TEST_CASE("batch_slice: balanced slices in rank order", "[distributed]") {
  using P = std::pair<std::int64_t, std::int64_t>;
  CHECK(dist::batch_slice(10, 0, 3) == P{0, 4});
  CHECK(dist::batch_slice(10, 1, 3) == P{4, 7});
  CHECK(dist::batch_slice(10, 2, 3) == P{7, 10});
  CHECK(dist::batch_slice(1, 0, 3) == P{0, 1});
  CHECK(dist::batch_slice(1, 2, 3) == P{1, 1});  // empty
  CHECK(dist::batch_slice(0, 1, 2) == P{0, 0});
  for (std::int64_t n : {0, 1, 5, 17, 256})
    for (int ranks : {1, 2, 3, 7}) {
      std::int64_t next = 0, lo = n, hi = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto [b, e] = dist::batch_slice(n, r, ranks);
        CHECK(b == next);
        next = e;
        lo = std::min(lo, e - b);
        hi = std::max(hi, e - b);
      }
      CHECK(next == n);
      CHECK(hi - lo <= 1);
    }
  CHECK_THROWS_AS(dist::batch_slice(4, 2, 2), ValueError);
  CHECK_THROWS_AS(dist::batch_slice(4, 0, 0), ValueError);
  CHECK_THROWS_AS(dist::batch_slice(-1, 0, 1), ValueError);
}

TEST_CASE("Dataset::shard and split_batches", "[distributed][data]") {
  const Tensor x = iota({7, 2});
  auto rows_of = [](const data::Dataset& d) {
    std::vector<double> out;
    for (const auto& b : d)
      for (double v : b[0].to_vector<double>()) out.push_back(v);
    return out;
  };
  // shard 1 of 3: examples 1 and 4
  CHECK(rows_of(data::Dataset::from_tensors({x}).shard(3, 1)) == std::vector<double>{2, 3, 8, 9});
  CHECK(rows_of(data::Dataset::from_tensors({x}).take(4).shard(2, 1)) == std::vector<double>{2, 3, 6, 7});
  // shuffling after sharding stays within the shard
  auto sh = rows_of(data::Dataset::from_tensors({x}).shard(3, 0).shuffle(4));
  std::sort(sh.begin(), sh.end());
  CHECK(sh == std::vector<double>{0, 1, 6, 7, 12, 13});
  // batches of 3 split over 2 shards: rows [0, 2) and [2, 3) of each batch
  const data::Dataset b = data::Dataset::from_tensors({x}).batch(3);
  CHECK(rows_of(b.split_batches(2, 0)) == std::vector<double>{0, 1, 2, 3, 6, 7, 8, 9, 12, 13});
  CHECK(rows_of(b.split_batches(2, 1)) == std::vector<double>{4, 5, 10, 11});  // the last batch's slice is empty
  std::vector<std::int64_t> sizes;
  for (const auto& batch : b.split_batches(2, 1)) sizes.push_back(batch[0].dim(0));
  CHECK(sizes == std::vector<std::int64_t>{1, 1, 0});
  CHECK(b.split_batches(2, 1).cardinality() == 3);
  CHECK_THROWS_WITH(b.shard(2, 0), Catch::Contains("before batching"));
  CHECK_THROWS_WITH(data::Dataset::from_tensors({x}).split_batches(2, 0), Catch::Contains("batch the dataset first"));
  CHECK_THROWS_AS(data::Dataset::from_tensors({x}).shard(2, 2), ValueError);
  CHECK_THROWS_AS(data::Dataset::from_tensors({x}).shard(0, 0), ValueError);
  CHECK_THROWS_AS(b.split_batches(2, 0).split_batches(2, 0), ValueError);
}

TEST_CASE("in a world of one, fit asked to distribute is plain fit, bit for bit", "[distributed][fit]") {
  Generator g(3);
  const Tensor x = Tensor::random_normal({37, 3}, 0, 1, DType::float32, g);
  const Tensor y = Tensor::random_normal({37, 2}, 0, 1, DType::float32, g);
  std::vector<std::vector<double>> finals;
  for (bool distributed : {false, true}) {
    set_seed(8);
    Sequential m({layers::Dense(4, "relu"), layers::BatchNormalization(), layers::Dense(2)});
    m.compile(optimizers::Adam(0.01), "mse");
    FitOptions o;
    o.epochs = 2;
    o.batch_size = 8;
    o.verbose = 0;
    o.distributed = distributed;
    o.check_weights_every = 1;
    m.fit(x, y, o);
    std::vector<double> all;
    for (const auto& w : m.get_weights())
      for (double v : w.to_vector<double>()) all.push_back(v);
    finals.push_back(all);
    CHECK_NOTHROW(dist::check_identical_weights(m));
  }
  CHECK(finals[0] == finals[1]);
}

TEST_CASE("model.metrics lists the trackers and compiled metrics; merging in a world of one keeps them",
          "[distributed][metrics]") {
  Sequential m({layers::Dense(2, "softmax")});
  m.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"});
  const Tensor x = f64({1, 0, 0, 1, 1, 1}, {3, 2}), y = i64({0, 1, 1}, {3});
  const Logs before = m.evaluate(x, y);
  const auto ms = m.metrics();
  REQUIRE(ms.size() == 2);
  CHECK(ms[0]->name() == "loss");
  CHECK(ms[1]->name() == "accuracy");
  dist::merge_metrics(m);
  CHECK(m.metric_results().get("accuracy") == before.get("accuracy"));
  metrics::Mean mean;
  mean.update_state(f64({1, 2, 6}, {3}));
  dist::merge_metric(mean);
  CHECK(mean.result() == 3.0);
  // the callbacks that print or write files are rank 0's
  CHECK(callbacks::CSVLogger("x.csv").root_only());
  CHECK(callbacks::BackupAndRestore("dir").root_only());
  CHECK_FALSE(callbacks::EarlyStopping().root_only());
  CHECK_FALSE(callbacks::History().root_only());
}
