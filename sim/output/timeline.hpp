// racksim sim: timeline.json, the run as a Chrome trace-event file (Perfetto, chrome://tracing).
//
// What it holds (docs/timeline.md): one process per simulated rank with a thread per stream of
// its op graph (and extra lanes where ops of one stream overlap), one complete ("X") event per
// op from its start to its finish in simulated time, the rank's HBM in use as a counter, and one
// counter process per rack with the power loop's samples (power, clocks, utilisation,
// temperatures). ts and dur are microseconds of simulated time, written from whole nanoseconds,
// so the file is exact to 1 ns and byte-identical for the same inputs.
//
// Collection is opt-in (Run::keep_timeline): the executors of the ranks that fit under the
// event cap record their ops' start times, and after the run collect_timeline() copies what the
// writer needs out of the workload into TimelineData (interned strings, only the groups and
// plans those ranks use), so a 9-million-op run pays for the ranks it keeps, not for the rest.
//
// The cap: ranks are taken in order, whole, while their events (one per span, one per HBM
// counter point) add up to at most max_events; the first rank that does not fit and all after it
// are left out and counted. A reduced run (sim/engine/reduction.hpp) has only its simulated replica to
// offer; the file says so.
#pragma once

#include "sim/output/run_record.hpp"
#include "sim/workload/workload.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct RunResult;

// The default cap on the events of the ranks' tracks (spans and HBM counter points).
inline constexpr std::size_t kTimelineMaxEvents = 200'000;  // about 50 MB of JSON at ~250 B per event

// One op of one rank, from its start to its finish. Strings are indices into TimelineData's
// tables; -1 where none applies.
struct TimelineSpan {
  double start = 0.0;              // s of simulated time
  double end = 0.0;
  int op = 0;                      // index of the op in the rank's program
  int name = 0;                    // strings: the op's id
  int stream = 0;                  // TimelineData::streams
  OpKind kind = OpKind::Compute;   // Compute, Collective, Send, Recv or Delay
  bool measured = false;           // compute or delay with a given duration
  // compute: the kernel model's view of it
  double flops = 0.0;
  double hbm_bytes = 0.0;
  int kernel = -1;                 // strings: kernel class ("gemm", "attention", "stream")
  int shape = -1;                  // strings: GEMM or attention shape, when given by one
  Precision precision = Precision::bf16;
  // communication
  std::uint64_t bytes = 0;         // collective buffer or point-to-point message
  CollectiveKind collective = CollectiveKind::AllReduce;
  int group = -1;                  // TimelineData::groups
  int plan = -1;                   // TimelineData::plans
  int peer = -1;                   // send: destination rank; recv: source rank
  int tag = 0;
  ParallelDim dim = ParallelDim::None;
};

struct TimelineGroup {
  std::string name;
  int size = 0;
  ParallelDim dim = ParallelDim::None;
};

// How a collective call ran (sim/engine/collective_method.hpp).
struct TimelineMethod {
  std::string algorithm;
  std::string protocol;            // "" when no library protocol applies
  bool chosen = false;             // picked by the run (auto)
  bool closed_form = false;        // timed in closed form by a reduced run
  double predicted_s = 0.0;        // the cost model's time on an idle fabric
};

struct TimelineRank {
  int rank = 0;
  std::string gpu;                 // host (GPU) name
  std::vector<TimelineSpan> spans; // in op order
  std::vector<std::pair<double, std::uint64_t>> hbm;  // (time s, bytes in use after it), one per alloc/free op, in time order
};

struct TimelineData {
  std::size_t max_events = kTimelineMaxEvents;
  int simulated_ranks = 0;         // ranks the run simulated (all, or a reduced run's replica)
  std::vector<std::string> streams;
  std::vector<std::string> strings;
  std::vector<TimelineGroup> groups;
  std::vector<TimelineMethod> plans;
  std::vector<TimelineRank> ranks; // ranks 0..ranks.size()-1
  std::size_t events = 0;          // events of those ranks (spans + HBM counter points)
  int ranks_left_out = 0;          // simulated ranks over the cap
  std::size_t events_left_out = 0; // their events
};

// Events rank `program` puts on the timeline: one per compute, collective, send, recv or delay
// op, one per alloc or free op (the HBM counter).
[[nodiscard]] std::size_t timeline_events(const std::vector<Op>& program);

// How many of ranks 0..simulated_ranks-1 of `w`, taken in order and whole, fit in `max_events`.
[[nodiscard]] int timeline_rank_count(const Workload& w, int simulated_ranks, std::size_t max_events);

// The timeline of ranks 0..records.size()-1 of `w`: records[r] is rank r's record, made with
// RankExecutor::keep_op_starts(); gpus[r] its GPU's host name. `simulated_ranks` and
// `max_events` are reported (the ranks over the cap are counted from `w`).
[[nodiscard]] TimelineData collect_timeline(const Workload& w, const std::vector<const RankRecord*>& records,
                                            const std::vector<std::string>& gpus, int simulated_ranks,
                                            std::size_t max_events);

// The run's timeline (docs/timeline.md). Without r.timeline (collection was not asked for) the
// file still holds the power counters and says that the spans were not collected.
[[nodiscard]] std::string timeline_json(const RunResult& r);

// One line on what the timeline leaves out ("ranks 128-1151 of 1152 left out: over the
// 200000-event cap"), or "" when it holds every rank of the run. For the command line.
[[nodiscard]] std::string timeline_coverage(const RunResult& r);

}  // namespace racksim
