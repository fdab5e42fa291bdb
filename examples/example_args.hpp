#pragma once
// The command line every example shares: --epochs N --batch-size N --threads N --data DIR
// --seed N --out DIR (plus --steps N for the small ones).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <strata/strata.hpp>

struct ExampleArgs {
  int epochs = 5;
  long batch_size = 128;
  int threads = 0;  // 0: strata's default (every core)
  std::string data = "/usr/share/datasets/fashion-mnist";
  unsigned long long seed = 42;
  std::string out = ".";
  int steps = 0;
  long limit = 0;  // use only this many training examples (quick runs)

  static ExampleArgs parse(int argc, char** argv, const ExampleArgs& defaults) {
    ExampleArgs a = defaults;
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") usage(argv[0], 0);
      if (i + 1 >= argc) usage(argv[0], 2);
      const char* v = argv[++i];
      if (flag == "--epochs") a.epochs = std::atoi(v);
      else if (flag == "--batch-size") a.batch_size = std::atol(v);
      else if (flag == "--threads") a.threads = std::atoi(v);
      else if (flag == "--data") a.data = v;
      else if (flag == "--seed") a.seed = std::strtoull(v, nullptr, 10);
      else if (flag == "--out") a.out = v;
      else if (flag == "--steps") a.steps = std::atoi(v);
      else if (flag == "--limit") a.limit = std::atol(v);
      else usage(argv[0], 2);
    }
    if (a.threads > 0) strata::set_num_threads(a.threads);
    strata::set_seed(a.seed);
    return a;
  }

  [[noreturn]] static void usage(const char* prog, int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: %s [--epochs N] [--batch-size N] [--threads N] [--data DIR] [--seed N] [--out DIR] "
                 "[--steps N] [--limit N]\n",
                 prog);
    std::exit(code);
  }
};
