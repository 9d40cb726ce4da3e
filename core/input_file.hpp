// racksim core: reading an input file whole, safely: only a regular file, only up to a limit.
//
// read_input_file opens the path without blocking (a FIFO must not hang the reader), refuses
// anything that is not a regular file (a directory, a FIFO, /dev/zero, /dev/urandom, a socket)
// and a file larger than `max_bytes`, then reads it; a file that grows past the limit while it
// is read is refused too. Every error is an InputError naming the file, what it is, its size and
// the limit (core/limits.hpp, docs/limits.md).
#pragma once

#include <cstdint>
#include <string>

namespace racksim {

// The bytes of the regular file `path`, at most `max_bytes` of them. `what` names the kind of
// file in messages ("YAML file", "Chakra ET file").
[[nodiscard]] std::string read_input_file(const std::string& path, std::uint64_t max_bytes, const std::string& what);

// "16 MiB", "1 GiB", "512 B": a limit in bytes as docs/limits.md writes it.
[[nodiscard]] std::string binary_size(std::uint64_t bytes);

}  // namespace racksim
