#pragma once
/// Numeric CSV files.
///
///   auto csv = data::load_csv("iris.csv");            // header row, comma-separated
///   Tensor features = slice(csv.values, {0, 0}, {csv.values.dim(0), 4});
#include <string>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::data {

struct CsvData {
  std::vector<std::string> header;  ///< empty when the file has none
  Tensor values;                    ///< [rows, columns]
};

/// Every field must be a number; an empty or non-numeric field, or a row with a different
/// number of fields, throws IOError naming the path, line and column.
CsvData load_csv(const std::string& path, bool header = true, char delimiter = ',', DType dtype = DType::float32);

}  // namespace strata::data
