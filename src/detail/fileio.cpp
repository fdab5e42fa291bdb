#include "detail/fileio.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
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

std::string read_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) raise<IOError>("cannot open '{}': {}", path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) raise<IOError>("cannot open '{}': it is a folder", path);
  std::ifstream f(path, std::ios::binary);
  if (!f) raise<IOError>("cannot open '{}': {}", path, std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) raise<IOError>("cannot read '{}': {}", path, std::strerror(errno));
  return bytes;
}

}  // namespace strata::detail
