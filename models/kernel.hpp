// racksim models: the GPU kernel cost model — an operation's time on a given GPU at a given clock.
//
// What it models: one kernel (device time, launch overhead reported apart) as a roofline with
// calibrated efficiencies,
//   t = max( F / (eta_c * P_prec * f / f_max) , B / (eta_m * BW_hbm * r_hbm) )
// where F and B are the kernel's FLOPs and HBM bytes (read + written), P_prec the GPU's dense
// peak for the kernel's precision at its maximum clock f_max, f the core clock, BW_hbm the HBM
// bandwidth and r_hbm the HBM clock ratio (1 = nominal). eta_c comes from a calibration table of
// the kernel's class and precision, interpolated over the kernel's size (GEMM: FLOP count;
// attention: sequence length); eta_m from the GPU's stream table (per STREAM operation; other
// kernels use the triad value). Without a table for a class or precision, eta is 1 (the plain
// roofline) and the estimate says so.
//
// Kernel classes and their F and B (s_in, s_out = bytes per element of inputs and output):
//   GEMM (M,N,K,batch): F = 2 M N K batch; B = batch (M K s_in + K N s_in + M N s_out), with
//     s_out = 2 (BF16) for FP8/FP6/FP4 inputs, 4 for TF32, else s_in (cuBLASLt/hipBLASLt defaults).
//   stream (BabelStream semantics, arrays of S bytes): copy c=a and mul b=k*c move 2S, add c=a+b
//     and triad a=b+k*c move 3S, dot sum(a*b) reads 2S; FLOPs 0, 1, 1, 2, 2 per element.
//   attention (flash-attention forward, batch b, heads h, kv heads g, sequence s, head dim d):
//     F = 4 b h s^2 d (halved when causal); B = b s d (2h + 2g) s_in (Q, K, V read once, O
//     written once). Backward (FlashAttention-2, Dao 2023): five s x s matmuls instead of two,
//     F = 10 b h s^2 d (halved when causal); B = b s d (4h + 4g) s_in (Q, O, dO, K, V read; dQ,
//     dK, dV written). F is the useful work (what MFU counts); the compute time is not F/(eta P)
//     but models/attention.hpp's tiled FlashAttention-2 cost: the diagonal tiles of a causal mask
//     computed whole (a factor 1 + 128/s at d = 128), the thread blocks' wave fill over the
//     GPU's compute units, the exponentials on the special-function units (not overlapped with
//     the matmuls), and the backward at r x the forward's matmul efficiency (r from the
//     calibration file's attention.backward entry; 1 when absent). Worked example there.
//     Unfused attention is not this kernel class: the training generator emits its GEMMs and
//     softmax passes as GEMM and memory ops (sim/workload/training_generator.cpp).
//   reduction (the compute side of a collective): reads 2 buffers, writes 1: B = 3 x bytes,
//     F = bytes / s_in; copy: B = 2 x bytes.
// Worked example: H100, FP8 GEMM 8192^3: F = 1.0995e12, B = 3.36e8; the calibrated fp8 table
// gives eta_c = 0.652 at that size (Azure ND H100 v5, 1290.1 TFLOP/s measured), so
// t = 1.0995e12 / (0.652 * 1978.9e12) = 0.852 ms.
// Accuracy: docs/gpu-model.md, and tests/unit/models/test_calibration.cpp, which prints predicted vs
// measured for every MI300X and H100 kernel case of validation/reference/ (in-sample and
// leave-one-out).
#pragma once

#include "core/units.hpp"
#include "models/gpu.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class KernelClass { Gemm, Stream, Attention, Reduction, Copy };
enum class StreamOp { Copy, Mul, Add, Triad, Dot };

[[nodiscard]] std::string to_string(KernelClass c);
[[nodiscard]] std::string to_string(StreamOp op);
[[nodiscard]] std::optional<StreamOp> stream_op_from_string(const std::string& s);  // copy, scale|mul, add, triad, dot

// Bytes per element of a precision (fp6 = 0.75, fp4 = 0.5).
[[nodiscard]] double bytes_per_element(Precision p);

struct GemmShape {
  std::int64_t m = 0, n = 0, k = 0, batch = 1;
  bool trans_a = false, trans_b = false;  // recorded; the model treats layouts alike
};

struct AttentionShape {
  std::int64_t batch = 0, heads = 0, seq = 0, head_dim = 0;
  bool causal = false;
  std::int64_t kv_heads = 0;  // key/value heads (grouped-query attention); 0 = heads
  bool backward = false;      // the backward pass (dQ, dK, dV) instead of the forward
};

