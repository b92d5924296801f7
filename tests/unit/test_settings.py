from pathlib import Path

from orchestration.lib.settings import DEMO_PII_KEY, PROJECT_ROOT, Settings


def test_every_location_derives_from_the_data_dir(tmp_path: Path) -> None:
    s = Settings.from_env({"LOYALTY_DATA_DIR": str(tmp_path)})
    assert s.landing_dir == tmp_path / "landing"
    assert s.lake_dir == tmp_path / "lake"
    assert s.warehouse_path == tmp_path / "warehouse.duckdb"
    assert s.serving_dir == tmp_path / "serving"
    assert s.exports_dir == tmp_path / "exports"


def test_each_location_can_be_overridden_alone(tmp_path: Path) -> None:
    s = Settings.from_env({"LOYALTY_DATA_DIR": str(tmp_path / "a"),
                           "LOYALTY_LANDING_DIR": str(tmp_path / "exports_from_pos")})
    assert s.landing_dir == tmp_path / "exports_from_pos"
    assert s.lake_dir == tmp_path / "a" / "lake"


def test_defaults_live_in_the_project_data_folder() -> None:
    s = Settings.from_env({})
    assert s.data_dir == PROJECT_ROOT / "data"
    assert s.timezone == "Asia/Shanghai" and s.currency == "CNY"
    assert s.uses_demo_pii_key and s.pii_key == DEMO_PII_KEY


def test_dbt_env_carries_the_key_only_as_a_secret_variable(tmp_path: Path) -> None:
    env = Settings.from_env({"LOYALTY_DATA_DIR": str(tmp_path),
                             "LOYALTY_PII_KEY": "k3y"}).dbt_env()
    assert env["LOYALTY_WAREHOUSE"] == str(tmp_path / "warehouse.duckdb")
    # dbt scrubs DBT_ENV_SECRET_* values from its logs
    assert [k for k, v in env.items() if v == "k3y"] == ["DBT_ENV_SECRET_LOYALTY_PII_KEY"]


def test_duckdb_memory_cap_and_spill_folder_reach_every_connection(tmp_path: Path,
                                                                   monkeypatch) -> None:
    """The warehouse connections and dbt's DuckDB both run under the configured memory
    limit and spill to the configured folder (what lets 100M lines fit a small machine)."""
    import json
    import subprocess
    import sys

    from orchestration.lib.settings import DBT_PROJECT_DIR
    from orchestration.lib.warehouse import connect

    settings = Settings.from_env({"LOYALTY_DATA_DIR": str(tmp_path),
                                  "LOYALTY_DUCKDB_MEMORY_LIMIT": "1536MiB"})
    assert settings.duckdb_temp_dir == tmp_path / "tmp"
    assert Settings.from_env({}).duckdb_memory_limit == "4GB"
    for key, value in settings.dbt_env().items():
        monkeypatch.setenv(key, value)
    query = "select current_setting('memory_limit'), current_setting('temp_directory')"
    with connect(settings.warehouse_path) as con:
        assert con.execute(query).fetchone() == ("1.5 GiB", str(tmp_path / "tmp"))
    dbt = Path(sys.executable).parent / "dbt"
    out = subprocess.run(
        [str(dbt), "show", "--inline", query.replace("select ", "select 1 as one, ", 1),
         "--output", "json", "--log-format", "json", "--profiles-dir", ".",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=True)
    shown = [json.loads(line)["data"] for line in out.stdout.splitlines()
             if '"preview"' in line][0]
    row = json.loads(shown["preview"])[0]
    assert list(row.values())[1:] == ["1.5 GiB", str(tmp_path / "tmp")]


def test_dbt_keeps_working_after_a_query_spilled_to_disk(tmp_path: Path, monkeypatch) -> None:
    """A model that overflows the memory cap spills to the temp folder; the next model's
    connection must still open (DuckDB refuses to set the temp folder again once used,
    which broke a 10M-line build when the profile set it on every cursor)."""
    import subprocess
    import sys

    from orchestration.lib.settings import DBT_PROJECT_DIR
    from orchestration.lib.warehouse import connect

    settings = Settings.from_env({"LOYALTY_DATA_DIR": str(tmp_path / "data"),
                                  "LOYALTY_DUCKDB_MEMORY_LIMIT": "128MB"})
    for key, value in settings.dbt_env().items():
        monkeypatch.setenv(key, value)
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: spill\nprofile: loyalty\nconfig-version: 2\nmodel-paths: [models]\n")
    (project / "models" / "big_sort.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select md5(range::varchar) as k, range as n from range(4000000) order by k")
    (project / "models" / "after.sql").write_text(
        "{{ config(materialized='table') }}\nselect count(*) as n, "
        "current_setting('memory_limit') as cap, current_setting('temp_directory') as spill "
        "from {{ ref('big_sort') }}")
    dbt = Path(sys.executable).parent / "dbt"
    spills = settings.duckdb_temp_dir
    settings.warehouse_path.parent.mkdir(parents=True)
    run = subprocess.run(
        [str(dbt), "run", "--threads", "1", "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=project, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Completed successfully" in run.stdout
    # 4M keys of 32 bytes cannot be sorted in 128 MB: the first model spilled (DuckDB
    # removes its spill files on close); the second ran on a new cursor, capped the same
    with connect(settings.warehouse_path) as con:
        assert con.execute("select * from main.after").fetchone() == (
            4_000_000, "122.0 MiB", str(spills))
