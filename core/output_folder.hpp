// racksim core: the check that an output folder can take a run's files, made before the run
// simulates anything, so a folder that cannot be written (`--out /proc/x`, a read-only mount, a
// path through a file) is said at once rather than after the simulation.
#pragma once

#include <filesystem>
#include <string>

namespace racksim {

// Creates `dir` (and its parents) when missing, then writes and removes a probe file in it.
// Throws InputError (exit 3) at `named_by` (what named the folder, e.g. "--out /proc/x"), naming
// the folder and the operating system's error. A folder that already held files keeps them.
void check_output_folder(const std::filesystem::path& dir, const std::string& named_by);

}  // namespace racksim
