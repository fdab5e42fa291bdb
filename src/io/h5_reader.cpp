// HDF5 files read in a child process (see h5.hpp).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "detail/tensor_impl.hpp"
#include "io/h5.hpp"
#include "io/h5_api.hpp"

namespace strata::detail::h5 {

// ---- Reader ---------------------------------------------------------------------------------------------------------
//
// HDF5 1.10 trusts sizes written in the file: a corrupt heap size makes it allocate hundreds of
// gigabytes and then use the failed allocation. So a file is parsed in a child process, which
// walks every group, reads every dataset and streams them to the parent over a pipe; if HDF5
// crashes on a corrupt file, only the child dies and the load throws IOError.

namespace {

constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxObjects = 100000;

/// The child's side of the pipe: records "G" path (a group), "A" path name count strings (a
/// group's string attribute), "D" path dtype rank dims data (a dataset), "E" message (an error),
/// "Z" (the end).
class Out {
 public:
  explicit Out(int fd) : fd_(fd) {}
  void bytes(const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      const ssize_t w = ::write(fd_, c, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) ::_exit(3);  // the parent stopped listening
      c += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  void u64(std::uint64_t v) { bytes(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void tag(char t) { bytes(&t, 1); }

 private:
  int fd_;
};

Tensor read_dataset(const Api& a, hid_t file, const std::string& path, const std::string& what, std::size_t file_bytes) {
  Id ds(a.H5Dopen2(file, path.c_str(), H5P_DEFAULT), a.H5Dclose);
  if (!ds.ok()) detail::raise<IOError>("'{}': HDF5 cannot open the dataset '{}'", what, path);
  {
    Id plist(a.H5Dget_create_plist(ds.get()), a.H5Pclose);
    if (!plist.ok() || a.H5Pget_external_count(plist.get()) != 0 || a.H5Pget_layout(plist.get()) == H5D_VIRTUAL)
      detail::raise<IOError>("'{}': dataset '{}' keeps its data in other files, which strata does not read", what, path);
  }
  Id type(a.H5Dget_type(ds.get()), a.H5Tclose);
  const H5T_class_t cls = type.ok() ? a.H5Tget_class(type.get()) : H5T_NO_CLASS;
  const std::size_t width = type.ok() ? a.H5Tget_size(type.get()) : 0;
  DType dtype;
  hid_t mem_type;
  if (cls == H5T_FLOAT && (width == 2 || width == 4)) dtype = DType::float32, mem_type = a.native_float;
  else if (cls == H5T_FLOAT && width == 8) dtype = DType::float64, mem_type = a.native_double;
  else if (cls == H5T_INTEGER && width >= 1 && width <= 8) dtype = DType::int64, mem_type = a.native_int64;
  else
    detail::raise<IOError>("'{}': dataset '{}' holds {}-byte {} values; strata reads floats and integers", what, path,
                           width, cls == H5T_FLOAT ? "float" : cls == H5T_INTEGER ? "integer" : "non-numeric");
  Id space(a.H5Dget_space(ds.get()), a.H5Sclose);
  const H5S_class_t sc = space.ok() ? a.H5Sget_simple_extent_type(space.get()) : H5S_NO_CLASS;
  if (sc != H5S_SCALAR && sc != H5S_SIMPLE) detail::raise<IOError>("'{}': dataset '{}' has no usable dataspace", what, path);
  const int rank = sc == H5S_SCALAR ? 0 : a.H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 16) detail::raise<IOError>("'{}': dataset '{}' has rank {}", what, path, rank);
  hsize_t dims[16] = {};
  if (rank > 0 && a.H5Sget_simple_extent_dims(space.get(), dims, nullptr) != rank)
    detail::raise<IOError>("'{}': HDF5 cannot read the shape of dataset '{}'", what, path);
  Shape shape;
  long double count = 1;
  for (int i = 0; i < rank; ++i) {
    shape.push_back(static_cast<std::int64_t>(std::min<hsize_t>(dims[i], hsize_t(1) << 62)));
    count *= static_cast<long double>(dims[i]);
  }
  // A dataset may be compressed, or unwritten (fill values), so its size is not bounded by the
  // file's; weights never compress beyond 1000x, and anything larger is refused before allocation.
  const long double bytes = count * static_cast<long double>(dtype == DType::float32 ? 4 : 8);
  const long double bound = std::max<long double>(1 << 20, 1000.0L * static_cast<long double>(file_bytes));
  if (count > static_cast<long double>(std::int64_t(1) << 40) || bytes > bound ||
      bytes > static_cast<long double>(max_tensor_bytes()))
    detail::raise<IOError>("'{}': dataset '{}' of shape {} is absurdly large for a {}-byte file", what, path, shape,
                           file_bytes);
  Tensor t = detail::make_tensor(shape, dtype);
  if (t.size() > 0 && a.H5Dread(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, detail::mut_ptr<char>(t)) < 0)
    detail::raise<IOError>("'{}': HDF5 cannot read the dataset '{}' (truncated or corrupt)", what, path);
  return t;
}

/// A string attribute's values (one for a scalar): fixed-length strings lose their padding NULs,
/// variable-length ones are copied out and freed. Attributes of other types are skipped.
bool read_string_attribute(const Api& a, hid_t loc, const char* name, const std::string& where, std::size_t file_bytes,
                           std::vector<std::string>& values, std::string& error) {
  Id attr(a.H5Aopen(loc, name, H5P_DEFAULT), a.H5Aclose);
  Id type(attr.ok() ? a.H5Aget_type(attr.get()) : -1, a.H5Tclose);
  if (!type.ok()) return error = "HDF5 cannot open the attribute '" + std::string(name) + "' of '" + where + "'", false;
  if (a.H5Tget_class(type.get()) != H5T_STRING) return false;
  Id space(a.H5Aget_space(attr.get()), a.H5Sclose);
  const H5S_class_t sc = space.ok() ? a.H5Sget_simple_extent_type(space.get()) : H5S_NO_CLASS;
  std::size_t n = 1;
  if (sc == H5S_SIMPLE) {
    const int rank = a.H5Sget_simple_extent_ndims(space.get());
    hsize_t dims[16] = {};
    if (rank < 0 || rank > 16 || a.H5Sget_simple_extent_dims(space.get(), dims, nullptr) != rank)
      return error = "attribute '" + std::string(name) + "' of '" + where + "' has no readable shape", false;
    for (int i = 0; i < rank; ++i) {
      if (dims[i] > file_bytes) return error = "attribute '" + std::string(name) + "' is absurdly large", false;
      n *= static_cast<std::size_t>(dims[i]);
      if (n > file_bytes) return error = "attribute '" + std::string(name) + "' is absurdly large", false;
    }
  } else if (sc != H5S_SCALAR) {
    return false;  // an empty (null) attribute
  }
  std::size_t total = 0;
  if (a.H5Tis_variable_str(type.get()) > 0) {
    Id mem(a.H5Tcopy(a.c_s1), a.H5Tclose);
    // the same character set as the file's strings (h5py writes UTF-8), so HDF5 converts nothing
    if (!mem.ok() || a.H5Tset_size(mem.get(), H5T_VARIABLE) < 0 || a.H5Tset_cset(mem.get(), a.H5Tget_cset(type.get())) < 0)
      return error = "HDF5 cannot make a string type", false;
    std::vector<char*> ptrs(n, nullptr);
    if (a.H5Aread(attr.get(), mem.get(), ptrs.data()) < 0)
      return error = "HDF5 cannot read the attribute '" + std::string(name) + "' of '" + where + "'", false;
    for (char* p : ptrs) {
      values.emplace_back(p ? p : "");
      total += values.back().size();
    }
    a.H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t width = a.H5Tget_size(type.get());
    if (width == 0 || width > file_bytes || n * width > file_bytes)
      return error = "attribute '" + std::string(name) + "' is absurdly large", false;
    std::string buf(n * width, '\0');
    if (n * width > 0 && a.H5Aread(attr.get(), type.get(), buf.data()) < 0)
      return error = "HDF5 cannot read the attribute '" + std::string(name) + "' of '" + where + "'", false;
    for (std::size_t i = 0; i < n; ++i) {
      std::string s = buf.substr(i * width, width);
      s.resize(std::strlen(s.c_str()));  // null-terminated or null-padded
      total += s.size();
      values.push_back(std::move(s));
    }
  }
  if (total > file_bytes) return error = "attribute '" + std::string(name) + "' is absurdly large", false;
  return true;
}

/// Streams the string attributes of the group at `path` as "A" records.
void stream_attributes(const Api& a, hid_t grp, const std::string& path, std::size_t file_bytes,
                       const std::string& what, Out& out) {
  struct Ctx {
    const Api* a;
    const std::string* path;
    std::size_t file_bytes;
    Out* out;
    std::size_t count = 0;
    std::string error;
  } ctx{&a, &path, file_bytes, &out, 0, {}};
  // The callback runs inside HDF5's C frames, so it reports errors by value, never by throwing.
  auto on_attribute = [](hid_t loc, const char* name, const H5A_info_t*, void* data) -> herr_t {
    Ctx& c = *static_cast<Ctx*>(data);
    if (++c.count > kMaxObjects) return c.error = "more than " + std::to_string(kMaxObjects) + " attributes", -1;
    std::vector<std::string> values;
    const std::string where = c.path->empty() ? "/" : *c.path;
    if (!read_string_attribute(*c.a, loc, name, where, c.file_bytes, values, c.error)) return c.error.empty() ? 0 : -1;
    c.out->tag('A');
    c.out->str(*c.path);
    c.out->str(name);
    c.out->u64(values.size());
    for (const auto& v : values) c.out->str(v);
    return 0;
  };
  hsize_t idx = 0;
  const herr_t r = a.H5Aiterate2(grp, H5_INDEX_NAME, H5_ITER_INC, &idx, on_attribute, &ctx);
  if (!ctx.error.empty()) detail::raise<IOError>("'{}': {}", what, ctx.error);
  if (r < 0) detail::raise<IOError>("'{}': HDF5 cannot list the attributes of '{}'", what, path.empty() ? "/" : path);
}

void walk(const Api& a, hid_t file, const std::string& path, int depth, std::size_t& objects, std::size_t file_bytes,
          const std::string& what, Out& out) {
  if (depth > kMaxDepth) detail::raise<IOError>("'{}': groups nest deeper than {} levels", what, kMaxDepth);
  Id grp(a.H5Gopen2(file, path.empty() ? "/" : path.c_str(), H5P_DEFAULT), a.H5Gclose);
  H5G_info_t info{};
  if (!grp.ok() || a.H5Gget_info(grp.get(), &info) < 0)
    detail::raise<IOError>("'{}': HDF5 cannot list the group '{}'", what, path.empty() ? "/" : path);
  if (info.nlinks > kMaxObjects) detail::raise<IOError>("'{}': group '{}' has {} members", what, path, info.nlinks);
  stream_attributes(a, grp.get(), path, file_bytes, what, out);
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = a.H5Lget_name_by_idx(grp.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n <= 0 || n > 4096) detail::raise<IOError>("'{}': HDF5 cannot read a member name of '{}'", what, path);
    std::string name(static_cast<std::size_t>(n) + 1, '\0');
    if (a.H5Lget_name_by_idx(grp.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      detail::raise<IOError>("'{}': HDF5 cannot read a member name of '{}'", what, path);
    name.resize(static_cast<std::size_t>(n));
    if (name.find('/') != std::string::npos || name == "." || name == "..")
      detail::raise<IOError>("'{}': group '{}' has a member named '{}'", what, path, name);
    const std::string child = path.empty() ? name : path + "/" + name;
    if (++objects > kMaxObjects) detail::raise<IOError>("'{}': more than {} objects", what, kMaxObjects);
    H5L_info_t link{};
    if (a.H5Lget_info(file, child.c_str(), &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD)
      detail::raise<IOError>("'{}': '{}' is not a hard link (soft and external links are not followed)", what, child);
    Id obj(a.H5Oopen(file, child.c_str(), H5P_DEFAULT), a.H5Oclose);
    const H5I_type_t type = obj.ok() ? a.H5Iget_type(obj.get()) : H5I_BADID;
    if (type == H5I_GROUP) {
      out.tag('G');
      out.str(child);
      walk(a, file, child, depth + 1, objects, file_bytes, what, out);
    } else if (type == H5I_DATASET) {
      const Tensor t = read_dataset(a, file, child, what, file_bytes);
      out.tag('D');
      out.str(child);
      out.u64(static_cast<std::uint64_t>(t.dtype()));
      out.u64(t.rank());
      for (std::int64_t d : t.shape()) out.u64(static_cast<std::uint64_t>(d));
      out.bytes(detail::ptr<char>(t), static_cast<std::size_t>(t.size()) * dtype_size(t.dtype()));
    } else if (type == H5I_BADID) {
      detail::raise<IOError>("'{}': HDF5 cannot open '{}'", what, child);
    }  // named datatypes are skipped
  }
}

/// The child process: parse the image and stream what it holds.
[[noreturn]] void child_main(const Api& a, std::string_view bytes, const std::string& what, int fd) {
  const int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd >= 0) ::dup2(null_fd, 2);  // neither HDF5 nor a sanitizer report reaches the user
  Out out(fd);
  try {
    Id fapl(a.H5Pcreate(a.file_access), a.H5Pclose);
    if (!fapl.ok() || a.H5Pset_fapl_core(fapl.get(), std::size_t(1) << 20, false) < 0 ||
        a.H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0)
      detail::raise<IOError>("'{}': HDF5 cannot take the file's {} bytes", what, bytes.size());
    Id file(a.H5Fopen(next_image_name().c_str(), kAccReadOnly, fapl.get()), a.H5Fclose);
    if (!file.ok()) detail::raise<IOError>("'{}': HDF5 cannot open the file (truncated or corrupt)", what);
    std::size_t objects = 0;
    walk(a, file.get(), "", 0, objects, bytes.size(), what, out);
    out.tag('Z');
  } catch (const std::exception& e) {
    out.tag('E');
    out.str(e.what());
  }
  ::_exit(0);
}

/// The reader process streams as it parses; this long without a byte means it is stuck.
constexpr int kStallMs = 120000;

/// Reads the child's records; `stream` came from a process that may have died midway.
class In {
 public:
  In(const std::string& s, const std::string& what) : s_(s), what_(what) {}
  bool done() const { return at_ >= s_.size(); }
  const char* take(std::size_t n) {
    if (n > s_.size() - at_) detail::raise<IOError>("'{}': HDF5 failed on the file (corrupt)", what_);
    const char* p = s_.data() + at_;
    at_ += n;
    return p;
  }
  std::uint64_t u64() {
    std::uint64_t v;
    std::memcpy(&v, take(8), 8);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    if (n > s_.size()) take(s_.size() + 1);
    return std::string(take(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
  }
  char tag() { return *take(1); }

 private:
  const std::string& s_;
  const std::string& what_;
  std::size_t at_ = 0;
};

}  // namespace

struct Reader::State {
  std::string what;
  std::set<std::string> groups{""};
  std::map<std::string, Tensor> datasets;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> attributes;  // (group, name) -> values
};

Reader::Reader(std::string_view bytes, std::string what) : s_(std::make_unique<State>()) {
  s_->what = std::move(what);
  const std::string& w = s_->what;
  static const char kMagic[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    detail::raise<IOError>("'{}': not an HDF5 file (no HDF5 signature)", w);
  std::lock_guard<std::recursive_mutex> g(lock());
  const Api& a = api(w);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) detail::raise<IOError>("'{}': cannot create a pipe: {}", w, std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    detail::raise<IOError>("'{}': cannot start the HDF5 reader process: {}", w, std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(a, bytes, w, fds[1]);
  }
  ::close(fds[1]);
  const std::size_t limit = 1000 * bytes.size() + (std::size_t(64) << 20);
  std::string stream;
  char buf[1 << 16];
  bool too_much = false;
  bool stalled = false;
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, kStallMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {  // nothing for that long: the reader is stuck
      stalled = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    stream.append(buf, static_cast<std::size_t>(n));
    if (stream.size() > limit) {
      too_much = true;
      ::kill(pid, SIGKILL);
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_much) detail::raise<IOError>("'{}': the file holds more than {} bytes of data", w, limit);
  if (stalled) detail::raise<IOError>("'{}': the HDF5 reader process sent nothing for {} s", w, kStallMs / 1000);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    detail::raise<IOError>("'{}': HDF5 failed on the file (corrupt; the HDF5 library crashed{})", w,
                           WIFSIGNALED(status) ? " with signal " + std::to_string(WTERMSIG(status)) : std::string());
  In in(stream, w);
  for (;;) {
    const char t = in.tag();
    if (t == 'Z') break;
    if (t == 'E') detail::raise<IOError>("{}", in.str());
    const std::string path = in.str();
    if (t == 'G') {
      s_->groups.insert(path);
    } else if (t == 'A') {
      const std::string name = in.str();
      const std::uint64_t n = in.u64();
      if (n > stream.size()) in.take(stream.size() + 1);
      std::vector<std::string> values;
      for (std::uint64_t i = 0; i < n; ++i) values.push_back(in.str());
      s_->attributes[{path, name}] = std::move(values);
    } else if (t == 'D') {
      const std::uint64_t code = in.u64(), rank = in.u64();
      if (rank > 16 || code > static_cast<std::uint64_t>(DType::int64)) in.take(stream.size() + 1);
      Shape shape;
      for (std::uint64_t i = 0; i < rank; ++i) shape.push_back(static_cast<std::int64_t>(in.u64()));
      const DType dtype = static_cast<DType>(code);
      const long double n = static_cast<long double>(shape.num_elements()) * dtype_size(dtype);
      if (n > static_cast<long double>(stream.size())) in.take(stream.size() + 1);
      Tensor value = detail::make_tensor(shape, dtype);
      const std::size_t len = static_cast<std::size_t>(value.size()) * dtype_size(dtype);
      std::memcpy(detail::mut_ptr<char>(value), in.take(len), len);
      s_->datasets[path] = value;
    } else {
      in.take(stream.size() + 1);
    }
  }
}

Reader::~Reader() = default;

bool Reader::is_group(const std::string& path) const { return s_->groups.count(path) > 0; }

bool Reader::is_dataset(const std::string& path) const { return s_->datasets.count(path) > 0; }

std::vector<std::string> Reader::members(const std::string& path) const {
  if (!is_group(path)) detail::raise<IOError>("'{}': no group '{}' in the HDF5 file", s_->what, path);
  std::vector<std::string> names;
  const std::string prefix = path.empty() ? "" : path + "/";
  auto direct = [&](const std::string& p) {
    return p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
           p.find('/', prefix.size()) == std::string::npos;
  };
  for (const auto& g : s_->groups)
    if (direct(g)) names.push_back(g.substr(prefix.size()));
  for (const auto& [d, t] : s_->datasets)
    if (direct(d)) names.push_back(d.substr(prefix.size()));
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::vector<std::string>> Reader::string_attribute(const std::string& path, const std::string& name) const {
  auto it = s_->attributes.find({path, name});
  if (it == s_->attributes.end()) return std::nullopt;
  return it->second;
}

Tensor Reader::read(const std::string& path) const {
  auto it = s_->datasets.find(path);
  if (it == s_->datasets.end()) detail::raise<IOError>("'{}': no dataset '{}' in the HDF5 file", s_->what, path);
  return it->second;
}

}  // namespace strata::detail::h5
