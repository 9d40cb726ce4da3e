// Unit tests for models/kernel: the work (FLOPs and HBM bytes) of each kernel class, the
// calibrated roofline estimate, efficiency tables and their fallbacks.
//
// Everything runs on a hand-made GPU and calibration with round numbers, so every expected value
// is a short formula:
//   toy GPU: P(fp64) = 5, P(fp32) = 10, P(tf32) = 50, P(bf16) = P(fp16) = 100, P(fp8) = 200
//            TFLOP/s (no fp6, no fp4); BW = 2 TB/s; f_max = 2 GHz; launch overhead 5 us
//   toy calibration:
//     GEMM bf16 eta_c: 0.2 at 1e9 FLOP (gemm_small), 0.6 at 1e11 (gemm_mid), 0.8 at 1e13 (gemm_big)
//     attention bf16 eta_c: 0.3 at seq 1024 (attn_1k), 0.5 at seq 16384 (attn_16k)
//     stream eta_m: copy 0.8, triad 0.9, dot 0.95 (no mul, no add)
//   t = max( F / (eta_c P f/f_max) , B / (eta_m BW r_hbm) ); a kernel is compute-bound when its
//   arithmetic intensity F/B is above the ridge point P eta_c / (BW eta_m) FLOP/B.
// Non-stream kernels take triad's eta_m = 0.9, so BW eta_m = 1.8e12 B/s for them.
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/gpu.hpp"
#include "models/kernel.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using namespace racksim::literals;
using Catch::Matchers::Contains;

