// Unit tests for models/collective: the step schedules of every collective kind x algorithm and
// their closed forms. Expected values are derived in the comments from the definitions in
// collective.hpp and docs/collectives.md (ring: n-1 steps per phase, one chunk to the successor
// per step; direct: every peer at once; chunks differ by at most one byte). Beyond the hand
// cases, three generic checks run over every kind x algorithm x n in {1,2,3,5,7,8,12,16} x
// bytes in {0,1,7,1000003}: the pairing invariant the engine relies on, a symbolic execution that
// proves each schedule computes its collective, and the closed forms against an independent
// evaluation of the schedule under the engine's rules.
//
#include "models/collective.hpp"

#include "core/error.hpp"
#include "core/units.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

constexpr CollectiveKind kAllKinds[] = {CollectiveKind::AllReduce, CollectiveKind::AllGather,
                                        CollectiveKind::ReduceScatter, CollectiveKind::AllToAll,
                                        CollectiveKind::Broadcast,     CollectiveKind::Reduce};

// Group sizes and buffer sizes the ring checks run over. The sizes are chosen not to divide
// evenly by every n, so chunks of two sizes occur: 1000003 % 8 = 3, % 5 = 3, % 3 = 2, % 2 = 1;
// 7 bytes over 8 ranks leaves one chunk empty.
const int kGroupSizes[] = {2, 3, 5, 8};
const std::uint64_t kSizes[] = {7, 12, 1000003};

std::uint64_t sum_chunks(const CollectiveSchedule& c) {
  std::uint64_t s = 0;
  for (int k = 0; k < c.group_size(); ++k) s += CollectiveSchedule::piece(c.shape().bytes, c.group_size(), k);
  return s;
}

// For every step and position of a ring schedule: one send to the successor, one receive from
// the predecessor, and what p sends is exactly what p+1 receives in the same step.
void check_ring_matches(CollectiveKind kind, int n, std::uint64_t bytes) {
  const CollectiveSchedule c(make_shape(kind, CollectiveAlgorithm::Ring, n, bytes));
  INFO(to_string(kind) << " n=" << n << " bytes=" << bytes);
  for (int s = 0; s < c.num_steps(); ++s)
    for (int p = 0; p < n; ++p) {
      const StepWork mine = c.step(p, s);
      const int next = (p + 1) % n;
      const StepWork succ = c.step(next, s);
      REQUIRE(mine.sends.size() == 1u);
      REQUIRE(mine.recvs.size() == 1u);
      REQUIRE(succ.recvs.size() == 1u);
      CHECK(mine.sends[0].peer == next);
      CHECK(mine.recvs[0].peer == (p + n - 1) % n);
      CHECK(succ.recvs[0].peer == p);
      CHECK(succ.recvs[0].bytes == mine.sends[0].bytes);
    }
}

}  // namespace

// ---- step counts -------------------------------------------------------------------------------

TEST_CASE("collective: ring step counts", "[collective]") {
  for (const int n : {2, 3, 8, 72}) {
    // All-reduce = reduce-scatter (n-1) + all-gather (n-1) = 2(n-1).
    CHECK(CollectiveSchedule(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, n, 1000)).num_steps() == 2 * (n - 1));
    CHECK(CollectiveSchedule(make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, n, 1000)).num_steps() == n - 1);
    CHECK(CollectiveSchedule(make_shape(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Ring, n, 1000)).num_steps() == n - 1);
  }
  // 4608 ranks: 2 * 4607 = 9214 steps, computed without materialising them.
  CHECK(CollectiveSchedule(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 4608, 1 << 20)).num_steps() == 9214);
}

TEST_CASE("collective: direct step counts", "[collective]") {
  for (const int n : {2, 5, 8}) {
    // Direct all-reduce: one reduce-scatter step then one all-gather step.
    CHECK(CollectiveSchedule(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Direct, n, 1000)).num_steps() == 2);
    CHECK(CollectiveSchedule(make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Direct, n, 1000)).num_steps() == 1);
    CHECK(CollectiveSchedule(make_shape(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Direct, n, 1000)).num_steps() == 1);
    CHECK(CollectiveSchedule(make_shape(CollectiveKind::AllToAll, CollectiveAlgorithm::Direct, n, 1000)).num_steps() == 1);
  }
}

TEST_CASE("collective: a group of one has no step", "[collective]") {
  for (const CollectiveKind k : kAllKinds)
    for (const CollectiveAlgorithm a : algorithms_for(k)) {
      const CollectiveSchedule c(make_shape(k, a, 1, 1000));
      CHECK(c.num_steps() == 0);
      CHECK(c.group_size() == 1);
      CHECK(CollectiveSchedule::piece(c.shape().bytes, c.group_size(), 0) == 1000u);  // the one chunk is the whole buffer
    }
}

// ---- chunks ------------------------------------------------------------------------------------

TEST_CASE("collective: 10 bytes over 4 ranks are chunks of 3 3 2 2", "[collective]") {
  const CollectiveSchedule c(make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 4, 10));
  // 10 = 4 * 2 + 2: the first 2 chunks get the extra byte.
  CHECK(CollectiveSchedule::piece(c.shape().bytes, c.group_size(), 0) == 3u);
  CHECK(CollectiveSchedule::piece(c.shape().bytes, c.group_size(), 1) == 3u);
  CHECK(CollectiveSchedule::piece(c.shape().bytes, c.group_size(), 2) == 2u);
  CHECK(CollectiveSchedule::piece(c.shape().bytes, c.group_size(), 3) == 2u);
}

TEST_CASE("collective: chunks add up to the buffer and differ by at most one byte", "[collective]") {
  for (const int n : {1, 2, 3, 5, 7, 8, 72, 4608})
    for (const std::uint64_t bytes : {0ULL, 1ULL, 7ULL, 10ULL, 4607ULL, 1000003ULL, 1ULL << 30}) {
      const CollectiveSchedule c(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, n, bytes));
      INFO("n=" << n << " bytes=" << bytes);
      CHECK(sum_chunks(c) == bytes);
      std::uint64_t lo = CollectiveSchedule::piece(c.shape().bytes, c.group_size(), 0);
      std::uint64_t hi = lo;
      for (int k = 0; k < n; ++k) {
        lo = std::min(lo, CollectiveSchedule::piece(c.shape().bytes, c.group_size(), k));
        hi = std::max(hi, CollectiveSchedule::piece(c.shape().bytes, c.group_size(), k));
      }
      CHECK(hi - lo <= 1u);
      // floor(bytes / n) is the smallest chunk.
      CHECK(lo == bytes / static_cast<std::uint64_t>(n));
    }
}

TEST_CASE("collective: 1 GiB over 8 ranks is 8 equal chunks", "[collective]") {
  const CollectiveSchedule c(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 8, 1ULL << 30));
  // 2^30 / 8 = 2^27 = 134217728 bytes each.
  for (int k = 0; k < 8; ++k) CHECK(CollectiveSchedule::piece(c.shape().bytes, c.group_size(), k) == 134217728u);
}

// ---- ring schedules ------------------------------------------------------------------------------

TEST_CASE("collective: ring all-reduce sends what the successor receives", "[collective]") {
  for (const int n : kGroupSizes)
    for (const std::uint64_t bytes : kSizes) check_ring_matches(CollectiveKind::AllReduce, n, bytes);
}

TEST_CASE("collective: ring all-gather sends what the successor receives", "[collective]") {
  for (const int n : kGroupSizes)
    for (const std::uint64_t bytes : kSizes) check_ring_matches(CollectiveKind::AllGather, n, bytes);
}

TEST_CASE("collective: ring reduce-scatter sends what the successor receives", "[collective]") {
  for (const int n : kGroupSizes)
    for (const std::uint64_t bytes : kSizes) check_ring_matches(CollectiveKind::ReduceScatter, n, bytes);
}

TEST_CASE("collective: ring all-gather delivers every other chunk once", "[collective]") {
  // n = 5, 12 bytes: chunks 3 3 2 2 2 (12 = 5 * 2 + 2). Rank p starts with chunk p and must
  // receive the other 4 once each: 12 - chunk(p) bytes, over 4 receives, of which as many are
  // 3-byte chunks as there are 3-byte chunks other than its own.
  const CollectiveSchedule c(make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 5, 12));
  for (int p = 0; p < 5; ++p) {
    std::uint64_t total = 0;
    int big = 0;
    int received = 0;
    for (int s = 0; s < c.num_steps(); ++s) {
      const StepWork plan = c.step(p, s);
      for (const auto& r : plan.recvs) {
        total += r.bytes;
        big += r.bytes == 3u ? 1 : 0;
        ++received;
      }
      CHECK(plan.reduce_bytes == 0u);  // all-gather reduces nothing
    }
    CHECK(received == 4);
    CHECK(total == 12u - CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
    CHECK(big == (p < 2 ? 1 : 2));  // ranks 0 and 1 own one of the two 3-byte chunks
  }
  // Over every n and size: each rank receives n-1 chunks totalling S - chunk(p).
  for (const int n : kGroupSizes)
    for (const std::uint64_t bytes : kSizes) {
      const CollectiveSchedule g(make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, n, bytes));
      for (int p = 0; p < n; ++p) {
        std::uint64_t total = 0;
        for (int s = 0; s < g.num_steps(); ++s) total += g.step(p, s).recvs.at(0).bytes;
        CHECK(total == bytes - CollectiveSchedule::piece(g.shape().bytes, g.group_size(), p));
      }
    }
}

TEST_CASE("collective: ring all-gather sends its own chunk first", "[collective]") {
  // Rank p starts with chunk p, so step 0 sends chunk(p): with 10 bytes over 4 (3 3 2 2) ranks
  // 0 and 1 send 3 bytes, ranks 2 and 3 send 2.
  const CollectiveSchedule c(make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 4, 10));
  for (int p = 0; p < 4; ++p) CHECK(c.step(p, 0).sends.at(0).bytes == CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
}

