// .npy (NumPy's array format, versions 1-3) and .npz (a zip of .npy files).
#include "strata/io/npy.hpp"

#include <cctype>
#include <cstring>
#include <limits>

#include "detail/errors.hpp"
#include "io/util.hpp"
#include "detail/fileio.hpp"
#include "detail/tensor_impl.hpp"
#include "io/zip.hpp"

namespace strata::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
/// Larger headers are not something numpy writes; refuse them before parsing.
constexpr std::size_t kMaxHeader = 1 << 20;

/// The header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
struct Header {
  std::string descr;
  bool fortran = false;
  bool has_descr = false, has_order = false, has_shape = false;
  Shape shape;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  Header parse() {
    Header h;
    skip();
    expect('{');
    for (;;) {
      skip();
      if (peek() == '}') break;
      const std::string key = quoted();
      skip();
      expect(':');
      skip();
      if (key == "descr") {
        h.descr = quoted();
        h.has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran = boolean();
        h.has_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        h.has_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      skip();
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++i_;
    for (; i_ < s_.size(); ++i_)
      if (!std::isspace(static_cast<unsigned char>(s_[i_]))) fail("unexpected text after the header dict");
    if (!h.has_descr || !h.has_order || !h.has_shape) fail("the header lacks 'descr', 'fortran_order' or 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    detail::raise<IOError>("'{}': malformed .npy header: {} (at offset {})", what_, why, i_);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string quoted() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    ++i_;
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != q) ++i_;
    if (i_ >= s_.size()) fail("unterminated string");
    return std::string(s_.substr(start, i_++ - start));
  }
  bool boolean() {
    if (s_.substr(i_, 4) == "True") {
      i_ += 4;
      return true;
    }
    if (s_.substr(i_, 5) == "False") {
      i_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  Shape tuple() {
    expect('(');
    Shape shape;
    for (;;) {
      skip();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a dimension");
      std::uint64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        v = v * 10 + static_cast<std::uint64_t>(s_[i_++] - '0');
        if (v > (std::uint64_t(1) << 48)) fail("a dimension is absurdly large");
      }
      if (shape.rank() >= 64) fail("more than 64 dimensions");
      shape.push_back(static_cast<std::int64_t>(v));
      skip();
      if (peek() == ',') ++i_;
      else if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
    ++i_;
    return shape;
  }

  std::string_view s_;
  const std::string& what_;
  std::size_t i_ = 0;
};

enum class Kind { f16, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, boolean };

struct Descr {
  Kind kind;
  std::size_t size;
};

Descr parse_descr(const std::string& d, const std::string& what) {
  if (d.size() < 2) detail::raise<IOError>("'{}': unsupported .npy dtype '{}'", what, d);
  const char order = d[0];
  const std::string t = d.substr(1);
  if (order == '>' && t != "u1" && t != "i1" && t != "b1")
    detail::raise<IOError>("'{}': big-endian .npy data ('{}') is not supported; save it little-endian", what, d);
  if (order != '<' && order != '|' && order != '=' && order != '>')
    detail::raise<IOError>("'{}': unsupported .npy dtype '{}'", what, d);
  static const std::pair<const char*, Descr> kTable[] = {
      {"f2", {Kind::f16, 2}}, {"f4", {Kind::f32, 4}},  {"f8", {Kind::f64, 8}},  {"i1", {Kind::i8, 1}},
      {"i2", {Kind::i16, 2}}, {"i4", {Kind::i32, 4}},  {"i8", {Kind::i64, 8}},  {"u1", {Kind::u8, 1}},
      {"u2", {Kind::u16, 2}}, {"u4", {Kind::u32, 4}},  {"u8", {Kind::u64, 8}},  {"b1", {Kind::boolean, 1}},
  };
  for (const auto& [name, descr] : kTable)
    if (t == name) return descr;
  detail::raise<IOError>("'{}': unsupported .npy dtype '{}' (float16/32/64, bool and integers are)", what, d);
}

template <class T>
T load_le(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // x86 and ARM Linux are little-endian
  return v;
}

const char* descr_of(DType d) {
  switch (d) {
    case DType::float32: return "<f4";
    case DType::float64: return "<f8";
    case DType::int64: return "<i8";
  }
  return "?";
}

/// What a .npy header (at the start of `head`) declares: the array and where its data starts.
struct Layout {
  Header h;
  Descr d;
  std::size_t data_at = 0;
  std::uint64_t count = 1;
  std::uint64_t file_size() const { return data_at + count * d.size; }
};

Layout parse_layout(std::string_view head, const std::string& what) {
  const auto* p = reinterpret_cast<const unsigned char*>(head.data());
  if (head.size() < 10 || std::memcmp(head.data(), kMagic, 6) != 0)
    detail::raise<IOError>("'{}': not a .npy file (bad magic)", what);
  const unsigned major = p[6];
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = std::size_t(p[8]) | (std::size_t(p[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (head.size() < 12) detail::raise<IOError>("'{}': truncated .npy header", what);
    header_len = std::size_t(p[8]) | (std::size_t(p[9]) << 8) | (std::size_t(p[10]) << 16) | (std::size_t(p[11]) << 24);
    offset = 12;
  } else {
    detail::raise<IOError>("'{}': unsupported .npy version {}", what, major);
  }
  if (header_len > kMaxHeader) detail::raise<IOError>("'{}': .npy header of {} bytes is absurd", what, header_len);
  if (head.size() - offset < header_len)
    detail::raise<IOError>("'{}': truncated .npy header ({} bytes announced, {} present)", what, header_len,
                           head.size() - offset);
  Layout l{HeaderParser(head.substr(offset, header_len), what).parse(), {}, offset + header_len, 1};
  l.d = parse_descr(l.h.descr, what);
  for (std::int64_t dim : l.h.shape) {
    if (dim != 0 && l.count > (std::uint64_t(1) << 48) / static_cast<std::uint64_t>(dim))
      detail::raise<IOError>("'{}': absurd .npy shape {}", what, l.h.shape);
    l.count *= static_cast<std::uint64_t>(dim);
  }
  return l;
}

}  // namespace

Tensor npy_from_bytes(std::string_view bytes, const std::string& what) {
  const Layout l = parse_layout(bytes, what);
  const Header& h = l.h;
  const Descr& d = l.d;
  const std::uint64_t count = l.count;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (h.fortran && h.shape.rank() > 1 && count > 1)
    detail::raise<IOError>("'{}': Fortran-order .npy arrays are not supported; save with C order", what);
  const std::size_t data_at = l.data_at;
  const std::uint64_t need = count * d.size, have = bytes.size() - data_at;
  if (have < need)
    detail::raise<IOError>("'{}': truncated .npy data: shape {} of '{}' needs {} bytes, {} present", what, h.shape,
                           h.descr, need, have);
  if (have > need)
    detail::raise<IOError>("'{}': {} unexpected bytes after the .npy data of shape {}", what, have - need, h.shape);
  const unsigned char* src = p + data_at;
  const DType out_dtype = d.kind == Kind::f64 ? DType::float64
                          : (d.kind == Kind::f32 || d.kind == Kind::f16) ? DType::float32
                                                                         : DType::int64;
  Tensor t = detail::make_tensor(h.shape, out_dtype);
  const std::size_t n = static_cast<std::size_t>(count);
  switch (d.kind) {
    case Kind::f32: std::memcpy(detail::mut_ptr<float>(t), src, n * 4); break;
    case Kind::f64: std::memcpy(detail::mut_ptr<double>(t), src, n * 8); break;
    case Kind::i64: std::memcpy(detail::mut_ptr<std::int64_t>(t), src, n * 8); break;
    case Kind::f16: {
      float* o = detail::mut_ptr<float>(t);
      for (std::size_t i = 0; i < n; ++i) o[i] = detail_io::half_to_float(load_le<std::uint16_t>(src + 2 * i));
      break;
    }
    default: {
      std::int64_t* o = detail::mut_ptr<std::int64_t>(t);
      for (std::size_t i = 0; i < n; ++i) {
        const unsigned char* e = src + i * d.size;
        switch (d.kind) {
          case Kind::i8: o[i] = static_cast<std::int8_t>(e[0]); break;
          case Kind::u8: o[i] = e[0]; break;
          case Kind::boolean: o[i] = e[0] != 0; break;
          case Kind::i16: o[i] = load_le<std::int16_t>(e); break;
          case Kind::u16: o[i] = load_le<std::uint16_t>(e); break;
          case Kind::i32: o[i] = load_le<std::int32_t>(e); break;
          case Kind::u32: o[i] = load_le<std::uint32_t>(e); break;
          case Kind::u64: {
            const std::uint64_t u = load_le<std::uint64_t>(e);
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
              detail::raise<IOError>("'{}': uint64 value {} at element {} does not fit int64", what, u, i);
            o[i] = static_cast<std::int64_t>(u);
            break;
          }
          default: break;
        }
      }
    }
  }
  return t;
}

std::string npy_to_bytes(const Tensor& tensor) {
  detail::check_defined("save_npy", tensor, "tensor");
  std::string shape = "(";
  for (std::size_t i = 0; i < tensor.rank(); ++i) shape += (i ? ", " : "") + std::to_string(tensor.shape()[i]);
  shape += tensor.rank() == 1 ? ",)" : ")";  // numpy writes (3,) for one dimension
  std::string dict =
      std::string("{'descr': '") + descr_of(tensor.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // version 1: 10-byte preamble; pad with spaces so the data starts on a 64-byte boundary
  std::size_t total = 10 + dict.size() + 1;
  const std::size_t pad = (64 - total % 64) % 64;
  dict.append(pad, ' ');
  dict += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  const std::size_t nbytes = static_cast<std::size_t>(tensor.size()) * dtype_size(tensor.dtype());
  out.append(detail::ptr<char>(tensor), nbytes);
  return out;
}

Tensor load_npy(const std::string& path) {
  // The header first: a file that is no .npy (say /dev/urandom's bytes saved to a file) is refused
  // after its first bytes, and the data is read only when the file's size is what the header declares.
  const std::string head = detail::read_file_prefix(path, 12 + kMaxHeader);
  const std::uint64_t size = detail::file_size(path);
  const std::uint64_t expected = parse_layout(head, path).file_size();
  if (size < expected)
    detail::raise<IOError>("'{}': truncated .npy data: its header declares a {}-byte file, the file has {} bytes", path,
                           expected, size);
  if (size > expected)
    detail::raise<IOError>("'{}': {} unexpected bytes after the .npy data its header declares", path, size - expected);
  return npy_from_bytes(detail::read_file(path, expected), path);
}

void save_npy(const std::string& path, const Tensor& tensor) { detail::write_file_atomic(path, npy_to_bytes(tensor)); }

NamedTensors npz_from_bytes(std::string_view bytes, const std::string& what) {
  NamedTensors out;
  for (const detail::ZipEntry& e : detail::zip_read(bytes, what)) {
    std::string name = e.name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    out.emplace_back(name, npy_from_bytes(e.data, what + ":" + e.name));
  }
  return out;
}

std::string npz_to_bytes(const NamedTensors& arrays, bool compressed) {
  std::vector<detail::ZipEntry> entries;
  for (const auto& [name, t] : arrays) {
    if (name.empty()) detail::raise<ValueError>("save_npz: an array has an empty name");
    for (const auto& e : entries)
      if (e.name == name + ".npy") detail::raise<ValueError>("save_npz: two arrays are named '{}'", name);
    entries.push_back({name + ".npy", npy_to_bytes(t)});
  }
  return detail::zip_write(entries, compressed, "<npz>");
}

NamedTensors load_npz(const std::string& path) { return npz_from_bytes(detail::read_file(path), path); }

void save_npz(const std::string& path, const NamedTensors& arrays, bool compressed) {
  detail::write_file_atomic(path, npz_to_bytes(arrays, compressed));
}

}  // namespace strata::io
