#pragma once
/// Every op: elementwise math, reductions, linear algebra, shape and indexing.
#include "strata/ops/linalg.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/reduce.hpp"
#include "strata/ops/shape.hpp"
