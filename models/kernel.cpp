#include "models/kernel.hpp"

#include "core/error.hpp"
#include "models/attention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace racksim {

std::string to_string(KernelClass c) {
  switch (c) {
    case KernelClass::Gemm: return "gemm";
    case KernelClass::Stream: return "stream";
    case KernelClass::Attention: return "attention";
    case KernelClass::Reduction: return "reduction";
    case KernelClass::Copy: return "copy";
  }
  return "?";
}

std::string to_string(StreamOp op) {
  switch (op) {
    case StreamOp::Copy: return "copy";
    case StreamOp::Mul: return "mul";
    case StreamOp::Add: return "add";
    case StreamOp::Triad: return "triad";
    case StreamOp::Dot: return "dot";
  }
  return "?";
}

std::optional<StreamOp> stream_op_from_string(const std::string& s) {
  if (s == "copy") return StreamOp::Copy;
  if (s == "scale" || s == "mul") return StreamOp::Mul;
  if (s == "add") return StreamOp::Add;
  if (s == "triad") return StreamOp::Triad;
  if (s == "dot") return StreamOp::Dot;
  return std::nullopt;
}

double bytes_per_element(Precision p) {
  switch (p) {
    case Precision::fp64:
    case Precision::fp64_matrix: return 8.0;
    case Precision::fp32:
    case Precision::tf32: return 4.0;
    case Precision::bf16:
    case Precision::fp16: return 2.0;
    case Precision::fp8: return 1.0;
    case Precision::fp6: return 0.75;
    case Precision::fp4: return 0.5;
  }
  return 2.0;
}

namespace {
double out_bytes_per_element(Precision p) {
  if (p == Precision::fp8 || p == Precision::fp6 || p == Precision::fp4) return 2.0;  // BF16 output
  if (p == Precision::tf32) return 4.0;
  return bytes_per_element(p);
}
}  // namespace

KernelWork gemm_work(const GemmShape& s, Precision dtype) {
  if (s.m <= 0 || s.n <= 0 || s.k <= 0 || s.batch <= 0)
    throw Error(fmt::format("GEMM dimensions must be positive, got M={} N={} K={} batch={}", s.m, s.n, s.k, s.batch));
  KernelWork w;
  w.cls = KernelClass::Gemm;
  w.dtype = dtype;
  const double m = static_cast<double>(s.m), n = static_cast<double>(s.n), k = static_cast<double>(s.k),
               b = static_cast<double>(s.batch);
  w.flops = Flops(2.0 * m * n * k * b);
  const double in = bytes_per_element(dtype);
  w.bytes = Bytes(b * (m * k * in + k * n * in + m * n * out_bytes_per_element(dtype)));
  w.size_key = w.flops.value();
  w.gemm = s;
  w.description = s.batch > 1 ? fmt::format("GEMM {}x{}x{} batch {} {}", s.m, s.n, s.k, s.batch, to_string(dtype))
                              : fmt::format("GEMM {}x{}x{} {}", s.m, s.n, s.k, to_string(dtype));
  return w;
}

std::string gemm_shape_text(const GemmShape& s) {
  return s.batch > 1 ? fmt::format("{}x{}x{}x{}", s.m, s.n, s.k, s.batch) : fmt::format("{}x{}x{}", s.m, s.n, s.k);
}

GemmTile gemm_tile(const GpuSpec& gpu, Precision p) {
  // Sources and reasoning: the header comment ("Tile sizes").
  if (gpu.vendor == "AMD") {
    if (p == Precision::fp8) return GemmTile{256, 192, "hipBLASLt MI300X FP8 tile (ROCm blog S40)"};
    if (p == Precision::bf16 || p == Precision::fp16) return GemmTile{256, 256, "hipBLASLt MI300X BF16/FP16 tile (ROCm blog S40)"};
    return GemmTile{256, 256, fmt::format("assumption: the hipBLASLt BF16 tile for {}", to_string(p))};
  }
  if (gpu.vendor == "NVIDIA") {
    if (p == Precision::fp8 || p == Precision::bf16 || p == Precision::fp16)
      return GemmTile{128, 128, "CUTLASS/cuBLASLt Hopper tile (vLLM SM90 CUTLASS config, CUTLASS profiler default)"};
    return GemmTile{128, 128, fmt::format("assumption: the Hopper BF16/FP8 tile for {}", to_string(p))};
  }
  return GemmTile{128, 128, fmt::format("assumption: a 128x128 tile (no library data for vendor '{}')", gpu.vendor)};
}

