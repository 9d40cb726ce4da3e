// racksim engine: the SimGrid adapter (simgrid_adapter.hpp).
#include "sim/engine/simgrid_adapter.hpp"

#include "core/error.hpp"

#include <fmt/format.h>
#include <simgrid/s4u.hpp>
#include <simgrid/version.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

namespace sg4 = simgrid::s4u;

namespace racksim {

namespace {

// Work units a host executes per second at nominal clock: an Exec of t seconds is t * kSpeed
// units. Large enough that SimGrid's precision thresholds (1e-9 relative) never round a
// microsecond kernel away.
constexpr double kSpeed = 1e12;


// What rank actors, the governor and the fast limiter share.
struct Shared {
  PowerLoop* power = nullptr;
  std::uint64_t completions = 0;   // activities and timers completed, all ranks
  std::string failure;
  // With the power loop's fast limiter only: the limiter actor waits on it. A semaphore, not a
  // mutex and condition variable: the limiter is a daemon, killed when the ranks end, and a kill
  // unwinds its stack; a held std::unique_lock<s4u::Mutex> would then unlock through a simcall
  // while the engine destroys the actor, which deadlocks with thread contexts (the ASan build).
  sg4::SemaphorePtr limiter_wakeup;
  // Isolated calls (call_board.hpp): the board, the host their members' wake-ups run on (a host of
  // its own, so fast that an Exec of one flop ends at the instant it starts), and per open call the
  // wake-ups of the members waiting for the last one: created (not started) by each waiting member,
  // started by the last.
  CallBoard* board = nullptr;
  sg4::Host* board_host = nullptr;
  std::unordered_map<std::uint64_t, std::vector<sg4::ExecPtr>> wakes;
  std::vector<std::uint64_t> clock_changes;  // per GPU: DVFS or HBM level changes so far
  // After a power-loop call that may have given the limiter work: wake its actor.
  void wake_limiter() const {
    if (limiter_wakeup && power->take_limiter_armed()) limiter_wakeup->release();
  }
};

// Sets GPU hosts' pstates and HBM link bandwidths as the power loop decided, then tells it.
void apply_power_changes(PowerLoop& loop, const std::vector<PowerLoop::Change>& changes, std::vector<sg4::Host*>& hosts,
                         std::vector<sg4::Link*>& hbm, const std::vector<double>& hbm_bw, Shared& shared) {
  for (const auto& c : changes) {
    const auto g = static_cast<std::size_t>(c.gpu);
    if (g < shared.clock_changes.size()) ++shared.clock_changes[g];
    hosts[g]->set_pstate(static_cast<unsigned long>(c.level));
    if (hbm[g]) hbm[g]->set_bandwidth(hbm_bw[g] * loop.hbm_fraction(c.hbm_level));
  }
  loop.apply(changes, sg4::Engine::get_clock());
}

// What the governor's deadlock watch asks of every driving actor.
class Watched {
public:
  virtual ~Watched() = default;
  // True when it waits only on transfers (no kernel part, no timer): it cannot move unless a
  // transfer does.
  [[nodiscard]] virtual bool waits_on_transfers_only() const = 0;
  // Bytes still to move over all its transfers in flight (0 for one not yet matched).
  [[nodiscard]] virtual double remaining_bytes() const = 0;
};

// What one driving actor waits on — its activities, each with an Item saying what it was (its
// token, its kind), and its timers — and the wait itself: the next completion, in SimGrid's
// order, or a due timer first.
template <class Item>
class PendingSet {
public:
  struct Done {
    std::uint64_t token = 0;
    std::optional<Item> item;  // empty for a timer
  };
  void add(sg4::ActivityPtr act, Item item) {
    acts_.push_back(std::move(act));
    items_.push_back(std::move(item));
  }
  void add_timer(double at, std::uint64_t token) { timers_.emplace(at, token); }
  [[nodiscard]] bool has_timers() const { return !timers_.empty(); }
  [[nodiscard]] const std::vector<sg4::ActivityPtr>& activities() const { return acts_; }
  [[nodiscard]] const std::vector<Item>& items() const { return items_; }

