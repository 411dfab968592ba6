#include "http/router.h"

#include <algorithm>
#include <set>

#include "http/error_response.h"
#include "http/query_string.h"

namespace pop::http {

namespace {

// Raw segments of a path that starts with '/': "/a/b" -> {"a", "b"}, "/" -> {}.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.size() <= 1) return segments;
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace

Result<void> Router::add(std::string method, std::string_view pattern, SyncHandler handler,
                         Access access) {
  return add(std::move(method), pattern, std::move(handler), BodyLimit{}, access);
}

Result<void> Router::add(std::string method, std::string_view pattern, SyncHandler handler,
                         BodyLimit body, Access access) {
  return add_async(
      std::move(method), pattern,
      [handler = std::move(handler)](HttpRequest request, Responder responder) {
        responder.send(handler(request));
      },
      body, access);
}

Result<void> Router::add_async(std::string method, std::string_view pattern, Handler handler,
                               Access access) {
  return add_async(std::move(method), pattern, std::move(handler), BodyLimit{}, access);
}

void Router::set_gate(Gate gate) { gate_ = std::move(gate); }

std::size_t Router::max_body_bytes() const {
  std::size_t largest = kDefaultMaxBodyBytes;
  for (const Route& route : routes_) largest = std::max(largest, route.max_body_bytes);
  return largest;
}

Result<void> Router::add_async(std::string method, std::string_view pattern, Handler handler,
                               BodyLimit body, Access access) {
  if (pattern.empty() || pattern.front() != '/') {
    return fail(ErrorCode::kInvalidArgument, "route pattern must start with '/'");
  }
  Route route{std::move(method), std::string(pattern), {}, std::move(handler), access, body.bytes};
  std::set<std::string_view> names;
  for (std::string_view raw : split_path(pattern)) {
    const bool param = raw.size() >= 2 && raw.front() == '{' && raw.back() == '}';
    const std::string_view text = param ? raw.substr(1, raw.size() - 2) : raw;
    if (text.find_first_of("{}") != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "route pattern " + std::string(pattern) +
                                                   ": '{' and '}' must enclose a whole segment");
    }
    if (param && (text.empty() || !names.insert(text).second)) {
      return fail(ErrorCode::kInvalidArgument,
                  "route pattern " + std::string(pattern) + ": empty or repeated parameter name");
    }
    route.segments.push_back(Segment{std::string(text), param});
  }
  for (const Route& existing : routes_) {
    const bool same_shape =
        existing.method == route.method &&
        std::equal(existing.segments.begin(), existing.segments.end(), route.segments.begin(),
                   route.segments.end(), [](const Segment& a, const Segment& b) {
                     return a.param == b.param && (a.param || a.text == b.text);
                   });
    if (same_shape) {
      return fail(ErrorCode::kConflict,
                  "route " + route.method + " " + std::string(pattern) + " is already registered");
    }
  }
  routes_.push_back(std::move(route));
  return {};
}

std::vector<const Router::Route*> Router::matching(const std::vector<std::string>& segments) const {
  std::vector<const Route*> found;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const Segment& want = route.segments[i];
      match = want.param ? !segments[i].empty() : want.text == segments[i];
    }
    if (match) found.push_back(&route);
  }
  // More specific first: a literal beats a parameter at the first segment where they differ.
  std::stable_sort(found.begin(), found.end(), [](const Route* a, const Route* b) {
    for (std::size_t i = 0; i < a->segments.size(); ++i) {
      if (a->segments[i].param != b->segments[i].param) return !a->segments[i].param;
    }
    return false;
  });
  return found;
}

Admission Router::admit(HttpRequest& head) const {
  auto refuse = [](HttpResponse response) {
    Admission refused;
    refused.refusal = std::move(response);
    return refused;
  };
  std::vector<std::string> segments;
  for (std::string_view raw : split_path(head.path)) {
    auto decoded = percent_decode(raw, false);
    if (!decoded) return refuse(error_response(decoded.error(), head.correlation_id));
    segments.push_back(std::move(*decoded));
  }
  const std::vector<const Route*> candidates = matching(segments);
  if (candidates.empty()) {
    return refuse(error_response(Error{ErrorCode::kNotFound, "no resource at this path", {}},
                                 head.correlation_id));
  }
  auto serves = [&](std::string_view method) {
    return std::find_if(candidates.begin(), candidates.end(),
                        [&](const Route* r) { return r->method == method; });
  };
  auto chosen = serves(head.method);
  if (chosen == candidates.end() && head.method == "HEAD") chosen = serves("GET");
  if (chosen == candidates.end()) {
    std::set<std::string> methods;
    for (const Route* r : candidates) methods.insert(r->method);
    if (methods.count("GET") != 0) methods.insert("HEAD");
    std::string allow;
    for (const std::string& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    HttpResponse response =
        error_response(405, kMethodNotAllowedCode,
                       "method " + head.method + " is not allowed here; allowed: " + allow, {},
                       head.correlation_id);
    response.headers.set("Allow", allow);
    return refuse(std::move(response));
  }
  const Route& route = **chosen;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (route.segments[i].param) {
      head.path_params[route.segments[i].text] = std::move(segments[i]);
    }
  }
  if (route.access == Access::kGuarded && gate_) {
    if (std::optional<HttpResponse> refused = gate_(head)) {
      Admission refusal = refuse(std::move(*refused));
      refusal.route = route.pattern;
      return refusal;
    }
  }
  Admission admitted;
  admitted.max_body_bytes = route.max_body_bytes;
  admitted.handler = route.handler;
  admitted.route = route.pattern;
  return admitted;
}

void Router::dispatch(HttpRequest request, Responder responder) const {
  std::string body = std::move(request.body);
  request.body.clear();
  Admission admission = admit(request);
  if (admission.refusal) {
    responder.send(std::move(*admission.refusal));
    return;
  }
  if (body.size() > admission.max_body_bytes) {
    responder.send(
        error_response(body_too_large(admission.max_body_bytes), request.correlation_id));
    return;
  }
  request.body = std::move(body);
  admission.handler(std::move(request), std::move(responder));
}

Admitter Router::to_admitter() const {
  auto shared = std::make_shared<const Router>(*this);
  return [shared](HttpRequest& head) { return shared->admit(head); };
}

Handler Router::to_handler() const {
  auto shared = std::make_shared<const Router>(*this);
  return [shared](HttpRequest request, Responder responder) {
    shared->dispatch(std::move(request), std::move(responder));
  };
}

}  // namespace pop::http
