#!/usr/bin/python3
"""Writes the seeds of fuzz_token (tests/fuzz/corpus/token/) from the test
keys in tests/fuzz/keys/: tokens signed as a client would send them, and
HEADER\\nCLAIMS inputs that the target signs itself. Run it again after a key
changes: /usr/bin/python3 tests/fuzz/make_token_seeds.py"""
import base64, hashlib, hmac, json, os

import jwt
from cryptography.hazmat.primitives import serialization

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "token")
keys = os.path.join(here, "keys")
NOW = 1700000000
HS = open(os.path.join(keys, "hs256.key"), "rb").read()
RS = open(os.path.join(keys, "rs256.pem"), "rb").read()
ES = open(os.path.join(keys, "es256.pem"), "rb").read()
ALGS = {0: ("HS256", HS), 1: ("RS256", RS), 2: ("ES256", ES)}
ISS, AUD = "https://auth.example.ir", "phoneauth-clients"
ACCESS, REFRESH, ANY, CLAIMS, RESIGN, CONFUSED = 0, 4, 8, 16, 32, 64


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def thumbprint(pem):
    pub = serialization.load_pem_private_key(pem, None).public_key()
    nums = pub.public_numbers()
    if hasattr(nums, "n"):
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
        j = '{"e":"%s","kty":"RSA","n":"%s"}' % (b64(e), b64(n))
    else:
        j = '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' % (
            b64(nums.x.to_bytes(32, "big")), b64(nums.y.to_bytes(32, "big")))
    return b64(hashlib.sha256(j.encode()).digest())


def public_pem(pem):
    return serialization.load_pem_private_key(pem, None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def claims(**kw):
    c = {"token_type": "access", "exp": NOW + 300, "iat": NOW,
         "jti": "0123456789abcdef0123456789abcdef", "user_id": 42}
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def write(name, flags, body):
    if isinstance(body, str):
        body = body.encode()
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([flags]) + body)


def tok(alg, c, headers=None):
    name, key = ALGS[alg]
    return jwt.encode(c, key, algorithm=name, headers=headers)


os.makedirs(out, exist_ok=True)
for alg, (name, _) in ALGS.items():
    n = name.lower()
    write(n + "-access", alg | ACCESS, tok(alg, claims()))
    write(n + "-refresh", alg | REFRESH, tok(alg, claims(token_type="refresh", exp=NOW + 86400)))
    write(n + "-any", alg | ANY, tok(alg, claims()))
    write(n + "-wrong-type", alg | REFRESH, tok(alg, claims()))
    write(n + "-iss-aud", alg | ACCESS | CLAIMS, tok(alg, claims(iss=ISS, aud=AUD)))
    write(n + "-aud-list", alg | ANY | CLAIMS, tok(alg, claims(iss=ISS, aud=["x", AUD])))
    write(n + "-wrong-iss", alg | ACCESS | CLAIMS, tok(alg, claims(iss="https://evil", aud=AUD)))
    write(n + "-expired", alg | ACCESS, tok(alg, claims(exp=NOW)))
    write(n + "-nbf-future", alg | ACCESS, tok(alg, claims(nbf=NOW + 10)))
    if alg:
        write(n + "-kid-right", alg | ACCESS, tok(alg, claims(), {"kid": thumbprint(ALGS[alg][1])}))
        write(n + "-kid-wrong", alg | ACCESS, tok(alg, claims(), {"kid": "other"}))
        # HS256 keyed with the public key: must never pass
        hp = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        cp = b64(json.dumps(claims()).encode())
        mac = hmac.new(public_pem(ALGS[alg][1]), (hp + "." + cp).encode(), hashlib.sha256).digest()
        write(n + "-confusion-raw", alg | ACCESS, hp + "." + cp + "." + b64(mac))
        write(n + "-confused-sign", alg | ACCESS | RESIGN | CONFUSED,
              '{"alg":"HS256","typ":"JWT"}\n' + json.dumps(claims()))
        write(n + "-confused-own-alg", alg | ACCESS | RESIGN | CONFUSED,
              '{"alg":"%s","typ":"JWT"}\n' % name + json.dumps(claims()))
    for what, c in [("user-id-zero", claims(user_id=0)), ("user-id-string", claims(user_id="42")),
                    ("user-id-float", claims(user_id=42.0)), ("jti-long", claims(jti="a" * 33)),
                    ("jti-empty", claims(jti="")), ("no-exp", claims(exp=None)),
                    ("type-other", claims(token_type="id"))]:
        write(n + "-" + what, alg | ANY, tok(alg, c))

