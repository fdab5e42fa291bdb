#include "detail/fileio.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <mutex>
#include <set>
#include <cstdio>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "detail/errors.hpp"

namespace strata::detail {

namespace {

constexpr const char* kTempMark = ".strata-tmp-";
constexpr std::time_t kStaleSeconds = 24 * 60 * 60;  // a temporary nobody wrote to for a day

/// The temporaries this process is writing now (its other threads' saves must not lose them).
std::mutex& live_mutex() {
  static std::mutex m;
  return m;
}
std::set<std::string>& live_temporaries() {
  static std::set<std::string> s;
  return s;
}

/// The pid of a temporary's name "<target>.strata-tmp-<pid>-<n>" and the target's file name;
/// false for any other name.
bool parse_temporary(const std::string& name, std::string& target, long& pid) {
  const std::size_t at = name.rfind(kTempMark);
  if (at == std::string::npos || at == 0) return false;
  const std::string rest = name.substr(at + std::strlen(kTempMark));
  const std::size_t dash = rest.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == rest.size() || dash > 9) return false;
  for (std::size_t i = 0; i < rest.size(); ++i)
    if (i != dash && !std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
  target = name.substr(0, at);
  pid = std::stol(rest.substr(0, dash));
  return pid > 0;
}

bool process_alive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

std::string folder_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace

void remove_stale_temporaries(const std::string& dir, const std::function<bool(const std::string&)>& is_target) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  const long self = static_cast<long>(::getpid());
  const std::time_t now = std::time(nullptr);
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(d)) {
    std::string target;
    long pid = 0;
    if (!parse_temporary(e->d_name, target, pid) || !is_target(target)) continue;
    const std::string full = dir + "/" + e->d_name;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    bool dead = now - st.st_mtime > kStaleSeconds || !process_alive(pid);
    if (pid == self) {  // ours: stale unless one of this process's saves is writing it
      std::lock_guard<std::mutex> lock(live_mutex());
      dead = !live_temporaries().count(full);
    }
    if (dead) stale.push_back(full);
  }
  ::closedir(d);
  for (const std::string& f : stale) ::unlink(f.c_str());
}

void write_file_atomic(const std::string& path, const std::string& content) {
  static std::atomic<unsigned long> counter{0};
  const std::string dir = folder_of(path);
  const std::size_t slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  remove_stale_temporaries(dir, [&](const std::string& target) { return target == base; });
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = path + kTempMark + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    {
      std::lock_guard<std::mutex> lock(live_mutex());
      live_temporaries().insert(tmp);
    }
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int e = errno;
      {
        std::lock_guard<std::mutex> lock(live_mutex());
        live_temporaries().erase(tmp);
      }
      if (e != EEXIST || attempt > 100) raise<IOError>("cannot write '{}': {}", path, std::strerror(e));
    }
  }
  struct Forget {  // the temporary is no longer being written once this returns
    const std::string& name;
    ~Forget() {
      std::lock_guard<std::mutex> lock(live_mutex());
      live_temporaries().erase(name);
    }
  } forget{tmp};
  ::fchmod(fd, 0644);  // saved files are ordinary files, whatever the umask
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
