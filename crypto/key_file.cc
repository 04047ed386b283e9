#include "crypto/key_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "base/bytes.h"
#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/blake2b.h"

namespace caseledger::crypto {
namespace {

constexpr mode_t kKeyFileMode = 0600;

// The one place that maps errno to a Status.
Status ErrnoStatus(int err, std::string_view what, const std::string& path) {
  std::string m(what);
  m += ' ';
  m += path;
  m += ": ";
  m += std::generic_category().message(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFound(std::move(m));
    case EEXIST:
      return AlreadyExists(std::move(m));
    case EACCES:
    case EPERM:
      return PermissionDenied(std::move(m));
    default:
      return IoError(std::move(m));
  }
}

// Owns a file descriptor; closes it (ignoring errors) unless Close() was
// called.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  // Closes and reports the error, if any (not retried on EINTR: Linux has
  // released the descriptor already).
  int Close() { return ::close(std::exchange(fd_, -1)) == 0 ? 0 : errno; }

 private:
  int fd_;
};

Status OpenForRead(const std::string& path, std::string_view what, Fd& out_fd,
                   struct stat& st) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return ErrnoStatus(errno, std::string("cannot open ") + std::string(what),
                       path);
  out_fd.Reset(fd);
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument(std::string(what) + " " + path +
                           " is not a regular file");
  }
  return Status::Ok();
}

// Reads exactly `len` bytes into `dst`; InvalidArgument if the file ends first.
Status ReadExactly(int fd, std::uint8_t* dst, std::size_t len,
                   const std::string& path) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::read(fd, dst + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot read", path);
    }
    if (n == 0)
      return InvalidArgument("file " + path +
                             " is shorter than it claimed to be");
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status WriteAll(int fd, ByteView data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write", path);
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status FsyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = -1;
  do {
    fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "cannot open directory", dir);
  Fd dir_fd(fd);
  if (::fsync(dir_fd.get()) != 0)
    return ErrnoStatus(errno, "cannot fsync directory", dir);
  if (int err = dir_fd.Close(); err != 0)
    return ErrnoStatus(err, "cannot close directory", dir);
  return Status::Ok();
}

// Writes `data` to a fresh temp file next to `path` (mode 0600), fsyncs it,
// then moves it into place — rename(2) if `replace`, else link(2) (fails with
// EEXIST if `path` exists) — and fsyncs the directory. The temp file never
// survives.
Status WriteFileAtomically(const std::string& path, ByteView data,
                           bool replace) {
  std::uint8_t rnd[8];
  randombytes_buf(rnd, sizeof rnd);
  const std::string tmp = path + ".tmp-" + ToHex(ByteView(rnd, sizeof rnd));

  int fd = -1;
  do {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                kKeyFileMode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "cannot create", tmp);
  Fd file(fd);
  struct TmpRemover {
    const std::string& name;
    bool armed = true;
    ~TmpRemover() {
      if (armed) ::unlink(name.c_str());
    }
  } remover{tmp};

  if (::fchmod(file.get(), kKeyFileMode) != 0)
    return ErrnoStatus(errno, "cannot chmod", tmp);
  if (Status s = WriteAll(file.get(), data, tmp); !s.ok()) return s;
  if (::fsync(file.get()) != 0) return ErrnoStatus(errno, "cannot fsync", tmp);
  if (int err = file.Close(); err != 0)
    return ErrnoStatus(err, "cannot close", tmp);

  if (replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      return ErrnoStatus(errno, "cannot rename to", path);
    remover.armed = false;
  } else {
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      if (errno == EEXIST)
        return AlreadyExists("key file " + path + " already exists");
      return ErrnoStatus(errno, "cannot create", path);
    }
    // remover unlinks the temp name; the data stays reachable through `path`.
  }
  return FsyncDirectoryOf(path);
}

std::string SealingContext(std::string_view purpose) {
  std::string c(kSealedKeyContextPrefix);
  c += purpose;
  return c;
}

