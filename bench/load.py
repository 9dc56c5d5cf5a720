#!/usr/bin/python3
"""bench/load.py — the data `make bench BENCH_USERS=N BENCH_SESSIONS=M` loads
in bulk before its second pass (bench/run.sh pipes it to psql and
redis-cli). Standard library only; it writes to standard output and talks to
no store itself.

  load.py users N ITERATIONS PASSWORD
      N rows of users in COPY text format (the columns of COPY_COLUMNS):
      complete accounts, every one with the same Django-style
      pbkdf2_sha256 hash of PASSWORD at ITERATIONS (computed once here).
  load.py columns
      COPY_COLUMNS, for the COPY statement.
  load.py number I
      the number of the I-th loaded account (what bench/register_cold.lua
      computes in Lua: keep the two in step).
  load.py totp-users N ITERATIONS PASSWORD
      N accounts for the login-with-TOTP scenario: users rows in COPY text
      format (COPY_COLUMNS), numbers 0999xxxxxxx (totp_number), ids from
      TOTP_FIRST_ID.
  load.py totp-mfa N DATA_KEY_FILE SECRET_HEX
      their user_mfa rows (user_id, totp_secret): TOTP on, SECRET_HEX for
      all (the service remembers spent codes per account, so one code serves
      each account once) sealed as src/seal.c seals it: AES-256-GCM under
      the data key, bound to "totp:<id>" (python3-cryptography).
  load.py totp-codes SECRET_HEX FROM_STEP N
      "STEP CODE" for N 30-second steps from FROM_STEP: RFC 6238's SHA-1,
      six digits, what bench/login_totp.lua answers verify-mfa with.
  load.py redis PART N PREFIX NOW_MS SESSION_TTL_MS OTP_TTL_MS WINDOW_MS DURATION_MS
      RESP commands for `redis-cli --pipe`: one PART of the live state
      (below), N of it, under the key PREFIX (redis_prefix).
  load.py sample PART N PREFIX NOW_MS SESSION_TTL_MS OTP_TTL_MS WINDOW_MS DURATION_MS K
      the names of the keys the first K of them make, a line each (for
      MEMORY USAGE).

The keys are the ones src/lua/prelude.lua's KEY table names, with the values
and encodings the scripts leave (compared with keys made by real requests;
see docs/performance.md):

  otp-sessions    a sign-up waiting for its code (register.lua of a number
                  without an account): s:<sid> {cd <32-byte digest>, ce, ph,
                  st otp, pu register, uid 0, ct 0}, PEXPIRE session_ttl.
  otp-numbers     what the code sent to each of those numbers leaves:
                  cd:<phone> (the cooldown) and oh:<phone> (codes to the
                  number this hour, a sorted set of "<sid>:<now_us>").
  clients         the address each of those sessions came from: oi:<addr>
                  (codes from the client this hour), and for one in five a
                  failure count f:ip:<addr> (a wrong code, say).
  login-sessions  a register of a loaded account with a password:
                  s:<sid> {ph, st password, pu login, uid}, and the account
                  state register.lua caches, u:<phone> "id|1|1|0".
  blocks          blocked addresses: b:ip:<addr> (until, ms) with the
                  failure count that set it, f:ip:<addr> 3 (the default
                  max_failed_attempts).
  number-blocks   the same for numbers: b:ph:<phone>, f:ph:<phone>.

Every key has the TTL the scripts give it, except that none is shorter than
session_ttl (the cooldown's 120 s and the account cache's 300 s would run
out during the run; the load is meant to stay the same throughout).
Numbers: loaded accounts use 24 operator prefixes (0901 ... 0993, never 0912,
the bench's own account, nor 0940-0989, bench/register_new.lua's), spread so that
each set of the account index holds a few hundred (as real numbers do);
sign-up sessions use 0994-0998. Addresses: 10.0.0.0/8 for sessions, 100.64/10
for blocks; the bench's own clients are 127.0.0.1.
"""

import base64
import hashlib
import hmac
import os
import random
import sys
import time
import uuid

