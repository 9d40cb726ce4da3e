// racksim sim: run a function in a forked child process and get its text back.
//
// SimGrid runs one simulation per process (its engine is a process-wide singleton), so a command
// that needs several simulations (a table of message sizes, a fault-free baseline beside the
// real run) runs each extra one in a child: fork, run `f`, send its result through a pipe,
// _exit. Call it before this process has started a simulation of its own. The child's output
// is returned; a child that throws reports the message, which is thrown here as a
// SimulationError prefixed with `what`. Every child (here and in ChildPool) dies with its parent:
// the kernel kills it when the parent dies, even by SIGKILL (PR_SET_PDEATHSIG), so a killed sweep
// leaves no simulation running.
#pragma once

#include <functional>
#include <string>

namespace racksim {

[[nodiscard]] std::string run_in_child(const std::function<std::string()>& f, const std::string& what);

}  // namespace racksim

#include <cstddef>
#include <map>
#include <sys/types.h>

namespace racksim {

// Up to `jobs` functions at once, each in its own forked child (a sweep's points). Results come
// back in completion order with the id they were started with; the caller orders them. The
// destructor kills and reaps children still running (an error or an interrupted sweep).
class ChildPool {
public:
  explicit ChildPool(int jobs);
  ~ChildPool();
  ChildPool(const ChildPool&) = delete;
  ChildPool& operator=(const ChildPool&) = delete;

  [[nodiscard]] bool full() const { return static_cast<int>(running_.size()) >= jobs_; }
  [[nodiscard]] bool idle() const { return running_.empty(); }
  // Forks a child that runs `f` and sends back its text (or the message of what it threw).
  void start(std::size_t id, const std::function<std::string()>& f);

  struct Finished {
    std::size_t id = 0;
    bool ok = false;    // f returned; else `text` says why not (what it threw, or how it died)
    std::string text;
  };
  // Blocks until a running child finishes. Call only when !idle().
  [[nodiscard]] Finished wait_any();

private:
  struct Child {
    std::size_t id = 0;
    int fd = -1;
    std::string text;
  };
  int jobs_;
  std::map<pid_t, Child> running_;
};

}  // namespace racksim
