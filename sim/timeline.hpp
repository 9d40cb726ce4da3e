// racksim sim: timeline.json, the run as a Chrome trace-event file (Perfetto, chrome://tracing).
#pragma once

#include <string>

namespace racksim {

struct RunResult;

// The run's timeline (docs/timeline.md). Placeholder until the timeline work lands.
[[nodiscard]] std::string timeline_json(const RunResult& r);

}  // namespace racksim
