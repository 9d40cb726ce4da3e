// Sweeps without running anything (sim/studies/sweep.hpp): axis syntax, the grid's order, shards, rows in
// and out of results.jsonl / results.csv, resume's reading of a cut-short file, merging, the
// manifest, and the Slurm script.
#include "core/error.hpp"
#include "sim/output/metrics.hpp"
#include "sim/studies/sweep.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

SweepManifest two_axes() {
  SweepManifest m;
  m.scenario = "scenarios/x.yaml";
  m.scenario_hash = 0x0123456789abcdefULL;
  m.sets = {"cluster.domains=2"};
  m.axes = {parse_axis("power.gpu_cap=400W,600W,750W"), parse_axis("cooling.inlet_temperature=30C,40C")};
  m.points = grid_size(m.axes);
  return m;
}

SweepRow ok_row(const SweepManifest& m, std::size_t p, double t) {
  SweepRow r;
  r.point = p;
  r.values = point_values(m.axes, p);
  r.metrics = {{"simulated_time_s", t}, {"power.energy_j", 1.0 / 3.0}};
  return r;
}

}  // namespace

TEST_CASE("an axis is a key and comma-separated YAML values, with integer ranges", "[sweep]") {
  const SweepAxis a = parse_axis("cluster.domains=1,2,4");
  CHECK(a.key == "cluster.domains");
  CHECK(a.values == std::vector<std::string>{"1", "2", "4"});
  // Commas inside brackets and quotes belong to the value.
  const SweepAxis b = parse_axis("faults=[],[{at: 1 ms, link: [a, b]}], 'x,y'");
  CHECK(b.values == std::vector<std::string>{"[]", "[{at: 1 ms, link: [a, b]}]", "'x,y'"});
  // 2..10:4 is 2, 6, 10; 1..3 is 1, 2, 3; plain values and ranges mix.
  CHECK(parse_axis("k=2..10:4").values == std::vector<std::string>{"2", "6", "10"});
  CHECK(parse_axis("k=1..3,8").values == std::vector<std::string>{"1", "2", "3", "8"});
  CHECK(parse_axis("k=-2..0").values == std::vector<std::string>{"-2", "-1", "0"});
}

TEST_CASE("a bad axis is refused with what was expected", "[sweep]") {
  CHECK_THROWS_WITH(parse_axis("cluster.domains"), Contains("--axis cluster.domains: expected --axis key.path=value1,value2"));
  CHECK_THROWS_WITH(parse_axis("=1,2"), Contains("the key before '=' is empty"));
  CHECK_THROWS_WITH(parse_axis("k=1,,2"), Contains("an empty value"));
  CHECK_THROWS_WITH(parse_axis("k=1,2,1"), Contains("the value '1' appears twice"));
  CHECK_THROWS_WITH(parse_axis("k=[1,2"), Contains("unclosed '[' or '{'"));
  CHECK_THROWS_WITH(parse_axis("k=a..b"), Contains("'a..b' is not an integer range"));
  CHECK_THROWS_WITH(parse_axis("k=5..1"), Contains("range '5..1' is empty"));
  CHECK_THROWS_WITH(parse_axis("k=1..5:0"), Contains("the step must be a positive integer"));
  CHECK_THROWS_AS(parse_axis("k='open"), InputError);
}

TEST_CASE("the grid is row-major with the last axis fastest", "[sweep]") {
  const SweepManifest m = two_axes();
  REQUIRE(m.points == 6);  // 3 x 2
  // Point p = 2 * i + j for value i of the first axis and j of the second.
  CHECK(point_values(m.axes, 0) == std::vector<std::string>{"400W", "30C"});
  CHECK(point_values(m.axes, 1) == std::vector<std::string>{"400W", "40C"});
  CHECK(point_values(m.axes, 4) == std::vector<std::string>{"750W", "30C"});
  CHECK(point_overrides(m.axes, 3) == std::vector<std::string>{"power.gpu_cap=600W", "cooling.inlet_temperature=40C"});
  // 10 axes of 10 values are 1e10 points, past the default limit of 1e7.
  std::vector<SweepAxis> big(10, parse_axis("k=0..9"));
  CHECK_THROWS_WITH(grid_size(big), Contains("more than 10000000 points"));
}

