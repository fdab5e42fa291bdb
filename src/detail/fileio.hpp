#pragma once
// Writing files so that a crash never leaves a half-written one: the data goes to a temporary
// file in the same folder, is flushed to disk, then renamed over the target.
#include <string>

namespace strata::detail {

/// Writes `content` to `path` atomically; IOError naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);

/// The whole file as bytes; IOError naming the path (missing, unreadable, a folder).
std::string read_file(const std::string& path);

}  // namespace strata::detail
