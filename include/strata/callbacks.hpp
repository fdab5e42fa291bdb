#pragma once
/// Callbacks with Keras's hooks, and the standard ones.
///
///   auto stop = std::make_shared<callbacks::EarlyStopping>("val_loss", /*min_delta=*/0, /*patience=*/3);
///   stop->restore_best_weights = true;
///   FitOptions opt;
///   opt.callbacks = {stop, std::make_shared<callbacks::CSVLogger>("log.csv")};
///
/// fit() returns the History: history.get("loss") per epoch, save_csv(), save_svg().
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/models/model.hpp"
#include "strata/models/training.hpp"

namespace strata::callbacks {

class Callback {
 public:
  virtual ~Callback() = default;
  void set_model(models::Model* model) { model_ = model; }
  models::Model* model() const { return model_; }

  virtual void on_train_begin(Logs&) {}
  virtual void on_train_end(Logs&) {}
  virtual void on_epoch_begin(int /*epoch*/, Logs&) {}
  /// logs hold the epoch's metrics, and the validation metrics prefixed "val_".
  virtual void on_epoch_end(int /*epoch*/, Logs&) {}
  virtual void on_train_batch_begin(std::int64_t /*batch*/, Logs&) {}
  /// logs hold the running metrics of the epoch so far.
  virtual void on_train_batch_end(std::int64_t /*batch*/, Logs&) {}
  virtual void on_test_begin(Logs&) {}
  virtual void on_test_end(Logs&) {}
  virtual void on_test_batch_begin(std::int64_t /*batch*/, Logs&) {}
  virtual void on_test_batch_end(std::int64_t /*batch*/, Logs&) {}
  virtual void on_predict_begin(Logs&) {}
  virtual void on_predict_end(Logs&) {}
  /// In a distributed fit (strata/distributed.hpp), whether only rank 0 runs this callback: the
  /// progress bar and the callbacks that write files. The others run on every rank, with the
  /// same (merged) epoch logs, so they decide alike.
  virtual bool root_only() const { return false; }

 private:
  models::Model* model_ = nullptr;
};

/// Every epoch's logs: history.get("val_accuracy")[epoch].
class History : public Callback {
 public:
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  const std::vector<int>& epochs() const { return epochs_; }
  /// The metric names, in the order they were first logged.
  std::vector<std::string> keys() const;
  /// ValueError naming the known keys when absent.
  const std::vector<double>& get(const std::string& key) const;
  /// epoch,loss,accuracy,... one row per epoch (written atomically).
  void save_csv(const std::string& path) const;
  /// An SVG chart (drawn by strata): one panel per metric, each with its validation series.
  std::string to_svg() const;
  void save_svg(const std::string& path) const;

 private:
  std::vector<int> epochs_;
  std::vector<std::pair<std::string, std::vector<double>>> series_;
};

/// Stops training when `monitor` stops improving for `patience` epochs.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(std::string monitor = "val_loss", double min_delta = 0.0, int patience = 0,
                         std::string mode = "auto");
  std::optional<double> baseline;
  bool restore_best_weights = false;
  int start_from_epoch = 0;
  /// The epoch training stopped at (-1 if it did not).
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }

  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;

 private:
  std::string monitor_, mode_;
  double min_delta_;
  int patience_;
  int wait_ = 0, stopped_epoch_ = -1, best_epoch_ = -1;
  double best_ = 0;
  bool has_best_ = false;
  bool warned_ = false;  // about a monitored value the logs do not hold
  std::vector<Tensor> best_weights_;
  bool improved(double value) const;
};

/// Sets the learning rate at the start of each epoch: schedule(epoch, current lr).
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int epoch, double lr)> schedule);
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  std::function<double(int, double)> schedule_;
};

/// Multiplies the learning rate by `factor` when `monitor` has not improved for `patience`
/// epochs (then waits `cooldown` epochs), never below min_lr.
class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(std::string monitor = "val_loss", double factor = 0.1, int patience = 10,
                             std::string mode = "auto", double min_delta = 1e-4, int cooldown = 0, double min_lr = 0.0);
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  std::string monitor_, mode_;
  double factor_, min_delta_, min_lr_;
  int patience_, cooldown_;
  int wait_ = 0, cooldown_counter_ = 0;
  double best_ = 0;
  bool has_best_ = false;
};

