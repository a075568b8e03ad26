"""The wording checks on what each channel really carries: its texts once rendered.

The wording checks read the incident's fields; what people get is a template's rendering of
them, fitted to the channel (an SMS drops pieces to fit its segments). A template that leaves
out the headline, or an SMS that lost the next update or what to do, is found here, on the
rendered text of every language the channel speaks, and said with the channel, the part and
the template it came from (``content.wording.completeness``). Which elements each part must
carry is the channel's fact (``CARRIES``); a reminder ("still working on it") must carry what
happens and when the next news comes; a correction says what was wrong in its own words and
is not judged here.
"""

from __future__ import annotations

from pathlib import Path

from broadcast.channels import channel_model
from broadcast.content.render import SHIPPED_TEMPLATES, is_markup
from broadcast.content.wording.completeness import missing_in_text, text_finding
from broadcast.delivery.plan import ChannelPlan, Plan

# What a reminder repeats of the update it keeps the promise of.
_REMINDER_CARRIES = ("what", "next")


def check_rendered(plan: Plan) -> None:
    """Every planned channel's rendered parts, each language: the elements its ``CARRIES``
    asks for that the text left out, as findings on that channel."""
    incident, config = plan.incident, plan.config
    if incident is None or config is None or incident.status == "cancelled":
        return
    language = "fr" if incident.locale.lower().startswith("fr") else "en"
    for channel in plan.channels:
        carries = channel_model(channel.type).CARRIES
        if not carries:
            continue
        templates = config.channels[channel.name].template_names(plan.reminder)
        for spoken, parts in (channel.variants or {channel.locale: channel.parts}).items():
            words = spoken.split("_")[0]
            worded, _ = incident.in_language(words)
            for part, elements in carries.items():
                text, template = parts.get(part), templates.get(part)
                if not text or template is None:
                    continue
                if plan.reminder:
                    elements = tuple(e for e in elements if e in _REMINDER_CARRIES)
                missing = missing_in_text(
                    text,
                    elements,
                    worded,
                    config.organisation,
                    plan.now,
                    is_markup(template),
                    words,
                )
                if missing:
                    _add(channel, language, missing, template, spoken, config.folder, part)


def _add(
    channel: ChannelPlan,
    language: str,
    missing: list[str],
    template: str,
    spoken: str,
    folder: Path,
    part: str,
) -> None:
    where = _template_file(template, spoken.split("_")[0], folder)
    label = f"{template}, {spoken}" if len(channel.variants) > 1 else template
    channel.problems.append(text_finding(language, missing, label, where, channel.name, part))


def _template_file(name: str, language: str, folder: Path) -> Path | None:
    """The file the renderer took ``name`` from: the team's templates first, then the
    shipped ones; in each, the language's own file first (as ``Renderer.template_exists``)."""
    for root in (folder / "templates", SHIPPED_TEMPLATES):
        for candidate in (root / language / name, root / name):
            if candidate.is_file():
                return candidate
    return None
