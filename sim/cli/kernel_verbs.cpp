#include "sim/cli/kernel_verbs.hpp"

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "models/calibration.hpp"
#include "core/atomic_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <cstdlib>
#include <map>

#include <cmath>
#include <fstream>
#include <ostream>

namespace racksim {

namespace {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // --name -> value ("" for flags)
};

Args parse(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
           const std::vector<std::string>& flags, const std::string& verb) {
  Args a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s.rfind("--", 0) != 0) {
      a.positional.push_back(s);
      continue;
    }
    std::string name = s;
    std::string value;
    bool has_inline = false;
    if (const auto eq = s.find('='); eq != std::string::npos) {
      name = s.substr(0, eq);
      value = s.substr(eq + 1);
      has_inline = true;
    }
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      a.options[name] = "";
    } else if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
      if (!has_inline) {
        if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value", name));
        value = args[++i];
      }
      a.options[name] = value;
    } else {
      throw UsageError(fmt::format("unknown option '{}' for '{}'", name, verb));
    }
  }
  return a;
}

std::string required(const Args& a, const std::string& name, const std::string& verb) {
  const auto it = a.options.find(name);
  if (it == a.options.end()) throw UsageError(fmt::format("'{}' needs {}", verb, name));
  return it->second;
}

const GpuSpec& gpu_or_fail(const Catalog& c, const std::string& id) {
  if (const GpuSpec* g = c.find_gpu(id)) return *g;
  std::string ids;
  for (const auto& x : c.gpu_ids()) ids += (ids.empty() ? "" : ", ") + x;
  throw InputError(Location{"--gpu", 0, 0, ""}, fmt::format("unknown GPU '{}'; catalog GPUs: {}", id, ids));
}

Location opt_loc(const std::string& name, const std::string& value) { return Location{fmt::format("{} {}", name, value), 0, 0, ""}; }

std::vector<std::int64_t> dims(const std::string& opt, const std::string& text, std::size_t min_n, std::size_t max_n) {
  std::vector<std::int64_t> v;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto x = text.find('x', start);
    if (x == std::string::npos) x = text.size();
    const std::string part = text.substr(start, x - start);
    char* end = nullptr;
    errno = 0;
    const long long d = std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || !std::isdigit(static_cast<unsigned char>(part[0])) || end != part.c_str() + part.size() ||
        errno == ERANGE || d <= 0)
      throw InputError(opt_loc(opt, text), fmt::format("expected positive integers joined by 'x', got '{}'", part));
    v.push_back(d);
    start = x + 1;
  }
  if (v.size() < min_n || v.size() > max_n)
    throw InputError(opt_loc(opt, text), fmt::format("expected {} to {} dimensions joined by 'x'", min_n, max_n));
  return v;
}

Precision dtype_of(const std::string& s) {
  const auto p = precision_from_string(s);
  if (!p) throw InputError(opt_loc("--dtype", s), fmt::format("unknown dtype '{}'; valid: {}", s, precision_names()));
  return *p;
}

std::string calibration_dir(const std::string& data_dir) { return data_dir + "/models/catalog/calibration"; }

}  // namespace

