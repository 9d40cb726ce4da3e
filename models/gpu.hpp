// racksim models: the GPU as the catalog describes it, and its kernel time (plain roofline).
//
// What it models: the time of one kernel on one GPU at its maximum clock,
//   t = t_launch + max( F / P_prec , B / BW_hbm )
// where F is the kernel's FLOP count at precision `prec`, P_prec the GPU's dense peak rate for
// that precision, B the bytes the kernel moves to and from HBM and BW_hbm the HBM bandwidth.
// Parameters: the catalog entry (models/catalog/gpus.yaml): peak_dense per precision,
// hbm_bandwidth, launch_overhead.
// Worked example: a 4096^3 BF16 GEMM (F = 2*4096^3 = 1.374e11 FLOP, B = 3*4096^2*2 = 1.007e8 B)
// on MI300X (1307.4 TFLOP/s, 5.3 TB/s, 5 us launch): max(105.1 us, 19.0 us) + 5 us = 110.1 us.
// Accuracy: a roofline with efficiency 1 is an upper bound on speed; real GEMMs reach 60-80% of
// peak (see ../shared/reference/published-measurements.yaml). The calibrated model with
// efficiency tables per kernel class and shape replaces the efficiency of 1 (issue "GPU and HBM
// cost models").
#pragma once

#include "core/units.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class Precision { fp64, fp64_matrix, fp32, tf32, bf16, fp16, fp8, fp6, fp4 };

[[nodiscard]] const std::vector<Precision>& all_precisions();
[[nodiscard]] std::string to_string(Precision p);
[[nodiscard]] std::optional<Precision> precision_from_string(const std::string& s);
[[nodiscard]] std::string precision_names();  // "fp64, fp64_matrix, ..." for messages

// Where a catalog value comes from: its kind (spec, spec_secondary, measured, estimate, derived),
// the source ids and an optional note.
struct Provenance {
  std::string kind;
  std::string source;
  std::string note;
};

struct GpuSpec {
  std::string id;
  std::string name;
  std::string vendor;
  std::map<Precision, FlopRate> peak_dense;   // a missing precision is unsupported
  std::map<Precision, FlopRate> peak_sparse;
  std::optional<int> compute_units;
  Hertz clock_max;
  std::string hbm_type;
  Bytes hbm_capacity;
  BytesPerSecond hbm_bandwidth;
  std::optional<int> hbm_stacks;
  std::optional<Bytes> llc;
  std::optional<BytesPerSecond> scale_up_bandwidth;   // per direction per GPU
  std::optional<BytesPerSecond> scale_out_bandwidth;  // per direction per GPU
  Watts board_power;
  std::optional<Watts> idle_power;
  Seconds launch_overhead;
  std::map<std::string, Provenance> provenance;  // field name -> where its value comes from

  [[nodiscard]] std::optional<FlopRate> peak(Precision p) const;
};

// A kernel as the roofline sees it.
struct KernelCost {
  Flops flops;
  Precision precision = Precision::bf16;
  Bytes hbm_bytes;
};

// Roofline time of a kernel at the maximum clock (see the header comment): the kernel model
// (models/kernel.hpp) with efficiencies of 1, plus launch overhead. Throws Error if the GPU has
// no rate for the kernel's precision and the kernel has FLOPs.
[[nodiscard]] Seconds roofline_time(const GpuSpec& gpu, const KernelCost& k);

// Time of the reduction inside a collective step, uncalibrated: BF16 data, reads two buffers
// and writes one (3 x bytes through HBM), fused into the communication kernel, so no launch
// overhead (models/kernel.hpp reduction_work).
[[nodiscard]] Seconds reduction_time(const GpuSpec& gpu, Bytes reduced);

}  // namespace racksim
