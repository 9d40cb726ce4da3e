// Unit tests for core/yaml_doc and core/error: strict, located reading of YAML configuration and
// command-line overrides (--set key.path=value).
//
// Documents are given inline with load_string; every expected line and column is counted in the
// text next to the test (1-based, as editors show them). Expected numbers are derived in comments.
#include "core/error.hpp"
#include "core/yaml_doc.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

using test::input_error_of;

ConfigDoc doc_of(const std::string& text) { return ConfigDoc::load_string(text, "test.yaml"); }

}  // namespace

// ---- MapReader: required / optional / finish --------------------------------------------------

TEST_CASE("config: MapReader reads required and optional keys", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "name: rack\n"
      "size: 4\n");
  MapReader r(doc.root(), "widget");
  CHECK(r.required("name").as_string() == "rack");
  const std::optional<ConfigNode> size = r.optional("size");
  REQUIRE(size.has_value());
  CHECK(size->as_int(0, 100) == 4);
  CHECK_FALSE(r.optional("colour").has_value());  // absent optional key: nothing, no error
  CHECK_NOTHROW(r.finish());                       // every key present was read
}

TEST_CASE("config: unknown key names the key and lists the valid keys", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "name: rack\n"    // line 1
      "size: 4\n"       // line 2
      "colour: red\n");  // line 3: "colour: " is 8 characters, so the value 'red' starts at column 9
  MapReader r(doc.root(), "widget");
  (void)r.required("name");
  (void)r.optional("size");
  const InputError e = input_error_of([&] { r.finish(); });
  CHECK(e.where().file == "test.yaml");
  CHECK(e.where().line == 3);
  CHECK(e.where().column == 9);
  CHECK(e.where().key == "colour");
  // "<file>:<line>:<column>: key '<path>': <what>", the valid keys in the order they were read.
  CHECK_THAT(e.what(), StartsWith("test.yaml:3:9: key 'colour': "));
  CHECK_THAT(e.what(), Contains("unknown key 'colour' in widget; valid keys: name, size"));
}

TEST_CASE("config: unknown key in a nested map has the dotted path and its own position", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "cluster:\n"         // line 1
      "  gpu: mi300x\n"    // line 2
      "  gpus: 8\n");      // line 3: "  gpus: " is 8 characters, so '8' is at column 9
  MapReader top(doc.root(), "scenario");
  MapReader cluster(top.required("cluster"), "cluster");
  (void)cluster.required("gpu");
  const InputError e = input_error_of([&] { cluster.finish(); });
  CHECK(e.where().line == 3);
  CHECK(e.where().column == 9);
  CHECK(e.where().key == "cluster.gpus");
  CHECK_THAT(e.what(), Contains("unknown key 'gpus' in cluster; valid keys: gpu"));
}

TEST_CASE("config: duplicate key is rejected at its second occurrence", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "a: 1\n"   // line 1
      "b: 2\n"   // line 2
      "a: 3\n");  // line 3: the repeated key 'a' starts at column 1
  const InputError e = input_error_of([&] { MapReader r(doc.root(), "widget"); });
  CHECK(e.where().line == 3);
  CHECK(e.where().column == 1);
  CHECK(e.where().key == "a");
  CHECK_THAT(e.what(), Contains("duplicate key"));
}

TEST_CASE("config: missing required key names the map and the key", "[config][yaml]") {
  const ConfigDoc doc = doc_of("name: rack\n");  // the map itself starts at line 1, column 1
  MapReader r(doc.root(), "widget");
  const InputError e = input_error_of([&] { (void)r.required("size"); });
  CHECK(e.where().line == 1);
  CHECK(e.where().column == 1);
  // The root map has an empty key path, so no "key '...'" part.
  CHECK_THAT(e.what(), StartsWith("test.yaml:1:1: widget is missing required key 'size'"));
}

TEST_CASE("config: a required key without a value is an error", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "name: rack\n"
      "size:\n");
  MapReader r(doc.root(), "widget");
  const InputError e = input_error_of([&] { (void)r.required("size"); });
  CHECK(e.where().key == "size");
  CHECK_THAT(e.what(), Contains("key 'size' of widget has no value"));
}

