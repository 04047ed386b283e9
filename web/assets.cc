#include "web/assets.h"

#include <set>
#include <utility>

#include "base/status.h"

namespace caseledger::web {

namespace {

constexpr std::string_view kPrefix = "/ui/assets/dkfds/";
// An asset opened as a document (an SVG typed into the address bar) runs
// nothing and loads nothing.
constexpr std::string_view kAssetCsp = "default-src 'none'; style-src 'unsafe-inline'";

std::size_t Depth(std::string_view path) {
  std::size_t n = 1;
  for (char c : path) n += c == '/' ? 1 : 0;
  return n;
}

std::string ParamName(std::size_t i) { return "p" + std::to_string(i); }

http::HttpResponse Serve(const http::PathParams& params, std::size_t depth) {
  if (params.at("version") != DkfdsVersion())
    return http::ErrorResponse(NotFound("no such asset"));
  std::string path;
  for (std::size_t i = 0; i < depth; ++i) {
    if (i > 0) path += '/';
    path += params.at(ParamName(i));
  }
  const EmbeddedAsset* asset = FindDkfdsAsset(path);
  if (asset == nullptr) return http::ErrorResponse(NotFound("no such asset"));
  http::HttpResponse r;
  r.content_type = std::string(asset->content_type);
  r.body = std::string(asset->bytes());
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.immutable = true;  // Cache-Control: public, max-age=31536000, immutable
  r.headers.emplace_back("ETag", "\"" + std::string(asset->sha256) + "\"");
  r.headers.emplace_back("Content-Security-Policy", std::string(kAssetCsp));
  return r;
}

}  // namespace

std::string DkfdsUrl(std::string_view path) {
  return std::string(kPrefix) + std::string(DkfdsVersion()) + "/" + std::string(path);
}

std::string DkfdsStylesheetUrl() { return DkfdsUrl("css/dkfds.min.css"); }

const EmbeddedAsset* FindDkfdsAsset(std::string_view path) {
  for (const EmbeddedAsset& a : DkfdsAssets())
    if (a.path == path) return &a;
  return nullptr;
}

void AddAssetRoutes(http::Router& router) {
  // One route per depth of the table's paths ("css/x.css" is 2), each segment
  // a parameter: the handler looks the joined path up in the table, so the
  // table, not the pattern, decides what exists.
  std::set<std::size_t> depths;
  for (const EmbeddedAsset& a : DkfdsAssets()) depths.insert(Depth(a.path));
  for (std::size_t depth : depths) {
    std::string pattern = std::string(kPrefix) + "{version}";
    for (std::size_t i = 0; i < depth; ++i) pattern += "/{" + ParamName(i) + "}";
    router.Add("GET", std::move(pattern),
               [depth](const http::HttpRequest&, const http::PathParams& params,
                       const http::QueryParams&) { return Serve(params, depth); });
  }
}

}  // namespace caseledger::web
