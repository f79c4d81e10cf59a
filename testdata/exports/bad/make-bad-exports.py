#!/usr/bin/env python3
"""Writes the malformed export files in this folder (soc-diff's decode tests read them).

Deterministic: the ZIPs carry a fixed timestamp. Run from anywhere; the files land next to this script.
Each file and the error it must produce is listed in README.md.
"""
import io, json, os, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "workspaces", "staging", "workflows", "04-false-positive.json")


def zbytes(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    return b.getvalue()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as fh:
        fh.write(data)


def main():
    src = open(SRC, "rb").read()
    good = zbytes([("a.json", src)])
    write("truncated.zip", good[: len(good) // 2])
    # Scramble bytes inside the deflated data: the central directory is intact, the member is not.
    bad = bytearray(good)
    for i in range(60, 90):
        bad[i] ^= 0x5A
    write("corrupt-member.zip", bytes(bad))
    write("invalid-utf8.json", b'{"name": "Bad \xff\xfe bytes", "description": "x"}\n')
    write("deeply-nested.json", b'{"name": "deep", "x": ' + b"[" * 200 + b"]" * 200 + b"}\n")
    write("truncated.json", src[: len(src) // 2])
    write("missing-name.json", b'[\n  {"name": "A"},\n  {"id": "0b5e", "description": "no name"}\n]\n')
    write("name-not-string.json", b'{"name": 42}\n')
    wf = json.loads(src)
    wf["versions"][0]["taskflow"] = "not*valid*base64!"
    write("not-base64-taskflow.json", (json.dumps(wf, indent=2) + "\n").encode())


if __name__ == "__main__":
    main()
