#include "crypto/key_file.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "tests/crypto/test_util.h"

namespace caseledger::crypto {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    SecretBytes rnd(8);
    rnd.Randomize();
    path_ = fs::temp_directory_path() /
            ("caseledger-crypto-test-" + ToHex(rnd.view()));
    fs::create_directory(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const {
    return (path_ / name).string();
  }
  std::size_t Count() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(path_), fs::directory_iterator()));
  }

 private:
  fs::path path_;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

void WriteText(const std::string& path, std::string_view text,
               mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string Hexed(const SecretBytes& s) { return ToHex(s.view()); }

SecretBytes RandomSecret(std::size_t n) {
  SecretBytes s(n);
  s.Randomize();
  return s;
}

TEST_CASE("master key file: write once, read back, mode 0600", "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("master.key");
  REQUIRE(WriteNewMasterKeyFile(path).ok());
  CHECK(ModeOf(path) == 0600);
  CHECK(fs::file_size(path) == kMasterKeyBytes);
  CHECK(dir.Count() == 1);  // no temp file left behind

  Result<SecretBytes> key = ReadMasterKeyFile(path);
  REQUIRE(key.ok());
  CHECK(key->size() == kMasterKeyBytes);
  CHECK(Hexed(*key) == ToHex(AsBytes(ReadText(path))));

  // Never replaced.
  CHECK(WriteNewMasterKeyFile(path).code() == StatusCode::kAlreadyExists);
  CHECK(Hexed(ReadMasterKeyFile(path).value()) == Hexed(*key));
  CHECK(dir.Count() == 1);

  // Two new files differ.
  REQUIRE(WriteNewMasterKeyFile(dir.File("other.key")).ok());
  CHECK(Hexed(ReadMasterKeyFile(dir.File("other.key")).value()) != Hexed(*key));
}

TEST_CASE("master key file: errors", "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("master.key");
  CHECK(ReadMasterKeyFile(path).status().code() == StatusCode::kNotFound);
  CHECK(WriteNewMasterKeyFile(dir.File("no/such/dir/master.key")).code() ==
        StatusCode::kNotFound);

  REQUIRE(WriteNewMasterKeyFile(path).ok());
  for (int loose : {0640, 0604, 0660, 0644, 0602, 0610, 0701}) {
    INFO(loose);
    REQUIRE(::chmod(path.c_str(), static_cast<mode_t>(loose)) == 0);
    Result<SecretBytes> r = ReadMasterKeyFile(path);
    CHECK(r.status().code() == StatusCode::kPermissionDenied);
    CHECK(r.status().message().find("chmod 600") != std::string::npos);
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(ReadMasterKeyFile(path).ok());
  REQUIRE(::chmod(path.c_str(), 0700) == 0);
  CHECK(ReadMasterKeyFile(path).ok());

  WriteText(dir.File("short.key"), std::string(31, 'k'));
  CHECK(ReadMasterKeyFile(dir.File("short.key")).status().code() ==
        StatusCode::kInvalidArgument);
  WriteText(dir.File("long.key"), std::string(33, 'k'));
  CHECK(ReadMasterKeyFile(dir.File("long.key")).status().code() ==
        StatusCode::kInvalidArgument);
  WriteText(dir.File("empty.key"), "");
  CHECK(ReadMasterKeyFile(dir.File("empty.key")).status().code() ==
        StatusCode::kInvalidArgument);

  fs::create_directory(dir.File("a-dir"));
  ::chmod(dir.File("a-dir").c_str(), 0700);
  CHECK(ReadMasterKeyFile(dir.File("a-dir")).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("sealed key file: round trip, format, mode, replacement",
          "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("node.key");
  const SecretBytes master = RandomSecret(kMasterKeyBytes);
  const Ed25519SigningKey node = Ed25519SigningKey::Generate();

  REQUIRE(
      WriteSealedKeyFile(path, "node-signing-key", master, node.Seed()).ok());
  CHECK(ModeOf(path) == 0600);
  CHECK(dir.Count() == 1);

  const std::string text = ReadText(path);
  const std::string header = "caseledger-sealed-key v1 node-signing-key\n";
  REQUIRE(text.starts_with(header));
  CHECK(text.back() == '\n');
  Result<Bytes> body = Base64Decode(std::string_view(text).substr(
      header.size(), text.size() - header.size() - 1));
  REQUIRE(body.ok());
  CHECK(body->size() == 24 + 32 + 16);  // nonce ‖ ciphertext ‖ tag

  Result<SecretBytes> seed =
      ReadSealedKeyFile(path, "node-signing-key", master);
  REQUIRE(seed.ok());
  Result<Ed25519SigningKey> again = Ed25519SigningKey::FromSeed(seed->view());
  REQUIRE(again.ok());
  CHECK(again->public_key() == node.public_key());

  // Replacing is allowed (key rotation) and atomic.
  const SecretBytes other = RandomSecret(48);
  REQUIRE(WriteSealedKeyFile(path, "node-signing-key", master, other).ok());
  CHECK(dir.Count() == 1);
  CHECK(Hexed(ReadSealedKeyFile(path, "node-signing-key", master).value()) ==
        Hexed(other));

  // Each sealing uses a fresh nonce.
  Result<std::string> t1 = SealKeyFileText("x", master, other);
  Result<std::string> t2 = SealKeyFileText("x", master, other);
  REQUIRE(t1.ok());
  REQUIRE(t2.ok());
  CHECK(*t1 != *t2);
  CHECK(Hexed(OpenKeyFileText(*t1, "x", master).value()) ==
        Hexed(OpenKeyFileText(*t2, "x", master).value()));
}

TEST_CASE(
    "sealed key file: known answer (docs/formats/keyfile.md worked example)",
    "[crypto]") {
  const SecretBytes master = testing::SecretHex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const std::string text =
      "caseledger-sealed-key v1 node-signing-key\n"
      "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXPAzudfGMUzizm3iGl4Q003fdzL7lYgcwcr7z2++"
      "Jx2VNvR7n73hMTHhEyRXdeexg\n";
  Result<SecretBytes> secret =
      OpenKeyFileText(text, "node-signing-key", master);
  REQUIRE(secret.ok());
  CHECK(Hexed(*secret) ==
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
}

TEST_CASE("sealed key file: wrong master key, altered bytes, wrong purpose",
          "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("node.key");
  const SecretBytes master = RandomSecret(kMasterKeyBytes);
  const SecretBytes secret = RandomSecret(32);
  REQUIRE(WriteSealedKeyFile(path, "node-signing-key", master, secret).ok());
  const std::string text = ReadText(path);
  const std::size_t header_len = text.find('\n') + 1;

  SECTION("wrong master key: Corruption") {
    Result<SecretBytes> r = ReadSealedKeyFile(path, "node-signing-key",
                                              RandomSecret(kMasterKeyBytes));
    CHECK(r.status().code() == StatusCode::kCorruption);
    CHECK(r.status().message().find(path) != std::string::npos);
  }
  SECTION("a flipped byte of nonce, ciphertext or tag: Corruption") {
    Bytes raw = Base64Decode(std::string_view(text).substr(
                                 header_len, text.size() - header_len - 1))
                    .value();
    for (std::size_t i : {std::size_t{0}, std::size_t{23}, std::size_t{24},
                          raw.size() / 2, raw.size() - 1}) {
      INFO(i);
      Bytes bad = raw;
      bad[i] ^= 0x01;
      WriteText(path, text.substr(0, header_len) + Base64Encode(bad) + "\n");
      CHECK(
          ReadSealedKeyFile(path, "node-signing-key", master).status().code() ==
          StatusCode::kCorruption);
    }
  }
  SECTION("every single-bit change anywhere in the file is refused") {
    for (std::size_t i = 0; i < text.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = text;
        bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
        INFO("byte " << i << " bit " << bit);
        CHECK_FALSE(OpenKeyFileText(bad, "node-signing-key", master).ok());
      }
    }
  }
  SECTION("wrong purpose: InvalidArgument naming both") {
    Result<SecretBytes> r = ReadSealedKeyFile(path, "token-pepper", master);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("node-signing-key") != std::string::npos);
    CHECK(r.status().message().find("token-pepper") != std::string::npos);
  }
  SECTION("header edited to another purpose: the header is authenticated") {
    std::string edited =
        "caseledger-sealed-key v1 token-pepper\n" + text.substr(header_len);
    CHECK(OpenKeyFileText(edited, "token-pepper", master).status().code() ==
          StatusCode::kCorruption);
  }
  SECTION("malformed files") {
    const std::string body = text.substr(header_len);
    const std::string bad[] = {
        "",
        "caseledger-sealed-key v1 node-signing-key",
        "caseledger-sealed-key v1 node-signing-key\n",
        "caseledger-sealed-key v2 node-signing-key\n" + body,
        "caseledger-sealed-key v1\n" + body,
        "caseledger-sealed-key  v1 node-signing-key\n" + body,
        "caseledger-sealed-keyv1 node-signing-key\n" + body,
        "other-format v1 node-signing-key\n" + body,
        text.substr(0, text.size() - 1),  // no final newline
        text + "\n",                      // extra line
        text + "more\n",
        text.substr(0, header_len) + "AAAA\n",  // too short
        text.substr(0, header_len) + " " + body,
    };
    for (const std::string& b : bad) {
      INFO(b);
      CHECK(OpenKeyFileText(b, "node-signing-key", master).status().code() ==
            StatusCode::kInvalidArgument);
    }
  }
  SECTION("files that are not key files") {
    CHECK(ReadSealedKeyFile(dir.File("missing"), "node-signing-key", master)
              .status()
              .code() == StatusCode::kNotFound);
    WriteText(dir.File("big"), std::string(kMaxKeyFileBytes + 1, 'A'));
    CHECK(ReadSealedKeyFile(dir.File("big"), "node-signing-key", master)
              .status()
              .code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("sealed key file: argument checks", "[crypto]") {
  TempDir dir;
  const SecretBytes master = RandomSecret(kMasterKeyBytes);
  const SecretBytes secret = RandomSecret(32);
  for (const char* p : {"", "Node", "node key", "node/key", "a\n", "ø"}) {
    INFO(p);
    CHECK(ValidateKeyFilePurpose(p).code() == StatusCode::kInvalidArgument);
    CHECK(WriteSealedKeyFile(dir.File("k"), p, master, secret).code() ==
          StatusCode::kInvalidArgument);
  }
  CHECK(ValidateKeyFilePurpose(std::string(64, 'a')).ok());
  CHECK_FALSE(ValidateKeyFilePurpose(std::string(65, 'a')).ok());
  CHECK(ValidateKeyFilePurpose("node-signing-key.v2_x").ok());
  CHECK(
      WriteSealedKeyFile(dir.File("k"), "p", RandomSecret(16), secret).code() ==
      StatusCode::kInvalidArgument);
  CHECK(dir.Count() == 0);
  CHECK(WriteSealedKeyFile(dir.File("no/such/dir/k"), "p", master, secret)
            .code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace caseledger::crypto
