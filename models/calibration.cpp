#include "models/calibration.hpp"

#include "core/error.hpp"
#include "core/yaml_doc.hpp"
#include "models/attention.hpp"
#include "models/measurements.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace racksim {

std::string hardware_token(const std::string& gpu_id) {
  if (gpu_id == "mi300x") return "MI300X";
  if (gpu_id == "h100") return "H100";
  if (gpu_id == "h200") return "H200";
  if (gpu_id == "mi325x") return "MI325X";
  if (gpu_id == "mi355x") return "MI355X";
  return gpu_id;
}

namespace {

std::optional<Precision> published_dtype(const std::string& s) {
  if (s.rfind("fp16", 0) == 0) return Precision::fp16;  // "fp16 in / fp32 out"
  if (s.rfind("bf16", 0) == 0) return Precision::bf16;
  if (s == "fp8") return Precision::fp8;
  if (s == "fp32") return Precision::fp32;
  if (s == "fp64") return Precision::fp64;
  return std::nullopt;
}

// BabelStream's default array when the case does not say: 2^25 doubles (the file's notes).
constexpr double kDefaultStreamArrayBytes = 33554432.0 * 8.0;

}  // namespace

std::vector<MeasuredCase> read_published_cases(const std::vector<std::string>& paths, const std::string& gpu_id,
                                               std::vector<MeasurementProvenance>* provenance) {
  std::vector<MeasuredCase> all;
  for (const auto& p : paths) {
    auto v = read_published_cases(p, gpu_id, provenance);
    all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  }
  return all;
}

std::vector<MeasuredCase> read_published_cases(const std::string& path, const std::string& gpu_id,
                                               std::vector<MeasurementProvenance>* provenance) {
  const ConfigDoc doc = ConfigDoc::load_file(path);
  const ConfigNode root = doc.root();
  if (is_racksim_measurements(root)) {
    MeasurementProvenance prov;
    auto cases = read_racksim_measurements(doc, gpu_id, hardware_token(gpu_id), &prov);
    if (provenance) provenance->push_back(std::move(prov));
    return cases;
  }
  if (!root.has("cases")) root.fail("expected a published-measurements file with a 'cases:' list");
  const std::string token = hardware_token(gpu_id);
  std::vector<MeasuredCase> out;
  for (const auto& c : root.child("cases").items()) {
    if (!c.has("kind") || c.child("kind").as_string() != "kernel") continue;
    if (!c.has("hardware") || c.child("hardware").as_string().find(token) == std::string::npos) continue;
    MeasuredCase m;
    m.id = c.child("id").as_string();
    m.metric = c.child("metric").as_string();
    const double value = c.child("value").as_number();
    const std::string unit = c.child("unit").as_string();
    const ConfigNode cfg = c.child("config");
    const std::string op = cfg.has("op") ? cfg.child("op").as_string() : "";
    if (m.metric.find("pass") != std::string::npos) {
      m.skip_reason = "an acceptance threshold, not a measurement";
    } else if (op == "GEMM") {
      const std::string dt = cfg.child("dtype").as_string();
      const auto p = published_dtype(dt);
      if (!p) {
        m.skip_reason = fmt::format("dtype '{}' is not modelled", dt);
      } else {
        GemmShape s;
        s.m = cfg.child("m").as_int(1, 1LL << 40);
        s.n = cfg.child("n").as_int(1, 1LL << 40);
        s.k = cfg.child("k").as_int(1, 1LL << 40);
        if (cfg.has("batch")) s.batch = cfg.child("batch").as_int(1, 1LL << 30);
        m.work = gemm_work(s, *p);
        m.fit_point = std::min(s.m, s.n) >= 256;
      }
    } else if (op.rfind("BabelStream", 0) == 0) {
      std::string name = op.substr(op.find(' ') + 1);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      const auto sop = stream_op_from_string(name);
      if (!sop) {
        m.skip_reason = fmt::format("BabelStream kernel '{}' is not modelled", name);
      } else {
        const double array = cfg.has("array_elems") ? cfg.child("array_elems").as_number() * 8.0 : kDefaultStreamArrayBytes;
        m.work = stream_work(*sop, Bytes(array), Precision::fp64);
        m.fit_point = true;
      }
    } else if (op.rfind("Flash Attention", 0) == 0) {
      AttentionShape s;
      s.batch = cfg.child("batch").as_int(1, 1 << 20);
      s.seq = cfg.child("seq_len").as_int(1, 1 << 30);
      s.head_dim = cfg.child("head_dim").as_int(1, 1 << 20);
      s.heads = 16;  // not given; FLOP/s does not depend on it (F and B both scale with heads)
      m.work = attention_work(s, Precision::bf16);
      m.fit_point = true;
    } else if (op.rfind("Standard Attention", 0) == 0) {
      m.skip_reason = "unfused (standard) attention is not the flash-attention kernel class";
    } else if (op.find("Host") != std::string::npos || op.find("Device to Device") != std::string::npos) {
      m.skip_reason = "a host or peer transfer: modelled by the fabric's links, not the kernel model";
    } else if (op.rfind("TransferBench", 0) == 0) {
      m.skip_reason = "a TransferBench run on a subset of CUs or between GPUs: not a whole-GPU kernel";
    } else {
      m.skip_reason = fmt::format("operation '{}' is not modelled", op);
    }
    // Measured value in SI.
    if (unit == "TFLOP/s") m.measured = value * 1e12;
    else if (unit == "TB/s") m.measured = value * 1e12;
    else if (unit == "GB/s") m.measured = value * 1e9;
    else if (m.skip_reason.empty()) m.skip_reason = fmt::format("unit '{}' is not understood", unit);
    if (!m.skip_reason.empty()) m.work.reset();
    out.push_back(std::move(m));
  }
  return out;
}

