# Installs the build in BUILD_DIR to a scratch prefix, then configures, builds and runs the
# consumer project in SOURCE_DIR against it with find_package(converge), with the compiler and
# linker flags of the build under test (a sanitizer build's library needs its runtime).
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}")
    endif()
    message(STATUS "${out}")
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
if(NOT EXISTS ${WORK_DIR}/prefix/bin/converge-sim)
    message(FATAL_ERROR "converge-sim was not installed to ${WORK_DIR}/prefix/bin")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
run(${WORK_DIR}/build/consumer_parts)
# An in-memory replica links neither SQLite nor libsodium: neither is on the consumer's link line,
# where the static libraries' dependencies would be (the check reads Ninja's rules: GENERATOR is the
# presets' Ninja).
file(READ ${WORK_DIR}/build/build.ninja ninja)
string(REGEX MATCH "build consumer:[^\n]*\n( [^\n]*\n)*" consumer_rule "${ninja}")
if(consumer_rule STREQUAL "")
    message(FATAL_ERROR "no link rule for consumer in ${WORK_DIR}/build/build.ninja")
endif()
foreach(library sqlite sodium prometheus asio)
    string(FIND "${consumer_rule}" "${library}" found)
    if(NOT found EQUAL -1)
        message(FATAL_ERROR "converge::store alone put ${library} on the link line:\n${consumer_rule}")
    endif()
endforeach()
message(STATUS "consumer (converge::store alone) links no SQLite, libsodium, prometheus-cpp or Asio")
