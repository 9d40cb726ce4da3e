// Unit tests for the GEMM tile and wave quantization of models/kernel (issue 17, cause 3): the
// tiles, waves and useful fraction q of a shape, the calibration points divided by their own q,
// and the shipped catalog GPUs.
//
//   tiles = ceil(M/Mt) ceil(N/Nt) batch, waves = ceil(tiles/S), q = M N batch / (waves S Mt Nt)
//   eta_c(shape) = eta_full(F) q(shape), eta_full = interpolation of each point's efficiency / q_i
//
// Tiles (models/kernel.hpp): NVIDIA 128x128 (bf16, fp16, fp8); AMD 256x256 (bf16, fp16), 256x192
// (fp8). Compute units from the shipped catalog: H100 132 SMs, MI300X 304 CUs, MI355X 256 CUs,
// MI455X 256 (an estimate borrowed from MI355X).
#include "core/units.hpp"
#include "models/calibration.hpp"
#include "models/gpu.hpp"
#include "models/kernel.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "catalog_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using namespace racksim::literals;
using Catch::Matchers::Contains;

namespace {

using test::gpu;
using test::near;

const std::string kPublished = std::string(RACKSIM_SOURCE_DIR) + "/validation/reference/published-measurements.yaml";
const std::string kSupplementary = std::string(RACKSIM_SOURCE_DIR) + "/validation/reference/supplementary-measurements.yaml";

// An H100-like toy: 132 SMs, the NVIDIA 128x128 tile, bf16 at 100 TFLOP/s, 2 TB/s.
GpuSpec toy_nvidia() {
  GpuSpec g;
  g.id = "toy";
  g.name = "Toy GPU";
  g.vendor = "NVIDIA";
  g.peak_dense[Precision::bf16] = 100.0_TFLOPs;
  g.compute_units = 132;
  g.clock_max = Hertz(2e9);
  g.hbm_bandwidth = 2_GBps * 1000.0;  // 2e12 B/s
  g.launch_overhead = 5_us;
  return g;
}

// One bf16 GEMM point, measured at 0.6 of peak on a shape of q = 0.75: eta_full = 0.8 at every
// size (one point: the table is flat). Triad 0.9 for the memory side.
GpuCalibration toy_calibration() {
  GpuCalibration c;
  c.gpu = "toy";
  c.compute[{KernelClass::Gemm, Precision::bf16}] = CalibrationTable({CalibrationPoint(1e11, 0.6, "point", 0.75, "toy")});
  c.stream[StreamOp::Triad] = CalibrationPoint(3e9, 0.9, "triad");
  return c;
}

bool noted(const KernelEstimate& e, const std::string& text) {
  return std::any_of(e.notes.begin(), e.notes.end(), [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("kernel waves: a square H100 GEMM fills 7.76 waves of 8", "[kernel][waves]") {
  // H100, bf16, 4096x4096: 32 x 32 = 1024 tiles of 128x128 on 132 SMs: ceil(1024/132) = 8 waves,
  // q = 4096^2 / (8 * 132 * 128^2) = 16777216 / 17301504 = 32/33 = 0.969697.
  const auto w = gemm_waves(gpu("h100"), GemmShape{4096, 4096, 4096}, Precision::bf16);
  REQUIRE(w.has_value());
  CHECK(w->tile.m == 128);
  CHECK(w->tile.n == 128);
  CHECK(w->compute_units == 132);
  CHECK(w->tiles == 1024.0);
  CHECK(w->waves == 8.0);
  CHECK(w->useful_fraction == near(32.0 / 33.0));
  // One more row: 33 x 32 = 1056 tiles = 8 x 132, still 8 waves, now all full:
  // q = 4097 * 4096 / (8 * 132 * 128^2) = 16781312 / 17301504 = 0.969934.
  const auto w1 = gemm_waves(gpu("h100"), GemmShape{4097, 4096, 4096}, Precision::bf16);
  REQUIRE(w1.has_value());
  CHECK(w1->tiles == 1056.0);
  CHECK(w1->waves == 8.0);
  CHECK(w1->useful_fraction == near(16781312.0 / 17301504.0));
}

TEST_CASE("kernel waves: a thin tensor-parallel slice one tile wider needs a second wave", "[kernel][waves]") {
  // H100, micro-batch of 2048 tokens, TP-sliced weight of N columns, K = 8192:
  //   N = 1024: 16 x 8 = 128 tiles <= 132: 1 wave, q = 2048 * 1024 / (132 * 128^2) = 2097152 / 2162688 = 0.969697
  //   N = 1152: 16 x 9 = 144 tiles > 132: 2 waves, q = 2048 * 1152 / (2 * 132 * 128^2) = 2359296 / 4325376 = 0.545455
  const auto narrow = gemm_waves(gpu("h100"), GemmShape{2048, 1024, 8192}, Precision::bf16);
  const auto wide = gemm_waves(gpu("h100"), GemmShape{2048, 1152, 8192}, Precision::bf16);
  REQUIRE(narrow.has_value());
  REQUIRE(wide.has_value());
  CHECK(narrow->tiles == 128.0);
  CHECK(narrow->waves == 1.0);
  CHECK(narrow->useful_fraction == near(2097152.0 / 2162688.0));
  CHECK(wide->tiles == 144.0);
  CHECK(wide->waves == 2.0);
  CHECK(wide->useful_fraction == near(2359296.0 / 4325376.0));

  // Timed on the toy (same 132 SMs and tile, eta_full = 0.6 / 0.75 = 0.8 at every size):
  //   N = 1024: F = 2 * 2048 * 1024 * 8192 = 3.436e10, eta = 0.8 * 0.969697 = 0.775758,
  //             t = 3.436e10 / (0.775758 * 1e14) = 442.9 us
  //   N = 1152: F = 3.865e10 (12.5% more), eta = 0.8 * 0.545455 = 0.436364, t = 885.8 us:
  //             (1152 / 1024) * (0.969697 / 0.545455) = 1.125 * 1.777778 = exactly twice the time.
  // Memory: (2048*8192 + 8192*1152 + 2048*1152) * 2 B = 57.1 MB / (0.9 * 2 TB/s) = 31.7 us: compute-bound.
  const GpuSpec g = toy_nvidia();
  const GpuCalibration c = toy_calibration();
  const KernelEstimate en = estimate_kernel(g, &c, gemm_work(GemmShape{2048, 1024, 8192}, Precision::bf16));
  const KernelEstimate ew = estimate_kernel(g, &c, gemm_work(GemmShape{2048, 1152, 8192}, Precision::bf16));
  CHECK(en.eta_compute == near(0.8 * 2097152.0 / 2162688.0));
  CHECK(ew.eta_compute == near(0.8 * 2359296.0 / 4325376.0));
  CHECK(en.time.value() == near(2.0 * 2048 * 1024 * 8192 / (0.8 * 2097152.0 / 2162688.0 * 1e14)));
  CHECK(ew.time.value() == near(2.0 * en.time.value()));
  CHECK(ew.compute_bound);
  REQUIRE(ew.gemm_waves.has_value());
  CHECK(ew.gemm_waves->waves == 2.0);
}

TEST_CASE("kernel waves: a GEMM known only by its FLOPs reads the measured efficiencies", "[kernel][waves]") {
  // generic_work has no shape: eta = the point's measured 0.6, not 0.8 * q, and no waves.
  const GpuSpec g = toy_nvidia();
  const GpuCalibration c = toy_calibration();
  const KernelEstimate e = estimate_kernel(g, &c, generic_work(Flops(1e11), Precision::bf16, Bytes(1e6)));
  CHECK(e.eta_compute == near(0.6));
  CHECK_FALSE(e.gemm_waves.has_value());
}

TEST_CASE("kernel waves: a GPU without compute_units keeps the measured efficiencies and says so", "[kernel][waves]") {
  GpuSpec g = toy_nvidia();
  g.compute_units.reset();
  const GpuCalibration c = toy_calibration();
  CHECK_FALSE(gemm_waves(g, GemmShape{2048, 1152, 8192}, Precision::bf16).has_value());
  const KernelEstimate e = estimate_kernel(g, &c, gemm_work(GemmShape{2048, 1152, 8192}, Precision::bf16));
  CHECK(e.eta_compute == near(0.6));
  CHECK(noted(e, "no compute_units for toy in the catalog: GEMM tile and wave quantization not modelled"));
}

TEST_CASE("kernel waves: each calibration case is reproduced after the division by its own q", "[kernel][waves][calibration]") {
  // H100 1024x2145x1024 fp8 (Azure ND H100 v5, 410.7 TFLOP/s): 8 x ceil(2145/128) = 8 x 17 = 136
  // tiles on 132 SMs: 2 waves, q = 1024 * 2145 / (2 * 132 * 128^2) = 2196480 / 4325376 = 0.5078125.
  // Its point: efficiency 410.7 / 1978.9 = 0.207540, full-wave efficiency 0.207540 / 0.5078125 = 0.408694;
  // predicting the case multiplies by the same q: 410.7 TFLOP/s again.
  const GpuSpec& h100 = gpu("h100");
  const auto cases = read_published_cases(kPublished, "h100");
  const GpuCalibration fitted = fit_calibration(h100, cases, "test");
  const CalibrationTable& fp8 = fitted.compute.at({KernelClass::Gemm, Precision::fp8});
  const auto p = std::find_if(fp8.points().begin(), fp8.points().end(),
                              [](const CalibrationPoint& q) { return q.case_id == "azure_nd_h100_v5_gemm_fp8_1024x2145x1024"; });
  REQUIRE(p != fp8.points().end());
  CHECK(p->shape == "1024x2145x1024");
  CHECK(p->useful_fraction == near(2196480.0 / 4325376.0));
  CHECK(p->efficiency == near(410.7 / 1978.9));
  // Every fit GEMM case of H100 and MI300X comes back at its measured rate (no rounding in memory).
  for (const char* id : {"h100", "mi300x"}) {
    const GpuSpec& g = gpu(id);
    const auto all = read_published_cases(std::vector<std::string>{kPublished, kSupplementary}, id);
    const GpuCalibration c = fit_calibration(g, all, "test");
    for (const auto& r : compare_cases(g, &c, all)) {
      if (r.skipped || r.note != "fit point" || r.unit != "TFLOP/s") continue;
      INFO(r.id);
      CHECK(r.predicted == Approx(r.measured).epsilon(1e-9));
    }
  }
}

TEST_CASE("kernel waves: MI300X hipBLASLt shapes", "[kernel][waves][mi300x]") {
  const GpuSpec& mi300x = gpu("mi300x");
  // The BF16 max-achievable-FLOPs shape 4096x4864 = 16 x 256 by 19 x 256: 304 tiles of 256x256 on
  // 304 CUs, one full wave, q = 1.
  const auto maf = gemm_waves(mi300x, GemmShape{4096, 4864, 32896}, Precision::bf16);
  REQUIRE(maf.has_value());
  CHECK(maf->tile.m == 256);
  CHECK(maf->tile.n == 256);
  CHECK(maf->tiles == 304.0);
  CHECK(maf->waves == 1.0);
  CHECK(maf->useful_fraction == near(1.0));
  // FP8: the 256x192 tile; 4096x3648 = 16 x 256 by 19 x 192 is again one full wave.
  const auto fp8 = gemm_waves(mi300x, GemmShape{4096, 3648, 32896}, Precision::fp8);
  REQUIRE(fp8.has_value());
  CHECK(fp8->tile.n == 192);
  CHECK(fp8->tiles == 304.0);
  CHECK(fp8->useful_fraction == near(1.0));
  // rocBLAS fp16 1024x2048x512, batch 5: 4 x 8 x 5 = 160 tiles, one wave on 304 CUs:
  // q = 1024 * 2048 * 5 / (304 * 256^2) = 10485760 / 19922944 = 10/19 = 0.526316.
  const auto batched = gemm_waves(mi300x, GemmShape{1024, 2048, 512, 5}, Precision::fp16);
  REQUIRE(batched.has_value());
  CHECK(batched->tiles == 160.0);
  CHECK(batched->useful_fraction == near(10.0 / 19.0));

  // With the BF16 MAF point alone (708 TFLOP/s: efficiency 708 / 1307.4 = 0.541533 at q = 1, a
  // flat table), N = 4096 instead of 4864 leaves 304 - 16 x 16 = 48 CUs idle:
  // q = 256 / 304 = 0.842105, eta = 0.541533 * 0.842105 = 0.456028, 596.2 TFLOP/s.
  GpuCalibration c;
  c.gpu = "mi300x";
  c.compute[{KernelClass::Gemm, Precision::bf16}] =
      CalibrationTable({CalibrationPoint(2.0 * 4096 * 4864 * 32896, 708.0 / 1307.4, "maf", 1.0, "4096x4864x32896")});
  const KernelEstimate same = estimate_kernel(mi300x, &c, gemm_work(GemmShape{4096, 4864, 32896}, Precision::bf16));
  CHECK(same.eta_compute == near(708.0 / 1307.4));
  const KernelEstimate e = estimate_kernel(mi300x, &c, gemm_work(GemmShape{4096, 4096, 32896}, Precision::bf16));
  REQUIRE(e.gemm_waves.has_value());
  CHECK(e.gemm_waves->tiles == 256.0);
  CHECK(e.eta_compute == near(708.0 / 1307.4 * 256.0 / 304.0));
  CHECK(2.0 * 4096 * 4096 * 32896 / e.time.value() == near(708e12 * 256.0 / 304.0));  // 596.2 TFLOP/s
}

TEST_CASE("kernel waves: MI455X borrows MI355X's 256 CUs and says so", "[kernel][waves][catalog]") {
  const GpuSpec& mi355x = gpu("mi355x");
  const GpuSpec& mi455x = gpu("mi455x");
  REQUIRE(mi355x.compute_units.has_value());
  REQUIRE(mi455x.compute_units.has_value());
  CHECK(*mi355x.compute_units == 256);
  CHECK(*mi455x.compute_units == 256);
  CHECK(mi455x.provenance.at("compute_units").kind == "estimate");
  // The MI300X MAF shape on 256 CUs: 304 tiles, 2 waves, q = 304 / 512 = 0.59375.
  const auto w = gemm_waves(mi455x, GemmShape{4096, 4864, 32896}, Precision::bf16);
  REQUIRE(w.has_value());
  CHECK(w->waves == 2.0);
  CHECK(w->useful_fraction == near(304.0 / 512.0));
  const auto cal = calibration_for(mi455x, test::shipped(), std::string(RACKSIM_SOURCE_DIR) + "/models/catalog/calibration");
  REQUIRE(cal.has_value());
  const KernelEstimate e = estimate_kernel(mi455x, &*cal, gemm_work(GemmShape{4096, 4864, 32896}, Precision::bf16));
  REQUIRE(e.gemm_waves.has_value());
  CHECK(noted(e, "256 compute units is an estimate: GAP"));
}

TEST_CASE("kernel waves: a calibration file without shapes still loads, with q = 1", "[kernel][waves][calibration]") {
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("racksim-{}-old-calibration.yaml", ::getpid())).string();
  {
    std::ofstream out(path);
    out << "schema_version: 1\ngpu: toy\nsource: \"hand-made\"\ngemm:\n  bf16:\n"
           "    - {flops: 1e11 FLOP, efficiency: 0.6, case: old}\n"
           "    - {flops: 1e12 FLOP, efficiency: 0.7, shape: 5000x10000x10000, useful_fraction: 0.875, case: new}\n";
  }
  const GpuCalibration c = load_calibration(path);
  std::remove(path.c_str());
  const auto& pts = c.compute.at({KernelClass::Gemm, Precision::bf16}).points();
  REQUIRE(pts.size() == 2);
  CHECK(pts[0].useful_fraction == 1.0);
  CHECK(pts[0].shape.empty());
  CHECK(pts[1].useful_fraction == near(0.875));
  CHECK(pts[1].shape == "5000x10000x10000");
  // Full-wave efficiencies: 0.6 / 1 and 0.7 / 0.875 = 0.8.
  CHECK(c.compute.at({KernelClass::Gemm, Precision::bf16}).full_waves_at(1e12) == near(0.8));
  CHECK(c.compute.at({KernelClass::Gemm, Precision::bf16}).at(1e12) == near(0.7));
}
