// The world of one of a build without MPI: every collective is a copy.
#include <cstring>

#include "distributed/comm.hpp"

namespace strata::distributed::comm {

bool available() { return false; }
void init(int*, char***) {}
bool initialized() { return false; }
int rank() { return 0; }
int size() { return 1; }
void barrier() {}
void broadcast(void*, std::size_t, int) {}
void allgather(const void* in, std::size_t bytes, void* out) {
  if (bytes) std::memmove(out, in, bytes);
}
void alltoallv(const void* send, const std::vector<std::size_t>& send_counts,
               const std::vector<std::size_t>& send_offsets, void* recv, const std::vector<std::size_t>&,
               const std::vector<std::size_t>& recv_offsets) {
  if (send_counts[0])
    std::memmove(static_cast<char*>(recv) + recv_offsets[0], static_cast<const char*>(send) + send_offsets[0],
                 send_counts[0]);
}
void allgatherv(const void* in, void* out, const std::vector<std::size_t>& counts,
                const std::vector<std::size_t>& offsets) {
  if (counts[0]) std::memmove(static_cast<char*>(out) + offsets[0], in, counts[0]);
}

}  // namespace strata::distributed::comm
