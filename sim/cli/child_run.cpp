#include "sim/cli/child_run.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace racksim {

namespace {

// In the child: runs f and writes "ok <text>" or "error <message>" to fd, then exits.
[[noreturn]] void child_main(const std::function<std::string()>& f, int fd) {
  std::string line;
  try {
    line = "ok " + f();
  } catch (const std::exception& e) {
    line = std::string("error ") + e.what();
  }
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  close(fd);
  _exit(0);
}

// In a child just forked from `parent`: die with the parent. A parent killed with SIGKILL (a
// sweep stopped by its user or by Slurm) cannot kill its children itself; the kernel sends each
// SIGKILL when it dies. A parent that died between the fork and the prctl is caught by getppid().
void die_with_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return fmt::format("the child process was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return fmt::format("the child process exited with status {}", WEXITSTATUS(status));
  return "the child process ended without a result";
}

}  // namespace

std::string run_in_child(const std::function<std::string()>& f, const std::string& what) {
  int fd[2];
  if (pipe(fd) != 0) throw Error("cannot create a pipe for a child simulation");
  std::fflush(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    throw Error("cannot fork a child simulation");
  }
  if (pid == 0) {
    die_with_parent(parent);
    close(fd[0]);
    child_main(f, fd[1]);
  }
  close(fd[1]);
  std::string text;
  char buf[4096];
  ssize_t n = 0;
  while ((n = read(fd[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (text.rfind("ok ", 0) == 0) return text.substr(3);
  const std::string msg = text.rfind("error ", 0) == 0 ? text.substr(6) : describe_status(status);
  throw SimulationError(fmt::format("{}: {}", what, msg));
}

ChildPool::ChildPool(int jobs) : jobs_(jobs < 1 ? 1 : jobs) {}

ChildPool::~ChildPool() {
  for (auto& [pid, c] : running_) {
    kill(pid, SIGKILL);
    close(c.fd);
  }
  for (auto& kv : running_) {
    int status = 0;
    waitpid(kv.first, &status, 0);
  }
}

void ChildPool::start(std::size_t id, const std::function<std::string()>& f) {
  int fd[2];
  if (pipe(fd) != 0) throw Error(fmt::format("cannot create a pipe for a child simulation: {}", std::strerror(errno)));
  std::fflush(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    throw Error(fmt::format("cannot fork a child simulation: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    die_with_parent(parent);
    close(fd[0]);
    for (auto& kv : running_) close(kv.second.fd);  // the siblings' pipes are not this child's
    child_main(f, fd[1]);
  }
  close(fd[1]);
  running_[pid] = Child{id, fd[0], {}};
}

ChildPool::Finished ChildPool::wait_any() {
  if (running_.empty()) throw Error("internal error: ChildPool::wait_any with no child running");
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<pid_t> pids;
    for (const auto& [pid, c] : running_) {
      fds.push_back(pollfd{c.fd, POLLIN, 0});
      pids.push_back(pid);
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("cannot wait for child simulations: {}", std::strerror(errno)));
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = running_[pids[i]];
      char buf[65536];
      const ssize_t n = read(c.fd, buf, sizeof buf);
      if (n > 0) {
        c.text.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      // End of file: the child is done.
      close(c.fd);
      int status = 0;
      waitpid(pids[i], &status, 0);
      Finished f;
      f.id = c.id;
      if (c.text.rfind("ok ", 0) == 0) {
        f.ok = true;
        f.text = c.text.substr(3);
      } else if (c.text.rfind("error ", 0) == 0) {
        f.text = c.text.substr(6);
      } else {
        f.text = describe_status(status);
      }
      running_.erase(pids[i]);
      return f;
    }
  }
}

}  // namespace racksim

