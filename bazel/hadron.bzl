"""Project macros: one place for copts, warnings, system-library deps and proto generation."""

HADRON_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
    "-Werror=return-type",
    "-Werror=switch",
]

# System libraries, by the short names BUILD files use.
SYSTEM_DEPS = {
    "absl": "@system_absl//:lib",
    "grpc": "@system_grpc//:lib",
    "rocksdb": "@system_rocksdb//:lib",
    "openssl": "@system_openssl//:lib",
    "zlib": "@system_zlib//:lib",
    "spdlog": "@system_spdlog//:lib",
    "asio": "@system_asio//:lib",
    "gtest": "@system_gtest//:lib",
    "gtest_main": "@system_gtest_main//:lib",
}

def _sys(system_deps):
    return [SYSTEM_DEPS[d] for d in system_deps]

def hadron_cc_library(name, system_deps = [], deps = [], copts = [], **kwargs):
    native.cc_library(
        name = name,
        deps = deps + _sys(system_deps),
        copts = HADRON_COPTS + copts,
        **kwargs
    )

def hadron_cc_binary(name, system_deps = [], deps = [], copts = [], **kwargs):
    native.cc_binary(
        name = name,
        deps = deps + _sys(system_deps),
        copts = HADRON_COPTS + copts,
        **kwargs
    )

def hadron_cc_test(name, system_deps = [], deps = [], copts = [], **kwargs):
    """A gtest test; links GoogleTest/GoogleMock with their main()."""
    native.cc_test(
        name = name,
        deps = deps + _sys(system_deps + ["gtest_main", "absl"]),
        copts = HADRON_COPTS + copts,
        **kwargs
    )

def hadron_fuzz_target(name, srcs, deps = [], corpus = None, dict = None, mutations = 2000,
                       system_deps = []):
    """A libFuzzer target (srcs define LLVMFuzzerTestOneInput) in three parts:
      <name>_lib   the entry point as a library;
      <name>_test  an ordinary test: the seed corpus `corpus` (a folder of this package) and
                   `mutations` deterministic mutations built from the dictionary `dict`
                   (common/fuzz/corpus_test.cc);
      <name>       the libFuzzer binary, tagged manual: it links only under --config=fuzz
                   (clang with -fsanitize=fuzzer,address,undefined; tests/fuzz/run.sh).
    """
    native.cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        deps = deps + _sys(system_deps),
        copts = HADRON_COPTS,
        alwayslink = True,
    )
    pkg = native.package_name()
    native.cc_test(
        name = name + "_test",
        srcs = ["//common/fuzz:corpus_test.cc"],
        deps = [":" + name + "_lib", SYSTEM_DEPS["gtest"]],
        copts = HADRON_COPTS,
        data = native.glob([corpus + "/**"]) + [dict],
        args = ["%s/%s" % (pkg, corpus), "%s/%s" % (pkg, dict), str(mutations)],
    )
    native.cc_binary(
        name = name,
        testonly = True,
        deps = [":" + name + "_lib"],
        tags = ["manual"],
    )

def hadron_proto_library(name, srcs, grpc = False, visibility = None):
    """Runs Debian's protoc (and grpc_cpp_plugin) in a genrule and wraps the output in a
    cc_library. srcs are paths relative to this package, which is also the import root, so
    proto/hadron/state/v1/state.proto is imported and included as "hadron/state/v1/state...".
    """
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    pkg = native.package_name()
    grpc_args = ""
    if grpc:
        grpc_args = "--grpc_out=$(GENDIR)/%s --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin" % pkg
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        outs = outs,
        cmd = "protoc -I{pkg} --cpp_out=$(GENDIR)/{pkg} {grpc} $(SRCS)".format(pkg = pkg, grpc = grpc_args),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = [SYSTEM_DEPS["grpc"]],
        visibility = visibility,
    )
