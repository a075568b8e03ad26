"""The wording checks: warnings that help comms staff word a crisis message people understand.

``checks.check_content`` runs them all. Each kind of check is a module of its own: what the
headline says (``headline``), its times (``times``), the tone (``tone``), plain language
(``plain_language``, with ``acronyms`` and ``sector_jargon``), what only the last version sent
can tell (``against_last_sent``), and the facts: words out of scale with them (``scale``) and a
danger without the action that keeps people safe (``safety_actions``).
The words they say are in ``messages``, the word lists they look for in ``vocabulary``, and
what they read and how they point at a field in ``texts``.
"""
