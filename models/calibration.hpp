// racksim models: calibration of the GPU kernel model against published measurements.
//
// Files (models/catalog/calibration/):
//   <gpu>.yaml      efficiency tables of one GPU, written by `racksim calibrate` from measurements;
//                   each point names the measurement case it came from
//   families.yaml   which GPUs borrow the tables of a calibrated GPU of their family
// Fitting (fit_calibration): for every usable case of the GPU,
//   stream case:  eta_m(op) = measured bandwidth / catalog HBM bandwidth
//   GEMM case:    eta_c = F / (P_dtype * t_measured), t_measured = F / measured FLOP/s, for GEMMs
//                 whose output has at least 256 rows and columns (narrower ones are
//                 validation-only: their time is set by tiling and memory, not by the table);
//                 each point also records its shape and its useful fraction q_i on this GPU
//                 (tile and wave quantization, models/kernel.hpp), written as optional
//                 `shape` and `useful_fraction` keys; the kernel model divides eta_c by q_i
//   attention:    eta = the matmul efficiency that reproduces the measured FLOP/s through the
//                 tiled FlashAttention-2 model (models/attention.hpp: flash_matmul_efficiency),
//                 keyed by sequence length (flash attention only; the 'standard attention' cases
//                 are not this kernel class). The attention backward ratio is not fitted here
//                 (tools/fit_attention_backward.py fits it on training steps); `racksim calibrate`
//                 keeps the current file's.
// Cases the model does not cover (host<->device and peer copies, which are links, partial-GPU
// TransferBench runs, pass thresholds, int8) are listed with the reason they are skipped.
// Borrowed tables: efficiencies are dimensionless, so a GPU of the same family reuses them; a
// GEMM of F FLOPs on a GPU with peak P reads the table at F * P_ref / P (the same fill).
#pragma once

#include "models/catalog.hpp"
#include "models/kernel.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racksim {

// One measured case of a published-measurements file, as the kernel model sees it.
struct MeasuredCase {
  std::string id;
  std::string metric;              // achieved_tflops, achieved_bandwidth, ...
  double measured = 0.0;           // SI: FLOP/s or B/s (a launch case: seconds per launch)
  std::optional<KernelWork> work;  // empty when the case is skipped or a launch case
  bool launch = false;             // kernel launch spacing, compared with the GPU's launch_overhead
  std::string skip_reason;
  bool fit_point = false;          // used to fit a table (else validation only)
};

// Where a measurements file of racksim's own microbenchmarks was measured (models/measurements.hpp).
struct MeasurementProvenance {
  std::string file;
  std::string device;   // device.name
  std::string arch;
  std::string driver;
  std::string runtime;
  std::string date;
  std::string host;
};

// The name a GPU goes by in measurement files' hardware and device names (h100 -> "H100").
[[nodiscard]] std::string hardware_token(const std::string& gpu_id);

// Reads the kernel cases of `gpu_id` (mi300x, h100, ...) from a file in the format of
// shared/reference/published-measurements.yaml, or from a measurements file of racksim's own
// microbenchmarks (models/measurements.hpp). Throws InputError on a malformed file.
// With `provenance`, each racksim measurements file read adds where it was measured. Each file
// is parsed once.
[[nodiscard]] std::vector<MeasuredCase> read_published_cases(const std::string& path, const std::string& gpu_id,
                                                             std::vector<MeasurementProvenance>* provenance = nullptr);
[[nodiscard]] std::vector<MeasuredCase> read_published_cases(const std::vector<std::string>& paths, const std::string& gpu_id,
                                                             std::vector<MeasurementProvenance>* provenance = nullptr);

// Fits tables from the cases (see the header comment).
[[nodiscard]] GpuCalibration fit_calibration(const GpuSpec& gpu, const std::vector<MeasuredCase>& cases,
                                             const std::string& source);

// The YAML text of a calibration file (deterministic).
[[nodiscard]] std::string calibration_yaml(const GpuCalibration& c, const std::string& generated_by);
[[nodiscard]] GpuCalibration load_calibration(const std::string& path);

// The calibration racksim uses for `gpu`: its own file, else its family's, scaled; nullopt when
// neither exists. `dir` is models/catalog/calibration.
[[nodiscard]] std::optional<GpuCalibration> calibration_for(const GpuSpec& gpu, const Catalog& catalog,
                                                            const std::string& dir);

// Predicted vs measured for one case.
struct CaseResult {
  std::string id;
  std::string what;                // description of the kernel
  std::string unit;                // TFLOP/s or TB/s
  double measured = 0.0;           // in `unit`
  double predicted = 0.0;
  double error = 0.0;              // (predicted - measured) / measured
  bool skipped = false;
  std::string note;                // skip reason, or fit/validation-only
};

[[nodiscard]] std::vector<CaseResult> compare_cases(const GpuSpec& gpu, const GpuCalibration* cal,
                                                    const std::vector<MeasuredCase>& cases);
// Leave-one-out: each fit case predicted by tables fitted without it (how well the tables
// generalise, as opposed to how well they reproduce their own points).
[[nodiscard]] std::vector<CaseResult> leave_one_out(const GpuSpec& gpu, const std::vector<MeasuredCase>& cases,
                                                    const std::string& source);
// Median of |error| over the cases that were not skipped (0 when there are none).
[[nodiscard]] double median_abs_error(const std::vector<CaseResult>& results);

}  // namespace racksim