GpuCalibration fit_calibration(const GpuSpec& gpu, const std::vector<MeasuredCase>& cases, const std::string& source) {
  GpuCalibration c;
  c.gpu = gpu.id;
  c.source = source;
  std::map<std::pair<KernelClass, Precision>, std::vector<CalibrationPoint>> pts;
  for (const auto& m : cases) {
    if (!m.work || !m.fit_point) continue;
    const KernelWork& w = *m.work;
    if (w.cls == KernelClass::Stream) {
      c.stream[w.stream_op] = CalibrationPoint{w.bytes.value(), m.measured / gpu.hbm_bandwidth.value(), m.id};
      continue;
    }
    const auto peak = gpu.peak(w.dtype);
    if (!peak) continue;
    // BF16 and FP16 run on the same matrix units at the same rate: one table, under bf16.
    const Precision key = w.dtype == Precision::fp16 ? Precision::bf16 : w.dtype;
    // Attention: the matmul efficiency that reproduces the measurement through the tiled model
    // (models/attention.hpp), not the measured fraction of peak.
    const double eta = w.cls == KernelClass::Attention && w.attention
                           ? flash_matmul_efficiency(gpu, *w.attention, *peak, m.measured)
                           : m.measured / peak->value();
    CalibrationPoint p{w.size_key, eta, m.id};
    if (w.cls == KernelClass::Gemm && w.gemm) {
      // The point's own tile and wave quantization on this GPU, with the tile of its own
      // precision (an fp16 case keeps its fp16 tile in the bf16 table).
      p.shape = gemm_shape_text(*w.gemm);
      if (const auto waves = gemm_waves(gpu, *w.gemm, w.dtype)) p.useful_fraction = waves->useful_fraction;
    }
    pts[{w.cls, key}].push_back(std::move(p));
  }
  for (auto& [key, v] : pts) c.compute[key] = CalibrationTable(std::move(v));
  return c;
}

