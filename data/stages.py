"""The stage model every part of Tandem shares (see ../shared/docs/domain.md, section 1)."""

# The main path, in order. A record may skip a stage; see SKIPPED_STAGE_RULE.
MAIN_PATH: tuple[str, ...] = ("lead", "mql", "sal", "sql", "opportunity", "won")
# Detours leave the main path: sales sends a lead back, recycles it, disqualifies it, loses the deal.
DETOURS: tuple[str, ...] = ("rejected", "recycled", "disqualified", "lost")
ALL_STAGES: tuple[str, ...] = MAIN_PATH + DETOURS

STAGE_LABELS: dict[str, str] = {
    "lead": "Lead",
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "won": "Won",
    "rejected": "Rejected",
    "recycled": "Recycled",
    "disqualified": "Disqualified",
    "lost": "Lost",
}

# Which team is accountable for getting records *into* each stage. Marketing produces leads and
# MQLs; sales (SDRs, then AEs) accepts, qualifies, opens and closes.
STAGE_OWNER: dict[str, str] = {
    "lead": "marketing",
    "mql": "marketing",
    "sal": "sales",
    "sql": "sales",
    "opportunity": "sales",
    "won": "sales",
}

SKIPPED_STAGE_RULE = (
    "A record that reaches a later stage without an event for an earlier one (an SQL with no SAL "
    "entry) is counted as having passed through the skipped stage, at the time it entered the "
    "next stage it did reach (Marketo Measure's rule, not HubSpot's strict one). The count of "
    "such inferred entries is kept per record (skipped_stage_count) so the data can be trusted "
    "or questioned."
)
