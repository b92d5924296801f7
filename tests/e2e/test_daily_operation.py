"""Daily operation end to end: the real Dagster webserver and daemon (`dagster dev` with the
project's `workspace.yaml` and `dagster.yaml`) on localhost, runs launched through the
GraphQL API, the serving file checked on disk.

One server for the module, used in order by the tests below: the first days are built
beforehand with `loyalty run`'s code, then

1. the daily job for the next day, through GraphQL, while another process holds the serving
   file open read-only: both succeed, the reader sees the new data after reconnecting;
2. a day whose till lines name an unknown store: a blocking dbt test fails, the serving
   file stays byte-identical, and publishing on its own refuses and says which check;
3. the corrected file, and its run killed with SIGKILL halfway: the run is failed (the code
   server sees its process exit), run retries relaunch it, the relaunch succeeds and
   publishes;
4. the browser: the asset graph renders and a materialisation started from the UI succeeds.
"""

import datetime as dt
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import requests

from orchestration.defs.automation import IN_PROCESS
from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.contract import DATASETS
from orchestration.lib.landing import discover
from orchestration.lib.run_recovery import worker_pid
from orchestration.lib.settings import PROJECT_ROOT, Settings

CFG = GeneratorConfig(members=150, days=42, start=dt.date(2026, 3, 2), seed=5)
DAY_OK = CFG.end - dt.timedelta(days=1)      # the scheduled day of test 1
DAY_BAD = CFG.end                            # the day of tests 2 and 3
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 900

LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
STATUS = """
query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""


class Server:
    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.home = root / "dagster_home"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = Settings.from_env(self.env)
        self.serving = self.settings.serving_dir / "loyalty.duckdb"
        self.proc: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        # nothing inherited from tests that ran before in this process (the dbt assets export
        # their warehouse and lake to the environment for dbt)
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("LOYALTY_", "DBT_ENV_SECRET_", "DAGSTER_"))}
        return {**inherited, "LOYALTY_DATA_DIR": str(self.data), "DAGSTER_HOME": str(self.home),
                "LOYALTY_PII_KEY": "e2e-key",
                "LOYALTY_FIRST_BUSINESS_DATE": CFG.start.isoformat()}

    def start(self) -> None:
        log = open(self.root / "dagster_dev.log", "w")  # noqa: SIM115 (kept for the process)
        self.proc = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1",
             "-p", str(self.port)],
            cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.root / "dagster_dev.log").read_text()[-3000:]
            try:
                if requests.get(f"{self.url}/server_info", timeout=2).ok and self._loaded():
                    return
            except requests.ConnectionError:
                pass
            time.sleep(1)
        raise TimeoutError("dagster dev did not come up in 3 minutes")

    def _loaded(self) -> bool:
        data = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { "
                            "locationOrLoadError { __typename } } } } }")
        entries = data["workspaceOrError"]["locationEntries"]
        return bool(entries) and entries[0]["locationOrLoadError"]["__typename"] == \
            "RepositoryLocation"

    def stop(self) -> None:
        """`dagster dev` and its children stop on SIGINT to the group, else SIGKILL."""
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = requests.post(f"{self.url}/graphql", json={"query": query,
                                                              "variables": variables or {}},
                                 timeout=60)
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def launch(self, day: dt.date | None = None, assets: list[list[str]] | None = None) -> str:
        selector = {"repositoryLocationName": "loyalty", "repositoryName": "__repository__",
                    "jobName": "loyalty_daily"}
        if assets:
            selector["assetSelection"] = [{"path": a} for a in assets]
        tags = [{"key": "dagster/partition", "value": day.isoformat()}] if day else []
        # in process, as the schedule launches it (a process per step would add ~5 s each)
        data = self.graphql(LAUNCH, {"params": {"selector": selector, "runConfigData": IN_PROCESS,
                                                "executionMetadata": {"tags": tags}}})
        result = data["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def stop_sensor(self, name: str) -> None:
        selector = {"repositoryLocationName": "loyalty", "repositoryName": "__repository__",
                    "sensorName": name}
        sensor = self.graphql("query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) "
                              "{ ... on Sensor { id } } }", {"s": selector})["sensorOrError"]
        result = self.graphql("mutation($id: String) { stopSensor(id: $id) { __typename } }",
                              {"id": sensor["id"]})
        assert result["stopSensor"]["__typename"] == "StopSensorMutationResult", result

    def status(self, run_id: str) -> str:
        return self.graphql(STATUS, {"id": run_id})["runOrError"]["status"]

    def wait(self, run_id: str, timeout: float = RUN_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(run_id)
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                return status
            time.sleep(2)
        raise TimeoutError(f"run {run_id} still {status} after {timeout} s")

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _publication(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select run_id from serving_meta.publication").fetchone()[0]


def _day_files(landing: Path, day: dt.date) -> list[Path]:
    return [landing / f.rel_path for ds in DATASETS.values() if ds.daily
            for f in discover(landing, ds) if f.business_date == day]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("e2e")
    srv = Server(root)
    source = root / "generated"
    generate(CFG, source)
    # the last two days have not "arrived" yet
    shutil.copytree(source, srv.settings.landing_dir)
    for day in (DAY_OK, DAY_BAD):
        for path in _day_files(srv.settings.landing_dir, day):
            path.unlink()
    srv.home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", srv.home / "dagster.yaml")
    proc = subprocess.run([str(BIN / "loyalty"), "run", "--no-generate"], cwd=PROJECT_ROOT,
                          env=srv.env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert srv.serving.exists()
    srv.source = source
    srv.start()
    # each test launches its own runs; the landing sensor (tested on its own) would ingest
    # the same files first in a run of its own
    srv.stop_sensor("landing_files")
    yield srv
    srv.stop()


READER = """
import sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
con = duckdb.connect(path, read_only=True)
first = con.execute("select run_id from serving_meta.publication").fetchone()[0]
print("open", first, flush=True)
queries = 0
import os
while not os.path.exists(stop):
    assert con.execute("select run_id from serving_meta.publication").fetchone()[0] == first
    assert con.execute("select count(*) from marts.dim_members").fetchone()[0] > 0
    queries += 1
    time.sleep(0.2)
