#include "detail/fileio.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "detail/errors.hpp"

namespace strata::detail {

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd < 0) raise<IOError>("cannot write '{}': {}", path, std::strerror(errno));
  const std::string tmp(name.data());
  ::fchmod(fd, 0644);  // mkstemp makes 0600; saved files are ordinary files
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      raise<IOError>("cannot write '{}': {}", path, std::strerror(e));
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    raise<IOError>("cannot write '{}': {}", path, std::strerror(e));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    raise<IOError>("cannot write '{}': {}", path, std::strerror(e));
  }
  // make the rename itself durable
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

/// An open regular file, closed on scope exit; IOError naming the path for anything else (a
/// folder, a device such as /dev/urandom or /dev/zero, a pipe, a socket).
struct RegularFile {
  int fd = -1;
  std::uint64_t size = 0;
  RegularFile(const std::string& path) {  // NOLINT
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // O_NONBLOCK: a FIFO never blocks the open
    if (fd < 0) raise<IOError>("cannot open '{}': {}", path, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int e = errno;
      ::close(fd);
      raise<IOError>("cannot open '{}': {}", path, std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      raise<IOError>("cannot read '{}': {}", path,
                     S_ISDIR(st.st_mode) ? "it is a folder" : "not a regular file (a device, a pipe or a socket)");
    }
    size = static_cast<std::uint64_t>(st.st_size);
  }
  ~RegularFile() { ::close(fd); }
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  /// Up to n bytes from the start (fewer when the file is shorter).
  std::string read(const std::string& path, std::uint64_t n) const {
    std::string out(static_cast<std::size_t>(n), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t r = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) raise<IOError>("cannot read '{}': {}", path, std::strerror(errno));
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    out.resize(done);
    return out;
  }
};

}  // namespace

void check_regular_file(const std::string& path) { RegularFile f(path); }

std::uint64_t file_size(const std::string& path) { return RegularFile(path).size; }

std::string read_file(const std::string& path, std::uint64_t max_bytes) {
  const RegularFile f(path);
  if (f.size > max_bytes) raise<IOError>("'{}': {} bytes is more than such a file may hold ({})", path, f.size, max_bytes);
  return f.read(path, f.size);  // the size it had when opened: a growing file cannot make this read forever
}

std::string read_file_prefix(const std::string& path, std::uint64_t n) {
  const RegularFile f(path);
  return f.read(path, std::min(n, f.size));
}

}  // namespace strata::detail
