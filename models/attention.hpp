// racksim models: the fused (FlashAttention-2) attention kernel's compute time.
//
// What it models: the compute side of one flash-attention kernel, forward or backward, from how
// FlashAttention-2 (Dao 2023, arXiv 2307.08691) tiles the s x s score matrix, instead of one
// efficiency for every shape. models/kernel.cpp's estimate_kernel calls it for every attention
// kernel whose shape is known; the memory side (Q, K, V, O and gradients through HBM) stays the
// kernel model's roofline term, and the kernel's time is the larger of the two.
//
// Equations (batch b, heads h, sequence s, head dim d; tiles of Br query rows x Bc key columns):
//   computed score elements E: every tile the kernel visits is computed whole.
//     non-causal: E = s_r * s_c (s rounded up to the tiles: s_r = ceil(s/Br) Br, s_c likewise);
//     causal: the query block of rows [i Br, (i+1) Br) visits key tiles up to its last row, so
//     E = sum over blocks of rows x ceil((i+1) Br / Bc) Bc. For s a multiple of both tiles and
//     Br a multiple of Bc: E = Br^2 nb (nb+1) / 2 = s^2/2 + s Br/2 (nb = s/Br); the useful work
//     is s^2/2, so the diagonal blocks cost a factor 1 + Br/s (1.25 at s = 512, 1.016 at 8192).
//     The backward walks key blocks (Bc_bwd wide) down from the diagonal in row tiles of Br_bwd:
//     E = s^2/2 + s Bc_bwd/2 by the same sum.
//     sliding window w (causal): the query block at row r0 also skips the key tiles wholly before
//     r0 - w + 1 (rounded down to a tile), so E = sum of rows x (reach - floor((r0 - w + 1)/Bc) Bc);
//     the useful work is s w - w^2/2. Worked: s = 1024, w = 256, Br = 128, Bc = 64: block i
//     (r0 = 128 i) reaches 128 (i + 1) and starts at the tile holding key r0 - 255 (r0 - 255
//     rounded down to 64; 0 while that is below 64), so it visits 128, 256, then 384 keys:
//     E = 128 (128 + 256 + 6 x 384) = 344,064 against 229,376 useful (x 1.5: a narrow window
//     wastes much of each tile). The backward uses the same count (the band is symmetric), with
//     its own tiles.
//   matmul FLOPs executed: F_mm = 2 m b h d E, m = 2 products forward (S = Q K^T, O = P V) and
//     5 backward (S recomputed, dV = P^T dO, dP = dO V^T, dQ = dS K, dK = dS^T Q).
//   thread blocks: n = b h ceil(s / B) with B = Br forward (one block per query tile) and Bc_bwd
//     backward (one block per key tile); with N compute units holding one block each, the kernel
//     runs ceil(n/N) waves and the wave fill is u = n / (ceil(n/N) N) (small b h s underfill).
//   exponentials: one exp per computed score element forward, and one again backward (P is
//     recomputed from S and the saved log-sum-exp): n_exp = b h E.
//   FlashAttention-2 does not overlap the exponentials with the matrix units (FlashAttention-3,
//     Shah et al. 2024, arXiv 2407.08608, section 3: its ping-pong scheduling exists to do that),
//   so  t = F_mm / (eta P f/f_max u) + n_exp / R_exp,  R_exp = 16 N f
//     (16 special-function results per SM per clock on Hopper and Ampere; at H100 SXM's 132 SMs
//     and 1830 MHz that is the 3.9 TFLOP/s FlashAttention-3 quotes against 989 TFLOP/s of BF16
//     matmul; at the catalog's 1980 MHz clock_max it is 4.18 TFLOP/s). eta is the forward
//     kernel's matmul efficiency (the calibration table, keyed by sequence length); backward runs
//     at r eta, r the calibration's attention backward ratio (1 when none is fitted).
//   The exponentials give the head dimension its effect: they cost a fixed time per score
//   element while the matmuls cost 2 m d FLOPs per element, so a small d is exp-bound.
// Tiles: FlashAttention-2's head-dim-128 kernels for A100/H100 (Dao-AILab/flash-attention,
//   csrc/flash_attn/src/flash_fwd_launch_template.h run_mha_fwd_hdim128:
//   Flash_fwd_kernel_traits<128, 128, 64, 4, ...> = Br 128, Bc 64, 4 warps; and
//   flash_bwd_launch_template.h run_mha_bwd_hdim128: Flash_bwd_kernel_traits<128, 64, 128, 8, ...>
//   = Br_bwd 64, Bc_bwd 128, 8 warps, grid ceil(s/128) x b x h). Other head dimensions use other
//   tiles in that code; the model keeps these (so the tile terms are exact for d = 128 only).
// Worked example (H100: P = 989.4 TFLOP/s, N = 132, f = 1980 MHz; eta = 0.40, r = 0.5):
//   forward, b = 1, h = 16, s = 8192, d = 128, causal: nb = 64, E = 128^2 64 65 / 2 = 34,078,720
//   (s^2/2 = 33,554,432; x 1.0156); F_mm = 4 16 128 E = 2.7917e11; n = 16 64 = 1024 blocks, 8
//   waves of 132: u = 1024/1056 = 0.9697; n_exp = 16 E = 5.4526e8, R_exp = 4.1817e12/s:
//   t = 2.7917e11 / (0.40 989.4e12 0.9697) + 5.4526e8 / 4.1817e12 = 0.7274 ms + 0.1304 ms
//   = 0.8578 ms. Backward: E the same (Bc_bwd = 128 = Br), F_mm = 2.5 x = 6.9793e11, n = 1024
//   blocks: t = 6.9793e11 / (0.20 989.4e12 0.9697) + 0.1304 ms = 3.6372 + 0.1304 = 3.768 ms.
// Where the numbers come from: eta from the Azure ND H100 v5 FlashAttention-2 benchmark point
//   (published-measurements.yaml, inverted through this model: calibration.cpp), r fitted on
//   whole training steps (tools/fit_attention_backward.py, docs/gpu-model.md "Attention").
// Accuracy: docs/gpu-model.md.
#pragma once

