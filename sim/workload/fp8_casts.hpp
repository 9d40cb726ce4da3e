// racksim sim/workload: the memory-bound kernels that FP8 training adds to every FP8 linear layer
// (scaling, casts and transposes), per recipe, with the bytes each one reads and writes. The
// training generator (training_generator.cpp) emits them as memory ops beside the layer's GEMMs,
// so the stream/HBM model costs them; the GEMMs themselves keep their FP8 rate.
//
// What it models. A linear layer Y = X W, X: T x K activations (bf16), W: K x N weights (bf16,
// stored N x K, K contiguous, as torch.nn.Linear stores them), dY: T x N output gradients. Hopper
// FP8 tensor-core GEMMs (cuBLASLt, torch._scaled_mm) take both operands K-major (the reduction
// dimension contiguous), so each of the three GEMMs needs its FP8 operands in its own layout:
//   forward  Y  = X  W    reduces over K: X_fp8 (T x K, K contiguous), W_fp8 (N x K, as stored)
//   dgrad    dX = dY Wᵀ   reduces over N: dY_fp8 (T x N, as produced), W_fp8ᵀ (K x N, N contiguous)
//   wgrad    dW = Xᵀ dY   reduces over T: X_fp8ᵀ (K x T), dY_fp8ᵀ (N x T), both T contiguous
// so X, W and dY are each needed in FP8 in both layouts. 1 byte per FP8 element, 2 per bf16 one.
//
// Recipe `delayed` (TransformerEngine's DelayedScaling, the default of its fp8_autocast and of
// Megatron-LM's --fp8-recipe): the scale comes from the amax history of earlier steps, and the
// amax of this step is computed inside the cast kernel (no separate read). TE's fused
// cast-transpose reads the bf16 tensor once and writes both FP8 layouts:
//   op            tensor  read    written   when
//   x.cast_t      X       2 T K   2 T K     every forward pass (per micro batch; again in a recompute)
//   w.cast_t      W       2 K N   2 K N     every forward pass; once per step with weight_cache
//   dy.cast_t     dY      2 T N   2 T N     every backward pass (per micro batch)
//   per micro batch: 4 (T K + T N) bytes, plus 4 K N without the weight cache.
//
// Recipe `tensorwise` (torchao float8, dynamic tensor-wise scaling, as torchtitan uses it): the
// scale is computed from this tensor's amax, which needs a reduction over the whole tensor
// before the cast can start: an amax kernel (read) then a cast kernel (read, write). The
// transposed copies come from torch._scaled_mm's layout rule (torchao copies an FP8 operand in
// the wrong layout, 1 byte read and written per element). Each op below is one kernel, as
// torch.compile makes them (eager PyTorch splits amax into abs + max and the cast into several
// fp32 pointwise kernels, more bytes than this):
//   op            tensor  read    written   when
//   x.amax        X       2 T K   0         every forward pass
//   x.cast        X       2 T K   T K       every forward pass
//   w.amax        W       2 K N   0         every forward pass; once per step with weight_cache
//   w.cast        W       2 K N   K N       every forward pass; once per step with weight_cache
//   dy.amax       dY      2 T N   0         every backward pass
//   dy.cast       dY      2 T N   T N       every backward pass
//   w.t           W_fp8   K N     K N       every backward pass (dgrad); once per step with weight_cache
//   dy.t          dY_fp8  T N     T N       every backward pass (wgrad)
//   x.t           X_fp8   T K     T K       every backward pass (wgrad)
//   per micro batch: 7 (T K + T N) bytes, plus 7 K N without the weight cache.
//
// Worked example, T = K = N = 4096 (T K = 16,777,216 elements per tensor), per micro batch
// without the weight cache: delayed 4 x 3 x 16,777,216 = 201,326,592 B; tensorwise 7 x 3 x
// 16,777,216 = 352,321,536 B. At 3.35 TB/s (H100 SXM) that is 60 us and 105 us, against the
// three 4096³ GEMMs' 3 x 137 GFLOP / 1979 TFLOP/s = 208 us at FP8's dense peak: the casts add about
// 30% and 50% of the GEMM time at this shape, which is why FP8 is not a pure GEMM-rate gain.
//
// `batch` > 1 (MoE experts) repeats every op's bytes `batch` times (one X, W, dY per expert).
//
// Not modelled: the amax history and scale updates (a few bytes per tensor), the amax all-reduce
// over the data- and tensor-parallel groups (4 bytes per tensor), the FP8 copies' memory, casts
// fused into the preceding norm or activation (TE's LayerNormLinear / LayerNormMLP, which
// llm-foundry's `te` fc_type does not use), and FP8 all-gathers (TE under sequence parallelism,
// torchao's enable_fsdp_float8_all_gather). Row-wise scaling (torchao's `rowwise`) is refused by
// the reader: its GEMM kernels are slower than tensor-wise ones by an amount nobody has
// measured for racksim, and its casts alone would predict a tensor-wise-like step.
//
// Accuracy: bytes are exact for the kernels named; their time is the memory-op model's
// (launch + bytes / (HBM bandwidth x efficiency)), not measured for these kernels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace racksim {

enum class Fp8Scaling { Delayed, Tensorwise };

struct Fp8Recipe {
  Fp8Scaling scaling = Fp8Scaling::Delayed;
  bool weight_cache = true;  // the FP8 weights (and their transpose) computed once per step
};

// When an op runs: in every forward pass of a layer (recompute passes included), in every
// backward pass, or once per step (in the layer's first forward pass of the step).
enum class Fp8Phase { Forward, Backward, PerStep };

struct Fp8CastOp {
  std::string name;  // "x.cast_t", "w.amax", ...
  Fp8Phase phase = Fp8Phase::Forward;
  double read = 0.0;     // bytes
  double written = 0.0;  // bytes
  [[nodiscard]] double bytes() const { return read + written; }
};

// The ops one FP8 linear layer adds under `recipe` (table above): its forward GEMM is M = t, N =
// n, K = k, `batch` independent products of that shape. Every op has read + written > 0.
[[nodiscard]] std::vector<Fp8CastOp> fp8_linear_ops(const Fp8Recipe& recipe, std::int64_t t, std::int64_t k,
                                                    std::int64_t n, std::int64_t batch = 1);

// How many of fp8_linear_ops' ops run in `phase` (independent of the shape).
[[nodiscard]] int fp8_op_count(const Fp8Recipe& recipe, Fp8Phase phase);

[[nodiscard]] const char* to_string(Fp8Scaling s);

}  // namespace racksim
