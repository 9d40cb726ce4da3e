// Unit tests for core/key_table and the table mode of core/yaml_doc's MapReader: a declarative
// table of keys (type, unit, range, default, kinds, doc) drives the valid keys of each map, the
// unknown-key errors with the nearest keys, typed and range-checked reads, defaults and presets,
// the check of `--set` paths, and the docs' Type and Default cells.
//
// The table below is a small made-up "widget" document; every expected message is derived from
// its rows in the comment next to the check.
#include "core/error.hpp"
#include "core/key_table.hpp"
#include "core/yaml_doc.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using test::input_error_of;

namespace {

KeyTable widget_keys() {
  KeyTable t("widget file",
             {
                 KeySpec("name").text().required().describe("The name"),
                 KeySpec("size").integer(1, 100).default_value("4").describe("How many"),
                 KeySpec("ratio").number().at_least(1).at_most(64).default_value("1")
                     .range_message("expected a ratio from 1 to 64, got {value}").describe("A ratio"),
                 KeySpec("loss").number().at_least(0).below(0.5).optional().describe("A loss rate"),
                 KeySpec("share").fraction().optional().describe("A share"),
                 KeySpec("rate").quantity(UnitFamily::BytesPerSecond).above(0).optional().describe("A rate"),
                 KeySpec("period").quantity(UnitFamily::Seconds).at_least(1e-6).at_most(10.0).default_value("1 ms")
                     .describe("A period"),
                 KeySpec("enabled").flag().default_value("false").describe("On or off"),
                 KeySpec("part").as_map().required().describe("The part"),
                 KeySpec("part.kind").one_of({"small", "large"}).required().describe("Its kind"),
                 KeySpec("part.count").integer(1, 8).required().for_kinds({"small"}).describe("Small parts"),
                 KeySpec("part.gpu").id("GPU").required().for_kinds({"small"}).describe("The GPU"),
                 KeySpec("part.gpu").id("GPU").preset("mi455x").for_kinds({"large"}).describe("The GPU"),
                 KeySpec("part.latency").quantity(UnitFamily::Seconds).at_least(0).default_is("the link's `latency`")
                     .describe("A latency"),
                 KeySpec("items").as_list().optional().describe("Items"),
                 KeySpec("items[].at").quantity(UnitFamily::Seconds).at_least(0).required().describe("When"),
                 KeySpec("tags").as_map().optional().describe("Free keys"),
             });
  t.set_title("items[]", "item");
  return t;
}

ConfigDoc doc_of(const std::string& text) { return ConfigDoc::load_string(text, "w.yaml"); }

}  // namespace

// ---- the table itself ---------------------------------------------------------------------------

TEST_CASE("key table: maps, names per kind, rows per kind", "[key_table]") {
  const KeyTable t = widget_keys();
  // Maps in the order of their first row: the root, then part, then items' elements.
  CHECK(t.maps() == std::vector<std::string>{"", "part", "items[]"});
  CHECK(t.names("") == std::vector<std::string>{"name", "size", "ratio", "loss", "share", "rate", "period", "enabled",
                                                "part", "items", "tags"});
  // Every kind: gpu once although it has two rows; per kind: only that kind's rows.
  CHECK(t.names("part") == std::vector<std::string>{"kind", "count", "gpu", "latency"});
  CHECK(t.names("part", "large") == std::vector<std::string>{"kind", "gpu", "latency"});
  CHECK(t.kinds("part") == std::vector<std::string>{"small", "large"});
  REQUIRE(t.find("part.gpu", "large") != nullptr);
  CHECK(t.find("part.gpu", "large")->dflt.kind == DefaultKind::Preset);
  CHECK(t.find("part.gpu", "small")->dflt.kind == DefaultKind::Required);
  CHECK(t.find("part.count", "large") == nullptr);
  CHECK(t.title("") == "widget file");
  CHECK(t.title("items[]") == "item");
  CHECK(t.title("part") == "part");
  CHECK(t.has_rows_below("items"));
  CHECK_FALSE(t.has_rows_below("tags"));
}

TEST_CASE("key table: inconsistent rows are programming errors", "[key_table]") {
  // Two rows of one key for the same kind.
  CHECK_THROWS_AS(KeyTable("t", {KeySpec("a").integer(1, 2).required().describe("x"),
                                 KeySpec("a").integer(1, 3).required().describe("y")}),
                  std::logic_error);
  // A kind its map's kind key does not list.
  CHECK_THROWS_AS(KeyTable("t", {KeySpec("kind").one_of({"a"}).required().describe("x"),
                                 KeySpec("b").text().required().for_kinds({"c"}).describe("y")}),
                  std::logic_error);
  // An enum without values, a row without its doc line.
  CHECK_THROWS_AS(KeyTable("t", {KeySpec("a").one_of({}).required().describe("x")}), std::logic_error);
  CHECK_THROWS_AS(KeyTable("t", {KeySpec("a").text().required()}), std::logic_error);
}

