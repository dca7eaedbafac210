# Run by `cmake --install` (install(CODE) in CMakeLists.txt sets the
# FEEDPUBD_* variables). Here CMAKE_INSTALL_PREFIX is this install's
# --prefix, not necessarily the configured one; file(INSTALL) honours
# DESTDIR and lists what it writes in install_manifest.txt.

# The unit, ExecStart= naming the binary where this install puts it.
if(IS_ABSOLUTE "${FEEDPUBD_SBINDIR}")
	set(FEEDPUBD_SBINDIR_FULL "${FEEDPUBD_SBINDIR}")
else()
	set(FEEDPUBD_SBINDIR_FULL "${CMAKE_INSTALL_PREFIX}/${FEEDPUBD_SBINDIR}")
endif()
set(FEEDPUBD_CONFIG "${FEEDPUBD_CONFDIR}/feedpubd.conf")
set(FEEDPUBD_SBINDIR "${FEEDPUBD_SBINDIR_FULL}")
set(FEEDPUBD_UNIT "${FEEDPUBD_BINARY_DIR}/install/feedpubd.service")
configure_file("${FEEDPUBD_SOURCE_DIR}/systemd/feedpubd.service.in"
	"${FEEDPUBD_UNIT}" @ONLY)
# file(INSTALL) skips a file whose time matches to the second: an install
# with another prefix a moment later must still replace the unit.
set(FEEDPUBD_INSTALLED "$ENV{DESTDIR}${FEEDPUBD_UNITDIR}/feedpubd.service")
if(EXISTS "${FEEDPUBD_INSTALLED}")
	file(SHA256 "${FEEDPUBD_INSTALLED}" FEEDPUBD_OLD)
	file(SHA256 "${FEEDPUBD_UNIT}" FEEDPUBD_NEW)
	if(NOT FEEDPUBD_OLD STREQUAL FEEDPUBD_NEW)
		file(REMOVE "${FEEDPUBD_INSTALLED}")
	endif()
endif()
file(INSTALL DESTINATION "${FEEDPUBD_UNITDIR}" TYPE FILE
	FILES "${FEEDPUBD_UNIT}")

# The config is the operator's once it exists: like a Debian conffile, one
# that differs from the example is kept and the example installed beside it
# as feedpubd.conf.example, to compare with.
set(FEEDPUBD_EXAMPLE "${FEEDPUBD_SOURCE_DIR}/config/feedpubd.conf")
set(FEEDPUBD_INSTALLED "$ENV{DESTDIR}${FEEDPUBD_CONFIG}")
set(FEEDPUBD_KEEP FALSE)
if(EXISTS "${FEEDPUBD_INSTALLED}")
	file(SHA256 "${FEEDPUBD_INSTALLED}" FEEDPUBD_OLD)
	file(SHA256 "${FEEDPUBD_EXAMPLE}" FEEDPUBD_NEW)
	if(NOT FEEDPUBD_OLD STREQUAL FEEDPUBD_NEW)
		set(FEEDPUBD_KEEP TRUE)
	endif()
endif()
if(FEEDPUBD_KEEP)
	message(STATUS "Keeping: ${FEEDPUBD_INSTALLED} (changed here; the "
		"new example is feedpubd.conf.example)")
	file(INSTALL DESTINATION "${FEEDPUBD_CONFDIR}" TYPE FILE
		RENAME feedpubd.conf.example FILES "${FEEDPUBD_EXAMPLE}")
else()
	file(INSTALL DESTINATION "${FEEDPUBD_CONFDIR}" TYPE FILE
		FILES "${FEEDPUBD_EXAMPLE}")
endif()
