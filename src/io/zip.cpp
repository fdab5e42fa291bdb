#include "io/zip.hpp"

#include <zip.h>

#include <memory>

#include "detail/errors.hpp"

namespace strata::detail {

namespace {

/// Largest expansion of deflate (1032:1) plus slack: an entry that claims more is a zip bomb.
constexpr std::uint64_t kMaxRatio = 1032;

std::string zip_message(zip_error_t* e) {
  const char* m = zip_error_strerror(e);
  return m ? m : "unknown error";
}

struct ArchiveCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct FileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

}  // namespace

std::vector<ZipEntry> zip_read(std::string_view bytes, const std::string& what) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) {
    const std::string m = zip_message(&err);
    zip_error_fini(&err);
    raise<IOError>("'{}': cannot read the zip archive: {}", what, m);
  }
  std::unique_ptr<zip_t, ArchiveCloser> za(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err));
  if (!za) {
    zip_source_free(src);
    const std::string m = zip_message(&err);
    zip_error_fini(&err);
    raise<IOError>("'{}': not a valid zip archive: {}", what, m);
  }
  zip_error_fini(&err);
  const zip_int64_t n = zip_get_num_entries(za.get(), 0);
  std::vector<ZipEntry> out;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
        !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
      raise<IOError>("'{}': zip entry {} is unreadable: {}", what, i, zip_strerror(za.get()));
    const std::string name = st.name;
    if (st.size > (st.comp_size + 1) * kMaxRatio || st.size > bytes.size() * kMaxRatio + 4096)
      raise<IOError>("'{}': zip entry '{}' claims {} bytes from {} compressed bytes", what, name, st.size,
                     st.comp_size);
    std::unique_ptr<zip_file_t, FileCloser> f(zip_fopen_index(za.get(), static_cast<zip_uint64_t>(i), 0));
    if (!f) raise<IOError>("'{}': cannot open zip entry '{}': {}", what, name, zip_strerror(za.get()));
    std::string data(static_cast<std::size_t>(st.size), '\0');
    std::uint64_t got = 0;
    while (got < st.size) {
      const zip_int64_t r = zip_fread(f.get(), data.data() + got, st.size - got);
      if (r < 0) raise<IOError>("'{}': zip entry '{}' is corrupt: {}", what, name, zip_file_strerror(f.get()));
      if (r == 0) break;
      got += static_cast<std::uint64_t>(r);
    }
    if (got != st.size)
      raise<IOError>("'{}': zip entry '{}' is truncated ({} of {} bytes)", what, name, got, st.size);
    char extra;  // reading past the end makes libzip check the CRC
    if (zip_fread(f.get(), &extra, 1) != 0)
      raise<IOError>("'{}': zip entry '{}' is corrupt: {}", what, name, zip_file_strerror(f.get()));
    out.push_back({name, std::move(data)});
  }
  return out;
}

std::string zip_write(const std::vector<ZipEntry>& entries, bool compressed, const std::string& what) {
  // libzip writes nothing for an archive without entries; the empty archive is its end record
  if (entries.empty()) return std::string("PK\x05\x06", 4) + std::string(18, '\0');
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* buf = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (!buf) raise<IOError>("'{}': cannot create a zip archive: {}", what, zip_message(&err));
  zip_source_keep(buf);  // still ours after the archive is closed
  std::unique_ptr<zip_source_t, decltype(&zip_source_free)> keep(buf, &zip_source_free);
  zip_t* za = zip_open_from_source(buf, ZIP_TRUNCATE, &err);
  if (!za) {
    const std::string m = zip_message(&err);
    zip_error_fini(&err);
    raise<IOError>("'{}': cannot create a zip archive: {}", what, m);
  }
  zip_error_fini(&err);
  for (const ZipEntry& e : entries) {
    zip_source_t* s = zip_source_buffer(za, e.data.data(), e.data.size(), 0);
    const zip_int64_t idx = s ? zip_file_add(za, e.name.c_str(), s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) : -1;
    if (idx < 0) {
      if (s) zip_source_free(s);
      const std::string m = zip_strerror(za);
      zip_discard(za);
      raise<IOError>("'{}': cannot add '{}' to the zip archive: {}", what, e.name, m);
    }
    zip_set_file_compression(za, static_cast<zip_uint64_t>(idx), compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(za) != 0) {
    const std::string m = zip_strerror(za);
    zip_discard(za);
    raise<IOError>("'{}': cannot write the zip archive: {}", what, m);
  }
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(buf, &st) != 0 || zip_source_open(buf) != 0)
    raise<IOError>("'{}': cannot read back the zip archive", what);
  std::string out(static_cast<std::size_t>(st.size), '\0');
  const zip_int64_t r = zip_source_read(buf, out.data(), st.size);
  zip_source_close(buf);
  if (r < 0 || static_cast<zip_uint64_t>(r) != st.size) raise<IOError>("'{}': cannot read back the zip archive", what);
  return out;
}

}  // namespace strata::detail
