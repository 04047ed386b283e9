#include "ledger/lmdb/env.h"


#include <lmdb.h>
#include <sys/mman.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <limits>
#include <mutex>

namespace caseledger::ledger::lmdb {

namespace {
thread_local std::optional<Failure> last_failure;
}  // namespace

std::optional<Failure> LastFailure() { return last_failure; }
void ClearLastFailure() { last_failure.reset(); }

std::string CodeName(int rc) {
  switch (rc) {
#define CASELEDGER_MDB_NAME(x) \
  case x:                      \
    return #x;
    CASELEDGER_MDB_NAME(MDB_KEYEXIST)
    CASELEDGER_MDB_NAME(MDB_NOTFOUND)
    CASELEDGER_MDB_NAME(MDB_PAGE_NOTFOUND)
    CASELEDGER_MDB_NAME(MDB_CORRUPTED)
    CASELEDGER_MDB_NAME(MDB_PANIC)
    CASELEDGER_MDB_NAME(MDB_VERSION_MISMATCH)
    CASELEDGER_MDB_NAME(MDB_INVALID)
    CASELEDGER_MDB_NAME(MDB_MAP_FULL)
    CASELEDGER_MDB_NAME(MDB_DBS_FULL)
    CASELEDGER_MDB_NAME(MDB_READERS_FULL)
    CASELEDGER_MDB_NAME(MDB_TLS_FULL)
    CASELEDGER_MDB_NAME(MDB_TXN_FULL)
    CASELEDGER_MDB_NAME(MDB_CURSOR_FULL)
    CASELEDGER_MDB_NAME(MDB_PAGE_FULL)
    CASELEDGER_MDB_NAME(MDB_MAP_RESIZED)
    CASELEDGER_MDB_NAME(MDB_INCOMPATIBLE)
    CASELEDGER_MDB_NAME(MDB_BAD_RSLOT)
    CASELEDGER_MDB_NAME(MDB_BAD_TXN)
    CASELEDGER_MDB_NAME(MDB_BAD_VALSIZE)
    CASELEDGER_MDB_NAME(MDB_BAD_DBI)
#undef CASELEDGER_MDB_NAME
    default:
      break;
  }
  if (rc > 0) {
    if (const char* name = strerrorname_np(rc); name != nullptr) return name;
  }
  return "rc=" + std::to_string(rc);
}

Status MdbStatus(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS) return Status::Ok();
  std::string m(what);
  m += ": ";
  m += mdb_strerror(rc);
  m += " [";
  m += CodeName(rc);
  m += "]";
  if (rc != MDB_NOTFOUND && rc != MDB_KEYEXIST)
    last_failure = Failure{std::string(what), CodeName(rc), rc};
  switch (rc) {
    case MDB_NOTFOUND:
    case ENOENT:
      return NotFound(std::move(m));
    case MDB_KEYEXIST:
      return AlreadyExists(std::move(m));
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_DBS_FULL:
    case ENOMEM:
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return ResourceExhausted(std::move(m));
    case MDB_READERS_FULL:
    case MDB_MAP_RESIZED:
    case EAGAIN:
      return Unavailable(std::move(m));
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_BAD_DBI:
    case MDB_INCOMPATIBLE:
      return Corruption(std::move(m));
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDenied(std::move(m));
    case EINVAL:
      return InvalidArgument(std::move(m));
    default:
      return IoError(std::move(m));
  }
}

namespace {
MDB_val ToVal(ByteView b) {
  return MDB_val{b.size(), const_cast<std::uint8_t*>(b.data())};
}
ByteView FromVal(const MDB_val& v) {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}
Result<std::optional<ByteView>> GetIn(MDB_txn* txn, Dbi dbi, ByteView key) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<ByteView>();
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB get");
  return std::optional<ByteView>(FromVal(v));
}
}  // namespace

// ReadTxn ---------------------------------------------------------------------

ReadTxn::ReadTxn(ReadTxn&& o) noexcept
    : txn_(std::exchange(o.txn_, nullptr)), lock_(std::move(o.lock_)) {}
ReadTxn& ReadTxn::operator=(ReadTxn&& o) noexcept {
  if (this != &o) {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = std::exchange(o.txn_, nullptr);
    lock_ = std::move(o.lock_);
  }
  return *this;
}
ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}
Result<std::optional<ByteView>> ReadTxn::Get(Dbi dbi, ByteView key) const {
  return GetIn(txn_, dbi, key);
}

