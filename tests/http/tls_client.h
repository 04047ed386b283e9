// TLS for the server's tests, on OpenSSL directly (no Asio, so the server is
// checked by independent code): TestCertificate makes a throw-away
// self-signed P-256 certificate for 127.0.0.1 and its key as PEM files in a
// temporary directory (no private key is ever committed), and TlsRequest is
// a blocking TLS client that connects to 127.0.0.1:port with a chosen
// protocol range and ciphers, verifies the server against that certificate,
// sends raw bytes and reads until the server closes. Every wait is bounded
// (5 s socket timeouts). Thread-safety: independent objects are independent.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace caseledger::testing {

// A new key pair and a self-signed certificate (CN "caseledger test",
// subjectAltName IP:127.0.0.1, valid from a minute ago for a day), written
// as PEM to cert_file() and key_file(); other_key_file() holds a second,
// unrelated key, and encrypted_key_file() the first key encrypted with a
// passphrase. The directory is removed on destruction. Throws
// std::runtime_error if OpenSSL fails.
class TestCertificate {
 public:
  TestCertificate() {
    char tmpl[] = "/tmp/caseledger-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> other(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    if (!key || !other || !cert) throw std::runtime_error("OpenSSL: key generation failed");
    X509* x = cert.get();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 60 * 60);
    X509_set_pubkey(x, key.get());
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("caseledger test"), -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    if (san == nullptr || X509_add_ext(x, san, -1) != 1)
      throw std::runtime_error("OpenSSL: subjectAltName failed");
    X509_EXTENSION_free(san);
    if (X509_sign(x, key.get(), EVP_sha256()) == 0)
      throw std::runtime_error("OpenSSL: signing the certificate failed");
    Write(cert_file(), [&](FILE* f) { return PEM_write_X509(f, x); });
    Write(key_file(), [&](FILE* f) {
      return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    Write(other_key_file(), [&](FILE* f) {
      return PEM_write_PrivateKey(f, other.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    Write(encrypted_key_file(), [&](FILE* f) {
      static char passphrase[] = "passphrase";
      return PEM_write_PrivateKey(f, key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                  passphrase);
    });
  }
  ~TestCertificate() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;

  std::string dir() const { return dir_; }
  std::string cert_file() const { return dir_ + "/cert.pem"; }
  std::string key_file() const { return dir_ + "/key.pem"; }
  std::string other_key_file() const { return dir_ + "/other-key.pem"; }
  std::string encrypted_key_file() const { return dir_ + "/encrypted-key.pem"; }

 private:
  template <class WriteFn>
  static void Write(const std::string& path, WriteFn write) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + path);
    const int ok = write(f);
    std::fclose(f);
    if (ok != 1) throw std::runtime_error("OpenSSL: cannot write " + path);
  }

  std::string dir_;
};

struct TlsClientOptions {
  int min_version = TLS1_2_VERSION;  // TLS1_VERSION … TLS1_3_VERSION
  int max_version = 0;               // 0: the highest OpenSSL knows
  std::string ciphers;               // TLS 1.2 and below; empty: OpenSSL's default
  // Below 1 lets the client offer what OpenSSL's default level forbids
  // (TLS 1.1, SHA-1): the server, not the client, must be what refuses it.
  int security_level = -1;           // -1: OpenSSL's default
};

// What one TLS connection did.
struct TlsExchange {
  bool connected = false;  // TCP
  bool handshake = false;  // TLS established and the server's certificate verified
  int version = 0;         // the negotiated protocol (TLS1_2_VERSION, …)
  std::string cipher;      // the negotiated cipher suite's OpenSSL name
  int reason = 0;          // ERR_GET_REASON of a failed handshake's first error
  std::string error;       // OpenSSL's words, for INFO
  std::string response;    // every byte read until the server closed
  bool closed = false;     // the server closed (close_notify or TCP) before the timeout
};

// Connects to 127.0.0.1:`port`, handshakes trusting only `ca_file` (and
// checking that the certificate names 127.0.0.1), sends `request` and reads
// until the connection ends. Blocking; each socket wait at most 5 s.
inline TlsExchange TlsRequest(std::uint16_t port, const std::string& ca_file,
                              const TlsClientOptions& options, const std::string& request) {
  // OpenSSL writes with write(2): a server that has closed the connection
  // (a refusal) must fail the write, not kill the test with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  TlsExchange out;
  const auto openssl_error = [&out] {
    const unsigned long e = ERR_get_error();
    out.reason = ERR_GET_REASON(e);
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    out.error = text;
    ERR_clear_error();
  };
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (!ctx) throw std::runtime_error("OpenSSL: SSL_CTX_new failed");
  if (options.security_level >= 0) SSL_CTX_set_security_level(ctx.get(), options.security_level);
  SSL_CTX_set_min_proto_version(ctx.get(), options.min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), options.max_version);
  if (!options.ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), options.ciphers.c_str()) != 1)
    throw std::runtime_error("OpenSSL: no cipher in " + options.ciphers);
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1)
    throw std::runtime_error("OpenSSL: cannot load " + ca_file);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  out.connected = true;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
  if (SSL_connect(ssl.get()) != 1) {
    openssl_error();
    ::close(fd);
    return out;
  }
  out.handshake = true;
  out.version = SSL_version(ssl.get());
  out.cipher = SSL_get_cipher_name(ssl.get());
  if (!request.empty() &&
      SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0) {
    openssl_error();
    ::close(fd);
    return out;
  }
  char buffer[16384];
  for (;;) {
    const int n = SSL_read(ssl.get(), buffer, static_cast<int>(sizeof buffer));
    if (n > 0) {
      out.response.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    const int e = SSL_get_error(ssl.get(), n);
    // A clean close_notify, or the TCP connection ending; not a timeout.
    out.closed = e == SSL_ERROR_ZERO_RETURN ||
                 (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
                                            SSL_R_UNEXPECTED_EOF_WHILE_READING);
    ERR_clear_error();
    break;
  }
  ::close(fd);
  return out;
}

}  // namespace caseledger::testing
