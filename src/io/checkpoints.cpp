// The checkpoint callbacks (declared with the other callbacks in strata/callbacks.hpp), beside
// the formats they write: ModelCheckpoint saves through io::save_model / io::save_weights,
// BackupAndRestore through the .strata checkpoint with its training state.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "detail/errors.hpp"
#include "strata/callbacks.hpp"
#include "strata/io/saving.hpp"
#include "strata/random.hpp"
#include "training/monitor.hpp"

namespace strata::callbacks {

using detail_monitor::maximize;

// ---- ModelCheckpoint ----------------------------------------------------------------------------------------------

ModelCheckpoint::ModelCheckpoint(std::string filepath, std::string monitor, bool save_best_only, std::string mode,
                                 bool save_weights_only)
    : filepath_(std::move(filepath)), monitor_(std::move(monitor)), mode_(std::move(mode)),
      save_best_only_(save_best_only), save_weights_only_(save_weights_only) {
  if (filepath_.empty()) throw ValueError("ModelCheckpoint: filepath is empty");
  maximize(monitor_, mode_);  // validates the mode
}

std::string ModelCheckpoint::path_for(int epoch, const Logs& logs) const {
  // {epoch}, {epoch:02d}, {name} and {name:.4f}, as Keras formats its checkpoint paths
  std::string out;
  for (std::size_t i = 0; i < filepath_.size(); ++i) {
    if (filepath_[i] != '{') {
      out += filepath_[i];
      continue;
    }
    const std::size_t close = filepath_.find('}', i);
    if (close == std::string::npos) detail::raise<ValueError>("ModelCheckpoint: unclosed '{{' in '{}'", filepath_);
    const std::string field = filepath_.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string key = field.substr(0, colon), spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    try {
      if (key == "epoch") out += fmt::format(fmt::runtime("{:" + spec + "}"), epoch + 1);
      else if (logs.contains(key)) out += fmt::format(fmt::runtime("{:" + spec + "}"), logs.get(key));
      else detail::raise<ValueError>("ModelCheckpoint: '{}' names '{}', which the logs do not hold", filepath_, key);
    } catch (const fmt::format_error& e) {
      detail::raise<ValueError>("ModelCheckpoint: bad format '{{{}}}' in '{}': {}", field, filepath_, e.what());
    }
    i = close;
  }
  return out;
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  if (save_best_only_) {
    if (!logs.contains(monitor_)) {  // Keras warns and skips
      if (!warned_) detail_monitor::warn_missing_monitor("ModelCheckpoint", monitor_, logs);
      warned_ = true;
      return;
    }
    const double v = logs.get(monitor_);
    const bool better = !has_best_ || (maximize(monitor_, mode_) ? v > best_ : v < best_);
    if (!better) return;
    best_ = v;
    has_best_ = true;
  }
  const std::string path = path_for(epoch, logs);
  const bool npz = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npz") == 0;
  if (save_weights_only_ || npz) io::save_weights(*model(), path);
  else io::save_model(*model(), path);
}

// ---- BackupAndRestore ---------------------------------------------------------------------------------------------

BackupAndRestore::BackupAndRestore(std::string backup_dir, bool delete_checkpoint)
    : dir_(std::move(backup_dir)), delete_checkpoint_(delete_checkpoint) {
  if (dir_.empty()) throw ValueError("BackupAndRestore: backup_dir is empty");
}

void BackupAndRestore::on_train_begin(Logs&) {
  const std::string path = backup_path();
  if (::access(path.c_str(), F_OK) != 0) return;
  const io::CheckpointState s = io::load_checkpoint(*model(), path);
  if (s.rng.size() == 6) {
    std::array<std::uint64_t, 6> st{};
    std::copy(s.rng.begin(), s.rng.end(), st.begin());
    set_global_generator_state(st);
  }
  if (s.epoch >= 0) model()->resume_from_epoch = s.epoch + 1;
}

void BackupAndRestore::on_epoch_end(int epoch, Logs&) {
  ::mkdir(dir_.c_str(), 0755);
  io::CheckpointState s;
  s.epoch = epoch;
  const auto st = global_generator_state();
  s.rng.assign(st.begin(), st.end());
  io::save_checkpoint(*model(), backup_path(), s);
}

void BackupAndRestore::on_train_end(Logs&) {
  if (delete_checkpoint_ && !model()->stop_training) ::unlink(backup_path().c_str());
}

}  // namespace strata::callbacks
