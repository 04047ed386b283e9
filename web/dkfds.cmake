# Det Fælles Designsystem (dkfds), embedded into the binary (docs/web.md,
# decisions.md #41). web/ui/package-lock.json pins the version; scripts/setup
# installs it with `npm ci` into web/ui/node_modules. At configure time this
# file reads the package's compiled stylesheet, collects every file the
# stylesheet references with url(...), and generates dkfds_assets.cc: a fixed
# table (path, Content-Type, SHA-256, bytes) whose bytes the assembler
# includes with .incbin — no hex dump to compile. Nothing else of the package
# (sources, scripts, other themes, unreferenced fonts and icons) is embedded.
# Sets CL_DKFDS_SOURCE (the generated file) for web/CMakeLists.txt.

set(CL_DKFDS_UI ${CMAKE_CURRENT_SOURCE_DIR}/ui)
set(CL_DKFDS_PKG ${CL_DKFDS_UI}/node_modules/dkfds)
set(CL_DKFDS_CSS css/dkfds.min.css)  # the default theme, relative to dist/

# The lock file says which version; the installed package must be that one.
file(READ ${CL_DKFDS_UI}/package-lock.json cl_lock)
string(JSON CL_DKFDS_VERSION GET "${cl_lock}" packages node_modules/dkfds version)
if(NOT EXISTS ${CL_DKFDS_PKG}/package.json OR NOT EXISTS ${CL_DKFDS_PKG}/dist/${CL_DKFDS_CSS})
  message(FATAL_ERROR
    "Det Fælles Designsystem (npm package dkfds ${CL_DKFDS_VERSION}) is not installed in "
    "${CL_DKFDS_UI}/node_modules, and the web workspace embeds its stylesheet, fonts and "
    "icons. Run scripts/setup (it runs `npm ci` in web/ui), then configure again.")
endif()
file(READ ${CL_DKFDS_PKG}/package.json cl_pkg)
string(JSON cl_installed GET "${cl_pkg}" version)
if(NOT cl_installed STREQUAL CL_DKFDS_VERSION)
  message(FATAL_ERROR
    "web/ui/node_modules holds dkfds ${cl_installed}, but web/ui/package-lock.json pins "
    "${CL_DKFDS_VERSION}. Run scripts/setup (it runs `npm ci` in web/ui), then configure again.")
