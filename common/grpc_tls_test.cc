#include "common/grpc_tls.h"

#include <gtest/gtest.h>

namespace hadron {
namespace {

TEST(GrpcTlsTest, Loopback) {
  EXPECT_TRUE(IsLoopbackHostPort("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackHostPort("127.1.2.3:1"));
  EXPECT_TRUE(IsLoopbackHostPort("localhost:50051"));
  EXPECT_TRUE(IsLoopbackHostPort("[::1]:50051"));
  EXPECT_TRUE(IsLoopbackHostPort("ipv4:127.0.0.1:5"));
  EXPECT_FALSE(IsLoopbackHostPort("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackHostPort("[::]:50051"));
  EXPECT_FALSE(IsLoopbackHostPort("10.0.0.7:50051"));
  EXPECT_FALSE(IsLoopbackHostPort("statesvc-0.statesvc:50051"));
  EXPECT_FALSE(IsLoopbackHostPort("127.0.0.1.evil.example:1"));
}

TEST(GrpcTlsTest, PlaintextOnlyOnLoopbackUnlessAllowed) {
  GrpcTlsConfig none;
  EXPECT_TRUE(GrpcServerCredentials(none, "127.0.0.1:0").ok());
  EXPECT_FALSE(GrpcServerCredentials(none, "0.0.0.0:50051").ok());
  EXPECT_TRUE(GrpcChannelCredentials(none, "127.0.0.1:50051").ok());
  EXPECT_FALSE(GrpcChannelCredentials(none, "statesvc:50051").ok());
  GrpcTlsConfig allow;
  allow.allow_plaintext = true;
  EXPECT_TRUE(GrpcServerCredentials(allow, "0.0.0.0:50051").ok());
  EXPECT_TRUE(GrpcChannelCredentials(allow, "statesvc:50051").ok());
}

TEST(GrpcTlsTest, IncompleteConfigurationsAreErrors) {
  GrpcTlsConfig c;
  c.cert = "/nonexistent/cert.pem";
  EXPECT_FALSE(GrpcServerCredentials(c, "127.0.0.1:0").ok());  // no key
  c.key = "/nonexistent/key.pem";
  EXPECT_FALSE(GrpcServerCredentials(c, "127.0.0.1:0").ok());  // unreadable
  GrpcTlsConfig ca_only;
  ca_only.ca = "/nonexistent/ca.pem";
  EXPECT_FALSE(GrpcServerCredentials(ca_only, "127.0.0.1:0").ok());
  GrpcTlsConfig client_no_ca;
  client_no_ca.cert = "a";
  client_no_ca.key = "b";
  EXPECT_FALSE(GrpcChannelCredentials(client_no_ca, "127.0.0.1:1").ok());
}

}  // namespace
}  // namespace hadron
