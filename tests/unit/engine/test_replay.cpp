// Unit tests for sim/engine/replay: the RankExecutor's ordering and bookkeeping, without SimGrid.
//
// FakeEngine below plays the engine with a fake clock: a Compute or Timer action completes
// `seconds` after it was issued; Send and Recv actions are matched per channel in FIFO order and a
// matched pair completes at max(send posted, recv posted) + latency + bytes / bandwidth, with no
// contention between transfers. Unless a test says otherwise:
//   latency = 1 us, bandwidth = 1 GB/s: 1 MB takes 1 us + 1e6 / 1e9 s = 1.001 ms
//   GPU: bf16 100 TFLOP/s, HBM 1 TB/s, launch 1 us: a reduction of 1 MB takes 3e6 / 1e12 = 3 us
// Workloads are built by hand (deps listed explicitly, as the trace reader would resolve them),
// except for one end-to-end test that loads a trace.
#include "core/error.hpp"
#include "models/collective.hpp"
#include "models/gpu.hpp"
#include "sim/engine/replay.hpp"
#include "sim/workload/workload.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

constexpr double kLatency = 1e-6;    // 1 us per transfer
constexpr double kBandwidth = 1e9;   // 1 GB/s per transfer

GpuSpec replay_gpu(double hbm_bandwidth = 1e12) {
  GpuSpec g;
  g.id = "replay_gpu";
  g.peak_dense[Precision::bf16] = FlopRate(100e12);
  g.hbm_bandwidth = BytesPerSecond(hbm_bandwidth);
  g.launch_overhead = Seconds(1e-6);
  return g;
}

// ---- building workloads by hand ---------------------------------------------------------------

// `ranks` ranks, the group 'world' (index 0) and streams 0 'compute', 1 'comm', 2 'aux'.
Workload make_workload(int ranks) {
  Workload w;
  w.name = "unit-replay";
  w.ranks = ranks;
  std::vector<int> all;
  for (int r = 0; r < ranks; ++r) all.push_back(r);
  add_group(w, "world", all);
  w.streams = {"compute", "comm", "aux"};
  w.programs.assign(static_cast<std::size_t>(ranks), {});
  return w;
}

Op compute_op(const std::string& id, double seconds, int stream, std::vector<int> deps = {}) {
  Op o;
  o.id = id;
  o.kind = OpKind::Compute;
  o.duration = Seconds(seconds);
  o.stream = stream;
  o.deps = std::move(deps);
  return o;
}

Op kernel_op(const std::string& id, double flops, Precision p, double bytes) {
  Op o;
  o.id = id;
  o.kind = OpKind::Compute;
  o.flops = Flops(flops);
  o.precision = p;
  o.hbm_bytes = Bytes(bytes);
  return o;
}

Op delay_op(const std::string& id, double seconds, std::vector<int> deps = {}) {
  Op o = compute_op(id, seconds, 0, std::move(deps));
  o.kind = OpKind::Delay;
  return o;
}

Op collective_op(const std::string& id, CollectiveKind k, CollectiveAlgorithm a, int group, std::uint64_t bytes,
                 std::vector<int> deps = {}) {
  Op o;
  o.id = id;
  o.kind = OpKind::Collective;
  o.collective = k;
  o.algorithm = a;
  o.group = group;
  o.sequence = 0;
  o.bytes = bytes;
  o.stream = 1;
  o.deps = std::move(deps);
  return o;
}

Op p2p_op(const std::string& id, OpKind kind, int peer, std::uint64_t bytes, int tag, int stream,
          std::vector<int> deps = {}) {
  Op o;
  o.id = id;
  o.kind = kind;
  o.peer = peer;
  o.bytes = bytes;
  o.tag = tag;
  o.stream = stream;
  o.deps = std::move(deps);
  return o;
}

// One executor per rank of `w`, all on `gpu`.
std::vector<std::unique_ptr<RankExecutor>> executors(const Workload& w, const GpuSpec& gpu) {
  std::vector<std::unique_ptr<RankExecutor>> ex;
  for (int r = 0; r < w.ranks; ++r) ex.push_back(std::make_unique<RankExecutor>(r, w, gpu));
  return ex;
}

