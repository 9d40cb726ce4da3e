#include "models/catalog.hpp"

#include "core/yaml_doc.hpp"

#include <fmt/format.h>

#include <set>

namespace racksim {

namespace {

const std::vector<std::string>& valid_kinds() {
  static const std::vector<std::string> k = {"spec", "spec_secondary", "measured", "estimate", "derived"};
  return k;
}

// Reads {value, kind, source, note} and returns the `value` node; records provenance.
class SourcedReader {
public:
  SourcedReader(std::set<std::string> sources, std::map<std::string, Provenance>& prov)
      : sources_(std::move(sources)), prov_(prov) {}

  ConfigNode read(const ConfigNode& node, const std::string& field) {
    MapReader m(node, fmt::format("sourced value '{}' (expected {{value, kind, source, note}})", field));
    ConfigNode value = m.required("value");
    Provenance p;
    p.kind = m.required("kind").as_choice(valid_kinds());
    const ConfigNode src = m.required("source");
    p.source = src.as_string();
    std::size_t start = 0;
    while (start <= p.source.size()) {
      auto comma = p.source.find(',', start);
      if (comma == std::string::npos) comma = p.source.size();
      std::string id = p.source.substr(start, comma - start);
      while (!id.empty() && id.front() == ' ') id.erase(id.begin());
      while (!id.empty() && id.back() == ' ') id.pop_back();
      if (sources_.count(id) == 0)
        src.fail(fmt::format("source id '{}' is not defined in this file's 'sources:' table", id));
      start = comma + 1;
    }
    if (auto note = m.optional("note")) p.note = note->as_string();
    m.finish();
    prov_[field] = p;
    return value;
  }

private:
  std::set<std::string> sources_;
  std::map<std::string, Provenance>& prov_;
};

std::map<Precision, FlopRate> read_rates(const ConfigNode& node, SourcedReader& sr, const std::string& field) {
  std::map<Precision, FlopRate> out;
  for (const auto& [name, child] : node.entries()) {
    const auto p = precision_from_string(name);
    if (!p) child.fail(fmt::format("unknown precision '{}'; valid: {}", name, precision_names()));
    out[*p] = sr.read(child, field + "." + name).as_flop_rate();
  }
  return out;
}

PortConfig parse_port_config(const ConfigNode& n) {
  const std::string s = n.as_string();
  const auto x = s.find(" x ");
  if (x == std::string::npos) n.fail(fmt::format("expected '<ports> x <rate>' such as '128 x 800 Gb/s', got '{}'", s));
  PortConfig c;
  try {
    std::size_t used = 0;
    c.ports = std::stoi(s.substr(0, x), &used);
    if (used != x || c.ports <= 0) throw std::invalid_argument("ports");
  } catch (const std::exception&) {
    n.fail(fmt::format("expected a positive port count before ' x ' in '{}'", s));
  }
  try {
    c.speed = parse_rate(s.substr(x + 3));
  } catch (const UnitError& e) {
    n.fail(e.what());
  }
  if (!(c.speed.value() > 0)) n.fail("port speed must be greater than zero");
  return c;
}

int as_count(const ConfigNode& n) { return static_cast<int>(n.as_int(1, 1'000'000)); }

}  // namespace

std::vector<std::string> shipped_catalog_files(const std::string& data_dir) {
  const std::string d = data_dir + "/models/catalog/";
  return {d + "gpus.yaml", d + "nics.yaml", d + "switches.yaml", d + "links.yaml"};
}

Catalog Catalog::load(const std::vector<std::string>& files) {
  Catalog c;
  for (const auto& f : files) c.load_file(f);
  return c;
}

void Catalog::load_file(const std::string& path) {
  files_.push_back(path);
  const ConfigDoc doc = ConfigDoc::load_file(path);
  MapReader top(doc.root(), "catalog file");
  const auto version = top.required("schema_version");
  if (version.as_int(1, 1000) != 1) version.fail("unsupported catalog schema_version; this racksim reads version 1");
  std::set<std::string> sources;
  for (const auto& [id, text] : top.required("sources").entries()) {
    (void)text.as_string();
    sources.insert(id);
  }

  auto define = [&](const std::string& kind, const std::string& id, const ConfigNode& where) {
    const std::string key = kind + ":" + id;
    const Location loc = where.location();
    const auto [it, inserted] = defined_at_.emplace(key, fmt::format("{}:{}", loc.file, loc.line));
    if (!inserted)
      where.fail(fmt::format("{} id '{}' is already defined at {}; choose another id", kind, id, it->second));
  };

  if (auto gpus = top.optional("gpus")) {
    for (const auto& item : gpus->items()) {
      GpuSpec g;
      SourcedReader sr(sources, g.provenance);
      MapReader m(item, "GPU entry");
      const ConfigNode idn = m.required("id");
      g.id = idn.as_string();
      g.name = m.required("name").as_string();
      g.vendor = m.required("vendor").as_string();
      g.peak_dense = read_rates(m.required("peak_dense"), sr, "peak_dense");
      if (g.peak_dense.empty()) item.fail("peak_dense must list at least one precision");
      if (auto n = m.optional("peak_sparse")) g.peak_sparse = read_rates(*n, sr, "peak_sparse");
      if (auto n = m.optional("compute_units")) g.compute_units = as_count(sr.read(*n, "compute_units"));
      g.clock_max = sr.read(m.required("clock_max"), "clock_max").as_hertz();
      g.hbm_type = sr.read(m.required("hbm_type"), "hbm_type").as_string();
      g.hbm_capacity = sr.read(m.required("hbm_capacity"), "hbm_capacity").as_bytes();
      g.hbm_bandwidth = sr.read(m.required("hbm_bandwidth"), "hbm_bandwidth").as_rate();
      if (auto n = m.optional("hbm_stacks")) g.hbm_stacks = as_count(sr.read(*n, "hbm_stacks"));
      if (auto n = m.optional("llc")) g.llc = sr.read(*n, "llc").as_bytes();
      if (auto n = m.optional("scale_up_bandwidth")) g.scale_up_bandwidth = sr.read(*n, "scale_up_bandwidth").as_rate();
      if (auto n = m.optional("scale_out_bandwidth"))
        g.scale_out_bandwidth = sr.read(*n, "scale_out_bandwidth").as_rate();
      g.board_power = sr.read(m.required("board_power"), "board_power").as_watts();
      if (auto n = m.optional("idle_power")) g.idle_power = sr.read(*n, "idle_power").as_watts();
      g.launch_overhead = sr.read(m.required("launch_overhead"), "launch_overhead").as_duration();
      m.finish();
      define("gpu", g.id, idn);
      gpus_.emplace(g.id, std::move(g));
    }
  }
  if (auto nics = top.optional("nics")) {
    for (const auto& item : nics->items()) {
      NicSpec n;
      SourcedReader sr(sources, n.provenance);
      MapReader m(item, "NIC entry");
      const ConfigNode idn = m.required("id");
      n.id = idn.as_string();
      n.name = m.required("name").as_string();
      n.vendor = m.required("vendor").as_string();
      n.line_rate = sr.read(m.required("line_rate"), "line_rate").as_rate();
      n.host_interface_bandwidth = sr.read(m.required("host_interface_bandwidth"), "host_interface_bandwidth").as_rate();
      n.latency = sr.read(m.required("latency"), "latency").as_duration();
      if (auto p = m.optional("power")) n.power = sr.read(*p, "power").as_watts();
      m.finish();
      define("nic", n.id, idn);
      nics_.emplace(n.id, std::move(n));
    }
  }
  if (auto sws = top.optional("switches")) {
    for (const auto& item : sws->items()) {
      SwitchSpec s;
      SourcedReader sr(sources, s.provenance);
      MapReader m(item, "switch entry");
      const ConfigNode idn = m.required("id");
      s.id = idn.as_string();
      s.name = m.required("name").as_string();
      s.vendor = m.required("vendor").as_string();
      for (const auto& pc : sr.read(m.required("port_configs"), "port_configs").items())
        s.port_configs.push_back(parse_port_config(pc));
      if (s.port_configs.empty()) item.fail("port_configs must list at least one '<ports> x <rate>'");
      s.latency = sr.read(m.required("latency"), "latency").as_duration();
      if (auto c = m.optional("capacity")) s.capacity = sr.read(*c, "capacity").as_rate();
      if (auto p = m.optional("power")) s.power = sr.read(*p, "power").as_watts();
      m.finish();
      define("switch", s.id, idn);
      switches_.emplace(s.id, std::move(s));
    }
  }
  if (auto links = top.optional("links")) {
    for (const auto& item : links->items()) {
      LinkSpec l;
      SourcedReader sr(sources, l.provenance);
      MapReader m(item, "link entry");
      const ConfigNode idn = m.required("id");
      l.id = idn.as_string();
      l.name = m.required("name").as_string();
      l.bandwidth = sr.read(m.required("bandwidth"), "bandwidth").as_rate();
      l.latency = sr.read(m.required("latency"), "latency").as_duration();
      if (auto u = m.optional("usable_fraction")) l.usable_fraction = sr.read(*u, "usable_fraction").as_fraction();
      m.finish();
      define("link", l.id, idn);
      links_.emplace(l.id, std::move(l));
    }
  }
  top.finish();
}

namespace {
template <class M>
std::vector<std::string> keys(const M& m) {
  std::vector<std::string> k;
  for (const auto& kv : m) k.push_back(kv.first);
  return k;
}
template <class M>
const typename M::mapped_type* find_in(const M& m, const std::string& id) {
  const auto it = m.find(id);
  return it == m.end() ? nullptr : &it->second;
}
}  // namespace

const GpuSpec* Catalog::find_gpu(const std::string& id) const { return find_in(gpus_, id); }
const NicSpec* Catalog::find_nic(const std::string& id) const { return find_in(nics_, id); }
const SwitchSpec* Catalog::find_switch(const std::string& id) const { return find_in(switches_, id); }
const LinkSpec* Catalog::find_link(const std::string& id) const { return find_in(links_, id); }
std::vector<std::string> Catalog::gpu_ids() const { return keys(gpus_); }
std::vector<std::string> Catalog::nic_ids() const { return keys(nics_); }
std::vector<std::string> Catalog::switch_ids() const { return keys(switches_); }
std::vector<std::string> Catalog::link_ids() const { return keys(links_); }

}  // namespace racksim
