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
