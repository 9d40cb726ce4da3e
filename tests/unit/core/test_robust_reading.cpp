// Unit tests: the readers' caps in core (issue 19; docs/limits.md) — read_input_file refuses what
// is not a regular file (a FIFO without hanging) and files over the limit; ConfigDoc refuses a
// second YAML document, deep nesting and alias bombs.
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/limits.hpp"
#include "core/yaml_doc.hpp"

#include "test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace racksim;
using Catch::Matchers::Contains;
using test::input_error_of;

TEST_CASE("read_input_file: a regular file is read whole", "[core][robust]") {
  const test::TempFile f("robust-regular", "a: 1\n");
  CHECK(read_input_file(f.path, 100, "YAML file") == "a: 1\n");
}

TEST_CASE("read_input_file: a file over the limit is refused, naming its size and the limit", "[core][robust]") {
  // 5 bytes against a 4-byte limit.
  const test::TempFile f("robust-big", "a: 1\n");
  const InputError e = input_error_of([&] { (void)read_input_file(f.path, 4, "YAML file"); });
  CHECK(e.where().file == f.path);
  CHECK_THAT(e.expected(), Contains("has 5 bytes") && Contains("at most 4 B (4 bytes"));
  CHECK(binary_size(limits::kMaxYamlFileBytes) == "16 MiB");
  CHECK(binary_size(limits::kMaxChakraFileBytes) == "1 GiB");
}

TEST_CASE("read_input_file: devices, folders and FIFOs are refused at once", "[core][robust]") {
  // /dev/zero and /dev/urandom never end: reading them whole grew until bad_alloc.
  for (const char* dev : {"/dev/zero", "/dev/urandom"}) {
    const InputError e = input_error_of([&] { (void)read_input_file(dev, 1 << 20, "YAML file"); });
    CHECK_THAT(e.expected(), Contains("is a character device; racksim reads only regular files"));
  }
  const InputError dir = input_error_of([] { (void)read_input_file("/", 1 << 20, "YAML file"); });
  CHECK_THAT(dir.expected(), Contains("is a directory"));
  // A FIFO with no writer: a blocking open would wait forever.
  const std::string fifo = (std::filesystem::temp_directory_path() / ("racksim-test-fifo-" + std::to_string(::getpid()))).string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const InputError e = input_error_of([&] { (void)read_input_file(fifo, 1 << 20, "YAML file"); });
  ::unlink(fifo.c_str());
  CHECK_THAT(e.expected(), Contains("is a FIFO (named pipe)"));
  // Through the YAML loader: the error names the file.
  const InputError z = input_error_of([] { (void)ConfigDoc::load_file("/dev/zero"); });
  CHECK(z.where().file == "/dev/zero");
}

TEST_CASE("ConfigDoc: a second YAML document is an error at its '---' line", "[core][robust]") {
  // Line 1 opens the first document (allowed), line 4 starts a second one.
  const InputError e = input_error_of([] { (void)ConfigDoc::load_string("---\na: 1\n# c\n---\nb: 2\n", "two.yaml"); });
  CHECK(e.where().file == "two.yaml");
  CHECK(e.where().line == 4);
  CHECK_THAT(e.expected(), Contains("a second YAML document starts here"));
  // An empty second document counts too; one "---" on top and a "..." end marker do not.
  CHECK(input_error_of([] { (void)ConfigDoc::load_string("a: 1\n---\n", "x.yaml"); }).where().line == 2);
  CHECK(ConfigDoc::load_string("---\na: 1\n...\n", "one.yaml").root().child("a").as_string() == "1");
  // A stray ',' at the top level: yaml-cpp's LoadAll "started" a document there for ever.
  CHECK_THAT(input_error_of([] { (void)ConfigDoc::load_string(",", "comma.yaml"); }).expected(), Contains("YAML syntax error"));
}

TEST_CASE("ConfigDoc: nesting deeper than the limit is refused", "[core][robust]") {
  // 66 nested lists: the root list and 65 levels below it, one more than limits::kMaxYamlDepth (64).
  const std::string deep = std::string(66, '[') + std::string(66, ']');
  const InputError e = input_error_of([&] { (void)ConfigDoc::load_string(deep, "deep.yaml"); });
  CHECK_THAT(e.expected(), Contains("nested more than 64 deep"));
  // 64 levels below the root are fine.
  (void)ConfigDoc::load_string(std::string(65, '[') + std::string(65, ']'), "ok.yaml");
}

TEST_CASE("ConfigDoc: aliases that expand past the node limit are refused", "[core][robust]") {
  // Each level lists the previous one 10 times: level 7 is 10^7 leaves, past 2,000,000 nodes.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 7; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  const InputError e = input_error_of([&] { (void)ConfigDoc::load_string(bomb, "bomb.yaml"); });
  CHECK_THAT(e.expected(), Contains("more than 2000000 nodes"));
  // The same in a --set value.
  ConfigDoc doc = ConfigDoc::load_string("a: 1\n", "s.yaml");
  const InputError s = input_error_of([&] { doc.apply_override("a=" + std::string(70, '[') + std::string(70, ']')); });
  CHECK_THAT(s.expected(), Contains("nested more than 64 deep"));
}
