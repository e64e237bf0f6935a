#include "export/table_writer.hpp"

#include <csv.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <charconv>
#include <cstdio>
#include <set>

namespace ctims::exports {
namespace {

// The XLSX limit on one cell's text (libxlsxwriter truncates silently above).
constexpr std::size_t kMaxCellBytes = 32767;

std::string FormatNumber(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "";
  return std::string(buf, end);
}

void AppendField(std::string& out, std::string_view field) {
  // csv_write needs at most 2 * n + 2 bytes (every byte a quote, plus the
  // enclosing quotes).
  std::size_t at = out.size();
  out.resize(at + 2 * field.size() + 2);
  std::size_t n = csv_write(out.data() + at, out.size() - at, field.data(), field.size());
  out.resize(at + n);
}

std::string CellText(const Cell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return NeutralizeFormula(*s);
  if (const auto* d = std::get_if<double>(&cell)) return FormatNumber(*d);
  return "";
}

// An anonymous in-memory file, closed on scope exit.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("ctims-export", MFD_CLOEXEC)) {}
  ~MemoryFile() {
    if (fd_ >= 0) close(fd_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  bool ok() const { return fd_ >= 0; }
  std::string Path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  core::Result<std::string> ReadAll() const {
    std::string out;
    char buf[65536];
    off_t offset = 0;
    for (;;) {
      ssize_t n = pread(fd_, buf, sizeof buf, offset);
      if (n < 0) return core::Status::Internal("cannot read the assembled workbook");
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      offset += n;
    }
    return out;
  }

 private:
  int fd_;
};

}  // namespace

std::string NeutralizeFormula(std::string_view text) {
  if (!text.empty()) {
    char c = text.front();
    if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') {
      return "'" + std::string(text);
    }
  }
  return std::string(text);
}

std::string WriteCsv(const Table& table, bool utf8_bom) {
  std::string out;
  if (utf8_bom) out = "\xEF\xBB\xBF";
  auto line = [&out](const auto& fields, auto&& text_of) {
    bool first = true;
    for (const auto& f : fields) {
      if (!first) out.push_back(',');
      first = false;
      AppendField(out, text_of(f));
    }
    out += "\r\n";
  };
  line(table.header, [](const std::string& h) { return NeutralizeFormula(h); });
  for (const auto& row : table.rows) line(row, [](const Cell& c) { return CellText(c); });
  return out;
}

core::Result<std::string> WriteXlsx(const std::vector<Table>& tables) {
  std::set<std::string> names;
  for (const auto& t : tables) {
    if (!names.insert(t.name).second) {
      return core::Status::InvalidArgument("sheet name \"" + t.name + "\" is used twice");
    }
    for (const auto& row : t.rows) {
      for (const auto& cell : row) {
        const auto* s = std::get_if<std::string>(&cell);
        if (s && s->size() > kMaxCellBytes) {
          return core::Status::InvalidArgument("table \"" + t.name + "\" has a cell over 32,767 characters");
        }
      }
    }
  }
  MemoryFile file;
  if (!file.ok()) return core::Status::Internal("cannot create an in-memory file for the workbook");
  std::string path = file.Path();
  lxw_workbook* book = workbook_new(path.c_str());
  if (book == nullptr) return core::Status::Internal("libxlsxwriter cannot create the workbook");
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  for (const auto& t : tables) {
    lxw_error valid = workbook_validate_sheet_name(book, t.name.c_str());
    if (valid != LXW_NO_ERROR) {
      workbook_close(book);
      return core::Status::InvalidArgument("sheet name \"" + t.name + "\": " + lxw_strerror(valid));
    }
    lxw_worksheet* sheet = workbook_add_worksheet(book, t.name.c_str());
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), NeutralizeFormula(t.header[c]).c_str(), bold);
    }
    if (!t.header.empty()) worksheet_freeze_panes(sheet, 1, 0);
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      auto row = static_cast<lxw_row_t>(r + (t.header.empty() ? 0 : 1));
      for (std::size_t c = 0; c < t.rows[r].size(); ++c) {
        const Cell& cell = t.rows[r][c];
        auto col = static_cast<lxw_col_t>(c);
        if (const auto* s = std::get_if<std::string>(&cell)) {
          worksheet_write_string(sheet, row, col, NeutralizeFormula(*s).c_str(), nullptr);
        } else if (const auto* d = std::get_if<double>(&cell)) {
          worksheet_write_number(sheet, row, col, *d, nullptr);
        }
      }
    }
  }
  lxw_error closed = workbook_close(book);
  if (closed != LXW_NO_ERROR) {
    return core::Status::Internal(std::string("libxlsxwriter cannot write the workbook: ") + lxw_strerror(closed));
  }
  return file.ReadAll();
}

}  // namespace ctims::exports
