#pragma once
// The HDF5 C library as strata loads it (dlopen on first use), shared by the writer (h5.cpp) and
// the reader (h5_reader.cpp). Every call holds lock(): Debian's serial HDF5 is not thread-safe.
#include <dlfcn.h>
#include <hdf5.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "detail/errors.hpp"

namespace strata::detail::h5 {

/// Every HDF5 function strata calls: one list, for the Api members and for dlsym.
#define STRATA_H5_FUNCTIONS(X) \
  X(H5open) \
  X(H5get_libversion) \
  X(H5Eset_auto2) \
  X(H5Pcreate) \
  X(H5Pclose) \
  X(H5Pset_fapl_core) \
  X(H5Pset_file_image) \
  X(H5Fcreate) \
  X(H5Fopen) \
  X(H5Fclose) \
  X(H5Fflush) \
  X(H5Fget_file_image) \
  X(H5Gcreate2) \
  X(H5Gopen2) \
  X(H5Gclose) \
  X(H5Gget_info) \
  X(H5Lexists) \
  X(H5Lget_name_by_idx) \
  X(H5Lget_info) \
  X(H5Dget_create_plist) \
  X(H5Pget_layout) \
  X(H5Pget_external_count) \
  X(H5Oopen) \
  X(H5Oclose) \
  X(H5Iget_type) \
  X(H5Screate) \
  X(H5Screate_simple) \
  X(H5Sclose) \
  X(H5Sget_simple_extent_type) \
  X(H5Sget_simple_extent_ndims) \
  X(H5Sget_simple_extent_dims) \
  X(H5Dcreate2) \
  X(H5Dopen2) \
  X(H5Dclose) \
  X(H5Dwrite) \
  X(H5Dread) \
  X(H5Dget_space) \
  X(H5Dget_type) \
  X(H5Dget_storage_size) \
  X(H5Tclose) \
  X(H5Tget_class) \
  X(H5Tget_size) \
  X(H5Tcopy) \
  X(H5Tset_size) \
  X(H5Tset_strpad) \
  X(H5Tis_variable_str) \
  X(H5Tget_cset) \
  X(H5Tset_cset) \
  X(H5Aiterate2) \
  X(H5Aopen) \
  X(H5Aclose) \
  X(H5Aget_type) \
  X(H5Aget_space) \
  X(H5Aread) \
  X(H5Acreate2) \
  X(H5Awrite) \
  X(H5Dvlen_reclaim)

/// The functions and global type ids strata uses, resolved from the loaded library.
struct Api {
#define STRATA_H5_FN(name) decltype(&::name) name = nullptr;
  STRATA_H5_FUNCTIONS(STRATA_H5_FN)
#undef STRATA_H5_FN
  hid_t file_access = -1, native_float = -1, native_double = -1, native_int64 = -1;
  hid_t ieee_f32le = -1, ieee_f64le = -1, std_i64le = -1, c_s1 = -1;
  std::string error;  // why the library could not be used
};

inline std::recursive_mutex& lock() {
  static std::recursive_mutex m;
  return m;
}

inline Api load_api() {
  Api a;
  static const char* const kNames[] = {"libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so", "libhdf5.so"};
  void* h = nullptr;
  for (const char* n : kNames)
    if ((h = dlopen(n, RTLD_NOW | RTLD_LOCAL))) break;
  if (!h) {
    a.error = "cannot load the HDF5 library (libhdf5_serial.so.103); install it with: apt-get install libhdf5-103-1";
    return a;
  }
  bool ok = true;
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
    if (!fn) ok = false;
  };
#define STRATA_H5_SYM(name) sym(a.name, #name);
  STRATA_H5_FUNCTIONS(STRATA_H5_SYM)
#undef STRATA_H5_SYM
  auto var = [&](hid_t& id, const char* name) {
    const auto* p = static_cast<const hid_t*>(dlsym(h, name));
    if (p) id = *p;
    else ok = false;
  };
  if (ok && a.H5open() < 0) ok = false;  // initialises the global ids read below
  if (ok) {
    var(a.file_access, "H5P_CLS_FILE_ACCESS_ID_g");
    var(a.native_float, "H5T_NATIVE_FLOAT_g");
    var(a.native_double, "H5T_NATIVE_DOUBLE_g");
    var(a.native_int64, "H5T_NATIVE_INT64_g");
    var(a.ieee_f32le, "H5T_IEEE_F32LE_g");
    var(a.ieee_f64le, "H5T_IEEE_F64LE_g");
    var(a.std_i64le, "H5T_STD_I64LE_g");
    var(a.c_s1, "H5T_C_S1_g");
  }
  unsigned major = 0, minor = 0, release = 0;
  if (ok) a.H5get_libversion(&major, &minor, &release);
  if (!ok || major != 1 || minor < 10) {
    a.error = "the HDF5 library found is not a usable HDF5 1.10 or later";
    return a;
  }
  a.H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions, not stderr dumps
  return a;
}

inline const Api& api(const std::string& what) {
  static const Api a = load_api();
  if (!a.error.empty()) detail::raise<IOError>("'{}': {}", what, a.error);
  return a;
}

/// An HDF5 id closed on scope exit.
class Id {
 public:
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// H5F_ACC_TRUNC and H5F_ACC_RDONLY without their macros' calls into the library.
inline constexpr unsigned kAccReadOnly = 0x0000u, kAccTrunc = 0x0002u;

inline std::string next_image_name() {
  static std::atomic<unsigned> n{0};
  return "strata-image-" + std::to_string(n++) + ".h5";
}

inline std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace strata::detail::h5
