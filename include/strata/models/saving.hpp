#pragma once
/// Former name of strata/models/serialization.hpp (model_from_json and model_from_config): the
/// architecture JSON is serialization, not saving, which lives in strata/io/saving.hpp.
#include "strata/models/serialization.hpp"