TEST_CASE("config: a map reader on a scalar or an empty document says what it expected", "[config][yaml]") {
  const ConfigDoc scalar = doc_of("just text\n");
  CHECK_THAT(input_error_of([&] { MapReader r(scalar.root(), "widget"); }).what(),
             Contains("expected widget to be a map of key: value"));
  const ConfigDoc empty = doc_of("");
  CHECK_THAT(input_error_of([&] { MapReader r(empty.root(), "widget"); }).what(),
             Contains("widget is empty; expected a map of key: value"));
}

// ---- typed values -----------------------------------------------------------------------------

TEST_CASE("config: as_int accepts the range bounds and rejects values outside", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "low: 1\n"
      "high: 8\n"
      "over: 9\n"      // line 3: "over: " is 6 characters, so '9' is at column 7
      "under: 0\n");
  const ConfigNode root = doc.root();
  CHECK(root.child("low").as_int(1, 8) == 1);
  CHECK(root.child("high").as_int(1, 8) == 8);
  const InputError over = input_error_of([&] { (void)root.child("over").as_int(1, 8); });
  CHECK(over.where().line == 3);
  CHECK(over.where().column == 7);
  CHECK_THAT(over.what(), Contains("expected an integer from 1 to 8, got 9"));
  CHECK_THAT(input_error_of([&] { (void)root.child("under").as_int(1, 8); }).what(),
             Contains("expected an integer from 1 to 8, got 0"));
}

TEST_CASE("config: as_int rejects a fraction and text", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "half: 2.5\n"
      "word: many\n");
  CHECK_THAT(input_error_of([&] { (void)doc.root().child("half").as_int(0, 10); }).what(),
             Contains("expected an integer, got '2.5'"));
  CHECK_THAT(input_error_of([&] { (void)doc.root().child("word").as_int(0, 10); }).what(),
             Contains("expected an integer, got 'many'"));
}

TEST_CASE("config: as_choice returns a listed value and lists the choices on error", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "good: ring\n"
      "bad: tree\n");
  const std::vector<std::string> choices = {"ring", "direct"};
  CHECK(doc.root().child("good").as_choice(choices) == "ring");
  const InputError e = input_error_of([&] { (void)doc.root().child("bad").as_choice(choices); });
  CHECK(e.where().key == "bad");
  CHECK_THAT(e.what(), Contains("unknown value 'tree'; expected one of: ring, direct"));
}

TEST_CASE("config: as_rate converts bit rates and rejects zero and negative rates", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "port: 400 Gb/s\n"
      "zero: 0 GB/s\n"
      "negative: -5 GB/s\n");
  CHECK(doc.root().child("port").as_rate().value() == 50e9);  // 400e9 bit/s / 8 = 50e9 B/s
  const InputError zero = input_error_of([&] { (void)doc.root().child("zero").as_rate(); });
  CHECK(zero.where().key == "zero");
  CHECK_THAT(zero.what(), Contains("expected a data rate greater than zero, got '0 GB/s'"));
  CHECK_THAT(input_error_of([&] { (void)doc.root().child("negative").as_rate(); }).what(),
             Contains("expected a data rate greater than zero, got '-5 GB/s'"));
}

TEST_CASE("config: as_bytes accepts binary sizes and zero but not a bare number", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "buffer: 1.5 GiB\n"
      "empty: 0 B\n"
      "bare: 1024\n");
  // 1.5 GiB = 1.5 * 2^30 B = 1.5 * 1073741824 = 1610612736 B (exact in a double)
  CHECK(doc.root().child("buffer").as_bytes().value() == 1610612736.0);
  CHECK(doc.root().child("empty").as_bytes().value() == 0.0);  // sizes may be zero
  CHECK_THAT(input_error_of([&] { (void)doc.root().child("bare").as_bytes(); }).what(),
             Contains("a bare number has no unit"));
}

TEST_CASE("config: as_bool takes only true and false", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "on: true\n"
      "off: false\n"
      "maybe: yes\n");
  CHECK(doc.root().child("on").as_bool());
  CHECK_FALSE(doc.root().child("off").as_bool());
  CHECK_THAT(input_error_of([&] { (void)doc.root().child("maybe").as_bool(); }).what(),
             Contains("expected true or false, got 'yes'"));
}