namespace {

GpuSpec toy_gpu() {
  GpuSpec g;
  g.id = "toy";
  g.name = "Toy GPU";
  g.vendor = "Test";
  g.peak_dense[Precision::fp64] = 5.0_TFLOPs;
  g.peak_dense[Precision::fp32] = 10.0_TFLOPs;
  g.peak_dense[Precision::tf32] = 50.0_TFLOPs;
  g.peak_dense[Precision::bf16] = 100.0_TFLOPs;
  g.peak_dense[Precision::fp16] = 100.0_TFLOPs;
  g.peak_dense[Precision::fp8] = 200.0_TFLOPs;
  g.clock_max = Hertz(2e9);
  g.hbm_bandwidth = 2_GBps * 1000.0;  // 2e12 B/s
  g.launch_overhead = 5_us;
  return g;
}

// The toy GPU with a tiny fp64 rate (50 GFLOP/s): vector kernels become compute-bound.
GpuSpec slow_fp64_gpu() {
  GpuSpec g = toy_gpu();
  g.peak_dense[Precision::fp64] = FlopRate(5e10);
  return g;
}

CalibrationPoint point(double key, double eta, const std::string& id) { return CalibrationPoint{key, eta, id}; }

GpuCalibration toy_calibration() {
  GpuCalibration c;
  c.gpu = "toy";
  c.source = "hand-made";
  // Given out of order on purpose: the table sorts its points by key.
  c.compute[{KernelClass::Gemm, Precision::bf16}] =
      CalibrationTable({point(1e13, 0.8, "gemm_big"), point(1e9, 0.2, "gemm_small"), point(1e11, 0.6, "gemm_mid")});
  c.compute[{KernelClass::Attention, Precision::bf16}] =
      CalibrationTable({point(1024, 0.3, "attn_1k"), point(16384, 0.5, "attn_16k")});
  c.stream[StreamOp::Copy] = point(2e9, 0.8, "stream_copy");
  c.stream[StreamOp::Triad] = point(3e9, 0.9, "stream_triad");
  c.stream[StreamOp::Dot] = point(2e9, 0.95, "stream_dot");
  return c;
}

using test::near;

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// True when one of the notes contains `text`.
bool noted(const KernelEstimate& e, const std::string& text) {
  return std::any_of(e.notes.begin(), e.notes.end(), [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

std::string all_notes(const KernelEstimate& e) {
  std::string s;
  for (const auto& n : e.notes) s += n + "\n";
  return s;
}

}  // namespace

// ---- work: FLOPs and bytes of each class ------------------------------------------------------

TEST_CASE("kernel: GEMM FLOPs and bytes follow from its shape", "[kernel][work]") {
  const KernelWork w = gemm_work(GemmShape{1000, 2000, 500}, Precision::bf16);
  CHECK(w.cls == KernelClass::Gemm);
  CHECK(w.flops.value() == near(2e9));  // F = 2 M N K = 2 * 1000 * 2000 * 500 = 2e9
  // B = (M K + K N + M N) * 2 B = (5e5 + 1e6 + 2e6) * 2 = 7e6
  CHECK(w.bytes.value() == near(7e6));
  CHECK(w.size_key == near(2e9));  // the GEMM table is keyed by FLOPs
  CHECK(w.description == "GEMM 1000x2000x500 bf16");
}

TEST_CASE("kernel: GEMM output bytes depend on the input precision", "[kernel][work]") {
  const GemmShape s{1000, 2000, 500};
  // Inputs M K + K N = 1.5e6 elements, output M N = 2e6 elements.
  // fp8 in (1 B), bf16 out (2 B): 1.5e6 + 4e6 = 5.5e6
  CHECK(gemm_work(s, Precision::fp8).bytes.value() == near(5.5e6));
  // fp4 in (0.5 B), bf16 out: 0.75e6 + 4e6 = 4.75e6
  CHECK(gemm_work(s, Precision::fp4).bytes.value() == near(4.75e6));
  // tf32 in and out (4 B): 3.5e6 * 4 = 14e6; fp32 the same
  CHECK(gemm_work(s, Precision::tf32).bytes.value() == near(14e6));
  CHECK(gemm_work(s, Precision::fp32).bytes.value() == near(14e6));
  // FLOPs do not depend on the precision: 2e9
  CHECK(gemm_work(s, Precision::fp8).flops.value() == near(2e9));
}

TEST_CASE("kernel: a batched GEMM multiplies FLOPs and bytes by the batch", "[kernel][work]") {
  const KernelWork w = gemm_work(GemmShape{1000, 2000, 500, 3}, Precision::bf16);
  CHECK(w.flops.value() == near(6e9));  // 3 * 2e9
  CHECK(w.bytes.value() == near(21e6));  // 3 * 7e6
  CHECK(w.description == "GEMM 1000x2000x500 batch 3 bf16");
}

TEST_CASE("kernel: stream FLOPs and bytes follow BabelStream", "[kernel][work]") {
  // Arrays of S = 1e9 B of fp64: 1.25e8 elements each.
  const Bytes s(1e9);
  struct Row {
    StreamOp op;
    double bytes;  // arrays moved * S
    double flops;  // FLOPs per element * 1.25e8
  };
  const Row rows[] = {
      {StreamOp::Copy, 2e9, 0.0},     // c = a: read 1, write 1; no FLOP
      {StreamOp::Mul, 2e9, 1.25e8},   // b = k c: read 1, write 1; 1 FLOP
      {StreamOp::Add, 3e9, 1.25e8},   // c = a + b: read 2, write 1; 1 FLOP
      {StreamOp::Triad, 3e9, 2.5e8},  // a = b + k c: read 2, write 1; 2 FLOP
      {StreamOp::Dot, 2e9, 2.5e8},    // sum a b: read 2; 2 FLOP
  };
  for (const Row& r : rows) {
    INFO(to_string(r.op));
    const KernelWork w = stream_work(r.op, s);
    CHECK(w.cls == KernelClass::Stream);
    CHECK(w.dtype == Precision::fp64);  // BabelStream's default
    CHECK(w.stream_op == r.op);
    CHECK(w.bytes.value() == near(r.bytes));
    CHECK(w.flops.value() == near(r.flops));
  }
  // fp32 arrays hold twice the elements: triad F = 2 * 1e9 / 4 = 5e8, B unchanged at 3e9
  const KernelWork f32 = stream_work(StreamOp::Triad, s, Precision::fp32);
  CHECK(f32.flops.value() == near(5e8));
  CHECK(f32.bytes.value() == near(3e9));
}

TEST_CASE("kernel: attention FLOPs and bytes and the causal half", "[kernel][work]") {
  const AttentionShape s{2, 16, 1024, 128, false};
  const KernelWork w = attention_work(s, Precision::bf16);
  CHECK(w.cls == KernelClass::Attention);
  // F = 4 b h s^2 d = 4 * 2 * 16 * 1024^2 * 128 = 2^2 * 2 * 2^4 * 2^20 * 2^7 = 2^34
  CHECK(w.flops.value() == near(17179869184.0));
  // B = 4 b h s d * 2 B = 4 * 2 * 16 * 1024 * 128 * 2 = 2^25
  CHECK(w.bytes.value() == near(33554432.0));
  CHECK(w.size_key == near(1024.0));  // the attention table is keyed by sequence length

  const KernelWork causal = attention_work(AttentionShape{2, 16, 1024, 128, true}, Precision::bf16);
  CHECK(causal.flops.value() == near(8589934592.0));  // half: 2^33
  CHECK(causal.bytes.value() == near(33554432.0));    // the same Q, K, V, O
  CHECK_THAT(causal.description, Contains("causal"));
}

TEST_CASE("kernel: grouped-query attention reads fewer keys and values; the backward does 2.5x", "[kernel][work]") {
  // b = 2, h = 16 query heads, g = 4 key/value heads, s = 1024, d = 128, bf16.
  AttentionShape s{2, 16, 1024, 128, false};
  s.kv_heads = 4;
  const KernelWork fwd = attention_work(s, Precision::bf16);
  // FLOPs depend on the query heads only: 4 b h s^2 d = 2^34, as for multi-head attention.
  CHECK(fwd.flops.value() == near(17179869184.0));
  // B = b s d (2h + 2g) x 2 B = 2 * 1024 * 128 * 40 * 2 = 20,971,520 (Q and O at 16 heads, K and V at 4).
  CHECK(fwd.bytes.value() == near(20971520.0));
  s.backward = true;
  const KernelWork bwd = attention_work(s, Precision::bf16);
  // FlashAttention-2's backward: five s x s products instead of two: 10 b h s^2 d = 2.5 x 2^34.
  CHECK(bwd.flops.value() == near(2.5 * 17179869184.0));
  // Reads Q, O, dO (h heads), K, V (g); writes dQ (h), dK, dV (g): b s d (4h + 4g) x 2 B = 2 x forward.
  CHECK(bwd.bytes.value() == near(2.0 * 20971520.0));
  CHECK_THAT(bwd.description, Contains("backward"));
  s.kv_heads = 5;  // does not divide 16
  CHECK_THROWS_AS(attention_work(s, Precision::bf16), Error);
}

TEST_CASE("kernel: a reduction reads two buffers and writes one", "[kernel][work]") {
  const KernelWork w = reduction_work(Bytes(1e9), Precision::bf16);
  CHECK(w.cls == KernelClass::Reduction);
  CHECK(w.bytes.value() == near(3e9));  // 3 * 1e9
  CHECK(w.flops.value() == near(5e8));  // one add per element: 1e9 / 2 B
  CHECK(reduction_work(Bytes(1e9), Precision::fp32).flops.value() == near(2.5e8));  // 1e9 / 4 B
}

TEST_CASE("kernel: a copy moves its bytes twice without FLOPs", "[kernel][work]") {
  const KernelWork w = copy_work(Bytes(1e9));
  CHECK(w.cls == KernelClass::Copy);
  CHECK(w.bytes.value() == near(2e9));  // read 1e9, write 1e9
  CHECK(w.flops.value() == 0.0);
}

TEST_CASE("kernel: a generic compute op is a GEMM of its FLOPs or a triad without FLOPs", "[kernel][work]") {
  const KernelWork g = generic_work(Flops(1e11), Precision::bf16, Bytes(1e8));
  CHECK(g.cls == KernelClass::Gemm);
  CHECK(g.size_key == near(1e11));
  const KernelWork s = generic_work(Flops(0.0), Precision::bf16, Bytes(1e8));
  CHECK(s.cls == KernelClass::Stream);
  CHECK(s.stream_op == StreamOp::Triad);
  CHECK(s.size_key == near(1e8));
}

TEST_CASE("kernel: bytes per element of each precision", "[kernel][work]") {
  CHECK(bytes_per_element(Precision::fp64) == 8.0);
  CHECK(bytes_per_element(Precision::fp64_matrix) == 8.0);
  CHECK(bytes_per_element(Precision::fp32) == 4.0);
  CHECK(bytes_per_element(Precision::tf32) == 4.0);
  CHECK(bytes_per_element(Precision::bf16) == 2.0);
  CHECK(bytes_per_element(Precision::fp16) == 2.0);
  CHECK(bytes_per_element(Precision::fp8) == 1.0);
  CHECK(bytes_per_element(Precision::fp6) == 0.75);
  CHECK(bytes_per_element(Precision::fp4) == 0.5);
}

TEST_CASE("kernel: stream operation names and the scale alias", "[kernel][work]") {
  CHECK(stream_op_from_string("copy") == StreamOp::Copy);
  CHECK(stream_op_from_string("mul") == StreamOp::Mul);
  CHECK(stream_op_from_string("scale") == StreamOp::Mul);  // BabelStream's older name
  CHECK(stream_op_from_string("add") == StreamOp::Add);
  CHECK(stream_op_from_string("triad") == StreamOp::Triad);
  CHECK(stream_op_from_string("dot") == StreamOp::Dot);
  CHECK_FALSE(stream_op_from_string("foo").has_value());
  CHECK_FALSE(stream_op_from_string("Triad").has_value());
  CHECK(to_string(StreamOp::Mul) == "mul");
  CHECK(to_string(KernelClass::Attention) == "attention");
}

TEST_CASE("kernel: non-positive GEMM dimensions throw", "[kernel][work]") {
  CHECK_THROWS_WITH(gemm_work(GemmShape{0, 2000, 500}, Precision::bf16), Contains("GEMM dimensions must be positive"));
  CHECK_THROWS_AS(gemm_work(GemmShape{1000, -1, 500}, Precision::bf16), Error);
  CHECK_THROWS_AS(gemm_work(GemmShape{1000, 2000, 0}, Precision::bf16), Error);
  CHECK_THROWS_WITH(gemm_work(GemmShape{1000, 2000, 500, 0}, Precision::bf16), Contains("batch=0"));
}

TEST_CASE("kernel: non-positive attention dimensions throw", "[kernel][work]") {
  CHECK_THROWS_WITH(attention_work(AttentionShape{0, 16, 1024, 128}, Precision::bf16),
                    Contains("attention dimensions must be positive"));
  CHECK_THROWS_AS(attention_work(AttentionShape{2, 0, 1024, 128}, Precision::bf16), Error);
  CHECK_THROWS_AS(attention_work(AttentionShape{2, 16, -1024, 128}, Precision::bf16), Error);
  CHECK_THROWS_AS(attention_work(AttentionShape{2, 16, 1024, 0}, Precision::bf16), Error);
}

TEST_CASE("kernel: a stream kernel of empty arrays throws", "[kernel][work]") {
  CHECK_THROWS_WITH(stream_work(StreamOp::Triad, Bytes(0.0)), Contains("more than 0 bytes"));
  CHECK_THROWS_AS(stream_work(StreamOp::Copy, Bytes(-1.0)), Error);
}

// ---- estimates on both sides of the ridge point -----------------------------------------------

TEST_CASE("kernel: a large GEMM above the ridge point is compute-bound", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // 5000x2000x5000 bf16: F = 2 * 5e10 = 1e11, exactly the gemm_mid point: eta_c = 0.6.
  // B = (5000*5000 + 5000*2000 + 5000*2000) * 2 = 9e7; intensity 1e11 / 9e7 = 1111 FLOP/B.
  // Ridge = 1e14 * 0.6 / (2e12 * 0.9) = 33.3 FLOP/B < 1111: compute-bound.
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{5000, 2000, 5000}, Precision::bf16));
  CHECK(e.eta_compute == near(0.6));
  CHECK(e.eta_memory == near(0.9));
  CHECK(e.compute_time.value() == near(1e11 / (0.6 * 1e14)));  // 1.667 ms
  CHECK(e.memory_time.value() == near(9e7 / (0.9 * 2e12)));    // 50 us
  CHECK(e.compute_bound);
  CHECK(e.time.value() == near(1e11 / (0.6 * 1e14)));
  CHECK(e.peak.value() == near(1e14));  // at the maximum clock
  CHECK(has(e.points_used, "gemm_mid"));
  CHECK(has(e.points_used, "stream_triad"));  // a GEMM's eta_m is triad's
  INFO(all_notes(e));
  // The toy GPU has no compute_units: the one note says the GEMM shape term is left out
  // (test_kernel_waves.cpp covers it); no table is borrowed or missing.
  REQUIRE(e.notes.size() == 1);
  CHECK(noted(e, "no compute_units for toy in the catalog: GEMM tile and wave quantization not modelled"));
}

TEST_CASE("kernel: a skinny GEMM below the ridge point is memory-bound", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // 10000x10000x1 bf16: F = 2e8, below the first point: eta_c = 0.2 (flat).
  // B = (10000*1 + 1*10000 + 10000*10000) * 2 = 2.0004e8; intensity 2e8 / 2.0004e8 = 1.0 FLOP/B.
  // Ridge = 1e14 * 0.2 / (2e12 * 0.9) = 11.1 FLOP/B > 1.0: memory-bound.
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{10000, 10000, 1}, Precision::bf16));
  CHECK(e.eta_compute == near(0.2));
  CHECK(e.compute_time.value() == near(2e8 / (0.2 * 1e14)));    // 10 us
  CHECK(e.memory_time.value() == near(2.0004e8 / (0.9 * 2e12)));  // 111.1 us
  CHECK_FALSE(e.compute_bound);
  CHECK(e.time.value() == near(2.0004e8 / (0.9 * 2e12)));
}