// WriteTxn --------------------------------------------------------------------

WriteTxn::WriteTxn(WriteTxn&& o) noexcept
    : txn_(std::exchange(o.txn_, nullptr)),
      lock_(std::move(o.lock_)),
      env_(o.env_),
      map_full_(o.map_full_) {}
WriteTxn& WriteTxn::operator=(WriteTxn&& o) noexcept {
  if (this != &o) {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = std::exchange(o.txn_, nullptr);
    lock_ = std::move(o.lock_);
    env_ = o.env_;
    map_full_ = o.map_full_;
  }
  return *this;
}
WriteTxn::~WriteTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}
Result<std::optional<ByteView>> WriteTxn::Get(Dbi dbi, ByteView key) const {
  return GetIn(txn_, dbi, key);
}
Status WriteTxn::Put(Dbi dbi, ByteView key, ByteView value, PutMode mode) {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  unsigned flags = 0;
  if (mode == PutMode::kNoOverwrite) flags = MDB_NOOVERWRITE;
  if (mode == PutMode::kAppend) flags = MDB_APPEND;
  int rc = mdb_put(txn_, dbi, &k, &v, flags);
  if (rc == MDB_MAP_FULL) map_full_ = true;
  if (rc == MDB_KEYEXIST && mode == PutMode::kAppend) {
    return InvalidArgument("LMDB append: key does not sort after the last key");
  }
  return MdbStatus(rc, "LMDB put");
}
Status WriteTxn::Delete(Dbi dbi, ByteView key) {
  MDB_val k = ToVal(key);
  return MdbStatus(mdb_del(txn_, dbi, &k, nullptr), "LMDB delete");
}
Status WriteTxn::Clear(Dbi dbi) {
  return MdbStatus(mdb_drop(txn_, dbi, 0), "LMDB clear db");
}
Status WriteTxn::Commit() && {
  MDB_txn* txn = std::exchange(txn_, nullptr);
  int rc = 0;
  if (const int injected = env_ != nullptr ? env_->TakeInjectedFailure() : 0; injected != 0) {
    mdb_txn_abort(txn);  // as LMDB leaves a commit that failed
    rc = injected;
  } else {
    rc = mdb_txn_commit(txn);  // frees the txn whatever the outcome
  }
  lock_ = {};
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return MdbStatus(rc, "LMDB commit");
}
void WriteTxn::Abort() && {
  if (txn_ != nullptr) mdb_txn_abort(std::exchange(txn_, nullptr));
  lock_ = {};
}

// Cursor ----------------------------------------------------------------------

Result<Cursor> Cursor::Open(const ReadTxn& txn, Dbi dbi) { return OpenIn(txn.txn_, dbi); }
Result<Cursor> Cursor::Open(const WriteTxn& txn, Dbi dbi) { return OpenIn(txn.txn_, dbi); }
Result<Cursor> Cursor::OpenIn(MDB_txn* txn, Dbi dbi) {
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &c);
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB cursor open");
  return Cursor(c);
}
Cursor::Cursor(Cursor&& o) noexcept
    : cursor_(std::exchange(o.cursor_, nullptr)) {}
Cursor& Cursor::operator=(Cursor&& o) noexcept {
  if (this != &o) {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
    cursor_ = std::exchange(o.cursor_, nullptr);
  }
  return *this;
}
Cursor::~Cursor() {
  if (cursor_ != nullptr) mdb_cursor_close(cursor_);
}
Result<std::optional<KeyValue>> Cursor::Move(int op, ByteView key) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor_, &k, &v, static_cast<MDB_cursor_op>(op));
  if (rc == MDB_NOTFOUND) return std::optional<KeyValue>();
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB cursor");
  return std::optional<KeyValue>(KeyValue{FromVal(k), FromVal(v)});
}
Result<std::optional<KeyValue>> Cursor::First() { return Move(MDB_FIRST); }
Result<std::optional<KeyValue>> Cursor::Last() { return Move(MDB_LAST); }
Result<std::optional<KeyValue>> Cursor::Next() { return Move(MDB_NEXT); }
Result<std::optional<KeyValue>> Cursor::Prev() { return Move(MDB_PREV); }
Result<std::optional<KeyValue>> Cursor::SeekAtLeast(ByteView key) {
  return Move(MDB_SET_RANGE, key);
}

// Env -------------------------------------------------------------------------