  // Waits for the next completion; nullopt when nothing is pending at all (the actor is stuck:
  // reported after the run).
  std::optional<Done> wait() {
    for (;;) {
      const double now = sg4::Engine::get_clock();
      if (!timers_.empty() && timers_.begin()->first <= now) {
        Done d{timers_.begin()->second, std::nullopt};
        timers_.erase(timers_.begin());
        return d;
      }
      if (acts_.empty()) {
        if (timers_.empty()) return std::nullopt;
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
      Done d{items_[i].token, std::move(items_[i])};
      acts_.erase(acts_.begin() + idx);
      items_.erase(items_.begin() + idx);
      return d;
    }
  }

private:
  std::vector<sg4::ActivityPtr> acts_;
  std::vector<Item> items_;
  std::multimap<double, std::uint64_t> timers_;  // deadline -> token, in deadline then issue order
};

class RankActor : public Watched {
public:
  RankActor(RankExecutor& ex, sg4::Host* host, sg4::Host* switch_host, Shared& shared)
      : ex_(ex), host_(host), switch_host_(switch_host), shared_(shared), failure_(shared.failure) {}

  [[nodiscard]] bool done() const { return ex_.done(); }
  [[nodiscard]] bool waits_on_transfers_only() const override {
    if (ex_.done()) return true;
    if (pending_.has_timers()) return false;
    for (const auto& it : pending_.items())
      if (it.kind == Action::Kind::Compute || it.kind == Action::Kind::Memory) return false;
    return true;
  }
  [[nodiscard]] double remaining_bytes() const override {
    double sum = 0.0;
    for (std::size_t i = 0; i < pending_.items().size(); ++i) {
      const Action::Kind k = pending_.items()[i].kind;  // a Call's wake-up moves no bytes
      if (k == Action::Kind::Send || k == Action::Kind::Recv || k == Action::Kind::SwitchSend || k == Action::Kind::SwitchRecv)
        sum += pending_.activities()[i]->get_remaining();
    }
    return sum;
  }

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
  // One pending activity: its op's token, its kind and, for a receive, where its payload lands.
  struct Item {
    std::uint64_t token = 0;
    Action::Kind kind = Action::Kind::Compute;
    std::unique_ptr<void*> slot;
    std::uint64_t call = 0;  // Call: the call's key
  };
  // Marks a timer token as the end of an isolated call's background work, not of an op.
  static constexpr std::uint64_t kBackgroundEnd = std::uint64_t{1} << 63;
  // When a member reached an isolated call: whether its GPU was running kernels, how many it had
  // started and how many clock changes it had seen (its part overlapped other work if any moved).
  struct CallSnapshot {
    bool busy = false;
    std::uint64_t kernels_started = 0;
    std::uint64_t clock_changes = 0;
    double background_c = 0.0, background_m = 0.0;  // busy fractions given to the power loop
  };

  void run() {
    post(ex_.start(sg4::Engine::get_clock()));
    while (!ex_.done()) {
      const auto done = pending_.wait();
      if (!done) return;  // nothing to wait for: reported as stuck after the run
      const double t = sg4::Engine::get_clock();
      ++shared_.completions;
      if (done->item) {
        const Action::Kind k = done->item->kind;
        if (k == Action::Kind::Compute || k == Action::Kind::Memory) --kernels_in_flight_;
        if (k == Action::Kind::Call) {  // woken: the call's last member has arrived
          take_part(done->token, done->item->call);
          continue;
        }
        if (shared_.power) {
          if (k == Action::Kind::Compute) shared_.power->compute_ended(ex_.rank(), t);
          if (k == Action::Kind::Memory) shared_.power->memory_ended(ex_.rank(), t);
          shared_.wake_limiter();
        }
      } else if ((done->token & kBackgroundEnd) != 0) {  // an isolated call's reductions are over
        end_background(done->token & ~kBackgroundEnd, t);
        continue;
      } else if (const auto it = calls_.find(done->token); it != calls_.end()) {  // an isolated call's part ended
        const CallSnapshot& at = it->second;
        shared_.board->finished(at.busy || at.kernels_started != kernels_started_ || at.clock_changes != clock_changes());
        end_background(done->token, t);
        calls_.erase(it);
      }
      post(ex_.on_complete(done->token, t));
    }
  }