TEST_CASE("kernel: attention above the ridge point is compute-bound", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // b=2 h=16 s=1024 d=128 bf16: F = 2^34, B = 2^25 (see the work test); intensity s / 2 B = 512.
  // eta_c = 0.3 at seq 1024; ridge = 1e14 * 0.3 / (2e12 * 0.9) = 16.7 FLOP/B < 512.
  const KernelEstimate e = estimate_kernel(g, &c, attention_work(AttentionShape{2, 16, 1024, 128, false}, Precision::bf16));
  CHECK(e.eta_compute == near(0.3));
  CHECK(e.compute_time.value() == near(17179869184.0 / (0.3 * 1e14)));  // 572.7 us
  CHECK(e.memory_time.value() == near(33554432.0 / (0.9 * 2e12)));      // 18.6 us
  CHECK(e.compute_bound);
  CHECK(has(e.points_used, "attn_1k"));
  // Causal: half the useful FLOPs, but the diagonal tiles are computed whole (models/attention.hpp):
  // Br = 128 rows, nb = 8 blocks, E = 128^2 * 8 * 9 / 2 = s^2/2 (1 + 128/1024) = 1.125 s^2/2.
  // The toy GPU has no compute-unit count: no wave fill, no exponential term.
  const KernelEstimate ec = estimate_kernel(g, &c, attention_work(AttentionShape{2, 16, 1024, 128, true}, Precision::bf16));
  CHECK(ec.compute_bound);
  CHECK(ec.time.value() == near(1.125 * 8589934592.0 / (0.3 * 1e14)));  // 322.1 us
  CHECK(noted(ec, "no compute-unit count"));
}

