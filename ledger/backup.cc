#include "ledger/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <utility>

#include "base/json.h"
#include "base/worker_pool.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "ledger/canonical_json.h"
#include "ledger/event_scan.h"
#include "ledger/keystore.h"
#include "ledger/ledger.h"
#include "ledger/lmdb/env.h"
#include "ledger/log_store.h"
#include "ledger/mirror.h"
#include "ledger/time.h"
#include "ledger/verify.h"
#include "ledger/writer.h"

namespace caseledger::ledger {

namespace fs = std::filesystem;

namespace {

// The LMDB environments a backup holds, in the order they are copied: the
// log before the keystore (backup.h says why). cosignatures/ is optional.
constexpr std::array<std::string_view, 3> kEnvs = {"ledger", "keystore", "cosignatures"};
// The plain files copied when the data directory has them. master.key only
// in demo mode (outside it the data directory's key file is refused anyway,
// and production keeps the master key away from every backup).
constexpr std::array<std::string_view, 4> kFiles = {"node.key", "ledger.pub", "master.salt",
                                                    "witnesses"};
constexpr std::string_view kDemoKeyFile = "master.key";
// Events per AppendVerified when a restore catches the log up.
constexpr std::uint64_t kCatchUpChunk = 4096;

std::int64_t Now(std::int64_t now_us) { return now_us != 0 ? now_us : NowMicros(); }

Result<crypto::Digest> HashFile(const std::string& path, std::uint64_t& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + path);
  crypto::Sha256Hasher h;
  std::vector<char> buf(std::size_t{1} << 20);
  bytes = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    h.Update(ByteView(reinterpret_cast<const std::uint8_t*>(buf.data()), n));
    bytes += n;
  }
  if (in.bad()) return IoError("cannot read " + path);
  return h.Final();
}

Status MakeDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return Status::Ok();
}

// Makes every file under `root` readable by its owner only (a backup holds
// the wrapped data keys and the sealed node key) and syncs every file and
// directory under `root`, then `root`, so a rename of `root` that follows is
// durable with its content.
Status SyncTree(const std::string& root) {
  std::error_code ec;
  std::vector<std::string> dirs{root};
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory()) {
      dirs.push_back(it->path().string());
    } else {
      std::error_code pec;
      fs::permissions(it->path(), fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::replace, pec);
      if (pec) return IoError("cannot restrict the permissions of " + it->path().string());
      CL_RETURN_IF_ERROR(FsyncPath(it->path().string(), false));
    }
  }
  if (ec) return IoError("cannot list " + root);
  for (const std::string& d : dirs) CL_RETURN_IF_ERROR(FsyncPath(d, true));
  return Status::Ok();
}

Status SyncParent(const std::string& path) {
  fs::path parent = fs::absolute(fs::path(path)).parent_path();
  return FsyncPath(parent.string(), true);
}

// lock.mdb is LMDB's reader table, made by whoever opens an environment: no
// part of the data, never in a backup, ignored when checking one.
bool IsLockFile(const fs::path& p) { return p.filename() == "lock.mdb"; }

void RemoveLockFiles(const std::string& root) {
  std::error_code ec;
  for (std::string_view env : kEnvs) fs::remove(fs::path(root) / env / "lock.mdb", ec);
}

Status CopyEnvironment(const std::string& from, const std::string& to) {
  lmdb::EnvOptions ro;
  ro.read_only = true;
  CL_ASSIGN_OR_RETURN(auto env, lmdb::Env::Open(from, ro));
  CL_RETURN_IF_ERROR(MakeDir(to));
  return env->CopyCompact(to);
}

Json ManifestJson(const BackupManifest& m) {
  Json files = Json::array();
  for (const BackupFile& f : m.files)
    files.push_back({{"path", f.path}, {"bytes", f.bytes}, {"sha256", f.sha256.Hex()}});
  return Json{{"format", std::string(kBackupFormat)},
              {"origin", m.origin},
              {"verifier", m.verifier},
              {"created", FormatTime(m.created_us)},
              {"expires", FormatTime(m.expires_us)},
              {"log", {{"size", m.log_size}, {"root", m.root.Hex()}, {"checkpoint", m.checkpoint}}},
              {"keystore",
               {{"epoch", m.keystore_epoch},
                {"live_keys", m.live_keys},
                {"destroyed_keys", m.destroyed_keys}}},
              {"files", files}};
}

