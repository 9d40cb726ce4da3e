// racksim cli: `racksim validate CASES... --inference` — published LLM inference serving runs
// (`kind: inference` cases) mapped onto inference_serving scenarios (sim/studies/inference_cases.hpp),
// each simulated in its own process, and predicted vs measured (throughput, a static batch's
// latency or the mean TPOT) with the run's breakdown, per-source medians and the cases racksim
// cannot express (docs/validation.md, "Inference cases").
#pragma once

#include "sim/cli/verb.hpp"

namespace racksim {

[[nodiscard]] Verb validate_inference_verb();

}  // namespace racksim
