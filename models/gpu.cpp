#include "models/gpu.hpp"

#include "core/error.hpp"
#include "models/kernel.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace racksim {

const std::vector<Precision>& all_precisions() {
  static const std::vector<Precision> all = {Precision::fp64, Precision::fp64_matrix, Precision::fp32,
                                             Precision::tf32, Precision::bf16,        Precision::fp16,
                                             Precision::fp8,  Precision::fp6,         Precision::fp4};
  return all;
}

std::string to_string(Precision p) {
  switch (p) {
    case Precision::fp64: return "fp64";
    case Precision::fp64_matrix: return "fp64_matrix";
    case Precision::fp32: return "fp32";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
    case Precision::fp8: return "fp8";
    case Precision::fp6: return "fp6";
    case Precision::fp4: return "fp4";
  }
  return "?";
}

std::optional<Precision> precision_from_string(const std::string& s) {
  for (const Precision p : all_precisions())
    if (to_string(p) == s) return p;
  return std::nullopt;
}

std::string precision_names() {
  std::string s;
  for (const Precision p : all_precisions()) s += (s.empty() ? "" : ", ") + to_string(p);
  return s;
}

std::optional<FlopRate> GpuSpec::peak(Precision p) const {
  const auto it = peak_dense.find(p);
  if (it == peak_dense.end()) return std::nullopt;
  return it->second;
}

Seconds roofline_time(const GpuSpec& gpu, const KernelCost& k) {
  // The kernel model without calibration (efficiencies 1) is exactly this roofline.
  const KernelEstimate e = estimate_kernel(gpu, nullptr, generic_work(k.flops, k.precision, k.hbm_bytes));
  return e.launch_overhead + e.time;
}

Seconds reduction_time(const GpuSpec& gpu, Bytes reduced) {
  return estimate_kernel(gpu, nullptr, reduction_work(reduced, Precision::bf16)).time;
}

}  // namespace racksim
