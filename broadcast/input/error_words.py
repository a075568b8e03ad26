"""What the checks of an incident file say, in the file's own language.

The people who write an incident in French read its errors in French: an unknown field, a
value of the wrong kind, a time that reads two ways, a missing field. ``WORDS`` holds each
message once per language, keyed by the kind of error (pydantic's kinds, as ``input.schema``
reports them, and the names of our own checks); ``say`` words one. The file's language is
read before anything is validated (``file_language``): from the ``locale`` written in the
file, else the one channels.yaml gives by default; French for ``fr`` and ``fr_*``, English
otherwise (channels.yaml's own errors stay in English: it is the team's file, not the
incident's).

A check deep in a field's validation raises ``Worded`` (a ``ValueError`` whose text is the
English wording) with its key and values, so ``model_errors`` can say it again in the file's
language without the check knowing the file.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("en", "fr")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "missing": "this required field is missing",
        "unknown_field": "unknown field '{name}'{hint}{listing}",
        "did_you_mean": "; did you mean '{guess}'?",
        "known_fields": ". Known fields here: {names}",
        "not_allowed": "'{given}' is not allowed here{hint} Use one of {expected}.",
        "not_a_datetime": (
            "'{given}' is not a date and time; write it like 2026-11-22T14:00:00+01:00 "
            "(or 2026-11-22 14:00, read in the incident's timezone)"
        ),
        "wrong_form": "'{given}' has the wrong form ({why})",
        "id_form": "use lower-case letters, digits and hyphens, e.g. panne-nord-2026-11-22",
        "expected_shape": "expected {wanted} here, not {shape}",
        "shape_text": "text",
        "shape_group": "a group of fields",
        "shape_list": "a list",
        "shape_nothing": "nothing",
        "not_a_whole_number": "'{given}' is not a whole number",
        "bool_empty": "this field is empty: write true or false",
        "not_a_bool": "'{given}' is not true or false",
        "empty": "this field is empty",
        "not_a_list_of_fields": "an incident file is a list of 'field: value' lines",
        # Reading the file (``yamlfile``).
        "not_valid_yaml": "this is not valid YAML: {detail}",
        "file_empty": "{what} is empty",
        # Opening a file (``files.open_regular``): {what} as ``what_said`` words it.
        "not_found": "{what} not found",
        "not_a_file": (
            "this {what} is {kind}, not a file: only a regular file is read (a device or a "
            "pipe could hang or never end); name the file itself"
        ),
        "key_plain_word": "a key must be a plain word",
        "given_twice": "'{key}' is given twice (first on line {first}); keep one",
        # Bounds of reading a file (``yamlfile``): before YAML, then while composing.
        "cannot_read": "cannot read {what}: {why}",
        "larger_than": (
            "this {what} is larger than {size} MiB, far more than any message needs; is it "
            "the right file?"
        ),
        "saved_as": "this file is saved as {encoding}; save it as UTF-8",
        "nul_byte": (
            "line {line} holds a NUL byte: the file is UTF-16 or UTF-32 text, or not text at "
            "all; save it as UTF-8"
        ),
        "not_utf8": "not UTF-8 text (line {line}, byte {byte}); save it as UTF-8",
        "control_in_file": (
            "line {line} holds the control character U+{code}, which a text file does not "
            "contain; is this the incident text, saved as UTF-8?"
        ),
        "too_many_values": (
            "this file holds more than {limit} values (an alias counts as all it repeats); an "
            "incident or a configuration needs a few hundred"
        ),
        "alias_too_many_values": (
            "*{anchor} repeats so much that this file holds more than {limit} values (an alias "
            "counts as all it repeats); an incident or a configuration needs a few hundred"
        ),
        "too_deep": "values are nested more than {limit} levels deep here; a few are enough",
        "alias_too_deep": (
            "values are nested more than {limit} levels deep here (through *{anchor}); a few "
            "are enough"
        ),
        "alias_cycle": (
            "*{anchor} stands for a block that contains it, so it would repeat forever; write "
            "the values out instead"
        ),
        "nested_too_deeply": (
            "this file is nested too deeply to read (keep it under {limit} levels)"
        ),
        "too_large_for_memory": "this file is too large to read in the memory available",
        "key_too_long": (
            "a field name of {length} characters: names are a word or two; did a line of text "
            "lose its 'name: ' part?"
        ),
        "yaml_hint_colon": (
            " (line {line} has a second ': ' inside its value; put the value in double quotes "
            'or write it on the next line after ">")'
        ),
        "hidden_characters": (
            "holds {shown}: control characters (YAML writes them with escapes such as \\e, "
            "\\x08) act on the screen that shows the text or break the XML of a feed, format "
            "characters such as bidirectional overrides make a text read differently from what "
            "it is, and invisible ones (fillers, private-use characters, a joiner or a "
            "direction mark with nothing to join or order) hide text from the reader and the "
            "checks; remove them and write the text as it should read"
        ),
        "and_more": "{shown} and {count} more",
        # Checks of one field (``Worded``).
        "promise_no_unit": (
            "'{text}' has no unit: write {text}h for hours, {text}m for minutes, or a time "
            "of day such as {clock}"
        ),
        "promise_after_in": "'{text}': after 'in', write a duration such as 2h, 90m or 1h30",
        "promise_not_a_clock": "'{text}' is not a time of day (00:00 to 23:59)",
        "promise_after_at": "'{text}': after 'at', write a time of day such as 18:00",
        "promise_not_after": "the next update must come after some time, e.g. 2h",
        "promise_neither": (
            "'{value}' is neither a duration (2h, 90m, 1h30, in 18h), a time of day "
            "(18:00) nor a date and time (2026-11-22 14:00)"
        ),
        "not_a_timezone": (
            "'{value}' is not a time zone; use a name like Europe/Paris or America/Montreal"
        ),
        "single_line": "must be a single line (it is shown as is on every channel)",
        "holds_tab": "holds a tab (U+0009): write a space; a line of text has no tab",
        "translation_single_line": "translations.{code}.{field} must be a single line",
        "translation_tab": "translations.{code}.{field} holds a tab (U+0009): write a space",
        "not_a_language_code": "'{code}' is not a language code (use en, fr, ...)",
        "not_a_web_address": "'{value}' is not a web address starting with https://",
        # ``affected`` written as a list (``input.affected``).
        "affected_items_field": (
            "affected_items is not a field of its own: write the services or areas as a list "
            "under affected (- name: ..., impact: ...)"
        ),
        "affected_empty": (
            "affected is an empty list: name at least one service or area, or write a sentence"
        ),
        "affected_too_many": "affected lists {count} items; at most {limit}: group them",
        "affected_item_shape": (
            "item {number} of affected is not a service or area with its impact: write it as "
            "- name: Tap water, then impact: major_outage on the next line"
        ),
        "affected_item_key": "'{key}' is not a field of an affected item (name, impact, detail)",
        "affected_no_name": "the service or area has no name",
        "affected_name_line": "the name must be a single line",
        "affected_no_impact": "the impact is missing: write one of {impacts}",
        "affected_bad_impact": "the impact '{impact}' is unknown: write one of {impacts}",
        "affected_detail_line": "the detail is a single line of text, e.g. about 8,500 homes",
        "unknown_hazard": (
            "'{name}' is not a known hazard; write one of: {known} (or leave hazard out: the "
            "checks also read the text)"
        ),
        "comment_cut": (
            "the text stops before '{shown}': in YAML, a space then # starts a comment, so "
            "what follows is not part of {name}. To keep it, put the whole text in double "
            'quotes ("..."); to mean a comment, move it to a line of its own'
        ),
        # An incident's area (``cap_area``, ``area_target``) and the territory it must lie in.
        "not_lat_lon_pairs": "'{given}' is not a list of lat,lon pairs",
        "not_a_circle": "'{given}' is not a circle: write it lat,lon radius_km",
        "polygon_open": (
            "polygon {number} is open: it starts at {first} and ends at {last}; a polygon ends "
            "where it starts: repeat its first point last"
        ),
        "polygon_few_points": (
            "polygon {number} has {count} lat,lon pairs; a polygon has at least 4 and ends "
            "where it starts (its first point repeated last)"
        ),
        "polygon_crosses_at": (
            "polygon {number} crosses itself at {point}: its points must go round the area's "
            "edge in order, without a line crossing another"
        ),
        "polygon_crosses": (
            "polygon {number} crosses itself: its points must go round the area's edge in "
            "order, without a line crossing another"
        ),
        "polygon_invalid": "polygon {number} is not a polygon ({reason})",
        "polygon_outside_territory": (
            "polygon {number} of the area goes outside the organisation's territory "
            "(channels.yaml territory:): its point {point} is outside; check that each pair is "
            "lat,lon (not lon,lat) and that the polygon is the right one"
        ),
        "circle_outside_territory": (
            "circle {number} of the area is centred at {point}, outside the organisation's "
            "territory (channels.yaml territory:); check that the centre is lat,lon (not "
            "lon,lat)"
        ),
        # Checks across fields (``Incident._coherent``).
        "correction_needed": (
            "a cancelled incident corrects what was said: write correction: what was wrong "
            "and what to do now"
        ),
        "next_update_needed": (
            "say when the next update will come (e.g. next_update: 2h); people wait for it"
        ),
        "actions_needed": "say what is being done to fix it",
        "eta_before_start": "the expected end is before started_at",
        "end_before_start": "the end is before started_at",
        "translation_lacks": (
            "the {language} translation lacks {missing}; a message must not mix two languages"
        ),
        "translation_area_alone": (
            "the {language} translation says the area in words, but the incident has no "
            "area: give the area in the incident's own area: (its description in "
            "{original}), or remove it from the translation"
        ),
        # A local time the clocks skip or repeat (``incident_times.moment_problem``).
        "clocks_skip": (
            "'{written}' does not exist in {zone}: the clocks skip that hour (summer time "
            "starts); write the time as the clocks show it, e.g. {shown}, or with an offset"
        ),
        "clocks_repeat": (
            "'{written}' happens twice in {zone} (the clocks go back an hour): once in "
            "{first}, once in {second}; write the one you mean, with its offset"
        ),
        "read_today": "read today, {text}",
        # Said by a check that words it itself (a time the clocks skip or repeat).
        "as_said": "{text}",
        # The times of a message written at a given moment (``promise_checks``).
        "reads_two_ways": (
            "'{written}' reads two ways: in {duration} ({later}), or at {clock} {day} "
            '({clock_said}). Write next_update: "in {hours}" for the first, or next_update: '
            '"{second}" for the second'
        ),
        "today": "today",
        "tomorrow": "tomorrow",
        "hours": "{hours} hour{plural}",
        "hours_minutes": "{hours} hour{plural} {minutes} minutes",
        "promise_passed": (
            "the promised next update time, {clock} today, has passed; the messages now "
            "promise one an hour from now ({renewed}): give a new time, or a duration such as "
            "in 2h"
        ),
        "end_not_yet": (
            "the end, {end} ({end_said}), has not happened yet (it is now {now}): a {status} "
            "message says the incident is over. Write the time it really ended, or remove "
            "ended_at to say it ends when the message goes out"
        ),
        "reply_too_long": (
            "this answer to replies is {segments} SMS segments ({encoding}) once set as the "
            "{channel} channel sends it, over its max_segments of {limit}: serve answers a reply "
            "with one message; shorten it"
        ),
        # What preflight finds of the incident's times and headline at the moment it sends.
        "eta_passed": (
            "the expected end ({eta}) has already passed: the messages now say the repair "
            "takes longer than said, without a time; give eta a new value, or remove it to say "
            "the end is not yet known"
        ),
        "update_time_passed": (
            "the promised next update time has passed ({promised}); the messages now promise "
            "one an hour from now ({renewed}): give a new time, or a duration such as 2h"
        ),
        "started_in_future": "started_at is in the future; check the date and the offset",
        "headline_too_long": (
            "the headline is {length} characters as X counts them; it must fit one post "
            "({limit}), because every channel carries it as is"
        ),
        # A text longer than its field allows (``incident_texts``).
        "too_long": "{count} characters, but this field holds at most {limit}; {hint}",
        "too_long_link": "nobody can follow a web address this long",
        "too_long_text": (
            "keep the essential here; the details belong on the page the link points to"
        ),
        "too_long_word": "this field holds a word, a date or a code, not a text",
        # A correction with nothing in this ledger to correct (``preflight``).
        "nothing_to_correct": (
            "status: cancelled makes this a correction, but this ledger has no earlier message "
            "of {id} to correct: a correction goes only to those an earlier message reached, "
            "so it would reach nobody; nothing was sent. If the wrong message went out from "
            "another folder, host or --state, send the correction from there (its ledger "
            "knows who got what). If nothing went out yet, there is nothing to correct: set "
            "the incident's real status instead"
        ),
        "exercise_contradiction": (
            "the file says exercise: false (a real alert) but the command asks for a drill "
            "(--exercise): they contradict each other. For a drill, write exercise: true (or "
            "remove the line) and keep --exercise; for the real alert, run the command without "
            "--exercise"
        ),
    },
    "fr": {
        "missing": "ce champ obligatoire manque",
        "unknown_field": "champ inconnu « {name} »{hint}{listing}",
        "did_you_mean": " ; vouliez-vous dire « {guess} » ?",
        "known_fields": ". Champs possibles ici : {names}",
        "not_allowed": "« {given} » n'est pas permis ici{hint} Choisissez parmi {expected}.",
        "not_a_datetime": (
            "« {given} » n'est pas une date et une heure ; écrivez-la comme "
            "2026-11-22T14:00:00+01:00 (ou 2026-11-22 14:00, lue dans le fuseau de l'incident)"
        ),
        "wrong_form": "« {given} » n'a pas la bonne forme ({why})",
        "id_form": (
            "des minuscules, des chiffres et des tirets, par exemple panne-nord-2026-11-22"
        ),
        "expected_shape": "il faut ici {wanted}, pas {shape}",
        "shape_text": "un texte",
        "shape_group": "un groupe de champs",
        "shape_list": "une liste",
        "shape_nothing": "rien",
        "not_a_whole_number": "« {given} » n'est pas un nombre entier",
        "bool_empty": "ce champ est vide : écrivez true ou false",
        "not_a_bool": "« {given} » n'est ni true ni false",
        "empty": "ce champ est vide",
        "not_a_list_of_fields": "un fichier d'incident est une suite de lignes « champ: valeur »",
        "not_valid_yaml": "ce n'est pas du YAML valide (ses mots : {detail})",
        "file_empty": "{what} est vide",
        "not_found": "{what} est introuvable",
        "not_a_file": (
            "le chemin donné pour {what} désigne {kind}, pas un fichier : seul un fichier "
            "ordinaire est lu (un périphérique ou un tube pourrait bloquer ou ne jamais "
            "finir) ; nommez le fichier lui-même"
        ),
        "key_plain_word": "un nom de champ est un simple mot",
        "given_twice": "« {key} » est donné deux fois (d'abord ligne {first}) ; gardez-en un",
        "cannot_read": "impossible de lire {what} : {why}",
        "larger_than": (
            "{what} dépasse {size} Mio, bien plus que ce qu'un message demande ; est-ce le bon "
            "fichier ?"
        ),
        "saved_as": "ce fichier est enregistré en {encoding} ; enregistrez-le en UTF-8",
        "nul_byte": (
            "la ligne {line} contient un octet NUL : le fichier est du texte UTF-16 ou UTF-32, "
            "ou n'est pas du texte ; enregistrez-le en UTF-8"
        ),
        "not_utf8": (
            "ce n'est pas du texte UTF-8 (ligne {line}, octet {byte}) ; enregistrez-le en UTF-8"
        ),
        "control_in_file": (
            "la ligne {line} contient le caractère de contrôle U+{code}, qu'un fichier texte ne "
            "contient pas ; est-ce bien le texte de l'incident, enregistré en UTF-8 ?"
        ),
        "too_many_values": (
            "ce fichier contient plus de {limit} valeurs (un alias compte pour tout ce qu'il "
            "répète) ; un incident ou une configuration en demande quelques centaines"
        ),
        "alias_too_many_values": (
            "*{anchor} se répète tant que ce fichier contient plus de {limit} valeurs (un alias "
            "compte pour tout ce qu'il répète) ; un incident ou une configuration en demande "
            "quelques centaines"
        ),
        "too_deep": (
            "les valeurs sont imbriquées sur plus de {limit} niveaux ici ; quelques-uns suffisent"
        ),
        "alias_too_deep": (
            "les valeurs sont imbriquées sur plus de {limit} niveaux ici (par *{anchor}) ; "
            "quelques-uns suffisent"
        ),
        "alias_cycle": (
            "*{anchor} désigne un bloc qui le contient : il se répéterait à l'infini ; écrivez "
            "les valeurs en entier"
        ),
        "nested_too_deeply": (
            "ce fichier est trop imbriqué pour être lu (restez sous {limit} niveaux)"
        ),
        "too_large_for_memory": "ce fichier est trop gros pour la mémoire disponible",
        "key_too_long": (
            "un nom de champ de {length} caractères : un nom tient en un mot ou deux ; une "
            "ligne de texte a-t-elle perdu son « nom: » ?"
        ),
        "yaml_hint_colon": (
            " (la ligne {line} a un second « : » dans sa valeur ; mettez la valeur entre "
            'guillemets droits "…" ou écrivez-la à la ligne suivante après « > »)'
        ),
        "hidden_characters": (
            "contient {shown} : les caractères de contrôle (que YAML écrit avec des échappements "
            "comme \\e, \\x08) agissent sur l'écran qui affiche le texte ou cassent le XML "
            "d'un flux, les caractères de format comme les forçages de sens bidirectionnels "
            "font lire un texte autrement qu'il n'est, et les invisibles (remplissages, "
            "caractères à usage privé, liant ou marque de sens sans rien à lier ni ordonner) "
            "cachent du texte au lecteur et aux vérifications ; retirez-les et écrivez le "
            "texte tel qu'il doit se lire"
        ),
        "and_more": "{shown} et {count} autres",
        "promise_no_unit": (
            "« {text} » n'a pas d'unité : écrivez {text}h pour des heures, {text}m pour des "
            "minutes, ou une heure de la journée comme {clock}"
        ),
        "promise_after_in": (
            "« {text} » : après « dans », écrivez une durée comme 2h, 90m ou 1h30"
        ),
        "promise_not_a_clock": "« {text} » n'est pas une heure de la journée (00:00 à 23:59)",
        "promise_after_at": "« {text} » : après « à », écrivez une heure comme 18:00",
        "promise_not_after": "le prochain point doit venir après un délai, par exemple 2h",
        "promise_neither": (
            "« {value} » n'est ni une durée (2h, 90m, 1h30, dans 18h), ni une heure de la "
            "journée (18:00), ni une date et une heure (2026-11-22 14:00)"
        ),
        "not_a_timezone": (
            "« {value} » n'est pas un fuseau horaire ; écrivez un nom comme Europe/Paris ou "
            "America/Montreal"
        ),
        "single_line": "doit tenir sur une seule ligne (elle est reprise telle quelle partout)",
        "holds_tab": (
            "contient une tabulation (U+0009) : écrivez une espace ; une ligne de texte n'a "
            "pas de tabulation"
        ),
        "translation_single_line": "translations.{code}.{field} doit tenir sur une seule ligne",
        "translation_tab": (
            "translations.{code}.{field} contient une tabulation (U+0009) : écrivez une espace"
        ),
        "not_a_language_code": "« {code} » n'est pas un code de langue (écrivez en, fr…)",
        "not_a_web_address": "« {value} » n'est pas une adresse web commençant par https://",
        "affected_items_field": (
            "affected_items n'est pas un champ à écrire : donnez les services ou les secteurs "
            "en liste sous affected (- name: ..., impact: ...)"
        ),
        "affected_empty": (
            "affected est une liste vide : nommez au moins un service ou un secteur, ou écrivez "
            "une phrase"
        ),
        "affected_too_many": ("affected compte {count} éléments ; {limit} au plus : regroupez-les"),
        "affected_item_shape": (
            "l'élément {number} de affected n'est pas un service ou un secteur avec son impact : "
            "écrivez - name: Eau du robinet, puis impact: major_outage à la ligne suivante"
        ),
        "affected_item_key": (
            "« {key} » n'est pas un champ d'un élément de affected (name, impact, detail)"
        ),
        "affected_no_name": "le service ou le secteur n'a pas de nom",
        "affected_name_line": "le nom tient sur une seule ligne",
        "affected_no_impact": "l'impact manque : écrivez l'un de {impacts}",
        "affected_bad_impact": "l'impact « {impact} » est inconnu : écrivez l'un de {impacts}",
        "affected_detail_line": (
            "le détail est une seule ligne de texte, par exemple environ 8 500 foyers"
        ),
        "unknown_hazard": (
            "« {name} » n'est pas un danger connu ; écrivez l'un de : {known} (ou retirez "
            "hazard : les vérifications lisent aussi le texte)"
        ),
        "comment_cut": (
            "le texte s'arrête avant « {shown} » : en YAML, une espace puis # commence un "
            "commentaire, et la suite ne fait pas partie de {name}. Pour la garder, mettez "
            'tout le texte entre guillemets droits ("...") ; pour un commentaire, mettez-le '
            "sur une ligne à part"
        ),
        "not_lat_lon_pairs": "« {given} » n'est pas une suite de paires lat,lon",
        "not_a_circle": "« {given} » n'est pas un cercle : écrivez-le lat,lon rayon_km",
        "polygon_open": (
            "le polygone {number} est ouvert : il commence en {first} et finit en {last} ; un "
            "polygone finit où il commence : répétez son premier point à la fin"
        ),
        "polygon_few_points": (
            "le polygone {number} a {count} paires lat,lon ; un polygone en a au moins 4 et "
            "finit où il commence (son premier point répété à la fin)"
        ),
        "polygon_crosses_at": (
            "le polygone {number} se croise lui-même en {point} : ses points doivent faire le "
            "tour du bord de la zone dans l'ordre, sans qu'un côté en croise un autre"
        ),
        "polygon_crosses": (
            "le polygone {number} se croise lui-même : ses points doivent faire le tour du bord "
            "de la zone dans l'ordre, sans qu'un côté en croise un autre"
        ),
        "polygon_invalid": "le polygone {number} n'est pas un polygone ({reason})",
        "polygon_outside_territory": (
            "le polygone {number} de la zone sort du territoire de l'organisation "
            "(territory: de channels.yaml) : son point {point} est dehors ; vérifiez que "
            "chaque paire est lat,lon (et non lon,lat) et que c'est le bon polygone"
        ),
        "circle_outside_territory": (
            "le cercle {number} de la zone a son centre en {point}, hors du territoire de "
            "l'organisation (territory: de channels.yaml) ; vérifiez que le centre est lat,lon "
            "(et non lon,lat)"
        ),
        "correction_needed": (
            "un incident annulé corrige ce qui a été dit : écrivez correction: ce qui était "
            "faux et ce qu'il faut faire maintenant"
        ),
        "next_update_needed": (
            "dites quand viendra le prochain point (par exemple next_update: 2h) ; les gens "
            "l'attendent"
        ),
        "actions_needed": "dites ce qui est fait pour réparer",
        "eta_before_start": "la fin prévue (eta) est avant started_at",
        "end_before_start": "la fin (ended_at) est avant started_at",
        "translation_lacks": (
            "la traduction {language} n'a pas {missing} ; un message ne doit pas mêler deux langues"
        ),
        "translation_area_alone": (
            "la traduction {language} dit la zone en mots, mais l'incident n'a pas de zone : "
            "donnez-la dans son propre area: (sa description en {original}), ou retirez-la "
            "de la traduction"
        ),
        "clocks_skip": (
            "« {written} » n'existe pas dans le fuseau {zone} : les horloges sautent cette "
            "heure (passage à l'heure d'été) ; écrivez l'heure que montrent les horloges, par "
            "exemple {shown}, ou avec un décalage"
        ),
        "clocks_repeat": (
            "« {written} » arrive deux fois dans le fuseau {zone} (les horloges reculent d'une "
            "heure) : une fois en {first}, une fois en {second} ; écrivez celle que vous voulez "
            "dire, avec son décalage"
        ),
        "read_today": "lu pour aujourd'hui, {text}",
        "as_said": "{text}",
        "reads_two_ways": (
            "« {written} » se lit de deux façons : dans {duration} ({later}), ou à {clock} "
            "{day} ({clock_said}). Écrivez next_update: « dans {hours} » pour la première, ou "
            "next_update: « {second} » pour la seconde"
        ),
        "today": "aujourd'hui",
        "tomorrow": "demain",
        "hours": "{hours} heure{plural}",
        "hours_minutes": "{hours} heure{plural} {minutes} minutes",
        "promise_passed": (
            "l'heure promise du prochain point, {clock} aujourd'hui, est passée ; les messages "
            "en promettent maintenant un dans une heure ({renewed}) : donnez une nouvelle "
            "heure, ou une durée comme dans 2h"
        ),
        "end_not_yet": (
            "la fin, {end} ({end_said}), n'a pas encore eu lieu (il est {now}) : un message "
            "{status} dit que l'incident est terminé. Écrivez l'heure où il a vraiment pris "
            "fin, ou retirez ended_at pour dire qu'il finit quand le message part"
        ),
        "reply_too_long": (
            "cette réponse aux messages reçus fait {segments} segments SMS ({encoding}) telle "
            "que le canal {channel} l'envoie, au-delà de son max_segments de {limit} : serve "
            "répond par un seul message ; raccourcissez-la"
        ),
        "eta_passed": (
            "la fin prévue ({eta}) est déjà passée : les messages disent maintenant que la "
            "réparation prend plus longtemps que prévu, sans heure ; donnez une nouvelle valeur "
            "à eta, ou retirez-la pour dire que la fin n'est pas encore connue"
        ),
        "update_time_passed": (
            "l'heure promise du prochain point est passée ({promised}) ; les messages en "
            "promettent maintenant un dans une heure ({renewed}) : donnez une nouvelle heure, "
            "ou une durée comme 2h"
        ),
        "started_in_future": "started_at est dans le futur ; vérifiez la date et le décalage",
        "headline_too_long": (
            "la phrase essentielle fait {length} caractères comme X les compte ; elle doit "
            "tenir dans un seul message ({limit}), car tous les canaux la reprennent telle quelle"
        ),
        "too_long": "{count} caractères, mais ce champ en contient au plus {limit} ; {hint}",
        "too_long_link": "personne ne peut suivre une adresse web aussi longue",
        "too_long_text": "gardez ici l'essentiel ; les détails vont sur la page du lien",
        "too_long_word": "ce champ contient un mot, une date ou un code, pas un texte",
        "nothing_to_correct": (
            "status: cancelled fait de ce message une correction, mais ce registre n'a aucun "
            "message antérieur de {id} à corriger : une correction ne va qu'à ceux qu'un "
            "message antérieur a atteints, elle n'atteindrait donc personne ; rien n'a été "
            "envoyé. Si le message erroné est parti d'un autre dossier, d'une autre machine ou "
            "d'un autre --state, envoyez la correction de là (son registre sait qui a reçu "
            "quoi). Si rien n'est encore parti, il n'y a rien à corriger : donnez plutôt le "
            "vrai statut de l'incident"
        ),
        "exercise_contradiction": (
            "le fichier dit exercise: false (une vraie alerte) mais la commande demande un "
            "exercice (--exercise) : les deux se contredisent. Pour un exercice, écrivez "
            "exercise: true (ou retirez la ligne) et gardez --exercise ; pour la vraie alerte, "
            "lancez la commande sans --exercise"
        ),
    },
}


# What a file is, and what is not a file, as a problem names them (``{what}``, ``{kind}``):
# the English words the code passes, said in another language.
_NAMED: dict[str, dict[str, str]] = {
    "fr": {
        "incident file": "le fichier d'incident",
        "file": "le fichier",
        "configuration file": "le fichier de configuration",
        "recipients file": "le fichier des destinataires",
        "a folder": "un dossier",
        "a named pipe": "un tube nommé",
        "a device": "un périphérique",
        "a socket": "une socket",
        "not a regular file": "autre chose qu'un fichier ordinaire",
    },
}
# The system's reasons a file cannot be opened or read (``strerror`` is English whatever the
# file's language), by errno; any other is given as the system says it.
_REASONS: dict[str, dict[int, str]] = {
    "fr": {
        errno.EACCES: "permission refusée",
        errno.EPERM: "opération non permise",
        errno.ENOENT: "fichier ou dossier introuvable",
        errno.EISDIR: "c'est un dossier",
        errno.ENOTDIR: "une partie du chemin n'est pas un dossier",
        errno.ELOOP: "trop de liens symboliques",
        errno.EIO: "erreur d'entrée-sortie du disque",
        errno.ENAMETOOLONG: "nom de fichier trop long",
    },
}


def named(language: str, words: str) -> str:
    """``words`` (a file's kind, ``incident file``; what a path names, ``a folder``) in
    ``language``: as given in English or when there are no words for it."""
    return _NAMED.get(language, {}).get(words, words)


def os_reason(exc: OSError, language: str) -> str:
    """Why the system refused a file, in ``language`` where we have its words."""
    said = _REASONS.get(language, {}).get(exc.errno or 0)
    return said if said is not None else (exc.strerror or str(exc))


def number(n: int, language: str) -> str:
    """``1,081`` in English, ``1 081`` (a narrow no-break space) in French."""
    written = f"{n:,}"
    return written.replace(",", "\u202f") if language == "fr" else written


def language_of(locale: str) -> str:
    """The language an incident's errors are said in, from its ``locale``."""
    return "fr" if locale.replace("-", "_").split("_")[0].lower() == "fr" else "en"


def say(language: str, kind: str, /, **values: Any) -> str:
    """The message ``kind`` in ``language`` (English for a language without words)."""
    words = WORDS.get(language, WORDS["en"])
    return words.get(kind, WORDS["en"][kind]).format(**values)


class Worded(ValueError):
    """A field's value is wrong, said by ``key`` (English as its text; ``model_errors`` says
    it again in the file's language)."""

    def __init__(self, kind: str, /, **values: Any) -> None:
        self.key = kind
        self.values = values
        super().__init__(say("en", kind, **values))

    def said_in(self, language: str) -> str:
        return say(language, self.key, **self.values)


_LOCALE_LINE = re.compile(r"^locale\s*:\s*[\"']?([A-Za-z]{2,3})", re.MULTILINE)


def file_language(
    data: Any = None, defaults: Mapping[str, Any] | None = None, text: str | None = None
) -> str:
    """The language an incident file's errors are said in, read before it is validated:
    its ``locale`` (from the data YAML gave, else from the raw text when YAML could not read
    it), else channels.yaml's default; ``fr`` for French, ``en`` otherwise."""
    locale: Any = None
    if isinstance(data, Mapping):
        locale = data.get("locale")
    if not isinstance(locale, str) and text is not None:
        found = _LOCALE_LINE.search(text)
        locale = found.group(1) if found else None
    if not isinstance(locale, str) and defaults:
        locale = defaults.get("locale")
    if isinstance(locale, str) and locale.replace("-", "_").split("_")[0].lower() == "fr":
        return "fr"
    return "en"