// ---- the fake engine --------------------------------------------------------------------------

class FakeEngine {
public:
  struct Transfer {
    std::string channel;
    int from = -1;
    int to = -1;
    std::uint64_t bytes = 0;
    double start = 0.0;
    double end = 0.0;
  };

  // Memory actions take bytes / hbm_bandwidth (the executors' GPU's), with no sharing.
  FakeEngine(const std::vector<std::unique_ptr<RankExecutor>>& ranks, double latency, double bandwidth,
             double hbm_bandwidth = 1e12)
      : latency_(latency), bandwidth_(bandwidth), hbm_bandwidth_(hbm_bandwidth) {
    for (const auto& e : ranks) ex_.push_back(e.get());
    batches.resize(ex_.size());
    done_at.assign(ex_.size(), -1.0);
  }

  void run() {
    for (std::size_t r = 0; r < ex_.size(); ++r) deliver(static_cast<int>(r), ex_[r]->start(0.0), 0.0);
    while (!events_.empty()) {
      const Event e = *events_.begin();
      events_.erase(events_.begin());
      auto& x = *ex_[static_cast<std::size_t>(e.rank)];
      deliver(e.rank, x.on_complete(e.token, e.time), e.time);
    }
  }

  // Sends and receives posted but never matched (a deadlock if non-zero).
  [[nodiscard]] std::size_t unmatched() const {
    std::size_t n = 0;
    for (const auto& [ch, q] : sends_) n += q.size();
    for (const auto& [ch, q] : recvs_) n += q.size();
    return n;
  }

  std::vector<Transfer> transfers;                        // in the order they were matched
  std::vector<std::vector<std::vector<Action>>> batches;  // per rank: each non-empty batch of actions
  std::vector<double> done_at;                            // per rank: when done() first held (-1: never)

private:
  struct Event {
    double time;
    std::uint64_t seq;
    int rank;
    std::uint64_t token;
    bool operator<(const Event& o) const { return std::tie(time, seq) < std::tie(o.time, o.seq); }
  };
  struct Posted {
    int rank;
    Action action;
    double time;
  };

  void schedule(double time, int rank, std::uint64_t token) { events_.insert(Event{time, seq_++, rank, token}); }

  void deliver(int rank, const std::vector<Action>& actions, double now) {
    const auto r = static_cast<std::size_t>(rank);
    if (!actions.empty()) batches[r].push_back(actions);
    for (const Action& a : actions) {
      switch (a.kind) {
        case Action::Kind::Compute:
        case Action::Kind::Timer: schedule(now + a.seconds, rank, a.token); break;
        case Action::Kind::Memory: schedule(now + static_cast<double>(a.bytes) / hbm_bandwidth_, rank, a.token); break;
        case Action::Kind::SwitchSend:  // the fake network has no switch: these tests use no NVLS
        case Action::Kind::SwitchRecv: FAIL("unexpected NVLS transfer in the fake network"); break;
        case Action::Kind::Call: FAIL("unexpected isolated call: these tests' plans are not marked isolated"); break;
        case Action::Kind::Send:
          sends_[a.channel].push_back({rank, a, now});
          match(a.channel);
          break;
        case Action::Kind::Recv:
          recvs_[a.channel].push_back({rank, a, now});
          match(a.channel);
          break;
      }
    }
    if (done_at[r] < 0.0 && ex_[r]->done()) done_at[r] = now;
  }