Result<crypto::Digest> DigestFromHex(std::string_view hex) {
  auto b = FromHex(hex);
  crypto::Digest d;
  if (!b.ok() || b->size() != d.bytes.size()) return Corruption("not a SHA-256 in hex");
  std::copy(b->begin(), b->end(), d.bytes.begin());
  return d;
}

// A non-negative integer member no larger than `max` (JSON numbers above
// 2^53 are refused by the parser already; a negative one must not wrap).
Result<std::uint64_t> Count(const Json& v,
                            std::uint64_t max = static_cast<std::uint64_t>(kMaxSafeInteger)) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
      static_cast<std::uint64_t>(v.get<std::int64_t>()) > max)
    return Corruption("manifest.json: a count that is not a whole number in range");
  return static_cast<std::uint64_t>(v.get<std::int64_t>());
}

std::string SignatureMessage(std::string_view manifest_text) {
  return std::string(kBackupSignaturePrefix) + std::string(manifest_text);
}

// The files of `dir` (relative paths), lock files left out.
Result<std::set<std::string>> ListFiles(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory() || IsLockFile(it->path())) continue;
    out.insert(fs::relative(it->path(), dir).generic_string());
  }
  if (ec) return IoError("cannot list " + dir);
  return out;
}

// The subjects with a subject.erased in `store`'s log.
Result<std::set<std::string>> ErasedSubjects(LogStore& store) {
  std::set<std::string> out;
  CL_ASSIGN_OR_RETURN(Snapshot snap, store.Read());
  CL_RETURN_IF_ERROR(ForEachEventLine(
      snap, store, 1, [&](std::uint64_t, std::string_view line) -> Result<bool> {
        CL_ASSIGN_OR_RETURN(ScannedEvent e, ScanEvent(line, /*signature_input=*/false));
        if (e.type == "subject.erased" && !e.subject.empty()) {
          if (e.has_escapes) {
            // Ids are plain ASCII (base/ids.h); an escaped one is decoded the
            // long way rather than trusted raw.
            auto j = ParseUntrustedJson(line);
            if (!j.ok()) return j.status();
            out.insert((*j)["subject"].get<std::string>());
          } else {
            out.insert(std::string(e.subject));
          }
        }
        return true;
      }));
  return out;
}

// Catches `store` up from the log in ledger directory `src`: the events it
// has beyond ours, in chunks ending at its stored checkpoints, each chunk
// verified before it is stored (AppendVerified). A source no longer than
// ours must agree with ours at its size (else a fork).
Result<RestoreReport::Source> CatchUpFrom(LogStore& store, const crypto::NoteVerifier& verifier,
                                          const std::string& src, WorkerPool& pool) {
  RestoreReport::Source report{src, 0, 0};
  if (!fs::is_directory(src + "/ledger"))
    return NotFound("no ledger in " + src + " to catch the restored log up from");
  CL_ASSIGN_OR_RETURN(auto from, LogStore::Open(src, /*read_only=*/true));
  CL_ASSIGN_OR_RETURN(lmdb::ReadTxn txn, from->env().BeginRead());
  CL_ASSIGN_OR_RETURN(report.size, TreeSize(txn, *from));
  if (report.size == 0) return report;
  CL_ASSIGN_OR_RETURN(Held held, ReadHeld(store));
  if (report.size <= held.size) {
    CL_ASSIGN_OR_RETURN(auto latest, LatestCheckpoint(txn, *from));
    CL_ASSIGN_OR_RETURN(std::string note, LogSignedNote(latest.second, verifier));
    CL_ASSIGN_OR_RETURN(Comparison c, CompareWithHeld(store, verifier, note));
    if (c.relation == Relation::kFork)
      return Status(StatusCode::kCorruption,
                    src + " holds another history of this log: " + c.problem)
          .WithReason(std::string(kForkReason));
    return report;
  }
  CL_ASSIGN_OR_RETURN(lmdb::Cursor cps, lmdb::Cursor::Open(txn, from->checkpoints()));
  std::uint64_t have = held.size;
  while (have < report.size) {
    // The first stored checkpoint at or past have + kCatchUpChunk, else the
    // last one (the checkpoint of the source's whole log).
    const std::array<std::uint8_t, 8> want = EncodeBigEndian64(have + kCatchUpChunk);
    CL_ASSIGN_OR_RETURN(auto kv, cps.SeekAtLeast(ByteView(want.data(), want.size())));
    if (!kv) {
      CL_ASSIGN_OR_RETURN(kv, cps.Last());
    }
    if (!kv || kv->key.size() != 8) return Corruption(src + ": no checkpoint past the restored log");
    const std::uint64_t to = DecodeBigEndian64(kv->key);
    if (to <= have) return Corruption(src + ": its latest checkpoint is older than its log");
    std::string note(AsChars(kv->value));
    std::vector<std::string> lines;
    lines.reserve(to - have);
    for (std::uint64_t seq = have + 1; seq <= to; ++seq) {
      CL_ASSIGN_OR_RETURN(std::string line, ReadEventLine(txn, *from, seq));
      lines.push_back(std::move(line));
    }
    CL_ASSIGN_OR_RETURN(MirrorAppend a, AppendVerified(store, verifier, lines, note, &pool));
    report.appended += a.size - have;
    have = a.size;
  }
  return report;
}

}  // namespace

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + path + " to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot sync " + path);
  return Status::Ok();
}

