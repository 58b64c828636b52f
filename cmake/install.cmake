include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS converge_crdt converge_crdt_boost converge_testing converge_store converge_sqlite converge_tcp converge_prometheus
        converge_loopback converge_sim
        EXPORT convergeTargets
        FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT convergeTargets NAMESPACE converge:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/converge)

configure_package_config_file(cmake/convergeConfig.cmake.in
    ${PROJECT_BINARY_DIR}/convergeConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/converge)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/convergeConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/convergeConfig.cmake ${PROJECT_BINARY_DIR}/convergeConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/converge)

configure_file(cmake/converge.pc.in ${PROJECT_BINARY_DIR}/converge.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/converge.pc DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)
