#pragma once
/// strata's exceptions. Every message names the op or layer and the shapes or values involved:
///   try { matmul(a, b); } catch (const strata::ShapeError& e) { std::cerr << e.what(); }
///   // matmul: inner dimensions do not match: [2, 3] @ [4, 5] (3 != 4)
#include <stdexcept>
#include <string>

namespace strata {

/// Base class of every exception strata throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// Shapes that do not fit: broadcasting, matmul dimensions, a layer's input shape.
class ShapeError : public Error {
 public:
  using Error::Error;
};
/// A dtype an op does not accept, or two dtypes mixed in one op.
class DTypeError : public Error {
 public:
  using Error::Error;
};
/// A bad argument value: an axis out of range, a negative rate, an unknown name.
class ValueError : public Error {
 public:
  using Error::Error;
};
/// A file that cannot be read or written, or whose contents are wrong.
class IOError : public Error {
 public:
  using Error::Error;
};
/// An object used in a state that does not allow it (a non-persistent tape asked twice).
class RuntimeError : public Error {
 public:
  using Error::Error;
};

}  // namespace strata
