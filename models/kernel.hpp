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
//
// GEMM shape: tile and wave quantization (issue 17, cause 3). The calibration GEMMs are square-ish
// benchmarks; training GEMMs are thin tensor-parallel slices, weight gradients (K = tokens) and
// small micro-batches. A vendor library computes an M x N (x batch) output as output tiles of
// Mt x Nt, one per workgroup (CTA), on the GPU's S streaming multiprocessors / compute units:
//   tiles = ceil(M/Mt) ceil(N/Nt) batch,  waves = ceil(tiles / S),
//   q = M N batch / (waves S Mt Nt)   (the useful fraction of the tile-slots the kernel occupies)
// A partial last tile costs a full tile's time, and a partial last wave a full wave's (NVIDIA,
// "Matrix Multiplication Background User's Guide", DU-09799-001, sections "Tile Quantization" and
// "Wave Quantization"). So eta_c = eta_full(F) * q(shape), where eta_full is the efficiency of full
// waves of full tiles. A calibration point measured eta_i on its own shape, so
//   eta_full(F_i) = eta_i / q_i,   eta_full(F) = the table's log-linear interpolation of eta_i / q_i,
// and predicting a calibration case gives eta_full(F_i) q_i = eta_i: its measurement, as before.
// `racksim calibrate` writes each GEMM point's shape and q_i (computed on the calibrated GPU), so a
// family member that borrows the table divides by the reference GPU's q_i and multiplies by its
// own q. A GEMM known only by its FLOPs (generic_work, a trace op) has no shape: it reads eta_i as
// measured (quantized like the benchmarks). A GPU without compute_units in the catalog, or a file
// without q_i (written before this model), gives q = 1 (with a note for the former). No K term:
// eta_K = K / (K + K0) for a per-tile prologue/epilogue is not modelled, for lack of a sourced K0;
// the FLOP key carries what K does to the efficiency of the calibrated shapes.
// Compute units S (catalog compute_units): H100 SXM 132 SMs, MI300X 304 CUs, MI355X 256 CUs;
// MI455X is not disclosed: MI355X's 256 borrowed (an estimate in the catalog, noted per estimate).
// Tile sizes (gemm_tile):
//   NVIDIA bf16/fp16/fp8: 128 x 128. vLLM's CUTLASS 3.x SM90 FP8 GEMM uses TileShape 128x128x128
//     for M > 128 (vllm-project/vllm csrc/quantization/cutlass_w8a8/c3x/scaled_mm_sm90_fp8_dispatch.cuh,
//     sm90_fp8_config_default); the CUTLASS profiler instantiates "typically 128x128" per data type
//     by default (docs.nvidia.com/cutlass/media/docs/cpp/profiler.html). cuBLASLt's own choice is
//     not published per shape; it also uses 128x256 and 256x128 tiles, so 128x128 is the typical,
//     not the only, tile. Other NVIDIA precisions: the same 128 x 128 (an assumption).
//   AMD bf16/fp16: 256 x 256. AMD's ROCm blog "Measuring Max-Achievable FLOPs - Part 2" (S40,
//     rocm.blogs.amd.com, 2025-02-28) says hipBLASLt uses "larger compute tiles (up to 256x256 on
//     MI300X/MI325X)" and picks the BF16 benchmark shape 4096 x 4864 = 16*256 x 19*256: 304 tiles,
//     one per CU. AMD fp8: 256 x 192, from the same blog's FP8 shape 4096 x 3648 = 16*256 x 19*192.
//     Other AMD precisions (fp32, fp6, fp4), rocBLAS, and CDNA 4 (MI355X, MI455X): the MI300X
//     hipBLASLt tiles (an assumption).
// Worked shape: H100 bf16, a micro-batch of M = 2048 tokens through a TP-sliced weight, K = 8192:
//   N = 1024: 16 x 8 = 128 tiles on 132 SMs, 1 wave, q = 2048*1024 / (132 * 128^2) = 0.9697
//   N = 1152: 16 x 9 = 144 tiles, 2 waves, q = 2048*1152 / (2 * 132 * 128^2) = 0.5455
// 12.5% more FLOPs take 1.125 * 0.9697 / 0.5455 = 2.0x the time. The shipped H100 points have
// q_i = 0.4848 (1024^3: 64 tiles in a wave of 132), 0.5078 (1024x2145x1024: 136 tiles, 2 waves),
// 0.9697 (2048^3 to 8192^3) and 0.993-0.999 (the larger ones).
// Accuracy of the shape term: the leave-one-out median |error| over the 8 H100 fp8 GEMMs falls from
// 4.2% to 3.4% (2048^3: -28% -> -6%; 1024x2145x1024: +31% -> -9%; 1024^3 stays at +43%: a library
// picks smaller tiles or split-K for so few tiles, which one fixed tile does not see); MI300X's two
// bf16 points predict each other at -57% / +133% instead of -77% / +343%.
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
#include <utility>
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
// "MxNxK", or "MxNxKxBATCH" when batch > 1 (the --gemm syntax of `racksim predict kernel`).
[[nodiscard]] std::string gemm_shape_text(const GemmShape& s);