TEST_CASE("config: items of a list carry an indexed key path", "[config][yaml]") {
  const ConfigDoc doc = doc_of(
      "sizes:\n"        // line 1
      "  - 1 GB\n"      // line 2
      "  - big\n");     // line 3: "  - " is 4 characters, so 'big' is at column 5
  const std::vector<ConfigNode> items = doc.root().child("sizes").items();
  REQUIRE(items.size() == 2);
  CHECK(items[0].as_bytes().value() == 1e9);
  const InputError e = input_error_of([&] { (void)items[1].as_bytes(); });
  CHECK(e.where().key == "sizes[1]");
  CHECK(e.where().line == 3);
  CHECK(e.where().column == 5);
}

// ---- --set overrides --------------------------------------------------------------------------

TEST_CASE("config: override sets a nested key and leaves its siblings", "[config][override]") {
  ConfigDoc doc = doc_of(
      "model:\n"
      "  layers: 32\n"
      "  hidden: 4096\n");
  doc.apply_override("model.layers=64");
  CHECK(doc.root().child("model").child("layers").as_int(1, 1000) == 64);
  CHECK(doc.root().child("model").child("hidden").as_int(1, 100000) == 4096);
}

TEST_CASE("config: override creates the intermediate maps", "[config][override]") {
  ConfigDoc doc = doc_of("name: rack\n");
  doc.apply_override("power.cap.gpu=700 W");
  const ConfigNode power = doc.root().child("power");
  REQUIRE(power.is_map());
  REQUIRE(power.child("cap").is_map());
  CHECK(power.child("cap").child("gpu").as_watts().value() == 700.0);
  CHECK(doc.root().child("name").as_string() == "rack");
}

TEST_CASE("config: override indexes into a list", "[config][override]") {
  ConfigDoc doc = doc_of(
      "stages:\n"
      "  - name: a\n"
      "    gpus: 2\n"
      "  - name: b\n"
      "    gpus: 4\n");
  doc.apply_override("stages.1.gpus=8");  // element 1 (the second, 'b')
  const std::vector<ConfigNode> stages = doc.root().child("stages").items();
  REQUIRE(stages.size() == 2);
  CHECK(stages[0].child("gpus").as_int(0, 100) == 2);
  CHECK(stages[1].child("name").as_string() == "b");
  CHECK(stages[1].child("gpus").as_int(0, 100) == 8);
}

TEST_CASE("config: override value is parsed as YAML", "[config][override]") {
  ConfigDoc doc = doc_of("ranks: 0\n");
  doc.apply_override("ranks=[1, 2]");
  const ConfigNode ranks = doc.root().child("ranks");
  REQUIRE(ranks.is_sequence());
  const std::vector<ConfigNode> items = ranks.items();
  REQUIRE(items.size() == 2);
  CHECK(items[0].as_int(0, 10) == 1);
  CHECK(items[1].as_int(0, 10) == 2);
}

TEST_CASE("config: an error on an overridden key names the override not the file", "[config][override]") {
  ConfigDoc doc = doc_of(
      "model:\n"
      "  layers: 32\n");
  doc.apply_override("model.layers=many");
  const InputError e = input_error_of([&] { (void)doc.root().child("model").child("layers").as_int(1, 1000); });
  CHECK(e.where().file == "--set model.layers=many");
  CHECK(e.where().line == 0);  // a command line has no line
  CHECK_THAT(e.what(), StartsWith("--set model.layers=many: key 'model.layers': expected an integer, got 'many'"));
  CHECK_THAT(e.what(), !Contains("test.yaml"));
}

TEST_CASE("config: keys below an overridden map also point at the override", "[config][override]") {
  ConfigDoc doc = doc_of("name: rack\n");
  doc.apply_override("model={layers: x}");
  const InputError e = input_error_of([&] { (void)doc.root().child("model").child("layers").as_int(1, 10); });
  CHECK(e.where().file == "--set model={layers: x}");
  CHECK(e.where().key == "model.layers");
  // A key that was not overridden still points at the file.
  CHECK(doc.root().child("name").location().file == "test.yaml");
}