TEST_CASE("collective: ring reduce-scatter reduces n-1 chunks per rank", "[collective]") {
  for (const int n : kGroupSizes)
    for (const std::uint64_t bytes : kSizes) {
      const CollectiveSchedule c(make_shape(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Ring, n, bytes));
      for (int p = 0; p < n; ++p) {
        INFO("n=" << n << " bytes=" << bytes << " p=" << p);
        std::uint64_t reduced = 0;
        int reductions = 0;
        for (int s = 0; s < c.num_steps(); ++s) {
          const StepWork plan = c.step(p, s);
          // Each step reduces exactly the chunk received in it.
          CHECK(plan.reduce_bytes == plan.recvs.at(0).bytes);
          reduced += plan.reduce_bytes;
          ++reductions;
        }
        // n-1 reductions; rank p ends owning chunk (p+1) mod n, having reduced every chunk
        // but the one it started sending (chunk p): S - chunk(p) bytes.
        CHECK(reductions == n - 1);
        CHECK(reduced == bytes - CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
      }
    }
}

TEST_CASE("collective: ring all-reduce reduces only in its first half", "[collective]") {
  for (const int n : kGroupSizes) {
    const std::uint64_t bytes = 1000003;
    const CollectiveSchedule c(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, n, bytes));
    for (int p = 0; p < n; ++p) {
      std::uint64_t reduced = 0;
      std::uint64_t gathered = 0;
      for (int s = 0; s < c.num_steps(); ++s) {
        const StepWork plan = c.step(p, s);
        if (s < n - 1) {
          CHECK(plan.reduce_bytes == plan.recvs.at(0).bytes);
          reduced += plan.reduce_bytes;
        } else {
          CHECK(plan.reduce_bytes == 0u);
          gathered += plan.recvs.at(0).bytes;
        }
      }
      // Reduce-scatter half: every chunk but chunk p is reduced here, ending with the reduced
      // chunk (p+1) mod n. All-gather half: every reduced chunk but its own arrives.
      CHECK(reduced == bytes - CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
      CHECK(gathered == bytes - CollectiveSchedule::piece(c.shape().bytes, c.group_size(), (p + 1) % n));
      // The all-gather half starts by sending the reduced chunk it owns, (p+1) mod n.
      CHECK(c.step(p, n - 1).sends.at(0).bytes == CollectiveSchedule::piece(c.shape().bytes, c.group_size(), (p + 1) % n));
    }
  }
}

TEST_CASE("collective: ring all-reduce of 2 ranks swaps halves twice", "[collective]") {
  // n = 2, 5 bytes: chunks 3 and 2. Step 0 (reduce-scatter): rank 0 sends chunk 0 (3 B) and
  // receives chunk 1 (2 B). Step 1 (all-gather): rank 0 owns reduced chunk 1 and sends it (2 B),
  // receiving reduced chunk 0 (3 B).
  const CollectiveSchedule c(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 2, 5));
  REQUIRE(c.num_steps() == 2);
  CHECK(c.step(0, 0).sends.at(0).bytes == 3u);
  CHECK(c.step(0, 0).recvs.at(0).bytes == 2u);
  CHECK(c.step(0, 0).reduce_bytes == 2u);
  CHECK(c.step(0, 1).sends.at(0).bytes == 2u);
  CHECK(c.step(0, 1).recvs.at(0).bytes == 3u);
  CHECK(c.step(0, 1).reduce_bytes == 0u);
  CHECK(c.step(0, 0).sends.at(0).peer == 1);
  CHECK(c.step(1, 0).sends.at(0).peer == 0);
}

// ---- direct schedules ----------------------------------------------------------------------------

TEST_CASE("collective: direct all-to-all sends and receives n-1 messages", "[collective]") {
  for (const int n : {2, 3, 5, 8}) {
    const CollectiveSchedule c(make_shape(CollectiveKind::AllToAll, CollectiveAlgorithm::Direct, n, 1000003));
    for (int p = 0; p < n; ++p) {
      const StepWork plan = c.step(p, 0);
      CHECK(plan.sends.size() == static_cast<std::size_t>(n - 1));
      CHECK(plan.recvs.size() == static_cast<std::size_t>(n - 1));
      std::set<int> to;
      std::set<int> from;
      for (const auto& t : plan.sends) to.insert(t.peer);
      for (const auto& r : plan.recvs) from.insert(r.peer);
      // Every peer once, never itself.
      CHECK(to.size() == static_cast<std::size_t>(n - 1));
      CHECK(from.size() == static_cast<std::size_t>(n - 1));
      CHECK(to.count(p) == 0u);
      CHECK(from.count(p) == 0u);
      CHECK(plan.reduce_bytes == 0u);
    }
  }
}