std::string BackupManifestText(const BackupManifest& m) {
  return CanonicalJson(ManifestJson(m)) + "\n";
}

Result<BackupManifest> ParseBackupManifest(std::string_view text) {
  auto parsed = ParseUntrustedJson(text);
  if (!parsed.ok()) return Corruption("manifest.json is not valid JSON");
  const Json& j = *parsed;
  BackupManifest m;
  try {
    if (j.at("format").get<std::string>() != kBackupFormat)
      return Corruption("manifest.json is not a " + std::string(kBackupFormat) + " manifest");
    m.origin = j.at("origin").get<std::string>();
    m.verifier = j.at("verifier").get<std::string>();
    auto created = ParseTime(j.at("created").get<std::string>());
    auto expires = ParseTime(j.at("expires").get<std::string>());
    if (!created.ok() || !expires.ok()) return Corruption("manifest.json: a malformed time");
    m.created_us = *created;
    m.expires_us = *expires;
    const Json& log = j.at("log");
    CL_ASSIGN_OR_RETURN(m.log_size, Count(log.at("size")));
    CL_ASSIGN_OR_RETURN(m.root, DigestFromHex(log.at("root").get<std::string>()));
    m.checkpoint = log.at("checkpoint").get<std::string>();
    const Json& ks = j.at("keystore");
    CL_ASSIGN_OR_RETURN(std::uint64_t epoch, Count(ks.at("epoch"), std::numeric_limits<std::uint32_t>::max()));
    m.keystore_epoch = static_cast<std::uint32_t>(epoch);
    CL_ASSIGN_OR_RETURN(m.live_keys, Count(ks.at("live_keys")));
    CL_ASSIGN_OR_RETURN(m.destroyed_keys, Count(ks.at("destroyed_keys")));
    for (const Json& f : j.at("files")) {
      BackupFile bf;
      bf.path = f.at("path").get<std::string>();
      CL_ASSIGN_OR_RETURN(bf.bytes, Count(f.at("bytes")));
      CL_ASSIGN_OR_RETURN(bf.sha256, DigestFromHex(f.at("sha256").get<std::string>()));
      // Relative, inside the backup: no absolute path, no "..", no empty part.
      const fs::path p(bf.path);
      if (bf.path.empty() || p.is_absolute() ||
          std::any_of(p.begin(), p.end(), [](const fs::path& part) {
            return part.empty() || part == ".." || part == ".";
          }))
        return Corruption("manifest.json lists a file outside the backup");
      m.files.push_back(std::move(bf));
    }
  } catch (const Json::exception&) {
    return Corruption("manifest.json lacks a field or has one of the wrong type");
  }
  if (m.expires_us <= m.created_us) return Corruption("manifest.json: it expires before it was made");
  return m;
}