  void match(const std::string& channel) {
    auto& s = sends_[channel];
    auto& q = recvs_[channel];
    while (!s.empty() && !q.empty()) {
      const Posted snd = s.front();
      const Posted rcv = q.front();
      s.pop_front();
      q.pop_front();
      // A channel is a mailbox of its receiver: a send's destination is the receiving rank. A
      // recv's source is checked by the tests where a channel has one sender (ring, point to
      // point); a direct collective's channel takes the step's messages from every peer.
      CHECK(snd.action.peer == rcv.rank);
      const double start = std::max(snd.time, rcv.time);
      const double end = start + latency_ + static_cast<double>(snd.action.bytes) / bandwidth_;
      transfers.push_back({channel, snd.rank, rcv.rank, snd.action.bytes, start, end});
      schedule(end, snd.rank, snd.action.token);
      schedule(end, rcv.rank, rcv.action.token);
    }
  }

  double latency_;
  double bandwidth_;
  double hbm_bandwidth_;
  std::vector<RankExecutor*> ex_;
  std::set<Event> events_;
  std::uint64_t seq_ = 0;
  std::map<std::string, std::deque<Posted>> sends_;
  std::map<std::string, std::deque<Posted>> recvs_;
};

void check_interval(const Interval& i, double start, double end) {
  CHECK(i.start == Approx(start).margin(1e-15));
  CHECK(i.end == Approx(end).margin(1e-15));
}

}  // namespace

// ---- compute, streams and dependencies --------------------------------------------------------

TEST_CASE("replay: independent compute ops on different streams start together", "[replay]") {
  Workload w = make_workload(1);
  w.programs[0] = {compute_op("a", 2e-3, 0), compute_op("b", 3e-3, 2)};  // no deps: both ready at 0
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  const std::vector<Action> first = ex.start(0.0);
  REQUIRE(first.size() == 2);
  CHECK(first[0].kind == Action::Kind::Compute);
  CHECK(first[0].seconds == 2e-3);
  CHECK(first[1].seconds == 3e-3);
  CHECK(first[0].token != first[1].token);
}

