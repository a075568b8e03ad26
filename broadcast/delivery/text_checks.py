"""The wording checks on what each channel really carries: its texts once rendered.

The wording checks read the incident's fields; what people get is a template's rendering of
them, fitted to the channel (an SMS drops pieces to fit its segments). Every check on rendered
texts (``content.wording.rendered.TEXT_CHECKS``: a template that leaves out the headline, an
SMS that lost the next update or what to do...) runs here on every part of every planned
channel, in every language it speaks, and its findings are said on that channel with the part
and the template they came from. Which elements each part must carry is the channel's fact
(``CARRIES``). A correction says what was wrong in its own words and is not judged here.
"""

from __future__ import annotations

from pathlib import Path

from broadcast.channels import channel_model
from broadcast.content.render import SHIPPED_TEMPLATES, is_markup
from broadcast.content.wording.completeness import needs_instruction
from broadcast.content.wording.rendered import check_rendered_text
from broadcast.content.wording.rendered_text import RenderedText
from broadcast.delivery.plan import Plan


def check_rendered(plan: Plan) -> None:
    """Every planned channel's rendered parts, each language, through every check on
    rendered texts; the findings go to that channel's problems."""
    incident, config = plan.incident, plan.config
    if incident is None or config is None or incident.status == "cancelled":
        return
    file_language = "fr" if incident.locale.lower().startswith("fr") else "en"
    hazards: tuple[str, ...] = ()
    if needs_instruction(incident):
        # Giving a hazard's protective action tells people what to do, as on the fields.
        from broadcast.content.wording.safety_actions import hazards_of
        from broadcast.content.wording.texts import own_wording

        translated = [incident.in_language(str(code))[0] for code in incident.translations or {}]
        texts = [own_wording(each) for each in (incident, *translated)]
        hazards = tuple(hazards_of(incident, texts, config.content_checks.sector))
    for channel in plan.channels:
        carries = channel_model(channel.type).CARRIES
        templates = config.channels[channel.name].template_names(plan.reminder)
        variants = channel.variants or {channel.locale: channel.parts}
        for spoken, parts in variants.items():
            language = spoken.split("_")[0]
            worded, _ = incident.in_language(language)
            for part, text in parts.items():
                template = templates.get(part)
                if not text or template is None:
                    continue
                rendered = RenderedText(
                    text=text,
                    markup=is_markup(template),
                    language=language,
                    file_language=file_language,
                    incident=worded,
                    organisation=config.organisation,
                    now=plan.now,
                    channel=channel.name,
                    part=part,
                    template=f"{template}, {spoken}" if len(variants) > 1 else template,
                    template_file=_template_file(template, language, config.folder),
                    reminder=plan.reminder,
                    carries=carries.get(part, ()),
                    hazards=hazards,
                    safety_actions=config.content_checks.safety_actions,
                )
                channel.problems.extend(check_rendered_text(rendered))


def _template_file(name: str, language: str, folder: Path) -> Path | None:
    """The file the renderer took ``name`` from: the team's templates first, then the
    shipped ones; in each, the language's own file first (as ``Renderer.template_exists``)."""
    for root in (folder / "templates", SHIPPED_TEMPLATES):
        for candidate in (root / language / name, root / name):
            if candidate.is_file():
                return candidate
    return None
