"""Pure checks of `doctor image` rules that the integration images do not reach."""

from __future__ import annotations

import pytest

from dockerdoctor.audit.rules import _PASSWORD_FLAG, _secret_env_item, clip_source


@pytest.mark.parametrize("line,value", [
    ("RUN mysql -uroot -psecret123 -e 'select 1'", "secret123"),
    ("RUN mkdir -p /x && mysqladmin -u root -phunter22 status", "hunter22"),
    ("RUN app --password=hunter2 serve", "hunter2"),
    ("RUN curl --token abc123 https://example.com", "abc123"),
    ("RUN openssl enc -pass pass:xyz -in a", "pass:xyz"),
])
def test_password_on_the_command_line(line: str, value: str) -> None:
    m = _PASSWORD_FLAG.search(line)
    assert m is not None and m.group("val") == value


@pytest.mark.parametrize("line", [
    "RUN apt-get install -y python3-pip",
    "RUN ./configure --prefix=/usr/local && make",
    "RUN tar -pxf app.tar && mkdir -pv /srv",
    "RUN x86_64-pc-linux-gnu-gcc -o app app.c",
])
def test_no_password_on_the_command_line(line: str) -> None:
    assert _PASSWORD_FLAG.search(line) is None


@pytest.mark.parametrize("item,secret", [
    ("API_KEY=abc123", True),
    ("DB_PASSWORD=x", True),
    ("SESSION_SECRET=yes-really", True),
    ("API_KEY=", False),
    ("GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D", False),
    ("DB_PASSWORD_FILE=/run/secrets/db", False),
    ("AUTH_ENABLED=true", False),
    ("TOKENIZERS_PARALLELISM=false", False),
])
def test_secret_env_items(item: str, secret: bool) -> None:
    assert _secret_env_item(item) is secret


def test_clip_source_cuts_the_instruction_only() -> None:
    long = "RUN " + "x" * 200
    assert clip_source(f"layer 2, step 5: {long}") == f"layer 2, step 5: {long[:117]}..."
    assert clip_source(f"step 3: {long}") == f"step 3: {long[:117]}..."
    assert clip_source("step 3: ENV A=b") == "step 3: ENV A=b"
    assert clip_source("Config.User: " + "y" * 300) == "Config.User: " + "y" * 300


def test_buildkit_history_lines_are_read_like_legacy_ones() -> None:
    """BuildKit records `RUN |1 TOKEN=... /bin/sh -c cmd # buildkit` (moby's
    dockerfile2llb); the instruction and its build arguments are the same."""
    from dockerdoctor.audit.rules import _build_args, shorten

    line = "RUN |1 NPM_TOKEN=npm_abc123 /bin/sh -c npm ci # buildkit"
    assert shorten(line) == "RUN (build args: NPM_TOKEN=npm_abc123) npm ci"
    assert _build_args(line) == [("NPM_TOKEN", "npm_abc123")]
    assert shorten("COPY . /app # buildkit") == "COPY . /app"
    assert shorten("ENV A=1") == "ENV A=1"


def test_remote_add_in_both_builders_history() -> None:
    from dockerdoctor.audit.rules import _REMOTE_ADD, shorten

    buildkit = _REMOTE_ADD.match(shorten("ADD https://example.test/tool.tgz /opt/ # buildkit"))
    assert buildkit and buildkit.group("url") == "https://example.test/tool.tgz"
    legacy = _REMOTE_ADD.match(shorten("/bin/sh -c #(nop) ADD " + "ab" * 32 + " in /opt/t.sh "))
    assert legacy and legacy.group("dest") == "/opt/t.sh"
    local = shorten("/bin/sh -c #(nop) ADD file:" + "ab" * 32 + " in /opt/t.sh ")
    assert _REMOTE_ADD.match(local) is None