int cmd_predict(const std::vector<std::string>& raw, const std::string& data_dir, std::ostream& out) {
  const Args a = parse(raw, {"--gpu", "--gemm", "--stream", "--bytes", "--attention", "--dtype", "--clock", "--hbm-clock-ratio"},
                       {"--json", "--causal"}, "predict");
  if (a.positional.size() != 1 || a.positional[0] != "kernel")
    throw UsageError("usage: racksim predict kernel --gpu ID (--gemm MxNxK[xBATCH] | --stream OP --bytes SIZE | "
                     "--attention BxHxSxD [--causal]) [--dtype DT] [--clock MHz] [--hbm-clock-ratio R] [--json]");
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const GpuSpec& gpu = gpu_or_fail(catalog, required(a, "--gpu", "predict kernel"));
  const int kinds = static_cast<int>(a.options.count("--gemm") + a.options.count("--stream") + a.options.count("--attention"));
  if (kinds != 1) throw UsageError("predict kernel needs exactly one of --gemm, --stream, --attention");
  KernelWork w;
  if (a.options.count("--gemm")) {
    const auto d = dims("--gemm", a.options.at("--gemm"), 3, 4);
    GemmShape s{d[0], d[1], d[2], d.size() > 3 ? d[3] : 1, false, false};
    w = gemm_work(s, dtype_of(required(a, "--dtype", "predict kernel --gemm")));
  } else if (a.options.count("--attention")) {
    const auto d = dims("--attention", a.options.at("--attention"), 4, 4);
    AttentionShape s{d[0], d[1], d[2], d[3], a.options.count("--causal") > 0};
    w = attention_work(s, dtype_of(required(a, "--dtype", "predict kernel --attention")));
  } else {
    const std::string opname = a.options.at("--stream");
    const auto op = stream_op_from_string(opname);
    if (!op) throw InputError(opt_loc("--stream", opname), "unknown stream kernel; valid: copy, scale, add, triad, dot");
    const std::string bytes_text = required(a, "--bytes", "predict kernel --stream");
    Bytes size;
    try {
      size = parse_bytes(bytes_text);
    } catch (const UnitError& e) {
      throw InputError(opt_loc("--bytes", bytes_text), e.what());
    }
    const Precision dt = a.options.count("--dtype") ? dtype_of(a.options.at("--dtype")) : Precision::fp64;
    w = stream_work(*op, size, dt);
  }
  ClockState clock;
  if (a.options.count("--clock")) {
    const std::string t = a.options.at("--clock");
    try {
      clock.core = parse_hertz(t.find_first_not_of("0123456789.") == std::string::npos ? t + " MHz" : t);
    } catch (const UnitError& e) {
      throw InputError(opt_loc("--clock", t), e.what());
    }
  }
  if (a.options.count("--hbm-clock-ratio")) {
    const std::string t = a.options.at("--hbm-clock-ratio");
    char* end = nullptr;
    clock.hbm_ratio = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || !(clock.hbm_ratio > 0.0))
      throw InputError(opt_loc("--hbm-clock-ratio", t), "expected a number greater than zero");
  }
  const auto cal = calibration_for(gpu, catalog, calibration_dir(data_dir));
  KernelEstimate e;
  try {
    e = estimate_kernel(gpu, cal ? &*cal : nullptr, w, clock);
  } catch (const InputError&) {
    throw;
  } catch (const Error& err) {
    throw InputError(Location{"racksim predict", 0, 0, ""}, err.what());
  }
  const double t = e.time.value();
  if (a.options.count("--json")) {
    JsonWriter j;
    j.begin_object();
    j.field("gpu", gpu.id).field("kernel", w.description).field("class", to_string(w.cls)).field("dtype", to_string(w.dtype));
    j.field("time_s", t).field("launch_overhead_s", e.launch_overhead.value());
    j.field("flops", w.flops.value()).field("bytes", w.bytes.value());
    if (w.flops.value() > 0) j.field("flops_per_s", w.flops.value() / t);
    if (w.bytes.value() > 0) j.field("bytes_per_s", w.bytes.value() / t);
    j.field("bound", std::string(e.compute_bound ? "compute" : "memory"));
    j.field("eta_compute", e.eta_compute).field("eta_memory", e.eta_memory);
    j.key("calibration_points").begin_array();
    for (const auto& p : e.points_used) j.value(p);
    j.end_array();
    j.key("notes").begin_array();
    for (const auto& n : e.notes) j.value(n);
    j.end_array();
    j.end_object();
    out << j.str();
    return 0;
  }
  out << fmt::format("{} on {} ({})\n", w.description, gpu.id, gpu.name);
  out << fmt::format("  time                {} (device; + {} launch overhead)\n", format_seconds(e.time), format_seconds(e.launch_overhead));
  if (w.flops.value() > 0) out << fmt::format("  achieved            {}\n", format_flop_rate(FlopRate(w.flops.value() / t)));
  if (w.bytes.value() > 0) out << fmt::format("  HBM traffic         {} at {}\n", format_bytes(w.bytes), format_rate(BytesPerSecond(w.bytes.value() / t)));
  out << fmt::format("  bound               {} (compute {}, memory {})\n", e.compute_bound ? "compute" : "memory",
                     format_seconds(e.compute_time), format_seconds(e.memory_time));
  out << fmt::format("  efficiency          compute {:.3f}, memory {:.3f}\n", e.eta_compute, e.eta_memory);
  std::string used;
  for (const auto& p : e.points_used) used += (used.empty() ? "" : ", ") + p;
  out << fmt::format("  calibration points  {}\n", used.empty() ? "none" : used);
  for (const auto& n : e.notes) out << fmt::format("  note                {}\n", n);
  return 0;
}

namespace {
void print_results(std::ostream& out, const std::vector<CaseResult>& rs, const char* title) {
  out << fmt::format("\n{}\n  {:<58} {:>10} {:>10} {:>9}  {}\n", title, "case", "measured", "predicted", "error", "");
  for (const auto& r : rs) {
    if (r.skipped) {
      out << fmt::format("  {:<58} {:>10} {:>10} {:>9}  skipped: {}\n", r.id, "-", "-", "-", r.note);
      continue;
    }
    out << fmt::format("  {:<58} {:>10.4g} {:>10.4g} {:>8.1f}%  {} ({})\n", r.id, r.measured, r.predicted, 100.0 * r.error,
                       r.unit, r.note);
  }
  const CaseResult* worst = nullptr;
  for (const auto& r : rs)
    if (!r.skipped && (!worst || std::fabs(r.error) > std::fabs(worst->error))) worst = &r;
  out << fmt::format("  median |error| {:.2f}%", 100.0 * median_abs_error(rs));
  if (worst) out << fmt::format("; worst {} at {:+.1f}%", worst->id, 100.0 * worst->error);
  out << "\n";
}
}  // namespace

