# converge_warnings: the warning set every target of this repository builds with (not installed).
add_library(converge_warnings INTERFACE)
target_compile_options(converge_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                   -Wno-sign-conversion)
if(CONVERGE_WERROR)
    target_compile_options(converge_warnings INTERFACE -Werror)
endif()
