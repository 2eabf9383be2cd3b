"""A travel-time map as a PNG: the stops reached coloured by minutes, over the streets of
the network's OpenStreetMap extract when it has one. Drawn with matplotlib's Agg backend
(no display needed) from the network's own data only: no map tiles are fetched.
"""

from __future__ import annotations

import math

import numpy as np

from trajet.service.network import Network
from trajet.service.traveltimes import NONE, TravelTimes

MARGIN = 0.05  # of the stops' extent, around it


def _street_segments(network: Network, lat_range, lon_range) -> np.ndarray:
    """(segments, 2, 2) lon/lat of the street edges inside the box, each segment once."""
    streets = network.osm.streets if network.osm is not None else None
    if streets is None or len(streets.edge_to) == 0:
        return np.zeros((0, 2, 2))
    offsets = np.asarray(streets.edge_offsets)
    frm = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    to = np.asarray(streets.edge_to)
    once = frm < to  # every edge has its twin the other way
    frm, to = frm[once], to[once]
    lat, lon = np.asarray(streets.node_lat), np.asarray(streets.node_lon)
    inside = ((lat[frm] >= lat_range[0]) & (lat[frm] <= lat_range[1]) & (lon[frm] >= lon_range[0])
              & (lon[frm] <= lon_range[1]))
    frm, to = frm[inside], to[inside]
    return np.stack([np.column_stack([lon[frm], lat[frm]]), np.column_stack([lon[to], lat[to]])], axis=1)


def plot_travel_times(network: Network, answer: TravelTimes, path: str) -> None:
    """Write the map of `answer` to `path` (PNG): one departure coloured by its minutes, a
    window by the median over its minutes (stops reached by fewer than half are grey)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    net = network.net
    stops = answer.stops
    lat, lon = np.asarray(net.stop_lat)[stops], np.asarray(net.stop_lon)[stops]
    shown = answer.median_s if answer.window_s else answer.travel_s
    minutes = np.where(shown < NONE, shown / 60, np.nan)
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    if len(stops):
        pad_lat = max((lat.max() - lat.min()) * MARGIN, 0.002)
        pad_lon = max((lon.max() - lon.min()) * MARGIN, 0.002)
        lat_range = (lat.min() - pad_lat, lat.max() + pad_lat)
        lon_range = (lon.min() - pad_lon, lon.max() + pad_lon)
        segments = _street_segments(network, lat_range, lon_range)
        if len(segments):
            ax.add_collection(LineCollection(segments, colors="#c8c8c8", linewidths=0.4, zorder=1))
        ax.set_xlim(*lon_range)
        ax.set_ylim(*lat_range)
        ax.set_aspect(1 / math.cos(math.radians(float(np.mean(lat)))))  # metres alike on both axes
        grey = np.isnan(minutes)
        ax.scatter(lon[grey], lat[grey], s=8, c="#999999", zorder=2, label="reached by fewer than half the minutes")
        points = ax.scatter(lon[~grey], lat[~grey], s=10, c=minutes[~grey], cmap="viridis_r", zorder=3,
                            vmin=0, vmax=answer.limits.max_travel_s / 60)
        fig.colorbar(points, ax=ax, shrink=0.7, label="median minutes" if answer.window_s else "minutes")
    origin = network.places.position(answer.origin)
    ax.plot(origin[1], origin[0], marker="*", markersize=16, color="#d62728", markeredgecolor="black", zorder=4)
    when = f"{answer.date} {answer.seconds // 3600:02d}:{answer.seconds // 60 % 60:02d}"
    window = f", window {answer.window_s // 60} min" if answer.window_s else ""
    partial = " (partial)" if answer.partial else ""
    ax.set_title(f"Travel times from {_name(network, answer)}, {when}{window}{partial}", fontsize=10)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    fig.savefig(path, format="png", bbox_inches="tight")
    plt.close(fig)


def _name(network: Network, answer: TravelTimes) -> str:
    if isinstance(answer.origin, tuple):
        return f"{answer.origin[0]},{answer.origin[1]}"
    return str(network.net.stop_name[answer.origin[-1]])
