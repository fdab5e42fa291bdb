#pragma once
// Writing files so that a crash never leaves a half-written one: the data goes to a temporary
// file in the same folder, is flushed to disk, then renamed over the target.
#include <cstdint>
#include <functional>
#include <string>

namespace strata::detail {

/// Writes `content` to `path` atomically; IOError naming the path on failure. The temporary is
/// "<path>.strata-tmp-<pid>-<n>"; stale ones of the same target (left by a process that died,
/// or untouched for a day) are removed first, and no other file.
void write_file_atomic(const std::string& path, const std::string& content);
/// Removes the stale temporaries write_file_atomic left in `dir` for targets whose file name
/// `is_target` accepts (a save of several files clears those of all of them).
void remove_stale_temporaries(const std::string& dir, const std::function<bool(const std::string&)>& is_target);

/// The whole file as bytes; IOError naming the path when it is missing or unreadable, not a
/// regular file (a folder, /dev/urandom, a pipe), or larger than max_bytes. Reads only the bytes
/// the file held when it was opened.
std::string read_file(const std::string& path, std::uint64_t max_bytes = std::uint64_t(1) << 40);
/// The first n bytes (fewer for a shorter file), so a reader can check a header first.
std::string read_file_prefix(const std::string& path, std::uint64_t n);
/// The size of a regular file; IOError as read_file.
std::uint64_t file_size(const std::string& path);
/// IOError unless `path` is a regular file that can be opened.
void check_regular_file(const std::string& path);

}  // namespace strata::detail
