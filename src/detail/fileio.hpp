#pragma once
// Writing files so that a crash never leaves a half-written one: the data goes to a temporary
// file in the same folder, is flushed to disk, then renamed over the target.
#include <cstdint>
#include <string>

namespace strata::detail {

/// Writes `content` to `path` atomically; IOError naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);

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
