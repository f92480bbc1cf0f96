"""Optional online datasets: downloaded once on request, never needed by a notebook or test.

:func:`fetch_optional` fetches one of :data:`OPTIONAL_DATASETS` with pooch
into the user's cache folder, verifies the SHA-256 that matminer publishes and
returns it as a :class:`pandas.DataFrame`. The course's own datasets, which
work offline, are loaded by :mod:`utils.data`.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from utils.data import DataIntegrityError

__all__ = ["OPTIONAL_DATASETS", "OptionalDataset", "fetch_optional"]


@dataclass(frozen=True)
class OptionalDataset:
    """An online dataset with a pinned URL and a published SHA-256."""

    name: str
    url: str
    sha256: str
    description: str
    reference: str


#: URLs and SHA-256 as published in matminer's ``datasets/dataset_metadata.json``.
OPTIONAL_DATASETS: dict[str, OptionalDataset] = {
    "steel_strength": OptionalDataset(
        name="steel_strength.json.gz",
        url="https://ndownloader.figshare.com/files/13354691",
        sha256="e36501d7057cd833223bb8ed9948668b5ac90fd585d29a749f45af51c1d7f6ad",
        description="312 steels: composition (wt%) and yield/tensile strength (GPa)",
        reference="Citrine Informatics, Mechanical properties of some steels, via matminer",
    ),
    "double_perovskites_gap": OptionalDataset(
        name="double_perovskites_gap.json.gz",
        url="https://ndownloader.figshare.com/files/13309157",
        sha256="746072db995ec46f44b67c3f55fccdc24a7ec6233be1b96cc52dab8db4bf0ba4",
        description="1,306 double perovskites: A/B site species and GLLB-SC band gap (eV)",
        reference="Pilania et al., Sci. Rep. 6, 19375 (2016), DOI 10.1038/srep19375",
    ),
}


def fetch_optional(
    key: str,
    cache_dir: Path | str | None = None,
    progressbar: bool = True,
    _registry: dict[str, OptionalDataset] | None = None,
) -> pd.DataFrame:
    """Download (once) and load an optional online dataset.

    The file is fetched with pooch into the user's cache folder, verified
    against the SHA-256 that matminer publishes, and parsed from matminer's
    JSON format. A file whose checksum does not match is deleted, never cached.

    Parameters
    ----------
    key
        One of ``OPTIONAL_DATASETS``.
    cache_dir
        Where to keep downloads; the OS cache folder (``mlchem-course``) by default.
    progressbar
        Whether to show a tqdm progress bar while downloading.

    Returns
    -------
    pandas.DataFrame
        The dataset's table, columns as published.

    Raises
    ------
    KeyError
        For an unknown dataset name (the message lists the known ones).
    ConnectionError
        When the download fails (e.g. offline); the message names the file and URL.
    DataIntegrityError
        When the downloaded file does not match the published checksum.
    """
    import pooch
    import requests

    registry = OPTIONAL_DATASETS if _registry is None else _registry
    if key not in registry:
        raise KeyError(f"unknown optional dataset {key!r}; choose from {sorted(registry)}")
    entry = registry[key]
    folder = Path(cache_dir) if cache_dir is not None else Path(pooch.os_cache("mlchem-course"))
    try:
        path = pooch.retrieve(
            entry.url,
            known_hash=f"sha256:{entry.sha256}",
            fname=entry.name,
            path=folder,
            progressbar=progressbar,
        )
    except requests.RequestException as err:
        raise ConnectionError(
            f"could not download {entry.name} from {entry.url} ({type(err).__name__}). "
            "This dataset is optional and needs a network connection; the course's "
            "own datasets in data/ work offline."
        ) from err
    except ValueError as err:
        if "hash" not in str(err).lower():
            raise
        raise DataIntegrityError(
            f"the download of {entry.name} from {entry.url} does not match its published "
            f"SHA-256 {entry.sha256}; it was discarded, nothing was cached. ({err})"
        ) from err
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table = json.load(handle)
    if not (isinstance(table, dict) and {"data", "columns"} <= set(table)):
        raise DataIntegrityError(f"{path} is not in matminer's JSON table format")
    return pd.DataFrame(data=table["data"], columns=table["columns"], index=table.get("index"))
