// racksim sim: the CLI verbs of the GPU kernel model — predict, calibrate, validate.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace racksim {

int cmd_predict(const std::vector<std::string>& args, const std::string& data_dir, std::ostream& out);
int cmd_calibrate(const std::vector<std::string>& args, const std::string& data_dir, std::ostream& out);
int cmd_validate(const std::vector<std::string>& args, const std::string& data_dir, std::ostream& out);

}  // namespace racksim
