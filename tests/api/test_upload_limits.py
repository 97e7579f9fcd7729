"""Every upload route, on a real ``patron serve``: a body past the limit gets a 413 and leaves no temporary file;
bad file names (``..``, ``a/..``, 300 characters, a NUL) are handled without a server error and leave no empty
upload folder; a file part sent without a file name is a 400 that says so, and stores nothing. API and page routes,
on both stores."""

from __future__ import annotations

import os
import re
import subprocess
import time

import httpx
import pytest

from patron.areas.imports.service import UPLOAD_BODY_LIMIT
from patron.areas.users.service import add_user, issue_token
from patron.store import Store
from serving import start_serve
from store_engines import ENGINES, new_store_url

PASSWORD = "a long enough password"
PEOPLE = b"customer_id,name,email\nC1,Ana Silva,ana@example.com\n"
#: (route, whether it is a page: signed in by cookie, with the form's CSRF token)
ROUTES = [("/api/v1/imports/preview", False), ("/api/v1/imports", False), ("/imports/preview", True),
          ("/imports", True)]
BAD_NAMES = ["..", "a/..", "x" * 300 + ".csv", "a\x00b.csv", "../../etc/passwd", "/", "\\..\\x.csv"]


@pytest.fixture(scope="module", params=ENGINES)
def served(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("uploads")
    url = new_store_url(request, request.param, root)
    with Store(url) as store:
        token = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "tests")
    tmp = root / "tmp"  # the server's temporary folder: uploads and the multipart parser's spool files
    tmp.mkdir()
    proc, base = start_serve(url, args=("--no-triggers", "--no-delivery"), wait_s=60,
                             env={**os.environ, "TMPDIR": str(tmp), "PATRON_SECRET_KEY": "k" * 40})
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    page = httpx.Client(base_url=base, timeout=120)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get("/login").text).group(1)
    assert page.post("/login", data={"username": "ada", "password": PASSWORD, "csrf": csrf}).status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get("/imports").text).group(1)
    yield {"api": api, "page": page, "csrf": csrf, "tmp": tmp}
    api.close()
    page.close()
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def leftovers(tmp):
    """Files and empty folders under the server's temporary folder, but for previews kept for their import."""
    found = []
    for path in sorted(tmp.rglob("*")):
        if path.is_dir() and not any(path.iterdir()):
            found.append(f"empty folder {path.relative_to(tmp)}")
        elif path.is_file() and path.parent.parent.name != "patron-uploads":
            found.append(f"file {path.relative_to(tmp)} ({path.stat().st_size} bytes)")
        elif path.is_dir() and path.parent.name == "patron-uploads" and not [
                f for f in path.iterdir() if f.name != ".owner"]:
            found.append(f"upload folder without its file {path.relative_to(tmp)}")
    return found


def _multipart(boundary: str, fields: dict, filename: str, size: int):
    """A multipart body streamed in 1 MiB pieces: the form fields, then a file of ``size`` zero bytes."""
    head = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    yield head + (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                  "Content-Type: text/csv\r\n\r\n").encode()
    piece = b"0" * (1 << 20)
    sent = 0
    while sent < size:
        yield piece[:min(len(piece), size - sent)]
        sent += len(piece)
    yield f"\r\n--{boundary}--\r\n".encode()


def _client_and_fields(served, is_page):
    return (served["page"], {"csrf": served["csrf"]}) if is_page else (served["api"], {})


@pytest.mark.parametrize(("route", "is_page"), ROUTES)
def test_an_oversized_upload_is_refused_with_413_and_leaves_nothing(served, route, is_page):
    client, fields = _client_and_fields(served, is_page)
    boundary = "patronlimit"
    try:
        r = client.post(route, content=_multipart(boundary, fields, "big.csv", UPLOAD_BODY_LIMIT + (4 << 20)),
                        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        status, text = r.status_code, r.text
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
        pytest.fail(f"the server cut the connection instead of answering 413: {exc!r}")
    assert status == 413, text[:300]
    assert "larger than 512 MB" in text
    assert leftovers(served["tmp"]) == []


@pytest.mark.parametrize(("route", "is_page"), ROUTES)
@pytest.mark.parametrize("name", BAD_NAMES, ids=["dots", "a-dots", "300-chars", "nul", "traversal", "slash",
                                                 "backslashes"])
def test_bad_file_names_are_handled_without_a_server_error(served, route, is_page, name):
    client, fields = _client_and_fields(served, is_page)
    r = client.post(route, data=fields, files={"file": (name, PEOPLE, "text/csv")}, params={"source": "crm"})
    assert r.status_code in (200, 202, 303, 400), r.text[:300]
    if not is_page and r.status_code == 400:
        assert r.json()["error"]
    job = (r.json()["job_id"] if r.status_code == 202 else
           r.headers["location"].split("job=")[1] if r.status_code == 303 else None)
    if job:  # the import's job removes its upload when it ends
        for _ in range(300):
            if served["api"].get(f"/api/v1/jobs/{job}").json()["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
    assert leftovers(served["tmp"]) == []
    kept = [p for p in (served["tmp"] / "patron-uploads").glob("*/*") if p.name != ".owner"]
    for path in kept:  # what is kept is one file, in its own folder, with a name of at most 200 bytes
        assert path.parent.parent == served["tmp"] / "patron-uploads" and len(path.name.encode()) <= 200
        assert "\x00" not in path.name and path.name not in (".", "..")


def _upload_folders(tmp):
    uploads = tmp / "patron-uploads"
    return sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []


@pytest.mark.parametrize(("route", "is_page"), ROUTES)
@pytest.mark.parametrize("content", [PEOPLE, b""], ids=["with-rows", "empty"])
def test_a_file_part_without_a_file_name_is_a_400_that_says_so_and_stores_nothing(served, route, is_page, content):
    client, fields = _client_and_fields(served, is_page)
    imports = served["api"].get("/api/v1/imports").json()
    folders = _upload_folders(served["tmp"])
    boundary = "patronnoname"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n'  # no filename="..."
             "Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    r = client.post(route, content=body, params={"source": "crm"},
                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 400, r.text[:300]
    said = r.json()["error"] if not is_page else r.text
    # A part with rows arrives as text: the message names the missing file name. An empty one is no file at all.
    assert ("this part had no file name" if content else "Send a file") in said, said[:300]
    assert served["api"].get("/api/v1/imports").json() == imports, "nothing was imported"
    assert leftovers(served["tmp"]) == []
    assert _upload_folders(served["tmp"]) == folders, "no upload was kept for a later import"
