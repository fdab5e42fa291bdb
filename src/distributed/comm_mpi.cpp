// The transport over MPI. strata talks on its own duplicate of MPI_COMM_WORLD, with errors
// returned (not aborting), each turned into a RuntimeError naming the call.
// the C API only: the deprecated C++ bindings warn and are never used here
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "detail/errors.hpp"
#include "distributed/comm.hpp"

namespace strata::distributed::comm {

namespace {

MPI_Comm g_comm = MPI_COMM_NULL;
bool g_owns_mpi = false;  // init() initialised MPI, so it finalises it at exit

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  detail::raise<RuntimeError>("distributed: {} failed: {}", call, std::string(text, static_cast<std::size_t>(len)));
}

int count_of(std::size_t bytes, const char* call) {
  if (bytes > static_cast<std::size_t>(INT_MAX))
    detail::raise<ValueError>("distributed: {} of {} bytes: MPI counts stop at {} bytes per message", call, bytes,
                              INT_MAX);
  return static_cast<int>(bytes);
}

std::vector<int> counts_of(const std::vector<std::size_t>& v, const char* call) {
  std::vector<int> out;
  out.reserve(v.size());
  for (std::size_t b : v) out.push_back(count_of(b, call));
  return out;
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (g_comm != MPI_COMM_NULL) MPI_Comm_free(&g_comm);
  MPI_Finalize();
}

/// strata's communicator, made on first use once MPI is initialised (by init() or the program).
MPI_Comm comm() {
  if (g_comm != MPI_COMM_NULL) return g_comm;
  check(MPI_Comm_dup(MPI_COMM_WORLD, &g_comm), "MPI_Comm_dup");
  check(MPI_Comm_set_errhandler(g_comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  return g_comm;
}

}  // namespace

bool available() { return true; }

void init(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    g_owns_mpi = true;
    std::atexit(finalize_at_exit);
  }
  comm();
}

bool initialized() {
  int initialised = 0, finalized = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalized);
  return initialised && !finalized;
}

int rank() {
  if (!initialized()) return 0;
  int r = 0;
  check(MPI_Comm_rank(comm(), &r), "MPI_Comm_rank");
  return r;
}

int size() {
  if (!initialized()) return 1;
  int n = 1;
  check(MPI_Comm_size(comm(), &n), "MPI_Comm_size");
  return n;
}

void barrier() {
  if (initialized()) check(MPI_Barrier(comm()), "MPI_Barrier");
}

void broadcast(void* data, std::size_t bytes, int root) {
  if (!initialized() || bytes == 0) return;
  check(MPI_Bcast(data, count_of(bytes, "broadcast"), MPI_BYTE, root, comm()), "MPI_Bcast");
}

void allgather(const void* in, std::size_t bytes, void* out) {
  if (!initialized()) {
    if (bytes) std::memmove(out, in, bytes);
    return;
  }
  const int n = count_of(bytes, "allgather");
  check(MPI_Allgather(in, n, MPI_BYTE, out, n, MPI_BYTE, comm()), "MPI_Allgather");
}

void alltoallv(const void* send, const std::vector<std::size_t>& send_counts,
               const std::vector<std::size_t>& send_offsets, void* recv, const std::vector<std::size_t>& recv_counts,
               const std::vector<std::size_t>& recv_offsets) {
  if (!initialized()) {
    if (send_counts[0])
      std::memmove(static_cast<char*>(recv) + recv_offsets[0], static_cast<const char*>(send) + send_offsets[0],
                   send_counts[0]);
    return;
  }
  const auto sc = counts_of(send_counts, "alltoallv"), so = counts_of(send_offsets, "alltoallv"),
             rc = counts_of(recv_counts, "alltoallv"), ro = counts_of(recv_offsets, "alltoallv");
  check(MPI_Alltoallv(send, sc.data(), so.data(), MPI_BYTE, recv, rc.data(), ro.data(), MPI_BYTE, comm()),
        "MPI_Alltoallv");
}

void allgatherv(const void* in, void* out, const std::vector<std::size_t>& counts,
                const std::vector<std::size_t>& offsets) {
  if (!initialized()) {
    if (counts[0]) std::memmove(static_cast<char*>(out) + offsets[0], in, counts[0]);
    return;
  }
  const auto c = counts_of(counts, "allgatherv"), o = counts_of(offsets, "allgatherv");
  const auto me = static_cast<std::size_t>(rank());
  // this rank's part already in place in `out` (as the reductions leave it) is MPI_IN_PLACE
  const bool in_place = in == static_cast<const char*>(out) + offsets[me];
  check(MPI_Allgatherv(in_place ? MPI_IN_PLACE : in, c[me], MPI_BYTE, out, c.data(), o.data(), MPI_BYTE, comm()),
        "MPI_Allgatherv");
}

}  // namespace strata::distributed::comm