struct AttentionShape {
  std::int64_t batch = 0, heads = 0, seq = 0, head_dim = 0;
  bool causal = false;
  std::int64_t kv_heads = 0;  // key/value heads (grouped-query attention); 0 = heads
  bool backward = false;      // the backward pass (dQ, dK, dV) instead of the forward
  std::int64_t window = 0;    // sliding window (causal only): each query sees its last `window` keys; 0 = all
};

// Score elements one (batch, head) of a causal attention actually needs: s^2/2 (the convention of
// the FLOP count, without the diagonal's s/2), and with a sliding window w < s: s w - w^2/2 (the
// same continuous count of the band: each query i sees min(i, w) keys).
[[nodiscard]] double causal_useful_elements(std::int64_t seq, std::int64_t window);

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
  std::optional<GemmShape> gemm;  // a GEMM given by its shape (gemm_work): tile and wave quantization apply
};

// The output tile one workgroup (CTA) of the vendor GEMM library computes, per GPU vendor and
// precision (sources in the header comment).
struct GemmTile {
  std::int64_t m = 0, n = 0;
  std::string source;  // where the size comes from, or that it is an assumption
};
[[nodiscard]] GemmTile gemm_tile(const GpuSpec& gpu, Precision p);

// Tile and wave quantization of one GEMM on one GPU (header comment):
//   tiles = ceil(M/Mt) ceil(N/Nt) batch, waves = ceil(tiles/S), q = M N batch / (waves S Mt Nt).
struct GemmWaves {
  GemmTile tile;
  int compute_units = 0;       // S: SMs (NVIDIA) or CUs (AMD), from the catalog
  double tiles = 0.0;           // integers, counted in double (M and N may reach 2^40 each)
  double waves = 0.0;
  double useful_fraction = 1.0;  // q, in (0, 1]
};
// nullopt when the catalog gives the GPU no compute_units (the model then leaves q out).
[[nodiscard]] std::optional<GemmWaves> gemm_waves(const GpuSpec& gpu, const GemmShape& s, Precision p);

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

// One calibration point: the efficiency measured at a size. A GEMM point also carries the
// useful fraction q of its own shape on the GPU it was measured on (1 when its shape is unknown),
// so that efficiency / q is the efficiency of full waves of full tiles.
struct CalibrationPoint {
  CalibrationPoint() = default;
  CalibrationPoint(double key_, double efficiency_, std::string case_id_, double useful_fraction_ = 1.0,
                   std::string shape_ = {})
      : key(key_), efficiency(efficiency_), case_id(std::move(case_id_)), useful_fraction(useful_fraction_),
        shape(std::move(shape_)) {}
  double key = 0.0;
  double efficiency = 0.0;
  std::string case_id;
  double useful_fraction = 1.0;  // q of the measured shape (GEMM points; 1 = not known or full)
  std::string shape;             // the measured GEMM shape, "MxNxK" or "MxNxKxBATCH" (GEMM points)
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
  // The same interpolation of each point's efficiency / useful_fraction: the efficiency of a
  // GEMM whose tiles and waves are all full (eta_full in the header comment).
  [[nodiscard]] double full_waves_at(double key, std::vector<std::string>* used = nullptr) const;

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
  std::optional<GemmWaves> gemm_waves;   // a shaped GEMM's tiles, waves and q (when modelled)
};

struct ClockState {
  std::optional<Hertz> core;       // default: the GPU's clock_max
  double hbm_ratio = 1.0;          // HBM clock relative to nominal
};

// Throws Error if the GPU has no rate for the kernel's precision (and it has FLOPs).
[[nodiscard]] KernelEstimate estimate_kernel(const GpuSpec& gpu, const GpuCalibration* cal, const KernelWork& w,
                                             const ClockState& clock = {});

}  // namespace racksim