std::optional<GemmWaves> gemm_waves(const GpuSpec& gpu, const GemmShape& s, Precision p) {
  if (!gpu.compute_units || *gpu.compute_units <= 0) return std::nullopt;
  if (s.m <= 0 || s.n <= 0 || s.k <= 0 || s.batch <= 0)
    throw Error(fmt::format("GEMM dimensions must be positive, got M={} N={} K={} batch={}", s.m, s.n, s.k, s.batch));
  GemmWaves w;
  w.tile = gemm_tile(gpu, p);
  w.compute_units = *gpu.compute_units;
  // Counted in double: M and N may each reach 2^40, whose tile product overflows 64 bits.
  const double m = static_cast<double>(s.m), n = static_cast<double>(s.n), b = static_cast<double>(s.batch);
  const double tm = static_cast<double>(w.tile.m), tn = static_cast<double>(w.tile.n), cus = w.compute_units;
  w.tiles = std::ceil(m / tm) * std::ceil(n / tn) * b;
  w.waves = std::ceil(w.tiles / cus);
  w.useful_fraction = (m * n * b) / (w.waves * cus * tm * tn);
  return w;
}

KernelWork stream_work(StreamOp op, Bytes array_bytes, Precision dtype) {
  if (!(array_bytes.value() > 0.0)) throw Error("a stream kernel needs arrays of more than 0 bytes");
  KernelWork w;
  w.cls = KernelClass::Stream;
  w.dtype = dtype;
  w.stream_op = op;
  const double elems = array_bytes.value() / bytes_per_element(dtype);
  double arrays = 2.0;
  double flops_per_elem = 0.0;
  switch (op) {
    case StreamOp::Copy: arrays = 2.0; flops_per_elem = 0.0; break;
    case StreamOp::Mul: arrays = 2.0; flops_per_elem = 1.0; break;
    case StreamOp::Add: arrays = 3.0; flops_per_elem = 1.0; break;
    case StreamOp::Triad: arrays = 3.0; flops_per_elem = 2.0; break;
    case StreamOp::Dot: arrays = 2.0; flops_per_elem = 2.0; break;
  }
  w.bytes = array_bytes * arrays;
  w.flops = Flops(elems * flops_per_elem);
  w.size_key = w.bytes.value();
  w.description = fmt::format("stream {} {} arrays of {}", to_string(op), to_string(dtype), format_bytes(array_bytes));
  return w;
}

double causal_useful_elements(std::int64_t seq, std::int64_t window) {
  const double n = static_cast<double>(seq);
  if (window <= 0 || window >= seq) return 0.5 * n * n;
  const double w = static_cast<double>(window);
  return n * w - 0.5 * w * w;
}

