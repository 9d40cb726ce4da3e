// placeholder: filled in by the work on issue 8
#include "sim/report.hpp"

namespace racksim {

std::string report_html(const RunResult&) { return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>racksim</title></head><body></body></html>\n"; }
std::string sweep_report_html(const SweepTable&, const std::vector<std::string>&) { return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>racksim sweep</title></head><body></body></html>\n"; }

}  // namespace racksim
