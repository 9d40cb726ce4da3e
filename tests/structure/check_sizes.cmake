# Size rules of sim/ (docs/architecture.md): no function over 80 lines and no struct over 20 fields
# without a reason written above it.
#
#   cmake -DSOURCE_DIR=<repo> -P check_sizes.cmake
#
# A function is a definition that starts at column 0 (a line with '(' that ends in '{') and ends
# at the next line that is exactly '}'; its length counts both lines. A struct or class starts at
# column 0 with 'struct X {' or 'class X {' and ends at '};'; its fields are the lines indented by
# two spaces that end in ';' and are not functions, types, aliases or access labels. The reason is
# a comment line starting with '// Long:' among the comment lines right above the definition.
# Every breach is listed with file, line and size.
cmake_minimum_required(VERSION 3.25)

set(max_function_lines 80)
set(max_struct_fields 20)
set(problems "")

file(GLOB_RECURSE files "${SOURCE_DIR}/sim/*.hpp" "${SOURCE_DIR}/sim/*.cpp")
list(SORT files)
foreach(f IN LISTS files)
  file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
  file(READ "${f}" text)
  # One list element per line: characters that mean something to CMake lists are replaced first.
  string(REPLACE ";" "<semicolon>" text "${text}")
  string(REPLACE "[" "<lb>" text "${text}")
  string(REPLACE "]" "<rb>" text "${text}")
  string(REPLACE "\\" "<bs>" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  list(LENGTH lines n)
  set(i 0)
  set(reason OFF)   # a '// Long:' line in the comment block just above the current line
  while(i LESS n)
    list(GET lines ${i} line)
    math(EXPR lineno "${i} + 1")
    if(line MATCHES "^//")
      if(line MATCHES "^// Long:")
        set(reason ON)
      endif()
      math(EXPR i "${i} + 1")
      continue()
    endif()
    set(kind "")
    if(line MATCHES "^(struct|class) [A-Za-z_0-9]+( final)? ({|: )" AND line MATCHES "{$")
      set(kind "struct")
    elseif(line MATCHES "^[A-Za-z_].*\\(.*{$" AND NOT line MATCHES "^(namespace|struct|class|enum|union|extern)")
      set(kind "function")
    endif()
    if(kind STREQUAL "")
      set(reason OFF)
      math(EXPR i "${i} + 1")
      continue()
    endif()
    set(start ${i})
    set(fields 0)
    math(EXPR i "${i} + 1")
    while(i LESS n)
      list(GET lines ${i} body)
      if(body STREQUAL "}" OR body STREQUAL "}<semicolon>")
        break()
      endif()
      string(REGEX REPLACE " *//.*$" "" code "${body}")   # the line without its comment
      if(kind STREQUAL "struct" AND code MATCHES "^  [A-Za-z_:<].*<semicolon>$"
         AND NOT code MATCHES "\\(" AND NOT code MATCHES "^  (using|typedef|friend|static|struct|class|enum|public|private|protected)")
        math(EXPR fields "${fields} + 1")
      endif()
      math(EXPR i "${i} + 1")
    endwhile()
    math(EXPR length "${i} - ${start} + 1")
    if(NOT reason)
      if(kind STREQUAL "function" AND length GREATER max_function_lines)
        string(APPEND problems "  ${rel}:${lineno}: a function of ${length} lines (over ${max_function_lines}, no '// Long:' reason above it)\n")
      elseif(kind STREQUAL "struct" AND fields GREATER max_struct_fields)
        string(APPEND problems "  ${rel}:${lineno}: a struct of ${fields} fields (over ${max_struct_fields}, no '// Long:' reason above it)\n")
      endif()
    endif()
    set(reason OFF)
    math(EXPR i "${i} + 1")
  endwhile()
endforeach()

if(problems)
  string(REPLACE "<semicolon>" ";" problems "${problems}")
  string(REPLACE "<lb>" "[" problems "${problems}")
  string(REPLACE "<rb>" "]" problems "${problems}")
  string(REPLACE "<bs>" "\\" problems "${problems}")
  message(FATAL_ERROR "size rules broken (docs/architecture.md):\n${problems}")
endif()
message(STATUS "size rules hold")
