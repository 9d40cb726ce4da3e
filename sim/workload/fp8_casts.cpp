// racksim sim/workload: FP8 cast, scaling and transpose kernels per linear layer (the derivation
// and the tables are in fp8_casts.hpp).
#include "sim/workload/fp8_casts.hpp"

namespace racksim {

std::vector<Fp8CastOp> fp8_linear_ops(const Fp8Recipe& recipe, std::int64_t t, std::int64_t k, std::int64_t n,
                                      std::int64_t batch) {
  const double b = static_cast<double>(batch);
  const double x = b * static_cast<double>(t) * static_cast<double>(k);   // elements of X
  const double w = b * static_cast<double>(k) * static_cast<double>(n);   // of W
  const double dy = b * static_cast<double>(t) * static_cast<double>(n);  // of dY
  const Fp8Phase weights = recipe.weight_cache ? Fp8Phase::PerStep : Fp8Phase::Forward;
  if (recipe.scaling == Fp8Scaling::Delayed)
    return {
        {"x.cast_t", Fp8Phase::Forward, 2.0 * x, 2.0 * x},
        {"w.cast_t", weights, 2.0 * w, 2.0 * w},
        {"dy.cast_t", Fp8Phase::Backward, 2.0 * dy, 2.0 * dy},
    };
  return {
      {"x.amax", Fp8Phase::Forward, 2.0 * x, 0.0},
      {"x.cast", Fp8Phase::Forward, 2.0 * x, x},
      {"w.amax", weights, 2.0 * w, 0.0},
      {"w.cast", weights, 2.0 * w, w},
      {"dy.amax", Fp8Phase::Backward, 2.0 * dy, 0.0},
      {"dy.cast", Fp8Phase::Backward, 2.0 * dy, dy},
      {"w.t", recipe.weight_cache ? Fp8Phase::PerStep : Fp8Phase::Backward, w, w},
      {"dy.t", Fp8Phase::Backward, dy, dy},
      {"x.t", Fp8Phase::Backward, x, x},
  };
}

int fp8_op_count(const Fp8Recipe& recipe, Fp8Phase phase) {
  int n = 0;
  for (const Fp8CastOp& op : fp8_linear_ops(recipe, 1, 1, 1))
    if (op.phase == phase) ++n;
  return n;
}

const char* to_string(Fp8Scaling s) { return s == Fp8Scaling::Delayed ? "delayed" : "tensorwise"; }

}  // namespace racksim
