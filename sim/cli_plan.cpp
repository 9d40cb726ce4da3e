// placeholder: filled in by the work on issue 8
#include "sim/cli_plan.hpp"

#include "core/error.hpp"

namespace racksim {

int cmd_plan(const std::vector<std::string>&, const std::string&, std::ostream&) { throw UsageError("'plan' is not built yet"); }

}  // namespace racksim