std::string HeaderLine(std::string_view purpose) {
  std::string h(kSealedKeyMagic);
  h += " v1 ";
  h += purpose;
  h += '\n';
  return h;
}

Status CheckMaster(const SecretBytes& master) {
  if (master.size() != kMasterKeyBytes) {
    return InvalidArgument("master key must be " +
                           std::to_string(kMasterKeyBytes) + " bytes");
  }
  return Status::Ok();
}

// PermissionDenied if the file is accessible by group or others.
Status CheckPrivate(const std::string& path, std::string_view what, const struct stat& st) {
  if ((st.st_mode & 077) == 0) return Status::Ok();
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return PermissionDenied(std::string(what) + " " + path + " has mode " + mode +
                          "; it must not be accessible by group or others (chmod 600 " + path +
                          ")");
}

}  // namespace

Status WriteNewMasterKeyFile(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0)
    return AlreadyExists("key file " + path + " already exists");
  SecretBytes key(kMasterKeyBytes);
  key.Randomize();
  return WriteFileAtomically(path, key.view(), /*replace=*/false);
}

Result<SecretBytes> ReadMasterKeyFile(const std::string& path) {
  Fd fd(-1);
  struct stat st;
  CL_RETURN_IF_ERROR(OpenForRead(path, "master key file", fd, st));
  CL_RETURN_IF_ERROR(CheckPrivate(path, "master key file", st));
  if (st.st_size != static_cast<off_t>(kMasterKeyBytes)) {
    return InvalidArgument("master key file " + path + " must be exactly " +
                           std::to_string(kMasterKeyBytes) + " bytes, is " +
                           std::to_string(st.st_size));
  }
  SecretBytes key(kMasterKeyBytes);
  CL_RETURN_IF_ERROR(ReadExactly(fd.get(), key.data(), key.size(), path));
  return key;
}

Result<SecretBytes> ReadPassphraseFile(const std::string& path) {
  Fd fd(-1);
  struct stat st;
  CL_RETURN_IF_ERROR(OpenForRead(path, "passphrase file", fd, st));
  CL_RETURN_IF_ERROR(CheckPrivate(path, "passphrase file", st));
  if (st.st_size < 1 || st.st_size > 1024)
    return InvalidArgument("passphrase file " + path + " must hold 1 to 1024 bytes");
  SecretBytes raw(static_cast<std::size_t>(st.st_size));
  CL_RETURN_IF_ERROR(ReadExactly(fd.get(), raw.data(), raw.size(), path));
  std::size_t n = raw.size();
  if (n > 0 && raw.data()[n - 1] == '\n') --n;
  if (n > 0 && raw.data()[n - 1] == '\r') --n;
  if (n == 0) return InvalidArgument("passphrase file " + path + " holds an empty passphrase");
  SecretBytes out(n);
  std::memcpy(out.data(), raw.data(), n);
  return out;
}

Status ValidateKeyFilePurpose(std::string_view purpose) {
  if (purpose.empty() || purpose.size() > 64) {
    return InvalidArgument("key file purpose must be 1 to 64 characters");
  }
  for (char c : purpose) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok)
      return InvalidArgument("key file purpose may contain only [a-z0-9._-]");
  }
  return Status::Ok();
}

Result<std::string> SealKeyFileText(std::string_view purpose,
                                    const SecretBytes& master,
                                    const SecretBytes& secret) {
  CL_RETURN_IF_ERROR(ValidateKeyFilePurpose(purpose));
  CL_RETURN_IF_ERROR(CheckMaster(master));
  const std::string header = HeaderLine(purpose);
  const SecretBytes key = DeriveSubkey(master, SealingContext(purpose));
  const AeadNonce nonce = AeadNonce::Random();
  const Bytes sealed = AeadSeal(key, nonce, AsBytes(header), secret.view());
  Bytes body(nonce.bytes.begin(), nonce.bytes.end());
  body.insert(body.end(), sealed.begin(), sealed.end());
  std::string text = header;
  text += Base64Encode(body);
  text += '\n';
  return text;
}