TEST_CASE("replay: independent compute ops overlap in the record", "[replay]") {
  Workload w = make_workload(1);
  w.programs[0] = {compute_op("a", 2e-3, 0), compute_op("b", 3e-3, 2)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  const RankRecord& rec = ex[0]->record();
  REQUIRE(rec.compute.size() == 2);  // recorded as they finish: a at 2 ms, then b at 3 ms
  check_interval(rec.compute[0], 0.0, 2e-3);
  check_interval(rec.compute[1], 0.0, 3e-3);
  CHECK(rec.finish == Approx(3e-3));  // max(2 ms, 3 ms)
  CHECK(rec.comm.empty());
}

TEST_CASE("replay: ops on the same stream run one after another", "[replay]") {
  Workload w = make_workload(1);
  // b follows a on stream 0: the reader turns stream order into the dependency {0}
  w.programs[0] = {compute_op("a", 2e-3, 0), compute_op("b", 3e-3, 0, {0})};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  CHECK(RankExecutor(0, w, gpu).start(0.0).size() == 1);  // only a is ready at first
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  const RankRecord& rec = ex[0]->record();
  REQUIRE(rec.compute.size() == 2);
  check_interval(rec.compute[0], 0.0, 2e-3);   // a: 0 -> 2 ms
  check_interval(rec.compute[1], 2e-3, 5e-3);  // b: 2 ms -> 2 + 3 = 5 ms
  CHECK(rec.finish == Approx(5e-3));
}

TEST_CASE("replay: a dependency delays an op until it completes", "[replay]") {
  Workload w = make_workload(1);
  // a (4 ms) and b (1 ms) on different streams; c (1 ms) follows b on its stream and also needs a
  w.programs[0] = {compute_op("a", 4e-3, 0), compute_op("b", 1e-3, 2), compute_op("c", 1e-3, 2, {0, 1})};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  const RankRecord& rec = ex[0]->record();
  REQUIRE(rec.compute.size() == 3);
  check_interval(rec.compute[0], 0.0, 1e-3);   // b: 0 -> 1 ms
  check_interval(rec.compute[1], 0.0, 4e-3);   // a: 0 -> 4 ms
  check_interval(rec.compute[2], 4e-3, 5e-3);  // c waits for a (4 ms), not just b (1 ms): 4 -> 5 ms
  CHECK(rec.finish == Approx(5e-3));
}

TEST_CASE("replay: stream order from a loaded trace", "[replay][trace]") {
  const Workload w = load_native_trace(std::string(RACKSIM_TEST_DATA) + "/unit/trace_replay_streams.yaml");
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  const RankRecord& rec = ex[0]->record();
  // a (2 ms) and b (3 ms) share the 'compute' stream; c (4 ms) is alone on 'aux'
  REQUIRE(rec.compute.size() == 3);
  check_interval(rec.compute[0], 0.0, 2e-3);   // a
  check_interval(rec.compute[1], 0.0, 4e-3);   // c, concurrent with a
  check_interval(rec.compute[2], 2e-3, 5e-3);  // b after a: 2 -> 5 ms
  CHECK(rec.finish == Approx(5e-3));
}

TEST_CASE("replay: a kernel is its launch overhead then its compute and memory parts", "[replay]") {
  Workload w = make_workload(1);
  w.programs[0] = {kernel_op("gemm", 1e12, Precision::bf16, 1e9)};
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  const std::vector<Action> launch = ex.start(0.0);
  REQUIRE(launch.size() == 1);
  CHECK(launch[0].kind == Action::Kind::Timer);
  CHECK(launch[0].seconds == Approx(1e-6).epsilon(1e-12));  // the GPU's 1 us launch overhead
  const std::vector<Action> parts = ex.on_complete(launch[0].token, 1e-6);
  REQUIRE(parts.size() == 2);
  // compute part 1e12 / 1e14 = 10 ms on the cores; memory part 1e9 B over HBM (1 ms at 1 TB/s)
  CHECK(parts[0].kind == Action::Kind::Compute);
  CHECK(parts[0].seconds == Approx(10e-3).epsilon(1e-12));
  CHECK(parts[1].kind == Action::Kind::Memory);
  CHECK(parts[1].bytes == 1000000000ULL);
  // Alone, the kernel ends with its longer part: 1 us + max(10 ms, 1 ms) = 10.001 ms
  CHECK(ex.on_complete(parts[1].token, 1e-6 + 1e-3).empty());
  CHECK_FALSE(ex.done());
  CHECK(ex.on_complete(parts[0].token, 10.001e-3).empty());
  CHECK(ex.done());
  REQUIRE(ex.record().compute.size() == 1);
  CHECK(ex.record().compute[0].end == Approx(10.001e-3));
}

TEST_CASE("replay: an unsupported precision names the op", "[replay]") {
  Workload w = make_workload(1);
  w.programs[0] = {kernel_op("k", 1e9, Precision::fp4, 0.0)};  // the replay GPU has only bf16
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  CHECK_THROWS_AS(ex.start(0.0), InputError);
  RankExecutor ex2(0, w, gpu);
  CHECK_THROWS_WITH(ex2.start(0.0), Contains("op 'k'") && Contains("has no fp4 rate"));
}

TEST_CASE("replay: a delay is a timer and is not recorded as compute or comm", "[replay]") {
  Workload w = make_workload(1);
  w.programs[0] = {delay_op("wait", 5e-6), compute_op("k", 1e-3, 0, {0})};
  const GpuSpec gpu = replay_gpu();
  RankExecutor probe(0, w, gpu);
  const std::vector<Action> first = probe.start(0.0);
  REQUIRE(first.size() == 1);
  CHECK(first[0].kind == Action::Kind::Timer);
  CHECK(first[0].seconds == 5e-6);
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  const RankRecord& rec = ex[0]->record();
  REQUIRE(rec.compute.size() == 1);              // only k
  check_interval(rec.compute[0], 5e-6, 1.005e-3);  // 5 us -> 5 us + 1 ms
  CHECK(rec.comm.empty());
}

TEST_CASE("replay: done holds only after every op completed", "[replay]") {
  Workload w = make_workload(1);
  w.programs[0] = {compute_op("a", 1e-3, 0), compute_op("b", 1e-3, 0, {0})};
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  const std::vector<Action> a = ex.start(0.0);
  REQUIRE(a.size() == 1);
  CHECK_FALSE(ex.done());
  const std::vector<Action> b = ex.on_complete(a[0].token, 1e-3);
  REQUIRE(b.size() == 1);  // b released by a
  CHECK_FALSE(ex.done());
  CHECK(ex.on_complete(b[0].token, 2e-3).empty());
  CHECK(ex.done());
  CHECK(ex.record().finish == 2e-3);
}

TEST_CASE("replay: a rank without ops is done at once", "[replay]") {
  Workload w = make_workload(1);
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  CHECK(ex.start(2.5).empty());
  CHECK(ex.done());
  CHECK(ex.record().finish == 2.5);  // finishes when it starts
}

TEST_CASE("replay: an unknown token is an internal error", "[replay]") {
  Workload w = make_workload(1);
  w.programs[0] = {compute_op("a", 1e-3, 0)};
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  (void)ex.start(0.0);  // issues token 0 only
  CHECK_THROWS_AS(ex.on_complete(7, 1.0), Error);
}

// ---- collectives ------------------------------------------------------------------------------

TEST_CASE("replay: ring all-reduce over 4 ranks issues 6 steps of one send and one recv", "[replay][collective]") {
  Workload w = make_workload(4);
  // 4 MB over 4 ranks: chunks of 4e6 / 4 = 1e6 B
  for (auto& p : w.programs) p = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 4000000)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  for (int r = 0; r < 4; ++r) {
    INFO("rank " << r);
    const int next = (r + 1) % 4;
    const int prev = (r + 3) % 4;
    const auto& batches = eng.batches[static_cast<std::size_t>(r)];
    REQUIRE(batches.size() == 6);  // 2 * (4 - 1) steps, each started by one batch of actions
    for (std::size_t s = 0; s < 6; ++s) {
      INFO("step " << s);
      const auto& b = batches[s];
      // Steps 0-2 are the reduce-scatter phase: they also reduce the received chunk, a kernel of
      // a compute part and a memory part
      REQUIRE(b.size() == (s < 3 ? 4u : 2u));
      CHECK(b[0].kind == Action::Kind::Send);
      CHECK(b[0].peer == next);
      CHECK(b[0].bytes == 1000000);
      CHECK(b[0].channel == "c0.0.r" + std::to_string(next));  // group 0, sequence 0, to the receiver
      CHECK(b[1].kind == Action::Kind::Recv);
      CHECK(b[1].peer == prev);
      CHECK(b[1].channel == "c0.0.r" + std::to_string(r));
      if (s < 3) {
        // 1e6 B of BF16 = 5e5 elements, one add each: 5e5 FLOP / 100e12 FLOP/s = 5 ns
        CHECK(b[2].kind == Action::Kind::Compute);
        CHECK(b[2].seconds == Approx(5e-9).epsilon(1e-12));
        // two 1e6 B inputs read, one written: 3e6 B over HBM (no calibration: efficiency 1)
        CHECK(b[3].kind == Action::Kind::Memory);
        CHECK(b[3].bytes == 3000000);
      }
    }
  }
  CHECK(eng.unmatched() == 0);
}

