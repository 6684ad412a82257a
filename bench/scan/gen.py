#!/usr/bin/env python3
"""Writes a CSV for the scan benchmark: 10 columns, some holding PII
(valid card numbers, e-mails, phones, IBANs, IPs), the rest plain data.

The first column, user_id, is the data subject: user-NNNNNNNN, the ids
that `ledger_bench make DIR 2N ...` records consents for (subjects 0 to
N-1, N given by --subjects). A share of rows (--unknown, default 5%) name
subjects from N to 2N-1, which the ledger has never seen. city and
age_band are the quasi-identifiers (7 x 6 classes).

usage: gen.py [--subjects N] [--unknown FRACTION] (--mb MB | ROWS) OUTPUT
              [SEED]
  --mb MB  write rows until the file holds at least MB x 10^6 bytes
"""
import argparse
import random

FIRST = ["Ada", "Bob", "Chen", "Dana", "Eve", "Farid", "Grace", "Hiro",
         "Ines", "Jon", "Kemal", "Lena", "Mara", "Nils", "Omar", "Priya"]
LAST = ["Example", "Sample", "Tester", "Doe", "Roe", "Placeholder"]
CITIES = ["London", "Paris", "Berlin", "Madrid", "Rome", "Lisbon", "Oslo"]
AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.co.uk"]
WORDS = ("order shipped delivered returned pending review customer asked "
         "about invoice refund warehouse batch item quantity price note "
         "follow up next week version build release").split()


def luhn_complete(prefix, length, rnd):
    digits = prefix + "".join(rnd.choice("0123456789")
                              for _ in range(length - len(prefix) - 1))
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def iban_de(rnd):
    bban = "".join(rnd.choice("0123456789") for _ in range(18))
    num = int(bban + "1314" + "00")  # D=13 E=14, check digits 00
    check = 98 - num % 97
    return "DE%02d%s" % (check, bban)


def subject(rnd, subjects, unknown):
    if rnd.random() < unknown:
        return "user-%08d" % (subjects + rnd.randrange(subjects))
    return "user-%08d" % rnd.randrange(subjects)


def row(i, rnd, subjects, unknown):
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    email = "%s.%s%d@%s" % (first.lower(), last.lower(), i % 997,
                            rnd.choice(DOMAINS))
    r = rnd.random()
    if r < 0.4:
        phone = "+44 20 %04d %04d" % (rnd.randrange(10000),
                                       rnd.randrange(10000))
    elif r < 0.8:
        phone = "(%d) 555-%04d" % (rnd.randrange(200, 999),
                                   rnd.randrange(10000))
    else:
        phone = ""
    r = rnd.random()
    if r < 0.3:
        c = luhn_complete("4", 16, rnd)
        card = " ".join(c[j:j + 4] for j in range(0, 16, 4))
    elif r < 0.5:
        card = luhn_complete("5" + str(rnd.randrange(1, 6)), 16, rnd)
    elif r < 0.6:
        card = iban_de(rnd)
    else:
        card = ""
    words = [rnd.choice(WORDS) for _ in range(rnd.randrange(4, 14))]
    if rnd.random() < 0.1:
        words.insert(2, "contact %s.%s@%s" % (first.lower(), last.lower(),
                                              rnd.choice(DOMAINS)))
    if rnd.random() < 0.2:
        words.append("v%d.%d.%d" % (rnd.randrange(9), rnd.randrange(20),
                                    rnd.randrange(100)))
    note = " ".join(words)
    if rnd.random() < 0.3:
        note = '"' + note.replace(" ", ", ", 1) + '"'
    ip = "10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256),
                          rnd.randrange(256)) if rnd.random() < 0.5 else ""
    return ",".join([
        subject(rnd, subjects, unknown),
        email,
        phone,
        card,
        rnd.choice(CITIES),
        rnd.choice(AGE_BANDS),
        "%d.%02d" % (rnd.randrange(10000), rnd.randrange(100)),
        note,
        ip,
        "2026-%02d-%02dT%02d:%02d:00Z" % (rnd.randrange(1, 13),
                                          rnd.randrange(1, 29),
                                          rnd.randrange(24),
                                          rnd.randrange(60)),
    ])


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("usage: ")[1])
    ap.add_argument("--subjects", type=int, default=1000000)
    ap.add_argument("--unknown", type=float, default=0.05)
    ap.add_argument("--mb", type=float)
    ap.add_argument("rows_or_output")
    ap.add_argument("rest", nargs="*")
    a = ap.parse_args()
    if a.mb is not None:
        rows, args = None, [a.rows_or_output] + a.rest
        limit = int(a.mb * 1e6)
    else:
        rows, args = int(a.rows_or_output), a.rest
        limit = None
    if len(args) not in (1, 2) or a.subjects < 1:
        ap.error("expected OUTPUT [SEED]")
    rnd = random.Random(int(args[1]) if len(args) > 1 else 42)
    with open(args[0], "w", newline="") as f:
        f.write("user_id,email,phone,payment,city,age_band,amount,note,ip,"
                "created\n")
        size = 0
        i = 0
        while (rows is None or i < rows) and (limit is None or
                                                size < limit):
            line = row(i, rnd, a.subjects, a.unknown) + "\n"
            f.write(line)
            size += len(line)
            i += 1


if __name__ == "__main__":
    main()