TEST_CASE("kernel: short attention computes whole tiles", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // b=64 h=32 s=16 d=64 bf16: F = 4 * 64 * 32 * 16^2 * 64 = 2^27, B = 4 * 64 * 32 * 16 * 64 * 2 = 2^24;
  // intensity s / 2 = 8 FLOP/B, below the plain ridge 1e14 * 0.3 / (2e12 * 0.9) = 16.7. But the
  // kernel computes whole 64-column key tiles: E = 16 x 64 = 4 s^2, so its matmuls take
  // 4 * 2^27 / (0.3 * 1e14) = 17.9 us, above the memory time 2^24 / 1.8e12 = 9.32 us.
  const KernelEstimate e = estimate_kernel(g, &c, attention_work(AttentionShape{64, 32, 16, 64, false}, Precision::bf16));
  CHECK(e.compute_time.value() == near(4.0 * 134217728.0 / (0.3 * 1e14)));  // 17.9 us
  CHECK(e.memory_time.value() == near(16777216.0 / (0.9 * 2e12)));         // 9.32 us
  CHECK(e.compute_bound);
  // Causal: one 128-row block reaching one 64-column tile: E = 16 x 64 as well (8 x the useful
  // s^2/2), the same compute time.
  const KernelEstimate ec = estimate_kernel(g, &c, attention_work(AttentionShape{64, 32, 16, 64, true}, Precision::bf16));
  CHECK(ec.compute_time.value() == near(4.0 * 134217728.0 / (0.3 * 1e14)));
}

TEST_CASE("kernel: the attention table is interpolated over the sequence length", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // seq 4096 lies halfway between 1024 and 16384 in log10 (factor 4 of 16):
  // eta_c = 0.3 + 0.5 * (0.5 - 0.3) = 0.4
  const KernelEstimate e = estimate_kernel(g, &c, attention_work(AttentionShape{1, 8, 4096, 128, false}, Precision::bf16));
  CHECK(e.eta_compute == near(0.4));
  CHECK(has(e.points_used, "attn_1k"));
  CHECK(has(e.points_used, "attn_16k"));
}

