#pragma once
/// Every standard layer (Keras's names and semantics) and the Layer base class.
#include "strata/layers/attention.hpp"
#include "strata/layers/conv.hpp"
#include "strata/layers/core.hpp"
#include "strata/layers/fields.hpp"
#include "strata/layers/layer.hpp"
#include "strata/layers/merge.hpp"
#include "strata/layers/noise.hpp"
#include "strata/layers/normalization.hpp"
#include "strata/layers/pooling.hpp"
#include "strata/layers/preprocessing.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/layers/reshaping.hpp"
