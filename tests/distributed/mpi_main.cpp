// The Catch2 main of the MPI tests: every rank runs every test case in the same order (their
// collectives must meet). With STRATA_MPI_OUT set, rank r writes its report to
// $STRATA_MPI_OUT-rank<r>.txt, which run.sh reads.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "strata/distributed.hpp"

int main(int argc, char** argv) {
  strata::distributed::init(&argc, &argv);
  std::vector<std::string> args(argv, argv + argc);
  if (const char* out = std::getenv("STRATA_MPI_OUT"); out && *out) {
    args.push_back("--out");
    args.push_back(std::string(out) + "-rank" + std::to_string(strata::distributed::rank()) + ".txt");
  }
  std::vector<char*> ptrs;
  for (auto& a : args) ptrs.push_back(a.data());
  Catch::Session session;
  const int rc = session.applyCommandLine(static_cast<int>(ptrs.size()), ptrs.data());
  if (rc != 0) return rc;
  return session.run();
}
