// The `strata` command-line tool: look at, run and convert saved models.
//
//   strata summary FILE
//   strata predict FILE --input a.npy [--input b.npy ...] --output-dir DIR [--batch-size N]
//   strata convert IN OUT
//   strata graph FILE [--no-shapes] > model.dot
//
// FILE is a .strata archive, a Keras 3 .keras file, a TensorFlow.js folder or its model.json. Errors print one line
// on stderr and exit with status 1 (2 for a wrong command line).
#include <sys/stat.h>

#include <cstdio>
#include <exception>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <strata/strata.hpp>

using namespace strata;

namespace {

constexpr const char* kUsage =
    "usage: strata <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  summary FILE                  print the model's summary table\n"
    "  predict FILE --input X.npy [--input Y.npy ...] --output-dir DIR [--batch-size N]\n"
    "                                run the model; writes DIR/output_0.npy, output_1.npy, ...\n"
    "  convert IN OUT                convert between .keras, .strata and TensorFlow.js (a folder or .../model.json)\n"
    "  graph FILE [--no-shapes]      print the model as a Graphviz graph (strata graph m.strata | dot -Tpng)\n"
    "\n"
    "FILE: a .strata archive, a Keras 3 .keras file, or a TensorFlow.js model (its folder or model.json).\n"
    "Run 'strata <command> --help' for a command's help.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

void need_positional(const std::vector<std::string>& args, std::size_t n, const char* command) {
  std::size_t positional = 0;
  for (const auto& a : args)
    if (a.rfind("--", 0) != 0) ++positional;
  if (positional != n)
    throw UsageError(std::string(command) + ": expected " + std::to_string(n) + " file argument" + (n > 1 ? "s" : "") +
                     ", got " + std::to_string(positional) + " (see 'strata " + command + " --help')");
}

/// Why a loaded model cannot run: its config gives no input shape, so it has no weights yet.
std::string unbuilt_reason(const Model& model) {
  return "The model '" + model.name() +
         "' is not built: its config gives no input shape (no InputLayer or batch_input_shape), so its weights do "
         "not exist yet and the file cannot be run as saved.";
}

int summary(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::cout << "usage: strata summary FILE\n  prints the Keras summary table of a saved model\n";
    return 0;
  }
  need_positional(args, 1, "summary");
  const std::shared_ptr<Model> model = io::load_model(args[0]);
  std::cout << model->summary();
  if (!model->built()) std::cout << unbuilt_reason(*model) << "\n";
  return 0;
}

int graph(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::cout << "usage: strata graph FILE [--no-shapes]\n"
                 "  prints the model as a Graphviz graph: strata graph m.strata | dot -Tpng > m.png\n";
    return 0;
  }
  bool shapes = true;
  std::vector<std::string> files;
  for (const auto& a : args) {
    if (a == "--no-shapes") shapes = false;
    else if (a.rfind("--", 0) == 0) throw UsageError("graph: unknown option '" + a + "'");
    else files.push_back(a);
  }
  need_positional(files, 1, "graph");
  std::cout << io::load_model(files[0])->to_dot(shapes);
  return 0;
}

int convert(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::cout << "usage: strata convert IN OUT\n"
                 "  IN, OUT: a .strata archive, a Keras 3 .keras file, or a TensorFlow.js folder (or .../model.json)\n";
    return 0;
  }
  need_positional(args, 2, "convert");
  io::save_model(*io::load_model(args[0]), args[1]);
  std::cout << "wrote " << args[1] << "\n";
  return 0;
}

/// mkdir -p: the output folder and its parents; IOError naming the one that cannot be made.
void make_directories(const std::string& dir) {
  for (std::size_t at = 1; at <= dir.size(); ++at) {
    if (at < dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    struct stat st {};
    if (::stat(part.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw IOError("predict: '" + part + "' exists and is not a folder");
      continue;
    }
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      throw IOError("predict: cannot create the folder '" + part + "': " + std::strerror(errno));
  }
}

int predict(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::cout << "usage: strata predict FILE --input X.npy [--input Y.npy ...] --output-dir DIR [--batch-size N]\n"
                 "  runs the model in inference mode on the .npy inputs (one per model input, in order)\n"
                 "  and writes DIR/output_0.npy, DIR/output_1.npy, ... (one per model output)\n";
    return 0;
  }
  std::vector<std::string> files, inputs;
  std::string out_dir;
  std::int64_t batch = 32;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError("predict: " + a + " needs a value");
      return args[++i];
    };
    if (a == "--input") inputs.push_back(value());
    else if (a == "--output-dir") out_dir = value();
    else if (a == "--batch-size") {
      const std::string& v = value();
      std::size_t used = 0;
      try {
        batch = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || batch <= 0)  // "3x" is not 3
        throw UsageError("predict: --batch-size takes a positive number, got '" + v + "'");
    } else if (a.rfind("--", 0) == 0) {
      throw UsageError("predict: unknown option '" + a + "'");
    } else {
      files.push_back(a);
    }
  }
  need_positional(files, 1, "predict");
  if (inputs.empty()) throw UsageError("predict: give the model's inputs with --input X.npy");
  if (out_dir.empty()) throw UsageError("predict: give --output-dir DIR");
  std::shared_ptr<Model> model = io::load_model(files[0]);
  if (!model->built()) throw ValueError("predict: " + unbuilt_reason(*model));
  if (model->inputs().size() != inputs.size())
    throw ValueError("predict: the model takes " + std::to_string(model->inputs().size()) + " inputs, got " +
                     std::to_string(inputs.size()) + " --input files");
  std::vector<Tensor> xs;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Tensor x = io::load_npy(inputs[k]);
    const DType want = model->inputs()[k].dtype();
    if (x.dtype() != want) x = cast(x, want);
    xs.push_back(x);
  }
  make_directories(out_dir);
  const std::vector<Tensor> ys = model->predict_all(xs, batch);
  for (std::size_t k = 0; k < ys.size(); ++k) {
    const std::string path = out_dir + "/output_" + std::to_string(k) + ".npy";
    io::save_npy(path, ys[k]);
    std::cout << "wrote " << path << " " << ys[k].shape() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (command == "summary") return summary(args);
    if (command == "predict") return predict(args);
    if (command == "convert") return convert(args);
    if (command == "graph") return graph(args);
    std::cerr << "strata: unknown command '" << command << "' (summary, predict, convert, graph; see strata --help)\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "strata " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::cerr << "strata " << command << ": " << msg << "\n";
    return 1;
  }
}