KernelWork attention_work(const AttentionShape& s, Precision dtype) {
  if (s.batch <= 0 || s.heads <= 0 || s.seq <= 0 || s.head_dim <= 0)
    throw Error(fmt::format("attention dimensions must be positive, got batch={} heads={} seq={} head_dim={}", s.batch,
                            s.heads, s.seq, s.head_dim));
  KernelWork w;
  w.cls = KernelClass::Attention;
  w.dtype = dtype;
  if (s.kv_heads < 0 || s.kv_heads > s.heads || (s.kv_heads > 0 && s.heads % s.kv_heads != 0))
    throw Error(fmt::format("attention kv_heads must divide heads ({}), got {}", s.heads, s.kv_heads));
  const double b = static_cast<double>(s.batch), h = static_cast<double>(s.heads), n = static_cast<double>(s.seq),
               d = static_cast<double>(s.head_dim), g = static_cast<double>(s.kv_heads > 0 ? s.kv_heads : s.heads);
  if (s.window < 0 || (s.window > 0 && !s.causal))
    throw Error(fmt::format("an attention sliding window must be positive and causal, got window={}{}", s.window,
                            s.causal ? "" : " (not causal)"));
  const double matmuls = s.backward ? 5.0 : 2.0;  // s x s x d products, 2 FLOPs per multiply-add
  const double elements = s.causal ? causal_useful_elements(s.seq, s.window) : n * n;
  w.flops = Flops(2.0 * matmuls * b * h * elements * d);
  w.bytes = Bytes((s.backward ? 2.0 : 1.0) * b * n * d * (2.0 * h + 2.0 * g) * bytes_per_element(dtype));
  w.size_key = n;
  w.description = fmt::format("attention{} b={} h={}{} s={} d={}{}{} {}", s.backward ? " backward" : "", s.batch, s.heads,
                              s.kv_heads > 0 && s.kv_heads != s.heads ? fmt::format(" kv={}", s.kv_heads) : "", s.seq,
                              s.head_dim, s.causal ? " causal" : "",
                              s.window > 0 && s.window < s.seq ? fmt::format(" window={}", s.window) : "", to_string(dtype));
  w.attention = s;
  return w;
}

KernelWork reduction_work(Bytes bytes, Precision dtype) {
  if (!(bytes.value() >= 0.0)) throw Error("a reduction's bytes must not be negative");
  KernelWork w;
  w.cls = KernelClass::Reduction;
  w.dtype = dtype;
  w.bytes = bytes * 3.0;
  w.flops = Flops(bytes.value() / bytes_per_element(dtype));
  w.size_key = w.bytes.value();
  w.stream_op = StreamOp::Add;
  w.description = fmt::format("reduction of {} {}", format_bytes(bytes), to_string(dtype));
  return w;
}

KernelWork copy_work(Bytes bytes) {
  if (!(bytes.value() >= 0.0)) throw Error("a copy's bytes must not be negative");
  KernelWork w;
  w.cls = KernelClass::Copy;
  w.dtype = Precision::fp32;
  w.bytes = bytes * 2.0;
  w.size_key = w.bytes.value();
  w.stream_op = StreamOp::Copy;
  w.description = fmt::format("copy of {}", format_bytes(bytes));
  return w;
}

KernelWork generic_work(Flops flops, Precision dtype, Bytes bytes) {
  KernelWork w;
  w.cls = flops.value() > 0.0 ? KernelClass::Gemm : KernelClass::Stream;
  w.dtype = dtype;
  w.flops = flops;
  w.bytes = bytes;
  w.size_key = w.cls == KernelClass::Gemm ? flops.value() : bytes.value();
  w.stream_op = StreamOp::Triad;
  w.description = fmt::format("compute {} FLOP {}, {} HBM", flops.value(), to_string(dtype), format_bytes(bytes));
  return w;
}