Result<BackupManifest> MakeBackup(const std::string& data_dir, const std::string& out,
                                  const BackupOptions& options) {
  if (options.keep_days < 1 || options.keep_days > kBackupMaxKeepDays)
    return InvalidArgument("--keep-days must be 1.." + std::to_string(kBackupMaxKeepDays));
  if (!fs::is_directory(data_dir + "/ledger")) return NotFound("no ledger in " + data_dir);
  const std::string partial = out + ".partial";
  if (fs::exists(out)) return AlreadyExists(out + " exists; a backup goes into a new directory");
  if (fs::exists(partial))
    return AlreadyExists(partial + " exists: another backup is being made there, or one was "
                         "interrupted (then remove it)");
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(data_dir));
  CL_ASSIGN_OR_RETURN(crypto::Ed25519SigningKey node_key, LoadNodeKey(data_dir, master));
  CL_ASSIGN_OR_RETURN(std::string vkey, ReadFirstLine(data_dir + "/ledger.pub"));
  CL_ASSIGN_OR_RETURN(crypto::NoteVerifier verifier, crypto::NoteVerifier::Parse(vkey));
  if (!(verifier.key == node_key.public_key()))
    return Corruption("ledger.pub is not the public key of node.key");

  BackupManifest m;
  m.created_us = Now(options.now_us);
  m.expires_us = m.created_us + options.keep_days * 86'400'000'000LL;
  m.verifier = vkey;
  m.origin = verifier.name;

  auto build = [&]() -> Status {
    CL_RETURN_IF_ERROR(MakeDir(partial));
    for (std::string_view env : kEnvs) {
      const std::string from = data_dir + "/" + std::string(env);
      if (env == "cosignatures" && !fs::is_directory(from)) continue;
      CL_RETURN_IF_ERROR(CopyEnvironment(from, partial + "/" + std::string(env)));
    }
    std::vector<std::string_view> files(kFiles.begin(), kFiles.end());
    if (DemoMode()) files.push_back(kDemoKeyFile);
    std::error_code ec;
    for (std::string_view f : files) {
      const std::string from = data_dir + "/" + std::string(f);
      if (!fs::exists(from)) continue;
      fs::copy_file(from, partial + "/" + std::string(f), ec);
      if (ec) return IoError("cannot copy " + from);
      fs::permissions(partial + "/" + std::string(f), fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::replace, ec);
    }

    // Verify the copy as `verify` would, against the node's own key.
    VerifyOptions vo;
    vo.threads = options.threads;
    vo.trusted_key = vkey;
    CL_ASSIGN_OR_RETURN(VerifyReport r, VerifyLedger(partial, vo));
    if (!r.ok)
      return Corruption("the copied log does not verify" +
                        (r.first_bad_seq ? " at seq " + std::to_string(*r.first_bad_seq) : "") +
                        ": " + r.problem);
    m.log_size = r.events;
    m.root = r.root;
    {
      CL_ASSIGN_OR_RETURN(auto store, LogStore::Open(partial, true));
      if (m.log_size > 0) {
        CL_ASSIGN_OR_RETURN(auto txn, store->env().BeginRead());
        CL_ASSIGN_OR_RETURN(m.checkpoint, CheckpointAt(txn, *store, m.log_size));
      }
    }
    {
      CL_ASSIGN_OR_RETURN(auto ks, Keystore::Open(partial + "/keystore", master, false));
      m.keystore_epoch = ks->epoch();
      CL_ASSIGN_OR_RETURN(m.live_keys, ks->LiveKeys());
      CL_ASSIGN_OR_RETURN(Keystore::ErasureRecords er, ks->Erasures());
      m.destroyed_keys = er.destroyed.size();
    }
    RemoveLockFiles(partial);

    CL_ASSIGN_OR_RETURN(std::set<std::string> names, ListFiles(partial));
    for (const std::string& name : names) {
      BackupFile f;
      f.path = name;
      CL_ASSIGN_OR_RETURN(f.sha256, HashFile(partial + "/" + name, f.bytes));
      m.files.push_back(std::move(f));
    }
    const std::string text = BackupManifestText(m);
    const crypto::Ed25519Signature sig = node_key.Sign(AsBytes(SignatureMessage(text)));
    {
      std::ofstream mf(partial + "/" + std::string(kBackupManifestFile), std::ios::binary);
      mf << text;
      std::ofstream sf(partial + "/" + std::string(kBackupSignatureFile), std::ios::binary);
      sf << crypto::Base64Encode(sig.view()) << "\n";
      mf.close();
      sf.close();
      if (!mf || !sf) return IoError("cannot write the backup's manifest");
    }
    CL_RETURN_IF_ERROR(SyncTree(partial));
    if (::rename(partial.c_str(), out.c_str()) != 0) return IoError("cannot rename " + partial);
    return SyncParent(out);
  };
  Status s = build();
  if (!s.ok()) {
    std::error_code ec;
    fs::remove_all(partial, ec);  // ours: made above, never a backup
    return s;
  }
  return m;
}

