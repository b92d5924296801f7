from pathlib import Path

from orchestration.lib.lake import swap_in


def test_swap_in_replaces_a_folder_whole(tmp_path: Path) -> None:
    target = tmp_path / "raw" / "business_date=2026-01-01"
    target.mkdir(parents=True)
    (target / "old.parquet").write_text("old")
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "new.parquet").write_text("new")

    swap_in(staged, target)

    assert sorted(p.name for p in target.iterdir()) == ["new.parquet"]
    assert not staged.exists()
    assert [p.name for p in (tmp_path / "raw").iterdir()] == ["business_date=2026-01-01"]


def test_swap_in_creates_a_missing_partition(tmp_path: Path) -> None:
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "data.parquet").write_text("x")
    target = tmp_path / "raw" / "current"
    swap_in(staged, target)
    assert (target / "data.parquet").read_text() == "x"
