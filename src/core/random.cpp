#include "strata/random.hpp"

#include <cmath>
#include <cstring>
#include <mutex>

namespace strata {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

std::mutex& global_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void Generator::seed_with(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
  has_spare_ = false;
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1;
  do {
    u1 = uniform();
  } while (u1 <= 0.0);
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * M_PI * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

std::uint64_t Generator::below(std::uint64_t n) {
  if (n == 0) return 0;
  // Lemire's nearly divisionless method, with rejection for exact uniformity.
  __uint128_t m = static_cast<__uint128_t>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<__uint128_t>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

Generator& global_generator() {
  static Generator g(0x5eed5eedULL);
  return g;
}

void set_seed(std::uint64_t seed) {
  std::lock_guard<std::mutex> lock(global_mutex());
  global_generator().seed_with(seed);
}

std::uint64_t global_seed_draw() {
  std::lock_guard<std::mutex> lock(global_mutex());
  return global_generator().next_u64();
}

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t x = seed ^ (stream * 0x9E3779B97F4A7C15ULL);
  splitmix64(x);
  return splitmix64(x);
}

std::array<std::uint64_t, 6> Generator::state() const {
  std::uint64_t spare_bits;
  std::memcpy(&spare_bits, &spare_, sizeof spare_bits);
  return {s_[0], s_[1], s_[2], s_[3], has_spare_ ? 1u : 0u, spare_bits};
}

void Generator::set_state(const std::array<std::uint64_t, 6>& st) {
  for (int i = 0; i < 4; ++i) s_[i] = st[static_cast<std::size_t>(i)];
  has_spare_ = st[4] != 0;
  std::memcpy(&spare_, &st[5], sizeof spare_);
}

std::array<std::uint64_t, 6> global_generator_state() {
  std::lock_guard<std::mutex> lock(global_mutex());
  return global_generator().state();
}

void set_global_generator_state(const std::array<std::uint64_t, 6>& state) {
  std::lock_guard<std::mutex> lock(global_mutex());
  global_generator().set_state(state);
}

}  // namespace strata
