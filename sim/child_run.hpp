// racksim sim: run a function in a forked child process and get its text back.
//
// SimGrid runs one simulation per process (its engine is a process-wide singleton), so a command
// that needs several simulations (a table of message sizes, a fault-free baseline beside the
// real run) runs each extra one in a child: fork, run `f`, send its result through a pipe,
// _exit. Call it before this process has started a simulation of its own. The child's output
// is returned; a child that throws reports the message, which is thrown here as a
// SimulationError prefixed with `what`.
#pragma once

#include <functional>
#include <string>

namespace racksim {

[[nodiscard]] std::string run_in_child(const std::function<std::string()>& f, const std::string& what);

}  // namespace racksim