  // An isolated call (call_board.hpp): report the arrival; the last member wakes the others.
  // Creating the wake-up is a simcall, during which other actors run: it comes before the arrival
  // is reported, so that whoever completes the call finds every waiting member's wake-up.
  void arrive(const Action& a) {
    const double now = sg4::Engine::get_clock();
    calls_[a.token] = CallSnapshot{kernels_in_flight_ > 0, kernels_started_, clock_changes(), 0.0, 0.0};
    const std::uint64_t key = CallBoard::key_of(*a.call);
    sg4::ExecPtr wake;
    if (!shared_.board->completed_by(*a.call)) wake = sg4::this_actor::exec_init(1.0)->set_host(shared_.board_host);
    if (!shared_.board->arrive(ex_.rank(), *a.call, now, speed())) {
      shared_.wakes[key].push_back(wake);
      Item it{a.token, a.kind, nullptr};
      it.call = key;
      pending_.add(std::move(wake), std::move(it));
      return;
    }
    if (const auto w = shared_.wakes.find(key); w != shared_.wakes.end()) {
      const std::vector<sg4::ExecPtr> waiting = std::move(w->second);
      shared_.wakes.erase(w);
      for (const auto& e : waiting) e->start();
    }
    take_part(a.token, key);
  }

  // The member's part of an evaluated call: a timer to its end, and its reductions' busy time
  // spread over the time from now to its last reduction's end for the power loop
  // (PowerLoop::background), ended by a timer of its own when that comes before the call's end.
  void take_part(std::uint64_t token, std::uint64_t key) {
    const CallBoard::Part part = shared_.board->take(ex_.rank(), key);
    ex_.count_call_transfers(part.transfers, part.wire_bytes);
    const double now = sg4::Engine::get_clock();
    CallSnapshot& at = calls_.at(token);
    if (shared_.power && ex_.rank() < shared_.power->gpus() && part.reduce_end > now) {
      at.background_c = part.compute_busy / (part.reduce_end - now);
      at.background_m = part.memory_busy / (part.reduce_end - now);
      if (at.background_c > 0.0 || at.background_m > 0.0) {
        shared_.power->background(ex_.rank(), now, at.background_c, at.background_m);
        shared_.wake_limiter();
        if (part.reduce_end < part.finish) pending_.add_timer(part.reduce_end, token | kBackgroundEnd);
      }
    }
    pending_.add_timer(part.finish, token);
  }

  // The power loop's background work of the call of `token` is over.
  void end_background(std::uint64_t token, double now) {
    CallSnapshot& at = calls_.at(token);
    if (at.background_c > 0.0 || at.background_m > 0.0) {
      shared_.power->background(ex_.rank(), now, -at.background_c, -at.background_m);
      shared_.wake_limiter();
    }
    at.background_c = at.background_m = 0.0;
  }

  // This GPU's clock and HBM share as the power loop has set them (nominal without one).
  [[nodiscard]] MemberSpeed speed() const {
    MemberSpeed sp;
    const PowerLoop* p = shared_.power;
    if (p && ex_.rank() < p->gpus()) {
      sp.clock = p->clock_ratios().at(p->level(ex_.rank()));
      sp.hbm = p->hbm_fraction(p->hbm_level(ex_.rank()));
    }
    return sp;
  }
  [[nodiscard]] std::uint64_t clock_changes() const {
    const auto r = static_cast<std::size_t>(ex_.rank());
    return r < shared_.clock_changes.size() ? shared_.clock_changes[r] : 0;
  }

