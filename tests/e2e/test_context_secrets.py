"""Context variables and secrets end to end, through `hot dev`: set through REST and the official
SDK, read by deployed handlers, and a secret's value nowhere in what the platform stores or sends:
the run row (result, output), its spans, the SSE bytes, the platform log, API reads. Plus `hot
context` against the running platform, and `hot/ctx.hot` as the dev context."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hot import HotClient

from tests.support.api import ApiClient
from tests.support.platform import DevPlatform
from tests.support.servers import REPO
from tests.support.sse import read_sse
from tests.support.waiting import wait_until

SECRET = "sk-ant-e2e-7f3c9a1b2d"
SDK_SECRET = "sdk-secret-4e5f6a7b8c"
RUNTIME_SECRET = "runtime-made-secret-93"
DEV_SECRET = "dev-file-secret-5150"

HANDLERS = """
::tests::secrets ns

reveal
meta {on-event: "secret:reveal", ctx: {"api.key": {}, "greeting": {default: "hello", secret: false}}}
fn (event) {
  key ::hot::ctx/get("api.key")
  println(`the key is ${key}`)
  ::hot::io/eprintln(`stderr sees ${key}`)
  ::hot::stream/data("secret:echo", {key: key, bearer: `Bearer ${key}`})
  {length: length(key), base: ::hot::ctx/get("base.url"), greeting: ::hot::ctx/get("greeting"),
   sdk: length(::hot::ctx/get("sdk.key")), echo: key, nested: {list: [key]},
   missing: ::hot::ctx/get("not.set", "fallback"), dev: ::hot::ctx/get("dev.plain")}
}

leak-in-failure
meta {on-event: "secret:fail"}
fn (event) {
  fail(`upstream refused key ${::hot::ctx/get("api.key")}`, {key: ::hot::ctx/get("api.key")})
}

