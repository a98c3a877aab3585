"""`babelflow serve`: one Prefect deployment per run config, of the flow the config names, on its cron
schedule, until interrupted."""

from __future__ import annotations

from babelflow.config import BackTranslateConfig, RunConfig


def serve(configs: dict[str, RunConfig | BackTranslateConfig]) -> None:
    from prefect import serve as prefect_serve

    from babelflow.flows.back_translate import back_translate
    from babelflow.flows.translate_documents import translate_documents

    prefect_serve(*(
        (back_translate if isinstance(config, BackTranslateConfig) else translate_documents).to_deployment(
            name=name, cron=config.schedule, parameters={"config": config.model_dump(mode="json", by_alias=True)},
        )
        for name, config in configs.items()
    ))
