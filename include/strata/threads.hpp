#pragma once
/// One knob for every thread pool strata uses (OpenBLAS's and strata's own loops):
///   strata::set_num_threads(1);   // deterministic, single-core runs
/// The default is every core. strata never busy-waits beside BLAS's threads.
namespace strata {

void set_num_threads(int n);
int get_num_threads();

}  // namespace strata