// A kernel reduced to what the cost model needs.
struct KernelWork {
  KernelClass cls = KernelClass::Gemm;
  Precision dtype = Precision::bf16;
  Flops flops;
  Bytes bytes;
  double size_key = 0.0;      // the calibration table's key: GEMM FLOPs, attention sequence
  StreamOp stream_op = StreamOp::Triad;
  std::string description;    // e.g. "GEMM 8192x8192x8192 fp8"
  std::optional<AttentionShape> attention;  // set by attention_work: the tiled model needs the shape
};

// Throws Error for malformed shapes (non-positive dimensions).
[[nodiscard]] KernelWork gemm_work(const GemmShape& s, Precision dtype);
[[nodiscard]] KernelWork stream_work(StreamOp op, Bytes array_bytes, Precision dtype = Precision::fp64);
[[nodiscard]] KernelWork attention_work(const AttentionShape& s, Precision dtype);
[[nodiscard]] KernelWork reduction_work(Bytes bytes, Precision dtype);
[[nodiscard]] KernelWork copy_work(Bytes bytes);
// A kernel known only by its FLOPs and bytes (a trace's compute op): treated as a GEMM of that
// FLOP count for calibration (the FLOP-heavy ops of training are GEMMs), a stream triad if it
// has no FLOPs.
[[nodiscard]] KernelWork generic_work(Flops flops, Precision dtype, Bytes bytes);

// One calibration point: the efficiency measured at a size.
struct CalibrationPoint {
  double key = 0.0;
  double efficiency = 0.0;
  std::string case_id;
};

// Efficiency over size: piecewise linear in log10(key) between points, flat beyond the ends.
class CalibrationTable {
public:
  CalibrationTable() = default;
  explicit CalibrationTable(std::vector<CalibrationPoint> points);
  [[nodiscard]] bool empty() const { return points_.empty(); }
  [[nodiscard]] const std::vector<CalibrationPoint>& points() const { return points_; }
  // The efficiency at `key` and the ids of the points it came from.
  [[nodiscard]] double at(double key, std::vector<std::string>* used = nullptr) const;

private:
  std::vector<CalibrationPoint> points_;  // sorted by key
};

// The flash-attention backward's matmul efficiency as a ratio of the forward's, fitted on whole
// training steps (tools/fit_attention_backward.py), with where it came from.
struct AttentionBackwardFit {
  double ratio = 1.0;   // eta_backward / eta_forward
  std::string cases;    // the training-step cases it was fitted on (a regular expression or list)
  std::string fitted;   // the date of the fit
  std::string command;  // the command that refits it
};

// The calibrated efficiencies of one GPU.
struct GpuCalibration {
  std::string gpu;                 // the GPU these tables were fitted on
  std::string source;              // provenance of the measurements
  std::map<std::pair<KernelClass, Precision>, CalibrationTable> compute;  // eta_c
  std::map<StreamOp, CalibrationPoint> stream;                            // eta_m
  std::string scaled_from;         // non-empty: borrowed from this GPU of the family
  double key_scale = 1.0;          // GEMM FLOP keys scaled by peak ratio when borrowed
  std::optional<AttentionBackwardFit> attention_backward;  // absent: backward at the forward's eta

  // A precision without its own table borrows the one listed here (bf16 <-> fp16; tf32 -> fp32).
  [[nodiscard]] const CalibrationTable* table(KernelClass c, Precision p, Precision* used) const;
  [[nodiscard]] std::optional<double> memory_efficiency(StreamOp op) const;
};

struct KernelEstimate {
  Seconds time;                    // device time of the kernel (no launch overhead)
  Seconds launch_overhead;         // the GPU's, reported apart
  Seconds compute_time;            // F / (eta_c P f/fmax)
  Seconds memory_time;             // B / (eta_m BW r_hbm)
  bool compute_bound = true;
  double eta_compute = 1.0;
  double eta_memory = 1.0;
  FlopRate peak;                   // at the requested clock
  std::vector<std::string> points_used;  // calibration cases behind eta_c and eta_m
  std::vector<std::string> notes;        // which table was borrowed or missing
  KernelWork work;
};

struct ClockState {
  std::optional<Hertz> core;       // default: the GPU's clock_max
  double hbm_ratio = 1.0;          // HBM clock relative to nominal
};

// Throws Error if the GPU has no rate for the kernel's precision (and it has FLOPs).
[[nodiscard]] KernelEstimate estimate_kernel(const GpuSpec& gpu, const GpuCalibration* cal, const KernelWork& w,
                                             const ClockState& clock = {});

}  // namespace racksim
