#!/usr/bin/env python3
"""Prints the C initializers of rules/taxonomy.c's table from fideslang.tsv.

Usage: tsv2c.py fideslang.tsv > table.inc, then paste between the table's
braces. tests/unit/test_policy.c checks that the table and the file agree.
"""
import sys


def cstr(s):
    if s == "":
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(path):
    kinds = {"category": "TAXONOMY_CATEGORY", "use": "TAXONOMY_USE"}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            kind, key, parent, name, replaced = line.split("\t")
            head = "\t{ %s, %s," % (kinds[kind], cstr(key))
            if len(head.expandtabs(8)) <= 80:
                print(head)
            else:
                print("\t{ %s," % kinds[kind])
                print("\t    %s," % cstr(key))
            rest = "\t    %s, %s, %s }," % (cstr(parent), cstr(name),
                cstr(replaced))
            if len(rest.expandtabs(8)) <= 80:
                print(rest)
            else:
                print("\t    %s," % cstr(parent))
                print("\t    %s, %s }," % (cstr(name), cstr(replaced)))


if __name__ == "__main__":
    main(sys.argv[1])
