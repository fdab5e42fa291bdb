#include "strata/callbacks.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <ostream>

#include "detail/errors.hpp"
#include "detail/fileio.hpp"
#include "training/monitor.hpp"
#include "strata/optimizers.hpp"
#include "strata/random.hpp"

namespace strata::callbacks {

using detail_monitor::maximize;
using detail_monitor::warn_missing_monitor;

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// ---- History --------------------------------------------------------------------------------------------------

void History::on_train_begin(Logs&) {}

void History::on_epoch_end(int epoch, Logs& logs) {
  epochs_.push_back(epoch);
  for (const auto& [k, v] : logs.items()) {
    const std::string& key = k;  // (a structured binding cannot be captured in C++17)
    auto it = std::find_if(series_.begin(), series_.end(), [&](const auto& s) { return s.first == key; });
    if (it == series_.end()) {
      series_.emplace_back(k, std::vector<double>(epochs_.size() - 1, std::nan("")));
      it = series_.end() - 1;
    }
    it->second.push_back(v);
  }
  for (auto& [k, v] : series_)  // metrics absent this epoch
    if (v.size() < epochs_.size()) v.push_back(std::nan(""));
}

std::vector<std::string> History::keys() const {
  std::vector<std::string> k;
  for (const auto& s : series_) k.push_back(s.first);
  return k;
}

const std::vector<double>& History::get(const std::string& key) const {
  for (const auto& s : series_)
    if (s.first == key) return s.second;
  std::string known;
  for (const auto& s : series_) known += (known.empty() ? "" : ", ") + s.first;
  detail::raise<ValueError>("History has no '{}' (keys: {})", key, known.empty() ? "none" : known);
}

void History::save_csv(const std::string& path) const {
  std::string out = "epoch";
  for (const auto& s : series_) out += "," + s.first;
  out += "\n";
  for (std::size_t e = 0; e < epochs_.size(); ++e) {
    out += std::to_string(epochs_[e]);
    for (const auto& s : series_) out += fmt::format(",{:.6g}", s.second[e]);
    out += "\n";
  }
  detail::write_file_atomic(path, out);
}

std::string History::to_svg() const {
  // One panel per metric (val_ series drawn in the panel of their metric).
  std::vector<std::string> panels;
  for (const auto& s : series_)
    if (s.first.rfind("val_", 0) != 0 && s.first != "learning_rate") panels.push_back(s.first);
  const int pw = 420, ph = 300, ml = 60, mr = 20, mt = 40, mb = 45;
  const int width = pw * static_cast<int>(std::max<std::size_t>(panels.size(), 1));
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, ph);
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const std::string& key = panels[p];
    std::vector<std::pair<std::string, const std::vector<double>*>> lines{{key, &get(key)}};
    for (const auto& s : series_)
      if (s.first == "val_" + key) lines.emplace_back(s.first, &s.second);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& l : lines)
      for (double v : *l.second)
        if (std::isfinite(v)) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) hi = lo + 1e-12 + std::fabs(lo) * 0.01;
    const double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    const int x0 = static_cast<int>(p) * pw + ml, x1 = static_cast<int>(p + 1) * pw - mr, y0 = ph - mb, y1 = mt;
    const std::size_t n = epochs_.size();
    auto X = [&](std::size_t e) { return n <= 1 ? (x0 + x1) / 2.0 : x0 + (x1 - x0) * static_cast<double>(e) / (n - 1); };
    auto Y = [&](double v) { return y0 - (y0 - y1) * (v - lo) / (hi - lo); };
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n", (x0 + x1) / 2,
                       mt - 15, key);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", x0, y0, x1, y0);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", x0, y0, x0, y1);
    for (int t = 0; t <= 4; ++t) {  // y ticks
      const double v = lo + (hi - lo) * t / 4;
      svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3g}</text>\n", x0 - 5, Y(v) + 4, v);
      svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", x0, Y(v), x1, Y(v));
    }
    for (std::size_t e = 0; e < n; ++e)  // x ticks: epochs (1-based, as Keras prints them)
      if (n <= 10 || e % ((n + 9) / 10) == 0)
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", X(e), y0 + 16, epochs_[e] + 1);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">epoch</text>\n", (x0 + x1) / 2, ph - 8);
    const char* colors[] = {"#1f77b4", "#ff7f0e"};
    for (std::size_t li = 0; li < lines.size(); ++li) {
      std::string pts;
      for (std::size_t e = 0; e < n; ++e) {
        const double v = (*lines[li].second)[e];
        if (std::isfinite(v)) pts += fmt::format("{:.1f},{:.1f} ", X(e), Y(v));
      }
      svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n", colors[li % 2],
                         li ? " stroke-dasharray=\"6,4\"" : "", pts);
      svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", x1 - 110, y1 + 15 + 15 * static_cast<int>(li),
                         colors[li % 2], lines[li].first);
    }
  }
  return svg + "</svg>\n";
}

