# The core library, framecodec_core: plain C++17, no Python headers, and the system libraries it links (zlib;
# libdeflate and the image codecs when found). Included by the top-level CMakeLists.txt (the extension) and
# by cpp/fuzz/CMakeLists.txt (the fuzz targets), so both build the same sources against the same libraries.
find_package(ZLIB REQUIRED)   # the system zlib, never a bundled copy
# libdeflate, the second deflate backend (cpp/deflate_libdeflate.*), is used when it is found; zlib stays
# required (the reference, the default encoder and the explainer of libdeflate's errors).
# -DFRAMECODEC_LIBDEFLATE=OFF builds without it.
option(FRAMECODEC_LIBDEFLATE "use the system libdeflate beside zlib when it is found" ON)
find_package(Threads REQUIRED)  # the batch engine's worker pool

# The core: plain C++17, no Python headers. Kernels take spans and write into caller-owned buffers.
add_library(framecodec_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/deflate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/deflate_libdeflate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bitpack.cpp
  ${CMAKE_CURRENT_LIST_DIR}/interleave.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rle_frame.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rle_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rle_encode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/encaps_scan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/encaps_frames.cpp
  ${CMAKE_CURRENT_LIST_DIR}/encaps_write.cpp
  ${CMAKE_CURRENT_LIST_DIR}/byte_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dataset_walk.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dataset_locate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tile_positions.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tile_resolve.cpp
  ${CMAKE_CURRENT_LIST_DIR}/thread_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_encode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mapped_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/regular_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/region.cpp
  ${CMAKE_CURRENT_LIST_DIR}/jpeg_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/j2k_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/htj2k_codestream.cpp
  ${CMAKE_CURRENT_LIST_DIR}/htj2k_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/jpegls_decode.cpp
)
target_include_directories(framecodec_core PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(framecodec_core PUBLIC ZLIB::ZLIB Threads::Threads)
set_target_properties(framecodec_core PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_compile_options(framecodec_core PRIVATE -Wall -Wextra -O3)

set(framecodec_libdeflate "none")
if(FRAMECODEC_LIBDEFLATE)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(LIBDEFLATE QUIET IMPORTED_TARGET libdeflate)
  endif()
  if(LIBDEFLATE_FOUND)
    target_link_libraries(framecodec_core PUBLIC PkgConfig::LIBDEFLATE)
    set(framecodec_libdeflate "libdeflate ${LIBDEFLATE_VERSION} (pkg-config)")
  else()  # no pkg-config file: the header and the library where the compiler looks
    find_path(LIBDEFLATE_INCLUDE_DIR libdeflate.h)
    find_library(LIBDEFLATE_LIBRARY deflate)
    if(LIBDEFLATE_INCLUDE_DIR AND LIBDEFLATE_LIBRARY)
      target_include_directories(framecodec_core PRIVATE ${LIBDEFLATE_INCLUDE_DIR})
      target_link_libraries(framecodec_core PUBLIC ${LIBDEFLATE_LIBRARY})
      set(LIBDEFLATE_FOUND TRUE)
      set(framecodec_libdeflate "libdeflate (${LIBDEFLATE_LIBRARY})")
    endif()
  endif()
  if(LIBDEFLATE_FOUND)
    target_compile_definitions(framecodec_core PRIVATE FRAMECODEC_HAVE_LIBDEFLATE)
  else()
    set(framecodec_libdeflate "none: libdeflate not found (apt-get install libdeflate-dev)")
  endif()
else()
  set(framecodec_libdeflate "none: -DFRAMECODEC_LIBDEFLATE=OFF")
endif()
message(STATUS "framecodec deflate backends: zlib ${ZLIB_VERSION_STRING}; ${framecodec_libdeflate}")

# The image codecs, each a system library found through pkg-config and optional: a build without one still
# works (its transfer syntaxes go to pydicom, and framecodec.backends() says what is missing).
find_package(PkgConfig QUIET)
function(framecodec_codec name module package define header library)
  option(FRAMECODEC_${name} "decode with the system ${module} when it is found" ON)
  if(NOT FRAMECODEC_${name})
    message(STATUS "framecodec ${module}: not used (-DFRAMECODEC_${name}=OFF)")
    return()
  endif()
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(FC_${name} QUIET IMPORTED_TARGET ${module})
  endif()
  if(FC_${name}_FOUND AND FC_${name}_LINK_LIBRARIES)
    set(link PkgConfig::FC_${name})
    set(version "${FC_${name}_VERSION}")
    set(includes ${FC_${name}_INCLUDE_DIRS})
  else()  # no pkg-config file, or an empty one (Debian's OpenJPH 0.9): the header and library where the compiler looks
    find_path(FC_${name}_HEADER ${header})
    find_library(FC_${name}_LIBRARY ${library})
    if(NOT FC_${name}_HEADER OR NOT FC_${name}_LIBRARY)
      message(STATUS "framecodec ${module}: not found (apt-get install ${package}); its transfer syntaxes go to pydicom")
      return()
    endif()
    set(link ${FC_${name}_LIBRARY})
    set(version "(${FC_${name}_LIBRARY})")
    set(includes ${FC_${name}_HEADER})
    target_include_directories(framecodec_core PRIVATE ${FC_${name}_HEADER})
  endif()
  if(name STREQUAL "JPEG")  # partial decoding needs libjpeg-turbo's jpeg_crop_scanline (1.5 and newer)
    include(CheckSymbolExists)
    set(CMAKE_REQUIRED_INCLUDES ${includes})
    set(CMAKE_REQUIRED_LIBRARIES ${link})
    check_symbol_exists(jpeg_crop_scanline "stdio.h;jpeglib.h" FC_HAVE_CROP_SCANLINE)
    if(NOT FC_HAVE_CROP_SCANLINE)
      message(STATUS "framecodec libjpeg: ${version} has no jpeg_crop_scanline (not libjpeg-turbo 1.5+); "
                     "JPEG goes to pydicom (apt-get install ${package})")
      return()
    endif()
  endif()
  target_link_libraries(framecodec_core PUBLIC ${link})
  target_compile_definitions(framecodec_core PUBLIC ${define})  # PUBLIC: the fuzz targets know what is built
  message(STATUS "framecodec ${module}: found ${version}")
endfunction()
framecodec_codec(JPEG libjpeg libjpeg62-turbo-dev FRAMECODEC_HAVE_LIBJPEG_TURBO jpeglib.h jpeg)
framecodec_codec(OPENJPEG libopenjp2 libopenjp2-7-dev FRAMECODEC_HAVE_OPENJPEG openjpeg.h openjp2)
framecodec_codec(OPENJPH openjph libopenjph-dev FRAMECODEC_HAVE_OPENJPH openjph/ojph_codestream.h openjph)
framecodec_codec(CHARLS charls libcharls-dev FRAMECODEC_HAVE_CHARLS charls/charls.h charls)

