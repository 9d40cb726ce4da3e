#include "models/attention.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace racksim {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Elements computed when blocks of `outer` rows (or columns) each visit the tiles of `inner` on
// their side of the diagonal: the causal sum of the header, for either walk direction (the
// forward walks query blocks across key tiles, the backward key blocks down query tiles; both
// are the same count by symmetry of the lower triangle).
// With a sliding window w, the block's rows need keys from start - w + 1 on: the tiles before
// the one holding that key are skipped (rounded down to whole tiles of `inner`).
double causal_elements(std::int64_t s, std::int64_t outer, std::int64_t inner, std::int64_t window) {
  double e = 0.0;
  for (std::int64_t start = 0; start < s; start += outer) {
    const std::int64_t rows = std::min(outer, s - start);
    // The block's far edge on the diagonal, rounded up to whole tiles of `inner` (within s).
    const std::int64_t reach = std::min(ceil_div(start + rows, inner) * inner, ceil_div(s, inner) * inner);
    const std::int64_t low = window > 0 ? (std::max<std::int64_t>(0, start - window + 1) / inner) * inner : 0;
    e += static_cast<double>(rows) * static_cast<double>(reach - low);
  }
  return e;
}

}  // namespace

double flash_score_elements(const AttentionShape& s, const FlashTiles& t) {
  const std::int64_t outer = s.backward ? t.bwd_cols : t.fwd_rows;
  const std::int64_t inner = s.backward ? t.bwd_rows : t.fwd_cols;
  if (!s.causal) return static_cast<double>(s.seq) * static_cast<double>(ceil_div(s.seq, inner) * inner);
  return causal_elements(s.seq, outer, inner, s.window);
}

FlashAttentionCost flash_attention_cost(const GpuSpec& gpu, const AttentionShape& s, FlopRate peak, double eta,
                                        double f_ratio, const FlashTiles& t) {
  if (!(eta > 0.0)) throw Error("the attention matmul efficiency must be greater than zero");
  FlashAttentionCost c;
  const double bh = static_cast<double>(s.batch) * static_cast<double>(s.heads);
  const double n = static_cast<double>(s.seq);
  c.score_elements = flash_score_elements(s, t);
  c.useful_elements = s.causal ? causal_useful_elements(s.seq, s.window) : n * n;
  const double products = s.backward ? 5.0 : 2.0;
  c.matmul_flops = Flops(2.0 * products * bh * static_cast<double>(s.head_dim) * c.score_elements);
  c.exp_count = bh * c.score_elements;
  c.thread_blocks = s.batch * s.heads * ceil_div(s.seq, s.backward ? t.bwd_cols : t.fwd_rows);
  double exp_rate = 0.0;
  if (gpu.compute_units && *gpu.compute_units > 0) {
    const std::int64_t units = *gpu.compute_units;
    const std::int64_t waves = ceil_div(c.thread_blocks, units);
    c.wave_fill = static_cast<double>(c.thread_blocks) / static_cast<double>(waves * units);
    exp_rate = kExpPerUnitPerClock * static_cast<double>(units) * gpu.clock_max.value() * f_ratio;
  }
  c.matmul_time = c.matmul_flops / (peak * (eta * c.wave_fill));
  c.exp_time = Seconds(exp_rate > 0.0 ? c.exp_count / exp_rate : 0.0);
  return c;
}

double flash_matmul_efficiency(const GpuSpec& gpu, const AttentionShape& s, FlopRate peak, double measured_flops_per_s,
                               const FlashTiles& t) {
  const KernelWork w = attention_work(s, Precision::bf16);
  const double measured_time = w.flops.value() / measured_flops_per_s;
  // At eta = 1 the matmul time is F_mm / (P u); the exp time does not depend on eta.
  const FlashAttentionCost at_one = flash_attention_cost(gpu, s, peak, 1.0, 1.0, t);
  const double matmul_time = measured_time - at_one.exp_time.value();
  if (!(matmul_time > 0.0))
    throw Error(fmt::format("{} measured at {:.4g} TFLOP/s is faster than its exponentials alone ({:.4g} s)",
                            w.description, measured_flops_per_s / 1e12, at_one.exp_time.value()));
  return at_one.matmul_time.value() / matmul_time;
}

}  // namespace racksim