std::string calibration_yaml(const GpuCalibration& c, const std::string& generated_by) {
  std::string y;
  y += "# racksim GPU calibration: kernel-model efficiencies fitted from measurements.\n";
  y += fmt::format("# Generated by: {}\n# Refit instead of editing by hand; every point names its case.\n", generated_by);
  y += "schema_version: 1\n";
  y += fmt::format("gpu: {}\n", c.gpu);
  y += fmt::format("source: \"{}\"\n", c.source);
  auto section = [&](KernelClass cls, const char* name, const char* key_name, auto key_text) {
    bool any = false;
    for (const auto& [k, t] : c.compute) {
      if (k.first != cls) continue;
      if (!any) y += fmt::format("{}:\n", name);
      any = true;
      y += fmt::format("  {}:\n", to_string(k.second));
      for (const auto& p : t.points()) {
        // GEMM points also record their shape and its useful fraction q (kernel.hpp), to 10
        // significant digits: dividing by the written q and multiplying by the computed one
        // leaves a calibration case's efficiency as written.
        const std::string shape =
            p.shape.empty() ? "" : fmt::format(", shape: {}, useful_fraction: {:.10g}", p.shape, p.useful_fraction);
        y += fmt::format("    - {{{}: {}, efficiency: {:.4f}{}, case: {}}}\n", key_name, key_text(p.key), p.efficiency, shape,
                         p.case_id);
      }
    }
  };
  section(KernelClass::Gemm, "gemm", "flops", [](double k) { return fmt::format("{:.17g} FLOP", k); });
  section(KernelClass::Attention, "attention", "seq", [](double k) { return fmt::format("{:.0f}", k); });
  if (const auto& b = c.attention_backward) {
    const bool any = std::any_of(c.compute.begin(), c.compute.end(),
                                 [](const auto& kv) { return kv.first.first == KernelClass::Attention; });
    if (!any) y += "attention:\n";
    y += fmt::format("  backward: {{ratio: {:.4f}, cases: \"{}\", fitted: \"{}\", command: \"{}\"}}\n", b->ratio, b->cases,
                     b->fitted, b->command);
  }
  if (!c.stream.empty()) {
    y += "stream:\n";
    for (const auto& [op, p] : c.stream)
      y += fmt::format("  {}: {{efficiency: {:.4f}, case: {}}}\n", to_string(op), p.efficiency, p.case_id);
  }
  return y;
}

GpuCalibration load_calibration(const std::string& path) {
  const ConfigDoc doc = ConfigDoc::load_file(path);
  MapReader top(doc.root(), "calibration file");
  const auto ver = top.required("schema_version");
  if (ver.as_int(1, 1000) != 1) ver.fail("unsupported calibration schema_version; this racksim reads version 1");
  GpuCalibration c;
  c.gpu = top.required("gpu").as_string();
  c.source = top.required("source").as_string();
  auto read_class = [&](const char* name, KernelClass cls, const char* key_name) {
    const auto sec = top.optional(name);
    if (!sec) return;
    for (const auto& [dt, list] : sec->entries()) {
      if (cls == KernelClass::Attention && dt == "backward") {  // the backward/forward ratio
        MapReader m(list, "attention backward ratio");
        AttentionBackwardFit b;
        const ConfigNode r = m.required("ratio");
        b.ratio = r.as_number();
        if (!(b.ratio > 0.0) || b.ratio > 10.0) r.fail("a ratio greater than 0 and at most 10");
        b.cases = m.required("cases").as_string();
        b.fitted = m.required("fitted").as_string();
        b.command = m.required("command").as_string();
        m.finish();
        c.attention_backward = b;
        continue;
      }
      const auto p = precision_from_string(dt);
      if (!p) list.fail(fmt::format("unknown precision '{}'; valid: {}", dt, precision_names()));
      std::vector<CalibrationPoint> pts;
      for (const auto& item : list.items()) {
        MapReader m(item, "calibration point");
        CalibrationPoint cp;
        const ConfigNode k = m.required(key_name);
        cp.key = cls == KernelClass::Gemm ? k.as_flops().value() : static_cast<double>(k.as_int(1, 1LL << 40));
        if (!(cp.key > 0)) k.fail("expected a size greater than zero");
        cp.efficiency = m.required("efficiency").as_fraction();
        cp.case_id = m.required("case").as_string();
        // Optional (files written before the GEMM wave model have neither): q = 1.
        if (cls == KernelClass::Gemm) {
          if (const auto sh = m.optional("shape")) cp.shape = sh->as_string();
          if (const auto q = m.optional("useful_fraction")) cp.useful_fraction = q->as_fraction();
        }
        m.finish();
        pts.push_back(cp);
      }
      c.compute[{cls, *p}] = CalibrationTable(std::move(pts));
    }
  };
  read_class("gemm", KernelClass::Gemm, "flops");
  read_class("attention", KernelClass::Attention, "seq");
  if (const auto st = top.optional("stream")) {
    for (const auto& [name, node] : st->entries()) {
      const auto op = stream_op_from_string(name);
      if (!op) node.fail(fmt::format("unknown stream operation '{}'; valid: copy, mul, add, triad, dot", name));
      MapReader m(node, "stream efficiency");
      CalibrationPoint cp;
      cp.efficiency = m.required("efficiency").as_fraction();
      cp.case_id = m.required("case").as_string();
      m.finish();
      c.stream[*op] = cp;
    }
  }
  top.finish();
  return c;
}

