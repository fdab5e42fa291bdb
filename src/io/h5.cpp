// HDF5 files written in memory (see h5.hpp).
#include <algorithm>
#include <set>

#include "detail/tensor_impl.hpp"
#include "io/h5.hpp"
#include "io/h5_api.hpp"

namespace strata::detail::h5 {

// ---- Writer ---------------------------------------------------------------------------------------------------------

struct Writer::State {
  const Api* a = nullptr;
  std::string what;
  hid_t file = -1;
  std::set<std::string> groups;  // created so far
};

Writer::Writer(std::string what) : s_(std::make_unique<State>()) {
  std::lock_guard<std::recursive_mutex> g(lock());
  s_->what = std::move(what);
  s_->a = &api(s_->what);
  const Api& a = *s_->a;
  Id fapl(a.H5Pcreate(a.file_access), a.H5Pclose);
  if (!fapl.ok() || a.H5Pset_fapl_core(fapl.get(), std::size_t(1) << 20, false) < 0)
    detail::raise<IOError>("'{}': HDF5 cannot set up an in-memory file", s_->what);
  s_->file = a.H5Fcreate(next_image_name().c_str(), kAccTrunc, H5P_DEFAULT, fapl.get());
  if (s_->file < 0) detail::raise<IOError>("'{}': HDF5 cannot create an in-memory file", s_->what);
}

Writer::~Writer() {
  std::lock_guard<std::recursive_mutex> g(lock());
  if (s_->file >= 0) s_->a->H5Fclose(s_->file);
}

void Writer::group(const std::string& path) {
  std::lock_guard<std::recursive_mutex> g(lock());
  const Api& a = *s_->a;
  std::string at;
  for (const std::string& part : split(path)) {
    at += (at.empty() ? "" : "/") + part;
    if (s_->groups.count(at)) continue;
    Id grp(a.H5Gcreate2(s_->file, at.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), a.H5Gclose);
    if (!grp.ok()) detail::raise<IOError>("'{}': HDF5 cannot create the group '{}'", s_->what, at);
    s_->groups.insert(at);
  }
}

void Writer::dataset(const std::string& path, const Tensor& value) {
  std::lock_guard<std::recursive_mutex> g(lock());
  const Api& a = *s_->a;
  const std::size_t slash = path.find_last_of('/');
  if (slash != std::string::npos) group(path.substr(0, slash));
  std::vector<hsize_t> dims;
  for (std::int64_t d : value.shape()) dims.push_back(static_cast<hsize_t>(d));
  Id space(dims.empty() ? a.H5Screate(H5S_SCALAR) : a.H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
           a.H5Sclose);
  hid_t file_type = a.ieee_f32le, mem_type = a.native_float;
  if (value.dtype() == DType::float64) file_type = a.ieee_f64le, mem_type = a.native_double;
  if (value.dtype() == DType::int64) file_type = a.std_i64le, mem_type = a.native_int64;
  Id ds(space.ok() ? a.H5Dcreate2(s_->file, path.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                   : -1,
        a.H5Dclose);
  if (!ds.ok()) detail::raise<IOError>("'{}': HDF5 cannot create the dataset '{}'", s_->what, path);
  if (value.size() > 0) {
    if (a.H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, detail::ptr<char>(value)) < 0)
      detail::raise<IOError>("'{}': HDF5 cannot write the dataset '{}'", s_->what, path);
  }
}

void Writer::string_attribute(const std::string& path, const std::string& name, const std::vector<std::string>& values,
                              bool scalar) {
  std::lock_guard<std::recursive_mutex> g(lock());
  const Api& a = *s_->a;
  if (!path.empty()) group(path);
  if (scalar && values.size() != 1) detail::raise<ValueError>("h5: a scalar attribute '{}' takes one value", name);
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  std::string buf(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) std::copy(values[i].begin(), values[i].end(), buf.begin() + i * width);
  Id type(a.H5Tcopy(a.c_s1), a.H5Tclose);
  if (!type.ok() || a.H5Tset_size(type.get(), width) < 0 || a.H5Tset_strpad(type.get(), H5T_STR_NULLPAD) < 0)
    detail::raise<IOError>("'{}': HDF5 cannot make a string type", s_->what);
  const hsize_t n = values.size();
  Id space(scalar ? a.H5Screate(H5S_SCALAR) : a.H5Screate_simple(1, &n, nullptr), a.H5Sclose);
  Id obj(a.H5Oopen(s_->file, path.empty() ? "/" : path.c_str(), H5P_DEFAULT), a.H5Oclose);
  Id attr(space.ok() && obj.ok() ? a.H5Acreate2(obj.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT)
                                 : -1,
          a.H5Aclose);
  if (!attr.ok() || (!buf.empty() && a.H5Awrite(attr.get(), type.get(), buf.data()) < 0))
    detail::raise<IOError>("'{}': HDF5 cannot write the attribute '{}' of '{}'", s_->what, name, path.empty() ? "/" : path);
}

std::string Writer::finish() {
  std::lock_guard<std::recursive_mutex> g(lock());
  const Api& a = *s_->a;
  if (a.H5Fflush(s_->file, H5F_SCOPE_GLOBAL) < 0) detail::raise<IOError>("'{}': HDF5 cannot flush the file", s_->what);
  const ssize_t n = a.H5Fget_file_image(s_->file, nullptr, 0);
  if (n < 0) detail::raise<IOError>("'{}': HDF5 cannot produce the file image", s_->what);
  std::string bytes(static_cast<std::size_t>(n), '\0');
  if (a.H5Fget_file_image(s_->file, bytes.data(), bytes.size()) != n)
    detail::raise<IOError>("'{}': HDF5 cannot produce the file image", s_->what);
  return bytes;
}

}  // namespace strata::detail::h5
