"""The native half of ``climastation`` (Rust, pyo3). Use the public API of
``climastation`` instead: these signatures may change."""

from typing import Any, Optional

import pyarrow

__version__: str

class Task:
    """A use case running on its own thread, without the GIL."""

    def wait(self, timeout: float = 0.1) -> bool: ...
    def stop(self) -> None: ...
    def progress(self) -> list[tuple[str, int, int, int]]: ...
    def result(self) -> Any: ...

class Archive:
    def __init__(self, config: Optional[str] = None, data_dir: Optional[str] = None) -> None: ...
    def _paths(self) -> tuple[str, str, str, str, str, list[str]]: ...
    def _crawl(self, datasets: list[str], selection: dict[str, Any], source: Optional[str] = None) -> Task: ...
    def _run(
        self,
        datasets: list[str],
        workers: Optional[int],
        keep_going: bool,
        processor: Optional[str],
        crawl: bool,
        selection: dict[str, Any],
        verify_outputs: bool = False,
    ) -> Task: ...
    def _status(self, dataset: Optional[str] = None) -> dict[str, Any]: ...
    def _failed(self, dataset: Optional[str], unconfirmed: bool, limit: int) -> dict[str, Any]: ...
    def _check(self, dataset: Optional[str], deep: bool) -> dict[str, Any]: ...
    def _serve(self, listen: Optional[str] = None) -> int: ...
    def _stations(self, dataset: str, selection: dict[str, Any], source: Optional[str] = None) -> Task: ...
    def _export(
        self,
        resolution: Optional[str],
        datasets: list[str],
        selection: dict[str, Any],
        parameters: list[str],
        with_station: bool,
        long: bool,
    ) -> Task: ...
    def _values(
        self,
        resolution: str,
        parameters: list[str],
        at: list[str],
        start: Optional[str],
        end: Optional[str],
        method: str,
        min_quality: Optional[int],
        max_distance_km: Optional[float],
        k: Optional[int],
    ) -> Task: ...

def _datasets(resolution: Optional[str] = None) -> dict[str, Any]: ...
def _cli(argv: list[str]) -> int: ...
def _handover(rows: int) -> tuple[pyarrow.Table, float, int]: ...
