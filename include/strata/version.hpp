#pragma once
/// strata's version, "major.minor.patch" (written into saved files).
namespace strata {

const char* version();

}  // namespace strata
