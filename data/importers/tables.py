"""The tables an import can fill, and the fields a mapping may map onto each.

A field is either a column of the store's table, or *virtual*: read from the file to derive other
rows (an opportunity's `stage` becomes its won/lost flags and stage entries; a campaign's
`cost_amount` becomes daily spend; a lead's `opportunity_id` links the opportunity it converted into).
"""

from __future__ import annotations

from dataclasses import dataclass

from data.stages import ALL_STAGES

# Field kinds, and what a cell must look like for each.
KINDS = {
    "id": "an identifier in the source system",
    "text": "text",
    "timestamp": "a date or date-time",
    "date": "a date",
    "money": "a number, zero or more",
    "integer": "a whole number",
    "boolean": "true/false, 1/0 or yes/no",
    "stage": f"one of Tandem's stages ({', '.join(ALL_STAGES)})",
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    help: str
    required: bool = False
    refers_to: str | None = None  # the entity an id in this field names (an id of the same system)
    stored: bool = True  # False: read to derive other rows, not a column of the table


@dataclass(frozen=True)
class Entity:
    """One importable table: its key field and the fields a mapping may fill."""

    name: str
    key: str | None  # None: rows have no ID of their own (daily spend is keyed by campaign and day)
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return {f.name: f for f in self.fields}[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


ENTITIES: dict[str, Entity] = {e.name: e for e in (
    Entity("campaigns", "campaign_id", (
        Field("campaign_id", "id", "the campaign's ID", required=True),
        Field("campaign_name", "text", "name", required=True),
        Field("channel", "text", "channel (Paid Search, Events, ...)", required=True),
        Field("start_date", "date", "first day"),
        Field("end_date", "date", "last day"),
        Field("budget_amount", "money", "budget"),
        Field("cost_amount", "money", "total actual cost, spread evenly over the campaign's days as "
              "daily spend (start_date to end_date, or the start day alone)", stored=False),
    )),
    Entity("campaign_spend", None, (
        Field("campaign_id", "id", "the campaign that spent", required=True, refers_to="campaigns"),
        Field("spend_date", "date", "the day", required=True),
        Field("spend_amount", "money", "what it spent that day; rows of the same campaign and day add up (an ad "
              "platform's export per ad group or device). Days the file does not list are left as they are",
              required=True),
    )),
    Entity("leads", "lead_id", (
        Field("lead_id", "id", "the lead's (or contact's) ID", required=True),
        Field("created_at", "timestamp", "when it became a lead", required=True),
        Field("source_channel", "text", "channel it came from"),
        Field("campaign_id", "id", "its original campaign", refers_to="campaigns"),
        Field("segment", "text", "segment (SMB, Mid-Market, Enterprise, ...)"),
        Field("region", "text", "region"),
        Field("company_size", "text", "company size band"),
        Field("account_name", "text", "company"),
        Field("score", "integer", "lead score"),
        Field("owner_rep_id", "text", "owner (rep) in the source system"),
        Field("email", "text", "e-mail address: only a hash of it is kept, to count duplicate people",
              stored=False),
        Field("opportunity_id", "id", "the opportunity it converted into", refers_to="opportunities",
              stored=False),
    )),
    Entity("opportunities", "opportunity_id", (
        Field("opportunity_id", "id", "the opportunity's (deal's) ID", required=True),
        Field("lead_id", "id", "its lead; a list separated by ; takes the first", refers_to="leads"),
        Field("account_name", "text", "company"),
        Field("amount", "money", "amount"),
        Field("created_at", "timestamp", "when it was created", required=True),
        Field("closed_at", "timestamp", "when it closed (kept only for closed ones: an open deal's "
              "close date is a forecast)"),
        Field("stage", "stage", "opportunity, won or lost; sets is_closed and is_won when they are not "
              "mapped", stored=False),
        Field("is_closed", "boolean", "closed, won or lost"),
        Field("is_won", "boolean", "closed won"),
        Field("lost_reason", "text", "why it was lost"),
        Field("owner_rep_id", "text", "owner (rep) in the source system"),
        Field("primary_campaign_id", "id", "primary campaign source", refers_to="campaigns"),
        Field("lead_source", "text", "lead source: the channel of the lead made up for an opportunity "
              "without one", stored=False),
    )),
    Entity("stage_events", "event_id", (
        Field("event_id", "id", "the stage change's ID (optional)", stored=False),
        Field("lead_id", "id", "the lead that changed stage", refers_to="leads"),
        Field("opportunity_id", "id", "the opportunity that changed stage (its lead is used)",
              refers_to="opportunities"),
        Field("stage", "stage", "the stage entered", required=True),
        Field("entered_at", "timestamp", "when", required=True),
        Field("moved_by_rep_id", "text", "who moved it"),
    )),
    Entity("touchpoints", "touchpoint_id", (
        Field("touchpoint_id", "id", "the touch's ID (e.g. a campaign membership)", required=True),
        Field("lead_id", "id", "the lead touched", required=True, refers_to="leads"),
        Field("campaign_id", "id", "the campaign", refers_to="campaigns"),
        Field("channel", "text", "channel (default: the campaign's)"),
        Field("touch_type", "text", "what happened (form_fill, event_visit, ...)", required=True),
        Field("content_asset", "text", "content asset"),
        Field("touched_at", "timestamp", "when", required=True),
    )),
)}

# Load order: what a record refers to is written before it.
LOAD_ORDER = ("campaigns", "campaign_spend", "leads", "opportunities", "stage_events", "touchpoints")
OPPORTUNITY_STAGES = ("opportunity", "won", "lost")
