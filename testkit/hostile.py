"""The hostile and broken REST-shaped requests every REST-shaped channel is tested
with (REST and partner, embedded default and production topology)."""

from __future__ import annotations

import json


def hostile_cases(sid: str, with_sender: str = "sender") -> list[tuple[str, bytes, int]]:
    def body(**fields: object) -> bytes:
        return json.dumps(fields).encode()

    return [
        ("empty message", body(sender=f"h-empty-{sid}", message=""), 200),
        ("whitespace", body(sender=f"h-ws-{sid}", message=" \t\n "), 200),
        ("NUL and control characters",
         body(sender=f"h-nul-{sid}", message="my back\u0000 hurts\u0007\u001b[31m"), 200),
        ("emoji, RTL, HTML, SQL",
         body(sender=f"h-odd-{sid}", message="🏃‍♀️ ألم الظهر <script>alert(1)</script> "
              "<img src=x onerror=alert(2)> '; DROP TABLE events; --"), 200),
        ("lone surrogate (\\ud800)",
         f'{{"sender": "h-sur-{sid}", "message": "back \\ud800 pain"}}'.encode(), 200),
        ("1 MB body", body(sender=f"h-big-{sid}", message="a" * 1_048_576), 413),
        ("6,000 characters", body(sender=f"h-long-{sid}", message="b" * 6_000), 413),
        ("malformed JSON", b'{"sender": "x", "message": ', 400),
        ("not JSON at all", b"\xff\xfe\x00garbage", 400),
        ("invalid UTF-8 inside JSON",
         b'{"sender": "h-utf-' + sid.encode() + b'", "message": "back \xff\xc3\x28 pain"}', 400),
        ("JSON list", b"[1, 2, 3]", 400),
        ("JSON string", b'"hello"', 400),
        ("message is a number", body(sender=f"h-num-{sid}", message=42), 400),
        ("message is an object", body(sender=f"h-obj-{sid}", message={"text": "hi"}), 400),
        ("message is null", body(sender=f"h-null-{sid}", message=None), 400),
        ("sender is a list", body(sender=["a"], message="hi"), 400),
        ("no sender", body(message="hi"), 400),
        ("10 KB sender id", body(sender="s" * 10_240, message="hi"), 400),
        ("NUL in sender id", body(sender="a\u0000b", message="hi"), 400),
        ("newline in sender id", body(sender="a\nb", message="hi"), 400),
    ]
