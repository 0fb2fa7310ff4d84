"""A python-executor client written from PYEXEC_API.md's description of its Python client and CLI.

Usage: pyexec_client.py BASE_URL. Drives eval, exec/sync (metadata as application/json, as the Python
client sends it, and as a plain field, as Go's client and curl do), exec/async with polling every 2 s
(at once, then each interval, until completed/failed/killed) and kill. Every timestamp must parse by
Python 3.10's datetime.fromisoformat rules after the client strips the 'Z' (0, 3 or 6 fraction
digits only). Prints one line per check; exits 1 on the first failure.
"""
import io
import json
import re
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime

BASE = sys.argv[1].rstrip('/')
STATUSES = {'pending', 'running', 'completed', 'failed', 'killed'}


def fail(message):
    print('FAIL', message)
    sys.exit(1)


def call(method, path, body=None, content_type=None):
    request = urllib.request.Request(BASE + path, data=body, method=method)
    if content_type:
        request.add_header('Content-Type', content_type)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b'null')
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b'null')


def parse_310(value):
    """What the Python client does: fromisoformat(value minus Z), by Python 3.10's rules."""
    if not value.endswith('Z'):
        fail(f'timestamp without Z: {value}')
    text = value[:-1]
    if not re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?', text):
        fail(f'timestamp Python 3.10 cannot parse: {value}')
    return datetime.fromisoformat(text)


def check_result(result, what):
    if result.get('status') not in STATUSES:
        fail(f'{what}: status {result.get("status")!r}')
    if not re.fullmatch(r'exe_[0-9a-f-]{36}', result.get('execution_id', '')) \
            or uuid.UUID(result['execution_id'][4:]).version != 4:
        fail(f'{what}: execution_id {result.get("execution_id")!r}')
    for field in ('exit_code', 'duration_ms'):
        if result.get(field) is not None and type(result[field]) is not int:
            fail(f'{what}: {field} is not an integer: {result[field]!r}')
    for field in ('started_at', 'finished_at'):
        if result.get(field) is not None:
            parse_310(result[field])


def tar_of(files):
    """As the Python client writes it: mode 0644, mtime 0, nested names without directory entries."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w') as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def multipart(tar, metadata, metadata_as_json):
    boundary = uuid.uuid4().hex
    meta_type = b'Content-Type: application/json\r\n' if metadata_as_json else b''
    body = b''.join([
        b'--' + boundary.encode() + b'\r\n',
        b'Content-Disposition: form-data; name="tar"; filename="code.tar"\r\n',
        b'Content-Type: application/octet-stream\r\n\r\n', tar, b'\r\n',
        b'--' + boundary.encode() + b'\r\n',
        b'Content-Disposition: form-data; name="metadata"\r\n', meta_type, b'\r\n',
        json.dumps(metadata).encode(), b'\r\n',
        b'--' + boundary.encode() + b'--\r\n',
    ])
    return body, 'multipart/form-data; boundary=' + boundary


def wait_for_completion(execution_id, poll_interval=2.0, max_wait=60):
    deadline = time.monotonic() + max_wait
    while True:
        status, result = call('GET', f'/api/v1/executions/{execution_id}')
        if status != 200:
            fail(f'poll answered {status}: {result}')
        check_result(result, 'poll')
        if result['status'] in ('completed', 'failed', 'killed'):
            return result
        if time.monotonic() > deadline:
            fail(f'not finished after {max_wait} s: {result}')
        time.sleep(poll_interval)


# eval, as PythonExecutorClient.eval sends it (eval_last_expr true)
status, result = call('POST', '/api/v1/eval', json.dumps({'code': 'x = 6\nprint("p")\nx * 7', 'eval_last_expr': True,
                                                          'config': {'timeout_seconds': 10}}).encode(), 'application/json')
if status != 200:
    fail(f'eval answered {status}: {result}')
check_result(result, 'eval')
if (result['status'], result['stdout'], result.get('result')) != ('completed', 'p\n', '42'):
    fail(f'eval: {result}')
print('eval ok', result['duration_ms'], 'ms')

project = tar_of({'main.py': 'import sys\nfrom lib.util import twice\nprint(twice(sys.argv[1]))', 'lib/util.py': 'def twice(s):\n    return s * 2'})
for as_json in (True, False):
    metadata = {'entrypoint': 'main.py', 'script_args': ['ab'], 'env_vars': [],
                'config': {'timeout_seconds': 300, 'memory_mb': 1024, 'disk_mb': 2048, 'cpu_shares': 1024, 'network_disabled': True}}
    body, content_type = multipart(project, metadata, as_json)
    status, result = call('POST', '/api/v1/exec/sync', body, content_type)
    if status != 200:
        fail(f'exec/sync (metadata as json: {as_json}) answered {status}: {result}')
    check_result(result, 'exec/sync')
    if (result['status'], result['stdout'], result['exit_code']) != ('completed', 'abab\n', 0):
        fail(f'exec/sync: {result}')
    print('exec/sync ok, metadata as json:', as_json)

body, content_type = multipart(tar_of({'main.py': 'print("later")'}), {'entrypoint': 'main.py'}, True)
status, accepted = call('POST', '/api/v1/exec/async', body, content_type)
if status != 202 or not accepted.get('execution_id', '').startswith('exe_'):
    fail(f'exec/async answered {status}: {accepted}')
result = wait_for_completion(accepted['execution_id'])
if (result['status'], result['stdout']) != ('completed', 'later\n'):
    fail(f'async result: {result}')
print('exec/async ok')

body, content_type = multipart(tar_of({'main.py': 'import time\ntime.sleep(60)'}), {'entrypoint': 'main.py', 'config': {'timeout_seconds': 55}}, True)
status, accepted = call('POST', '/api/v1/exec/async', body, content_type)
status, killed = call('DELETE', f'/api/v1/executions/{accepted["execution_id"]}')
if status != 200 or killed.get('status') != 'killed':
    fail(f'kill answered {status}: {killed}')
result = wait_for_completion(accepted['execution_id'])
if result['status'] != 'killed':
    fail(f'after kill: {result}')
print('kill ok')
print('ALL OK')
