#include "sim/simgrid_adapter.hpp"

#include "core/error.hpp"

#include <fmt/format.h>
#include <simgrid/s4u.hpp>
#include <simgrid/version.h>

#include <map>
#include <memory>

namespace sg4 = simgrid::s4u;

namespace racksim {

namespace {

// Work units a host executes per second at nominal clock: an Exec of t seconds is t * kSpeed
// units. Large enough that SimGrid's precision thresholds (1e-9 relative) never round a
// microsecond kernel away.
constexpr double kSpeed = 1e12;


class RankActor {
public:
  RankActor(RankExecutor& ex, sg4::Host* host, std::string& failure) : ex_(ex), host_(host), failure_(failure) {}

  // An exception must not escape a SimGrid actor (it aborts the process): keep the first one
  // and report it after the run.
  void operator()() {
    try {
      run();
    } catch (const SimulationError& e) {  // names its rank already
      if (failure_.empty()) failure_ = e.what();
    } catch (const std::exception& e) {
      if (failure_.empty()) failure_ = fmt::format("rank {}: {}", ex_.rank(), e.what());
    }
  }

private:
  void run() {
    post(ex_.start(sg4::Engine::get_clock()));
    while (!ex_.done()) {
      const double now = sg4::Engine::get_clock();
      if (!timers_.empty() && timers_.begin()->first <= now) {
        const std::uint64_t tok = timers_.begin()->second;
        timers_.erase(timers_.begin());
        post(ex_.on_complete(tok, now));
        continue;
      }
      if (acts_.empty()) {
        if (timers_.empty()) return;  // nothing to wait for: reported as stuck after the run
        sg4::this_actor::sleep_until(timers_.begin()->first);
        continue;
      }
      ssize_t idx = 0;
      if (timers_.empty()) {
        idx = sg4::Activity::wait_any(acts_);
      } else {
        idx = sg4::Activity::wait_any_for(acts_, timers_.begin()->first - now);
        if (idx < 0) continue;  // the timer is due: handled at the top of the loop
      }
      const auto i = static_cast<std::size_t>(idx);
      const std::uint64_t tok = toks_[i];
      acts_.erase(acts_.begin() + idx);
      toks_.erase(toks_.begin() + idx);
      slots_.erase(slots_.begin() + idx);
      post(ex_.on_complete(tok, sg4::Engine::get_clock()));
    }
  }

  void post(std::vector<Action> actions) {
    for (auto& a : actions) {
      switch (a.kind) {
        case Action::Kind::Compute:
          add(sg4::this_actor::exec_async(a.seconds * kSpeed), a.token, nullptr);
          break;
        case Action::Kind::Memory:  // over the GPU's HBM loopback link
          add(sg4::Comm::sendto_async(host_, host_, a.bytes), a.token, nullptr);
          break;
        case Action::Kind::Timer:
          timers_.emplace(sg4::Engine::get_clock() + a.seconds, a.token);
          break;
        case Action::Kind::Send:
          add(sg4::Mailbox::by_name(a.channel)->put_async(&ex_, a.bytes), a.token, nullptr);
          break;
        case Action::Kind::Recv: {
          auto slot = std::make_unique<void*>(nullptr);
          auto comm = sg4::Mailbox::by_name(a.channel)->get_async<void>(slot.get());
          add(comm, a.token, std::move(slot));
          break;
        }
      }
    }
  }

  void add(sg4::ActivityPtr act, std::uint64_t tok, std::unique_ptr<void*> slot) {
    acts_.push_back(std::move(act));
    toks_.push_back(tok);
    slots_.push_back(std::move(slot));
  }

  RankExecutor& ex_;
  sg4::Host* host_;
  std::string& failure_;
  std::vector<sg4::ActivityPtr> acts_;
  std::vector<std::uint64_t> toks_;
  std::vector<std::unique_ptr<void*>> slots_;  // where each pending receive stores its payload
  std::multimap<double, std::uint64_t> timers_;  // deadline -> token, in deadline then issue order
};

}  // namespace

std::vector<std::string> engine_configuration() {
  return {"network/model:CM02", "network/crosstraffic:0", "network/TCP-gamma:0"};
}

EngineStats run_simgrid(const PlatformSpec& platform, std::vector<RankExecutor>& ranks) {
  // SimGrid's own deadlock report is replaced by racksim's, which names ranks and ops.
  std::vector<std::string> args = {"racksim", "--log=root.thresh:critical", "--log=ker_engine.app:file:/dev/null", "--log=ker_engine.add:no"};
#if defined(__SANITIZE_ADDRESS__)
  // ASan cannot follow SimGrid's default context switching; threads are slower but exact.
  args.emplace_back("--cfg=contexts/factory:thread");
#endif
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  sg4::Engine engine(&argc, argv.data());
  for (const auto& c : engine_configuration()) sg4::Engine::set_config(c);

  auto* zone = sg4::create_full_zone("cluster");
  std::vector<sg4::Host*> hosts;
  hosts.reserve(platform.hosts.size());
  for (const auto& h : platform.hosts) {
    sg4::Host* host = zone->create_host(h.name, kSpeed);
    hosts.push_back(host);
    if (h.hbm_bandwidth > 0.0) {  // the GPU's HBM: a loopback link its kernels' memory traffic shares
      sg4::Link* hbm = zone->create_link(h.name + ".hbm", h.hbm_bandwidth)->set_latency(0.0);
      zone->add_route(host->get_netpoint(), host->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(hbm)}, false);
    }
  }
  std::vector<sg4::Link*> links;
  links.reserve(platform.links.size());
  for (const auto& l : platform.links) links.push_back(zone->create_link(l.name, l.bandwidth)->set_latency(l.latency));
  for (const auto& r : platform.routes) {
    std::vector<sg4::LinkInRoute> path;
    path.reserve(r.links.size());
    for (const int li : r.links) path.emplace_back(links[static_cast<std::size_t>(li)]);
    zone->add_route(hosts[static_cast<std::size_t>(r.src)]->get_netpoint(),
                    hosts[static_cast<std::size_t>(r.dst)]->get_netpoint(), nullptr, nullptr, path, false);
  }
  zone->seal();

  std::string failure;
  for (auto& ex : ranks) {
    sg4::Host* host = hosts.at(static_cast<std::size_t>(ex.rank()));
    auto actor = std::make_shared<RankActor>(ex, host, failure);  // SimGrid copies the callable: share the state
    sg4::Actor::create(fmt::format("rank{}", ex.rank()), host, [actor] { (*actor)(); });
  }
  engine.run();

  if (!failure.empty()) throw SimulationError(fmt::format("at t = {:.9g} s, {}", sg4::Engine::get_clock(), failure));
  EngineStats stats;
  stats.simulated_time = sg4::Engine::get_clock();
  stats.simgrid_version = fmt::format("{}.{}", SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR);
  std::string stuck;
  int nstuck = 0;
  for (const auto& ex : ranks) {
    if (ex.done()) continue;
    if (nstuck++ < 8) stuck += "\n  " + ex.describe_pending();
  }
  if (nstuck > 0)
    throw SimulationError(fmt::format("deadlock at t = {:.9g} s: {} of {} ranks cannot finish (unmatched or "
                                      "cyclically dependent communication):{}{}",
                                      stats.simulated_time, nstuck, ranks.size(), stuck,
                                      nstuck > 8 ? fmt::format("\n  ... and {} more", nstuck - 8) : ""));
  return stats;
}

}  // namespace racksim