TEST_CASE("collective: direct all-to-all sizes agree at both ends", "[collective]") {
  // 10 bytes over 4 ranks: chunks 3 3 2 2. Rank p sends chunk q of its buffer to q and receives
  // chunk p of every peer: it sends S - chunk(p) and receives (n-1) * chunk(p).
  const int n = 4;
  const CollectiveSchedule c(make_shape(CollectiveKind::AllToAll, CollectiveAlgorithm::Direct, n, 10));
  for (int p = 0; p < n; ++p) {
    const StepWork plan = c.step(p, 0);
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    for (const auto& t : plan.sends) {
      sent += t.bytes;
      CHECK(t.bytes == CollectiveSchedule::piece(c.shape().bytes, c.group_size(), t.peer));
      // The peer lists a receive from p of the same size.
      const StepWork peer = c.step(t.peer, 0);
      int matches = 0;
      for (const auto& r : peer.recvs)
        if (r.peer == p) {
          ++matches;
          CHECK(r.bytes == t.bytes);
        }
      CHECK(matches == 1);
    }
    for (const auto& r : plan.recvs) received += r.bytes;
    CHECK(sent == 10u - CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
    CHECK(received == 3u * CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
  }
}

TEST_CASE("collective: direct all-reduce is a reduce-scatter then an all-gather", "[collective]") {
  // n = 4, 10 bytes (3 3 2 2). Step 0: rank p receives chunk p from 3 peers and reduces them,
  // 3 * chunk(p) bytes. Step 1: it sends its reduced chunk p to the 3 peers and receives theirs.
  const CollectiveSchedule c(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Direct, 4, 10));
  for (int p = 0; p < 4; ++p) {
    const StepWork rs = c.step(p, 0);
    const StepWork ag = c.step(p, 1);
    REQUIRE(rs.recvs.size() == 3u);
    REQUIRE(ag.sends.size() == 3u);
    CHECK(rs.reduce_bytes == 3u * CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
    CHECK(ag.reduce_bytes == 0u);
    for (const auto& r : rs.recvs) CHECK(r.bytes == CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
    for (const auto& t : ag.sends) CHECK(t.bytes == CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
    std::uint64_t gathered = 0;
    for (const auto& r : ag.recvs) {
      CHECK(r.bytes == CollectiveSchedule::piece(c.shape().bytes, c.group_size(), r.peer));
      gathered += r.bytes;
    }
    CHECK(gathered == 10u - CollectiveSchedule::piece(c.shape().bytes, c.group_size(), p));
  }
}

TEST_CASE("collective: direct all-gather and reduce-scatter match at both ends", "[collective]") {
  for (const CollectiveKind k : {CollectiveKind::AllGather, CollectiveKind::ReduceScatter})
    for (const int n : {2, 3, 5, 8}) {
      const CollectiveSchedule c(make_shape(k, CollectiveAlgorithm::Direct, n, 1000003));
      for (int p = 0; p < n; ++p)
        for (const auto& t : c.step(p, 0).sends) {
          int matches = 0;
          for (const auto& r : c.step(t.peer, 0).recvs)
            if (r.peer == p) {
              ++matches;
              CHECK(r.bytes == t.bytes);
            }
          CHECK(matches == 1);
        }
    }
}

// ---- alpha-beta closed forms ----------------------------------------------------------------------

TEST_CASE("collective: ring all-reduce closed form", "[collective]") {
  // n = 8, S = 1 GB, alpha = 5 us, B = 50 GB/s:
  // 2 * 7 * (5e-6 + 1e9 / (8 * 50e9)) = 14 * (5e-6 + 2.5e-3) = 14 * 2.505e-3 = 0.03507 s.
  const Seconds t = ring_all_reduce_time(8, Bytes(1e9), Seconds(5e-6), BytesPerSecond(50e9));
  CHECK(t.value() == Approx(0.03507).epsilon(1e-12));
}

TEST_CASE("collective: ring all-gather and reduce-scatter closed forms", "[collective]") {
  // 7 * (5e-6 + 2.5e-3) = 0.017535 s for both.
  CHECK(ring_all_gather_time(8, Bytes(1e9), Seconds(5e-6), BytesPerSecond(50e9)).value() ==
        Approx(0.017535).epsilon(1e-12));
  CHECK(ring_reduce_scatter_time(8, Bytes(1e9), Seconds(5e-6), BytesPerSecond(50e9)).value() ==
        Approx(0.017535).epsilon(1e-12));
  // n = 72, S = 72 MB, alpha = 1 us, B = 1 TB/s: 71 * (1e-6 + 1e6 / 1e12) = 71 * 2e-6 = 142 us.
  CHECK(ring_all_gather_time(72, Bytes(72e6), Seconds(1e-6), BytesPerSecond(1e12)).value() ==
        Approx(142e-6).epsilon(1e-12));
}

TEST_CASE("collective: direct all-to-all closed form", "[collective]") {
  // n = 8, S = 1 GB, alpha = 5 us, B = 50 GB/s: 5e-6 + (7/8) * 1e9 / 50e9 = 5e-6 + 0.0175
  // = 0.017505 s.
  CHECK(direct_all_to_all_time(8, Bytes(1e9), Seconds(5e-6), BytesPerSecond(50e9)).value() ==
        Approx(0.017505).epsilon(1e-12));
  // n = 2, S = 100 MB, alpha = 0, B = 50 GB/s: (1/2) * 1e8 / 5e10 = 1 ms.
  CHECK(direct_all_to_all_time(2, Bytes(1e8), Seconds(0.0), BytesPerSecond(50e9)).value() ==
        Approx(1e-3).epsilon(1e-12));
}

TEST_CASE("collective: closed forms are zero for a group of one", "[collective]") {
  // n - 1 = 0 steps, and an all-to-all with no peer sends nothing.
  const Bytes s(1e9);
  const Seconds a(5e-6);
  const BytesPerSecond b(50e9);
  CHECK(ring_all_reduce_time(1, s, a, b).value() == 0.0);
  CHECK(ring_all_gather_time(1, s, a, b).value() == 0.0);
  CHECK(ring_reduce_scatter_time(1, s, a, b).value() == 0.0);
  CHECK(direct_all_to_all_time(1, s, a, b).value() == 0.0);
}

TEST_CASE("collective: ring all-reduce is twice the all-gather", "[collective]") {
  // 2(n-1)(alpha + S/(nB)) = 2 * (n-1)(alpha + S/(nB)).
  for (const int n : {2, 3, 8, 4608}) {
    const Seconds ar = ring_all_reduce_time(n, Bytes(3e8), Seconds(2e-6), BytesPerSecond(4e11));
    const Seconds ag = ring_all_gather_time(n, Bytes(3e8), Seconds(2e-6), BytesPerSecond(4e11));
    CHECK(ar.value() == Approx(2.0 * ag.value()));
  }
}

// ---- algorithms and names ------------------------------------------------------------------------

TEST_CASE("collective: ring all-to-all is refused", "[collective]") {
  CHECK_THROWS_AS(CollectiveSchedule(make_shape(CollectiveKind::AllToAll, CollectiveAlgorithm::Ring, 8, 1000)), Error);
  CHECK_THROWS_WITH(CollectiveSchedule(make_shape(CollectiveKind::AllToAll, CollectiveAlgorithm::Ring, 8, 1000)),
                    Contains("all_to_all") && Contains("ring"));
}

TEST_CASE("collective: an empty group is refused", "[collective]") {
  CHECK_THROWS_AS(CollectiveSchedule(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 1000)), Error);
  CHECK_THROWS_AS(CollectiveSchedule(make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Direct, -3, 1000)), Error);
}

TEST_CASE("collective: algorithms available per kind", "[collective]") {
  using A = CollectiveAlgorithm;
  CHECK(algorithms_for(CollectiveKind::AllToAll) == std::vector<A>{A::Direct});
  CHECK(algorithms_for(CollectiveKind::AllReduce) ==
        std::vector<A>{A::Ring, A::Direct, A::Tree, A::HalvingDoubling, A::Hierarchical, A::Nvls});
  for (const CollectiveKind k : {CollectiveKind::AllGather, CollectiveKind::ReduceScatter})
    CHECK(algorithms_for(k) == std::vector<A>{A::Ring, A::Direct, A::HalvingDoubling, A::Hierarchical, A::Nvls});
  for (const CollectiveKind k : {CollectiveKind::Broadcast, CollectiveKind::Reduce})
    CHECK(algorithms_for(k) == std::vector<A>{A::Ring, A::Direct, A::Tree});
}

TEST_CASE("collective: kind and algorithm names round-trip", "[collective]") {
  for (const CollectiveKind k : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter,
                                 CollectiveKind::AllToAll, CollectiveKind::Broadcast, CollectiveKind::Reduce})
    CHECK(collective_kind_from_string(to_string(k)) == k);
  for (const CollectiveAlgorithm a : {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Direct, CollectiveAlgorithm::Tree,
                                      CollectiveAlgorithm::HalvingDoubling, CollectiveAlgorithm::Hierarchical,
                                      CollectiveAlgorithm::Nvls, CollectiveAlgorithm::Auto})
    CHECK(collective_algorithm_from_string(to_string(a)) == a);
  CHECK(to_string(CollectiveKind::AllReduce) == "all_reduce");
  CHECK(to_string(CollectiveKind::ReduceScatter) == "reduce_scatter");
  CHECK(to_string(CollectiveKind::Broadcast) == "broadcast");
  CHECK(to_string(CollectiveAlgorithm::HalvingDoubling) == "halving_doubling");
  CHECK(collective_algorithm_from_string("ring") == CollectiveAlgorithm::Ring);
  CHECK(collective_algorithm_from_string("direct") == CollectiveAlgorithm::Direct);
  CHECK(collective_algorithm_from_string("nvls") == CollectiveAlgorithm::Nvls);
  CHECK_FALSE(collective_kind_from_string("allreduce").has_value());
  CHECK_FALSE(collective_kind_from_string("").has_value());
  CHECK_FALSE(collective_algorithm_from_string("pairwise").has_value());
  CHECK_FALSE(collective_algorithm_from_string("Ring").has_value());
}

// ---- shared helpers for the checks over every kind x algorithm ---------------------------------

namespace {

constexpr CollectiveKind kEveryKind[] = {CollectiveKind::AllReduce, CollectiveKind::AllGather,
                                         CollectiveKind::ReduceScatter, CollectiveKind::AllToAll,
                                         CollectiveKind::Broadcast, CollectiveKind::Reduce};
const int kCheckSizes[] = {1, 2, 3, 5, 7, 8, 12, 16};
const std::uint64_t kCheckBytes[] = {0, 1, 7, 1000003};

// The shapes the generic checks run for one kind, algorithm, n and size: root and chunk
// variants for broadcast / reduce / tree, every intra x inter pair and domain size for
// hierarchical, a skewed count matrix for all_to_all(v).
std::vector<CollectiveShape> shapes_for(CollectiveKind k, CollectiveAlgorithm a, int n, std::uint64_t bytes) {
  std::vector<CollectiveShape> out;
  const CollectiveShape base = make_shape(k, a, n, bytes);
  if (a == CollectiveAlgorithm::Hierarchical) {
    using A = CollectiveAlgorithm;
    const bool ar = k == CollectiveKind::AllReduce;
    const std::vector<A> intras = ar ? std::vector<A>{A::Ring, A::Direct} : std::vector<A>{A::Ring, A::Direct, A::Nvls};
    const std::vector<A> inters = ar ? std::vector<A>{A::Ring, A::Tree, A::HalvingDoubling} : std::vector<A>{A::Ring, A::HalvingDoubling};
    if (n == 1) out.push_back(base);
    for (int g = 2; g < n; ++g) {
      if (n % g != 0) continue;
      for (const auto intra : intras)
        for (const auto inter : inters) {
          CollectiveShape s = base;
          s.domain_size = g;
          s.intra = intra;
          s.inter = inter;
          s.chunks = 2;
          out.push_back(s);
        }
    }
    return out;
  }
  if (k == CollectiveKind::Broadcast || k == CollectiveKind::Reduce || a == CollectiveAlgorithm::Tree) {
    for (const int root : {0, n - 1, n / 2})
      for (const int chunks : {1, 3}) {
        CollectiveShape s = base;
        s.root = (k == CollectiveKind::Broadcast || k == CollectiveKind::Reduce) ? root : 0;
        s.chunks = chunks;
        out.push_back(s);
      }
    return out;
  }
  out.push_back(base);
  const bool ring_kind = k == CollectiveKind::AllReduce || k == CollectiveKind::AllGather || k == CollectiveKind::ReduceScatter;
  if (ring_kind && a == CollectiveAlgorithm::Ring && n >= 3) {
    // Multi-ring channels: 2, and as many edge-disjoint rings as the search finds (n-1 but for 4 and 6).
    for (const int ch : {2, static_cast<int>(mesh_rings(n, n - 1).size())}) {
      if (ch < 2) continue;
      CollectiveShape c = base;
      c.channels = ch;
      out.push_back(c);
    }
  }
  if (k == CollectiveKind::AllToAll) {
    CollectiveShape v = base;  // all_to_all(v): p sends q (p * 7 + q * 3) % 11 * bytes / 10 bytes, some zero
    v.counts.resize(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
    for (int p = 0; p < n; ++p)
      for (int q = 0; q < n; ++q)
        v.counts[static_cast<std::size_t>(p * n + q)] = static_cast<std::uint64_t>((p * 7 + q * 3) % 11) * bytes / 10;
    out.push_back(v);
  }
  return out;
}

std::string describe(const CollectiveShape& s) {
  std::ostringstream o;
  o << to_string(s.kind) << " " << to_string(s.algorithm) << " n=" << s.group_size << " bytes=" << s.bytes
    << " root=" << s.root << " chunks=" << s.chunks << " g=" << s.domain_size << " intra=" << to_string(s.intra)
    << " inter=" << to_string(s.inter) << " channels=" << s.channels << (s.counts.empty() ? "" : " (v)");
  return o.str();
}

// Every valid shape of the generic checks.
template <class F>
void for_every_shape(F&& f) {
  for (const CollectiveKind k : kEveryKind)
    for (const CollectiveAlgorithm a : algorithms_for(k))
      for (const int n : kCheckSizes)
        for (const std::uint64_t bytes : kCheckBytes)
          for (const CollectiveShape& s : shapes_for(k, a, n, bytes)) f(s);
}

// ---- symbolic execution ------------------------------------------------------------------------
// Each rank's buffer is cut at every offset any transfer uses into "atoms"; an atom holds, per
// contributing rank, how many times its data was added in (so a double count shows as 2). A
// send carries the sender's atoms as they were at the start of the step; a reducing receive
// adds them, a copying one overwrites. The switch (nvls) sums what every rank sent it over the
// range, and each receive from it copies its range of that sum.

using Contrib = std::vector<int>;  // per rank: multiplicity

struct Symbolic {
  int n = 0;
  std::uint64_t S = 0;
  std::vector<std::uint64_t> cuts;           // atom a = [cuts[a], cuts[a+1])
  std::vector<std::vector<Contrib>> state;   // state[rank][atom]

  // Atom ranges of [off, off + bytes) modulo S (at most two when it wraps).
  std::vector<std::pair<std::size_t, std::size_t>> atoms(std::uint64_t off, std::uint64_t bytes) const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (bytes == 0) return out;
    REQUIRE(bytes <= S);
    REQUIRE(off < S);
    auto idx = [&](std::uint64_t x) {
      const auto it = std::lower_bound(cuts.begin(), cuts.end(), x);
      REQUIRE(it != cuts.end());
      REQUIRE(*it == x);
      return static_cast<std::size_t>(it - cuts.begin());
    };
    if (off + bytes <= S) {
      out.emplace_back(idx(off), idx(off + bytes));
    } else {
      out.emplace_back(idx(off), idx(S));
      out.emplace_back(idx(0), idx(off + bytes - S));
    }
    return out;
  }
};

void add_cut(std::set<std::uint64_t>& cuts, std::uint64_t S, std::uint64_t off, std::uint64_t bytes) {
  if (bytes == 0 || S == 0) return;
  cuts.insert(off % S);
  cuts.insert((off + bytes) % S == 0 ? S : (off + bytes) % S);
}

// Runs the schedule and returns the final state; checks along the way that no step both
// copies and reduces into one atom of a rank.
Symbolic run_symbolic(const CollectiveSchedule& c) {
  const CollectiveShape& sh = c.shape();
  const int n = sh.group_size;
  Symbolic st;
  st.n = n;
  st.S = sh.bytes;
  std::set<std::uint64_t> cuts{0, sh.bytes};
  for (int k = 0; k <= n; ++k) cuts.insert(CollectiveSchedule::piece_offset(sh.bytes, n, k));
  for (int s = 0; s < c.num_steps(); ++s)
    for (int p = 0; p < n; ++p) {
      const StepWork pl = c.step(p, s);
      for (const auto& t : pl.sends) add_cut(cuts, sh.bytes, t.offset, t.bytes);
      for (const auto& t : pl.recvs) add_cut(cuts, sh.bytes, t.offset, t.bytes);
    }
  st.cuts.assign(cuts.begin(), cuts.end());
  const std::size_t na = st.cuts.size() - 1;
  const Contrib zero(static_cast<std::size_t>(n), 0);
  st.state.assign(static_cast<std::size_t>(n), std::vector<Contrib>(na, zero));
  for (int p = 0; p < n; ++p) {
    Contrib mine = zero;
    mine[static_cast<std::size_t>(p)] = 1;
    for (std::size_t a = 0; a < na; ++a) {
      const std::uint64_t lo = st.cuts[a];
      bool has = true;
      if (sh.kind == CollectiveKind::AllGather)  // rank p starts with its own piece only
        has = lo >= CollectiveSchedule::piece_offset(sh.bytes, n, p) && lo < CollectiveSchedule::piece_offset(sh.bytes, n, p + 1);
      if (sh.kind == CollectiveKind::Broadcast) has = p == sh.root;
      if (has) st.state[static_cast<std::size_t>(p)][a] = mine;
    }
  }
  for (int s = 0; s < c.num_steps(); ++s) {
    const auto before = st.state;
    std::vector<StepWork> plans;
    for (int p = 0; p < n; ++p) plans.push_back(c.step(p, s));
    // each domain's switch sums what its ranks sent over this step (one switch per scale-up
    // domain: hierarchical with nvls inside)
    const int g = sh.domain_size > 0 && sh.domain_size < n ? sh.domain_size : n;
    std::vector<std::vector<Contrib>> sws(static_cast<std::size_t>(n / g), std::vector<Contrib>(na, zero));
    for (int p = 0; p < n; ++p)
      for (const auto& t : plans[static_cast<std::size_t>(p)].sends)
        if (t.peer == kSwitchPeer)
          for (const auto& [a0, a1] : st.atoms(t.offset, t.bytes))
            for (std::size_t a = a0; a < a1; ++a)
              for (int r = 0; r < n; ++r)
                sws[static_cast<std::size_t>(p / g)][a][static_cast<std::size_t>(r)] +=
                    before[static_cast<std::size_t>(p)][a][static_cast<std::size_t>(r)];
    for (int q = 0; q < n; ++q) {
      const std::vector<Contrib>& sw = sws[static_cast<std::size_t>(q / g)];
      std::vector<int> copied(na, 0);
      std::vector<int> reduced(na, 0);
      std::uint64_t reduce_sum = 0;
      const StepWork& pl = plans[static_cast<std::size_t>(q)];
      for (const auto& t : pl.recvs) {
        if (t.reduce) reduce_sum += t.bytes;
        for (const auto& [a0, a1] : st.atoms(t.offset, t.bytes))
          for (std::size_t a = a0; a < a1; ++a) {
            const Contrib& src = t.peer == kSwitchPeer ? sw[a] : before[static_cast<std::size_t>(t.peer)][a];
            Contrib& dst = st.state[static_cast<std::size_t>(q)][a];
            if (t.reduce) {
              ++reduced[a];
              for (int r = 0; r < n; ++r) dst[static_cast<std::size_t>(r)] += src[static_cast<std::size_t>(r)];
            } else {
              ++copied[a];
              dst = src;
            }
          }
      }
      for (std::size_t a = 0; a < na; ++a) {
        INFO("step " << s << " rank " << q << " atom " << a);
        CHECK_FALSE((copied[a] > 0 && reduced[a] > 0));
        CHECK(copied[a] <= 1);
      }
      CHECK(pl.reduce_bytes == reduce_sum);
      for (const auto& t : pl.sends) CHECK_FALSE(t.reduce);
    }
  }
  return st;
}

// True when the final state is the collective's definition.
void check_definition(const CollectiveSchedule& c, const Symbolic& st) {
  const CollectiveShape& sh = c.shape();
  const int n = sh.group_size;
  const Contrib all(static_cast<std::size_t>(n), 1);
  const std::size_t na = st.cuts.size() - 1;
  auto in_piece = [&](std::size_t a, int piece) {
    return st.cuts[a] >= CollectiveSchedule::piece_offset(sh.bytes, n, piece) &&
           st.cuts[a] < CollectiveSchedule::piece_offset(sh.bytes, n, piece + 1);
  };
  for (int p = 0; p < n; ++p)
    for (std::size_t a = 0; a < na; ++a) {
      const Contrib& got = st.state[static_cast<std::size_t>(p)][a];
      INFO("rank " << p << " bytes [" << st.cuts[a] << ", " << st.cuts[a + 1] << ")");
      switch (sh.kind) {
        case CollectiveKind::AllReduce: CHECK(got == all); break;
        case CollectiveKind::ReduceScatter: {
          const int own = reduce_scatter_owned_piece(sh, p);
          if (in_piece(a, own)) CHECK(got == all);
          break;
        }
        case CollectiveKind::AllGather: {
          Contrib want(static_cast<std::size_t>(n), 0);
          for (int q = 0; q < n; ++q)
            if (in_piece(a, q)) want[static_cast<std::size_t>(q)] = 1;
          CHECK(got == want);
          break;
        }
        case CollectiveKind::Broadcast: {
          Contrib want(static_cast<std::size_t>(n), 0);
          want[static_cast<std::size_t>(sh.root)] = 1;
          CHECK(got == want);
          break;
        }
        case CollectiveKind::Reduce:
          if (p == sh.root) CHECK(got == all);
          break;
        case CollectiveKind::AllToAll: break;
      }
    }
}

// ---- engine semantics on an uncontended fabric ---------------------------------------------------
// An independent evaluation of a schedule under the rules stated in collective.hpp, against
// which predict_time's closed forms are checked: per step, the slowest rank's alpha + transfer
// time; a rank's step is at the inter level if one of its (non-empty) transfers crosses
// domains; switched level: max(sum sent, sum received) / B; full mesh: the largest per-peer
// volume over B/(g-1); switch: max(sum up, sum down) / min(B, B_nvls). Bytes over the fraction.
double evaluate(const CollectiveSchedule& c, const CollectiveCostParams& par) {
  const CollectiveShape& sh = c.shape();
  const int n = sh.group_size;
  if (n <= 1) return 0.0;
  const int g = sh.domain_size;
  const bool one = g <= 0 || g >= n;
  const int geff = one ? n : g;
  auto dom = [&](int p) { return one ? 0 : p / g; };
  double total = par.launch.value();
  for (int s = 0; s < c.num_steps(); ++s) {
    double worst = 0.0;
    for (int p = 0; p < n; ++p) {
      const StepWork pl = c.step(p, s);
      bool any = false;
      bool cross = false;
      double snd = 0.0;
      double rcv = 0.0;
      double sw_up = 0.0;
      double sw_down = 0.0;
      std::map<int, double> to;
      std::map<int, double> from;
      for (const auto& t : pl.sends) {
        if (t.bytes == 0) continue;
        any = true;
        const double b = static_cast<double>(t.bytes) / par.bandwidth_fraction;
        if (t.peer == kSwitchPeer) { sw_up += b; continue; }
        cross = cross || dom(t.peer) != dom(p);
        snd += b;
        to[t.peer] += b;
      }
      for (const auto& t : pl.recvs) {
        if (t.bytes == 0) continue;
        any = true;
        const double b = static_cast<double>(t.bytes) / par.bandwidth_fraction;
        if (t.peer == kSwitchPeer) { sw_down += b; continue; }
        cross = cross || dom(t.peer) != dom(p);
        rcv += b;
        from[t.peer] += b;
      }
      if (!any) continue;
      const LevelCost& L = cross ? par.inter : par.intra;
      const int peers = cross ? (n + geff - 1) / geff - 1 : geff - 1;
      double x = 0.0;
      if (L.full_mesh) {
        for (const auto& [q, b] : to) x = std::max(x, b / (L.bandwidth.value() / peers));
        for (const auto& [q, b] : from) x = std::max(x, b / (L.bandwidth.value() / peers));
      } else {
        x = std::max(snd, rcv) / L.bandwidth.value();
      }
      if (sw_up > 0 || sw_down > 0)
        x = std::max(x, std::max(sw_up, sw_down) / std::min(L.bandwidth.value(), par.nvls_bandwidth.value()));
      worst = std::max(worst, L.alpha.value() + x);
    }
    total += worst;
  }
  return total;
}

CollectiveCostParams one_level(double alpha, double bw, bool mesh = false) {
  CollectiveCostParams p;
  p.intra = {Seconds(alpha), BytesPerSecond(bw), mesh};
  p.inter = p.intra;
  p.nvls_bandwidth = BytesPerSecond(0.0);
  p.launch = Seconds(0.0);
  return p;
}

}  // namespace

// ---- the pairing invariant -----------------------------------------------------------------------

TEST_CASE("collective: every send has its receive in the same step, in order and bytes", "[collective]") {
  int shapes = 0;
  for_every_shape([&](const CollectiveShape& sh) {
    const CollectiveSchedule c(sh);
    const int n = sh.group_size;
    INFO(describe(sh));
    ++shapes;
    for (int s = 0; s < c.num_steps(); ++s) {
      std::vector<StepWork> plans;
      for (int p = 0; p < n; ++p) plans.push_back(c.step(p, s));
      for (int p = 0; p < n; ++p)
        for (int q = 0; q < n; ++q) {
          std::vector<StepTransfer> sent;
          std::vector<StepTransfer> got;
          for (const auto& t : plans[static_cast<std::size_t>(p)].sends)
            if (t.peer == q) sent.push_back(t);
          for (const auto& t : plans[static_cast<std::size_t>(q)].recvs)
            if (t.peer == p) got.push_back(t);
          INFO("step " << s << " " << p << " -> " << q);
          REQUIRE(sent.size() == got.size());
          for (std::size_t i = 0; i < sent.size(); ++i) {
            CHECK(sent[i].bytes == got[i].bytes);
            CHECK(sent[i].offset == got[i].offset);
          }
          CHECK((p != q || sent.empty()));  // nobody sends to itself
        }
      for (int p = 0; p < n; ++p)
        for (const auto& t : plans[static_cast<std::size_t>(p)].sends)
          CHECK((t.peer == kSwitchPeer || (t.peer >= 0 && t.peer < n)));
    }
  });
  CHECK(shapes > 500);
}

// ---- symbolic correctness ------------------------------------------------------------------------

TEST_CASE("collective: every schedule computes its collective (symbolic execution)", "[collective]") {
  for_every_shape([&](const CollectiveShape& sh) {
    if (sh.kind == CollectiveKind::AllToAll) return;  // checked below by blocks
    INFO(describe(sh));
    const CollectiveSchedule c(sh);
    const Symbolic st = run_symbolic(c);
    check_definition(c, st);
  });
}

TEST_CASE("collective: all-to-all(v) delivers every block once", "[collective]") {
  for (const int n : kCheckSizes)
    for (const std::uint64_t bytes : kCheckBytes)
      for (const CollectiveShape& sh : shapes_for(CollectiveKind::AllToAll, CollectiveAlgorithm::Direct, n, bytes)) {
        INFO(describe(sh));
        const CollectiveSchedule c(sh);
        std::vector<std::uint64_t> got(static_cast<std::size_t>(n * n), 0);
        for (int s = 0; s < c.num_steps(); ++s)
          for (int q = 0; q < n; ++q)
            for (const auto& t : c.step(q, s).recvs) got[static_cast<std::size_t>(t.peer * n + q)] += t.bytes;
        for (int p = 0; p < n; ++p)
          for (int q = 0; q < n; ++q) {
            if (p == q) continue;
            const std::uint64_t want = sh.counts.empty() ? CollectiveSchedule::piece(bytes, n, q)
                                                         : sh.counts[static_cast<std::size_t>(p * n + q)];
            CHECK(got[static_cast<std::size_t>(p * n + q)] == want);
          }
      }
}

TEST_CASE("collective: the symbolic checker is not vacuous", "[collective]") {
  // A checker that accepted anything would prove nothing: after a ring reduce-scatter of 40
  // bytes over 4 ranks (chunks of 10), each rank holds the full sum on its own chunk only; the
  // three other chunks hold partial sums, which an all-reduce check would reject.
  const CollectiveSchedule c(make_shape(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Ring, 4, 40));
  const Symbolic st = run_symbolic(c);
  int full = 0;
  for (int p = 0; p < 4; ++p)
    for (const auto& atom : st.state[static_cast<std::size_t>(p)])
      if (atom == Contrib(4, 1)) ++full;
  // Each rank holds the full sum on exactly its own chunk (one atom of 10 bytes).
  CHECK(full == 4);
}

// ---- traffic per rank ----------------------------------------------------------------------------

namespace {
std::vector<std::uint64_t> sent_per_rank(const CollectiveSchedule& c) {
  std::vector<std::uint64_t> out(static_cast<std::size_t>(c.group_size()), 0);
  for (int s = 0; s < c.num_steps(); ++s)
    for (int p = 0; p < c.group_size(); ++p)
      for (const auto& t : c.step(p, s).sends) out[static_cast<std::size_t>(p)] += t.bytes;
  return out;
}
}  // namespace

TEST_CASE("collective: bytes sent per rank match the closed-form traffic", "[collective]") {
  // S = 720720 * 16 is divisible by every n <= 16 and by 2k for k <= 8, so chunks are equal.
  const std::uint64_t S = 720720ULL * 16;
  for (const int n : {2, 3, 4, 5, 6, 7, 8, 12, 16}) {
    INFO("n=" << n);
    const std::uint64_t part = S / static_cast<std::uint64_t>(n);
    auto sent = [&](CollectiveKind k, CollectiveAlgorithm a, int chunks = 1) {
      CollectiveShape sh = make_shape(k, a, n, S);
      sh.chunks = chunks;
      return sent_per_rank(CollectiveSchedule(sh));
    };
    for (const auto v : sent(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring)) CHECK(v == 2 * (n - 1) * part);  // 2(n-1)/n S
    for (const auto v : sent(CollectiveKind::AllGather, CollectiveAlgorithm::Ring)) CHECK(v == (n - 1) * part);
    for (const auto v : sent(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Ring)) CHECK(v == (n - 1) * part);
    for (const auto v : sent(CollectiveKind::AllReduce, CollectiveAlgorithm::Direct)) CHECK(v == 2 * (n - 1) * part);
    for (const auto v : sent(CollectiveKind::AllToAll, CollectiveAlgorithm::Direct)) CHECK(v == (n - 1) * part);
    for (const auto v : sent(CollectiveKind::AllReduce, CollectiveAlgorithm::Nvls)) CHECK(v == S);  // all of it to the switch
    for (const auto v : sent(CollectiveKind::AllGather, CollectiveAlgorithm::Nvls)) CHECK(v == part);
    // Ring broadcast: every rank but the last of the chain forwards the whole buffer once.
    const auto bc = sent(CollectiveKind::Broadcast, CollectiveAlgorithm::Ring, 4);
    for (int p = 0; p < n; ++p) CHECK(bc[static_cast<std::size_t>(p)] == (p == n - 1 ? 0 : S));
    // Direct broadcast: the root sends S to each of n-1 peers.
    CHECK(sent(CollectiveKind::Broadcast, CollectiveAlgorithm::Direct)[0] == (n - 1) * S);
    // Double tree all-reduce: each tree edge carries its half up and down: 2 (n-1) edges * 2
    // directions * S/2 = 2 (n-1) S over all ranks; a rank sends S/2 up (if not root) plus S/2
    // to each child, in each tree.
    const auto tr = sent(CollectiveKind::AllReduce, CollectiveAlgorithm::Tree, 4);
    std::uint64_t tsum = 0;
    for (int p = 0; p < n; ++p) {
      std::uint64_t want = 0;
      for (int T = 0; T < 2; ++T) {
        const TreeNode t = double_tree_node(n, T, p);
        want += (t.parent >= 0 ? S / 2 : 0) + (t.child[0] >= 0 ? S / 2 : 0) + (t.child[1] >= 0 ? S / 2 : 0);
      }
      CHECK(tr[static_cast<std::size_t>(p)] == want);
      tsum += tr[static_cast<std::size_t>(p)];
    }
    CHECK(tsum == 2 * static_cast<std::uint64_t>(n - 1) * S);
    // Halving-doubling all-reduce: (n'-1)/n' S per phase for the n' active ranks; with
    // r = n - n' > 0 the extra ranks send S (fold) and partners also return S (unfold).
    const int np = n >= 16 ? 16 : n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
    const auto hd = sent(CollectiveKind::AllReduce, CollectiveAlgorithm::HalvingDoubling);
    for (int p = 0; p < n; ++p) {
      const std::uint64_t main = p < np ? 2 * (S / static_cast<std::uint64_t>(np)) * static_cast<std::uint64_t>(np - 1) : 0;
      const std::uint64_t extra = p >= np || p < n - np ? S : 0;
      CHECK(hd[static_cast<std::size_t>(p)] == main + extra);
    }
  }
}

// ---- trees ----------------------------------------------------------------------------------------

TEST_CASE("collective: the double binary tree is two spanning trees with disjoint interiors", "[collective]") {
  for (int n = 2; n <= 130; ++n) {
    INFO("n=" << n);
    std::vector<int> interior(static_cast<std::size_t>(n), 0);
    for (int T = 0; T < 2; ++T) {
      int roots = 0;
      int max_depth = 0;
      for (int p = 0; p < n; ++p) {
        const TreeNode t = double_tree_node(n, T, p);
        if (t.parent < 0) ++roots;
        else {
          // the parent lists p as a child
          const TreeNode up = double_tree_node(n, T, t.parent);
          CHECK((up.child[0] == p || up.child[1] == p));
        }
        for (const int c : t.child)
          if (c >= 0) CHECK(double_tree_node(n, T, c).parent == p);
        if (t.child[0] >= 0 || t.child[1] >= 0) ++interior[static_cast<std::size_t>(p)];
        const int d = double_tree_depth(n, T, p);
        CHECK(d < n);  // reaches the root: no cycle
        max_depth = std::max(max_depth, d);
      }
      CHECK(roots == 1);
      CHECK(double_tree_max_depth(n, T) == max_depth);
      // depth is logarithmic: at most floor(log2(n-1)) + 1 for n >= 2
      int lg = 0;
      while ((2 << lg) <= n - 1) ++lg;
      CHECK(max_depth <= lg + 1);
    }
    for (int p = 0; p < n; ++p) CHECK(interior[static_cast<std::size_t>(p)] <= 1);
  }
  // The construction, by hand for n = 4 (docs/collectives.md): tree 0 is NCCL's btree
  // 0 -> 2 -> {1, 3}; tree 1 its mirror p -> 3 - p: 3 -> 1 -> {2, 0}.
  CHECK(double_tree_node(4, 0, 0).child[0] == 2);
  CHECK(double_tree_node(4, 0, 1).parent == 2);
  CHECK(double_tree_node(4, 0, 3).parent == 2);
  CHECK(double_tree_node(4, 1, 3).parent == -1);
  CHECK(double_tree_node(4, 1, 1).parent == 3);
  CHECK(double_tree_node(4, 1, 2).parent == 1);
  CHECK(double_tree_node(4, 1, 0).parent == 1);
  // n = 5 (odd): tree 0 = btree(5): 0 -> 4 -> 2 -> {1, 3}; tree 1 = mirror of btree(4) over
  // positions 0..3 (3 -> 1 -> {2, 0}) plus position 4 as second child of its root 3.
  CHECK(double_tree_node(5, 0, 4).parent == 0);
  CHECK(double_tree_node(5, 0, 2).parent == 4);
  CHECK(double_tree_node(5, 1, 4).parent == 3);
  CHECK(double_tree_node(5, 1, 3).child[1] == 4);
  CHECK(double_tree_node(5, 1, 0).parent == 1);
}

// ---- step counts of the new algorithms ------------------------------------------------------------

TEST_CASE("collective: step counts of every algorithm", "[collective]") {
  using K = CollectiveKind;
  using A = CollectiveAlgorithm;
  auto steps = [](K k, A a, int n, int chunks = 1) {
    CollectiveShape s = make_shape(k, a, n, 1000);
    s.chunks = chunks;
    return CollectiveSchedule(s).num_steps();
  };
  // Chain: n-1 edges, k slices -> n-2+k steps.
  CHECK(steps(K::Broadcast, A::Ring, 8, 4) == 10);
  CHECK(steps(K::Reduce, A::Ring, 8, 1) == 7);
  CHECK(steps(K::Broadcast, A::Direct, 8) == 1);
  CHECK(steps(K::Reduce, A::Direct, 8) == 1);
  // Tree broadcast over 8: btree depth 3 (0 -> 4 -> 2 -> 1): D + k - 1 = 3 + 4 - 1 = 6.
  CHECK(steps(K::Broadcast, A::Tree, 8, 4) == 6);
  // Double tree all-reduce over 8: both depths 3: 2 (3 + 2 - 1) = 8.
  CHECK(steps(K::AllReduce, A::Tree, 8, 2) == 8);
  // Halving-doubling: 2 log2 n for all-reduce, log2 n for RS / AG, + 2 if n is not a power of 2.
  CHECK(steps(K::AllReduce, A::HalvingDoubling, 8) == 6);
  CHECK(steps(K::ReduceScatter, A::HalvingDoubling, 8) == 3);
  CHECK(steps(K::AllGather, A::HalvingDoubling, 16) == 4);
  CHECK(steps(K::AllReduce, A::HalvingDoubling, 12) == 8);
  CHECK(steps(K::ReduceScatter, A::HalvingDoubling, 5) == 4);
  CHECK(steps(K::AllReduce, A::Nvls, 72) == 1);
  // Hierarchical 16 = 4 domains of 4, ring inside, ring across: 3 + 2*3 + 3 = 12.
  CollectiveShape h = make_shape(K::AllReduce, A::Hierarchical, 16, 1000);
  h.domain_size = 4;
  CHECK(CollectiveSchedule(h).num_steps() == 12);
  h.intra = A::Direct;  // 1 + 6 + 1
  CHECK(CollectiveSchedule(h).num_steps() == 8);
  h.inter = A::HalvingDoubling;  // 1 + 2 log2 4 + 1
  CHECK(CollectiveSchedule(h).num_steps() == 6);
}

TEST_CASE("collective: thousands of ranks are cheap to query", "[collective]") {
  // 4608 ranks: every rank's steps at a few step indices, for each O(log n) algorithm.
  const int n = 4608;
  CollectiveShape t = make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Tree, n, 1ULL << 30);
  t.chunks = 8;
  const CollectiveSchedule tree(t);
  const CollectiveSchedule hd(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::HalvingDoubling, n, 1ULL << 30));
  const CollectiveSchedule ring(make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, n, 1ULL << 30));
  std::uint64_t total = 0;
  for (int p = 0; p < n; ++p)
    for (const int s : {0, 5, 9}) {
      total += tree.step(p, s).sends.size() + hd.step(p, s).sends.size() + ring.step(p, s).sends.size();
    }
  CHECK(total > 0u);
  CHECK(ring.num_steps() == 9214);
  // 4608 = 4096 + 512: 2 * 12 + 2 = 26 halving-doubling steps.
  CHECK(hd.num_steps() == 26);
}