TEST_CASE("shard I of N holds the points p with p mod N = I - 1", "[sweep]") {
  const Shard s = parse_shard("2/3");
  CHECK(s.index == 2);
  CHECK(s.count == 3);
  // Points 1, 4, 7 are 1 mod 3.
  CHECK(!s.holds(0));
  CHECK(s.holds(1));
  CHECK(s.holds(4));
  CHECK(!s.holds(5));
  CHECK(parse_shard("1/1").whole());
  CHECK_THROWS_WITH(parse_shard("0/3"), Contains("expected 1 <= I <= N, got I = 0 and N = 3"));
  CHECK_THROWS_WITH(parse_shard("4/3"), Contains("expected 1 <= I <= N"));
  CHECK_THROWS_WITH(parse_shard("2"), Contains("expected I/N with integers"));
  CHECK(results_stem(s) == "shard-2-of-3");
  CHECK(results_stem(Shard{}) == "results");
}

TEST_CASE("rows go out as one JSON line and one CSV line and come back exactly", "[sweep]") {
  const SweepManifest m = two_axes();
  SweepRow failed;
  failed.point = 5;
  failed.values = point_values(m.axes, 5);
  failed.ok = false;
  failed.error = "simulation failed: \"deadlock\", rank 3";
  const SweepRow ok = ok_row(m, 2, 0.1);
  CHECK(row_jsonl(ok) ==
        "{\"point\":2,\"values\":[\"600W\",\"30C\"],\"status\":\"ok\",\"metrics\":{\"simulated_time_s\":0.1,"
        "\"power.energy_j\":0.3333333333333333}}\n");
  // The CSV quotes a field holding a comma or a quote, doubling the quotes; missing metrics are
  // empty columns, in check_metric_names() order.
  const std::string header = csv_header(m.axes);
  CHECK_THAT(header, Contains("point,power.gpu_cap,cooling.inlet_temperature,status,error,simulated_time_s,"));
  const std::string line = row_csv(failed, m.axes);
  CHECK(line.rfind("5,750W,40C,failed,\"simulation failed: \"\"deadlock\"\", rank 3\",", 0) == 0);
  // One column per metric after the error: as many commas after it as metrics.
  const std::size_t metrics = check_metric_names().size();
  const std::string tail = line.substr(line.find("rank 3\"") + 7);
  CHECK(static_cast<std::size_t>(std::count(tail.begin(), tail.end(), ',')) == metrics);

  const ReadRows back = parse_rows(row_jsonl(ok) + row_jsonl(failed), "results.jsonl", m);
  REQUIRE(back.rows.size() == 2);
  CHECK(!back.dropped_partial);
  CHECK(back.rows[0].metrics[1].second == 1.0 / 3.0);  // exact, not 10 digits
  CHECK(!back.rows[1].ok);
  CHECK(back.rows[1].error == failed.error);
}

TEST_CASE("resume drops a row cut short and refuses rows that do not belong", "[sweep]") {
  const SweepManifest m = two_axes();
  const std::string whole = row_jsonl(ok_row(m, 0, 1.0));
  const std::string cut = row_jsonl(ok_row(m, 1, 2.0)).substr(0, 30);  // killed mid-row: no newline
  const ReadRows r = parse_rows(whole + cut, "results.jsonl", m);
  CHECK(r.rows.size() == 1);
  CHECK(r.dropped_partial);
  // The same row twice (a point finished twice) is kept once; different results are an error.
  CHECK(parse_rows(whole + whole, "results.jsonl", m).rows.size() == 1);
  CHECK_THROWS_WITH(parse_rows(whole + row_jsonl(ok_row(m, 0, 1.5)), "results.jsonl", m),
                    Contains("results.jsonl:2: point 0 appears twice with different results"));
  SweepRow wrong = ok_row(m, 1, 1.0);
  wrong.values = {"400W", "30C"};  // point 1 is (400W, 40C)
  CHECK_THROWS_WITH(parse_rows(row_jsonl(wrong), "results.jsonl", m),
                    Contains("results.jsonl:1: key 'values': expected the values of point 1 in sweep.json's grid"));
  CHECK_THROWS_WITH(parse_rows(row_jsonl(ok_row(m, 0, 1.0)) + "{\"point\":9}\n", "results.jsonl", m),
                    Contains("results.jsonl:2: key 'point': expected a point below 6"));
  CHECK_THROWS_WITH(parse_rows("[1, 2]\n", "results.jsonl", m), Contains("results.jsonl:1"));
}

