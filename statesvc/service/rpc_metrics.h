// RPC metrics of the statesvc's gRPC server, by a server interceptor: calls by method and status
// code, latency histograms by method, and the Watch streams open now.
#pragma once

#include <memory>

#include "grpcpp/support/server_interceptor.h"

namespace hadron::service {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewRpcMetricsFactory();

}  // namespace hadron::service
