#!/usr/bin/env python3
"""Plots the per-layer max |x| of `sinkq stats --format csv` for several
cushion variants (first CSV column) as a hand-written SVG: one panel per
quantity (residual stream and the four quantization sites), one line per
variant. Usage: plot_cushion_stats.py STATS.csv OUT.svg"""
import csv
import sys

WHAT = ["residual", "attn_in", "attn_out", "ffn_in", "ffn_down"]
COLORS = ["#444444", "#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
PW, PH = 230, 190           # panel size
ML, MT, MB = 46, 40, 34     # margins inside a panel: left, top, bottom


def main(src, dst):
    rows = list(csv.DictReader(open(src)))
    variants = []
    for r in rows:
        if r["cushion"] not in variants:
            variants.append(r["cushion"])
    layers = sorted({int(r["layer"]) for r in rows})
    value = {(r["cushion"], r["what"], int(r["layer"])): float(r["max_abs"])
             for r in rows if r["what"] in WHAT}

    width, height = PW * len(WHAT) + 20, PH + 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="16" font-size="13">max |x| per layer (stories260K, calibration half, '
           f'fp32), by cushion</text>']
    for i, what in enumerate(WHAT):
        x0 = 10 + i * PW
        vals = [value.get((v, what, l), 0.0) for v in variants for l in layers]
        top = max(vals) * 1.1 if vals and max(vals) > 0 else 1.0
        left, right = x0 + ML, x0 + PW - 10
        y_top, y_bot = 20 + MT, 20 + PH - MB + 10

        def px(layer):
            span = max(1, layers[-1] - layers[0])
            return left + (right - left) * (layer - layers[0]) / span

        def py(v):
            return y_bot - (y_bot - y_top) * v / top

        out.append(f'<text x="{(left + right) / 2:.1f}" y="{y_top - 8}" text-anchor="middle" '
                   f'font-weight="bold">{what}</text>')
        out.append(f'<line x1="{left}" y1="{y_bot}" x2="{right}" y2="{y_bot}" stroke="black"/>')
        out.append(f'<line x1="{left}" y1="{y_top}" x2="{left}" y2="{y_bot}" stroke="black"/>')
        for k in range(5):
            v = top * k / 4
            out.append(f'<line x1="{left - 3}" y1="{py(v):.1f}" x2="{right}" y2="{py(v):.1f}" '
                       f'stroke="#dddddd"/>')
            out.append(f'<text x="{left - 5}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        for layer in layers:
            out.append(f'<text x="{px(layer):.1f}" y="{y_bot + 14}" text-anchor="middle">{layer}</text>')
        out.append(f'<text x="{(left + right) / 2:.1f}" y="{y_bot + 27}" text-anchor="middle">layer</text>')
        for j, v in enumerate(variants):
            pts = " ".join(f"{px(l):.1f},{py(value.get((v, what, l), 0.0)):.1f}" for l in layers)
            color = COLORS[j % len(COLORS)]
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.8"/>')
            for l in layers:
                out.append(f'<circle cx="{px(l):.1f}" cy="{py(value.get((v, what, l), 0.0)):.1f}" '
                           f'r="2.5" fill="{color}"/>')
    for j, v in enumerate(variants):
        x = 10 + j * 150
        color = COLORS[j % len(COLORS)]
        out.append(f'<line x1="{x}" y1="{height - 12}" x2="{x + 24}" y2="{height - 12}" '
                   f'stroke="{color}" stroke-width="2.5"/>')
        out.append(f'<text x="{x + 30}" y="{height - 8}">{v}</text>')
    out.append("</svg>")
    open(dst, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
