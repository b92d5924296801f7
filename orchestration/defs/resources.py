"""Resources of the code location. Kept in their own file: a module holding
``DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@dg.definitions`` does not get its other definitions auto-loaded."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.project import dbt_project
from orchestration.lib.settings import Settings
from orchestration.lib.storage import LoyaltyStorage

DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@dg.definitions
def resources() -> dg.Definitions:
    settings = Settings.from_env()
    return dg.Definitions(
        resources={
            "storage": LoyaltyStorage.from_settings(settings),
            "dbt": DbtCliResource(
                project_dir=dbt_project,
                profiles_dir=dbt_project.profiles_dir,
                # the dbt installed beside this Python, so an unactivated venv works too
                dbt_executable=str(DBT_EXECUTABLE),
            ),
        }
    )
