"""The figures' chart as a PNG: time to resolution per incident over the period, by severity,
with each severity's resolution target as a dashed line.

matplotlib is imported inside `render_png` only, on its Agg backend (no display): a replica that
never draws a chart never loads it, which keeps the bot's idle memory small.
"""

import io

from bot.domain.figures import Chart

_COLOURS = ("#d62728", "#ff7f0e", "#1f77b4", "#7f7f7f", "#2ca02c", "#9467bd")


def render_png(chart: Chart) -> bytes:
    """The chart drawn, as PNG bytes (about 40 KB)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.add_subplot()
    severities = sorted({p.severity for p in chart.points} | set(chart.targets))
    for index, severity in enumerate(severities):
        colour = _COLOURS[index % len(_COLOURS)]
        points = [p for p in chart.points if p.severity == severity]
        if points:
            axes.scatter(
                [date2num(p.declared_at) for p in points],  # type: ignore[no-untyped-call]
                [p.hours for p in points],
                label=severity,
                color=colour,
                s=18,
            )
        if severity in chart.targets:
            axes.axhline(
                chart.targets[severity],
                color=colour,
                linestyle="--",
                linewidth=1,
                label=f"{severity} target",
            )
    axes.set_xlim(date2num(chart.start), date2num(chart.end))  # type: ignore[no-untyped-call]
    axes.xaxis_date()
    axes.set_ylim(bottom=0)
    axes.set_title(chart.title)
    axes.set_ylabel("hours to resolution")
    if severities:
        axes.legend(loc="upper left", fontsize="small")
    else:
        axes.text(0.5, 0.5, "no incident resolved", ha="center", transform=axes.transAxes)
    figure.autofmt_xdate()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