/// Appends each epoch's logs to a CSV file as training goes.
class CSVLogger : public Callback {
 public:
  bool root_only() const override { return true; }
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;

 private:
  std::string filename_, separator_;
  bool append_;
  std::ofstream file_;
  std::vector<std::string> keys_;
};

/// Stops training as soon as a batch's loss is NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
};

/// A callback from functions.
class LambdaCallback : public Callback {
 public:
  std::function<void(Logs&)> on_train_begin_fn, on_train_end_fn;
  std::function<void(int, Logs&)> on_epoch_begin_fn, on_epoch_end_fn;
  std::function<void(std::int64_t, Logs&)> on_batch_begin_fn, on_batch_end_fn;

  void on_train_begin(Logs& l) override {
    if (on_train_begin_fn) on_train_begin_fn(l);
  }
  void on_train_end(Logs& l) override {
    if (on_train_end_fn) on_train_end_fn(l);
  }
  void on_epoch_begin(int e, Logs& l) override {
    if (on_epoch_begin_fn) on_epoch_begin_fn(e, l);
  }
  void on_epoch_end(int e, Logs& l) override {
    if (on_epoch_end_fn) on_epoch_end_fn(e, l);
  }
  void on_train_batch_begin(std::int64_t b, Logs& l) override {
    if (on_batch_begin_fn) on_batch_begin_fn(b, l);
  }
  void on_train_batch_end(std::int64_t b, Logs& l) override {
    if (on_batch_end_fn) on_batch_end_fn(b, l);
  }
};

/// Saves the model at the end of every epoch, or only when `monitor` improves
/// (save_best_only). The path may hold {epoch} (1-based, as Keras counts), {epoch:02d} and log
/// values such as {val_loss:.4f}: "ckpt-{epoch:02d}.strata". A .strata file keeps the
/// optimizer state too; with save_weights_only (or a .npz path) only the weights are saved.
class ModelCheckpoint : public Callback {
 public:
  bool root_only() const override { return true; }
  explicit ModelCheckpoint(std::string filepath, std::string monitor = "val_loss", bool save_best_only = false,
                           std::string mode = "auto", bool save_weights_only = false);
  void on_epoch_end(int epoch, Logs& logs) override;
  /// The path an epoch's logs give (the filepath with its fields filled in).
  std::string path_for(int epoch, const Logs& logs) const;
  /// The best value of `monitor` so far (save_best_only).
  double best() const { return best_; }

 private:
  std::string filepath_, monitor_, mode_;
  bool save_best_only_, save_weights_only_;
  bool has_best_ = false;
  double best_ = 0;
  bool warned_ = false;  // about a monitored value the logs do not hold
};

/// Resumes interrupted training, as Keras's BackupAndRestore does: at the end of every epoch it
/// saves the model, its optimizer state, the epoch and strata's random generator to
/// backup_dir/backup.strata; when fit starts and that file exists, it restores all of them
/// and fit continues with the next epoch, so the result is bitwise what an uninterrupted run
/// gives (same seed, one thread). The backup is deleted when training completes.
class BackupAndRestore : public Callback {
 public:
  bool root_only() const override { return true; }
  explicit BackupAndRestore(std::string backup_dir, bool delete_checkpoint = true);
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;
  std::string backup_path() const { return dir_ + "/backup.strata"; }

 private:
  std::string dir_;
  bool delete_checkpoint_;
};

/// Keras's progress bar:
///   Epoch 3/5
///   469/469 [==============================] - 2s 4ms/step - loss: 0.3121 - accuracy: 0.8870
/// updated in place on a terminal, one line per epoch otherwise (fit adds it when verbose).
class ProgbarLogger : public Callback {
 public:
  ProgbarLogger(std::ostream& out, bool terminal, int verbose);
  bool root_only() const override { return true; }
  void set_params(int epochs, std::int64_t steps) {
    epochs_ = epochs;
    steps_ = steps;
  }
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  std::string line(std::int64_t done, const Logs& logs, bool final) const;
  std::ostream& out_;
  bool terminal_;
  int verbose_;
  int epochs_ = 1;
  std::int64_t steps_ = 0;
  double start_ = 0, last_draw_ = 0;
};

}  // namespace strata::callbacks

namespace strata {
using callbacks::History;
}
