// racksim core: typed errors and the process exit codes they map to.
//
// Library code throws; only the CLI turns an error into an exit code (see README "Exit codes").
#pragma once

#include <stdexcept>
#include <string>

namespace racksim {

enum class ExitCode : int {
  Ok = 0,
  Internal = 1,     // a bug in racksim: please report it
  Usage = 2,        // the command line itself is wrong (unknown verb or option)
  BadInput = 3,     // a scenario, catalog, trace or --set value is invalid
  SimFailed = 4,    // the inputs are valid but the simulation cannot complete (deadlock, ...)
  OutputFailed = 5  // results could not be written
};

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
  [[nodiscard]] virtual ExitCode exit_code() const { return ExitCode::Internal; }
};

// Where in an input a problem is: file, 1-based line and column, and the dotted key path.
struct Location {
  std::string file;   // path as given, or "--set key=value" for a command-line override
  int line = 0;       // 1-based; 0 when unknown
  int column = 0;     // 1-based; 0 when unknown
  std::string key;    // dotted path, e.g. "cluster.scale_up.gpu"; empty for the whole document

  [[nodiscard]] std::string str() const;
};

// Invalid input: names the file, line, key and what was expected.
class InputError : public Error {
public:
  InputError(Location where, const std::string& what_expected);
  [[nodiscard]] ExitCode exit_code() const override { return ExitCode::BadInput; }
  [[nodiscard]] const Location& where() const { return where_; }
  // The message without its location: for re-throwing it at another location.
  [[nodiscard]] const std::string& expected() const { return expected_; }

private:
  Location where_;
  std::string expected_;
};

class UsageError : public Error {
public:
  using Error::Error;
  [[nodiscard]] ExitCode exit_code() const override { return ExitCode::Usage; }
};

class SimulationError : public Error {
public:
  using Error::Error;
  [[nodiscard]] ExitCode exit_code() const override { return ExitCode::SimFailed; }
};

class OutputError : public Error {
public:
  using Error::Error;
  [[nodiscard]] ExitCode exit_code() const override { return ExitCode::OutputFailed; }
};

}  // namespace racksim