COPY_COLUMNS = ("id, mobile_number, email, password, first_name, last_name, is_verified,"
                " is_active, is_banned, date_joined, last_login")

# The loaded accounts' numbers: 09<prefix><7 digits>, the i-th at prefix
# PREFIXES[i % 24], digits ((i // 24) * STRIDE) mod 10^7 (a permutation:
# STRIDE is prime to 10^7, so no two accounts share a number).
PREFIXES = ("01", "02", "03", "05", "11", "13", "14", "15", "16", "19", "20", "21",
            "22", "30", "33", "35", "36", "37", "38", "39", "90", "91", "92", "93")
STRIDE = 7919
HOUR = 3600000

FIRST = ("علی", "محمد", "زهرا", "فاطمه", "رضا", "مریم", "حسین", "سارا", "امیر", "نرگس",
         "Ali", "Sara", "Reza", "Maryam", "Hossein", "Neda")
LAST = ("احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی",
        "Ahmadi", "Mohammadi", "Hosseini", "Rezaei", "Karimi", "Mousavi")


def account_number(i):
    return "09%s%07d" % (PREFIXES[i % len(PREFIXES)], (i // len(PREFIXES)) * STRIDE % 10 ** 7)


def signup_number(i):
    return "099%d%07d" % (4 + i // 10 ** 7 % 5, i % 10 ** 7)


def django_hash(password, iterations):
    salt = "benchsalt%013d" % iterations   # 22 characters, as Django's
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations, 32)
    return "pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(dk).decode())


def users(n, iterations, password):
    pw = django_hash(password, iterations)
    rnd = random.Random(17)
    out = sys.stdout
    lines = []
    for i in range(n):
        joined = 1600000000 + (i * 97) % 94608000            # over three years
        email = "user%d@example.com" % i if i % 3 == 0 else "\\N"
        last = "\\N" if i % 4 == 0 else epoch(joined + (i * 31) % 8640000)
        lines.append("%d\t%s\t%s\t%s\t%s\t%s\tt\tt\tf\t%s\t%s\n" % (
            i + 1, account_number(i), email, pw, rnd.choice(FIRST), rnd.choice(LAST),
            epoch(joined), last))
        if len(lines) == 10000:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))


TOTP_FIRST_ID = 2000000000


def totp_number(i):
    return "0999%07d" % i


def totp_users(n, iterations, password):
    pw = django_hash(password, iterations)
    sys.stdout.write("".join("%d\t%s\t\\N\t%s\tBench\tTotp\tt\tt\tf\t%s\t\\N\n" % (
        TOTP_FIRST_ID + i, totp_number(i), pw, epoch(1600000000)) for i in range(n)))


def totp_mfa(n, key_file, secret_hex):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM   # only here: Debian's

    with open(key_file) as f:
        aead = AESGCM(bytes.fromhex(f.read().strip()))
    secret = bytes.fromhex(secret_hex)
    for i in range(n):
        uid = TOTP_FIRST_ID + i
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, secret, b"v1.totp:%d" % uid)
        print("%d\tv1.%s.%s" % (uid, b64url(nonce), b64url(sealed)))


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def totp_codes(secret_hex, first, n):
    secret = bytes.fromhex(secret_hex)
    for step in range(first, first + n):
        mac = hmac.new(secret, step.to_bytes(8, "big"), hashlib.sha1).digest()
        off = mac[-1] & 0x0F
        print("%d %06d" % (step, (int.from_bytes(mac[off:off + 4], "big") & 0x7FFFFFFF) % 10 ** 6))


def epoch(s):
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(s))


