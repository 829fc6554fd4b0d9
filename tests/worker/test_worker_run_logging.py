"""The worker keeps the configured root log level: no spinner that lowers it to DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from mode.utils import logging as mode_logging

from pipeline.app import create_app
from pipeline.settings import Settings
from pipeline.worker.run import quiet_worker


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("level", ["WARNING", "INFO", "ERROR"])
def test_root_logger_keeps_the_configured_level_once_the_worker_sets_up_logging(
    level: str, tmp_path: Path, root_logger: logging.Logger
) -> None:
    settings = replace(Settings(), app_id="quiet-worker", data_dir=tmp_path, log_level=level)
    worker = quiet_worker(create_app(settings), settings)

    # What faust's worker does at start: configure the root logger, then let the worker adjust it.
    configured = mode_logging.setup_logging(loglevel=worker.loglevel)
    worker.on_setup_root_logger(root_logger, configured)

    assert root_logger.level == logging.getLevelName(level)
    assert not root_logger.isEnabledFor(logging.DEBUG)
