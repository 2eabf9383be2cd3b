"""Step-free walks between stops: the footpaths of a wheelchair user, stored where they differ.

A wheelchair user's walks are closed like everybody's (feeds/footpaths.py), over the same
sources with every edge that is not step-free left out:

- pathways.txt: walkways, moving walkways, elevators and gates; never stairs nor escalators
  (feeds/pathways.py NOT_WHEELCHAIR);
- station default: between the platforms of a station without pathways.txt, as for everybody;
  a station with pathways joins its platforms by its step-free pathways only (and transfers.txt
  links), so no other walk, chain, street or crow-fly, joins two of them;
- transfers.txt: its links, as for everybody (the feed's word that the change exists);
- streets: the street graph without highway=steps and wheelchair=no ways (STEPS,
  NO_WHEELCHAIR), as service/walking.py's wheelchair Mode at query time; a stop on the streets
  whose nearest step-free street is beyond snap_max_m walks on none;
- crow-fly: as for everybody, between stops off the streets (nothing is known about them).

Forbidden pairs (transfer_type 3) stay forbidden. Most stops walk the same either way, so the
compiled network stores, for the stops whose walks differ (any footpath from them added,
missing or changed), their whole list of step-free footpaths (CompiledNetwork.step_free_*);
`step_free_rows` cuts them out at compile time and `step_free_footpaths` splices them back
into the default relation when a network is opened.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# the per-footpath arrays of a closed relation (WalkGraph.close), beside footpath_from
ROW_FIELDS = ("footpath_to", "footpath_duration", "footpath_walk_m", "footpath_model", "footpath_pathway_modes")


class Footpaths(NamedTuple):
    """One closed footpath relation, sorted by from stop (then metres, seconds, to stop), the
    fields of CompiledNetwork.footpath_* (see there)."""

    from_stop: np.ndarray  # int32
    to_stop: np.ndarray  # int32
    duration: np.ndarray  # int32 seconds at the compiled speed
    walk_m: np.ndarray  # int32
    model: np.ndarray  # uint8 feeds/footpaths.py model bits
    pathway_modes: np.ndarray  # uint8 bits 1 << pathway_mode

    @classmethod
    def default(cls, net) -> "Footpaths":
        """Everybody's footpaths of a CompiledNetwork."""
        return cls(net.footpath_from, net.footpath_to, net.footpath_duration, net.footpath_walk_m,
                   net.footpath_model, net.footpath_pathway_modes)

    def offsets(self, n_stops: int) -> np.ndarray:
        """Stop -> its footpaths, CSR (int32, n_stops + 1)."""
        offsets = np.zeros(n_stops + 1, np.int32)
        np.cumsum(np.bincount(np.asarray(self.from_stop), minlength=n_stops), out=offsets[1:])
        return offsets


def _offsets(frm: np.ndarray, n: int) -> np.ndarray:
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(np.asarray(frm, np.int64), minlength=n), out=offsets[1:])
    return offsets


def _rows_of(offsets: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The row indices of the given stops' footpaths, stop after stop."""
    counts = offsets[stops + 1] - offsets[stops]
    starts = np.repeat(offsets[stops] - np.r_[0, np.cumsum(counts)[:-1]], counts)
    return starts + np.arange(int(counts.sum()))


def step_free_rows(default: dict, step_free: dict, n_stops: int) -> dict:
    """The CompiledNetwork.step_free_* arrays: the stops whose step-free footpaths differ from
    their default ones, and those stops' step-free footpaths. default, step_free: two closed
    relations as WalkGraph.close returns them (sorted by from stop, each stop's list in one
    deterministic order, so two equal lists are equal row by row)."""
    off_d, off_s = _offsets(default["footpath_from"], n_stops), _offsets(step_free["footpath_from"], n_stops)
    count_d, count_s = np.diff(off_d), np.diff(off_s)
    differs = count_d != count_s
    same = np.flatnonzero(~differs & (count_d > 0))
    rows_d, rows_s = _rows_of(off_d, same), _rows_of(off_s, same)
    owner = np.repeat(same, count_d[same])
    changed = np.zeros(len(rows_d), bool)
    for name in ROW_FIELDS:
        changed |= np.asarray(default[name])[rows_d] != np.asarray(step_free[name])[rows_s]
    differs[owner[changed]] = True
    stops = np.flatnonzero(differs)
    rows = _rows_of(off_s, stops)
    out = {"step_free_footpath_stop": stops.astype(np.int32),
           "step_free_footpath_offsets": np.r_[0, np.cumsum(count_s[stops])].astype(np.int64)}
    for name in ROW_FIELDS:
        out["step_free_" + name] = np.asarray(step_free[name])[rows]
    return out


def step_free_footpaths(net) -> Footpaths | None:
    """A CompiledNetwork's footpaths for wheelchair users: the default ones with the stored
    stops' lists replaced; None when no stop walks otherwise step-free."""
    stops = np.asarray(net.step_free_footpath_stop, np.int64)
    if not len(stops):
        return None
    n = net.n_stops
    if stops.max() >= n or (np.diff(stops) <= 0).any():
        raise ValueError("step_free_footpath_stop: stop indices must be increasing and below n_stops")
    offsets = np.asarray(net.step_free_footpath_offsets, np.int64)
    if len(offsets) != len(stops) + 1 or offsets[-1] != len(net.step_free_footpath_to):
        raise ValueError("step_free_footpath_offsets: not a CSR over step_free_footpath_stop")
    replaced = np.zeros(n, bool)
    replaced[stops] = True
    default_from = np.asarray(net.footpath_from)
    kept = np.flatnonzero(~replaced[default_from])
    frm = np.r_[default_from[kept], np.repeat(stops, np.diff(offsets))].astype(np.int32)
    order = np.argsort(frm, kind="stable")  # each stop's rows come from one side, in their order
    columns = [np.r_[np.asarray(getattr(net, name))[kept], np.asarray(getattr(net, "step_free_" + name))][order]
               for name in ROW_FIELDS]
    return Footpaths(frm[order], *columns)