TEST_CASE("key table: nearest keys and the unknown-key message", "[key_table]") {
  const std::vector<std::string> valid{"kind", "latency", "switch_latency", "inlet_temperature", "flow"};
  // 'latancy' is one substitution from 'latency' (a -> e); 'switch_latency' is 7 edits away and
  // does not contain 'latancy'.
  CHECK(nearest_keys("latancy", valid) == std::vector<std::string>{"latency"});
  // 'inlet' is contained in 'inlet_temperature' (12 edits away, but a part of it).
  CHECK(nearest_keys("inlet", valid) == std::vector<std::string>{"inlet_temperature"});
  CHECK(nearest_keys("zzzzzz", valid).empty());
  CHECK(unknown_key_message("latancy", "part", valid) ==
        "unknown key 'latancy' in part; valid keys: kind, latency, switch_latency, inlet_temperature, flow; did you mean "
        "'latency'?");
  CHECK(unknown_key_message("zzzzzz", "part", {"a", "b"}) == "unknown key 'zzzzzz' in part; valid keys: a, b");
}

TEST_CASE("key table: --set paths are checked map by map", "[key_table]") {
  const KeyTable t = widget_keys();
  CHECK_FALSE(check_key_path(t, "size").has_value());
  CHECK_FALSE(check_key_path(t, "part.count").has_value());   // any kind's key: the kind may change too
  CHECK_FALSE(check_key_path(t, "items.0.at").has_value());   // an element of a list of maps
  CHECK_FALSE(check_key_path(t, "tags.anything.below").has_value());  // a map of free keys
  CHECK_FALSE(check_key_path(t, "name.x").has_value());       // below a value: left to the reader
  auto p = check_key_path(t, "part.cuont");
  REQUIRE(p.has_value());
  // Named as the reader names it; 'cuont' is two edits (a transposition) from 'count'.
  CHECK(p->key == "part.cuont");
  CHECK(p->message == "unknown key 'cuont' in part; valid keys: kind, count, gpu, latency; did you mean 'count'?");
  p = check_key_path(t, "items.2.when");
  REQUIRE(p.has_value());
  CHECK(p->key == "items[2].when");
  CHECK(p->message == "unknown key 'when' in item; valid keys: at");
  p = check_key_path(t, "colour");
  REQUIRE(p.has_value());
  CHECK_THAT(p->message, Contains("unknown key 'colour' in widget file; valid keys: name, size,"));
}

TEST_CASE("key table: the docs' type and default cells", "[key_table]") {
  const KeyTable t = widget_keys();
  auto type = [&](const char* path) { return render_type(*t.find(path)); };
  auto dflt = [&](const char* path, const char* kind = "") { return render_default(*t.find(path, kind)); };
  CHECK(type("name") == "text");
  CHECK(type("size") == "integer, 1 to 100");
  CHECK(type("ratio") == "plain number, 1 to 64");
  CHECK(type("loss") == "plain number, 0 to below 0.5");
  CHECK(type("share") == "fraction in (0, 1]");
  CHECK(type("rate") == "data rate (> 0)");
  CHECK(type("part.latency") == "duration (≥ 0)");
  CHECK(type("period") == "duration, 1 us to 10 s");
  CHECK(type("enabled") == "`true` or `false`");
  CHECK(type("part.kind") == "`small` or `large`");
  CHECK(type("part.gpu") == "catalog GPU id");
  CHECK(type("items") == "list");
  CHECK(dflt("name") == "required");
  CHECK(dflt("loss") == "none");
  CHECK(dflt("size") == "`4`");
  CHECK(dflt("part.gpu", "large") == "preset `mi455x`");
  CHECK(dflt("part.latency") == "the link's `latency`");
  // Integers of five digits and more are grouped: 1 to 1,000,000.
  CHECK(render_type(KeySpec("n").integer(1, 1'000'000)) == "integer, 1 to 1,000,000");
  CHECK(render_type(KeySpec("n").integer(0)) == "integer ≥ 0");
  CHECK(render_type(KeySpec("n").number().above(0).below(1)) == "plain number, above 0 and below 1");
  CHECK(render_type(KeySpec("n").integer(1, 64).with_note("; must divide `m`")) == "integer, 1 to 64; must divide `m`");
}

// ---- MapReader in table mode ------------------------------------------------------------------

