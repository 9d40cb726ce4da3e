// racksim sim: `racksim plan` — capacity planning (docs/plan.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace racksim {

int cmd_plan(const std::vector<std::string>& args, const std::string& data_dir, std::ostream& out);

}  // namespace racksim
