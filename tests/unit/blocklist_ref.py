#!/usr/bin/python3
# The blocklist's rules written again in Python, for tests/unit/test_blocklist.c
# to compare against (src/blocklist.c is not read here):
#
#   blocklist_ref.py LIST PROBES
#
# LIST is a password list, PROBES one probe a line ("\n" only, the probe as it
# is, any bytes but NUL and "\n"). Prints "count N", N the distinct passwords of
# LIST once folded, then "1" or "0" a probe: whether it is in the list.
#
# The rules (API.md "Passwords", include/phoneauth/blocklist.h): a line is what
# lies between "\n"s, less one '\r' at its end; empty lines, lines beginning
# with '#' and lines over 512 bytes are not passwords; both the list and a probe
# are folded: Persian (U+06F0..9) and Arabic-Indic (U+0660..9) digits to ASCII
# ones, then bytes.lower(), which changes only the ASCII letters A-Z. A probe
# over 512 bytes is never in the list.
import re
import sys

MAX_BYTES = 512
DIGIT = re.compile(rb'\xdb[\xb0-\xb9]|\xd9[\xa0-\xa9]')


def fold(b):
    return DIGIT.sub(lambda m: b'%d' % (m.group(0)[1] & 0x0f), b).lower()


def main():
    with open(sys.argv[1], 'rb') as f:
        data = f.read()
    folded = set()
    for line in data.split(b'\n'):
        if line.endswith(b'\r'):
            line = line[:-1]
        if not line or line.startswith(b'#') or len(line) > MAX_BYTES:
            continue
        folded.add(fold(line))
    out = ['count %d' % len(folded)]
    with open(sys.argv[2], 'rb') as f:
        probes = f.read().split(b'\n')
    if probes and probes[-1] == b'':
        probes.pop()
    for p in probes:
        out.append('1' if len(p) <= MAX_BYTES and fold(p) in folded else '0')
    sys.stdout.write('\n'.join(out) + '\n')


main()