TEST_CASE("kernel: stream triad is memory-bound at a normal fp64 rate", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // Triad of 1e9-byte fp64 arrays: F = 2.5e8, B = 3e9, intensity 1/12 FLOP/B. The stream class
  // has no compute table (eta_c = 1): ridge = 5e12 / (2e12 * 0.9) = 2.8 FLOP/B > 1/12.
  const KernelEstimate e = estimate_kernel(g, &c, stream_work(StreamOp::Triad, Bytes(1e9)));
  CHECK(e.eta_compute == 1.0);
  CHECK(e.eta_memory == near(0.9));
  CHECK(e.compute_time.value() == near(2.5e8 / 5e12));        // 50 us
  CHECK(e.memory_time.value() == near(3e9 / (0.9 * 2e12)));  // 1.667 ms
  CHECK_FALSE(e.compute_bound);
  CHECK(e.time.value() == near(3e9 / (0.9 * 2e12)));
  CHECK(e.points_used == std::vector<std::string>{"stream_triad"});
}

TEST_CASE("kernel: each stream operation takes its own memory efficiency", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // copy: B = 2e9 at 0.8 * 2e12 -> 1.25 ms; dot: B = 2e9 at 0.95 * 2e12 -> 1.053 ms
  const KernelEstimate copy = estimate_kernel(g, &c, stream_work(StreamOp::Copy, Bytes(1e9)));
  CHECK(copy.eta_memory == near(0.8));
  CHECK(copy.time.value() == near(2e9 / (0.8 * 2e12)));
  CHECK(copy.compute_time.value() == 0.0);  // copy has no FLOPs
  const KernelEstimate dot = estimate_kernel(g, &c, stream_work(StreamOp::Dot, Bytes(1e9)));
  CHECK(dot.eta_memory == near(0.95));
  CHECK(dot.time.value() == near(2e9 / (0.95 * 2e12)));
  CHECK(dot.points_used == std::vector<std::string>{"stream_dot"});
}

TEST_CASE("kernel: stream triad is compute-bound at a tiny fp64 rate", "[kernel][estimate]") {
  const GpuSpec g = slow_fp64_gpu();
  const GpuCalibration c = toy_calibration();
  // P(fp64) = 5e10: ridge = 5e10 / (2e12 * 0.9) = 0.028 FLOP/B < 1/12.
  const KernelEstimate e = estimate_kernel(g, &c, stream_work(StreamOp::Triad, Bytes(1e9)));
  CHECK(e.compute_time.value() == near(2.5e8 / 5e10));       // 5 ms
  CHECK(e.memory_time.value() == near(3e9 / (0.9 * 2e12)));  // 1.667 ms
  CHECK(e.compute_bound);
  CHECK(e.time.value() == near(2.5e8 / 5e10));
}

TEST_CASE("kernel: a reduction is memory-bound at a normal rate", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // 1e9 B bf16: F = 5e8, B = 3e9, intensity 1/6 FLOP/B; no reduction table (eta_c = 1, no note:
  // only GEMM and attention have tables); ridge = 1e14 / (2e12 * 0.9) = 55.6 FLOP/B.
  const KernelEstimate e = estimate_kernel(g, &c, reduction_work(Bytes(1e9), Precision::bf16));
  CHECK(e.eta_compute == 1.0);
  CHECK(e.compute_time.value() == near(5e8 / 1e14));  // 5 us
  CHECK_FALSE(e.compute_bound);
  // A reduction takes triad's eta_m, as every non-stream kernel (kernel.hpp).
  CHECK(e.eta_memory == near(0.9));
  CHECK(e.time.value() == near(3e9 / (0.9 * 2e12)));  // 1.667 ms
  INFO(all_notes(e));
  CHECK(e.notes.empty());
}

TEST_CASE("kernel: an fp64 reduction is compute-bound at a tiny fp64 rate", "[kernel][estimate]") {
  const GpuSpec g = slow_fp64_gpu();
  const GpuCalibration c = toy_calibration();
  // 1e9 B fp64: F = 1e9 / 8 = 1.25e8, B = 3e9, intensity 1/24 = 0.042 FLOP/B;
  // ridge = 5e10 / (2e12 * 0.9) = 0.028 FLOP/B < 0.042: compute-bound.
  const KernelEstimate e = estimate_kernel(g, &c, reduction_work(Bytes(1e9), Precision::fp64));
  CHECK(e.compute_bound);
  CHECK(e.time.value() == near(1.25e8 / 5e10));  // 2.5 ms (memory 1.667 ms)
}

TEST_CASE("kernel: a copy kernel is memory-bound at triad efficiency", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  // B = 2e9, no FLOPs; as a non-stream kernel it takes triad's 0.9 (not copy's 0.8):
  // 2e9 / (0.9 * 2e12) = 1.111 ms
  const KernelEstimate e = estimate_kernel(g, &c, copy_work(Bytes(1e9)));
  CHECK_FALSE(e.compute_bound);
  CHECK(e.compute_time.value() == 0.0);
  CHECK(e.time.value() == near(2e9 / (0.9 * 2e12)));
}

TEST_CASE("kernel: the launch overhead is reported apart from the time", "[kernel][estimate]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{5000, 2000, 5000}, Precision::bf16));
  CHECK(e.launch_overhead.value() == near(5e-6));
  // time is max(compute, memory) = 1.667 ms exactly, without the 5 us
  CHECK(e.time.value() == near(std::max(e.compute_time.value(), e.memory_time.value())));
  CHECK(e.time.value() == near(1e11 / (0.6 * 1e14)));
}

TEST_CASE("kernel: half the core clock doubles a compute-bound time", "[kernel][estimate][clock]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  ClockState half;
  half.core = Hertz(1e9);  // f / f_max = 1 GHz / 2 GHz = 0.5
  const KernelWork w = gemm_work(GemmShape{5000, 2000, 5000}, Precision::bf16);
  const KernelEstimate e = estimate_kernel(g, &c, w, half);
  CHECK(e.peak.value() == near(5e13));                     // 1e14 * 0.5
  CHECK(e.time.value() == near(1e11 / (0.6 * 5e13)));      // 3.333 ms = 2 x 1.667 ms
  CHECK(e.memory_time.value() == near(9e7 / (0.9 * 2e12)));  // unchanged 50 us
  CHECK(e.compute_bound);
}

