"""C++ code from .proto files with Debian's /usr/bin/protoc.

Bazel's native proto rules want the protobuf source repository, which cannot
be fetched offline; a genrule calling the system protoc is all we need.
"""

def baton_cc_proto(name, src, deps = [], visibility = None):
    """Generates NAME (a cc_library) from SRC (one .proto in this package)."""
    base = src[:-len(".proto")]
    # --config=image: the same .proto files with `optimize_for = LITE_RUNTIME`
    # appended (copied under LITE, imports too: a lite file imports only lite
    # ones), for libprotobuf-lite: no descriptors or reflection in /init.
    # Everything else (tests, host tools) keeps the full runtime.
    lite = "$(@D)/" + name + "_lite"
    native.genrule(
        name = name + "_gen",
        srcs = [src] + [d + "_src" for d in deps],
        outs = [base + ".pb.h", base + ".pb.cc"],
        cmd = select({
            "//third_party:image": (
                "rm -rf " + lite + " && for f in $(SRCS); do " +
                "mkdir -p " + lite + "/$$(dirname $$f) && " +
                "{ cat $$f; echo; echo 'option optimize_for = LITE_RUNTIME;'; } > " +
                lite + "/$$f; done && " +
                "/usr/bin/protoc --proto_path=" + lite + " --cpp_out=$(GENDIR) " +
                lite + "/$(location " + src + ")"
            ),
            "//conditions:default": (
                "/usr/bin/protoc --proto_path=. --cpp_out=$(GENDIR) $(location " + src + ")"
            ),
        }),
    )
    native.filegroup(name = name + "_src", srcs = [src], visibility = visibility)
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc"],
        hdrs = [base + ".pb.h"],
        deps = ["//third_party:protobuf"] + deps,
        visibility = visibility,
    )