  void post(std::vector<Action> actions) {
    for (auto& a : actions) {
      switch (a.kind) {
        case Action::Kind::Compute:
          if (shared_.power) {
            shared_.power->compute_started(ex_.rank(), sg4::Engine::get_clock());
            shared_.wake_limiter();
          }
          ++kernels_started_;
          ++kernels_in_flight_;
          add(sg4::this_actor::exec_async(a.seconds * kSpeed), a.token, a.kind, nullptr);
          break;
        case Action::Kind::Memory:  // over the GPU's HBM loopback link
          if (shared_.power) {
            shared_.power->memory_started(ex_.rank(), sg4::Engine::get_clock());
            shared_.wake_limiter();
          }
          ++kernels_started_;
          ++kernels_in_flight_;
          add(sg4::Comm::sendto_async(host_, host_, a.bytes), a.token, a.kind, nullptr);
          break;
        case Action::Kind::Call:
          if (!shared_.board) throw Error("internal error: an isolated call in a run without a call board");
          arrive(a);
          break;
        case Action::Kind::Timer:
          pending_.add_timer(sg4::Engine::get_clock() + a.seconds, a.token);
          break;
        case Action::Kind::Send:
          add(sg4::Mailbox::by_name(a.channel)->put_async(&ex_, a.bytes), a.token, a.kind, nullptr);
          break;
        case Action::Kind::SwitchSend:  // NVLS: into the scale-up switch, no partner rank
        case Action::Kind::SwitchRecv:
          if (!switch_host_) throw Error("internal error: an NVLS transfer on a GPU with no NVLS switch host");
          add(a.kind == Action::Kind::SwitchSend ? sg4::Comm::sendto_async(host_, switch_host_, a.bytes)
                                                 : sg4::Comm::sendto_async(switch_host_, host_, a.bytes),
              a.token, a.kind, nullptr);
          break;
        case Action::Kind::Recv: {
          auto slot = std::make_unique<void*>(nullptr);
          auto comm = sg4::Mailbox::by_name(a.channel)->get_async<void>(slot.get());
          add(comm, a.token, a.kind, std::move(slot));
          break;
        }
      }
    }
  }

  void add(sg4::ActivityPtr act, std::uint64_t tok, Action::Kind kind, std::unique_ptr<void*> slot) {
    pending_.add(std::move(act), Item{tok, kind, std::move(slot)});
  }

  RankExecutor& ex_;
  sg4::Host* host_;
  sg4::Host* switch_host_;  // the domain's NVLS switch host, or null
  Shared& shared_;
  std::string& failure_;
  PendingSet<Item> pending_;
  std::uint64_t kernels_started_ = 0;  // compute and memory parts posted so far
  int kernels_in_flight_ = 0;
  std::map<std::uint64_t, CallSnapshot> calls_;  // isolated calls in progress, by token
};

// Drives the serving executor: one actor for every instance of the run. Its compute and memory
// parts run on the GPU hosts the actions name (Host::exec_async, and the GPU's HBM loopback), its
// transfers host to host (Comm::sendto_async, no mailbox: the executor holds both ends), its timers
// as RankActor's.
// Bytes as SimGrid moves them: whole, at least one (a transfer of 0 bytes would still pay latency).
std::uint64_t whole_bytes(double b) { return static_cast<std::uint64_t>(std::max(1.0, std::round(b))); }

class ServingActor : public Watched {
public:
  ServingActor(ServingExecutor& ex, std::vector<sg4::Host*>& hosts, Shared& shared) : ex_(ex), hosts_(hosts), shared_(shared) {}

  [[nodiscard]] bool waits_on_transfers_only() const override {
    if (ex_.done()) return true;
    if (pending_.has_timers()) return false;
    for (const auto& it : pending_.items())
      if (it.kind != ServingAction::Kind::Transfer) return false;
    return true;
  }
  [[nodiscard]] double remaining_bytes() const override {
    double sum = 0.0;
    for (std::size_t i = 0; i < pending_.items().size(); ++i)
      if (pending_.items()[i].kind == ServingAction::Kind::Transfer) sum += pending_.activities()[i]->get_remaining();
    return sum;
  }

  void operator()() {
    try {
      run();
    } catch (const std::exception& e) {
      if (shared_.failure.empty()) shared_.failure = fmt::format("serving: {}", e.what());
    }
  }

private:
  // One pending activity: its token, its kind and the GPU it runs on.
  struct Item {
    std::uint64_t token = 0;
    ServingAction::Kind kind = ServingAction::Kind::Compute;
    int host = -1;
  };

  void run() {
    post(ex_.start(sg4::Engine::get_clock()));
    while (!ex_.done()) {
      const auto done = pending_.wait();
      if (!done) return;  // nothing to wait for: reported as stuck after the run
      const double t = sg4::Engine::get_clock();
      ++shared_.completions;
      if (done->item && shared_.power) {
        if (done->item->kind == ServingAction::Kind::Compute) shared_.power->compute_ended(done->item->host, t);
        if (done->item->kind == ServingAction::Kind::Memory) shared_.power->memory_ended(done->item->host, t);
        shared_.wake_limiter();
      }
      post(ex_.on_complete(done->token, t));
    }
  }