// ---- predict_time ---------------------------------------------------------------------------------

TEST_CASE("collective: predict_time by hand, one switched level", "[collective]") {
  // alpha = 5 us, B = 50 GB/s, S = 1 GB, no launch, full payload share.
  const CollectiveCostParams p = one_level(5e-6, 50e9);
  auto t = [&](CollectiveKind k, CollectiveAlgorithm a, int n, int chunks = 1) {
    CollectiveShape s = make_shape(k, a, n, 1000000000ULL);
    s.chunks = chunks;
    return predict_time(s, p).value();
  };
  using K = CollectiveKind;
  using A = CollectiveAlgorithm;
  // Ring all-reduce n = 8: 14 steps of 5 us + 125 MB / 50 GB/s = 2.5 ms -> 14 * 2.505 ms.
  CHECK(t(K::AllReduce, A::Ring, 8) == Approx(0.03507).epsilon(1e-12));
  // Direct all-reduce n = 4: 2 steps, each 3 chunks of 250 MB through one port:
  // 2 * (5 us + 750 MB / 50 GB/s) = 2 * 15.005 ms = 30.01 ms.
  CHECK(t(K::AllReduce, A::Direct, 4) == Approx(0.03001).epsilon(1e-12));
  // Direct all-to-all n = 8: 5 us + 7/8 GB / 50 GB/s = 17.505 ms (as direct_all_to_all_time).
  CHECK(t(K::AllToAll, A::Direct, 8) == Approx(0.017505).epsilon(1e-12));
  // Ring broadcast n = 4, k = 4 slices of 250 MB: n-2+k = 6 steps of 5 us + 5 ms = 30.03 ms.
  CHECK(t(K::Broadcast, A::Ring, 4, 4) == Approx(0.03003).epsilon(1e-12));
  CHECK(t(K::Reduce, A::Ring, 4, 4) == Approx(0.03003).epsilon(1e-12));
  // Direct broadcast n = 4: the root sends 3 GB through its port: 5 us + 60 ms.
  CHECK(t(K::Broadcast, A::Direct, 4) == Approx(0.060005).epsilon(1e-12));
  // Tree broadcast n = 4, k = 1: btree 0 -> 2 -> {1, 3}, D = 2, 2 steps: step 0 the root sends
  // 1 GB to 2 (20 ms), step 1 rank 2 sends 1 GB to each of 1 and 3 (40 ms): 10 us + 60 ms.
  CHECK(t(K::Broadcast, A::Tree, 4) == Approx(0.06001).epsilon(1e-12));
  // Tree broadcast n = 4, k = 2 (500 MB slices): steps 0: root -> 2 (10 ms); 1: root -> 2 and
  // 2 -> {1, 3}: rank 2 sends 2 slices (20 ms); 2: 2 -> {1, 3} (20 ms): 15 us + 50 ms.
  CHECK(t(K::Broadcast, A::Tree, 4, 2) == Approx(0.050015).epsilon(1e-12));
  // Double tree all-reduce n = 2, k = 1: trees 0 -> 1 and 1 -> 0, each carries 500 MB. Step 0
  // (up): each rank sends its half of the other tree up and receives one: 10 ms; step 1 (down)
  // likewise: 2 * (5 us + 10 ms) = 20.01 ms.
  CHECK(t(K::AllReduce, A::Tree, 2) == Approx(0.02001).epsilon(1e-12));
  // Double tree all-reduce n = 4, k = 1: tree 0: 0 -> 2 -> {1, 3}; tree 1: 3 -> 1 -> {0, 2};
  // D = 2 in both, 2 up steps + 2 down steps. Up step 0: leaves of depth 2 send (rank 1 is a
  // leaf of tree 0, rank 2 of tree 1; rank 2 receives from 1 and 3 in tree 0 -> 2 slices of
  // 500 MB = 20 ms). Up step 1: depth-1 nodes send to roots: 2 -> 0 (tree 0), 1 -> 3 (tree 1):
  // one slice each, 10 ms. Down mirrors it: 10 ms then 20 ms. 4 * 5 us + 60 ms.
  CHECK(t(K::AllReduce, A::Tree, 4) == Approx(0.06002).epsilon(1e-12));
  // Halving-doubling all-reduce n = 4: 500 MB, 250 MB, 250 MB, 500 MB: 4 * 5 us + 30 ms.
  CHECK(t(K::AllReduce, A::HalvingDoubling, 4) == Approx(0.03002).epsilon(1e-12));
  // n = 3: fold 1 GB (20 ms), exchange halves (10 ms, 10 ms), unfold 1 GB (20 ms): 20 us + 60 ms.
  CHECK(t(K::AllReduce, A::HalvingDoubling, 3) == Approx(0.06002).epsilon(1e-12));
  // Reduce-scatter n = 3 (pieces of 1/3 GB; rank 0 holds pieces 0 and 2): fold 1 GB (20 ms),
  // one halving step moving the heavier half {piece 0, piece 2} = 2/3 GB (13.333 ms), unfold of
  // piece 2 (1/3 GB: 6.667 ms): 15 us + 40 ms.
  CHECK(t(K::ReduceScatter, A::HalvingDoubling, 3) == Approx(0.040015).epsilon(1e-9));
}