int cmd_calibrate(const std::vector<std::string>& raw, const std::string& data_dir, std::ostream& out) {
  const Args a = parse(raw, {"--gpu", "--out"}, {"--force"}, "calibrate");
  if (a.positional.empty()) throw UsageError("usage: racksim calibrate MEASUREMENTS... --gpu ID --out FILE [--force]");
  const std::string out_path = required(a, "--out", "calibrate");
  if (std::ifstream(out_path) && !a.options.count("--force"))
    throw OutputError(fmt::format("{} exists; racksim never overwrites a calibration without --force", out_path));
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const GpuSpec& gpu = gpu_or_fail(catalog, required(a, "--gpu", "calibrate"));
  const auto cases = read_published_cases(a.positional, gpu.id);
  std::size_t usable = 0;
  for (const auto& c : cases) usable += c.work && c.fit_point ? 1 : 0;
  if (usable == 0)
    throw InputError(Location{a.positional[0], 0, 0, ""}, fmt::format("no usable kernel case for GPU '{}'", gpu.id));
  const auto before = calibration_for(gpu, catalog, calibration_dir(data_dir));
  std::string base;
  for (const auto& p : a.positional) base += (base.empty() ? "" : " + ") + std::filesystem::path(p).filename().string();
  const GpuCalibration after = fit_calibration(gpu, cases, base);
  print_results(out, compare_cases(gpu, before ? &*before : nullptr, cases),
                before ? "before (the current tables):" : "before (no tables: plain roofline):");
  print_results(out, compare_cases(gpu, &after, cases), "after (the refitted tables):");
  print_results(out, leave_one_out(gpu, cases, base), "leave-one-out (each fit case predicted by tables fitted without it):");
  std::string cmd = "racksim calibrate";
  for (const auto& p : a.positional) cmd += " " + p;
  write_atomic(out_path, calibration_yaml(after, fmt::format("{} --gpu {}", cmd, gpu.id)));
  out << fmt::format("\nwrote {}\n", out_path);
  return 0;
}

int cmd_validate(const std::vector<std::string>& raw, const std::string& data_dir, std::ostream& out) {
  const Args a = parse(raw, {"--gpu", "--budget"}, {"--json", "--leave-one-out"}, "validate");
  if (a.positional.empty())
    throw UsageError("usage: racksim validate MEASUREMENTS... --gpu ID [--budget PERCENT] [--leave-one-out] [--json]");
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const GpuSpec& gpu = gpu_or_fail(catalog, required(a, "--gpu", "validate"));
  double budget = 0.05;
  if (a.options.count("--budget")) {
    const std::string t = a.options.at("--budget");
    char* end = nullptr;
    budget = std::strtod(t.c_str(), &end) / 100.0;
    if (end != t.c_str() + t.size() || !(budget > 0.0)) throw InputError(opt_loc("--budget", t), "expected a percentage greater than zero");
  }
  std::vector<MeasurementProvenance> provenance;
  const auto cases = read_published_cases(a.positional, gpu.id, &provenance);
  const auto cal = calibration_for(gpu, catalog, calibration_dir(data_dir));
  const auto rs = a.options.count("--leave-one-out") ? leave_one_out(gpu, cases, "validation")
                                                     : compare_cases(gpu, cal ? &*cal : nullptr, cases);
  const double med = median_abs_error(rs);
  if (a.options.count("--json")) {
    JsonWriter j;
    j.begin_object();
    j.field("gpu", gpu.id).field("median_abs_error", med).field("budget", budget);
    j.key("cases").begin_array();
    for (const auto& r : rs) {
      j.begin_object().field("id", r.id);
      if (r.skipped) {
        j.field("skipped", r.note);
      } else {
        j.field("unit", r.unit).field("predicted", r.predicted).field("measured", r.measured).field("error", r.error);
        j.field("role", r.note);
      }
      j.end_object();
    }
    j.end_array().end_object();
    out << j.str();
  } else {
    std::string files;
    for (const auto& p : a.positional) files += (files.empty() ? "" : ", ") + p;
    // Where racksim's own measurements were taken (the files' provenance).
    for (const auto& m : provenance)
      out << fmt::format("{}: {} ({}), driver {}, {}, measured {} on {}\n", m.file, m.device, m.arch, m.driver, m.runtime, m.date,
                         m.host);
    print_results(out, rs,
                  fmt::format("{} kernel model vs {}{}:", gpu.id, files,
                              a.options.count("--leave-one-out") ? " (leave-one-out refits)" : "").c_str());
    out << fmt::format("  budget: median |error| <= {:.1f}%: {}\n", 100.0 * budget, med <= budget ? "within" : "EXCEEDED");
  }
  return med <= budget ? 0 : 1;
}

}  // namespace racksim