TEST_CASE("merging sorts by point and refuses conflicting copies", "[sweep]") {
  const SweepManifest m = two_axes();
  const RowSource a{"shard-1-of-2.jsonl", {ok_row(m, 4, 4.0), ok_row(m, 0, 0.5), ok_row(m, 2, 2.0)}};
  const RowSource b{"shard-2-of-2.jsonl", {ok_row(m, 3, 3.0), ok_row(m, 1, 1.0)}};
  const auto rows = merge_rows({a, b});
  REQUIRE(rows.size() == 5);
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i].point == i);
  // The same point in two files with the same content is one row.
  CHECK(merge_rows({a, a}).size() == 3);
  const RowSource c{"results.jsonl", {ok_row(m, 2, 2.5)}};
  CHECK_THROWS_WITH(merge_rows({a, c}), Contains("results.jsonl: point 2 is also in shard-1-of-2.jsonl with different results"));
  CHECK(describe_missing({5}) == "1 point: 5");
  CHECK(describe_missing({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) == "11 points: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...");
}

TEST_CASE("the manifest round-trips and names what differs", "[sweep]") {
  const SweepManifest m = two_axes();
  const SweepManifest back = parse_manifest(manifest_json(m), "sweep.json");
  CHECK(manifest_difference(m, back).empty());
  CHECK(back.scenario_hash == 0x0123456789abcdefULL);
  SweepManifest other = m;
  other.axes[1].values.push_back("50C");
  other.points = grid_size(other.axes);
  CHECK(manifest_difference(m, other) == "the values of axis 'cooling.inlet_temperature' differ");
  other = m;
  other.scenario_hash = 1;
  CHECK_THAT(manifest_difference(m, other), Contains("changed since that sweep ran"));
  // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the algorithm's published test vector).
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  std::string bad = manifest_json(m);
  bad.replace(bad.find("\"points\": 6"), 11, "\"points\": 7");
  CHECK_THROWS_WITH(parse_manifest(bad, "sweep.json"), Contains("key 'points': expected 6, the size of the axes' grid"));
}

TEST_CASE("the Slurm script runs one shard per array task", "[sweep]") {
  const std::string s = slurm_script("/opt/racksim/bin/racksim", {"/data/x.yaml", "--axis", "parallel.tp=4,8", "--out", "/scratch/sw"},
                                     "/scratch/sw", 16, 4, "racksim-x");
  CHECK(s.rfind("#!/bin/bash\n", 0) == 0);
  CHECK_THAT(s, Contains("#SBATCH --array=1-16\n"));
  CHECK_THAT(s, Contains("#SBATCH --cpus-per-task=4\n"));
  CHECK_THAT(s, Contains("RACKSIM=\"${RACKSIM:-/opt/racksim/bin/racksim}\""));
  CHECK_THAT(s, Contains("exec \"$RACKSIM\" sweep /data/x.yaml --axis parallel.tp=4,8 --out /scratch/sw --shard "
                         "\"${SLURM_ARRAY_TASK_ID}/16\""));
  CHECK_THAT(s, Contains("racksim merge /scratch/sw"));
  CHECK(shell_quote("a b'c") == "'a b'\\''c'");
  CHECK(shell_quote("key=v1,v2") == "key=v1,v2");
}
