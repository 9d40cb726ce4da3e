#include "sim/child_run.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

namespace racksim {

std::string run_in_child(const std::function<std::string()>& f, const std::string& what) {
  int fd[2];
  if (pipe(fd) != 0) throw Error("cannot create a pipe for a child simulation");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    throw Error("cannot fork a child simulation");
  }
  if (pid == 0) {
    close(fd[0]);
    std::string line;
    try {
      line = "ok " + f();
    } catch (const std::exception& e) {
      line = std::string("error ") + e.what();
    }
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = write(fd[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    close(fd[1]);
    _exit(0);
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
  const std::string msg = text.rfind("error ", 0) == 0 ? text.substr(6) : std::string("the child simulation ended without a result");
  throw SimulationError(fmt::format("{}: {}", what, msg));
}

}  // namespace racksim