made-at-runtime
meta {on-event: "secret:runtime"}
fn (event) {
  ::hot::ctx/set-secret("made", "runtime-made-secret-93")
  println(::hot::ctx/get("made"))
  ::hot::io/eprintln(`stderr: ${::hot::ctx/get("made")}`)
  {made: ::hot::ctx/get("made"), dev: length(::hot::ctx/get("dev.secret"))}
}
"""

CTX_FILE = """
::hot::ctx/set("dev.plain", "from-the-dev-file")
::hot::ctx/set-secret("dev.secret", ::hot::env/get("DEV_SECRET"))
::hot::ctx/set("base.url", "dev-value-overridden")
"""


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    files = {"secrets.hot": HANDLERS, "hot/ctx.hot": CTX_FILE, ".env": f"DEV_SECRET={DEV_SECRET}\n"}
    dev = DevPlatform({}, include_examples=False)
    for rel, text in files.items():
        (dev.project / rel).parent.mkdir(parents=True, exist_ok=True)
        (dev.project / rel).write_text(text)
    dev.start()
    try:
        yield dev
    finally:
        dev.stop()


@pytest.fixture(scope="module")
def api(platform: DevPlatform) -> Iterator[ApiClient]:
    with platform.client() as client:
        yield client


@pytest.fixture(scope="module")
def stored(platform: DevPlatform, api: ApiClient) -> dict[str, Any]:
    """The secret and a plain variable set through REST, a second secret through the SDK."""
    project = platform.state["project"]
    resp = api.post(f"/v1/projects/{project}/context", json={"key": "api.key", "value": SECRET,
                                                              "description": "Anthropic key"})
    assert resp.status_code == 201, resp.text
    resp = api.post(f"/v1/projects/{project}/context", json={"key": "base.url", "value": "http://fake.local",
                                                              "secret": False})
    assert resp.status_code == 201, resp.text
    with HotClient(token=platform.state["api_key"], base_url=platform.state["gateway_url"]) as hot:
        created = hot.context.create(project, {"key": "sdk.key", "value": SDK_SECRET, "description": "via sdk"})
        listed = hot.context.list(project)
    return {"project": project, "created": created, "listed": listed}


def secret_free(text: str, *secrets: str) -> None:
    for secret in secrets or (SECRET, SDK_SECRET, RUNTIME_SECRET, DEV_SECRET):
        assert secret not in text, f"{secret} leaked: …{text[max(0, text.find(secret) - 200):][:400]}…"


def run_rows(platform: DevPlatform, run_id: str) -> str:
    """Everything stored for a run: its row and its spans, as text."""
    rows = platform.db_rows("SELECT row_to_json(r)::text FROM hot.run r WHERE run_id = %s", run_id)
    spans = platform.db_rows("SELECT row_to_json(s)::text FROM hot.trace_span s WHERE run_id = %s", run_id)
    return json.dumps([rows, spans])


def test_the_sdk_context_resource_works_unchanged(stored: dict[str, Any], platform: DevPlatform) -> None:
    created = stored["created"]
    assert created["key"] == "sdk.key" and created["description"] == "via sdk"
    assert {"key", "description", "created_at", "updated_at"} <= set(created)
    assert [v["key"] for v in stored["listed"]["data"]] == ["api.key", "base.url", "sdk.key"]
    assert stored["listed"]["pagination"]["total"] == 3
    secret_free(json.dumps(stored["listed"]))
    with HotClient(token=platform.state["api_key"], base_url=platform.state["gateway_url"]) as hot:
        updated = hot.context.update(stored["project"], "sdk.key", {"value": SDK_SECRET})
        assert updated["description"] is None  # an omitted description is stored as null
        hot.context.create(stored["project"], {"key": "temp", "value": "x"})
        hot.context.delete(stored["project"], "temp")
        assert "temp" not in [v["key"] for v in hot.context.list(stored["project"])["data"]]


def test_a_handler_reads_secrets_and_nothing_stored_or_streamed_shows_them(
        platform: DevPlatform, api: ApiClient, stored: dict[str, Any]) -> None:
    cap = read_sse(api, "POST", "/v1/streams/subscribe-with-event",
                   json={"event_type": "secret:reveal", "event_data": {}},
                   until=lambda evs: any(e["type"] == "run:stop" for e in evs))
    assert cap.status == 200
    assert cap.types == ["event:published", "run:start", "stream:data", "run:stop"], cap.types
    secret_free(cap.raw.decode())
    assert cap.events[2]["payload"] == {"key": "<secret>", "bearer": "Bearer <secret>"}
    run = cap.events[3]["run"]
    assert run["status"] == "succeeded"
    assert run["result"] == {"length": len(SECRET), "base": "http://fake.local", "greeting": "hello",
                             "sdk": len(SDK_SECRET), "echo": "<secret>", "nested": {"list": ["<secret>"]},
                             "missing": "fallback", "dev": "from-the-dev-file"}
    full = api.get(f"/v1/runs/{run['run_id']}")
    assert full.status_code == 200
    secret_free(full.text)
    wait_until(lambda: platform.db_count("SELECT count(*) FROM hot.trace_span WHERE run_id = %s",
                                         run["run_id"]) > 1, 15, what="the run's spans stored")
    stored_text = run_rows(platform, run["run_id"])
    assert "the key is <secret>" in stored_text
    assert "hot.return_value" in stored_text  # the spans record values; the secret is masked in them
    secret_free(stored_text)
    trace = api.get(f"/v1/runs/{run['run_id']}/trace")
    secret_free(trace.text)


def test_a_failure_carrying_the_secret_is_masked(platform: DevPlatform, api: ApiClient,
                                                 stored: dict[str, Any]) -> None:
    event = api.publish("secret:fail", {})
    (run,) = api.settled_runs(event["event_id"])
    assert run["status"] == "failed"
    assert run["result"]["$val"]["msg"] == "upstream refused key <secret>"
    secret_free(json.dumps(run))
    wait_until(lambda: platform.db_count("SELECT count(*) FROM hot.trace_span WHERE run_id = %s",
                                         run["run_id"]) > 1, 15, what="the run's spans stored")
    secret_free(run_rows(platform, run["run_id"]))


def test_set_secret_at_run_time_and_dev_file_secrets_are_masked(platform: DevPlatform, api: ApiClient,
                                                                stored: dict[str, Any]) -> None:
    event = api.publish("secret:runtime", {})
    (run,) = api.settled_runs(event["event_id"])
    assert run["status"] == "succeeded"
    assert run["result"] == {"made": "<secret>", "dev": len(DEV_SECRET)}
    wait_until(lambda: platform.db_count("SELECT count(*) FROM hot.trace_span WHERE run_id = %s",
                                         run["run_id"]) > 1, 15, what="the run's spans stored")
    text = run_rows(platform, run["run_id"])
    assert "<secret>" in text
    secret_free(text)


def test_api_reads_show_the_mask_and_permissions_are_api_key_only(api: ApiClient, stored: dict[str, Any]) -> None:
    project = stored["project"]
    secret = api.get(f"/v1/projects/{project}/context/api.key")
    assert secret.status_code == 200 and secret.json()["data"]["value"] == "<secret>"
    plain = api.get(f"/v1/projects/{project}/context/base.url")
    assert plain.json()["data"]["value"] == "http://fake.local"
    dup = api.post(f"/v1/projects/{project}/context", json={"key": "api.key", "value": "x"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "conflict"
    for method, path in (("PUT", f"/v1/projects/{project}/context/nope"),
                         ("DELETE", f"/v1/projects/{project}/context/nope")):
        resp = api.request(method, path, json={"value": "v"})
        assert resp.status_code == 404 and resp.json()["error"]["message"] == "Context variable not found"
    assert api.get("/v1/projects/no-such-project/context").status_code == 404
    bad = api.post(f"/v1/projects/{project}/context", json={"key": "k"})
    assert bad.status_code == 422
    bad = api.post(f"/v1/projects/{project}/context", json={"key": "k", "value": "v", "secret": "yes"})
    assert bad.status_code == 422
    assert api.get(f"/v1/projects/{project}/context", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_platform_log_never_shows_a_secret(platform: DevPlatform, stored: dict[str, Any]) -> None:
    log = platform.log_path.read_text(errors="replace")
    assert "stderr sees <secret>" in log and "stderr: <secret>" in log  # what eprintln wrote, masked
    secret_free(log)


def hot_cli(platform: DevPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli.main", "context", "--dev-dir", str(platform.project),
                           *args], cwd=REPO, capture_output=True, text=True, timeout=60)


def test_the_cli_sets_gets_lists_and_deletes(platform: DevPlatform, stored: dict[str, Any]) -> None:
    project = stored["project"]
    done = hot_cli(platform, "set", "cli.plain", "plain-value", "-d", "from the cli")
    assert done.returncode == 0, done.stderr
    assert hot_cli(platform, "get", "cli.plain").stdout == "plain-value\n"
    done = hot_cli(platform, "--project", project, "set", "cli.secret", "cli-secret-value-77", "--secret")
    assert done.returncode == 0, done.stderr
    assert hot_cli(platform, "-p", project, "get", "cli.secret").stdout == "<secret>\n"
    done = hot_cli(platform, "set", "cli.plain", '{"a": [1, 2]}', "--json")  # replaces
    assert done.returncode == 0, done.stderr
    assert json.loads(hot_cli(platform, "get", "cli.plain").stdout) == {"a": [1, 2]}
    listing = hot_cli(platform, "-p", project, "list").stdout
    assert "cli.secret\tsecret" in listing and "base.url\tplain" in listing
    secret_free(listing, "cli-secret-value-77")
    assert hot_cli(platform, "list").stdout.startswith("cli.plain\tplain")
    assert hot_cli(platform, "delete", "cli.plain").returncode == 0
    gone = hot_cli(platform, "get", "cli.plain")
    assert gone.returncode == 1 and "Context variable not found" in gone.stderr
    remote = hot_cli(platform, "--url", platform.state["gateway_url"], "--key", "wrong", "list")
    assert remote.returncode == 1 and "HTTP 401" in remote.stderr


def test_env_level_variables_reach_runs_below_project_ones(platform: DevPlatform, api: ApiClient,
                                                          stored: dict[str, Any]) -> None:
    resp = api.post("/v1/context", json={"key": "base.url", "value": "env-level", "secret": False})
    assert resp.status_code == 201, resp.text
    event = api.publish("secret:reveal", {})
    (run,) = api.settled_runs(event["event_id"])
    assert run["result"]["base"] == "http://fake.local"  # the project-level row wins
    assert api.delete(f"/v1/projects/{stored['project']}/context/base.url").status_code == 204

    def env_value_seen() -> bool:
        event = api.publish("secret:reveal", {})
        (run,) = api.settled_runs(event["event_id"])
        return bool(run["result"]["base"] == "env-level")

    wait_until(env_value_seen, 15, what="the env-level value once the project's is deleted")
    assert api.delete("/v1/context/base.url").status_code == httpx.codes.NO_CONTENT


def test_editing_the_dev_context_file_reaches_new_runs(platform: DevPlatform, api: ApiClient,
                                                       stored: dict[str, Any]) -> None:
    deployed = platform.db_rows("SELECT files FROM hot.build")
    assert deployed and all("hot/ctx.hot" not in files for (files,) in deployed)  # never deployed
    (platform.project / "hot" / "ctx.hot").write_text(CTX_FILE.replace("from-the-dev-file", "edited-dev-value"))

    def edited_value_seen() -> bool:
        event = api.publish("secret:reveal", {})
        (run,) = api.settled_runs(event["event_id"])
        return bool(run["result"]["dev"] == "edited-dev-value")

    wait_until(edited_value_seen, 20, interval=0.5, what="the edited dev context in a new run")