TEST_CASE("collective: predict_time by hand, mesh, nvls, levels and launch", "[collective]") {
  using K = CollectiveKind;
  using A = CollectiveAlgorithm;
  // Full mesh of 4 at 150 GB/s per GPU: 50 GB/s per link. Ring all-gather over 4 of 1.2 GB:
  // 3 steps of one 300 MB chunk on one link: 3 * (1 us + 6 ms) = 18.003 ms. Direct all-gather
  // uses the three links at once: 1 us + 6 ms.
  CollectiveCostParams mesh = one_level(1e-6, 150e9, true);
  CHECK(predict_time(make_shape(K::AllGather, A::Ring, 4, 1200000000ULL), mesh).value() == Approx(0.018003).epsilon(1e-12));
  CHECK(predict_time(make_shape(K::AllGather, A::Direct, 4, 1200000000ULL), mesh).value() == Approx(0.006001).epsilon(1e-12));
  // NVLS: 8 GPUs, level 900 GB/s, switch 450 GB/s, alpha 2 us. All-reduce of 1 GB: one step of
  // 2 us + 1 GB / 450 GB/s = 2.2222 ms. All-gather: 7/8 GB comes down: 2 us + 1.9444 ms.
  // Reduce-scatter: 1 GB goes up: as all-reduce.
  CollectiveCostParams nv = one_level(2e-6, 900e9);
  nv.nvls_bandwidth = BytesPerSecond(450e9);
  CHECK(predict_time(make_shape(K::AllReduce, A::Nvls, 8, 1000000000ULL), nv).value() == Approx(2e-6 + 1.0 / 450.0).epsilon(1e-12));
  CHECK(predict_time(make_shape(K::AllGather, A::Nvls, 8, 1000000000ULL), nv).value() ==
        Approx(2e-6 + 0.875 / 450.0).epsilon(1e-12));
  CHECK(predict_time(make_shape(K::ReduceScatter, A::Nvls, 8, 1000000000ULL), nv).value() ==
        Approx(2e-6 + 1.0 / 450.0).epsilon(1e-12));
  // Launch and protocol share: ring all-reduce n = 8 with launch 10 us at LL (half the payload):
  // 14 * (5 us + 125 MB / 25 GB/s) + 10 us = 14 * 5.005 ms + 10 us = 70.08 ms.
  CollectiveCostParams ll = one_level(5e-6, 50e9);
  ll.launch = Seconds(10e-6);
  ll.bandwidth_fraction = 0.5;
  CHECK(predict_time(make_shape(K::AllReduce, A::Ring, 8, 1000000000ULL), ll).value() == Approx(0.07008).epsilon(1e-12));
  // Two levels: intra 1 us, 400 GB/s; inter 10 us, 50 GB/s; 8 ranks in domains of 4.
  CollectiveCostParams two = one_level(1e-6, 400e9);
  two.inter = {Seconds(10e-6), BytesPerSecond(50e9), false};
  // Ring all-reduce across domains: every step has a boundary rank at the inter level:
  // 14 * (10 us + 125 MB / 50 GB/s) = 14 * 2.51 ms = 35.14 ms.
  CollectiveShape ring = make_shape(K::AllReduce, A::Ring, 8, 1000000000ULL);
  ring.domain_size = 4;
  CHECK(predict_time(ring, two).value() == Approx(0.03514).epsilon(1e-12));
  // Hierarchical, ring inside and across: RS inside 3 * (1 us + 250 MB / 400 GB/s) = 1.878 ms;
  // rail all-reduce of 250 MB over 2 domains: 2 * (10 us + 125 MB / 50 GB/s) = 5.02 ms; AG
  // inside 1.878 ms: 8.776 ms.
  CollectiveShape h = ring;
  h.algorithm = A::Hierarchical;
  CHECK(predict_time(h, two).value() == Approx(0.008776).epsilon(1e-12));
  // A group of one costs nothing.
  CHECK(predict_time(make_shape(K::AllReduce, A::Ring, 1, 1000), two).value() == 0.0);
}