TEST_CASE("kernel: half the core clock leaves a memory-bound time", "[kernel][estimate][clock]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  ClockState half;
  half.core = Hertz(1e9);
  // Skinny GEMM: compute 10 us -> 20 us, still below the memory time of 111.1 us.
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{10000, 10000, 1}, Precision::bf16), half);
  CHECK(e.compute_time.value() == near(2e8 / (0.2 * 5e13)));  // 20 us
  CHECK_FALSE(e.compute_bound);
  CHECK(e.time.value() == near(2.0004e8 / (0.9 * 2e12)));
}

TEST_CASE("kernel: the HBM clock ratio scales a memory-bound time", "[kernel][estimate][clock]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  ClockState slow_hbm;
  slow_hbm.hbm_ratio = 0.5;
  // Skinny GEMM: B / (0.9 * 2e12 * 0.5) = 2.0004e8 / 9e11 = 222.3 us (2 x 111.1 us)
  const KernelEstimate mem = estimate_kernel(g, &c, gemm_work(GemmShape{10000, 10000, 1}, Precision::bf16), slow_hbm);
  CHECK(mem.time.value() == near(2.0004e8 / (0.9 * 2e12 * 0.5)));
  // Large GEMM: memory 50 us -> 100 us, still below compute 1.667 ms: unchanged.
  const KernelEstimate comp = estimate_kernel(g, &c, gemm_work(GemmShape{5000, 2000, 5000}, Precision::bf16), slow_hbm);
  CHECK(comp.memory_time.value() == near(9e7 / (0.9 * 2e12 * 0.5)));
  CHECK(comp.time.value() == near(1e11 / (0.6 * 1e14)));
}

TEST_CASE("kernel: a clock or HBM ratio of zero throws", "[kernel][estimate][clock]") {
  const GpuSpec g = toy_gpu();
  const KernelWork w = gemm_work(GemmShape{1000, 2000, 500}, Precision::bf16);
  ClockState zero_core;
  zero_core.core = Hertz(0.0);
  CHECK_THROWS_WITH(estimate_kernel(g, nullptr, w, zero_core), Contains("core clock must be greater than zero"));
  ClockState zero_hbm;
  zero_hbm.hbm_ratio = 0.0;
  CHECK_THROWS_WITH(estimate_kernel(g, nullptr, w, zero_hbm), Contains("HBM clock ratio must be greater than zero"));
}

// ---- calibration tables -----------------------------------------------------------------------

TEST_CASE("kernel: a calibration table interpolates linearly in log10 of the key", "[kernel][table]") {
  const CalibrationTable t({point(1e13, 0.8, "big"), point(1e9, 0.2, "small"), point(1e11, 0.6, "mid")});
  REQUIRE(t.points().size() == 3);
  CHECK(t.points().front().case_id == "small");  // sorted by key
  CHECK(t.points().back().case_id == "big");
  std::vector<std::string> used;
  // 1e10 is halfway from 1e9 to 1e11 in log10: 0.2 + 0.5 * (0.6 - 0.2) = 0.4
  CHECK(t.at(1e10, &used) == near(0.4));
  CHECK(used == std::vector<std::string>{"small", "mid"});
  used.clear();
  // 1e12: halfway from 1e11 to 1e13: 0.6 + 0.5 * 0.2 = 0.7
  CHECK(t.at(1e12, &used) == near(0.7));
  CHECK(used == std::vector<std::string>{"mid", "big"});
  // 5.05e10 is the linear midpoint of 1e9 and 1e11, not the log one:
  // t = log10(5.05e10 / 1e9) / 2 = 0.8517 -> 0.2 + 0.8517 * 0.4 = 0.5407
  CHECK(t.at(5.05e10) == near(0.2 + 0.4 * std::log10(50.5) / 2.0));
}

TEST_CASE("kernel: a calibration table is flat beyond its ends", "[kernel][table]") {
  const CalibrationTable t({point(1e9, 0.2, "small"), point(1e11, 0.6, "mid"), point(1e13, 0.8, "big")});
  std::vector<std::string> used;
  CHECK(t.at(1e6, &used) == near(0.2));  // below the first point: its value
  CHECK(used == std::vector<std::string>{"small"});
  used.clear();
  CHECK(t.at(1e15, &used) == near(0.8));  // above the last point: its value
  CHECK(used == std::vector<std::string>{"big"});
  CHECK(t.at(1e9) == near(0.2));   // at the ends exactly
  CHECK(t.at(1e13) == near(0.8));
}

TEST_CASE("kernel: an empty calibration table reads 1", "[kernel][table]") {
  const CalibrationTable t;
  CHECK(t.empty());
  std::vector<std::string> used;
  CHECK(t.at(1e12, &used) == 1.0);
  CHECK(used.empty());
}

