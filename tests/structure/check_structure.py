#!/usr/bin/env python3
"""strata's layout rules, checked on the source tree (run by ./run.sh test; exits 1 on a breach).

1. Dependencies run one way (DESIGN.md): core -> autograd -> ops -> layer kit -> layers ->
   models -> training -> io -> cli. No file includes a header of a later stage.
2. No source file passes MAX_LINES lines: split it by family.
3. Every public op (a function declared in include/strata/ops/*.hpp) is called in a test case
   tagged [gradcheck], or is listed in NOT_DIFFERENTIABLE with the reason it has no gradient.

Usage: check_structure.py [ROOT]   (ROOT defaults to the repository holding this file)
"""
import os
import re
import sys

MAX_LINES = 600

STAGES = ["core", "autograd", "ops", "autograd tools", "layer kit", "layers", "models", "training", "io", "cli", "umbrella"]

# Public headers outside a stage folder, by the stage they belong to.
TOP_HEADERS = {
    "dtype": "core", "shape": "core", "tensor": "core", "error": "core", "random": "core",
    "threads": "core", "blas": "core", "version": "core", "config": "core",
    "ops": "ops",
    "initializers": "layer kit", "regularizers": "layer kit", "constraints": "layer kit",
    "activations": "layer kit",
    "layers": "layers",
    "losses": "training", "metrics": "training", "optimizers": "training", "schedules": "training",
    "callbacks": "training", "distributed": "training",
    "strata": "umbrella",
}
# Folders (under include/strata/ and src/) by stage.
FOLDERS = {
    "core": "core", "detail": "core", "autograd": "autograd", "ops": "ops", "data": "ops",
    "layers": "layers", "models": "models", "training": "training", "distributed": "training", "io": "io", "cli": "cli",
    "interop": "umbrella",
}
# gradcheck and the functional transforms (jacobian, hvp) are built from ops, so they come after
# them though they live in autograd/ beside the tape.
AUTOGRAD_TOOLS = {"gradcheck", "functional"}
# The layer kit's sources live in src/layers/ beside the layers, one file each.
KIT_SOURCES = {"initializers", "regularizers", "constraints", "activations"}

# Public ops with no gradient to check: integer-valued, piecewise constant, predicates, constants.
NOT_DIFFERENTIABLE = {
    "sign": "piecewise constant",
    "isnan": "predicate", "isfinite": "predicate",
    "equal": "comparison", "not_equal": "comparison", "greater": "comparison",
    "greater_equal": "comparison", "less": "comparison", "less_equal": "comparison",
    "logical_and": "logic", "logical_or": "logic", "logical_not": "logic",
    "argmax": "integer result", "argmin": "integer result",
    "zeros_like": "constant", "ones_like": "constant", "full_like": "constant",
    "one_hot": "constant in its integer input",
    "floor": "piecewise constant", "ceil": "piecewise constant", "trunc": "piecewise constant",
    "round": "piecewise constant", "floor_divide": "piecewise constant", "heaviside": "piecewise constant",
    "argsort": "integer result", "searchsorted": "integer result", "in_top_k": "predicate",
    "count_nonzero": "integer result", "all": "predicate", "any": "predicate", "eye": "constant", "tri": "constant",
    "linspace": "constant", "logspace": "constant", "geomspace": "constant",
    "signbit": "predicate", "isinf": "predicate", "isclose": "predicate", "logical_xor": "logic",
}


def stage_of(rel):
    """The stage of a path relative to the repository root, or None when it has none."""
    parts = rel.split("/")
    if len(parts) >= 3 and parts[-2] == "autograd" and os.path.splitext(parts[-1])[0] in AUTOGRAD_TOOLS:
        return "autograd tools"
    if parts[0] == "include" and len(parts) >= 3 and parts[1] == "strata":
        if len(parts) == 3:
            return TOP_HEADERS.get(os.path.splitext(parts[2])[0])
        return FOLDERS.get(parts[2])
    if parts[0] == "src" and len(parts) >= 3:
        if parts[1] == "layers" and os.path.splitext(parts[2])[0] in KIT_SOURCES:
            return "layer kit"
        return FOLDERS.get(parts[1])
    return None


