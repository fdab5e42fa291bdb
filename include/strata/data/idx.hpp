#pragma once
/// MNIST-format (IDX) files, gzipped or not, and Fashion-MNIST as Debian's
/// dataset-fashion-mnist package installs it.
///
///   auto fm = data::load_fashion_mnist();         // /usr/share/datasets/fashion-mnist
///   fm.x_train;   // float32 [60000, 28, 28] in [0, 1]      fm.y_train: int64 [60000]
///
/// Files are treated as untrusted: a missing or truncated file, a wrong magic number or a
/// header announcing more data than the file holds throws IOError naming the path.
#include <string>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::data {

/// An IDX file (.gz detected by its magic bytes) as a tensor of `dtype`.
Tensor load_idx(const std::string& path, DType dtype = DType::float32);

struct FashionMNIST {
  Tensor x_train, y_train, x_test, y_test;
};

/// Images as float32 [N, 28, 28] (divided by 255 when normalize), labels as int64 [N].
FashionMNIST load_fashion_mnist(const std::string& dir = "/usr/share/datasets/fashion-mnist", bool normalize = true);
/// "T-shirt/top", "Trouser", ... in label order.
const std::vector<std::string>& fashion_mnist_class_names();

}  // namespace strata::data