endif()
if(NOT CL_DKFDS_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
  message(FATAL_ERROR "dkfds version '${CL_DKFDS_VERSION}' is not MAJOR.MINOR.PATCH")
endif()

# The stylesheet and every file it references (relative to dist/), once each.
file(READ ${CL_DKFDS_PKG}/dist/${CL_DKFDS_CSS} cl_css)
string(REGEX MATCHALL "url\\([^)]*\\)" cl_urls "${cl_css}")
set(cl_files ${CL_DKFDS_CSS})
get_filename_component(cl_css_dir ${CL_DKFDS_CSS} DIRECTORY)
foreach(cl_url IN LISTS cl_urls)
  string(REGEX REPLACE "^url\\([ \"']*([^ \"')]*)[ \"']*\\)$" "\\1" cl_ref "${cl_url}")
  if(cl_ref MATCHES "^data:" OR cl_ref MATCHES "^#")
    continue()  # inline data, or a fragment of the document itself
  endif()
  string(REGEX REPLACE "[?#].*$" "" cl_ref "${cl_ref}")
  if(cl_ref MATCHES "^[a-zA-Z][a-zA-Z0-9+.-]*:" OR cl_ref MATCHES "^/")
    message(FATAL_ERROR "dkfds: ${CL_DKFDS_CSS} refers to ${cl_ref}, outside the package; "
                        "caseledger serves only the package's own files")
  endif()
  cmake_path(SET cl_path NORMALIZE "${cl_css_dir}/${cl_ref}")
  if(cl_path MATCHES "^\\.\\./" OR NOT EXISTS ${CL_DKFDS_PKG}/dist/${cl_path})
    message(FATAL_ERROR "dkfds: ${CL_DKFDS_CSS} refers to ${cl_ref}, which is not in "
                        "${CL_DKFDS_PKG}/dist (a broken install? run scripts/setup)")
  endif()
  list(APPEND cl_files ${cl_path})
endforeach()
list(REMOVE_DUPLICATES cl_files)
list(SORT cl_files)

set(cl_asm "")
set(cl_table "")
set(cl_externs "")
set(cl_total 0)
set(cl_index 0)
set(cl_deps "")
foreach(cl_file IN LISTS cl_files)
  set(cl_abs ${CL_DKFDS_PKG}/dist/${cl_file})
  if(NOT cl_file MATCHES "^[A-Za-z0-9._/-]+$" OR cl_abs MATCHES "[\"\\\\]")
    message(FATAL_ERROR "dkfds: unexpected characters in the file name ${cl_file}")
  endif()
  get_filename_component(cl_ext ${cl_file} LAST_EXT)
  if(cl_ext STREQUAL ".css")
    set(cl_type "text/css; charset=utf-8")
  elseif(cl_ext STREQUAL ".woff2")
    set(cl_type "font/woff2")
  elseif(cl_ext STREQUAL ".woff")
    set(cl_type "font/woff")
  elseif(cl_ext STREQUAL ".ttf")
    set(cl_type "font/ttf")
  elseif(cl_ext STREQUAL ".eot")
    set(cl_type "application/vnd.ms-fontobject")
  elseif(cl_ext STREQUAL ".svg")
    set(cl_type "image/svg+xml")
  elseif(cl_ext STREQUAL ".png")
    set(cl_type "image/png")
  else()
    message(FATAL_ERROR "dkfds: no Content-Type known for ${cl_file}; add its extension to "
                        "web/dkfds.cmake")
  endif()
  file(SIZE ${cl_abs} cl_size)
  file(SHA256 ${cl_abs} cl_sha)
  math(EXPR cl_total "${cl_total} + ${cl_size}")
  set(cl_sym "caseledger_dkfds_${cl_index}")
  string(APPEND cl_asm "    \".globl ${cl_sym}\\n.hidden ${cl_sym}\\n.type ${cl_sym}, @object\\n"
                       ".balign 16\\n${cl_sym}:\\n.incbin \\\"${cl_abs}\\\"\\n"
                       ".size ${cl_sym}, ${cl_size}\\n\"\n")
  string(APPEND cl_externs "extern \"C\" const unsigned char ${cl_sym}[];\n")
  string(APPEND cl_table "    {\"${cl_file}\", \"${cl_type}\", \"${cl_sha}\",\n"
                         "     ${cl_sym}, ${cl_size}},\n")
  list(APPEND cl_deps ${cl_abs})
  math(EXPR cl_index "${cl_index} + 1")
endforeach()
list(LENGTH cl_files cl_count)
message(STATUS "dkfds ${CL_DKFDS_VERSION}: embedding ${cl_count} files, ${cl_total} bytes")

set(CL_DKFDS_SOURCE ${CMAKE_CURRENT_BINARY_DIR}/dkfds_assets.cc)
file(CONFIGURE OUTPUT ${CL_DKFDS_SOURCE} @ONLY CONTENT [=[
// Generated by web/dkfds.cmake from web/ui/node_modules/dkfds @CL_DKFDS_VERSION@
// (pinned by web/ui/package-lock.json): the stylesheet of Det Fælles
// Designsystem and the @cl_count@ files it references, @cl_total@ bytes. Do not edit.
#include <array>

#include "web/assets.h"

// The bytes, in read-only data. The SHA-256 of each file is in the table
// below, so a changed file changes this source (and ccache's key).
asm(".pushsection .rodata.caseledger_dkfds, \"a\"\n"
@cl_asm@    ".popsection\n");

@cl_externs@
namespace caseledger::web {
namespace {
constexpr std::array<EmbeddedAsset, @cl_count@> kDkfdsAssets = {{
@cl_table@}};
}  // namespace

std::string_view DkfdsVersion() { return "@CL_DKFDS_VERSION@"; }
std::span<const EmbeddedAsset> DkfdsAssets() { return kDkfdsAssets; }

}  // namespace caseledger::web
]=])

# Configure again when the lock file, the installed package or an embedded
# file changes; rebuild the generated source when an embedded file changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CL_DKFDS_UI}/package-lock.json ${CL_DKFDS_PKG}/package.json ${cl_deps})
set_source_files_properties(${CL_DKFDS_SOURCE} PROPERTIES OBJECT_DEPENDS "${cl_deps}")
