// racksim engine: collective calls that provably contend with nothing, and their exact timing
// (docs/scale.md, "Calls timed in closed form in full runs").
//
// A call whose transfers can never share a link with any other transfer in flight takes, on the
// engine's own rules (replay.hpp), a time that depends only on when each member reaches it: per
// step the hop latency, then each transfer from the later of its two ends' step starts (SimGrid's
// rendezvous) for route latency + wire bytes / bottleneck bandwidth (exactly what SimGrid's CM02
// model with TCP-gamma off gives an uncontended flow; a step's several transfers with one peer,
// which share their route, end together at latency + their bytes added / bandwidth, max-min
// sharing being work-conserving), and the step's reduction. evaluate_call
// computes that for any arrival times; such a call then needs no SimGrid activity per transfer
// (a ring of n members has 2n(n-1) of them): call_board.hpp times it when its last member arrives.
//
// The proof (mark_isolated_calls). A bound on everything that could ever be on each link: a
// member of a call is in one step at a time, and when the sending ops (collectives and sends) of
// each stream of a rank are ordered by its dependencies (a chain: at most one in flight per
// stream), a source has at most one step of one op per stream in flight. So the demand a source
// can put on a link at once is, per stream, the most any one step of its ops puts there (each
// transfer at the rate its route gives it alone; a step's transfers with one peer share that
// route, so together they count once), added up over its streams; and the link's
// demand is that added up over the sources. The same holds seen from the receivers (a transfer
// runs only while its receiver is in the matching step), and the smaller of the two bounds holds.
// When it fits the link, no transfer crossing the link is ever slowed by it (max-min sharing never
// binds a link whose total demand fits). A call all of whose routes' links fit, and are used by no rank whose sends are not
// ordered, contends with nothing at any time, whatever the timing. The check is sufficient, not
// necessary: transfers that never overlap in time are counted together.
//
// What stays approximate: a call's reductions run at the kernel time of its members' GPUs as they
// are when its last member arrives (clock and HBM level); in a transfer-by-transfer run they share
// the GPU with other kernels running beside them and follow clock changes during the call, and
// the power loop sees them as work. The run counts the member calls where that happened
// (CallBoardStats::overlapped) and summary.json reports it.
#pragma once

#include "models/gpu.hpp"
#include "models/kernel.hpp"
#include "sim/engine/platform.hpp"
#include "sim/output/run_record.hpp"
#include "sim/workload/workload.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

// One transfer on an idle fabric: latency (s) and bottleneck bandwidth (B/s) of its route.
struct PairCost {
  double latency = 0.0;
  double bandwidth = 0.0;
};

// The bandwidth of each link of `p` at the start of a run: after its changes at t <= 0 (faults
// present from the start). PairCosts, max_link_load and mark_isolated_calls see the fabric so.
[[nodiscard]] std::vector<double> initial_bandwidths(const PlatformSpec& p);

// The (source, destination) rank pairs the routes of `p` serve, with their idle-fabric cost at
// the start of the run.
class PairCosts {
public:
  explicit PairCosts(const PlatformSpec& p);
  // Throws Error when the platform has no route for the pair.
  [[nodiscard]] const PairCost& at(int src, int dst) const;

private:
  std::vector<std::pair<std::uint64_t, PairCost>> table_;  // sorted by key src << 32 | dst
};

// The highest demand / capacity over the links of `p` when every pair of `pairs` transfers at
// once at the rate its route allows alone; `worst` gets the link's name.
[[nodiscard]] double max_link_load(const PlatformSpec& p, const std::vector<std::pair<int, int>>& pairs,
                                   std::string& worst);

// The name of a link that a route of a pair of `a` and a route of a pair of `b` both cross (the
// lowest-numbered one), or "" when no link is on both sides. Every pair needs a route in `p`.
[[nodiscard]] std::string shared_link(const PlatformSpec& p, const std::vector<std::pair<int, int>>& a,
                                      const std::vector<std::pair<int, int>>& b);

// A reduction kernel as the replay issues it: its compute part at the nominal clock and its
// memory part as whole bytes on the HBM link at full bandwidth (replay.cpp post_step).
struct ReduceParts {
  double compute = 0.0;  // s
  double memory = 0.0;   // s
};
using ReduceTime = std::function<ReduceParts(std::uint64_t bytes)>;
[[nodiscard]] ReduceTime reduce_time_of(const GpuSpec& gpu, const GpuCalibration* cal);

