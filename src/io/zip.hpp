#pragma once
// Zip archives in memory (libzip): .npz and .keras files. Reading treats the archive as
// untrusted: each entry's size is bounded by what its compressed data can expand to, and a
// corrupt archive or entry (bad CRC, truncated) throws IOError naming the source.
#include <string>
#include <string_view>
#include <vector>

namespace strata::detail {

struct ZipEntry {
  std::string name;
  std::string data;
};

/// Every entry of the archive, in archive order.
std::vector<ZipEntry> zip_read(std::string_view bytes, const std::string& what);
/// An archive of the entries (deflated when `compressed`, stored otherwise).
std::string zip_write(const std::vector<ZipEntry>& entries, bool compressed, const std::string& what);

}  // namespace strata::detail
