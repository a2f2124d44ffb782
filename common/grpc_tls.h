// gRPC transport security shared by the statesvc, the frontends and hadronctl (issue 6):
// TLS with client certificates (mTLS) when configured; plaintext only on loopback unless the
// operator says otherwise.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace hadron {

// Files are PEM. Empty fields are "not configured".
struct GrpcTlsConfig {
  std::string cert;  // this side's certificate chain
  std::string key;   // its private key
  std::string ca;    // CA that signs the peer: a server requires client certificates signed by
                     // it; a client verifies the server against it
  bool allow_plaintext = false;  // plaintext also on non-loopback addresses
};

// Whether HOST of HOST:PORT is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHostPort(const std::string& host_port);

// Credentials to listen on `listen`: TLS when cert and key are set (with client-certificate
// verification when ca is set); plaintext otherwise, which is refused on a non-loopback address
// unless allow_plaintext.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const GrpcTlsConfig& config, const std::string& listen);

// Credentials to reach `target`: TLS when ca is set (presenting cert/key when set); plaintext
// otherwise, refused towards a non-loopback target unless allow_plaintext.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const GrpcTlsConfig& config, const std::string& target);

}  // namespace hadron
