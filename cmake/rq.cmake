# Helpers shared by every module's CMakeLists.txt.
#
#   rq_module(NAME base SOURCES a.cc b.cc DEPS other_module Threads::Threads)
#     -> static library rq_<NAME>, include root = src/ (so code includes "base/status.h").
#   rq_test(NAME base_test SOURCES x_test.cc DEPS rq_base [LABELS unit])
#     -> gtest executable registered with ctest (one ctest entry per binary; fast to list).

function(rq_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(M_SOURCES)
    add_library(rq_${M_NAME} STATIC ${M_SOURCES})
    target_include_directories(rq_${M_NAME} PUBLIC ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(rq_${M_NAME} PUBLIC ${M_DEPS})
  else()
    add_library(rq_${M_NAME} INTERFACE)
    target_include_directories(rq_${M_NAME} INTERFACE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(rq_${M_NAME} INTERFACE ${M_DEPS})
  endif()
endfunction()

function(rq_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  set_target_properties(${T_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT})
  if(T_LABELS)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
