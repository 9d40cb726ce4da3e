// Unit tests for models/attention: FlashAttention-2's tiled cost (diagonal tiles, wave fill,
// exponentials, the backward ratio), on an H100-like GPU:
//   P(bf16) = 989.4 TFLOP/s, N = 132 compute units, f_max = 1980 MHz, BW = 3.35 TB/s;
//   exp rate R_exp = 16 * 132 * 1.98e9 = 4.18176e12 /s.
// Tiles (head dim 128): forward Br = 128 query rows x Bc = 64 key columns per step, one thread
// block per 128 rows; backward one block per 128 key columns, stepping 64 query rows.
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/attention.hpp"
#include "models/gpu.hpp"
#include "models/kernel.hpp"

#include <algorithm>
#include <string>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;
using test::near;

namespace {

GpuSpec h100_like() {
  GpuSpec g;
  g.id = "h100-like";
  g.peak_dense[Precision::bf16] = FlopRate(989.4e12);
  g.compute_units = 132;
  g.clock_max = Hertz(1.98e9);
  g.hbm_bandwidth = BytesPerSecond(3.35e12);
  return g;
}

constexpr double kExpRate = 16.0 * 132.0 * 1.98e9;  // 4.18176e12 /s

AttentionShape shape(std::int64_t b, std::int64_t h, std::int64_t s, std::int64_t d, bool causal, bool backward = false) {
  AttentionShape a{b, h, s, d, causal};
  a.backward = backward;
  return a;
}

}  // namespace

TEST_CASE("attention: a causal mask computes its diagonal tiles whole", "[attention][tiles]") {
  // s = 8192, forward: nb = 8192 / 128 = 64 query blocks; block i reaches key tile 2(i+1) of 64
  // columns: E = sum 128 * 128 (i+1) = 128^2 * 64 * 65 / 2 = 34,078,720 = s^2/2 (1 + 128/8192).
  CHECK(flash_score_elements(shape(1, 16, 8192, 128, true)) == near(34078720.0));
  CHECK(flash_score_elements(shape(1, 16, 8192, 128, true)) / (0.5 * 8192.0 * 8192.0) == near(1.015625));
  // s = 512: nb = 4, E = 128^2 * 4 * 5 / 2 = 163,840 = s^2/2 * 1.25 (the diagonal is a quarter extra).
  CHECK(flash_score_elements(shape(1, 16, 512, 128, true)) == near(163840.0));
  // Backward: 128-column key blocks walking 64-row query tiles down from the diagonal:
  // sum over j of 128 (s - 128 j) = s^2/2 + 64 s: the same 1 + 128/s.
  CHECK(flash_score_elements(shape(1, 16, 512, 128, true, true)) == near(163840.0));
  // Non-causal: every row meets every key tile, s rounded up to 64 columns: s = 1000 -> 1000 x 1024.
  CHECK(flash_score_elements(shape(1, 16, 1000, 128, false)) == near(1024000.0));
  CHECK(flash_score_elements(shape(1, 16, 8192, 128, false)) == near(8192.0 * 8192.0));
}

TEST_CASE("attention: a sliding window skips the key tiles before it", "[attention][tiles][window]") {
  // The worked example of models/attention.hpp: s = 1024, window 256, forward tiles 128 x 64.
  // Query block i (rows 128 i .. 128 i + 127) needs keys from 128 i - 255 on: blocks 0 and 1 start
  // at key 0 (reaching 128 and 256), block 2 too (key 1 is in the first tile: 384 keys), blocks
  // 3..7 at the tile holding key 128 i - 255, which starts at 128 (i - 2): 384 keys each.
  // E = 128 (128 + 256 + 6 x 384) = 344,064; useful s w - w^2/2 = 262,144 - 32,768 = 229,376.
  AttentionShape a = shape(1, 16, 1024, 128, true);
  a.window = 256;
  CHECK(flash_score_elements(a) == near(344064.0));
  CHECK(causal_useful_elements(1024, 256) == near(229376.0));
  // A window as long as the sequence is plain causal attention.
  AttentionShape full = a;
  full.window = 1024;
  CHECK(flash_score_elements(full) == near(flash_score_elements(shape(1, 16, 1024, 128, true))));
  CHECK(causal_useful_elements(1024, 1024) == near(0.5 * 1024 * 1024));
  CHECK(causal_useful_elements(1024, 0) == near(0.5 * 1024 * 1024));
  // The useful FLOPs (attention_work): 2 products x 2 FLOPs x b h d x the band's elements.
  CHECK(attention_work(a, Precision::bf16).flops.value() == near(4.0 * 16 * 128 * 229376.0));
  a.backward = true;
  CHECK(attention_work(a, Precision::bf16).flops.value() == near(10.0 * 16 * 128 * 229376.0));
  // A window on a non-causal attention is refused.
  AttentionShape bad = shape(1, 16, 1024, 128, false);
  bad.window = 256;
  CHECK_THROWS_WITH(attention_work(bad, Precision::bf16), Contains("must be positive and causal"));
}

