"""The dbt project, located once."""

from dagster_dbt import DbtProject

from orchestration.lib.settings import DBT_PROJECT_DIR

# `make manifest` (and the test session) run `dbt parse` so target/manifest.json exists
# before this module is imported.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
