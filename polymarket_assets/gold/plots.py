"""The gold plots: matplotlib figures (Agg, no display) drawn from the gold tables after each load.

Each plot is written as a PNG to ``<data dir>/gold/plots/<name>.png`` (atomic replace) and attached to the
materialization as markdown metadata ``plot`` holding the image inline (a ``data:image/png;base64`` URI: the
UI's markdown renders it on the asset's page, no file server needed) plus ``plot_path``. A plot with nothing
to show yet says so in the image.

* ``reliability_diagram`` (``gold/calibration_reliability``): observed frequency against mean forecast per price
  decile, one panel per horizon, category ``overall``, with the Brier score and its terms;
* ``price_path`` (``gold/token_ohlcv``): the price history of every outcome of one market (run config
  ``plot_market``, slug or condition id; default the market with the most trades), with its hourly VWAP;
* ``top_markets_daily_volume`` (``gold/market_daily_volume``): daily notional USDC of the top markets
  (``plot_top_markets``, default 8) by total notional;
* ``btc15m_mid_vs_outcome`` (``gold/btc15m_windows``): the Up mid at open, t − 5 min and t − 1 min against the
  window's outcome (Up = 1), with the observed frequency per mid decile.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from polymarket_assets.atomic_files import atomic_write_bytes
from polymarket_assets.paths import child, component
from polymarket_assets.silver.load import relation_exists
from polymarket_assets.silver.model import Model

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 9.0, 4.6, 100
HORIZONS = ("1h", "24h", "7d")
POINTS = (("open", "mid_open"), ("t-5m", "mid_t5"), ("t-1m", "mid_t1"))


@dataclass(frozen=True)
class PlotOptions:
    market: str | None = None
    top_markets: int = 8


def _figure(height: float = HEIGHT) -> Figure:
    # imported here, not at module level: every step process loads the code location, few of them draw
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _empty(fig: Figure, title: str, why: str) -> Figure:
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", fontsize=12, color="0.35", wrap=True, transform=ax.transAxes)
    return fig


def _rows(conn: Any, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params or []).fetchall()


# -- the plots -------------------------------------------------------------------------------------

def reliability_diagram(conn: Any, opts: PlotOptions) -> Figure:
    fig = _figure()
    title = "Reliability diagram: first-outcome price before resolution vs. how often it won"
    rows = _rows(conn, "SELECT horizon, mean_forecast, observed_frequency, n FROM gold.calibration_reliability "
                       "WHERE category = 'overall' ORDER BY horizon, bin")
    if not rows:
        return _empty(fig, title, "No resolved binary market with a price history yet.")
    summary = {h: (n, b, rel, res, unc) for h, n, b, rel, res, unc in _rows(
        conn, "SELECT horizon, n, brier, reliability, resolution, uncertainty FROM gold.calibration_summary WHERE category = 'overall'")
    } if relation_exists(conn, "gold", "calibration_summary") else {}
    axes = fig.subplots(1, len(HORIZONS), sharey=True)
    for ax, horizon in zip(axes, HORIZONS, strict=True):
        pts = [(f, o, n) for h, f, o, n in rows if h == horizon]
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
        if pts:
            total = sum(n for _, _, n in pts)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color="C0", lw=1.2)
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=[20 + 400 * n / total for _, _, n in pts], color="C0", zorder=3,
                       label="price decile (area ∝ n)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("mean forecast (price)")
        ax.grid(alpha=0.3)
        stats = summary.get(horizon)
        sub = f"{horizon} before resolution"
        if stats:
            n, brier, rel, res, unc = stats
            sub += f"\nn={n}  Brier={brier:.3f}\nREL={rel:.3f} RES={res:.3f} UNC={unc:.3f}"
        ax.set_title(sub, fontsize=9)
    axes[0].set_ylabel("observed frequency")
    axes[0].legend(loc="upper left", fontsize=7)
    fig.suptitle(title, fontsize=11)
    return fig


def _pick_market(conn: Any, wanted: str | None) -> tuple[str, str] | None:
    """(condition_id, label) of the market to draw: ``wanted`` (slug or condition id), else the most traded."""
    if wanted:
        for table in ("silver.market_dim", "silver.market_resolution_dim"):
            schema, name = table.split(".")
            if relation_exists(conn, schema, name):
                row = conn.execute(f"SELECT condition_id, coalesce(slug, condition_id) FROM {table} "
                                   f"WHERE slug = ? OR condition_id = ? LIMIT 1", [wanted, wanted]).fetchone()
                if row:
                    return row[0], row[1]
        if not relation_exists(conn, "gold", "market_daily_volume"):
            return None
        row = conn.execute("SELECT condition_id, coalesce(arg_max(market_slug, dt), condition_id) FROM gold.market_daily_volume "
                           "WHERE market_slug = ? OR condition_id = ? GROUP BY condition_id LIMIT 1", [wanted, wanted]).fetchone()
        return (row[0], row[1]) if row else None
    if not relation_exists(conn, "gold", "market_daily_volume"):
        return None
    row = conn.execute("SELECT condition_id, coalesce(arg_max(market_slug, dt), condition_id) FROM gold.market_daily_volume "
                       "GROUP BY condition_id ORDER BY sum(trades) DESC, condition_id LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def price_path(conn: Any, opts: PlotOptions) -> Figure:
    fig = _figure()
    picked = _pick_market(conn, opts.market)
    if picked is None:
        why = (f"Market {opts.market!r} not found: set plot_market to a slug or condition_id of silver.market_dim\n"
               "that has trades in gold.token_ohlcv." if opts.market else "No trades yet.")
        return _empty(fig, "Price path", why)
    condition, label = picked
    outcomes = dict(_rows(conn, "SELECT token_id, coalesce(outcome, 'outcome ' || outcome_index) FROM silver.market_token_dim "
                                "WHERE condition_id = ?", [condition])) if relation_exists(conn, "silver", "market_token_dim") else {}
    history = _rows(conn, "SELECT token_id, ts, CAST(price AS DOUBLE) FROM silver.price_history_fact WHERE condition_id = ? "
                          "OR token_id IN (SELECT token_id FROM gold.token_ohlcv WHERE condition_id = ?) ORDER BY token_id, ts",
                    [condition, condition]) if relation_exists(conn, "silver", "price_history_fact") else []
    bars = _rows(conn, "SELECT token_id, bucket_start, CAST(vwap AS DOUBLE), trades FROM gold.token_ohlcv "
                       "WHERE condition_id = ? AND bucket = '1h' ORDER BY token_id, bucket_start", [condition])
    if not history and not bars:
        return _empty(fig, f"Price path: {label}", "No price history or trades for this market yet.")
    ax = fig.subplots()
    tokens = sorted({t for t, *_ in history} | {t for t, *_ in bars}, key=lambda t: outcomes.get(t, t))
    for i, token in enumerate(tokens):
        name = outcomes.get(token, token[:10] + "…")
        pts = [(ts, p) for t, ts, p in history if t == token]
        if pts:
            ax.plot([ts for ts, _ in pts], [p for _, p in pts], color=f"C{i}", lw=1.2, label=f"{name}: price history")
        hb = [(ts, v) for t, ts, v, _ in bars if t == token]
        if hb:
            ax.scatter([ts for ts, _ in hb], [v for _, v in hb], color=f"C{i}", s=14, marker="o", alpha=0.7,
                       label=f"{name}: hourly VWAP of trades")
    ax.set_ylim(0, 1)
    ax.set_ylabel("price (USDC per share)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(f"Price path: {label}", fontsize=11)
    fig.autofmt_xdate()
    return fig


def top_markets_daily_volume(conn: Any, opts: PlotOptions) -> Figure:
    fig = _figure()
    title = f"Daily volume of the top {opts.top_markets} markets (taker fills, each once)"
    top = _rows(conn, "SELECT condition_id, coalesce(arg_max(market_slug, dt), left(condition_id, 12)) FROM gold.market_daily_volume "
                      "GROUP BY condition_id ORDER BY sum(notional_usdc) DESC, condition_id LIMIT ?", [opts.top_markets])
    if not top:
        return _empty(fig, title, "No trades yet.")
    ax = fig.subplots()
    for i, (condition, slug) in enumerate(top):
        days = _rows(conn, "SELECT dt, CAST(notional_usdc AS DOUBLE) FROM gold.market_daily_volume WHERE condition_id = ? ORDER BY dt",
                     [condition])
        name = slug if len(slug) <= 40 else slug[:39] + "…"
        ax.plot([d for d, _ in days], [v for _, v in days], marker="o", ms=3, lw=1.2, color=f"C{i % 10}", label=name)
    ax.set_ylabel("notional USDC per day")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(title, fontsize=11)
    fig.autofmt_xdate()
    return fig


def btc15m_mid_vs_outcome(conn: Any, opts: PlotOptions) -> Figure:
    fig = _figure()
    title = "BTC 15-minute windows: Up mid vs. outcome (Up = 1)"
    rows = _rows(conn, "SELECT CAST(mid_open AS DOUBLE), CAST(mid_t5 AS DOUBLE), CAST(mid_t1 AS DOUBLE), outcome_up "
                       "FROM gold.btc15m_windows WHERE outcome_up IS NOT NULL ORDER BY window_start")
    if not rows:
        return _empty(fig, title, "No resolved BTC 15-minute window with books yet.")
    axes = fig.subplots(1, len(POINTS), sharey=True)
    for k, (ax, (point, _)) in enumerate(zip(axes, POINTS, strict=True)):
        pts = [(r[k], r[3]) for r in rows if r[k] is not None]
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--")
        if pts:
            jitter = [((i * 37) % 11 - 5) / 120 for i in range(len(pts))]  # deterministic spread of the 0/1 dots
            ax.scatter([m for m, _ in pts], [o + j for (_, o), j in zip(pts, jitter, strict=True)], s=8, alpha=0.4, color="C1",
                       label="window")
            bins: dict[int, list[tuple[float, int]]] = {}
            for m, o in pts:
                bins.setdefault(min(int(m * 10), 9), []).append((m, o))
            xs = sorted(bins)
            ax.plot([sum(m for m, _ in bins[b]) / len(bins[b]) for b in xs], [sum(o for _, o in bins[b]) / len(bins[b]) for b in xs],
                    color="C0", marker="o", lw=1.5, label="observed frequency per decile")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.1, 1.1)
        ax.set_xlabel(f"Up mid at {point}")
        ax.set_title(f"{point}: {len(pts)} windows", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("outcome (Up = 1)")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(title, fontsize=11)
    return fig


PLOTS: dict[str, Callable[[Any, PlotOptions], Figure]] = {
    "reliability_diagram": reliability_diagram,
    "price_path": price_path,
    "top_markets_daily_volume": top_markets_daily_volume,
    "btc15m_mid_vs_outcome": btc15m_mid_vs_outcome,
}


# -- output ----------------------------------------------------------------------------------------

def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def plot_markdown(png: bytes, alt: str) -> str:
    """Markdown showing ``png`` inline (a data URI: nothing to serve)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def plots_dir(data_root: Path) -> Path:
    return data_root / "gold" / "plots"


