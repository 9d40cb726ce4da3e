// racksim cli: the verbs of the GPU kernel model — predict kernel, calibrate, validate --gpu.
#pragma once

#include "sim/cli/verb.hpp"

namespace racksim {

[[nodiscard]] Verb predict_kernel_verb();
[[nodiscard]] Verb calibrate_verb();
[[nodiscard]] Verb validate_kernels_verb();

}  // namespace racksim
