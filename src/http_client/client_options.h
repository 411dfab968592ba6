// How a Client reaches its server. Validated once by Client::create. Every field has a default
// member initialiser so that designated initialisers may name only what they change.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace pop::http_client {

struct ClientOptions {
  // "http://host:port" or "https://host:port", optionally with a path prefix
  // ("https://pop.example.com/api"); request targets are appended to it. With unix_socket,
  // the host only names the Host header ("http://localhost" when left empty).
  std::string base_url{};
  // Path of a Unix domain socket to connect to instead of the URL's host and port (the
  // Docker Engine API). Need not exist yet: a daemon may create it after the client.
  std::string unix_socket{};
  // Sent as "Authorization: Bearer <token>" on every request unless the request sets its
  // own Authorization header.
  std::string bearer_token{};
  // PEM file of the CA certificates that may sign the server's certificate; empty means the
  // system's trust store. Must exist when given.
  std::string ca_file{};
  // The same as PEM text held in memory (a kubeconfig's certificate-authority-data); at most
  // one of ca_file and ca_pem.
  std::string ca_pem{};
  // A client certificate for mutual TLS, as a PEM file or as PEM text, with its private key
  // likewise (at most one form of each). Both or neither; files must exist when given.
  std::string client_certificate_file{};
  std::string client_certificate_pem{};
  std::string client_key_file{};
  std::string client_key_pem{};
  // Off only for tests and throw-away setups: it accepts any certificate for any name.
  bool verify_tls = true;
  // nullopt follows libcurl's default (the http_proxy, https_proxy and no_proxy environment
  // variables); "" connects directly; otherwise a proxy URL.
  std::optional<std::string> proxy{};
  std::chrono::milliseconds connect_timeout{5000};
  // For request(); zero means no limit. stream() has no total limit unless the request
  // asks for one.
  std::chrono::milliseconds request_timeout{30000};
  std::string user_agent = "pop";
  // request() fails rather than buffer a larger body, so a broken or hostile server cannot
  // exhaust memory.
  std::size_t max_response_bytes = std::size_t{64} << 20;
};

}  // namespace pop::http_client
