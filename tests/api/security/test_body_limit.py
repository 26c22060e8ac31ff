"""The body cap is a streaming limit: proven over a real socket, where nothing is pre-buffered.

The proof for chunked bodies: the client never sends the terminating chunk, so a server
that buffered the whole body before checking would wait forever; ours answers 413 as soon
as the bytes received pass the cap.
"""

import json
import socket

import pytest

from tests.factories import auth_headers, new_uid
from tests.live_server import live_server

LIMIT = 256 * 1024


@pytest.fixture
def server(settings):
    with live_server(settings.model_copy(update={"max_body_bytes": LIMIT})) as url:
        yield url


def _exchange(url: str, head: bytes, chunks: list[bytes]) -> tuple[int, dict, bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: that is the point
        data = b""
        while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
            part = sock.recv(65536)
            if not part:
                break
            data += part
    head_raw, _, body = data.partition(b"\r\n\r\n")
    lines = head_raw.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _expected_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("content-length:"):
            return len(head) + 4 + int(line.split(":")[1])
    return 0


def _request_head(headers: dict[str, str]) -> bytes:
    lines = ["POST /v1/reports HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_declared_oversize_body_is_refused_before_a_byte_is_read(server):
    head = _request_head(
        {
            **auth_headers(new_uid()),
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(100 * 1024 * 1024),
        }
    )
    status, headers, body = _exchange(server, head, [])  # the 100 MB never comes
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["code"] == "body_too_large"


def test_chunked_body_without_length_is_cut_off_while_streaming(server):
    head = _request_head(
        {**auth_headers(new_uid()), "Content-Type": "multipart/form-data; boundary=x", "Transfer-Encoding": "chunked"}
    )
    payload = b'--x\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\n' + b"\0" * (2 * LIMIT)
    chunks = [
        f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        for piece in (payload[i : i + 16384] for i in range(0, len(payload), 16384))
    ]
    status, headers, body = _exchange(server, head, chunks)  # no terminating 0-chunk is ever sent
    assert status == 413
    assert json.loads(body)["code"] == "body_too_large"