TEST_CASE("kernel: bf16 and fp16 share a table", "[kernel][table][fallback]") {
  GpuCalibration only_bf16;
  only_bf16.compute[{KernelClass::Gemm, Precision::bf16}] = CalibrationTable({point(1e9, 0.5, "b")});
  Precision used = Precision::fp64;
  REQUIRE(only_bf16.table(KernelClass::Gemm, Precision::fp16, &used) != nullptr);
  CHECK(used == Precision::bf16);

  GpuCalibration only_fp16;
  only_fp16.compute[{KernelClass::Gemm, Precision::fp16}] = CalibrationTable({point(1e9, 0.5, "h")});
  REQUIRE(only_fp16.table(KernelClass::Gemm, Precision::bf16, &used) != nullptr);
  CHECK(used == Precision::fp16);

  // The estimate of an fp16 GEMM on the toy calibration (bf16 only) says which table it used:
  // 5000x2000x5000 at 1e11 FLOP reads bf16's 0.6.
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{5000, 2000, 5000}, Precision::fp16));
  CHECK(e.eta_compute == near(0.6));
  INFO(all_notes(e));
  CHECK(noted(e, "gemm fp16 uses the bf16 table"));
}

TEST_CASE("kernel: tf32 borrows the fp32 table", "[kernel][table][fallback]") {
  const GpuSpec g = toy_gpu();
  GpuCalibration c = toy_calibration();
  c.compute[{KernelClass::Gemm, Precision::fp32}] = CalibrationTable({point(1e11, 0.7, "sgemm")});
  Precision used = Precision::fp64;
  REQUIRE(c.table(KernelClass::Gemm, Precision::tf32, &used) != nullptr);
  CHECK(used == Precision::fp32);
  // tf32 5000x2000x5000: F = 1e11 at eta 0.7 of P(tf32) = 5e13 -> 1e11 / 3.5e13 = 2.857 ms
  // (B = 4.5e7 elements * 4 B = 1.8e8 -> 100 us: compute-bound)
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{5000, 2000, 5000}, Precision::tf32));
  CHECK(e.eta_compute == near(0.7));
  CHECK(e.time.value() == near(1e11 / (0.7 * 5e13)));
  INFO(all_notes(e));
  CHECK(noted(e, "gemm tf32 uses the fp32 table"));
}

TEST_CASE("kernel: a precision without a table takes the nearest precision that has one", "[kernel][table][fallback]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();  // GEMM: bf16 only
  // Precisions in order: fp64, fp64_matrix, fp32, tf32, bf16, fp16, fp8, fp6, fp4. From fp8:
  // distance 1 is fp6 and fp16 (no tables), distance 2 is fp4 and bf16: bf16.
  Precision used = Precision::fp64;
  REQUIRE(c.table(KernelClass::Gemm, Precision::fp8, &used) != nullptr);
  CHECK(used == Precision::bf16);
  // From fp32: distance 1 tf32, fp64_matrix; distance 2 bf16.
  REQUIRE(c.table(KernelClass::Gemm, Precision::fp32, &used) != nullptr);
  CHECK(used == Precision::bf16);
  // fp8 5000x2000x5000: 1e11 FLOP reads bf16's 0.6; P(fp8) = 2e14 -> 1e11 / 1.2e14 = 833 us
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{5000, 2000, 5000}, Precision::fp8));
  CHECK(e.eta_compute == near(0.6));
  CHECK(e.time.value() == near(1e11 / (0.6 * 2e14)));
  INFO(all_notes(e));
  CHECK(noted(e, "gemm fp8 uses the bf16 table"));
}

TEST_CASE("kernel: a class without any table runs at the plain roofline and says so", "[kernel][table][fallback]") {
  const GpuSpec g = toy_gpu();
  GpuCalibration c = toy_calibration();
  c.compute.erase({KernelClass::Attention, Precision::bf16});
  // eta_c = 1: F = 2^34 / 1e14 = 171.8 us
  const KernelEstimate e = estimate_kernel(g, &c, attention_work(AttentionShape{2, 16, 1024, 128, false}, Precision::bf16));
  CHECK(e.eta_compute == 1.0);
  CHECK(e.time.value() == near(17179869184.0 / 1e14));
  INFO(all_notes(e));
  CHECK(noted(e, "no attention bf16 calibration for toy: compute efficiency 1 (plain roofline)"));
}

TEST_CASE("kernel: without a calibration both efficiencies are 1 and the notes say so", "[kernel][table][fallback]") {
  const GpuSpec g = toy_gpu();
  // 1000x2000x500 bf16: compute 2e9 / 1e14 = 20 us; memory 7e6 / 2e12 = 3.5 us
  const KernelEstimate e = estimate_kernel(g, nullptr, gemm_work(GemmShape{1000, 2000, 500}, Precision::bf16));
  CHECK(e.eta_compute == 1.0);
  CHECK(e.eta_memory == 1.0);
  CHECK(e.time.value() == near(2e9 / 1e14));
  CHECK(e.memory_time.value() == near(7e6 / 2e12));
  CHECK(e.points_used.empty());
  INFO(all_notes(e));
  CHECK(noted(e, "no gemm bf16 calibration for toy"));
  CHECK(noted(e, "no stream calibration for toy: memory efficiency 1"));
}

TEST_CASE("kernel: a missing stream operation takes triad's memory efficiency", "[kernel][table][fallback]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();  // copy 0.8, triad 0.9, dot 0.95
  CHECK(c.memory_efficiency(StreamOp::Copy) == near(0.8));
  CHECK(c.memory_efficiency(StreamOp::Mul) == near(0.9));  // no mul: triad's
  CHECK(c.memory_efficiency(StreamOp::Add) == near(0.9));  // no add: triad's
  // mul of 1e9-byte arrays: B = 2e9 at 0.9 * 2e12 -> 1.111 ms
  const KernelEstimate e = estimate_kernel(g, &c, stream_work(StreamOp::Mul, Bytes(1e9)));
  CHECK(e.time.value() == near(2e9 / (0.9 * 2e12)));
  INFO(all_notes(e));
  CHECK(noted(e, "no mul measurement: memory efficiency from the other STREAM cases"));
}

