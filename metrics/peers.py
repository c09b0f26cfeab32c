"""Peer groups: the k most similar schools of each school, and ranks among peers.

The method follows the peer selection of the US public-library statistics
tools: IMLS "Compare Public Libraries" lets the user pick a comparison group,
and the Utah public-library dashboard chooses the 10 peer libraries nearest by
Euclidean distance on centred size and resource variables. Here a school's
features (default: pupils, the stage flags and the need weight) are
standardised to z-scores over the schools compared (so that no feature wins by
its unit), and the k nearest other schools by Euclidean distance are its peers.
The search uses a KD-tree (``scipy.spatial.cKDTree``), O(n log n), never an
n × n distance matrix.

Conventions
-----------
* **Groups.** Peers are chosen within each value of ``by`` (default ``"year"``:
  a school's peers in 2024 are chosen among the schools of 2024); ``by`` can
  add e.g. ``"municipality_code"`` or ``"organiser_type"``.
* **Missing features.** As in the IMLS tool (missing values drop a library out
  of peer groups), a school with a missing feature neither gets peers nor is
  anyone's peer.
* **z-scores** use the population standard deviation (``ddof=0``); a constant
  feature (standard deviation 0) gets z = 0 everywhere and so does not count.
* **Ties** in distance are ordered by the peer's ``school_unit_code`` (among
  the k + 5 nearest candidates the KD-tree returns).

Sources
-------
* IMLS Public Libraries Survey, "Compare Public Libraries",
  http://harvester.census.gov/imls/compare/index.asp?LibraryType=&ContentType=AboutPublicLibraryData
* Utah public library statistics dashboard (10 peers by Euclidean distance),
  https://019c6db8-b187-7756-2d7c-b5086fa509d7.share.connect.posit.cloud/
* LibPAS (Counting Opinions): peer ranking reports,
  https://www.thelibrarymarketplace.com/pages/libpas-library-performance-assessment-system
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from metrics.need import NeedParams, need_weight

__all__ = ["DEFAULT_FEATURES", "peer_groups", "rank_among_peers", "standardise"]

#: Default features: size, stages and need.
DEFAULT_FEATURES: tuple[str, ...] = (
    "pupils_total",
    "has_preschool_class",
    "has_grades_1_3",
    "has_grades_4_6",
    "has_grades_7_9",
    "has_upper_secondary",
    "need_weight",
)

_PEER_COLUMNS = ["school_unit_code", "peer_code", "distance", "rank"]


def standardise(features: pd.DataFrame) -> pd.DataFrame:
    """z-scores per column: (x − mean) / population standard deviation.

    Parameters
    ----------
    features : pandas.DataFrame
        Numeric (or boolean) columns without missing values.

    Returns
    -------
    pandas.DataFrame
        Same shape; a column with standard deviation 0 becomes all 0.
    """
    x = features.astype("float64")
    std = x.std(ddof=0)
    return (x - x.mean()) / std.where(std > 0, 1.0)


def _feature_frame(
    schools: pd.DataFrame, features: Sequence[str], need_params: NeedParams | None
) -> pd.DataFrame:
    data = {}
    for feature in features:
        if feature in schools.columns:
            data[feature] = schools[feature].to_numpy(dtype="float64", na_value=np.nan)
        elif feature == "need_weight" and {
            "share_foreign_background",
            "share_parents_post_secondary",
        } <= set(schools.columns):
            weights = need_weight(
                schools["share_foreign_background"],
                schools["share_parents_post_secondary"],
                need_params,
            )
            data[feature] = weights["need_weight"].to_numpy()
        else:
            raise KeyError(f"peer_groups: feature {feature!r} is not a column of schools")
    return pd.DataFrame(data, index=schools.index)


def _nearest(codes: np.ndarray, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(school index, peer index, distance) for the k nearest others of each point."""
    n = len(codes)
    k_eff = min(k, n - 1)
    if k_eff <= 0:
        empty = np.array([], dtype=int)
        return empty, empty, np.array([], dtype=float)
    tree = cKDTree(z)
    # Ask for more than k+1 so that ties at the k-th distance can be ordered by code.
    extra = min(n, k_eff + 1 + 4)
    dist, idx = tree.query(z, k=extra)
    dist = dist.reshape(n, extra)
    idx = idx.reshape(n, extra)
    rows = np.repeat(np.arange(n), extra)
    flat_idx = idx.ravel()
    flat_dist = dist.ravel()
    keep = flat_idx != rows
    rows, flat_idx, flat_dist = rows[keep], flat_idx[keep], flat_dist[keep]
    # Round distances so that ties differing only by float noise sort by code.
    order = np.lexsort((codes[flat_idx], np.round(flat_dist, 12), rows))
    rows, flat_idx, flat_dist = rows[order], flat_idx[order], flat_dist[order]
    position = np.arange(rows.size) - np.searchsorted(rows, rows, side="left")
    take = position < k_eff
    return rows[take], flat_idx[take], flat_dist[take]