TEST_CASE("config: malformed overrides are rejected with a message", "[config][override]") {
  ConfigDoc doc = doc_of(
      "model:\n"
      "  layers: 32\n"
      "stages: [a, b]\n");
  CHECK_THAT(input_error_of([&] { doc.apply_override("model.layers"); }).what(),
             Contains("expected --set key.path=value"));
  CHECK_THAT(input_error_of([&] { doc.apply_override("=5"); }).what(), Contains("expected --set key.path=value"));
  // The list has 2 elements, indices 0 to 1.
  CHECK_THAT(input_error_of([&] { doc.apply_override("stages.5=c"); }).what(),
             Contains("'5' is not an index of this list (0 to 1)"));
  CHECK_THAT(input_error_of([&] { doc.apply_override("model.layers.x=1"); }).what(),
             Contains("cannot set a key below a value that is not a map"));
  CHECK_THAT(input_error_of([&] { doc.apply_override("model..x=1"); }).what(),
             Contains("empty component in key path"));
}

// ---- parse errors and error types -------------------------------------------------------------

TEST_CASE("config: a YAML syntax error is an InputError with its line", "[config][yaml]") {
  const std::string text =
      "a: 1\n"
      "b: 2\n"
      "c: d: e\n";  // line 3: a second ':' inside a plain scalar value is not allowed
  const InputError e = input_error_of([&] { (void)ConfigDoc::load_string(text, "broken.yaml"); });
  CHECK(e.where().file == "broken.yaml");
  CHECK(e.where().line == 3);
  CHECK_THAT(e.what(), StartsWith("broken.yaml:3:"));
  CHECK_THAT(e.what(), Contains("YAML syntax error"));
}

TEST_CASE("config: a missing file is an InputError naming the path", "[config][yaml]") {
  const std::string path = std::string(RACKSIM_TEST_DATA) + "/unit/no-such-file.yaml";
  const InputError e = input_error_of([&] { (void)ConfigDoc::load_file(path); });
  CHECK(e.where().file == path);
  CHECK_THAT(e.what(), Contains("cannot open file"));
}

TEST_CASE("config: error types map to their exit codes", "[config][error]") {
  const InputError input(Location{"f.yaml", 2, 3, "a.b"}, "bad");
  CHECK(input.exit_code() == ExitCode::BadInput);
  CHECK(static_cast<int>(ExitCode::BadInput) == 3);  // README "Exit codes": 3 = invalid input
  const Error& as_base = input;                       // virtual: the base reference still says BadInput
  CHECK(as_base.exit_code() == ExitCode::BadInput);
  CHECK(Error("x").exit_code() == ExitCode::Internal);
  CHECK(UsageError("x").exit_code() == ExitCode::Usage);
  CHECK(SimulationError("x").exit_code() == ExitCode::SimFailed);
  CHECK(OutputError("x").exit_code() == ExitCode::OutputFailed);
}

TEST_CASE("config: Location str prints only the parts it knows", "[config][error]") {
  CHECK(Location{"f.yaml", 2, 3, "a.b"}.str() == "f.yaml:2:3: key 'a.b'");
  CHECK(Location{"f.yaml", 2, 0, ""}.str() == "f.yaml:2");           // no column
  CHECK(Location{"f.yaml", 0, 7, "k"}.str() == "f.yaml: key 'k'");   // a column without a line is dropped
  CHECK(Location{"", 0, 0, ""}.str() == "<input>");
  CHECK_THAT(InputError(Location{"f.yaml", 2, 3, "a.b"}, "bad").what(), Equals("f.yaml:2:3: key 'a.b': bad"));
}

TEST_CASE("config: join_key joins dotted paths", "[config][yaml]") {
  CHECK(join_key("", "a") == "a");
  CHECK(join_key("a.b", "c") == "a.b.c");
}

TEST_CASE("config: an error below an indexed override names the override", "[config][override]") {
  ConfigDoc doc = doc_of(
      "stages:\n"
      "  - gpus: 2\n"
      "  - gpus: 4\n");
  doc.apply_override("stages.1.gpus=many");
  // items() names the element 'stages[1]'; the override was recorded under that form, so the
  // location is the command line, not a position in the file.
  const ConfigNode gpus = doc.root().child("stages").items()[1].child("gpus");
  const Location loc = gpus.location();
  CHECK(loc.file == "--set stages.1.gpus=many");
  CHECK(loc.line == 0);
  CHECK(loc.key == "stages[1].gpus");
}

TEST_CASE("config: an override indexing an empty list says the list is empty", "[config][override]") {
  ConfigDoc doc = doc_of("list: []\n");
  // 0 is not an index of an empty list; the message must not print a wrapped-around range.
  CHECK_THROWS_WITH(doc.apply_override("list.0=1"), Catch::Matchers::Contains("the list is empty"));
}