Result<SecretBytes> OpenKeyFileText(std::string_view text,
                                    std::string_view purpose,
                                    const SecretBytes& master) {
  CL_RETURN_IF_ERROR(ValidateKeyFilePurpose(purpose));
  CL_RETURN_IF_ERROR(CheckMaster(master));
  const std::size_t header_end = text.find('\n');
  const std::string_view first = text.substr(0, header_end);
  if (header_end == std::string_view::npos ||
      !first.starts_with(kSealedKeyMagic) ||
      first.substr(kSealedKeyMagic.size(), 1) != " ") {
    return InvalidArgument(
        "not a caseledger sealed key file (first line must start with \"" +
        std::string(kSealedKeyMagic) + " \")");
  }
  std::string_view rest = first.substr(kSealedKeyMagic.size() + 1);
  const std::size_t sp = rest.find(' ');
  const std::string_view version = rest.substr(0, sp);
  if (version != "v1") {
    return InvalidArgument("unsupported sealed key file version \"" +
                           std::string(version) + "\"");
  }
  if (sp == std::string_view::npos)
    return InvalidArgument("sealed key file header names no purpose");
  const std::string_view file_purpose = rest.substr(sp + 1);
  CL_RETURN_IF_ERROR(ValidateKeyFilePurpose(file_purpose)
                         .WithContext("sealed key file header"));
  if (file_purpose != purpose) {
    return InvalidArgument("key file is sealed for purpose \"" +
                           std::string(file_purpose) + "\", not \"" +
                           std::string(purpose) + "\"");
  }

  std::string_view body = text.substr(header_end + 1);
  if (body.empty() || body.back() != '\n' ||
      body.find('\n') != body.size() - 1) {
    return InvalidArgument(
        "sealed key file must have exactly two lines, each ending in a "
        "newline");
  }
  body.remove_suffix(1);
  Result<Bytes> raw = Base64Decode(body);
  if (!raw.ok())
    return InvalidArgument("sealed key file body is not valid base64");
  if (raw->size() < kAeadNonceBytes + kAeadTagBytes) {
    return InvalidArgument("sealed key file body is too short");
  }
  AeadNonce nonce;
  std::copy_n(raw->begin(), kAeadNonceBytes, nonce.bytes.begin());
  const SecretBytes key = DeriveSubkey(master, SealingContext(purpose));
  const ByteView header(reinterpret_cast<const std::uint8_t*>(text.data()),
                        header_end + 1);
  Result<SecretBytes> secret = AeadOpenSecret(
      key, nonce, header, ByteView(*raw).subspan(kAeadNonceBytes));
  if (!secret.ok()) {
    return Corruption(
        "sealed key file (purpose \"" + std::string(purpose) +
        "\") does not authenticate: wrong master key, or the file was altered");
  }
  return std::move(secret).value();
}

Status WriteSealedKeyFile(const std::string& path, std::string_view purpose,
                          const SecretBytes& master,
                          const SecretBytes& secret) {
  CL_ASSIGN_OR_RETURN(const std::string text,
                      SealKeyFileText(purpose, master, secret));
  return WriteFileAtomically(path, AsBytes(text), /*replace=*/true);
}

Result<SecretBytes> ReadSealedKeyFile(const std::string& path,
                                      std::string_view purpose,
                                      const SecretBytes& master) {
  Fd fd(-1);
  struct stat st;
  CL_RETURN_IF_ERROR(OpenForRead(path, "sealed key file", fd, st));
  if (st.st_size < 0 ||
      static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes) {
    return InvalidArgument("sealed key file " + path + " is larger than " +
                           std::to_string(kMaxKeyFileBytes) + " bytes");
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  CL_RETURN_IF_ERROR(ReadExactly(fd.get(),
                                 reinterpret_cast<std::uint8_t*>(text.data()),
                                 text.size(), path));
  Result<SecretBytes> secret = OpenKeyFileText(text, purpose, master);
  if (!secret.ok()) return secret.status().WithContext("key file " + path);
  return secret;
}

}  // namespace caseledger::crypto
