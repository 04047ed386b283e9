#include "crypto/note.h"

#include <catch2/catch.hpp>
#include <string>

#include "crypto/base64.h"
#include "tests/crypto/test_util.h"

namespace caseledger::crypto {
namespace {

// Known answers from golang.org/x/mod/sumdb/note (note.go, note_test.go).
constexpr std::string_view kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+"
    "Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kEnochKey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnA"
    "M=\n";
constexpr std::string_view kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
constexpr std::string_view kPeterSigB64 =
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnA"
    "M=";
constexpr std::string_view kEnochSigB64 =
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=";

std::string S(std::string_view v) { return std::string(v); }

NoteVerifier Verifier(std::string_view vkey) {
  Result<NoteVerifier> v = NoteVerifier::Parse(vkey);
  REQUIRE(v.ok());
  return std::move(v).value();
}

// Go's signer key: "PRIVATE+KEY+<name>+<id>+base64(0x01 ‖ seed)".
Ed25519SigningKey PeterSigningKey() {
  // Go chops at the first four '+'; the base64 itself may contain '+'.
  std::size_t at = 0;
  for (int i = 0; i < 4; ++i) at = kPeterSkey.find('+', at) + 1;
  const std::string_view b64 = kPeterSkey.substr(at);
  Result<Bytes> typed = Base64Decode(b64);
  REQUIRE(typed.ok());
  REQUIRE(typed->size() == 33);
  REQUIRE((*typed)[0] == kNoteEd25519Type);
  Result<Ed25519SigningKey> key =
      Ed25519SigningKey::FromSeed(ByteView(*typed).subspan(1));
  REQUIRE(key.ok());
  return std::move(key).value();
}

StatusCode OpenCode(std::string_view msg, const NoteVerifier& v) {
  return OpenNote(msg, v).status().code();
}

TEST_CASE("note key id and verifier key (Go known answers)", "[crypto]") {
  const NoteVerifier peter = Verifier(kPeterKey);
  CHECK(peter.name == "PeterNeumann");
  CHECK(peter.key_id == 0xc74f20a3u);
  CHECK(NoteKeyId("PeterNeumann", peter.key) == 0xc74f20a3u);
  CHECK(peter.ToString() == kPeterKey);

  const Ed25519SigningKey sk = PeterSigningKey();
  CHECK(sk.public_key() == peter.key);
  const NoteVerifier built = NoteVerifier::For("PeterNeumann", sk.public_key());
  CHECK(built.key_id == 0xc74f20a3u);
  CHECK(built.ToString() == kPeterKey);

  const NoteVerifier enoch = Verifier(kEnochKey);
  CHECK(enoch.key_id == 0xaf0cfe78u);
  CHECK(enoch.ToString() == kEnochKey);

  // Upper-case hex is accepted on input (Go's strconv.ParseUint); output is
  // lower.
  const NoteVerifier upper = Verifier(
      "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  CHECK(upper.ToString() == kPeterKey);
}

TEST_CASE("note verifier keys: manglings are rejected (Go TestNewVerifier)",
          "[crypto]") {
  std::string b = S(kPeterKey);
  for (std::size_t i = 0; i <= b.size(); ++i) {
    for (std::size_t j = i + 1; j <= b.size(); ++j) {
      if (i == 0 && j == b.size()) continue;
      INFO(b.substr(i, j - i));
      CHECK(NoteVerifier::Parse(std::string_view(b).substr(i, j - i))
                .status()
                .code() == StatusCode::kInvalidArgument);
    }
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    ++b[i];
    INFO(b);
    CHECK(NoteVerifier::Parse(b).status().code() ==
          StatusCode::kInvalidArgument);
    --b[i];
  }
  // Wrong key length, with adjusted key id.
  CHECK_FALSE(NoteVerifier::Parse(
                  "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
                  "LDE4izWy10TWBADKEY==")
                  .ok());
  // Unknown algorithm, with adjusted key id.
  CHECK_FALSE(
      NoteVerifier::Parse(
          "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .ok());
  CHECK_FALSE(NoteVerifier::Parse("").ok());
  CHECK_FALSE(
      NoteVerifier::Parse(
          "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .ok());
  CHECK_FALSE(
      NoteVerifier::Parse("PeterNeumann+c74f20a3+"
                          "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n")
          .ok());
}

TEST_CASE("SignNote reproduces Go's signed note byte for byte", "[crypto]") {
  const std::string want = S(kText) + "\n" + S(kPeterSig);
  Result<std::string> msg = SignNote(kText, "PeterNeumann", PeterSigningKey());
  REQUIRE(msg.ok());
  CHECK(*msg == want);

  Result<OpenedNote> opened = OpenNote(*msg, Verifier(kPeterKey));
  REQUIRE(opened.ok());
  CHECK(opened->text == kText);
  CHECK(opened->other_signatures.empty());
}

TEST_CASE("OpenNote with Go's doubly signed note (Go TestOpen)", "[crypto]") {
  const NoteVerifier peter = Verifier(kPeterKey);
  const NoteVerifier enoch = Verifier(kEnochKey);
  const std::string both = S(kText) + "\n" + S(kPeterSig) + S(kEnochSig);

  SECTION("one verified, the other reported unverified") {
    Result<OpenedNote> n = OpenNote(both, peter);
    REQUIRE(n.ok());
    CHECK(n->text == kText);
    REQUIRE(n->other_signatures.size() == 1);
    CHECK(n->other_signatures[0].name == "EnochRoot");
    CHECK(n->other_signatures[0].key_id == 0xaf0cfe78u);
    CHECK(n->other_signatures[0].base64 == kEnochSigB64);
    CHECK(n->other_signatures[0].signature.size() == 64);
  }
  SECTION("the other signer's line verifies under its own key") {
    Result<OpenedNote> n = OpenNote(both, enoch);
    REQUIRE(n.ok());
    CHECK(n->text == kText);
    REQUIRE(n->other_signatures.size() == 1);
    CHECK(n->other_signatures[0].name == "PeterNeumann");
    CHECK(n->other_signatures[0].base64 == kPeterSigB64);
  }
  SECTION("ParseNote reports both lines in order") {
    Result<ParsedNote> p = ParseNote(both);
    REQUIRE(p.ok());
    CHECK(p->text == kText);
    REQUIRE(p->signatures.size() == 2);
    CHECK(p->signatures[0].name == "PeterNeumann");
    CHECK(p->signatures[0].key_id == 0xc74f20a3u);
    CHECK(p->signatures[1].name == "EnochRoot");
  }
  SECTION("only another signer: NotFound (unknown key)") {
    CHECK(OpenCode(S(kText) + "\n" + S(kEnochSig), peter) ==
          StatusCode::kNotFound);
    CHECK(OpenCode(S(kText) + "\n" + S(kPeterSig), enoch) ==
          StatusCode::kNotFound);
  }
  SECTION("at most 100 signatures") {
    std::string hundred = S(kText) + "\n";
    for (int i = 0; i < 100; ++i) hundred += kPeterSig;
    CHECK(OpenNote(hundred, peter).ok());
    CHECK(OpenCode(hundred + S(kPeterSig), peter) ==
          StatusCode::kInvalidArgument);
    CHECK(OpenCode(hundred + S(kEnochSig), enoch) ==
          StatusCode::kInvalidArgument);
  }
  SECTION("invalid signature by the known key: Corruption") {
    const std::string bad =
        S(kPeterSig.substr(0, 60)) + "ABCD" + S(kPeterSig.substr(60));
    CHECK(OpenCode(S(kText) + "\n" + bad, peter) == StatusCode::kCorruption);
  }
  SECTION("duplicated verified and unverified signatures") {
    const std::string enoch_abcd =
        S(kEnochSig.substr(0, 60)) + "ABCD" + S(kEnochSig.substr(60));
    Result<OpenedNote> n =
        OpenNote(S(kText) + "\n" + S(kPeterSig) + S(kPeterSig) + S(kEnochSig) +
                     S(kEnochSig) + enoch_abcd,
                 peter);
    REQUIRE(n.ok());
    REQUIRE(n->other_signatures.size() == 2);
    CHECK(n->other_signatures[0].base64 == kEnochSigB64);
    CHECK(n->other_signatures[1].base64 ==
          "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
          "5nABCD2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=");
  }
  SECTION(
      "a bad duplicate of the known key's line is not ignored (stricter than "
      "Go)") {
    const std::string bad =
        S(kPeterSig.substr(0, 60)) + "ABCD" + S(kPeterSig.substr(60));
    CHECK(OpenCode(S(kText) + "\n" + S(kPeterSig) + bad, peter) ==
          StatusCode::kCorruption);
  }
  SECTION("malformed notes (Go's badMsgs)") {
    const std::string bad_msgs[] = {
        S(kText),
        S(kText) + "\n",
        S(kText) + "\n" + S(kPeterSig.substr(0, kPeterSig.size() - 1)),
        "\x01" + S(kText) + "\n" + S(kPeterSig),
        "\xff" + S(kText) + "\n" + S(kPeterSig),
        S(kText) + "\n" + "\xE2\x80\x94 Bad Name " + S(kPeterSigB64),
        S(kText) + "\n" + S(kPeterSig) + "Unexpected line.\n",
    };
    for (const std::string& m : bad_msgs) {
      INFO(m);
      CHECK(OpenCode(m, peter) == StatusCode::kInvalidArgument);
      CHECK(ParseNote(m).status().code() == StatusCode::kInvalidArgument);
    }
  }
  SECTION("non-base64 bytes in a signature are malformed") {
    // "é" is valid UTF-8 but not base64; libsodium 1.0.18 alone would read its
    // two bytes as "//" (and report a bad signature instead of a malformed
    // note).
    std::string sig = S(kPeterSig);
    const std::size_t at = sig.find("UG/S") + 2;
    sig.replace(at, 2, "\xC3\xA9");
    CHECK(OpenCode(S(kText) + "\n" + sig, peter) ==
          StatusCode::kInvalidArgument);
  }
  SECTION("signature lines naming another key are unknown, not errors") {
    std::string misnamed = S(kPeterSig);
    misnamed.replace(misnamed.find("PeterNeumann"), 12, "CarmenSandiego");
    CHECK(OpenCode(S(kText) + "\n" + misnamed, peter) == StatusCode::kNotFound);
    std::string wrong_hash = S(kPeterSig);
    wrong_hash.replace(wrong_hash.find("x08g"), 4, "xxxx");
    CHECK(OpenCode(S(kText) + "\n" + wrong_hash, peter) ==
          StatusCode::kNotFound);
  }
}

TEST_CASE("notes: tampering is detected", "[crypto]") {
  const Ed25519SigningKey key = Ed25519SigningKey::Generate();
  const std::string origin = "caseledger.example/kommune/log";
  const NoteVerifier v = NoteVerifier::For(origin, key.public_key());
  const std::string text =
      origin + "\n42\nqSsEwjAc0ITH5gXFd30Yez6ouhMcwOn7kE7VCapEQLk=\n";
  Result<std::string> signed_note = SignNote(text, origin, key);
  REQUIRE(signed_note.ok());
  REQUIRE(OpenNote(*signed_note, v).ok());
  CHECK(OpenNote(*signed_note, v)->text == text);

  SECTION("tampered text") {
    std::string m = *signed_note;
    m[origin.size() + 1] = '3';  // tree size 42 -> 32
    CHECK(OpenCode(m, v) == StatusCode::kCorruption);
  }
  SECTION("any flipped bit of the signature (key id kept)") {
    Result<ParsedNote> p = ParseNote(*signed_note);
    REQUIRE(p.ok());
    REQUIRE(p->signatures.size() == 1);
    for (std::size_t i = 0; i < 64; ++i) {
      Bytes raw = Base64Decode(p->signatures[0].base64).value();
      raw[4 + i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      const std::string m =
          text + "\n\xE2\x80\x94 " + origin + " " + Base64Encode(raw) + "\n";
      CHECK(OpenCode(m, v) == StatusCode::kCorruption);
    }
  }
  SECTION("wrong key") {
    const Ed25519SigningKey other = Ed25519SigningKey::Generate();
    // Same name, other key: another key id, so an unknown key.
    CHECK(
        OpenCode(*signed_note, NoteVerifier::For(origin, other.public_key())) ==
        StatusCode::kNotFound);
    // A colliding key id (name + id match) with another key must fail to
    // verify.
    NoteVerifier colliding = v;
    colliding.key = other.public_key();
    CHECK(OpenCode(*signed_note, colliding) == StatusCode::kCorruption);
    // Another name.
    CHECK(OpenCode(*signed_note,
                   NoteVerifier::For("other.example/log", key.public_key())) ==
          StatusCode::kNotFound);
  }
  SECTION("a note re-signed by another key for the same name") {
    const Ed25519SigningKey other = Ed25519SigningKey::Generate();
    Result<std::string> forged = SignNote(text, origin, other);
    REQUIRE(forged.ok());
    CHECK(OpenCode(*forged, v) == StatusCode::kNotFound);
  }
  SECTION("truncations and extensions") {
    for (std::size_t n = 0; n < signed_note->size(); ++n) {
      CHECK_FALSE(
          OpenNote(std::string_view(*signed_note).substr(0, n), v).ok());
    }
    CHECK(OpenCode(*signed_note + "\n", v) == StatusCode::kInvalidArgument);
    CHECK(OpenCode(*signed_note + "x", v) == StatusCode::kInvalidArgument);
    CHECK(OpenCode("x" + *signed_note, v) == StatusCode::kCorruption);
  }
}

TEST_CASE("notes: round trips of unusual but valid texts", "[crypto]") {
  const Ed25519SigningKey key = Ed25519SigningKey::Generate();
  const NoteVerifier v =
      NoteVerifier::For("café.example/lög", key.public_key());
  const std::string texts[] = {
      "\n",
      "one line\n",
      "para one\n\npara two\n",
      "ends with a blank line\n\n",
      "unicode: ø å æ \xE2\x80\x94 \xF0\x9F\x94\x92, DEL \x7f is not a C0 "
      "control\n",
      "\xE2\x80\x94 looks like a signature line\n",
  };
  for (const std::string& t : texts) {
    INFO(t);
    Result<std::string> m = SignNote(t, v.name, key);
    REQUIRE(m.ok());
    CHECK(*SignNote(t, v.name, key) == *m);  // deterministic
    Result<OpenedNote> o = OpenNote(*m, v);
    REQUIRE(o.ok());
    CHECK(o->text == t);
  }
}

TEST_CASE("SignNote rejects bad texts and names", "[crypto]") {
  const Ed25519SigningKey key = Ed25519SigningKey::Generate();
  const std::string bad_texts[] = {
      "",
      "no newline",
      "tab\there\n",
      "cr\r\n",
      std::string("nul\0\n", 5),
      "\xff\n",
      "overlong \xC0\xAF\n",
      "surrogate \xED\xA0\x80\n",
      "truncated \xE2\x80\n",
      "above U+10FFFF \xF4\x90\x80\x80\n",
  };
  for (const std::string& t : bad_texts) {
    INFO(t);
    CHECK(SignNote(t, "log.example", key).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(ValidateNoteText(t).code() == StatusCode::kInvalidArgument);
  }
  const std::string bad_names[] = {
      "",
      "a+b",
      "a b",
      "a\tb",
      "a\nb",
      "a\xC2\xA0"
      "b",
      "a\xE3\x80\x80"
      "b",
      "a\xE2\x80\xA8"
      "b",
      "a\xE2\x80\x8A"
      "b",
      "\xff",
      "a\x01"
      "b",
  };
  for (const std::string& n : bad_names) {
    INFO(n);
    CHECK(ValidateNoteKeyName(n).code() == StatusCode::kInvalidArgument);
    CHECK(SignNote("text\n", n, key).status().code() ==
          StatusCode::kInvalidArgument);
  }
  for (const char* n :
       {"PeterNeumann", "sum.golang.org", "quasimodo.example/salvatore",
        "caseledger.example/kommune/log", "caf\xC3\xA9",
        "zero\xE2\x80\x8Bwidth"}) {
    INFO(n);
    CHECK(ValidateNoteKeyName(n).ok());
  }
}

}  // namespace
}  // namespace caseledger::crypto
