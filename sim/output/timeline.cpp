// racksim output: timeline.json (docs/timeline.md). What the file holds and why is in timeline.hpp;
// this file collects the spans after a run and writes the Chrome trace-event JSON.
//
// Writing: one event per line, keys in a fixed order, strings escaped and numbers formatted by
// JsonWriter's rules, times as whole nanoseconds printed in microseconds ("12.345"), so the same
// run gives the same bytes. Tracks: every span's start and end are rounded to nanoseconds first
// and the lanes are laid out on those integers; rounding keeps order, so spans that were disjoint
// stay disjoint (at most touching) and every track is a sequence of non-overlapping "X" events,
// which Chrome's and Perfetto's importers nest trivially.
#include "sim/output/timeline.hpp"

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "sim/output/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <unordered_map>

namespace racksim {

std::size_t timeline_events(const std::vector<Op>& program) {
  // Every op gives one event: a span (compute, collective, send, recv, delay) or an HBM counter
  // point (alloc, free).
  return program.size();
}

int timeline_rank_count(const Workload& w, int simulated_ranks, std::size_t max_events) {
  const int n = std::min(simulated_ranks, static_cast<int>(w.programs.size()));
  std::size_t total = 0;
  for (int r = 0; r < n; ++r) {
    const std::size_t e = timeline_events(w.programs[static_cast<std::size_t>(r)]);
    if (total + e > max_events) return r;
    total += e;
  }
  return n;
}

TimelineData collect_timeline(const Workload& w, const std::vector<const RankRecord*>& records,
                              const std::vector<std::string>& gpus, int simulated_ranks, std::size_t max_events) {
  TimelineData d;
  d.max_events = max_events;
  d.simulated_ranks = simulated_ranks;
  d.streams = w.streams;
  std::unordered_map<std::string, int> interned;
  const auto intern = [&](const std::string& s) {
    const auto [it, fresh] = interned.emplace(s, static_cast<int>(d.strings.size()));
    if (fresh) d.strings.push_back(s);
    return it->second;
  };
  std::map<int, int> group_of, plan_of;  // workload index -> TimelineData index
  const auto group = [&](int g) {
    const auto [it, fresh] = group_of.emplace(g, static_cast<int>(d.groups.size()));
    if (fresh) {
      const Group& wg = w.groups[static_cast<std::size_t>(g)];
      d.groups.push_back({wg.name, static_cast<int>(wg.ranks.size()), wg.dim});
    }
    return it->second;
  };
  const auto plan = [&](int p) {
    if (p < 0) return -1;
    const auto [it, fresh] = plan_of.emplace(p, static_cast<int>(d.plans.size()));
    if (fresh) {
      const CollectiveMethod& cp = w.plans[static_cast<std::size_t>(p)];
      d.plans.push_back({to_string(cp.shape.algorithm), cp.protocol, cp.chosen, cp.closed_form.has_value(), cp.predicted.value()});
    }
    return it->second;
  };
  if (records.size() > w.programs.size() || gpus.size() != records.size())
    throw Error("internal error: timeline records do not match the workload's ranks");
  for (std::size_t r = 0; r < records.size(); ++r) {
    const std::vector<Op>& program = w.programs[r];
    const RankRecord& rec = *records[r];
    if (rec.op_start.size() != program.size() || rec.op_finish.size() != program.size())
      throw Error(fmt::format("internal error: rank {} did not record its ops' start times for the timeline", r));
    TimelineRank tr;
    tr.rank = static_cast<int>(r);
    tr.gpu = gpus[r];
    std::vector<std::tuple<double, std::size_t, bool>> memory;  // (time, op, is alloc)
    for (std::size_t i = 0; i < program.size(); ++i) {
      const Op& o = program[i];
      const double start = rec.op_start[i];
      const double end = rec.op_finish[i];
      if (start < 0.0 || end < 0.0) continue;  // never ran (a run that ends has run them all)
      if (o.kind == OpKind::Alloc || o.kind == OpKind::Free) {
        memory.emplace_back(end, i, o.kind == OpKind::Alloc);
        continue;
      }
      TimelineSpan s;
      s.start = start;
      s.end = end;
      s.op = static_cast<int>(i);
      s.name = intern(o.id);
      s.stream = o.stream;
      s.kind = o.kind;
      switch (o.kind) {
        case OpKind::Compute:
          s.precision = o.precision;
          if (o.duration) {
            s.measured = true;
            s.flops = o.flops.value();
            s.hbm_bytes = o.hbm_bytes.value();
          } else {
            const KernelWork kw = o.gemm        ? gemm_work(*o.gemm, o.precision)
                                  : o.attention ? attention_work(*o.attention, o.precision)
                                                : generic_work(o.flops, o.precision, o.hbm_bytes);
            s.flops = kw.flops.value();
            s.hbm_bytes = kw.bytes.value();
            s.kernel = intern(to_string(kw.cls));
            if (o.gemm || o.attention) s.shape = intern(kw.description);
          }
          break;
        case OpKind::Collective:
          s.bytes = o.bytes;
          s.collective = o.collective;
          s.group = group(o.group);
          s.plan = plan(o.plan);
          s.dim = w.groups[static_cast<std::size_t>(o.group)].dim;
          break;
        case OpKind::Send:
        case OpKind::Recv:
          s.bytes = o.bytes;
          s.peer = o.peer;
          s.tag = o.tag;
          s.dim = o.dim;
          break;
        case OpKind::Delay:
          s.measured = true;
          break;
        case OpKind::Alloc:
        case OpKind::Free:
          break;
      }
      tr.spans.push_back(s);
    }
    // HBM in use after each alloc and free, in time order (op order within an instant), as the
    // executor counts it: a free never takes the count below zero.
    std::sort(memory.begin(), memory.end());
    std::uint64_t in_use = 0;
    for (const auto& [t, i, alloc] : memory) {
      const std::uint64_t b = program[i].bytes;
      in_use = alloc ? in_use + b : in_use - std::min(in_use, b);
      tr.hbm.emplace_back(t, in_use);
    }
    d.events += timeline_events(program);
    d.ranks.push_back(std::move(tr));
  }
  const int last = std::min(simulated_ranks, static_cast<int>(w.programs.size()));
  for (int r = static_cast<int>(records.size()); r < last; ++r) {
    ++d.ranks_left_out;
    d.events_left_out += timeline_events(w.programs[static_cast<std::size_t>(r)]);
  }
  return d;
}

namespace {

std::int64_t to_ns(double seconds) { return std::llround(seconds * 1e9); }

// Whole nanoseconds as microseconds, exactly: 12345 -> "12.345", 12000 -> "12", -5 -> "-0.005".
std::string us(std::int64_t ns) {
  const bool negative = ns < 0;
  const std::uint64_t a = negative ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  std::string frac = fmt::format("{:03}", a % 1000);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return fmt::format("{}{}{}{}", negative ? "-" : "", a / 1000, frac.empty() ? "" : ".", frac);
}

// One event (or args object) on one line: {"k":v,...}, keys in the order added.
class Line {
public:
  Line& raw(const char* k, const std::string& text) {
    out_ += out_.empty() ? "{" : ",";
    out_ += JsonWriter::escape(k);
    out_ += ':';
    out_ += text;
    return *this;
  }
  Line& str(const char* k, const std::string& v) { return raw(k, JsonWriter::escape(v)); }
  Line& num(const char* k, double v) { return raw(k, JsonWriter::number(v)); }
  Line& integer(const char* k, std::int64_t v) { return raw(k, fmt::format("{}", v)); }
  Line& uinteger(const char* k, std::uint64_t v) { return raw(k, fmt::format("{}", v)); }
  Line& boolean(const char* k, bool v) { return raw(k, v ? "true" : "false"); }
  Line& time(const char* k, std::int64_t ns) { return raw(k, us(ns)); }
  [[nodiscard]] std::string done() const { return out_.empty() ? "{}" : out_ + "}"; }

private:
  std::string out_;
};

// The traceEvents array, written straight into the document: one event per line.
class Events {
public:
  explicit Events(std::string& out) : out_(out) {}
  void push_back(const std::string& event) {
    out_ += count_++ ? ",\n" : "\n";
    out_ += event;
  }

private:
  std::string& out_;
  std::size_t count_ = 0;
};

std::string op_category(const TimelineSpan& s) {
  switch (s.kind) {
    case OpKind::Compute: return "compute";
    case OpKind::Collective: return to_string(s.collective);
    case OpKind::Send: return "send";
    case OpKind::Recv: return "recv";
    case OpKind::Delay: return "delay";
    case OpKind::Alloc: return "alloc";
    case OpKind::Free: return "free";
  }
  return "?";
}

std::string span_args(const TimelineData& d, const TimelineSpan& s, std::int64_t dur_ns) {
  Line a;
  a.integer("op", s.op);
  a.str("stream", s.stream >= 0 && static_cast<std::size_t>(s.stream) < d.streams.size()
                      ? d.streams[static_cast<std::size_t>(s.stream)]
                      : std::string());
  switch (s.kind) {
    case OpKind::Compute:
      if (s.kernel >= 0) a.str("kernel", d.strings[static_cast<std::size_t>(s.kernel)]);
      if (s.shape >= 0) a.str("shape", d.strings[static_cast<std::size_t>(s.shape)]);
      a.str("precision", to_string(s.precision));
      a.num("flops", s.flops);
      a.num("hbm_bytes", s.hbm_bytes);
      if (s.measured) a.boolean("measured", true);
      break;
    case OpKind::Collective: {
      a.str("kind", to_string(s.collective));
      a.uinteger("bytes", s.bytes);
      if (s.group >= 0) {
        const TimelineGroup& g = d.groups[static_cast<std::size_t>(s.group)];
        a.str("group", g.name);
        a.integer("group_size", g.size);
      }
      if (s.dim != ParallelDim::None) a.str("dim", to_string(s.dim));
      if (s.plan >= 0) {
        const TimelineMethod& p = d.plans[static_cast<std::size_t>(s.plan)];
        a.str("algorithm", p.algorithm);
        if (!p.protocol.empty()) a.str("protocol", p.protocol);
        a.boolean("chosen", p.chosen);
        if (p.closed_form) a.boolean("closed_form", true);
        a.time("model_us", to_ns(p.predicted_s));
      }
      break;
    }
    case OpKind::Send:
    case OpKind::Recv:
      a.integer("peer", s.peer);
      a.uinteger("bytes", s.bytes);
      a.integer("tag", s.tag);
      if (s.dim != ParallelDim::None) a.str("dim", to_string(s.dim));
      break;
    case OpKind::Delay:
      a.time("duration_us", dur_ns);
      break;
    case OpKind::Alloc:
    case OpKind::Free:
      break;
  }
  return a.done();
}

std::string metadata(const char* name, int pid, int tid, const char* arg, const std::string& value_json) {
  return Line().str("ph", "M").str("name", name).integer("pid", pid).integer("tid", tid).raw("ts", "0")
      .raw("args", Line().raw(arg, value_json).done()).done();
}

std::string counter(const std::string& name, int pid, std::int64_t ts_ns, const char* unit, double v) {
  return Line().str("ph", "C").str("name", name).integer("pid", pid).integer("tid", 0).time("ts", ts_ns)
      .raw("args", Line().num(unit, v).done()).done();
}

std::string rank_range(int first, int last) {
  return first == last ? fmt::format("{}", first) : fmt::format("{}-{}", first, last);
}

// "rank 3 (40 events)" or "ranks 3-9 (7 ranks, 280 events)".
std::string ranks_phrase(int first, int count, std::size_t events) {
  return count == 1 ? fmt::format("rank {} ({} events)", first, events)
                    : fmt::format("ranks {}-{} ({} ranks, {} events)", first, first + count - 1, count, events);
}

// The events of one rank: its process and threads, its spans in time order, its HBM counter.
void write_rank(const TimelineData& d, const TimelineRank& tr, int sort_index, Events& ev) {
  const int pid = tr.rank + 1;
  ev.push_back(metadata("process_name", pid, 0, "name", JsonWriter::escape(fmt::format("rank {} ({})", tr.rank, tr.gpu))));
  ev.push_back(metadata("process_sort_index", pid, 0, "sort_index", fmt::format("{}", sort_index)));
  // Lanes: per stream, spans by start (then end, then op); each goes to the first lane of its
  // stream whose last span has ended by its start.
  struct Placed { std::int64_t start, end; std::size_t span; int tid; };
  std::vector<Placed> placed;
  placed.reserve(tr.spans.size());
  for (std::size_t i = 0; i < tr.spans.size(); ++i) {
    const std::int64_t a = to_ns(tr.spans[i].start);
    placed.push_back({a, std::max(a, to_ns(tr.spans[i].end)), i, 0});
  }
  std::sort(placed.begin(), placed.end(), [&](const Placed& x, const Placed& y) {
    const int sx = tr.spans[x.span].stream, sy = tr.spans[y.span].stream;
    return std::tie(sx, x.start, x.end, tr.spans[x.span].op) < std::tie(sy, y.start, y.end, tr.spans[y.span].op);
  });
  int next_tid = 1;
  for (std::size_t i = 0; i < placed.size();) {
    const int stream = tr.spans[placed[i].span].stream;
    std::vector<std::int64_t> lane_end;
    std::size_t j = i;
    for (; j < placed.size() && tr.spans[placed[j].span].stream == stream; ++j) {
      std::size_t lane = 0;
      while (lane < lane_end.size() && lane_end[lane] > placed[j].start) ++lane;
      if (lane == lane_end.size()) lane_end.push_back(placed[j].end);
      else lane_end[lane] = placed[j].end;
      placed[j].tid = next_tid + static_cast<int>(lane);
    }
    const std::string name =
        stream >= 0 && static_cast<std::size_t>(stream) < d.streams.size() ? d.streams[static_cast<std::size_t>(stream)] : "stream";
    for (std::size_t lane = 0; lane < lane_end.size(); ++lane) {
      const int tid = next_tid + static_cast<int>(lane);
      ev.push_back(metadata("thread_name", pid, tid, "name",
                            JsonWriter::escape(lane == 0 ? name : fmt::format("{} #{}", name, lane + 1))));
      ev.push_back(metadata("thread_sort_index", pid, tid, "sort_index", fmt::format("{}", tid)));
    }
    next_tid += static_cast<int>(lane_end.size());
    i = j;
  }
  std::sort(placed.begin(), placed.end(), [&](const Placed& x, const Placed& y) {
    return std::tie(x.start, x.end, x.tid, tr.spans[x.span].op) < std::tie(y.start, y.end, y.tid, tr.spans[y.span].op);
  });
  for (const Placed& p : placed) {
    const TimelineSpan& s = tr.spans[p.span];
    ev.push_back(Line()
                     .str("ph", "X")
                     .str("name", d.strings[static_cast<std::size_t>(s.name)])
                     .str("cat", op_category(s))
                     .integer("pid", pid)
                     .integer("tid", p.tid)
                     .time("ts", p.start)
                     .time("dur", p.end - p.start)
                     .raw("args", span_args(d, s, p.end - p.start))
                     .done());
  }
  for (const auto& [t, bytes] : tr.hbm)
    ev.push_back(Line().str("ph", "C").str("name", "HBM in use").integer("pid", pid).integer("tid", 0).time("ts", to_ns(t))
                     .raw("args", Line().uinteger("bytes", bytes).done()).done());
}

int rack_count(const RunResult& r) {
  int racks = 0;
  for (const PowerSample& s : r.power_samples) racks = std::max(racks, s.rack + 1);
  return racks;
}

// The power loop's samples, one counter process per rack. A sample closes a window: what it
// averages over the window (power, clocks, utilisation) is drawn from the window's start, what it
// reads at the window's end (lowest clock in force, temperatures, throttled GPUs) from its time.
void write_racks(const RunResult& r, int first_pid, Events& ev) {
  const int racks = rack_count(r);
  for (int k = 0; k < racks; ++k) {
    ev.push_back(metadata("process_name", first_pid + k, 0, "name",
                          JsonWriter::escape(fmt::format("rack {} power and thermal", k))));
    ev.push_back(metadata("process_sort_index", first_pid + k, 0, "sort_index", fmt::format("{}", k)));
  }
  std::vector<double> window_start(static_cast<std::size_t>(racks), 0.0);
  for (const PowerSample& s : r.power_samples) {
    const int pid = first_pid + s.rack;
    const std::int64_t from = to_ns(window_start[static_cast<std::size_t>(s.rack)]);
    const std::int64_t at = to_ns(s.time);
    window_start[static_cast<std::size_t>(s.rack)] = s.time;
    const auto put = [&](const char* name, std::int64_t ts, const char* unit, double v) {
      if (std::isnan(v)) return;
      ev.push_back(counter(name, pid, ts, unit, v));
    };
    put("rack power", from, "W", s.rack_power_w);
    put("GPU power avg", from, "W", s.gpu_power_avg_w);
    put("GPU power max", from, "W", s.gpu_power_max_w);
    put("GPU clock avg", from, "MHz", s.clock_avg_mhz);
    put("compute utilisation", from, "share", s.compute_util);
    put("memory utilisation", from, "share", s.memory_util);
    put("GPU clock min", at, "MHz", s.clock_min_mhz);
    put("throttled GPUs", at, "GPUs", static_cast<double>(s.throttled_gpus));
    put("junction max", at, "C", s.junction_max_c);
    put("HBM max", at, "C", s.hbm_max_c);
    put("coolant out", at, "C", s.coolant_out_c);
  }
}

// The counter events write_racks() writes.
std::size_t rack_counter_events(const RunResult& r) {
  std::size_t n = 0;
  for (const PowerSample& s : r.power_samples)
    for (const double v : {s.rack_power_w, s.gpu_power_avg_w, s.gpu_power_max_w, s.clock_avg_mhz, s.compute_util, s.memory_util,
                           s.clock_min_mhz, static_cast<double>(s.throttled_gpus), s.junction_max_c, s.hbm_max_c, s.coolant_out_c})
      if (!std::isnan(v)) ++n;
  return n;
}

}  // namespace

std::string timeline_coverage(const RunResult& r) {
  if (!r.timeline) return "";
  const TimelineData& d = *r.timeline;
  std::vector<std::string> parts;
  const int kept = static_cast<int>(d.ranks.size());
  if (d.ranks_left_out > 0)
    parts.push_back(fmt::format("{} left out of the timeline, over its {}-event cap; it holds {}",
                                ranks_phrase(kept, d.ranks_left_out, d.events_left_out), d.max_events,
                                kept == 0 ? std::string("no rank") : kept == 1 ? std::string("rank 0")
                                                                                : fmt::format("ranks 0-{}", kept - 1)));
  if (r.reduction.applied && r.reduction.replicas > 1)
    parts.push_back(fmt::format("the timeline holds only the simulated replica's ranks (0-{}), which stand for {} replicas",
                                d.simulated_ranks - 1, r.reduction.replicas));
  std::string line;
  for (const auto& p : parts) line += (line.empty() ? "" : "; ") + p;
  return line;
}

// A serving run's iterations: one process, a thread per instance, one span per iteration with
// what it computed and the instance's queues when it started (docs/timeline.md).
void write_serving(const RunResult& r, int pid, Events& ev) {
  if (r.serving_iterations.empty()) return;
  ev.push_back(metadata("process_name", pid, 0, "name", JsonWriter::escape("serving instances")));
  ev.push_back(metadata("process_sort_index", pid, 0, "sort_index", fmt::format("{}", pid)));
  int instances = 0;
  for (const auto& it : r.serving_iterations) instances = std::max(instances, it.instance + 1);
  for (int i = 0; i < instances; ++i) {
    ev.push_back(metadata("thread_name", pid, i + 1, "name", JsonWriter::escape(fmt::format("instance {}", i))));
    ev.push_back(metadata("thread_sort_index", pid, i + 1, "sort_index", fmt::format("{}", i + 1)));
  }
  for (const auto& it : r.serving_iterations) {
    const std::int64_t a = to_ns(it.start_s);
    const std::int64_t b = std::max(a, to_ns(it.end_s));
    ev.push_back(Line()
                     .str("ph", "X")
                     .str("name", it.prefill_tokens > 0 ? (it.decode_seqs > 0 ? "mixed" : "prefill") : "decode")
                     .str("cat", "iteration")
                     .integer("pid", pid)
                     .integer("tid", it.instance + 1)
                     .time("ts", a)
                     .time("dur", b - a)
                     .raw("args", Line()
                                      .integer("prefill_tokens", it.prefill_tokens)
                                      .integer("prefill_seqs", it.prefill_seqs)
                                      .integer("decode_seqs", it.decode_seqs)
                                      .integer("running", it.running)
                                      .integer("waiting", it.waiting)
                                      .num("kv_used_fraction", it.kv_used_fraction)
                                      .done())
                     .done());
  }
}

std::string timeline_json(const RunResult& r) {
  const TimelineData* d = r.timeline ? &*r.timeline : nullptr;
  const int racks = rack_count(r);
  const int rank_pids = std::max(r.ranks, d ? d->simulated_ranks : 0);
  const std::size_t counters = rack_counter_events(r);

  JsonWriter o;
  o.begin_object();
  o.field("generator", fmt::format("racksim {}", RACKSIM_VERSION));
  o.field("racksim_version", RACKSIM_VERSION);
  o.field("scenario", r.scenario_name);
  o.field("scenario_file", r.scenario_file);
  o.key("overrides").begin_array();
  for (const auto& s : r.overrides) o.value(s);
  o.end_array();
  o.field("workload", r.workload_name);
  o.field("ranks", r.ranks);
  o.field("simulated_time_s", r.simulated_time_s);
  o.field("time_unit", "ts and dur: microseconds of simulated time, whole nanoseconds");
  o.field("spans_collected", d != nullptr);
  if (d) {
    o.field("max_events", static_cast<std::uint64_t>(d->max_events));
    o.field("events", static_cast<std::uint64_t>(d->events));
    o.field("simulated_ranks", d->simulated_ranks);
    o.field("ranks_included", static_cast<int>(d->ranks.size()));
    o.field("ranks_included_range", d->ranks.empty() ? std::string() : rank_range(0, static_cast<int>(d->ranks.size()) - 1));
    o.field("ranks_left_out", d->ranks_left_out);
    o.field("events_left_out", static_cast<std::uint64_t>(d->events_left_out));
  }
  o.field("reduced", r.reduction.applied);
  if (r.reduction.applied) o.field("replicas", r.reduction.replicas);
  o.field("rack_counter_processes", racks);
  o.field("counter_events", static_cast<std::uint64_t>(counters));
  if (r.serving) {
    o.field("serving_iterations", static_cast<std::uint64_t>(r.serving_iterations.size()));
    o.field("serving_iterations_left_out", static_cast<std::uint64_t>(r.serving_iterations_left_out));
  }
  o.key("left_out").begin_array();
  if (!d) o.value("every rank's spans: the run was not asked to collect them (Run::keep_timeline)");
  if (d && d->ranks_left_out > 0)
    o.value(fmt::format("{}: over the {}-event cap (ranks are kept in order, whole)",
                        ranks_phrase(static_cast<int>(d->ranks.size()), d->ranks_left_out, d->events_left_out), d->max_events));
  if (r.reduction.applied && r.reduction.replicas > 1 && d)
    o.value(fmt::format("the ranks of the other {} data-parallel replicas: a reduced run simulates ranks 0-{} only, which "
                        "stand for all {} replicas (docs/scale.md)",
                        r.reduction.replicas - 1, d->simulated_ranks - 1, r.reduction.replicas));
  if (r.serving_iterations_left_out > 0)
    o.value(fmt::format("{} serving iterations after the first {}: over the event cap", r.serving_iterations_left_out,
                        r.serving_iterations.size()));
  o.value("collective steps and individual transfers: a collective is one span from its start to its finish");
  o.value("alloc and free ops: shown as each rank's 'HBM in use' counter, not as spans");
  o.end_array();
  o.end_object();
  std::string other = o.str();
  other.pop_back();  // its newline

  std::string out;
  out.reserve(other.size() + 400 * ((d ? d->events : 0) + counters) + 4096);
  out += "{\"displayTimeUnit\": \"ms\",\n\"otherData\": ";
  out += other;
  out += ",\n\"traceEvents\": [";
  Events ev(out);
  if (d)
    for (const TimelineRank& tr : d->ranks) write_rank(*d, tr, racks + tr.rank, ev);
  write_racks(r, rank_pids + 1, ev);
  write_serving(r, rank_pids + racks + 1, ev);
  out += "\n]}\n";
  return out;
}

}  // namespace racksim
