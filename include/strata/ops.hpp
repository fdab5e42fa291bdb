#pragma once
/// Every op: elementwise math, reductions, linear algebra, shape and indexing, and the
/// neural-network ops of strata::nn.
#include "strata/ops/arrays.hpp"
#include "strata/ops/elementwise.hpp"
#include "strata/ops/linalg.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/nn.hpp"
#include "strata/ops/reduce.hpp"
#include "strata/ops/shape.hpp"
#include "strata/ops/sorting.hpp"
