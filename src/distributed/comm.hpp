#pragma once
// The transport under strata::distributed: byte-level collectives on strata's own communicator.
// comm_mpi.cpp implements it over MPI (a duplicate of MPI_COMM_WORLD, so strata's messages never
// meet the program's own); comm_local.cpp is the world of one a build without MPI has. The
// reductions' arithmetic (fixed-order sums) lives in distributed.cpp, above this layer, so both
// transports add in the same order.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::distributed::comm {

bool available();
void init(int* argc, char*** argv);
bool initialized();
int rank();
int size();
void barrier();
/// root's `bytes` bytes at `data` into every rank's `data`.
void broadcast(void* data, std::size_t bytes, int root);
/// Every rank's `bytes` bytes, concatenated in rank order into `out` (size() * bytes).
void allgather(const void* in, std::size_t bytes, void* out);
/// Personalised exchange: this rank sends send_counts[r] bytes from send + send_offsets[r] to
/// rank r and receives recv_counts[r] bytes from rank r at recv + recv_offsets[r].
void alltoallv(const void* send, const std::vector<std::size_t>& send_counts,
               const std::vector<std::size_t>& send_offsets, void* recv, const std::vector<std::size_t>& recv_counts,
               const std::vector<std::size_t>& recv_offsets);
/// Every rank's counts[r] bytes (its own at `in`) into out + offsets[r], on every rank.
void allgatherv(const void* in, void* out, const std::vector<std::size_t>& counts,
                const std::vector<std::size_t>& offsets);

}  // namespace strata::distributed::comm
