#pragma once
/// Random numbers. Every random stream in strata (initializers, dropout, shuffling) draws from
/// the global generator unless it is given a seed, so one call fixes a whole run:
///   strata::set_seed(42);
///   Tensor w = Tensor::random_normal({3, 3});   // the same values on every run
/// The streams are defined by strata itself (xoshiro256**, Box-Muller), so they are the same
/// across compilers and standard libraries.
#include <array>
#include <cstdint>

namespace strata {

/// A counter-free xoshiro256** generator seeded through splitmix64.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0x5eed5eedULL) { seed_with(seed); }
  void seed_with(std::uint64_t seed);
  std::uint64_t next_u64();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal.
  double normal();
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);
  /// A fresh seed for a derived stream (used to give each op its own reproducible stream).
  std::uint64_t fork_seed() { return next_u64(); }
  /// The whole state (checkpoints save it to resume a run exactly): the four words, whether a
  /// spare normal is pending, and its bits.
  std::array<std::uint64_t, 6> state() const;
  void set_state(const std::array<std::uint64_t, 6>& state);

 private:
  std::uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

/// A seed for sub-stream `stream` of `seed` (two rounds of splitmix64): fit shuffles epoch e
/// with mix_seed(seed, e), so each epoch's order depends only on the seed and the epoch.
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream);

/// Reseeds the global generator (and so every stream derived from it).
void set_seed(std::uint64_t seed);
/// The global generator. It is shared by all threads and guarded by a lock; draw from it
/// through `global_seed_draw()` when calling from several threads.
Generator& global_generator();
/// Draws a fresh 64-bit seed from the global generator under its lock.
std::uint64_t global_seed_draw();
/// The global generator's state, and restoring it (under its lock).
std::array<std::uint64_t, 6> global_generator_state();
void set_global_generator_state(const std::array<std::uint64_t, 6>& state);

}  // namespace strata