hs = tok(0, claims())
h, c, s = hs.split(".")
raw = {
    "alg-none": b64(b'{"alg":"none","typ":"JWT"}') + "." + c + ".",
    "alg-none-no-dot": b64(b'{"alg":"none"}') + "." + c,
    "alg-lowercase": b64(b'{"alg":"hs256"}') + "." + c + "." + s,
    "typ-lowercase": b64(b'{"alg":"HS256","typ":"jwt"}') + "." + c + "." + s,
    "crit": b64(b'{"alg":"HS256","crit":["exp"]}') + "." + c + "." + s,
    "header-array": b64(b'["HS256"]') + "." + c + "." + s,
    "header-not-json": b64(b"{alg:HS256") + "." + c + "." + s,
    "four-segments": hs + ".x",
    "two-segments": h + "." + c,
    "empty-signature": h + "." + c + ".",
    "empty-header": "." + c + "." + s,
    "empty": "",
    "dots": "...",
    "padding": h + "=." + c + "." + s,
    "std-alphabet": h.replace("-", "+").replace("_", "/") + "." + c + "." + s + "+/",
    "signature-padded": hs + "==",
    "signature-trailing-bits": hs[:-1] + chr(ord(hs[-1]) ^ 1),
    "whitespace": " " + hs + " ",
    "newline-inside": h + "\n." + c + "." + s,
    "segment-one-char": "e." + c + "." + s,
    "header-nul": b64(b'{"alg":"HS256"}\x00') + "." + c + "." + s,
    "huge": h + "." + "A" * 8300 + "." + s,
    "long-header": b64(b'{"alg":"HS256","x":"' + b"y" * 6000 + b'"}') + "." + c + "." + s,
}
for k, v in raw.items():
    write("raw-" + k, ANY, v)

H = '{"alg":"HS256","typ":"JWT"}'
def rs(name, flags, header, body):
    write("signed-" + name, flags | RESIGN, header + "\n" + body)
rs("good", ANY, H, json.dumps(claims()))
rs("good-es256", 2 | ANY, '{"alg":"ES256"}', json.dumps(claims()))
rs("good-rs256", 1 | ANY, '{"alg":"RS256","typ":"JWT"}', json.dumps(claims()))
rs("iss-aud", ANY | CLAIMS, H, json.dumps(claims(iss=ISS, aud=[AUD, 1, None, [AUD]])))
rs("aud-object", ANY | CLAIMS, H, json.dumps(claims(iss=ISS, aud={"a": AUD})))
rs("exp-float", ANY, H, '{"token_type":"access","exp":1700000300.5,"jti":"j","user_id":1}')
rs("exp-huge", ANY, H, '{"token_type":"access","exp":1e999,"jti":"j","user_id":1}')
rs("exp-int64-max", ANY, H, '{"token_type":"access","exp":9223372036854775807,"jti":"j","user_id":1}')
rs("exp-over-int64", ANY, H, '{"token_type":"access","exp":99999999999999999999,"jti":"j","user_id":1}')
rs("exp-negative", ANY, H, '{"token_type":"access","exp":-9223372036854775808,"jti":"j","user_id":1}')
rs("exp-nan", ANY, H, '{"token_type":"access","exp":NaN,"jti":"j","user_id":1}')
rs("user-id-huge", ANY, H, '{"token_type":"access","exp":1700000300,"jti":"j","user_id":18446744073709551615}')
rs("user-id-bool", ANY, H, '{"token_type":"access","exp":1700000300,"jti":"j","user_id":true}')
rs("nbf-string", ANY, H, '{"token_type":"access","exp":1700000300,"jti":"j","user_id":1,"nbf":"0"}')
rs("iat-null", ANY, H, '{"token_type":"access","exp":1700000300,"jti":"j","user_id":1,"iat":null}')
rs("type-nul", ANY, H, '{"token_type":"access\\u0000x","exp":1700000300,"jti":"j","user_id":1}')
rs("jti-unicode", ANY, H, '{"token_type":"access","exp":1700000300,"jti":"\\ud83d\\ude00\\ud800","user_id":1}')
rs("duplicate-keys", ANY, H, '{"token_type":"refresh","token_type":"access","exp":1700000300,"jti":"j","user_id":1,"user_id":-1}')
rs("claims-array", ANY, H, '[1,2,3]')
rs("claims-empty", ANY, H, '{}')
rs("claims-deep", ANY, H, '{"a":' * 40 + '1' + '}' * 40)
rs("claims-single-quotes", ANY, H, "{'token_type':'access','exp':1700000300,'jti':'j','user_id':1}")
rs("claims-not-json", ANY, H, 'token_type=access')
rs("header-escaped-alg", ANY, '{"alg":"H\\u0053256"}', json.dumps(claims()))
rs("header-dup-alg", ANY, '{"alg":"none","alg":"HS256"}', json.dumps(claims()))
rs("header-typ-null", ANY, '{"alg":"HS256","typ":null}', json.dumps(claims()))
rs("header-kid-number", 1 | ANY, '{"alg":"RS256","kid":123}', json.dumps(claims()))
rs("header-none", ANY, '{"alg":"none"}', json.dumps(claims()))
rs("header-empty", ANY, '', json.dumps(claims()))
rs("no-newline", ANY, H, '')