  void post(const std::vector<ServingAction>& actions) {
    for (const auto& a : actions) {
      switch (a.kind) {
        case ServingAction::Kind::Compute: {
          sg4::Host* h = hosts_.at(static_cast<std::size_t>(a.host));
          if (shared_.power) {
            shared_.power->compute_started(a.host, sg4::Engine::get_clock());
            shared_.wake_limiter();
          }
          // exec_init then set_host: SimGrid 3.32's Host::exec_async runs on the calling actor's
          // host, whatever host it is called on.
          add(sg4::this_actor::exec_init(a.seconds * kSpeed)->set_host(h)->start(), a.token, a.kind, a.host);
          break;
        }
        case ServingAction::Kind::Memory: {
          sg4::Host* h = hosts_.at(static_cast<std::size_t>(a.host));
          if (shared_.power) {
            shared_.power->memory_started(a.host, sg4::Engine::get_clock());
            shared_.wake_limiter();
          }
          add(sg4::Comm::sendto_async(h, h, whole_bytes(a.bytes)), a.token, a.kind, a.host);
          break;
        }
        case ServingAction::Kind::Transfer:
          add(sg4::Comm::sendto_async(hosts_.at(static_cast<std::size_t>(a.host)), hosts_.at(static_cast<std::size_t>(a.dst)),
                                      whole_bytes(a.bytes)),
              a.token, a.kind, a.host);
          break;
        case ServingAction::Kind::Timer:
          pending_.add_timer(sg4::Engine::get_clock() + a.seconds, a.token);
          break;
      }
    }
  }

  void add(sg4::ActivityPtr act, std::uint64_t tok, ServingAction::Kind kind, int host) {
    pending_.add(std::move(act), Item{tok, kind, host});
  }

  ServingExecutor& ex_;
  std::vector<sg4::Host*>& hosts_;
  Shared& shared_;
  PendingSet<Item> pending_;
};

// The governor: a daemon that runs the power loop's control step every period.
class Governor {
public:
  Governor(PowerLoop& loop, std::vector<sg4::Host*>& hosts, std::vector<sg4::Link*>& hbm, std::vector<double>& hbm_bw,
           const std::vector<std::shared_ptr<Watched>>& actors, Shared& shared)
      : loop_(loop), hosts_(hosts), hbm_(hbm), hbm_bw_(hbm_bw), actors_(actors), shared_(shared) {}

  // A failure of the power loop ends the run: every other actor is killed, so that the engine
  // returns and the failure is reported (a run past kMaxControlPeriods is not left to go on).
  void operator()() {
    try {
      run();
    } catch (const std::exception& e) {
      if (shared_.failure.empty()) shared_.failure = fmt::format("power governor: {}", e.what());
      sg4::Actor::kill_all();
    }
  }

private:
  void run() {
    const double period = loop_.period().value();
    const double latency = loop_.transition_latency().value();
    int stalled = 0;
    std::uint64_t last_completions = 0;
    double last_remaining = -1.0;
    for (long k = 1;; ++k) {
      sg4::this_actor::sleep_until(static_cast<double>(k) * period);
      // Deadlock watch (see the header): nothing completed, nothing timed in flight, no
      // transfer moving, for two periods in a row.
      bool only_transfers = true;
      double remaining = 0.0;
      for (const auto& a : actors_) {
        if (!a->waits_on_transfers_only()) {
          only_transfers = false;
          break;
        }
        remaining += a->remaining_bytes();
      }
      if (only_transfers && shared_.completions == last_completions && remaining == last_remaining) {
        if (++stalled >= 2) return;
      } else {
        stalled = 0;
      }
      last_completions = shared_.completions;
      last_remaining = only_transfers ? remaining : -1.0;

      const std::vector<PowerLoop::Change> changes = loop_.control(sg4::Engine::get_clock());
      shared_.wake_limiter();
      if (changes.empty()) continue;
      if (latency > 0.0) sg4::this_actor::sleep_for(latency);
      apply_power_changes(loop_, changes, hosts_, hbm_, hbm_bw_, shared_);
      shared_.wake_limiter();
    }
  }

