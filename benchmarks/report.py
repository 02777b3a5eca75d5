"""From per-round measurements to paired overheads, targets, a Markdown table and a chart.

Every overhead is computed inside one round (configuration minus no-instrumentation, measured
minutes apart on the same provider) and only then summarised across rounds as median and
min-max, so a round in which the machine was busy shifts both sides rather than the result.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any, Callable, Optional

from benchmarks.configurations import CONFIGURATIONS

Stat = dict[str, float]

# The client scenarios: key in the client's JSON -> column heading.
SDK_SCENARIOS: dict[str, str] = {
    "nonstream": "non-stream (1 KB prompt)",
    "prompt_1m": "1 MB prompt",
    "stream_50": "stream 50 chunks",
    "stream_2000": "stream 2,000 chunks",
    "ttfc": "time-to-first-chunk delay",
    "concurrent_100": "100 concurrent streams (per stream)",
}
RAW_SCENARIOS: dict[str, str] = {
    "raw_nonstream": "non-stream (1 KB prompt)",
    "raw_prompt_1m": "1 MB prompt",
    "raw_stream_50": "stream 50 chunks",
    "raw_stream_2000": "stream 2,000 chunks",
}
CHUNKS_LONG, CHUNKS_SHORT = 2000, 50


def stat(values: list[float]) -> Stat:
    values = [v for v in values if v == v]  # drop NaN
    if not values:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def _per_round(
    rounds: list[dict[str, Any]], key: str, value: Callable[[dict, dict], float]
) -> Stat:
    """``value(config_result, none_result)`` for every round in which both ran."""
    return stat([value(r[key], r["none"]) for r in rounds if key in r and "none" in r])


def _diff(metric: str) -> Callable[[dict, dict], float]:
    return lambda c, n: c[f"{metric}_us"] - n[f"{metric}_us"]


def _per_chunk(prefix: str) -> Callable[[dict, dict], float]:
    def value(c: dict, n: dict) -> float:
        long = c[f"{prefix}stream_2000_us"] - n[f"{prefix}stream_2000_us"]
        short = c[f"{prefix}stream_50_us"] - n[f"{prefix}stream_50_us"]
        return (long - short) / (CHUNKS_LONG - CHUNKS_SHORT)

    return value


def _ratio(numerator: Callable[[dict, dict], float], denominator: Callable[[dict, dict], float]):
    def value(c: dict, n: dict) -> float:
        below = denominator(c, n)
        return numerator(c, n) / below if below > 0 else float("nan")

    return value


def _pricing_note(added: Optional[Stat], ratio: Optional[Stat]) -> str:
    """How (f) compares with (b); a run whose hook overhead (b) was never above zero (noise on a
    loaded machine, or a smoke run) has no ratio, which is said as such, not as "not measured"."""
    if ratio and ratio.get("n"):
        return f"(f) / (b) non-stream overhead: {_fmt(ratio['median'], 3)} x, paired per round"
    if added and added.get("n"):
        return "(f) - (b) paired per round; no ratio: (b) was not above (a) in any round (noise)"
    return "(f) or (b) not measured"


def _pricing(rounds: list[dict[str, Any]]) -> dict[str, Stat]:
    """What pricing every call (f) adds to the hook alone (b): paired in each round, µs and x."""
    both = [r for r in rounds if "ours" in r and "ours_prices" in r and "none" in r]
    result: dict[str, Stat] = {}
    for prefix in ("", "raw_"):
        metric = f"{prefix}nonstream_us"
        result[f"{prefix}added_us"] = stat(
            [r["ours_prices"][metric] - r["ours"][metric] for r in both]
        )
        result[f"{prefix}ratio"] = stat(
            [
                (r["ours_prices"][metric] - r["none"][metric])
                / (r["ours"][metric] - r["none"][metric])
                for r in both
                if r["ours"][metric] > r["none"][metric]
            ]
        )
    return result


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    rounds = data["rounds"]
    floors = stat([r["sdk"]["floor_http_us"] for r in rounds])
    summary: dict[str, Any] = {"floor_us": floors, "configs": {}, "baseline_us": {}}
    for metric in (*SDK_SCENARIOS, *RAW_SCENARIOS):
        summary["baseline_us"][metric] = stat([r["none"][f"{metric}_us"] for r in rounds])
    summary["baseline_peak_rss_mb"] = stat([r["none"]["peak_rss_kb"] / 1024 for r in rounds])
    for key in data["configs"]:
        if key == "none":
            continue
        entry: dict[str, Any] = {}
        for metric in (*SDK_SCENARIOS, *RAW_SCENARIOS):
            entry[metric] = _per_round(rounds, key, _diff(metric))
        entry["nonstream_wall"] = _per_round(
            rounds, key, lambda c, n: c["wall_us"]["nonstream"] - n["wall_us"]["nonstream"]
        )
        entry["per_chunk"] = _per_round(rounds, key, _per_chunk(""))
        entry["raw_per_chunk"] = _per_round(rounds, key, _per_chunk("raw_"))
        entry["floor_ratio"] = stat(
            [
                (r[key]["nonstream_us"] - r["none"]["nonstream_us"]) / r["sdk"]["floor_http_us"]
                for r in rounds
                if key in r
            ]
        )
        entry["raw_floor_ratio"] = stat(
            [
                (r[key]["raw_nonstream_us"] - r["none"]["raw_nonstream_us"])
                / r["sdk"]["floor_http_us"]
                for r in rounds
                if key in r
            ]
        )
        entry["prompt_ratio"] = _per_round(
            rounds, key, _ratio(_diff("prompt_1m"), _diff("nonstream"))
        )
        entry["raw_prompt_ratio"] = _per_round(
            rounds, key, _ratio(_diff("raw_prompt_1m"), _diff("raw_nonstream"))
        )
        entry["peak_rss_delta_mb"] = _per_round(
            rounds, key, lambda c, n: (c["peak_rss_kb"] - n["peak_rss_kb"]) / 1024
        )
        last = next(r[key] for r in reversed(rounds) if key in r)
        entry["spans_per_call"] = last["spans_per_call"]
        entry["span_attributes"] = last["span_attributes"]
        entry["span_name"] = last["span_name"]
        entry["metrics"] = sorted(last["metrics"])
        summary["configs"][key] = entry
    summary["pricing"] = _pricing(rounds)
    summary["rss_growth_kb"] = {key: value["rss_growth_kb"] for key, value in data["rss"].items()}
    summary["sdk_paths"] = _sdk_paths(rounds)
    summary["bridge"] = data.get("bridge", {})
    summary["targets"] = targets(summary)
    return summary


def _sdk_paths(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    paths = {}
    for name, cost_key, floor_key, events in (
        ("OTelObserver.record_success", "observer_us", "floor_observer_us", 1),
        (
            "ForwardEventRecorder.record (started + completed)",
            "recorder_pair_us",
            "floor_recorder_us",
            2,
        ),
    ):
        cost = stat([r["sdk"][cost_key] for r in rounds])
        floor = stat([r["sdk"][floor_key] for r in rounds])
        ratio = stat([r["sdk"][cost_key] / r["sdk"][floor_key] for r in rounds])
        paths[name] = {
            "cost_us": cost,
            "floor_us": floor,
            "ratio": ratio,
            "events_per_call": events,
            "events_per_s": events * 1e6 / cost["median"] if cost["median"] else float("nan"),
            "floor_events_per_s": events * 1e6 / floor["median"]
            if floor["median"]
            else float("nan"),
        }
    return paths


def targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets for configuration (b), each with its measured value and verdict."""
    ours: Optional[dict[str, Any]] = summary["configs"].get("ours")
    rows: list[dict[str, Any]] = []

    def add(
        name: str, measured: Optional[float], limit: Optional[float], unit: str, note: str = ""
    ) -> None:
        met = (
            None if measured is None or limit is None or measured != measured else measured <= limit
        )
        rows.append(
            {
                "target": name,
                "measured": measured,
                "limit": limit,
                "unit": unit,
                "met": met,
                "note": note,
            }
        )

    def med(entry: Optional[dict[str, Any]], key: str) -> Optional[float]:
        return None if entry is None else entry[key]["median"]

    floor = summary["floor_us"]["median"]
    add(
        "non-stream overhead <= 1.5x SDK floor (openai SDK)",
        med(ours, "floor_ratio"),
        1.5,
        "x floor",
    )
    add(
        "non-stream overhead <= 1.5x SDK floor (plain httpx2)",
        med(ours, "raw_floor_ratio"),
        1.5,
        "x floor",
        "the same hook work with less noise around it",
    )
    others = [
        entry["nonstream"]["median"]
        for key, entry in summary["configs"].items()
        if key not in ("ours", "ours_prices")
    ]
    add(
        "non-stream overhead below every other configuration",
        med(ours, "nonstream"),
        min(others) if others else None,
        "µs",
        "limit = lowest other configuration" if others else "no other configuration measured",
    )
    add("per-chunk overhead <= 1 µs (plain httpx2 stream)", med(ours, "raw_per_chunk"), 1.0, "µs")
    add(
        "per-chunk overhead <= 1 µs (openai SDK stream)",
        med(ours, "per_chunk"),
        1.0,
        "µs",
        "noisier: the SDK spends ~170 µs a chunk itself",
    )
    nonstream = med(ours, "nonstream")
    add(
        "2,000-chunk stream overhead <= non-stream overhead + 2 ms (openai SDK)",
        med(ours, "stream_2000"),
        None if nonstream is None else nonstream + 2000,
        "µs",
    )
    raw_nonstream = med(ours, "raw_nonstream")
    add(
        "2,000-chunk stream overhead <= non-stream overhead + 2 ms (plain httpx2)",
        med(ours, "raw_stream_2000"),
        None if raw_nonstream is None else raw_nonstream + 2000,
        "µs",
    )
    add("time-to-first-chunk delay <= non-stream overhead", med(ours, "ttfc"), nonstream, "µs")
    add(
        "1 MB prompt overhead <= 2x the 1 KB one (plain httpx2)",
        med(ours, "raw_prompt_ratio"),
        2.0,
        "x",
    )
    add(
        "1 MB prompt overhead <= 2x the 1 KB one (openai SDK)",
        med(ours, "prompt_ratio"),
        2.0,
        "x",
        "noisy: the call itself takes ~8 ms",
    )
    pricing = summary.get("pricing", {})
    for prefix, where in (("", "openai SDK"), ("raw_", "plain httpx2")):
        added, ratio = pricing.get(f"{prefix}added_us"), pricing.get(f"{prefix}ratio")
        add(
            f"pricing every call (genai-prices) adds <= 5 µs to the non-stream overhead ({where})",
            added["median"] if added and added.get("n") else None,
            5.0,
            "µs",
            _pricing_note(added, ratio),
        )
    growth = summary["rss_growth_kb"].get("ours")
    add(
        "RSS growth over a 100,000-chunk stream < 1 MB",
        None if growth is None else growth / 1024,
        1.0,
        "MiB",
    )
    for name, path in summary["sdk_paths"].items():
        add(
            f"{name.split(' ')[0]} per-event cost <= 1.3x floor",
            path["ratio"]["median"],
            1.3,
            "x floor",
        )
    del floor
    return rows


