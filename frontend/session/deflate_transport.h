// DeflateTransport: COMPRESS=DEFLATE (RFC 4978) as a Transport layered over another one (TCP or
// TLS): raw deflate (RFC 1951) both ways, every Write flushed (Z_SYNC_FLUSH) so each response,
// IDLE notifications included, reaches the client at once.
#pragma once

#include <memory>
#include <string>

#include "frontend/session/transport.h"

namespace hadron::frontend {

// `pending_input` holds bytes already read from `inner` that belong to the compressed stream
// (a client that pipelined after COMPRESS). If zlib cannot start, every read and write fails
// (the session ends).
std::unique_ptr<Transport> MakeDeflateTransport(std::unique_ptr<Transport> inner,
                                                std::string pending_input);

}  // namespace hadron::frontend