Result<BackupManifest> CheckBackup(const std::string& dir, const crypto::SecretBytes& master,
                                   std::int64_t now_us) {
  const std::string mpath = dir + "/" + std::string(kBackupManifestFile);
  std::ifstream in(mpath, std::ios::binary);
  if (!in)
    return NotFound(dir + " holds no " + std::string(kBackupManifestFile) +
                    ": not a backup, or an incomplete one");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CL_ASSIGN_OR_RETURN(BackupManifest m, ParseBackupManifest(text));

  // The signature, under the node key that only the master key unseals.
  auto sig_line = ReadFirstLine(dir + "/" + std::string(kBackupSignatureFile));
  if (!sig_line.ok()) return Corruption("the backup has no manifest.sig");
  auto sig_bytes = crypto::Base64Decode(*sig_line);
  crypto::Ed25519Signature sig;
  if (!sig_bytes.ok() || sig_bytes->size() != sig.bytes.size())
    return Corruption("manifest.sig is malformed");
  std::copy(sig_bytes->begin(), sig_bytes->end(), sig.bytes.begin());
  auto node_key = LoadNodeKey(dir, master);
  if (!node_key.ok())
    return node_key.status().WithContext("opening the backup's node.key with the master key");
  auto verifier = crypto::NoteVerifier::Parse(m.verifier);
  if (!verifier.ok() || !(verifier->key == node_key->public_key()))
    return Corruption("manifest.json names another log key than the backup's node.key");
  if (!crypto::Ed25519Verify(node_key->public_key(), AsBytes(SignatureMessage(text)), sig))
    return Corruption("manifest.json's signature does not verify: the manifest was altered");
  auto pub = ReadFirstLine(dir + "/ledger.pub");
  if (!pub.ok() || *pub != m.verifier) return Corruption("ledger.pub differs from the manifest");

  // Every listed file, with its size and checksum; nothing else.
  CL_ASSIGN_OR_RETURN(std::set<std::string> present, ListFiles(dir));
  present.erase(std::string(kBackupManifestFile));
  present.erase(std::string(kBackupSignatureFile));
  for (const BackupFile& f : m.files) {
    if (present.erase(f.path) == 0) return Corruption("the backup lacks " + f.path);
    std::uint64_t bytes = 0;
    CL_ASSIGN_OR_RETURN(crypto::Digest d, HashFile(dir + "/" + f.path, bytes));
    if (bytes != f.bytes || !(d == f.sha256))
      return Corruption(f.path + " is damaged (its size or SHA-256 differs from the manifest)");
  }
  if (!present.empty()) return Corruption("the backup holds a file its manifest does not list: " + *present.begin());
  for (std::string_view env : {"ledger", "keystore"}) {
    if (std::none_of(m.files.begin(), m.files.end(),
                     [&](const BackupFile& f) { return f.path == std::string(env) + "/data.mdb"; }))
      return Corruption("the backup holds no " + std::string(env) + "/data.mdb");
  }
  if (Now(now_us) >= m.expires_us)
    return InvalidArgument("the backup expired at " + FormatTime(m.expires_us) +
                              "; an expired backup is not restored, because it may hold the "
                              "data keys of subjects erased since (docs/privacy.md)");
  return m;
}

std::string RestoringDir(const std::string& target) { return target + ".restoring"; }