std::optional<GpuCalibration> calibration_for(const GpuSpec& gpu, const Catalog& catalog, const std::string& dir) {
  auto exists = [](const std::string& p) { return static_cast<bool>(std::ifstream(p)); };
  const std::string own = dir + "/" + gpu.id + ".yaml";
  if (exists(own)) return load_calibration(own);
  const std::string fam_path = dir + "/families.yaml";
  if (!exists(fam_path)) return std::nullopt;
  const ConfigDoc doc = ConfigDoc::load_file(fam_path);
  MapReader top(doc.root(), "calibration families file");
  (void)top.required("schema_version").as_int(1, 1);
  std::optional<GpuCalibration> found;
  for (const auto& fam : top.required("families").items()) {
    MapReader m(fam, "family");
    const ConfigNode ref_n = m.required("calibrated");
    const std::string ref = ref_n.as_string();
    for (const auto& member : m.required("members").items()) {
      if (member.as_string() != gpu.id || found) continue;
      const GpuSpec* ref_gpu = catalog.find_gpu(ref);
      if (!ref_gpu) ref_n.fail(fmt::format("family reference GPU '{}' is not in the catalog", ref));
      GpuCalibration c = load_calibration(dir + "/" + ref + ".yaml");
      c.scaled_from = ref;
      // Same fill at the same fraction of the GPU's peak: key scaled by the BF16 (else any
      // common) peak ratio.
      for (const Precision p : {Precision::bf16, Precision::fp16, Precision::fp8, Precision::fp32}) {
        if (gpu.peak(p) && ref_gpu->peak(p)) {
          c.key_scale = gpu.peak(p)->value() / ref_gpu->peak(p)->value();
          break;
        }
      }
      found = std::move(c);
    }
    m.finish();
  }
  top.finish();
  return found;
}

std::vector<CaseResult> compare_cases(const GpuSpec& gpu, const GpuCalibration* cal, const std::vector<MeasuredCase>& cases) {
  std::vector<CaseResult> out;
  for (const auto& m : cases) {
    CaseResult r;
    r.id = m.id;
    if (m.launch) {  // seconds per launch against the catalog's launch overhead, in microseconds
      r.what = "kernel launch spacing";
      r.unit = "us";
      r.measured = m.measured * 1e6;
      r.predicted = gpu.launch_overhead.value() * 1e6;
      r.error = (gpu.launch_overhead.value() - m.measured) / m.measured;
      r.note = "validation only";
      out.push_back(r);
      continue;
    }
    if (!m.work) {
      r.skipped = true;
      r.note = m.skip_reason;
      out.push_back(r);
      continue;
    }
    const KernelWork& w = *m.work;
    r.what = w.description;
    const KernelEstimate e = estimate_kernel(gpu, cal, w);
    const bool bandwidth = w.cls == KernelClass::Stream || w.cls == KernelClass::Copy;
    r.unit = bandwidth ? "TB/s" : "TFLOP/s";
    const double predicted_si = bandwidth ? w.bytes.value() / e.time.value() : w.flops.value() / e.time.value();
    r.measured = m.measured / 1e12;
    r.predicted = predicted_si / 1e12;
    r.error = (predicted_si - m.measured) / m.measured;
    r.note = m.fit_point ? "fit point" : "validation only";
    out.push_back(r);
  }
  return out;
}

std::vector<CaseResult> leave_one_out(const GpuSpec& gpu, const std::vector<MeasuredCase>& cases, const std::string& source) {
  std::vector<CaseResult> out;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i].work || !cases[i].fit_point) continue;
    std::vector<MeasuredCase> rest;
    for (std::size_t j = 0; j < cases.size(); ++j)
      if (j != i) rest.push_back(cases[j]);
    const GpuCalibration c = fit_calibration(gpu, rest, source);
    CaseResult r = compare_cases(gpu, &c, {cases[i]}).front();
    r.note = "left out of the fit";
    out.push_back(r);
  }
  return out;
}

double median_abs_error(const std::vector<CaseResult>& results) {
  std::vector<double> v;
  for (const auto& r : results)
    if (!r.skipped) v.push_back(std::fabs(r.error));
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace racksim