TEST_CASE("collective: predict_time equals the schedule evaluated under the engine rules", "[collective]") {
  // S divisible by every n <= 16 and by 2k (k <= 3) so every chunk and slice has S/n or
  // S/(2k) bytes exactly: the closed forms must then agree with an independent evaluation.
  const std::uint64_t S = 720720ULL * 1000;
  std::vector<CollectiveCostParams> fabrics;
  fabrics.push_back(one_level(3e-6, 100e9));
  fabrics.push_back(one_level(3e-6, 100e9, true));
  CollectiveCostParams two = one_level(1e-6, 400e9);
  two.inter = {Seconds(12e-6), BytesPerSecond(50e9), false};
  two.launch = Seconds(7e-6);
  two.bandwidth_fraction = 0.8;
  two.nvls_bandwidth = BytesPerSecond(300e9);
  fabrics.push_back(two);
  CollectiveCostParams two_mesh = two;
  two_mesh.intra.full_mesh = true;
  fabrics.push_back(two_mesh);
  CollectiveCostParams slow_inside = one_level(20e-6, 20e9);  // the home level slower than the other
  slow_inside.inter = {Seconds(1e-6), BytesPerSecond(200e9), false};
  fabrics.push_back(slow_inside);
  int compared = 0;
  for (const CollectiveKind k : kEveryKind)
    for (const CollectiveAlgorithm a : algorithms_for(k))
      for (const int n : {2, 3, 4, 5, 6, 8, 12, 16})
        for (const CollectiveShape& base : shapes_for(k, a, n, S))
          for (const int g : {0, 2, 4, 3})
            for (const CollectiveCostParams& f : fabrics) {
              CollectiveShape sh = base;
              if (a != CollectiveAlgorithm::Hierarchical) sh.domain_size = g;
              if (!sh.counts.empty()) continue;  // uneven by design; checked below
              std::string why;
              if (!algorithm_applies(sh, f, &why)) continue;
              INFO(describe(sh) << " mesh=" << f.intra.full_mesh);
              const CollectiveSchedule c(sh);
              CHECK(predict_time(sh, f).value() == Approx(evaluate(c, f)).epsilon(1e-9));
              ++compared;
            }
  CHECK(compared > 1000);
  // all_to_all(v): the slowest rank's sums, exactly.
  CollectiveShape v = make_shape(CollectiveKind::AllToAll, CollectiveAlgorithm::Direct, 5, 0);
  v.counts = {0, 10, 20, 30, 40, 5, 0, 5, 5, 5, 100, 0, 0, 0, 0, 1, 2, 3, 0, 4, 9, 9, 9, 9, 0};
  for (const CollectiveCostParams& f : fabrics) CHECK(predict_time(v, f).value() == Approx(evaluate(CollectiveSchedule(v), f)).epsilon(1e-12));
}

