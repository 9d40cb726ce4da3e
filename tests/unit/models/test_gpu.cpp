// Unit tests for models/gpu: the roofline kernel time, the collective reduction time and the
// precision names.
//
// Most tests use a hand-made GPU with round numbers, so every expected time is a short sum:
//   P(bf16) = 100 TFLOP/s, P(fp32) = 10 TFLOP/s, BW = 2 TB/s, launch = 5 us
//   t = launch + max(F / P, B / BW); machine balance P(bf16) / BW = 1e14 / 2e12 = 50 FLOP/B.
#include "core/error.hpp"
#include "core/units.hpp"
#include "models/catalog.hpp"
#include "models/gpu.hpp"

#include <optional>
#include <string>

#include "catalog_support.hpp"

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
  g.peak_dense[Precision::bf16] = 100.0_TFLOPs;  // 1e14 FLOP/s
  g.peak_dense[Precision::fp32] = 10.0_TFLOPs;   // 1e13 FLOP/s
  g.hbm_bandwidth = 2_GBps * 1000.0;             // 2 TB/s = 2e12 B/s
  g.launch_overhead = 5_us;                      // 5e-6 s
  return g;
}

using test::near;

}  // namespace

TEST_CASE("gpu: a compute-bound kernel takes launch plus F over P", "[gpu][roofline]") {
  const GpuSpec g = toy_gpu();
  // F = 1e12 FLOP: 1e12 / 1e14 = 10 ms; B = 1e9 B: 1e9 / 2e12 = 0.5 ms; max = 10 ms
  // t = 5 us + 10 ms = 10.005 ms
  const KernelCost k{Flops(1e12), Precision::bf16, Bytes(1e9)};
  CHECK(roofline_time(g, k).value() == near(10.005e-3));
}

TEST_CASE("gpu: a memory-bound kernel takes launch plus B over BW", "[gpu][roofline]") {
  const GpuSpec g = toy_gpu();
  // F = 1e10 FLOP: 1e10 / 1e14 = 0.1 ms; B = 4e9 B: 4e9 / 2e12 = 2 ms; max = 2 ms
  // t = 5 us + 2 ms = 2.005 ms
  const KernelCost k{Flops(1e10), Precision::bf16, Bytes(4e9)};
  CHECK(roofline_time(g, k).value() == near(2.005e-3));
}

TEST_CASE("gpu: at the machine balance compute and memory take equally long", "[gpu][roofline]") {
  const GpuSpec g = toy_gpu();
  // 50 FLOP/B: F = 1e11, B = 2e9 -> 1e11 / 1e14 = 1 ms = 2e9 / 2e12; t = 5 us + 1 ms = 1.005 ms
  const KernelCost k{Flops(1e11), Precision::bf16, Bytes(2e9)};
  CHECK(roofline_time(g, k).value() == near(1.005e-3));
}

TEST_CASE("gpu: the precision selects the peak rate", "[gpu][roofline]") {
  const GpuSpec g = toy_gpu();
  // Same 1e12 FLOP at fp32: 1e12 / 1e13 = 100 ms; t = 5 us + 100 ms = 100.005 ms (10x bf16's 10 ms)
  const KernelCost k{Flops(1e12), Precision::fp32, Bytes(0.0)};
  CHECK(roofline_time(g, k).value() == near(100.005e-3));
}

TEST_CASE("gpu: an unsupported precision with FLOPs throws", "[gpu][roofline]") {
  const GpuSpec g = toy_gpu();
  const KernelCost k{Flops(1e9), Precision::fp4, Bytes(1e6)};  // the toy GPU has no fp4 rate
  CHECK_THROWS_AS(roofline_time(g, k), Error);
  CHECK_THROWS_WITH(roofline_time(g, k), Contains("GPU 'toy' has no fp4 rate"));
}

TEST_CASE("gpu: a zero-FLOP kernel ignores its precision", "[gpu][roofline]") {
  const GpuSpec g = toy_gpu();
  // No FLOPs, so the missing fp4 rate does not matter: t = 5 us + 1e9 / 2e12 = 5 us + 0.5 ms = 0.505 ms
  const KernelCost k{Flops(0.0), Precision::fp4, Bytes(1e9)};
  CHECK(roofline_time(g, k).value() == near(0.505e-3));
}

TEST_CASE("gpu: an empty kernel costs only the launch overhead", "[gpu][roofline]") {
  const GpuSpec g = toy_gpu();
  CHECK(roofline_time(g, KernelCost{}).value() == near(5e-6));  // max(0, 0) + 5 us
}

TEST_CASE("gpu: the MI300X worked example of the model header", "[gpu][roofline]") {
  const Catalog c = Catalog::load(shipped_catalog_files(RACKSIM_SOURCE_DIR));
  const GpuSpec* g = c.find_gpu("mi300x");
  REQUIRE(g != nullptr);
  // A 4096^3 BF16 GEMM: F = 2 * 4096^3 = 137438953472 FLOP; B = 3 matrices * 4096^2 * 2 B = 100663296 B.
  // F / 1307.4e12 = 105.12 us; B / 5.3e12 = 18.99 us; t = 5 us + 105.12 us = 110.12 us
  const KernelCost k{Flops(137438953472.0), Precision::bf16, Bytes(100663296.0)};
  CHECK(roofline_time(*g, k).value() == Approx(110.12e-6).margin(0.01e-6));
}

TEST_CASE("gpu: reduction time is three buffers through HBM without launch", "[gpu][reduction]") {
  const GpuSpec g = toy_gpu();
  // Read two buffers and write one: 3 * 1e9 B / 2e12 B/s = 1.5 ms (no 5 us launch: fused)
  CHECK(reduction_time(g, Bytes(1e9)).value() == near(1.5e-3));
  CHECK(reduction_time(g, Bytes(0.0)).value() == 0.0);
}

TEST_CASE("gpu: peak of a missing precision is empty", "[gpu]") {
  const GpuSpec g = toy_gpu();
  REQUIRE(g.peak(Precision::bf16).has_value());
  CHECK(g.peak(Precision::bf16)->value() == near(1e14));
  CHECK_FALSE(g.peak(Precision::fp8).has_value());
}

TEST_CASE("gpu: precision names round-trip", "[gpu][precision]") {
  CHECK(all_precisions().size() == 9);  // fp64, fp64_matrix, fp32, tf32, bf16, fp16, fp8, fp6, fp4
  for (const Precision p : all_precisions()) {
    INFO(to_string(p));
    const std::optional<Precision> back = precision_from_string(to_string(p));
    REQUIRE(back.has_value());
    CHECK(*back == p);
  }
  CHECK(to_string(Precision::bf16) == "bf16");
  CHECK(to_string(Precision::fp64_matrix) == "fp64_matrix");
}

TEST_CASE("gpu: unknown precision names are rejected", "[gpu][precision]") {
  CHECK_FALSE(precision_from_string("bf17").has_value());
  CHECK_FALSE(precision_from_string("BF16").has_value());  // names are lowercase only
  CHECK_FALSE(precision_from_string("").has_value());
  CHECK(precision_names() == "fp64, fp64_matrix, fp32, tf32, bf16, fp16, fp8, fp6, fp4");
}
