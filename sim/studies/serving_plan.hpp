// racksim studies: capacity planning for LLM serving (`racksim plan` with a `kind: serving` plan
// file, docs/plan.md "Serving plans") — the pure part: the grid of request rates, rack counts,
// instance layouts and instance counts, the screening of each point, its peak power from the
// run's power metrics, the Pareto set per rate, and the table and JSON. The plan file itself is
// read by load_plan (capacity_plan.hpp); the CLI (sim/cli/plan_verb.cpp) runs each point that
// survives screening, a serving scenario with the point's overrides, in a child process.
//
// What a point is: the base serving scenario at one request rate (workload.requests.rate), on
// `racks` scale-up domains (cluster.domains), with `instances` instances of one layout
// (workload.instance.{tp, pp, ep}); it uses GPUs = instances x tp x pp. `fill` (the default)
// takes as many instances as the racks hold: floor(racks x GPUs per rack / (tp x pp)).
//
// Screening, in order (the first failure is the point's category; after the run every failing
// check is listed):
//   1. over_limit        more racks than limits.racks (nothing run)
//   2. invalid_layout    instances x tp x pp more GPUs than the racks hold, or the run refuses the
//                        layout (tp not dividing the heads: its message says "must divide")
//   3. over_limit        more GPUs than limits.gpus
//   4. out_of_memory     the run refuses the point because the model does not fit an instance's HBM
//                        (its message says "does not fit"; nothing simulated)
//   5. cannot_evaluate   the run refuses the point for another reason
//   6. simulation_failed the simulation could not complete
//   7. unfinished        the run left requests unfinished
//   8. over_power        peak site (IT) power above limits.site_power (limits.it_power)
//   9. slo_missed        p99 TTFT above slo.ttft_p99, p99 TPOT above slo.tpot_p99 (by how much)
//
// Peak power, as the training plan's (capacity_plan.hpp):
//   peak IT   = racks x the highest rack's peak (control-period average, AC) + scale-out switches
//   peak site = the site model (PUE or cooling plant) applied to the peak IT power
// Pareto set, for each rate separately (a rate is a requirement, not an objective): the feasible
// points no other feasible point of the same rate dominates on (GPUs, peak site power, p99 TTFT,
// p99 TPOT), all minimised.
#pragma once

#include "sim/studies/capacity_plan.hpp"

#include <string>
#include <vector>

namespace racksim {

// The grid, in order: rates (outermost), racks, layouts, instance counts (fastest). Points over a
// rack or GPU limit, and layouts the racks cannot hold, come back rejected; the others pending,
// with their overrides for the base scenario (the plan's overrides, then cluster.domains,
// workload.instance.tp/pp (and ep when the layout sets it), workload.instances,
// workload.requests.rate and the plan's SLOs as workload.slo.ttft/tpot).
[[nodiscard]] std::vector<PlanPoint> expand_serving_grid(const PlanSpec& plan, const PlanBase& base);

// The category of a run's refusal of a serving point, from its message: "does not fit" ->
// OutOfMemory, "must divide" -> InvalidLayout, else CannotEvaluate.
[[nodiscard]] Reject serving_refusal(const std::string& why);

// After the run: peak power, then unfinished, over_power and slo_missed when they apply.
void judge_serving(PlanPoint& p, const PointMetrics& m, const PlanSpec& plan, const PlanBase& base);

// Does `a` dominate `b` on (GPUs, peak site power, p99 TTFT, p99 TPOT)? Both must be judged.
[[nodiscard]] bool serving_dominates(const PlanPoint& a, const PlanPoint& b);
// Marks every judged, unrejected point Pareto or Dominated among the points of its own rate.
void mark_serving_pareto(std::vector<PlanPoint>& points);

// "tp4 pp1 x2" (and " ep8" when the layout sets ep).
[[nodiscard]] std::string serving_layout_label(const PlanPoint& p);

// The report: the plan, then for each rate the Pareto points (fewest GPUs first) and the
// dominated ones, then every rejected point (grid order) with its reasons, and how the numbers
// were obtained.
[[nodiscard]] std::string serving_plan_table(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points);
// Everything, machine-readable (docs/plan.md "Serving plans"); no wall-clock time, no absolute path.
[[nodiscard]] std::string serving_plan_json(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points);

}  // namespace racksim
