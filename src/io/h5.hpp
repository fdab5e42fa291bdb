#pragma once
// HDF5 files in memory, through the HDF5 C library (Debian's libhdf5-103-1), which strata loads
// on first use: programs that never touch a .weights.h5 or .keras file do not load it (nor the
// thirty libraries it pulls in). Only what Keras's weight files need: groups, and datasets of
// float16/32/64 and integers, and string attributes (Keras 2's model_config, layer_names,
// weight_names). Reading treats the bytes as untrusted: every HDF5 failure, a
// missing object, an unsupported type or an absurd size throws IOError naming `what` and the
// object's path.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::detail::h5 {

/// Builds an HDF5 file image: groups and datasets, then finish() returns the bytes.
class Writer {
 public:
  explicit Writer(std::string what);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  /// Creates the group and any missing parents ("layers/dense/vars").
  void group(const std::string& path);
  /// A dataset holding `value` (float32 -> <f4, float64 -> <f8, int64 -> <i8); parents are created.
  void dataset(const std::string& path, const Tensor& value);
  /// A string attribute on a group ("" is the root), written as h5py writes NumPy bytes: fixed
  /// length, null-padded; a scalar when `scalar`, else a 1-D array (Keras 2's layer_names).
  void string_attribute(const std::string& path, const std::string& name, const std::vector<std::string>& values,
                        bool scalar = false);
  std::string finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// Reads an HDF5 file image: all its groups and datasets, parsed in a child process (HDF5
/// crashes on some corrupt files; then only the child dies and this throws IOError).
class Reader {
 public:
  Reader(std::string_view bytes, std::string what);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  bool is_group(const std::string& path) const;
  bool is_dataset(const std::string& path) const;
  /// The names of a group's members, sorted.
  std::vector<std::string> members(const std::string& path) const;
  /// A dataset as float32 (from float16/32), float64 or int64 (from any integer type).
  Tensor read(const std::string& path) const;
  /// A string attribute of a group ("" is the root): its values, one for a scalar (fixed- and
  /// variable-length strings alike); nullopt when the group has no string attribute so named.
  std::optional<std::vector<std::string>> string_attribute(const std::string& path, const std::string& name) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace strata::detail::h5