// ---- applicability and errors ---------------------------------------------------------------------

TEST_CASE("collective: algorithm_applies says why not", "[collective]") {
  using K = CollectiveKind;
  using A = CollectiveAlgorithm;
  CollectiveCostParams p = one_level(1e-6, 100e9);
  std::string why;
  CHECK(algorithm_applies(make_shape(K::AllReduce, A::Ring, 8, 100), p, &why));
  CHECK(why.empty());
  CHECK_FALSE(algorithm_applies(make_shape(K::AllReduce, A::Nvls, 8, 100), p, &why));
  CHECK_THAT(why, Contains("nvls_bandwidth"));
  p.nvls_bandwidth = BytesPerSecond(400e9);
  CHECK(algorithm_applies(make_shape(K::AllReduce, A::Nvls, 8, 100), p, &why));
  CollectiveShape s = make_shape(K::AllReduce, A::Nvls, 8, 100);
  s.domain_size = 4;
  CHECK_FALSE(algorithm_applies(s, p, &why));
  CHECK_THAT(why, Contains("domains"));
  s.algorithm = A::Hierarchical;
  CHECK(algorithm_applies(s, p, &why));
  s.domain_size = 0;
  CHECK_FALSE(algorithm_applies(s, p, &why));
  CHECK_THAT(why, Contains("domain_size"));
  CHECK_FALSE(algorithm_applies(make_shape(K::AllToAll, A::Tree, 8, 100), p, &why));
  CHECK_THAT(why, Contains("all_to_all") && Contains("tree") && Contains("direct"));
  CHECK_FALSE(algorithm_applies(make_shape(K::Broadcast, A::HalvingDoubling, 8, 100), p, &why));
  CHECK_THAT(why, Contains("ring, direct, tree"));
  CHECK_FALSE(algorithm_applies(make_shape(K::AllReduce, A::Auto, 8, 100), p, &why));
  CHECK_THAT(why, Contains("auto"));
  CHECK(algorithm_applies(make_shape(K::AllReduce, A::Nvls, 1, 100), one_level(1e-6, 1e9), &why));  // nothing to do
}

TEST_CASE("collective: invalid shapes are refused with clear messages", "[collective]") {
  using K = CollectiveKind;
  using A = CollectiveAlgorithm;
  CHECK_THROWS_WITH(CollectiveSchedule(make_shape(K::AllReduce, A::Ring, 0, 10)), Contains("at least 1 rank"));
  CollectiveShape b = make_shape(K::Broadcast, A::Tree, 4, 10);
  b.root = 4;
  CHECK_THROWS_WITH(CollectiveSchedule(b), Contains("root 4") && Contains("0..3"));
  b.root = -1;
  CHECK_THROWS_AS(CollectiveSchedule(b), Error);
  b.root = 0;
  b.chunks = 0;
  CHECK_THROWS_WITH(CollectiveSchedule(b), Contains("chunks"));
  CollectiveShape v = make_shape(K::AllToAll, A::Direct, 3, 10);
  v.counts = {1, 2, 3};
  CHECK_THROWS_WITH(CollectiveSchedule(v), Contains("counts has 3 entries") && Contains("9"));
  CollectiveShape h = make_shape(K::AllReduce, A::Hierarchical, 12, 10);
  h.domain_size = 5;
  CHECK_THROWS_WITH(CollectiveSchedule(h), Contains("n % g == 0") && Contains("domain_size = 5"));
  h.domain_size = 12;
  CHECK_THROWS_AS(CollectiveSchedule(h), Error);
  h.domain_size = 4;
  h.intra = A::Tree;
  CHECK_THROWS_WITH(CollectiveSchedule(h), Contains("intra must be ring or direct"));
  h.intra = A::Ring;
  h.inter = A::Direct;
  CHECK_THROWS_WITH(CollectiveSchedule(h), Contains("inter must be ring, tree or halving_doubling"));
  CollectiveShape nv = make_shape(K::AllGather, A::Nvls, 16, 10);
  nv.domain_size = 8;
  CHECK_THROWS_WITH(CollectiveSchedule(nv), Contains("one scale-up switch") && Contains("2 domains"));
  CHECK_THROWS_WITH(CollectiveSchedule(make_shape(K::ReduceScatter, A::Tree, 4, 10)),
                    Contains("reduce_scatter has no tree algorithm") && Contains("ring, direct, halving_doubling, hierarchical, nvls"));
  CHECK_THROWS_WITH(CollectiveSchedule(make_shape(K::AllReduce, A::Auto, 4, 10)), Contains("resolved"));
  CHECK_THROWS_AS(predict_time(make_shape(K::AllGather, A::Hierarchical, 8, 10), one_level(1e-6, 1e9)), Error);
}

TEST_CASE("collective: reduce-scatter owners", "[collective]") {
  // Ring keeps its historical chunk order (p ends with chunk p+1); the others end with chunk p.
  CHECK(reduce_scatter_owned_chunk(CollectiveAlgorithm::Ring, 4, 3) == 0);
  CHECK(reduce_scatter_owned_chunk(CollectiveAlgorithm::Ring, 4, 1) == 2);
  CHECK(reduce_scatter_owned_chunk(CollectiveAlgorithm::Direct, 4, 1) == 1);
  CHECK(reduce_scatter_owned_chunk(CollectiveAlgorithm::HalvingDoubling, 5, 4) == 4);
  // 10 bytes over 4: offsets 0 3 6 8 10.
  CHECK(CollectiveSchedule::piece_offset(10, 4, 0) == 0u);
  CHECK(CollectiveSchedule::piece_offset(10, 4, 2) == 6u);
  CHECK(CollectiveSchedule::piece_offset(10, 4, 4) == 10u);
}

TEST_CASE("collective: mesh rings are edge-disjoint directed Hamiltonian cycles", "[collective]") {
  // Tillson (1980): the complete directed graph on n vertices splits into n-1 Hamiltonian cycles
  // for every n but 4 and 6, so 8 GPUs of a full mesh can run 7 rings, one per outgoing link.
  for (const int n : {3, 5, 7, 8, 9, 12, 16}) {
    const auto rings = mesh_rings(n, n - 1);
    INFO("n = " << n);
    CHECK(static_cast<int>(rings.size()) == n - 1);
    std::set<std::pair<int, int>> edges;
    for (const auto& r : rings) {
      REQUIRE(static_cast<int>(r.size()) == n);
      CHECK(std::set<int>(r.begin(), r.end()).size() == static_cast<std::size_t>(n));  // every position once
      for (int i = 0; i < n; ++i) CHECK(edges.insert({r[static_cast<std::size_t>(i)], r[static_cast<std::size_t>((i + 1) % n)]}).second);
    }
    CHECK(static_cast<int>(edges.size()) == n * (n - 1));  // every directed link used exactly once
  }
  // Cycle 0 is the plain ring; 4 and 6 cannot reach n-1 but still give disjoint rings.
  CHECK(mesh_rings(8, 1) == std::vector<std::vector<int>>{{0, 1, 2, 3, 4, 5, 6, 7}});
  CHECK(mesh_rings(8, 7).front() == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(mesh_rings(4, 3).size() < 3);
  CHECK(mesh_rings(6, 5).size() < 5);
  CHECK(mesh_rings(6, 5).size() >= 2);
}

TEST_CASE("collective: 7 ring channels on an 8-GPU full mesh use every link at once", "[collective]") {
  // Ring all-reduce of S over 8 GPUs of a mesh with 7 links of b each (B = 7b per GPU): one
  // ring sends S/8 per step over one link, 14 (alpha + S/(8b)); 7 channels send S/56 over each
  // of the 7 links, 14 (alpha + S/(56 b)) = 14 (alpha + S/(8B)), the switched ring's time.
  const double S = 7.0 * 8 * 1e6;
  const double b = 48e9;
  CollectiveCostParams p;
  p.intra = {Seconds(1e-6), BytesPerSecond(7 * b), true};
  CollectiveShape one = make_shape(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 8, static_cast<std::uint64_t>(S));
  CollectiveShape seven = one;
  seven.channels = 7;
  CHECK(predict_time(one, p).value() == Approx(14 * (1e-6 + S / 8 / b)).epsilon(1e-12));
  CHECK(predict_time(seven, p).value() == Approx(14 * (1e-6 + S / 56 / b)).epsilon(1e-12));
  CHECK_THROWS_WITH(CollectiveSchedule([&] {
                      CollectiveShape bad = seven;
                      bad.kind = CollectiveKind::Broadcast;
                      return bad;
                    }()),
                    Catch::Contains("channels are for a ring all-reduce, all-gather or reduce-scatter inside one domain"));
}

// ---- all-gather and reduce-scatter as NCCL / RCCL run them (issue 17, cause 4) ---------------------

TEST_CASE("collective: ring channels cut every piece of an all-gather / reduce-scatter", "[collective]") {
  // 8 ranks, 2 channels, S = 32 bytes: pieces of 4 bytes, each cut into sub-pieces of 2.
  // Channel 0 is the plain ring: at step 0 rank 3 sends sub-piece 0 of its own piece 3,
  // [12, 14), to rank 4 and receives sub-piece 0 of piece 2, [8, 10), from rank 2.
  CollectiveShape ag = make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 8, 32);
  ag.channels = 2;
  const CollectiveSchedule c(ag);
  CHECK(c.num_steps() == 7);
  const StepWork w = c.step(3, 0);
  REQUIRE(w.sends.size() == 2u);
  REQUIRE(w.recvs.size() == 2u);
  CHECK(w.sends[0].peer == 4);
  CHECK(w.sends[0].offset == 12u);
  CHECK(w.sends[0].bytes == 2u);
  CHECK(w.recvs[0].peer == 2);
  CHECK(w.recvs[0].offset == 8u);
  // Channel 1 carries sub-piece 1 of rank 3's own piece, [14, 16), to another successor.
  CHECK(w.sends[1].offset == 14u);
  CHECK(w.sends[1].bytes == 2u);
  CHECK(w.sends[1].peer != 4);
  // Reduce-scatter with channels still ends with piece (p+1) mod n, like the plain ring.
  CollectiveShape rs = ag;
  rs.kind = CollectiveKind::ReduceScatter;
  CHECK(reduce_scatter_owned_piece(rs, 3) == 4);
}

