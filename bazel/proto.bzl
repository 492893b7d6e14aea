"""C++ code from .proto files with Debian's /usr/bin/protoc.

Bazel's native proto rules want the protobuf source repository, which cannot
be fetched offline; a genrule calling the system protoc is all we need.
"""

def baton_cc_proto(name, src, deps = [], visibility = None):
    """Generates NAME (a cc_library) from SRC (one .proto in this package)."""
    base = src[:-len(".proto")]
    native.genrule(
        name = name + "_gen",
        srcs = [src] + [d + "_src" for d in deps],
        outs = [base + ".pb.h", base + ".pb.cc"],
        cmd = "/usr/bin/protoc --proto_path=. --cpp_out=$(GENDIR) $(location " + src + ")",
    )
    native.filegroup(name = name + "_src", srcs = [src], visibility = visibility)
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc"],
        hdrs = [base + ".pb.h"],
        deps = ["//third_party:protobuf"] + deps,
        visibility = visibility,
    )