TEST_CASE("attention: the worked example of models/attention.hpp, forward and backward", "[attention][cost]") {
  const GpuSpec g = h100_like();
  const FlopRate P = *g.peak(Precision::bf16);
  // Forward, b = 1, h = 16, s = 8192, d = 128, causal, eta = 0.40:
  //   E = 34,078,720; F_mm = 2 products * 2 * 16 * 128 * E = 2.79173e11;
  //   blocks = 16 * 64 = 1024, 8 waves of 132: u = 1024 / 1056 = 0.969697;
  //   n_exp = 16 E = 5.45260e8: 0.130390 ms; matmul 2.79173e11 / (0.40 * 989.4e12 * 0.969697) = 0.727454 ms.
  const FlashAttentionCost f = flash_attention_cost(g, shape(1, 16, 8192, 128, true), P, 0.40);
  CHECK(f.matmul_flops.value() == near(4.0 * 16 * 128 * 34078720.0));
  CHECK(f.thread_blocks == 1024);
  CHECK(f.wave_fill == near(1024.0 / 1056.0));
  CHECK(f.exp_count == near(16.0 * 34078720.0));
  CHECK(f.exp_time.value() == near(16.0 * 34078720.0 / kExpRate));
  CHECK(f.matmul_time.value() == near(279172874240.0 / (0.40 * 989.4e12 * (1024.0 / 1056.0))));
  CHECK(f.time().value() == Approx(0.857844e-3).epsilon(1e-5));
  // Backward at eta 0.20 (ratio 0.5): five products, F_mm = 2.5 x the forward's, the same E
  // (Bc_bwd = 128 = Br) and blocks (16 * 8192/128), the same exponentials (P recomputed):
  //   2.5 * 2.79173e11 / (0.20 * 989.4e12 * 0.969697) = 3.637268 ms + 0.130390 = 3.767658 ms.
  const FlashAttentionCost b = flash_attention_cost(g, shape(1, 16, 8192, 128, true, true), P, 0.20);
  CHECK(b.matmul_flops.value() == near(2.5 * 279172874240.0));
  CHECK(b.thread_blocks == 1024);
  CHECK(b.exp_time.value() == near(f.exp_time.value()));
  CHECK(b.time().value() == Approx(3.767658e-3).epsilon(1e-5));
}

TEST_CASE("attention: few heads and a short sequence underfill the GPU", "[attention][cost]") {
  const GpuSpec g = h100_like();
  const FlopRate P = *g.peak(Precision::bf16);
  // b = 1, h = 8, s = 1024 forward: 8 * 1024/128 = 64 blocks on 132 SMs: one wave, u = 64/132;
  // the matmuls take 132/64 = 2.06 x the full-GPU time.
  const FlashAttentionCost c = flash_attention_cost(g, shape(1, 8, 1024, 128, false), P, 0.5);
  CHECK(c.thread_blocks == 64);
  CHECK(c.wave_fill == near(64.0 / 132.0));
  CHECK(c.matmul_time.value() == near(4.0 * 8 * 128 * 1024.0 * 1024.0 / (0.5 * 989.4e12 * 64.0 / 132.0)));
  // 133 blocks: two waves, the second with one block: u = 133 / 264.
  const FlashAttentionCost t = flash_attention_cost(g, shape(133, 1, 128, 128, false), P, 0.5);
  CHECK(t.wave_fill == near(133.0 / 264.0));
}

