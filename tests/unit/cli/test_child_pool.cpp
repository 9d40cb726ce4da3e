// ChildPool (sim/cli/child_run.hpp): functions run in forked children, a few at a time; each result
// comes back with its id, whether the child returned, threw or died.
#include "sim/cli/child_run.hpp"

#include <csignal>
#include <map>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

TEST_CASE("ChildPool returns each child's text, what it threw, or how it died", "[child_pool]") {
  ChildPool pool(2);
  std::map<std::size_t, ChildPool::Finished> got;
  const std::function<std::string()> fs[] = {
      [] { return std::string("forty-two\nand a second line"); },
      []() -> std::string { throw std::runtime_error("invalid input: no such key"); },
      []() -> std::string {
        std::raise(SIGKILL);
        return "never";
      },
      [] { return std::string(200000, 'x'); },  // more than a pipe holds at once
  };
  std::size_t next = 0;
  while (next < 4 || !pool.idle()) {
    while (next < 4 && !pool.full()) {
      pool.start(next, fs[next]);
      ++next;
    }
    CHECK(!pool.idle());
    ChildPool::Finished f = pool.wait_any();
    got[f.id] = f;
  }
  REQUIRE(got.size() == 4);
  CHECK(got[0].ok);
  CHECK(got[0].text == "forty-two\nand a second line");
  CHECK(!got[1].ok);
  CHECK(got[1].text == "invalid input: no such key");
  CHECK(!got[2].ok);
  CHECK_THAT(got[2].text, Contains("killed by signal 9"));
  CHECK(got[3].ok);
  CHECK(got[3].text.size() == 200000);
}