Result<std::unique_ptr<Env>> Env::Open(const std::string& dir,
                                       const EnvOptions& options) {
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB env create");
  auto fail = [&](int code, std::string_view what) -> Status {
    mdb_env_close(env);
    return MdbStatus(code, what);
  };
  if ((rc = mdb_env_set_maxdbs(env, options.max_dbs)) != MDB_SUCCESS)
    return fail(rc, "LMDB set max dbs");
  if ((rc = mdb_env_set_maxreaders(env, options.max_readers)) != MDB_SUCCESS)
    return fail(rc, "LMDB set max readers");
  if (!options.read_only) {
    if ((rc = mdb_env_set_mapsize(env, options.initial_map_size)) !=
        MDB_SUCCESS)
      return fail(rc, "LMDB set map size");
  }
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (options.read_only) flags |= MDB_RDONLY;
  if (options.no_sync) flags |= MDB_NOSYNC;
  rc = mdb_env_open(env, dir.c_str(), flags, 0600);
  if (rc != MDB_SUCCESS) return fail(rc, "LMDB open " + dir);
  // A map smaller than the file (another process grew it): adopt the file's
  // size.
  MDB_envinfo info;
  mdb_env_info(env, &info);
  MDB_stat st;
  mdb_env_stat(env, &st);
  std::size_t used = (info.me_last_pgno + 1) * st.ms_psize;
  if (!options.read_only && info.me_mapsize < used * 2) {
    if ((rc = mdb_env_set_mapsize(env, used * 2)) != MDB_SUCCESS)
      return fail(rc, "LMDB set map size");
  }
  return std::unique_ptr<Env>(new Env(env, dir, options.read_only));
}

Env::~Env() {
  if (env_ != nullptr) mdb_env_close(env_);
}

Result<Dbi> Env::OpenDb(std::string_view name, bool create) {
  std::string n(name);
  auto lock = LockShared();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, read_only_ ? MDB_RDONLY : 0u, &txn);
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB begin txn to open db");
  MDB_dbi dbi = 0;
  rc = mdb_dbi_open(txn, n.c_str(), (create && !read_only_) ? MDB_CREATE : 0u,
                    &dbi);
  if (rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    return MdbStatus(rc, "LMDB open db " + n);
  }
  rc = mdb_txn_commit(txn);
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB commit open db " + n);
  return Dbi{dbi};
}

namespace {
constexpr auto kResizeGateWait = std::chrono::milliseconds(200);
}  // namespace

std::shared_lock<std::shared_mutex> Env::LockShared() const {
  if (resizes_waiting_.load() > 0) {
    std::unique_lock gate(gate_mu_);
    gate_cv_.wait_for(gate, kResizeGateWait, [&] { return resizes_waiting_.load() == 0; });
  }
  return std::shared_lock(resize_mu_);
}

Status Env::Resize(const std::function<Status()>& resize) {
  resizes_waiting_.fetch_add(1);
  Status s;
  {
    std::unique_lock lock(resize_mu_);
    s = resize();
  }
  {
    std::lock_guard gate(gate_mu_);
    resizes_waiting_.fetch_sub(1);
  }
  gate_cv_.notify_all();
  return s;
}

Status Env::AdoptNewMapSize() {
  return Resize([&] {
    return MdbStatus(mdb_env_set_mapsize(env_, 0), "LMDB adopt new map size");
  });
}

Result<ReadTxn> Env::BeginRead() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto lock = LockShared();
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc == MDB_SUCCESS) return ReadTxn(txn, std::move(lock));
    if (rc != MDB_MAP_RESIZED) return MdbStatus(rc, "LMDB begin read txn");
    lock.unlock();
    CL_RETURN_IF_ERROR(AdoptNewMapSize());
  }
  return Unavailable("LMDB map keeps being resized by another process");
}

Result<WriteTxn> Env::BeginWrite() {
  if (read_only_) return FailedPrecondition("LMDB env is read-only");
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto lock = LockShared();
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == MDB_SUCCESS) return WriteTxn(txn, std::move(lock), this);
    if (rc != MDB_MAP_RESIZED) return MdbStatus(rc, "LMDB begin write txn");
    lock.unlock();
    CL_RETURN_IF_ERROR(AdoptNewMapSize());
  }
  return Unavailable("LMDB map keeps being resized by another process");
}