TEST_CASE("attention: the exponentials make a small head dimension slower per FLOP", "[attention][cost]") {
  const GpuSpec g = h100_like();
  const FlopRate P = *g.peak(Precision::bf16);
  // Per score element the forward does 4 d matmul FLOPs and one exp. b = 4, h = 32, s = 4096
  // non-causal (4096 blocks: 32 waves of 132 hold 4224, u = 0.969697):
  //   d = 128: matmul 512 / (0.4 * 989.4e12 u) = 1.33396e-12 s, exp 1 / 4.18176e12 = 0.23913e-12 s
  //   per element: exp is 15.2% of the time; d = 64: matmul halves, exp 26.4%.
  const FlashAttentionCost a = flash_attention_cost(g, shape(4, 32, 4096, 128, false), P, 0.4);
  const FlashAttentionCost b = flash_attention_cost(g, shape(4, 32, 4096, 64, false), P, 0.4);
  const double per_elem_exp = 1.0 / kExpRate;
  const double mm128 = 512.0 / (0.4 * 989.4e12 * (4096.0 / 4224.0));
  CHECK(a.exp_time.value() / a.time().value() == near(per_elem_exp / (mm128 + per_elem_exp)));
  CHECK(b.exp_time.value() / b.time().value() == near(per_elem_exp / (0.5 * mm128 + per_elem_exp)));
  // Achieved useful FLOP/s: d = 64 reaches less of the peak than d = 128.
  CHECK(4.0 * 4 * 32 * 4096.0 * 4096.0 * 64 / b.time().value() < 4.0 * 4 * 32 * 4096.0 * 4096.0 * 128 / a.time().value());
}

TEST_CASE("attention: inverting a measured rate gives back the efficiency", "[attention][fit]") {
  const GpuSpec g = h100_like();
  const FlopRate P = *g.peak(Precision::bf16);
  const AttentionShape s = shape(2, 16, 8192, 128, false);
  // The Azure ND H100 v5 point, 327.9 TFLOP/s: eta = 0.4036 (test_calibration.cpp derives it).
  const double eta = flash_matmul_efficiency(g, s, P, 327.9e12);
  CHECK(eta == Approx(0.4036).margin(1e-4));
  // Round trip: the cost at that eta takes F / 327.9e12.
  const double F = attention_work(s, Precision::bf16).flops.value();
  CHECK(flash_attention_cost(g, s, P, eta).time().value() == near(F / 327.9e12));
  // A rate faster than the exponentials allow (F / t_exp = 2^40 / 0.5135 ms = 2141 TFLOP/s) throws.
  CHECK_THROWS_WITH(flash_matmul_efficiency(g, s, P, 2500e12), Contains("faster than its exponentials"));
}

TEST_CASE("attention: estimate_kernel runs the backward at the calibrated ratio", "[attention][estimate]") {
  const GpuSpec g = h100_like();
  GpuCalibration c;
  c.compute[{KernelClass::Attention, Precision::bf16}] = CalibrationTable({CalibrationPoint{8192, 0.40, "attn"}});
  c.stream[StreamOp::Triad] = CalibrationPoint{1e9, 0.9, "triad"};
  const KernelWork fwd = attention_work(shape(1, 16, 8192, 128, true), Precision::bf16);
  const KernelWork bwd = attention_work(shape(1, 16, 8192, 128, true, true), Precision::bf16);
  // No backward entry: the backward at the forward's 0.40, and a note says so:
  //   2.5 * 0.727454 ms + 0.130390 ms = 1.949025 ms.
  const KernelEstimate e1 = estimate_kernel(g, &c, bwd);
  CHECK(e1.eta_compute == near(0.40));
  CHECK(e1.time.value() == Approx(1.949025e-3).epsilon(1e-5));
  CHECK(std::any_of(e1.notes.begin(), e1.notes.end(),
                    [](const std::string& n) { return n.find("no attention backward calibration") != std::string::npos; }));
  // Ratio 0.5: eta 0.20, the worked example's 3.767658 ms; the forward is unchanged (0.857844 ms).
  c.attention_backward = AttentionBackwardFit{0.5, "cases", "today", "cmd"};
  const KernelEstimate e2 = estimate_kernel(g, &c, bwd);
  CHECK(e2.eta_compute == near(0.20));
  CHECK(e2.time.value() == Approx(3.767658e-3).epsilon(1e-5));
  CHECK(e2.compute_bound);
  CHECK(estimate_kernel(g, &c, fwd).time.value() == Approx(0.857844e-3).epsilon(1e-5));
  // Half the clock: matmuls and exponentials both take twice as long.
  ClockState half;
  half.core = Hertz(0.99e9);
  CHECK(estimate_kernel(g, &c, fwd, half).time.value() == Approx(2.0 * 0.857844e-3).epsilon(1e-5));
}