namespace {

Result<RestoreReport> RestoreInto(const std::string& backup, const std::string& target,
                                  const RestoreOptions& options) {
  CL_ASSIGN_OR_RETURN(crypto::SecretBytes master, LoadMasterKey(backup));
  RestoreReport report;
  CL_ASSIGN_OR_RETURN(report.manifest, CheckBackup(backup, master, options.now_us));
  const BackupManifest& m = report.manifest;

  const std::string dir = RestoringDir(target);
  std::error_code ec;
  fs::remove_all(dir, ec);  // an interrupted restore's leftover
  CL_RETURN_IF_ERROR(MakeDir(dir));
  CL_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
  for (const BackupFile& f : m.files) {
    const fs::path to = fs::path(dir) / f.path;
    CL_RETURN_IF_ERROR(MakeDir(to.parent_path().string()));
    fs::copy_file(fs::path(backup) / f.path, to, ec);
    if (ec) return IoError("cannot copy " + f.path + " from the backup");
    fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    // The copy is read back: a disk that damaged it is found now.
    std::uint64_t bytes = 0;
    CL_ASSIGN_OR_RETURN(crypto::Digest d, HashFile(to.string(), bytes));
    if (bytes != f.bytes || !(d == f.sha256)) return IoError("the copy of " + f.path + " differs from the backup");
  }

  CL_ASSIGN_OR_RETURN(crypto::NoteVerifier verifier, crypto::NoteVerifier::Parse(m.verifier));
  VerifyOptions vo;
  vo.threads = options.threads;
  vo.trusted_key = m.verifier;
  {
    CL_ASSIGN_OR_RETURN(VerifyReport r, VerifyLedger(dir, vo));
    if (!r.ok) return Corruption("the backup's log does not verify: " + r.problem);
    if (r.events != m.log_size || !(r.root == m.root))
      return Corruption("the backup's log differs from its manifest (size or root)");
  }
  {
    CL_ASSIGN_OR_RETURN(auto store, LogStore::Open(dir, false));
    WorkerPool pool(options.threads);
    for (const std::string& src : options.log_from) {
      CL_ASSIGN_OR_RETURN(RestoreReport::Source s, CatchUpFrom(*store, verifier, src, pool));
      report.sources.push_back(std::move(s));
    }
    CL_ASSIGN_OR_RETURN(Held held, ReadHeld(*store));
    report.size = held.size;

    // Crypto-shredding outlives the backup: every erasure in the (caught up)
    // log destroys its subject's key again.
    CL_ASSIGN_OR_RETURN(std::set<std::string> erased, ErasedSubjects(*store));
    report.erasures_in_log = erased.size();
    bool pending = false;
    {
      CL_ASSIGN_OR_RETURN(auto ks, Keystore::Open(dir + "/keystore", master, false));
      // First the bindings of pool keys the log names and the backup's
      // keystore lacks (a binding stored after the keystore was copied, or
      // never, for keys handed out after it): an erased subject's key is
      // then found, and destroyed, as any other.
      CL_RETURN_IF_ERROR(RecoverKeyPool(*store, *ks, /*use_pool=*/false)
                             .WithContext("binding the data keys the log names"));
      for (const std::string& s : erased) {
        if (ks->IsDestroyed(s)) continue;
        auto d = ks->Destroy(s);
        if (d.ok()) {
          ++report.keys_destroyed;
        } else if (d.status().code() != StatusCode::kNotFound) {
          return d.status().WithContext("destroying an erased subject's data key");
        }
      }
      CL_ASSIGN_OR_RETURN(Keystore::ErasureRecords er, ks->Erasures());
      for (const std::string& owner : er.destroyed)
        if (!erased.contains(owner)) report.destroyed_without_event.push_back(owner);
      pending = !er.pending.empty();
    }
    if (pending) {
      CL_RETURN_IF_ERROR(Keystore::Rotate(dir + "/keystore", master).status());
      report.rotated = true;
    }
  }
  return report;
}

}  // namespace

Result<RestoreReport> RestoreBackup(const std::string& backup, const std::string& target,
                                    const RestoreOptions& options) {
  if (fs::exists(target)) return AlreadyExists(target + " exists; restore into a new directory");
  auto r = RestoreInto(backup, target, options);
  if (!r.ok()) AbandonRestore(target);
  return r;
}

void AbandonRestore(const std::string& target) {
  std::error_code ec;
  fs::remove_all(RestoringDir(target), ec);
}

Status FinishRestore(const std::string& target) {
  const std::string dir = RestoringDir(target);
  if (fs::exists(target)) return AlreadyExists(target + " exists");
  std::error_code ec;
  fs::remove(fs::path(dir) / "LOCK", ec);
  CL_RETURN_IF_ERROR(SyncTree(dir));
  if (::rename(dir.c_str(), target.c_str()) != 0) return IoError("cannot rename " + dir);
  return SyncParent(target);
}

}  // namespace caseledger::ledger
