"""The demo's data source: the generator writes the files senders would deliver into the landing folder."""

import datetime as dt

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from pipelines import settings

# Ingestion assets depend on this key: in the demo the landing folder is produced here; in production it is
# filled by senders and this asset is simply never materialised.
LANDING_KEY = AssetKey(["landing", "synthetic_region"])


class SyntheticRegionConfig(Config):
    scale: str = "demo"
    seed: int = 2026
    as_of: str | None = None  # YYYY-MM-DD; default today


@asset(
    key=LANDING_KEY,
    group_name="landing",
    kinds={"python"},
    description="Демо: синтетическая Республика Бурятия (файлы отправителей в папке приёма). "
    "В промышленной эксплуатации не запускается: папку наполняют школы и ведомства.",
)
def synthetic_region(context: AssetExecutionContext, config: SyntheticRegionConfig) -> MaterializeResult:
    from pipelines.synth import already_generated, generate

    as_of = dt.date.fromisoformat(config.as_of) if config.as_of else dt.date.today()
    out = settings.data_dir()
    manifest = already_generated(out, config.scale, config.seed, as_of)
    if manifest:
        # Same seed, same bytes: a second `make demo` reuses the region instead of writing it again.
        context.log.info(
            f"Регион уже сгенерирован (масштаб {config.scale}, seed {config.seed}, на {as_of}): {out}"
        )
    else:
        context.log.info(f"Генерирую регион: масштаб {config.scale}, seed {config.seed}, на {as_of} → {out}")
        manifest = generate(scale=config.scale, seed=config.seed, as_of=as_of, out=out) or {}
    counts = manifest.get("counts") if isinstance(manifest, dict) else None
    metadata = {
        "scale": config.scale,
        "seed": config.seed,
        "as_of": as_of.isoformat(),
        "landing_dir": MetadataValue.path(str(settings.landing_dir())),
    }
    if isinstance(counts, dict):
        metadata["counts"] = MetadataValue.json(counts)
    return MaterializeResult(metadata=metadata)
