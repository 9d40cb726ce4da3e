// The reader of racksim's own microbenchmark files (models/measurements.hpp): how each kind of
// case meets the kernel model, the device check, and the errors a malformed file gets.
// tests/data/measurements/fixture-h100.json is a hand-typed input (not a measurement): its
// numbers only have to be positive; what is checked is where each case goes and why.
#include "core/error.hpp"
#include "models/calibration.hpp"
#include "models/measurements.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "catalog_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;
using test::gpu;

namespace {

const std::string kFixture = std::string(RACKSIM_TEST_DATA) + "/measurements/fixture-h100.json";

std::string fixture_text() {
  std::ifstream in(kFixture);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The fixture with `from` replaced by `to`, written to a temporary file; returns its path.
std::string variant(const std::string& name, const std::string& from, const std::string& to) {
  std::string t = fixture_text();
  const auto at = t.find(from);
  REQUIRE(at != std::string::npos);
  t.replace(at, from.size(), to);
  const auto dir = std::filesystem::temp_directory_path() / "racksim-test-measurements";
  std::filesystem::create_directories(dir);
  const auto p = (dir / name).string();
  std::ofstream(p) << t;
  return p;
}

const MeasuredCase& find(const std::vector<MeasuredCase>& v, const std::string& id) {
  for (const auto& c : v)
    if (c.id == id) return c;
  FAIL("no case " << id);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a racksim measurements file is told apart from a published one", "[measurements]") {
  CHECK(is_racksim_measurements(kFixture));
  CHECK(!is_racksim_measurements(std::string(RACKSIM_SOURCE_DIR) + "/validation/reference/published-measurements.yaml"));
}

TEST_CASE("each kind of case meets the kernel model or says why not", "[measurements]") {
  MeasurementProvenance prov;
  const auto cases = read_racksim_measurements(kFixture, "h100", "H100", &prov);
  REQUIRE(cases.size() == 14);
  CHECK(prov.arch == "sm_90");
  CHECK(prov.runtime == "CUDA 13.0");

  // Triad over 3 arrays of 1 GiB = 3.2 GB, against a 50 MB L2: HBM, a fit point; measured in B/s.
  const auto& triad = find(cases, "stream.triad.fp64.1073741824");
  REQUIRE(triad.work);
  CHECK(triad.fit_point);
  CHECK(triad.work->cls == KernelClass::Stream);
  CHECK(triad.measured == 3.0e12);
  // Copy over 2 arrays of 256 KiB = 0.52 MB < 4 x 50 MB: cache-resident, skipped.
  CHECK_THAT(find(cases, "stream.copy.fp64.262144").skip_reason, Contains("cache-resident"));
  CHECK(!find(cases, "stream.copy.fp64.262144").work);
  // Vendor GEMM 8192^3 bf16: a fit point; 128 x 128 output: validation only (narrower than 256).
  const auto& big = find(cases, "gemm.cublas.bf16.8192x8192x8192");
  REQUIRE(big.work);
  CHECK(big.fit_point);
  CHECK(big.work->flops.value() == 2.0 * 8192.0 * 8192.0 * 8192.0);
  CHECK(find(cases, "gemm.cublas.bf16.128x128x8192").work);
  CHECK(!find(cases, "gemm.cublas.bf16.128x128x8192").fit_point);
  CHECK_THAT(find(cases, "gemm.racksim.fp32.4096x4096x4096").skip_reason, Contains("vendor-library GEMMs"));
  // Roofline: fp32 is compared (validation only), bf16 scalar FMAs are not.
  const auto& roof = find(cases, "roofline.fp32.4");
  REQUIRE(roof.work);
  CHECK(!roof.fit_point);
  CHECK(roof.work->flops.value() == 4294967296.0);
  CHECK(roof.work->bytes.value() == 1073741824.0);
  CHECK_THAT(find(cases, "roofline.bf16.64").skip_reason, Contains("matrix cores"));
  // Launch: back to back is compared with the launch overhead, synchronized is skipped.
  CHECK(find(cases, "launch.empty.back_to_back").launch);
  CHECK(find(cases, "launch.empty.back_to_back").skip_reason.empty());
  CHECK_THAT(find(cases, "launch.empty.synchronized").skip_reason, Contains("host synchronization"));
  CHECK_THAT(find(cases, "pointer_chase.1073741824").skip_reason, Contains("no latency or cache level"));
  CHECK_THAT(find(cases, "memcpy.h2d.pinned.268435456").skip_reason, Contains("host<->device"));
  CHECK_THAT(find(cases, "peer_copy.0-1.268435456").skip_reason, Contains("validate --system"));
  CHECK_THAT(find(cases, "allreduce.ring.2.268435456").skip_reason, Contains("validate --system"));
  // A case whose own check failed is not used, whatever its kind.
  const auto& failed = find(cases, "stream.add.fp64.1073741824");
  CHECK(!failed.work);
  CHECK_THAT(failed.skip_reason, Contains("its own result check failed (failed: c[17] = 3.5, expected 3.0)"));
}

TEST_CASE("a launch case is compared with the catalog's launch overhead", "[measurements]") {
  const GpuSpec& h100 = gpu("h100");
  const auto cases = read_racksim_measurements(kFixture, "h100", "H100");
  const auto rs = compare_cases(h100, nullptr, {find(cases, "launch.empty.back_to_back")});
  REQUIRE(rs.size() == 1);
  // error = (L - 2 us) / 2 us with L the catalog's launch overhead, shown in microseconds.
  const double l = h100.launch_overhead.value();
  CHECK(rs[0].unit == "us");
  CHECK(rs[0].measured == Approx(2.0));
  CHECK(rs[0].predicted == Approx(l * 1e6));
  CHECK(rs[0].error == Approx((l - 2.0e-6) / 2.0e-6));
}

TEST_CASE("validate and calibrate read the file through read_published_cases", "[measurements]") {
  const auto cases = read_published_cases(kFixture, "h100");
  std::size_t fit = 0;
  for (const auto& c : cases) fit += c.work && c.fit_point ? 1 : 0;
  CHECK(fit == 2);  // the HBM triad and the 8192^3 vendor GEMM
}

TEST_CASE("a file from another device is refused", "[measurements]") {
  // Measured with --gpu-id h200, read for h100.
  const auto other = variant("h200.json", "\"gpu\": \"\"", "\"gpu\": \"h200\"");
  CHECK_THROWS_WITH(read_racksim_measurements(other, "h100", "H100"),
                    Contains("h200.json:4:") && Contains("key 'gpu': the file was measured on 'h200' (NVIDIA H100"));
  // No catalog id, and a device name that is not an H100.
  const auto unknown = variant("unknown.json", "NVIDIA H100 80GB HBM3", "Contoso Accelerator X");
  CHECK_THROWS_WITH(read_racksim_measurements(unknown, "h100", "H100"),
                    Contains("unknown device: 'Contoso Accelerator X (test fixture, not a measurement)' is not a H100") &&
                        Contains("--gpu-id ID"));
}

TEST_CASE("a malformed measurements file names file, line and key", "[measurements]") {
  // A case without its unit (the triad's is on line 14).
  const auto no_unit = variant("no_unit.json", "\"value\": 3.0e12, \"unit\": \"B/s\",", "\"value\": 3.0e12,");
  CHECK_THROWS_WITH(read_racksim_measurements(no_unit, "h100", "H100"),
                    Contains("no_unit.json:") && Contains("missing required key 'unit'"));
  // A GEMM in B/s: the unit of a gemm case's value is FLOP/s.
  const auto wrong_unit = variant("wrong_unit.json", "\"value\": 5.0e14, \"unit\": \"FLOP/s\"", "\"value\": 5.0e14, \"unit\": \"B/s\"");
  CHECK_THROWS_WITH(read_racksim_measurements(wrong_unit, "h100", "H100"),
                    Contains("wrong_unit.json:19:") && Contains("expected 'FLOP/s' (the unit of a gemm case's value), got 'B/s'"));
  // An unknown kind lists the kinds.
  const auto kind = variant("kind.json", "\"kind\": \"roofline\", \"dtype\": \"fp32\"", "\"kind\": \"rooflines\", \"dtype\": \"fp32\"");
  CHECK_THROWS_WITH(read_racksim_measurements(kind, "h100", "H100"),
                    Contains("kind.json:") && Contains("stream, gemm, roofline, pointer_chase, launch, memcpy, peer_copy, allreduce"));
  // A key the reader does not know (a changed runner) is refused, naming it.
  const auto extra = variant("extra.json", "\"stride_bytes\": 64,", "\"stride_bytes\": 64, \"tlb\": 1,");
  CHECK_THROWS_WITH(read_racksim_measurements(extra, "h100", "H100"), Contains("extra.json:") && Contains("tlb"));
  // A negative value.
  const auto negative = variant("negative.json", "\"value\": 8.0e12", "\"value\": -8.0e12");
  CHECK_THROWS_WITH(read_racksim_measurements(negative, "h100", "H100"),
                    Contains("negative.json:") && Contains("expected a positive FLOP/s value"));
  // The device's L2 is required (it decides what is cache-resident).
  const auto no_l2 = variant("no_l2.json", "\"l2_bytes\": 50000000, ", "");
  CHECK_THROWS_WITH(read_racksim_measurements(no_l2, "h100", "H100"), Contains("missing required key 'l2_bytes'"));
  // A later format version.
  const auto v2 = variant("v2.json", "\"format_version\": 1", "\"format_version\": 2");
  CHECK_THROWS_WITH(read_racksim_measurements(v2, "h100", "H100"), Contains("v2.json:3:") && Contains("expected format_version 1"));
}
