# converge_warnings: the warning set every target of this repository builds with (not installed).
add_library(converge_warnings INTERFACE)
target_compile_options(converge_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                   -Wno-sign-conversion)
if(CONVERGE_WERROR)
    target_compile_options(converge_warnings INTERFACE -Werror)
endif()
# GCC 12 reports a false -Wrestrict for `"literal" + std::string` at -O2 and above (GCC bug 105329,
# fixed in GCC 13).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(converge_warnings INTERFACE -Wno-restrict)
endif()