TEST_CASE("replay: ring all-reduce time and counters match the alpha-beta form", "[replay][collective]") {
  Workload w = make_workload(4);
  for (auto& p : w.programs) p = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 4000000)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  // Each step: transfer 1 us + 1e6 / 1e9 = 1.001 ms; the 3 us reduction hides under it.
  // 6 steps: 6 * 1.001 ms = 6.006 ms, which is 2(n-1)(alpha + S/(nB)) for n = 4, S = 4 MB
  const double expected = 6 * (1e-6 + 1e6 / 1e9);
  CHECK(expected == Approx(ring_all_reduce_time(4, Bytes(4e6), Seconds(1e-6), BytesPerSecond(1e9)).value()));
  for (int r = 0; r < 4; ++r) {
    INFO("rank " << r);
    const RankRecord& rec = ex[static_cast<std::size_t>(r)]->record();
    REQUIRE(rec.comm.size() == 1);
    check_interval(rec.comm[0], 0.0, expected);
    CHECK(rec.compute.empty());   // reductions belong to the collective, not to compute
    CHECK(rec.transfers == 6);    // one send per step
    CHECK(rec.bytes_sent == 6000000);  // 6 chunks of 1e6 B
    CHECK(rec.finish == Approx(expected));
    CHECK(ex[static_cast<std::size_t>(r)]->done());
    CHECK(eng.done_at[static_cast<std::size_t>(r)] == Approx(expected));  // not done before the last step
  }
  CHECK(eng.transfers.size() == 24);  // 4 ranks * 6 steps
}