TEST_CASE("collective: 7 ring channels make an 8-GPU mesh all-gather use every link", "[collective]") {
  // Mesh of 8 GPUs, 7 links of b = 48 GB/s each (B = 336 GB/s per GPU), alpha 1 us, S = 56 MB.
  // One ring: 7 steps of S/8 = 7 MB over one link: 7 (1 us + 7 MB / 48 GB/s) = 7 x 146.833 us
  //   = 1.027833 ms, bus bandwidth (7/8) S / T = 47.7 GB/s = b: one link of seven.
  // 7 channels: every step sends S/56 = 1 MB over each of the 7 links:
  //   7 (1 us + 1 MB / 48 GB/s) = 7 x 21.8333 us = 152.833 us, bus bandwidth 320.5 GB/s.
  // Direct (one step): S/8 = 7 MB to each peer, each on its own link: 1 us + 7 MB / 48 GB/s =
  //   146.833 us: the same bytes per link as the 7 rings with one alpha instead of seven.
  const double b = 48e9;
  CollectiveCostParams p;
  p.intra = {Seconds(1e-6), BytesPerSecond(7 * b), true};
  p.inter = p.intra;
  for (const CollectiveKind k : {CollectiveKind::AllGather, CollectiveKind::ReduceScatter}) {
    CollectiveShape one = make_shape(k, CollectiveAlgorithm::Ring, 8, 56000000ULL);
    CollectiveShape seven = one;
    seven.channels = 7;
    CollectiveShape direct = one;
    direct.algorithm = CollectiveAlgorithm::Direct;
    CHECK(predict_time(one, p).value() == Approx(7 * (1e-6 + 7e6 / b)).epsilon(1e-12));
    CHECK(predict_time(seven, p).value() == Approx(7 * (1e-6 + 1e6 / b)).epsilon(1e-12));
    CHECK(predict_time(direct, p).value() == Approx(1e-6 + 7e6 / b).epsilon(1e-12));
    CHECK(predict_time(seven, p).value() == Approx(evaluate(CollectiveSchedule(seven), p)).epsilon(1e-12));
  }
}

TEST_CASE("collective: hierarchical all-gather works rail-local on the local-major view", "[collective]") {
  // n = 4 in domains of g = 2 (d = 2), S = 8: pieces of 2 bytes at 0, 2, 4, 6. The view's
  // piece 0 is real pieces 0 and 2 ([0,2) and [4,6)), its piece 1 real pieces 1 and 3.
  CollectiveShape h = make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Hierarchical, 4, 8);
  h.domain_size = 2;
  const CollectiveSchedule c(h);
  REQUIRE(c.num_steps() == 2);  // rail ring of 2 (1 step), then the ring of 2 inside (1 step)
  // Step 0, position 1 (domain 0, local 1): its rail is {1, 3}; it sends its own piece 1 to 3
  // and receives piece 3 from 3 — the only transfer that leaves the domain.
  StepWork w = c.step(1, 0);
  REQUIRE(w.sends.size() == 1u);
  CHECK(w.sends[0].peer == 3);
  CHECK(w.sends[0].offset == 2u);
  CHECK(w.sends[0].bytes == 2u);
  REQUIRE(w.recvs.size() == 1u);
  CHECK(w.recvs[0].offset == 6u);
  // Step 1: inside domain 0, position 1 sends the view's piece 1 = real [2,4) and [6,8) to 0,
  // and receives the view's piece 0 = [0,2) and [4,6) from 0.
  w = c.step(1, 1);
  REQUIRE(w.sends.size() == 2u);
  CHECK(w.sends[0].peer == 0);
  CHECK(w.sends[0].offset == 2u);
  CHECK(w.sends[1].offset == 6u);
  REQUIRE(w.recvs.size() == 2u);
  CHECK(w.recvs[0].offset == 0u);
  CHECK(w.recvs[1].offset == 4u);
  // Reduce-scatter, ring inside and across: position p = 2e + l owns piece
  // ((e+1) mod 2) * 2 + (l+1) mod 2: position 1 (e 0, l 1) owns piece 2.
  h.kind = CollectiveKind::ReduceScatter;
  CHECK(reduce_scatter_owned_piece(h, 1) == 2);
  h.inter = CollectiveAlgorithm::HalvingDoubling;
  h.intra = CollectiveAlgorithm::Direct;
  CHECK(reduce_scatter_owned_piece(h, 1) == 1);  // the others keep the definition's piece p
}

TEST_CASE("collective: hierarchical all-gather sends (d-1) S/n across domains, the flat ring (n-1) S/n", "[collective]") {
  // n = 16 in 2 domains of 8, S = 16 MB: pieces of 1 MB. Hierarchical: the rail all-gather
  // moves 1 piece out of the domain per rank, the intra all-gather the rest of (n-1)/n S.
  // The flat ring's boundary ranks (7 and 15) send all of their n-1 pieces across.
  const std::uint64_t S = 16ULL << 20;
  CollectiveShape h = make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Hierarchical, 16, S);
  h.domain_size = 8;
  CollectiveShape ring = h;
  ring.algorithm = CollectiveAlgorithm::Ring;
  auto crossing = [](const CollectiveSchedule& c, int p) {
    std::uint64_t out = 0;
    for (int s = 0; s < c.num_steps(); ++s)
      for (const auto& t : c.step(p, s).sends)
        if (t.peer / 8 != p / 8) out += t.bytes;
    return out;
  };
  const CollectiveSchedule hc(h);
  const CollectiveSchedule rc(ring);
  for (int p = 0; p < 16; ++p) CHECK(crossing(hc, p) == (1ULL << 20));
  CHECK(crossing(rc, 7) == 15 * (1ULL << 20));
  CHECK(sent_per_rank(hc)[3] == 15 * (1ULL << 20));  // (n-1)/n S in all, as the ring
}

TEST_CASE("collective: hierarchical all-gather and reduce-scatter by hand", "[collective]") {
  using K = CollectiveKind;
  using A = CollectiveAlgorithm;
  // Two levels: intra 1 us, 400 GB/s; inter 10 us, 50 GB/s; 8 ranks in domains of 4 (d = 2), S = 1 GB.
  CollectiveCostParams two = one_level(1e-6, 400e9);
  two.inter = {Seconds(10e-6), BytesPerSecond(50e9), false};
  for (const K k : {K::AllGather, K::ReduceScatter}) {
    CollectiveShape h = make_shape(k, A::Hierarchical, 8, 1000000000ULL);
    h.domain_size = 4;
    // Rail (d = 2) of S/g = 250 MB: one ring step of S/n = 125 MB: 10 us + 2.5 ms = 2.51 ms.
    // Inside (g = 4) of 1 GB: 3 (1 us + 250 MB / 400 GB/s) = 3 x 0.626 ms = 1.878 ms.
    // T = 4.388 ms; the flat ring: 7 (10 us + 125 MB / 50 GB/s) = 17.57 ms.
    CHECK(predict_time(h, two).value() == Approx(0.004388).epsilon(1e-12));
    CollectiveShape ring = h;
    ring.algorithm = A::Ring;
    CHECK(predict_time(ring, two).value() == Approx(0.01757).epsilon(1e-12));
    // Direct inside: 1 us + 3 x 250 MB / 400 GB/s = 1.876 ms: T = 4.386 ms.
    h.intra = A::Direct;
    CHECK(predict_time(h, two).value() == Approx(0.004386).epsilon(1e-12));
  }
  // Worked example, 16 x H100-like (2 domains of 8), S = 1 GiB = 1073741824 B, alpha_i = 5 us,
  // B_i = 396 GB/s (NVLink 4 x 0.88), alpha_e = 20 us, B_e = 48.5 GB/s (one 400G NIC x payload):
  //   rail ring AG of S/g among d = 2: 1 step, 20 us + (S/16) / 48.5 GB/s = 20 us + 1383.69 us
  //   intra ring AG over 8: 7 (5 us + (S/8) / 396 GB/s) = 7 (5 + 338.93) us = 2407.51 us
  //   T = 3811.20 us, bus bandwidth (15/16) S / T = 264.1 GB/s; the flat ring's 15 steps pay the
  //   NIC every time: 15 (20 us + 1383.69 us) = 21055.4 us, 47.8 GB/s.
  CollectiveCostParams h100 = one_level(5e-6, 396e9);
  h100.inter = {Seconds(20e-6), BytesPerSecond(48.5e9), false};
  CollectiveShape ag = make_shape(K::AllGather, A::Hierarchical, 16, 1073741824ULL);
  ag.domain_size = 8;
  CHECK(predict_time(ag, h100).value() == Approx(3811.20e-6).epsilon(1e-5));
  ag.algorithm = A::Ring;
  CHECK(predict_time(ag, h100).value() == Approx(21055.4e-6).epsilon(1e-5));
  // NVLS inside: 16 GPUs in 2 domains of 8, intra 2 us and 900 GB/s, switch 450 GB/s, inter
  // 10 us and 50 GB/s, S = 1 GB. All-gather: rail 10 us + (1 GB / 16) / 50 GB/s = 1.26 ms;
  // NVLS all-gather inside: 2 us + (7/8 GB) / 450 GB/s = 1.946444 ms; T = 3.206444 ms.
  // Reduce-scatter: NVLS inside sends S up: 2 us + 1 GB / 450 GB/s = 2.224222 ms, then the
  // rail 1.26 ms: T = 3.484222 ms.
  CollectiveCostParams nv = one_level(2e-6, 900e9);
  nv.nvls_bandwidth = BytesPerSecond(450e9);
  nv.inter = {Seconds(10e-6), BytesPerSecond(50e9), false};
  CollectiveShape hn = make_shape(K::AllGather, A::Hierarchical, 16, 1000000000ULL);
  hn.domain_size = 8;
  hn.intra = A::Nvls;
  CHECK(predict_time(hn, nv).value() == Approx(0.01e-3 + 1.25e-3 + 2e-6 + 0.875 / 450.0).epsilon(1e-12));
  hn.kind = K::ReduceScatter;
  CHECK(predict_time(hn, nv).value() == Approx(0.01e-3 + 1.25e-3 + 2e-6 + 1.0 / 450.0).epsilon(1e-12));
  std::string why;
  CHECK_FALSE(algorithm_applies(hn, two, &why));  // no reducing switch
  CHECK_THAT(why, Contains("nvls_bandwidth"));
  // Step counts, 16 = 4 domains of 4: ring across (3) + ring inside (3) = 6; direct inside
  // 3 + 1; halving-doubling across log2 4 = 2, + 1.
  CollectiveShape st = make_shape(K::AllGather, A::Hierarchical, 16, 1000);
  st.domain_size = 4;
  CHECK(CollectiveSchedule(st).num_steps() == 6);
  st.intra = A::Direct;
  CHECK(CollectiveSchedule(st).num_steps() == 4);
  st.inter = A::HalvingDoubling;
  CHECK(CollectiveSchedule(st).num_steps() == 3);
  st.inter = A::Tree;
  CHECK_THROWS_WITH(CollectiveSchedule(st), Contains("inter must be ring or halving_doubling"));
  st.inter = A::Ring;
  st.intra = A::Tree;
  CHECK_THROWS_WITH(CollectiveSchedule(st), Contains("intra must be ring or direct or nvls"));
}