def draw(conn: Any, name: str, opts: PlotOptions, data_root: Path) -> tuple[Path, bytes]:
    """Draw plot ``name`` and write it to ``<data root>/gold/plots/<name>.png``; returns (path, PNG bytes)."""
    path = child(plots_dir(data_root), f"{component(name, 'plot name')}.png")
    png = png_bytes(PLOTS[name](conn, opts))
    atomic_write_bytes(path, png)
    return path, png


def render_plots(conn: Any, model: Model, result: Any, config: Any, lake: Any) -> dict[str, Any]:
    """The asset builder's hook: draw ``model.plots`` and return their metadata (``plot``, ``plot_path``).

    The PNGs go beside the DuckDB file, on this machine (``LakeResource.local_root``: the data directory for a
    local lake, ``POLYMARKET_LOCAL_DIR`` when the lake is on S3); the UI shows them from the metadata itself."""
    opts = PlotOptions(market=getattr(config, "plot_market", None), top_markets=getattr(config, "plot_top_markets", 8))
    md: dict[str, Any] = {}
    for name in model.plots:
        path, png = draw(conn, name, opts, Path(lake.local_root))
        suffix = "" if len(model.plots) == 1 else f"_{name}"
        md[f"plot{suffix}"] = dg.MetadataValue.md(plot_markdown(png, name.replace("_", " ")))
        md[f"plot_path{suffix}"] = dg.MetadataValue.path(str(path))
    return md
