#pragma once
/// The whole public API of strata, for programs that want one include:
///   #include <strata/strata.hpp>
#include "strata/autograd/functional.hpp"
#include "strata/autograd/gradcheck.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/autograd/variable.hpp"
#include "strata/blas.hpp"
#include "strata/dtype.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"
#include "strata/random.hpp"
#include "strata/shape.hpp"
#include "strata/tensor.hpp"
#include "strata/threads.hpp"
