#!/usr/bin/env python3
"""Counts test cases from the test.xml files Bazel leaves under a testlogs dir.

Usage: test_summary.py TESTLOGS_DIR LABEL
Prints one line per failed case and, last, "passed failed" as two integers.
A target whose XML is missing or unreadable counts as one failure.
"""
import os
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    root, label = sys.argv[1], sys.argv[2]
    passed = failed = 0
    for dirpath, _, files in os.walk(root, followlinks=True):
        if "test.xml" not in files:
            continue
        target = os.path.relpath(dirpath, root)
        try:
            tree = ET.parse(os.path.join(dirpath, "test.xml"))
        except ET.ParseError as e:
            print(f"FAIL [{label}] //{target}: unreadable test.xml ({e})")
            failed += 1
            continue
        cases = tree.getroot().iter("testcase")
        n = 0
        for case in cases:
            n += 1
            bad = case.find("failure") is not None or case.find("error") is not None
            name = f"{case.get('classname', '')}.{case.get('name', '')}".strip(".")
            if bad:
                failed += 1
                print(f"FAIL [{label}] //{target} {name}")
            elif case.get("status", "run") == "notrun":
                continue
            else:
                passed += 1
        if n == 0:
            failed += 1
            print(f"FAIL [{label}] //{target}: no test cases in test.xml")
    print(passed, failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
