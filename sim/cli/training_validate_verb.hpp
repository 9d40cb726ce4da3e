// racksim cli: `racksim validate CASES... --training` — published whole training steps
// (`kind: training_step` cases) mapped onto scenarios (sim/studies/training_cases.hpp), each
// simulated in its own process, and predicted vs measured tokens/s/GPU with the step's breakdown,
// per-source medians and the cases racksim cannot express (docs/validation.md).
#pragma once

#include "sim/cli/verb.hpp"

namespace racksim {

[[nodiscard]] Verb validate_training_verb();

}  // namespace racksim
