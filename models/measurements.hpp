// racksim models: reading the measurements file of racksim's own microbenchmarks
// (validation/hip/, written by tools/microbench.sh on a real GPU; format in validation/README.md).
//
// The file is JSON (read as YAML, of which JSON is a subset, so every error names file, line and
// key): "format": "racksim-measurements", "format_version": 1, the device (name, vendor, arch,
// clocks, memory, L2), driver, runtime, date, host, the runner's timing settings, and one object
// per case with its kind, parameters, the median time and the derived value in SI units.
//
// How each kind meets the kernel model (models/kernel.hpp), as a MeasuredCase:
//   stream        copy/scale/add/triad in fp64: stream_work(op, array_bytes); a fit point when its
//                 arrays span at least 4x the L2 (an HBM measurement); smaller ones are skipped as
//                 cache-resident (the model has no cache level)
//   gemm          vendor BLAS (cublas, hipblaslt, rocblas): gemm_work(m, n, k, dtype), a fit point
//                 when m and n are both >= 256, as for published GEMMs; the project's own tiled GEMM
//                 ("racksim") is skipped: the model is of library GEMMs
//   roofline      generic_work(flops, dtype, bytes): validation only
//   launch        back_to_back: the spacing of dependent kernels on one stream, compared with the
//                 GPU's launch_overhead (validation only); synchronized (a host round trip each) is
//                 skipped
//   pointer_chase, memcpy, peer_copy, allreduce: skipped, with the reason (latency and caches are
//                 not modelled; host and peer copies are fabric links; collectives are validated by
//                 `racksim validate --system`)
// A case whose own result check failed is skipped with that failure. The device must be the one
// asked for: the file's "gpu" (the catalog id given to the runner) equal to it, or, when the
// runner was not given one, the device name containing the GPU's marketing name (H100, MI300X).
#pragma once

#include "core/yaml_doc.hpp"
#include "models/calibration.hpp"

#include <string>
#include <vector>

namespace racksim {

// True when a document is a racksim measurements file (its top level has "format":
// "racksim-measurements"); false for other files (published-measurements.yaml).
[[nodiscard]] bool is_racksim_measurements(const ConfigNode& root);
[[nodiscard]] bool is_racksim_measurements(const std::string& path);

// Reads the cases of a racksim measurements file measured on `gpu_id` (`token` is the GPU's
// marketing name, e.g. "H100"). Throws InputError naming file, line and key on a malformed file
// (missing keys, wrong units, unknown kinds) and on a file measured on another device.
// `provenance` gets where it was measured (its `file` is the document's).
[[nodiscard]] std::vector<MeasuredCase> read_racksim_measurements(const ConfigDoc& doc, const std::string& gpu_id,
                                                                  const std::string& token,
                                                                  MeasurementProvenance* provenance = nullptr);
[[nodiscard]] std::vector<MeasuredCase> read_racksim_measurements(const std::string& path, const std::string& gpu_id,
                                                                  const std::string& token,
                                                                  MeasurementProvenance* provenance = nullptr);

}  // namespace racksim
