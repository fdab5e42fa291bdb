#pragma once
/// NumPy's .npy and .npz files, for moving tensors to and from Python.
///
///   io::save_npy("x.npy", x);                       // float32, float64 or int64, C order
///   Tensor x = io::load_npy("x.npy");               // numpy.save(...) files load as well
///   io::save_npz("arrays.npz", {{"w", w}, {"b", b}});
///   for (auto& [name, t] : io::load_npz("arrays.npz")) ...
///
/// Reading accepts little-endian C-order arrays of float32/float64 (kept), float16 (widened to
/// float32), and bool and (u)int8/16/32/64 (as int64). Files are untrusted: a wrong magic, a
/// malformed header, big-endian or Fortran-order data, a size the file does not hold, or an
/// absurd shape throws IOError naming the file and the problem, before anything is allocated.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::io {

/// Named tensors in file order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

Tensor load_npy(const std::string& path);
/// Writes atomically (a temporary file renamed over `path`).
void save_npy(const std::string& path, const Tensor& tensor);

/// The arrays of an .npz archive (numpy.savez or savez_compressed), names without ".npy".
NamedTensors load_npz(const std::string& path);
/// An .npz archive of name.npy entries (deflated when `compressed`), written atomically.
void save_npz(const std::string& path, const NamedTensors& arrays, bool compressed = false);

/// The same formats in memory. `what` names the source in error messages.
Tensor npy_from_bytes(std::string_view bytes, const std::string& what = "<memory>");
std::string npy_to_bytes(const Tensor& tensor);
NamedTensors npz_from_bytes(std::string_view bytes, const std::string& what = "<memory>");
std::string npz_to_bytes(const NamedTensors& arrays, bool compressed = false);

}  // namespace strata::io
