#include "ledger/body.h"

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/sha256.h"

namespace caseledger::ledger {

Result<Json> OpenBody(const Event& e, Keystore& keys) {
  if (!e.body) return NotFound("event " + std::to_string(e.seq) + " has no body");
  const std::string where = "body of seq " + std::to_string(e.seq);
  auto dek = keys.DataKey(e.body->kid);
  if (!dek.ok()) {
    if (dek.status().code() == StatusCode::kNotFound)
      return FailedPrecondition(where + ": data key " + e.body->kid +
                                " has been destroyed");
    return dek.status().WithContext(where);
  }
  auto ct = crypto::Base64Decode(e.body->ct);
  auto n = crypto::Base64Decode(e.body->n);
  if (!ct.ok() || !n.ok() || n->size() != crypto::kAeadNonceBytes)
    return Corruption(where + ": ciphertext or nonce is not valid base64");
  crypto::AeadNonce nonce;
  std::copy(n->begin(), n->end(), nonce.bytes.begin());
  const crypto::Digest ad = crypto::Sha256(AsBytes(EncodeForBodyAd(e)));
  auto plain = crypto::AeadOpen(**dek, nonce, ad.view(), *ct);
  if (!plain.ok()) return Corruption(where + ": does not authenticate");
  const std::string_view text = AsChars(*plain);
  JsonLimits limits;
  auto j = ParseUntrustedJson(text, limits);
  if (!j.ok() || !j->is_object() || CanonicalJson(*j) != text)
    return Corruption(where + ": plaintext is not a canonical JSON object");
  return std::move(*j);
}

}  // namespace caseledger::ledger
