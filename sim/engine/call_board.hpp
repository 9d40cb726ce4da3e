// racksim engine: the call board — times a full run's isolated collective calls (isolation.hpp)
// from their members' arrivals, with no SimGrid activity per transfer. Pure: the SimGrid adapter
// tells it who reached which call when; when the last member arrives the board evaluates the call
// (evaluate_call) and every member takes its part: when it ends and what it sent. The adapter
// wakes the members that were waiting and gives each a timer to its end.
//
// Evaluations are shared: a call whose members all arrive together at one GPU speed is evaluated
// once per (call class, speed) — calls of one group with the same shape, protocol and latencies
// form a class — and its ends are the class's offsets added to the arrival time.
#pragma once

#include "sim/engine/isolation.hpp"
#include "sim/workload/workload.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace racksim {

// What the board did over a run (summary.json simulation.collective_timing).
struct CallBoardStats {
  std::uint64_t member_calls = 0;        // members' parts taken
  std::uint64_t overlapped = 0;          // of those finished, with other kernels or a clock change on the GPU meanwhile
  std::uint64_t clamped = 0;             // parts whose evaluated end fell before the last arrival (set to it)
  std::uint64_t evaluations = 0;         // evaluate_call runs
  std::uint64_t evaluated_transfers = 0; // transfers those runs timed
};

class CallBoard {
public:
  // `w`: the run's workload, its isolated plans marked (it must outlive the board); `costs` and
  // `reduce` as evaluate_call takes them.
  CallBoard(const Workload& w, PairCosts costs, ReduceTime reduce);

  // The key of the call op `op` (group and sequence) for arrive() and take().
  [[nodiscard]] static std::uint64_t key_of(const Op& op);

  // Rank `rank` reaches its collective op `op` (whose plan is isolated) at `now`, its GPU at
  // `speed`. True when it is the call's last member: the call is then evaluated and every
  // member's part can be taken. Throws Error for a rank that is not a member or arrives twice.
  bool arrive(int rank, const Op& op, double now, MemberSpeed speed);
  // Whether the next arrival at the call of `op` would be its last.
  [[nodiscard]] bool completed_by(const Op& op) const;

  struct Part {
    double finish = 0.0;            // when the member's part ends (never before the last arrival)
    std::uint64_t transfers = 0;    // its non-empty sends
    std::uint64_t wire_bytes = 0;   // bytes it put on the wire
    double compute_busy = 0.0;      // seconds its reductions' compute parts run
    double memory_busy = 0.0;       // seconds their memory parts run
    double reduce_end = 0.0;        // when its last reduction ends
  };
  // The part of member `rank` of the evaluated call `key`; once per member (the call is forgotten
  // after its last part is taken). Throws Error when the call is not evaluated yet.
  Part take(int rank, std::uint64_t key);

  // A member's part ended; `overlapped`: its GPU ran other kernels or changed clock meanwhile.
  void finished(bool overlapped);

  [[nodiscard]] const CallBoardStats& stats() const { return stats_; }
  // Calls some members reached and others not yet (a deadlock report names them).
  [[nodiscard]] std::size_t open_calls() const { return calls_.size(); }

private:
  struct Open {
    int group = -1;
    int plan = -1;
    int arrived = 0;
    int taken = 0;
    double last = 0.0;                 // the latest arrival
    std::vector<double> starts;        // by position; NaN until the member arrives
    std::vector<MemberSpeed> speeds;
    CallTiming timing;                 // filled when the last member arrives
  };
  void evaluate(Open& c);

  const Workload& w_;
  PairCosts costs_;
  ReduceTime reduce_;
  std::vector<int> class_of_plan_;  // -1: not isolated
  std::unordered_map<std::uint64_t, Open> calls_;
  std::map<std::tuple<int, double, double>, CallTiming> offsets_;  // (class, clock, hbm) -> evaluated from 0
  CallBoardStats stats_;
};

}  // namespace racksim