CalibrationTable::CalibrationTable(std::vector<CalibrationPoint> points) : points_(std::move(points)) {
  std::sort(points_.begin(), points_.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
}

namespace {
// Piecewise linear in log10(key) between the points' values, flat beyond the ends.
template <class Value>
double interpolate(const std::vector<CalibrationPoint>& points, double key, std::vector<std::string>* used, Value value) {
  if (points.empty()) return 1.0;
  auto note = [&](const CalibrationPoint& p) {
    if (used) used->push_back(p.case_id);
  };
  if (key <= points.front().key) {
    note(points.front());
    return value(points.front());
  }
  if (key >= points.back().key) {
    note(points.back());
    return value(points.back());
  }
  const auto hi = std::upper_bound(points.begin(), points.end(), key, [](double k, const auto& p) { return k < p.key; });
  const auto lo = hi - 1;
  note(*lo);
  note(*hi);
  const double t = (std::log10(key) - std::log10(lo->key)) / (std::log10(hi->key) - std::log10(lo->key));
  return value(*lo) + t * (value(*hi) - value(*lo));
}
}  // namespace

double CalibrationTable::at(double key, std::vector<std::string>* used) const {
  return interpolate(points_, key, used, [](const CalibrationPoint& p) { return p.efficiency; });
}

double CalibrationTable::full_waves_at(double key, std::vector<std::string>* used) const {
  return interpolate(points_, key, used, [](const CalibrationPoint& p) {
    return p.useful_fraction > 0.0 ? p.efficiency / p.useful_fraction : p.efficiency;
  });
}

const CalibrationTable* GpuCalibration::table(KernelClass c, Precision p, Precision* used) const {
  auto find = [&](Precision q) -> const CalibrationTable* {
    const auto it = compute.find({c, q});
    if (it == compute.end()) return nullptr;
    if (used) *used = q;
    return &it->second;
  };
  if (const auto* t = find(p)) return t;
  // BF16 and FP16 run on the same matrix units at the same rate; TF32 is FP32 data.
  if (p == Precision::bf16 || p == Precision::fp16) {
    if (const auto* t = find(p == Precision::bf16 ? Precision::fp16 : Precision::bf16)) return t;
  }
  if (p == Precision::tf32) {
    if (const auto* t = find(Precision::fp32)) return t;
  }
  // Otherwise the nearest precision of the same class that has a table: efficiency is a
  // fraction of each precision's own peak, which transfers better than assuming 1.
  const auto& all = all_precisions();
  const auto pos = std::find(all.begin(), all.end(), p) - all.begin();
  for (std::ptrdiff_t d = 1; d < static_cast<std::ptrdiff_t>(all.size()); ++d) {
    for (const std::ptrdiff_t i : {pos + d, pos - d}) {
      if (i < 0 || i >= static_cast<std::ptrdiff_t>(all.size())) continue;
      if (const auto* t = find(all[static_cast<std::size_t>(i)])) return t;
    }
  }
  return nullptr;
}

std::optional<double> GpuCalibration::memory_efficiency(StreamOp op) const {
  // HBM efficiency is a property of the GPU more than of the operation: an operation without
  // its own measurement takes triad's, else the mean of those measured.
  if (const auto it = stream.find(op); it != stream.end()) return it->second.efficiency;
  if (const auto it = stream.find(StreamOp::Triad); it != stream.end()) return it->second.efficiency;
  if (stream.empty()) return std::nullopt;
  double sum = 0.0;
  for (const auto& kv : stream) sum += kv.second.efficiency;
  return sum / static_cast<double>(stream.size());
}

namespace {
// The compute side of a flash-attention kernel (models/attention.hpp): the tiled FlashAttention-2
// cost at the table's matmul efficiency, times the backward ratio for a backward kernel.
void apply_flash_attention_model(const GpuSpec& gpu, const GpuCalibration* cal, const AttentionShape& s, double f_ratio,
                                 KernelEstimate& e) {
  double eta = e.eta_compute;
  if (s.backward) {
    if (cal && cal->attention_backward) {
      eta *= cal->attention_backward->ratio;
      e.points_used.push_back("attention backward ratio (" + cal->attention_backward->cases + ")");
    } else {
      e.notes.push_back("no attention backward calibration: the backward runs at the forward's matmul efficiency");
    }
  }
  e.eta_compute = eta;
  const FlashAttentionCost c = flash_attention_cost(gpu, s, e.peak, eta, f_ratio);
  e.compute_time = c.time();
  if (!gpu.compute_units)
    e.notes.push_back(fmt::format("{} has no compute-unit count: no wave fill or exponential term", gpu.id));
}
}  // namespace

KernelEstimate estimate_kernel(const GpuSpec& gpu, const GpuCalibration* cal, const KernelWork& w, const ClockState& clock) {
  KernelEstimate e;
  e.work = w;
  e.launch_overhead = gpu.launch_overhead;
  if (clock.core && *clock.core > gpu.clock_max)
    throw Error(fmt::format("core clock {:.0f} MHz is above {}'s maximum {:.0f} MHz", clock.core->value() / 1e6, gpu.id,
                            gpu.clock_max.value() / 1e6));
  const double f_ratio = clock.core ? clock.core->value() / gpu.clock_max.value() : 1.0;
  if (!(f_ratio > 0.0)) throw Error("the core clock must be greater than zero");
  if (!(clock.hbm_ratio > 0.0)) throw Error("the HBM clock ratio must be greater than zero");
  // Compute side.
  const auto rate = gpu.peak(w.dtype);
  if (w.flops.value() > 0.0) {
    if (!rate) {
      if (w.cls == KernelClass::Gemm || w.cls == KernelClass::Attention)
        throw Error(fmt::format("GPU '{}' has no {} rate in the catalog (unsupported precision)", gpu.id, to_string(w.dtype)));
      e.notes.push_back(fmt::format("no {} rate on {}: the compute side of this memory-bound kernel is ignored",
                                    to_string(w.dtype), gpu.id));
    } else {
      e.peak = *rate * f_ratio;
      if (w.cls == KernelClass::Gemm || w.cls == KernelClass::Attention) {
        Precision used = w.dtype;
        const CalibrationTable* t = cal ? cal->table(w.cls, w.dtype, &used) : nullptr;
        if (t) {
          const double key = w.cls == KernelClass::Gemm ? w.size_key / cal->key_scale : w.size_key;
          // A GEMM of known shape: the table's full-wave efficiency times this shape's useful
          // fraction q (header comment); a GEMM known only by its FLOPs reads the measured
          // efficiencies as they are (quantized like the benchmarks were).
          std::optional<GemmWaves> waves;
          if (w.cls == KernelClass::Gemm && w.gemm) {
            waves = gemm_waves(gpu, *w.gemm, w.dtype);
            if (!waves)
              e.notes.push_back(fmt::format("no compute_units for {} in the catalog: GEMM tile and wave quantization not modelled",
                                            gpu.id));
          }
          if (waves) {
            if (const auto pv = gpu.provenance.find("compute_units");
                pv != gpu.provenance.end() && pv->second.kind == "estimate")
              e.notes.push_back(fmt::format("{} compute units is an estimate: {}", waves->compute_units, pv->second.note));
            e.eta_compute = std::min(1.0, t->full_waves_at(key, &e.points_used) * waves->useful_fraction);
            e.gemm_waves = std::move(waves);
          } else {
            e.eta_compute = t->at(key, &e.points_used);
          }
          if (used != w.dtype)
            e.notes.push_back(fmt::format("{} {} uses the {} table", to_string(w.cls), to_string(w.dtype), to_string(used)));
        } else {
          e.notes.push_back(fmt::format("no {} {} calibration for {}: compute efficiency 1 (plain roofline)",
                                        to_string(w.cls), to_string(w.dtype), gpu.id));
        }
      }
      e.compute_time = w.flops / (e.peak * e.eta_compute);
    }
  }
  // Memory side: the STREAM operation's own efficiency, or triad's for every other kernel.
  if (w.bytes.value() > 0.0) {
    std::optional<double> eta;
    if (cal) {
      const StreamOp op = w.cls == KernelClass::Stream ? w.stream_op : StreamOp::Triad;
      eta = cal->memory_efficiency(op);
      if (const auto it = cal->stream.find(op); it != cal->stream.end()) {
        e.points_used.push_back(it->second.case_id);
      } else if (eta) {
        e.notes.push_back(fmt::format("no {} measurement: memory efficiency from the other STREAM cases", to_string(op)));
        if (const auto tr = cal->stream.find(StreamOp::Triad); tr != cal->stream.end()) e.points_used.push_back(tr->second.case_id);
      }
    }
    if (!eta) e.notes.push_back(fmt::format("no stream calibration for {}: memory efficiency 1", gpu.id));
    e.eta_memory = eta.value_or(1.0);
    e.memory_time = w.bytes / (gpu.hbm_bandwidth * (e.eta_memory * clock.hbm_ratio));
  }
  if (w.cls == KernelClass::Attention && w.attention && e.peak.value() > 0.0)
    apply_flash_attention_model(gpu, cal, *w.attention, f_ratio, e);
  e.compute_bound = e.compute_time >= e.memory_time;
  e.time = std::max(e.compute_time, e.memory_time);
  if (cal && !cal->scaled_from.empty())
    e.notes.push_back(fmt::format("efficiencies borrowed from {} (same family), GEMM sizes scaled by peak ratio {:.3g}",
                                  cal->scaled_from, cal->key_scale));
  return e;
}

}  // namespace racksim
