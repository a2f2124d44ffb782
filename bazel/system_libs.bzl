"""A repository rule that wraps a system library found by pkg-config, so Bazel links Debian's
packages offline with exactly the flags pkg-config prints."""

def _pkg_config_library_impl(ctx):
    args = ["pkg-config", "--libs"] + ctx.attr.modules
    res = ctx.execute(args)
    if res.return_code != 0:
        fail("pkg-config failed for %s: %s" % (ctx.attr.modules, res.stderr))
    linkopts = [f for f in res.stdout.strip().split(" ") if f]
    cflags = ctx.execute(["pkg-config", "--cflags"] + ctx.attr.modules).stdout.strip()
    defines = [f[2:] for f in cflags.split(" ") if f.startswith("-D")]
    linkopts += ctx.attr.extra_linkopts
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])
cc_library(
    name = "lib",
    linkopts = {linkopts},
    defines = {defines},
)
""".format(linkopts = repr(linkopts), defines = repr(defines)))

pkg_config_library = repository_rule(
    implementation = _pkg_config_library_impl,
    attrs = {
        "modules": attr.string_list(mandatory = True),
        "extra_linkopts": attr.string_list(default = []),
    },
    local = True,
)

def _plain_system_library_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])
cc_library(
    name = "lib",
    linkopts = {linkopts},
    defines = {defines},
)
""".format(linkopts = repr(ctx.attr.linkopts), defines = repr(ctx.attr.defines)))

plain_system_library = repository_rule(
    implementation = _plain_system_library_impl,
    attrs = {
        "linkopts": attr.string_list(default = []),
        "defines": attr.string_list(default = []),
    },
    local = True,
)

def hadron_system_libraries():
    """Declares every system library the project links, one repository each."""
    pkg_config_library(name = "system_grpc", modules = ["grpc++", "protobuf"])
    pkg_config_library(name = "system_rocksdb", modules = ["rocksdb"])
    pkg_config_library(name = "system_openssl", modules = ["openssl"])
    pkg_config_library(name = "system_zlib", modules = ["zlib"])
    pkg_config_library(
        name = "system_absl",
        modules = [
            "absl_status",
            "absl_statusor",
            "absl_strings",
            "absl_str_format",
            "absl_synchronization",
            "absl_time",
            "absl_flags",
            "absl_flags_parse",
            "absl_hash",
            "absl_raw_hash_set",
            "absl_random_random",
            "absl_cord",
        ],
    )
    plain_system_library(name = "system_gtest", linkopts = ["-lgmock", "-lgtest", "-lpthread"])
    plain_system_library(name = "system_gtest_main", linkopts = ["-lgmock_main", "-lgmock", "-lgtest", "-lpthread"])
    pkg_config_library(name = "system_spdlog", modules = ["spdlog"])
    plain_system_library(name = "system_asio", defines = ["ASIO_NO_DEPRECATED"], linkopts = ["-lpthread"])