def resolve_include(target):
    """'strata/x.hpp' -> include/strata/x.hpp; 'ops/y.hpp' (from src) -> src/ops/y.hpp."""
    if target.startswith("strata/"):
        return "include/" + target
    return "src/" + target


# The one include against the chain, by design: the tape sums the gradients of a tensor used
# twice with the public add (and fills unconnected ones with zeros_like), so an outer tape records
# the sum and gradients of gradients come out right.
ALLOWED = {("src/autograd/tape.cpp", "strata/ops/math.hpp")}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def check_includes(root, files):
    errors = []
    for rel in files:
        if not (rel.startswith("src/") or rel.startswith("include/")):
            continue
        mine = stage_of(rel)
        if mine is None:
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                dep = resolve_include(m.group(1))
                theirs = stage_of(dep)
                if theirs is None:
                    continue
                if STAGES.index(theirs) > STAGES.index(mine) and (rel, m.group(1)) not in ALLOWED:
                    errors.append(f"{rel}:{n}: includes {m.group(1)} ({theirs}), a later stage than {mine}")
    return errors


def check_lengths(root, files):
    errors = []
    for rel in files:
        if not rel.endswith((".cpp", ".hpp", ".h")):
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            errors.append(f"{rel}: {n} lines (at most {MAX_LINES}: split it by family)")
    return errors


DECL = re.compile(r"^\s*(?:inline\s+)?(?:Tensor|std::vector<Tensor>|std::pair<Tensor,\s*Tensor>)\s+([a-z_][a-z0-9_]*)\s*\(",
                  re.M)
TEST_CASE = re.compile(r'^TEST_CASE\("(?:[^"\\]|\\.)*",\s*"([^"]*)"\)', re.M)


def public_ops(root):
    ops = {}
    folder = os.path.join(root, "include/strata/ops")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".hpp"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for m in DECL.finditer(f.read()):
                ops.setdefault(m.group(1), f"include/strata/ops/{name}")
    return ops


def gradcheck_bodies(root, files):
    """The text of every test case tagged [gradcheck], with the helpers of its file (tables are
    often functions above the test case that runs them)."""
    text = []
    for rel in files:
        if not (rel.startswith("tests/") and rel.endswith(".cpp")):
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            src = f.read()
        if any("[gradcheck]" in m.group(1) for m in TEST_CASE.finditer(src)):
            text.append(src)
    return "\n".join(text)


def check_gradcheck_rows(root, files):
    body = gradcheck_bodies(root, files)
    ops = public_ops(root)
    errors = [f"check_structure.py: NOT_DIFFERENTIABLE lists '{op}', which is no public op"
              for op in sorted(NOT_DIFFERENTIABLE) if op not in ops]
    for op, header in sorted(ops.items()):
        if op in NOT_DIFFERENTIABLE:
            continue
        called = re.search(r"\b" + re.escape(op) + r"\s*\(", body)
        row = re.search(r'\{"' + re.escape(op) + r'"', body)  # a table row named after it ({"div", a / b})
        if not (called or row):
            errors.append(f"{header}: the op '{op}' is in no gradcheck test (add a row to its family's table, "
                          f"or list it in NOT_DIFFERENTIABLE with the reason)")
    return errors


def tracked_files(root):
    out = []
    for top in ("src", "include", "tests", "examples"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                if "/fixtures/" in rel or "/corpus/" in rel:
                    continue
                out.append(rel)
    return sorted(out)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    files = tracked_files(root)
    checks = [("include graph", check_includes), ("file length", check_lengths),
              ("gradcheck rows", check_gradcheck_rows)]
    failed = 0
    for name, check in checks:
        errors = check(root, files)
        if errors:
            failed += 1
            print(f"structure: {name}: {len(errors)} problem(s)")
            for e in errors:
                print("  " + e)
    if failed == 0:
        print(f"structure: ok ({len(files)} files: include graph, file length <= {MAX_LINES}, gradcheck rows)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