void History::save_svg(const std::string& path) const { detail::write_file_atomic(path, to_svg()); }

// ---- EarlyStopping -----------------------------------------------------------------------------------------------

EarlyStopping::EarlyStopping(std::string monitor, double min_delta, int patience, std::string mode)
    : monitor_(std::move(monitor)), mode_(std::move(mode)), min_delta_(std::fabs(min_delta)), patience_(patience) {
  maximize(monitor_, mode_);  // validates the mode
  if (patience < 0) detail::raise<ValueError>("EarlyStopping: patience must be >= 0, got {}", patience);
}

bool EarlyStopping::improved(double value) const {
  if (!has_best_) return true;
  return maximize(monitor_, mode_) ? value - min_delta_ > best_ : value + min_delta_ < best_;
}

void EarlyStopping::on_train_begin(Logs&) {
  wait_ = 0;
  stopped_epoch_ = -1;
  best_epoch_ = -1;
  has_best_ = false;
  best_weights_.clear();
  if (baseline) {
    best_ = *baseline;
    has_best_ = true;
  }
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  if (!logs.contains(monitor_)) {
    if (!warned_) warn_missing_monitor("EarlyStopping", monitor_, logs);  // once, as Python shows a warning
    warned_ = true;
    return;
  }
  if (epoch < start_from_epoch) return;
  const double current = logs.get(monitor_);
  if (restore_best_weights && best_weights_.empty()) best_weights_ = model()->get_weights();
  ++wait_;
  if (improved(current)) {
    best_ = current;
    has_best_ = true;
    best_epoch_ = epoch;
    if (restore_best_weights) best_weights_ = model()->get_weights();
    wait_ = 0;
    return;
  }
  if (wait_ >= patience_ && epoch > 0) {
    stopped_epoch_ = epoch;
    model()->stop_training = true;
  }
}

void EarlyStopping::on_train_end(Logs&) {
  // Keras 3 restores the best weights at the end whether or not training stopped early
  if (restore_best_weights && !best_weights_.empty()) model()->set_weights(best_weights_);
}

// ---- learning-rate callbacks -------------------------------------------------------------------------------------

namespace {
optimizers::Optimizer& optimizer_of(models::Model* m, const char* who) {
  if (!m || !m->optimizer()) detail::raise<RuntimeError>("{}: the model has no optimizer (compile it first)", who);
  return *m->optimizer();
}
}  // namespace

LearningRateScheduler::LearningRateScheduler(std::function<double(int, double)> schedule) : schedule_(std::move(schedule)) {
  if (!schedule_) throw ValueError("LearningRateScheduler: empty schedule");
}

void LearningRateScheduler::on_epoch_begin(int epoch, Logs&) {
  auto& opt = optimizer_of(model(), "LearningRateScheduler");
  opt.set_learning_rate(schedule_(epoch, opt.learning_rate()));
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) {
  logs.set("learning_rate", optimizer_of(model(), "LearningRateScheduler").learning_rate());
}

ReduceLROnPlateau::ReduceLROnPlateau(std::string monitor, double factor, int patience, std::string mode, double min_delta,
                                     int cooldown, double min_lr)
    : monitor_(std::move(monitor)), mode_(std::move(mode)), factor_(factor), min_delta_(std::fabs(min_delta)),
      min_lr_(min_lr), patience_(patience), cooldown_(cooldown) {
  if (!(factor > 0 && factor < 1)) detail::raise<ValueError>("ReduceLROnPlateau: factor must be in (0, 1), got {}", factor);
  maximize(monitor_, mode_);
}

void ReduceLROnPlateau::on_train_begin(Logs&) {
  wait_ = cooldown_counter_ = 0;
  has_best_ = false;
}

void ReduceLROnPlateau::on_epoch_end(int, Logs& logs) {
  auto& opt = optimizer_of(model(), "ReduceLROnPlateau");
  logs.set("learning_rate", opt.learning_rate());
  if (!logs.contains(monitor_)) return;
  const double current = logs.get(monitor_);
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  const bool better = !has_best_ || (maximize(monitor_, mode_) ? current - min_delta_ > best_ : current + min_delta_ < best_);
  if (better) {
    best_ = current;
    has_best_ = true;
    wait_ = 0;
  } else if (cooldown_counter_ == 0) {
    if (++wait_ >= patience_) {
      const double lr = opt.learning_rate();
      if (lr > min_lr_) {
        if (opt.has_schedule())
          throw ValueError("ReduceLROnPlateau: the optimizer's learning rate is a schedule; use a fixed rate");
        opt.set_learning_rate(std::max(lr * factor_, min_lr_));
        cooldown_counter_ = cooldown_;
        wait_ = 0;
      }
    }
  }
}

