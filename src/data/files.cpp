// IDX (MNIST-format) and CSV readers. Inputs are untrusted: every size is checked against
// what the file really holds before anything is allocated.
#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "detail/dispatch.hpp"
#include "detail/errors.hpp"
#include "detail/fileio.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/data/csv.hpp"
#include "strata/data/idx.hpp"

namespace strata::data {

namespace {

/// The whole file, decompressed if it is gzip (magic 1f 8b); IOError on failure.
std::string read_maybe_gzip(const std::string& path) {
  std::string raw = detail::read_file(path);
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f || static_cast<unsigned char>(raw[1]) != 0x8b)
    return raw;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) detail::raise<IOError>("'{}': cannot initialise gzip decoding", path);
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      detail::raise<IOError>("'{}': corrupt or truncated gzip data ({})", path, zs.msg ? zs.msg : "inflate failed");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out > 0) {  // input ended before the stream did
      inflateEnd(&zs);
      detail::raise<IOError>("'{}': truncated gzip data", path);
    }
  }
  inflateEnd(&zs);
  return out;
}

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

}  // namespace

Tensor load_idx(const std::string& path, DType dtype) {
  const std::string bytes = read_maybe_gzip(path);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4 || p[0] != 0 || p[1] != 0)
    detail::raise<IOError>("'{}': not an IDX file (bad magic number)", path);
  const unsigned type = p[2], ndims = p[3];
  std::size_t elem = 0;
  switch (type) {
    case 0x08: case 0x09: elem = 1; break;
    case 0x0B: elem = 2; break;
    case 0x0C: case 0x0D: elem = 4; break;
    case 0x0E: elem = 8; break;
    default: detail::raise<IOError>("'{}': unknown IDX element type 0x{:02x}", path, type);
  }
  if (ndims == 0) detail::raise<IOError>("'{}': IDX file with no dimensions", path);
  if (bytes.size() < 4 + 4 * std::size_t(ndims)) detail::raise<IOError>("'{}': truncated IDX header", path);
  Shape shape;
  std::uint64_t count = 1;
  for (unsigned d = 0; d < ndims; ++d) {
    const std::uint32_t n = be32(p + 4 + 4 * d);
    shape.push_back(static_cast<std::int64_t>(n));
    count *= n;
    if (count > (std::uint64_t(1) << 40)) detail::raise<IOError>("'{}': absurd IDX dimensions {}", path, shape);
  }
  const std::size_t header = 4 + 4 * std::size_t(ndims);
  if (bytes.size() - header < count * elem)
    detail::raise<IOError>("'{}': truncated: the header announces {} elements ({} bytes) but {} bytes follow", path,
                           count, count * elem, bytes.size() - header);
  Tensor t = detail::make_tensor(shape, dtype);
  const unsigned char* d = p + header;
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = detail::mut_ptr<T>(t);
    for (std::uint64_t i = 0; i < count; ++i) {
      const unsigned char* e = d + i * elem;
      double v = 0;
      switch (type) {
        case 0x08: v = e[0]; break;
        case 0x09: v = static_cast<std::int8_t>(e[0]); break;
        case 0x0B: v = static_cast<std::int16_t>((e[0] << 8) | e[1]); break;
        case 0x0C: v = static_cast<std::int32_t>(be32(e)); break;
        case 0x0D: {
          const std::uint32_t u = be32(e);
          float f;
          std::memcpy(&f, &u, 4);
          v = f;
          break;
        }
        case 0x0E: {
          std::uint64_t u = (std::uint64_t(be32(e)) << 32) | be32(e + 4);
          double f;
          std::memcpy(&f, &u, 8);
          v = f;
          break;
        }
      }
      out[i] = static_cast<T>(v);
    }
  });
  return t;
}

FashionMNIST load_fashion_mnist(const std::string& dir, bool normalize) {
  auto file = [&](const char* name) { return dir + "/" + name; };
  FashionMNIST fm;
  fm.x_train = load_idx(file("train-images-idx3-ubyte.gz"));
  fm.y_train = load_idx(file("train-labels-idx1-ubyte.gz"), DType::int64);
  fm.x_test = load_idx(file("t10k-images-idx3-ubyte.gz"));
  fm.y_test = load_idx(file("t10k-labels-idx1-ubyte.gz"), DType::int64);
  if (fm.x_train.rank() != 3 || fm.x_train.dim(0) != fm.y_train.dim(0) || fm.x_test.dim(0) != fm.y_test.dim(0))
    detail::raise<IOError>("'{}': the Fashion-MNIST files do not match ({} images for {} labels)", dir,
                           fm.x_train.shape(), fm.y_train.shape());
  if (normalize) {
    for (Tensor* x : {&fm.x_train, &fm.x_test}) {
      float* v = x->mutable_data<float>();
      for (std::int64_t i = 0, i_end = x->size(); i < i_end; ++i) v[i] /= 255.0f;
    }
  }
  return fm;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

CsvData load_csv(const std::string& path, bool header, char delimiter, DType dtype) {
  detail::check_regular_file(path);  // a folder or a device is refused, not read as an empty table
  std::ifstream f(path);
  if (!f) detail::raise<IOError>("cannot open '{}': {}", path, std::strerror(errno));
  CsvData out;
  std::vector<double> values;
  std::vector<std::int64_t> ints;  // an int64 table keeps every digit (a double holds 53 bits)
  const bool integer = dtype == DType::int64;
  std::string line;
  std::size_t cols = 0, rows = 0, lineno = 0;
  auto split = [&](const std::string& l) {
    std::vector<std::string> fields;
    std::string cur;
    for (char c : l) {
      if (c == delimiter) {
        fields.push_back(cur);
        cur.clear();
      } else if (c != '\r') {
        cur += c;
      }
    }
    fields.push_back(cur);
    return fields;
  };
  while (std::getline(f, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    auto fields = split(line);
    if (header && out.header.empty() && rows == 0) {
      out.header = fields;
      cols = fields.size();
      continue;
    }
    if (cols == 0) cols = fields.size();
    if (fields.size() != cols)
      detail::raise<IOError>("'{}' line {}: {} fields, expected {}", path, lineno, fields.size(), cols);
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::string& s = fields[c];
      char* end = nullptr;
      errno = 0;
      if (integer) {
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || end == s.c_str() || *end != '\0')
          detail::raise<IOError>("'{}' line {} column {}: '{}' is not an integer (the table is read as int64)", path,
                                 lineno, c + 1, s);
        if (errno == ERANGE)
          detail::raise<IOError>("'{}' line {} column {}: {} does not fit int64", path, lineno, c + 1, s);
        ints.push_back(v);
        continue;
      }
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end == s.c_str() || *end != '\0')
        detail::raise<IOError>("'{}' line {} column {}: '{}' is not a number", path, lineno, c + 1, s);
      values.push_back(v);
    }
    ++rows;
  }
  const Shape shape{static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)};
  if (integer) {
    out.values = detail::make_tensor(shape, DType::int64);
    std::copy(ints.begin(), ints.end(), detail::mut_ptr<std::int64_t>(out.values));
  } else {
    out.values = Tensor::from_vector(values, shape, dtype);
  }
  return out;
}

}  // namespace strata::data