  PowerLoop& loop_;
  std::vector<sg4::Host*>& hosts_;
  std::vector<sg4::Link*>& hbm_;
  std::vector<double>& hbm_bw_;
  const std::vector<std::shared_ptr<Watched>>& actors_;
  Shared& shared_;
};

// The firmware's fast power limiter (PowerLoop::limiter): a daemon that sleeps until the power
// loop's next limiter action is due, or until a rank or the governor gives it an earlier one.
class Limiter {
public:
  Limiter(PowerLoop& loop, std::vector<sg4::Host*>& hosts, std::vector<sg4::Link*>& hbm, std::vector<double>& hbm_bw,
          Shared& shared)
      : loop_(loop), hosts_(hosts), hbm_(hbm), hbm_bw_(hbm_bw), shared_(shared) {}

  void operator()() {
    try {
      for (;;) {
        const std::optional<double> due = loop_.next_limiter_due();
        const double now = sg4::Engine::get_clock();
        if (!due) {
          shared_.limiter_wakeup->acquire();
        } else if (*due > now) {
          (void)shared_.limiter_wakeup->acquire_timeout(*due - now);  // true: timed out
        } else {
          const std::vector<PowerLoop::Change> changes = loop_.limiter(sg4::Engine::get_clock());
          if (!changes.empty()) apply_power_changes(loop_, changes, hosts_, hbm_, hbm_bw_, shared_);
          (void)loop_.take_limiter_armed();  // what apply() queued is seen at the top of the loop
        }
      }
    } catch (const std::exception& e) {
      if (shared_.failure.empty()) shared_.failure = fmt::format("power limiter: {}", e.what());
    }
  }

private:
  PowerLoop& loop_;
  std::vector<sg4::Host*>& hosts_;
  std::vector<sg4::Link*>& hbm_;
  std::vector<double>& hbm_bw_;
  Shared& shared_;
};

// Faults: sets links' bandwidths at their times (a daemon: it never keeps the run alive).
void apply_changes(const std::vector<PlatformSpec::LinkChange>& changes, const std::vector<sg4::Link*>& links) {
  for (const auto& c : changes) {
    if (c.time > sg4::Engine::get_clock()) sg4::this_actor::sleep_until(c.time);
    links[static_cast<std::size_t>(c.link)]->set_bandwidth(c.bandwidth);
  }
}

// The platform as SimGrid objects, created in the platform's order in one full zone: hosts (one
// pstate per DVFS level when the power loop runs), each GPU's HBM loopback link, the links and
// the routes.
struct SgPlatform {
  std::vector<sg4::Host*> hosts;
  std::vector<sg4::Link*> hbm_links;  // per host: its HBM loopback link, or null
  std::vector<double> hbm_bw;         // per host: that link's full bandwidth (B/s)
  std::vector<sg4::Link*> links;
  sg4::Host* board = nullptr;  // with isolated calls: the host their wake-ups run on
};

// The speed of the call board's host: a one-flop Exec on it ends at the instant it starts.
constexpr double kBoardSpeed = 1e30;

// `routes` false: no transfer between hosts will run (every call of the run timed in closed form,
// no point-to-point sends): each host then gets a zone of its own under an empty root, with its
// HBM loopback, because a full zone over N hosts keeps a table of N^2 route pointers (680 MB at
// 9,216 GPUs) that nothing would use.
SgPlatform create_platform(const PlatformSpec& platform, const PowerLoop* power, bool board, bool routes) {
  sg4::NetZone* root = routes ? sg4::create_full_zone("cluster") : sg4::create_empty_zone("cluster");
  std::vector<sg4::NetZone*> own;  // the zones of their own, sealed after the links are in
  auto zone_for = [&](const std::string& name) {
    if (routes) return root;
    sg4::NetZone* z = sg4::create_full_zone(name);
    z->set_parent(root);
    own.push_back(z);
    return z;
  };
  SgPlatform sg;
  sg.hbm_links.assign(platform.hosts.size(), nullptr);
  sg.hbm_bw.assign(platform.hosts.size(), 0.0);
  sg.hosts.reserve(platform.hosts.size());
  std::vector<double> speeds = {kSpeed};  // one pstate per DVFS level: speed follows the clock
  if (power) {
    speeds.clear();
    for (const double r : power->clock_ratios()) speeds.push_back(kSpeed * r);
  }
  // Without routes, every link first, in one zone: SimGrid checks a new link's name against every
  // zone of the tree, so links made after thousands of zones of their own would cost O(zones) each.
  // With routes, the order the engine has always used (its goldens depend on it).
  sg4::NetZone* fabric = routes ? root : zone_for("fabric");
  auto make_hbm = [&](std::size_t i) {
    const auto& h = platform.hosts[i];
    if (h.hbm_bandwidth <= 0.0) return;  // the GPU's HBM: a loopback link its kernels' memory traffic shares
    sg.hbm_links[i] = fabric->create_link(h.name + ".hbm", h.hbm_bandwidth)->set_latency(0.0);
    sg.hbm_bw[i] = h.hbm_bandwidth;
  };
  auto make_links = [&] {
    sg.links.reserve(platform.links.size());
    for (const auto& l : platform.links) sg.links.push_back(fabric->create_link(l.name, l.bandwidth)->set_latency(l.latency));
  };
  if (!routes) {
    for (std::size_t i = 0; i < platform.hosts.size(); ++i) make_hbm(i);
    make_links();
  }
  for (std::size_t i = 0; i < platform.hosts.size(); ++i) {
    const auto& h = platform.hosts[i];
    sg4::NetZone* zone = zone_for(h.name + ".zone");
    sg4::Host* host = zone->create_host(h.name, speeds);
    sg.hosts.push_back(host);
    if (routes) make_hbm(i);
    if (sg.hbm_links[i])
      zone->add_route(host->get_netpoint(), host->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(sg.hbm_links[i])}, false);
  }
  if (routes) {
    make_links();
    for (const auto& r : platform.routes) {
      std::vector<sg4::LinkInRoute> path;
      path.reserve(r.links.size());
      for (const int li : r.links) path.emplace_back(sg.links[static_cast<std::size_t>(li)]);
      root->add_route(sg.hosts[static_cast<std::size_t>(r.src)]->get_netpoint(),
                      sg.hosts[static_cast<std::size_t>(r.dst)]->get_netpoint(), nullptr, nullptr, path, false);
    }
  }
  if (board) sg.board = zone_for("racksim.call_board.zone")->create_host("racksim.call_board", kBoardSpeed);
  for (sg4::NetZone* z : own) z->seal();
  root->seal();
  return sg;
}

// Throws SimulationError when ranks did not finish, naming (up to 8 of) them and their ops.
void refuse_deadlock(const std::vector<RankExecutor>& ranks, double simulated_time) {
  std::string stuck;
  int nstuck = 0;
  for (const auto& ex : ranks) {
    if (ex.done()) continue;
    if (nstuck++ < 8) stuck += "\n  " + ex.describe_pending();
  }
  if (nstuck > 0)
    throw SimulationError(fmt::format("deadlock at t = {:.9g} s: {} of {} ranks cannot finish (unmatched or "
                                      "cyclically dependent communication):{}{}",
                                      simulated_time, nstuck, ranks.size(), stuck,
                                      nstuck > 8 ? fmt::format("\n  ... and {} more", nstuck - 8) : ""));
}

}  // namespace

std::vector<std::string> engine_configuration() {
  return {"network/model:CM02", "network/crosstraffic:0", "network/TCP-gamma:0"};
}

std::string simgrid_version() { return fmt::format("{}.{}", SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR); }

namespace {

using MakeActors = std::function<std::vector<std::shared_ptr<Watched>>(SgPlatform& sg, Shared& shared)>;

// One simulation: the engine, the platform, the driving actors `make_actors` creates, the
// faults, the governor and the fast limiter; returns the simulated time at the end. Throws
// SimulationError for a failure an actor kept.
double simulate_platform(const PlatformSpec& platform, PowerLoop* power, const std::function<void(double)>& on_time_advance,
                         const MakeActors& make_actors, CallBoard* board = nullptr, bool routes = true) {
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

  SgPlatform sg = create_platform(platform, power, board != nullptr, routes);

  Shared shared;
  shared.power = power;
  shared.board = board;
  shared.board_host = sg.board;
  shared.clock_changes.assign(sg.hosts.size(), 0);
  const std::vector<std::shared_ptr<Watched>> actors = make_actors(sg, shared);
  if (!platform.changes.empty() && !sg.hosts.empty()) {
    const auto* changes = &platform.changes;
    const auto* all_links = &sg.links;
    sg4::Actor::create("faults", sg.hosts.front(), [changes, all_links] { apply_changes(*changes, *all_links); })->daemonize();
  }
  if (power && !sg.hosts.empty()) {
    // The clocks and HBM bandwidths the power loop starts from (its initial decisions).
    std::vector<PowerLoop::Change> start;
    for (int g = 0; g < power->gpus() && static_cast<std::size_t>(g) < sg.hosts.size(); ++g)
      if (power->level(g) > 0 || power->hbm_level(g) > 0) start.push_back({g, power->level(g), power->hbm_level(g)});
    for (const auto& c : start) {
      const auto g = static_cast<std::size_t>(c.gpu);
      sg.hosts[g]->set_pstate(static_cast<unsigned long>(c.level));
      if (sg.hbm_links[g]) sg.hbm_links[g]->set_bandwidth(sg.hbm_bw[g] * power->hbm_fraction(c.hbm_level));
    }
    auto gov = std::make_shared<Governor>(*power, sg.hosts, sg.hbm_links, sg.hbm_bw, actors, shared);
    sg4::Actor::create("governor", sg.hosts.front(), [gov] { (*gov)(); })->daemonize();
    if (power->limiter_enabled()) {
      shared.limiter_wakeup = sg4::Semaphore::create(0);
      auto lim = std::make_shared<Limiter>(*power, sg.hosts, sg.hbm_links, sg.hbm_bw, shared);
      sg4::Actor::create("limiter", sg.hosts.front(), [lim] { (*lim)(); })->daemonize();
    }
  }
  if (on_time_advance) sg4::Engine::on_time_advance_cb([&on_time_advance](double) { on_time_advance(sg4::Engine::get_clock()); });
  engine.run();
  if (power) power->finish(sg4::Engine::get_clock());

  if (!shared.failure.empty())
    throw SimulationError(fmt::format("at t = {:.9g} s, {}", sg4::Engine::get_clock(), shared.failure));
  return sg4::Engine::get_clock();
}

}  // namespace

double run_simgrid(const PlatformSpec& platform, std::vector<RankExecutor>& ranks, PowerLoop* power,
                   const std::function<void(double)>& on_time_advance, CallBoard* board, bool routes) {
  const double simulated_time =
      simulate_platform(platform, power, on_time_advance, [&platform, &ranks](SgPlatform& sg, Shared& shared) {
        std::vector<std::shared_ptr<Watched>> actors;
        actors.reserve(ranks.size());
        for (auto& ex : ranks) {
          sg4::Host* host = sg.hosts.at(static_cast<std::size_t>(ex.rank()));
          const auto r = static_cast<std::size_t>(ex.rank());
          sg4::Host* sw = r < platform.switch_host.size() && platform.switch_host[r] >= 0
                              ? sg.hosts.at(static_cast<std::size_t>(platform.switch_host[r]))
                              : nullptr;
          auto actor = std::make_shared<RankActor>(ex, host, sw, shared);  // SimGrid copies the callable: share the state
          actors.push_back(actor);
          sg4::Actor::create(fmt::format("rank{}", ex.rank()), host, [actor] { (*actor)(); });
        }
        return actors;
      },
      board, routes);
  refuse_deadlock(ranks, simulated_time);
  return simulated_time;
}

double run_simgrid_serving(const PlatformSpec& platform, ServingExecutor& serving, PowerLoop* power,
                           const std::function<void(double)>& on_time_advance) {
  const double simulated_time =
      simulate_platform(platform, power, on_time_advance, [&serving](SgPlatform& sg, Shared& shared) {
        auto actor = std::make_shared<ServingActor>(serving, sg.hosts, shared);
        sg4::Actor::create("serving", sg.hosts.front(), [actor] { (*actor)(); });
        return std::vector<std::shared_ptr<Watched>>{actor};
      });
  if (!serving.done())
    throw SimulationError(fmt::format("deadlock at t = {:.9g} s: the serving run cannot finish: {}", simulated_time,
                                      serving.describe_pending()));
  return simulated_time;
}

}  // namespace racksim
