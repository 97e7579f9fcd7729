"""Causes of complaints: a configurable fishbone taxonomy, Pareto of causes by count and by value at stake,
and a fishbone (Ishikawa) diagram per complaint category drawn as SVG.

The taxonomy maps each recorded cause to one of the fishbone's bones (by default the service marketing
mix's people, process, product, physical evidence, partners and systems); a cause it does not know is
"unclassified", never guessed. Value at stake is the CLV (latest run) of the complaining customers.
"""

from __future__ import annotations

from html import escape

from patron.errors import InvalidInput
from patron.service.permissions import User
from patron.store import Store

DEFAULT_TAXONOMY: dict[str, tuple[str, ...]] = {
    "people": ("unfriendly agent", "no callback", "conflicting answers"),
    "process": ("wrong item picked", "item missing", "order cancelled by mistake", "charged twice",
                "voucher not applied", "refund late"),
    "product": ("stale beans", "defective device", "wrong grind"),
    "partners": ("courier delay", "parcel damaged", "wrong address label"),
    "systems": ("checkout error", "stock shown wrongly", "account locked"),
    "physical evidence": (),
}
UNCLASSIFIED = "unclassified"


def bone_of(taxonomy: dict[str, tuple[str, ...]]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for bone, causes in taxonomy.items():
        for cause in causes:
            key = cause.strip().lower()
            if key in seen and seen[key] != bone:
                raise InvalidInput(f"The cause '{cause}' is on two bones of the taxonomy: {seen[key]} and {bone}.")
            seen[key] = bone
    return seen


def cause_pareto(store: Store, user: User | None, *, taxonomy=DEFAULT_TAXONOMY, category: str | None = None) -> dict:
    """Causes ranked by complaints and by value at stake, with cumulative shares (the Pareto chart's line)."""
    if user is not None:
        user.require("customers.read")
    bones = bone_of(taxonomy)
    run_id = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value'")
    sql = ("SELECT c.category, coalesce(c.cause, 'not recorded') AS cause, count(*) AS complaints, "
           "sum(coalesce(s.clv, 0)) AS value FROM complaints c "
           "LEFT JOIN scores s ON s.party_id = c.party_id AND s.run_id = ? ")
    params: list = [run_id]
    if category:
        sql += "WHERE c.category = ? "
        params.append(category)
    rows = store.records(sql + "GROUP BY c.category, coalesce(c.cause, 'not recorded')", params)
    for r in rows:
        r["bone"] = bones.get(r["cause"].strip().lower(), UNCLASSIFIED)
        r["value"] = float(r["value"] or 0)

    def ranked(key: str) -> list[dict]:
        total = sum(r[key] for r in rows) or 1
        out, running = [], 0.0
        for r in sorted(rows, key=lambda r: (-r[key], r["cause"])):
            running += r[key]
            out.append({**r, "share": r[key] / total, "cumulative": running / total})
        return out

    return {"by_count": ranked("complaints"), "by_value": ranked("value"),
            "complaints": sum(r["complaints"] for r in rows)}


def fishbone_svg(store: Store, user: User | None, category: str, *, taxonomy=DEFAULT_TAXONOMY) -> str:
    """The fishbone of one complaint category: the problem at the head, a bone per taxonomy branch, each
    cause on its bone with its number of complaints."""
    data = cause_pareto(store, user, taxonomy=taxonomy, category=category)["by_count"]
    if not data:
        raise InvalidInput(f"There are no complaints in the category '{category}'.")
    branches = list(taxonomy) + ([UNCLASSIFIED] if any(r["bone"] == UNCLASSIFIED for r in data) else [])
    width, height, spine_y = 900, 420, 210
    top = branches[::2]
    bottom = branches[1::2]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="11" role="img" aria-label="Fishbone of {escape(category)} complaints">',
             f'<line x1="20" y1="{spine_y}" x2="{width - 170}" y2="{spine_y}" stroke="#333" stroke-width="3"/>',
             f'<rect x="{width - 170}" y="{spine_y - 25}" width="160" height="50" fill="#fde2e2" stroke="#c0392b"/>',
             f'<text x="{width - 90}" y="{spine_y + 4}" text-anchor="middle" font-size="13">'
             f'{escape(category)} ({sum(r["complaints"] for r in data)})</text>']
    for row_branches, up in ((top, True), (bottom, False)):
        for i, bone in enumerate(row_branches):
            x = 120 + i * 230
            y_end = 40 if up else height - 40
            parts.append(f'<line x1="{x}" y1="{y_end}" x2="{x + 90}" y2="{spine_y}" stroke="#555" stroke-width="2"/>')
            parts.append(f'<text x="{x - 10}" y="{y_end - 8 if up else y_end + 16}" font-weight="bold">'
                         f'{escape(bone)}</text>')
            causes = [r for r in data if r["bone"] == bone]
            for k, r in enumerate(causes):
                frac = (k + 1) / (len(causes) + 1)
                cx = x + 90 * frac
                cy = y_end + (spine_y - y_end) * frac
                parts.append(f'<line x1="{cx - 60}" y1="{cy}" x2="{cx}" y2="{cy}" stroke="#999"/>')
                parts.append(f'<text x="{cx - 62}" y="{cy - 3}" text-anchor="end">{escape(r["cause"])} '
                             f'({r["complaints"]})</text>')
    parts.append("</svg>")
    return "\n".join(parts)
