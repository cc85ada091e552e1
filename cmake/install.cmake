# Install rules: the library, its header, ffcgi.pc and a CMake package so
# that both `pkg-config --cflags --libs ffcgi` and `find_package(ffcgi)` work.
include(CMakePackageConfigHelpers)

install(TARGETS ffcgi EXPORT ffcgiTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/ffcgi.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(FFCGI_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ffcgi)
install(EXPORT ffcgiTargets NAMESPACE ffcgi:: DESTINATION ${FFCGI_CMAKE_DIR})
configure_package_config_file(cmake/ffcgiConfig.cmake.in
  ${CMAKE_BINARY_DIR}/ffcgiConfig.cmake INSTALL_DESTINATION ${FFCGI_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/ffcgiConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/ffcgiConfig.cmake
              ${CMAKE_BINARY_DIR}/ffcgiConfigVersion.cmake
        DESTINATION ${FFCGI_CMAKE_DIR})

# ffcgi.pc finds the prefix from its own place: `cmake --install --prefix DIR`
# does not re-configure it, and an installed tree may be moved.
file(RELATIVE_PATH FFCGI_PC_TO_PREFIX
     /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" FFCGI_PC_TO_PREFIX "${FFCGI_PC_TO_PREFIX}")
configure_file(cmake/ffcgi.pc.in ${CMAKE_BINARY_DIR}/ffcgi.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/ffcgi.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