// ---- CSVLogger, TerminateOnNaN --------------------------------------------------------------------------------------

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), separator_(std::move(separator)), append_(append) {}

void CSVLogger::on_train_begin(Logs&) {
  file_.open(filename_, append_ ? std::ios::app : std::ios::trunc);
  if (!file_) detail::raise<IOError>("CSVLogger: cannot open '{}'", filename_);
  keys_.clear();
}

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  if (keys_.empty()) {  // Keras writes the keys sorted
    for (const auto& [k, v] : logs.items()) keys_.push_back(k);
    std::sort(keys_.begin(), keys_.end());
    if (!append_ || file_.tellp() == 0) {
      file_ << "epoch";
      for (const auto& k : keys_) file_ << separator_ << k;
      file_ << "\n";
    }
  }
  file_ << epoch;
  for (const auto& k : keys_) file_ << separator_ << (logs.contains(k) ? fmt::format("{:.6g}", logs.get(k)) : "NA");
  file_ << "\n";
  file_.flush();
}

void CSVLogger::on_train_end(Logs&) { file_.close(); }

void TerminateOnNaN::on_train_batch_end(std::int64_t batch, Logs& logs) {
  if (logs.contains("loss") && !std::isfinite(logs.get("loss"))) {
    model()->stop_training = true;
    std::fprintf(stderr, "Batch %lld: Invalid loss, terminating training\n", static_cast<long long>(batch));
  }
}

// ---- ProgbarLogger --------------------------------------------------------------------------------------------------

ProgbarLogger::ProgbarLogger(std::ostream& out, bool terminal, int verbose) : out_(out), terminal_(terminal), verbose_(verbose) {}

namespace {
std::string format_value(double v) {
  if (std::fabs(v) > 1e-3 || v == 0 || !std::isfinite(v)) return fmt::format("{:.4f}", v);
  return fmt::format("{:.4e}", v);
}

std::string format_per_step(double seconds) {
  if (seconds >= 1) return fmt::format("{:.0f}s/step", seconds);
  if (seconds >= 1e-3) return fmt::format("{:.0f}ms/step", seconds * 1e3);
  return fmt::format("{:.0f}us/step", seconds * 1e6);
}

std::string format_eta(double s) {
  const auto t = static_cast<long>(s);
  if (t >= 3600) return fmt::format("{}:{:02d}:{:02d}", t / 3600, (t % 3600) / 60, t % 60);
  if (t >= 60) return fmt::format("{}:{:02d}", t / 60, t % 60);
  return fmt::format("{}s", t);
}
}  // namespace

std::string ProgbarLogger::line(std::int64_t done, const Logs& logs, bool final) const {
  const double elapsed = now() - start_;
  const int digits = static_cast<int>(std::to_string(steps_).size());
  std::string s = fmt::format("{:>{}}/{}", done, digits, steps_);
  if (verbose_ == 1) {
    const int width = 30;
    const double progress = steps_ > 0 ? static_cast<double>(done) / static_cast<double>(steps_) : 1.0;
    const int filled = static_cast<int>(width * progress);
    std::string bar = "[";
    if (filled > 0) {
      bar += std::string(static_cast<std::size_t>(filled - 1), '=');
      bar += done < steps_ ? '>' : '=';
    }
    bar += std::string(static_cast<std::size_t>(width - filled), '.');
    bar += "]";
    s += " " + bar;
  }
  const double per_step = done > 0 ? elapsed / static_cast<double>(done) : 0.0;
  if (final) {
    s += fmt::format(" - {:.0f}s {}", elapsed, format_per_step(per_step));
  } else {
    s += " - ETA: " + format_eta(per_step * static_cast<double>(steps_ - done));
  }
  for (const auto& [k, v] : logs.items()) s += " - " + k + ": " + format_value(v);
  return s;
}

void ProgbarLogger::on_epoch_begin(int epoch, Logs&) {
  out_ << "Epoch " << epoch + 1 << "/" << epochs_ << "\n";
  out_.flush();
  start_ = now();
  last_draw_ = 0;
}

void ProgbarLogger::on_train_batch_end(std::int64_t batch, Logs& logs) {
  if (!terminal_ || verbose_ != 1) return;
  const double t = now();
  if (t - last_draw_ < 0.05 && batch + 1 < steps_) return;  // redraw at most 20 times a second
  last_draw_ = t;
  out_ << "\r" << line(batch + 1, logs, false) << "\x1b[K";
  out_.flush();
}

void ProgbarLogger::on_epoch_end(int, Logs& logs) {
  out_ << (terminal_ && verbose_ == 1 ? "\r" : "") << line(steps_, logs, true) << (terminal_ ? "\x1b[K" : "") << "\n";
  out_.flush();
}

}  // namespace strata::callbacks
