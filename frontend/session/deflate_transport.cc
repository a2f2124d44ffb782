// DeflateTransport: zlib's raw deflate (windowBits -15) over an inner Transport.
#include "frontend/session/deflate_transport.h"

#include <zlib.h>

#include <array>
#include <utility>

#include "asio/error.hpp"
#include "asio/system_error.hpp"

namespace hadron::frontend {
namespace {

class DeflateTransport final : public Transport {
 public:
  DeflateTransport(std::unique_ptr<Transport> inner, std::string pending)
      : inner_(std::move(inner)), in_buf_(std::move(pending)) {
    ok_ = inflateInit2(&inflate_, -15) == Z_OK;
    inflate_init_ = ok_;
    ok_ = ok_ && deflateInit2(&deflate_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
                              Z_DEFAULT_STRATEGY) == Z_OK;
    deflate_init_ = ok_;
  }
  ~DeflateTransport() override {
    if (inflate_init_) inflateEnd(&inflate_);
    if (deflate_init_) deflateEnd(&deflate_);
  }

  asio::awaitable<size_t> ReadSome(asio::mutable_buffer buf) override {
    if (!ok_) throw asio::system_error(asio::error::invalid_argument);
    for (;;) {
      // Inflate what we have; also when the last call filled the caller's buffer, since zlib
      // may hold output back without any input left.
      if (buf.size() > 0 && (in_pos_ < in_buf_.size() || output_pending_)) {
        inflate_.next_in = reinterpret_cast<Bytef*>(in_buf_.data() + in_pos_);
        inflate_.avail_in = static_cast<uInt>(in_buf_.size() - in_pos_);
        inflate_.next_out = static_cast<Bytef*>(buf.data());
        inflate_.avail_out = static_cast<uInt>(buf.size());
        int rc = inflate(&inflate_, Z_SYNC_FLUSH);
        in_pos_ = in_buf_.size() - inflate_.avail_in;
        if (in_pos_ == in_buf_.size()) {
          in_buf_.clear();
          in_pos_ = 0;
        }
        size_t produced = buf.size() - inflate_.avail_out;
        output_pending_ = inflate_.avail_out == 0;
        if (rc == Z_STREAM_END) ended_ = true;
        if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
          // Not a deflate stream: the connection cannot continue.
          ok_ = false;
          throw asio::system_error(asio::error::invalid_argument);
        }
        if (produced > 0) co_return produced;
        output_pending_ = false;
      }
      // The client ended its deflate stream: nothing more can come.
      if (ended_) throw asio::system_error(asio::error::eof);
      size_t n = co_await inner_->ReadSome(asio::buffer(raw_));
      in_buf_.append(raw_.data(), n);
    }
  }

  asio::awaitable<void> Write(std::string_view data) override {
    const std::string_view parts[] = {data};
    co_await WriteParts(parts);
  }

  asio::awaitable<void> WriteParts(std::span<const std::string_view> parts) override {
    if (!ok_) throw asio::system_error(asio::error::invalid_argument);
    // Compressed synchronously into a local buffer, so concurrent writers cannot interleave
    // halves of each other's output; one flush at the end, as for one Write of it all.
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
      Compress(&out, parts[i], i + 1 == parts.size() ? Z_SYNC_FLUSH : Z_NO_FLUSH);
    }
    co_await inner_->Write(out);
  }

  bool tls_active() const override { return inner_->tls_active(); }
  // RFC 4978: no STARTTLS under compression.
  bool can_start_tls() const override { return false; }
  asio::awaitable<absl::Status> StartTls() override {
    co_return absl::FailedPreconditionError("compression is active");
  }
  void Close() override { inner_->Close(); }
  std::string peer() const override { return inner_->peer(); }
  bool loopback() const override { return inner_->loopback(); }

 private:
  void Compress(std::string* out, std::string_view data, int flush) {
    deflate_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    deflate_.avail_in = static_cast<uInt>(data.size());
    do {
      size_t used = out->size();
      out->resize(used + data.size() / 2 + 64);
      deflate_.next_out = reinterpret_cast<Bytef*>(out->data() + used);
      deflate_.avail_out = static_cast<uInt>(out->size() - used);
      deflate(&deflate_, flush);  // cannot fail with valid state and output space
      out->resize(out->size() - deflate_.avail_out);
    } while (deflate_.avail_out == 0 || deflate_.avail_in > 0);
  }

  std::unique_ptr<Transport> inner_;
  z_stream inflate_{};
  z_stream deflate_{};
  bool inflate_init_ = false;
  bool deflate_init_ = false;
  bool ok_ = false;
  bool output_pending_ = false;
  bool ended_ = false;
  std::string in_buf_;  // compressed bytes not inflated yet, from in_pos_
  size_t in_pos_ = 0;
  std::array<char, 16 * 1024> raw_;
};

}  // namespace

std::unique_ptr<Transport> MakeDeflateTransport(std::unique_ptr<Transport> inner,
                                                std::string pending_input) {
  return std::make_unique<DeflateTransport>(std::move(inner), std::move(pending_input));
}

}  // namespace hadron::frontend
