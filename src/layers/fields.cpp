#include "strata/layers/fields.hpp"

#include "detail/errors.hpp"

namespace strata::layers::detail_fields {

void refuse(const std::string& cls, const std::string& key, const Config& value) {
  strata::detail::raise<ValueError>("{}: {}={} is not supported", cls, key, value.dump());
}

void missing(const std::string& cls, const std::string& key) {
  strata::detail::raise<ValueError>("{}: the config has no '{}'", cls, key);
}

}  // namespace strata::layers::detail_fields
