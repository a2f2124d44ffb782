#include "common/grpc_tls.h"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"

namespace hadron {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  std::string pem = ss.str();
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is not PEM"));
  }
  return pem;
}

std::string HostOf(const std::string& host_port) {
  std::string h = host_port;
  if (absl::StartsWith(h, "ipv4:")) h = h.substr(5);
  if (absl::StartsWith(h, "ipv6:")) h = h.substr(5);
  if (absl::StartsWith(h, "dns:///")) h = h.substr(7);
  if (!h.empty() && h[0] == '[') {
    size_t end = h.find(']');
    return end == std::string::npos ? h : h.substr(1, end - 1);
  }
  size_t colon = h.rfind(':');
  return colon == std::string::npos ? h : h.substr(0, colon);
}

}  // namespace

bool IsLoopbackHostPort(const std::string& host_port) {
  std::string h = HostOf(host_port);
  if (h == "localhost" || h == "::1") return true;
  in_addr a4;  // an IPv4 literal in 127.0.0.0/8, nothing that merely starts with "127."
  return inet_pton(AF_INET, h.c_str(), &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const GrpcTlsConfig& config, const std::string& listen) {
  if (config.cert.empty() != config.key.empty()) {
    return absl::InvalidArgumentError("a TLS certificate needs its key, and the key its certificate");
  }
  if (config.cert.empty()) {
    if (!config.ca.empty()) {
      return absl::InvalidArgumentError("client-certificate CA given without a server certificate");
    }
    if (!IsLoopbackHostPort(listen) && !config.allow_plaintext) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing plaintext gRPC on non-loopback ", listen,
          ": configure TLS (certificate, key, client CA) or allow plaintext explicitly"));
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions opts(
      config.ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                        : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto cert = ReadPem(config.cert, "certificate");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(config.key, "key");
  if (!key.ok()) return key.status();
  pair.cert_chain = *cert;
  pair.private_key = *key;
  opts.pem_key_cert_pairs.push_back(pair);
  if (!config.ca.empty()) {
    auto ca = ReadPem(config.ca, "CA");
    if (!ca.ok()) return ca.status();
    opts.pem_root_certs = *ca;
  }
  return grpc::SslServerCredentials(opts);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const GrpcTlsConfig& config, const std::string& target) {
  if (config.cert.empty() != config.key.empty()) {
    return absl::InvalidArgumentError("a TLS certificate needs its key, and the key its certificate");
  }
  if (config.ca.empty()) {
    if (!config.cert.empty()) {
      return absl::InvalidArgumentError("a client certificate needs the CA of the server too");
    }
    if (!IsLoopbackHostPort(target) && !config.allow_plaintext) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing plaintext gRPC to non-loopback ", target,
          ": configure TLS (CA, and a client certificate) or allow plaintext explicitly"));
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions opts;
  auto ca = ReadPem(config.ca, "CA");
  if (!ca.ok()) return ca.status();
  opts.pem_root_certs = *ca;
  if (!config.cert.empty()) {
    auto cert = ReadPem(config.cert, "certificate");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(config.key, "key");
    if (!key.ok()) return key.status();
    opts.pem_cert_chain = *cert;
    opts.pem_private_key = *key;
  }
  return grpc::SslCredentials(opts);
}

}  // namespace hadron
