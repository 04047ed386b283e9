// The workspace's copy of Det Fælles Designsystem (docs/web.md, decisions.md
// #41): the package's compiled stylesheet and every file it references with
// url(...) — fonts, icons, images — as a fixed table generated at build time
// by web/dkfds.cmake from the npm package pinned by web/ui/package-lock.json,
// the bytes embedded in the binary. Served under
// /ui/assets/dkfds/<version>/<path in the package's dist/>, so the
// stylesheet's relative url()s resolve to the server itself and a new version
// is a new URL (cached as immutable). Only the table's paths can be served:
// anything else is 404, and a path is never touched as a file name.
// The table is read-only static data; everything here is thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "http/router.h"

namespace caseledger::web {

struct EmbeddedAsset {
  std::string_view path;          // in the package's dist/: "css/dkfds.min.css"
  std::string_view content_type;  // "text/css; charset=utf-8", "font/woff2" …
  std::string_view sha256;        // of the bytes, lower-case hex (the ETag)
  const unsigned char* data;      // static storage, valid for the program's life
  std::size_t size;

  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(data), size};
  }
};

// The embedded dkfds version ("11.2.0"), as pinned by the lock file.
std::string_view DkfdsVersion();
// Every embedded file, sorted by path. Static storage.
std::span<const EmbeddedAsset> DkfdsAssets();

// The path under which dkfds's file `path` (relative to dist/) is served:
// "/ui/assets/dkfds/<version>/<path>".
std::string DkfdsUrl(std::string_view path);
// The URL of the stylesheet every page links.
std::string DkfdsStylesheetUrl();

// The embedded file at `path` (relative to dist/), or null if there is none.
const EmbeddedAsset* FindDkfdsAsset(std::string_view path);

// Adds GET /ui/assets/dkfds/<version>/… for the embedded files: 200 with the
// file's Content-Type, `X-Content-Type-Options: nosniff`, marked immutable
// (the server sends a year-long `Cache-Control: public, …, immutable`: a new
// version is a new URL) and its SHA-256 as ETag; 404 for any other path
// under the prefix (another version, an unknown file). The router itself
// refuses "." and ".." segments and encoded slashes (400) before any lookup.
void AddAssetRoutes(http::Router& router);

}  // namespace caseledger::web
