"""The dbt models pass sqlfluff with the dbt templater (`dbt_project/.sqlfluff`): the SQL stays uniform."""

from __future__ import annotations

import time

from pipelines.warehouse.sql_lint import lint_models


def test_dbt_models_have_no_sqlfluff_violations(built_region, demo_region, tmp_path):
    started = time.monotonic()
    # the session's `dbt parse` seeds the templater's partial parse; its artifacts go to a folder of their own
    violations = lint_models(
        url=built_region.url,
        target=tmp_path / "sqlfluff_target",
        reuse_parse_from=demo_region.state_dir / "dbt_target" / "parse",
    )
    print(
        f"\n[sqlfluff] dbt_project/models: {len(violations)} violations in {time.monotonic() - started:.0f} s"
    )
    assert not violations, "\n".join(str(v) for v in violations)