TEST_CASE("replay: a slow reduction bounds the reduce-scatter steps", "[replay][collective]") {
  Workload w = make_workload(4);
  for (auto& p : w.programs) p = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 4000000)};
  const GpuSpec gpu = replay_gpu(1e9);  // HBM 1 GB/s: reducing 1e6 B takes 3 * 1e6 / 1e9 = 3 ms
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth, 1e9);
  eng.run();
  // A step ends when its transfers and its reduction are all done:
  // 3 reduce-scatter steps of max(1.001, 3) = 3 ms + 3 all-gather steps of 1.001 ms = 12.003 ms
  const double expected = 3 * 3e-3 + 3 * 1.001e-3;
  for (const auto& e : ex) {
    REQUIRE(e->record().comm.size() == 1);
    check_interval(e->record().comm[0], 0.0, expected);
  }
}

TEST_CASE("replay: ring all-reduce with uneven chunks sends each chunk once per step", "[replay][collective]") {
  Workload w = make_workload(4);
  // 10 B over 4 ranks: chunk c has 10 / 4 = 2 B plus 1 if c < 10 mod 4 = 2 -> sizes 3, 3, 2, 2
  for (auto& p : w.programs) p = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 10)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  // Rank 0 sends chunk (0 - s) mod 4 in the reduce-scatter steps s = 0, 1, 2: chunks 0, 3, 2 = 3 + 2 + 2 B,
  // then (0 + 1 - t) mod 4 in the all-gather steps t = 0, 1, 2: chunks 1, 0, 3 = 3 + 3 + 2 B. Total 15 B.
  CHECK(ex[0]->record().transfers == 6);
  CHECK(ex[0]->record().bytes_sent == 15);
  // Each step the 4 ranks send the 4 chunks once: 10 B per step, 6 steps: 60 B = 2 (n-1) S
  std::uint64_t total = 0;
  for (const auto& e : ex) total += e->record().bytes_sent;
  CHECK(total == 60);
  CHECK(eng.unmatched() == 0);
}

TEST_CASE("replay: empty chunks are skipped on both ends without deadlock", "[replay][collective]") {
  Workload w = make_workload(4);
  // 2 B over 4 ranks: chunks 1, 1, 0, 0; each step 2 of the 4 transfers are empty and skipped
  for (auto& p : w.programs) p = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 2)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  for (const auto& e : ex) CHECK(e->done());
  CHECK(eng.unmatched() == 0);
  // 2 non-empty transfers per step * 6 steps = 12 transfers of 1 B
  CHECK(eng.transfers.size() == 12);
  std::uint64_t sends = 0;
  for (const auto& e : ex) sends += e->record().transfers;
  CHECK(sends == 12);
}