# ---------------------------------------------------------------------------------------------
# Markdown


def _fmt(value: Optional[float], digits: int = 0) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{value:,.{digits}f}"


def _cell(s: Stat, digits: int = 0) -> str:
    if not s.get("n"):
        return "n/a"
    if s["n"] == 1:
        return _fmt(s["median"], digits)
    return f"{_fmt(s['median'], digits)} ({_fmt(s['min'], digits)} to {_fmt(s['max'], digits)})"


def _config_label(key: str) -> str:
    c = CONFIGURATIONS[key]
    return f"({c.letter}) {c.label}"


def markdown(data: dict[str, Any], summary: dict[str, Any]) -> str:
    rounds = len(data["rounds"])
    floor = summary["floor_us"]
    lines: list[str] = []
    add = lines.append
    add("# Benchmark results")
    add("")
    if data.get("smoke"):
        add(
            "**Smoke run**: tiny counts, numbers are meaningless; it checks that the harness works."
        )
        add("")
    add(
        f"Overhead = the client process's CPU time per call minus that of (a) no instrumentation "
        f"in the same round, in µs: median (min to max) over {rounds} round(s). CPU time, because "
        f"the provider runs in its own process and other processes share the two cores: wall "
        f"time would add their noise (the wall-clock non-stream overhead is shown for reference). "
        f"SDK floor (one span with the same attributes + duration + 2 token-usage records, "
        f"bare SDK): **{_cell(floor, 1)} µs**."
    )
    add("")
    add("## Through the openai SDK (every configuration)")
    add("")
    head = [
        "configuration",
        *SDK_SCENARIOS.values(),
        "non-stream, wall clock",
        "per chunk",
        "x floor (non-stream)",
        "peak RSS delta (MiB)",
        "RSS growth, 100k-chunk stream (KiB)",
        "spans/call",
    ]
    add("| " + " | ".join(head) + " |")
    add("|" + "---|" * len(head))
    base = summary["baseline_us"]
    none_row = [_config_label("none") + " (absolute µs)"]
    none_row += [_cell(base[m]) for m in SDK_SCENARIOS]
    none_row += [_cell(stat([r["none"]["wall_us"]["nonstream"] for r in data["rounds"]]))]
    none_row += ["-", "-", f"{_cell(summary['baseline_peak_rss_mb'], 1)} (absolute)"]
    none_row += [_fmt(summary["rss_growth_kb"].get("none")), "0"]
    add("| " + " | ".join(none_row) + " |")
    for key in CONFIGURATIONS:
        if key == "none":
            continue
        entry = summary["configs"].get(key)
        if entry is None:
            why = data.get("skipped", {}).get(key, "not run")
            add(
                "| "
                + " | ".join([_config_label(key), *(["skipped"] * (len(head) - 2)), why])
                + " |"
            )
            continue
        row = [_config_label(key)]
        row += [_cell(entry[m]) for m in SDK_SCENARIOS]
        row += [_cell(entry["nonstream_wall"])]
        row += [_cell(entry["per_chunk"], 2), _cell(entry["floor_ratio"], 2)]
        row += [_cell(entry["peak_rss_delta_mb"], 1), _fmt(summary["rss_growth_kb"].get(key))]
        spans = entry["spans_per_call"]
        row.append(_fmt(min(spans.get(m, 0) for m in SDK_SCENARIOS if m != "ttfc"), 2))
        add("| " + " | ".join(row) + " |")
    add("")
    add("## Through a plain httpx2 client (what a router forwarding bytes does)")
    add("")
    add(
        "The openai SDK spends ~170 µs per chunk building pydantic objects, which buries a hook's "
        "per-chunk cost in noise; here the baseline is a few µs per chunk. SDK-level "
        "instrumentations (d, e) do not see these calls, so their overhead here is ~0 by design."
    )
    add("")
    head2 = [
        "configuration",
        *RAW_SCENARIOS.values(),
        "per chunk",
        "1 MB / 1 KB overhead",
        "spans/call",
    ]
    add("| " + " | ".join(head2) + " |")
    add("|" + "---|" * len(head2))
    row = [_config_label("none") + " (absolute µs)"] + [_cell(base[m]) for m in RAW_SCENARIOS]
    add("| " + " | ".join([*row, "-", "-", "0"]) + " |")
    for key in CONFIGURATIONS:
        if key == "none":
            continue
        entry = summary["configs"].get(key)
        if entry is None:
            add("| " + " | ".join([_config_label(key), *(["skipped"] * (len(head2) - 1))]) + " |")
            continue
        row = [_config_label(key)] + [_cell(entry[m]) for m in RAW_SCENARIOS]
        row += [_cell(entry["raw_per_chunk"], 2), _cell(entry["raw_prompt_ratio"], 2)]
        row.append(_fmt(min(entry["spans_per_call"].get(m, 0) for m in RAW_SCENARIOS), 2))
        add("| " + " | ".join(row) + " |")
    add("")
    add("## In-process sources (one core)")
    add("")
    add("| path | cost per call (µs) | SDK floor (µs) | x floor | events/s | floor events/s |")
    add("|---|---|---|---|---|---|")
    for name, path in summary["sdk_paths"].items():
        add(
            f"| {name} | {_cell(path['cost_us'], 1)} | {_cell(path['floor_us'], 1)} | "
            f"{_cell(path['ratio'], 2)} | {_fmt(path['events_per_s'])} | {_fmt(path['floor_events_per_s'])} |"
        )
    bridge = summary["bridge"]
    if "events_per_s" in bridge:
        add(
            f"| JSONL bridge: parse + record ({bridge['events']:,} events, in process) | "
            f"{_fmt(2e6 / bridge['events_per_s'], 1)} per pair | - | - | "
            f"{_fmt(bridge['events_per_s'])} | - |"
        )
        add(
            f"| JSONL bridge: `llm-router-otel ingest FILE`, exporters `none`, start-up "
            f"({_fmt(bridge['command_startup_s'], 2)} s) subtracted | - | - | - | "
            f"{_fmt(bridge['command_events_per_s'])} | - |"
        )
    else:
        add(
            f"| JSONL bridge (`llm-router-otel ingest`) | {bridge.get('skipped') or bridge.get('error', 'not run')} | - | - | - | - |"
        )
    add("")
    add("## Targets for (b) ours")
    add("")
    add("| target | measured | limit | met |")
    add("|---|---|---|---|")
    for t in summary["targets"]:
        verdict = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        measured = f"{_fmt(t['measured'], 2)} {t['unit']}" if t["measured"] is not None else "n/a"
        limit = f"{_fmt(t['limit'], 2)} {t['unit']}" if t["limit"] is not None else "n/a"
        note = f" ({t['note']})" if t["note"] else ""
        add(f"| {t['target']}{note} | {measured} | {limit} | {verdict} |")
    add("")
    if data.get("delivery"):
        from benchmarks import delivery

        add("## Streams as providers deliver them (`benchmarks/delivery.py`)")
        add("")
        add(delivery.markdown(data["delivery"]).replace("### ", "").replace("#### ", "### "))
    add("## Spans and metrics each configuration produced")
    add("")
    add("| configuration | span name | attributes on the last span | metric instruments |")
    add("|---|---|---|---|")
    for key, entry in summary["configs"].items():
        add(
            f"| {_config_label(key)} | `{entry['span_name']}` | {entry['span_attributes']} | {', '.join(f'`{m}`' for m in entry['metrics']) or '-'} |"
        )
    add("")
    m = data["machine"]
    add("## Machine and versions")
    add("")
    add(
        f"{m['date']}; commit {m.get('commit', 'unknown')}; {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; {m['os']}; {m['python']}; run took {data['elapsed_s']} s."
    )
    add(
        "Other processes shared the machine; ratios and paired differences are the numbers to read."
    )
    add("")
    add(", ".join(f"{name} {version}" for name, version in m["versions"].items()))
    add("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Chart

CHART_SCENARIOS = ("nonstream", "prompt_1m", "stream_50", "stream_2000", "ttfc", "concurrent_100")
COLOURS = {"ours": "#1b9e77", "httpx": "#7570b3", "openai_v2": "#d95f02", "openllmetry": "#e7298a"}


def chart(summary: dict[str, Any], path: Path) -> Optional[Path]:
    """One panel per scenario, one bar per configuration (median, whiskers min-max)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    keys = [key for key in CONFIGURATIONS if key in summary["configs"]]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, scenario in zip(axes.flat, CHART_SCENARIOS):
        medians = [summary["configs"][k][scenario]["median"] for k in keys]
        lows = [m - summary["configs"][k][scenario]["min"] for m, k in zip(medians, keys)]
        highs = [summary["configs"][k][scenario]["max"] - m for m, k in zip(medians, keys)]
        positions = range(len(keys))
        ax.bar(
            positions,
            medians,
            yerr=[lows, highs],
            color=[COLOURS.get(k, "grey") for k in keys],
            capsize=3,
        )
        ax.set_xticks(list(positions))
        ax.set_xticklabels(
            [f"({CONFIGURATIONS[k].letter}) {k}" for k in keys], rotation=20, fontsize=8
        )
        ax.set_title(SDK_SCENARIOS[scenario], fontsize=10)
        ax.set_ylabel("client CPU µs per call over (a)", fontsize=8)
        ax.axhline(0, color="black", linewidth=0.5)
        if scenario == "nonstream":
            floor = summary["floor_us"]["median"]
            ax.axhline(
                floor, color="black", linestyle=":", linewidth=1, label=f"SDK floor {floor:.0f} µs"
            )
            ax.axhline(1.5 * floor, color="black", linestyle="--", linewidth=1, label="1.5x floor")
            ax.legend(fontsize=7)
    fig.suptitle(
        "Overhead per call against no instrumentation (openai SDK, loopback fake provider)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