Status Env::Write(const std::function<Status(WriteTxn&)>& fn) {
  for (int attempt = 0; attempt < 40; ++attempt) {
    CL_ASSIGN_OR_RETURN(WriteTxn txn, BeginWrite());
    Status s = fn(txn);
    if (s.ok()) {
      bool full_before = txn.map_full();
      s = std::move(txn).Commit();
      if (s.ok()) return s;
      if (!full_before && !txn.map_full()) return s;
    } else {
      bool full = txn.map_full();
      std::move(txn).Abort();
      if (!full) return s;
    }
    CL_RETURN_IF_ERROR(GrowMap());
  }
  return ResourceExhausted("LMDB map could not be grown enough for this write");
}

Status Env::GrowMap() {
  return Resize([&]() -> Status {
    MDB_envinfo info;
    int rc = mdb_env_info(env_, &info);
    if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB env info");
    if (info.me_mapsize > std::numeric_limits<std::size_t>::max() / 2) {
      return ResourceExhausted("LMDB map size cannot grow further");
    }
    return MdbStatus(mdb_env_set_mapsize(env_, info.me_mapsize * 2), "LMDB grow map");
  });
}

Result<EnvInfo> Env::Info() const {
  MDB_envinfo info;
  int rc = mdb_env_info(env_, &info);
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB env info");
  MDB_stat st;
  rc = mdb_env_stat(env_, &st);
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "LMDB env stat");
  return EnvInfo{info.me_mapsize, st.ms_psize, info.me_last_pgno,
                 info.me_last_txnid};
}

Status Env::ProbeWrite(Dbi dbi, std::string_view key, std::size_t bytes) {
  const std::string fill(bytes, '\0');
  CL_RETURN_IF_ERROR(Write([&](WriteTxn& txn) { return txn.Put(dbi, AsBytes(key), AsBytes(fill)); }));
  return Write([&](WriteTxn& txn) -> Status {
    Status s = txn.Delete(dbi, AsBytes(key));
    return s.code() == StatusCode::kNotFound ? Status::Ok() : s;
  });
}

Result<std::uint64_t> Env::FreeBytes() const {
  struct statvfs st {};
  if (statvfs(dir_.c_str(), &st) != 0) return MdbStatus(errno, "statvfs of the data directory");
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

void Env::InjectCommitFailures(int rc, int commits) {
  std::lock_guard lock(inject_mu_);
  inject_rc_ = rc;
  inject_commits_ = commits;
}

int Env::TakeInjectedFailure() {
  std::lock_guard lock(inject_mu_);
  if (inject_commits_ <= 0) return 0;
  --inject_commits_;
  return inject_rc_;
}

Status Env::Sync() { return MdbStatus(mdb_env_sync(env_, 1), "LMDB sync"); }

Status Env::CopyCompact(const std::string& dest_dir) {
  return MdbStatus(mdb_env_copy2(env_, dest_dir.c_str(), MDB_CP_COMPACT),
                   "LMDB compacting copy");
}

void Env::ReleaseMappedPages() {
  // LMDB does not report where it mapped the file (me_mapaddr is set only with
  // MDB_FIXEDMAP), so find the mapping of <dir>/data.mdb in /proc/self/maps.
  std::error_code ec;
  auto file = std::filesystem::canonical(std::filesystem::path(dir_) / "data.mdb", ec);
  if (ec) return;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() < file.native().size() || line.compare(line.size() - file.native().size(), std::string::npos, file.native()) != 0) {
      continue;
    }
    std::uintptr_t begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR, &begin, &end) != 2 || end <= begin) continue;
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
}

}  // namespace caseledger::ledger::lmdb

#include <csetjmp>
#include <csignal>

namespace caseledger::ledger::lmdb {

namespace {
thread_local sigjmp_buf* tls_fault_jump = nullptr;

void OnSigbus(int sig, siginfo_t*, void*) {
  if (tls_fault_jump != nullptr) siglongjmp(*tls_fault_jump, 1);
  // Not inside a guarded scan: restore the default action and re-raise.
  signal(sig, SIG_DFL);
  raise(sig);
}

void InstallSigbusHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
  });
}
}  // namespace

Status GuardMapFaults(const std::function<Status()>& fn) {
  InstallSigbusHandler();
  sigjmp_buf* outer = tls_fault_jump;  // guards nest
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) != 0) {
    tls_fault_jump = outer;
    return Corruption(
        "the data file ends before data that LMDB points to (file truncated)");
  }
  tls_fault_jump = &jump;
  Status s = fn();
  tls_fault_jump = outer;
  return s;
}

}  // namespace caseledger::ledger::lmdb
