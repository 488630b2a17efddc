#include "importers/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace detente::importers {
namespace {

constexpr size_t kChunk = 1 << 20;

gzFile Gz(void* p) { return static_cast<gzFile>(p); }

}  // namespace

absl::StatusOr<std::unique_ptr<LineReader>> LineReader::Open(
    const std::string& path) {
  const bool is_stdin = path == "-";
  int fd = is_stdin ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  }
  std::optional<uint64_t> size;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    size = static_cast<uint64_t>(st.st_size);
  }
  gzFile gz = gzdopen(fd, "rb");  // reads plain files transparently
  if (gz == nullptr) {
    close(fd);
    return absl::InternalError(absl::StrCat("cannot read ", path));
  }
  gzbuffer(gz, 256 * 1024);
  std::unique_ptr<LineReader> r(new LineReader(gz));
  r->total_bytes_ = size;
  return r;
}

LineReader::~LineReader() { gzclose(Gz(gz_)); }

uint64_t LineReader::bytes_consumed() const {
  const z_off_t off = gzoffset(Gz(gz_));
  return off < 0 ? 0 : static_cast<uint64_t>(off);
}

bool LineReader::Fill() {
  if (eof_) return false;
  buffer_.erase(0, pos_);
  pos_ = 0;
  const size_t old = buffer_.size();
  buffer_.resize(old + kChunk);
  const int n = gzread(Gz(gz_), buffer_.data() + old, kChunk);
  if (n < 0) {
    int errnum = 0;
    const char* msg = gzerror(Gz(gz_), &errnum);
    status_ = absl::DataLossError(absl::StrCat("read error: ", msg));
    buffer_.resize(old);
    eof_ = true;
    return false;
  }
  buffer_.resize(old + static_cast<size_t>(n));
  if (n == 0) eof_ = true;
  return n > 0;
}

bool LineReader::Next(std::string* line) {
  while (true) {
    const size_t nl = buffer_.find('\n', pos_);
    if (nl != std::string::npos) {
      size_t end = nl;
      if (end > pos_ && buffer_[end - 1] == '\r') --end;
      line->assign(buffer_, pos_, end - pos_);
      pos_ = nl + 1;
      ++line_number_;
      return true;
    }
    if (!Fill()) break;
  }
  if (!status_.ok() || pos_ >= buffer_.size()) return false;
  size_t end = buffer_.size();
  if (buffer_[end - 1] == '\r') --end;
  line->assign(buffer_, pos_, end - pos_);
  pos_ = buffer_.size();
  ++line_number_;
  return true;
}

}  // namespace detente::importers