TEST_CASE("key table reader: values, defaults and presets", "[key_table][yaml]") {
  const KeyTable t = widget_keys();
  const ConfigDoc doc = doc_of(
      "name: w\n"
      "rate: 400 GB/s\n"
      "part: {kind: large}\n");
  MapReader r(doc.root(), t, "");
  CHECK(*r.text("name") == "w");
  CHECK(*r.integer("size") == 4);             // absent: the default "4"
  CHECK(*r.number("ratio") == 1.0);           // absent: "1"
  CHECK(*r.number("period") == Approx(1e-3));  // absent: "1 ms" = 1e-3 s
  CHECK(*r.number("rate") == Approx(400e9));  // 400 GB/s = 400e9 B/s
  CHECK_FALSE(*r.flag("enabled"));
  CHECK_FALSE(r.number("loss").has_value());  // optional, absent: nothing
  MapReader part(*r.value("part"), t, "part");
  CHECK(part.read_kind() == "large");
  // The kind's preset, located at the part map with the key's path.
  const ConfigNode gpu = *part.value("gpu");
  CHECK(gpu.as_string() == "mi455x");
  CHECK(gpu.path() == "part.gpu");
  CHECK_FALSE(part.number("latency").has_value());  // a described default: the reader's to apply
  CHECK_NOTHROW(part.finish());
  (void)r.optional("items");
  (void)r.optional("tags");
  (void)r.number("share");
  CHECK_NOTHROW(r.finish());
}

TEST_CASE("key table reader: ranges and types from the rows", "[key_table][yaml]") {
  const KeyTable t = widget_keys();
  auto error_of = [&](const std::string& yaml, const char* key) {
    const ConfigDoc doc = doc_of(yaml);
    return input_error_of([&] {
      MapReader r(doc.root(), t, "");
      if (std::string(key) == "size") (void)r.integer(key);
      else if (std::string(key) == "enabled") (void)r.flag(key);
      else (void)r.number(key);
    });
  };
  // size: integer, 1 to 100 (ConfigNode::as_int's message).
  CHECK_THAT(error_of("size: 101\n", "size").what(), EndsWith("expected an integer from 1 to 100, got 101"));
  // ratio: the row's own message, {value} the number read.
  CHECK_THAT(error_of("ratio: 65\n", "ratio").what(), EndsWith("expected a ratio from 1 to 64, got 65"));
  // loss: [0, 0.5) without a message: the generic one with the rendered range.
  CHECK_THAT(error_of("loss: 0.5\n", "loss").what(), EndsWith("expected a plain number, 0 to below 0.5, got 0.5"));
  // share: a fraction in (0, 1].
  CHECK_THAT(error_of("share: 0\n", "share").what(), Contains("expected a fraction in (0, 1], got 0"));
  // rate: > 0, as ConfigNode::as_rate says it.
  CHECK_THAT(error_of("rate: -1 GB/s\n", "rate").what(), EndsWith("expected a data rate greater than zero, got '-1 GB/s'"));
  // period: 1 us to 10 s without a message: the range in units, the text as written.
  CHECK_THAT(error_of("period: 20 s\n", "period").what(), EndsWith("expected a duration, 1 us to 10 s, got '20 s'"));
  CHECK_THAT(error_of("enabled: yes\n", "enabled").what(), Contains("expected true or false"));
}

TEST_CASE("key table reader: unknown keys, kinds and unread keys", "[key_table][yaml]") {
  const KeyTable t = widget_keys();
  SECTION("an unknown key lists the map's valid keys for its kind, and the nearest") {
    const ConfigDoc doc = doc_of("kind: large\ncount: 2\n");  // count belongs to kind small only
    MapReader r(doc.root(), t, "part");
    CHECK(r.read_kind() == "large");
    (void)r.value("gpu");
    (void)r.number("latency");
    const InputError e = input_error_of([&] { r.finish(); });
    CHECK(e.where().key == "count");
    CHECK_THAT(e.what(), EndsWith("unknown key 'count' in part; valid keys: kind, gpu, latency"));
  }
  SECTION("a missing required key of the kind") {
    const ConfigDoc doc = doc_of("kind: small\n");
    MapReader r(doc.root(), t, "part");
    (void)r.read_kind();
    CHECK_THAT(input_error_of([&] { (void)r.integer("count"); }).what(), Contains("part is missing required key 'count'"));
  }
  SECTION("asking for a key the table does not give the kind is a programming error") {
    const ConfigDoc doc = doc_of("kind: large\n");
    MapReader r(doc.root(), t, "part");
    (void)r.read_kind();
    CHECK_THROWS_AS(r.optional("count"), std::logic_error);
    CHECK_THROWS_AS(r.optional("colour"), std::logic_error);
  }
  SECTION("a valid key given but never read is a programming error, not a silent default") {
    const ConfigDoc doc = doc_of("name: w\nsize: 3\n");
    MapReader r(doc.root(), t, "");
    (void)r.text("name");
    CHECK_THROWS_AS(r.finish(), std::logic_error);
  }
}