TEST_CASE("replay: direct all-gather exchanges with every peer in one step", "[replay][collective]") {
  Workload w = make_workload(4);
  // 4 MB output: every rank owns one 1e6 B chunk and sends it to the 3 others at once
  for (auto& p : w.programs) p = {collective_op("ag", CollectiveKind::AllGather, CollectiveAlgorithm::Direct, 0, 4000000)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  const auto& batches = eng.batches[1];  // rank 1
  REQUIRE(batches.size() == 1);
  const auto& b = batches[0];
  REQUIRE(b.size() == 6);  // 3 sends, 3 recvs, no reduction in an all-gather
  // Peers in rotation order: sends to 2, 3, 0; receives from 0, 3, 2
  CHECK(b[0].kind == Action::Kind::Send);
  CHECK(b[0].peer == 2);
  CHECK(b[0].channel == "c0.0.s0.r2");  // direct channels carry the step
  CHECK(b[1].peer == 3);
  CHECK(b[2].peer == 0);
  CHECK(b[3].kind == Action::Kind::Recv);
  CHECK(b[3].peer == 0);
  CHECK(b[3].channel == "c0.0.s0.r1");
  // All 3 messages to rank 1 share its mailbox for step 0, whoever sends them
  std::set<int> senders_to_1;
  for (const auto& t : eng.transfers)
    if (t.to == 1) {
      CHECK(t.channel == "c0.0.s0.r1");
      senders_to_1.insert(t.from);
    }
  CHECK(senders_to_1 == std::set<int>{0, 2, 3});
  // Uncontended: every transfer takes 1.001 ms and they overlap, so the collective takes 1.001 ms
  check_interval(ex[1]->record().comm.at(0), 0.0, 1.001e-3);
  CHECK(ex[1]->record().bytes_sent == 3000000);
}

TEST_CASE("replay: a collective on a one-rank group completes at once", "[replay][collective]") {
  Workload w = make_workload(2);
  add_group(w, "solo", {0});  // group 1
  w.programs[0] = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 1, 1000000)};
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  CHECK(ex.start(0.0).empty());  // nothing to exchange with nobody
  CHECK(ex.done());
  REQUIRE(ex.record().comm.size() == 1);
  check_interval(ex.record().comm[0], 0.0, 0.0);
  CHECK(ex.record().transfers == 0);
}

TEST_CASE("replay: an op after a collective starts when the collective ends", "[replay][collective]") {
  Workload w = make_workload(2);
  // 2 ranks, 2 MB: chunks of 1e6 B, 2 steps of 1.001 ms -> the all-reduce ends at 2.002 ms
  for (auto& p : w.programs)
    p = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 2000000),
         compute_op("opt", 1e-3, 0, {0})};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  const RankRecord& rec = ex[1]->record();
  REQUIRE(rec.comm.size() == 1);
  REQUIRE(rec.compute.size() == 1);
  check_interval(rec.comm[0], 0.0, 2.002e-3);
  check_interval(rec.compute[0], 2.002e-3, 3.002e-3);  // 2.002 ms + 1 ms
}

// ---- point-to-point ---------------------------------------------------------------------------

