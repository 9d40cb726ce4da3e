// racksim core: keeping every text racksim writes valid UTF-8.
//
// Strings from inputs (a scenario's name, a sweep's axis values, ids from measurement files,
// error messages quoting them) reach summary.json, JSON lines, CSV, HTML and XML. A byte
// sequence that is not UTF-8 there makes the whole file invalid for its readers (a JSON parser
// refuses the file). The writers pass every such string through valid_utf8(): well-formed UTF-8
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) is kept byte for byte,
// and each byte that does not belong to a well-formed sequence becomes U+FFFD, the replacement
// character (bytes EF BF BD), one per byte. Example: "bad\xff" becomes "bad\xEF\xBF\xBD".
#pragma once

#include <string>

namespace racksim {

// Whether `s` is well-formed UTF-8.
[[nodiscard]] bool is_valid_utf8(const std::string& s);

// `s` with every byte outside a well-formed UTF-8 sequence replaced by U+FFFD; `s` itself when
// it is well-formed.
[[nodiscard]] std::string valid_utf8(const std::string& s);

}  // namespace racksim