con.close()
con = duckdb.connect(path, read_only=True)
print("reconnected", con.execute("select run_id from serving_meta.publication").fetchone()[0],
      queries, flush=True)
"""


def test_daily_run_through_graphql_publishes_while_a_reader_holds_the_file(server) -> None:
    before = _publication(server.serving)
    stop = server.root / "stop-reader"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(server.serving), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert reader.stdout.readline().split() == ["open", before]

    for path in _day_files(server.source, DAY_OK):
        target = server.settings.landing_dir / path.relative_to(server.source)
        shutil.copy(path, target)
    try:
        run_id = server.launch(DAY_OK)
        assert server.wait(run_id) == "SUCCESS"
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    word, seen_after, queries = out.split()
    assert (word, seen_after) == ("reconnected", run_id)
    assert int(queries) > 0  # it kept reading during the whole run
    with duckdb.connect(str(server.serving), read_only=True) as con:
        last = con.execute("select max(as_of_date) from scores.member_scores").fetchone()[0]
        members = con.execute("select count(*) from marts.dim_members").fetchone()[0]
        schemas = {r[0] for r in con.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
    assert last == DAY_OK and members > 100
    assert schemas == {"marts", "scores", "outputs", "reference", "serving_meta"}


def test_a_failed_blocking_check_leaves_the_serving_file_byte_identical(server) -> None:
    before = _sha256(server.serving)
    for path in _day_files(server.source, DAY_BAD):
        target = server.settings.landing_dir / path.relative_to(server.source)
        shutil.copy(path, target)
    till = next(p for p in _day_files(server.settings.landing_dir, DAY_BAD)
                if "transactions" in p.parts)
    lines = pd.read_csv(till, dtype=str, keep_default_na=False)
    lines.loc[lines["transaction_id"] == lines["transaction_id"].iloc[0], "store_id"] = "S999"
    lines.to_csv(till, index=False)

    run_id = server.launch(DAY_BAD)
    assert server.wait(run_id) == "FAILURE"
    assert _sha256(server.serving) == before
    instance = server.instance()
    serving_key = dg.AssetKey(["serving", "loyalty_db"])
    materialised = instance.get_latest_materialization_event(serving_key)
    assert materialised.run_id != run_id

    # publishing on its own refuses, names the check, and still leaves the file alone
    publish_only = server.launch(assets=[["serving", "loyalty_db"]])
    assert server.wait(publish_only) == "FAILURE"
    assert _sha256(server.serving) == before
    failures = instance.all_logs(publish_only, of_type=dg.DagsterEventType.STEP_FAILURE)
    message = failures[0].dagster_event.step_failure_data.error.message
    assert "Not published" in message and "relationships" in message


def test_a_killed_run_is_relaunched_and_completes(server) -> None:
    before = _sha256(server.serving)
    for path in _day_files(server.source, DAY_BAD):  # the corrected delivery
        shutil.copy(path, server.settings.landing_dir / path.relative_to(server.source))
    run_id = server.launch(DAY_BAD)
    instance = server.instance()
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:  # halfway: once dbt is building
        started = {e.step_key for e in instance.all_logs(
            run_id, of_type=dg.DagsterEventType.STEP_START)}
        if any(key and key.startswith("dbt_models") for key in started):
            break
        assert server.status(run_id) in ("QUEUED", "STARTING", "STARTED")
        time.sleep(1)
    os.kill(worker_pid(instance, run_id), signal.SIGKILL)

    assert server.wait(run_id) == "FAILURE"  # its death was noticed, nobody had to step in
    assert _sha256(server.serving) == before
    retry = None
    deadline = time.monotonic() + 120
    while retry is None and time.monotonic() < deadline:
        children = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/parent_run_id": run_id}))
        retry = children[0].run_id if children else None
        time.sleep(2)
    assert retry is not None, "run retries did not relaunch the killed run"
    assert server.wait(retry) == "SUCCESS"
    assert _publication(server.serving) == retry
    with duckdb.connect(str(server.serving), read_only=True) as con:
        assert con.execute("select max(as_of_date) from scores.member_scores").fetchone()[0] \
            == DAY_BAD


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def test_the_ui_shows_the_graph_and_materialises_an_asset(server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make browser` installs it"
    instance = server.instance()
    key = dg.AssetKey("pos_stores")
    before = instance.get_latest_materialization_event(key).run_id
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        # the community sign-up dialog may cover the page on a first visit: dismiss it
        page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda b: b.click())
        page.goto(f"{server.url}/asset-groups")
        for group in ("ingest", "marts_members", "scoring", "outputs", "publish"):
            expect(page.get_by_text(group, exact=True).first).to_be_visible(timeout=60_000)
        page.screenshot(path=tmp_path / "asset_graph.png")

        page.goto(f"{server.url}/assets/pos_stores")
        # the button's accessible name carries its icon's ligature: find it by its text
        page.get_by_text("Materialize", exact=True).click(timeout=60_000)
        expect(page.get_by_text("Launched run", exact=False).first).to_be_visible(
            timeout=60_000)
        page.screenshot(path=tmp_path / "launched.png")
        browser.close()

    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        latest = instance.get_latest_materialization_event(key)
        if latest.run_id != before:
            break
        time.sleep(2)
    else:
        raise TimeoutError("the run launched from the UI did not materialise pos_stores")
    assert server.wait(latest.run_id) == "SUCCESS"
    assert instance.get_run_by_id(latest.run_id).tags.get("dagster/partition") is None