def peer_groups(
    schools: pd.DataFrame,
    k: int = 5,
    features: Sequence[str] = DEFAULT_FEATURES,
    by: str | Sequence[str] | None = "year",
    feature_weights: Mapping[str, float] | None = None,
    need_params: NeedParams | None = None,
) -> pd.DataFrame:
    """The k most similar schools of each school (standardised features, KD-tree).

    Parameters
    ----------
    schools : pandas.DataFrame
        One row per school (and year): ``school_unit_code``, the ``features``
        columns (numbers or booleans) and the ``by`` columns. ``need_weight``
        may instead be computed from ``share_foreign_background`` and
        ``share_parents_post_secondary`` with :func:`metrics.need.need_weight`.
    k : int, default 5
        Number of peers per school (fewer when the group has fewer other schools).
    features : sequence of str, default :data:`DEFAULT_FEATURES`
        Columns compared: size, stage flags and need weight.
    by : str, sequence of str or None, default "year"
        Peers are chosen within each group of these columns (ignored when a
        column is absent; ``None`` for one group).
    feature_weights : mapping, optional
        Multiplier of a feature's z-score (default 1 each), e.g. to make size
        count more than each single stage flag.
    need_params : NeedParams, optional
        Parameters when ``need_weight`` is computed from the shares.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``school_unit_code``, ``peer_code``, ``distance``
        (Euclidean, in weighted z-score units) and ``rank`` (1 = most similar),
        sorted by group, school and rank.

    Raises
    ------
    KeyError
        If a feature column is missing.
    ValueError
        If ``k`` < 1.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if isinstance(by, str):
        by = [by]
    by = [c for c in (by or []) if c in schools.columns]
    values = _feature_frame(schools, features, need_params)
    complete = values.notna().all(axis=1)
    frame = schools.loc[complete, ["school_unit_code", *by]].copy()
    values = values.loc[complete]
    multipliers = np.array([(feature_weights or {}).get(f, 1.0) for f in features], dtype=float)

    parts = []
    groups = frame.groupby(by, sort=True, dropna=False) if by else [((), frame)]
    for key, group in groups:
        codes = group["school_unit_code"].astype(str).to_numpy()
        z = standardise(values.loc[group.index]).to_numpy() * multipliers
        school, peer, dist = _nearest(codes, z, k)
        if school.size == 0:
            continue
        part = pd.DataFrame({"school_unit_code": codes[school], "peer_code": codes[peer]})
        part["distance"] = dist
        part["rank"] = np.arange(school.size) - np.searchsorted(school, school) + 1
        key = key if isinstance(key, tuple) else (key,)
        for column, value in zip(by, key, strict=True):
            part.insert(0, column, value)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*by, *_PEER_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values([*by, "school_unit_code", "rank"], kind="stable").reset_index(drop=True)


def rank_among_peers(
    values: pd.DataFrame,
    peers: pd.DataFrame,
    column: str,
    higher_is_better: bool = True,
) -> pd.DataFrame:
    """A school's rank on one indicator among itself and its peers.

    Parameters
    ----------
    values : pandas.DataFrame
        ``school_unit_code``, ``column`` and the group columns shared with
        ``peers`` (e.g. ``year``).
    peers : pandas.DataFrame
        Output of :func:`peer_groups`.
    column : str
        The indicator to rank on.
    higher_is_better : bool, default True
        Rank 1 is the highest value when True, the lowest when False.

    Returns
    -------
    pandas.DataFrame
        One row per school with peers: the group columns, ``school_unit_code``,
        ``value``, ``rank`` (1 = best; ties share the best rank, "min" method;
        missing when the school's own value is missing), ``group_size`` (the
        school plus its peers with a value), ``peer_median`` and ``peer_mean``
        (of the peers with a value).
    """
    keys = [c for c in peers.columns if c not in _PEER_COLUMNS and c in values.columns]
    own = values[[*keys, "school_unit_code", column]].rename(columns={column: "value"})
    peer_values = values[[*keys, "school_unit_code", column]].rename(
        columns={"school_unit_code": "peer_code", column: "peer_value"}
    )
    pairs = peers[[*keys, "school_unit_code", "peer_code"]].merge(
        peer_values, on=[*keys, "peer_code"], how="left"
    )
    pairs = pairs.merge(own, on=[*keys, "school_unit_code"], how="left")
    pairs["peer_value"] = pd.to_numeric(pairs["peer_value"], errors="coerce").astype("float64")
    pairs["value"] = pd.to_numeric(pairs["value"], errors="coerce").astype("float64")
    if higher_is_better:
        pairs["better"] = pairs["peer_value"] > pairs["value"]
    else:
        pairs["better"] = pairs["peer_value"] < pairs["value"]
    pairs["has_value"] = pairs["peer_value"].notna()
    grouped = pairs.groupby([*keys, "school_unit_code"], sort=True)
    result = pd.DataFrame(
        {
            "value": grouped["value"].first(),
            "better": grouped["better"].sum(),
            "peers_with_value": grouped["has_value"].sum(),
            "peer_median": grouped["peer_value"].median(),
            "peer_mean": grouped["peer_value"].mean(),
        }
    ).reset_index()
    own_known = result["value"].notna()
    result["rank"] = (result["better"] + 1).where(own_known).astype("Int64")
    result["group_size"] = result["peers_with_value"] + own_known.astype(int)
    columns = [*keys, "school_unit_code", "value", "rank", "group_size", "peer_median", "peer_mean"]
    return result[columns]