def resp(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def session_id(rnd):
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


def client_addr(i, net):
    return "%d.%d.%d.%d" % (net[0], net[1] + (i >> 16) % (256 - net[1]), (i >> 8) & 255, i & 255)


def redis(part, n, prefix, now, session_ttl, otp_ttl, window, duration, sample=0):
    """RESP for `n` of `part` on standard output; with `sample`, the names
    of the keys the first `sample` of them make instead, one line each."""
    P = prefix.encode()
    live = session_ttl
    # otp-sessions, otp-numbers and clients: the same sessions (their ids
    # are the members of the counts); the other parts' their own
    rnd = random.Random({"login-sessions": 29, "blocks": 31, "number-blocks": 37}.get(part, 23))
    out = sys.stdout.buffer
    buf = []
    for i in range(min(n, sample) if sample else n):
        sid = session_id(rnd)
        digest = rnd.getrandbits(256).to_bytes(32, "big")
        t = now - rnd.randrange(0, 60000)                   # made in the last minute
        member = "%s:%d%03d" % (sid, t, rnd.randrange(1000))
        cmds = []
        if part == "otp-sessions":
            k = P + b"s:" + sid.encode()
            cmds.append((b"HSET", k, b"cd", digest, b"ce", t + otp_ttl, b"ph", signup_number(i),
                         b"st", b"otp", b"pu", b"register", b"uid", 0, b"ct", 0))
            cmds.append((b"PEXPIRE", k, live))
        elif part == "otp-numbers":
            phone = signup_number(i).encode()
            cmds.append((b"SET", P + b"cd:" + phone, 1, b"PX", live))
            k = P + b"oh:" + phone
            cmds.append((b"ZADD", k, t, member))
            cmds.append((b"PEXPIRE", k, max(HOUR, live)))
        elif part == "clients":
            addr = client_addr(i, (10, 0)).encode()
            k = P + b"oi:" + addr
            cmds.append((b"ZADD", k, t, member))
            cmds.append((b"PEXPIRE", k, max(HOUR, live)))
            if i % 5 == 0:
                f = P + b"f:ip:" + addr
                cmds.append((b"INCR", f))
                cmds.append((b"PEXPIRE", f, max(window, live)))
        elif part == "login-sessions":
            phone = account_number(i).encode()
            k = P + b"s:" + sid.encode()
            cmds.append((b"HSET", k, b"ph", phone, b"st", b"password", b"pu", b"login",
                         b"uid", i + 1))
            cmds.append((b"PEXPIRE", k, live))
            cmds.append((b"SET", P + b"u:" + phone, "%d|1|1|0" % (i + 1), b"PX", live))
        elif part in ("blocks", "number-blocks"):
            if part == "blocks":
                who = b"ip:" + client_addr(i, (100, 64)).encode()
            else:
                who = b"ph:" + signup_number(5 * 10 ** 7 - 1 - i).encode()
            f = P + b"f:" + who
            cmds.append((b"INCRBY", f, 3))
            cmds.append((b"PEXPIRE", f, max(window, live)))
            cmds.append((b"SET", P + b"b:" + who, t + duration, b"PX", max(duration, live)))
        else:
            sys.exit("load.py: unknown part %r" % part)
        if sample:
            keys = []
            for c in cmds:
                if c[1] not in keys:
                    keys.append(c[1])
            out.write(b" ".join(keys) + b"\n")
            continue
        buf.extend(resp(*c) for c in cmds)
        if len(buf) >= 30000:
            out.write(b"".join(buf))
            buf = []
    out.write(b"".join(buf))


def main(argv):
    if len(argv) == 5 and argv[1] == "users":
        users(int(argv[2]), int(argv[3]), argv[4])
    elif len(argv) == 5 and argv[1] == "totp-users":
        totp_users(int(argv[2]), int(argv[3]), argv[4])
    elif len(argv) == 5 and argv[1] == "totp-mfa":
        totp_mfa(int(argv[2]), argv[3], argv[4])
    elif len(argv) == 5 and argv[1] == "totp-codes":
        totp_codes(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 2 and argv[1] == "columns":
        print(COPY_COLUMNS)
    elif len(argv) == 3 and argv[1] == "number":
        print(account_number(int(argv[2])))
    elif len(argv) == 10 and argv[1] == "redis":
        redis(argv[2], int(argv[3]), argv[4], *map(int, argv[5:]))
    elif len(argv) == 11 and argv[1] == "sample":
        redis(argv[2], int(argv[3]), argv[4], *map(int, argv[5:10]), sample=int(argv[10]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