TEST_CASE("kernel: without triad the memory efficiency is the mean of the measured ones", "[kernel][table][fallback]") {
  const GpuSpec g = toy_gpu();
  GpuCalibration c;
  c.stream[StreamOp::Copy] = point(2e9, 0.8, "copy");
  c.stream[StreamOp::Dot] = point(2e9, 0.9, "dot");
  CHECK(c.memory_efficiency(StreamOp::Copy) == near(0.8));
  CHECK(c.memory_efficiency(StreamOp::Add) == near(0.85));    // (0.8 + 0.9) / 2
  CHECK(c.memory_efficiency(StreamOp::Triad) == near(0.85));
  // A GEMM asks for triad: 1000x2000x500 bf16 has B = 7e6 -> memory 7e6 / (0.85 * 2e12)
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{1000, 2000, 500}, Precision::bf16));
  CHECK(e.eta_memory == near(0.85));
  CHECK(e.memory_time.value() == near(7e6 / (0.85 * 2e12)));
  INFO(all_notes(e));
  CHECK(noted(e, "no triad measurement"));
  // No stream measurement at all: none.
  const GpuCalibration empty;
  CHECK_FALSE(empty.memory_efficiency(StreamOp::Triad).has_value());
}

TEST_CASE("kernel: a borrowed table is read at F over key_scale", "[kernel][table][family]") {
  const GpuSpec g = toy_gpu();
  GpuCalibration own = toy_calibration();
  GpuCalibration borrowed = toy_calibration();
  borrowed.scaled_from = "ref";
  borrowed.key_scale = 2.0;  // this GPU's peak is twice the reference's
  // 5000x2000x10000 bf16: F = 2 * 1e11 = 2e11.
  const KernelWork w = gemm_work(GemmShape{5000, 2000, 10000}, Precision::bf16);
  // Own table at 2e11: 0.6 + 0.2 * log10(2e11 / 1e11) / 2 = 0.6301
  CHECK(estimate_kernel(g, &own, w).eta_compute == near(0.6 + 0.2 * std::log10(2.0) / 2.0));
  // Borrowed: read at 2e11 / 2 = 1e11, the gemm_mid point: 0.6 (the same fill of a GPU twice as big)
  const KernelEstimate e = estimate_kernel(g, &borrowed, w);
  CHECK(e.eta_compute == near(0.6));
  CHECK(has(e.points_used, "gemm_mid"));
  INFO(all_notes(e));
  CHECK(noted(e, "efficiencies borrowed from ref (same family), GEMM sizes scaled by peak ratio 2"));
  // Attention is keyed by sequence length, which is not scaled: seq 1024 still reads 0.3.
  CHECK(estimate_kernel(g, &borrowed, attention_work(AttentionShape{2, 16, 1024, 128, false}, Precision::bf16)).eta_compute ==
        near(0.3));
}

// ---- unsupported precisions -------------------------------------------------------------------

TEST_CASE("kernel: a GEMM in a precision the GPU lacks throws", "[kernel][estimate][precision]") {
  const GpuSpec g = toy_gpu();
  const GpuCalibration c = toy_calibration();
  const KernelWork w = gemm_work(GemmShape{1000, 2000, 500}, Precision::fp4);
  CHECK_THROWS_AS(estimate_kernel(g, &c, w), Error);
  CHECK_THROWS_WITH(estimate_kernel(g, &c, w), Contains("GPU 'toy' has no fp4 rate in the catalog (unsupported precision)"));
  const KernelWork a = attention_work(AttentionShape{2, 16, 1024, 128, false}, Precision::fp6);
  CHECK_THROWS_WITH(estimate_kernel(g, &c, a), Contains("no fp6 rate"));
}

TEST_CASE("kernel: a stream kernel without an fp64 rate ignores its compute side", "[kernel][estimate][precision]") {
  GpuSpec g = toy_gpu();
  g.peak_dense.erase(Precision::fp64);
  const GpuCalibration c = toy_calibration();
  // Triad of 1e9-byte fp64 arrays: only the memory side, 3e9 / (0.9 * 2e12) = 1.667 ms.
  const KernelEstimate e = estimate_kernel(g, &c, stream_work(StreamOp::Triad, Bytes(1e9)));
  CHECK(e.compute_time.value() == 0.0);
  CHECK_FALSE(e.compute_bound);
  CHECK(e.time.value() == near(3e9 / (0.9 * 2e12)));
  INFO(all_notes(e));
  CHECK(noted(e, "no fp64 rate on toy: the compute side of this memory-bound kernel is ignored"));
}

TEST_CASE("kernel: a core clock above the maximum is refused", "[kernel][clock]") {
  // The toy GPU's maximum is 2 GHz; 3 GHz would claim 1.5x its peak.
  const GpuSpec g = toy_gpu();
  ClockState c;
  c.core = Hertz(3e9);
  CHECK_THROWS_WITH(estimate_kernel(g, nullptr, gemm_work(GemmShape{1024, 1024, 1024, 1, false, false}, Precision::bf16), c),
                    Catch::Matchers::Contains("above toy's maximum 2000 MHz"));
}

TEST_CASE("kernel: negative bytes for a reduction or a copy are refused", "[kernel][errors]") {
  CHECK_THROWS_AS(reduction_work(Bytes(-1.0), Precision::bf16), Error);
  CHECK_THROWS_AS(copy_work(Bytes(-1.0)), Error);
}
