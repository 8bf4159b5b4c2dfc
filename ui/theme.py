"""One colour per team, everywhere: charts, badges and tiles read these and nothing else."""

from data.stages import STAGE_OWNER

MARKETING = "#D97706"  # amber
SALES = "#2563EB"  # blue
SHARED = "#6B7280"  # grey, for numbers both teams own
MUTED = "#CBD5E1"  # small samples and immature cohorts

TEAM_COLOURS = {"marketing": MARKETING, "sales": SALES, "shared": SHARED}
TEAM_LABELS = {"marketing": "Marketing", "sales": "Sales", "shared": "Shared"}


def stage_colour(stage: str) -> str:
    return TEAM_COLOURS[STAGE_OWNER.get(stage, "shared")]


def team_badge(owner: str) -> str:
    """Streamlit markdown for a coloured team label."""
    colour = TEAM_COLOURS[owner]
    return f'<span style="background:{colour};color:white;padding:2px 8px;border-radius:6px;' \
           f'font-size:0.8rem;font-weight:600">{TEAM_LABELS[owner]}</span>'
