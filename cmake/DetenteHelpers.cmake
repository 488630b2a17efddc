# Helper functions so that every target gets the same warnings and test wiring.

# Designated initializers of options structs leave fields at their defaults
# on purpose, so -Wmissing-field-initializers is off.
set(DETENTE_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

# detente_library(NAME SOURCES a.cc b.cc DEPS x y [PRIVATE_DEPS z])
function(detente_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/libs)
  target_compile_options(${name} PRIVATE ${DETENTE_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# detente_test(NAME SOURCES a_test.cc DEPS lib [LABELS l])
function(detente_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${DETENTE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;${ARG_LABELS}" TIMEOUT 300)
endfunction()

# detente_proto_library(NAME PROTO x.proto PREFIX dir): the C++ of one
# private .proto (protobuf only, no gRPC), included as "dir/x.pb.h".
function(detente_proto_library name)
  cmake_parse_arguments(ARG "" "PROTO;PREFIX" "" ${ARGN})
  add_library(${name} STATIC ${ARG_PROTO})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf)
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/gen/${ARG_PREFIX})
  protobuf_generate(TARGET ${name} LANGUAGE cpp
    PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/gen/${ARG_PREFIX})
endfunction()

# detente_executable(NAME SOURCES main.cc DEPS ...)
function(detente_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${DETENTE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# A service binary allocates with jemalloc (see the top-level CMakeLists.txt),
# linked even though nothing names it (--no-as-needed): its malloc replaces
# glibc's by symbol interposition.
function(detente_use_jemalloc name)
  if(TARGET PkgConfig::JEMALLOC)
    # With the services' settings (services/common/jemalloc_conf.cc).
    target_sources(${name} PRIVATE
                   ${PROJECT_SOURCE_DIR}/services/common/jemalloc_conf.cc)
    target_link_libraries(${name} PRIVATE -Wl,--no-as-needed
                          PkgConfig::JEMALLOC -Wl,--as-needed)
  endif()
endfunction()
