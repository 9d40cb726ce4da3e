// The Catch2 main for racksim's unit tests (one per test binary).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