#include "models/gpu.hpp"
#include "models/kernel.hpp"

#include <cstdint>

namespace racksim {

// FlashAttention-2's tiles (head dim 128 on A100/H100; see the header).
struct FlashTiles {
  std::int64_t fwd_rows = 128, fwd_cols = 64;   // forward: Br x Bc, one thread block per Br rows
  std::int64_t bwd_rows = 64, bwd_cols = 128;   // backward: Br x Bc, one thread block per Bc columns
};

// Special-function (exp) results per compute unit per clock (Hopper/Ampere SM: 16).
inline constexpr double kExpPerUnitPerClock = 16.0;

// The pieces of one flash-attention kernel's compute time.
struct FlashAttentionCost {
  double score_elements = 0.0;   // E: score elements computed per (batch, head), diagonal tiles whole
  double useful_elements = 0.0;  // s^2/2 causal (s(s+1)/2 rounded to s^2/2), s^2 otherwise
  Flops matmul_flops;            // F_mm executed, all batches and heads
  double exp_count = 0.0;        // n_exp
  std::int64_t thread_blocks = 0;
  double wave_fill = 1.0;        // u
  Seconds matmul_time;           // F_mm / (eta P u)
  Seconds exp_time;              // n_exp / R_exp (0 without a compute-unit count)
  [[nodiscard]] Seconds time() const { return matmul_time + exp_time; }
};

// Score elements the kernel computes per (batch, head): the tiled sum of the header.
[[nodiscard]] double flash_score_elements(const AttentionShape& s, const FlashTiles& t = {});

// The cost at matmul efficiency `eta` (already including the backward ratio for a backward
// kernel) and peak `peak` (the GPU's rate for the kernel's precision at clock ratio f_ratio).
[[nodiscard]] FlashAttentionCost flash_attention_cost(const GpuSpec& gpu, const AttentionShape& s, FlopRate peak,
                                                      double eta, double f_ratio = 1.0, const FlashTiles& t = {});

// The matmul efficiency that makes the model reproduce a measured rate (useful FLOPs, as
// attention_work counts them, per second) for a shape; used to fit the calibration table.
// Throws Error when the exponentials alone take longer than the measured time.
[[nodiscard]] double flash_matmul_efficiency(const GpuSpec& gpu, const AttentionShape& s, FlopRate peak,
                                             double measured_flops_per_s, const FlashTiles& t = {});

}  // namespace racksim
