// Det Fælles Designsystem served by caseledger itself (web/assets.h): the
// stylesheet a page links is served, every file that stylesheet references
// with url(...) is served with its own Content-Type (the stylesheet is
// parsed, the list is not written down here), nothing else is embedded, and
// no other path under the prefix — traversal, encoded traversal, another
// version, a file of the package that is not embedded — answers anything but
// an error.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "http/server.h"
#include "tests/http/http_client.h"
#include "tests/http/service_world.h"
#include "web/assets.h"
#include "web/workspace.h"

namespace caseledger::web {
namespace {

using http::HttpRequest;
using http::HttpResponse;

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

struct World : testing::ServiceWorld {
  std::unique_ptr<Workspace> workspace;
  World() {
    workspace = Workspace::Create(*ledger, service->authenticator()).value();
    workspace->AddRoutes(service->mutable_router());
  }
  HttpResponse Get(const std::string& target) {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.remote = "127.0.0.1";
    return service->Handle(r);
  }
};

// Every href of a <link rel="stylesheet"> in `html`, in order.
std::vector<std::string> Stylesheets(const std::string& html) {
  std::vector<std::string> out;
  const std::string key = "<link rel=\"stylesheet\" href=\"";
  for (std::size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
    const std::size_t start = at + key.size();
    out.push_back(html.substr(start, html.find('"', start) - start));
  }
  return out;
}

// The targets of every url(...) in `css`, unquoted, without query or
// fragment; data: URIs and fragment-only references left out.
std::set<std::string> CssUrls(const std::string& css) {
  std::set<std::string> out;
  for (std::size_t at = css.find("url("); at != std::string::npos; at = css.find("url(", at + 1)) {
    const std::size_t start = at + 4;
    const std::size_t end = css.find(')', start);
    REQUIRE(end != std::string::npos);
    std::string ref = css.substr(start, end - start);
    while (!ref.empty() && (ref.front() == '"' || ref.front() == '\'' || ref.front() == ' '))
      ref.erase(0, 1);
    while (!ref.empty() && (ref.back() == '"' || ref.back() == '\'' || ref.back() == ' '))
      ref.pop_back();
    if (ref.empty() || ref.starts_with("data:") || ref.front() == '#') continue;
    ref = ref.substr(0, ref.find_first_of("?#"));
    out.insert(ref);
  }
  return out;
}

// `ref` resolved against the absolute path `base` (RFC 3986 §5.2, paths only).
std::string Resolve(const std::string& base, const std::string& ref) {
  if (ref.starts_with("/")) return ref;
  std::vector<std::string> segs;
  const std::string dir = base.substr(0, base.rfind('/'));
  std::size_t start = 1;
  const std::string joined = dir + "/" + ref;
  while (start <= joined.size()) {
    std::size_t end = joined.find('/', start);
    if (end == std::string::npos) end = joined.size();
    const std::string seg = joined.substr(start, end - start);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (seg != ".") {
      segs.push_back(seg);
    }
    start = end + 1;
  }
  std::string out;
  for (const std::string& s : segs) out += "/" + s;
  return out;
}

std::string Extension(const std::string& path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(dot + 1);
}

// What a browser needs to be told for each kind of file, and the first
// bytes such a file starts with (so a served file is the file, not a page).
const std::map<std::string, std::pair<std::string, std::string>>& Kinds() {
  static const std::map<std::string, std::pair<std::string, std::string>> kinds = {
      {"woff2", {"font/woff2", "wOF2"}},
      {"woff", {"font/woff", "wOFF"}},
      {"ttf", {"font/ttf", std::string("\0\1\0\0", 4)}},
      {"eot", {"application/vnd.ms-fontobject", ""}},
      {"svg", {"image/svg+xml", ""}},
      {"png", {"image/png", "\x89PNG"}},
  };
  return kinds;
}

void CheckAssetHeaders(const HttpResponse& r) {
  CHECK(HeaderOf(r, "X-Content-Type-Options") == "nosniff");
  CHECK(r.immutable);
  CHECK(HeaderOf(r, "ETag").size() == 66);  // "<SHA-256 in hex>"
}

TEST_CASE("a page links dkfds's stylesheet, and every file it references is served",
          "[web][assets]") {
  World w;
  const HttpResponse page = w.Get("/ui/signin");
  REQUIRE(page.status == 200);
  const std::vector<std::string> sheets = Stylesheets(page.body);
  // dkfds first, then the workspace's own rules over it.
  REQUIRE(sheets.size() == 2);
  CHECK(sheets[1] == "/ui/assets/workspace.css");
  const std::string css_url = sheets[0];
  CHECK(css_url == "/ui/assets/dkfds/" + std::string(DkfdsVersion()) + "/css/dkfds.min.css");

  const HttpResponse css = w.Get(css_url);
  REQUIRE(css.status == 200);
  CHECK(css.content_type == "text/css; charset=utf-8");
  CheckAssetHeaders(css);
  CHECK(css.body.find(".button-primary") != std::string::npos);

  const std::set<std::string> refs = CssUrls(css.body);
  // The fonts (IBM Plex Sans, woff2 for every browser that runs the pages)
  // and the icons are among them.
  CHECK(refs.size() > 100);
  std::set<std::string> served = {css_url};
  int woff2 = 0;
  for (const std::string& ref : refs) {
    const std::string url = Resolve(css_url, ref);
    INFO(ref << " -> " << url);
    REQUIRE(url.starts_with("/ui/assets/dkfds/" + std::string(DkfdsVersion()) + "/"));
    const HttpResponse r = w.Get(url);
    REQUIRE(r.status == 200);
    const auto kind = Kinds().find(Extension(url));
    REQUIRE(kind != Kinds().end());
    CHECK(r.content_type == kind->second.first);
    CHECK(r.body.starts_with(kind->second.second));
    if (kind->first == "svg") CHECK(r.body.find("<svg") != std::string::npos);
    CHECK(!r.body.empty());
    CheckAssetHeaders(r);
    woff2 += kind->first == "woff2" ? 1 : 0;
    served.insert(url);
  }
  CHECK(woff2 >= 4);  // regular, italic, semibold, bold at least

  // Nothing is embedded that the stylesheet does not need.
  std::set<std::string> embedded;
  for (const EmbeddedAsset& a : DkfdsAssets()) embedded.insert(DkfdsUrl(a.path));
  CHECK(embedded == served);
}

TEST_CASE("only the embedded files are served: traversal, other versions, other files are errors",
          "[web][assets]") {
  World w;
  const std::string v = "/ui/assets/dkfds/" + std::string(DkfdsVersion());
  REQUIRE(w.Get(v + "/css/dkfds.min.css").status == 200);

  // Dot segments, literal or percent-encoded, and encoded slashes never reach
  // a lookup: the router refuses the target (400).
  for (const std::string& target : std::vector<std::string>{
           v + "/css/../../../../../etc/passwd",
           v + "/../../../web/ui/package.json",
           v + "/css/%2e%2e/%2e%2e/package.json",
           v + "/css/%2E%2E/img/logo-placeholder.png",
           v + "/css/..%2f..%2fpackage.json",
           v + "/css%2fdkfds.min.css",
           v + "/./css/dkfds.min.css",
           v + "/css//dkfds.min.css",
       }) {
    INFO(target);
    const HttpResponse r = w.Get(target);
    CHECK((r.status == 400 || r.status == 404));
    CHECK(r.content_type == "application/problem+json");
  }
  // Anything else under the prefix that is not in the table: 404.
  for (const std::string& target : std::vector<std::string>{
           v + "/package.json",
           v + "/js/dkfds.min.js",                        // in the package, not embedded
           v + "/css/dkfds.min.css.map",                  // in the package, not embedded
           v + "/css/dkfds-virkdk.min.css",               // another theme
           v + "/fonts/IBMPlexSans/complete/otf/IBMPlexSans-Regular.otf",
           v + "/css/%252e%252e/package.json",            // double-encoded: a literal name
           v + "/css/dkfds.min.css/x",
           v + "/CSS/dkfds.min.css",
           std::string("/ui/assets/dkfds/0.0.0/css/dkfds.min.css"),  // another version
           std::string("/ui/assets/dkfds/css/dkfds.min.css"),
       }) {
    INFO(target);
    const HttpResponse r = w.Get(target);
    CHECK(r.status == 404);
    CHECK(r.content_type == "application/problem+json");
  }
  // The routes answer GET only.
  HttpRequest post;
  post.method = "POST";
  post.target = v + "/css/dkfds.min.css";
  CHECK(w.service->Handle(post).status == 405);
}

TEST_CASE("through the real server, the assets are cached as immutable and pages are not",
          "[web][assets]") {
  World w;
  http::ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.io_threads = 1;
  o.handler_threads = 1;
  auto started =
      http::Server::Start(o, [&w](const HttpRequest& r) { return w.service->Handle(r); });
  REQUIRE(started.ok());
  std::unique_ptr<http::Server> server = std::move(started).value();
  const std::string font = DkfdsUrl("fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2");
  REQUIRE(FindDkfdsAsset("fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2") != nullptr);
  for (const std::string& url : {DkfdsStylesheetUrl(), font}) {
    INFO(url);
    const auto reply = testing::Request(server->port(), "GET", url);
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->Header("cache-control") == "public, max-age=31536000, immutable");
    CHECK(reply->Header("x-content-type-options") == "nosniff");
  }
  const auto font_reply = testing::Request(server->port(), "GET", font);
  REQUIRE(font_reply);
  CHECK(font_reply->Header("content-type") == "font/woff2");
  CHECK(font_reply->body.size() == FindDkfdsAsset(
      "fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2")->size);
  // A page, an unknown asset and the workspace's own stylesheet: never stored.
  for (const std::string url : {"/ui/signin", "/ui/assets/workspace.css",
                                "/ui/assets/dkfds/0.0.0/css/dkfds.min.css"}) {
    INFO(url);
    const auto reply = testing::Request(server->port(), "GET", url);
    REQUIRE(reply);
    CHECK(reply->Header("cache-control") == "no-store");
  }
  server->Stop();
}

}  // namespace
}  // namespace caseledger::web