TEST_CASE("replay: a send waits for its dependency and meets a posted recv", "[replay][p2p]") {
  Workload w = make_workload(2);
  w.programs[0] = {compute_op("c", 2e-3, 0), p2p_op("s", OpKind::Send, 1, 1000000, 7, 1, {0})};
  w.programs[1] = {p2p_op("r", OpKind::Recv, 0, 1000000, 7, 1)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  REQUIRE(eng.batches[1].size() == 1);
  REQUIRE(eng.batches[1][0].size() == 1);
  CHECK(eng.batches[1][0][0].kind == Action::Kind::Recv);
  CHECK(eng.batches[1][0][0].peer == 0);  // the recv names its source
  REQUIRE(eng.transfers.size() == 1);
  const auto& t = eng.transfers[0];
  CHECK(t.channel == "p0.1.t7");  // source 0, destination 1, tag 7, on both ends
  CHECK(t.from == 0);
  CHECK(t.to == 1);
  // The recv is posted at 0, the send at 2 ms: 2 ms + 1 us + 1e6 / 1e9 = 3.001 ms
  CHECK(t.start == Approx(2e-3));
  CHECK(t.end == Approx(3.001e-3));
  REQUIRE(ex[0]->record().comm.size() == 1);
  check_interval(ex[0]->record().comm[0], 2e-3, 3.001e-3);
  REQUIRE(ex[1]->record().comm.size() == 1);
  check_interval(ex[1]->record().comm[0], 0.0, 3.001e-3);  // the recv waited from 0
  CHECK(ex[0]->record().transfers == 1);
  CHECK(ex[0]->record().bytes_sent == 1000000);
  CHECK(ex[1]->record().transfers == 0);  // a recv is not a transfer issued
  CHECK(ex[1]->record().bytes_sent == 0);
}

TEST_CASE("replay: messages on one channel match in FIFO order", "[replay][p2p]") {
  Workload w = make_workload(2);
  // Rank 0 sends m1 (1 MB) then m2 (2 MB) on one stream; rank 1 posts both recvs at 0 on two streams.
  w.programs[0] = {p2p_op("m1", OpKind::Send, 1, 1000000, 0, 1), p2p_op("m2", OpKind::Send, 1, 2000000, 0, 1, {0})};
  w.programs[1] = {p2p_op("r1", OpKind::Recv, 0, 1000000, 0, 1), p2p_op("r2", OpKind::Recv, 0, 2000000, 0, 2)};
  const GpuSpec gpu = replay_gpu();
  auto ex = executors(w, gpu);
  FakeEngine eng(ex, kLatency, kBandwidth);
  eng.run();
  REQUIRE(eng.transfers.size() == 2);
  CHECK(eng.transfers[0].bytes == 1000000);  // m1 meets r1
  CHECK(eng.transfers[1].bytes == 2000000);  // m2 meets r2
  const RankRecord& rec = ex[1]->record();
  REQUIRE(rec.comm.size() == 2);
  check_interval(rec.comm[0], 0.0, 1.001e-3);  // r1: 1 us + 1 ms
  // r2: m2 is sent after m1 ends at 1.001 ms: 1.001 ms + 1 us + 2e6 / 1e9 s = 3.002 ms
  check_interval(rec.comm[1], 0.0, 3.002e-3);
  CHECK(ex[0]->record().transfers == 2);
  CHECK(ex[0]->record().bytes_sent == 3000000);
}

// ---- deadlock reports -------------------------------------------------------------------------

TEST_CASE("replay: describe_pending names the collective in progress and its step", "[replay][pending]") {
  Workload w = make_workload(4);
  w.programs[0] = {collective_op("ar", CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 0, 4000000),
                   compute_op("after", 1e-3, 0, {0})};
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  const std::vector<Action> step1 = ex.start(0.0);
  REQUIRE(step1.size() == 4);  // send, recv, and the reduction's compute and memory parts
  // Steps are printed 1-based: a ring all-reduce over 4 ranks has 2 * 3 = 6
  CHECK(ex.describe_pending() == "rank 0: in progress: ar (step 1 of 6); not started: after");
  for (const Action& a : step1) (void)ex.on_complete(a.token, 1e-3);
  CHECK(ex.describe_pending() == "rank 0: in progress: ar (step 2 of 6); not started: after");
}

TEST_CASE("replay: describe_pending lists at most three waiting ops", "[replay][pending]") {
  Workload w = make_workload(1);
  w.programs[0] = {compute_op("a", 1e-3, 0), compute_op("b", 1e-3, 0, {0}), compute_op("c", 1e-3, 2, {0}),
                   compute_op("d", 1e-3, 2, {0}), compute_op("e", 1e-3, 2, {0})};
  const GpuSpec gpu = replay_gpu();
  RankExecutor ex(0, w, gpu);
  const std::vector<Action> first = ex.start(0.0);
  REQUIRE(first.size() == 1);
  // 4 ops wait: the first 3 are named, the 4th is counted
  CHECK(ex.describe_pending() == "rank 0: in progress: a; not started: b, c, d and 1 more");
  std::vector<Action> ready = ex.on_complete(first[0].token, 1e-3);
  CHECK(ready.size() == 4);  // all four depended only on a
  for (const Action& x : ready) (void)ex.on_complete(x.token, 2e-3);
  CHECK(ex.done());
  CHECK(ex.describe_pending() == "rank 0: in progress: none; not started: none");
}
