"""`csi serve` as a person starts it: gunicorn on a free port, its own data directory and database."""

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from csi.core.pytest_plugin import csi_executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "CSI_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'csi.sqlite3'}",
    }
    env.pop("CSI_COLLECTED_STATIC", None)
    subprocess.run(
        [csi_executable(), "migrate", "--noinput"], env=env, check=True, capture_output=True, timeout=300
    )
    port = free_port()
    process = subprocess.Popen(
        [csi_executable(), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/v1/health", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read()) from None
            time.sleep(0.3)
    else:
        process.kill()
        raise AssertionError("csi serve did not answer within 60 s")
    yield base, data_dir
    process.terminate()
    process.wait(timeout=20)


def test_serves_with_gunicorn_and_security_headers(server):
    base, data_dir = server
    with urllib.request.urlopen(f"{base}/accounts/login/") as response:
        assert response.headers["Server"].startswith("gunicorn")
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        html = response.read().decode()
    assert (data_dir / "secret_key").exists() and oct((data_dir / "secret_key").stat().st_mode)[-3:] == "600"
    css = re.search(r'href="(/static/vendor/pico-2\.1\.1/pico\.min\.[0-9a-f]{12}\.css)"', html)
    assert css, "static files are served under hashed names"
    with urllib.request.urlopen(base + css.group(1)) as response:
        assert "max-age=315360000" in response.headers["Cache-Control"]
    with urllib.request.urlopen(f"{base}/api/v1/docs") as response:
        docs = response.read().decode()
    bundle = re.search(r'src="(/static/ninja/swagger-ui-bundle\.[0-9a-f]{12}\.js)"', docs)
    assert bundle and urllib.request.urlopen(base + bundle.group(1)).status == 200


def test_debug_is_off(server):
    base, _ = server
    try:
        urllib.request.urlopen(f"{base}/no-such-page")
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        assert error.code == 404 and "Traceback" not in body and "URLconf" not in body
    else:
        raise AssertionError("expected 404")


def test_secret_key_is_not_in_the_repository():
    root = Path(__file__).resolve().parents[1]
    assert not (root / "src" / "csi" / "secret_key").exists()
