// Unit tests for models/collective: the step schedules of ring and direct collectives and their
// alpha-beta closed forms. Expected values are derived in the comments from the definitions in
// collective.hpp (ring: n-1 steps per phase, one chunk to the successor per step; direct: every
// peer at once; chunks differ by at most one byte).
//
#include "models/collective.hpp"

#include "core/error.hpp"
#include "core/units.hpp"

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

constexpr CollectiveKind kAllKinds[] = {CollectiveKind::AllReduce, CollectiveKind::AllGather,
                                        CollectiveKind::ReduceScatter, CollectiveKind::AllToAll};

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
      const StepPlan mine = c.step(p, s);
      const int next = (p + 1) % n;
      const StepPlan succ = c.step(next, s);
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
      const StepPlan plan = c.step(p, s);
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
          const StepPlan plan = c.step(p, s);
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
        const StepPlan plan = c.step(p, s);
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
      const StepPlan plan = c.step(p, 0);
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
    const StepPlan plan = c.step(p, 0);
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    for (const auto& t : plan.sends) {
      sent += t.bytes;
      CHECK(t.bytes == CollectiveSchedule::piece(c.shape().bytes, c.group_size(), t.peer));
      // The peer lists a receive from p of the same size.
      const StepPlan peer = c.step(t.peer, 0);
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
    const StepPlan rs = c.step(p, 0);
    const StepPlan ag = c.step(p, 1);
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
  CHECK(algorithms_for(CollectiveKind::AllToAll) == std::vector<CollectiveAlgorithm>{CollectiveAlgorithm::Direct});
  for (const CollectiveKind k : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter})
    CHECK(algorithms_for(k) == std::vector<CollectiveAlgorithm>{CollectiveAlgorithm::Ring, CollectiveAlgorithm::Direct});
}

TEST_CASE("collective: kind and algorithm names round-trip", "[collective]") {
  for (const CollectiveKind k : kAllKinds) CHECK(collective_kind_from_string(to_string(k)) == k);
  CHECK(to_string(CollectiveKind::AllReduce) == "all_reduce");
  CHECK(to_string(CollectiveKind::ReduceScatter) == "reduce_scatter");
  CHECK(collective_algorithm_from_string("ring") == CollectiveAlgorithm::Ring);
  CHECK(collective_algorithm_from_string("direct") == CollectiveAlgorithm::Direct);
  CHECK_FALSE(collective_kind_from_string("allreduce").has_value());
  CHECK_FALSE(collective_kind_from_string("").has_value());
  CHECK_FALSE(collective_algorithm_from_string("pairwise").has_value());
  CHECK_FALSE(collective_algorithm_from_string("Ring").has_value());
}
