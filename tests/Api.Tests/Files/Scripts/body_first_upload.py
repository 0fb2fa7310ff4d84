"""Uploads a file the way Python's requests and httpx do: the whole body first, then the answer.

Usage: body_first_upload.py HOST PORT SIZE_BYTES (declared|chunked)
Prints the status code on the first line and the response body after it. A server that closes the
connection while the body is still being sent makes this fail with BrokenPipeError or
ConnectionResetError, which is what such clients see.
"""
import http.client
import sys

host, port, size, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
boundary = "body-first-boundary"
head = (
    f"--{boundary}\r\n"
    'Content-Disposition: form-data; name="file"; filename="too-big.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
tail = f"\r\n--{boundary}--\r\n".encode()
chunk = b"x" * 65536
headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def parts():
    yield head
    sent = 0
    while sent < size:
        piece = chunk[: min(len(chunk), size - sent)]
        sent += len(piece)
        yield piece
    yield tail


connection = http.client.HTTPConnection(host, port, timeout=60)
if mode == "chunked":
    connection.request("POST", "/v1/files", body=parts(), headers=headers, encode_chunked=True)
else:
    body = b"".join(parts())
    connection.request("POST", "/v1/files", body=body, headers=headers)
response = connection.getresponse()
print(response.status)
print(response.read().decode())
