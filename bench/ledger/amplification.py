#!/usr/bin/env python3
"""Write amplification of the ledger's SQLite schema: bytes passed to write()
per appended row (WAL frames and checkpoints) as the tables and indexes of
lib/store_sqlite.c are added one by one, then for the full schema with
larger transactions, a smaller page size and no UNIQUE(token). Same pragmas
as the store (WAL, synchronous=FULL, 64 MiB cache); same key shapes (random
32-byte subject lookups, random 16-byte tokens, two events per subject).

usage: bench/ledger/amplification.py [ROWS]      (default 200000)
"""
import hashlib
import os
import sqlite3
import sys
import tempfile
import time

TABLES = {
    "entries": "CREATE TABLE entries(idx INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "hashes": "CREATE TABLE hashes(id INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
    "consent_events": "CREATE TABLE consent_events(idx INTEGER PRIMARY KEY,"
                      " token BLOB NOT NULL, purpose TEXT NOT NULL,"
                      " kind INTEGER NOT NULL, at INTEGER NOT NULL,"
                      " expires_at INTEGER NOT NULL)",
    "consent_events_by_subject": "CREATE INDEX consent_events_by_subject"
                                 " ON consent_events(token, purpose, at, idx)",
    "subjects": "CREATE TABLE subjects(lookup BLOB PRIMARY KEY,"
                " token BLOB NOT NULL, mac BLOB NOT NULL,"
                " created_at INTEGER NOT NULL) WITHOUT ROWID",
    "UNIQUE(subjects.token)": "CREATE UNIQUE INDEX subjects_token ON subjects(token)",
}
ORDER = list(TABLES)
ENTRY = b"x" * 269  # the mean entry size of bench/ledger rows


def wchar():
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def run(path, rows, parts, batch=1000, page_size=4096):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA page_size = %d" % page_size)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA cache_size = -65536")
    for p in parts:
        db.execute(TABLES[p])
    w0, t0, hid = wchar(), time.time(), 0
    for i in range(rows):
        if i % batch == 0:
            db.execute("BEGIN IMMEDIATE")
        lookup = hashlib.sha256(b"user-%08d" % (i // 2)).digest()
        token = hashlib.sha256(lookup).digest()[:16]
        db.execute("INSERT INTO entries VALUES (?, ?)", (i, ENTRY))
        if "hashes" in parts:
            # 1 + the number of trailing ones of i: the stored hashes of leaf i.
            for _ in range(1 + ((i + 1) & -(i + 1)).bit_length() - 1):
                db.execute("INSERT INTO hashes VALUES (?, ?)", (hid, lookup))
                hid += 1
        if "consent_events" in parts:
            db.execute("INSERT INTO consent_events VALUES (?, ?, ?, 1, ?, 0)",
                       (i, token, "analytics" if i % 2 else "model-training",
                        1735689600000000 + i * 1000000))
        if "subjects" in parts:
            if db.execute("SELECT token FROM subjects WHERE lookup = ?",
                          (lookup,)).fetchone() is None:
                db.execute("INSERT INTO subjects VALUES (?, ?, ?, 0)",
                           (lookup, token, lookup))
        if i % batch == batch - 1 or i == rows - 1:
            db.execute("COMMIT")
    written = (wchar() - w0) / rows
    db.close()
    return written, time.time() - t0


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    with tempfile.TemporaryDirectory(prefix="consentd-amp-") as d:
        path = os.path.join(d, "a.db")
        print("| schema (%d rows) | transaction | page | written per row |" % rows)
        print("|---|---:|---:|---:|")
        for n in range(1, len(ORDER) + 1):
            w, _ = run(path, rows, ORDER[:n])
            print("| %s%s | 1000 | 4096 | %.0f B |" %
                  ("+ " if n > 1 else "", ORDER[n - 1], w))
        for batch in (4096, 10000):
            w, _ = run(path, rows, ORDER, batch=batch)
            print("| full | %d | 4096 | %.0f B |" % (batch, w))
        w, _ = run(path, rows, ORDER, page_size=1024)
        print("| full | 1000 | 1024 | %.0f B |" % w)
        w, _ = run(path, rows, ORDER[:-1])
        print("| full without UNIQUE(token) | 1000 | 4096 | %.0f B |" % w)


if __name__ == "__main__":
    main()