// A member GPU's speed at evaluation: its clock over the nominal one and its HBM bandwidth share
// (the power loop's DVFS level and HBM level); a reduction takes max(compute / clock, memory / hbm).
struct MemberSpeed {
  double clock = 1.0;
  double hbm = 1.0;
  bool operator==(const MemberSpeed& o) const { return clock == o.clock && hbm == o.hbm; }
};

// One call, member by member (by position in the group).
struct CallTiming {
  std::vector<double> finish;              // when the member's part ends
  std::vector<std::uint64_t> transfers;    // its non-empty sends
  std::vector<std::uint64_t> wire_bytes;   // bytes it puts on the wire (bytes / the protocol's payload share)
  std::vector<double> compute_busy;        // seconds its reductions' compute parts run
  std::vector<double> memory_busy;         // seconds its reductions' memory parts run
  std::vector<double> reduce_end;          // when its last reduction ends (its start when it has none)
};

// Evaluates one call of `plan` on `g`: member m reaches it at starts[m]; `speeds` per member, or
// empty for nominal. The engine's rules (replay.hpp): the launch latency, then per step the hop
// latency (scale-out when the step talks to another domain), then the step's transfers — each
// starting when both ends have reached the step and taking latency + wire bytes / bandwidth — and
// its reduction, the step ending when all are done. Throws Error for a transfer to the scale-up
// switch (NVLS), which has no pair cost.
[[nodiscard]] CallTiming evaluate_call(const CollectiveMethod& plan, const Group& g, const PairCosts& costs,
                                       const ReduceTime& reduce, const std::vector<double>& starts,
                                       const std::vector<MemberSpeed>& speeds = {});

// Everything of `pl` evaluate_call reads besides the group and the arrivals: two calls on groups
// with the same pair costs and equal keys take the same time (evaluations are shared by it).
[[nodiscard]] std::string call_timing_key(const CollectiveMethod& pl);

struct IsolatedTiming {
  double makespan = 0.0;      // from the call's start on every member to the last member's finish
  double first_finish = 0.0;  // the earliest member's finish
  std::uint64_t transfers = 0;  // non-empty sends of all members
};

// evaluate_call with every member starting at time 0 at nominal speed (a reduced run's
// data-parallel calls, reduction.hpp).
[[nodiscard]] IsolatedTiming evaluate_isolated(const CollectiveMethod& plan, const Group& g, const PairCosts& costs,
                                               const ReduceTime& reduce);

// Whether, on each rank, the sending ops (collectives with two or more members, and sends) of
// each stream form one chain of its dependency graph, so that at most one per stream is in flight
// at a time. By rank.
[[nodiscard]] std::vector<char> sends_in_order(const Workload& w);

// What one member of a call sends (receives) in one step: (peer position, transfers), sorted.
using StepPattern = std::vector<std::pair<int, int>>;
struct MemberPatterns {
  std::vector<StepPattern> sends;  // its distinct steps' sends
  std::vector<StepPattern> recvs;  // its distinct steps' receives
};
// Per position of a call's group, the distinct step patterns of its schedule for `shape` (bytes
// aside): a single ring's one neighbour, halving-doubling's log2(n) partners one step each,
// direct's every peer at once.
[[nodiscard]] std::vector<MemberPatterns> step_patterns(const CollectiveShape& shape);

// A call every member of its group runs alike, on `stream` (a reduced run's data-parallel calls:
// the replicas outside the simulated ranks are not built but run the same ops).
struct GroupCall {
  int plan = -1;
  int group = -1;
  int stream = 0;
};
// The proof's demand bound (above) over `calls`: every member of each call's group puts on a
// link, per stream, the most any one step of those calls puts there (each transfer at its route's
// idle rate); that is added up over members and streams, seen from the senders and from the
// receivers, and the smaller taken. The highest demand / capacity over the links of `p` (which
// routes every pair the calls use), `worst` its link. Needs each member's calls on a stream to be
// ordered (one in flight at a time), which the caller checks.
[[nodiscard]] double group_calls_load(const PlatformSpec& p, const Workload& w, const std::vector<GroupCall>& calls,
                                      std::string& worst);

// Marks CollectiveMethod::isolated on the plans of `w` (a run's, planned, on platform `p` as built
// for it) whose calls the proof above shows contend with nothing, and returns `rep` completed.
// A `rep` that comes with a reason (simulation.collective_timing: transfers, a fault during the
// run) keeps every call transfer by transfer.
[[nodiscard]] IsolationReport mark_isolated_calls(Workload& w, const PlatformSpec& p, IsolationReport rep);

}  // namespace racksim
