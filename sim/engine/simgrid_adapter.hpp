// racksim engine: the SimGrid adapter — the only file that calls SimGrid.
//
// It builds one flat full zone with one host per GPU, the platform's directed links and its
// routes, configures the network model for GPU fabrics (below), and runs one actor per rank that
// drives that rank's RankExecutor: compute becomes an Exec on the GPU's host, transfers become
// mailbox put/get pairs (the receiver's wait is the data dependency), timers use wait_any_for.
// An isolated call (call_board.hpp) is an arrival at the call board: members that arrive before
// the last wait on a wake-up (a one-flop Exec on a host of its own, created by the member and
// started by the last one), then each sleeps to its part's end.
//
// Network configuration, set here and nowhere else, and printed at the start of every run:
//   network/model:CM02         plain max-min sharing, no TCP-era latency/bandwidth factors
//   network/crosstraffic:0     no reverse-direction ACK traffic on full-duplex links
//   network/TCP-gamma:0        no TCP window bound: with the default 4 MiB window, CM02 caps a
//                              flow at gamma / (2 x route latency), which would throttle a
//                              1.8 TB/s scale-up link at routes above ~1.2 us
// With these, S bytes over a route of latency L and bottleneck bandwidth B take L + S/B exactly.
//
// Power loop (optional): each GPU host gets one pstate per DVFS level (speed kSpeed x f/f_ref);
// rank actors report when kernels' compute and memory parts start and end; a governor actor
// (a SimGrid daemon) wakes every control period, runs PowerLoop::control(), waits the DVFS
// transition latency and applies the new pstates and HBM link bandwidths. Being a daemon, it
// ends with the last rank; if the ranks deadlock, it notices that nothing has moved for two
// periods (no completion, no kernel or timer in flight, no transfer progressing) and stops, so
// the deadlock is reported as before.
//
// One simulation per process: SimGrid's engine is a process-wide singleton.
#pragma once

#include "sim/engine/call_board.hpp"
#include "sim/engine/platform.hpp"
#include "sim/engine/power_loop.hpp"
#include "sim/engine/replay.hpp"
#include "sim/engine/serving_executor.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace racksim {

// The SimGrid configuration racksim sets, as "key:value" lines.
[[nodiscard]] std::vector<std::string> engine_configuration();
// The SimGrid version racksim was built against, "major.minor".
[[nodiscard]] std::string simgrid_version();

// Runs the ranks to completion on the platform and returns the simulated time at which the last
// one finished. Throws SimulationError on deadlock, naming the stuck ranks and ops. Call at most
// once per process.
// With `power`, the closed power/thermal loop runs alongside (its finish() is called at the end).
// With `on_time_advance`, it is called with the simulated time each time the clock moves (from
// SimGrid's Engine::on_time_advance signal: it adds no event, so results are the same with it or
// without it); a progress meter paces itself from there.
// With `board`, the ranks' isolated calls (Call actions) are timed by it: a member that arrives
// before the last waits on a wake-up the last one starts, then every member sleeps to its part's end.
// `routes` false: no transfer between hosts will run (every call in closed form, no sends), so the
// platform's routes are not built in SimGrid (their N^2 table is the largest part of a big run).
[[nodiscard]] double run_simgrid(const PlatformSpec& platform, std::vector<RankExecutor>& ranks, PowerLoop* power = nullptr,
                                 const std::function<void(double)>& on_time_advance = {}, CallBoard* board = nullptr,
                                 bool routes = true);

// Runs an inference_serving workload (serving_executor.hpp) to its end — every request arrived
// and finished — and returns the simulated time. The executor's actions become Execs on its GPU
// hosts, transfers over their HBM loopback or host to host, and timers, all in one actor; the
// power loop, faults and limiter run as for ranks. Throws SimulationError if it cannot finish.
[[nodiscard]] double run_simgrid_serving(const PlatformSpec& platform, ServingExecutor& serving, PowerLoop* power = nullptr,
                                         const std::function<void(double)>& on_time_advance = {});

}  // namespace racksim
